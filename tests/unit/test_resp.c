/*
 * test_resp.c -- unit tests for resp.c: a command is written exactly as
 * hiredis's redisFormatCommandArgv writes it, with lengths given or not,
 * empty and binary arguments (NUL, CR LF inside) and long ones.
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

/* resp_format's text for argv is hiredis's, byte for byte. */
static void
same_as_hiredis(int argc, const char **argv, const size_t *lens)
{
	char *ours, *theirs = NULL;
	size_t ourlen;
	int theirlen;

	ours = resp_format(argc, argv, lens, &ourlen);
	theirlen = redisFormatCommandArgv(&theirs, argc, argv, lens);
	assert_true(theirlen > 0);
	assert_int_equal(ourlen, (size_t)theirlen);
	assert_memory_equal(ours, theirs, ourlen);
	free(ours);
	redisFreeCommand(theirs);
}

static void
test_resp_writes_what_hiredis_writes(void **state)
{
	const char *simple[] = { "EVALSHA", "0123456789abcdef", "1", "p:",
	    "submit_batch", "" };
	const char *binary[] = { "SET", "k\r\n", "a\0b\r\nc" };
	const size_t binlens[] = { 3, 3, 7 };
	const char *one[] = { "PING" };
	char *big = xmalloc(123457), *argv[12];
	size_t lens[12];
	int i;

	(void)state;
	same_as_hiredis(6, simple, NULL);
	same_as_hiredis(3, binary, binlens);
	same_as_hiredis(1, one, NULL);
	memset(big, 'x', 123456);
	big[123456] = '\0';
	for (i = 0; i < 12; i++) {
		argv[i] = i % 2 ? big : (char *)"arg";
		lens[i] = i % 2 ? (size_t)(i * 10000) : 3;
	}
	same_as_hiredis(12, (const char **)argv, lens);
	same_as_hiredis(12, (const char **)argv, NULL);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resp_writes_what_hiredis_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
