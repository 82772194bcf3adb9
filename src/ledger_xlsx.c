/*
 * ledger_xlsx.c -- the ledger as an Excel workbook (libxlsxwriter): a
 * summary sheet (汇总) with every department's scorecard as ledger_score
 * computed it, then one sheet per category (个性问题, 共性问题, 疑难问题)
 * with the rows of ledger_rows.c, the carry-over (往期未销号), and, for
 * the zone office, the period's field work (ledger_xlsx_fieldwork.c:
 * 走访记录, 宣讲活动, 工作成效, 指导员表现), all printed the same way.
 *
 * Each sheet is a table a program can read and a document a zone office
 * prints and posts. From the top:
 *
 *   row 1   the title: ZONE问题清单台账（个性问题）, across the table
 *   row 2   期次, 类别, 部门 and 生成时间 (when the ledger was scored)
 *   row 3   the Chinese headers: frozen, with an auto-filter, and repeated
 *           at the top of every printed page
 *   row 4…  the rows, every cell ruled, long text wrapped
 *
 * Printed, a sheet is A4, landscape when its columns are wider than a
 * portrait page (LEDGER_XLSX_PORTRAIT), scaled to one page wide and as many
 * pages tall as it needs, with the zone and the document (ZONE问题清单台账)
 * in the header of every page and 生成时间, 第 N 页 共 M 页 and the period
 * and sheet in the footer; all through libxlsxwriter's page set-up calls,
 * in one place (ledger_xlsx_sheet_titled) that every sheet goes through.
 *
 * Times are real Excel dates (the zone's local time: the process's TZ)
 * shown as yyyy-mm-dd hh:mm; rates are numbers shown as percentages. A
 * column is as wide as its text (a CJK character counting 2) up to
 * LEDGER_XLSX_WRAP (issue sheets) or LEDGER_XLSX_MAX_WIDTH (the summary);
 * longer text wraps. libxlsxwriter cannot measure text, so each row is
 * set as tall as its most wrapped cell needs (ledger_xlsx_lines): a
 * column's width is known before its rows are written because every sheet
 * is walked twice, once to measure and once to write.
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

#include <cjson/cJSON.h>
#include <xlsxwriter.h>

#include "liaison.h"
#include "ledger_xlsx.h"

/*
 * A character's width in Excel's units (the width of a '0'): 2 for CJK and
 * other wide ones, 1.25 for a capital letter (M and W are near 2, I is
 * under 1: credit codes are mostly digits and capitals), 1 for the rest.
 */
static double
ledger_xlsx_char_width(uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return 1.25;
	/* Hangul Jamo, CJK, Hangul, compatibility and full-width forms. */
	return (cp >= 0x1100 && cp <= 0x115f) ||
	    (cp >= 0x2e80 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) ||
	    (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) ||
	    (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || cp >= 0x20000 ? 2 : 1;
}

/*
 * Return the width of UTF-8 text in Excel's character units, each
 * character as ledger_xlsx_char_width says; the longest line of a text
 * with newlines.
 */
double
ledger_xlsx_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strlen(s);
	double w = 0, best = 0;
	uint32_t cp;

	while (p < end) {
		utf8_next(&p, end, &cp);
		w = cp == '\n' ? 0 : w + ledger_xlsx_char_width(cp);
		if (w > best)
			best = w;
	}
	return best;
}

/*
 * Return how many lines text takes when wrapped in a column width units
 * wide: each of its own lines, broken where the next character would not
 * fit. (libxlsxwriter adds the cell's margins to the width it is given.)
 * At least 1.
 */
double
ledger_xlsx_lines(const char *s, double width)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strlen(s);
	double room = width > 2 ? width : 2, w = 0, cw, lines = 1;
	uint32_t cp;

	while (p < end) {
		utf8_next(&p, end, &cp);
		if (cp == '\n') {
			lines++;
			w = 0;
			continue;
		}
		cw = ledger_xlsx_char_width(cp);
		if (w > 0 && w + cw > room) {
			lines++;
			w = 0;
		}
		w += cw;
	}
	return lines;
}

