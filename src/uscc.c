/*
 * uscc.c -- the Unified Social Credit Code (统一社会信用代码, GB 32100-2015):
 * 18 characters from 0-9 and A-Y without I, O, S, V and Z; the 18th is a
 * check character computed mod 31 over the first 17.
 *
 * Position 1 may be a letter (A, N and Y are real registration authorities),
 * so only the charset and the check character are verified here.
 */
#include "config.h"

#include <string.h>

#include "liaison.h"

static const char uscc_charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int uscc_weights[USCC_LEN - 1] = {
	1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
};

/* The values of the letters A..Z in uscc_charset; -1: not used (I O S V Z). */
static const signed char uscc_letters[26] = {
	10, 11, 12, 13, 14, 15, 16, 17, -1, 18, 19, 20, 21, 22, -1, 23,
	24, 25, -1, 26, 27, -1, 28, 29, 30, -1
};

/*
 * Return the value (0..30) of a code character (its place in
 * uscc_charset), or -1 if it has none. No search: a province's roster
 * checks seventeen million of them.
 */
static int
uscc_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return uscc_letters[c - 'A'];
	return -1;
}
/*
 * Compute the check character for the first 17 characters of code17 into
 * *check. Return 0, or -1 if one of them is outside the charset (lower case
 * included) or the string is shorter than 17.
 */
int
uscc_check_char(const char *code17, char *check)
{
	int i, v, sum = 0;

	for (i = 0; i < USCC_LEN - 1; i++) {
		if ((v = uscc_value(code17[i])) == -1)
			return -1;
		sum += v * uscc_weights[i];
	}
	*check = uscc_charset[(31 - sum % 31) % 31];
	return 0;
}

/*
 * Return 1 if code is a well-formed credit code whose check character
 * verifies, 0 otherwise. When expected is not NULL it receives the check
 * character the first 17 characters call for, or '\0' when the code is not
 * 18 characters long or they are not all in the charset: a caller may then
 * say "the check character should be X" exactly when that is the fault.
 */
int
uscc_valid(const char *code, char *expected)
{
	char check;

	if (expected != NULL)
		*expected = '\0';
	if (strlen(code) != USCC_LEN)
		return 0;
	if (uscc_check_char(code, &check) != 0)
		return 0;
	if (expected != NULL)
		*expected = check;
	return code[USCC_LEN - 1] == check;
}
