/*
 * ledger_cache.c -- the ledgers of recent periods, kept up to date from the
 * changes alone, so that the public ledger (GET /api/v1/ledger and
 * /ledger, which need no token) costs Redis next to nothing however often
 * it is asked for and however often the period changes. Reading a whole
 * period runs ledger.lua over every issue of it; unbounded, anyone could
 * keep Redis busy with it.
 *
 * A period is read whole once: a series of slices of LEDGER_CACHE_SLICE
 * issues, one script call each, so that a period of 100,000 issues never
 * holds Redis (and the claims waiting behind it, and the PING watchdog)
 * for long. The read runs to its end however many changes come meanwhile:
 * its first slice names the period's change sequence S (P ledger:seq),
 * and every script that changes an issue records it in the period's change
 * index above S (prelude.lua's ledger_flush; the index is in Redis, so
 * every daemon of the zone reads the same one). After that the copy is
 * brought up to date by reading only the issues changed since its
 * sequence (ledger.lua's "changes"; while claims wait for Redis,
 * LEDGER_CACHE_CHANGES a call, paced by LEDGER_CACHE_REDIS_DUTY) and
 * patching it (ledger_patch.c); the scorecards follow the patch, each
 * changed issue's counts taken away and added again (ledger_tally.c), so
 * a catch-up costs the loop the changed issues, not the period's 10^5,
 * and the figures are what a whole read gives.
 *
 * When: a copy serves as it is until this daemon runs any change
 * (store->writes moves on, so a change made here shows at once) or for
 * [ledger] cache_ms (changes made by another daemon). Then the next reader
 * waits for a catch-up. The requests that miss while a catch-up (or the
 * whole read) that started after the same changes is in flight wait for
 * it (single-flight); a period has at most one running and one waiting,
 * which starts when the running one ends. A catch-up starts no sooner
 * than LEDGER_CACHE_DUTY times the last one's work after it, and no sooner
 * than LEDGER_CACHE_GAP_MS (both at most a quarter of the request deadline
 * later): the ledger takes at most a fifth of the loop whatever the rate of
 * changes, and the readers of a period that changes all the time are
 * answered in rounds, a few a second, not as fast as they ask. Every
 * reader is answered from a queue, LEDGER_CACHE_BATCH a turn with
 * LEDGER_CACHE_DUTY times the turn's work left to the rest after it (a
 * flood of them answered at once would hold the loop, and the claims
 * behind it). A read running for longer than half the
 * request deadline no longer makes readers wait when there is a copy: they
 * get it (at most a minute old; its "generated" time says when) rather
 * than 503, those who came before as well as those who come after. The
 * first read of a period that has no copy still makes them wait (a whole
 * read of 100,000 issues takes seconds; 503 with Retry-After at the
 * request deadline), so the current period is read at start-up and at its
 * turn, before readers come (the warm-up, below). Losing the cache loses
 * nothing: it is only a copy of what Redis holds.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define LEDGER_CACHE_SLOTS 8
/* Issues per call of a whole read: a few milliseconds of Redis each. */
#define LEDGER_CACHE_SLICE 200
/*
 * Changed issues per call of a catch-up while other commands of this
 * daemon wait for Redis (claims; else LEDGER_CACHE_SLICE). Each claim
 * that reaches Redis during a call waits for the whole call: 200 changed
 * issues held Redis 5-25 ms a call (SLOWLOG, ledger_flood), the claims'
 * p99 with it; 50 hold it a quarter of that. With nothing else waiting,
 * fewer round trips end the catch-up sooner (its readers get a copy
 * half caught up once it runs past half the request deadline).
 */
#define LEDGER_CACHE_CHANGES 50
/*
 * While other commands of this daemon wait for Redis (claims), a
 * catch-up's next call is sent no sooner than this many times the last
 * call's round trip after its reply: a backlog of 10^4 changes (a quiet
 * spell with no reader) read back to back held Redis most of the time for
 * seconds, and every claim queued behind its calls. With 2 the catch-up
 * has at most a third of Redis then, less when Redis is slow (the round
 * trip grows with the claims queued ahead of it); with nothing else
 * waiting it goes on at once. LEDGER_CACHE_PAUSE_MAX_MS bounds the wait
 * (a stalled call must not stop the catch-up).
 */
