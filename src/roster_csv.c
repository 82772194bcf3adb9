/*
 * roster_csv.c -- the roster (SPEC §4) as spreadsheets: officers,
 * enterprises, departments, topics and leaders, one CSV sheet each, with
 * headers in Chinese or English.
 *
 * Import turns the sheets read by csv_read.c into roster JSON. It checks
 * what only the sheets can say where it went wrong (columns, empty required
 * cells, duplicate ids, credit codes, links to officers) and reports
 * "FILE:LINE:COLUMN: what". Then it runs roster_parse on the result, so no
 * roster rule is written twice; a refusal from there names an entry
 * ("officers[3] ...: email ...") and is turned back into the sheet, line and
 * column that entry came from.
 *
 * The link between officers and enterprises lives in the enterprise sheet
 * (column 指导员 / officers: one or more officer ids): an officer's
 * enterprises are the rows that name them, in sheet order.
 *
 * Export writes the same sheets from a roster: UTF-8 with a byte order mark
 * (so that Excel reads it as UTF-8), every cell quoted, CRLF line ends.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include <cjson/cJSON.h>

#include "liaison.h"

#define ROSTER_CSV_MAX_COLUMNS 8
#define ROSTER_CSV_MAX_PROBLEMS 20   /* reported; the rest are counted */
#define ROSTER_CSV_KEEP 100000       /* kept to be sorted */

/* One column of a sheet: the roster field and its header names. */
struct roster_csv_column {
	const char *key;
	const char *zh;
	const char *en;
	int required;            /* the cell must not be empty */
};

/* One sheet: its columns, in the order export writes them. */
struct roster_csv_layout {
	const char *name;        /* the array of the roster */
	struct roster_csv_column columns[ROSTER_CSV_MAX_COLUMNS];
};

static const struct roster_csv_layout roster_csv_layouts[] = {
	[ROSTER_CSV_OFFICERS] = { "officers", {
		{ "id", "编号", "id", 1 },
		{ "name", "姓名", "name", 1 },
		{ "level", "级别", "level", 1 },
		{ "unit", "单位", "unit", 0 },
		{ "phone", "电话", "phone", 0 },
		{ "email", "邮箱", "email", 0 },
		{ NULL, NULL, NULL, 0 } } },
	[ROSTER_CSV_ENTERPRISES] = { "enterprises", {
		{ "id", "统一社会信用代码", "id", 1 },
		{ "name", "名称", "name", 1 },
		{ "kind", "类型", "kind", 1 },
		{ "area", "区域", "area", 0 },
		{ "officers", "指导员", "officers", 0 },
		{ NULL, NULL, NULL, 0 } } },
	[ROSTER_CSV_DEPARTMENTS] = { "departments", {
		{ "id", "编号", "id", 1 },
		{ "name", "名称", "name", 1 },
		{ "emails", "邮箱", "emails", 0 },
		{ "webhook_url", "推送地址", "webhook_url", 0 },
		{ "webhook_format", "推送格式", "webhook_format", 0 },
		{ "webhook_secret", "推送密钥", "webhook_secret", 0 },
		{ NULL, NULL, NULL, 0 } } },
	[ROSTER_CSV_TOPICS] = { "topics", {
		{ "id", "编号", "id", 1 },
		{ "name", "名称", "name", 1 },
		{ "departments", "责任部门", "departments", 1 },
		{ "keywords", "关键词", "keywords", 0 },
		{ NULL, NULL, NULL, 0 } } },
	[ROSTER_CSV_LEADERS] = { "leaders", {
		{ "name", "姓名", "name", 1 },
		{ "email", "邮箱", "email", 1 },
		{ NULL, NULL, NULL, 0 } } },
};

/* Words of the level and kind cells: the roster's, then the sheet's. */
static const char *const roster_csv_levels[][2] = {
	{ "zone", "区级" }, { "municipal", "市级" }, { "provincial", "省级" },
	{ NULL, NULL }
};
static const char *const roster_csv_kinds[][2] = {
	{ "enterprise", "企业" }, { "social_org", "社会组织" }, { NULL, NULL }
};

/* Separators inside a list cell (ids, emails, keywords). */
static const char *const roster_csv_separators[] = {
	";", "；", ",", "，", "、", "\n", "\r", NULL
};

/* A sheet with its header read: where each layout column is. */
struct roster_csv_sheet {
	const struct csv_sheet *csv;
	const struct roster_csv_layout *layout;
	int at[ROSTER_CSV_MAX_COLUMNS];   /* cell index of column, or -1 */
};

/* One problem found, kept to be sorted into sheet and line order. */
struct roster_csv_problem {
	int sheet;               /* enum roster_csv_sheet_id; -1: no sheet */
	int line;
	int column;
	size_t seq;              /* the order it was found in */
	char *text;              /* the whole message */
};

/* State of one import. */
struct roster_csv_import {
	struct roster_csv_sheet sheets[ROSTER_CSV_NSHEETS];
	struct roster_csv_problem *problems;
	size_t nkept;
	size_t nproblems;        /* found, kept or not */
};

/* Keep a problem (text is handed over), up to ROSTER_CSV_KEEP of them. */
static void
roster_csv_keep(struct roster_csv_import *im, int sheet, int line,
    int column, char *text)
{
	struct roster_csv_problem *p;

	if (im->nkept == ROSTER_CSV_KEEP) {
		free(text);
		im->nproblems++;
		return;
	}
	im->problems = xreallocarray(im->problems, im->nkept + 1,
	    sizeof *im->problems);
	p = &im->problems[im->nkept++];
	p->sheet = sheet;
	p->line = line;
	p->column = column;
	p->seq = im->nproblems++;
	p->text = text;
}

