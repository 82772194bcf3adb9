/*
 * web_admin.c -- /admin, the zone office's page (党群工作部/两新工委):
 * the triage list (issues a department returned, with its reasons, whom
 * to call, and a re-route form with a department picker), the difficult
 * issues still open (rules.c: flagged, several departments, reopened, a
 * deadline passed) with their state and deadlines, a category
 * override with a reason, the extensions (延期申请) waiting for a
 * decision with approve and deny, the webhook deliveries that died with a
 * retry button, and sending a week's digest again.
 *
 * Admin tokens only, on the same session, CSRF and CSP rules as /form and
 * /dept (web_session.c). Every change is a plain form that runs the API's
 * route for it (routes_call_api): route, classify, extension, retry,
 * digests; the rules and checks are the API's. Reading takes four steps
 * with the API's scripts: the returned issues (list.lua over
 * issues:state:returned), the difficult ones (list.lua over
 * issues:category:difficult), the pending extensions (read.lua, drawn from
 * api_governance_entry's rows), then the dead deliveries (read.lua).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define ADMIN_TRIAGE "50"           /* returned issues shown, newest first */
#define ADMIN_DEAD "20"             /* dead deliveries shown, newest first */
#define ADMIN_DIFFICULT "30"        /* difficult issues read, newest first */
#define ADMIN_EXTENSIONS "30"       /* pending extensions shown, oldest first */

struct admin_page {
	int status;                 /* 200, or the status of a refused form */
	char message[512];          /* why it was refused */
	struct evbuffer *triage;    /* the returned issues, drawn */
	struct evbuffer *difficult; /* the open difficult issues, drawn */
	struct evbuffer *extensions; /* the pending extensions, drawn */
};

static void
web_admin_page_free(void *arg)
{
	struct admin_page *p = arg;

	if (p->triage != NULL)
		evbuffer_free(p->triage);
	if (p->difficult != NULL)
		evbuffer_free(p->difficult);
	if (p->extensions != NULL)
		evbuffer_free(p->extensions);
	free(p);
}

static struct admin_page *
web_admin_page_new(struct request *r)
{
	struct admin_page *p = web_page_new(r, sizeof *p, web_admin_page_free);

	p->status = 200;
	return p;
}

/* --- drawing the page ---------------------------------------------------- */

/* The re-route form: a box for every department of the roster. */
static void
web_admin_route_form(struct request *r, struct evbuffer *buf, const char *id)
{
	const struct department *d;
	size_t i;

	evbuffer_add_printf(buf, "<form method=\"post\" action=\"/admin/route\" "
	    "class=\"route\">");
	web_hidden_csrf(r, buf);
	evbuffer_add_printf(buf, "<input type=\"hidden\" name=\"issue\" "
	    "value=\"%s\"><fieldset><legend>重新分派给</legend>", id);
	for (i = 0; i < r->roster->ndepartments; i++) {
		d = &r->roster->departments[i];
		evbuffer_add_printf(buf, "<label class=\"check\" for=\"route-%s-%s\">"
		    "<input type=\"checkbox\" id=\"route-%s-%s\" name=\"department\" "
		    "value=\"%s\"> ", id, d->id, id, d->id, d->id);
		web_escape(buf, d->name);
		evbuffer_add_printf(buf, "</label>");
	}
	evbuffer_add_printf(buf, "</fieldset><label for=\"route-reason-%s\">分派"
	    "理由</label><textarea id=\"route-reason-%s\" name=\"reason\" "
	    "rows=\"2\"></textarea><button type=\"submit\">重新分派</button>"
	    "</form>", id, id);
}