#define LEDGER_CACHE_REDIS_DUTY 2
#define LEDGER_CACHE_PAUSE_MAX_MS 100
/* The oldest ledger given while a long read runs (below). */
#define LEDGER_CACHE_STALE_MAX_MS 60000
/* A catch-up, and a turn of answers, wait this many times the last
 * one's work on the loop: the ledger takes at most a fifth of it. */
#define LEDGER_CACHE_DUTY 4
/*
 * And at least this long (ms) after the last one: readers of a period that
 * changes all the time are answered in rounds, a few a second, rather than
 * as fast as they ask (their answers, not the catch-ups, would then fill
 * the loop and the claims wait behind them).
 */
#define LEDGER_CACHE_GAP_MS 250
/* How often the warm-up looks for the current period's copy (ms). */
#define LEDGER_CACHE_WARM_MS 1000
/*
 * Readers who waited for a catch-up answered per loop turn: a round of 200
 * answered at once would hold the loop (and the claims behind it) for its
 * whole length; in turns of a few, other events come in between.
 */
#define LEDGER_CACHE_BATCH 16

struct ledger_cache {
	struct {
		char period[PERIOD_LEN + 1];
		struct ledger *l;
		int64_t read_at;         /* ms, when its last read was sent */
		uint64_t writes;         /* store->writes then */
		uint64_t seq;            /* the period's change sequence it holds */
		double done_at;          /* metrics_clock() of its last catch-up */
		double busy;             /* s of the loop that catch-up took */
	} slot[LEDGER_CACHE_SLOTS];
	struct ledger_flight *flights;   /* reads in flight */
	size_t reads;                    /* script calls sent, for tests and logs */
	size_t renders;                  /* answers rendered (ledger_memo.c) */
	size_t counted;                  /* tasks counted in scoring them */
	struct event *warm;              /* the warm-up's timer */
	/* Readers of caught-up copies, answered LEDGER_CACHE_BATCH a turn. */
	struct ledger_cache_queued {
		struct request *r;           /* held */
		ledger_fn fn;
		char period[PERIOD_LEN + 1]; /* its copy: the slot's when answered */
	} *queue;
	size_t qhead, qlen, qcap;
	struct event *drain;             /* the next turn's answers */
	double drain_at;                 /* metrics_clock() of the next turn
	                                  * (the duty: ledger_cache_drain) */
	struct {                         /* the turns since the queue was
	                                  * last empty, for the log */
		size_t answered, turns;
		double first, work, last;    /* s; last: the last turn's work */
	} run;
	int stopping;                    /* ledger_cache_stop: start nothing */
};

/*
 * One read of a period's ledger in flight (whole, then caught up; or a
 * catch-up of the cached copy), and the requests waiting for it:
 * concurrent misses of the same period (and the same store->writes) share
 * one read (single-flight).
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
	struct ledger *whole;       /* a whole read's rows, or NULL: the copy's */
	struct ledger *l;           /* the rows of this call's kind so far */
	size_t start;               /* a whole read: where the next slice starts */
	uint64_t since, upto;       /* a catch-up: the changes in (since, upto];
	                             * upto 0: not known yet */
	char **gone;                /* ids of issues no longer stored */
	size_t ngone;
	size_t counted;             /* the copy's counted before its first
	                             * part was patched; SIZE_MAX: none yet */
	double busy;                /* s of the loop its parts' patches took */
	struct ledger_flight_waiter *waiters;
	size_t nwaiters, cap;
	int slicing;                /* 1: a whole read, slice by slice */
	int running;                /* 0: waits for the running one */
	int sent;                   /* 0: its start is put off (the duty) */
	int calling;                /* a call of it is in Redis */
	int yielding;               /* a catch-up's calls: others wait */
	double call_at;             /* metrics_clock() when it was sent */
	struct event *timer;        /* the put-off start, or next call */
	struct event *impatient;    /* half the deadline into a catch-up */
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
	if (c->warm != NULL)
		event_free(c->warm);
	if (c->drain != NULL)
		event_free(c->drain);
	free(c->queue);
	free(c);
}

/* The period's slot, or -1. */
static int
ledger_cache_slot(const struct ledger_cache *c, const char *period)
{
	int i;

	for (i = 0; i < LEDGER_CACHE_SLOTS; i++)
		if (c->slot[i].l != NULL &&
		    strcmp(c->slot[i].period, period) == 0)
			return i;
	return -1;
}

