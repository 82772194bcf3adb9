/*
 * http.c -- the HTTP front: evhttp set-up and limits, the routing table,
 * authentication, per-request deadlines and the one way to answer (JSON).
 *
 * Every request gets a struct request that lives until it has been answered
 * AND every Redis command it sent has come back: hiredis cannot cancel a
 * queued callback, so a request answered early (deadline, client error) is
 * kept until its last reply arrives and is dropped.
 */
#include "config.h"

#include <ctype.h>
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

#define METHODS_GET (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)
#define ROLES_WORK ((1 << ROLE_DEPARTMENT) | (1 << ROLE_ADMIN))
#define PAGE_OFFICER (ROUTE_PAGE | 1 << ROLE_OFFICER)
#define PAGE_DEPARTMENT (ROUTE_PAGE | 1 << ROLE_DEPARTMENT)

static const struct route routes[] = {
	{ "/healthz", METHODS_GET, 0, api_healthz, "/healthz", NULL },
	{ "/metrics", METHODS_GET, 0, api_metrics, "/metrics", NULL },
	{ "/api/v1/me", METHODS_GET, ROLE_ANY, api_me, "/api/v1/me", NULL },
	{ "/api/v1/reports", METHODS_GET | EVHTTP_REQ_POST, ROLE_ANY,
	    api_reports, "/api/v1/reports", NULL },
	{ "/api/v1/issues", METHODS_GET, ROLE_ANY, api_issues,
	    "/api/v1/issues", NULL },
	{ "/api/v1/issues/*", METHODS_GET, ROLE_ANY, api_issue,
	    "/api/v1/issues/{id}", NULL },
	{ "/api/v1/issues/*/confirm", EVHTTP_REQ_POST, 1 << ROLE_OFFICER,
	    api_issue_action, "/api/v1/issues/{id}/confirm", "confirm" },
	{ "/api/v1/issues/*/reopen", EVHTTP_REQ_POST, 1 << ROLE_OFFICER,
	    api_issue_action, "/api/v1/issues/{id}/reopen", "reopen" },
	{ "/api/v1/issues/*/classify", EVHTTP_REQ_POST, 1 << ROLE_ADMIN,
	    api_issue_action, "/api/v1/issues/{id}/classify", "classify" },
	{ "/api/v1/issues/*/route", EVHTTP_REQ_POST, 1 << ROLE_ADMIN,
	    api_issue_action, "/api/v1/issues/{id}/route", "route" },
	{ "/api/v1/departments/*/queue", METHODS_GET, ROLES_WORK, api_queue,
	    "/api/v1/departments/{dept}/queue", NULL },
	{ "/api/v1/departments/*/claim", EVHTTP_REQ_POST, 1 << ROLE_DEPARTMENT,
	    api_claim_next, "/api/v1/departments/{dept}/claim", NULL },
	{ "/api/v1/tasks/*", METHODS_GET, ROLES_WORK, api_task,
	    "/api/v1/tasks/{id}", NULL },
	{ "/api/v1/tasks/*/claim", EVHTTP_REQ_POST, 1 << ROLE_DEPARTMENT,
	    api_task_step, "/api/v1/tasks/{id}/claim", "claim" },
	{ "/api/v1/tasks/*/respond", EVHTTP_REQ_POST, 1 << ROLE_DEPARTMENT,
	    api_task_step, "/api/v1/tasks/{id}/respond", "respond" },
	{ "/api/v1/tasks/*/resolve", EVHTTP_REQ_POST, 1 << ROLE_DEPARTMENT,
	    api_task_step, "/api/v1/tasks/{id}/resolve", "resolve" },
	{ "/api/v1/tasks/*/return", EVHTTP_REQ_POST, 1 << ROLE_DEPARTMENT,
	    api_task_step, "/api/v1/tasks/{id}/return", "return" },
	{ "/api/v1/ledger", METHODS_GET, 0, api_ledger, "/api/v1/ledger",
	    NULL },
	{ "/api/v1/ledger.xlsx", METHODS_GET, ROLES_WORK,
	    api_ledger_file, "/api/v1/ledger.xlsx", "xlsx" },
	{ "/api/v1/ledger.csv", METHODS_GET, ROLES_WORK,
	    api_ledger_file, "/api/v1/ledger.csv", "csv" },
	{ "/api/v1/deliveries", METHODS_GET, 1 << ROLE_ADMIN, api_deliveries,
	    "/api/v1/deliveries", NULL },
	{ "/api/v1/deliveries/*/retry", EVHTTP_REQ_POST, 1 << ROLE_ADMIN,
	    api_delivery_retry, "/api/v1/deliveries/{id}/retry", NULL },
	{ "/api/v1/digests", EVHTTP_REQ_POST, 1 << ROLE_ADMIN, api_digests,
	    "/api/v1/digests", NULL },
	/* The web pages (web*.c): session cookie, form bodies, HTML. */
	{ "/form", METHODS_GET, PAGE_OFFICER, web_form, "/form", NULL },
	{ "/form/report", EVHTTP_REQ_POST, PAGE_OFFICER, web_form_report,
	    "/form/report", "report" },
	{ "/form/zero", EVHTTP_REQ_POST, PAGE_OFFICER, web_form_report,
	    "/form/zero", "zero" },
	{ "/form/confirm", EVHTTP_REQ_POST, PAGE_OFFICER, web_form_action,
	    "/form/confirm", "confirm" },
	{ "/form/reopen", EVHTTP_REQ_POST, PAGE_OFFICER, web_form_action,
	    "/form/reopen", "reopen" },
	{ "/dept", METHODS_GET, PAGE_DEPARTMENT, web_dept, "/dept", NULL },
	{ "/dept/claim", EVHTTP_REQ_POST, PAGE_DEPARTMENT, web_dept_step,
	    "/dept/claim", "claim" },
	{ "/dept/respond", EVHTTP_REQ_POST, PAGE_DEPARTMENT, web_dept_step,
	    "/dept/respond", "respond" },
	{ "/dept/resolve", EVHTTP_REQ_POST, PAGE_DEPARTMENT, web_dept_step,
	    "/dept/resolve", "resolve" },
	{ "/dept/return", EVHTTP_REQ_POST, PAGE_DEPARTMENT, web_dept_step,
	    "/dept/return", "return" },
	{ "/ledger", METHODS_GET, ROUTE_PAGE, web_ledger, "/ledger", NULL },
	{ "/login", EVHTTP_REQ_POST, ROUTE_PAGE, web_login, "/login", NULL },
	{ "/logout", EVHTTP_REQ_POST, ROUTE_PAGE | ROLE_ANY, web_logout,
	    "/logout", NULL },
	{ "/static/*", METHODS_GET, ROUTE_PAGE, web_static, "/static", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL }
};

