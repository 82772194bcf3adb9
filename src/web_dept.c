/*
 * web_dept.c -- /dept, a department's page: its queue, oldest first, with
 * each task's deadline (red once passed), and the tasks it is working on.
 * Claim, respond and resolve are plain forms that go through the API's
 * task steps (POST /api/v1/tasks/{id}/claim|respond|resolve), so the state
 * machine and its checks are the API's.
 *
 * Reading takes three steps with the API's own scripts: the department's
 * recent issues (list.lua: the tasks in progress), its queue (read.lua),
 * then the issues of the queued tasks (read.lua), after which the page is
 * drawn.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define DEPT_QUEUE "50"             /* queued tasks shown, oldest first */
#define DEPT_RECENT "100"           /* recent issues searched for work */

struct dept_page {
	int status;                 /* 200, or the status of a refused form */
	char task[24];              /* the task a refused form was for */
	char step[16];              /* and its step */
	char field[64];
	char message[512];
	struct evbuffer *work;      /* the tasks in progress, drawn */
	long long total;            /* tasks queued in all */
	cJSON *queue;               /* [{id, created, deadline, overdue,
	                               issues}] oldest first */
};

static void
web_dept_page_free(void *arg)
{
	struct dept_page *p = arg;

	if (p->work != NULL)
		evbuffer_free(p->work);
	cJSON_Delete(p->queue);
	free(p);
}

/* --- drawing the page ---------------------------------------------------- */

static struct dept_page *
web_dept_page_new(struct request *r)
{
	struct dept_page *p = xcalloc(1, sizeof *p);

	p->status = 200;
	web_state(r)->page = p;
	web_state(r)->page_free = web_dept_page_free;
	return p;
}

/* "期限 …", red with 已超期 once passed or escalated. */
static void
web_dept_deadline(struct evbuffer *buf, const char *deadline, const char *overdue)
{
	int late = (overdue != NULL && *overdue != '\0') ||
	    (deadline != NULL && *deadline != '\0' &&
	    strtoll(deadline, NULL, 10) < util_now_ms());

	evbuffer_add_printf(buf, "<p class=\"%s\">期限 ", late ? "overdue" :
	    "muted");
	web_time(buf, deadline);
	evbuffer_add_printf(buf, "%s</p>", late ? "（已超期）" : "");
}

/* A text control of a step form, labelled, with its error if any. */
static void
web_dept_step_form(struct request *r, struct evbuffer *buf,
    const struct dept_page *p, const char *task, const char *step,
    const char *field, const char *label, const char *button)
{
	int wrong = strcmp(p->task, task) == 0 && strcmp(p->step, step) == 0;
	const char *typed = wrong ? web_field(r, field) : NULL;

	evbuffer_add_printf(buf, "<form method=\"post\" action=\"/dept/%s\" "
	    "novalidate>", step);
	web_hidden_csrf(r, buf);
	evbuffer_add_printf(buf, "<input type=\"hidden\" name=\"task\" "
	    "value=\"%s\"><label for=\"%s-%s\">%s</label>", task, field, task,
	    label);
	if (strcmp(field, "claimant") == 0) {
		evbuffer_add_printf(buf, "<input type=\"text\" id=\"%s-%s\" "
		    "name=\"%s\" autocomplete=\"name\" value=\"", field, task,
		    field);
		web_escape(buf, typed);
		evbuffer_add_printf(buf, "\"%s>", wrong && *p->field != '\0' ?
		    " class=\"invalid\" aria-invalid=\"true\"" : "");
	} else {
		evbuffer_add_printf(buf, "<textarea id=\"%s-%s\" name=\"%s\" "
		    "rows=\"3\"%s>", field, task, field, wrong &&
		    *p->field != '\0' ? " class=\"invalid\" aria-invalid=\"true\"" :
		    "");
		web_escape(buf, typed);
		evbuffer_add_printf(buf, "</textarea>");
	}
	if (wrong) {
		evbuffer_add_printf(buf, "<p class=\"error\" role=\"alert\">");
		web_escape(buf, p->message);
		evbuffer_add_printf(buf, "</p>");
	}
	evbuffer_add_printf(buf, "<button type=\"submit\">%s</button></form>",
	    button);
}

