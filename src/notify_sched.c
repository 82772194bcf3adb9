/*
 * notify_sched.c -- sending officers their mail (notify.c says what it
 * holds). A timer on the loop (every [notify] check_seconds) hands one
 * pass to a mail thread of its own (mailer.c); a pass, off the loop, with
 * its own synchronous Redis connection, asks notify.lua for the officers
 * whose batch is due, one at a time (a lease, so two daemons never hold
 * the same one), builds each mail and sends it over SMTP, and records the
 * outcome: sent and refused (5xx, or too many tries) end the batch, an
 * officer without an email is skipped and counted, anything else is due
 * again after a backoff.
 *
 * Reminders: on the days notify_reminder (notify.c) names, a pass first
 * asks notify.lua to queue the reminder for every officer of the roster
 * who has not reported (once per officer, period and kind; the loop also
 * remembers which it has done, so it asks once a day, not every tick).
 *
 * Everything a restart needs is in Redis: a batch whose sender died is
 * handed out again when its lease ends. The loop never blocks.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <openssl/rand.h>

#include "liaison.h"
#include "daemon.h"

#define NOTIFY_SEND_SLACK_MS 10000   /* a send's lease beyond curl's timeout */
#define NOTIFY_BACKOFF_MAX_S 3600
#define NOTIFY_TRIES_MAX 10          /* then the batch is given up */
#define NOTIFY_PASS_MAX 200          /* mails in one pass */
#define NOTIFY_REMIND_CHUNK 500      /* officers in one remind call */

struct notify_sched {
	struct daemon *daemon;
	struct mailer *mailer;
	struct event *timer;
	char reminded[64];          /* "PERIOD:KIND" last queued in full */
};

/* One pass: filled on the loop, run on the mail thread. */
struct notify_job {
	struct notify_sched *sched;
	struct generation *gen;     /* a reference, dropped on the loop */
	int offset_s;               /* the zone's offset from UTC */
	const char *remind;         /* a reminder due today (notify.c), or NULL */
	char period[PERIOD_LEN + 1]; /* the current half-month */
	int reminded;               /* officers reminded now; -1: failed */
	int sent;
	int refused;
	int retried;
	int skipped;
	char error[256];
};

static redisReply *
notify_sched_call(redisContext *c, struct notify_job *job, const char *action,
    cJSON *payload)
{
	char *text = cJSON_PrintUnformatted(payload);
	redisReply *r;

	cJSON_Delete(payload);
	r = redis_sync_script(c, job->gen->config, SCRIPT_NOTIFY,
	    action, text, job->error, sizeof job->error);
	free(text);
	return r;
}

/* The wait before try n + 1 after n failed ones. */
static int64_t
notify_sched_backoff_ms(const struct config *cfg, int attempts)
{
	int64_t s = cfg->digest_retry_seconds;

	while (attempts-- > 0 && s < NOTIFY_BACKOFF_MAX_S)
		s *= 2;
	if (s > NOTIFY_BACKOFF_MAX_S)
		s = NOTIFY_BACKOFF_MAX_S;
	return s * 1000;
}

/* Record the outcome of an officer's batch (notify.lua done). */
static void
notify_sched_done(redisContext *c, struct notify_job *job, const char *officer,
    const char *outcome, int attempts)
{
	cJSON *o = cJSON_CreateObject();
	redisReply *r;

	cJSON_AddStringToObject(o, "officer", officer);
	cJSON_AddNumberToObject(o, "now", (double)util_now_ms());
	cJSON_AddStringToObject(o, "outcome", outcome);
	cJSON_AddNumberToObject(o, "delay", (double)notify_sched_backoff_ms(
	    job->gen->config, attempts));
	cJSON_AddNumberToObject(o, "batch", (double)notify_batch_ms(
	    job->gen->config));
	if ((r = notify_sched_call(c, job, "done", o)) != NULL)
		freeReplyObject(r);
}

/* Field i of an HMGET answer, "" when absent. */
static const char *
notify_sched_field(const redisReply *row, size_t i)
{
	if (row == NULL || row->type != REDIS_REPLY_ARRAY || i >= row->elements ||
	    row->element[i]->type != REDIS_REPLY_STRING)
		return "";
	return row->element[i]->str;
}

static int
notify_sched_cancel(void *arg)
{
	return mailer_stopping(arg);
}

/*
 * Build and send the mail of one claimed batch (u: notify.lua claim's
 * answer). Returns -1 when the server could not be reached (the pass
 * stops there), else 0.
 */
