/*
 * ctl_visits.c -- liaisonctl visits import FILE.csv: bring a zone's existing
 * 走访台账 in. The sheet is read as the roster's sheets are (csv_read.c:
 * UTF-8, with or without BOM, or GBK; comma or tab), with Chinese or
 * English headers; every row is checked against the roster first and each
 * problem is reported as file:line:column. Only a file without problems is
 * written, in one run of fieldwork.lua (all rows or none); the same file
 * twice is refused.
 *
 * Columns (header, Chinese headers): officer (指导员, 指导员编号), enterprise
 * (企业, 企业名称, 统一社会信用代码: a credit code or the roster's exact
 * name), date (日期, 走访日期: YYYY-MM-DD, YYYY/M/D, YYYY.M.D or
 * YYYY年M月D日, not in the future), mode (方式, 走访方式: visit forum
 * interview sit_in or 走访 集中座谈 个别访谈 列席旁听; default visit),
 * suggestions (意见建议: a whole number, default 0), note (情况记录, 备注).
 * Unlike the API, a date may be older than the previous period: the
 * ledger being brought in is the past.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "ctl.h"

#define CTL_VISITS_ROWS_MAX 50000      /* rows of one file */
#define CTL_VISITS_PROBLEMS_MAX 50     /* problems printed */

enum ctl_visits_col {
	CTL_VISITS_OFFICER,
	CTL_VISITS_ENTERPRISE,
	CTL_VISITS_DATE,
	CTL_VISITS_MODE,
	CTL_VISITS_SUGGESTIONS,
	CTL_VISITS_NOTE,
	CTL_VISITS_NCOLS
};

/* Each column: its English header, its Chinese headers, required. */
static const struct {
	const char *names[5];
	int required;
} ctl_visits_columns[CTL_VISITS_NCOLS] = {
	{ { "officer", "指导员", "指导员编号", "党建指导员", NULL }, 1 },
	{ { "enterprise", "企业", "企业名称", "统一社会信用代码", NULL }, 1 },
	{ { "date", "日期", "走访日期", NULL }, 1 },
	{ { "mode", "方式", "走访方式", NULL }, 0 },
	{ { "suggestions", "意见建议", "意见建议（条）", "意见建议条数", NULL }, 0 },
	{ { "note", "情况记录", "备注", "走访情况", NULL }, 0 },
};

struct ctl_visits {
	const char *file;
	const struct roster *roster;
	int col[CTL_VISITS_NCOLS];     /* the cell index of each, or -1 */
	int problems;
	int64_t today;
};

