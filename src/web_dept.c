/*
 * web_dept.c -- /dept, a department's page: its queue, oldest first, with
 * each task's deadline (red once passed), and the tasks it is working on.
 * Claim, respond and resolve are plain forms that go through the API's
 * task steps (POST /api/v1/tasks/{id}/claim|respond|resolve), so the state
 * machine and its checks are the API's.
 *
 * Each task shows whom to call (web_contact.c: every member enterprise of
 * a common task, each officer's name, unit and phone) and its history in
 * each person's words; a task that came back (reopened by its officer,
 * re-routed by an admin after another department's 退单) says why first.
 * The 已办结 list shows the department's finished tasks with each
 * officer's rating. A search box and filters (state, overdue) are a GET
 * form, applied here to the tasks the page reads, so they work without
 * script.
 *
 * Reading takes one step (read.lua's dept): the department's queue, the
 * tasks it is working on and those it finished, each list from an index
 * of its own (workflow.lua's track_work), with the issues of every task on
 * the page and their histories, after which the page is drawn.
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
#define DEPT_HISTORY "30"           /* last history entries of an issue */
#define DEPT_QUERY_MAX 96           /* bytes of search text */
#define DEPT_DONE 20                /* finished tasks shown, latest first */

/* The states the filter offers: the lists' (queued; in work; 已办结). */
static const char *const dept_states[] = { "queued", "claimed", "responded",
    "resolved", NULL };

struct dept_page {
	int status;                 /* 200, or the status of a refused form */
	char task[24];              /* the task a refused form was for */
	char step[16];              /* and its step */
	char field[64];
	char message[512];
	char q[DEPT_QUERY_MAX + 1]; /* the filters: search text, */
	char state[16];             /* task state, */
	int overdue;                /* overdue only */
	int filtered;               /* any of them given */
	cJSON *work;                /* [{id, state, claimant, response,
	                               deadline, overdue, issues}] */
	long long total;            /* tasks queued in all */
	cJSON *queue;               /* [{id, state, created, deadline,
	                               overdue, issues}] oldest first */
	cJSON *done;                /* [{id, state, claimant, resolution,
	                               resolved_at, issues}] latest first */
};

static void
web_dept_page_free(void *arg)
{
	struct dept_page *p = arg;

	cJSON_Delete(p->work);
	cJSON_Delete(p->queue);
	cJSON_Delete(p->done);
	free(p);
}

/* --- drawing the page ---------------------------------------------------- */

static struct dept_page *
web_dept_page_new(struct request *r)
{
	struct dept_page *p = web_page_new(r, sizeof *p, web_dept_page_free);

	p->status = 200;
	return p;
}

/* Whether a task's step is overdue: escalated, or its deadline passed. */
static int
web_dept_late(const char *deadline, const char *overdue)
{
	return (overdue != NULL && *overdue != '\0') ||
	    (deadline != NULL && *deadline != '\0' &&
	    strtoll(deadline, NULL, 10) < util_now_ms());
}

/*
 * "认领期限 …" (the step the deadline is for, from the task's state), red
 * with 已超期 once passed or escalated.
 */
static void
web_dept_deadline(struct evbuffer *buf, const char *deadline,
    const char *overdue, const char *state)
{
	int late = web_dept_late(deadline, overdue);
	const char *step = task_stage_zh(task_state_stage(state));

	evbuffer_add_printf(buf, "<p class=\"%s deadline\">%s期限 ", late ?
	    "overdue" : "muted", step != NULL ? step : "");
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
	web_fieldwork_outcomes(buf, util_reply_field(issue, "outcomes"));
}

/*
 * Why a task is here again, from its issue's history: each 退单 with the
 * department's reason, each re-route with the admin's, each 退回重办 with
 * the officer's, oldest first. Returns how many were drawn.
 */