/*
 * Add "FILE:LINE:COLUMN: what" (no column when column is 0) to the problems
 * of the import. Return -1.
 */
static int
roster_csv_error(struct roster_csv_import *im, const struct csv_sheet *csv,
    int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
roster_csv_error(struct roster_csv_import *im, const struct csv_sheet *csv,
    int line, int column, const char *fmt, ...)
{
	char what[1024], *text;
	va_list ap;
	int sheet;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (column > 0)
		xasprintf(&text, "%s:%d:%d: %s", csv->name, line, column, what);
	else
		xasprintf(&text, "%s:%d: %s", csv->name, line, what);
	for (sheet = 0; sheet < ROSTER_CSV_NSHEETS; sheet++) {
		if (im->sheets[sheet].csv == csv)
			break;
	}
	roster_csv_keep(im, sheet, line, column, text);
	return -1;
}

/* Add a problem that no sheet is at fault for; return -1. */
static int
roster_csv_fail(struct roster_csv_import *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
roster_csv_fail(struct roster_csv_import *im, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	roster_csv_keep(im, -1, 0, 0, xstrdup(what));
	return -1;
}

static int
roster_csv_problem_cmp(const void *a, const void *b)
{
	const struct roster_csv_problem *x = a, *y = b;

	if (x->sheet != y->sheet)
		return x->sheet < y->sheet ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Return the problems as one message, one a line, in sheet (officers,
 * enterprises, departments, topics, leaders), line and column order; the
 * first ROSTER_CSV_MAX_PROBLEMS, then how many more. Frees them.
 */
static char *
roster_csv_cause(struct roster_csv_import *im)
{
	char *out = NULL, *next;
	size_t i;

	qsort(im->problems, im->nkept, sizeof *im->problems,
	    roster_csv_problem_cmp);
	for (i = 0; i < im->nkept; i++) {
		if (i < ROSTER_CSV_MAX_PROBLEMS) {
			xasprintf(&next, "%s%s%s", out ? out : "", out ? "\n" :
			    "", im->problems[i].text);
			free(out);
			out = next;
		}
		free(im->problems[i].text);
	}
	free(im->problems);
	im->problems = NULL;
	if (im->nproblems > ROSTER_CSV_MAX_PROBLEMS) {
		xasprintf(&next, "%s\n... and %zu more problems", out,
		    im->nproblems - ROSTER_CSV_MAX_PROBLEMS);
		free(out);
		out = next;
	}
	return out;
}

/* Return the sheet name of id, for messages and option names. */
const char *
roster_csv_sheet_name(enum roster_csv_sheet_id id)
{
	return roster_csv_layouts[id].name;
}

/* Return 1 if header cell text names column c (Chinese or English). */
static int
roster_csv_header_is(const char *text, const struct roster_csv_column *c)
{
	return strcmp(text, c->zh) == 0 || strcasecmp(text, c->en) == 0;
}

/* Copy s without leading and trailing blanks into a new string. */
static char *
roster_csv_trim(const char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return xstrndup(s, len);
}

/*
 * Read the header row of sheet s: every layout column found once, every
 * required one present, no unknown column (except 序号, a row number).
 * Return 0 or -1.
 */
static int
roster_csv_header(struct roster_csv_import *im, struct roster_csv_sheet *s)
{
	const struct roster_csv_column *cols = s->layout->columns;
	const struct csv_row *header;
	char *text, expected[512];
	size_t i, k, len = 0;
	int status = 0;

	for (k = 0; k < ROSTER_CSV_MAX_COLUMNS; k++)
		s->at[k] = -1;
	if (s->csv->nrows == 0)
		return roster_csv_fail(im, "%s: empty: expected a header row",
		    s->csv->name);
	header = &s->csv->rows[0];
	expected[0] = '\0';
	for (k = 0; cols[k].key != NULL; k++)
		len += (size_t)snprintf(expected + len, sizeof expected - len,
		    "%s%s/%s", k ? ", " : "", cols[k].zh, cols[k].en);
	for (i = 0; i < header->ncells; i++) {
		text = roster_csv_trim(header->cells[i].text);
		for (k = 0; cols[k].key != NULL; k++) {
			if (roster_csv_header_is(text, &cols[k]))
				break;
		}
		if (cols[k].key == NULL && strcmp(text, "序号") != 0 &&
		    strcasecmp(text, "no") != 0)
			status = roster_csv_error(im, s->csv,
			    header->cells[i].line, (int)i + 1, "unknown column "
			    "\"%s\" (the columns are %s)", text, expected);
		else if (cols[k].key != NULL && s->at[k] != -1)
			status = roster_csv_error(im, s->csv,
			    header->cells[i].line, (int)i + 1, "column %s/%s "
			    "given twice (also column %d)", cols[k].zh,
			    cols[k].en, s->at[k] + 1);
		else if (cols[k].key != NULL)
			s->at[k] = (int)i;
		free(text);
	}
	for (k = 0; cols[k].key != NULL; k++) {
		if (cols[k].required && s->at[k] == -1)
			status = roster_csv_error(im, s->csv, header->line, 0,
			    "missing column %s/%s", cols[k].zh, cols[k].en);
	}
	return status;
}

/* Return the layout index of column key of sheet s. */
static size_t
roster_csv_column_index(const struct roster_csv_sheet *s, const char *key)
{
	size_t k;

	for (k = 0; s->layout->columns[k].key != NULL; k++) {
		if (strcmp(s->layout->columns[k].key, key) == 0)
			return k;
	}
	fatalx("%s: no column %s", s->layout->name, key);
}

/* Return the 1-based spreadsheet column of key in sheet s (0: absent). */
static int
roster_csv_column_number(const struct roster_csv_sheet *s, const char *key)
{
	return s->at[roster_csv_column_index(s, key)] + 1;
}

/*
 * Return a new copy of the trimmed cell of column key in row r (data rows
 * from 1) of sheet s; "" when the column or the cell is absent.
 */
static char *
roster_csv_cell(const struct roster_csv_sheet *s, size_t r, const char *key)
{
	const struct csv_row *row = &s->csv->rows[r];
	int at = s->at[roster_csv_column_index(s, key)];

	if (at < 0 || (size_t)at >= row->ncells)
		return xstrdup("");
	return roster_csv_trim(row->cells[at].text);
}

/* Return the line of the cell of column key in row r (its row's if none). */
static int
roster_csv_cell_line(const struct roster_csv_sheet *s, size_t r,
    const char *key)
{
	const struct csv_row *row = &s->csv->rows[r];
	int at = s->at[roster_csv_column_index(s, key)];

	if (at < 0 || (size_t)at >= row->ncells)
		return row->line;
	return row->cells[at].line;
}

/*
 * Check row r of sheet s: no text beyond the header's columns, every
 * required cell filled. Return 0 or -1.
 */
static int
roster_csv_check_row(struct roster_csv_import *im,
    const struct roster_csv_sheet *s, size_t r)
{
	const struct csv_row *row = &s->csv->rows[r];
	const struct roster_csv_column *cols = s->layout->columns;
	size_t i, k, width = s->csv->rows[0].ncells;
	char *text;
	int empty, status = 0;

	for (i = width; i < row->ncells; i++) {
		if (row->cells[i].text[0] != '\0') {
			status = roster_csv_error(im, s->csv,
			    row->cells[i].line, (int)i + 1, "a cell right of "
			    "the last column (%zu columns in the header)",
			    width);
			break;
		}
	}
	for (k = 0; cols[k].key != NULL; k++) {
		if (!cols[k].required || s->at[k] == -1)
			continue;
		text = roster_csv_cell(s, r, cols[k].key);
		empty = text[0] == '\0';
		free(text);
		if (empty)
			status = roster_csv_error(im, s->csv,
			    roster_csv_cell_line(s, r, cols[k].key),
			    s->at[k] + 1, "%s (%s): must not be empty",
			    cols[k].zh, cols[k].en);
	}
	return status;
}

/* An id and the row it is on, for sorting and searching. */
struct roster_csv_key {
	char *id;
	size_t row;
	cJSON *entry;            /* what the row became, or NULL */
};

static int
roster_csv_key_cmp(const void *a, const void *b)
{
	const struct roster_csv_key *ka = a, *kb = b;
	int c = strcmp(ka->id, kb->id);

	if (c != 0)
		return c;
	return ka->row < kb->row ? -1 : ka->row > kb->row;
}

static int
roster_csv_key_find(const void *id, const void *k)
{
	return strcmp(id, ((const struct roster_csv_key *)k)->id);
}

/*
 * Return the ids (column key) of the rows of sheet s, sorted by id then
 * row, *n of them; report each row that repeats an earlier row's id. The
 * caller frees them with roster_csv_keys_free.
 */
static struct roster_csv_key *
roster_csv_keys(struct roster_csv_import *im, const struct roster_csv_sheet *s,
    const char *key, size_t *n)
{
	struct roster_csv_key *keys;
	size_t r, i;

	*n = s->csv->nrows - 1;
	keys = xcalloc(*n + 1, sizeof *keys);
	for (r = 1; r < s->csv->nrows; r++) {
		keys[r - 1].id = roster_csv_cell(s, r, key);
		keys[r - 1].row = r;
	}
	qsort(keys, *n, sizeof *keys, roster_csv_key_cmp);
	for (i = 1; i < *n; i++) {
		if (strcmp(keys[i].id, keys[i - 1].id) != 0 ||
		    keys[i].id[0] == '\0')
			continue;
		roster_csv_error(im, s->csv, roster_csv_cell_line(s,
		    keys[i].row, key), roster_csv_column_number(s, key),
		    "duplicate id \"%s\" (also on line %d)", keys[i].id,
		    roster_csv_cell_line(s, keys[i - 1].row, key));
	}
	return keys;
}

static void
roster_csv_keys_free(struct roster_csv_key *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(keys[i].id);
	free(keys);
}

/* Split a list cell at any of roster_csv_separators; add the words to a. */
static void
roster_csv_split(const char *cell, cJSON *a)
{
	const char *p = cell, *best, *at;
	size_t i, seplen, n;
	char *word, *piece;

	while (*p != '\0') {
		best = NULL;
		seplen = 0;
		for (i = 0; roster_csv_separators[i] != NULL; i++) {
			at = strstr(p, roster_csv_separators[i]);
			if (at != NULL && (best == NULL || at < best)) {
				best = at;
				seplen = strlen(roster_csv_separators[i]);
			}
		}
		n = best != NULL ? (size_t)(best - p) : strlen(p);
		piece = xstrndup(p, n);
		word = roster_csv_trim(piece);
		free(piece);
		if (*word != '\0')
			cJSON_AddItemToArray(a, cJSON_CreateString(word));
		free(word);
		p += n + seplen;
	}
}

/* Add field from the cell of column key in row r unless it is empty. */
static void
roster_csv_add_optional(cJSON *obj, const struct roster_csv_sheet *s,
    size_t r, const char *key, const char *field)
{
	char *text = roster_csv_cell(s, r, key);

	if (*text != '\0')
		cJSON_AddStringToObject(obj, field, text);
	free(text);
}

/* Add field key from the cell of column key in row r. */
static void
roster_csv_add(cJSON *obj, const struct roster_csv_sheet *s, size_t r,
    const char *key)
{
	char *text = roster_csv_cell(s, r, key);

	cJSON_AddStringToObject(obj, key, text);
	free(text);
}

/* Add list field key from the cell of row r, unless empty and !always. */
static void
roster_csv_add_list(cJSON *obj, const struct roster_csv_sheet *s, size_t r,
    const char *key, int always)
{
	char *text = roster_csv_cell(s, r, key);
	cJSON *a = cJSON_CreateArray();

	roster_csv_split(text, a);
	free(text);
	if (cJSON_GetArraySize(a) > 0 || always)
		cJSON_AddItemToObject(obj, key, a);
	else
		cJSON_Delete(a);
}

/*
 * Add field key: the cell of column key in row r translated through words
 * (roster word, sheet word; either is accepted). Return 0 or -1.
 */
static int
roster_csv_add_word(struct roster_csv_import *im, cJSON *obj,
    const struct roster_csv_sheet *s, size_t r, const char *key,
    const char *const words[][2])
{
	char *text = roster_csv_cell(s, r, key), list[256];
	size_t i, len = 0;

	for (i = 0; words[i][0] != NULL; i++) {
		if (strcmp(text, words[i][0]) == 0 ||
		    strcmp(text, words[i][1]) == 0) {
			cJSON_AddStringToObject(obj, key, words[i][0]);
			free(text);
			return 0;
		}
	}
	list[0] = '\0';
	for (i = 0; words[i][0] != NULL; i++)
		len += (size_t)snprintf(list + len, sizeof list - len,
		    "%s%s (%s)", i ? ", " : "", words[i][1], words[i][0]);
	if (*text != '\0')
		roster_csv_error(im, s->csv, roster_csv_cell_line(s, r, key),
		    roster_csv_column_number(s, key), "%s \"%s\": must be one "
		    "of %s", key, text, list);
	free(text);
	return -1;
}

/* Build "leaders" from their sheet. */
static void
roster_csv_leaders(struct roster_csv_import *im, cJSON *root)
{
	struct roster_csv_sheet *s = &im->sheets[ROSTER_CSV_LEADERS];
	cJSON *array, *entry;
	size_t r;

	array = cJSON_AddArrayToObject(root, "leaders");
	for (r = 1; r < s->csv->nrows; r++) {
		roster_csv_check_row(im, s, r);
		entry = cJSON_CreateObject();
		cJSON_AddItemToArray(array, entry);
		roster_csv_add(entry, s, r, "name");
		roster_csv_add(entry, s, r, "email");
	}
}

/* Build "departments" from their sheet. */
static void
roster_csv_departments(struct roster_csv_import *im, cJSON *root)
{
	struct roster_csv_sheet *s = &im->sheets[ROSTER_CSV_DEPARTMENTS];
	struct roster_csv_key *keys;
	cJSON *array, *entry, *webhook;
	size_t r, n;

	keys = roster_csv_keys(im, s, "id", &n);
	roster_csv_keys_free(keys, n);
	array = cJSON_AddArrayToObject(root, "departments");
	for (r = 1; r < s->csv->nrows; r++) {
		roster_csv_check_row(im, s, r);
		entry = cJSON_CreateObject();
		cJSON_AddItemToArray(array, entry);
		roster_csv_add(entry, s, r, "id");
		roster_csv_add(entry, s, r, "name");
		roster_csv_add_list(entry, s, r, "emails", 1);
		webhook = cJSON_CreateObject();
		roster_csv_add_optional(webhook, s, r, "webhook_url", "url");
		roster_csv_add_optional(webhook, s, r, "webhook_format",
		    "format");
		roster_csv_add_optional(webhook, s, r, "webhook_secret",
		    "secret");
		if (webhook->child != NULL)
			cJSON_AddItemToObject(entry, "webhook", webhook);
		else
			cJSON_Delete(webhook);
	}
}

/* Build "topics" from their sheet. */
static void
roster_csv_topics(struct roster_csv_import *im, cJSON *root)
{
	struct roster_csv_sheet *s = &im->sheets[ROSTER_CSV_TOPICS];
	struct roster_csv_key *keys;
	cJSON *array, *entry;
	size_t r, n;

	keys = roster_csv_keys(im, s, "id", &n);
	roster_csv_keys_free(keys, n);
	array = cJSON_AddArrayToObject(root, "topics");
	for (r = 1; r < s->csv->nrows; r++) {
		roster_csv_check_row(im, s, r);
		entry = cJSON_CreateObject();
		cJSON_AddItemToArray(array, entry);
		roster_csv_add(entry, s, r, "id");
		roster_csv_add(entry, s, r, "name");
		roster_csv_add_list(entry, s, r, "departments", 1);
		roster_csv_add_list(entry, s, r, "keywords", 1);
	}
}

/*
 * Build "officers" from their sheet, each with an empty list of
 * enterprises. Return their keys (sorted; entry set), *n of them.
 */
static struct roster_csv_key *
roster_csv_officers(struct roster_csv_import *im, cJSON *root, size_t *n)
{
	struct roster_csv_sheet *s = &im->sheets[ROSTER_CSV_OFFICERS];
	struct roster_csv_key *keys, *k;
	cJSON *array, *entry;
	size_t r;

	keys = roster_csv_keys(im, s, "id", n);
	array = cJSON_AddArrayToObject(root, "officers");
	for (r = 1; r < s->csv->nrows; r++) {
		roster_csv_check_row(im, s, r);
		entry = cJSON_CreateObject();
		cJSON_AddItemToArray(array, entry);
		roster_csv_add(entry, s, r, "id");
		roster_csv_add(entry, s, r, "name");
		roster_csv_add_word(im, entry, s, r, "level",
		    roster_csv_levels);
		roster_csv_add_optional(entry, s, r, "unit", "unit");
		roster_csv_add_optional(entry, s, r, "phone", "phone");
		roster_csv_add_optional(entry, s, r, "email", "email");
		cJSON_AddArrayToObject(entry, "enterprises");
		k = bsearch(cJSON_GetObjectItem(entry, "id")->valuestring, keys,
		    *n, sizeof *keys, roster_csv_key_find);
		/* Duplicates were reported; the first row wins the key. */
		while (k > keys && strcmp(k[-1].id, k->id) == 0)
			k--;
		if (k->row == r)
			k->entry = entry;
	}
	return keys;
}

/* Check the credit code in row r of the enterprise sheet. */
static void
roster_csv_check_code(struct roster_csv_import *im, size_t r)
{
	struct roster_csv_sheet *s = &im->sheets[ROSTER_CSV_ENTERPRISES];
	char *id = roster_csv_cell(s, r, "id"), expected;
	int line = roster_csv_cell_line(s, r, "id");
	int col = roster_csv_column_number(s, "id");

	if (*id == '\0')
		;	/* reported as empty */
	else if (strlen(id) != USCC_LEN)
		roster_csv_error(im, s->csv, line, col, "credit code \"%s\": "
		    "has %zu characters, not %d", id, strlen(id), USCC_LEN);
	else if (!uscc_valid(id, &expected) && expected == '\0')
		roster_csv_error(im, s->csv, line, col, "credit code \"%s\": "
		    "uses only 0-9 and A-Y without I, O, S, V, Z (upper case)",
		    id);
	else if (!uscc_valid(id, &expected))
		roster_csv_error(im, s->csv, line, col, "credit code \"%s\": "
		    "bad check character '%c', expected '%c'", id,
		    id[USCC_LEN - 1], expected);
	free(id);
}

/*
 * Link the enterprise id of row r to each officer its officers cell names
 * (officers: the officer keys, n of them): append id to their
 * "enterprises".
 */
static void
roster_csv_link(struct roster_csv_import *im, struct roster_csv_key *officers,
    size_t n, size_t r, const char *id)
{
	struct roster_csv_sheet *s = &im->sheets[ROSTER_CSV_ENTERPRISES];
	char *text = roster_csv_cell(s, r, "officers");
	cJSON *names = cJSON_CreateArray(), *name, *list, *last;
	struct roster_csv_key *k;
	int line = roster_csv_cell_line(s, r, "officers");
	int col = roster_csv_column_number(s, "officers");

	roster_csv_split(text, names);
	free(text);
	cJSON_ArrayForEach(name, names) {
		k = bsearch(name->valuestring, officers, n, sizeof *officers,
		    roster_csv_key_find);
		while (k != NULL && k > officers && strcmp(k[-1].id,
		    k->id) == 0)
			k--;
		if (k == NULL || k->entry == NULL) {
			roster_csv_error(im, s->csv, line, col, "指导员 "
			    "(officers): no officer \"%s\" in %s",
			    name->valuestring,
			    im->sheets[ROSTER_CSV_OFFICERS].csv->name);
			continue;
		}
		list = cJSON_GetObjectItem(k->entry, "enterprises");
		last = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1);
		if (last != NULL && strcmp(last->valuestring, id) == 0) {
			roster_csv_error(im, s->csv, line, col, "指导员 "
			    "(officers): \"%s\" named twice",
			    name->valuestring);
			continue;
		}
		cJSON_AddItemToArray(list, cJSON_CreateString(id));
	}
	cJSON_Delete(names);
}

/* Build "enterprises" from their sheet and link them to the officers. */
static void
roster_csv_enterprises(struct roster_csv_import *im, cJSON *root,
    struct roster_csv_key *officers, size_t nofficers)
{
	struct roster_csv_sheet *s = &im->sheets[ROSTER_CSV_ENTERPRISES];
	struct roster_csv_key *keys;
	cJSON *array, *entry;
	size_t r, n;
	char *id;

	keys = roster_csv_keys(im, s, "id", &n);
	roster_csv_keys_free(keys, n);
	array = cJSON_AddArrayToObject(root, "enterprises");
	for (r = 1; r < s->csv->nrows; r++) {
		roster_csv_check_row(im, s, r);
		roster_csv_check_code(im, r);
		entry = cJSON_CreateObject();
		cJSON_AddItemToArray(array, entry);
		roster_csv_add(entry, s, r, "id");
		roster_csv_add(entry, s, r, "name");
		roster_csv_add_word(im, entry, s, r, "kind", roster_csv_kinds);
		roster_csv_add_optional(entry, s, r, "area", "area");
		id = roster_csv_cell(s, r, "id");
		if (s->at[roster_csv_column_index(s, "officers")] != -1)
			roster_csv_link(im, officers, nofficers, r, id);
		free(id);
	}
}

/* Copy member key of base (a roster) into root; 0, or -1 if base lacks it. */
static int
roster_csv_from_base(cJSON *root, const cJSON *base, const char *key)
{
	const cJSON *item;

	if (base == NULL ||
	    (item = cJSON_GetObjectItemCaseSensitive(base, key)) == NULL)
		return -1;
	cJSON_AddItemToObject(root, key, cJSON_Duplicate(item, 1));
	return 0;
}

/* Build "zone" from the options, else from base. */
static int
roster_csv_zone(struct roster_csv_import *im,
    const struct roster_csv_input *in, cJSON *root)
{
	const cJSON *zone = NULL, *item;
	const char *name = in->zone_name, *tz = in->timezone;
	cJSON *z;

	if (in->base != NULL)
		zone = cJSON_GetObjectItemCaseSensitive(in->base, "zone");
	if (name == NULL && (item = cJSON_GetObjectItemCaseSensitive(zone,
	    "name")) != NULL && cJSON_IsString(item))
		name = item->valuestring;
	if (tz == NULL && (item = cJSON_GetObjectItemCaseSensitive(zone,
	    "timezone")) != NULL && cJSON_IsString(item))
		tz = item->valuestring;
	if (name == NULL)
		return roster_csv_fail(im, "no zone name: give --zone NAME or "
		    "--base ROSTER");
	z = cJSON_AddObjectToObject(root, "zone");
	cJSON_AddStringToObject(z, "name", name);
	cJSON_AddStringToObject(z, "timezone", tz != NULL ? tz :
	    ROSTER_CSV_TIMEZONE);
	return 0;
}

/*
 * Build the roster document from the sheets of in; leaders, departments
 * and topics without a sheet come from in->base. Return it, or NULL with
 * the problems kept in im.
 */
static cJSON *
roster_csv_build(struct roster_csv_import *im,
    const struct roster_csv_input *in)
{
	static const enum roster_csv_sheet_id from_base[] = {
		ROSTER_CSV_LEADERS, ROSTER_CSV_DEPARTMENTS, ROSTER_CSV_TOPICS
	};
	struct roster_csv_key *officers = NULL;
	enum roster_csv_sheet_id id;
	const char *name;
	cJSON *root = cJSON_CreateObject();
	size_t i, nofficers = 0;

	roster_csv_zone(im, in, root);
	for (i = 0; i < sizeof from_base / sizeof from_base[0]; i++) {
		id = from_base[i];
		name = roster_csv_sheet_name(id);
		if (im->sheets[id].csv != NULL) {
			if (id == ROSTER_CSV_LEADERS)
				roster_csv_leaders(im, root);
			else if (id == ROSTER_CSV_DEPARTMENTS)
				roster_csv_departments(im, root);
			else
				roster_csv_topics(im, root);
		} else if (roster_csv_from_base(root, in->base, name) != 0 &&
		    id != ROSTER_CSV_LEADERS)
			roster_csv_fail(im, "no %s: give --%s FILE or --base "
			    "ROSTER", name, name);
	}
	officers = roster_csv_officers(im, root, &nofficers);
	roster_csv_enterprises(im, root, officers, nofficers);
	roster_csv_keys_free(officers, nofficers);
	if (im->nproblems > 0) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/*
 * Turn a refusal of roster_parse ("roster: officers[3] "O004": email "x":
 * not a mail address") back into its sheet: "officers.csv:5:6: email "x":
 * not a mail address". Return the new message, or NULL when the entry did
 * not come from a sheet.
 */
static char *
roster_csv_locate(const struct roster_csv_import *im, const char *cause)
{
	const struct roster_csv_sheet *s = NULL;
	const struct csv_row *row;
	const char *p = cause, *rest;
	char field[64], *msg, *end;
	size_t id, len, k;
	unsigned long index;
	int column = 0, line;

	if (strncmp(p, "roster: ", 8) != 0)
		return NULL;
	p += 8;
	for (id = 0; id < ROSTER_CSV_NSHEETS; id++) {
		len = strlen(roster_csv_layouts[id].name);
		if (strncmp(p, roster_csv_layouts[id].name, len) == 0 &&
		    p[len] == '[') {
			s = &im->sheets[id];
			p += len + 1;
			break;
		}
	}
	if (s == NULL || s->csv == NULL || !isdigit((unsigned char)*p))
		return NULL;
	index = strtoul(p, &end, 10);
	if (*end != ']' || index + 1 >= s->csv->nrows)
		return NULL;
	if ((rest = strstr(end, ": ")) == NULL)
		return NULL;
	rest += 2;
	/* The field is the first word of the rest: "email", "departments[0]". */
	len = strcspn(rest, " :[");
	if (len < sizeof field) {
		memcpy(field, rest, len);
		field[len] = '\0';
		if (strcmp(field, "webhook") == 0)
			snprintf(field, sizeof field, "webhook_%s",
			    strstr(rest, "format") != NULL ? "format" :
			    strstr(rest, "secret") != NULL ? "secret" : "url");
		for (k = 0; s->layout->columns[k].key != NULL; k++) {
			if (strcmp(s->layout->columns[k].key, field) == 0)
				column = s->at[k] + 1;
		}
	}
	row = &s->csv->rows[index + 1];
	line = row->line;
	if (column > 0 && (size_t)(column - 1) < row->ncells)
		line = row->cells[column - 1].line;
	if (column > 0)
		xasprintf(&msg, "%s:%d:%d: %s", s->csv->name, line, column,
		    rest);
	else
		xasprintf(&msg, "%s:%d: %s", s->csv->name, line, rest);
	return msg;
}

/*
 * Build a roster from the sheets of in and check it with roster_parse.
 * Return its JSON text (formatted; the caller frees), or NULL with *cause
 * set: the problems found, one a line, each "FILE:LINE:COLUMN: what" (a
 * plain message when no sheet is at fault). Nothing is written anywhere.
 */
char *
roster_csv_import(const struct roster_csv_input *in, char **cause)
{
	struct roster_csv_import im;
	struct roster *roster;
	char *text, *located, *rcause = NULL;
	cJSON *root;
	size_t i;

	memset(&im, 0, sizeof im);
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++) {
		im.sheets[i].csv = in->sheets[i];
		im.sheets[i].layout = &roster_csv_layouts[i];
		if (in->sheets[i] != NULL)
			roster_csv_header(&im, &im.sheets[i]);
	}
	if (in->sheets[ROSTER_CSV_OFFICERS] == NULL ||
	    in->sheets[ROSTER_CSV_ENTERPRISES] == NULL)
		roster_csv_fail(&im, "the officers and enterprises sheets are "
		    "both needed");
	if (im.nproblems == 0)
		root = roster_csv_build(&im, in);
	if (im.nproblems > 0) {
		*cause = roster_csv_cause(&im);
		return NULL;
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if ((roster = roster_parse(text, strlen(text), "roster",
	    &rcause)) == NULL) {
		free(text);
		if ((located = roster_csv_locate(&im, rcause)) != NULL) {
			free(rcause);
			*cause = located;
		} else
			*cause = rcause;
		return NULL;
	}
	roster_free(roster);
	return text;
}

/* Write the cells of one row to f, quoted, with CRLF. */
static int
roster_csv_write_row(FILE *f, const char *const *cells, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0 && fputc(',', f) == EOF)
			return -1;
		if (csv_fwrite(f, cells[i], strlen(cells[i])) != 0)
			return -1;
	}
	return fputs("\r\n", f) == EOF ? -1 : 0;
}

/* Return the string member key of obj, or "" when it is absent. */
static const char *
roster_csv_get(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(item) ? item->valuestring : "";
}

/* Return a new string of the strings of array joined by ";". */
static char *
roster_csv_join(const cJSON *array)
{
	const cJSON *item;
	char *out = xstrdup(""), *next;

	cJSON_ArrayForEach(item, array) {
		if (!cJSON_IsString(item))
			continue;
		xasprintf(&next, "%s%s%s", out, *out ? ";" : "",
		    item->valuestring);
		free(out);
		out = next;
	}
	return out;
}

/* Return the sheet word of roster word w in words (w itself if none). */
static const char *
roster_csv_word(const char *const words[][2], const char *w)
{
	size_t i;

	for (i = 0; words[i][0] != NULL; i++) {
		if (strcmp(words[i][0], w) == 0)
			return words[i][1];
	}
	return w;
}

/*
 * Return the links of root: one key per (enterprise, officer) pair, the
 * enterprise's id with the officer's entry and index, sorted; *n of them.
 */
static struct roster_csv_key *
roster_csv_links(const cJSON *root, size_t *n)
{
	const cJSON *o, *e;
	struct roster_csv_key *links = NULL;
	size_t i = 0, alloc = 0;

	*n = 0;
	cJSON_ArrayForEach(o, cJSON_GetObjectItem(root, "officers")) {
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "enterprises")) {
			if (*n == alloc) {
				alloc = alloc ? alloc * 2 : 256;
				links = xreallocarray(links, alloc,
				    sizeof *links);
			}
			links[*n].id = xstrdup(e->valuestring);
			links[*n].row = i;
			links[*n].entry = (cJSON *)o;
			(*n)++;
		}
		i++;
	}
	if (*n > 0)
		qsort(links, *n, sizeof *links, roster_csv_key_cmp);
	return links;
}