static void
ctl_visits_problem(struct ctl_visits *v, int line, int column,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
ctl_visits_problem(struct ctl_visits *v, int line, int column,
    const char *fmt, ...)
{
	va_list ap;

	if (v->problems++ >= CTL_VISITS_PROBLEMS_MAX)
		return;
	fprintf(stderr, "%s:%d:%d: ", v->file, line, column);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Which column a header names, or -1. */
static int
ctl_visits_header(const char *text)
{
	size_t i, j;

	for (i = 0; i < CTL_VISITS_NCOLS; i++)
		for (j = 0; ctl_visits_columns[i].names[j] != NULL; j++)
			if (strcasecmp(text, ctl_visits_columns[i].names[j]) == 0)
				return (int)i;
	return -1;
}

static int
ctl_visits_headers(struct ctl_visits *v, const struct csv_row *row)
{
	size_t i;
	int c;

	for (i = 0; i < CTL_VISITS_NCOLS; i++)
		v->col[i] = -1;
	for (i = 0; i < row->ncells; i++) {
		if (*row->cells[i].text == '\0')
			continue;
		if ((c = ctl_visits_header(row->cells[i].text)) == -1) {
			ctl_visits_problem(v, row->line, (int)i + 1, "unknown "
			    "column \"%s\"", row->cells[i].text);
			continue;
		}
		if (v->col[c] != -1)
			ctl_visits_problem(v, row->line, (int)i + 1, "column "
			    "\"%s\" given twice", row->cells[i].text);
		v->col[c] = (int)i;
	}
	for (i = 0; i < CTL_VISITS_NCOLS; i++)
		if (ctl_visits_columns[i].required && v->col[i] == -1)
			ctl_visits_problem(v, row->line, 1, "no column \"%s\" "
			    "(or \"%s\")", ctl_visits_columns[i].names[0],
			    ctl_visits_columns[i].names[1]);
	return v->problems == 0 ? 0 : -1;
}

/* The cell of column c in row ("" when the row is short of it). */
static const char *
ctl_visits_cell(const struct ctl_visits *v, const struct csv_row *row, int c)
{
	if (v->col[c] < 0 || (size_t)v->col[c] >= row->ncells)
		return "";
	return row->cells[v->col[c]].text;
}

/* A date as spreadsheets write it, into a day number; -1 when not one. */
static int
ctl_visits_date(const char *s, int64_t *day)
{
	char buf[32], *p;
	const char *in;
	int y, m, d, n = -1;

	if (strlen(s) >= sizeof buf - 1)
		return -1;
	/* 年 月 日 (three bytes each in UTF-8), / and . become - or end. */
	for (in = s, p = buf; *in != '\0'; ) {
		if (strncmp(in, "年", 3) == 0 || strncmp(in, "月", 3) == 0) {
			*p++ = '-';
			in += 3;
		} else if (strncmp(in, "日", 3) == 0) {
			in += 3;
		} else {
			*p++ = (*in == '/' || *in == '.') ? '-' : *in;
			in++;
		}
	}
	*p = '\0';
	if (sscanf(buf, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
	    n != (int)strlen(buf))
		return -1;
	if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 ||
	    d > date_month_length(y, m))
		return -1;
	*day = date_to_days(y, m, d);
	return 0;
}

/* The enterprise of a cell: a credit code, or the roster's exact name. */
static const struct enterprise *
ctl_visits_enterprise(const struct roster *roster, const char *cell)
{
	const struct enterprise *e = roster_enterprise(roster, cell);
	size_t i;

	if (e != NULL)
		return e;
	for (i = 0; i < roster->nenterprises; i++)
		if (strcmp(roster->enterprises[i].name, cell) == 0)
			return &roster->enterprises[i];
	return NULL;
}

static const struct fieldwork_kind *
ctl_visits_mode(const char *cell)
{
	const struct fieldwork_kind *k;

	if (*cell == '\0')
		return &fieldwork_visit_modes[0];
	if ((k = fieldwork_kind_find(fieldwork_visit_modes, cell)) != NULL)
		return k;
	for (k = fieldwork_visit_modes; k->name != NULL; k++)
		if (strcmp(k->zh, cell) == 0)
			return k;
	return NULL;
}

/* Check one row; its record, or NULL having reported each problem. */
static cJSON *
ctl_visits_row(struct ctl_visits *v, const struct csv_row *row)
{
	const struct officer *o;
	const struct enterprise *e;
	const struct fieldwork_kind *mode;
	const char *cell, *note;
	int before = v->problems;
	int64_t day = 0, suggestions = 0;
	char *end;

#define COL(c) (v->col[c] + 1)
	cell = ctl_visits_cell(v, row, CTL_VISITS_OFFICER);
	if ((o = roster_officer(v->roster, cell)) == NULL)
		ctl_visits_problem(v, row->line, COL(CTL_VISITS_OFFICER),
		    "no officer \"%s\" in the roster", cell);
	cell = ctl_visits_cell(v, row, CTL_VISITS_ENTERPRISE);
	if ((e = ctl_visits_enterprise(v->roster, cell)) == NULL)
		ctl_visits_problem(v, row->line, COL(CTL_VISITS_ENTERPRISE),
		    "no enterprise \"%s\" in the roster", cell);
	else if (o != NULL && !roster_officer_has(o, e->id))
		ctl_visits_problem(v, row->line, COL(CTL_VISITS_ENTERPRISE),
		    "%s is not linked to officer %s", e->id, o->id);
	cell = ctl_visits_cell(v, row, CTL_VISITS_DATE);
	if (ctl_visits_date(cell, &day) == -1)
		ctl_visits_problem(v, row->line, COL(CTL_VISITS_DATE),
		    "not a date: \"%s\" (use YYYY-MM-DD)", cell);
	else if (day > v->today)
		ctl_visits_problem(v, row->line, COL(CTL_VISITS_DATE),
		    "%s is in the future", cell);
	cell = ctl_visits_cell(v, row, CTL_VISITS_MODE);
	if ((mode = ctl_visits_mode(cell)) == NULL)
		ctl_visits_problem(v, row->line, COL(CTL_VISITS_MODE),
		    "unknown mode \"%s\" (走访, 集中座谈, 个别访谈, 列席旁听)",
		    cell);
	cell = ctl_visits_cell(v, row, CTL_VISITS_SUGGESTIONS);
	if (*cell != '\0') {
		suggestions = strtoll(cell, &end, 10);
		if (*end != '\0' || suggestions < 0 ||
		    suggestions > FIELDWORK_SUGGESTIONS_MAX ||
		    strspn(cell, "0123456789") != strlen(cell))
			ctl_visits_problem(v, row->line,
			    COL(CTL_VISITS_SUGGESTIONS), "suggestions: a whole "
			    "number from 0 to %d, not \"%s\"",
			    FIELDWORK_SUGGESTIONS_MAX, cell);
	}
	note = ctl_visits_cell(v, row, CTL_VISITS_NOTE);
	if (utf8_length(note) > FIELDWORK_NOTE_MAX)
		ctl_visits_problem(v, row->line, COL(CTL_VISITS_NOTE),
		    "note longer than %d characters", FIELDWORK_NOTE_MAX);
#undef COL
	if (v->problems != before)
		return NULL;
	return fieldwork_visit_record(o, e, day, mode, note, suggestions);
}

/* Store the records in one run of fieldwork.lua; 0, or -1 with a message. */
static int
ctl_visits_store(const struct config *cfg, cJSON *records, const char *sha,
    int dry_run)
{
	cJSON *payload = cJSON_CreateObject();
	redisContext *c;
	redisReply *reply;
	char error[256], now[32], *text;
	int rc = -1;

	snprintf(now, sizeof now, "%lld", (long long)util_now_ms());
	cJSON_AddStringToObject(payload, "now", now);
	cJSON_AddStringToObject(payload, "actor", "admin:liaisonctl");
	cJSON_AddStringToObject(payload, "file", sha);
	cJSON_AddItemToObject(payload, "records", records);
	if (dry_run) {
		printf("ok: %d visits to import (dry run: nothing written)\n",
		    cJSON_GetArraySize(records));
		cJSON_Delete(payload);
		return 0;
	}
	text = cJSON_PrintUnformatted(payload);
	cJSON_Delete(payload);
	if ((c = redis_sync_connect(cfg, error, sizeof error)) == NULL) {
		fprintf(stderr, "liaisonctl: %s\n", error);
		free(text);
		return -1;
	}
	reply = redis_sync_script(c, cfg, SCRIPT_FIELDWORK,
	    "import", text, error, sizeof error);
	free(text);
	if (reply == NULL) {
		fprintf(stderr, "liaisonctl: %s\n", error);
	} else if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) {
		fprintf(stderr, "liaisonctl: unexpected reply to the import\n");
	} else if (strcmp(reply->element[0]->str, "ok") != 0 ||
	    reply->elements < 4) {
		fprintf(stderr, "liaisonctl: %s\n", reply->element[1]->str);
	} else {
		printf("imported %s visits (%s to %s)\n", reply->element[1]->str,
		    reply->element[2]->str, reply->element[3]->str);
		rc = 0;
	}
	freeReplyObject(reply);
	redisFree(c);
	return rc;
}

/* visits import FILE [--dry-run] */
int
ctl_visits_import(const char *config_path, int argc, char **argv)
{
	static const struct option options[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_visits v;
	struct config *cfg = NULL;
	struct roster *roster = NULL;
	struct csv_sheet *sheet = NULL;
	char *cause = NULL, sha[TOKEN_HASH_LEN + 1], *data;
	cJSON *records = NULL, *rec;
	int ch, dry_run = 0, status = 1;
	size_t i;
	FILE *f;
	long len;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+n", options, NULL)) != -1) {
		if (ch != 'n') {
			fprintf(stderr, "usage: liaisonctl [-c file] visits import "
			    "FILE.csv [--dry-run]\n");
			return 2;
		}
		dry_run = 1;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: liaisonctl [-c file] visits import "
		    "FILE.csv [--dry-run]\n");
		return 2;
	}
	memset(&v, 0, sizeof v);
	v.file = argv[optind];
	if ((cfg = config_load(config_path, &cause)) == NULL ||
	    (roster = ctl_zone(cfg, &cause)) == NULL ||
	    (sheet = csv_read_file(v.file, &cause)) == NULL)
		goto out;
	v.roster = roster;
	v.today = fieldwork_today(time(NULL));
	if (sheet->nrows == 0) {
		xasprintf(&cause, "%s: no header row", v.file);
		goto out;
	}
	if (sheet->nrows - 1 > CTL_VISITS_ROWS_MAX) {
		xasprintf(&cause, "%s: more than %d rows: split the file",
		    v.file, CTL_VISITS_ROWS_MAX);
		goto out;
	}
	if (ctl_visits_headers(&v, &sheet->rows[0]) == -1)
		goto out;
	records = cJSON_CreateArray();
	for (i = 1; i < sheet->nrows; i++)
		if ((rec = ctl_visits_row(&v, &sheet->rows[i])) != NULL)
			cJSON_AddItemToArray(records, rec);
	if (v.problems > 0) {
		if (v.problems > CTL_VISITS_PROBLEMS_MAX)
			fprintf(stderr, "%s: %d more problems\n", v.file,
			    v.problems - CTL_VISITS_PROBLEMS_MAX);
		fprintf(stderr, "liaisonctl: %s: %d problems: nothing "
		    "imported\n", v.file, v.problems);
		goto out;
	}
	/* The file's hash: the same file is imported once. */
	if ((f = fopen(v.file, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		if (f != NULL)
			fclose(f);
		xasprintf(&cause, "%s: cannot read it again", v.file);
		goto out;
	}
	data = xmalloc((size_t)len + 1);
	if (fread(data, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(data);
		xasprintf(&cause, "%s: cannot read it again", v.file);
		goto out;
	}
	fclose(f);
	util_sha256_hex(data, (size_t)len, sha);
	free(data);
	if (ctl_visits_store(cfg, records, sha, dry_run) == 0)
		status = 0;
	records = NULL;          /* the payload owned it */
out:
	if (cause != NULL) {
		fprintf(stderr, "liaisonctl: %s\n", cause);
		free(cause);
	}
	cJSON_Delete(records);
	csv_read_free(sheet);
	roster_free(roster);
	config_free(cfg);
	return status;
}
