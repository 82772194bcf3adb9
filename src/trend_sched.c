/*
 * trend_sched.c -- trend alerts (未诉先办, SPEC §12) in the daemon.
 *
 * Two ways in. On every report, workflow.lua's submit returns the counts
 * of the report's topics (trend_check, from api_reports.c). Once a day,
 * a timer asks workflow.lua's "trend_scan" for the counts of every topic
 * of the current period: the first daemon to ask on a day gets them (SET
 * NX in Redis), the others are told it is done. Either way trend.c's
 * rule judges the counts here, and the alerts go to "trend_alert", which
 * records each topic and period once, whichever daemon or pass found it.
 * Only the daemon whose call recorded an alert is told of it, so the
 * leaders' mail (sent at once, on a mail thread of its own) goes once.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define TREND_FIRST_MS 1000         /* the first pass after starting */
#define TREND_RETRY_MS 5000         /* after Redis failed us */

/* One mail of newly recorded alerts to the leaders. */
struct trend_job {
	struct trend *trend;
	struct generation *gen;     /* held while the mail is made and sent */
	cJSON *alerts;
	int offset_s;
	int sent;
	int failed;
	struct trend_job *next;
};

/* A trend_alert call waiting for its answer. */
struct trend_call {
	struct trend *trend;
	cJSON *alerts;              /* what it asked to record */
};

struct trend {
	struct daemon *daemon;
	struct store *store;
	struct event *timer;
	struct mailer *mailer;
	struct trend_job *queue;    /* mails waiting for the thread */
	int running;                /* a scan is outstanding */
	int calls;                  /* trend_alert calls outstanding */
	int stopping;
};

static void trend_mail_next(struct trend *);

/* Stopped and nothing outstanding: free t. */
static int
trend_release(struct trend *t)
{
	if (!t->stopping || t->running || t->calls > 0)
		return 0;
	free(t);
	return 1;
}

static void
trend_job_free(struct trend_job *job)
{
	generation_unref(job->gen);
	cJSON_Delete(job->alerts);
	free(job);
}

static int
trend_mail_cancel(void *arg)
{
	return mailer_stopping(arg);
}

/* On the mail thread: the alerts to every leader with an address. */
static void
trend_mail_work(void *arg, struct mailer *mailer)
{
	struct trend_job *job = arg;
	const struct config *cfg = job->gen->config;
	const struct roster *ro = job->gen->roster;
	struct mail_server srv = { cfg->smtp_url, cfg->smtp_from,
	    cfg->smtp_username, cfg->smtp_password, cfg->smtp_starttls,
	    cfg->smtp_ca_file, cfg->digest_smtp_timeout_ms, trend_mail_cancel,
	    mailer };
	char date[MAIL_DATE_SIZE], msgid[160], *from_name, *subject, *text,
	    *html;
	unsigned char rnd[8];
	const char *domain;
	struct mail_result res;
	struct mail m;
	size_t i;

	trend_mail(job->alerts, ro->zone_name, cfg->public_url, &subject,
	    &text, &html);
	xasprintf(&from_name, "%s 问题报送", ro->zone_name);
	mail_date(time(NULL), job->offset_s, date);
	domain = strchr(cfg->smtp_from, '@');
	for (i = 0; i < ro->nleaders && !mailer_stopping(mailer); i++) {
		if (ro->leaders[i].email == NULL)
			continue;
		if (RAND_bytes(rnd, sizeof rnd) != 1)
			memset(rnd, 0, sizeof rnd);
		snprintf(msgid, sizeof msgid, "trend.%02x%02x%02x%02x%02x%02x"
		    "%02x%02x@%s", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
		    rnd[5], rnd[6], rnd[7], domain != NULL ? domain + 1 :
		    "liaisond");
		memset(&m, 0, sizeof m);
		m.from = cfg->smtp_from;
		m.from_name = from_name;
		m.to = ro->leaders[i].email;
		m.to_name = ro->leaders[i].name;
		m.subject = subject;
		m.date = date;
		m.message_id = msgid;
		m.text = text;
		m.html = html;
		if (mail_send(&srv, &m, &res) == 0)
			job->sent++;
		else {
			job->failed++;
			log_warnx("trend alert mail to <%s>: %s",
			    ro->leaders[i].email, res.error);
		}
	}
	free(from_name);
	free(subject);
	free(text);
	free(html);
}

