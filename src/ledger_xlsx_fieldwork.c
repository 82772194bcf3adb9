/*
 * ledger_xlsx_fieldwork.c -- the period's field work in the ledger
 * workbook (SPEC §11), four sheets after the ledger's, for the zone office
 * only (a department's workbook has none: they are about officers):
 *
 *   走访记录    every visit dated in the period, oldest first
 *   宣讲活动    every talk, with its audience and enterprises
 *   工作成效    every outcome, its amount in its unit, the issue it came from
 *   指导员表现  one row per officer: performance.c's row over the period,
 *               under performance_columns' headers, as /officers shows it
 *
 * Each is set up for print like the ledger's sheets (ledger_xlsx.h): a
 * title block (ZONE联系服务台账（走访记录）, then 期次, 日期 and 生成时间),
 * A4, one page wide, the header row repeated, every cell ruled.
 *
 * The records come from fieldwork.lua's workbook action (at most
 * LEDGER_FIELDWORK_RECORDS of each kind: a zone's half-month has a few
 * hundred), with the performance facts of the roster's first
 * LEDGER_FIELDWORK_OFFICERS officers (one script run reads ~30 keys an
 * officer, and a script holds Redis for its whole run: with 5,000 the
 * province bench's workbook took 2.6 s, so the sheet stops at 500; a
 * province reads /api/v1/officers a page at a time); ledger_fieldwork_payload asks for
 * them and ledger_fieldwork_read counts the officers' rows.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "ledger_xlsx.h"

static const char *const ledger_xlsx_fieldwork_visit_columns[] = {
	"编号", "日期", "指导员", "企业名称", "统一社会信用代码", "走访方式",
	"意见建议（条）", "走访情况"
};
static const char *const ledger_xlsx_fieldwork_event_columns[] = {
	"编号", "日期", "指导员", "宣讲类别", "宣讲主题", "受众（人次）",
	"覆盖企业"
};
static const char *const ledger_xlsx_fieldwork_outcome_columns[] = {
	"编号", "日期", "指导员", "企业名称", "成效类别", "数量", "单位",
	"关联问题", "说明"
};
#define LEDGER_XLSX_FW_NVISIT 8
#define LEDGER_XLSX_FW_NEVENT 7
#define LEDGER_XLSX_FW_NOUTCOME 9
#define LEDGER_XLSX_FW_WRAP 30      /* notes and titles: 15 characters */

/* ---- the data ---- */

/*
 * The payload of fieldwork.lua's workbook action for the period named
 * period (period_parse checked it) at time now; fills fw's range, periods
 * and the number of officers' rows to come (nrows).
 */
cJSON *
ledger_fieldwork_payload(struct ledger_fieldwork *fw,
    const struct roster *roster, const char *period, time_t now)
{
	const struct officer **officers;
	struct period p;
	cJSON *payload;
	size_t i, n = roster->nofficers;

	memset(fw, 0, sizeof *fw);
	if (n > LEDGER_FIELDWORK_OFFICERS)
		n = LEDGER_FIELDWORK_OFFICERS;
	if (period_parse(period, &p) == 0) {
		fw->from = date_to_days(p.year, p.month, p.half == 1 ? 1 : 16);
		fw->to = p.half == 1 ? fw->from + 14 : date_to_days(p.year,
		    p.month, date_month_length(p.year, p.month));
	}
	officers = xcalloc(n ? n : 1, sizeof *officers);
	for (i = 0; i < n; i++)
		officers[i] = &roster->officers[i];
	fw->nrows = n;
	payload = performance_payload(officers, n, fw->from,
	    fw->to, now, fw->periods, sizeof fw->periods /
	    sizeof fw->periods[0], &fw->nperiods);
	free(officers);
	cJSON_AddNumberToObject(payload, "limit", LEDGER_FIELDWORK_RECORDS);
	return payload;
}

/*
 * Take fieldwork.lua's workbook reply (kept, not copied: it must outlive
 * the workbook) and count each officer's row. Returns 0, or -1 when the
 * reply is not what the script returns.
 */
int
ledger_fieldwork_read(struct ledger_fieldwork *fw, const redisReply *reply,
    const struct roster *roster, time_t now, int visit_days)
{
	const redisReply *facts;
	size_t i, n = fw->nrows;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 4)
		return -1;
	for (i = 0; i < 4; i++)
		if (reply->element[i]->type != REDIS_REPLY_ARRAY)
			return -1;
	facts = reply->element[3];
	if (facts->elements != n || n > roster->nofficers)
		return -1;
	for (i = 0; i < 3; i++)
		fw->records[i] = reply->element[i];
	fw->visit_days = visit_days;
	fw->rows = xcalloc(n ? n : 1, sizeof *fw->rows);
	for (i = 0; i < n; i++)
		performance_count(&roster->officers[i], facts->element[i],
		    fw->from, fw->to, fw->periods, fw->nperiods,
		    fieldwork_today(now), visit_days, &fw->rows[i]);
	return 0;
}