static int
notify_sched_send_one(redisContext *c, struct notify_job *job,
    const redisReply *u, struct mailer *mailer)
{
	const struct config *cfg = job->gen->config;
	const struct roster *ro = job->gen->roster;
	struct mail_server srv = { cfg->smtp_url, cfg->smtp_from,
	    cfg->smtp_username, cfg->smtp_password, cfg->smtp_starttls,
	    cfg->smtp_ca_file, cfg->digest_smtp_timeout_ms, notify_sched_cancel,
	    mailer };
	const char *officer = u->element[0]->str;
	const redisReply *entries = u->element[2];
	const struct officer *o = roster_officer(ro, officer);
	const struct department *dept;
	struct notify_input in;
	struct notify_item *items;
	struct mail m;
	struct mail_result res;
	cJSON **parsed;
	char date[MAIL_DATE_SIZE], msgid[160], *from_name, *subject, *text,
	    *html;
	unsigned char rnd[8];
	int attempts = atoi(u->element[1]->str), ok;
	const char *domain;
	size_t i;

	if (o == NULL || o->email == NULL || *o->email == '\0') {
		job->skipped++;
		notify_sched_done(c, job, officer, "skipped", attempts);
		return 0;
	}
	items = xcalloc(entries->elements + 1, sizeof *items);
	parsed = xcalloc(entries->elements + 1, sizeof *parsed);
	for (i = 0; i < entries->elements; i++) {
		const redisReply *issue = u->element[3]->element[i];
		const redisReply *task = u->element[4]->element[i];
		cJSON *e = cJSON_Parse(entries->element[i]->str);
		const char *at;

		parsed[i] = e;
		items[i].event = cJSON_GetStringValue(cJSON_GetObjectItem(e,
		    "event"));
		items[i].issue = cJSON_GetStringValue(cJSON_GetObjectItem(e,
		    "issue"));
		at = cJSON_GetStringValue(cJSON_GetObjectItem(e, "at"));
		items[i].at = at != NULL ? strtoll(at, NULL, 10) : 0;
		if (items[i].event == NULL)
			items[i].event = "";
		if (items[i].issue == NULL)
			items[i].issue = "";
		items[i].period = cJSON_GetStringValue(cJSON_GetObjectItem(e,
		    "period"));
		if (items[i].period == NULL)
			items[i].period = "";
		items[i].title = notify_sched_field(issue, 0);
		dept = roster_department(ro, notify_sched_field(task, 0));
		items[i].department = dept != NULL ? dept->name :
		    notify_sched_field(task, 0);
		items[i].response = notify_sched_field(task, 1);
		items[i].resolution = notify_sched_field(task, 2);
		items[i].reason = notify_sched_field(task, 3);
	}
	memset(&in, 0, sizeof in);
	in.zone_name = ro->zone_name;
	in.officer_name = o->name;
	in.public_url = cfg->public_url;
	in.offset_s = job->offset_s;
	in.items = items;
	in.nitems = entries->elements;
	notify_mail(&in, &subject, &text, &html);

	xasprintf(&from_name, "%s 问题报送", ro->zone_name);
	mail_date(time(NULL), job->offset_s, date);
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		memset(rnd, 0, sizeof rnd);
	domain = strchr(cfg->smtp_from, '@');
	snprintf(msgid, sizeof msgid, "notify.%s.%02x%02x%02x%02x%02x%02x%02x"
	    "%02x@%s", officer, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
	    rnd[6], rnd[7], domain != NULL ? domain + 1 : "liaisond");
	memset(&m, 0, sizeof m);
	m.from = cfg->smtp_from;
	m.from_name = from_name;
	m.to = o->email;
	m.to_name = o->name;
	m.subject = subject;
	m.date = date;
	m.message_id = msgid;
	m.text = text;
	m.html = html;
	ok = mail_send(&srv, &m, &res) == 0;
	if (ok) {
		job->sent++;
		notify_sched_done(c, job, officer, "sent", attempts);
	} else if (res.permanent || attempts + 1 >= NOTIFY_TRIES_MAX) {
		job->refused++;
		log_warnx("notify %s <%s>: %s (given up)", officer, o->email,
		    res.error);
		notify_sched_done(c, job, officer, "refused", attempts);
	} else {
		job->retried++;
		log_warnx("notify %s <%s>: %s (tried again later)", officer,
		    o->email, res.error);
		notify_sched_done(c, job, officer, "retried", attempts);
	}
	free(from_name);
	free(subject);
	free(text);
	free(html);
	for (i = 0; i < entries->elements; i++)
		cJSON_Delete(parsed[i]);
	free(parsed);
	free(items);
	return !ok && res.server ? -1 : 0;
}

/* Whether u is notify.lua claim's answer, well formed. */
static int
notify_sched_claimed(const redisReply *u)
{
	size_t i, n;

	if (u->type != REDIS_REPLY_ARRAY || u->elements != 5 ||
	    u->element[0]->type != REDIS_REPLY_STRING ||
	    u->element[1]->type != REDIS_REPLY_STRING)
		return 0;
	for (i = 2; i < 5; i++)
		if (u->element[i]->type != REDIS_REPLY_ARRAY)
			return 0;
	n = u->element[2]->elements;
	if (u->element[3]->elements != n || u->element[4]->elements != n)
		return 0;
	for (i = 0; i < n; i++)
		if (u->element[2]->element[i]->type != REDIS_REPLY_STRING)
			return 0;
	return 1;
}

