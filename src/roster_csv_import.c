/*
 * roster_csv_import.c -- sheets read by csv_read.c (roster_csv.c defines
 * them) into roster JSON, every problem reported as "FILE:LINE:COLUMN:
 * what".
 *
 * Import checks what only the sheets can say where it went wrong (columns,
 * empty required cells, duplicate ids, credit codes, links to officers),
 * collecting every problem rather than stopping at the first, and reports
 * the first of them in sheet, line and column order. Each entry made from
 * a row goes, as a cJSON tree, to roster_json.c's checks (the rules a
 * roster is loaded by, so no roster rule is written twice) and is printed
 * to the caller's writer; it is never printed and read back. A refusal
 * from there names an entry ("officers[3] ...: email ...") and is turned
 * back into the sheet, line and column that entry came from
 * (roster_csv_import_locate).
 *
 * A sheet not given (leaders, departments, topics) comes from a base
 * roster, and the zone from the options or the base. The text is never
 * held whole (a province's is 150 MB): the officers' links are found
 * first (a pass over the enterprise sheet's 指导员 column), then the
 * officers and the enterprises are made, checked and printed a row at a
 * time, in the order of the text. The cells are trimmed in place once and
 * then referred to, never copied: the sheets are the import's to change.
 *
 * Some 1,300 lines because one row reader, driven by roster_csv.c's column
 * table, serves all six sheets; the rest is the problems' bookkeeping.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"

#define ROSTER_CSV_IMPORT_MAX_PROBLEMS 20   /* reported; the rest counted */
#define ROSTER_CSV_IMPORT_CHUNK (256 * 1024) /* the text handed on at a time */
#define ROSTER_CSV_IMPORT_ENTRY (64 * 1024)  /* an entry printed, mostly */

/* Separators inside a list cell (ids, emails, keywords). */
static const char *const roster_csv_import_separators[] = {
	";", "；", ",", "，", "、", "\n", "\r", NULL
};

/* A sheet with its header read: where each layout column is. */
struct roster_csv_import_sheet {
	struct csv_sheet *csv;
	const struct roster_csv_layout *layout;
	int at[ROSTER_CSV_MAX_COLUMNS];   /* cell index of column, or -1 */
};

/* A slot of a sheet's hashed ids: the first row with the id (0: empty)
 * and its hash's high bits, so that an id is compared only with ids
 * likely to be it (the cells are all over memory). */
struct roster_csv_import_slot {
	uint32_t row;
	uint32_t tag;
};

/* A sheet's ids, hashed. */
struct roster_csv_import_ids {
	const struct roster_csv_import_sheet *s;
	struct roster_csv_import_slot *slots;
	size_t mask;
};

/* One problem found, kept if it is among the first in sheet and line
 * order. */
struct roster_csv_import_problem {
	int sheet;               /* enum roster_csv_sheet_id; -1: no sheet */
	int line;
	int column;
	size_t seq;              /* the order it was found in */
	char *text;              /* the whole message */
};

/* The enterprise rows one officer looks after, in sheet order. */
struct roster_csv_import_links {
	uint32_t *rows;
	size_t n;
	size_t alloc;
};

/* Where the text goes: the caller's writer, ROSTER_CSV_IMPORT_CHUNK
 * bytes at a time (an entry is printed in pieces of a few hundred). */
struct roster_csv_import_out {
	roster_csv_writer *write;
	void *arg;
	char *buf;
	size_t len;
};

/* State of one import. */
struct roster_csv_import_state {
	struct roster_csv_import_sheet sheets[ROSTER_CSV_NSHEETS];
	/* The first ROSTER_CSV_IMPORT_MAX_PROBLEMS problems in sheet, line
	 * and column order, of all found: the ones told. */
	struct roster_csv_import_problem problems[ROSTER_CSV_IMPORT_MAX_PROBLEMS];
	size_t nkept;
	size_t nproblems;        /* found, kept or not */
	struct roster_csv_import_ids officers;  /* for links */
	/* Per officer row, the enterprise rows that name the officer: a
	 * million links are an integer each until an officer is printed. */
	struct roster_csv_import_links *links;
	size_t nlinks;
	/* The roster's checks, fed each entry as it is made. */
	struct roster_json *check;
	/* The items of the officer or enterprise being made (pooled set):
	 * made and dropped a million times, they are never malloc'ed. */
	struct roster_items items;
	int pooled;
	struct roster_csv_import_out out;
	/* An entry's text, and indented: made again entry after entry. */
	char *printed;
	char *indented;
	size_t indentedlen;
};

/* --- problems ------------------------------------------------------------ */

static int roster_csv_import_problem_cmp(const void *, const void *);

/*
 * Keep a problem (text is handed over) if it is among the first
 * ROSTER_CSV_IMPORT_MAX_PROBLEMS found so far in sheet, line and column
 * order: the last of those kept gives way to it.
 */
static void
roster_csv_import_keep(struct roster_csv_import_state *im, int sheet,
    int line, int column, char *text)
{
	struct roster_csv_import_problem p, *last = NULL;
	size_t i;

	p.sheet = sheet;
	p.line = line;
	p.column = column;
	p.seq = im->nproblems++;
	p.text = text;
	if (im->nkept < ROSTER_CSV_IMPORT_MAX_PROBLEMS) {
		im->problems[im->nkept++] = p;
		return;
	}
	for (i = 0; i < im->nkept; i++) {
		if (last == NULL ||
		    roster_csv_import_problem_cmp(&im->problems[i], last) > 0)
			last = &im->problems[i];
	}
	if (roster_csv_import_problem_cmp(&p, last) > 0) {
		free(text);
		return;
	}
	free(last->text);
	*last = p;
}

