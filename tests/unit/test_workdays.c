/*
 * test_workdays.c -- unit tests for workdays.c: the working-day calendar
 * (the shipped etc/holidays-cn.txt), deadlines counted in working days in
 * Asia/Shanghai local time (and in a zone with summer time, where a
 * deadline's offset differs from its start's), and the exact message for
 * each kind of bad line.
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
#include <unistd.h>

#include <cmocka.h>

#include "liaison.h"
#include "fixtures.h"

/* Epoch seconds of some Asia/Shanghai (UTC+8) local times. */
#define T_2026_11_27_0030 1795710600  /* Friday; 2026-11-26 16:30 UTC */
#define T_2026_11_30_LAST 1796054399  /* Monday 23:59:59 */

static struct workdays *calendar;     /* etc/holidays-cn.txt */

/* The zone's time, the shipped calendar, and fixture_dir for test files. */
static int
setup(void **state)
{
	char *cause;

	fixture_zone();
	calendar = workdays_load(ETC_DIR "/holidays-cn.txt", &cause);
	if (calendar == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return -1;
	}
	return fixture_dir_make("test_workdays", "holidays.txt");
}

static int
teardown(void **state)
{
	workdays_free(calendar);
	fixture_dir_remove();
	return 0;
}

/* Local time year-month-day hour:minute:00, short for the tables below. */
static time_t
at(int year, int month, int day, int hour, int minute)
{
	return fixture_local_time(year, month, day, hour, minute);
}

/* Check that n working days from start are due at local time want. */
static void
check_due(time_t start, int n, const char *want)
{
	struct tm tm;
	time_t due;
	char got[32];

	due = workdays_due(calendar, start, n);
	assert_true(due != (time_t)-1);
	assert_non_null(localtime_r(&due, &tm));
	strftime(got, sizeof got, "%Y-%m-%d %H:%M:%S", &tm);
	if (strcmp(got, want) != 0)
		fail_msg("n = %d: due %s, expected %s", n, got, want);
}

/* Write text to the test file and load it. */
static struct workdays *
load(const char *text, char **cause)
{
	fixture_write_text(fixture_file, text);
	return workdays_load(fixture_file, cause);
}

/* Load text, which must be refused with "PATH:" + expected. */
static void
refuse(const char *text, const char *expected)
{
	struct workdays *wd;
	char *cause;

	wd = load(text, &cause);
	fixture_refused(wd, cause, text, "%s:%s", fixture_file, expected);
}

static void
test_workdays_weekdays_work_and_weekends_rest(void **state)
{
	/* 2026-11-23 is a Monday; no holiday that week. */
	assert_true(workdays_is_workday(calendar, 2026, 11, 23));
	assert_true(workdays_is_workday(calendar, 2026, 11, 27));
	assert_false(workdays_is_workday(calendar, 2026, 11, 28));
	assert_false(workdays_is_workday(calendar, 2026, 11, 29));
	assert_true(workdays_is_workday(calendar, 2026, 11, 30));
	/* A leap day, a Tuesday. */
	assert_true(workdays_is_workday(calendar, 2028, 2, 29));
	assert_false(workdays_is_workday(calendar, 2028, 3, 4));
}

static void
test_workdays_spring_festival_2026_with_its_make_up_days(void **state)
{
	int day;

	/* Saturday 14 February is worked; 15 to 23 February are off. */
	assert_true(workdays_is_workday(calendar, 2026, 2, 13));
	assert_true(workdays_is_workday(calendar, 2026, 2, 14));
	for (day = 15; day <= 23; day++) {
		if (workdays_is_workday(calendar, 2026, 2, day))
			fail_msg("2026-02-%02d counted as a working day", day);
	}
	assert_true(workdays_is_workday(calendar, 2026, 2, 24));
	/* Saturday 28 February is worked, Sunday 1 March is not. */
	assert_true(workdays_is_workday(calendar, 2026, 2, 28));
	assert_false(workdays_is_workday(calendar, 2026, 3, 1));
}

