/*
 * ctl_ledger.c -- liaisonctl ledger export: a period's ledger as an Excel
 * workbook or a CSV file, the same as GET /api/v1/ledger.xlsx and .csv
 * give an admin (or a department, with --department). It runs the
 * daemon's own ledger script (ledger.lua) with synchronous hiredis, and
 * for the zone's workbook fieldwork.lua's workbook action (the field-work
 * sheets, ledger_xlsx_fieldwork.c).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "ctl.h"

static const struct option ctl_ledger_options[] = {
	{ "period", required_argument, NULL, 'p' },
	{ "department", required_argument, NULL, 'd' },
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ NULL, 0, NULL, 0 }
};

/* The ledger export synopsis, on standard error. */
static void
ctl_ledger_usage(void)
{
	fprintf(stderr, "usage: liaisonctl [-c file] ledger export "
	    "[--period YYYY-MM-H] [--department ID]\n"
	    "           [--format xlsx|csv] -o FILE\n");
}


/*
 * Read the working meeting's agenda as of now (agenda.c, the workbook's
 * 例会议题 sheet); NULL (with a message).
 */
static cJSON *
ctl_ledger_agenda(const struct config *cfg)
{
	char both[AGENDA_BOTH_LEN], periods[AGENDA_PERIODS_LEN], error[256];
	const char *argv[REDIS_CLUSTER_HEAD + 2];
	redisContext *c;
	redisReply *reply;
	cJSON *agenda = NULL;

	agenda_periods(time(NULL), both, periods);
	if ((c = redis_sync_connect(cfg, error, sizeof error)) == NULL) {
		fprintf(stderr, "liaisonctl: %s\n", error);
		return NULL;
	}
	/* As the ledger's read below: keyed to the zone's slot, and a
	 * failover inside a Cluster (CLUSTERDOWN) waited out. */
	redis_cluster_script_head(argv, NULL, "EVAL",
	    store_scripts[SCRIPT_READ].body, 0, cfg->redis_prefix);
	argv[REDIS_CLUSTER_HEAD] = "agenda";
	argv[REDIS_CLUSTER_HEAD + 1] = both;
	reply = redis_sync_argv(c, cfg, REDIS_CLUSTER_HEAD + 2, argv, NULL);
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		fprintf(stderr, "liaisonctl: redis: %s\n",
		    reply ? reply->str : c->errstr);
	else if ((agenda = agenda_json(reply, periods, util_now_ms())) == NULL)
		fprintf(stderr, "liaisonctl: unexpected reply to the agenda "
		    "read\n");
	freeReplyObject(reply);
	redisFree(c);
	return agenda;
}

/*
 * Issues a ledger.lua call reads, as the daemon's ledger cache does: a
 * province's period of 10^5 issues in one call held Redis for seconds and
 * its reply, whole in memory, weighed several times the ledger.
 */
#define CTL_LEDGER_SLICE 500

/*
 * Read and score the ledger of period, a slice at a time (ledger.lua
 * period P START COUNT; the last slice brings the carried-over rows after
 * 'carried:P'); NULL (with a message).
 */
static struct ledger *
ctl_ledger_read(const struct config *cfg, const struct roster *roster,
    const char *period)
{
	const char *argv[REDIS_CLUSTER_HEAD + 4];
	char error[256], start[24], count[24];
	redisContext *c;
	redisReply *reply;
	struct ledger *l;
	size_t from;
	int n;

	/* a slice past the period's end is its last: it brings 'carried:' */
	if ((c = redis_sync_connect(cfg, error, sizeof error)) == NULL) {
		fprintf(stderr, "liaisonctl: %s\n", error);
		return NULL;
	}
	redis_cluster_script_head(argv, NULL, "EVAL",
	    store_scripts[SCRIPT_LEDGER].body, 0, cfg->redis_prefix);
	argv[REDIS_CLUSTER_HEAD] = "period";
	argv[REDIS_CLUSTER_HEAD + 1] = period;
	argv[REDIS_CLUSTER_HEAD + 2] = start;
	argv[REDIS_CLUSTER_HEAD + 3] = count;
	snprintf(count, sizeof count, "%d", CTL_LEDGER_SLICE);
	l = ledger_new();
	for (from = 0; l->carried_period == NULL; from += CTL_LEDGER_SLICE) {
		snprintf(start, sizeof start, "%zu", from);
		reply = redis_sync_argv(c, cfg, REDIS_CLUSTER_HEAD + 4, argv,
		    NULL);
		if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "liaisonctl: redis: %s\n",
			    reply ? reply->str : c->errstr);
			freeReplyObject(reply);
			redisFree(c);
			ledger_free(l);
			return NULL;
		}
		n = ledger_add_rows(l, reply);
		freeReplyObject(reply);
		if (n == -1) {
			fprintf(stderr, "liaisonctl: unexpected reply to the "
			    "ledger script\n");
			redisFree(c);
			ledger_free(l);
			return NULL;
		}
	}
	redisFree(c);
	ledger_sort(l);
	ledger_score(l, roster, cfg->ledger_weights, util_now_ms());
	return l;
}

