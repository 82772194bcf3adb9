/*
 * roster.c -- the roster file (SPEC §4): zone, leaders, departments, topics,
 * officers and the enterprises they look after, read from JSON into a
 * validated struct roster.
 *
 * Everything is checked before the roster is used: field names and types,
 * UTF-8, unique ids, credit codes, timezone, webhook formats and secrets,
 * and every reference between entries. A refusal names the file, the entry
 * (as "officers[3] \"O004\"", index from 0) and the field.
 *
 * A roster may hold a million enterprises, so memory is laid out for that:
 * all strings live in a bump arena of a few large blocks, enterprises are
 * stored by value in one array, officers and topics point into the
 * enterprise and department arrays, and the cJSON tree is freed (and its
 * memory handed back to the system) before roster_parse returns. Arrays are
 * sorted by id and searched with bsearch.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "liaison.h"

#define ROSTER_ARENA_BLOCK (4 * 1024 * 1024)
#define ROSTER_MAX_FILE (1024L * 1024 * 1024)
#define ROSTER_ID_MAX 64
#define ROSTER_ZONEINFO "/usr/share/zoneinfo"

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

static const char *const roster_kinds[] = {
	"enterprise", "social_org", NULL
};
static const char *const roster_levels[] = {
	"zone", "municipal", "provincial", NULL
};

/* State of one parse. */
struct roster_parse {
	const char *name;           /* the file, for messages */
	struct roster *roster;
	struct roster_arena *arena;
	char *cause;
	/* One arena copy of each fixed word, shared by all entries. */
	char *kind_copies[2];
	char *level_copies[3];
};

/*
 * Return size bytes from the arena aligned to align (a power of two). The
 * memory lives until roster_arena_free.
 */
