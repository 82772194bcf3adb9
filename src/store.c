/*
 * store.c -- the daemon's connection to Redis: hiredis async on the daemon's
 * libevent loop, with a connect deadline, a PING watchdog, reconnection with
 * backoff, and the Lua scripts loaded on every new connection (workflow.lua
 * as a Redis Function too, where the server has them).
 *
 * hiredis 0.14 has neither connect nor command timeouts, so both are ours:
 * a timer bounds the connect, and a PING every second that is not answered
 * within timeout_ms frees the connection, which fails every pending command
 * (their callbacks get a NULL reply) and starts a reconnect.
 *
 * With [redis] sentinels the address comes from sentinel.c, and a lost
 * primary, a READONLY refusal or a ROLE that is not "master" makes it ask
 * again: nothing is written to a replica. With [redis] replicas every
 * change is followed by WAIT on the same connection, and its caller only
 * hears of it once enough replicas hold it (store_script). With [redis]
 * cluster the node given is asked which node serves the zone's slot
 * (store_owner), and store_cluster.c follows the slot when it moves.
 *
 * Near 900 lines because the connection's life, its watchdog and WAIT's
 * batching all hang on the one connection; what only a Cluster needs is
 * kept apart, in store_cluster.c.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libevent.h>

#include "liaison.h"
#include "daemon.h"

#define STORE_BACKOFF_MIN_MS 100
#define STORE_BACKOFF_MAX_MS 2000
#define STORE_PING_MS 1000

static void store_connect(struct store *);
static void store_drop(struct store *, const char *);
static void store_wait_flush(int, short, void *);
struct store_batch;
static void store_batch_abandon(struct store_batch *);

static void
store_timer_add(struct event *ev, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

/* Schedule the next connect attempt, doubling the wait each time. */
static void
store_schedule_retry(struct store *s)
{
	if (s->stopping || evtimer_pending(s->retry_ev, NULL))
		return;
	store_timer_add(s->retry_ev, s->backoff_ms);
	s->backoff_ms *= 2;
	if (s->backoff_ms > STORE_BACKOFF_MAX_MS)
		s->backoff_ms = STORE_BACKOFF_MAX_MS;
}

/*
 * A Cluster node that cannot be reached: ask a node the config gives
 * (host and port, then [redis] nodes, in order), which names the slot's
 * node now (after a failover inside the Cluster, the promoted replica).
 * A seed that cannot be reached either passes the turn to the next one.
 */
static void
store_reseed(struct store *s)
{
	const struct sentinel_addr *a;

	if (s->cluster == NULL)
		return;
	a = &s->seeds[s->seed];
	if (strcmp(s->host, a->host) == 0 && s->port == a->port) {
		s->seed = (s->seed + 1) % s->nseeds;
		a = &s->seeds[s->seed];
	}
	free(s->host);
	s->host = xstrdup(a->host);
	s->port = a->port;
}

static void
store_set_down(struct store *s, const char *why)
{
	if (s->up)
		log_warnx("redis down: %s", why);
	/* Lost, refused or not the primary: the Sentinels may know better. */
	if (s->sentinel != NULL && !s->stopping)
		sentinel_reask(s->sentinel);
	if (s->cluster != NULL)
		store_cluster_down(s->cluster);
	s->up = 0;
	s->ctx = NULL;
	s->ping_outstanding = 0;
	evtimer_del(s->ping_ev);
	evtimer_del(s->connect_ev);
}

/*
 * Free the connection now. Only called from our own timers, never from
 * inside a hiredis callback: redisAsyncFree fails every pending command
 * (their callbacks see NULL and answer 503) and then calls the disconnect
 * callback, which schedules the reconnect.
 */
static void
store_drop(struct store *s, const char *why)
{
	redisAsyncContext *ctx = s->ctx;
	int was_connected;

	if (ctx == NULL)
		return;
	was_connected = (ctx->c.flags & REDIS_CONNECTED) != 0;
	store_set_down(s, why);
	redisAsyncFree(ctx);
	if (!was_connected)
		store_schedule_retry(s);
}

