/*
 * test_uscc.c -- unit tests for uscc.c: Unified Social Credit Codes.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "liaison.h"
#include "fixtures.h"

static void
test_uscc_accepts_the_standards_example(void **state)
{
	char expected = 'x';
	char check;

	assert_int_equal(uscc_check_char("91350100M000100Y4", &check), 0);
	assert_int_equal(check, '3');
	assert_int_equal(uscc_valid("91350100M000100Y43", &expected), 1);
	assert_int_equal(expected, '3');
	assert_int_equal(uscc_valid("91350100M000100Y43", NULL), 1);
}

static void
test_uscc_refuses_a_wrong_check_char_and_names_the_right_one(void **state)
{
	char expected;

	assert_int_equal(uscc_valid("91350100M000100Y44", &expected), 0);
	assert_int_equal(expected, '3');
	assert_int_equal(uscc_valid("91340800PN4Y1KAC6X", &expected), 0);
	assert_int_equal(expected, '3');
	/* A check position outside the charset is just wrong, too. */
	assert_int_equal(uscc_valid("91350100M000100Y4Z", &expected), 0);
	assert_int_equal(expected, '3');
}

static void
test_uscc_refuses_lower_case(void **state)
{
	char expected;

	assert_int_equal(uscc_valid("91350100m000100y43", &expected), 0);
	assert_int_equal(expected, '\0');
	assert_int_equal(uscc_valid("91340800PN4Y1KAc63", &expected), 0);
	assert_int_equal(expected, '\0');
}

static void
test_uscc_refuses_lengths_other_than_18(void **state)
{
	char expected;

	assert_int_equal(uscc_valid("91350100M000100Y4", &expected), 0);
	assert_int_equal(expected, '\0');
	assert_int_equal(uscc_valid("91350100M000100Y433", &expected), 0);
	assert_int_equal(expected, '\0');
	assert_int_equal(uscc_valid("", &expected), 0);
	assert_int_equal(expected, '\0');
	assert_int_equal(uscc_valid("9135", &expected), 0);
	assert_int_equal(expected, '\0');
}

static void
test_uscc_refuses_the_letters_i_o_s_v_z(void **state)
{
	const char *letters = "IOSVZ";
	char code[USCC_LEN + 1], check, expected;
	int i;

	for (i = 0; letters[i] != '\0'; i++) {
		memcpy(code, "91350100M000100Y43", sizeof code);
		code[9] = letters[i];
		assert_int_equal(uscc_check_char(code, &check), -1);
		assert_int_equal(uscc_valid(code, &expected), 0);
		assert_int_equal(expected, '\0');
	}
}

static void
test_uscc_check_char_refuses_short_input(void **state)
{
	char check;

	assert_int_equal(uscc_check_char("9135010", &check), -1);
}

static void
test_uscc_accepts_letter_authority_codes(void **state)
{
	/* A (另设), N (农业) and Y (其他): real authorities, first a letter. */
	assert_int_equal(uscc_valid("A1340800MA2N0001XK", NULL), 1);
	assert_int_equal(uscc_valid("N2340800MB1234567X", NULL), 1);
	assert_int_equal(uscc_valid("Y1340800MC9876543T", NULL), 1);
	assert_int_equal(uscc_valid("A1340800MA2N0001XJ", NULL), 0);
}

static void
test_uscc_accepts_every_enterprise_of_the_sample_roster(void **state)
{
	const cJSON *array, *e, *id;
	cJSON *root;
	char *text;
	int n = 0;

	text = fixture_read(ETC_DIR "/roster.json", NULL);
	root = cJSON_Parse(text);
	assert_non_null(root);
	array = cJSON_GetObjectItemCaseSensitive(root, "enterprises");
	cJSON_ArrayForEach(e, array) {
		id = cJSON_GetObjectItemCaseSensitive(e, "id");
		assert_true(cJSON_IsString(id));
		if (!uscc_valid(id->valuestring, NULL))
			fail_msg("%s does not verify", id->valuestring);
		n++;
	}
	assert_int_equal(n, 227);
	cJSON_Delete(root);
	free(text);
}

