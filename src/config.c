/*
 * config.c -- the INI configuration file (parsed with inih) into a fresh
 * struct config. Each key is one row of config_keys: its section and name,
 * the field it fills, the rule its value obeys (a type and a range) and its
 * default, which goes through the same rule. An unknown section or key, a
 * key given twice or a bad value refuses the whole file with a message
 * naming file, line, section and key. Nothing global changes here: the
 * caller swaps the new config in. The keys are documented for
 * administrators in liaisond.conf(5).
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "liaison.h"

/* --- the keys ------------------------------------------------------------ */

enum config_type {
	CONFIG_STRING,       /* any non-empty text */
	CONFIG_PATH,         /* a file; relative to the config file's directory */
	CONFIG_LISTEN,       /* "address:port" or "[v6address]:port" */
	CONFIG_ADDRESS,      /* a numeric IPv4 or IPv6 address */
	CONFIG_INT,          /* a decimal number in [min, max] */
	CONFIG_SIZE,         /* the same, stored as size_t */
	CONFIG_DECIMAL,      /* a double; min and max are in millionths */
	CONFIG_BOOL,         /* yes or no */
	CONFIG_LOG_LEVEL,    /* warn, info or debug */
	CONFIG_HTTP_URL,     /* http:// or https:// */
	CONFIG_SMTP_URL,     /* smtp:// or smtps:// */
	CONFIG_EMAIL,        /* a mail address: roster_email_ok */
	CONFIG_PREFIX,       /* printable ASCII, no space: starts Redis keys */
	CONFIG_SCHEDULE,     /* seconds, comma-separated: the webhook retries */
	CONFIG_WEEKDAY,      /* monday .. sunday, stored as 1 .. 7 */
	CONFIG_CLOCK,        /* HH:MM, stored as minutes after midnight */
	CONFIG_SENTINELS,    /* "address:port, ...": redis_sentinels */
	CONFIG_NODES,        /* "address:port, ...": redis_nodes */
	CONFIG_WEIGHTS,      /* "w1,w2,w3": ledger_weights, adding up to 100 */
	CONFIG_QUIET,        /* "HH:MM-HH:MM": a struct quiet's window */
	CONFIG_QUIET_DAYS    /* "sat,sun": a struct quiet's days */
};

/*
 * One key of the file: where it goes in struct config, what it takes, and
 * its default as the text a file would give (NULL: none, the field stays
 * 0 or NULL). The defaults are read by config_set like any value, so a
 * default is one row of the table and obeys the key's own rule.
 */
struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	size_t offset;       /* of the field in struct config */
	long long min;       /* CONFIG_INT, _SIZE, _DECIMAL and _SCHEDULE */
	long long max;
	const char *init;    /* the default, as text; NULL for none */
};

#define CONFIG_FIELD(f) offsetof(struct config, f)
#define CONFIG_TEXT(x) CONFIG_TEXT_(x)
#define CONFIG_TEXT_(x) #x

/* The longest deadline in seconds: 365 days. */
#define CONFIG_DEADLINE_SECONDS_MAX (365 * 86400)

/*
 * The webhook schedule's default is Svix's: the attempts of a delivery
 * start at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after
 * the one before failed; the delivery is dead after the last. The calendar
 * is next to the configuration file unless given.
 */
