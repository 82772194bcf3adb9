/*
 * web_ledger.c -- /ledger, the public ledger (公示) as a page: a filter
 * form (period, category, department, state) that is a plain GET, each
 * department's response rate (响应率), resolution rate (办结率),
 * satisfaction rate (满意率), score and rank, as a table and as bars
 * (web_chart.c), the counts by category, and the issues.
 *
 * The figures come from the ledger module (ledger.c over ledger.lua), the
 * same as GET /api/v1/ledger, the digests and the spreadsheets, so the page
 * never disagrees with them. Like the API it shows neither who reported an
 * issue nor its detail, and names enterprises only when [ledger]
 * show_enterprises says so.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "liaison.h"
#include "daemon.h"

#define LEDGER_PERIODS 6            /* the periods offered in the filter */
#define LEDGER_ROWS 300             /* issues listed at most */

static const char *const ledger_query[] = { "period", "category",
    "department", "state", NULL };

struct ledger_page {
	char period[PERIOD_LEN + 1];
	struct ledger_filter filter;
};

/* A query parameter, NULL when absent or empty ("全部" in the form). */
static const char *
web_ledger_param(struct request *r, const char *name)
{
	const char *v = request_query(r, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* A rate as a percentage, or — when nothing is in its denominator. */
static void
web_ledger_rate(struct evbuffer *buf, double rate)
{
	char text[32];

	ledger_rate_text(rate, text, sizeof text);
	evbuffer_add_printf(buf, "<td class=\"num\">%s</td>", text);
}

/* One <option>, selected when it is the current value. */
static void
web_ledger_option(struct evbuffer *buf, const char *value, const char *label,
    const char *current)
{
	evbuffer_add_printf(buf, "<option value=\"");
	web_escape(buf, value);
	evbuffer_add_printf(buf, "\"%s>", current != NULL &&
	    strcmp(current, value) == 0 ? " selected" : "");
	web_escape(buf, label);
	evbuffer_add_printf(buf, "</option>");
}

/* The filter form: a GET, so that a filtered ledger is a link. */
static void
web_ledger_render_filters(struct request *r, struct evbuffer *buf,
    const struct ledger_page *p)
{
	struct period period, prev;
	char name[PERIOD_LEN + 1];
	int i, seen = 0;
	size_t j;

	evbuffer_add_printf(buf, "<section><h2>筛选</h2><form method=\"get\" "
	    "action=\"/ledger\" class=\"filters\"><div><label for=\"period\">"
	    "期次</label><select id=\"period\" name=\"period\">");
	period_of_time(time(NULL), &period);
	for (i = 0; i < LEDGER_PERIODS; i++) {
		period_format(&period, name);
		seen |= strcmp(name, p->period) == 0;
		web_ledger_option(buf, name, name, p->period);
		period_previous(&period, &prev);
		period = prev;
	}
	if (!seen)
		web_ledger_option(buf, p->period, p->period, p->period);
	evbuffer_add_printf(buf, "</select></div><div><label for=\"category\">"
	    "类别</label><select id=\"category\" name=\"category\">");
	web_ledger_option(buf, "", "全部", p->filter.category);
	for (j = 0; issue_categories[j] != NULL; j++)
		web_ledger_option(buf, issue_categories[j], web_category_name(
		    issue_categories[j]), p->filter.category);
	evbuffer_add_printf(buf, "</select></div><div><label for=\"department\">"
	    "部门</label><select id=\"department\" name=\"department\">");
	web_ledger_option(buf, "", "全部", p->filter.department);
	for (j = 0; j < r->roster->ndepartments; j++)
		web_ledger_option(buf, r->roster->departments[j].id,
		    r->roster->departments[j].name, p->filter.department);
	evbuffer_add_printf(buf, "</select></div><div><label for=\"state\">"
	    "状态</label><select id=\"state\" name=\"state\">");
	web_ledger_option(buf, "", "全部", p->filter.state);
	for (j = 0; issue_states[j] != NULL; j++)
		web_ledger_option(buf, issue_states[j], web_state_name(
		    issue_states[j]), p->filter.state);
	evbuffer_add_printf(buf, "</select></div><button type=\"submit\">筛选"
	    "</button></form></section>\n");
}

/* Every department's scorecard, and the zone's, then the bars. */
static void
web_ledger_render_scores(struct evbuffer *buf, const struct ledger *l)
{
	const struct ledger_score *s;
	char score[256];
	size_t i;

	evbuffer_add_printf(buf, "<section><h2>各部门办理情况</h2><p "
	    "class=\"muted\" id=\"rates\">");
	web_escape(buf, ledger_rates_explained);
	ledger_score_explain(l->weights, score, sizeof score);
	evbuffer_add_printf(buf, "</p><p class=\"muted\" id=\"score-rule\">");
	web_escape(buf, score);
	evbuffer_add_printf(buf, "</p><div class=\"table\"><table id=\"scores\"><thead><tr><th>部门</th>"
	    "<th>收到</th><th>响应率</th><th>办结率</th><th>满意率</th>"
	    "<th>得分</th><th>排名</th></tr></thead><tbody>");
	for (i = 0; i <= l->nscores; i++) {
		s = i < l->nscores ? &l->scores[i] : &l->total;
		evbuffer_add_printf(buf, "<tr data-department=\"");
		web_escape(buf, s->department);
		evbuffer_add_printf(buf, "\"><td>");
		if (i < l->nscores)
			web_escape(buf, s->name);
		else
			evbuffer_add_printf(buf, "<strong>合计</strong>");
		evbuffer_add_printf(buf, "</td><td class=\"num\">%u</td>",
		    s->received);
		web_ledger_rate(buf, s->response_rate);
		web_ledger_rate(buf, s->resolution_rate);
		web_ledger_rate(buf, s->satisfaction_rate);
		ledger_score_text(s->score, score, sizeof score);
		evbuffer_add_printf(buf, "<td class=\"num score\">%s</td>",
		    score);
		if (s->rank != 0)
			evbuffer_add_printf(buf, "<td class=\"num rank\">%u</td>",
			    s->rank);
		else
			evbuffer_add_printf(buf, "<td class=\"num rank\">—</td>");
		evbuffer_add_printf(buf, "</tr>");
	}
	evbuffer_add_printf(buf, "</tbody></table></div>");
	web_chart_scores(buf, l);
	web_chart_line(buf, l);
	evbuffer_add_printf(buf, "<p id=\"by-category\">"
	    "%s %u 件 · %s %u 件 · %s %u 件</p></section>\n",
	    web_category_name("individual"), l->by_category[CATEGORY_INDIVIDUAL],
	    web_category_name("common"), l->by_category[CATEGORY_COMMON],
	    web_category_name("difficult"), l->by_category[CATEGORY_DIFFICULT]);
}

/* One issue as the public sees it. */
static void
web_ledger_render_issue(struct request *r, struct evbuffer *buf,
    const struct ledger *l, const struct ledger_issue *is, int periods_open)
{
	const struct topic *tp = roster_topic(r->roster, is->topic);
	const struct enterprise *e;
	const struct department *d;
	const struct ledger_task *t;
	size_t i;

	evbuffer_add_printf(buf, "<li id=\"issue-");
	web_escape(buf, is->id);
	evbuffer_add_printf(buf, "\"><h3>");
	web_escape(buf, is->id);
	evbuffer_add_printf(buf, " · ");
	web_escape(buf, is->title);
	evbuffer_add_printf(buf, "</h3><p><span class=\"badge\">%s</span> %s · ",
	    web_state_name(is->state), web_category_name(is->category));
	/* 复发: the same problem again after it was resolved (issue 16). */
	if (is->recurrence_of != NULL && *is->recurrence_of != '\0') {
		evbuffer_add_printf(buf, "<span class=\"recurrence\">复发（");
		web_escape(buf, is->recurrence_of);
		evbuffer_add_printf(buf, "）</span> · ");
	}
	web_escape(buf, tp != NULL ? tp->name : is->topic);
	if (r->config->ledger_show_enterprises &&
	    (e = roster_enterprise(r->roster, is->enterprise)) != NULL) {
		evbuffer_add_printf(buf, " · <span class=\"enterprise\">");
		web_escape(buf, e->name);
		evbuffer_add_printf(buf, "</span>");
	}
	evbuffer_add_printf(buf, "</p><dl>");
	for (i = 0; i < is->ntasks; i++) {
		t = &is->tasks[i];
		d = roster_department(r->roster, t->department);
		evbuffer_add_printf(buf, "<dt>");
		web_escape(buf, d != NULL ? d->name : t->department);
		evbuffer_add_printf(buf, "：%s%s</dt>", web_state_name(t->state),
		    ledger_task_overdue(t, l->now) ?
		    " <span class=\"overdue\">已超期</span>" : "");
		if (*t->response != '\0') {
			evbuffer_add_printf(buf, "<dd>回应：");
			web_escape(buf, t->response);
			evbuffer_add_printf(buf, "</dd>");
		}
		if (*t->resolution != '\0') {
			evbuffer_add_printf(buf, "<dd>办结：");
			web_escape(buf, t->resolution);
			evbuffer_add_printf(buf, "</dd>");
		}
	}
	evbuffer_add_printf(buf, "</dl>");
	if (periods_open > 0)       /* carried over (issue 16) */
		evbuffer_add_printf(buf, "<p class=\"muted periods-open\">%s "
		    "期报送，已跨 %d 个半月未销号</p>", is->period, periods_open);
	evbuffer_add_printf(buf, "</li>");
}

/*
 * 往期未销号: the issues of earlier periods still open (issue 16), oldest
 * first, each with the half-months it has been open.
 */
static void
web_ledger_render_carried(struct request *r, struct evbuffer *buf,
    const struct ledger *l, const struct ledger_page *p)
{
	struct period mine, theirs;
	size_t i, n = 0;

	if (l->carried_period == NULL ||
	    period_parse(l->carried_period, &mine) == -1)
		return;
	evbuffer_add_printf(buf, "<section><h2>往期未销号问题</h2><ul "
	    "class=\"plain\" id=\"carried\">");
	for (i = 0; i < l->ncarried && n < LEDGER_ROWS; i++) {
		if (!ledger_issue_matches(&l->carried[i], &p->filter) ||
		    period_parse(l->carried[i].period, &theirs) == -1)
			continue;
		web_ledger_render_issue(r, buf, l, &l->carried[i],
		    governance_periods_open(&theirs, &mine));
		n++;
	}
	if (n == 0)
		evbuffer_add_printf(buf, "<li class=\"muted\">没有往期未销号的问题。"
		    "</li>");
	evbuffer_add_printf(buf, "</ul></section>\n");
}

/*
 * The title block's second line, shown only on paper (style.css): which
 * period, and when these figures were read, as the workbook says it.
 */
static void
web_ledger_render_print_title(struct evbuffer *buf, const struct ledger *l,
    const char *period)
{
	char made[LEDGER_TIME_TEXT];

	ledger_rows_time_text(l->now, made);
	evbuffer_add_printf(buf, "<p class=\"print-only\" id=\"print-title\">"
	    "期次：%s　生成时间：%s</p>", period, made);
}

static void
web_ledger_read(struct request *r, struct ledger *l)
{
	struct ledger_page *p = web_state(r)->page;
	struct evbuffer *buf;
	size_t k, pos, n = 0;

	buf = web_begin(r, "问题清单公示台账");
	web_ledger_render_print_title(buf, l, p->period);
	evbuffer_add_printf(buf, "</header>\n<main>\n");
	web_ledger_render_filters(r, buf, p);
	web_ledger_render_scores(buf, l);
	evbuffer_add_printf(buf, "<section><h2>问题清单（%s）</h2><ul "
	    "class=\"plain\" id=\"issues\">", p->period);
	/* Newest first, as a ledger is read; found, not walked to
	 * (ledger_index.c: the page needs no token). */
	for (k = ledger_count_matching(l, &p->filter); k > 0 &&
	    n < LEDGER_ROWS; k--, n++) {
		pos = ledger_index_nth(l, &p->filter, k - 1);
		web_ledger_render_issue(r, buf, l, &l->issues[pos], 0);
	}
	if (n == 0)
		evbuffer_add_printf(buf, "<li class=\"muted\">没有符合条件的问题。"
		    "</li>");
	evbuffer_add_printf(buf, "</ul></section>\n");
	web_ledger_render_carried(r, buf, l, p);
	evbuffer_add_printf(buf, "<nav class=\"links\"><a "
	    "href=\"/form\">指导员报送</a> <a href=\"/dept\">部门办理</a></nav>\n");
	web_end(r, buf, 200, NULL);
}

/* GET /ledger?period=&category=&department=&state= */
void
web_ledger(struct request *r)
{
	struct ledger_page *p = web_page_new(r, sizeof *p, free);
	const char *v;
	struct period period;

	if (request_check_query(r, ledger_query) == -1)
		return;
	if ((v = web_ledger_param(r, "period")) == NULL)
		period_of_time(time(NULL), &period);
	else if (period_parse(v, &period) == -1) {
		web_error(r, 422, "期次的格式是 年-月-1（上半月）或 年-月-2（下半月），"
		    "例如 2026-11-2。");
		return;
	}
	period_format(&period, p->period);
	p->filter.category = web_ledger_param(r, "category");
	p->filter.department = web_ledger_param(r, "department");
	p->filter.state = web_ledger_param(r, "state");
	if ((p->filter.category != NULL &&
	    !api_one_of(p->filter.category, issue_categories)) ||
	    (p->filter.state != NULL &&
	    !api_one_of(p->filter.state, issue_states)) ||
	    (p->filter.department != NULL &&
	    roster_department(r->roster, p->filter.department) == NULL)) {
		web_error(r, 422, "没有这个筛选条件。");
		return;
	}
	ledger_cache_fetch(r, p->period, web_ledger_read);
}
