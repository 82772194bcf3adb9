/*
 * web_agenda.c -- /agenda, the working meeting's agenda (工作例会, SPEC §12)
 * as a page for the zone office: what the meeting must decide, oldest
 * first, each with its kind, issue, department, period and age. The list
 * is api_agenda.c's (the same read and the same JSON as GET
 * /api/v1/agenda); this file only prints it. It prints on A4 with the
 * ledger's print stylesheet (web/style.css): a title line, the table, no
 * navigation.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>

#include "liaison.h"
#include "daemon.h"

struct agenda_page {
	char periods[AGENDA_PERIODS_LEN];
};

/* A string field of an agenda item, "" when absent. */
static const char *
web_agenda_str(const cJSON *item, const char *name)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(item, name));

	return v != NULL ? v : "";
}

/* One row: 事项, 问题, 标题, 部门, 期次, 已过. */
static void
web_agenda_row(struct request *r, struct evbuffer *buf, const cJSON *item)
{
	const cJSON *v;
	char *depts;

	evbuffer_add_printf(buf, "<tr data-kind=\"");
	web_escape(buf, web_agenda_str(item, "kind"));
	evbuffer_add_printf(buf, "\"><td>");
	web_escape(buf, agenda_kind_zh(web_agenda_str(item,
	    "kind")));
	if ((v = cJSON_GetObjectItem(item, "days")) != NULL &&
	    cJSON_IsNumber(v))
		evbuffer_add_printf(buf, "（%d 个工作日）", v->valueint);
	evbuffer_add_printf(buf, "</td><td>");
	web_escape(buf, web_agenda_str(item, "issue"));
	evbuffer_add_printf(buf, "</td><td>");
	web_escape(buf, web_agenda_str(item, "title"));
	if (*web_agenda_str(item, "recurrence_of") != '\0') {
		evbuffer_add_printf(buf, "（复发自 ");
		web_escape(buf, web_agenda_str(item, "recurrence_of"));
		evbuffer_add_printf(buf, "）");
	}
	if (*web_agenda_str(item, "reason") != '\0') {
		evbuffer_add_printf(buf, "<br><span class=\"muted\">理由：");
		web_escape(buf, web_agenda_str(item, "reason"));
		evbuffer_add_printf(buf, "</span>");
	}
	evbuffer_add_printf(buf, "</td><td>");
	depts = cJSON_PrintUnformatted(cJSON_GetObjectItem(item,
	    "departments"));
	web_department_names(r, buf, depts);
	free(depts);
	evbuffer_add_printf(buf, "</td><td>");
	web_escape(buf, web_agenda_str(item, "period"));
	evbuffer_add_printf(buf, "</td><td class=\"num\">%d 天</td></tr>",
	    (int)cJSON_GetNumberValue(cJSON_GetObjectItem(item, "age_days")));
}

static void
web_agenda_read(struct request *r, redisReply *reply)
{
	struct agenda_page *p = web_state(r)->page;
	struct evbuffer *buf;
	const cJSON *item;
	char made[LEDGER_TIME_TEXT];
	cJSON *root;
	int64_t now = util_now_ms();

	if ((root = agenda_json(reply, p->periods, now)) == NULL) {
		web_error(r, 500, "读取失败，请稍后再试。");
		return;
	}
	buf = web_begin(r, "工作例会议题");
	ledger_rows_time_text(now, made);
	evbuffer_add_printf(buf, "<p class=\"print-only\" id=\"print-title\">"
	    "期次：");
	web_escape(buf, cJSON_GetStringValue(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(root, "periods"), 0)));
	evbuffer_add_printf(buf, " 至 ");
	web_escape(buf, cJSON_GetStringValue(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(root, "periods"), 1)));
	evbuffer_add_printf(buf, "　生成时间：%s</p></header>\n<main>\n"
	    "<section><h2>需要例会研究的事项（时间最早的在前）</h2>"
	    "<p class=\"muted\">近两个半月的疑难问题、超期未办、延期申请待审批、"
	    "退单待重新交办和复发问题。</p><div class=\"table\">"
	    "<table id=\"agenda\"><thead><tr><th>事项</th><th>问题</th>"
	    "<th>标题</th><th>部门</th><th>期次</th><th>已过</th></tr>"
	    "</thead><tbody>", made);
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(root, "agenda"))
		web_agenda_row(r, buf, item);
	if (cJSON_GetArraySize(cJSON_GetObjectItem(root, "agenda")) == 0)
		evbuffer_add_printf(buf, "<tr><td colspan=\"6\" class=\"muted\">"
		    "没有需要例会研究的事项。</td></tr>");
	evbuffer_add_printf(buf, "</tbody></table></div></section>\n"
	    "<nav class=\"links\"><a href=\"/admin\">管理</a> "
	    "<a href=\"/ledger\">公示台账</a></nav>\n");
	cJSON_Delete(root);
	web_end(r, buf, 200, NULL);
}

/* GET /agenda */
void
web_agenda(struct request *r)
{
	static const char *const allowed[] = { NULL };
	struct agenda_page *p = web_page_new(r, sizeof *p, free);

	if (request_check_query(r, allowed) == -1)
		return;
	api_agenda_fetch(r, web_agenda_read, p->periods);
}
