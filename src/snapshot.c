/*
 * snapshot.c -- the timer that freezes each period's ledger (SPEC §12).
 *
 * A period's ledger is frozen at the end of its snapshot_days-th working
 * day after it ends (governance_freeze_ms). Every snapshot_check_seconds
 * the timer reads which periods are frozen (read.lua "snapshots") and, for
 * the oldest of the last SNAPSHOT_LOOKBACK periods that is due and not
 * frozen, reads its ledger (ledger.lua), scores it as the public ledger
 * does, and hands the JSON to workflow.lua's "snapshot", which writes it
 * only if no daemon did: of several daemons sharing the Redis the first
 * one freezes it, once. One call is outstanding at a time; the generation
 * (roster, calendar) is held from the first read to the last reply.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define SNAPSHOT_LOOKBACK 6         /* periods looked at: three months */
#define SNAPSHOT_RETRY_MS 5000      /* after Redis failed us */

struct snapshot {
	struct daemon *daemon;
	struct store *store;
	struct event *timer;
	struct generation *gen;     /* held while a freeze runs */
	char period[PERIOD_LEN + 1];  /* the one being frozen */
	int running;                /* a call is outstanding */
	int stopping;
};

static void snapshot_tick(int, short, void *);

static void
snapshot_schedule(struct snapshot *s, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	generation_unref(s->gen);
	s->gen = NULL;
	if (!s->stopping)
		evtimer_add(s->timer, &tv);
}

static void
snapshot_wait(struct snapshot *s)
{
	snapshot_schedule(s, s->daemon->current->config->snapshot_check_seconds *
	    1000);
}

/*
 * A reply came back: 0 to go on, -1 when the timer stops (s freed) or
 * Redis failed (the next try is scheduled).
 */
static int
snapshot_reply(struct snapshot *s, const redisReply *reply)
{
	s->running = 0;
	if (s->stopping) {
		generation_unref(s->gen);
		free(s);
		return -1;
	}
	if (reply == NULL || store_reply_is_error(s->store, reply)) {
		snapshot_schedule(s, SNAPSHOT_RETRY_MS);
		return -1;
	}
	return 0;
}

static void
snapshot_written(redisAsyncContext *c, void *r, void *privdata)
{
	struct snapshot *s = privdata;
	redisReply *reply = r;

	(void)c;
	if (snapshot_reply(s, reply) == -1)
		return;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
	    reply->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(reply->element[0]->str, "ok") == 0) {
		log_info("froze the ledger of period %s", s->period);
		s->store->writes++;
	}
	/* Another period may be due too: look again at once. */
	snapshot_schedule(s, 0);
}

/* The frozen ledger of the period: the public ledger's JSON, and when. */
static char *
snapshot_json(struct snapshot *s, struct ledger *l, int64_t now)
{
	cJSON *root;
	char when[32], *text;

	ledger_score(l, s->gen->roster, s->gen->config->ledger_weights,
	    now);
	root = ledger_json(l, s->gen->roster, NULL,
	    s->gen->config->ledger_show_enterprises);
	cJSON_AddStringToObject(root, "period", s->period);
	util_time_iso8601(now, when);
	cJSON_AddStringToObject(root, "frozen_at", when);
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return text;
}

static void
snapshot_ledger_read(redisAsyncContext *c, void *r, void *privdata)
{
	struct snapshot *s = privdata;
	redisReply *reply = r;
	const char *argv[3];
	struct ledger *l;
	char now[32], *payload, *json;
	int64_t ms = util_now_ms();
	cJSON *p;

	(void)c;
	if (snapshot_reply(s, reply) == -1)
		return;
	if ((l = ledger_parse(reply)) == NULL) {
		log_warnx("snapshot: unexpected ledger reply for %s", s->period);
		snapshot_schedule(s, SNAPSHOT_RETRY_MS);
		return;
	}
	json = snapshot_json(s, l, ms);
	ledger_free(l);
	p = cJSON_CreateObject();
	snprintf(now, sizeof now, "%lld", (long long)ms);
	cJSON_AddStringToObject(p, "now", now);
	cJSON_AddStringToObject(p, "period", s->period);
	payload = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	argv[0] = "snapshot";
	argv[1] = payload;
	argv[2] = json;
	if (store_script(s->store, SCRIPT_WORKFLOW, snapshot_written, s, 3,
	    argv, NULL) == -1)
		snapshot_schedule(s, SNAPSHOT_RETRY_MS);
	else
		s->running = 1;
	free(payload);
	free(json);
}

