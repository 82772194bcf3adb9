/*
 * test_config.c -- unit tests for config.c: defaults, every key, and the
 * exact message for each kind of bad line.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "liaison.h"
#include "fixtures.h"

/* fixture_dir holds the test's liaisond.conf, fixture_file. */
static int
setup_dir(void **state)
{
	return fixture_dir_make("test_config", "liaisond.conf");
}

static int
teardown_dir(void **state)
{
	fixture_dir_remove();
	return 0;
}

/* Write text to the test file and load it. */
static struct config *
load(const char *text, char **cause)
{
	fixture_write_text(fixture_file, text);
	return config_load(fixture_file, cause);
}

/* Load text, which must be refused with "PATH:" + expected. */
static void
refuse(const char *text, const char *expected)
{
	struct config *c;
	char *cause;

	c = load(text, &cause);
	fixture_refused(c, cause, text, "%s:%s", fixture_file, expected);
}

static void
test_config_empty_file_gives_every_default(void **state)
{
	struct config *c;
	char *cause, calendar[256];

	c = load("", &cause);
	assert_non_null(c);
	assert_null(cause);
	assert_string_equal(c->path, fixture_file);
	assert_string_equal(c->listen_host, "127.0.0.1");
	assert_int_equal(c->listen_port, 8080);
	assert_string_equal(c->public_url, "http://127.0.0.1:8080");
	assert_int_equal(c->metrics_public, 1);
	assert_string_equal(c->redis_host, "127.0.0.1");
	assert_int_equal(c->redis_port, 6379);
	assert_null(c->redis_socket);
	assert_null(c->redis_password);
	assert_string_equal(c->redis_prefix, "liaison:");
	assert_int_equal(c->redis_timeout_ms, 2000);
	assert_string_equal(c->roster_file, "/etc/liaisond/roster.json");
	assert_string_equal(c->smtp_url, "smtp://127.0.0.1:25");
	assert_string_equal(c->smtp_from, "liaisond@example.gov.cn");
	assert_null(c->smtp_username);
	assert_null(c->smtp_password);
	assert_int_equal(c->smtp_starttls, 0);
	assert_int_equal(c->max_body, 262144);
	assert_int_equal(c->max_headers, 16384);
	assert_int_equal(c->request_timeout_ms, 5000);
	assert_int_equal(c->idle_timeout_s, 30);
	assert_int_equal(c->max_connections, 1024);
	assert_int_equal(c->rate_per_minute, 600);
	assert_int_equal(c->max_items, 50);
	assert_int_equal(c->max_title, 100);
	assert_int_equal(c->max_detail, 2000);
	assert_int_equal(c->idempotency_ttl_s, 604800);
	assert_int_equal(c->list_limit, 500);
	snprintf(calendar, sizeof calendar, "%s/holidays-cn.txt", fixture_dir);
	assert_string_equal(c->deadline_calendar, calendar);
	assert_int_equal(c->claim_days, 1);
	assert_int_equal(c->respond_days, 5);
	assert_int_equal(c->resolve_days, 15);
	assert_int_equal(c->claim_seconds, 0);
	assert_int_equal(c->respond_seconds, 0);
	assert_int_equal(c->resolve_seconds, 0);
	assert_int_equal(c->common_min_enterprises, 3);
	assert_true(c->similarity == SIMILAR_THRESHOLD_DEFAULT);
	assert_int_equal(c->window_max, 200000);
	assert_int_equal(c->webhook_nschedule, 8);
	assert_int_equal(c->webhook_schedule[0], 0);
	assert_int_equal(c->webhook_schedule[1], 5);
	assert_int_equal(c->webhook_schedule[2], 300);
	assert_int_equal(c->webhook_schedule[3], 1800);
	assert_int_equal(c->webhook_schedule[4], 7200);
	assert_int_equal(c->webhook_schedule[5], 18000);
	assert_int_equal(c->webhook_schedule[6], 36000);
	assert_int_equal(c->webhook_schedule[7], 36000);
	assert_int_equal(c->webhook_timeout_ms, 10000);
	assert_int_equal(c->webhook_per_endpoint, 2);
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);
	config_free(c);
}

