/*
 * fieldwork.c -- an officer's field work besides the issue list (SPEC §11):
 * visits (走访), talks (宣讲) and outcomes (工作成效). This file holds their
 * words and units, checks a request body completely and turns it into the
 * record fieldwork.lua stores: the hash fields, the indexes' day, and the
 * running totals the record adds to (figures.c reads them back).
 *
 * Every rule about these records lives here: the modes and kinds, the unit
 * and the largest amount of each outcome kind, how far back a date may go,
 * the largest audience. The Lua script applies what the record says.
 *
 * Amounts are kept in whole units: counts and people as they are, money in
 * fen (分, hundredths of a yuan), so that sums are exact integers.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"

/* 走访 modes (SPEC §11). */
const struct fieldwork_kind fieldwork_visit_modes[] = {
	{ "visit", "走访", FIELDWORK_UNIT_COUNT, 0, NULL },
	{ "forum", "集中座谈", FIELDWORK_UNIT_COUNT, 0, NULL },
	{ "interview", "个别访谈", FIELDWORK_UNIT_COUNT, 0, NULL },
	{ "sit_in", "列席旁听", FIELDWORK_UNIT_COUNT, 0, NULL },
	{ NULL, NULL, 0, 0, NULL }
};

/* Talks: theory (理论宣讲), policy (政策宣讲), other. */
const struct fieldwork_kind fieldwork_event_kinds[] = {
	{ "theory", "理论宣讲", FIELDWORK_UNIT_PEOPLE, FIELDWORK_AUDIENCE_MAX,
	    NULL },
	{ "policy", "政策宣讲", FIELDWORK_UNIT_PEOPLE, FIELDWORK_AUDIENCE_MAX,
	    NULL },
	{ "other", "其他宣讲", FIELDWORK_UNIT_PEOPLE, FIELDWORK_AUDIENCE_MAX,
	    NULL },
	{ NULL, NULL, 0, 0, NULL }
};

/*
 * Outcomes and the unit of their amount (and its word), with the largest
 * amount one record may carry (in stored units: money in fen). Larger is a typing
 * error, not a result: 10,000 organisations founded with one visit, or
 * more than ten billion yuan for one enterprise.
 */
const struct fieldwork_kind fieldwork_outcome_kinds[] = {
	{ "party_org", "党组织成立", FIELDWORK_UNIT_COUNT, 100, "家" },
	{ "mass_org", "群团组织成立", FIELDWORK_UNIT_COUNT, 100, "家" },
	{ "hires", "帮助招聘", FIELDWORK_UNIT_PEOPLE, 100000, "人" },
	{ "tax_relief", "税收优惠", FIELDWORK_UNIT_YUAN,
	    (int64_t)1000000000000, "元" },  /* 10^10 yuan */
	{ "funding", "融资/补贴", FIELDWORK_UNIT_YUAN,
	    (int64_t)1000000000000, "元" },
	{ "other", "其他", FIELDWORK_UNIT_COUNT, 10000, "项" },
	{ NULL, NULL, 0, 0, NULL }
};

const struct fieldwork_kind *
fieldwork_kind_find(const struct fieldwork_kind *table, const char *name)
{
	for (; table->name != NULL; table++)
		if (strcmp(table->name, name) == 0)
			return table;
	return NULL;
}

/* The index of kind in its table (for arrays kept in table order). */
size_t
fieldwork_kind_index(const struct fieldwork_kind *table,
    const struct fieldwork_kind *kind)
{
	return (size_t)(kind - table);
}

/* Parse exactly "YYYY-MM-DD", a real calendar day, into a day number. */
int
fieldwork_date_parse(const char *s, int64_t *day)
{
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	y = date_digits(s, 4);
	m = date_digits(s + 5, 2);
	d = date_digits(s + 8, 2);
	if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 ||
	    d > date_month_length(y, m))
		return -1;
	*day = date_to_days(y, m, d);
	return 0;
}

void
fieldwork_date_format(int64_t day, char buf[FIELDWORK_DATE_LEN + 1])
{
	int y, m, d;

	date_from_days(day, &y, &m, &d);
	snprintf(buf, FIELDWORK_DATE_LEN + 1, "%04d-%02d-%02d", y, m, d);
}

