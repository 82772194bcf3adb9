/*
 * api_governance.c -- governance over time (SPEC §12) on the API: a
 * department's 延期申请 (POST /api/v1/tasks/{id}/extend), an admin's
 * decision (POST /api/v1/tasks/{id}/extension), the requests by state
 * (GET /api/v1/extensions) and the frozen ledgers (GET
 * /api/v1/ledger/snapshots[/{period}]). The rules are governance.c's; the
 * changes run in workflow.lua, which checks the task's state atomically.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/http.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define GOVERNANCE_REASON_MAX 500

static const char *const extend_fields[] = { "days", "reason", NULL };
static const char *const decision_fields[] = { "decision", "reason", NULL };
static const char *const decisions[] = { "approve", "deny", NULL };
static const char *const extension_states[] = { "pending", "approved",
    "denied", NULL };
static const char *const extensions_query[] = { "state", "limit", NULL };
static const char *const no_query[] = { NULL };

/* {'ok', task id, task fields} → 200 with the task. */
static void
api_governance_task_done(struct request *r, redisReply *reply)
{
	if (api_workflow_refused(r, reply))
		return;
	if (reply->elements != 3) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	request_reply_json(r, 200, issue_json_task(reply->element[2]));
}

/* POST /api/v1/tasks/{id}/extend {"days", "reason"}: 延期申请. */
void
api_governance_extend(struct request *r)
{
	struct api_error e;
	const char *reason;
	cJSON *body, *payload;
	int days;

	if (!api_id_valid(r->param, 'T')) {
		request_error(r, 404, "not_found", "no such task", NULL);
		return;
	}
	if ((body = api_body_object(r, extend_fields)) == NULL)
		return;
	if (governance_extension_days(body, &days, &e) == -1 ||
	    validate_get_string(body, "reason", "", 1, GOVERNANCE_REASON_MAX,
	    &reason, &e) == -1) {
		cJSON_Delete(body);
		request_fail(r, &e);
		return;
	}
	payload = api_workflow_payload(r);
	cJSON_AddStringToObject(payload, "department", r->actor_id);
	cJSON_AddStringToObject(payload, "task", r->param);
	cJSON_AddNumberToObject(payload, "days", days);
	cJSON_AddStringToObject(payload, "reason", reason);
	cJSON_AddNumberToObject(payload, "extensions_max",
	    r->config->extensions_max);
	cJSON_Delete(body);
	api_workflow_run(r, "extend", payload, api_governance_task_done, 0,
	    NULL);
}

/*
 * The task as read.lua read it: count the new due time of its running step
 * from its deadline and the waiting request's days, and let the script
 * decide (r->state: the payload so far).
 */
static void
api_governance_decide(struct request *r, redisReply *reply)
{
	cJSON *payload = r->state, *stored, *last, *days;
	const redisReply *task;
	const char *deadline, *pending, *list;
	char buf[32];
	int64_t due;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
		request_error(r, 404, "not_found", "no such task", NULL);
		return;
	}
	task = reply->element[0];
	pending = util_reply_field(task, "extension_pending");
	if (pending == NULL || strcmp(pending, "1") != 0) {
		request_error(r, 409, "conflict", "no extension of this task is "
		    "waiting", NULL);
		return;
	}
	deadline = util_reply_field(task, "deadline");
	list = util_reply_field(task, "extensions");
	stored = list != NULL ? cJSON_Parse(list) : NULL;
	last = stored != NULL ? cJSON_GetArrayItem(stored,
	    cJSON_GetArraySize(stored) - 1) : NULL;
	days = cJSON_GetObjectItemCaseSensitive(last, "days");
	due = -1;
	if (deadline != NULL && *deadline != '\0' && cJSON_IsNumber(days))
		due = governance_extended_due(r->calendar,
		    strtoll(deadline, NULL, 10), days->valueint);
	cJSON_Delete(stored);
	payload = cJSON_Duplicate(payload, 1);
	cJSON_AddStringToObject(payload, "from_due", deadline ? deadline : "");
	snprintf(buf, sizeof buf, "%lld", (long long)due);
	cJSON_AddStringToObject(payload, "new_due", due > 0 ? buf : "");
	api_workflow_run(r, "extension", payload, api_governance_task_done, 0,
	    NULL);
}

/* POST /api/v1/tasks/{id}/extension {"decision", "reason"}: an admin's. */
void
api_governance_extension(struct request *r)
{
	const char *argv[2] = { "task", r->param };
	const char *decision, *reason;
	struct api_error e;
	cJSON *body, *payload;

	if (!api_id_valid(r->param, 'T')) {
		request_error(r, 404, "not_found", "no such task", NULL);
		return;
	}
	if ((body = api_body_object(r, decision_fields)) == NULL)
		return;
	if (validate_get_string(body, "decision", "", 1, 16, &decision,
	    &e) == -1 ||
	    validate_get_string(body, "reason", "", 0, GOVERNANCE_REASON_MAX,
	    &reason, &e) == -1) {
		cJSON_Delete(body);
		request_fail(r, &e);
		return;
	}
	if (!api_one_of(decision, decisions)) {
		cJSON_Delete(body);
		request_error(r, 422, "invalid", "decision is approve or deny",
		    "decision");
		return;
	}
	if (strcmp(decision, "deny") == 0 && (reason == NULL ||
	    *reason == '\0')) {
		cJSON_Delete(body);
		request_error(r, 422, "invalid", "a denial gives its reason",
		    "reason");
		return;
	}
	payload = api_workflow_payload(r);
	cJSON_AddStringToObject(payload, "task", r->param);
	cJSON_AddStringToObject(payload, "decision", decision);
	cJSON_AddStringToObject(payload, "reason", reason ? reason : "");
	cJSON_AddNumberToObject(payload, "extensions_max",
	    r->config->extensions_max);
	cJSON_Delete(body);
	r->state = payload;
	r->state_free = (void (*)(void *))cJSON_Delete;
	request_script(r, SCRIPT_READ, api_governance_decide, 2, argv, NULL);
}

