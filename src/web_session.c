/*
 * web_session.c -- the way into a web page, and signing in to the pages
 * with a token, once.
 *
 * Every page request enters at web_session_dispatch (from http.c): a POST
 * must come from our own origin and carry a form; a page for a role needs
 * a session, whose user must hold that role, and a POST its CSRF field.
 *
 * POST /login checks the token exactly as the API does (its SHA-256 names
 * "token:HASH") and creates "session:SID" in Redis: a random 128-bit id
 * holding the token's hash and a CSRF secret, expiring after [web]
 * session_days. The browser keeps only SID, in a cookie that scripts
 * cannot read (HttpOnly) and other sites cannot send (SameSite=Strict),
 * as long as the session lives (Max-Age), so a phone stays signed in.
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
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "liaison.h"
#include "daemon.h"

/* A session key a flash re-created after it expired lives a redirect long. */
#define WEB_SESSION_FLASH_TTL "600"
#define WEB_COOKIE "liaison_session"

/* Random bytes as lower-case hex into out (2 * n + 1 bytes). */
static void
web_session_random_hex(char *out, size_t n)
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
web_session_cookie(struct request *r, char sid[WEB_SID_LEN + 1])
{
	return form_cookie(request_header(r, "Cookie"), WEB_COOKIE, sid,
	    WEB_SID_LEN);
}

