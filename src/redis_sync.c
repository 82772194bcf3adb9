/*
 * redis_sync.c -- a blocking Redis connection as the config says (socket or
 * host and port, or the primary the Sentinels name, or the Cluster node
 * serving the zone's slot; password, timeout), and a script run on it, for
 * liaisonctl and the digest thread. The daemon's event loop uses hiredis's
 * async interface instead (store.c, sentinel.c, store_cluster.c).
 *
 * A failover (the Sentinels' or a Cluster's) is waited out here: while
 * the primary refuses connections, the Cluster answers CLUSTERDOWN or
 * TRYAGAIN, or the node named is not (yet) a primary, liaisonctl asks
 * again every REDIS_SYNC_PAUSE_MS for up to [redis] failover_wait_ms, then
 * gives up with the last reason. Nothing is sent before ROLE says primary.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "liaison.h"

#define REDIS_SYNC_PAUSE_MS 100

/* Wait REDIS_SYNC_PAUSE_MS before asking again. */
static void
redis_sync_pause(void)
{
	struct timespec pause = { 0, REDIS_SYNC_PAUSE_MS * 1000000L };

	nanosleep(&pause, NULL);
}

/* Milliseconds on a clock nothing moves (the test hooks move util_now_ms). */
static long long
redis_sync_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connect to one server (a socket, or host and port); NULL with the reason. */
static redisContext *
redis_sync_open(const struct config *cfg, const char *socket,
    const char *host, int port, char *error, size_t errlen)
{
	struct timeval tv = { cfg->redis_timeout_ms / 1000,
	    (cfg->redis_timeout_ms % 1000) * 1000 };
	redisContext *c;

	if (socket != NULL)
		c = redisConnectUnixWithTimeout(socket, tv);
	else
		c = redisConnectWithTimeout(host, port, tv);
	if (c == NULL || c->err) {
		snprintf(error, errlen, "redis: %s",
		    c != NULL ? c->errstr : "out of memory");
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	return c;
}

/*
 * Ask the Sentinels in turn for the primary; 0 with it in a, or -1 with
 * the last reason in error.
 */
static int
redis_sync_ask_sentinels(const struct config *cfg, struct sentinel_addr *a,
    char *error, size_t errlen)
{
	const struct sentinel_addr *s;
	redisContext *c;
	redisReply *r;
	size_t i;
	int ok;

	for (i = 0; i < cfg->redis_nsentinels; i++) {
		s = &cfg->redis_sentinels[i];
		c = redis_sync_open(cfg, NULL, s->host, s->port, error, errlen);
		if (c == NULL)
			continue;
		r = redisCommand(c, "SENTINEL get-master-addr-by-name %s",
		    cfg->redis_master);
		ok = sentinel_addr_from_reply(r, a) == 0;
		if (!ok)
			snprintf(error, errlen, "redis: Sentinel %s:%d does not "
			    "know \"%s\": %s", s->host, s->port,
			    cfg->redis_master, r == NULL ? c->errstr :
			    r->type == REDIS_REPLY_ERROR ? r->str : "no address");
		freeReplyObject(r);
		redisFree(c);
		if (ok)
			return 0;
	}
	return -1;
}

/*
 * Authenticate if the config says so and make sure this is the primary:
 * nothing is ever written to a replica. 0, or -1 with the reason (*final
 * set when waiting cannot help: the password was refused).
 */
static int
redis_sync_check(redisContext *c, const struct config *cfg, char *error,
    size_t errlen, int *final)
{
	redisReply *r;
	int primary;

	if (cfg->redis_password != NULL) {
		r = redisCommand(c, "AUTH %s", cfg->redis_password);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			snprintf(error, errlen, "redis: AUTH: %s",
			    r != NULL ? r->str : c->errstr);
			/* A refused password is not a failover's. */
			*final = r != NULL;
			freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
	}
	r = redisCommand(c, "ROLE");
	primary = sentinel_addr_is_primary(r);
	if (!primary)
		snprintf(error, errlen, "redis: ROLE: %s", r == NULL ?
		    c->errstr : r->type == REDIS_REPLY_ERROR ? r->str :
		    "a replica, not the primary");
	freeReplyObject(r);
	return primary ? 0 : -1;
}

/*
 * On a Cluster: 1 when this node serves the zone's slot (or is handing it
 * over), 0 with the node that does in a (a MOVED), -1 with the reason.
 * The prefix is the key a script call routes by (redis_cluster.c).
 */
static int
redis_sync_owner(redisContext *c, const struct config *cfg,
    struct sentinel_addr *a, char *error, size_t errlen)
{
	redisReply *r;
	int kind;

	r = redisCommand(c, "EXISTS %s", cfg->redis_prefix);
	kind = redis_cluster_redirect(r, a);
	if (r == NULL || (r->type == REDIS_REPLY_ERROR &&
	    kind != REDIS_CLUSTER_MOVED && kind != REDIS_CLUSTER_ASK)) {
		snprintf(error, errlen, "redis: cluster: %s", r == NULL ?
		    c->errstr : r->str);
		freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	return kind == REDIS_CLUSTER_MOVED ? 0 : 1;
}

/*
 * Make sure c is the primary (and on a Cluster, the node serving the
 * zone's slot, following MOVED): c or the node it names, or NULL with the
 * reason in error (c is freed then; *final as redis_sync_check sets it).
 */
static redisContext *
redis_sync_follow(redisContext *c, const struct config *cfg, char *error,
    size_t errlen, int *final)
{
	struct sentinel_addr a;
	int hops = 0;

	for (;;) {
		if (c == NULL)
			return NULL;
		if (redis_sync_check(c, cfg, error, errlen, final) == -1)
			break;
		if (!cfg->redis_cluster)
			return c;
		switch (redis_sync_owner(c, cfg, &a, error, errlen)) {
		case 1:
			return c;
		case 0:
			redisFree(c);
			if (++hops > 3) {
				snprintf(error, errlen, "redis: cluster: "
				    "redirected more than 3 times");
				return NULL;
			}
			c = redis_sync_open(cfg, NULL, a.host, a.port, error,
			    errlen);
			continue;
		}
		break;
	}
	redisFree(c);
	return NULL;
}

/*
 * One try: connect to the primary and authenticate; NULL with the reason
 * in error (*final set when trying again cannot help). With [redis]
 * sentinels the primary is the one they name now; with cluster, the node
 * serving the zone's slot, which the first node given that answers says
 * (host and port, then [redis] nodes, in order).
 */
static redisContext *
redis_sync_try(const struct config *cfg, char *error, size_t errlen,
    int *final)
{
	struct sentinel_addr a;
	redisContext *c;
	size_t i;

	if (cfg->redis_nsentinels > 0) {
		if (redis_sync_ask_sentinels(cfg, &a, error, errlen) == -1)
			return NULL;
		c = redis_sync_open(cfg, NULL, a.host, a.port, error, errlen);
		return redis_sync_follow(c, cfg, error, errlen, final);
	}
	c = redis_sync_open(cfg, cfg->redis_socket, cfg->redis_host,
	    cfg->redis_port, error, errlen);
	if ((c = redis_sync_follow(c, cfg, error, errlen, final)) != NULL)
		return c;
	for (i = 0; i < cfg->redis_nnodes && !*final; i++) {
		a = cfg->redis_nodes[i];
		c = redis_sync_open(cfg, NULL, a.host, a.port, error, errlen);
		if ((c = redis_sync_follow(c, cfg, error, errlen, final)) != NULL)
			return c;
	}
	return NULL;
}

/* One try, no wait: for the daemon's threads, which try again later. */
redisContext *
redis_sync_connect_once(const struct config *cfg, char *error, size_t errlen)
{
	int final = 0;

	return redis_sync_try(cfg, error, errlen, &final);
}

/*
 * Connect to the primary and authenticate (redis_sync_try), for liaisonctl;
 * NULL with the reason in error. With [redis] sentinels or cluster, a
 * failover is waited out as this file's top says: up to failover_wait_ms.
 */
redisContext *
redis_sync_connect(const struct config *cfg, char *error, size_t errlen)
{
	char last[256];
	redisContext *c;
	long long give_up;
	int final = 0, wait;

	wait = cfg->redis_cluster || cfg->redis_nsentinels > 0 ?
	    cfg->redis_failover_wait_ms : 0;
	give_up = redis_sync_clock_ms() + wait;
	for (;;) {
		if ((c = redis_sync_try(cfg, error, errlen, &final)) != NULL)
			return c;
		if (final || wait == 0)
			return NULL;
		if (redis_sync_clock_ms() >= give_up)
			break;
		redis_sync_pause();
	}
	snprintf(last, sizeof last, "%s", strncmp(error, "redis: ", 7) == 0 ?
	    error + 7 : error);
	snprintf(error, errlen, "redis: no primary for the zone within %d ms "
	    "([redis] failover_wait_ms): %s", wait, last);
	return NULL;
}

/*
 * One command, for the callers that are not a script of redis_sync_script.
 * A zone whose slot is being moved (ASK, TRYAGAIN) is asked again every
 * REDIS_SYNC_PAUSE_MS within the timeout: running a script on the node
 * taking the slot over would show it half the zone's keys, so the move is
 * waited out; CLUSTERDOWN (a failover inside the Cluster) likewise. The
 * node refused before running anything, so asking again is safe.
 * A MOVED reply is returned: the connection is to the wrong node now.
 */
redisReply *
redis_sync_argv(redisContext *c, const struct config *cfg, int argc,
    const char **argv, const size_t *lens)
{
	struct sentinel_addr a;
	redisReply *r;
	int tries = cfg->redis_timeout_ms / REDIS_SYNC_PAUSE_MS + 1, again;

	for (;;) {
		r = redisCommandArgv(c, argc, argv, lens);
		switch (redis_cluster_redirect(r, &a)) {
		case REDIS_CLUSTER_ASK:
		case REDIS_CLUSTER_TRYAGAIN:
			again = 1;
			break;
		case REDIS_CLUSTER_NONE:
			again = r != NULL && r->type == REDIS_REPLY_ERROR &&
			    strncmp(r->str, "CLUSTERDOWN", 11) == 0;
			break;
		default:
			again = 0;
			break;
		}
		if (!again || --tries <= 0)
			return r;
		freeReplyObject(r);
		redis_sync_pause();
	}
}

/*
 * Run script id's action with a JSON payload (ARGV: prefix, action,
 * payload; the prefix is also its key) on a synchronous connection.
 * Returns the reply (the caller frees it), or NULL with error filled
 * (Redis gone, or an error reply).
 */
redisReply *
redis_sync_script(redisContext *c, const struct config *cfg,
    enum store_script_id id, const char *action, const char *payload,
    char *error, size_t errlen)
{
	const char *argv[REDIS_CLUSTER_HEAD + 2];
	redisReply *r;

	redis_cluster_script_head(argv, NULL, "EVAL", store_scripts[id].body,
	    0, cfg->redis_prefix);
	argv[REDIS_CLUSTER_HEAD] = action;
	argv[REDIS_CLUSTER_HEAD + 1] = payload;
	r = redis_sync_argv(c, cfg, REDIS_CLUSTER_HEAD + (payload != NULL ?
	    2 : 1), argv, NULL);
	if (r == NULL) {
		snprintf(error, errlen, "redis: %s", c->errstr);
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(error, errlen, "redis: %s %s: %s",
		    store_scripts[id].name, action, r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}
