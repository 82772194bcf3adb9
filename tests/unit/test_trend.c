/*
 * test_trend.c -- unit tests for trend.c: the trend alert's rule at its
 * edges (the mean 0, exactly at the factor, below trend_min, fewer periods
 * of history than trend_periods) and the alerts made of workflow.lua's
 * count rows.
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
#include "fixtures.h"

/* The defaults: 6 periods, at least 5 enterprises, twice the mean. */
static void
test_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->trend_periods = 6;
	c->trend_min = 5;
	c->trend_factor = 2.0;
}

static void
test_trend_mean_zero(void **state)
{
	long none[6] = { 0, 0, 0, 0, 0, 0 };

	(void)state;
	/* With nothing before, only trend_min counts. */
	assert_true(trend_fires(5, none, 6, 5, 2.0));
	assert_false(trend_fires(4, none, 6, 5, 2.0));
	assert_true(trend_fires(5, NULL, 0, 5, 2.0));
	assert_false(trend_fires(4, NULL, 0, 5, 2.0));
	assert_true(trend_mean(NULL, 0) == 0);
}

static void
test_trend_at_the_factor(void **state)
{
	long h[6] = { 3, 3, 3, 3, 3, 3 };
	long odd[3] = { 2, 3, 2 };     /* mean 7/3: twice is 14/3 = 4.67 */

	(void)state;
	assert_true(trend_fires(6, h, 6, 5, 2.0));     /* exactly twice */
	assert_false(trend_fires(5, h, 6, 5, 2.0));    /* just below */
	assert_true(trend_fires(5, odd, 3, 5, 2.0));
	assert_false(trend_fires(4, odd, 3, 4, 2.0));
	/* 1.5 times: 4.5 for a mean of 3 */
	assert_true(trend_fires(5, h, 6, 1, 1.5));
	assert_false(trend_fires(4, h, 6, 1, 1.5));
}

static void
test_trend_below_min(void **state)
{
	long h[6] = { 0, 1, 0, 0, 1, 0 };

	(void)state;
	/* Far above the mean, but fewer than trend_min enterprises. */
	assert_false(trend_fires(4, h, 6, 5, 2.0));
	assert_true(trend_fires(5, h, 6, 5, 2.0));
}

static void
test_trend_flat(void **state)
{
	long h[6] = { 8, 9, 8, 10, 9, 8 };

	(void)state;
	assert_false(trend_fires(9, h, 6, 5, 2.0));
	assert_false(trend_fires(17, h, 6, 5, 2.0));
	assert_true(trend_fires(18, h, 6, 5, 2.0));
}

/* Fewer periods of history than trend_periods: the mean of those there. */
static void
test_trend_short_history(void **state)
{
	long two[2] = { 4, 6 };         /* mean 5 */

	(void)state;
	assert_true(trend_mean(two, 2) == 5);
	assert_false(trend_fires(9, two, 2, 5, 2.0));
	assert_true(trend_fires(10, two, 2, 5, 2.0));
}

static void
test_trend_periods_json(void **state)
{
	struct config c;
	struct period p = { 2026, 1, 1 };
	cJSON *list;
	char *text;

	(void)state;
	test_defaults(&c);
	list = trend_periods_json(&c, &p);
	text = cJSON_PrintUnformatted(list);
	assert_string_equal(text, "[\"2025-12-2\",\"2025-12-1\","
	    "\"2025-11-2\",\"2025-11-1\",\"2025-10-2\",\"2025-10-1\"]");
	free(text);
	cJSON_Delete(list);
}

/* The rows of workflow.lua: one fires, one is flat, one already alerted. */
static void
test_trend_alerts(void **state)
{
	struct roster *ro = fixture_roster();
	const struct topic *t = &ro->topics[0];
	struct config c;
	char rows[1024];
	cJSON *list, *a;

	(void)state;
	test_defaults(&c);
	snprintf(rows, sizeof rows, "["
	    "{\"period\":\"2026-03-1\",\"topic\":\"%s\",\"count\":7,"
	    "\"history\":[1,2,0,1,2,1],\"alerted\":false},"
	    "{\"period\":\"2026-03-1\",\"topic\":\"%s\",\"count\":7,"
	    "\"history\":[6,7,6,7,6,7],\"alerted\":false},"
	    "{\"period\":\"2026-03-1\",\"topic\":\"%s\",\"count\":9,"
	    "\"history\":[],\"alerted\":true}]", t->id, t->id, t->id);
	list = trend_alerts(rows, &c, ro);
	assert_non_null(list);
	assert_int_equal(cJSON_GetArraySize(list), 1);
	a = cJSON_GetArrayItem(list, 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(a,
	    "topic")), t->id);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(a,
	    "topic_name")), t->name);
	assert_int_equal(cJSON_GetObjectItem(a, "enterprises")->valueint, 7);
	assert_int_equal(cJSON_GetObjectItem(a, "history_periods")->valueint,
	    6);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(a,
	    "departments")), (int)t->ndepartments);
	cJSON_Delete(list);
	/* Nothing fires, or not a list: NULL. */
	assert_null(trend_alerts("[]", &c, ro));
	assert_null(trend_alerts("{\"a\":1}", &c, ro));
	assert_null(trend_alerts("not json", &c, ro));
	roster_free(ro);
}

/* The leaders' mail: the topic in the subject, a row per alert. */
static void
test_trend_mail(void **state)
{
	cJSON *alerts = cJSON_Parse("[{\"period\":\"2026-03-1\","
	    "\"topic_name\":\"用工<招聘>\",\"enterprises\":7,\"mean\":1.5},"
	    "{\"period\":\"2026-03-1\",\"topic_name\":\"税费\","
	    "\"enterprises\":6,\"mean\":0}]");
	char *subject, *text, *html;

	(void)state;
	trend_mail(alerts, "安庆经开区", "https://lo.example", &subject, &text,
	    &html);
	assert_string_equal(subject, "【趋势预警】安庆经开区：用工<招聘> 等 2 个议题"
	    "反映企业明显增多");
	assert_non_null(strstr(text, "用工<招聘> | 2026-03-1 | 7 | 1.5"));
	assert_non_null(strstr(text, "税费 | 2026-03-1 | 6 | 0.0"));
	assert_non_null(strstr(text, "https://lo.example/agenda"));
	assert_non_null(strstr(html, "用工&lt;招聘&gt;"));
	assert_null(strstr(html, "用工<招聘>"));
	free(subject);
	free(text);
	free(html);
	cJSON_Delete(alerts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trend_mean_zero),
		cmocka_unit_test(test_trend_at_the_factor),
		cmocka_unit_test(test_trend_below_min),
		cmocka_unit_test(test_trend_flat),
		cmocka_unit_test(test_trend_short_history),
		cmocka_unit_test(test_trend_periods_json),
		cmocka_unit_test(test_trend_alerts),
		cmocka_unit_test(test_trend_mail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
