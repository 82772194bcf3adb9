/*
 * webhook_standard.c -- the "standard" webhook format: Standard Webhooks
 * (www.standardwebhooks.com), for any endpoint a department runs itself.
 *
 * The body is the event as JSON, {"type", "timestamp", "data"}, with the
 * message data as the outbox made it (see webhook_markdown.c). Three
 * headers go with it: webhook-id (the same on every attempt, so that the
 * receiver can drop a repeat), webhook-timestamp (this attempt, seconds)
 * and webhook-signature, "v1," and base64(HMAC-SHA256(key, id + "." +
 * timestamp + "." + body)) with the key the base64-decoded secret after
 * "whsec_". A secret is required: an unsigned event would be a forgery
 * anyone could send.
 *
 * One event per request, never merged, never paced: the receiver is a
 * server, not a chat group. Any HTTP 2xx means delivered.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "liaison.h"

/*
 * Decode a Standard Webhooks secret ("whsec_" and base64; the prefix may be
 * left out) into a new buffer, its length in *len. Return NULL if it is not
 * base64. The caller cleanses and frees the key.
 */
static unsigned char *
webhook_standard_key(const char *secret, size_t *len)
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
 * Write the signature of body to out: "v1," and the base64 of
 * HMAC-SHA256(key, a->msg_id + "." + a->now_s + "." + body), where key is
 * the base64-decoded part of secret after "whsec_". Return 0, or -1 when
 * the secret is not base64.
 */
static int
webhook_standard_sign(const char *secret, const struct webhook_attempt *a,
    const char *body, size_t bodylen, char out[WEBHOOK_SIGNATURE_SIZE])
{
	unsigned char *key;
	size_t keylen;
	char head[WEBHOOK_ID_SIZE + 32];
	int rc, n;

	if ((key = webhook_standard_key(secret, &keylen)) == NULL)
		return -1;
	n = snprintf(head, sizeof head, "%s.%lld.", a->msg_id,
	    (long long)a->now_s);
	memcpy(out, "v1,", 3);
	rc = n < 0 || (size_t)n >= sizeof head ? -1 :
	    webhook_backend_hmac_base64(key, keylen, head, (size_t)n, body,
	    bodylen, out + 3);
	OPENSSL_cleanse(key, keylen);
	free(key);
	return rc;
}

/* The event itself, signed; refused without a usable secret. */
static int
webhook_standard_build(const struct webhook_backend *b,
    const struct webhook_attempt *a, struct webhook_request *r, char **cause)
{
	const struct department *d = a->department;
	const struct webhook_message *m = &a->msgs[0];
	char when[32], signature[WEBHOOK_SIGNATURE_SIZE];
	cJSON *obj;

	if (d->webhook_secret == NULL) {
		xasprintf(cause, "department %s: the standard format needs a "
		    "secret", d->id);
		return -1;
	}
	util_time_iso8601(a->event_ms, when);
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "type", m->event);
	cJSON_AddStringToObject(obj, "timestamp", when);
	/* A reference to data's members: printed, never freed with obj. */
	cJSON_AddItemToObject(obj, "data", m->data != NULL ?
	    cJSON_CreateObjectReference(m->data->child) :
	    cJSON_CreateObject());
	webhook_backend_body(r, obj);
	if (webhook_standard_sign(d->webhook_secret, a, r->body, r->bodylen,
	    signature) != 0) {
		xasprintf(cause, "department %s: the secret is not base64",
		    d->id);
		return -1;
	}
	webhook_backend_header(r, "webhook-id: %s", a->msg_id);
	webhook_backend_header(r, "webhook-timestamp: %lld",
	    (long long)a->now_s);
	webhook_backend_header(r, "webhook-signature: %s", signature);
	return 0;
}

/* Any 2xx: the endpoint has the event (its body says nothing more). */
static enum webhook_verdict
webhook_standard_verdict(const struct webhook_backend *b,
    const struct webhook_response *r, int retry_after, int *delay_s,
    char *error, size_t errlen)
{
	return WEBHOOK_DELIVERED;
}

/* Return 1 if secret is "whsec_" and non-empty standard base64, 0 if not. */
static int
webhook_standard_secret_ok(const char *secret)
{
	const char *b64;
	unsigned char *out;
	size_t len;
	int n;

	if (strncmp(secret, "whsec_", 6) != 0)
		return 0;
	b64 = secret + 6;
	len = strlen(b64);
	if (len == 0 || len % 4 != 0)
		return 0;
	if (strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=") != len)
		return 0;
	out = xmalloc(len);
	n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len);
	free(out);
	return n > 0;
}

const struct webhook_backend webhook_standard_backend = {
	.name = "standard",
	.max_bytes = 0,                 /* none: the body is the event */
	.pace_ms = 0,
	.merge = 0,
	.rate_limit_delay_s = -1,       /* on 429, what Retry-After says */
	.token_paths = NULL,
	.build = webhook_standard_build,
	.sign = webhook_standard_sign,
	.verdict = webhook_standard_verdict,
	.answer = NULL,
	.secret_ok = webhook_standard_secret_ok,
	.secret_rule = "must be \"whsec_\" and base64",
};
