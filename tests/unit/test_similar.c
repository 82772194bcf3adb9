/*
 * test_similar.c -- unit tests for similar.c: normalisation, the
 * similarity on the sample reports (tests/data/reports.json), and the
 * window of open issues (add, match, update, groups, removal, expiry,
 * eviction, topics), checked against a full scan on random texts.
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

#define THRESHOLD SIMILAR_THRESHOLD_DEFAULT

/* The period key of year-month-half. */
static int
key(int year, int month, int half)
{
	return year * 24 + (month - 1) * 2 + (half - 1);
}

/* Return the similarity of two texts. */
static double
similarity(const char *a, const char *b)
{
	struct similar_grams ga, gb;
	double s;

	similar_grams(a, &ga);
	similar_grams(b, &gb);
	s = similar_score(&ga, &gb);
	free(ga.v);
	free(gb.v);
	return s;
}

/* Fail unless a and b have exactly the same grams. */
static void
assert_same_grams(const char *a, const char *b)
{
	struct similar_grams ga, gb;

	similar_grams(a, &ga);
	similar_grams(b, &gb);
	assert_int_not_equal(ga.n, 0);
	assert_int_equal(ga.n, gb.n);
	assert_memory_equal(ga.v, gb.v, ga.n * sizeof *ga.v);
	free(ga.v);
	free(gb.v);
}

static void
test_similar_full_width_forms_equal_their_plain_forms(void **state)
{
	assert_same_grams("ＥＲＰ系统升级到Ｖ２版", "erp系统升级到v2版");
	assert_same_grams("ａｂｃ１２３", "ABC123");
	assert_same_grams("申请（第２批）：已提交！", "申请(第2批):已提交!");
	assert_same_grams("用电\u3000增容", "用电 增容");
}

static void
test_similar_punctuation_only_differences_score_one(void **state)
{
	const char *plain = "园区道路路灯夜间不亮员工下夜班出行不安全";

	assert_true(similarity(plain,
	    "园区道路路灯夜间不亮，员工下夜班出行不安全。") == 1.0);
	assert_true(similarity(plain,
	    "「园区道路」路灯——夜间不亮……员工、下夜班；出行不安全？！") == 1.0);
	assert_true(similarity(plain,
	    " 园区道路\t路灯夜间不亮\n员工下夜班出行不安全 ★※ ") == 1.0);
	assert_true(similarity(plain,
	    "园区道路路灯夜间不亮～员工下夜班出行不安全！！") == 1.0);
	assert_same_grams(plain, "园区道路·路灯“夜间”不亮《员工》下夜班【出行】"
	    "不安全\u200b");
}

static void
test_similar_a_digit_run_is_one_token(void **state)
{
	assert_same_grams("搭建15米长物料架", "搭建１５米长物料架");
	assert_true(similarity("15米", "16米") == 0.0);
	assert_true(similarity("2026年", "2025年") == 0.0);
	assert_true(similarity("提交2个月", "提交12个月") < 1.0);
}

static void
test_similar_empty_text_has_no_grams_and_is_similar_to_nothing(void **state)
{
	struct similar_grams g;

	similar_grams("", &g);
	assert_int_equal(g.n, 0);
	assert_null(g.v);
	similar_grams(NULL, &g);
	assert_int_equal(g.n, 0);
	similar_grams("，。！？ \n\t、——……", &g);
	assert_int_equal(g.n, 0);
	assert_true(similarity("", "") == 0.0);
	assert_true(similarity("。", "，") == 0.0);
	assert_true(similarity("", "用电增容") == 0.0);
}

static void
test_similar_ascii_only_text_is_compared_by_letter_pairs(void **state)
{
	struct similar_grams g;

	assert_true(similarity("Login fails on the ERP system",
	    "login FAILS on the erp-system!") == 1.0);
	assert_true(similarity("Login fails on the ERP system",
	    "Printer out of paper") < THRESHOLD);
	assert_true(similarity("login fails on erp system",
	    "erp system login fails again") >= THRESHOLD);
	similar_grams("a", &g);
	assert_int_equal(g.n, 1);
	free(g.v);
	assert_true(similarity("a", "A") == 1.0);
	assert_true(similarity("a", "b") == 0.0);
	assert_true(similarity("水", "水") == 1.0);
}

static void
test_similar_grams_are_sorted_and_unique(void **state)
{
	struct similar_grams g;
	size_t i;

	/* 路灯, 灯不 and 不亮 twice: 4 distinct pairs of 7. */
	similar_grams("路灯不亮路灯不亮", &g);
	assert_int_equal(g.n, 4);
	for (i = 1; i < g.n; i++)
		assert_true(g.v[i - 1] < g.v[i]);
	free(g.v);
}

/* ---- the sample reports ---- */

struct sample {
	const char *topic;
	const char *cluster;     /* NULL when not in a cluster */
	char *text;              /* title "\n" detail */
};

/* Read tests/data/reports.json into samples; return how many. */
static size_t
load_samples(struct sample **out, cJSON **json)
{
	cJSON *items, *item, *expect, *cluster, *title, *detail;
	struct sample *s;
	char *buf;
	size_t n = 0;

	buf = fixture_read(TEST_DATA_DIR "/reports.json", NULL);
	*json = cJSON_Parse(buf);
	free(buf);
	assert_non_null(*json);
	items = cJSON_GetObjectItemCaseSensitive(*json, "items");
	assert_true(cJSON_IsArray(items));
	s = calloc(cJSON_GetArraySize(items), sizeof *s);
	assert_non_null(s);
	cJSON_ArrayForEach(item, items) {
		expect = cJSON_GetObjectItemCaseSensitive(item, "expect");
		cluster = cJSON_GetObjectItemCaseSensitive(expect, "cluster");
		s[n].topic = cJSON_GetObjectItemCaseSensitive(item,
		    "topic")->valuestring;
		s[n].cluster = cJSON_IsString(cluster) ?
		    cluster->valuestring : NULL;
		title = cJSON_GetObjectItemCaseSensitive(item, "title");
		detail = cJSON_GetObjectItemCaseSensitive(item, "detail");
		if (asprintf(&s[n].text, "%s\n%s", title->valuestring,
		    detail->valuestring) == -1)
			fail();
		n++;
	}
	*out = s;
	return n;
}