static void *
roster_arena_alloc(struct roster_arena *a, size_t size, size_t align)
{
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

/* Return an arena copy of s. */
static char *
roster_arena_strdup(struct roster_arena *a, const char *s)
{
	size_t len = strlen(s) + 1;
	char *copy;

	copy = roster_arena_alloc(a, len, 1);
	memcpy(copy, s, len);
	return copy;
}

/* Free the arena and every string in it. */
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

/* Set rp->cause to "FILE: " and the message (first error only); return -1. */
static int
roster_error(struct roster_parse *rp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
roster_error(struct roster_parse *rp, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	if (rp->cause != NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	xasprintf(&rp->cause, "%s: %s", rp->name, what);
	return -1;
}

/* Return 1 if s has a control character (C0 or DEL), 0 if not. */
static int
roster_has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	}
	return 0;
}

/* Return 1 if s is safe to quote in a message, 0 if not. */
static int
roster_printable(const char *s)
{
	return strlen(s) <= 80 && utf8_valid(s, strlen(s)) &&
	    !roster_has_control(s);
}

/*
 * Write the name of entry index of array into buf: `officers[3] "O004"`, or
 * `officers[3]` when the entry has no printable id.
 */
static void
roster_label(char *buf, size_t len, const char *array, size_t index,
    const cJSON *entry)
{
	const cJSON *id;

	id = cJSON_GetObjectItemCaseSensitive(entry, "id");
	if (cJSON_IsString(id) && roster_printable(id->valuestring))
		snprintf(buf, len, "%s[%zu] \"%s\"", array, index,
		    id->valuestring);
	else
		snprintf(buf, len, "%s[%zu]", array, index);
}

/*
 * Check that obj is an object whose members are all named in allowed and
 * appear once. Return 0, or -1 with the cause set.
 */
static int
roster_check_fields(struct roster_parse *rp, const char *label,
    const cJSON *obj, const char *const *allowed)
{
	const cJSON *member, *earlier;
	size_t i;

	if (!cJSON_IsObject(obj))
		return roster_error(rp, "%s: expected an object", label);
	cJSON_ArrayForEach(member, obj) {
		for (i = 0; allowed[i] != NULL; i++) {
			if (strcmp(allowed[i], member->string) == 0)
				break;
		}
		if (allowed[i] == NULL) {
			if (!roster_printable(member->string))
				return roster_error(rp, "%s: unknown field",
				    label);
			return roster_error(rp, "%s: unknown field \"%s\"",
			    label, member->string);
		}
		for (earlier = obj->child; earlier != member;
		    earlier = earlier->next) {
			if (strcmp(earlier->string, member->string) == 0)
				return roster_error(rp, "%s: field \"%s\" "
				    "given twice", label, member->string);
		}
	}
	return 0;
}

/*
 * Check that the string s (field of entry label) is valid UTF-8 without
 * control characters, and not empty unless allow_empty. Return 0 or -1.
 */
static int
roster_check_text(struct roster_parse *rp, const char *label,
    const char *field, const char *s, int allow_empty)
{
	if (!utf8_valid(s, strlen(s)))
		return roster_error(rp, "%s: %s: invalid UTF-8", label, field);
	if (roster_has_control(s))
		return roster_error(rp, "%s: %s: contains a control character",
		    label, field);
	if (!allow_empty && *s == '\0')
		return roster_error(rp, "%s: %s: must not be empty", label,
		    field);
	return 0;
}

/*
 * Find string field of obj and check it. Return 0 with *out pointing into
 * the cJSON tree (NULL when an optional field is absent), or -1. Required
 * fields must not be empty; optional ones may be.
 */
static int
roster_text(struct roster_parse *rp, const char *label, const cJSON *obj,
    const char *field, int required, const char **out)
{
	const cJSON *item;

	*out = NULL;
	item = cJSON_GetObjectItemCaseSensitive(obj, field);
	if (item == NULL) {
		if (required)
			return roster_error(rp, "%s: missing field \"%s\"",
			    label, field);
		return 0;
	}
	if (!cJSON_IsString(item))
		return roster_error(rp, "%s: %s: expected a string",
		    label, field);
	if (roster_check_text(rp, label, field, item->valuestring,
	    !required) != 0)
		return -1;
	*out = item->valuestring;
	return 0;
}

/* As roster_text, but *out is an arena copy. */
static int
roster_string(struct roster_parse *rp, const char *label, const cJSON *obj,
    const char *field, int required, char **out)
{
	const char *s;

	*out = NULL;
	if (roster_text(rp, label, obj, field, required, &s) != 0)
		return -1;
	if (s != NULL)
		*out = roster_arena_strdup(rp->arena, s);
	return 0;
}

/*
 * Find array field of obj. Return 0 with *out set (NULL when an optional
 * field is absent), or -1.
 */
static int
roster_array(struct roster_parse *rp, const char *label, const cJSON *obj,
    const char *field, int required, const cJSON **out)
{
	const cJSON *item;

	*out = NULL;
	item = cJSON_GetObjectItemCaseSensitive(obj, field);
	if (item == NULL) {
		if (required)
			return roster_error(rp, "%s: missing field \"%s\"",
			    label, field);
		return 0;
	}
	if (!cJSON_IsArray(item))
		return roster_error(rp, "%s: %s: expected an array",
		    label, field);
	*out = item;
	return 0;
}

/*
 * Copy array (of non-empty strings, field of entry label) into a new arena
 * array. Return 0 with *out and *n set, or -1. A NULL array is empty.
 */
static int
roster_string_array(struct roster_parse *rp, const char *label,
    const char *field, const cJSON *array, int (*check)(const char *),
    const char *what, char ***out, size_t *n)
{
	const cJSON *item;
	char name[128];
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (array == NULL)
		return 0;
	*n = (size_t)cJSON_GetArraySize(array);
	*out = roster_arena_alloc(rp->arena, *n * sizeof **out,
	    sizeof **out);
	cJSON_ArrayForEach(item, array) {
		snprintf(name, sizeof name, "%s[%zu]", field, i);
		if (!cJSON_IsString(item))
			return roster_error(rp, "%s: %s: expected a string",
			    label, name);
		if (roster_check_text(rp, label, name, item->valuestring,
		    0) != 0)
			return -1;
		if (check != NULL && !check(item->valuestring))
			return roster_error(rp, "%s: %s \"%s\": %s", label,
			    name, item->valuestring, what);
		(*out)[i++] = roster_arena_strdup(rp->arena,
		    item->valuestring);
	}
	return 0;
}

/*
 * Return the shared arena copy of value if it is one of choices (copies has
 * one slot per choice), or NULL.
 */
static char *
roster_choice(struct roster_parse *rp, const char *const *choices,
    char **copies, const char *value)
{
	size_t i;

	for (i = 0; choices[i] != NULL; i++) {
		if (strcmp(choices[i], value) != 0)
			continue;
		if (copies[i] == NULL)
			copies[i] = roster_arena_strdup(rp->arena, choices[i]);
		return copies[i];
	}
	return NULL;
}

/* Return 1 if s looks like a mail address (an @, no spaces or <>,;"). */
static int
roster_email_ok(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= ' ' || strchr("<>,;\"", *s) != NULL)
			return 0;
	}
	return 1;
}