static int
web_dept_why(struct request *r, struct evbuffer *buf, const redisReply *list)
{
	const redisReply *entry;
	const char *event, *actor, *note, *what, *id;
	const struct department *d;
	cJSON *json;
	size_t i;
	int n = 0;

	for (i = 0; list != NULL && list->type == REDIS_REPLY_ARRAY &&
	    i < list->elements; i++) {
		entry = list->element[i];
		if (entry->type != REDIS_REPLY_STRING)
			continue;
		json = cJSON_ParseWithLength(entry->str, entry->len);
		event = cJSON_GetStringValue(cJSON_GetObjectItem(json, "event"));
		actor = cJSON_GetStringValue(cJSON_GetObjectItem(json, "actor"));
		note = cJSON_GetStringValue(cJSON_GetObjectItem(json, "note"));
		what = event == NULL || actor == NULL || note == NULL ? NULL :
		    strcmp(event, "reopened") == 0 ? "指导员退回重办" :
		    strcmp(event, "routed") == 0 &&
		    strncmp(actor, "admin:", 6) == 0 ? "管理员重新分派" :
		    strcmp(event, "returned") == 0 ? "退单" : NULL;
		if (what != NULL) {
			evbuffer_add_printf(buf, "%s<li>", n++ == 0 ?
			    "<div class=\"why\"><p>为何回到这里：</p><ul>" : "");
			if (strcmp(event, "returned") == 0 &&
			    (id = strchr(actor, ':')) != NULL &&
			    (d = roster_department(r->roster, id + 1)) != NULL) {
				web_escape(buf, d->name);
				evbuffer_add_printf(buf, " ");
			}
			evbuffer_add_printf(buf, "%s：<span class=\"text\">",
			    what);
			web_escape(buf, note);
			evbuffer_add_printf(buf, "</span></li>");
		}
		cJSON_Delete(json);
	}
	if (n > 0)
		evbuffer_add_printf(buf, "</ul></div>");
	return n;
}

/* The officer's rating of this department's resolution of the issue. */
static void
web_dept_rating(struct request *r, struct evbuffer *buf,
    const redisReply *issue)
{
	const char *v = util_reply_field(issue, "ratings");
	cJSON *ratings = cJSON_Parse(v != NULL ? v : "{}");
	const char *mine = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	    ratings, r->actor_id));

	evbuffer_add_printf(buf, "<p class=\"rating\">指导员评价：");
	if (mine != NULL)
		web_escape(buf, ledger_satisfaction_zh(mine));
	else
		evbuffer_add_printf(buf, "待评价");
	evbuffer_add_printf(buf, "</p>");
	cJSON_Delete(ratings);
}

/*
 * Whether a task passes the page's filters: its state, overdue only, and
 * the search text in its id or in one of its issues (n of them, from
 * issues on).
 */
static int
web_dept_wanted(struct request *r, const struct dept_page *p,
    const cJSON *t, const redisReply *dossiers, size_t k, int n)
{
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(t, "id"));
	const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(t,
	    "state"));
	const redisReply *d;

	if (*p->state != '\0' && strcmp(p->state, state) != 0)
		return 0;
	if (p->overdue && !web_dept_late(cJSON_GetStringValue(
	    cJSON_GetObjectItem(t, "deadline")), cJSON_GetStringValue(
	    cJSON_GetObjectItem(t, "overdue"))))
		return 0;
	if (*p->q == '\0' || strcasestr(id, p->q) != NULL)
		return 1;
	for (; n > 0 && k < dossiers->elements; n--, k++) {
		d = dossiers->element[k];
		if (d->type == REDIS_REPLY_ARRAY && d->elements == 2 &&
		    web_contact_matches(r, d->element[0], p->q))
			return 1;
	}
	return 0;
}

/*
 * One task: what it is, whom to call (every issue of a common task, each
 * with its enterprise and officer), the due time of its current step, its
 * history and the step forms its state allows.
 */
