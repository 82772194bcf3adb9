/*
 * ledger_cache.c -- the ledgers of recent periods, kept for a moment so that
 * the public ledger (GET /api/v1/ledger and /ledger, which need no token)
 * costs Redis one read per period per [ledger] cache_ms however often it is
 * asked for. Reading a period's ledger runs ledger.lua over every issue of
 * the period, which holds Redis for milliseconds; unbounded, anyone could
 * keep Redis busy with it.
 *
 * A cached ledger is dropped as soon as this daemon runs any change
 * (store->writes moves on), so a change made here shows at once; changes
 * made by another daemon sharing the Redis show within cache_ms. Losing the
 * cache loses nothing: it is only a copy of what Redis holds.
 *
 * A miss reads once however many ask at the same moment: the requests that
 * miss while a read of the same period (after the same changes) is in
 * flight wait for that read (single-flight), each held until it is back.
 * A read is a series of slices of LEDGER_CACHE_SLICE issues, one script
 * call each, so that a period of 100,000 issues never holds Redis (and the
 * claims waiting behind it, and the PING watchdog) for long; what changes
 * between two slices shows in the next read.
 *
 * A period has at most one read running and one waiting: a request that
 * comes after a change made while a read runs waits for the next read,
 * which starts when the running one ends, so its change shows; however
 * many changes and readers come meanwhile, Redis does one read at a time.
 * A read running for longer than half the request deadline (a very large
 * period) no longer makes readers wait: they get the last whole ledger
 * (at most a minute old; its "generated" time says when) rather than 503.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define LEDGER_CACHE_SLOTS 8
/* Issues per call of ledger.lua: a few milliseconds of Redis each. */
#define LEDGER_CACHE_SLICE 200
/* The oldest ledger given while a long read runs (below). */
#define LEDGER_CACHE_STALE_MAX_MS 60000

struct ledger_cache {
	struct {
		char period[PERIOD_LEN + 1];
		struct ledger *l;
		int64_t read_at;         /* ms, when its read was sent */
		uint64_t writes;         /* store->writes then */
	} slot[LEDGER_CACHE_SLOTS];
	struct ledger_flight *flights;   /* reads in flight */
	size_t reads;                    /* reads sent, for tests and logs */
	size_t renders;                  /* answers rendered (ledger_memo.c) */
};

/*
 * One read of a period's ledger in flight, and the requests waiting for it:
 * concurrent misses of the same period (and the same store->writes) share
 * one read (single-flight), so a burst of readers right after a change
 * costs Redis one script, not one each.
 */
struct ledger_flight_waiter {
	struct request *r;          /* held (request_hold) until the read */
	ledger_fn fn;
};
struct ledger_flight {
	struct daemon *daemon;
	char period[PERIOD_LEN + 1];
	int64_t read_at;            /* ms, when its read was sent */
	uint64_t writes;            /* store->writes then */
	struct ledger *l;           /* the rows read so far */
	size_t start;               /* where the next slice starts */
	struct ledger_flight_waiter *waiters;
	size_t nwaiters, cap;
	int running;                /* 0: waits for the running one */
	struct ledger_flight *next;
};

struct ledger_cache *
ledger_cache_new(void)
{
	return xcalloc(1, sizeof (struct ledger_cache));
}

void
ledger_cache_free(struct ledger_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < LEDGER_CACHE_SLOTS; i++)
		ledger_free(c->slot[i].l);
	free(c);
}

static struct ledger *
ledger_cache_get(struct daemon *d, const char *period, int max_age_ms,
    int64_t now)
{
	struct ledger_cache *c = d->ledger_cache;
	size_t i;

	for (i = 0; i < LEDGER_CACHE_SLOTS; i++) {
		if (c->slot[i].l == NULL ||
		    strcmp(c->slot[i].period, period) != 0)
			continue;
		if (c->slot[i].writes == d->store->writes &&
		    now - c->slot[i].read_at < max_age_ms)
			return c->slot[i].l;
		return NULL;
	}
	return NULL;
}

/* The period's last whole ledger, stale or not (up to a minute), or NULL. */
static struct ledger *
ledger_cache_stale(struct daemon *d, const char *period, int64_t now)
{
	struct ledger_cache *c = d->ledger_cache;
	size_t i;

	for (i = 0; i < LEDGER_CACHE_SLOTS; i++)
		if (c->slot[i].l != NULL &&
		    strcmp(c->slot[i].period, period) == 0 &&
		    now - c->slot[i].read_at < LEDGER_CACHE_STALE_MAX_MS)
			return c->slot[i].l;
	return NULL;
}