static void
free_samples(struct sample *s, size_t n, cJSON *json)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(s[i].text);
	free(s);
	cJSON_Delete(json);
}

static void
test_similar_sample_paraphrases_pass_and_different_problems_fail(void **state)
{
	struct sample *s;
	cJSON *json;
	size_t n, i, j, npos = 0, nneg = 0;
	double score, pos_min = 2, neg_max = -1;
	int same;

	n = load_samples(&s, &json);
	assert_int_equal(n, 27);
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			if (strcmp(s[i].topic, s[j].topic) != 0)
				continue;
			score = similarity(s[i].text, s[j].text);
			same = s[i].cluster != NULL && s[j].cluster != NULL &&
			    strcmp(s[i].cluster, s[j].cluster) == 0;
			if (same) {
				npos++;
				if (score < pos_min)
					pos_min = score;
				if (score < THRESHOLD)
					fail_msg("items %zu and %zu (cluster "
					    "%s) score %.3f < %.2f", i, j,
					    s[i].cluster, score, THRESHOLD);
			} else {
				nneg++;
				if (score > neg_max)
					neg_max = score;
				if (score >= THRESHOLD)
					fail_msg("items %zu and %zu (%s) score "
					    "%.3f >= %.2f", i, j, s[i].topic,
					    score, THRESHOLD);
			}
		}
	}
	/* The clusters: A 4 items (6 pairs), B 3 (3), C 3 (3). */
	assert_int_equal(npos, 12);
	assert_true(nneg >= 3);
	printf("similar: %zu paraphrase pairs >= %.3f (margin %+.3f), "
	    "%zu different-problem pairs <= %.3f (margin %+.3f), "
	    "threshold %.2f\n", npos, pos_min, pos_min - THRESHOLD, nneg,
	    neg_max, neg_max - THRESHOLD, THRESHOLD);
	/* A clear margin both ways. */
	assert_true(pos_min - THRESHOLD >= 0.1);
	assert_true(THRESHOLD - neg_max >= 0.1);
	free_samples(s, n, json);
}

static void
test_similar_named_different_problems_stay_apart(void **state)
{
	/* 职业院校实习 against the hiring cluster. */
	assert_true(similarity(
	    "希望对接职业院校，建立实习实\n"
	    "希望对接职业院校，建立实习实训基地",
	    "企业扩产，普工招工难缺口大，\n"
	    "企业扩产，普工招工难缺口大，希望协助对接劳务资源招聘") < THRESHOLD);
	/* 自来水水压 against 用电增容. */
	assert_true(similarity(
	    "厂区自来水水压偏低，高峰期供\n"
	    "厂区自来水水压偏低，高峰期供水不足",
	    "用电增容申请提交两个多月未批\n"
	    "用电增容申请提交两个多月未批复，影响新生产线投产") < THRESHOLD);
	/* 物流车辆限行 against 路灯. */
	assert_true(similarity(
	    "物流车辆进出园区限行，希望调\n"
	    "物流车辆进出园区限行，希望调整货车通行时间",
	    "园区路灯晚上不亮，夜班员工下\n"
	    "园区路灯晚上不亮，夜班员工下班出行存在安全隐患") < THRESHOLD);
}

/* ---- the window ---- */

#define HIRING_1 "订单增加后普工缺口大，招工困难，请协助对接劳务资源"
#define HIRING_2 "普工招工难，缺口较大，希望帮助对接劳务输出地资源"
#define HIRING_3 "今年订单增加，普工缺口较大，招工难，希望协助对接劳务资源"
#define HIRING_4 "企业扩产，普工招工难缺口大，希望协助对接劳务资源招聘"
#define HIRING_OTHER "希望对接职业院校，建立实习实训基地"
#define LAMP_1 "园区道路路灯夜间不亮，员工下夜班出行不安全"
#define LAMP_2 "园区路灯晚上不亮，夜班员工下班出行存在安全隐患"

static void
test_similar_window_finds_similar_issues_best_first(void **state)
{
	struct similar_window *w;
	struct similar_match m[8];
	size_t n;
	int k = key(2026, 11, 2);

	w = similar_window_new(100);
	assert_int_equal(similar_window_add(w, "I1", "hiring",
	    "91340800KP2P1QL70E", k, NULL, HIRING_1), 0);
	assert_int_equal(similar_window_add(w, "I2", "hiring",
	    "91340800WMR6CEGQ6D", k, NULL, HIRING_2), 0);
	assert_int_equal(similar_window_add(w, "I3", "hiring",
	    "91340800PN4Y1KAC63", k - 1, NULL, HIRING_OTHER), 0);

	n = similar_window_match(w, "hiring", HIRING_3, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].issue, "I1");   /* 0.64 */
	assert_string_equal(m[0].enterprise, "91340800KP2P1QL70E");
	assert_null(m[0].group);
	assert_int_equal(m[0].period_key, k);
	assert_true(m[0].score >= m[1].score);
	assert_true(m[0].score == similarity(HIRING_3, HIRING_1));
	assert_string_equal(m[1].issue, "I2");

	/* max limits what is returned, best first. */
	n = similar_window_match(w, "hiring", HIRING_3, 0, THRESHOLD, m, 1);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].issue, "I1");

	/* A text already in the window matches itself with 1.0. */
	n = similar_window_match(w, "hiring", HIRING_OTHER, 0, THRESHOLD,
	    m, 8);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].issue, "I3");
	assert_true(m[0].score == 1.0);
	similar_window_free(w);
}

