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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_performance_periods_due_are_those_ended),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
