/*
 * webhook_fmt.c -- what goes on the wire to a department's webhook, and what
 * its answer means. Pure functions: no network, no Redis, no clock (the
 * caller passes the time), so that every byte is unit-tested.
 *
 * Four formats (SPEC §7):
 *   standard  Standard Webhooks: the event as JSON, signed with HMAC-SHA256
 *             over "msg_id.timestamp.body" in the webhook-signature header.
 *   wecom     WeCom group robot: markdown, content at most 4,096 bytes.
 *   dingtalk  DingTalk custom robot: markdown, text at most 20,000 bytes;
 *             with a secret, timestamp and sign in the query string.
 *   feishu    Feishu/Lark custom bot: an interactive card with a markdown
 *             element, body at most 20,000 bytes; with a secret, timestamp
 *             and sign in the body.
 *
 * The message "data" is the object the outbox turns an event into:
 *   {"task":    the API's task object (id, department, state, deadline,
 *               overdue ...),
 *    "issues":  [{"id", "enterprise", "enterprise_name", "topic",
 *                 "topic_name", "title", "category", "officer",
 *                 "officer_name", "deadline"}, ...],
 *    "links":   {"task": public_url + "/dept#T1"}}
 * The standard format sends it as it is. The chat robots get markdown made
 * from it: names where given (enterprise_name ...), the ids otherwise.
 *
 * The chat robots answer HTTP 200 even when they refuse a message: the
 * verdict reads errcode (WeCom, DingTalk) or code (Feishu) from the body.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "liaison.h"

/* Longest error text of the verdict taken from a robot's errmsg. */
#define WEBHOOK_ERRMSG_MAX 80
/* Least wait after a robot's rate-limit code or a robot's 429. */
#define WEBHOOK_RATE_LIMIT_DELAY 60
/* Most enterprises named in a message before "等 N 家". */
#define WEBHOOK_ENTERPRISES_SHOWN 10
/* What a cut message ends with, before its link. */
#define WEBHOOK_MORE "…（详见链接）"

static const char *const webhook_format_names[] = {
	"standard", "wecom", "dingtalk", "feishu"
};

/* Each event's name in the chat messages, and its Feishu card colour. */
static const struct {
	const char *event;
	const char *label;
	const char *colour;
} webhook_events[] = {
	{ "task.queued", "新任务", "blue" },
	{ "task.updated", "共性问题新增", "wathet" },
	{ "task.reminder", "认领提醒", "orange" },
	{ "task.escalated", "超期升级", "red" },
	{ "task.reopened", "重新办理", "yellow" },
};

static const struct {
	const char *name;
	const char *label;
} webhook_stages[] = {
	{ "claim", "认领" },
	{ "respond", "答复" },
	{ "resolve", "办结" },
};

/* A growing NUL-terminated string. */
struct webhook_text {
	char *s;
	size_t len;
	size_t cap;
};

static void
webhook_text_add(struct webhook_text *t, const char *s, size_t len)
{
	if (t->len + len + 1 > t->cap) {
		t->cap = (t->len + len + 1) * 2;
		t->s = xreallocarray(t->s, t->cap, 1);
	}
	memcpy(t->s + t->len, s, len);
	t->len += len;
	t->s[t->len] = '\0';
}

static void
webhook_text_puts(struct webhook_text *t, const char *s)
{
	webhook_text_add(t, s, strlen(s));
}

static void
webhook_text_printf(struct webhook_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
webhook_text_printf(struct webhook_text *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("webhook_text_printf: out of memory");
	webhook_text_add(t, s, n);
	free(s);
}

/*
 * Append s on one line: line breaks and tabs become spaces, so that a title
 * cannot start a heading or a list of its own in the markdown.
 */
static void
webhook_text_inline(struct webhook_text *t, const char *s)
{
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, "\r\n\t");
		webhook_text_add(t, s, n);
		s += n;
		if (*s != '\0') {
			webhook_text_add(t, " ", 1);
			s++;
		}
	}
}

/* Return the format named s, or -1. */
int
webhook_format_parse(const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof webhook_format_names /
	    sizeof webhook_format_names[0]; i++) {
		if (strcmp(s, webhook_format_names[i]) == 0)
			return (int)i;
	}
	return -1;
}

/* Return the name of format f, or "unknown". */
const char *
webhook_format_name(enum webhook_format f)
{
	if ((int)f < 0 || (size_t)f >= sizeof webhook_format_names /
	    sizeof webhook_format_names[0])
		return "unknown";
	return webhook_format_names[f];
}

/*
 * Write the Standard Webhooks message id of a delivery to buf (len bytes,
 * WEBHOOK_ID_SIZE is enough for any outbox entry id): "msg_" and the
 * delivery id ("1795813204245-0") with '-' turned into '_'. Return 0, or -1
 * with buf "" when the id is empty, does not fit or has a character other
 * than letters, digits, '-' and '_'.
 */
int
webhook_id(const char *delivery_id, char *buf, size_t len)
{
	size_t i, n;

	if (len == 0)
		return -1;
	*buf = '\0';
	n = strlen(delivery_id);
	if (n == 0 || n + 4 >= len)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)delivery_id[i]) &&
		    delivery_id[i] != '-' && delivery_id[i] != '_')
			return -1;
	}
	memcpy(buf, "msg_", 4);
	for (i = 0; i < n; i++)
		buf[4 + i] = delivery_id[i] == '-' ? '_' : delivery_id[i];
	buf[4 + n] = '\0';
	return 0;
}

