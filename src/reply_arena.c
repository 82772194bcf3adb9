/*
 * reply_arena.c -- hiredis replies built in one block of memory each.
 *
 * hiredis's own reader makes every element of a reply two allocations
 * (the redisReply and its string) and frees them one by one when the
 * callback returns: for the webhook engine's claims (a delivery, its task
 * and its issues as flat field lists) and the group commit's answers that
 * was about a third of the daemon's instructions per report, in malloc and
 * free. These functions build the same redisReply tree out of a few large
 * chunks, the first holding the root, and free it in one go (the first
 * chunk kept for the next reply).
 *
 * Only for a reader whose replies are freed by hiredis itself (the async
 * connections of store.c and outbox_watch.c: a reply lives until its
 * callback returns); what must outlive the callback is copied with
 * store_reply_copy, whose tree is freeReplyObject's as before. hiredis calls
 * freeObject on the root only, which is all this needs.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "liaison.h"

#define REPLY_ARENA_FIRST 8192     /* the first chunk, header and root included:
                                      a webhook claim's reply fits */
#define REPLY_ARENA_MORE 16384     /* the least a further chunk holds */
#define REPLY_ARENA_LARGEST (1 << 20) /* chunks grow by doubling up to this */

struct reply_arena_chunk {
	struct reply_arena_chunk *next;
	/* then the chunk's bytes */
};

/* At the start of the first chunk: the root reply is the header's. */
struct reply_arena {
	struct reply_arena_chunk *more;  /* further chunks, newest first */
	char *next;                      /* free space of the newest chunk */
	char *end;
	size_t size;                     /* the newest chunk's size */
	redisReply root;
};

/*
 * The first chunk of the last reply freed on this thread, for the next
 * one: most replies then cost no allocation at all (a chunk of this size
 * is too large for malloc's quick lists). One chunk a thread at most.
 */
static __thread struct reply_arena *reply_arena_spare;

/* The arena whose root is r. */
static struct reply_arena *
reply_arena_of_root(redisReply *r)
{
	return (struct reply_arena *)((char *)r -
	    offsetof(struct reply_arena, root));
}

/* n bytes, 8-aligned, from a's chunks; a new chunk when they are full. */
static void *
reply_arena_take(struct reply_arena *a, size_t n)
{
	struct reply_arena_chunk *c;
	size_t size;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if ((size_t)(a->end - a->next) < n) {
		size = a->size * 2;
		if (size < REPLY_ARENA_MORE)
			size = REPLY_ARENA_MORE;
		if (size > REPLY_ARENA_LARGEST)
			size = REPLY_ARENA_LARGEST;
		if (size < n + sizeof *c)
			size = n + sizeof *c;
		c = xmalloc(size);
		c->next = a->more;
		a->more = c;
		a->size = size;
		a->next = (char *)(c + 1);
		a->end = (char *)c + size;
	}
	p = a->next;
	a->next += n;
	return p;
}

/*
 * The reply for task, and in *ap its arena: the root in a new arena, any
 * other element from its root's (the root is made before its elements;
 * a task's own obj is set only when this returns), linked into its parent
 * as hiredis's own reader does.
 */
static redisReply *
reply_arena_new(const redisReadTask *task, int type, struct reply_arena **ap)
{
	const redisReadTask *t;
	struct reply_arena *a;
	redisReply *r, *parent;

	if (task->parent == NULL) {
		if ((a = reply_arena_spare) != NULL)
			reply_arena_spare = NULL;
		else
			a = xmalloc(REPLY_ARENA_FIRST);
		a->more = NULL;
		a->next = (char *)(a + 1);
		a->end = (char *)a + REPLY_ARENA_FIRST;
		a->size = REPLY_ARENA_FIRST;
		r = &a->root;
	} else {
		for (t = task->parent; t->parent != NULL; t = t->parent)
			;
		a = reply_arena_of_root(t->obj);
		r = reply_arena_take(a, sizeof *r);
		parent = task->parent->obj;
		parent->element[task->idx] = r;
	}
	memset(r, 0, sizeof *r);
	r->type = type;
	*ap = a;
	return r;
}

static void *
reply_arena_string(const redisReadTask *task, char *str, size_t len)
{
	struct reply_arena *a;
	redisReply *r = reply_arena_new(task, task->type, &a);

	r->str = reply_arena_take(a, len + 1);
	memcpy(r->str, str, len);
	r->str[len] = '\0';
	r->len = len;
	return r;
}

static void *
reply_arena_array(const redisReadTask *task, int elements)
{
	struct reply_arena *a;
	redisReply *r = reply_arena_new(task, REDIS_REPLY_ARRAY, &a);

	if (elements > 0) {
		r->element = reply_arena_take(a,
		    (size_t)elements * sizeof *r->element);
		memset(r->element, 0, (size_t)elements * sizeof *r->element);
	}
	r->elements = elements;
	return r;
}

static void *
reply_arena_integer(const redisReadTask *task, long long value)
{
	struct reply_arena *a;
	redisReply *r = reply_arena_new(task, REDIS_REPLY_INTEGER, &a);

	r->integer = value;
	return r;
}

static void *
reply_arena_nil(const redisReadTask *task)
{
	struct reply_arena *a;

	return reply_arena_new(task, REDIS_REPLY_NIL, &a);
}

/* Free a root reply and everything in it. */
static void
reply_arena_free(void *root)
{
	struct reply_arena *a;
	struct reply_arena_chunk *c;

	if (root == NULL)
		return;
	a = reply_arena_of_root(root);
	while ((c = a->more) != NULL) {
		a->more = c->next;
		free(c);
	}
	if (reply_arena_spare == NULL)
		reply_arena_spare = a;
	else
		free(a);
}

static redisReplyObjectFunctions reply_arena_functions = {
	reply_arena_string,
	reply_arena_array,
	reply_arena_integer,
	reply_arena_nil,
	reply_arena_free
};

/*
 * Make reader build its replies in arenas. Only before its first reply,
 * and only for a reader whose replies hiredis frees (not one whose
 * caller calls freeReplyObject: that would free an arena's pieces).
 */
void
reply_arena_use(redisReader *reader)
{
	reader->fn = &reply_arena_functions;
}
