/*
 * web_form.c -- /form, the officer's page: the current half-month and
 * whether it is reported, the report form (one of their enterprises, a
 * topic, the problem, the difficult flag), the zero report (confirmed,
 * refused once the period has issues), and their issues with the
 * departments' answers, to rate: 不满意 with its reason is the one way to
 * send an issue back.
 *
 * Submitting goes through the API (POST /api/v1/reports and
 * /api/v1/issues/{id}/confirm|reopen) with the form's own idempotency
 * key, so the rules are the API's and a double tap is one report. A
 * refused form comes back with what was typed and the reason next to the
 * field; an accepted one redirects (Post/Redirect/Get) to the page showing
 * where each issue went.
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

#define FORM_ISSUES "30"            /* the officer's newest issues shown */
#define FORM_SEEN_DAYS 400          /* how long a last visit is remembered */

struct form_page {
	int status;                 /* 200, or the status of a refused form */
	int reported;
	long long seen;             /* the officer's last visit (ms), 0: none */
	int detail;                 /* drawing one issue's own page */
	char period[PERIOD_LEN + 1];
	char issue[24];             /* the issue a refused action was for */
	char field[64];             /* the field at fault, or "" */
	char message[512];          /* what to tell, in Chinese */
	int nmore;                  /* the other fields at fault (the API's */
	struct {                    /* "errors"), all shown at once */
		char field[64];
		char message[512];
	} more[API_ERROR_MORE];
};

static struct form_page *
web_form_page_new(struct request *r)
{
	struct form_page *p = web_page_new(r, sizeof *p, free);

	p->status = 200;
	return p;
}

/* --- drawing the page ---------------------------------------------------- */

/* What to tell about field of issue's form ("": the report), or NULL. */
static const char *
web_form_error_of(const struct form_page *p, const char *issue,
    const char *field)
{
	int i;

	if (strcmp(p->issue, issue) != 0)
		return NULL;
	if (strcmp(p->field, field) == 0)
		return p->message;
	for (i = 0; i < p->nmore; i++)
		if (strcmp(p->more[i].field, field) == 0)
			return p->more[i].message;
	return NULL;
}

/* The error next to field, if it is one at fault. */
static void
web_form_field_error(struct evbuffer *buf, const struct form_page *p,
    const char *issue, const char *field, const char *id)
{
	const char *message = web_form_error_of(p, issue, field);

	if (message == NULL)
		return;
	evbuffer_add_printf(buf, "<p class=\"error\" id=\"%s-error\">", id);
	web_escape(buf, message);
	evbuffer_add_printf(buf, "</p>");
}

/*
 * The attributes that mark a control as wrong and point to its error
 * (static storage: use before the next call).
 */
static const char *
web_form_invalid(const struct form_page *p, const char *issue, const char *field)
{
	static char attrs[160];

	if (web_form_error_of(p, issue, field) == NULL)
		return "";
	snprintf(attrs, sizeof attrs, " class=\"invalid\" aria-invalid=\"true\" "
	    "aria-describedby=\"%s-error\"", field);
	return attrs;
}

/*
 * Above a report form refused for several fields: how many, each a link
 * to its field, so nothing is found only by scrolling.
 */
static void
web_form_error_summary(struct evbuffer *buf, const struct form_page *p)
{
	const char *label;
	int i;

	if (p->nmore == 0 || *p->issue != '\0')
		return;
	evbuffer_add_printf(buf, "<div class=\"error\" role=\"alert\" "
	    "id=\"error-summary\"><p>有 %d 处需要修改：</p><ul>", p->nmore + 1);
	for (i = -1; i < p->nmore; i++) {
		const char *field = i < 0 ? p->field : p->more[i].field;

		label = web_field_label(field);
		evbuffer_add_printf(buf, "<li><a href=\"#%s\">%s</a></li>",
		    field, label != NULL ? label : "");
	}
	evbuffer_add_printf(buf, "</ul></div>");
}

/* What was typed into field of a refused form, to show again. */
static const char *
web_form_typed(struct request *r, const struct form_page *p, const char *field)
{
	const char *v;

	if (p->status == 200 || *p->issue != '\0')
		return "";
	v = web_field(r, field);
	return v != NULL ? v : "";
}