/*
 * 退单: a task that is not this department's goes back to the admins with
 * a reason. Folded away (details works without JavaScript); open when its
 * last try was refused.
 */
static void
web_dept_return_form(struct request *r, struct evbuffer *buf,
    const struct dept_page *p, const char *task)
{
	int open = strcmp(p->task, task) == 0 && strcmp(p->step, "return") == 0;

	evbuffer_add_printf(buf, "<details class=\"return\"%s><summary>不属于本"
	    "部门？退单</summary>", open ? " open" : "");
	web_dept_step_form(r, buf, p, task, "return", "reason", "退单理由（管理员"
	    "据此重新分派）", "退单");
	evbuffer_add_printf(buf, "</details>");
}

/*
 * 申请延期 (issue 16): ask an admin for more working days for the step now
 * running, before it is due. Folded away like 退单; open when refused.
 */
static void
web_dept_extend_form(struct request *r, struct evbuffer *buf,
    const struct dept_page *p, const char *task)
{
	int open = strcmp(p->task, task) == 0 && strcmp(p->step, "extend") == 0;
	const char *days = open ? web_field(r, "days") : NULL;
	const char *reason = open ? web_field(r, "reason") : NULL;

	evbuffer_add_printf(buf, "<details class=\"extend\"%s><summary>申请延期"
	    "</summary><form method=\"post\" action=\"/dept/extend\" "
	    "novalidate>", open ? " open" : "");
	web_hidden_csrf(r, buf);
	evbuffer_add_printf(buf, "<input type=\"hidden\" name=\"task\" "
	    "value=\"%s\"><label for=\"days-%s\">延期天数（工作日，1–%d）"
	    "</label><input type=\"number\" id=\"days-%s\" name=\"days\" "
	    "min=\"1\" max=\"%d\" inputmode=\"numeric\" value=\"", task, task,
	    GOVERNANCE_EXTENSION_DAYS_MAX, task, GOVERNANCE_EXTENSION_DAYS_MAX);
	web_escape(buf, days);
	evbuffer_add_printf(buf, "\"><label for=\"extend-reason-%s\">延期理由"
	    "（管理员据此审批）</label><textarea id=\"extend-reason-%s\" "
	    "name=\"reason\" rows=\"2\">", task, task);
	web_escape(buf, reason);
	evbuffer_add_printf(buf, "</textarea>");
	if (open) {
		evbuffer_add_printf(buf, "<p class=\"error\" role=\"alert\">");
		web_escape(buf, p->message);
		evbuffer_add_printf(buf, "</p>");
	}
	evbuffer_add_printf(buf, "<button type=\"submit\">申请延期</button>"
	    "</form></details>");
}

/* An issue's title, enterprise-free summary and detail. */
static void
web_dept_issue(struct request *r, struct evbuffer *buf, const redisReply *issue)
{
	const char *v = util_reply_field(issue, "topic");
	const struct topic *t = roster_topic(r->roster, v != NULL ? v : "");

	evbuffer_add_printf(buf, "<h3>");
	web_escape(buf, util_reply_field(issue, "id"));
	evbuffer_add_printf(buf, " · ");
	web_escape(buf, util_reply_field(issue, "title"));
	evbuffer_add_printf(buf, "</h3><p class=\"muted\">%s · ",
	    web_category_name(util_reply_field(issue, "category")));
	web_escape(buf, t != NULL ? t->name : v);
	evbuffer_add_printf(buf, "</p><p class=\"text\">");
	web_escape(buf, util_reply_field(issue, "detail"));
	evbuffer_add_printf(buf, "</p>");
}

