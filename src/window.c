/*
 * window.c -- the daemon's window of recent issues, in which a new item
 * looks for the same problem raised by other enterprises (共性问题). The
 * window is an index in memory (similar.c) over the issues of the current
 * and the previous period; Redis holds the truth, so the window is filled
 * from Redis at start and kept in step every second by reading the issues
 * created since it last looked (by this daemon or by others sharing the
 * Redis). Issues this daemon stores go in at once.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define WINDOW_SYNC_MS 1000
#define WINDOW_WAIT_MS 50          /* for Redis, before the first read */
#define WINDOW_BATCH "500"

struct window {
	struct store *store;
	struct similar_window *index;
	struct event *timer;
	char cursor[32];            /* creation ms the next read starts at */
	size_t skip;                /* issues of that ms read already (a whole
				       batch of one ms, group commit's) */
	int running;                /* a read is outstanding */
	int stopping;
	int more;                   /* the last read was a full batch */
	int loaded;                 /* the first full read has finished */
};

/* The oldest period the window keeps: the previous one. */
int
window_oldest_key(void)
{
	struct period now, prev;

	period_of_time(time(NULL), &now);
	period_previous(&now, &prev);
	return period_key(&prev);
}

static void
window_schedule(struct window *w, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (!w->stopping)
		evtimer_add(w->timer, &tv);
}

/*
 * The fields the window reads of an issue (read.lua's "window": their
 * values in this order, not the whole hash), and their places.
 */
#define WINDOW_FIELDS "id topic enterprise period group title detail state"
enum window_field {
	WINDOW_ID, WINDOW_TOPIC, WINDOW_ENTERPRISE, WINDOW_PERIOD,
	WINDOW_GROUP, WINDOW_TITLE, WINDOW_DETAIL, WINDOW_STATE, WINDOW_NFIELDS
};

/* The value at place i of an issue's row, or NULL (a field it lacks). */
static const char *
window_field(const redisReply *f, enum window_field i)
{
	if (f == NULL || f->type != REDIS_REPLY_ARRAY ||
	    f->elements != WINDOW_NFIELDS ||
	    f->element[i]->type != REDIS_REPLY_STRING)
		return NULL;
	return f->element[i]->str;
}

/* Put one issue (a row of read.lua's "window") in the index. */
static void
window_add_fields(struct window *w, const redisReply *f)
{
	const char *id = window_field(f, WINDOW_ID);
	const char *topic = window_field(f, WINDOW_TOPIC);
	const char *ent = window_field(f, WINDOW_ENTERPRISE);
	const char *period = window_field(f, WINDOW_PERIOD);
	const char *group = window_field(f, WINDOW_GROUP);
	const char *title = window_field(f, WINDOW_TITLE);
	const char *detail = window_field(f, WINDOW_DETAIL);
	const char *state = window_field(f, WINDOW_STATE);
	struct period p;
	char *text;

	/* Closed issues stay out, at a (re)start's load as later. */
	if (id != NULL && state != NULL && strcmp(state, "closed") == 0) {
		similar_window_remove(w->index, id);
		return;
	}
	if (id == NULL || topic == NULL || ent == NULL || period == NULL ||
	    period_parse(period, &p) == -1)
		return;
	xasprintf(&text, "%s\n%s", title ? title : "", detail ? detail : "");
	similar_window_add(w->index, id, topic, ent, period_key(&p),
	    group && *group ? group : NULL, text);
	free(text);
}

/* The end of one round: go on at once when there is more to read. */
static void
window_round_done(struct window *w)
{
	similar_window_expire(w->index, window_oldest_key());
	if (w->more) {
		window_schedule(w, 0);
		return;
	}
	if (!w->loaded) {
		/* Index the bands of what the load left, once. */
		similar_window_hold_bands(w->index, 0);
		log_info("window: %zu bytes of recent issues loaded",
		    similar_window_bytes(w->index));
	}
	w->loaded = 1;
	window_schedule(w, WINDOW_SYNC_MS);
}

/* Returns 1 when the callback should stop here (stopping, or no reply). */
static int
window_reply_unusable(struct window *w, redisReply *reply)
{
	w->running = 0;
	if (w->stopping) {
		free(w);
		return 1;
	}
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		if (reply != NULL)
			store_reply_is_error(w->store, reply);
		window_schedule(w, w->loaded ? WINDOW_SYNC_MS : WINDOW_WAIT_MS);
		return 1;
	}
	return 0;
}

