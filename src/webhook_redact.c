/*
 * webhook_redact.c -- a webhook URL fit for logs and the deliveries API.
 *
 * A chat robot's URL is its password: WeCom's key and DingTalk's
 * access_token are query values, Feishu's token is a path segment. So
 * every query value, the user information and the fragment are hidden,
 * and the segment after any backend's token path (webhook_backend.c's
 * table: a format lists its own). Whatever the department's format: a
 * URL is redacted the same way everywhere.
 */
#include "config.h"

#include <string.h>

#include "liaison.h"

/* Append to a bounded output, always NUL-terminated. */
struct webhook_redact_out {
	char *s;
	size_t len;
	size_t used;
};

static void
webhook_redact_add(struct webhook_redact_out *o, const char *s, size_t n)
{
	if (o->len == 0)
		return;
	if (n > o->len - 1 - o->used)
		n = o->len - 1 - o->used;
	memcpy(o->s + o->used, s, n);
	o->used += n;
	o->s[o->used] = '\0';
}

/*
 * The length of the token path of some backend that the plen bytes of
 * path start with (a segment must follow it), or 0.
 */
static size_t
webhook_redact_token_path(const char *path, size_t plen)
{
	const char *const *p;
	size_t i, n;

	for (i = 0; webhook_backends[i] != NULL; i++) {
		p = webhook_backends[i]->token_paths;
		for (; p != NULL && *p != NULL; p++) {
			n = strlen(*p);
			if (plen > n && strncmp(path, *p, n) == 0)
				return n;
		}
	}
	return 0;
}

/* Append the query string at p ("?..."), each value "***"; return its end. */
static const char *
webhook_redact_query(struct webhook_redact_out *o, const char *p)
{
	const char *eq;
	size_t n;

	webhook_redact_add(o, "?", 1);
	for (p++; *p != '\0' && *p != '#'; ) {
		n = strcspn(p, "&#");
		eq = memchr(p, '=', n);
		if (eq != NULL)
			webhook_redact_add(o, p, eq - p + 1);
		if (n > 0)
			webhook_redact_add(o, "***", 3);
		p += n;
		if (*p == '&')
			webhook_redact_add(o, p++, 1);
	}
	return p;
}

/*
 * Write url to out (len bytes, NUL-terminated, cut when too long) with its
 * secrets replaced by "***": user information, every query value
 * (WeCom's key, DingTalk's access_token, timestamp and sign ...), the
 * fragment, and the segment after a backend's token path (Feishu's and
 * Lark's /open-apis/bot/v2/hook/<token>). Not a URL at all: "***".
 */
void
webhook_redact_url(const char *url, char *out, size_t len)
{
	struct webhook_redact_out o = { out, len, 0 };
	const char *p, *auth, *at, *end, *path;
	size_t n, plen;

	if (len > 0)
		*out = '\0';
	if ((p = strstr(url, "://")) == NULL) {
		webhook_redact_add(&o, "***", 3);
		return;
	}
	auth = p + 3;
	webhook_redact_add(&o, url, auth - url);
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', end - auth);
	if (at != NULL) {
		webhook_redact_add(&o, "***@", 4);
		auth = at + 1;
	}
	webhook_redact_add(&o, auth, end - auth);
	path = end;
	plen = strcspn(path, "?#");
	if ((n = webhook_redact_token_path(path, plen)) > 0) {
		webhook_redact_add(&o, path, n);
		webhook_redact_add(&o, "***", 3);
		path += n;
		path += strcspn(path, "/?#");
		plen = strcspn(path, "?#");
	}
	webhook_redact_add(&o, path, plen);
	p = path + plen;
	if (*p == '?')
		p = webhook_redact_query(&o, p);
	if (*p == '#')
		webhook_redact_add(&o, "#***", 4);
}
