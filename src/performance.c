/*
 * performance.c -- an officer's record over a range of days (现实表现: 到岗
 * 工作、履职尽责、工作成效、工作实绩), defined once here and formatted by
 * the API (and, later, the page, the digest and the workbook):
 *
 *   periods   the half-months starting in the range that have ended:
 *             due; on_time (a report filed within the period), late (only
 *             a late report, filed in the next one), missed (none)
 *   visits    visits dated in the range, and their suggestions
 *   enterprises  linked (the roster's), visited (of those, visited by the
 *             officer in the range), not_visited_days (each linked one:
 *             days since the officer's last visit, null when never)
 *   idle      no linked enterprise visited in the last visit_days days
 *   events    talks dated in the range
 *   issues    raised in the range; of them resolved (resolved or closed)
 *             and satisfied (ledger_satisfied: as 满意率 counts)
 *   outcomes  amounts by kind, in their units
 *
 * fieldwork.lua gathers the facts (performance action, asked for with
 * performance_payload); this file counts. Visits, suggestions, enterprises
 * visited and outcomes come from the officer's running totals
 * (fw_officer_add in prelude.lua: by day of a month and by month of a
 * year, each enterprise's visited days or months as bits), never from the
 * records: the range's whole months are read from their years' hashes,
 * its cut first and last months by day, so a row costs a hash a year and
 * two more however many records the range holds. performance_columns names the
 * row's figures in one order with their Chinese headers, so that the
 * /officers page and the workbook's 指导员表现 sheet show the same columns
 * under the same words, and sort by the same values (performance_value).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"

/*
 * The periods that count in [from, to] (day numbers) at time now: those
 * whose first day is in the range and whose last day has passed. Fills at
 * most max of them into out, oldest first; returns how many.
 */
size_t
performance_periods(int64_t from, int64_t to, time_t now, struct period *out,
    size_t max)
{
	struct period p;
	int64_t first, today = fieldwork_today(now);
	int y, m, d;
	size_t n = 0;

	date_from_days(from, &y, &m, &d);
	p.year = y;
	p.month = m;
	p.half = d <= 1 ? 1 : (d <= 16 ? 2 : 0);
	if (p.half == 0) {           /* the next month's first half */
		p.half = 1;
		if (++p.month > 12) {
			p.month = 1;
			p.year++;
		}
	}
	for (;;) {
		first = date_to_days(p.year, p.month, p.half == 1 ? 1 : 16);
		if (first > to || n >= max)
			break;
		if ((p.half == 1 ? first + 14 : date_to_days(p.year, p.month,
		    date_month_length(p.year, p.month))) >= today)
			break;
		out[n++] = p;
		if (p.half == 1) {
			p.half = 2;
		} else {
			p.half = 1;
			if (++p.month > 12) {
				p.month = 1;
				p.year++;
			}
		}
	}
	return n;
}

/*
 * Is an officer whose latest visit to any linked enterprise was on day
 * last (-1: never) idle on day today: no visit in the last visit_days?
 */
int
performance_idle(int64_t last, int64_t today, int visit_days)
{
	return last < 0 || today - last >= visit_days;
}

static const redisReply *
performance_part(const redisReply *facts, size_t i, int type)
{
	if (facts == NULL || facts->type != REDIS_REPLY_ARRAY ||
	    i >= facts->elements || facts->element[i]->type != type)
		return NULL;
	return facts->element[i];
}

static const char *
performance_str(const redisReply *list, size_t i)
{
	if (list == NULL || i >= list->elements ||
	    list->element[i]->type != REDIS_REPLY_STRING)
		return "";
	return list->element[i]->str;
}

/*
 * The days of month (its first day first, len days) inside [from, to] as
 * bits, bit d - 1 for day d: as fw_officer_add keeps them.
 */
static uint32_t
performance_days_inside(int64_t first, int len, int64_t from, int64_t to)
{
	int64_t lo = from > first ? from - first : 0;
	int64_t hi = to < first + len - 1 ? to - first : len - 1;
	uint32_t mask = 0;

	for (; lo <= hi; lo++)
		mask |= (uint32_t)1 << lo;
	return mask;
}

/* Is month (y, m) wholly inside [from, to]? */
static int
performance_month_inside(int y, int m, int64_t from, int64_t to)
{
	return date_to_days(y, m, 1) >= from &&
	    date_to_days(y, m, date_month_length(y, m)) <= to;
}

/*
 * Add one hash of running totals (flat, fw:o:O:YYYYMM by day or
 * fw:o:O:YYYY by month) to p: its "NN:..." fields whose day or month NN is
 * a bit of inside, and the linked enterprises visited on one of those.
 */
