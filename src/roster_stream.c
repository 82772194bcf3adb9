/*
 * roster_stream.c -- roster JSON read as a stream: yajl's parser turns the
 * text, fed in pieces of any size, into cJSON one entry at a time. Each
 * entry of the "enterprises" and "officers" arrays (roster_json_streamed)
 * goes to roster_json_entry and is freed; the rest of the document is
 * kept as one small tree for roster_json_end. So a province's roster (150
 * MB of text) is never held whole, as text or as a tree.
 *
 * What the text itself may not be is said here, as roster_json.c's cJSON
 * parse said it: "NAME: line N: not valid JSON", "junk after the JSON
 * document", "\u0000 is not allowed in a string"; nesting deeper than
 * cJSON's limit is not valid JSON either. Strings are not checked for
 * UTF-8 here: roster.c's roster_text_problem names the field at fault.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <yajl/yajl_parse.h>

#include "liaison.h"

/*
 * A streamed entry is made in two pools emptied when it has been read and
 * reused for the next: its names and strings (blocks of
 * ROSTER_STREAM_POOL bytes, or one string's size) and its cJSON items
 * (roster_items.c). A million entries then cost no malloc and no free
 * each; cJSON_Delete never sees them.
 */
#define ROSTER_STREAM_POOL (64 * 1024)

/* One block of the string pool. */
struct roster_stream_block {
	struct roster_stream_block *next;
	size_t size;
	size_t used;
	char data[];
};

struct roster_stream {
	const char *name;           /* for messages */
	struct roster_json *rj;
	yajl_handle yajl;
	cJSON *root;                /* the document, less streamed entries */
	cJSON **stack;              /* open containers; NULL: a streamed array */
	size_t depth;
	size_t alloc;
	char *key;                  /* a member name waiting for its value */
	int key_pooled;             /* it is in the pool, not allocated */
	enum roster_array which;    /* of the streamed array open */
	int discard;                /* its entries are dropped (a repeat) */
	int pass_over;              /* entries read as JSON only, never built */
	int done;                   /* the document's value is complete */
	char *buf;                  /* a scalar, NUL-terminated for cJSON */
	size_t buflen;
	struct roster_stream_block *pool;    /* the entry's strings ... */
	struct roster_stream_block *filling; /* ... its block being filled */
	struct roster_items items;  /* the entry's items */
	const char *chunk;          /* the piece being parsed */
	size_t lines;               /* newlines before it */
	char *cause;                /* what is wrong with the text */
};

/* Return the line (from 1) yajl has read up to in the current piece. */
static size_t
roster_stream_line(const struct roster_stream *rs)
{
	size_t consumed = yajl_get_bytes_consumed(rs->yajl), line, i;

	line = rs->lines + 1;
	for (i = 0; i < consumed; i++) {
		if (rs->chunk[i] == '\n')
			line++;
	}
	return line;
}

/* Set the cause "NAME: line N: what" (the first only); return 0 (stop). */
static int
roster_stream_refuse(struct roster_stream *rs, const char *what)
{
	if (rs->cause == NULL)
		xasprintf(&rs->cause, "%s: line %zu: %s", rs->name,
		    roster_stream_line(rs), what);
	return 0;
}

/* Return 1 if the value being read is (in) an entry of a streamed array. */
static int
roster_stream_in_entry(const struct roster_stream *rs)
{
	return rs->depth >= 2 && rs->stack[1] == NULL;
}

/* Return 1 if the value being read is in an entry passed over. */
static int
roster_stream_passing(const struct roster_stream *rs)
{
	return rs->pass_over && roster_stream_in_entry(rs);
}

/* Return room for size bytes in the string pool, growing it if need be. */
static char *
roster_stream_pool_take(struct roster_stream *rs, size_t size)
{
	struct roster_stream_block *b = rs->filling, **next;
	size_t want;

	while (b != NULL && b->size - b->used < size) {
		b = b->next;
		if (b != NULL)
			b->used = 0;
	}
	if (b == NULL) {
		want = size > ROSTER_STREAM_POOL ? size : ROSTER_STREAM_POOL;
		b = xmalloc(sizeof *b + want);
		b->next = NULL;
		b->size = want;
		b->used = 0;
		/* At the end of the chain, after the blocks passed over. */
		for (next = &rs->pool; *next != NULL; next = &(*next)->next)
			;
		*next = b;
	}
	rs->filling = b;
	b->used += size;
	return b->data + b->used - size;
}

