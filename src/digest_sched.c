/*
 * digest_sched.c -- the weekly digest's scheduler. A timer on the loop
 * (every [digest] check_seconds) hands one pass to the mail thread
 * (mailer.c); a pass, off the loop, with its own synchronous Redis
 * connection:
 *
 *   1. asks digest.lua for a week to build: the week just ended once its
 *      moment ([digest] weekday and time, zone time) has passed and it was
 *      never sent, or a week an admin asked for again; a week that ended
 *      before the digests started (the first start) is never sent by
 *      itself: it would be an empty digest of a week before liaisond;
 *   2. builds that week's messages (digest_collect.c) and stores them with
 *      one entry per recipient, all due now;
 *   3. claims due recipients one by one (a lease, so two daemons never hold
 *      the same one) and sends each over SMTP; sent and refused (5xx) are
 *      final, anything else is due again after a backoff.
 *
 * Everything a restart needs is in Redis: a pass after a crash finds the
 * built messages and the recipients not yet sent. The loop never blocks;
 * the zone's time is read on the loop and passed to the thread as an
 * offset, so the thread never touches TZ.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <openssl/rand.h>

#include "liaison.h"
#include "daemon.h"

/*
 * A build, at most: then another daemon may take the week over. A
 * province's week (10^6 issues) took 3.7 min to build on a loaded 2-core
 * machine (docs/BENCHMARKS.md): with 2 min, a second daemon would start the
 * same build while the first still ran, and a third after it. A daemon
 * that dies mid-build delays the week by this much.
 */
#define DIGEST_BUILD_LEASE_MS (30 * 60000)
#define DIGEST_SEND_SLACK_MS 10000   /* a send's lease beyond curl's timeout */
#define DIGEST_BACKOFF_MAX_S 3600

struct digest_sched {
	struct daemon *daemon;
	struct mailer *mailer;
	struct event *timer;
	char instance[33];          /* this daemon, as builder */
	int kicked;                 /* look again as soon as the pass ends */
};

/* One pass: filled on the loop, run on the mail thread. */
#define DIGEST_SCHED_TIMED 256     /* mails of one pass timed for /metrics */

struct digest_job {
	struct digest_sched *sched;
	struct generation *gen;     /* a reference, dropped on the loop */
	char week[DIGEST_WEEK_LEN + 1];  /* the week just ended */
	int64_t week_end;           /* when it ended, ms */
	int due;                    /* its moment has passed */
	int offset_s;               /* the zone's offset from UTC */
	char period[PERIOD_LEN + 1];     /* the current half-month */
	char previous[PERIOD_LEN + 1];

	/* What happened, for the log. */
	char built[DIGEST_WEEK_LEN + 1];
	int units;
	int sent;
	int refused;
	int failed;
	char error[256];
	/* How long each mail took to send, for /metrics (on the loop). */
	double mail_seconds[DIGEST_SCHED_TIMED];
	int ntimed;
};

static void digest_sched_tick(int, short, void *);

/* --- the pass on the mail thread ----------------------------------------- */

static void
digest_sched_arm(struct digest_sched *s, int seconds)
{
	struct timeval tv = { seconds, 0 };

	evtimer_add(s->timer, &tv);
}


static redisReply *
digest_sched_call(redisContext *c, struct digest_job *job, const char *action,
    cJSON *payload)
{
	char *text = cJSON_PrintUnformatted(payload);
	redisReply *r;

	cJSON_Delete(payload);
	r = redis_sync_script(c, job->gen->config, SCRIPT_DIGEST,
	    action, text, job->error, sizeof job->error);
	free(text);
	return r;
}

static void
digest_sched_num(cJSON *o, const char *name, int64_t v)
{
	cJSON_AddNumberToObject(o, name, (double)v);
}

/* Step 1 and 2: build a week when one is to be built. */
static void
digest_sched_build_due(redisContext *c, struct digest_job *job)
{
	cJSON *o = cJSON_CreateObject(), *mails;
	redisReply *r;
	char week[DIGEST_WEEK_LEN + 1], run[24];

	cJSON_AddStringToObject(o, "week", job->week);
	cJSON_AddBoolToObject(o, "due", job->due);
	digest_sched_num(o, "week_end", job->week_end);
	digest_sched_num(o, "now", util_now_ms());
	cJSON_AddStringToObject(o, "builder", job->sched->instance);
	digest_sched_num(o, "lease", DIGEST_BUILD_LEASE_MS);
	if ((r = digest_sched_call(c, job, "next", o)) == NULL)
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		return;
	}
	snprintf(week, sizeof week, "%s", r->element[0]->str);
	snprintf(run, sizeof run, "%s", r->element[1]->str);
	freeReplyObject(r);

	if ((mails = digest_collect(c, job->gen, week, job->offset_s,
	    job->period, job->previous, job->error,
	    sizeof job->error)) == NULL)
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "week", week);
	cJSON_AddStringToObject(o, "run", run);
	cJSON_AddStringToObject(o, "builder", job->sched->instance);
	digest_sched_num(o, "now", util_now_ms());
	cJSON_AddItemToObject(o, "mails", mails);
	if ((r = digest_sched_call(c, job, "store", o)) == NULL)
		return;
	if (r->type == REDIS_REPLY_INTEGER) {
		snprintf(job->built, sizeof job->built, "%s", week);
		job->units = (int)r->integer;
	}
	freeReplyObject(r);
}