/* The confirmation of the submission just made (from the session). */
static void
web_form_render_done(struct request *r, struct evbuffer *buf)
{
	const char *done = request_query(r, "done");
	cJSON *json, *report, *issues, *issue;
	int n = 0;

	if (done == NULL || web_state(r)->flash == NULL)
		return;
	json = cJSON_Parse(web_state(r)->flash);
	report = cJSON_GetObjectItemCaseSensitive(json, "report");
	if (!cJSON_IsString(report) || strcmp(report->valuestring, done) != 0) {
		cJSON_Delete(json);
		return;
	}
	issues = cJSON_GetObjectItemCaseSensitive(json, "issues");
	evbuffer_add_printf(buf, "<section class=\"notice\" id=\"done\" "
	    "role=\"status\"><h2>提交成功</h2><p>报告编号 <strong>");
	web_escape(buf, report->valuestring);
	evbuffer_add_printf(buf, "</strong>（");
	web_escape(buf, cJSON_GetStringValue(cJSON_GetObjectItem(json,
	    "period")));
	evbuffer_add_printf(buf, "）</p><ul class=\"plain\">");
	cJSON_ArrayForEach(issue, issues) {
		char *depts = cJSON_PrintUnformatted(cJSON_GetObjectItem(issue,
		    "departments"));

		evbuffer_add_printf(buf, "<li>问题编号 <strong class=\"issue-id\">");
		web_escape(buf, cJSON_GetStringValue(cJSON_GetObjectItem(issue,
		    "id")));
		evbuffer_add_printf(buf, "</strong>（%s）已转交：<span "
		    "class=\"routed\">", web_category_name(cJSON_GetStringValue(
		    cJSON_GetObjectItem(issue, "category"))));
		web_department_names(r, buf, depts);
		evbuffer_add_printf(buf, "</span></li>");
		free(depts);
		n++;
	}
	if (n == 0)
		evbuffer_add_printf(buf, "<li>本期无问题（零报告）已登记。</li>");
	evbuffer_add_printf(buf, "</ul></section>\n");
	cJSON_Delete(json);
}

/* The notice after a confirm or reopen (?ok=confirm&issue=I). */
static void
web_form_render_ok(struct request *r, struct evbuffer *buf)
{
	const char *ok = request_query(r, "ok");
	const char *issue = request_query(r, "issue");

	if (ok == NULL || issue == NULL || !api_id_valid(issue, 'I'))
		return;
	evbuffer_add_printf(buf, "<section class=\"notice\" role=\"status\">"
	    "<p>问题 %s %s</p></section>\n", issue, strcmp(ok, "confirm") == 0 ?
	    "的办理结果已确认。" : "已连同您的意见退回部门，重新进入办理。");
}

/* The report form: one of the officer's enterprises, a topic, the text. */
static void
web_form_render_report(struct request *r, struct evbuffer *buf,
    const struct form_page *p, const struct officer *o)
{
	const char *typed = web_form_typed(r, p, "enterprise");
	size_t i;

	if (*p->issue == '\0' && *p->field == '\0' && p->status != 200) {
		evbuffer_add_printf(buf, "<p class=\"error\" role=\"alert\">");
		web_escape(buf, p->message);
		evbuffer_add_printf(buf, "</p>");
	}
	evbuffer_add_printf(buf, "<form method=\"post\" action=\"/form/report#"
	    "report\" id=\"report\" novalidate>");
	web_form_error_summary(buf, p);
	web_hidden_csrf(r, buf);
	web_hidden_key(buf);
	evbuffer_add_printf(buf, "<label for=\"enterprise\">企业</label>"
	    "<select id=\"enterprise\" name=\"enterprise\"%s>"
	    "<option value=\"\">请选择您联系的企业</option>",
	    web_form_invalid(p, "", "enterprise"));
	for (i = 0; i < o->nenterprises; i++) {
		evbuffer_add_printf(buf, "<option value=\"%s\"%s>",
		    o->enterprises[i]->id, strcmp(typed,
		    o->enterprises[i]->id) == 0 ? " selected" : "");
		web_escape(buf, o->enterprises[i]->name);
		evbuffer_add_printf(buf, "</option>");
	}
	evbuffer_add_printf(buf, "</select>");
	web_form_field_error(buf, p, "", "enterprise", "enterprise");

	typed = web_form_typed(r, p, "topic");
	evbuffer_add_printf(buf, "<label for=\"topic\">问题领域</label>"
	    "<select id=\"topic\" name=\"topic\"%s><option value=\"\">请选择"
	    "</option>", web_form_invalid(p, "", "topic"));
	for (i = 0; i < r->roster->ntopics; i++) {
		evbuffer_add_printf(buf, "<option value=\"");
		web_escape(buf, r->roster->topics[i].id);
		evbuffer_add_printf(buf, "\"%s>", strcmp(typed,
		    r->roster->topics[i].id) == 0 ? " selected" : "");
		web_escape(buf, r->roster->topics[i].name);
		evbuffer_add_printf(buf, "</option>");
	}
	evbuffer_add_printf(buf, "</select>");
	web_form_field_error(buf, p, "", "topic", "topic");

	evbuffer_add_printf(buf, "<label for=\"title\">标题</label>"
	    "<input type=\"text\" id=\"title\" name=\"title\" "
	    "autocomplete=\"off\" value=\"");
	web_escape(buf, web_form_typed(r, p, "title"));
	evbuffer_add_printf(buf, "\"%s>", web_form_invalid(p, "", "title"));
	web_form_field_error(buf, p, "", "title", "title");

	evbuffer_add_printf(buf, "<label for=\"detail\">问题描述（不超过 %d 字）"
	    "</label><textarea id=\"detail\" name=\"detail\" rows=\"6\"%s>",
	    r->config->max_detail, web_form_invalid(p, "", "detail"));
	web_escape(buf, web_form_typed(r, p, "detail"));
	evbuffer_add_printf(buf, "</textarea>");
	web_form_field_error(buf, p, "", "detail", "detail");

	evbuffer_add_printf(buf, "<label class=\"check\" for=\"difficult\">"
	    "<input type=\"checkbox\" id=\"difficult\" name=\"difficult\" "
	    "value=\"1\"%s> 疑难问题（需要多个部门协调）</label>",
	    *web_form_typed(r, p, "difficult") != '\0' ? " checked" : "");
	evbuffer_add_printf(buf, "<button type=\"submit\" class=\"wide\">提交问题"
	    "</button><p class=\"muted\" id=\"sending\" aria-live=\"polite\">"
	    "</p></form>");
}

