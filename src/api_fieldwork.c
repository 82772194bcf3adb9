/*
 * api_fieldwork.c -- POST and GET /api/v1/visits, /api/v1/events and
 * /api/v1/outcomes (SPEC §11): an officer's visits, talks and outcomes.
 *
 * A record is checked completely here (fieldwork.c) and stored by one run
 * of fieldwork.lua, with its history, its indexes and the running totals
 * the figures read, all or nothing. An Idempotency-Key works as for
 * reports: the same key and body answer the first record again.
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

#define API_FIELDWORK_RANGE_MAX 3660    /* days a range may span */
#define API_FIELDWORK_OUTCOMES_MAX 20   /* outcomes in one resolve */

/* The three kinds of record: their type and the name of their list. */
struct api_fieldwork_type {
	const char *type;        /* visit, event, outcome */
	const char *plural;      /* the list's member and index */
};
static const struct api_fieldwork_type api_fieldwork_types[] = {
	{ "visit", "visits" },
	{ "event", "events" },
	{ "outcome", "outcomes" },
};

static const struct api_fieldwork_type *
api_fieldwork_type(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof api_fieldwork_types /
	    sizeof api_fieldwork_types[0]; i++)
		if (strcmp(api_fieldwork_types[i].type, type) == 0)
			return &api_fieldwork_types[i];
	return NULL;
}

/*
 * ?from=&to= as day numbers: by default 1 January of this year to today
 * (zone time). Returns -1 having answered 422.
 */
int
api_fieldwork_range(struct request *r, int64_t *from, int64_t *to)
{
	const char *f = request_query(r, "from"), *t = request_query(r, "to");
	int64_t today = fieldwork_today(time(NULL));
	int y, m, d;

	date_from_days(today, &y, &m, &d);
	*from = date_to_days(y, 1, 1);
	*to = today;
	if (f != NULL && fieldwork_date_parse(f, from) == -1) {
		request_error(r, 422, "invalid", "not a date: use YYYY-MM-DD",
		    "from");
		return -1;
	}
	if (t != NULL && fieldwork_date_parse(t, to) == -1) {
		request_error(r, 422, "invalid", "not a date: use YYYY-MM-DD",
		    "to");
		return -1;
	}
	if (*from > *to) {
		request_error(r, 422, "invalid", "from is after to", "from");
		return -1;
	}
	if (*to - *from >= API_FIELDWORK_RANGE_MAX) {
		request_error(r, 422, "invalid", "a range spans at most ten "
		    "years", "from");
		return -1;
	}
	return 0;
}
/* The first officer linked to enterprise id, for an admin's outcome. */
static const char *
api_fieldwork_officer_of(const struct roster *roster, const char *id)
{
	size_t i;

	for (i = 0; i < roster->nofficers; i++)
		if (roster_officer_has(&roster->officers[i], id))
			return roster->officers[i].id;
	return "";
}

/*
 * {'created'|'replay', fields} → 201 with the record; a refusal
 * ({'invalid'|'forbidden'|'conflict', message, field}) → 422/403/409.
 */
static void
api_fieldwork_stored(struct request *r, redisReply *reply)
{
	static const struct {
		const char *outcome;
		int status;
	} refusals[] = {
		{ "invalid", 422 },
		{ "forbidden", 403 },
		{ "conflict", 409 },
	};
	const char *outcome;
	size_t i;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	outcome = reply->element[0]->str;
	for (i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
		if (strcmp(outcome, refusals[i].outcome) != 0)
			continue;
		request_error(r, refusals[i].status, outcome,
		    reply->element[1]->str, reply->elements > 2 ?
		    reply->element[2]->str : NULL);
		return;
	}
	if (strcmp(outcome, "replay") == 0)
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Idempotent-Replayed", "true");
	request_reply_json(r, 201, fieldwork_record_json(reply->element[1]));
}