/* Keep l (the cache owns it), in the period's slot or the oldest one. */
static void
ledger_cache_put(struct daemon *d, const char *period, int64_t read_at,
    uint64_t writes, struct ledger *l)
{
	struct ledger_cache *c = d->ledger_cache;
	size_t i, pick = 0;

	for (i = 0; i < LEDGER_CACHE_SLOTS; i++) {
		if (c->slot[i].l != NULL &&
		    strcmp(c->slot[i].period, period) == 0) {
			pick = i;
			break;
		}
		if (c->slot[i].l == NULL ||
		    (c->slot[pick].l != NULL &&
		    c->slot[i].read_at < c->slot[pick].read_at))
			pick = i;
	}
	/* A read overtaken by a newer one keeps the newer. */
	if (c->slot[pick].l != NULL &&
	    strcmp(c->slot[pick].period, period) == 0 &&
	    c->slot[pick].read_at > read_at) {
		ledger_free(l);
		return;
	}
	ledger_free(c->slot[pick].l);
	snprintf(c->slot[pick].period, sizeof c->slot[pick].period, "%s",
	    period);
	c->slot[pick].l = l;
	c->slot[pick].read_at = read_at;
	c->slot[pick].writes = writes;
}

/*
 * Score l for r's roster and weights at now, unless it was scored for that
 * roster less than a second ago: scoring walks every issue, and a cached
 * ledger of a large period is handed to many readers a second. (The
 * roster and the weights change together, with the generation.)
 */
static void
ledger_cache_score(struct ledger *l, const struct request *r, int64_t now)
{
	if (l->scored_for == r->roster && l->now != 0 && now >= l->now &&
	    now - l->now < 1000)
		return;
	ledger_score(l, r->roster, r->config->ledger_weights, now);
	l->scored_for = r->roster;
}

/* Take f out of the cache's list of flights. */
static void
ledger_cache_land(struct ledger_cache *c, struct ledger_flight *f)
{
	struct ledger_flight **p;

	for (p = &c->flights; *p != NULL; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			return;
		}
}

static int ledger_cache_send(struct ledger_flight *);
static int ledger_cache_start(struct ledger_flight *);

/* The period's read running (running = 1) or waiting (0), or NULL. */
static struct ledger_flight *
ledger_cache_flight(struct ledger_cache *c, const char *period, int running)
{
	struct ledger_flight *f;

	for (f = c->flights; f != NULL; f = f->next)
		if (f->running == running && strcmp(f->period, period) == 0)
			return f;
	return NULL;
}

/*
 * A flight's read is over: every waiter still waiting gets the ledger (or
 * the error: reply NULL when Redis is gone, else l NULL), then the cache
 * keeps it, even when every waiter gave up: the next readers get it.
 */
static void
ledger_cache_serve(struct ledger_flight *f, const void *reply)
{
	struct daemon *d = f->daemon;
	struct ledger *l = f->l;
	struct ledger_flight *next;
	struct request *r;
	int64_t now = util_now_ms();
	int keep = d->current->config->ledger_cache_ms > 0;
	size_t i;

	ledger_cache_land(d->ledger_cache, f);
	for (i = 0; i < f->nwaiters; i++) {
		r = f->waiters[i].r;
		if (!request_drop(r))
			continue;       /* answered meanwhile (its deadline) */
		if (reply == NULL) {
			evhttp_add_header(evhttp_request_get_output_headers(
			    r->req), "Retry-After", "1");
			request_error(r, 503, "unavailable",
			    "the store is unavailable", NULL);
		} else if (l == NULL)
			request_error(r, 500, "internal",
			    "unexpected store reply", NULL);
		else {
			ledger_cache_score(l, r, now);
			f->waiters[i].fn(r, l);     /* answers: r is gone */
		}
	}
	if (l != NULL && keep) {
		ledger_cache_put(d, f->period, f->read_at, f->writes, l);
		l = NULL;
	}
	ledger_free(l);
	free(f->waiters);
	if (f->running && (next = ledger_cache_flight(d->ledger_cache,
	    f->period, 0)) != NULL && ledger_cache_start(next) == -1)
		ledger_cache_serve(next, NULL);
	free(f);
}

/* One slice of a flight's read is back: add it, then read on or serve. */
static void
ledger_cache_read(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct ledger_flight *f = privdata;
	int n = -1;

	(void)ac;
	if (reply != NULL && !store_reply_is_error(f->daemon->store, reply))
		n = ledger_add_rows(f->l, reply);
	if (n == LEDGER_CACHE_SLICE) {	/* a full slice: there may be more */
		f->start += LEDGER_CACHE_SLICE;
		if (ledger_cache_send(f) == 0)
			return;
		reply = NULL;   /* Redis went away: the rows so far are dropped */
		n = -1;
	}
	if (n < 0) {
		ledger_free(f->l);
		f->l = NULL;
	} else
		ledger_sort(f->l);
	ledger_cache_serve(f, reply);
}