/* Empty both pools once an entry has been read (their blocks are kept). */
static void
roster_stream_pool_reset(struct roster_stream *rs)
{
	rs->filling = rs->pool;
	if (rs->pool != NULL)
		rs->pool->used = 0;
	roster_items_reset(&rs->items);
}

/* Return a new item of the streamed entry, zeroed, of type type. */
static cJSON *
roster_stream_item(struct roster_stream *rs, int type)
{
	return roster_items_new(&rs->items, type);
}

/*
 * Return s (len bytes) NUL-terminated: in the pool (*pooled set) when it
 * is part of a streamed entry, else in rs->buf. NULL if s holds a NUL.
 */
static const char *
roster_stream_text(struct roster_stream *rs, const unsigned char *s,
    size_t len, int *pooled)
{
	char *at;

	*pooled = 0;
	if (memchr(s, '\0', len) != NULL) {
		roster_stream_refuse(rs, "\\u0000 is not allowed in a string");
		return NULL;
	}
	if (roster_stream_passing(rs))
		return "";
	if (roster_stream_in_entry(rs)) {
		at = roster_stream_pool_take(rs, len + 1);
		memcpy(at, s, len);
		at[len] = '\0';
		*pooled = 1;
		return at;
	}
	if (len + 1 > rs->buflen) {
		rs->buflen = len + 1 < 256 ? 256 : len + 1;
		rs->buf = xreallocarray(rs->buf, rs->buflen, 1);
	}
	memcpy(rs->buf, s, len);
	rs->buf[len] = '\0';
	return rs->buf;
}

/* The open container a new value goes into; NULL for none or a streamed array. */
static cJSON *
roster_stream_parent(const struct roster_stream *rs)
{
	return rs->depth > 0 ? rs->stack[rs->depth - 1] : NULL;
}

/* Put a new value where it belongs: the root, or its container's. */
static void
roster_stream_attach(struct roster_stream *rs, cJSON *item)
{
	cJSON *parent = roster_stream_parent(rs);

	if (rs->depth == 0)
		rs->root = item;
	else if (parent == NULL)
		return;              /* a streamed entry: handed over when done */
	else if (cJSON_IsObject(parent) && rs->key_pooled)
		cJSON_AddItemToObjectCS(parent, rs->key, item);
	else if (cJSON_IsObject(parent))
		cJSON_AddItemToObject(parent, rs->key != NULL ? rs->key : "",
		    item);
	else
		cJSON_AddItemToArray(parent, item);
	if (!rs->key_pooled)
		free(rs->key);
	rs->key = NULL;
	rs->key_pooled = 0;
}

/* A value is complete: hand a streamed entry over, or end the document. */
static void
roster_stream_complete(struct roster_stream *rs, cJSON *item)
{
	if (rs->depth == 0) {
		rs->done = 1;
		return;
	}
	if (roster_stream_parent(rs) != NULL)
		return;
	if (!rs->discard)
		roster_json_entry(rs->rj, rs->which, item);
	roster_stream_pool_reset(rs);
}

/* A scalar: attached and complete at once. */
static int
roster_stream_scalar(struct roster_stream *rs, cJSON *item)
{
	roster_stream_attach(rs, item);
	roster_stream_complete(rs, item);
	return 1;
}

/* Open container item (NULL: a streamed array), no deeper than cJSON goes. */
static int
roster_stream_push(struct roster_stream *rs, cJSON *item)
{
	if (rs->depth >= CJSON_NESTING_LIMIT) {
		if (!roster_stream_in_entry(rs))   /* else in the pool */
			cJSON_Delete(item);
		return roster_stream_refuse(rs, "not valid JSON");
	}
	if (item != NULL)
		roster_stream_attach(rs, item);
	if (rs->depth == rs->alloc) {
		rs->alloc = rs->alloc == 0 ? 16 : rs->alloc * 2;
		rs->stack = xreallocarray(rs->stack, rs->alloc,
		    sizeof *rs->stack);
	}
	rs->stack[rs->depth++] = item;
	return 1;
}

