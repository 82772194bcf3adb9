/*
 * webhook_markdown.c -- the markdown the three chat robots show a
 * department's group (webhook_wecom.c, webhook_dingtalk.c,
 * webhook_feishu.c): one message, or a burst merged into one, cut to the
 * robot's size limit without splitting a character and without losing the
 * link.
 *
 * The message "data" is the object the delivery engine (webhook.c) turns
 * an event into:
 *   {"task":    the API's task object (id, department, state, deadline,
 *               overdue ...),
 *    "issues":  [{"id", "enterprise", "enterprise_name", "topic",
 *                 "topic_name", "title", "category", "officer",
 *                 "officer_name", "deadline"}, ...],
 *    "links":   {"task": public_url + "/dept#task-T1",
 *               "department": public_url + "/dept"}}
 * The standard format sends it as it is. The robots get markdown made from
 * it: names where given (enterprise_name ...), the ids otherwise; a
 * category, stage or event in Chinese. Text from a report stays on its
 * line, so that a title cannot start a heading of its own, and carries no
 * link, image, mention or HTML (webhook_markdown_inline).
 *
 * The robots' markdown differs in two ways only, given as flags: DingTalk
 * breaks a line only at a blank line, and Feishu's card header holds the
 * heading of a single message. That card's colour for each event is here
 * too, beside the event's name.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"

/* Most enterprises (or officers) named in a message before "等 N 家". */
#define WEBHOOK_MARKDOWN_NAMES_SHOWN 10
/* What a cut message ends with, before its link. */
#define WEBHOOK_MARKDOWN_MORE "…（详见链接）"
/* Longest title of a chat message, in bytes. */
#define WEBHOOK_MARKDOWN_TITLE_MAX 200

/*
 * What the chat messages call events and deadline stages, and for an event
 * the colour of its card where a robot shows one (Feishu).
 */
struct webhook_markdown_word {
	const char *name;
	const char *label;
	const char *colour;
};
static const struct webhook_markdown_word webhook_markdown_words[] = {
	{ "task.queued", "新任务", "blue" },
	{ "task.updated", "共性问题新增", "wathet" },
	{ "task.reminder", "认领提醒", "orange" },
	{ "task.escalated", "超期升级", "red" },
	{ "task.reopened", "重新办理", "yellow" },
	{ "alert.trend", "趋势预警", "red" },
};

/* A growing NUL-terminated string. */
struct webhook_text {
	char *s;
	size_t len;
	size_t cap;
};

/* --- text ---------------------------------------------------------------- */

static void
webhook_markdown_add(struct webhook_text *t, const char *s, size_t len)
{
	if (t->len + len + 1 > t->cap) {
		t->cap = (t->len + len + 1) * 2;
		t->s = xreallocarray(t->s, t->cap, 1);
	}
	memcpy(t->s + t->len, s, len);
	t->len += len;
	t->s[t->len] = '\0';
}

static void
webhook_markdown_puts(struct webhook_text *t, const char *s)
{
	webhook_markdown_add(t, s, strlen(s));
}