/* Ask for the next slice of f's read; -1 when Redis is down. */
static int
ledger_cache_send(struct ledger_flight *f)
{
	char start[32], count[32], past[LEDGER_PAST * (PERIOD_LEN + 1) + 1];
	const char *argv[5] = { "period", f->period, start, count, past };

	snprintf(start, sizeof start, "%zu", f->start);
	snprintf(count, sizeof count, "%d", LEDGER_CACHE_SLICE);
	ledger_past_periods(f->period, past, sizeof past);
	if (store_script(f->daemon->store, SCRIPT_LEDGER, ledger_cache_read, f,
	    5, argv, NULL) == -1)
		return -1;
	f->daemon->ledger_cache->reads++;
	return 0;
}

/* Add r (fn) to the waiters of f, holding r until the read is back. */
static void
ledger_cache_wait(struct ledger_flight *f, struct request *r, ledger_fn fn)
{
	if (f->nwaiters == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 4;
		f->waiters = xreallocarray(f->waiters, f->cap,
		    sizeof *f->waiters);
	}
	f->waiters[f->nwaiters].r = r;
	f->waiters[f->nwaiters].fn = fn;
	f->nwaiters++;
	r->round_trips++;           /* the shared read is one for r too */
	request_hold(r);
}

/* Start f's read; -1 when Redis is down. */
static int
ledger_cache_start(struct ledger_flight *f)
{
	f->running = 1;
	f->read_at = util_now_ms();
	f->writes = f->daemon->store->writes;
	f->start = 0;
	f->l = ledger_new();
	return ledger_cache_send(f);
}

/* A new read of period, not started, in the list of flights. */
static struct ledger_flight *
ledger_cache_flight_new(struct daemon *d, const char *period)
{
	struct ledger_flight *f = xcalloc(1, sizeof *f);

	f->daemon = d;
	snprintf(f->period, sizeof f->period, "%s", period);
	f->next = d->ledger_cache->flights;
	d->ledger_cache->flights = f;
	return f;
}

/*
 * Call fn with the scored ledger of period: from the cache when it is
 * fresh; else from the read running, if it started after the last change,
 * or from the read that will follow it; else from a new read (or, while a
 * long read runs, the last whole ledger). fn answers the request and must
 * not keep or free the ledger.
 */
void
ledger_cache_fetch(struct request *r, const char *period, ledger_fn fn)
{
	struct daemon *d = r->daemon;
	struct ledger_cache *c = d->ledger_cache;
	int64_t now = util_now_ms();
	struct ledger_flight *f, *run;
	struct ledger *l;

	if (r->config->ledger_cache_ms > 0 && (l = ledger_cache_get(d, period,
	    r->config->ledger_cache_ms, now)) != NULL) {
		ledger_cache_score(l, r, now);
		fn(r, l);
		return;
	}
	if ((run = ledger_cache_flight(c, period, 1)) == NULL) {
		f = ledger_cache_flight_new(d, period);
		if (ledger_cache_start(f) == -1) {
			ledger_cache_land(c, f);
			ledger_free(f->l);
			free(f);
			evhttp_add_header(evhttp_request_get_output_headers(
			    r->req), "Retry-After", "1");
			request_error(r, 503, "unavailable",
			    "the store is unavailable", NULL);
			return;
		}
		ledger_cache_wait(f, r, fn);
		return;
	}
	if (now - run->read_at >= r->config->request_timeout_ms / 2 &&
	    (l = ledger_cache_stale(d, period, now)) != NULL) {
		ledger_cache_score(l, r, now);
		fn(r, l);
		return;
	}
	if (run->writes == d->store->writes) {
		ledger_cache_wait(run, r, fn);
		return;
	}
	if ((f = ledger_cache_flight(c, period, 0)) == NULL)
		f = ledger_cache_flight_new(d, period);
	ledger_cache_wait(f, r, fn);
}

/* How many ledger reads this daemon has sent to Redis (for /metrics). */
size_t
ledger_cache_reads(const struct ledger_cache *c)
{
	return c->reads;
}

/* One public ledger answer rendered, not taken from the memo (/metrics). */
void
ledger_cache_rendered(struct ledger_cache *c)
{
	c->renders++;
}

size_t
ledger_cache_renders(const struct ledger_cache *c)
{
	return c->renders;
}
