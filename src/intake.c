/*
 * intake.c -- group commit of reports: the reports whose payloads are ready
 * in one turn of the loop go to Redis in one workflow.lua call
 * (submit_batch), at most INTAKE_BATCH_MAX a call, and so share fsyncs
 * with appendfsync always.
 *
 * Why: Redis fsyncs once per turn of its own loop, but reads at most 16 KB
 * of one connection per turn; the daemon's one connection carries ~1.5 KB
 * per report, so separate calls would be written and fsynced in small
 * groups however many are waiting. One call holds them all.
 *
 * Each report keeps its own answer: the script stores them one after the
 * other (a later one sees an earlier one's Idempotency-Key), answers each
 * as `submit` would, and a report whose script fails is answered 500 alone.
 * What every payload shares (the generation's constants: stages, rules,
 * mail events, ~1 KB) goes once per call, first, and is decoded once:
 * reports of another generation (a reload within the turn) start a batch
 * of their own.
 * A request answered meanwhile (its deadline passed) is held until the
 * batch's reply comes, then dropped.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

/*
 * Reports per call: larger batches are cut into several calls, each sent
 * (and written to Redis) as soon as it is full. A call holds Redis and
 * every one of its reports for all of its reports' work (~110 us each on
 * our 2 cores): at 64 (every connection of the bench in one call) a report
 * waited ~7 ms for the other 63, and Redis sat idle while the daemon read
 * the next 64 (a convoy; BENCHMARKS "Intake: the tail"). At 16 the first
 * part of a turn is in Redis while the daemon reads the rest.
 */
#define INTAKE_BATCH_MAX 16

struct intake_entry {
	struct request *r;
	request_reply_fn fn;
	char *args[4];              /* payload, body hash, key, lifetime */
};

struct intake_batch {
	struct intake *in;
	const char *gen_constants;  /* the generation's, to tell them apart */
	char *constants;            /* "{...}": the members every payload shares */
	size_t n;
	double sent;                /* metrics_clock() when sent */
	struct intake_entry e[INTAKE_BATCH_MAX];
};

struct intake {
	struct store *store;
	struct event *flush;        /* active once a batch is open */
	struct intake_batch *open;  /* filling during this turn, or NULL */
	unsigned long calls;        /* submit_batch calls sent */
	unsigned long reports;      /* reports in them */
};

static void intake_flush(int, short, void *);

struct intake *
intake_start(struct event_base *base, struct store *store)
{
	struct intake *in = xcalloc(1, sizeof *in);

	in->store = store;
	in->flush = event_new(base, -1, 0, intake_flush, in);
	if (in->flush == NULL)
		fatalx("intake: event_new");
	return in;
}

static void
intake_batch_free(struct intake_batch *b)
{
	size_t i, j;

	for (i = 0; i < b->n; i++)
		for (j = 0; j < 4; j++)
			free(b->e[i].args[j]);
	free(b->constants);
	free(b);
}

/*
 * One report's part of the batch's reply, to its request. A report whose
 * script failed ({'error', message}) is answered as if its own call had
 * got that error reply: 503 for "not now" (READONLY: the server became a
 * replica), else 500.
 */
static void
intake_answer(struct intake_entry *e, redisReply *reply)
{
	struct request *r = e->r;
	redisReply failed;

	if (!request_drop(r))       /* answered meanwhile: r may be gone */
		return;
	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == 2 &&
	    reply->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(reply->element[0]->str, "error") == 0 &&
	    reply->element[1]->type == REDIS_REPLY_STRING) {
		memset(&failed, 0, sizeof failed);
		failed.type = REDIS_REPLY_ERROR;
		failed.str = reply->element[1]->str;
		failed.len = reply->element[1]->len;
		reply = &failed;
	}
	if (request_store_check(r, reply) == -1)
		return;
	e->fn(r, reply);
}

