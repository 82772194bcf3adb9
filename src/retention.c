/*
 * retention.c -- the sweep that keeps Redis from growing with time
 * (SPEC §14).
 *
 * Every sweep_seconds the timer asks deliver.lua "sweep" to remove, in one
 * batch, the deliveries (and their attempts) that ended more than
 * delivery_days ago and the outbox entries every daemon has read and
 * enqueued. A lease in Redis (SET NX PX, held by the daemon that took it
 * and lengthened on each of its sweeps) makes one daemon the sweeper; the
 * others are told "busy" and wait. The script runs as one transaction, so
 * even two sweeps at once would remove each record once. A full batch
 * means more is due: the next one is asked for at once.
 *
 * Queue stream entries are not swept: workflow.lua deletes a task's entry
 * when it leaves the queue. Idempotency records, sessions and sign-in
 * links carry their own expiry.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

/*
 * Deliveries, and outbox entries, a call. The call holds Redis, and every
 * report behind it, for its length: 500 outbox entries took 2.4 ms, 100
 * took 0.8 ms (load 4.7; BENCHMARKS "Intake: the long calls").
 */
#define RETENTION_BATCH 100
#define RETENTION_RETRY_MS 5000      /* after Redis failed us */

struct retention {
	struct daemon *daemon;
	struct store *store;
	struct event *timer;
	char owner[96];              /* this daemon, in the lease */
	int running;                 /* a call is outstanding */
	int stopping;
};

/* What this daemon removed, for /metrics. */
static unsigned long long retention_deliveries;
static unsigned long long retention_outbox;

static void
retention_schedule(struct retention *t, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (!t->stopping)
		evtimer_add(t->timer, &tv);
}

static int
retention_every_ms(const struct config *c)
{
	return c->retention_sweep_seconds * 1000;
}

/* How long a delivery is kept after it ends, in ms. */
static int64_t
retention_keep_ms(const struct config *c)
{
	if (c->delivery_seconds > 0)
		return (int64_t)c->delivery_seconds * 1000;
	return (int64_t)c->delivery_days * 86400000;
}

static void
retention_done(redisAsyncContext *c, void *r, void *privdata)
{
	struct retention *t = privdata;
	redisReply *reply = r;
	unsigned long long d, o;
	int more = 0;

	(void)c;
	t->running = 0;
	if (t->stopping) {
		free(t);
		return;
	}
	if (reply == NULL || store_reply_is_error(t->store, reply)) {
		retention_schedule(t, RETENTION_RETRY_MS);
		return;
	}
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 4 &&
	    reply->element[1]->type == REDIS_REPLY_STRING &&
	    reply->element[2]->type == REDIS_REPLY_STRING &&
	    reply->element[3]->type == REDIS_REPLY_STRING) {
		d = strtoull(reply->element[1]->str, NULL, 10);
		o = strtoull(reply->element[2]->str, NULL, 10);
		more = strcmp(reply->element[3]->str, "1") == 0;
		retention_deliveries += d;
		retention_outbox += o;
		if (d > 0 || o > 0) {
			log_info("retention: removed %llu deliveries and %llu "
			    "outbox entries", d, o);
			t->store->writes++;
		}
	}
	retention_schedule(t, more ? 0 :
	    retention_every_ms(t->daemon->current->config));
}

static void
retention_tick(int fd, short what, void *arg)
{
	struct retention *t = arg;
	const struct config *cf = t->daemon->current->config;
	const char *argv[2];
	char *payload;
	int64_t now = util_now_ms();
	cJSON *json;

	(void)fd;
	(void)what;
	if (!store_up(t->store)) {
		retention_schedule(t, RETENTION_RETRY_MS);
		return;
	}
	json = cJSON_CreateObject();
	cJSON_AddNumberToObject(json, "now", (double)now);
	cJSON_AddNumberToObject(json, "before",
	    (double)(now - retention_keep_ms(cf)));
	cJSON_AddNumberToObject(json, "limit", RETENTION_BATCH);
	/* Two missed sweeps before another daemon takes over. */
	cJSON_AddNumberToObject(json, "lease",
	    (double)retention_every_ms(cf) * 2 + RETENTION_RETRY_MS);
	cJSON_AddStringToObject(json, "owner", t->owner);
	payload = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	argv[0] = "sweep";
	argv[1] = payload;
	if (store_script(t->store, SCRIPT_DELIVER, retention_done, t, 2, argv,
	    NULL) == -1)
		retention_schedule(t, RETENTION_RETRY_MS);
	else
		t->running = 1;
	free(payload);
}

/* Start the timer on the daemon's loop and store. */
struct retention *
retention_start(struct daemon *d)
{
	struct retention *t = xcalloc(1, sizeof *t);
	char host[64];

	t->daemon = d;
	t->store = d->store;
	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "host");
	host[sizeof host - 1] = '\0';
	snprintf(t->owner, sizeof t->owner, "%s:%ld", host, (long)getpid());
	t->timer = evtimer_new(d->base, retention_tick, t);
	retention_schedule(t, retention_every_ms(d->current->config));
	return t;
}

/*
 * Stop the timer. A call still outstanding frees t when its reply (or the
 * connection's end) arrives.
 */
void
retention_stop(struct retention *t)
{
	t->stopping = 1;
	event_free(t->timer);
	if (t->running)
		return;
	free(t);
}

/* /metrics: the records this daemon's sweeps removed, by kind. */
void
retention_metrics(struct evbuffer *buf)
{
	evbuffer_add_printf(buf,
	    "# HELP liaisond_retention_removed_total Records the retention "
	    "sweep removed (SPEC 14), by kind.\n"
	    "# TYPE liaisond_retention_removed_total counter\n"
	    "liaisond_retention_removed_total{kind=\"delivery\"} %llu\n"
	    "liaisond_retention_removed_total{kind=\"outbox\"} %llu\n",
	    retention_deliveries, retention_outbox);
}