/* Return 1 if text is one ASCII word (a code, an id, a date), else 0. */
static int
ledger_xlsx_word(const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x80)
			return 0;
	return 1;
}

/*
 * Widen column col to fit text, up to the sheet's cap for text that wraps
 * at a space or between Chinese characters; one word (a credit code, an
 * id) stays on one line, up to LEDGER_XLSX_MAX_WIDTH.
 */
static void
ledger_xlsx_fit(struct ledger_xlsx *x, size_t col, const char *text)
{
	double w = ledger_xlsx_width(text) + 2;
	double cap = ledger_xlsx_word(text) ? LEDGER_XLSX_MAX_WIDTH : x->cap;

	if (w > cap)
		w = cap;
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

/* A ruled empty cell, so that the printed table has all its lines. */
static void
ledger_xlsx_blank(struct ledger_xlsx *x, size_t col, lxw_format *fmt)
{
	if (!x->measuring)
		ledger_xlsx_check(x, worksheet_write_blank(x->ws, x->row,
		    (lxw_col_t)col, fmt));
}

/* Write text at (row, col) of the current sheet, wrapped in its column. */
void
ledger_xlsx_text(struct ledger_xlsx *x, size_t col, const char *text)
{
	double lines;

	if (x->measuring) {
		ledger_xlsx_fit(x, col, text);
		return;
	}
	if (*text == '\0') {
		ledger_xlsx_blank(x, col, x->text);
		return;
	}
	ledger_xlsx_check(x, worksheet_write_string(x->ws, x->row,
	    (lxw_col_t)col, text, x->text));
	lines = ledger_xlsx_lines(text, x->widths[col]);
	if (lines > x->lines)
		x->lines = lines;
}

/* Write ms as an Excel date in local time; 0 stays blank. */
static void
ledger_xlsx_time(struct ledger_xlsx *x, size_t col, int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	lxw_datetime dt;
	struct tm tm;

	if (ms == 0 || localtime_r(&secs, &tm) == NULL) {
		ledger_xlsx_blank(x, col, x->date);
		return;
	}
	if (x->measuring) {
		ledger_xlsx_fit(x, col, "2026-01-01 00:00");
		return;
	}
	dt.year = tm.tm_year + 1900;
	dt.month = tm.tm_mon + 1;
	dt.day = tm.tm_mday;
	dt.hour = tm.tm_hour;
	dt.min = tm.tm_min;
	dt.sec = tm.tm_sec;
	ledger_xlsx_check(x, worksheet_write_datetime(x->ws, x->row,
	    (lxw_col_t)col, &dt, x->date));
}

/* Write a count, or a rate (as a percentage; blank when undefined). */
void
ledger_xlsx_number(struct ledger_xlsx *x, size_t col, double v, int rate)
{
	char text[32];

	if (rate && v < 0) {
		ledger_xlsx_blank(x, col, x->percent);
		return;
	}
	if (rate)	/* four decimals, as the JSON ledger has them */
		v = (double)(long long)(v * 10000 + 0.5) / 10000;
	if (x->measuring) {
		if (rate)
			ledger_rate_text(v, text, sizeof text);
		else
			snprintf(text, sizeof text, "%.0f", v);
		ledger_xlsx_fit(x, col, text);
		return;
	}
	ledger_xlsx_check(x, worksheet_write_number(x->ws, x->row,
	    (lxw_col_t)col, v, rate ? x->percent : x->number));
}

/* Write an amount of money given in fen as yuan with two decimals. */
void
ledger_xlsx_money(struct ledger_xlsx *x, size_t col, int64_t fen)
{
	char text[32];

	if (x->measuring) {
		snprintf(text, sizeof text, "%lld.00", (long long)(fen / 100));
		ledger_xlsx_fit(x, col, text);
		return;
	}
	ledger_xlsx_check(x, worksheet_write_number(x->ws, x->row,
	    (lxw_col_t)col, (double)fen / 100, x->money));
}

/* Write a day number as an Excel date (yyyy-mm-dd). */
void
ledger_xlsx_day(struct ledger_xlsx *x, size_t col, int64_t day)
{
	lxw_datetime dt = { 0 };
	int y, m, d;

	if (x->measuring) {
		ledger_xlsx_fit(x, col, "2026-01-01");
		return;
	}
	date_from_days(day, &y, &m, &d);
	dt.year = y;
	dt.month = m;
	dt.day = d;
	ledger_xlsx_check(x, worksheet_write_datetime(x->ws, x->row,
	    (lxw_col_t)col, &dt, x->day));
}

/* Start the row after the current one. */
void
ledger_xlsx_row_begin(struct ledger_xlsx *x)
{
	x->row++;
	x->lines = 1;
}

/*
 * End a row: as tall as its most wrapped cell, up to the tallest row Excel
 * has (a 2,000-character detail is cut there on paper, not refused).
 */
void
ledger_xlsx_row_end(struct ledger_xlsx *x)
{
	double height = x->lines * LEDGER_XLSX_LINE;

	if (height > LEDGER_XLSX_MAX_HEIGHT)
		height = LEDGER_XLSX_MAX_HEIGHT;
	if (!x->measuring && x->lines > 1)
		ledger_xlsx_check(x, worksheet_set_row(x->ws, x->row, height,
		    NULL));
}

/*
 * Start measuring a sheet of n columns: each column as wide as its header
 * up to LEDGER_XLSX_HEADER_WIDTH (a longer header wraps), the data widening
 * it up to cap.
 */
void
ledger_xlsx_measure(struct ledger_xlsx *x, const char *const *headers,
    size_t n, double cap)
{
	double w;
	size_t i;

	x->measuring = 1;
	x->cap = cap;
	for (i = 0; i < n; i++) {
		w = ledger_xlsx_width(headers[i]) + 2;
		if (w > LEDGER_XLSX_HEADER_WIDTH)
			w = LEDGER_XLSX_HEADER_WIDTH;
		x->widths[i] = w > LEDGER_XLSX_MIN_WIDTH ? w :
		    LEDGER_XLSX_MIN_WIDTH;
	}
}

/*
 * Write into buf (size bytes, at most LXW_HEADER_FOOTER_MAX + 1) the
 * header of every printed page: the zone and the document, centred
 * (&C&9ZONE问题清单台账), so that a page taken off the notice board still
 * says whose it is. A '&' in the zone's name is doubled (Excel reads '&' as
 * a code), a name that starts with a digit gets a space after &9 (the digit
 * would be read as part of the font size), and a name too long for Excel's
 * 255 is cut between whole characters.
 */
void
ledger_xlsx_header_text(const char *zone, const char *doc, char *buf,
    size_t size)
{
	const unsigned char *p = (const unsigned char *)zone;
	const unsigned char *end = p + strlen(zone), *from;
	size_t len, room = size - strlen(doc) - 1;
	uint32_t cp;

	len = (size_t)snprintf(buf, size, "&C&9%s",
	    *p >= '0' && *p <= '9' ? " " : "");
	while (p < end) {
		from = p;
		utf8_next(&p, end, &cp);
		if (len + (size_t)(p - from) + (cp == '&') > room)
			break;
		if (cp == '&')
			buf[len++] = '&';
		memcpy(buf + len, from, (size_t)(p - from));
		len += (size_t)(p - from);
	}
	snprintf(buf + len, size - len, "%s", doc);
}

/*
 * The header and footer of every printed page: the zone and the document
 * (ledger_xlsx_header_text) above; when the ledger was made, the page's
 * number, and which sheet and period it is below. Only our own text and
 * the period (which period_parse checked) go in the footer, so no '&'
 * needs doubling there.
 */
static void
ledger_xlsx_header_footer(struct ledger_xlsx *x, const char *sheet,
    const char *doc)
{
	char header[LXW_HEADER_FOOTER_MAX + 1], footer[LXW_HEADER_FOOTER_MAX + 1];
	lxw_header_footer_options opts = { 0 };

	ledger_xlsx_header_text(x->roster->zone_name, doc, header,
	    sizeof header);
	opts.margin = 0.25;
	ledger_xlsx_check(x, worksheet_set_header_opt(x->ws, header, &opts));
	/* A digit right after &9 would be read as part of the font size. */
	snprintf(footer, sizeof footer, "&L&9生成时间 %s&C&9第 &P 页 共 &N 页"
	    "&R&9%s %s", x->generated, sheet, x->period);
	ledger_xlsx_check(x, worksheet_set_footer_opt(x->ws, footer, &opts));
}

/*
 * Start writing a sheet whose columns were measured: the page set-up (the
 * one print set-up every sheet of the workbook has), the title block
 * (ZONE + doc + （sheet）, then subtitle under it) and the headers. doc
 * names the document: 问题清单台账 or 联系服务台账.
 */
void
ledger_xlsx_sheet_titled(struct ledger_xlsx *x, const char *sheet,
    const char *doc, const char *subtitle, const char *const *headers,
    size_t n)
{
	double total = 0, lines, most = 1;
	char *title;
	size_t i;

	x->measuring = 0;
	x->ws = workbook_add_worksheet(x->wb, sheet);
	if (x->ws == NULL) {
		x->error = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		ledger_xlsx_check(x, worksheet_set_column(x->ws, (lxw_col_t)i,
		    (lxw_col_t)i, x->widths[i], NULL));
		total += x->widths[i];
	}
	worksheet_set_paper(x->ws, LEDGER_XLSX_A4);
	if (total > LEDGER_XLSX_PORTRAIT)
		worksheet_set_landscape(x->ws);
	worksheet_fit_to_pages(x->ws, 1, 0);
	worksheet_center_horizontally(x->ws);
	worksheet_set_margins(x->ws, 0.4, 0.4, 0.5, 0.6);
	ledger_xlsx_header_footer(x, sheet, doc);

	xasprintf(&title, "%s%s（%s）", x->roster->zone_name, doc, sheet);
	ledger_xlsx_check(x, worksheet_merge_range(x->ws, 0, 0, 0,
	    (lxw_col_t)(n - 1), title, x->title));
	free(title);
	ledger_xlsx_check(x, worksheet_set_row(x->ws, 0,
	    LEDGER_XLSX_TITLE_HEIGHT, NULL));
	ledger_xlsx_check(x, worksheet_merge_range(x->ws, 1, 0, 1,
	    (lxw_col_t)(n - 1), subtitle, x->subtitle));

	x->row = LEDGER_XLSX_TITLE_ROWS;
	for (i = 0; i < n; i++) {
		ledger_xlsx_check(x, worksheet_write_string(x->ws, x->row,
		    (lxw_col_t)i, headers[i], x->header));
		if ((lines = ledger_xlsx_lines(headers[i], x->widths[i])) > most)
			most = lines;
	}
	if (most > 1)
		ledger_xlsx_check(x, worksheet_set_row(x->ws, x->row,
		    most * LEDGER_XLSX_LINE, NULL));
	ledger_xlsx_check(x, worksheet_repeat_rows(x->ws, x->row, x->row));
	worksheet_freeze_panes(x->ws, x->row + 1, 0);
}

/*
 * Start writing a ledger sheet: its title block names the sheet, the
 * period, the category (a category sheet's title; NULL: 全部, as on 汇总,
 * 往期未销号 and 例会议题, which hold every category) and the department.
 */
static void
ledger_xlsx_sheet(struct ledger_xlsx *x, const char *sheet,
    const char *category, const char *const *headers, size_t n)
{
	const struct department *d = NULL;
	char *subtitle;

	if (x->department != NULL)
		d = roster_department(x->roster, x->department);
	xasprintf(&subtitle, "期次：%s　　类别：%s　　部门：%s　　生成时间：%s",
	    x->period, category != NULL ? category : "全部",
	    d != NULL ? d->name : x->department != NULL ? x->department :
	    "全部", x->generated);
	ledger_xlsx_sheet_titled(x, sheet, "问题清单台账", subtitle, headers,
	    n);
	free(subtitle);
}

/* End a sheet: an auto-filter from the headers over its rows. */
void
ledger_xlsx_sheet_end(struct ledger_xlsx *x, size_t n)
{
	if (x->ws == NULL)
		return;
	ledger_xlsx_check(x, worksheet_autofilter(x->ws,
	    LEDGER_XLSX_TITLE_ROWS, 0, x->row, (lxw_col_t)(n - 1)));
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
	ledger_xlsx_row_begin(x);
	for (i = 0; i < LEDGER_NCOLUMNS; i++) {
		if (ledger_columns[i].type == LEDGER_CELL_TIME)
			ledger_xlsx_time(x, i, cells[i].ms);
		else
			ledger_xlsx_text(x, i, cells[i].text);
	}
	ledger_xlsx_row_end(x);
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
		ledger_xlsx_number(x, LEDGER_NCOLUMNS,
		    governance_periods_open(&p, &x->carried), 0);
}

/* 往期未销号: the issues carried over from earlier periods, if any. */
static void
ledger_xlsx_carried_sheet(struct ledger_xlsx *x)
{
	const char *headers[LEDGER_NCOLUMNS + 1];
	size_t i;

	if (x->l->carried_period == NULL ||
	    period_parse(x->l->carried_period, &x->carried) == -1)
		return;
	for (i = 0; i < LEDGER_NCOLUMNS; i++)
		headers[i] = ledger_columns[i].header;
	headers[LEDGER_NCOLUMNS] = "跨半月数";
	ledger_xlsx_measure(x, headers, LEDGER_NCOLUMNS + 1, LEDGER_XLSX_WRAP);
	ledger_rows_carried(x->l, x->department, ledger_xlsx_carried_row, x);
	ledger_xlsx_sheet(x, "往期未销号", NULL, headers, LEDGER_NCOLUMNS + 1);
	if (x->error)
		return;
	ledger_rows_carried(x->l, x->department, ledger_xlsx_carried_row, x);
	ledger_xlsx_sheet_end(x, LEDGER_NCOLUMNS + 1);
}

/*
 * A scorecard's score (one decimal, as the JSON has it) and rank, at col
 * and col + 1; blank when there is none (the zone's total has no rank).
 */
static void
ledger_xlsx_score_cells(struct ledger_xlsx *x, size_t col,
    const struct ledger_score *s)
{
	char text[16];

	ledger_score_text(s->score, text, sizeof text);
	if (s->score < 0)
		ledger_xlsx_blank(x, col, x->tenths);
	else if (x->measuring)
		ledger_xlsx_fit(x, col, text);
	else
		ledger_xlsx_check(x, worksheet_write_number(x->ws, x->row,
		    (lxw_col_t)col, strtod(text, NULL), x->tenths));
	if (s->rank == 0)
		ledger_xlsx_blank(x, col + 1, x->number);
	else
		ledger_xlsx_number(x, col + 1, s->rank, 0);
}

/* The agenda's columns (issue 16). */
static const char *const ledger_xlsx_agenda_columns[] = { "事项", "问题编号",
    "标题", "部门", "期次", "开始时间", "已过天数" };
#define LEDGER_XLSX_AGENDA_NCOLUMNS (sizeof ledger_xlsx_agenda_columns / \
	sizeof ledger_xlsx_agenda_columns[0])