/* Deferred drop, for failures noticed inside a hiredis callback. */
static void
store_drop_cb(int fd, short what, void *arg)
{
	struct store *s = arg;

	store_drop(s, s->drop_reason);
}

static void
store_fail(struct store *s, const char *why)
{
	s->drop_reason = why;
	event_active(s->drop_ev, EV_TIMEOUT, 0);
}

static void
store_ready(struct store *s)
{
	char where[128];

	s->up = 1;
	s->connections++;
	s->backoff_ms = STORE_BACKOFF_MIN_MS;
	log_info("redis up: %s", store_primary(s, where, sizeof where));
	store_timer_add(s->ping_ev, STORE_PING_MS);
	if (s->cluster != NULL)
		store_cluster_resume(s->cluster);
	if (s->on_up != NULL)
		s->on_up(s->on_up_arg);
}

/*
 * On a Cluster: does this node serve the zone's slot? The prefix is the key
 * every script routes by (redis_cluster.c); a MOVED names the node that
 * does, and the connection moves there. An ASK means this node is handing
 * the slot over: it is still the one to ask.
 */
static void
store_owner(redisAsyncContext *c, void *r, void *privdata)
{
	struct store *s = c->data;
	redisReply *reply = r;
	struct sentinel_addr a;

	if (reply == NULL)
		return;
	switch (redis_cluster_redirect(reply, &a)) {
	case REDIS_CLUSTER_MOVED:
		store_cluster_moved(s->cluster, &a,
		    "the zone's slot is served elsewhere");
		return;
	case REDIS_CLUSTER_NONE:
		if (reply->type == REDIS_REPLY_ERROR) {
			log_warnx("redis: cluster: %s", reply->str);
			/*
			 * The Cluster is promoting a replica: this node is up
			 * and will name it within moments, so ask it again
			 * soon rather than after a growing backoff.
			 */
			if (strncmp(reply->str, "CLUSTERDOWN", 11) == 0)
				s->backoff_ms = STORE_BACKOFF_MIN_MS;
			store_fail(s, "the cluster refused");
			return;
		}
		break;
	default:
		break;
	}
	if (--s->loading == 0)
		store_ready(s);
}

static void
store_script_loaded(redisAsyncContext *c, void *r, void *privdata)
{
	struct store *s = c->data;
	redisReply *reply = r;
	size_t i = (size_t)(uintptr_t)privdata;

	if (reply == NULL)
		return;
	if (reply->type != REDIS_REPLY_STRING || reply->len != 40) {
		log_warnx("redis: SCRIPT LOAD %s: %s", store_scripts[i].name,
		    reply->type == REDIS_REPLY_ERROR ? reply->str : "bad reply");
		store_fail(s, "script load failed");
		return;
	}
	memcpy(s->sha[i], reply->str, 40);
	s->sha[i][40] = '\0';
	if (--s->loading == 0)
		store_ready(s);
}

/*
 * A script's Function library (Redis 7) loaded, or there already: FCALL
 * it, and its top level is not run again every call. A server without
 * Functions (before 7.0), or a user not allowed FUNCTION, gets EVALSHA of
 * the same script, as loaded beside it.
 */
static void
store_function_loaded(redisAsyncContext *c, void *r, void *privdata)
{
	struct store *s = c->data;
	redisReply *reply = r;
	size_t i = (size_t)(uintptr_t)privdata;

	if (reply == NULL)
		return;
	s->fcall[i] = reply->type == REDIS_REPLY_STRING ||
	    (reply->type == REDIS_REPLY_ERROR &&
	    strstr(reply->str, "already exists") != NULL);
	if (!s->fcall[i])
		log_info("redis: FUNCTION LOAD %s: %s; EVALSHA instead",
		    store_scripts[i].name, reply->type == REDIS_REPLY_ERROR ?
		    reply->str : "bad reply");
	if (--s->loading == 0)
		store_ready(s);
}

