/*
 * digest_collect.c -- gather one week's digest from Redis and write its
 * messages: runs on the mail thread with a synchronous connection of its
 * own (digest_sched.c). Reads the ledger (ledger.lua: the issues received in
 * the week, and every open one), the officers who reported (P reported:
 * PERIOD) and the dead webhook deliveries (digest.lua dead), then lets
 * digest.c write one message per department with work and one for the
 * leaders.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define DIGEST_DEAD_MAX 50       /* dead deliveries listed by id */
#define DIGEST_DEAD_DAYS 7       /* also those created the week before */

/*
 * Issues a ledger.lua call reads: a province's 10^6 open issues in one call
 * held Redis for tens of seconds (every request waited, the PING watchdog
 * tripped) and its reply, whole in memory, weighed several times the
 * ledger parsed from it.
 */
#define DIGEST_COLLECT_SLICE 500

/*
 * Run ledger.lua KIND [FROM TO] a slice at a time (START COUNT; each
 * answer names the next START, 'next:' after the last) and parse the rows
 * into one ledger; NULL on failure.
 */
static struct ledger *
digest_collect_ledger_read(redisContext *c, const struct generation *g,
    const char *kind, int64_t from, int64_t to, char *error, size_t errlen)
{
	const char *argv[REDIS_CLUSTER_HEAD + 5];
	char a[24], b[24], start[48], count[24];
	struct ledger *l = ledger_new();
	redisReply *r;
	int argc;

	snprintf(a, sizeof a, "%lld", (long long)from);
	snprintf(b, sizeof b, "%lld", (long long)to);
	snprintf(start, sizeof start, "0");
	snprintf(count, sizeof count, "%d", DIGEST_COLLECT_SLICE);
	redis_cluster_script_head(argv, NULL, "EVAL",
	    store_scripts[SCRIPT_LEDGER].body, 0, g->config->redis_prefix);
	argc = REDIS_CLUSTER_HEAD;
	argv[argc++] = kind;
	if (strcmp(kind, "active") != 0) {
		argv[argc++] = a;
		argv[argc++] = b;
	}
	argv[argc++] = start;
	argv[argc++] = count;
	while (start[0] != '\0') {
		r = redis_sync_argv(c, g->config, argc, argv, NULL);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements == 0 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    strncmp(r->element[0]->str, "next:", 5) != 0 ||
		    ledger_add_rows(l, r) == -1) {
			snprintf(error, errlen, "redis: ledger %s: %s", kind,
			    r == NULL ? c->errstr : r->type == REDIS_REPLY_ERROR ?
			    r->str : "bad reply");
			freeReplyObject(r);
			ledger_free(l);
			return NULL;
		}
		snprintf(start, sizeof start, "%s", r->element[0]->str + 5);
		freeReplyObject(r);
	}
	ledger_sort(l);
	return l;
}

/*
 * The week's received issues, every open one and those resolved in the week
 * (closed ones too), scored (ledger.c).
 */
static int
digest_collect_ledgers_read(redisContext *c, const struct generation *g,
    struct digest_input *in, char *error, size_t errlen)
{
	if ((in->received = digest_collect_ledger_read(c, g, "range", in->from_ms,
	    in->to_ms, error, errlen)) == NULL ||
	    (in->open = digest_collect_ledger_read(c, g, "active", 0, 0, error,
	    errlen)) == NULL ||
	    (in->resolved = digest_collect_ledger_read(c, g, "resolved", in->from_ms,
	    in->to_ms, error, errlen)) == NULL)
		return -1;
	ledger_score(in->received, g->roster, g->config->ledger_weights,
	    in->now_ms);
	ledger_score(in->open, g->roster, g->config->ledger_weights,
	    in->now_ms);
	return 0;
}

static void
digest_collect_ledgers_free(struct digest_input *in)
{
	ledger_free(in->received);
	ledger_free(in->open);
	ledger_free(in->resolved);
}

static int
digest_collect_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The officers of the roster (sorted by id) not in the set P
 * reported:PERIOD. The set is sorted once and searched, so a province of 10^5
 * officers costs n log n, not n².
 */