/* Close the innermost container. */
static int
roster_stream_pop(struct roster_stream *rs)
{
	cJSON *item = rs->stack[--rs->depth];

	if (item != NULL)
		roster_stream_complete(rs, item);
	return 1;
}

static int
roster_stream_null(void *arg)
{
	struct roster_stream *rs = arg;

	if (roster_stream_passing(rs))
		return 1;
	return roster_stream_scalar(rs, roster_stream_in_entry(rs) ?
	    roster_stream_item(rs, cJSON_NULL) : cJSON_CreateNull());
}

static int
roster_stream_boolean(void *arg, int value)
{
	struct roster_stream *rs = arg;

	if (roster_stream_passing(rs))
		return 1;
	if (!roster_stream_in_entry(rs))
		return roster_stream_scalar(rs, cJSON_CreateBool(value));
	return roster_stream_scalar(rs, roster_stream_item(rs, value ?
	    cJSON_True : cJSON_False));
}

/* A number as cJSON_CreateNumber makes it, in the entry's pool. */
static cJSON *
roster_stream_number_item(struct roster_stream *rs, double value)
{
	cJSON *item = roster_stream_item(rs, cJSON_Number);

	item->valuedouble = value;
	if (value >= INT_MAX)
		item->valueint = INT_MAX;
	else if (value <= (double)INT_MIN)
		item->valueint = INT_MIN;
	else
		item->valueint = (int)value;
	return item;
}

static int
roster_stream_number(void *arg, const char *s, size_t len)
{
	struct roster_stream *rs = arg;
	const char *text;
	int pooled;

	if ((text = roster_stream_text(rs, (const unsigned char *)s, len,
	    &pooled)) == NULL)
		return 0;
	if (roster_stream_passing(rs))
		return 1;
	if (pooled)
		return roster_stream_scalar(rs, roster_stream_number_item(rs,
		    strtod(text, NULL)));
	return roster_stream_scalar(rs, cJSON_CreateNumber(strtod(text,
	    NULL)));
}

static int
roster_stream_string(void *arg, const unsigned char *s, size_t len)
{
	struct roster_stream *rs = arg;
	const char *text;
	int pooled;

	cJSON *item;

	if ((text = roster_stream_text(rs, s, len, &pooled)) == NULL)
		return 0;
	if (roster_stream_passing(rs))
		return 1;
	if (!pooled)
		return roster_stream_scalar(rs, cJSON_CreateString(text));
	item = roster_stream_item(rs, cJSON_String | cJSON_IsReference);
	item->valuestring = (char *)text;
	return roster_stream_scalar(rs, item);
}

static int
roster_stream_start_map(void *arg)
{
	struct roster_stream *rs = arg;

	if (roster_stream_passing(rs))
		return roster_stream_push(rs, NULL);
	return roster_stream_push(rs, roster_stream_in_entry(rs) ?
	    roster_stream_item(rs, cJSON_Object) : cJSON_CreateObject());
}

static int
roster_stream_map_key(void *arg, const unsigned char *s, size_t len)
{
	struct roster_stream *rs = arg;
	const char *text;
	int pooled;

	if ((text = roster_stream_text(rs, s, len, &pooled)) == NULL)
		return 0;
	if (roster_stream_passing(rs))
		return 1;
	if (!rs->key_pooled)
		free(rs->key);
	rs->key = pooled ? (char *)text : xstrdup(text);
	rs->key_pooled = pooled;
	return 1;
}

/*
 * An array: the document's "enterprises" or "officers" is streamed (a
 * repeat of one is only named: the root check refuses it), any other is
 * built.
 */
static int
roster_stream_start_array(void *arg)
{
	struct roster_stream *rs = arg;
	cJSON *parent = roster_stream_parent(rs);

	if (rs->depth == 1 && parent != NULL && rs->key != NULL &&
	    roster_json_streamed(rs->key, &rs->which)) {
		rs->discard = cJSON_GetObjectItemCaseSensitive(parent,
		    rs->key) != NULL;
		roster_stream_attach(rs, cJSON_CreateArray());
		return roster_stream_push(rs, NULL);
	}
	if (roster_stream_passing(rs))
		return roster_stream_push(rs, NULL);
	return roster_stream_push(rs, roster_stream_in_entry(rs) ?
	    roster_stream_item(rs, cJSON_Array) : cJSON_CreateArray());
}

