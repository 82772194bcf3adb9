/*
 * test_ledger_tally.c -- a held ledger's counts kept up to date change by
 * change (ledger_tally.c, through ledger_patch and ledger_score) must be
 * the counts a scoring from scratch of a whole read gives: over random
 * sequences of changes (tasks claimed, responded, resolved, returned,
 * re-routed, their deadlines moved; tasks shared by a group; ratings;
 * categories; issues added, older ones too, and gone; departments the
 * roster does not have) and of times (moments passed, several at once,
 * time standing still), the JSON of every scorecard, the total, the counts
 * by category and the rows must be the same, byte for byte; and every
 * filter's pages (ledger_index.c's indexes, patched) the issues a walk of
 * the whole read finds.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "fixtures.h"
#include "replies.h"

#define MAX_TASKS 80
#define MAX_ISSUES 400          /* past 64: the indexes span several words */
#define MAX_CARRY 3              /* tasks an issue carries */
#define SPAN 3000                /* the times drawn, ms */

struct task_spec {
	char dept[16], state[16];
	long long t[9];          /* created, deadline, due_*, *_at */
	int extended, past;
};
struct issue_spec {
	int present;
	long long created;
	char category[16], state[16], satisfaction[16], ratings[64];
	int tasks[MAX_CARRY], ntasks;
};
struct model {
	struct task_spec task[MAX_TASKS];
	struct issue_spec issue[MAX_ISSUES];
	int nissues;
	int changed[MAX_ISSUES];
};

static const char *const depts[] = { "hr", "tax", "env", "gone" };
static const char *const states[] = { "queued", "claimed", "responded",
    "resolved", "returned", "closed" };
static const char *const sats[] = { "", "satisfied", "basic",
    "unsatisfied" };
static const char *const times[] = { "created", "deadline", "due_claim",
    "due_respond", "due_resolve", "claimed_at", "responded_at",
    "resolved_at", "returned_at" };

static int
pick(int n)
{
	return rand() % n;
}

/* A time: 0 (none) now and then, else in [0, SPAN). */
static long long
when(void)
{
	return pick(6) == 0 ? 0 : pick(SPAN);
}

static void
task_draw(struct task_spec *t)
{
	int i;

	snprintf(t->dept, sizeof t->dept, "%s", depts[pick(4)]);
	snprintf(t->state, sizeof t->state, "%s", states[pick(6)]);
	for (i = 0; i < 9; i++)
		t->t[i] = when();
	t->extended = pick(4) == 0;
	t->past = pick(6) == 0;
}

static void
issue_draw(struct issue_spec *is, long long created)
{
	int i;

	is->present = 1;
	is->created = created;
	snprintf(is->category, sizeof is->category, "%s",
	    issue_categories[pick(3)]);
	snprintf(is->state, sizeof is->state, "%s", states[pick(6)]);
	snprintf(is->satisfaction, sizeof is->satisfaction, "%s",
	    sats[pick(4)]);
	if (pick(2))
		snprintf(is->ratings, sizeof is->ratings,
		    "{\"%s\":\"%s\",\"%s\":\"%s\"}", depts[pick(4)],
		    sats[1 + pick(3)], depts[pick(4)], sats[1 + pick(3)]);
	else
		is->ratings[0] = '\0';
	is->ntasks = pick(MAX_CARRY + 1);
	/* a small pool: tasks are often shared (a common group) */
	for (i = 0; i < is->ntasks; i++)
		is->tasks[i] = pick(MAX_TASKS);
}

/* The row {issue, {task, ...}} of issue i, as ledger.lua gives it. */
static void
row(redisReply *rows, const struct model *m, int i)
{
	const struct issue_spec *is = &m->issue[i];
	redisReply *r = reply_array(2), *tasks = reply_array(MAX_CARRY);
	char f[16][64];
	const struct task_spec *t;
	int j, k;

	for (j = 0; j < is->ntasks; j++) {
		t = &m->task[is->tasks[j]];
		snprintf(f[0], sizeof f[0], "id=T%d", is->tasks[j]);
		snprintf(f[1], sizeof f[1], "department=%s", t->dept);
		snprintf(f[2], sizeof f[2], "state=%s", t->state);
		for (k = 0; k < 9; k++)
			snprintf(f[3 + k], sizeof f[3 + k], "%s=%lld",
			    times[k], t->t[k]);
		snprintf(f[12], sizeof f[12], "extended=%d", t->extended);
		snprintf(f[13], sizeof f[13], "%s", t->past ? "past=1" :
		    "claimant=x");
		reply_push(tasks, reply_hash(f[0], f[1], f[2], f[3], f[4],
		    f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13],
		    NULL));
	}
	snprintf(f[0], sizeof f[0], "id=I%d", i);
	snprintf(f[1], sizeof f[1], "created=%lld", is->created);
	snprintf(f[2], sizeof f[2], "category=%s", is->category);
	snprintf(f[3], sizeof f[3], "state=%s", is->state);
	snprintf(f[4], sizeof f[4], "satisfaction=%s", is->satisfaction);
	snprintf(f[5], sizeof f[5], "ratings=%s", is->ratings);
	reply_push(r, reply_hash(f[0], f[1], f[2], f[3], f[4], f[5],
	    "period=2026-11-2", NULL));
	reply_push(r, tasks);
	reply_push(rows, r);
}