/* One returned issue: what, whom to call, who returned it and why. */
static void
web_admin_triage_issue(struct request *r, struct evbuffer *buf,
    const redisReply *issue, const redisReply *tasks)
{
	const char *id = util_reply_field(issue, "id");
	const struct department *d;
	const redisReply *t;
	const char *v;
	size_t i;

	if (id == NULL || !api_id_valid(id, 'I'))
		return;
	evbuffer_add_printf(buf, "<li id=\"issue-%s\"><h3>%s · ", id, id);
	web_escape(buf, util_reply_field(issue, "title"));
	evbuffer_add_printf(buf, "</h3><p class=\"muted\">%s</p><p class=\"text\">",
	    web_category_name(util_reply_field(issue, "category")));
	web_escape(buf, util_reply_field(issue, "detail"));
	evbuffer_add_printf(buf, "</p>");
	web_contact(r, buf, issue);
	evbuffer_add_printf(buf, "<dl class=\"returns\">");
	for (i = 0; tasks != NULL && i < tasks->elements; i++) {
		t = tasks->element[i];
		if ((v = util_reply_field(t, "state")) == NULL ||
		    strcmp(v, "returned") != 0)
			continue;
		v = util_reply_field(t, "department");
		d = roster_department(r->roster, v != NULL ? v : "");
		evbuffer_add_printf(buf, "<dt>");
		web_escape(buf, d != NULL ? d->name : v);
		evbuffer_add_printf(buf, " 退单</dt><dd>");
		web_escape(buf, util_reply_field(t, "return_reason"));
		evbuffer_add_printf(buf, "</dd>");
	}
	evbuffer_add_printf(buf, "</dl>");
	web_admin_route_form(r, buf, id);
	evbuffer_add_printf(buf, "</li>");
}

/* An open difficult issue: its state, each department's task and deadline. */
static void
web_admin_difficult_issue(struct request *r, struct evbuffer *buf,
    const redisReply *issue, const redisReply *tasks)
{
	const char *id = util_reply_field(issue, "id");
	const char *state = util_reply_field(issue, "state");
	const struct department *d;
	const redisReply *t;
	const char *v;
	size_t i;

	if (id == NULL || !api_id_valid(id, 'I') || state == NULL ||
	    strcmp(state, "closed") == 0)
		return;
	evbuffer_add_printf(buf, "<li id=\"difficult-%s\"><p><strong>%s · ",
	    id, id);
	web_escape(buf, util_reply_field(issue, "title"));
	evbuffer_add_printf(buf, "</strong> · <span class=\"badge %s\">%s"
	    "</span></p><ul class=\"tasks\">", strcmp(state, "returned") == 0 ?
	    "returned" : "", web_state_name(state));
	for (i = 0; tasks != NULL && i < tasks->elements; i++) {
		t = tasks->element[i];
		v = util_reply_field(t, "state");
		if (v == NULL || strcmp(v, "merged") == 0 ||
		    strcmp(v, "withdrawn") == 0)
			continue;
		v = util_reply_field(t, "department");
		d = roster_department(r->roster, v != NULL ? v : "");
		evbuffer_add_printf(buf, "<li>");
		web_escape(buf, d != NULL ? d->name : v);
		evbuffer_add_printf(buf, "：%s", web_state_name(
		    util_reply_field(t, "state")));
		v = util_reply_field(t, "overdue");
		if (v != NULL && *v != '\0')
			evbuffer_add_printf(buf, " <span class=\"overdue\">已超期"
			    "</span>");
		else if ((v = util_reply_field(t, "deadline")) != NULL &&
		    *v != '\0') {
			evbuffer_add_printf(buf, " · 期限 ");
			web_time(buf, v);
		}
		evbuffer_add_printf(buf, "</li>");
	}
	evbuffer_add_printf(buf, "</ul>");
	web_contact(r, buf, issue);
	evbuffer_add_printf(buf, "</li>");
}

/* An ISO 8601 time of the API's JSON as "2026-12-02 09:30" ("—" if none). */
static void
web_admin_iso(struct evbuffer *buf, const cJSON *time)
{
	const char *v = cJSON_GetStringValue(time);

	if (v == NULL || strlen(v) < 16) {
		evbuffer_add_printf(buf, "—");
		return;
	}
	evbuffer_add_printf(buf, "%.10s %.5s", v, v + 11);
}

/*
 * A pending extension (a row of api_governance_entry): which task of which
 * department, how many days and why, the step's due time now, and the
 * decision form (批准 / 不批准, a reason required to deny).
 */