/* Base64 of HMAC-SHA256(key, msg) into out; return 0 or -1. */
static int
webhook_hmac_base64(const void *key, size_t keylen, const void *msg,
    size_t msglen, char out[WEBHOOK_SIGN_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, md,
	    &mdlen) == NULL || mdlen != 32)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
	OPENSSL_cleanse(md, sizeof md);
	return 0;
}

/*
 * Decode a Standard Webhooks secret ("whsec_" and base64; the prefix may be
 * left out) into a new buffer, its length in *len. Return NULL if it is not
 * base64. The caller cleanses and frees the key.
 */
static unsigned char *
webhook_secret_key(const char *secret, size_t *len)
{
	unsigned char *key;
	char *b64;
	size_t n, pad = 0;
	int got;

	if (strncmp(secret, "whsec_", 6) == 0)
		secret += 6;
	n = strlen(secret);
	if (n == 0 || strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/=") != n)
		return NULL;
	/* EVP_DecodeBlock wants whole quanta: pad as needed. */
	b64 = xmalloc(n + 4);
	memcpy(b64, secret, n);
	while (n % 4 != 0)
		b64[n++] = '=';
	b64[n] = '\0';
	while (pad < 2 && pad < n && b64[n - 1 - pad] == '=')
		pad++;
	key = xmalloc(n / 4 * 3);
	got = EVP_DecodeBlock(key, (unsigned char *)b64, (int)n);
	OPENSSL_cleanse(b64, n);
	free(b64);
	if (got < 0 || (size_t)got < pad || (size_t)got - pad == 0) {
		free(key);
		return NULL;
	}
	*len = (size_t)got - pad;
	return key;
}

/*
 * Write the Standard Webhooks signature of a body to out: "v1," and the
 * base64 of HMAC-SHA256(key, msg_id + "." + timestamp + "." + body), where
 * key is the base64-decoded part of secret after "whsec_". Return 0, or -1
 * when the secret is not base64.
 */
int
webhook_sign_standard(const char *secret, const char *msg_id,
    time_t timestamp, const char *body, size_t bodylen,
    char out[WEBHOOK_SIGNATURE_SIZE])
{
	struct webhook_text msg = { NULL, 0, 0 };
	unsigned char *key;
	size_t keylen;
	int rc;

	if ((key = webhook_secret_key(secret, &keylen)) == NULL)
		return -1;
	webhook_text_printf(&msg, "%s.%lld.", msg_id, (long long)timestamp);
	webhook_text_add(&msg, body, bodylen);
	memcpy(out, "v1,", 3);
	rc = webhook_hmac_base64(key, keylen, msg.s, msg.len, out + 3);
	OPENSSL_cleanse(key, keylen);
	free(key);
	free(msg.s);
	return rc;
}

/*
 * Write DingTalk's sign for timestamp_ms to out: base64(HMAC-SHA256(key =
 * secret, msg = timestamp_ms + "\n" + secret)), not yet URL-encoded. Return
 * 0 or -1.
 */
int
webhook_sign_dingtalk(const char *secret, int64_t timestamp_ms,
    char out[WEBHOOK_SIGN_SIZE])
{
	char *msg;
	int rc, n;

	n = xasprintf(&msg, "%lld\n%s", (long long)timestamp_ms, secret);
	rc = webhook_hmac_base64(secret, strlen(secret), msg, n, out);
	OPENSSL_cleanse(msg, n);
	free(msg);
	return rc;
}

/*
 * Write Feishu's sign for timestamp (seconds) to out: base64(HMAC-SHA256(
 * key = timestamp + "\n" + secret, msg = "")). Return 0 or -1.
 */
int
webhook_sign_feishu(const char *secret, time_t timestamp,
    char out[WEBHOOK_SIGN_SIZE])
{
	char *key;
	int rc, n;

	n = xasprintf(&key, "%lld\n%s", (long long)timestamp, secret);
	rc = webhook_hmac_base64(key, n, "", 0, out);
	OPENSSL_cleanse(key, n);
	free(key);
	return rc;
}

/* Percent-encode base64 text: only '+', '/' and '=' need it. */
static void
webhook_text_base64_escaped(struct webhook_text *t, const char *b64)
{
	for (; *b64 != '\0'; b64++) {
		if (*b64 == '+')
			webhook_text_puts(t, "%2B");
		else if (*b64 == '/')
			webhook_text_puts(t, "%2F");
		else if (*b64 == '=')
			webhook_text_puts(t, "%3D");
		else
			webhook_text_add(t, b64, 1);
	}
}

/* The string member name of obj, or NULL. */
static const char *
webhook_string(const cJSON *obj, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj,
	    name));
}

/* The string member name of obj, else fallback's, else "". */
static const char *
webhook_name(const cJSON *obj, const char *name, const char *fallback)
{
	const char *s;

	if ((s = webhook_string(obj, name)) != NULL && *s != '\0')
		return s;
	if ((s = webhook_string(obj, fallback)) != NULL)
		return s;
	return "";
}

