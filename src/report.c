/*
 * report.c -- a half-month report as an officer submits it: the body is
 * checked against the roster (their enterprises, known topics, the period
 * window, the limits) and each item is routed and given its first category
 * (rules.c says which).
 * Nothing here touches Redis; api_reports.c stores the result.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"

static const char *const report_fields[] = { "period", "items", NULL };
static const char *const report_item_fields[] = { "enterprise", "topic",
    "title", "detail", "difficult", NULL };

void
report_input_free(struct report_input *in)
{
	size_t i;

	if (in == NULL)
		return;
	for (i = 0; i < in->nitems; i++) {
		free(in->items[i].title);
		free(in->items[i].detail);
	}
	free(in->items);
	free(in);
}

static int
report_keyword_matches(const struct topic *t, const char *title,
    const char *detail)
{
	size_t i;
	int n = 0;

	for (i = 0; i < t->nkeywords; i++)
		if (strstr(title, t->keywords[i]) != NULL ||
		    strstr(detail, t->keywords[i]) != NULL)
			n++;
	return n;
}

/*
 * The topic whose departments an item goes to: its own, except for topic
 * "other", which goes to the topic whose keywords appear most often in the
 * title and detail (the first such topic by id on a tie), or stays "other"
 * when none appears.
 */
const struct topic *
report_route_topic(const struct roster *roster, const struct topic *topic,
    const char *title, const char *detail)
{
	const struct topic *best = topic;
	size_t i;
	int n, most = 0;

	if (strcmp(topic->id, "other") != 0)
		return topic;
	for (i = 0; i < roster->ntopics; i++) {
		if (&roster->topics[i] == topic)
			continue;
		n = report_keyword_matches(&roster->topics[i], title, detail);
		if (n > most) {
			most = n;
			best = &roster->topics[i];
		}
	}
	return best;
}

/* Which period the report is for: the current one or the previous one. */
static int
report_parse_period(const cJSON *json, time_t now, struct report_input *in,
    struct api_error *e)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(json, "period");
	struct period current, previous;
	char cur[PERIOD_LEN + 1], prev[PERIOD_LEN + 1];

	period_of_time(now, &current);
	period_previous(&current, &previous);
	if (p == NULL) {
		in->period = current;
		return 0;
	}
	if (!cJSON_IsString(p)) {
		validate_error_set(e, 400, "bad_request", "period",
		    "must be a string such as \"2026-11-2\"");
		return -1;
	}
	if (period_parse(p->valuestring, &in->period) == -1) {
		validate_error_set(e, 422, "invalid", "period",
		    "not a period: use YYYY-MM-1 (days 1-15) or YYYY-MM-2 "
		    "(day 16 to month end)");
		return -1;
	}
	if (period_equal(&in->period, &previous)) {
		in->late = 1;
		return 0;
	}
	if (!period_equal(&in->period, &current)) {
		period_format(&current, cur);
		period_format(&previous, prev);
		validate_error_set(e, 422, "invalid", "period",
		    "only the current period %s or the previous one %s can be "
		    "reported", cur, prev);
		return -1;
	}
	return 0;
}

/*
 * One item: every field is checked, and each one at fault is collected
 * into e (validate_error_add) in the order the checks were always made,
 * so the first error, which decides the status, is the one it always was.
 */
static int
report_parse_item(const cJSON *obj, size_t idx, const struct roster *roster,
    const struct officer *officer, const struct config *cfg,
    struct report_item *it, struct api_error *e)
{
	const char *enterprise = NULL, *topic = NULL, *title, *detail;
	char prefix[32], field[64], expected;
	struct api_error one;
	int bad = 0;

