/*
 * digest_ledger.c -- the digests' tables drawn from the ledger (ledger.c):
 * a department's open items with their ages and deadlines, what it resolved
 * in the week and the common groups new in the week; for the leaders, each
 * department's scorecard over the issues received in the week (ledger_score:
 * the same figures as the public ledger), counts by category and every
 * difficult issue. A task shared by a common group is listed once.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison.h"

#define DIGEST_LEDGER_TITLE_MAX 40      /* characters of an issue title shown */

/* --- a department's digest ----------------------------------------------- */

/* One task of a department, with the first issue that carries it. */
struct digest_ledger_item {
	const char *key;         /* what makes it one: the task's id (or the
	                            issue's, for a list of issues) */
	const struct ledger_task *task;
	const struct ledger_issue *issue;
	size_t issues;           /* issues sharing the task (a common group) */
};

struct digest_ledger_items {
	struct digest_ledger_item *v;
	size_t n;
	size_t cap;
};

/*
 * Append a task with its issue (t NULL: the issue alone, by its id);
 * digest_ledger_items_unique merges.
 */
static void
digest_ledger_items_add(struct digest_ledger_items *items,
    const struct ledger_task *t, const struct ledger_issue *is)
{
	if (items->n == items->cap) {
		items->cap = items->cap ? items->cap * 2 : 64;
		items->v = xreallocarray(items->v, items->cap, sizeof *items->v);
	}
	items->v[items->n].key = t != NULL ? t->id : is->id;
	items->v[items->n].task = t;
	items->v[items->n].issue = is;
	items->v[items->n].issues = 1;
	items->n++;
}

/* qsort of pointers into one array: by key, then in the order found. */
static int
digest_ledger_item_key_cmp(const void *a, const void *b)
{
	const struct digest_ledger_item *x =
	    *(const struct digest_ledger_item *const *)a;
	const struct digest_ledger_item *y =
	    *(const struct digest_ledger_item *const *)b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : (x > y) - (x < y);
}

/*
 * Each key once, in the order first found: a task with the first issue
 * that carries it and how many different issues share it (a common group's
 * task is on each of its issues). Sorting makes this n log n: a province's
 * 10^6 open tasks cannot be searched one by one.
 */
static void
digest_ledger_items_unique(struct digest_ledger_items *items)
{
	struct digest_ledger_item **p, *first = NULL;
	size_t i, n = 0;

	if (items->n < 2)
		return;
	p = xcalloc(items->n, sizeof *p);
	for (i = 0; i < items->n; i++)
		p[i] = &items->v[i];
	qsort(p, items->n, sizeof *p, digest_ledger_item_key_cmp);
	for (i = 0; i < items->n; i++) {
		if (first == NULL || strcmp(first->key, p[i]->key) != 0) {
			first = p[i];
			continue;
		}
		first->issues += first->issue != p[i]->issue;
		p[i]->key = NULL;       /* a repeat: dropped below */
	}
	free(p);
	for (i = 0; i < items->n; i++)
		if (items->v[i].key != NULL)
			items->v[n++] = items->v[i];
	items->n = n;
}

/* Does t, a task of l, belong on the list: open (resolved_in_week 0), or
 * resolved in the week? */
static int
digest_ledger_item_wanted(const struct digest_input *in,
    const struct ledger_task *t, const char *dept, int resolved_in_week)
{
	if (strcmp(t->department, dept) != 0)
		return 0;
	return resolved_in_week ? t->resolved_at >= in->from_ms &&
	    t->resolved_at < in->to_ms : ledger_task_open(t);
}

/*
 * The department's tasks in l that match: open ones (resolved_in_week 0) or
 * those resolved in the week, each once, into items; with items NULL, only
 * whether there is one (the scan stops at it). Returns how many were found.
 */
