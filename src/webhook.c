/*
 * webhook.c -- delivering the outbox to the departments' webhooks, on the
 * daemon's own loop.
 *
 * A committed change wakes the engine with the new outbox entries
 * (outbox_watch.c: a blocking XREADGROUP of the Redis consumer group
 * "webhooks" on a connection of its own, answered for this daemon's
 * commits and every other daemon's). deliver.lua turns each entry into a
 * delivery and acknowledges it in one step; in the same round trip the
 * engine claims the deliveries that are due
 * (a lease, so that no other daemon sends the same attempt meanwhile) and
 * starts them through the libcurl multi socket interface: curl tells us
 * which sockets to watch (webhook_socket) and when to wake it
 * (webhook_timer), the way curl's hiperfifo.c example does it, so no
 * transfer ever blocks the loop. Each finished transfer's verdict
 * (webhook_verdict.c) is recorded in Redis: delivered, retried later, or
 * dead. The backend of the department's format (webhook_backend.c) says
 * what goes on the wire, and how often a chat robot may be sent a message.
 *
 * A delivery whose daemon dies mid-flight keeps its lease and is sent
 * again when the lease ends: at least once, always with the same
 * webhook-id. Entries read by a daemon that died before enqueuing them are
 * taken over with XAUTOCLAIM after OUTBOX_IDLE_MS. Every read of the group
 * takes at most OUTBOX_READ_MAX entries (one enqueue call each); a full one
 * is followed by the next at once.
 *
 * Nothing polls while the watch is up: the engine sleeps until the next
 * due time it knows of (a retry, the end of quiet hours, a chat robot's
 * next turn, a deferred busy delivery) or WEBHOOK_IDLE_MS at the most,
 * for what only another daemon knows (its retries, leases of a daemon
 * that died), and then only claims. Without a watch it reads the group
 * itself every WEBHOOK_TICK_MS.
 *
 * About 800 lines because the loop's three sides of one delivery (curl's
 * sockets and timer, the transfer, the Redis calls before and after it)
 * share one struct and its lifetime; what a format does is elsewhere.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/queue.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define WEBHOOK_TICK_MS 200
#define WEBHOOK_IDLE_MS 1000       /* the longest sleep while watching */
#define WEBHOOK_MERGE_MAX 50       /* events in one merged chat message */
#define WEBHOOK_LEASE_SLACK_MS 5000 /* a lease is the attempt's timeout + this */
#define WEBHOOK_BUSY_MS 1000       /* retry delay when the endpoint is busy */
#define WEBHOOK_MAX_RESPONSE 65536
#define OUTBOX_IDLE_MS 30000      /* then another consumer takes it over */
#define WEBHOOK_IDLE_HANDLES 16   /* finished easy handles kept for reuse */

struct webhook_transfer {
	struct webhook *w;
	TAILQ_ENTRY(webhook_transfer) entry;
	CURL *easy;
	struct curl_slist *headers;
	struct webhook_request request;
	struct evbuffer *response;
	char **ids;                /* the deliveries it carries (merged: several) */
	size_t nids;
	char *department;
	const struct webhook_backend *backend; /* its format; NULL: unsent */
	int holdable;              /* 1: quiet hours may hold its retries */
	char retry_after[64];
	int attempts;              /* before this one */
	int64_t started;
	char error[CURL_ERROR_SIZE];
};

struct webhook_busy {
	char *department;
	int inflight;
	int at_claim;                /* inflight when the last claim was sent */
	int claimed;                 /* rows that claim gave it */
	int waiting;                 /* more may be due, held back by its slots */
	struct webhook_busy *next;
};

struct webhook {
	struct daemon *daemon;
	CURLM *multi;
	struct event *curl_timer;
	struct event *tick;
	struct webhook_busy *busy;   /* transfers in flight per department */
	char consumer[96];
	int reading;                 /* an outbox read or claim is outstanding */
	int again;                   /* woken meanwhile: look again at once */
	int64_t next_due;            /* earliest due time known here; 0: none */
	struct outbox_watch *watch;  /* wakes us on a commit */
	int group_ready;
	int64_t last_autoclaim;
	int history;                 /* next read: our pending ones ("0") */
	int taking_over;             /* the read outstanding is an XAUTOCLAIM */
	int read_full;               /* the last read filled its COUNT: read on */
	int take_over_more;          /* ... the last XAUTOCLAIM did */
	uint64_t connection;         /* the store's connection last read on */
	int callbacks;               /* store replies still to come to us */
	int stopping;
	int ntransfers;
	TAILQ_HEAD(, webhook_transfer) transfers;
	CURL *idle[WEBHOOK_IDLE_HANDLES]; /* reset easy handles, for the next */
	int nidle;
};

/* The transfers to department in flight, and its claims. */
static struct webhook_busy *
webhook_busy_of(struct webhook *w, const char *department)
{
	struct webhook_busy *b;

	for (b = w->busy; b != NULL; b = b->next)
		if (strcmp(b->department, department) == 0)
			return b;
	b = xcalloc(1, sizeof *b);
	b->department = xstrdup(department);
	b->next = w->busy;
	w->busy = b;
	return b;
}

/* How many transfers to department are in flight (a counter to adjust). */
static int *
webhook_inflight(struct webhook *w, const char *department)
{
	return &webhook_busy_of(w, department)->inflight;
}

