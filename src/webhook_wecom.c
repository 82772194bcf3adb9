/*
 * webhook_wecom.c -- the "wecom" webhook format: a WeCom (企业微信) group
 * robot.
 *
 * The body is {"msgtype":"markdown","markdown":{"content"}}, the content
 * at most 4,096 bytes. There is no signature: the key in the URL is the
 * secret (webhook_redact.c hides it). The robot takes about 20 messages a
 * minute, so an endpoint is paced and a burst goes as one message; it
 * answers HTTP 200 with errcode, 45009 when rate limited and -1 when busy.
 */
#include "config.h"

#include <stdlib.h>

#include <cjson/cJSON.h>

#include "liaison.h"

/* Bytes of markdown content WeCom takes. */
#define WEBHOOK_WECOM_MAX 4096

/* errcode 0, or 45009 when rate limited, -1 when busy. */
static const struct webhook_robot_answer webhook_wecom_answer = {
	"errcode", NULL, "errmsg", 45009, -1
};

/* {"msgtype":"markdown","markdown":{"content"}}; nothing to sign. */
static int
webhook_wecom_build(const struct webhook_backend *b,
    const struct webhook_attempt *a, struct webhook_request *r, char **cause)
{
	cJSON *obj, *md;
	char *text;

	text = webhook_markdown(0, a->msgs, a->n, a->link, b->max_bytes);
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "msgtype", "markdown");
	md = cJSON_AddObjectToObject(obj, "markdown");
	cJSON_AddStringToObject(md, "content", text);
	free(text);
	webhook_backend_body(r, obj);
	return 0;
}

const struct webhook_backend webhook_wecom_backend = {
	.name = "wecom",
	.max_bytes = WEBHOOK_WECOM_MAX,
	.pace_ms = 3500,                /* 20 a minute is 3 s; and a margin */
	.merge = 1,
	.rate_limit_delay_s = 60,
	.token_paths = NULL,
	.build = webhook_wecom_build,
	.sign = NULL,                   /* the key in the URL is the secret */
	.verdict = webhook_verdict_robot,
	.answer = &webhook_wecom_answer,
};
