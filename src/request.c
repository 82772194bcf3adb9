/*
 * request.c -- one HTTP request from dispatch to answer: its deadline, its
 * Redis commands, its query and body, and the one way to answer (JSON, or
 * a page's HTML through its route).
 *
 * Every request gets a struct request that lives until it has been answered
 * AND every Redis command it sent has come back: hiredis cannot cancel a
 * queued callback, so a request answered early (deadline, client error) is
 * kept until its last reply arrives and is dropped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

/* One Redis command in flight for a request. */
struct request_call {
	struct request *r;
	request_reply_fn fn;
	request_reply_arg_fn fn_arg;  /* instead of fn, with arg */
	void *arg;                    /* freed (free) after the reply */
};

/*
 * A handler running on behalf of the request's own route (a web page that
 * calls the API, routes_call_api): what to put back, and where the
 * handler's answer goes instead of the client.
 */
struct request_caller {
	const struct route *route;
	void *state;
	void (*state_free)(void *);
	request_api_fn done;
};

static void request_timeout(int, short, void *);
static void request_send(struct request *, int, const char *,
    struct evbuffer *);

/* The name of an evhttp method, for logs and metrics. */
/* --- a request's life ---------------------------------------------------- */

const char *
request_method_name(int method)
{
	switch (method) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	default:
		return "OTHER";
	}
}

struct request *
request_new(struct daemon *d, struct evhttp_request *req, int method)
{
	struct request *r = xcalloc(1, sizeof *r);
	struct timeval tv;

	r->req = req;
	r->daemon = d;
	r->method = method;
	r->gen = generation_ref(d);
	r->roster = r->gen->roster;
	r->config = r->gen->config;
	r->calendar = r->gen->calendar;
	r->started = metrics_clock();
	r->timer = evtimer_new(d->base, request_timeout, r);
	tv.tv_sec = r->config->request_timeout_ms / 1000;
	tv.tv_usec = (r->config->request_timeout_ms % 1000) * 1000;
	evtimer_add(r->timer, &tv);
	d->inflight++;
	return r;
}

static void
request_free(struct request *r)
{
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->has_query)
		evhttp_clear_headers(&r->query);
	if (r->state_free != NULL && r->state != NULL)
		r->state_free(r->state);
	if (r->caller != NULL) {
		if (r->caller->state_free != NULL && r->caller->state != NULL)
			r->caller->state_free(r->caller->state);
		free(r->caller);
	}
	generation_unref(r->gen);
	request_held_drop(r);
	free(r->body);
	free(r);
}

/* Free the request once it is answered and no store reply is pending. */
static void
request_release(struct request *r)
{
	if (r->answered && r->pending == 0)
		request_free(r);
}

/*
 * Keep r past its answer for something other than a Redis command of its
 * own that will come back to it (ledger_cache.c's shared reads). Each hold
 * ends with request_drop, which returns 1 when r still awaits its answer,
 * or 0 when it was answered meanwhile (r may be gone: touch it no more).
 */
void
request_hold(struct request *r)
{
	r->pending++;
}

int
request_drop(struct request *r)
{
	r->pending--;
	if (r->answered) {
		request_release(r);
		return 0;
	}
	return 1;
}

/*
 * The handler run for a caller (request_call) answered: put the caller's
 * route and data back and give it the answer instead of the client. r is
 * held while the caller runs, since the handler's caller releases it when
 * we return.
 */
static void
request_hand_back(struct request *r, int status, struct evbuffer *body)
{
	struct request_caller *c = r->caller;
	size_t len = evbuffer_get_length(body);
	char *text = xmalloc(len + 1);

	evbuffer_copyout(body, text, len);
	text[len] = '\0';
	if (r->state_free != NULL && r->state != NULL)
		r->state_free(r->state);
	r->route = c->route;
	r->state = c->state;
	r->state_free = c->state_free;
	r->caller = NULL;
	r->pending++;
	c->done(r, status, text);
	r->pending--;
	free(c);
	free(text);
}

/*
 * Run route's handler on r's behalf, as if its user had sent json (with
 * idempotency_key, if not NULL); done gets the handler's status and body
 * instead of the client, with r's own route and state back in place.
 */
