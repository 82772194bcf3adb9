/*
 * http.c -- the HTTP server: evhttp set-up and its limits, the listener,
 * and the dispatcher every request enters by: find its route (routes.c),
 * then hand it to the web pages (web.c), to the bearer-token check
 * (auth.c), or straight to an open route's handler.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "liaison.h"
#include "daemon.h"

/*
 * The routes that need no token (the public ledger, its page, /healthz,
 * /metrics, sign-in) count per address: [limits] address_per_minute. Who
 * has a token is counted by it (auth.c). Returns 1 having answered 429.
 */
static int
http_open_over(struct request *r)
{
	int limit = r->config->address_per_minute, wait;
	char key[TOKEN_HASH_LEN + 1], retry[16];

	if (limit <= 0 || (r->route->roles & ROLE_ANY) != 0)
		return 0;
	snprintf(key, sizeof key, "open:%s", request_peer(r));
	if ((wait = ratelimit_hit(r->daemon->ratelimit, key, limit,
	    time(NULL))) <= 0)
		return 0;
	snprintf(retry, sizeof retry, "%d", wait);
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Retry-After", retry);
	request_error(r, 429, "rate_limited", "too many requests from this "
	    "address; try again later", NULL);
	return 1;
}

/* Every request enters here (evhttp's generic callback). */
static void
http_dispatch(struct evhttp_request *req, void *arg)
{
	struct daemon *d = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = evhttp_uri_get_path(uri);
	const char *query = evhttp_uri_get_query(uri);
	int method = evhttp_request_get_command(req);
	struct request *r;
	char allow[64];

	connections_note(d, req);
	r = request_new(d, req, method);
	if (path == NULL || *path == '\0')
		path = "/";
	if (d->draining) {
		request_error(r, 503, "unavailable", "the server is stopping",
		    NULL);
		return;
	}
	r->route = routes_find(path, method, r->param, sizeof r->param);
	if (r->route == NULL) {
		if (routes_allowed(path, r->param, sizeof r->param, allow,
		    sizeof allow) == 0) {
			request_error(r, 404, "not_found", "no such resource",
			    NULL);
			return;
		}
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", allow);
		request_error(r, 405, "method_not_allowed",
		    "method not allowed on this resource", NULL);
		return;
	}
	if (http_open_over(r))
		return;
	if (query != NULL) {
		if (evhttp_parse_query_str(query, &r->query) != 0) {
			request_error(r, 400, "bad_request",
			    "malformed query string", NULL);
			return;
		}
		r->has_query = 1;
	}
	if (request_read_body(r) == -1)
		return;
	if (r->route->roles & ROUTE_PAGE) {
		web_session_dispatch(r);
		return;
	}
	if ((r->route->roles & ROLE_ANY) == 0 &&
	    !(r->route->handler == api_misc_metrics &&
	    !r->config->metrics_public)) {
		r->route->handler(r);
		return;
	}
	auth_bearer(r);
}

/* Apply the limits of the current config (at start and on reload). */
void
http_configure(struct daemon *d)
{
	const struct config *cfg = d->current->config;

	/*
	 * evhttp answers an oversized body itself, in HTML, and drops the
	 * connection. Its limit sits well above ours so that a body just
	 * over max_body gets our JSON 413; the larger bound still holds.
	 */
	evhttp_set_max_body_size(d->http, (ev_ssize_t)cfg->max_body * 4 + 4096);
	evhttp_set_max_headers_size(d->http, (ev_ssize_t)cfg->max_headers);
	evhttp_set_timeout(d->http, cfg->idle_timeout_s);
	evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	evhttp_set_default_content_type(d->http,
	    "application/json; charset=utf-8");
}

/* Bind the listener of the config; -1 with *cause when it cannot. */
int
http_start(struct daemon *d, char **cause)
{
	d->http = evhttp_new(d->base);
	if (d->http == NULL) {
		xasprintf(cause, "evhttp_new failed");
		return -1;
	}
	http_configure(d);
	evhttp_set_gencb(d->http, http_dispatch, d);
	d->listener = evhttp_bind_socket_with_handle(d->http,
	    d->current->config->listen_host,
	    (ev_uint16_t)d->current->config->listen_port);
	if (d->listener == NULL) {
		xasprintf(cause, "cannot listen on %s port %d",
		    d->current->config->listen_host,
		    d->current->config->listen_port);
		return -1;
	}
	connections_start(d);
	return 0;
}

/* Stop accepting connections (on SIGTERM); open ones are drained. */
void
http_stop_listening(struct daemon *d)
{
	if (d->listener != NULL) {
		evhttp_del_accept_socket(d->http, d->listener);
		d->listener = NULL;
	}
}
