/*
 * web_fieldwork.c -- /form/fieldwork, the officer's field-work page (SPEC
 * §11): record a visit (走访记录: enterprise, date, mode, note, suggestions)
 * and an outcome (工作成效: enterprise, kind, date, amount, note) from the
 * phone, and see the latest visits. /form links here.
 *
 * Like /form, it changes things only through the API (POST
 * /api/v1/visits and /api/v1/outcomes), with the form's own idempotency
 * key, so a double tap is one record; a refused form comes back with what
 * was typed and the reason, in Chinese, next to the field at fault.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define WEB_FIELDWORK_VISITS 20     /* the latest visits shown */

struct web_fieldwork_page {
	int status;                 /* 200, or the status of a refused form */
	char form[16];              /* the refused form: visit or outcome */
	char field[64];             /* the field at fault, or "" */
	char message[256];
};

/* The Chinese words for the forms' choices (fieldwork.c has the API's). */
static const char *const web_fieldwork_modes[][2] = {
	{ "visit", "走访企业" }, { "forum", "集中座谈" },
	{ "interview", "个别访谈" }, { "sit_in", "列席旁听" },
};
static const char *const web_fieldwork_kinds[][2] = {
	{ "party_org", "成立党组织（家）" }, { "mass_org", "成立群团组织（家）" },
	{ "hires", "帮助招聘（人）" }, { "tax_relief", "税收优惠（元）" },
	{ "funding", "融资/补贴（元）" }, { "other", "其他成效（项）" },
};

/* What to tell about a refused field, in Chinese. */
static const struct {
	const char *field;
	const char *text;
} web_fieldwork_messages[] = {
	{ "enterprise", "请选择您联系的企业。" },
	{ "date", "日期不能晚于今天，也不能早于上一期的第一天。" },
	{ "mode", "请选择走访方式。" },
	{ "suggestions", "意见建议条数应为 0 到 1000 的整数。" },
	{ "note", "备注不超过 500 字。" },
	{ "kind", "请选择成效类别。" },
	{ "amount", "请填写不小于 0 的数：家、人、项为整数，金额最多两位小数。" },
};

static struct web_fieldwork_page *
web_fieldwork_page_new(struct request *r)
{
	struct web_fieldwork_page *p = web_page_new(r, sizeof *p, free);

	p->status = 200;
	return p;
}

/* What was typed into field of the refused form, to show again. */
static const char *
web_fieldwork_typed(struct request *r, const struct web_fieldwork_page *p,
    const char *form, const char *field)
{
	const char *v;

	if (p->status == 200 || strcmp(p->form, form) != 0)
		return "";
	v = web_field(r, field);
	return v != NULL ? v : "";
}

/* Is field of form the one the refused form was refused for? */
static int
web_fieldwork_wrong(const struct web_fieldwork_page *p, const char *form,
    const char *field)
{
	return p->status != 200 && strcmp(p->form, form) == 0 &&
	    strcmp(p->field, field) == 0;
}

static void
web_fieldwork_label(struct evbuffer *buf, const char *form, const char *field,
    const char *text)
{
	evbuffer_add_printf(buf, "<label for=\"%s-%s\">%s</label>", form, field,
	    text);
}

static const char *
web_fieldwork_attrs(const struct web_fieldwork_page *p, const char *form,
    const char *field)
{
	static char attrs[160];

	if (!web_fieldwork_wrong(p, form, field))
		return "";
	snprintf(attrs, sizeof attrs, " class=\"invalid\" aria-invalid=\"true\" "
	    "aria-describedby=\"%s-%s-error\"", form, field);
	return attrs;
}

static void
web_fieldwork_error(struct evbuffer *buf, const struct web_fieldwork_page *p,
    const char *form, const char *field)
{
	if (!web_fieldwork_wrong(p, form, field))
		return;
	evbuffer_add_printf(buf, "<p class=\"error\" id=\"%s-%s-error\">", form,
	    field);
	web_escape(buf, p->message);
	evbuffer_add_printf(buf, "</p>");
}