/* The rows of every issue there is (or only the changed ones). */
static redisReply *
rows_of(const struct model *m, int changed_only)
{
	redisReply *rows = reply_array(MAX_ISSUES + 2);
	int i;

	for (i = 0; i < m->nissues; i++)
		if (m->issue[i].present && (!changed_only || m->changed[i]))
			row(rows, m, i);
	reply_push(rows, reply_string("carried:2026-11-2"));
	return rows;
}

/* Mark every present issue carrying task t as changed (ledger_flush). */
static void
task_changed(struct model *m, int t)
{
	int i, j;

	for (i = 0; i < m->nissues; i++)
		for (j = 0; j < m->issue[i].ntasks; j++)
			if (m->issue[i].present && m->issue[i].tasks[j] == t)
				m->changed[i] = 1;
}

/* One random change to the model; the id of an issue gone into gone. */
static void
change(struct model *m, char **gone, size_t *ngone)
{
	struct task_spec *t;
	int i = pick(m->nissues), k;

	switch (pick(7)) {
	case 0:     /* a task moves on: a state and its times */
	case 1:
		t = &m->task[k = pick(MAX_TASKS)];
		snprintf(t->state, sizeof t->state, "%s", states[pick(6)]);
		t->t[pick(9)] = when();
		t->t[pick(9)] = when();
		task_changed(m, k);
		break;
	case 2:     /* re-routed, returned before, or extended */
		t = &m->task[k = pick(MAX_TASKS)];
		task_draw(t);
		task_changed(m, k);
		break;
	case 3:     /* an issue rated, re-categorised, given other tasks */
		if (m->issue[i].present) {
			issue_draw(&m->issue[i], m->issue[i].created);
			m->changed[i] = 1;
		}
		break;
	case 4:     /* a new issue, now and then an older one */
	case 5:
		if (m->nissues < MAX_ISSUES) {
			i = m->nissues++;
			issue_draw(&m->issue[i], pick(4) == 0 ? pick(SPAN) :
			    SPAN + i);
			m->changed[i] = 1;
		}
		break;
	default:    /* an issue gone */
		if (m->issue[i].present) {
			m->issue[i].present = 0;
			m->changed[i] = 0;
			xasprintf(&gone[(*ngone)++], "I%d", i);
		}
		break;
	}
}

/*
 * Every filter's pages of held (its indexes kept up to date by the patches,
 * ledger_index.c) against a walk of whole: the count, and the issue at
 * every rank.
 */
static void
pages_equal(struct ledger *held, struct ledger *whole, unsigned seed, int step)
{
	static const char *const cats[] = { NULL, "individual", "common",
	    "difficult" };
	static const char *const fdepts[] = { NULL, "hr", "tax", "env",
	    "gone" };
	static const char *const fstates[] = { NULL, "queued", "claimed",
	    "responded", "resolved", "returned", "closed" };
	struct ledger_filter f;
	size_t c, d, t, i, k, pos;

	for (c = 0; c < 4; c++)
		for (d = 0; d < 5; d++)
			for (t = 0; t < 7; t++) {
				memset(&f, 0, sizeof f);
				f.category = cats[c];
				f.department = fdepts[d];
				f.state = fstates[t];
				for (i = 0, k = 0; i < whole->nissues; i++) {
					if (!ledger_issue_matches(
					    &whole->issues[i], &f))
						continue;
					pos = ledger_index_nth(held, &f, k++);
					if (pos == SIZE_MAX || strcmp(
					    held->issues[pos].id,
					    whole->issues[i].id) != 0)
						fail_msg("seed %u step %d: filter "
						    "%zu/%zu/%zu rank %zu", seed,
						    step, c, d, t, k - 1);
				}
				assert_int_equal(ledger_count_matching(held,
				    &f), k);
				assert_true(ledger_index_nth(held, &f, k) ==
				    SIZE_MAX);
			}
}