/* Set (sid) or clear (NULL) the session cookie on the answer. */
static void
web_session_set_cookie(struct request *r, const char *sid)
{
	char value[256];
	int secure = strncmp(r->config->public_url, "https:", 6) == 0;

	if (sid != NULL)
		snprintf(value, sizeof value, "%s=%s; Path=/; Max-Age=%ld; "
		    "HttpOnly; SameSite=Strict%s", WEB_COOKIE, sid,
		    (long)r->config->web_session_days * 86400,
		    secure ? "; Secure" : "");
	else
		snprintf(value, sizeof value, "%s=; Path=/; Max-Age=0; HttpOnly; "
		    "SameSite=Strict%s", WEB_COOKIE, secure ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Set-Cookie", value);
}

/* The sign-in page (GET /form or /dept without a session). */
void
web_session_signin_page(struct request *r, int status, const char *error)
{
	struct evbuffer *buf = web_begin(r, "登录");

	evbuffer_add_printf(buf, "</header>\n<main>\n<section><h2>使用令牌登录"
	    "</h2><p class=\"muted\">令牌由管理员用 liaisonctl 发放。登录一次后"
	    "本浏览器会记住您 %d 天，直到退出为止。</p>"
	    "<form method=\"post\" action=\"/login\" novalidate>"
	    "<label for=\"token\">令牌</label>"
	    "<input type=\"password\" id=\"token\" name=\"token\" "
	    "autocomplete=\"off\" autocapitalize=\"off\" spellcheck=\"false\""
	    "%s>", r->config->web_session_days, error != NULL ?
	    " class=\"invalid\" aria-invalid=\"true\" "
	    "aria-describedby=\"token-error\"" : "");
	/* form.js shows the box and makes it show the token while typing */
	evbuffer_add_printf(buf, "<label class=\"check\" for=\"show-token\" "
	    "id=\"show-token-label\" hidden><input type=\"checkbox\" "
	    "id=\"show-token\"> 显示输入的内容</label>");
	if (error != NULL) {
		evbuffer_add_printf(buf, "<p class=\"error\" id=\"token-error\">");
		web_escape(buf, error);
		evbuffer_add_printf(buf, "</p>");
	}
	evbuffer_add_printf(buf, "<button type=\"submit\" class=\"wide\">登录"
	    "</button></form></section>\n<nav class=\"links\"><a href=\"/form\">"
	    "指导员报送</a> <a href=\"/dept\">部门办理</a> <a href=\"/ledger\">"
	    "公示台账</a></nav>\n");
	web_end(r, buf, status, "form.js");
}

/* --- the way into a page ---------------------------------------------- */

static void
web_session_free(void *arg)
{
	struct web *w = arg;

	if (w == NULL)
		return;
	if (w->has_form)
		evhttp_clear_headers(&w->form);
	if (w->page_free != NULL && w->page != NULL)
		w->page_free(w->page);
	free(w->flash);
	free(w->name);
	free(w);
}

/*
 * Did this POST come from one of our own pages? A browser says so in
 * Sec-Fetch-Site and Origin; a form on another site cannot hide either.
 */
static int
web_session_same_origin(struct request *r)
{
	const char *site = request_header(r, "Sec-Fetch-Site");
	const char *origin = request_header(r, "Origin");
	const char *host = request_header(r, "Host");
	const char *pub = r->config->public_url, *end;
	char mine[300];
	size_t n;

	if (site != NULL && strcmp(site, "same-origin") != 0 &&
	    strcmp(site, "none") != 0)
		return 0;
	if (origin == NULL)
		return 1;
	/* public_url's scheme://host:port, without any path. */
	end = strstr(pub, "://");
	end = end != NULL ? strchr(end + 3, '/') : NULL;
	n = end != NULL ? (size_t)(end - pub) : strlen(pub);
	if (strlen(origin) == n && strncmp(origin, pub, n) == 0)
		return 1;
	if (host == NULL)
		return 0;
	snprintf(mine, sizeof mine, "http://%s", host);
	if (strcmp(origin, mine) == 0)
		return 1;
	snprintf(mine, sizeof mine, "https://%s", host);
	return strcmp(origin, mine) == 0;
}

/* Parse an application/x-www-form-urlencoded body; -1 having answered. */
static int
web_session_parse_form(struct request *r)
{
	const char *type = request_header(r, "Content-Type");
	char name[64] = "", message[256];
	const char *label;

	if (type == NULL || strncasecmp(type,
	    "application/x-www-form-urlencoded", 33) != 0) {
		web_error(r, 415, "请通过页面上的表单提交。");
		return -1;
	}
	TAILQ_INIT(&web_state(r)->form);
	web_state(r)->has_form = 1;
	switch (form_parse(r->body, r->bodylen, &web_state(r)->form, name,
	    sizeof name)) {
	case FORM_OK:
		return 0;
	case FORM_UNREADABLE:
		web_error(r, 400, "表单内容无法识别。");
		return -1;
	case FORM_NUL:
		label = web_field_label(name);
		snprintf(message, sizeof message, "%s%s%s中含有空字符（%%00），"
		    "请删去后重新提交。", label ? "“" : "", label ? label :
		    "表单", label ? "”" : "");
		web_error(r, 400, message);
		return -1;
	case FORM_NOT_UTF8:
		web_error(r, 400, "表单内容不是有效的 UTF-8 文本。");
		return -1;
	}
	return -1;
}

/*
 * The session is loaded (web_session.c): check the role and, for a POST,
 * the CSRF field, then run the page.
 */
static void
web_session_run(struct request *r)
{
	const char *csrf;

	if (!(r->route->roles & (1 << r->role))) {
		web_error(r, 403, r->role == ROLE_DEPARTMENT ?
		    "此页面供指导员使用；部门请打开“部门办理”。" :
		    r->role == ROLE_OFFICER ?
		    "此页面供部门使用；指导员请打开“指导员报送”。" :
		    "此页面不供管理员使用；管理员请打开“管理”页（/admin）。");
		return;
	}
	if (r->method == EVHTTP_REQ_POST) {
		csrf = web_field(r, "csrf");
		if (csrf == NULL || strlen(csrf) != WEB_CSRF_LEN ||
		    CRYPTO_memcmp(csrf, web_state(r)->csrf, WEB_CSRF_LEN) != 0) {
			web_error(r, 403, "表单已过期或来源不明，请返回页面刷新后"
			    "重新提交。");
			return;
		}
	}
	r->route->handler(r);
}

/* Every page request enters here from http.c's dispatcher. */
void
web_session_dispatch(struct request *r)
{
	r->state = xcalloc(1, sizeof (struct web));
	r->state_free = web_session_free;
	if (r->method == EVHTTP_REQ_POST) {
		if (!web_session_same_origin(r)) {
			web_error(r, 403, "拒绝来自其他网站的提交。");
			return;
		}
		if (web_session_parse_form(r) == -1)
			return;
	}
	if ((r->route->roles & ROLE_ANY) == 0) {
		r->route->handler(r);
		return;
	}
	web_session_load(r);
}

/* --- sessions ----------------------------------------------------------- */

/* The Redis key of the request's session. */
static void
web_session_key(struct request *r, char *key, size_t len)
{
	snprintf(key, len, "%ssession:%s", r->config->redis_prefix,
	    web_state(r)->sid);
}

/* No session: a GET shows the sign-in page, a POST is refused. */
static void
web_session_none(struct request *r)
{
	if (r->method == EVHTTP_REQ_POST) {
		web_error(r, 403, "登录已过期，请重新登录后再提交。");
		return;
	}
	web_session_signin_page(r, 200, NULL);
}

static void
web_session_ignore(struct request *r, redisReply *reply)
{
	(void)r;
	(void)reply;
}

/*
 * The session's user is no longer in the roster (auth_in_roster): the
 * session ends, here and in the browser, and the page says why.
 */
static void
web_session_gone(struct request *r)
{
	const char *argv[2];
	char key[256];

	web_session_key(r, key, sizeof key);
	argv[0] = "DEL";
	argv[1] = key;
	if (request_store(r, web_session_ignore, 2, argv, NULL) == -1)
		return;
	web_session_set_cookie(r, NULL);
	if (r->method == EVHTTP_REQ_POST)
		web_error(r, 403, "您已不在名册中，无法提交；请联系管理员。");
	else
		web_session_signin_page(r, 403, "您已不在名册中，请联系管理员。");
}

/* The token record of the session's token: who is signed in. */
static void
web_session_token_loaded(struct request *r, redisReply *reply)
{
	const struct department *d;
	const struct officer *o;

	if (auth_identity(r, reply) == -1) {
		web_session_set_cookie(r, NULL);
		web_session_none(r);
		return;
	}
	if (!auth_in_roster(r)) {
		web_session_gone(r);
		return;
	}
	if (r->role == ROLE_OFFICER &&
	    (o = roster_officer(r->roster, r->actor_id)) != NULL)
		web_state(r)->name = xstrdup(o->name);
	if (r->role == ROLE_DEPARTMENT &&
	    (d = roster_department(r->roster, r->actor_id)) != NULL)
		web_state(r)->name = xstrdup(d->name);
	if (auth_rate_limit(r) > 0) {
		web_error(r, 429, "请稍后再试。");
		return;
	}
	web_session_run(r);
}

/*
 * The session and its token's record, read together (read.lua's session):
 * a page costs one round trip for who is signed in.
 */
static void
web_session_loaded(struct request *r, redisReply *both)
{
	const redisReply *reply;
	const char *hash, *csrf, *flash;

	if (both->type != REDIS_REPLY_ARRAY || both->elements != 2) {
		web_error(r, 503, "无法读取登录状态，请稍后再试。");
		return;
	}
	reply = both->element[0];
	hash = util_reply_field(reply, "token");
	csrf = util_reply_field(reply, "csrf");
	flash = util_reply_field(reply, "flash");
	if (hash == NULL || csrf == NULL || strlen(hash) != TOKEN_HASH_LEN ||
	    strlen(csrf) != WEB_CSRF_LEN) {
		*web_state(r)->sid = '\0';
		web_session_set_cookie(r, NULL);
		web_session_none(r);
		return;
	}
	memcpy(r->token_hash, hash, TOKEN_HASH_LEN + 1);
	memcpy(web_state(r)->csrf, csrf, WEB_CSRF_LEN + 1);
	if (flash != NULL)
		web_state(r)->flash = xstrdup(flash);
	web_session_token_loaded(r, both->element[1]);
}

/* Find the request's session, then run the page as its user. */
void
web_session_load(struct request *r)
{
	const char *argv[2];

	if (!web_session_cookie(r, web_state(r)->sid)) {
		web_session_none(r);
		return;
	}
	argv[0] = "session";
	argv[1] = web_state(r)->sid;
	request_script(r, SCRIPT_READ, web_session_loaded, 2, argv, NULL);
}

/* The key of the sorted set of a token's sessions (SIDs by creation ms). */
static void
web_session_list_key(struct request *r, char *key, size_t len)
{
	snprintf(key, len, "%ssessions:%s", r->config->redis_prefix,
	    r->token_hash);
}

/*
 * The session is stored: end the sessions of the token past its
 * sessions_per_token newest (the EXEC reply's fifth element lists them),
 * hand out the cookie and go to the user's page.
 */
static void
web_session_login_stored(struct request *r, redisReply *reply)
{
	const redisReply *old;
	const char **argv;
	char **keys;
	size_t i;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 7) {
		web_error(r, 503, "无法保存登录状态，请稍后再试。");
		return;
	}
	old = reply->element[4];
	if (old->type == REDIS_REPLY_ARRAY && old->elements > 0) {
		argv = xcalloc(old->elements + 1, sizeof *argv);
		keys = xcalloc(old->elements, sizeof *keys);
		argv[0] = "DEL";
		for (i = 0; i < old->elements; i++) {
			xasprintf(&keys[i], "%ssession:%s",
			    r->config->redis_prefix, old->element[i]->str);
			argv[i + 1] = keys[i];
		}
		request_store(r, web_session_ignore, (int)old->elements + 1,
		    argv, NULL);
		for (i = 0; i < old->elements; i++)
			free(keys[i]);
		free(keys);
		free(argv);
		if (r->answered)
			return;
	}
	web_session_set_cookie(r, web_state(r)->sid);
	web_redirect(r, r->role == ROLE_OFFICER ? "/form" :
	    r->role == ROLE_ADMIN ? "/admin" : "/dept");
}