/*
 * Read the field work of period for the zone's workbook into fw; returns
 * the reply fw points into (the caller frees it after the workbook), or
 * NULL with a message.
 */
static redisReply *
ctl_ledger_fieldwork(const struct config *cfg, const struct roster *roster,
    const char *period, struct ledger_fieldwork *fw)
{
	cJSON *payload = ledger_fieldwork_payload(fw, roster, period,
	    time(NULL));
	char *text = cJSON_PrintUnformatted(payload), error[256];
	redisContext *c;
	redisReply *reply;

	cJSON_Delete(payload);
	if ((c = redis_sync_connect(cfg, error, sizeof error)) == NULL) {
		fprintf(stderr, "liaisonctl: %s\n", error);
		free(text);
		return NULL;
	}
	reply = redis_sync_script(c, cfg, SCRIPT_FIELDWORK,
	    "workbook", text, error, sizeof error);
	free(text);
	redisFree(c);
	if (reply == NULL) {
		fprintf(stderr, "liaisonctl: %s\n", error);
		return NULL;
	}
	if (ledger_fieldwork_read(fw, reply, roster, time(NULL),
	    cfg->visit_days) == -1) {
		fprintf(stderr, "liaisonctl: unexpected reply to the field-work "
		    "script\n");
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

/* Return 1 if path ends with suffix. */
static int
ctl_ledger_ends_with(const char *path, const char *suffix)
{
	size_t n = strlen(path), m = strlen(suffix);

	return n >= m && strcasecmp(path + n - m, suffix) == 0;
}

/* ledger export: write the file atomically, or nothing at all. */
int
ctl_ledger_export(const char *config_path, int argc, char **argv)
{
	const char *period_arg = NULL, *department = NULL, *format = NULL;
	const char *output = NULL;
	char period[PERIOD_LEN + 1], *cause = NULL, *data = NULL;
	struct config *cfg = NULL;
	struct roster *roster = NULL;
	struct ledger *l = NULL;
	cJSON *agenda = NULL;
	struct ledger_fieldwork fw;
	redisReply *fw_reply = NULL;
	struct period p;
	size_t len;
	int ch, status = 1, rc;

	memset(&fw, 0, sizeof fw);

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+o:", ctl_ledger_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'p': period_arg = optarg; break;
		case 'd': department = optarg; break;
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		default: ctl_ledger_usage(); return 2;
		}
	}
	if (optind != argc || output == NULL) {
		ctl_ledger_usage();
		return 2;
	}
	if (format == NULL)
		format = ctl_ledger_ends_with(output, ".csv") ? "csv" : "xlsx";
	if (strcmp(format, "xlsx") != 0 && strcmp(format, "csv") != 0) {
		fprintf(stderr, "liaisonctl: --format: use xlsx or csv\n");
		return 2;
	}
	if ((cfg = config_load(config_path, &cause)) == NULL ||
	    (roster = ctl_zone(cfg, &cause)) == NULL)
		goto out;
	if (period_arg == NULL)
		period_of_time(time(NULL), &p);
	else if (period_parse(period_arg, &p) == -1) {
		xasprintf(&cause, "--period \"%s\": use YYYY-MM-1 or YYYY-MM-2",
		    period_arg);
		goto out;
	}
	period_format(&p, period);
	if (department != NULL && roster_department(roster, department) ==
	    NULL) {
		xasprintf(&cause, "no department \"%s\" in %s", department,
		    cfg->roster_file);
		goto out;
	}
	if ((l = ctl_ledger_read(cfg, roster, period)) == NULL)
		goto out;
	/*
	 * The whole zone's workbook has the period's field work and, for the
	 * current period, the agenda as it is now, as an admin's does.
	 */
	if (strcmp(format, "xlsx") == 0 && department == NULL &&
	    agenda_current(period, time(NULL)) &&
	    (agenda = ctl_ledger_agenda(cfg)) == NULL)
		goto out;
	if (strcmp(format, "xlsx") == 0 && department == NULL) {
		if ((fw_reply = ctl_ledger_fieldwork(cfg, roster, period,
		    &fw)) == NULL)
			goto out;
		rc = ledger_xlsx(l, roster, department, period, agenda, &fw,
		    &data, &len, &cause);
	} else if (strcmp(format, "xlsx") == 0)
		rc = ledger_xlsx(l, roster, department, period, NULL, NULL,
		    &data, &len, &cause);
	else
		rc = ledger_csv(l, roster, department, &data, &len);
	if (rc != 0) {
		if (cause == NULL)
			xasprintf(&cause, "cannot write the ledger");
		goto out;
	}
	if (atomic_write_files(&output, &data, &len, 1, &cause) != 0)
		goto out;
	status = 0;
out:
	if (cause != NULL)
		fprintf(stderr, "liaisonctl: %s\n", cause);
	free(cause);
	free(data);
	cJSON_Delete(agenda);
	ledger_fieldwork_free(&fw);
	if (fw_reply != NULL)
		freeReplyObject(fw_reply);
	ledger_free(l);
	roster_free(roster);
	config_free(cfg);
	return status;
}
