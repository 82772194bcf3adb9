/*
 * api_misc.c -- GET /healthz, GET /metrics and GET /api/v1/me.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

/* Which Redis is in use and how many failovers were followed (SPEC 13). */
static void
api_misc_healthz_redis(struct request *r, cJSON *root)
{
	const struct store *s = r->daemon->store;
	cJSON *redis = cJSON_AddObjectToObject(root, "redis");
	char where[128];

	cJSON_AddStringToObject(redis, "primary",
	    store_primary(s, where, sizeof where));
	cJSON_AddBoolToObject(redis, "sentinel", s->sentinel != NULL);
	cJSON_AddNumberToObject(redis, "failovers", (double)s->failovers);
	cJSON_AddNumberToObject(redis, "replicas", s->replicas);
	if (s->cluster == NULL)
		return;
	cJSON_AddBoolToObject(redis, "cluster", 1);
	cJSON_AddNumberToObject(redis, "moved", (double)s->moved);
	cJSON_AddNumberToObject(redis, "asked", (double)s->asked);
}

static void
api_misc_healthz_pong(struct request *r, redisReply *reply)
{
	cJSON *root = cJSON_CreateObject();

	cJSON_AddStringToObject(root, "status", "ok");
	api_misc_healthz_redis(r, root);
	request_reply_json(r, 200, root);
}

/* GET /healthz: 200 when Redis answers a PING now, else 503. */
void
api_misc_healthz(struct request *r)
{
	const char *argv[] = { "PING" };

	if (!store_up(r->daemon->store)) {
		request_error(r, 503, "unavailable", "redis is unreachable", NULL);
		return;
	}
	if (!window_loaded(r->daemon->window)) {
		request_error(r, 503, "unavailable", "starting: reading the "
		    "recent issues from redis", NULL);
		return;
	}
	request_store(r, api_misc_healthz_pong, 1, argv, NULL);
}

/* Webhook counters "DEPT:outcome" as labelled Prometheus series. */
static void
api_misc_metrics_webhooks(struct evbuffer *buf, const redisReply *stats)
{
	static const char *const outcomes[] = { "delivered", "retried", "dead",
	    NULL };
	const char *colon, *field;
	size_t i, j;

	evbuffer_add_printf(buf,
	    "# HELP liaisond_webhook_deliveries_total Webhook attempts by "
	    "department and outcome (retried: failed, tried again later).\n"
	    "# TYPE liaisond_webhook_deliveries_total counter\n");
	for (j = 0; outcomes[j] != NULL; j++)
		for (i = 0; i + 1 < stats->elements; i += 2) {
			field = stats->element[i]->str;
			if ((colon = strrchr(field, ':')) == NULL ||
			    strcmp(colon + 1, outcomes[j]) != 0)
				continue;
			evbuffer_add_printf(buf, "liaisond_webhook_deliveries_"
			    "total{department=\"%.*s\",outcome=\"%s\"} %s\n",
			    (int)(colon - field), field, outcomes[j],
			    stats->element[i + 1]->str);
		}
	evbuffer_add_printf(buf,
	    "# HELP liaisond_webhook_pending Deliveries not yet delivered or "
	    "dead, by department.\n"
	    "# TYPE liaisond_webhook_pending gauge\n");
	for (i = 0; i + 1 < stats->elements; i += 2) {
		field = stats->element[i]->str;
		if ((colon = strrchr(field, ':')) == NULL ||
		    strcmp(colon + 1, "pending") != 0)
			continue;
		evbuffer_add_printf(buf, "liaisond_webhook_pending{department="
		    "\"%.*s\"} %s\n", (int)(colon - field), field,
		    stats->element[i + 1]->str);
	}
}

/*
 * A kind of mail by outcome, and how many wait: the digest's and the
 * officers' mails are counted the same way (digest.lua, notify.lua).
 */
struct api_misc_mails {
	const char		*kind;		/* digest or notify */
	const char		*help;
	const char		*pending_help;
	const char *const	*outcomes;
};

static const char *const api_misc_digest_outcomes[] = { "sent", "refused",
    "retried", NULL };
static const char *const api_misc_notify_outcomes[] = { "sent", "refused",
    "retried", "skipped", NULL };

static const struct api_misc_mails api_misc_digest_mails = {
	"digest",
	"Digest mail attempts by outcome (refused: a 5xx, not tried again; "
	"retried: failed, tried again later).",
	"Digest mails waiting to be sent or tried again.",
	api_misc_digest_outcomes
};