/* Return 1 if s is 1..64 of [A-Za-z0-9_.-], the ids used in keys and URLs. */
static int
roster_id_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > ROSTER_ID_MAX)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") == len;
}

/*
 * Return 1 if tz names a compiled zone file under /usr/share/zoneinfo: a
 * relative name without "..", of the characters zone names use, whose file
 * starts with the TZif magic.
 */
static int
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

/* Return 1 if secret is "whsec_" and non-empty standard base64, 0 if not. */
static int
roster_secret_ok(const char *secret)
{
	const char *b64;
	unsigned char *out;
	size_t len;
	int n;

	if (strncmp(secret, "whsec_", 6) != 0)
		return 0;
	b64 = secret + 6;
	len = strlen(b64);
	if (len == 0 || len % 4 != 0)
		return 0;
	if (strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=") != len)
		return 0;
	out = xmalloc(len);
	n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len);
	free(out);
	return n > 0;
}

/* Return 1 if url starts with http:// or https:// and has no spaces. */
static int
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
 * Report id as given twice in array (named array_name): find the first two
 * entries with it. Return -1.
 */
static int
roster_duplicate(struct roster_parse *rp, const cJSON *array,
    const char *array_name, const char *id)
{
	const cJSON *entry, *entry_id;
	size_t i = 0, first = 0;
	int found = 0;

	cJSON_ArrayForEach(entry, array) {
		entry_id = cJSON_GetObjectItemCaseSensitive(entry, "id");
		if (cJSON_IsString(entry_id) &&
		    strcmp(entry_id->valuestring, id) == 0) {
			if (found)
				break;
			found = 1;
			first = i;
		}
		i++;
	}
	return roster_error(rp, "%s[%zu] \"%s\": duplicate id (also %s[%zu])",
	    array_name, i, id, array_name, first);
}

/* Read "zone": its name and a timezone that exists. */
static int
roster_parse_zone(struct roster_parse *rp, const cJSON *root)
{
	static const char *const fields[] = { "name", "timezone", NULL };
	const cJSON *zone;
	struct roster *r = rp->roster;

	zone = cJSON_GetObjectItemCaseSensitive(root, "zone");
	if (zone == NULL)
		return roster_error(rp, "missing field \"zone\"");
	if (roster_check_fields(rp, "zone", zone, fields) != 0)
		return -1;
	if (roster_string(rp, "zone", zone, "name", 1, &r->zone_name) != 0)
		return -1;
	if (roster_string(rp, "zone", zone, "timezone", 1, &r->timezone) != 0)
		return -1;
	if (!roster_timezone_ok(r->timezone))
		return roster_error(rp, "zone: timezone \"%s\": no such zone "
		    "in %s", r->timezone, ROSTER_ZONEINFO);
	return 0;
}

/* Read "leaders" (optional): name and email of each. */
static int
roster_parse_leaders(struct roster_parse *rp, const cJSON *root)
{
	static const char *const fields[] = { "name", "email", NULL };
	struct roster *r = rp->roster;
	const cJSON *array, *entry;
	struct leader *l;
	char label[64];
	size_t i = 0;

	if (roster_array(rp, "roster", root, "leaders", 0, &array) != 0)
		return -1;
	if (array == NULL)
		return 0;
	r->nleaders = (size_t)cJSON_GetArraySize(array);
	r->leaders = xcalloc(r->nleaders, sizeof *r->leaders);
	cJSON_ArrayForEach(entry, array) {
		snprintf(label, sizeof label, "leaders[%zu]", i);
		l = &r->leaders[i++];
		if (roster_check_fields(rp, label, entry, fields) != 0)
			return -1;
		if (roster_string(rp, label, entry, "name", 1, &l->name) != 0)
			return -1;
		if (roster_string(rp, label, entry, "email", 1,
		    &l->email) != 0)
			return -1;
		if (!roster_email_ok(l->email))
			return roster_error(rp, "%s: email \"%s\": not a mail "
			    "address", label, l->email);
	}
	return 0;
}