static struct ledger *
ledger_cache_get(struct daemon *d, const char *period, int max_age_ms,
    int64_t now)
{
	struct ledger_cache *c = d->ledger_cache;
	int i = ledger_cache_slot(c, period);

	if (i != -1 && c->slot[i].writes == d->store->writes &&
	    now - c->slot[i].read_at < max_age_ms)
		return c->slot[i].l;
	return NULL;
}

/* The period's last whole ledger, stale or not (up to a minute), or NULL. */
static struct ledger *
ledger_cache_stale(struct daemon *d, const char *period, int64_t now)
{
	struct ledger_cache *c = d->ledger_cache;
	int i = ledger_cache_slot(c, period);

	if (i != -1 && now - c->slot[i].read_at < LEDGER_CACHE_STALE_MAX_MS)
		return c->slot[i].l;
	return NULL;
}

/* Keep l (the cache owns it), in the period's slot or the oldest one. */
static int
ledger_cache_put(struct daemon *d, const char *period, struct ledger *l)
{
	struct ledger_cache *c = d->ledger_cache;
	int i, pick = ledger_cache_slot(c, period);

	if (pick == -1) {
		pick = 0;
		for (i = 0; i < LEDGER_CACHE_SLOTS; i++)
			if (c->slot[i].l == NULL ||
			    (c->slot[pick].l != NULL &&
			    c->slot[i].read_at < c->slot[pick].read_at))
				pick = i;
	}
	if (c->slot[pick].l != l)
		ledger_free(c->slot[pick].l);
	memset(&c->slot[pick], 0, sizeof c->slot[pick]);
	snprintf(c->slot[pick].period, sizeof c->slot[pick].period, "%s",
	    period);
	c->slot[pick].l = l;
	return pick;
}

/*
 * Score l for roster and weights at now, unless it was scored for that
 * roster less than a second ago: a cached ledger of a large period is
 * handed to many readers a second, and each scoring drops the answers
 * rendered (ledger_memo.c). (The roster and the weights change together,
 * with the generation; a patch makes it score again.) Scoring a caught-up
 * copy counts only what changed (ledger_tally.c).
 */
static void
ledger_cache_score(struct ledger_cache *c, struct ledger *l,
    const struct roster *roster, const int *weights, int64_t now)
{
	size_t before = l->counted;

	if (l->scored_for == roster && l->now != 0 && now >= l->now &&
	    now - l->now < 1000)
		return;
	ledger_score(l, roster, weights, now);
	l->scored_for = roster;
	c->counted += l->counted - before;
}

/* The same for the reader r. */
static void
ledger_cache_score_for(struct ledger *l, const struct request *r, int64_t now)
{
	ledger_cache_score(r->daemon->ledger_cache, l, r->roster,
	    r->config->ledger_weights, now);
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

static void ledger_cache_serve(struct ledger_flight *, struct ledger *,
    const void *, double);
static int ledger_cache_send(struct ledger_flight *);
static int ledger_cache_next(struct ledger_flight *);
static void ledger_cache_go(evutil_socket_t, short, void *);
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

/* Forget what f read so far. */
static void
ledger_cache_clear(struct ledger_flight *f)
{
	size_t i;

	ledger_free(f->l);
	f->l = NULL;
	for (i = 0; i < f->ngone; i++)
		free(f->gone[i]);
	free(f->gone);
	f->gone = NULL;
	f->ngone = 0;
}

/* Answer r (fn) from period's copy, scored for it. */
static void
ledger_cache_answer(struct ledger_cache *c, struct request *r, ledger_fn fn,
    const char *period, int64_t now)
{
	int k;

	if ((k = ledger_cache_slot(c, period)) == -1) {
		/* put out of the cache meanwhile (8 other periods) */
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Retry-After", "1");
		request_error(r, 503, "unavailable", "the ledger is being read",
		    NULL);
		return;
	}
	ledger_cache_score_for(c->slot[k].l, r, now);
	fn(r, c->slot[k].l);            /* answers: r is gone */
}

static void ledger_cache_drain(evutil_socket_t, short, void *);

/* Run the drain at c->drain_at (metrics_clock()), or at once. */
static void
ledger_cache_drain_at(struct daemon *d)
{
	struct ledger_cache *c = d->ledger_cache;
	double wait = c->drain_at - metrics_clock();
	struct timeval tv = { 0, 0 };

	if (c->drain == NULL)
		c->drain = evtimer_new(d->base, ledger_cache_drain, d);
	if (wait > 0) {
		tv.tv_sec = (time_t)wait;
		tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6);
	}
	/* from now, not from the loop turn's start (before the answers) */
	event_base_update_cache_time(d->base);
	evtimer_add(c->drain, &tv);
}

