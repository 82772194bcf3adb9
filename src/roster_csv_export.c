/*
 * roster_csv_export.c -- the roster as sheets (roster_csv.c defines them):
 * one CSV buffer per sheet, in UTF-8 with a byte order mark (so that Excel
 * reads it as UTF-8), every cell quoted, CRLF line ends, Chinese headers.
 *
 * The roster is checked with roster_load_text first, so a sheet is never
 * written from a roster the daemon would refuse. An officer's enterprises
 * become the 指导员 cell of each enterprise; since an import lists them in
 * the enterprise sheet's order, export counts the officers whose order it
 * cannot keep, for liaisonctl to say so.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include <cjson/cJSON.h>

#include "liaison.h"

/* Write the cells of one row to f, quoted, with CRLF. */
static int
roster_csv_export_row(FILE *f, const char *const *cells, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0 && fputc(',', f) == EOF)
			return -1;
		if (csv_fwrite(f, cells[i], strlen(cells[i])) != 0)
			return -1;
	}
	return fputs("\r\n", f) == EOF ? -1 : 0;
}

/* Return the string member key of obj, or "" when it is absent. */
static const char *
roster_csv_export_get(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(item) ? item->valuestring : "";
}

/* Return a new string of the strings of array joined by ";". */
static char *
roster_csv_export_join(const cJSON *array)
{
	const cJSON *item;
	char *out = xstrdup(""), *next;

	cJSON_ArrayForEach(item, array) {
		if (!cJSON_IsString(item))
			continue;
		xasprintf(&next, "%s%s%s", out, *out ? ";" : "",
		    item->valuestring);
		free(out);
		out = next;
	}
	return out;
}

/* Return the sheet word of roster word w in words (w itself if none). */
static const char *
roster_csv_export_word(const char *const words[][2], const char *w)
{
	size_t i;

	for (i = 0; words[i][0] != NULL; i++) {
		if (strcmp(words[i][0], w) == 0)
			return words[i][1];
	}
	return w;
}

/*
 * Return the links of root: one key per (enterprise, officer) pair, the
 * enterprise's id with the officer's entry and index, sorted; *n of them.
 */
static struct roster_csv_key *
roster_csv_export_links(const cJSON *root, size_t *n)
{
	const cJSON *o, *e;
	struct roster_csv_key *links = NULL;
	size_t i = 0, alloc = 0;

	*n = 0;
	cJSON_ArrayForEach(o, cJSON_GetObjectItem(root, "officers")) {
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "enterprises")) {
			if (*n == alloc) {
				alloc = alloc ? alloc * 2 : 256;
				links = xreallocarray(links, alloc,
				    sizeof *links);
			}
			links[*n].id = xstrdup(e->valuestring);
			links[*n].row = i;
			links[*n].entry = (cJSON *)o;
			(*n)++;
		}
		i++;
	}
	if (*n > 0)
		qsort(links, *n, sizeof *links, roster_csv_key_cmp);
	return links;
}

/*
 * Return a new string: the ids (joined by ";", in sheet order) of the
 * officers that links say look after enterprise id.
 */
static char *
roster_csv_export_officers_of(struct roster_csv_key *links, size_t n,
    const char *id)
{
	const struct roster_csv_key *k;
	char *out = xstrdup(""), *next;

	k = roster_csv_key_first(links, n, id);
	for (; k != NULL && k < links + n && strcmp(k->id, id) == 0; k++) {
		xasprintf(&next, "%s%s%s", out, *out ? ";" : "",
		    roster_csv_export_get(k->entry, "id"));
		free(out);
		out = next;
	}
	return out;
}

/* Write the cells of one entry of sheet id from obj. */
static int
roster_csv_export_entry(FILE *f, enum roster_csv_sheet_id id,
    struct roster_csv_key *links, size_t nlinks, const cJSON *obj)
{
	const struct roster_csv_column *col = roster_csv_layout(id)->columns;
	const cJSON *webhook = cJSON_GetObjectItem(obj, "webhook");
	const char *cells[ROSTER_CSV_MAX_COLUMNS];
	char *owned[ROSTER_CSV_MAX_COLUMNS] = { NULL };
	size_t k;
	int status;

