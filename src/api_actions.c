/*
 * api_actions.c -- what happens to an issue after its tasks: the officer
 * confirms (回访, with satisfaction) or reopens it; an admin overrides its
 * category or re-routes it. Each runs in workflow.lua and answers with the
 * issue as it is afterwards.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"
#include "daemon.h"

/* r->state of a confirm that closes the issue when the store agrees. */
static const char api_actions_closes[] = "closes";
static const char *const confirm_fields[] = { "satisfaction", "comment",
    NULL };
static const char *const reopen_fields[] = { "reason", NULL };
static const char *const classify_fields[] = { "category", "reason", NULL };
static const char *const route_fields[] = { "departments", "reason", NULL };
static const char *const satisfactions[] = { "satisfied", "basic",
    "unsatisfied", NULL };

#define REASON_MAX 500

/* The action ran: answer with the issue as it is now. */
static void
api_actions_done(struct request *r, redisReply *reply)
{
	if (api_workflow_refused(r, reply))
		return;
	/* A closed issue is nobody's common issue any more (SPEC §14). */
	if (r->state == api_actions_closes)
		similar_window_remove(window_index(r->daemon->window),
		    r->param);
	api_issues_fetch(r, r->param);
}

/* A string field that must be one of allowed; -1 with e filled. */
static int
api_actions_choice(const cJSON *body, const char *name, const char *const *allowed,
    const char **out, struct api_error *e)
{
	if (validate_get_string(body, name, "", 1, 32, out, e) == -1)
		return -1;
	if (!api_one_of(*out, allowed)) {
		validate_error_set(e, 422, "invalid", name,
		    "not one of the allowed "
		    "values");
		return -1;
	}
	return 0;
}

/* The departments of a route: 1 or more known ids, each once. */
static int
api_actions_departments(struct request *r, const cJSON *body, cJSON *payload,
    struct api_error *e)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(body,
	    "departments"), *d, *seen;
	cJSON *out;

	if (list == NULL) {
		validate_error_set(e, 422, "invalid", "departments",
		    "this field is "
		    "required");
		return -1;
	}
	if (!cJSON_IsArray(list)) {
		validate_error_set(e, 400, "bad_request", "departments",
		    "must be an array of department ids");
		return -1;
	}
	if (cJSON_GetArraySize(list) == 0 ||
	    (size_t)cJSON_GetArraySize(list) > r->roster->ndepartments) {
		validate_error_set(e, 422, "invalid", "departments",
		    "name 1 to %zu "
		    "departments", r->roster->ndepartments);
		return -1;
	}
	out = cJSON_AddArrayToObject(payload, "departments");
	cJSON_ArrayForEach(d, list) {
		if (!cJSON_IsString(d)) {
			validate_error_set(e, 400, "bad_request", "departments",
			    "must be an array of department ids");
			return -1;
		}
		if (roster_department(r->roster, d->valuestring) == NULL) {
			validate_error_set(e, 422, "invalid", "departments",
			    "no such department: %.64s", d->valuestring);
			return -1;
		}
		for (seen = list->child; seen != d; seen = seen->next) {
			if (strcmp(seen->valuestring, d->valuestring) == 0) {
				validate_error_set(e, 422, "invalid",
				    "departments",
				    "%.64s is named twice", d->valuestring);
				return -1;
			}
		}
		cJSON_AddItemToArray(out, cJSON_CreateString(d->valuestring));
	}
	return 0;
}

/* Check the body of action into payload; -1 with e filled. */
static int
api_actions_parse(struct request *r, const char *action, const cJSON *body,
    cJSON *payload, struct api_error *e)
{
	const char *a = NULL, *b = NULL;

	if (strcmp(action, "confirm") == 0) {
		if (api_actions_choice(body, "satisfaction", satisfactions, &a,
		    e) == -1 || validate_get_string(body, "comment", "", 0,
		    REASON_MAX, &b, e) == -1)
			return -1;
		/* 不满意 sends the issue back: the department must know why. */
		if (strcmp(a, "unsatisfied") == 0 && (b == NULL || *b == '\0')) {
			validate_error_set(e, 422, "invalid", "comment",
			    "a reason is "
			    "required when unsatisfied: the issue goes back to "
			    "its departments with it");
			return -1;
		}
		cJSON_AddStringToObject(payload, "satisfaction", a);
		cJSON_AddStringToObject(payload, "comment", b ? b : "");
		return 0;
	}
	if (strcmp(action, "classify") == 0 && api_actions_choice(body, "category",
	    issue_categories, &a, e) == -1)
		return -1;
	if (strcmp(action, "route") == 0 &&
	    api_actions_departments(r, body, payload, e) == -1)
		return -1;
	if (validate_get_string(body, "reason", "", 1, REASON_MAX, &b, e) == -1)
		return -1;
	if (a != NULL)
		cJSON_AddStringToObject(payload, "category", a);
	cJSON_AddStringToObject(payload, "reason", b);
	return 0;
}

/* POST /api/v1/issues/{id}/confirm|reopen|classify|route */
void
api_actions_issue(struct request *r)
{
	const char *action = r->route->arg;
	const char *const *fields;
	struct api_error e;
	cJSON *body, *payload;

	if (!api_id_valid(r->param, 'I')) {
		request_error(r, 404, "not_found", "no such issue", NULL);
		return;
	}
	if (strcmp(action, "confirm") == 0)
		fields = confirm_fields;
	else if (strcmp(action, "reopen") == 0)
		fields = reopen_fields;
	else if (strcmp(action, "classify") == 0)
		fields = classify_fields;
	else
		fields = route_fields;
	if ((body = api_body_object(r, fields)) == NULL)
		return;
	payload = api_workflow_payload(r);
	cJSON_AddStringToObject(payload, "issue", r->param);
	if (r->role == ROLE_OFFICER)
		cJSON_AddStringToObject(payload, "officer", r->actor_id);
	if (api_actions_parse(r, action, body, payload, &e) == -1) {
		cJSON_Delete(body);
		cJSON_Delete(payload);
		request_fail(r, &e);
		return;
	}
	cJSON_Delete(body);
	/* Any answer but 不满意 closes the issue: see api_actions_done. */
	if (strcmp(action, "confirm") == 0 && strcmp(cJSON_GetStringValue(
	    cJSON_GetObjectItem(payload, "satisfaction")), "unsatisfied") != 0) {
		r->state = (void *)api_actions_closes;
		r->state_free = NULL;
	}
	api_workflow_run(r, action, payload, api_actions_done, 0, NULL);
}
