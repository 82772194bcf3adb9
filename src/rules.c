/*
 * rules.c -- the business rules of liaisond in one place: the categories
 * of an issue (个性 individual, 共性 common, 疑难 difficult), what each is
 * called, and the rules and thresholds that put an issue in one.
 *
 * The thresholds are rules_table's, below; the common group's comes from
 * the config, so that a zone can set it.
 *
 *   rule      category    applies when                      applied by
 *   flagged   difficult   the officer ticks 疑难            report.c, on submission
 *   routed    difficult   routed to 2 or more departments   report.c, on submission;
 *                                                           workflow.lua, on route
 *   reopened  difficult   reopened 2 or more times          workflow.lua (reopen, or
 *                                                           confirm unsatisfied)
 *   overdue   difficult   a claim, respond or resolve       workflow.lua (escalate)
 *                         deadline passed
 *   common    common      the same problem (similar.c) was  api_reports.c proposes a
 *                         raised by at least [classify]     group; workflow.lua checks
 *                         common_min_enterprises            it and groups (submit)
 *                         enterprises (default 3), and
 *                         joins only a group whose tasks
 *                         are still open (joinable)
 *   recurred  difficult   its second recurrence (复发): the  api_recurrence.c finds the
 *                         same problem of its enterprise   finished issue; workflow.lua
 *                         after a finished one recurred    links them (submit)
 *   individual individual  none of the above: one           report.c, on submission
 *                          enterprise's own problem
 *
 * A rule only ever raises an issue, in the order of issue_categories
 * (individual < common < difficult): a common issue that becomes overdue is
 * difficult, a difficult one never becomes common. An admin's category
 * (the classify action) is final: no rule changes it afterwards.
 *
 * The rules that act inside a Redis transaction are applied by
 * workflow.lua, which states none of them: every payload it gets carries
 * this table as req.rules (rules_json), each rule with its category, its
 * threshold and the reason written into the issue's history, the way
 * task.c hands it the task stages. docs/API.md tells users the same rules.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"

/*
 * The categories as the API, Redis and the script name them, weakest
 * first: the order in which a rule raises an issue.
 */
const char *const issue_categories[] = { "individual", "common",
    "difficult", NULL };

/* What each category is called, in issue_categories' order. */
static const struct {
	const char *label;       /* 个性: a table cell, a chat message */
	const char *title;       /* 个性问题: a heading, a sheet, a page */
} rules_labels[CATEGORY_COUNT] = {
	{ "个性", "个性问题" },
	{ "共性", "共性问题" },
	{ "疑难", "疑难问题" },
};

/* The deadline stages (task.c) whose passing makes an issue difficult. */
static const char *const rules_overdue_stages[] = { "claim", "respond",
    "resolve", NULL };

/*
 * The task states in which a common group still takes new members: a
 * group whose task is resolved (or an issue whose task is) is finished,
 * and the same problem raised again starts afresh with a task of its own
 * rather than being folded into finished work (件件有落实).
 */
static const char *const rules_common_joinable[] = { "queued", "claimed",
    "responded", "returned", NULL };

/*
 * The rules, as the script gets them. A reason is a format: %d is the
 * count (departments, reopens, enterprises), %s the stage or the group.
 * A threshold of RULES_FROM_CONFIG is the config's common_min_enterprises.
 */
#define RULES_FROM_CONFIG -1
static const struct rules_row {
	const char *name;                  /* its key in req.rules */
	enum rules_category category;      /* what it makes an issue */
	int at_least;                      /* the count it needs; 0: none */
	const char *const *stages;         /* overdue: the stages that count */
	const char *reason;
	const char *const *joinable;       /* common: open task states */
} rules_table[RULE_COUNT] = {
	[RULE_INDIVIDUAL] = { "individual", CATEGORY_INDIVIDUAL, 0, NULL,
	    "one enterprise's own problem" },
	[RULE_FLAGGED] = { "flagged", CATEGORY_DIFFICULT, 0, NULL,
	    "flagged difficult by the officer" },
	[RULE_ROUTED] = { "routed", CATEGORY_DIFFICULT, 2, NULL,
	    "routed to %d departments" },
	[RULE_REOPENED] = { "reopened", CATEGORY_DIFFICULT, 2, NULL,
	    "reopened %d times" },
	[RULE_OVERDUE] = { "overdue", CATEGORY_DIFFICULT, 0,
	    rules_overdue_stages, "%s deadline passed" },
	[RULE_COMMON] = { "common", CATEGORY_COMMON, RULES_FROM_CONFIG,
	    NULL, "the same problem raised for %d enterprises (group %s)",
	    rules_common_joinable },
	[RULE_RECURRED] = { "recurred", CATEGORY_DIFFICULT, 2, NULL,
	    "recurred %d times after it was resolved", NULL },
};

