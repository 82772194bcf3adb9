/*
 * webhook_verdict.c -- what an endpoint's answer to one attempt means:
 * delivered, try again (and not before when), or never again.
 *
 * The HTTP status decides for every format alike; an HTTP 2xx is left to
 * the format's backend (its verdict operation), because the chat robots
 * answer 200 even when they refuse a message: WeCom and DingTalk say so in
 * errcode, Feishu in code. Their way of answering is one and the same, so
 * webhook_verdict_robot reads it for all three from a description of the
 * fields and codes each uses (struct webhook_robot_answer).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "liaison.h"

/* Longest error text of the verdict taken from a robot's errmsg. */
#define WEBHOOK_VERDICT_ERRMSG_MAX 80

/*
 * Judge the answer to one attempt to backend b's endpoint at time now.
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
 * The 2xx rows are the backends' verdict operations (webhook_standard.c,
 * and webhook_verdict_robot with each robot's codes); the robots' 60 s is
 * their rate_limit_delay_s. *delay_s is set to the least wait the endpoint
 * asked for (Retry-After on 429 and 503, a minute after a robot's rate
 * limit), or -1 when it asked for nothing; the caller waits the larger of
 * it and the schedule's delay. error gets a short text for the attempt's
 * record ("" when delivered): "HTTP 500", "errcode 45009 rate limited",
 * "timeout" ... b may be NULL only when nothing was sent (status 0).
 */
enum webhook_verdict
webhook_verdict(const struct webhook_backend *b,
    const struct webhook_response *r, time_t now, int *delay_s, char *error,
    size_t errlen)
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
	if (b == NULL)
		fatalx("webhook_verdict: HTTP %ld without a backend",
		    r->status);
	*error = '\0';
	retry_after = webhook_retry_after(r->retry_after, now);
	if (r->status >= 200 && r->status <= 299)
		return b->verdict(b, r, retry_after, delay_s, error, errlen);
	snprintf(error, errlen, "HTTP %ld", r->status);
	if (r->status == 410)
		return WEBHOOK_GONE;
	if (r->status == 429) {
		*delay_s = retry_after;
		if (*delay_s < b->rate_limit_delay_s)
			*delay_s = b->rate_limit_delay_s;
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

/* Copy a robot's errmsg into buf as printable one-line text. */
static void
webhook_verdict_errmsg(const char *msg, char *buf, size_t len)
{
	size_t n, i;

	n = utf8_prefix(msg, strlen(msg), len - 1 < WEBHOOK_VERDICT_ERRMSG_MAX ?
	    len - 1 : WEBHOOK_VERDICT_ERRMSG_MAX);
	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)msg[i] < 0x20 ? ' ' : msg[i];
	buf[n] = '\0';
}

/*
 * The verdict operation of the chat robots: their HTTP 2xx body read as
 * b->answer says. Code 0 is delivered; the rate-limit code is a retry
 * after at least b->rate_limit_delay_s (or the Retry-After asked for,
 * retry_after, when longer); the busy code, or no code at all (a proxy's
 * page ...), a retry; any other code dead. error gets "errcode 93000
 * invalid webhook url" and the like.
 */
enum webhook_verdict
webhook_verdict_robot(const struct webhook_backend *b,
    const struct webhook_response *r, int retry_after, int *delay_s,
    char *error, size_t errlen)
{
	const struct webhook_robot_answer *answer = b->answer;
	const cJSON *root, *code, *msg;
	char text[WEBHOOK_VERDICT_ERRMSG_MAX + 1];
	long long c;

	root = r->body != NULL ? cJSON_ParseWithLength(r->body, r->bodylen) :
	    NULL;
	code = cJSON_GetObjectItemCaseSensitive(root, answer->code);
	if (code == NULL && answer->code_fallback != NULL)
		code = cJSON_GetObjectItemCaseSensitive(root,
		    answer->code_fallback);
	if (!cJSON_IsNumber(code)) {
		snprintf(error, errlen, "HTTP %ld without %s", r->status,
		    answer->code);
		cJSON_Delete((cJSON *)root);
		return WEBHOOK_RETRY;
	}
	/* Any code outside what a long long holds is just "not 0". */
	c = code->valuedouble > -1e15 && code->valuedouble < 1e15 ?
	    (long long)code->valuedouble : 1;
	msg = cJSON_GetObjectItemCaseSensitive(root, answer->message);
	webhook_verdict_errmsg(cJSON_IsString(msg) ? msg->valuestring : "",
	    text, sizeof text);
	cJSON_Delete((cJSON *)root);
	if (c == 0)
		return WEBHOOK_DELIVERED;
	if (c == answer->rate_limited) {
		*delay_s = retry_after > b->rate_limit_delay_s ? retry_after :
		    b->rate_limit_delay_s;
		snprintf(error, errlen, "%s %lld rate limited", answer->code,
		    c);
		return WEBHOOK_RETRY;
	}
	if (*text != '\0')
		snprintf(error, errlen, "%s %lld %s", answer->code, c, text);
	else
		snprintf(error, errlen, "%s %lld", answer->code, c);
	return answer->busy != 0 && c == answer->busy ? WEBHOOK_RETRY :
	    WEBHOOK_DEAD;
}
