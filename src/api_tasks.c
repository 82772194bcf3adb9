/*
 * api_tasks.c -- a department's work: its queue (GET …/queue), claiming the
 * oldest task (POST …/claim), one task (GET /api/v1/tasks/{id}) and its
 * steps: claim, respond, resolve, return (退单). The steps run in
 * workflow.lua, which checks the task's department and state atomically.
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

static const char *const queue_query[] = { "limit", NULL };

/* The department named in the path: 404 unknown, 403 not the caller's. */
static const struct department *
api_tasks_department(struct request *r)
{
	const struct department *d = roster_department(r->roster, r->param);

	if (d == NULL) {
		request_error(r, 404, "not_found", "no such department", NULL);
		return NULL;
	}
	if (r->role == ROLE_DEPARTMENT && strcmp(d->id, r->actor_id) != 0) {
		request_error(r, 403, "forbidden", "a department sees only its "
		    "own queue", NULL);
		return NULL;
	}
	return d;
}

static void
api_tasks_queue_read(struct request *r, redisReply *reply)
{
	const redisReply *tasks;
	cJSON *root, *list;
	char total[32];
	size_t i;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	snprintf(total, sizeof total, "%lld", reply->element[0]->integer);
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "X-Total-Count", total);
	root = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(root, "tasks");
	tasks = reply->element[1];
	for (i = 0; i < tasks->elements; i++)
		cJSON_AddItemToArray(list, issue_json_task(tasks->element[i]));
	request_reply_json(r, 200, root);
}

/*
 * GET /api/v1/departments/{dept}/queue?limit=: queued tasks, oldest first;
 * at most limit of them (default list_limit); the X-Total-Count header
 * says how many are queued in all.
 */
void
api_tasks_queue(struct request *r)
{
	const char *argv[3];
	char limit[16], offset[16];

	if (request_check_query(r, queue_query) == -1 ||
	    api_tasks_department(r) == NULL ||
	    api_page(r, limit, offset, sizeof limit) == -1)
		return;
	if (request_query(r, "limit") == NULL)
		snprintf(limit, sizeof limit, "%d", r->config->list_limit);
	argv[0] = "queue";
	argv[1] = r->param;
	argv[2] = limit;
	request_script(r, SCRIPT_READ, api_tasks_queue_read, 3, argv, NULL);
}

/* {'ok', task id, task fields} → 200 with the task. */
static void
api_tasks_task_stepped(struct request *r, redisReply *reply)
{
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
	    reply->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(reply->element[0]->str, "empty") == 0) {
		request_reply_raw(r, 204, "application/json; charset=utf-8", "");
		return;
	}
	if (api_workflow_refused(r, reply))
		return;
	if (reply->elements != 3) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	request_reply_json(r, 200, issue_json_task(reply->element[2]));
}

/*
 * Check the body of a step ({"claimant"} etc.) and run it: on task, or on
 * the oldest queued task when task is NULL.
 */
static void
api_tasks_run_step(struct request *r, const char *name, const char *task)
{
	const struct task_step *step = task_step_find(name);
	const char *fields[3] = { step->body, NULL, NULL }, *text;
	struct api_error e;
	cJSON *body, *payload, *from;
	int s;

	/* A resolve may record outcomes in the same step (SPEC §11). */
	if (strcmp(step->name, "resolve") == 0)
		fields[1] = "outcomes";
	if ((body = api_body_object(r, fields)) == NULL)
		return;
	if (validate_get_string(body, step->body, "", 1, step->max, &text,
	    &e) == -1) {
		cJSON_Delete(body);
		request_fail(r, &e);
		return;
	}
	payload = api_workflow_payload(r);
	cJSON_AddStringToObject(payload, "department", r->actor_id);
	cJSON_AddStringToObject(payload, "step", step->name);
	cJSON_AddStringToObject(payload, "text", text);
	if (fields[1] != NULL && api_fieldwork_outcomes(r, body, payload) == -1) {
		cJSON_Delete(body);
		cJSON_Delete(payload);
		return;
	}
	cJSON_Delete(body);
	/* The state machine (task.c), for the script to apply. */
	from = cJSON_AddArrayToObject(payload, "from");
	for (s = 0; s < TASK_STATE_COUNT; s++)
		if (task_step_allowed(step, s))
			cJSON_AddItemToArray(from,
			    cJSON_CreateString(task_state_name(s)));
	cJSON_AddStringToObject(payload, "to", step->to);
	cJSON_AddStringToObject(payload, "field", step->field);
	cJSON_AddStringToObject(payload, "event", step->event);
	if (step->next != NULL)
		cJSON_AddStringToObject(payload, "next", step->next);
	if (strcmp(step->name, "return") == 0)
		governance_return_window(payload, r->config);
	if (task == NULL) {
		api_workflow_run(r, "claim_next", payload,
		    api_tasks_task_stepped, 0, NULL);
		return;
	}
	cJSON_AddStringToObject(payload, "task", task);
	api_workflow_run(r, "step", payload, api_tasks_task_stepped, 0, NULL);
}

/* POST /api/v1/departments/{dept}/claim {"claimant"}: the oldest task. */
void
api_tasks_claim_next(struct request *r)
{
	if (api_tasks_department(r) == NULL)
		return;
	api_tasks_run_step(r, "claim", NULL);
}

/* POST /api/v1/tasks/{id}/claim|respond|resolve|return */
void
api_tasks_step(struct request *r)
{
	if (!api_id_valid(r->param, 'T')) {
		request_error(r, 404, "not_found", "no such task", NULL);
		return;
	}
	api_tasks_run_step(r, r->route->arg, r->param);
}

static void
api_tasks_task_read(struct request *r, redisReply *reply)
{
	static const char *const fields[] = { "id", "enterprise", "topic",
	    "title", "detail", "officer", "category", "state", "period", NULL };
	const redisReply *issue;
	const char *dept, *v;
	cJSON *task, *details, *d;
	size_t i, j;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
		request_error(r, 404, "not_found", "no such task", NULL);
		return;
	}
	dept = util_reply_field(reply->element[0], "department");
	if (r->role != ROLE_ADMIN && (dept == NULL ||
	    strcmp(dept, r->actor_id) != 0)) {
		request_error(r, 403, "forbidden", "this task belongs to another "
		    "department", NULL);
		return;
	}
	task = issue_json_task(reply->element[0]);
	details = cJSON_AddArrayToObject(task, "details");
	for (i = 0; i < reply->element[1]->elements; i++) {
		issue = reply->element[1]->element[i];
		d = cJSON_CreateObject();
		for (j = 0; fields[j] != NULL; j++) {
			v = util_reply_field(issue, fields[j]);
			cJSON_AddStringToObject(d, fields[j], v ? v : "");
		}
		cJSON_AddItemToArray(details, d);
	}
	request_reply_json(r, 200, task);
}

/* GET /api/v1/tasks/{id}: the task and what its issues say. */
void
api_tasks_one(struct request *r)
{
	const char *argv[2] = { "task", r->param };

	if (!api_id_valid(r->param, 'T')) {
		request_error(r, 404, "not_found", "no such task", NULL);
		return;
	}
	request_script(r, SCRIPT_READ, api_tasks_task_read, 2, argv, NULL);
}
