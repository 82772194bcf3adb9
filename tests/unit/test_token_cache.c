/*
 * test_token_cache.c -- unit tests for token_cache.c: a remembered token
 * gives back its role and id, a forgotten or pushed-out one nothing, the
 * table never holds more than its slots, and what does not fit is not
 * remembered.
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

#include "liaison.h"

/* The hash of token "t<n>". */
static void
hash_of(int n, char out[TOKEN_HASH_LEN + 1])
{
	char token[32];

	snprintf(token, sizeof token, "t%d", n);
	token_hash(token, out);
}

static void
test_token_cache_gives_back_what_it_remembers(void **state)
{
	struct token_cache *tc = token_cache_new(64);
	char h[TOKEN_HASH_LEN + 1], id[TOKEN_CACHE_ID_MAX] = "untouched";
	int role = -1;

	hash_of(1, h);
	assert_int_equal(token_cache_get(tc, h, &role, id, sizeof id), -1);
	assert_string_equal(id, "untouched");
	assert_int_equal(role, -1);
	token_cache_put(tc, h, 1, "O001");
	assert_int_equal(token_cache_get(tc, h, &role, id, sizeof id), 0);
	assert_int_equal(role, 1);
	assert_string_equal(id, "O001");
	/* A new record for the same token replaces the old one. */
	token_cache_put(tc, h, 2, "hr");
	assert_int_equal(token_cache_get(tc, h, &role, id, sizeof id), 0);
	assert_int_equal(role, 2);
	assert_string_equal(id, "hr");
	token_cache_forget(tc, h);
	assert_int_equal(token_cache_get(tc, h, &role, id, sizeof id), -1);
	token_cache_free(tc);
}

static void
test_token_cache_never_holds_more_than_its_slots(void **state)
{
	struct token_cache *tc = token_cache_new(8);
	char h[TOKEN_HASH_LEN + 1], id[TOKEN_CACHE_ID_MAX], want[16];
	int i, role, kept = 0;

	for (i = 0; i < 1000; i++) {
		hash_of(i, h);
		snprintf(want, sizeof want, "O%d", i);
		token_cache_put(tc, h, 1, want);
	}
	for (i = 0; i < 1000; i++) {
		hash_of(i, h);
		if (token_cache_get(tc, h, &role, id, sizeof id) == 0) {
			snprintf(want, sizeof want, "O%d", i);
			assert_string_equal(id, want);   /* never another's */
			kept++;
		}
	}
	assert_true(kept >= 1 && kept <= 8);
	token_cache_free(tc);
}

static void
test_token_cache_forgetting_another_token_keeps_this_one(void **state)
{
	struct token_cache *tc = token_cache_new(1);  /* all tokens collide */
	char a[TOKEN_HASH_LEN + 1], b[TOKEN_HASH_LEN + 1];
	char id[TOKEN_CACHE_ID_MAX];
	int role;

	hash_of(1, a);
	hash_of(2, b);
	token_cache_put(tc, a, 1, "O001");
	token_cache_forget(tc, b);
	assert_int_equal(token_cache_get(tc, a, &role, id, sizeof id), 0);
	token_cache_put(tc, b, 3, "admin");             /* pushes a out */
	assert_int_equal(token_cache_get(tc, a, &role, id, sizeof id), -1);
	assert_int_equal(token_cache_get(tc, b, &role, id, sizeof id), 0);
	assert_int_equal(role, 3);
	token_cache_free(tc);
}

static void
test_token_cache_refuses_what_does_not_fit(void **state)
{
	struct token_cache *tc = token_cache_new(16);
	char h[TOKEN_HASH_LEN + 1], id[TOKEN_CACHE_ID_MAX], small[3];
	char long_id[TOKEN_CACHE_ID_MAX + 1];
	int role = 0;

	hash_of(1, h);
	memset(long_id, 'x', sizeof long_id - 1);
	long_id[sizeof long_id - 1] = '\0';
	token_cache_put(tc, h, 1, long_id);
	assert_int_equal(token_cache_get(tc, h, &role, id, sizeof id), -1);
	/* An id longer than the caller's buffer is not handed out cut. */
	token_cache_put(tc, h, 1, "O001");
	assert_int_equal(token_cache_get(tc, h, &role, small, sizeof small),
	    -1);
	/* Only whole SHA-256 hashes: anything else is never remembered. */
	token_cache_put(tc, "abc", 1, "O001");
	assert_int_equal(token_cache_get(tc, "abc", &role, id, sizeof id), -1);
	token_cache_forget(tc, "abc");
	assert_int_equal(token_cache_get(tc, h, &role, id, sizeof id), 0);
	token_cache_free(tc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_cache_gives_back_what_it_remembers),
		cmocka_unit_test(
		    test_token_cache_never_holds_more_than_its_slots),
		cmocka_unit_test(
		    test_token_cache_forgetting_another_token_keeps_this_one),
		cmocka_unit_test(test_token_cache_refuses_what_does_not_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