/* Never write to a replica: the server must say it is the primary. */
static void
store_role(redisAsyncContext *c, void *r, void *privdata)
{
	struct store *s = c->data;
	char where[128];

	if (r == NULL)
		return;
	if (!sentinel_addr_is_primary(r)) {
		log_warnx("redis: %s is not the primary (ROLE: %s)",
		    store_primary(s, where, sizeof where),
		    ((redisReply *)r)->type == REDIS_REPLY_ERROR ?
		    ((redisReply *)r)->str : "a replica");
		store_fail(s, "not the primary");
		return;
	}
	if (--s->loading == 0)
		store_ready(s);
}

static void
store_authed(redisAsyncContext *c, void *r, void *privdata)
{
	struct store *s = c->data;
	redisReply *reply = r;

	if (reply == NULL)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("redis: AUTH: %s", reply->str);
		store_fail(s, "authentication failed");
	}
}

/* Connected: authenticate if configured, then load the scripts. */
static void
store_connected(const redisAsyncContext *c, int status)
{
	struct store *s = c->data;
	size_t i;

	evtimer_del(s->connect_ev);
	if (status != REDIS_OK) {
		/* hiredis frees the context itself after this callback. */
		log_debug("redis: connect failed: %s", c->errstr);
		if (s->ctx == c) {
			store_set_down(s, c->errstr);
			store_reseed(s);
			store_schedule_retry(s);
		}
		return;
	}
	if (s->password != NULL)
		redisAsyncCommand(s->ctx, store_authed, NULL, "AUTH %s",
		    s->password);
	s->loading = 1;
	redisAsyncCommand(s->ctx, store_role, NULL, "ROLE");
	if (s->cluster != NULL) {
		s->loading++;
		redisAsyncCommand(s->ctx, store_owner, NULL, "EXISTS %s",
		    s->prefix);
	}
	for (i = 0; store_scripts[i].name != NULL; i++) {
		s->loading++;
		redisAsyncCommand(s->ctx, store_script_loaded, (void *)(uintptr_t)i,
		    "SCRIPT LOAD %s", store_scripts[i].body);
		s->fcall[i] = 0;
		if (store_scripts[i].library == NULL)
			continue;
		s->loading++;
		redisAsyncCommand(s->ctx, store_function_loaded,
		    (void *)(uintptr_t)i, "FUNCTION LOAD %s",
		    store_scripts[i].library);
	}
}

static void
store_disconnected(const redisAsyncContext *c, int status)
{
	struct store *s = c->data;

	if (s->ctx == c || s->ctx == NULL) {
		store_set_down(s, status == REDIS_OK ? "disconnected" : c->errstr);
		store_schedule_retry(s);
	}
}

static void
store_connect_timeout(int fd, short what, void *arg)
{
	struct store *s = arg;

	log_debug("redis: connect timed out");
	store_drop(s, "connect timed out");
	store_reseed(s);
}

static void
store_retry(int fd, short what, void *arg)
{
	store_connect(arg);
}

static void
store_pong(redisAsyncContext *c, void *r, void *privdata)
{
	struct store *s = c->data;

	if (r == NULL)
		return;
	s->ping_outstanding = 0;
	metrics_observe(METRICS_REDIS, NULL, metrics_clock() - s->ping_clock);
}

/* Every second: a PING; one unanswered for timeout_ms means a stuck server. */
static void
store_ping(int fd, short what, void *arg)
{
	struct store *s = arg;

	if (s->ctx == NULL)
		return;
	/*
	 * A PING may queue behind WAITs, each taking up to wait_ms: a WAIT
	 * answered since shows the server is not stuck.
	 */
	if (s->ping_outstanding && util_now_ms() - (s->ping_sent >
	    s->waited ? s->ping_sent : s->waited) > (int64_t)s->timeout_ms +
	    (s->replicas > 0 ? s->wait_ms : 0)) {
		store_drop(s, "PING not answered in time");
		return;
	}
	if (!s->ping_outstanding) {
		s->ping_outstanding = 1;
		s->ping_sent = util_now_ms();
		s->ping_clock = metrics_clock();
		redisAsyncCommand(s->ctx, store_pong, NULL, "PING");
	}
	store_timer_add(s->ping_ev, STORE_PING_MS);
}