static void
api_fieldwork_post(struct request *r, const struct api_fieldwork_type *t)
{
	const char *key = request_header(r, "Idempotency-Key");
	const struct officer *officer = NULL;
	struct api_error e;
	const char *argv[3];
	char hash[TOKEN_HASH_LEN + 1], ttl[16];
	cJSON *rec, *payload, *fields;

	if (r->role == ROLE_OFFICER && (officer = api_officer(r)) == NULL)
		return;
	if (r->role != ROLE_OFFICER && strcmp(t->type, "outcome") != 0) {
		request_error(r, 403, "forbidden", "only officers record visits "
		    "and talks", NULL);
		return;
	}
	if (api_json_body(r) == -1 || api_idempotency_key(r, key) == -1)
		return;
	if (strcmp(t->type, "visit") == 0)
		rec = fieldwork_visit_parse(r->body, r->bodylen, r->roster,
		    officer, time(NULL), &e);
	else if (strcmp(t->type, "event") == 0)
		rec = fieldwork_event_parse(r->body, r->bodylen, r->roster,
		    officer, time(NULL), &e);
	else
		rec = fieldwork_outcome_parse(r->body, r->bodylen, r->roster,
		    officer, time(NULL), &e);
	if (rec == NULL) {
		request_fail(r, &e);
		return;
	}
	fields = cJSON_GetObjectItem(rec, "fields");
	/*
	 * An officer's record is theirs; an admin's outcome is counted for
	 * its issue's officer (fieldwork.lua), else for the enterprise's.
	 */
	if (officer != NULL) {
		cJSON_AddBoolToObject(rec, "own", 1);
	} else if (*cJSON_GetObjectItem(fields, "issue")->valuestring == '\0' &&
	    *cJSON_GetObjectItem(fields, "enterprise")->valuestring != '\0') {
		cJSON_ReplaceItemInObject(fields, "officer", cJSON_CreateString(
		    api_fieldwork_officer_of(r->roster, cJSON_GetObjectItem(
		    fields, "enterprise")->valuestring)));
	}
	payload = api_workflow_payload(r);
	cJSON_AddItemToObject(payload, "record", rec);
	util_sha256_hex(r->body, r->bodylen, hash);
	snprintf(ttl, sizeof ttl, "%d", r->config->idempotency_ttl_s);
	argv[0] = hash;
	argv[1] = key != NULL ? key : "";
	argv[2] = ttl;
	api_fieldwork_run(r, "record", payload, api_fieldwork_stored, 3, argv);
}

/* Run action of fieldwork.lua with payload (freed here). */
int
api_fieldwork_run(struct request *r, const char *action, cJSON *payload,
    request_reply_fn fn, int argc, const char **extra)
{
	return api_workflow_script(r, SCRIPT_FIELDWORK, action, payload, fn,
	    argc, extra);
}

static void
api_fieldwork_listed(struct request *r, redisReply *reply)
{
	const struct api_fieldwork_type *t = r->state;
	cJSON *root, *list;
	size_t i;

	if ((root = api_list_answer(r, reply, t->plural, &list)) == NULL)
		return;
	for (i = 0; i < reply->elements; i++)
		cJSON_AddItemToArray(list,
		    fieldwork_record_json(reply->element[i]));
	request_reply_json(r, 200, root);
}

/*
 * GET: ?officer= (an officer's own, or any for an admin), ?enterprise=
 * (visits), ?kind= (outcomes), ?from=&to=, ?limit=&offset=. The narrowest
 * index given drives the walk; the other filters are checked per record.
 */