/* A select of the officer's enterprises named name, in form. */
static void
web_fieldwork_enterprises(struct request *r, struct evbuffer *buf,
    const struct web_fieldwork_page *p, const char *form,
    const struct officer *o)
{
	const char *typed = web_fieldwork_typed(r, p, form, "enterprise");
	size_t i;

	web_fieldwork_label(buf, form, "enterprise", "企业");
	evbuffer_add_printf(buf, "<select id=\"%s-enterprise\" name=\"enterprise\""
	    "%s><option value=\"\">请选择您联系的企业</option>", form,
	    web_fieldwork_attrs(p, form, "enterprise"));
	for (i = 0; i < o->nenterprises; i++) {
		evbuffer_add_printf(buf, "<option value=\"%s\"%s>",
		    o->enterprises[i]->id, strcmp(typed, o->enterprises[i]->id)
		    == 0 ? " selected" : "");
		web_escape(buf, o->enterprises[i]->name);
		evbuffer_add_printf(buf, "</option>");
	}
	evbuffer_add_printf(buf, "</select>");
	web_fieldwork_error(buf, p, form, "enterprise");
}

/* A select of choices (API word, Chinese) named field. */
static void
web_fieldwork_choices(struct request *r, struct evbuffer *buf,
    const struct web_fieldwork_page *p, const char *form, const char *field,
    const char *label, const char *const (*choices)[2], size_t n)
{
	const char *typed = web_fieldwork_typed(r, p, form, field);
	size_t i;

	web_fieldwork_label(buf, form, field, label);
	evbuffer_add_printf(buf, "<select id=\"%s-%s\" name=\"%s\"%s>", form,
	    field, field, web_fieldwork_attrs(p, form, field));
	for (i = 0; i < n; i++)
		evbuffer_add_printf(buf, "<option value=\"%s\"%s>%s</option>",
		    choices[i][0], strcmp(typed, choices[i][0]) == 0 ?
		    " selected" : "", choices[i][1]);
	evbuffer_add_printf(buf, "</select>");
	web_fieldwork_error(buf, p, form, field);
}

/* An input of type named field, showing typed or value. */
static void
web_fieldwork_input(struct request *r, struct evbuffer *buf,
    const struct web_fieldwork_page *p, const char *form, const char *field,
    const char *label, const char *type, const char *value, const char *extra)
{
	const char *typed = web_fieldwork_typed(r, p, form, field);

	web_fieldwork_label(buf, form, field, label);
	evbuffer_add_printf(buf, "<input type=\"%s\" id=\"%s-%s\" name=\"%s\" "
	    "autocomplete=\"off\"%s value=\"", type, form, field, field, extra);
	web_escape(buf, p->status != 200 && strcmp(p->form, form) == 0 ?
	    typed : value);
	evbuffer_add_printf(buf, "\"%s>", web_fieldwork_attrs(p, form, field));
	web_fieldwork_error(buf, p, form, field);
}

static void
web_fieldwork_message(struct evbuffer *buf, const struct web_fieldwork_page *p,
    const char *form)
{
	if (p->status == 200 || strcmp(p->form, form) != 0 || *p->field != '\0')
		return;
	evbuffer_add_printf(buf, "<p class=\"error\" role=\"alert\">");
	web_escape(buf, p->message);
	evbuffer_add_printf(buf, "</p>");
}

