/*
 * liaisonctl.c -- the admin command: issue and revoke API tokens, check a
 * roster. It talks to Redis synchronously; it is a command, not the loop.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "liaison.h"
#include "ctl.h"

static const char *config_path = SYSCONFDIR "/liaisond/liaisond.conf";

static void
usage(void)
{
	fprintf(stderr,
	    "usage: liaisonctl [-c file] token issue officer|department|admin ID\n"
	    "       liaisonctl [-c file] token revoke TOKEN\n"
	    "       liaisonctl roster check FILE\n"
	    "       liaisonctl roster import|export ... (see liaisonctl(1))\n"
	    "       liaisonctl [-c file] ledger export [--period P] -o FILE\n"
	    "       liaisonctl [-c file] digest [status] --week YYYY-Www\n"
	    "       liaisonctl -V\n");
}

static struct config *
load_config(void)
{
	struct config *cfg;
	char *cause = NULL;

	if ((cfg = config_load(config_path, &cause)) == NULL) {
		fprintf(stderr, "liaisonctl: %s\n", cause);
		free(cause);
		exit(1);
	}
	return cfg;
}

/* A Redis connection as the config says, or exit with a message. */
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

/* Run a command; exit on a lost connection or an error reply. */
static redisReply *
command(redisContext *c, const char *fmt, ...)
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

/* An admin id: 1 to 64 of letters, digits, '.', '_' and '-'. */
static int
admin_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= 64 && strspn(id, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* The roster entry the token is for must exist now. */
static void
check_identity(const struct config *cfg, const char *role, const char *id)
{
	struct roster *roster;
	char *cause = NULL;
	int found;

	if (strcmp(role, "admin") == 0) {
		if (!admin_id_valid(id)) {
			fprintf(stderr, "liaisonctl: admin id \"%s\": use 1 to 64 "
			    "letters, digits, '.', '_' or '-'\n", id);
			exit(1);
		}
		return;
	}
	if (strcmp(role, "officer") != 0 && strcmp(role, "department") != 0) {
		fprintf(stderr, "liaisonctl: role \"%s\": use officer, "
		    "department or admin\n", role);
		exit(1);
	}
	if ((roster = roster_load(cfg->roster_file, &cause)) == NULL) {
		fprintf(stderr, "liaisonctl: %s\n", cause);
		exit(1);
	}
	if (strcmp(role, "officer") == 0)
		found = roster_officer(roster, id) != NULL;
	else
		found = roster_department(roster, id) != NULL;
	roster_free(roster);
	if (!found) {
		fprintf(stderr, "liaisonctl: no %s \"%s\" in %s\n", role, id,
		    cfg->roster_file);
		exit(1);
	}
}

/* token issue ROLE ID: print a new token; Redis keeps only its hash. */
static int
token_issue(const char *role, const char *id)
{
	struct config *cfg = load_config();
	char token[64], hash[TOKEN_HASH_LEN + 1];
	redisContext *c;

	check_identity(cfg, role, id);
	if (token_generate(token, sizeof token) == -1) {
		fprintf(stderr, "liaisonctl: no randomness available\n");
		return 1;
	}
	token_hash(token, hash);
	c = ctl_connect(cfg);
	freeReplyObject(command(c, "HSET %stoken:%s role %s id %s created %lld",
	    cfg->redis_prefix, hash, role, id, (long long)util_now_ms()));
	freeReplyObject(command(c, "SADD %stokens:%s:%s %s", cfg->redis_prefix,
	    role, id, hash));
	redisFree(c);
	config_free(cfg);
	printf("%s\n", token);
	return 0;
}

/* token revoke TOKEN: forget it; exit 1 when it was not known. */
static int
token_revoke(const char *token)
{
	struct config *cfg = load_config();
	char hash[TOKEN_HASH_LEN + 1];
	redisReply *reply;
	redisContext *c;
	int status = 0;

	token_hash(token, hash);
	c = ctl_connect(cfg);
	reply = command(c, "HMGET %stoken:%s role id", cfg->redis_prefix, hash);
	if (reply->elements != 2 || reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING) {
		fprintf(stderr, "liaisonctl: no such token\n");
		status = 1;
	} else {
		freeReplyObject(command(c, "SREM %stokens:%s:%s %s",
		    cfg->redis_prefix, reply->element[0]->str,
		    reply->element[1]->str, hash));
		freeReplyObject(command(c, "DEL %stoken:%s", cfg->redis_prefix,
		    hash));
	}
	freeReplyObject(reply);
	redisFree(c);
	config_free(cfg);
	return status;
}

/* roster check FILE: validate and summarise. */
static int
roster_check(const char *path)
{
	struct roster *r;
	char *cause = NULL;

	if ((r = roster_load(path, &cause)) == NULL) {
		fprintf(stderr, "liaisonctl: %s\n", cause);
		free(cause);
		return 1;
	}
	printf("%s: ok: %zu officers, %zu enterprises, %zu departments, "
	    "%zu topics\n", path, r->nofficers, r->nenterprises,
	    r->ndepartments, r->ntopics);
	roster_free(r);
	return 0;
}

int
main(int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "+c:hV")) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'V':
			printf("liaisonctl %s\n", LIAISON_VERSION);
			return 0;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	xmalloc_init_cjson();

	if (argc == 4 && strcmp(argv[0], "token") == 0 &&
	    strcmp(argv[1], "issue") == 0)
		return token_issue(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[0], "token") == 0 &&
	    strcmp(argv[1], "revoke") == 0)
		return token_revoke(argv[2]);
	if (argc == 3 && strcmp(argv[0], "roster") == 0 &&
	    strcmp(argv[1], "check") == 0)
		return roster_check(argv[2]);
	if (argc >= 2 && strcmp(argv[0], "roster") == 0 &&
	    strcmp(argv[1], "import") == 0)
		return ctl_roster_import(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[0], "roster") == 0 &&
	    strcmp(argv[1], "export") == 0)
		return ctl_roster_export(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[0], "ledger") == 0 &&
	    strcmp(argv[1], "export") == 0)
		return ctl_ledger_export(config_path, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "digest") == 0 &&
	    (ch = ctl_digest(config_path, argc - 1, argv + 1)) != 2)
		return ch;
	usage();
	return 2;
}
