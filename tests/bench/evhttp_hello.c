/*
 * evhttp_hello.c -- the benchmark baseline: a bare libevent evhttp server
 * that answers every request at once with 200 {"ok":true}.
 *
 * usage: evhttp_hello PORT    (listens on 127.0.0.1:PORT until SIGTERM/SIGINT)
 *
 * Built by tests/bench/run with: cc evhttp_hello.c $(pkg-config --cflags --libs libevent)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

static void
hello_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *buf = evhttp_request_get_output_buffer(req);

	(void)arg;
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json; charset=utf-8");
	evbuffer_add(buf, "{\"ok\":true}", 11);
	evhttp_send_reply(req, 200, "OK", NULL);
}

static void
stop_cb(evutil_socket_t sig, short events, void *arg)
{
	(void)sig;
	(void)events;
	event_base_loopbreak(arg);
}

int
main(int argc, char **argv)
{
	struct event_base *base;
	struct evhttp *http;
	struct event *sigterm, *sigint;
	char *end;
	long port;

	if (argc != 2) {
		fprintf(stderr, "usage: evhttp_hello PORT\n");
		return 2;
	}
	port = strtol(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || port < 1 || port > 65535) {
		fprintf(stderr, "evhttp_hello: bad port: %s\n", argv[1]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL || (http = evhttp_new(base)) == NULL) {
		fprintf(stderr, "evhttp_hello: out of memory\n");
		return 1;
	}
	evhttp_set_timeout(http, 30);
	evhttp_set_gencb(http, hello_cb, NULL);
	if (evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)port) != 0) {
		fprintf(stderr, "evhttp_hello: cannot bind 127.0.0.1:%ld\n", port);
		return 1;
	}
	sigterm = evsignal_new(base, SIGTERM, stop_cb, base);
	sigint = evsignal_new(base, SIGINT, stop_cb, base);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	event_base_dispatch(base);
	event_free(sigterm);
	event_free(sigint);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