static void
test_config_reads_every_key(void **state)
{
	struct config *c;
	char *cause;

	c = load(
	    "; a comment\n"
	    "# another\n"
	    "[server]\n"
	    "listen = 0.0.0.0:9090   ; inline comment\n"
	    "public_url = https://liaison.example.gov.cn/\n"
	    "metrics_public = no\n"
	    "[redis]\n"
	    "host = ::1\n"
	    "port = 6380\n"
	    "socket = /run/redis/redis.sock\n"
	    "password = s3cret\n"
	    "prefix = test:\n"
	    "timeout_ms = 1500\n"
	    "[roster]\n"
	    "file = /srv/roster.json\n"
	    "[smtp]\n"
	    "url = smtps://mail.example.gov.cn:465\n"
	    "from = noreply@example.gov.cn\n"
	    "username = bot\n"
	    "password = mailpw\n"
	    "starttls = yes\n"
	    "[limits]\n"
	    "max_body = 1000\n"
	    "max_headers = 2048\n"
	    "request_timeout_ms = 250\n"
	    "idle_timeout = 7\n"
	    "max_connections = 64\n"
	    "rate_per_minute = 0\n"
	    "max_items = 5\n"
	    "max_title = 20\n"
	    "max_detail = 300\n"
	    "idempotency_ttl = 60\n"
	    "list_limit = 10\n"
	    "[deadlines]\n"
	    "calendar = /srv/holidays.txt\n"
	    "claim_days = 2\n"
	    "respond_days = 3\n"
	    "resolve_days = 365\n"
	    "claim_seconds = 30\n"
	    "respond_seconds = 60\n"
	    "resolve_seconds = 31536000\n"
	    "[classify]\n"
	    "common_min_enterprises = 4\n"
	    "similarity = 0.375\n"
	    "window_max = 5000\n"
	    "[webhooks]\n"
	    "schedule = 0, 1,1 ,1\n"
	    "timeout_ms = 500\n"
	    "per_endpoint = 4\n"
	    "[log]\n"
	    "level = debug\n", &cause);
	assert_null(cause);
	assert_non_null(c);
	assert_string_equal(c->listen_host, "0.0.0.0");
	assert_int_equal(c->listen_port, 9090);
	assert_string_equal(c->public_url, "https://liaison.example.gov.cn");
	assert_int_equal(c->metrics_public, 0);
	assert_string_equal(c->redis_host, "::1");
	assert_int_equal(c->redis_port, 6380);
	assert_string_equal(c->redis_socket, "/run/redis/redis.sock");
	assert_string_equal(c->redis_password, "s3cret");
	assert_string_equal(c->redis_prefix, "test:");
	assert_int_equal(c->redis_timeout_ms, 1500);
	assert_string_equal(c->roster_file, "/srv/roster.json");
	assert_string_equal(c->smtp_url, "smtps://mail.example.gov.cn:465");
	assert_string_equal(c->smtp_from, "noreply@example.gov.cn");
	assert_string_equal(c->smtp_username, "bot");
	assert_string_equal(c->smtp_password, "mailpw");
	assert_int_equal(c->smtp_starttls, 1);
	assert_int_equal(c->max_body, 1000);
	assert_int_equal(c->max_headers, 2048);
	assert_int_equal(c->request_timeout_ms, 250);
	assert_int_equal(c->idle_timeout_s, 7);
	assert_int_equal(c->max_connections, 64);
	assert_int_equal(c->rate_per_minute, 0);
	assert_int_equal(c->max_items, 5);
	assert_int_equal(c->max_title, 20);
	assert_int_equal(c->max_detail, 300);
	assert_int_equal(c->idempotency_ttl_s, 60);
	assert_int_equal(c->list_limit, 10);
	assert_string_equal(c->deadline_calendar, "/srv/holidays.txt");
	assert_int_equal(c->claim_days, 2);
	assert_int_equal(c->respond_days, 3);
	assert_int_equal(c->resolve_days, 365);
	assert_int_equal(c->claim_seconds, 30);
	assert_int_equal(c->respond_seconds, 60);
	assert_int_equal(c->resolve_seconds, 31536000);
	assert_int_equal(c->common_min_enterprises, 4);
	assert_true(c->similarity == 0.375);
	assert_int_equal(c->window_max, 5000);
	assert_int_equal(c->webhook_nschedule, 4);
	assert_int_equal(c->webhook_schedule[0], 0);
	assert_int_equal(c->webhook_schedule[1], 1);
	assert_int_equal(c->webhook_schedule[2], 1);
	assert_int_equal(c->webhook_schedule[3], 1);
	assert_int_equal(c->webhook_timeout_ms, 500);
	assert_int_equal(c->webhook_per_endpoint, 4);
	assert_int_equal(c->log_level, LOG_LEVEL_DEBUG);
	config_free(c);
}

static void
test_config_listen_takes_ipv6_in_brackets(void **state)
{
	struct config *c;
	char *cause;

	c = load("[server]\nlisten = [::1]:8443\n", &cause);
	assert_non_null(c);
	assert_string_equal(c->listen_host, "::1");
	assert_int_equal(c->listen_port, 8443);
	config_free(c);
}

