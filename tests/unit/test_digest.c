/*
 * test_digest.c -- the weekly digest's pure parts: ISO weeks (digest_week.c,
 * week 1 and week 53 at the turn of the year), RFC 2047 subjects and RFC
 * 5322 dates (mail.c), the documents (digest_doc.c) and the department and
 * leaders' digests written from a ledger (digest.c, digest_ledger.c), and
 * the [digest] configuration keys.
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
#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include "liaison.h"
#include "fixtures.h"
#include "replies.h"

/* Asia/Shanghai (UTC+8) local times, in seconds since the epoch. */
#define OFFSET 28800
#define T_2026_11_16 1794758400     /* Monday 2026-11-16 00:00, W47 */
#define T_2026_11_23 1795363200     /* Monday 2026-11-23 00:00, W48 */
#define DAY 86400

static struct roster *roster;

static int
setup(void **state)
{
	(void)state;
	roster = fixture_roster();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	roster_free(roster);
	return 0;
}

/* Days since 1970-01-01 of a date, through timegm. */
static int64_t
day_of(int y, int m, int d)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return (int64_t)timegm(&tm) / DAY;
}

static void
assert_week_of(int y, int m, int d, const char *expected)
{
	struct digest_week w;
	char buf[DIGEST_WEEK_LEN + 1];

	digest_week_of_day(day_of(y, m, d), &w);
	digest_week_format(&w, buf);
	assert_string_equal(buf, expected);
}

static void
test_week_of_day_follows_iso_8601_at_the_turn_of_the_year(void **state)
{
	(void)state;
	assert_week_of(2026, 11, 23, "2026-W48");
	assert_week_of(2026, 11, 29, "2026-W48");      /* Sunday */
	assert_week_of(2026, 11, 30, "2026-W49");
	assert_week_of(2026, 12, 28, "2026-W53");
	assert_week_of(2027, 1, 1, "2026-W53");        /* a Friday */
	assert_week_of(2027, 1, 3, "2026-W53");
	assert_week_of(2027, 1, 4, "2027-W01");
	assert_week_of(2024, 12, 30, "2025-W01");      /* Monday before Jan 1 */
	assert_week_of(2021, 1, 3, "2020-W53");        /* leap year, Wed Jan 1 */
	assert_week_of(1970, 1, 1, "1970-W01");
}

static void
test_week_parse_accepts_only_weeks_that_exist(void **state)
{
	static const char *const bad[] = { "2026-W00", "2025-W53", "2026-W54",
	    "2026-48", "2026-W4", "2026-W048", "2026W48", " 2026-W48",
	    "2026-w48", "1969-W01", "", NULL };
	struct digest_week w;
	int i;

	(void)state;
	assert_int_equal(digest_week_parse("2026-W53", &w), 0);
	assert_int_equal(w.year, 2026);
	assert_int_equal(w.week, 53);
	assert_int_equal(digest_week_parse("2020-W53", &w), 0);
	assert_int_equal(digest_week_parse("2027-W01", &w), 0);
	assert_int_equal(digest_week_count(2026), 53);
	assert_int_equal(digest_week_count(2025), 52);
	assert_int_equal(digest_week_count(2027), 52);
	for (i = 0; bad[i] != NULL; i++)
		assert_int_equal(digest_week_parse(bad[i], &w), -1);
}

static void
test_week_bounds_are_local_mondays_at_midnight(void **state)
{
	struct digest_week w = { 2026, 48 };
	int64_t from, to;

	(void)state;
	digest_week_bounds(&w, OFFSET, &from, &to);
	assert_int_equal(from, (int64_t)T_2026_11_23 * 1000);
	assert_int_equal(to - from, (int64_t)7 * DAY * 1000);
	w.week = 1;
	w.year = 2027;
	digest_week_bounds(&w, OFFSET, &from, &to);
	/* 2027-W01 starts on Monday 2027-01-04. */
	assert_int_equal(from, (day_of(2027, 1, 4) * DAY - OFFSET) * 1000);
}

