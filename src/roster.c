/*
 * roster.c -- the roster in memory: the zone, its leaders, departments,
 * topics, officers and the enterprises they look after, as one struct
 * roster (etc/roster.json is an example), and the rules its values obey.
 *
 * roster_load.c is the way in (a file or text); it hands the JSON to
 * roster_json.c, which checks every field and fills a roster made here
 * with roster_new, roster_alloc and roster_strdup. Once read, a
 * roster never changes: the daemon swaps a whole new one in on reload.
 *
 * A roster may hold a million enterprises, so memory is laid out for that:
 * all strings live in a bump arena of a few large blocks, enterprises are
 * stored by value in one array, officers and topics point into the
 * enterprise and department arrays. The four arrays with ids are sorted by
 * id (roster_sort) and searched with bsearch, so a lookup is O(log n).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison.h"

#define ROSTER_ARENA_BLOCK (4 * 1024 * 1024)

/* --- the arena ----------------------------------------------------------- */

/* One block of the string arena; data follows the header. */
struct roster_block {
	struct roster_block *next;
	size_t size;
	size_t used;
	char data[];
};

struct roster_arena {
	struct roster_block *blocks;
};

/*
 * Return size bytes from the arena of r aligned to align (a power of two).
 * The memory lives until roster_free.
 */
void *
roster_alloc(struct roster *r, size_t size, size_t align)
{
	struct roster_arena *a = r->arena;
	struct roster_block *b = a->blocks;
	size_t at, want;

	if (b != NULL) {
		at = (b->used + align - 1) & ~(align - 1);
		if (at + size <= b->size) {
			b->used = at + size;
			return b->data + at;
		}
	}
	want = size + align;
	if (want < ROSTER_ARENA_BLOCK)
		want = ROSTER_ARENA_BLOCK;
	b = xmalloc(sizeof *b + want);
	b->size = want;
	b->next = a->blocks;
	a->blocks = b;
	at = ((size_t)b->data + align - 1) & ~(align - 1);
	at -= (size_t)b->data;
	b->used = at + size;
	return b->data + at;
}

/* Return a copy of s in the arena of r. */
char *
roster_strdup(struct roster *r, const char *s)
{
	size_t len = strlen(s) + 1;
	char *copy;

	copy = roster_alloc(r, len, 1);
	memcpy(copy, s, len);
	return copy;
}

/* Free the arena a and every string in it. */
static void
roster_arena_free(struct roster_arena *a)
{
	struct roster_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

/* --- making, reading and freeing a roster -------------------------------- */

/*
 * Return a new empty roster read from path (a copy is kept for messages),
 * with its arena. roster_json.c fills it; free it with roster_free.
 */
struct roster *
roster_new(const char *path)
{
	struct roster *r;

	r = xcalloc(1, sizeof *r);
	r->arena = xcalloc(1, sizeof(struct roster_arena));
	r->path = roster_strdup(r, path);
	return r;
}

/* Free a roster and everything it holds; NULL is fine. */
void
roster_free(struct roster *r)
{
	if (r == NULL)
		return;
	free(r->leaders);
	free(r->departments);
	free(r->topics);
	free(r->officers);
	free(r->enterprises);
	roster_arena_free(r->arena);
	free(r);
}

/* --- what a value may be ------------------------------------------------- */

/*
 * Return NULL if s may stand in a roster field: valid UTF-8, without control
 * characters (C0 or DEL), and not empty unless allow_empty. Else return why
 * not, for a message.
 */
const char *
roster_text_problem(const char *s, int allow_empty)
{
	int control;

	/* One pass (every string of a province's roster comes here): bad
	 * UTF-8 anywhere is told before a control character. */
	if (utf8_scan(s, strlen(s), &control) != 0)
		return "invalid UTF-8";
	if (control)
		return "contains a control character";
	if (!allow_empty && *s == '\0')
		return "must not be empty";
	return NULL;
}

/*
 * Return 1 if s looks like a mail address (an @ with text on both sides, no
 * spaces, control characters or <>,;"). The one check of an address that
 * goes into an SMTP command or a header (mail.c writes "<%s>"): the
 * roster's and the config's. A CR or LF would start a command of its own.
 */
int
roster_email_ok(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= ' ' || *s == 0x7f ||
		    strchr("<>,;\"", *s) != NULL)
			return 0;
	}
	return 1;
}

/* Return 1 if s is 1..64 of [A-Za-z0-9_.-], the ids used in keys and URLs. */
int
roster_id_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > ROSTER_ID_MAX)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") == len;
}

/*
 * Return 1 if tz names a compiled zone file under ROSTER_ZONEINFO: a
 * relative name without "..", of the characters zone names use, whose file
 * starts with the TZif magic.
 */