static void
test_similar_window_groups_updates_and_removals(void **state)
{
	struct similar_window *w;
	struct similar_match m[8];
	size_t n;
	int k = key(2026, 11, 2);

	w = similar_window_new(100);
	similar_window_add(w, "I1", "hiring", "E1", k, NULL, HIRING_1);
	similar_window_add(w, "I2", "hiring", "E2", k, NULL, HIRING_2);
	similar_window_add(w, "I3", "hiring", "E3", k, NULL, HIRING_3);

	similar_window_set_group(w, "I1", "G1");
	similar_window_set_group(w, "I3", "G1");
	similar_window_set_group(w, "I9", "G1");         /* unknown: ignored */
	n = similar_window_match(w, "hiring", HIRING_4, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 3);
	for (; n > 0; n--) {
		if (strcmp(m[n - 1].issue, "I2") == 0)
			assert_null(m[n - 1].group);
		else
			assert_string_equal(m[n - 1].group, "G1");
	}
	assert_string_equal(similar_window_group(w, "I3"), "G1");
	assert_null(similar_window_group(w, "I2"));
	assert_null(similar_window_group(w, "I9"));
	similar_window_set_group(w, "I1", NULL);
	n = similar_window_match(w, "hiring", HIRING_1, 0, 0.99, m, 8);
	assert_int_equal(n, 1);
	assert_null(m[0].group);

	/* An update replaces the text, the enterprise and the group. */
	assert_int_equal(similar_window_add(w, "I2", "hiring", "E9", k, "G7",
	    HIRING_OTHER), 0);
	n = similar_window_match(w, "hiring", HIRING_OTHER, 0, THRESHOLD,
	    m, 8);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].issue, "I2");
	assert_string_equal(m[0].enterprise, "E9");
	assert_string_equal(m[0].group, "G7");
	n = similar_window_match(w, "hiring", HIRING_4, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 2);

	similar_window_remove(w, "I1");
	similar_window_remove(w, "I1");                  /* twice: no-op */
	similar_window_remove(w, "nope");
	n = similar_window_match(w, "hiring", HIRING_4, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].issue, "I3");
	similar_window_remove(w, "I3");
	similar_window_remove(w, "I2");
	n = similar_window_match(w, "hiring", HIRING_OTHER, 0, 0.05, m, 8);
	assert_int_equal(n, 0);

	/* Emptied, the window takes issues again. */
	similar_window_add(w, "I1", "hiring", "E1", k, NULL, HIRING_1);
	n = similar_window_match(w, "hiring", HIRING_3, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 1);
	similar_window_free(w);
}

static void
test_similar_window_keeps_topics_apart(void **state)
{
	struct similar_window *w;
	struct similar_match m[8];
	size_t n;
	int k = key(2026, 11, 2);

	w = similar_window_new(100);
	similar_window_add(w, "I1", "hiring", "E1", k, NULL, HIRING_1);
	similar_window_add(w, "I2", "labor", "E2", k, NULL, HIRING_1);
	similar_window_add(w, "I3", "logistics", "E3", k, NULL, LAMP_1);

	n = similar_window_match(w, "labor", HIRING_3, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].issue, "I2");
	n = similar_window_match(w, "hiring", HIRING_3, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].issue, "I1");
	n = similar_window_match(w, "hiring", LAMP_2, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 0);
	n = similar_window_match(w, "logistics", LAMP_2, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 1);
	n = similar_window_match(w, "tax", HIRING_1, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 0);

	/* Moving an issue to another topic takes it out of the first. */
	similar_window_add(w, "I1", "tax", "E1", k, NULL, HIRING_1);
	n = similar_window_match(w, "hiring", HIRING_3, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 0);
	n = similar_window_match(w, "tax", HIRING_3, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 1);
	similar_window_free(w);
}

static void
test_similar_window_filters_and_expires_by_period(void **state)
{
	struct similar_window *w;
	struct similar_match m[8];
	size_t n;
	int now = key(2027, 1, 1), prev = key(2026, 12, 2);
	int old = key(2026, 12, 1);

	assert_int_equal(prev, now - 1);
	w = similar_window_new(100);
	similar_window_add(w, "I1", "logistics", "E1", old, NULL, LAMP_1);
	similar_window_add(w, "I2", "logistics", "E2", prev, NULL, LAMP_1);
	similar_window_add(w, "I3", "logistics", "E3", now, NULL, LAMP_1);
	similar_window_add(w, "I4", "logistics", "E4", old, NULL, LAMP_2);

	n = similar_window_match(w, "logistics", LAMP_1, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 4);
	/* Equal scores: newer period first. */
	assert_string_equal(m[0].issue, "I3");
	assert_string_equal(m[1].issue, "I2");
	assert_string_equal(m[2].issue, "I1");
	assert_string_equal(m[3].issue, "I4");

	n = similar_window_match(w, "logistics", LAMP_2, prev, THRESHOLD,
	    m, 8);
	assert_int_equal(n, 2);
	assert_true(m[0].period_key >= prev && m[1].period_key >= prev);

	similar_window_expire(w, prev);
	n = similar_window_match(w, "logistics", LAMP_2, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].issue, "I3");
	assert_string_equal(m[1].issue, "I2");
	similar_window_expire(w, prev);                  /* nothing left */
	similar_window_remove(w, "I1");                  /* already gone */

	/* Expired issues can come back, and expiry of all empties it. */
	similar_window_add(w, "I1", "logistics", "E1", old, NULL, LAMP_1);
	n = similar_window_match(w, "logistics", LAMP_1, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 3);
	similar_window_expire(w, now + 1);
	n = similar_window_match(w, "logistics", LAMP_1, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 0);
	similar_window_add(w, "I5", "logistics", "E5", now + 1, NULL, LAMP_2);
	n = similar_window_match(w, "logistics", LAMP_1, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].issue, "I5");
	similar_window_free(w);
}