static void
test_config_relative_roster_file_is_relative_to_the_config(void **state)
{
	struct config *c;
	char *cause, want[256];

	c = load("[roster]\nfile = roster.json\n", &cause);
	assert_non_null(c);
	snprintf(want, sizeof want, "%s/roster.json", fixture_dir);
	assert_string_equal(c->roster_file, want);
	config_free(c);
}

static void
test_config_relative_calendar_is_relative_to_the_config(void **state)
{
	struct config *c;
	char *cause, want[256];

	c = load("[deadlines]\ncalendar = cal/holidays.txt\n", &cause);
	assert_non_null(c);
	snprintf(want, sizeof want, "%s/cal/holidays.txt", fixture_dir);
	assert_string_equal(c->deadline_calendar, want);
	config_free(c);
}

static void
test_config_refuses_deadlines_out_of_range(void **state)
{
	refuse("[deadlines]\nclaim_days = 0\n",
	    "2: [deadlines] claim_days: \"0\": must be a whole number from 1 "
	    "to 365");
	refuse("[deadlines]\nrespond_days = 366\n",
	    "2: [deadlines] respond_days: \"366\": must be a whole number "
	    "from 1 to 365");
	refuse("[deadlines]\nresolve_days = 1.5\n",
	    "2: [deadlines] resolve_days: \"1.5\": must be a whole number "
	    "from 1 to 365");
	refuse("[deadlines]\nclaim_seconds = -1\n",
	    "2: [deadlines] claim_seconds: \"-1\": must be a whole number "
	    "from 0 to 31536000");
	refuse("[deadlines]\nresolve_seconds = 31536001\n",
	    "2: [deadlines] resolve_seconds: \"31536001\": must be a whole "
	    "number from 0 to 31536000");
	refuse("[deadlines]\ncalendar =\n",
	    "2: [deadlines] calendar: \"\": must not be empty");
	refuse("[deadlines]\nclaim_hours = 4\n",
	    "2: [deadlines] claim_hours: unknown key");
}

static void
test_config_similarity_takes_decimals_at_the_bounds(void **state)
{
	struct config *c;
	char *cause;

	c = load("[classify]\nsimilarity = 0.05\n", &cause);
	assert_non_null(c);
	assert_true(c->similarity == 0.05);
	config_free(c);
	c = load("[classify]\nsimilarity = 1\n", &cause);
	assert_non_null(c);
	assert_true(c->similarity == 1.0);
	config_free(c);
	c = load("[classify]\nsimilarity = 1.000000\n", &cause);
	assert_non_null(c);
	assert_true(c->similarity == 1.0);
	config_free(c);
}

/* [webhooks] quiet and quiet_days: off unless given (SPEC §12). */
static void
test_config_webhook_quiet_hours(void **state)
{
	struct config *c;
	char *cause;

	(void)state;
	c = load("", &cause);
	assert_non_null(c);
	assert_int_equal(c->webhook_quiet.on, 0);
	assert_int_equal(c->webhook_quiet.days, 0);
	config_free(c);
	c = load("[webhooks]\nquiet = 22:00-07:30\nquiet_days = sat,sun\n",
	    &cause);
	assert_non_null(c);
	assert_int_equal(c->webhook_quiet.on, 1);
	assert_int_equal(c->webhook_quiet.from, 22 * 60);
	assert_int_equal(c->webhook_quiet.to, 7 * 60 + 30);
	assert_int_equal(c->webhook_quiet.days, (1u << 6) | (1u << 7));
	config_free(c);
	refuse("[webhooks]\nquiet = 22:00\n",
	    "2: [webhooks] quiet: \"22:00\": must be a time window such as "
	    "22:00-07:30");
	refuse("[webhooks]\nquiet = 25:00-07:30\n",
	    "2: [webhooks] quiet: \"25:00-07:30\": must be a time window "
	    "such as 22:00-07:30");
	refuse("[webhooks]\nquiet = 07:30-07:30\n",
	    "2: [webhooks] quiet: \"07:30-07:30\": must end at another time "
	    "than it starts");
	refuse("[webhooks]\nquiet =\n",
	    "2: [webhooks] quiet: \"\": must not be empty");
	refuse("[webhooks]\nquiet_days = saturday\n",
	    "2: [webhooks] quiet_days: \"saturday\": must be days such as "
	    "sat,sun (mon .. sun)");
	refuse("[webhooks]\nquiet_days = sat,sat\n",
	    "2: [webhooks] quiet_days: \"sat,sat\": names a day twice");
	refuse("[webhooks]\nquiet_days = mon,tue,wed,thu,fri,sat,sun\n",
	    "2: [webhooks] quiet_days: \"mon,tue,wed,thu,fri,sat,sun\": "
	    "must leave at least one day not quiet");
}