/* A dated step of a task ("认领 2026-12-02 09:30"), when it was taken. */
static void
web_form_render_step(struct evbuffer *buf, const redisReply *task,
    const char *field, const char *label)
{
	const char *v = util_reply_field(task, field);

	if (v == NULL || *v == '\0')
		return;
	evbuffer_add_printf(buf, "<span>%s ", label);
	web_time(buf, v);
	evbuffer_add_printf(buf, "</span> ");
}

/*
 * What an officer needs to follow a task: who claimed it, the deadline of
 * the step it waits for, the dates of each step, and a 退单's reason.
 */
static void
web_form_render_task_detail(struct evbuffer *buf, const redisReply *task)
{
	const char *state = util_reply_field(task, "state");
	const char *step = task_stage_zh(task_state_stage(state));
	const char *v;

	evbuffer_add_printf(buf, "<dd class=\"task-detail muted\">");
	web_form_render_step(buf, task, "created", "收到");
	if ((v = util_reply_field(task, "claimant")) != NULL && *v != '\0') {
		evbuffer_add_printf(buf, "<span class=\"claimant\">认领人 ");
		web_escape(buf, v);
		evbuffer_add_printf(buf, "</span> ");
	}
	web_form_render_step(buf, task, "claimed_at", "认领");
	web_form_render_step(buf, task, "responded_at", "回应");
	web_form_render_step(buf, task, "resolved_at", "办结");
	web_form_render_step(buf, task, "returned_at", "退单");
	v = util_reply_field(task, "deadline");
	if (step != NULL && v != NULL && *v != '\0') {
		evbuffer_add_printf(buf, "<span class=\"deadline\">%s期限 ",
		    step);
		web_time(buf, v);
		evbuffer_add_printf(buf, "</span>");
	}
	evbuffer_add_printf(buf, "</dd>");
	if ((v = util_reply_field(task, "return_reason")) != NULL &&
	    *v != '\0') {
		evbuffer_add_printf(buf, "<dd>退单原因：");
		web_escape(buf, v);
		evbuffer_add_printf(buf, "</dd>");
	}
}

/*
 * What a department did to a task since the officer's last visit (seen,
 * ms; 0 marks nothing): the steps taken after it, a deadline it let pass
 * (escalated by the timer), and a task created after
 * it for an issue older than it (a re-route). Drawn as small badges into
 * buf (NULL: only counted). Returns how many there are.
 */
