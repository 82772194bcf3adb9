/*
 * web_contact.c -- whom to call about an issue, and what happened to it:
 * the enterprise's name, the officer's name, unit and phone (a tel: link
 * a clerk taps on a phone), and the issue's history in Chinese. The
 * roster gives the names (nothing is read from Redis here); the history
 * is the list workflow.lua writes (read.lua's "dossiers").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

/*
 * The history's events in Chinese. The task steps' events are the task
 * states (ledger.c's words); these are the others workflow.lua writes.
 */
static const struct {
	const char *event;
	const char *zh;
} web_contact_events[] = {
	{ "created", "报送" },
	{ "routed", "分派" },
	{ "classified", "分类" },
	{ "queued", "进入待认领" },
	{ "escalated", "超期督办" },
	{ "grouped", "归入共性问题" },
	{ "merged", "合并任务" },
	{ "reopened", "退回重办" },
	{ "confirmed", "指导员评价" },
	{ "extension_requested", "申请延期" },
	{ "extension_approved", "延期获批" },
	{ "extension_denied", "延期未获批" },
	{ "recurrence", "复发" },
	{ "recurred", "再次出现" },
	{ NULL, NULL }
};

/* The Chinese name of a history event; "" when unknown (never echoed). */
const char *
web_contact_event_name(const char *event)
{
	size_t i;

	if (event == NULL)
		return "";
	for (i = 0; web_contact_events[i].event != NULL; i++)
		if (strcmp(event, web_contact_events[i].event) == 0)
			return web_contact_events[i].zh;
	return web_state_name(event);
}

/*
 * A phone number as a tel: URI: digits and a leading +, the rest (spaces,
 * dashes, anything a roster may hold) dropped. Empty when nothing is left.
 */
void
web_contact_tel(const char *phone, char *out, size_t len)
{
	size_t n = 0;

	if (len == 0)
		return;
	for (; phone != NULL && *phone != '\0' && n + 1 < len; phone++)
		if ((*phone >= '0' && *phone <= '9') || (*phone == '+' && n == 0))
			out[n++] = *phone;
	out[n] = '\0';
}

/*
 * The enterprise and the officer of one issue: who to call. An officer or
 * enterprise the roster no longer has shows its id.
 */
void
web_contact(struct request *r, struct evbuffer *buf, const redisReply *issue)
{
	const char *eid = util_reply_field(issue, "enterprise");
	const char *oid = util_reply_field(issue, "officer");
	const struct enterprise *e = roster_enterprise(r->roster,
	    eid != NULL ? eid : "");
	const struct officer *o = roster_officer(r->roster,
	    oid != NULL ? oid : "");
	char tel[48];

	evbuffer_add_printf(buf, "<dl class=\"contact\"><dt>企业</dt>"
	    "<dd class=\"enterprise\">");
	web_escape(buf, e != NULL ? e->name : eid);
	evbuffer_add_printf(buf, "</dd><dt>指导员</dt><dd class=\"officer\">");
	if (o == NULL) {
		web_escape(buf, oid);
		evbuffer_add_printf(buf, "</dd></dl>");
		return;
	}
	web_escape(buf, o->name);
	if (o->unit != NULL && *o->unit != '\0') {
		evbuffer_add_printf(buf, "（");
		web_escape(buf, o->unit);
		evbuffer_add_printf(buf, "）");
	}
	web_contact_tel(o->phone, tel, sizeof tel);
	if (*tel != '\0') {
		evbuffer_add_printf(buf, " <a class=\"tel\" href=\"tel:%s\">", tel);
		web_escape(buf, o->phone);
		evbuffer_add_printf(buf, "</a>");
	}
	evbuffer_add_printf(buf, "</dd></dl>");
}

