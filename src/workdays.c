/*
 * workdays.c -- the working-day calendar that task deadlines count in.
 *
 * Which days are public holidays, and which weekend days are worked in
 * exchange (调休上班), is decided each year by the State Council's notice; it
 * cannot be computed. The calendar file lists those days, one a line:
 *
 *	YYYY-MM-DD off|work NAME
 *
 * with '#' comment lines and blank lines. A weekday is a working day unless
 * it is listed "off"; a Saturday or Sunday is one only when listed "work".
 * Dates are kept in an array sorted by date and looked up with bsearch.
 * Dates are plain calendar days, counted as day numbers (date.c), so the
 * arithmetic here needs no time zone; only workdays_due turns a time into a
 * local date and back, with localtime_r and mktime in the process's zone
 * (TZ, set at start).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "liaison.h"

#define WORKDAYS_YEAR_MIN 2000
#define WORKDAYS_YEAR_MAX 2999

/* State of one load: the file, the line it is on and the dates so far. */
struct workdays_parse {
	const char *path;
	int lineno;
	struct workdays_day *days;
	size_t ndays;
	size_t alloc;
	char *cause;
};

/* Return 1 if year-month-day is a Saturday or a Sunday, 0 otherwise. */
static int
workdays_weekend(int year, int month, int day)
{
	return date_weekday(date_to_days(year, month, day)) >= 5;
}

/* Return the YYYYMMDD key the day array is sorted by. */
static int
workdays_key(int year, int month, int day)
{
	return year * 10000 + month * 100 + day;
}

/* bsearch and qsort comparison of two days by date. */
static int
workdays_compare(const void *a, const void *b)
{
	const struct workdays_day *da = a, *db = b;

	if (da->date != db->date)
		return da->date < db->date ? -1 : 1;
	return 0;
}

/* Return the listed day with key date, or NULL when it is not listed. */
static const struct workdays_day *
workdays_find(const struct workdays *wd, int date)
{
	struct workdays_day key;

	if (wd->ndays == 0)
		return NULL;
	key.date = date;
	return bsearch(&key, wd->days, wd->ndays, sizeof *wd->days,
	    workdays_compare);
}

