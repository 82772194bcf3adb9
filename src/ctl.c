/*
 * ctl.c -- what liaisonctl's commands share: the configuration, the Redis
 * connection and a Redis command, each of which ends the command with a
 * message on standard error when it fails. liaisonctl is a command run by
 * hand, not the loop: synchronous hiredis is fine, and so is exit.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "liaison.h"
#include "ctl.h"

/* The configuration file at path (liaisonctl -c), or exit 1 with why. */
struct config *
ctl_config(const char *path)
{
	struct config *cfg;
	char *cause = NULL;

	if ((cfg = config_load(path, &cause)) == NULL) {
		fprintf(stderr, "liaisonctl: %s\n", cause);
		free(cause);
		exit(1);
	}
	return cfg;
}

/*
 * The zone's roster as the config names it, with times from now on in the
 * zone's time zone as in the daemon; NULL with *cause set.
 */
struct roster *
ctl_zone(const struct config *cfg, char **cause)
{
	struct roster *roster;

	if ((roster = roster_load(cfg->roster_file, cause)) == NULL)
		return NULL;
	setenv("TZ", roster->timezone, 1);
	tzset();
	return roster;
}

/* A Redis connection as the config says, or exit 1 with a message. */
redisContext *
ctl_connect(const struct config *cfg)
{
	redisContext *c;
	char error[256];

	if ((c = redis_sync_connect(cfg, error, sizeof error)) == NULL) {
		fprintf(stderr, "liaisonctl: %s\n", error);
		exit(1);
	}
	return c;
}

/*
 * Run a Redis command (hiredis's redisCommand format) and return its reply
 * for the caller to free with freeReplyObject; exit 1 with a message on a
 * lost connection or an error reply.
 */
redisReply *
ctl_command(redisContext *c, const char *fmt, ...)
{
	redisReply *reply;
	va_list ap;

	va_start(ap, fmt);
	reply = redisvCommand(c, fmt, ap);
	va_end(ap);
	if (reply == NULL) {
		fprintf(stderr, "liaisonctl: redis: %s\n", c->errstr);
		exit(1);
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		fprintf(stderr, "liaisonctl: redis: %s\n", reply->str);
		exit(1);
	}
	return reply;
}