/*
 * Answer the next LEDGER_CACHE_BATCH readers queued, and come again once
 * the loop has done LEDGER_CACHE_DUTY times their work on other things.
 */
static void
ledger_cache_drain(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct ledger_cache *c = d->ledger_cache;
	struct ledger_cache_queued *q;
	double t0 = metrics_clock();
	int64_t now = util_now_ms();
	size_t n;

	(void)fd;
	(void)what;
	if (c->run.turns++ == 0)
		c->run.first = t0;
	for (n = 0; n < LEDGER_CACHE_BATCH && c->qhead < c->qlen; n++) {
		q = &c->queue[c->qhead++];
		if (request_drop(q->r))  /* else answered meanwhile (its deadline) */
			ledger_cache_answer(c, q->r, q->fn, q->period, now);
	}
	c->run.answered += n;
	c->drain_at = metrics_clock();
	c->run.last = c->drain_at - t0;
	c->run.work += c->run.last;
	c->drain_at += LEDGER_CACHE_DUTY * c->run.last;
	if (c->qhead < c->qlen) {
		ledger_cache_drain_at(d);
		return;
	}
	c->qhead = c->qlen = 0;
	log_debug("ledger: %zu readers answered in %zu turns: %.3f ms of "
	    "answers (the last turn %.3f), %.3f ms between the turns",
	    c->run.answered, c->run.turns, c->run.work * 1000,
	    c->run.last * 1000, (metrics_clock() - c->run.first -
	    c->run.work) * 1000);
	memset(&c->run, 0, sizeof c->run);
}

/*
 * Answer r (held, fn) from period's copy in a later turn, in the queue's
 * order (ledger_cache_drain). Every reader of the ledger comes this way
 * (its routes need no token), from a fresh copy as from a catch-up or a
 * stale copy: rendering pages that vary costs the loop 0.1-0.2 ms each,
 * and 200 readers answered as fast as they asked took the loop (and the
 * CPU the claims and Redis share) from the claims.
 */
static void
ledger_cache_give(struct daemon *d, struct request *r, ledger_fn fn,
    const char *period)
{
	struct ledger_cache *c = d->ledger_cache;
	if (c->qhead > 0 && c->qhead * 2 >= c->qlen) {  /* room at the front */
		memmove(c->queue, &c->queue[c->qhead],
		    (c->qlen - c->qhead) * sizeof *c->queue);
		c->qlen -= c->qhead;
		c->qhead = 0;
	}
	if (c->qlen == c->qcap) {
		c->qcap = c->qcap ? c->qcap * 2 : 64;
		c->queue = xreallocarray(c->queue, c->qcap, sizeof *c->queue);
	}
	c->queue[c->qlen].r = r;
	c->queue[c->qlen].fn = fn;
	snprintf(c->queue[c->qlen].period, sizeof c->queue[c->qlen].period,
	    "%s", period);
	c->qlen++;
	if (c->drain == NULL || !evtimer_pending(c->drain, NULL))
		ledger_cache_drain_at(d);
}

/*
 * The daemon stops: the readers still queued are answered 503 while their
 * connections exist.
 */
void
ledger_cache_stop(struct ledger_cache *c)
{
	struct ledger_flight *f;
	struct request *r;

	for (; c->qhead < c->qlen; c->qhead++) {
		r = c->queue[c->qhead].r;
		if (!request_drop(r))
			continue;
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Retry-After", "1");
		request_error(r, 503, "unavailable", "the daemon is stopping",
		    NULL);
	}
	c->qhead = c->qlen = 0;
	/*
	 * The reads put off (a duty's timer) end here, their waiters 503;
	 * those with a call in Redis end as the store fails it.
	 */
	c->stopping = 1;
	do {
		for (f = c->flights; f != NULL && f->calling; f = f->next)
			;
		if (f != NULL)
			ledger_cache_serve(f, NULL, NULL, 0);
	} while (f != NULL);
}

/*
 * A flight's read is over: every waiter still waiting gets l (or the
 * error: reply NULL when Redis is gone, else l NULL), those of a kept copy
 * a few a loop turn (ledger_cache_drain); a catch-up (t0, the
 * metrics_clock() of its patch) is timed, so that the period's waiting
 * read, if any, starts when the duty allows.
 */
