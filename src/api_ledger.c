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

static void
api_ledger_read(struct request *r, struct ledger *l)
{
	struct api_ledger *a = r->state;
	cJSON *root;

	char total[32];

	root = ledger_json(l, r->roster, &a->filter,
	    r->config->ledger_show_enterprises);
	cJSON_AddStringToObject(root, "period", a->period);
	snprintf(total, sizeof total, "%zu",
	    ledger_count_matching(l, &a->filter));
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "X-Total-Count", total);
	/* Carry-over and the frozen figures (issue 16) are in the cached
	 * ledger itself: no read of their own. */
	request_reply_json(r, 200, root);
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
