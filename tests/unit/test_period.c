/*
 * test_period.c -- unit tests for period.c: half-month periods in local
 * time (Asia/Shanghai, as the sample roster's zone).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "liaison.h"
#include "fixtures.h"

/* Epoch seconds of some Asia/Shanghai (UTC+8) local times. */
#define T_2026_11_01 1793462400     /* 2026-11-01 00:00:00 */
#define T_2026_11_15_LAST 1794758399 /* 2026-11-15 23:59:59 */
#define T_2026_11_16 1794758400     /* 2026-11-16 00:00:00 */
#define T_2026_12_01 1796054400
#define T_2026_12_16 1797350400
#define T_2027_01_01 1798732800
#define T_2026_02_16 1771171200
#define T_2026_03_01 1772294400
#define T_2028_02_16 1834243200
#define T_2028_03_01 1835452800

static int
setup_shanghai(void **state)
{
	fixture_zone();
	return 0;
}

/* Return the period parsed from s; fails the test if s does not parse. */
static struct period
parse(const char *s)
{
	struct period p;

	assert_int_equal(period_parse(s, &p), 0);
	return p;
}

static void
test_period_parse_accepts_both_halves(void **state)
{
	struct period p;

	p = parse("2026-11-1");
	assert_int_equal(p.year, 2026);
	assert_int_equal(p.month, 11);
	assert_int_equal(p.half, 1);
	p = parse("2026-01-2");
	assert_int_equal(p.month, 1);
	assert_int_equal(p.half, 2);
	p = parse("2000-12-2");
	assert_int_equal(p.year, 2000);
	p = parse("2999-12-2");
	assert_int_equal(p.year, 2999);
}

static void
test_period_parse_refuses_anything_not_exact(void **state)
{
	static const char *bad[] = {
		"", "2026-1-1", "2026-11-3", "2026-11-0", "2026-00-1",
		"2026-13-1", "2026-11-1x", "2026-11-1 ", " 2026-11-1",
		"2026-11-01", "1999-12-2", "3000-01-1", "2026/11/1",
		"2026-11-", "20261-1-1", "+026-11-1", "2026-+1-1",
		"abcd-ef-g", "2026-11-2\n",
	};
	struct period p;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (period_parse(bad[i], &p) != -1)
			fail_msg("\"%s\" was accepted", bad[i]);
	}
}

static void
test_period_format_round_trips(void **state)
{
	char buf[PERIOD_LEN + 1];
	struct period p;

	p = parse("2026-03-2");
	period_format(&p, buf);
	assert_string_equal(buf, "2026-03-2");
	p.year = 2027;
	p.month = 12;
	p.half = 1;
	period_format(&p, buf);
	assert_string_equal(buf, "2027-12-1");
	/* Every year and half, as snprintf wrote them. */
	for (p.year = 0; p.year <= 9999; p.year += 7)
		for (p.month = 1; p.month <= 12; p.month++)
			for (p.half = 1; p.half <= 2; p.half++) {
				char want[32];

				snprintf(want, sizeof want, "%04d-%02d-%d",
				    p.year, p.month, p.half);
				period_format(&p, buf);
				assert_string_equal(buf, want);
			}
}

static void
test_period_previous_steps_back_a_half(void **state)
{
	struct period p, prev;
	char buf[PERIOD_LEN + 1];

	p = parse("2026-11-2");
	period_previous(&p, &prev);
	period_format(&prev, buf);
	assert_string_equal(buf, "2026-11-1");

	p = parse("2026-11-1");
	period_previous(&p, &prev);
	period_format(&prev, buf);
	assert_string_equal(buf, "2026-10-2");
}

static void
test_period_previous_of_january_is_last_december(void **state)
{
	struct period p, prev;
	char buf[PERIOD_LEN + 1];

	p = parse("2027-01-1");
	period_previous(&p, &prev);
	period_format(&prev, buf);
	assert_string_equal(buf, "2026-12-2");
}

static void
test_period_equal_compares_all_parts(void **state)
{
	struct period a = parse("2026-11-1"), b = parse("2026-11-1");
	struct period c = parse("2026-11-2"), d = parse("2027-11-1");

	assert_true(period_equal(&a, &b));
	assert_false(period_equal(&a, &c));
	assert_false(period_equal(&a, &d));
}

static void
test_period_of_time_switches_at_local_midnight_of_the_16th(void **state)
{
	char buf[PERIOD_LEN + 1];
	struct period p;

	period_of_time(T_2026_11_15_LAST, &p);
	period_format(&p, buf);
	assert_string_equal(buf, "2026-11-1");
	period_of_time(T_2026_11_16, &p);
	period_format(&p, buf);
	assert_string_equal(buf, "2026-11-2");
	period_of_time(T_2026_11_01, &p);
	period_format(&p, buf);
	assert_string_equal(buf, "2026-11-1");
	period_of_time(T_2026_11_01 - 1, &p);
	period_format(&p, buf);
	assert_string_equal(buf, "2026-10-2");
}

static void
test_period_start_and_end_bound_the_half(void **state)
{
	struct period p;

	p = parse("2026-11-1");
	assert_int_equal(period_start(&p), T_2026_11_01);
	assert_int_equal(period_end(&p), T_2026_11_16);
	p = parse("2026-11-2");
	assert_int_equal(period_start(&p), T_2026_11_16);
	assert_int_equal(period_end(&p), T_2026_12_01);
}

static void
test_period_end_of_december_is_next_january(void **state)
{
	struct period p = parse("2026-12-2");

	assert_int_equal(period_start(&p), T_2026_12_16);
	assert_int_equal(period_end(&p), T_2027_01_01);
}

static void
test_period_february_ends_on_the_28th_or_the_29th(void **state)
{
	struct period p;

	p = parse("2026-02-2");
	assert_int_equal(period_start(&p), T_2026_02_16);
	assert_int_equal(period_end(&p), T_2026_03_01);
	assert_int_equal(period_end(&p) - period_start(&p), 13 * 86400);

	p = parse("2028-02-2");	/* leap year: the 29th is in */
	assert_int_equal(period_start(&p), T_2028_02_16);
	assert_int_equal(period_end(&p), T_2028_03_01);
	assert_int_equal(period_end(&p) - period_start(&p), 14 * 86400);
}

static void
test_period_of_the_last_second_is_the_period_before_end(void **state)
{
	struct period p = parse("2028-02-2"), q;

	period_of_time(period_end(&p) - 1, &q);
	assert_true(period_equal(&p, &q));
	period_of_time(period_start(&p), &q);
	assert_true(period_equal(&p, &q));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_period_parse_accepts_both_halves),
		cmocka_unit_test(test_period_parse_refuses_anything_not_exact),
		cmocka_unit_test(test_period_format_round_trips),
		cmocka_unit_test(test_period_previous_steps_back_a_half),
		cmocka_unit_test(test_period_previous_of_january_is_last_december),
		cmocka_unit_test(test_period_equal_compares_all_parts),
		cmocka_unit_test(test_period_of_time_switches_at_local_midnight_of_the_16th),
		cmocka_unit_test(test_period_start_and_end_bound_the_half),
		cmocka_unit_test(test_period_end_of_december_is_next_january),
		cmocka_unit_test(test_period_february_ends_on_the_28th_or_the_29th),
		cmocka_unit_test(test_period_of_the_last_second_is_the_period_before_end),
	};

	return cmocka_run_group_tests(tests, setup_shanghai, NULL);
}