/* The backend of a department's endpoint, or NULL when it has none. */
static const struct webhook_backend *
webhook_department_backend(const struct department *d)
{
	if (d == NULL || d->webhook_url == NULL)
		return NULL;
	return webhook_backend_find(d->webhook_format);
}

/*
 * Whether the claim just answered filled some department's share (its
 * free slots, or a chat robot's merge): then more may be due at once, and
 * the engine claims again without sleeping. A share not filled means the
 * script had nothing more due for it: what comes later wakes the engine
 * (the watch, a retry's due time, the idle tick). A department that had
 * no free slot, or whose slots the claim filled, may have deliveries
 * waiting for a slot: its next finished transfer claims at once
 * (webhook_check_done); any other's does not.
 */
static int
webhook_claim_filled(struct webhook *w)
{
	const struct roster *roster = w->daemon->current->roster;
	const struct config *cfg = w->daemon->current->config;
	const struct webhook_backend *backend;
	struct webhook_busy *b;
	int free_slots, share, filled = 0;

	for (b = w->busy; b != NULL; b = b->next) {
		free_slots = cfg->webhook_per_endpoint - b->at_claim;
		if (free_slots <= 0) {
			b->waiting = 1;
			continue;
		}
		backend = webhook_department_backend(roster_department(roster,
		    b->department));
		share = backend != NULL && backend->pace_ms > 0 ?
		    WEBHOOK_MERGE_MAX : free_slots;
		b->waiting = b->claimed >= share;
		filled |= b->waiting;
	}
	return filled;
}

/*
 * Quiet hours (SPEC §12): an event for a chat robot that comes in quiet
 * time, or whose retry falls in it, is due when the quiet time ends,
 * where the robot's pacing merges the held events into one message.
 * Escalations and trend alerts never wait; nor does a standard endpoint
 * (it has no pace).
 */
static const char *const webhook_never_held[] = { "task.escalated",
    "alert.trend" };

/* Whether quiet hours may hold event. */
static int
webhook_holdable(const char *event)
{
	size_t i;

	for (i = 0; i < sizeof webhook_never_held /
	    sizeof *webhook_never_held; i++)
		if (event != NULL && strcmp(event, webhook_never_held[i]) == 0)
			return 0;
	return 1;
}

/* When a holdable event for backend, due at ms, may go: ms, or later. */
static int64_t
webhook_quiet_due(struct webhook *w, const struct webhook_backend *backend,
    int64_t ms)
{
	const struct config *cfg = w->daemon->current->config;
	time_t end;

	if (backend == NULL || backend->pace_ms == 0)
		return ms;
	end = quiet_end(&cfg->webhook_quiet, (time_t)(ms / 1000));
	if (end <= (time_t)(ms / 1000))
		return ms;
	return (int64_t)end * 1000;
}

/* When outbox entry e (its fields) is due, in ms: now, or later. */
static int64_t
webhook_entry_due(struct webhook *w, const cJSON *e, int64_t now)
{
	const cJSON *dept, *event;

	dept = cJSON_GetObjectItemCaseSensitive(e, "department");
	event = cJSON_GetObjectItemCaseSensitive(e, "event");
	if (!cJSON_IsString(dept) || !cJSON_IsString(event) ||
	    !webhook_holdable(event->valuestring))
		return now;
	return webhook_quiet_due(w, webhook_department_backend(
	    roster_department(w->daemon->current->roster, dept->valuestring)),
	    now);
}

/*
 * The engine's poll period, WEBHOOK_TICK_MS. A build with
 * --enable-test-hooks reads LIAISOND_TEST_TICK_MS instead, so that a test
 * can stretch it and show that a push does not wait for a tick (rather
 * than race a stopwatch against 200 ms).
 */
static int
webhook_tick_ms(void)
{
#ifdef LIAISON_TEST_HOOKS
	static int ms = -1;
	const char *v;

	if (ms == -1) {
		v = getenv("LIAISOND_TEST_TICK_MS");
		ms = v != NULL && atoi(v) > 0 ? atoi(v) : WEBHOOK_TICK_MS;
	}
	return ms;
#else
	return WEBHOOK_TICK_MS;
#endif
}

static void
webhook_schedule(struct webhook *w, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (!w->stopping)
		evtimer_add(w->tick, &tv);
}

/* Something will be due at ms (util_now_ms time): wake for it. */
static void
webhook_due_at(struct webhook *w, int64_t ms)
{
	if (w->next_due == 0 || ms < w->next_due)
		w->next_due = ms;
}

/*
 * Nothing to do now: sleep until the next due time known here, at most
 * WEBHOOK_IDLE_MS while the watch wakes us on commits, else poll.
 */
static void
webhook_idle(struct webhook *w)
{
	int64_t now = util_now_ms(), ms = WEBHOOK_IDLE_MS;

	if (w->again) {
		w->again = 0;
		webhook_schedule(w, 0);
		return;
	}
	if (!outbox_watch_check(w->watch))
		ms = webhook_tick_ms();
	if (w->next_due != 0 && w->next_due - now < ms)
		ms = w->next_due > now ? w->next_due - now : 0;
	webhook_schedule(w, (int)ms);
}

static void webhook_enqueue(struct webhook *, const redisReply *);
static void webhook_claim(struct webhook *);

