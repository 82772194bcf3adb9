/*
 * figures.c -- the zone's figures for a range of days (GET
 * /api/v1/figures) and the sentence the zone writes them in (summary_zh).
 *
 * The figures come from running totals, never from the records: each
 * record adds to its day's and its month's totals when it is stored
 * (fieldwork.c names the fields, fieldwork.lua adds). A range is read as
 * whole months where it can and single days at its ends, so a year costs
 * at most 12 + 60 small hashes, whatever the number of records.
 *
 * How the zone rounds (its own reports: "受众8000余人次", "招聘员工560余人",
 * "税收优惠6178万元"): counts of things (visits, talks, suggestions,
 * organisations) are exact; counts of people keep two significant digits,
 * rounded down, with 余 when something was dropped, and are written in 万
 * from 10,000; money is written in 元 below 10,000 yuan and in 万元 from
 * there, rounded to two decimals of 万 without trailing zeros. A part whose
 * number is zero is left out.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"

/*
 * The keys of a range: months wholly inside [from, to] as "m:YYYYMM", the
 * other days as "d:DAY". Calls fn for each; returns how many.
 */
size_t
figures_range_keys(int64_t from, int64_t to,
    void (*fn)(const char *, void *), void *arg)
{
	int64_t day = from, end;
	int y, m, d;
	char key[32];
	size_t n = 0;

	while (day <= to) {
		date_from_days(day, &y, &m, &d);
		end = day + date_month_length(y, m) - 1;
		if (d == 1 && end <= to) {
			snprintf(key, sizeof key, "m:%04d%02d", y, m);
			day = end + 1;
		} else {
			snprintf(key, sizeof key, "d:%" PRId64, day);
			day++;
		}
		fn(key, arg);
		n++;
	}
	return n;
}

/*
 * The ms of 00:00 of day number day in a zone offset_s seconds ahead of
 * UTC (day 0 is 1970-01-01). Computed, not asked of the C library, so the
 * mail thread may use it (digest_sched.c keeps it away from TZ).
 */
int64_t
figures_day_ms(int64_t day, int offset_s)
{
	return ((day - date_to_days(1970, 1, 1)) * 86400 - offset_s) * 1000;
}

/* The day number of ms in a zone offset_s seconds ahead of UTC. */
int64_t
figures_ms_day(int64_t ms, int offset_s)
{
	int64_t s = ms / 1000 + offset_s;

	return (s >= 0 ? s / 86400 : (s - 86399) / 86400) +
	    date_to_days(1970, 1, 1);
}

static void
figures_add_key(const char *key, void *arg)
{
	cJSON_AddItemToArray(arg, cJSON_CreateString(key));
}

/*
 * The payload of fieldwork.lua's figures action for f's range: the
 * totals' keys, the issue categories and the range in ms.
 */
cJSON *
figures_payload(const struct figures *f, int offset_s)
{
	cJSON *payload = cJSON_CreateObject(), *keys, *cats;
	char ms[32];
	size_t i;

	keys = cJSON_AddArrayToObject(payload, "keys");
	figures_range_keys(f->from, f->to, figures_add_key, keys);
	cats = cJSON_AddArrayToObject(payload, "categories");
	for (i = 0; issue_categories[i] != NULL; i++)
		cJSON_AddItemToArray(cats,
		    cJSON_CreateString(issue_categories[i]));
	snprintf(ms, sizeof ms, "%lld",
	    (long long)figures_day_ms(f->from, offset_s));
	cJSON_AddStringToObject(payload, "from_ms", ms);
	snprintf(ms, sizeof ms, "%lld",
	    (long long)figures_day_ms(f->to + 1, offset_s) - 1);
	cJSON_AddStringToObject(payload, "to_ms", ms);
	return payload;
}

/*
 * Fill f from the figures action's reply ({totals, enterprises visited,
 * {by category}, resolved}). Returns -1 when the reply is not that.
 */