/* Read the "webhook" of department d (optional). */
static int
roster_parse_webhook(struct roster_parse *rp, const char *label,
    const cJSON *entry, struct department *d)
{
	static const char *const fields[] = { "url", "format", "secret", NULL };
	const cJSON *webhook;
	const char *format;
	char wlabel[192];

	webhook = cJSON_GetObjectItemCaseSensitive(entry, "webhook");
	if (webhook == NULL)
		return 0;
	snprintf(wlabel, sizeof wlabel, "%s: webhook", label);
	if (roster_check_fields(rp, wlabel, webhook, fields) != 0)
		return -1;
	if (roster_string(rp, wlabel, webhook, "url", 1, &d->webhook_url) != 0)
		return -1;
	if (!roster_url_ok(d->webhook_url))
		return roster_error(rp, "%s: url \"%s\": must start with "
		    "http:// or https://", wlabel, d->webhook_url);
	if (roster_text(rp, wlabel, webhook, "format", 1, &format) != 0)
		return -1;
	d->webhook_format = webhook_backend_find(format) != NULL ?
	    roster_arena_strdup(rp->arena, format) : NULL;
	if (d->webhook_format == NULL)
		return roster_error(rp, "%s: format \"%s\": must be standard, "
		    "wecom, dingtalk or feishu", wlabel, format);
	if (roster_string(rp, wlabel, webhook, "secret",
	    strcmp(format, "standard") == 0, &d->webhook_secret) != 0)
		return -1;
	if (strcmp(format, "standard") == 0 &&
	    !roster_secret_ok(d->webhook_secret))
		return roster_error(rp, "%s: secret: must be \"whsec_\" and "
		    "base64", wlabel);
	if (d->webhook_secret != NULL && *d->webhook_secret == '\0')
		d->webhook_secret = NULL;
	return 0;
}

/*
 * The start every department, topic and officer shares: only known
 * fields, an id usable in Redis keys and URLs, and a name.
 */
static int
roster_id_and_name(struct roster_parse *rp, const char *label,
    const cJSON *entry, const char *const *fields, char **id, char **name)
{
	if (roster_check_fields(rp, label, entry, fields) != 0 ||
	    roster_string(rp, label, entry, "id", 1, id) != 0)
		return -1;
	if (!roster_id_ok(*id))
		return roster_error(rp, "%s: id: use 1 to %d letters, digits, "
		    "'_', '-' or '.'", label, ROSTER_ID_MAX);
	return roster_string(rp, label, entry, "name", 1, name);
}

/* Read "departments"; sort them by id and refuse a duplicate. */
static int
roster_parse_departments(struct roster_parse *rp, const cJSON *root)
{
	static const char *const fields[] = {
		"id", "name", "emails", "webhook", NULL
	};
	struct roster *r = rp->roster;
	const cJSON *array, *entry, *emails;
	struct department *d;
	char label[128];
	size_t i = 0;

	if (roster_array(rp, "roster", root, "departments", 1, &array) != 0)
		return -1;
	r->ndepartments = (size_t)cJSON_GetArraySize(array);
	r->departments = xcalloc(r->ndepartments, sizeof *r->departments);
	cJSON_ArrayForEach(entry, array) {
		roster_label(label, sizeof label, "departments", i, entry);
		d = &r->departments[i];
		d->order = i++;
		if (roster_id_and_name(rp, label, entry, fields, &d->id,
		    &d->name) != 0)
			return -1;
		if (roster_array(rp, label, entry, "emails", 0, &emails) != 0)
			return -1;
		if (roster_string_array(rp, label, "emails", emails,
		    roster_email_ok, "not a mail address", &d->emails,
		    &d->nemails) != 0)
			return -1;
		if (roster_parse_webhook(rp, label, entry, d) != 0)
			return -1;
	}
	qsort(r->departments, r->ndepartments, sizeof *r->departments,
	    roster_id_cmp);
	for (i = 1; i < r->ndepartments; i++) {
		if (strcmp(r->departments[i - 1].id, r->departments[i].id) == 0)
			return roster_duplicate(rp, array, "departments",
			    r->departments[i].id);
	}
	return 0;
}