void
ledger_fieldwork_free(struct ledger_fieldwork *fw)
{
	size_t i;

	for (i = 0; fw->rows != NULL && i < fw->nrows; i++)
		performance_free(&fw->rows[i]);
	free(fw->rows);
	fw->rows = NULL;
	fw->nrows = 0;
}

/* ---- the cells ---- */

static const char *
ledger_xlsx_fieldwork_field(const redisReply *flat, const char *name)
{
	const char *v = util_reply_field(flat, name);

	return v != NULL ? v : "";
}

/* The record's officer by name (the id when no longer in the roster). */
static const char *
ledger_xlsx_fieldwork_officer(struct ledger_xlsx *x, const redisReply *flat)
{
	const char *id = ledger_xlsx_fieldwork_field(flat, "officer");
	const struct officer *o = roster_officer(x->roster, id);

	return o != NULL ? o->name : id;
}

static const char *
ledger_xlsx_fieldwork_enterprise(struct ledger_xlsx *x, const char *id)
{
	const struct enterprise *e = roster_enterprise(x->roster, id);

	return e != NULL ? e->name : id;
}

/* A record's date ("YYYY-MM-DD") as a date cell. */
static void
ledger_xlsx_fieldwork_date(struct ledger_xlsx *x, size_t col,
    const redisReply *flat)
{
	int64_t day;

	if (fieldwork_date_parse(ledger_xlsx_fieldwork_field(flat, "date"),
	    &day) == 0)
		ledger_xlsx_day(x, col, day);
	else
		ledger_xlsx_text(x, col, "");
}

/* A number stored as text in a record. */
static void
ledger_xlsx_fieldwork_count(struct ledger_xlsx *x, size_t col,
    const redisReply *flat, const char *name)
{
	ledger_xlsx_number(x, col, strtod(ledger_xlsx_fieldwork_field(flat,
	    name), NULL), 0);
}

static const char *
ledger_xlsx_fieldwork_kind(const struct fieldwork_kind *table,
    const redisReply *flat, const char *name)
{
	const struct fieldwork_kind *k = fieldwork_kind_find(table,
	    ledger_xlsx_fieldwork_field(flat, name));

	return k != NULL ? k->zh : "";
}

static void
ledger_xlsx_fieldwork_visit(struct ledger_xlsx *x, const redisReply *flat)
{
	const char *ent = ledger_xlsx_fieldwork_field(flat, "enterprise");

	ledger_xlsx_text(x, 0, ledger_xlsx_fieldwork_field(flat, "id"));
	ledger_xlsx_fieldwork_date(x, 1, flat);
	ledger_xlsx_text(x, 2, ledger_xlsx_fieldwork_officer(x, flat));
	ledger_xlsx_text(x, 3, ledger_xlsx_fieldwork_enterprise(x, ent));
	ledger_xlsx_text(x, 4, ent);
	ledger_xlsx_text(x, 5, ledger_xlsx_fieldwork_kind(
	    fieldwork_visit_modes, flat, "mode"));
	ledger_xlsx_fieldwork_count(x, 6, flat, "suggestions");
	ledger_xlsx_text(x, 7, ledger_xlsx_fieldwork_field(flat, "note"));
}

static void
ledger_xlsx_fieldwork_event(struct ledger_xlsx *x, const redisReply *flat)
{
	cJSON *list = cJSON_Parse(ledger_xlsx_fieldwork_field(flat,
	    "enterprises"));
	const cJSON *e;
	char *names = xstrdup(""), *joined;

	cJSON_ArrayForEach(e, list) {
		if (!cJSON_IsString(e))
			continue;
		xasprintf(&joined, "%s%s%s", names, *names ? "、" : "",
		    ledger_xlsx_fieldwork_enterprise(x, e->valuestring));
		free(names);
		names = joined;
	}
	cJSON_Delete(list);
	ledger_xlsx_text(x, 0, ledger_xlsx_fieldwork_field(flat, "id"));
	ledger_xlsx_fieldwork_date(x, 1, flat);
	ledger_xlsx_text(x, 2, ledger_xlsx_fieldwork_officer(x, flat));
	ledger_xlsx_text(x, 3, ledger_xlsx_fieldwork_kind(
	    fieldwork_event_kinds, flat, "kind"));
	ledger_xlsx_text(x, 4, ledger_xlsx_fieldwork_field(flat, "title"));
	ledger_xlsx_fieldwork_count(x, 5, flat, "audience");
	ledger_xlsx_text(x, 6, names);
	free(names);
}

