/*
 * ledger_rows.c -- the ledger as rows for spreadsheets, which the CSV file
 * (ledger_csv.c) and the workbook (ledger_xlsx.c) both write: the columns
 * and their Chinese headers, the cells of one row, and the walk over the
 * rows a reader may see.
 *
 * A row is one issue with one of its tasks (an issue routed to two
 * departments is two rows), so that a department sees exactly its own
 * rows; an issue with no task yet is one row with the task cells empty,
 * seen only by admins. Times are cells of their own type: the CSV writes
 * them as text in the zone's local time (ledger_rows_time_text), the
 * workbook as real Excel dates.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "liaison.h"

/* A row's columns and their Chinese headers, in ledger_rows_cells' order. */
const struct ledger_column ledger_columns[LEDGER_NCOLUMNS] = {
	{ "类别", LEDGER_CELL_TEXT },
	{ "问题编号", LEDGER_CELL_TEXT },
	{ "期次", LEDGER_CELL_TEXT },
	{ "报送时间", LEDGER_CELL_TIME },
	{ "指导员", LEDGER_CELL_TEXT },
	{ "企业名称", LEDGER_CELL_TEXT },
	{ "统一社会信用代码", LEDGER_CELL_TEXT },
	{ "问题类型", LEDGER_CELL_TEXT },
	{ "问题标题", LEDGER_CELL_TEXT },
	{ "问题描述", LEDGER_CELL_TEXT },
	{ "共性组", LEDGER_CELL_TEXT },
	{ "问题状态", LEDGER_CELL_TEXT },
	{ "责任部门", LEDGER_CELL_TEXT },
	{ "任务编号", LEDGER_CELL_TEXT },
	{ "任务状态", LEDGER_CELL_TEXT },
	{ "认领人", LEDGER_CELL_TEXT },
	{ "认领时间", LEDGER_CELL_TIME },
	{ "回应时间", LEDGER_CELL_TIME },
	{ "办结时间", LEDGER_CELL_TIME },
	{ "办结时限", LEDGER_CELL_TIME },
	{ "是否超期", LEDGER_CELL_TEXT },
	{ "回应内容", LEDGER_CELL_TEXT },
	{ "办结情况", LEDGER_CELL_TEXT },
	{ "满意度", LEDGER_CELL_TEXT },
};

/*
 * The workbook summary's columns: a department's scorecard (struct
 * ledger_score) with its score and rank, in ledger_xlsx.c's order.
 */
const char *const ledger_summary_columns[LEDGER_NSUMMARY] = {
	"部门", "接收", "退单", "认领", "按时认领", "回应", "按时回应", "办结",
	"按期办结", "应办结", "在办", "超期", "评价", "满意", "响应率",
	"办结率", "满意率", "得分", "排名"
};

/* Fill c with text (NULL: empty). */
static void
ledger_rows_text(struct ledger_cell *c, const char *text)
{
	c->text = text != NULL ? text : "";
	c->ms = 0;
}

/* Fill c with a time in ms (0: empty). */
static void
ledger_rows_time(struct ledger_cell *c, int64_t ms)
{
	c->text = "";
	c->ms = ms;
}

/*
 * Fill cells[LEDGER_NCOLUMNS] for issue is with task t (NULL: no task).
 * The texts point into the ledger, the roster or static strings.
 */
void
ledger_rows_cells(const struct ledger *l, const struct roster *roster,
    const struct ledger_issue *is, const struct ledger_task *t,
    struct ledger_cell *cells)
{
	const struct officer *o = roster_officer(roster, is->officer);
	const struct enterprise *e = roster_enterprise(roster, is->enterprise);
	const struct topic *tp = roster_topic(roster, is->topic);
	const struct department *d = NULL;

	if (t != NULL)
		d = roster_department(roster, t->department);
	ledger_rows_text(&cells[0], rules_category_label(is->category));
	ledger_rows_text(&cells[1], is->id);
	ledger_rows_text(&cells[2], is->period);
	ledger_rows_time(&cells[3], is->created);
	ledger_rows_text(&cells[4], o != NULL ? o->name : is->officer);
	ledger_rows_text(&cells[5], e != NULL ? e->name : "");
	ledger_rows_text(&cells[6], is->enterprise);
	ledger_rows_text(&cells[7], tp != NULL ? tp->name : is->topic);
	ledger_rows_text(&cells[8], is->title);
	ledger_rows_text(&cells[9], is->detail);
	ledger_rows_text(&cells[10], is->group);
	ledger_rows_text(&cells[11], ledger_state_zh(is->state));
	ledger_rows_text(&cells[12], d != NULL ? d->name : t != NULL ?
	    t->department : "");
	ledger_rows_text(&cells[13], t != NULL ? t->id : "");
	ledger_rows_text(&cells[14], t != NULL ? ledger_state_zh(t->state) :
	    "");
	ledger_rows_text(&cells[15], t != NULL ? t->claimant : "");
	ledger_rows_time(&cells[16], t != NULL ? t->claimed_at : 0);
	ledger_rows_time(&cells[17], t != NULL ? t->responded_at : 0);
	ledger_rows_time(&cells[18], t != NULL ? t->resolved_at : 0);
	ledger_rows_time(&cells[19], t != NULL ? t->due_resolve : 0);
	ledger_rows_text(&cells[20], t == NULL ? "" :
	    ledger_task_overdue(t, l->now) ? "是" : "否");
	ledger_rows_text(&cells[21], t != NULL ? t->response : "");
	ledger_rows_text(&cells[22], t != NULL ? t->resolution : "");
	ledger_rows_text(&cells[23], ledger_satisfaction_zh(is->satisfaction));
}

/*
 * Call fn for each row of l that department sees (NULL: every row), in
 * ledger order; category >= 0 keeps only that category's issues. Return
 * the number of rows.
 */
static size_t
ledger_rows_walk(const struct ledger_issue *issues, size_t nissues,
    const char *department, int category,
    void (*fn)(const struct ledger_issue *, const struct ledger_task *,
    void *), void *arg)
{
	const struct ledger_issue *is;
	size_t i, j, n = 0;

	for (i = 0; i < nissues; i++) {
		is = &issues[i];
		if (category >= 0 && rules_category(is->category) != category)
			continue;
		if (is->ntasks == 0 && department == NULL) {
			fn(is, NULL, arg);
			n++;
		}
		for (j = 0; j < is->ntasks; j++) {
			if (department != NULL &&
			    strcmp(is->tasks[j].department, department) != 0)
				continue;
			fn(is, &is->tasks[j], arg);
			n++;
		}
	}
	return n;
}

size_t
ledger_rows(const struct ledger *l, const char *department, int category,
    void (*fn)(const struct ledger_issue *, const struct ledger_task *,
    void *), void *arg)
{
	return ledger_rows_walk(l->issues, l->nissues, department, category,
	    fn, arg);
}

/*
 * The same for the issues l carries over from earlier periods (issue 16),
 * every category, oldest first.
 */
size_t
ledger_rows_carried(const struct ledger *l, const char *department,
    void (*fn)(const struct ledger_issue *, const struct ledger_task *,
    void *), void *arg)
{
	return ledger_rows_walk(l->carried, l->ncarried, department, -1, fn,
	    arg);
}

/* Format ms as "YYYY-MM-DD HH:MM" local time; "" when 0. */
void
ledger_rows_time_text(int64_t ms, char buf[LEDGER_TIME_TEXT])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	buf[0] = '\0';
	if (ms == 0 || localtime_r(&secs, &tm) == NULL)
		return;
	strftime(buf, LEDGER_TIME_TEXT, "%Y-%m-%d %H:%M", &tm);
}