static int
digest_collect_unreported(redisContext *c, const struct generation *g,
    const char *period, const struct officer ***out, size_t *n,
    char *error, size_t errlen)
{
	const struct roster *ro = g->roster;
	const char **ids, *key;
	redisReply *r;
	size_t i;

	r = redisCommand(c, "SMEMBERS %sreported:%s", g->config->redis_prefix,
	    period);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		snprintf(error, errlen, "redis SMEMBERS reported: %s",
		    r ? (r->str ? r->str : "bad reply") : c->errstr);
		freeReplyObject(r);
		return -1;
	}
	ids = xcalloc(r->elements + 1, sizeof *ids);
	for (i = 0; i < r->elements; i++)
		ids[i] = r->element[i]->str;
	qsort(ids, r->elements, sizeof *ids, digest_collect_strcmp);
	*out = xcalloc(ro->nofficers + 1, sizeof **out);
	*n = 0;
	for (i = 0; i < ro->nofficers; i++) {
		key = ro->officers[i].id;
		if (bsearch(&key, ids, r->elements, sizeof *ids,
		    digest_collect_strcmp) == NULL)
			(*out)[(*n)++] = &ro->officers[i];
	}
	free(ids);
	freeReplyObject(r);
	return 0;
}

static const char *
digest_collect_field(const redisReply *h, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < h->elements; i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(h->element[i]->str, name) == 0 &&
		    h->element[i + 1]->type == REDIS_REPLY_STRING)
			return h->element[i + 1]->str;
	return "";
}

static int
digest_collect_dead_deliveries(redisContext *c, const struct generation *g,
    struct digest_input *in, char *error, size_t errlen)
{
	redisReply *r, *list, *h;
	char payload[160];
	size_t i;

	snprintf(payload, sizeof payload, "{\"from\":%lld,\"to\":%lld,"
	    "\"limit\":%d}", (long long)(in->from_ms -
	    DIGEST_DEAD_DAYS * 86400000LL), (long long)in->to_ms,
	    DIGEST_DEAD_MAX);
	if ((r = redis_sync_script(c, g->config, SCRIPT_DIGEST,
	    "dead", payload, error, errlen)) == NULL)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(r);
		return 0;
	}
	in->dead_total = (size_t)r->element[0]->integer;
	list = r->element[1];
	in->dead = xcalloc(list->elements + 1, sizeof *in->dead);
	for (i = 0; i < list->elements; i++) {
		h = list->element[i];
		in->dead[i].id = xstrdup(digest_collect_field(h, "id"));
		in->dead[i].department = xstrdup(digest_collect_field(h, "department"));
		in->dead[i].event = xstrdup(digest_collect_field(h, "event"));
		in->dead[i].task = xstrdup(digest_collect_field(h, "task"));
		in->dead[i].error = xstrdup(digest_collect_field(h, "error"));
		in->dead[i].created = strtoll(digest_collect_field(h, "created"), NULL,
		    10);
	}
	in->ndead = list->elements;
	freeReplyObject(r);
	return 0;
}

/* The trend alerts (未诉先办) recorded in the week, for the leaders. */
static int
digest_collect_alerts(redisContext *c, const struct generation *g,
    struct digest_input *in, char *error, size_t errlen)
{
	struct period prev, cur;
	redisReply *r, *h;
	char range[48];
	int64_t at;
	size_t i;

	in->alerts = cJSON_CreateArray();
	if (period_parse(in->previous, &prev) == -1 ||
	    period_parse(in->period, &cur) == -1)
		return 0;
	/* a week lies within the previous period, the current one and the
	 * period before both */
	snprintf(range, sizeof range, "%d %d", period_key(&prev) - 1,
	    period_key(&cur));
	if ((r = redis_sync_script(c, g->config, SCRIPT_READ, "alerts", range,
	    error, errlen)) == NULL)
		return -1;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		h = r->element[i];
		if (h->type != REDIS_REPLY_ARRAY || h->elements == 0)
			continue;
		at = strtoll(digest_collect_field(h, "at"), NULL, 10);
		if (at >= in->from_ms && at < in->to_ms)
			cJSON_AddItemToArray(in->alerts, trend_alert_json(h));
	}
	freeReplyObject(r);
	return 0;
}

static void
digest_collect_input_free(struct digest_input *in)
{
	size_t i;

	cJSON_Delete(in->alerts);
	for (i = 0; i < in->ndead; i++) {
		free(in->dead[i].id);
		free(in->dead[i].department);
		free(in->dead[i].event);
		free(in->dead[i].task);
		free(in->dead[i].error);
	}
	free(in->dead);
	free(in->unreported);
	free(in->missed);
	digest_collect_ledgers_free(in);
}

static void
digest_collect_rcpt(cJSON *list, const char *email, const char *name)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "email", email);
	cJSON_AddStringToObject(o, "name", name ? name : "");
	cJSON_AddItemToArray(list, o);
}

