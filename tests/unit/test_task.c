/*
 * test_task.c -- the task state machine (task.c): every step from every
 * state, allowed or refused, and where each allowed step leads.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "liaison.h"

/*
 * The whole table (docs/API.md, "Department queues and tasks"): queued ->
 * claimed -> responded -> resolved, returned (退单) from queued or
 * claimed; nothing leaves resolved or returned by a department's step
 * (reopen and route do that).
 */
static const struct {
	const char *step;
	enum task_state from;
	int allowed;
} transitions[] = {
	{ "claim", TASK_QUEUED, 1 },
	{ "claim", TASK_CLAIMED, 0 },
	{ "claim", TASK_RESPONDED, 0 },
	{ "claim", TASK_RESOLVED, 0 },
	{ "claim", TASK_RETURNED, 0 },
	{ "respond", TASK_QUEUED, 0 },
	{ "respond", TASK_CLAIMED, 1 },
	{ "respond", TASK_RESPONDED, 0 },
	{ "respond", TASK_RESOLVED, 0 },
	{ "respond", TASK_RETURNED, 0 },
	{ "resolve", TASK_QUEUED, 0 },
	{ "resolve", TASK_CLAIMED, 0 },
	{ "resolve", TASK_RESPONDED, 1 },
	{ "resolve", TASK_RESOLVED, 0 },
	{ "resolve", TASK_RETURNED, 0 },
	{ "return", TASK_QUEUED, 1 },
	{ "return", TASK_CLAIMED, 1 },
	{ "return", TASK_RESPONDED, 0 },
	{ "return", TASK_RESOLVED, 0 },
	{ "return", TASK_RETURNED, 0 },
};

static void
test_task_every_step_from_every_state(void **state)
{
	const struct task_step *s;
	size_t i;

	for (i = 0; i < sizeof transitions / sizeof transitions[0]; i++) {
		s = task_step_find(transitions[i].step);
		assert_non_null(s);
		if (task_step_allowed(s, transitions[i].from) !=
		    transitions[i].allowed)
			fail_msg("%s from %s: expected %s", transitions[i].step,
			    task_state_name(transitions[i].from),
			    transitions[i].allowed ? "allowed" : "refused");
	}
}

static void
test_task_steps_lead_forward(void **state)
{
	assert_string_equal(task_step_find("claim")->to, "claimed");
	assert_string_equal(task_step_find("respond")->to, "responded");
	assert_string_equal(task_step_find("resolve")->to, "resolved");
	assert_string_equal(task_step_find("return")->to, "returned");
	/* Every target is a task state. */
	assert_int_equal(task_state_parse(task_step_find("claim")->to),
	    TASK_CLAIMED);
	assert_int_equal(task_state_parse(task_step_find("return")->to),
	    TASK_RETURNED);
}

static void
test_task_deadline_stage_follows_each_step(void **state)
{
	assert_string_equal(task_step_find("claim")->next, "respond");
	assert_string_equal(task_step_find("respond")->next, "resolve");
	assert_null(task_step_find("resolve")->next);
	assert_null(task_step_find("return")->next);
}

static void
test_task_each_deadline_stage_runs_in_one_state(void **state)
{
	assert_string_equal(task_stage_state("claim"), "queued");
	assert_string_equal(task_stage_state("respond"), "claimed");
	assert_string_equal(task_stage_state("resolve"), "responded");
	assert_null(task_stage_state("close"));
}

static void
test_task_step_texts_and_limits(void **state)
{
	assert_string_equal(task_step_find("claim")->body, "claimant");
	assert_int_equal(task_step_find("claim")->max, 64);
	assert_string_equal(task_step_find("respond")->body, "response");
	assert_int_equal(task_step_find("respond")->max, 2000);
	assert_string_equal(task_step_find("resolve")->body, "resolution");
	assert_string_equal(task_step_find("return")->body, "reason");
	assert_int_equal(task_step_find("return")->max, 500);
}

static void
test_task_unknown_names_are_refused(void **state)
{
	assert_null(task_step_find("close"));
	assert_null(task_step_find(""));
	assert_null(task_step_find("Claim"));
	assert_int_equal(task_state_parse("closed"), -1);
	assert_int_equal(task_state_parse("QUEUED"), -1);
	assert_int_equal(task_state_parse("queued"), TASK_QUEUED);
	assert_int_equal(task_state_parse("returned"), TASK_RETURNED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_every_step_from_every_state),
		cmocka_unit_test(test_task_steps_lead_forward),
		cmocka_unit_test(test_task_deadline_stage_follows_each_step),
		cmocka_unit_test(test_task_each_deadline_stage_runs_in_one_state),
		cmocka_unit_test(test_task_step_texts_and_limits),
		cmocka_unit_test(test_task_unknown_names_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
