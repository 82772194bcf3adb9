/*
 * test_reply_arena.c -- unit tests for reply_arena.c: a reader using it
 * builds the same reply tree as hiredis's own for every kind of reply
 * (nested arrays, nil, integers, status and error, empty arrays, strings
 * larger than a chunk, a reply fed a byte at a time), and a reply cut off
 * by a protocol error is freed whole (ASan's build says so).
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
#include <hiredis/hiredis.h>

#include "liaison.h"

/* Whether two reply trees are alike. */
static void
same_reply(const redisReply *a, const redisReply *b)
{
	size_t i;

	assert_int_equal(a->type, b->type);
	assert_int_equal(a->integer, b->integer);
	assert_int_equal(a->len, b->len);
	if (a->str == NULL) {
		assert_null(b->str);
	} else {
		assert_non_null(b->str);
		assert_memory_equal(a->str, b->str, a->len + 1);
	}
	assert_int_equal(a->elements, b->elements);
	for (i = 0; i < a->elements; i++)
		same_reply(a->element[i], b->element[i]);
}

/* Feed text to a default and an arena reader (step bytes at a time). */
static void
read_both(const char *text, size_t len, size_t step)
{
	redisReader *plain = redisReaderCreate(), *arena = redisReaderCreate();
	void *a = NULL, *b = NULL;
	size_t off, n;

	reply_arena_use(arena);
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		assert_int_equal(redisReaderFeed(plain, text + off, n), REDIS_OK);
		assert_int_equal(redisReaderFeed(arena, text + off, n), REDIS_OK);
		if (a == NULL)
			assert_int_equal(redisReaderGetReply(plain, &a), REDIS_OK);
		if (b == NULL)
			assert_int_equal(redisReaderGetReply(arena, &b), REDIS_OK);
	}
	assert_non_null(a);
	assert_non_null(b);
	same_reply(a, b);
	freeReplyObject(a);
	arena->fn->freeObject(b);
	redisReaderFree(plain);
	redisReaderFree(arena);
}

static void
test_reply_arena_builds_what_hiredis_builds(void **state)
{
	static const char *const replies[] = {
		"+OK\r\n",
		"-ERR wrong\r\n",
		":-42\r\n",
		"$-1\r\n",
		"*-1\r\n",
		"*0\r\n",
		"$0\r\n\r\n",
		"$5\r\nhello\r\n",
		"*3\r\n$2\r\nid\r\n:7\r\n*2\r\n*0\r\n$-1\r\n",
		"*2\r\n*2\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n*1\r\n+deep\r\n"
		    ":1\r\n-ERR x\r\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof replies / sizeof *replies; i++) {
		read_both(replies[i], strlen(replies[i]), 1 << 20);
		read_both(replies[i], strlen(replies[i]), 1);
	}
}

/* A reply with strings of many sizes, some larger than any chunk. */
static void
test_reply_arena_holds_large_and_many_strings(void **state)
{
	size_t sizes[] = { 1, 3000, 20000, 5000000, 7, 70000, 0 }, i, j, len;
	size_t count = sizeof sizes / sizeof *sizes + 2000;
	char *text, *p;

	(void)state;
	text = xmalloc(6000000 + count * 32);
	p = text + sprintf(text, "*%zu\r\n", count);
	for (i = 0; i < count; i++) {
		len = i < sizeof sizes / sizeof *sizes ? sizes[i] : i % 97;
		p += sprintf(p, "$%zu\r\n", len);
		for (j = 0; j < len; j++)
			*p++ = 'a' + (char)((i + j) % 26);
		*p++ = '\r';
		*p++ = '\n';
	}
	read_both(text, (size_t)(p - text), 1 << 20);
	read_both(text, (size_t)(p - text), 4093);
	free(text);
}

/* A protocol error half-way: the half-built reply is freed by the reader. */
static void
test_reply_arena_frees_a_reply_cut_off(void **state)
{
	static const char text[] = "*3\r\n$3\r\nabc\r\n*2\r\n:1\r\n?bad\r\n";
	redisReader *r = redisReaderCreate();
	void *reply = NULL;

	(void)state;
	reply_arena_use(r);
	assert_int_equal(redisReaderFeed(r, text, sizeof text - 1), REDIS_OK);
	assert_int_equal(redisReaderGetReply(r, &reply), REDIS_ERR);
	assert_null(reply);
	redisReaderFree(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_arena_builds_what_hiredis_builds),
		cmocka_unit_test(test_reply_arena_holds_large_and_many_strings),
		cmocka_unit_test(test_reply_arena_frees_a_reply_cut_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
