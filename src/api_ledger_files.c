/*
 * api_ledger_files.c -- the ledger as files: GET /api/v1/ledger.xlsx (an
 * Excel workbook, see ledger_xlsx.c) and GET /api/v1/ledger.csv (one CSV
 * table, see ledger_csv.c) for ?period= (default: the current one).
 *
 * Unlike the public ledger these name officers and enterprises and carry
 * the issues' details, so they need a token: an admin gets every row, a
 * department only the rows of its own tasks (and only its own line of the
 * summary); the admin's workbook also has the period's field work
 * (ledger_xlsx_fieldwork.c), read in a second step, and the admin's
 * workbook of the current period the working meeting's agenda as it is now
 * (例会议题, issue 16), read first. A zone's file takes milliseconds, but
 * a province's workbook (thousands of records in its field-work sheets)
 * takes a second or more (docs/BENCHMARKS.md): every file is written off
 * the loop, on a thread of its own (mailer.c's), one at a time in the
 * order asked, while the loop answers everyone else. The request is held
 * meanwhile (its ledger, field work and roster stay); the thread reads the
 * local time with localtime_r, which does not read TZ again, so a reload's
 * setenv on the loop does not race it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <event2/http.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

static const char *const ledger_files_query[] = { "period", NULL };

/* A file to write: the request is held (request_hold) until it is done. */
struct api_ledger_files_job {
	struct request *r;
	const struct ledger_fieldwork *fw;
	const char *department;     /* NULL: the admin's, everything */
	char *data;                 /* the file, once written */
	size_t len;
	char *cause;
	int status;                 /* -1 until written (unrun at a stop) */
	TAILQ_ENTRY(api_ledger_files_job) entry;
};
TAILQ_HEAD(api_ledger_files_jobs, api_ledger_files_job);

/* The writer: the thread and the files waiting for it. */
struct ledger_files {
	struct mailer *thread;
	struct api_ledger_files_jobs waiting;
};

struct api_ledger_files_one {
	char period[PERIOD_LEN + 1];
	int xlsx;                  /* 1: the workbook; 0: CSV */
	struct ledger *l;          /* read and scored, kept for field work */
	struct ledger_fieldwork fw;
	redisReply *fw_reply;      /* fw's records: a copy, for the thread */
	char periods[AGENDA_PERIODS_LEN];  /* the agenda's (api_agenda.c) */
	cJSON *agenda;             /* an admin's workbook: its 例会议题 sheet */
};

static void
api_ledger_files_one_free(void *arg)
{
	struct api_ledger_files_one *a = arg;

	ledger_free(a->l);
	ledger_fieldwork_free(&a->fw);
	if (a->fw_reply != NULL)
		freeReplyObject(a->fw_reply);
	cJSON_Delete(a->agenda);
	free(a);
}

/* On the thread: write the file; touches nothing but the job's. */
static void
api_ledger_files_work(void *arg, struct mailer *m)
{
	struct api_ledger_files_job *job = arg;
	struct api_ledger_files_one *a = job->r->state;

	if (a->xlsx)
		job->status = ledger_xlsx(a->l, job->r->roster,
		    job->department, a->period, a->agenda, job->fw,
		    &job->data, &job->len, &job->cause);
	else
		job->status = ledger_csv(a->l, job->r->roster,
		    job->department, &job->data, &job->len);
}

static void api_ledger_files_done(void *);

/* Hand the next waiting file to the thread, if it is free. */
static void
api_ledger_files_next(struct ledger_files *w)
{
	struct api_ledger_files_job *job = TAILQ_FIRST(&w->waiting);

	if (job == NULL || mailer_busy(w->thread))
		return;
	TAILQ_REMOVE(&w->waiting, job, entry);
	if (mailer_post(w->thread, api_ledger_files_work,
	    api_ledger_files_done, job) == -1)
		TAILQ_INSERT_HEAD(&w->waiting, job, entry);
}

/* Back on the loop: answer with the file, unless answered meanwhile. */
static void
api_ledger_files_done(void *arg)
{
	struct api_ledger_files_job *job = arg;
	struct request *r = job->r;
	struct ledger_files *w = r->daemon->ledger_files;
	struct api_ledger_files_one *a = r->state;
	char disposition[128];

	if (!request_drop(r))
		goto out;
	if (job->status != 0) {
		log_warnx("ledger %s: %s", a->xlsx ? "xlsx" : "csv",
		    job->cause != NULL ? job->cause : "cannot write");
		request_error(r, 500, "internal", "cannot write the ledger",
		    NULL);
		goto out;
	}
	snprintf(disposition, sizeof disposition, "attachment; "
	    "filename=\"ledger-%s%s%s.%s\"", a->period,
	    job->department ? "-" : "",
	    job->department ? job->department : "", a->xlsx ? "xlsx" : "csv");
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Content-Disposition", disposition);
	request_reply_data(r, 200, a->xlsx ? "application/vnd.openxmlformats-"
	    "officedocument.spreadsheetml.sheet" :
	    "text/csv; charset=utf-8; header=present", job->data, job->len);
out:
	free(job->data);
	free(job->cause);
	free(job);
	api_ledger_files_next(w);
}

