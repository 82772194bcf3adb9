/*
 * test_rules.c -- the category rules (rules.c): each rule and its
 * threshold, what the categories are called, and that rules_json hands
 * workflow.lua every rule and threshold (the script states none).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "liaison.h"

/* A config with only what the rules read. */
static void
rules_config(struct config *cfg, int common_min)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->common_min_enterprises = common_min;
}

static void
test_rules_categories_are_named_weakest_first(void **state)
{
	(void)state;
	assert_string_equal(issue_categories[CATEGORY_INDIVIDUAL],
	    "individual");
	assert_string_equal(issue_categories[CATEGORY_COMMON], "common");
	assert_string_equal(issue_categories[CATEGORY_DIFFICULT], "difficult");
	assert_null(issue_categories[CATEGORY_COUNT]);
	assert_int_equal(rules_category("difficult"), CATEGORY_DIFFICULT);
	assert_int_equal(rules_category("individual"), CATEGORY_INDIVIDUAL);
	assert_int_equal(rules_category("x"), -1);
	assert_int_equal(rules_category("Common"), -1);
	assert_int_equal(rules_category(NULL), -1);
}

static void
test_rules_categories_have_short_and_long_chinese_names(void **state)
{
	(void)state;
	assert_string_equal(rules_category_label("individual"), "个性");
	assert_string_equal(rules_category_label("common"), "共性");
	assert_string_equal(rules_category_label("difficult"), "疑难");
	assert_string_equal(rules_category_label("other"), "other");
	assert_string_equal(rules_category_title("individual"), "个性问题");
	assert_string_equal(rules_category_title("common"), "共性问题");
	assert_string_equal(rules_category_title("difficult"), "疑难问题");
	assert_null(rules_category_title("other"));
	assert_null(rules_category_title(NULL));
}

static void
test_rules_an_item_of_one_department_is_individual(void **state)
{
	char reason[160];

	(void)state;
	assert_string_equal(rules_report_category(0, 1, reason,
	    sizeof reason), "individual");
	assert_string_equal(reason, "one enterprise's own problem");
}

static void
test_rules_a_flagged_item_is_difficult(void **state)
{
	char reason[160];

	(void)state;
	assert_string_equal(rules_report_category(1, 1, reason,
	    sizeof reason), "difficult");
	assert_string_equal(reason, "flagged difficult by the officer");
	/* Flagged and routed to several: the officer's flag is the reason. */
	assert_string_equal(rules_report_category(1, 3, reason,
	    sizeof reason), "difficult");
	assert_string_equal(reason, "flagged difficult by the officer");
}

static void
test_rules_an_item_routed_to_two_departments_is_difficult(void **state)
{
	char reason[160];

	(void)state;
	assert_int_equal(rules_threshold(RULE_ROUTED, NULL), 2);
	assert_false(rules_reached(RULE_ROUTED, NULL, 1));
	assert_true(rules_reached(RULE_ROUTED, NULL, 2));
	assert_string_equal(rules_report_category(0, 2, reason,
	    sizeof reason), "difficult");
	assert_string_equal(reason, "routed to 2 departments");
	assert_string_equal(rules_report_category(0, 5, reason,
	    sizeof reason), "difficult");
	assert_string_equal(reason, "routed to 5 departments");
}

static void
test_rules_reopened_twice_is_difficult(void **state)
{
	(void)state;
	assert_int_equal(rules_threshold(RULE_REOPENED, NULL), 2);
	assert_false(rules_reached(RULE_REOPENED, NULL, 1));
	assert_true(rules_reached(RULE_REOPENED, NULL, 2));
	assert_true(rules_reached(RULE_REOPENED, NULL, 3));
}

/* 复发 (issue 16): the second recurrence of a finished problem. */
static void
test_rules_second_recurrence_is_difficult(void **state)
{
	cJSON *obj = cJSON_CreateObject(), *rule;

	(void)state;
	assert_int_equal(rules_threshold(RULE_RECURRED, NULL), 2);
	assert_false(rules_reached(RULE_RECURRED, NULL, 1));
	assert_true(rules_reached(RULE_RECURRED, NULL, 2));
	rules_json(obj, NULL);
	rule = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "rules"),
	    "recurred");
	assert_non_null(rule);
	assert_string_equal(cJSON_GetObjectItem(rule, "category")->valuestring,
	    "difficult");
	assert_int_equal(cJSON_GetObjectItem(rule, "at_least")->valueint, 2);
	cJSON_Delete(obj);
}

static void
test_rules_every_deadline_stage_passing_is_difficult(void **state)
{
	(void)state;
	assert_true(rules_overdue("claim"));
	assert_true(rules_overdue("respond"));
	assert_true(rules_overdue("resolve"));
	assert_false(rules_overdue("return"));
	assert_false(rules_overdue(""));
	/* Each is a deadline stage of the task state machine. */
	assert_non_null(task_stage_state("claim"));
	assert_non_null(task_stage_state("respond"));
	assert_non_null(task_stage_state("resolve"));
}

