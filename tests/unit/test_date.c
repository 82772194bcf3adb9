/*
 * test_date.c -- unit tests for date.c: day numbers over their edges (the
 * epoch, leap years and the centuries that are not, 2000-02-29, year ends,
 * dates before 1970), every day of four centuries checked against timegm,
 * weekdays, and the digit reader's refusals.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "liaison.h"

/* Check that year-month-day is day number n, and n that date. */
static void
check_date(int year, int month, int day, int64_t n)
{
	int y, m, d;

	if (date_to_days(year, month, day) != n)
		fail_msg("%04d-%02d-%02d: day %lld, expected %lld", year, month,
		    day, (long long)date_to_days(year, month, day),
		    (long long)n);
	date_from_days(n, &y, &m, &d);
	if (y != year || m != month || d != day)
		fail_msg("day %lld: %04d-%02d-%02d, expected %04d-%02d-%02d",
		    (long long)n, y, m, d, year, month, day);
}

static void
test_date_epoch_is_day_zero_and_the_day_before_minus_one(void **state)
{
	check_date(1970, 1, 1, 0);
	check_date(1970, 1, 2, 1);
	check_date(1969, 12, 31, -1);
	check_date(1969, 1, 1, -365);
	check_date(1600, 3, 1, -135080);
}

static void
test_date_leap_days_of_2000_and_2024_exist_and_1900_2100_have_none(
    void **state)
{
	/* 2000 is leap (divisible by 400): 10957 days to its 1st January. */
	check_date(2000, 1, 1, 10957);
	check_date(2000, 2, 28, 11015);
	check_date(2000, 2, 29, 11016);
	check_date(2000, 3, 1, 11017);
	check_date(2024, 2, 29, 19782);
	check_date(2024, 3, 1, 19783);
	/* 1900 and 2100 are not (divisible by 100, not by 400). */
	check_date(1900, 2, 28, -25509);
	check_date(1900, 3, 1, -25508);
	check_date(2100, 2, 28, 47540);
	check_date(2100, 3, 1, 47541);

	assert_int_equal(date_month_length(2000, 2), 29);
	assert_int_equal(date_month_length(2024, 2), 29);
	assert_int_equal(date_month_length(2026, 2), 28);
	assert_int_equal(date_month_length(1900, 2), 28);
	assert_int_equal(date_month_length(2100, 2), 28);
	assert_int_equal(date_month_length(2400, 2), 29);
}

static void
test_date_month_lengths_of_a_common_year(void **state)
{
	static const int want[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int month;

	for (month = 1; month <= 12; month++)
		assert_int_equal(date_month_length(2026, month),
		    want[month - 1]);
}

static void
test_date_year_ends_are_consecutive_days(void **state)
{
	static const int years[] = { 1969, 1970, 1999, 2000, 2026, 2099, 2100 };
	size_t i;

	for (i = 0; i < sizeof years / sizeof years[0]; i++)
		assert_int_equal(date_to_days(years[i] + 1, 1, 1),
		    date_to_days(years[i], 12, 31) + 1);
	check_date(1999, 12, 31, 10956);
	check_date(2026, 12, 31, 20818);
	check_date(2027, 1, 1, 20819);
}

static void
test_date_every_day_of_four_centuries_agrees_with_timegm(void **state)
{
	struct tm tm;
	int64_t n, want;
	int y, m, d;

	/* 1900-01-01 to 2299-12-31: day numbers are timegm's days. */
	for (n = date_to_days(1900, 1, 1); n <= date_to_days(2299, 12, 31);
	    n++) {
		date_from_days(n, &y, &m, &d);
		memset(&tm, 0, sizeof tm);
		tm.tm_year = y - 1900;
		tm.tm_mon = m - 1;
		tm.tm_mday = d;
		want = (int64_t)timegm(&tm) / 86400;
		if (want != n || tm.tm_mon != m - 1 || tm.tm_mday != d)
			fail_msg("day %lld is %04d-%02d-%02d; timegm says day "
			    "%lld", (long long)n, y, m, d, (long long)want);
		if (d > date_month_length(y, m))
			fail_msg("%04d-%02d-%02d does not exist", y, m, d);
		if (date_to_days(y, m, d) != n)
			fail_msg("%04d-%02d-%02d does not round-trip", y, m, d);
		if (date_weekday(n) != (tm.tm_wday + 6) % 7)
			fail_msg("%04d-%02d-%02d: weekday %d, timegm %d", y, m,
			    d, date_weekday(n), tm.tm_wday);
	}
}

static void
test_date_weekday_counts_from_monday_before_and_after_1970(void **state)
{
	assert_int_equal(date_weekday(0), 3);           /* Thursday */
	assert_int_equal(date_weekday(date_to_days(2000, 2, 29)), 1);
	assert_int_equal(date_weekday(date_to_days(2026, 11, 23)), 0);
	assert_int_equal(date_weekday(date_to_days(2026, 11, 29)), 6);
	assert_int_equal(date_weekday(-1), 2);          /* 1969-12-31 */
	assert_int_equal(date_weekday(-4), 6);          /* Sunday 1969-12-28 */
	assert_int_equal(date_weekday(-7), 3);
	assert_int_equal(date_weekday(date_to_days(1900, 1, 1)), 0);
}

static void
test_date_digits_reads_fixed_width_fields(void **state)
{
	assert_int_equal(date_digits("2026-11-2", 4), 2026);
	assert_int_equal(date_digits("08:30", 2), 8);
	assert_int_equal(date_digits("0000", 4), 0);
	assert_int_equal(date_digits("7", 1), 7);
	assert_int_equal(date_digits("123456789", 9), 123456789);
	/* only n digits are read: what follows is the caller's */
	assert_int_equal(date_digits("20261", 4), 2026);
}

static void
test_date_digits_refuses_signs_spaces_short_fields_and_bad_widths(
    void **state)
{
	static const char *const bad[] = { "+026", "-026", " 026", "202 ",
	    "20a6", "2O26", "20.6", "20\xef\xbc\x92", "", "202", NULL };
	int i;

	for (i = 0; bad[i] != NULL; i++)
		if (date_digits(bad[i], 4) != -1)
			fail_msg("\"%s\" was read as %d", bad[i],
			    date_digits(bad[i], 4));
	/* digits just outside '0'..'9' */
	assert_int_equal(date_digits("/", 1), -1);
	assert_int_equal(date_digits(":", 1), -1);
	/* widths out of 1..9 */
	assert_int_equal(date_digits("1", 0), -1);
	assert_int_equal(date_digits("1234567890", 10), -1);
	assert_int_equal(date_digits("1", -1), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_epoch_is_day_zero_and_the_day_before_minus_one),
		cmocka_unit_test(test_date_leap_days_of_2000_and_2024_exist_and_1900_2100_have_none),
		cmocka_unit_test(test_date_month_lengths_of_a_common_year),
		cmocka_unit_test(test_date_year_ends_are_consecutive_days),
		cmocka_unit_test(test_date_every_day_of_four_centuries_agrees_with_timegm),
		cmocka_unit_test(test_date_weekday_counts_from_monday_before_and_after_1970),
		cmocka_unit_test(test_date_digits_reads_fixed_width_fields),
		cmocka_unit_test(test_date_digits_refuses_signs_spaces_short_fields_and_bad_widths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
