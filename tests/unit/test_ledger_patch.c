/*
 * test_ledger_patch.c -- a held ledger brought up to date with the rows of
 * the issues changed since (ledger_patch.c) must be the ledger a whole read
 * of the period gives: changed rows replaced, new ones added in order (an
 * older one too), gone ones taken out, the tail (carry-over) replaced, and
 * the figures scored again. Also: a whole read that met an issue twice
 * keeps it once (ledger_sort).
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

#define NOW 10000

/* Add the row {issue, {task}} of issue id, created at, in state. */
static void
row(redisReply *rows, const char *id, const char *created, const char *state)
{
	redisReply *r = reply_array(2), *tasks = reply_array(1);
	char i[32], c[32], s[32], t[32];

	snprintf(i, sizeof i, "id=%s", id);
	snprintf(c, sizeof c, "created=%s", created);
	snprintf(s, sizeof s, "state=%s", state);
	snprintf(t, sizeof t, "id=T%s", id + 1);
	reply_push(tasks, reply_hash(t, "department=hr", s, c, NULL));
	reply_push(r, reply_hash(i, c, s, "category=individual",
	    "period=2026-11-2", NULL));
	reply_push(r, tasks);
	reply_push(rows, r);
}

/* The ledger's JSON, scored at NOW, as text (freed by the caller). */
static char *
text(struct ledger *l, const struct roster *roster)
{
	return fixture_ledger_text(l, roster, NOW);
}

static void
test_patched_equals_a_whole_read(void **state)
{
	struct roster *roster = fixture_roster();
	redisReply *old = reply_array(8), *changes = reply_array(8);
	redisReply *now = reply_array(8);
	char *gone[] = { "I3" };
	struct ledger *l, *ch, *whole;
	char *a, *b;

	(void)state;
	/* what was read: I1 I2 I3, and I9 carried over */
	row(old, "I1", "100", "queued");
	row(old, "I2", "200", "queued");
	row(old, "I3", "300", "queued");
	reply_push(old, reply_string("carried:2026-11-2"));
	row(old, "I9", "50", "claimed");
	/* what changed since: I2 resolved, I4 new, I0 new but older, I3
	 * gone, and I9 no longer carried over */
	reply_push(changes, reply_string("seq:7"));
	row(changes, "I2", "200", "resolved");
	row(changes, "I4", "400", "queued");
	row(changes, "I0", "90", "claimed");
	reply_push(changes, reply_string("gone:I3"));
	reply_push(changes, reply_string("carried:2026-11-2"));
	/* what a whole read gives now */
	row(now, "I0", "90", "claimed");
	row(now, "I1", "100", "queued");
	row(now, "I2", "200", "resolved");
	row(now, "I4", "400", "queued");
	reply_push(now, reply_string("carried:2026-11-2"));

	l = ledger_parse(old);
	a = text(l, roster);        /* scored before: must be scored again */
	free(a);
	ch = ledger_new();
	assert_int_equal(ledger_add_rows(ch, changes), 3);
	ledger_patch(l, ch, gone, 1);
	ledger_free(ch);
	assert_null(l->memo);
	assert_int_equal(l->nissues, 4);
	assert_int_equal(l->ncarried, 0);
	whole = ledger_parse(now);
	a = text(l, roster);
	b = text(whole, roster);
	assert_string_equal(a, b);
	free(a);
	free(b);
	ledger_free(l);
	ledger_free(whole);
	reply_free(old);
	reply_free(changes);
	reply_free(now);
	roster_free(roster);
}

static void
test_a_patch_without_a_tail_keeps_the_tail(void **state)
{
	redisReply *old = reply_array(4), *changes = reply_array(2);
	struct ledger *l, *ch;

	(void)state;
	row(old, "I1", "100", "queued");
	reply_push(old, reply_string("carried:2026-11-2"));
	row(old, "I9", "50", "claimed");
	row(changes, "I1", "100", "claimed");
	l = ledger_parse(old);
	ch = ledger_new();
	ledger_add_rows(ch, changes);
	ledger_patch(l, ch, NULL, 0);
	ledger_free(ch);
	assert_int_equal(l->nissues, 1);
	assert_string_equal(l->issues[0].state, "claimed");
	assert_int_equal(l->ncarried, 1);
	assert_string_equal(l->carried_period, "2026-11-2");
	ledger_free(l);
	reply_free(old);
	reply_free(changes);
}

static void
test_an_issue_met_twice_is_kept_once(void **state)
{
	redisReply *rows = reply_array(3);
	struct ledger *l;

	(void)state;
	row(rows, "I2", "100", "queued");
	row(rows, "I1", "100", "queued");
	row(rows, "I2", "100", "queued");
	l = ledger_parse(rows);
	assert_int_equal(l->nissues, 2);
	assert_string_equal(l->issues[0].id, "I1");
	assert_string_equal(l->issues[1].id, "I2");
	ledger_free(l);
	reply_free(rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patched_equals_a_whole_read),
		cmocka_unit_test(test_a_patch_without_a_tail_keeps_the_tail),
		cmocka_unit_test(test_an_issue_met_twice_is_kept_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
