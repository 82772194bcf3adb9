/*
 * auth.c -- who is asking: the one rule for a token's form, the lookup of
 * a token's record by its SHA-256 (only hashes are stored), the roles, and
 * the per-token rate limit. Bearer tokens (the API) are checked here;
 * sessions (web_session.c) come back here for their token's record.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

/* What a token may be made of; liaisonctl's are "lt_" and base64url. */
#define AUTH_TOKEN_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	"0123456789-_.~+/="
#define AUTH_TOKEN_MIN 8
#define AUTH_TOKEN_MAX 128

const char *
auth_role_name(enum role role)
{
	switch (role) {
	case ROLE_OFFICER:
		return "officer";
	case ROLE_DEPARTMENT:
		return "department";
	case ROLE_ADMIN:
		return "admin";
	default:
		return "none";
	}
}

enum role
auth_role_parse(const char *s)
{
	if (strcmp(s, "officer") == 0)
		return ROLE_OFFICER;
	if (strcmp(s, "department") == 0)
		return ROLE_DEPARTMENT;
	if (strcmp(s, "admin") == 0)
		return ROLE_ADMIN;
	return ROLE_NONE;
}

/*
 * Could token be one of ours? Anything else is refused before Redis is
 * asked: the same rule for a bearer token and for the sign-in form.
 */
int
auth_token_valid(const char *token)
{
	size_t n = strlen(token);

	return n >= AUTH_TOKEN_MIN && n <= AUTH_TOKEN_MAX &&
	    strspn(token, AUTH_TOKEN_CHARS) == n;
}

/*
 * Read the record of the token whose SHA-256 (hex) is hash; fn gets it (an
 * empty array when the token is unknown or revoked). Returns -1 having
 * answered when Redis is down.
 */
int
auth_lookup(struct request *r, const char *hash, request_reply_fn fn)
{
	const char *argv[2];
	char key[256];

	snprintf(key, sizeof key, "%stoken:%s", r->config->redis_prefix, hash);
	argv[0] = "HGETALL";
	argv[1] = key;
	return request_store(r, fn, 2, argv, NULL);
}

/*
 * Take the role and id from a token record (auth_lookup's reply) into r.
 * Returns -1, changing nothing, when the record names no one.
 */
int
auth_identity(struct request *r, const redisReply *record)
{
	const char *role = util_reply_field(record, "role");
	const char *id = util_reply_field(record, "id");

	if (role == NULL || id == NULL || strlen(id) >= sizeof r->actor_id)
		return -1;
	r->role = auth_role_parse(role);
	strcpy(r->actor_id, id);
	return 0;
}

/*
 * Is r's officer or department (auth_identity) in the running roster? A
 * person taken out of the roster loses every route and page at the next
 * reload, their sessions included, though their token is not revoked: the
 * roster, not the token store, says who works here. An admin is in no
 * roster.
 */
int
auth_in_roster(const struct request *r)
{
	switch (r->role) {
	case ROLE_OFFICER:
		return roster_officer(r->roster, r->actor_id) != NULL;
	case ROLE_DEPARTMENT:
		return roster_department(r->roster, r->actor_id) != NULL;
	case ROLE_ADMIN:
		return 1;
	default:
		return 0;
	}
}

/*
 * Count one request against r's token. Returns 0 when it may go on, or the
 * seconds to wait, with the Retry-After header set, when it is over the
 * [limits] rate_per_minute.
 */
int
auth_rate_limit(struct request *r)
{
	int limit = r->config->rate_per_minute, wait;
	char retry[16];

	if (limit <= 0 || (wait = ratelimit_hit(r->daemon->ratelimit,
	    r->token_hash, limit, time(NULL))) <= 0)
		return 0;
	snprintf(retry, sizeof retry, "%d", wait);
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Retry-After", retry);
	return wait;
}

/*
 * The roles a token may hold to use route. An open route that reaches the
 * token check was made private by the config (/metrics with
 * metrics_public = no, http.c): it is the admin's.
 */
static int
auth_route_roles(const struct route *route)
{
	if ((route->roles & ROLE_ANY) == 0)
		return 1 << ROLE_ADMIN;
	return route->roles;
}

/*
 * Unknown tokens, counted per address: a token is looked up in Redis only
 * while the address that sends it has guessed wrong fewer than [limits]
 * unknown_tokens_per_minute times this minute, so that guessing costs the
 * guesser and not the store. auth_unknown_over returns the seconds to wait
 * (Retry-After set) or 0; auth_unknown_hit counts one wrong guess.
 */
static void
auth_unknown_key(struct request *r, char *key, size_t len)
{
	snprintf(key, len, "unknown:%s", request_peer(r));
}

int
auth_unknown_over(struct request *r)
{
	int limit = r->config->unknown_tokens_per_minute, wait;
	char key[TOKEN_HASH_LEN + 1], retry[16];

	if (limit <= 0)
		return 0;
	auth_unknown_key(r, key, sizeof key);
	if ((wait = ratelimit_over(r->daemon->ratelimit, key, limit,
	    time(NULL))) <= 0)
		return 0;
	snprintf(retry, sizeof retry, "%d", wait);
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Retry-After", retry);
	return wait;
}

void
auth_unknown_hit(struct request *r)
{
	char key[TOKEN_HASH_LEN + 1];

	if (r->config->unknown_tokens_per_minute <= 0)
		return;
	auth_unknown_key(r, key, sizeof key);
	ratelimit_hit(r->daemon->ratelimit, key,
	    r->config->unknown_tokens_per_minute, time(NULL));
}

static void
auth_bearer_loaded(struct request *r, redisReply *reply)
{
	if (reply->type != REDIS_REPLY_ARRAY) {
		request_error(r, 500, "internal", "bad token record", NULL);
		return;
	}
	if (auth_identity(r, reply) == -1) {
		auth_unknown_hit(r);
		request_error(r, 401, "unauthorized", "unknown or revoked token",
		    NULL);
		return;
	}
	if (!auth_in_roster(r)) {
		request_error(r, 403, "forbidden", "this token's officer or "
		    "department is no longer in the roster", NULL);
		return;
	}
	if (!(auth_route_roles(r->route) & (1 << r->role))) {
		request_error(r, 403, "forbidden",
		    "this token's role may not use this resource", NULL);
		return;
	}
	if (auth_rate_limit(r) > 0) {
		request_error(r, 429, "rate_limited",
		    "too many requests for this token; try again later", NULL);
		return;
	}
	r->route->handler(r);
}

/* The API's way in: check the bearer token, then run the route's handler. */
void
auth_bearer(struct request *r)
{
	const char *auth = request_header(r, "Authorization");
	const char *token;

	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "WWW-Authenticate", "Bearer");
		request_error(r, 401, "unauthorized",
		    "an Authorization: Bearer token is required", NULL);
		return;
	}
	token = auth + 7;
	while (*token == ' ')
		token++;
	if (auth_unknown_over(r) > 0) {
		request_error(r, 429, "rate_limited", "too many unknown tokens "
		    "from this address; try again later", NULL);
		return;
	}
	if (!auth_token_valid(token)) {
		auth_unknown_hit(r);
		request_error(r, 401, "unauthorized", "malformed token", NULL);
		return;
	}
	token_hash(token, r->token_hash);
	auth_lookup(r, r->token_hash, auth_bearer_loaded);
}
