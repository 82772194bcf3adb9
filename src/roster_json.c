/*
 * roster_json.c -- reading roster JSON into a struct roster (roster.c),
 * checking everything before the roster is used: field names and types,
 * unique ids, credit codes, webhook formats, every reference between
 * entries. The rules two fields share with request bodies (no \u0000, only
 * known fields, each once) are validate.c's; those of a value (text, ids,
 * mail addresses, zones, URLs, secrets) are roster.c's.
 *
 * A refusal names the file, the entry (index from 0) and the field:
 * "roster.json: officers[3] \"O004\": email \"x\": not a mail address";
 * only the first problem is told. roster_csv_import turns these messages
 * back into the sheet cell the entry came from, so keep their form.
 *
 * The text comes in as a stream (roster_stream.c, on yajl): a province's
 * file is 150 MB, its cJSON tree a gigabyte. The enterprises and officers
 * are handed over one entry at a time (roster_json_entry) and read at once;
 * the rest of the document comes as one small tree at the end
 * (roster_json_end), which checks everything in the order it always has.
 * An officer's enterprises are kept as ids until the enterprises are all
 * read and sorted, since a file may list the officers first. A bad entry
 * stops its array's reading, but its message waits: a problem the order of
 * the checks puts first (the zone, say, further down the file) still wins.
 *
 * About 900 lines: one reader per kind of roster entry, each short; they
 * share the error state and the arena, so they stay in one file.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cjson/cJSON.h>

#include "liaison.h"

/* Room for the webhook formats' names (webhook_backends) and a NULL. */
#define ROSTER_JSON_FORMATS_MAX 8
/* Slots of the table of shared strings (roster_json_share); at most half
 * are filled, then further strings are copied each time. */
#define ROSTER_JSON_SHARED (32 * 1024)

static const char *const roster_json_kinds[] = {
	"enterprise", "social_org", NULL
};
static const char *const roster_json_levels[] = {
	"zone", "municipal", "provincial", NULL
};

/*
 * A credit code (USCC_LEN characters of its charset) as two integers that
 * order as its text does (uscc_pack), and the place of its enterprise in
 * the file: sorting a million of these wants no strcmp, and 16 bytes a
 * code keep the sort's peak low.
 */
struct roster_json_code {
	uint64_t hi;
	uint32_t lo;
	uint32_t index;
};

/*
 * An officer's link until the enterprises are read: the id's USCC_LEN
 * bytes as they are (no NUL: 19 bytes a link, a million of them), or
 * what else it was (kind).
 */
struct roster_json_link {
	char id[USCC_LEN];
	unsigned char kind;
};
#define ROSTER_JSON_LINK_CODE 0      /* USCC_LEN characters, in id */
#define ROSTER_JSON_LINK_NOT_TEXT 1  /* not a string */
#define ROSTER_JSON_LINK_OTHER 2     /* another string: its copy's
					address in id (memcpy) */

/* State of one read. */
struct roster_json {
	const char *name;           /* the file, for messages */
	struct roster *roster;
	char **slot;                /* where roster_json_error writes: below */
	char *cause;                /* the document's checks, in their order */
	char *enterprise_cause;     /* the first bad enterprise streamed by */
	char *officer_cause;        /* the first bad officer streamed by */
	size_t enterprises_alloc;
	size_t officers_alloc;
	/* The officers' enterprises, one officer's after another in file
	 * order, packed (a string that is no code in scratch's arena), until
	 * the enterprises are read and can be looked up. */
	struct roster_json_link *links;
	size_t nlinks;
	size_t links_alloc;
	struct roster *scratch;
	/* A hash table of the enterprises' codes (each slot 1 + a place in
	 * the file, 0 when empty), for the officers' lookups, made before
	 * the enterprises are sorted: the links are resolved to places in
	 * the file, and moved with the sort. */
	uint32_t *slots;
	size_t mask;
	/* Checks only (roster_json_check_only): the enterprises are not put
	 * in order for lookups. */
	int check_only;
	/* The streamed entry being read and its label (roster_json_label),
	 * written only when a message needs it: the readers pass
	 * entry_label, which roster_json_error fills before it formats (a
	 * million snprintf calls were a tenth of a province's load). */
	const char *entry_array;
	size_t entry_index;
	const cJSON *entry;
	char entry_label[128];
	/* Each area and unit once: a province's million enterprises are in a
	 * few thousand areas (roster_json_share). */
	char **shared;
	size_t nshared;
	/* One arena copy of each fixed word, shared by all entries. */
	char *kind_copies[2];
	char *level_copies[3];
	char *format_copies[ROSTER_JSON_FORMATS_MAX];
};

/* --- messages ------------------------------------------------------------ */

static void roster_json_label(char *, size_t, const char *, size_t,
    const cJSON *);