static size_t
digest_ledger_items_of(const struct ledger *l, const struct digest_input *in,
    const char *dept, int resolved_in_week, struct digest_ledger_items *items)
{
	const struct ledger_issue *is;
	size_t i, j;

	for (i = 0; l != NULL && i < l->nissues; i++) {
		is = &l->issues[i];
		for (j = 0; j < is->ntasks; j++) {
			if (!digest_ledger_item_wanted(in, &is->tasks[j], dept,
			    resolved_in_week))
				continue;
			if (items == NULL)
				return 1;
			digest_ledger_items_add(items, &is->tasks[j], is);
		}
	}
	if (items == NULL)
		return 0;
	digest_ledger_items_unique(items);
	return items->n;
}

/* An issue's title cut to DIGEST_LEDGER_TITLE_MAX characters, with "等N项". */
static void
digest_ledger_title(const struct ledger_issue *is, size_t issues, char *buf,
    size_t len)
{
	size_t n = 0, chars = 0;
	const unsigned char *p = (const unsigned char *)is->title;

	while (p[n] != '\0' && chars < DIGEST_LEDGER_TITLE_MAX) {
		n++;
		while ((p[n] & 0xc0) == 0x80)
			n++;
		chars++;
	}
	snprintf(buf, len, "%.*s%s", (int)n, is->title, p[n] ? "…" : "");
	if (issues > 1)
		snprintf(buf + strlen(buf), len - strlen(buf), "（共性，%zu项）",
		    issues);
}

/* Return how many of items are overdue at now. */
static size_t
digest_ledger_count_overdue(const struct digest_ledger_items *items,
    int64_t now)
{
	size_t i, n = 0;

	for (i = 0; i < items->n; i++)
		n += ledger_task_overdue(items->v[i].task, now);
	return n;
}

/* Return how many of items are in state. */
static size_t
digest_ledger_count_state(const struct digest_ledger_items *items,
    const char *state)
{
	size_t i, n = 0;

	for (i = 0; i < items->n; i++)
		n += strcmp(items->v[i].task->state, state) == 0;
	return n;
}

/*
 * Return 1 if dept has something for its digest: a task open, one resolved
 * in the week, or one received in the week; 0 if not (it gets no mail).
 */
int
digest_ledger_has_work(const struct digest_input *in,
    const struct department *dept)
{
	const struct ledger_score *s = ledger_score_find(in->received,
	    dept->id);

	/* a scan that stops at the first task found: the lists themselves
	 * are built once, by digest_ledger_department */
	return (s != NULL && s->received > 0) ||
	    digest_ledger_items_of(in->open, in, dept->id, 0, NULL) ||
	    digest_ledger_items_of(in->resolved, in, dept->id, 1, NULL);
}

/* Earliest deadline first (the most overdue on top); none last. */
static int
digest_ledger_item_cmp(const void *a, const void *b)
{
	const struct digest_ledger_item *x = a, *y = b;
	int64_t dx = x->task->deadline ? x->task->deadline : INT64_MAX;
	int64_t dy = y->task->deadline ? y->task->deadline : INT64_MAX;

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return x->task->created < y->task->created ? -1 :
	    x->task->created > y->task->created;
}

/* A task's link on /dept. */
static char *
digest_ledger_task_link(const struct digest_input *in, const char *task)
{
	return issue_json_task_link(in->public_url != NULL ? in->public_url :
	    "", task);
}

/* A row of a table of tasks, linked to the task on /dept. */
static void
digest_ledger_task_row(const struct digest_input *in, struct digest_doc *d,
    const char *const *cells, const char *task)
{
	char *link = digest_ledger_task_link(in, task);

	digest_doc_row_link(d, cells, link);
	free(link);
}

/*
 * The end of a table of tasks; for the text part, each task's link; and
 * how many were left out.
 */
static void
digest_ledger_tasks_end(const struct digest_input *in, struct digest_doc *d,
    const struct digest_ledger_items *items)
{
	char *link, *line;
	size_t i;

	digest_doc_table_end(d);
	for (i = 0; i < items->n && i < DIGEST_ROWS_MAX; i++) {
		link = digest_ledger_task_link(in, items->v[i].task->id);
		xasprintf(&line, "%s：%s", items->v[i].task->id, link);
		digest_doc_text_line(d, line);
		free(line);
		free(link);
	}
	digest_format_omitted(in, d, items->n);
}