static void
store_connect(struct store *s)
{
	redisAsyncContext *ctx;

	if (s->stopping || s->ctx != NULL || s->host == NULL)
		return;
	if (s->socket != NULL)
		ctx = redisAsyncConnectUnix(s->socket);
	else
		ctx = redisAsyncConnect(s->host, s->port);
	if (ctx == NULL || ctx->err) {
		log_debug("redis: connect: %s", ctx ? ctx->errstr : "no memory");
		if (ctx != NULL)
			redisAsyncFree(ctx);
		store_schedule_retry(s);
		return;
	}
	ctx->data = s;
	s->ctx = ctx;
	reply_arena_use(ctx->c.reader);   /* hiredis frees each reply */
	redisLibeventAttach(ctx, s->base);
	loop_first_redis(ctx);          /* the claims' replies first */
	redisAsyncSetConnectCallback(ctx, store_connected);
	redisAsyncSetDisconnectCallback(ctx, store_disconnected);
	store_timer_add(s->connect_ev, s->timeout_ms);
}

/*
 * Use the server at a from now on (a Sentinel named a new primary, or the
 * zone's slot moved to another Cluster node): drop the old connection (its
 * commands fail, their requests answer 503) and connect to a at once.
 * Nothing when a is the server in use.
 */
void
store_switch(struct store *s, const struct sentinel_addr *a, const char *why)
{
	if (s->host != NULL && strcmp(s->host, a->host) == 0 &&
	    s->port == a->port)
		return;
	if (s->host == NULL)
		log_info("redis: %s: %s:%d", why, a->host, a->port);
	else
		log_warnx("redis: %s: now %s:%d (was %s:%d)", why, a->host,
		    a->port, s->host, s->port);
	free(s->host);
	s->host = xstrdup(a->host);
	s->port = a->port;
	s->backoff_ms = STORE_BACKOFF_MIN_MS;
	if (s->ctx != NULL) {
		store_fail(s, why);
		return;
	}
	evtimer_del(s->retry_ev);
	store_connect(s);
}

/* A Sentinel named the primary: another address is a failover to follow. */
static void
store_primary_named(void *arg, const struct sentinel_addr *a)
{
	struct store *s = arg;

	if (s->host != NULL && strcmp(s->host, a->host) == 0 &&
	    s->port == a->port) {
		if (s->ctx == NULL && !evtimer_pending(s->retry_ev, NULL))
			store_connect(s);
		return;
	}
	if (s->host != NULL)
		s->failovers++;
	store_switch(s, a, s->host != NULL ? "the primary moved" :
	    "the Sentinels name the primary");
}

/*
 * Create the store for the Redis the config names and start connecting.
 * Returns at once; store_up() says when commands can be sent.
 */
struct store *
store_new(struct event_base *base, const struct config *cfg)
{
	struct store *s = xcalloc(1, sizeof *s);

	s->base = base;
	if (cfg->redis_nsentinels == 0)
		s->host = xstrdup(cfg->redis_host);
	s->port = cfg->redis_port;
	s->replicas = cfg->redis_replicas;
	s->wait_ms = cfg->redis_wait_ms;
	s->socket = cfg->redis_socket ? xstrdup(cfg->redis_socket) : NULL;
	s->password = cfg->redis_password ? xstrdup(cfg->redis_password) : NULL;
	s->prefix = xstrdup(cfg->redis_prefix);
	s->timeout_ms = cfg->redis_timeout_ms;
	s->backoff_ms = STORE_BACKOFF_MIN_MS;
	s->retry_ev = evtimer_new(base, store_retry, s);
	s->connect_ev = evtimer_new(base, store_connect_timeout, s);
	s->ping_ev = evtimer_new(base, store_ping, s);
	s->drop_ev = evtimer_new(base, store_drop_cb, s);
	s->wait_ev = evtimer_new(base, store_wait_flush, s);
	if (cfg->redis_cluster) {
		s->cluster = store_cluster_new(s);
		s->nseeds = 1 + cfg->redis_nnodes;
		s->seeds = xcalloc(s->nseeds, sizeof *s->seeds);
		snprintf(s->seeds[0].host, sizeof s->seeds[0].host, "%s",
		    cfg->redis_host);
		s->seeds[0].port = cfg->redis_port;
		if (cfg->redis_nnodes > 0)
			memcpy(s->seeds + 1, cfg->redis_nodes,
			    cfg->redis_nnodes * sizeof *s->seeds);
	}
	if (cfg->redis_nsentinels > 0)
		s->sentinel = sentinel_start(base, cfg, store_primary_named, s);
	else
		store_connect(s);
	return s;
}