static int
web_form_render_news(struct evbuffer *buf, const struct form_page *p,
    const redisReply *issue, const redisReply *task)
{
	static const struct {
		const char *field;
		const char *zh;
	} steps[] = {
		{ "claimed_at", "新认领" },
		{ "responded_at", "新回应" },
		{ "resolved_at", "新办结" },
		{ "returned_at", "新退单" },
		{ "escalated_at", "新超期" },
	};
	const char *v;
	size_t i;
	int n = 0;

	if (p->seen == 0)
		return 0;
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if ((v = util_reply_field(task, steps[i].field)) != NULL &&
		    strtoll(v, NULL, 10) > p->seen) {
			if (buf != NULL)
				evbuffer_add_printf(buf, " <span class=\"badge "
				    "new\">%s</span>", steps[i].zh);
			n++;
		}
	v = util_reply_field(issue, "created");
	if (v != NULL && strtoll(v, NULL, 10) <= p->seen &&
	    (v = util_reply_field(task, "created")) != NULL &&
	    strtoll(v, NULL, 10) > p->seen) {
		if (buf != NULL)
			evbuffer_add_printf(buf, " <span class=\"badge new\">"
			    "新分派</span>");
		n++;
	}
	return n;
}

/* One of the officer's issues, with confirm and reopen when resolved. */
static void
web_form_render_issue(struct request *r, struct evbuffer *buf,
    const struct form_page *p, const redisReply *issue,
    const redisReply *tasks)
{
	const char *id = util_reply_field(issue, "id");
	const char *state = util_reply_field(issue, "state");
	const char *v;
	const struct enterprise *e;
	const struct topic *t;
	const redisReply *task;
	size_t i;

	if (id == NULL || !api_id_valid(id, 'I'))
		return;
	evbuffer_add_printf(buf, "<li id=\"issue-%s\"><h3>%s · ", id, id);
	web_escape(buf, util_reply_field(issue, "title"));
	evbuffer_add_printf(buf, "</h3><p><span class=\"badge %s\">%s</span> "
	    "%s · ", state != NULL && strspn(state, "abcdefghijklmnopqrstuvwxyz")
	    == strlen(state) ? state : "", web_state_name(state),
	    web_category_name(util_reply_field(issue, "category")));
	e = roster_enterprise(r->roster, (v = util_reply_field(issue,
	    "enterprise")) != NULL ? v : "");
	web_escape(buf, e != NULL ? e->name : v);
	t = roster_topic(r->roster, (v = util_reply_field(issue, "topic")) != NULL ?
	    v : "");
	evbuffer_add_printf(buf, " · ");
	web_escape(buf, t != NULL ? t->name : v);
	evbuffer_add_printf(buf, " · 报送 ");
	web_time(buf, util_reply_field(issue, "created"));
	evbuffer_add_printf(buf, "</p><p class=\"text detail\">");
	web_escape(buf, util_reply_field(issue, "detail"));
	evbuffer_add_printf(buf, "</p>");
	if (!p->detail)
		evbuffer_add_printf(buf, "<p><a class=\"more\" href=\"/form/"
		    "issues/%s\">详情与办理记录</a></p>", id);
	evbuffer_add_printf(buf, "<dl>");
	for (i = 0; tasks != NULL && i < tasks->elements; i++) {
		task = tasks->element[i];
		evbuffer_add_printf(buf, "<dt>");
		v = util_reply_field(task, "department");
		if (v != NULL) {
			const struct department *d = roster_department(r->roster,
			    v);

			web_escape(buf, d != NULL ? d->name : v);
		}
		evbuffer_add_printf(buf, "：%s", web_state_name(
		    util_reply_field(task, "state")));
		web_form_render_news(buf, p, issue, task);
		evbuffer_add_printf(buf, "</dt>");
		web_form_render_task_detail(buf, task);
		if ((v = util_reply_field(task, "response")) != NULL && *v != '\0') {
			evbuffer_add_printf(buf, "<dd>回应：");
			web_escape(buf, v);
			evbuffer_add_printf(buf, "</dd>");
		}
		if ((v = util_reply_field(task, "resolution")) != NULL &&
		    *v != '\0') {
			evbuffer_add_printf(buf, "<dd>办结：");
			web_escape(buf, v);
			evbuffer_add_printf(buf, "</dd>");
		}
	}
	evbuffer_add_printf(buf, "</dl>");
	if (state == NULL || strcmp(state, "resolved") != 0) {
		evbuffer_add_printf(buf, "</li>");
		return;
	}
	if (strcmp(p->issue, id) == 0 && *p->field == '\0') {
		evbuffer_add_printf(buf, "<p class=\"error\" role=\"alert\">");
		web_escape(buf, p->message);
		evbuffer_add_printf(buf, "</p>");
	}
	evbuffer_add_printf(buf, "<form method=\"post\" action=\"/form/confirm"
	    "#issue-%s\">", id);
	web_hidden_csrf(r, buf);
	evbuffer_add_printf(buf, "<input type=\"hidden\" name=\"issue\" "
	    "value=\"%s\"><fieldset><legend>对办理结果</legend>", id);
	evbuffer_add_printf(buf, "<label class=\"check\" for=\"sat-%s-1\">"
	    "<input type=\"radio\" id=\"sat-%s-1\" name=\"satisfaction\" "
	    "value=\"satisfied\"%s> 满意</label>", id, id,
	    web_form_invalid(p, id, "satisfaction"));
	evbuffer_add_printf(buf, "<label class=\"check\" for=\"sat-%s-2\">"
	    "<input type=\"radio\" id=\"sat-%s-2\" name=\"satisfaction\" "
	    "value=\"basic\"> 基本满意</label>", id, id);
	evbuffer_add_printf(buf, "<label class=\"check\" for=\"sat-%s-3\">"
	    "<input type=\"radio\" id=\"sat-%s-3\" name=\"satisfaction\" "
	    "value=\"unsatisfied\"> 不满意（退回部门重办，须写明原因）</label>"
	    "</fieldset>", id, id);
	web_form_field_error(buf, p, id, "satisfaction", "satisfaction");
	evbuffer_add_printf(buf, "<label for=\"comment-%s\">意见（选择不满意时"
	    "必填：退回的原因）</label><textarea id=\"comment-%s\" "
	    "name=\"comment\" rows=\"2\"%s></textarea>", id, id,
	    web_form_invalid(p, id, "comment"));
	web_form_field_error(buf, p, id, "comment", "comment");
	evbuffer_add_printf(buf, "<button type=\"submit\">提交评价</button>"
	    "</form></li>");
}