	for (k = 0; col[k].key != NULL; k++) {
		cells[k] = roster_csv_export_get(obj, col[k].key);
		if (col[k].kind == ROSTER_CSV_WORD)
			cells[k] = roster_csv_export_word(col[k].words,
			    cells[k]);
		else if (col[k].kind == ROSTER_CSV_WEBHOOK)
			cells[k] = roster_csv_export_get(webhook,
			    col[k].key + strlen("webhook_"));
		else if (col[k].kind == ROSTER_CSV_LINK)
			cells[k] = owned[k] = roster_csv_export_officers_of(
			    links, nlinks, roster_csv_export_get(obj, "id"));
		else if (col[k].kind == ROSTER_CSV_LIST)
			cells[k] = owned[k] = roster_csv_export_join(
			    cJSON_GetObjectItem(obj, col[k].key));
	}
	status = roster_csv_export_row(f, cells, k);
	for (k = 0; k < ROSTER_CSV_MAX_COLUMNS; k++)
		free(owned[k]);
	return status;
}

/* Write sheet id of root into a new buffer; return 0 or -1. */
static int
roster_csv_export_sheet(enum roster_csv_sheet_id id, const cJSON *root,
    struct roster_csv_key *links, size_t nlinks, char **out,
    size_t *outlen)
{
	const struct roster_csv_layout *layout = roster_csv_layout(id);
	const char *cells[ROSTER_CSV_MAX_COLUMNS];
	const cJSON *entry;
	FILE *f;
	size_t k;
	int status = 0;

	if ((f = open_memstream(out, outlen)) == NULL)
		fatal("open_memstream");
	if (fputs("\xef\xbb\xbf", f) == EOF)
		status = -1;
	for (k = 0; layout->columns[k].key != NULL; k++)
		cells[k] = layout->columns[k].zh;
	if (roster_csv_export_row(f, cells, k) != 0)
		status = -1;
	cJSON_ArrayForEach(entry, cJSON_GetObjectItem(root, layout->name)) {
		if (roster_csv_export_entry(f, id, links, nlinks, entry) != 0)
			status = -1;
	}
	if (fclose(f) != 0)
		status = -1;
	return status;
}

/*
 * Return the number of officers of root whose enterprises are not in the
 * order of the enterprise sheet (an import lists them in that order).
 */
static size_t
roster_csv_export_reordered(const cJSON *root)
{
	const cJSON *o, *e, *list = cJSON_GetObjectItem(root, "enterprises");
	struct roster_csv_key *keys, *k;
	size_t n = 0, i = 0, count;
	long last;

	count = (size_t)cJSON_GetArraySize(list);
	keys = xcalloc(count + 1, sizeof *keys);
	cJSON_ArrayForEach(e, list) {
		keys[i].id = xstrdup(roster_csv_export_get(e, "id"));
		keys[i].row = i;
		i++;
	}
	qsort(keys, count, sizeof *keys, roster_csv_key_cmp);
	cJSON_ArrayForEach(o, cJSON_GetObjectItem(root, "officers")) {
		last = -1;
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "enterprises")) {
			k = roster_csv_key_first(keys, count, e->valuestring);
			if (k != NULL && (long)k->row < last) {
				n++;
				break;
			}
			if (k != NULL)
				last = (long)k->row;
		}
	}
	roster_csv_keys_free(keys, count);
	return n;
}

/*
 * Write the sheets of the roster text (len bytes, named name) into out[]
 * (one buffer per sheet, out[i] of outlen[i] bytes; the caller frees them)
 * after checking it with roster_load_text. *reordered is the number of officers
 * whose enterprises an import would list in another order. Return 0, or -1
 * with *cause set.
 */
int
roster_csv_export(const char *text, size_t len, const char *name,
    char *out[ROSTER_CSV_NSHEETS], size_t outlen[ROSTER_CSV_NSHEETS],
    size_t *reordered, char **cause)
{
	struct roster_csv_key *links;
	struct roster *roster;
	cJSON *root;
	size_t i, nlinks;

	for (i = 0; i < ROSTER_CSV_NSHEETS; i++)
		out[i] = NULL;
	if ((roster = roster_load_text(text, len, name, cause)) == NULL)
		return -1;
	roster_free(roster);
	if ((root = cJSON_ParseWithLength(text, len)) == NULL) {
		xasprintf(cause, "%s: not valid JSON", name);
		return -1;
	}
	links = roster_csv_export_links(root, &nlinks);
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++) {
		if (roster_csv_export_sheet(i, root, links, nlinks, &out[i],
		    &outlen[i]) != 0) {
			xasprintf(cause, "%s: cannot write the %s sheet", name,
			    roster_csv_sheet_name(i));
			for (; i != (size_t)-1; i--) {
				free(out[i]);
				out[i] = NULL;
			}
			roster_csv_keys_free(links, nlinks);
			cJSON_Delete(root);
			return -1;
		}
	}
	roster_csv_keys_free(links, nlinks);
	*reordered = roster_csv_export_reordered(root);
	cJSON_Delete(root);
	return 0;
}
