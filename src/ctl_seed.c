/*
 * ctl_seed.c -- liaisonctl seed fieldwork: fill a demo's Redis with a
 * plausible stretch of field work for the roster's officers (visits to
 * their own enterprises, a few talks, outcomes), so that a new user sees a
 * full performance table and figures. Records are made by fieldwork.c as
 * the API makes them and written in one run of fieldwork.lua (as an
 * import), so they count in the running totals like any other.
 *
 * The numbers follow the zone's own year (about five visits per officer
 * and half-year, a talk a month, a few organisations founded, hires in
 * tens, tax relief in the millions) and are drawn from a seeded generator:
 * the same --seed on the same day gives the same records, and is refused
 * the second time.
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

static const char *const ctl_seed_notes[] = {
	"了解企业用工和生产经营情况", "宣传稳岗扩岗政策", "走访企业负责人，听取意见建议",
	"指导企业党支部开展主题党日", "了解融资需求", "协调解决员工子女入学问题",
	"宣讲税费优惠政策", "了解项目建设进展",
};
static const char *const ctl_seed_titles[] = {
	"学习宣传党的二十届四中全会精神", "新时代民营经济促进政策解读",
	"稳岗扩岗和就业补贴政策宣讲", "企业所得税优惠政策解读",
	"非公企业党建工作专题党课", "安全生产与应急管理政策宣讲",
};

static unsigned int ctl_seed_state;

/* A number in [lo, hi]. */
static int64_t
ctl_seed_between(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rand_r(&ctl_seed_state) % (unsigned)(hi - lo + 1));
}

static int
ctl_seed_chance(int percent)
{
	return ctl_seed_between(1, 100) <= percent;
}

static const struct fieldwork_kind *
ctl_seed_kind(const struct fieldwork_kind *table, const char *name)
{
	return fieldwork_kind_find(table, name);
}

/* The visits of officer o over [from, to]. */
static void
ctl_seed_visits(const struct officer *o, int64_t from, int64_t to,
    int months, cJSON *records)
{
	static const char *const modes[] = { "visit", "visit", "visit",
	    "visit", "visit", "visit", "visit", "interview", "forum",
	    "sit_in" };
	int64_t n, i, suggestions;
	const struct enterprise *e;

	if (o->nenterprises == 0)
		return;
	n = ctl_seed_between(months / 2 + 1, months * 2);
	for (i = 0; i < n; i++) {
		e = o->enterprises[ctl_seed_between(0,
		    (int64_t)o->nenterprises - 1)];
		suggestions = ctl_seed_chance(40) ? ctl_seed_between(1, 3) : 0;
		cJSON_AddItemToArray(records, fieldwork_visit_record(o, e,
		    ctl_seed_between(from, to), ctl_seed_kind(
		    fieldwork_visit_modes, modes[ctl_seed_between(0, 9)]),
		    ctl_seed_notes[ctl_seed_between(0, 7)], suggestions));
	}
}

static void
ctl_seed_event(const struct officer *o, int64_t from, int64_t to,
    cJSON *records)
{
	cJSON *ents = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < o->nenterprises && i < 3; i++)
		cJSON_AddItemToArray(ents,
		    cJSON_CreateString(o->enterprises[i]->id));
	cJSON_AddItemToArray(records, fieldwork_event_record(o,
	    ctl_seed_kind(fieldwork_event_kinds, ctl_seed_chance(50) ?
	    "theory" : "policy"), ctl_seed_between(from, to),
	    ctl_seed_titles[ctl_seed_between(0, 5)],
	    ctl_seed_between(60, 2500), ents));
	cJSON_Delete(ents);
}

static void
ctl_seed_outcome(const struct officer *o, const char *kind, int64_t units,
    int64_t from, int64_t to, cJSON *records)
{
	if (o->nenterprises == 0)
		return;
	cJSON_AddItemToArray(records, fieldwork_outcome_record(o->id,
	    o->enterprises[ctl_seed_between(0, (int64_t)o->nenterprises - 1)],
	    ctl_seed_kind(fieldwork_outcome_kinds, kind),
	    ctl_seed_between(from, to), units, NULL, "示例数据"));
}

/*
 * Every record of the seed for the roster's officers first to last - 1,
 * over [from, to].
 */
static cJSON *
ctl_seed_records(const struct roster *roster, size_t first, size_t last,
    int64_t from, int64_t to, int months)
{
	cJSON *records = cJSON_CreateArray();
	const struct officer *o;
	size_t i;
	int talks = 0;

	for (i = first; i < last; i++) {
		o = &roster->officers[i];
		ctl_seed_visits(o, from, to, months, records);
		/* about one talk a month in the zone */
		if (talks < months && ctl_seed_chance(20)) {
			ctl_seed_event(o, from, to, records);
			talks++;
		}
		if (ctl_seed_chance(8))
			ctl_seed_outcome(o, "party_org", 1, from, to, records);
		if (ctl_seed_chance(12))
			ctl_seed_outcome(o, "mass_org", 1, from, to, records);
		if (ctl_seed_chance(30))
			ctl_seed_outcome(o, "hires", ctl_seed_between(3, 40),
			    from, to, records);
		if (ctl_seed_chance(20))
			ctl_seed_outcome(o, "tax_relief", ctl_seed_between(
			    5000000, 300000000), from, to, records);
		if (ctl_seed_chance(8))
			ctl_seed_outcome(o, "funding", ctl_seed_between(
			    10000000, 500000000), from, to, records);
		if (ctl_seed_chance(5))
			ctl_seed_outcome(o, "other", 1, from, to, records);
	}
	return records;
}

