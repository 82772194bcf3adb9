/*
 * csv_read.c -- read a CSV file as Excel writes it into rows of UTF-8 cells,
 * each with the line it starts on.
 *
 * Excel's "CSV" is UTF-8 with a byte order mark ("CSV UTF-8"), plain UTF-8,
 * or, from a Chinese Excel's plain "CSV" save, GBK. A BOM means UTF-8; text
 * that is valid UTF-8 is UTF-8; anything else is decoded as GB18030 (a
 * superset of GBK) with iconv. The separator is a comma or a tab, whichever
 * the header line has more of outside quotes. Quoting, embedded separators,
 * quotes and newlines are libcsv's job, in strict mode.
 *
 * libcsv does not say where a field starts, so the text is fed to it a
 * line at a time: a field that starts in a line starts on that line (a
 * field ending sets the next one's line to the current), and a cell
 * spanning lines (a quoted newline) is placed on its first line. Columns
 * are numbered from 1 by their position in the row.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "liaison.h"

#define CSV_READ_MAX_FILE (512L * 1024 * 1024)
/*
 * Cells and their rows' arrays live in blocks, freed together: a
 * province's enterprise sheet is six million cells, and a malloc each
 * cost a third of its memory. The first block is CSV_READ_BLOCK bytes,
 * each next one twice the last up to CSV_READ_MAX_BLOCK (or one cell's).
 */
#define CSV_READ_BLOCK (64 * 1024)
#define CSV_READ_MAX_BLOCK (8 * 1024 * 1024)
/*
 * From this size on, a buffer (the file, a block of cells) is asked to
 * be backed by huge pages (madvise MADV_HUGEPAGE, aligned to their size):
 * a province's sheets are 300 MB touched once, and in a VM a page fault
 * every 4 KiB cost a fifth of the import's time.
 */
#define CSV_READ_HUGE (2 * 1024 * 1024)
/* A file is read this much at a time (more for a longer line). */
#define CSV_READ_CHUNK (1024 * 1024)
/* libcsv grows its buffer for a cell by this much at a time (its own
 * step, 128 bytes, made a cell of megabytes a hundred thousand reallocs). */
#define CSV_READ_CELL_STEP (64 * 1024)

/* One block of a sheet's cells. */
struct csv_read_block {
	struct csv_read_block *next;
	size_t size;
	size_t used;
	char data[];
};

/* State of one parse, handed to libcsv's callbacks. */
struct csv_read_state {
	struct csv_parser parser;
	struct csv_sheet *sheet;
	struct csv_row row;         /* the row being filled */
	size_t rowalloc;
	size_t rowsalloc;           /* rows allocated in the sheet */
	int line;                   /* of the byte being fed */
	int field_line;             /* where the current field started */
	unsigned char delim;
};

/* libcsv: treat a space as blank, and a tab unless it separates fields. */
static unsigned char csv_read_delim;

/*
 * libcsv's space test (csv_set_space_func): a space, or a tab unless tab
 * separates the fields.
 */
static int
csv_read_is_space(unsigned char c)
{
	return c == ' ' || (c == '\t' && csv_read_delim != '\t');
}

/*
 * Return size bytes; from CSV_READ_HUGE on, aligned to it and advised to
 * be huge pages (advice only: a kernel without them gives small ones).
 * Exits when out of memory, as xmalloc does. Free with free.
 */
static void *
csv_read_big(size_t size)
{
	void *p;

	if (size < CSV_READ_HUGE)
		return xmalloc(size);
	if (posix_memalign(&p, CSV_READ_HUGE, size) != 0)
		fatalx("csv_read_big: out of memory (%zu bytes)", size);
	(void)madvise(p, size, MADV_HUGEPAGE);
	return p;
}

/* Return size bytes aligned to align (a power of two) in sheet's blocks. */
static void *
csv_read_alloc(struct csv_sheet *sheet, size_t size, size_t align)
{
	struct csv_read_block *b = sheet->blocks;
	size_t at = 0, total;

	if (b != NULL)
		at = (b->used + align - 1) & ~(align - 1);
	if (b == NULL || at > b->size || b->size - at < size) {
		total = b == NULL ? CSV_READ_BLOCK : 2 * (b->size + sizeof *b);
		if (total > CSV_READ_MAX_BLOCK)
			total = CSV_READ_MAX_BLOCK;
		if (total - sizeof *b < size)
			total = sizeof *b + size;
		b = csv_read_big(total);   /* data is max-aligned */
		b->size = total - sizeof *b;
		b->next = sheet->blocks;
		sheet->blocks = b;
		at = 0;
	}
	b->used = at + size;
	return b->data + at;
}

