/*
 * api_digests.c -- POST /api/v1/digests {"week": "2026-W48"}: an admin asks
 * for a week's digests to be built and sent again now. The request is
 * recorded in Redis (digest.lua's request: a new run, who asked, when); the
 * scheduler (digest_sched.c) does the rest, so the answer is 202.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

static const char *const digests_fields[] = { "week", NULL };

static void
api_digests_requested(struct request *r, redisReply *reply)
{
	struct digest_sched *sched = r->daemon->digest;
	cJSON *root;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[1]->type != REDIS_REPLY_STRING) {
		request_error(r, 503, "unavailable", "the store gave an "
		    "unexpected answer", NULL);
		return;
	}
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "week", r->state);
	cJSON_AddNumberToObject(root, "run",
	    strtol(reply->element[1]->str, NULL, 10));
	cJSON_AddStringToObject(root, "state", "requested");
	cJSON_AddStringToObject(root, "requested_by", r->actor_id);
	request_reply_json(r, 202, root);     /* frees r */
	if (sched != NULL)
		digest_sched_kick(sched);
}

/* POST /api/v1/digests: the week must exist and have ended. */
void
api_digests(struct request *r)
{
	struct digest_week w;
	struct api_error e;
	const char *week;
	int64_t from, to;
	cJSON *body, *o;
	struct tm tm;
	time_t now = time(NULL);

	if ((body = api_body_object(r, digests_fields)) == NULL)
		return;
	if (validate_get_string(body, "week", "", 1, DIGEST_WEEK_LEN, &week,
	    &e) == -1) {
		cJSON_Delete(body);
		request_fail(r, &e);
		return;
	}
	if (digest_week_parse(week, &w) == -1) {
		cJSON_Delete(body);
		request_error(r, 422, "invalid", "week is an ISO week such as "
		    "2026-W48", "week");
		return;
	}
	localtime_r(&now, &tm);
	digest_week_bounds(&w, (int)tm.tm_gmtoff, &from, &to);
	if (to > util_now_ms()) {
		cJSON_Delete(body);
		request_error(r, 422, "invalid", "that week has not ended yet",
		    "week");
		return;
	}
	r->state = xstrdup(week);
	r->state_free = free;
	cJSON_Delete(body);

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "week", r->state);
	cJSON_AddStringToObject(o, "by", r->actor_id);
	cJSON_AddNumberToObject(o, "now", (double)util_now_ms());
	api_workflow_script(r, SCRIPT_DIGEST, "request", o,
	    api_digests_requested, 0, NULL);
}
