/*
 * test_util.c -- unit tests for util.c: UTF-8 checks, tokens, SHA-256 and
 * ISO 8601 timestamps.
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

/* Return utf8_valid of a NUL-terminated string, NUL excluded. */
static int
valid(const char *s)
{
	return utf8_valid(s, strlen(s));
}

static void
test_utf8_accepts_ascii_chinese_and_four_byte_forms(void **state)
{
	assert_true(valid(""));
	assert_true(valid("hello"));
	assert_true(valid("安庆经开区"));
	assert_true(valid("\xf0\x9f\x98\x80"));            /* U+1F600 */
	assert_true(valid("\xf4\x8f\xbf\xbf"));            /* U+10FFFF */
	assert_true(valid("\xed\x9f\xbf"));                /* U+D7FF */
	assert_true(valid("\xee\x80\x80"));                /* U+E000 */
	assert_true(valid("\xc2\x80"));                    /* U+0080 */
}

static void
test_utf8_refuses_overlong_forms(void **state)
{
	assert_false(valid("\xc0\xaf"));                   /* '/' in 2 bytes */
	assert_false(valid("\xc1\xbf"));
	assert_false(valid("\xe0\x80\xaf"));               /* 3 bytes */
	assert_false(valid("\xe0\x9f\xbf"));               /* U+07FF in 3 */
	assert_false(valid("\xf0\x80\x80\xaf"));           /* 4 bytes */
	assert_false(valid("\xf0\x8f\xbf\xbf"));           /* U+FFFF in 4 */
}

static void
test_utf8_refuses_surrogates_and_beyond_u10ffff(void **state)
{
	assert_false(valid("\xed\xa0\x80"));               /* U+D800 */
	assert_false(valid("\xed\xbf\xbf"));               /* U+DFFF */
	assert_false(valid("\xf4\x90\x80\x80"));           /* U+110000 */
	assert_false(valid("\xf5\x80\x80\x80"));
	assert_false(valid("\xf8\x88\x80\x80\x80"));       /* 5 bytes */
}

static void
test_utf8_refuses_truncated_and_stray_bytes(void **state)
{
	assert_false(valid("\xe5\xae"));                   /* cut short */
	assert_false(valid("a\x80"));                      /* lone continuation */
	assert_false(valid("\xe5\x41\x86"));               /* bad continuation */
	assert_false(valid("\xff"));
	assert_false(valid("\xfe"));
	/* A sequence running past len is cut even if bytes follow. */
	assert_false(utf8_valid("\xe5\xae\x89", 2));
}

static void
test_utf8_refuses_embedded_nul(void **state)
{
	assert_false(utf8_valid("ab\0cd", 5));
	assert_true(utf8_valid("ab\0cd", 2));
}

static void
test_utf8_length_counts_code_points(void **state)
{
	assert_int_equal(utf8_length(""), 0);
	assert_int_equal(utf8_length("abc"), 3);
	assert_int_equal(utf8_length("安庆"), 2);
	assert_int_equal(utf8_length("a安\xf0\x9f\x98\x80"), 3);
}

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
test_sha256_of_abc_is_the_known_vector(void **state)
{
	char hex[TOKEN_HASH_LEN + 1];

	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}

static void
test_token_hash_is_sha256_of_the_token_text(void **state)
{
	char a[TOKEN_HASH_LEN + 1], b[TOKEN_HASH_LEN + 1];

	token_hash("abc", a);
	sha256_hex("abc", 3, b);
	assert_string_equal(a, b);
}

static void
test_now_ms_is_close_to_time(void **state)
{
	int64_t ms = now_ms();
	int64_t s = (int64_t)time(NULL);

	assert_true(ms / 1000 >= s - 1 && ms / 1000 <= s + 1);
}

static void
test_iso8601_writes_local_time_with_millis_and_offset(void **state)
{
	char buf[32];

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	time_iso8601(1795782600123LL, buf);
	assert_string_equal(buf, "2026-11-27T20:30:00.123+08:00");
	time_iso8601(1795782600000LL, buf);
	assert_string_equal(buf, "2026-11-27T20:30:00.000+08:00");

	setenv("TZ", "UTC", 1);
	tzset();
	time_iso8601(1795782600999LL, buf);
	assert_string_equal(buf, "2026-11-27T12:30:00.999+00:00");

	setenv("TZ", "America/St_Johns", 1);	/* -03:30 in winter */
	tzset();
	time_iso8601(1795782600000LL, buf);
	assert_string_equal(buf, "2026-11-27T09:00:00.000-03:30");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_accepts_ascii_chinese_and_four_byte_forms),
		cmocka_unit_test(test_utf8_refuses_overlong_forms),
		cmocka_unit_test(test_utf8_refuses_surrogates_and_beyond_u10ffff),
		cmocka_unit_test(test_utf8_refuses_truncated_and_stray_bytes),
		cmocka_unit_test(test_utf8_refuses_embedded_nul),
		cmocka_unit_test(test_utf8_length_counts_code_points),
		cmocka_unit_test(test_token_has_prefix_length_and_url_safe_charset),
		cmocka_unit_test(test_token_refuses_a_short_buffer),
		cmocka_unit_test(test_tokens_are_unique),
		cmocka_unit_test(test_sha256_of_abc_is_the_known_vector),
		cmocka_unit_test(test_token_hash_is_sha256_of_the_token_text),
		cmocka_unit_test(test_now_ms_is_close_to_time),
		cmocka_unit_test(test_iso8601_writes_local_time_with_millis_and_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