/* The zone's day number of t (TZ is the zone's: see liaisond.c). */
int64_t
fieldwork_today(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return date_to_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* The zone's offset from UTC at t, in seconds (TZ is the zone's). */
int
fieldwork_offset(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return (int)tm.tm_gmtoff;
}

/*
 * The first day a record may be dated at time now: the first day of the
 * previous half-month period, as for a late report.
 */
int64_t
fieldwork_earliest(time_t now)
{
	struct period cur, prev;

	period_of_time(now, &cur);
	period_previous(&cur, &prev);
	return date_to_days(prev.year, prev.month, prev.half == 1 ? 1 : 16);
}

/* The YYYYMM of a day number: the month's running totals. */
int
fieldwork_month(int64_t day)
{
	int y, m, d;

	date_from_days(day, &y, &m, &d);
	return y * 100 + m;
}

/*
 * Read the amount of kind from item into stored units (*units). A count is
 * a whole number; money has at most two decimals. Negative, fractional
 * counts, three decimals and more than the kind's largest are refused.
 */
int
fieldwork_amount_read(const cJSON *item, const struct fieldwork_kind *kind,
    const char *field, int64_t *units, struct api_error *e)
{
	double v, cents;

	char text[64];

	if (!cJSON_IsNumber(item)) {
		validate_error_set(e, 400, "bad_request", field,
		    "must be a number");
		return -1;
	}
	v = item->valuedouble;
	if (!isfinite(v) || v < 0) {
		validate_error_set(e, 422, "invalid", field,
		    "may not be negative");
		return -1;
	}
	if (kind->unit != FIELDWORK_UNIT_YUAN) {
		if (v > (double)kind->max) {
			validate_error_set(e, 422, "invalid", field,
			    "more than %lld "
			    "for one %s record", (long long)kind->max,
			    kind->name);
			return -1;
		}
		if (v != (double)(int64_t)v) {
			validate_error_set(e, 422, "invalid", field,
			    "must be a whole number for %s", kind->name);
			return -1;
		}
		*units = (int64_t)v;
		return 0;
	}
	if (v * 100 > (double)kind->max) {
		validate_error_set(e, 422, "invalid", field,
		    "more than %lld yuan "
		    "for one %s record", (long long)(kind->max / 100),
		    kind->name);
		return -1;
	}
	/*
	 * Two decimals at most: the number printed with two decimals must
	 * read back as the same double. 1.005 prints as 1.00 (or 1.01) and
	 * reads back as another number; 61780000.50 reads back as itself.
	 */
	snprintf(text, sizeof text, "%.2f", v);
	if (strtod(text, NULL) != v) {
		validate_error_set(e, 422, "invalid", field,
		    "yuan with at most two "
		    "decimals");
		return -1;
	}
	cents = v * 100;
	*units = (int64_t)(cents + 0.5);
	return 0;
}

/* An amount in stored units as the API shows it: a JSON number. */
cJSON *
fieldwork_amount_json(const struct fieldwork_kind *kind, int64_t units)
{
	if (kind->unit == FIELDWORK_UNIT_YUAN)
		return cJSON_CreateNumber((double)units / 100);
	return cJSON_CreateNumber((double)units);
}

/* ---- reading a body ---- */

static int
fieldwork_int_read(const cJSON *obj, const char *name, int required,
    int64_t max, int64_t *out, struct api_error *e)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	*out = 0;
	if (item == NULL) {
		if (!required)
			return 0;
		validate_error_set(e, 422, "invalid", name,
		    "this field is required");
		return -1;
	}
	if (!cJSON_IsNumber(item)) {
		validate_error_set(e, 400, "bad_request", name,
		    "must be a number");
		return -1;
	}
	if (!isfinite(item->valuedouble) || item->valuedouble < 0) {
		validate_error_set(e, 422, "invalid", name,
		    "may not be negative");
		return -1;
	}
	if (item->valuedouble > (double)max) {
		validate_error_set(e, 422, "invalid", name,
		    "more than %lld is not "
		    "believable for one record", (long long)max);
		return -1;
	}
	if (item->valuedouble != (double)(int64_t)item->valuedouble) {
		validate_error_set(e, 422, "invalid", name,
		    "must be a whole number");
		return -1;
	}
	*out = (int64_t)item->valuedouble;
	return 0;
}

