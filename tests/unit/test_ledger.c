/*
 * test_ledger.c -- the ledger's scorecards (ledger.c) from replies shaped
 * like ledger.lua's: the definitions of each figure and rate, a common
 * group's shared task counted once, fields missing from older data,
 * departments the roster no longer has, the order of issues, the filter
 * and the JSON that never shows who reported.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "fixtures.h"
#include "replies.h"

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

/* reply_array, reply_string, reply_push, reply_hash, reply_free: replies.c */

/* Add the row {issue, {tasks...}} to rows. */
static void
row(redisReply *rows, redisReply *issue, redisReply *t1, redisReply *t2)
{
	redisReply *r = reply_array(2), *tasks = reply_array(2);

	if (t1 != NULL)
		reply_push(tasks, t1);
	if (t2 != NULL)
		reply_push(tasks, t2);
	reply_push(r, issue);
	reply_push(r, tasks);
	reply_push(rows, r);
}

static const struct ledger_score *
score(const struct ledger *l, const char *dept)
{
	size_t i;

	for (i = 0; i < l->nscores; i++)
		if (strcmp(l->scores[i].department, dept) == 0)
			return &l->scores[i];
	fail_msg("no score for %s", dept);
	return NULL;
}

#define NOW "10000"

/*
 * hr: T1 on time all the way and rated satisfied; T2 claimed late, open
 * past every deadline; T3 returned; T4 shared by the group's two issues
 * (counted once), resolved late after a respond with no responded_at
 * (older data). tax: T5 resolved but rated unsatisfied.
 */
static redisReply *
scenario(void)
{
	redisReply *rows = reply_array(8);

	row(rows, reply_hash("id=I2", "created=200", "category=difficult",
	    "state=claimed", "satisfaction=", "officer=O001", "detail=d",
	    NULL), reply_hash("id=T2", "department=hr", "state=claimed",
	    "created=200", "due_claim=300", "due_respond=400",
	    "due_resolve=500", "claimed_at=350", "deadline=400", NULL), NULL);
	row(rows, reply_hash("id=I1", "created=100", "category=individual",
	    "state=closed", "satisfaction=satisfied", NULL),
	    reply_hash("id=T1", "department=hr", "state=resolved",
	    "created=100", "due_claim=200", "due_respond=300",
	    "due_resolve=400", "claimed_at=110", "responded_at=120",
	    "resolved_at=130", NULL), NULL);
	row(rows, reply_hash("id=I3", "created=300", "category=individual",
	    "state=returned", NULL), reply_hash("id=T3", "department=hr",
	    "state=returned", "created=300", "returned_at=310", NULL), NULL);
	row(rows, reply_hash("id=I4", "created=400", "category=common",
	    "state=resolved", "group=G1", NULL), reply_hash("id=T4",
	    "department=hr", "state=resolved", "created=400",
	    "due_claim=500", "due_respond=600", "due_resolve=700",
	    "claimed_at=450", "resolved_at=9000", NULL), NULL);
	row(rows, reply_hash("id=I10", "created=400", "category=common",
	    "state=resolved", "group=G1", NULL), reply_hash("id=T4",
	    "department=hr", "state=resolved", "created=400",
	    "due_claim=500", "due_respond=600", "due_resolve=700",
	    "claimed_at=450", "resolved_at=9000", NULL), NULL);
	row(rows, reply_hash("id=I5", "created=500", "category=individual",
	    "state=resolved", "satisfaction=unsatisfied", NULL),
	    reply_hash("id=T5", "department=tax", "state=resolved",
	    "created=500", "due_claim=600", "due_respond=700",
	    "due_resolve=800", "claimed_at=510", "responded_at=520",
	    "resolved_at=530", NULL),
	    reply_hash("id=T6", "department=gone", "state=queued",
	    "created=500", NULL));
	return rows;
}

