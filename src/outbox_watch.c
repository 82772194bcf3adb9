/*
 * outbox_watch.c -- wakes the webhook engine the moment a change is
 * committed, by this daemon or by any other on the same Redis.
 *
 * A connection of its own blocks in XREAD on the zone's outbox. It takes
 * nothing: the engine's consumer group does the reading that counts, on
 * the store's connection, which must never block (every request shares
 * it). Redis answers a blocked XREAD only once the script that added the
 * entry has run, and writes the answer after the AOF (appendfsync always),
 * so a wake-up always finds the entry committed.
 *
 * The watch follows the store: it connects to the server the store uses
 * now (the primary the Sentinels name, the Cluster node that serves the
 * zone's slot), and a new store connection means a new watch. Entries
 * added while no watch is up are not lost: the engine's own timer still
 * reads the outbox, only less often.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libevent.h>

#include "liaison.h"
#include "daemon.h"

#define OUTBOX_WATCH_BLOCK_MS 5000

struct outbox_watch {
	struct event_base *base;
	struct store *store;
	redisAsyncContext *ctx;
	uint64_t connection;        /* the store's connection it follows */
	char last[64];              /* the newest entry seen, or "$" */
	int64_t sent;               /* when the XREAD waiting now was sent */
	int watching;               /* an XREAD is waiting in Redis */
	outbox_watch_fn *wake;
	void *arg;
};

static void outbox_watch_read(struct outbox_watch *);

/* Drop the connection; the next outbox_watch_check makes a new one. */
static void
outbox_watch_drop(struct outbox_watch *ow)
{
	redisAsyncContext *ctx = ow->ctx;

	ow->ctx = NULL;
	ow->watching = 0;
	if (ctx != NULL)
		redisAsyncFree(ctx);
}

static void
outbox_watch_answer(redisAsyncContext *c, void *r, void *privdata)
{
	struct outbox_watch *ow = privdata;
	const redisReply *reply = r, *entries;

	if (reply == NULL || c != ow->ctx)
		return;             /* dropped: its caller says what follows */
	ow->watching = 0;
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("redis: outbox watch: %s", reply->str);
		outbox_watch_drop(ow);
		return;
	}
	/* [[stream, [[id, fields], …]]], or nil when the block timed out. */
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
	    reply->element[0]->type == REDIS_REPLY_ARRAY &&
	    reply->element[0]->elements == 2 &&
	    (entries = reply->element[0]->element[1])->type ==
	    REDIS_REPLY_ARRAY && entries->elements > 0 &&
	    entries->element[entries->elements - 1]->type ==
	    REDIS_REPLY_ARRAY &&
	    entries->element[entries->elements - 1]->elements == 2) {
		snprintf(ow->last, sizeof ow->last, "%s",
		    entries->element[entries->elements - 1]->element[0]->str);
		ow->wake(ow->arg);
	}
	outbox_watch_read(ow);
}

/* Wait in Redis for the next entry after ow->last. */
static void
outbox_watch_read(struct outbox_watch *ow)
{
	char key[160], block[16];
	const char *argv[6];

	snprintf(key, sizeof key, "%soutbox", ow->store->prefix);
	snprintf(block, sizeof block, "%d", OUTBOX_WATCH_BLOCK_MS);
	argv[0] = "XREAD"; argv[1] = "BLOCK"; argv[2] = block;
	argv[3] = "STREAMS"; argv[4] = key; argv[5] = ow->last;
	if (redisAsyncCommandArgv(ow->ctx, outbox_watch_answer, ow, 6, argv,
	    NULL) != REDIS_OK) {
		outbox_watch_drop(ow);
		return;
	}
	ow->watching = 1;
	ow->sent = util_now_ms();
}

static void
outbox_watch_authed(redisAsyncContext *c, void *r, void *privdata)
{
	struct outbox_watch *ow = privdata;
	const redisReply *reply = r;

	if (reply == NULL || c != ow->ctx)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("redis: outbox watch: AUTH: %s", reply->str);
		outbox_watch_drop(ow);
	}
}

static void
outbox_watch_connected(const redisAsyncContext *c, int status)
{
	struct outbox_watch *ow = c->data;

	if (c != ow->ctx)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context itself after this callback. */
		log_debug("redis: outbox watch: %s", c->errstr);
		ow->ctx = NULL;
		ow->watching = 0;
		return;
	}
	/* Whatever came in while no watch was up: the engine looks now. */
	ow->wake(ow->arg);
}

static void
outbox_watch_disconnected(const redisAsyncContext *c, int status)
{
	struct outbox_watch *ow = c->data;

	if (c == ow->ctx) {
		ow->ctx = NULL;
		ow->watching = 0;
	}
}

static void
outbox_watch_connect(struct outbox_watch *ow)
{
	struct store *s = ow->store;
	redisAsyncContext *ctx;

	if (s->socket != NULL)
		ctx = redisAsyncConnectUnix(s->socket);
	else
		ctx = redisAsyncConnect(s->host, s->port);
	if (ctx == NULL || ctx->err) {
		if (ctx != NULL)
			redisAsyncFree(ctx);
		return;
	}
	ctx->data = ow;
	ow->ctx = ctx;
	ow->connection = s->connections;
	snprintf(ow->last, sizeof ow->last, "$");
	redisLibeventAttach(ctx, ow->base);
	redisAsyncSetConnectCallback(ctx, outbox_watch_connected);
	redisAsyncSetDisconnectCallback(ctx, outbox_watch_disconnected);
	if (s->password != NULL)
		redisAsyncCommand(ctx, outbox_watch_authed, ow, "AUTH %s",
		    s->password);
	outbox_watch_read(ow);
}

struct outbox_watch *
outbox_watch_new(struct event_base *base, struct store *s,
    outbox_watch_fn *wake, void *arg)
{
	struct outbox_watch *ow = xcalloc(1, sizeof *ow);

	ow->base = base;
	ow->store = s;
	ow->wake = wake;
	ow->arg = arg;
	return ow;
}

/*
 * Called on the engine's every tick: (re)connect when the store is up on a
 * connection the watch does not follow yet, or when the XREAD waiting has
 * gone unanswered well past its block time (a silent server). Returns 1
 * while a watch is waiting in Redis: then the engine need not poll.
 */
int
outbox_watch_check(struct outbox_watch *ow)
{
	struct store *s = ow->store;

	if (!store_up(s)) {
		outbox_watch_drop(ow);
		return 0;
	}
	if (ow->ctx != NULL && (ow->connection != s->connections ||
	    (ow->watching && util_now_ms() - ow->sent >
	    OUTBOX_WATCH_BLOCK_MS + s->timeout_ms)))
		outbox_watch_drop(ow);
	if (ow->ctx == NULL)
		outbox_watch_connect(ow);
	return ow->ctx != NULL && ow->watching;
}

void
outbox_watch_free(struct outbox_watch *ow)
{
	if (ow == NULL)
		return;
	outbox_watch_drop(ow);
	free(ow);
}