static void
performance_totals(const struct officer *o, const redisReply *flat,
    uint32_t inside, struct performance *p)
{
	const struct fieldwork_kind *k;
	const char *f, *v;
	char *end;
	long nn;
	size_t i, j;

	for (i = 0; i + 1 < flat->elements; i += 2) {
		f = performance_str(flat, i);
		v = performance_str(flat, i + 1);
		if (strncmp(f, "e:", 2) == 0) {
			if (((uint32_t)strtoul(v, NULL, 10) & inside) == 0)
				continue;
			for (j = 0; j < o->nenterprises; j++)
				if (strcmp(o->enterprises[j]->id, f + 2) == 0)
					p->visited[j] = 1;
			continue;
		}
		nn = strtol(f, &end, 10);
		if (*end != ':' || nn < 1 || nn > 31 ||
		    (inside & (uint32_t)1 << (nn - 1)) == 0)
			continue;
		if (strcmp(end, ":v") == 0)
			p->visits += strtoll(v, NULL, 10);
		else if (strcmp(end, ":s") == 0)
			p->suggestions += strtoll(v, NULL, 10);
		else if (strncmp(end, ":o:", 3) == 0 &&
		    (k = fieldwork_kind_find(fieldwork_outcome_kinds,
		    end + 3)) != NULL)
			p->outcomes[fieldwork_kind_index(
			    fieldwork_outcome_kinds, k)] += strtoll(v, NULL, 10);
	}
}

/*
 * Add the running totals of list (flat: "YYYYMM" or "YYYY", then its
 * hash) inside [from, to] to p: a month's days inside it, a year's months
 * wholly inside it (performance_payload asks for each month once).
 */
static void
performance_totals_list(const struct officer *o, const redisReply *list,
    int64_t from, int64_t to, struct performance *p)
{
	const char *name;
	uint32_t inside;
	long n;
	char *end;
	size_t i;
	int m, y;

	for (i = 0; list != NULL && i + 1 < list->elements; i += 2) {
		name = performance_str(list, i);
		n = strtol(name, &end, 10);
		if (*end != '\0' || list->element[i + 1]->type !=
		    REDIS_REPLY_ARRAY)
			continue;
		inside = 0;
		if (strlen(name) == 6 && n % 100 >= 1 && n % 100 <= 12) {
			y = (int)(n / 100);
			m = (int)(n % 100);
			inside = performance_days_inside(date_to_days(y, m, 1),
			    date_month_length(y, m), from, to);
		} else if (strlen(name) == 4) {
			for (m = 1; m <= 12; m++)
				if (performance_month_inside((int)n, m, from,
				    to))
					inside |= (uint32_t)1 << (m - 1);
		}
		performance_totals(o, list->element[i + 1], inside, p);
	}
}

/*
 * Count o's facts (fieldwork.lua's performance entry for o) over [from,
 * to] (day numbers) and its periods (from performance_periods) into p;
 * today is a day number.
 */
void
performance_count(const struct officer *o, const redisReply *facts,
    int64_t from, int64_t to, const struct period *periods, size_t nperiods,
    int64_t today, int visit_days, struct performance *p)
{
	const redisReply *months, *last, *issues, *reports, *ev, *years;
	char name[PERIOD_LEN + 1];
	const char *s;
	size_t i, j;
	int on_time, late;
	int64_t day, latest;

	memset(p, 0, sizeof *p);
	p->officer = o;
	p->days = xcalloc(o->nenterprises ? o->nenterprises : 1,
	    sizeof *p->days);
	p->visited = xcalloc(o->nenterprises ? o->nenterprises : 1,
	    sizeof *p->visited);
	months = performance_part(facts, 0, REDIS_REPLY_ARRAY);
	last = performance_part(facts, 1, REDIS_REPLY_ARRAY);
	ev = performance_part(facts, 2, REDIS_REPLY_INTEGER);
	issues = performance_part(facts, 3, REDIS_REPLY_ARRAY);
	reports = performance_part(facts, 4, REDIS_REPLY_ARRAY);
	years = performance_part(facts, 5, REDIS_REPLY_ARRAY);

	p->due = nperiods;
	for (i = 0; i < nperiods; i++) {
		period_format(&periods[i], name);
		on_time = late = 0;
		for (j = 0; reports != NULL && j + 1 < reports->elements; j += 2) {
			if (strcmp(performance_str(reports, j), name) != 0)
				continue;
			if (strcmp(performance_str(reports, j + 1), "1") == 0)
				late = 1;
			else
				on_time = 1;
		}
		if (on_time)
			p->on_time++;
		else if (late)
			p->late++;
		else
			p->missed++;
	}
	performance_totals_list(o, months, from, to, p);
	performance_totals_list(o, years, from, to, p);
	latest = -1;
	for (j = 0; j < o->nenterprises; j++) {
		p->days[j] = -1;
		p->nvisited += p->visited[j];
		for (i = 0; last != NULL && i + 1 < last->elements; i += 2) {
			if (strcmp(performance_str(last, i),
			    o->enterprises[j]->id) != 0)
				continue;
			day = strtoll(performance_str(last, i + 1), NULL, 10);
			p->days[j] = today - day;
			if (p->days[j] < 0)
				p->days[j] = 0;
			if (day > latest)
				latest = day;
		}
	}
	p->idle = performance_idle(latest, today, visit_days);
	p->events = ev != NULL ? ev->integer : 0;
	for (i = 0; issues != NULL && i + 1 < issues->elements; i += 2) {
		p->raised++;
		s = performance_str(issues, i);
		if (strcmp(s, "resolved") == 0 || strcmp(s, "closed") == 0)
			p->resolved++;
		if (ledger_satisfied(performance_str(issues, i + 1)))
			p->satisfied++;
	}
}