/* libcsv: one field ended; copy it into the row with its line. */
static void
csv_read_field(void *data, size_t len, void *arg)
{
	struct csv_read_state *st = arg;
	struct csv_cell *cell;

	if (st->row.ncells == st->rowalloc) {
		st->rowalloc = st->rowalloc ? st->rowalloc * 2 : 8;
		st->row.cells = xreallocarray(st->row.cells, st->rowalloc,
		    sizeof *st->row.cells);
	}
	cell = &st->row.cells[st->row.ncells++];
	cell->text = csv_read_alloc(st->sheet, len + 1, 1);
	if (len > 0)
		memcpy(cell->text, data, len);
	cell->text[len] = '\0';
	cell->line = st->field_line;
	if (st->row.ncells == 1)
		st->row.line = st->field_line;
	st->field_line = st->line;  /* the next field, if it starts here */
}

/* Return 1 if every cell of row is empty. */
static int
csv_read_row_blank(const struct csv_row *row)
{
	size_t i;

	for (i = 0; i < row->ncells; i++) {
		if (row->cells[i].text[0] != '\0')
			return 0;
	}
	return 1;
}

/* libcsv: one row ended; keep it unless it is blank. */
static void
csv_read_row_end(int c, void *arg)
{
	struct csv_read_state *st = arg;
	struct csv_sheet *sheet = st->sheet;
	struct csv_row *row;
	size_t size;

	/* A blank row's cells stay in the blocks, unused: a few bytes. */
	if (!csv_read_row_blank(&st->row)) {
		if (sheet->nrows == st->rowsalloc) {
			st->rowsalloc = st->rowsalloc ? st->rowsalloc * 2 : 64;
			sheet->rows = xreallocarray(sheet->rows,
			    st->rowsalloc, sizeof *sheet->rows);
		}
		/* A row keeps only the cells it has (a million rows); the
		 * array filled (st->row.cells) serves the next row. */
		row = &sheet->rows[sheet->nrows++];
		*row = st->row;
		size = st->row.ncells * sizeof *row->cells;
		row->cells = csv_read_alloc(sheet, size, _Alignof(struct csv_cell));
		memcpy(row->cells, st->row.cells, size);
	}
	st->row.ncells = 0;
	st->row.line = 0;
}

/* Return the line (from 1) of byte offset off in text. */
static int
csv_read_line_of(const char *text, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off; i++) {
		if (text[i] == '\n')
			line++;
	}
	return line;
}

/*
 * Decode len bytes of GB18030 at in into a new NUL-terminated UTF-8 string.
 * Return it, or NULL with *cause set (naming the line) when the bytes are
 * not GB18030 either.
 */
static char *
csv_read_from_gb18030(const char *name, const char *in, size_t len,
    size_t *outlen, char **cause)
{
	iconv_t cd;
	char *out, *ip, *op;
	size_t ileft, oleft, size;

	if ((cd = iconv_open("UTF-8", "GB18030")) == (iconv_t)-1) {
		xasprintf(cause, "%s: iconv cannot decode GB18030: %s", name,
		    strerror(errno));
		return NULL;
	}
	size = len * 2 + 1;		/* 2 GB18030 bytes are 3 UTF-8 bytes */
	out = xmalloc(size);
	ip = (char *)in;
	ileft = len;
	op = out;
	oleft = size - 1;
	if (iconv(cd, &ip, &ileft, &op, &oleft) == (size_t)-1) {
		xasprintf(cause, "%s:%d: neither UTF-8 nor GBK (GB18030) text",
		    name, csv_read_line_of(in, (size_t)(ip - in)));
		free(out);
		iconv_close(cd);
		return NULL;
	}
	iconv_close(cd);
	*op = '\0';
	*outlen = (size_t)(op - out);
	return out;
}

/*
 * Return the separator of text: a tab if its first line has more tabs than
 * commas outside quotes, else a comma. *whole is set to 1 when that line
 * ends within the len bytes, 0 when it runs to their end.
 */
static unsigned char
csv_read_guess_delim(const char *text, size_t len, int *whole)
{
	size_t i, commas = 0, tabs = 0;
	int quoted = 0;

	*whole = 0;
	for (i = 0; i < len; i++) {
		if (text[i] == '"')
			quoted = !quoted;
		else if (!quoted && (text[i] == '\n' || text[i] == '\r')) {
			*whole = 1;
			break;
		} else if (!quoted && text[i] == ',')
			commas++;
		else if (!quoted && text[i] == '\t')
			tabs++;
	}
	return tabs > commas ? '\t' : ',';
}

