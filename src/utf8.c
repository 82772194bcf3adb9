/*
 * utf8.c -- UTF-8 as the wire formats carry it: one character at a time
 * (the similarity of texts reads them so), whether bytes are valid
 * UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF, and no NUL), how many characters a string has (the limits in
 * [limits] count characters), and where to cut a string so that no
 * character is split (mail headers, webhook bodies).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "liaison.h"

/*
 * Decode the UTF-8 sequence at *p (before end) into *cp and move *p past
 * it; return 0. A sequence that is not well formed by RFC 3629 (a stray or
 * truncated byte, an overlong form, a UTF-16 surrogate U+D800..U+DFFF, a
 * code point above U+10FFFF) gives -1 with *cp = U+FFFD and *p moved past
 * its first byte only, so that a reader can go on.
 */
int
utf8_next(const unsigned char **p, const unsigned char *end, uint32_t *cp)
{
	const unsigned char *s = *p;
	uint32_t c, min;
	size_t n, i;

	*cp = 0xfffd;
	*p = s + 1;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 0;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 1;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 2;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 3;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return -1;
	if ((size_t)(end - s) < n + 1)
		return -1;
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	*p = s + n + 1;
	return 0;
}

/*
 * Return the length (2..4) of the well-formed multi-byte sequence at p
 * (left bytes before the end, left > 0), or 0 if it is not one:
 * utf8_next's rule read off the bytes as RFC 3629's table gives it,
 * without decoding. A province's roster is a million Chinese names, and a
 * call to utf8_next a character was a tenth of its loading time.
 */
static inline __attribute__((always_inline)) size_t
utf8_step(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];

	if (c >= 0xc2 && c <= 0xdf)
		return left >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (left < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && p[1] < 0xa0) ||    /* overlong */
		    (c == 0xed && p[1] > 0x9f))      /* a surrogate */
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (left < 4 || (p[1] & 0xc0) != 0x80 ||
		    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && p[1] < 0x90) ||    /* overlong */
		    (c == 0xf4 && p[1] > 0x8f))      /* above U+10FFFF */
			return 0;
		return 4;
	}
	return 0;                /* a continuation byte, C0, C1, F5..FF */
}

/*
 * Return 0 if the len bytes at s are well-formed UTF-8 (utf8_next's rule;
 * a NUL passes), -1 at the first place they are not; *control is set to 1
 * if a C0 control character or DEL comes before that place. One pass with
 * the step inlined: every string of a province's roster comes here
 * (roster_text_problem), a call a character was a tenth of the load.
 */
int
utf8_scan(const char *s, size_t len, int *control)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	int c = 0;

	*control = 0;
	while (len > 0) {
		if (*p < 0x80) {
			c |= *p < 0x20 || *p == 0x7f;
			p++;
			len--;
			continue;
		}
		/* A CJK character (E1..EC, EE, EF and two continuation
		 * bytes) without the step's checks of E0 and ED. */
		if (len >= 3 && p[0] >= 0xe1 && p[0] <= 0xef && p[0] != 0xed &&
		    (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
			p += 3;
			len -= 3;
			continue;
		}
		if ((n = utf8_step(p, len)) == 0) {
			*control = c;
			return -1;
		}
		p += n;
		len -= n;
	}
	*control = c;
	return 0;
}

/*
 * Return 1 if the len bytes at s are well-formed UTF-8 (utf8_next's rule)
 * with no NUL, 0 otherwise.
 */
int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	size_t n;

	while (p < end) {
		if (*p > 0x00 && *p < 0x80) {
			p++;         /* ASCII, the most of a roster */
			continue;
		}
		if (*p == 0x00 ||
		    (n = utf8_step(p, (size_t)(end - p))) == 0)
			return 0;
		p += n;
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