void
performance_free(struct performance *p)
{
	free(p->days);
	free(p->visited);
	p->days = NULL;
	p->visited = NULL;
}

/*
 * The payload of fieldwork.lua's performance action for the n officers
 * over [from, to] (day numbers) at time now. Fills periods (at most max)
 * with the periods that count, for performance_count, and *nperiods.
 */
cJSON *
performance_payload(const struct officer *const *officers, size_t n,
    int64_t from, int64_t to, time_t now, struct period *periods, size_t max,
    size_t *nperiods)
{
	cJSON *payload = cJSON_CreateObject(), *list, *years, *o;
	int offset = fieldwork_offset(now);
	char score[32];
	size_t i;
	int m, year = 0;

	*nperiods = performance_periods(from, to, now, periods, max);
	/* whole months from their year's totals, cut ones by day */
	list = cJSON_AddArrayToObject(payload, "months");
	years = cJSON_AddArrayToObject(payload, "years");
	for (m = fieldwork_month(from); m <= fieldwork_month(to);
	    m = m % 100 == 12 ? m + 89 : m + 1) {
		if (!performance_month_inside(m / 100, m % 100, from, to)) {
			snprintf(score, sizeof score, "%d", m);
			cJSON_AddItemToArray(list, cJSON_CreateString(score));
		} else if (m / 100 != year) {
			year = m / 100;
			snprintf(score, sizeof score, "%d", year);
			cJSON_AddItemToArray(years, cJSON_CreateString(score));
		}
	}
	list = cJSON_AddArrayToObject(payload, "officers");
	for (i = 0; i < n; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", officers[i]->id);
		cJSON_AddItemToArray(list, o);
	}
	snprintf(score, sizeof score, "%lld", (long long)from * 100000000);
	cJSON_AddStringToObject(payload, "min", score);
	snprintf(score, sizeof score, "%lld", (long long)to * 100000000 +
	    99999999);
	cJSON_AddStringToObject(payload, "max", score);
	snprintf(score, sizeof score, "%lld",
	    (long long)figures_day_ms(from, offset));
	cJSON_AddStringToObject(payload, "from_ms", score);
	snprintf(score, sizeof score, "%lld",
	    (long long)figures_day_ms(to + 1, offset) - 1);
	cJSON_AddStringToObject(payload, "to_ms", score);
	snprintf(score, sizeof score, "%lld", *nperiods > 0 ?
	    (long long)period_start(&periods[0]) * 1000 :
	    (long long)figures_day_ms(from, offset));
	cJSON_AddStringToObject(payload, "reports_from_ms", score);
	return payload;
}

/*
 * The row's figures in the order the page and the workbook show them,
 * each with its Chinese header; the outcome kinds follow, in
 * fieldwork_outcome_kinds' order, under their own words. The names are
 * the /officers page's ?sort= words.
 */
const struct performance_column performance_columns[] = {
	{ "due", "应报期数" },
	{ "on_time", "按时报送" },
	{ "late", "迟报" },
	{ "missed", "未报" },
	{ "visits", "走访次数" },
	{ "linked", "联系企业" },
	{ "visited", "已走访企业" },
	{ "suggestions", "意见建议" },
	{ "events", "宣讲场次" },
	{ "raised", "反映问题" },
	{ "resolved", "已办结" },
	{ "satisfied", "满意" },
	{ NULL, NULL }
};