/* Claim what is due now; the tick's sleep is re-armed when it answers. */
static void
webhook_claim_now(struct webhook *w)
{
	w->reading = 1;
	if (w->next_due != 0 && w->next_due <= util_now_ms())
		w->next_due = 0;
	webhook_claim(w);
}

/*
 * A change was committed (outbox_watch.c): enqueue the entries read for
 * us and claim at once, in one round trip (the enqueue goes first on the
 * store's connection, so the claim sees its deliveries).
 */
static void
webhook_wake(void *arg, const redisReply *entries)
{
	struct webhook *w = arg;

	if (w->stopping)
		return;
	webhook_enqueue(w, entries);
	if (w->reading)
		w->again = 1;
	else
		webhook_claim_now(w);
}

/* Run deliver.lua's action with payload; cb may be NULL. */
static int
webhook_script(struct webhook *w, const char *action, const char *payload,
    redisCallbackFn *cb, void *arg)
{
	const char *argv[2] = { action, payload };

	return store_script(w->daemon->store, SCRIPT_DELIVER, cb, arg, 2, argv,
	    NULL);
}

/*
 * Every store reply addressed to w starts here: once stopping, w is freed
 * with the last of them. Returns 1 when the caller must not go on.
 */
static int
webhook_reply_arrived(struct webhook *w)
{
	w->callbacks--;
	if (!w->stopping)
		return 0;
	if (w->callbacks == 0)
		free(w);
	return 1;
}

/* --- libcurl's multi socket interface on the event loop --------------- */

static void webhook_check_done(struct webhook *);

static void
webhook_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct webhook *w = arg;
	int flags = 0, running;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(w->multi, fd, flags, &running);
	webhook_check_done(w);
}

/* curl says which events a socket needs; socketp holds our event. */
static int
webhook_socket(CURL *easy, curl_socket_t s, int what, void *userp,
    void *socketp)
{
	struct webhook *w = userp;
	struct event *ev = socketp;
	short kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL)
			event_free(ev);
		curl_multi_assign(w->multi, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (ev == NULL) {
		ev = event_new(w->daemon->base, s, kind, webhook_socket_event, w);
		curl_multi_assign(w->multi, s, ev);
	} else {
		event_del(ev);
		event_assign(ev, w->daemon->base, s, kind, webhook_socket_event,
		    w);
	}
	event_add(ev, NULL);
	return 0;
}

static void
webhook_curl_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct webhook *w = arg;
	int running;

	curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	webhook_check_done(w);
}

/* curl wants to be woken in timeout_ms (-1: not at all). */
static int
webhook_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct webhook *w = userp;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	if (timeout_ms < 0)
		evtimer_del(w->curl_timer);
	else
		evtimer_add(w->curl_timer, &tv);
	return 0;
}

/* --- transfers ----------------------------------------------------------- */

static size_t
webhook_write(char *data, size_t size, size_t n, void *arg)
{
	struct webhook_transfer *t = arg;
	size_t len = size * n;

	if (evbuffer_get_length(t->response) < WEBHOOK_MAX_RESPONSE)
		evbuffer_add(t->response, data, len);
	return len;
}

static size_t
webhook_header(char *data, size_t size, size_t n, void *arg)
{
	struct webhook_transfer *t = arg;
	size_t len = size * n, v;

	if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		v = len - 12;
		if (v >= sizeof t->retry_after)
			v = sizeof t->retry_after - 1;
		memcpy(t->retry_after, data + 12, v);
		t->retry_after[v] = '\0';
		t->retry_after[strcspn(t->retry_after, "\r\n")] = '\0';
	}
	return len;
}

/*
 * An easy handle for a new transfer: a finished one, reset, or a new one.
 * Making and cleaning up a handle for every delivery was ~13,000
 * instructions of libcurl's ~120,000 a transfer (BENCHMARKS "Intake: the
 * delivery's instructions, cut").
 */
static CURL *
webhook_handle(struct webhook *w)
{
	if (w->nidle > 0)
		return w->idle[--w->nidle];
	return curl_easy_init();
}

/*
 * Keep a finished transfer's handle (out of the multi handle) for the next.
 * curl_easy_reset drops every option first, so that nothing of this
 * delivery (URL, headers, body, buffers that are about to be freed) can
 * reach the next department's; the multi handle keeps the connections.
 */
static void
webhook_handle_release(struct webhook *w, CURL *easy)
{
	if (easy == NULL)
		return;
	if (w->stopping || w->nidle == WEBHOOK_IDLE_HANDLES) {
		curl_easy_cleanup(easy);
		return;
	}
	curl_easy_reset(easy);
	w->idle[w->nidle++] = easy;
}

/* Clean up the kept handles (the engine stops). */
static void
webhook_handles_free(struct webhook *w)
{
	while (w->nidle > 0)
		curl_easy_cleanup(w->idle[--w->nidle]);
}

static void
webhook_transfer_free(struct webhook_transfer *t)
{
	webhook_handle_release(t->w, t->easy);
	curl_slist_free_all(t->headers);
	webhook_backend_request_free(&t->request);
	evbuffer_free(t->response);
	while (t->nids > 0)
		free(t->ids[--t->nids]);
	free(t->ids);
	free(t->department);
	free(t);
}

