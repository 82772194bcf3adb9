/*
 * period.c -- half-month reporting periods: "YYYY-MM-1" covers days 1 to 15,
 * "YYYY-MM-2" day 16 to the end of the month. Times are local: the daemon
 * sets TZ to the roster zone's timezone at start.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "liaison.h"

/*
 * Parse exactly "YYYY-MM-H" (year 2000-2999, month 01-12, half 1 or 2) into
 * *p. Return 0, or -1 for anything else, trailing characters included.
 */
int
period_parse(const char *s, struct period *p)
{
	int year, month, half;

	if (strlen(s) != 9 || s[4] != '-' || s[7] != '-')
		return -1;
	year = date_digits(s, 4);
	month = date_digits(s + 5, 2);
	half = date_digits(s + 8, 1);
	if (year < 2000 || year > 2999)
		return -1;
	if (month < 1 || month > 12)
		return -1;
	if (half != 1 && half != 2)
		return -1;
	p->year = year;
	p->month = month;
	p->half = half;
	return 0;
}

/* Write p as "YYYY-MM-H" to buf. */
void
period_format(const struct period *p, char buf[PERIOD_LEN + 1])
{
	snprintf(buf, PERIOD_LEN + 1, "%04d-%02d-%d", p->year, p->month,
	    p->half);
}

/* Fill *p with the period that local time t falls in. */
void
period_of_time(time_t t, struct period *p)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		fatalx("period_of_time: time %lld out of range", (long long)t);
	p->year = tm.tm_year + 1900;
	p->month = tm.tm_mon + 1;
	p->half = tm.tm_mday <= 15 ? 1 : 2;
}

/* Fill *prev with the period before p; the one before January's first is
 * the second half of the previous December. */
void
period_previous(const struct period *p, struct period *prev)
{
	*prev = *p;
	if (p->half == 2) {
		prev->half = 1;
		return;
	}
	prev->half = 2;
	if (p->month > 1) {
		prev->month = p->month - 1;
		return;
	}
	prev->month = 12;
	prev->year = p->year - 1;
}

/* Return 1 if a and b are the same period, 0 otherwise. */
int
period_equal(const struct period *a, const struct period *b)
{
	return a->year == b->year && a->month == b->month &&
	    a->half == b->half;
}

/* Return local midnight at the start of day mday of month in year; mktime
 * normalises month 13 to January of the next year. */
static time_t
period_midnight(int year, int month, int mday)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = mday;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* Return the first second of period p (local time). */
time_t
period_start(const struct period *p)
{
	return period_midnight(p->year, p->month, p->half == 1 ? 1 : 16);
}

/* Return the first second after period p: the start of the next period. */
time_t
period_end(const struct period *p)
{
	if (p->half == 1)
		return period_midnight(p->year, p->month, 16);
	return period_midnight(p->year, p->month + 1, 1);
}

/* The period as one number, consecutive periods one apart (for windows). */
int
period_key(const struct period *p)
{
	return p->year * 24 + (p->month - 1) * 2 + (p->half - 1);
}