/* Read the "departments" of topic t: known departments, each once. */
static int
roster_topic_departments(struct roster_parse *rp, const char *label,
    const cJSON *entry, struct topic *t)
{
	struct roster *r = rp->roster;
	const cJSON *array, *item;
	struct department *d;
	size_t i = 0, j;

	if (roster_array(rp, label, entry, "departments", 1, &array) != 0)
		return -1;
	t->ndepartments = (size_t)cJSON_GetArraySize(array);
	if (t->ndepartments == 0)
		return roster_error(rp, "%s: departments: must name at least "
		    "one department", label);
	t->departments = roster_arena_alloc(rp->arena,
	    t->ndepartments * sizeof *t->departments, sizeof *t->departments);
	cJSON_ArrayForEach(item, array) {
		if (!cJSON_IsString(item))
			return roster_error(rp, "%s: departments[%zu]: expected "
			    "a string", label, i);
		d = bsearch(item->valuestring, r->departments, r->ndepartments,
		    sizeof *r->departments, roster_id_find);
		if (d == NULL) {
			if (!roster_printable(item->valuestring))
				return roster_error(rp, "%s: departments[%zu]: "
				    "no such department", label, i);
			return roster_error(rp, "%s: departments[%zu] \"%s\": "
			    "no such department", label, i,
			    item->valuestring);
		}
		for (j = 0; j < i; j++) {
			if (t->departments[j] == d)
				return roster_error(rp, "%s: departments[%zu] "
				    "\"%s\": listed twice", label, i, d->id);
		}
		t->departments[i++] = d;
	}
	return 0;
}

/* Read "topics" (after the departments); sort them, refuse a duplicate. */
static int
roster_parse_topics(struct roster_parse *rp, const cJSON *root)
{
	static const char *const fields[] = {
		"id", "name", "departments", "keywords", NULL
	};
	struct roster *r = rp->roster;
	const cJSON *array, *entry, *keywords;
	struct topic *t;
	char label[128];
	size_t i = 0;

	if (roster_array(rp, "roster", root, "topics", 1, &array) != 0)
		return -1;
	r->ntopics = (size_t)cJSON_GetArraySize(array);
	r->topics = xcalloc(r->ntopics, sizeof *r->topics);
	cJSON_ArrayForEach(entry, array) {
		roster_label(label, sizeof label, "topics", i, entry);
		t = &r->topics[i++];
		if (roster_id_and_name(rp, label, entry, fields, &t->id,
		    &t->name) != 0)
			return -1;
		if (roster_topic_departments(rp, label, entry, t) != 0)
			return -1;
		if (roster_array(rp, label, entry, "keywords", 0,
		    &keywords) != 0)
			return -1;
		if (roster_string_array(rp, label, "keywords", keywords, NULL,
		    NULL, &t->keywords, &t->nkeywords) != 0)
			return -1;
	}
	qsort(r->topics, r->ntopics, sizeof *r->topics, roster_id_cmp);
	for (i = 1; i < r->ntopics; i++) {
		if (strcmp(r->topics[i - 1].id, r->topics[i].id) == 0)
			return roster_duplicate(rp, array, "topics",
			    r->topics[i].id);
	}
	return 0;
}

/* Check the credit code id of entry label; return 0 or -1. */
static int
roster_check_code(struct roster_parse *rp, const char *label, const char *id)
{
	char expected;

	if (strlen(id) != USCC_LEN)
		return roster_error(rp, "%s: id: a credit code has %d "
		    "characters, not %zu", label, USCC_LEN, strlen(id));
	if (uscc_valid(id, &expected))
		return 0;
	if (expected == '\0')
		return roster_error(rp, "%s: id: a credit code uses only 0-9 "
		    "and A-Y without I, O, S, V, Z (upper case)", label);
	return roster_error(rp, "%s: bad check character, expected %c",
	    label, expected);
}

