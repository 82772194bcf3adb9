/*
 * fixtures.c -- the worlds several unit test programs build (fixtures.h).
 * A fixture that cannot be built fails the test that asked for it, with
 * the reason, rather than returning an error to check.
 */
#include "config.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "liaison.h"
#include "fixtures.h"

const int fixture_weights[] = { 30, 35, 35 };
char fixture_dir[PATH_MAX];
char fixture_file[2 * PATH_MAX];

/* Work in the sample zone's time zone, Asia/Shanghai (UTC+8, no DST). */
void
fixture_zone(void)
{
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
}

/* Return local time year-month-day hour:minute:00 as a time_t. */
time_t
fixture_local_time(int year, int month, int day, int hour, int minute)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* The sample roster, etc/roster.json; the caller frees it (roster_free). */
struct roster *
fixture_roster(void)
{
	struct roster *roster;
	char *cause = NULL;

	if ((roster = roster_load(ETC_DIR "/roster.json", &cause)) == NULL)
		fail_msg("%s", cause);
	return roster;
}

/*
 * The ledger's public JSON, scored for roster at now with the fixture's
 * weights, as text (freed by the caller): what two ledgers are compared by.
 */
char *
fixture_ledger_text(struct ledger *l, const struct roster *roster,
    int64_t now)
{
	cJSON *json;
	char *out;

	ledger_score(l, roster, fixture_weights, now);
	json = ledger_json(l, roster, NULL, 0);
	out = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	return out;
}

/*
 * The whole file at path in a new buffer with a NUL after it (the caller
 * frees it); its length in *len unless len is NULL.
 */
char *
fixture_read(const char *path, size_t *len)
{
	FILE *f;
	char *data;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("%s: cannot open", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	data = malloc(n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, n, f), n);
	data[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return data;
}

/*
 * A cmocka setup's helper: make a private directory /tmp/NAME.XXXXXX into
 * fixture_dir, as its real path (/tmp may be a symbolic link, and loaders
 * resolve paths), and set fixture_file to file in it (not created). Return
 * 0, or -1 when the directory cannot be made.
 */
int
fixture_dir_make(const char *name, const char *file)
{
	char *real;

	snprintf(fixture_dir, sizeof fixture_dir, "/tmp/%s.XXXXXX", name);
	if (mkdtemp(fixture_dir) == NULL)
		return -1;
	if ((real = realpath(fixture_dir, NULL)) == NULL)
		return -1;
	snprintf(fixture_dir, sizeof fixture_dir, "%s", real);
	free(real);
	if ((size_t)snprintf(fixture_file, sizeof fixture_file, "%s/%s",
	    fixture_dir, file) >= sizeof fixture_file)
		return -1;
	return 0;
}

/* Remove fixture_dir_make's file and directory. */
void
fixture_dir_remove(void)
{
	unlink(fixture_file);
	rmdir(fixture_dir);
}

/* Write the len bytes at data to the file at path, replacing it. */
void
fixture_write(const char *path, const void *data, size_t len)
{
	FILE *f;

	if ((f = fopen(path, "wb")) == NULL)
		fail_msg("%s: cannot create", path);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Write the string text to the file at path, replacing it. */
void
fixture_write_text(const char *path, const char *text)
{
	fixture_write(path, text, strlen(text));
}

/*
 * Check that text was refused: a loader gave got NULL, and its *cause is
 * exactly the message fmt makes (usually "FILE:" and what the test
 * expects). Frees cause.
 */
void
fixture_refused(const void *got, char *cause, const char *text,
    const char *fmt, ...)
{
	va_list ap;
	char want[4096];

	if (got != NULL)
		fail_msg("accepted:\n%s", text);
	assert_non_null(cause);
	va_start(ap, fmt);
	vsnprintf(want, sizeof want, fmt, ap);
	va_end(ap);
	assert_string_equal(cause, want);
	free(cause);
}