/* Set rj->cause to "FILE: " and the message (first error only); return -1. */
static int
roster_json_error(struct roster_json *rj, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
roster_json_error(struct roster_json *rj, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	if (*rj->slot != NULL)
		return -1;
	if (rj->entry != NULL)
		roster_json_label(rj->entry_label, sizeof rj->entry_label,
		    rj->entry_array, rj->entry_index, rj->entry);
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	xasprintf(rj->slot, "%s: %s", rj->name, what);
	return -1;
}

/* Return 1 if s is safe to quote in a message, 0 if not. */
static int
roster_json_printable(const char *s)
{
	return strlen(s) <= 80 && roster_text_problem(s, 1) == NULL;
}

/*
 * Write the name of entry index of array into buf: `officers[3] "O004"`, or
 * `officers[3]` when the entry has no printable id.
 */
static void
roster_json_label(char *buf, size_t len, const char *array, size_t index,
    const cJSON *entry)
{
	const cJSON *id;

	id = cJSON_GetObjectItemCaseSensitive(entry, "id");
	if (cJSON_IsString(id) && roster_json_printable(id->valuestring))
		snprintf(buf, len, "%s[%zu] \"%s\"", array, index,
		    id->valuestring);
	else
		snprintf(buf, len, "%s[%zu]", array, index);
}

/*
 * Refuse item i of the list field of entry label, the id s: what says
 * what is wrong ("no such department", "listed twice"). s is left out of
 * the message when it is not printable. Return -1.
 */
static int
roster_json_refuse_item(struct roster_json *rj, const char *label,
    const char *field, size_t i, const char *s, const char *what)
{
	if (!roster_json_printable(s))
		return roster_json_error(rj, "%s: %s[%zu]: %s", label, field, i,
		    what);
	return roster_json_error(rj, "%s: %s[%zu] \"%s\": %s", label, field, i,
	    s, what);
}

/*
 * Sort array which of the roster (read from array, named array_name) by
 * id. Refuse an id given twice, naming the first two entries with it.
 * Return 0 or -1.
 */
static int
roster_json_sort(struct roster_json *rj, enum roster_array which,
    const cJSON *array, const char *array_name)
{
	const cJSON *entry, *entry_id;
	const char *id;
	size_t i = 0, first = 0;
	int found = 0;

	if ((id = roster_sort(rj->roster, which)) == NULL)
		return 0;
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
	return roster_json_error(rj, "%s[%zu] \"%s\": duplicate id (also "
	    "%s[%zu])", array_name, i, id, array_name, first);
}

/* --- fields -------------------------------------------------------------- */

/*
 * Check that obj is an object whose members are all named in allowed and
 * appear once. Return 0, or -1 with the cause set.
 */
static int
roster_json_check_fields(struct roster_json *rj, const char *label,
    const cJSON *obj, const char *const *allowed)
{
	const cJSON *bad;
	int twice;

	if (!cJSON_IsObject(obj))
		return roster_json_error(rj, "%s: expected an object", label);
	if ((bad = validate_find_bad_field(obj, allowed, &twice)) == NULL)
		return 0;
	if (twice)
		return roster_json_error(rj, "%s: field \"%s\" given twice",
		    label, bad->string);
	if (!roster_json_printable(bad->string))
		return roster_json_error(rj, "%s: unknown field", label);
	return roster_json_error(rj, "%s: unknown field \"%s\"", label,
	    bad->string);
}

/*
 * Find member field of obj (entry label) and check its type with is;
 * expected names the type in a refusal ("a string"). Return 0 with *out
 * set (NULL when an optional field is absent), or -1.
 */
static int
roster_json_member(struct roster_json *rj, const char *label,
    const cJSON *obj, const char *field, int required,
    cJSON_bool (*is)(const cJSON *), const char *expected, const cJSON **out)
{
	const cJSON *item;

	*out = NULL;
	item = cJSON_GetObjectItemCaseSensitive(obj, field);
	if (item == NULL) {
		if (required)
			return roster_json_error(rj, "%s: missing field \"%s\"",
			    label, field);
		return 0;
	}
	if (!is(item))
		return roster_json_error(rj, "%s: %s: expected %s", label,
		    field, expected);
	*out = item;
	return 0;
}

/*
 * Find string field of obj and check it (roster_text_problem). Return 0
 * with *out pointing into the cJSON tree (NULL when an optional field is
 * absent), or -1. Required fields must not be empty; optional ones may be.
 */
static int
roster_json_text(struct roster_json *rj, const char *label, const cJSON *obj,
    const char *field, int required, const char **out)
{
	const cJSON *item;
	const char *why;

	*out = NULL;
	if (roster_json_member(rj, label, obj, field, required, cJSON_IsString,
	    "a string", &item) != 0)
		return -1;
	if (item == NULL)
		return 0;
	if ((why = roster_text_problem(item->valuestring, !required)) != NULL)
		return roster_json_error(rj, "%s: %s: %s", label, field, why);
	*out = item->valuestring;
	return 0;
}

static char *roster_json_share(struct roster_json *, const char *);

/*
 * As roster_json_text, but *out is an arena copy; with share, the one
 * that equal texts share (roster_json_share).
 */
static int
roster_json_copy(struct roster_json *rj, const char *label,
    const cJSON *obj, const char *field, int required, int share, char **out)
{
	const char *s;

	*out = NULL;
	if (roster_json_text(rj, label, obj, field, required, &s) != 0)
		return -1;
	if (s != NULL)
		*out = share ? roster_json_share(rj, s) :
		    roster_strdup(rj->roster, s);
	return 0;
}

/* As roster_json_text, but *out is an arena copy. */
static int
roster_json_string(struct roster_json *rj, const char *label,
    const cJSON *obj, const char *field, int required, char **out)
{
	return roster_json_copy(rj, label, obj, field, required, 0, out);
}

/*
 * Return the arena copy of s that the roster shares: the same text read
 * again gives the same copy (the strings of a roster never change), until
 * ROSTER_JSON_SHARED / 2 of them are kept. For fields whose values repeat
 * (an enterprise's area, an officer's unit): 13 MB of a province's
 * roster, held twice while a reload reads the new one.
 */
static char *
roster_json_share(struct roster_json *rj, const char *s)
{
	size_t at, mask = ROSTER_JSON_SHARED - 1;

	if (rj->shared == NULL)
		rj->shared = xcalloc(ROSTER_JSON_SHARED, sizeof *rj->shared);
	for (at = util_hash(s) & mask; rj->shared[at] != NULL;
	    at = (at + 1) & mask) {
		if (strcmp(rj->shared[at], s) == 0)
			return rj->shared[at];
	}
	if (rj->nshared >= ROSTER_JSON_SHARED / 2)
		return roster_strdup(rj->roster, s);
	rj->nshared++;
	return rj->shared[at] = roster_strdup(rj->roster, s);
}

/*
 * Find array field of obj. Return 0 with *out set (NULL when an optional
 * field is absent), or -1.
 */
static int
roster_json_array(struct roster_json *rj, const char *label, const cJSON *obj,
    const char *field, int required, const cJSON **out)
{
	return roster_json_member(rj, label, obj, field, required,
	    cJSON_IsArray, "an array", out);
}

/*
 * Return item i of the list field of entry label if it is a string, or
 * NULL with the cause set.
 */
static const char *
roster_json_item(struct roster_json *rj, const char *label, const char *field,
    size_t i, const cJSON *item)
{
	if (cJSON_IsString(item))
		return item->valuestring;
	roster_json_error(rj, "%s: %s[%zu]: expected a string", label, field, i);
	return NULL;
}

/*
 * Copy the optional array field of obj (entry label), of non-empty
 * strings, into a new arena array; check, when given, must accept each
 * (what says why not). Return 0 with *out and *n set (none when the field
 * is absent), or -1.
 */
static int
roster_json_string_array(struct roster_json *rj, const char *label,
    const cJSON *obj, const char *field, int (*check)(const char *),
    const char *what, char ***out, size_t *n)
{
	const cJSON *array, *item;
	const char *s, *why;
	char name[128];
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (roster_json_array(rj, label, obj, field, 0, &array) != 0)
		return -1;
	*n = (size_t)cJSON_GetArraySize(array);
	*out = roster_alloc(rj->roster, *n * sizeof **out, sizeof **out);
	cJSON_ArrayForEach(item, array) {
		if ((s = roster_json_item(rj, label, field, i, item)) == NULL)
			return -1;
		snprintf(name, sizeof name, "%s[%zu]", field, i);
		if ((why = roster_text_problem(s, 0)) != NULL)
			return roster_json_error(rj, "%s: %s: %s", label, name,
			    why);
		if (check != NULL && !check(s))
			return roster_json_error(rj, "%s: %s \"%s\": %s", label,
			    name, s, what);
		(*out)[i++] = roster_strdup(rj->roster, s);
	}
	return 0;
}

/*
 * Read string field of obj (entry label), which must be one of choices.
 * Return 0 with *out the arena copy of the choice that all entries share
 * (copies has a slot per choice), or -1 with the choices in the message:
 * "kind \"company\": must be enterprise or social_org".
 */
static int
roster_json_word(struct roster_json *rj, const char *label, const cJSON *obj,
    const char *field, const char *const *choices, char **copies, char **out)
{
	const char *value;
	char list[256];
	size_t i, len = 0;

	if (roster_json_text(rj, label, obj, field, 1, &value) != 0)
		return -1;
	for (i = 0; choices[i] != NULL; i++) {
		if (strcmp(choices[i], value) != 0)
			continue;
		if (copies[i] == NULL)
			copies[i] = roster_strdup(rj->roster, choices[i]);
		*out = copies[i];
		return 0;
	}
	list[0] = '\0';
	for (i = 0; choices[i] != NULL && len < sizeof list; i++)
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
		    i == 0 ? "" : choices[i + 1] == NULL ? " or " : ", ",
		    choices[i]);
	return roster_json_error(rj, "%s: %s \"%s\": must be %s", label, field,
	    value, list);
}