static void
webhook_markdown_printf(struct webhook_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
webhook_markdown_printf(struct webhook_text *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("webhook_markdown_printf: out of memory");
	webhook_markdown_add(t, s, n);
	free(s);
}

/*
 * What the robots would read as markup in text from a report or the
 * roster, and what is shown instead: the full-width form of the same sign,
 * which all three show as it is. Escapes would differ from robot to robot
 * (WeCom's markdown has none); a full-width sign reads the same to a person
 * and to none of them is markup. So a title cannot post a link or an image
 * ([…](…), ![…](…)), mention anyone (WeCom <@id>, Feishu <at id=all>, @all,
 * @所有人), write HTML or an entity (<a …>, <font …>, &lt;), nor make a
 * bare address (http://…) a link.
 */
static const struct {
	char c;
	const char *shown;
} webhook_markdown_neutral[] = {
	{ '[', "［" }, { ']', "］" }, { '<', "＜" }, { '>', "＞" },
	{ '@', "＠" }, { '&', "＆" }, { ':', "：" },
};

/*
 * Append s on one line, neutralised (above): line breaks and tabs become
 * spaces, so that a title cannot start a heading or a list of its own in
 * the markdown. A ':' is only changed before "//" (an address); elsewhere
 * it is plain text.
 */
static void
webhook_markdown_inline(struct webhook_text *t, const char *s)
{
	size_t n, i;

	while (*s != '\0') {
		n = strcspn(s, "\r\n\t[]<>@&:");
		webhook_markdown_add(t, s, n);
		s += n;
		if (*s == '\0')
			break;
		if (strchr("\r\n\t", *s) != NULL ||
		    (*s == ':' && strncmp(s + 1, "//", 2) != 0)) {
			webhook_markdown_add(t, *s == ':' ? ":" : " ", 1);
			s++;
			continue;
		}
		for (i = 0; webhook_markdown_neutral[i].c != *s; i++)
			;
		webhook_markdown_puts(t, webhook_markdown_neutral[i].shown);
		s++;
	}
}

/* End a line; DingTalk wants a blank line to break one. */
static void
webhook_markdown_eol(struct webhook_text *t, int flags)
{
	webhook_markdown_puts(t, flags & WEBHOOK_MARKDOWN_BLANK_LINES ?
	    "\n\n" : "\n");
}

/* Start a markdown line "**label**："; webhook_markdown_eol ends it. */
static void
webhook_markdown_field(struct webhook_text *t, const char *label)
{
	webhook_markdown_printf(t, "**%s**：", label);
}

/* --- the message data ---------------------------------------------------- */

/* The string member name of obj, or NULL. */
static const char *
webhook_markdown_string(const cJSON *obj, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj,
	    name));
}

/* The string member name of obj, else fallback's, else "". */
static const char *
webhook_markdown_name(const cJSON *obj, const char *name,
    const char *fallback)
{
	const char *s;

	if ((s = webhook_markdown_string(obj, name)) != NULL && *s != '\0')
		return s;
	if ((s = webhook_markdown_string(obj, fallback)) != NULL)
		return s;
	return "";
}

/* The row of an event or stage, or NULL. */
static const struct webhook_markdown_word *
webhook_markdown_word(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof webhook_markdown_words /
	    sizeof webhook_markdown_words[0]; i++)
		if (strcmp(name, webhook_markdown_words[i].name) == 0)
			return &webhook_markdown_words[i];
	return NULL;
}

/* An event's or a deadline stage's name in Chinese, or name itself. */
static const char *
webhook_markdown_label(const char *name)
{
	const struct webhook_markdown_word *w = webhook_markdown_word(name);
	const char *stage = task_stage_zh(name);

	if (stage != NULL)
		return stage;
	return w != NULL ? w->label : name;
}

/*
 * Append the distinct non-empty values of issues[i].name (or .fallback)
 * joined by "、", each through label when not NULL; at most max of them,
 * then "等 N 家" (unit) when more. Return how many there are.
 */
static size_t
webhook_markdown_distinct(struct webhook_text *t, const cJSON *issues,
    const char *name, const char *fallback, const char *(*label)(const char *),
    size_t max, const char *unit)
{
	const cJSON *a, *b;
	const char *v;
	size_t n = 0;

	cJSON_ArrayForEach(a, issues) {
		v = webhook_markdown_name(a, name, fallback);
		if (*v == '\0')
			continue;
		cJSON_ArrayForEach(b, issues) {
			if (b == a || strcmp(v, webhook_markdown_name(b, name,
			    fallback)) == 0)
				break;
		}
		if (b != a)
			continue;       /* seen before */
		if (n < max) {
			if (n > 0)
				webhook_markdown_puts(t, "、");
			webhook_markdown_inline(t, label != NULL ? label(v) :
			    v);
		}
		n++;
	}
	if (n > max)
		webhook_markdown_printf(t, " 等 %zu %s", n, unit);
	return n;
}

/* "2026-11-27T23:59:59.000+08:00" as "2026-11-27 23:59"; else as it is. */
static void
webhook_markdown_deadline(struct webhook_text *t, const char *iso)
{
	if (strlen(iso) >= 16 && iso[10] == 'T') {
		webhook_markdown_add(t, iso, 10);
		webhook_markdown_puts(t, " ");
		webhook_markdown_add(t, iso + 11, 5);
	} else
		webhook_markdown_inline(t, iso);
}

/* The link of a message: its links.task (a trend alert's links.agenda). */
static const char *
webhook_markdown_link(const struct webhook_message *m)
{
	const cJSON *links = cJSON_GetObjectItemCaseSensitive(m->data, "links");
	const char *s = webhook_markdown_string(links, "task");

	return s != NULL ? s : webhook_markdown_string(links, "agenda");
}

