/*
 * ledger_csv.c -- the ledger's rows for spreadsheets, and the ledger as
 * one CSV table.
 *
 * A row is one issue with one of its tasks (an issue routed to two
 * departments is two rows), so that a department sees exactly its own
 * rows; an issue with no task yet is one row with the task cells empty,
 * seen only by admins. The columns are ledger_columns[]: ledger_xlsx.c
 * writes the same rows, with times as real Excel dates.
 *
 * The CSV is UTF-8 with a byte order mark (Excel reads it as UTF-8), every
 * cell quoted as RFC 4180 says (libcsv's csv_fwrite), CRLF line ends, times
 * as "YYYY-MM-DD HH:MM" in the zone's local time (the process's TZ).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <csv.h>

#include "liaison.h"

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

/* The summary's columns: a department's scorecard (struct ledger_score). */
const char *const ledger_summary_columns[LEDGER_NSUMMARY] = {
	"部门", "接收", "退单", "认领", "按时认领", "回应", "按时回应", "办结",
	"按期办结", "应办结", "在办", "超期", "评价", "满意", "响应率",
	"办结率", "满意率"
};

static void
ledger_csv_text(struct ledger_cell *c, const char *text)
{
	c->text = text != NULL ? text : "";
	c->ms = 0;
}

static void
ledger_csv_time(struct ledger_cell *c, int64_t ms)
{
	c->text = "";
	c->ms = ms;
}

/*
 * Fill cells[LEDGER_NCOLUMNS] for issue is with task t (NULL: no task).
 * The texts point into the ledger, the roster or static strings.
 */
void
ledger_csv_row_cells(const struct ledger *l, const struct roster *roster,
    const struct ledger_issue *is, const struct ledger_task *t,
    struct ledger_cell *cells)
{
	const struct officer *o = roster_officer(roster, is->officer);
	const struct enterprise *e = roster_enterprise(roster, is->enterprise);
	const struct topic *tp = roster_topic(roster, is->topic);
	const struct department *d = NULL;

	if (t != NULL)
		d = roster_department(roster, t->department);
	ledger_csv_text(&cells[0], rules_category_label(is->category));
	ledger_csv_text(&cells[1], is->id);
	ledger_csv_text(&cells[2], is->period);
	ledger_csv_time(&cells[3], is->created);
	ledger_csv_text(&cells[4], o != NULL ? o->name : is->officer);
	ledger_csv_text(&cells[5], e != NULL ? e->name : "");
	ledger_csv_text(&cells[6], is->enterprise);
	ledger_csv_text(&cells[7], tp != NULL ? tp->name : is->topic);
	ledger_csv_text(&cells[8], is->title);
	ledger_csv_text(&cells[9], is->detail);
	ledger_csv_text(&cells[10], is->group);
	ledger_csv_text(&cells[11], ledger_state_zh(is->state));
	ledger_csv_text(&cells[12], d != NULL ? d->name : t != NULL ?
	    t->department : "");
	ledger_csv_text(&cells[13], t != NULL ? t->id : "");
	ledger_csv_text(&cells[14], t != NULL ? ledger_state_zh(t->state) : "");
	ledger_csv_text(&cells[15], t != NULL ? t->claimant : "");
	ledger_csv_time(&cells[16], t != NULL ? t->claimed_at : 0);
	ledger_csv_time(&cells[17], t != NULL ? t->responded_at : 0);
	ledger_csv_time(&cells[18], t != NULL ? t->resolved_at : 0);
	ledger_csv_time(&cells[19], t != NULL ? t->due_resolve : 0);
	ledger_csv_text(&cells[20], t == NULL ? "" :
	    ledger_task_overdue(t, l->now) ? "是" : "否");
	ledger_csv_text(&cells[21], t != NULL ? t->response : "");
	ledger_csv_text(&cells[22], t != NULL ? t->resolution : "");
	ledger_csv_text(&cells[23], ledger_satisfaction_zh(is->satisfaction));
}

/*
 * Call fn for each row of l that department sees (NULL: every row), in
 * ledger order; category >= 0 keeps only that category's issues. Return
 * the number of rows.
 */