/* A string field of an agenda item, "" when absent. */
static const char *
ledger_xlsx_agenda_str(const cJSON *item, const char *name)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(item, name));

	return v != NULL ? v : "";
}

/* The agenda's rows, in its order (oldest first). */
static void
ledger_xlsx_agenda_rows(struct ledger_xlsx *x, const cJSON *agenda)
{
	const struct department *d;
	const cJSON *item, *dept;
	char depts[512];
	size_t len;

	cJSON_ArrayForEach(item, cJSON_GetObjectItem(agenda, "agenda")) {
		depts[0] = '\0';
		len = 0;
		cJSON_ArrayForEach(dept, cJSON_GetObjectItem(item,
		    "departments")) {
			if (!cJSON_IsString(dept) || len >= sizeof depts)
				continue;
			d = roster_department(x->roster, dept->valuestring);
			len += snprintf(depts + len, sizeof depts - len, "%s%s",
			    len ? "、" : "", d != NULL ? d->name :
			    dept->valuestring);
		}
		ledger_xlsx_row_begin(x);
		ledger_xlsx_text(x, 0, agenda_kind_zh(
		    ledger_xlsx_agenda_str(item, "kind")));
		ledger_xlsx_text(x, 1, ledger_xlsx_agenda_str(item, "issue"));
		ledger_xlsx_text(x, 2, ledger_xlsx_agenda_str(item, "title"));
		ledger_xlsx_text(x, 3, depts);
		ledger_xlsx_text(x, 4, ledger_xlsx_agenda_str(item, "period"));
		ledger_xlsx_text(x, 5, ledger_xlsx_agenda_str(item, "since"));
		ledger_xlsx_number(x, 6, cJSON_GetNumberValue(
		    cJSON_GetObjectItem(item, "age_days")), 0);
		ledger_xlsx_row_end(x);
	}
}