/* [ledger] weights: three whole numbers adding up to 100 (SPEC §12). */
static void
test_config_ledger_weights(void **state)
{
	static const char why[] = "must be three whole numbers from 0 to "
	    "100, separated by commas, adding up to 100";
	const char *bad[] = { "30,35", "30,35,35,0", "30,35,36", "-1,51,50",
	    "30;35;35", "30,,70", "a,50,50", "101,0,0", "30,35,35,", NULL };
	struct config *c;
	char *cause, expected[256];
	size_t i;

	(void)state;
	c = load("", &cause);
	assert_non_null(c);
	assert_int_equal(c->ledger_weights[0], 30);
	assert_int_equal(c->ledger_weights[1], 35);
	assert_int_equal(c->ledger_weights[2], 35);
	config_free(c);
	c = load("[ledger]\nweights = 50, 0 ,50\n", &cause);
	assert_non_null(c);
	assert_int_equal(c->ledger_weights[0], 50);
	assert_int_equal(c->ledger_weights[1], 0);
	assert_int_equal(c->ledger_weights[2], 50);
	config_free(c);
	for (i = 0; bad[i] != NULL; i++) {
		char text[64];

		snprintf(text, sizeof text, "[ledger]\nweights = %s\n", bad[i]);
		snprintf(expected, sizeof expected,
		    "2: [ledger] weights: \"%s\": %s", bad[i], why);
		refuse(text, expected);
	}
}

static void
test_config_refuses_classify_values_out_of_range(void **state)
{
	refuse("[classify]\ncommon_min_enterprises = 1\n",
	    "2: [classify] common_min_enterprises: \"1\": must be a whole "
	    "number from 2 to 100");
	refuse("[classify]\nwindow_max = 99\n",
	    "2: [classify] window_max: \"99\": must be a whole number from "
	    "100 to 10000000");
	refuse("[classify]\nsimilarity = 0.049\n",
	    "2: [classify] similarity: \"0.049\": must be a decimal number "
	    "from 0.05 to 1");
	refuse("[classify]\nsimilarity = 1.01\n",
	    "2: [classify] similarity: \"1.01\": must be a decimal number "
	    "from 0.05 to 1");
	refuse("[classify]\nsimilarity = ,3\n",
	    "2: [classify] similarity: \",3\": must be a decimal number "
	    "from 0.05 to 1");
	refuse("[classify]\nsimilarity = 0.3.\n",
	    "2: [classify] similarity: \"0.3.\": must be a decimal number "
	    "from 0.05 to 1");
	refuse("[classify]\nsimilarity = .3\n",
	    "2: [classify] similarity: \".3\": must be a decimal number "
	    "from 0.05 to 1");
	refuse("[classify]\nsimilarity = 0.\n",
	    "2: [classify] similarity: \"0.\": must be a decimal number "
	    "from 0.05 to 1");
	refuse("[classify]\nsimilarity = 3e-1\n",
	    "2: [classify] similarity: \"3e-1\": must be a decimal number "
	    "from 0.05 to 1");
	refuse("[classify]\nsimilarity = 0.1234567\n",
	    "2: [classify] similarity: \"0.1234567\": must be a decimal "
	    "number from 0.05 to 1");
}

static void
test_config_webhook_schedule_takes_1_to_20_entries(void **state)
{
	struct config *c;
	char *cause;

	c = load("[webhooks]\nschedule = 604800\n", &cause);
	assert_non_null(c);
	assert_int_equal(c->webhook_nschedule, 1);
	assert_int_equal(c->webhook_schedule[0], 604800);
	config_free(c);
	c = load("[webhooks]\nschedule = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,"
	    "16,17,18,19,20\n", &cause);
	assert_non_null(c);
	assert_int_equal(c->webhook_nschedule, 20);
	assert_int_equal(c->webhook_schedule[19], 20);
	config_free(c);
}