size_t
ledger_csv_rows(const struct ledger *l, const char *department, int category,
    void (*fn)(const struct ledger_issue *, const struct ledger_task *,
    void *), void *arg)
{
	const struct ledger_issue *is;
	size_t i, j, n = 0;

	for (i = 0; i < l->nissues; i++) {
		is = &l->issues[i];
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

/* Format ms as "YYYY-MM-DD HH:MM" local time; "" when 0. */
void
ledger_csv_time_text(int64_t ms, char buf[LEDGER_TIME_TEXT])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	buf[0] = '\0';
	if (ms == 0 || localtime_r(&secs, &tm) == NULL)
		return;
	strftime(buf, LEDGER_TIME_TEXT, "%Y-%m-%d %H:%M", &tm);
}

struct ledger_csv_state {
	const struct ledger *l;
	const struct roster *roster;
	FILE *f;
	char *buf;                 /* one quoted cell */
	size_t bufsize;
	int error;
};

/*
 * Write one quoted cell, with a comma before it unless it is the first.
 * csv_write quotes into a buffer (csv_fwrite writes a byte at a time).
 * Text people typed that a spreadsheet would take for a formula (=, +, -,
 * @, tab, CR first) gets a leading apostrophe, so that opening the file
 * never runs it; the workbook writes strings and needs no such care.
 */
static void
ledger_csv_cell(struct ledger_csv_state *st, size_t col, const char *text)
{
	size_t len, need;
	char *guarded = NULL;

	if (*text != '\0' && strchr("=+-@\t\r", *text) != NULL) {
		xasprintf(&guarded, "'%s", text);
		text = guarded;
	}
	len = strlen(text);
	need = 2 * len + 3;

	if (need > st->bufsize) {
		st->buf = xreallocarray(st->buf, need, 1);
		st->bufsize = need;
	}
	need = csv_write(st->buf + 1, st->bufsize - 1, text, len);
	st->buf[0] = ',';
	if (col == 0 && fwrite(st->buf + 1, 1, need, st->f) != need)
		st->error = 1;
	if (col > 0 && fwrite(st->buf, 1, need + 1, st->f) != need + 1)
		st->error = 1;
	free(guarded);
}

static void
ledger_csv_row(const struct ledger_issue *is, const struct ledger_task *t,
    void *arg)
{
	struct ledger_csv_state *st = arg;
	struct ledger_cell cells[LEDGER_NCOLUMNS];
	char when[LEDGER_TIME_TEXT];
	size_t i;

	ledger_csv_row_cells(st->l, st->roster, is, t, cells);
	for (i = 0; i < LEDGER_NCOLUMNS; i++) {
		if (ledger_columns[i].type == LEDGER_CELL_TIME) {
			ledger_csv_time_text(cells[i].ms, when);
			ledger_csv_cell(st, i, when);
		} else
			ledger_csv_cell(st, i, cells[i].text);
	}
	if (fputs("\r\n", st->f) == EOF)
		st->error = 1;
}

/*
 * Write the rows of l that department sees (NULL: all) as CSV into a new
 * buffer *out of *outlen bytes (the caller frees it). Return 0 or -1.
 */
int
ledger_csv(const struct ledger *l, const struct roster *roster,
    const char *department, char **out, size_t *outlen)
{
	struct ledger_csv_state st;
	size_t i;

	memset(&st, 0, sizeof st);
	st.l = l;
	st.roster = roster;
	if ((st.f = open_memstream(out, outlen)) == NULL)
		return -1;
	if (fputs("\xef\xbb\xbf", st.f) == EOF)
		st.error = 1;
	for (i = 0; i < LEDGER_NCOLUMNS; i++)
		ledger_csv_cell(&st, i, ledger_columns[i].header);
	if (fputs("\r\n", st.f) == EOF)
		st.error = 1;
	ledger_csv_rows(l, department, -1, ledger_csv_row, &st);
	free(st.buf);
	if (fclose(st.f) != 0 || st.error) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}
