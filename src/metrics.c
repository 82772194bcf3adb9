/*
 * metrics.c -- the daemon's own counters for /metrics: requests by route,
 * method and status, and latency histograms (requests by route, the Redis
 * round trip, webhook attempts by department, digest mails). Counts of
 * stored things (reports, issues) come from Redis, so that they survive
 * restarts and add up across daemons. Loop thread only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "liaison.h"
#include "daemon.h"

/* Routes x methods x statuses in use stay well below this. */
#define METRICS_MAX 512

struct metrics_counter {
	const char *route;       /* a route's static name */
	const char *method;      /* a static name: GET, POST ... */
	int status;
	unsigned long long count;
};

static struct metrics_counter counters[METRICS_MAX];
static size_t ncounters;

/* Redis round trips by route: what a page view or a call costs the store. */
struct metrics_trips {
	const char *route;       /* a route's static name */
	unsigned long long trips;
};
static struct metrics_trips trips[METRICS_MAX];
static size_t ntrips;

/* Count one answered request; route and method are static strings. */
void
metrics_count(const char *route, const char *method, int status)
{
	size_t i;

	for (i = 0; i < ncounters; i++) {
		if (counters[i].route == route && counters[i].method == method &&
		    counters[i].status == status) {
			counters[i].count++;
			return;
		}
	}
	if (ncounters == METRICS_MAX)
		return;
	counters[ncounters].route = route;
	counters[ncounters].method = method;
	counters[ncounters].status = status;
	counters[ncounters].count = 1;
	ncounters++;
}

/* Add an answered request's Redis round trips to its route's. */
void
metrics_round_trips(const char *route, int n)
{
	size_t i;

	for (i = 0; i < ntrips && trips[i].route != route; i++)
		continue;
	if (i == METRICS_MAX)
		return;
	if (i == ntrips) {
		trips[ntrips].route = route;
		trips[ntrips++].trips = 0;
	}
	trips[i].trips += (unsigned long long)n;
}

/* Append the request counters in Prometheus text format. */
void
metrics_write(struct evbuffer *out)
{
	size_t i;

	evbuffer_add_printf(out,
	    "# HELP liaisond_http_requests_total HTTP requests answered, by "
	    "route, method and status.\n"
	    "# TYPE liaisond_http_requests_total counter\n");
	for (i = 0; i < ncounters; i++)
		evbuffer_add_printf(out, "liaisond_http_requests_total{route=\"%s\","
		    "method=\"%s\",status=\"%d\"} %llu\n", counters[i].route,
		    counters[i].method, counters[i].status,
		    counters[i].count);
	evbuffer_add_printf(out,
	    "# HELP liaisond_http_redis_round_trips_total Redis round trips "
	    "the answered requests waited for, by route.\n"
	    "# TYPE liaisond_http_redis_round_trips_total counter\n");
	for (i = 0; i < ntrips; i++)
		evbuffer_add_printf(out, "liaisond_http_redis_round_trips_total"
		    "{route=\"%s\"} %llu\n", trips[i].route, trips[i].trips);
}

/* --- latency histograms (Prometheus: cumulative buckets, _sum, _count) --- */

/* Upper bounds in seconds; +Inf is implied. */
static const double metrics_bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };
#define METRICS_NBOUNDS (sizeof metrics_bounds / sizeof metrics_bounds[0])
#define METRICS_SERIES_MAX 256

/* Each histogram: its name, its one label's name (NULL: none), its help. */
static const struct {
	const char *name;
	const char *label;
	const char *help;
} metrics_families[] = {
	[METRICS_HTTP] = { "liaisond_http_request_duration_seconds", "route",
	    "From the request read to the answer sent, by route pattern." },
	[METRICS_REDIS] = { "liaisond_redis_round_trip_seconds", NULL,
	    "The watchdog's PING to Redis and back." },
	[METRICS_WEBHOOK] = { "liaisond_webhook_attempt_seconds", "department",
	    "One webhook attempt, connecting included, by department." },
	[METRICS_DIGEST] = { "liaisond_digest_mail_seconds", NULL,
	    "Sending one digest mail (SMTP), whatever the outcome." },
	[METRICS_INTAKE] = { "liaisond_intake_batch_seconds", NULL,
	    "A group commit's call, sent to answered: each of its reports "
	    "waits for all of it." },
};

struct metrics_series {
	enum metrics_family family;
	char *label;                /* a copy: departments come and go */
	unsigned long long buckets[METRICS_NBOUNDS + 1];
	unsigned long long count;
	double sum;
};

static struct metrics_series series[METRICS_SERIES_MAX];
static size_t nseries;

/* A monotonic clock in seconds, for durations. */
double
metrics_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Count one duration of family (label: NULL for a family without one). */
void
metrics_observe(enum metrics_family family, const char *label,
    double seconds)
{
	struct metrics_series *m = NULL;
	size_t i;

	if (label == NULL)
		label = "";
	for (i = 0; i < nseries; i++)
		if (series[i].family == family &&
		    strcmp(series[i].label, label) == 0) {
			m = &series[i];
			break;
		}
	if (m == NULL) {
		if (nseries == METRICS_SERIES_MAX)
			return;
		m = &series[nseries++];
		m->family = family;
		m->label = xstrdup(label);
	}
	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < METRICS_NBOUNDS && seconds > metrics_bounds[i]; i++)
		;
	m->buckets[i]++;
	m->count++;
	m->sum += seconds;
}

/* One series: its cumulative buckets, sum and count. */
static void
metrics_write_series(struct evbuffer *out, const struct metrics_series *m)
{
	const char *name = metrics_families[m->family].name;
	const char *label = metrics_families[m->family].label;
	char sel[160] = "";
	unsigned long long total = 0;
	size_t i;

	if (label != NULL)
		snprintf(sel, sizeof sel, "%s=\"%s\",", label, m->label);
	for (i = 0; i <= METRICS_NBOUNDS; i++) {
		total += m->buckets[i];
		if (i < METRICS_NBOUNDS)
			evbuffer_add_printf(out, "%s_bucket{%sle=\"%g\"} %llu\n",
			    name, sel, metrics_bounds[i], total);
		else
			evbuffer_add_printf(out, "%s_bucket{%sle=\"+Inf\"} "
			    "%llu\n", name, sel, total);
	}
	if (label != NULL)
		sel[strlen(sel) - 1] = '\0';
	evbuffer_add_printf(out, "%s_sum%s%s%s %.6f\n%s_count%s%s%s %llu\n",
	    name, *sel ? "{" : "", sel, *sel ? "}" : "", m->sum,
	    name, *sel ? "{" : "", sel, *sel ? "}" : "", m->count);
}

/* Append every histogram, each family under one HELP and TYPE. */
void
metrics_write_histograms(struct evbuffer *out)
{
	size_t f, i;

	for (f = 0; f < sizeof metrics_families / sizeof metrics_families[0];
	    f++) {
		evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s histogram\n",
		    metrics_families[f].name, metrics_families[f].help,
		    metrics_families[f].name);
		for (i = 0; i < nseries; i++)
			if (series[i].family == f)
				metrics_write_series(out, &series[i]);
	}
}

/* Forget every series (at exit, so that nothing looks leaked). */
void
metrics_free(void)
{
	size_t i;

	for (i = 0; i < nseries; i++)
		free(series[i].label);
	nseries = 0;
}