/* Back on the loop: the next mail, if one waits. */
static void
trend_mail_done(void *arg)
{
	struct trend_job *job = arg;
	struct trend *t = job->trend;

	log_info("trend alert mail: %d sent, %d failed", job->sent,
	    job->failed);
	trend_job_free(job);
	trend_mail_next(t);
}

static void
trend_mail_next(struct trend *t)
{
	struct trend_job *job;

	if (t->stopping || (job = t->queue) == NULL || mailer_busy(t->mailer))
		return;
	t->queue = job->next;
	if (mailer_post(t->mailer, trend_mail_work, trend_mail_done,
	    job) == -1)
		trend_job_free(job);
}

/* Mail the alerts (this daemon recorded them) to the leaders. */
static void
trend_mail_queue(struct trend *t, cJSON *alerts)
{
	struct trend_job *job, **p;
	time_t now = time(NULL);
	struct tm tm;

	if (t->daemon->current->config->smtp_url == NULL) {
		cJSON_Delete(alerts);
		return;
	}
	job = xcalloc(1, sizeof *job);
	job->trend = t;
	job->gen = generation_ref(t->daemon);
	job->alerts = alerts;
	localtime_r(&now, &tm);
	job->offset_s = (int)tm.tm_gmtoff;
	for (p = &t->queue; *p != NULL; p = &(*p)->next)
		;
	*p = job;
	trend_mail_next(t);
}

static void
trend_schedule(struct trend *t, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (!t->stopping)
		evtimer_add(t->timer, &tv);
}

/* Is "period:topic" of alert a among the ids recorded now? */
static int
trend_recorded_now(const cJSON *a, const redisReply *ids)
{
	const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(a, "period"));
	const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(a, "topic"));
	size_t i, n;

	if (p == NULL || t == NULL)
		return 0;
	n = strlen(p);
	for (i = 0; i < ids->elements; i++)
		if (ids->element[i]->type == REDIS_REPLY_STRING &&
		    strncmp(ids->element[i]->str, p, n) == 0 &&
		    ids->element[i]->str[n] == ':' &&
		    strcmp(ids->element[i]->str + n + 1, t) == 0)
			return 1;
	return 0;
}

static void
trend_recorded(redisAsyncContext *c, void *r, void *privdata)
{
	struct trend_call *call = privdata;
	struct trend *t = call->trend;
	redisReply *reply = r;
	cJSON *mine = NULL, *a, *next;
	size_t i;

	(void)c;
	t->calls--;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		log_warnx("trend alert: %s", reply != NULL &&
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "no answer from redis");
	} else if (!t->stopping) {
		for (i = 0; i < reply->elements; i++)
			if (reply->element[i]->type == REDIS_REPLY_STRING)
				log_info("trend alert %s",
				    reply->element[i]->str);
		for (a = call->alerts->child; a != NULL; a = next) {
			next = a->next;
			if (!trend_recorded_now(a, reply))
				continue;
			if (mine == NULL)
				mine = cJSON_CreateArray();
			cJSON_AddItemToArray(mine,
			    cJSON_DetachItemViaPointer(call->alerts, a));
		}
		if (mine != NULL)
			trend_mail_queue(t, mine);
	}
	cJSON_Delete(call->alerts);
	free(call);
	trend_release(t);
}

/* The payload's common part: now, as the scripts take it. */
static cJSON *
trend_payload(int64_t now)
{
	cJSON *p = cJSON_CreateObject();
	char ms[32];

	snprintf(ms, sizeof ms, "%lld", (long long)now);
	cJSON_AddStringToObject(p, "now", ms);
	return p;
}