/* --- messages ------------------------------------------------------------ */

/* Append one message's heading: "【新任务】" and the topics. */
static void
webhook_markdown_heading(struct webhook_text *t,
    const struct webhook_message *m)
{
	const cJSON *issues, *alert;

	issues = cJSON_GetObjectItemCaseSensitive(m->data, "issues");
	alert = cJSON_GetObjectItemCaseSensitive(m->data, "alert");
	webhook_markdown_puts(t, "【");
	webhook_markdown_inline(t, webhook_markdown_label(m->event));
	webhook_markdown_puts(t, "】");
	if (alert != NULL)
		webhook_markdown_inline(t, webhook_markdown_name(alert,
		    "topic_name", "topic"));
	else
		webhook_markdown_distinct(t, issues, "topic_name", "topic",
		    NULL, 3, "项");
}

/* Append a trend alert's lines (SPEC §12): the period and the counts. */
static void
webhook_markdown_alert(struct webhook_text *t, int flags, const cJSON *alert)
{
	webhook_markdown_field(t, "期");
	webhook_markdown_inline(t, webhook_markdown_name(alert, "period",
	    "id"));
	webhook_markdown_eol(t, flags);
	webhook_markdown_field(t, "本期反映企业");
	webhook_markdown_printf(t, "%d 家（此前平均 %.1f 家）",
	    (int)cJSON_GetNumberValue(cJSON_GetObjectItem(alert,
	    "enterprises")), cJSON_GetNumberValue(cJSON_GetObjectItem(alert,
	    "mean")));
	webhook_markdown_eol(t, flags);
}

/* Append the list of a message's issues: "1. 企业：title". */
static void
webhook_markdown_issues(struct webhook_text *t, int flags,
    const cJSON *issues)
{
	const cJSON *issue;
	const char *s;
	size_t i = 0;

	webhook_markdown_field(t, "问题");
	webhook_markdown_eol(t, flags);
	cJSON_ArrayForEach(issue, issues) {
		webhook_markdown_printf(t, "%zu. ", ++i);
		s = webhook_markdown_name(issue, "enterprise_name",
		    "enterprise");
		if (*s != '\0') {
			webhook_markdown_inline(t, s);
			webhook_markdown_puts(t, "：");
		}
		webhook_markdown_inline(t, webhook_markdown_name(issue, "title",
		    "id"));
		webhook_markdown_eol(t, flags);
	}
}

/* Append the markdown of one message (without its link). */
static void
webhook_markdown_message(struct webhook_text *t, int flags,
    const struct webhook_message *m, int heading)
{
	const cJSON *task, *issues;
	const char *s, *deadline;

	task = cJSON_GetObjectItemCaseSensitive(m->data, "task");
	issues = cJSON_GetObjectItemCaseSensitive(m->data, "issues");
	if (heading) {
		webhook_markdown_puts(t, "### ");
		webhook_markdown_heading(t, m);
		webhook_markdown_eol(t, flags);
	}
	if (cJSON_GetObjectItemCaseSensitive(m->data, "alert") != NULL) {
		webhook_markdown_alert(t, flags,
		    cJSON_GetObjectItemCaseSensitive(m->data, "alert"));
		return;
	}
	if ((s = webhook_markdown_string(task, "id")) != NULL) {
		webhook_markdown_field(t, "任务");
		webhook_markdown_inline(t, s);
		webhook_markdown_eol(t, flags);
	}
	webhook_markdown_field(t, "类别");
	webhook_markdown_distinct(t, issues, "category", "category",
	    rules_category_label, 3, "类");
	webhook_markdown_eol(t, flags);
	webhook_markdown_field(t, "企业");
	webhook_markdown_distinct(t, issues, "enterprise_name", "enterprise",
	    NULL, WEBHOOK_MARKDOWN_NAMES_SHOWN, "家");
	webhook_markdown_eol(t, flags);
	webhook_markdown_field(t, "指导员");
	webhook_markdown_distinct(t, issues, "officer_name", "officer", NULL,
	    WEBHOOK_MARKDOWN_NAMES_SHOWN, "人");
	webhook_markdown_eol(t, flags);
	deadline = webhook_markdown_string(task, "deadline");
	if (deadline == NULL && cJSON_IsArray(issues))
		deadline = webhook_markdown_string(cJSON_GetArrayItem(issues,
		    0), "deadline");
	if (deadline != NULL) {
		webhook_markdown_field(t, "办理期限");
		webhook_markdown_deadline(t, deadline);
		webhook_markdown_eol(t, flags);
	}
	if ((s = webhook_markdown_string(task, "overdue")) != NULL) {
		webhook_markdown_field(t, "超期环节");
		webhook_markdown_inline(t, webhook_markdown_label(s));
		webhook_markdown_eol(t, flags);
	}
	if (cJSON_GetArraySize(issues) > 0)
		webhook_markdown_issues(t, flags, issues);
}