/* The wait before attempt n + 1 after n failed ones. */
static int64_t
digest_sched_backoff_ms(const struct config *cfg, int attempts)
{
	int64_t s = cfg->digest_retry_seconds;

	while (attempts-- > 0 && s < DIGEST_BACKOFF_MAX_S)
		s *= 2;
	if (s > DIGEST_BACKOFF_MAX_S)
		s = DIGEST_BACKOFF_MAX_S;
	return s * 1000;
}

/* "2026-W48|3|dept:hr|1" → a Message-ID of its own. */
static void
digest_sched_message_id(const char *member, const char *from, char *buf,
    size_t len)
{
	const char *domain = strchr(from, '@');
	unsigned char rnd[6];
	char left[128];
	size_t i;

	snprintf(left, sizeof left, "%s", member);
	for (i = 0; left[i] != '\0'; i++)
		if (left[i] == '|' || left[i] == ':')
			left[i] = '.';
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		memset(rnd, 0, sizeof rnd);
	snprintf(buf, len, "digest.%s.%02x%02x%02x%02x%02x%02x@%s", left,
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
	    domain ? domain + 1 : "liaisond");
}

/*
 * Send one claimed recipient's message (u: digest.lua claim's reply) and
 * record the outcome. Returns 0 when the server answered (sent, refused or
 * a 4xx), -1 when it could not be reached: the pass stops there.
 */
static int
digest_sched_cancel(void *arg)
{
	return mailer_stopping(arg);
}

static int
digest_sched_send_one(redisContext *c, struct digest_job *job, redisReply *u,
    struct mailer *mailer)
{
	const struct config *cfg = job->gen->config;
	struct mail_server srv = { cfg->smtp_url, cfg->smtp_from,
	    cfg->smtp_username, cfg->smtp_password, cfg->smtp_starttls,
	    cfg->smtp_ca_file, cfg->digest_smtp_timeout_ms, digest_sched_cancel,
	    mailer };
	struct mail m;
	struct mail_result res;
	char date[MAIL_DATE_SIZE], msgid[256], *from_name;
	const char *member = u->element[0]->str;
	cJSON *o;
	redisReply *r;
	int ok, attempts = atoi(u->element[8]->str);
	double began;

	xasprintf(&from_name, "%s 问题清单", job->gen->roster->zone_name);
	mail_date(time(NULL), job->offset_s, date);
	digest_sched_message_id(member, cfg->smtp_from, msgid, sizeof msgid);
	memset(&m, 0, sizeof m);
	m.from = cfg->smtp_from;
	m.from_name = from_name;
	m.to = u->element[3]->str;
	m.to_name = u->element[4]->len > 0 ? u->element[4]->str : NULL;
	m.subject = u->element[5]->str;
	m.date = date;
	m.message_id = msgid;
	m.text = u->element[6]->str;
	m.html = u->element[7]->str;
	began = metrics_clock();
	ok = mail_send(&srv, &m, &res) == 0;
	if (job->ntimed < DIGEST_SCHED_TIMED)
		job->mail_seconds[job->ntimed++] = metrics_clock() - began;
	free(from_name);
	if (ok)
		job->sent++;
	else if (res.permanent)
		job->refused++;
	else
		job->failed++;
	if (!ok)
		log_warnx("digest %s to %s: %s%s", u->element[2]->str, m.to,
		    res.error, res.permanent ? " (refused, not retried)" : "");

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "member", member);
	digest_sched_num(o, "now", util_now_ms());
	cJSON_AddBoolToObject(o, "ok", ok);
	cJSON_AddBoolToObject(o, "permanent", res.permanent);
	cJSON_AddStringToObject(o, "error", res.error);
	digest_sched_num(o, "delay", digest_sched_backoff_ms(cfg, attempts));
	if ((r = digest_sched_call(c, job, "done", o)) != NULL)
		freeReplyObject(r);
	/* The server's fault holds for every recipient: stop this pass. */
	return !ok && res.server ? -1 : 0;
}