/* --- the zone, leaders and departments ----------------------------------- */

static int roster_json_webhook(struct roster_json *, const char *,
    const cJSON *, const char *, struct department *);

/* Read "zone": its name, a timezone that exists, and leaders_webhook. */
static int
roster_json_zone(struct roster_json *rj, const cJSON *root)
{
	static const char *const fields[] = { "name", "timezone",
	    "leaders_webhook", NULL };
	const cJSON *zone;
	struct roster *r = rj->roster;

	zone = cJSON_GetObjectItemCaseSensitive(root, "zone");
	if (zone == NULL)
		return roster_json_error(rj, "missing field \"zone\"");
	if (roster_json_check_fields(rj, "zone", zone, fields) != 0 ||
	    roster_json_string(rj, "zone", zone, "name", 1,
	    &r->zone_name) != 0 ||
	    roster_json_string(rj, "zone", zone, "timezone", 1,
	    &r->timezone) != 0)
		return -1;
	if (!roster_timezone_ok(r->timezone))
		return roster_json_error(rj, "zone: timezone \"%s\": no such "
		    "zone in %s", r->timezone, ROSTER_ZONEINFO);
	/* Where trend alerts go besides the leaders' mail (SPEC §12). */
	r->leaders_hook.id = roster_strdup(r, ROSTER_LEADERS);
	r->leaders_hook.name = roster_strdup(r, "区领导");
	return roster_json_webhook(rj, "zone", zone, "leaders_webhook",
	    &r->leaders_hook);
}

