/*
 * store_cluster.c -- the daemon's commands when its zone lives on a Redis
 * Cluster ([redis] cluster = yes, SPEC 13). store.c connects to the node
 * serving the zone's slot; this file follows the slot when it moves.
 *
 * Every command is kept (a copy of its arguments) until its reply comes:
 *  - MOVED: the slot is served elsewhere now. store_switch() connects to
 *    the node named (the commands still on the old connection fail and
 *    answer 503), and a script is sent again there once it is up.
 *  - ASK or TRYAGAIN: the slot is being handed over. A script is sent
 *    again, to the same node, every STORE_CLUSTER_PAUSE_MS until the move
 *    is over (then MOVED takes it to the new owner). It is not sent to the
 *    node taking the slot over with ASKING: a script touches keys it does
 *    not declare, and that node would run it on the half of the zone that
 *    has arrived so far.
 *  - CLUSTERDOWN: the Cluster is promoting a replica of a lost primary
 *    (or lost a slot). A script is sent again like an ASK's, until the
 *    Cluster is whole again (or the node answers MOVED) or timeout_ms.
 *    A connection lost with the node (the primary was killed) makes
 *    store.c ask the config's nodes in turn which node serves the slot.
 * Which node served the slot last is kept: once the slot's node is another
 * one, the change is a failover followed (s->failovers, as with Sentinel)
 * when the node serving it was lost first (the connection dropped or was
 * refused, or it turned replica), and a move (s->moved, counted at its
 * MOVED) when that node itself named the new one. The MOVED replies met
 * while looking for a lost node's successor are the failover's, not moves.
 * Sending again is safe: a node that redirects or refuses so has run
 * nothing. (A script whose connection is lost is not sent again; its
 * caller answers 503, and an Idempotency-Key makes the client's retry
 * safe.) Commands that are not scripts get the redirect as their reply,
 * answered 503, as they may be part of a MULTI that must not be split over
 * two nodes. A change WAITed for ([redis] replicas) is a script like any:
 * store.c sends its WAIT once its final reply has come.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define STORE_CLUSTER_PAUSE_MS 100

struct store_cluster_cmd {
	struct store_cluster *sc;
	redisCallbackFn *fn;
	void *privdata;
	int argc;
	char **argv;
	size_t *lens;
	int script;                 /* EVALSHA or FCALL: sent again after a
	                               redirect */
	int64_t give_up;            /* held past this: its caller hears NULL */
	TAILQ_ENTRY(store_cluster_cmd) entry;
};

struct store_cluster {
	struct store *s;
	TAILQ_HEAD(, store_cluster_cmd) held;
	struct event *again_ev;
	struct sentinel_addr owner; /* served the slot last; port 0: none yet */
	int lost;                   /* owner was lost: a new node is a failover */
};

/* 1 when the store is on the node that served the slot last. */
static int
store_cluster_on_owner(const struct store_cluster *sc)
{
	const struct store *s = sc->s;

	return sc->owner.port != 0 && s->host != NULL &&
	    s->port == sc->owner.port && strcmp(s->host, sc->owner.host) == 0;
}

/*
 * The connection is going down. On the slot's node, and not because a
 * MOVED took the store elsewhere (store_switch has changed the address by
 * then): the node is lost.
 */
void
store_cluster_down(struct store_cluster *sc)
{
	if (!sc->s->stopping && store_cluster_on_owner(sc))
		sc->lost = 1;
}

/*
 * A node answered MOVED: follow it to a. A move of the slot, counted,
 * unless the node serving it was lost (a failover is being followed).
 */
void
store_cluster_moved(struct store_cluster *sc, const struct sentinel_addr *a,
    const char *why)
{
	if (!sc->lost)
		sc->s->moved++;
	store_switch(sc->s, a, why);
}

static void
store_cluster_cmd_free(struct store_cluster_cmd *cmd)
{
	int i;

	for (i = 0; i < cmd->argc; i++)
		free(cmd->argv[i]);
	free(cmd->argv);
	free(cmd->lens);
	free(cmd);
}

/*
 * The reply reaches the caller: exactly once, as store_command promises
 * (a caller that wants no reply gives no fn).
 */
static void
store_cluster_done(struct store_cluster_cmd *cmd, redisAsyncContext *c,
    void *reply)
{
	if (cmd->fn != NULL)
		cmd->fn(c, reply, cmd->privdata);
	store_cluster_cmd_free(cmd);
}

static void
store_cluster_hold(struct store_cluster *sc, struct store_cluster_cmd *cmd)
{
	struct timeval tv = { 0, STORE_CLUSTER_PAUSE_MS * 1000 };

	if (cmd->give_up == 0)
		cmd->give_up = util_now_ms() + sc->s->timeout_ms;
	TAILQ_INSERT_TAIL(&sc->held, cmd, entry);
	if (!evtimer_pending(sc->again_ev, NULL))
		evtimer_add(sc->again_ev, &tv);
}

static void store_cluster_reply(redisAsyncContext *, void *, void *);