void
request_call(struct request *r, const struct route *route, const char *json,
    const char *idempotency_key, request_api_fn done)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(r->req);
	struct request_caller *c = xcalloc(1, sizeof *c);

	evhttp_remove_header(in, "Content-Type");
	evhttp_add_header(in, "Content-Type", "application/json");
	evhttp_remove_header(in, "Idempotency-Key");
	if (idempotency_key != NULL)
		evhttp_add_header(in, "Idempotency-Key", idempotency_key);
	free(r->body);
	r->body = xstrdup(json);
	r->bodylen = strlen(json);
	c->route = r->route;
	c->state = r->state;
	c->state_free = r->state_free;
	c->done = done;
	r->caller = c;
	r->route = route;
	r->state = NULL;
	r->state_free = NULL;
	route->handler(r);
}

/* --- answering ----------------------------------------------------------- */

/*
 * Who is asking is not confirmed yet (r->confirm, auth.c): keep the answer
 * and let confirm decide, once, whether it goes (request_held_send) or
 * another replaces it (request_held_drop). A 503 is never held: it says
 * the store cannot confirm anything now. r is held meanwhile, so that a
 * confirm that answers at once cannot free it under our caller.
 */
static void
request_held_keep(struct request *r, int status, const char *type,
    struct evbuffer *body)
{
	void (*confirm)(struct request *) = r->confirm;

	r->confirm = NULL;
	request_held_drop(r);
	r->held = evbuffer_new();
	evbuffer_add_buffer(r->held, body);
	r->held_status = status;
	r->held_type = xstrdup(type);
	r->pending++;
	confirm(r);
	r->pending--;
}

/* Send the answer kept by request_held_keep. */
void
request_held_send(struct request *r)
{
	struct evbuffer *buf = r->held;
	char *type = r->held_type;

	if (buf == NULL)
		return;
	r->held = NULL;
	r->held_type = NULL;
	request_send(r, r->held_status, type, buf);
	evbuffer_free(buf);
	free(type);
	request_release(r);
}

/* Forget the answer kept by request_held_keep, if any. */
void
request_held_drop(struct request *r)
{
	if (r->held != NULL)
		evbuffer_free(r->held);
	free(r->held_type);
	r->held = NULL;
	r->held_type = NULL;
}

static void
request_send(struct request *r, int status, const char *type,
    struct evbuffer *body)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(r->req);
	const char *reason;

	if (r->answered)
		return;
	if (r->caller != NULL) {
		request_hand_back(r, status, body);
		return;
	}
	if (r->confirm != NULL && status != 503) {
		request_held_keep(r, status, type, body);
		return;
	}
	r->answered = 1;
	r->status = status;
	r->daemon->inflight--;
	evtimer_del(r->timer);
	evhttp_add_header(out, "Content-Type", type);
	if (evhttp_find_header(out, "Cache-Control") == NULL)
		evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	if (r->daemon->draining)
		evhttp_add_header(out, "Connection", "close");
	if (r->method == EVHTTP_REQ_HEAD)
		evbuffer_drain(body, evbuffer_get_length(body));
	switch (status) {
	case 200: reason = "OK"; break;
	case 201: reason = "Created"; break;
	case 202: reason = "Accepted"; break;
	case 204: reason = "No Content"; break;
	case 303: reason = "See Other"; break;
	case 304: reason = "Not Modified"; break;
	default: reason = NULL; break;
	}
	metrics_count(r->route ? r->route->name : "other",
	    request_method_name(r->method), status);
	metrics_round_trips(r->route ? r->route->name : "other",
	    r->round_trips);
	metrics_observe(METRICS_HTTP, r->route ? r->route->name : "other",
	    metrics_clock() - r->started);
	evhttp_send_reply(r->req, status, reason, body);
	r->req = NULL;
}

/* Answer with a JSON document, which is freed. */
void
request_reply_json(struct request *r, int status, cJSON *json)
{
	struct evbuffer *buf = evbuffer_new();
	char *text;

	text = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	evbuffer_add(buf, text, strlen(text));
	evbuffer_add(buf, "\n", 1);
	free(text);
	request_send(r, status, "application/json; charset=utf-8", buf);
	evbuffer_free(buf);
	request_release(r);
}

/* Answer with text already formatted, of the given content type. */
void
request_reply_raw(struct request *r, int status, const char *type,
    const char *text)
{
	struct evbuffer *buf = evbuffer_new();

	evbuffer_add(buf, text, strlen(text));
	request_send(r, status, type, buf);
	evbuffer_free(buf);
	request_release(r);
}

/* Answer with len bytes of data (a file), of the given content type. */
void
request_reply_data(struct request *r, int status, const char *type,
    const char *data, size_t len)
{
	struct evbuffer *buf = evbuffer_new();

	evbuffer_add(buf, data, len);
	request_send(r, status, type, buf);
	evbuffer_free(buf);
	request_release(r);
}

