/*
 * ledger_cache.c -- the ledgers of recent periods, kept for a moment so that
 * the public ledger (GET /api/v1/ledger and /ledger, which need no token)
 * costs Redis one read per period per [ledger] cache_ms however often it is
 * asked for. Reading a period's ledger runs ledger.lua over every issue of
 * the period, which holds Redis for milliseconds; unbounded, anyone could
 * keep Redis busy with it.
 *
 * A cached ledger is dropped as soon as this daemon runs any change
 * (store->writes moves on), so a change made here shows at once; changes
 * made by another daemon sharing the Redis show within cache_ms. Losing the
 * cache loses nothing: it is only a copy of what Redis holds.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define LEDGER_CACHE_SLOTS 8

struct ledger_cache {
	struct {
		char period[PERIOD_LEN + 1];
		struct ledger *l;
		int64_t read_at;         /* ms, when its read was sent */
		uint64_t writes;         /* store->writes then */
	} slot[LEDGER_CACHE_SLOTS];
};

/* What a request waiting for a read needs when it comes back. */
struct ledger_fetch {
	char period[PERIOD_LEN + 1];
	ledger_fn fn;
	int64_t read_at;
	uint64_t writes;
};

struct ledger_cache *
ledger_cache_new(void)
{
	return xcalloc(1, sizeof (struct ledger_cache));
}

void
ledger_cache_free(struct ledger_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < LEDGER_CACHE_SLOTS; i++)
		ledger_free(c->slot[i].l);
	free(c);
}

static struct ledger *
ledger_cache_get(struct daemon *d, const char *period, int max_age_ms,
    int64_t now)
{
	struct ledger_cache *c = d->ledger_cache;
	size_t i;

	for (i = 0; i < LEDGER_CACHE_SLOTS; i++) {
		if (c->slot[i].l == NULL ||
		    strcmp(c->slot[i].period, period) != 0)
			continue;
		if (c->slot[i].writes == d->store->writes &&
		    now - c->slot[i].read_at < max_age_ms)
			return c->slot[i].l;
		return NULL;
	}
	return NULL;
}

/* Keep l (the cache owns it), in the period's slot or the oldest one. */
static void
ledger_cache_put(struct daemon *d, const struct ledger_fetch *f,
    struct ledger *l)
{
	struct ledger_cache *c = d->ledger_cache;
	size_t i, pick = 0;

	for (i = 0; i < LEDGER_CACHE_SLOTS; i++) {
		if (c->slot[i].l != NULL &&
		    strcmp(c->slot[i].period, f->period) == 0) {
			pick = i;
			break;
		}
		if (c->slot[i].l == NULL ||
		    (c->slot[pick].l != NULL &&
		    c->slot[i].read_at < c->slot[pick].read_at))
			pick = i;
	}
	/* A read overtaken by a newer one keeps the newer. */
	if (c->slot[pick].l != NULL &&
	    strcmp(c->slot[pick].period, f->period) == 0 &&
	    c->slot[pick].read_at > f->read_at) {
		ledger_free(l);
		return;
	}
	ledger_free(c->slot[pick].l);
	memcpy(c->slot[pick].period, f->period, sizeof c->slot[pick].period);
	c->slot[pick].l = l;
	c->slot[pick].read_at = f->read_at;
	c->slot[pick].writes = f->writes;
}

static void
ledger_cache_read(struct request *r, redisReply *reply, void *arg)
{
	struct ledger_fetch f = *(struct ledger_fetch *)arg;
	struct daemon *d = r->daemon;
	int keep = r->config->ledger_cache_ms > 0;
	struct ledger *l = ledger_parse(reply);

	if (l == NULL) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	ledger_score(l, r->roster, util_now_ms());
	f.fn(r, l);     /* answers: r is gone after this */
	if (keep)
		ledger_cache_put(d, &f, l);
	else
		ledger_free(l);
}

/*
 * Call fn with the scored ledger of period, from the cache when it is fresh,
 * else read from Redis. fn answers the request and must not keep or free
 * the ledger.
 */
void
ledger_cache_fetch(struct request *r, const char *period, ledger_fn fn)
{
	struct daemon *d = r->daemon;
	int64_t now = util_now_ms();
	struct ledger_fetch *f;
	struct ledger *l;
	const char *argv[2] = { "period", period };

	if (r->config->ledger_cache_ms > 0 && (l = ledger_cache_get(d, period,
	    r->config->ledger_cache_ms, now)) != NULL) {
		ledger_score(l, r->roster, now);
		fn(r, l);
		return;
	}
	f = xcalloc(1, sizeof *f);
	snprintf(f->period, sizeof f->period, "%s", period);
	f->fn = fn;
	f->read_at = now;
	f->writes = d->store->writes;
	request_script_arg(r, SCRIPT_LEDGER, ledger_cache_read, f, 2, argv, NULL);
}