static void
web_admin_extension(struct request *r, struct evbuffer *buf, const cJSON *row)
{
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(row, "task"));
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "department"));
	const cJSON *x = cJSON_GetObjectItem(row, "request"), *i;
	const struct department *d = roster_department(r->roster,
	    v != NULL ? v : "");
	const cJSON *days = cJSON_GetObjectItem(x, "days");

	if (id == NULL || !api_id_valid(id, 'T'))
		return;
	evbuffer_add_printf(buf, "<li id=\"extension-%s\"><p><strong>任务 %s"
	    "</strong> · ", id, id);
	web_escape(buf, d != NULL ? d->name : v);
	evbuffer_add_printf(buf, " · 问题");
	cJSON_ArrayForEach(i, cJSON_GetObjectItem(row, "issues")) {
		evbuffer_add_printf(buf, " ");
		web_escape(buf, cJSON_GetStringValue(i));
	}
	evbuffer_add_printf(buf, "</p><p>申请延期 <strong class=\"days\">%d"
	    "</strong> 个工作日（申请于 ", cJSON_IsNumber(days) ?
	    days->valueint : 0);
	web_admin_iso(buf, cJSON_GetObjectItem(x, "at"));
	evbuffer_add_printf(buf, "；%s期限 ", (v = task_stage_zh(
	    task_state_stage(cJSON_GetStringValue(cJSON_GetObjectItem(row,
	    "task_state"))))) != NULL ? v : "");
	web_admin_iso(buf, cJSON_GetObjectItem(row, "deadline"));
	evbuffer_add_printf(buf, "）</p><p class=\"text\">理由：");
	web_escape(buf, cJSON_GetStringValue(cJSON_GetObjectItem(x, "reason")));
	evbuffer_add_printf(buf, "</p><form method=\"post\" "
	    "action=\"/admin/extension\">");
	web_hidden_csrf(r, buf);
	evbuffer_add_printf(buf, "<input type=\"hidden\" name=\"task\" "
	    "value=\"%s\"><label for=\"extension-reason-%s\">审批意见（不批准"
	    "时必填）</label><textarea id=\"extension-reason-%s\" "
	    "name=\"reason\" rows=\"2\"></textarea><button type=\"submit\" "
	    "name=\"decision\" value=\"approve\">批准延期</button> <button "
	    "type=\"submit\" name=\"decision\" value=\"deny\" "
	    "class=\"secondary\">不批准</button></form></li>", id, id, id);
}

/* A dead delivery: which event to which department, why, and retry. */
static void
web_admin_dead(struct request *r, struct evbuffer *buf, const redisReply *row)
{
	const redisReply *dl = row->element[0];
	const char *id = util_reply_field(dl, "id");
	const char *v = util_reply_field(dl, "department");
	const struct department *d = roster_department(r->roster,
	    v != NULL ? v : "");
	size_t n;

	if (id == NULL || (n = strlen(id)) == 0 || n > 40 ||
	    strspn(id, "0123456789-") != n)
		return;
	evbuffer_add_printf(buf, "<li id=\"delivery-%s\"><p><strong>", id);
	web_escape(buf, d != NULL ? d->name : v);
	evbuffer_add_printf(buf, "</strong> · ");
	web_escape(buf, util_reply_field(dl, "event"));
	evbuffer_add_printf(buf, " · 任务 ");
	web_escape(buf, util_reply_field(dl, "task"));
	evbuffer_add_printf(buf, " · 尝试 ");
	web_escape(buf, util_reply_field(dl, "attempts"));
	evbuffer_add_printf(buf, " 次</p><p class=\"error\">");
	web_escape(buf, util_reply_field(dl, "error"));
	evbuffer_add_printf(buf, "</p><form method=\"post\" "
	    "action=\"/admin/retry\">");
	web_hidden_csrf(r, buf);
	evbuffer_add_printf(buf, "<input type=\"hidden\" name=\"delivery\" "
	    "value=\"%s\"><button type=\"submit\" class=\"secondary\">重新投递"
	    "</button></form></li>", id);
}

/* The roster's officers and departments as a select's options. */
static void
web_admin_people(struct request *r, struct evbuffer *buf)
{
	const struct roster *ro = r->roster;
	size_t i;

	for (i = 0; i < ro->nofficers; i++) {
		evbuffer_add_printf(buf, "<option value=\"officer:%s\">",
		    ro->officers[i].id);
		web_escape(buf, ro->officers[i].name);
		evbuffer_add_printf(buf, "（%s）</option>", ro->officers[i].id);
	}
	for (i = 0; i < ro->ndepartments; i++) {
		evbuffer_add_printf(buf, "<option value=\"department:%s\">",
		    ro->departments[i].id);
		web_escape(buf, ro->departments[i].name);
		evbuffer_add_printf(buf, "</option>");
	}
}