static void
test_week_last_is_the_week_before_and_its_moment(void **state)
{
	struct digest_week w;
	time_t moment, t;

	(void)state;
	/* Saturday 2026-11-28 07:13 local: the last week ended is W47, due on
	 * Monday 2026-11-23 08:30. */
	t = T_2026_11_23 + 5 * DAY + 7 * 3600 + 13 * 60;
	moment = digest_week_last(t, OFFSET, 1, 8 * 60 + 30, &w);
	assert_int_equal(w.year, 2026);
	assert_int_equal(w.week, 47);
	assert_int_equal(moment, T_2026_11_23 + 8 * 3600 + 30 * 60);
	/* Monday 08:00: W47 still, not yet due. */
	t = T_2026_11_23 + 8 * 3600;
	moment = digest_week_last(t, OFFSET, 1, 8 * 60 + 30, &w);
	assert_int_equal(w.week, 47);
	assert_true(t < moment);
	/* Sunday 23:59 local is in W48; its last ended week is W47, due on
	 * Sunday 00:00 with weekday 7, minute 0. */
	t = T_2026_11_23 + 7 * DAY - 60;
	moment = digest_week_last(t, OFFSET, 7, 0, &w);
	assert_int_equal(w.week, 47);
	assert_int_equal(moment, T_2026_11_23 + 6 * DAY);
	/* 16:30 UTC on Sunday is already Monday in Shanghai. */
	t = T_2026_11_23 + 7 * DAY + 3600;
	digest_week_last(t, OFFSET, 1, 0, &w);
	assert_int_equal(w.week, 48);
	/* The first days of 2027 end 2026-W53. */
	t = (time_t)(day_of(2027, 1, 5) * DAY - OFFSET);
	digest_week_last(t, OFFSET, 1, 0, &w);
	assert_int_equal(w.year, 2026);
	assert_int_equal(w.week, 53);
}

/* Decode one "=?UTF-8?B?...?=" word into out; returns its length. */
static int
decode_word(const char *word, size_t len, unsigned char *out)
{
	int n;

	assert_true(len >= 12);
	assert_memory_equal(word, "=?UTF-8?B?", 10);
	assert_memory_equal(word + len - 2, "?=", 2);
	n = EVP_DecodeBlock(out, (const unsigned char *)word + 10,
	    (int)len - 12);
	assert_true(n >= 0);
	while (len > 12 && word[len - 3] == '=') {   /* padding */
		n--;
		len--;
	}
	return n;
}

static void
test_encode_header_splits_on_characters_into_short_words(void **state)
{
	const char *subject =
	    "【问题清单周报】人力资源和社会保障局 2026年第48周，以及很长的说明文字";
	char *enc, *p, *end, joined[512] = "";
	unsigned char dec[256];
	size_t len;
	int n, words = 0;

	(void)state;
	enc = mail_encode_header(subject);
	for (p = enc; *p != '\0'; p = end) {
		end = strstr(p, "\r\n ");
		len = end ? (size_t)(end - p) : strlen(p);
		assert_true(len <= 75);
		n = decode_word(p, len, dec);
		assert_true(utf8_valid((const char *)dec, (size_t)n));
		strncat(joined, (const char *)dec, (size_t)n);
		words++;
		end = end ? end + 3 : p + len;
	}
	assert_string_equal(joined, subject);
	assert_true(words >= 3);
	free(enc);

	enc = mail_encode_header("Weekly digest 2026-W48");
	assert_string_equal(enc, "Weekly digest 2026-W48");
	free(enc);
	enc = mail_encode_header("a=?b?=");   /* looks encoded: encode it */
	assert_memory_equal(enc, "=?UTF-8?B?", 10);
	free(enc);
}

static void
test_mail_date_is_rfc_5322_in_the_zone(void **state)
{
	char buf[MAIL_DATE_SIZE];

	(void)state;
	mail_date(T_2026_11_23 + 8 * 3600 + 30 * 60, OFFSET, buf);
	assert_string_equal(buf, "Mon, 23 Nov 2026 08:30:00 +0800");
	mail_date(0, -5 * 3600 - 1800, buf);
	assert_string_equal(buf, "Wed, 31 Dec 1969 18:30:00 -0530");
}