/*
 * Cut text in place to at most max bytes at a character boundary (at the
 * last line end when one is in the second half), ending it with "…（详见链接）"
 * and the link, which always survives when the ending fits at all.
 */
static void
webhook_markdown_cut(struct webhook_text *t, const char *link, size_t max)
{
	struct webhook_text end = { NULL, 0, 0 };
	size_t keep, i;

	if (t->len <= max)
		return;
	webhook_markdown_puts(&end, WEBHOOK_MARKDOWN_MORE);
	if (link != NULL)
		webhook_markdown_printf(&end, "[%s](%s)", link, link);
	if (end.len > max) {
		t->len = utf8_prefix(t->s, t->len, max);
		t->s[t->len] = '\0';
		free(end.s);
		return;
	}
	keep = utf8_prefix(t->s, t->len, max - end.len);
	for (i = keep; i > keep / 2; i--) {
		if (t->s[i - 1] == '\n') {
			keep = i;
			break;
		}
	}
	t->len = keep;
	webhook_markdown_add(t, end.s, end.len);
	free(end.s);
}

/*
 * Return the markdown of n messages for a chat robot, at most max bytes,
 * ending with link (or the single message's links.task) as
 * "[查看任务](link)", or with "…（详见链接）" and the link when cut. Several
 * messages are one after another under "### N 条新消息", each under its
 * own "#### " heading. flags: WEBHOOK_MARKDOWN_BLANK_LINES ends every line
 * with a blank line; WEBHOOK_MARKDOWN_NO_HEADING leaves a single message's
 * heading out. The caller frees.
 */
char *
webhook_markdown(int flags, const struct webhook_message *msgs, size_t n,
    const char *link, size_t max)
{
	struct webhook_text t = { NULL, 0, 0 };
	size_t i;

	webhook_markdown_add(&t, "", 0);
	if (link == NULL && n == 1)
		link = webhook_markdown_link(&msgs[0]);
	if (link != NULL && *link == '\0')
		link = NULL;
	if (n > 1) {
		webhook_markdown_printf(&t, "### %zu 条新消息", n);
		webhook_markdown_eol(&t, flags);
	}
	for (i = 0; i < n; i++) {
		if (n > 1) {
			webhook_markdown_puts(&t, "#### ");
			webhook_markdown_heading(&t, &msgs[i]);
			webhook_markdown_eol(&t, flags);
		}
		webhook_markdown_message(&t, flags, &msgs[i], n == 1 &&
		    !(flags & WEBHOOK_MARKDOWN_NO_HEADING));
	}
	if (link != NULL)
		webhook_markdown_printf(&t, "[查看任务](%s)", link);
	webhook_markdown_cut(&t, link, max);
	return t.s;
}

/*
 * Return the title of a chat message, plain text on one line of at most
 * 200 bytes: the one message's heading ("【新任务】社保缴纳"), or
 * "N 条新消息". The caller frees.
 */
char *
webhook_markdown_title(const struct webhook_message *msgs, size_t n)
{
	struct webhook_text t = { NULL, 0, 0 };

	if (n == 1)
		webhook_markdown_heading(&t, &msgs[0]);
	else
		webhook_markdown_printf(&t, "%zu 条新消息", n);
	t.len = utf8_prefix(t.s, t.len, WEBHOOK_MARKDOWN_TITLE_MAX);
	t.s[t.len] = '\0';
	return t.s;
}

/* Return the colour of an event's card ("blue" ...), or NULL. */
const char *
webhook_markdown_colour(const char *event)
{
	const struct webhook_markdown_word *w = webhook_markdown_word(event);

	return w != NULL ? w->colour : NULL;
}