int
roster_timezone_ok(const char *tz)
{
	char path[512], magic[4];
	size_t len = strlen(tz);
	int fd;
	ssize_t n;

	if (len == 0 || len > 200 || tz[0] == '/' || strstr(tz, "..") != NULL)
		return 0;
	if (strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_+-/") != len)
		return 0;
	snprintf(path, sizeof path, "%s/%s", ROSTER_ZONEINFO, tz);
	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	n = read(fd, magic, sizeof magic);
	close(fd);
	return n == sizeof magic && memcmp(magic, "TZif", 4) == 0;
}

/* Return 1 if url starts with http:// or https:// and has no spaces. */
int
roster_url_ok(const char *url)
{
	const char *p, *host;

	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return 0;
	if (*host == '\0' || *host == '/')
		return 0;
	for (p = url; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ')
			return 0;
	}
	return 1;
}

/* --- sorting and looking up ---------------------------------------------- */

/*
 * Comparisons by id, for qsort and bsearch. Departments, topics and
 * officers all begin with their char *id; an enterprise begins with its
 * id as an array of characters.
 */
_Static_assert(offsetof(struct department, id) == 0, "id first");
_Static_assert(offsetof(struct topic, id) == 0, "id first");
_Static_assert(offsetof(struct officer, id) == 0, "id first");

static int
roster_id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
roster_id_find(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

static int
roster_enterprise_cmp(const void *a, const void *b)
{
	return strcmp(((const struct enterprise *)a)->id,
	    ((const struct enterprise *)b)->id);
}

static int
roster_enterprise_find(const void *key, const void *elem)
{
	return strcmp(key, ((const struct enterprise *)elem)->id);
}

/*
 * Sort the n entries of size bytes at base, each beginning with its char
 * *id, by id. Return an id that two entries share, or NULL.
 */
static const char *
roster_sort_ids(void *base, size_t n, size_t size)
{
	const char *p = base;
	size_t i;

	if (n > 0)
		qsort(base, n, size, roster_id_cmp);
	for (i = 1; i < n; i++) {
		if (roster_id_cmp(p + (i - 1) * size, p + i * size) == 0)
			return *(char *const *)(p + i * size);
	}
	return NULL;
}

/*
 * Sort array which of r by id, as the lookups below need. Return an id
 * that two entries share (the roster is then unusable), or NULL.
 */
const char *
roster_sort(struct roster *r, enum roster_array which)
{
	size_t i;

	if (which == ROSTER_DEPARTMENTS)
		return roster_sort_ids(r->departments, r->ndepartments,
		    sizeof *r->departments);
	if (which == ROSTER_TOPICS)
		return roster_sort_ids(r->topics, r->ntopics, sizeof *r->topics);
	if (which == ROSTER_OFFICERS)
		return roster_sort_ids(r->officers, r->nofficers,
		    sizeof *r->officers);
	/* ROSTER_ENTERPRISES: an enterprise holds its id, not a pointer. */
	if (r->nenterprises > 0)
		qsort(r->enterprises, r->nenterprises, sizeof *r->enterprises,
		    roster_enterprise_cmp);
	for (i = 1; i < r->nenterprises; i++) {
		if (strcmp(r->enterprises[i - 1].id, r->enterprises[i].id) == 0)
			return r->enterprises[i].id;
	}
	return NULL;
}

/* Return the department with id, or NULL. */
const struct department *
roster_department(const struct roster *r, const char *id)
{
	if (strcmp(id, ROSTER_LEADERS) == 0)
		return r->leaders_hook.webhook_url != NULL ?
		    &r->leaders_hook : NULL;
	return bsearch(id, r->departments, r->ndepartments,
	    sizeof *r->departments, roster_id_find);
}

/* Return the topic with id, or NULL. */
const struct topic *
roster_topic(const struct roster *r, const char *id)
{
	return bsearch(id, r->topics, r->ntopics, sizeof *r->topics,
	    roster_id_find);
}

/* Return the officer with id, or NULL. */
const struct officer *
roster_officer(const struct roster *r, const char *id)
{
	return bsearch(id, r->officers, r->nofficers, sizeof *r->officers,
	    roster_id_find);
}

/* Return the enterprise with credit code id, or NULL. */
const struct enterprise *
roster_enterprise(const struct roster *r, const char *id)
{
	return bsearch(id, r->enterprises, r->nenterprises,
	    sizeof *r->enterprises, roster_enterprise_find);
}

/* Return 1 if officer o looks after the enterprise with id, 0 if not. */
int
roster_officer_has(const struct officer *o, const char *id)
{
	size_t i;

	for (i = 0; i < o->nenterprises; i++) {
		if (strcmp(o->enterprises[i]->id, id) == 0)
			return 1;
	}
	return 0;
}
