/*
 * digest_fieldwork.c -- the field work in the leaders' weekly digest (SPEC
 * §11): the week's visits, the officers with no visit to any of their
 * enterprises in visit_days, the enterprises not visited this quarter, and
 * the year's figures with summary_zh. Collected on the mail thread with its
 * own synchronous connection (fieldwork.lua's figures and last_visits), so
 * days are counted with the digest's offset, never through TZ.
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

struct digest_fieldwork {
	struct figures week;
	struct figures year;
	const struct officer **idle;     /* no visit in visit_days */
	int64_t *idle_days;              /* since the last visit; -1 never */
	size_t nidle;
	const struct enterprise **unvisited;  /* not this quarter */
	size_t nunvisited;
	int visit_days;
};

static int
digest_fieldwork_figures(redisContext *c, const struct config *cfg,
    struct figures *f, int offset_s, char *error, size_t errlen)
{
	cJSON *payload = figures_payload(f, offset_s);
	char *text = cJSON_PrintUnformatted(payload);
	redisReply *r;
	int rc = 0;

	cJSON_Delete(payload);
	r = redis_sync_script(c, cfg->redis_prefix, SCRIPT_FIELDWORK, "figures",
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
digest_fieldwork_last(redisContext *c, const struct config *cfg,
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
	r = redis_sync_script(c, cfg->redis_prefix, SCRIPT_FIELDWORK,
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
	if (digest_fieldwork_figures(c, cfg, &fw->week, offset_s, error,
	    errlen) == -1 ||
	    digest_fieldwork_figures(c, cfg, &fw->year, offset_s, error,
	    errlen) == -1 ||
	    digest_fieldwork_last(c, cfg, ro, today, quarter, fw, error,
	    errlen) == -1) {
		digest_fieldwork_free(fw);
		return NULL;
	}
	return fw;
}

void
digest_fieldwork_free(struct digest_fieldwork *fw)
{
	if (fw == NULL)
		return;
	free(fw->idle);
	free(fw->idle_days);
	free(fw->unvisited);
	free(fw);
}

/* The leaders' section: the week, the idle, the unvisited, the year. */
void
digest_fieldwork_zone(const struct digest_input *in, struct digest_doc *d)
{
	static const char *const ohead[] = { "指导员", "单位", "距上次走访" };
	static const char *const ehead[] = { "企业", "区域" };
	static const int onum[] = { 0, 0, 1 };
	const struct digest_fieldwork *fw = in->fieldwork;
	const char *cells[3];
	char line[512], days[32];
	size_t i;
	char *summary;

	if (fw == NULL)
		return;
	digest_doc_heading(d, "走访与工作成效");
	snprintf(line, sizeof line, "本周走访企业 %lld 次，收集意见建议 %lld "
	    "条，开展宣讲 %lld 场次。", (long long)fw->week.visits,
	    (long long)fw->week.suggestions, (long long)(fw->week.events[0] +
	    fw->week.events[1] + fw->week.events[2]));
	digest_doc_para(d, line);
	summary = figures_summary_zh(&fw->year);
	digest_doc_para(d, summary);
	free(summary);

	snprintf(line, sizeof line, "%d 天内未走访任何联系企业的指导员",
	    fw->visit_days);
	digest_doc_heading(d, line);
	if (digest_format_count(d, fw->nidle, "人") > 0) {
		digest_doc_table(d, ohead, 3, onum);
		for (i = 0; i < fw->nidle && i < DIGEST_ROWS_MAX; i++) {
			if (fw->idle_days[i] < 0)
				snprintf(days, sizeof days, "从未走访");
			else
				snprintf(days, sizeof days, "%lld 天",
				    (long long)fw->idle_days[i]);
			cells[0] = fw->idle[i]->name;
			cells[1] = fw->idle[i]->unit ? fw->idle[i]->unit : "";
			cells[2] = days;
			digest_doc_row(d, cells);
		}
		digest_doc_table_end(d);
		digest_format_omitted(in, d, fw->nidle);
	}

	digest_doc_heading(d, "本季度尚未走访的企业");
	if (digest_format_count(d, fw->nunvisited, "家") > 0) {
		digest_doc_table(d, ehead, 2, NULL);
		for (i = 0; i < fw->nunvisited && i < DIGEST_ROWS_MAX; i++) {
			cells[0] = fw->unvisited[i]->name;
			cells[1] = fw->unvisited[i]->area ?
			    fw->unvisited[i]->area : "";
			digest_doc_row(d, cells);
		}
		digest_doc_table_end(d);
		digest_format_omitted(in, d, fw->nunvisited);
	}
}