/*
 * Return a new string: the ids (joined by ";", in sheet order) of the
 * officers that links say look after enterprise id.
 */
static char *
roster_csv_officers_of(const struct roster_csv_key *links, size_t n,
    const char *id)
{
	const struct roster_csv_key *k;
	char *out = xstrdup(""), *next;

	k = n > 0 ? bsearch(id, links, n, sizeof *links, roster_csv_key_find) :
	    NULL;
	if (k == NULL)
		return out;
	while (k > links && strcmp(k[-1].id, id) == 0)
		k--;
	for (; k < links + n && strcmp(k->id, id) == 0; k++) {
		xasprintf(&next, "%s%s%s", out, *out ? ";" : "",
		    roster_csv_get(k->entry, "id"));
		free(out);
		out = next;
	}
	return out;
}

/* Write the cells of one entry of sheet id from obj. */
static int
roster_csv_write_entry(FILE *f, enum roster_csv_sheet_id id,
    const struct roster_csv_key *links, size_t nlinks, const cJSON *obj)
{
	const struct roster_csv_column *cols = roster_csv_layouts[id].columns;
	const cJSON *webhook = cJSON_GetObjectItem(obj, "webhook");
	const char *cells[ROSTER_CSV_MAX_COLUMNS];
	char *owned[ROSTER_CSV_MAX_COLUMNS] = { NULL };
	const char *key;
	size_t k;
	int status;

	for (k = 0; (key = cols[k].key) != NULL; k++) {
		if (strcmp(key, "level") == 0)
			cells[k] = roster_csv_word(roster_csv_levels,
			    roster_csv_get(obj, key));
		else if (strcmp(key, "kind") == 0)
			cells[k] = roster_csv_word(roster_csv_kinds,
			    roster_csv_get(obj, key));
		else if (strncmp(key, "webhook_", 8) == 0)
			cells[k] = roster_csv_get(webhook, key + 8);
		else if (strcmp(key, "officers") == 0)
			cells[k] = owned[k] = roster_csv_officers_of(links,
			    nlinks, roster_csv_get(obj, "id"));
		else if (cJSON_IsArray(cJSON_GetObjectItem(obj, key)))
			cells[k] = owned[k] = roster_csv_join(
			    cJSON_GetObjectItem(obj, key));
		else
			cells[k] = roster_csv_get(obj, key);
	}
	status = roster_csv_write_row(f, cells, k);
	for (k = 0; k < ROSTER_CSV_MAX_COLUMNS; k++)
		free(owned[k]);
	return status;
}