static void
test_doc_escapes_user_text_in_html_only(void **state)
{
	static const char *const head[] = { "a", "b" };
	const char *cells[] = { "<b>&\"'", "x" };
	struct digest_doc d;
	char *text, *html;

	(void)state;
	digest_doc_begin(&d, "T<1>");
	digest_doc_table(&d, head, 2, NULL);
	digest_doc_row(&d, cells);
	digest_doc_table_end(&d);
	digest_doc_end(&d, "f&", &text, &html);
	assert_non_null(strstr(text, "<b>&\"' | x\n"));
	assert_non_null(strstr(html, "&lt;b&gt;&amp;&quot;&#39;"));
	assert_non_null(strstr(html, "<title>T&lt;1&gt;</title>"));
	assert_null(strstr(html, "<b>"));
	assert_null(strstr(html, "<style"));
	assert_non_null(strstr(html, "f&amp;"));
	free(text);
	free(html);
}

/* reply_array, reply_string, reply_push, reply_hash, reply_free: replies.c */

static void
row(redisReply *rows, redisReply *issue, redisReply *task)
{
	redisReply *r = reply_array(2), *tasks = reply_array(1);

	reply_push(tasks, task);
	reply_push(r, issue);
	reply_push(r, tasks);
	reply_push(rows, r);
}

#define MS(s) ((int64_t)(s) * 1000)

/*
 * Received in W47 (from Monday 2026-11-16): hr T1 queued past its claim
 * deadline (difficult), hr T2 resolved on Wednesday and rated satisfied,
 * tax T3 claimed. Built on Saturday 2026-11-21 12:00.
 */
static struct ledger *
scenario(void)
{
	redisReply *rows = reply_array(4);
	struct ledger *l;
	char c1[64], d1[64], c2[64], cl2[64], r2[64], res2[64], c3[64];

	snprintf(c1, sizeof c1, "created=%lld", (long long)MS(T_2026_11_16 + DAY));
	snprintf(d1, sizeof d1, "deadline=%lld", (long long)MS(T_2026_11_16 + 2 * DAY));
	snprintf(c2, sizeof c2, "created=%lld", (long long)MS(T_2026_11_16 + 3600));
	snprintf(cl2, sizeof cl2, "claimed_at=%lld", (long long)MS(T_2026_11_16 + 7200));
	snprintf(r2, sizeof r2, "responded_at=%lld", (long long)MS(T_2026_11_16 + 2 * DAY));
	snprintf(res2, sizeof res2, "resolved_at=%lld", (long long)MS(T_2026_11_16 + 2 * DAY + 60));
	snprintf(c3, sizeof c3, "created=%lld", (long long)MS(T_2026_11_16 + 4 * DAY));
	row(rows, reply_hash("id=I1", c1, "category=difficult", "state=queued",
	    "title=普工缺口<30人>", "period=2026-11-1", NULL), reply_hash("id=T1", "department=hr",
	    "state=queued", c1, d1, "overdue=claim", NULL));
	row(rows, reply_hash("id=I2", c2, "category=individual",
	    "state=closed", "satisfaction=satisfied", "title=社保基数", NULL),
	    reply_hash("id=T2", "department=hr", "state=resolved", c2, cl2, r2,
	    res2, "due_claim=9999999999999", "due_respond=9999999999999",
	    "due_resolve=9999999999999", "resolution=已协调办理", NULL));
	row(rows, reply_hash("id=I3", c3, "category=individual",
	    "state=claimed", "title=加计扣除", NULL), reply_hash("id=T3",
	    "department=tax", "state=claimed", c3, "claimed_at=1",
	    "due_claim=9999999999999", NULL));
	l = ledger_parse(rows);
	reply_free(rows);
	assert_non_null(l);
	return l;
}