static void
test_workdays_national_day_2026_with_its_make_up_days(void **state)
{
	int day;

	assert_true(workdays_is_workday(calendar, 2026, 9, 20));   /* Sun */
	assert_false(workdays_is_workday(calendar, 2026, 9, 25));  /* 中秋 */
	assert_true(workdays_is_workday(calendar, 2026, 9, 30));
	for (day = 1; day <= 7; day++) {
		if (workdays_is_workday(calendar, 2026, 10, day))
			fail_msg("2026-10-%02d counted as a working day", day);
	}
	assert_true(workdays_is_workday(calendar, 2026, 10, 8));
	assert_true(workdays_is_workday(calendar, 2026, 10, 10));  /* Sat */
	assert_false(workdays_is_workday(calendar, 2026, 10, 11)); /* Sun */
}

static void
test_workdays_due_counts_from_the_next_working_day(void **state)
{
	/* Friday evening: Monday is the first working day. */
	check_due(at(2026, 11, 27, 20, 30), 1, "2026-11-30 23:59:59");
	check_due(at(2026, 11, 27, 20, 30), 5, "2026-12-04 23:59:59");
	check_due(at(2026, 11, 27, 20, 30), 15, "2026-12-18 23:59:59");
	/* A Monday morning: that day itself does not count. */
	check_due(at(2026, 11, 23, 8, 0), 1, "2026-11-24 23:59:59");
	assert_int_equal(workdays_due(calendar, T_2026_11_27_0030, 1),
	    T_2026_11_30_LAST);
}

static void
test_workdays_due_starting_late_in_the_evening(void **state)
{
	check_due(at(2026, 11, 26, 23, 59), 1, "2026-11-27 23:59:59");
	check_due(at(2026, 11, 26, 23, 59) + 59, 1, "2026-11-27 23:59:59");
	/* One second later it is Friday: Monday is the first working day. */
	check_due(at(2026, 11, 27, 0, 0), 1, "2026-11-30 23:59:59");
}

static void
test_workdays_due_uses_the_local_date_not_utc(void **state)
{
	/* Thursday 16:30 UTC is already Friday 00:30 in Shanghai. */
	assert_int_equal(workdays_due(calendar, T_2026_11_27_0030, 1),
	    T_2026_11_30_LAST);
}

static void
test_workdays_due_starting_on_a_holiday(void **state)
{
	/* 3 October is in the National Day block (1 to 7 October). */
	check_due(at(2026, 10, 3, 10, 0), 1, "2026-10-08 23:59:59");
	check_due(at(2026, 10, 3, 10, 0), 3, "2026-10-10 23:59:59");
	check_due(at(2026, 10, 3, 10, 0), 4, "2026-10-12 23:59:59");
	check_due(at(2026, 10, 3, 10, 0), 5, "2026-10-13 23:59:59");
	check_due(at(2026, 10, 3, 10, 0), 15, "2026-10-27 23:59:59");
}

static void
test_workdays_due_starting_on_a_make_up_day(void **state)
{
	/* Saturday 14 February is worked, then the festival to the 23rd. */
	check_due(at(2026, 2, 14, 10, 0), 1, "2026-02-24 23:59:59");
	check_due(at(2026, 2, 14, 10, 0), 5, "2026-02-28 23:59:59");
	check_due(at(2026, 2, 14, 10, 0), 15, "2026-03-13 23:59:59");
	/* From the Friday before, the make-up Saturday is the first. */
	check_due(at(2026, 2, 13, 17, 0), 1, "2026-02-14 23:59:59");
	check_due(at(2026, 2, 13, 17, 0), 2, "2026-02-24 23:59:59");
}

static void
test_workdays_due_across_national_day(void **state)
{
	/* Thursday 24 September: 中秋 25-27, 国庆 1-7 October. */
	check_due(at(2026, 9, 24, 9, 0), 1, "2026-09-28 23:59:59");
	check_due(at(2026, 9, 24, 9, 0), 5, "2026-10-09 23:59:59");
	check_due(at(2026, 9, 30, 9, 0), 1, "2026-10-08 23:59:59");
}

static void
test_workdays_due_across_a_month_end(void **state)
{
	check_due(at(2026, 3, 30, 15, 0), 2, "2026-04-01 23:59:59");
	/* 清明 4-6 April 2026 (Saturday to Monday). */
	check_due(at(2026, 4, 2, 15, 0), 2, "2026-04-07 23:59:59");
}