struct request_call {
	struct request *r;
	request_reply_fn fn;
};

static const struct route *routes_find(const char *, int, char *, size_t);

/* The name of an evhttp method, for logs and metrics. */
const char *
http_method_name(int method)
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

const char *
role_name(enum role role)
{
	switch (role) {
	case ROLE_OFFICER:
		return "officer";
	case ROLE_DEPARTMENT:
		return "department";
	case ROLE_ADMIN:
		return "admin";
	default:
		return "none";
	}
}

enum role
role_parse(const char *s)
{
	if (strcmp(s, "officer") == 0)
		return ROLE_OFFICER;
	if (strcmp(s, "department") == 0)
		return ROLE_DEPARTMENT;
	if (strcmp(s, "admin") == 0)
		return ROLE_ADMIN;
	return ROLE_NONE;
}

/*
 * Does pattern match path? A '*' matches one non-empty path segment, which
 * is copied to param.
 */
static int
route_match(const char *pattern, const char *path, char *param, size_t len)
{
	const char *star = strchr(pattern, '*');
	size_t prefix, seg;

	if (star == NULL)
		return strcmp(pattern, path) == 0;
	prefix = star - pattern;
	if (strncmp(pattern, path, prefix) != 0)
		return 0;
	path += prefix;
	seg = strcspn(path, "/");
	if (seg == 0 || seg >= len || strcmp(path + seg, star + 1) != 0)
		return 0;
	memcpy(param, path, seg);
	param[seg] = '\0';
	return 1;
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
	web_free(r->web);
	free(r->ledger_fetch);
	generation_unref(r->gen);
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
 * The API answered a page that called it (request_call_api): give the
 * answer to the page instead of the client. r is held while the page runs,
 * since the API's caller releases it when we return.
 */
static void
request_hand_back(struct request *r, int status, struct evbuffer *body)
{
	request_api_fn fn = r->api_done;
	size_t len = evbuffer_get_length(body);
	char *text = xmalloc(len + 1);

	evbuffer_copyout(body, text, len);
	text[len] = '\0';
	r->api_done = NULL;
	r->route = r->page_route;
	r->pending++;
	fn(r, status, text);
	r->pending--;
	free(text);
}

static void
request_send(struct request *r, int status, const char *type,
    struct evbuffer *body)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(r->req);
	const char *reason;

	if (r->answered)
		return;
	if (r->api_done != NULL) {
		request_hand_back(r, status, body);
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
	metrics_count(r->route ? r->route->name : "other", r->method, status);
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

/* The one error answer: {"error":{"code","message","field"?}}. */
void
request_error(struct request *r, int status, const char *code,
    const char *message, const char *field)
{
	cJSON *root;
	cJSON *error;

	/* A page answers in HTML, unless it is waiting for the API. */
	if (r->route != NULL && (r->route->roles & ROUTE_PAGE) &&
	    r->api_done == NULL) {
		web_error(r, status, message);
		return;
	}
	root = cJSON_CreateObject();
	/* /healthz answers {"status": ...} whatever made it fail. */
	if (r->route != NULL && r->route->handler == api_healthz)
		cJSON_AddStringToObject(root, "status", status == 503 ?
		    "unavailable" : "error");
	error = cJSON_AddObjectToObject(root, "error");

	cJSON_AddStringToObject(error, "code", code);
	cJSON_AddStringToObject(error, "message", message);
	if (field != NULL && *field != '\0')
		cJSON_AddStringToObject(error, "field", field);
	request_reply_json(r, status, root);
}

void
request_fail(struct request *r, const struct api_error *e)
{
	if (e->status == 429 || e->status == 503)
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Retry-After", "1");
	request_error(r, e->status, e->code, e->message, e->field);
}

static void
request_timeout(int fd, short what, void *arg)
{
	struct request *r = arg;

	log_warnx("%s %s: no answer from redis in %d ms",
	    http_method_name(r->method), r->route ? r->route->name : "?",
	    r->config->request_timeout_ms);
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Retry-After", "1");
	request_error(r, 503, "unavailable", "the store did not answer in time",
	    NULL);
}

static void
request_store_done(redisAsyncContext *c, void *reply, void *privdata)
{
	struct request_call *call = privdata;
	struct request *r = call->r;
	request_reply_fn fn = call->fn;

	free(call);
	r->pending--;
	if (r->answered) {
		request_release(r);
		return;
	}
	if (reply == NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Retry-After", "1");
		request_error(r, 503, "unavailable", "the store is unavailable",
		    NULL);
		return;
	}
	if (store_reply_is_error(r->daemon->store, reply)) {
		request_error(r, 500, "internal", "the store refused the request",
		    NULL);
		return;
	}
	fn(r, reply);
}

static int
request_store_failed(struct request *r, struct request_call *call)
{
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
 * Send a Redis command for this request; fn runs with the reply unless the
 * request was answered meanwhile. Returns -1 having answered 503 when Redis
 * is down: the caller just returns.
 */
int
request_store(struct request *r, request_reply_fn fn, int argc,
    const char **argv, const size_t *lens)
{
	struct request_call *call = xmalloc(sizeof *call);

	call->r = r;
	call->fn = fn;
	r->pending++;
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
	struct request_call *call = xmalloc(sizeof *call);

	call->r = r;
	call->fn = fn;
	r->pending++;
	if (store_script(r->daemon->store, id, request_store_done, call, argc,
	    argv, lens) == -1)
		return request_store_failed(r, call);
	return 0;
}

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

const char *
request_header(struct request *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    name);
}

/*
 * Run the API's POST route for path on behalf of the page r, as if its
 * signed-in user had sent json (with idempotency_key, if not NULL). done
 * gets the API's status and body instead of the client; the page answers.
 * Returns -1 (nothing sent) when no such route is open to r's role.
 */
int
request_call_api(struct request *r, const char *path, const char *json,
    const char *idempotency_key, request_api_fn done)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(r->req);
	const struct route *rt;

	rt = routes_find(path, EVHTTP_REQ_POST, r->param, sizeof r->param);
	if (rt == NULL || (rt->roles & ROUTE_PAGE) ||
	    !(rt->roles & (1 << r->role)))
		return -1;
	evhttp_remove_header(in, "Content-Type");
	evhttp_add_header(in, "Content-Type", "application/json");
	evhttp_remove_header(in, "Idempotency-Key");
	if (idempotency_key != NULL)
		evhttp_add_header(in, "Idempotency-Key", idempotency_key);
	free(r->body);
	r->body = xstrdup(json);
	r->bodylen = strlen(json);
	r->page_route = r->route;
	r->route = rt;
	r->api_done = done;
	rt->handler(r);
	return 0;
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

static void
request_authenticated(struct request *r, redisReply *reply)
{
	const char *role = NULL, *id = NULL;
	char retry[16];
	size_t i;
	int limit = r->config->rate_per_minute;
	int wait;

	if (reply->type != REDIS_REPLY_ARRAY) {
		request_error(r, 500, "internal", "bad token record", NULL);
		return;
	}
	for (i = 0; i + 1 < reply->elements; i += 2) {
		const char *k = reply->element[i]->str;

		if (strcmp(k, "role") == 0)
			role = reply->element[i + 1]->str;
		else if (strcmp(k, "id") == 0)
			id = reply->element[i + 1]->str;
	}
	if (role == NULL || id == NULL || strlen(id) >= sizeof r->actor_id) {
		request_error(r, 401, "unauthorized", "unknown or revoked token",
		    NULL);
		return;
	}
	r->role = role_parse(role);
	strcpy(r->actor_id, id);
	if (!(r->route->roles & (1 << r->role))) {
		request_error(r, 403, "forbidden",
		    "this token's role may not use this resource", NULL);
		return;
	}
	if (limit > 0 && (wait = ratelimit_hit(r->daemon->ratelimit,
	    r->token_hash, limit, time(NULL))) > 0) {
		snprintf(retry, sizeof retry, "%d", wait);
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Retry-After", retry);
		request_error(r, 429, "rate_limited",
		    "too many requests for this token; try again later", NULL);
		return;
	}
	r->route->handler(r);
}

/* Look the bearer token up by its hash, then run the handler. */
static void
request_authenticate(struct request *r)
{
	const char *auth = request_header(r, "Authorization");
	const char *token, *argv[2];
	char key[256];
	size_t n;

	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "WWW-Authenticate", "Bearer");
		request_error(r, 401, "unauthorized",
		    "an Authorization: Bearer token is required", NULL);
		return;
	}
	token = auth + 7;
	while (*token == ' ')
		token++;
	n = strlen(token);
	if (n < 8 || n > 128 || strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_.~+/=") != n) {
		request_error(r, 401, "unauthorized", "malformed token", NULL);
		return;
	}
	token_hash(token, r->token_hash);
	snprintf(key, sizeof key, "%stoken:%s", r->config->redis_prefix,
	    r->token_hash);
	argv[0] = "HGETALL";
	argv[1] = key;
	request_store(r, request_authenticated, 2, argv, NULL);
}