/* The whole page, once the queued tasks' issues are in. */
static void
web_dept_render(struct request *r, redisReply *reply)
{
	struct dept_page *p = web_state(r)->page;
	const char *ok = request_query(r, "ok");
	const char *task = request_query(r, "task");
	struct evbuffer *buf;
	const redisReply *issue;
	const cJSON *t;
	size_t k = 0;
	int n = 0;

	buf = web_begin(r, "部门办理");
	web_signed_in_bar(r, buf, "部门");
	if (ok != NULL && task != NULL && api_id_valid(task, 'T'))
		evbuffer_add_printf(buf, "<section class=\"notice\" "
		    "role=\"status\"><p>任务 %s %s</p></section>\n", task,
		    strcmp(ok, "claim") == 0 ? "已认领。" :
		    strcmp(ok, "respond") == 0 ? "已回应。" :
		    strcmp(ok, "return") == 0 ? "已退单，等待管理员重新分派。" :
		    strcmp(ok, "extend") == 0 ? "已申请延期，等待管理员审批。" :
		    "已办结。");
	evbuffer_add_printf(buf, "<section><h2>待认领（%lld 件，最早的在前）"
	    "</h2><ul class=\"plain\" id=\"queue\">", p->total);
	cJSON_ArrayForEach(t, p->queue) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(t,
		    "id"));
		int m = cJSON_GetArraySize(cJSON_GetObjectItem(t, "issues"));

		evbuffer_add_printf(buf, "<li id=\"task-%s\"><p><strong>任务 %s"
		    "</strong> · 收到 ", id, id);
		web_time(buf, cJSON_GetStringValue(cJSON_GetObjectItem(t,
		    "created")));
		evbuffer_add_printf(buf, "</p>");
		web_dept_deadline(buf, cJSON_GetStringValue(cJSON_GetObjectItem(t,
		    "deadline")), cJSON_GetStringValue(cJSON_GetObjectItem(t,
		    "overdue")));
		for (; m > 0 && reply->type == REDIS_REPLY_ARRAY &&
		    k < reply->elements; m--, k++) {
			issue = reply->element[k];
			web_dept_issue(r, buf, issue);
		}
		web_dept_step_form(r, buf, p, id, "claim", "claimant", "认领人",
		    "认领");
		web_dept_return_form(r, buf, p, id);
		web_dept_extend_form(r, buf, p, id);
		evbuffer_add_printf(buf, "</li>");
		n++;
	}
	if (n == 0)
		evbuffer_add_printf(buf, "<li class=\"muted\">没有待认领的任务。"
		    "</li>");
	evbuffer_add_printf(buf, "</ul></section>\n<section><h2>办理中</h2>"
	    "<ul class=\"plain\" id=\"work\">");
	if (evbuffer_get_length(p->work) == 0)
		evbuffer_add_printf(buf, "<li class=\"muted\">没有办理中的任务。"
		    "</li>");
	evbuffer_add_buffer(buf, p->work);
	evbuffer_add_printf(buf, "</ul></section>\n<nav class=\"links\"><a "
	    "href=\"/ledger\">公示台账</a></nav>\n");
	web_end(r, buf, p->status, NULL);
}

/* The queue is in: keep it, then read the issues of its tasks. */
static void
web_dept_queued(struct request *r, redisReply *reply)
{
	static const char *const keep[] = { "id", "created", "deadline",
	    "overdue", NULL };
	struct dept_page *p = web_state(r)->page;
	struct evbuffer *ids = evbuffer_new();
	const redisReply *tasks, *task;
	const char *argv[2], *v;
	cJSON *t, *list, *x;
	size_t i, j;
	char *text;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
		evbuffer_free(ids);
		web_error(r, 500, "读取待认领任务失败。");
		return;
	}
	p->total = reply->element[0]->integer;
	p->queue = cJSON_CreateArray();
	tasks = reply->element[1];
	for (i = 0; i < tasks->elements; i++) {
		task = tasks->element[i];
		v = util_reply_field(task, "id");
		if (v == NULL || !api_id_valid(v, 'T'))
			continue;
		t = cJSON_CreateObject();
		for (j = 0; keep[j] != NULL; j++) {
			v = util_reply_field(task, keep[j]);
			cJSON_AddStringToObject(t, keep[j], v != NULL ? v : "");
		}
		list = cJSON_Parse((v = util_reply_field(task, "issues")) != NULL ?
		    v : "[]");
		if (!cJSON_IsArray(list)) {
			cJSON_Delete(list);
			list = cJSON_CreateArray();
		}
		cJSON_ArrayForEach(x, list)
			if (cJSON_IsString(x))
				evbuffer_add_printf(ids, "%s ", x->valuestring);
		cJSON_AddItemToObject(t, "issues", list);
		cJSON_AddItemToArray(p->queue, t);
	}
	evbuffer_add(ids, "", 1);
	text = (char *)evbuffer_pullup(ids, -1);
	argv[0] = "issues";
	argv[1] = text;
	request_script(r, SCRIPT_READ, web_dept_render, 2, argv, NULL);
	evbuffer_free(ids);
}