/* Record the attempt's outcome in Redis. */
static void
webhook_record(struct webhook *w, struct webhook_transfer *t, long status,
    CURLcode result)
{
	const struct config *cfg = w->daemon->current->config;
	struct webhook_response resp;
	enum webhook_verdict verdict;
	cJSON *payload, *attempt, *ids;
	char *body, *text, why[CURL_ERROR_SIZE + 64] = "";
	int64_t now = util_now_ms(), next_at;
	int delay = -1, minimum = -1;
	size_t len, i;

	len = evbuffer_get_length(t->response);
	body = xmalloc(len + 1);
	evbuffer_remove(t->response, body, len);
	body[len] = '\0';
	if (result != CURLE_OK) {
		snprintf(why, sizeof why, "%s", *t->error ? t->error :
		    curl_easy_strerror(result));
		status = 0;
	}
	resp.status = status;
	resp.error = result != CURLE_OK ? why : NULL;
	resp.retry_after = *t->retry_after ? t->retry_after : NULL;
	resp.body = body;
	resp.bodylen = len;
	verdict = webhook_verdict(t->backend, &resp, util_now(), &minimum, why,
	    sizeof why);
	free(body);
	/*
	 * The schedule says when to try again; an endpoint's Retry-After (or
	 * a chat robot's rate limit) can only make that later.
	 */
	if (verdict == WEBHOOK_RETRY) {
		delay = webhook_retry_delay(cfg->webhook_schedule,
		    cfg->webhook_nschedule, t->attempts + 1,
		    (double)random() / ((double)RAND_MAX + 1));
		if (delay < 0)
			verdict = WEBHOOK_DEAD;
		else if (minimum > delay)
			delay = minimum;
	}

	payload = cJSON_CreateObject();
	ids = cJSON_AddArrayToObject(payload, "ids");
	for (i = 0; i < t->nids; i++)
		cJSON_AddItemToArray(ids, cJSON_CreateString(t->ids[i]));
	cJSON_AddStringToObject(payload, "outcome",
	    webhook_verdict_name(verdict));
	util_json_add_int(payload, "now", now);
	next_at = now + (int64_t)(delay > 0 ? delay : 0) * 1000;
	if (verdict == WEBHOOK_RETRY && t->holdable)
		next_at = webhook_quiet_due(w, t->backend, next_at);
	util_json_add_int(payload, "next_at", next_at);
	if (verdict == WEBHOOK_RETRY)
		webhook_due_at(w, next_at);
	attempt = cJSON_AddObjectToObject(payload, "attempt");
	util_json_add_int(attempt, "at", t->started);
	util_json_add_int(attempt, "status", status);
	cJSON_AddStringToObject(attempt, "error",
	    verdict == WEBHOOK_DELIVERED ? "" : why);
	util_json_add_int(attempt, "duration_ms", now - t->started);
	text = cJSON_PrintUnformatted(payload);
	cJSON_Delete(payload);
	if (webhook_script(w, "done", text, NULL, NULL) == -1)
		log_warnx("webhook %s: result not recorded (redis down); it "
		    "is sent again when its lease ends", t->ids[0]);
	if (verdict != WEBHOOK_DELIVERED)
		log_info("webhook %s to %s: %s", t->ids[0], t->department, why);
	free(text);
}

/* Collect finished transfers. */
static void
webhook_check_done(struct webhook *w)
{
	struct webhook_transfer *t;
	struct webhook_busy *b;
	CURLMsg *msg;
	curl_off_t us = 0;
	long status = 0;
	int left;

	while ((msg = curl_multi_info_read(w->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
		    &status);
		if (curl_easy_getinfo(msg->easy_handle, CURLINFO_TOTAL_TIME_T,
		    &us) == CURLE_OK)
			metrics_observe(METRICS_WEBHOOK, t->department, us / 1e6);
		curl_multi_remove_handle(w->multi, msg->easy_handle);
		webhook_record(w, t, status, msg->data.result);
		b = webhook_busy_of(w, t->department);
		b->inflight--;
		TAILQ_REMOVE(&w->transfers, t, entry);
		w->ntransfers--;
		webhook_transfer_free(t);
		/* A slot is free: claim what waits for it without delay. */
		if (b->waiting && !w->reading)
			webhook_schedule(w, 0);
	}
}

/*
 * Start one attempt carrying msgs (one, or several merged for a chat
 * robot); -1 when the request cannot be built.
 */
static int
webhook_start(struct webhook *w, struct webhook_transfer *t,
    const struct department *dept, const struct webhook_message *msgs,
    size_t n)
{
	const struct config *cfg = w->daemon->current->config;
	const cJSON *links;
	const char *v;
	char *link, *cause = NULL;
	size_t i;
	int rc;

	/*
	 * One task: its place on the department page (a trend alert: the
	 * agenda); several: the page.
	 */
	if (n == 1) {
		links = cJSON_GetObjectItem(msgs[0].data, "links");
		v = cJSON_GetStringValue(cJSON_GetObjectItem(links, "task"));
		if (v == NULL)
			v = cJSON_GetStringValue(cJSON_GetObjectItem(links,
			    "agenda"));
		link = xstrdup(v != NULL ? v : "");
	} else
		link = issue_json_dept_link(cfg->public_url);
	rc = webhook_backend_build(dept, msgs, n, t->ids[0], util_now(),
	    util_now_ms(), link, &t->request, &cause);
	free(link);
	if (rc == -1) {
		log_warnx("webhook %s: %s", t->ids[0], cause);
		free(cause);
		return -1;
	}
	for (i = 0; i < t->request.nheaders; i++)
		t->headers = curl_slist_append(t->headers,
		    t->request.headers[i]);
	if ((t->easy = webhook_handle(w)) == NULL) {
		log_warnx("webhook %s: curl_easy_init failed", t->ids[0]);
		return -1;
	}
	curl_easy_setopt(t->easy, CURLOPT_URL, t->request.url);
	curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->request.body);
	curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE,
	    (long)t->request.bodylen);
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, webhook_write);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, webhook_header);
	curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->error);
	curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS,
	    (long)cfg->webhook_timeout_ms);
	curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)cfg->webhook_timeout_ms);
	curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "liaisond/" PACKAGE_VERSION);
	t->backend = webhook_department_backend(dept);
	t->holdable = 1;
	for (i = 0; i < n; i++)
		if (!webhook_holdable(msgs[i].event))
			t->holdable = 0;
	t->started = util_now_ms();
	curl_multi_add_handle(w->multi, t->easy);
	return 0;
}

