/*
 * webhook_dingtalk.c -- the "dingtalk" webhook format: a DingTalk (钉钉)
 * custom robot.
 *
 * The body is {"msgtype":"markdown","markdown":{"title","text"}}, the text
 * at most 20,000 bytes; DingTalk breaks a line only at a blank line. With
 * a secret, the URL gets timestamp (milliseconds) and sign =
 * urlencode(base64(HMAC-SHA256(key = secret, msg = timestamp + "\n" +
 * secret))). The robot takes about 20 messages a minute and locks itself
 * for 10 minutes beyond that, so an endpoint is paced and a burst goes as
 * one message; it answers HTTP 200 with errcode, 130101 when rate limited
 * and -1 when busy.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"

/* Bytes of markdown text DingTalk takes. */
#define WEBHOOK_DINGTALK_MAX 20000

/* errcode 0, or 130101 when rate limited, -1 when busy. */
static const struct webhook_robot_answer webhook_dingtalk_answer = {
	"errcode", NULL, "errmsg", 130101, -1
};

/*
 * Write the sign for a->now_ms to out: base64(HMAC-SHA256(key = secret,
 * msg = now_ms + "\n" + secret)), not yet URL-encoded; the body is not
 * signed. Return 0 or -1.
 */
static int
webhook_dingtalk_sign(const char *secret, const struct webhook_attempt *a,
    const char *body, size_t bodylen, char out[WEBHOOK_SIGNATURE_SIZE])
{
	return webhook_backend_sign_timestamp(secret, a->now_ms, 0, out);
}

/* Percent-encode base64 text into out: only '+', '/' and '=' need it. */
static void
webhook_dingtalk_escape(const char *b64, char out[WEBHOOK_SIGNATURE_SIZE * 3])
{
	for (; *b64 != '\0'; b64++) {
		if (*b64 == '+')
			out = stpcpy(out, "%2B");
		else if (*b64 == '/')
			out = stpcpy(out, "%2F");
		else if (*b64 == '=')
			out = stpcpy(out, "%3D");
		else
			*out++ = *b64;
	}
	*out = '\0';
}

/* Markdown with a title; with a secret, signed in the query string. */
static int
webhook_dingtalk_build(const struct webhook_backend *b,
    const struct webhook_attempt *a, struct webhook_request *r, char **cause)
{
	const struct department *d = a->department;
	char sign[WEBHOOK_SIGNATURE_SIZE], escaped[sizeof sign * 3];
	char *text, *title;
	cJSON *obj, *md;

	if (d->webhook_secret != NULL) {
		if (webhook_dingtalk_sign(d->webhook_secret, a, NULL, 0,
		    sign) != 0) {
			xasprintf(cause, "department %s: HMAC failed", d->id);
			return -1;
		}
		webhook_dingtalk_escape(sign, escaped);
		free(r->url);
		xasprintf(&r->url, "%s%ctimestamp=%lld&sign=%s", d->webhook_url,
		    strchr(d->webhook_url, '?') != NULL ? '&' : '?',
		    (long long)a->now_ms, escaped);
	}
	text = webhook_markdown(WEBHOOK_MARKDOWN_BLANK_LINES, a->msgs, a->n,
	    a->link, b->max_bytes);
	title = webhook_markdown_title(a->msgs, a->n);
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "msgtype", "markdown");
	md = cJSON_AddObjectToObject(obj, "markdown");
	cJSON_AddStringToObject(md, "title", title);
	cJSON_AddStringToObject(md, "text", text);
	free(title);
	free(text);
	webhook_backend_body(r, obj);
	return 0;
}

const struct webhook_backend webhook_dingtalk_backend = {
	.name = "dingtalk",
	.max_bytes = WEBHOOK_DINGTALK_MAX,
	.pace_ms = 3500,                /* 20 a minute is 3 s; and a margin */
	.merge = 1,
	.rate_limit_delay_s = 60,
	.token_paths = NULL,
	.build = webhook_dingtalk_build,
	.sign = webhook_dingtalk_sign,
	.verdict = webhook_verdict_robot,
	.answer = &webhook_dingtalk_answer,
};
