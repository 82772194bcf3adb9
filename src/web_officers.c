/*
 * web_officers.c -- /officers, the zone office's view of its officers'
 * 现实表现 (SPEC §11): one row per officer with performance.c's figures
 * for a range of days (default: this year), sortable by every column
 * without JavaScript (each header is a link that sorts on the server),
 * officers who visited none of their enterprises in [fieldwork]
 * visit_days marked 超期未走访, and each officer's name one tap from
 * /officers/ID: the same row with the days since each enterprise's last
 * visit, then the officer's visits, talks and outcomes in the range and
 * the issues they raised (the issue record).
 *
 * Admin sessions only. The page reads with the API's scripts and counts
 * with performance.c, so its figures are the API's and the workbook's:
 * the table is one fieldwork.lua performance run over the roster's
 * officers (at most WEB_OFFICERS_MAX; a province reads
 * /api/v1/officers a page at a time); a detail is five reads in turn.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define WEB_OFFICERS_MAX 500        /* officers one page counts (one script) */
#define WEB_OFFICERS_PERIODS 240    /* ten years of half-months */
#define WEB_OFFICERS_LIST 50        /* records of each kind on a detail */
#define WEB_OFFICERS_ISSUES "50"    /* issues on a detail, newest first */

/* The page's own sort words besides performance_columns'. */
#define WEB_OFFICERS_BY_NAME ((size_t)-1)
#define WEB_OFFICERS_BY_IDLE ((size_t)-2)
#define WEB_OFFICERS_BY_ROSTER ((size_t)-3)

struct officers_page {
	int64_t from, to;
	char from_text[FIELDWORK_DATE_LEN + 1], to_text[FIELDWORK_DATE_LEN + 1];
	size_t sort;                /* a column, or a WEB_OFFICERS_BY_ */
	int desc;
	const struct officer **officers;
	size_t nofficers;
	struct performance *rows;
	struct period periods[WEB_OFFICERS_PERIODS];
	size_t nperiods;
	int64_t today;
	struct evbuffer *detail;    /* a detail's lists, drawn as they come */
	int step;                   /* a detail's next list */
};

static void
web_officers_page_free(void *arg)
{
	struct officers_page *p = arg;
	size_t i;

	for (i = 0; p->rows != NULL && i < p->nofficers; i++)
		performance_free(&p->rows[i]);
	free(p->rows);
	free(p->officers);
	if (p->detail != NULL)
		evbuffer_free(p->detail);
	free(p);
}

/* ---- the range and the sort ---- */