/*
 * Write the records of officers first to last - 1 in one run of
 * fieldwork.lua; name makes the run's key (the same run is refused).
 * Returns 0, or -1 with *cause set.
 */
static int
ctl_seed_run(redisContext *c, const struct config *cfg,
    const struct roster *roster, size_t first, size_t last,
    const char *name, int64_t today, int months, size_t *count,
    char **cause)
{
	cJSON *payload = cJSON_CreateObject();
	char now[32], sha[TOKEN_HASH_LEN + 1], error[256], *text;
	redisReply *reply;
	int rc = -1;

	snprintf(now, sizeof now, "%lld", (long long)util_now_ms());
	cJSON_AddStringToObject(payload, "now", now);
	cJSON_AddStringToObject(payload, "actor", "admin:seed");
	util_sha256_hex(name, strlen(name), sha);
	cJSON_AddStringToObject(payload, "file", sha);
	cJSON_AddItemToObject(payload, "records", ctl_seed_records(roster,
	    first, last, today - months * 30 + 1, today, months));
	text = cJSON_PrintUnformatted(payload);
	cJSON_Delete(payload);
	reply = redis_sync_script(c, cfg, SCRIPT_FIELDWORK,
	    "import", text, error, sizeof error);
	free(text);
	if (reply == NULL)
		xasprintf(cause, "%s", error);
	else if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2)
		xasprintf(cause, "unexpected reply to the seed");
	else if (strcmp(reply->element[0]->str, "ok") != 0 ||
	    reply->elements < 4)
		xasprintf(cause, "%s", reply->element[1]->str);
	else {
		*count += strtoul(reply->element[1]->str, NULL, 10);
		rc = 0;
	}
	if (reply != NULL)
		freeReplyObject(reply);
	return rc;
}

static void
ctl_seed_usage(void)
{
	fprintf(stderr, "usage: liaisonctl [-c file] seed fieldwork "
	    "[--months N] [--seed N] [--batch OFFICERS]\n");
}

/*
 * seed fieldwork [--months N] [--seed N] [--batch OFFICERS] (argv[0] is
 * "fieldwork"). With --batch, the officers are written that many at a
 * time (for a province-sized benchmark); without, all in one step.
 */
int
ctl_seed(const char *config_path, int argc, char **argv)
{
	static const struct option options[] = {
		{ "months", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "batch", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	struct config *cfg = NULL;
	struct roster *roster = NULL;
	char *cause = NULL, error[256], name[96], *end;
	redisContext *c = NULL;
	int ch, months = 6, status = 1;
	unsigned long seed = 1, batch = 0;
	size_t first, last, count = 0;
	int64_t today;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		switch (ch) {
		case 'm':
			months = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || months < 1 || months > 24) {
				fprintf(stderr, "liaisonctl: --months: 1 to 24\n");
				return 2;
			}
			break;
		case 's':
		case 'b':
			if (*optarg == '\0' || strspn(optarg, "0123456789") !=
			    strlen(optarg) || strlen(optarg) > 9) {
				fprintf(stderr, "liaisonctl: --%s: a number\n",
				    ch == 's' ? "seed" : "batch");
				return 2;
			}
			*(ch == 's' ? &seed : &batch) = strtoul(optarg, NULL, 10);
			break;
		default:
			ctl_seed_usage();
			return 2;
		}
	}
	if (optind != argc) {
		ctl_seed_usage();
		return 2;
	}
	if ((cfg = config_load(config_path, &cause)) == NULL ||
	    (roster = ctl_zone(cfg, &cause)) == NULL)
		goto out;
	today = fieldwork_today(time(NULL));
	ctl_seed_state = (unsigned int)seed;
	if ((c = redis_sync_connect(cfg, error, sizeof error)) == NULL) {
		xasprintf(&cause, "%s", error);
		goto out;
	}
	if (batch == 0 || batch > roster->nofficers)
		batch = roster->nofficers;
	for (first = 0; first < roster->nofficers; first = last) {
		last = first + batch < roster->nofficers ? first + batch :
		    roster->nofficers;
		snprintf(name, sizeof name, "seed:%lu:%d:%lld:%zu", seed, months,
		    (long long)today, first);
		if (ctl_seed_run(c, cfg, roster, first, last, name, today,
		    months, &count, &cause) == -1)
			goto out;
	}
	printf("seeded %zu records over %d months\n", count, months);
	status = 0;
out:
	if (cause != NULL) {
		fprintf(stderr, "liaisonctl: %s\n", cause);
		free(cause);
	}
	if (c != NULL)
		redisFree(c);
	roster_free(roster);
	config_free(cfg);
	return status;
}
