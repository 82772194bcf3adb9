/*
 * digest_week.c -- ISO 8601 weeks ("2026-W48"): Monday to Sunday, week 1
 * holds the year's first Thursday, so a year has 52 or 53 weeks and its
 * first days may belong to the year before (2027-01-01 is in 2026-W53).
 *
 * Pure arithmetic on day numbers (days since 1970-01-01), with the zone's
 * offset from UTC given by the caller: no TZ, no localtime, so the mail
 * thread may use it too.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "liaison.h"

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t
digest_days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The civil year of a day number. */
static int
digest_year_of_day(int64_t days)
{
	int64_t z = days + 719468, era, doe, yoe, doy, mp;
	int y;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int)(yoe + era * 400);
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return mp >= 10 ? y + 1 : y;
}

/* 0 for Monday .. 6 for Sunday (1970-01-01 was a Thursday). */
static int
digest_weekday(int64_t days)
{
	int64_t w = (days + 3) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

/* 52 or 53. */
int
digest_weeks_in_year(int year)
{
	int64_t jan1 = digest_days_from_civil(year, 1, 1);
	int wd = digest_weekday(jan1);
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return wd == 3 || (leap && wd == 2) ? 53 : 52;
}

/* The ISO week of a day number. */
void
digest_week_of_day(int64_t days, struct digest_week *w)
{
	int64_t thursday = days - digest_weekday(days) + 3;

	w->year = digest_year_of_day(thursday);
	w->week = (int)((thursday - digest_days_from_civil(w->year, 1, 1)) /
	    7 + 1);
}

/* The day number of the week's Monday. */
int64_t
digest_week_monday(const struct digest_week *w)
{
	int64_t jan4 = digest_days_from_civil(w->year, 1, 4);

	return jan4 - digest_weekday(jan4) + 7 * (int64_t)(w->week - 1);
}

/* Parse "YYYY-Www" (a week that exists). Returns 0, or -1. */
int
digest_week_parse(const char *s, struct digest_week *w)
{
	if (strlen(s) != 8 || strspn(s, "0123456789") != 4 || s[4] != '-' ||
	    s[5] != 'W' || strspn(s + 6, "0123456789") != 2)
		return -1;
	w->year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 +
	    (s[2] - '0') * 10 + (s[3] - '0');
	w->week = (s[6] - '0') * 10 + (s[7] - '0');
	if (w->year < 1970 || w->week < 1 ||
	    w->week > digest_weeks_in_year(w->year))
		return -1;
	return 0;
}

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
	int64_t this_monday = today - digest_weekday(today);

	digest_week_of_day(this_monday - 7, w);
	return (time_t)((this_monday + weekday - 1) * 86400 + minute * 60 -
	    offset_s);
}
