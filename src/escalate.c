/*
 * escalate.c -- the deadline timer. Every second it asks workflow.lua to
 * escalate the tasks whose current stage (claim, respond, resolve) is past
 * due, handing it the task stages and the category rules (an overdue issue
 * may become difficult: rules.c). The due times sit in one sorted set (P deadlines), so each tick reads
 * only what is due, never every task; the script removes each entry as it
 * escalates it, so several daemons sharing the Redis escalate each stage
 * once between them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define ESCALATE_EVERY_MS 1000
#define ESCALATE_BATCH 100

struct escalate {
	struct daemon *daemon;      /* its current config: the rules */
	struct store *store;
	struct event *timer;
	int running;                /* a script call is outstanding */
	int stopping;
};

static void
escalate_schedule(struct escalate *e, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (!e->stopping)
		evtimer_add(e->timer, &tv);
}

static void
escalate_done(redisAsyncContext *c, void *r, void *privdata)
{
	struct escalate *e = privdata;
	redisReply *reply = r;
	long n = 0;

	e->running = 0;
	if (e->stopping) {
		free(e);
		return;
	}
	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == 2 && reply->element[1]->type ==
	    REDIS_REPLY_STRING)
		n = strtol(reply->element[1]->str, NULL, 10);
	else if (reply != NULL)
		store_reply_is_error(e->store, reply);
	if (n > 0) {
		log_info("escalated %ld overdue task stages", n);
		e->store->writes++;
	}
	/* A full batch means more may be due: go on at once. */
	escalate_schedule(e, n >= ESCALATE_BATCH ? 0 : ESCALATE_EVERY_MS);
}

static void
escalate_tick(int fd, short what, void *arg)
{
	struct escalate *e = arg;
	const char *argv[2];
	char now[32], *payload;
	cJSON *json;

	if (!store_up(e->store)) {
		escalate_schedule(e, ESCALATE_EVERY_MS);
		return;
	}
	json = cJSON_CreateObject();
	snprintf(now, sizeof now, "%lld", (long long)util_now_ms());
	cJSON_AddStringToObject(json, "now", now);
	cJSON_AddNumberToObject(json, "limit", ESCALATE_BATCH);
	payload = generation_payload_print(e->daemon->current, json);
	cJSON_Delete(json);
	argv[0] = "escalate";
	argv[1] = payload;
	if (store_script(e->store, SCRIPT_WORKFLOW, escalate_done, e, 2, argv,
	    NULL) == -1)
		escalate_schedule(e, ESCALATE_EVERY_MS);
	else
		e->running = 1;
	free(payload);
}

/* Start the timer on the daemon's loop and store. */
struct escalate *
escalate_start(struct daemon *d)
{
	struct escalate *e = xcalloc(1, sizeof *e);

	e->daemon = d;
	e->store = d->store;
	e->timer = evtimer_new(d->base, escalate_tick, e);
	escalate_schedule(e, ESCALATE_EVERY_MS);
	return e;
}

/*
 * Stop the timer. A call still outstanding frees e when its reply (or the
 * connection's end) arrives.
 */
void
escalate_stop(struct escalate *e)
{
	e->stopping = 1;
	event_free(e->timer);
	if (e->running)
		return;
	free(e);
}
