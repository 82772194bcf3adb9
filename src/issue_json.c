/*
 * issue_json.c -- the JSON of an issue, a task and a history, as the API
 * answers it, the pages read it and the webhooks send it: one shape, made
 * in one place from the hashes Redis holds.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"

/*
 * A new object of some fields of from: names holds {to, from} pairs ending
 * with {NULL, NULL}; a field from lacks is null in the copy.
 */
cJSON *
issue_json_pick(const cJSON *from, const char *const (*names)[2])
{
	cJSON *to = cJSON_CreateObject(), *v;

	for (; names[0][0] != NULL; names++) {
		v = cJSON_GetObjectItemCaseSensitive(from, names[0][1]);
		cJSON_AddItemToObject(to, names[0][0], v != NULL ?
		    cJSON_Duplicate(v, 1) : cJSON_CreateNull());
	}
	return to;
}

static void
issue_json_add_json(cJSON *obj, const char *name, const char *text)
{
	cJSON *v = text != NULL ? cJSON_Parse(text) : NULL;

	cJSON_AddItemToObject(obj, name, v != NULL ? v : cJSON_CreateArray());
}

/* A string field, or null when stored empty. */
static void
issue_json_add_optional(cJSON *obj, const char *name, const char *v)
{
	if (v == NULL || *v == '\0')
		cJSON_AddNullToObject(obj, name);
	else
		cJSON_AddStringToObject(obj, name, v);
}

/*
 * The issue's ratings ({"dept": satisfaction}: the departments whose
 * resolution its officer rated), {} when none.
 */
static void
issue_json_add_ratings(cJSON *obj, const char *text)
{
	cJSON *map = text != NULL && *text != '\0' ? cJSON_Parse(text) : NULL;

	if (!cJSON_IsObject(map)) {
		cJSON_Delete(map);
		map = cJSON_CreateObject();
	}
	cJSON_AddItemToObject(obj, "ratings", map);
}

/*
 * The API's task object from a task hash (a flat array as Redis gives it).
 * The caller frees the result with cJSON_Delete.
 */
cJSON *
issue_json_task(const redisReply *t)
{
	cJSON *obj = cJSON_CreateObject();
	const char *overdue = util_reply_field(t, "overdue");

	cJSON_AddStringToObject(obj, "id", util_reply_field(t, "id"));
	cJSON_AddStringToObject(obj, "department",
	    util_reply_field(t, "department"));
	cJSON_AddStringToObject(obj, "state", util_reply_field(t, "state"));
	issue_json_add_optional(obj, "claimant",
	    util_reply_field(t, "claimant"));
	issue_json_add_json(obj, "issues", util_reply_field(t, "issues"));
	util_json_add_time(obj, "created", util_reply_field(t, "created"));
	util_json_add_time(obj, "deadline", util_reply_field(t, "deadline"));
	issue_json_add_optional(obj, "response",
	    util_reply_field(t, "response"));
	issue_json_add_optional(obj, "resolution",
	    util_reply_field(t, "resolution"));
	util_json_add_time(obj, "claimed_at", util_reply_field(t, "claimed_at"));
	util_json_add_time(obj, "responded_at",
	    util_reply_field(t, "responded_at"));
	util_json_add_time(obj, "resolved_at",
	    util_reply_field(t, "resolved_at"));
	util_json_add_time(obj, "returned_at",
	    util_reply_field(t, "returned_at"));
	issue_json_add_optional(obj, "return_reason",
	    util_reply_field(t, "return_reason"));
	if (overdue != NULL && *overdue != '\0')
		cJSON_AddStringToObject(obj, "overdue", overdue);
	governance_task_json(obj, t);
	return obj;
}

/* An issue's history list, each entry's "at" as ISO 8601. */
cJSON *
issue_json_history(const redisReply *list)
{
	cJSON *out = cJSON_CreateArray(), *entry, *at;
	char when[32];
	size_t i;

	for (i = 0; i < list->elements; i++) {
		entry = cJSON_Parse(list->element[i]->str);
		if (entry == NULL)
			continue;
		at = cJSON_GetObjectItemCaseSensitive(entry, "at");
		if (cJSON_IsString(at)) {
			util_time_iso8601(strtoll(at->valuestring, NULL, 10),
			    when);
			cJSON_ReplaceItemInObjectCaseSensitive(entry, "at",
			    cJSON_CreateString(when));
		}
		cJSON_AddItemToArray(out, entry);
	}
	return out;
}

/*
 * The API's issue object from an issue hash and its tasks' hashes (flat
 * arrays as Redis gives them).
 */
cJSON *
issue_json(const redisReply *issue, const redisReply *tasks)
{
	static const char *const strings[] = { "id", "report", "officer",
	    "enterprise", "topic", "title", "detail", "period", "category",
	    "state", NULL };
	cJSON *obj = cJSON_CreateObject(), *list;
	const char *v;
	size_t i;

	for (i = 0; strings[i] != NULL; i++) {
		v = util_reply_field(issue, strings[i]);
		cJSON_AddStringToObject(obj, strings[i], v ? v : "");
	}
	v = util_reply_field(issue, "difficult");
	cJSON_AddBoolToObject(obj, "difficult", v != NULL && strcmp(v, "1") == 0);
	issue_json_add_json(obj, "departments",
	    util_reply_field(issue, "departments"));
	issue_json_add_optional(obj, "group", util_reply_field(issue, "group"));
	issue_json_add_optional(obj, "satisfaction",
	    util_reply_field(issue, "satisfaction"));
	issue_json_add_ratings(obj, util_reply_field(issue, "ratings"));
	util_json_add_time(obj, "created", util_reply_field(issue, "created"));
	governance_issue_json(obj, issue);
	/* Outcomes recorded for it (fieldwork.lua): {id, kind, amount, date}. */
	issue_json_add_json(obj, "outcomes", util_reply_field(issue, "outcomes"));
	list = cJSON_AddArrayToObject(obj, "tasks");
	for (i = 0; tasks != NULL && i < tasks->elements; i++)
		cJSON_AddItemToArray(list, issue_json_task(tasks->element[i]));
	return obj;
}

/*
 * The address of task on its department's page, public_url + "/dept#task-
 * T1" (the page's anchor), for webhooks and mail. The caller frees it.
 */
char *
issue_json_task_link(const char *public_url, const char *task)
{
	char *link;

	xasprintf(&link, "%s/dept#" ISSUE_TASK_ANCHOR "%s", public_url, task);
	return link;
}

/* The address of the department page. The caller frees it. */
char *
issue_json_dept_link(const char *public_url)
{
	char *link;

	xasprintf(&link, "%s/dept", public_url);
	return link;
}
