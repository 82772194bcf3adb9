/*
 * api_alerts.c -- GET /api/v1/alerts?from=&to=: the trend alerts (未诉先办,
 * SPEC §12) of the periods from to to (both YYYY-MM-1|2, both optional),
 * oldest period first. trend.c's rule found them; workflow.lua recorded
 * each topic and period once.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

static const char *const alerts_query[] = { "from", "to", NULL };

static void
api_alerts_read(struct request *r, redisReply *reply)
{
	cJSON *root, *list;
	size_t i;

	if (reply->type != REDIS_REPLY_ARRAY) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	root = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(root, "alerts");
	for (i = 0; i < reply->elements; i++)
		if (reply->element[i]->type == REDIS_REPLY_ARRAY &&
		    reply->element[i]->elements > 0)
			cJSON_AddItemToArray(list,
			    trend_alert_json(reply->element[i]));
	request_reply_json(r, 200, root);
}

/* The query's period name as its period_key into key; -1 (answered). */
static int
api_alerts_bound(struct request *r, const char *name, char *key, size_t len,
    const char *none)
{
	const char *v = request_query(r, name);
	struct period p;

	if (v == NULL) {
		snprintf(key, len, "%s", none);
		return 0;
	}
	if (period_parse(v, &p) == -1) {
		request_error(r, 422, "invalid", "not a period: use YYYY-MM-1 "
		    "or YYYY-MM-2", name);
		return -1;
	}
	snprintf(key, len, "%d", period_key(&p));
	return 0;
}

/* GET /api/v1/alerts?from=&to= */
void
api_alerts(struct request *r)
{
	char from[16], to[16], range[40];
	const char *argv[2];

	if (request_check_query(r, alerts_query) == -1 ||
	    api_alerts_bound(r, "from", from, sizeof from, "-inf") == -1 ||
	    api_alerts_bound(r, "to", to, sizeof to, "+inf") == -1)
		return;
	if (from[0] != '-' && to[0] != '+' && atoi(from) > atoi(to)) {
		request_error(r, 422, "invalid", "from is after to", "from");
		return;
	}
	snprintf(range, sizeof range, "%s %s", from, to);
	argv[0] = "alerts";
	argv[1] = range;
	request_script(r, SCRIPT_READ, api_alerts_read, 2, argv, NULL);
}
