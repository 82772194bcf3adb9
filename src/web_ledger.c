/*
 * web_ledger.c -- /ledger, the public ledger (公示). Placeholder until the
 * ledger module lands.
 */
#include "config.h"

#include <event2/buffer.h>

#include "liaisond.h"
#include "daemon.h"

void
web_ledger(struct request *r)
{
	struct evbuffer *buf = web_begin(r, "问题清单公示台账");

	evbuffer_add_printf(buf, "</header>\n<main>\n<section><p>…</p>"
	    "</section>\n");
	web_end(r, buf, 200, NULL);
}