/* One task this department is working on (claimed or responded). */
static void
web_dept_work_task(struct request *r, struct evbuffer *buf,
    const struct dept_page *p, const redisReply *issue,
    const redisReply *task)
{
	const char *id = util_reply_field(task, "id");
	const char *state = util_reply_field(task, "state");
	const char *v;

	evbuffer_add_printf(buf, "<li id=\"task-%s\"><p><strong>任务 %s"
	    "</strong> · <span class=\"badge %s\">%s</span> · 认领人 ", id, id,
	    state, web_state_name(state));
	web_escape(buf, util_reply_field(task, "claimant"));
	evbuffer_add_printf(buf, "</p>");
	web_dept_deadline(buf, util_reply_field(task, "deadline"),
	    util_reply_field(task, "overdue"));
	web_dept_issue(r, buf, issue);
	if ((v = util_reply_field(task, "response")) != NULL && *v != '\0') {
		evbuffer_add_printf(buf, "<p class=\"text\">回应：");
		web_escape(buf, v);
		evbuffer_add_printf(buf, "</p>");
	}
	if (strcmp(state, "claimed") == 0) {
		web_dept_step_form(r, buf, p, id, "respond", "response", "回应内容",
		    "回应");
		web_dept_return_form(r, buf, p, id);
	} else
		web_dept_step_form(r, buf, p, id, "resolve", "resolution",
		    "办结说明", "办结");
	web_dept_extend_form(r, buf, p, id);
	evbuffer_add_printf(buf, "</li>");
}

/* The department's recent issues are in: draw the tasks in progress. */
static void
web_dept_recent(struct request *r, redisReply *reply)
{
	struct dept_page *p = web_state(r)->page;
	const redisReply *row, *task;
	const char *argv[3], *id, *state, *dept;
	char seen[4096] = " ", mark[32];
	size_t i, j;

	p->work = evbuffer_new();
	for (i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements;
	    i++) {
		row = reply->element[i];
		if (row->type != REDIS_REPLY_ARRAY || row->elements != 2)
			continue;
		for (j = 0; j < row->element[1]->elements; j++) {
			task = row->element[1]->element[j];
			id = util_reply_field(task, "id");
			state = util_reply_field(task, "state");
			dept = util_reply_field(task, "department");
			if (id == NULL || state == NULL || dept == NULL ||
			    !api_id_valid(id, 'T') ||
			    strcmp(dept, r->actor_id) != 0 ||
			    (strcmp(state, "claimed") != 0 &&
			    strcmp(state, "responded") != 0))
				continue;
			/* A common group's issues share one task: once. */
			snprintf(mark, sizeof mark, " %s ", id);
			if (strstr(seen, mark) != NULL ||
			    strlen(seen) + strlen(mark) >= sizeof seen)
				continue;
			strcat(seen, mark + 1);
			web_dept_work_task(r, p->work, p, row->element[0], task);
		}
	}
	argv[0] = "queue";
	argv[1] = r->actor_id;
	argv[2] = DEPT_QUEUE;
	request_script(r, SCRIPT_READ, web_dept_queued, 3, argv, NULL);
}

/* --- GET /dept ----------------------------------------------------------- */

static void
web_dept_show(struct request *r)
{
	const char *argv[4];
	char index[128];

	snprintf(index, sizeof index, "issues:dept:%s", r->actor_id);
	argv[0] = "issues";
	argv[1] = DEPT_RECENT;
	argv[2] = "0";
	argv[3] = index;
	request_script(r, SCRIPT_LIST, web_dept_recent, 4, argv, NULL);
}

/* GET /dept */
void
web_dept(struct request *r)
{
	web_dept_page_new(r);
	web_dept_show(r);
}

/* --- POST /dept/claim, respond, resolve, return -------------------------- */

