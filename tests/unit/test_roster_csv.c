/*
 * test_roster_csv.c -- unit tests for csv_read.c and roster_csv.c: CSV
 * sheets as Excel writes them, and the roster built from them.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "liaison.h"
#include "fixtures.h"

static struct csv_sheet *
sheet(const char *name, const char *text)
{
	struct csv_sheet *s;
	char *cause = NULL;

	s = csv_read_buffer(name, text, strlen(text), &cause);
	if (s == NULL)
		fail_msg("%s", cause);
	return s;
}

static void
test_csv_read_places_cells_on_their_first_line(void **state)
{
	struct csv_sheet *s;

	s = sheet("t.csv", "a,b,c\r\n1,\"two, with\nnewline\",3\r\n\r\n"
	    "x,\"say \"\"hi\"\"\",z\n");
	assert_int_equal(s->delim, ',');
	assert_string_equal(s->encoding, "UTF-8");
	assert_int_equal(s->nrows, 3);		/* the blank line is dropped */
	assert_int_equal(s->rows[1].ncells, 3);
	assert_string_equal(s->rows[1].cells[1].text, "two, with\nnewline");
	assert_int_equal(s->rows[1].cells[1].line, 2);
	assert_int_equal(s->rows[1].cells[2].line, 3);
	assert_int_equal(s->rows[2].line, 5);
	assert_string_equal(s->rows[2].cells[1].text, "say \"hi\"");
	csv_read_free(s);
}

static void
test_csv_read_strips_a_bom_and_reads_tabs(void **state)
{
	struct csv_sheet *s;

	s = sheet("t.csv", "\xef\xbb\xbf姓名\t编号\n张三, 李四\tO1\n");
	assert_int_equal(s->delim, '\t');
	assert_string_equal(s->encoding, "UTF-8 with BOM");
	assert_string_equal(s->rows[0].cells[0].text, "姓名");
	assert_string_equal(s->rows[1].cells[0].text, "张三, 李四");
	assert_string_equal(s->rows[1].cells[1].text, "O1");
	csv_read_free(s);
}

static void
test_csv_read_decodes_gbk(void **state)
{
	struct csv_sheet *s;

	/* 姓名,编号 / 张三,O1 in GBK. */
	s = sheet("t.csv", "\xd0\xd5\xc3\xfb,\xb1\xe0\xba\xc5\r\n"
	    "\xd5\xc5\xc8\xfd,O1\r\n");
	assert_string_equal(s->encoding, "GBK");
	assert_string_equal(s->rows[0].cells[0].text, "姓名");
	assert_string_equal(s->rows[1].cells[0].text, "张三");
	csv_read_free(s);
}

static void
test_csv_read_names_the_line_of_a_stray_quote(void **state)
{
	char *cause = NULL;

	assert_null(csv_read_buffer("t.csv", "a,b\n1,2\n3,\"x\"y\n", 15,
	    &cause));
	assert_string_equal(cause, "t.csv:3:2: text after the closing quote "
	    "of a cell (double the quotes inside a quoted cell)");
	free(cause);
	assert_null(csv_read_buffer("t.csv", "a,b\n1,2 \"x\"\n", 12, &cause));
	assert_string_equal(cause, "t.csv:2:2: a quote inside a cell that "
	    "does not start with one (quote the whole cell and double the "
	    "quotes in it)");
	free(cause);
	assert_null(csv_read_buffer("t.csv", "a,b\n1,\"2\n3\n", 11, &cause));
	assert_string_equal(cause, "t.csv:2:2: a quoted cell is never closed");
	free(cause);
}

/*
 * Cells go into blocks that grow with the sheet (to 8 MiB) and a cell
 * larger than a block gets one of its own: a 9 MiB cell between rows
 * of small ones, all read whole and in order.
 */