/* Close the connection for good: pending commands fail, no reconnect. */
void
store_free(struct store *s)
{
	s->stopping = 1;
	sentinel_stop(s->sentinel);
	s->sentinel = NULL;
	store_drop(s, "shutting down");
	store_cluster_free(s->cluster);
	if (s->open != NULL)        /* its WAIT never went out */
		store_batch_abandon(s->open);
	s->open = NULL;
	event_free(s->retry_ev);
	event_free(s->connect_ev);
	event_free(s->ping_ev);
	event_free(s->drop_ev);
	event_free(s->wait_ev);
	free(s->host);
	free(s->seeds);
	free(s->socket);
	free(s->password);
	free(s->prefix);
	free(s);
}

int
store_up(const struct store *s)
{
	return s->up;
}

/*
 * Call fn(arg) each time the store is up (after a connection's scripts
 * are loaded): the webhook engine starts its outbox watch at once rather
 * than on its next tick. One listener.
 */
void
store_on_up(struct store *s, void (*fn)(void *), void *arg)
{
	s->on_up = fn;
	s->on_up_arg = arg;
}

/*
 * argv on the connection. Formatted by hiredis's redisFormatCommandArgv,
 * which measures first and allocates once; redisAsyncCommandArgv grows an
 * sds string argument by argument (about 7,000 instructions a command).
 */
static int
store_send(struct store *s, redisCallbackFn *fn, void *privdata, int argc,
    const char **argv, const size_t *lens)
{
	char *text;
	int len, rc;

	if ((len = redisFormatCommandArgv(&text, argc, argv, lens)) == -1)
		fatalx("out of memory");
	rc = redisAsyncFormattedCommand(s->ctx, fn, privdata, text,
	    (size_t)len);
	redisFreeCommand(text);
	return rc == REDIS_OK ? 0 : -1;
}

/*
 * Send one command. The callback always runs exactly once: with the reply,
 * or with NULL when the connection is lost first. Returns -1, without
 * calling it, when Redis is down.
 */
int
store_command(struct store *s, redisCallbackFn *fn, void *privdata, int argc,
    const char **argv, const size_t *lens)
{
	if (!s->up || s->ctx == NULL)
		return -1;
	if (s->cluster != NULL)
		return store_cluster_send(s->cluster, fn, privdata, argc, argv,
		    lens);
	return store_send(s, fn, privdata, argc, argv, lens);
}

/* --- acknowledged means replicated -------------------------------------- */

/*
 * A change sent with WAIT behind it: the script's reply is kept (hiredis
 * frees it when its callback returns) until WAIT says how many replicas
 * hold it. The changes sent in one pass of the loop share one WAIT, sent
 * behind the last of them (store_wait_flush): WAIT counts every write of
 * the connection so far, so it covers them all, and a burst of changes
 * costs one replication round trip instead of one each.
 *
 * On a Cluster a change may be sent again on another connection (MOVED,
 * store_cluster.c), so its WAIT is sent only once its reply has come, on
 * the connection the reply came on: the changes answered in one pass of
 * the loop share that WAIT instead. One round trip more, but WAIT always
 * follows the write it vouches for on the same node.
 */