/* Write sheet id of root into a new buffer; return 0 or -1. */
static int
roster_csv_write_sheet(enum roster_csv_sheet_id id, const cJSON *root,
    const struct roster_csv_key *links, size_t nlinks, char **out,
    size_t *outlen)
{
	const struct roster_csv_column *cols = roster_csv_layouts[id].columns;
	const char *cells[ROSTER_CSV_MAX_COLUMNS];
	const cJSON *entry;
	FILE *f;
	size_t k;
	int status = 0;

	if ((f = open_memstream(out, outlen)) == NULL)
		fatal("open_memstream");
	if (fputs("\xef\xbb\xbf", f) == EOF)
		status = -1;
	for (k = 0; cols[k].key != NULL; k++)
		cells[k] = cols[k].zh;
	if (roster_csv_write_row(f, cells, k) != 0)
		status = -1;
	cJSON_ArrayForEach(entry, cJSON_GetObjectItem(root,
	    roster_csv_layouts[id].name)) {
		if (roster_csv_write_entry(f, id, links, nlinks, entry) != 0)
			status = -1;
	}
	if (fclose(f) != 0)
		status = -1;
	return status;
}

/*
 * Return the number of officers of root whose enterprises are not in the
 * order of the enterprise sheet (an import lists them in that order).
 */
