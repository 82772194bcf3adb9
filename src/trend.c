/*
 * trend.c -- trend alerts (未诉先办, SPEC §12): the rule, stated once.
 *
 * Per topic, the number of distinct enterprises raising it in a period is
 * compared with the mean of the previous trend_periods periods. A period
 * in which the zone counted nothing at all (workflow.lua keeps no count
 * for it) is no history: a zone in its third period takes the mean of the
 * two before, and a zone in its first the mean 0. The topic alerts when
 *
 *   count >= trend_min  and  count >= trend_factor * mean
 *
 * (exactly at the factor alerts; with the mean 0 only trend_min counts).
 * workflow.lua only counts (on every report, and in the daily pass); the
 * daemon decides here and hands the alerts to workflow.lua's
 * "trend_alert", which records each topic and period once.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"

/* The mean of n counts; 0 for no history. */
double
trend_mean(const long *history, int n)
{
	double sum = 0;
	int i;

	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++)
		sum += history[i];
	return sum / n;
}

/* Does count, against n periods of history, make an alert? */
int
trend_fires(long count, const long *history, int n, int min, double factor)
{
	double sum = 0;
	int i;

	if (count < min)
		return 0;
	for (i = 0; i < n; i++)
		sum += history[i];
	/* count >= factor * sum / n, without dividing */
	return n <= 0 || (double)count * n >= factor * sum;
}

/*
 * The previous c->trend_periods periods before p, newest first, as the
 * JSON list workflow.lua reads their counts from.
 */
cJSON *
trend_periods_json(const struct config *c, const struct period *p)
{
	cJSON *list = cJSON_CreateArray();
	struct period cur = *p, prev;
	char name[PERIOD_LEN + 1];
	int i;

	for (i = 0; i < c->trend_periods; i++) {
		period_previous(&cur, &prev);
		period_format(&prev, name);
		cJSON_AddItemToArray(list, cJSON_CreateString(name));
		cur = prev;
	}
	return list;
}

/* One of workflow.lua's rows as an alert for trend_alert, or NULL. */
static cJSON *
trend_alert_of(const cJSON *row, const struct config *c,
    const struct roster *ro)
{
	const cJSON *h, *v;
	const char *period, *topic;
	const struct topic *t;
	long count, history[TREND_PERIODS_MAX];
	int n = 0;
	cJSON *a, *depts;
	struct period p;
	size_t i;

	period = cJSON_GetStringValue(cJSON_GetObjectItem(row, "period"));
	topic = cJSON_GetStringValue(cJSON_GetObjectItem(row, "topic"));
	v = cJSON_GetObjectItem(row, "count");
	h = cJSON_GetObjectItem(row, "history");
	/* Lua's cjson writes an empty list as {}: no history. */
	if (!cJSON_IsArray(h))
		h = NULL;
	if (period == NULL || topic == NULL || !cJSON_IsNumber(v) ||
	    period_parse(period, &p) == -1 ||
	    cJSON_IsTrue(cJSON_GetObjectItem(row, "alerted")))
		return NULL;
	count = (long)v->valuedouble;
	cJSON_ArrayForEach(v, h) {
		if (n == TREND_PERIODS_MAX || n == c->trend_periods)
			break;
		if (cJSON_IsNumber(v))
			history[n++] = (long)v->valuedouble;
	}
	if (!trend_fires(count, history, n, c->trend_min, c->trend_factor))
		return NULL;
	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "period", period);
	cJSON_AddNumberToObject(a, "period_key", period_key(&p));
	cJSON_AddStringToObject(a, "topic", topic);
	t = roster_topic(ro, topic);
	cJSON_AddStringToObject(a, "topic_name", t != NULL ? t->name : topic);
	cJSON_AddNumberToObject(a, "enterprises", count);
	cJSON_AddNumberToObject(a, "mean", trend_mean(history, n));
	cJSON_AddNumberToObject(a, "history_periods", n);
	cJSON_AddNumberToObject(a, "factor", c->trend_factor);
	depts = cJSON_AddArrayToObject(a, "departments");
	for (i = 0; t != NULL && i < t->ndepartments; i++)
		cJSON_AddItemToArray(depts,
		    cJSON_CreateString(t->departments[i]->id));
	return a;
}

/*
 * workflow.lua's count rows (rows_json: [{"period","topic","count",
 * "history":[...],"alerted"}]) judged by the rule: the list of alerts to
 * record, or NULL when none fires (or rows_json is not such a list).
 */
