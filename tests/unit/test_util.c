/*
 * test_util.c -- unit tests for util.c: SHA-256 in hex, the clock (and the
 * test clock, only in a test build), ISO 8601 timestamps, integers
 * added to JSON as text and the first-error message of a file being read.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "liaison.h"
#include "fixtures.h"

static void
test_sha256_of_abc_is_the_known_vector(void **state)
{
	char hex[TOKEN_HASH_LEN + 1];

	util_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	util_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}

static void
test_now_ms_is_close_to_time(void **state)
{
	int64_t ms = util_now_ms();
	int64_t s = (int64_t)time(NULL);

	assert_true(ms / 1000 >= s - 1 && ms / 1000 <= s + 1);
}

/*
 * LIAISOND_TEST_CLOCK moves the clock (a day here) in a build configured
 * with --enable-test-hooks, and does nothing in a normal build: the proof
 * that a normal build has no test clock. scripts/check runs this in both.
 */
static void
test_the_test_clock_moves_time_only_in_a_test_build(void **state)
{
	char path[] = "/tmp/test_util_clock.XXXXXX";
	int64_t real, moved;
	int fd;

	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, "86400000\n", 9), 9);
	close(fd);
	setenv("LIAISOND_TEST_CLOCK", path, 1);
	real = (int64_t)time(NULL) * 1000;
	moved = util_now_ms();
#ifdef LIAISON_TEST_HOOKS
	assert_string_equal(util_test_clock(), path);
	assert_true(moved - real >= 86400000 - 2000 &&
	    moved - real <= 86400000 + 2000);
	assert_true(util_now() - moved / 1000 <= 1);
#else
	assert_null(util_test_clock());
	assert_true(moved - real >= -2000 && moved - real <= 2000);
#endif
	unsetenv("LIAISOND_TEST_CLOCK");
	unlink(path);
	moved = util_now_ms();
	assert_true(moved - real >= -2000 && moved - real <= 2000);
}

static void
test_iso8601_writes_local_time_with_millis_and_offset(void **state)
{
	char buf[32];

	fixture_zone();
	util_time_iso8601(1795782600123LL, buf);
	assert_string_equal(buf, "2026-11-27T20:30:00.123+08:00");
	util_time_iso8601(1795782600000LL, buf);
	assert_string_equal(buf, "2026-11-27T20:30:00.000+08:00");

	setenv("TZ", "UTC", 1);
	tzset();
	util_time_iso8601(1795782600999LL, buf);
	assert_string_equal(buf, "2026-11-27T12:30:00.999+00:00");

	setenv("TZ", "America/St_Johns", 1);	/* -03:30 in winter */
	tzset();
	util_time_iso8601(1795782600000LL, buf);
	assert_string_equal(buf, "2026-11-27T09:00:00.000-03:30");
}

/* util_vcause through a variadic call, as a reader's error function does. */
static int
cause(char **out, const char *name, int line, const char *fmt, ...)
{
	va_list ap;
	int kept;

	va_start(ap, fmt);
	kept = util_vcause(out, name, line, fmt, ap);
	va_end(ap);
	return kept;
}

static void
test_vcause_keeps_the_first_error_with_file_and_line(void **state)
{
	char *c = NULL;

	assert_int_equal(cause(&c, "/etc/x.conf", 3, "[%s] %s: \"%d\"",
	    "redis", "port", 0), 1);
	assert_string_equal(c, "/etc/x.conf:3: [redis] port: \"0\"");
	assert_int_equal(cause(&c, "/etc/x.conf", 9, "later"), 0);
	assert_string_equal(c, "/etc/x.conf:3: [redis] port: \"0\"");
	free(c);
}

static void
test_vcause_does_not_cut_a_long_message(void **state)
{
	char *c = NULL, *want, long_text[3001];

	memset(long_text, 'x', sizeof long_text - 1);
	long_text[sizeof long_text - 1] = '\0';
	assert_int_equal(cause(&c, "f", 1, "%s", long_text), 1);
	assert_int_equal(asprintf(&want, "f:1: %s", long_text) > 0, 1);
	assert_string_equal(c, want);
	free(want);
	free(c);
}

/* An integer added as text prints as cJSON's own number would. */
static void
test_json_add_int_prints_every_integer_exactly(void **state)
{
	static const long long values[] = { 0, 7, -1, 1764748800123LL,
	    -1764748800123LL, 2147483648LL, 9007199254740993LL,
	    9223372036854775807LL, -9223372036854775807LL - 1 };
	cJSON *obj;
	char want[64], *text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof values / sizeof *values; i++) {
		obj = cJSON_CreateObject();
		util_json_add_int(obj, "n", values[i]);
		text = cJSON_PrintUnformatted(obj);
		snprintf(want, sizeof want, "{\"n\":%lld}", values[i]);
		assert_string_equal(text, want);
		free(text);
		cJSON_Delete(obj);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_of_abc_is_the_known_vector),
		cmocka_unit_test(test_now_ms_is_close_to_time),
		cmocka_unit_test(test_the_test_clock_moves_time_only_in_a_test_build),
		cmocka_unit_test(test_iso8601_writes_local_time_with_millis_and_offset),
		cmocka_unit_test(test_vcause_keeps_the_first_error_with_file_and_line),
		cmocka_unit_test(test_vcause_does_not_cut_a_long_message),
		cmocka_unit_test(test_json_add_int_prints_every_integer_exactly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