/* Begin parsing into sheet with separator delim. */
static void
csv_read_begin(struct csv_read_state *st, struct csv_sheet *sheet,
    unsigned char delim)
{
	memset(st, 0, sizeof *st);
	st->sheet = sheet;
	st->line = 1;
	st->field_line = 1;
	st->delim = delim;
	sheet->delim = (char)delim;
	if (csv_init(&st->parser, CSV_STRICT | CSV_STRICT_FINI |
	    CSV_APPEND_NULL) != 0)
		fatalx("csv_init failed");
	csv_set_delim(&st->parser, delim);
	csv_set_blk_size(&st->parser, CSV_READ_CELL_STEP);
	csv_read_delim = delim;
	csv_set_space_func(&st->parser, csv_read_is_space);
}

/*
 * Run libcsv over the next len bytes of the text, whole lines but
 * perhaps the last. Return len, or where the byte libcsv refused is.
 */
static size_t
csv_read_lines(struct csv_read_state *st, const char *text, size_t len)
{
	const char *nl;
	size_t i, n, done;

	for (i = 0; i < len; i += n) {
		/* A line at a time, its newline included. */
		nl = memchr(text + i, '\n', len - i);
		n = nl != NULL ? (size_t)(nl - (text + i)) + 1 : len - i;
		/* A field starting in this line starts on it, unless one is
		 * still open from an earlier line (a quoted newline: libcsv
		 * says so in its state). */
		if (!st->parser.quoted)
			st->field_line = st->line;
		done = csv_parse(&st->parser, text + i, n, csv_read_field,
		    csv_read_row_end, st);
		if (done != n)
			return i + done;   /* the byte refused */
		if (nl != NULL)
			st->line++;
	}
	return len;
}

/* End the text: 0, or -1 when a quoted cell is never closed. */
static int
csv_read_finish(struct csv_read_state *st)
{
	return csv_fini(&st->parser, csv_read_field, csv_read_row_end, st) ==
	    0 ? 0 : -1;
}

/* Free what a parse holds (the sheet is the caller's). */
static void
csv_read_end(struct csv_read_state *st)
{
	free(st->row.cells);
	csv_free(&st->parser);
}

/* Run libcsv over len bytes of UTF-8 text into sheet. Return 0 or -1. */
static int
csv_read_parse(struct csv_sheet *sheet, const char *text, size_t len,
    char **cause)
{
	struct csv_read_state st;
	size_t i;
	int status = 0, whole;

	csv_read_begin(&st, sheet, csv_read_guess_delim(text, len, &whole));
	if ((i = csv_read_lines(&st, text, len)) < len) {
		/* Strict mode refuses only two things; the byte says which. */
		xasprintf(cause, "%s:%d:%zu: %s", sheet->name, st.line,
		    st.row.ncells + 1, text[i] == '"' ? "a quote inside a cell "
		    "that does not start with one (quote the whole cell and "
		    "double the quotes in it)" : "text after the closing quote "
		    "of a cell (double the quotes inside a quoted cell)");
		status = -1;
	} else if (csv_read_finish(&st) != 0) {
		xasprintf(cause, "%s:%d:%zu: a quoted cell is never closed",
		    sheet->name, st.field_line, st.row.ncells + 1);
		status = -1;
	}
	csv_read_end(&st);
	return status;
}

/*
 * Read the CSV text of len bytes at data, named name in messages. Return a
 * new sheet (csv_read_free frees it), or NULL with *cause set ("NAME:LINE:
 * what", caller frees).
 */
struct csv_sheet *
csv_read_buffer(const char *name, const char *data, size_t len, char **cause)
{
	struct csv_sheet *sheet;
	char *decoded = NULL;
	size_t dlen;

	sheet = xcalloc(1, sizeof *sheet);
	sheet->name = xstrdup(name);
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
		sheet->encoding = "UTF-8 with BOM";
		if (!utf8_valid(data, len)) {
			xasprintf(cause, "%s: starts with a UTF-8 byte order "
			    "mark but is not valid UTF-8", name);
			goto fail;
		}
	} else if (memchr(data, '\0', len) != NULL) {
		xasprintf(cause, "%s:%d: a NUL byte: not a text file (save the "
		    "sheet as CSV, not as a workbook or UTF-16 text)", name,
		    csv_read_line_of(data, (size_t)((const char *)memchr(data,
		    '\0', len) - data)));
		goto fail;
	} else if (utf8_valid(data, len))
		sheet->encoding = "UTF-8";
	else {
		sheet->encoding = "GBK";
		if ((decoded = csv_read_from_gb18030(name, data, len, &dlen,
		    cause)) == NULL)
			goto fail;
		if (memchr(decoded, '\0', dlen) != NULL ||
		    !utf8_valid(decoded, dlen)) {
			xasprintf(cause, "%s: not valid text after decoding "
			    "GBK", name);
			goto fail;
		}
		data = decoded;
		len = dlen;
		/* GB18030 has a byte order mark too (84 31 95 33). */
		if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
			data += 3;
			len -= 3;
		}
	}
	if (csv_read_parse(sheet, data, len, cause) != 0)
		goto fail;
	free(decoded);
	return sheet;

