/*
 * ledger_xlsx.c -- the ledger as an Excel workbook (libxlsxwriter): a
 * summary sheet (汇总) with every department's scorecard as ledger_score
 * computed it, then one sheet per category (个性问题, 共性问题, 疑难问题)
 * with the rows of ledger_rows.c.
 *
 * Every sheet has Chinese headers, a frozen header row and an auto-filter;
 * times are real Excel dates (the zone's local time: the process's TZ)
 * shown as yyyy-mm-dd hh:mm; rates are numbers shown as percentages;
 * columns are as wide as their text, a CJK character counting 2.
 *
 * libxlsxwriter 1.1.4 writes only to a named file (no output buffer), so
 * the workbook goes to a private temporary file (mkstemp under $TMPDIR or
 * /tmp) that is read back and unlinked at once.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "liaison.h"

#define LEDGER_XLSX_MIN_WIDTH 6
#define LEDGER_XLSX_MAX_WIDTH 60


/* One workbook being written. */
struct ledger_xlsx {
	lxw_workbook *wb;
	lxw_format *header;
	lxw_format *date;
	lxw_format *percent;
	lxw_format *wrap;
	const struct ledger *l;
	const struct roster *roster;
	lxw_worksheet *ws;        /* the sheet being filled */
	lxw_row_t row;
	double widths[(LEDGER_NCOLUMNS > LEDGER_NSUMMARY ? LEDGER_NCOLUMNS :
	    LEDGER_NSUMMARY) + 1];  /* + 1: 跨半月数 of 往期未销号 */
	struct period period;     /* the ledger's, for 往期未销号 */
	int error;
};

/*
 * Return the width of UTF-8 text in Excel's character units: a CJK (or
 * other wide) character counts 2, anything else 1; the longest line of a
 * text with newlines.
 */
double
ledger_xlsx_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	double w = 0, best = 0;
	uint32_t cp;
	int n;

	while (*p != '\0') {
		if (*p == '\n') {
			w = 0;
			p++;
			continue;
		}
		if (*p < 0x80) {
			cp = *p;
			n = 1;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			n = 2;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			n = 3;
		} else {
			cp = *p & 0x07;
			n = 4;
		}
		for (int i = 1; i < n && p[i] != '\0'; i++)
			cp = (cp << 6) | (p[i] & 0x3f);
		for (int i = 0; i < n && *p != '\0'; i++)
			p++;
		/* Hangul Jamo, CJK, Hangul, compatibility and full-width forms. */
		w += (cp >= 0x1100 && cp <= 0x115f) ||
		    (cp >= 0x2e80 && cp <= 0xa4cf) ||
		    (cp >= 0xac00 && cp <= 0xd7a3) ||
		    (cp >= 0xf900 && cp <= 0xfaff) ||
		    (cp >= 0xfe30 && cp <= 0xfe4f) ||
		    (cp >= 0xff00 && cp <= 0xff60) ||
		    (cp >= 0xffe0 && cp <= 0xffe6) || cp >= 0x20000 ? 2 : 1;
		if (w > best)
			best = w;
	}
	return best;
}

/* Widen column col to fit text. */
static void
ledger_xlsx_fit(struct ledger_xlsx *x, size_t col, const char *text)
{
	double w = ledger_xlsx_width(text) + 2;

	if (w > x->widths[col])
		x->widths[col] = w;
}

/* Remember that a libxlsxwriter call failed; the workbook is then refused. */
static void
ledger_xlsx_check(struct ledger_xlsx *x, lxw_error err)
{
	if (err != LXW_NO_ERROR)
		x->error = 1;
}

/* Write text at (row, col) of the current sheet; an empty cell stays blank. */
static void
ledger_xlsx_text(struct ledger_xlsx *x, size_t col, const char *text,
    lxw_format *fmt)
{
	if (*text == '\0')
		return;
	ledger_xlsx_check(x, worksheet_write_string(x->ws, x->row,
	    (lxw_col_t)col, text, fmt));
	ledger_xlsx_fit(x, col, text);
}

/* Write ms as an Excel date in local time; 0 stays blank. */
static void
ledger_xlsx_time(struct ledger_xlsx *x, size_t col, int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	lxw_datetime dt;
	struct tm tm;

	if (ms == 0 || localtime_r(&secs, &tm) == NULL)
		return;
	dt.year = tm.tm_year + 1900;
	dt.month = tm.tm_mon + 1;
	dt.day = tm.tm_mday;
	dt.hour = tm.tm_hour;
	dt.min = tm.tm_min;
	dt.sec = tm.tm_sec;
	ledger_xlsx_check(x, worksheet_write_datetime(x->ws, x->row,
	    (lxw_col_t)col, &dt, x->date));
	ledger_xlsx_fit(x, col, "2026-01-01 00:00");
}

