/*
 * task.c -- the task state machine: a task is one department's unit of
 * work, queued -> claimed -> responded -> resolved, or returned (退单) from
 * queued or claimed. This table is the one statement of which step may
 * follow which state; workflow.lua applies it atomically with what it gets
 * from here.
 */
#include "config.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"

static const char *const task_states[] = {
	"queued", "claimed", "responded", "resolved", "returned", NULL
};

#define FROM(s) (1u << (s))

static const struct task_step task_steps[] = {
	{ "claim", FROM(TASK_QUEUED), "claimed", "claimant", "claimant", 64,
	    "respond", "claimed" },
	{ "respond", FROM(TASK_CLAIMED), "responded", "response", "response",
	    2000, "resolve", "responded" },
	{ "resolve", FROM(TASK_RESPONDED), "resolved", "resolution",
	    "resolution", 2000, NULL, "resolved" },
	{ "return", FROM(TASK_QUEUED) | FROM(TASK_CLAIMED), "returned",
	    "reason", "return_reason", 500, NULL, "returned" },
	{ NULL, 0, NULL, NULL, NULL, 0, NULL, NULL }
};

/* The state's number, or -1 for a name that is no task state. */
int
task_state_parse(const char *name)
{
	int i;

	for (i = 0; task_states[i] != NULL; i++)
		if (strcmp(name, task_states[i]) == 0)
			return i;
	return -1;
}

/* The name of state, as the API and Redis spell it. */
const char *
task_state_name(enum task_state state)
{
	return task_states[state];
}

/* The step called name (claim, respond, resolve, return), or NULL. */
const struct task_step *
task_step_find(const char *name)
{
	const struct task_step *s;

	for (s = task_steps; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

/* May step be taken from state? */
int
task_step_allowed(const struct task_step *step, enum task_state state)
{
	return (step->from & FROM(state)) != 0;
}

/*
 * The state a task waits in while the deadline of stage (claim, respond,
 * resolve) runs, or NULL: claim while queued, and each later stage in the
 * state of the step that started it.
 */
const char *
task_stage_state(const char *stage)
{
	const struct task_step *s;

	if (strcmp(stage, "claim") == 0)
		return task_states[TASK_QUEUED];
	for (s = task_steps; s->name != NULL; s++)
		if (s->next != NULL && strcmp(s->next, stage) == 0)
			return s->to;
	return NULL;
}

/* Add {"stage": state, ...} for every deadline stage to obj. */
void
task_stages_json(cJSON *obj)
{
	static const char *const stages[] = { "claim", "respond", "resolve",
	    NULL };
	cJSON *map = cJSON_AddObjectToObject(obj, "stages");
	size_t i;

	for (i = 0; stages[i] != NULL; i++)
		cJSON_AddStringToObject(map, stages[i],
		    task_stage_state(stages[i]));
}

/* The deadline stages in order, with their Chinese names (回应, not 答复:
 * one word on the pages, the digests and the robots' messages). */
static const struct {
	const char *stage;
	const char *zh;
} task_stage_names[] = {
	{ "claim", "认领" },
	{ "respond", "回应" },
	{ "resolve", "办结" },
	{ NULL, NULL }
};

/* The Chinese name of stage (claim, respond, resolve); NULL if none. */
const char *
task_stage_zh(const char *stage)
{
	size_t i;

	for (i = 0; stage != NULL && task_stage_names[i].stage != NULL; i++)
		if (strcmp(stage, task_stage_names[i].stage) == 0)
			return task_stage_names[i].zh;
	return NULL;
}

/*
 * The stage whose deadline a task in state runs against (claim while
 * queued, then the next step of the one that led to state), or NULL when
 * none does (resolved, returned).
 */
const char *
task_state_stage(const char *state)
{
	size_t i;

	for (i = 0; task_stage_names[i].stage != NULL; i++)
		if (state != NULL && strcmp(task_stage_state(
		    task_stage_names[i].stage), state) == 0)
			return task_stage_names[i].stage;
	return NULL;
}