static void
test_rules_the_common_minimum_is_the_config_value(void **state)
{
	struct config cfg;

	(void)state;
	assert_int_equal(rules_threshold(RULE_COMMON, NULL),
	    RULES_COMMON_MIN_DEFAULT);
	assert_int_equal(RULES_COMMON_MIN_DEFAULT, 3);
	assert_false(rules_reached(RULE_COMMON, NULL, 2));
	assert_true(rules_reached(RULE_COMMON, NULL, 3));
	rules_config(&cfg, 5);
	assert_int_equal(rules_threshold(RULE_COMMON, &cfg), 5);
	assert_false(rules_reached(RULE_COMMON, &cfg, 4));
	assert_true(rules_reached(RULE_COMMON, &cfg, 5));
	rules_config(&cfg, 2);
	assert_true(rules_reached(RULE_COMMON, &cfg, 2));
	/* The other thresholds are not the config's. */
	assert_int_equal(rules_threshold(RULE_ROUTED, &cfg), 2);
	assert_int_equal(rules_threshold(RULE_REOPENED, &cfg), 2);
}

/* The rule called name in rules_json's object, checked for its shape. */
static const cJSON *
rules_json_rule(const cJSON *rules, const char *name, const char *category)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(rules, name);

	assert_non_null(r);
	assert_string_equal(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(r, "category")), category);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r,
	    "at_least")));
	assert_non_null(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(r, "reason")));
	return r;
}

static int
rules_json_at_least(const cJSON *rule)
{
	return cJSON_GetObjectItemCaseSensitive(rule, "at_least")->valueint;
}

static const char *
rules_json_reason(const cJSON *rule)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rule,
	    "reason"));
}

static void
test_rules_json_carries_every_rule_and_threshold(void **state)
{
	static const char *const stages[] = { "claim", "respond", "resolve" };
	struct config cfg;
	const cJSON *rules, *list, *r, *s;
	cJSON *obj = cJSON_CreateObject();
	char reason[160];
	int i;

	(void)state;
	rules_config(&cfg, 4);
	rules_json(obj, &cfg);
	rules = cJSON_GetObjectItemCaseSensitive(obj, "rules");
	assert_non_null(rules);

	list = cJSON_GetObjectItemCaseSensitive(rules, "categories");
	assert_int_equal(cJSON_GetArraySize(list), CATEGORY_COUNT);
	for (i = 0; i < CATEGORY_COUNT; i++)
		assert_string_equal(cJSON_GetArrayItem(list, i)->valuestring,
		    issue_categories[i]);

	r = rules_json_rule(rules, "individual", "individual");
	rules_report_category(0, 1, reason, sizeof reason);
	assert_string_equal(rules_json_reason(r), reason);

	r = rules_json_rule(rules, "flagged", "difficult");
	rules_report_category(1, 1, reason, sizeof reason);
	assert_string_equal(rules_json_reason(r), reason);

	r = rules_json_rule(rules, "routed", "difficult");
	assert_int_equal(rules_json_at_least(r),
	    rules_threshold(RULE_ROUTED, &cfg));
	assert_string_equal(rules_json_reason(r), "routed to %d departments");

	r = rules_json_rule(rules, "reopened", "difficult");
	assert_int_equal(rules_json_at_least(r),
	    rules_threshold(RULE_REOPENED, &cfg));
	assert_string_equal(rules_json_reason(r), "reopened %d times");

	r = rules_json_rule(rules, "overdue", "difficult");
	assert_string_equal(rules_json_reason(r), "%s deadline passed");
	list = cJSON_GetObjectItemCaseSensitive(r, "stages");
	assert_int_equal(cJSON_GetArraySize(list), 3);
	for (i = 0; i < 3; i++) {
		s = cJSON_GetArrayItem(list, i);
		assert_string_equal(s->valuestring, stages[i]);
		assert_true(rules_overdue(s->valuestring));
	}

	r = rules_json_rule(rules, "common", "common");
	assert_int_equal(rules_json_at_least(r), 4);
	assert_string_equal(rules_json_reason(r),
	    "the same problem raised for %d enterprises (group %s)");
	/* A finished (resolved) task never takes a new member. */
	list = cJSON_GetObjectItemCaseSensitive(r, "joinable");
	assert_int_equal(cJSON_GetArraySize(list), 4);
	for (i = 0; i < 4; i++) {
		s = cJSON_GetArrayItem(list, i);
		assert_true(task_state_parse(s->valuestring) >= 0);
		assert_string_not_equal(s->valuestring, "resolved");
	}

	/* Nothing else: a rule the table gains must be tested here. */
	assert_int_equal(cJSON_GetArraySize(rules), 1 + RULE_COUNT);
	cJSON_Delete(obj);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_categories_are_named_weakest_first),
		cmocka_unit_test(test_rules_second_recurrence_is_difficult),
		cmocka_unit_test(
		    test_rules_categories_have_short_and_long_chinese_names),
		cmocka_unit_test(test_rules_an_item_of_one_department_is_individual),
		cmocka_unit_test(test_rules_a_flagged_item_is_difficult),
		cmocka_unit_test(
		    test_rules_an_item_routed_to_two_departments_is_difficult),
		cmocka_unit_test(test_rules_reopened_twice_is_difficult),
		cmocka_unit_test(
		    test_rules_every_deadline_stage_passing_is_difficult),
		cmocka_unit_test(test_rules_the_common_minimum_is_the_config_value),
		cmocka_unit_test(test_rules_json_carries_every_rule_and_threshold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