static void
api_fieldwork_get(struct request *r, const struct api_fieldwork_type *t)
{
	static const char *const query[] = { "officer", "enterprise", "kind",
	    "from", "to", "limit", "offset", NULL };
	const char *officer = request_query(r, "officer");
	const char *ent = request_query(r, "enterprise");
	const char *kind = request_query(r, "kind");
	char limit[16], offset[16], index[160], score[32];
	int64_t from, to;
	cJSON *payload, *match;

	if (request_check_query(r, query) == -1 ||
	    api_page(r, limit, offset, sizeof limit) == -1 ||
	    api_fieldwork_range(r, &from, &to) == -1)
		return;
	if (r->role == ROLE_OFFICER) {
		if (officer != NULL && strcmp(officer, r->actor_id) != 0) {
			request_error(r, 403, "forbidden", "an officer sees only "
			    "their own records", "officer");
			return;
		}
		officer = r->actor_id;
	}
	if (ent != NULL && strcmp(t->type, "visit") != 0) {
		request_error(r, 400, "bad_request", "enterprise filters visits "
		    "only", "enterprise");
		return;
	}
	if (kind != NULL && (strcmp(t->type, "outcome") != 0 ||
	    fieldwork_kind_find(fieldwork_outcome_kinds, kind) == NULL)) {
		request_error(r, 422, "invalid", "not an outcome kind", "kind");
		return;
	}
	if (officer != NULL && roster_officer(r->roster, officer) == NULL) {
		request_error(r, 404, "not_found", "no such officer", "officer");
		return;
	}
	if (ent != NULL && roster_enterprise(r->roster, ent) == NULL) {
		request_error(r, 404, "not_found", "no such enterprise",
		    "enterprise");
		return;
	}
	payload = cJSON_CreateObject();
	match = cJSON_AddObjectToObject(payload, "match");
	if (ent != NULL) {
		snprintf(index, sizeof index, "%s:enterprise:%s", t->plural, ent);
		if (officer != NULL)
			cJSON_AddStringToObject(match, "officer", officer);
	} else if (officer != NULL) {
		snprintf(index, sizeof index, "%s:officer:%s", t->plural,
		    officer);
		if (kind != NULL)
			cJSON_AddStringToObject(match, "kind", kind);
	} else if (kind != NULL) {
		snprintf(index, sizeof index, "%s:kind:%s", t->plural, kind);
	} else {
		snprintf(index, sizeof index, "%s", t->plural);
	}
	cJSON_AddStringToObject(payload, "type", t->type);
	cJSON_AddStringToObject(payload, "index", index);
	snprintf(score, sizeof score, "%lld", (long long)from * 100000000);
	cJSON_AddStringToObject(payload, "min", score);
	snprintf(score, sizeof score, "%lld", (long long)to * 100000000 +
	    99999999);
	cJSON_AddStringToObject(payload, "max", score);
	cJSON_AddNumberToObject(payload, "limit", atoi(limit));
	cJSON_AddNumberToObject(payload, "offset", atoi(offset));
	r->state = (void *)t;
	r->state_free = NULL;
	api_fieldwork_run(r, "list", payload, api_fieldwork_listed, 0, NULL);
}

/*
 * The "outcomes" of a resolve's body (at most API_FIELDWORK_OUTCOMES_MAX),
 * checked and added to the workflow payload as records; workflow.lua
 * stores them in the same step. Returns -1 having answered.
 */
int
api_fieldwork_outcomes(struct request *r, const cJSON *body, cJSON *payload)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "outcomes");
	const cJSON *item;
	struct api_error e;
	cJSON *out, *rec;
	char prefix[32];
	int i = 0;

	if (list == NULL)
		return 0;
	if (!cJSON_IsArray(list)) {
		request_error(r, 400, "bad_request", "must be an array",
		    "outcomes");
		return -1;
	}
	if (cJSON_GetArraySize(list) > API_FIELDWORK_OUTCOMES_MAX) {
		request_error(r, 422, "invalid", "too many outcomes in one "
		    "resolve", "outcomes");
		return -1;
	}
	out = cJSON_AddArrayToObject(payload, "outcomes");
	cJSON_ArrayForEach(item, list) {
		snprintf(prefix, sizeof prefix, "outcomes[%d]", i++);
		if (!cJSON_IsObject(item)) {
			request_error(r, 400, "bad_request", "must be an object",
			    prefix);
			return -1;
		}
		rec = fieldwork_outcome_read(item, prefix, r->roster, NULL, 1,
		    time(NULL), &e);
		if (rec == NULL) {
			request_fail(r, &e);
			return -1;
		}
		cJSON_AddItemToArray(out, rec);
	}
	return 0;
}

/* /api/v1/visits, /api/v1/events, /api/v1/outcomes (route arg: type). */
void
api_fieldwork(struct request *r)
{
	const struct api_fieldwork_type *t = api_fieldwork_type(r->route->arg);

	if (r->role == ROLE_DEPARTMENT) {
		request_error(r, 403, "forbidden", "departments record outcomes "
		    "when they resolve a task", NULL);
		return;
	}
	if (r->method == EVHTTP_REQ_POST)
		api_fieldwork_post(r, t);
	else
		api_fieldwork_get(r, t);
}