static void
test_similar_window_evicts_the_oldest_period_first(void **state)
{
	struct similar_window *w;
	struct similar_match m[8];
	size_t n, i;
	const char *left[3];

	w = similar_window_new(3);
	assert_int_equal(similar_window_add(w, "I1", "logistics", "E1", 10,
	    NULL, LAMP_1), 0);
	assert_int_equal(similar_window_add(w, "I2", "logistics", "E2", 12,
	    NULL, LAMP_1), 0);
	assert_int_equal(similar_window_add(w, "I3", "logistics", "E3", 11,
	    NULL, LAMP_1), 0);
	/* Full: I1 (period 10) goes, then I3 (period 11). */
	assert_int_equal(similar_window_add(w, "I4", "logistics", "E4", 12,
	    NULL, LAMP_1), 0);
	assert_int_equal(similar_window_add(w, "I5", "logistics", "E5", 11,
	    NULL, LAMP_1), 0);
	n = similar_window_match(w, "logistics", LAMP_1, 0, THRESHOLD, m, 8);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++)
		left[i] = m[i].issue;
	assert_string_equal(left[0], "I2");
	assert_string_equal(left[1], "I4");
	assert_string_equal(left[2], "I5");
	/* Older than everything in a full window: not added. */
	assert_int_equal(similar_window_add(w, "I6", "logistics", "E6", 9,
	    NULL, LAMP_1), -1);
	/* An update of an issue in a full window evicts nothing. */
	assert_int_equal(similar_window_add(w, "I5", "logistics", "E5", 12,
	    NULL, LAMP_2), 0);
	n = similar_window_match(w, "logistics", LAMP_1, 0, 0.05, m, 8);
	assert_int_equal(n, 3);
	/* Within a period the first added goes first. */
	assert_int_equal(similar_window_add(w, "I7", "logistics", "E7", 13,
	    NULL, LAMP_1), 0);
	n = similar_window_match(w, "logistics", LAMP_1, 0, 0.99, m, 8);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].issue, "I7");
	assert_string_equal(m[1].issue, "I4");
	similar_window_free(w);
}

/*
 * A full window evicts its oldest window_max / SIMILAR_WINDOW_EVICT_SHARE
 * entries at once: the oldest period's, then the next period's first
 * added, and then has room for as many adds again.
 */
static void
test_similar_window_full_evicts_a_share_at_once(void **state)
{
	struct similar_window *w;
	struct similar_match m[256];
	size_t max = 4 * SIMILAR_WINDOW_EVICT_SHARE, i, n;
	char issue[16];

	w = similar_window_new(max);
	for (i = 0; i < max; i++) {
		snprintf(issue, sizeof issue, "I%zu", i);
		assert_int_equal(similar_window_add(w, issue, "logistics", "E",
		    i < 3 ? 10 : 11, NULL, LAMP_1), 0);
	}
	assert_int_equal(similar_window_add(w, "N0", "logistics", "E", 11,
	    NULL, LAMP_1), 0);
	/* Four went: I0-I2 (period 10), then I3 (the first of 11). */
	assert_int_equal(similar_window_count(w), max - 4 + 1);
	for (i = 0; i < 4; i++) {
		snprintf(issue, sizeof issue, "I%zu", i);
		assert_false(similar_window_has(w, issue));
	}
	assert_true(similar_window_has(w, "I4"));
	assert_true(similar_window_has(w, "N0"));
	/* Room for three more, then the next four oldest go. */
	for (i = 1; i <= 3; i++) {
		snprintf(issue, sizeof issue, "N%zu", i);
		similar_window_add(w, issue, "logistics", "E", 12, NULL,
		    LAMP_2);
	}
	assert_int_equal(similar_window_count(w), max);
	assert_true(similar_window_has(w, "I4"));
	similar_window_add(w, "N4", "logistics", "E", 12, NULL, LAMP_2);
	assert_int_equal(similar_window_count(w), max - 4 + 1);
	assert_false(similar_window_has(w, "I7"));
	assert_true(similar_window_has(w, "I8"));
	/* The evicted match no more: I8 on, and N0. */
	n = similar_window_match(w, "logistics", LAMP_1, 0, 0.99, m,
	    sizeof m / sizeof m[0]);
	assert_int_equal(n, max - 8 + 1);
	for (i = 0; i < n; i++) {
		assert_false(strlen(m[i].issue) == 2 &&
		    m[i].issue[0] == 'I' && m[i].issue[1] < '8');
	}
	similar_window_free(w);
}

/* A title the whole window shares, and a detail of two varying characters. */
static void
near_identical_text(char *buf, size_t len, size_t i)
{
	static const char pool[] = "东南西北中新华兴安平和泰康宁远长";
	size_t n = (sizeof pool - 1) / 3;

	snprintf(buf, len, "园区道路路灯损坏夜间通行困难\n%.3s%.3s路段",
	    pool + i % n * 3, pool + i / n % n * 3);
}

/*
 * The posting slots one add costs in a full window of max near-identical
 * texts (every gram's posting holds the whole window), per add, over
 * another max adds.
 */
static double
steps_per_add_when_full(size_t max)
{
	struct similar_window *w;
	char issue[24], text[128];
	size_t i, before = 0;
	double per;

	w = similar_window_new(max);
	for (i = 0; i < 2 * max; i++) {
		if (i == max)
			before = similar_window_steps(w);
		snprintf(issue, sizeof issue, "I%zu", i);
		near_identical_text(text, sizeof text, i);
		assert_int_equal(similar_window_add(w, issue, "logistics", "E",
		    11, NULL, text), 0);
	}
	per = (double)(similar_window_steps(w) - before) / (double)max;
	similar_window_free(w);
	return per;
}

