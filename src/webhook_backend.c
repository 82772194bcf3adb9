/*
 * webhook_backend.c -- the webhook formats as backends: the table of them,
 * and the part of building a request that every format shares.
 *
 * A format (SPEC §7) is a struct webhook_backend in a file of its own, in
 * the manner of OpenSMTPD's queue_backend.c and queue_fs.c:
 *   webhook_standard.c  Standard Webhooks, signed in a header
 *   webhook_wecom.c     WeCom group robot
 *   webhook_dingtalk.c  DingTalk custom robot, signed in the query
 *   webhook_feishu.c    Feishu/Lark custom bot, signed in the body
 * Each says what its endpoint takes (size limit, pace, whether a burst goes
 * as one message), builds and signs the request, and judges an HTTP 2xx
 * answer. The robots share their markdown (webhook_markdown.c) and their
 * way of answering (webhook_verdict_robot); what an HTTP status means is
 * the same for all (webhook_verdict.c), as are the retry schedule
 * (webhook_retry.c) and the redaction of URLs (webhook_redact.c).
 *
 * webhook_backends below is the one place that lists the formats: the
 * roster accepts a format when webhook_backend_find knows it, and the
 * delivery engine (webhook.c) asks the backend for pace and merging. A
 * fifth format is a new file and one row here.
 *
 * Everything is pure: no network, no Redis, no clock (the caller passes
 * the time), so that every byte is unit-tested.
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
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "liaison.h"

/* The backends, each defined in its own file. */
extern const struct webhook_backend webhook_standard_backend;
extern const struct webhook_backend webhook_wecom_backend;
extern const struct webhook_backend webhook_dingtalk_backend;
extern const struct webhook_backend webhook_feishu_backend;

/* Every format there is; NULL-terminated. */
const struct webhook_backend *const webhook_backends[] = {
	&webhook_standard_backend,
	&webhook_wecom_backend,
	&webhook_dingtalk_backend,
	&webhook_feishu_backend,
	NULL
};

/* Return the backend of the format named name, or NULL (also for NULL). */
const struct webhook_backend *
webhook_backend_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; webhook_backends[i] != NULL; i++) {
		if (strcmp(name, webhook_backends[i]->name) == 0)
			return webhook_backends[i];
	}
	return NULL;
}

/*
 * Write the Standard Webhooks message id of a delivery to buf (len bytes,
 * WEBHOOK_ID_SIZE is enough for any outbox entry id): "msg_" and the
 * delivery id ("1795813204245-0") with '-' turned into '_'. Return 0, or -1
 * with buf "" when the id is empty, does not fit or has a character other
 * than letters, digits, '-' and '_'. Every format's delivery has one: the
 * deliveries API shows it, the standard format sends it.
 */
int
webhook_backend_id(const char *delivery_id, char *buf, size_t len)
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

/*
 * HMAC-SHA256 contexts, one per key in use: a signing key (a department's
 * secret) is set once, and each later signature under it starts from the
 * keyed state (EVP_MAC_init with a NULL key: "the previous key") instead
 * of hashing the key's two pads again. OpenSSL 3's one-shot HMAC() also
 * fetched the MAC and digest by name each call (BENCHMARKS "Intake: the
 * tail"; the keyed contexts: "Intake: the delivery's instructions, cut").
 * Slot 0 is for keys used once (Feishu's holds the time); the others keep
 * the last WEBHOOK_HMAC_KEYS - 1 kept keys, the oldest replaced. Only the
 * loop signs.
 */
#define WEBHOOK_HMAC_KEYS 9
static struct webhook_hmac_slot {
	EVP_MAC_CTX *ctx;
	unsigned char *key;        /* a copy, cleansed when replaced */
	size_t keylen;
} webhook_hmac_slots[WEBHOOK_HMAC_KEYS];
static size_t webhook_hmac_next;  /* the kept slot to replace next */

