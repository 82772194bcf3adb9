/*
 * test_roster.c -- unit tests for roster.c and roster_json.c: the sample
 * roster loads and its lookups work; each kind of bad roster is refused
 * with a message naming the entry at fault.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "liaison.h"
#include "fixtures.h"

/* The parts of a small valid roster; each test swaps one for a bad one. */
#define ZONE \
	"\"zone\": {\"name\": \"安庆经开区\", \"timezone\": \"Asia/Shanghai\"}"
#define LEADERS \
	"\"leaders\": [{\"name\": \"郑英子\", \"email\": \"l@example.gov.cn\"}]"
#define DEPARTMENTS \
	"\"departments\": [" \
	"{\"id\": \"hr\", \"name\": \"人社局\", \"emails\": [\"hr@x.cn\"]," \
	" \"webhook\": {\"url\": \"http://127.0.0.1:9099/hooks/hr\"," \
	" \"format\": \"standard\", \"secret\": \"whsec_aGVsbG8gd29ybGQ=\"}}," \
	"{\"id\": \"tax\", \"name\": \"税务\"}]"
#define TOPICS \
	"\"topics\": [" \
	"{\"id\": \"hiring\", \"name\": \"用工\", \"departments\": [\"hr\"]," \
	" \"keywords\": [\"招工\"]}," \
	"{\"id\": \"other\", \"name\": \"其他\", \"departments\": [\"tax\", \"hr\"]}]"
#define CODE_A "91350100M000100Y43"
#define CODE_B "91340800PN4Y1KAC63"
#define CODE_C "A1340800MA2N0001XK"
#define ENTERPRISES \
	"\"enterprises\": [" \
	"{\"id\": \"" CODE_B "\", \"name\": \"锦华\", \"kind\": \"enterprise\"," \
	" \"area\": \"刘纪社区\"}," \
	"{\"id\": \"" CODE_A "\", \"name\": \"样例\", \"kind\": \"social_org\"}," \
	"{\"id\": \"" CODE_C "\", \"name\": \"另设\", \"kind\": \"enterprise\"}]"
#define OFFICERS \
	"\"officers\": [" \
	"{\"id\": \"O002\", \"name\": \"乙\", \"level\": \"municipal\"," \
	" \"enterprises\": [\"" CODE_C "\"]}," \
	"{\"id\": \"O001\", \"name\": \"熊玉\", \"level\": \"zone\"," \
	" \"unit\": \"政务服务中心\", \"phone\": \"185\", \"email\": \"o@x.cn\"," \
	" \"enterprises\": [\"" CODE_A "\", \"" CODE_B "\"]}]"

#define ROSTER(zone, departments, topics, enterprises, officers) \
	"{" zone ", " LEADERS ", " departments ", " topics ", " enterprises \
	", " officers "}"

/*
 * Check text as "t.json" with roster_json.c alone, in check-only mode (as
 * liaisonctl's import does), its entries handed over as cJSON as the
 * stream would: a repeat of a streamed array dropped, every streamed
 * array left empty in the root. Return the roster, or NULL with *cause
 * set; *parsed is 0 when cJSON cannot read the text (nothing checked).
 */
static struct roster *
check_only(const char *text, int *parsed, char **cause)
{
	struct roster_json *rj;
	enum roster_array which;
	struct roster *r;
	cJSON *root, *item, *entry;
	int seen[2] = { 0, 0 };

	*cause = NULL;
	if ((root = cJSON_Parse(text)) == NULL) {
		*parsed = 0;
		return NULL;
	}
	*parsed = 1;
	rj = roster_json_begin("t.json");
	roster_json_check_only(rj);
	cJSON_ArrayForEach(item, root) {
		if (item->string == NULL || !cJSON_IsArray(item) ||
		    !roster_json_streamed(item->string, &which))
			continue;
		if (!seen[which == ROSTER_OFFICERS]++) {
			cJSON_ArrayForEach(entry, item)
				roster_json_entry(rj, which, entry);
		}
		while (item->child != NULL)
			cJSON_Delete(cJSON_DetachItemViaPointer(item,
			    item->child));
	}
	r = roster_json_end(rj, root, cause);
	cJSON_Delete(root);
	return r;
}

/*
 * Parse text as "t.json"; it must be refused with "t.json: " + expected,
 * and checked only (check_only) refused the same, unless the text itself
 * is at fault (yajl's rules, not roster_json.c's).
 */
static void
refuse(const char *text, const char *expected)
{
	struct roster *r;
	char *cause;
	int parsed;

	r = roster_load_text(text, strlen(text), "t.json", &cause);
	fixture_refused(r, cause, text, "t.json: %s", expected);
	if (strncmp(expected, "line ", 5) == 0)
		return;
	r = check_only(text, &parsed, &cause);
	if (parsed)
		fixture_refused(r, cause, text, "t.json: %s", expected);
}