/* --- from Redis ---------------------------------------------------------- */

/*
 * A message lives while the claim's reply and the roster do (it is printed
 * and freed in webhook_send), so its strings are theirs, referred to, not
 * copied, under constant names. Add value under name to obj.
 */
static void
webhook_message_add(cJSON *obj, const char *name, const char *value)
{
	cJSON_AddItemToObjectCS(obj, name, cJSON_CreateStringReference(value));
}

/* Add the reply's field name to obj ("" when it has none); return it. */
static const char *
webhook_message_field(cJSON *obj, const redisReply *hash, const char *name)
{
	const char *v = util_reply_field(hash, name);

	webhook_message_add(obj, name, v != NULL ? v : "");
	return v;
}

/*
 * What a message says (the backends format it): the task, for each of
 * its issues what a department member needs to act (enterprise and
 * officer by name, topic, title, category, period), and the links to the
 * task on the department page and to the page.
 */
static cJSON *
webhook_message_data(const struct generation *g, const redisReply *task,
    const redisReply *issues)
{
	const struct roster *roster = g->roster;
	cJSON *data = cJSON_CreateObject(), *list, *o;
	char *link;
	const struct enterprise *e;
	const struct officer *off;
	const struct topic *topic;
	const char *v;
	size_t i;

	cJSON_AddItemToObject(data, "task", issue_json_task(task));
	list = cJSON_AddArrayToObject(data, "issues");
	for (i = 0; issues != NULL && i < issues->elements; i++) {
		const redisReply *is = issues->element[i];

		o = cJSON_CreateObject();
		webhook_message_field(o, is, "id");
		v = webhook_message_field(o, is, "enterprise");
		e = v ? roster_enterprise(roster, v) : NULL;
		webhook_message_add(o, "enterprise_name", e ? e->name : "");
		v = webhook_message_field(o, is, "topic");
		topic = v ? roster_topic(roster, v) : NULL;
		webhook_message_add(o, "topic_name", topic ? topic->name : "");
		v = webhook_message_field(o, is, "officer");
		off = v ? roster_officer(roster, v) : NULL;
		webhook_message_add(o, "officer_name", off ? off->name : "");
		webhook_message_field(o, is, "title");
		webhook_message_field(o, is, "category");
		webhook_message_field(o, is, "period");
		cJSON_AddItemToArray(list, o);
	}
	/* SPEC §7: where the department acts on it, the task's own anchor. */
	list = cJSON_AddObjectToObject(data, "links");
	v = util_reply_field(task, "id");
	link = issue_json_task_link(g->config->public_url, v ? v : "");
	cJSON_AddStringToObject(list, "task", link);
	free(link);
	link = issue_json_dept_link(g->config->public_url);
	cJSON_AddStringToObject(list, "department", link);
	free(link);
	return data;
}

/*
 * A trend alert's message (alert.trend, SPEC §12): the alert, and the
 * link to the working meeting's agenda it is on.
 */
static cJSON *
webhook_alert_data(const struct generation *g, const redisReply *alert)
{
	cJSON *data = cJSON_CreateObject(), *links;
	char *link;

	cJSON_AddItemToObject(data, "alert", trend_alert_json(alert));
	links = cJSON_AddObjectToObject(data, "links");
	xasprintf(&link, "%s/agenda", g->config->public_url);
	cJSON_AddStringToObject(links, "agenda", link);
	free(link);
	return data;
}

/* The message of a claimed row {delivery, task or alert, {issues}}. */
static void
webhook_message(const struct generation *g, const redisReply *row,
    struct webhook_message *msg)
{
	msg->event = util_reply_field(row->element[0], "event");
	if (msg->event != NULL && strcmp(msg->event, "alert.trend") == 0)
		msg->data = webhook_alert_data(g, row->element[1]);
	else
		msg->data = webhook_message_data(g, row->element[1],
		    row->element[2]);
}

/*
 * Claimed deliveries of one department, rows {delivery, task, {issues}}
 * ({delivery, alert, {}} for a trend alert to the leaders):
 * one for a standard endpoint, one or more (merged) for a chat robot.
 * Start them as one request, or put them back while the endpoint is busy.
 */