static void
web_fieldwork_render_forms(struct request *r, struct evbuffer *buf,
    const struct web_fieldwork_page *p, const struct officer *o)
{
	char today[FIELDWORK_DATE_LEN + 1];

	fieldwork_date_format(fieldwork_today(time(NULL)), today);
	evbuffer_add_printf(buf, "<section><h2>走访记录</h2>");
	web_fieldwork_message(buf, p, "visit");
	evbuffer_add_printf(buf, "<form method=\"post\" action=\"/form/visit\" "
	    "id=\"visit\" novalidate>");
	web_hidden_csrf(r, buf);
	web_hidden_key(buf);
	web_fieldwork_enterprises(r, buf, p, "visit", o);
	web_fieldwork_input(r, buf, p, "visit", "date", "日期", "date", today,
	    "");
	web_fieldwork_choices(r, buf, p, "visit", "mode", "方式",
	    web_fieldwork_modes, sizeof web_fieldwork_modes /
	    sizeof web_fieldwork_modes[0]);
	web_fieldwork_input(r, buf, p, "visit", "suggestions",
	    "收集意见建议（条）", "number", "0", " min=\"0\" inputmode=\"numeric\"");
	web_fieldwork_label(buf, "visit", "note", "情况记录（可不填）");
	evbuffer_add_printf(buf, "<textarea id=\"visit-note\" name=\"note\" "
	    "rows=\"3\"%s>", web_fieldwork_attrs(p, "visit", "note"));
	web_escape(buf, web_fieldwork_typed(r, p, "visit", "note"));
	evbuffer_add_printf(buf, "</textarea>");
	web_fieldwork_error(buf, p, "visit", "note");
	evbuffer_add_printf(buf, "<button type=\"submit\" class=\"wide\">保存走访"
	    "</button></form></section>\n<section><h2>工作成效</h2>");
	web_fieldwork_message(buf, p, "outcome");
	evbuffer_add_printf(buf, "<form method=\"post\" action=\"/form/outcome\" "
	    "id=\"outcome\" novalidate>");
	web_hidden_csrf(r, buf);
	web_hidden_key(buf);
	web_fieldwork_enterprises(r, buf, p, "outcome", o);
	web_fieldwork_choices(r, buf, p, "outcome", "kind", "类别",
	    web_fieldwork_kinds, sizeof web_fieldwork_kinds /
	    sizeof web_fieldwork_kinds[0]);
	web_fieldwork_input(r, buf, p, "outcome", "amount", "数量或金额", "text",
	    "", " inputmode=\"decimal\"");
	web_fieldwork_input(r, buf, p, "outcome", "date", "日期", "date", today,
	    "");
	web_fieldwork_label(buf, "outcome", "note", "说明（可不填）");
	evbuffer_add_printf(buf, "<textarea id=\"outcome-note\" name=\"note\" "
	    "rows=\"2\"%s>", web_fieldwork_attrs(p, "outcome", "note"));
	web_escape(buf, web_fieldwork_typed(r, p, "outcome", "note"));
	evbuffer_add_printf(buf, "</textarea>");
	web_fieldwork_error(buf, p, "outcome", "note");
	evbuffer_add_printf(buf, "<button type=\"submit\" class=\"wide\">保存成效"
	    "</button></form></section>\n");
}

static const char *
web_fieldwork_mode_zh(const char *mode)
{
	size_t i;

	for (i = 0; i < sizeof web_fieldwork_modes /
	    sizeof web_fieldwork_modes[0]; i++)
		if (mode != NULL && strcmp(mode, web_fieldwork_modes[i][0]) == 0)
			return web_fieldwork_modes[i][1];
	return "";
}