static void
test_csv_read_keeps_cells_of_any_size(void **state)
{
	const size_t big = 9 * 1024 * 1024, rows = 300000;
	char *text, *p, *cause = NULL, want[32];
	struct csv_sheet *s;
	size_t i;

	(void)state;
	text = xmalloc(big + rows * 32 + 64);
	p = text + sprintf(text, "a,b\n");
	for (i = 0; i < rows; i++) {
		p += sprintf(p, "r%zu,", i);
		if (i == rows / 2) {
			memset(p, 'x', big);
			p += big;
		}
		*p++ = '\n';
	}
	s = csv_read_buffer("big.csv", text, (size_t)(p - text), &cause);
	free(text);
	assert_non_null(s);
	assert_int_equal(s->nrows, rows + 1);
	for (i = 0; i < rows; i++) {
		snprintf(want, sizeof want, "r%zu", i);
		assert_string_equal(s->rows[i + 1].cells[0].text, want);
		assert_int_equal(s->rows[i + 1].cells[0].line, (int)i + 2);
		assert_int_equal(strlen(s->rows[i + 1].cells[1].text),
		    i == rows / 2 ? big : 0);
	}
	csv_read_free(s);
}

/*
 * Read len bytes at text both ways, as a file (csv_read_file: read a
 * piece at a time when it can be) and from memory (csv_read_buffer):
 * the same sheet, cell for cell and line for line, or the same refusal.
 */
static void
read_both_ways(const char *text, size_t len)
{
	struct csv_sheet *a, *b;
	char *ca = NULL, *cb = NULL;
	size_t r, c;

	fixture_write(fixture_file, text, len);
	a = csv_read_file(fixture_file, &ca);
	b = csv_read_buffer(fixture_file, text, len, &cb);
	if (b == NULL) {
		assert_null(a);
		assert_string_equal(ca, cb);
		free(ca);
		free(cb);
		return;
	}
	assert_non_null(a);
	assert_string_equal(a->encoding, b->encoding);
	assert_int_equal(a->delim, b->delim);
	assert_int_equal(a->nrows, b->nrows);
	for (r = 0; r < a->nrows; r++) {
		assert_int_equal(a->rows[r].line, b->rows[r].line);
		assert_int_equal(a->rows[r].ncells, b->rows[r].ncells);
		for (c = 0; c < a->rows[r].ncells; c++) {
			assert_string_equal(a->rows[r].cells[c].text,
			    b->rows[r].cells[c].text);
			assert_int_equal(a->rows[r].cells[c].line,
			    b->rows[r].cells[c].line);
		}
	}
	csv_read_free(a);
	csv_read_free(b);
}

/*
 * A file is read a piece of whole lines at a time when it is UTF-8 that
 * libcsv takes, else whole as before: either way the sheet or the
 * refusal is the one read from memory. Lines of 1.5 MiB (more than a
 * piece), a header whose quoted newline runs on, a bad quote, a NUL byte
 * or GBK text a megabyte into the file.
 */
static void
test_csv_read_file_reads_as_the_buffer_does(void **state)
{
	static const char *const small[] = {
		"", "\xef\xbb\xbf", "a,b\n1,2", "\xef\xbb\xbf" "编号\t姓名\r\nO1\t张三\r\n",
		"\"a\nb\",c\nx,y\n", "a,b\n\"1\n2\",3\n4,5\n", "a,b\n\"open\n",
		"a,b\n1,x\"y\n", "a,b\n\xd5\xc5\xc8\xfd,1\n", "a\n\0b\n",
	};
	const size_t big = 3 * 1024 * 1024;
	char *text, *p;
	size_t i, k;

	(void)state;
	assert_int_equal(fixture_dir_make("test_csv_read", "s.csv"), 0);
	for (i = 0; i < sizeof small / sizeof small[0]; i++)
		read_both_ways(small[i], i == 9 ? 5 : strlen(small[i]));
	text = xmalloc(big + 64);
	for (k = 0; k < 5; k++) {
		p = text + sprintf(text, k == 4 ? "\"a\n" : "a,b\n");
		if (k == 4) {   /* the header's quoted newline, then 1.5 MiB */
			memset(p, 'x', big / 2);
			p += big / 2;
			p += sprintf(p, "\",b\n");
		}
		while ((size_t)(p - text) < big - 32) {
			/* Lines of 1.5 MiB and of a few bytes. */
			if ((size_t)(p - text) < big / 2) {
				memset(p, 'y', big / 2);
				p += big / 2;
				p += sprintf(p, ",z\n");
			} else
				p += sprintf(p, "c,%zu\n", (size_t)(p - text));
		}
		if (k == 1)
			memcpy(p - 8, "\"q\",\"r\n", 7);  /* never closed */
		else if (k == 2)
			memcpy(text + big / 2 + 16, "x\"y", 3);
		else if (k == 3)
			memcpy(text + big - 64, "\xd5\xc5", 2);
		read_both_ways(text, (size_t)(p - text));
	}
	free(text);
	fixture_dir_remove();
}