/* Record the first error of a load, on the current line. */
static void
workdays_error(struct workdays_parse *wp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
workdays_error(struct workdays_parse *wp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	util_vcause(&wp->cause, wp->path, wp->lineno, fmt, ap);
	va_end(ap);
}

/*
 * Parse the date field (exactly "YYYY-MM-DD", a day that exists) into *key
 * and *weekend. Return 0, or -1 with the error recorded.
 */
static int
workdays_parse_date(struct workdays_parse *wp, const char *field,
    int *key, int *weekend)
{
	int year, month, day;

	if (strlen(field) != 10 || field[4] != '-' || field[7] != '-' ||
	    (year = date_digits(field, 4)) == -1 ||
	    (month = date_digits(field + 5, 2)) == -1 ||
	    (day = date_digits(field + 8, 2)) == -1) {
		workdays_error(wp, "\"%s\": not a date in the form YYYY-MM-DD",
		    field);
		return -1;
	}
	if (year < WORKDAYS_YEAR_MIN || year > WORKDAYS_YEAR_MAX) {
		workdays_error(wp, "\"%s\": the year must be from %d to %d",
		    field, WORKDAYS_YEAR_MIN, WORKDAYS_YEAR_MAX);
		return -1;
	}
	if (month < 1 || month > 12 || day < 1 ||
	    day > date_month_length(year, month)) {
		workdays_error(wp, "\"%s\": no such day", field);
		return -1;
	}
	*key = workdays_key(year, month, day);
	*weekend = workdays_weekend(year, month, day);
	return 0;
}

/* Return the length of the run of spaces and tabs at s. */
static size_t
workdays_blank(const char *s)
{
	return strspn(s, " \t");
}

/* Return the length of the field at s, up to a space, tab or the end. */
static size_t
workdays_field(const char *s)
{
	return strcspn(s, " \t");
}

/*
 * Parse one line of the file (its newline removed) and append the day it
 * lists. Return 0 (comments and blank lines included), or -1 with the
 * error recorded. A date given twice is found by a scan of the days so far:
 * a calendar holds a few dozen dates a year.
 */
static int
workdays_parse_line(struct workdays_parse *wp, char *line)
{
	struct workdays_day *day;
	char *date, *kind, *name;
	size_t len, i;
	int key, weekend, work;

	line += workdays_blank(line);
	if (*line == '\0' || *line == '#')
		return 0;

	date = line;
	len = workdays_field(date);
	kind = date + len + workdays_blank(date + len);
	date[len] = '\0';
	if (workdays_parse_date(wp, date, &key, &weekend) != 0)
		return -1;

	if (*kind == '\0') {
		workdays_error(wp, "missing \"off\" or \"work\" after the date");
		return -1;
	}
	len = workdays_field(kind);
	name = kind + len + workdays_blank(kind + len);
	kind[len] = '\0';
	if (strcmp(kind, "off") == 0)
		work = 0;
	else if (strcmp(kind, "work") == 0)
		work = 1;
	else {
		workdays_error(wp, "\"%s\": unknown kind, expected \"off\" or "
		    "\"work\"", kind);
		return -1;
	}
	if (work && !weekend) {
		workdays_error(wp, "%s is a weekday: only a Saturday or a "
		    "Sunday can be a \"work\" day", date);
		return -1;
	}

	if (*name == '\0') {
		workdays_error(wp, "missing the name after \"%s\"", kind);
		return -1;
	}
	len = strlen(name);
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		name[--len] = '\0';
	if (!utf8_valid(name, len)) {
		workdays_error(wp, "the name is not valid UTF-8");
		return -1;
	}

	for (i = 0; i < wp->ndays; i++) {
		if (wp->days[i].date == key) {
			workdays_error(wp, "%s: given twice (first on line %d)",
			    date, wp->days[i].line);
			return -1;
		}
	}

	if (wp->ndays == wp->alloc) {
		wp->alloc = wp->alloc == 0 ? 64 : wp->alloc * 2;
		wp->days = xreallocarray(wp->days, wp->alloc, sizeof *wp->days);
	}
	day = &wp->days[wp->ndays++];
	day->date = key;
	day->work = work;
	day->line = wp->lineno;
	day->name = xstrdup(name);
	return 0;
}

/* Free the days of a failed load. */
static void
workdays_parse_free(struct workdays_parse *wp)
{
	size_t i;

	for (i = 0; i < wp->ndays; i++)
		free(wp->days[i].name);
	free(wp->days);
}

/*
 * Read the calendar file at path. Return the calendar (free it with
 * workdays_free), or NULL with *cause set to "FILE:LINE: what is wrong" for
 * the first bad line (a malformed or impossible date, an unknown kind, a
 * "work" weekday, a missing name, a date given twice), or to "FILE: why"
 * when it cannot be read. The caller frees *cause. A file with no dates at
 * all loads: workdays_covers then says no year is covered.
 */
struct workdays *
workdays_load(const char *path, char **cause)
{
	struct workdays_parse wp;
	struct workdays *wd;
	FILE *f;
	char *line = NULL;
	size_t size = 0;
	ssize_t len;

	*cause = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	memset(&wp, 0, sizeof wp);
	wp.path = path;
	while ((len = getline(&line, &size, f)) != -1) {
		wp.lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (strlen(line) != (size_t)len) {
			workdays_error(&wp, "NUL byte in the line");
			break;
		}
		if (workdays_parse_line(&wp, line) != 0)
			break;
	}
	if (wp.cause == NULL && ferror(f))
		xasprintf(&wp.cause, "%s: %s", path, strerror(errno));
	free(line);
	fclose(f);

	if (wp.cause != NULL) {
		*cause = wp.cause;
		workdays_parse_free(&wp);
		return NULL;
	}
	if (wp.ndays > 0)
		qsort(wp.days, wp.ndays, sizeof *wp.days, workdays_compare);
	wd = xcalloc(1, sizeof *wd);
	wd->path = xstrdup(path);
	wd->days = wp.days;
	wd->ndays = wp.ndays;
	return wd;
}

/* Free a calendar and everything it holds; NULL is fine. */
void
workdays_free(struct workdays *wd)
{
	size_t i;

	if (wd == NULL)
		return;
	for (i = 0; i < wd->ndays; i++)
		free(wd->days[i].name);
	free(wd->days);
	free(wd->path);
	free(wd);
}

/*
 * Return 1 if year-month-day (a real day) is a working day, 0 if not: a
 * Monday to Friday unless the calendar lists it "off", a Saturday or Sunday
 * only when the calendar lists it "work".
 */
int
workdays_is_workday(const struct workdays *wd, int year, int month, int day)
{
	const struct workdays_day *listed;

	listed = workdays_find(wd, workdays_key(year, month, day));
	if (listed != NULL)
		return listed->work;
	return !workdays_weekend(year, month, day);
}

/*
 * The last second (23:59:59 local time) of year-month-day. Most days have
 * the offset from UTC that start had (gmtoff): the guess is checked with
 * localtime_r, and mktime (which reads the zone again on every call, most
 * of a report's deadlines' cost) asked only when the offset changed.
 */
static time_t
workdays_day_end(int year, int month, int day, long gmtoff)
{
	struct tm tm;
	time_t t;

	t = (time_t)(date_to_days(year, month, day) * 86400 + 86399 - gmtoff);
	if (localtime_r(&t, &tm) != NULL && tm.tm_year == year - 1900 &&
	    tm.tm_mon == month - 1 && tm.tm_mday == day && tm.tm_hour == 23 &&
	    tm.tm_min == 59 && tm.tm_sec == 59)
		return t;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = 23;
	tm.tm_min = 59;
	tm.tm_sec = 59;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/*
 * Return the deadline of a limit of n working days (n >= 1) that starts at
 * time start: the last second (23:59:59 local time) of the n-th working day,
 * counting from the first working day after start's local date. The day of
 * start itself never counts, whatever the hour. Return (time_t)-1 when n is
 * below 1 or the time cannot be converted.
 */
time_t
workdays_due(const struct workdays *wd, time_t start, int n)
{
	struct tm tm;
	int64_t number;
	int year, month, day, counted = 0;

	if (n < 1 || localtime_r(&start, &tm) == NULL)
		return (time_t)-1;
	number = date_to_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	do {
		date_from_days(++number, &year, &month, &day);
		if (workdays_is_workday(wd, year, month, day))
			counted++;
	} while (counted < n);

	return workdays_day_end(year, month, day, tm.tm_gmtoff);
}

/*
 * Return 1 if the calendar lists any date of year, 0 if it lists none: then
 * its holidays are unknown and every weekday counts as a working day, which
 * the daemon must say loudly.
 */
int
workdays_covers(const struct workdays *wd, int year)
{
	size_t low = 0, high = wd->ndays, middle;
	int first = workdays_key(year, 1, 1);

	/* Find the first listed date on or after January 1st. */
	while (low < high) {
		middle = low + (high - low) / 2;
		if (wd->days[middle].date < first)
			low = middle + 1;
		else
			high = middle;
	}
	return low < wd->ndays && wd->days[low].date / 10000 == year;
}

/*
 * Return the last year the calendar lists a date of, or 0 when it lists
 * none: its holidays are known up to that year's December 31st (what
 * /metrics shows as liaisond_calendar_covered_until_seconds).
 */
int
workdays_last_year(const struct workdays *wd)
{
	return wd->ndays == 0 ? 0 : wd->days[wd->ndays - 1].date / 10000;
}

/*
 * Return the first of year and the year after that the calendar does not
 * cover, or 0 when it covers both. This is the rule for warning people
 * (the log, the leaders' digest): a notice for the next year comes out in
 * the autumn, and a calendar without it runs out within weeks.
 */
int
workdays_missing_year(const struct workdays *wd, int year)
{
	if (!workdays_covers(wd, year))
		return year;
	if (!workdays_covers(wd, year + 1))
		return year + 1;
	return 0;
}

/*
 * The warning people read, in Chinese, when the calendar lacks the year
 * missing (workdays_missing_year) and covers up to last (0: nothing): the
 * leaders' digest and /admin say the same.
 */
void
workdays_refresh_zh(int missing, int last, char *out, size_t len)
{
	if (last != 0)
		snprintf(out, len, "工作日日历只到 %d 年 12 月 31 日，缺少 %d 年的"
		    "法定节假日和调休安排：此后的办理期限把节假日也算作工作日。"
		    "国务院办公厅发布 %d 年放假安排后，请运维人员更新日历文件并"
		    "重新加载（见 liaisond(8)“每年更新日历”）。", last, missing,
		    missing);
	else
		snprintf(out, len, "工作日日历没有任何节假日：办理期限把节假日也"
		    "算作工作日。请运维人员安装日历文件并重新加载（见 "
		    "liaisond(8)“每年更新日历”）。");
}