/*
 * 例会议题: the working meeting's agenda (GET /api/v1/agenda's JSON, SPEC
 * §12), for an admin's workbook.
 */
static void
ledger_xlsx_agenda_sheet(struct ledger_xlsx *x, const cJSON *agenda)
{
	ledger_xlsx_measure(x, ledger_xlsx_agenda_columns,
	    LEDGER_XLSX_AGENDA_NCOLUMNS, LEDGER_XLSX_WRAP);
	ledger_xlsx_agenda_rows(x, agenda);
	ledger_xlsx_sheet(x, "例会议题", NULL, ledger_xlsx_agenda_columns,
	    LEDGER_XLSX_AGENDA_NCOLUMNS);
	if (x->error)
		return;
	ledger_xlsx_agenda_rows(x, agenda);
	ledger_xlsx_sheet_end(x, LEDGER_XLSX_AGENDA_NCOLUMNS);
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

	ledger_xlsx_row_begin(x);
	ledger_xlsx_text(x, col++, name);
	for (i = 0; i < sizeof counts / sizeof counts[0]; i++)
		ledger_xlsx_number(x, col++, counts[i], 0);
	for (i = 0; i < sizeof rates / sizeof rates[0]; i++)
		ledger_xlsx_number(x, col++, rates[i], 1);
	ledger_xlsx_score_cells(x, col, s);
	ledger_xlsx_row_end(x);
}

