/*
 * governance.c -- the rules of governance over time (SPEC §12) that need no
 * event loop: a 延期 request's days, the due time an approved one moves a
 * step to, the 退单 window, which finished issue a new one recurs (复发),
 * when a period's ledger is frozen and how long an issue has been open;
 * and their JSON on tasks and issues. workflow.lua applies what these
 * decide, atomically, and states none of it.
 *
 *   rule                 what                                   default
 *   extension days       1 .. GOVERNANCE_EXTENSION_DAYS_MAX       -
 *                        working days per request
 *   extensions_max       approved requests per task             2
 *   the new due time     the end of the days-th working day
 *                        after the step's current due date
 *                        (holidays and 调休: workdays.c)
 *   return_days          a task may be returned (退单) until the  1
 *                        end of this working day after it was
 *                        queued to the department
 *   recurrence_days      a finished issue of the same            90
 *                        enterprise and topic, resolved within
 *                        these days, with a similar text
 *                        (similar.c, [classify] similarity)
 *   snapshot_days        a period's ledger is frozen at the end  5
 *                        of this working day after it ends (0:
 *                        when it ends; for tests)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"

/*
 * The days of a 延期 request body ({"days"}): a whole number from 1 to
 * GOVERNANCE_EXTENSION_DAYS_MAX. Returns 0 with *days set, or -1 with e
 * filled (422 missing or out of range, 400 not a number).
 */
int
governance_extension_days(const cJSON *body, int *days, struct api_error *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "days");

	if (v == NULL) {
		validate_error_set(e, 422, "invalid", "days",
		    "this field is required");
		return -1;
	}
	if (!cJSON_IsNumber(v)) {
		validate_error_set(e, 400, "bad_request", "days",
		    "days is a number "
		    "of working days");
		return -1;
	}
	if (v->valuedouble < 1 || v->valuedouble > GOVERNANCE_EXTENSION_DAYS_MAX ||
	    v->valuedouble != (double)(int)v->valuedouble) {
		validate_error_set(e, 422, "invalid", "days",
		    "days is a whole number "
		    "of working days from 1 to %d", GOVERNANCE_EXTENSION_DAYS_MAX);
		return -1;
	}
	*days = (int)v->valuedouble;
	return 0;
}

/*
 * The due time (ms) a step due at due_ms moves to when days more working
 * days are approved: the last millisecond of the days-th working day after
 * its due date. -1 when the time cannot be converted.
 */
int64_t
governance_extended_due(const struct workdays *wd, int64_t due_ms, int days)
{
	time_t t = workdays_due(wd, (time_t)(due_ms / 1000), days);

	if (t == (time_t)-1)
		return -1;
	return (int64_t)t * 1000 + 999;
}

/*
 * When the ledger of period p is frozen: the end of its snapshot_days-th
 * working day after it; with 0 days as soon as it ends (for tests). -1
 * when the time cannot be converted.
 */
int64_t
governance_freeze_ms(const struct workdays *wd, const struct period *p,
    int snapshot_days)
{
	time_t t;

	if (snapshot_days == 0)
		return (int64_t)period_end(p) * 1000;
	t = workdays_due(wd, period_end(p) - 1, snapshot_days);

	if (t == (time_t)-1)
		return -1;
	return (int64_t)t * 1000 + 999;
}

/*
 * How many half-months an issue of period issue has been open when the
 * ledger of period ledger is read: the periods from its own to that one,
 * both counted (an issue of the previous period carried over is 2).
 */
int
governance_periods_open(const struct period *issue, const struct period *ledger)
{
	return period_key(ledger) - period_key(issue) + 1;
}

/*
 * Of the n finished issues of an enterprise in cand, latest first, the one
 * that a new issue of topic with text (title "\n" detail) recurs: same
 * topic, a text scoring at least threshold (similar.c), the best score,
 * the latest of equal ones (so that a chain of recurrences is followed to
 * its end). Returns its index, or -1 for none.
 */
