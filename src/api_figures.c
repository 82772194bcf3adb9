/*
 * api_figures.c -- GET /api/v1/figures (the zone's figures for a range,
 * from the running totals: figures.c), GET /api/v1/officers (one
 * performance row per officer, a page at a time) and GET
 * /api/v1/officers/{id}/performance (performance.c defines the row).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <event2/http.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

#define API_FIGURES_PERIODS_MAX 240     /* ten years of half-months */

/* What a figures or performance request keeps while Redis answers. */
struct api_figures_state {
	struct figures figures;
	const struct officer **officers;
	size_t nofficers;
	int detail;              /* one officer: the row with its detail */
	struct period periods[API_FIGURES_PERIODS_MAX];
	size_t nperiods;
	int64_t from, to, today;         /* the performance range, day numbers */
};

static void
api_figures_state_free(void *arg)
{
	struct api_figures_state *s = arg;

	free(s->officers);
	free(s);
}

static struct api_figures_state *
api_figures_state(struct request *r)
{
	struct api_figures_state *s = xcalloc(1, sizeof *s);

	r->state = s;
	r->state_free = api_figures_state_free;
	return s;
}

static void
api_figures_read(struct request *r, redisReply *reply)
{
	struct api_figures_state *s = r->state;

	if (figures_read(&s->figures, reply) == -1) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	request_reply_json(r, 200, figures_json(&s->figures));
}

/* GET /api/v1/figures?from=&to= */
void
api_figures(struct request *r)
{
	static const char *const query[] = { "from", "to", NULL };
	struct api_figures_state *s;
	int64_t from, to;

	if (request_check_query(r, query) == -1 ||
	    api_fieldwork_range(r, &from, &to) == -1)
		return;
	s = api_figures_state(r);
	s->figures.from = from;
	s->figures.to = to;
	s->figures.officers = (int64_t)r->roster->nofficers;
	s->figures.enterprises = (int64_t)r->roster->nenterprises;
	api_fieldwork_run(r, "figures", figures_payload(&s->figures,
	    fieldwork_offset(time(NULL))), api_figures_read, 0, NULL);
}

/* ---- performance ---- */

static void
api_figures_performance_read(struct request *r, redisReply *reply)
{
	struct api_figures_state *s = r->state;
	struct performance p;
	cJSON *root, *rows, *row;
	size_t i;

	if (reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != s->nofficers) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	root = cJSON_CreateObject();
	rows = cJSON_AddArrayToObject(root, "officers");
	for (i = 0; i < s->nofficers; i++) {
		performance_count(s->officers[i], reply->element[i], s->from,
		    s->to, s->periods, s->nperiods, s->today,
		    r->config->visit_days, &p);
		row = performance_json(&p);
		performance_free(&p);
		if (s->detail) {
			cJSON_Delete(root);
			request_reply_json(r, 200, row);
			return;
		}
		cJSON_AddItemToArray(rows, row);
	}
	request_reply_json(r, 200, root);
}

/* Ask fieldwork.lua for the facts of s's officers over [from, to]. */
static void
api_figures_performance(struct request *r, struct api_figures_state *s,
    int64_t from, int64_t to)
{
	s->today = fieldwork_today(time(NULL));
	s->from = from;
	s->to = to;
	api_fieldwork_run(r, "performance", performance_payload(s->officers,
	    s->nofficers, from, to, time(NULL), s->periods,
	    API_FIGURES_PERIODS_MAX, &s->nperiods),
	    api_figures_performance_read, 0, NULL);
}

/* GET /api/v1/officers?from=&to=&limit=&offset=: roster order. */
void
api_figures_officers(struct request *r)
{
	static const char *const query[] = { "from", "to", "limit", "offset",
	    NULL };
	struct api_figures_state *s;
	char limit[16], offset[16];
	int64_t from, to;
	size_t first, n, i;

	if (request_check_query(r, query) == -1 ||
	    api_page(r, limit, offset, sizeof limit) == -1 ||
	    api_fieldwork_range(r, &from, &to) == -1)
		return;
	first = (size_t)atol(offset);
	n = (size_t)atol(limit);
	s = api_figures_state(r);
	if (first > r->roster->nofficers)
		first = r->roster->nofficers;
	if (n > r->roster->nofficers - first)
		n = r->roster->nofficers - first;
	s->officers = xcalloc(n ? n : 1, sizeof *s->officers);
	for (i = 0; i < n; i++)
		s->officers[i] = &r->roster->officers[first + i];
	s->nofficers = n;
	api_figures_performance(r, s, from, to);
}

/* GET /api/v1/officers/{id}/performance?from=&to= */
void
api_figures_officer_performance(struct request *r)
{
	static const char *const query[] = { "from", "to", NULL };
	const struct officer *o;
	struct api_figures_state *s;
	int64_t from, to;

	if (request_check_query(r, query) == -1 ||
	    api_fieldwork_range(r, &from, &to) == -1)
		return;
	if (r->role == ROLE_OFFICER && strcmp(r->param, r->actor_id) != 0) {
		request_error(r, 403, "forbidden", "an officer sees only their "
		    "own performance", NULL);
		return;
	}
	if ((o = roster_officer(r->roster, r->param)) == NULL) {
		request_error(r, 404, "not_found", "no such officer", NULL);
		return;
	}
	s = api_figures_state(r);
	s->officers = xcalloc(1, sizeof *s->officers);
	s->officers[0] = o;
	s->nofficers = 1;
	s->detail = 1;
	api_figures_performance(r, s, from, to);
}