/*
 * Eviction does not grow with the window: one at a time, each evicted
 * entry walked its grams' postings (the whole window, here), and a full
 * window of 10^6 near-identical titles took minutes to load.
 */
static void
test_similar_window_eviction_cost_does_not_grow_with_the_window(void **state)
{
	struct similar_grams g;
	char text[128];
	double small, large;

	near_identical_text(text, sizeof text, 0);
	similar_grams(text, &g);
	small = steps_per_add_when_full(1024);
	large = steps_per_add_when_full(8192);
	/* The add's own grams, and each a filter pass's share. */
	assert_true(small <= 3.0 * SIMILAR_WINDOW_EVICT_SHARE * (double)g.n);
	assert_true(large <= 3.0 * SIMILAR_WINDOW_EVICT_SHARE * (double)g.n);
	assert_true(large <= small * 1.25);
	free(g.v);
}

static void
test_similar_window_ignores_empty_text(void **state)
{
	struct similar_window *w;
	struct similar_match m[4];

	w = similar_window_new(10);
	assert_int_equal(similar_window_add(w, "I1", "other", "E1", 1, NULL,
	    "，。"), 0);
	assert_int_equal(similar_window_add(w, "I2", "other", "E2", 1, NULL,
	    ""), 0);
	assert_int_equal(similar_window_match(w, "other", "", 0, 0.05, m, 4),
	    0);
	assert_int_equal(similar_window_match(w, "other", "！", 0, 0.05, m,
	    4), 0);
	assert_int_equal(similar_window_match(w, "other", "login", 0, 0.05,
	    m, 4), 0);
	similar_window_add(w, "I3", "other", "E3", 1, NULL, "ERP login");
	assert_int_equal(similar_window_match(w, "other", "erp LOGIN!", 0,
	    THRESHOLD, m, 4), 1);
	similar_window_free(w);
}

/* ---- the window against a full scan ---- */

static const char *const fragments[] = {
	"希望", "协助", "对接", "企业", "普工", "招工", "缺口", "劳务", "资源",
	"路灯", "夜间", "不亮", "员工", "安全", "用电", "增容", "申请", "批复",
	"两个月", "生产线", "园区", "道路", "物流", "车辆", "限行", "水压",
	"偏低", "政策", "资金", "流程", "咨询", "问题", "解决", "尽快", "维修",
};
#define NFRAGMENTS (sizeof fragments / sizeof fragments[0])

/* Write a random text of 3 to 14 fragments into buf. */
static void
random_text(char *buf, size_t len, unsigned int *seed)
{
	int i, n = 3 + rand_r(seed) % 12;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		strncat(buf, fragments[rand_r(seed) % NFRAGMENTS],
		    len - strlen(buf) - 1);
		if (rand_r(seed) % 4 == 0)
			strncat(buf, "，", len - strlen(buf) - 1);
	}
}

struct shadow {
	char issue[16];
	char text[256];
	int topic;
	int period;
	int live;
};

static void
test_similar_window_match_finds_what_a_full_scan_finds(void **state)
{
	static const char *const topics[] = { "hiring", "logistics", "tax" };
	static const double thresholds[] = { 0.05, 0.15, 0.22, 0.4, 0.8 };
	struct similar_window *w;
	struct similar_match m[2000];
	struct shadow *sh;
	double score[1500];
	char query[256];
	unsigned int seed = 7;
	size_t nsh = 1500, i, t, n, want, checked = 0;
	int round, topic, min_period;

	sh = calloc(nsh, sizeof *sh);
	assert_non_null(sh);
	w = similar_window_new(nsh);
	for (i = 0; i < nsh; i++) {
		snprintf(sh[i].issue, sizeof sh[i].issue, "I%zu", i);
		random_text(sh[i].text, sizeof sh[i].text, &seed);
		sh[i].topic = rand_r(&seed) % 3;
		sh[i].period = 100 + rand_r(&seed) % 4;
		sh[i].live = 1;
		assert_int_equal(similar_window_add(w, sh[i].issue,
		    topics[sh[i].topic], "E", sh[i].period, NULL,
		    sh[i].text), 0);
	}
	for (round = 0; round < 3; round++) {
		/* Change the window between rounds. */
		for (i = 0; i < nsh; i += 7 + round) {
			if (sh[i].live && rand_r(&seed) % 2 == 0) {
				similar_window_remove(w, sh[i].issue);
				sh[i].live = 0;
			} else {
				random_text(sh[i].text, sizeof sh[i].text,
				    &seed);
				sh[i].period = 100 + rand_r(&seed) % 4;
				sh[i].live = 1;
				similar_window_add(w, sh[i].issue,
				    topics[sh[i].topic], "E", sh[i].period,
				    NULL, sh[i].text);
			}
		}
		if (round == 2) {
			similar_window_expire(w, 101);
			for (i = 0; i < nsh; i++) {
				if (sh[i].period < 101)
					sh[i].live = 0;
			}
		}
		for (i = 0; i < 60; i++) {
			random_text(query, sizeof query, &seed);
			topic = rand_r(&seed) % 3;
			min_period = 100 + rand_r(&seed) % 3;
			for (n = 0; n < nsh; n++)
				score[n] = sh[n].live && sh[n].topic == topic &&
				    sh[n].period >= min_period ?
				    similarity(query, sh[n].text) : -1;
			for (t = 0; t < 5; t++) {
				want = 0;
				for (n = 0; n < nsh; n++) {
					if (score[n] >= thresholds[t])
						want++;
				}
				n = similar_window_match(w, topics[topic],
				    query, min_period, thresholds[t], m,
				    sizeof m / sizeof m[0]);
				assert_int_equal(n, want);
				checked += want;
			}
		}
	}
	assert_true(checked > 1000);
	similar_window_free(w);
	free(sh);
}