static const struct api_misc_mails api_misc_notify_mails = {
	"notify",
	"Officers' mails about their issues by outcome (skipped: the officer "
	"has no email).",
	"Officers whose mail waits for its batch or a try.",
	api_misc_notify_outcomes
};

static void
api_misc_metrics_mails(struct evbuffer *buf, const struct api_misc_mails *m,
    const redisReply *stats, const redisReply *waiting)
{
	const char *v;
	size_t i;

	evbuffer_add_printf(buf,
	    "# HELP liaisond_%s_mails_total %s\n"
	    "# TYPE liaisond_%s_mails_total counter\n", m->kind, m->help,
	    m->kind);
	for (i = 0; m->outcomes[i] != NULL; i++) {
		v = util_reply_field(stats, m->outcomes[i]);
		evbuffer_add_printf(buf, "liaisond_%s_mails_total{outcome="
		    "\"%s\"} %s\n", m->kind, m->outcomes[i],
		    v != NULL ? v : "0");
	}
	if (waiting->type == REDIS_REPLY_INTEGER)
		evbuffer_add_printf(buf,
		    "# HELP liaisond_%s_pending %s\n"
		    "# TYPE liaisond_%s_pending gauge\n"
		    "liaisond_%s_pending %lld\n", m->kind, m->pending_help,
		    m->kind, m->kind, waiting->integer);
}

/*
 * The primary in use (on a Cluster: the node serving the zone's slot),
 * failovers and redirects followed, changes replicas fell short on.
 */
static void
api_misc_metrics_redis(struct evbuffer *buf, const struct store *s)
{
	char where[128];

	evbuffer_add_printf(buf,
	    "# HELP liaisond_redis_primary The Redis primary in use (1).\n"
	    "# TYPE liaisond_redis_primary gauge\n"
	    "liaisond_redis_primary{address=\"%s\"} 1\n"
	    "# HELP liaisond_redis_failovers_total Switches of primary "
	    "followed.\n"
	    "# TYPE liaisond_redis_failovers_total counter\n"
	    "liaisond_redis_failovers_total %llu\n"
	    "# HELP liaisond_redis_wait_short_total Changes fewer replicas "
	    "confirmed in time than [redis] replicas asks (answered 503).\n"
	    "# TYPE liaisond_redis_wait_short_total counter\n"
	    "liaisond_redis_wait_short_total %llu\n",
	    store_primary(s, where, sizeof where),
	    (unsigned long long)s->failovers,
	    (unsigned long long)s->waits_short);
	if (s->cluster == NULL)
		return;
	evbuffer_add_printf(buf,
	    "# HELP liaisond_redis_redirects_total Cluster redirects: moved, "
	    "followed to the slot's new node; ask, a move waited out.\n"
	    "# TYPE liaisond_redis_redirects_total counter\n"
	    "liaisond_redis_redirects_total{kind=\"moved\"} %llu\n"
	    "liaisond_redis_redirects_total{kind=\"ask\"} %llu\n",
	    (unsigned long long)s->moved, (unsigned long long)s->asked);
}

/*
 * When the working-day calendar runs out: the start of the day after the
 * last one it covers (January 1st after its last year, local time), with
 * that last day as a label; 0 when it lists nothing. Alert well before
 * time() reaches it: the State Council's notice must be added each year.
 */
static void
api_misc_metrics_calendar(struct evbuffer *buf, const struct workdays *cal)
{
	int last = workdays_last_year(cal);
	struct tm tm;
	time_t until = 0;

	if (last != 0) {
		memset(&tm, 0, sizeof tm);
		tm.tm_year = last + 1 - 1900;
		tm.tm_mday = 1;
		tm.tm_isdst = -1;
		until = mktime(&tm);
	}
	evbuffer_add_printf(buf,
	    "# HELP liaisond_calendar_covered_until_seconds When the working-day "
	    "calendar runs out (Unix time of the day after the last date it "
	    "covers); refresh it each year.\n"
	    "# TYPE liaisond_calendar_covered_until_seconds gauge\n"
	    "liaisond_calendar_covered_until_seconds{last=\"%04d-12-31\"} "
	    "%lld\n", last, (long long)until);
}

