/*
 * redis_sync.c -- a blocking Redis connection as the config says (socket or
 * host and port, password, timeout), for liaisonctl and the digest thread.
 * The daemon's event loop uses hiredis's async interface instead (store.c).
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
