/*
 * routes.c -- the route table: every path the daemon answers, the methods
 * and roles it allows, its handler and its metrics label; matching a path
 * to a route; and running an API route on behalf of a web page.
 *
 * This is the one file that names every handler, and handlers call back
 * into it only through routes_call_api: the one circle the daemon keeps.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "liaison.h"
#include "daemon.h"

#define METHODS_GET (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)
#define ROLES_WORK ((1 << ROLE_DEPARTMENT) | (1 << ROLE_ADMIN))
#define ROLES_FIELD ((1 << ROLE_OFFICER) | (1 << ROLE_ADMIN))
#define PAGE_OFFICER (ROUTE_PAGE | 1 << ROLE_OFFICER)
#define PAGE_DEPARTMENT (ROUTE_PAGE | 1 << ROLE_DEPARTMENT)
#define PAGE_ADMIN (ROUTE_PAGE | 1 << ROLE_ADMIN)

/*
 * Each route: its path pattern, methods, who may use it (roles, as bits;
 * 0: anyone), its handler, its metrics label, the handler's argument, and
 * how an error is answered (NULL: JSON; the pages answer in HTML).
 */
static const struct route routes[] = {
	{ "/healthz", METHODS_GET, ROUTE_STATUS,
	    api_misc_healthz, "/healthz", NULL, NULL },
	{ "/metrics", METHODS_GET, 0,
	    api_misc_metrics, "/metrics", NULL, NULL },
	{ "/api/v1/me", METHODS_GET, ROLE_ANY,
	    api_misc_me, "/api/v1/me", NULL, NULL },
	{ "/api/v1/reports", METHODS_GET | EVHTTP_REQ_POST,
	    ROLE_ANY | ROUTE_POST_CHECKS_TOKEN,
	    api_reports, "/api/v1/reports", NULL, NULL },
	{ "/api/v1/issues", METHODS_GET, ROLE_ANY,
	    api_issues, "/api/v1/issues", NULL, NULL },
	{ "/api/v1/issues/*", METHODS_GET, ROLE_ANY,
	    api_issues_one, "/api/v1/issues/{id}", NULL, NULL },
	{ "/api/v1/issues/*/confirm", EVHTTP_REQ_POST, 1 << ROLE_OFFICER,
	    api_actions_issue, "/api/v1/issues/{id}/confirm", "confirm", NULL },
	{ "/api/v1/issues/*/reopen", EVHTTP_REQ_POST, 1 << ROLE_OFFICER,
	    api_actions_issue, "/api/v1/issues/{id}/reopen", "reopen", NULL },
	{ "/api/v1/issues/*/classify", EVHTTP_REQ_POST, 1 << ROLE_ADMIN,
	    api_actions_issue, "/api/v1/issues/{id}/classify", "classify",
	    NULL },
	{ "/api/v1/issues/*/route", EVHTTP_REQ_POST, 1 << ROLE_ADMIN,
	    api_actions_issue, "/api/v1/issues/{id}/route", "route", NULL },
	{ "/api/v1/departments/*/queue", METHODS_GET, ROLES_WORK,
	    api_tasks_queue, "/api/v1/departments/{dept}/queue", NULL, NULL },
	{ "/api/v1/departments/*/claim", EVHTTP_REQ_POST, 1 << ROLE_DEPARTMENT,
	    api_tasks_claim_next, "/api/v1/departments/{dept}/claim", NULL,
	    NULL },
	{ "/api/v1/tasks/*", METHODS_GET, ROLES_WORK,
	    api_tasks_one, "/api/v1/tasks/{id}", NULL, NULL },
	{ "/api/v1/tasks/*/claim", EVHTTP_REQ_POST, 1 << ROLE_DEPARTMENT,
	    api_tasks_step, "/api/v1/tasks/{id}/claim", "claim", NULL },
	{ "/api/v1/tasks/*/respond", EVHTTP_REQ_POST, 1 << ROLE_DEPARTMENT,
	    api_tasks_step, "/api/v1/tasks/{id}/respond", "respond", NULL },
	{ "/api/v1/tasks/*/resolve", EVHTTP_REQ_POST, 1 << ROLE_DEPARTMENT,
	    api_tasks_step, "/api/v1/tasks/{id}/resolve", "resolve", NULL },
	{ "/api/v1/tasks/*/return", EVHTTP_REQ_POST, 1 << ROLE_DEPARTMENT,
	    api_tasks_step, "/api/v1/tasks/{id}/return", "return", NULL },
	{ "/api/v1/ledger", METHODS_GET, 0,
	    api_ledger, "/api/v1/ledger", NULL, NULL },
	{ "/api/v1/ledger.xlsx", METHODS_GET, ROLES_WORK,
	    api_ledger_files_one, "/api/v1/ledger.xlsx", "xlsx", NULL },
	{ "/api/v1/ledger.csv", METHODS_GET, ROLES_WORK,
	    api_ledger_files_one, "/api/v1/ledger.csv", "csv", NULL },
	{ "/api/v1/deliveries", METHODS_GET, 1 << ROLE_ADMIN,
	    api_deliveries, "/api/v1/deliveries", NULL, NULL },
	{ "/api/v1/deliveries/*/retry", EVHTTP_REQ_POST, 1 << ROLE_ADMIN,
	    api_deliveries_retry, "/api/v1/deliveries/{id}/retry", NULL, NULL },
	/* issue 19: a department's dead deliveries; the returned issues */
	{ "/api/v1/deliveries/retry", EVHTTP_REQ_POST, 1 << ROLE_ADMIN,
	    api_deliveries_retry_department, "/api/v1/deliveries/retry", NULL,
	    NULL },
	{ "/api/v1/triage", METHODS_GET, 1 << ROLE_ADMIN,
	    api_issues_triage, "/api/v1/triage", NULL, NULL },
	{ "/api/v1/digests", EVHTTP_REQ_POST, 1 << ROLE_ADMIN,
	    api_digests, "/api/v1/digests", NULL, NULL },
	/* Governance over time (issue 16, SPEC §12): api_governance.c. */
	{ "/api/v1/tasks/*/extend", EVHTTP_REQ_POST, 1 << ROLE_DEPARTMENT,
	    api_governance_extend, "/api/v1/tasks/{id}/extend", NULL, NULL },
	{ "/api/v1/tasks/*/extension", EVHTTP_REQ_POST, 1 << ROLE_ADMIN,
	    api_governance_extension, "/api/v1/tasks/{id}/extension", NULL,
	    NULL },
	{ "/api/v1/extensions", METHODS_GET, 1 << ROLE_ADMIN,
	    api_governance_extensions, "/api/v1/extensions", NULL, NULL },
	{ "/api/v1/agenda", METHODS_GET, 1 << ROLE_ADMIN,
	    api_agenda, "/api/v1/agenda", NULL, NULL },
	{ "/api/v1/alerts", METHODS_GET, 1 << ROLE_ADMIN,
	    api_alerts, "/api/v1/alerts", NULL, NULL },
	{ "/api/v1/ledger/snapshots", METHODS_GET, 0,
	    api_governance_snapshots, "/api/v1/ledger/snapshots", NULL, NULL },
	{ "/api/v1/ledger/snapshots/*", METHODS_GET, 0,
	    api_governance_snapshot, "/api/v1/ledger/snapshots/{period}", NULL,
	    NULL },
	/* Field work (api_fieldwork.c, api_figures.c; SPEC §11). */
	{ "/api/v1/visits", METHODS_GET | EVHTTP_REQ_POST, ROLES_FIELD,
	    api_fieldwork, "/api/v1/visits", "visit", NULL },
	{ "/api/v1/events", METHODS_GET | EVHTTP_REQ_POST, ROLES_FIELD,
	    api_fieldwork, "/api/v1/events", "event", NULL },
	{ "/api/v1/outcomes", METHODS_GET | EVHTTP_REQ_POST, ROLES_FIELD,
	    api_fieldwork, "/api/v1/outcomes", "outcome", NULL },
	{ "/api/v1/figures", METHODS_GET, 0,
	    api_figures, "/api/v1/figures", NULL, NULL },
	{ "/api/v1/officers", METHODS_GET, 1 << ROLE_ADMIN,
	    api_figures_officers, "/api/v1/officers", NULL, NULL },
	{ "/api/v1/officers/*/performance", METHODS_GET, ROLES_FIELD,
	    api_figures_officer_performance,
	    "/api/v1/officers/{id}/performance",
	    NULL, NULL },
	/* The web pages (web*.c): session cookie, form bodies, HTML. */
	/* Field work on the officer's phone (web_fieldwork.c). */
	{ "/form/fieldwork", METHODS_GET, PAGE_OFFICER,
	    web_fieldwork, "/form/fieldwork", NULL, web_error },
	{ "/form/visit", EVHTTP_REQ_POST, PAGE_OFFICER,
	    web_fieldwork_save, "/form/visit", "visit", web_error },
	{ "/form/outcome", EVHTTP_REQ_POST, PAGE_OFFICER,
	    web_fieldwork_save, "/form/outcome", "outcome", web_error },
	{ "/form", METHODS_GET, PAGE_OFFICER,
	    web_form, "/form", NULL, web_error },
	{ "/form/report", EVHTTP_REQ_POST, PAGE_OFFICER,
	    web_form_report, "/form/report", "report", web_error },
	{ "/form/zero", EVHTTP_REQ_POST, PAGE_OFFICER,
	    web_form_report, "/form/zero", "zero", web_error },
	{ "/form/confirm", EVHTTP_REQ_POST, PAGE_OFFICER,
	    web_form_action, "/form/confirm", "confirm", web_error },
	{ "/form/reopen", EVHTTP_REQ_POST, PAGE_OFFICER,
	    web_form_action, "/form/reopen", "reopen", web_error },
	{ "/form/issues/*", METHODS_GET, PAGE_OFFICER,
	    web_form_issue, "/form/issues/{id}", NULL, web_error },
	{ "/dept", METHODS_GET, PAGE_DEPARTMENT,
	    web_dept, "/dept", NULL, web_error },
	{ "/dept/claim", EVHTTP_REQ_POST, PAGE_DEPARTMENT,
	    web_dept_step, "/dept/claim", "claim", web_error },
	{ "/dept/respond", EVHTTP_REQ_POST, PAGE_DEPARTMENT,
	    web_dept_step, "/dept/respond", "respond", web_error },
	{ "/dept/resolve", EVHTTP_REQ_POST, PAGE_DEPARTMENT,
	    web_dept_step, "/dept/resolve", "resolve", web_error },
	{ "/dept/return", EVHTTP_REQ_POST, PAGE_DEPARTMENT,
	    web_dept_step, "/dept/return", "return", web_error },
	{ "/dept/extend", EVHTTP_REQ_POST, PAGE_DEPARTMENT,
	    web_dept_extend, "/dept/extend", "extend", web_error },
	{ "/ledger", METHODS_GET, ROUTE_PAGE,
	    web_ledger, "/ledger", NULL, web_error },
	{ "/admin", METHODS_GET, PAGE_ADMIN,
	    web_admin, "/admin", NULL, web_error },
	{ "/agenda", METHODS_GET, PAGE_ADMIN,
	    web_agenda, "/agenda", NULL, web_error },
	{ "/admin/route", EVHTTP_REQ_POST, PAGE_ADMIN,
	    web_admin_action, "/admin/route", "route", web_error },
	{ "/admin/classify", EVHTTP_REQ_POST, PAGE_ADMIN,
	    web_admin_action, "/admin/classify", "classify", web_error },
	{ "/admin/extension", EVHTTP_REQ_POST, PAGE_ADMIN,
	    web_admin_action, "/admin/extension", "extension", web_error },
	{ "/admin/retry", EVHTTP_REQ_POST, PAGE_ADMIN,
	    web_admin_action, "/admin/retry", "retry", web_error },
	{ "/admin/digest", EVHTTP_REQ_POST, PAGE_ADMIN,
	    web_admin_action, "/admin/digest", "digest", web_error },
	{ "/admin/cards", EVHTTP_REQ_POST, PAGE_ADMIN,
	    web_cards, "/admin/cards", NULL, web_error },
	{ "/admin/revoke", EVHTTP_REQ_POST, PAGE_ADMIN,
	    web_cards_revoke, "/admin/revoke", NULL, web_error },
	/* The officers' 现实表现 (web_officers.c; SPEC §11). */
	{ "/officers", METHODS_GET, PAGE_ADMIN,
	    web_officers, "/officers", NULL, web_error },
	{ "/officers/*", METHODS_GET, PAGE_ADMIN,
	    web_officers_one, "/officers/{id}", NULL, web_error },
	{ "/login", EVHTTP_REQ_POST, ROUTE_PAGE,
	    web_session_login, "/login", NULL, web_error },
	{ "/logout", EVHTTP_REQ_POST, ROUTE_PAGE | ROLE_ANY,
	    web_session_logout, "/logout", NULL, web_error },
	{ "/signin/*", METHODS_GET | EVHTTP_REQ_POST, ROUTE_PAGE,
	    web_link, "/signin", NULL, web_error },
	{ "/static/*", METHODS_GET, ROUTE_PAGE,
	    web_static, "/static", NULL, web_error },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL }
};