static void
test_config_refuses_bad_webhook_values(void **state)
{
	refuse("[webhooks]\nschedule = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,"
	    "16,17,18,19,20,21\n",
	    "2: [webhooks] schedule: \"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,"
	    "17,18,19,20,21\": must have at most 20 entries");
	refuse("[webhooks]\nschedule = 0,604801\n",
	    "2: [webhooks] schedule: \"0,604801\": must be seconds from 0 to "
	    "604800, separated by commas");
	refuse("[webhooks]\nschedule = 0,,5\n",
	    "2: [webhooks] schedule: \"0,,5\": must be seconds from 0 to "
	    "604800, separated by commas");
	refuse("[webhooks]\nschedule = 0,5,\n",
	    "2: [webhooks] schedule: \"0,5,\": must be seconds from 0 to "
	    "604800, separated by commas");
	refuse("[webhooks]\nschedule = 0 5\n",
	    "2: [webhooks] schedule: \"0 5\": must be seconds from 0 to "
	    "604800, separated by commas");
	refuse("[webhooks]\nschedule = -1\n",
	    "2: [webhooks] schedule: \"-1\": must be seconds from 0 to "
	    "604800, separated by commas");
	refuse("[webhooks]\nschedule =\n",
	    "2: [webhooks] schedule: \"\": must not be empty");
	refuse("[webhooks]\ntimeout_ms = 99\n",
	    "2: [webhooks] timeout_ms: \"99\": must be a whole number from 100 "
	    "to 600000");
	refuse("[webhooks]\nper_endpoint = 0\n",
	    "2: [webhooks] per_endpoint: \"0\": must be a whole number from 1 "
	    "to 100");
}

static void
test_config_log_levels(void **state)
{
	struct config *c;
	char *cause;

	c = load("[log]\nlevel = warn\n", &cause);
	assert_non_null(c);
	assert_int_equal(c->log_level, LOG_LEVEL_WARN);
	config_free(c);
}

static void
test_config_refuses_a_missing_file(void **state)
{
	struct config *c;
	char *cause;

	c = config_load("/nonexistent/liaisond.conf", &cause);
	assert_null(c);
	assert_string_equal(cause,
	    "/nonexistent/liaisond.conf: No such file or directory");
	free(cause);
}

static void
test_config_refuses_an_unknown_key(void **state)
{
	refuse("[server]\nlisten = 127.0.0.1:80\nlsten = 1\n",
	    "3: [server] lsten: unknown key");
}

static void
test_config_refuses_an_unknown_section(void **state)
{
	refuse("[server]\n\n[sever]\nlisten = 127.0.0.1:80\n",
	    "4: [sever] listen: unknown section");
}

static void
test_config_refuses_a_key_outside_any_section(void **state)
{
	refuse("listen = 127.0.0.1:80\n",
	    "1: listen: outside any [section]");
}

static void
test_config_refuses_a_key_given_twice(void **state)
{
	refuse("[redis]\nport = 1\nport = 2\n",
	    "3: [redis] port: given twice (first on line 2)");
}

static void
test_config_refuses_a_line_that_is_not_key_value(void **state)
{
	refuse("[redis]\nport = 1\njust words\n",
	    "3: syntax error: expected \"[section]\" or \"key = value\"");
	refuse("[redis\n",
	    "1: syntax error: expected \"[section]\" or \"key = value\"");
}

static void
test_config_refuses_a_line_too_long(void **state)
{
	char text[512];

	snprintf(text, sizeof text, "[redis]\npassword = %0300d\n", 7);
	refuse(text, "2: line longer than 197 bytes");
}

static void
test_config_skips_a_long_comment_line(void **state)
{
	struct config *c;
	char text[512], *cause;

	snprintf(text, sizeof text, "[redis]\n; %0300d\nport = 7\n", 7);
	c = load(text, &cause);
	if (c == NULL)
		fail_msg("%s", cause);
	assert_int_equal(c->redis_port, 7);
	config_free(c);
}

static void
test_config_loads_the_sample_file(void **state)
{
	struct config *c;
	char *cause, *etc, want[PATH_MAX + 32];

	c = config_load(ETC_DIR "/liaisond.conf", &cause);
	if (c == NULL)
		fail_msg("%s", cause);
	etc = realpath(ETC_DIR, NULL);
	assert_non_null(etc);
	snprintf(want, sizeof want, "%s/roster.json", etc);
	assert_string_equal(c->roster_file, want);
	snprintf(want, sizeof want, "%s/holidays-cn.txt", etc);
	free(etc);
	assert_string_equal(c->deadline_calendar, want);
	assert_int_equal(c->claim_days, 1);
	assert_int_equal(c->respond_days, 5);
	assert_int_equal(c->resolve_days, 15);
	assert_int_equal(c->claim_seconds, 0);
	assert_int_equal(c->common_min_enterprises, 3);
	assert_true(c->similarity == SIMILAR_THRESHOLD_DEFAULT);
	assert_int_equal(c->window_max, 200000);
	assert_string_equal(c->listen_host, "127.0.0.1");
	assert_int_equal(c->listen_port, 8080);
	assert_int_equal(c->max_body, 262144);
	assert_int_equal(c->webhook_nschedule, 8);
	assert_int_equal(c->webhook_schedule[7], 36000);
	assert_int_equal(c->webhook_timeout_ms, 10000);
	assert_int_equal(c->webhook_per_endpoint, 2);
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);
	config_free(c);
}

