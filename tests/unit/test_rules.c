/*
 * test_rules.c -- the categories (rules.c) and what they are called.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "liaison.h"

static void
test_rules_categories_are_named_weakest_first(void **state)
{
	(void)state;
	assert_string_equal(issue_categories[CATEGORY_INDIVIDUAL],
	    "individual");
	assert_string_equal(issue_categories[CATEGORY_COMMON], "common");
	assert_string_equal(issue_categories[CATEGORY_DIFFICULT], "difficult");
	assert_null(issue_categories[CATEGORY_COUNT]);
	assert_int_equal(rules_category("difficult"), CATEGORY_DIFFICULT);
	assert_int_equal(rules_category("individual"), CATEGORY_INDIVIDUAL);
	assert_int_equal(rules_category("x"), -1);
	assert_int_equal(rules_category("Common"), -1);
	assert_int_equal(rules_category(NULL), -1);
}

static void
test_rules_categories_have_short_and_long_chinese_names(void **state)
{
	(void)state;
	assert_string_equal(rules_category_label("individual"), "个性");
	assert_string_equal(rules_category_label("common"), "共性");
	assert_string_equal(rules_category_label("difficult"), "疑难");
	assert_string_equal(rules_category_label("other"), "other");
	assert_string_equal(rules_category_title("individual"), "个性问题");
	assert_string_equal(rules_category_title("common"), "共性问题");
	assert_string_equal(rules_category_title("difficult"), "疑难问题");
	assert_null(rules_category_title("other"));
	assert_null(rules_category_title(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_categories_are_named_weakest_first),
		cmocka_unit_test(
		    test_rules_categories_have_short_and_long_chinese_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