/* Step 3: send what is due until nothing is, or the server is down. */
static void
digest_sched_send_due(redisContext *c, struct digest_job *job, struct mailer *m)
{
	redisReply *r;
	cJSON *o;
	int down = 0;
	size_t i;

	while (!down && !mailer_stopping(m)) {
		o = cJSON_CreateObject();
		digest_sched_num(o, "now", util_now_ms());
		/* Longer than a send can take (mail.c: three timeouts). */
		digest_sched_num(o, "lease", 3 * (int64_t)
		    job->gen->config->digest_smtp_timeout_ms +
		    DIGEST_SEND_SLACK_MS);
		if ((r = digest_sched_call(c, job, "claim", o)) == NULL)
			return;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 9) {
			freeReplyObject(r);
			return;
		}
		for (i = 0; i < r->elements; i++)
			if (r->element[i]->type != REDIS_REPLY_STRING)
				break;
		if (i == r->elements)
			down = digest_sched_send_one(c, job, r, m) == -1;
		freeReplyObject(r);
	}
}

/* The pass, on the mail thread. */
static void
digest_sched_pass(void *arg, struct mailer *m)
{
	struct digest_job *job = arg;
	redisContext *c;

	c = redis_sync_connect_once(job->gen->config, job->error,
	    sizeof job->error);
	if (c == NULL)
		return;
	digest_sched_build_due(c, job);
	if (!mailer_stopping(m))
		digest_sched_send_due(c, job, m);
	redisFree(c);
}

/* The pass is over: back on the loop. */
static void
digest_sched_pass_done(void *arg)
{
	struct digest_job *job = arg;
	struct digest_sched *s = job->sched;
	int i;

	for (i = 0; i < job->ntimed; i++)
		metrics_observe(METRICS_DIGEST, NULL, job->mail_seconds[i]);
	if (job->built[0] != '\0')
		log_info("digest %s built: %d recipients", job->built,
		    job->units);
	if (job->sent > 0 || job->refused > 0 || job->failed > 0)
		log_info("digest: %d sent, %d refused, %d to try again",
		    job->sent, job->refused, job->failed);
	if (job->error[0] != '\0')
		log_warnx("digest: %s", job->error);
	generation_unref(job->gen);
	free(job);
	if (s->kicked) {
		s->kicked = 0;
		digest_sched_arm(s, 0);
	}
}

/* --- the timer on the loop ----------------------------------------------- */

static int
digest_sched_zone_offset(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return (int)tm.tm_gmtoff;
}

static void
digest_sched_tick(int fd, short what, void *arg)
{
	struct digest_sched *s = arg;
	struct daemon *d = s->daemon;
	const struct config *cfg = d->current->config;
	struct digest_job *job;
	struct digest_week w;
	struct period p, prev;
	time_t now = util_now(), moment;
	int64_t from;

	digest_sched_arm(s, cfg->digest_check_seconds);
	if (d->draining)
		return;
	if (mailer_busy(s->mailer)) {
		s->kicked = 1;
		return;
	}
	job = xcalloc(1, sizeof *job);
	job->sched = s;
	job->gen = generation_ref(d);
	job->offset_s = digest_sched_zone_offset(now);
	moment = digest_week_last(now, job->offset_s, cfg->digest_weekday,
	    cfg->digest_minute, &w);
	digest_week_format(&w, job->week);
	digest_week_bounds(&w, job->offset_s, &from, &job->week_end);
	/* Disabled: no week by the schedule; an admin's requests still go. */
	job->due = cfg->digest_enabled && now >= moment;
	period_of_time(now, &p);
	period_previous(&p, &prev);
	period_format(&p, job->period);
	period_format(&prev, job->previous);
	if (mailer_post(s->mailer, digest_sched_pass, digest_sched_pass_done, job) == -1) {
		generation_unref(job->gen);
		free(job);
	}
}

/* Start the scheduler and its mail thread; the first look is at once. */
struct digest_sched *
digest_sched_start(struct daemon *d)
{
	struct digest_sched *s = xcalloc(1, sizeof *s);
	unsigned char rnd[16];
	size_t i;

	s->daemon = d;
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		fatalx("no randomness for the digest's builder id");
	for (i = 0; i < sizeof rnd; i++)
		snprintf(s->instance + 2 * i, 3, "%02x", rnd[i]);
	s->mailer = mailer_start(d->base);
	s->timer = evtimer_new(d->base, digest_sched_tick, s);
	digest_sched_arm(s, 0);
	return s;
}

/* Look now rather than at the next tick (an admin asked for a week). */
void
digest_sched_kick(struct digest_sched *s)
{
	if (mailer_busy(s->mailer))
		s->kicked = 1;
	else
		event_active(s->timer, EV_TIMEOUT, 0);
}

/*
 * Stop: a message being sent is given up (it stays due, and is sent again
 * by the next daemon to look), and the thread joined.
 */
void
digest_sched_stop(struct digest_sched *s)
{
	event_free(s->timer);
	s->timer = NULL;
	s->kicked = 0;
	mailer_stop(s->mailer);
	free(s);
}