static void
test_config_refuses_bad_listen_values(void **state)
{
	refuse("[server]\n\nlisten = localhost:8080\n",
	    "3: [server] listen: \"localhost:8080\": the address must be a "
	    "numeric IPv4 or [IPv6] address");
	refuse("[server]\nlisten = 127.0.0.1\n",
	    "2: [server] listen: \"127.0.0.1\": expected \"address:port\"");
	refuse("[server]\nlisten = 127.0.0.1:0\n",
	    "2: [server] listen: \"127.0.0.1:0\": the port must be a number "
	    "from 1 to 65535");
	refuse("[server]\nlisten = 127.0.0.1:65536\n",
	    "2: [server] listen: \"127.0.0.1:65536\": the port must be a "
	    "number from 1 to 65535");
	refuse("[server]\nlisten = 127.0.0.1:http\n",
	    "2: [server] listen: \"127.0.0.1:http\": the port must be a "
	    "number from 1 to 65535");
	refuse("[server]\nlisten = ::1:8080\n",
	    "2: [server] listen: \"::1:8080\": an IPv6 address goes in "
	    "brackets, as \"[::1]:8080\"");
	refuse("[server]\nlisten = [::1:8080\n",
	    "2: [server] listen: \"[::1:8080\": missing ']' after an IPv6 "
	    "address");
	refuse("[server]\nlisten = [127.0.0.1]:8080\n",
	    "2: [server] listen: \"[127.0.0.1]:8080\": the address must be a "
	    "numeric IPv4 or [IPv6] address");
	refuse("[server]\nlisten = 300.1.1.1:8080\n",
	    "2: [server] listen: \"300.1.1.1:8080\": the address must be a "
	    "numeric IPv4 or [IPv6] address");
}

static void
test_config_refuses_bad_numbers_with_the_range(void **state)
{
	refuse("[redis]\nport = 0\n",
	    "2: [redis] port: \"0\": must be a whole number from 1 to 65535");
	refuse("[redis]\nport = 65536\n",
	    "2: [redis] port: \"65536\": must be a whole number from 1 to "
	    "65535");
	refuse("[limits]\nmax_body = 12k\n",
	    "2: [limits] max_body: \"12k\": must be a whole number from 1 to "
	    "67108864");
	refuse("[limits]\nrate_per_minute = -1\n",
	    "2: [limits] rate_per_minute: \"-1\": must be a whole number from "
	    "0 to 1000000");
	refuse("[limits]\nmax_items = 99999999999999999999\n",
	    "2: [limits] max_items: \"99999999999999999999\": must be a whole "
	    "number from 1 to 10000");
	refuse("[limits]\nidle_timeout = +5\n",
	    "2: [limits] idle_timeout: \"+5\": must be a whole number from 1 "
	    "to 86400");
}

static void
test_config_refuses_bad_booleans(void **state)
{
	refuse("[server]\nmetrics_public = true\n",
	    "2: [server] metrics_public: \"true\": must be yes or no");
	refuse("[smtp]\nstarttls = 1\n",
	    "2: [smtp] starttls: \"1\": must be yes or no");
}

static void
test_config_refuses_an_empty_prefix(void **state)
{
	refuse("[redis]\nprefix =\n",
	    "2: [redis] prefix: \"\": must not be empty");
	refuse("[redis]\nprefix = a b\n",
	    "2: [redis] prefix: \"a b\": must not contain spaces or control "
	    "characters");
}

static void
test_config_refuses_a_redis_host_name(void **state)
{
	refuse("[redis]\nhost = localhost\n",
	    "2: [redis] host: \"localhost\": must be a numeric IPv4 or IPv6 "
	    "address");
}

static void
test_config_refuses_bad_urls_and_addresses(void **state)
{
	refuse("[server]\npublic_url = ftp://x\n",
	    "2: [server] public_url: \"ftp://x\": must start with http:// or "
	    "https://");
	refuse("[smtp]\nurl = http://mail\n",
	    "2: [smtp] url: \"http://mail\": must start with smtp:// or "
	    "smtps://");
	refuse("[smtp]\nfrom = nobody\n",
	    "2: [smtp] from: \"nobody\": must be a plain address such as "
	    "liaisond@example.gov.cn");
	/* the roster's check (roster_email_ok): text on both sides of the @ */
	refuse("[smtp]\nfrom = @example.gov.cn\n",
	    "2: [smtp] from: \"@example.gov.cn\": must be a plain address "
	    "such as liaisond@example.gov.cn");
}