/* Queue today's reminder for the roster's officers who have not reported. */
static void
notify_sched_remind(redisContext *c, struct notify_job *job)
{
	const struct roster *ro = job->gen->roster;
	cJSON *o, *list;
	redisReply *r;
	size_t i = 0, j;

	while (i < ro->nofficers) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "period", job->period);
		cJSON_AddStringToObject(o, "kind", job->remind);
		cJSON_AddNumberToObject(o, "now", (double)util_now_ms());
		list = cJSON_AddArrayToObject(o, "officers");
		for (j = 0; j < NOTIFY_REMIND_CHUNK && i < ro->nofficers; j++, i++)
			cJSON_AddItemToArray(list,
			    cJSON_CreateString(ro->officers[i].id));
		if ((r = notify_sched_call(c, job, "remind", o)) == NULL ||
		    r->type != REDIS_REPLY_INTEGER) {
			if (r != NULL)
				freeReplyObject(r);
			job->reminded = -1;
			return;
		}
		job->reminded += (int)r->integer;
		freeReplyObject(r);
	}
}

/* The pass, on the mail thread: send what is due until nothing is. */
static void
notify_sched_pass(void *arg, struct mailer *m)
{
	struct notify_job *job = arg;
	redisContext *c;
	redisReply *r;
	cJSON *o;
	int down = 0, n;

	c = redis_sync_connect_once(job->gen->config, job->error,
	    sizeof job->error);
	if (c == NULL) {
		job->reminded = -1;
		return;
	}
	if (job->remind != NULL)
		notify_sched_remind(c, job);
	for (n = 0; !down && n < NOTIFY_PASS_MAX && !mailer_stopping(m); n++) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "now", (double)util_now_ms());
		/* Longer than a send can take (mail.c: three timeouts). */
		cJSON_AddNumberToObject(o, "lease", 3.0 *
		    job->gen->config->digest_smtp_timeout_ms +
		    NOTIFY_SEND_SLACK_MS);
		if ((r = notify_sched_call(c, job, "claim", o)) == NULL)
			break;
		if (!notify_sched_claimed(r)) {
			freeReplyObject(r);
			break;
		}
		down = notify_sched_send_one(c, job, r, m) == -1;
		freeReplyObject(r);
	}
	redisFree(c);
}

static void
notify_sched_arm(struct notify_sched *s, int seconds)
{
	struct timeval tv = { seconds, 0 };

	evtimer_add(s->timer, &tv);
}

/* The pass is over: back on the loop. */
static void
notify_sched_pass_done(void *arg)
{
	struct notify_job *job = arg;
	struct notify_sched *s = job->sched;

	if (job->remind != NULL && job->reminded >= 0) {
		snprintf(s->reminded, sizeof s->reminded, "%s:%s", job->period,
		    job->remind);
		if (job->reminded > 0)
			log_info("notify: %s reminder for %s queued for %d "
			    "officers", job->remind, job->period, job->reminded);
	}
	if (job->sent > 0 || job->refused > 0 || job->retried > 0 ||
	    job->skipped > 0)
		log_info("notify: %d sent, %d refused, %d to try again, %d "
		    "officers without email", job->sent, job->refused,
		    job->retried, job->skipped);
	if (job->error[0] != '\0')
		log_warnx("notify: %s", job->error);
	generation_unref(job->gen);
	free(job);
}

static void
notify_sched_tick(int fd, short what, void *arg)
{
	struct notify_sched *s = arg;
	struct daemon *d = s->daemon;
	struct notify_job *job;
	struct period period;
	struct tm tm;
	time_t now = util_now();
	char done[64];

	(void)fd;
	(void)what;
	notify_sched_arm(s, d->current->config->notify_check_seconds);
	if (d->draining || mailer_busy(s->mailer))
		return;
	job = xcalloc(1, sizeof *job);
	job->sched = s;
	job->gen = generation_ref(d);
	localtime_r(&now, &tm);
	job->offset_s = (int)tm.tm_gmtoff;
	period_of_time(now, &period);
	period_format(&period, job->period);
	if (d->current->config->notify_enabled)
		job->remind = notify_reminder(job->gen->calendar,
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour);
	snprintf(done, sizeof done, "%s:%s", job->period, job->remind != NULL ?
	    job->remind : "");
	if (job->remind != NULL && strcmp(done, s->reminded) == 0)
		job->remind = NULL;     /* queued in full already today */
	if (mailer_post(s->mailer, notify_sched_pass, notify_sched_pass_done,
	    job) == -1) {
		generation_unref(job->gen);
		free(job);
	}
}

/* Start the sender and its mail thread; the first look is at once. */
struct notify_sched *
notify_sched_start(struct daemon *d)
{
	struct notify_sched *s = xcalloc(1, sizeof *s);

	s->daemon = d;
	s->mailer = mailer_start(d->base);
	s->timer = evtimer_new(d->base, notify_sched_tick, s);
	notify_sched_arm(s, 0);
	return s;
}

/* Stop: a mail being sent is given up (its batch stays due), the thread joined. */
void
notify_sched_stop(struct notify_sched *s)
{
	event_free(s->timer);
	s->timer = NULL;
	mailer_stop(s->mailer);
	free(s);
}