static void
ledger_cache_serve(struct ledger_flight *f, struct ledger *l,
    const void *reply, double t0)
{
	struct daemon *d = f->daemon;
	struct ledger_cache *c = d->ledger_cache;
	struct ledger_flight *next;
	struct request *r;
	int64_t now = util_now_ms();
	size_t i;
	int k;

	ledger_cache_land(d->ledger_cache, f);
	if (t0 > 0 && l != NULL && ledger_cache_slot(c, f->period) != -1) {
		for (i = 0; i < f->nwaiters; i++)    /* a kept copy */
			ledger_cache_give(d, f->waiters[i].r,
			    f->waiters[i].fn, f->period);
		f->nwaiters = 0;
	}
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
			ledger_cache_score_for(l, r, now);
			f->waiters[i].fn(r, l);     /* answers: r is gone */
		}
	}
	if (t0 > 0 && (k = ledger_cache_slot(c, f->period)) != -1) {
		c->slot[k].done_at = metrics_clock();
		c->slot[k].busy = c->slot[k].done_at - t0 + f->busy;
		log_debug("ledger: %s caught up to %" PRIu64 " (%zu issues, "
		    "%zu tasks counted): %.1f ms of the loop", f->period,
		    c->slot[k].seq, c->slot[k].l->nissues,
		    c->slot[k].l->counted - f->counted,
		    c->slot[k].busy * 1000);
	}
	ledger_cache_clear(f);
	ledger_free(f->whole);
	free(f->waiters);
	if (f->timer != NULL)
		event_free(f->timer);
	if (f->impatient != NULL)
		event_free(f->impatient);
	if (f->running && (next = ledger_cache_flight(c, f->period, 0)) !=
	    NULL && ledger_cache_start(next) == -1)
		ledger_cache_serve(next, NULL, NULL, 0);
	free(f);
}

/*
 * Patch l (the whole read's copy, or the cache's) with the changed rows f
 * read so far and the issues gone, and start f's next part afresh. A
 * catch-up is patched a reply at a time (at most LEDGER_CACHE_SLICE
 * issues), as its replies come: a backlog of 10^4 changes patched at once
 * held the loop, and every claim waiting on it, for 100 ms and more. A
 * reader given the copy meanwhile (the queued ones, or those of a long
 * catch-up) sees some of the changes: rows as Redis had them, newer than
 * the copy it started from.
 */
static void
ledger_cache_patch(struct ledger_flight *f, struct ledger *l)
{
	struct ledger_cache *c = f->daemon->ledger_cache;
	double t0 = metrics_clock(), t;
	size_t before = l->counted, n = f->l->nissues + f->ngone;

	if (f->counted == SIZE_MAX)
		f->counted = before;
	ledger_patch(l, f->l, f->gone, f->ngone);
	c->counted += l->counted - before;
	ledger_cache_clear(f);
	f->l = ledger_new();
	t = metrics_clock() - t0;
	f->busy += t;
	log_debug("ledger: %s patched with %zu changed issues: %.1f ms",
	    f->period, n, t * 1000);
}

/*
 * The changes are all read: patch the copy (the whole read's, or the
 * cache's) with the last part, keep it, and serve the waiters, timing the
 * loop's work.
 */
static void
ledger_cache_caught_up(struct ledger_flight *f, uint64_t seq, void *reply)
{
	struct daemon *d = f->daemon;
	struct ledger_cache *c = d->ledger_cache;
	struct ledger *l = f->whole;
	double t0 = metrics_clock(), parts = f->busy;
	int keep = d->current->config->ledger_cache_ms > 0, i;

	if (l == NULL)
		l = c->slot[ledger_cache_slot(c, f->period)].l;
	ledger_cache_patch(f, l);
	f->busy = parts;        /* the last part is timed with the serving */
	ledger_cache_clear(f);
	if (!keep) {            /* cache_ms = 0: a whole read each time */
		ledger_cache_serve(f, l, reply, 0);
		return;
	}
	f->whole = NULL;        /* the cache's now */
	i = ledger_cache_put(d, f->period, l);
	c->slot[i].read_at = f->read_at;
	c->slot[i].writes = f->writes;
	c->slot[i].seq = seq;
	/* scored here, so a warm-up's copy is ready before any reader */
	ledger_cache_score(c, l, d->current->roster,
	    d->current->config->ledger_weights, util_now_ms());
	ledger_cache_serve(f, l, reply, t0);
}