static void
input(struct digest_input *in, const struct officer **unreported)
{
	memset(in, 0, sizeof *in);
	in->roster = roster;
	in->week.year = 2026;
	in->week.week = 47;
	in->offset_s = OFFSET;
	in->now_ms = MS(T_2026_11_16 + 5 * DAY + 12 * 3600);
	digest_week_bounds(&in->week, OFFSET, &in->from_ms, &in->to_ms);
	in->public_url = "http://127.0.0.1:8080";
	in->received = scenario();
	in->open = scenario();
	in->resolved = scenario();
	ledger_score(in->received, roster, fixture_weights, in->now_ms);
	ledger_score(in->open, roster, fixture_weights, in->now_ms);
	snprintf(in->period, sizeof in->period, "2026-11-2");
	snprintf(in->previous, sizeof in->previous, "2026-11-1");
	in->period_end_ms = MS(T_2026_11_16 + 15 * DAY);   /* December 1st */
	unreported[0] = roster_officer(roster, "O003");
	in->unreported = unreported;
	in->nunreported = 1;
}

/* input's, but for its ledgers: the test puts its own. */
static void
input_without_ledgers(struct digest_input *in, const struct officer **unreported)
{
	input(in, unreported);
	ledger_free(in->received);
	ledger_free(in->open);
	ledger_free(in->resolved);
	in->received = in->open = in->resolved = NULL;
}

static void
test_department_digest_lists_open_items_and_the_weeks_work(void **state)
{
	const struct officer *unreported[1];
	struct digest_input in;
	struct digest_mail m;

	(void)state;
	input(&in, unreported);
	assert_int_equal(digest_department(&in, roster_department(roster, "hr"),
	    &m), 0);
	assert_string_equal(m.name, "dept:hr");
	assert_string_equal(m.subject,
	    "【问题清单周报】人力资源和社会保障局 2026年第47周");
	assert_non_null(strstr(m.text, "本周收到 2 项；目前待认领 1 项、已认领 0 项、"
	    "已回应 0 项，其中超期 1 项；本周办结 1 项。"));
	assert_non_null(strstr(m.text, "T1 | 普工缺口<30人> | 待认领 | 4天 | "
	    "11-18 00:00 | 超期\n"));
	assert_non_null(strstr(m.text, "T2 | 社保基数 | 11-18 00:01 | 已协调办理\n"));
	assert_null(strstr(m.text, "T3"));
	assert_non_null(strstr(m.html, "普工缺口&lt;30人&gt;"));
	assert_non_null(strstr(m.html, "统计周期：2026-W47（11-16 00:00 至 11-22 23:59）"));
	digest_mail_free(&m);

	/* A department with nothing gets no mail. */
	assert_int_equal(digest_department(&in, roster_department(roster,
	    "party"), &m), 1);
	assert_null(m.text);
	ledger_free(in.received);
	ledger_free(in.open);
	ledger_free(in.resolved);
}

static void
test_zone_digest_has_scores_categories_difficult_and_officers(void **state)
{
	const struct officer *unreported[1];
	struct digest_input in;
	struct digest_mail m;
	char line[256];

	(void)state;
	input(&in, unreported);
	digest_zone(&in, &m);
	assert_string_equal(m.name, "zone");
	assert_string_equal(m.subject, "【问题清单周报】安庆经开区 2026年第47周");
	/* hr: 2 received, 1 claimed on time, 1 responded, 1 resolved, 1
	 * overdue; 响应率 1/2, 办结率 1/2 (T1 is past due? no: due counts
	 * resolved or past the resolve deadline), 满意率 1/1. */
	assert_non_null(strstr(m.text, "人力资源和社会保障局 | 2 | 1 | 1 | 1 | 1 | "));
	/* the score and rank follow the rates; the zone has no rank */
	assert_non_null(strstr(m.text, "| 100.0% | 100.0 | 1\n"));
	assert_non_null(strstr(m.text, "合计 | 3 | 2 | 1 | 1 | 1 | 100.0% | "
	    "100.0% | 100.0% | 100.0 | —\n"));
	assert_non_null(strstr(m.text, "得分 = 30 × 响应率 + 35 × 办结率 + "
	    "35 × 满意率"));
	/* the bars: HTML only, a coloured cell as wide as the rate */
	assert_non_null(strstr(m.html, "<td width=\"100%\" style=\""
	    "background:#c8102e;"));
	/* 往期未销号: I1 of the previous half-month, open for 2 of them */
	assert_non_null(strstr(m.text, "== 往期未销号 ==\n共 1 项：\n"
	    "问题 | 标题 | 期次 | 部门 | 状态 | 跨半月数\n"
	    "I1 | 普工缺口<30人> | 2026-11-1 | 人力资源和社会保障局 | 待认领 | 2\n"));
	assert_non_null(strstr(m.text, "个性 | 2\n"));
	assert_non_null(strstr(m.text, "共性 | 0\n"));
	assert_non_null(strstr(m.text, "疑难 | 1\n"));
	assert_non_null(strstr(m.text, "I1 | 普工缺口<30人> | 人力资源和社会保障局 | "
	    "待认领 | 4天\n"));
	snprintf(line, sizeof line, "%s | ", roster_officer(roster, "O003")->name);
	assert_null(strstr(m.text, line));
	/* day 6 of 15: the current period's officers are not named yet */
	assert_null(strstr(m.text, "本期（2026-11-2）"));
	assert_non_null(strstr(m.text, "上期（2026-11-1）未报送的指导员 ==\n无。"));
	assert_non_null(strstr(m.text, "推送失败（webhook 投递已放弃） ==\n无。"));
	assert_non_null(strstr(m.html, "<table"));
	digest_mail_free(&m);
	/* in its last days they are, after the previous period's misses */
	in.now_ms = in.period_end_ms - 2 * MS(DAY);
	digest_zone(&in, &m);
	assert_non_null(strstr(m.text, "本期（2026-11-2）即将截止，尚未报送的指导员 ==\n"
	    "共 1 人："));
	assert_non_null(strstr(m.text, line));
	assert_true(strstr(m.text, "上期（2026-11-1）") < strstr(m.text,
	    "本期（2026-11-2）"));
	digest_mail_free(&m);
	ledger_free(in.received);
	ledger_free(in.open);
	ledger_free(in.resolved);
}