static void
test_scores(void **state)
{
	redisReply *rows = scenario();
	struct ledger *l = ledger_parse(rows);
	const struct ledger_score *hr, *tax, *econ;

	(void)state;
	reply_free(rows);    /* the ledger keeps copies */
	assert_non_null(l);
	assert_int_equal(l->nissues, 6);
	ledger_score(l, roster, fixture_weights, strtoll(NOW, NULL, 10));
	hr = score(l, "hr");
	assert_int_equal(hr->received, 4);
	assert_int_equal(hr->returned, 1);
	assert_int_equal(hr->claimed, 3);
	assert_int_equal(hr->claimed_on_time, 2);      /* T1, T4 */
	assert_int_equal(hr->responded, 2);            /* T1, T4 */
	assert_int_equal(hr->responded_on_time, 1);    /* T4 answered at 9000 */
	assert_int_equal(hr->resolved, 2);
	assert_int_equal(hr->resolved_on_time, 1);
	assert_int_equal(hr->due, 3);                  /* T1, T4, T2 past 500 */
	assert_int_equal(hr->open, 1);
	assert_int_equal(hr->overdue, 1);
	assert_int_equal(hr->rated, 1);
	assert_int_equal(hr->satisfied, 1);
	assert_true(hr->response_rate > 0.333 && hr->response_rate < 0.334);
	assert_true(hr->resolution_rate > 0.666 && hr->resolution_rate < 0.667);
	assert_true(hr->satisfaction_rate == 1.0);
	tax = score(l, "tax");
	assert_int_equal(tax->rated, 1);
	assert_int_equal(tax->satisfied, 0);
	assert_true(tax->satisfaction_rate == 0.0);
	assert_true(tax->response_rate == 1.0);
	econ = score(l, "econ");
	assert_int_equal(econ->received, 0);
	assert_true(econ->response_rate < 0 && econ->resolution_rate < 0 &&
	    econ->satisfaction_rate < 0);
	/* the department the roster dropped counts nowhere */
	assert_int_equal(l->total.received, 5);
	assert_int_equal(l->total.resolved, 3);
	assert_int_equal(l->by_category[CATEGORY_INDIVIDUAL], 3);
	assert_int_equal(l->by_category[CATEGORY_COMMON], 2);
	assert_int_equal(l->by_category[CATEGORY_DIFFICULT], 1);
	/* oldest first; same millisecond by number, I4 before I10 */
	assert_string_equal(l->issues[0].id, "I1");
	assert_string_equal(l->issues[3].id, "I4");
	assert_string_equal(l->issues[4].id, "I10");
	/* the roster file's order: party comes first there */
	assert_string_equal(l->scores[0].department, "party");
	ledger_free(l);
}

/* The weighted sum the score is, a missing rate taken from the zone. */
static double
expected_score(const struct ledger_score *s, const struct ledger_score *zone)
{
	const double mine[] = { s->response_rate, s->resolution_rate,
	    s->satisfaction_rate };
	const double zones[] = { zone->response_rate, zone->resolution_rate,
	    zone->satisfaction_rate };
	double sum = 0;
	int i, weight = 0;

	for (i = 0; i < 3; i++) {
		if (zones[i] < 0)
			continue;
		sum += fixture_weights[i] * (mine[i] >= 0 ? mine[i] : zones[i]);
		weight += fixture_weights[i];
	}
	return sum * 100 / weight;
}

/*
 * The score is the weighted sum of the rates out of 100; a department with
 * nothing to measure gets the zone's rates (so the zone's score); ranks go
 * by score, ties sharing one; a ledger with nothing at all has no score.
 */