static void
api_misc_metrics_reply(struct request *r, const redisReply *stats,
    const redisReply *webhooks, const redisReply *digest,
    const redisReply *waiting, const redisReply *notify,
    const redisReply *notify_waiting)
{
	struct evbuffer *buf = evbuffer_new();
	const struct roster *ro = r->roster;
	size_t len;
	char *text;

	metrics_write(buf);
	api_misc_metrics_calendar(buf, r->calendar);
	metrics_write_histograms(buf);
	evbuffer_add_printf(buf,
	    "# HELP liaisond_redis_up Whether the store answers (1) or not (0).\n"
	    "# TYPE liaisond_redis_up gauge\n"
	    "liaisond_redis_up %d\n", store_up(r->daemon->store));
	api_misc_metrics_redis(buf, r->daemon->store);
	retention_metrics(buf);
	intake_metrics(r->daemon->intake, buf);
	window_metrics(r->daemon->window, buf);
	if (stats != NULL && stats->type == REDIS_REPLY_ARRAY &&
	    stats->elements == 2) {
		evbuffer_add_printf(buf,
		    "# HELP liaisond_reports_total Reports stored.\n"
		    "# TYPE liaisond_reports_total counter\n"
		    "liaisond_reports_total %s\n"
		    "# HELP liaisond_issues_total Issues stored.\n"
		    "# TYPE liaisond_issues_total counter\n"
		    "liaisond_issues_total %s\n",
		    stats->element[0]->str ? stats->element[0]->str : "0",
		    stats->element[1]->str ? stats->element[1]->str : "0");
	}
	if (webhooks != NULL && webhooks->type == REDIS_REPLY_ARRAY)
		api_misc_metrics_webhooks(buf, webhooks);
	if (digest != NULL && digest->type == REDIS_REPLY_ARRAY &&
	    waiting != NULL)
		api_misc_metrics_mails(buf, &api_misc_digest_mails, digest,
		    waiting);
	if (notify != NULL && notify->type == REDIS_REPLY_ARRAY &&
	    notify_waiting != NULL)
		api_misc_metrics_mails(buf, &api_misc_notify_mails, notify,
		    notify_waiting);
	evbuffer_add_printf(buf,
	    "# HELP liaisond_requests_in_flight Requests not yet answered.\n"
	    "# TYPE liaisond_requests_in_flight gauge\n"
	    "liaisond_requests_in_flight %d\n"
	    "# HELP liaisond_http_connections Open HTTP connections.\n"
	    "# TYPE liaisond_http_connections gauge\n"
	    "liaisond_http_connections %zu\n"
	    "# HELP liaisond_roster_officers Officers in the roster.\n"
	    "# TYPE liaisond_roster_officers gauge\n"
	    "liaisond_roster_officers %zu\n"
	    "# HELP liaisond_roster_enterprises Enterprises in the roster.\n"
	    "# TYPE liaisond_roster_enterprises gauge\n"
	    "liaisond_roster_enterprises %zu\n"
	    "# HELP liaisond_start_time_seconds When the daemon started.\n"
	    "# TYPE liaisond_start_time_seconds gauge\n"
	    "liaisond_start_time_seconds %lld\n",
	    r->daemon->inflight - 1, connections_open(), ro->nofficers, ro->nenterprises,
	    (long long)r->daemon->started);
	evbuffer_add_printf(buf,
	    "# HELP liaisond_http_connections_refused_total Connections "
	    "closed at accept: their address had connections_per_address.\n"
	    "# TYPE liaisond_http_connections_refused_total counter\n"
	    "liaisond_http_connections_refused_total %lu\n"
	    "# HELP liaisond_http_requests_cut_total Connections closed: no "
	    "whole request within request_deadline_ms.\n"
	    "# TYPE liaisond_http_requests_cut_total counter\n"
	    "liaisond_http_requests_cut_total %lu\n",
	    connections_refused(), connections_cut());
	evbuffer_add_printf(buf,
	    "# HELP liaisond_ledger_reads_total Ledger reads sent to Redis "
	    "(concurrent misses share one).\n"
	    "# TYPE liaisond_ledger_reads_total counter\n"
	    "liaisond_ledger_reads_total %zu\n"
	    "# HELP liaisond_ledger_renders_total Public ledger answers "
	    "rendered (the others came from the memo).\n"
	    "# TYPE liaisond_ledger_renders_total counter\n"
	    "liaisond_ledger_renders_total %zu\n"
	    "# HELP liaisond_ledger_tasks_counted_total Tasks counted in "
	    "scoring the cached ledgers (a catch-up counts the changed ones).\n"
	    "# TYPE liaisond_ledger_tasks_counted_total counter\n"
	    "liaisond_ledger_tasks_counted_total %zu\n"
	    "# HELP liaisond_ledger_rows_examined_total Issues the public "
	    "ledger's pages looked at (a page costs its rows, not the period).\n"
	    "# TYPE liaisond_ledger_rows_examined_total counter\n"
	    "liaisond_ledger_rows_examined_total %zu\n",
	    ledger_cache_reads(r->daemon->ledger_cache),
	    ledger_cache_renders(r->daemon->ledger_cache),
	    ledger_cache_counted(r->daemon->ledger_cache),
	    ledger_rows_examined());
	len = evbuffer_get_length(buf);
	text = xmalloc(len + 1);
	evbuffer_remove(buf, text, len);
	text[len] = '\0';
	evbuffer_free(buf);
	request_reply_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8",
	    text);
	free(text);
}

