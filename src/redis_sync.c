/*
 * redis_sync.c -- a blocking Redis connection as the config says (socket or
 * host and port, password, timeout), and a script run on it, for liaisonctl
 * and the digest thread. The daemon's event loop uses hiredis's async interface instead (store.c).
 */
#include "config.h"

#include <stdio.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "liaison.h"

/* Connect and authenticate; NULL with the reason in error. */
redisContext *
redis_sync_connect(const struct config *cfg, char *error, size_t errlen)
{
	struct timeval tv = { cfg->redis_timeout_ms / 1000,
	    (cfg->redis_timeout_ms % 1000) * 1000 };
	redisContext *c;
	redisReply *r;

	if (cfg->redis_socket != NULL)
		c = redisConnectUnixWithTimeout(cfg->redis_socket, tv);
	else
		c = redisConnectWithTimeout(cfg->redis_host, cfg->redis_port,
		    tv);
	if (c == NULL || c->err) {
		snprintf(error, errlen, "redis: %s",
		    c != NULL ? c->errstr : "out of memory");
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	if (cfg->redis_password == NULL)
		return c;
	r = redisCommand(c, "AUTH %s", cfg->redis_password);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		snprintf(error, errlen, "redis: AUTH: %s",
		    r != NULL ? r->str : c->errstr);
		freeReplyObject(r);
		redisFree(c);
		return NULL;
	}
	freeReplyObject(r);
	return c;
}

/*
 * Run script id's action with a JSON payload (ARGV: prefix, action,
 * payload) on a synchronous connection. Returns the reply (the caller frees
 * it), or NULL with error filled (Redis gone, or an error reply).
 */
redisReply *
redis_sync_script(redisContext *c, const char *prefix, enum store_script_id id,
    const char *action, const char *payload, char *error, size_t errlen)
{
	const char *argv[6];
	redisReply *r;

	argv[0] = "EVAL";
	argv[1] = store_scripts[id].body;
	argv[2] = "0";
	argv[3] = prefix;
	argv[4] = action;
	argv[5] = payload;
	r = redisCommandArgv(c, payload != NULL ? 6 : 5, argv, NULL);
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
