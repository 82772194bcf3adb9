/*
 * connections.c -- the HTTP connections, counted from accept: the bound on
 * open connections ([limits] max_connections) and on those of one address
 * (connections_per_address), a deadline on receiving each whole request
 * (request_deadline_ms), and a pause with backoff when accept runs out of
 * descriptors.
 *
 * libevent 2.1 has no evhttp_set_max_connections and no accept hook, but
 * evhttp asks evhttp_set_bevcb for each new connection's bufferevent: that
 * is where a connection is counted. evhttp has not yet given it its socket
 * then, so the connection is adopted just after, on the same loop pass
 * (an event made active), before it can read a byte: its evhttp_connection
 * is the bufferevent's callback argument, its peer address evhttp's.
 *
 * The deadline runs from accept (and, on a kept-alive connection, from the
 * end of the previous answer) to the moment the whole request, headers and
 * body, is in: evhttp's own timeout restarts on every byte, so one byte
 * every few seconds would hold a socket for ever. While a request is being
 * answered the request's own deadline applies (request.c).
 *
 * A connection over a bound is closed at once; over max_connections the
 * listener stops accepting until one closes (the kernel's backlog holds
 * newcomers meanwhile). accept failing for want of descriptors (EMFILE,
 * ENFILE, ENOBUFS, ENOMEM) pauses the listener for 50 ms, doubling to
 * 2 s while it goes on failing, instead of spinning on a socket that stays
 * readable.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "liaison.h"
#include "daemon.h"

#define CONNECTIONS_BACKOFF_MIN_MS 50
#define CONNECTIONS_BACKOFF_MAX_MS 2000
#define CONNECTIONS_ADDR_MAX 64

/* One open connection. */
struct connections_conn {
	struct evhttp_connection *evcon;
	struct daemon *daemon;
	char addr[CONNECTIONS_ADDR_MAX];
	struct event *deadline;     /* until the whole request is in */
	int busy;                   /* a request of it is being answered */
};

/* The connections, kept sorted by evcon for bsearch. */
static struct connections_conn **conns;
static size_t nconns, connssize;
/* Bufferevents made for connections not adopted yet (held references). */
static struct bufferevent **fresh;
static size_t nfresh, freshsize;
static struct event *adopt_ev, *backoff_ev;
static int full;                /* at max_connections */
static int backoff_on;          /* paused after accept ran out */
static int backoff_ms;          /* the last pause; 0 after an accept */
static int listening = 1;
static unsigned long refused_address, cut_deadline, accept_failures;

/* Index where evcon is or would go. */
static size_t
connections_find(const struct evhttp_connection *evcon, int *found)
{
	size_t lo = 0, hi = nconns, mid;

	*found = 0;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (conns[mid]->evcon == evcon) {
			*found = 1;
			return mid;
		}
		if ((const void *)conns[mid]->evcon < (const void *)evcon)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Accept while neither at the bound nor backing off. */
static void
connections_listen(struct daemon *d)
{
	struct evconnlistener *l;
	int want = !full && !backoff_on;

	if (d->listener == NULL || want == listening)
		return;
	l = evhttp_bound_socket_get_listener(d->listener);
	if (want)
		evconnlistener_enable(l);
	else
		evconnlistener_disable(l);
	listening = want;
}

static void
connections_check_full(struct daemon *d)
{
	int now = (int)nconns >= d->current->config->max_connections;

	if (now && !full)
		log_warnx("%zu connections open: not accepting more for now",
		    nconns);
	full = now;
	connections_listen(d);
}

/* How many open connections come from addr. */
static int
connections_of(const char *addr)
{
	size_t i;
	int n = 0;

	for (i = 0; i < nconns; i++)
		if (strcmp(conns[i]->addr, addr) == 0)
			n++;
	return n;
}

static void
connections_closed(struct evhttp_connection *evcon, void *arg)
{
	struct daemon *d = arg;
	struct connections_conn *c;
	size_t i;
	int found;

	i = connections_find(evcon, &found);
	if (!found)
		return;
	c = conns[i];
	memmove(&conns[i], &conns[i + 1], (nconns - i - 1) * sizeof *conns);
	nconns--;
	event_free(c->deadline);
	free(c);
	connections_check_full(d);
}

/* The whole request did not come in time: close the connection. */
static void
connections_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct connections_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->busy)
		return;
	cut_deadline++;
	log_debug("%s: no whole request within %d ms: closed", c->addr,
	    c->daemon->current->config->request_deadline_ms);
	evhttp_connection_free(c->evcon);       /* connections_closed frees c */
}

static void
connections_arm(struct connections_conn *c)
{
	int ms = c->daemon->current->config->request_deadline_ms;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(c->deadline, &tv);
}

/*
 * Send each answer as soon as it is written. evhttp writes the headers and
 * the body separately; with Nagle's algorithm the body of a larger answer
 * then waits for the client's delayed ACK, about 40 ms on Linux.
 */
static void
connections_nodelay(struct bufferevent *bev)
{
	evutil_socket_t fd = bufferevent_getfd(bev);
	int on = 1;

	if (fd != -1 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
	    sizeof on) == -1)
		log_debug("TCP_NODELAY: %s", strerror(errno));
}

/* Count a new connection, or close it when its address has too many. */
static void
connections_adopt(struct daemon *d, struct evhttp_connection *evcon,
    struct bufferevent *bev)
{
	int cap = d->current->config->connections_per_address, found;
	struct connections_conn *c;
	char *addr = NULL;
	ev_uint16_t port;
	size_t i;