/* Read "leaders" (optional): name and email of each. */
static int
roster_json_leaders(struct roster_json *rj, const cJSON *root)
{
	static const char *const fields[] = { "name", "email", NULL };
	struct roster *r = rj->roster;
	const cJSON *array, *entry;
	struct leader *l;
	char label[64];
	size_t i = 0;

	if (roster_json_array(rj, "roster", root, "leaders", 0, &array) != 0)
		return -1;
	if (array == NULL)
		return 0;
	r->nleaders = (size_t)cJSON_GetArraySize(array);
	r->leaders = xcalloc(r->nleaders, sizeof *r->leaders);
	cJSON_ArrayForEach(entry, array) {
		snprintf(label, sizeof label, "leaders[%zu]", i);
		l = &r->leaders[i++];
		if (roster_json_check_fields(rj, label, entry, fields) != 0 ||
		    roster_json_string(rj, label, entry, "name", 1,
		    &l->name) != 0 ||
		    roster_json_string(rj, label, entry, "email", 1,
		    &l->email) != 0)
			return -1;
		if (!roster_email_ok(l->email))
			return roster_json_error(rj, "%s: email \"%s\": not a "
			    "mail address", label, l->email);
	}
	return 0;
}

/* Read the webhook (field name of entry, optional) of department d. */
static int
roster_json_webhook(struct roster_json *rj, const char *label,
    const cJSON *entry, const char *name, struct department *d)
{
	static const char *const fields[] = { "url", "format", "secret", NULL };
	const cJSON *webhook;
	const struct webhook_backend *backend;
	const char *formats[ROSTER_JSON_FORMATS_MAX];
	char wlabel[192];
	size_t i;

	webhook = cJSON_GetObjectItemCaseSensitive(entry, name);
	if (webhook == NULL)
		return 0;
	snprintf(wlabel, sizeof wlabel, "%s: %s", label, name);
	if (roster_json_check_fields(rj, wlabel, webhook, fields) != 0 ||
	    roster_json_string(rj, wlabel, webhook, "url", 1,
	    &d->webhook_url) != 0)
		return -1;
	if (!roster_url_ok(d->webhook_url))
		return roster_json_error(rj, "%s: url \"%s\": must start with "
		    "http:// or https://", wlabel, d->webhook_url);
	/* The formats are the webhook backends' (webhook_backend.c). */
	for (i = 0; webhook_backends[i] != NULL &&
	    i + 1 < ROSTER_JSON_FORMATS_MAX; i++)
		formats[i] = webhook_backends[i]->name;
	formats[i] = NULL;
	if (roster_json_word(rj, wlabel, webhook, "format", formats,
	    rj->format_copies, &d->webhook_format) != 0)
		return -1;
	backend = webhook_backend_find(d->webhook_format);
	if (roster_json_string(rj, wlabel, webhook, "secret",
	    backend->secret_ok != NULL, &d->webhook_secret) != 0)
		return -1;
	if (backend->secret_ok != NULL &&
	    !backend->secret_ok(d->webhook_secret))
		return roster_json_error(rj, "%s: secret: %s", wlabel,
		    backend->secret_rule);
	if (d->webhook_secret != NULL && *d->webhook_secret == '\0')
		d->webhook_secret = NULL;
	return 0;
}

/*
 * The start every department, topic and officer shares: only known
 * fields, an id usable in Redis keys and URLs, and a name.
 */
static int
roster_json_id_and_name(struct roster_json *rj, const char *label,
    const cJSON *entry, const char *const *fields, char **id, char **name)
{
	if (roster_json_check_fields(rj, label, entry, fields) != 0 ||
	    roster_json_string(rj, label, entry, "id", 1, id) != 0)
		return -1;
	if (!roster_id_ok(*id))
		return roster_json_error(rj, "%s: id: use 1 to %d letters, "
		    "digits, '_', '-' or '.'", label, ROSTER_ID_MAX);
	return roster_json_string(rj, label, entry, "name", 1, name);
}

/* Read "departments"; sort them by id and refuse a duplicate. */
static int
roster_json_departments(struct roster_json *rj, const cJSON *root)
{
	static const char *const fields[] = {
		"id", "name", "emails", "webhook", NULL
	};
	struct roster *r = rj->roster;
	const cJSON *array, *entry;
	struct department *d;
	char label[128];
	size_t i = 0;

	if (roster_json_array(rj, "roster", root, "departments", 1,
	    &array) != 0)
		return -1;
	r->ndepartments = (size_t)cJSON_GetArraySize(array);
	r->departments = xcalloc(r->ndepartments, sizeof *r->departments);
	cJSON_ArrayForEach(entry, array) {
		roster_json_label(label, sizeof label, "departments", i, entry);
		d = &r->departments[i];
		d->order = i++;
		if (roster_json_id_and_name(rj, label, entry, fields, &d->id,
		    &d->name) != 0)
			return -1;
		if (roster_json_string_array(rj, label, entry, "emails",
		    roster_email_ok, "not a mail address", &d->emails,
		    &d->nemails) != 0 ||
		    roster_json_webhook(rj, label, entry, "webhook", d) != 0)
			return -1;
	}
	return roster_json_sort(rj, ROSTER_DEPARTMENTS, array, "departments");
}

/* --- topics -------------------------------------------------------------- */