/* What a category, stage or event is called in Chinese, or the name. */
static const char *
webhook_label(const char *name, int what)
{
	size_t i;

	if (what == 0) {
		return rules_category_label(name);
	} else if (what == 1) {
		for (i = 0; i < sizeof webhook_stages /
		    sizeof webhook_stages[0]; i++)
			if (strcmp(name, webhook_stages[i].name) == 0)
				return webhook_stages[i].label;
	} else {
		for (i = 0; i < sizeof webhook_events /
		    sizeof webhook_events[0]; i++)
			if (strcmp(name, webhook_events[i].event) == 0)
				return webhook_events[i].label;
	}
	return name;
}

/* The Feishu card colour of an event. */
static const char *
webhook_colour(const char *event)
{
	size_t i;

	for (i = 0; i < sizeof webhook_events / sizeof webhook_events[0]; i++)
		if (strcmp(event, webhook_events[i].event) == 0)
			return webhook_events[i].colour;
	return "grey";
}

/*
 * Append the distinct non-empty values of issues[i].name (or .fallback)
 * joined by "、"; at most max of them, then "等 N 家" (unit) when more.
 * Return how many there are.
 */
static size_t
webhook_text_distinct(struct webhook_text *t, const cJSON *issues,
    const char *name, const char *fallback, int what, size_t max,
    const char *unit)
{
	const cJSON *a, *b;
	const char *v, *w;
	size_t n = 0;
	int seen;

	cJSON_ArrayForEach(a, issues) {
		v = webhook_name(a, name, fallback);
		if (*v == '\0')
			continue;
		seen = 0;
		cJSON_ArrayForEach(b, issues) {
			if (b == a)
				break;
			w = webhook_name(b, name, fallback);
			if (strcmp(v, w) == 0) {
				seen = 1;
				break;
			}
		}
		if (seen)
			continue;
		if (n < max) {
			if (n > 0)
				webhook_text_puts(t, "、");
			webhook_text_inline(t, what >= 0 ? webhook_label(v,
			    what) : v);
		}
		n++;
	}
	if (n > max)
		webhook_text_printf(t, " 等 %zu %s", n, unit);
	return n;
}

/* "2026-11-27T23:59:59.000+08:00" as "2026-11-27 23:59"; else as it is. */
static void
webhook_text_deadline(struct webhook_text *t, const char *iso)
{
	if (strlen(iso) >= 16 && iso[10] == 'T') {
		webhook_text_add(t, iso, 10);
		webhook_text_puts(t, " ");
		webhook_text_add(t, iso + 11, 5);
	} else
		webhook_text_inline(t, iso);
}

/*
 * Append one message's heading: "【新任务】" and the topics. The Feishu card
 * carries it in its header instead.
 */
static void
webhook_text_heading(struct webhook_text *t, const struct webhook_message *m)
{
	const cJSON *issues;

	issues = cJSON_GetObjectItemCaseSensitive(m->data, "issues");
	webhook_text_puts(t, "【");
	webhook_text_inline(t, webhook_label(m->event, 2));
	webhook_text_puts(t, "】");
	webhook_text_distinct(t, issues, "topic_name", "topic", -1, 3, "项");
}

/* Append one markdown line "**label**：" ... closed by webhook_text_eol. */
static void
webhook_text_field(struct webhook_text *t, const char *label)
{
	webhook_text_printf(t, "**%s**：", label);
}

/* End a line; DingTalk wants a blank line to break one. */
static void
webhook_text_eol(struct webhook_text *t, enum webhook_format f)
{
	webhook_text_puts(t, f == WEBHOOK_DINGTALK ? "\n\n" : "\n");
}

/* Append the markdown of one message (without its link). */
static void
webhook_text_message(struct webhook_text *t, enum webhook_format f,
    const struct webhook_message *m, int heading)
{
	const cJSON *task, *issues, *issue;
	const char *s, *deadline;
	size_t i = 0;

	task = cJSON_GetObjectItemCaseSensitive(m->data, "task");
	issues = cJSON_GetObjectItemCaseSensitive(m->data, "issues");
	if (heading) {
		webhook_text_puts(t, "### ");
		webhook_text_heading(t, m);
		webhook_text_eol(t, f);
	}
	if ((s = webhook_string(task, "id")) != NULL) {
		webhook_text_field(t, "任务");
		webhook_text_inline(t, s);
		webhook_text_eol(t, f);
	}
	webhook_text_field(t, "类别");
	webhook_text_distinct(t, issues, "category", "category", 0, 3, "类");
	webhook_text_eol(t, f);
	webhook_text_field(t, "企业");
	webhook_text_distinct(t, issues, "enterprise_name", "enterprise", -1,
	    WEBHOOK_ENTERPRISES_SHOWN, "家");
	webhook_text_eol(t, f);
	webhook_text_field(t, "联络员");
	webhook_text_distinct(t, issues, "officer_name", "officer", -1,
	    WEBHOOK_ENTERPRISES_SHOWN, "人");
	webhook_text_eol(t, f);
	deadline = webhook_string(task, "deadline");
	if (deadline == NULL && cJSON_IsArray(issues))
		deadline = webhook_string(cJSON_GetArrayItem(issues, 0),
		    "deadline");
	if (deadline != NULL) {
		webhook_text_field(t, "办理期限");
		webhook_text_deadline(t, deadline);
		webhook_text_eol(t, f);
	}
	if ((s = webhook_string(task, "overdue")) != NULL) {
		webhook_text_field(t, "超期环节");
		webhook_text_inline(t, webhook_label(s, 1));
		webhook_text_eol(t, f);
	}
	if (cJSON_GetArraySize(issues) == 0)
		return;
	webhook_text_field(t, "问题");
	webhook_text_eol(t, f);
	cJSON_ArrayForEach(issue, issues) {
		webhook_text_printf(t, "%zu. ", ++i);
		s = webhook_name(issue, "enterprise_name", "enterprise");
		if (*s != '\0') {
			webhook_text_inline(t, s);
			webhook_text_puts(t, "：");
		}
		webhook_text_inline(t, webhook_name(issue, "title", "id"));
		webhook_text_eol(t, f);
	}
}