/* The department's open items, most overdue first, with ages and deadlines. */
static void
digest_ledger_open_table(const struct digest_input *in, struct digest_doc *d,
    const struct digest_ledger_items *items)
{
	static const char *const head[] = { "任务", "问题", "状态", "已过",
	    "期限", "超期" };
	const struct digest_ledger_item *it;
	char title[256], age[32], due[32], late[64];
	const char *cells[6];
	size_t i;

	if (items->n == 0) {
		digest_doc_para(d, "无待办事项。");
		return;
	}
	qsort(items->v, items->n, sizeof *items->v, digest_ledger_item_cmp);
	digest_doc_table(d, head, 6, NULL);
	for (i = 0; i < items->n && i < DIGEST_ROWS_MAX; i++) {
		it = &items->v[i];
		digest_ledger_title(it->issue, it->issues, title, sizeof title);
		digest_format_age(it->task->created, in->now_ms, age, sizeof age);
		digest_format_time(in, it->task->deadline, due, sizeof due);
		if (ledger_task_overdue(it->task, in->now_ms))
			snprintf(late, sizeof late, "超期");
		else
			snprintf(late, sizeof late, "—");
		cells[0] = it->task->id;
		cells[1] = title;
		cells[2] = ledger_state_zh(it->task->state);
		cells[3] = age;
		cells[4] = due;
		cells[5] = late;
		digest_ledger_task_row(in, d, cells, it->task->id);
	}
	digest_ledger_tasks_end(in, d, items);
}

/* What the department resolved in the week. */
static void
digest_ledger_resolved_table(const struct digest_input *in,
    struct digest_doc *d, const struct digest_ledger_items *items)
{
	static const char *const head[] = { "任务", "问题", "办结时间",
	    "办结情况" };
	const struct digest_ledger_item *it;
	char title[256], when[32];
	const char *cells[4];
	size_t i;

	if (items->n == 0) {
		digest_doc_para(d, "本周没有办结的事项。");
		return;
	}
	digest_doc_table(d, head, 4, NULL);
	for (i = 0; i < items->n && i < DIGEST_ROWS_MAX; i++) {
		it = &items->v[i];
		digest_ledger_title(it->issue, it->issues, title, sizeof title);
		digest_format_time(in, it->task->resolved_at, when, sizeof when);
		cells[0] = it->task->id;
		cells[1] = title;
		cells[2] = when;
		cells[3] = it->task->resolution;
		digest_ledger_task_row(in, d, cells, it->task->id);
	}
	digest_ledger_tasks_end(in, d, items);
}

/* Common groups routed to dept that took in issues during the week. */
static void
digest_ledger_groups_table(const struct digest_input *in, struct digest_doc *d,
    const char *dept)
{
	static const char *const head[] = { "共性问题组", "问题", "本周新增" };
	struct digest_ledger_items groups = { NULL, 0, 0 };
	const struct ledger_issue *is;
	char title[256], count[16];
	const char *cells[3];
	size_t i, j;

	for (i = 0; in->received != NULL && i < in->received->nissues; i++) {
		is = &in->received->issues[i];
		if (is->group[0] == '\0')
			continue;
		for (j = 0; j < is->ntasks; j++)
			if (strcmp(is->tasks[j].department, dept) == 0)
				digest_ledger_items_add(&groups, &is->tasks[j],
				    is);
	}
	digest_ledger_items_unique(&groups);
	if (groups.n == 0) {
		digest_doc_para(d, "本周没有新的共性问题。");
		return;
	}
	digest_doc_table(d, head, 3, NULL);
	for (i = 0; i < groups.n && i < DIGEST_ROWS_MAX; i++) {
		digest_ledger_title(groups.v[i].issue, 1, title, sizeof title);
		snprintf(count, sizeof count, "%zu", groups.v[i].issues);
		cells[0] = groups.v[i].issue->group;
		cells[1] = title;
		cells[2] = count;
		digest_doc_row(d, cells);
	}
	digest_doc_table_end(d);
	digest_format_omitted(in, d, groups.n);
	free(groups.v);
}

