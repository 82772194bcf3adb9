/*
 * ctl_token.c -- liaisonctl token: issue and revoke API tokens.
 *
 *   liaisonctl token issue officer|department|admin ID   print a new token
 *   liaisonctl token revoke TOKEN                         forget it
 *
 * The token itself is printed once and never stored: Redis keeps only its
 * SHA-256 (token:HASH, with its role and id) and, for revoking every token
 * of someone, the set tokens:ROLE:ID of their hashes. An officer's or a
 * department's id must be in the roster when the token is issued.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "liaison.h"
#include "ctl.h"

/* An admin id: 1 to 64 of letters, digits, '.', '_' and '-'. */
static int
ctl_token_admin_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= 64 && strspn(id, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* The roster entry the token is for must exist now; exit 1 if not. */
static void
ctl_token_check_identity(const struct config *cfg, const char *role,
    const char *id)
{
	struct roster *roster;
	char *cause = NULL;
	int found;

	if (strcmp(role, "admin") == 0) {
		if (!ctl_token_admin_id_valid(id)) {
			fprintf(stderr, "liaisonctl: admin id \"%s\": use 1 to "
			    "64 letters, digits, '.', '_' or '-'\n", id);
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

/*
 * token issue ROLE ID: print a new token for the officer, department or
 * admin ID. Return the exit status.
 */
int
ctl_token_issue(const char *config_path, const char *role, const char *id)
{
	struct config *cfg = ctl_config(config_path);
	char token[64], hash[TOKEN_HASH_LEN + 1];
	redisContext *c;

	ctl_token_check_identity(cfg, role, id);
	if (token_generate(token, sizeof token) == -1) {
		fprintf(stderr, "liaisonctl: no randomness available\n");
		return 1;
	}
	token_hash(token, hash);
	c = ctl_connect(cfg);
	freeReplyObject(ctl_command(c, "HSET %stoken:%s role %s id %s "
	    "created %lld", cfg->redis_prefix, hash, role, id,
	    (long long)util_now_ms()));
	freeReplyObject(ctl_command(c, "SADD %stokens:%s:%s %s",
	    cfg->redis_prefix, role, id, hash));
	redisFree(c);
	config_free(cfg);
	printf("%s\n", token);
	return 0;
}

/*
 * token revoke TOKEN: forget it. Return the exit status: 1 when it was not
 * known.
 */
int
ctl_token_revoke(const char *config_path, const char *token)
{
	struct config *cfg = ctl_config(config_path);
	char hash[TOKEN_HASH_LEN + 1];
	redisReply *reply;
	redisContext *c;
	int status = 0;

	token_hash(token, hash);
	c = ctl_connect(cfg);
	reply = ctl_command(c, "HMGET %stoken:%s role id", cfg->redis_prefix,
	    hash);
	if (reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING) {
		fprintf(stderr, "liaisonctl: no such token\n");
		status = 1;
	} else {
		freeReplyObject(ctl_command(c, "SREM %stokens:%s:%s %s",
		    cfg->redis_prefix, reply->element[0]->str,
		    reply->element[1]->str, hash));
		freeReplyObject(ctl_command(c, "DEL %stoken:%s",
		    cfg->redis_prefix, hash));
	}
	freeReplyObject(reply);
	redisFree(c);
	config_free(cfg);
	return status;
}