/*
 * Add "FILE:LINE:COLUMN: what" (no column when column is 0) to the problems
 * of the import; with csv NULL, a plain "what" that no sheet is at fault
 * for. Return -1.
 */
static int
roster_csv_import_error(struct roster_csv_import_state *im,
    const struct csv_sheet *csv, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
roster_csv_import_error(struct roster_csv_import_state *im,
    const struct csv_sheet *csv, int line, int column, const char *fmt, ...)
{
	char what[1024], *text;
	va_list ap;
	int sheet;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (csv == NULL) {
		roster_csv_import_keep(im, -1, 0, 0, xstrdup(what));
		return -1;
	}
	if (column > 0)
		xasprintf(&text, "%s:%d:%d: %s", csv->name, line, column, what);
	else
		xasprintf(&text, "%s:%d: %s", csv->name, line, what);
	for (sheet = 0; sheet < ROSTER_CSV_NSHEETS; sheet++) {
		if (im->sheets[sheet].csv == csv)
			break;
	}
	roster_csv_import_keep(im, sheet, line, column, text);
	return -1;
}

static int
roster_csv_import_problem_cmp(const void *a, const void *b)
{
	const struct roster_csv_import_problem *x = a, *y = b;

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
 * first ROSTER_CSV_IMPORT_MAX_PROBLEMS, then how many more. Frees them.
 */
static char *
roster_csv_import_cause(struct roster_csv_import_state *im)
{
	char *out = NULL, *next;
	size_t i;

	qsort(im->problems, im->nkept, sizeof *im->problems,
	    roster_csv_import_problem_cmp);
	for (i = 0; i < im->nkept; i++) {
		xasprintf(&next, "%s%s%s", out ? out : "", out ? "\n" : "",
		    im->problems[i].text);
		free(out);
		out = next;
		free(im->problems[i].text);
	}
	im->nkept = 0;
	if (im->nproblems > ROSTER_CSV_IMPORT_MAX_PROBLEMS) {
		xasprintf(&next, "%s\n... and %zu more problems", out,
		    im->nproblems - ROSTER_CSV_IMPORT_MAX_PROBLEMS);
		free(out);
		out = next;
	}
	return out;
}

/* --- headers and cells --------------------------------------------------- */

/* Return 1 if header cell text names column c (Chinese or English). */
static int
roster_csv_import_header_is(const char *text,
    const struct roster_csv_column *c)
{
	return strcmp(text, c->zh) == 0 || strcasecmp(text, c->key) == 0;
}

/* Copy s without leading and trailing blanks into a new string. */
static char *
roster_csv_import_trim(const char *s)
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
roster_csv_import_header(struct roster_csv_import_state *im,
    struct roster_csv_import_sheet *s)
{
	const struct roster_csv_column *cols = s->layout->columns;
	const struct csv_row *header;
	char *text, expected[512];
	size_t i, k, len = 0;
	int status = 0;

	for (k = 0; k < ROSTER_CSV_MAX_COLUMNS; k++)
		s->at[k] = -1;
	if (s->csv->nrows == 0)
		return roster_csv_import_error(im, NULL, 0, 0, "%s: empty: "
		    "expected a header row", s->csv->name);
	header = &s->csv->rows[0];
	expected[0] = '\0';
	for (k = 0; cols[k].key != NULL; k++)
		len += (size_t)snprintf(expected + len, sizeof expected - len,
		    "%s%s/%s", k ? ", " : "", cols[k].zh, cols[k].key);
	for (i = 0; i < header->ncells; i++) {
		text = roster_csv_import_trim(header->cells[i].text);
		for (k = 0; cols[k].key != NULL; k++) {
			if (roster_csv_import_header_is(text, &cols[k]))
				break;
		}
		if (cols[k].key == NULL && strcmp(text, "序号") != 0 &&
		    strcasecmp(text, "no") != 0)
			status = roster_csv_import_error(im, s->csv,
			    header->cells[i].line, (int)i + 1, "unknown column "
			    "\"%s\" (the columns are %s)", text, expected);
		else if (cols[k].key != NULL && s->at[k] != -1)
			status = roster_csv_import_error(im, s->csv,
			    header->cells[i].line, (int)i + 1, "column %s/%s "
			    "given twice (also column %d)", cols[k].zh,
			    cols[k].key, s->at[k] + 1);
		else if (cols[k].key != NULL)
			s->at[k] = (int)i;
		free(text);
	}
	for (k = 0; cols[k].key != NULL; k++) {
		if (cols[k].required && s->at[k] == -1)
			status = roster_csv_import_error(im, s->csv,
			    header->line, 0, "missing column %s/%s", cols[k].zh,
			    cols[k].key);
	}
	return status;
}

/* Return the 1-based spreadsheet column of key in sheet s (0: absent). */
static int
roster_csv_import_column(const struct roster_csv_import_sheet *s,
    const char *key)
{
	size_t k;

	/* Callers mostly pass the layout's own key: no strcmp then. */
	for (k = 0; s->layout->columns[k].key != NULL; k++) {
		if (s->layout->columns[k].key == key)
			return s->at[k] + 1;
	}
	for (k = 0; s->layout->columns[k].key != NULL; k++) {
		if (strcmp(s->layout->columns[k].key, key) == 0)
			return s->at[k] + 1;
	}
	fatalx("%s: no column %s", s->layout->name, key);
}

/* Return the cell of column key in row r of sheet s, or NULL if none. */
static const struct csv_cell *
roster_csv_import_cell_at(const struct roster_csv_import_sheet *s, size_t r,
    const char *key)
{
	const struct csv_row *row = &s->csv->rows[r];
	int column = roster_csv_import_column(s, key);

	if (column == 0 || (size_t)column > row->ncells)
		return NULL;
	return &row->cells[column - 1];
}

/*
 * Trim the cells of the layout's columns in the data rows of s in place:
 * each is read where it is from then on (roster_csv_import_cell). Cells
 * right of the header's columns are left as they are. Trimming twice
 * changes nothing.
 */
static void
roster_csv_import_trim_cells(struct roster_csv_import_sheet *s)
{
	const struct roster_csv_column *cols = s->layout->columns;
	struct csv_row *row;
	char *text;
	size_t r, k, len;

	for (r = 1; r < s->csv->nrows; r++) {
		row = &s->csv->rows[r];
		for (k = 0; cols[k].key != NULL; k++) {
			if (s->at[k] == -1 || (size_t)s->at[k] >= row->ncells)
				continue;
			text = row->cells[s->at[k]].text;
			text += strspn(text, " \t");
			len = strlen(text);
			while (len > 0 && (text[len - 1] == ' ' ||
			    text[len - 1] == '\t'))
				len--;
			text[len] = '\0';
			row->cells[s->at[k]].text = text;
		}
	}
}

/*
 * Return the trimmed cell of column key in row r (data rows from 1) of
 * sheet s, in the sheet (roster_csv_import_trim_cells); "" when the
 * column or the cell is absent.
 */
static const char *
roster_csv_import_cell(const struct roster_csv_import_sheet *s, size_t r,
    const char *key)
{
	const struct csv_cell *cell = roster_csv_import_cell_at(s, r, key);

	return cell != NULL ? cell->text : "";
}

/* Return the line of the cell of column key in row r (its row's if none). */
static int
roster_csv_import_line(const struct roster_csv_import_sheet *s, size_t r,
    const char *key)
{
	const struct csv_cell *cell = roster_csv_import_cell_at(s, r, key);

	return cell != NULL ? cell->line : s->csv->rows[r].line;
}

/*
 * Check row r of sheet s: no text beyond the header's columns, every
 * required cell filled. Return 0 or -1.
 */
static int
roster_csv_import_check_row(struct roster_csv_import_state *im,
    const struct roster_csv_import_sheet *s, size_t r)
{
	const struct csv_row *row = &s->csv->rows[r];
	const struct roster_csv_column *cols = s->layout->columns;
	size_t i, k, width = s->csv->rows[0].ncells;
	int status = 0;

	for (i = width; i < row->ncells; i++) {
		if (row->cells[i].text[0] != '\0') {
			status = roster_csv_import_error(im, s->csv,
			    row->cells[i].line, (int)i + 1, "a cell right of "
			    "the last column (%zu columns in the header)",
			    width);
			break;
		}
	}
	for (k = 0; cols[k].key != NULL; k++) {
		if (!cols[k].required || s->at[k] == -1)
			continue;
		if (*roster_csv_import_cell(s, r, cols[k].key) == '\0')
			status = roster_csv_import_error(im, s->csv,
			    roster_csv_import_line(s, r, cols[k].key),
			    s->at[k] + 1, "%s (%s): must not be empty",
			    cols[k].zh, cols[k].key);
	}
	return status;
}

/* The tag of a slot: the high bits of its id's hash. */
#define ROSTER_CSV_IMPORT_TAG(h) ((uint32_t)((uint64_t)(h) >> 32))

/* Return the slot of id (hash h) in ids: where it is, or the empty one
 * it goes in. */
static struct roster_csv_import_slot *
roster_csv_import_ids_slot(const struct roster_csv_import_ids *ids,
    const char *id, size_t h)
{
	struct roster_csv_import_slot *slot;
	size_t at;

	for (at = h & ids->mask;; at = (at + 1) & ids->mask) {
		slot = &ids->slots[at];
		if (slot->row == 0 || (slot->tag == ROSTER_CSV_IMPORT_TAG(h) &&
		    strcmp(roster_csv_import_cell(ids->s, slot->row, "id"),
		    id) == 0))
			return slot;
	}
}

/*
 * Hash the ids (column "id") of the rows of sheet s into ids, the first
 * row of each kept; report each row that repeats an earlier row's id,
 * naming the row before it with that id. A hash, not a sort: a million
 * ids compared by strcmp, all over the sheet's memory, were a tenth of a
 * province's import. Free with roster_csv_import_ids_free.
 */
static void
roster_csv_import_ids(struct roster_csv_import_state *im,
    const struct roster_csv_import_sheet *s, struct roster_csv_import_ids *ids)
{
	struct roster_csv_import_slot *slot;
	uint32_t *last, prev;
	const char *id;
	size_t r, h, size = 16;

	while (size < 2 * s->csv->nrows)
		size *= 2;
	ids->s = s;
	ids->mask = size - 1;
	ids->slots = xcalloc(size, sizeof *ids->slots);
	/* last[first row with an id]: the latest row with it, if another. */
	last = xcalloc(s->csv->nrows, sizeof *last);
	for (r = 1; r < s->csv->nrows; r++) {
		if (*(id = roster_csv_import_cell(s, r, "id")) == '\0')
			continue;	/* reported as empty */
		h = util_hash(id);
		slot = roster_csv_import_ids_slot(ids, id, h);
		if (slot->row == 0) {
			slot->row = (uint32_t)r;
			slot->tag = ROSTER_CSV_IMPORT_TAG(h);
			continue;
		}
		prev = last[slot->row] != 0 ? last[slot->row] : slot->row;
		roster_csv_import_error(im, s->csv, roster_csv_import_line(s, r,
		    "id"), roster_csv_import_column(s, "id"), "duplicate id "
		    "\"%s\" (also on line %d)", id,
		    roster_csv_import_line(s, prev, "id"));
		last[slot->row] = (uint32_t)r;
	}
	free(last);
}

/* Return the first row of sheet ids->s with id, or 0 if none. */
static size_t
roster_csv_import_ids_find(const struct roster_csv_import_ids *ids,
    const char *id)
{
	return roster_csv_import_ids_slot(ids, id, util_hash(id))->row;
}

static void
roster_csv_import_ids_free(struct roster_csv_import_ids *ids)
{
	free(ids->slots);
	ids->slots = NULL;
}

/* --- cells into fields --------------------------------------------------- */

/*
 * Return the length of the separator at p (roster_csv_import_separators),
 * or 0 if none starts there.
 */
static size_t
roster_csv_import_separator(const char *p)
{
	const char *const *sep;
	size_t len;

	for (sep = roster_csv_import_separators; *sep != NULL; sep++) {
		len = strlen(*sep);
		if (strncmp(p, *sep, len) == 0)
			return len;
	}
	return 0;
}

/*
 * Return the first bytes of the separators, for strcspn: a million link
 * cells are skipped to their end without a separator tried at each byte.
 */
static const char *
roster_csv_import_separator_starts(void)
{
	static char starts[sizeof roster_csv_import_separators /
	    sizeof roster_csv_import_separators[0]];
	const char *const *sep;
	size_t n = 0;

	if (starts[0] != '\0')
		return starts;
	for (sep = roster_csv_import_separators; *sep != NULL; sep++) {
		if (strchr(starts, (*sep)[0]) == NULL)
			starts[n++] = (*sep)[0];
	}
	return starts;
}

/*
 * Return the next word of the list cell at *p, trimmed, in *word (grown
 * as need be; the caller frees it), and move *p past it and its
 * separator; NULL at the end of the cell. A word may be "" (two
 * separators in a row).
 */
static const char *
roster_csv_import_next_word(const char **p, char **word, size_t *alloc)
{
	const char *start = *p, *end;
	size_t n = 0, seplen = 0;

	if (*start == '\0')
		return NULL;
	for (end = start; *(end += strcspn(end,
	    roster_csv_import_separator_starts())) != '\0'; end++) {
		if ((seplen = roster_csv_import_separator(end)) > 0)
			break;
	}
	*p = end + seplen;
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	n = (size_t)(end - start);
	if (n + 1 > *alloc) {
		*alloc = n + 1 < 64 ? 64 : n + 1;
		*word = xreallocarray(*word, *alloc, 1);
	}
	memcpy(*word, start, n);
	(*word)[n] = '\0';
	return *word;
}

/* Split a list cell at any of the separators; add the words to a. */
static void
roster_csv_import_split(const char *cell, cJSON *a)
{
	const char *p = cell, *word;
	char *buf = NULL;
	size_t alloc = 0;

	while ((word = roster_csv_import_next_word(&p, &buf, &alloc)) != NULL) {
		if (*word != '\0')
			cJSON_AddItemToArray(a, cJSON_CreateString(word));
	}
	free(buf);
}

/*
 * Return a string item referring to text (not copied): from im->items
 * while an officer or an enterprise is made (im->pooled), else cJSON's.
 */
static cJSON *
roster_csv_import_string(struct roster_csv_import_state *im,
    const char *text)
{
	if (im->pooled)
		return roster_items_string(&im->items, text);
	return cJSON_CreateStringReference(text);
}

/*
 * Add field to obj from the cell of column key in row r; an empty cell
 * only when always is set. The item refers to the cell and to field (the
 * layout's): nothing is copied.
 */
static void
roster_csv_import_text(struct roster_csv_import_state *im, cJSON *obj,
    const struct roster_csv_import_sheet *s, size_t r, const char *key,
    const char *field, int always)
{
	const char *text = roster_csv_import_cell(s, r, key);

	if (*text != '\0' || always)
		cJSON_AddItemToObjectCS(obj, field,
		    roster_csv_import_string(im, text));
}

/* Add list field key from the cell of column key in row r. */
static void
roster_csv_import_list(cJSON *obj, const struct roster_csv_import_sheet *s,
    size_t r, const char *key)
{
	roster_csv_import_split(roster_csv_import_cell(s, r, key),
	    cJSON_AddArrayToObject(obj, key));
}

/*
 * Add field col->key: the cell of that column in row r translated through
 * col->words (roster word, sheet word; either is accepted). Return 0 or -1.
 */
static int
roster_csv_import_word(struct roster_csv_import_state *im, cJSON *obj,
    const struct roster_csv_import_sheet *s, size_t r,
    const struct roster_csv_column *col)
{
	const char *const (*words)[2] = col->words;
	const char *text = roster_csv_import_cell(s, r, col->key);
	char list[256];
	size_t i, len = 0;

	for (i = 0; words[i][0] != NULL; i++) {
		if (strcmp(text, words[i][0]) == 0 ||
		    strcmp(text, words[i][1]) == 0) {
			cJSON_AddItemToObjectCS(obj, col->key,
			    roster_csv_import_string(im, words[i][0]));
			return 0;
		}
	}
	list[0] = '\0';
	for (i = 0; words[i][0] != NULL; i++)
		len += (size_t)snprintf(list + len, sizeof list - len,
		    "%s%s (%s)", i ? ", " : "", words[i][1], words[i][0]);
	if (*text != '\0')
		roster_csv_import_error(im, s->csv, roster_csv_import_line(s, r,
		    col->key), roster_csv_import_column(s, col->key), "%s "
		    "\"%s\": must be one of %s", col->key, text, list);
	return -1;
}

/* Check the credit code in column key of row r of sheet s. */
static void
roster_csv_import_check_code(struct roster_csv_import_state *im,
    const struct roster_csv_import_sheet *s, size_t r, const char *key)
{
	const char *id = roster_csv_import_cell(s, r, key);
	char expected;

	if (*id == '\0' || uscc_valid(id, &expected))
		return;	/* an empty one is reported as empty */
	if (strlen(id) != USCC_LEN)
		roster_csv_import_error(im, s->csv, roster_csv_import_line(s, r,
		    key), roster_csv_import_column(s, key), "credit code "
		    "\"%s\": has %zu characters, not %d", id, strlen(id),
		    USCC_LEN);
	else if (expected == '\0')
		roster_csv_import_error(im, s->csv, roster_csv_import_line(s, r,
		    key), roster_csv_import_column(s, key), "credit code "
		    "\"%s\": uses only 0-9 and A-Y without I, O, S, V, Z (upper "
		    "case)", id);
	else
		roster_csv_import_error(im, s->csv, roster_csv_import_line(s, r,
		    key), roster_csv_import_column(s, key), "credit code "
		    "\"%s\": bad check character '%c', expected '%c'", id,
		    id[USCC_LEN - 1], expected);
}

/*
 * Link the enterprise of row r of sheet s to each officer its cell of
 * column col names: add the row to the officer's links (im->links). Nothing
 * when the sheet has no such column.
 */
static void
roster_csv_import_link(struct roster_csv_import_state *im,
    const struct roster_csv_import_sheet *s, size_t r,
    const struct roster_csv_column *col, char **word, size_t *alloc)
{
	const char *officers = im->sheets[ROSTER_CSV_OFFICERS].csv->name;
	int line, column = roster_csv_import_column(s, col->key);
	struct roster_csv_import_links *l;
	size_t k;
	const char *p, *name, *id;

	if (column == 0)
		return;
	line = roster_csv_import_line(s, r, col->key);
	p = roster_csv_import_cell(s, r, col->key);
	id = roster_csv_import_cell(s, r, "id");
	while ((name = roster_csv_import_next_word(&p, word, alloc)) != NULL) {
		if (*name == '\0')
			continue;
		/* Duplicates were reported; the first row wins the key. */
		k = roster_csv_import_ids_find(&im->officers, name);
		if (k == 0) {
			roster_csv_import_error(im, s->csv, line, column, "%s "
			    "(%s): no officer \"%s\" in %s", col->zh, col->key,
			    name, officers);
			continue;
		}
		l = &im->links[k];
		if (l->n > 0 && strcmp(roster_csv_import_cell(s,
		    l->rows[l->n - 1], "id"), id) == 0) {
			roster_csv_import_error(im, s->csv, line, column,
			    "%s (%s): \"%s\" named twice", col->zh, col->key,
			    name);
			continue;
		}
		if (l->n == l->alloc) {
			l->alloc = l->alloc ? l->alloc * 2 : 4;
			l->rows = xreallocarray(l->rows, l->alloc,
			    sizeof *l->rows);
		}
		l->rows[l->n++] = (uint32_t)r;
	}
}

/*
 * Find every officer's enterprises: a pass over the enterprise sheet's
 * link column (roster_csv_import_link), before any officer is printed.
 */
static void
roster_csv_import_links(struct roster_csv_import_state *im)
{
	const struct roster_csv_import_sheet *s =
	    &im->sheets[ROSTER_CSV_ENTERPRISES];
	const struct roster_csv_column *col;
	char *word = NULL;
	size_t r, alloc = 0;

	im->links = xcalloc(im->sheets[ROSTER_CSV_OFFICERS].csv->nrows,
	    sizeof *im->links);
	im->nlinks = im->sheets[ROSTER_CSV_OFFICERS].csv->nrows;
	for (col = s->layout->columns; col->key != NULL; col++) {
		if (col->kind != ROSTER_CSV_LINK)
			continue;
		for (r = 1; r < s->csv->nrows; r++)
			roster_csv_import_link(im, s, r, col, &word, &alloc);
	}
	free(word);
}

/* --- sheets into the roster ---------------------------------------------- */

/*
 * Fill entry from row r of sheet s, column by column. A list or a
 * webhook is made of cJSON's own items (the word copied, the webhook's
 * name): none is in a pooled entry's sheet.
 */
static void
roster_csv_import_row(struct roster_csv_import_state *im,
    const struct roster_csv_import_sheet *s, size_t r, cJSON *entry)
{
	const struct roster_csv_column *col;
	cJSON *webhook = NULL;
	const char *key;

	for (col = s->layout->columns; (key = col->key) != NULL; col++) {
		if (im->pooled && (col->kind == ROSTER_CSV_LIST ||
		    col->kind == ROSTER_CSV_WEBHOOK))
			fatalx("roster_csv_import_row: %s: a list or a webhook "
			    "in a pooled entry", key);
		switch (col->kind) {
		case ROSTER_CSV_CODE:
			roster_csv_import_check_code(im, s, r, key);
			roster_csv_import_text(im, entry, s, r, key, key, 1);
			break;
		case ROSTER_CSV_TEXT:
			roster_csv_import_text(im, entry, s, r, key, key,
			    col->required);
			break;
		case ROSTER_CSV_LIST:
			roster_csv_import_list(entry, s, r, key);
			break;
		case ROSTER_CSV_WORD:
			roster_csv_import_word(im, entry, s, r, col);
			break;
		case ROSTER_CSV_WEBHOOK:
			if (webhook == NULL)
				webhook = cJSON_CreateObject();
			roster_csv_import_text(im, webhook, s, r, key,
			    key + strlen("webhook_"), 0);
			break;
		case ROSTER_CSV_LINK:
			break;	/* linked before: roster_csv_import_links */
		}
	}
	if (webhook != NULL && webhook->child != NULL)
		cJSON_AddItemToObject(entry, "webhook", webhook);
	else
		cJSON_Delete(webhook);
}

static void roster_csv_import_emit(struct roster_csv_import_out *,
    const char *, size_t);

/*
 * Print an entry as cJSON_Print prints it inside the root's array: after
 * ", " unless first, each line indented two more tabs; in one piece, made
 * in buffers of im's used again (a million entries are not a million
 * cJSON_Print allocations and a put a line).
 */
static void
roster_csv_import_print(struct roster_csv_import_state *im,
    const cJSON *entry, int first)
{
	char *text, *p, *q, *nl;
	size_t need, len;

	if (im->printed == NULL)
		im->printed = xmalloc(ROSTER_CSV_IMPORT_ENTRY);
	text = im->printed;
	if (!cJSON_PrintPreallocated((cJSON *)entry, text,
	    ROSTER_CSV_IMPORT_ENTRY, 1) && (text = cJSON_Print(entry)) == NULL)
		fatalx("roster_csv_import_print: cJSON_Print failed");
	/* ", " and, at worst, every byte a newline given two tabs. */
	need = 2 + 3 * strlen(text);
	if (need > im->indentedlen) {
		im->indentedlen = need;
		im->indented = xreallocarray(im->indented, need, 1);
	}
	q = im->indented;
	if (!first) {
		*q++ = ',';
		*q++ = ' ';
	}
	for (p = text; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		memcpy(q, p, (size_t)(nl - p));
		q += nl - p;
		memcpy(q, "\n\t\t", 3);
		q += 3;
	}
	len = strlen(p);
	memcpy(q, p, len);
	q += len;
	roster_csv_import_emit(&im->out, im->indented,
	    (size_t)(q - im->indented));
	if (text != im->printed)
		free(text);
}

/*
 * Add the array of sheet id (departments, topics, leaders: a few rows) to
 * root: one entry a data row, each row checked, then filled column by
 * column; an id given twice is reported.
 */
static void
roster_csv_import_rows(struct roster_csv_import_state *im, cJSON *root,
    enum roster_csv_sheet_id id)
{
	struct roster_csv_import_sheet *s = &im->sheets[id];
	struct roster_csv_import_ids ids;
	cJSON *array, *entry;
	size_t r;

	if (strcmp(s->layout->columns[0].key, "id") == 0) {
		roster_csv_import_ids(im, s, &ids);
		roster_csv_import_ids_free(&ids);
	}
	array = cJSON_AddArrayToObject(root, s->layout->name);
	for (r = 1; r < s->csv->nrows; r++) {
		roster_csv_import_check_row(im, s, r);
		entry = cJSON_CreateObject();
		roster_csv_import_row(im, s, r, entry);
		cJSON_AddItemToArray(array, entry);
	}
}

/* Copy member key of base (a roster) into root; 0, or -1 if base lacks it. */
static int
roster_csv_import_from_base(cJSON *root, const cJSON *base, const char *key)
{
	const cJSON *item;

	if (base == NULL ||
	    (item = cJSON_GetObjectItemCaseSensitive(base, key)) == NULL)
		return -1;
	cJSON_AddItemToObject(root, key, cJSON_Duplicate(item, 1));
	return 0;
}

/* Build "zone" from the options, else from base (leaders_webhook from base). */
static int
roster_csv_import_zone(struct roster_csv_import_state *im,
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
		return roster_csv_import_error(im, NULL, 0, 0, "no zone name: "
		    "give --zone NAME or --base ROSTER");
	z = cJSON_AddObjectToObject(root, "zone");
	cJSON_AddStringToObject(z, "name", name);
	cJSON_AddStringToObject(z, "timezone", tz != NULL ? tz :
	    ROSTER_CSV_TIMEZONE);
	/* The leaders' webhook (trend alerts) has no sheet: base's stays. */
	if ((item = cJSON_GetObjectItemCaseSensitive(zone,
	    "leaders_webhook")) != NULL)
		cJSON_AddItemToObject(z, "leaders_webhook",
		    cJSON_Duplicate(item, 1));
	return 0;
}

/*
 * Build the roster document from the sheets of in, less the officers'
 * and enterprises' entries (their arrays empty, last): leaders,
 * departments and topics without a sheet come from in->base. The
 * officers' ids are kept (im->officers) and their links found
 * (im->links). Return it; the problems found are kept in im.
 */
static cJSON *
roster_csv_import_build(struct roster_csv_import_state *im,
    const struct roster_csv_input *in)
{
	static const enum roster_csv_sheet_id from_base[] = {
		ROSTER_CSV_LEADERS, ROSTER_CSV_DEPARTMENTS, ROSTER_CSV_TOPICS
	};
	enum roster_csv_sheet_id id;
	const char *name;
	cJSON *root = cJSON_CreateObject();
	struct roster_csv_import_ids ids;
	size_t i;

	roster_csv_import_zone(im, in, root);
	for (i = 0; i < sizeof from_base / sizeof from_base[0]; i++) {
		id = from_base[i];
		name = roster_csv_sheet_name(id);
		if (im->sheets[id].csv != NULL)
			roster_csv_import_rows(im, root, id);
		else if (roster_csv_import_from_base(root, in->base,
		    name) != 0 && id != ROSTER_CSV_LEADERS)
			roster_csv_import_error(im, NULL, 0, 0, "no %s: give "
			    "--%s FILE or --base ROSTER", name, name);
	}
	roster_csv_import_ids(im, &im->sheets[ROSTER_CSV_OFFICERS],
	    &im->officers);
	roster_csv_import_ids(im, &im->sheets[ROSTER_CSV_ENTERPRISES], &ids);
	roster_csv_import_ids_free(&ids);
	roster_csv_import_links(im);
	cJSON_AddArrayToObject(root, "officers");
	cJSON_AddArrayToObject(root, "enterprises");
	return root;
}

/*
 * Turn a refusal of roster_load_text ("roster: officers[3] "O004": email "x":
 * not a mail address") back into its sheet: "officers.csv:5:6: email "x":
 * not a mail address". Return the new message, or NULL when the entry did
 * not come from a sheet.
 */
static char *
roster_csv_import_locate(const struct roster_csv_import_state *im,
    const char *cause)
{
	const struct roster_csv_import_sheet *s = NULL;
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
		len = strlen(roster_csv_sheet_name(id));
		if (strncmp(p, roster_csv_sheet_name(id), len) == 0 &&
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

/* Hand the text gathered in out to the caller's writer. */
static void
roster_csv_import_flush(struct roster_csv_import_out *out)
{
	if (out->len > 0)
		out->write(out->arg, out->buf, out->len);
	out->len = 0;
}

/* Add len bytes to the text. */
static void
roster_csv_import_emit(struct roster_csv_import_out *out, const char *data,
    size_t len)
{
	size_t n;

	while (len > 0) {
		n = ROSTER_CSV_IMPORT_CHUNK - out->len;
		if (n > len)
			n = len;
		memcpy(out->buf + out->len, data, n);
		out->len += n;
		data += n;
		len -= n;
		if (out->len == ROSTER_CSV_IMPORT_CHUNK)
			roster_csv_import_flush(out);
	}
}

/*
 * Make the entries of the officers' or enterprises' sheet, a row at a
 * time: each row checked and filled column by column (an officer given
 * its enterprises, im->links) in im->items; while no problem has been
 * found, each entry goes to the roster's checks (im->check) and is
 * printed into the text, then its items are given back.
 */
static void
roster_csv_import_entries(struct roster_csv_import_state *im,
    enum roster_csv_sheet_id id)
{
	const struct roster_csv_import_sheet *s = &im->sheets[id];
	const struct roster_csv_import_sheet *e =
	    &im->sheets[ROSTER_CSV_ENTERPRISES];
	const struct roster_csv_import_links *l;
	cJSON *entry, *ids;
	size_t r, i;

	im->pooled = 1;
	for (r = 1; r < s->csv->nrows; r++) {
		roster_csv_import_check_row(im, s, r);
		entry = roster_items_new(&im->items, cJSON_Object);
		roster_csv_import_row(im, s, r, entry);
		if (id == ROSTER_CSV_OFFICERS) {
			l = &im->links[r];
			ids = roster_items_new(&im->items, cJSON_Array);
			cJSON_AddItemToObjectCS(entry, "enterprises", ids);
			for (i = 0; i < l->n; i++)
				cJSON_AddItemToArray(ids, roster_items_string(
				    &im->items, roster_csv_import_cell(e,
				    l->rows[i], "id")));
		}
		if (im->nproblems == 0) {
			roster_json_entry(im->check, id == ROSTER_CSV_OFFICERS ?
			    ROSTER_OFFICERS : ROSTER_ENTERPRISES, entry);
			roster_csv_import_print(im, entry, r == 1);
		}
		roster_items_reset(&im->items);
	}
	im->pooled = 0;
}

/*
 * Make the text of root (cJSON_Print's) into the caller's writer and the
 * roster's checks: root printed with its two last members, "officers" and
 * "enterprises", empty (their entries are not in it), and their entries
 * put in, made a row at a time (roster_csv_import_entries). Return the
 * checked roster, or NULL with *cause set: the sheets' problems if any,
 * else the checks' refusal, located in its sheet.
 */
static struct roster *
roster_csv_import_make(struct roster_csv_import_state *im, const cJSON *root,
    char **cause)
{
	static const char ends[] = "[],\n\t\"enterprises\":\t[]\n}";
	static const char mid[] = "],\n\t\"enterprises\":\t[";
	static const char tail[] = "]\n}";
	struct roster *r;
	char *head = cJSON_Print(root), *located, *rcause = NULL;
	size_t headlen;

	if (head == NULL)
		fatalx("roster_csv_import_make: cJSON_Print failed");
	headlen = strlen(head);
	if (headlen < sizeof ends - 1 ||
	    strcmp(head + headlen - (sizeof ends - 1), ends) != 0)
		fatalx("roster_csv_import_make: officers, enterprises not last");
	headlen -= sizeof ends - 2;  /* keep the officers' "[" */
	/* The same name as roster_load_text's: "roster: officers[3] ...". */
	im->check = roster_json_begin("roster");
	roster_json_check_only(im->check);
	if (im->nproblems == 0)
		roster_csv_import_emit(&im->out, head, headlen);
	free(head);
	roster_csv_import_entries(im, ROSTER_CSV_OFFICERS);
	if (im->nproblems == 0)
		roster_csv_import_emit(&im->out, mid, sizeof mid - 1);
	roster_csv_import_entries(im, ROSTER_CSV_ENTERPRISES);
	if (im->nproblems > 0) {
		roster_json_free(im->check);
		*cause = roster_csv_import_cause(im);
		return NULL;
	}
	roster_csv_import_emit(&im->out, tail, sizeof tail - 1);
	roster_csv_import_flush(&im->out);
	if ((r = roster_json_end(im->check, root, &rcause)) != NULL)
		return r;
	if ((located = roster_csv_import_locate(im, rcause)) != NULL) {
		free(rcause);
		*cause = located;
	} else
		*cause = rcause;
	return NULL;
}

/*
 * Build a roster from the sheets of in (their cells are trimmed in place)
 * and check it as it is written, a piece at a time, to write (arg handed
 * on; a writer keeps its own errors). Return 0 with, if counts is not
 * NULL, what the roster holds; or -1 with *cause set: the problems
 * found, one a line, each "FILE:LINE:COLUMN: what" (a plain message when
 * no sheet is at fault). What was written is then to be thrown away.
 */
int
roster_csv_import_write(const struct roster_csv_input *in,
    roster_csv_writer *write, void *arg, struct roster_csv_counts *counts,
    char **cause)
{
	struct roster_csv_import_state im;
	struct roster *r = NULL;
	cJSON *root = NULL;
	size_t i;

	memset(&im, 0, sizeof im);
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++) {
		im.sheets[i].csv = in->sheets[i];
		im.sheets[i].layout = roster_csv_layout(i);
		if (in->sheets[i] == NULL)
			continue;
		roster_csv_import_header(&im, &im.sheets[i]);
		roster_csv_import_trim_cells(&im.sheets[i]);
	}
	if (in->sheets[ROSTER_CSV_OFFICERS] == NULL ||
	    in->sheets[ROSTER_CSV_ENTERPRISES] == NULL)
		roster_csv_import_error(&im, NULL, 0, 0, "the officers and "
		    "enterprises sheets are both needed");
	im.out.write = write;
	im.out.arg = arg;
	im.out.buf = xmalloc(ROSTER_CSV_IMPORT_CHUNK);
	if (im.nproblems == 0) {
		root = roster_csv_import_build(&im, in);
		r = roster_csv_import_make(&im, root, cause);
	} else
		*cause = roster_csv_import_cause(&im);
	cJSON_Delete(root);
	roster_csv_import_ids_free(&im.officers);
	for (i = 0; i < im.nlinks; i++)
		free(im.links[i].rows);
	free(im.links);
	free(im.out.buf);
	free(im.printed);
	free(im.indented);
	roster_items_free(&im.items);
	if (r == NULL)
		return -1;
	if (counts != NULL) {
		counts->officers = r->nofficers;
		counts->enterprises = r->nenterprises;
		counts->departments = r->ndepartments;
		counts->topics = r->ntopics;
		counts->leaders = r->nleaders;
	}
	roster_free(r);
	return 0;
}

/* roster_csv_import's writer: the text into an open_memstream. */
static void
roster_csv_import_buffer_put(void *arg, const char *data, size_t len)
{
	(void)fwrite(data, 1, len, arg);
}

/*
 * As roster_csv_import_write, the text returned whole (the caller frees
 * it), or NULL with *cause set: for a roster small enough to hold.
 */
char *
roster_csv_import(const struct roster_csv_input *in,
    struct roster_csv_counts *counts, char **cause)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int status;

	/* Out of memory, as xmalloc treats it. */
	if ((f = open_memstream(&text, &len)) == NULL)
		fatal("roster_csv_import: open_memstream");
	status = roster_csv_import_write(in, roster_csv_import_buffer_put, f,
	    counts, cause);
	if (fclose(f) != 0)
		fatal("roster_csv_import: open_memstream");
	if (status != 0) {
		free(text);
		return NULL;
	}
	return text;
}