static size_t
roster_csv_reordered(const cJSON *root)
{
	const cJSON *o, *e, *list = cJSON_GetObjectItem(root, "enterprises");
	struct roster_csv_key *keys, *k;
	size_t n = 0, i = 0, count;
	long last;

	count = (size_t)cJSON_GetArraySize(list);
	keys = xcalloc(count + 1, sizeof *keys);
	cJSON_ArrayForEach(e, list) {
		keys[i].id = xstrdup(roster_csv_get(e, "id"));
		keys[i].row = i;
		i++;
	}
	qsort(keys, count, sizeof *keys, roster_csv_key_cmp);
	cJSON_ArrayForEach(o, cJSON_GetObjectItem(root, "officers")) {
		last = -1;
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "enterprises")) {
			k = bsearch(e->valuestring, keys, count, sizeof *keys,
			    roster_csv_key_find);
			if (k != NULL && (long)k->row < last) {
				n++;
				break;
			}
			if (k != NULL)
				last = (long)k->row;
		}
	}
	roster_csv_keys_free(keys, count);
	return n;
}

/*
 * Write the sheets of the roster text (len bytes, named name) into out[]
 * (one buffer per sheet, out[i] of outlen[i] bytes; the caller frees them)
 * after checking it with roster_parse. *reordered is the number of officers
 * whose enterprises an import would list in another order. Return 0, or -1
 * with *cause set.
 */