/* The page, once the officer's latest visits (fieldwork.lua) are in. */
static void
web_fieldwork_render(struct request *r, redisReply *reply)
{
	const struct officer *o = roster_officer(r->roster, r->actor_id);
	struct web_fieldwork_page *p = web_state(r)->page;
	const char *done = request_query(r, "done");
	const struct enterprise *e;
	const char *v;
	struct evbuffer *buf;
	size_t i;

	if (o == NULL) {
		web_error(r, 403, "您已不在指导员名单中。");
		return;
	}
	buf = web_begin(r, "走访记录与工作成效");
	web_signed_in_bar(r, buf, "指导员");
	if (done != NULL && (api_id_valid(done, 'V') || api_id_valid(done, 'C')))
		evbuffer_add_printf(buf, "<section class=\"notice\" id=\"done\" "
		    "role=\"status\"><p>已保存，编号 <strong>%s</strong>。</p>"
		    "</section>\n", done);
	web_fieldwork_render_forms(r, buf, p, o);
	evbuffer_add_printf(buf, "<section><h2>最近的走访</h2>");
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0)
		evbuffer_add_printf(buf, "<p class=\"muted\">还没有走访记录。</p>");
	else
		evbuffer_add_printf(buf, "<ul class=\"plain\" id=\"visits\">");
	for (i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements;
	    i++) {
		v = util_reply_field(reply->element[i], "enterprise");
		e = roster_enterprise(r->roster, v != NULL ? v : "");
		evbuffer_add_printf(buf, "<li>");
		web_escape(buf, util_reply_field(reply->element[i], "date"));
		evbuffer_add_printf(buf, " · %s · ", web_fieldwork_mode_zh(
		    util_reply_field(reply->element[i], "mode")));
		web_escape(buf, e != NULL ? e->name : (v ? v : ""));
		v = util_reply_field(reply->element[i], "suggestions");
		if (v != NULL && strcmp(v, "0") != 0) {
			evbuffer_add_printf(buf, " · 意见建议 ");
			web_escape(buf, v);
			evbuffer_add_printf(buf, " 条");
		}
		evbuffer_add_printf(buf, "</li>");
	}
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0)
		evbuffer_add_printf(buf, "</ul>");
	evbuffer_add_printf(buf, "</section>\n<nav class=\"links\"><a "
	    "href=\"/form\">问题报送</a> <a href=\"/ledger\">公示台账</a></nav>\n");
	web_end(r, buf, p->status, NULL);
}

/* Read the officer's latest visits, then draw the page. */
static void
web_fieldwork_show(struct request *r)
{
	cJSON *payload = cJSON_CreateObject();
	char index[160];

	snprintf(index, sizeof index, "visits:officer:%s", r->actor_id);
	cJSON_AddStringToObject(payload, "type", "visit");
	cJSON_AddStringToObject(payload, "index", index);
	cJSON_AddStringToObject(payload, "min", "-inf");
	cJSON_AddStringToObject(payload, "max", "+inf");
	cJSON_AddObjectToObject(payload, "match");
	cJSON_AddNumberToObject(payload, "limit", WEB_FIELDWORK_VISITS);
	cJSON_AddNumberToObject(payload, "offset", 0);
	api_fieldwork_run(r, "list", payload, web_fieldwork_render, 0, NULL);
}

/* GET /form/fieldwork */
void
web_fieldwork(struct request *r)
{
	web_fieldwork_page_new(r);
	web_fieldwork_show(r);
}

/*
 * The outcomes recorded for an issue (its "outcomes" field, JSON), as a
 * line for the pages that show the issue (/dept); nothing when none.
 */
void
web_fieldwork_outcomes(struct evbuffer *buf, const char *json)
{
	const struct fieldwork_kind *k;
	cJSON *list = json != NULL ? cJSON_Parse(json) : NULL, *o;
	const char *kind, *sep = "";
	double amount;
	size_t i;

	if (cJSON_GetArraySize(list) == 0) {
		cJSON_Delete(list);
		return;
	}
	evbuffer_add_printf(buf, "<p class=\"outcomes\">工作成效：");
	cJSON_ArrayForEach(o, list) {
		kind = cJSON_GetStringValue(cJSON_GetObjectItem(o, "kind"));
		amount = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "amount"));
		if (kind == NULL || (k = fieldwork_kind_find(
		    fieldwork_outcome_kinds, kind)) == NULL)
			continue;
		for (i = 0; i < sizeof web_fieldwork_kinds /
		    sizeof web_fieldwork_kinds[0]; i++)
			if (strcmp(web_fieldwork_kinds[i][0], k->name) == 0)
				break;
		evbuffer_add_printf(buf, "%s%s %.*f", sep,
		    i < sizeof web_fieldwork_kinds /
		    sizeof web_fieldwork_kinds[0] ? web_fieldwork_kinds[i][1] :
		    k->zh, k->unit == FIELDWORK_UNIT_YUAN ? 2 : 0, amount);
		sep = "；";
	}
	evbuffer_add_printf(buf, "</p>");
	cJSON_Delete(list);
}

