/*
 * test_token.c -- unit tests for token.c: a token's prefix, length and
 * alphabet, that tokens do not repeat, and that its hash is the SHA-256 of
 * its text.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "liaison.h"

/* Return 1 if every character of s is url-safe base64. */
static int
url_safe(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == strlen(s);
}

static void
test_token_has_prefix_length_and_url_safe_charset(void **state)
{
	char token[TOKEN_LEN + 1];
	int i;

	for (i = 0; i < 200; i++) {
		assert_int_equal(token_generate(token, sizeof token), 0);
		assert_int_equal(strlen(token), TOKEN_LEN);
		assert_memory_equal(token, "lt_", 3);
		assert_true(url_safe(token + 3));
		assert_null(strchr(token, '='));
	}
}

static void
test_token_refuses_a_short_buffer(void **state)
{
	char token[TOKEN_LEN];

	assert_int_equal(token_generate(token, sizeof token), -1);
}

static int
compare_strings(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_tokens_are_unique(void **state)
{
	enum { N = 2000 };
	char (*tokens)[TOKEN_LEN + 1];
	int i;

	tokens = calloc(N, sizeof *tokens);
	assert_non_null(tokens);
	for (i = 0; i < N; i++)
		assert_int_equal(token_generate(tokens[i], TOKEN_LEN + 1), 0);
	qsort(tokens, N, sizeof *tokens, compare_strings);
	for (i = 1; i < N; i++)
		assert_string_not_equal(tokens[i - 1], tokens[i]);
	free(tokens);
}

static void
test_token_hash_is_sha256_of_the_token_text(void **state)
{
	char a[TOKEN_HASH_LEN + 1], b[TOKEN_HASH_LEN + 1];

	token_hash("abc", a);
	util_sha256_hex("abc", 3, b);
	assert_string_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_has_prefix_length_and_url_safe_charset),
		cmocka_unit_test(test_token_refuses_a_short_buffer),
		cmocka_unit_test(test_tokens_are_unique),
		cmocka_unit_test(test_token_hash_is_sha256_of_the_token_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