/*
 * The one error answer: {"error":{"code","message","field"?}}, and when
 * more than one field of the body is at fault (e, or NULL), "errors": each
 * of them, the first included, as {"field","code","message"}.
 */
static void
request_error_all(struct request *r, int status, const char *code,
    const char *message, const char *field, const struct api_error *e)
{
	cJSON *root, *error, *list, *one;
	int i;

	/* A page answers in HTML, unless it is waiting for the API. */
	if (r->route != NULL && r->route->error != NULL && r->caller == NULL) {
		r->route->error(r, status, message);
		return;
	}
	root = cJSON_CreateObject();
	/* /healthz answers {"status": ...} whatever made it fail. */
	if (r->route != NULL && (r->route->roles & ROUTE_STATUS))
		cJSON_AddStringToObject(root, "status", status == 503 ?
		    "unavailable" : "error");
	error = cJSON_AddObjectToObject(root, "error");

	cJSON_AddStringToObject(error, "code", code);
	cJSON_AddStringToObject(error, "message", message);
	if (field != NULL && *field != '\0')
		cJSON_AddStringToObject(error, "field", field);
	if (e != NULL && e->nmore > 0) {
		list = cJSON_AddArrayToObject(error, "errors");
		for (i = -1; i < e->nmore; i++) {
			one = cJSON_CreateObject();
			cJSON_AddStringToObject(one, "field", i < 0 ? e->field :
			    e->more[i].field);
			cJSON_AddStringToObject(one, "code", i < 0 ? e->code :
			    e->more[i].code);
			cJSON_AddStringToObject(one, "message", i < 0 ?
			    e->message : e->more[i].message);
			cJSON_AddItemToArray(list, one);
		}
	}
	request_reply_json(r, status, root);
}

void
request_error(struct request *r, int status, const char *code,
    const char *message, const char *field)
{
	request_error_all(r, status, code, message, field, NULL);
}

void
request_fail(struct request *r, const struct api_error *e)
{
	if (e->status == 429 || e->status == 503)
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Retry-After", "1");
	request_error_all(r, e->status, e->code, e->message, e->field, e);
}

/* --- Redis commands and the deadline ------------------------------------- */

static void
request_timeout(int fd, short what, void *arg)
{
	struct request *r = arg;

	log_warnx("%s %s: no answer from redis in %d ms",
	    request_method_name(r->method), r->route ? r->route->name : "?",
	    r->config->request_timeout_ms);
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Retry-After", "1");
	request_error(r, 503, "unavailable", "the store did not answer in time",
	    NULL);
}

/*
 * Answer a store reply that is no answer: none (Redis gone, 503), or an
 * error reply (503 when it means "not now", else 500). Returns 0 for a
 * reply the handler is to read, -1 having answered.
 */
int
request_store_check(struct request *r, const redisReply *reply)
{
	if (reply == NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Retry-After", "1");
		request_error(r, 503, "unavailable", "the store is unavailable",
		    NULL);
	} else if (store_reply_is_error(r->daemon->store, reply)) {
		if (store_reply_unavailable(reply)) {
			/* Not now: a failover, or replicas behind (SPEC 13). */
			evhttp_add_header(evhttp_request_get_output_headers(
			    r->req), "Retry-After", "1");
			request_error(r, 503, "unavailable", "the store cannot "
			    "confirm the change yet; retry with the same "
			    "Idempotency-Key", NULL);
		} else
			request_error(r, 500, "internal", "the store refused "
			    "the request", NULL);
	} else
		return 0;
	return -1;
}

static void
request_store_done(redisAsyncContext *c, void *reply, void *privdata)
{
	struct request_call *call = privdata;
	struct request *r = call->r;
	request_reply_fn fn = call->fn;

	r->pending--;
	if (r->answered) {
		free(call->arg);
		free(call);
		request_release(r);
		return;
	}
	if (request_store_check(r, reply) == 0) {
		if (call->fn_arg != NULL)
			call->fn_arg(r, reply, call->arg);
		else
			fn(r, reply);
	}
	free(call->arg);
	free(call);
}

static int
request_store_failed(struct request *r, struct request_call *call)
{
	free(call->arg);
	free(call);
	r->pending--;
	if (r->answered)        /* an earlier command of the same step failed */
		return -1;
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Retry-After", "1");
	request_error(r, 503, "unavailable", "the store is unavailable", NULL);
	return -1;
}

