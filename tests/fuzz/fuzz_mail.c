/*
 * fuzz_mail.c -- the addresses and names that go into a mail's SMTP
 * commands and headers: roster_email_ok (the roster's and the config's one
 * address check) and mail_encode_header (RFC 2047 for names and subjects).
 * Neither may let a CR or LF through: it would start a command or header
 * of its own.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "liaison.h"
#include "fuzz.h"

/* Abort unless every line of an encoded header is one encoded-word. */
static void
fuzz_mail_check_words(const char *out)
{
	const char *p = out, *end;
	size_t n;

	for (;;) {
		end = strstr(p, "\r\n ");
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (n > 75 || n < 12 || strncmp(p, "=?UTF-8?B?", 10) != 0 ||
		    strncmp(p + n - 2, "?=", 2) != 0 ||
		    strspn(p + 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789+/=") != n - 12)
			abort();
		if (end == NULL)
			break;
		p = end + 3;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), *out;
	const char *p;

	if (roster_email_ok(s)) {
		if (strchr(s, '@') == NULL || *s == '@')
			abort();
		for (p = s; *p != '\0'; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f ||
			    strchr("<>,;\"", *p) != NULL)
				abort();
	}
	out = mail_encode_header(s);
	if (strcmp(out, s) == 0) {
		/* as it was only when it is plain: no control character */
		for (p = out; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20)
				abort();
	} else
		fuzz_mail_check_words(out);
	free(out);
	free(s);
	return 0;
}
