/*
 * validate.c -- checking request bodies before anything is stored: a body
 * must be valid UTF-8 JSON holding one object, without \u0000 escapes (cJSON
 * would silently cut the string there), with only known fields of the right
 * types. Each failure fills a struct api_error naming the field.
 *
 * The roster file is JSON too and obeys the same two rules, no \u0000 and
 * only known fields, each once: roster_json.c finds them with
 * validate_find_nul_escape and validate_find_bad_field and words its own
 * messages.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"

/* Fill e: the status to answer, a machine code, a message and the field. */
void
validate_error_set(struct api_error *e, int status, const char *code,
    const char *field, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->code = code;
	e->nmore = 0;
	snprintf(e->field, sizeof e->field, "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

/*
 * Collect the error one of a body's fields got (one) into e, counting in
 * *n: the first fills e and decides the answer's status, the others follow
 * it in e->more, so that a form can show every field at fault at once.
 */
void
validate_error_add(struct api_error *e, const struct api_error *one, int *n)
{
	if ((*n)++ == 0) {
		*e = *one;
		e->nmore = 0;
		return;
	}
	if (e->nmore == API_ERROR_MORE)
		return;
	e->more[e->nmore].code = one->code;
	memcpy(e->more[e->nmore].message, one->message, sizeof one->message);
	memcpy(e->more[e->nmore].field, one->field, sizeof one->field);
	e->nmore++;
}

/*
 * Return where the JSON text s (len bytes) holds a \u0000 escape inside a
 * string, or NULL if it holds none. cJSON decodes the escape to a NUL and
 * the rest of the string would vanish from view, so request bodies and the
 * roster refuse it. This only follows string boundaries and escapes; cJSON
 * does the parsing.
 */
const char *
validate_find_nul_escape(const char *s, size_t len)
{
	size_t i;
	int in_string = 0;

	for (i = 0; i < len; i++) {
		if (!in_string) {
			if (s[i] == '"')
				in_string = 1;
			continue;
		}
		if (s[i] == '"') {
			in_string = 0;
		} else if (s[i] == '\\' && i + 1 < len) {
			if (s[i + 1] == 'u' && i + 5 < len &&
			    strncmp(s + i + 2, "0000", 4) == 0)
				return s + i;
			i++;
		}
	}
	return NULL;
}

/*
 * Parse a request body that must be one JSON object: the len bytes at body,
 * never one more (a fuzzer's input has no NUL after it). Returns the object
 * (caller frees with cJSON_Delete) or NULL with e filled.
 */
cJSON *
validate_parse_object(const char *body, size_t len, struct api_error *e)
{
	const char *end = NULL;
	cJSON *json;

	if (len == 0) {
		validate_error_set(e, 400, "bad_request", NULL,
		    "the body is empty");
		return NULL;
	}
	if (memchr(body, '\0', len) != NULL || !utf8_valid(body, len)) {
		validate_error_set(e, 400, "bad_request", NULL,
		    "the body is not valid UTF-8 text");
		return NULL;
	}
	if (validate_find_nul_escape(body, len) != NULL) {
		validate_error_set(e, 400, "bad_request", NULL,
		    "strings may not contain \\u0000");
		return NULL;
	}
	json = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	/* Nothing but what cJSON skips as white space may follow. */
	while (json != NULL && end < body + len && (unsigned char)*end <= 32)
		end++;
	if (json != NULL && end != body + len) {
		cJSON_Delete(json);
		json = NULL;
	}
	if (json == NULL) {
		validate_error_set(e, 400, "bad_request", NULL,
		    "the body is not valid JSON (at byte %zu)",
		    end != NULL && end >= body ? (size_t)(end - body) : (size_t)0);
		return NULL;
	}
	if (!cJSON_IsObject(json)) {
		cJSON_Delete(json);
		validate_error_set(e, 400, "bad_request", NULL,
		    "the body must be a JSON object");
		return NULL;
	}
	return json;
}

/*
 * Return the first member of obj, in document order, that allowed
 * (NULL-terminated) does not name or that repeats the name of an earlier
 * member, with *twice set to 1 for a repeat and 0 for an unknown name; NULL
 * when every member is allowed and given once. Request bodies and the
 * roster word their refusals differently, so this only finds the member.
 */
const cJSON *
validate_find_bad_field(const cJSON *obj, const char *const *allowed,
    int *twice)
{
	const cJSON *item, *earlier;
	uint64_t given = 0;
	size_t i;

	cJSON_ArrayForEach(item, obj) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(item->string, allowed[i]) == 0)
				break;
		*twice = allowed[i] != NULL;
		if (!*twice)
			return item;
		/* A repeat matched the same allowed name: a bit a name, no
		 * compare with every earlier member (a million roster
		 * entries come here). */
		if (i < 64) {
			if (given & (uint64_t)1 << i)
				return item;
			given |= (uint64_t)1 << i;
			continue;
		}
		for (earlier = obj->child; earlier != item;
		    earlier = earlier->next) {
			if (strcmp(earlier->string, item->string) == 0)
				return item;
		}
	}
	return NULL;
}

/*
 * Refuse members of obj not named in allowed (NULL-terminated) and members
 * given twice. prefix names obj in messages ("" for the body, "items[3]").
 */
int
validate_check_fields(const cJSON *obj, const char *const *allowed,
    const char *prefix, struct api_error *e)
{
	const cJSON *item;
	char field[64];
	int twice;

	if ((item = validate_find_bad_field(obj, allowed, &twice)) == NULL)
		return 0;
	snprintf(field, sizeof field, "%s%s%s", prefix, *prefix ? "." : "",
	    item->string);
	validate_error_set(e, 400, "bad_request", field, twice ?
	    "field given twice" : "unknown field");
	return -1;
}

/*
 * Get string member name of obj into *out (pointing into obj). Missing:
 * an error when required, else *out = NULL. Longer than max characters, or
 * empty when required: 422.
 */
int
validate_get_string(const cJSON *obj, const char *name, const char *prefix,
    int required, size_t max, const char **out, struct api_error *e)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	char field[64];
	size_t n;

	snprintf(field, sizeof field, "%s%s%s", prefix, *prefix ? "." : "",
	    name);
	*out = NULL;
	if (item == NULL) {
		if (!required)
			return 0;
		validate_error_set(e, 422, "invalid", field,
		    "this field is required");
		return -1;
	}
	if (!cJSON_IsString(item)) {
		validate_error_set(e, 400, "bad_request", field,
		    "must be a string");
		return -1;
	}
	n = utf8_length(item->valuestring);
	if (required && n == 0) {
		validate_error_set(e, 422, "invalid", field,
		    "may not be empty");
		return -1;
	}
	if (n > max) {
		validate_error_set(e, 422, "invalid", field,
		    "longer than %zu characters", max);
		return -1;
	}
	*out = item->valuestring;
	return 0;
}

/* Get optional boolean member name of obj; *out is left alone if absent. */
int
validate_get_bool(const cJSON *obj, const char *name, const char *prefix,
    int *out,
    struct api_error *e)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	char field[64];

	if (item == NULL)
		return 0;
	if (!cJSON_IsBool(item)) {
		snprintf(field, sizeof field, "%s%s%s", prefix,
		    *prefix ? "." : "", name);
		validate_error_set(e, 400, "bad_request", field,
		    "must be true or false");
		return -1;
	}
	*out = cJSON_IsTrue(item);
	return 0;
}