static void
test_config_refuses_an_unknown_log_level(void **state)
{
	refuse("[log]\nlevel = trace\n",
	    "2: [log] level: \"trace\": must be warn, info or debug");
}

static void
test_config_reports_the_first_error(void **state)
{
	refuse("[redis]\nport = x\n[limits]\nmax_items = 0\n",
	    "2: [redis] port: \"x\": must be a whole number from 1 to 65535");
}

/* More than one machine (SPEC 13): the Sentinel and WAIT keys. */
static void
test_config_reads_sentinels_master_and_replicas(void **state)
{
	struct config *c;
	char *cause;

	c = load("[redis]\nsentinels = 127.0.0.1:26379, [::1]:26380\n"
	    "master = liaisond\nreplicas = 2\nwait_ms = 500\n", &cause);
	if (c == NULL)
		fail_msg("%s", cause);
	assert_int_equal(c->redis_nsentinels, 2);
	assert_string_equal(c->redis_sentinels[0].host, "127.0.0.1");
	assert_int_equal(c->redis_sentinels[0].port, 26379);
	assert_string_equal(c->redis_sentinels[1].host, "::1");
	assert_string_equal(c->redis_master, "liaisond");
	assert_int_equal(c->redis_replicas, 2);
	assert_int_equal(c->redis_wait_ms, 500);
	config_free(c);

	c = load("", &cause);
	assert_non_null(c);
	assert_null(c->redis_sentinels);
	assert_null(c->redis_master);
	assert_int_equal(c->redis_replicas, 0);
	assert_int_equal(c->redis_wait_ms, 1000);
	config_free(c);
}

static void
test_config_refuses_sentinel_keys_that_do_not_fit(void **state)
{
	refuse("[redis]\nsentinels = 127.0.0.1:26379\n",
	    "2: [redis] sentinels: needs master, the name the Sentinels know "
	    "the primary by");
	refuse("[redis]\nmaster = liaisond\n",
	    "2: [redis] master: needs sentinels");
	refuse("[redis]\nsentinels = localhost:26379\nmaster = m\n",
	    "2: [redis] sentinels: \"localhost:26379\": the address must be "
	    "a numeric IPv4 or [IPv6] address");
	refuse("[redis]\nsentinels = 127.0.0.1:1\nmaster = m\n"
	    "socket = /run/redis.sock\n",
	    "4: [redis] socket: not with sentinels (they give an address and "
	    "a port)");
	refuse("[limits]\nrequest_timeout_ms = 1000\n[redis]\nreplicas = 1\n",
	    "4: [redis] wait_ms: must be below [limits] request_timeout_ms "
	    "(1000)");
	refuse("[redis]\nreplicas = 1\nwait_ms = 5000\n",
	    "3: [redis] wait_ms: must be below [limits] request_timeout_ms "
	    "(5000)");
	refuse("[redis]\nreplicas = -1\n",
	    "2: [redis] replicas: \"-1\": must be a whole number from 0 to "
	    "100");
}

