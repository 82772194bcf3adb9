/*
 * web_session.c -- signing in to the web pages with a token, once.
 *
 * POST /login checks the token exactly as the API does (its SHA-256 names
 * "token:HASH") and creates "session:SID" in Redis: a random 128-bit id
 * holding the token's hash and a CSRF secret, expiring after
 * WEB_SESSION_TTL. The browser keeps only SID, in a cookie that scripts
 * cannot read (HttpOnly) and other sites cannot send (SameSite=Strict).
 * Every page request looks the session and then the token up again, so a
 * revoked token ends its sessions at once. POST /logout deletes it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <hiredis/hiredis.h>
#include <openssl/rand.h>

#include "liaison.h"
#include "daemon.h"

#define WEB_SESSION_TTL "43200"         /* seconds: 12 hours */
#define WEB_COOKIE "liaison_session"

/* Random bytes as lower-case hex into out (2 * n + 1 bytes). */
static void
session_random_hex(char *out, size_t n)
{
	unsigned char raw[32];
	size_t i;

	if (n > sizeof raw || RAND_bytes(raw, (int)n) != 1)
		fatalx("RAND_bytes failed");
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* The session id in the request's Cookie header into sid; 0 if none. */
static int
session_cookie(struct request *r, char sid[WEB_SID_LEN + 1])
{
	const char *cookie = request_header(r, "Cookie");
	const char *p;
	size_t n = strlen(WEB_COOKIE);

	for (p = cookie; p != NULL && *p != '\0'; p++) {
		while (*p == ' ')
			p++;
		if (strncmp(p, WEB_COOKIE, n) == 0 && p[n] == '=' &&
		    strspn(p + n + 1, "0123456789abcdef") == WEB_SID_LEN) {
			memcpy(sid, p + n + 1, WEB_SID_LEN);
			sid[WEB_SID_LEN] = '\0';
			return 1;
		}
		if ((p = strchr(p, ';')) == NULL)
			break;
	}
	return 0;
}

/* Set (sid) or clear (NULL) the session cookie on the answer. */
static void
session_set_cookie(struct request *r, const char *sid)
{
	char value[256];
	int secure = strncmp(r->config->public_url, "https:", 6) == 0;

	if (sid != NULL)
		snprintf(value, sizeof value, "%s=%s; Path=/; HttpOnly; "
		    "SameSite=Strict%s", WEB_COOKIE, sid, secure ? "; Secure" :
		    "");
	else
		snprintf(value, sizeof value, "%s=; Path=/; Max-Age=0; HttpOnly; "
		    "SameSite=Strict%s", WEB_COOKIE, secure ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Set-Cookie", value);
}

/* The sign-in page (GET /form or /dept without a session). */
void
web_signin_page(struct request *r, int status, const char *error)
{
	struct evbuffer *buf = web_begin(r, "登录");

	evbuffer_add_printf(buf, "</header>\n<main>\n<section><h2>使用令牌登录"
	    "</h2><p class=\"muted\">令牌由管理员用 liaisonctl 发放。登录一次后"
	    "本浏览器会记住您，直到退出或 12 小时后。</p>"
	    "<form method=\"post\" action=\"/login\" novalidate>"
	    "<label for=\"token\">令牌</label>"
	    "<input type=\"password\" id=\"token\" name=\"token\" "
	    "autocomplete=\"off\" autocapitalize=\"off\" spellcheck=\"false\""
	    "%s>", error != NULL ? " class=\"invalid\" aria-invalid=\"true\" "
	    "aria-describedby=\"token-error\"" : "");
	if (error != NULL) {
		evbuffer_add_printf(buf, "<p class=\"error\" id=\"token-error\">");
		web_escape(buf, error);
		evbuffer_add_printf(buf, "</p>");
	}
	evbuffer_add_printf(buf, "<button type=\"submit\" class=\"wide\">登录"
	    "</button></form></section>\n<nav class=\"links\"><a href=\"/form\">"
	    "联络员报送</a> <a href=\"/dept\">部门办理</a> <a href=\"/ledger\">"
	    "公示台账</a></nav>\n");
	web_end(r, buf, status, NULL);
}

/* No session: a GET shows the sign-in page, a POST is refused. */
static void
session_none(struct request *r)
{
	if (r->method == EVHTTP_REQ_POST) {
		web_error(r, 403, "登录已过期，请重新登录后再提交。");
		return;
	}
	web_signin_page(r, 200, NULL);
}

/* The token record of the session's token: who is signed in. */
static void
session_token_loaded(struct request *r, redisReply *reply)
{
	const char *role = util_reply_field(reply, "role");
	const char *id = util_reply_field(reply, "id");
	const struct department *d;
	const struct officer *o;
	char retry[16];
	int limit = r->config->rate_per_minute, wait;

	if (role == NULL || id == NULL || strlen(id) >= sizeof r->actor_id) {
		session_set_cookie(r, NULL);
		session_none(r);
		return;
	}
	r->role = role_parse(role);
	strcpy(r->actor_id, id);
	if (r->role == ROLE_OFFICER &&
	    (o = roster_officer(r->roster, id)) != NULL)
		r->web->name = xstrdup(o->name);
	if (r->role == ROLE_DEPARTMENT &&
	    (d = roster_department(r->roster, id)) != NULL)
		r->web->name = xstrdup(d->name);
	if (limit > 0 && (wait = ratelimit_hit(r->daemon->ratelimit,
	    r->token_hash, limit, time(NULL))) > 0) {
		snprintf(retry, sizeof retry, "%d", wait);
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Retry-After", retry);
		web_error(r, 429, "请稍后再试。");
		return;
	}
	web_run(r);
}

static void
session_loaded(struct request *r, redisReply *reply)
{
	const char *hash = util_reply_field(reply, "token");
	const char *csrf = util_reply_field(reply, "csrf");
	const char *flash = util_reply_field(reply, "flash");
	const char *argv[2];
	char key[256];

	if (hash == NULL || csrf == NULL || strlen(hash) != TOKEN_HASH_LEN ||
	    strlen(csrf) != WEB_CSRF_LEN) {
		*r->web->sid = '\0';
		session_set_cookie(r, NULL);
		session_none(r);
		return;
	}
	memcpy(r->token_hash, hash, TOKEN_HASH_LEN + 1);
	memcpy(r->web->csrf, csrf, WEB_CSRF_LEN + 1);
	if (flash != NULL)
		r->web->flash = xstrdup(flash);
	snprintf(key, sizeof key, "%stoken:%s", r->config->redis_prefix, hash);
	argv[0] = "HGETALL";
	argv[1] = key;
	request_store(r, session_token_loaded, 2, argv, NULL);
}

/* Find the request's session, then run the page as its user. */
void
web_session_load(struct request *r)
{
	const char *argv[2];
	char key[256];

	if (!session_cookie(r, r->web->sid)) {
		session_none(r);
		return;
	}
	snprintf(key, sizeof key, "%ssession:%s", r->config->redis_prefix,
	    r->web->sid);
	argv[0] = "HGETALL";
	argv[1] = key;
	request_store(r, session_loaded, 2, argv, NULL);
}

static void
session_ignore(struct request *r, redisReply *reply)
{
	(void)r;
	(void)reply;
}

/* The session is stored: hand out its cookie and go to the user's page. */
static void
login_stored(struct request *r, redisReply *reply)
{
	if (reply->type != REDIS_REPLY_ARRAY) {
		web_error(r, 503, "无法保存登录状态，请稍后再试。");
		return;
	}
	session_set_cookie(r, r->web->sid);
	web_redirect(r, r->role == ROLE_OFFICER ? "/form" : "/dept");
}

static void
login_token_loaded(struct request *r, redisReply *reply)
{
	const char *role = util_reply_field(reply, "role");
	const char *id = util_reply_field(reply, "id");
	const char *argv[7];
	char key[256];

	if (role == NULL || id == NULL) {
		web_signin_page(r, 401, "令牌无效或已被吊销，请核对后重新输入。");
		return;
	}
	r->role = role_parse(role);
	if (r->role != ROLE_OFFICER && r->role != ROLE_DEPARTMENT) {
		web_signin_page(r, 403, "网页供联络员和部门使用；管理员请使用 "
		    "API 与 liaisonctl。");
		return;
	}
	session_random_hex(r->web->sid, WEB_SID_LEN / 2);
	session_random_hex(r->web->csrf, WEB_CSRF_LEN / 2);
	snprintf(key, sizeof key, "%ssession:%s", r->config->redis_prefix,
	    r->web->sid);
	/* Sent back to back: one transaction (PITFALLS: hiredis async). */
	argv[0] = "MULTI";
	if (request_store(r, session_ignore, 1, argv, NULL) == -1)
		return;
	argv[0] = "HSET";
	argv[1] = key;
	argv[2] = "token";
	argv[3] = r->token_hash;
	argv[4] = "csrf";
	argv[5] = r->web->csrf;
	if (request_store(r, session_ignore, 6, argv, NULL) == -1)
		return;
	argv[0] = "EXPIRE";
	argv[2] = WEB_SESSION_TTL;
	if (request_store(r, session_ignore, 3, argv, NULL) == -1)
		return;
	argv[0] = "EXEC";
	request_store(r, login_stored, 1, argv, NULL);
}

/* POST /login token=…: check the token and open a session. */
void
web_login(struct request *r)
{
	const char *token = web_field(r, "token");
	const char *argv[2];
	char key[256];
	size_t n;

	if (token == NULL || *token == '\0') {
		web_signin_page(r, 422, "请输入令牌。");
		return;
	}
	n = strlen(token);
	if (n < 8 || n > 128 || strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_.~+/=") != n) {
		web_signin_page(r, 422, "令牌格式不对，请完整复制管理员发给您的"
		    "令牌（以 lt_ 开头）。");
		return;
	}
	token_hash(token, r->token_hash);
	snprintf(key, sizeof key, "%stoken:%s", r->config->redis_prefix,
	    r->token_hash);
	argv[0] = "HGETALL";
	argv[1] = key;
	request_store(r, login_token_loaded, 2, argv, NULL);
}

static void
logout_done(struct request *r, redisReply *reply)
{
	(void)reply;
	session_set_cookie(r, NULL);
	web_redirect(r, r->role == ROLE_DEPARTMENT ? "/dept" : "/form");
}

/* POST /logout: the session ends here and in the browser. */
void
web_logout(struct request *r)
{
	const char *argv[2];
	char key[256];

	snprintf(key, sizeof key, "%ssession:%s", r->config->redis_prefix,
	    r->web->sid);
	argv[0] = "DEL";
	argv[1] = key;
	request_store(r, logout_done, 2, argv, NULL);
}

static void
flash_stored(struct request *r, redisReply *reply)
{
	const char *location = r->web->page;

	(void)reply;
	web_redirect(r, location);
}

/*
 * Keep json (what a submission answered) in the session for the page that
 * location shows next, then redirect there (Post/Redirect/Get).
 */
void
web_session_flash(struct request *r, const char *json, const char *location)
{
	const char *argv[4];
	char key[256];

	snprintf(key, sizeof key, "%ssession:%s", r->config->redis_prefix,
	    r->web->sid);
	if (r->web->page_free != NULL && r->web->page != NULL)
		r->web->page_free(r->web->page);
	r->web->page = xstrdup(location);
	r->web->page_free = free;
	argv[0] = "HSET";
	argv[1] = key;
	argv[2] = "flash";
	argv[3] = json;
	request_store(r, flash_stored, 4, argv, NULL);
}
