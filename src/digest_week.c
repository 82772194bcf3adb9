/*
 * digest_week.c -- ISO 8601 weeks ("2026-W48"): Monday to Sunday, week 1
 * holds the year's first Thursday, so a year has 52 or 53 weeks and its
 * first days may belong to the year before (2027-01-01 is in 2026-W53).
 *
 * Pure arithmetic on day numbers (days since 1970-01-01, date.c), with the
 * zone's offset from UTC given by the caller: no TZ, no localtime, so the
 * mail thread may use it too.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "liaison.h"

/*
 * Return the number of ISO weeks in year, 52 or 53: a year has 53 when it
 * begins or ends on a Thursday (its first or its last week then holds four
 * of its days).
 */
int
digest_week_count(int year)
{
	return date_weekday(date_to_days(year, 1, 1)) == 3 ||
	    date_weekday(date_to_days(year, 12, 31)) == 3 ? 53 : 52;
}

/* The ISO week of a day number. */
void
digest_week_of_day(int64_t days, struct digest_week *w)
{
	int64_t thursday = days - date_weekday(days) + 3;
	int month, day;

	date_from_days(thursday, &w->year, &month, &day);
	w->week = (int)((thursday - date_to_days(w->year, 1, 1)) / 7 + 1);
}

/* The day number of the week's Monday. */
int64_t
digest_week_monday(const struct digest_week *w)
{
	int64_t jan4 = date_to_days(w->year, 1, 4);

	return jan4 - date_weekday(jan4) + 7 * (int64_t)(w->week - 1);
}

/*
 * Parse exactly "YYYY-Www" (a week that exists, year 1970 or later) into
 * *w. Return 0, or -1 with *w unchanged.
 */
int
digest_week_parse(const char *s, struct digest_week *w)
{
	int year, week;

	if (strlen(s) != 8 || s[4] != '-' || s[5] != 'W' ||
	    (year = date_digits(s, 4)) == -1 ||
	    (week = date_digits(s + 6, 2)) == -1)
		return -1;
	if (year < 1970 || week < 1 || week > digest_week_count(year))
		return -1;
	w->year = year;
	w->week = week;
	return 0;
}

/* Write w as "YYYY-Www" to buf. */
void
digest_week_format(const struct digest_week *w, char buf[DIGEST_WEEK_LEN + 1])
{
	unsigned y = (unsigned)w->year % 10000, n = (unsigned)w->week % 100;

	snprintf(buf, DIGEST_WEEK_LEN + 1, "%04u-W%02u", y, n);
}

/*
 * The week's bounds in ms since the epoch, in a zone offset_s east of UTC:
 * [Monday 00:00, next Monday 00:00).
 */
void
digest_week_bounds(const struct digest_week *w, int offset_s, int64_t *from,
    int64_t *to)
{
	int64_t monday = digest_week_monday(w);

	*from = (monday * 86400 - offset_s) * 1000;
	*to = *from + 7 * 86400 * (int64_t)1000;
}

/*
 * The last week that has ended at t (seconds, zone offset_s east of UTC),
 * and when its digest is due: on weekday (1 = Monday) at minute (after
 * midnight) of the week after it. Returns that moment in seconds.
 */
time_t
digest_week_last(time_t t, int offset_s, int weekday, int minute,
    struct digest_week *w)
{
	int64_t local = (int64_t)t + offset_s;
	int64_t today = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int64_t this_monday = today - date_weekday(today);

	digest_week_of_day(this_monday - 7, w);
	return (time_t)((this_monday + weekday - 1) * 86400 + minute * 60 -
	    offset_s);
}