/* The link of a message: its links.task, or NULL. */
static const char *
webhook_message_link(const struct webhook_message *m)
{
	return webhook_string(cJSON_GetObjectItemCaseSensitive(m->data,
	    "links"), "task");
}

/*
 * Cut text in place to at most max bytes at a character boundary (at the
 * last line end when one is in the second half), ending it with "…（详见链接）"
 * and the link, which always survives when the ending fits at all.
 */
static void
webhook_text_cut(struct webhook_text *t, const char *link, size_t max)
{
	struct webhook_text end = { NULL, 0, 0 };
	size_t keep, i;

	if (t->len <= max)
		return;
	webhook_text_puts(&end, WEBHOOK_MORE);
	if (link != NULL)
		webhook_text_printf(&end, "[%s](%s)", link, link);
	if (end.len > max) {
		t->len = utf8_prefix(t->s, t->len, max);
		t->s[t->len] = '\0';
		free(end.s);
		return;
	}
	keep = utf8_prefix(t->s, t->len, max - end.len);
	for (i = keep; i > keep / 2; i--) {
		if (t->s[i - 1] == '\n') {
			keep = i;
			break;
		}
	}
	t->len = keep;
	webhook_text_add(t, end.s, end.len);
	free(end.s);
}

/*
 * Return the markdown of n messages for a chat robot of format f (the
 * heading left out for Feishu, whose card header holds it), at most max
 * bytes, ending with link (or the single message's links.task) as
 * "[查看任务](link)", or with "…（详见链接）" and the link when cut. Several
 * messages are one after another under "### N 条新消息". The caller frees.
 */
char *
webhook_markdown(enum webhook_format f, const struct webhook_message *msgs,
    size_t n, const char *link, size_t max)
{
	struct webhook_text t = { NULL, 0, 0 };
	size_t i;

	webhook_text_add(&t, "", 0);
	if (link == NULL && n == 1)
		link = webhook_message_link(&msgs[0]);
	if (link != NULL && *link == '\0')
		link = NULL;
	if (n > 1) {
		webhook_text_printf(&t, "### %zu 条新消息", n);
		webhook_text_eol(&t, f);
	}
	for (i = 0; i < n; i++) {
		if (n > 1) {
			webhook_text_puts(&t, "#### ");
			webhook_text_heading(&t, &msgs[i]);
			webhook_text_eol(&t, f);
		}
		webhook_text_message(&t, f, &msgs[i], n == 1 &&
		    f != WEBHOOK_FEISHU);
	}
	if (link != NULL)
		webhook_text_printf(&t, "[查看任务](%s)", link);
	webhook_text_cut(&t, link, max);
	return t.s;
}

/* Add a "Name: value" header to r. */
static void
webhook_request_header(struct webhook_request *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
webhook_request_header(struct webhook_request *r, const char *fmt, ...)
{
	va_list ap;

	r->headers = xreallocarray(r->headers, r->nheaders + 1,
	    sizeof *r->headers);
	va_start(ap, fmt);
	if (vasprintf(&r->headers[r->nheaders], fmt, ap) < 0)
		fatalx("webhook_request_header: out of memory");
	va_end(ap);
	r->nheaders++;
}

/* Print obj into r's body and free obj. */
static void
webhook_request_body(struct webhook_request *r, cJSON *obj)
{
	free(r->body);
	if ((r->body = cJSON_PrintUnformatted(obj)) == NULL)
		fatalx("webhook_request_body: cJSON_PrintUnformatted failed");
	r->bodylen = strlen(r->body);
	cJSON_Delete(obj);
}

/* The time of an event from its outbox entry id ("<ms>-<seq>"), or dflt. */
static int64_t
webhook_event_ms(const char *delivery_id, int64_t dflt)
{
	char *end;
	long long ms;

	ms = strtoll(delivery_id, &end, 10);
	if (end == delivery_id || *end != '-' || ms <= 0)
		return dflt;
	return ms;
}

/* The standard format: the event itself, signed. */
static int
webhook_build_standard(const struct department *d,
    const struct webhook_message *m, const char *msg_id, const char *delivery_id,
    time_t now_s, int64_t now_ms, struct webhook_request *r, char **cause)
{
	char when[32], signature[WEBHOOK_SIGNATURE_SIZE];
	cJSON *obj;

	if (d->webhook_secret == NULL) {
		xasprintf(cause, "department %s: the standard format needs a "
		    "secret", d->id);
		return -1;
	}
	time_iso8601(webhook_event_ms(delivery_id, now_ms), when);
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "type", m->event);
	cJSON_AddStringToObject(obj, "timestamp", when);
	cJSON_AddItemToObject(obj, "data", m->data != NULL ?
	    cJSON_Duplicate(m->data, 1) : cJSON_CreateObject());
	webhook_request_body(r, obj);
	if (webhook_sign_standard(d->webhook_secret, msg_id, now_s, r->body,
	    r->bodylen, signature) != 0) {
		xasprintf(cause, "department %s: the secret is not base64",
		    d->id);
		return -1;
	}
	r->url = xstrdup(d->webhook_url);
	webhook_request_header(r, "Content-Type: application/json");
	webhook_request_header(r, "webhook-id: %s", msg_id);
	webhook_request_header(r, "webhook-timestamp: %lld",
	    (long long)now_s);
	webhook_request_header(r, "webhook-signature: %s", signature);
	return 0;
}

