/*
 * api_deliveries.c -- GET /api/v1/deliveries (webhook deliveries and their
 * attempts) and POST /api/v1/deliveries/{id}/retry, for admins.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

static const char *const deliveries_query[] = { "department", "status",
    "limit", NULL };
static const char *const delivery_states[] = { "pending", "delivered",
    "dead", NULL };

static cJSON *
api_deliveries_delivery_json(const struct roster *roster, const redisReply *d,
    const redisReply *attempts)
{
	static const char *const fields[] = { "id", "event", "task",
	    "department", "issue", "status", "error", NULL };
	const struct department *dept;
	cJSON *obj = cJSON_CreateObject(), *list, *a, *at;
	const char *v;
	char buf[512], when[32];
	size_t i;

	for (i = 0; fields[i] != NULL; i++) {
		v = util_reply_field(d, fields[i]);
		cJSON_AddStringToObject(obj, fields[i], v ? v : "");
	}
	v = util_reply_field(d, "id");
	webhook_backend_id(v ? v : "", buf, sizeof buf);
	cJSON_AddStringToObject(obj, "webhook_id", buf);
	v = util_reply_field(d, "created");
	util_time_iso8601(v ? strtoll(v, NULL, 10) : 0, when);
	cJSON_AddStringToObject(obj, "created", when);
	v = util_reply_field(d, "next_at");
	if (v != NULL && *v != '\0') {
		util_time_iso8601(strtoll(v, NULL, 10), when);
		cJSON_AddStringToObject(obj, "next_at", when);
	} else {
		cJSON_AddNullToObject(obj, "next_at");
	}
	v = util_reply_field(d, "department");
	dept = v ? roster_department(roster, v) : NULL;
	if (dept != NULL && dept->webhook_url != NULL) {
		webhook_redact_url(dept->webhook_url, buf, sizeof buf);
		cJSON_AddStringToObject(obj, "url", buf);
		cJSON_AddStringToObject(obj, "format", dept->webhook_format);
	}
	list = cJSON_AddArrayToObject(obj, "attempts");
	for (i = 0; i < attempts->elements; i++) {
		if ((a = cJSON_Parse(attempts->element[i]->str)) == NULL)
			continue;
		at = cJSON_GetObjectItem(a, "at");
		if (cJSON_IsNumber(at)) {
			util_time_iso8601((int64_t)at->valuedouble, when);
			cJSON_ReplaceItemInObject(a, "at", cJSON_CreateString(when));
		}
		cJSON_AddItemToArray(list, a);
	}
	return obj;
}

static void
api_deliveries_listed(struct request *r, redisReply *reply)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(root, "deliveries");
	const redisReply *row;
	size_t i;

	for (i = 0; i < reply->elements; i++) {
		row = reply->element[i];
		if (row->type == REDIS_REPLY_ARRAY && row->elements == 2)
			cJSON_AddItemToArray(list, api_deliveries_delivery_json(r->roster,
			    row->element[0], row->element[1]));
	}
	request_reply_json(r, 200, root);
}

/* GET /api/v1/deliveries?department=&status=&limit= */
void
api_deliveries(struct request *r)
{
	const char *dept = request_query(r, "department");
	const char *status = request_query(r, "status");
	char limit[16], offset[16];
	const char *argv[5];

	if (request_check_query(r, deliveries_query) == -1 ||
	    api_page(r, limit, offset, sizeof limit) == -1)
		return;
	if (dept != NULL && roster_department(r->roster, dept) == NULL) {
		request_error(r, 422, "invalid", "no such department",
		    "department");
		return;
	}
	if (status != NULL && !api_one_of(status, delivery_states)) {
		request_error(r, 422, "invalid", "status is pending, delivered "
		    "or dead", "status");
		return;
	}
	argv[0] = "deliveries";
	argv[1] = dept ? dept : "";
	argv[2] = status ? status : "";
	argv[3] = limit;
	request_script(r, SCRIPT_READ, api_deliveries_listed, 4, argv, NULL);
}

static void
api_deliveries_delivery_retried(struct request *r, redisReply *reply)
{
	cJSON *root;

	if (api_workflow_refused(r, reply))
		return;
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "id", r->param);
	cJSON_AddStringToObject(root, "status", "pending");
	request_reply_json(r, 202, root);
}

/* POST /api/v1/deliveries/{id}/retry: send it again now. */
void
api_deliveries_retry(struct request *r)
{
	const char *argv[3];
	char payload[128];
	size_t n = strlen(r->param);

	if (n == 0 || n > 40 || strspn(r->param, "0123456789-") != n) {
		request_error(r, 404, "not_found", "no such delivery", NULL);
		return;
	}
	snprintf(payload, sizeof payload, "{\"id\":\"%.40s\",\"now\":%lld}",
	    r->param, (long long)util_now_ms());
	argv[0] = "retry";
	argv[1] = payload;
	request_script(r, SCRIPT_DELIVER, api_deliveries_delivery_retried, 2, argv, NULL);
}

/* --- POST /api/v1/deliveries/retry: a department's dead ones ------------- */

/* The most dead deliveries one call sends again; call again for more. */
#define API_DELIVERIES_RETRY_MAX 1000

static const char *const api_deliveries_retry_fields[] = { "department",
    NULL };

static void
api_deliveries_dead_retried(struct request *r, redisReply *reply)
{
	cJSON *root;

	if (api_workflow_refused(r, reply))
		return;
	if (reply->elements != 3 || reply->element[1]->type !=
	    REDIS_REPLY_STRING || reply->element[2]->type != REDIS_REPLY_STRING) {
		request_error(r, 500, "internal", "unexpected store reply",
		    NULL);
		return;
	}
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "department", r->param);
	cJSON_AddNumberToObject(root, "retried",
	    strtol(reply->element[1]->str, NULL, 10));
	cJSON_AddBoolToObject(root, "more",
	    strcmp(reply->element[2]->str, "1") == 0);
	request_reply_json(r, 202, root);
}

/*
 * POST /api/v1/deliveries/retry {"department": D}: every dead delivery of
 * D pending again now (at most API_DELIVERIES_RETRY_MAX; "more" says to
 * call again), and D's endpoint enabled again, as the one-delivery retry
 * does. After a department fixes its endpoint, one call sends what it
 * missed.
 */
void
api_deliveries_retry_department(struct request *r)
{
	struct api_error e;
	const char *dept;
	cJSON *body, *payload;

	if ((body = api_body_object(r, api_deliveries_retry_fields)) == NULL)
		return;
	if (validate_get_string(body, "department", "", 1, 64, &dept,
	    &e) == -1) {
		cJSON_Delete(body);
		request_fail(r, &e);
		return;
	}
	if (roster_department(r->roster, dept) == NULL) {
		cJSON_Delete(body);
		request_error(r, 422, "invalid", "no such department",
		    "department");
		return;
	}
	/* r->param (this route has no '*') carries it to the answer */
	snprintf(r->param, sizeof r->param, "%s", dept);
	payload = cJSON_CreateObject();
	cJSON_AddStringToObject(payload, "department", dept);
	cJSON_AddNumberToObject(payload, "limit", API_DELIVERIES_RETRY_MAX);
	cJSON_AddNumberToObject(payload, "now", (double)util_now_ms());
	cJSON_Delete(body);
	api_workflow_script(r, SCRIPT_DELIVER, "retry_dead", payload,
	    api_deliveries_dead_retried, 0, NULL);
}
