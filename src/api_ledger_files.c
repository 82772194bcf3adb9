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
 * (例会议题, issue 16), read first. A period's ledger is a few hundred rows;
 * its workbook takes under 10 ms (docs/BENCHMARKS.md), so it is built on
 * the loop.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/http.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

static const char *const ledger_files_query[] = { "period", NULL };

struct api_ledger_files_one {
	char period[PERIOD_LEN + 1];
	int xlsx;                  /* 1: the workbook; 0: CSV */
	struct ledger *l;          /* read and scored, kept for field work */
	struct ledger_fieldwork fw;
	char periods[AGENDA_PERIODS_LEN];  /* the agenda's (api_agenda.c) */
	cJSON *agenda;             /* an admin's workbook: its 例会议题 sheet */
};

static void
api_ledger_files_one_free(void *arg)
{
	struct api_ledger_files_one *a = arg;

	ledger_free(a->l);
	ledger_fieldwork_free(&a->fw);
	cJSON_Delete(a->agenda);
	free(a);
}

/* Write the file of a->l (with fw's sheets when not NULL) and answer. */
static void
api_ledger_files_write(struct request *r, const struct ledger_fieldwork *fw)
{
	struct api_ledger_files_one *a = r->state;
	const char *department = NULL;
	char *data = NULL, *cause = NULL, disposition[128];
	size_t len;
	int status;

	if (r->role == ROLE_DEPARTMENT)
		department = r->actor_id;
	if (a->xlsx)
		status = ledger_xlsx(a->l, r->roster, department, a->period,
		    a->agenda, fw, &data, &len, &cause);
	else
		status = ledger_csv(a->l, r->roster, department, &data, &len);
	if (status != 0) {
		log_warnx("ledger %s: %s", a->xlsx ? "xlsx" : "csv",
		    cause != NULL ? cause : "cannot write");
		free(cause);
		request_error(r, 500, "internal", "cannot write the ledger",
		    NULL);
		return;
	}
	snprintf(disposition, sizeof disposition, "attachment; "
	    "filename=\"ledger-%s%s%s.%s\"", a->period, department ? "-" : "",
	    department ? department : "", a->xlsx ? "xlsx" : "csv");
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Content-Disposition", disposition);
	request_reply_data(r, 200, a->xlsx ? "application/vnd.openxmlformats-"
	    "officedocument.spreadsheetml.sheet" :
	    "text/csv; charset=utf-8; header=present", data, len);
	free(data);
}

/* The period's field work is in: the admin's workbook with its sheets. */
static void
api_ledger_files_fieldwork(struct request *r, redisReply *reply)
{
	struct api_ledger_files_one *a = r->state;

	if (ledger_fieldwork_read(&a->fw, reply, r->roster, time(NULL),
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
