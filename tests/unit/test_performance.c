/*
 * test_performance.c -- unit tests for performance.c: which half-months
 * are due in a range, and how an officer's facts are counted.
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
#include "replies.h"

static time_t
noon(int y, int m, int d)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static void
test_performance_periods_due_are_those_ended(void **state)
{
	struct period p[16];
	char name[PERIOD_LEN + 1];
	size_t n;

	(void)state;
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	/* 1 Jan .. 31 Mar, on 10 March: Jan 1, Jan 2, Feb 1, Feb 2 */
	n = performance_periods(date_to_days(2026, 1, 1),
	    date_to_days(2026, 3, 31), noon(2026, 3, 10), p, 16);
	assert_int_equal(n, 4);
	period_format(&p[0], name);
	assert_string_equal(name, "2026-01-1");
	period_format(&p[3], name);
	assert_string_equal(name, "2026-02-2");
	/* a range starting on the 5th skips that first half */
	n = performance_periods(date_to_days(2026, 1, 5),
	    date_to_days(2026, 1, 31), noon(2026, 3, 10), p, 16);
	assert_int_equal(n, 1);
	period_format(&p[0], name);
	assert_string_equal(name, "2026-01-2");
	/* nothing ended yet */
	n = performance_periods(date_to_days(2026, 3, 1),
	    date_to_days(2026, 3, 31), noon(2026, 3, 10), p, 16);
	assert_int_equal(n, 0);
}

/* The number at a dotted path of a performance row's JSON. */
static double
row_number(const cJSON *row, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, a);

	if (b != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	assert_non_null(v);
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

/*
 * The page's and the workbook's columns are the API row's figures: each
 * column's value is the number at its place in performance_json, and
 * every figure of the row has a column.
 */
static void
test_performance_columns_are_the_rows_figures(void **state)
{
	static const char *const paths[][2] = {
		{ "periods", "due" }, { "periods", "on_time" },
		{ "periods", "late" }, { "periods", "missed" },
		{ "visits", NULL }, { "enterprises", "linked" },
		{ "enterprises", "visited" }, { "suggestions", NULL },
		{ "events", NULL }, { "issues", "raised" },
		{ "issues", "resolved" }, { "issues", "satisfied" },
	};
	struct enterprise e[3] = { { "E1", "甲", NULL, NULL },
	    { "E2", "乙", NULL, NULL }, { "E3", "丙", NULL, NULL } };
	const struct enterprise *ents[3] = { &e[0], &e[1], &e[2] };
	struct officer o = { "O1", "张三", "zone", "园区", NULL, NULL, ents, 3 };
	int64_t days[3] = { 0, 5, -1 };
	int visited[3] = { 1, 1, 0 };
	struct performance p = { &o, 11, 7, 3, 1, 40, 17, 9, days, visited,
	    2, 0, 13, 8, 5, { 1, 2, 560, 617800000050, 12345, 4 } };
	char name[64], text[32];
	cJSON *row = performance_json(&p);
	size_t i, j;

	(void)state;
	assert_int_equal(performance_ncolumns(),
	    PERFORMANCE_NFIXED + FIELDWORK_NOUTCOME_KINDS);
	for (i = 0; performance_columns[i].name != NULL; i++)
		;
	assert_int_equal(i, PERFORMANCE_NFIXED);
	assert_int_equal(sizeof paths / sizeof paths[0], PERFORMANCE_NFIXED);
	for (i = 0; i < PERFORMANCE_NFIXED; i++)
		assert_true(row_number(row, paths[i][0], paths[i][1]) ==
		    (double)performance_value(&p, i));
	for (i = PERFORMANCE_NFIXED; i < performance_ncolumns(); i++) {
		snprintf(name, sizeof name, "%s", performance_column_name(i));
		performance_value_text(&p, i, text, sizeof text);
		assert_true(row_number(row, "outcomes", name) ==
		    strtod(text, NULL));
	}
	for (i = 0; i < performance_ncolumns(); i++)
		for (j = i + 1; j < performance_ncolumns(); j++) {
			assert_string_not_equal(performance_column_name(i),
			    performance_column_name(j));
			assert_string_not_equal(performance_column_zh(i),
			    performance_column_zh(j));
		}
	/* money is yuan with two decimals; counts are whole */
	performance_value_text(&p, PERFORMANCE_NFIXED + 3, text, sizeof text);
	assert_string_equal(text, "6178000000.50");
	performance_value_text(&p, PERFORMANCE_NFIXED + 2, text, sizeof text);
	assert_string_equal(text, "560");
	performance_value_text(&p, 4, text, sizeof text);
	assert_string_equal(text, "40");
	assert_int_equal(performance_value(&p, performance_ncolumns()), 0);
	cJSON_Delete(row);
}

/* The payload names the officers and the range as fieldwork.lua reads it. */
static void
test_performance_payload_names_the_officers_and_range(void **state)
{
	struct officer a = { "O1", "甲", NULL, NULL, NULL, NULL, NULL, 0 };
	struct officer b = { "O2", "乙", NULL, NULL, NULL, NULL, NULL, 0 };
	const struct officer *list[2] = { &a, &b };
	int64_t from = date_to_days(2026, 1, 1), to = date_to_days(2026, 3, 31);
	struct period periods[8];
	size_t n;
	cJSON *payload;
	const cJSON *officers;
	char want[32];

	(void)state;
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	payload = performance_payload(list, 2, from, to, noon(2026, 3, 10),
	    periods, 8, &n);
	assert_int_equal(n, 4);
	officers = cJSON_GetObjectItemCaseSensitive(payload, "officers");
	assert_int_equal(cJSON_GetArraySize(officers), 2);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(officers, 1), "id")->valuestring, "O2");
	snprintf(want, sizeof want, "%lld", (long long)from * 100000000);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(payload,
	    "min")->valuestring, want);
	snprintf(want, sizeof want, "%lld", (long long)to * 100000000 +
	    99999999);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(payload,
	    "max")->valuestring, want);
	/* reports are read from the first due period's first moment */
	snprintf(want, sizeof want, "%lld",
	    (long long)period_start(&periods[0]) * 1000);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(payload,
	    "reports_from_ms")->valuestring, want);
	cJSON_Delete(payload);
}

