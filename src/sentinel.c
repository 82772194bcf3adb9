/*
 * sentinel.c -- the daemon's way to the Redis primary when [redis]
 * sentinels is set: one hiredis async connection to one Sentinel at a time,
 * which asks SENTINEL get-master-addr-by-name and then subscribes to
 * +switch-master, so a failover is heard the moment the Sentinels decide
 * it. store.c also asks again (sentinel_reask) when the primary is lost,
 * refuses a write with READONLY, or turns out to be a replica.
 *
 * A Sentinel that does not answer, does not know the name or drops the
 * connection is left for the next one in the list, after a short wait.
 * Every SENTINEL_REFRESH_MS the daemon also moves on to the next one and
 * asks afresh: a subscription cannot be PINGed with hiredis 0.14, so this
 * is how a Sentinel that went silent (or a message missed) is noticed.
 * The rules for addresses and replies are the library's (sentinel_addr.c),
 * shared with liaisonctl and the digest thread (redis_sync.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libevent.h>

#include "liaison.h"
#include "daemon.h"

#define SENTINEL_RETRY_MS 200      /* before the next Sentinel */
#define SENTINEL_ROUND_MS 1000     /* when all of them were tried */
#define SENTINEL_REFRESH_MS 15000  /* ask afresh, of the next Sentinel */

struct sentinel {
	struct event_base *base;
	struct sentinel_addr *addrs;
	size_t n;
	size_t at;                  /* the Sentinel asked now */
	char *master;
	int timeout_ms;
	sentinel_primary_fn fn;
	void *arg;

	redisAsyncContext *ctx;
	int answered;               /* this connection named the primary */
	int stopping;
	struct event *retry_ev;     /* connect to addrs[at] */
	struct event *connect_ev;   /* connect or answer deadline */
	struct event *drop_ev;      /* free ctx outside hiredis's callbacks */
	struct event *refresh_ev;   /* time to ask afresh */
	int refreshing;             /* this drop is a refresh: no waiting */
};

static void sentinel_connect(struct sentinel *);

static void
sentinel_timer_add(struct event *ev, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

/* Leave this Sentinel: the next one is asked after a short wait. */
static void
sentinel_next(struct sentinel *s, int ms)
{
	s->ctx = NULL;
	s->answered = 0;
	evtimer_del(s->connect_ev);
	evtimer_del(s->refresh_ev);
	if (s->stopping)
		return;
	s->at = (s->at + 1) % s->n;
	if (s->refreshing)
		ms = 0;
	else if (s->at == 0 && ms > 0)
		ms = SENTINEL_ROUND_MS;
	s->refreshing = 0;
	if (!evtimer_pending(s->retry_ev, NULL))
		sentinel_timer_add(s->retry_ev, ms);
}

/*
 * Free the connection (never from inside one of its callbacks: see
 * sentinel_fail). Its disconnect callback moves on to the next Sentinel.
 */
static void
sentinel_drop(struct sentinel *s)
{
	redisAsyncContext *ctx = s->ctx;

	if (ctx == NULL)
		return;
	if ((ctx->c.flags & REDIS_CONNECTED) == 0) {
		/* Never connected: hiredis will not call disconnect. */
		s->ctx = NULL;
		redisAsyncFree(ctx);
		sentinel_next(s, SENTINEL_RETRY_MS);
		return;
	}
	redisAsyncFree(ctx);
}

static void
sentinel_drop_cb(int fd, short what, void *arg)
{
	sentinel_drop(arg);
}

static void
sentinel_refresh(int fd, short what, void *arg)
{
	struct sentinel *s = arg;

	s->refreshing = 1;
	sentinel_drop(s);
}

/* Give up on this connection from inside a callback: freed next pass. */
static void
sentinel_fail(struct sentinel *s)
{
	event_active(s->drop_ev, EV_TIMEOUT, 0);
}

static void
sentinel_tell(struct sentinel *s, const struct sentinel_addr *a)
{
	s->fn(s->arg, a);
}

/* The answer to SENTINEL get-master-addr-by-name. */
static void
sentinel_answer(redisAsyncContext *c, void *r, void *privdata)
{
	struct sentinel *s = c->data;
	struct sentinel_addr a;

	if (r == NULL || s->ctx != c)
		return;
	if (sentinel_addr_from_reply(r, &a) == -1) {
		log_warnx("redis: Sentinel %s:%d does not know \"%s\"",
		    s->addrs[s->at].host, s->addrs[s->at].port, s->master);
		sentinel_fail(s);
		return;
	}
	evtimer_del(s->connect_ev);
	s->answered = 1;
	sentinel_timer_add(s->refresh_ev, SENTINEL_REFRESH_MS);
	sentinel_tell(s, &a);
}

/* Every message on +switch-master (and the subscription's confirmation). */
static void
sentinel_message(redisAsyncContext *c, void *r, void *privdata)
{
	struct sentinel *s = c->data;
	redisReply *reply = r, *msg;
	struct sentinel_addr a;

	if (reply == NULL || s->ctx != c || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(reply->element[0]->str, "message") != 0)
		return;
	msg = reply->element[2];
	if (msg->type != REDIS_REPLY_STRING ||
	    sentinel_addr_from_switch(msg->str, msg->len, s->master, &a) == -1)
		return;
	log_info("redis: Sentinel %s:%d: +switch-master %.*s",
	    s->addrs[s->at].host, s->addrs[s->at].port, (int)msg->len,
	    msg->str);
	sentinel_tell(s, &a);
}

static void
sentinel_connected(const redisAsyncContext *c, int status)
{
	struct sentinel *s = c->data;

	if (s->ctx != c)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context itself after this callback. */
		log_debug("redis: Sentinel %s:%d: %s", s->addrs[s->at].host,
		    s->addrs[s->at].port, c->errstr);
		sentinel_next(s, SENTINEL_RETRY_MS);
		return;
	}
	/* A regular reply comes before any message, even once subscribed. */
	redisAsyncCommand(s->ctx, sentinel_answer, NULL,
	    "SENTINEL get-master-addr-by-name %s", s->master);
	redisAsyncCommand(s->ctx, sentinel_message, NULL,
	    "SUBSCRIBE +switch-master");
}