static void
web_dept_task(struct request *r, struct evbuffer *buf,
    const struct dept_page *p, const cJSON *t, const redisReply *dossiers,
    size_t k, int n)
{
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(t, "id"));
	const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(t,
	    "state"));
	int done = strcmp(state, "resolved") == 0;
	const char *v;
	const redisReply *d;
	int back;

	evbuffer_add_printf(buf, "<li id=\"" ISSUE_TASK_ANCHOR "%s\"><p>"
	    "<strong>任务 %s"
	    "</strong> · ", id, id);
	if (strcmp(state, "queued") == 0) {
		evbuffer_add_printf(buf, "收到 ");
		web_time(buf, cJSON_GetStringValue(cJSON_GetObjectItem(t,
		    "created")));
	} else {
		evbuffer_add_printf(buf, "<span class=\"badge %s\">%s</span> · "
		    "认领人 ", state, web_state_name(state));
		web_escape(buf, cJSON_GetStringValue(cJSON_GetObjectItem(t,
		    "claimant")));
	}
	if (done) {
		evbuffer_add_printf(buf, " · 办结 ");
		web_time(buf, cJSON_GetStringValue(cJSON_GetObjectItem(t,
		    "resolved_at")));
	}
	evbuffer_add_printf(buf, "</p>");
	if (!done)
		web_dept_deadline(buf, cJSON_GetStringValue(cJSON_GetObjectItem(t,
		    "deadline")), cJSON_GetStringValue(cJSON_GetObjectItem(t,
		    "overdue")), state);
	for (; n > 0 && k < dossiers->elements; n--, k++) {
		d = dossiers->element[k];
		if (d->type != REDIS_REPLY_ARRAY || d->elements != 2 ||
		    d->element[0]->elements == 0)
			continue;
		evbuffer_add_printf(buf, "<div class=\"issue\">");
		web_dept_issue(r, buf, d->element[0]);
		back = !done && web_dept_why(r, buf, d->element[1]) > 0;
		if (done)
			web_dept_rating(r, buf, d->element[0]);
		web_contact(r, buf, d->element[0]);
		web_contact_history(r, buf, d->element[1], back);
		evbuffer_add_printf(buf, "</div>");
	}
	if (done) {
		v = cJSON_GetStringValue(cJSON_GetObjectItem(t, "resolution"));
		evbuffer_add_printf(buf, "<p class=\"text resolution\">办结说明：");
		web_escape(buf, v);
		evbuffer_add_printf(buf, "</p></li>");
		return;
	}
	v = cJSON_GetStringValue(cJSON_GetObjectItem(t, "response"));
	if (v != NULL && *v != '\0') {
		evbuffer_add_printf(buf, "<p class=\"text\">回应：");
		web_escape(buf, v);
		evbuffer_add_printf(buf, "</p>");
	}
	if (strcmp(state, "queued") == 0) {
		web_dept_step_form(r, buf, p, id, "claim", "claimant", "认领人",
		    "认领");
		web_dept_return_form(r, buf, p, id);
	} else if (strcmp(state, "claimed") == 0) {
		web_dept_step_form(r, buf, p, id, "respond", "response", "回应内容",
		    "回应");
		web_dept_return_form(r, buf, p, id);
	} else
		web_dept_step_form(r, buf, p, id, "resolve", "resolution",
		    "办结说明", "办结");
	web_dept_extend_form(r, buf, p, id);
	evbuffer_add_printf(buf, "</li>");
}

/*
 * The tasks of one list (the queue or the work) that pass the filters;
 * k walks the dossiers, which come in the lists' order. Returns how many
 * were drawn.
 */
static int
web_dept_list(struct request *r, struct evbuffer *buf,
    const struct dept_page *p, const cJSON *tasks, const redisReply *dossiers,
    size_t *k)
{
	const cJSON *t;
	int n, drawn = 0;

	cJSON_ArrayForEach(t, tasks) {
		n = cJSON_GetArraySize(cJSON_GetObjectItem(t, "issues"));
		if (web_dept_wanted(r, p, t, dossiers, *k, n)) {
			web_dept_task(r, buf, p, t, dossiers, *k, n);
			drawn++;
		}
		*k += n;
	}
	return drawn;
}