static void
test_roster_loads_the_sample(void **state)
{
	const struct officer *o;
	const struct enterprise *e;
	const struct department *d;
	const struct topic *t;
	struct roster *r;
	char *cause;
	size_t i;

	r = roster_load(ETC_DIR "/roster.json", &cause);
	if (r == NULL)
		fail_msg("%s", cause);
	assert_int_equal(r->nofficers, 55);
	assert_int_equal(r->nenterprises, 227);
	assert_int_equal(r->ndepartments, 13);
	assert_int_equal(r->ntopics, 17);
	assert_int_equal(r->nleaders, 1);
	assert_string_equal(r->zone_name, "安庆经开区");
	assert_string_equal(r->timezone, "Asia/Shanghai");

	o = roster_officer(r, "O001");
	assert_non_null(o);
	assert_string_equal(o->name, "熊玉");
	assert_string_equal(o->level, "zone");
	assert_int_equal(o->nenterprises, 5);
	assert_string_equal(o->enterprises[0]->id, "91340800PN4Y1KAC63");
	assert_true(roster_officer_has(o, "91340800PN4Y1KAC63"));
	assert_true(roster_officer_has(o, "91340800PFK3NDHX59"));
	assert_null(roster_officer(r, "O999"));

	e = roster_enterprise(r, "91340800PN4Y1KAC63");
	assert_non_null(e);
	assert_string_equal(e->name, "安庆锦华食品有限公司");
	assert_string_equal(e->kind, "enterprise");
	assert_string_equal(e->area, "刘纪社区");
	assert_null(roster_enterprise(r, "91350100M000100Y43"));

	d = roster_department(r, "hr");
	assert_non_null(d);
	assert_string_equal(d->name, "人力资源和社会保障局");
	assert_string_equal(d->webhook_format, "standard");
	assert_int_equal(d->nemails, 1);
	assert_null(roster_department(r, "nope"));

	t = roster_topic(r, "party");
	assert_non_null(t);
	assert_int_equal(t->ndepartments, 1);
	assert_string_equal(t->departments[0]->id, "party");
	assert_int_equal(t->nkeywords, 6);
	assert_null(roster_topic(r, "nope"));

	for (i = 1; i < r->nofficers; i++)
		assert_true(strcmp(r->officers[i - 1].id, r->officers[i].id) < 0);
	for (i = 1; i < r->nenterprises; i++)
		assert_true(strcmp(r->enterprises[i - 1].id,
		    r->enterprises[i].id) < 0);
	roster_free(r);
}

static void
test_roster_parses_a_small_roster_and_sorts_it(void **state)
{
	static const char text[] = ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    ENTERPRISES, OFFICERS);
	const struct officer *o;
	const struct topic *t;
	struct roster *r;
	char *cause;

	r = roster_load_text(text, strlen(text), "t.json", &cause);
	if (r == NULL)
		fail_msg("%s", cause);
	assert_string_equal(r->officers[0].id, "O001");
	assert_string_equal(r->officers[1].id, "O002");
	assert_string_equal(r->departments[0].id, "hr");
	assert_string_equal(r->enterprises[0].id, CODE_B);

	o = roster_officer(r, "O001");
	assert_non_null(o);
	assert_true(roster_officer_has(o, CODE_A));
	assert_true(roster_officer_has(o, CODE_B));
	assert_false(roster_officer_has(o, CODE_C));
	assert_null(o->enterprises[0]->area);
	assert_string_equal(o->enterprises[0]->kind, "social_org");
	assert_ptr_equal(o->enterprises[1], roster_enterprise(r, CODE_B));

	t = roster_topic(r, "other");
	assert_int_equal(t->ndepartments, 2);
	assert_ptr_equal(t->departments[0], roster_department(r, "tax"));
	assert_int_equal(t->nkeywords, 0);

	assert_null(roster_department(r, "tax")->webhook_url);
	assert_string_equal(roster_department(r, "hr")->webhook_secret,
	    "whsec_aGVsbG8gd29ybGQ=");
	roster_free(r);
}

/*
 * Checked only, the same roster is accepted with the same counts, its
 * enterprises left in file order (not put in order for lookups).
 */
