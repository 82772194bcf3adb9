/*
 * ledger_xlsx.h -- what ledger_xlsx.c shares with the files that write
 * more sheets into its workbook (ledger_xlsx_fieldwork.c): the workbook
 * being written and the calls that measure, write and set up a sheet, so
 * that every sheet prints the same way. Not a public interface.
 */
#ifndef LEDGER_XLSX_H
#define LEDGER_XLSX_H

#include <xlsxwriter.h>

#define LEDGER_XLSX_MIN_WIDTH 6
#define LEDGER_XLSX_MAX_WIDTH 60      /* the summary's department names */
#define LEDGER_XLSX_WRAP 20           /* issue sheets: 10 Chinese characters */
#define LEDGER_XLSX_HEADER_WIDTH 10   /* a longer header wraps */
#define LEDGER_XLSX_PORTRAIT 100      /* columns a portrait A4 page holds */
#define LEDGER_XLSX_LINE 15.0         /* points: one line of 11 pt text */
#define LEDGER_XLSX_TITLE_HEIGHT 30.0
#define LEDGER_XLSX_MAX_HEIGHT 409.0  /* points: Excel's tallest row */
#define LEDGER_XLSX_A4 9              /* Excel's paper code */
#define LEDGER_XLSX_TITLE_ROWS 2      /* the title block above the headers */

/* One workbook being written. */
struct ledger_xlsx {
	lxw_workbook *wb;
	lxw_format *title;
	lxw_format *subtitle;
	lxw_format *header;
	lxw_format *text;
	lxw_format *date;
	lxw_format *number;
	lxw_format *percent;
	lxw_format *tenths;          /* a score: 87.5 */
	const struct ledger *l;
	const struct roster *roster;
	const char *department;   /* NULL: every department */
	const char *period;
	char generated[LEDGER_TIME_TEXT];
	lxw_worksheet *ws;        /* the sheet being filled */
	lxw_row_t row;
	int measuring;            /* 1: only widen columns, write nothing */
	double cap;               /* the widest a column of this sheet gets */
	double lines;             /* the row's most wrapped cell, in lines */
	double widths[(LEDGER_NCOLUMNS > LEDGER_NSUMMARY ? LEDGER_NCOLUMNS :
	    LEDGER_NSUMMARY) + 1];  /* + 1: 跨半月数 of 往期未销号 */
	struct period carried;    /* the ledger's period, for 往期未销号 */
	const struct ledger_fieldwork *fw;  /* the field-work sheets', or NULL */
	lxw_format *money;        /* yuan: two decimals */
	lxw_format *day;          /* a date without a time */
	int error;
};

void ledger_xlsx_measure(struct ledger_xlsx *, const char *const *, size_t,
    double cap);
void ledger_xlsx_sheet_titled(struct ledger_xlsx *, const char *sheet,
    const char *doc, const char *subtitle, const char *const *, size_t);
void ledger_xlsx_sheet_end(struct ledger_xlsx *, size_t);
void ledger_xlsx_row_begin(struct ledger_xlsx *);
void ledger_xlsx_row_end(struct ledger_xlsx *);
void ledger_xlsx_text(struct ledger_xlsx *, size_t, const char *);
void ledger_xlsx_number(struct ledger_xlsx *, size_t, double, int rate);
void ledger_xlsx_money(struct ledger_xlsx *, size_t, int64_t fen);
void ledger_xlsx_day(struct ledger_xlsx *, size_t, int64_t day);

/* ledger_xlsx_fieldwork.c */
void ledger_xlsx_fieldwork(struct ledger_xlsx *);

#endif /* LEDGER_XLSX_H */
