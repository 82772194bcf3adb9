/*
 * web.c -- what the web pages (/form, /dept, /ledger) share: their form
 * fields, HTML escaping, the page frame with its security headers,
 * redirects, error pages, and the stylesheet and script compiled into the
 * binary. The way into a page (origin, form body, session, CSRF) is
 * web_session.c.
 *
 * A page never holds a business rule of its own: what it changes it
 * changes by calling the API's route for it (routes_call_api), and it
 * reads with the same Redis scripts the API reads with.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "liaison.h"
#include "daemon.h"

/*
 * No inline script or style, nothing from elsewhere, no framing: what a
 * user typed can never run here, even if it escaped the escaping.
 */
#define WEB_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self'; connect-src 'self'; form-action 'self'; " \
	"frame-ancestors 'none'; base-uri 'none'"

/*
 * A page's data is its request's state (web_dispatch puts it there); while
 * the page calls the API the API's handler has the state, and the page's
 * is put back before the page's callback runs (request_call).
 */
struct web *
web_state(struct request *r)
{
	return r->state;
}

/*
 * A new page's data of size bytes, zeroed, kept as the request's page and
 * freed with page_free (free when it holds no pointers of its own).
 */
void *
web_page_new(struct request *r, size_t size, void (*page_free)(void *))
{
	void *p = xcalloc(1, size);

	web_state(r)->page = p;
	web_state(r)->page_free = page_free;
	return p;
}

/* A field of the POSTed form, or NULL. */
const char *
web_field(struct request *r, const char *name)
{
	if (web_state(r) == NULL || !web_state(r)->has_form)
		return NULL;
	return evhttp_find_header(&web_state(r)->form, name);
}

/* Write s to buf with HTML's special characters escaped (text or value). */
void
web_escape(struct evbuffer *buf, const char *s)
{
	const char *piece;
	size_t len;

	if (s == NULL)
		return;
	while ((piece = html_escape_next(&s, &len)) != NULL)
		evbuffer_add(buf, piece, len);
}

/* The URL of an embedded asset, e.g. "/static/style-HASH.css". */
static const char *
web_asset_path(const char *name)
{
	const struct web_asset *a;

	for (a = web_assets; a->name != NULL; a++)
		if (strcmp(a->name, name) == 0)
			return a->path;
	return "/static/missing";
}

/* A new page: the document head and its title bar. web_end sends it. */
struct evbuffer *
web_begin(struct request *r, const char *title)
{
	struct evbuffer *buf = evbuffer_new();

	evbuffer_add_printf(buf, "<!doctype html>\n<html lang=\"zh-CN\">\n"
	    "<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>");
	web_escape(buf, title);
	evbuffer_add_printf(buf, " · ");
	web_escape(buf, r->roster->zone_name);
	evbuffer_add_printf(buf, "</title>\n<link rel=\"stylesheet\" "
	    "href=\"%s\">\n</head>\n<body>\n<header class=\"top\"><h1>",
	    web_asset_path("style.css"));
	web_escape(buf, title);
	evbuffer_add_printf(buf, "</h1><p>");
	web_escape(buf, r->roster->zone_name);
	evbuffer_add_printf(buf, "</p>");
	return buf;
}

/*
 * Close the page begun by web_begin (with script, an embedded asset's
 * name, or NULL) and send it with status and the security headers.
 */
void
web_end(struct request *r, struct evbuffer *buf, int status,
    const char *script)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(r->req);
	size_t len;
	char *text;

	evbuffer_add_printf(buf, "</main>\n");
	if (script != NULL)
		evbuffer_add_printf(buf, "<script src=\"%s\" defer></script>\n",
		    web_asset_path(script));
	evbuffer_add_printf(buf, "</body>\n</html>\n");
	evhttp_add_header(out, "Content-Security-Policy", WEB_CSP);
	evhttp_add_header(out, "X-Frame-Options", "DENY");
	evhttp_add_header(out, "Referrer-Policy", "same-origin");
	len = evbuffer_get_length(buf);
	text = xmalloc(len + 1);
	evbuffer_remove(buf, text, len);
	text[len] = '\0';
	evbuffer_free(buf);
	request_reply_raw(r, status, "text/html; charset=utf-8", text);
	free(text);
}

/* 303 See Other to location (a path of ours): Post/Redirect/Get. */
void
web_redirect(struct request *r, const char *location)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(r->req);

	evhttp_add_header(out, "Location", location);
	request_reply_raw(r, 303, "text/plain; charset=utf-8", "");
}