/* WeCom: {"msgtype":"markdown","markdown":{"content"}}. */
static void
webhook_build_wecom(const struct department *d,
    const struct webhook_message *msgs, size_t n, const char *link,
    struct webhook_request *r)
{
	cJSON *obj, *md;
	char *text;

	text = webhook_markdown(WEBHOOK_WECOM, msgs, n, link,
	    WEBHOOK_WECOM_MAX);
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "msgtype", "markdown");
	md = cJSON_AddObjectToObject(obj, "markdown");
	cJSON_AddStringToObject(md, "content", text);
	free(text);
	webhook_request_body(r, obj);
	r->url = xstrdup(d->webhook_url);
}

/* The title of a chat message: the one heading, or "N 条新消息". */
static char *
webhook_title(const struct webhook_message *msgs, size_t n)
{
	struct webhook_text t = { NULL, 0, 0 };

	if (n == 1)
		webhook_text_heading(&t, &msgs[0]);
	else
		webhook_text_printf(&t, "%zu 条新消息", n);
	/* A title is one line in a notification: keep it short. */
	t.len = utf8_prefix(t.s, t.len, 200);
	t.s[t.len] = '\0';
	return t.s;
}

/* DingTalk: markdown with a title; signed in the query string. */
static int
webhook_build_dingtalk(const struct department *d,
    const struct webhook_message *msgs, size_t n, const char *link,
    int64_t now_ms, struct webhook_request *r, char **cause)
{
	struct webhook_text url = { NULL, 0, 0 };
	char sign[WEBHOOK_SIGN_SIZE], *text, *title;
	cJSON *obj, *md;

	webhook_text_puts(&url, d->webhook_url);
	if (d->webhook_secret != NULL) {
		if (webhook_sign_dingtalk(d->webhook_secret, now_ms,
		    sign) != 0) {
			free(url.s);
			xasprintf(cause, "department %s: HMAC failed", d->id);
			return -1;
		}
		webhook_text_printf(&url, "%ctimestamp=%lld&sign=",
		    strchr(d->webhook_url, '?') != NULL ? '&' : '?',
		    (long long)now_ms);
		webhook_text_base64_escaped(&url, sign);
	}
	text = webhook_markdown(WEBHOOK_DINGTALK, msgs, n, link,
	    WEBHOOK_DINGTALK_MAX);
	title = webhook_title(msgs, n);
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "msgtype", "markdown");
	md = cJSON_AddObjectToObject(obj, "markdown");
	cJSON_AddStringToObject(md, "title", title);
	cJSON_AddStringToObject(md, "text", text);
	free(title);
	free(text);
	webhook_request_body(r, obj);
	r->url = url.s;
	return 0;
}

/* The Feishu body with the markdown cut to max bytes. */
static cJSON *
webhook_feishu_body(const struct webhook_message *msgs, size_t n,
    const char *link, const char *timestamp, const char *sign, size_t max)
{
	cJSON *obj, *card, *header, *title, *elements, *element;
	char *text, *heading;

	obj = cJSON_CreateObject();
	if (sign != NULL) {
		cJSON_AddStringToObject(obj, "timestamp", timestamp);
		cJSON_AddStringToObject(obj, "sign", sign);
	}
	cJSON_AddStringToObject(obj, "msg_type", "interactive");
	card = cJSON_AddObjectToObject(obj, "card");
	cJSON_AddBoolToObject(cJSON_AddObjectToObject(card, "config"),
	    "wide_screen_mode", 1);
	header = cJSON_AddObjectToObject(card, "header");
	title = cJSON_AddObjectToObject(header, "title");
	cJSON_AddStringToObject(title, "tag", "plain_text");
	heading = webhook_title(msgs, n);
	cJSON_AddStringToObject(title, "content", heading);
	free(heading);
	cJSON_AddStringToObject(header, "template", n == 1 ?
	    webhook_colour(msgs[0].event) : "blue");
	elements = cJSON_AddArrayToObject(card, "elements");
	element = cJSON_CreateObject();
	cJSON_AddStringToObject(element, "tag", "markdown");
	text = webhook_markdown(WEBHOOK_FEISHU, msgs, n, link, max);
	cJSON_AddStringToObject(element, "content", text);
	free(text);
	cJSON_AddItemToArray(elements, element);
	return obj;
}

/*
 * Feishu: an interactive card; signed in the body. The limit is on the
 * whole body, so the markdown shrinks by what the body is over until it
 * fits (JSON escapes make the body longer than the text).
 */