static const struct config_key config_keys[] = {
	{ "server", "listen", CONFIG_LISTEN, 0, 0, 0, "127.0.0.1:8080" },
	{ "server", "public_url", CONFIG_HTTP_URL, CONFIG_FIELD(public_url),
	  0, 0, "http://127.0.0.1:8080" },
	{ "server", "metrics_public", CONFIG_BOOL,
	  CONFIG_FIELD(metrics_public), 0, 0, "yes" },
	{ "server", "link_hours", CONFIG_INT, CONFIG_FIELD(link_hours),
	  1, 720, "72" },

	{ "redis", "host", CONFIG_ADDRESS, CONFIG_FIELD(redis_host), 0, 0,
	  "127.0.0.1" },
	{ "redis", "port", CONFIG_INT, CONFIG_FIELD(redis_port), 1, 65535,
	  "6379" },
	{ "redis", "socket", CONFIG_PATH, CONFIG_FIELD(redis_socket), 0, 0,
	  NULL },
	{ "redis", "password", CONFIG_STRING, CONFIG_FIELD(redis_password),
	  0, 0, NULL },
	{ "redis", "prefix", CONFIG_PREFIX, CONFIG_FIELD(redis_prefix), 0, 0,
	  "liaison:" },
	{ "redis", "timeout_ms", CONFIG_INT, CONFIG_FIELD(redis_timeout_ms),
	  1, 600000, "2000" },

	/* More than one machine (SPEC 13); checked together in config_redis. */
	{ "redis", "sentinels", CONFIG_SENTINELS, 0, 0, 0, NULL },
	{ "redis", "master", CONFIG_STRING, CONFIG_FIELD(redis_master), 0, 0,
	  NULL },
	{ "redis", "replicas", CONFIG_INT, CONFIG_FIELD(redis_replicas),
	  0, 100, "0" },
	{ "redis", "wait_ms", CONFIG_INT, CONFIG_FIELD(redis_wait_ms),
	  1, 60000, "1000" },
	{ "redis", "cluster", CONFIG_BOOL, CONFIG_FIELD(redis_cluster),
	  0, 0, "no" },
	{ "redis", "nodes", CONFIG_NODES, 0, 0, 0, NULL },
	{ "redis", "failover_wait_ms", CONFIG_INT,
	  CONFIG_FIELD(redis_failover_wait_ms), 0, 600000, "30000" },

	{ "roster", "file", CONFIG_PATH, CONFIG_FIELD(roster_file), 0, 0,
	  "/etc/liaisond/roster.json" },

	{ "smtp", "url", CONFIG_SMTP_URL, CONFIG_FIELD(smtp_url), 0, 0,
	  "smtp://127.0.0.1:25" },
	{ "smtp", "from", CONFIG_EMAIL, CONFIG_FIELD(smtp_from), 0, 0,
	  "liaisond@example.gov.cn" },
	{ "smtp", "username", CONFIG_STRING, CONFIG_FIELD(smtp_username),
	  0, 0, NULL },
	{ "smtp", "password", CONFIG_STRING, CONFIG_FIELD(smtp_password),
	  0, 0, NULL },
	{ "smtp", "starttls", CONFIG_BOOL, CONFIG_FIELD(smtp_starttls), 0, 0,
	  "no" },
	{ "smtp", "ca_file", CONFIG_PATH, CONFIG_FIELD(smtp_ca_file), 0, 0,
	  NULL },

	{ "limits", "max_body", CONFIG_SIZE, CONFIG_FIELD(max_body),
	  1, 64 * 1024 * 1024, "262144" },
	{ "limits", "max_headers", CONFIG_SIZE, CONFIG_FIELD(max_headers),
	  1024, 1024 * 1024, "16384" },
	{ "limits", "request_timeout_ms", CONFIG_INT,
	  CONFIG_FIELD(request_timeout_ms), 1, 600000, "5000" },
	{ "limits", "idle_timeout", CONFIG_INT, CONFIG_FIELD(idle_timeout_s),
	  1, 86400, "30" },
	{ "limits", "max_connections", CONFIG_INT,
	  CONFIG_FIELD(max_connections), 1, 1000000, "1024" },
	{ "limits", "rate_per_minute", CONFIG_INT,
	  CONFIG_FIELD(rate_per_minute), 0, 1000000, "600" },
	{ "limits", "max_items", CONFIG_INT, CONFIG_FIELD(max_items),
	  1, 10000, "50" },
	{ "limits", "max_title", CONFIG_INT, CONFIG_FIELD(max_title),
	  1, 10000, "100" },
	{ "limits", "max_detail", CONFIG_INT, CONFIG_FIELD(max_detail),
	  1, 100000, "2000" },
	{ "limits", "idempotency_ttl", CONFIG_INT,
	  CONFIG_FIELD(idempotency_ttl_s), 1, 366 * 86400, "604800" },
	{ "limits", "list_limit", CONFIG_INT, CONFIG_FIELD(list_limit),
	  1, 100000, "500" },
	/* Against abuse (issue 12): see liaisond.conf(5). */
	{ "limits", "items_per_period", CONFIG_INT,
	  CONFIG_FIELD(items_per_period), 0, 1000000, "200" },
	{ "limits", "sessions_per_token", CONFIG_INT,
	  CONFIG_FIELD(sessions_per_token), 1, 1000, "10" },
	{ "limits", "unknown_tokens_per_minute", CONFIG_INT,
	  CONFIG_FIELD(unknown_tokens_per_minute), 0, 1000000, "30" },
	{ "limits", "address_per_minute", CONFIG_INT,
	  CONFIG_FIELD(address_per_minute), 0, 10000000, "1200" },
	{ "limits", "connections_per_address", CONFIG_INT,
	  CONFIG_FIELD(connections_per_address), 0, 1000000, "256" },
	{ "limits", "request_deadline_ms", CONFIG_INT,
	  CONFIG_FIELD(request_deadline_ms), 100, 3600000, "20000" },

	{ "deadlines", "calendar", CONFIG_PATH,
	  CONFIG_FIELD(deadline_calendar), 0, 0, "holidays-cn.txt" },
	{ "deadlines", "claim_days", CONFIG_INT, CONFIG_FIELD(claim_days),
	  1, 365, "1" },
	{ "deadlines", "respond_days", CONFIG_INT, CONFIG_FIELD(respond_days),
	  1, 365, "5" },
	{ "deadlines", "resolve_days", CONFIG_INT, CONFIG_FIELD(resolve_days),
	  1, 365, "15" },
	{ "deadlines", "claim_seconds", CONFIG_INT,
	  CONFIG_FIELD(claim_seconds), 0, CONFIG_DEADLINE_SECONDS_MAX, "0" },
	{ "deadlines", "respond_seconds", CONFIG_INT,
	  CONFIG_FIELD(respond_seconds), 0, CONFIG_DEADLINE_SECONDS_MAX, "0" },
	{ "deadlines", "resolve_seconds", CONFIG_INT,
	  CONFIG_FIELD(resolve_seconds), 0, CONFIG_DEADLINE_SECONDS_MAX, "0" },

	{ "classify", "common_min_enterprises", CONFIG_INT,
	  CONFIG_FIELD(common_min_enterprises), 2, 100,
	  CONFIG_TEXT(RULES_COMMON_MIN_DEFAULT) },
	{ "classify", "similarity", CONFIG_DECIMAL, CONFIG_FIELD(similarity),
	  50000, 1000000, CONFIG_TEXT(SIMILAR_THRESHOLD_DEFAULT) },
	{ "classify", "window_max", CONFIG_INT, CONFIG_FIELD(window_max),
	  100, 10000000, "200000" },

	{ "webhooks", "schedule", CONFIG_SCHEDULE,
	  CONFIG_FIELD(webhook_schedule), 0, WEBHOOK_DELAY_MAX,
	  "0, 5, 300, 1800, 7200, 18000, 36000, 36000" },
	{ "webhooks", "timeout_ms", CONFIG_INT,
	  CONFIG_FIELD(webhook_timeout_ms), 100, 600000, "10000" },
	{ "webhooks", "per_endpoint", CONFIG_INT,
	  CONFIG_FIELD(webhook_per_endpoint), 1, 100, "2" },
	/* Quiet hours of chat robots (SPEC §12); off unless given. */
	{ "webhooks", "quiet", CONFIG_QUIET, CONFIG_FIELD(webhook_quiet),
	  0, 0, NULL },
	{ "webhooks", "quiet_days", CONFIG_QUIET_DAYS,
	  CONFIG_FIELD(webhook_quiet), 0, 0, NULL },

	{ "ledger", "show_enterprises", CONFIG_BOOL,
	  CONFIG_FIELD(ledger_show_enterprises), 0, 0, "no" },
	{ "ledger", "cache_ms", CONFIG_INT, CONFIG_FIELD(ledger_cache_ms),
	  0, 60000, "2000" },
	/* The department score's weights (SPEC §12), 响应率,办结率,满意率. */
	{ "ledger", "weights", CONFIG_WEIGHTS, CONFIG_FIELD(ledger_weights),
	  0, 100, "30,35,35" },

	/* [governance] (issue 16): extensions, the return window, recurrence
	 * and frozen ledgers; SPEC §12 names the keys and their defaults. */
	{ "governance", "extensions_max", CONFIG_INT,
	  CONFIG_FIELD(extensions_max), 0, 10, "2" },
	{ "governance", "return_days", CONFIG_INT, CONFIG_FIELD(return_days),
	  1, 365, "1" },
	{ "governance", "return_seconds", CONFIG_INT,
	  CONFIG_FIELD(return_seconds), 0, CONFIG_DEADLINE_SECONDS_MAX, "0" },
	{ "governance", "recurrence_days", CONFIG_INT,
	  CONFIG_FIELD(recurrence_days), 1, 3650, "90" },
	{ "governance", "snapshot_days", CONFIG_INT,
	  CONFIG_FIELD(snapshot_days), 0, 60, "5" },
	{ "governance", "snapshot_check_seconds", CONFIG_INT,
	  CONFIG_FIELD(snapshot_check_seconds), 1, 86400, "300" },
	/* Trend alerts (未诉先办, SPEC §12; the rule is trend.c's). */
	{ "governance", "trend_periods", CONFIG_INT,
	  CONFIG_FIELD(trend_periods), 1, TREND_PERIODS_MAX, "6" },
	{ "governance", "trend_min", CONFIG_INT, CONFIG_FIELD(trend_min),
	  1, 100000, "5" },
	{ "governance", "trend_factor", CONFIG_DECIMAL,
	  CONFIG_FIELD(trend_factor), 1000000, 100000000, "2.0" },
	{ "governance", "trend_check_seconds", CONFIG_INT,
	  CONFIG_FIELD(trend_check_seconds), 1, 86400, "3600" },
	/* Field work (SPEC §11). */
	{ "fieldwork", "visit_days", CONFIG_INT, CONFIG_FIELD(visit_days),
	  1, 366, "30" },

	{ "log", "level", CONFIG_LOG_LEVEL, CONFIG_FIELD(log_level), 0, 0,
	  "info" },

	{ "digest", "enabled", CONFIG_BOOL, CONFIG_FIELD(digest_enabled), 0, 0,
	  "yes" },
	{ "digest", "weekday", CONFIG_WEEKDAY, CONFIG_FIELD(digest_weekday),
	  0, 0, "monday" },
	{ "digest", "time", CONFIG_CLOCK, CONFIG_FIELD(digest_minute), 0, 0,
	  "08:30" },
	{ "digest", "retry_seconds", CONFIG_INT,
	  CONFIG_FIELD(digest_retry_seconds), 1, 86400, "60" },
	{ "digest", "check_seconds", CONFIG_INT,
	  CONFIG_FIELD(digest_check_seconds), 1, 3600, "30" },
	{ "digest", "smtp_timeout_ms", CONFIG_INT,
	  CONFIG_FIELD(digest_smtp_timeout_ms), 100, 600000, "10000" },

	{ "notify", "enabled", CONFIG_BOOL, CONFIG_FIELD(notify_enabled), 0, 0,
	  "yes" },
	{ "notify", "batch_minutes", CONFIG_INT,
	  CONFIG_FIELD(notify_batch_minutes), 0, 1440, "10" },
	{ "notify", "batch_seconds", CONFIG_INT,
	  CONFIG_FIELD(notify_batch_seconds), 0, 86400, "0" },
	{ "notify", "check_seconds", CONFIG_INT,
	  CONFIG_FIELD(notify_check_seconds), 1, 3600, "5" },
	{ "web", "session_days", CONFIG_INT, CONFIG_FIELD(web_session_days),
	  1, 365, "30" },

	/* [retention] (SPEC 14): what the sweep removes, and when. */
	{ "retention", "delivery_days", CONFIG_INT,
	  CONFIG_FIELD(delivery_days), 1, 3650, "30" },
	{ "retention", "delivery_seconds", CONFIG_INT,
	  CONFIG_FIELD(delivery_seconds), 0, CONFIG_DEADLINE_SECONDS_MAX, "0" },
	{ "retention", "sweep_seconds", CONFIG_INT,
	  CONFIG_FIELD(retention_sweep_seconds), 1, 86400, "3600" },
};
#define CONFIG_NKEYS (sizeof config_keys / sizeof config_keys[0])