/* Read the "departments" of topic t: known departments, each once. */
static int
roster_json_topic_departments(struct roster_json *rj, const char *label,
    const cJSON *entry, struct topic *t)
{
	const cJSON *array, *item;
	const struct department *d;
	const char *id;
	size_t i = 0, j;

	if (roster_json_array(rj, label, entry, "departments", 1,
	    &array) != 0)
		return -1;
	t->ndepartments = (size_t)cJSON_GetArraySize(array);
	if (t->ndepartments == 0)
		return roster_json_error(rj, "%s: departments: must name at "
		    "least one department", label);
	t->departments = roster_alloc(rj->roster,
	    t->ndepartments * sizeof *t->departments, sizeof *t->departments);
	cJSON_ArrayForEach(item, array) {
		id = roster_json_item(rj, label, "departments", i, item);
		if (id == NULL)
			return -1;
		if ((d = roster_department(rj->roster, id)) == NULL)
			return roster_json_refuse_item(rj, label, "departments",
			    i, id, "no such department");
		for (j = 0; j < i; j++) {
			if (t->departments[j] == d)
				return roster_json_refuse_item(rj, label,
				    "departments", i, d->id, "listed twice");
		}
		t->departments[i++] = d;
	}
	return 0;
}

/* Read "topics" (after the departments); sort them, refuse a duplicate. */
static int
roster_json_topics(struct roster_json *rj, const cJSON *root)
{
	static const char *const fields[] = {
		"id", "name", "departments", "keywords", NULL
	};
	struct roster *r = rj->roster;
	const cJSON *array, *entry;
	struct topic *t;
	char label[128];
	size_t i = 0;

	if (roster_json_array(rj, "roster", root, "topics", 1, &array) != 0)
		return -1;
	r->ntopics = (size_t)cJSON_GetArraySize(array);
	r->topics = xcalloc(r->ntopics, sizeof *r->topics);
	cJSON_ArrayForEach(entry, array) {
		roster_json_label(label, sizeof label, "topics", i, entry);
		t = &r->topics[i++];
		if (roster_json_id_and_name(rj, label, entry, fields, &t->id,
		    &t->name) != 0 ||
		    roster_json_topic_departments(rj, label, entry, t) != 0 ||
		    roster_json_string_array(rj, label, entry, "keywords", NULL,
		    NULL, &t->keywords, &t->nkeywords) != 0)
			return -1;
	}
	return roster_json_sort(rj, ROSTER_TOPICS, array, "topics");
}

/* --- enterprises and officers -------------------------------------------- */

/* Check the credit code id of entry label; return 0 or -1. */
static int
roster_json_check_code(struct roster_json *rj, const char *label,
    const char *id)
{
	char expected;

	if (strlen(id) != USCC_LEN)
		return roster_json_error(rj, "%s: id: a credit code has %d "
		    "characters, not %zu", label, USCC_LEN, strlen(id));
	if (uscc_valid(id, &expected))
		return 0;
	if (expected == '\0')
		return roster_json_error(rj, "%s: id: a credit code uses only "
		    "0-9 and A-Y without I, O, S, V, Z (upper case)", label);
	return roster_json_error(rj, "%s: bad check character, expected %c",
	    label, expected);
}

/*
 * Make room for entry n, zeroed, in array (size bytes an entry, *alloc
 * allocated), growing it by half. Return the array (it may have moved).
 */
static void *
roster_json_grow(void *array, size_t n, size_t *alloc, size_t size)
{
	if (n == *alloc) {
		*alloc = *alloc < 64 ? 64 : *alloc + *alloc / 2;
		array = xreallocarray(array, *alloc, size);
	}
	memset((char *)array + n * size, 0, size);
	return array;
}

/* Read one enterprise (the next in the file) into the roster. */
static int
roster_json_enterprise(struct roster_json *rj, const cJSON *entry)
{
	static const char *const fields[] = {
		"id", "name", "kind", "area", NULL
	};
	struct roster *r = rj->roster;
	struct enterprise *e;
	const char *id, *label = rj->entry_label;

	r->enterprises = roster_json_grow(r->enterprises, r->nenterprises,
	    &rj->enterprises_alloc, sizeof *r->enterprises);
	e = &r->enterprises[r->nenterprises];
	if (roster_json_check_fields(rj, label, entry, fields) != 0 ||
	    roster_json_text(rj, label, entry, "id", 1, &id) != 0 ||
	    roster_json_check_code(rj, label, id) != 0)
		return -1;
	memcpy(e->id, id, sizeof e->id);
	if (roster_json_string(rj, label, entry, "name", 1, &e->name) != 0 ||
	    roster_json_word(rj, label, entry, "kind", roster_json_kinds,
	    rj->kind_copies, &e->kind) != 0 ||
	    roster_json_copy(rj, label, entry, "area", 0, 1, &e->area) != 0)
		return -1;
	r->nenterprises++;
	return 0;
}

/*
 * Pack credit code id into k (index untouched): uscc_pack. Return 0, or
 * -1 when id is not USCC_LEN characters of the code's charset.
 */
static int
roster_json_code_pack(const char *id, struct roster_json_code *k)
{
	return uscc_pack(id, &k->hi, &k->lo);
}

/*
 * Keep the "enterprises" of officer o (entry label) for
 * roster_json_officer_links: they are looked up once every enterprise is
 * read.
 */