/*
 * Patch held with the first half of ch's rows as one part of a catch-up
 * (ledger_cache.c patches a reply at a time); the caller patches the rest.
 */
static void
patch_in_parts(struct ledger *held, struct ledger *ch)
{
	struct ledger *a = ledger_new();
	size_t half = ch->nissues / 2;

	a->issues = xreallocarray(a->issues, half + 1, sizeof *a->issues);
	memcpy(a->issues, ch->issues, half * sizeof *a->issues);
	memset(&a->issues[half], 0, sizeof *a->issues);
	a->nissues = half;
	a->room = half + 1;
	memmove(ch->issues, ch->issues + half, (ch->nissues - half) *
	    sizeof *ch->issues);
	ch->nissues -= half;
	memset(&ch->issues[ch->nissues], 0, sizeof *ch->issues);
	ledger_patch(held, a, NULL, 0);
	ledger_free(a);
}

/* One random run: seed's changes and times, held against a whole read. */
static void
run(unsigned seed, const struct roster *roster)
{
	struct model *m = xcalloc(1, sizeof *m);
	struct ledger *held, *ch, *whole;
	redisReply *rows;
	char *gone[64], *a, *b;
	size_t ngone, i;
	int64_t now = pick(SPAN / 4);
	int step, n, j;

	srand(seed);
	for (j = 0; j < MAX_TASKS; j++)
		task_draw(&m->task[j]);
	m->nissues = 70 + pick(200);
	for (j = 0; j < m->nissues; j++)
		issue_draw(&m->issue[j], pick(SPAN));
	rows = rows_of(m, 0);
	held = ledger_parse(rows);
	reply_free(rows);
	free(fixture_ledger_text(held, roster, now));
	pages_equal(held, held, seed, -1);      /* every filter's index */
	for (step = 0; step < 60; step++) {
		memset(m->changed, 0, sizeof m->changed);
		ngone = 0;
		for (n = 1 + pick(5); n > 0; n--)
			change(m, gone, &ngone);
		rows = rows_of(m, 1);
		ch = ledger_new();
		ledger_add_rows(ch, rows);
		reply_free(rows);
		if (pick(2))    /* in two parts, as a catch-up's replies */
			patch_in_parts(held, ch);
		ledger_patch(held, ch, gone, ngone);
		ledger_free(ch);
		for (i = 0; i < ngone; i++)
			free(gone[i]);
		/* time stands still, creeps, or jumps past many moments */
		now += pick(3) == 0 ? 0 : pick(3) == 0 ? pick(SPAN / 2) :
		    pick(40);
		if (pick(4) == 0)   /* scored again, later, with no change */
			free(fixture_ledger_text(held, roster, now - pick(2)));
		rows = rows_of(m, 0);
		whole = ledger_parse(rows);
		reply_free(rows);
		a = fixture_ledger_text(held, roster, now);
		b = fixture_ledger_text(whole, roster, now);
		if (strcmp(a, b) != 0)
			fail_msg("seed %u step %d at %lld:\nheld  %s\nwhole %s",
			    seed, step, (long long)now, a, b);
		free(a);
		free(b);
		pages_equal(held, whole, seed, step);
		ledger_free(whole);
	}
	ledger_free(held);
	free(m);
}

static void
test_kept_counts_equal_a_scoring_from_scratch(void **state)
{
	struct roster *roster = fixture_roster();
	unsigned seed;

	(void)state;
	for (seed = 1; seed <= 50; seed++)
		run(seed, roster);
	roster_free(roster);
}

/* Time going back (a test hook's clock) counts afresh, not backwards. */
static void
test_time_going_back_counts_afresh(void **state)
{
	struct roster *roster = fixture_roster();
	struct model *m = xcalloc(1, sizeof *m);
	struct ledger *a, *b;
	redisReply *rows;
	char *x, *y;
	int j;

	(void)state;
	srand(7);
	for (j = 0; j < MAX_TASKS; j++)
		task_draw(&m->task[j]);
	m->nissues = 30;
	for (j = 0; j < m->nissues; j++)
		issue_draw(&m->issue[j], pick(SPAN));
	rows = rows_of(m, 0);
	a = ledger_parse(rows);
	b = ledger_parse(rows);
	free(fixture_ledger_text(a, roster, SPAN));
	x = fixture_ledger_text(a, roster, 10);
	y = fixture_ledger_text(b, roster, 10);
	assert_string_equal(x, y);
	free(x);
	free(y);
	ledger_free(a);
	ledger_free(b);
	reply_free(rows);
	free(m);
	roster_free(roster);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept_counts_equal_a_scoring_from_scratch),
		cmocka_unit_test(test_time_going_back_counts_afresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
