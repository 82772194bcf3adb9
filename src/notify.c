/*
 * notify.c -- what an officer is told about their own issues, and the mail
 * that tells it. 事事有回应: every item gets an answer back to the one who
 * raised it, so when a department claims an issue late, responds to it,
 * resolves it or returns it, or when a deadline passes, the officer gets
 * one mail; events that come within [notify] batch_minutes of the first go
 * in the same mail.
 *
 * Officers who have not reported for the half-month are reminded twice:
 * on the working day NOTIFY_REMIND_WORKDAYS working days before its last
 * day, and on its last day (notify_reminder), from NOTIFY_REMIND_HOUR on.
 *
 * This file is the one statement of which events those are and what they
 * are called (notify_events); workflow.lua gets the list and the batch in
 * its payload (notify_json) and queues the events, notify.lua hands out
 * the batches and notify_sched.c (the daemon) sends them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"

#define NOTIFY_REMIND_WORKDAYS 2    /* the first reminder, before the close */
#define NOTIFY_REMIND_HOUR 9        /* reminders go from 09:00, zone time */

/*
 * The events an officer is told of. "claimed_late" is a claim after the
 * claim deadline passed (workflow.lua tells the two apart); an in-time
 * claim is not worth a mail.
 */
static const struct {
	const char *event;
	const char *zh;
} notify_events[] = {
	{ "claimed_late", "部门已认领（超过认领期限）" },
	{ "responded", "部门已回应" },
	{ "resolved", "部门已办结，请确认" },
	{ "returned", "部门退单，等待管理员重新分派" },
	{ "escalated", "办理超期，已督办" },
	{ "remind_early", "本期报送即将截止" },
	{ "remind_last", "今天是本期报送截止日" },
	{ NULL, NULL }
};

/*
 * The reminder due on the zone's date year-month-day at hour, if any:
 * "remind_early" on the working day NOTIFY_REMIND_WORKDAYS working days
 * before the half-month's last day (a 15th on Tuesday: the Friday before),
 * "remind_last" on its last day; NULL on other days and before
 * NOTIFY_REMIND_HOUR.
 */
const char *
notify_reminder(const struct workdays *wd, int year, int month, int day,
    int hour)
{
	int first = day <= 15 ? 1 : 16;
	int last = day <= 15 ? 15 : date_month_length(year, month);
	int d, n = 0;

	if (hour < NOTIFY_REMIND_HOUR)
		return NULL;
	if (day == last)
		return "remind_last";
	for (d = last - 1; d >= first; d--) {
		if (!workdays_is_workday(wd, year, month, d))
			continue;
		if (++n == NOTIFY_REMIND_WORKDAYS)
			return d == day ? "remind_early" : NULL;
	}
	return NULL;
}

/* The Chinese of an event officers are told of; NULL for any other. */
const char *
notify_event_zh(const char *event)
{
	size_t i;

	for (i = 0; event != NULL && notify_events[i].event != NULL; i++)
		if (strcmp(event, notify_events[i].event) == 0)
			return notify_events[i].zh;
	return NULL;
}

/* How long a batch waits for more events, in ms. */
int64_t
notify_batch_ms(const struct config *cfg)
{
	if (cfg->notify_batch_seconds > 0)
		return (int64_t)cfg->notify_batch_seconds * 1000;
	return (int64_t)cfg->notify_batch_minutes * 60000;
}

/*
 * Add "notify": {"batch_ms", "events": [...]} to a workflow.lua payload;
 * nothing when [notify] enabled = no (then no event is queued).
 */
void
notify_json(struct cJSON *root, const struct config *cfg)
{
	cJSON *n, *events;
	size_t i;

	if (!cfg->notify_enabled)
		return;
	n = cJSON_AddObjectToObject(root, "notify");
	cJSON_AddNumberToObject(n, "batch_ms", (double)notify_batch_ms(cfg));
	events = cJSON_AddArrayToObject(n, "events");
	for (i = 0; notify_events[i].event != NULL; i++)
		if (strncmp(notify_events[i].event, "remind_", 7) != 0)
			cJSON_AddItemToArray(events,
			    cJSON_CreateString(notify_events[i].event));
}

/* What the department wrote for the event: response, resolution, reason. */
static const char *
notify_said(const struct notify_item *it)
{
	if (strcmp(it->event, "responded") == 0)
		return it->response;
	if (strcmp(it->event, "resolved") == 0)
		return it->resolution;
	if (strcmp(it->event, "returned") == 0)
		return it->reason;
	return "";
}

