/*
 * test_notify.c -- what an officer is told (notify.c): the events and the
 * batch handed to workflow.lua, and the mail made of a batch: its subject
 * names the issue, every event has a row with what the department wrote,
 * each issue a link to /form, and what a user typed is escaped in HTML.
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

#define T_2026_12_02_0930 1796175000000LL   /* 09:30 in UTC+8, in ms */

static void
test_the_payload_lists_the_told_events_and_the_batch(void **state)
{
	struct config cfg;
	cJSON *root = cJSON_CreateObject(), *n;
	char *text;

	(void)state;
	memset(&cfg, 0, sizeof cfg);
	cfg.notify_enabled = 1;
	cfg.notify_batch_minutes = 10;
	notify_json(root, &cfg);
	text = cJSON_PrintUnformatted(cJSON_GetObjectItem(root, "notify"));
	assert_string_equal(text, "{\"batch_ms\":600000,\"events\":["
	    "\"claimed_late\",\"responded\",\"resolved\",\"returned\","
	    "\"escalated\"]}");
	free(text);
	cfg.notify_batch_seconds = 3;
	assert_int_equal(notify_batch_ms(&cfg), 3000);
	cJSON_Delete(root);

	root = cJSON_CreateObject();
	cfg.notify_enabled = 0;
	notify_json(root, &cfg);
	n = cJSON_GetObjectItem(root, "notify");
	assert_null(n);
	cJSON_Delete(root);
	assert_null(notify_event_zh("claimed"));   /* in time: not told */
	assert_string_equal(notify_event_zh("responded"), "部门已回应");
}

static void
test_one_event_names_its_issue_and_what_happened(void **state)
{
	struct notify_item it = { "returned", "I7", "出口退税", "人力资源局",
	    "", "", "属<税务>职责", "", T_2026_12_02_0930 };
	struct notify_input in = { "安庆经开区", "吕雅刚", "https://x.example",
	    28800, &it, 1 };
	char *subject, *text, *html;

	(void)state;
	notify_mail(&in, &subject, &text, &html);
	assert_string_equal(subject, "问题 I7：部门退单，等待管理员重新分派");
	assert_non_null(strstr(text, "吕雅刚同志"));
	assert_non_null(strstr(text, "12-02 09:30 | I7 | 出口退税 | 部门退单，"
	    "等待管理员重新分派 | 人力资源局 | 属<税务>职责"));
	assert_non_null(strstr(text, "查看问题 I7：https://x.example/form/issues/I7"));
	assert_non_null(strstr(html, "属&lt;税务&gt;职责"));
	assert_null(strstr(html, "<税务>"));
	assert_non_null(strstr(html, "href=\"https://x.example/form/issues/I7\""));
	free(subject);
	free(text);
	free(html);
}

static void
test_a_batch_of_several_issues_names_the_first_three(void **state)
{
	struct notify_item it[5] = {
		{ "responded", "I1", "a", "d", "r", "", "", "", T_2026_12_02_0930 },
		{ "resolved", "I1", "a", "d", "", "s", "", "", T_2026_12_02_0930 },
		{ "escalated", "I2", "b", "d", "", "", "", "", T_2026_12_02_0930 },
		{ "escalated", "I3", "c", "d", "", "", "", "", T_2026_12_02_0930 },
		{ "escalated", "I4", "e", "d", "", "", "", "", T_2026_12_02_0930 },
	};
	struct notify_input in = { "Z", "O", "http://h", 28800, it, 5 };
	char *subject, *text, *html, *p;
	int links = 0;

	(void)state;
	notify_mail(&in, &subject, &text, &html);
	assert_string_equal(subject, "问题 I1、I2、I3 等 有 5 条新进展");
	for (p = text; (p = strstr(p, "/form/issues/")) != NULL; p++)
		links++;
	assert_int_equal(links, 4);           /* one per issue, not per event */
	free(subject);
	free(text);
	free(html);
}

/* The shipped calendar: 2026's Spring Festival moves the first reminder. */
static void
test_reminders_fall_two_working_days_before_the_close_and_on_it(void **state)
{
	struct workdays *cal;
	char *cause = NULL;

	(void)state;
	cal = workdays_load(ETC_DIR "/holidays-cn.txt", &cause);
	assert_non_null(cal);
	/* 2026-12-15 is a Tuesday: Monday 14th is one, Friday 11th two. */
	assert_string_equal(notify_reminder(cal, 2026, 12, 11, 9), "remind_early");
	assert_null(notify_reminder(cal, 2026, 12, 11, 8));      /* before 09:00 */
	assert_null(notify_reminder(cal, 2026, 12, 14, 10));
	assert_null(notify_reminder(cal, 2026, 12, 10, 10));
	assert_string_equal(notify_reminder(cal, 2026, 12, 15, 9), "remind_last");
	/* The second half of December ends on the 31st (a Thursday). */
	assert_string_equal(notify_reminder(cal, 2026, 12, 29, 12), "remind_early");
	assert_string_equal(notify_reminder(cal, 2026, 12, 31, 23), "remind_last");
	/*
	 * 2026-02-15 (the close) is a holiday and Saturday the 14th a make-up
	 * working day: the first reminder is on Friday the 13th, not the 12th.
	 */
	assert_string_equal(notify_reminder(cal, 2026, 2, 13, 9), "remind_early");
	assert_null(notify_reminder(cal, 2026, 2, 12, 9));
	assert_string_equal(notify_reminder(cal, 2026, 2, 15, 9), "remind_last");
	workdays_free(cal);
}

static void
test_a_reminder_names_the_period_and_links_to_the_form(void **state)
{
	struct notify_item it = { "remind_last", "", "", "", "", "", "",
	    "2026-12-1", T_2026_12_02_0930 };
	struct notify_input in = { "安庆经开区", "吕雅刚", "https://x.example",
	    28800, &it, 1 };
	char *subject, *text, *html;

	(void)state;
	notify_mail(&in, &subject, &text, &html);
	assert_string_equal(subject, "今天是本期报送截止日（2026-12-1）：您尚未报送");
	assert_non_null(strstr(text, "零报告"));
	assert_non_null(strstr(text, "https://x.example/form\n"));
	assert_null(strstr(text, "/form/issues/"));
	free(subject);
	free(text);
	free(html);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_payload_lists_the_told_events_and_the_batch),
		cmocka_unit_test(test_one_event_names_its_issue_and_what_happened),
		cmocka_unit_test(test_a_batch_of_several_issues_names_the_first_three),
		cmocka_unit_test(test_reminders_fall_two_working_days_before_the_close_and_on_it),
		cmocka_unit_test(test_a_reminder_names_the_period_and_links_to_the_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
