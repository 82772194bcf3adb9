/*
 * test_form.c -- unit tests for form.c (the pages' form body and session
 * cookie) and for the one mail address check, roster_email_ok, that the
 * roster and [smtp] from share.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "liaison.h"

#define SID "0123456789abcdef0123456789abcdef"

/* form_parse on a string; name gets the field at fault. */
static enum form_result
parse(const char *body, size_t len, char *name, size_t namelen)
{
	struct evkeyvalq form;
	enum form_result r;

	TAILQ_INIT(&form);
	r = form_parse(body, len, &form, name, namelen);
	evhttp_clear_headers(&form);
	return r;
}

static void
test_form_reads_a_form(void **state)
{
	struct evkeyvalq form;
	const char *body = "csrf=x&title=%E6%8B%9B%E5%B7%A5&detail=a+b";
	char name[64];

	(void)state;
	TAILQ_INIT(&form);
	assert_int_equal(form_parse(body, strlen(body), &form, name,
	    sizeof name), FORM_OK);
	assert_string_equal(evhttp_find_header(&form, "title"), "招工");
	assert_string_equal(evhttp_find_header(&form, "detail"), "a b");
	evhttp_clear_headers(&form);
}

static void
test_form_refuses_a_nul_naming_its_field(void **state)
{
	char name[64];
	const char raw[] = "title=a\0b";

	(void)state;
	assert_int_equal(parse("csrf=x&title=a%00b", 18, name, sizeof name),
	    FORM_NUL);
	assert_string_equal(name, "title");
	assert_int_equal(parse("csrf=x&ti%00tle=ab", 18, name, sizeof name),
	    FORM_NUL);
	/* a raw NUL byte inside the body's length */
	assert_int_equal(parse(raw, sizeof raw - 1, name, sizeof name),
	    FORM_NUL);
	/* a name longer than the room is cut, not overrun */
	assert_int_equal(parse("aaaaaaaaaaaaaaaaaaaa=%00", 24, name, 8),
	    FORM_NUL);
	assert_string_equal(name, "aaaaaaa");
}

static void
test_form_refuses_what_is_not_utf8(void **state)
{
	char name[64];

	(void)state;
	assert_int_equal(parse("title=%FF%FE", 12, name, sizeof name),
	    FORM_NOT_UTF8);
	assert_int_equal(parse("title=%e4%b8", 12, name, sizeof name),
	    FORM_NOT_UTF8);
}

static void
test_form_cookie_finds_the_session(void **state)
{
	char sid[33];

	(void)state;
	assert_true(form_cookie("theme=dark; liaison_session=" SID "; x=y",
	    "liaison_session", sid, 32));
	assert_string_equal(sid, SID);
	assert_true(form_cookie("liaison_session=" SID, "liaison_session",
	    sid, 32));
	assert_false(form_cookie(NULL, "liaison_session", sid, 32));
	assert_false(form_cookie("", "liaison_session", sid, 32));
	/* too long, too short, upper case, another cookie's tail */
	assert_false(form_cookie("liaison_session=" SID "ff",
	    "liaison_session", sid, 32));
	assert_false(form_cookie("liaison_session=0123", "liaison_session",
	    sid, 32));
	assert_false(form_cookie("liaison_session=0123456789ABCDEF0123456789"
	    "abcdef", "liaison_session", sid, 32));
	assert_false(form_cookie("old_liaison_session=" SID,
	    "liaison_session", sid, 32));
	assert_false(form_cookie(" ;;  ; ", "liaison_session", sid, 32));
}

static void
test_mail_address_check(void **state)
{
	(void)state;
	assert_true(roster_email_ok("liaisond@example.gov.cn"));
	assert_false(roster_email_ok("@example.gov.cn"));
	assert_false(roster_email_ok("liaisond@"));
	assert_false(roster_email_ok("nobody"));
	assert_false(roster_email_ok("a@b\r\nRCPT TO:<x@y>"));
	assert_false(roster_email_ok("a@b\x7f"));
	assert_false(roster_email_ok("\"Boss\" <boss@example.com>"));
	assert_false(roster_email_ok("a@b,c@d"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_reads_a_form),
		cmocka_unit_test(test_form_refuses_a_nul_naming_its_field),
		cmocka_unit_test(test_form_refuses_what_is_not_utf8),
		cmocka_unit_test(test_form_cookie_finds_the_session),
		cmocka_unit_test(test_mail_address_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