/* "date": a day from the previous period's first to today (zone time). */
static int
fieldwork_date_read(const cJSON *obj, time_t now, int64_t *day,
    struct api_error *e)
{
	const char *s;

	if (validate_get_string(obj, "date", "", 1, FIELDWORK_DATE_LEN, &s,
	    e) == -1)
		return -1;
	if (fieldwork_date_parse(s, day) == -1) {
		validate_error_set(e, 422, "invalid", "date", "not a date: use "
		    "YYYY-MM-DD");
		return -1;
	}
	if (*day > fieldwork_today(now)) {
		validate_error_set(e, 422, "invalid", "date",
		    "may not be in the "
		    "future");
		return -1;
	}
	if (*day < fieldwork_earliest(now)) {
		validate_error_set(e, 422, "invalid", "date",
		    "before the previous "
		    "period's first day");
		return -1;
	}
	return 0;
}

/* A kind from its table, by the body's field name; 422 when unknown. */
static const struct fieldwork_kind *
fieldwork_kind_read(const cJSON *obj, const char *name,
    const struct fieldwork_kind *table, struct api_error *e)
{
	const struct fieldwork_kind *k;
	const char *s;

	if (validate_get_string(obj, name, "", 1, 32, &s, e) == -1)
		return NULL;
	if ((k = fieldwork_kind_find(table, s)) == NULL) {
		validate_error_set(e, 422, "invalid", name,
		    "unknown %s \"%.32s\"",
		    name, s);
		return NULL;
	}
	return k;
}

/*
 * The enterprise named by field: it must be in the roster (else 422) and,
 * when officer is not NULL, linked to that officer (else 403).
 */
static const struct enterprise *
fieldwork_enterprise_read(const cJSON *value, const char *field,
    const struct roster *roster, const struct officer *officer,
    struct api_error *e)
{
	const struct enterprise *ent;

	if (!cJSON_IsString(value)) {
		validate_error_set(e, 400, "bad_request", field,
		    "must be a string");
		return NULL;
	}
	if ((ent = roster_enterprise(roster, value->valuestring)) == NULL) {
		validate_error_set(e, 422, "invalid", field,
		    "no such enterprise in "
		    "the roster");
		return NULL;
	}
	if (officer != NULL && !roster_officer_has(officer, ent->id)) {
		validate_error_set(e, 403, "forbidden", field,
		    "this enterprise is "
		    "not linked to you");
		return NULL;
	}
	return ent;
}

/*
 * A new record for fieldwork.lua: its type and id letter, its day and
 * month, and its hash fields (strings). The caller adds totals.
 */
static cJSON *
fieldwork_record_new(const char *type, const char *letter, int64_t day,
    const char *officer)
{
	cJSON *rec = cJSON_CreateObject(), *fields;
	char date[FIELDWORK_DATE_LEN + 1], buf[32];

	cJSON_AddStringToObject(rec, "type", type);
	cJSON_AddStringToObject(rec, "letter", letter);
	snprintf(buf, sizeof buf, "%lld", (long long)day);
	cJSON_AddStringToObject(rec, "day", buf);
	snprintf(buf, sizeof buf, "%d", fieldwork_month(day));
	cJSON_AddStringToObject(rec, "month", buf);
	cJSON_AddArrayToObject(rec, "totals");
	fields = cJSON_AddObjectToObject(rec, "fields");
	fieldwork_date_format(day, date);
	cJSON_AddStringToObject(fields, "date", date);
	cJSON_AddStringToObject(fields, "officer", officer ? officer : "");
	return rec;
}

static void
fieldwork_field(cJSON *rec, const char *name, const char *v)
{
	cJSON_AddStringToObject(cJSON_GetObjectItem(rec, "fields"), name, v);
}

static void
fieldwork_field_int(cJSON *rec, const char *name, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%lld", (long long)v);
	fieldwork_field(rec, name, buf);
}