/*
 * One row of the list: the request (the entry n of the task's list, 1
 * based; the last when n is 0) with its task's id, department, state and
 * deadline. NULL when the task has no such request.
 */
static cJSON *
api_governance_row(const redisReply *task, long n)
{
	static const char *const fields[][2] = {
		{ "task", "id" }, { "department", "department" },
		{ "task_state", "state" }, { "deadline", "deadline" },
		{ "issues", "issues" }, { NULL, NULL }
	};
	cJSON *t = issue_json_task(task), *row, *list, *x;
	int count;

	list = cJSON_GetObjectItemCaseSensitive(t, "extensions");
	count = cJSON_GetArraySize(list);
	if (n <= 0)
		n = count;
	if (n < 1 || n > count) {
		cJSON_Delete(t);
		return NULL;
	}
	x = cJSON_DetachItemFromArray(list, (int)n - 1);
	row = issue_json_pick(t, fields);
	cJSON_AddItemToObject(row, "request", x);
	cJSON_Delete(t);
	return row;
}

/*
 * A row of the list from one entry of read.lua's {{member, task fields},
 * ...} (member: the task id, or 'T:N' for its Nth request); NULL for an
 * entry that is not one. The caller frees the row; /admin draws the same
 * rows (web_admin.c).
 */
cJSON *
api_governance_entry(const redisReply *e)
{
	const char *colon;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[1]->type != REDIS_REPLY_ARRAY ||
	    e->element[1]->elements == 0)
		return NULL;
	colon = strchr(e->element[0]->str, ':');
	return api_governance_row(e->element[1], colon != NULL ?
	    strtol(colon + 1, NULL, 10) : 0);
}

/* read.lua's {{member, task fields}, ...} → {"extensions": [...]}. */
static void
api_governance_listed(struct request *r, redisReply *reply)
{
	cJSON *root, *list, *row;
	size_t i;

	if ((root = api_list_answer(r, reply, "extensions", &list)) == NULL)
		return;
	for (i = 0; i < reply->elements; i++)
		if ((row = api_governance_entry(reply->element[i])) != NULL)
			cJSON_AddItemToArray(list, row);
	request_reply_json(r, 200, root);
}

/*
 * GET /api/v1/extensions?state=pending|approved|denied&limit=: the
 * requests waiting (oldest first) or decided (latest first).
 */
void
api_governance_extensions(struct request *r)
{
	const char *state = request_query(r, "state"), *argv[3];
	char limit[16], offset[16];

	if (request_check_query(r, extensions_query) == -1 ||
	    api_page(r, limit, offset, sizeof limit) == -1)
		return;
	if (state == NULL)
		state = "pending";
	if (!api_one_of(state, extension_states)) {
		request_error(r, 422, "invalid", "state is pending, approved or "
		    "denied", "state");
		return;
	}
	argv[0] = "extensions";
	argv[1] = state;
	argv[2] = limit;
	request_script(r, SCRIPT_READ, api_governance_listed, 3, argv, NULL);
}

/* read.lua's {period, ms, ...} → [{"period", "at"}]. */
static void
api_governance_snapshots_listed(struct request *r, redisReply *reply)
{
	cJSON *root, *list, *obj;
	char when[32];
	size_t i;

	if ((root = api_list_answer(r, reply, "snapshots", &list)) == NULL)
		return;
	for (i = 0; i + 1 < reply->elements; i += 2) {
		obj = cJSON_CreateObject();
		cJSON_AddStringToObject(obj, "period", reply->element[i]->str);
		util_time_iso8601(strtoll(reply->element[i + 1]->str, NULL, 10),
		    when);
		cJSON_AddStringToObject(obj, "at", when);
		cJSON_AddItemToArray(list, obj);
	}
	request_reply_json(r, 200, root);
}

/* GET /api/v1/ledger/snapshots: the frozen periods, oldest first. */
void
api_governance_snapshots(struct request *r)
{
	const char *argv[2] = { "snapshots", "" };

	if (request_check_query(r, no_query) == -1)
		return;
	request_script(r, SCRIPT_READ, api_governance_snapshots_listed, 2,
	    argv, NULL);
}

static void
api_governance_snapshot_read(struct request *r, redisReply *reply)
{
	if (reply->type != REDIS_REPLY_STRING) {
		request_error(r, 404, "not_found", "that period's ledger is not "
		    "frozen", NULL);
		return;
	}
	request_reply_raw(r, 200, "application/json; charset=utf-8",
	    reply->str);
}

/* GET /api/v1/ledger/snapshots/{period}: the ledger as it was frozen. */
void
api_governance_snapshot(struct request *r)
{
	const char *argv[2] = { "snapshot", r->param };
	struct period p;
	char canon[PERIOD_LEN + 1];

	if (request_check_query(r, no_query) == -1)
		return;
	if (period_parse(r->param, &p) == -1) {
		request_error(r, 404, "not_found", "not a period: use YYYY-MM-1 "
		    "or YYYY-MM-2", NULL);
		return;
	}
	period_format(&p, canon);
	if (strcmp(canon, r->param) != 0) {
		request_error(r, 404, "not_found", "not a period: use YYYY-MM-1 "
		    "or YYYY-MM-2", NULL);
		return;
	}
	request_script(r, SCRIPT_READ, api_governance_snapshot_read, 2, argv,
	    NULL);
}