/* Two issues of group G1 share hr's task T5: listed once, with both. */
static void
test_common_group_is_one_item_and_a_new_group(void **state)
{
	const struct officer *unreported[1];
	redisReply *rows = reply_array(2);
	struct digest_input in;
	struct digest_mail m;
	char c[64];

	(void)state;
	input_without_ledgers(&in, unreported);
	snprintf(c, sizeof c, "created=%lld", (long long)MS(T_2026_11_16 + DAY));
	row(rows, reply_hash("id=I5", c, "category=common", "state=claimed",
	    "group=G1", "title=园区缺少公交线路", NULL), reply_hash("id=T5",
	    "department=hr", "state=claimed", c, "claimed_at=1", NULL));
	row(rows, reply_hash("id=I6", c, "category=common", "state=claimed",
	    "group=G1", "title=公交线路太少", NULL), reply_hash("id=T5",
	    "department=hr", "state=claimed", c, "claimed_at=1", NULL));
	in.received = ledger_parse(rows);
	in.open = ledger_parse(rows);
	reply_free(rows);
	ledger_score(in.received, roster, fixture_weights, in.now_ms);
	ledger_score(in.open, roster, fixture_weights, in.now_ms);
	assert_int_equal(digest_department(&in, roster_department(roster, "hr"),
	    &m), 0);
	assert_non_null(strstr(m.text, "本周收到 1 项；目前待认领 0 项、已认领 1 项"));
	assert_non_null(strstr(m.text, "T5 | 园区缺少公交线路（共性，2项） | 已认领"));
	assert_non_null(strstr(m.text, "G1 | 园区缺少公交线路 | 2\n"));
	digest_mail_free(&m);
	digest_zone(&in, &m);
	assert_non_null(strstr(m.text, "共性 | 2\n"));
	digest_mail_free(&m);
	ledger_free(in.received);
	ledger_free(in.open);
	ledger_free(in.resolved);
}

/*
 * A ledger of n issues made in memory (no Redis reply: 10^5 of them): one
 * hr task each, queued, the later the earlier its deadline; every tenth
 * difficult; issues n-1 and n share task Tn-1 (a common group, G1).
 */
