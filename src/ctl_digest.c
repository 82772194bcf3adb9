/*
 * ctl_digest.c -- liaisonctl digest: ask for a week's digests again, or see
 * where a week stands.
 *
 *   liaisonctl digest --week 2026-W48          send that week again
 *   liaisonctl digest status --week 2026-W48   its state and counts
 *
 * The request is what POST /api/v1/digests records (digest.lua's request: a
 * new run, who asked, when); a running liaisond builds and sends it within
 * [digest] check_seconds.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "liaison.h"
#include "ctl.h"

/* The week must exist and have ended (in the zone's time). */
static int
ctl_digest_week(const char *week, const struct roster *roster)
{
	struct digest_week w;
	int64_t from, to;
	struct tm tm;
	time_t now = time(NULL);

	if (digest_week_parse(week, &w) == -1) {
		fprintf(stderr, "liaisonctl: week \"%s\": use an ISO week such "
		    "as 2026-W48\n", week);
		return -1;
	}
	localtime_r(&now, &tm);
	digest_week_bounds(&w, (int)tm.tm_gmtoff, &from, &to);
	if (to > util_now_ms()) {
		fprintf(stderr, "liaisonctl: week %s has not ended yet\n", week);
		return -1;
	}
	return 0;
}

/* Record a new run of week, as POST /api/v1/digests does (digest.lua). */
static int
ctl_digest_request(const struct config *cfg, redisContext *c,
    const char *week)
{
	char payload[128], error[256];
	redisReply *r;

	snprintf(payload, sizeof payload, "{\"week\":\"%s\",\"by\":"
	    "\"liaisonctl\",\"now\":%lld}", week, (long long)util_now_ms());
	r = redis_sync_script(c, cfg, SCRIPT_DIGEST, "request", payload,
	    error, sizeof error);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[1]->type != REDIS_REPLY_STRING) {
		fprintf(stderr, "liaisonctl: %s\n", r == NULL ? error :
		    "redis: the request was not recorded");
		freeReplyObject(r);
		return 1;
	}
	printf("%s: run %s requested; liaisond sends it within %d s\n", week,
	    r->element[1]->str, cfg->digest_check_seconds);
	freeReplyObject(r);
	return 0;
}

/* digest status --week: print the week's state and counts. */
static int
ctl_digest_status(const struct config *cfg, redisContext *c,
    const char *week)
{
	static const char *const fields[] = { "state", "run", "units", "sent",
	    "refused", "requested_by" };
	redisReply *r;
	size_t i;

	r = ctl_command(c, "HMGET %sdigest:%s state run units sent "
	    "refused requested_by", cfg->redis_prefix, week);
	if (r->elements != 6 || r->element[0]->type != REDIS_REPLY_STRING) {
		printf("%s: never sent\n", week);
		freeReplyObject(r);
		return 0;
	}
	printf("%s:", week);
	for (i = 0; i < r->elements; i++)
		printf(" %s=%s", fields[i], r->element[i]->type ==
		    REDIS_REPLY_STRING ? r->element[i]->str : "-");
	printf("\n");
	freeReplyObject(r);
	return 0;
}

/*
 * liaisonctl digest [status] --week WEEK. argv starts after "digest".
 * Returns the exit status; 2 for a usage error.
 */
int
ctl_digest(const char *config_path, int argc, char **argv)
{
	struct config *cfg;
	struct roster *roster;
	redisContext *c;
	char *cause = NULL;
	int status_only = 0, rc;

	if (argc > 0 && strcmp(argv[0], "status") == 0) {
		status_only = 1;
		argc--;
		argv++;
	}
	if (argc != 2 || strcmp(argv[0], "--week") != 0)
		return 2;
	if ((cfg = config_load(config_path, &cause)) == NULL ||
	    (roster = ctl_zone(cfg, &cause)) == NULL) {
		fprintf(stderr, "liaisonctl: %s\n", cause);
		free(cause);
		config_free(cfg);
		return 1;
	}
	if (ctl_digest_week(argv[1], roster) == -1) {
		roster_free(roster);
		config_free(cfg);
		return 1;
	}
	c = ctl_connect(cfg);
	if (status_only)
		rc = ctl_digest_status(cfg, c, argv[1]);
	else
		rc = ctl_digest_request(cfg, c, argv[1]);
	redisFree(c);
	roster_free(roster);
	config_free(cfg);
	return rc;
}