/*
 * Every byte is a code character exactly when GB 32100's charset holds
 * it, worth its place there: the first character weighs 1, so a code of
 * it and sixteen '0's has the check character of that value.
 */
static void
test_uscc_every_byte_has_its_charset_value(void **state)
{
	static const char charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	char code[USCC_LEN], check;
	const char *at;
	int c, v;

	(void)state;
	memset(code, '0', sizeof code);
	for (c = 1; c < 256; c++) {
		code[0] = (char)c;
		at = strchr(charset, c);
		if (at == NULL) {
			assert_int_equal(uscc_check_char(code, &check), -1);
			continue;
		}
		v = (int)(at - charset);
		assert_int_equal(uscc_check_char(code, &check), 0);
		assert_int_equal(check, charset[(31 - v % 31) % 31]);
	}
}

/*
 * uscc_pack's numbers order as the codes' texts do (the roster sorts and
 * looks up a million codes by them; equal numbers only for equal codes),
 * and what is not USCC_LEN characters of the charset is refused.
 */
static void
test_uscc_pack_orders_as_the_text(void **state)
{
	static const char charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	char a[USCC_LEN + 2], b[USCC_LEN + 1];
	uint64_t ha, hb;
	uint32_t la, lb;
	unsigned seed = 13;
	int i, k, want, got;

	(void)state;
	for (k = 0; k < 20000; k++) {
		for (i = 0; i < USCC_LEN; i++) {
			seed = seed * 1103515245 + 12345;
			a[i] = charset[(seed >> 16) % 31];
			/* Often the same prefix, to reach the low part. */
			b[i] = i < (int)(seed % (USCC_LEN + 1)) ? a[i] :
			    charset[(seed >> 8) % 31];
		}
		a[USCC_LEN] = b[USCC_LEN] = '\0';
		assert_int_equal(uscc_pack(a, &ha, &la), 0);
		assert_int_equal(uscc_pack(b, &hb, &lb), 0);
		want = strcmp(a, b);
		got = ha != hb ? (ha < hb ? -1 : 1) : la != lb ? (la < lb ? -1 : 1) : 0;
		assert_int_equal(want < 0 ? -1 : want > 0, got);
	}
	memcpy(a, "91340800MA2N0X0A3B", USCC_LEN + 1);
	assert_int_equal(uscc_pack(a, &ha, &la), 0);
	a[3] = 'a';              /* lower case */
	assert_int_equal(uscc_pack(a, &ha, &la), -1);
	a[3] = 'I';              /* not in the charset */
	assert_int_equal(uscc_pack(a, &ha, &la), -1);
	assert_int_equal(uscc_pack("91340800MA2N0X0A3", &ha, &la), -1);
	assert_int_equal(uscc_pack("91340800MA2N0X0A3BC", &ha, &la), -1);
	assert_int_equal(uscc_pack("", &ha, &la), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uscc_accepts_the_standards_example),
		cmocka_unit_test(test_uscc_refuses_a_wrong_check_char_and_names_the_right_one),
		cmocka_unit_test(test_uscc_refuses_lower_case),
		cmocka_unit_test(test_uscc_refuses_lengths_other_than_18),
		cmocka_unit_test(test_uscc_refuses_the_letters_i_o_s_v_z),
		cmocka_unit_test(test_uscc_check_char_refuses_short_input),
		cmocka_unit_test(test_uscc_accepts_letter_authority_codes),
		cmocka_unit_test(test_uscc_accepts_every_enterprise_of_the_sample_roster),
		cmocka_unit_test(test_uscc_every_byte_has_its_charset_value),
		cmocka_unit_test(test_uscc_pack_orders_as_the_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