static void
test_csv_read_refuses_bytes_that_are_no_text(void **state)
{
	char *cause = NULL;

	assert_null(csv_read_buffer("t.csv", "a\nb\n\xff\xff\n", 7, &cause));
	assert_string_equal(cause, "t.csv:3: neither UTF-8 nor GBK (GB18030) "
	    "text");
	free(cause);
	assert_null(csv_read_buffer("t.csv", "a\n\0b\n", 5, &cause));
	assert_non_null(strstr(cause, "t.csv:2: a NUL byte"));
	free(cause);
}

/* A small roster's sheets, with one sheet replaced when bad is given. */
static char *
import(int which, const char *bad, char **cause)
{
	static const char *const good[ROSTER_CSV_NSHEETS] = {
		[ROSTER_CSV_OFFICERS] = "编号,姓名,级别\nO1,张三,区级\n",
		[ROSTER_CSV_ENTERPRISES] = "统一社会信用代码,名称,类型,指导员\n"
		    "91350100M000100Y43,甲公司,企业,O1\n",
		[ROSTER_CSV_DEPARTMENTS] = "id,name\nhr,人社局\n",
		[ROSTER_CSV_TOPICS] = "编号,名称,责任部门\nhiring,用工,hr\n",
		[ROSTER_CSV_LEADERS] = "姓名,邮箱\n李四,li@example.gov.cn\n",
	};
	struct csv_sheet *sheets[ROSTER_CSV_NSHEETS];
	struct roster_csv_input in;
	char *text, name[32];
	int i;

	memset(&in, 0, sizeof in);
	in.zone_name = "测试区";
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++) {
		snprintf(name, sizeof name, "%s.csv",
		    roster_csv_sheet_name(i));
		sheets[i] = sheet(name, i == which ? bad : good[i]);
		in.sheets[i] = sheets[i];
	}
	text = roster_csv_import(&in, NULL, cause);
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++)
		csv_read_free(sheets[i]);
	return text;
}

static void
test_roster_csv_builds_the_roster(void **state)
{
	char *cause = NULL, *text;
	cJSON *root, *o;

	text = import(-1, NULL, &cause);
	assert_non_null(text);
	root = cJSON_Parse(text);
	o = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "officers"), 0);
	assert_string_equal(cJSON_GetObjectItem(o, "level")->valuestring,
	    "zone");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(o,
	    "enterprises"), 0)->valuestring, "91350100M000100Y43");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(root,
	    "zone"), "timezone")->valuestring, "Asia/Shanghai");
	cJSON_Delete(root);
	free(text);
}

static void
test_roster_csv_names_the_cell_of_a_bad_credit_code(void **state)
{
	char *cause = NULL;

	assert_null(import(ROSTER_CSV_ENTERPRISES, "名称,统一社会信用代码,类型\n"
	    "甲,91350100M000100Y43,企业\n乙,91350100M000100Y44,企业\n",
	    &cause));
	assert_string_equal(cause, "enterprises.csv:3:2: credit code "
	    "\"91350100M000100Y44\": bad check character '4', expected '3'");
	free(cause);
}

static void
test_roster_csv_locates_a_refusal_of_roster_load_text(void **state)
{
	char *cause = NULL;

	assert_null(import(ROSTER_CSV_TOPICS, "编号,名称,责任部门\n"
	    "hiring,用工,hr\nland,用地,\"hr;plan\"\n", &cause));
	assert_string_equal(cause, "topics.csv:3:3: departments[1] \"plan\": "
	    "no such department");
	free(cause);
}

static void
test_roster_csv_reports_every_problem(void **state)
{
	char *cause = NULL;

	assert_null(import(ROSTER_CSV_OFFICERS, "编号,姓名,级别,爱好\n"
	    "O1,,区级\n", &cause));
	assert_string_equal(cause, "officers.csv:1:4: unknown column \"爱好\" "
	    "(the columns are 编号/id, 姓名/name, 级别/level, 单位/unit, "
	    "电话/phone, 邮箱/email)");
	free(cause);
	assert_null(import(ROSTER_CSV_OFFICERS, "编号,姓名,级别\n"
	    "O1,,区级\nO2,王五,县级\n", &cause));
	assert_string_equal(cause, "officers.csv:2:2: 姓名 (name): must not be "
	    "empty\nofficers.csv:3:3: level \"县级\": must be one of 区级 "
	    "(zone), 市级 (municipal), 省级 (provincial)");
	free(cause);
}