static int
webhook_build_feishu(const struct department *d,
    const struct webhook_message *msgs, size_t n, const char *link,
    time_t now_s, struct webhook_request *r, char **cause)
{
	char sign[WEBHOOK_SIGN_SIZE], timestamp[32];
	size_t max = WEBHOOK_FEISHU_MAX;

	snprintf(timestamp, sizeof timestamp, "%lld", (long long)now_s);
	if (d->webhook_secret != NULL &&
	    webhook_sign_feishu(d->webhook_secret, now_s, sign) != 0) {
		xasprintf(cause, "department %s: HMAC failed", d->id);
		return -1;
	}
	for (;;) {
		webhook_request_body(r, webhook_feishu_body(msgs, n, link,
		    timestamp, d->webhook_secret != NULL ? sign : NULL, max));
		if (r->bodylen <= WEBHOOK_FEISHU_MAX || max == 0)
			break;
		max -= r->bodylen - WEBHOOK_FEISHU_MAX < max ?
		    r->bodylen - WEBHOOK_FEISHU_MAX : max;
	}
	r->url = xstrdup(d->webhook_url);
	return 0;
}

/*
 * Build the request of one attempt to deliver n messages (events) to
 * department d, in d's format, into out (zeroed first; free its contents
 * with webhook_request_free, also after a failure).
 *
 * delivery_id is the outbox entry id of the (first) event: it gives the
 * webhook-id, the same on every attempt, and the event time in the standard
 * body's "timestamp". now_s and now_ms are the time of this attempt: the
 * webhook-timestamp header and Feishu's timestamp (seconds), DingTalk's
 * timestamp (milliseconds). link, when not NULL, replaces the single
 * message's links.task at the end of the markdown (for several messages,
 * pass the department's page).
 *
 * The standard format takes exactly one message; the chat robots take any
 * number, merged into one message (a burst to one group). Return 0, or -1
 * with *cause set (the caller frees it): no URL, an unknown format, no
 * secret for the standard format, a bad delivery id.
 */
int
webhook_build_merged(const struct department *d,
    const struct webhook_message *msgs, size_t n, const char *delivery_id,
    time_t now_s, int64_t now_ms, const char *link,
    struct webhook_request *out, char **cause)
{
	char msg_id[WEBHOOK_ID_SIZE];
	int format;

	*cause = NULL;
	memset(out, 0, sizeof *out);
	if (d->webhook_url == NULL) {
		xasprintf(cause, "department %s has no webhook", d->id);
		return -1;
	}
	if ((format = webhook_format_parse(d->webhook_format)) == -1) {
		xasprintf(cause, "department %s: unknown webhook format", d->id);
		return -1;
	}
	if (n == 0 || (format == WEBHOOK_STANDARD && n != 1)) {
		xasprintf(cause, "department %s: %zu messages for the %s format",
		    d->id, n, webhook_format_name(format));
		return -1;
	}
	if (webhook_id(delivery_id, msg_id, sizeof msg_id) != 0) {
		xasprintf(cause, "bad delivery id \"%s\"", delivery_id);
		return -1;
	}
	switch (format) {
	case WEBHOOK_STANDARD:
		return webhook_build_standard(d, &msgs[0], msg_id, delivery_id,
		    now_s, now_ms, out, cause);
	case WEBHOOK_WECOM:
		webhook_build_wecom(d, msgs, n, link, out);
		break;
	case WEBHOOK_DINGTALK:
		if (webhook_build_dingtalk(d, msgs, n, link, now_ms, out,
		    cause) != 0)
			return -1;
		break;
	case WEBHOOK_FEISHU:
		if (webhook_build_feishu(d, msgs, n, link, now_s, out,
		    cause) != 0)
			return -1;
		break;
	}
	webhook_request_header(out, "Content-Type: application/json");
	return 0;
}

/* Build the request for one event; see webhook_build_merged. */
int
webhook_build(const struct department *d, const char *event,
    const char *delivery_id, time_t now_s, int64_t now_ms, const cJSON *data,
    const char *link, struct webhook_request *out, char **cause)
{
	struct webhook_message m;

	m.event = event;
	m.data = data;
	return webhook_build_merged(d, &m, 1, delivery_id, now_s, now_ms, link,
	    out, cause);
}

/* Free what a request holds (not the struct itself); it may be zeroed. */
void
webhook_request_free(struct webhook_request *r)
{
	size_t i;

	free(r->url);
	free(r->body);
	for (i = 0; i < r->nheaders; i++)
		free(r->headers[i]);
	free(r->headers);
	memset(r, 0, sizeof *r);
}

/*
 * Return the seconds a Retry-After value asks to wait at time now: a number
 * of seconds, or an HTTP date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37
 * GMT"; a date past is 0). At most WEBHOOK_DELAY_MAX; -1 when value is NULL
 * or neither.
 */