static struct ledger *
many(size_t n, int64_t created)
{
	struct ledger *l = xcalloc(1, sizeof *l);
	struct ledger_issue *is;
	struct ledger_task *t;
	size_t i;

	l->issues = xcalloc(n + 1, sizeof *l->issues);
	l->nissues = n;
	for (i = 0; i < n; i++) {
		is = &l->issues[i];
		xasprintf(&is->id, "I%zu", i + 1);
		is->title = xstrdup("t");
		is->period = xstrdup("2026-11-2");
		is->category = xstrdup(i % 10 == 0 ? "difficult" : "individual");
		is->state = xstrdup("queued");
		is->group = xstrdup(i + 2 >= n ? "G1" : "");
		is->created = created + (int64_t)i;
		is->tasks = xcalloc(1, sizeof *is->tasks);
		is->ntasks = 1;
		t = &is->tasks[0];
		xasprintf(&t->id, "T%zu", i + 2 >= n ? n - 1 : i + 1);
		t->department = xstrdup("hr");
		t->state = xstrdup("queued");
		t->resolution = xstrdup("");
		t->created = is->created;
		t->deadline = created + 30 * (int64_t)DAY * 1000 - (int64_t)i;
	}
	return l;
}

/*
 * 10^5 open tasks and 10^4 difficult issues, in both the open and the
 * week's ledger: each task and each issue listed once, the common group's
 * task once with its two issues, in a CPU time that only n log n allows
 * (a linear search per task took minutes: 5 x 10^9 comparisons, twice).
 */
static void
test_a_province_sized_week_is_listed_once_in_n_log_n(void **state)
{
	enum { N = 100000 };
	const struct officer *unreported[1];
	struct digest_input in;
	struct digest_mail m;
	clock_t t0;
	double cpu;
	char line[128];

	(void)state;
	input_without_ledgers(&in, unreported);
	in.open = many(N, MS(T_2026_11_16));
	in.received = many(N, MS(T_2026_11_16));
	t0 = clock();
	assert_int_equal(digest_department(&in, roster_department(roster, "hr"),
	    &m), 0);
	snprintf(line, sizeof line, "目前待认领 %d 项", N - 1);
	assert_non_null(strstr(m.text, line));
	snprintf(line, sizeof line, "T%d | t（共性，2项） | 待认领", N - 1);
	assert_non_null(strstr(m.text, line));
	assert_non_null(strstr(m.text, "G1 | t | 2\n"));
	digest_mail_free(&m);
	digest_zone(&in, &m);
	snprintf(line, sizeof line, "== 疑难问题 ==\n共 %d 项：", N / 10);
	assert_non_null(strstr(m.text, line));
	digest_mail_free(&m);
	cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
	assert_true(cpu < 5.0);
	ledger_free(in.received);
	ledger_free(in.open);
}

/* 205 open tasks: the 200 with the earliest deadlines, then a note. */
static void
test_long_tables_are_cut_most_urgent_first(void **state)
{
	const struct officer *unreported[1];
	redisReply *rows = reply_array(DIGEST_ROWS_MAX + 6);
	struct digest_input in;
	struct digest_mail m;
	char id[32], tid[32], c[64], dl[64];
	int i;

	(void)state;
	input_without_ledgers(&in, unreported);
	for (i = 0; i < DIGEST_ROWS_MAX + 5; i++) {
		snprintf(id, sizeof id, "id=I%d", 100 + i);
		snprintf(tid, sizeof tid, "id=T%d", 100 + i);
		snprintf(c, sizeof c, "created=%lld", (long long)MS(T_2026_11_16 + i));
		/* later tasks have earlier deadlines */
		snprintf(dl, sizeof dl, "deadline=%lld",
		    (long long)MS(T_2026_11_16 + 10 * DAY - i));
		row(rows, reply_hash(id, c, "category=individual",
		    "state=queued", "title=t", NULL), reply_hash(tid,
		    "department=hr", "state=queued", c, dl, NULL));
	}
	in.received = ledger_parse(rows);
	in.open = ledger_parse(rows);
	reply_free(rows);
	ledger_score(in.received, roster, fixture_weights, in.now_ms);
	ledger_score(in.open, roster, fixture_weights, in.now_ms);
	assert_int_equal(digest_department(&in, roster_department(roster, "hr"),
	    &m), 0);
	assert_non_null(strstr(m.text, "T304 | t | "));  /* earliest deadline */
	assert_null(strstr(m.text, "T100 | t | "));      /* latest: cut */
	assert_non_null(strstr(m.text, "另有 5 项未列出，完整清单见 "
	    "http://127.0.0.1:8080/ledger\n"));
	assert_true(strstr(m.text, "T304 | ") < strstr(m.text, "T303 | "));
	digest_mail_free(&m);
	ledger_free(in.received);
	ledger_free(in.open);
	ledger_free(in.resolved);
}