struct store_wait {
	struct store *s;
	redisCallbackFn *fn;
	void *privdata;
	redisReply *reply;          /* a copy of the script's, or NULL */
	struct store_batch *batch;  /* the WAIT behind it; NULL: not sent yet */
	int open;                   /* in s->open, waiting for that WAIT */
	TAILQ_ENTRY(store_wait) entry;
};
struct store_batch {
	struct store *s;
	redisAsyncContext *ctx;     /* the connection its changes went on */
	TAILQ_HEAD(, store_wait) waits;
};

static void store_wait_open(struct store *, struct store_wait *);

static struct store_batch *
store_batch_new(struct store *s)
{
	struct store_batch *b = xcalloc(1, sizeof *b);

	b->s = s;
	b->ctx = s->ctx;
	TAILQ_INIT(&b->waits);
	return b;
}

/*
 * A deep copy of a reply, freed with freeReplyObject like hiredis's own:
 * for what must outlive the reply callback (hiredis frees the reply when it
 * returns).
 */
redisReply *
store_reply_copy(const redisReply *r)
{
	redisReply *c = xcalloc(1, sizeof *c);
	size_t i;

	c->type = r->type;
	c->integer = r->integer;
	if (r->str != NULL) {
		c->str = xmalloc(r->len + 1);
		memcpy(c->str, r->str, r->len);
		c->str[r->len] = '\0';
		c->len = r->len;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
		c->element = xcalloc(r->elements, sizeof *c->element);
		for (i = 0; i < r->elements; i++)
			c->element[i] = store_reply_copy(r->element[i]);
		c->elements = r->elements;
	}
	return c;
}

/* Tell the caller that only n replicas confirmed the change. */
static void
store_wait_short(struct store_wait *w, redisAsyncContext *c, long long n)
{
	redisReply refused;
	char text[128];

	w->s->waits_short++;
	memset(&refused, 0, sizeof refused);
	refused.type = REDIS_REPLY_ERROR;
	refused.len = snprintf(text, sizeof text, "NOREPLICAS %lld of %d "
	    "replicas confirmed the change within %d ms", n, w->s->replicas,
	    w->s->wait_ms);
	refused.str = text;
	w->fn(c, &refused, w->privdata);
}

static void
store_wait_free(struct store_wait *w)
{
	if (w->reply != NULL)
		freeReplyObject(w->reply);
	free(w);
}

/*
 * The script's reply. Kept for WAIT's answer; but a change no WAIT was
 * sent for (the connection was lost first) is answered now: never a 2xx
 * without the replicas' word.
 */
static void
store_wait_script(redisAsyncContext *c, void *r, void *privdata)
{
	struct store_wait *w = privdata;
	redisReply *reply = r;

	if (w->batch != NULL) {
		if (reply != NULL)
			w->reply = store_reply_copy(reply);
		return;
	}
	if (w->open)
		TAILQ_REMOVE(&w->s->open->waits, w, entry);
	else if (reply != NULL && reply->type != REDIS_REPLY_ERROR &&
	    w->s->cluster != NULL && c == w->s->ctx && w->s->up) {
		/* A Cluster's change: its WAIT goes behind its reply. */
		w->reply = store_reply_copy(reply);
		store_wait_open(w->s, w);
		return;
	}
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		w->fn(c, reply, w->privdata);
	else
		store_wait_short(w, c, 0);
	store_wait_free(w);
}

/*
 * WAIT's answer: how many replicas hold every write of this connection so
 * far, the changes of its batch included. Too few, and each caller gets a
 * NOREPLICAS error instead of its script's reply (503: the change is made
 * but not yet safe; a retry with the same Idempotency-Key returns it).
 */