static void
test_config_refuses_cluster_keys_that_do_not_fit(void **state)
{
	struct config *c;
	char *cause = NULL;

	c = load("[redis]\nprefix = {aq-etdz}:\ncluster = yes\n", &cause);
	if (c == NULL)
		fail_msg("%s", cause);
	assert_int_equal(c->redis_cluster, 1);
	assert_int_equal(c->redis_nnodes, 0);
	assert_int_equal(c->redis_failover_wait_ms, 30000);
	config_free(c);
	/* how long liaisonctl waits out a failover; 0: not at all */
	c = load("[redis]\nprefix = {aq-etdz}:\ncluster = yes\n"
	    "failover_wait_ms = 0\n", &cause);
	if (c == NULL)
		fail_msg("%s", cause);
	assert_int_equal(c->redis_failover_wait_ms, 0);
	config_free(c);
	refuse("[redis]\nfailover_wait_ms = 600001\n",
	    "2: [redis] failover_wait_ms: \"600001\": must be a whole number "
	    "from 0 to 600000");
	refuse("[redis]\nfailover_wait_ms = -1\n",
	    "2: [redis] failover_wait_ms: \"-1\": must be a whole number "
	    "from 0 to 600000");
	/* WAIT on the slot's primary, and more nodes to ask, in order */
	c = load("[redis]\nprefix = {aq-etdz}:\ncluster = yes\nreplicas = 1\n"
	    "wait_ms = 500\nnodes = 127.0.0.1:7002, [::1]:7003\n", &cause);
	if (c == NULL)
		fail_msg("%s", cause);
	assert_int_equal(c->redis_replicas, 1);
	assert_int_equal(c->redis_nnodes, 2);
	assert_string_equal(c->redis_nodes[0].host, "127.0.0.1");
	assert_int_equal(c->redis_nodes[0].port, 7002);
	assert_string_equal(c->redis_nodes[1].host, "::1");
	assert_int_equal(c->redis_nodes[1].port, 7003);
	config_free(c);
	refuse("[redis]\ncluster = yes\n",
	    "2: [redis] cluster: needs a prefix with a hash tag, such as "
	    "\"{aq-etdz}:\" (every key of the zone in one slot)");
	refuse("[redis]\nprefix = {}aq:\ncluster = yes\n",
	    "3: [redis] cluster: needs a prefix with a hash tag, such as "
	    "\"{aq-etdz}:\" (every key of the zone in one slot)");
	refuse("[redis]\nprefix = {aq}:\ncluster = yes\n"
	    "sentinels = 127.0.0.1:26379\nmaster = m\n",
	    "3: [redis] cluster: not with sentinels (a Cluster finds its own "
	    "primaries; give host and port of any node)");
	refuse("[redis]\nprefix = {aq}:\ncluster = yes\nsocket = /r.sock\n",
	    "3: [redis] cluster: not with socket (the nodes name each other "
	    "by address and port)");
	refuse("[redis]\nprefix = {aq}:\nnodes = 127.0.0.1:7001\n",
	    "3: [redis] nodes: needs cluster = yes (more nodes of the Cluster "
	    "to ask)");
	refuse("[redis]\nprefix = {aq}:\ncluster = yes\nnodes = 127.0.0.1\n",
	    "4: [redis] nodes: \"127.0.0.1\": expected \"address:port\"");
	refuse("[redis]\ncluster = maybe\n",
	    "2: [redis] cluster: \"maybe\": must be yes or no");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_empty_file_gives_every_default),
		cmocka_unit_test(test_config_reads_every_key),
		cmocka_unit_test(test_config_listen_takes_ipv6_in_brackets),
		cmocka_unit_test(test_config_reads_sentinels_master_and_replicas),
		cmocka_unit_test(test_config_refuses_sentinel_keys_that_do_not_fit),
		cmocka_unit_test(test_config_refuses_cluster_keys_that_do_not_fit),
		cmocka_unit_test(test_config_relative_roster_file_is_relative_to_the_config),
		cmocka_unit_test(test_config_relative_calendar_is_relative_to_the_config),
		cmocka_unit_test(test_config_refuses_deadlines_out_of_range),
		cmocka_unit_test(test_config_similarity_takes_decimals_at_the_bounds),
		cmocka_unit_test(test_config_refuses_classify_values_out_of_range),
		cmocka_unit_test(test_config_ledger_weights),
		cmocka_unit_test(test_config_webhook_quiet_hours),
		cmocka_unit_test(test_config_webhook_schedule_takes_1_to_20_entries),
		cmocka_unit_test(test_config_refuses_bad_webhook_values),
		cmocka_unit_test(test_config_log_levels),
		cmocka_unit_test(test_config_refuses_a_missing_file),
		cmocka_unit_test(test_config_refuses_an_unknown_key),
		cmocka_unit_test(test_config_refuses_an_unknown_section),
		cmocka_unit_test(test_config_refuses_a_key_outside_any_section),
		cmocka_unit_test(test_config_refuses_a_key_given_twice),
		cmocka_unit_test(test_config_refuses_a_line_that_is_not_key_value),
		cmocka_unit_test(test_config_refuses_a_line_too_long),
		cmocka_unit_test(test_config_skips_a_long_comment_line),
		cmocka_unit_test(test_config_loads_the_sample_file),
		cmocka_unit_test(test_config_refuses_bad_listen_values),
		cmocka_unit_test(test_config_refuses_bad_numbers_with_the_range),
		cmocka_unit_test(test_config_refuses_bad_booleans),
		cmocka_unit_test(test_config_refuses_an_empty_prefix),
		cmocka_unit_test(test_config_refuses_a_redis_host_name),
		cmocka_unit_test(test_config_refuses_bad_urls_and_addresses),
		cmocka_unit_test(test_config_refuses_an_unknown_log_level),
		cmocka_unit_test(test_config_reports_the_first_error),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