/*
 * One more command for r. Commands sent while another is outstanding
 * share its round trip (pipelined); one sent when none is, waits anew.
 */
void
request_round_trip(struct request *r)
{
	if (r->pending++ == 0)
		r->round_trips++;
}

/*
 * Send a Redis command for this request; fn runs with the reply unless the
 * request was answered meanwhile. Returns -1 having answered 503 when Redis
 * is down: the caller just returns.
 */
int
request_store(struct request *r, request_reply_fn fn, int argc,
    const char **argv, const size_t *lens)
{
	struct request_call *call = xcalloc(1, sizeof *call);

	call->r = r;
	call->fn = fn;
	request_round_trip(r);
	if (store_command(r->daemon->store, request_store_done, call, argc, argv,
	    lens) == -1)
		return request_store_failed(r, call);
	return 0;
}

/* Like request_store, for one of the Lua scripts. */
int
request_script(struct request *r, enum store_script_id id, request_reply_fn fn,
    int argc, const char **argv, const size_t *lens)
{
	struct request_call *call = xcalloc(1, sizeof *call);

	call->r = r;
	call->fn = fn;
	request_round_trip(r);
	if (store_script(r->daemon->store, id, request_store_done, call, argc,
	    argv, lens) == -1)
		return request_store_failed(r, call);
	return 0;
}

/*
 * Like request_script, for code that runs under any handler and so cannot
 * use r->state (ledger_cache.c): fn also gets arg, which is freed (free)
 * after fn returns, or when the reply is dropped.
 */
int
request_script_arg(struct request *r, enum store_script_id id,
    request_reply_arg_fn fn, void *arg, int argc, const char **argv,
    const size_t *lens)
{
	struct request_call *call = xcalloc(1, sizeof *call);

	call->r = r;
	call->fn_arg = fn;
	call->arg = arg;
	request_round_trip(r);
	if (store_script(r->daemon->store, id, request_store_done, call, argc,
	    argv, lens) == -1)
		return request_store_failed(r, call);
	return 0;
}

/* --- what the client sent ------------------------------------------------ */

const char *
request_query(struct request *r, const char *name)
{
	if (!r->has_query)
		return NULL;
	return evhttp_find_header(&r->query, name);
}

/*
 * Refuse query parameters not in allowed (NULL-terminated), or repeated.
 * Returns 0, or -1 having answered 400.
 */
int
request_check_query(struct request *r, const char *const *allowed)
{
	struct evkeyval *kv, *other;
	char msg[160];
	size_t i;

	if (!r->has_query)
		return 0;
	TAILQ_FOREACH(kv, &r->query, next) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(kv->key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			snprintf(msg, sizeof msg, "unknown query parameter");
			request_error(r, 400, "bad_request", msg, kv->key);
			return -1;
		}
		for (other = TAILQ_NEXT(kv, next); other != NULL;
		    other = TAILQ_NEXT(other, next)) {
			if (strcmp(kv->key, other->key) == 0) {
				request_error(r, 400, "bad_request",
				    "query parameter given twice", kv->key);
				return -1;
			}
		}
	}
	return 0;
}

/* The address the request came from ("" when unknown). */
const char *
request_peer(struct request *r)
{
	struct evhttp_connection *c = evhttp_request_get_connection(r->req);
	char *addr = NULL;
	ev_uint16_t port;

	if (c != NULL)
		evhttp_connection_get_peer(c, &addr, &port);
	return addr != NULL ? addr : "";
}

const char *
request_header(struct request *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    name);
}

/* Is the Content-Type JSON in UTF-8? */
int
request_is_json(struct request *r)
{
	const char *type = request_header(r, "Content-Type");
	const char *p;

	if (type == NULL)
		return 0;
	if (strncasecmp(type, "application/json", 16) != 0)
		return 0;
	p = type + 16;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 1;
	if (*p != ';')
		return 0;
	p++;
	while (*p == ' ')
		p++;
	return strcasecmp(p, "charset=utf-8") == 0 ||
	    strcasecmp(p, "charset=\"utf-8\"") == 0;
}

/* Copy the body, NUL-terminated; -1 having answered 413 when too large. */
int
request_read_body(struct request *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	size_t len = evbuffer_get_length(in);

	if (len > r->config->max_body) {
		request_error(r, 413, "too_large", "the request body is too large",
		    NULL);
		return -1;
	}
	r->body = xmalloc(len + 1);
	evbuffer_remove(in, r->body, len);
	r->body[len] = '\0';
	r->bodylen = len;
	return 0;
}