static void
test_roster_check_only_accepts_what_a_load_accepts(void **state)
{
	static const char text[] = ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": ["
	    "{\"id\": \"" CODE_C "\", \"name\": \"另设\", \"kind\": \"enterprise\"},"
	    "{\"id\": \"" CODE_A "\", \"name\": \"样例\", \"kind\": \"social_org\"},"
	    "{\"id\": \"" CODE_B "\", \"name\": \"锦华\", \"kind\": \"enterprise\"}]",
	    OFFICERS);
	struct roster *r;
	char *cause;
	int parsed;

	(void)state;
	r = roster_load_text(text, strlen(text), "t.json", &cause);
	if (r == NULL)
		fail_msg("%s", cause);
	assert_string_equal(r->enterprises[0].id, CODE_B);   /* in order */
	roster_free(r);
	r = check_only(text, &parsed, &cause);
	if (r == NULL)
		fail_msg("%s", cause);
	assert_int_equal(r->nenterprises, 3);
	assert_int_equal(r->nofficers, 2);
	assert_int_equal(r->ndepartments, 2);
	assert_int_equal(r->ntopics, 2);
	assert_int_equal(r->nleaders, 1);
	assert_string_equal(r->enterprises[0].id, CODE_C);
	assert_string_equal(r->enterprises[1].id, CODE_A);
	assert_string_equal(r->enterprises[2].id, CODE_B);
	roster_free(r);
}

static void
test_roster_refuses_a_missing_file(void **state)
{
	struct roster *r;
	char *cause;

	r = roster_load("/nonexistent/roster.json", &cause);
	assert_null(r);
	assert_string_equal(cause,
	    "/nonexistent/roster.json: No such file or directory");
	free(cause);
}

static void
test_roster_refuses_an_officer_with_an_unknown_enterprise(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [{\"id\": \"O001\", \"name\": \"a\", \"level\": "
	    "\"zone\", \"enterprises\": [\"" CODE_A "\", "
	    "\"91340800PDQ8KC4361\"]}]"),
	    "officers[0] \"O001\": enterprises[1] \"91340800PDQ8KC4361\": "
	    "no such enterprise");
}

static void
test_roster_refuses_an_officer_listing_an_enterprise_twice(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [{\"id\": \"O001\", \"name\": \"a\", \"level\": "
	    "\"zone\", \"enterprises\": [\"" CODE_A "\", \"" CODE_B "\", \""
	    CODE_A "\"]}]"),
	    "officers[0] \"O001\": enterprises[2] \"" CODE_A "\": listed twice");
}

static void
test_roster_refuses_a_topic_with_an_unknown_department(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS,
	    "\"topics\": [{\"id\": \"hiring\", \"name\": \"a\", "
	    "\"departments\": [\"hr\", \"labour\"]}]",
	    ENTERPRISES, OFFICERS),
	    "topics[0] \"hiring\": departments[1] \"labour\": "
	    "no such department");
}

static void
test_roster_refuses_a_topic_without_departments(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS,
	    "\"topics\": [{\"id\": \"hiring\", \"name\": \"a\", "
	    "\"departments\": []}]",
	    ENTERPRISES, OFFICERS),
	    "topics[0] \"hiring\": departments: must name at least one "
	    "department");
}

static void
test_roster_refuses_duplicate_department_id(void **state)
{
	refuse(ROSTER(ZONE,
	    "\"departments\": [{\"id\": \"hr\", \"name\": \"a\"}, "
	    "{\"id\": \"tax\", \"name\": \"b\"}, {\"id\": \"hr\", \"name\": "
	    "\"c\"}]",
	    TOPICS, ENTERPRISES, OFFICERS),
	    "departments[2] \"hr\": duplicate id (also departments[0])");
}

static void
test_roster_refuses_duplicate_topic_id(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS,
	    "\"topics\": [{\"id\": \"t\", \"name\": \"a\", \"departments\": "
	    "[\"hr\"]}, {\"id\": \"t\", \"name\": \"b\", \"departments\": "
	    "[\"tax\"]}]",
	    ENTERPRISES, OFFICERS),
	    "topics[1] \"t\": duplicate id (also topics[0])");
}

static void
test_roster_refuses_duplicate_officer_id(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [{\"id\": \"O001\", \"name\": \"a\", \"level\": "
	    "\"zone\", \"enterprises\": []}, {\"id\": \"O002\", \"name\": "
	    "\"b\", \"level\": \"zone\", \"enterprises\": []}, {\"id\": "
	    "\"O001\", \"name\": \"c\", \"level\": \"zone\", \"enterprises\": "
	    "[]}]"),
	    "officers[2] \"O001\": duplicate id (also officers[0])");
}

static void
test_roster_refuses_duplicate_enterprise_id(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"id\": \"" CODE_A "\", \"name\": \"a\", "
	    "\"kind\": \"enterprise\"}, {\"id\": \"" CODE_A "\", \"name\": "
	    "\"b\", \"kind\": \"enterprise\"}]",
	    OFFICERS),
	    "enterprises[1] \"" CODE_A "\": duplicate id (also enterprises[0])");
}

