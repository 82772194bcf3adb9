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
_Static_assert(sizeof uscc_charset == 32, "31 characters");
static const int uscc_weights[USCC_LEN - 1] = {
	1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
};

/* 1 + the value of each code character (its place in uscc_charset); 0:
 * not one (I O S V Z, lower case, anything else). */
static const unsigned char uscc_values[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['A'] = 11, ['B'] = 12,
	['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16, ['G'] = 17,
	['H'] = 18, ['J'] = 19, ['K'] = 20, ['L'] = 21, ['M'] = 22,
	['N'] = 23, ['P'] = 24, ['Q'] = 25, ['R'] = 26, ['T'] = 27,
	['U'] = 28, ['W'] = 29, ['X'] = 30, ['Y'] = 31,
};

/*
 * Return the value (0..30) of a code character (its place in
 * uscc_charset, so values order as the characters do), or -1 if it has
 * none. No search: a province's roster checks seventeen million of them.
 */
static int
uscc_value(char c)
{
	return (int)uscc_values[(unsigned char)c] - 1;
}

#define USCC_HI_CHARS 12

/*
 * Pack code (USCC_LEN characters of the charset; the check character is
 * not verified) into *hi, its first 12 characters, and *lo, its last 6,
 * 5 bits a character: the numbers order as the texts do, and a million
 * codes sort and hash without strcmp. Return 0, or -1 when code is not
 * USCC_LEN characters of the charset.
 */
int
uscc_pack(const char *code, uint64_t *hi, uint32_t *lo)
{
	uint64_t h = 0;
	uint32_t l = 0;
	int i, v;

	for (i = 0; i < USCC_LEN; i++) {
		if ((v = uscc_value(code[i])) == -1)
			return -1;
		if (i < USCC_HI_CHARS)
			h = h << 5 | (uint64_t)v;
		else
			l = l << 5 | (uint32_t)v;
	}
	if (code[USCC_LEN] != '\0')
		return -1;
	*hi = h;
	*lo = l;
	return 0;
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
