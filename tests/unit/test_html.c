/*
 * test_html.c -- unit tests for html.c: the entity of each of the five
 * special bytes and of no other, and the pieces html_escape_next hands out
 * (runs copied whole, UTF-8 untouched, an empty string giving none).
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

/* Return s escaped, by appending html_escape_next's pieces; free it. */
static char *
escape(const char *s)
{
	const char *piece;
	char *out = calloc(1, 6 * strlen(s) + 1);
	size_t len, n = 0;

	assert_non_null(out);
	while ((piece = html_escape_next(&s, &len)) != NULL) {
		assert_true(len > 0);
		memcpy(out + n, piece, len);
		n += len;
	}
	out[n] = '\0';
	return out;
}

/* Check that s escapes to want. */
static void
check(const char *s, const char *want)
{
	char *got = escape(s);

	assert_string_equal(got, want);
	free(got);
}

static void
test_html_each_special_byte_has_its_entity(void **state)
{
	assert_string_equal(html_entity('&'), "&amp;");
	assert_string_equal(html_entity('<'), "&lt;");
	assert_string_equal(html_entity('>'), "&gt;");
	assert_string_equal(html_entity('"'), "&quot;");
	assert_string_equal(html_entity('\''), "&#39;");
	check("&", "&amp;");
	check("<", "&lt;");
	check(">", "&gt;");
	check("\"", "&quot;");
	check("'", "&#39;");
}

static void
test_html_every_other_byte_stands_for_itself(void **state)
{
	int c;

	for (c = 1; c < 256; c++) {
		if (strchr("&<>\"'", c) != NULL)
			continue;
		if (html_entity((unsigned char)c) != NULL)
			fail_msg("byte 0x%02x has an entity", c);
	}
	check("plain text, 1 + 1 = 2; a/b \\ `x` =", "plain text, 1 + 1 = 2; "
	    "a/b \\ `x` =");
	check("用工招聘 — 缺口", "用工招聘 — 缺口");
}

static void
test_html_mixed_text_escapes_only_the_special_bytes(void **state)
{
	check("<script>alert('x&y')</script>",
	    "&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;");
	check("a=\"1\" onload=x", "a=&quot;1&quot; onload=x");
	check("&amp;", "&amp;amp;");
	check("<<>>", "&lt;&lt;&gt;&gt;");
	check("锦华<食品>", "锦华&lt;食品&gt;");
}

static void
test_html_pieces_are_whole_runs_and_single_entities(void **state)
{
	const char *s = "ab<cd", *piece;
	size_t len;

	piece = html_escape_next(&s, &len);
	assert_int_equal(len, 2);
	assert_memory_equal(piece, "ab", 2);
	assert_string_equal(s, "<cd");
	piece = html_escape_next(&s, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(piece, "&lt;", 4);
	assert_string_equal(s, "cd");
	piece = html_escape_next(&s, &len);
	assert_int_equal(len, 2);
	assert_memory_equal(piece, "cd", 2);
	assert_null(html_escape_next(&s, &len));
	assert_null(html_escape_next(&s, &len));
}

static void
test_html_empty_string_gives_no_piece(void **state)
{
	const char *s = "";
	size_t len = 99;

	assert_null(html_escape_next(&s, &len));
	assert_int_equal(len, 99);
	check("", "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_each_special_byte_has_its_entity),
		cmocka_unit_test(test_html_every_other_byte_stands_for_itself),
		cmocka_unit_test(test_html_mixed_text_escapes_only_the_special_bytes),
		cmocka_unit_test(test_html_pieces_are_whole_runs_and_single_entities),
		cmocka_unit_test(test_html_empty_string_gives_no_piece),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