static void
test_rates_and_ages_read_well(void **state)
{
	char buf[32];

	(void)state;
	ledger_rate_text(-1, buf, sizeof buf);
	assert_string_equal(buf, "—");
	ledger_rate_text(1.0 / 3, buf, sizeof buf);
	assert_string_equal(buf, "33.3%");
	digest_format_age(0, 30 * 60 * 1000, buf, sizeof buf);
	assert_string_equal(buf, "1小时");
	digest_format_age(0, MS(47 * 3600), buf, sizeof buf);
	assert_string_equal(buf, "47小时");
	digest_format_age(0, MS(3 * DAY + 3600), buf, sizeof buf);
	assert_string_equal(buf, "3天");
}

/* Load a config with extra text; NULL and *cause when refused. */
static struct config *
load_config(const char *extra, char **cause)
{
	char path[] = "/tmp/test_digest_XXXXXX";
	struct config *c;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(extra, f);
	fclose(f);
	c = config_load(path, cause);
	unlink(path);
	return c;
}

static void
test_config_digest_keys_and_their_defaults(void **state)
{
	static const char *const bad[] = { "time = 24:00\n", "time = 8:30\n",
	    "time = 08:60\n", "time = +8:30\n", "weekday = funday\n",
	    "weekday = Monday\n", "retry_seconds = 0\n", NULL };
	struct config *c;
	char *cause = NULL, text[128];
	int i;

	(void)state;
	c = load_config("[log]\nlevel = info\n", &cause);
	assert_non_null(c);
	assert_int_equal(c->digest_enabled, 1);
	assert_int_equal(c->digest_weekday, 1);
	assert_int_equal(c->digest_minute, 8 * 60 + 30);
	config_free(c);
	c = load_config("[digest]\nenabled = no\nweekday = sunday\n"
	    "time = 17:45\nretry_seconds = 5\ncheck_seconds = 2\n", &cause);
	assert_non_null(c);
	assert_int_equal(c->digest_enabled, 0);
	assert_int_equal(c->digest_weekday, 7);
	assert_int_equal(c->digest_minute, 17 * 60 + 45);
	assert_int_equal(c->digest_retry_seconds, 5);
	assert_int_equal(c->digest_check_seconds, 2);
	config_free(c);
	for (i = 0; bad[i] != NULL; i++) {
		snprintf(text, sizeof text, "[digest]\n%s", bad[i]);
		cause = NULL;
		c = load_config(text, &cause);
		assert_null(c);
		assert_non_null(strstr(cause, "[digest]"));
		free(cause);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_week_of_day_follows_iso_8601_at_the_turn_of_the_year),
		cmocka_unit_test(test_week_parse_accepts_only_weeks_that_exist),
		cmocka_unit_test(test_week_bounds_are_local_mondays_at_midnight),
		cmocka_unit_test(test_week_last_is_the_week_before_and_its_moment),
		cmocka_unit_test(test_encode_header_splits_on_characters_into_short_words),
		cmocka_unit_test(test_mail_date_is_rfc_5322_in_the_zone),
		cmocka_unit_test(test_doc_escapes_user_text_in_html_only),
		cmocka_unit_test(test_department_digest_lists_open_items_and_the_weeks_work),
		cmocka_unit_test(test_zone_digest_has_scores_categories_difficult_and_officers),
		cmocka_unit_test(test_common_group_is_one_item_and_a_new_group),
		cmocka_unit_test(test_long_tables_are_cut_most_urgent_first),
		cmocka_unit_test(test_a_province_sized_week_is_listed_once_in_n_log_n),
		cmocka_unit_test(test_rates_and_ages_read_well),
		cmocka_unit_test(test_config_digest_keys_and_their_defaults),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