/*
 * Judge workflow.lua's count rows (JSON) by trend.c's rule and record the
 * alerts that fire. Nothing waits for the answer.
 */
void
trend_check(struct daemon *d, const struct generation *g, const char *rows)
{
	struct trend *t = d->trend;
	struct trend_call *call;
	cJSON *alerts, *p;
	const char *argv[2];
	char *payload;

	if (t == NULL || t->stopping ||
	    (alerts = trend_alerts(rows, g->config, g->roster)) == NULL)
		return;
	p = trend_payload(util_now_ms());
	cJSON_AddItemReferenceToObject(p, "alerts", alerts);
	if (roster_department(g->roster, ROSTER_LEADERS) != NULL)
		cJSON_AddStringToObject(p, "leaders", ROSTER_LEADERS);
	payload = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	call = xcalloc(1, sizeof *call);
	call->trend = t;
	call->alerts = alerts;
	argv[0] = "trend_alert";
	argv[1] = payload;
	if (store_script(d->store, SCRIPT_WORKFLOW, trend_recorded, call, 2,
	    argv, NULL) == -1) {
		log_warnx("trend alert: redis is not connected");
		cJSON_Delete(alerts);
		free(call);
	} else
		t->calls++;
	free(payload);
}

static void
trend_scanned(redisAsyncContext *c, void *r, void *privdata)
{
	struct trend *t = privdata;
	redisReply *reply = r;

	(void)c;
	t->running = 0;
	if (trend_release(t) || t->stopping)
		return;
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		log_warnx("trend: the daily pass: %s", reply->str);
	if (reply == NULL || store_reply_is_error(t->store, reply) ||
	    reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING) {
		trend_schedule(t, TREND_RETRY_MS);
		return;
	}
	if (strcmp(reply->element[0]->str, "ok") == 0) {
		log_info("trend: the daily pass");
		trend_check(t->daemon, t->daemon->current,
		    reply->element[1]->str);
	}
	trend_schedule(t, t->daemon->current->config->trend_check_seconds *
	    1000);
}

/* Ask for the daily pass of today (the zone's date). */
static void
trend_tick(evutil_socket_t fd, short what, void *arg)
{
	struct trend *t = arg;
	const struct config *cf = t->daemon->current->config;
	int64_t now = util_now_ms();
	time_t secs = (time_t)(now / 1000);
	char day[16], name[PERIOD_LEN + 1], *payload;
	const char *argv[2];
	struct period p;
	struct tm tm;
	cJSON *json;

	(void)fd;
	(void)what;
	if (!store_up(t->store)) {
		trend_schedule(t, TREND_RETRY_MS);
		return;
	}
	localtime_r(&secs, &tm);
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	period_of_time(secs, &p);
	period_format(&p, name);
	json = trend_payload(now);
	cJSON_AddStringToObject(json, "day", day);
	cJSON_AddStringToObject(json, "period", name);
	cJSON_AddItemToObject(json, "trend", trend_periods_json(cf, &p));
	payload = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	argv[0] = "trend_scan";
	argv[1] = payload;
	if (store_script(t->store, SCRIPT_WORKFLOW, trend_scanned, t, 2, argv,
	    NULL) == -1)
		trend_schedule(t, TREND_RETRY_MS);
	else
		t->running = 1;
	free(payload);
}

struct trend *
trend_start(struct daemon *d)
{
	struct trend *t = xcalloc(1, sizeof *t);

	t->daemon = d;
	t->store = d->store;
	t->timer = evtimer_new(d->base, trend_tick, t);
	t->mailer = mailer_start(d->base);
	trend_schedule(t, TREND_FIRST_MS);
	return t;
}

void
trend_stop(struct trend *t)
{
	struct trend_job *job;

	if (t == NULL)
		return;
	t->stopping = 1;
	event_free(t->timer);
	mailer_stop(t->mailer);   /* a mail being sent is given up */
	while ((job = t->queue) != NULL) {
		t->queue = job->next;
		trend_job_free(job);
	}
	trend_release(t);
}
