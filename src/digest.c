/*
 * digest.c -- the weekly digests' content, as plain text and HTML: one for
 * each department (its open items with their ages and deadlines, overdue
 * ones marked, what it resolved in the week, the common groups new in the
 * week) and one for the zone's leaders (per department received, claimed on
 * time, responded, resolved and the rates; by category; every difficult
 * issue; officers who have not reported; dead webhook deliveries).
 *
 * Pure functions of a struct digest_input (digest_collect.c fills it from
 * Redis); times are shown in the zone given as an offset, so this runs on
 * the mail thread without touching TZ.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"

#define DIGEST_SUBJECT "【问题清单周报】"

/* Write the subject of who's digest for the week to *out (caller frees). */
void
digest_subject(const struct digest_input *in, const char *who, char **out)
{
	xasprintf(out, DIGEST_SUBJECT "%s %d年第%d周", who, in->week.year,
	    in->week.week);
}

/*
 * The line saying which week, and its first and last minute, the digest
 * covers.
 */
static void
digest_period_line(const struct digest_input *in, struct digest_doc *d)
{
	char from[32], to[32], line[160];

	digest_format_time(in, in->from_ms, from, sizeof from);
	digest_format_time(in, in->to_ms - 60000, to, sizeof to);
	snprintf(line, sizeof line, "统计周期：%04d-W%02d（%s 至 %s）",
	    in->week.year, in->week.week, from, to);
	digest_doc_para(d, line);
}

/* Write the footer line (when built, where the ledger is) to buf. */
static void
digest_footer(const struct digest_input *in, char *buf, size_t len)
{
	char now[32];

	digest_format_time(in, in->now_ms, now, sizeof now);
	snprintf(buf, len, "由 liaisond 于 %s 生成。台账：%s/ledger", now,
	    in->public_url ? in->public_url : "");
}

/* Officers listed by name and unit, or a line saying there are none. */
static void
digest_officers(const struct digest_input *in, struct digest_doc *d,
    const char *title,
    const struct officer *const *v, size_t n)
{
	static const char *const head[] = { "指导员", "单位", "电话" };
	const char *cells[3];
	size_t i;

	digest_doc_heading(d, title);
	if (digest_format_count(d, n, "人") == 0)
		return;
	digest_doc_table(d, head, 3, NULL);
	for (i = 0; i < n && i < DIGEST_ROWS_MAX; i++) {
		cells[0] = v[i]->name;
		cells[1] = v[i]->unit ? v[i]->unit : "";
		cells[2] = v[i]->phone ? v[i]->phone : "";
		digest_doc_row(d, cells);
	}
	digest_doc_table_end(d);
	digest_format_omitted(in, d, n);
}

/* The webhook deliveries given up on, for the leaders. */
static void
digest_dead(const struct digest_input *in, struct digest_doc *d)
{
	static const char *const head[] = { "投递", "部门", "事件", "任务",
	    "创建", "错误" };
	const struct department *dept;
	const char *cells[6];
	char when[32];
	size_t i;

	digest_doc_heading(d, "推送失败（webhook 投递已放弃）");
	if (digest_format_count(d, in->dead_total,
	    "条，管理员可在 /api/v1/deliveries 查看并重试") == 0)
		return;
	digest_doc_table(d, head, 6, NULL);
	for (i = 0; i < in->ndead; i++) {
		dept = roster_department(in->roster, in->dead[i].department);
		digest_format_time(in, in->dead[i].created, when, sizeof when);
		cells[0] = in->dead[i].id;
		cells[1] = dept ? dept->name : in->dead[i].department;
		cells[2] = in->dead[i].event;
		cells[3] = in->dead[i].task;
		cells[4] = when;
		cells[5] = in->dead[i].error;
		digest_doc_row(d, cells);
	}
	digest_doc_table_end(d);
}

/*
 * The leaders see who missed the previous period; the current period's
 * officers not reported yet only in its last days, when a reminder helps
 * (before that, not having reported is no miss).
 */
