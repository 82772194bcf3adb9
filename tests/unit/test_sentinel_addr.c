/*
 * test_sentinel_addr.c -- unit tests for sentinel_addr.c: the Sentinel
 * list, what the Sentinels answer and publish, and ROLE.
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
#include "replies.h"

static void
test_sentinel_addr_list_reads_three(void **state)
{
	struct sentinel_addr *a;
	size_t n;

	assert_null(sentinel_addr_list("127.0.0.1:26379, 127.0.0.1:26380 ,"
	    "[::1]:26381", &a, &n));
	assert_int_equal(n, 3);
	assert_string_equal(a[0].host, "127.0.0.1");
	assert_int_equal(a[0].port, 26379);
	assert_int_equal(a[1].port, 26380);
	assert_string_equal(a[2].host, "::1");
	assert_int_equal(a[2].port, 26381);
	free(a);
}

static void
test_sentinel_addr_list_refuses_bad_entries(void **state)
{
	static const char *const bad[] = { "localhost:26379", "127.0.0.1",
	    "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:26379,",
	    ",127.0.0.1:26379", "::1:26379", "[::1:26379", "[127.0.0.1]:1",
	    "127.0.0.1:26379 127.0.0.1:26380", "127.0.0.1:+1", NULL };
	struct sentinel_addr *a;
	size_t n, i;
	char many[1024] = "";

	for (i = 0; bad[i] != NULL; i++) {
		if (sentinel_addr_list(bad[i], &a, &n) == NULL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_null(a);
		assert_int_equal(n, 0);
	}
	for (i = 0; i <= SENTINEL_ADDR_MAX; i++)
		strcat(many, i == 0 ? "127.0.0.1:1" : ",127.0.0.1:1");
	assert_string_equal(sentinel_addr_list(many, &a, &n),
	    "at most 16 addresses");
}

static void
test_sentinel_addr_reads_the_primary_from_the_answer(void **state)
{
	redisReply *r = reply_array(2), nil;
	struct sentinel_addr a;

	reply_push(r, reply_string("127.0.0.1"));
	reply_push(r, reply_string("6380"));
	assert_int_equal(sentinel_addr_from_reply(r, &a), 0);
	assert_string_equal(a.host, "127.0.0.1");
	assert_int_equal(a.port, 6380);
	reply_free(r);

	/* An unknown name: a nil reply. */
	memset(&nil, 0, sizeof nil);
	nil.type = REDIS_REPLY_NIL;
	assert_int_equal(sentinel_addr_from_reply(&nil, &a), -1);
	assert_int_equal(sentinel_addr_from_reply(NULL, &a), -1);
	r = reply_array(2);
	reply_push(r, reply_string("redis.example"));
	reply_push(r, reply_string("6380"));
	assert_int_equal(sentinel_addr_from_reply(r, &a), -1);
	reply_free(r);
	r = reply_array(2);
	reply_push(r, reply_string("127.0.0.1"));
	reply_push(r, reply_string("80x"));
	assert_int_equal(sentinel_addr_from_reply(r, &a), -1);
	reply_free(r);
}

static void
test_sentinel_addr_reads_switch_master_for_its_name_only(void **state)
{
	const char *m = "liaisond 127.0.0.1 6379 127.0.0.1 6381";
	struct sentinel_addr a;

	assert_int_equal(sentinel_addr_from_switch(m, strlen(m), "liaisond",
	    &a), 0);
	assert_string_equal(a.host, "127.0.0.1");
	assert_int_equal(a.port, 6381);
	assert_int_equal(sentinel_addr_from_switch(m, strlen(m), "liaison",
	    &a), -1);
	assert_int_equal(sentinel_addr_from_switch(m, strlen(m), "liaisond2",
	    &a), -1);
	m = "other 127.0.0.1 6379 127.0.0.1 6381";
	assert_int_equal(sentinel_addr_from_switch(m, strlen(m), "liaisond",
	    &a), -1);
	m = "liaisond 127.0.0.1 6379 127.0.0.1";
	assert_int_equal(sentinel_addr_from_switch(m, strlen(m), "liaisond",
	    &a), -1);
	m = "liaisond 127.0.0.1 6379 127.0.0.1 6381 extra";
	assert_int_equal(sentinel_addr_from_switch(m, strlen(m), "liaisond",
	    &a), -1);
	m = "liaisond 127.0.0.1 6379  6381";
	assert_int_equal(sentinel_addr_from_switch(m, strlen(m), "liaisond",
	    &a), -1);
	/* Only len bytes count. */
	m = "liaisond 127.0.0.1 6379 127.0.0.1 63811";
	assert_int_equal(sentinel_addr_from_switch(m, strlen(m) - 1,
	    "liaisond", &a), 0);
	assert_int_equal(a.port, 6381);
}

static void
test_sentinel_addr_role_says_primary_or_not(void **state)
{
	redisReply *r = reply_array(2);

	reply_push(r, reply_string("master"));
	assert_int_equal(sentinel_addr_is_primary(r), 1);
	reply_free(r);
	r = reply_array(2);
	reply_push(r, reply_string("slave"));
	reply_push(r, reply_string("127.0.0.1"));
	assert_int_equal(sentinel_addr_is_primary(r), 0);
	reply_free(r);
	r = reply_array(2);
	assert_int_equal(sentinel_addr_is_primary(r), 0);
	reply_free(r);
	assert_int_equal(sentinel_addr_is_primary(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sentinel_addr_list_reads_three),
		cmocka_unit_test(test_sentinel_addr_list_refuses_bad_entries),
		cmocka_unit_test(test_sentinel_addr_reads_the_primary_from_the_answer),
		cmocka_unit_test(test_sentinel_addr_reads_switch_master_for_its_name_only),
		cmocka_unit_test(test_sentinel_addr_role_says_primary_or_not),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
