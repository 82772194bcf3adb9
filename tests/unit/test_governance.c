/*
 * test_governance.c -- unit tests for governance.c: a 延期 request's days,
 * the due time an approval moves a step to (holidays and 调休 counted),
 * when a period's ledger is frozen, how long an issue has been open, and
 * which finished issue a new one recurs.
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
#include <cjson/cJSON.h>

#include "liaison.h"
#include "fixtures.h"

static struct workdays *calendar;     /* etc/holidays-cn.txt */

static int
setup(void **state)
{
	char *cause;

	(void)state;
	fixture_zone();
	calendar = workdays_load(ETC_DIR "/holidays-cn.txt", &cause);
	if (calendar == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	workdays_free(calendar);
	return 0;
}

/* The ms of local time year-month-day 23:59:59.999. */
static int64_t
day_end(int year, int month, int day)
{
	return ((int64_t)fixture_local_time(year, month, day, 23, 59) + 59) *
	    1000 + 999;
}

/* The days of body (JSON text): 0 and *days, or the error's status. */
static int
days_of(const char *body, int *days)
{
	struct api_error e;
	cJSON *obj = cJSON_Parse(body);
	int rc;

	assert_non_null(obj);
	rc = governance_extension_days(obj, days, &e);
	cJSON_Delete(obj);
	if (rc == 0)
		return 0;
	assert_string_equal(e.field, "days");
	return e.status;
}

static void
test_extension_days_are_whole_working_days_from_1_to_30(void **state)
{
	int days = 0;

	(void)state;
	assert_int_equal(days_of("{\"days\":1}", &days), 0);
	assert_int_equal(days, 1);
	assert_int_equal(days_of("{\"days\":30}", &days), 0);
	assert_int_equal(days, 30);
	assert_int_equal(days_of("{\"days\":0}", &days), 422);
	assert_int_equal(days_of("{\"days\":31}", &days), 422);
	assert_int_equal(days_of("{\"days\":-2}", &days), 422);
	assert_int_equal(days_of("{\"days\":2.5}", &days), 422);
	assert_int_equal(days_of("{\"days\":1e9}", &days), 422);
	assert_int_equal(days_of("{}", &days), 422);
	assert_int_equal(days_of("{\"days\":\"2\"}", &days), 400);
	assert_int_equal(days_of("{\"days\":true}", &days), 400);
	assert_int_equal(days_of("{\"days\":null}", &days), 400);
}

static void
test_approval_moves_the_due_time_by_working_days(void **state)
{
	(void)state;
	/* Friday 2026-11-27 + 1: Monday 11-30. */
	assert_true(governance_extended_due(calendar, day_end(2026, 11, 27),
	    1) == day_end(2026, 11, 30));
	/* Wednesday 2026-09-30 + 1: 10-01..10-07 off (国庆), 10-08 works. */
	assert_true(governance_extended_due(calendar, day_end(2026, 9, 30),
	    1) == day_end(2026, 10, 8));
	/* Friday 2026-02-13 + 1: Saturday 02-14 is a make-up day (调休). */
	assert_true(governance_extended_due(calendar, day_end(2026, 2, 13),
	    1) == day_end(2026, 2, 14));
	/* A due time in the morning counts from its date all the same. */
	assert_true(governance_extended_due(calendar,
	    (int64_t)fixture_local_time(2026, 12, 2, 9, 0) * 1000, 3) ==
	    day_end(2026, 12, 7));
}

static void
test_a_period_is_frozen_at_its_snapshot_days_th_working_day(void **state)
{
	struct period p = { 2026, 11, 2 };    /* ends Monday 11-30 */
	struct period q = { 2026, 9, 2 };     /* ends Wednesday 09-30 */

	(void)state;
	assert_true(governance_freeze_ms(calendar, &p, 5) ==
	    day_end(2026, 12, 7));
	assert_true(governance_freeze_ms(calendar, &p, 1) ==
	    day_end(2026, 12, 1));
	assert_true(governance_freeze_ms(calendar, &p, 0) ==
	    (int64_t)fixture_local_time(2026, 12, 1, 0, 0) * 1000);
	/* After 国庆: 10-08 is the first working day. */
	assert_true(governance_freeze_ms(calendar, &q, 1) ==
	    day_end(2026, 10, 8));
}

static void
test_periods_open_counts_both_ends(void **state)
{
	struct period a = { 2026, 11, 1 }, b = { 2026, 11, 2 },
	    c = { 2027, 1, 1 };

	(void)state;
	assert_int_equal(governance_periods_open(&b, &b), 1);
	assert_int_equal(governance_periods_open(&a, &b), 2);
	assert_int_equal(governance_periods_open(&a, &c), 5);
}

static void
test_recurrence_picks_the_latest_similar_issue_of_the_topic(void **state)
{
	const struct governance_candidate cand[] = {
		{ "I9", "hiring", "招工难\n普工缺口大，急需招聘" },
		{ "I7", "tax", "招工难\n普工缺口大，急需招聘" },
		{ "I5", "hiring", "招工难\n普工缺口大，急需招聘" },
		{ "I3", "hiring", "用地\n厂房扩建用地指标" },
	};
	double th = SIMILAR_THRESHOLD_DEFAULT;

	(void)state;
	assert_int_equal(governance_recurrence(cand, 4, "hiring",
	    "招工难\n普工缺口大，急需招聘", th), 0);
	assert_int_equal(governance_recurrence(cand + 1, 3, "hiring",
	    "招工难\n普工缺口大，急需招聘", th), 1);
	assert_int_equal(governance_recurrence(cand, 4, "tax",
	    "招工难\n普工缺口大，急需招聘", th), 1);
	assert_int_equal(governance_recurrence(cand, 4, "hiring",
	    "厂房扩建\n用地指标不足", th), 3);
	assert_int_equal(governance_recurrence(cand, 4, "hiring",
	    "融资\n贷款利率太高", th), -1);
	assert_int_equal(governance_recurrence(cand, 4, "energy",
	    "招工难\n普工缺口大，急需招聘", th), -1);
	assert_int_equal(governance_recurrence(cand, 0, "hiring", "招工难", th),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extension_days_are_whole_working_days_from_1_to_30),
		cmocka_unit_test(test_approval_moves_the_due_time_by_working_days),
		cmocka_unit_test(test_a_period_is_frozen_at_its_snapshot_days_th_working_day),
		cmocka_unit_test(test_periods_open_counts_both_ends),
		cmocka_unit_test(test_recurrence_picks_the_latest_similar_issue_of_the_topic),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