	snprintf(prefix, sizeof prefix, "items[%zu]", idx);
	if (!cJSON_IsObject(obj)) {
		validate_error_set(e, 400, "bad_request", prefix,
		    "must be an object");
		return -1;
	}
	if (validate_check_fields(obj, report_item_fields, prefix, e) == -1)
		return -1;
	if (validate_get_string(obj, "enterprise", prefix, 1, USCC_LEN + 16,
	    &enterprise, &one) == -1) {
		validate_error_add(e, &one, &bad);
		enterprise = NULL;
	}
	if (validate_get_string(obj, "topic", prefix, 1, 64, &topic,
	    &one) == -1) {
		validate_error_add(e, &one, &bad);
		topic = NULL;
	}
	if (validate_get_string(obj, "title", prefix, 1, cfg->max_title, &title,
	    &one) == -1)
		validate_error_add(e, &one, &bad);
	if (validate_get_string(obj, "detail", prefix, 0, cfg->max_detail,
	    &detail, &one) == -1)
		validate_error_add(e, &one, &bad);
	if (validate_get_bool(obj, "difficult", prefix, &it->difficult,
	    &one) == -1)
		validate_error_add(e, &one, &bad);

	snprintf(field, sizeof field, "%s.enterprise", prefix);
	if (enterprise != NULL && !uscc_valid(enterprise, &expected)) {
		if (expected != '\0')
			validate_error_set(&one, 422, "invalid", field,
			    "not a valid credit code: the check character "
			    "should be %c", expected);
		else
			validate_error_set(&one, 422, "invalid", field,
			    "not a valid credit code (18 characters of "
			    "0-9 and A-Y without I, O, S, V, Z)");
		validate_error_add(e, &one, &bad);
	} else if (enterprise != NULL &&
	    !roster_officer_has(officer, enterprise)) {
		validate_error_set(&one, 403, "forbidden", field,
		    "enterprise %s is not linked to you", enterprise);
		validate_error_add(e, &one, &bad);
	}
	snprintf(field, sizeof field, "%s.topic", prefix);
	if (topic != NULL && (it->topic = roster_topic(roster, topic)) == NULL) {
		validate_error_set(&one, 422, "invalid", field, "unknown topic");
		validate_error_add(e, &one, &bad);
	}
	if (bad > 0)
		return -1;
	it->enterprise = roster_enterprise(roster, enterprise);
	it->title = xstrdup(title);
	it->detail = xstrdup(detail != NULL ? detail : "");
	it->route_topic = report_route_topic(roster, it->topic, it->title,
	    it->detail);
	it->category = rules_report_category(it->difficult,
	    it->route_topic->ndepartments, it->reason, sizeof it->reason);
	return 0;
}

/*
 * Check a report body from officer at time now. Returns the parsed report
 * (caller frees with report_input_free) or NULL with e filled: 400 for a
 * malformed body, 422 for a well-formed but invalid one, 403 for an
 * enterprise not linked to the officer.
 */
struct report_input *
report_parse(const char *body, size_t len, const struct roster *roster,
    const struct officer *officer, const struct config *cfg, time_t now,
    struct api_error *e)
{
	struct report_input *in;
	const cJSON *items, *item;
	cJSON *json;
	size_t n, i = 0;

	if ((json = validate_parse_object(body, len, e)) == NULL)
		return NULL;
	in = xcalloc(1, sizeof *in);
	if (validate_check_fields(json, report_fields, "", e) == -1 ||
	    report_parse_period(json, now, in, e) == -1)
		goto fail;
	items = cJSON_GetObjectItemCaseSensitive(json, "items");
	if (items == NULL) {
		validate_error_set(e, 422, "invalid", "items", "this field is "
		    "required (an empty list is a zero report)");
		goto fail;
	}
	if (!cJSON_IsArray(items)) {
		validate_error_set(e, 400, "bad_request", "items",
		    "must be an array");
		goto fail;
	}
	n = (size_t)cJSON_GetArraySize(items);
	if (n > (size_t)cfg->max_items) {
		validate_error_set(e, 422, "invalid", "items",
		    "at most %d items in one report", cfg->max_items);
		goto fail;
	}
	in->items = xcalloc(n, sizeof *in->items);
	cJSON_ArrayForEach(item, items) {
		in->nitems = i + 1;
		if (report_parse_item(item, i, roster, officer, cfg,
		    &in->items[i], e) == -1)
			goto fail;
		i++;
	}
	cJSON_Delete(json);
	return in;

fail:
	cJSON_Delete(json);
	report_input_free(in);
	return NULL;
}
