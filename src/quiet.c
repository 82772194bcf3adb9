/*
 * quiet.c -- quiet hours for chat robots (SPEC §12): "[webhooks] quiet =
 * 22:00-07:30" and "quiet_days = sat,sun". A push to a chat robot that
 * falls in them waits until the quiet time ends (webhook.c moves its due
 * time there, so the robot's pacing merges the held pushes into one
 * message). The arithmetic is in the zone's local time (TZ is the zone's:
 * see liaisond.c), so 22:00 means 22:00 where the departments are.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "liaison.h"

/* Parse a time of day HH:MM at s; minutes after midnight, or -1. */
static int
quiet_clock(const char *s)
{
	int h, m;

	if ((h = date_digits(s, 2)) == -1 || s[2] != ':' ||
	    (m = date_digits(s + 3, 2)) == -1 || h > 23 || m > 59)
		return -1;
	return h * 60 + m;
}

/*
 * Parse "HH:MM-HH:MM" into q (a window ending before it starts crosses
 * midnight). Return NULL, or a static string saying what is wrong.
 */
const char *
quiet_parse_window(const char *value, struct quiet *q)
{
	int from, to;

	if (strlen(value) != 11 || value[5] != '-' ||
	    (from = quiet_clock(value)) == -1 ||
	    (to = quiet_clock(value + 6)) == -1)
		return "must be a time window such as 22:00-07:30";
	if (from == to)
		return "must end at another time than it starts";
	q->on = 1;
	q->from = from;
	q->to = to;
	return NULL;
}

/*
 * Parse "sat,sun" (mon .. sun, comma-separated, each once) into q->days:
 * bit 1 is Monday, bit 7 Sunday. Every day quiet would hold pushes for
 * ever, so that is refused. Return NULL, or what is wrong.
 */
const char *
quiet_parse_days(const char *value, struct quiet *q)
{
	static const char *const names[] = { "mon", "tue", "wed", "thu",
	    "fri", "sat", "sun" };
	unsigned days = 0;
	const char *p = value;
	size_t len;
	int i;

	for (;;) {
		while (*p == ' ')
			p++;
		len = strcspn(p, ", ");
		for (i = 0; i < 7; i++)
			if (len == 3 && strncmp(p, names[i], 3) == 0)
				break;
		if (i == 7)
			return "must be days such as sat,sun (mon .. sun)";
		if (days & (1u << (i + 1)))
			return "names a day twice";
		days |= 1u << (i + 1);
		p += len;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (*p++ != ',')
			return "must be days such as sat,sun (mon .. sun)";
	}
	if (days == QUIET_ALL_DAYS)
		return "must leave at least one day not quiet";
	q->days = days;
	return NULL;
}

/* Whether minute m of a day with weekday wday (1 .. 7) is quiet. */
static int
quiet_in(const struct quiet *q, int wday, int m)
{
	if (q->days & (1u << wday))
		return 1;
	if (!q->on)
		return 0;
	if (q->from < q->to)
		return m >= q->from && m < q->to;
	return m >= q->from || m < q->to;
}

/*
 * When the quiet time holding t ends: t itself when t is not quiet. A
 * quiet day ends at midnight, a window at its end; when that is quiet
 * too (a quiet Sunday, then the night window until Monday 07:30) the
 * quiet time goes on to the end of that.
 */
time_t
quiet_end(const struct quiet *q, time_t t)
{
	struct tm tm;
	int wday, m, day = 0, i;

	if (localtime_r(&t, &tm) == NULL)
		return t;
	wday = tm.tm_wday == 0 ? 7 : tm.tm_wday;
	m = tm.tm_hour * 60 + tm.tm_min;
	if (!quiet_in(q, wday, m))
		return t;
	/* Each step ends one quiet day or window: a week has fewer than 16. */
	for (i = 0; i < 16 && quiet_in(q, wday, m); i++) {
		if ((q->days & (1u << wday)) || m >= q->to) {
			day++;
			wday = wday % 7 + 1;
			m = 0;
		} else {
			m = q->to;
		}
	}
	tm.tm_mday += day;
	tm.tm_hour = m / 60;
	tm.tm_min = m % 60;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}