/*
 * The zero report: it says the period had no problem, so it asks for a
 * confirmation (a box to tick), and the API refuses it once the officer
 * reported issues for the period; either answer comes back here.
 */
static void
web_form_render_zero(struct request *r, struct evbuffer *buf,
    const struct form_page *p)
{
	evbuffer_add_printf(buf, "<section id=\"zero\"><h2>本期没有问题？</h2>"
	    "<form method=\"post\" action=\"/form/zero#zero\">");
	web_hidden_csrf(r, buf);
	web_hidden_key(buf);
	evbuffer_add_printf(buf, "<label class=\"check\" for=\"zero-confirm\">"
	    "<input type=\"checkbox\" id=\"zero-confirm\" name=\"confirm\" "
	    "value=\"1\"%s> 我确认本期（%s）联系的企业没有需要报送的问题</label>",
	    web_form_invalid(p, "", "confirm"), p->period);
	web_form_field_error(buf, p, "", "confirm", "confirm");
	evbuffer_add_printf(buf, "<button type=\"submit\" class=\"secondary "
	    "wide\">提交零报告（本期无问题）</button></form></section>\n");
}

/* How many news since the last visit, above the list (none: nothing). */
static void
web_form_render_news_count(struct evbuffer *buf, const struct form_page *p,
    const redisReply *reply)
{
	const redisReply *row;
	char ms[24];
	size_t i, j;
	int n = 0;

	for (i = 0; i < reply->elements; i++) {
		row = reply->element[i];
		if (row->type != REDIS_REPLY_ARRAY || row->elements != 2)
			continue;
		for (j = 0; j < row->element[1]->elements; j++)
			n += web_form_render_news(NULL, p, row->element[0],
			    row->element[1]->element[j]);
	}
	if (n == 0)
		return;
	snprintf(ms, sizeof ms, "%lld", p->seen);
	evbuffer_add_printf(buf, "<p class=\"notice\" id=\"news\">自您上次查看"
	    "（");
	web_time(buf, ms);
	evbuffer_add_printf(buf, "）以来，部门有 %d 项新进展，已用"
	    "<span class=\"badge new\">新</span>标出。</p>", n);
}