/* State of one parse, shared by the line reader and the key handler. */
struct config_parse {
	struct config *config;
	FILE *f;
	const char *path;
	char *dir;                  /* absolute directory of the file */
	int lineno;                 /* line the parser is on */
	int next_lineno;
	int seen[CONFIG_NKEYS];     /* line a key was given on, or 0 */
	char *cause;                /* first error, "FILE:LINE: ..." */
	int cause_line;
};

/* --- one value: checked and stored --------------------------------------- */

/* Parse a decimal number in [min, max] into *out; return 0 or -1. */
static int
config_number(const char *value, long long min, long long max,
    long long *out)
{
	const char *p;
	long long v;

	if (*value == '\0' || strlen(value) > 18)
		return -1;
	for (p = value; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
	}
	v = strtoll(value, NULL, 10);
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Parse a decimal such as "0.22" or "1" (at most six decimals, no sign, no
 * exponent) into *out when it lies in [min, max] millionths; return 0 or
 * -1. Done by hand so that the locale's decimal point does not matter.
 */
static int
config_decimal(const char *value, long long min, long long max, double *out)
{
	const char *p = value;
	long long whole = 0, part = 0, scale = 1000000;
	int digits = 0;

	for (; *p >= '0' && *p <= '9' && digits < 7; p++, digits++)
		whole = whole * 10 + (*p - '0');
	if (digits == 0 || digits == 7)
		return -1;
	if (*p == '.') {
		for (p++, digits = 0; *p >= '0' && *p <= '9'; p++, digits++) {
			if (digits == 6)
				return -1;
			scale /= 10;
			part += (*p - '0') * scale;
		}
		if (digits == 0)
			return -1;
	}
	if (*p != '\0')
		return -1;
	part += whole * 1000000;
	if (part < min || part > max)
		return -1;
	*out = (double)part / 1e6;
	return 0;
}

/*
 * Split "address:port" or "[v6address]:port" into c->listen_host (without
 * brackets) and c->listen_port. Return NULL, or what is wrong.
 */
static const char *
config_listen(struct config *c, const char *value)
{
	struct sentinel_addr a;
	const char *why;

	if ((why = sentinel_addr_parse(value, strlen(value), &a)) != NULL)
		return why;
	free(c->listen_host);
	c->listen_host = xstrdup(a.host);
	c->listen_port = a.port;
	return NULL;
}

/* Return value resolved against dir when it is relative; caller frees. */
static char *
config_resolve(const char *dir, const char *value)
{
	char *path;

	if (*value == '/' || dir == NULL)
		return xstrdup(value);
	xasprintf(&path, "%s/%s", dir, value);
	return path;
}

/* Return 1 if s has a character below space, DEL or a space, 0 if not. */
static int
config_has_space(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 1;
	}
	return 0;
}