int
webhook_retry_after(const char *value, time_t now)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p;
	char wday[4], mon[4], zone[4];
	struct tm tm;
	long long secs;
	time_t t;
	int n = 0;

	if (value == NULL)
		return -1;
	value += strspn(value, " \t");
	if (*value >= '0' && *value <= '9') {
		for (secs = 0, p = value; *p >= '0' && *p <= '9'; p++) {
			if (secs <= WEBHOOK_DELAY_MAX)
				secs = secs * 10 + (*p - '0');
		}
		if (p[strspn(p, " \t")] != '\0')
			return -1;
		return secs > WEBHOOK_DELAY_MAX ? WEBHOOK_DELAY_MAX : (int)secs;
	}
	memset(&tm, 0, sizeof tm);
	if (sscanf(value, "%3s, %d %3s %d %d:%d:%d %3s%n", wday, &tm.tm_mday,
	    mon, &tm.tm_year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, zone,
	    &n) != 8 || strlen(wday) != 3 || strcmp(zone, "GMT") != 0 ||
	    value[n + strspn(value + n, " \t")] != '\0' || strlen(mon) != 3 ||
	    (p = strstr(months, mon)) == NULL || (p - months) % 3 != 0)
		return -1;
	tm.tm_mon = (int)(p - months) / 3;
	tm.tm_year -= 1900;
	if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 70)
		return -1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	if (t <= now)
		return 0;
	return t - now > WEBHOOK_DELAY_MAX ? WEBHOOK_DELAY_MAX : (int)(t - now);
}

/* Copy a robot's errmsg into buf as printable one-line text. */
static void
webhook_errmsg(const char *msg, char *buf, size_t len)
{
	size_t n, i;

	n = utf8_prefix(msg, strlen(msg), len - 1 < WEBHOOK_ERRMSG_MAX ?
	    len - 1 : WEBHOOK_ERRMSG_MAX);
	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)msg[i] < 0x20 ? ' ' : msg[i];
	buf[n] = '\0';
}

/* The robots' rate-limit codes: retried after a minute. */
static int
webhook_rate_limited(enum webhook_format f, long long code)
{
	return (f == WEBHOOK_WECOM && code == 45009) ||
	    (f == WEBHOOK_DINGTALK && code == 130101) ||
	    (f == WEBHOOK_FEISHU && code == 11232);
}

/* The verdict of a chat robot's HTTP 2xx: its errcode or code. */
static enum webhook_verdict
webhook_verdict_robot(enum webhook_format f, const struct webhook_response *r,
    int retry_after, int *delay_s, char *error, size_t errlen)
{
	const char *field = f == WEBHOOK_FEISHU ? "code" : "errcode";
	const cJSON *root, *code, *msg;
	char text[WEBHOOK_ERRMSG_MAX + 1];
	enum webhook_verdict v;
	long long c;

	root = r->body != NULL ? cJSON_ParseWithLength(r->body, r->bodylen) :
	    NULL;
	code = cJSON_GetObjectItemCaseSensitive(root, field);
	if (code == NULL && f == WEBHOOK_FEISHU)
		code = cJSON_GetObjectItemCaseSensitive(root, "StatusCode");
	if (!cJSON_IsNumber(code)) {
		snprintf(error, errlen, "HTTP %ld without %s", r->status,
		    field);
		cJSON_Delete((cJSON *)root);
		return WEBHOOK_RETRY;
	}
	/* Any code outside what a long long holds is just "not 0". */
	c = code->valuedouble > -1e15 && code->valuedouble < 1e15 ?
	    (long long)code->valuedouble : 1;
	msg = cJSON_GetObjectItemCaseSensitive(root, f == WEBHOOK_FEISHU ?
	    "msg" : "errmsg");
	webhook_errmsg(cJSON_IsString(msg) ? msg->valuestring : "", text,
	    sizeof text);
	cJSON_Delete((cJSON *)root);
	if (c == 0)
		return WEBHOOK_DELIVERED;
	if (webhook_rate_limited(f, c)) {
		*delay_s = retry_after > WEBHOOK_RATE_LIMIT_DELAY ? retry_after :
		    WEBHOOK_RATE_LIMIT_DELAY;
		snprintf(error, errlen, "%s %lld rate limited", field, c);
		return WEBHOOK_RETRY;
	}
	/* WeCom and DingTalk say -1 for "system busy, try again later". */
	v = c == -1 && f != WEBHOOK_FEISHU ? WEBHOOK_RETRY : WEBHOOK_DEAD;
	if (*text != '\0')
		snprintf(error, errlen, "%s %lld %s", field, c, text);
	else
		snprintf(error, errlen, "%s %lld", field, c);
	return v;
}

/*
 * Judge the answer to one attempt to format f's endpoint at time now.
 *
 *   no answer (status 0: network error, timeout)      retry
 *   2xx: standard                                     delivered
 *   2xx: robots, errcode (Feishu: code) 0              delivered
 *   2xx: robots, rate-limit code (WeCom 45009,
 *        DingTalk 130101, Feishu 11232)               retry, >= 60 s
 *   2xx: WeCom/DingTalk errcode -1 (busy), or none    retry
 *   2xx: robots, any other code                       dead
 *   408, 5xx, 1xx, 3xx                                retry
 *   429                                               retry (robots >= 60 s)
 *   410                                               gone (dead, and the
 *                                                     endpoint is disabled)
 *   other 4xx                                         dead
 *
 * *delay_s is set to the least wait the endpoint asked for (Retry-After on
 * 429 and 503, a minute after a robot's rate limit), or -1 when it asked
 * for nothing; the caller waits the larger of it and the schedule's delay.
 * error gets a short text for the attempt's record ("" when delivered):
 * "HTTP 500", "errcode 45009 rate limited", "timeout" ...
 */