static void
test_score_and_rank(void **state)
{
	redisReply *rows = scenario();
	struct ledger *l = ledger_parse(rows);
	const struct ledger_score *hr, *econ;
	const int weights[] = { 100, 0, 0 };
	char text[16];
	cJSON *json, *d;
	size_t i, j;
	unsigned above;

	(void)state;
	reply_free(rows);
	ledger_score(l, roster, fixture_weights, strtoll(NOW, NULL, 10));
	hr = score(l, "hr");
	/* 30 × 1/3 + 35 × 2/3 + 35 × 1 = 68.33 */
	assert_true(hr->score > 68.33 && hr->score < 68.34);
	ledger_score_text(hr->score, text, sizeof text);
	assert_string_equal(text, "68.3");
	econ = score(l, "econ");
	assert_true(econ->score > 0);
	assert_true(econ->score > l->total.score - 1e-9 &&
	    econ->score < l->total.score + 1e-9);
	for (i = 0; i < l->nscores; i++) {
		assert_true(l->scores[i].score >
		    expected_score(&l->scores[i], &l->total) - 1e-9);
		assert_true(l->scores[i].score <
		    expected_score(&l->scores[i], &l->total) + 1e-9);
		above = 0;
		for (j = 0; j < l->nscores; j++)
			if ((long)(l->scores[j].score * 10 + 0.5) >
			    (long)(l->scores[i].score * 10 + 0.5))
				above++;
		assert_int_equal(l->scores[i].rank, above + 1);
	}
	json = ledger_json(l, roster, NULL, 0);
	d = cJSON_GetArrayItem(cJSON_GetObjectItem(json, "departments"), 0);
	assert_non_null(cJSON_GetObjectItem(d, "score"));
	assert_non_null(cJSON_GetObjectItem(d, "rank"));
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "total"),
	    "rank"));
	cJSON_Delete(json);
	/* other weights: the response rate alone */
	ledger_score(l, roster, weights, strtoll(NOW, NULL, 10));
	assert_true(score(l, "hr")->score > 33.33 &&
	    score(l, "hr")->score < 33.34);
	ledger_free(l);

	/* nothing to measure anywhere: no score, no rank, "—" */
	l = ledger_new();
	ledger_score(l, roster, fixture_weights, strtoll(NOW, NULL, 10));
	assert_true(l->scores[0].score < 0);
	assert_int_equal(l->scores[0].rank, 0);
	ledger_score_text(l->scores[0].score, text, sizeof text);
	assert_string_equal(text, "—");
	json = ledger_json(l, roster, NULL, 0);
	d = cJSON_GetArrayItem(cJSON_GetObjectItem(json, "departments"), 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, "score")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, "rank")));
	cJSON_Delete(json);
	ledger_free(l);
}

static void
test_rescore(void **state)
{
	redisReply *rows = scenario();
	struct ledger *l = ledger_parse(rows);

	(void)state;
	reply_free(rows);
	ledger_score(l, roster, fixture_weights, 0);
	ledger_score(l, roster, fixture_weights,
	    strtoll(NOW, NULL, 10));    /* no double count */
	assert_int_equal(score(l, "hr")->received, 4);
	/* at time 0 nothing was overdue yet */
	ledger_score(l, roster, fixture_weights, 0);
	assert_int_equal(score(l, "hr")->overdue, 0);
	assert_int_equal(score(l, "hr")->due, 2);
	ledger_free(l);
}

static void
test_filter_and_json(void **state)
{
	redisReply *rows = scenario();
	struct ledger *l = ledger_parse(rows);
	struct ledger_filter f = { "common", "hr", NULL, 0, 0 };
	cJSON *doc, *issues, *first;
	char *text;

	(void)state;
	reply_free(rows);
	ledger_score(l, roster, fixture_weights, strtoll(NOW, NULL, 10));
	assert_false(ledger_issue_matches(&l->issues[0], &f));
	assert_true(ledger_issue_matches(&l->issues[3], &f));
	assert_true(ledger_issue_matches(&l->issues[0], NULL));
	doc = ledger_json(l, roster, &f, 0);
	issues = cJSON_GetObjectItem(doc, "issues");
	assert_int_equal(cJSON_GetArraySize(issues), 2);
	first = cJSON_GetArrayItem(issues, 0);
	assert_null(cJSON_GetObjectItem(first, "enterprise"));
	text = cJSON_PrintUnformatted(doc);
	assert_null(strstr(text, "O001"));
	assert_null(strstr(text, "\"detail\""));
	free(text);
	cJSON_Delete(doc);
	ledger_free(l);
}

/* A page of the matching issues: no answer grows with the period. */
static void
test_ledger_json_pages_its_issues(void **state)
{
	redisReply *rows = scenario();
	struct ledger *l = ledger_parse(rows);
	struct ledger_filter all = { NULL, NULL, NULL, 0, 0 };
	struct ledger_filter f = { NULL, NULL, NULL, 1, 2 };
	cJSON *doc, *whole, *page;
	size_t n;

	(void)state;
	reply_free(rows);
	ledger_score(l, roster, fixture_weights, strtoll(NOW, NULL, 10));
	n = ledger_count_matching(l, &all);
	assert_true(n >= 4);
	whole = ledger_json(l, roster, &all, 0);
	doc = ledger_json(l, roster, &f, 0);
	page = cJSON_GetObjectItem(doc, "issues");
	assert_int_equal(cJSON_GetArraySize(page), 2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(page, 0),
	    "id")->valuestring, cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(whole, "issues"), 1), "id")->valuestring);
	/* the paging does not change the count, nor the scorecards */
	assert_int_equal(ledger_count_matching(l, &f), n);
	assert_true(cJSON_Compare(cJSON_GetObjectItem(doc, "total"),
	    cJSON_GetObjectItem(whole, "total"), 1));
	cJSON_Delete(doc);
	/* past the end: none */
	f.offset = n;
	doc = ledger_json(l, roster, &f, 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc,
	    "issues")), 0);
	cJSON_Delete(doc);
	cJSON_Delete(whole);
	ledger_free(l);
}

