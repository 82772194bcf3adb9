/*
 * utf8.c -- UTF-8 as the wire formats carry it: whether bytes are valid
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
