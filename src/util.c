/*
 * util.c -- small helpers with no better home: UTF-8 checks, access tokens
 * and their hashes, the clock, and ISO 8601 timestamps.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "liaison.h"

/* Random bytes in a token; 24 bytes are 32 base64 characters, no padding. */
#define TOKEN_RANDOM_BYTES 24

/*
 * Return 1 if the len bytes at s are well-formed UTF-8 with no NUL, 0
 * otherwise. Overlong forms, UTF-16 surrogates (U+D800..U+DFFF) and code
 * points above U+10FFFF are refused, as RFC 3629 requires.
 */
int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	uint32_t cp, min;
	size_t n, i;

	while (p < end) {
		if (*p == 0x00)
			return 0;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			n = 1;
			cp = *p & 0x1f;
			min = 0x80;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
			cp = *p & 0x0f;
			min = 0x800;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3;
			cp = *p & 0x07;
			min = 0x10000;
		} else
			return 0;
		if ((size_t)(end - p) < n + 1)
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff)
			return 0;
		if (cp >= 0xd800 && cp <= 0xdfff)
			return 0;
		p += n + 1;
	}
	return 1;
}

/* Return the number of code points in a NUL-terminated, valid UTF-8 string. */
size_t
utf8_length(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	for (; *p != '\0'; p++) {
		if ((*p & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/*
 * Write a new access token into out: "lt_" and the url-safe base64 (no
 * padding) of 24 random bytes, TOKEN_LEN characters and a NUL. Return 0, or
 * -1 when out is too small or the random generator fails.
 */
int
token_generate(char *out, size_t outlen)
{
	unsigned char raw[TOKEN_RANDOM_BYTES];
	unsigned char b64[4 * ((TOKEN_RANDOM_BYTES + 2) / 3) + 1];
	size_t i;
	int n;

	if (outlen < TOKEN_LEN + 1)
		return -1;
	if (RAND_bytes(raw, sizeof raw) != 1)
		return -1;
	n = EVP_EncodeBlock(b64, raw, sizeof raw);
	OPENSSL_cleanse(raw, sizeof raw);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	for (i = 0; i < (size_t)n; i++) {
		if (b64[i] == '+')
			b64[i] = '-';
		else if (b64[i] == '/')
			b64[i] = '_';
	}
	snprintf(out, outlen, "lt_%.*s", n, (char *)b64);
	OPENSSL_cleanse(b64, sizeof b64);
	return 0;
}

/* Write SHA-256 of a token, in lower-case hex, to out: what Redis stores. */
void
token_hash(const char *token, char out[TOKEN_HASH_LEN + 1])
{
	sha256_hex(token, strlen(token), out);
}

/* Write SHA-256 of len bytes at data, in lower-case hex, to out. */
void
sha256_hex(const void *data, size_t len, char out[TOKEN_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned int i;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen * 2 != TOKEN_HASH_LEN)
		fatalx("sha256_hex: EVP_Digest failed");
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[TOKEN_HASH_LEN] = '\0';
}

/* Return the wall-clock time in milliseconds since the epoch. */
int64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		fatal("clock_gettime");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Write ms (milliseconds since the epoch) as local time in ISO 8601 with
 * milliseconds and the UTC offset, "2026-11-27T20:30:00.123+08:00", to buf.
 */
void
time_iso8601(int64_t ms, char buf[32])
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

/* The value of field name in a flat HGETALL reply, or NULL. */
const char *
reply_field(const redisReply *flat, const char *name)
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
 * Return the length of the longest prefix of the len bytes at s that is at
 * most max bytes and does not end inside a UTF-8 sequence.
 */
size_t
utf8_prefix(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	/* s[max] starts the first character left out unless it continues. */
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}