static void
webhook_send(struct webhook *w, const char *dept_id,
    const redisReply **rows, size_t n)
{
	const struct roster *roster = w->daemon->current->roster;
	const struct department *dept = roster_department(roster, dept_id);
	struct webhook_message msgs[WEBHOOK_MERGE_MAX];
	struct webhook_transfer *t;
	const char *attempts;
	char payload[160];
	int *inflight = webhook_inflight(w, dept_id);
	size_t i;
	int rc = -1;

	if (dept != NULL && dept->webhook_url != NULL &&
	    *inflight >= w->daemon->current->config->webhook_per_endpoint) {
		for (i = 0; i < n; i++) {
			snprintf(payload, sizeof payload, "{\"id\":\"%s\","
			    "\"at\":%lld}", util_reply_field(rows[i]->element[0], "id"),
			    (long long)(util_now_ms() + WEBHOOK_BUSY_MS));
			webhook_script(w, "defer", payload, NULL, NULL);
		}
		webhook_due_at(w, util_now_ms() + WEBHOOK_BUSY_MS);
		return;
	}
	t = xcalloc(1, sizeof *t);
	t->w = w;
	t->department = xstrdup(dept_id);
	t->ids = xcalloc(n, sizeof *t->ids);
	for (i = 0; i < n; i++)
		t->ids[t->nids++] = xstrdup(util_reply_field(rows[i]->element[0],
		    "id"));
	attempts = util_reply_field(rows[0]->element[0], "attempts");
	t->attempts = attempts ? atoi(attempts) : 0;
	t->response = evbuffer_new();
	/* The message is built only where it can go. */
	if (dept != NULL && dept->webhook_url != NULL) {
		for (i = 0; i < n; i++)
			webhook_message(w->daemon->current, rows[i], &msgs[i]);
		rc = webhook_start(w, t, dept, msgs, n);
		for (i = 0; i < n; i++)
			cJSON_Delete((cJSON *)msgs[i].data);
	}
	if (rc == -1) {
		/* No endpoint (any more): nothing can be sent; say why. */
		snprintf(t->error, sizeof t->error, "%s", dept == NULL ?
		    "no such department in the roster" :
		    "the department has no usable webhook");
		webhook_record(w, t, 0, CURLE_URL_MALFORMAT);
		webhook_transfer_free(t);
		return;
	}
	(*inflight)++;
	TAILQ_INSERT_TAIL(&w->transfers, t, entry);
	w->ntransfers++;
}

/*
 * The claimed deliveries: a chat robot's are merged into one message per
 * department, every other delivery is a request of its own.
 */
static void
webhook_claimed(redisAsyncContext *c, void *r, void *privdata)
{
	struct webhook *w = privdata;
	redisReply *reply = r;
	const struct roster *roster;
	const redisReply *rows[WEBHOOK_MERGE_MAX];
	const struct webhook_backend *backend;
	const char *dept, *other;
	char *taken;
	size_t i, j, n;

	if (webhook_reply_arrived(w))
		return;
	w->reading = 0;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		if (reply != NULL)
			store_reply_is_error(w->daemon->store, reply);
		webhook_schedule(w, webhook_tick_ms());
		return;
	}
	roster = w->daemon->current->roster;
	taken = xcalloc(reply->elements + 1, 1);
	for (i = 0; i < reply->elements; i++) {
		if (taken[i] || reply->element[i]->elements != 3 ||
		    (dept = util_reply_field(reply->element[i]->element[0],
		    "department")) == NULL)
			continue;
		n = 0;
		rows[n++] = reply->element[i];
		taken[i] = 1;
		backend = webhook_department_backend(roster_department(roster,
		    dept));
		for (j = i + 1; j < reply->elements && n < WEBHOOK_MERGE_MAX &&
		    backend != NULL && backend->merge; j++) {
			if (taken[j] || reply->element[j]->elements != 3)
				continue;
			other = util_reply_field(reply->element[j]->element[0],
			    "department");
			if (other != NULL && strcmp(other, dept) == 0) {
				rows[n++] = reply->element[j];
				taken[j] = 1;
			}
		}
		/* A chat robot's next turn may find more waiting. */
		if (backend != NULL && backend->pace_ms > 0)
			webhook_due_at(w, util_now_ms() + backend->pace_ms);
		webhook_busy_of(w, dept)->claimed += (int)n;
		webhook_send(w, dept, rows, n);
	}
	free(taken);
	/* A share filled: look again at once, else sleep. */
	if (webhook_claim_filled(w))
		webhook_schedule(w, 0);
	else
		webhook_idle(w);
}