/* Start a sheet: headers in the first row, frozen. */
static void
ledger_xlsx_sheet(struct ledger_xlsx *x, const char *name,
    const char *const *headers, size_t n)
{
	size_t i;

	x->ws = workbook_add_worksheet(x->wb, name);
	if (x->ws == NULL) {
		x->error = 1;
		return;
	}
	x->row = 0;
	for (i = 0; i < n; i++) {
		x->widths[i] = LEDGER_XLSX_MIN_WIDTH;
		ledger_xlsx_text(x, i, headers[i], x->header);
	}
	worksheet_freeze_panes(x->ws, 1, 0);
}

/* End a sheet: an auto-filter over its rows, the columns' widths. */
static void
ledger_xlsx_sheet_end(struct ledger_xlsx *x, size_t n)
{
	double w;
	size_t i;

	if (x->ws == NULL)
		return;
	ledger_xlsx_check(x, worksheet_autofilter(x->ws, 0, 0, x->row,
	    (lxw_col_t)(n - 1)));
	for (i = 0; i < n; i++) {
		w = x->widths[i] > LEDGER_XLSX_MAX_WIDTH ?
		    LEDGER_XLSX_MAX_WIDTH : x->widths[i];
		ledger_xlsx_check(x, worksheet_set_column(x->ws, (lxw_col_t)i,
		    (lxw_col_t)i, w, NULL));
	}
}

/* ledger_rows callback: one issue row. */
static void
ledger_xlsx_row(const struct ledger_issue *is, const struct ledger_task *t,
    void *arg)
{
	struct ledger_xlsx *x = arg;
	struct ledger_cell cells[LEDGER_NCOLUMNS];
	size_t i;

	ledger_rows_cells(x->l, x->roster, is, t, cells);
	x->row++;
	for (i = 0; i < LEDGER_NCOLUMNS; i++) {
		if (ledger_columns[i].type == LEDGER_CELL_TIME)
			ledger_xlsx_time(x, i, cells[i].ms);
		else
			ledger_xlsx_text(x, i, cells[i].text,
			    strchr(cells[i].text, '\n') != NULL ? x->wrap :
			    NULL);
	}
}

/* ledger_rows_carried callback: a row and its half-months (issue 16). */
static void
ledger_xlsx_carried_row(const struct ledger_issue *is,
    const struct ledger_task *t, void *arg)
{
	struct ledger_xlsx *x = arg;
	struct period p;

	ledger_xlsx_row(is, t, arg);
	if (period_parse(is->period, &p) == 0)
		ledger_xlsx_check(x, worksheet_write_number(x->ws, x->row,
		    (lxw_col_t)LEDGER_NCOLUMNS,
		    governance_periods_open(&p, &x->period), NULL));
}

/* 往期未销号: the issues carried over from earlier periods, if any. */
static void
ledger_xlsx_carried(struct ledger_xlsx *x, const char *department,
    const char **headers)
{
	if (x->l->carried_period == NULL ||
	    period_parse(x->l->carried_period, &x->period) == -1)
		return;
	headers[LEDGER_NCOLUMNS] = "跨半月数";
	ledger_xlsx_sheet(x, "往期未销号", headers, LEDGER_NCOLUMNS + 1);
	if (x->error)
		return;
	ledger_rows_carried(x->l, department, ledger_xlsx_carried_row, x);
	ledger_xlsx_sheet_end(x, LEDGER_NCOLUMNS + 1);
}

/* Write a count, or a rate (as a percentage; blank when undefined). */
static void
ledger_xlsx_number(struct ledger_xlsx *x, size_t col, double v, int rate)
{
	char text[32];

	if (rate && v < 0)
		return;
	if (rate)	/* four decimals, as the JSON ledger has them */
		v = (double)(long long)(v * 10000 + 0.5) / 10000;
	ledger_xlsx_check(x, worksheet_write_number(x->ws, x->row,
	    (lxw_col_t)col, v, rate ? x->percent : NULL));
	if (rate)
		ledger_rate_text(v, text, sizeof text);
	else
		snprintf(text, sizeof text, "%.0f", v);
	ledger_xlsx_fit(x, col, text);
}