static void
test_bad_replies(void **state)
{
	redisReply *s = reply_string("x"), *rows = reply_array(2);
	struct ledger *l;

	(void)state;
	assert_null(ledger_parse(NULL));
	assert_null(ledger_parse(s));
	reply_push(rows, reply_string("not a row"));
	reply_push(rows, reply_array(0));
	l = ledger_parse(rows);
	assert_non_null(l);
	assert_int_equal(l->nissues, 0);
	ledger_free(l);
	reply_free(rows);
	reply_free(s);
}

/* /ledger's line: the five periods before, and their frozen totals. */
static void
test_past_periods_and_their_totals(void **state)
{
	redisReply *rows = reply_array(3);
	char past[LEDGER_PAST * (PERIOD_LEN + 1) + 1];
	struct ledger *l;

	(void)state;
	ledger_past_periods("2026-02-1", past, sizeof past);
	assert_string_equal(past,
	    "2025-11-2 2025-12-1 2025-12-2 2026-01-1 2026-01-2");
	ledger_past_periods("no", past, sizeof past);
	assert_string_equal(past, "");
	reply_push(rows, reply_string("past:2026-01-1:{\"resolution_rate\":0.75}"));
	reply_push(rows, reply_string("past:2026-01-2:"));
	reply_push(rows, reply_string("past:2026-01-2"));    /* no colon: skipped */
	l = ledger_parse(rows);
	assert_non_null(l);
	assert_int_equal(l->nissues, 0);
	assert_int_equal(l->npast, 2);
	assert_string_equal(l->past[0].period, "2026-01-1");
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(l->past[0].total,
	    "resolution_rate")) == 0.75);
	assert_string_equal(l->past[1].period, "2026-01-2");
	assert_null(l->past[1].total);
	ledger_free(l);
	reply_free(rows);
}

/*
 * The issue's story: hr resolved T1, the officer rated it 不满意, hr
 * returned it, an admin re-routed the issue to social (T7, past = 1 marks
 * T1 as no longer current). hr keeps received, returned and its rating;
 * social starts clean.
 */
static void
test_ratings_and_returns_stay_with_the_department(void **state)
{
	redisReply *rows = reply_array(1);
	struct ledger *l;
	const struct ledger_score *hr, *social;
	cJSON *doc, *is, *depts;

	(void)state;
	row(rows, reply_hash("id=I1", "created=100", "category=individual",
	    "state=queued", "satisfaction=unsatisfied",
	    "ratings={\"hr\":\"unsatisfied\"}", NULL),
	    reply_hash("id=T7", "department=social", "state=queued",
	    "created=5000", "due_claim=20000", "due_respond=30000",
	    "due_resolve=40000", NULL),
	    reply_hash("id=T1", "department=hr", "state=returned",
	    "created=100", "due_claim=200", "due_respond=300",
	    "due_resolve=400", "returned_at=4000", "past=1", NULL));
	l = ledger_parse(rows);
	reply_free(rows);
	ledger_score(l, roster, fixture_weights, strtoll(NOW, NULL, 10));
	hr = score(l, "hr");
	assert_int_equal(hr->received, 1);
	assert_int_equal(hr->returned, 1);
	assert_int_equal(hr->rated, 1);
	assert_int_equal(hr->satisfied, 0);
	assert_true(hr->satisfaction_rate == 0.0);
	social = score(l, "social");
	assert_int_equal(social->received, 1);
	assert_int_equal(social->rated, 0);
	assert_true(social->satisfaction_rate < 0);
	/* received at 5000, respond due at 30000: not yet counted */
	assert_int_equal(social->response_due, 0);
	assert_true(social->response_rate < 0);
	doc = ledger_json(l, roster, NULL, 0);
	is = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "issues"), 0);
	depts = cJSON_GetObjectItem(is, "departments");
	assert_int_equal(cJSON_GetArraySize(depts), 1);
	assert_string_equal(cJSON_GetArrayItem(depts, 0)->valuestring,
	    "social");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(is, "tasks")),
	    2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(is,
	    "ratings"), "hr")->valuestring, "unsatisfied");
	cJSON_Delete(doc);
	ledger_free(l);
}