/* An id given three times: each repeat names the row before it. */
static void
test_roster_csv_names_the_row_before_a_repeated_id(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_null(import(ROSTER_CSV_OFFICERS, "编号,姓名,级别\n"
	    "O1,张三,区级\nO2,王五,区级\nO1,李四,区级\n O1 ,赵六,区级\n",
	    &cause));
	assert_string_equal(cause, "officers.csv:4:1: duplicate id \"O1\" "
	    "(also on line 2)\nofficers.csv:5:1: duplicate id \"O1\" (also "
	    "on line 4)");
	free(cause);
}

/*
 * More problems than were ever kept (100,000 until December 2026): the
 * ones told are still the first in sheet and line order, wherever they
 * were found. Here 100,002 repeats of one credit code (found first, as
 * the ids are hashed) come after line 2's empty name (found as the rows
 * are made).
 */
static void
test_roster_csv_tells_the_first_problems_of_very_many(void **state)
{
	static const char row[] = "91350100M000100Y43,乙公司,企业\n";
	const size_t repeats = 100002;
	char *cause = NULL, *text, *p, *nl;
	size_t i, lines = 0;

	(void)state;
	text = xmalloc(128 + repeats * (sizeof row - 1));
	p = text + sprintf(text, "统一社会信用代码,名称,类型\n"
	    "91350100M000100Y43,,企业\n");
	for (i = 0; i < repeats; i++)
		p += sprintf(p, "%s", row);
	assert_null(import(ROSTER_CSV_ENTERPRISES, text, &cause));
	free(text);
	assert_non_null(cause);
	nl = strchr(cause, '\n');
	assert_non_null(nl);
	*nl = '\0';
	assert_string_equal(cause, "enterprises.csv:2:2: 名称 (name): must not "
	    "be empty");
	assert_non_null(strstr(nl + 1, "enterprises.csv:3:1: duplicate id "
	    "\"91350100M000100Y43\" (also on line 2)"));
	for (p = nl + 1; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, 19);   /* 20 told, then the count */
	assert_non_null(strstr(nl + 1, "\n... and 99983 more problems"));
	free(cause);
}

static void
test_roster_csv_export_then_import_is_the_identity(void **state)
{
	char *out[ROSTER_CSV_NSHEETS], *cause = NULL, *text, *again, *data;
	struct csv_sheet *sheets[ROSTER_CSV_NSHEETS];
	size_t outlen[ROSTER_CSV_NSHEETS], reordered, len, i;
	struct roster_csv_input in;
	struct roster_csv_counts n;
	cJSON *a, *b;

	data = fixture_read(ETC_DIR "/roster.json", &len);
	assert_int_equal(roster_csv_export(data, len, "roster.json", out,
	    outlen, &reordered, &cause), 0);
	assert_int_equal(reordered, 0);
	assert_memory_equal(out[0], "\xef\xbb\xbf\"编号\",", 10);
	memset(&in, 0, sizeof in);
	in.zone_name = "安庆经开区";
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++) {
		sheets[i] = csv_read_buffer(roster_csv_sheet_name(i), out[i],
		    outlen[i], &cause);
		assert_non_null(sheets[i]);
		in.sheets[i] = sheets[i];
	}
	again = roster_csv_import(&in, &n, &cause);
	assert_non_null(again);
	/* What the roster it checked holds comes back: no text read again. */
	assert_int_equal(n.enterprises, 227);
	assert_int_equal(n.officers, 55);
	a = cJSON_ParseWithLength(data, len);
	b = cJSON_Parse(again);
	assert_true(cJSON_Compare(a, b, 1));
	/* The enterprises, printed one at a time, read as cJSON_Print's. */
	text = cJSON_Print(b);
	assert_string_equal(again, text);
	free(text);
	cJSON_Delete(a);
	cJSON_Delete(b);
	free(again);
	free(data);
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++) {
		csv_read_free(sheets[i]);
		free(out[i]);
	}
}