/* Whether items[0..i) has the issue of items[i] already. */
static int
notify_seen(const struct notify_input *in, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(in->items[j].issue, in->items[i].issue) == 0)
			return 1;
	return 0;
}

/*
 * The officer's mail for a batch: the subject names the issue (or the
 * first few), the body has one row per event and a link that opens each
 * issue's own page (/form/issues/I). The caller frees *subject, *text and
 * *html.
 */
void
notify_mail(const struct notify_input *in, char **subject, char **text,
    char **html)
{
	static const char *const head[] = { "时间", "问题", "标题", "进展",
	    "部门", "说明" };
	const struct notify_item *it;
	struct digest_input clock;
	struct digest_doc d;
	struct digest_doc_buf ids = { NULL, 0, 0 };
	const char *cells[6], *zh;
	const struct notify_item *remind = NULL, *first = NULL;
	char when[32], *line, *url, *footer;
	size_t i, issues = 0, events = 0;

	for (i = 0; i < in->nitems; i++) {
		if (*in->items[i].issue == '\0') {
			remind = &in->items[i];     /* the latest reminder */
			continue;
		}
		events++;
		if (first == NULL)
			first = &in->items[i];
		if (notify_seen(in, i))
			continue;
		if (issues < 3)
			digest_doc_buf_printf(&ids, "%s%s", issues > 0 ? "、" : "",
			    in->items[i].issue);
		issues++;
	}
	if (events == 0 && remind != NULL)
		xasprintf(subject, "%s（%s）：您尚未报送",
		    notify_event_zh(remind->event), remind->period);
	else if (issues == 1 && events == 1)
		xasprintf(subject, "问题 %s：%s", ids.s,
		    notify_event_zh(first->event));
	else
		xasprintf(subject, "问题 %s%s 有 %zu 条新进展", ids.s,
		    issues > 3 ? " 等" : "", events);
	free(ids.s);

	memset(&clock, 0, sizeof clock);
	clock.offset_s = in->offset_s;
	digest_doc_begin(&d, *subject);
	if (remind != NULL) {
		xasprintf(&line, "%s同志：本期（%s）%s，您还没有报送。请在截止前"
		    "报送联系企业的问题；没有问题也请提交零报告（本期无问题）。",
		    in->officer_name, remind->period,
		    strcmp(remind->event, "remind_last") == 0 ? "今天截止" :
		    "即将截止");
		digest_doc_para(&d, line);
		free(line);
		xasprintf(&url, "%s/form", in->public_url);
		digest_doc_link(&d, "打开报送页面", url);
		free(url);
	}
	if (events == 0) {
		xasprintf(&footer, "%s 指导员问题报送（系统自动发送，请勿直接回复）",
		    in->zone_name);
		digest_doc_end(&d, footer, text, html);
		free(footer);
		return;
	}
	xasprintf(&line, "%s同志：您报送的问题有了新进展。", in->officer_name);
	digest_doc_para(&d, line);
	free(line);
	digest_doc_table(&d, head, 6, NULL);
	for (i = 0; i < in->nitems; i++) {
		it = &in->items[i];
		if (*it->issue == '\0')
			continue;
		zh = notify_event_zh(it->event);
		digest_format_time(&clock, it->at, when, sizeof when);
		cells[0] = when;
		cells[1] = it->issue;
		cells[2] = it->title;
		cells[3] = zh != NULL ? zh : it->event;
		cells[4] = it->department;
		cells[5] = notify_said(it);
		digest_doc_row(&d, cells);
	}
	digest_doc_table_end(&d);
	for (i = 0; i < in->nitems; i++) {
		if (*in->items[i].issue == '\0' || notify_seen(in, i))
			continue;
		xasprintf(&line, "查看问题 %s", in->items[i].issue);
		xasprintf(&url, "%s/form/issues/%s", in->public_url,
		    in->items[i].issue);
		digest_doc_link(&d, line, url);
		free(line);
		free(url);
	}
	digest_doc_para(&d, "办结的问题请在报送页面确认满意程度；不满意可退回重办。");
	xasprintf(&footer, "%s 指导员问题报送（系统自动发送，请勿直接回复）",
	    in->zone_name);
	digest_doc_end(&d, footer, text, html);
	free(footer);
}