static void
web_session_login_token_loaded(struct request *r, redisReply *reply)
{
	const char *argv[7];
	char key[256], list[256], now[32], expired[32], keep[16], ttl[24];

	if (auth_identity(r, reply) == -1) {
		auth_unknown_hit(r);
		web_session_signin_page(r, 401, "令牌无效或已被吊销，请核对后重新输入。");
		return;
	}
	if (!auth_in_roster(r)) {
		web_session_signin_page(r, 403, "您已不在名册中，请联系管理员。");
		return;
	}
	if (r->role != ROLE_OFFICER && r->role != ROLE_DEPARTMENT &&
	    r->role != ROLE_ADMIN) {
		web_session_signin_page(r, 403, "这个令牌不能登录网页。");
		return;
	}
	web_session_random_hex(web_state(r)->sid, WEB_SID_LEN / 2);
	web_session_random_hex(web_state(r)->csrf, WEB_CSRF_LEN / 2);
	web_session_key(r, key, sizeof key);
	/* Sent back to back: one transaction (PITFALLS: hiredis async). */
	argv[0] = "MULTI";
	if (request_store(r, web_session_ignore, 1, argv, NULL) == -1)
		return;
	argv[0] = "HSET";
	argv[1] = key;
	argv[2] = "token";
	argv[3] = r->token_hash;
	argv[4] = "csrf";
	argv[5] = web_state(r)->csrf;
	if (request_store(r, web_session_ignore, 6, argv, NULL) == -1)
		return;
	argv[0] = "EXPIRE";
	snprintf(ttl, sizeof ttl, "%ld", (long)r->config->web_session_days *
	    86400);
	argv[2] = ttl;
	if (request_store(r, web_session_ignore, 3, argv, NULL) == -1)
		return;
	/*
	 * The token's sessions: this one in, the expired ones out, and the
	 * oldest past sessions_per_token listed (for the DEL that ends them)
	 * and taken out. The list lives as long as its newest session.
	 */
	web_session_list_key(r, list, sizeof list);
	snprintf(now, sizeof now, "%lld", (long long)util_now_ms());
	snprintf(expired, sizeof expired, "(%lld", (long long)util_now_ms() -
	    (long long)r->config->web_session_days * 86400000);
	snprintf(keep, sizeof keep, "%d", -1 - r->config->sessions_per_token);
	argv[0] = "ZADD";
	argv[1] = list;
	argv[2] = now;
	argv[3] = web_state(r)->sid;
	if (request_store(r, web_session_ignore, 4, argv, NULL) == -1)
		return;
	argv[0] = "ZREMRANGEBYSCORE";
	argv[2] = "-inf";
	argv[3] = expired;
	if (request_store(r, web_session_ignore, 4, argv, NULL) == -1)
		return;
	argv[0] = "ZRANGE";
	argv[2] = "0";
	argv[3] = keep;
	if (request_store(r, web_session_ignore, 4, argv, NULL) == -1)
		return;
	argv[0] = "ZREMRANGEBYRANK";
	if (request_store(r, web_session_ignore, 4, argv, NULL) == -1)
		return;
	argv[0] = "EXPIRE";
	argv[2] = ttl;
	if (request_store(r, web_session_ignore, 3, argv, NULL) == -1)
		return;
	argv[0] = "EXEC";
	request_store(r, web_session_login_stored, 1, argv, NULL);
}