/*
 * Of several codes given twice, the one first in code order is told, at
 * its first two places in the file (CODE_B orders before CODE_A): the
 * rule the sort gave, kept by the hash that finds repeats now.
 */
static void
test_roster_refuses_duplicate_enterprise_ids_naming_the_first_code(
    void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"id\": \"" CODE_A "\", \"name\": \"a\", "
	    "\"kind\": \"enterprise\"}, {\"id\": \"" CODE_B "\", \"name\": "
	    "\"b\", \"kind\": \"enterprise\"}, {\"id\": \"" CODE_A "\", "
	    "\"name\": \"c\", \"kind\": \"enterprise\"}, {\"id\": \"" CODE_B
	    "\", \"name\": \"d\", \"kind\": \"enterprise\"}, {\"id\": \""
	    CODE_B "\", \"name\": \"e\", \"kind\": \"enterprise\"}]",
	    OFFICERS),
	    "enterprises[3] \"" CODE_B "\": duplicate id (also enterprises[1])");
}

static void
test_roster_refuses_a_bad_check_character_naming_the_right_one(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"id\": \"" CODE_A "\", \"name\": \"a\", "
	    "\"kind\": \"enterprise\"}, {\"id\": \"91340800PN4Y1KAC61\", "
	    "\"name\": \"b\", \"kind\": \"enterprise\"}]",
	    OFFICERS),
	    "enterprises[1] \"91340800PN4Y1KAC61\": bad check character, "
	    "expected 3");
}

static void
test_roster_refuses_a_code_outside_the_charset(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"id\": \"91340800pn4y1kac63\", \"name\": "
	    "\"a\", \"kind\": \"enterprise\"}]",
	    OFFICERS),
	    "enterprises[0] \"91340800pn4y1kac63\": id: a credit code uses "
	    "only 0-9 and A-Y without I, O, S, V, Z (upper case)");
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"id\": \"9134080\", \"name\": \"a\", "
	    "\"kind\": \"enterprise\"}]",
	    OFFICERS),
	    "enterprises[0] \"9134080\": id: a credit code has 18 characters, "
	    "not 7");
}

static void
test_roster_refuses_an_unknown_timezone(void **state)
{
	refuse(ROSTER("\"zone\": {\"name\": \"z\", \"timezone\": "
	    "\"Asia/Nowhere\"}", DEPARTMENTS, TOPICS, ENTERPRISES, OFFICERS),
	    "zone: timezone \"Asia/Nowhere\": no such zone in "
	    "/usr/share/zoneinfo");
	refuse(ROSTER("\"zone\": {\"name\": \"z\", \"timezone\": "
	    "\"../../../etc/passwd\"}", DEPARTMENTS, TOPICS, ENTERPRISES,
	    OFFICERS),
	    "zone: timezone \"../../../etc/passwd\": no such zone in "
	    "/usr/share/zoneinfo");
	refuse(ROSTER("\"zone\": {\"name\": \"z\", \"timezone\": "
	    "\"/usr/share/zoneinfo/Asia/Shanghai\"}", DEPARTMENTS, TOPICS,
	    ENTERPRISES, OFFICERS),
	    "zone: timezone \"/usr/share/zoneinfo/Asia/Shanghai\": no such "
	    "zone in /usr/share/zoneinfo");
	refuse(ROSTER("\"zone\": {\"name\": \"z\", \"timezone\": "
	    "\"zone.tab\"}", DEPARTMENTS, TOPICS, ENTERPRISES, OFFICERS),
	    "zone: timezone \"zone.tab\": no such zone in /usr/share/zoneinfo");
}

static void
test_roster_refuses_a_missing_field(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [{\"id\": \"O001\", \"name\": \"a\", "
	    "\"enterprises\": []}]"),
	    "officers[0] \"O001\": missing field \"level\"");
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"name\": \"a\", \"kind\": \"enterprise\"}]",
	    OFFICERS),
	    "enterprises[0]: missing field \"id\"");
	refuse("{" ZONE ", " DEPARTMENTS ", " TOPICS ", " ENTERPRISES "}",
	    "roster: missing field \"officers\"");
}

static void
test_roster_refuses_a_wrong_type(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"id\": \"" CODE_A "\", \"name\": 5, "
	    "\"kind\": \"enterprise\"}]",
	    OFFICERS),
	    "enterprises[0] \"" CODE_A "\": name: expected a string");
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [{\"id\": \"O001\", \"name\": \"a\", \"level\": "
	    "\"zone\", \"enterprises\": \"" CODE_A "\"}]"),
	    "officers[0] \"O001\": enterprises: expected an array");
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [{\"id\": \"O001\", \"name\": \"a\", \"level\": "
	    "\"zone\", \"enterprises\": [7]}]"),
	    "officers[0] \"O001\": enterprises[0]: expected a string");
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [\"O001\"]"),
	    "officers[0]: expected an object");
}