/*
 * 响应率 counts only what was due: a task received a moment ago and not
 * yet answered is not in the denominator; one past its respond deadline,
 * or answered, is.
 */
static void
test_response_rate_counts_only_what_was_due(void **state)
{
	redisReply *rows = reply_array(3);
	struct ledger *l;
	const struct ledger_score *hr;

	(void)state;
	row(rows, reply_hash("id=I1", "created=9000", NULL),
	    reply_hash("id=T1", "department=hr", "state=queued",
	    "created=9000", "due_claim=19000", "due_respond=29000",
	    "due_resolve=39000", NULL), NULL);
	l = ledger_parse(rows);
	ledger_score(l, roster, fixture_weights, strtoll(NOW, NULL, 10));
	hr = score(l, "hr");
	assert_int_equal(hr->received, 1);
	assert_int_equal(hr->response_due, 0);
	assert_true(hr->response_rate < 0);
	/* once its respond deadline passes unanswered, it counts against */
	ledger_score(l, roster, fixture_weights, 29000);
	hr = score(l, "hr");
	assert_int_equal(hr->response_due, 1);
	assert_true(hr->response_rate == 0.0);
	ledger_free(l);
	reply_free(rows);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(ledger_state_zh("queued"), "待认领");
	assert_string_equal(ledger_state_zh("closed"), "已销号");
}

/*
 * Carry-over (issue 16): rows after 'carried:P' are earlier periods' open
 * issues, kept apart, never scored, shown with periods_open; an extended
 * task and a recurrence show on the ledger.
 */
static void
test_carried_over_and_governance_fields(void **state)
{
	redisReply *rows = reply_array(4);
	struct ledger *l;
	const struct ledger_score *hr;
	cJSON *json, *list, *it;

	(void)state;
	row(rows, reply_hash("id=I1", "created=100", "category=difficult",
	    "state=queued", "period=2026-11-2", "recurrence_of=I0", NULL),
	    reply_hash("id=T1", "department=hr", "state=queued",
	    "created=100", "extended=1", NULL), NULL);
	reply_push(rows, reply_string("carried:2026-11-2"));
	row(rows, reply_hash("id=I9", "created=50", "category=individual",
	    "state=claimed", "period=2026-10-2", NULL), reply_hash("id=T9",
	    "department=hr", "state=claimed", "created=50", NULL), NULL);
	l = ledger_parse(rows);
	reply_free(rows);
	assert_non_null(l);
	assert_int_equal(l->nissues, 1);
	assert_int_equal(l->ncarried, 1);
	assert_string_equal(l->carried_period, "2026-11-2");
	ledger_score(l, roster, fixture_weights, strtoll(NOW, NULL, 10));
	hr = score(l, "hr");
	assert_int_equal(hr->received, 1);        /* T9 is not scored */
	assert_int_equal(hr->extended, 1);
	json = ledger_json(l, roster, NULL, 0);
	list = cJSON_GetObjectItem(json, "carried_over");
	assert_int_equal(cJSON_GetArraySize(list), 1);
	it = cJSON_GetArrayItem(list, 0);
	assert_string_equal(cJSON_GetObjectItem(it, "id")->valuestring, "I9");
	assert_int_equal(cJSON_GetObjectItem(it, "periods_open")->valueint, 3);
	it = cJSON_GetArrayItem(cJSON_GetObjectItem(json, "issues"), 0);
	assert_string_equal(cJSON_GetObjectItem(it, "recurrence_of")->valuestring,
	    "I0");
	assert_null(cJSON_GetObjectItem(it, "periods_open"));
	cJSON_Delete(json);
	ledger_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scores),
		cmocka_unit_test(test_rescore),
		cmocka_unit_test(test_filter_and_json),
		cmocka_unit_test(test_ledger_json_pages_its_issues),
		cmocka_unit_test(test_bad_replies),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_carried_over_and_governance_fields),
		cmocka_unit_test(test_ratings_and_returns_stay_with_the_department),
		cmocka_unit_test(test_response_rate_counts_only_what_was_due),
		cmocka_unit_test(test_score_and_rank),
		cmocka_unit_test(test_past_periods_and_their_totals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