/* The fields of the issues the window lacked: add them. */
static void
window_read_issues(redisAsyncContext *c, void *r, void *privdata)
{
	struct window *w = privdata;
	redisReply *reply = r;
	size_t i;

	if (window_reply_unusable(w, reply))
		return;
	for (i = 0; i < reply->elements; i++)
		window_add_fields(w, reply->element[i]);
	window_round_done(w);
}

/*
 * The ids and creation times of issues created since the cursor: fetch the
 * ones the window does not have (most were stored by this daemon and are
 * in it already).
 */
static void
window_read_ids(redisAsyncContext *c, void *r, void *privdata)
{
	struct window *w = privdata;
	redisReply *reply = r;
	const char *argv[3];
	char before[sizeof w->cursor];
	struct evbuffer *ids;
	char *list;
	size_t i, len;

	if (window_reply_unusable(w, reply))
		return;
	memcpy(before, w->cursor, sizeof before);
	ids = evbuffer_new();
	for (i = 0; i + 1 < reply->elements; i += 2) {
		if (!similar_window_has(w->index, reply->element[i]->str))
			evbuffer_add_printf(ids, "%s ",
			    reply->element[i]->str);
		snprintf(w->cursor, sizeof w->cursor, "%s",
		    reply->element[i + 1]->str);
	}
	/*
	 * A full batch means more to read: from the last creation time read
	 * (inclusive, as another issue of that millisecond may follow). When
	 * a whole batch shared one millisecond (a group commit stores many
	 * issues with one time), the next read goes on within it, past the
	 * ones read: stepping past the millisecond lost the rest of it.
	 */
	w->more = reply->elements / 2 >= (size_t)atoi(WINDOW_BATCH);
	if (w->more && strcmp(before, w->cursor) == 0)
		w->skip += reply->elements / 2;
	else
		w->skip = 0;
	len = evbuffer_get_length(ids);
	if (len == 0) {
		evbuffer_free(ids);
		window_round_done(w);
		return;
	}
	list = xmalloc(len + 1);
	evbuffer_remove(ids, list, len);
	list[len] = '\0';
	evbuffer_free(ids);
	argv[0] = "window";
	argv[1] = list;
	argv[2] = WINDOW_FIELDS;
	if (store_script(w->store, SCRIPT_READ, window_read_issues, w, 3, argv,
	    NULL) == -1)
		window_schedule(w, WINDOW_SYNC_MS);
	else
		w->running = 1;
	free(list);
}

static void
window_tick(int fd, short what, void *arg)
{
	struct window *w = arg;
	char skip[32];
	const char *argv[4] = { "since", w->cursor, WINDOW_BATCH, skip };

	snprintf(skip, sizeof skip, "%zu", w->skip);
	/* Until the first read is done, reports wait: look again soon. */
	if (!store_up(w->store) || store_script(w->store, SCRIPT_READ,
	    window_read_ids, w, 4, argv, NULL) == -1) {
		window_schedule(w, w->loaded ? WINDOW_SYNC_MS : WINDOW_WAIT_MS);
		return;
	}
	w->running = 1;
}

/* Start the window: read the recent issues, then keep up every second. */
struct window *
window_start(struct event_base *base, struct store *store, size_t max)
{
	struct window *w = xcalloc(1, sizeof *w);
	struct period now, prev;

	w->store = store;
	w->index = similar_window_new(max);
	/* Its band indexes wait for the load's end (window_round_done). */
	similar_window_hold_bands(w->index, 1);
	w->timer = evtimer_new(base, window_tick, w);
	period_of_time(time(NULL), &now);
	period_previous(&now, &prev);
	snprintf(w->cursor, sizeof w->cursor, "%lld",
	    (long long)period_start(&prev) * 1000);
	window_schedule(w, 0);
	return w;
}

/* The index, for matching and for adding what this daemon just stored. */
struct similar_window *
window_index(struct window *w)
{
	return w->index;
}

/*
 * The open issues in the window, for /metrics (not its bytes: counting
 * them walks every entry).
 */
void
window_metrics(const struct window *w, struct evbuffer *buf)
{
	evbuffer_add_printf(buf,
	    "# HELP liaisond_window_issues Open issues in the window of "
	    "common-issue detection (closed ones leave it).\n"
	    "# TYPE liaisond_window_issues gauge\n"
	    "liaisond_window_issues %zu\n", similar_window_count(w->index));
}

int
window_loaded(const struct window *w)
{
	return w->loaded;
}

void
window_stop(struct window *w)
{
	w->stopping = 1;
	event_free(w->timer);
	similar_window_free(w->index);
	w->index = NULL;
	if (!w->running)
		free(w);
}