/* A writer that keeps the pieces it is given, joined, and counts them. */
struct pieces {
	FILE *f;                 /* open_memstream's, onto text */
	char *text;
	size_t len;
	size_t n;
};

static void
pieces_put(void *arg, const char *data, size_t len)
{
	struct pieces *p = arg;

	assert_int_equal(fwrite(data, 1, len, p->f), len);
	p->n++;
}

/* Begin p; pieces_end gives its text (p->text, free it). */
static void
pieces_begin(struct pieces *p)
{
	memset(p, 0, sizeof *p);
	p->f = open_memstream(&p->text, &p->len);
	assert_non_null(p->f);
}

static void
pieces_end(struct pieces *p)
{
	assert_int_equal(fclose(p->f), 0);
}

/*
 * The sample roster's sheets, imported through a writer: the text comes
 * in pieces of at most 256 KiB (a province's is never held whole; the
 * sample's is one), the same text as roster_csv_import returns; a refusal
 * is told as it always was, the pieces then thrown away.
 */
static void
test_roster_csv_import_writes_the_text_in_pieces(void **state)
{
	char *out[ROSTER_CSV_NSHEETS], *cause = NULL, *whole, *data;
	struct csv_sheet *sheets[ROSTER_CSV_NSHEETS];
	size_t outlen[ROSTER_CSV_NSHEETS], reordered, len, i;
	struct pieces p;
	struct roster_csv_input in;
	struct roster_csv_counts n;

	(void)state;
	data = fixture_read(ETC_DIR "/roster.json", &len);
	assert_int_equal(roster_csv_export(data, len, "roster.json", out,
	    outlen, &reordered, &cause), 0);
	memset(&in, 0, sizeof in);
	in.zone_name = "安庆经开区";
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++) {
		sheets[i] = csv_read_buffer(roster_csv_sheet_name(i), out[i],
		    outlen[i], &cause);
		in.sheets[i] = sheets[i];
	}
	pieces_begin(&p);
	assert_int_equal(roster_csv_import_write(&in, pieces_put, &p, &n,
	    &cause), 0);
	pieces_end(&p);
	assert_int_equal(n.officers, 55);
	whole = roster_csv_import(&in, NULL, &cause);
	assert_non_null(whole);
	assert_true(p.n >= 1);
	assert_string_equal(p.text, whole);
	free(whole);
	free(p.text);
	/* A time zone that does not exist: refused by the check. */
	in.timezone = "Mars/Olympus";
	pieces_begin(&p);
	assert_int_equal(roster_csv_import_write(&in, pieces_put, &p, NULL,
	    &cause), -1);
	pieces_end(&p);
	assert_string_equal(cause, "roster: zone: timezone \"Mars/Olympus\": "
	    "no such zone in /usr/share/zoneinfo");
	free(cause);
	free(p.text);
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++) {
		csv_read_free(sheets[i]);
		free(out[i]);
	}
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_read_places_cells_on_their_first_line),
		cmocka_unit_test(test_csv_read_strips_a_bom_and_reads_tabs),
		cmocka_unit_test(test_csv_read_decodes_gbk),
		cmocka_unit_test(test_csv_read_names_the_line_of_a_stray_quote),
		cmocka_unit_test(test_csv_read_keeps_cells_of_any_size),
		cmocka_unit_test(test_csv_read_refuses_bytes_that_are_no_text),
		cmocka_unit_test(test_csv_read_file_reads_as_the_buffer_does),
		cmocka_unit_test(test_roster_csv_builds_the_roster),
		cmocka_unit_test(test_roster_csv_names_the_cell_of_a_bad_credit_code),
		cmocka_unit_test(test_roster_csv_locates_a_refusal_of_roster_load_text),
		cmocka_unit_test(test_roster_csv_reports_every_problem),
		cmocka_unit_test(test_roster_csv_names_the_row_before_a_repeated_id),
		cmocka_unit_test(test_roster_csv_tells_the_first_problems_of_very_many),
		cmocka_unit_test(test_roster_csv_export_then_import_is_the_identity),
		cmocka_unit_test(test_roster_csv_import_writes_the_text_in_pieces),
	};

	xmalloc_init_cjson();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