/* The whole page, once the officer's issues (list.lua) are in. */
static void
web_form_render(struct request *r, redisReply *reply)
{
	const struct officer *o = roster_officer(r->roster, r->actor_id);
	struct form_page *p = web_state(r)->page;
	struct period period;
	struct evbuffer *buf;
	size_t i;

	if (o == NULL) {
		web_error(r, 403, "您已不在指导员名单中。");
		return;
	}
	buf = web_begin(r, "指导员问题报送");
	web_signed_in_bar(r, buf, "指导员");
	web_form_render_done(r, buf);
	web_form_render_ok(r, buf);
	period_parse(p->period, &period);
	evbuffer_add_printf(buf, "<section><h2>本期：%d年%d月%s半月</h2><p "
	    "class=\"muted\">期次 %s</p><p>", period.year, period.month,
	    period.half == 1 ? "上" : "下", p->period);
	evbuffer_add_printf(buf, "%s", p->reported ?
	    "<span class=\"badge resolved\" id=\"reported\">本期已报送</span>" :
	    "<span class=\"badge queued\" id=\"reported\">本期尚未报送</span>");
	evbuffer_add_printf(buf, "</p></section>\n<section><h2>报送问题</h2>");
	web_form_render_report(r, buf, p, o);
	evbuffer_add_printf(buf, "</section>\n");
	web_form_render_zero(r, buf, p);
	evbuffer_add_printf(buf, "<section><h2>我报送的问题</h2>");
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0)
		evbuffer_add_printf(buf, "<p class=\"muted\">还没有报送过问题。"
		    "</p>");
	else {
		web_form_render_news_count(buf, p, reply);
		evbuffer_add_printf(buf, "<ul class=\"plain\" id=\"issues\">");
		for (i = 0; i < reply->elements; i++)
			if (reply->element[i]->type == REDIS_REPLY_ARRAY &&
			    reply->element[i]->elements == 2)
				web_form_render_issue(r, buf, p,
				    reply->element[i]->element[0],
				    reply->element[i]->element[1]);
		evbuffer_add_printf(buf, "</ul>");
	}
	evbuffer_add_printf(buf, "</section>\n<nav class=\"links\"><a "
	    "href=\"/form/fieldwork\" id=\"fieldwork\">走访记录与工作成效</a> "
	    "<a href=\"/ledger\">公示台账</a></nav>\n");
	web_end(r, buf, p->status, "form.js");
}

/* The last visit is in. */
static void
web_form_seen(struct request *r, redisReply *reply)
{
	struct form_page *p = web_state(r)->page;

	if (reply->type == REDIS_REPLY_STRING)
		p->seen = strtoll(reply->str, NULL, 10);
}

/* Reported or not is in. */
static void
web_form_reported(struct request *r, redisReply *reply)
{
	struct form_page *p = web_state(r)->page;

	p->reported = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
}

/* --- GET /form ----------------------------------------------------------- */

/*
 * Read what the page shows and show it, in one round trip: reported or
 * not, when the officer last looked at the page (form:seen:O, ms; a GET of
 * the page itself makes this visit the last one in the same command, SET
 * ... GET, while a page drawn again after a refused form only reads it, so
 * its marks stay until the next visit), and the officer's issues. Redis
 * answers in order on the one connection: the last reply draws the page.
 */
static void
web_form_show(struct request *r)
{
	struct form_page *p = web_state(r)->page;
	struct period period;
	const char *argv[7];
	char key[160], seen[160], now[24], ex[24], index[128];

	period_of_time(time(NULL), &period);
	period_format(&period, p->period);
	snprintf(key, sizeof key, "%sreported:%s", r->config->redis_prefix,
	    p->period);
	argv[0] = "SISMEMBER";
	argv[1] = key;
	argv[2] = r->actor_id;
	if (request_store(r, web_form_reported, 3, argv, NULL) == -1)
		return;
	snprintf(seen, sizeof seen, "%sform:seen:%s", r->config->redis_prefix,
	    r->actor_id);
	argv[0] = "GET";
	argv[1] = seen;
	if (r->method == EVHTTP_REQ_GET) {
		snprintf(now, sizeof now, "%lld", (long long)util_now_ms());
		snprintf(ex, sizeof ex, "%d", FORM_SEEN_DAYS * 86400);
		argv[0] = "SET";
		argv[2] = now;
		argv[3] = "EX";
		argv[4] = ex;
		argv[5] = "GET";
	}
	if (request_store(r, web_form_seen, r->method == EVHTTP_REQ_GET ? 6 : 2,
	    argv, NULL) == -1)
		return;
	snprintf(index, sizeof index, "issues:officer:%s", r->actor_id);
	argv[0] = "issues";
	argv[1] = FORM_ISSUES;
	argv[2] = "0";
	argv[3] = index;
	request_script(r, SCRIPT_LIST, web_form_render, 4, argv, NULL);
}

/* GET /form */
void
web_form(struct request *r)
{
	web_form_page_new(r);
	web_form_show(r);
}

/* --- GET /form/issues/I… ------------------------------------------------- */