/* The search box and filters: a GET form, so they work without script. */
static void
web_dept_filters(struct evbuffer *buf, const struct dept_page *p)
{
	size_t i;

	evbuffer_add_printf(buf, "<section><form method=\"get\" "
	    "action=\"/dept\" class=\"search\" role=\"search\"><label for=\"q\">搜索（企业、"
	    "指导员、标题、编号）</label><input type=\"search\" id=\"q\" "
	    "name=\"q\" maxlength=\"%d\" value=\"", DEPT_QUERY_MAX / 3);
	web_escape(buf, p->q);
	evbuffer_add_printf(buf, "\"><label for=\"state\">状态</label><select "
	    "id=\"state\" name=\"state\"><option value=\"\">全部</option>");
	for (i = 0; dept_states[i] != NULL; i++)
		evbuffer_add_printf(buf, "<option value=\"%s\"%s>%s</option>",
		    dept_states[i], strcmp(p->state, dept_states[i]) == 0 ?
		    " selected" : "", web_state_name(dept_states[i]));
	evbuffer_add_printf(buf, "</select><label class=\"check\" "
	    "for=\"overdue\"><input type=\"checkbox\" id=\"overdue\" "
	    "name=\"overdue\" value=\"1\"%s> 只看已超期</label><button "
	    "type=\"submit\">筛选</button>%s</form></section>\n", p->overdue ?
	    " checked" : "", *p->q != '\0' || *p->state != '\0' || p->overdue ?
	    "<a href=\"/dept\">清除筛选</a>" : "");
}

/* The whole page, once the tasks' issues and histories are in. */
static void
web_dept_render(struct request *r, redisReply *reply)
{
	struct dept_page *p = web_state(r)->page;
	const char *ok = request_query(r, "ok");
	const char *task = request_query(r, "task");
	struct evbuffer *buf;
	size_t k = 0;
	int n;

	if (reply->type != REDIS_REPLY_ARRAY) {
		web_error(r, 500, "读取任务失败。");
		return;
	}
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
	web_dept_filters(buf, p);
	evbuffer_add_printf(buf, "<section><h2>待认领（%lld 件，最早的在前）"
	    "</h2><ul class=\"plain\" id=\"queue\">", p->total);
	n = web_dept_list(r, buf, p, p->queue, reply, &k);
	if (n == 0)
		evbuffer_add_printf(buf, "<li class=\"muted\">%s</li>",
		    p->filtered ? "没有符合筛选条件的待认领任务。" :
		    "没有待认领的任务。");
	evbuffer_add_printf(buf, "</ul></section>\n<section><h2>办理中</h2>"
	    "<ul class=\"plain\" id=\"work\">");
	n = web_dept_list(r, buf, p, p->work, reply, &k);
	if (n == 0)
		evbuffer_add_printf(buf, "<li class=\"muted\">%s</li>",
		    p->filtered ? "没有符合筛选条件的办理中任务。" :
		    "没有办理中的任务。");
	evbuffer_add_printf(buf, "</ul></section>\n<section><h2>已办结（最近的"
	    "在前）</h2><ul class=\"plain\" id=\"done\">");
	n = web_dept_list(r, buf, p, p->done, reply, &k);
	if (n == 0)
		evbuffer_add_printf(buf, "<li class=\"muted\">%s</li>",
		    p->filtered ? "没有符合筛选条件的已办结任务。" :
		    "还没有办结的任务。");
	evbuffer_add_printf(buf, "</ul></section>\n<nav class=\"links\"><a "
	    "href=\"/ledger\">公示台账</a></nav>\n");
	web_end(r, buf, p->status, "form.js");
}

/*
 * A task's fields kept for drawing (keep, NULL-terminated; absent ones as
 * ""), with its issue ids. NULL for a row that is no task.
 */
static cJSON *
web_dept_keep(const redisReply *task, const char *const *keep)
{
	cJSON *t, *list, *stored, *x;
	const char *v;
	size_t j;

	v = util_reply_field(task, "id");
	if (v == NULL || !api_id_valid(v, 'T'))
		return NULL;
	t = cJSON_CreateObject();
	for (j = 0; keep[j] != NULL; j++) {
		v = util_reply_field(task, keep[j]);
		cJSON_AddStringToObject(t, keep[j], v != NULL ? v : "");
	}
	v = util_reply_field(task, "issues");
	stored = cJSON_Parse(v != NULL ? v : "[]");
	list = cJSON_AddArrayToObject(t, "issues");
	cJSON_ArrayForEach(x, stored) {
		if (!cJSON_IsString(x) || !api_id_valid(x->valuestring, 'I'))
			continue;
		cJSON_AddItemToArray(list, cJSON_CreateString(x->valuestring));
	}
	cJSON_Delete(stored);
	return t;
}