static void
intake_done(redisAsyncContext *c, void *reply, void *arg)
{
	struct intake_batch *b = arg;
	redisReply *rep = reply;
	size_t i;

	if (rep != NULL)
		metrics_observe(METRICS_INTAKE, NULL,
		    metrics_clock() - b->sent);
	for (i = 0; i < b->n; i++) {
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR)
			intake_answer(&b->e[i], rep);  /* 503 or 500, each */
		else if (rep->type != REDIS_REPLY_ARRAY ||
		    rep->elements != b->n) {
			if (request_drop(b->e[i].r))
				request_error(b->e[i].r, 500, "internal",
				    "unexpected store reply", NULL);
		} else
			intake_answer(&b->e[i], rep->element[i]);
	}
	intake_batch_free(b);
}

/* The end of the loop's turn: send the open batch. */
static void
intake_flush(int fd, short what, void *arg)
{
	struct intake *in = arg;
	struct intake_batch *b = in->open;
	const char **argv;
	size_t i, j;
	int argc = 0;

	if (b == NULL)
		return;
	in->open = NULL;
	argv = xcalloc(2 + 4 * b->n, sizeof *argv);
	argv[argc++] = "submit_batch";
	argv[argc++] = b->constants;
	for (i = 0; i < b->n; i++)
		for (j = 0; j < 4; j++)
			argv[argc++] = b->e[i].args[j];
	in->calls++;
	in->reports += b->n;
	b->sent = metrics_clock();
	if (store_script(in->store, SCRIPT_WORKFLOW, intake_done, b, argc,
	    argv, NULL) == -1)
		intake_done(NULL, NULL, b);       /* Redis down: 503 each */
	else
		store_write_now(in->store);
	free(argv);
}

/*
 * Store a report (payload: workflow.lua's submit payload as JSON, without
 * the generation's constants; hash of the body; Idempotency-Key or ""; its
 * lifetime in seconds) with the other reports of this turn; fn gets its
 * own {outcome, response} as it would from `submit`. The request is held
 * until the batch's reply, one round trip of its own
 * (liaisond_http_redis_round_trips_total).
 */
void
intake_submit(struct request *r, const char *payload, const char *hash,
    const char *key, const char *ttl, request_reply_fn fn)
{
	struct intake *in = r->daemon->intake;
	const char *constants = r->gen->constants;
	struct intake_entry *e;

	if (in->open != NULL && (in->open->n == INTAKE_BATCH_MAX ||
	    in->open->gen_constants != constants))
		intake_flush(-1, 0, in);
	if (in->open == NULL) {
		in->open = xcalloc(1, sizeof *in->open);
		in->open->in = in;
		in->open->gen_constants = constants;
		xasprintf(&in->open->constants, "{%s}", constants);
		event_active(in->flush, EV_TIMEOUT, 0);
	}
	e = &in->open->e[in->open->n++];
	e->r = r;
	e->fn = fn;
	e->args[0] = xstrdup(payload);
	e->args[1] = xstrdup(hash);
	e->args[2] = xstrdup(key);
	e->args[3] = xstrdup(ttl);
	request_round_trip(r);      /* held until the batch's reply, counted */
}

/* The batches sent and the reports in them, for /metrics. */
void
intake_metrics(const struct intake *in, struct evbuffer *buf)
{
	evbuffer_add_printf(buf,
	    "# HELP liaisond_intake_batches_total Calls that stored reports "
	    "(one per loop turn with reports: group commit).\n"
	    "# TYPE liaisond_intake_batches_total counter\n"
	    "liaisond_intake_batches_total %lu\n"
	    "# HELP liaisond_intake_reports_total Reports sent in them.\n"
	    "# TYPE liaisond_intake_reports_total counter\n"
	    "liaisond_intake_reports_total %lu\n", in->calls, in->reports);
}

void
intake_stop(struct intake *in)
{
	if (in == NULL)
		return;
	/* Draining answered every request: no batch is open. */
	if (in->open != NULL)
		intake_batch_free(in->open);
	event_free(in->flush);
	free(in);
}