/* Take the 'seq:N', 'upto:N' and 'gone:ID' strings of a reply. */
static void
ledger_cache_marks(struct ledger_flight *f, const redisReply *reply,
    uint64_t *seq)
{
	const redisReply *e;
	size_t i;

	for (i = 0; i < reply->elements; i++) {
		e = reply->element[i];
		if (e->type != REDIS_REPLY_STRING)
			continue;
		if (strncmp(e->str, "seq:", 4) == 0)
			*seq = strtoull(e->str + 4, NULL, 10);
		else if (strncmp(e->str, "upto:", 5) == 0)
			f->upto = strtoull(e->str + 5, NULL, 10);
		else if (strncmp(e->str, "gone:", 5) == 0) {
			f->gone = xreallocarray(f->gone, f->ngone + 1,
			    sizeof *f->gone);
			f->gone[f->ngone++] = xstrdup(e->str + 5);
		}
	}
}

/* Do other commands of this daemon wait for Redis (claims)? */
static int
ledger_cache_others(const struct ledger_flight *f)
{
	const redisAsyncContext *ac = f->daemon->store->ctx;

	return ac != NULL && ac->replies.head != NULL;
}

/* Begin the catch-up of f from since (after a whole read, or of a copy). */
static int
ledger_cache_catch_up(struct ledger_flight *f, uint64_t since)
{
	f->yielding = ledger_cache_others(f);
	f->since = since;
	f->upto = 0;
	f->l = ledger_new();
	f->counted = SIZE_MAX;
	f->busy = 0;
	return ledger_cache_send(f);
}

/* One call of a flight's read is back: add it, then read on or serve. */
static void
ledger_cache_read(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct ledger_flight *f = privdata;
	struct ledger_cache *c = f->daemon->ledger_cache;
	const redisReply *rr = reply;
	uint64_t seq = f->since;
	int n = -1, k = -1;

	(void)ac;
	f->calling = 0;
	if (rr != NULL && !store_reply_is_error(f->daemon->store, rr) &&
	    rr->type == REDIS_REPLY_ARRAY) {
		ledger_cache_marks(f, rr, &seq);
		n = ledger_add_rows(f->l, rr);
	}
	if (n < 0) {
		ledger_cache_serve(f, NULL, reply, 0);
		return;
	}
	if (f->slicing) {
		if (f->start == 0)
			f->since = seq;     /* where its catch-up starts */
		if (n == LEDGER_CACHE_SLICE) {	/* there may be more */
			f->start += LEDGER_CACHE_SLICE;
			if (ledger_cache_send(f) == -1)
				ledger_cache_serve(f, NULL, NULL, 0);
			return;
		}
		ledger_sort(f->l);
		f->whole = f->l;
		f->l = NULL;
		f->slicing = 0;
		if (ledger_cache_catch_up(f, f->since) == -1)
			ledger_cache_serve(f, NULL, NULL, 0);
		return;
	}
	if (f->whole == NULL && (k = ledger_cache_slot(c, f->period)) == -1) {
		/* the copy was put out of the cache meanwhile: read whole */
		ledger_cache_clear(f);
		f->slicing = 1;
		f->start = 0;
		f->l = ledger_new();
		if (ledger_cache_send(f) == -1)
			ledger_cache_serve(f, NULL, NULL, 0);
		return;
	}
	if (f->l->carried_period == NULL) {     /* more changes to read */
		ledger_cache_patch(f, f->whole != NULL ? f->whole :
		    c->slot[k].l);
		f->since = seq;
		if (ledger_cache_next(f) == -1)
			ledger_cache_serve(f, NULL, NULL, 0);
		return;
	}
	ledger_cache_caught_up(f, seq, reply);
}

/*
 * Send a catch-up's next call, LEDGER_CACHE_REDIS_DUTY times the last
 * one's round trip from now (at most LEDGER_CACHE_PAUSE_MAX_MS) when other
 * commands wait for Redis on this daemon's connection: Redis serves them
 * in between. -1 when Redis is down.
 */
