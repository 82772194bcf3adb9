/*
 * connections.c -- a bound on open HTTP connections. libevent 2.1 has no
 * evhttp_set_max_connections, so the daemon counts the connections it has
 * seen a request on and stops accepting while the count is at the limit
 * (the kernel's backlog holds newcomers meanwhile). A connection that never
 * sends a request is not counted; the idle timeout closes it.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "liaison.h"
#include "daemon.h"

/* The connections seen, kept sorted by address for bsearch. */
static struct evhttp_connection **seen;
static size_t nseen, seensize;
static int paused;

/* Index where c is or would go. */
static size_t
connections_find(const struct evhttp_connection *c, int *found)
{
	size_t lo = 0, hi = nseen, mid;

	*found = 0;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (seen[mid] == c) {
			*found = 1;
			return mid;
		}
		if ((const void *)seen[mid] < (const void *)c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
connections_pause(struct daemon *d, int pause)
{
	struct evconnlistener *l;

	if (d->listener == NULL || pause == paused)
		return;
	l = evhttp_bound_socket_get_listener(d->listener);
	if (pause) {
		evconnlistener_disable(l);
		log_warnx("%zu connections open: not accepting more for now",
		    nseen);
	} else {
		evconnlistener_enable(l);
	}
	paused = pause;
}

static void
connections_closed(struct evhttp_connection *c, void *arg)
{
	struct daemon *d = arg;
	size_t i;
	int found;

	i = connections_find(c, &found);
	if (!found)
		return;
	memmove(&seen[i], &seen[i + 1], (nseen - i - 1) * sizeof *seen);
	nseen--;
	if ((int)nseen < d->current->config->max_connections)
		connections_pause(d, 0);
}

/*
 * Send each answer as soon as it is written. evhttp writes the headers and
 * the body separately; with Nagle's algorithm the body of a larger answer
 * then waits for the client's delayed ACK, about 40 ms on Linux.
 */
static void
connections_nodelay(struct evhttp_connection *c)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c);
	evutil_socket_t fd = bev != NULL ? bufferevent_getfd(bev) : -1;
	int on = 1;

	if (fd != -1 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
	    sizeof on) == -1)
		log_debug("TCP_NODELAY: %s", strerror(errno));
}

/* Note the connection of a new request; pause accepting at the limit. */
void
connections_note(struct daemon *d, struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	size_t i;
	int found;

	if (c == NULL)
		return;
	i = connections_find(c, &found);
	if (found)
		return;
	if (nseen == seensize) {
		seensize = seensize ? seensize * 2 : 64;
		seen = xreallocarray(seen, seensize, sizeof *seen);
	}
	memmove(&seen[i + 1], &seen[i], (nseen - i) * sizeof *seen);
	seen[i] = c;
	nseen++;
	evhttp_connection_set_closecb(c, connections_closed, d);
	connections_nodelay(c);
	if ((int)nseen >= d->current->config->max_connections)
		connections_pause(d, 1);
}

/* How many connections are open now (for /metrics). */
size_t
connections_open(void)
{
	return nseen;
}

void
connections_free(void)
{
	free(seen);
	seen = NULL;
	nseen = seensize = 0;
}
