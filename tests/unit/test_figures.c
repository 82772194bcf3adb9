/*
 * test_figures.c -- unit tests for figures.c: the zone's way of writing its
 * numbers (余, 万, 万元), the summary sentence, and the range's keys.
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

static void
check_people(int64_t n, const char *want)
{
	char buf[64];

	figures_people_zh(n, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void
check_money(int64_t fen, const char *want)
{
	char buf[64];

	figures_money_zh(fen, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void
test_figures_people_round_down_with_yu(void **state)
{
	(void)state;
	check_people(0, "0");
	check_people(1, "1");
	check_people(99, "99");
	check_people(100, "100");
	check_people(563, "560余");
	check_people(8000, "8000");
	check_people(8046, "8000余");
	check_people(9999, "9900余");
	check_people(10000, "1万");
	check_people(12345, "1.2万余");
	check_people(15000, "1.5万");
	check_people(123456, "12万余");
	check_people(1234567, "120万余");
}

static void
test_figures_money_in_wan_yuan(void **state)
{
	(void)state;
	check_money(0, "0元");
	check_money(100, "1元");
	check_money(50, "1元");
	check_money(999949, "9999元");
	check_money(999999, "1万元");      /* 9,999.99 yuan rounds to 1万 */
	check_money(1000000, "1万元");
	check_money(12345600, "12.35万元");
	check_money(12300000, "12.3万元");
	check_money(6178000050, "6178万元");   /* 61,780,000.50 yuan */
	check_money(99999999999, "100000万元");  /* 999,999,999.99 yuan */
}

static struct figures
figures_zone(void)
{
	struct figures f;

	memset(&f, 0, sizeof f);
	f.from = date_to_days(2026, 1, 1);
	f.to = date_to_days(2026, 11, 30);
	f.visits = 282;
	f.events[0] = 3;         /* theory */
	f.events[1] = 3;         /* policy */
	f.audience[0] = 5000;
	f.audience[1] = 3046;
	f.suggestions = 28;
	f.outcomes[FIGURES_PARTY_ORG] = 5;
	f.outcomes[FIGURES_MASS_ORG] = 8;
	f.outcomes[FIGURES_HIRES] = 563;
	f.outcomes[FIGURES_TAX_RELIEF] = 6178000050;
	return f;
}

static void
test_figures_summary_as_the_zone_writes_it(void **state)
{
	struct figures f = figures_zone();
	char *s = figures_summary_zh(&f);

	(void)state;
	assert_string_equal(s, "2026年以来，党建指导员共走访企业282次，开展理论宣讲3场次、"
	    "政策宣讲3场次，受众8000余人次，收集各类意见建议28条；推动成立党组织5家、"
	    "群团组织8家，帮助企业招聘员工560余人，指导企业享受税收优惠6178万元。");
	free(s);
}

static void
test_figures_summary_leaves_out_zero_parts(void **state)
{
	struct figures f = figures_zone();
	char *s;

	(void)state;
	/* a range with no talks: neither talks nor their audience */
	memset(f.events, 0, sizeof f.events);
	f.outcomes[FIGURES_MASS_ORG] = 0;
	f.outcomes[FIGURES_TAX_RELIEF] = 0;
	f.from = date_to_days(2026, 3, 1);
	f.to = date_to_days(2026, 3, 31);
	s = figures_summary_zh(&f);
	assert_string_equal(s, "2026年3月1日至2026年3月31日，党建指导员共走访企业282次，"
	    "收集各类意见建议28条；推动成立党组织5家，帮助企业招聘员工560余人。");
	free(s);
	/* only results */
	f.visits = f.suggestions = 0;
	s = figures_summary_zh(&f);
	assert_string_equal(s, "2026年3月1日至2026年3月31日，党建指导员推动成立党组织5家，"
	    "帮助企业招聘员工560余人。");
	free(s);
	/* nothing at all */
	memset(&f, 0, sizeof f);
	f.from = f.to = date_to_days(2026, 1, 1);
	s = figures_summary_zh(&f);
	assert_string_equal(s, "2026年以来，暂无走访、宣讲和工作成效记录。");
	free(s);
	/* one of each, exact */
	f.visits = 1;
	f.outcomes[FIGURES_OTHER] = 1;
	f.outcomes[FIGURES_FUNDING] = 1000000;
	s = figures_summary_zh(&f);
	assert_string_equal(s, "2026年以来，党建指导员共走访企业1次；"
	    "帮助企业获得融资和补贴1万元，取得其他工作成效1项。");
	free(s);
}

static void
add_key(const char *key, void *arg)
{
	cJSON_AddItemToArray(arg, cJSON_CreateString(key));
}

static void
test_figures_range_reads_whole_months_and_the_days_around_them(void **state)
{
	cJSON *keys = cJSON_CreateArray();
	char *text;
	size_t n;

	(void)state;
	/* 30 Jan .. 2 Mar 2026: two days, February whole, two days */
	n = figures_range_keys(date_to_days(2026, 1, 30),
	    date_to_days(2026, 3, 2), add_key, keys);
	assert_int_equal(n, 5);
	text = cJSON_PrintUnformatted(keys);
	assert_non_null(strstr(text, "\"m:202602\""));
	assert_null(strstr(text, "m:202601"));
	assert_null(strstr(text, "m:202603"));
	free(text);
	cJSON_Delete(keys);
	/* a whole year: twelve months, no day */
	keys = cJSON_CreateArray();
	n = figures_range_keys(date_to_days(2026, 1, 1),
	    date_to_days(2026, 12, 31), add_key, keys);
	assert_int_equal(n, 12);
	cJSON_Delete(keys);
}

static void
test_figures_outcome_order_matches_the_kinds(void **state)
{
	(void)state;
	assert_string_equal(fieldwork_outcome_kinds[FIGURES_PARTY_ORG].name,
	    "party_org");
	assert_string_equal(fieldwork_outcome_kinds[FIGURES_MASS_ORG].name,
	    "mass_org");
	assert_string_equal(fieldwork_outcome_kinds[FIGURES_HIRES].name, "hires");
	assert_string_equal(fieldwork_outcome_kinds[FIGURES_TAX_RELIEF].name,
	    "tax_relief");
	assert_string_equal(fieldwork_outcome_kinds[FIGURES_FUNDING].name,
	    "funding");
	assert_string_equal(fieldwork_outcome_kinds[FIGURES_OTHER].name, "other");
	assert_null(fieldwork_outcome_kinds[FIELDWORK_NOUTCOME_KINDS].name);
	assert_null(fieldwork_event_kinds[FIELDWORK_NEVENT_KINDS].name);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_figures_people_round_down_with_yu),
		cmocka_unit_test(test_figures_money_in_wan_yuan),
		cmocka_unit_test(test_figures_summary_as_the_zone_writes_it),
		cmocka_unit_test(test_figures_summary_leaves_out_zero_parts),
		cmocka_unit_test(test_figures_range_reads_whole_months_and_the_days_around_them),
		cmocka_unit_test(test_figures_outcome_order_matches_the_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
