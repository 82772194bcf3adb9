/*
 * digest_fieldwork_collect.c -- gather the field work of the leaders'
 * weekly digest (digest_fieldwork.c writes it): on the mail thread, with
 * its own synchronous connection, fieldwork.lua's figures (the week, the
 * year) and last_visits (who is idle, which enterprises nobody visited
 * this quarter). Days are counted with the digest's offset, never through
 * TZ (digest_sched.c keeps the thread away from it).
 *
 * Cost: two figures reads (at most 72 small hashes each) and one hash per
 * officer (its enterprises' last visit days).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

static int
digest_fieldwork_collect_figures(redisContext *c, const struct config *cfg,
    struct figures *f, int offset_s, char *error, size_t errlen)
{
	cJSON *payload = figures_payload(f, offset_s);
	char *text = cJSON_PrintUnformatted(payload);
	redisReply *r;
	int rc = 0;

	cJSON_Delete(payload);
	r = redis_sync_script(c, cfg, SCRIPT_FIELDWORK, "figures",
	    text, error, errlen);
	free(text);
	if (r == NULL)
		return -1;
	if (figures_read(f, r) == -1) {
		snprintf(error, errlen, "fieldwork figures: bad reply");
		rc = -1;
	}
	freeReplyObject(r);
	return rc;
}

/*
 * The last visit day of every officer's enterprises: who is idle, which
 * enterprises nobody visited since quarter_start.
 */
static int
digest_fieldwork_collect_last(redisContext *c, const struct config *cfg,
    const struct roster *ro, int64_t today, int64_t quarter_start,
    struct digest_fieldwork *fw, char *error, size_t errlen)
{
	cJSON *payload = cJSON_CreateObject(), *ids;
	const struct enterprise *e;
	const redisReply *flat;
	redisReply *r;
	int64_t *last, latest, day;
	size_t i, j;
	char *text;

	ids = cJSON_AddArrayToObject(payload, "officers");
	for (i = 0; i < ro->nofficers; i++)
		cJSON_AddItemToArray(ids, cJSON_CreateString(ro->officers[i].id));
	text = cJSON_PrintUnformatted(payload);
	cJSON_Delete(payload);
	r = redis_sync_script(c, cfg, SCRIPT_FIELDWORK,
	    "last_visits", text, error, errlen);
	free(text);
	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != ro->nofficers) {
		snprintf(error, errlen, "fieldwork last_visits: bad reply");
		freeReplyObject(r);
		return -1;
	}
	last = xcalloc(ro->nenterprises + 1, sizeof *last);
	for (i = 0; i < ro->nenterprises; i++)
		last[i] = -1;
	fw->idle = xcalloc(ro->nofficers + 1, sizeof *fw->idle);
	fw->idle_days = xcalloc(ro->nofficers + 1, sizeof *fw->idle_days);
	for (i = 0; i < ro->nofficers; i++) {
		flat = r->element[i];
		latest = -1;
		for (j = 0; flat->type == REDIS_REPLY_ARRAY &&
		    j + 1 < flat->elements; j += 2) {
			if (flat->element[j]->type != REDIS_REPLY_STRING ||
			    flat->element[j + 1]->type != REDIS_REPLY_STRING)
				continue;
			day = strtoll(flat->element[j + 1]->str, NULL, 10);
			if ((e = roster_enterprise(ro, flat->element[j]->str)) !=
			    NULL && day > last[e - ro->enterprises])
				last[e - ro->enterprises] = day;
			if (roster_officer_has(&ro->officers[i],
			    flat->element[j]->str) && day > latest)
				latest = day;
		}
		if (ro->officers[i].nenterprises > 0 &&
		    performance_idle(latest, today, fw->visit_days)) {
			fw->idle[fw->nidle] = &ro->officers[i];
			fw->idle_days[fw->nidle++] = latest < 0 ? -1 :
			    today - latest;
		}
	}
	fw->unvisited = xcalloc(ro->nenterprises + 1, sizeof *fw->unvisited);
	for (i = 0; i < ro->nenterprises; i++)
		if (last[i] < quarter_start)
			fw->unvisited[fw->nunvisited++] = &ro->enterprises[i];
	free(last);
	freeReplyObject(r);
	return 0;
}

/*
 * Collect the digest's field work for the week [from_ms, to_ms) at now_ms
 * (the zone offset_s ahead of UTC). Returns it (digest_fieldwork_free), or
 * NULL with error filled.
 */
struct digest_fieldwork *
digest_fieldwork_collect(redisContext *c, const struct config *cfg,
    const struct roster *ro, int64_t from_ms, int64_t now_ms, int offset_s,
    char *error, size_t errlen)
{
	struct digest_fieldwork *fw = xcalloc(1, sizeof *fw);
	int64_t today = figures_ms_day(now_ms, offset_s), quarter;
	int y, m, d;

	fw->visit_days = cfg->visit_days;
	fw->week.from = figures_ms_day(from_ms, offset_s);
	fw->week.to = fw->week.from + 6;
	date_from_days(today, &y, &m, &d);
	fw->year.from = date_to_days(y, 1, 1);
	fw->year.to = today;
	fw->year.officers = (int64_t)ro->nofficers;
	fw->year.enterprises = (int64_t)ro->nenterprises;
	quarter = date_to_days(y, (m - 1) / 3 * 3 + 1, 1);
	if (digest_fieldwork_collect_figures(c, cfg, &fw->week, offset_s, error,
	    errlen) == -1 ||
	    digest_fieldwork_collect_figures(c, cfg, &fw->year, offset_s, error,
	    errlen) == -1 ||
	    digest_fieldwork_collect_last(c, cfg, ro, today, quarter, fw, error,
	    errlen) == -1) {
		digest_fieldwork_free(fw);
		return NULL;
	}
	return fw;
}