/* A new HMAC-SHA256 context, or NULL. */
static EVP_MAC_CTX *
webhook_backend_hmac_new(void)
{
	EVP_MAC_CTX *ctx;
	EVP_MAC *mac;
	OSSL_PARAM params[2];

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);              /* the context holds its own */
	if (ctx == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(ctx, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * A context initialised with key: the kept one of that key (keep 1; set
 * now if it is new here), or slot 0 keyed afresh (keep 0). NULL on error.
 */
static EVP_MAC_CTX *
webhook_backend_hmac_ctx(const void *key, size_t keylen, int keep)
{
	struct webhook_hmac_slot *s = &webhook_hmac_slots[0];
	size_t i;

	/* a NULL key would mean "the previous key" to EVP_MAC_init */
	if (key == NULL)
		key = "";
	for (i = 1; keep && i < WEBHOOK_HMAC_KEYS; i++) {
		s = &webhook_hmac_slots[i];
		if (s->ctx != NULL && s->key != NULL && s->keylen == keylen &&
		    CRYPTO_memcmp(s->key, key, keylen) == 0)
			return EVP_MAC_init(s->ctx, NULL, 0, NULL) == 1 ?
			    s->ctx : NULL;
	}
	if (keep) {
		s = &webhook_hmac_slots[1 + webhook_hmac_next];
		webhook_hmac_next = (webhook_hmac_next + 1) %
		    (WEBHOOK_HMAC_KEYS - 1);
		if (s->key != NULL)
			OPENSSL_cleanse(s->key, s->keylen);
		free(s->key);
		s->key = NULL;
	} else
		s = &webhook_hmac_slots[0];
	if (s->ctx == NULL && (s->ctx = webhook_backend_hmac_new()) == NULL)
		return NULL;
	if (EVP_MAC_init(s->ctx, key, keylen, NULL) != 1)
		return NULL;
	if (keep) {
		s->key = xmalloc(keylen + 1);
		memcpy(s->key, key, keylen);
		s->keylen = keylen;
	}
	return s->ctx;
}

/*
 * Write base64(HMAC-SHA256(key, head + msg)) to out, NUL-terminated: what
 * all three signing formats put on the wire, each over its own key and
 * message (the standard format's is its id and time, then the body: two
 * parts, so the body is not copied). keep: the key is a lasting one (a
 * secret), worth a context of its own. Return 0 or -1.
 */
static int
webhook_backend_hmac(const void *key, size_t keylen, int keep,
    const void *head, size_t headlen, const void *msg, size_t msglen,
    char out[WEBHOOK_SIGN_SIZE])
{
	EVP_MAC_CTX *ctx = webhook_backend_hmac_ctx(key, keylen, keep);
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;

	if (ctx == NULL ||
	    (headlen > 0 && EVP_MAC_update(ctx, head, headlen) != 1) ||
	    EVP_MAC_update(ctx, msg, msglen) != 1 ||
	    EVP_MAC_final(ctx, md, &mdlen, sizeof md) != 1 || mdlen != 32)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
	OPENSSL_cleanse(md, sizeof md);
	return 0;
}

/* webhook_backend_hmac under a lasting key (a department's secret). */
int
webhook_backend_hmac_base64(const void *key, size_t keylen, const void *head,
    size_t headlen, const void *msg, size_t msglen,
    char out[WEBHOOK_SIGN_SIZE])
{
	return webhook_backend_hmac(key, keylen, 1, head, headlen, msg,
	    msglen, out);
}

/*
 * Write a chat robot's sign for timestamp to out: base64(HMAC-SHA256) of
 * the text timestamp + "\n" + secret, either as the message under the key
 * secret (DingTalk: text_is_key 0) or as the key of an empty message
 * (Feishu: text_is_key 1). Return 0 or -1.
 */
int
webhook_backend_sign_timestamp(const char *secret, long long timestamp,
    int text_is_key, char out[WEBHOOK_SIGN_SIZE])
{
	char *text;
	int rc, n;

	n = xasprintf(&text, "%lld\n%s", timestamp, secret);
	/* Feishu's key holds the time: used once, not kept. */
	if (text_is_key)
		rc = webhook_backend_hmac(text, n, 0, NULL, 0, "", 0, out);
	else
		rc = webhook_backend_hmac_base64(secret, strlen(secret), NULL,
		    0, text, n, out);
	OPENSSL_cleanse(text, n);
	free(text);
	return rc;
}

/* Add a "Name: value" header to r. */
void
webhook_backend_header(struct webhook_request *r, const char *fmt, ...)
{
	va_list ap;

	r->headers = xreallocarray(r->headers, r->nheaders + 1,
	    sizeof *r->headers);
	va_start(ap, fmt);
	if (vasprintf(&r->headers[r->nheaders], fmt, ap) < 0)
		fatalx("webhook_backend_header: out of memory");
	va_end(ap);
	r->nheaders++;
}

/*
 * Print obj into r's body (replacing any) and free obj. cJSON prints into
 * a buffer kept for the next body, so that a body is not grown by
 * reallocation as cJSON_PrintUnformatted does from 256 bytes; a body that
 * does not fit is printed that way, and the buffer made room for the next
 * one. Only the loop builds requests.
 */
void
webhook_backend_body(struct webhook_request *r, struct cJSON *obj)
{
	static char *buf;
	static size_t size = 8192;

	free(r->body);
	if (buf == NULL)
		buf = xmalloc(size);
	if (cJSON_PrintPreallocated(obj, buf, (int)size, 0)) {
		r->bodylen = strlen(buf);
		r->body = xmalloc(r->bodylen + 1);
		memcpy(r->body, buf, r->bodylen + 1);
	} else {
		if ((r->body = cJSON_PrintUnformatted(obj)) == NULL)
			fatalx("webhook_backend_body: cJSON_PrintUnformatted "
			    "failed");
		r->bodylen = strlen(r->body);
		if (r->bodylen < 1024 * 1024) {
			free(buf);
			size = 2 * (r->bodylen + 1);
			buf = xmalloc(size);
		}
	}
	cJSON_Delete(obj);
}

/* The time of an event from its outbox entry id ("<ms>-<seq>"), or dflt. */
static int64_t
webhook_backend_event_ms(const char *delivery_id, int64_t dflt)
{
	char *end;
	long long ms;

	ms = strtoll(delivery_id, &end, 10);
	if (end == delivery_id || *end != '-' || ms <= 0)
		return dflt;
	return ms;
}

/*
 * Build the request of one attempt to deliver n messages (events) to
 * department d, in d's format, into out (zeroed first; free its contents
 * with webhook_backend_request_free, also after a failure).
 *
 * delivery_id is the outbox entry id of the (first) event: it gives the
 * webhook-id, the same on every attempt, and the event time in the standard
 * body's "timestamp". now_s and now_ms are the time of this attempt: the
 * webhook-timestamp header and Feishu's timestamp (seconds), DingTalk's
 * timestamp (milliseconds). link, when not NULL, replaces the single
 * message's links.task at the end of the markdown (for several messages,
 * pass the department's page).
 *
 * Every request goes to d's URL (a format may add to it) with a JSON body
 * and "Content-Type: application/json"; the backend adds the rest. Only a
 * format that merges takes more than one message. Return 0, or -1 with
 * *cause set (the caller frees it): no URL, an unknown format, too many
 * messages for the format, a bad delivery id, or what the backend refused
 * (no secret for the standard format ...).
 */
int
webhook_backend_build(const struct department *d,
    const struct webhook_message *msgs, size_t n, const char *delivery_id,
    time_t now_s, int64_t now_ms, const char *link,
    struct webhook_request *out, char **cause)
{
	const struct webhook_backend *b;
	struct webhook_attempt a;
	char msg_id[WEBHOOK_ID_SIZE];

	*cause = NULL;
	memset(out, 0, sizeof *out);
	if (d->webhook_url == NULL) {
		xasprintf(cause, "department %s has no webhook", d->id);
		return -1;
	}
	if ((b = webhook_backend_find(d->webhook_format)) == NULL) {
		xasprintf(cause, "department %s: unknown webhook format",
		    d->id);
		return -1;
	}
	if (n == 0 || (!b->merge && n != 1)) {
		xasprintf(cause, "department %s: %zu messages for the %s "
		    "format", d->id, n, b->name);
		return -1;
	}
	if (webhook_backend_id(delivery_id, msg_id, sizeof msg_id) != 0) {
		xasprintf(cause, "bad delivery id \"%s\"", delivery_id);
		return -1;
	}
	a.department = d;
	a.msgs = msgs;
	a.n = n;
	a.msg_id = msg_id;
	a.event_ms = webhook_backend_event_ms(delivery_id, now_ms);
	a.now_s = now_s;
	a.now_ms = now_ms;
	a.link = link;
	out->url = xstrdup(d->webhook_url);
	webhook_backend_header(out, "Content-Type: application/json");
	return b->build(b, &a, out, cause);
}

/* Free what a request holds (not the struct itself); it may be zeroed. */
void
webhook_backend_request_free(struct webhook_request *r)
{
	size_t i;

	free(r->url);
	free(r->body);
	for (i = 0; i < r->nheaders; i++)
		free(r->headers[i]);
	free(r->headers);
	memset(r, 0, sizeof *r);
}