/*
 * Write a department's part of its digest into d: a summary line, its open
 * items (most overdue first), what it resolved in the week and the common
 * groups new in the week.
 */
void
digest_ledger_department(const struct digest_input *in,
    const struct department *dept, struct digest_doc *d)
{
	struct digest_ledger_items open = { NULL, 0, 0 }, done = { NULL, 0, 0 };
	const struct ledger_score *s;
	char line[512];

	s = ledger_score_find(in->received, dept->id);
	digest_ledger_items_of(in->open, in, dept->id, 0, &open);
	digest_ledger_items_of(in->resolved, in, dept->id, 1, &done);
	snprintf(line, sizeof line, "本周收到 %u 项；目前待认领 %zu 项、已认领 "
	    "%zu 项、已回应 %zu 项，其中超期 %zu 项；本周办结 %zu 项。",
	    s ? s->received : 0, digest_ledger_count_state(&open, "queued"),
	    digest_ledger_count_state(&open, "claimed"),
	    digest_ledger_count_state(&open, "responded"),
	    digest_ledger_count_overdue(&open, in->now_ms), done.n);
	digest_doc_para(d, line);
	digest_doc_heading(d, "待办事项（待认领、已认领、已回应）");
	digest_ledger_open_table(in, d, &open);
	digest_doc_heading(d, "本周办结");
	digest_ledger_resolved_table(in, d, &done);
	digest_doc_heading(d, "本周新增共性问题");
	digest_ledger_groups_table(in, d, dept->id);
	free(open.v);
	free(done.v);
}

/* --- the zone's digest --------------------------------------------------- */

/* One department's scorecard row (or the total's), with its overdue count. */
static void
digest_ledger_score_row(struct digest_doc *d, const char *name,
    const struct ledger_score *s, unsigned overdue)
{
	char n[8][16], rate[3][16], score[16], rank[16];
	const char *cells[11];
	int i;

	snprintf(n[0], sizeof n[0], "%u", s->received);
	snprintf(n[1], sizeof n[1], "%u", s->claimed_on_time);
	snprintf(n[2], sizeof n[2], "%u", s->responded);
	snprintf(n[3], sizeof n[3], "%u", s->resolved);
	snprintf(n[4], sizeof n[4], "%u", overdue);
	ledger_rate_text(s->response_rate, rate[0], sizeof rate[0]);
	ledger_rate_text(s->resolution_rate, rate[1], sizeof rate[1]);
	ledger_rate_text(s->satisfaction_rate, rate[2], sizeof rate[2]);
	cells[0] = name;
	for (i = 0; i < 5; i++)
		cells[i + 1] = n[i];
	for (i = 0; i < 3; i++)
		cells[i + 6] = rate[i];
	ledger_score_text(s->score, score, sizeof score);
	if (s->rank != 0)
		snprintf(rank, sizeof rank, "%u", s->rank);
	else
		snprintf(rank, sizeof rank, "—");
	cells[9] = score;
	cells[10] = rank;
	digest_doc_row(d, cells);
}