static int
roster_json_officer_keep(struct roster_json *rj, const char *label,
    const cJSON *entry, struct officer *o)
{
	const cJSON *array, *item;
	struct roster_json_link *k;
	char *copy;

	if (roster_json_array(rj, label, entry, "enterprises", 1,
	    &array) != 0)
		return -1;
	o->nenterprises = (size_t)cJSON_GetArraySize(array);
	o->enterprises = roster_alloc(rj->roster, o->nenterprises *
	    sizeof *o->enterprises, sizeof *o->enterprises);
	while (rj->nlinks + o->nenterprises > rj->links_alloc) {
		rj->links_alloc = rj->links_alloc < 1024 ? 1024 :
		    rj->links_alloc + rj->links_alloc / 2;
		rj->links = xreallocarray(rj->links, rj->links_alloc,
		    sizeof *rj->links);
	}
	cJSON_ArrayForEach(item, array) {
		k = &rj->links[rj->nlinks++];
		k->kind = ROSTER_JSON_LINK_CODE;
		if (!cJSON_IsString(item))
			k->kind = ROSTER_JSON_LINK_NOT_TEXT;
		else if (strlen(item->valuestring) == USCC_LEN)
			memcpy(k->id, item->valuestring, USCC_LEN);
		else {
			k->kind = ROSTER_JSON_LINK_OTHER;
			copy = roster_strdup(rj->scratch, item->valuestring);
			memcpy(k->id, &copy, sizeof copy);
		}
	}
	return 0;
}

_Static_assert(sizeof(char *) <= USCC_LEN, "a link holds an address");

static const struct enterprise *roster_json_find_enterprise(
    struct roster_json *, const char *);

/*
 * Look up the enterprises officer o (number officer) listed, from
 * rj->links[*at] on: known enterprises, each once. seen[] holds, per
 * enterprise, 1 + the last officer that listed it, so a repeat is found
 * without a search. The links point into the enterprises in file order
 * (roster_json_order_enterprises moves them with the sort).
 */
static int
roster_json_officer_links(struct roster_json *rj, struct officer *o,
    size_t officer, size_t *at, uint32_t *seen)
{
	struct roster *r = rj->roster;
	const struct roster_json_link *k;
	const struct enterprise *e;
	char label[128], code[USCC_LEN + 1];
	const char *id;
	size_t i, place;

	snprintf(label, sizeof label, "officers[%zu] \"%s\"", officer, o->id);
	for (i = 0; i < o->nenterprises; i++) {
		k = &rj->links[(*at)++];
		if (k->kind == ROSTER_JSON_LINK_NOT_TEXT)
			return roster_json_error(rj, "%s: enterprises[%zu]: "
			    "expected a string", label, i);
		e = NULL;
		if (k->kind == ROSTER_JSON_LINK_CODE)
			e = roster_json_find_enterprise(rj, k->id);
		if (e == NULL) {
			memcpy(code, k->id, USCC_LEN);
			code[USCC_LEN] = '\0';
			id = code;
			if (k->kind == ROSTER_JSON_LINK_OTHER)
				memcpy(&id, k->id, sizeof id);
			return roster_json_refuse_item(rj, label, "enterprises",
			    i, id, "no such enterprise");
		}
		place = (size_t)(e - r->enterprises);
		if (seen[place] == officer + 1)
			return roster_json_refuse_item(rj, label, "enterprises",
			    i, e->id, "listed twice");
		seen[place] = (uint32_t)(officer + 1);
		o->enterprises[i] = e;
	}
	return 0;
}

/* Read one officer (the next in the file) into the roster. */
static int
roster_json_officer(struct roster_json *rj, const cJSON *entry)
{
	static const char *const fields[] = {
		"id", "name", "level", "unit", "phone", "email", "enterprises",
		NULL
	};
	struct roster *r = rj->roster;
	struct officer *o;
	size_t i = r->nofficers;
	const char *label = rj->entry_label;

	r->officers = roster_json_grow(r->officers, i, &rj->officers_alloc,
	    sizeof *r->officers);
	o = &r->officers[i];
	if (roster_json_id_and_name(rj, label, entry, fields, &o->id,
	    &o->name) != 0)
		return -1;
	if (roster_json_word(rj, label, entry, "level", roster_json_levels,
	    rj->level_copies, &o->level) != 0 ||
	    roster_json_copy(rj, label, entry, "unit", 0, 1, &o->unit) != 0 ||
	    roster_json_string(rj, label, entry, "phone", 0, &o->phone) != 0 ||
	    roster_json_string(rj, label, entry, "email", 0, &o->email) != 0)
		return -1;
	if (o->email != NULL && *o->email != '\0' &&
	    !roster_email_ok(o->email))
		return roster_json_error(rj, "%s: email \"%s\": not a mail "
		    "address", label, o->email);
	if (roster_json_officer_keep(rj, label, entry, o) != 0)
		return -1;
	r->nofficers++;
	return 0;
}

/*
 * Take one entry of the "enterprises" or "officers" array, in file order.
 * After a bad one the rest of that array is passed over: its message is
 * kept for roster_json_end, which decides whether it is the one told.
 */
void
roster_json_entry(struct roster_json *rj, enum roster_array which,
    const cJSON *entry)
{
	rj->entry = entry;
	if (which == ROSTER_ENTERPRISES) {
		rj->slot = &rj->enterprise_cause;
		rj->entry_array = "enterprises";
		rj->entry_index = rj->roster->nenterprises;
		if (rj->enterprise_cause == NULL)
			(void)roster_json_enterprise(rj, entry);
	} else {
		rj->slot = &rj->officer_cause;
		rj->entry_array = "officers";
		rj->entry_index = rj->roster->nofficers;
		if (rj->officer_cause == NULL)
			(void)roster_json_officer(rj, entry);
	}
	rj->entry = NULL;
	rj->slot = &rj->cause;
}

/*
 * Return 1, with *which set, if member key of the document is an array
 * whose entries roster_json_entry takes one at a time.
 */
int
roster_json_streamed(const char *key, enum roster_array *which)
{
	if (strcmp(key, "enterprises") == 0)
		*which = ROSTER_ENTERPRISES;
	else if (strcmp(key, "officers") == 0)
		*which = ROSTER_OFFICERS;
	else
		return 0;
	return 1;
}