/* The summary's rows: the departments x->department sees (all: a total). */
static void
ledger_xlsx_summary_rows(struct ledger_xlsx *x)
{
	size_t i;

	for (i = 0; i < x->l->nscores; i++) {
		if (x->department != NULL &&
		    strcmp(x->l->scores[i].department, x->department) != 0)
			continue;
		ledger_xlsx_score(x, &x->l->scores[i], x->l->scores[i].name);
	}
	if (x->department == NULL)
		ledger_xlsx_score(x, &x->l->total, "合计");
}

/* The summary sheet: measured, then written. */
static void
ledger_xlsx_summary(struct ledger_xlsx *x)
{
	ledger_xlsx_measure(x, ledger_summary_columns, LEDGER_NSUMMARY,
	    LEDGER_XLSX_MAX_WIDTH);
	ledger_xlsx_summary_rows(x);
	ledger_xlsx_sheet(x, "汇总", NULL, ledger_summary_columns,
	    LEDGER_NSUMMARY);
	if (x->error)
		return;
	ledger_xlsx_summary_rows(x);
	ledger_xlsx_sheet_end(x, LEDGER_NSUMMARY);
}

/* The sheet of category c: measured, then written. */
static void
ledger_xlsx_category(struct ledger_xlsx *x, int c)
{
	const char *headers[LEDGER_NCOLUMNS], *title;
	size_t i;

	for (i = 0; i < LEDGER_NCOLUMNS; i++)
		headers[i] = ledger_columns[i].header;
	ledger_xlsx_measure(x, headers, LEDGER_NCOLUMNS, LEDGER_XLSX_WRAP);
	ledger_rows(x->l, x->department, c, ledger_xlsx_row, x);
	title = rules_category_title(issue_categories[c]);
	ledger_xlsx_sheet(x, title, title, headers, LEDGER_NCOLUMNS);
	if (x->error)
		return;
	ledger_rows(x->l, x->department, c, ledger_xlsx_row, x);
	ledger_xlsx_sheet_end(x, LEDGER_NCOLUMNS);
}

