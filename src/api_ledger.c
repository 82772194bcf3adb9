/*
 * api_ledger.c -- GET /api/v1/ledger: the public ledger (公示) of a
 * half-month, with every department's scorecard. No token needed; it
 * shows neither who reported an issue nor its detail, and names the
 * enterprises only when [ledger] show_enterprises says so.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"
#include "daemon.h"

static const char *const ledger_query[] = { "period", "category",
    "department", "state", NULL };

struct api_ledger {
	char period[PERIOD_LEN + 1];
	struct ledger_filter filter;
};

static void
api_ledger_read(struct request *r, struct ledger *l)
{
	struct api_ledger *a = r->state;
	cJSON *root;

	root = ledger_json(l, r->roster, &a->filter,
	    r->config->ledger_show_enterprises);
	cJSON_AddStringToObject(root, "period", a->period);
	/* Carry-over and the frozen figures: api_governance.c (issue 16). */
	governance_ledger_reply(r, root);
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

/* GET /api/v1/ledger?period=&category=&department=&state= */
void
api_ledger(struct request *r)
{
	struct api_ledger *a = xcalloc(1, sizeof *a);

	r->state = a;
	r->state_free = free;
	if (request_check_query(r, ledger_query) == -1 ||
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