static int
store_cluster_send_cmd(struct store_cluster_cmd *cmd)
{
	struct store *s = cmd->sc->s;

	if (!s->up || s->ctx == NULL)
		return -1;
	if (redisAsyncCommandArgv(s->ctx, store_cluster_reply, cmd, cmd->argc,
	    (const char **)cmd->argv, cmd->lens) != REDIS_OK)
		return -1;
	return 0;
}

static void
store_cluster_reply(redisAsyncContext *c, void *r, void *privdata)
{
	struct store_cluster_cmd *cmd = privdata;
	struct store *s = cmd->sc->s;
	redisReply *reply = r;
	struct sentinel_addr a;
	enum redis_cluster_redirect kind;
	int down;

	kind = redis_cluster_redirect(r, &a);
	down = kind == REDIS_CLUSTER_NONE && reply != NULL &&
	    reply->type == REDIS_REPLY_ERROR &&
	    strncmp(reply->str, "CLUSTERDOWN", 11) == 0;
	if (kind == REDIS_CLUSTER_MOVED)
		store_cluster_moved(cmd->sc, &a, "the zone's slot moved");
	else if (kind != REDIS_CLUSTER_NONE)
		s->asked++;
	if ((kind == REDIS_CLUSTER_NONE && !down) || !cmd->script ||
	    s->stopping ||
	    (cmd->give_up != 0 && util_now_ms() > cmd->give_up)) {
		store_cluster_done(cmd, c, r);
		return;
	}
	store_cluster_hold(cmd->sc, cmd);
}

/* Send the held commands again; those held too long answer NULL (503). */
static void
store_cluster_again(int fd, short what, void *arg)
{
	struct store_cluster *sc = arg;
	struct store_cluster_cmd *cmd;
	TAILQ_HEAD(, store_cluster_cmd) now;
	int64_t t = util_now_ms();

	TAILQ_INIT(&now);
	TAILQ_CONCAT(&now, &sc->held, entry);
	while ((cmd = TAILQ_FIRST(&now)) != NULL) {
		TAILQ_REMOVE(&now, cmd, entry);
		if (store_cluster_send_cmd(cmd) == 0)
			continue;
		if (t > cmd->give_up)
			store_cluster_done(cmd, sc->s->ctx, NULL);
		else
			store_cluster_hold(sc, cmd);
	}
}

struct store_cluster *
store_cluster_new(struct store *s)
{
	struct store_cluster *sc = xcalloc(1, sizeof *sc);

	sc->s = s;
	TAILQ_INIT(&sc->held);
	sc->again_ev = evtimer_new(s->base, store_cluster_again, sc);
	return sc;
}

/*
 * The connection to the slot's node is up (it said so, and ROLE says it is
 * a primary): count a failover if the node before it was lost, and send
 * what waited for it.
 */
void
store_cluster_resume(struct store_cluster *sc)
{
	struct store *s = sc->s;

	if (sc->owner.port != 0 && !store_cluster_on_owner(sc) && sc->lost) {
		s->failovers++;
		log_warnx("redis: failover followed: the zone's slot is on "
		    "%s:%d now (was %s:%d)", s->host, s->port, sc->owner.host,
		    sc->owner.port);
	}
	sc->lost = 0;
	snprintf(sc->owner.host, sizeof sc->owner.host, "%s", s->host);
	sc->owner.port = s->port;
	if (!TAILQ_EMPTY(&sc->held))
		event_active(sc->again_ev, EV_TIMEOUT, 0);
}

/* Shutting down: every held command's caller hears NULL. */
void
store_cluster_free(struct store_cluster *sc)
{
	struct store_cluster_cmd *cmd;

	if (sc == NULL)
		return;
	while ((cmd = TAILQ_FIRST(&sc->held)) != NULL) {
		TAILQ_REMOVE(&sc->held, cmd, entry);
		store_cluster_done(cmd, NULL, NULL);
	}
	event_free(sc->again_ev);
	free(sc);
}

/*
 * Send one command as store_command does (-1 when Redis is down, else fn
 * runs exactly once), following the zone's slot as this file's top says.
 */
int
store_cluster_send(struct store_cluster *sc, redisCallbackFn *fn,
    void *privdata, int argc, const char **argv, const size_t *lens)
{
	struct store_cluster_cmd *cmd;
	int i;

	cmd = xcalloc(1, sizeof *cmd);
	cmd->sc = sc;
	cmd->fn = fn;
	cmd->privdata = privdata;
	cmd->argc = argc;
	cmd->argv = xcalloc(argc, sizeof *cmd->argv);
	cmd->lens = xcalloc(argc, sizeof *cmd->lens);
	for (i = 0; i < argc; i++) {
		cmd->lens[i] = lens != NULL ? lens[i] : strlen(argv[i]);
		cmd->argv[i] = xmalloc(cmd->lens[i] + 1);
		memcpy(cmd->argv[i], argv[i], cmd->lens[i]);
		cmd->argv[i][cmd->lens[i]] = '\0';
	}
	cmd->script = strcmp(argv[0], "EVALSHA") == 0 ||
	    strcmp(argv[0], "FCALL") == 0;
	if (store_cluster_send_cmd(cmd) == -1) {
		store_cluster_cmd_free(cmd);
		return -1;
	}
	return 0;
}