cJSON *
trend_alerts(const char *rows_json, const struct config *c,
    const struct roster *ro)
{
	cJSON *rows = cJSON_Parse(rows_json), *row, *list = NULL, *a;

	if (!cJSON_IsArray(rows)) {
		cJSON_Delete(rows);
		return NULL;
	}
	cJSON_ArrayForEach(row, rows) {
		if ((a = trend_alert_of(row, c, ro)) == NULL)
			continue;
		if (list == NULL)
			list = cJSON_CreateArray();
		cJSON_AddItemToArray(list, a);
	}
	cJSON_Delete(rows);
	return list;
}

/*
 * A recorded alert (its hash's fields, flat) as /api/v1/alerts and the
 * leaders' webhook show it.
 */
cJSON *
trend_alert_json(const redisReply *flat)
{
	static const char *const text[] = { "id", "period", "topic",
	    "topic_name", NULL };
	static const char *const number[] = { "enterprises", "mean",
	    "history_periods", "factor", NULL };
	cJSON *obj = cJSON_CreateObject(), *depts;
	const char *v;
	char when[32];
	size_t i;

	for (i = 0; text[i] != NULL; i++) {
		v = util_reply_field(flat, text[i]);
		cJSON_AddStringToObject(obj, text[i], v != NULL ? v : "");
	}
	for (i = 0; number[i] != NULL; i++) {
		v = util_reply_field(flat, number[i]);
		cJSON_AddNumberToObject(obj, number[i],
		    v != NULL ? strtod(v, NULL) : 0);
	}
	v = util_reply_field(flat, "departments");
	depts = v != NULL ? cJSON_Parse(v) : NULL;
	cJSON_AddItemToObject(obj, "departments", cJSON_IsArray(depts) ?
	    depts : (cJSON_Delete(depts), cJSON_CreateArray()));
	v = util_reply_field(flat, "at");
	util_time_iso8601(v != NULL ? strtoll(v, NULL, 10) : 0, when);
	cJSON_AddStringToObject(obj, "at", when);
	return obj;
}

/*
 * The table of alerts (trend_alerts' or trend_alert_json's objects) in a
 * mail: the leaders' mail at once, and the leaders' digest of the week.
 */
void
trend_doc_table(struct digest_doc *d, const cJSON *alerts)
{
	static const char *const head[] = { "议题", "期", "本期企业数",
	    "此前平均" };
	static const int numeric[] = { 0, 0, 1, 1 };
	const char *cells[4];
	char count[32], mean[32];
	const cJSON *a;

	digest_doc_table(d, head, 4, numeric);
	cJSON_ArrayForEach(a, alerts) {
		snprintf(count, sizeof count, "%d", (int)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(a, "enterprises")));
		snprintf(mean, sizeof mean, "%.1f", cJSON_GetNumberValue(
		    cJSON_GetObjectItem(a, "mean")));
		cells[0] = cJSON_GetStringValue(cJSON_GetObjectItem(a,
		    "topic_name"));
		cells[1] = cJSON_GetStringValue(cJSON_GetObjectItem(a,
		    "period"));
		cells[2] = count;
		cells[3] = mean;
		if (cells[0] == NULL || cells[1] == NULL)
			continue;
		digest_doc_row(d, cells);
	}
	digest_doc_table_end(d);
}

/*
 * The leaders' mail of newly recorded alerts (trend_alerts' objects): a
 * subject, and the text and HTML parts (digest_doc.c, so it fits a phone).
 * The caller frees all three.
 */
void
trend_mail(const cJSON *alerts, const char *zone_name,
    const char *public_url, char **subject, char **text, char **html)
{
	const char *first = NULL;
	char *footer, *url;
	struct digest_doc d;
	int n = cJSON_GetArraySize(alerts);

	first = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    alerts, 0), "topic_name"));
	if (n > 1)
		xasprintf(subject, "【趋势预警】%s：%s 等 %d 个议题反映企业明显增多",
		    zone_name, first != NULL ? first : "", n);
	else
		xasprintf(subject, "【趋势预警】%s：%s 反映企业明显增多",
		    zone_name, first != NULL ? first : "");
	memset(&d, 0, sizeof d);
	digest_doc_begin(&d, *subject);
	digest_doc_para(&d, "以下议题本期反映的企业数达到此前各期平均的预警倍数"
	    "（未诉先办），请在工作例会上研究。");
	trend_doc_table(&d, alerts);
	xasprintf(&url, "%s/agenda", public_url);
	digest_doc_link(&d, "工作例会议题", url);
	free(url);
	xasprintf(&footer, "%s 指导员问题报送（系统自动发送，请勿直接回复）",
	    zone_name);
	digest_doc_end(&d, footer, text, html);
	free(footer);
}
