/*
 * test_utf8.c -- unit tests for utf8.c: what is valid UTF-8 (overlong
 * forms, surrogates, truncated and stray bytes, NUL refused) and how many
 * characters a string has; utf8_next reads one character and goes on past
 * a bad byte. utf8_prefix is tested with its users in
 * test_webhook_backend.c.
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

/*
 * utf8_next reads one character at a time; a malformed sequence is one
 * U+FFFD for its first byte, and reading goes on with the next byte.
 */
static void
test_utf8_next_reads_characters_and_steps_over_bad_bytes(void **state)
{
	static const unsigned char text[] = "a\xe4\xb8\xad\xf0\x9f\x98\x80"
	    "\xc0\xaf\xe4\xb8";
	const unsigned char *p = text, *end = text + sizeof text - 1;
	uint32_t cp;

	(void)state;
	assert_int_equal(utf8_next(&p, end, &cp), 0);
	assert_int_equal(cp, 'a');
	assert_int_equal(utf8_next(&p, end, &cp), 0);
	assert_int_equal(cp, 0x4e2d);		/* 中 */
	assert_int_equal(utf8_next(&p, end, &cp), 0);
	assert_int_equal(cp, 0x1f600);
	assert_ptr_equal(p, text + 8);
	/* An overlong '/': two bad bytes, one at a time. */
	assert_int_equal(utf8_next(&p, end, &cp), -1);
	assert_int_equal(cp, 0xfffd);
	assert_ptr_equal(p, text + 9);
	assert_int_equal(utf8_next(&p, end, &cp), -1);
	assert_ptr_equal(p, text + 10);
	/* A character cut short at the end of the text. */
	assert_int_equal(utf8_next(&p, end, &cp), -1);
	assert_ptr_equal(p, text + 11);
	assert_int_equal(utf8_next(&p, end, &cp), -1);
	assert_ptr_equal(p, end);
}

/* utf8_valid by utf8_next, a character at a time: the rule it must keep. */
static int
valid_by_next(const unsigned char *s, size_t len)
{
	const unsigned char *p = s, *end = s + len;
	uint32_t cp;

	while (p < end) {
		if (*p == 0x00 || utf8_next(&p, end, &cp) != 0)
			return 0;
	}
	return 1;
}

/*
 * utf8_scan must agree with utf8_valid on every sequence without a NUL
 * (a NUL passes utf8_scan), and say whether a control character or DEL
 * came before its first bad byte.
 */
static void
check_scan(const unsigned char *s, size_t len)
{
	size_t i;
	int control, want = 0, nul = 0, ok;

	ok = utf8_scan((const char *)s, len, &control) == 0;
	for (i = 0; i < len; i++)
		nul |= s[i] == 0x00;
	if (!nul)
		assert_int_equal(ok, utf8_valid((const char *)s, len));
	/* Every byte of these sequences below 0x80 is a character. */
	for (i = 0; i < len && s[i] < 0x80; i++)
		want |= s[i] < 0x20 || s[i] == 0x7f;
	if (i == len || s[0] < 0x80)
		assert_int_equal(control, want);
}

/*
 * utf8_valid reads bytes off RFC 3629's table without decoding them: it
 * must agree with utf8_next on every sequence of up to three bytes, on
 * four-byte ones around every lead byte's limits, and on each truncated.
 */
static void
test_utf8_valid_agrees_with_utf8_next(void **state)
{
	static const unsigned char tails[] = {
		0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff
	};
	unsigned char b[4];
	size_t a, c, d, e, len;

	(void)state;
	for (a = 0; a < 256; a++) {
		for (c = 0; c < 256; c++) {
			for (d = 0; d < 256; d++) {
				b[0] = (unsigned char)a;
				b[1] = (unsigned char)c;
				b[2] = (unsigned char)d;
				for (len = 1; len <= 3; len++) {
					assert_int_equal(utf8_valid((char *)b,
					    len), valid_by_next(b, len));
					check_scan(b, len);
				}
			}
		}
	}
	for (a = 0xf0; a < 0x100; a++) {
		for (c = 0; c < sizeof tails; c++)
		for (d = 0; d < sizeof tails; d++)
		for (e = 0; e < sizeof tails; e++) {
			b[0] = (unsigned char)a;
			b[1] = tails[c];
			b[2] = tails[d];
			b[3] = tails[e];
			assert_int_equal(utf8_valid((char *)b, 4),
			    valid_by_next(b, 4));
			check_scan(b, 4);
		}
	}
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
		cmocka_unit_test(test_utf8_valid_agrees_with_utf8_next),
		cmocka_unit_test(test_utf8_length_counts_code_points),
		cmocka_unit_test(test_utf8_next_reads_characters_and_steps_over_bad_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