/* The tasks of one of the lists, each kept with the fields to draw. */
static cJSON *
web_dept_tasks(const redisReply *rows, const char *const *keep)
{
	cJSON *list = cJSON_CreateArray(), *t;
	size_t i;

	for (i = 0; rows->type == REDIS_REPLY_ARRAY && i < rows->elements; i++)
		if ((t = web_dept_keep(rows->element[i], keep)) != NULL)
			cJSON_AddItemToArray(list, t);
	return list;
}

/*
 * The department's lists are in, with the dossiers of their tasks' issues
 * in the order drawn (read.lua's dept): its queue, oldest first, the tasks
 * it is working on (claimed or responded) and the last it finished, each
 * from an index of its own, however old their issues are.
 */
static void
web_dept_read(struct request *r, redisReply *reply)
{
	static const char *const keep_queue[] = { "id", "state", "created",
	    "deadline", "overdue", NULL };
	static const char *const keep_work[] = { "id", "state", "claimant",
	    "response", "deadline", "overdue", NULL };
	static const char *const keep_done[] = { "id", "state", "claimant",
	    "resolution", "resolved_at", NULL };
	struct dept_page *p = web_state(r)->page;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 5 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER) {
		web_error(r, 500, "读取任务失败。");
		return;
	}
	p->total = reply->element[0]->integer;
	p->queue = web_dept_tasks(reply->element[1], keep_queue);
	p->work = web_dept_tasks(reply->element[2], keep_work);
	p->done = web_dept_tasks(reply->element[3], keep_done);
	web_dept_render(r, reply->element[4]);
}

/* --- GET /dept ----------------------------------------------------------- */

static void
web_dept_show(struct request *r)
{
	const char *argv[5];
	char done[16];

	snprintf(done, sizeof done, "%d", DEPT_DONE);
	argv[0] = "dept";
	argv[1] = r->actor_id;
	argv[2] = DEPT_QUEUE;
	argv[3] = done;
	argv[4] = DEPT_HISTORY;
	request_script(r, SCRIPT_READ, web_dept_read, 5, argv, NULL);
}

/*
 * The filters of GET /dept?q=&state=&overdue=1 into the page; -1 having
 * answered 400 for one that is not valid (nothing is read then).
 */
static int
web_dept_parse_filters(struct request *r, struct dept_page *p)
{
	static const char *const allowed[] = { "q", "state", "overdue", "ok",
	    "task", NULL };
	const char *q = request_query(r, "q");
	const char *state = request_query(r, "state");
	const char *overdue = request_query(r, "overdue");

	if (request_check_query(r, allowed) == -1)
		return -1;
	if (q != NULL && (strlen(q) > DEPT_QUERY_MAX || !utf8_valid(q,
	    strlen(q)))) {
		web_error(r, 400, "搜索内容过长或无效。");
		return -1;
	}
	if (state != NULL && *state != '\0' && !api_one_of(state, dept_states)) {
		web_error(r, 400, "没有这个状态。");
		return -1;
	}
	if (overdue != NULL && *overdue != '\0' && strcmp(overdue, "1") != 0) {
		web_error(r, 400, "超期筛选只能是 1。");
		return -1;
	}
	snprintf(p->q, sizeof p->q, "%s", q != NULL ? q : "");
	snprintf(p->state, sizeof p->state, "%s", state != NULL ? state : "");
	p->overdue = overdue != NULL && *overdue != '\0';
	p->filtered = *p->q != '\0' || *p->state != '\0' || p->overdue;
	return 0;
}

/* GET /dept[?q=&state=&overdue=1] */
void
web_dept(struct request *r)
{
	struct dept_page *p = web_dept_page_new(r);

	if (web_dept_parse_filters(r, p) == -1)
		return;
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
		    "/dept?ok=%s&task=%s#" ISSUE_TASK_ANCHOR "%s", r->route->arg, task, task);
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