/* Return 1 if value starts with scheme and has something after it. */
static int
config_has_scheme(const char *value, const char *scheme)
{
	size_t len = strlen(scheme);

	return strncmp(value, scheme, len) == 0 && value[len] != '\0';
}

/* Store value in the string field at *field, replacing what was there. */
static void
config_set_string(char **field, char *value)
{
	free(*field);
	*field = value;
}

/*
 * Parse a comma-separated list of 1 to WEBHOOK_SCHEDULE_MAX whole numbers
 * in [k->min, k->max] ("0, 5, 300": spaces around commas are fine) into
 * the config's webhook schedule. Return NULL, or what is wrong.
 */
static const char *
config_schedule(struct config *c, const struct config_key *k,
    const char *value)
{
	int schedule[WEBHOOK_SCHEDULE_MAX];
	const char *p = value;
	char number[32];
	long long v;
	size_t len;
	int n = 0;

	for (;;) {
		p += strspn(p, " \t");
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len >= sizeof number)
			return "must be seconds from 0 to 604800, separated by "
			    "commas";
		memcpy(number, p, len);
		number[len] = '\0';
		if (config_number(number, k->min, k->max, &v) != 0)
			return "must be seconds from 0 to 604800, separated by "
			    "commas";
		if (n == WEBHOOK_SCHEDULE_MAX)
			return "must have at most 20 entries";
		schedule[n++] = (int)v;
		if ((p = strchr(p, ',')) == NULL)
			break;
		p++;
	}
	memcpy(c->webhook_schedule, schedule, n * sizeof schedule[0]);
	c->webhook_nschedule = n;
	return NULL;
}