/*
 * One issue of the officer's (read.lua's issue: its fields, its tasks,
 * earlier ones returned included, and its history): everything the list
 * shows, the rating form when resolved, and the whole history with each
 * person's words. Another officer's issue is "no such issue".
 */
static void
web_form_issue_render(struct request *r, redisReply *reply)
{
	struct form_page *p = web_state(r)->page;
	const char *officer;
	struct evbuffer *buf;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
	    (officer = util_reply_field(reply->element[0], "officer")) == NULL ||
	    strcmp(officer, r->actor_id) != 0) {
		web_error(r, 404, "没有这个问题。");
		return;
	}
	buf = web_begin(r, "问题详情");
	web_signed_in_bar(r, buf, "指导员");
	evbuffer_add_printf(buf, "<section id=\"issue\"><ul class=\"plain\">");
	web_form_render_issue(r, buf, p, reply->element[0], reply->element[1]);
	evbuffer_add_printf(buf, "</ul>");
	web_contact_history(r, buf, reply->element[2], 1);
	evbuffer_add_printf(buf, "</section>\n<nav class=\"links\"><a "
	    "href=\"/form#issue-%s\">返回我的问题</a> <a href=\"/ledger\">公示"
	    "台账</a></nav>\n", r->param);
	web_end(r, buf, p->status, "form.js");
}

/* GET /form/issues/I… */
void
web_form_issue(struct request *r)
{
	struct form_page *p = web_form_page_new(r);
	const char *argv[2];

	p->detail = 1;
	if (!api_id_valid(r->param, 'I')) {
		web_error(r, 404, "没有这个问题。");
		return;
	}
	argv[0] = "issue";
	argv[1] = r->param;
	request_script(r, SCRIPT_READ, web_form_issue_render, 2, argv, NULL);
}

/* --- POST /form/report and /form/zero ------------------------------------ */

/*
 * The other fields the API found at fault ("errors" after the first), each
 * with its words in Chinese, so that one round trip shows them all.
 */
static void
web_form_more_errors(struct request *r, struct form_page *p, int status,
    const char *body)
{
	cJSON *json = cJSON_Parse(body), *list, *one;
	const char *field, *message, *code, *dot;
	int first = 1;

	list = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    json, "error"), "errors");
	cJSON_ArrayForEach(one, list) {
		if (first-- > 0 || p->nmore == API_ERROR_MORE)
			continue;
		field = cJSON_GetStringValue(cJSON_GetObjectItem(one, "field"));
		message = cJSON_GetStringValue(cJSON_GetObjectItem(one,
		    "message"));
		code = cJSON_GetStringValue(cJSON_GetObjectItem(one, "code"));
		if (field == NULL || message == NULL)
			continue;
		dot = strrchr(field, '.');
		snprintf(p->more[p->nmore].field, sizeof p->more[0].field, "%s",
		    dot != NULL ? dot + 1 : field);
		web_field_message(r, p->more[p->nmore].field, message,
		    code != NULL && strcmp(code, "forbidden") == 0 ? 403 : status,
		    p->more[p->nmore].message, sizeof p->more[0].message);
		p->nmore++;
	}
	cJSON_Delete(json);
}

/*
 * The API refused the form: show the page again with the reason, in
 * Chinese, next to the field at fault (or above the form).
 */
static void
web_form_refused(struct request *r, int status, const char *body,
    const char *issue)
{
	struct form_page *p = web_state(r)->page;
	const char *message;

	if (status >= 500 || status == 429) {
		web_error(r, status, status == 429 ? "请稍后再试。" :
		    "暂时无法保存，请稍后再提交（不会重复提交）。");
		return;
	}
	p->status = status;
	snprintf(p->issue, sizeof p->issue, "%s", issue);
	message = web_api_error(body, p->field, sizeof p->field);
	if (status == 409 && strcmp(p->field, "items") == 0 &&
	    strcmp(r->route->arg, "zero") == 0) {
		/* the zero report after issues: say it by the zero form */
		snprintf(p->field, sizeof p->field, "confirm");
		snprintf(p->message, sizeof p->message, "本期您已报送过问题，"
		    "不能再提交零报告；如有新问题，请在上面的表单中报送。");
	} else if (*p->field != '\0')
		web_field_message(r, p->field, message, status, p->message,
		    sizeof p->message);
	else if (status == 409)
		snprintf(p->message, sizeof p->message, "%s", *issue != '\0' ?
		    "问题状态已经变化，请查看最新状态。" :
		    "这份表单已经提交过，请在下面的新表单中重新填写。");
	else if (status == 403 || status == 404)
		snprintf(p->message, sizeof p->message, "%s", status == 403 ?
		    "无权进行这项操作。" : "没有这个问题。");
	else
		snprintf(p->message, sizeof p->message, "提交未成功：%s",
		    message);
	if (*p->field != '\0')
		web_form_more_errors(r, p, status, body);
	/* A field of another form than the one shown: say it above. */
	if (strcmp(p->field, "items") == 0 || strcmp(p->field, "period") == 0 ||
	    strcmp(p->field, "Idempotency-Key") == 0)
		*p->field = '\0';
	web_form_show(r);
}