#define DIGEST_PERIOD_LAST_DAYS 3

/*
 * The leaders' warning that the working-day calendar runs out (the rule
 * is workdays_missing_year's): deadlines past its end count holidays as
 * working days until someone refreshes it.
 */
static void
digest_calendar(const struct digest_input *in, struct digest_doc *d)
{
	char line[512];

	if (in->calendar_missing == 0)
		return;
	digest_doc_heading(d, "请更新节假日日历");
	workdays_refresh_zh(in->calendar_missing, in->calendar_last, line,
	    sizeof line);
	digest_doc_para(d, line);
}

/* The week's trend alerts (未诉先办, SPEC §12); nothing when none. */
static void
digest_trend(const struct digest_input *in, struct digest_doc *d)
{
	if (cJSON_GetArraySize(in->alerts) == 0)
		return;
	digest_doc_heading(d, "趋势预警（未诉先办）");
	digest_doc_para(d, "本周发出的预警：这些议题本期反映的企业数达到此前各期"
	    "平均的预警倍数，已列入工作例会议题。");
	trend_doc_table(d, in->alerts);
}

/*
 * The zone's digest, for the leaders. Fills mail (the caller frees it with
 * digest_mail_free).
 */
void
digest_zone(const struct digest_input *in, struct digest_mail *mail)
{
	struct digest_doc d;
	char title[256], footer[256], line[128];

	memset(mail, 0, sizeof *mail);
	mail->name = xstrdup("zone");
	digest_subject(in, in->roster->zone_name, &mail->subject);
	snprintf(title, sizeof title, "%s 问题清单周报（%d年第%d周）",
	    in->roster->zone_name, in->week.year, in->week.week);
	digest_doc_begin(&d, title);
	digest_period_line(in, &d);
	digest_calendar(in, &d);
	digest_trend(in, &d);
	digest_ledger_zone(in, &d);
	snprintf(line, sizeof line, "上期（%s）未报送的指导员", in->previous);
	digest_officers(in, &d, line, in->missed, in->nmissed);
	/* the current period is still open: name no one before its end */
	if (in->period_end_ms - in->now_ms <= DIGEST_PERIOD_LAST_DAYS *
	    86400000LL) {
		snprintf(line, sizeof line, "本期（%s）即将截止，尚未报送的指导员",
		    in->period);
		digest_officers(in, &d, line, in->unreported, in->nunreported);
	}
	digest_fieldwork_zone(in, &d);   /* visits, talks, outcomes */
	digest_dead(in, &d);
	digest_footer(in, footer, sizeof footer);
	digest_doc_end(&d, footer, &mail->text, &mail->html);
}

/*
 * One department's digest. Returns 0 with mail filled, or 1 (mail empty)
 * when the department has nothing open and did nothing in the week.
 */
int
digest_department(const struct digest_input *in,
    const struct department *dept, struct digest_mail *mail)
{
	struct digest_doc d;
	char title[256], footer[256], *link;

	memset(mail, 0, sizeof *mail);
	if (!digest_ledger_has_work(in, dept))
		return 1;
	xasprintf(&mail->name, "dept:%s", dept->id);
	digest_subject(in, dept->name, &mail->subject);
	snprintf(title, sizeof title, "%s 问题清单周报（%d年第%d周）",
	    dept->name, in->week.year, in->week.week);
	digest_doc_begin(&d, title);
	digest_period_line(in, &d);
	link = issue_json_dept_link(in->public_url != NULL ? in->public_url :
	    "");
	digest_doc_link(&d, "打开部门办理页面", link);
	free(link);
	digest_ledger_department(in, dept, &d);
	digest_footer(in, footer, sizeof footer);
	digest_doc_end(&d, footer, &mail->text, &mail->html);
	return 0;
}

/* Free what a digest_mail holds and empty it. */
void
digest_mail_free(struct digest_mail *m)
{
	free(m->name);
	free(m->subject);
	free(m->text);
	free(m->html);
	memset(m, 0, sizeof *m);
}