/* Read "enterprises"; sort them by id and refuse a duplicate. */
static int
roster_parse_enterprises(struct roster_parse *rp, const cJSON *root)
{
	static const char *const fields[] = {
		"id", "name", "kind", "area", NULL
	};
	struct roster *r = rp->roster;
	const cJSON *array, *entry;
	struct enterprise *e;
	const char *id, *kind;
	char label[128];
	size_t i = 0;

	if (roster_array(rp, "roster", root, "enterprises", 1, &array) != 0)
		return -1;
	r->nenterprises = (size_t)cJSON_GetArraySize(array);
	r->enterprises = xcalloc(r->nenterprises, sizeof *r->enterprises);
	cJSON_ArrayForEach(entry, array) {
		roster_label(label, sizeof label, "enterprises", i, entry);
		e = &r->enterprises[i++];
		if (roster_check_fields(rp, label, entry, fields) != 0)
			return -1;
		if (roster_text(rp, label, entry, "id", 1, &id) != 0)
			return -1;
		if (roster_check_code(rp, label, id) != 0)
			return -1;
		memcpy(e->id, id, sizeof e->id);
		if (roster_string(rp, label, entry, "name", 1, &e->name) != 0)
			return -1;
		if (roster_text(rp, label, entry, "kind", 1, &kind) != 0)
			return -1;
		e->kind = roster_choice(rp, roster_kinds, rp->kind_copies, kind);
		if (e->kind == NULL)
			return roster_error(rp, "%s: kind \"%s\": must be "
			    "enterprise or social_org", label, kind);
		if (roster_string(rp, label, entry, "area", 0, &e->area) != 0)
			return -1;
	}
	qsort(r->enterprises, r->nenterprises, sizeof *r->enterprises,
	    roster_enterprise_cmp);
	for (i = 1; i < r->nenterprises; i++) {
		if (strcmp(r->enterprises[i - 1].id, r->enterprises[i].id) == 0)
			return roster_duplicate(rp, array, "enterprises",
			    r->enterprises[i].id);
	}
	return 0;
}

/*
 * Read the "enterprises" of officer o (number officer): known enterprises,
 * each once. seen[] holds, per enterprise, 1 + the last officer that listed
 * it, so a repeat is found without a search.
 */
static int
roster_officer_enterprises(struct roster_parse *rp, const char *label,
    const cJSON *entry, struct officer *o, size_t officer, size_t *seen)
{
	struct roster *r = rp->roster;
	const cJSON *array, *item;
	struct enterprise *e;
	size_t i = 0, at;

	if (roster_array(rp, label, entry, "enterprises", 1, &array) != 0)
		return -1;
	o->nenterprises = (size_t)cJSON_GetArraySize(array);
	o->enterprises = roster_arena_alloc(rp->arena,
	    o->nenterprises * sizeof *o->enterprises, sizeof *o->enterprises);
	cJSON_ArrayForEach(item, array) {
		if (!cJSON_IsString(item))
			return roster_error(rp, "%s: enterprises[%zu]: expected "
			    "a string", label, i);
		e = bsearch(item->valuestring, r->enterprises, r->nenterprises,
		    sizeof *r->enterprises, roster_enterprise_find);
		if (e == NULL) {
			if (!roster_printable(item->valuestring))
				return roster_error(rp, "%s: enterprises[%zu]: "
				    "no such enterprise", label, i);
			return roster_error(rp, "%s: enterprises[%zu] \"%s\": "
			    "no such enterprise", label, i,
			    item->valuestring);
		}
		at = (size_t)(e - r->enterprises);
		if (seen[at] == officer + 1)
			return roster_error(rp, "%s: enterprises[%zu] \"%s\": "
			    "listed twice", label, i, e->id);
		seen[at] = officer + 1;
		o->enterprises[i++] = e;
	}
	return 0;
}