int
figures_read(struct figures *f, const redisReply *reply)
{
	size_t i;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 4 ||
	    reply->element[1]->type != REDIS_REPLY_INTEGER ||
	    reply->element[2]->type != REDIS_REPLY_ARRAY ||
	    reply->element[3]->type != REDIS_REPLY_INTEGER)
		return -1;
	figures_add_totals(f, reply->element[0]);
	f->enterprises_visited = reply->element[1]->integer;
	for (i = 0; i < CATEGORY_COUNT && i < reply->element[2]->elements; i++)
		if (reply->element[2]->element[i]->type == REDIS_REPLY_INTEGER)
			f->issues[i] = reply->element[2]->element[i]->integer;
	f->resolved = reply->element[3]->integer;
	return 0;
}

/* Add the totals of a flat field/value array (HGETALL summed) to f. */
void
figures_add_totals(struct figures *f, const redisReply *flat)
{
	const struct fieldwork_kind *k;
	const char *name, *v;
	size_t i;
	int64_t n;

	if (flat == NULL || flat->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i + 1 < flat->elements; i += 2) {
		if (flat->element[i]->type != REDIS_REPLY_STRING ||
		    flat->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		name = flat->element[i]->str;
		v = flat->element[i + 1]->str;
		n = strtoll(v, NULL, 10);
		if (strcmp(name, "visits") == 0)
			f->visits += n;
		else if (strcmp(name, "suggestions") == 0)
			f->suggestions += n;
		else if (strncmp(name, "events:", 7) == 0 &&
		    (k = fieldwork_kind_find(fieldwork_event_kinds,
		    name + 7)) != NULL)
			f->events[fieldwork_kind_index(fieldwork_event_kinds,
			    k)] += n;
		else if (strncmp(name, "audience:", 9) == 0 &&
		    (k = fieldwork_kind_find(fieldwork_event_kinds,
		    name + 9)) != NULL)
			f->audience[fieldwork_kind_index(fieldwork_event_kinds,
			    k)] += n;
		else if (strncmp(name, "outcomes:", 9) == 0 &&
		    (k = fieldwork_kind_find(fieldwork_outcome_kinds,
		    name + 9)) != NULL)
			f->outcomes[fieldwork_kind_index(
			    fieldwork_outcome_kinds, k)] += n;
	}
}

/* ---- the zone's way of writing numbers ---- */

/*
 * A count of people as the zone writes it: exact below 100; else two
 * significant digits, rounded down, "余" when something was dropped; in
 * 万 from 10,000 (12,345 → 1.2万余, 10,000 → 1万, 9,999 → 9900余).
 */
void
figures_people_zh(int64_t n, char *buf, size_t len)
{
	int64_t unit = 1, kept;
	const char *more;

	if (n < 100) {
		snprintf(buf, len, "%" PRId64, n < 0 ? 0 : n);
		return;
	}
	while (n / unit >= 100)
		unit *= 10;
	kept = n / unit * unit;
	more = kept != n ? "余" : "";
	if (kept < 10000) {
		snprintf(buf, len, "%" PRId64 "%s", kept, more);
		return;
	}
	/* kept is a multiple of 1000 at least: at most one decimal of 万. */
	if (kept % 10000 == 0)
		snprintf(buf, len, "%" PRId64 "万%s", kept / 10000, more);
	else
		snprintf(buf, len, "%" PRId64 ".%" PRId64 "万%s", kept / 10000,
		    kept % 10000 / 1000, more);
}

/*
 * Money (fen) as the zone writes it: yuan rounded below 10,000 yuan
 * ("5000元"); from there 万元 rounded to two decimals, trailing zeros
 * dropped (61,780,000.50 yuan → 6178万元, 123,456 yuan → 12.35万元).
 */
void
figures_money_zh(int64_t fen, char *buf, size_t len)
{
	int64_t hundredths;

	if (fen < 0)
		fen = 0;
	if ((fen + 50) / 100 < 10000) {
		snprintf(buf, len, "%" PRId64 "元", (fen + 50) / 100);
		return;
	}
	hundredths = (fen + 5000) / 10000;  /* of 万元 */
	if (hundredths % 100 == 0)
		snprintf(buf, len, "%" PRId64 "万元", hundredths / 100);
	else if (hundredths % 10 == 0)
		snprintf(buf, len, "%" PRId64 ".%" PRId64 "万元",
		    hundredths / 100, hundredths % 100 / 10);
	else
		snprintf(buf, len, "%" PRId64 ".%02" PRId64 "万元",
		    hundredths / 100, hundredths % 100);
}

struct figures_text {
	char s[1024];
	size_t len;
	int parts;                  /* in the current clause list */
};

/* Append a part, after sep when it is not the first of its list. */
static void
figures_part(struct figures_text *t, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
figures_part(struct figures_text *t, const char *sep, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= sizeof t->s)
		return;
	if (t->parts++ > 0) {
		n = snprintf(t->s + t->len, sizeof t->s - t->len, "%s", sep);
		t->len += n > 0 ? (size_t)n : 0;
		if (t->len >= sizeof t->s)
			return;
	}
	va_start(ap, fmt);
	n = vsnprintf(t->s + t->len, sizeof t->s - t->len, fmt, ap);
	va_end(ap);
	t->len += n > 0 ? (size_t)n : 0;
}

/* The range's opening: "2026年以来" from 1 January, else both dates. */
static void
figures_opening(const struct figures *f, char *buf, size_t len)
{
	int y1, m1, d1, y2, m2, d2;

	date_from_days(f->from, &y1, &m1, &d1);
	date_from_days(f->to, &y2, &m2, &d2);
	if (m1 == 1 && d1 == 1 && y1 == y2)
		snprintf(buf, len, "%d年以来", y1);
	else
		snprintf(buf, len, "%d年%d月%d日至%d年%d月%d日", y1, m1, d1,
		    y2, m2, d2);
}

/*
 * The first half: what the officers did. Returns the number of parts
 * written to t (0: nothing was done).
 */
static int
figures_work(const struct figures *f, struct figures_text *t)
{
	struct figures_text talks = { "", 0, 0 };
	int64_t audience = 0;
	char num[64];
	size_t i;

	if (f->visits > 0)
		figures_part(t, "，", "走访企业%" PRId64 "次", f->visits);
	for (i = 0; fieldwork_event_kinds[i].name != NULL; i++) {
		if (f->events[i] == 0)
			continue;
		figures_part(&talks, "、", "%s%" PRId64 "场次",
		    strcmp(fieldwork_event_kinds[i].name, "other") == 0 ?
		    "其他宣讲活动" : fieldwork_event_kinds[i].zh, f->events[i]);
		audience += f->audience[i];
	}
	if (talks.parts > 0)
		figures_part(t, "，", "开展%s", talks.s);
	if (talks.parts > 0 && audience > 0) {
		figures_people_zh(audience, num, sizeof num);
		figures_part(t, "，", "受众%s人次", num);
	}
	if (f->suggestions > 0)
		figures_part(t, "，", "收集各类意见建议%" PRId64 "条",
		    f->suggestions);
	return t->parts;
}

/* The second half: what came of it. */
static int
figures_results(const struct figures *f, struct figures_text *t)
{
	struct figures_text orgs = { "", 0, 0 };
	int64_t party = f->outcomes[FIGURES_PARTY_ORG];
	int64_t mass = f->outcomes[FIGURES_MASS_ORG];
	char num[64];

	if (party > 0)
		figures_part(&orgs, "、", "党组织%" PRId64 "家", party);
	if (mass > 0)
		figures_part(&orgs, "、", "群团组织%" PRId64 "家", mass);
	if (orgs.parts > 0)
		figures_part(t, "，", "推动成立%s", orgs.s);
	if (f->outcomes[FIGURES_HIRES] > 0) {
		figures_people_zh(f->outcomes[FIGURES_HIRES], num, sizeof num);
		figures_part(t, "，", "帮助企业招聘员工%s人", num);
	}
	if (f->outcomes[FIGURES_TAX_RELIEF] > 0) {
		figures_money_zh(f->outcomes[FIGURES_TAX_RELIEF], num,
		    sizeof num);
		figures_part(t, "，", "指导企业享受税收优惠%s", num);
	}
	if (f->outcomes[FIGURES_FUNDING] > 0) {
		figures_money_zh(f->outcomes[FIGURES_FUNDING], num, sizeof num);
		figures_part(t, "，", "帮助企业获得融资和补贴%s", num);
	}
	if (f->outcomes[FIGURES_OTHER] > 0)
		figures_part(t, "，", "取得其他工作成效%" PRId64 "项",
		    f->outcomes[FIGURES_OTHER]);
	return t->parts;
}

/*
 * summary_zh: the range written as the zone writes its reports, from f's
 * numbers only. The caller frees the result.
 */
char *
figures_summary_zh(const struct figures *f)
{
	struct figures_text work = { "", 0, 0 }, results = { "", 0, 0 };
	char opening[96], *out;

	figures_opening(f, opening, sizeof opening);
	figures_work(f, &work);
	figures_results(f, &results);
	if (work.parts == 0 && results.parts == 0)
		xasprintf(&out, "%s，暂无走访、宣讲和工作成效记录。", opening);
	else if (results.parts == 0)
		xasprintf(&out, "%s，党建指导员共%s。", opening, work.s);
	else if (work.parts == 0)
		xasprintf(&out, "%s，党建指导员%s。", opening, results.s);
	else
		xasprintf(&out, "%s，党建指导员共%s；%s。", opening, work.s,
		    results.s);
	return out;
}

/* The figures as GET /api/v1/figures answers them (SPEC §11). */
cJSON *
figures_json(const struct figures *f)
{
	cJSON *root = cJSON_CreateObject(), *o, *ev;
	char date[FIELDWORK_DATE_LEN + 1], *summary;
	size_t i;

	fieldwork_date_format(f->from, date);
	cJSON_AddStringToObject(root, "from", date);
	fieldwork_date_format(f->to, date);
	cJSON_AddStringToObject(root, "to", date);
	cJSON_AddNumberToObject(root, "officers", (double)f->officers);
	cJSON_AddNumberToObject(root, "enterprises", (double)f->enterprises);
	cJSON_AddNumberToObject(root, "visits", (double)f->visits);
	cJSON_AddNumberToObject(root, "enterprises_visited",
	    (double)f->enterprises_visited);
	cJSON_AddNumberToObject(root, "suggestions", (double)f->suggestions);
	o = cJSON_AddObjectToObject(root, "events");
	for (i = 0; fieldwork_event_kinds[i].name != NULL; i++) {
		ev = cJSON_AddObjectToObject(o, fieldwork_event_kinds[i].name);
		cJSON_AddNumberToObject(ev, "count", (double)f->events[i]);
		cJSON_AddNumberToObject(ev, "audience", (double)f->audience[i]);
	}
	o = cJSON_AddObjectToObject(root, "issues");
	for (i = 0; i < CATEGORY_COUNT; i++)
		cJSON_AddNumberToObject(o, issue_categories[i],
		    (double)f->issues[i]);
	cJSON_AddNumberToObject(o, "resolved", (double)f->resolved);
	o = cJSON_AddObjectToObject(root, "outcomes");
	for (i = 0; fieldwork_outcome_kinds[i].name != NULL; i++)
		cJSON_AddItemToObject(o, fieldwork_outcome_kinds[i].name,
		    fieldwork_amount_json(&fieldwork_outcome_kinds[i],
		    f->outcomes[i]));
	summary = figures_summary_zh(f);
	cJSON_AddStringToObject(root, "summary_zh", summary);
	free(summary);
	return root;
}
