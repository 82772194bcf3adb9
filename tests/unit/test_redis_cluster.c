/*
 * test_redis_cluster.c -- unit tests for redis_cluster.c: which prefixes
 * keep a zone in one slot, what MOVED / ASK / TRYAGAIN say, and the head
 * of a script call.
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

static void
test_redis_cluster_tagged_needs_a_non_empty_tag(void **state)
{
	assert_true(redis_cluster_tagged("{aq-etdz}:"));
	assert_true(redis_cluster_tagged("province:{aq}:"));
	assert_true(redis_cluster_tagged("{a}"));
	assert_false(redis_cluster_tagged("liaison:"));
	assert_false(redis_cluster_tagged("{}aq:"));
	assert_false(redis_cluster_tagged("{aq:"));
	assert_false(redis_cluster_tagged("aq}:"));
}

static enum redis_cluster_redirect
redirect(const char *text, struct sentinel_addr *a)
{
	redisReply r;

	memset(&r, 0, sizeof r);
	r.type = REDIS_REPLY_ERROR;
	r.str = (char *)text;
	r.len = strlen(text);
	return redis_cluster_redirect(&r, a);
}

static void
test_redis_cluster_redirect_reads_the_node(void **state)
{
	struct sentinel_addr a;
	redisReply ok;

	assert_int_equal(redirect("MOVED 3999 127.0.0.1:6381", &a),
	    REDIS_CLUSTER_MOVED);
	assert_string_equal(a.host, "127.0.0.1");
	assert_int_equal(a.port, 6381);
	assert_int_equal(redirect("ASK 12 ::1:7002", &a), REDIS_CLUSTER_ASK);
	assert_string_equal(a.host, "::1");
	assert_int_equal(a.port, 7002);
	assert_int_equal(redirect("TRYAGAIN Multiple keys request during "
	    "rehashing of slot", &a), REDIS_CLUSTER_TRYAGAIN);
	assert_int_equal(redirect("MOVED 3999", &a), REDIS_CLUSTER_NONE);
	assert_int_equal(redirect("MOVED 3999 host:6381", &a),
	    REDIS_CLUSTER_NONE);
	assert_int_equal(redirect("MOVED 3999 127.0.0.1:0", &a),
	    REDIS_CLUSTER_NONE);
	assert_int_equal(redirect("ERR unknown command", &a),
	    REDIS_CLUSTER_NONE);
	assert_int_equal(redirect("CLUSTERDOWN Hash slot not served", &a),
	    REDIS_CLUSTER_NONE);
	memset(&ok, 0, sizeof ok);
	ok.type = REDIS_REPLY_STATUS;
	ok.str = "MOVED 1 127.0.0.1:1";
	assert_int_equal(redis_cluster_redirect(&ok, &a), REDIS_CLUSTER_NONE);
	assert_int_equal(redis_cluster_redirect(NULL, &a), REDIS_CLUSTER_NONE);
}

/* The prefix is the key a cluster routes by, and still ARGV[1]. */
static void
test_redis_cluster_script_head_declares_the_prefix(void **state)
{
	const char *argv[REDIS_CLUSTER_HEAD];
	size_t lens[REDIS_CLUSTER_HEAD];

	redis_cluster_script_head(argv, lens, "EVALSHA", "0123", 4, "{aq}:");
	assert_string_equal(argv[0], "EVALSHA");
	assert_string_equal(argv[2], "1");
	assert_string_equal(argv[3], "{aq}:");
	assert_string_equal(argv[4], "{aq}:");
	assert_int_equal(lens[1], 4);
	assert_int_equal(lens[3], 5);
	assert_int_equal(lens[4], 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redis_cluster_tagged_needs_a_non_empty_tag),
		cmocka_unit_test(test_redis_cluster_redirect_reads_the_node),
		cmocka_unit_test(test_redis_cluster_script_head_declares_the_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
