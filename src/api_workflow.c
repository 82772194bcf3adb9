/*
 * api_workflow.c -- what every changing request shares: the payload of the
 * workflow script (time, actor, deadlines for tasks it may queue), running
 * it, and turning its refusals into JSON errors.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

/*
 * When a task queued at ms is due: after seconds when the config says so
 * (for tests), else at the end of the days-th working day.
 */
static void
api_workflow_due(const struct request *r, int64_t ms, int days, int seconds,
    cJSON *due, const char *name)
{
	char buf[32];
	int64_t at;

	if (seconds > 0)
		at = ms + (int64_t)seconds * 1000;
	else
		at = (int64_t)workdays_due(r->calendar, (time_t)(ms / 1000),
		    days) * 1000 + 999;
	snprintf(buf, sizeof buf, "%lld", (long long)at);
	cJSON_AddStringToObject(due, name, buf);
}

/*
 * A new payload for the workflow script: now, the actor ("officer:O001")
 * and the deadlines of a task queued now; the task stages and the rules
 * are added when it is printed (generation_payload_print). Caller frees
 * (api_workflow_run does).
 */
cJSON *
api_workflow_payload(struct request *r)
{
	const struct config *cfg = r->config;
	cJSON *root = cJSON_CreateObject(), *due;
	char now[32], actor[96];
	int64_t ms = util_now_ms();

	snprintf(now, sizeof now, "%lld", (long long)ms);
	snprintf(actor, sizeof actor, "%s:%s", auth_role_name(r->role),
	    r->actor_id);
	cJSON_AddStringToObject(root, "now", now);
	cJSON_AddStringToObject(root, "actor", actor);
	due = cJSON_AddObjectToObject(root, "due");
	api_workflow_due(r, ms, cfg->claim_days, cfg->claim_seconds, due, "claim");
	api_workflow_due(r, ms, cfg->respond_days, cfg->respond_seconds, due,
	    "respond");
	api_workflow_due(r, ms, cfg->resolve_days, cfg->resolve_seconds, due,
	    "resolve");
	/* The 退单 window of a task queued now (issue 16). */
	api_workflow_due(r, ms, cfg->return_days, cfg->return_seconds, due,
	    "returnable");
	return root;
}

/*
 * Run action of script (workflow.lua, fieldwork.lua) with payload (freed
 * here) and extra arguments; fn gets the reply. Returns -1 having answered
 * 503 when Redis is down.
 */
int
api_workflow_script(struct request *r, enum store_script_id script,
    const char *action, cJSON *payload, request_reply_fn fn, int argc,
    const char **extra)
{
	const char *argv[STORE_SCRIPT_MAXARGS];
	char *text = generation_payload_print(r->gen, payload);
	int i, rc;

	cJSON_Delete(payload);
	argv[0] = action;
	argv[1] = text;
	for (i = 0; i < argc && i + 2 < STORE_SCRIPT_MAXARGS; i++)
		argv[i + 2] = extra[i];
	rc = request_script(r, script, fn, i + 2, argv, NULL);
	free(text);
	return rc;
}

/* Run action of workflow.lua: api_workflow_script's. */
int
api_workflow_run(struct request *r, const char *action, cJSON *payload,
    request_reply_fn fn, int argc, const char **extra)
{
	return api_workflow_script(r, SCRIPT_WORKFLOW, action, payload, fn,
	    argc, extra);
}

/*
 * Answer the script's refusal, if it is one ({'not_found'|'forbidden'|
 * 'conflict', message}). Returns 1 when it answered, 0 for an 'ok'.
 */
int
api_workflow_refused(struct request *r, const redisReply *reply)
{
	static const struct {
		const char *outcome;
		int status;
	} refusals[] = {
		{ "not_found", 404 },
		{ "forbidden", 403 },
		{ "conflict", 409 },
		{ "invalid", 422 },
	};
	const char *outcome;
	size_t i;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return 1;
	}
	outcome = reply->element[0]->str;
	for (i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
		if (strcmp(outcome, refusals[i].outcome) == 0) {
			request_error(r, refusals[i].status, outcome,
			    reply->element[1]->str, NULL);
			return 1;
		}
	}
	return 0;
}