static void
ledger_xlsx_fieldwork_outcome(struct ledger_xlsx *x, const redisReply *flat)
{
	const struct fieldwork_kind *k = fieldwork_kind_find(
	    fieldwork_outcome_kinds, ledger_xlsx_fieldwork_field(flat, "kind"));
	int64_t units = strtoll(ledger_xlsx_fieldwork_field(flat, "amount"),
	    NULL, 10);

	ledger_xlsx_text(x, 0, ledger_xlsx_fieldwork_field(flat, "id"));
	ledger_xlsx_fieldwork_date(x, 1, flat);
	ledger_xlsx_text(x, 2, ledger_xlsx_fieldwork_officer(x, flat));
	ledger_xlsx_text(x, 3, ledger_xlsx_fieldwork_enterprise(x,
	    ledger_xlsx_fieldwork_field(flat, "enterprise")));
	ledger_xlsx_text(x, 4, k != NULL ? k->zh : "");
	if (k != NULL && k->unit == FIELDWORK_UNIT_YUAN)
		ledger_xlsx_money(x, 5, units);
	else
		ledger_xlsx_number(x, 5, (double)units, 0);
	ledger_xlsx_text(x, 6, k != NULL ? k->unit_zh : "");
	ledger_xlsx_text(x, 7, ledger_xlsx_fieldwork_field(flat, "issue"));
	ledger_xlsx_text(x, 8, ledger_xlsx_fieldwork_field(flat, "note"));
}

/* One officer's row of 指导员表现. */
static void
ledger_xlsx_fieldwork_performance(struct ledger_xlsx *x,
    const struct performance *p)
{
	size_t i, col = 0;
	int64_t v;

	ledger_xlsx_text(x, col++, p->officer->id);
	ledger_xlsx_text(x, col++, p->officer->name);
	ledger_xlsx_text(x, col++, p->officer->unit ? p->officer->unit : "");
	for (i = 0; i < performance_ncolumns(); i++, col++) {
		v = performance_value(p, i);
		if (i >= PERFORMANCE_NFIXED && fieldwork_outcome_kinds[i -
		    PERFORMANCE_NFIXED].unit == FIELDWORK_UNIT_YUAN)
			ledger_xlsx_money(x, col, v);
		else
			ledger_xlsx_number(x, col, (double)v, 0);
	}
	ledger_xlsx_text(x, col, p->idle ? "是" : "否");
}

/* ---- the sheets ---- */

/* The rows of sheet (0 visits, 1 talks, 2 outcomes, 3 officers). */
static void
ledger_xlsx_fieldwork_rows(struct ledger_xlsx *x, int sheet)
{
	const redisReply *list;
	size_t i;

	if (sheet == 3) {
		for (i = 0; i < x->fw->nrows; i++) {
			ledger_xlsx_row_begin(x);
			ledger_xlsx_fieldwork_performance(x, &x->fw->rows[i]);
			ledger_xlsx_row_end(x);
		}
		return;
	}
	list = x->fw->records[sheet];
	for (i = list->elements; i > 0; i--) {   /* oldest first */
		ledger_xlsx_row_begin(x);
		if (sheet == 0)
			ledger_xlsx_fieldwork_visit(x, list->element[i - 1]);
		else if (sheet == 1)
			ledger_xlsx_fieldwork_event(x, list->element[i - 1]);
		else
			ledger_xlsx_fieldwork_outcome(x, list->element[i - 1]);
		ledger_xlsx_row_end(x);
	}
}

/* One sheet: measured, then written under its title block. */
static void
ledger_xlsx_fieldwork_sheet(struct ledger_xlsx *x, int sheet,
    const char *name, const char *const *headers, size_t n)
{
	char from[FIELDWORK_DATE_LEN + 1], to[FIELDWORK_DATE_LEN + 1];
	char *subtitle;

	ledger_xlsx_measure(x, headers, n, LEDGER_XLSX_FW_WRAP);
	ledger_xlsx_fieldwork_rows(x, sheet);
	fieldwork_date_format(x->fw->from, from);
	fieldwork_date_format(x->fw->to, to);
	xasprintf(&subtitle, "期次：%s　　日期：%s 至 %s　　生成时间：%s",
	    x->period, from, to, x->generated);
	ledger_xlsx_sheet_titled(x, name, "联系服务台账", subtitle, headers, n);
	free(subtitle);
	if (x->error)
		return;
	ledger_xlsx_fieldwork_rows(x, sheet);
	ledger_xlsx_sheet_end(x, n);
}

/* The four field-work sheets of x->fw. */
void
ledger_xlsx_fieldwork(struct ledger_xlsx *x)
{
	const char *headers[3 + FIELDWORK_NOUTCOME_KINDS + PERFORMANCE_NFIXED +
	    1];
	size_t i, n = 0;

	ledger_xlsx_fieldwork_sheet(x, 0, "走访记录",
	    ledger_xlsx_fieldwork_visit_columns, LEDGER_XLSX_FW_NVISIT);
	if (!x->error)
		ledger_xlsx_fieldwork_sheet(x, 1, "宣讲活动",
		    ledger_xlsx_fieldwork_event_columns, LEDGER_XLSX_FW_NEVENT);
	if (!x->error)
		ledger_xlsx_fieldwork_sheet(x, 2, "工作成效",
		    ledger_xlsx_fieldwork_outcome_columns,
		    LEDGER_XLSX_FW_NOUTCOME);
	if (x->error)
		return;
	headers[n++] = "指导员编号";
	headers[n++] = "指导员";
	headers[n++] = "所在单位";
	for (i = 0; i < performance_ncolumns(); i++)
		headers[n++] = performance_column_zh(i);
	headers[n++] = "超期未走访";
	ledger_xlsx_fieldwork_sheet(x, 3, "指导员表现", headers, n);
}