static void
webhook_claim(struct webhook *w)
{
	const struct roster *roster = w->daemon->current->roster;
	const struct config *cfg = w->daemon->current->config;
	cJSON *payload = cJSON_CreateObject(), *pace, *busy;
	const struct webhook_backend *backend;
	struct webhook_busy *b;
	char *text;
	size_t i;

	util_json_add_int(payload, "now", util_now_ms());
	util_json_add_int(payload, "lease",
	    cfg->webhook_timeout_ms + WEBHOOK_LEASE_SLACK_MS);
	util_json_add_int(payload, "cap", cfg->webhook_per_endpoint);
	util_json_add_int(payload, "merge", WEBHOOK_MERGE_MAX);
	/* A paced endpoint's due events are claimed together, and merged. */
	pace = cJSON_AddObjectToObject(payload, "pace");
	for (i = 0; i < roster->ndepartments; i++) {
		backend = webhook_department_backend(&roster->departments[i]);
		if (backend != NULL && backend->pace_ms > 0)
			cJSON_AddNumberToObject(pace,
			    roster->departments[i].id, backend->pace_ms);
	}
	backend = webhook_department_backend(roster_department(roster,
	    ROSTER_LEADERS));
	if (backend != NULL && backend->pace_ms > 0)
		util_json_add_int(pace, ROSTER_LEADERS, backend->pace_ms);
	/* What is in flight here, so that the script gives only free slots. */
	busy = cJSON_AddObjectToObject(payload, "busy");
	for (b = w->busy; b != NULL; b = b->next) {
		b->at_claim = b->inflight;
		b->claimed = 0;
		if (b->inflight > 0)
			util_json_add_int(busy, b->department,
			    b->inflight);
	}
	text = cJSON_PrintUnformatted(payload);
	cJSON_Delete(payload);
	if (webhook_script(w, "claim", text, webhook_claimed, w) == -1) {
		w->reading = 0;
		webhook_schedule(w, webhook_tick_ms());
	} else {
		w->callbacks++;
	}
	free(text);
}

/* Outbox entries (XREADGROUP or XAUTOCLAIM shape) → deliver.lua enqueue. */
static void
webhook_enqueue(struct webhook *w, const redisReply *entries)
{
	cJSON *payload = cJSON_CreateObject(), *list, *e;
	const redisReply *entry, *fields;
	size_t i, j;
	char *text, now[32], due[32];
	int64_t now_ms = util_now_ms(), due_ms;

	snprintf(now, sizeof now, "%lld", (long long)now_ms);
	cJSON_AddStringToObject(payload, "now", now);
	list = cJSON_AddArrayToObject(payload, "entries");
	for (i = 0; i < entries->elements; i++) {
		entry = entries->element[i];
		if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
		    entry->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "id", entry->element[0]->str);
		fields = entry->element[1];
		for (j = 0; j + 1 < fields->elements; j += 2)
			cJSON_AddStringToObject(e, fields->element[j]->str,
			    fields->element[j + 1]->str);
		if ((due_ms = webhook_entry_due(w, e, now_ms)) != now_ms) {
			snprintf(due, sizeof due, "%lld", (long long)due_ms);
			cJSON_AddStringToObject(e, "held_until", due);
			webhook_due_at(w, due_ms);
		}
		cJSON_AddItemToArray(list, e);
	}
	if (cJSON_GetArraySize(list) > 0) {
		text = cJSON_PrintUnformatted(payload);
		webhook_script(w, "enqueue", text, NULL, NULL);
		free(text);
	}
	cJSON_Delete(payload);
}

static void
webhook_outbox_read(redisAsyncContext *c, void *r, void *privdata)
{
	struct webhook *w = privdata;
	redisReply *reply = r;
	const redisReply *got;
	int full;

	if (webhook_reply_arrived(w))
		return;
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	    strncmp(reply->str, "NOGROUP", 7) == 0)
		w->group_ready = 0;
	/*
	 * XAUTOCLAIM: [next, [entries], [deleted ids]]; XREADGROUP:
	 * [[stream, [entries]]] (told apart by what was sent: two entries
	 * taken over look like one stream's answer).
	 */
	got = NULL;
	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements >= 2 && w->taking_over)
		got = reply->element[1];
	else if (reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == 1 &&
	    reply->element[0]->type == REDIS_REPLY_ARRAY &&
	    reply->element[0]->elements == 2)
		got = reply->element[0]->element[1];
	full = 0;
	if (got != NULL && got->type == REDIS_REPLY_ARRAY) {
		webhook_enqueue(w, got);
		/*
		 * A full read may have left more: the next tick reads on at
		 * once (this enqueue goes first on the connection, so a
		 * read of "0" or a take-over then finds only the rest).
		 */
		full = got->elements >= OUTBOX_READ_MAX;
	}
	if (w->taking_over) {
		w->take_over_more = full;
	} else {
		w->read_full = full;
		if (!full)
			w->history = 0;
	}
	if (full)
		w->again = 1;
	w->taking_over = 0;
	webhook_claim(w);
}

static void
webhook_group_created(redisAsyncContext *c, void *r, void *privdata)
{
	struct webhook *w = privdata;
	redisReply *reply = r;

	if (webhook_reply_arrived(w))
		return;
	if (reply != NULL && (reply->type != REDIS_REPLY_ERROR ||
	    strncmp(reply->str, "BUSYGROUP", 9) == 0)) {
		w->group_ready = 1;
		webhook_schedule(w, 0);   /* the first read, and the watch */
	}
}

/*
 * The store is up (store.c): tick now, so that a daemon just started or
 * reconnected has its group and its watch within a few round trips, not
 * after a tick or two (a report committed meanwhile waited ~0.3 s for its
 * first attempt).
 */
static void
webhook_store_up(void *arg)
{
	struct webhook *w = arg;

	if (!w->reading)
		webhook_schedule(w, 0);
}

