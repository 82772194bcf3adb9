/*
 * test_fieldwork.c -- unit tests for fieldwork.c: dates, amounts and their
 * units, and the checks of a visit's body.
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

static int
amount(const char *json, const char *kind, int64_t *units)
{
	cJSON *v = cJSON_Parse(json);
	struct api_error e;
	int rc;

	assert_non_null(v);
	rc = fieldwork_amount_read(v, fieldwork_kind_find(
	    fieldwork_outcome_kinds, kind), "amount", units, &e);
	if (rc == -1)
		assert_string_equal(e.field, "amount");
	cJSON_Delete(v);
	return rc;
}

static void
test_fieldwork_money_has_at_most_two_decimals(void **state)
{
	int64_t u;

	(void)state;
	assert_int_equal(amount("61780000.50", "tax_relief", &u), 0);
	assert_int_equal(u, 6178000050);
	assert_int_equal(amount("0.1", "funding", &u), 0);
	assert_int_equal(u, 10);
	assert_int_equal(amount("0", "funding", &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(amount("19.99", "funding", &u), 0);
	assert_int_equal(u, 1999);
	assert_int_equal(amount("1.005", "tax_relief", &u), -1);
	assert_int_equal(amount("0.001", "tax_relief", &u), -1);
	assert_int_equal(amount("-0.5", "tax_relief", &u), -1);
	assert_int_equal(amount("1e13", "tax_relief", &u), -1);
	assert_int_equal(amount("\"5\"", "tax_relief", &u), -1);
}

static void
test_fieldwork_counts_are_whole_and_bounded(void **state)
{
	int64_t u;

	(void)state;
	assert_int_equal(amount("5", "party_org", &u), 0);
	assert_int_equal(u, 5);
	assert_int_equal(amount("1.5", "party_org", &u), -1);
	assert_int_equal(amount("101", "party_org", &u), -1);
	assert_int_equal(amount("560", "hires", &u), 0);
	assert_int_equal(amount("1000001", "hires", &u), -1);
}

static void
test_fieldwork_dates(void **state)
{
	char buf[FIELDWORK_DATE_LEN + 1];
	int64_t d;

	(void)state;
	assert_int_equal(fieldwork_date_parse("2026-02-28", &d), 0);
	fieldwork_date_format(d, buf);
	assert_string_equal(buf, "2026-02-28");
	assert_int_equal(fieldwork_month(d), 202602);
	assert_int_equal(fieldwork_date_parse("2026-02-29", &d), -1);
	assert_int_equal(fieldwork_date_parse("2028-02-29", &d), 0);
	assert_int_equal(fieldwork_date_parse("2026-2-28", &d), -1);
	assert_int_equal(fieldwork_date_parse("2026-02-28x", &d), -1);
	assert_int_equal(fieldwork_date_parse("", &d), -1);
}

static void
test_fieldwork_earliest_is_the_previous_periods_first_day(void **state)
{
	struct tm tm;
	time_t t;

	(void)state;
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	memset(&tm, 0, sizeof tm);
	tm.tm_year = 2026 - 1900;
	tm.tm_mon = 0;           /* 10 January 2026: previous is 2025-12-2 */
	tm.tm_mday = 10;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	assert_int_equal(fieldwork_earliest(t), date_to_days(2025, 12, 16));
	assert_int_equal(fieldwork_today(t), date_to_days(2026, 1, 10));
	tm.tm_mday = 20;         /* previous is 2026-01-1 */
	t = mktime(&tm);
	assert_int_equal(fieldwork_earliest(t), date_to_days(2026, 1, 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fieldwork_money_has_at_most_two_decimals),
		cmocka_unit_test(test_fieldwork_counts_are_whole_and_bounded),
		cmocka_unit_test(test_fieldwork_dates),
		cmocka_unit_test(test_fieldwork_earliest_is_the_previous_periods_first_day),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