/* ---- the window against a full scan, answer for answer ---- */

struct scanned {
	const char *issue;
	double score;
	int period;
};

/* The order of similar_window_match: best first, newer, then by id. */
static int
compare_scanned(const void *a, const void *b)
{
	const struct scanned *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	if (x->period != y->period)
		return x->period < y->period ? 1 : -1;
	return strcmp(x->issue, y->issue);
}

/*
 * The oracle: score query against every text of topic by similar_score
 * (no index), keep those at threshold or above in the window's order, and
 * fail unless the window's answer (at most max) is the same list.
 */
static void
assert_match_is_full_scan(struct similar_window *w, const char *topic,
    const char *query, double threshold, size_t max, char **ids,
    char **texts, const char **topics, const int *periods, size_t ntexts)
{
	struct scanned *want;
	struct similar_match *m;
	size_t nwant = 0, n, i;
	double score;

	want = calloc(ntexts + 1, sizeof *want);
	m = calloc(max + 1, sizeof *m);
	assert_non_null(want);
	assert_non_null(m);
	for (i = 0; i < ntexts; i++) {
		if (strcmp(topics[i], topic) != 0)
			continue;
		score = similarity(query, texts[i]);
		if (score >= threshold && score > 0) {
			want[nwant].issue = ids[i];
			want[nwant].score = score;
			want[nwant++].period = periods[i];
		}
	}
	qsort(want, nwant, sizeof *want, compare_scanned);
	n = similar_window_match(w, topic, query, 0, threshold, m, max);
	assert_int_equal(n, nwant < max ? nwant : max);
	for (i = 0; i < n; i++) {
		assert_string_equal(m[i].issue, want[i].issue);
		assert_true(m[i].score == want[i].score);
	}
	free(want);
	free(m);
}

static void
test_similar_window_answers_the_samples_as_a_full_scan(void **state)
{
	static const double thresholds[] = { 0.1, THRESHOLD, 0.35, 0.6 };
	struct similar_window *w;
	struct sample *s;
	const char **topics;
	char **ids, **texts;
	int *periods;
	cJSON *json;
	size_t n, i, t;

	n = load_samples(&s, &json);
	assert_true(n > 10);
	ids = calloc(n, sizeof *ids);
	texts = calloc(n, sizeof *texts);
	topics = calloc(n, sizeof *topics);
	periods = calloc(n, sizeof *periods);
	w = similar_window_new(n);
	for (i = 0; i < n; i++) {
		if (asprintf(&ids[i], "I%zu", i) == -1)
			fail();
		texts[i] = s[i].text;
		topics[i] = s[i].topic;
		periods[i] = 100 + (int)(i % 3);
		assert_int_equal(similar_window_add(w, ids[i], topics[i], "E",
		    periods[i], NULL, texts[i]), 0);
	}
	/* Every sample as the new item, at several thresholds and limits. */
	for (i = 0; i < n; i++) {
		for (t = 0; t < 4; t++) {
			assert_match_is_full_scan(w, s[i].topic, s[i].text,
			    thresholds[t], 64, ids, texts, topics, periods, n);
			assert_match_is_full_scan(w, s[i].topic, s[i].text,
			    thresholds[t], 2, ids, texts, topics, periods, n);
		}
	}
	similar_window_free(w);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	free(texts);
	free(topics);
	free(periods);
	free_samples(s, n, json);
}

/*
 * Edge cases of skipping the longest postings: a query of one gram (nothing
 * may be skipped), entries and a query made only of the grams every entry
 * has (each of the query's postings is the whole topic), and texts with no
 * gram at all.
 */
static void
test_similar_window_skipping_common_grams_loses_nothing(void **state)
{
	static const char *const tails[] = { "", "路灯不亮", "夜间", "灯",
	    "希望", "道路维修尽快", "企业" };
	enum { N = 140 };
	struct similar_window *w;
	char *ids[N], *texts[N];
	const char *topics[N];
	int periods[N];
	size_t i;

	w = similar_window_new(N);
	for (i = 0; i < N; i++) {
		if (asprintf(&ids[i], "I%zu", i) == -1 ||
		    asprintf(&texts[i], "%s%s", i % 5 == 0 ? "" : "希望企业对接",
		    tails[i % 7]) == -1)
			fail();
		topics[i] = "other";
		periods[i] = 1;
		similar_window_add(w, ids[i], "other", "E", 1, NULL, texts[i]);
	}
	/* Only common grams: every posting is most of the topic. */
	assert_match_is_full_scan(w, "other", "希望企业对接", THRESHOLD, 200,
	    ids, texts, topics, periods, N);
	assert_match_is_full_scan(w, "other", "希望企业对接", 0.9, 200,
	    ids, texts, topics, periods, N);
	assert_match_is_full_scan(w, "other", "希望企业对接路灯不亮",
	    THRESHOLD, 200, ids, texts, topics, periods, N);
	/* One token, one gram: the lone-token gram is never skipped. */
	assert_match_is_full_scan(w, "other", "灯", THRESHOLD, 200,
	    ids, texts, topics, periods, N);
	assert_match_is_full_scan(w, "other", "希望", 0.05, 200,
	    ids, texts, topics, periods, N);
	/* No gram: nothing, and entries without grams match nothing. */
	assert_match_is_full_scan(w, "other", "", THRESHOLD, 200,
	    ids, texts, topics, periods, N);
	assert_match_is_full_scan(w, "other", "。！", 0.01, 200,
	    ids, texts, topics, periods, N);
	/* A removed (closed) issue is never an answer again. */
	similar_window_remove(w, ids[3]);
	topics[3] = "closed";
	assert_match_is_full_scan(w, "other", texts[3], THRESHOLD, 200,
	    ids, texts, topics, periods, N);
	similar_window_free(w);
	for (i = 0; i < N; i++) {
		free(ids[i]);
		free(texts[i]);
	}
}