/* An integer reply (ZCOUNT's), for a fact list built by hand. */
static redisReply *
test_performance_integer(long long n)
{
	redisReply *r = reply_string("");

	free(r->str);
	r->str = NULL;
	r->len = 0;
	r->type = REDIS_REPLY_INTEGER;
	r->integer = n;
	return r;
}

/*
 * The payload asks for the months the range cuts by day and the years of
 * its whole months, across a year's end; the row counts the days inside
 * the range of the cut months and the whole months of the years only, an
 * enterprise as visited when one of its visited days or months is
 * inside, and passes over fields it does not know.
 */
static void
test_performance_counts_the_ranges_days_of_the_monthly_totals(void **state)
{
	struct enterprise e[3] = { { "E1", "甲", NULL, NULL },
	    { "E2", "乙", NULL, NULL }, { "E3", "丙", NULL, NULL } };
	const struct enterprise *ents[3] = { &e[0], &e[1], &e[2] };
	struct officer o = { "O1", "张三", "zone", "园区", NULL, NULL, ents, 3 };
	const struct officer *list[1] = { &o };
	struct period periods[8];
	struct performance p;
	redisReply *facts, *months;
	const cJSON *m;
	cJSON *payload;
	size_t n;

	(void)state;
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	payload = performance_payload(list, 1, date_to_days(2025, 11, 20),
	    date_to_days(2026, 2, 3), noon(2026, 3, 10), periods, 8, &n);
	/* the cut months by day, the whole ones from their years */
	m = cJSON_GetObjectItemCaseSensitive(payload, "months");
	assert_int_equal(cJSON_GetArraySize(m), 2);
	assert_string_equal(cJSON_GetArrayItem(m, 0)->valuestring, "202511");
	assert_string_equal(cJSON_GetArrayItem(m, 1)->valuestring, "202602");
	m = cJSON_GetObjectItemCaseSensitive(payload, "years");
	assert_int_equal(cJSON_GetArraySize(m), 2);
	assert_string_equal(cJSON_GetArrayItem(m, 0)->valuestring, "2025");
	assert_string_equal(cJSON_GetArrayItem(m, 1)->valuestring, "2026");
	cJSON_Delete(payload);

	/* November: E1 on the 19th (outside) and E2 on the 20th and 30th */
	facts = reply_array(6);
	months = reply_array(4);
	reply_push(months, reply_string("202511"));
	/* e:E2 = days 20 and 30: bits 19 and 29; e:E3 = days 3 and 4 */
	reply_push(months, reply_hash("19:v=1", "19:s=7", "20:v=1", "20:s=2",
	    "30:v=1", "e:E1=262144", "e:E2=537395200", "e:E9=4",
	    "20:o:hires=5", "19:o:hires=100", "20:o:tax_relief=617800000050",
	    "20:o:unknown=3", "32:v=9", "xx=1", NULL));
	/* February: E3 on the 3rd (inside) and the 4th (outside) */
	reply_push(months, reply_string("202602"));
	reply_push(months, reply_hash("03:v=1", "04:v=1", "04:s=1",
	    "e:E3=12", NULL));
	reply_push(facts, months);
	reply_push(facts, reply_hash("E2=20422", NULL));
	reply_push(facts, test_performance_integer(2));
	reply_push(facts, reply_array(0));
	reply_push(facts, reply_array(0));
	/* the years: December and January whole (E1 in December: bit 11);
	 * November and February are cut, read by day above */
	months = reply_array(4);
	reply_push(months, reply_string("2025"));
	reply_push(months, reply_hash("12:v=4", "11:v=100", "11:s=100",
	    "e:E1=2048", NULL));
	reply_push(months, reply_string("2026"));
	reply_push(months, reply_hash("01:v=2", "01:s=3", "02:v=50",
	    "01:o:hires=1", NULL));
	reply_push(facts, months);
	performance_count(&o, facts, date_to_days(2025, 11, 20),
	    date_to_days(2026, 2, 3), periods, 0, date_to_days(2026, 3, 10),
	    30, &p);
	assert_int_equal(p.visits, 3 + 4 + 2);
	assert_int_equal(p.suggestions, 2 + 3);
	assert_int_equal(p.visited[0], 1);
	assert_int_equal(p.visited[1], 1);
	assert_int_equal(p.visited[2], 1);
	assert_int_equal(p.nvisited, 3);
	assert_int_equal(p.events, 2);
	assert_int_equal(p.outcomes[2], 5 + 1);
	assert_true(p.outcomes[3] == 617800000050LL);
	performance_free(&p);
	reply_free(facts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_performance_periods_due_are_those_ended),
		cmocka_unit_test(test_performance_columns_are_the_rows_figures),
		cmocka_unit_test(
		    test_performance_payload_names_the_officers_and_range),
		cmocka_unit_test(
		    test_performance_counts_the_ranges_days_of_the_monthly_totals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