/* The words of a refused 申请延期; 0 to leave them to the common rules. */
static int
web_dept_extend_message(struct dept_page *p, int status, const char *message)
{
	if (strcmp(p->field, "days") == 0)
		snprintf(p->message, sizeof p->message, "请填写 1 到 %d 之间的"
		    "工作日天数。", GOVERNANCE_EXTENSION_DAYS_MAX);
	else if (status == 409)
		snprintf(p->message, sizeof p->message, "已有延期申请在等待审批，"
		    "或任务已不在办理中。");
	else if (status == 422 && *p->field == '\0')
		snprintf(p->message, sizeof p->message, "不能申请延期（期限已过或"
		    "延期次数已满）：%s", message);
	else
		return 0;
	return 1;
}

static void
web_dept_stepped(struct request *r, int status, const char *body)
{
	struct dept_page *p = web_state(r)->page;
	const char *task = web_field(r, "task");
	const char *message;
	char location[96];

	if (status == 200) {
		snprintf(location, sizeof location,
		    "/dept?ok=%s&task=%s#task-%s", r->route->arg, task, task);
		web_redirect(r, location);
		return;
	}
	if (status >= 500 || status == 429) {
		web_error(r, status, "暂时无法保存，请稍后再试。");
		return;
	}
	p->status = status;
	snprintf(p->task, sizeof p->task, "%s", task);
	snprintf(p->step, sizeof p->step, "%s", r->route->arg);
	message = web_api_error(body, p->field, sizeof p->field);
	if (strcmp(p->step, "extend") == 0 &&
	    web_dept_extend_message(p, status, message)) {
		web_dept_show(r);
		return;
	}
	if (*p->field != '\0')
		web_field_message(r, p->field, message, status, p->message,
		    sizeof p->message);
	else if (status == 409)
		snprintf(p->message, sizeof p->message, "任务状态已经变化（可能"
		    "已被他人认领），请查看最新状态。");
	else if (status == 403 || status == 404)
		snprintf(p->message, sizeof p->message, "%s", status == 403 ?
		    "这个任务不属于本部门。" : "没有这个任务。");
	else
		snprintf(p->message, sizeof p->message, "操作未成功：%s",
		    message);
	web_dept_show(r);
}

/* POST /dept/claim|respond|resolve|return (task=T…), through the API. */
void
web_dept_step(struct request *r)
{
	const struct task_step *step = task_step_find(r->route->arg);
	const char *task = web_field(r, "task");
	const char *text = web_field(r, step->body);
	cJSON *root;
	char path[96], *json;

	web_dept_page_new(r);
	if (task == NULL || !api_id_valid(task, 'T')) {
		web_error(r, 404, "没有这个任务。");
		return;
	}
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, step->body, text != NULL ? text : "");
	json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	snprintf(path, sizeof path, "/api/v1/tasks/%s/%s", task, step->name);
	if (routes_call_api(r, path, json, NULL, web_dept_stepped) == -1)
		web_error(r, 403, "无权操作。");
	free(json);
}

/* POST /dept/extend (task=T…, days, reason): 申请延期, through the API. */
void
web_dept_extend(struct request *r)
{
	const char *task = web_field(r, "task");
	const char *days = web_field(r, "days");
	const char *reason = web_field(r, "reason");
	cJSON *root;
	char path[96], *json, *end;
	long n;

	web_dept_page_new(r);
	if (task == NULL || !api_id_valid(task, 'T')) {
		web_error(r, 404, "没有这个任务。");
		return;
	}
	root = cJSON_CreateObject();
	n = days != NULL ? strtol(days, &end, 10) : 0;
	if (days != NULL && *days != '\0' && *end == '\0')
		cJSON_AddNumberToObject(root, "days", n);
	else    /* the API refuses it, naming the field */
		cJSON_AddStringToObject(root, "days", days != NULL ? days : "");
	cJSON_AddStringToObject(root, "reason", reason != NULL ? reason : "");
	json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	snprintf(path, sizeof path, "/api/v1/tasks/%s/extend", task);
	if (routes_call_api(r, path, json, NULL, web_dept_stepped) == -1)
		web_error(r, 403, "无权操作。");
	free(json);
}