static void
test_roster_refuses_an_unknown_field(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [{\"id\": \"O001\", \"nmae\": \"a\", \"level\": "
	    "\"zone\", \"enterprises\": []}]"),
	    "officers[0] \"O001\": unknown field \"nmae\"");
}

static void
test_roster_refuses_a_field_given_twice(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [{\"id\": \"O001\", \"name\": \"a\", \"level\": "
	    "\"zone\", \"name\": \"b\", \"enterprises\": []}]"),
	    "officers[0] \"O001\": field \"name\" given twice");
}

static void
test_roster_names_the_first_bad_field_in_file_order(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [{\"id\": \"O001\", \"name\": \"a\", \"nmae\": "
	    "\"b\", \"name\": \"c\", \"level\": \"zone\", \"enterprises\": "
	    "[]}]"),
	    "officers[0] \"O001\": unknown field \"nmae\"");
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [{\"id\": \"O001\", \"name\": \"a\", \"name\": "
	    "\"b\", \"nmae\": \"c\", \"level\": \"zone\", \"enterprises\": "
	    "[]}]"),
	    "officers[0] \"O001\": field \"name\" given twice");
}

static void
test_roster_refuses_a_bad_webhook_format(void **state)
{
	refuse(ROSTER(ZONE,
	    "\"departments\": [{\"id\": \"hr\", \"name\": \"a\", \"webhook\": "
	    "{\"url\": \"https://x/\", \"format\": \"slack\"}}, "
	    "{\"id\": \"tax\", \"name\": \"b\"}]",
	    TOPICS, ENTERPRISES, OFFICERS),
	    "departments[0] \"hr\": webhook: format \"slack\": must be "
	    "standard, wecom, dingtalk or feishu");
}

static void
test_roster_refuses_a_standard_webhook_without_a_good_secret(void **state)
{
	refuse(ROSTER(ZONE,
	    "\"departments\": [{\"id\": \"hr\", \"name\": \"a\", \"webhook\": "
	    "{\"url\": \"https://x/\", \"format\": \"standard\"}}, "
	    "{\"id\": \"tax\", \"name\": \"b\"}]",
	    TOPICS, ENTERPRISES, OFFICERS),
	    "departments[0] \"hr\": webhook: missing field \"secret\"");
	refuse(ROSTER(ZONE,
	    "\"departments\": [{\"id\": \"hr\", \"name\": \"a\"}, "
	    "{\"id\": \"tax\", \"name\": \"b\", \"webhook\": "
	    "{\"url\": \"https://x/\", \"format\": \"standard\", "
	    "\"secret\": \"aGVsbG8=\"}}]",
	    TOPICS, ENTERPRISES, OFFICERS),
	    "departments[1] \"tax\": webhook: secret: must be \"whsec_\" and "
	    "base64");
	refuse(ROSTER(ZONE,
	    "\"departments\": [{\"id\": \"hr\", \"name\": \"a\"}, "
	    "{\"id\": \"tax\", \"name\": \"b\", \"webhook\": "
	    "{\"url\": \"https://x/\", \"format\": \"standard\", "
	    "\"secret\": \"whsec_not base64!\"}}]",
	    TOPICS, ENTERPRISES, OFFICERS),
	    "departments[1] \"tax\": webhook: secret: must be \"whsec_\" and "
	    "base64");
}

static void
test_roster_accepts_a_robot_webhook_without_a_secret(void **state)
{
	static const char text[] = ROSTER(ZONE,
	    "\"departments\": [{\"id\": \"hr\", \"name\": \"a\", \"webhook\": "
	    "{\"url\": \"https://qyapi.weixin.qq.com/x\", \"format\": "
	    "\"wecom\"}}, {\"id\": \"tax\", \"name\": \"b\"}]",
	    TOPICS, ENTERPRISES, OFFICERS);
	struct roster *r;
	char *cause;

	r = roster_load_text(text, strlen(text), "t.json", &cause);
	if (r == NULL)
		fail_msg("%s", cause);
	assert_string_equal(roster_department(r, "hr")->webhook_format,
	    "wecom");
	assert_null(roster_department(r, "hr")->webhook_secret);
	roster_free(r);
}

