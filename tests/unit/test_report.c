/*
 * test_report.c -- checking a report body (report.c, validate.c): what is
 * accepted, how items are routed and classified, and which error each bad
 * body gets.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "liaison.h"
#include "fixtures.h"

static struct roster *roster;
static struct config cfg;
static time_t now;                  /* 2026-11-27 12:00 in Asia/Shanghai */

/* O001's first enterprise, and one of O002's. */
#define MINE "91340800PN4Y1KAC63"

static int
setup(void **state)
{
	fixture_zone();
	now = fixture_local_time(2026, 11, 27, 12, 0);
	roster = fixture_roster();
	cfg.max_items = 50;
	cfg.max_title = 100;
	cfg.max_detail = 2000;
	return 0;
}

static int
teardown(void **state)
{
	roster_free(roster);
	return 0;
}

static const struct officer *
officer(const char *id)
{
	const struct officer *o = roster_officer(roster, id);

	assert_non_null(o);
	return o;
}

/* Parse body as O001; on failure the error is in e. */
static struct report_input *
parse(const char *body, struct api_error *e)
{
	memset(e, 0, sizeof *e);
	return report_parse(body, strlen(body), roster, officer("O001"), &cfg,
	    now, e);
}

static void
assert_refused(const char *body, int status, const char *code,
    const char *field)
{
	struct api_error e;
	struct report_input *in = parse(body, &e);

	if (in != NULL)
		fail_msg("accepted: %s", body);
	assert_int_equal(e.status, status);
	assert_string_equal(e.code, code);
	assert_string_equal(e.field, field);
	assert_true(strlen(e.message) > 0);
}

static void
test_report_accepts_one_item_and_routes_by_topic(void **state)
{
	struct api_error e;
	struct report_input *in = parse("{\"period\":\"2026-11-2\",\"items\":"
	    "[{\"enterprise\":\"" MINE "\",\"topic\":\"hiring\",\"title\":"
	    "\"普工缺口\",\"detail\":\"缺工三十人\"}]}", &e);

	assert_non_null(in);
	assert_int_equal(in->nitems, 1);
	assert_int_equal(in->late, 0);
	assert_string_equal(in->items[0].route_topic->id, "hiring");
	assert_int_equal(in->items[0].route_topic->ndepartments, 1);
	assert_string_equal(in->items[0].route_topic->departments[0]->id, "hr");
	assert_string_equal(in->items[0].category, "individual");
	report_input_free(in);
}

static void
test_report_zero_report_is_valid(void **state)
{
	struct api_error e;
	struct report_input *in = parse("{\"items\":[]}", &e);

	assert_non_null(in);
	assert_int_equal(in->nitems, 0);
	assert_int_equal(in->period.year, 2026);
	assert_int_equal(in->period.month, 11);
	assert_int_equal(in->period.half, 2);
	report_input_free(in);
}

static void
test_report_previous_period_is_late(void **state)
{
	struct api_error e;
	struct report_input *in = parse("{\"period\":\"2026-11-1\",\"items\":[]}",
	    &e);

	assert_non_null(in);
	assert_int_equal(in->late, 1);
	report_input_free(in);
}

static void
test_report_flagged_or_two_departments_is_difficult(void **state)
{
	struct api_error e;
	struct report_input *in = parse("{\"items\":[{\"enterprise\":\"" MINE
	    "\",\"topic\":\"hiring\",\"title\":\"t\",\"difficult\":true},"
	    "{\"enterprise\":\"" MINE "\",\"topic\":\"planning\",\"title\":"
	    "\"厂房改扩建\"}]}", &e);

	assert_non_null(in);
	assert_string_equal(in->items[0].category, "difficult");
	assert_non_null(strstr(in->items[0].reason, "flagged"));
	assert_string_equal(in->items[1].category, "difficult");
	assert_int_equal(in->items[1].route_topic->ndepartments, 2);
	assert_non_null(strstr(in->items[1].reason, "2 departments"));
	report_input_free(in);
}

static void
test_report_other_topic_is_routed_by_keywords(void **state)
{
	struct api_error e;
	struct report_input *in = parse("{\"items\":[{\"enterprise\":\"" MINE
	    "\",\"topic\":\"other\",\"title\":\"退税进度\",\"detail\":"
	    "\"出口退税和留抵退税迟迟未到账，另外想问贷款\"},"
	    "{\"enterprise\":\"" MINE "\",\"topic\":\"other\",\"title\":"
	    "\"食堂\",\"detail\":\"员工食堂承包\"}]}", &e);

	assert_non_null(in);
	assert_string_equal(in->items[0].topic->id, "other");
	assert_string_equal(in->items[0].route_topic->id, "tax");
	assert_string_equal(in->items[1].route_topic->id, "other");
	report_input_free(in);
}

