/*
 * api_reports.c -- POST /api/v1/reports (an officer's half-month report)
 * and GET /api/v1/reports (the reports of an officer or of a period).
 *
 * A submission is checked completely in the daemon (report.c) and then
 * written by one Lua script (src/lua/workflow.lua), so that a 201 means the
 * report, its issues, their tasks, queue entries and outbox entries are all
 * in Redis, and any failure means none of them is.
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

static const char *const reports_query[] = { "period", "limit", "offset",
    NULL };
/*
 * Put the issues just stored in the window of recent issues, so that the
 * next report sees them at once; a new group's earlier members learn their
 * group too. payload is what the script got (state of the request).
 */
static void
api_reports_remember(struct request *r, const char *response)
{
	struct similar_window *w = window_index(r->daemon->window);
	const cJSON *payload = r->state, *items, *item, *issue, *m;
	cJSON *json = cJSON_Parse(response);
	const char *group, *text;
	struct period p;
	char *both;

	if (json == NULL)
		return;
	period_parse(cJSON_GetObjectItem(payload, "period")->valuestring, &p);
	items = cJSON_GetObjectItem(payload, "items");
	issue = cJSON_GetObjectItem(json, "issues")->child;
	for (item = items->child; item != NULL && issue != NULL;
	    item = item->next, issue = issue->next) {
		group = cJSON_GetStringValue(cJSON_GetObjectItem(issue, "group"));
		text = cJSON_GetStringValue(cJSON_GetObjectItem(item, "title"));
		xasprintf(&both, "%s\n%s", text, cJSON_GetStringValue(
		    cJSON_GetObjectItem(item, "detail")));
		similar_window_add(w, cJSON_GetStringValue(
		    cJSON_GetObjectItem(issue, "id")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(item, "topic")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(item,
		    "enterprise")), period_key(&p), group, both);
		free(both);
		if (group == NULL)
			continue;
		m = cJSON_GetObjectItem(cJSON_GetObjectItem(item, "common"),
		    "members");
		/* An issue's group never changes: a finished group's members
		 * keep theirs when a new group forms beside it. */
		for (m = m ? m->child : NULL; m != NULL; m = m->next)
			if (similar_window_group(w, m->valuestring) == NULL)
				similar_window_set_group(w, m->valuestring,
				    group);
	}
	cJSON_Delete(json);
}

static void api_reports_store(struct request *);

static void
api_reports_submitted(struct request *r, redisReply *reply)
{
	const char *outcome;
	char message[256];
	char why[160];

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
	    reply->elements > 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	outcome = reply->element[0]->str;
	if (strcmp(outcome, "reauth") == 0) {
		auth_recheck(r);     /* the token names no longer who it did */
		return;
	}
	/* The script checked a remembered token: who is asking is sure. */
	r->confirm = NULL;
	/* A stored report's topic counts: trend alerts (trend_sched.c). */
	if (reply->elements == 3 &&
	    reply->element[2]->type == REDIS_REPLY_STRING)
		trend_check(r->daemon, r->gen, reply->element[2]->str);
	if (strcmp(outcome, "conflict") == 0) {
		request_error(r, 409, "conflict", "this Idempotency-Key was "
		    "already used with a different body", NULL);
		return;
	}
	if (strcmp(outcome, "limit") == 0) {
		snprintf(message, sizeof message, "an officer reports at most "
		    "%d items in a period ([limits] items_per_period); %s more "
		    "may be reported in this one", r->config->items_per_period,
		    reply->element[1]->str);
		request_error(r, 429, "rate_limited", message, "items");
		return;
	}
	if (strcmp(outcome, "reported") == 0) {
		snprintf(why, sizeof why, "a zero report says the period had "
		    "no problem, but your report %s of this period has issues",
		    reply->element[1]->str);
		request_error(r, 409, "already_reported", why, "items");
		return;
	}
	if (strcmp(outcome, "recheck") == 0) {
		api_recurrence_find(r, api_reports_store);
		return;
	}
	if (strcmp(outcome, "replay") == 0)
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Idempotent-Replayed", "true");
	else
		api_reports_remember(r, reply->element[1]->str);
	request_reply_raw(r, 201, "application/json; charset=utf-8",
	    reply->element[1]->str);
}

/*
 * Is the item the same problem as recent issues of other enterprises? Adds
 * "common": {"group": G} to join a group one of them is in, and {"members":
 * [...]} to form a group with them when, with this one, enough
 * enterprises raised it (rules.c's common rule). The script checks both
 * again against what Redis holds: a group whose task is finished takes no
 * new member, nor does an issue whose task is.
 */
