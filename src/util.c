/*
 * util.c -- small helpers with no better home, each prefixed util_: the
 * clock, ISO 8601 timestamps, SHA-256 in hex, a field of a flat Redis hash,
 * and the "FILE:LINE: what is wrong" message of a file being read. UTF-8 is
 * utf8.c's, tokens token.c's, HTML escaping html.c's, dates date.c's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include "liaison.h"

/*
 * FNV-1a of a string: the key hash of the in-memory tables (rate limits,
 * the ledger's tally).
 */
size_t
util_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

/* Write SHA-256 of len bytes at data, in lower-case hex, to out. */
void
util_sha256_hex(const void *data, size_t len, char out[TOKEN_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned int i;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen * 2 != TOKEN_HASH_LEN)
		fatalx("util_sha256_hex: EVP_Digest failed");
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[TOKEN_HASH_LEN] = '\0';
}

#ifdef LIAISON_TEST_HOOKS
/*
 * The test clock (configure --enable-test-hooks, never a normal build):
 * when LIAISOND_TEST_CLOCK names a file, the clock is moved by the
 * milliseconds written in it. The file is read at every call, so a test
 * that rewrites it (a rename) steps "now" at once, into quiet hours or
 * past their end, with nothing cached for the mail threads to race.
 */
#define UTIL_TEST_CLOCK "LIAISOND_TEST_CLOCK"

/* The file moving the clock, or NULL. */
const char *
util_test_clock(void)
{
	return getenv(UTIL_TEST_CLOCK);
}

/* The milliseconds the test clock's file says to add (0: none). */
static int64_t
util_test_offset_ms(void)
{
	const char *path = util_test_clock();
	char buf[32], *end;
	long long v;
	ssize_t n;
	int fd;

	if (path == NULL)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		fatal("%s %s", UTIL_TEST_CLOCK, path);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n == -1)
		fatal("%s %s", UTIL_TEST_CLOCK, path);
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\0' && *end != '\n'))
		fatalx("%s %s: not a number of milliseconds", UTIL_TEST_CLOCK,
		    path);
	return v;
}
#else
const char *
util_test_clock(void)
{
	return NULL;
}
#endif

/*
 * Return the wall-clock time in milliseconds since the epoch: the one
 * clock the daemon's times of day come from (due times, quiet hours),
 * so the test clock above moves them all.
 */
int64_t
util_now_ms(void)
{
	struct timespec ts;
	int64_t ms;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		fatal("clock_gettime");
	ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#ifdef LIAISON_TEST_HOOKS
	ms += util_test_offset_ms();
#endif
	return ms;
}

/* The same clock in whole seconds, for what takes a time_t. */
time_t
util_now(void)
{
	return (time_t)(util_now_ms() / 1000);
}

/*
 * Write ms (milliseconds since the epoch) as local time in ISO 8601 with
 * milliseconds and the UTC offset, "2026-11-27T20:30:00.123+08:00", to buf.
 */
void
util_time_iso8601(int64_t ms, char buf[32])
{
	struct tm tm;
	time_t secs;
	long off;
	int millis;
	char sign;

	secs = (time_t)(ms / 1000);
	millis = (int)(ms % 1000);
	if (millis < 0) {
		millis += 1000;
		secs--;
	}
	if (localtime_r(&secs, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm) != 19) {
		snprintf(buf, 32, "1970-01-01T00:00:00.000+00:00");
		return;
	}
	off = tm.tm_gmtoff;
	sign = '+';
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	snprintf(buf + 19, 32 - 19, ".%03d%c%02d:%02d", millis, sign,
	    (int)(off / 3600 % 100), (int)(off % 3600 / 60));
}

/* Add ms (a string of milliseconds) to obj under name as ISO 8601, or null. */
void
util_json_add_time(cJSON *obj, const char *name, const char *ms)
{
	char when[32];

	if (ms == NULL || *ms == '\0') {
		cJSON_AddNullToObject(obj, name);
		return;
	}
	util_time_iso8601(strtoll(ms, NULL, 10), when);
	cJSON_AddStringToObject(obj, name, when);
}

/*
 * Add integer v to obj as name, for an object that is only printed: cJSON
 * 1.7.15 prints every number with "%1.15g" and reads it back with sscanf
 * (some 4,000 instructions; a webhook claim or record printed five). A raw
 * item is printed as it is, but reads back as no number.
 */
void
util_json_add_int(cJSON *obj, const char *name, long long v)
{
	char text[24];

	snprintf(text, sizeof text, "%lld", v);
	if (cJSON_AddRawToObject(obj, name, text) == NULL)
		fatalx("out of memory");
}

/* The value of field name in a flat HGETALL reply, or NULL. */
const char *
util_reply_field(const redisReply *flat, const char *name)
{
	size_t i;

	if (flat == NULL || flat->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i + 1 < flat->elements; i += 2)
		if (strcmp(flat->element[i]->str, name) == 0)
			return flat->element[i + 1]->str;
	return NULL;
}

/*
 * Set *cause, unless it is already set, to "NAME:LINE: " and the message
 * fmt and ap make: the error of a file being read, where NAME is the file
 * and LINE the line at fault. Only the first error of a read is kept (it
 * is the one to fix, and later ones may follow from it). Return 1 if this
 * one was kept, 0 if an earlier one was. The caller frees *cause.
 */
int
util_vcause(char **cause, const char *name, int line, const char *fmt,
    va_list ap)
{
	char *what;

	if (*cause != NULL)
		return 0;
	xvasprintf(&what, fmt, ap);
	xasprintf(cause, "%s:%d: %s", name, line, what);
	free(what);
	return 1;
}