fail:
	free(decoded);
	csv_read_free(sheet);
	return NULL;
}

/*
 * Read the open file f (named name) a piece of whole lines at a time, as
 * csv_read_buffer reads text that is UTF-8 (with a byte order mark or
 * not) and that libcsv takes: return the same sheet, the file never held
 * whole (a province's enterprise sheet is 100 MB, each page of it a
 * fault). Return NULL for anything else (a NUL byte, text that is not
 * UTF-8, bad quoting, a read error): csv_read_buffer then reads the file
 * whole and says what is wrong, as it always did.
 */
static struct csv_sheet *
csv_read_stream(const char *name, FILE *f)
{
	struct csv_read_state st;
	struct csv_sheet *sheet;
	size_t alloc = CSV_READ_CHUNK, have = 0, start = 0, end, n;
	char *buf = xmalloc(alloc), *nl;
	int begun = 0, eof = 0, ok = 0, whole;

	sheet = xcalloc(1, sizeof *sheet);
	sheet->name = xstrdup(name);
	sheet->encoding = "UTF-8";
	for (;;) {
		if (have == alloc) {      /* a line longer than the buffer */
			alloc *= 2;
			buf = xreallocarray(buf, alloc, 1);
		}
		n = fread(buf + have, 1, alloc - have, f);
		if (ferror(f))
			break;
		have += n;
		eof = n == 0;
		if (!begun && have < 3 && !eof)
			continue;         /* not enough to see a BOM */
		if (!begun && have >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
			sheet->encoding = "UTF-8 with BOM";
			start = 3;
		}
		end = have;
		if (!eof) {
			nl = memrchr(buf + start, '\n', have - start);
			if (nl == NULL)
				continue; /* read on to a line's end */
			end = (size_t)(nl - buf) + 1;
		}
		if (memchr(buf + start, '\0', end - start) != NULL ||
		    !utf8_valid(buf + start, end - start))
			break;
		if (!begun) {
			csv_read_begin(&st, sheet, csv_read_guess_delim(buf +
			    start, end - start, &whole));
			begun = 1;
			if (!whole && !eof)
				break;    /* the first line goes on: read whole */
		}
		if (csv_read_lines(&st, buf + start, end - start) !=
		    end - start)
			break;
		if (eof) {
			ok = csv_read_finish(&st) == 0;
			break;
		}
		memmove(buf, buf + end, have - end);
		have -= end;
		start = 0;
	}
	if (begun)
		csv_read_end(&st);
	free(buf);
	if (ok)
		return sheet;
	csv_read_free(sheet);
	return NULL;
}

/* Read the CSV file at path; as csv_read_buffer, named by path. */
struct csv_sheet *
csv_read_file(const char *path, char **cause)
{
	struct csv_sheet *sheet;
	FILE *f;
	char *data;
	long size;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	if (size > CSV_READ_MAX_FILE) {
		xasprintf(cause, "%s: larger than %ld bytes", path,
		    CSV_READ_MAX_FILE);
		fclose(f);
		return NULL;
	}
	if ((sheet = csv_read_stream(path, f)) != NULL) {
		fclose(f);
		return sheet;
	}
	clearerr(f);
	if (fseek(f, 0, SEEK_SET) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	data = csv_read_big((size_t)size + 1);
	n = fread(data, 1, (size_t)size, f);
	if (n != (size_t)size || ferror(f)) {
		xasprintf(cause, "%s: read error", path);
		free(data);
		fclose(f);
		return NULL;
	}
	fclose(f);
	data[n] = '\0';
	sheet = csv_read_buffer(path, data, n, cause);
	free(data);
	return sheet;
}

/* Free sheet, its rows and cells. */
void
csv_read_free(struct csv_sheet *sheet)
{
	struct csv_read_block *b, *next;

	if (sheet == NULL)
		return;
	for (b = sheet->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(sheet->rows);
	free(sheet->name);
	free(sheet);
}