static void
api_reports_common(struct request *r, const struct report_item *it,
    cJSON *item)
{
	struct similar_window *w = window_index(r->daemon->window);
	struct similar_match m[64];
	const char *group = NULL;
	size_t n, i, j, others = 0;
	cJSON *common, *members;
	char *text;

	xasprintf(&text, "%s\n%s", it->title, it->detail);
	n = similar_window_match(w, it->topic->id, text, window_oldest_key(),
	    r->config->similarity, m, sizeof m / sizeof m[0]);
	free(text);
	for (i = 0; i < n; i++) {
		if (m[i].group != NULL && group == NULL)
			group = m[i].group;
		if (strcmp(m[i].enterprise, it->enterprise->id) == 0)
			continue;
		for (j = 0; j < i; j++)
			if (strcmp(m[j].enterprise, m[i].enterprise) == 0)
				break;
		if (j == i)
			others++;
	}
	if (group == NULL && !rules_reached(RULE_COMMON, r->config, others + 1))
		return;
	common = cJSON_AddObjectToObject(item, "common");
	if (group != NULL)
		cJSON_AddStringToObject(common, "group", group);
	/* The group may be finished: the script then looks at these. */
	members = cJSON_AddArrayToObject(common, "members");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(members, cJSON_CreateString(m[i].issue));
}

/* The script's input: the checked report with its routing and deadlines. */
static cJSON *
api_reports_payload(struct request *r, const struct report_input *in)
{
	cJSON *root = api_workflow_payload(r), *items, *item, *depts;
	char period[PERIOD_LEN + 1], reason[256];
	const struct report_item *it;
	const struct topic *rt;
	size_t i, j;

	period_format(&in->period, period);
	cJSON_AddStringToObject(root, "officer", r->actor_id);
	/* Who is asking was remembered (auth.c): the script checks it. */
	if (r->confirm != NULL)
		cJSON_AddStringToObject(root, "token", r->token_hash);
	cJSON_AddStringToObject(root, "period", period);
	cJSON_AddBoolToObject(root, "late", in->late);
	util_json_add_int(root, "items_cap", r->config->items_per_period);
	/* The periods a topic's trend is measured against (trend.c). */
	cJSON_AddItemToObject(root, "trend", trend_periods_json(r->config,
	    &in->period));
	util_json_add_int(root, "trend_keep_s", TREND_SET_SECONDS);
	/*
	 * A zero report (no items) says the period had no problem: refused
	 * once the officer reported issues for it. The script checks, so
	 * that a report racing it is seen.
	 */
	cJSON_AddBoolToObject(root, "zero_refused_after_issues",
	    in->nitems == 0);
	items = cJSON_AddArrayToObject(root, "items");
	for (i = 0; i < in->nitems; i++) {
		it = &in->items[i];
		rt = it->route_topic;
		item = cJSON_CreateObject();
		cJSON_AddStringToObject(item, "enterprise", it->enterprise->id);
		cJSON_AddStringToObject(item, "topic", it->topic->id);
		cJSON_AddStringToObject(item, "title", it->title);
		cJSON_AddStringToObject(item, "detail", it->detail);
		cJSON_AddBoolToObject(item, "difficult", it->difficult);
		cJSON_AddStringToObject(item, "category", it->category);
		cJSON_AddStringToObject(item, "reason", it->reason);
		depts = cJSON_AddArrayToObject(item, "departments");
		for (j = 0; j < rt->ndepartments; j++)
			cJSON_AddItemToArray(depts,
			    cJSON_CreateString(rt->departments[j]->id));
		if (rt != it->topic)
			snprintf(reason, sizeof reason, "topic %s matched the "
			    "keywords of topic %s", it->topic->id, rt->id);
		else
			snprintf(reason, sizeof reason, "by topic %s",
			    it->topic->id);
		cJSON_AddStringToObject(item, "route_reason", reason);
		api_reports_common(r, it, item);
		cJSON_AddItemToArray(items, item);
	}
	return root;
}

