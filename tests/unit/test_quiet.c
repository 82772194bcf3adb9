/*
 * test_quiet.c -- unit tests for quiet.c: the quiet hours of chat robots
 * (SPEC §12) in Asia/Shanghai local time (no daylight saving): a window
 * across midnight, a window inside a day, quiet days, a quiet night that
 * runs into quiet days, and the refusals of both keys.
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

/* 2026-11-27 is a Friday; 2026-11-30 the Monday after. */
#define T_2026_11_27_0030 1795710600  /* Asia/Shanghai; 16:30 UTC the day before */

static time_t
at(int day, int hour, int minute)
{
	return fixture_local_time(2026, 11, day, hour, minute);
}

static struct quiet
quiet(const char *window, const char *days)
{
	struct quiet q;

	memset(&q, 0, sizeof q);
	if (window != NULL)
		assert_null(quiet_parse_window(window, &q));
	if (days != NULL)
		assert_null(quiet_parse_days(days, &q));
	return q;
}

static int
setup(void **state)
{
	(void)state;
	fixture_zone();
	return 0;
}

static void
test_quiet_off_holds_nothing(void **state)
{
	struct quiet q = quiet(NULL, NULL);

	(void)state;
	assert_true(at(27, 23, 0) == quiet_end(&q, at(27, 23, 0)));
	assert_true(at(28, 12, 0) == quiet_end(&q, at(28, 12, 0)));
}

static void
test_quiet_window_across_midnight(void **state)
{
	struct quiet q = quiet("22:00-07:30", NULL);
	time_t t = T_2026_11_27_0030;

	(void)state;
	/* The local times, not UTC: 00:30 Friday ends at 07:30 Friday. */
	assert_true(t == at(27, 0, 30));
	assert_true(quiet_end(&q, t) == t + 7 * 3600);
	assert_true(quiet_end(&q, at(26, 22, 0)) == at(27, 7, 30));
	assert_true(quiet_end(&q, at(26, 23, 59) + 59) == at(27, 7, 30));
	assert_true(quiet_end(&q, at(27, 7, 29) + 59) == at(27, 7, 30));
	/* Its edges: 07:30 is no longer quiet, 21:59:59 not yet. */
	assert_true(quiet_end(&q, at(27, 7, 30)) == at(27, 7, 30));
	assert_true(quiet_end(&q, at(27, 21, 59) + 59) == at(27, 21, 59) + 59);
	assert_true(quiet_end(&q, at(27, 12, 0)) == at(27, 12, 0));
	/* Across a month's end: Monday 30 November to 1 December. */
	assert_true(quiet_end(&q, at(30, 23, 0)) ==
	    fixture_local_time(2026, 12, 1, 7, 30));
}

static void
test_quiet_window_inside_a_day(void **state)
{
	struct quiet q = quiet("12:00-14:00", NULL);

	(void)state;
	assert_true(quiet_end(&q, at(27, 12, 0)) == at(27, 14, 0));
	assert_true(quiet_end(&q, at(27, 13, 59) + 30) == at(27, 14, 0));
	assert_true(quiet_end(&q, at(27, 14, 0)) == at(27, 14, 0));
	assert_true(quiet_end(&q, at(27, 11, 59)) == at(27, 11, 59));
	assert_true(quiet_end(&q, at(27, 23, 0)) == at(27, 23, 0));
}

static void
test_quiet_days_end_at_midnight(void **state)
{
	struct quiet q = quiet(NULL, "sat,sun");

	(void)state;
	assert_true(quiet_end(&q, at(28, 0, 0)) == at(30, 0, 0));
	assert_true(quiet_end(&q, at(29, 23, 59)) == at(30, 0, 0));
	assert_true(quiet_end(&q, at(27, 23, 59)) == at(27, 23, 59));
	assert_true(quiet_end(&q, at(30, 0, 0)) == at(30, 0, 0));
	/* One day in the middle of the week. */
	q = quiet(NULL, "wed");
	assert_true(quiet_end(&q, fixture_local_time(2026, 12, 2, 9, 0)) ==
	    fixture_local_time(2026, 12, 3, 0, 0));
}

static void
test_quiet_night_then_quiet_days_then_night(void **state)
{
	struct quiet q = quiet("22:00-07:30", "sat,sun");

	(void)state;
	/* Friday night runs into the weekend, and Sunday into Monday's
	 * night: one quiet time from Friday 22:00 to Monday 07:30. */
	assert_true(quiet_end(&q, at(27, 22, 0)) == at(30, 7, 30));
	assert_true(quiet_end(&q, at(28, 3, 0)) == at(30, 7, 30));
	assert_true(quiet_end(&q, at(29, 12, 0)) == at(30, 7, 30));
	assert_true(quiet_end(&q, at(30, 6, 0)) == at(30, 7, 30));
	/* Friday daytime is not quiet; Thursday night ends on Friday. */
	assert_true(quiet_end(&q, at(27, 12, 0)) == at(27, 12, 0));
	assert_true(quiet_end(&q, at(26, 23, 0)) == at(27, 7, 30));
	/* A daytime window on a quiet day: the day ends at midnight. */
	q = quiet("12:00-14:00", "sun");
	assert_true(quiet_end(&q, at(29, 13, 0)) == at(30, 0, 0));
	assert_true(quiet_end(&q, at(28, 13, 0)) == at(28, 14, 0));
}

static void
test_quiet_parse_refusals(void **state)
{
	struct quiet q;
	const char *bad_window[] = { "22:00", "22:00-7:30", "22:00 - 07:30",
	    "24:00-07:30", "22:60-07:30", "22:00-07:30x", "22-07",
	    "aa:bb-cc:dd", "22:00/07:30" };
	const char *bad_days[] = { "saturday", "sat,,sun", "sat;sun", "Sat",
	    "sat,", ",sun", "xyz", "sa" };
	size_t i;

	(void)state;
	memset(&q, 0, sizeof q);
	for (i = 0; i < sizeof bad_window / sizeof *bad_window; i++)
		assert_string_equal(quiet_parse_window(bad_window[i], &q),
		    "must be a time window such as 22:00-07:30");
	assert_string_equal(quiet_parse_window("07:30-07:30", &q),
	    "must end at another time than it starts");
	for (i = 0; i < sizeof bad_days / sizeof *bad_days; i++)
		assert_string_equal(quiet_parse_days(bad_days[i], &q),
		    "must be days such as sat,sun (mon .. sun)");
	assert_string_equal(quiet_parse_days("sat,sun,sat", &q),
	    "names a day twice");
	assert_string_equal(quiet_parse_days(
	    "mon,tue,wed,thu,fri,sat,sun", &q),
	    "must leave at least one day not quiet");
	/* Nothing refused was stored. */
	assert_int_equal(q.on, 0);
	assert_int_equal(q.days, 0);
	assert_null(quiet_parse_days(" fri , sat ", &q));
	assert_int_equal(q.days, (1u << 5) | (1u << 6));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_off_holds_nothing),
		cmocka_unit_test(test_quiet_window_across_midnight),
		cmocka_unit_test(test_quiet_window_inside_a_day),
		cmocka_unit_test(test_quiet_days_end_at_midnight),
		cmocka_unit_test(test_quiet_night_then_quiet_days_then_night),
		cmocka_unit_test(test_quiet_parse_refusals),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
