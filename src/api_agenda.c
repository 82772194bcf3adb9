/*
 * api_agenda.c -- GET /api/v1/agenda: what the zone's weekly working
 * meeting (工作例会) must decide, from the open issues of the last two
 * periods (SPEC §12): difficult issues, overdue tasks, 延期 requests
 * waiting, returned tasks waiting for a route, recurrences (复发)
 * and trend alerts (未诉先办), each with its department and its age,
 * oldest first. The page /agenda (web_agenda.c) shows the same list.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

static const char *const agenda_query[] = { NULL };

static void
api_agenda_read(struct request *r, redisReply *reply)
{
	cJSON *root;

	if ((root = agenda_json(reply, r->state, util_now_ms())) == NULL) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return;
	}
	request_reply_json(r, 200, root);
}

/*
 * Read the agenda of the last two periods (the previous and the current):
 * their JSON list goes into periods (for agenda_json), and fn gets
 * read.lua's rows. The page /agenda reads it the same way.
 */
void
api_agenda_fetch(struct request *r, request_reply_fn fn,
    char periods[AGENDA_PERIODS_LEN])
{
	char both[AGENDA_BOTH_LEN];
	const char *argv[2];

	agenda_periods(time(NULL), both, periods);
	argv[0] = "agenda";
	argv[1] = both;
	request_script(r, SCRIPT_READ, fn, 2, argv, NULL);
}

/* GET /api/v1/agenda: the working meeting's agenda, oldest first. */
void
api_agenda(struct request *r)
{
	if (request_check_query(r, agenda_query) == -1)
		return;
	r->state = xcalloc(1, AGENDA_PERIODS_LEN);
	r->state_free = free;
	api_agenda_fetch(r, api_agenda_read, r->state);
}
