/*
 * ctl_roster.c -- liaisonctl roster import and export: the roster as the
 * CSV sheets a clerk keeps in Excel (see roster_csv.c for the columns).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"
#include "ctl.h"

/* The long options naming a sheet file, in enum roster_csv_sheet_id order. */
static const struct option ctl_roster_options[] = {
	{ "officers", required_argument, NULL, ROSTER_CSV_OFFICERS },
	{ "enterprises", required_argument, NULL, ROSTER_CSV_ENTERPRISES },
	{ "departments", required_argument, NULL, ROSTER_CSV_DEPARTMENTS },
	{ "topics", required_argument, NULL, ROSTER_CSV_TOPICS },
	{ "leaders", required_argument, NULL, ROSTER_CSV_LEADERS },
	{ "zone", required_argument, NULL, 'z' },
	{ "timezone", required_argument, NULL, 't' },
	{ "base", required_argument, NULL, 'b' },
	{ "output", required_argument, NULL, 'o' },
	{ "input", required_argument, NULL, 'i' },
	{ NULL, 0, NULL, 0 }
};

static void
ctl_roster_usage(void)
{
	fprintf(stderr,
	    "usage: liaisonctl roster import --officers FILE --enterprises FILE\n"
	    "           [--departments FILE] [--topics FILE] [--leaders FILE]\n"
	    "           [--zone NAME] [--timezone TZ] [--base ROSTER] -o ROSTER\n"
	    "       liaisonctl roster export -i ROSTER [--officers FILE]\n"
	    "           [--enterprises FILE] [--departments FILE] [--topics FILE]\n"
	    "           [--leaders FILE]\n");
}

/* Options of one import or export. */
struct ctl_roster_args {
	const char *files[ROSTER_CSV_NSHEETS];
	const char *zone;
	const char *timezone;
	const char *base;
	const char *output;
	const char *input;
};

/* Parse the options after "import" or "export"; return 0 or -1. */
static int
ctl_roster_parse(int argc, char **argv, struct ctl_roster_args *a)
{
	int ch;

	memset(a, 0, sizeof *a);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+o:i:", ctl_roster_options,
	    NULL)) != -1) {
		if (ch >= 0 && ch < ROSTER_CSV_NSHEETS)
			a->files[ch] = optarg;
		else if (ch == 'z')
			a->zone = optarg;
		else if (ch == 't')
			a->timezone = optarg;
		else if (ch == 'b')
			a->base = optarg;
		else if (ch == 'o')
			a->output = optarg;
		else if (ch == 'i')
			a->input = optarg;
		else
			return -1;
	}
	return optind == argc ? 0 : -1;
}

/* Read a whole file into a new NUL-terminated buffer; NULL on error. */
static char *
ctl_roster_slurp(const char *path, size_t *len)
{
	FILE *f;
	char *data = NULL;
	size_t alloc = 0, n;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return NULL;
	}
	*len = 0;
	do {
		if (*len + 65536 + 1 > alloc) {
			alloc = alloc ? alloc * 2 : 65536 * 2;
			data = xreallocarray(data, alloc, 1);
		}
		n = fread(data + *len, 1, alloc - *len - 1, f);
		*len += n;
	} while (n > 0);
	if (ferror(f)) {
		perror(path);
		fclose(f);
		free(data);
		return NULL;
	}
	fclose(f);
	data[*len] = '\0';
	return data;
}

/*
 * Read --base: a valid roster, read once, as a cJSON tree of what an
 * import takes from it (its enterprises and officers are left out). NULL
 * on error.
 */
static cJSON *
ctl_roster_base(const char *path)
{
	struct roster *r;
	char *cause = NULL;
	cJSON *rest;

	if ((r = roster_load_rest(path, &rest, &cause)) == NULL) {
		fprintf(stderr, "liaisonctl: %s\n", cause);
		free(cause);
		return NULL;
	}
	roster_free(r);
	return rest;
}

/* roster_csv_import_write's writer: the output's temporary file (it
 * keeps a failed write's error for atomic_file_commit). */
static void
ctl_roster_put(void *arg, const char *data, size_t len)
{
	(void)atomic_file_write(arg, data, len);
}