static void
test_report_counts_characters_not_bytes(void **state)
{
	char *body, *p;
	struct api_error e;
	struct report_input *in;
	size_t i;

	/* 2,000 Chinese characters are 6,000 bytes and still fit. */
	body = xmalloc(8000);
	p = body + sprintf(body, "{\"items\":[{\"enterprise\":\"" MINE
	    "\",\"topic\":\"hiring\",\"title\":\"t\",\"detail\":\"");
	for (i = 0; i < 2000; i++)
		p += sprintf(p, "缺");
	strcpy(p, "\"}]}");
	in = parse(body, &e);
	assert_non_null(in);
	report_input_free(in);
	p = strstr(body, "\"}]}");
	strcpy(p, "缺\"}]}");
	in = parse(body, &e);
	assert_null(in);
	assert_int_equal(e.status, 422);
	assert_string_equal(e.field, "items[0].detail");
	free(body);
}

static void
test_report_refuses_malformed_bodies(void **state)
{
	assert_refused("", 400, "bad_request", "");
	assert_refused("{\"items\":[]", 400, "bad_request", "");
	assert_refused("{\"items\":[]} x", 400, "bad_request", "");
	assert_refused("[]", 400, "bad_request", "");
	assert_refused("\"items\"", 400, "bad_request", "");
	assert_refused("{\"items\":{}}", 400, "bad_request", "items");
	assert_refused("{\"items\":[1]}", 400, "bad_request", "items[0]");
	assert_refused("{\"items\":[],\"extra\":1}", 400, "bad_request",
	    "extra");
	assert_refused("{\"items\":[],\"items\":[]}", 400, "bad_request",
	    "items");
	assert_refused("{\"period\":202611,\"items\":[]}", 400, "bad_request",
	    "period");
	assert_refused("{\"items\":[{\"enterprise\":1,\"topic\":\"hiring\","
	    "\"title\":\"t\"}]}", 400, "bad_request", "items[0].enterprise");
	assert_refused("{\"items\":[{\"enterprise\":\"" MINE "\",\"topic\":"
	    "\"hiring\",\"title\":\"t\",\"difficult\":\"yes\"}]}", 400,
	    "bad_request", "items[0].difficult");
	assert_refused("{\"items\":[{\"enterprise\":\"" MINE "\",\"topic\":"
	    "\"hiring\",\"title\":\"t\",\"color\":\"red\"}]}", 400,
	    "bad_request", "items[0].color");
	assert_refused("{\"items\":[{\"enterprise\":\"" MINE "\",\"topic\":"
	    "\"hiring\",\"title\":\"a\\u0000b\"}]}", 400, "bad_request", "");
	assert_refused("{\"items\":[{\"enterprise\":\"" MINE "\",\"topic\":"
	    "\"hiring\",\"title\":\"\xc0\xaf\"}]}", 400, "bad_request", "");
	assert_refused("{\"items\":[{\"enterprise\":\"" MINE "\",\"topic\":"
	    "\"hiring\",\"title\":\"\xff\"}]}", 400, "bad_request", "");
}

/*
 * The body is its length, not up to a NUL: the first bytes of a longer
 * buffer parse alone, and a body with no NUL after it (the fuzzer's crash:
 * cJSON read past the end looking for one) is read within its bounds.
 */
static void
test_report_reads_only_its_length(void **state)
{
	static const char body[] = "{\"items\":[]}";
	struct api_error e;
	struct report_input *in;
	char *exact;

	memset(&e, 0, sizeof e);
	in = report_parse("{\"items\":[]} trailing garbage",
	    strlen(body), roster, officer("O001"), &cfg, now, &e);
	assert_non_null(in);
	report_input_free(in);
	exact = malloc(strlen(body));       /* no NUL: ASan sees a read past */
	assert_non_null(exact);
	memcpy(exact, body, strlen(body));
	memset(&e, 0, sizeof e);
	in = report_parse(exact, strlen(body), roster, officer("O001"), &cfg,
	    now, &e);
	assert_non_null(in);
	report_input_free(in);
	memset(&e, 0, sizeof e);
	assert_null(report_parse(exact, strlen(body) - 1, roster,
	    officer("O001"), &cfg, now, &e));
	assert_int_equal(e.status, 400);
	free(exact);
}