/* Queue the file of a->l (with fw's sheets when not NULL) for the thread. */
static void
api_ledger_files_write(struct request *r, const struct ledger_fieldwork *fw)
{
	struct ledger_files *w = r->daemon->ledger_files;
	struct api_ledger_files_job *job = xcalloc(1, sizeof *job);

	job->r = r;
	job->fw = fw;
	job->status = -1;
	if (r->role == ROLE_DEPARTMENT)
		job->department = r->actor_id;
	/*
	 * The request's deadline is the store's (request_timeout_ms): the
	 * file is bounded work of our own, as it was when written on the loop.
	 */
	evtimer_del(r->timer);
	request_hold(r);
	TAILQ_INSERT_TAIL(&w->waiting, job, entry);
	api_ledger_files_next(w);
}

/* The period's field work is in: the admin's workbook with its sheets. */
static void
api_ledger_files_fieldwork(struct request *r, redisReply *reply)
{
	struct api_ledger_files_one *a = r->state;

	/* fw keeps the reply's records, which hiredis frees on return */
	a->fw_reply = store_reply_copy(reply);
	if (ledger_fieldwork_read(&a->fw, a->fw_reply, r->roster, time(NULL),
	    r->config->visit_days) == -1) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	api_ledger_files_write(r, &a->fw);
}

/*
 * The ledger is in: a department's workbook and every CSV are written at
 * once; the admin's workbook reads the period's field work first.
 */
static void
api_ledger_files_read(struct request *r, redisReply *reply)
{
	struct api_ledger_files_one *a = r->state;

	if ((a->l = ledger_parse(reply)) == NULL) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	ledger_score(a->l, r->roster, r->config->ledger_weights,
	    util_now_ms());
	if (!a->xlsx || r->role != ROLE_ADMIN) {
		api_ledger_files_write(r, NULL);
		return;
	}
	api_fieldwork_run(r, "workbook", ledger_fieldwork_payload(&a->fw,
	    r->roster, a->period, time(NULL)), api_ledger_files_fieldwork, 0,
	    NULL);
}

/* Read the period's ledger rows; api_ledger_files_read goes on. */
static void
api_ledger_files_rows(struct request *r)
{
	struct api_ledger_files_one *a = r->state;
	const char *argv[2] = { "period", a->period };

	request_script(r, SCRIPT_LEDGER, api_ledger_files_read, 2, argv, NULL);
}

/* The agenda is read (an admin's workbook): keep it, then the rows. */
static void
api_ledger_files_agenda(struct request *r, redisReply *reply)
{
	struct api_ledger_files_one *a = r->state;

	if ((a->agenda = agenda_json(reply, a->periods,
	    util_now_ms())) == NULL) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	api_ledger_files_rows(r);
}

/* GET /api/v1/ledger.xlsx?period= and /api/v1/ledger.csv?period= */
void
api_ledger_files_one(struct request *r)
{
	struct api_ledger_files_one *a = xcalloc(1, sizeof *a);

	r->state = a;
	r->state_free = api_ledger_files_one_free;
	a->xlsx = strcmp(r->route->arg, "xlsx") == 0;
	if (request_check_query(r, ledger_files_query) == -1 ||
	    api_period(r, a->period, 1) == -1)
		return;
	if (a->xlsx && r->role == ROLE_ADMIN &&
	    agenda_current(a->period, time(NULL)))
		api_agenda_fetch(r, api_ledger_files_agenda, a->periods);
	else
		api_ledger_files_rows(r);
}

/* Start the thread that writes the files. */
struct ledger_files *
api_ledger_files_start(struct daemon *d)
{
	struct ledger_files *w = xcalloc(1, sizeof *w);

	TAILQ_INIT(&w->waiting);
	w->thread = mailer_start(d->base);
	return w;
}

/*
 * Stop: the file being written is finished and answered; those still
 * waiting are answered 503 (the daemon is stopping).
 */
void
api_ledger_files_stop(struct ledger_files *w)
{
	struct api_ledger_files_job *job;
	struct request *r;

	while ((job = TAILQ_FIRST(&w->waiting)) != NULL) {
		TAILQ_REMOVE(&w->waiting, job, entry);
		r = job->r;
		free(job);
		if (request_drop(r))
			request_error(r, 503, "unavailable", "the daemon is "
			    "stopping", NULL);
	}
	mailer_stop(w->thread);
	free(w);
}