/*
 * The score's weights: LEDGER_WEIGHTS whole numbers from min to max,
 * separated by commas, adding up to 100, so that a score is out of 100.
 */
static const char *
config_weights(const struct config_key *k, const char *value, int *out)
{
	static const char why[] = "must be three whole numbers from 0 to 100, "
	    "separated by commas, adding up to 100";
	int weights[LEDGER_WEIGHTS], sum = 0, n;
	const char *p = value;
	char number[16];
	long long v;
	size_t len;

	for (n = 0; n < LEDGER_WEIGHTS; n++) {
		p += strspn(p, " \t");
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len >= sizeof number)
			return why;
		memcpy(number, p, len);
		number[len] = '\0';
		if (config_number(number, k->min, k->max, &v) != 0)
			return why;
		weights[n] = (int)v;
		sum += weights[n];
		p += strcspn(p, ",");
		if (n + 1 < LEDGER_WEIGHTS && *p++ != ',')
			return why;
	}
	if (*p != '\0' || sum != 100)
		return why;
	memcpy(out, weights, sizeof weights);
	return NULL;
}

/* A day of the week by its English name: 1 (monday) to 7 (sunday). */
static const char *
config_weekday(const char *value, int *out)
{
	static const char *const days[] = { "monday", "tuesday", "wednesday",
	    "thursday", "friday", "saturday", "sunday" };
	int i;

	for (i = 0; i < 7; i++) {
		if (strcmp(value, days[i]) == 0) {
			*out = i + 1;
			return NULL;
		}
	}
	return "must be a day such as monday";
}

/* A time of day, HH:MM on the 24-hour clock, as minutes after midnight. */
static const char *
config_clock(const char *value, int *out)
{
	int h, m;

	if (strlen(value) != 5 || value[2] != ':' ||
	    (h = date_digits(value, 2)) == -1 ||
	    (m = date_digits(value + 3, 2)) == -1 || h > 23 || m > 59)
		return "must be a time such as 08:30";
	*out = h * 60 + m;
	return NULL;
}

