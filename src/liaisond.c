/*
 * liaisond.c -- the daemon: options, start-up, the signal events (SIGHUP
 * reloads, SIGTERM drains), systemd notification, and the one event loop
 * that HTTP, Redis and every timer share.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/http.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "liaison.h"
#include "daemon.h"

#define DRAIN_CHECK_MS 50
#define DRAIN_LIMIT_MS 10000

static const char *config_path = LIAISON_CONFIG_PATH;

static void
liaisond_usage(void)
{
	fprintf(stderr, "usage: liaisond [-ftVh] [-c file]\n");
}

static void
liaisond_notify(const char *state)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

/* Periods and deadlines are in the zone's time: make it the local time. */
static void
liaisond_set_timezone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* SIGHUP: load both files again; a bad one is refused and the old stay. */
static void
liaisond_reload(struct daemon *d)
{
	struct generation *g;
	char *cause = NULL;

	liaisond_notify("RELOADING=1");
	if ((g = generation_load(config_path, &cause)) == NULL) {
		log_warnx("reload refused, keeping the running config: %s",
		    cause);
		free(cause);
		liaisond_notify("READY=1");
		return;
	}
	generation_warn_restart(d->current, g);
	generation_unref(d->current);
	d->current = g;
	liaisond_set_timezone(g->roster->timezone);
	generation_check_calendar(g);
	http_configure(d);
	log_info("reloaded %s and %s (%zu officers, %zu enterprises)",
	    g->config->path, g->roster->path, g->roster->nofficers,
	    g->roster->nenterprises);
	liaisond_notify("READY=1");
}

static void
liaisond_drain_check(int fd, short what, void *arg)
{
	struct daemon *d = arg;
	static int waited;
	struct timeval tv = { 0, DRAIN_CHECK_MS * 1000 };

	waited += DRAIN_CHECK_MS;
	if ((d->inflight <= 0 && webhook_busy(d->webhook) == 0) ||
	    waited >= DRAIN_LIMIT_MS) {
		if (d->inflight > 0 || webhook_busy(d->webhook) > 0)
			log_warnx("stopping with %d requests unanswered and %d "
			    "webhooks in flight", d->inflight,
			    webhook_busy(d->webhook));
		event_base_loopexit(d->base, NULL);
		return;
	}
	event_base_once(d->base, -1, EV_TIMEOUT, liaisond_drain_check, d, &tv);
}

/* SIGTERM: stop listening, let requests in flight finish, then exit. */
static void
liaisond_drain(struct daemon *d)
{
	struct timeval tv = { 0, 0 };

	if (d->draining)
		return;
	d->draining = 1;
	liaisond_notify("STOPPING=1");
	log_info("stopping: draining %d requests", d->inflight);
	http_stop_listening(d);
	event_base_once(d->base, -1, EV_TIMEOUT, liaisond_drain_check, d, &tv);
}

static void
liaisond_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	switch (sig) {
	case SIGHUP:
		liaisond_reload(d);
		break;
	case SIGTERM:
	case SIGINT:
		liaisond_drain(d);
		break;
	}
}

static void
liaisond_check_only(struct generation *g)
{
	const struct roster *r = g->roster;

	printf("liaisond: configuration ok: %s; roster ok: %s (%zu officers, "
	    "%zu enterprises, %zu departments, %zu topics); calendar ok: %s "
	    "(%zu days)\n", g->config->path, r->path, r->nofficers,
	    r->nenterprises, r->ndepartments, r->ntopics, g->calendar->path,
	    g->calendar->ndays);
}

int
main(int argc, char **argv)
{
	struct daemon state, *d = &state;
	struct event *sighup, *sigterm, *sigint;
	int ch, foreground = 0, test = 0;
	char *cause = NULL;

	while ((ch = getopt(argc, argv, "c:fhtV")) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'V':
			printf("liaisond %s\n", LIAISON_VERSION);
			return 0;
		case 'h':
			liaisond_usage();
			return 0;
		default:
			liaisond_usage();
			return 2;
		}
	}
	if (optind != argc) {
		liaisond_usage();
		return 2;
	}

	xmalloc_init_cjson();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fatalx("curl_global_init failed");
	memset(d, 0, sizeof *d);
	if ((d->current = generation_load(config_path, &cause)) == NULL) {
		fprintf(stderr, "liaisond: %s\n", cause);
		free(cause);
		return 1;
	}
	liaisond_set_timezone(d->current->roster->timezone);
	if (test) {
		liaisond_check_only(d->current);
		generation_unref(d->current);
		return 0;
	}

	log_init(foreground, d->current->config->log_level);
	if (util_test_clock() != NULL)
		log_warnx("test build: the clock is moved by the milliseconds "
		    "in %s", util_test_clock());
	generation_check_calendar(d->current);
	if (!foreground && daemon(0, 0) == -1)
		fatal("daemon");
	signal(SIGPIPE, SIG_IGN);

	d->base = loop_base_new();      /* the claims before the readers */
	d->started = time(NULL);
	d->ratelimit = ratelimit_new();
	d->tokens = token_cache_new(AUTH_REMEMBERED_TOKENS);
	d->ledger_cache = ledger_cache_new();
	d->store = store_new(d->base, d->current->config);
	if (http_start(d, &cause) == -1)
		fatalx("%s", cause);
	d->escalate = escalate_start(d);
	d->intake = intake_start(d->base, d->store);
	d->window = window_start(d->base, d->store,
	    (size_t)d->current->config->window_max);
	d->webhook = webhook_start_engine(d);
	d->digest = digest_sched_start(d);
	d->snapshot = snapshot_start(d);
	d->trend = trend_start(d);
	d->notify = notify_sched_start(d);
	d->retention = retention_start(d);
	d->ledger_files = api_ledger_files_start(d);
	ledger_cache_warm_start(d);
	sighup = evsignal_new(d->base, SIGHUP, liaisond_on_signal, d);
	sigterm = evsignal_new(d->base, SIGTERM, liaisond_on_signal, d);
	sigint = evsignal_new(d->base, SIGINT, liaisond_on_signal, d);
	evsignal_add(sighup, NULL);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);

	log_info("listening on %s port %d; roster %s: %zu officers, %zu "
	    "enterprises", d->current->config->listen_host,
	    d->current->config->listen_port, d->current->roster->path,
	    d->current->roster->nofficers, d->current->roster->nenterprises);
	liaisond_notify("READY=1");

	event_base_dispatch(d->base);

	/*
	 * Closing the store first fails any command still queued, and those
	 * requests are answered (503) while their connections still exist.
	 */
	api_ledger_files_stop(d->ledger_files);
	ledger_cache_stop(d->ledger_cache);
	escalate_stop(d->escalate);
	window_stop(d->window);
	intake_stop(d->intake);
	webhook_stop(d->webhook);
	digest_sched_stop(d->digest);
	snapshot_stop(d->snapshot);
	trend_stop(d->trend);
	notify_sched_stop(d->notify);
	retention_stop(d->retention);
	store_free(d->store);
	http_stop_listening(d);
	evhttp_free(d->http);
	connections_free();
	metrics_free();
	event_free(sighup);
	event_free(sigterm);
	event_free(sigint);
	ratelimit_free(d->ratelimit);
	token_cache_free(d->tokens);
	ledger_cache_free(d->ledger_cache);
	generation_unref(d->current);
	event_base_free(d->base);
	curl_global_cleanup();
	log_info("stopped");
	return 0;
}
