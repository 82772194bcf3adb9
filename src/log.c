/*
 * log.c -- logging to stderr in the foreground (and under systemd, which
 * collects stderr), to syslog otherwise.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "liaison.h"

static int log_foreground = 1;
static enum log_level log_max = LOG_LEVEL_INFO;

/* Start logging; in the background messages go to syslog as "liaisond". */
void
log_init(int foreground, enum log_level level)
{
	log_foreground = foreground;
	log_max = level;
	if (!foreground)
		openlog("liaisond", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Write one message, with suffix (errno's text) after it unless NULL. */
static void
log_vwrite(int priority, const char *suffix, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_foreground) {
		if (suffix != NULL)
			fprintf(stderr, "liaisond: %s: %s\n", msg, suffix);
		else
			fprintf(stderr, "liaisond: %s\n", msg);
		return;
	}
	if (suffix != NULL)
		syslog(priority, "%s: %s", msg, suffix);
	else
		syslog(priority, "%s", msg);
}

/* A warning with the text of errno appended. */
void
log_warn(const char *fmt, ...)
{
	const char *why = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, why, fmt, ap);
	va_end(ap);
}

/* A warning, without errno. */
void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

/* An event worth keeping; dropped below [log] level info. */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_max < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

/* Detail for debugging; dropped unless [log] level is debug. */
void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_max < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

/* A bug or a failure at start-up: log with errno's text and exit. */
void
fatal(const char *fmt, ...)
{
	const char *why = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, why, fmt, ap);
	va_end(ap);
	exit(1);
}

/* A bug or a failure at start-up, without errno: log and exit. */
void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