static void
test_workdays_due_across_a_year_end_not_in_the_calendar(void **state)
{
	/*
	 * The file lists no date of 2027, so 1 January 2027 (a Friday)
	 * counts as a working day: the daemon must warn about it.
	 */
	assert_true(workdays_covers(calendar, 2025));
	assert_true(workdays_covers(calendar, 2026));
	assert_false(workdays_covers(calendar, 2027));
	assert_false(workdays_covers(calendar, 2024));
	/* the shipped calendar runs out with 2026: warn from 2026 on */
	assert_int_equal(workdays_last_year(calendar), 2026);
	assert_int_equal(workdays_missing_year(calendar, 2026), 2027);
	assert_true(workdays_is_workday(calendar, 2027, 1, 1));
	check_due(at(2026, 12, 30, 16, 0), 1, "2026-12-31 23:59:59");
	check_due(at(2026, 12, 30, 16, 0), 2, "2027-01-01 23:59:59");
	check_due(at(2026, 12, 31, 16, 0), 5, "2027-01-07 23:59:59");
	check_due(at(2026, 12, 31, 16, 0), 15, "2027-01-21 23:59:59");
}

static void
test_workdays_due_across_a_year_end_in_the_calendar(void **state)
{
	/* 元旦 2026: 1 to 3 January off, Sunday 4 January worked. */
	check_due(at(2025, 12, 31, 9, 0), 1, "2026-01-04 23:59:59");
	check_due(at(2025, 12, 31, 9, 0), 2, "2026-01-05 23:59:59");
}

static void
test_workdays_due_refuses_n_below_one(void **state)
{
	assert_int_equal(workdays_due(calendar, at(2026, 11, 27, 9, 0), 0),
	    (time_t)-1);
	assert_int_equal(workdays_due(calendar, at(2026, 11, 27, 9, 0), -3),
	    (time_t)-1);
}

static void
test_workdays_load_takes_comments_blanks_and_any_order(void **state)
{
	struct workdays *wd;
	char *cause;

	wd = load("# a comment\n"
	    "\n"
	    "   \t\n"
	    "  # an indented comment\n"
	    "2027-10-01 off 国庆节\r\n"
	    "2027-01-01\toff\t元旦\n"
	    "2026-10-10  work  国庆节 调休  \n"
	    "2028-02-29 off 闰日\n"
	    "2027-02-06 work 春节调休", &cause);
	if (wd == NULL)
		fail_msg("%s", cause);
	assert_int_equal(wd->ndays, 5);
	assert_int_equal(wd->days[0].date, 20261010);
	assert_string_equal(wd->days[0].name, "国庆节 调休");
	assert_int_equal(wd->days[0].line, 7);
	assert_int_equal(wd->days[1].date, 20270101);
	assert_string_equal(wd->days[1].name, "元旦");
	assert_int_equal(wd->days[3].date, 20271001);
	assert_string_equal(wd->days[3].name, "国庆节");
	assert_false(workdays_is_workday(wd, 2027, 1, 1));
	assert_true(workdays_is_workday(wd, 2027, 2, 6));
	assert_false(workdays_is_workday(wd, 2027, 10, 1));
	assert_false(workdays_is_workday(wd, 2028, 2, 29));
	assert_true(workdays_covers(wd, 2026));
	assert_true(workdays_covers(wd, 2027));
	assert_true(workdays_covers(wd, 2028));
	assert_false(workdays_covers(wd, 2029));
	/* the last date covered is 2028-12-31; in 2028 the next year is missing */
	assert_int_equal(workdays_last_year(wd), 2028);
	assert_int_equal(workdays_missing_year(wd, 2026), 0);
	assert_int_equal(workdays_missing_year(wd, 2027), 0);
	assert_int_equal(workdays_missing_year(wd, 2028), 2029);
	assert_int_equal(workdays_missing_year(wd, 2025), 2025);
	workdays_free(wd);
}

static void
test_workdays_load_of_an_empty_file_covers_no_year(void **state)
{
	struct workdays *wd;
	char *cause;

	wd = load("# nothing yet\n", &cause);
	assert_non_null(wd);
	assert_null(cause);
	assert_int_equal(wd->ndays, 0);
	assert_false(workdays_covers(wd, 2026));
	assert_int_equal(workdays_last_year(wd), 0);
	assert_int_equal(workdays_missing_year(wd, 2026), 2026);
	assert_true(workdays_is_workday(wd, 2026, 10, 1));
	assert_false(workdays_is_workday(wd, 2026, 10, 3));
	workdays_free(wd);
}

