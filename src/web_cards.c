/*
 * web_cards.c -- /admin's sign-in cards: POST /admin/cards issues, for
 * every officer of the roster (or for the one person the form names), a
 * new token and a one-time sign-in link to it (link.lua, as liaisonctl
 * token issue … --link does), and answers one page ready to print on A4:
 * a card per person with the name, the unit and the link's QR code drawn
 * by libqrencode as inline SVG (qr.c).
 *
 * The secrets exist only in this request and on the printed page: Redis
 * keeps their hashes. Printing again issues new links; the old ones still
 * work until used or [server] link_hours has passed, unless the person's
 * tokens are revoked (POST /admin/revoke), which ends every session and
 * link of theirs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <hiredis/hiredis.h>
#include <openssl/crypto.h>

#include "liaison.h"
#include "daemon.h"

struct cards_person {
	const char *role;           /* "officer" or "department" */
	const char *id;             /* the roster's, valid while r->roster is */
	const char *name;
	const char *unit;           /* "" for a department */
	char link[64];              /* the secret, for the page only */
};

struct cards_page {
	struct cards_person *people;
	size_t n;
	int64_t expires;            /* ms */
};

static void
web_cards_free(void *arg)
{
	struct cards_page *p = arg;

	if (p->people != NULL)
		OPENSSL_cleanse(p->people, p->n * sizeof *p->people);
	free(p->people);
	free(p);
}

/* The cards are stored: draw them. */
static void
web_cards_render(struct request *r, redisReply *reply)
{
	struct cards_page *p = web_state(r)->page;
	struct evbuffer *buf;
	char *url, *svg, ms[24];
	size_t i;

	if (reply->type != REDIS_REPLY_INTEGER || (size_t)reply->integer != p->n) {
		web_error(r, 500, "登录卡片未能生成。");
		return;
	}
	buf = web_begin(r, "登录卡片");
	web_signed_in_bar(r, buf, "管理员");
	snprintf(ms, sizeof ms, "%lld", (long long)p->expires);
	evbuffer_add_printf(buf, "<section class=\"noprint\"><p>共 %zu 张。用"
	    "浏览器打印（A4）后剪开发给本人；每张只能登录一次，", p->n);
	web_time(buf, ms);
	evbuffer_add_printf(buf, " 后失效。</p><nav class=\"links\"><a href=\""
	    "/admin\">返回管理</a></nav></section>\n<div class=\"cards\">");
	for (i = 0; i < p->n; i++) {
		xasprintf(&url, "%s/signin/%s", r->config->public_url,
		    p->people[i].link);
		svg = qr_svg(url, 160, "登录二维码");
		evbuffer_add_printf(buf, "<article class=\"signin-card\" "
		    "id=\"card-%s\"><h3>", p->people[i].id);
		web_escape(buf, p->people[i].name);
		evbuffer_add_printf(buf, "</h3><p class=\"muted\">");
		web_escape(buf, p->people[i].unit);
		evbuffer_add_printf(buf, "</p>%s<p class=\"hint\">用手机扫码登录"
		    "“指导员问题报送”，只能使用一次</p><p class=\"url\">",
		    svg != NULL ? svg : "");
		web_escape(buf, url);
		evbuffer_add_printf(buf, "</p></article>");
		OPENSSL_cleanse(url, strlen(url));
		free(url);
		free(svg);
	}
	evbuffer_add_printf(buf, "</div>\n");
	web_end(r, buf, 200, NULL);
}

/* Add a person to the page, with a fresh token and link in payload. */
static int
web_cards_add(struct cards_page *p, cJSON *links, const char *role,
    const char *id, const char *name, const char *unit)
{
	struct cards_person *c = &p->people[p->n];
	char token[64], hash[TOKEN_HASH_LEN + 1];
	cJSON *l;

	if (token_generate(token, sizeof token) == -1 ||
	    token_generate(c->link, sizeof c->link) == -1)
		return -1;
	c->role = role;
	c->id = id;
	c->name = name != NULL ? name : id;
	c->unit = unit != NULL ? unit : "";
	l = cJSON_CreateObject();
	cJSON_AddStringToObject(l, "role", role);
	cJSON_AddStringToObject(l, "id", id);
	token_hash(token, hash);
	cJSON_AddStringToObject(l, "token", hash);
	token_hash(c->link, hash);
	cJSON_AddStringToObject(l, "link", hash);
	cJSON_AddItemToArray(links, l);
	OPENSSL_cleanse(token, sizeof token);
	p->n++;
	return 0;
}

