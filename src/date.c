/*
 * date.c -- civil dates as day numbers, the one place the tree does
 * calendar arithmetic: a date (year, month, day) becomes the number of days
 * since 1970-01-01 and back, in the proleptic Gregorian calendar, so that
 * "the next day", "the Monday of that week" or "how many days apart" are
 * plain integer sums. workdays.c counts working days with it, digest_week.c
 * ISO weeks; period.c and the rest use it to read the digits of a date.
 *
 * No time zone is involved: a day number names a calendar day, not an
 * instant. Turning a time into a local date is the caller's business
 * (localtime_r, or an offset from UTC on the mail thread).
 *
 * date_to_days and date_from_days are H. Hinnant's days_from_civil and
 * civil_from_days ("chrono-Compatible Low-Level Date Algorithms"): the year
 * is shifted to start on March 1st, so that the leap day is the last day of
 * the shifted year, and counted in 400-year eras of 146097 days.
 */
#include "config.h"

#include <stdint.h>

#include "liaison.h"

/* Days from 0000-03-01 to 1970-01-01. */
#define DATE_EPOCH_SHIFT 719468
/* Days in a 400-year era of the Gregorian calendar. */
#define DATE_ERA_DAYS 146097

/* Return 1 if year is a leap year in the Gregorian calendar, 0 if not. */
static int
date_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* Return the number of days in month (1..12) of year: 28 to 31. */
int
date_month_length(int year, int month)
{
	static const int length[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (month == 2 && date_leap(year))
		return 29;
	return length[month - 1];
}

/*
 * Return the day number of year-month-day: the days from 1970-01-01 to it,
 * negative before it. The date must exist (month 1..12, day 1 to the
 * month's length); nothing is checked.
 */
int64_t
date_to_days(int year, int month, int day)
{
	int64_t y, era, yoe, doy, doe;

	y = month <= 2 ? (int64_t)year - 1 : year;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;                              /* 0 .. 399 */
	doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;      /* 0 .. 146096 */
	return era * DATE_ERA_DAYS + doe - DATE_EPOCH_SHIFT;
}

/* The inverse of date_to_days: fill *year, *month and *day of day number n. */
void
date_from_days(int64_t n, int *year, int *month, int *day)
{
	int64_t era, doe, yoe, doy, mp, y;

	n += DATE_EPOCH_SHIFT;
	era = (n >= 0 ? n : n - (DATE_ERA_DAYS - 1)) / DATE_ERA_DAYS;
	doe = n - era * DATE_ERA_DAYS;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;                         /* March is 0 */
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = (int)(*month <= 2 ? y + 1 : y);
}

/*
 * Return the day of the week of day number n, ISO 8601 order counted from
 * 0: 0 for Monday to 6 for Sunday (1970-01-01 was a Thursday, 3).
 */
int
date_weekday(int64_t n)
{
	int64_t w = (n + 3) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

/*
 * Return the value of the n decimal digits at s (n from 1 to 9), or -1 when
 * one of them is not an ASCII digit: a sign, a space or the end of the
 * string included, so that a field shorter than n is refused without
 * reading past it. The fixed-width numbers of dates and times ("2026" and
 * "11" of "2026-11-2", "08" of "08:30") are read with it; what follows the
 * n digits is the caller's to check.
 */
int
date_digits(const char *s, int n)
{
	int i, v = 0;

	if (n < 1 || n > 9)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}
