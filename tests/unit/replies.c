/*
 * replies.c -- Redis replies built by hand for the unit tests (replies.h).
 * They are freed with reply_free, never with hiredis's freeReplyObject.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replies.h"

/* An empty array with room for n elements. */
redisReply *
reply_array(size_t n)
{
	redisReply *r = calloc(1, sizeof *r);

	assert_non_null(r);
	r->type = REDIS_REPLY_ARRAY;
	r->element = calloc(n + 1, sizeof *r->element);
	assert_non_null(r->element);
	return r;
}

redisReply *
reply_string(const char *s)
{
	redisReply *r = calloc(1, sizeof *r);

	assert_non_null(r);
	r->type = REDIS_REPLY_STRING;
	r->str = strdup(s);
	r->len = strlen(s);
	return r;
}

void
reply_push(redisReply *a, redisReply *e)
{
	a->element[a->elements++] = e;
}

/* A flat hash from "field=value" strings, NULL-terminated (at most 32). */
redisReply *
reply_hash(const char *first, ...)
{
	redisReply *r = reply_array(64);
	const char *kv;
	va_list ap;
	char *eq;

	va_start(ap, first);
	for (kv = first; kv != NULL; kv = va_arg(ap, const char *)) {
		eq = strchr(kv, '=');
		assert_non_null(eq);
		assert_true(r->elements + 2 <= 64);
		reply_push(r, reply_string(""));
		free(r->element[r->elements - 1]->str);
		r->element[r->elements - 1]->str = strndup(kv, eq - kv);
		reply_push(r, reply_string(eq + 1));
	}
	va_end(ap);
	return r;
}

void
reply_free(redisReply *r)
{
	size_t i;

	if (r->type == REDIS_REPLY_ARRAY) {
		for (i = 0; i < r->elements; i++)
			reply_free(r->element[i]);
		free(r->element);
	}
	free(r->str);
	free(r);
}