/* Read one officer (entry number i) into o. */
static int
roster_parse_officer(struct roster_parse *rp, const cJSON *entry, size_t i,
    struct officer *o, size_t *seen)
{
	static const char *const fields[] = {
		"id", "name", "level", "unit", "phone", "email", "enterprises",
		NULL
	};
	const char *level;
	char label[128];

	roster_label(label, sizeof label, "officers", i, entry);
	if (roster_id_and_name(rp, label, entry, fields, &o->id,
	    &o->name) != 0)
		return -1;
	if (roster_text(rp, label, entry, "level", 1, &level) != 0)
		return -1;
	o->level = roster_choice(rp, roster_levels, rp->level_copies, level);
	if (o->level == NULL)
		return roster_error(rp, "%s: level \"%s\": must be zone, "
		    "municipal or provincial", label, level);
	if (roster_string(rp, label, entry, "unit", 0, &o->unit) != 0)
		return -1;
	if (roster_string(rp, label, entry, "phone", 0, &o->phone) != 0)
		return -1;
	if (roster_string(rp, label, entry, "email", 0, &o->email) != 0)
		return -1;
	if (o->email != NULL && *o->email != '\0' &&
	    !roster_email_ok(o->email))
		return roster_error(rp, "%s: email \"%s\": not a mail address",
		    label, o->email);
	return roster_officer_enterprises(rp, label, entry, o, i, seen);
}

/* Read "officers" (after the enterprises); sort, refuse a duplicate. */
static int
roster_parse_officers(struct roster_parse *rp, const cJSON *root)
{
	struct roster *r = rp->roster;
	const cJSON *array, *entry;
	size_t *seen;
	size_t i = 0;

	if (roster_array(rp, "roster", root, "officers", 1, &array) != 0)
		return -1;
	r->nofficers = (size_t)cJSON_GetArraySize(array);
	r->officers = xcalloc(r->nofficers, sizeof *r->officers);
	seen = xcalloc(r->nenterprises, sizeof *seen);
	cJSON_ArrayForEach(entry, array) {
		if (roster_parse_officer(rp, entry, i, &r->officers[i],
		    seen) != 0) {
			free(seen);
			return -1;
		}
		i++;
	}
	free(seen);
	qsort(r->officers, r->nofficers, sizeof *r->officers,
	    roster_id_cmp);
	for (i = 1; i < r->nofficers; i++) {
		if (strcmp(r->officers[i - 1].id, r->officers[i].id) == 0)
			return roster_duplicate(rp, array, "officers",
			    r->officers[i].id);
	}
	return 0;
}

/*
 * Refuse a \u0000 escape anywhere in text: cJSON would end the string
 * there and silently keep only the part before it. Return 0 or -1.
 */
static int
roster_check_nul_escape(struct roster_parse *rp, const char *text,
    size_t len)
{
	size_t i, line = 1;

	for (i = 0; i < len; i++) {
		if (text[i] == '\n')
			line++;
		if (text[i] != '\\' || i + 1 >= len)
			continue;
		if (len - i >= 6 && memcmp(text + i + 1, "u0000", 5) == 0)
			return roster_error(rp, "line %zu: \\u0000 is not "
			    "allowed in a string", line);
		i++;	/* skip the escaped character: "\\" is one */
	}
	return 0;
}

/* Return the 1-based line of position at in text. */
static size_t
roster_line_of(const char *text, const char *at)
{
	size_t line = 1;

	for (; text < at; text++) {
		if (*text == '\n')
			line++;
	}
	return line;
}