static void
test_roster_refuses_a_bad_level_and_kind(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [{\"id\": \"O001\", \"name\": \"a\", \"level\": "
	    "\"county\", \"enterprises\": []}]"),
	    "officers[0] \"O001\": level \"county\": must be zone, municipal "
	    "or provincial");
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"id\": \"" CODE_A "\", \"name\": \"a\", "
	    "\"kind\": \"company\"}]",
	    OFFICERS),
	    "enterprises[0] \"" CODE_A "\": kind \"company\": must be "
	    "enterprise or social_org");
}

static void
test_roster_refuses_invalid_utf8(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"id\": \"" CODE_A "\", \"name\": \"a\", "
	    "\"kind\": \"enterprise\"}, {\"id\": \"" CODE_B "\", \"name\": "
	    "\"\xe5\xae\", \"kind\": \"enterprise\"}]",
	    OFFICERS),
	    "enterprises[1] \"" CODE_B "\": name: invalid UTF-8");
	refuse(ROSTER(ZONE, DEPARTMENTS,
	    "\"topics\": [{\"id\": \"hiring\", \"name\": \"a\", "
	    "\"departments\": [\"hr\"], \"keywords\": [\"ok\", \"\xed\xa0\x80\"]}]",
	    ENTERPRISES, OFFICERS),
	    "topics[0] \"hiring\": keywords[1]: invalid UTF-8");
}

static void
test_roster_refuses_a_nul_escape(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"id\": \"" CODE_A "\", \"name\": "
	    "\"a\\u0000b\", \"kind\": \"enterprise\"}]",
	    OFFICERS),
	    "line 1: \\u0000 is not allowed in a string");
}

static void
test_roster_names_the_line_of_a_nul_escape(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"id\": \"" CODE_A "\",\n\"name\": "
	    "\"a\",\n\"area\": \"b\\u0000\", \"kind\": \"enterprise\"}]",
	    OFFICERS),
	    "line 3: \\u0000 is not allowed in a string");
}

static void
test_roster_accepts_an_escaped_backslash_before_u0000(void **state)
{
	static const char text[] = ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"id\": \"" CODE_A "\", \"name\": "
	    "\"a\\\\u0000b\", \"kind\": \"enterprise\"}]",
	    "\"officers\": []");
	struct roster *r;
	char *cause;

	r = roster_load_text(text, strlen(text), "t.json", &cause);
	if (r == NULL)
		fail_msg("%s", cause);
	assert_string_equal(r->enterprises[0].name, "a\\u0000b");
	roster_free(r);
}

static void
test_roster_refuses_text_that_is_not_json(void **state)
{
	refuse("{\n\"zone\": {\n]", "line 3: not valid JSON");
	refuse("[]", "expected a JSON object");
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES, OFFICERS) "\n{}",
	    "line 2: junk after the JSON document");
}

static void
test_roster_refuses_a_bad_id(void **state)
{
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [{\"id\": \"O 1\", \"name\": \"a\", \"level\": "
	    "\"zone\", \"enterprises\": []}]"),
	    "officers[0] \"O 1\": id: use 1 to 64 letters, digits, '_', '-' "
	    "or '.'");
}

static void
test_roster_reads_officers_before_enterprises(void **state)
{
	static const char text[] = "{" ZONE ", " LEADERS ", " DEPARTMENTS ", "
	    TOPICS ", " OFFICERS ", " ENTERPRISES "}";
	const struct officer *o;
	struct roster *r;
	char *cause;

	r = roster_load_text(text, strlen(text), "t.json", &cause);
	if (r == NULL)
		fail_msg("%s", cause);
	assert_int_equal(r->nenterprises, 3);
	assert_non_null(o = roster_officer(r, "O001"));
	assert_int_equal(o->nenterprises, 2);
	assert_string_equal(o->enterprises[0]->id, CODE_A);
	assert_string_equal(o->enterprises[1]->id, CODE_B);
	assert_ptr_equal(o->enterprises[1], roster_enterprise(r, CODE_B));
	roster_free(r);
}