/* An officer's id and its place in the file, to sort them. */
struct roster_json_key {
	const char *id;
	size_t index;
};

static int
roster_json_key_cmp(const void *a, const void *b)
{
	const struct roster_json_key *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Sort the officers (file order) into a new array by id. Refuse an id
 * given twice, naming its first two entries in the file as
 * roster_json_sort does. Return 0 or -1.
 */
static int
roster_json_sort_officers(struct roster_json *rj)
{
	struct roster *r = rj->roster;
	struct roster_json_key *keys;
	struct officer *sorted;
	size_t i, n = r->nofficers;

	keys = xcalloc(n == 0 ? 1 : n, sizeof *keys);
	for (i = 0; i < n; i++) {
		keys[i].id = r->officers[i].id;
		keys[i].index = i;
	}
	if (n > 0)
		qsort(keys, n, sizeof *keys, roster_json_key_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(keys[i - 1].id, keys[i].id) == 0) {
			roster_json_error(rj, "officers[%zu] \"%s\": duplicate "
			    "id (also officers[%zu])", keys[i].index,
			    keys[i].id, keys[i - 1].index);
			free(keys);
			return -1;
		}
	}
	sorted = xcalloc(n == 0 ? 1 : n, sizeof *sorted);
	for (i = 0; i < n; i++)
		sorted[i] = r->officers[keys[i].index];
	free(keys);
	free(r->officers);
	r->officers = sorted;
	return 0;
}

/* Make the cause kept in *kept the one told; return -1. */
static int
roster_json_take(struct roster_json *rj, char **kept)
{
	free(rj->cause);
	rj->cause = *kept;
	*kept = NULL;
	return -1;
}

