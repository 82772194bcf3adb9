/*
 * generation.c -- a config and the roster and calendar it names, loaded
 * together and swapped together on SIGHUP. Each request (and each digest
 * job) holds a reference, so a reload never pulls any of them from under
 * work in flight; the last reference frees them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "liaison.h"
#include "daemon.h"

/* Take a reference to the current config and roster. */
struct generation *
generation_ref(struct daemon *d)
{
	d->current->refs++;
	return d->current;
}

void
generation_unref(struct generation *g)
{
	if (g == NULL || --g->refs > 0)
		return;
	config_free(g->config);
	roster_free(g->roster);
	workdays_free(g->calendar);
	free(g->constants);
	free(g);
}

/*
 * The part of every workflow payload that changes only with the config:
 * the task stages, the category rules and the officers' mail events
 * (what workflow.lua reads as req.stages, req.rules, req.notify). Printed
 * once here, not once per request: building and printing it was about a
 * tenth of the daemon's instructions per report. Kept without its braces,
 * to be joined to each payload (generation_payload_print).
 */
static void
generation_constants(struct generation *g)
{
	cJSON *json = cJSON_CreateObject();
	char *text;
	size_t len;

	task_stages_json(json);
	rules_json(json, g->config);
	notify_json(json, g->config);
	if ((text = cJSON_PrintUnformatted(json)) == NULL)
		fatalx("out of memory");
	cJSON_Delete(json);
	len = strlen(text);
	/* "{...}" -> "...": the object's members, ready to join. */
	memmove(text, text + 1, len - 2);
	text[len - 2] = '\0';
	g->constants = text;
}

/*
 * Print payload (a JSON object) with the generation's constant members
 * added: the text workflow.lua decodes. Caller frees.
 */
char *
generation_payload_print(const struct generation *g, const cJSON *payload)
{
	char *text, *joined;
	size_t len;

	if ((text = cJSON_PrintUnformatted(payload)) == NULL)
		fatalx("out of memory");
	len = strlen(text);
	if (*g->constants == '\0')
		return text;
	/* Both are cJSON's own output: "{a}" + "b" -> "{a,b}" or "{b}". */
	text[len - 1] = '\0';
	xasprintf(&joined, "%s%s%s}", text, len > 2 ? "," : "",
	    g->constants);
	free(text);
	return joined;
}

/*
 * Load the config at path and the roster and calendar it names. Returns a
 * generation holding one reference, or NULL with *cause naming the file,
 * line or entry and the field.
 */
struct generation *
generation_load(const char *path, char **cause)
{
	struct generation *g = xcalloc(1, sizeof *g);

	g->refs = 1;
	if ((g->config = config_load(path, cause)) == NULL ||
	    (g->roster = roster_load(g->config->roster_file, cause)) == NULL ||
	    (g->calendar = workdays_load(g->config->deadline_calendar,
	    cause)) == NULL) {
		generation_unref(g);
		return NULL;
	}
	generation_constants(g);
	return g;
}

/*
 * Holidays cannot be computed, only read from the State Council's yearly
 * notice: say loudly when the calendar lacks this year or the next.
 */
void
generation_check_calendar(const struct generation *g)
{
	const struct workdays *cal = g->calendar;
	struct tm tm;
	time_t now = time(NULL);
	int year;

	localtime_r(&now, &tm);
	if ((year = workdays_missing_year(cal, tm.tm_year + 1900)) != 0)
		log_warnx("calendar %s has no holidays for %d: its "
		    "weekdays count as working days until it is "
		    "updated (see liaisond(8), the yearly calendar)",
		    cal->path, year);
}

static int
generation_same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Settings that only a restart applies; say so instead of ignoring them. */
void
generation_warn_restart(const struct generation *og, const struct generation *ng)
{
	const struct config *old = og->config, *new = ng->config;

	if (!generation_same_string(old->listen_host, new->listen_host) ||
	    old->listen_port != new->listen_port)
		log_warnx("reload: [server] listen changes on restart");
	if (!generation_same_string(old->redis_host, new->redis_host) ||
	    old->redis_port != new->redis_port ||
	    !generation_same_string(old->redis_socket, new->redis_socket) ||
	    !generation_same_string(old->redis_password, new->redis_password) ||
	    !generation_same_string(old->redis_prefix, new->redis_prefix) ||
	    old->redis_timeout_ms != new->redis_timeout_ms ||
	    old->redis_nsentinels != new->redis_nsentinels ||
	    (old->redis_nsentinels > 0 && memcmp(old->redis_sentinels,
	    new->redis_sentinels, old->redis_nsentinels *
	    sizeof *old->redis_sentinels) != 0) ||
	    !generation_same_string(old->redis_master, new->redis_master) ||
	    old->redis_replicas != new->redis_replicas ||
	    old->redis_wait_ms != new->redis_wait_ms ||
	    old->redis_cluster != new->redis_cluster ||
	    old->redis_nnodes != new->redis_nnodes ||
	    (old->redis_nnodes > 0 && memcmp(old->redis_nodes,
	    new->redis_nodes, old->redis_nnodes *
	    sizeof *old->redis_nodes) != 0))
		log_warnx("reload: [redis] changes on restart");
}