/* An error page; every page failure in HTML comes through here. */
void
web_error(struct request *r, int status, const char *message)
{
	struct evbuffer *buf;
	const char *what;

	switch (status) {
	case 400: case 415: case 422: what = "请求有误"; break;
	case 401: what = "请先登录"; break;
	case 403: what = "无权操作"; break;
	case 404: what = "没有这个页面"; break;
	case 409: what = "状态已变化"; break;
	case 413: what = "内容太长"; break;
	case 429: what = "操作太频繁，请稍后再试"; break;
	case 503: what = "系统暂时不可用，请稍后再试"; break;
	default: what = "系统出错"; break;
	}
	buf = web_begin(r, what);
	evbuffer_add_printf(buf, "</header>\n<main>\n<section class=\"alert\">"
	    "<h2>");
	web_escape(buf, what);
	evbuffer_add_printf(buf, "</h2><p class=\"text\">");
	web_escape(buf, message);
	evbuffer_add_printf(buf, "</p><nav class=\"links\"><a href=\"/form\">"
	    "指导员报送</a> <a href=\"/dept\">部门办理</a> <a href=\"/ledger\">"
	    "公示台账</a></nav></section>\n");
	web_end(r, buf, status, NULL);
}

/* The hidden field that proves a form came from our page (CSRF). */
void
web_hidden_csrf(struct request *r, struct evbuffer *buf)
{
	evbuffer_add_printf(buf, "<input type=\"hidden\" name=\"csrf\" "
	    "value=\"%s\">", web_state(r)->csrf);
}

/*
 * A fresh idempotency key for one rendered form: a double tap or a resend
 * of the same form is one submission.
 */
void
web_hidden_key(struct evbuffer *buf)
{
	unsigned char raw[16];
	char hex[33];
	size_t i;

	if (RAND_bytes(raw, sizeof raw) != 1)
		fatalx("RAND_bytes failed");
	for (i = 0; i < sizeof raw; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	evbuffer_add_printf(buf, "<input type=\"hidden\" name=\"idem\" "
	    "value=\"w-%s\">", hex);
}

/* Who is signed in, and the sign-out button; closes the title bar. */
void
web_signed_in_bar(struct request *r, struct evbuffer *buf, const char *role)
{
	evbuffer_add_printf(buf, "<p>%s：", role);
	web_escape(buf, web_state(r)->name != NULL ? web_state(r)->name : r->actor_id);
	evbuffer_add_printf(buf, "（");
	web_escape(buf, r->actor_id);
	evbuffer_add_printf(buf, "）</p><form method=\"post\" "
	    "action=\"/logout\">");
	web_hidden_csrf(r, buf);
	evbuffer_add_printf(buf, "<button type=\"submit\">退出登录</button>"
	    "</form></header>\n<main>\n");
}

/* A time stored as ms since the epoch, as the zone's local date and time. */
void
web_time(struct evbuffer *buf, const char *ms)
{
	char iso[32];

	if (ms == NULL || *ms == '\0') {
		evbuffer_add_printf(buf, "—");
		return;
	}
	util_time_iso8601(strtoll(ms, NULL, 10), iso);
	/* 2026-11-27T09:30:00+08:00 → 2026-11-27 09:30 */
	iso[10] = ' ';
	iso[16] = '\0';
	evbuffer_add_printf(buf, "%s", iso);
}

/* The Chinese name of a task or issue state (the ledger's words). */
const char *
web_state_name(const char *state)
{
	const char *zh;

	if (state == NULL)
		return "";
	zh = ledger_state_zh(state);
	return zh != state ? zh : "";   /* unknown: "", it goes in unescaped */
}

/*
 * The error of an API answer ({"error":{"code","message","field"}}): the
 * field at fault is copied to field ("" when none, with any "items[0]."
 * taken off). Returns the message (static storage, valid until the next
 * call) or "".
 */
const char *
web_api_error(const char *body, char *field, size_t len)
{
	static char message[256];
	cJSON *json = cJSON_Parse(body), *e, *f, *m;
	const char *name;

	*field = '\0';
	*message = '\0';
	e = cJSON_GetObjectItemCaseSensitive(json, "error");
	f = cJSON_GetObjectItemCaseSensitive(e, "field");
	m = cJSON_GetObjectItemCaseSensitive(e, "message");
	if (cJSON_IsString(f)) {
		name = strrchr(f->valuestring, '.');
		snprintf(field, len, "%s", name != NULL ? name + 1 :
		    f->valuestring);
	}
	if (cJSON_IsString(m))
		snprintf(message, sizeof message, "%s", m->valuestring);
	cJSON_Delete(json);
	return message;
}

/* GET /static/NAME-HASH.EXT: an embedded asset, cached for a year. */
void
web_static(struct request *r)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(r->req);
	const struct web_asset *a;
	const char *match;

	for (a = web_assets; a->name != NULL; a++)
		if (strcmp(a->path + strlen("/static/"), r->param) == 0)
			break;
	if (a->name == NULL) {
		web_error(r, 404, "没有这个文件。");
		return;
	}
	evhttp_add_header(out, "Cache-Control",
	    "public, max-age=31536000, immutable");
	evhttp_add_header(out, "ETag", a->etag);
	match = request_header(r, "If-None-Match");
	if (match != NULL && strcmp(match, a->etag) == 0) {
		request_reply_raw(r, 304, a->type, "");
		return;
	}
	request_reply_raw(r, 200, a->type, a->body);
}

