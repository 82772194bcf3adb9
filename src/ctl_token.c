/*
 * ctl_token.c -- liaisonctl token: issue and revoke API tokens.
 *
 *   liaisonctl token issue officer|department|admin ID   print a new token
 *       [--link | --qr | --svg]   or a one-time sign-in link to it, as a
 *                                 URL, a URL and a QR code for the
 *                                 terminal, or the QR code as SVG
 *   liaisonctl token revoke TOKEN                         forget it
 *
 * The token itself is printed once and never stored: Redis keeps only its
 * SHA-256 (token:HASH, with its role and id) and, for revoking every token
 * of someone, the set tokens:ROLE:ID of their hashes. An officer's or a
 * department's id must be in the roster when the token is issued.
 *
 * A sign-in link is PUBLIC_URL/signin/SECRET, SECRET made like a token and
 * stored the same way, only hashed (link:HASH: role, id and the hash of a
 * new token nobody ever sees), expiring after [server] link_hours. Opening
 * it signs the person in once (web_link.c), and it is spent.
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

/* Print the sign-in URL in the form asked for; 1 if it cannot be. */
static int
ctl_token_print_link(const char *url, const char *role, const char *id,
    enum ctl_token_form form)
{
	char *qr, *label;

	if (form == CTL_TOKEN_LINK) {
		printf("%s\n", url);
		return 0;
	}
	if (form == CTL_TOKEN_QR) {
		if ((qr = qr_text(url)) == NULL)
			return 1;
		printf("%s\n%s", url, qr);
		free(qr);
		return 0;
	}
	xasprintf(&label, "%s %s 的登录二维码", role, id);
	qr = qr_svg(url, 256, label);
	free(label);
	if (qr == NULL)
		return 1;
	printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n%s\n", qr);
	free(qr);
	return 0;
}

/*
 * token issue ROLE ID [--link|--qr|--svg]: print a new token for the
 * officer, department or admin ID, or a one-time sign-in link to a new
 * token (see above). Return the exit status.
 */
int
ctl_token_issue(const char *config_path, const char *role, const char *id,
    enum ctl_token_form form)
{
	struct config *cfg = ctl_config(config_path);
	char token[64], hash[TOKEN_HASH_LEN + 1];
	char link[64], link_hash[TOKEN_HASH_LEN + 1], *url;
	redisReply *reply;
	redisContext *c;
	int status;

	ctl_token_check_identity(cfg, role, id);
	if (token_generate(token, sizeof token) == -1 ||
	    token_generate(link, sizeof link) == -1) {
		fprintf(stderr, "liaisonctl: no randomness available\n");
		return 1;
	}
	token_hash(token, hash);
	token_hash(link, link_hash);
	c = ctl_connect(cfg);
	/* All or nothing: a link never names a token that is not there. */
	freeReplyObject(ctl_command(c, "MULTI"));
	freeReplyObject(ctl_command(c, "HSET %stoken:%s role %s id %s "
	    "created %lld", cfg->redis_prefix, hash, role, id,
	    (long long)util_now_ms()));
	freeReplyObject(ctl_command(c, "SADD %stokens:%s:%s %s",
	    cfg->redis_prefix, role, id, hash));
	if (form != CTL_TOKEN_PLAIN) {
		freeReplyObject(ctl_command(c, "HSET %slink:%s role %s id %s "
		    "token %s created %lld", cfg->redis_prefix, link_hash, role,
		    id, hash, (long long)util_now_ms()));
		freeReplyObject(ctl_command(c, "EXPIRE %slink:%s %lld",
		    cfg->redis_prefix, link_hash,
		    (long long)cfg->link_hours * 3600));
	}
	reply = ctl_command(c, "EXEC");
	status = reply->type == REDIS_REPLY_ARRAY ? 0 : 1;
	freeReplyObject(reply);
	redisFree(c);
	if (status != 0) {
		fprintf(stderr, "liaisonctl: the token was not stored\n");
		config_free(cfg);
		return 1;
	}
	if (form == CTL_TOKEN_PLAIN) {
		printf("%s\n", token);
		config_free(cfg);
		return 0;
	}
	xasprintf(&url, "%s/signin/%s", cfg->public_url, link);
	status = ctl_token_print_link(url, role, id, form);
	if (status != 0)
		fprintf(stderr, "liaisonctl: cannot draw the QR code\n");
	free(url);
	config_free(cfg);
	return status;
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