/* The sort word w as a column (or WEB_OFFICERS_BY_); -1 when unknown. */
static int
web_officers_sort_word(const char *w, size_t *out)
{
	size_t i;

	if (w == NULL) {
		*out = WEB_OFFICERS_BY_ROSTER;
		return 0;
	}
	if (strcmp(w, "name") == 0) {
		*out = WEB_OFFICERS_BY_NAME;
		return 0;
	}
	if (strcmp(w, "idle") == 0) {
		*out = WEB_OFFICERS_BY_IDLE;
		return 0;
	}
	for (i = 0; i < performance_ncolumns(); i++)
		if (strcmp(w, performance_column_name(i)) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

static const char *
web_officers_sort_name(size_t sort)
{
	if (sort == WEB_OFFICERS_BY_NAME)
		return "name";
	if (sort == WEB_OFFICERS_BY_IDLE)
		return "idle";
	if (sort == WEB_OFFICERS_BY_ROSTER)
		return NULL;
	return performance_column_name(sort);
}

/*
 * Read ?from=&to=&sort=&order= (allowed lists the query words the page
 * takes) into a new page. Returns NULL having answered 400 or 422.
 */
static struct officers_page *
web_officers_page_new(struct request *r, const char *const *allowed)
{
	struct officers_page *p;
	const char *order = request_query(r, "order");
	size_t sort;
	int64_t from, to;

	if (request_check_query(r, allowed) == -1 ||
	    api_fieldwork_range(r, &from, &to) == -1)
		return NULL;
	if (web_officers_sort_word(request_query(r, "sort"), &sort) == -1) {
		web_error(r, 400, "不能按这一列排序。");
		return NULL;
	}
	if (order != NULL && strcmp(order, "asc") != 0 &&
	    strcmp(order, "desc") != 0) {
		web_error(r, 400, "排序方向只能是 asc 或 desc。");
		return NULL;
	}
	p = web_page_new(r, sizeof *p, web_officers_page_free);
	p->from = from;
	p->to = to;
	fieldwork_date_format(from, p->from_text);
	fieldwork_date_format(to, p->to_text);
	p->sort = sort;
	p->desc = order != NULL && strcmp(order, "desc") == 0;
	p->today = fieldwork_today(time(NULL));
	return p;
}

/* A row being sorted, with the sort it is sorted by (qsort takes no
 * argument of its own). */
struct officers_sorted {
	struct performance *row;
	const struct officers_page *p;
};

static int
web_officers_compare(const void *a, const void *b)
{
	const struct officers_sorted *sa = a, *sb = b;
	const struct performance *x = sa->row, *y = sb->row;
	const struct officers_page *p = sa->p;
	int64_t vx, vy;
	int c;

	if (p->sort == WEB_OFFICERS_BY_NAME)
		c = strcmp(x->officer->name, y->officer->name);
	else if (p->sort == WEB_OFFICERS_BY_IDLE)
		c = x->idle - y->idle;
	else {
		vx = performance_value(x, p->sort);
		vy = performance_value(y, p->sort);
		c = vx < vy ? -1 : vx > vy;
	}
	if (p->desc)
		c = -c;
	if (c == 0)                 /* ties keep the roster's order */
		c = x->officer < y->officer ? -1 : x->officer > y->officer;
	return c;
}

/* Sort p's rows by p's column and order (the roster's order: as they are). */
static void
web_officers_sort(struct officers_page *p)
{
	struct officers_sorted *keys;
	struct performance *rows;
	size_t i;

	if (p->sort == WEB_OFFICERS_BY_ROSTER || p->nofficers < 2)
		return;
	keys = xcalloc(p->nofficers, sizeof *keys);
	for (i = 0; i < p->nofficers; i++) {
		keys[i].row = &p->rows[i];
		keys[i].p = p;
	}
	qsort(keys, p->nofficers, sizeof *keys, web_officers_compare);
	rows = xcalloc(p->nofficers, sizeof *rows);
	for (i = 0; i < p->nofficers; i++)
		rows[i] = *keys[i].row;
	free(keys);
	free(p->rows);
	p->rows = rows;
}

/* ---- the table ---- */

/* A link to the page sorted by sort (a header's), or the range form. */
static void
web_officers_href(struct evbuffer *buf, const struct officers_page *p,
    const char *path, size_t sort, int desc)
{
	const char *name = web_officers_sort_name(sort);

	evbuffer_add_printf(buf, "%s?from=%s&amp;to=%s", path, p->from_text,
	    p->to_text);
	if (name != NULL)
		evbuffer_add_printf(buf, "&amp;sort=%s&amp;order=%s", name,
		    desc ? "desc" : "asc");
}

/*
 * A column's header: a link that sorts by it, the other way round when it
 * is the sort in force; numbers first sort most first, names A to Z.
 */
static void
web_officers_header(struct evbuffer *buf, const struct officers_page *p,
    size_t sort, const char *label)
{
	int current = p->sort == sort, desc;

	desc = current ? !p->desc : sort != WEB_OFFICERS_BY_NAME;
	evbuffer_add_printf(buf, "<th scope=\"col\"");
	if (current)
		evbuffer_add_printf(buf, " aria-sort=\"%s\"", p->desc ?
		    "descending" : "ascending");
	evbuffer_add_printf(buf, "><a href=\"");
	web_officers_href(buf, p, "/officers", sort, desc);
	evbuffer_add_printf(buf, "\">%s%s</a></th>", label, !current ? "" :
	    p->desc ? " ▼" : " ▲");
}

/* One officer's row: the name links to the detail; idle ones marked. */
static void
web_officers_row(struct request *r, struct evbuffer *buf,
    const struct officers_page *p, const struct performance *row)
{
	const struct officer *o = row->officer;
	char text[32];
	size_t i;

	evbuffer_add_printf(buf, "<tr id=\"officer-%s\"%s><th scope=\"row\">"
	    "<a href=\"/officers/%s?from=%s&amp;to=%s\">", o->id, row->idle ?
	    " class=\"idle\"" : "", o->id, p->from_text, p->to_text);
	web_escape(buf, o->name);
	evbuffer_add_printf(buf, "</a>");
	if (row->idle)
		evbuffer_add_printf(buf, " <span class=\"badge idle\" "
		    "title=\"%d 天内未走访任何联系企业\">超期未走访</span>",
		    r->config->visit_days);
	evbuffer_add_printf(buf, "<br><span class=\"muted\">");
	web_escape(buf, o->unit);
	evbuffer_add_printf(buf, "</span></th>");
	for (i = 0; i < performance_ncolumns(); i++) {
		performance_value_text(row, i, text, sizeof text);
		evbuffer_add_printf(buf, "<td class=\"num\" data-column=\"%s\">"
		    "%s</td>", performance_column_name(i), text);
	}
	evbuffer_add_printf(buf, "<td data-column=\"idle\">%s</td></tr>\n",
	    row->idle ? "是" : "否");
}

/* The range form: from and to as dates, sent as a plain GET. */
static void
web_officers_range_form(struct evbuffer *buf, const struct officers_page *p,
    const char *path)
{
	const char *sort = web_officers_sort_name(p->sort);

	evbuffer_add_printf(buf, "<form method=\"get\" action=\"%s\" "
	    "class=\"filters\" id=\"range\"><div><label for=\"from\">起始日期"
	    "</label><input type=\"date\" id=\"from\" name=\"from\" "
	    "value=\"%s\"></div><div><label for=\"to\">截止日期</label><input "
	    "type=\"date\" id=\"to\" name=\"to\" value=\"%s\"></div>", path,
	    p->from_text, p->to_text);
	if (sort != NULL)
		evbuffer_add_printf(buf, "<input type=\"hidden\" name=\"sort\" "
		    "value=\"%s\"><input type=\"hidden\" name=\"order\" "
		    "value=\"%s\">", sort, p->desc ? "desc" : "asc");
	evbuffer_add_printf(buf, "<button type=\"submit\">查看</button></form>");
}

/* Count every officer's facts, sort, and draw the table. */
static void
web_officers_counted(struct request *r, redisReply *reply)
{
	struct officers_page *p = web_state(r)->page;
	struct evbuffer *buf;
	size_t i, idle = 0;

	if (reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != p->nofficers) {
		web_error(r, 500, "读取指导员表现失败。");
		return;
	}
	p->rows = xcalloc(p->nofficers ? p->nofficers : 1, sizeof *p->rows);
	for (i = 0; i < p->nofficers; i++) {
		performance_count(p->officers[i], reply->element[i], p->from,
		    p->to, p->periods, p->nperiods, p->today,
		    r->config->visit_days, &p->rows[i]);
		idle += p->rows[i].idle;
	}
	web_officers_sort(p);
	buf = web_begin(r, "指导员现实表现");
	web_signed_in_bar(r, buf, "管理员");
	web_officers_range_form(buf, p, "/officers");
	evbuffer_add_printf(buf, "<section id=\"performance\"><h2>%s 至 %s"
	    "</h2><p class=\"muted\">共 %zu 名指导员，其中 <strong "
	    "id=\"idle-count\">%zu</strong> 名 %d 天内未走访任何联系企业（标"
	    "“超期未走访”）。点列名排序，点姓名看详情。",
	    p->from_text, p->to_text, p->nofficers, idle,
	    r->config->visit_days);
	if (r->roster->nofficers > p->nofficers)
		evbuffer_add_printf(buf, "只列出名册中的前 %zu 名；全部数据请用 "
		    "/api/v1/officers 分页读取。", p->nofficers);
	evbuffer_add_printf(buf, "</p><div class=\"table\"><table "
	    "id=\"officers\"><thead><tr>");
	web_officers_header(buf, p, WEB_OFFICERS_BY_NAME, "指导员");
	for (i = 0; i < performance_ncolumns(); i++)
		web_officers_header(buf, p, i, performance_column_zh(i));
	web_officers_header(buf, p, WEB_OFFICERS_BY_IDLE, "超期未走访");
	evbuffer_add_printf(buf, "</tr></thead><tbody>\n");
	for (i = 0; i < p->nofficers; i++)
		web_officers_row(r, buf, p, &p->rows[i]);
	evbuffer_add_printf(buf, "</tbody></table></div></section>\n"
	    "<nav class=\"links\"><a href=\"/admin\">管理</a> <a "
	    "href=\"/ledger\">公示台账</a></nav>\n");
	web_end(r, buf, 200, NULL);
}

/* GET /officers?from=&to=&sort=&order= */
void
web_officers(struct request *r)
{
	static const char *const allowed[] = { "from", "to", "sort", "order",
	    NULL };
	struct officers_page *p;
	size_t i, n;

	if ((p = web_officers_page_new(r, allowed)) == NULL)
		return;
	n = r->roster->nofficers < WEB_OFFICERS_MAX ? r->roster->nofficers :
	    WEB_OFFICERS_MAX;
	p->officers = xcalloc(n ? n : 1, sizeof *p->officers);
	for (i = 0; i < n; i++)
		p->officers[i] = &r->roster->officers[i];
	p->nofficers = n;
	api_fieldwork_run(r, "performance", performance_payload(p->officers,
	    n, p->from, p->to, time(NULL), p->periods, WEB_OFFICERS_PERIODS,
	    &p->nperiods), web_officers_counted, 0, NULL);
}

/* ---- one officer ---- */

/* The record lists of a detail, in the order they are read and drawn. */
static const struct {
	const char *type, *index, *title;
} web_officers_lists[] = {
	{ "visit", "visits", "走访记录" },
	{ "event", "events", "宣讲活动" },
	{ "outcome", "outcomes", "工作成效" },
};
#define WEB_OFFICERS_NLISTS 3

static void web_officers_detail_next(struct request *, redisReply *);

/* Ask fieldwork.lua for the next list of the officer's records. */
static void
web_officers_detail_read(struct request *r, const struct officer *o)
{
	struct officers_page *p = web_state(r)->page;
	cJSON *payload = cJSON_CreateObject();
	char index[160], score[32];

	snprintf(index, sizeof index, "%s:officer:%s",
	    web_officers_lists[p->step].index, o->id);
	cJSON_AddObjectToObject(payload, "match");
	cJSON_AddStringToObject(payload, "type", web_officers_lists[p->step].type);
	cJSON_AddStringToObject(payload, "index", index);
	snprintf(score, sizeof score, "%lld", (long long)p->from * 100000000);
	cJSON_AddStringToObject(payload, "min", score);
	snprintf(score, sizeof score, "%lld", (long long)p->to * 100000000 +
	    99999999);
	cJSON_AddStringToObject(payload, "max", score);
	cJSON_AddNumberToObject(payload, "limit", WEB_OFFICERS_LIST);
	cJSON_AddNumberToObject(payload, "offset", 0);
	api_fieldwork_run(r, "list", payload, web_officers_detail_next, 0, NULL);
}

/* An enterprise's name, or its id when the roster no longer has it. */
static void
web_officers_enterprise(struct request *r, struct evbuffer *buf,
    const char *id)
{
	const struct enterprise *e = roster_enterprise(r->roster, id ? id : "");

	web_escape(buf, e != NULL ? e->name : id);
}

/* One record of a detail's list, as one line. */
static void
web_officers_record(struct request *r, struct evbuffer *buf,
    const redisReply *flat, int list)
{
	const struct fieldwork_kind *k;
	const char *v;
	char amount[32];

	evbuffer_add_printf(buf, "<li>");
	web_escape(buf, util_reply_field(flat, "date"));
	evbuffer_add_printf(buf, " · ");
	if (list == 0) {
		web_officers_enterprise(r, buf, util_reply_field(flat,
		    "enterprise"));
		v = util_reply_field(flat, "mode");
		k = fieldwork_kind_find(fieldwork_visit_modes, v ? v : "");
		evbuffer_add_printf(buf, " · %s · 意见建议 ", k ? k->zh : "");
		web_escape(buf, util_reply_field(flat, "suggestions"));
		evbuffer_add_printf(buf, " 条");
	} else if (list == 1) {
		v = util_reply_field(flat, "kind");
		k = fieldwork_kind_find(fieldwork_event_kinds, v ? v : "");
		evbuffer_add_printf(buf, "%s · ", k ? k->zh : "");
		web_escape(buf, util_reply_field(flat, "title"));
		evbuffer_add_printf(buf, " · 受众 ");
		web_escape(buf, util_reply_field(flat, "audience"));
		evbuffer_add_printf(buf, " 人次");
	} else {
		web_officers_enterprise(r, buf, util_reply_field(flat,
		    "enterprise"));
		v = util_reply_field(flat, "kind");
		k = fieldwork_kind_find(fieldwork_outcome_kinds, v ? v : "");
		v = util_reply_field(flat, "amount");
		if (k != NULL && k->unit == FIELDWORK_UNIT_YUAN && v != NULL)
			snprintf(amount, sizeof amount, "%lld.%02lld 元",
			    strtoll(v, NULL, 10) / 100,
			    strtoll(v, NULL, 10) % 100);
		else
			snprintf(amount, sizeof amount, "%s", v ? v : "");
		evbuffer_add_printf(buf, " · %s %s", k ? k->zh : "", amount);
		if ((v = util_reply_field(flat, "issue")) != NULL && *v != '\0') {
			evbuffer_add_printf(buf, " · 问题 ");
			web_escape(buf, v);
		}
	}
	if ((v = util_reply_field(flat, "note")) != NULL && *v != '\0') {
		evbuffer_add_printf(buf, "<br><span class=\"text\">");
		web_escape(buf, v);
		evbuffer_add_printf(buf, "</span>");
	}
	evbuffer_add_printf(buf, "</li>");
}

/* The issues the officer raised are in: draw the whole detail. */
static void
web_officers_detail_done(struct request *r, redisReply *reply)
{
	struct officers_page *p = web_state(r)->page;
	const struct performance *row = &p->rows[0];
	const struct officer *o = row->officer;
	const redisReply *issue;
	struct evbuffer *buf;
	char text[32], title[160], path[64];
	const char *v;
	size_t i, n = 0;

	snprintf(title, sizeof title, "指导员现实表现：%s", o->name);
	snprintf(path, sizeof path, "/officers/%s", o->id);
	buf = web_begin(r, title);
	web_signed_in_bar(r, buf, "管理员");
	web_officers_range_form(buf, p, path);
	evbuffer_add_printf(buf, "<section id=\"summary\"><h2>");
	web_escape(buf, o->name);
	evbuffer_add_printf(buf, "（%s）", o->id);
	if (row->idle)
		evbuffer_add_printf(buf, " <span class=\"badge idle\">超期未走访"
		    "</span>");
	evbuffer_add_printf(buf, "</h2><p class=\"muted\">");
	web_escape(buf, o->unit);
	evbuffer_add_printf(buf, " · %s 至 %s</p><dl class=\"figures\">",
	    p->from_text, p->to_text);
	for (i = 0; i < performance_ncolumns(); i++) {
		performance_value_text(row, i, text, sizeof text);
		evbuffer_add_printf(buf, "<dt>%s</dt><dd data-column=\"%s\">%s"
		    "</dd>", performance_column_zh(i),
		    performance_column_name(i), text);
	}
	evbuffer_add_printf(buf, "</dl></section>\n<section id=\"enterprises\">"
	    "<h2>联系企业</h2><ul class=\"plain\">");
	for (i = 0; i < o->nenterprises; i++) {
		evbuffer_add_printf(buf, "<li id=\"enterprise-%s\">",
		    o->enterprises[i]->id);
		web_escape(buf, o->enterprises[i]->name);
		if (row->days[i] < 0)
			evbuffer_add_printf(buf, " · <span class=\"overdue\">"
			    "从未走访</span>");
		else
			evbuffer_add_printf(buf, " · <span%s>%lld 天前走访"
			    "</span>", row->days[i] >= r->config->visit_days ?
			    " class=\"overdue\"" : "",
			    (long long)row->days[i]);
		evbuffer_add_printf(buf, "</li>");
	}
	evbuffer_add_printf(buf, "</ul></section>\n");
	evbuffer_add_buffer(buf, p->detail);
	evbuffer_add_printf(buf, "<section id=\"issues\"><h2>反映的问题</h2>"
	    "<ul class=\"plain\">");
	for (i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements;
	    i++) {
		if (reply->element[i]->type != REDIS_REPLY_ARRAY ||
		    reply->element[i]->elements != 2)
			continue;
		issue = reply->element[i]->element[0];
		if ((v = util_reply_field(issue, "id")) == NULL ||
		    !api_id_valid(v, 'I'))
			continue;
		evbuffer_add_printf(buf, "<li id=\"issue-%s\">%s · ", v, v);
		web_escape(buf, util_reply_field(issue, "title"));
		evbuffer_add_printf(buf, " · <span class=\"badge\">%s</span> · "
		    "%s", web_state_name(util_reply_field(issue, "state")),
		    web_category_name(util_reply_field(issue, "category")));
		v = util_reply_field(issue, "satisfaction");
		if (v != NULL && *v != '\0')
			evbuffer_add_printf(buf, " · %s", ledger_satisfied(v) ?
			    "满意" : "不满意");
		evbuffer_add_printf(buf, "</li>");
		n++;
	}
	if (n == 0)
		evbuffer_add_printf(buf, "<li class=\"muted\">没有反映过问题。"
		    "</li>");
	evbuffer_add_printf(buf, "</ul></section>\n<nav class=\"links\"><a "
	    "href=\"");
	web_officers_href(buf, p, "/officers", WEB_OFFICERS_BY_ROSTER, 0);
	evbuffer_add_printf(buf, "\">全部指导员</a> <a href=\"/admin\">管理</a>"
	    "</nav>\n");
	web_end(r, buf, 200, NULL);
}

/*
 * One list of records is in (or, at step -1, the performance facts): draw
 * it, then read the next; after the last, the issues the officer raised.
 */
static void
web_officers_detail_next(struct request *r, redisReply *reply)
{
	struct officers_page *p = web_state(r)->page;
	const struct officer *o = p->officers[0];
	const char *argv[4];
	char index[160];
	size_t i;

	if (reply->type != REDIS_REPLY_ARRAY) {
		web_error(r, 500, "读取指导员表现失败。");
		return;
	}
	if (p->step < 0) {
		if (reply->elements != 1) {
			web_error(r, 500, "读取指导员表现失败。");
			return;
		}
		p->rows = xcalloc(1, sizeof *p->rows);
		performance_count(o, reply->element[0], p->from, p->to,
		    p->periods, p->nperiods, p->today, r->config->visit_days,
		    &p->rows[0]);
	} else {
		evbuffer_add_printf(p->detail, "<section id=\"%s\"><h2>%s</h2>"
		    "<ul class=\"plain\">", web_officers_lists[p->step].index,
		    web_officers_lists[p->step].title);
		for (i = 0; i < reply->elements; i++)
			web_officers_record(r, p->detail, reply->element[i],
			    p->step);
		if (reply->elements == 0)
			evbuffer_add_printf(p->detail, "<li class=\"muted\">这段"
			    "时间没有记录。</li>");
		evbuffer_add_printf(p->detail, "</ul></section>\n");
	}
	if (++p->step < WEB_OFFICERS_NLISTS) {
		web_officers_detail_read(r, o);
		return;
	}
	snprintf(index, sizeof index, "issues:officer:%s", o->id);
	argv[0] = "issues";
	argv[1] = WEB_OFFICERS_ISSUES;
	argv[2] = "0";
	argv[3] = index;
	request_script(r, SCRIPT_LIST, web_officers_detail_done, 4, argv, NULL);
}

/* GET /officers/ID?from=&to= */
void
web_officers_one(struct request *r)
{
	static const char *const allowed[] = { "from", "to", NULL };
	const struct officer *o;
	struct officers_page *p;

	if ((o = roster_officer(r->roster, r->param)) == NULL) {
		web_error(r, 404, "名册中没有这名指导员。");
		return;
	}
	if ((p = web_officers_page_new(r, allowed)) == NULL)
		return;
	p->officers = xcalloc(1, sizeof *p->officers);
	p->officers[0] = o;
	p->nofficers = 1;
	p->detail = evbuffer_new();
	p->step = -1;
	api_fieldwork_run(r, "performance", performance_payload(p->officers,
	    1, p->from, p->to, time(NULL), p->periods, WEB_OFFICERS_PERIODS,
	    &p->nperiods), web_officers_detail_next, 0, NULL);
}