/*
 * Does pattern match path? A '*' matches one non-empty path segment, which
 * is copied to param.
 */
static int
routes_match(const char *pattern, const char *path, char *param, size_t len)
{
	const char *star = strchr(pattern, '*');
	size_t prefix, seg;

	if (star == NULL)
		return strcmp(pattern, path) == 0;
	prefix = star - pattern;
	if (strncmp(pattern, path, prefix) != 0)
		return 0;
	path += prefix;
	seg = strcspn(path, "/");
	if (seg == 0 || seg >= len || strcmp(path + seg, star + 1) != 0)
		return 0;
	memcpy(param, path, seg);
	param[seg] = '\0';
	return 1;
}

/* The methods any route allows on path, as an Allow header value. */
int
routes_allowed(const char *path, char *param, size_t len, char *allow,
    size_t allowlen)
{
	const struct route *rt;
	int methods = 0;

	for (rt = routes; rt->pattern != NULL; rt++)
		if (routes_match(rt->pattern, path, param, len))
			methods |= rt->methods;
	snprintf(allow, allowlen, "%s%s",
	    (methods & EVHTTP_REQ_GET) ? "GET, HEAD" : "",
	    (methods & EVHTTP_REQ_POST) ?
	    ((methods & EVHTTP_REQ_GET) ? ", POST" : "POST") : "");
	return methods;
}

const struct route *
routes_find(const char *path, int method, char *param, size_t len)
{
	const struct route *rt;

	for (rt = routes; rt->pattern != NULL; rt++)
		if ((rt->methods & method) &&
		    routes_match(rt->pattern, path, param, len))
			return rt;
	return NULL;
}

/*
 * Run the API's POST route for path on behalf of the page r, as if its
 * signed-in user had sent json (with idempotency_key, if not NULL). done
 * gets the API's status and body instead of the client; the page answers.
 * Returns -1 (nothing sent) when no such route is open to r's role.
 */
int
routes_call_api(struct request *r, const char *path, const char *json,
    const char *idempotency_key, request_api_fn done)
{
	const struct route *rt;

	rt = routes_find(path, EVHTTP_REQ_POST, r->param, sizeof r->param);
	if (rt == NULL || (rt->roles & ROUTE_PAGE) ||
	    !(rt->roles & (1 << r->role)))
		return -1;
	request_call(r, rt, json, idempotency_key, done);
	return 0;
}