/* The checks' order decides which problem is told, not the file's. */
static void
test_roster_tells_the_first_problem_in_the_checks_order(void **state)
{
	/* A bad officer and a bad enterprise, then a bad zone. */
	refuse("{\"officers\": [{\"id\": \"O1\", \"name\": \"a\", \"level\": "
	    "\"x\", \"enterprises\": []}], \"enterprises\": [{\"id\": \""
	    CODE_A "\", \"name\": \"\", \"kind\": \"enterprise\"}], "
	    LEADERS ", " DEPARTMENTS ", " TOPICS ", "
	    "\"zone\": {\"name\": \"z\", \"timezone\": \"Nowhere/City\"}}",
	    "zone: timezone \"Nowhere/City\": no such zone in "
	    "/usr/share/zoneinfo");
	/* The enterprise's problem before the officer's. */
	refuse("{" ZONE ", " LEADERS ", " DEPARTMENTS ", " TOPICS ", "
	    "\"officers\": [{\"id\": \"O1\", \"name\": \"a\", \"level\": "
	    "\"x\", \"enterprises\": []}], \"enterprises\": [{\"id\": \""
	    CODE_A "\", \"name\": \"\", \"kind\": \"enterprise\"}]}",
	    "enterprises[0] \"" CODE_A "\": name: must not be empty");
	/* An earlier officer's unknown enterprise before a later bad field. */
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [{\"id\": \"O1\", \"name\": \"a\", \"level\": "
	    "\"zone\", \"enterprises\": [\"" CODE_A "\", 7]}, {\"id\": \"O2\", "
	    "\"name\": \"b\", \"level\": \"x\", \"enterprises\": []}]"),
	    "officers[0] \"O1\": enterprises[1]: expected a string");
	refuse(ROSTER(ZONE, DEPARTMENTS, TOPICS, ENTERPRISES,
	    "\"officers\": [{\"id\": \"O1\", \"name\": \"a\", \"level\": "
	    "\"zone\", \"enterprises\": []}, {\"id\": \"O2\", \"name\": \"b\", "
	    "\"level\": \"x\", \"enterprises\": [\"nope\"]}]"),
	    "officers[1] \"O2\": level \"x\": must be zone, municipal or "
	    "provincial");
}

static void
test_roster_refuses_a_streamed_array_given_twice(void **state)
{
	refuse("{" ZONE ", " LEADERS ", " DEPARTMENTS ", " TOPICS ", "
	    ENTERPRISES ", " OFFICERS ", " ENTERPRISES "}",
	    "roster: field \"enterprises\" given twice");
}

static void
test_roster_refuses_nesting_deeper_than_cjson_reads(void **state)
{
	char text[4096];
	size_t i, n = 0;

	n += (size_t)snprintf(text, sizeof text, "{\"zone\": ");
	for (i = 0; i < 1001; i++)
		text[n++] = '[';
	text[n] = '\0';
	refuse(text, "line 1: not valid JSON");
}

/* A file is read in pieces: lines are counted across them. */
static void
test_roster_names_the_line_in_a_large_file(void **state)
{
	char path[] = "/tmp/test_roster.XXXXXX", *cause = NULL, *want;
	struct roster *r;
	size_t i;
	FILE *f;
	int fd;

	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	fputs("{" ZONE ", " LEADERS ", " DEPARTMENTS ", " TOPICS ", "
	    "\"enterprises\": [", f);
	for (i = 0; i < 300000; i++)
		fputs("\n", f);
	fputs("{\"id\": \"" CODE_A "\", \"name\": \"a\\u0000\"}]}\n", f);
	fclose(f);
	r = roster_load(path, &cause);
	assert_null(r);
	xasprintf(&want, "%s: line 300001: \\u0000 is not allowed in a string",
	    path);
	assert_string_equal(cause, want);
	free(cause);
	free(want);
	unlink(path);
}

/* Write text to a new temporary file; its name into path (room for the
 * template). */
static void
write_temp(char *path, const char *text)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/test_roster.XXXXXX");
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	fputs(text, f);
	fclose(f);
}

/*
 * roster_load_rest (liaisonctl import's --base): the enterprises' and
 * officers' entries are read as JSON and passed over, unchecked (the
 * sheets replace them); the rest is handed over, checked.
 */
static void
test_roster_load_rest_passes_the_entries_over(void **state)
{
	char path[] = "/tmp/test_roster.XXXXXX", *cause = NULL;
	struct roster *r;
	cJSON *rest = NULL;

	(void)state;
	write_temp(path, ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"id\": \"91340800PN4Y1KAC61\", \"x\": "
	    "[1, {\"y\": null}], \"name\": true}, 7]",
	    "\"officers\": [{\"id\": \"O001\", \"enterprises\": [\"nope\"]}]"));
	r = roster_load_rest(path, &rest, &cause);
	assert_null(cause);
	assert_non_null(r);
	assert_int_equal(r->nenterprises, 0);
	assert_int_equal(r->nofficers, 0);
	assert_int_equal(r->ndepartments, 2);
	assert_non_null(cJSON_GetObjectItem(rest, "topics"));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(rest,
	    "enterprises")), 0);
	roster_free(r);
	cJSON_Delete(rest);
	/* Read whole, the same file is refused for its enterprise. */
	assert_null(roster_load(path, &cause));
	assert_non_null(strstr(cause, "enterprises[0]"));
	free(cause);
	unlink(path);
}