static int
roster_stream_end_container(void *arg)
{
	return roster_stream_pop(arg);
}

static const yajl_callbacks roster_stream_callbacks = {
	.yajl_null = roster_stream_null,
	.yajl_boolean = roster_stream_boolean,
	.yajl_number = roster_stream_number,
	.yajl_string = roster_stream_string,
	.yajl_start_map = roster_stream_start_map,
	.yajl_map_key = roster_stream_map_key,
	.yajl_end_map = roster_stream_end_container,
	.yajl_start_array = roster_stream_start_array,
	.yajl_end_array = roster_stream_end_container,
};

/* Begin reading a roster named name (kept for messages: keep it alive). */
struct roster_stream *
roster_stream_new(const char *name)
{
	struct roster_stream *rs;

	rs = xcalloc(1, sizeof *rs);
	rs->name = name;
	rs->rj = roster_json_begin(name);
	if ((rs->yajl = yajl_alloc(&roster_stream_callbacks, NULL, rs)) == NULL)
		fatalx("roster_stream_new: yajl_alloc failed");
	/* UTF-8 is roster_text_problem's, which names the field. */
	yajl_config(rs->yajl, yajl_dont_validate_strings, 1);
	rs->chunk = "";
	return rs;
}

/*
 * Pass the entries of the streamed arrays over: read as JSON (the text's
 * rules hold, \\u0000 included), never built nor checked; the roster
 * read has none. What liaisonctl's import takes from a base roster is
 * the rest: a million enterprises checked only to be replaced by the
 * sheets' were a quarter of its time.
 */
void
roster_stream_pass_over(struct roster_stream *rs)
{
	rs->pass_over = 1;
}

/* The parser stopped: say why, unless a callback did. */
static void
roster_stream_failed(struct roster_stream *rs)
{
	roster_stream_refuse(rs, rs->done ? "junk after the JSON document" :
	    "not valid JSON");
}

/*
 * Read the next len bytes of the text. Return 0, or -1 once the text is
 * known to be bad (roster_stream_end then tells why).
 */
int
roster_stream_feed(struct roster_stream *rs, const char *text, size_t len)
{
	const char *p, *end = text + len;

	if (rs->cause != NULL)
		return -1;
	rs->chunk = text;
	if (yajl_parse(rs->yajl, (const unsigned char *)text, len) !=
	    yajl_status_ok) {
		roster_stream_failed(rs);
		return -1;
	}
	for (p = text; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		rs->lines++;
	rs->chunk = "";
	return 0;
}

/* Free the stream and the document's tree; an open entry is in the pools. */
static void
roster_stream_free(struct roster_stream *rs)
{
	struct roster_stream_block *b, *next;

	for (b = rs->pool; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	roster_items_free(&rs->items);
	cJSON_Delete(rs->root);
	yajl_free(rs->yajl);
	free(rs->stack);
	if (!rs->key_pooled)
		free(rs->key);
	free(rs->buf);
	free(rs->cause);
	free(rs);
}

/*
 * End the text and free rs. Return the roster (free with roster_free), or
 * NULL with *cause set to what is wrong (caller frees): the text's
 * problem, else the first of roster_json.c's checks that failed. With
 * rest, a good roster's document is handed over too (free with
 * cJSON_Delete), its "enterprises" and "officers" empty: what
 * liaisonctl's import takes from a base roster.
 */
struct roster *
roster_stream_end(struct roster_stream *rs, struct cJSON **rest,
    char **cause)
{
	struct roster *r;
	cJSON *root;

	*cause = NULL;
	if (rest != NULL)
		*rest = NULL;
	if (rs->cause == NULL &&
	    yajl_complete_parse(rs->yajl) != yajl_status_ok)
		roster_stream_failed(rs);
	if (rs->cause == NULL && !rs->done)
		roster_stream_refuse(rs, "not valid JSON");
	if (rs->cause != NULL) {
		*cause = rs->cause;
		rs->cause = NULL;
		roster_json_free(rs->rj);
		roster_stream_free(rs);
		return NULL;
	}
	root = rs->root;
	rs->root = NULL;
	r = roster_json_end(rs->rj, root, cause);
	roster_stream_free(rs);
	if (r != NULL && rest != NULL)
		*rest = root;
	else
		cJSON_Delete(root);
	return r;
}