/* {HMGET seq report issue, HGETALL webhooks:stats} → the text. */
static void
api_misc_metrics_stats(struct request *r, redisReply *reply)
{
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 6) {
		api_misc_metrics_reply(r, NULL, NULL, NULL, NULL, NULL, NULL);
		return;
	}
	api_misc_metrics_reply(r, reply->element[0], reply->element[1],
	    reply->element[2], reply->element[3], reply->element[4],
	    reply->element[5]);
}

/*
 * GET /metrics: the daemon's counters and, while Redis is up, the stored
 * totals. Redis being down is itself a metric, not an error.
 */
void
api_misc_metrics(struct request *r)
{
	const char *argv[1];

	if (!store_up(r->daemon->store)) {
		api_misc_metrics_reply(r, NULL, NULL, NULL, NULL, NULL, NULL);
		return;
	}
	argv[0] = "metrics";
	request_script(r, SCRIPT_READ, api_misc_metrics_stats, 1, argv, NULL);
}

static void
api_misc_me_officer_reported(struct request *r, redisReply *reply)
{
	const struct officer *o = roster_officer(r->roster, r->actor_id);
	cJSON *root = cJSON_CreateObject(), *list, *e;
	struct period p;
	char period[PERIOD_LEN + 1];
	size_t i;

	period_of_time(time(NULL), &p);
	period_format(&p, period);
	cJSON_AddStringToObject(root, "role", "officer");
	cJSON_AddStringToObject(root, "id", o->id);
	cJSON_AddStringToObject(root, "name", o->name);
	cJSON_AddStringToObject(root, "unit", o->unit);
	list = cJSON_AddArrayToObject(root, "enterprises");
	for (i = 0; i < o->nenterprises; i++) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "id", o->enterprises[i]->id);
		cJSON_AddStringToObject(e, "name", o->enterprises[i]->name);
		cJSON_AddItemToArray(list, e);
	}
	cJSON_AddStringToObject(root, "period", period);
	cJSON_AddBoolToObject(root, "reported", reply->type ==
	    REDIS_REPLY_INTEGER && reply->integer == 1);
	request_reply_json(r, 200, root);
}

/* GET /api/v1/me: who the token belongs to. */
void
api_misc_me(struct request *r)
{
	const struct department *d;
	struct period p;
	char key[160], period[PERIOD_LEN + 1];
	const char *argv[3];
	cJSON *root;

	if (r->role == ROLE_OFFICER) {
		if (roster_officer(r->roster, r->actor_id) == NULL) {
			request_error(r, 403, "forbidden", "this officer is no "
			    "longer in the roster", NULL);
			return;
		}
		period_of_time(time(NULL), &p);
		period_format(&p, period);
		snprintf(key, sizeof key, "%sreported:%s",
		    r->config->redis_prefix, period);
		argv[0] = "SISMEMBER";
		argv[1] = key;
		argv[2] = r->actor_id;
		request_store(r, api_misc_me_officer_reported, 3, argv, NULL);
		return;
	}
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "role", auth_role_name(r->role));
	cJSON_AddStringToObject(root, "id", r->actor_id);
	if (r->role == ROLE_DEPARTMENT &&
	    (d = roster_department(r->roster, r->actor_id)) != NULL)
		cJSON_AddStringToObject(root, "name", d->name);
	else
		cJSON_AddStringToObject(root, "name", r->actor_id);
	request_reply_json(r, 200, root);
}
