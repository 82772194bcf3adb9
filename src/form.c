/*
 * form.c -- what a browser sends the pages: an urlencoded form body and the
 * session cookie. The pages (web_session.c) call these; they live in the
 * library so that a fuzz target (tests/fuzz/fuzz_form.c) reaches the same
 * code a request does.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "liaison.h"

/*
 * The name of the first field of the urlencoded body whose name or value
 * decodes to a NUL (%00) into name (len bytes), or 0 when none does. The
 * parsed form is C strings: a NUL would silently cut the text, so such a
 * form is refused, like \u0000 in JSON. evhttp_uridecode decodes; this
 * only splits the body at '&' and '='.
 */
static int
form_nul(const char *body, char *name, size_t len)
{
	const char *p = body, *end, *eq;
	char *part, *key, *value;
	size_t n, klen, vlen;
	int found = 0;

	while (!found && *p != '\0') {
		end = p + strcspn(p, "&");
		part = xmalloc((size_t)(end - p) + 1);
		memcpy(part, p, (size_t)(end - p));
		part[end - p] = '\0';
		eq = strchr(part, '=');
		n = eq != NULL ? (size_t)(eq - part) : strlen(part);
		part[n] = '\0';
		key = evhttp_uridecode(part, 1, &klen);
		value = evhttp_uridecode(eq != NULL ? part + n + 1 : "", 1,
		    &vlen);
		if (key != NULL && value != NULL && (strlen(key) != klen ||
		    strlen(value) != vlen)) {
			snprintf(name, len, "%s", key);
			found = 1;
		}
		free(key);
		free(value);
		free(part);
		p = *end == '&' ? end + 1 : end;
	}
	return found;
}

/*
 * Parse an application/x-www-form-urlencoded body of len bytes (with a NUL
 * after them) into form, which the caller has initialised and clears. On
 * FORM_NUL, name holds the field at fault ("" when the body itself holds a
 * NUL byte).
 */
enum form_result
form_parse(const char *body, size_t len, struct evkeyvalq *form, char *name,
    size_t namelen)
{
	struct evkeyval *kv;

	if (namelen > 0)
		*name = '\0';
	if (evhttp_parse_query_str(body, form) != 0)
		return FORM_UNREADABLE;
	if (memchr(body, '\0', len) != NULL || form_nul(body, name, namelen))
		return FORM_NUL;
	TAILQ_FOREACH(kv, form, next) {
		if (!utf8_valid(kv->value, strlen(kv->value)))
			return FORM_NOT_UTF8;
	}
	return FORM_OK;
}

/*
 * The value of cookie name in a Cookie header into value: exactly vlen
 * lower-case hex digits (the session id), and a NUL. Return 1 if found, 0
 * if the header (which may be NULL) has none.
 */
int
form_cookie(const char *header, const char *name, char *value, size_t vlen)
{
	const char *p;
	size_t n = strlen(name);

	for (p = header; p != NULL && *p != '\0'; p++) {
		while (*p == ' ')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=' &&
		    strspn(p + n + 1, "0123456789abcdef") == vlen) {
			memcpy(value, p + n + 1, vlen);
			value[vlen] = '\0';
			return 1;
		}
		if ((p = strchr(p, ';')) == NULL)
			break;
	}
	return 0;
}
