/*
 * resp.c -- a command as Redis's protocol text (RESP), written in one
 * allocation.
 *
 * hiredis's redisAsyncCommandArgv formats each argument with sdscatfmt and
 * grows an sds string piece by piece: some 7,000 instructions a command,
 * five commands a report. The daemon's store (store.c) writes the same
 * bytes here and hands them to redisAsyncFormattedCommand.
 */
#include "config.h"

#include <string.h>

#include "liaison.h"

/* Write n in decimal at p; returns the end. */
static char *
resp_decimal(char *p, size_t n)
{
	char digits[24];
	size_t i = 0;

	do {
		digits[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	while (i > 0)
		*p++ = digits[--i];
	return p;
}

/*
 * The command argv (argc arguments; lens[i] their lengths, or NULL for
 * NUL-terminated strings) as "*argc\r\n" and "$len\r\narg\r\n" each.
 * Returns the text, which the caller frees, and its length in *len.
 */
char *
resp_format(int argc, const char **argv, const size_t *lens, size_t *len)
{
	size_t total = 16, arglen;
	char *text, *p;
	int i;

	for (i = 0; i < argc; i++)
		total += (lens != NULL ? lens[i] : strlen(argv[i])) + 26;
	p = text = xmalloc(total);
	*p++ = '*';
	p = resp_decimal(p, (size_t)argc);
	*p++ = '\r';
	*p++ = '\n';
	for (i = 0; i < argc; i++) {
		arglen = lens != NULL ? lens[i] : strlen(argv[i]);
		*p++ = '$';
		p = resp_decimal(p, arglen);
		*p++ = '\r';
		*p++ = '\n';
		memcpy(p, argv[i], arglen);
		p += arglen;
		*p++ = '\r';
		*p++ = '\n';
	}
	*len = (size_t)(p - text);
	return text;
}