/* One summary row: a department's scorecard. */
static void
ledger_xlsx_score(struct ledger_xlsx *x, const struct ledger_score *s,
    const char *name)
{
	const unsigned counts[] = {
		s->received, s->returned, s->claimed, s->claimed_on_time,
		s->responded, s->responded_on_time, s->resolved,
		s->resolved_on_time, s->due, s->open, s->overdue, s->rated,
		s->satisfied
	};
	const double rates[] = {
		s->response_rate, s->resolution_rate, s->satisfaction_rate
	};
	size_t i, col = 0;

	x->row++;
	ledger_xlsx_text(x, col++, name, NULL);
	for (i = 0; i < sizeof counts / sizeof counts[0]; i++)
		ledger_xlsx_number(x, col++, counts[i], 0);
	for (i = 0; i < sizeof rates / sizeof rates[0]; i++)
		ledger_xlsx_number(x, col++, rates[i], 1);
}

/* The summary sheet: the departments department sees (NULL: all, total). */
static void
ledger_xlsx_summary(struct ledger_xlsx *x, const char *department)
{
	size_t i;

	ledger_xlsx_sheet(x, "汇总", ledger_summary_columns, LEDGER_NSUMMARY);
	if (x->error)
		return;
	for (i = 0; i < x->l->nscores; i++) {
		if (department != NULL &&
		    strcmp(x->l->scores[i].department, department) != 0)
			continue;
		ledger_xlsx_score(x, &x->l->scores[i], x->l->scores[i].name);
	}
	if (department == NULL)
		ledger_xlsx_score(x, &x->l->total, "合计");
	ledger_xlsx_sheet_end(x, LEDGER_NSUMMARY);
}

/* Read the file at path into a new buffer; return 0 or -1. */
static int
ledger_xlsx_slurp(const char *path, char **out, size_t *outlen)
{
	struct stat sb;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fstat(fileno(f), &sb) == -1) {
		fclose(f);
		return -1;
	}
	*outlen = (size_t)sb.st_size;
	*out = xmalloc(*outlen + 1);
	if (fread(*out, 1, *outlen, f) != *outlen) {
		free(*out);
		*out = NULL;
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/*
 * Write the workbook of l as department sees it (NULL: everything) into a
 * new buffer *out of *outlen bytes (the caller frees it). Return 0, or -1
 * with *cause set.
 */
int
ledger_xlsx(const struct ledger *l, const struct roster *roster,
    const char *department, char **out, size_t *outlen, char **cause)
{
	lxw_workbook_options opts = { 0 };
	struct ledger_xlsx x;
	const char *tmpdir = getenv("TMPDIR");
	const char *headers[LEDGER_NCOLUMNS + 1];
	char *path;
	size_t i;
	int fd, c;
	lxw_error err;

	*out = NULL;
	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	xasprintf(&path, "%s/liaisond-ledger-XXXXXX", tmpdir);
	if ((fd = mkstemp(path)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	close(fd);
	memset(&x, 0, sizeof x);
	x.l = l;
	x.roster = roster;
	opts.tmpdir = (char *)tmpdir;
	if ((x.wb = workbook_new_opt(path, &opts)) == NULL) {
		xasprintf(cause, "%s: libxlsxwriter cannot create it", path);
		unlink(path);
		free(path);
		return -1;
	}
	x.header = workbook_add_format(x.wb);
	format_set_bold(x.header);
	format_set_bg_color(x.header, 0xDDEBF7);
	x.date = workbook_add_format(x.wb);
	format_set_num_format(x.date, "yyyy-mm-dd hh:mm");
	x.percent = workbook_add_format(x.wb);
	format_set_num_format(x.percent, "0.0%");
	x.wrap = workbook_add_format(x.wb);
	format_set_text_wrap(x.wrap);

	ledger_xlsx_summary(&x, department);
	for (i = 0; i < LEDGER_NCOLUMNS; i++)
		headers[i] = ledger_columns[i].header;
	for (c = 0; c < CATEGORY_COUNT && !x.error; c++) {
		ledger_xlsx_sheet(&x, rules_category_title(issue_categories[c]),
		    headers,
		    LEDGER_NCOLUMNS);
		if (x.error)
			break;
		ledger_rows(l, department, c, ledger_xlsx_row, &x);
		ledger_xlsx_sheet_end(&x, LEDGER_NCOLUMNS);
	}
	if (!x.error)
		ledger_xlsx_carried(&x, department, headers);
	err = workbook_close(x.wb);
	if (x.error || err != LXW_NO_ERROR) {
		xasprintf(cause, "libxlsxwriter: %s", err != LXW_NO_ERROR ?
		    lxw_strerror(err) : "cannot write a cell");
		unlink(path);
		free(path);
		return -1;
	}
	if (ledger_xlsx_slurp(path, out, outlen) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		unlink(path);
		free(path);
		return -1;
	}
	unlink(path);
	free(path);
	return 0;
}