/* The workbook's formats: every table cell ruled and aligned to the top. */
static void
ledger_xlsx_formats(struct ledger_xlsx *x)
{
	lxw_format **cells[] = { &x->header, &x->text, &x->date, &x->number,
	    &x->percent, &x->tenths, &x->money, &x->day };
	size_t i;

	x->title = workbook_add_format(x->wb);
	format_set_bold(x->title);
	format_set_font_size(x->title, 16);
	format_set_align(x->title, LXW_ALIGN_CENTER);
	format_set_align(x->title, LXW_ALIGN_VERTICAL_CENTER);
	x->subtitle = workbook_add_format(x->wb);
	format_set_align(x->subtitle, LXW_ALIGN_LEFT);
	format_set_align(x->subtitle, LXW_ALIGN_VERTICAL_CENTER);
	for (i = 0; i < sizeof cells / sizeof cells[0]; i++) {
		*cells[i] = workbook_add_format(x->wb);
		format_set_border(*cells[i], LXW_BORDER_THIN);
		format_set_align(*cells[i], LXW_ALIGN_VERTICAL_TOP);
	}
	format_set_bold(x->header);
	format_set_bg_color(x->header, 0xDDEBF7);
	format_set_text_wrap(x->header);
	format_set_align(x->header, LXW_ALIGN_CENTER);
	format_set_align(x->header, LXW_ALIGN_VERTICAL_CENTER);
	format_set_text_wrap(x->text);
	format_set_num_format(x->date, "yyyy-mm-dd hh:mm");
	format_set_num_format(x->percent, "0.0%");
	format_set_num_format(x->tenths, "0.0");
	format_set_num_format(x->money, "0.00");
	format_set_num_format(x->day, "yyyy-mm-dd");
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
 * Write the workbook of l, the ledger of period, as department sees it
 * (NULL: everything), with fw's field-work sheets when fw is not NULL,
 * into a new buffer *out of *outlen bytes (the caller
 * frees it). Return 0, or -1 with *cause set.
 */
int
ledger_xlsx(const struct ledger *l, const struct roster *roster,
    const char *department, const char *period, const struct cJSON *agenda,
    const struct ledger_fieldwork *fw, char **out, size_t *outlen,
    char **cause)
{
	lxw_workbook_options opts = { 0 };
	struct ledger_xlsx x;
	const char *tmpdir = getenv("TMPDIR");
	char *path;
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
	x.department = department;
	x.period = period;
	ledger_rows_time_text(l->now, x.generated);
	opts.tmpdir = (char *)tmpdir;
	if ((x.wb = workbook_new_opt(path, &opts)) == NULL) {
		xasprintf(cause, "%s: libxlsxwriter cannot create it", path);
		unlink(path);
		free(path);
		return -1;
	}
	ledger_xlsx_formats(&x);
	ledger_xlsx_summary(&x);
	for (c = 0; c < CATEGORY_COUNT && !x.error; c++)
		ledger_xlsx_category(&x, c);
	if (!x.error)
		ledger_xlsx_carried_sheet(&x);
	if (!x.error && agenda != NULL)
		ledger_xlsx_agenda_sheet(&x, agenda);
	x.fw = fw;
	if (!x.error && fw != NULL)
		ledger_xlsx_fieldwork(&x);
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
