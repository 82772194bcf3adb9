/*
 * webhook_feishu.c -- the "feishu" webhook format: a Feishu (飞书) or Lark
 * custom bot.
 *
 * The body is an interactive card: a header with the title in the event's
 * colour, and one markdown element (the heading of a single message is in
 * the header, not repeated below). The limit is on the whole body, 20,000
 * bytes, escapes included. With a secret, the body gets timestamp
 * (seconds) and sign = base64(HMAC-SHA256(key = timestamp + "\n" + secret,
 * msg = "")). The bot takes 100 messages a minute and 5 a second, so an
 * endpoint is paced and a burst goes as one message; it answers HTTP 200
 * with code (older bots: StatusCode), 11232 when rate limited. The token
 * is a segment of the URL's path, which webhook_redact.c hides.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "liaison.h"

/* Bytes of a body Feishu takes. */
#define WEBHOOK_FEISHU_MAX 20000

/* code (older bots: StatusCode) 0, or 11232 when rate limited; -1 is no. */
static const struct webhook_robot_answer webhook_feishu_answer = {
	"code", "StatusCode", "msg", 11232, 0
};

/* Paths whose next segment is the bot's token (Feishu, Lark). */
static const char *const webhook_feishu_token_paths[] = {
	"/open-apis/bot/v2/hook/",
	"/open-apis/bot/hook/",
	NULL
};

/*
 * Write the sign for a->now_s to out: base64(HMAC-SHA256(key = now_s +
 * "\n" + secret, msg = "")); the body is not signed. Return 0 or -1.
 */
static int
webhook_feishu_sign(const char *secret, const struct webhook_attempt *a,
    const char *body, size_t bodylen, char out[WEBHOOK_SIGNATURE_SIZE])
{
	return webhook_backend_sign_timestamp(secret, a->now_s, 1, out);
}

/* The card colour of a message: its event's, blue for several. */
static const char *
webhook_feishu_colour(const struct webhook_attempt *a)
{
	const char *colour;

	if (a->n > 1)
		return "blue";
	colour = webhook_markdown_colour(a->msgs[0].event);
	return colour != NULL ? colour : "grey";
}

/* The body with the markdown cut to max bytes; sign NULL: unsigned. */
static cJSON *
webhook_feishu_body(const struct webhook_attempt *a, const char *timestamp,
    const char *sign, size_t max)
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
	heading = webhook_markdown_title(a->msgs, a->n);
	cJSON_AddStringToObject(title, "content", heading);
	free(heading);
	cJSON_AddStringToObject(header, "template", webhook_feishu_colour(a));
	elements = cJSON_AddArrayToObject(card, "elements");
	element = cJSON_CreateObject();
	cJSON_AddStringToObject(element, "tag", "markdown");
	text = webhook_markdown(WEBHOOK_MARKDOWN_NO_HEADING, a->msgs, a->n,
	    a->link, max);
	cJSON_AddStringToObject(element, "content", text);
	free(text);
	cJSON_AddItemToArray(elements, element);
	return obj;
}

/*
 * An interactive card; with a secret, signed in the body. The limit is on
 * the whole body, so the markdown shrinks by what the body is over until
 * it fits (JSON escapes make the body longer than the text).
 */
static int
webhook_feishu_build(const struct webhook_backend *b,
    const struct webhook_attempt *a, struct webhook_request *r, char **cause)
{
	const struct department *d = a->department;
	char sign[WEBHOOK_SIGNATURE_SIZE], timestamp[32];
	size_t max = b->max_bytes;

	snprintf(timestamp, sizeof timestamp, "%lld", (long long)a->now_s);
	if (d->webhook_secret != NULL &&
	    webhook_feishu_sign(d->webhook_secret, a, NULL, 0, sign) != 0) {
		xasprintf(cause, "department %s: HMAC failed", d->id);
		return -1;
	}
	for (;;) {
		webhook_backend_body(r, webhook_feishu_body(a, timestamp,
		    d->webhook_secret != NULL ? sign : NULL, max));
		if (r->bodylen <= b->max_bytes || max == 0)
			break;
		max -= r->bodylen - b->max_bytes < max ?
		    r->bodylen - b->max_bytes : max;
	}
	return 0;
}

const struct webhook_backend webhook_feishu_backend = {
	.name = "feishu",
	.max_bytes = WEBHOOK_FEISHU_MAX,
	.pace_ms = 700,                 /* 100 a minute is 0.6 s; a margin */
	.merge = 1,
	.rate_limit_delay_s = 60,
	.token_paths = webhook_feishu_token_paths,
	.build = webhook_feishu_build,
	.sign = webhook_feishu_sign,
	.verdict = webhook_verdict_robot,
	.answer = &webhook_feishu_answer,
};