static void
api_reports_post(struct request *r)
{
	const char *key = request_header(r, "Idempotency-Key");
	const struct officer *officer;
	struct report_input *in;
	struct api_error e;
	cJSON *payload;

	if (r->role != ROLE_OFFICER) {
		request_error(r, 403, "forbidden", "only officers submit reports",
		    NULL);
		return;
	}
	if ((officer = api_officer(r)) == NULL)
		return;
	/* Common problems are found in the window: it must be read first. */
	if (!window_loaded(r->daemon->window)) {
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Retry-After", "1");
		request_error(r, 503, "unavailable", "starting: reading the "
		    "recent issues from redis", NULL);
		return;
	}
	if (api_json_body(r) == -1 || api_idempotency_key(r, key) == -1)
		return;
	in = report_parse(r->body, r->bodylen, r->roster, officer, r->config,
	    time(NULL), &e);
	if (in == NULL) {
		request_fail(r, &e);
		return;
	}
	payload = api_reports_payload(r, in);
	report_input_free(in);
	r->state = payload;
	r->state_free = (void (*)(void *))cJSON_Delete;
	/* Recurrences (复发) are read from Redis first, unless the store
	 * finds no finished issue to read (api_recurrence.c). */
	api_recurrence_defer(r);
	api_reports_store(r);
}

/* Store the report whose payload is r->state (kept for the reply). */
static void
api_reports_store(struct request *r)
{
	const char *key = request_header(r, "Idempotency-Key");
	char hash[TOKEN_HASH_LEN + 1], ttl[16], *payload;

	util_sha256_hex(r->body, r->bodylen, hash);
	snprintf(ttl, sizeof ttl, "%d", r->config->idempotency_ttl_s);
	/* With the other reports of this loop turn: one call, one fsync; the
	 * generation's constants go once a call (intake.c). */
	if ((payload = cJSON_PrintUnformatted(r->state)) == NULL)
		fatalx("out of memory");
	intake_submit(r, payload, hash, key != NULL ? key : "", ttl,
	    api_reports_submitted);
	free(payload);
}

/* A report as the API shows it, from its Redis hash (flat array). */
static cJSON *
api_reports_json(const redisReply *flat)
{
	cJSON *obj = cJSON_CreateObject(), *issues;
	const char *k, *v;
	char when[32];
	size_t i;

	for (i = 0; i + 1 < flat->elements; i += 2) {
		k = flat->element[i]->str;
		v = flat->element[i + 1]->str;
		if (strcmp(k, "created") == 0) {
			util_time_iso8601(strtoll(v, NULL, 10), when);
			cJSON_AddStringToObject(obj, k, when);
		} else if (strcmp(k, "late") == 0) {
			cJSON_AddBoolToObject(obj, k, strcmp(v, "1") == 0);
		} else if (strcmp(k, "issues") == 0) {
			issues = cJSON_Parse(v);
			cJSON_AddItemToObject(obj, k, issues ? issues :
			    cJSON_CreateArray());
		} else {
			cJSON_AddStringToObject(obj, k, v);
		}
	}
	return obj;
}

static void
api_reports_listed(struct request *r, redisReply *reply)
{
	cJSON *root, *list;
	size_t i;

	if ((root = api_list_answer(r, reply, "reports", &list)) == NULL)
		return;
	for (i = 0; i < reply->elements; i++)
		cJSON_AddItemToArray(list, api_reports_json(reply->element[i]));
	request_reply_json(r, 200, root);
}

static void
api_reports_get(struct request *r)
{
	char period[PERIOD_LEN + 1], limit[16], offset[16];
	char index1[128], index2[128];
	const char *argv[6];
	int argc = 3, have;

	if (r->role == ROLE_DEPARTMENT) {
		request_error(r, 403, "forbidden", "departments do not read "
		    "reports; see /api/v1/issues", NULL);
		return;
	}
	if (request_check_query(r, reports_query) == -1 ||
	    api_page(r, limit, offset, sizeof limit) == -1 ||
	    (have = api_period(r, period, r->role == ROLE_ADMIN)) == -1)
		return;
	argv[0] = "reports";
	argv[1] = limit;
	argv[2] = offset;
	if (r->role == ROLE_OFFICER) {
		snprintf(index1, sizeof index1, "officer:%s:reports",
		    r->actor_id);
		argv[argc++] = index1;
	}
	if (have) {
		snprintf(index2, sizeof index2, "reports:%s", period);
		argv[argc++] = index2;
	}
	request_script(r, SCRIPT_LIST, api_reports_listed, argc, argv, NULL);
}

void
api_reports(struct request *r)
{
	if (r->method == EVHTTP_REQ_POST)
		api_reports_post(r);
	else
		api_reports_get(r);
}
