/*
 * api.c -- what the API's handlers share: the paging and period query
 * parameters, id and enumeration checks, and reading a JSON body with
 * only the fields a route allows.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"
#include "daemon.h"

/*
 * Parse ?limit= and ?offset=; -1 having answered 422 when out of range.
 */
int
api_page(struct request *r, char *limit, char *offset, size_t len)
{
	const char *l = request_query(r, "limit");
	const char *o = request_query(r, "offset");
	char *end;
	long n;

	snprintf(limit, len, "%d", r->config->list_limit < 100 ?
	    r->config->list_limit : 100);
	snprintf(offset, len, "0");
	if (l != NULL) {
		n = strtol(l, &end, 10);
		if (*l == '\0' || *end != '\0' || n < 1 ||
		    n > r->config->list_limit) {
			request_error(r, 422, "invalid", "limit must be a number "
			    "from 1 to the configured list_limit", "limit");
			return -1;
		}
		snprintf(limit, len, "%ld", n);
	}
	if (o != NULL) {
		n = strtol(o, &end, 10);
		if (*o == '\0' || *end != '\0' || n < 0 || n > 1000000) {
			request_error(r, 422, "invalid", "offset must be a "
			    "number from 0", "offset");
			return -1;
		}
		snprintf(offset, len, "%ld", n);
	}
	return 0;
}

/*
 * Parse ?period= into buf; the current period when absent and want_default.
 * Returns 1 when a period is in buf, 0 when none, -1 having answered 422.
 */
int
api_period(struct request *r, char *buf, int want_default)
{
	const char *p = request_query(r, "period");
	struct period period;

	if (p == NULL) {
		if (!want_default)
			return 0;
		period_of_time(time(NULL), &period);
	} else if (period_parse(p, &period) == -1) {
		request_error(r, 422, "invalid", "not a period: use YYYY-MM-1 or "
		    "YYYY-MM-2", "period");
		return -1;
	}
	period_format(&period, buf);
	return 1;
}

/* Is id a letter followed by 1 to 18 digits, like "I42"? */
int
api_id_valid(const char *id, char letter)
{
	size_t n = strlen(id);

	return n >= 2 && n <= 19 && id[0] == letter &&
	    strspn(id + 1, "0123456789") == n - 1;
}

int
api_one_of(const char *v, const char *const *allowed)
{
	size_t i;

	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(v, allowed[i]) == 0)
			return 1;
	return 0;
}

/*
 * The answer {"name": [...]} to a script's list reply, with *list the
 * array to fill; NULL having answered 500 when the reply is no list.
 */
cJSON *
api_list_answer(struct request *r, const redisReply *reply, const char *name,
    cJSON **list)
{
	cJSON *root;

	if (reply->type != REDIS_REPLY_ARRAY) {
		request_error(r, 500, "internal", "unexpected store reply", NULL);
		return NULL;
	}
	root = cJSON_CreateObject();
	*list = cJSON_AddArrayToObject(root, name);
	return root;
}

/* 0 if the body is declared JSON, or -1 having answered 415. */
int
api_json_body(struct request *r)
{
	if (request_is_json(r))
		return 0;
	request_error(r, 415, "unsupported_media_type", "send "
	    "Content-Type: application/json (UTF-8)", NULL);
	return -1;
}

/* The calling officer, or NULL having answered 403 (gone from the roster). */
const struct officer *
api_officer(struct request *r)
{
	const struct officer *o = roster_officer(r->roster, r->actor_id);

	if (o == NULL)
		request_error(r, 403, "forbidden", "this officer is no longer "
		    "in the roster", NULL);
	return o;
}

/*
 * The JSON object body of a changing request, with only the allowed
 * fields. Returns NULL having answered 415 or 400.
 */
cJSON *
api_body_object(struct request *r, const char *const *fields)
{
	struct api_error e;
	cJSON *json;

	if (api_json_body(r) == -1)
		return NULL;
	if ((json = validate_parse_object(r->body, r->bodylen, &e)) == NULL ||
	    validate_check_fields(json, fields, "", &e) == -1) {
		cJSON_Delete(json);
		request_fail(r, &e);
		return NULL;
	}
	return json;
}

/*
 * Check an Idempotency-Key header (NULL: none sent): 1 to 128 printable
 * ASCII characters. 0 if it may be used, or -1 having answered 400.
 */
int
api_idempotency_key(struct request *r, const char *key)
{
	size_t n, i;

	if (key == NULL)
		return 0;
	n = strlen(key);
	for (i = 0; i < n && isprint((unsigned char)key[i]); i++)
		;
	if (n == 0 || n > 128 || i < n) {
		request_error(r, 400, "bad_request", "an Idempotency-Key is 1 to "
		    "128 printable ASCII characters", "Idempotency-Key");
		return -1;
	}
	return 0;
}