static void
store_wait_done(redisAsyncContext *c, void *r, void *privdata)
{
	struct store_batch *b = privdata;
	redisReply *reply = r;
	struct store_wait *w;

	if (reply != NULL)
		b->s->waited = util_now_ms();
	while ((w = TAILQ_FIRST(&b->waits)) != NULL) {
		TAILQ_REMOVE(&b->waits, w, entry);
		if (reply == NULL || w->reply == NULL)
			w->fn(c, NULL, w->privdata);
		else if (w->reply->type == REDIS_REPLY_ERROR ||
		    (reply->type == REDIS_REPLY_INTEGER &&
		    reply->integer >= b->s->replicas))
			w->fn(c, w->reply, w->privdata);
		else
			store_wait_short(w, c, reply->type ==
			    REDIS_REPLY_INTEGER ? reply->integer : 0);
		store_wait_free(w);
	}
	free(b);
}

/* Put w in the batch whose WAIT goes out at the end of this loop pass. */
static void
store_wait_open(struct store *s, struct store_wait *w)
{
	if (s->open == NULL) {
		s->open = store_batch_new(s);
		event_active(s->wait_ev, EV_TIMEOUT, 0);
	}
	TAILQ_INSERT_TAIL(&s->open->waits, w, entry);
	w->open = 1;
}

/*
 * A batch whose WAIT cannot be sent (the connection went, or shutting
 * down): its changes that have their reply (a Cluster's) are made but
 * unconfirmed; the others will hear from their own reply.
 */
static void
store_batch_abandon(struct store_batch *b)
{
	struct store_wait *w;

	while ((w = TAILQ_FIRST(&b->waits)) != NULL) {
		TAILQ_REMOVE(&b->waits, w, entry);
		w->open = 0;
		if (w->reply != NULL) {
			store_wait_short(w, NULL, 0);
			store_wait_free(w);
		}
	}
	free(b);
}

/*
 * End of the loop pass: one WAIT behind the changes sent in it. When it
 * cannot be sent, their scripts' replies answer them (store_wait_script).
 */
static void
store_wait_flush(int fd, short what, void *arg)
{
	struct store *s = arg;
	struct store_batch *b = s->open;
	struct store_wait *w;
	char replicas[16], ms[16];

	s->open = NULL;
	if (b == NULL)
		return;
	if (TAILQ_EMPTY(&b->waits)) {
		free(b);
		return;
	}
	snprintf(replicas, sizeof replicas, "%d", s->replicas);
	snprintf(ms, sizeof ms, "%d", s->wait_ms);
	/* WAIT vouches only for the writes of its own connection. */
	if (s->ctx == NULL || s->ctx != b->ctx || redisAsyncCommand(s->ctx,
	    store_wait_done, b, "WAIT %s %s", replicas, ms) != REDIS_OK) {
		log_warnx("redis: WAIT not sent");
		store_batch_abandon(b);
		return;
	}
	TAILQ_FOREACH(w, &b->waits, entry) {
		w->batch = b;
		w->open = 0;
	}
}

/*
 * Send argv, a change, with a WAIT behind it before the loop's next pass;
 * fn runs once, after WAIT (or with NULL when the connection is lost).
 */
static int
store_command_waited(struct store *s, redisCallbackFn *fn, void *privdata,
    int argc, const char **argv, const size_t *lens)
{
	struct store_wait *w;

	if (!s->up || s->ctx == NULL)
		return -1;
	w = xcalloc(1, sizeof *w);
	w->s = s;
	w->fn = fn;
	w->privdata = privdata;
	if (s->cluster != NULL) {
		/* Its WAIT goes behind its reply (store_wait_script). */
		if (store_cluster_send(s->cluster, store_wait_script, w, argc,
		    argv, lens) == -1) {
			free(w);
			return -1;
		}
		return 0;
	}
	if (store_send(s, store_wait_script, w, argc, argv, lens) == -1) {
		free(w);
		return -1;
	}
	store_wait_open(s, w);
	return 0;
}

/*
 * Run one of the loaded Lua scripts with the key prefix as its one key
 * and first argument (redis_cluster.c says why) followed by argv: FCALL
 * where it was loaded as a Function, else EVALSHA. A NOSCRIPT or
 * "Function not found" error (someone flushed the cache or the functions)
 * reaches the callback as an error reply and drops the connection, so the
 * scripts are loaded again on reconnect.
 */