/* The category's number, or -1 for a name that is no category. */
int
rules_category(const char *name)
{
	int i;

	for (i = 0; name != NULL && issue_categories[i] != NULL; i++)
		if (strcmp(name, issue_categories[i]) == 0)
			return i;
	return -1;
}

/* 个性, 共性 or 疑难 for a category name; the name itself if unknown. */
const char *
rules_category_label(const char *name)
{
	int c = rules_category(name);

	return c == -1 ? name : rules_labels[c].label;
}

/* 个性问题, 共性问题 or 疑难问题 for a category name; NULL if unknown. */
const char *
rules_category_title(const char *name)
{
	int c = rules_category(name);

	return c == -1 ? NULL : rules_labels[c].title;
}

/*
 * The count from which rule applies under cfg (NULL: the defaults); 0 for
 * a rule without one.
 */
int
rules_threshold(enum rules_rule rule, const struct config *cfg)
{
	if (rules_table[rule].at_least != RULES_FROM_CONFIG)
		return rules_table[rule].at_least;
	return cfg != NULL ? cfg->common_min_enterprises :
	    RULES_COMMON_MIN_DEFAULT;
}

/*
 * Does rule apply to count (departments, reopens, enterprises)? For the
 * overdue rule count is ignored: see rules_overdue.
 */
int
rules_reached(enum rules_rule rule, const struct config *cfg,
    size_t count)
{
	return count >= (size_t)rules_threshold(rule, cfg);
}

/* Does a passed deadline of stage make an issue difficult? */
int
rules_overdue(const char *stage)
{
	size_t i;

	for (i = 0; rules_overdue_stages[i] != NULL; i++)
		if (strcmp(stage, rules_overdue_stages[i]) == 0)
			return 1;
	return 0;
}

/* Write rule's reason for count into reason (len bytes). */
static void
rules_reason(enum rules_rule rule, int count, char *reason, size_t len)
{
	snprintf(reason, len, rules_table[rule].reason, count);
}

/*
 * The category of a report's item when it is submitted: difficult when the
 * officer flagged it or it is routed to enough departments, else
 * individual; the reason goes into reason (len bytes). Whether it is
 * common is decided when it is stored (workflow.lua). Returns the
 * category's name.
 */
const char *
rules_report_category(int flagged, size_t ndepartments, char *reason,
    size_t len)
{
	enum rules_rule rule = RULE_INDIVIDUAL;

	if (flagged)
		rule = RULE_FLAGGED;
	else if (rules_reached(RULE_ROUTED, NULL, ndepartments))
		rule = RULE_ROUTED;
	rules_reason(rule, (int)ndepartments, reason, len);
	return issue_categories[rules_table[rule].category];
}

/*
 * Add "rules": {"categories": [weakest first], "RULE": {"category",
 * "at_least", "stages", "reason", "joinable"}, ...} to obj, the common group's
 * threshold from cfg: what workflow.lua applies.
 */
void
rules_json(cJSON *obj, const struct config *cfg)
{
	cJSON *rules = cJSON_AddObjectToObject(obj, "rules"), *list, *rule;
	const struct rules_row *r;
	size_t i, j;

	list = cJSON_AddArrayToObject(rules, "categories");
	for (i = 0; issue_categories[i] != NULL; i++)
		cJSON_AddItemToArray(list,
		    cJSON_CreateString(issue_categories[i]));
	for (i = 0; i < RULE_COUNT; i++) {
		r = &rules_table[i];
		rule = cJSON_AddObjectToObject(rules, r->name);
		cJSON_AddStringToObject(rule, "category",
		    issue_categories[r->category]);
		cJSON_AddNumberToObject(rule, "at_least",
		    rules_threshold((enum rules_rule)i, cfg));
		if (r->stages != NULL) {
			list = cJSON_AddArrayToObject(rule, "stages");
			for (j = 0; r->stages[j] != NULL; j++)
				cJSON_AddItemToArray(list,
				    cJSON_CreateString(r->stages[j]));
		}
		cJSON_AddStringToObject(rule, "reason", r->reason);
		if (r->joinable != NULL) {
			list = cJSON_AddArrayToObject(rule, "joinable");
			for (j = 0; r->joinable[j] != NULL; j++)
				cJSON_AddItemToArray(list,
				    cJSON_CreateString(r->joinable[j]));
		}
	}
}