/*
 * The number of columns: performance_columns, then one per outcome kind.
 */
size_t
performance_ncolumns(void)
{
	return PERFORMANCE_NFIXED + FIELDWORK_NOUTCOME_KINDS;
}

/* Column i's name (the ?sort= word) and Chinese header. */
const char *
performance_column_name(size_t i)
{
	if (i < PERFORMANCE_NFIXED)
		return performance_columns[i].name;
	return fieldwork_outcome_kinds[i - PERFORMANCE_NFIXED].name;
}

const char *
performance_column_zh(size_t i)
{
	if (i < PERFORMANCE_NFIXED)
		return performance_columns[i].zh;
	return fieldwork_outcome_kinds[i - PERFORMANCE_NFIXED].zh;
}

/*
 * Column i of p, in stored units (money in fen; fieldwork_amount_json
 * turns an outcome's into yuan).
 */
int64_t
performance_value(const struct performance *p, size_t i)
{
	switch (i) {
	case 0: return (int64_t)p->due;
	case 1: return (int64_t)p->on_time;
	case 2: return (int64_t)p->late;
	case 3: return (int64_t)p->missed;
	case 4: return p->visits;
	case 5: return (int64_t)p->officer->nenterprises;
	case 6: return (int64_t)p->nvisited;
	case 7: return p->suggestions;
	case 8: return p->events;
	case 9: return p->raised;
	case 10: return p->resolved;
	case 11: return p->satisfied;
	}
	if (i < performance_ncolumns())
		return p->outcomes[i - PERFORMANCE_NFIXED];
	return 0;
}

/*
 * Column i of p as text: a count, or yuan with two decimals for a money
 * outcome.
 */
void
performance_value_text(const struct performance *p, size_t i, char *buf,
    size_t len)
{
	int64_t v = performance_value(p, i);

	if (i >= PERFORMANCE_NFIXED && fieldwork_outcome_kinds[i -
	    PERFORMANCE_NFIXED].unit == FIELDWORK_UNIT_YUAN)
		snprintf(buf, len, "%lld.%02lld", (long long)(v / 100),
		    (long long)(v % 100));
	else
		snprintf(buf, len, "%lld", (long long)v);
}

/* The performance row of SPEC §11. */
cJSON *
performance_json(const struct performance *p)
{
	const struct officer *o = p->officer;
	cJSON *row = cJSON_CreateObject(), *obj, *days;
	size_t i;

	cJSON_AddStringToObject(row, "officer", o->id);
	cJSON_AddStringToObject(row, "name", o->name);
	cJSON_AddStringToObject(row, "unit", o->unit ? o->unit : "");
	cJSON_AddStringToObject(row, "level", o->level ? o->level : "");
	obj = cJSON_AddObjectToObject(row, "periods");
	cJSON_AddNumberToObject(obj, "due", (double)p->due);
	cJSON_AddNumberToObject(obj, "on_time", (double)p->on_time);
	cJSON_AddNumberToObject(obj, "late", (double)p->late);
	cJSON_AddNumberToObject(obj, "missed", (double)p->missed);
	cJSON_AddNumberToObject(row, "visits", (double)p->visits);
	obj = cJSON_AddObjectToObject(row, "enterprises");
	cJSON_AddNumberToObject(obj, "linked", (double)o->nenterprises);
	cJSON_AddNumberToObject(obj, "visited", (double)p->nvisited);
	days = cJSON_AddObjectToObject(obj, "not_visited_days");
	for (i = 0; i < o->nenterprises; i++) {
		if (p->days[i] < 0)
			cJSON_AddNullToObject(days, o->enterprises[i]->id);
		else
			cJSON_AddNumberToObject(days, o->enterprises[i]->id,
			    (double)p->days[i]);
	}
	cJSON_AddBoolToObject(row, "idle", p->idle);
	cJSON_AddNumberToObject(row, "suggestions", (double)p->suggestions);
	cJSON_AddNumberToObject(row, "events", (double)p->events);
	obj = cJSON_AddObjectToObject(row, "issues");
	cJSON_AddNumberToObject(obj, "raised", (double)p->raised);
	cJSON_AddNumberToObject(obj, "resolved", (double)p->resolved);
	cJSON_AddNumberToObject(obj, "satisfied", (double)p->satisfied);
	obj = cJSON_AddObjectToObject(row, "outcomes");
	for (i = 0; fieldwork_outcome_kinds[i].name != NULL; i++)
		cJSON_AddItemToObject(obj, fieldwork_outcome_kinds[i].name,
		    fieldwork_amount_json(&fieldwork_outcome_kinds[i],
		    p->outcomes[i]));
	return row;
}