/* Is period p in read.lua's {period, ms, ...} of frozen ones? */
static int
snapshot_frozen(const redisReply *frozen, const char *p)
{
	size_t i;

	for (i = 0; i + 1 < frozen->elements; i += 2)
		if (frozen->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(frozen->element[i]->str, p) == 0)
			return 1;
	return 0;
}

static void
snapshot_listed(redisAsyncContext *c, void *r, void *privdata)
{
	struct snapshot *s = privdata;
	redisReply *reply = r;
	struct period p[SNAPSHOT_LOOKBACK + 1], now;
	const char *argv[2];
	char name[PERIOD_LEN + 1];
	int64_t ms = util_now_ms(), at;
	int i;

	(void)c;
	if (snapshot_reply(s, reply) == -1)
		return;
	if (reply->type != REDIS_REPLY_ARRAY) {
		snapshot_wait(s);
		return;
	}
	period_of_time((time_t)(ms / 1000), &now);
	period_previous(&now, &p[0]);
	for (i = 1; i < SNAPSHOT_LOOKBACK; i++)
		period_previous(&p[i - 1], &p[i]);
	/* The oldest period due and not frozen yet. */
	for (i = SNAPSHOT_LOOKBACK - 1; i >= 0; i--) {
		period_format(&p[i], name);
		at = governance_freeze_ms(s->gen->calendar, &p[i],
		    s->gen->config->snapshot_days);
		if (at < 0 || at > ms || snapshot_frozen(reply, name))
			continue;
		snprintf(s->period, sizeof s->period, "%s", name);
		argv[0] = "period";
		argv[1] = s->period;
		if (store_script(s->store, SCRIPT_LEDGER, snapshot_ledger_read,
		    s, 2, argv, NULL) == -1)
			snapshot_schedule(s, SNAPSHOT_RETRY_MS);
		else
			s->running = 1;
		return;
	}
	snapshot_wait(s);
}

static void
snapshot_tick(int fd, short what, void *arg)
{
	struct snapshot *s = arg;
	const char *argv[2] = { "snapshots", "" };

	(void)fd;
	(void)what;
	if (!store_up(s->store)) {
		snapshot_schedule(s, SNAPSHOT_RETRY_MS);
		return;
	}
	s->gen = generation_ref(s->daemon);
	if (store_script(s->store, SCRIPT_READ, snapshot_listed, s, 2, argv,
	    NULL) == -1)
		snapshot_schedule(s, SNAPSHOT_RETRY_MS);
	else
		s->running = 1;
}

/*
 * Start the timer on the daemon's loop and store: its first look is
 * snapshot_check_seconds after the start.
 */
struct snapshot *
snapshot_start(struct daemon *d)
{
	struct snapshot *s = xcalloc(1, sizeof *s);

	s->daemon = d;
	s->store = d->store;
	s->timer = evtimer_new(d->base, snapshot_tick, s);
	snapshot_wait(s);
	return s;
}

/*
 * Stop the timer. A call still outstanding frees s when its reply (or the
 * connection's end) arrives.
 */
void
snapshot_stop(struct snapshot *s)
{
	s->stopping = 1;
	event_free(s->timer);
	if (s->running)
		return;
	generation_unref(s->gen);
	free(s);
}