int
governance_recurrence(const struct governance_candidate *cand, size_t n,
    const char *topic, const char *text, double threshold)
{
	struct similar_grams q, g;
	double score, best = -1;
	int found = -1;
	size_t i;

	similar_grams(text, &q);
	for (i = 0; i < n; i++) {
		if (strcmp(cand[i].topic, topic) != 0)
			continue;
		similar_grams(cand[i].text, &g);
		score = similar_score(&q, &g);
		free(g.v);
		if (score >= threshold && score > best) {
			best = score;
			found = (int)i;
		}
	}
	free(q.v);
	return found;
}

/*
 * Add "extensions": [{"days", "reason", "state", "stage", "at",
 * "decided_at", "decision"}] to a task's JSON from its hash (flat).
 */
void
governance_task_json(cJSON *obj, const redisReply *task)
{
	const char *text = util_reply_field(task, "extensions");
	cJSON *list = cJSON_AddArrayToObject(obj, "extensions"), *stored, *x;
	const cJSON *v;
	cJSON *out;

	if (text == NULL || *text == '\0' ||
	    (stored = cJSON_Parse(text)) == NULL)
		return;
	cJSON_ArrayForEach(x, stored) {
		out = cJSON_CreateObject();
		v = cJSON_GetObjectItemCaseSensitive(x, "days");
		cJSON_AddNumberToObject(out, "days", cJSON_IsNumber(v) ?
		    v->valuedouble : 0);
		v = cJSON_GetObjectItemCaseSensitive(x, "reason");
		cJSON_AddStringToObject(out, "reason", cJSON_IsString(v) ?
		    v->valuestring : "");
		v = cJSON_GetObjectItemCaseSensitive(x, "state");
		cJSON_AddStringToObject(out, "state", cJSON_IsString(v) ?
		    v->valuestring : "");
		v = cJSON_GetObjectItemCaseSensitive(x, "stage");
		cJSON_AddStringToObject(out, "stage", cJSON_IsString(v) ?
		    v->valuestring : "");
		v = cJSON_GetObjectItemCaseSensitive(x, "at");
		util_json_add_time(out, "at", cJSON_GetStringValue(v));
		v = cJSON_GetObjectItemCaseSensitive(x, "decided_at");
		util_json_add_time(out, "decided_at", cJSON_GetStringValue(v));
		v = cJSON_GetObjectItemCaseSensitive(x, "decision");
		if (cJSON_IsString(v))
			cJSON_AddStringToObject(out, "decision", v->valuestring);
		else
			cJSON_AddNullToObject(out, "decision");
		cJSON_AddItemToArray(list, out);
	}
	cJSON_Delete(stored);
}

/* Add "recurrence_of": the finished issue this one recurs, or null. */
void
governance_issue_json(cJSON *obj, const redisReply *issue)
{
	const char *v = util_reply_field(issue, "recurrence_of");

	if (v == NULL || *v == '\0')
		cJSON_AddNullToObject(obj, "recurrence_of");
	else
		cJSON_AddStringToObject(obj, "recurrence_of", v);
}

/*
 * Add the 退单 window to a return step's payload: the task field holding
 * when it closes (due_return, set when the task is queued) and the words
 * of the refusal after it.
 */
void
governance_return_window(cJSON *payload, const struct config *cfg)
{
	char reason[256];

	if (cfg->return_seconds > 0)
		snprintf(reason, sizeof reason, "a task can be returned (退单) "
		    "only within %d seconds of being queued to the department: "
		    "ask an admin to re-route it", cfg->return_seconds);
	else
		snprintf(reason, sizeof reason, "a task can be returned (退单) "
		    "only within %d working day%s of being queued to the "
		    "department: ask an admin to re-route it", cfg->return_days,
		    cfg->return_days == 1 ? "" : "s");
	cJSON_AddStringToObject(payload, "within", "due_return");
	cJSON_AddStringToObject(payload, "within_reason", reason);
}