/* Every department's scorecard over the week's issues, then the total. */
static void
digest_ledger_scores_table(const struct digest_input *in, struct digest_doc *d)
{
	static const char *const head[] = { "部门", "收到", "按时认领",
	    "已回应", "已办结", "超期未办", "响应率", "办结率", "满意率",
	    "得分", "排名" };
	static const int numeric[] = { 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	const struct ledger_score *s, *o;
	unsigned overdue_total = 0;
	size_t i;

	if (in->received == NULL)
		return;
	digest_doc_table(d, head, 11, numeric);
	for (i = 0; i < in->received->nscores; i++) {
		s = &in->received->scores[i];
		o = ledger_score_find(in->open, s->department);
		overdue_total += o ? o->overdue : 0;
		digest_ledger_score_row(d, s->name, s, o ? o->overdue : 0);
	}
	digest_ledger_score_row(d, "合计", &in->received->total, overdue_total);
	digest_doc_table_end(d);
}

/*
 * The same figures as bars, in the HTML part only (the text part has the
 * numbers above): each department's three rates and its score, as tables
 * of widths that mail clients render (no images, no CSS they drop).
 */
static void
digest_ledger_scores_bars(const struct digest_input *in, struct digest_doc *d)
{
	static const char *const head[] = { "部门", "响应率", "办结率",
	    "满意率", "得分" };
	const struct ledger_score *s;
	double values[LEDGER_BARS];
	char texts[LEDGER_BARS][32];
	const char *labels[LEDGER_BARS];
	size_t i, j;

	if (in->received == NULL)
		return;
	digest_doc_bars(d, head, 5);
	for (i = 0; i < in->received->nscores; i++) {
		s = &in->received->scores[i];
		ledger_score_bars(s, values, texts);
		for (j = 0; j < LEDGER_BARS; j++)
			labels[j] = texts[j];
		digest_doc_bars_row(d, s->name, values, labels);
	}
	digest_doc_table_end(d);
}

/*
 * The issues of earlier periods still not closed (往期未销号, SPEC §12),
 * oldest first, each with how many half-months it has been open: the
 * open ledger's issues of periods before the current one (in->period).
 */
static void
digest_ledger_carried_table(const struct digest_input *in,
    struct digest_doc *d)
{
	static const char *const head[] = { "问题", "标题", "期次", "部门",
	    "状态", "跨半月数" };
	static const int numeric[] = { 0, 0, 0, 0, 0, 1 };
	const struct ledger_issue **v = NULL, *is;
	const struct department *dept;
	struct digest_doc_buf depts;
	struct period now, theirs;
	char title[256], open[16];
	const char *cells[6];
	size_t i, j, n = 0;

	if (period_parse(in->period, &now) == -1)
		return;
	v = xcalloc((in->open != NULL ? in->open->nissues : 0) + 1,
	    sizeof *v);
	for (i = 0; in->open != NULL && i < in->open->nissues; i++) {
		is = &in->open->issues[i];
		if (period_parse(is->period, &theirs) == -1 ||
		    period_key(&theirs) >= period_key(&now))
			continue;
		v[n++] = is;
	}
	if (digest_format_count(d, n, "项") == 0) {
		free(v);
		return;
	}
	digest_doc_table(d, head, 6, numeric);
	for (i = 0; i < n && i < DIGEST_ROWS_MAX; i++) {
		is = v[i];
		memset(&depts, 0, sizeof depts);
		for (j = 0; j < is->ntasks; j++) {
			if (is->tasks[j].past)
				continue;
			dept = roster_department(in->roster,
			    is->tasks[j].department);
			digest_doc_buf_printf(&depts, "%s%s", depts.s ? "、" :
			    "", dept ? dept->name : is->tasks[j].department);
		}
		period_parse(is->period, &theirs);
		snprintf(open, sizeof open, "%d",
		    governance_periods_open(&theirs, &now));
		digest_ledger_title(is, 1, title, sizeof title);
		cells[0] = is->id;
		cells[1] = title;
		cells[2] = is->period;
		cells[3] = depts.s ? depts.s : "—";
		cells[4] = ledger_state_zh(is->state);
		cells[5] = open;
		digest_doc_row(d, cells);
		free(depts.s);
	}
	digest_doc_table_end(d);
	digest_format_omitted(in, d, n);
	free(v);
}

/* How many issues of each category came in during the week. */
static void
digest_ledger_category_table(const struct digest_input *in,
    struct digest_doc *d)
{
	static const char *const head[] = { "类别", "本周收到" };
	static const int numeric[] = { 0, 1 };
	char n[16];
	const char *cells[2];
	int i;

	digest_doc_table(d, head, 2, numeric);
	for (i = 0; i < CATEGORY_COUNT; i++) {
		snprintf(n, sizeof n, "%u", in->received ?
		    in->received->by_category[i] : 0);
		cells[0] = rules_category_label(issue_categories[i]);
		cells[1] = n;
		digest_doc_row(d, cells);
	}
	digest_doc_table_end(d);
}

/*
 * Every difficult issue of the open ledger, then those of the week's not
 * among them, into *v (*n of them; the caller frees), n log n.
 */
static void
digest_ledger_difficult_collect(const struct digest_input *in,
    const struct ledger_issue ***v, size_t *n)
{
	const struct ledger *ls[2] = { in->open, in->received };
	struct digest_ledger_items all = { NULL, 0, 0 };
	size_t i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; ls[k] != NULL && i < ls[k]->nissues; i++)
			if (strcmp(ls[k]->issues[i].category, "difficult") == 0)
				digest_ledger_items_add(&all, NULL,
				    &ls[k]->issues[i]);
	digest_ledger_items_unique(&all);
	*n = all.n;
	*v = xcalloc(*n + 1, sizeof **v);
	for (i = 0; i < *n; i++)
		(*v)[i] = all.v[i].issue;
	free(all.v);
}