static int
ledger_cache_next(struct ledger_flight *f)
{
	double rtt = metrics_clock() - f->call_at;
	double wait = LEDGER_CACHE_REDIS_DUTY * rtt;
	struct timeval tv;

	if (!(f->yielding = ledger_cache_others(f)))
		wait = 0;               /* nothing else waits */
	if (wait > LEDGER_CACHE_PAUSE_MAX_MS / 1000.0)
		wait = LEDGER_CACHE_PAUSE_MAX_MS / 1000.0;
	if (wait <= 0)
		return ledger_cache_send(f);
	log_debug("ledger: %s's next call (at most %d changed issues) in %.3f "
	    "ms (the last took %.3f ms; other commands wait)", f->period,
	    LEDGER_CACHE_CHANGES, wait * 1000, rtt * 1000);
	tv.tv_sec = 0;
	tv.tv_usec = (suseconds_t)(wait * 1e6);
	if (f->timer == NULL)
		f->timer = evtimer_new(f->daemon->base, ledger_cache_go, f);
	if (f->timer == NULL)
		return ledger_cache_send(f);
	event_base_update_cache_time(f->daemon->base);
	evtimer_add(f->timer, &tv);
	return 0;
}

/* Ask for the next call of f's read; -1 when Redis is down. */
static int
ledger_cache_send(struct ledger_flight *f)
{
	char start[32], count[32], since[32], upto[32];
	char past[LEDGER_PAST * (PERIOD_LEN + 1) + 1];
	const char *whole[5] = { "period", f->period, start, count, past };
	const char *changes[6] = { "changes", f->period, since, count, past,
	    upto };

	snprintf(start, sizeof start, "%zu", f->start);
	snprintf(count, sizeof count, "%d", f->yielding && !f->slicing ?
	    LEDGER_CACHE_CHANGES : LEDGER_CACHE_SLICE);
	snprintf(since, sizeof since, "%" PRIu64, f->since);
	if (f->upto != 0)
		snprintf(upto, sizeof upto, "%" PRIu64, f->upto);
	else
		upto[0] = '\0';         /* the period's sequence now */
	ledger_past_periods(f->period, past, sizeof past);
	if (f->daemon->ledger_cache->stopping ||
	    store_script(f->daemon->store, SCRIPT_LEDGER, ledger_cache_read, f,
	    f->slicing ? 5 : 6, f->slicing ? whole : changes, NULL) == -1)
		return -1;
	f->calling = 1;
	f->call_at = metrics_clock();
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

/*
 * A catch-up has run for half the request deadline (a backlog of changes,
 * or Redis slow): its waiters get the copy it started from, as readers who
 * come now do (ledger_cache_fetch), rather than 503 at the deadline.
 */
static void
ledger_cache_impatient(evutil_socket_t fd, short what, void *arg)
{
	struct ledger_flight *f = arg;
	size_t i;

	(void)fd;
	(void)what;
	if (ledger_cache_stale(f->daemon, f->period, util_now_ms()) == NULL)
		return;
	for (i = 0; i < f->nwaiters; i++)
		ledger_cache_give(f->daemon, f->waiters[i].r, f->waiters[i].fn,
		    f->period);
	f->nwaiters = 0;
}

/* Send f's first call: a catch-up of the copy, or a whole read. */
static int
ledger_cache_begin(struct ledger_flight *f)
{
	struct ledger_cache *c = f->daemon->ledger_cache;
	int i = ledger_cache_slot(c, f->period);

	int half = f->daemon->current->config->request_timeout_ms / 2;
	struct timeval tv = { half / 1000, (half % 1000) * 1000 };

	f->sent = 1;
	f->read_at = util_now_ms();
	f->writes = f->daemon->store->writes;
	if (i != -1) {
		f->impatient = evtimer_new(f->daemon->base,
		    ledger_cache_impatient, f);
		evtimer_add(f->impatient, &tv);
		return ledger_cache_catch_up(f, c->slot[i].seq);
	}
	f->slicing = 1;
	f->start = 0;
	f->l = ledger_new();
	return ledger_cache_send(f);
}

/* The put-off start of a catch-up, or its next call (the duties' timer). */
static void
ledger_cache_go(evutil_socket_t fd, short what, void *arg)
{
	struct ledger_flight *f = arg;

	(void)fd;
	(void)what;
	if ((f->sent ? ledger_cache_send(f) : ledger_cache_begin(f)) == -1)
		ledger_cache_serve(f, NULL, NULL, 0);
}

/*
 * Start f's read, or put it off until the loop has done LEDGER_CACHE_DUTY
 * times the last catch-up's work on other things, and LEDGER_CACHE_GAP_MS
 * has passed since it (at most a quarter of the request deadline); -1
 * when Redis is down.
 */
static int
ledger_cache_start(struct ledger_flight *f)
{
	struct ledger_cache *c = f->daemon->ledger_cache;
	int i = ledger_cache_slot(c, f->period);
	double wait, gap, most = f->daemon->current->config->request_timeout_ms /
	    4000.0;
	struct timeval tv;

	f->running = 1;
	if (c->stopping)
		return -1;
	if (i == -1)
		return ledger_cache_begin(f);
	gap = LEDGER_CACHE_DUTY * c->slot[i].busy;
	if (gap < LEDGER_CACHE_GAP_MS / 1000.0)
		gap = LEDGER_CACHE_GAP_MS / 1000.0;
	if ((wait = c->slot[i].done_at + gap - metrics_clock()) <= 0)
		return ledger_cache_begin(f);
	if (wait > most)
		wait = most;
	tv.tv_sec = (time_t)wait;
	tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6);
	f->timer = evtimer_new(f->daemon->base, ledger_cache_go, f);
	evtimer_add(f->timer, &tv);
	return 0;
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
 * fresh; else from the read running, if it started after the last change
 * (or has not started yet), or from the read that will follow it; else
 * from a new read (or, while a long read runs, the last copy). fn answers
 * the request and must not keep or free the ledger.
 */
void
ledger_cache_fetch(struct request *r, const char *period, ledger_fn fn)
{
	struct daemon *d = r->daemon;
	struct ledger_cache *c = d->ledger_cache;
	int64_t now = util_now_ms();
	struct ledger_flight *f, *run;

	if (r->config->ledger_cache_ms > 0 && ledger_cache_get(d, period,
	    r->config->ledger_cache_ms, now) != NULL) {
		request_hold(r);
		ledger_cache_give(d, r, fn, period);
		return;
	}
	if ((run = ledger_cache_flight(c, period, 1)) == NULL) {
		f = ledger_cache_flight_new(d, period);
		if (ledger_cache_start(f) == -1) {
			ledger_cache_land(c, f);
			ledger_cache_clear(f);
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
	if (run->sent && now - run->read_at >= r->config->request_timeout_ms /
	    2 && ledger_cache_stale(d, period, now) != NULL) {
		request_hold(r);
		ledger_cache_give(d, r, fn, period);
		return;
	}
	if (!run->sent || run->writes == d->store->writes) {
		ledger_cache_wait(run, r, fn);
		return;
	}
	if ((f = ledger_cache_flight(c, period, 0)) == NULL)
		f = ledger_cache_flight_new(d, period);
	ledger_cache_wait(f, r, fn);
}

/*
 * The warm-up: the current period read whole before any reader asks for
 * it, at start-up (once Redis answers), at a period's turn and whenever
 * its copy was put out of the cache, so that a period of 10^5 issues is
 * not read while readers wait (seconds). A reader who comes while it runs
 * waits for it like any miss (503 with Retry-After at the request
 * deadline).
 */
static void
ledger_cache_warm(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct ledger_cache *c = d->ledger_cache;
	struct timeval tv = { LEDGER_CACHE_WARM_MS / 1000,
	    (LEDGER_CACHE_WARM_MS % 1000) * 1000 };
	struct ledger_flight *f;
	char period[PERIOD_LEN + 1];
	struct period p;

	(void)fd;
	(void)what;
	evtimer_add(c->warm, &tv);
	if (d->current->config->ledger_cache_ms == 0 || !store_up(d->store))
		return;
	period_of_time(time(NULL), &p);     /* the period readers get (api.c) */
	period_format(&p, period);
	if (ledger_cache_slot(c, period) != -1 ||
	    ledger_cache_flight(c, period, 1) != NULL)
		return;
	log_debug("ledger: warming %s", period);
	f = ledger_cache_flight_new(d, period);
	if (ledger_cache_start(f) == -1)
		ledger_cache_serve(f, NULL, NULL, 0);
}

/* Start the warm-up's timer; its first look is at once. */
void
ledger_cache_warm_start(struct daemon *d)
{
	struct ledger_cache *c = d->ledger_cache;
	struct timeval now = { 0, 0 };

	c->warm = evtimer_new(d->base, ledger_cache_warm, d);
	evtimer_add(c->warm, &now);
}

/* How many ledger script calls this daemon has sent to Redis (/metrics). */
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

/* How many tasks scoring the cached ledgers counted (/metrics). */
size_t
ledger_cache_counted(const struct ledger_cache *c)
{
	return c->counted;
}
