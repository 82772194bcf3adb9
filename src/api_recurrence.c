/*
 * api_recurrence.c -- before a report is stored, find which of its items
 * recur (复发) a finished issue of their enterprise (SPEC §12): read the
 * issues of the report's enterprises resolved in the last recurrence_days
 * (read.lua "finished"), and mark each item with the one it recurs
 * ("recurrence_of"), by the similarity common issues use (similar.c via
 * governance_recurrence). workflow.lua checks the mark again when it
 * stores the report, against what Redis holds then.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

/* The most finished issues read per enterprise: the latest ones. */
#define RECURRENCE_PER_ENTERPRISE "20"

/* What the read's reply must be given to. */
struct api_recurrence {
	void (*next)(struct request *);
};

/* Mark the items of payload that recur one of the finished issues. */
static void
api_recurrence_mark(struct request *r, const redisReply *reply)
{
	struct governance_candidate *cand;
	const cJSON *items, *it;
	const redisReply *f;
	const char *e, *ent, *topic, *title, *detail;
	char **texts, *text;
	size_t i, k;
	int found;

	items = cJSON_GetObjectItem(r->state, "items");
	cand = xcalloc(reply->elements + 1, sizeof *cand);
	texts = xcalloc(reply->elements + 1, sizeof *texts);
	cJSON_ArrayForEach(it, items) {
		ent = cJSON_GetStringValue(cJSON_GetObjectItem(it, "enterprise"));
		topic = cJSON_GetStringValue(cJSON_GetObjectItem(it, "topic"));
		title = cJSON_GetStringValue(cJSON_GetObjectItem(it, "title"));
		detail = cJSON_GetStringValue(cJSON_GetObjectItem(it, "detail"));
		/* This enterprise's finished issues. */
		for (i = 0, k = 0; i < reply->elements; i++) {
			f = reply->element[i];
			e = util_reply_field(f, "enterprise");
			if (f->type != REDIS_REPLY_ARRAY || e == NULL ||
			    strcmp(e, ent) != 0 ||
			    util_reply_field(f, "id") == NULL ||
			    util_reply_field(f, "topic") == NULL)
				continue;
			if (texts[i] == NULL)
				xasprintf(&texts[i], "%s\n%s",
				    util_reply_field(f, "title") ?
				    util_reply_field(f, "title") : "",
				    util_reply_field(f, "detail") ?
				    util_reply_field(f, "detail") : "");
			cand[k].id = util_reply_field(f, "id");
			cand[k].topic = util_reply_field(f, "topic");
			cand[k].text = texts[i];
			k++;
		}
		if (k == 0)
			continue;
		xasprintf(&text, "%s\n%s", title, detail);
		found = governance_recurrence(cand, k, topic, text,
		    r->config->similarity);
		free(text);
		if (found >= 0)
			cJSON_AddStringToObject((cJSON *)it, "recurrence_of",
			    cand[found].id);
	}
	for (i = 0; i < reply->elements; i++)
		free(texts[i]);
	free(texts);
	free(cand);
}

static void
api_recurrence_read(struct request *r, redisReply *reply, void *arg)
{
	struct api_recurrence *rc = arg;

	if (reply->type != REDIS_REPLY_ARRAY) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	api_recurrence_mark(r, reply);
	rc->next(r);
}

/* The report's enterprises, each once, space-separated ("" for none). */
static char *
api_recurrence_enterprises(struct request *r)
{
	const cJSON *items = cJSON_GetObjectItem(r->state, "items"), *it;
	char *ents = xstrdup(""), *more;
	const char *ent;

	cJSON_ArrayForEach(it, items) {
		ent = cJSON_GetStringValue(cJSON_GetObjectItem(it, "enterprise"));
		if (strstr(ents, ent) != NULL)
			continue;
		xasprintf(&more, "%s%s%s", ents, *ents ? " " : "", ent);
		free(ents);
		ents = more;
	}
	return ents;
}

/* Since when a finished issue may recur (ms), in from. */
static void
api_recurrence_since(struct request *r, char *from, size_t len)
{
	snprintf(from, len, "%lld", (long long)(util_now_ms() -
	    (int64_t)r->config->recurrence_days * 86400 * 1000));
}

/*
 * Let the store skip the read (one round trip, and with appendfsync always
 * one fsync, fewer per report): the payload r->state names its enterprises
 * ("unchecked") and since when ("finished_since"); workflow.lua stores the
 * report when none of them has a finished issue since then, else answers
 * 'recheck' and api_recurrence_find runs first.
 */
void
api_recurrence_defer(struct request *r)
{
	char from[32], *ents = api_recurrence_enterprises(r), *e, *p;
	cJSON *list = cJSON_AddArrayToObject(r->state, "unchecked");

	for (p = ents; (e = strsep(&p, " ")) != NULL;)
		if (*e != '\0')
			cJSON_AddItemToArray(list, cJSON_CreateString(e));
	free(ents);
	api_recurrence_since(r, from, sizeof from);
	cJSON_AddStringToObject(r->state, "finished_since", from);
}

/*
 * Mark the items of the report payload r->state that recur a finished
 * issue, then call next(r); or answer (503) when Redis is down.
 */
void
api_recurrence_find(struct request *r, void (*next)(struct request *))
{
	struct api_recurrence *rc;
	const char *argv[4];
	char from[32], *ents = api_recurrence_enterprises(r);

	cJSON_DeleteItemFromObject(r->state, "unchecked");
	if (*ents == '\0') {
		free(ents);
		next(r);
		return;
	}
	api_recurrence_since(r, from, sizeof from);
	argv[0] = "finished";
	argv[1] = ents;
	argv[2] = from;
	argv[3] = RECURRENCE_PER_ENTERPRISE;
	rc = xcalloc(1, sizeof *rc);
	rc->next = next;
	request_script_arg(r, SCRIPT_READ, api_recurrence_read, rc, 4, argv,
	    NULL);
	free(ents);
}