int
store_script(struct store *s, enum store_script_id id, redisCallbackFn *fn,
    void *privdata, int argc, const char **argv, const size_t *lens)
{
	const char **av;
	size_t *al;
	int i, rc, waited = 0;

	/* A group commit (intake.c) passes four arguments per report. */
	if (argc > STORE_SCRIPT_MAXARGS * 64)
		return -1;
	av = xcalloc(argc + REDIS_CLUSTER_HEAD, sizeof *av);
	al = xcalloc(argc + REDIS_CLUSTER_HEAD, sizeof *al);
	if (s->fcall[id])
		redis_cluster_script_head(av, al, "FCALL",
		    store_scripts[id].function,
		    strlen(store_scripts[id].function), s->prefix);
	else
		redis_cluster_script_head(av, al, "EVALSHA", s->sha[id], 40,
		    s->prefix);
	for (i = 0; i < argc; i++) {
		av[i + REDIS_CLUSTER_HEAD] = argv[i];
		al[i + REDIS_CLUSTER_HEAD] = lens ? lens[i] : strlen(argv[i]);
	}
	/*
	 * Read caches made before a change are stale. The escalation timer's
	 * run every second mostly changes nothing: it counts itself when it
	 * did (escalate.c). A change someone waits for is acknowledged only
	 * once replicated.
	 */
	if (id == SCRIPT_WORKFLOW && strcmp(argv[0], "escalate") != 0) {
		s->writes++;
		waited = s->replicas > 0;
	}
	rc = waited ? store_command_waited(s, fn, privdata,
	    argc + REDIS_CLUSTER_HEAD, av, al) :
	    store_command(s, fn, privdata, argc + REDIS_CLUSTER_HEAD, av, al);
	free(av);
	free(al);
	return rc;
}

/*
 * A reply that is an error reply. NOSCRIPT or a Function not found
 * schedules a reconnect (which loads them again);
 * READONLY (the server became a replica) one to the primary the Sentinels
 * name now.
 */
int
store_reply_is_error(struct store *s, const redisReply *reply)
{
	if (reply->type != REDIS_REPLY_ERROR)
		return 0;
	log_warnx("redis: %s", reply->str);
	if (strncmp(reply->str, "NOSCRIPT", 8) == 0 ||
	    strstr(reply->str, "Function not found") != NULL)
		store_fail(s, "scripts were flushed");
	else if (strstr(reply->str, "READONLY") != NULL)
		store_fail(s, "the server is a replica now");
	return 1;
}

/*
 * 1 when an error reply means "not now" rather than "never": a replica
 * refusing a write, a server loading its data, too few replicas confirming
 * a change, a Cluster slot on the move. The caller answers 503 with
 * Retry-After.
 */
int
store_reply_unavailable(const redisReply *reply)
{
	static const char *const codes[] = { "READONLY", "NOREPLICAS",
	    "LOADING", "MASTERDOWN", "MOVED", "ASK", "TRYAGAIN",
	    "CLUSTERDOWN", NULL };
	size_t i;

	if (reply->type != REDIS_REPLY_ERROR)
		return 0;
	for (i = 0; codes[i] != NULL; i++)
		if (strncmp(reply->str, codes[i], strlen(codes[i])) == 0)
			return 1;
	return strstr(reply->str, "READONLY") != NULL;
}

/* The server in use as text ("127.0.0.1:6379", a socket), in buf. */
const char *
store_primary(const struct store *s, char *buf, size_t len)
{
	if (s->socket != NULL)
		snprintf(buf, len, "%s", s->socket);
	else if (s->host == NULL)
		snprintf(buf, len, "none");
	else if (strchr(s->host, ':') != NULL)
		snprintf(buf, len, "[%s]:%d", s->host, s->port);
	else
		snprintf(buf, len, "%s:%d", s->host, s->port);
	return buf;
}