/*
 * Sign-in cards and tokens (web_cards.c): cards for every officer, ready
 * to print, or for one person; revoking every token of one person.
 */
static void
web_admin_cards_forms(struct request *r, struct evbuffer *buf)
{
	evbuffer_add_printf(buf, "<section id=\"cards\"><h2>登录卡片</h2><p "
	    "class=\"muted\">每张卡片上有一个只能用一次的登录二维码，%d 小时"
	    "内有效。</p><form method=\"post\" action=\"/admin/cards\">",
	    r->config->link_hours);
	web_hidden_csrf(r, buf);
	evbuffer_add_printf(buf, "<button type=\"submit\">打印全部指导员的登录"
	    "卡片</button></form><form method=\"post\" action=\"/admin/cards\">");
	web_hidden_csrf(r, buf);
	evbuffer_add_printf(buf, "<label for=\"cards-who\">为一人生成登录卡片"
	    "</label><select id=\"cards-who\" name=\"who\">");
	web_admin_people(r, buf);
	evbuffer_add_printf(buf, "</select><button type=\"submit\" "
	    "class=\"secondary\">生成</button></form><form method=\"post\" "
	    "action=\"/admin/revoke\">");
	web_hidden_csrf(r, buf);
	evbuffer_add_printf(buf, "<label for=\"revoke-who\">吊销一人的全部令牌"
	    "（丢失卡片或人员离任）</label><select id=\"revoke-who\" "
	    "name=\"who\">");
	web_admin_people(r, buf);
	evbuffer_add_printf(buf, "</select><button type=\"submit\" "
	    "class=\"secondary\">吊销</button></form></section>\n");
}

/* The category override and the digest resend: two small forms. */
static void
web_admin_tools(struct request *r, struct evbuffer *buf)
{
	static const char *const categories[] = { "individual", "common",
	    "difficult", NULL };
	struct digest_week w;
	char week[DIGEST_WEEK_LEN + 1];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	evbuffer_add_printf(buf, "<section id=\"classify\"><h2>调整问题分类"
	    "</h2><form method=\"post\" action=\"/admin/classify\">");
	web_hidden_csrf(r, buf);
	evbuffer_add_printf(buf, "<label for=\"classify-issue\">问题编号</label>"
	    "<input type=\"text\" id=\"classify-issue\" name=\"issue\" "
	    "placeholder=\"I12\" autocapitalize=\"characters\"><label "
	    "for=\"classify-category\">分类</label><select id=\"classify-category\" "
	    "name=\"category\">");
	for (i = 0; categories[i] != NULL; i++)
		evbuffer_add_printf(buf, "<option value=\"%s\">%s</option>",
		    categories[i], web_category_name(categories[i]));
	evbuffer_add_printf(buf, "</select><label for=\"classify-reason\">理由"
	    "</label><textarea id=\"classify-reason\" name=\"reason\" rows=\"2\">"
	    "</textarea><button type=\"submit\">调整分类</button></form>"
	    "</section>\n");

	localtime_r(&now, &tm);
	digest_week_last(now, (int)tm.tm_gmtoff, r->config->digest_weekday,
	    r->config->digest_minute, &w);
	digest_week_format(&w, week);
	evbuffer_add_printf(buf, "<section id=\"digest\"><h2>重发周报</h2>"
	    "<form method=\"post\" action=\"/admin/digest\">");
	web_hidden_csrf(r, buf);
	evbuffer_add_printf(buf, "<label for=\"digest-week\">周（如 %s）</label>"
	    "<input type=\"text\" id=\"digest-week\" name=\"week\" value=\"%s\">"
	    "<button type=\"submit\">重新发送这一周的周报</button></form>"
	    "</section>\n", week, week);
	web_admin_cards_forms(r, buf);
}

/*
 * The calendar's warning (workdays_missing_year's rule, the digest's
 * words) at the top of the page, while it lacks this year or the next.
 */
