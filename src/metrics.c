/*
 * metrics.c -- the daemon's own counters for /metrics: requests by route,
 * method and status. Counts of stored things (reports, issues) come from
 * Redis, so that they survive restarts and add up across daemons.
 */
#include "config.h"

#include <string.h>

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
}