/* ---- a topic too large to walk: the band step ---- */

/* Common characters, as the intake bench's texts (tests/bench/report.lua). */
static const char dense_pool[] =
    "招工用工技能培训订单生产线岗位工资社保宿舍通勤夜班"
    "学徒实习合同加班流动季节性外地返乡春节招聘会劳务派遣"
    "电工焊工钳工叉车质检包装仓储物流装配调试维修"
    "园区道路路灯供电供水燃气排污环评消防安全审批许可证执照"
    "贷款融资担保授信利率税收减免退税发票补贴奖补兑现资金";

#define DENSE_CHARS 64   /* 63 grams a text */
#define DENSE_TEXT (DENSE_CHARS * 3 + 1)

/* Write from character `from` on DENSE_CHARS - from random pool characters. */
static void
dense_text(char *buf, int from, unsigned int *seed)
{
	size_t count = (sizeof dense_pool - 1) / 3, i;
	int n;

	for (n = from; n < DENSE_CHARS; n++) {
		i = rand_r(seed) % count;
		memcpy(buf + n * 3, dense_pool + i * 3, 3);
	}
	buf[DENSE_CHARS * 3] = '\0';
}

/* Is issue among the n matches m? */
static int
matched(const struct similar_match *m, size_t n, const char *issue)
{
	while (n-- > 0) {
		if (strcmp(m[n].issue, issue) == 0)
			return 1;
	}
	return 0;
}

/*
 * A topic of SIMILAR_WINDOW_BANDS_FROM open issues and more, of texts so
 * alike that a match's postings exceed the walk budget, is searched by the
 * band step: it still finds every near duplicate at Dice 0.6 (each missed
 * with a chance of 6e-5, similar_bands.c) and almost every one at 0.5
 * (0.3 % each), while below that it may miss some (at 0.3 it does); what it
 * answers is always right, exactly scored and in the walk's order; and a
 * removed or updated issue leaves the band index as it leaves the postings.
 */
/*
 * The band step in a huge topic (below); held, the window is loaded with
 * its band indexes held off and released at the end (a daemon's start-up).
 */
static void
band_step_in_a_huge_topic(int held)
{
	enum { N = SIMILAR_WINDOW_BANDS_FROM + 4000, PLANTED = 100 };
	static const struct { int redrawn; double dice; } levels[] = {
		{ 25, 0.6 }, { 31, 0.5 }, { 44, 0.3 },
	};
	static struct similar_match m[1024], x[1024];
	static char texts[PLANTED][DENSE_TEXT];
	struct similar_window *w;
	char text[DENSE_TEXT], issue[16], query[DENSE_TEXT];
	unsigned int seed = 13;
	size_t i, l, n, nx, j, found[3] = { 0 }, exact[3] = { 0 };
	size_t due[3] = { 0 }, due_found[3] = { 0 };
	double dice;

	w = similar_window_new(N);
	similar_window_hold_bands(w, held);
	for (i = 0; i < N; i++) {
		dense_text(text, 0, &seed);
		if (i % (N / PLANTED) == 0 && i / (N / PLANTED) < PLANTED)
			memcpy(texts[i / (N / PLANTED)], text, DENSE_TEXT);
		snprintf(issue, sizeof issue, "I%zu", i);
		assert_int_equal(similar_window_add(w, issue, "hiring", "E",
		    100 + (int)(i % 2), NULL, text), 0);
	}
	similar_window_hold_bands(w, 0);
	for (l = 0; l < 3; l++) {
		for (i = 0; i < PLANTED; i++) {
			snprintf(issue, sizeof issue, "I%zu", i * (N / PLANTED));
			memcpy(query, texts[i], DENSE_TEXT);
			dense_text(query, DENSE_CHARS - levels[l].redrawn, &seed);
			dice = similarity(query, texts[i]);
			n = similar_window_match(w, "hiring", query, 100,
			    THRESHOLD, m, 1024);
			similar_window_set_walk_max(w, SIZE_MAX);
			nx = similar_window_match(w, "hiring", query, 100,
			    THRESHOLD, x, 1024);
			similar_window_set_walk_max(w,
			    SIMILAR_WINDOW_WALK_MAX);
			found[l] += matched(m, n, issue);
			exact[l] += matched(x, nx, issue);
			/* Repeated bigrams move a plant's Dice a little. */
			if (dice >= levels[l].dice) {
				due[l]++;
				due_found[l] += matched(m, n, issue);
			}
			/* Every answer is one of the walk's, as scored. */
			for (j = 0; j < n; j++) {
				assert_true(matched(x, nx, m[j].issue));
				assert_true(m[j].score == dice ||
				    strcmp(m[j].issue, issue) != 0);
				assert_true(j == 0 ||
				    m[j - 1].score >= m[j].score);
			}
		}
		assert_int_equal(exact[l], PLANTED);
	}
	assert_true(due[0] > PLANTED / 2 && due[1] > PLANTED / 2);
	assert_int_equal(due_found[0], due[0]);
	assert_true(due_found[1] + 2 >= due[1]);
	assert_true(found[2] < exact[2]);	/* the band step answered */

	/* Removed, then updated: the band index follows. */
	memcpy(query, texts[0], DENSE_TEXT);
	dense_text(query, DENSE_CHARS - 5, &seed);
	n = similar_window_match(w, "hiring", query, 100, THRESHOLD, m, 1024);
	assert_true(matched(m, n, "I0"));
	similar_window_remove(w, "I0");
	n = similar_window_match(w, "hiring", query, 100, THRESHOLD, m, 1024);
	assert_false(matched(m, n, "I0"));
	similar_window_add(w, "I0", "hiring", "E", 101, NULL, texts[1]);
	n = similar_window_match(w, "hiring", query, 100, THRESHOLD, m, 1024);
	assert_false(matched(m, n, "I0"));
	n = similar_window_match(w, "hiring", texts[1], 100, THRESHOLD, m,
	    1024);
	assert_true(matched(m, n, "I0"));

	/* Expired to below half the size: no band index, exact again. */
	similar_window_expire(w, 101);
	n = similar_window_match(w, "hiring", texts[1], 101, THRESHOLD, m,
	    1024);
	assert_true(matched(m, n, "I0"));
	similar_window_free(w);
}