static void
test_report_refuses_invalid_content(void **state)
{
	char body[512];

	assert_refused("{}", 422, "invalid", "items");
	assert_refused("{\"period\":\"2026-13-1\",\"items\":[]}", 422,
	    "invalid", "period");
	assert_refused("{\"period\":\"2026-11-3\",\"items\":[]}", 422,
	    "invalid", "period");
	assert_refused("{\"period\":\"2026-10-2\",\"items\":[]}", 422,
	    "invalid", "period");
	assert_refused("{\"period\":\"2026-12-1\",\"items\":[]}", 422,
	    "invalid", "period");
	assert_refused("{\"items\":[{\"enterprise\":\"" MINE "\",\"topic\":"
	    "\"weather\",\"title\":\"t\"}]}", 422, "invalid", "items[0].topic");
	assert_refused("{\"items\":[{\"enterprise\":\"" MINE "\",\"topic\":"
	    "\"hiring\",\"title\":\"\"}]}", 422, "invalid", "items[0].title");
	assert_refused("{\"items\":[{\"enterprise\":\"" MINE "\",\"topic\":"
	    "\"hiring\"}]}", 422, "invalid", "items[0].title");
	/* The check character of this code should be 3, not 4. */
	assert_refused("{\"items\":[{\"enterprise\":\"91350100M000100Y44\","
	    "\"topic\":\"hiring\",\"title\":\"t\"}]}", 422, "invalid",
	    "items[0].enterprise");
	snprintf(body, sizeof body, "{\"items\":[{\"enterprise\":\"%s\","
	    "\"topic\":\"hiring\",\"title\":\"t\"}]}",
	    officer("O002")->enterprises[0]->id);
	assert_refused(body, 403, "forbidden", "items[0].enterprise");
}

static void
test_report_refuses_too_many_items(void **state)
{
	char *body = xmalloc(51 * 128 + 64), *p;
	struct api_error e;
	int i;

	p = body + sprintf(body, "{\"items\":[");
	for (i = 0; i < 51; i++)
		p += sprintf(p, "%s{\"enterprise\":\"" MINE "\",\"topic\":"
		    "\"hiring\",\"title\":\"t%d\"}", i ? "," : "", i);
	strcpy(p, "]}");
	assert_null(parse(body, &e));
	assert_int_equal(e.status, 422);
	assert_string_equal(e.field, "items");
	free(body);
}

/*
 * Every field of an item at fault is in the error: the first decides the
 * status and field as before, the others follow in e.more, in the order
 * the checks run (strings first, then the credit code and the topic).
 */
static void
test_report_lists_every_field_at_fault(void **state)
{
	struct api_error e;

	(void)state;
	assert_null(parse("{\"items\":[{\"enterprise\":\"91340800PN4Y1KAC6X\","
	    "\"topic\":\"nowhere\",\"title\":\"\",\"detail\":\"d\"}]}", &e));
	assert_int_equal(e.status, 422);
	assert_string_equal(e.field, "items[0].title");
	assert_int_equal(e.nmore, 2);
	assert_string_equal(e.more[0].field, "items[0].enterprise");
	assert_string_equal(e.more[1].field, "items[0].topic");
	assert_string_equal(e.more[1].code, "invalid");

	/* one field at fault: nothing more */
	assert_null(parse("{\"items\":[{\"enterprise\":\"" MINE "\","
	    "\"topic\":\"hiring\",\"title\":\"\"}]}", &e));
	assert_string_equal(e.field, "items[0].title");
	assert_int_equal(e.nmore, 0);
}

static void
test_report_refuses_deep_nesting(void **state)
{
	char *body = xmalloc(4100);
	struct api_error e;

	memset(body, '[', 2000);
	memset(body + 2000, ']', 2000);
	body[4000] = '\0';
	assert_null(parse(body, &e));
	assert_int_equal(e.status, 400);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_accepts_one_item_and_routes_by_topic),
		cmocka_unit_test(test_report_zero_report_is_valid),
		cmocka_unit_test(test_report_previous_period_is_late),
		cmocka_unit_test(test_report_flagged_or_two_departments_is_difficult),
		cmocka_unit_test(test_report_other_topic_is_routed_by_keywords),
		cmocka_unit_test(test_report_counts_characters_not_bytes),
		cmocka_unit_test(test_report_refuses_malformed_bodies),
		cmocka_unit_test(test_report_reads_only_its_length),
		cmocka_unit_test(test_report_refuses_invalid_content),
		cmocka_unit_test(test_report_refuses_too_many_items),
		cmocka_unit_test(test_report_refuses_deep_nesting),
		cmocka_unit_test(test_report_lists_every_field_at_fault),
	};

	xmalloc_init_cjson();
	return cmocka_run_group_tests(tests, setup, teardown);
}