static void
sentinel_disconnected(const redisAsyncContext *c, int status)
{
	struct sentinel *s = c->data;

	if (s->ctx != c)
		return;
	log_debug("redis: Sentinel %s:%d gone", s->addrs[s->at].host,
	    s->addrs[s->at].port);
	sentinel_next(s, s->stopping ? 0 : SENTINEL_RETRY_MS);
}

/* No connection or no answer in time: try the next Sentinel. */
static void
sentinel_timeout(int fd, short what, void *arg)
{
	struct sentinel *s = arg;

	log_debug("redis: Sentinel %s:%d did not answer in time",
	    s->addrs[s->at].host, s->addrs[s->at].port);
	sentinel_drop(s);
}

static void
sentinel_retry(int fd, short what, void *arg)
{
	sentinel_connect(arg);
}

static void
sentinel_connect(struct sentinel *s)
{
	const struct sentinel_addr *a = &s->addrs[s->at];
	redisAsyncContext *ctx;

	if (s->stopping || s->ctx != NULL)
		return;
	ctx = redisAsyncConnect(a->host, a->port);
	if (ctx == NULL || ctx->err) {
		log_debug("redis: Sentinel %s:%d: %s", a->host, a->port,
		    ctx ? ctx->errstr : "no memory");
		if (ctx != NULL)
			redisAsyncFree(ctx);
		sentinel_next(s, SENTINEL_RETRY_MS);
		return;
	}
	ctx->data = s;
	s->ctx = ctx;
	s->answered = 0;
	redisLibeventAttach(ctx, s->base);
	redisAsyncSetConnectCallback(ctx, sentinel_connected);
	redisAsyncSetDisconnectCallback(ctx, sentinel_disconnected);
	sentinel_timer_add(s->connect_ev, s->timeout_ms);
}

/*
 * Start asking the config's Sentinels for its master; fn is told the
 * primary's address each time one of them names it (the same one again,
 * too: the caller compares).
 */
struct sentinel *
sentinel_start(struct event_base *base, const struct config *cfg,
    sentinel_primary_fn fn, void *arg)
{
	struct sentinel *s = xcalloc(1, sizeof *s);

	s->base = base;
	s->n = cfg->redis_nsentinels;
	s->addrs = xcalloc(s->n, sizeof *s->addrs);
	memcpy(s->addrs, cfg->redis_sentinels, s->n * sizeof *s->addrs);
	s->master = xstrdup(cfg->redis_master);
	s->timeout_ms = cfg->redis_timeout_ms;
	s->fn = fn;
	s->arg = arg;
	s->retry_ev = evtimer_new(base, sentinel_retry, s);
	s->connect_ev = evtimer_new(base, sentinel_timeout, s);
	s->drop_ev = evtimer_new(base, sentinel_drop_cb, s);
	s->refresh_ev = evtimer_new(base, sentinel_refresh, s);
	sentinel_connect(s);
	return s;
}

/*
 * Ask again, of the next Sentinel: the primary was lost or refused a
 * write. Nothing to do while a connection has not answered yet.
 */
void
sentinel_reask(struct sentinel *s)
{
	if (s->ctx == NULL || !s->answered)
		return;
	sentinel_fail(s);
}

void
sentinel_stop(struct sentinel *s)
{
	if (s == NULL)
		return;
	s->stopping = 1;
	sentinel_drop(s);
	event_free(s->retry_ev);
	event_free(s->connect_ev);
	event_free(s->drop_ev);
	event_free(s->refresh_ev);
	free(s->addrs);
	free(s->master);
	free(s);
}