static void
test_workdays_load_refuses_a_missing_file_or_a_directory(void **state)
{
	struct workdays *wd;
	char *cause, want[256];

	wd = workdays_load("/nonexistent/holidays.txt", &cause);
	assert_null(wd);
	assert_string_equal(cause,
	    "/nonexistent/holidays.txt: No such file or directory");
	free(cause);

	wd = workdays_load(fixture_dir, &cause);
	assert_null(wd);
	snprintf(want, sizeof want, "%s: Is a directory", fixture_dir);
	assert_string_equal(cause, want);
	free(cause);
}

static void
test_workdays_load_refuses_impossible_dates(void **state)
{
	refuse("# 2026\n2026-02-28 work 春节调休\n2026-02-30 off 春节\n",
	    "3: \"2026-02-30\": no such day");
	refuse("2025-02-29 off x\n", "1: \"2025-02-29\": no such day");
	refuse("2026-13-01 off x\n", "1: \"2026-13-01\": no such day");
	refuse("2026-04-31 off x\n", "1: \"2026-04-31\": no such day");
	refuse("2026-04-00 off x\n", "1: \"2026-04-00\": no such day");
	refuse("1999-12-31 off x\n",
	    "1: \"1999-12-31\": the year must be from 2000 to 2999");
}

static void
test_workdays_load_refuses_malformed_dates(void **state)
{
	refuse("\n2026-2-3 off x\n",
	    "2: \"2026-2-3\": not a date in the form YYYY-MM-DD");
	refuse("2026/02/03 off x\n",
	    "1: \"2026/02/03\": not a date in the form YYYY-MM-DD");
	refuse("2026-10-01off x\n",
	    "1: \"2026-10-01off\": not a date in the form YYYY-MM-DD");
	refuse("2026-1O-01 off x\n",
	    "1: \"2026-1O-01\": not a date in the form YYYY-MM-DD");
	refuse("off 2026-10-01 x\n",
	    "1: \"off\": not a date in the form YYYY-MM-DD");
}

static void
test_workdays_load_refuses_an_unknown_kind(void **state)
{
	refuse("2026-10-01 off 国庆节\n2026-10-02 holiday 国庆节\n",
	    "2: \"holiday\": unknown kind, expected \"off\" or \"work\"");
	refuse("2026-10-01 OFF 国庆节\n",
	    "1: \"OFF\": unknown kind, expected \"off\" or \"work\"");
	refuse("2026-10-01\n",
	    "1: missing \"off\" or \"work\" after the date");
	refuse("2026-10-01   \n",
	    "1: missing \"off\" or \"work\" after the date");
}

static void
test_workdays_load_refuses_a_missing_name(void **state)
{
	refuse("2026-10-01 off\n", "1: missing the name after \"off\"");
	refuse("2026-10-10 work \t\n", "1: missing the name after \"work\"");
}

static void
test_workdays_load_refuses_a_work_day_on_a_weekday(void **state)
{
	refuse("2026-10-01 off 国庆节\n2026-10-08 work 国庆节调休\n",
	    "2: 2026-10-08 is a weekday: only a Saturday or a Sunday can be "
	    "a \"work\" day");
}

static void
test_workdays_load_refuses_a_date_given_twice(void **state)
{
	refuse("# National Day\n"
	    "2026-10-01 off 国庆节\n"
	    "2026-10-02 off 国庆节\n"
	    "2026-10-03 off 国庆节\n"
	    "2026-10-01 off 国庆节\n"
	    "2026-10-02 off 国庆节\n",
	    "5: 2026-10-01: given twice (first on line 2)");
	refuse("2026-10-10 work 调休\n2026-10-10 off 国庆节\n",
	    "2: 2026-10-10: given twice (first on line 1)");
}