/* Add n to the running total named name (figures.c's field names). */
static void
fieldwork_total(cJSON *rec, const char *name, int64_t n)
{
	cJSON *t = cJSON_CreateArray();
	char buf[32];

	snprintf(buf, sizeof buf, "%lld", (long long)n);
	cJSON_AddItemToArray(t, cJSON_CreateString(name));
	cJSON_AddItemToArray(t, cJSON_CreateString(buf));
	cJSON_AddItemToArray(cJSON_GetObjectItem(rec, "totals"), t);
}

/*
 * POST /api/v1/visits: {"enterprise","date","mode","note","suggestions"}
 * by officer. Returns the record for fieldwork.lua, or NULL with e set.
 */
cJSON *
fieldwork_visit_parse(const char *body, size_t len,
    const struct roster *roster, const struct officer *officer, time_t now,
    struct api_error *e)
{
	static const char *const fields[] = { "enterprise", "date", "mode",
	    "note", "suggestions", NULL };
	const struct fieldwork_kind *mode;
	const struct enterprise *ent;
	const char *id, *note;
	int64_t day, suggestions;
	cJSON *json, *rec;

	if ((json = validate_parse_object(body, len, e)) == NULL)
		return NULL;
	if (validate_check_fields(json, fields, "", e) == -1 ||
	    validate_get_string(json, "enterprise", "", 1, USCC_LEN, &id,
	    e) == -1 ||
	    (ent = fieldwork_enterprise_read(cJSON_GetObjectItem(json,
	    "enterprise"), "enterprise", roster, officer, e)) == NULL ||
	    fieldwork_date_read(json, now, &day, e) == -1 ||
	    (mode = fieldwork_kind_read(json, "mode", fieldwork_visit_modes,
	    e)) == NULL ||
	    validate_get_string(json, "note", "", 0, FIELDWORK_NOTE_MAX, &note,
	    e) == -1 ||
	    fieldwork_int_read(json, "suggestions", 0,
	    FIELDWORK_SUGGESTIONS_MAX, &suggestions, e) == -1) {
		cJSON_Delete(json);
		return NULL;
	}
	rec = fieldwork_visit_record(officer, ent, day, mode, note ? note : "",
	    suggestions);
	cJSON_Delete(json);
	return rec;
}

/*
 * The record of a checked visit (by the API above, or an import): its
 * fields, and the totals and enterprises visited it adds to.
 */
cJSON *
fieldwork_visit_record(const struct officer *officer,
    const struct enterprise *ent, int64_t day,
    const struct fieldwork_kind *mode, const char *note, int64_t suggestions)
{
	cJSON *rec = fieldwork_record_new("visit", "V", day, officer->id);

	fieldwork_field(rec, "enterprise", ent->id);
	fieldwork_field(rec, "mode", mode->name);
	fieldwork_field(rec, "note", note);
	fieldwork_field_int(rec, "suggestions", suggestions);
	fieldwork_total(rec, "visits", 1);
	fieldwork_total(rec, "suggestions", suggestions);
	cJSON_AddStringToObject(rec, "visited", ent->id);
	return rec;
}

/*
 * POST /api/v1/events: {"kind","date","title","audience","enterprises"}
 * by officer; the enterprises (optional, at most
 * FIELDWORK_EVENT_ENTERPRISES_MAX) must be the officer's.
 */
cJSON *
fieldwork_event_parse(const char *body, size_t len,
    const struct roster *roster, const struct officer *officer, time_t now,
    struct api_error *e)
{
	static const char *const fields[] = { "kind", "date", "title",
	    "audience", "enterprises", NULL };
	const struct fieldwork_kind *kind;
	const cJSON *list, *item, *seen;
	const char *title;
	char field[32];
	int64_t day, audience;
	cJSON *json, *rec, *ents;
	int i = 0;