	evhttp_connection_get_peer(evcon, &addr, &port);
	if (addr == NULL)
		addr = "";
	if (cap > 0 && connections_of(addr) >= cap) {
		if (refused_address++ % 1000 == 0)
			log_warnx("%s has %d connections open: closing more "
			    "(%lu so far)", addr, cap, refused_address);
		evhttp_connection_free(evcon);
		return;
	}
	i = connections_find(evcon, &found);
	if (found)
		return;
	c = xcalloc(1, sizeof *c);
	c->evcon = evcon;
	c->daemon = d;
	snprintf(c->addr, sizeof c->addr, "%s", addr);
	c->deadline = evtimer_new(d->base, connections_deadline, c);
	if (nconns == connssize) {
		connssize = connssize ? connssize * 2 : 64;
		conns = xreallocarray(conns, connssize, sizeof *conns);
	}
	memmove(&conns[i + 1], &conns[i], (nconns - i) * sizeof *conns);
	conns[i] = c;
	nconns++;
	evhttp_connection_set_closecb(evcon, connections_closed, d);
	connections_nodelay(bev);
	connections_arm(c);
	connections_check_full(d);
}

/* The connections accepted on the last loop pass: adopt them. */
static void
connections_adopt_fresh(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct bufferevent *bev;
	bufferevent_event_cb eventcb;
	void *cbarg;
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < nfresh; i++) {
		bev = fresh[i];
		cbarg = NULL;
		bufferevent_getcb(bev, NULL, NULL, &eventcb, &cbarg);
		/* evhttp freed it meanwhile: its callbacks are gone. */
		if (eventcb != NULL && cbarg != NULL &&
		    bufferevent_getfd(bev) != -1)
			connections_adopt(d, cbarg, bev);
		bufferevent_decref(bev);
	}
	nfresh = 0;
}

/* evhttp's bufferevent for a connection it has just accepted. */
static struct bufferevent *
connections_bev(struct event_base *base, void *arg)
{
	struct bufferevent *bev;

	(void)arg;
	backoff_ms = 0;         /* accept works again */
	if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL)
		return NULL;
	if (nfresh == freshsize) {
		freshsize = freshsize ? freshsize * 2 : 64;
		fresh = xreallocarray(fresh, freshsize, sizeof *fresh);
	}
	bufferevent_incref(bev);
	fresh[nfresh++] = bev;
	event_active(adopt_ev, EV_TIMEOUT, 1);
	return bev;
}

static void
connections_backoff_over(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	backoff_on = 0;
	connections_listen(d);
}

/* accept failed: pause the listener when it is for want of descriptors. */
static void
connections_accept_error(struct evconnlistener *l, void *arg)
{
	struct daemon *d = arg;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv;

	(void)l;
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
		log_warnx("accept: %s", strerror(err));
		return;
	}
	if (accept_failures++ % 100 == 0)
		log_warnx("accept: %s: pausing (%lu times so far)",
		    strerror(err), accept_failures);
	backoff_ms = backoff_ms > 0 ? backoff_ms * 2 :
	    CONNECTIONS_BACKOFF_MIN_MS;
	if (backoff_ms > CONNECTIONS_BACKOFF_MAX_MS)
		backoff_ms = CONNECTIONS_BACKOFF_MAX_MS;
	backoff_on = 1;
	connections_listen(d);
	tv.tv_sec = backoff_ms / 1000;
	tv.tv_usec = (backoff_ms % 1000) * 1000;
	evtimer_add(backoff_ev, &tv);
}

/* Count the connections of d's listener from accept (http.c, at start). */
void
connections_start(struct daemon *d)
{
	adopt_ev = event_new(d->base, -1, 0, connections_adopt_fresh, d);
	backoff_ev = evtimer_new(d->base, connections_backoff_over, d);
	evhttp_set_bevcb(d->http, connections_bev, d);
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(
	    d->listener), connections_accept_error);
}

/* The one completed answer of c's request: the next request's deadline. */
static void
connections_answered(struct evhttp_request *req, void *arg)
{
	struct connections_conn *c = arg;

	(void)req;
	c->busy = 0;
	connections_arm(c);
}

/* A whole request is in (http.c): its deadline stops until it is answered. */
void
connections_note(struct daemon *d, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct connections_conn *c;
	size_t i;
	int found;

	(void)d;
	if (evcon == NULL)
		return;
	i = connections_find(evcon, &found);
	if (!found)
		return;
	c = conns[i];
	c->busy = 1;
	evtimer_del(c->deadline);
	evhttp_request_set_on_complete_cb(req, connections_answered, c);
}

/* How many connections are open now (for /metrics). */
size_t
connections_open(void)
{
	return nconns;
}

/* Connections closed for their address, or cut at the deadline. */
unsigned long
connections_refused(void)
{
	return refused_address;
}

unsigned long
connections_cut(void)
{
	return cut_deadline;
}

void
connections_free(void)
{
	size_t i;

	for (i = 0; i < nfresh; i++)
		bufferevent_decref(fresh[i]);
	free(fresh);
	fresh = NULL;
	nfresh = freshsize = 0;
	for (i = 0; i < nconns; i++) {
		event_free(conns[i]->deadline);
		free(conns[i]);
	}
	free(conns);
	conns = NULL;
	nconns = connssize = 0;
	if (adopt_ev != NULL)
		event_free(adopt_ev);
	if (backoff_ev != NULL)
		event_free(backoff_ev);
	adopt_ev = backoff_ev = NULL;
}