static void
web_form_submitted(struct request *r, int status, const char *body)
{
	cJSON *json;
	const char *report;
	char location[64];

	if (status != 201) {
		web_form_refused(r, status, body, "");
		return;
	}
	json = cJSON_Parse(body);
	report = cJSON_GetStringValue(cJSON_GetObjectItem(json, "report"));
	if (report == NULL || !api_id_valid(report, 'R')) {
		cJSON_Delete(json);
		web_error(r, 500, "提交结果无法识别。");
		return;
	}
	snprintf(location, sizeof location, "/form?done=%s#done", report);
	cJSON_Delete(json);
	web_session_flash(r, body, location);
}

/* A form field as a JSON string member ("" when absent). */
static void
web_form_add_field(struct request *r, cJSON *obj, const char *name)
{
	const char *v = web_field(r, name);

	cJSON_AddStringToObject(obj, name, v != NULL ? v : "");
}

/* POST /form/report and /form/zero: the report, through the API. */
void
web_form_report(struct request *r)
{
	cJSON *root = cJSON_CreateObject(), *items, *item;
	const char *key = web_field(r, "idem");
	struct form_page *p;
	char *json;

	p = web_form_page_new(r);
	if (strcmp(r->route->arg, "zero") == 0 &&
	    web_field(r, "confirm") == NULL) {
		cJSON_Delete(root);
		p->status = 422;
		snprintf(p->field, sizeof p->field, "confirm");
		snprintf(p->message, sizeof p->message, "零报告表示本期没有问题："
		    "请先勾选确认。");
		web_form_show(r);
		return;
	}
	items = cJSON_AddArrayToObject(root, "items");
	if (strcmp(r->route->arg, "report") == 0) {
		item = cJSON_CreateObject();
		web_form_add_field(r, item, "enterprise");
		web_form_add_field(r, item, "topic");
		web_form_add_field(r, item, "title");
		web_form_add_field(r, item, "detail");
		cJSON_AddBoolToObject(item, "difficult",
		    web_field(r, "difficult") != NULL);
		cJSON_AddItemToArray(items, item);
	}
	json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (routes_call_api(r, "/api/v1/reports", json, key,
	    web_form_submitted) == -1)
		web_error(r, 403, "无权报送。");
	free(json);
}

/* --- POST /form/confirm and /form/reopen --------------------------------- */

static void
web_form_acted(struct request *r, int status, const char *body)
{
	const char *issue = web_field(r, "issue"), *v;
	char location[96];

	if (status != 200) {
		web_form_refused(r, status, body, issue);
		return;
	}
	/* 不满意 is the page's one way to send an issue back: say so */
	v = web_field(r, "satisfaction");
	snprintf(location, sizeof location, "/form?ok=%s&issue=%s#issue-%s",
	    v != NULL && strcmp(v, "unsatisfied") == 0 ? "reopen" :
	    r->route->arg, issue, issue);
	web_redirect(r, location);
}

/* POST /form/confirm and /form/reopen (issue=I…), through the API. */
void
web_form_action(struct request *r)
{
	const char *issue = web_field(r, "issue");
	const char *action = r->route->arg, *v;
	cJSON *root;
	char path[96], *json;

	web_form_page_new(r);
	if (issue == NULL || !api_id_valid(issue, 'I')) {
		web_error(r, 404, "没有这个问题。");
		return;
	}
	root = cJSON_CreateObject();
	if (strcmp(action, "confirm") == 0) {
		if ((v = web_field(r, "satisfaction")) != NULL)
			cJSON_AddStringToObject(root, "satisfaction", v);
		web_form_add_field(r, root, "comment");
	} else
		web_form_add_field(r, root, "reason");
	json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	snprintf(path, sizeof path, "/api/v1/issues/%s/%s", issue, action);
	if (routes_call_api(r, path, json, NULL, web_form_acted) == -1)
		web_error(r, 403, "无权操作。");
	free(json);
}