/*
 * roster import: build a roster from the sheets and write it to -o, or
 * print every problem found ("FILE:LINE:COLUMN: what") and write nothing.
 * The text goes to the file as it is made and checked: it is never held.
 */
int
ctl_roster_import(int argc, char **argv)
{
	struct csv_sheet *sheets[ROSTER_CSV_NSHEETS] = { NULL };
	struct roster_csv_input in;
	struct ctl_roster_args a;
	struct atomic_file *af = NULL;
	struct roster_csv_counts n;
	char *cause = NULL;
	size_t i;
	int status = 1;

	if (ctl_roster_parse(argc, argv, &a) != 0 || a.output == NULL ||
	    a.input != NULL) {
		ctl_roster_usage();
		return 2;
	}
	memset(&in, 0, sizeof in);
	in.zone_name = a.zone;
	in.timezone = a.timezone;
	if (a.base != NULL && (in.base = ctl_roster_base(a.base)) == NULL)
		return 1;
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++) {
		if (a.files[i] == NULL)
			continue;
		if ((sheets[i] = csv_read_file(a.files[i], &cause)) == NULL)
			goto out;
		in.sheets[i] = sheets[i];
	}
	if ((af = atomic_file_open(a.output, &cause)) == NULL)
		goto out;
	/* Checked once, as it is written: the text is not read again. */
	if (roster_csv_import_write(&in, ctl_roster_put, af, &n,
	    &cause) != 0)
		goto out;
	ctl_roster_put(af, "\n", 1);
	status = atomic_file_commit(af, &cause) == 0 ? 0 : 1;
	af = NULL;
	if (status == 0)
		printf("%s: ok: %zu officers, %zu enterprises, %zu "
		    "departments, %zu topics, %zu leaders\n", a.output,
		    n.officers, n.enterprises, n.departments, n.topics,
		    n.leaders);
out:
	atomic_file_abort(af);
	if (cause != NULL)
		fprintf(stderr, "%s\n", cause);
	free(cause);
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++)
		csv_read_free(sheets[i]);
	cJSON_Delete((cJSON *)in.base);
	return status;
}

/*
 * roster export: write the sheets named by the options from the roster
 * -i, all or none.
 */
int
ctl_roster_export(int argc, char **argv)
{
	char *out[ROSTER_CSV_NSHEETS], *data[ROSTER_CSV_NSHEETS];
	size_t outlen[ROSTER_CSV_NSHEETS], lens[ROSTER_CSV_NSHEETS];
	const char *paths[ROSTER_CSV_NSHEETS];
	struct ctl_roster_args a;
	char *cause = NULL, *text;
	size_t i, n = 0, len, reordered;
	int status = 1;

	if (ctl_roster_parse(argc, argv, &a) != 0 || a.input == NULL ||
	    a.output != NULL || a.zone != NULL || a.timezone != NULL ||
	    a.base != NULL) {
		ctl_roster_usage();
		return 2;
	}
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++) {
		if (a.files[i] != NULL)
			n++;
	}
	if (n == 0) {
		fprintf(stderr, "liaisonctl: name at least one sheet to "
		    "write (--officers FILE ...)\n");
		return 2;
	}
	if ((text = ctl_roster_slurp(a.input, &len)) == NULL)
		return 1;
	if (roster_csv_export(text, len, a.input, out, outlen, &reordered,
	    &cause) != 0) {
		fprintf(stderr, "liaisonctl: %s\n", cause);
		free(cause);
		free(text);
		return 1;
	}
	free(text);
	n = 0;
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++) {
		if (a.files[i] == NULL)
			continue;
		paths[n] = a.files[i];
		data[n] = out[i];
		lens[n++] = outlen[i];
	}
	if (atomic_write_files(paths, data, lens, n, &cause) != 0)
		fprintf(stderr, "liaisonctl: %s\n", cause);
	else
		status = 0;
	if (status == 0 && reordered > 0)
		fprintf(stderr, "liaisonctl: note: %zu officers list their "
		    "enterprises in another order than the enterprise sheet; "
		    "an import lists them in sheet order\n", reordered);
	free(cause);
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++)
		free(out[i]);
	return status;
}
