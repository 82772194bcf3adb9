/*
 * web_link.c -- signing in by a one-time link (liaisonctl token issue …
 * --link, or its QR code): /signin/SECRET.
 *
 * The link's secret is made like a token and stored the same way, only
 * hashed: link:HASH holds the role, the id and the hash of the token the
 * session will use, and expires after [server] link_hours.
 *
 * GET shows one button and spends nothing: mail and chat apps open links
 * to preview them, and a preview must not use up an older person's only
 * way in. The button POSTs back (same origin, as every page POST), which
 * reads and deletes link:HASH in one transaction, so two taps, two tabs or
 * two daemons sign in at most once; then the session opens as after POST
 * /login. A spent, expired or unknown link gets the same clear page.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

/* The page for a link that cannot sign anyone in (any more). */
static void
web_link_spent(struct request *r)
{
	struct evbuffer *buf = web_begin(r, "登录链接已失效");

	evbuffer_add_printf(buf, "</header>\n<main>\n<section class=\"alert\" "
	    "id=\"link-spent\"><h2>这个登录链接已失效</h2><p>登录链接只能使用"
	    "一次，并且在 %d 小时后过期。这个链接已经用过、已过期或不完整。"
	    "</p><p>请联系管理员（党群工作部）重新发一个登录链接或二维码；也"
	    "可以用令牌登录。</p></section>\n<nav class=\"links\"><a href=\""
	    "/form\">联络员报送</a> <a href=\"/dept\">部门办理</a></nav>\n",
	    r->config->link_hours);
	web_end(r, buf, 410, NULL);
}

/* The Redis key of the link whose secret is the path's; 0 if no secret. */
static int
web_link_hash(struct request *r, char *key, size_t len)
{
	char hash[TOKEN_HASH_LEN + 1];

	if (!auth_token_valid(r->param))
		return 0;
	token_hash(r->param, hash);
	snprintf(key, len, "%slink:%s", r->config->redis_prefix, hash);
	return 1;
}

/* GET: the link is there: who it is for, and the one button. */
static void
web_link_shown(struct request *r, redisReply *reply)
{
	const char *role = util_reply_field(reply, "role");
	const char *id = util_reply_field(reply, "id");
	const struct officer *o;
	const struct department *d;
	struct evbuffer *buf;
	const char *name = id;

	if (role == NULL || id == NULL) {
		web_link_spent(r);
		return;
	}
	if (strcmp(role, "officer") == 0 &&
	    (o = roster_officer(r->roster, id)) != NULL)
		name = o->name;
	else if (strcmp(role, "department") == 0 &&
	    (d = roster_department(r->roster, id)) != NULL)
		name = d->name;
	buf = web_begin(r, "登录");
	evbuffer_add_printf(buf, "</header>\n<main>\n<section><h2>");
	web_escape(buf, name);
	evbuffer_add_printf(buf, "，您好</h2><p>点下面的按钮登录。这个链接只"
	    "能用一次；登录后本浏览器会记住您，直到退出或 12 小时后。</p>"
	    "<form method=\"post\" action=\"/signin/%s\"><button type=\"submit\" "
	    "class=\"wide\">登录</button></form></section>\n", r->param);
	web_end(r, buf, 200, NULL);
}

/* POST: the link was read and deleted in one step; sign in if it was there. */
static void
web_link_spent_now(struct request *r, redisReply *reply)
{
	const redisReply *link;
	const char *token;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
		web_error(r, 503, "暂时无法登录，请稍后再试。");
		return;
	}
	link = reply->element[0];
	token = util_reply_field(link, "token");
	if (token == NULL || strlen(token) != TOKEN_HASH_LEN) {
		web_link_spent(r);
		return;
	}
	memcpy(r->token_hash, token, TOKEN_HASH_LEN + 1);
	web_session_open(r);
}

static void
web_link_ignore(struct request *r, redisReply *reply)
{
	(void)r;
	(void)reply;
}

/* GET or POST /signin/SECRET */
void
web_link(struct request *r)
{
	const char *argv[2];
	char key[256];

	if (!web_link_hash(r, key, sizeof key)) {
		web_link_spent(r);
		return;
	}
	argv[1] = key;
	if (r->method != EVHTTP_REQ_POST) {
		argv[0] = "HGETALL";
		request_store(r, web_link_shown, 2, argv, NULL);
		return;
	}
	/* Sent back to back: one transaction (PITFALLS: hiredis async). */
	argv[0] = "MULTI";
	if (request_store(r, web_link_ignore, 1, argv, NULL) == -1)
		return;
	argv[0] = "HGETALL";
	if (request_store(r, web_link_ignore, 2, argv, NULL) == -1)
		return;
	argv[0] = "DEL";
	if (request_store(r, web_link_ignore, 2, argv, NULL) == -1)
		return;
	argv[0] = "EXEC";
	request_store(r, web_link_spent_now, 1, argv, NULL);
}
