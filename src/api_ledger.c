/*
 * api_ledger.c -- GET /api/v1/ledger: the public ledger (公示) of a
 * half-month, with every department's scorecard. No token needed; it
 * shows neither who reported an issue nor its detail, and names the
 * enterprises only when [ledger] show_enterprises says so.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/http.h>

#include "liaison.h"
#include "daemon.h"

static const char *const ledger_query[] = { "period", "category",
    "department", "state", "limit", "offset", NULL };

struct api_ledger {
	char period[PERIOD_LEN + 1];
	struct ledger_filter filter;
};

/*
 * Answer from l: the page of issues and the scorecards, rendered once per
 * query while l stays as scored (ledger_memo.c), however many ask.
 */
static void
api_ledger_read(struct request *r, struct ledger *l)
{
	struct api_ledger *a = r->state;
	const struct ledger_filter *f = &a->filter;
	const char *body, *total;
	char key[320], count[32], *json, *text;
	cJSON *root;

	snprintf(key, sizeof key, "%s|%s|%s|%s|%zu|%zu|%d", a->period,
	    f->category ? f->category : "", f->department ? f->department : "",
	    f->state ? f->state : "", f->limit, f->offset,
	    r->config->ledger_show_enterprises);
	if ((body = ledger_memo_get(l, key, &total)) == NULL) {
		root = ledger_json_printed(l, r->roster, f,
		    r->config->ledger_show_enterprises);
		cJSON_AddStringToObject(root, "period", a->period);
		snprintf(count, sizeof count, "%zu",
		    ledger_count_matching(l, f));
		/* Carry-over and the frozen figures (issue 16) are in the
		 * cached ledger itself: no read of their own. */
		json = cJSON_PrintUnformatted(root);
		cJSON_Delete(root);
		if (json == NULL) {
			request_error(r, 500, "internal", "out of memory", NULL);
			return;
		}
		xasprintf(&text, "%s\n", json);
		ledger_memo_put(l, key, text, count);
		free(json);
		free(text);
		body = ledger_memo_get(l, key, &total);
		ledger_cache_rendered(r->daemon->ledger_cache);
	}
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "X-Total-Count", total);
	request_reply_raw(r, 200, "application/json; charset=utf-8", body);
}

/*
 * Check ?name= against the allowed values (NULL: any roster department);
 * 0 with *out set (NULL when absent), or -1 having answered 422.
 */
static int
api_ledger_param(struct request *r, const char *name,
    const char *const *allowed, const char **out)
{
	const char *v = request_query(r, name);

	*out = v;
	if (v == NULL)
		return 0;
	if (allowed != NULL ? api_one_of(v, allowed) :
	    roster_department(r->roster, v) != NULL)
		return 0;
	request_error(r, 422, "invalid", allowed != NULL ? "not one of the "
	    "allowed values" : "no such department", name);
	return -1;
}

/*
 * The page of issues: ?limit= (default and most: [limits] list_limit) and
 * ?offset=, so that no answer grows with the period. -1 having answered.
 */
static int
api_ledger_page(struct request *r, struct ledger_filter *f)
{
	char limit[16], offset[16];

	if (api_page(r, limit, offset, sizeof limit) == -1)
		return -1;
	f->limit = request_query(r, "limit") != NULL ?
	    strtoul(limit, NULL, 10) : (size_t)r->config->list_limit;
	f->offset = strtoul(offset, NULL, 10);
	return 0;
}

/* GET /api/v1/ledger?period=&category=&department=&state=&limit=&offset= */
void
api_ledger(struct request *r)
{
	struct api_ledger *a = xcalloc(1, sizeof *a);

	r->state = a;
	r->state_free = free;
	if (request_check_query(r, ledger_query) == -1 ||
	    api_ledger_page(r, &a->filter) == -1 ||
	    api_period(r, a->period, 1) == -1 ||
	    api_ledger_param(r, "category", issue_categories,
	    &a->filter.category) == -1 ||
	    api_ledger_param(r, "state", issue_states,
	    &a->filter.state) == -1 ||
	    api_ledger_param(r, "department", NULL,
	    &a->filter.department) == -1)
		return;
	ledger_cache_fetch(r, a->period, api_ledger_read);
}
