/*
 * ledger_csv.c -- the ledger as one CSV table: the rows of ledger_rows.c
 * (one issue with one of its tasks), under the Chinese headers of
 * ledger_columns[].
 *
 * The CSV is UTF-8 with a byte order mark (Excel reads it as UTF-8), every
 * cell quoted as RFC 4180 says (libcsv's csv_fwrite), CRLF line ends, times
 * as "YYYY-MM-DD HH:MM" in the zone's local time (the process's TZ).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "liaison.h"

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

/* ledger_rows callback: one row, its times as local text. */
static void
ledger_csv_row(const struct ledger_issue *is, const struct ledger_task *t,
    void *arg)
{
	struct ledger_csv_state *st = arg;
	struct ledger_cell cells[LEDGER_NCOLUMNS];
	char when[LEDGER_TIME_TEXT];
	size_t i;

	ledger_rows_cells(st->l, st->roster, is, t, cells);
	for (i = 0; i < LEDGER_NCOLUMNS; i++) {
		if (ledger_columns[i].type == LEDGER_CELL_TIME) {
			ledger_rows_time_text(cells[i].ms, when);
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
	ledger_rows(l, department, -1, ledger_csv_row, &st);
	free(st.buf);
	if (fclose(st.f) != 0 || st.error) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}
