/*
 * outbox_watch.c -- hands the webhook engine the outbox entries the moment
 * a change is committed, by this daemon or by any other on the same Redis.
 *
 * A connection of its own blocks in XREADGROUP for the engine's consumer
 * group and consumer (the store's connection must never block: every
 * request shares it), so the answer that wakes the engine already carries
 * the entries, read for this daemon: the engine enqueues and claims them
 * at once, without reading the group again (one round trip fewer between
 * a commit and the first attempt). Entries read here and never enqueued
 * (the daemon died, the answer was lost with the connection) are pending
 * in the group under this consumer, as entries the engine reads itself
 * are: a new watch reads its own pending ones first ("0", then on from the
 * last one read while a read comes back full: OUTBOX_READ_MAX a read), and
 * another daemon takes over those of a dead one (XAUTOCLAIM, webhook.c). Redis
 * answers a blocked read only once the script that added the entry has
 * run, and writes the answer after the AOF (appendfsync always), so the
 * entries handed over are committed.
 *
 * The watch follows the store: it connects to the server the store uses
 * now (the primary the Sentinels name, the Cluster node that serves the
 * zone's slot), and a new store connection means a new watch. Entries
 * added while no watch is up are not lost: the engine's own timer then
 * reads the group itself, only less often.
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
	char *consumer;             /* the engine's name in the group */
	int history;                /* next read: this consumer's pending ones */
	char after[64];             /* ... those after this id ("0": all) */
	int64_t sent;               /* when the read waiting now was sent */
	int watching;               /* a read is waiting in Redis */
	outbox_watch_fn *wake;
	void *arg;
};

static void outbox_watch_read(struct outbox_watch *);

/*
 * After a read of entries: a read of pending ones that came back full may
 * have left more; the next goes on after its last (not "0" again: their
 * enqueue goes on the store's connection, and may not have run yet).
 */
static void
outbox_watch_history_next(struct outbox_watch *ow, const redisReply *entries)
{
	const redisReply *last = entries->element[entries->elements - 1];

	if (ow->history && entries->elements >= OUTBOX_READ_MAX &&
	    last->type == REDIS_REPLY_ARRAY && last->elements == 2 &&
	    last->element[0]->type == REDIS_REPLY_STRING &&
	    last->element[0]->len < sizeof ow->after)
		snprintf(ow->after, sizeof ow->after, "%s",
		    last->element[0]->str);
	else
		ow->history = 0;
}

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
		/* NOGROUP: the engine (re)creates the group on its next read. */
		if (strncmp(reply->str, "NOGROUP", 7) == 0)
			log_debug("redis: outbox watch: %s", reply->str);
		else
			log_warnx("redis: outbox watch: %s", reply->str);
		outbox_watch_drop(ow);
		return;
	}
	/* [[stream, [[id, fields], …]]], or nil when the block timed out. */
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
	    reply->element[0]->type == REDIS_REPLY_ARRAY &&
	    reply->element[0]->elements == 2 &&
	    (entries = reply->element[0]->element[1])->type ==
	    REDIS_REPLY_ARRAY && entries->elements > 0) {
		outbox_watch_history_next(ow, entries);
		ow->wake(ow->arg, entries);
	} else {
		ow->history = 0;
	}
	/* The engine may have dropped us (the store went away meanwhile). */
	if (ow->ctx == c)
		outbox_watch_read(ow);
}

/*
 * Wait in Redis for the next entries of the group, or, first on a new
 * connection, take this consumer's pending ones (never blocks).
 */
static void
outbox_watch_read(struct outbox_watch *ow)
{
	char key[160], block[16];
	const char *argv[12];
	int argc = 0;

	snprintf(key, sizeof key, "%soutbox", ow->store->prefix);
	snprintf(block, sizeof block, "%d", OUTBOX_WATCH_BLOCK_MS);
	argv[argc++] = "XREADGROUP"; argv[argc++] = "GROUP";
	argv[argc++] = OUTBOX_GROUP; argv[argc++] = ow->consumer;
	argv[argc++] = "COUNT"; argv[argc++] = OUTBOX_READ_COUNT;
	if (!ow->history) {
		argv[argc++] = "BLOCK"; argv[argc++] = block;
	}
	argv[argc++] = "STREAMS"; argv[argc++] = key;
	argv[argc++] = ow->history ? ow->after : ">";
	if (redisAsyncCommandArgv(ow->ctx, outbox_watch_answer, ow, argc, argv,
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
	}
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
	reply_arena_use(ctx->c.reader);   /* hiredis frees each reply */
	ow->connection = s->connections;
	ow->history = 1;
	snprintf(ow->after, sizeof ow->after, "0");
	redisLibeventAttach(ctx, ow->base);
	redisAsyncSetConnectCallback(ctx, outbox_watch_connected);
	redisAsyncSetDisconnectCallback(ctx, outbox_watch_disconnected);
	if (s->password != NULL)
		redisAsyncCommand(ctx, outbox_watch_authed, ow, "AUTH %s",
		    s->password);
	outbox_watch_read(ow);
}

/* A watch reading the outbox as consumer of the engine's group. */
struct outbox_watch *
outbox_watch_new(struct event_base *base, struct store *s,
    const char *consumer, outbox_watch_fn *wake, void *arg)
{
	struct outbox_watch *ow = xcalloc(1, sizeof *ow);

	ow->base = base;
	ow->store = s;
	ow->consumer = xstrdup(consumer);
	ow->wake = wake;
	ow->arg = arg;
	return ow;
}

/*
 * Called on the engine's every tick: (re)connect when the store is up on a
 * connection the watch does not follow yet, or when the read waiting has
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
	free(ow->consumer);
	free(ow);
}