/* Every tick: new outbox entries, then due deliveries. */
static void
webhook_tick(evutil_socket_t fd, short what, void *arg)
{
	struct webhook *w = arg;
	struct store *s = w->daemon->store;
	char key[160], idle[32];
	const char *argv[12];
	int64_t now = util_now_ms();

	if (!store_up(s) || w->reading) {
		webhook_schedule(w, webhook_tick_ms());
		return;
	}
	snprintf(key, sizeof key, "%soutbox", s->prefix);
	if (!w->group_ready) {
		/* From the start of the stream: nothing is ever skipped. */
		argv[0] = "XGROUP"; argv[1] = "CREATE"; argv[2] = key;
		argv[3] = OUTBOX_GROUP; argv[4] = "0"; argv[5] = "MKSTREAM";
		if (store_command(s, webhook_group_created, w, 6, argv,
		    NULL) == 0)
			w->callbacks++;
		webhook_schedule(w, webhook_tick_ms());
		return;
	}
	if (w->connection != s->connections) {
		/*
		 * A new connection (a failover, too) may find entries this
		 * daemon read before but whose enqueue was lost: its own
		 * pending ones ("0") come first.
		 */
		w->connection = s->connections;
		w->history = 1;
	}
	if (now - w->last_autoclaim <= OUTBOX_IDLE_MS && !w->read_full &&
	    !w->take_over_more && !w->history &&
	    outbox_watch_check(w->watch)) {
		/* The watch reads the group for us: only claim. */
		webhook_claim_now(w);
		return;
	}
	w->reading = 1;
	/* This claim takes what is due by now. */
	if (w->next_due != 0 && w->next_due <= now)
		w->next_due = 0;
	if (now - w->last_autoclaim > OUTBOX_IDLE_MS || w->take_over_more) {
		/*
		 * Entries another daemon read but never enqueued, a read's
		 * worth at a time: after a full one the next tick takes over
		 * the rest at once.
		 */
		w->taking_over = 1;
		w->take_over_more = 0;
		w->last_autoclaim = now;
		snprintf(idle, sizeof idle, "%d", OUTBOX_IDLE_MS);
		argv[0] = "XAUTOCLAIM"; argv[1] = key; argv[2] = OUTBOX_GROUP;
		argv[3] = w->consumer; argv[4] = idle; argv[5] = "0-0";
		argv[6] = "COUNT"; argv[7] = OUTBOX_READ_COUNT;
		if (store_command(s, webhook_outbox_read, w, 8, argv,
		    NULL) == 0) {
			w->callbacks++;
			return;
		}
	} else {
		argv[0] = "XREADGROUP"; argv[1] = "GROUP";
		argv[2] = OUTBOX_GROUP; argv[3] = w->consumer;
		argv[4] = "COUNT"; argv[5] = OUTBOX_READ_COUNT;
		argv[6] = "STREAMS"; argv[7] = key;
		argv[8] = w->history ? "0" : ">";
		if (store_command(s, webhook_outbox_read, w, 9, argv,
		    NULL) == 0) {
			w->callbacks++;
			return;
		}
	}
	w->reading = 0;
	w->taking_over = 0;
	webhook_schedule(w, webhook_tick_ms());
}

/* Start delivering. */
struct webhook *
webhook_start_engine(struct daemon *d)
{
	struct webhook *w = xcalloc(1, sizeof *w);
	char host[64];

	w->daemon = d;
	TAILQ_INIT(&w->transfers);
	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "host");
	host[sizeof host - 1] = '\0';
	snprintf(w->consumer, sizeof w->consumer, "%s:%ld", host,
	    (long)getpid());
	w->multi = curl_multi_init();
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, webhook_socket);
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, webhook_timer);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
	w->curl_timer = evtimer_new(d->base, webhook_curl_timeout, w);
	w->tick = evtimer_new(d->base, webhook_tick, w);
	w->watch = outbox_watch_new(d->base, d->store, w->consumer,
	    webhook_wake, w);
	w->last_autoclaim = util_now_ms();
	store_on_up(d->store, webhook_store_up, w);
	webhook_schedule(w, 0);
	return w;
}

/* Transfers in flight, for draining on SIGTERM. */
int
webhook_busy(const struct webhook *w)
{
	return w->ntransfers;
}

/*
 * Stop: transfers still in flight are dropped (their leases end and another
 * attempt follows). Called after the loop has ended.
 */
void
webhook_stop(struct webhook *w)
{
	struct webhook_transfer *t;
	struct webhook_busy *b;

	w->stopping = 1;
	store_on_up(w->daemon->store, NULL, NULL);
	outbox_watch_free(w->watch);
	event_free(w->tick);
	while ((t = TAILQ_FIRST(&w->transfers)) != NULL) {
		TAILQ_REMOVE(&w->transfers, t, entry);
		curl_multi_remove_handle(w->multi, t->easy);
		webhook_transfer_free(t);
	}
	webhook_handles_free(w);
	curl_multi_cleanup(w->multi);
	event_free(w->curl_timer);
	while ((b = w->busy) != NULL) {
		w->busy = b->next;
		free(b->department);
		free(b);
	}
	/* A reply still to come frees w (webhook_reply_arrived). */
	if (w->callbacks == 0)
		free(w);
}