/* Read the whole document (the tree root) into rp->roster. */
static int
roster_parse_root(struct roster_parse *rp, const cJSON *root)
{
	static const char *const fields[] = {
		"zone", "leaders", "departments", "topics", "officers",
		"enterprises", NULL
	};

	if (!cJSON_IsObject(root))
		return roster_error(rp, "expected a JSON object");
	if (roster_check_fields(rp, "roster", root, fields) != 0)
		return -1;
	if (roster_parse_zone(rp, root) != 0)
		return -1;
	if (roster_parse_leaders(rp, root) != 0)
		return -1;
	if (roster_parse_departments(rp, root) != 0)
		return -1;
	if (roster_parse_topics(rp, root) != 0)
		return -1;
	if (roster_parse_enterprises(rp, root) != 0)
		return -1;
	return roster_parse_officers(rp, root);
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

/*
 * Parse len bytes at text into a cJSON tree, refusing \u0000 escapes and
 * anything after the document. Return the tree, or NULL with *cause set.
 */
static cJSON *
roster_parse_json(const char *text, size_t len, const char *name,
    char **cause)
{
	struct roster_parse rp;
	const char *end = NULL;
	cJSON *root;

	memset(&rp, 0, sizeof rp);
	rp.name = name;
	if (roster_check_nul_escape(&rp, text, len) != 0) {
		*cause = rp.cause;
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (root == NULL) {
		if (end == NULL || end < text || end > text + len)
			end = text;
		xasprintf(cause, "%s: line %zu: not valid JSON", name,
		    roster_line_of(text, end));
		return NULL;
	}
	for (; end < text + len; end++) {
		if (strchr(" \t\r\n", *end) == NULL || *end == '\0') {
			xasprintf(cause, "%s: line %zu: junk after the JSON "
			    "document", name, roster_line_of(text, end));
			cJSON_Delete(root);
			return NULL;
		}
	}
	return root;
}

/*
 * Build a roster from the tree root, then free the tree and hand its memory
 * back to the system. Return the roster, or NULL with *cause set.
 */
static struct roster *
roster_build(cJSON *root, const char *name, char **cause)
{
	struct roster_parse rp;
	struct roster *r;
	int rc;

	memset(&rp, 0, sizeof rp);
	rp.name = name;
	r = xcalloc(1, sizeof *r);
	rp.roster = r;
	rp.arena = xcalloc(1, sizeof *rp.arena);
	r->arena = rp.arena;
	r->path = roster_arena_strdup(rp.arena, name);
	rc = roster_parse_root(&rp, root);
	cJSON_Delete(root);
#ifdef __GLIBC__
	malloc_trim(0);
#endif
	if (rc != 0) {
		*cause = rp.cause;
		roster_free(r);
		return NULL;
	}
	return r;
}

/*
 * Parse and validate len bytes of roster JSON at text; name is the file
 * name used in messages. Return a new roster (free with roster_free), or
 * NULL with *cause set to "NAME: entry: what is wrong" (caller frees).
 */
struct roster *
roster_parse(const char *text, size_t len, const char *name, char **cause)
{
	cJSON *root;

	*cause = NULL;
	if ((root = roster_parse_json(text, len, name, cause)) == NULL)
		return NULL;
	return roster_build(root, name, cause);
}

/* Read the whole file at path into a new NUL-terminated buffer. */
static char *
roster_read_file(const char *path, size_t *len, char **cause)
{
	struct stat sb;
	char *text;
	size_t done = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (sb.st_size > ROSTER_MAX_FILE) {
		xasprintf(cause, "%s: larger than %ld bytes", path,
		    ROSTER_MAX_FILE);
		close(fd);
		return NULL;
	}
	text = xmalloc((size_t)sb.st_size + 1);
	while (done < (size_t)sb.st_size) {
		n = read(fd, text + done, (size_t)sb.st_size - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			xasprintf(cause, "%s: %s", path,
			    n == 0 ? "file shrank while read" :
			    strerror(errno));
			free(text);
			close(fd);
			return NULL;
		}
		done += (size_t)n;
	}
	close(fd);
	text[done] = '\0';
	*len = done;
	return text;
}

/*
 * Read and validate the roster file at path. Return a new roster (free with
 * roster_free), or NULL with *cause set (caller frees).
 */
struct roster *
roster_load(const char *path, char **cause)
{
	cJSON *root;
	char *text;
	size_t len;

	*cause = NULL;
	if ((text = roster_read_file(path, &len, cause)) == NULL)
		return NULL;
	root = roster_parse_json(text, len, path, cause);
	free(text);	/* the tree holds copies: no need to keep both */
	if (root == NULL)
		return NULL;
	return roster_build(root, path, cause);
}

/* Return the department with id, or NULL. */
const struct department *
roster_department(const struct roster *r, const char *id)
{
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