enum webhook_verdict
webhook_verdict(enum webhook_format f, const struct webhook_response *r,
    time_t now, int *delay_s, char *error, size_t errlen)
{
	int retry_after;

	*delay_s = -1;
	if (r->status == 0) {
		/* error may be the very buffer r->error points to. */
		if (r->error != error)
			snprintf(error, errlen, "%s", r->error != NULL &&
			    *r->error != '\0' ? r->error : "network error");
		return WEBHOOK_RETRY;
	}
	*error = '\0';
	retry_after = webhook_retry_after(r->retry_after, now);
	if (r->status >= 200 && r->status <= 299) {
		if (f == WEBHOOK_STANDARD)
			return WEBHOOK_DELIVERED;
		return webhook_verdict_robot(f, r, retry_after, delay_s, error,
		    errlen);
	}
	snprintf(error, errlen, "HTTP %ld", r->status);
	if (r->status == 410)
		return WEBHOOK_GONE;
	if (r->status == 429) {
		*delay_s = retry_after;
		if (f != WEBHOOK_STANDARD &&
		    *delay_s < WEBHOOK_RATE_LIMIT_DELAY)
			*delay_s = WEBHOOK_RATE_LIMIT_DELAY;
		return WEBHOOK_RETRY;
	}
	if (r->status == 503)
		*delay_s = retry_after;
	if (r->status == 408 || r->status >= 500 || r->status < 200 ||
	    (r->status >= 300 && r->status <= 399))
		return WEBHOOK_RETRY;
	return WEBHOOK_DEAD;
}

/* The name of a verdict: delivered, retry, dead, gone. */
const char *
webhook_verdict_name(enum webhook_verdict v)
{
	switch (v) {
	case WEBHOOK_DELIVERED:
		return "delivered";
	case WEBHOOK_RETRY:
		return "retry";
	case WEBHOOK_DEAD:
		return "dead";
	case WEBHOOK_GONE:
		return "gone";
	}
	return "unknown";
}

/*
 * Return the seconds to wait before attempt number attempt (0-based:
 * attempt 0 is the first, at schedule[0]; after it fails, attempt 1 waits
 * schedule[1]), with ±20 % jitter: jitter01 in [0, 1) maps to a factor
 * from 0.8 to 1.2, rounded to whole seconds. Return -1 when attempt is past
 * the schedule: the delivery is dead.
 */
int
webhook_next_delay(const int *schedule, int n, int attempt, double jitter01)
{
	double d;

	if (attempt < 0 || attempt >= n)
		return -1;
	if (!(jitter01 >= 0.0))
		jitter01 = 0.0;
	if (jitter01 >= 1.0)
		jitter01 = 0.999999;
	d = schedule[attempt] * (0.8 + 0.4 * jitter01);
	return (int)(d + 0.5);
}

/* Append to a bounded output, always NUL-terminated. */
struct webhook_out {
	char *s;
	size_t len;
	size_t used;
};

static void
webhook_out_add(struct webhook_out *o, const char *s, size_t n)
{
	if (o->len == 0)
		return;
	if (n > o->len - 1 - o->used)
		n = o->len - 1 - o->used;
	memcpy(o->s + o->used, s, n);
	o->used += n;
	o->s[o->used] = '\0';
}

/* Prefixes of paths whose next segment is a token (Feishu, Lark). */
static const char *const webhook_token_paths[] = {
	"/open-apis/bot/v2/hook/",
	"/open-apis/bot/hook/",
};

/*
 * Write url to out (len bytes, NUL-terminated, cut when too long) with its
 * secrets replaced by "***": user information, every query value
 * (WeCom's key, DingTalk's access_token, timestamp and sign ...), the
 * fragment, and the token segment of a Feishu or Lark hook path
 * (/open-apis/bot/v2/hook/<token>). Fit for logs and the deliveries API.
 */
void
webhook_redact_url(const char *url, char *out, size_t len)
{
	struct webhook_out o = { out, len, 0 };
	const char *p, *auth, *at, *end, *path;
	size_t n, i, plen;

	if (len > 0)
		*out = '\0';
	if ((p = strstr(url, "://")) == NULL) {
		webhook_out_add(&o, "***", 3);
		return;
	}
	auth = p + 3;
	webhook_out_add(&o, url, auth - url);
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', end - auth);
	if (at != NULL) {
		webhook_out_add(&o, "***@", 4);
		auth = at + 1;
	}
	webhook_out_add(&o, auth, end - auth);
	path = end;
	plen = strcspn(path, "?#");
	for (i = 0; i < sizeof webhook_token_paths /
	    sizeof webhook_token_paths[0]; i++) {
		n = strlen(webhook_token_paths[i]);
		if (plen > n && strncmp(path, webhook_token_paths[i], n) == 0) {
			webhook_out_add(&o, path, n);
			webhook_out_add(&o, "***", 3);
			path += n;
			path += strcspn(path, "/?#");
			plen = strcspn(path, "?#");
			break;
		}
	}
	webhook_out_add(&o, path, plen);
	p = path + plen;
	if (*p == '?') {
		webhook_out_add(&o, "?", 1);
		for (p++; *p != '\0' && *p != '#'; ) {
			n = strcspn(p, "&#");
			end = memchr(p, '=', n);
			if (end != NULL)
				webhook_out_add(&o, p, end - p + 1);
			if (n > 0)
				webhook_out_add(&o, "***", 3);
			p += n;
			if (*p == '&')
				webhook_out_add(&o, p++, 1);
		}
	}
	if (*p == '#')
		webhook_out_add(&o, "#***", 4);
}
