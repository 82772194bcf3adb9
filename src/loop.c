/*
 * loop.c -- the event loop's order of work: who is served first when many
 * events are ready at once. The public ledger needs no token, so 200
 * readers can keep the loop busy; the departments' claims (a token, and a
 * Redis reply each) must not wait behind them (issue 12: "claims keep
 * their p99").
 *
 * Two priorities: the Redis connection's events and the connections that
 * presented a valid token (from then on) come first; the rest (token-less
 * readers, accepts, timers, webhooks) after. And of the second kind at
 * most LOOP_BATCH callbacks run before the loop looks for the first kind
 * again: without that cap one pass ran every ready reader (libevent runs
 * a priority's whole queue) before a claim's Redis reply waiting behind
 * them. Nothing is starved: the second kind runs whenever the first has
 * nothing ready, and LOOP_BATCH at every pass.
 */
#include "config.h"

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "liaison.h"
#include "daemon.h"

#define LOOP_PRIORITIES 2
#define LOOP_FIRST 0            /* Redis, the token holders */
/* Callbacks of the second priority a loop pass at most. */
#define LOOP_BATCH 8

/* The daemon's event base, with the priorities above. */
struct event_base *
loop_base_new(void)
{
	struct event_config *cfg;
	struct event_base *base;

	if ((cfg = event_config_new()) == NULL)
		fatalx("event_config_new failed");
	if (event_config_set_max_dispatch_interval(cfg, NULL, LOOP_BATCH,
	    LOOP_FIRST + 1) == -1)
		fatalx("event_config_set_max_dispatch_interval failed");
	if ((base = event_base_new_with_config(cfg)) == NULL)
		fatalx("event_base_new failed");
	event_config_free(cfg);
	/* before any event is made: they take the middle (the second) */
	if (event_base_priority_init(base, LOOP_PRIORITIES) == -1)
		fatalx("event_base_priority_init failed");
	return base;
}

/* A Redis connection just attached (redisLibeventAttach): first. */
void
loop_first_redis(redisAsyncContext *ac)
{
	redisLibeventEvents *e = ac->ev.data;

	if (e == NULL)
		return;
	event_priority_set(e->rev, LOOP_FIRST);
	event_priority_set(e->wev, LOOP_FIRST);
}

/*
 * r presented a valid token: its connection comes first from now on (a
 * department's claims come on a kept-alive connection). When its events
 * are ready right now libevent refuses the change: the next request tries
 * again.
 */
void
loop_first_connection(struct request *r)
{
	struct evhttp_connection *evcon =
	    evhttp_request_get_connection(r->req);
	struct bufferevent *bev;

	if (evcon == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL ||
	    bufferevent_get_priority(bev) == LOOP_FIRST)
		return;
	bufferevent_priority_set(bev, LOOP_FIRST);
}