/* Order two packed codes by their text. */
static int
roster_json_code_cmp(const void *a, const void *b)
{
	const struct roster_json_code *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

/*
 * Put the n enterprises of e in the order of codes (codes[i].index: the
 * place of the one that belongs at i), in place, a cycle at a time; each
 * index then says its own place.
 */
static void
roster_json_permute(struct enterprise *e, struct roster_json_code *codes,
    size_t n)
{
	struct enterprise held;
	size_t i, j, from;

	for (i = 0; i < n; i++) {
		if (codes[i].index == i)
			continue;
		held = e[i];
		for (j = i; (from = codes[j].index) != i; j = from) {
			e[j] = e[from];
			codes[j].index = (uint32_t)j;
		}
		e[j] = held;
		codes[j].index = (uint32_t)j;
	}
}

/* The slot a credit code (USCC_LEN bytes at id) hashes to: Fibonacci
 * hashing of its bytes as three words, nothing decoded. */
static size_t
roster_json_id_hash(const char *id, size_t mask)
{
	uint64_t a, b, h;
	uint16_t c;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	memcpy(&c, id + 16, 2);
	h = a * 0x9e3779b97f4a7c15ULL;
	h ^= (b + c) * 0xc2b2ae3d27d4eb4fULL;
	return (size_t)(h ^ (h >> 29)) & mask;
}

/*
 * Fill rj's hash table of the enterprises (file order), at most half
 * full, by their codes; the table holds only places, compared by their
 * ids (no array of codes beside it: memory a reload holds twice).
 * Return 0, or -1 for a code given twice, refused as roster_json_sort
 * does: of the codes given more than once the one first in order, named
 * at its first two places.
 */
static int
roster_json_hash_codes(struct roster_json *rj)
{
	const struct enterprise *e = rj->roster->enterprises;
	size_t i, at, n = rj->roster->nenterprises, size = 16;
	size_t first = 0, second = 0;
	int twice = 0;

	while (size < 2 * n)
		size *= 2;
	rj->mask = size - 1;
	rj->slots = xcalloc(size, sizeof *rj->slots);
	for (i = 0; i < n; i++) {
		at = roster_json_id_hash(e[i].id, rj->mask);
		for (; rj->slots[at] != 0; at = (at + 1) & rj->mask) {
			if (memcmp(e[rj->slots[at] - 1].id, e[i].id,
			    USCC_LEN) == 0)
				break;
		}
		if (rj->slots[at] == 0) {
			rj->slots[at] = (uint32_t)i + 1;
			continue;
		}
		/* A later repeat of the same code keeps the first pair. */
		if (!twice || strcmp(e[i].id, e[second].id) < 0) {
			first = rj->slots[at] - 1;
			second = i;
			twice = 1;
		}
	}
	if (!twice)
		return 0;
	return roster_json_error(rj, "enterprises[%zu] \"%s\": duplicate id "
	    "(also enterprises[%zu])", second, e[second].id, first);
}

/*
 * The enterprises, streamed by: the first bad one, else hash their codes
 * for roster_json_find_enterprise (a code given twice refused). They are
 * sorted once the officers' links are found
 * (roster_json_order_enterprises).
 */
static int
roster_json_enterprises(struct roster_json *rj, const cJSON *root)
{
	const cJSON *array;

	if (roster_json_array(rj, "roster", root, "enterprises", 1,
	    &array) != 0)
		return -1;
	if (rj->enterprise_cause != NULL)
		return roster_json_take(rj, &rj->enterprise_cause);
	return roster_json_hash_codes(rj);
}

/* Return the enterprise (file order) with the credit code of USCC_LEN
 * bytes at id, or NULL. */
static const struct enterprise *
roster_json_find_enterprise(struct roster_json *rj, const char *id)
{
	const struct enterprise *e = rj->roster->enterprises;
	size_t at;

	for (at = roster_json_id_hash(id, rj->mask); rj->slots[at] != 0;
	    at = (at + 1) & rj->mask) {
		if (memcmp(e[rj->slots[at] - 1].id, id, USCC_LEN) == 0)
			return &e[rj->slots[at] - 1];
	}
	return NULL;
}

/*
 * Sort the enterprises by code (unique by now), in place, and point the
 * officers' links (to places in the file) at their new places.
 */
static void
roster_json_order_enterprises(struct roster_json *rj)
{
	struct roster *r = rj->roster;
	struct roster_json_code *codes;
	struct enterprise *e = r->enterprises;
	struct officer *o;
	uint32_t *moved;
	size_t i, j, n = r->nenterprises;

	codes = xcalloc(n + 1, sizeof *codes);
	for (i = 0; i < n; i++) {
		/* Checked when read (roster_json_check_code). */
		if (roster_json_code_pack(e[i].id, &codes[i]) != 0)
			fatalx("roster_json_order_enterprises: bad code");
		codes[i].index = (uint32_t)i;
	}
	qsort(codes, n, sizeof *codes, roster_json_code_cmp);
	moved = xcalloc(n + 1, sizeof *moved);
	for (i = 0; i < n; i++)
		moved[codes[i].index] = (uint32_t)i;
	roster_json_permute(e, codes, n);
	free(codes);
	for (i = 0; i < r->nofficers; i++) {
		o = &r->officers[i];
		for (j = 0; j < o->nenterprises; j++)
			o->enterprises[j] = &e[moved[o->enterprises[j] - e]];
	}
	free(moved);
}

/*
 * The officers, streamed by (after the enterprises): each read one's
 * enterprises looked up, then the first bad officer, else sort them.
 */
static int
roster_json_officers(struct roster_json *rj, const cJSON *root)
{
	struct roster *r = rj->roster;
	const cJSON *array;
	uint32_t *seen;
	size_t i, at = 0;

	if (roster_json_array(rj, "roster", root, "officers", 1, &array) != 0)
		return -1;
	seen = xcalloc(r->nenterprises + 1, sizeof *seen);
	for (i = 0; i < r->nofficers; i++) {
		if (roster_json_officer_links(rj, &r->officers[i], i, &at,
		    seen) != 0) {
			free(seen);
			return -1;
		}
	}
	free(seen);
	if (rj->officer_cause != NULL)
		return roster_json_take(rj, &rj->officer_cause);
	/* The links are found: their room goes before the sort takes its. */
	free(rj->links);
	rj->links = NULL;
	free(rj->slots);
	rj->slots = NULL;
	roster_free(rj->scratch);
	rj->scratch = NULL;
	if (!rj->check_only)
		roster_json_order_enterprises(rj);
	return roster_json_sort_officers(rj);
}

/* --- the document -------------------------------------------------------- */

/*
 * Read the document root (less the streamed arrays' entries) into
 * rj->roster, in the order of the checks.
 */
static int
roster_json_root(struct roster_json *rj, const cJSON *root)
{
	static const char *const fields[] = {
		"zone", "leaders", "departments", "topics", "officers",
		"enterprises", NULL
	};

	if (!cJSON_IsObject(root))
		return roster_json_error(rj, "expected a JSON object");
	if (roster_json_check_fields(rj, "roster", root, fields) != 0)
		return -1;
	if (roster_json_zone(rj, root) != 0)
		return -1;
	if (roster_json_leaders(rj, root) != 0)
		return -1;
	if (roster_json_departments(rj, root) != 0)
		return -1;
	if (roster_json_topics(rj, root) != 0)
		return -1;
	if (roster_json_enterprises(rj, root) != 0)
		return -1;
	return roster_json_officers(rj, root);
}

/* Begin reading a roster named name (the file, for messages). */
struct roster_json *
roster_json_begin(const char *name)
{
	struct roster_json *rj;

	rj = xcalloc(1, sizeof *rj);
	rj->name = name;
	rj->roster = roster_new(name);
	rj->scratch = roster_new(name);
	rj->slot = &rj->cause;
	return rj;
}

/*
 * Make rj's read a check: every rule holds as for a load, the same
 * refusals in the same order, but the roster roster_json_end returns is
 * not put in order (its enterprises stay in file order, unfit for
 * lookups): read its counts only. liaisonctl's import checks what it
 * writes and keeps nothing of it; a million enterprises sorted and moved
 * were a tenth of its time.
 */
void
roster_json_check_only(struct roster_json *rj)
{
	rj->check_only = 1;
}

/* Give up a read: free rj and all it holds; NULL is fine. */
void
roster_json_free(struct roster_json *rj)
{
	if (rj == NULL)
		return;
	roster_free(rj->roster);
	roster_free(rj->scratch);
	free(rj->links);
	free(rj->slots);
	free(rj->shared);
	free(rj->cause);
	free(rj->enterprise_cause);
	free(rj->officer_cause);
	free(rj);
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/*
 * End the read: check the document root (every member but the streamed
 * arrays' entries, which roster_json_entry had; the caller frees it) and
 * free rj. Return
 * the roster (free with roster_free), or NULL with *cause set to the first
 * problem in the order of the checks (caller frees).
 */
struct roster *
roster_json_end(struct roster_json *rj, const cJSON *root, char **cause)
{
	struct roster *r = NULL;

	if (roster_json_root(rj, root) == 0) {
		r = rj->roster;
		rj->roster = NULL;
	} else {
		*cause = rj->cause;
		rj->cause = NULL;
	}
	roster_json_free(rj);
	return r;
}
