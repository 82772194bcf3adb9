/*
 * auth.c -- who is asking: the one rule for a token's form, the lookup of
 * a token's record by its SHA-256 (only hashes are stored), the roles, and
 * the per-token rate limit. Bearer tokens (the API) are checked here;
 * sessions (web_session.c) come back here for their token's record.
 * Who a token named is remembered (token_cache.c) for the one route whose
 * script checks the token itself: a report (auth_bearer_remembered).
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

/*
 * The checks a bearer request passes once who is asking is in r: still
 * in the roster, a role the route allows, and, when count, the token's
 * rate. Returns 0 when the handler may run, -1 having answered.
 */
static int
auth_bearer_admit(struct request *r, int count)
{
	if (!auth_in_roster(r)) {
		request_error(r, 403, "forbidden", "this token's officer or "
		    "department is no longer in the roster", NULL);
		return -1;
	}
	if (!(auth_route_roles(r->route) & (1 << r->role))) {
		request_error(r, 403, "forbidden",
		    "this token's role may not use this resource", NULL);
		return -1;
	}
	if (count && auth_rate_limit(r) > 0) {
		request_error(r, 429, "rate_limited",
		    "too many requests for this token; try again later", NULL);
		return -1;
	}
	loop_first_connection(r);       /* before token-less readers */
	return 0;
}

/*
 * The token's record (auth_lookup's reply): remember who it names and
 * run the handler, or answer. count: as auth_bearer_admit.
 */
static void
auth_bearer_record(struct request *r, const redisReply *reply, int count)
{
	if (reply->type != REDIS_REPLY_ARRAY) {
		request_error(r, 500, "internal", "bad token record", NULL);
		return;
	}
	if (auth_identity(r, reply) == -1) {
		token_cache_forget(r->daemon->tokens, r->token_hash);
		auth_unknown_hit(r);
		request_error(r, 401, "unauthorized", "unknown or revoked token",
		    NULL);
		return;
	}
	token_cache_put(r->daemon->tokens, r->token_hash, (int)r->role,
	    r->actor_id);
	if (auth_bearer_admit(r, count) == 0)
		r->route->handler(r);
}

static void
auth_bearer_loaded(struct request *r, redisReply *reply)
{
	auth_bearer_record(r, reply, 1);
}

/*
 * r ran on a remembered identity its token no longer names: forget it
 * and what the handler made of it, and go on from the token's record as
 * if it had just been read (the request was counted against the token's
 * rate already).
 */
static void
auth_bearer_again(struct request *r, redisReply *reply)
{
	token_cache_forget(r->daemon->tokens, r->token_hash);
	if (r->state_free != NULL && r->state != NULL)
		r->state_free(r->state);
	r->state = NULL;
	r->state_free = NULL;
	evhttp_remove_header(evhttp_request_get_output_headers(r->req),
	    "Retry-After");
	r->role = ROLE_NONE;
	r->actor_id[0] = '\0';
	auth_bearer_record(r, reply, 0);
}

/* The fresh record: the same identity lets the held answer go. */
static void
auth_confirmed(struct request *r, redisReply *reply)
{
	const char *role = util_reply_field(reply, "role");
	const char *id = util_reply_field(reply, "id");

	if (role != NULL && id != NULL && auth_role_parse(role) == r->role &&
	    strcmp(id, r->actor_id) == 0) {
		request_held_send(r);
		return;
	}
	request_held_drop(r);
	auth_bearer_again(r, reply);
}

/*
 * An answer waits for who is asking to be confirmed (request.c): read the
 * token's record as today's first step would have.
 */
static void
auth_confirm(struct request *r)
{
	auth_lookup(r, r->token_hash, auth_confirmed);
}

/*
 * One round trip fewer for a report: a route whose POST has its script
 * check the token again (ROUTE_POST_CHECKS_TOKEN; the handler puts the
 * token's hash in the payload while r->confirm is set) goes on who the
 * token named when it was last read, without waiting for the store.
 * Every other answer of such a request waits for a fresh read
 * (auth_confirm), so a token revoked or a record changed meanwhile is
 * answered exactly as today's lookup would answer it. Returns 1 having
 * run the handler or answered, 0 when the token must be read first.
 */
static int
auth_bearer_remembered(struct request *r)
{
	int role;

	if (!(r->route->roles & ROUTE_POST_CHECKS_TOKEN) ||
	    r->method != EVHTTP_REQ_POST ||
	    token_cache_get(r->daemon->tokens, r->token_hash, &role,
	    r->actor_id, sizeof r->actor_id) == -1)
		return 0;
	r->role = (enum role)role;
	r->confirm = auth_confirm;
	if (auth_bearer_admit(r, 1) == 0)
		r->route->handler(r);
	return 1;
}

static void
auth_rechecked(struct request *r, redisReply *reply)
{
	auth_bearer_again(r, reply);
}

/*
 * The store refused r's remembered identity (the script found the token
 * naming someone else, or no one): read the token's record and answer as
 * a request that had read it first.
 */
void
auth_recheck(struct request *r)
{
	r->confirm = NULL;
	auth_lookup(r, r->token_hash, auth_rechecked);
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
	if (auth_bearer_remembered(r))
		return;
	auth_lookup(r, r->token_hash, auth_bearer_loaded);
}