/*
 * Open a session for the token whose hash is r->token_hash (a sign-in
 * link's, web_link.c), as POST /login does after checking the token.
 */
void
web_session_open(struct request *r)
{
	auth_lookup(r, r->token_hash, web_session_login_token_loaded);
}

/*
 * POST /login token=…: check the token and open a session. A sign-in is a
 * request of its token (rate_per_minute), and a wrong token counts against
 * its address (unknown_tokens_per_minute), as on the API.
 */
void
web_session_login(struct request *r)
{
	const char *token = web_field(r, "token");

	if (auth_unknown_over(r) > 0) {
		web_session_signin_page(r, 429, "输错令牌的次数太多，请一分钟后再试。");
		return;
	}
	if (token == NULL || *token == '\0') {
		web_session_signin_page(r, 422, "请输入令牌。");
		return;
	}
	if (!auth_token_valid(token)) {
		auth_unknown_hit(r);
		web_session_signin_page(r, 422, "令牌格式不对，请完整复制管理员发给您的"
		    "令牌（以 lt_ 开头）。");
		return;
	}
	token_hash(token, r->token_hash);
	if (auth_rate_limit(r) > 0) {
		web_session_signin_page(r, 429, "登录太频繁，请一分钟后再试。");
		return;
	}
	auth_lookup(r, r->token_hash, web_session_login_token_loaded);
}