/*
 * Check value for key k and store it in the config. Return NULL, or a
 * static string saying what is wrong.
 */
static const char *
config_set(struct config_parse *cp, const struct config_key *k,
    const char *value)
{
	char *base = (char *)cp->config;
	char **string = (char **)(base + k->offset);
	char *copy;
	size_t len;
	long long n;

	if (*value == '\0')
		return "must not be empty";
	switch (k->type) {
	case CONFIG_STRING:
		config_set_string(string, xstrdup(value));
		return NULL;
	case CONFIG_PATH:
		config_set_string(string, config_resolve(cp->dir, value));
		return NULL;
	case CONFIG_LISTEN:
		return config_listen(cp->config, value);
	case CONFIG_ADDRESS:
		if (!sentinel_addr_numeric(value))
			return "must be a numeric IPv4 or IPv6 address";
		config_set_string(string, xstrdup(value));
		return NULL;
	case CONFIG_INT:
		if (config_number(value, k->min, k->max, &n) != 0)
			return "must be a whole number in the allowed range";
		*(int *)(base + k->offset) = (int)n;
		return NULL;
	case CONFIG_SIZE:
		if (config_number(value, k->min, k->max, &n) != 0)
			return "must be a whole number in the allowed range";
		*(size_t *)(base + k->offset) = (size_t)n;
		return NULL;
	case CONFIG_DECIMAL:
		if (config_decimal(value, k->min, k->max,
		    (double *)(base + k->offset)) != 0)
			return "must be a decimal number in the allowed range";
		return NULL;
	case CONFIG_BOOL:
		if (strcmp(value, "yes") == 0)
			*(int *)(base + k->offset) = 1;
		else if (strcmp(value, "no") == 0)
			*(int *)(base + k->offset) = 0;
		else
			return "must be yes or no";
		return NULL;
	case CONFIG_LOG_LEVEL:
		if (strcmp(value, "warn") == 0)
			cp->config->log_level = LOG_LEVEL_WARN;
		else if (strcmp(value, "info") == 0)
			cp->config->log_level = LOG_LEVEL_INFO;
		else if (strcmp(value, "debug") == 0)
			cp->config->log_level = LOG_LEVEL_DEBUG;
		else
			return "must be warn, info or debug";
		return NULL;
	case CONFIG_HTTP_URL:
		if (!config_has_scheme(value, "http://") &&
		    !config_has_scheme(value, "https://"))
			return "must start with http:// or https://";
		if (config_has_space(value))
			return "must not contain spaces";
		copy = xstrdup(value);
		len = strlen(copy);
		while (len > 0 && copy[len - 1] == '/')
			copy[--len] = '\0';
		config_set_string(string, copy);
		return NULL;
	case CONFIG_SMTP_URL:
		if (!config_has_scheme(value, "smtp://") &&
		    !config_has_scheme(value, "smtps://"))
			return "must start with smtp:// or smtps://";
		if (config_has_space(value))
			return "must not contain spaces";
		config_set_string(string, xstrdup(value));
		return NULL;
	case CONFIG_EMAIL:
		if (!roster_email_ok(value))
			return "must be a plain address such as "
			    "liaisond@example.gov.cn";
		config_set_string(string, xstrdup(value));
		return NULL;
	case CONFIG_PREFIX:
		if (config_has_space(value))
			return "must not contain spaces or control characters";
		config_set_string(string, xstrdup(value));
		return NULL;
	case CONFIG_SCHEDULE:
		return config_schedule(cp->config, k, value);
	case CONFIG_WEEKDAY:
		return config_weekday(value, (int *)(base + k->offset));
	case CONFIG_CLOCK:
		return config_clock(value, (int *)(base + k->offset));
	case CONFIG_SENTINELS:
		free(cp->config->redis_sentinels);
		return sentinel_addr_list(value, &cp->config->redis_sentinels,
		    &cp->config->redis_nsentinels);
	case CONFIG_NODES:
		free(cp->config->redis_nodes);
		return sentinel_addr_list(value, &cp->config->redis_nodes,
		    &cp->config->redis_nnodes);
	case CONFIG_WEIGHTS:
		return config_weights(k, value, (int *)(base + k->offset));
	case CONFIG_QUIET:
		return quiet_parse_window(value,
		    (struct quiet *)(base + k->offset));
	case CONFIG_QUIET_DAYS:
		return quiet_parse_days(value,
		    (struct quiet *)(base + k->offset));
	}
	return "unhandled key type";
}

/*
 * Give every key its default (config_keys' init), before the file is read;
 * a default the key's own rule refuses is a bug.
 */
