/*
 * fuzz_verdict.c -- what a webhook endpoint answers (webhook_verdict.c):
 * the robots' JSON, Retry-After. The first byte picks the format and the
 * status, the rest is the body.
 */
#include "config.h"

#include "liaison.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 200, 429, 503, 410, 500, 0, 301 };
	struct webhook_response resp = { 0, NULL, NULL, NULL, 0 };
	const struct webhook_backend *b;
	size_t nb = 0;
	char error[256];
	int delay = 0;

	if (size < 1)
		return 0;
	while (webhook_backends[nb] != NULL)
		nb++;
	b = webhook_backends[(data[0] & 0x0f) % nb];
	resp.status = statuses[data[0] >> 5];
	resp.error = resp.status == 0 ? "timeout" : NULL;
	resp.retry_after = (data[0] & 0x10) ? "120" : NULL;
	resp.body = (const char *)data + 1;
	resp.bodylen = size - 1;
	(void)webhook_verdict(b, &resp, 1795752000, &delay, error,
	    sizeof error);
	return 0;
}
