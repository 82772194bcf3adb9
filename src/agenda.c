/*
 * agenda.c -- the working meeting's agenda (工作例会, SPEC §12) built from
 * read.lua's rows of the open issues of the last two periods: difficult
 * issues, overdue tasks, 延期 requests waiting, returned tasks waiting for
 * a route, recurrences (复发) and trend alerts (未诉先办, found by
 * trend.c's rule), each with its department and its age,
 * oldest first. No event loop: GET /api/v1/agenda and the page /agenda
 * (api_agenda.c, web_agenda.c) and the workbook's 例会议题 sheet, from the
 * daemon and from liaisonctl, all build it here. The kinds' Chinese names
 * are agenda_kind_zh's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"

/* One item of the agenda, with when it began (ms) to sort and age it. */
struct agenda_item {
	int64_t since;
	cJSON *json;
};

static int
agenda_cmp(const void *a, const void *b)
{
	const struct agenda_item *x = a, *y = b;

	return x->since < y->since ? -1 : x->since > y->since;
}

/* A field of ms, 0 when absent or empty. */
static int64_t
agenda_ms(const redisReply *flat, const char *name)
{
	const char *v = util_reply_field(flat, name);

	return v != NULL && *v != '\0' ? strtoll(v, NULL, 10) : 0;
}

/* Start an item of kind for issue (and task, if not NULL). */
static cJSON *
agenda_item(const char *kind, const redisReply *issue,
    const redisReply *task)
{
	cJSON *obj = cJSON_CreateObject(), *depts;
	const char *v;

	cJSON_AddStringToObject(obj, "kind", kind);
	cJSON_AddStringToObject(obj, "issue", util_reply_field(issue, "id"));
	v = util_reply_field(issue, "title");
	cJSON_AddStringToObject(obj, "title", v != NULL ? v : "");
	v = util_reply_field(issue, "period");
	cJSON_AddStringToObject(obj, "period", v != NULL ? v : "");
	v = util_reply_field(issue, "category");
	cJSON_AddStringToObject(obj, "category", v != NULL ? v : "");
	if (task != NULL) {
		cJSON_AddStringToObject(obj, "task",
		    util_reply_field(task, "id"));
		depts = cJSON_AddArrayToObject(obj, "departments");
		cJSON_AddItemToArray(depts, cJSON_CreateString(
		    util_reply_field(task, "department")));
		return obj;
	}
	v = util_reply_field(issue, "departments");
	depts = v != NULL ? cJSON_Parse(v) : NULL;
	cJSON_AddItemToObject(obj, "departments", depts != NULL ? depts :
	    cJSON_CreateArray());
	return obj;
}

/* Add an item begun at since to the list (its age, as of now). */
static void
agenda_add(struct agenda_item **items, size_t *n, size_t *alloc,
    cJSON *json, int64_t since, int64_t now)
{
	char when[32];

	if (*n == *alloc) {
		*alloc = *alloc == 0 ? 64 : *alloc * 2;
		*items = xreallocarray(*items, *alloc, sizeof **items);
	}
	util_time_iso8601(since, when);
	cJSON_AddStringToObject(json, "since", when);
	cJSON_AddNumberToObject(json, "age_days", since < now ?
	    (double)((now - since) / 86400000) : 0);
	(*items)[*n].since = since;
	(*items)[*n].json = json;
	(*n)++;
}

/* The 延期 request waiting on a task: its days and reason into json. */
static int64_t
agenda_extension(const redisReply *task, cJSON *json)
{
	const char *text = util_reply_field(task, "extensions");
	cJSON *list = text != NULL ? cJSON_Parse(text) : NULL, *last;
	int64_t at = 0;
	const char *v;

	last = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1);
	if (last != NULL) {
		cJSON_AddItemToObject(json, "days", cJSON_Duplicate(
		    cJSON_GetObjectItem(last, "days"), 1));
		cJSON_AddItemToObject(json, "reason", cJSON_Duplicate(
		    cJSON_GetObjectItem(last, "reason"), 1));
		v = cJSON_GetStringValue(cJSON_GetObjectItem(last, "at"));
		at = v != NULL ? strtoll(v, NULL, 10) : 0;
	}
	cJSON_Delete(list);
	return at;
}

/* The items of one issue and its tasks. */
static void
agenda_issue(const redisReply *issue, const redisReply *tasks,
    int64_t now, struct agenda_item **items, size_t *n, size_t *alloc)
{
	const redisReply *t;
	const char *state, *v;
	int64_t created = agenda_ms(issue, "created"), at;
	cJSON *json;
	size_t i;

	v = util_reply_field(issue, "category");
	if (v != NULL && strcmp(v, "difficult") == 0)
		agenda_add(items, n, alloc, agenda_item("difficult",
		    issue, NULL), created, now);
	v = util_reply_field(issue, "recurrence_of");
	if (v != NULL && *v != '\0') {
		json = agenda_item("recurrence", issue, NULL);
		cJSON_AddStringToObject(json, "recurrence_of", v);
		agenda_add(items, n, alloc, json, created, now);
	}
	for (i = 0; i < tasks->elements; i++) {
		t = tasks->element[i];
		if (t->type != REDIS_REPLY_ARRAY || t->elements == 0 ||
		    (state = util_reply_field(t, "state")) == NULL)
			continue;
		if (strcmp(state, "returned") == 0)
			agenda_add(items, n, alloc, agenda_item(
			    "returned", issue, t), agenda_ms(t,
			    "returned_at"), now);
		at = agenda_ms(t, "deadline");
		if ((strcmp(state, "queued") == 0 ||
		    strcmp(state, "claimed") == 0 ||
		    strcmp(state, "responded") == 0) && at != 0 && at <= now)
			agenda_add(items, n, alloc, agenda_item(
			    "overdue", issue, t), at, now);
		v = util_reply_field(t, "extension_pending");
		if (v != NULL && strcmp(v, "1") == 0) {
			json = agenda_item("extension", issue, t);
			at = agenda_extension(t, json);
			agenda_add(items, n, alloc, json, at, now);
		}
	}
}

