/*
 * api_issues.c -- GET /api/v1/issues (the ledger rows a caller may see,
 * filtered) and GET /api/v1/issues/{id} (one issue, its tasks, its history).
 *
 * Who sees what: an admin every issue, a department the issues routed to
 * it, an officer the issues they reported.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

static const char *const issues_query[] = { "period", "category", "state",
    "department", "limit", "offset", NULL };

/* May the caller see this issue? */
static int
api_issues_visible(const struct request *r, const redisReply *issue)
{
	const char *officer = util_reply_field(issue, "officer");
	const char *depts = util_reply_field(issue, "departments");
	cJSON *list, *d;
	int found = 0;

	switch (r->role) {
	case ROLE_ADMIN:
		return 1;
	case ROLE_OFFICER:
		return officer != NULL && strcmp(officer, r->actor_id) == 0;
	case ROLE_DEPARTMENT:
		if (depts == NULL || (list = cJSON_Parse(depts)) == NULL)
			return 0;
		cJSON_ArrayForEach(d, list)
			if (cJSON_IsString(d) &&
			    strcmp(d->valuestring, r->actor_id) == 0)
				found = 1;
		cJSON_Delete(list);
		return found;
	default:
		return 0;
	}
}

/* Answer with one issue as read.lua gives it (200, or 404 / 403). */
void
api_issues_reply(struct request *r, redisReply *reply)
{
	cJSON *obj;

	if (reply->type != REDIS_REPLY_ARRAY) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	if (reply->elements != 3) {
		request_error(r, 404, "not_found", "no such issue", NULL);
		return;
	}
	if (!api_issues_visible(r, reply->element[0])) {
		request_error(r, 403, "forbidden", "this issue is not yours",
		    NULL);
		return;
	}
	obj = issue_json(reply->element[0], reply->element[1]);
	cJSON_AddItemToObject(obj, "history",
	    issue_json_history(reply->element[2]));
	request_reply_json(r, 200, obj);
}

/* GET /api/v1/issues/{id} */
void
api_issues_one(struct request *r)
{
	if (!api_id_valid(r->param, 'I')) {
		request_error(r, 404, "not_found", "no such issue", NULL);
		return;
	}
	api_issues_fetch(r, r->param);
}

/* Read issue id and answer with it. */
void
api_issues_fetch(struct request *r, const char *id)
{
	const char *argv[2] = { "issue", id };

	request_script(r, SCRIPT_READ, api_issues_reply, 2, argv, NULL);
}

/* Is task one of the issue's current tasks (not a re-route's past)? */
static int
api_issues_current_task(const redisReply *issue, const char *task)
{
	const char *v = util_reply_field(issue, "tasks");
	cJSON *list = v != NULL ? cJSON_Parse(v) : NULL;
	const cJSON *t;
	int found = 0;

	cJSON_ArrayForEach(t, list)
		if (task != NULL && cJSON_IsString(t) &&
		    strcmp(t->valuestring, task) == 0)
			found = 1;
	cJSON_Delete(list);
	return found;
}

/*
 * list.lua's {{issue fields, tasks}, ...} → {"issues": [...]}, each row made
 * into an issue by issue_json and then by `shape` when there is one.
 */
static void
api_issues_reply_list(struct request *r, const redisReply *reply,
    cJSON *(*shape)(const redisReply *, cJSON *))
{
	cJSON *root, *list, *issue;
	const redisReply *row;
	size_t i;

	if ((root = api_list_answer(r, reply, "issues", &list)) == NULL)
		return;
	for (i = 0; i < reply->elements; i++) {
		row = reply->element[i];
		if (row->type != REDIS_REPLY_ARRAY || row->elements != 2)
			continue;
		issue = issue_json(row->element[0], row->element[1]);
		if (shape != NULL)
			issue = shape(row->element[0], issue);
		cJSON_AddItemToArray(list, issue);
	}
	request_reply_json(r, 200, root);
}

static void
api_issues_listed(struct request *r, redisReply *reply)
{
	api_issues_reply_list(r, reply, NULL);
}