static void
config_defaults(struct config_parse *cp)
{
	const char *why;
	size_t i;

	for (i = 0; i < CONFIG_NKEYS; i++) {
		if (config_keys[i].init == NULL)
			continue;
		if ((why = config_set(cp, &config_keys[i],
		    config_keys[i].init)) != NULL)
			fatalx("config_defaults: [%s] %s: \"%s\": %s",
			    config_keys[i].section, config_keys[i].name,
			    config_keys[i].init, why);
	}
}

/* --- the file: inih's line reader and key handler ------------------------ */

/* Record the first error of a parse, on line lineno. */
static void
config_error(struct config_parse *cp, int lineno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
config_error(struct config_parse *cp, int lineno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (util_vcause(&cp->cause, cp->path, lineno, fmt, ap))
		cp->cause_line = lineno;
	va_end(ap);
}

/* Read and drop the rest of the current line of f. */
static void
config_skip_line(FILE *f)
{
	int c;

	while ((c = getc(f)) != EOF && c != '\n')
		;
}

/*
 * Line reader for inih: fgets that also counts lines. A line longer than
 * inih's buffer would be split in two "lines", so it is refused instead,
 * unless it is a comment: then the rest of it is dropped.
 */
static char *
config_read_line(char *str, int num, void *stream)
{
	struct config_parse *cp = stream;
	size_t len;

	cp->lineno = cp->next_lineno;
	if (fgets(str, num, cp->f) == NULL)
		return NULL;
	len = strlen(str);
	if ((len > 0 && str[len - 1] == '\n') || feof(cp->f)) {
		cp->next_lineno++;
		return str;
	}
	cp->next_lineno++;
	if (str[strspn(str, " \t")] == ';' || str[strspn(str, " \t")] == '#') {
		config_skip_line(cp->f);
		return str;
	}
	config_error(cp, cp->lineno, "line longer than %d bytes", num - 3);
	config_skip_line(cp->f);
	return str;
}

/* Return the range of a numeric key as text for messages, in buf. */
static const char *
config_range(const struct config_key *k, char *buf, size_t len)
{
	snprintf(buf, len, "from %lld to %lld", k->min, k->max);
	return buf;
}

/* inih handler: one "key = value" line of section. Return 1, or 0 on error. */
static int
config_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct config_parse *cp = user;
	const struct config_key *k;
	const char *why;
	char range[64];
	size_t i;
	int known_section = 0;

	if (*section == '\0') {
		config_error(cp, cp->lineno, "%s: outside any [section]",
		    name);
		return 0;
	}
	for (i = 0; i < CONFIG_NKEYS; i++) {
		k = &config_keys[i];
		if (strcmp(k->section, section) != 0)
			continue;
		known_section = 1;
		if (strcmp(k->name, name) == 0)
			break;
	}
	if (!known_section) {
		config_error(cp, cp->lineno, "[%s] %s: unknown section",
		    section, name);
		return 0;
	}
	if (i == CONFIG_NKEYS) {
		config_error(cp, cp->lineno, "[%s] %s: unknown key", section,
		    name);
		return 0;
	}
	if (cp->seen[i] != 0) {
		config_error(cp, cp->lineno, "[%s] %s: given twice (first on "
		    "line %d)", section, name, cp->seen[i]);
		return 0;
	}
	cp->seen[i] = cp->lineno;
	if ((why = config_set(cp, k, value)) == NULL)
		return 1;
	if (k->type == CONFIG_INT || k->type == CONFIG_SIZE) {
		config_error(cp, cp->lineno, "[%s] %s: \"%s\": must be a whole "
		    "number %s", section, name, value,
		    config_range(k, range, sizeof range));
	} else if (k->type == CONFIG_DECIMAL) {
		config_error(cp, cp->lineno, "[%s] %s: \"%s\": must be a "
		    "decimal number from %g to %g", section, name, value,
		    k->min / 1e6, k->max / 1e6);
	} else
		config_error(cp, cp->lineno, "[%s] %s: \"%s\": %s", section,
		    name, value, why);
	return 0;
}