	if ((json = validate_parse_object(body, len, e)) == NULL)
		return NULL;
	if (validate_check_fields(json, fields, "", e) == -1 ||
	    (kind = fieldwork_kind_read(json, "kind", fieldwork_event_kinds,
	    e)) == NULL ||
	    fieldwork_date_read(json, now, &day, e) == -1 ||
	    validate_get_string(json, "title", "", 1, FIELDWORK_TITLE_MAX,
	    &title,
	    e) == -1 ||
	    fieldwork_int_read(json, "audience", 1, kind->max, &audience,
	    e) == -1)
		goto fail;
	list = cJSON_GetObjectItemCaseSensitive(json, "enterprises");
	if (list != NULL && !cJSON_IsArray(list)) {
		validate_error_set(e, 400, "bad_request", "enterprises",
		    "must be an array");
		goto fail;
	}
	if (cJSON_GetArraySize(list) > FIELDWORK_EVENT_ENTERPRISES_MAX) {
		validate_error_set(e, 422, "invalid", "enterprises",
		    "at most %d",
		    FIELDWORK_EVENT_ENTERPRISES_MAX);
		goto fail;
	}
	ents = cJSON_CreateArray();
	cJSON_ArrayForEach(item, list) {
		snprintf(field, sizeof field, "enterprises[%d]", i++);
		if (fieldwork_enterprise_read(item, field, roster, officer,
		    e) == NULL) {
			cJSON_Delete(ents);
			goto fail;
		}
		cJSON_ArrayForEach(seen, ents)
			if (strcmp(seen->valuestring, item->valuestring) == 0)
				break;
		if (seen == NULL)
			cJSON_AddItemToArray(ents,
			    cJSON_CreateString(item->valuestring));
	}
	rec = fieldwork_event_record(officer, kind, day, title, audience, ents);
	cJSON_Delete(ents);
	cJSON_Delete(json);
	return rec;
fail:
	cJSON_Delete(json);
	return NULL;
}

/* The record of a checked talk; ents is a JSON array of credit codes. */
cJSON *
fieldwork_event_record(const struct officer *officer,
    const struct fieldwork_kind *kind, int64_t day, const char *title,
    int64_t audience, const cJSON *ents)
{
	cJSON *rec = fieldwork_record_new("event", "E", day, officer->id);
	char name[64], *text;

	fieldwork_field(rec, "kind", kind->name);
	fieldwork_field(rec, "title", title);
	fieldwork_field_int(rec, "audience", audience);
	text = cJSON_PrintUnformatted(ents);
	fieldwork_field(rec, "enterprises", text);
	free(text);
	snprintf(name, sizeof name, "events:%s", kind->name);
	fieldwork_total(rec, name, 1);
	snprintf(name, sizeof name, "audience:%s", kind->name);
	fieldwork_total(rec, name, audience);
	return rec;
}

/*
 * The record of a checked outcome: officer_id "" when the caller is an
 * admin, ent NULL and issue NULL when they come from its issue.
 */
cJSON *
fieldwork_outcome_record(const char *officer_id, const struct enterprise *ent,
    const struct fieldwork_kind *kind, int64_t day, int64_t units,
    const char *issue, const char *note)
{
	cJSON *rec = fieldwork_record_new("outcome", "C", day, officer_id);
	char name[64];

	fieldwork_field(rec, "enterprise", ent ? ent->id : "");
	fieldwork_field(rec, "kind", kind->name);
	fieldwork_field_int(rec, "amount", units);
	fieldwork_field(rec, "issue", issue ? issue : "");
	fieldwork_field(rec, "note", note ? note : "");
	snprintf(name, sizeof name, "outcomes:%s", kind->name);
	fieldwork_total(rec, name, units);
	cJSON_AddItemToObject(rec, "amount", fieldwork_amount_json(kind,
	    units));
	return rec;
}

/*
 * One outcome from obj (a body, or one of a resolve's "outcomes", named
 * prefix in messages). officer: the caller when an officer (the enterprise
 * must be theirs), else NULL. from_task: a resolve's outcome, which may
 * name neither enterprise nor issue (the task's first issue gives both).
 * Returns the record, or NULL with e set.
 */