/*
 * POST /admin/cards [who=officer:ID|department:ID]: cards for every
 * officer, or for that one person.
 */
void
web_cards(struct request *r)
{
	const struct roster *ro = r->roster;
	const char *who = web_field(r, "who");
	const struct officer *o;
	const struct department *d;
	struct cards_page *p = web_page_new(r, sizeof *p, web_cards_free);
	cJSON *root, *links;
	const char *argv[2];
	char *json;
	size_t i;
	int failed = 0;

	p->people = xcalloc(ro->nofficers + 1, sizeof *p->people);
	p->expires = util_now_ms() + (int64_t)r->config->link_hours * 3600000;
	root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "now", (double)util_now_ms());
	cJSON_AddNumberToObject(root, "ttl", (double)r->config->link_hours * 3600);
	links = cJSON_AddArrayToObject(root, "links");
	if (who == NULL || *who == '\0') {
		for (i = 0; i < ro->nofficers && !failed; i++)
			failed = web_cards_add(p, links, "officer",
			    ro->officers[i].id, ro->officers[i].name,
			    ro->officers[i].unit) == -1;
	} else if (strncmp(who, "officer:", 8) == 0 &&
	    (o = roster_officer(ro, who + 8)) != NULL)
		failed = web_cards_add(p, links, "officer", o->id, o->name,
		    o->unit) == -1;
	else if (strncmp(who, "department:", 11) == 0 &&
	    (d = roster_department(ro, who + 11)) != NULL)
		failed = web_cards_add(p, links, "department", d->id, d->name,
		    "") == -1;
	else {
		cJSON_Delete(root);
		web_error(r, 404, "名单中没有这个人。");
		return;
	}
	if (failed || p->n == 0) {
		cJSON_Delete(root);
		web_error(r, failed ? 500 : 404, failed ? "无法生成随机数。" :
		    "名单中没有指导员。");
		return;
	}
	json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	argv[0] = "issue";
	argv[1] = json;
	request_script(r, SCRIPT_LINK, web_cards_render, 2, argv, NULL);
	OPENSSL_cleanse(json, strlen(json));
	free(json);
}

/* The tokens are gone: back to /admin with a notice. */
static void
web_cards_revoked(struct request *r, redisReply *reply)
{
	const char *who = web_field(r, "who");
	char location[160];

	if (reply->type != REDIS_REPLY_INTEGER) {
		web_error(r, 503, "暂时无法吊销，请稍后再试。");
		return;
	}
	snprintf(location, sizeof location, "/admin?ok=revoke&id=%s",
	    strchr(who, ':') + 1);
	web_redirect(r, location);
}

/* POST /admin/revoke who=officer:ID|department:ID: every token of theirs. */
void
web_cards_revoke(struct request *r)
{
	const char *who = web_field(r, "who");
	const char *argv[2];
	cJSON *root;
	char *json;
	int officer, known;

	officer = who != NULL && strncmp(who, "officer:", 8) == 0;
	if (officer)
		known = roster_officer(r->roster, who + 8) != NULL;
	else
		known = who != NULL && strncmp(who, "department:", 11) == 0 &&
		    roster_department(r->roster, who + 11) != NULL;
	if (!known) {
		web_error(r, 404, "名单中没有这个人。");
		return;
	}
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "role", officer ? "officer" :
	    "department");
	cJSON_AddStringToObject(root, "id", strchr(who, ':') + 1);
	json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	argv[0] = "revoke";
	argv[1] = json;
	request_script(r, SCRIPT_LINK, web_cards_revoked, 2, argv, NULL);
	free(json);
}