/* The methods any route allows on path, as an Allow header value. */
static int
routes_allowed(const char *path, char *param, size_t len, char *allow,
    size_t allowlen)
{
	const struct route *rt;
	int methods = 0;

	for (rt = routes; rt->pattern != NULL; rt++)
		if (route_match(rt->pattern, path, param, len))
			methods |= rt->methods;
	snprintf(allow, allowlen, "%s%s",
	    (methods & EVHTTP_REQ_GET) ? "GET, HEAD" : "",
	    (methods & EVHTTP_REQ_POST) ?
	    ((methods & EVHTTP_REQ_GET) ? ", POST" : "POST") : "");
	return methods;
}

static const struct route *
routes_find(const char *path, int method, char *param, size_t len)
{
	const struct route *rt;

	for (rt = routes; rt->pattern != NULL; rt++)
		if ((rt->methods & method) &&
		    route_match(rt->pattern, path, param, len))
			return rt;
	return NULL;
}

/* Copy the body, NUL-terminated; -1 having answered 413 when too large. */
static int
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

static struct request *
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
	r->timer = evtimer_new(d->base, request_timeout, r);
	tv.tv_sec = r->config->request_timeout_ms / 1000;
	tv.tv_usec = (r->config->request_timeout_ms % 1000) * 1000;
	evtimer_add(r->timer, &tv);
	d->inflight++;
	return r;
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
		web_dispatch(r);
		return;
	}
	if (r->route->roles == 0 &&
	    !(r->route->handler == api_metrics && !r->config->metrics_public)) {
		r->route->handler(r);
		return;
	}
	request_authenticate(r);
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
