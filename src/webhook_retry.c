/*
 * webhook_retry.c -- when to try a webhook delivery again: the [webhooks]
 * schedule with jitter, and the least wait an endpoint asks for in its
 * Retry-After header. The verdict (webhook_verdict.c) says whether to try
 * again; the delivery engine (webhook.c) waits the larger of the two.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "liaison.h"

/*
 * Return the seconds a Retry-After value asks to wait at time now: a number
 * of seconds, or an HTTP date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37
 * GMT"; a date past is 0). At most WEBHOOK_DELAY_MAX; -1 when value is NULL
 * or neither.
 */
int
webhook_retry_after(const char *value, time_t now)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *p;
	char wday[4], mon[4], zone[4];
	struct tm tm;
	long long secs;
	time_t t;
	int n = 0;

	if (value == NULL)
		return -1;
	value += strspn(value, " \t");
	if (*value >= '0' && *value <= '9') {
		for (secs = 0, p = value; *p >= '0' && *p <= '9'; p++) {
			if (secs <= WEBHOOK_DELAY_MAX)
				secs = secs * 10 + (*p - '0');
		}
		if (p[strspn(p, " \t")] != '\0')
			return -1;
		return secs > WEBHOOK_DELAY_MAX ? WEBHOOK_DELAY_MAX : (int)secs;
	}
	memset(&tm, 0, sizeof tm);
	if (sscanf(value, "%3s, %d %3s %d %d:%d:%d %3s%n", wday, &tm.tm_mday,
	    mon, &tm.tm_year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, zone,
	    &n) != 8 || strlen(wday) != 3 || strcmp(zone, "GMT") != 0 ||
	    value[n + strspn(value + n, " \t")] != '\0' || strlen(mon) != 3 ||
	    (p = strstr(months, mon)) == NULL || (p - months) % 3 != 0)
		return -1;
	tm.tm_mon = (int)(p - months) / 3;
	tm.tm_year -= 1900;
	if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 70)
		return -1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	if (t <= now)
		return 0;
	return t - now > WEBHOOK_DELAY_MAX ? WEBHOOK_DELAY_MAX : (int)(t - now);
}

/*
 * Return the seconds to wait before attempt number attempt (0-based:
 * attempt 0 is the first, at schedule[0]; after it fails, attempt 1 waits
 * schedule[1]), with ±20 % jitter: jitter01 in [0, 1) maps to a factor
 * from 0.8 to 1.2, rounded to whole seconds. Return -1 when attempt is past
 * the schedule: the delivery is dead.
 */
int
webhook_retry_delay(const int *schedule, int n, int attempt, double jitter01)
{
	double d;

	if (attempt < 0 || attempt >= n)
		return -1;
	if (!(jitter01 >= 0.0))
		jitter01 = 0.0;
	if (jitter01 >= 1.0)
		jitter01 = 0.999999;
	d = schedule[attempt] * (0.8 + 0.4 * jitter01);
	return (int)(d + 0.5);
}