/* GET /api/v1/issues?period=&category=&state=&department=&limit=&offset= */
void
api_issues(struct request *r)
{
	const char *category = request_query(r, "category");
	const char *state = request_query(r, "state");
	const char *dept = request_query(r, "department");
	char period[PERIOD_LEN + 1], limit[16], offset[16];
	char idx[5][128];
	const char *argv[8];
	int argc = 3, n = 0, have;

	if (request_check_query(r, issues_query) == -1 ||
	    api_page(r, limit, offset, sizeof limit) == -1 ||
	    (have = api_period(r, period, 0)) == -1)
		return;
	if (category != NULL && !api_one_of(category, issue_categories)) {
		request_error(r, 422, "invalid", "category is individual, common "
		    "or difficult", "category");
		return;
	}
	if (state != NULL && !api_one_of(state, issue_states)) {
		request_error(r, 422, "invalid", "state is queued, claimed, "
		    "responded, resolved, returned or closed", "state");
		return;
	}
	if (dept != NULL && roster_department(r->roster, dept) == NULL) {
		request_error(r, 422, "invalid", "no such department",
		    "department");
		return;
	}
	if (r->role == ROLE_DEPARTMENT) {
		if (dept != NULL && strcmp(dept, r->actor_id) != 0) {
			request_error(r, 403, "forbidden", "a department sees "
			    "only its own issues", "department");
			return;
		}
		dept = r->actor_id;
	}
	if (r->role == ROLE_OFFICER)
		snprintf(idx[n++], sizeof idx[0], "issues:officer:%s",
		    r->actor_id);
	if (dept != NULL)
		snprintf(idx[n++], sizeof idx[0], "issues:dept:%s", dept);
	if (have)
		snprintf(idx[n++], sizeof idx[0], "issues:period:%s", period);
	if (category != NULL)
		snprintf(idx[n++], sizeof idx[0], "issues:category:%s",
		    category);
	if (state != NULL)
		snprintf(idx[n++], sizeof idx[0], "issues:state:%s", state);
	if (n == 0)
		snprintf(idx[n++], sizeof idx[0], "issues");
	argv[0] = "issues";
	argv[1] = limit;
	argv[2] = offset;
	while (n > 0)
		argv[argc++] = idx[--n];
	request_script(r, SCRIPT_LIST, api_issues_listed, argc, argv, NULL);
}

/* --- GET /api/v1/triage: returned issues awaiting an admin --------------- */

static const char *const api_issues_triage_query[] = { "limit", "offset",
    NULL };

/*
 * The returns of an issue (tasks array of issue_json) that wait for an
 * admin: [{task, department, reason, returned_at}], for the list itself.
 */
static cJSON *
api_issues_returns(const cJSON *issue)
{
	static const char *const fields[][2] = {
		{ "task", "id" }, { "department", "department" },
		{ "reason", "return_reason" }, { "returned_at", "returned_at" },
		{ NULL, NULL }
	};
	cJSON *out = cJSON_CreateArray();
	const cJSON *t;

	cJSON_ArrayForEach(t, cJSON_GetObjectItem(issue, "tasks")) {
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(t,
		    "state")), "returned") != 0)
			continue;
		cJSON_AddItemToArray(out, issue_json_pick(t, fields));
	}
	return out;
}

/* A triage row: the issue with the returns still waiting (current tasks'). */
static cJSON *
api_issues_triage_row(const redisReply *fields, cJSON *issue)
{
	cJSON *tasks, *current;
	const cJSON *t, *id;

	tasks = cJSON_CreateObject();
	current = cJSON_AddArrayToObject(tasks, "tasks");
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(issue, "tasks")) {
		id = cJSON_GetObjectItem(t, "id");
		if (api_issues_current_task(fields, cJSON_GetStringValue(id)))
			cJSON_AddItemToArray(current, cJSON_Duplicate(t, 1));
	}
	cJSON_AddItemToObject(issue, "returns", api_issues_returns(tasks));
	cJSON_Delete(tasks);
	return issue;
}

static void
api_issues_triage_listed(struct request *r, redisReply *reply)
{
	api_issues_reply_list(r, reply, api_issues_triage_row);
}

/* GET /api/v1/triage?limit=&offset=: the returned issues, newest return
 * first, each with its returns (task, department, reason, when). */
void
api_issues_triage(struct request *r)
{
	char limit[16], offset[16];
	const char *argv[4];

	if (request_check_query(r, api_issues_triage_query) == -1 ||
	    api_page(r, limit, offset, sizeof limit) == -1)
		return;
	argv[0] = "issues";
	argv[1] = limit;
	argv[2] = offset;
	argv[3] = "triage";
	request_script(r, SCRIPT_LIST, api_issues_triage_listed, 4, argv, NULL);
}