/* Who did a step ("officer:O001", "department:hr", …), by name. */
static void
web_contact_actor(struct request *r, struct evbuffer *buf, const char *actor)
{
	const struct officer *o;
	const struct department *d;
	const char *id = strchr(actor, ':');

	if (id != NULL && strncmp(actor, "officer:", 8) == 0 &&
	    (o = roster_officer(r->roster, id + 1)) != NULL)
		web_escape(buf, o->name);
	else if (id != NULL && strncmp(actor, "department:", 11) == 0 &&
	    (d = roster_department(r->roster, id + 1)) != NULL)
		web_escape(buf, d->name);
	else if (strncmp(actor, "admin:", 6) == 0)
		evbuffer_add_printf(buf, "管理员");
	else
		web_escape(buf, actor);
}

/*
 * An issue's history (a list of JSON entries {at, actor, event, reason,
 * note}): a table of when, what, who and their own words (note: the
 * response, a reason for a return, reopen or route), oldest first; folded
 * away unless open.
 */
void
web_contact_history(struct request *r, struct evbuffer *buf,
    const redisReply *list, int open)
{
	const redisReply *entry;
	cJSON *json;
	const char *at, *actor, *event, *note, *zh;
	char ms[24];
	size_t i;

	if (list == NULL || list->type != REDIS_REPLY_ARRAY ||
	    list->elements == 0)
		return;
	evbuffer_add_printf(buf, "<details class=\"history\"%s><summary>办理记录"
	    "（%zu 条）</summary><table>", open ? " open" : "", list->elements);
	for (i = 0; i < list->elements; i++) {
		entry = list->element[i];
		if (entry->type != REDIS_REPLY_STRING)
			continue;
		json = cJSON_ParseWithLength(entry->str, entry->len);
		at = cJSON_GetStringValue(cJSON_GetObjectItem(json, "at"));
		actor = cJSON_GetStringValue(cJSON_GetObjectItem(json, "actor"));
		event = cJSON_GetStringValue(cJSON_GetObjectItem(json, "event"));
		if (at == NULL && cJSON_IsNumber(cJSON_GetObjectItem(json, "at"))) {
			snprintf(ms, sizeof ms, "%.0f", cJSON_GetObjectItem(json,
			    "at")->valuedouble);
			at = ms;
		}
		zh = web_contact_event_name(event);
		evbuffer_add_printf(buf, "<tr><td>");
		web_time(buf, at);
		evbuffer_add_printf(buf, "</td><td>%s</td><td>", *zh != '\0' ?
		    zh : "其他");
		if (actor != NULL && strcmp(actor, "system") != 0)
			web_contact_actor(r, buf, actor);
		evbuffer_add_printf(buf, "</td><td class=\"text note\">");
		note = cJSON_GetStringValue(cJSON_GetObjectItem(json, "note"));
		web_escape(buf, note != NULL ? note : "");
		evbuffer_add_printf(buf, "</td></tr>");
		cJSON_Delete(json);
	}
	evbuffer_add_printf(buf, "</table></details>");
}

/*
 * Whether q (already known to be valid UTF-8) is found in the issue's id,
 * title, detail, enterprise name or officer's name, unit or phone.
 */
int
web_contact_matches(struct request *r, const redisReply *issue, const char *q)
{
	static const char *const fields[] = { "id", "title", "detail",
	    "enterprise", NULL };
	const struct enterprise *e;
	const struct officer *o;
	const char *v;
	size_t i;

	for (i = 0; fields[i] != NULL; i++)
		if ((v = util_reply_field(issue, fields[i])) != NULL &&
		    strcasestr(v, q) != NULL)
			return 1;
	v = util_reply_field(issue, "enterprise");
	e = roster_enterprise(r->roster, v != NULL ? v : "");
	if (e != NULL && strstr(e->name, q) != NULL)
		return 1;
	v = util_reply_field(issue, "officer");
	o = roster_officer(r->roster, v != NULL ? v : "");
	return o != NULL && ((o->name != NULL && strstr(o->name, q) != NULL) ||
	    (o->unit != NULL && strstr(o->unit, q) != NULL) ||
	    (o->phone != NULL && strstr(o->phone, q) != NULL));
}