static void
test_workdays_load_refuses_a_bad_name(void **state)
{
	static const char nul[] = "2026-10-01 off 国庆节\n2026-10-02 off a\0b\n";
	struct workdays *wd;
	char *cause, want[256];

	refuse("2026-10-01 off \xe5\x9b\n",
	    "1: the name is not valid UTF-8");

	fixture_write(fixture_file, nul, sizeof nul - 1);
	wd = workdays_load(fixture_file, &cause);
	assert_null(wd);
	snprintf(want, sizeof want, "%s:2: NUL byte in the line", fixture_file);
	assert_string_equal(cause, want);
	free(cause);
}

static void
test_workdays_load_reports_the_first_bad_line(void **state)
{
	refuse("2026-10-01 off 国庆节\n"
	    "2026-10-02 of 国庆节\n"
	    "2026-10-33 off 国庆节\n"
	    "2026-10-01 off 国庆节\n",
	    "2: \"of\": unknown kind, expected \"off\" or \"work\"");
}

/*
 * In a zone with summer time, every deadline is the last second of its
 * day by mktime's own reckoning, across both changes of offset (the
 * deadline's offset differs from its start's).
 */
static void
test_workdays_due_across_summer_time_changes(void **state)
{
	struct tm tm;
	time_t start, due, want;
	int n;

	(void)state;
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	/* Every 7 hours from 2027-03-20 to 2027-04-05 and around October. */
	for (start = 1805500800; start < 1805500800 + 16 * 86400;
	    start += 7 * 3600) {
		for (n = 1; n <= 8; n++) {
			due = workdays_due(calendar, start, n);
			assert_non_null(localtime_r(&due, &tm));
			assert_int_equal(tm.tm_hour, 23);
			assert_int_equal(tm.tm_min, 59);
			assert_int_equal(tm.tm_sec, 59);
			tm.tm_isdst = -1;
			want = mktime(&tm);
			assert_int_equal(due, want);
		}
	}
	for (start = 1824854400; start < 1824854400 + 16 * 86400;
	    start += 7 * 3600)
		for (n = 1; n <= 8; n++) {
			due = workdays_due(calendar, start, n);
			assert_non_null(localtime_r(&due, &tm));
			assert_int_equal(tm.tm_hour * 3600 + tm.tm_min * 60 +
			    tm.tm_sec, 86399);
		}
	fixture_zone();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workdays_weekdays_work_and_weekends_rest),
		cmocka_unit_test(test_workdays_spring_festival_2026_with_its_make_up_days),
		cmocka_unit_test(test_workdays_national_day_2026_with_its_make_up_days),
		cmocka_unit_test(test_workdays_due_counts_from_the_next_working_day),
		cmocka_unit_test(test_workdays_due_starting_late_in_the_evening),
		cmocka_unit_test(test_workdays_due_uses_the_local_date_not_utc),
		cmocka_unit_test(test_workdays_due_starting_on_a_holiday),
		cmocka_unit_test(test_workdays_due_starting_on_a_make_up_day),
		cmocka_unit_test(test_workdays_due_across_national_day),
		cmocka_unit_test(test_workdays_due_across_a_month_end),
		cmocka_unit_test(test_workdays_due_across_a_year_end_not_in_the_calendar),
		cmocka_unit_test(test_workdays_due_across_a_year_end_in_the_calendar),
		cmocka_unit_test(test_workdays_due_refuses_n_below_one),
		cmocka_unit_test(test_workdays_due_across_summer_time_changes),
		cmocka_unit_test(test_workdays_load_takes_comments_blanks_and_any_order),
		cmocka_unit_test(test_workdays_load_of_an_empty_file_covers_no_year),
		cmocka_unit_test(test_workdays_load_refuses_a_missing_file_or_a_directory),
		cmocka_unit_test(test_workdays_load_refuses_impossible_dates),
		cmocka_unit_test(test_workdays_load_refuses_malformed_dates),
		cmocka_unit_test(test_workdays_load_refuses_an_unknown_kind),
		cmocka_unit_test(test_workdays_load_refuses_a_missing_name),
		cmocka_unit_test(test_workdays_load_refuses_a_work_day_on_a_weekday),
		cmocka_unit_test(test_workdays_load_refuses_a_date_given_twice),
		cmocka_unit_test(test_workdays_load_refuses_a_bad_name),
		cmocka_unit_test(test_workdays_load_reports_the_first_bad_line),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