/* Every difficult issue: open ones and those received in the week. */
static void
digest_ledger_difficult_table(const struct digest_input *in,
    struct digest_doc *d)
{
	static const char *const head[] = { "问题", "标题", "部门", "状态",
	    "已过" };
	const struct ledger_issue **v = NULL, *is;
	const struct department *dept;
	struct digest_doc_buf depts;
	char title[256], age[32];
	const char *cells[5];
	size_t i, j, n = 0;

	digest_ledger_difficult_collect(in, &v, &n);
	if (digest_format_count(d, n, "项") == 0) {
		free(v);
		return;
	}
	digest_doc_table(d, head, 5, NULL);
	for (i = 0; i < n && i < DIGEST_ROWS_MAX; i++) {
		is = v[i];
		memset(&depts, 0, sizeof depts);
		for (j = 0; j < is->ntasks; j++) {
			dept = roster_department(in->roster,
			    is->tasks[j].department);
			digest_doc_buf_printf(&depts, "%s%s", j ? "、" : "",
			    dept ? dept->name : is->tasks[j].department);
		}
		digest_ledger_title(is, 1, title, sizeof title);
		digest_format_age(is->created, in->now_ms, age, sizeof age);
		cells[0] = is->id;
		cells[1] = title;
		cells[2] = depts.s ? depts.s : "—";
		cells[3] = strcmp(is->state, "closed") == 0 ? "已关闭" :
		    ledger_state_zh(is->state);
		cells[4] = age;
		digest_doc_row(d, cells);
		free(depts.s);
	}
	digest_doc_table_end(d);
	digest_format_omitted(in, d, n);
	free(v);
}

/*
 * Write the leaders' part of the zone's digest into d: each department's
 * scorecard over the week's issues (ledger_score's figures), the counts by
 * category and every difficult issue.
 */
void
digest_ledger_zone(const struct digest_input *in, struct digest_doc *d)
{
	char *why, score[256];

	digest_doc_heading(d, "各部门本周情况");
	xasprintf(&why, "按本周收到的问题统计：%s超期未办为目前所有未办结事项"
	    "中已过期限者。", ledger_rates_explained);
	digest_doc_para(d, why);
	free(why);
	if (in->received != NULL) {
		ledger_score_explain(in->received->weights, score,
		    sizeof score);
		digest_doc_para(d, score);
	}
	digest_ledger_scores_table(in, d);
	digest_ledger_scores_bars(in, d);
	digest_doc_heading(d, "分类统计");
	digest_ledger_category_table(in, d);
	digest_doc_heading(d, "疑难问题");
	digest_ledger_difficult_table(in, d);
	digest_doc_heading(d, "往期未销号");
	digest_ledger_carried_table(in, d);
}