/* --- POST /form/visit and /form/outcome ---------------------------------- */

static void
web_fieldwork_saved(struct request *r, int status, const char *body)
{
	struct web_fieldwork_page *p = web_state(r)->page;
	char location[64], field[64];
	const char *message, *id;
	cJSON *json;
	size_t i;

	if (status == 201) {
		json = cJSON_Parse(body);
		id = cJSON_GetStringValue(cJSON_GetObjectItem(json, "id"));
		if (id == NULL || (!api_id_valid(id, 'V') &&
		    !api_id_valid(id, 'C'))) {
			cJSON_Delete(json);
			web_error(r, 500, "保存结果无法识别。");
			return;
		}
		snprintf(location, sizeof location, "/form/fieldwork?done=%s#done",
		    id);
		cJSON_Delete(json);
		web_redirect(r, location);
		return;
	}
	if (status >= 500 || status == 429) {
		web_error(r, status, status == 429 ? "请稍后再试。" :
		    "暂时无法保存，请稍后再提交（不会重复保存）。");
		return;
	}
	p->status = status;
	snprintf(p->form, sizeof p->form, "%s", r->route->arg);
	message = web_api_error(body, field, sizeof field);
	snprintf(p->field, sizeof p->field, "%s", field);
	snprintf(p->message, sizeof p->message, "提交未成功：%s", message);
	for (i = 0; i < sizeof web_fieldwork_messages /
	    sizeof web_fieldwork_messages[0]; i++)
		if (strcmp(field, web_fieldwork_messages[i].field) == 0)
			snprintf(p->message, sizeof p->message, "%s",
			    status == 403 ? "这家企业不在您的联系名单中。" :
			    web_fieldwork_messages[i].text);
	if (status == 409) {
		*p->field = '\0';
		snprintf(p->message, sizeof p->message, "这份表单已经保存过，"
		    "请在新表单中重新填写。");
	}
	web_fieldwork_show(r);
}

/*
 * A form field as a JSON number when it reads as one (the API checks its
 * range and decimals), else as the text typed, which the API refuses.
 */
static void
web_fieldwork_number(struct request *r, cJSON *obj, const char *name,
    const char *empty)
{
	const char *v = web_field(r, name);
	char *end;
	double d;

	if (v == NULL || *v == '\0')
		v = empty;
	if (v == NULL)
		return;
	d = strtod(v, &end);
	if (*v != '\0' && *end == '\0' && strspn(v, "0123456789.-") ==
	    strlen(v))
		cJSON_AddNumberToObject(obj, name, d);
	else
		cJSON_AddStringToObject(obj, name, v);
}

static void
web_fieldwork_text(struct request *r, cJSON *obj, const char *name)
{
	const char *v = web_field(r, name);

	cJSON_AddStringToObject(obj, name, v != NULL ? v : "");
}

/* POST /form/visit and /form/outcome, through the API. */
void
web_fieldwork_save(struct request *r)
{
	cJSON *root = cJSON_CreateObject();
	const char *key = web_field(r, "idem");
	const char *path;
	char *json;

	web_fieldwork_page_new(r);
	web_fieldwork_text(r, root, "enterprise");
	web_fieldwork_text(r, root, "date");
	web_fieldwork_text(r, root, "note");
	if (strcmp(r->route->arg, "visit") == 0) {
		web_fieldwork_text(r, root, "mode");
		web_fieldwork_number(r, root, "suggestions", "0");
		path = "/api/v1/visits";
	} else {
		web_fieldwork_text(r, root, "kind");
		web_fieldwork_number(r, root, "amount", NULL);
		path = "/api/v1/outcomes";
	}
	json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (routes_call_api(r, path, json, key, web_fieldwork_saved) == -1)
		web_error(r, 403, "无权保存。");
	free(json);
}