cJSON *
fieldwork_outcome_read(const cJSON *obj, const char *prefix,
    const struct roster *roster, const struct officer *officer,
    int from_task, time_t now, struct api_error *e)
{
	static const char *const fields[] = { "enterprise", "kind", "date",
	    "amount", "issue", "note", NULL };
	const struct fieldwork_kind *kind;
	const struct enterprise *ent = NULL;
	const cJSON *item;
	const char *note, *issue;
	int64_t day, units;

	if (validate_check_fields(obj, fields, prefix, e) == -1 ||
	    (kind = fieldwork_kind_read(obj, "kind", fieldwork_outcome_kinds,
	    e)) == NULL ||
	    fieldwork_date_read(obj, now, &day, e) == -1 ||
	    validate_get_string(obj, "note", "", 0, FIELDWORK_NOTE_MAX, &note,
	    e) == -1 ||
	    validate_get_string(obj, "issue", "", 0, 20, &issue, e) == -1)
		return NULL;
	if ((item = cJSON_GetObjectItemCaseSensitive(obj, "amount")) == NULL) {
		validate_error_set(e, 422, "invalid", "amount", "this field is "
		    "required");
		return NULL;
	}
	if (fieldwork_amount_read(item, kind, "amount", &units, e) == -1)
		return NULL;
	if (issue != NULL && (strlen(issue) < 2 || issue[0] != 'I' ||
	    strspn(issue + 1, "0123456789") != strlen(issue) - 1)) {
		validate_error_set(e, 422, "invalid", "issue",
		    "not an issue id");
		return NULL;
	}
	item = cJSON_GetObjectItemCaseSensitive(obj, "enterprise");
	if (item == NULL && issue == NULL && !from_task) {
		validate_error_set(e, 422, "invalid", "enterprise",
		    "this field is "
		    "required");
		return NULL;
	}
	if (item != NULL && (ent = fieldwork_enterprise_read(item,
	    "enterprise", roster, officer, e)) == NULL)
		return NULL;
	return fieldwork_outcome_record(officer ? officer->id : "", ent, kind,
	    day, units, issue, note);
}

/* POST /api/v1/outcomes, by an officer (officer) or an admin (NULL). */
cJSON *
fieldwork_outcome_parse(const char *body, size_t len,
    const struct roster *roster, const struct officer *officer, time_t now,
    struct api_error *e)
{
	cJSON *json, *rec;

	if ((json = validate_parse_object(body, len, e)) == NULL)
		return NULL;
	rec = fieldwork_outcome_read(json, "", roster, officer, 0, now, e);
	cJSON_Delete(json);
	return rec;
}

/*
 * A stored record (its hash, flat as HGETALL gives it) as the API shows
 * it: numbers as numbers, an outcome's amount in its unit, the event's
 * enterprises as an array, "created" as ISO 8601.
 */
cJSON *
fieldwork_record_json(const redisReply *flat)
{
	static const char *const numbers[] = { "suggestions", "audience",
	    NULL };
	static const char *const strings[] = { "id", "officer", "enterprise",
	    "date", "mode", "kind", "title", "note", NULL };
	const struct fieldwork_kind *kind = NULL;
	const char *v, *type;
	cJSON *obj = cJSON_CreateObject(), *list;
	char when[32];
	size_t i;

	type = util_reply_field(flat, "id");
	for (i = 0; strings[i] != NULL; i++)
		if ((v = util_reply_field(flat, strings[i])) != NULL)
			cJSON_AddStringToObject(obj, strings[i], v);
	for (i = 0; numbers[i] != NULL; i++)
		if ((v = util_reply_field(flat, numbers[i])) != NULL)
			cJSON_AddNumberToObject(obj, numbers[i],
			    strtod(v, NULL));
	if ((v = util_reply_field(flat, "enterprises")) != NULL) {
		list = cJSON_Parse(v);
		cJSON_AddItemToObject(obj, "enterprises", list ? list :
		    cJSON_CreateArray());
	}
	if (type != NULL && type[0] == 'C') {
		v = util_reply_field(flat, "kind");
		kind = v ? fieldwork_kind_find(fieldwork_outcome_kinds, v) : NULL;
		v = util_reply_field(flat, "amount");
		if (kind != NULL && v != NULL)
			cJSON_AddItemToObject(obj, "amount",
			    fieldwork_amount_json(kind, strtoll(v, NULL, 10)));
		v = util_reply_field(flat, "issue");
		if (v == NULL || *v == '\0')
			cJSON_AddNullToObject(obj, "issue");
		else
			cJSON_AddStringToObject(obj, "issue", v);
	}
	if ((v = util_reply_field(flat, "by")) != NULL)
		cJSON_AddStringToObject(obj, "by", v);
	if ((v = util_reply_field(flat, "created")) != NULL) {
		util_time_iso8601(strtoll(v, NULL, 10), when);
		cJSON_AddStringToObject(obj, "created", when);
	}
	return obj;
}