static void
web_session_logout_done(struct request *r, redisReply *reply)
{
	(void)reply;
	web_session_set_cookie(r, NULL);
	web_redirect(r, r->role == ROLE_DEPARTMENT ? "/dept" :
	    r->role == ROLE_ADMIN ? "/admin" : "/form");
}

/* POST /logout: the session ends here and in the browser. */
void
web_session_logout(struct request *r)
{
	const char *argv[3];
	char key[256], list[256];

	web_session_list_key(r, list, sizeof list);
	argv[0] = "ZREM";
	argv[1] = list;
	argv[2] = web_state(r)->sid;
	if (request_store(r, web_session_ignore, 3, argv, NULL) == -1)
		return;
	web_session_key(r, key, sizeof key);
	argv[0] = "DEL";
	argv[1] = key;
	request_store(r, web_session_logout_done, 2, argv, NULL);
}

static void
web_session_flash_stored(struct request *r, redisReply *reply)
{
	const char *location = web_state(r)->page;

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

	web_session_key(r, key, sizeof key);
	if (web_state(r)->page_free != NULL && web_state(r)->page != NULL)
		web_state(r)->page_free(web_state(r)->page);
	web_state(r)->page = xstrdup(location);
	web_state(r)->page_free = free;
	/*
	 * The session may have expired since the page was loaded: HSET would
	 * make its key again, for ever. EXPIRE NX gives such a key (and only
	 * such a key: a live session keeps its own expiry) the session's
	 * lifetime; it holds no token, so it opens nothing. Sent back to back:
	 * one transaction.
	 */
	argv[0] = "MULTI";
	if (request_store(r, web_session_ignore, 1, argv, NULL) == -1)
		return;
	argv[0] = "HSET";
	argv[1] = key;
	argv[2] = "flash";
	argv[3] = json;
	if (request_store(r, web_session_ignore, 4, argv, NULL) == -1)
		return;
	argv[0] = "EXPIRE";
	argv[2] = WEB_SESSION_FLASH_TTL;
	argv[3] = "NX";
	if (request_store(r, web_session_ignore, 4, argv, NULL) == -1)
		return;
	argv[0] = "EXEC";
	request_store(r, web_session_flash_stored, 1, argv, NULL);
}