static void
web_admin_calendar(struct request *r, struct evbuffer *buf)
{
	time_t now = time(NULL);
	struct tm tm;
	char line[512];
	int missing;

	localtime_r(&now, &tm);
	if ((missing = workdays_missing_year(r->calendar,
	    tm.tm_year + 1900)) == 0)
		return;
	workdays_refresh_zh(missing, workdays_last_year(r->calendar), line,
	    sizeof line);
	evbuffer_add_printf(buf, "<section class=\"alert\" id=\"calendar\">"
	    "<h2>请更新节假日日历</h2><p>");
	web_escape(buf, line);
	evbuffer_add_printf(buf, "</p></section>\n");
}

/* The dead deliveries are in: draw the whole page. */
static void
web_admin_render(struct request *r, redisReply *dead)
{
	struct admin_page *p = web_state(r)->page;
	const char *ok = request_query(r, "ok");
	const char *what = request_query(r, "id");
	const redisReply *row;
	struct evbuffer *buf;
	size_t i;
	int n = 0;

	if (p->triage == NULL || p->difficult == NULL ||
	    p->extensions == NULL) {
		web_error(r, 500, "读取待分派问题失败。");
		return;
	}
	buf = web_begin(r, "管理");
	web_signed_in_bar(r, buf, "管理员");
	web_admin_calendar(r, buf);
	if (p->status != 200) {
		evbuffer_add_printf(buf, "<section class=\"alert\" role=\"alert\" "
		    "id=\"refused\"><p>");
		web_escape(buf, p->message);
		evbuffer_add_printf(buf, "</p></section>\n");
	} else if (ok != NULL && what != NULL && strlen(what) <= 40 &&
	    strspn(what, "0123456789-_abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(what)) {
		evbuffer_add_printf(buf, "<section class=\"notice\" role=\"status\">"
		    "<p>%s %s</p></section>\n", what,
		    strcmp(ok, "route") == 0 ? "已重新分派。" :
		    strcmp(ok, "classify") == 0 ? "分类已调整。" :
		    strcmp(ok, "retry") == 0 ? "已重新投递。" :
		    strcmp(ok, "extension") == 0 ? "的延期申请已审批。" :
		    strcmp(ok, "revoke") == 0 ? "的令牌已全部吊销，登录随之失效。" :
		    "周报将重新发送。");
	}
	evbuffer_add_printf(buf, "<section id=\"triage\"><h2>待重新分派（部门"
	    "退单）</h2><ul class=\"plain\">");
	if (evbuffer_get_length(p->triage) == 0)
		evbuffer_add_printf(buf, "<li class=\"muted\">没有待重新分派的"
		    "问题。</li>");
	evbuffer_add_buffer(buf, p->triage);
	evbuffer_add_printf(buf, "</ul></section>\n<section id=\"difficult\">"
	    "<h2>疑难问题（未销号）</h2><ul class=\"plain\">");
	if (evbuffer_get_length(p->difficult) == 0)
		evbuffer_add_printf(buf, "<li class=\"muted\">没有未销号的疑难"
		    "问题。</li>");
	evbuffer_add_buffer(buf, p->difficult);
	evbuffer_add_printf(buf, "</ul></section>\n<section id=\"extensions\">"
	    "<h2>待审批的延期申请</h2><ul class=\"plain\">");
	if (evbuffer_get_length(p->extensions) == 0)
		evbuffer_add_printf(buf, "<li class=\"muted\">没有待审批的延期"
		    "申请。</li>");
	evbuffer_add_buffer(buf, p->extensions);
	evbuffer_add_printf(buf, "</ul></section>\n<section id=\"dead\"><h2>投递"
	    "失败的部门通知</h2><ul class=\"plain\">");
	for (i = 0; dead->type == REDIS_REPLY_ARRAY && i < dead->elements; i++) {
		row = dead->element[i];
		if (row->type != REDIS_REPLY_ARRAY || row->elements != 2)
			continue;
		web_admin_dead(r, buf, row);
		n++;
	}
	if (n == 0)
		evbuffer_add_printf(buf, "<li class=\"muted\">没有投递失败的通知。"
		    "</li>");
	evbuffer_add_printf(buf, "</ul></section>\n");
	web_admin_tools(r, buf);
	evbuffer_add_printf(buf, "<nav class=\"links\"><a href=\"/ledger\">公示"
	    "台账</a> <a href=\"/officers\">指导员表现</a></nav>\n");
	web_end(r, buf, p->status, NULL);
}

/*
 * A section of the page drawn afresh into *b: a page drawn again after a
 * refused form reads and draws every section again.
 */
static void
web_admin_section(struct evbuffer **b)
{
	if (*b != NULL)
		evbuffer_free(*b);
	*b = evbuffer_new();
}

/* The pending extensions are in: draw them. */
static void
web_admin_extensions(struct request *r, redisReply *reply)
{
	struct admin_page *p = web_state(r)->page;
	cJSON *row;
	size_t i;

	web_admin_section(&p->extensions);
	for (i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements;
	    i++) {
		if ((row = api_governance_entry(reply->element[i])) == NULL)
			continue;
		web_admin_extension(r, p->extensions, row);
		cJSON_Delete(row);
	}
}

/* The difficult issues are in: draw the open ones. */
static void
web_admin_difficult(struct request *r, redisReply *reply)
{
	struct admin_page *p = web_state(r)->page;
	const redisReply *row;
	size_t i;

	web_admin_section(&p->difficult);
	for (i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements;
	    i++) {
		row = reply->element[i];
		if (row->type == REDIS_REPLY_ARRAY && row->elements == 2)
			web_admin_difficult_issue(r, p->difficult,
			    row->element[0], row->element[1]);
	}
}

/* The returned issues are in: draw them. */
static void
web_admin_triaged(struct request *r, redisReply *reply)
{
	struct admin_page *p = web_state(r)->page;
	const redisReply *row;
	size_t i;

	web_admin_section(&p->triage);
	for (i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements;
	    i++) {
		row = reply->element[i];
		if (row->type == REDIS_REPLY_ARRAY && row->elements == 2)
			web_admin_triage_issue(r, p->triage, row->element[0],
			    row->element[1]);
	}
}

/*
 * The four reads go out together, one round trip: Redis answers them in
 * order on the one connection, so each section is drawn before the last
 * reply (the dead deliveries) draws the page.
 */
static void
web_admin_show(struct request *r)
{
	struct admin_page *p = web_state(r)->page;
	const char *triage[] = { "issues", ADMIN_TRIAGE, "0",
	    "issues:state:returned" };
	const char *difficult[] = { "issues", ADMIN_DIFFICULT, "0",
	    "issues:category:difficult" };
	const char *extensions[] = { "extensions", "pending",
	    ADMIN_EXTENSIONS };
	const char *dead[] = { "deliveries", "", "dead", ADMIN_DEAD };

	web_admin_section(&p->triage);
	web_admin_section(&p->difficult);
	web_admin_section(&p->extensions);
	if (request_script(r, SCRIPT_LIST, web_admin_triaged, 4, triage,
	    NULL) == -1 ||
	    request_script(r, SCRIPT_LIST, web_admin_difficult, 4, difficult,
	    NULL) == -1 ||
	    request_script(r, SCRIPT_READ, web_admin_extensions, 3, extensions,
	    NULL) == -1)
		return;
	request_script(r, SCRIPT_READ, web_admin_render, 4, dead, NULL);
}

/* GET /admin */
void
web_admin(struct request *r)
{
	static const char *const allowed[] = { "ok", "id", NULL };

	web_admin_page_new(r);
	if (request_check_query(r, allowed) == -1)
		return;
	web_admin_show(r);
}

/* --- POST /admin/route, classify, extension, retry, digest --------------- */

/*
 * The API answered: back to the page with a notice, or the page again with
 * why it was refused.
 */
static void
web_admin_done(struct request *r, int status, const char *body)
{
	struct admin_page *p = web_state(r)->page;
	const char *what = r->route->arg;
	const char *id = web_field(r, strcmp(what, "retry") == 0 ? "delivery" :
	    strcmp(what, "digest") == 0 ? "week" :
	    strcmp(what, "extension") == 0 ? "task" : "issue");
	const char *message;
	char field[64], location[128];

	if (status >= 200 && status < 300) {
		snprintf(location, sizeof location, "/admin?ok=%s&id=%s", what,
		    id != NULL ? id : "");
		web_redirect(r, location);
		return;
	}
	if (status >= 500 || status == 429) {
		web_error(r, status, "暂时无法保存，请稍后再试。");
		return;
	}
	p->status = status;
	message = web_api_error(body, field, sizeof field);
	if (strcmp(what, "extension") == 0 && strcmp(field, "reason") == 0)
		message = "不批准时请写明理由。";
	else if (strcmp(what, "extension") == 0 && status == 409)
		message = "这项延期申请已经审批过，或任务已有变化："
		    "请看下面的最新情况。";
	snprintf(p->message, sizeof p->message, "%s未成功（%d）：%s%s%s",
	    strcmp(what, "route") == 0 ? "重新分派" : strcmp(what, "classify") == 0
	    ? "调整分类" : strcmp(what, "retry") == 0 ? "重新投递" :
	    strcmp(what, "extension") == 0 ? "延期审批" : "重发周报",
	    status, message, *field != '\0' ? " · " : "", field);
	web_admin_show(r);
}

/* The JSON body of a form for the API route it runs; NULL if none. */
static char *
web_admin_body(struct request *r, const char *what)
{
	struct evkeyval *kv;
	cJSON *root = cJSON_CreateObject(), *list;
	const char *v;
	char *json;

	if (strcmp(what, "route") == 0) {
		list = cJSON_AddArrayToObject(root, "departments");
		TAILQ_FOREACH(kv, &web_state(r)->form, next)
			if (strcmp(kv->key, "department") == 0)
				cJSON_AddItemToArray(list,
				    cJSON_CreateString(kv->value));
	}
	if (strcmp(what, "classify") == 0)
		cJSON_AddStringToObject(root, "category",
		    (v = web_field(r, "category")) != NULL ? v : "");
	if (strcmp(what, "extension") == 0)
		cJSON_AddStringToObject(root, "decision",
		    (v = web_field(r, "decision")) != NULL ? v : "");
	if (strcmp(what, "route") == 0 || strcmp(what, "classify") == 0 ||
	    strcmp(what, "extension") == 0)
		cJSON_AddStringToObject(root, "reason",
		    (v = web_field(r, "reason")) != NULL ? v : "");
	if (strcmp(what, "digest") == 0)
		cJSON_AddStringToObject(root, "week",
		    (v = web_field(r, "week")) != NULL ? v : "");
	json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return json;
}

/*
 * POST /admin/route|classify (issue=I…), /admin/extension (task=T…,
 * decision, reason), /admin/retry (delivery=…), /admin/digest (week=…),
 * each through its API route.
 */
void
web_admin_action(struct request *r)
{
	const char *what = r->route->arg;
	const char *v;
	char path[128], *json;
	size_t n;

	web_admin_page_new(r);
	if (strcmp(what, "retry") == 0) {
		v = web_field(r, "delivery");
		if (v == NULL || (n = strlen(v)) == 0 || n > 40 ||
		    strspn(v, "0123456789-") != n) {
			web_error(r, 404, "没有这个投递。");
			return;
		}
		snprintf(path, sizeof path, "/api/v1/deliveries/%s/retry", v);
	} else if (strcmp(what, "digest") == 0)
		snprintf(path, sizeof path, "/api/v1/digests");
	else if (strcmp(what, "extension") == 0) {
		v = web_field(r, "task");
		if (v == NULL || !api_id_valid(v, 'T')) {
			web_error(r, 404, "没有这个任务。");
			return;
		}
		snprintf(path, sizeof path, "/api/v1/tasks/%s/extension", v);
	} else {
		v = web_field(r, "issue");
		if (v == NULL || !api_id_valid(v, 'I')) {
			web_error(r, 404, "没有这个问题，请核对问题编号（如 I12）。");
			return;
		}
		snprintf(path, sizeof path, "/api/v1/issues/%s/%s", v, what);
	}
	json = web_admin_body(r, what);
	if (routes_call_api(r, path, json, NULL, web_admin_done) == -1)
		web_error(r, 403, "无权操作。");
	free(json);
}