/* The line [redis] name was given on, or 0. */
static int
config_redis_line(const struct config_parse *cp, const char *name)
{
	size_t i;

	for (i = 0; i < CONFIG_NKEYS; i++)
		if (strcmp(config_keys[i].section, "redis") == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return cp->seen[i];
	return 0;
}

/*
 * The [redis] keys that only make sense together: Sentinels need the
 * primary's name, WAIT must end before the request's own deadline, and a
 * zone on a Cluster needs its prefix's hash tag (one slot, so every script
 * runs on one node) and its own way to the node: not Sentinels. More
 * nodes to ask are a Cluster's only.
 */
static void
config_redis(struct config_parse *cp)
{
	struct config *c = cp->config;

	if (c->redis_nsentinels > 0 && c->redis_master == NULL)
		config_error(cp, config_redis_line(cp, "sentinels"),
		    "[redis] sentinels: needs master, the name the Sentinels "
		    "know the primary by");
	else if (c->redis_master != NULL && c->redis_nsentinels == 0)
		config_error(cp, config_redis_line(cp, "master"),
		    "[redis] master: needs sentinels");
	else if (c->redis_nsentinels > 0 && c->redis_socket != NULL)
		config_error(cp, config_redis_line(cp, "socket"),
		    "[redis] socket: not with sentinels (they give an address "
		    "and a port)");
	else if (c->redis_replicas > 0 &&
	    c->redis_wait_ms >= c->request_timeout_ms)
		config_error(cp, config_redis_line(cp, "wait_ms") ?
		    config_redis_line(cp, "wait_ms") :
		    config_redis_line(cp, "replicas"),
		    "[redis] wait_ms: must be below [limits] "
		    "request_timeout_ms (%d)", c->request_timeout_ms);
	else if (c->redis_cluster && !redis_cluster_tagged(c->redis_prefix))
		config_error(cp, config_redis_line(cp, "cluster"),
		    "[redis] cluster: needs a prefix with a hash tag, such as "
		    "\"{aq-etdz}:\" (every key of the zone in one slot)");
	else if (c->redis_cluster && c->redis_nsentinels > 0)
		config_error(cp, config_redis_line(cp, "cluster"),
		    "[redis] cluster: not with sentinels (a Cluster finds its "
		    "own primaries; give host and port of any node)");
	else if (c->redis_cluster && c->redis_socket != NULL)
		config_error(cp, config_redis_line(cp, "cluster"),
		    "[redis] cluster: not with socket (the nodes name each "
		    "other by address and port)");
	else if (c->redis_nnodes > 0 && !c->redis_cluster)
		config_error(cp, config_redis_line(cp, "nodes"),
		    "[redis] nodes: needs cluster = yes (more nodes of the "
		    "Cluster to ask)");
}

/* Return the absolute directory holding the file at path; caller frees. */
static char *
config_directory(const char *path)
{
	const char *slash;
	char *dir, *real;

	if ((slash = strrchr(path, '/')) == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, slash - path);
	if ((real = realpath(dir, NULL)) == NULL)
		return dir;
	free(dir);
	if (strcmp(real, "/") == 0)
		real[0] = '\0';	/* so that "/" + "/" + file is "/file" */
	return real;
}

/*
 * Read the configuration file at path into a new struct config, with every
 * key not given at its default. Return it (free with config_free), or NULL
 * with *cause set to "FILE:LINE: [section] key: what is wrong" or
 * "FILE: why it cannot be read" (the caller frees *cause).
 */
struct config *
config_load(const char *path, char **cause)
{
	struct config_parse cp;
	struct config *c;
	int line;

	*cause = NULL;
	memset(&cp, 0, sizeof cp);
	cp.path = path;
	cp.next_lineno = 1;
	if ((cp.f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	cp.config = c;
	cp.dir = config_directory(path);
	config_defaults(&cp);

	line = ini_parse_stream(config_read_line, &cp, config_handler, &cp);
	if (line == 0 && ferror(cp.f))
		config_error(&cp, cp.lineno, "read error");
	fclose(cp.f);
	free(cp.dir);

	if (line > 0 && (cp.cause == NULL || line < cp.cause_line)) {
		free(cp.cause);
		cp.cause = NULL;
		config_error(&cp, line, "syntax error: expected \"[section]\" "
		    "or \"key = value\"");
	}
	if (line < 0 && cp.cause == NULL)
		xasprintf(&cp.cause, "%s: cannot parse", path);
	if (cp.cause == NULL)
		config_redis(&cp);
	if (cp.cause != NULL) {
		*cause = cp.cause;
		config_free(c);
		return NULL;
	}
	return c;
}

/* Free a config and everything it holds; NULL is fine. */
void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->listen_host);
	free(c->public_url);
	free(c->redis_host);
	free(c->redis_socket);
	free(c->redis_password);
	free(c->redis_prefix);
	free(c->redis_sentinels);
	free(c->redis_nodes);
	free(c->redis_master);
	free(c->roster_file);
	free(c->smtp_url);
	free(c->smtp_from);
	free(c->smtp_username);
	free(c->smtp_password);
	free(c->smtp_ca_file);
	free(c->deadline_calendar);
	free(c);
}