/* A trend alert (read.lua's one-element row) on the agenda. */
static void
agenda_alert(const redisReply *alert, int64_t now, struct agenda_item **items,
    size_t *n, size_t *alloc)
{
	cJSON *obj = cJSON_CreateObject(), *depts;
	char title[512];
	const char *v, *name = util_reply_field(alert, "topic_name");
	const char *count = util_reply_field(alert, "enterprises");
	const char *mean = util_reply_field(alert, "mean");

	cJSON_AddStringToObject(obj, "kind", "trend");
	v = util_reply_field(alert, "id");
	cJSON_AddStringToObject(obj, "alert", v != NULL ? v : "");
	cJSON_AddStringToObject(obj, "issue", "");
	snprintf(title, sizeof title, "%s：本期 %s 家企业反映（前几期平均 "
	    "%.1f 家）", name != NULL ? name : "", count != NULL ? count : "0",
	    mean != NULL ? strtod(mean, NULL) : 0);
	cJSON_AddStringToObject(obj, "title", title);
	v = util_reply_field(alert, "period");
	cJSON_AddStringToObject(obj, "period", v != NULL ? v : "");
	v = util_reply_field(alert, "topic");
	cJSON_AddStringToObject(obj, "topic", v != NULL ? v : "");
	v = util_reply_field(alert, "departments");
	depts = v != NULL ? cJSON_Parse(v) : NULL;
	if (!cJSON_IsArray(depts)) {
		cJSON_Delete(depts);
		depts = cJSON_CreateArray();
	}
	cJSON_AddItemToObject(obj, "departments", depts);
	agenda_add(items, n, alloc, obj, agenda_ms(alert, "at"), now);
}

/*
 * The agenda from read.lua's rows of the periods (periods_json, a JSON
 * list), as of now: {"periods", "agenda": [...]}, oldest first; NULL when
 * the reply is not a list of rows. The API and the page /agenda
 * (web_agenda.c) both answer from it.
 */
cJSON *
agenda_json(const redisReply *reply, const char *periods_json,
    int64_t now)
{
	struct agenda_item *items = NULL;
	size_t n = 0, alloc = 0, i;
	const redisReply *row;
	cJSON *root, *list;

	if (reply->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i < reply->elements; i++) {
		row = reply->element[i];
		if (row->type == REDIS_REPLY_ARRAY && row->elements == 1 &&
		    row->element[0]->type == REDIS_REPLY_ARRAY &&
		    row->element[0]->elements > 0) {
			agenda_alert(row->element[0], now, &items, &n, &alloc);
			continue;
		}
		if (row->type != REDIS_REPLY_ARRAY || row->elements != 2 ||
		    row->element[0]->type != REDIS_REPLY_ARRAY ||
		    row->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		agenda_issue(row->element[0], row->element[1], now, &items,
		    &n, &alloc);
	}
	if (n > 0)      /* qsort wants a non-NULL array */
		qsort(items, n, sizeof *items, agenda_cmp);
	root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "periods", cJSON_Parse(periods_json));
	list = cJSON_AddArrayToObject(root, "agenda");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(list, items[i].json);
	free(items);
	return root;
}

/*
 * The agenda's periods as of t: the previous and the current half-month,
 * as read.lua's "agenda" takes them ("P1 P2" into both) and as the
 * agenda's JSON lists them ('["P1","P2"]' into json).
 */
void
agenda_periods(time_t t, char both[AGENDA_BOTH_LEN],
    char json[AGENDA_PERIODS_LEN])
{
	struct period cur, prev;
	char a[PERIOD_LEN + 1], b[PERIOD_LEN + 1];

	period_of_time(t, &cur);
	period_previous(&cur, &prev);
	period_format(&prev, a);
	period_format(&cur, b);
	snprintf(both, AGENDA_BOTH_LEN, "%s %s", a, b);
	snprintf(json, AGENDA_PERIODS_LEN, "[\"%s\",\"%s\"]", a, b);
}

/*
 * Is period the current one at t? The agenda is as of now, so only the
 * current period's workbook carries it (ledger_xlsx's 例会议题).
 */
int
agenda_current(const char *period, time_t t)
{
	struct period cur;
	char now[PERIOD_LEN + 1];

	period_of_time(t, &cur);
	period_format(&cur, now);
	return strcmp(period, now) == 0;
}

/*
 * The kinds of item on the agenda and their Chinese names, as the page
 * /agenda and the workbook print them; the kind itself when unknown.
 */
static const struct {
	const char *kind;
	const char *zh;
} agenda_kinds[] = {
	{ "difficult", "疑难问题" },
	{ "overdue", "超期未办" },
	{ "extension", "延期申请待审批" },
	{ "returned", "退单待重新交办" },
	{ "recurrence", "复发" },
	{ "trend", "趋势预警（未诉先办）" },
	{ NULL, NULL }
};

const char *
agenda_kind_zh(const char *kind)
{
	size_t i;

	for (i = 0; agenda_kinds[i].kind != NULL; i++)
		if (strcmp(kind, agenda_kinds[i].kind) == 0)
			return agenda_kinds[i].zh;
	return kind;
}