/* The form fields the pages name in their messages. */
static const struct {
	const char *field;
	const char *empty;       /* missing or empty */
	const char *what;        /* its name, for "too long" */
	int max;                 /* 0: from the config */
} web_fields[] = {
	{ "enterprise", "请选择您联系的企业。", "企业", 64 },
	{ "topic", "请选择问题领域。", "问题领域", 64 },
	{ "title", "请填写问题标题。", "标题", 0 },
	{ "detail", "请描述问题。", "问题描述", 0 },
	{ "satisfaction", "请选择满意程度。", "满意程度", 32 },
	{ "comment", "选择不满意时，请写明原因：问题将连同原因退回部门重办。",
	    "意见", 500 },
	{ "reason", "请填写原因。", "原因", 500 },
	{ "claimant", "请填写认领人。", "认领人", 0 },
	{ "response", "请填写回应内容。", "回应", 0 },
	{ "resolution", "请填写办结说明。", "办结说明", 0 },
};

/* What a form field is called on the pages, or NULL for no field of ours. */
const char *
web_field_label(const char *field)
{
	size_t i;

	for (i = 0; i < sizeof web_fields / sizeof web_fields[0]; i++)
		if (strcmp(field, web_fields[i].field) == 0)
			return web_fields[i].what;
	return NULL;
}

/*
 * What to tell a user, in Chinese, about the API's complaint (message)
 * over field: out gets the text to show next to that field.
 */
void
web_field_message(struct request *r, const char *field, const char *message,
    int status, char *out, size_t len)
{
	size_t i;
	int max;

	if (strcmp(field, "enterprise") == 0) {
		snprintf(out, len, "%s", status == 403 ?
		    "这家企业不在您的联系名单中，只能为自己联系的企业报送。" :
		    "请选择您联系的企业。");
		return;
	}
	for (i = 0; i < sizeof web_fields / sizeof web_fields[0]; i++) {
		if (strcmp(field, web_fields[i].field) != 0)
			continue;
		if (strstr(message, "longer than") == NULL) {
			snprintf(out, len, "%s", web_fields[i].empty);
			return;
		}
		max = web_fields[i].max;
		if (max == 0 && strcmp(field, "title") == 0)
			max = r->config->max_title;
		else if (max == 0 && strcmp(field, "detail") == 0)
			max = r->config->max_detail;
		else if (max == 0)
			max = task_step_find(strcmp(field, "claimant") == 0 ?
			    "claim" : strcmp(field, "response") == 0 ?
			    "respond" : "resolve")->max;
		snprintf(out, len, "%s不能超过 %d 个字。", web_fields[i].what,
		    max);
		return;
	}
	snprintf(out, len, "提交未成功：%s", message);
}

/*
 * The Chinese name of an issue category, "" for anything else: callers put
 * it into the page unescaped.
 */
const char *
web_category_name(const char *category)
{
	const char *title = rules_category_title(category);

	return title != NULL ? title : "";
}

/* The names of the departments in a JSON list of ids, joined by "、". */
void
web_department_names(struct request *r, struct evbuffer *buf,
    const char *json)
{
	cJSON *list = cJSON_Parse(json != NULL ? json : "[]"), *d;
	const struct department *dept;
	int first = 1;

	cJSON_ArrayForEach(d, list) {
		if (!cJSON_IsString(d))
			continue;
		dept = roster_department(r->roster, d->valuestring);
		if (!first)
			evbuffer_add_printf(buf, "、");
		web_escape(buf, dept != NULL ? dept->name : d->valuestring);
		first = 0;
	}
	cJSON_Delete(list);
}