static void
test_similar_window_band_step_finds_near_duplicates_in_a_huge_topic(void **state)
{
	band_step_in_a_huge_topic(0);
}

/* Loaded with the band index held, released: it answers as one kept up. */
static void
test_similar_window_band_index_held_during_a_load_is_built_at_release(void **state)
{
	band_step_in_a_huge_topic(1);
}

/* similar_bands_index_each's call: count the slots given. */
static void
count_slot(uint32_t slot, void *arg)
{
	size_t *n = arg;

	(void)slot;
	(*n)++;
}

/*
 * Entries that all share their bands (one title for all) are kept under a
 * band key up to SIMILAR_BANDS_KEY_MAX only: a key's pairs are one run of
 * the index, which each add walked (loading 10^5 such texts took over ten
 * minutes). A key of few entries keeps them all, and a removal still
 * takes an entry out.
 */
static void
test_similar_bands_keep_at_most_key_max_entries_a_key(void **state)
{
	struct similar_bands_index *x;
	uint32_t same[SIMILAR_BANDS], own[SIMILAR_BANDS], slot;
	size_t n, i;

	for (i = 0; i < SIMILAR_BANDS; i++)
		same[i] = 0x9e3779b9u * (uint32_t)(i + 1);
	x = similar_bands_index_new();
	for (slot = 0; slot < 20 * SIMILAR_BANDS_KEY_MAX; slot++)
		similar_bands_index_add(x, same, SIMILAR_BANDS, slot);
	n = 0;
	similar_bands_index_each(x, same, SIMILAR_BANDS, count_slot, &n);
	assert_int_equal(n, (size_t)SIMILAR_BANDS * SIMILAR_BANDS_KEY_MAX);
	/* A removal takes one out. */
	similar_bands_index_remove(x, same, SIMILAR_BANDS, 0);
	n = 0;
	similar_bands_index_each(x, same, SIMILAR_BANDS, count_slot, &n);
	assert_int_equal(n, (size_t)SIMILAR_BANDS *
	    (SIMILAR_BANDS_KEY_MAX - 1));
	/* Keys of their own: every entry kept. */
	for (slot = 0; slot < 1000; slot++) {
		for (i = 0; i < SIMILAR_BANDS; i++)
			own[i] = 0x85ebca6bu * (slot + 1) + (uint32_t)i;
		similar_bands_index_add(x, own, SIMILAR_BANDS, 100000 + slot);
		n = 0;
		similar_bands_index_each(x, own, SIMILAR_BANDS, count_slot,
		    &n);
		assert_int_equal(n, SIMILAR_BANDS);
	}
	similar_bands_index_free(x);
}

static void
test_similar_window_bytes_grow_with_entries(void **state)
{
	struct similar_window *w;
	size_t empty, one;
	char issue[16];
	int i;

	w = similar_window_new(1000);
	empty = similar_window_bytes(w);
	assert_true(empty > 0);
	similar_window_add(w, "I1", "logistics", "E1", 1, NULL, LAMP_1);
	one = similar_window_bytes(w);
	assert_true(one > empty);
	for (i = 2; i <= 1000; i++) {
		snprintf(issue, sizeof issue, "I%d", i);
		similar_window_add(w, issue, "logistics", "E", 1, NULL,
		    LAMP_2);
	}
	assert_true(similar_window_bytes(w) > one);
	similar_window_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_similar_full_width_forms_equal_their_plain_forms),
		cmocka_unit_test(test_similar_punctuation_only_differences_score_one),
		cmocka_unit_test(test_similar_a_digit_run_is_one_token),
		cmocka_unit_test(test_similar_empty_text_has_no_grams_and_is_similar_to_nothing),
		cmocka_unit_test(test_similar_ascii_only_text_is_compared_by_letter_pairs),
		cmocka_unit_test(test_similar_grams_are_sorted_and_unique),
		cmocka_unit_test(test_similar_sample_paraphrases_pass_and_different_problems_fail),
		cmocka_unit_test(test_similar_named_different_problems_stay_apart),
		cmocka_unit_test(test_similar_window_finds_similar_issues_best_first),
		cmocka_unit_test(test_similar_window_groups_updates_and_removals),
		cmocka_unit_test(test_similar_window_keeps_topics_apart),
		cmocka_unit_test(test_similar_window_filters_and_expires_by_period),
		cmocka_unit_test(test_similar_window_evicts_the_oldest_period_first),
		cmocka_unit_test(test_similar_window_full_evicts_a_share_at_once),
		cmocka_unit_test(test_similar_window_eviction_cost_does_not_grow_with_the_window),
		cmocka_unit_test(test_similar_window_ignores_empty_text),
		cmocka_unit_test(test_similar_window_match_finds_what_a_full_scan_finds),
		cmocka_unit_test(test_similar_window_answers_the_samples_as_a_full_scan),
		cmocka_unit_test(test_similar_window_skipping_common_grams_loses_nothing),
		cmocka_unit_test(test_similar_window_band_step_finds_near_duplicates_in_a_huge_topic),
		cmocka_unit_test(test_similar_window_band_index_held_during_a_load_is_built_at_release),
		cmocka_unit_test(test_similar_bands_keep_at_most_key_max_entries_a_key),
		cmocka_unit_test(test_similar_window_bytes_grow_with_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