int
roster_csv_export(const char *text, size_t len, const char *name,
    char *out[ROSTER_CSV_NSHEETS], size_t outlen[ROSTER_CSV_NSHEETS],
    size_t *reordered, char **cause)
{
	struct roster_csv_key *links;
	struct roster *roster;
	cJSON *root;
	size_t i, nlinks;

	for (i = 0; i < ROSTER_CSV_NSHEETS; i++)
		out[i] = NULL;
	if ((roster = roster_parse(text, len, name, cause)) == NULL)
		return -1;
	roster_free(roster);
	if ((root = cJSON_ParseWithLength(text, len)) == NULL) {
		xasprintf(cause, "%s: not valid JSON", name);
		return -1;
	}
	links = roster_csv_links(root, &nlinks);
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++) {
		if (roster_csv_write_sheet(i, root, links, nlinks, &out[i],
		    &outlen[i]) != 0) {
			xasprintf(cause, "%s: cannot write the %s sheet", name,
			    roster_csv_sheet_name(i));
			for (; i != (size_t)-1; i--) {
				free(out[i]);
				out[i] = NULL;
			}
			roster_csv_keys_free(links, nlinks);
			cJSON_Delete(root);
			return -1;
		}
	}
	roster_csv_keys_free(links, nlinks);
	*reordered = roster_csv_reordered(root);
	cJSON_Delete(root);
	return 0;
}