/* text read by roster_load_rest must be refused with "PATH: " + expected. */
static void
refuse_rest(const char *text, const char *expected)
{
	char path[] = "/tmp/test_roster.XXXXXX", *cause = NULL, *want;
	cJSON *rest = NULL;

	write_temp(path, text);
	assert_null(roster_load_rest(path, &rest, &cause));
	assert_null(rest);
	xasprintf(&want, "%s: %s", path, expected);
	assert_string_equal(cause, want);
	free(cause);
	free(want);
	unlink(path);
}

/* What is passed over is still JSON, and the rest still checked. */
static void
test_roster_load_rest_refuses_bad_text_and_a_bad_rest(void **state)
{
	(void)state;
	refuse_rest(ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"id\": \"" CODE_A "\", \"name\": "
	    "\"a\\u0000\"}]", OFFICERS),
	    "line 1: \\u0000 is not allowed in a string");
	refuse_rest(ROSTER(ZONE, DEPARTMENTS, TOPICS,
	    "\"enterprises\": [{\"id\": 1,]", OFFICERS),
	    "line 1: not valid JSON");
	refuse_rest(ROSTER(ZONE, DEPARTMENTS,
	    "\"topics\": [{\"id\": \"hiring\", \"name\": \"a\", "
	    "\"departments\": [\"hr\", \"labour\"]}]", ENTERPRISES,
	    OFFICERS),
	    "topics[0] \"hiring\": departments[1] \"labour\": "
	    "no such department");
	refuse_rest("{" ZONE ", " LEADERS ", " DEPARTMENTS ", " TOPICS ", "
	    OFFICERS "}", "roster: missing field \"enterprises\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roster_loads_the_sample),
		cmocka_unit_test(test_roster_parses_a_small_roster_and_sorts_it),
		cmocka_unit_test(test_roster_check_only_accepts_what_a_load_accepts),
		cmocka_unit_test(test_roster_refuses_a_missing_file),
		cmocka_unit_test(test_roster_load_rest_passes_the_entries_over),
		cmocka_unit_test(test_roster_load_rest_refuses_bad_text_and_a_bad_rest),
		cmocka_unit_test(test_roster_refuses_an_officer_with_an_unknown_enterprise),
		cmocka_unit_test(test_roster_refuses_an_officer_listing_an_enterprise_twice),
		cmocka_unit_test(test_roster_refuses_a_topic_with_an_unknown_department),
		cmocka_unit_test(test_roster_refuses_a_topic_without_departments),
		cmocka_unit_test(test_roster_refuses_duplicate_department_id),
		cmocka_unit_test(test_roster_refuses_duplicate_topic_id),
		cmocka_unit_test(test_roster_refuses_duplicate_officer_id),
		cmocka_unit_test(test_roster_refuses_duplicate_enterprise_id),
		cmocka_unit_test(
		    test_roster_refuses_duplicate_enterprise_ids_naming_the_first_code),
		cmocka_unit_test(test_roster_refuses_a_bad_check_character_naming_the_right_one),
		cmocka_unit_test(test_roster_refuses_a_code_outside_the_charset),
		cmocka_unit_test(test_roster_refuses_an_unknown_timezone),
		cmocka_unit_test(test_roster_refuses_a_missing_field),
		cmocka_unit_test(test_roster_refuses_a_wrong_type),
		cmocka_unit_test(test_roster_refuses_an_unknown_field),
		cmocka_unit_test(test_roster_refuses_a_field_given_twice),
		cmocka_unit_test(test_roster_names_the_first_bad_field_in_file_order),
		cmocka_unit_test(test_roster_refuses_a_bad_webhook_format),
		cmocka_unit_test(test_roster_refuses_a_standard_webhook_without_a_good_secret),
		cmocka_unit_test(test_roster_accepts_a_robot_webhook_without_a_secret),
		cmocka_unit_test(test_roster_refuses_a_bad_level_and_kind),
		cmocka_unit_test(test_roster_refuses_invalid_utf8),
		cmocka_unit_test(test_roster_refuses_a_nul_escape),
		cmocka_unit_test(test_roster_names_the_line_of_a_nul_escape),
		cmocka_unit_test(test_roster_accepts_an_escaped_backslash_before_u0000),
		cmocka_unit_test(test_roster_refuses_text_that_is_not_json),
		cmocka_unit_test(test_roster_refuses_a_bad_id),
		cmocka_unit_test(test_roster_reads_officers_before_enterprises),
		cmocka_unit_test(test_roster_tells_the_first_problem_in_the_checks_order),
		cmocka_unit_test(test_roster_refuses_a_streamed_array_given_twice),
		cmocka_unit_test(test_roster_refuses_nesting_deeper_than_cjson_reads),
		cmocka_unit_test(test_roster_names_the_line_in_a_large_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