/* Move a written message into the JSON list digest.lua stores. */
static cJSON *
digest_collect_mail_json(struct digest_mail *m)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", m->name);
	cJSON_AddStringToObject(o, "subject", m->subject);
	cJSON_AddStringToObject(o, "text", m->text);
	cJSON_AddStringToObject(o, "html", m->html);
	digest_mail_free(m);
	return o;
}

static cJSON *
digest_collect_write(const struct digest_input *in)
{
	const struct roster *ro = in->roster;
	const struct department *dept;
	struct digest_mail m;
	cJSON *mails = cJSON_CreateArray(), *o, *rcpts;
	size_t i, j;

	for (i = 0; i < ro->ndepartments; i++) {
		dept = &ro->departments[i];
		if (dept->nemails == 0 || digest_department(in, dept, &m) != 0)
			continue;
		o = digest_collect_mail_json(&m);
		rcpts = cJSON_AddArrayToObject(o, "rcpts");
		for (j = 0; j < dept->nemails; j++)
			digest_collect_rcpt(rcpts, dept->emails[j], dept->name);
		cJSON_AddItemToArray(mails, o);
	}
	for (i = j = 0; i < ro->nleaders; i++)
		j += ro->leaders[i].email != NULL;
	if (j > 0) {
		digest_zone(in, &m);
		o = digest_collect_mail_json(&m);
		rcpts = cJSON_AddArrayToObject(o, "rcpts");
		for (i = 0; i < ro->nleaders; i++)
			if (ro->leaders[i].email != NULL)
				digest_collect_rcpt(rcpts, ro->leaders[i].email,
				    ro->leaders[i].name);
		cJSON_AddItemToArray(mails, o);
	}
	return mails;
}

/*
 * When period (YYYY-MM-H) ends in the zone offset_s east of UTC, in ms; 0
 * for a malformed period.
 */
static int64_t
digest_collect_period_end(const char *period, int offset_s)
{
	struct period p;
	int64_t day;

	if (period_parse(period, &p) == -1)
		return 0;
	if (p.half == 1)
		day = date_to_days(p.year, p.month, 16);
	else if (p.month == 12)
		day = date_to_days(p.year + 1, 1, 1);
	else
		day = date_to_days(p.year, p.month + 1, 1);
	return (day * 86400 - offset_s) * 1000;
}

/*
 * Build the week's messages. Returns the JSON list digest.lua's store takes
 * ([{name, subject, text, html, rcpts: [{email, name}]}]), or NULL with
 * error filled when Redis failed.
 */
cJSON *
digest_collect(redisContext *c, const struct generation *g,
    const char *week, int offset_s, const char *period,
    const char *previous, char *error, size_t errlen)
{
	struct digest_input in;
	cJSON *mails = NULL;
	struct tm tm;
	time_t now;

	memset(&in, 0, sizeof in);
	if (digest_week_parse(week, &in.week) == -1) {
		snprintf(error, errlen, "bad week %s", week);
		return NULL;
	}
	in.roster = g->roster;
	in.offset_s = offset_s;
	in.now_ms = util_now_ms();
	in.public_url = g->config->public_url;
	/* the zone's date from its offset: this thread never reads TZ */
	now = time(NULL) + offset_s;
	gmtime_r(&now, &tm);
	in.calendar_missing = workdays_missing_year(g->calendar,
	    tm.tm_year + 1900);
	in.period_end_ms = digest_collect_period_end(period, offset_s);
	in.calendar_last = workdays_last_year(g->calendar);
	digest_week_bounds(&in.week, offset_s, &in.from_ms, &in.to_ms);
	snprintf(in.period, sizeof in.period, "%s", period);
	snprintf(in.previous, sizeof in.previous, "%s", previous);
	if (digest_collect_ledgers_read(c, g, &in, error, errlen) == 0 &&
	    digest_collect_unreported(c, g, period, &in.unreported, &in.nunreported,
	    error, errlen) == 0 &&
	    digest_collect_unreported(c, g, previous, &in.missed, &in.nmissed, error,
	    errlen) == 0 &&
	    digest_collect_dead_deliveries(c, g, &in, error, errlen) == 0 &&
	    digest_collect_alerts(c, g, &in, error, errlen) == 0 &&
	    (in.fieldwork = digest_fieldwork_collect(c, g->config, g->roster,
	    in.from_ms, in.now_ms, offset_s, error, errlen)) != NULL)
		mails = digest_collect_write(&in);
	digest_fieldwork_free(in.fieldwork);
	digest_collect_input_free(&in);
	return mails;
}
