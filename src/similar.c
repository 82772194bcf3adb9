/*
 * similar.c -- the text similarity behind common issues (共性问题).
 *
 * Chinese is compared without word segmentation. A text is normalised
 * (full-width ASCII to ASCII, ASCII letters to lower case, punctuation,
 * symbols and white space dropped) and cut into tokens: one code point each,
 * except that a run of ASCII digits is one token, so that "15" and "16"
 * differ as wholes. The text's grams are the 32-bit FNV-1a hashes of each
 * pair of neighbouring tokens (the single token when there is only one),
 * sorted and without duplicates. Two gram sets score their Dice coefficient,
 * 2|A ∩ B| / (|A| + |B|): 1.0 for texts that differ only in punctuation,
 * 0.0 for texts with nothing in common. On tests/data/reports.json the
 * paraphrases of one problem score 0.35 or more and different problems of
 * the same topic 0.11 or less; the default threshold, 0.22, sits between.
 *
 * The window of open issues a new one is compared with is
 * similar_window.c's.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "liaison.h"

#define SIMILAR_NONE UINT32_MAX       /* pairs a lone token in its gram */
#define SIMILAR_DIGITS 0x80000000u    /* marks a digit-run token */
#define SIMILAR_FNV_OFFSET 2166136261u
#define SIMILAR_FNV_PRIME 16777619u


/* Fold the four bytes of v into the FNV-1a hash h. */
static uint32_t
similar_fnv_word(uint32_t h, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++) {
		h ^= (v >> (i * 8)) & 0xff;
		h *= SIMILAR_FNV_PRIME;
	}
	return h;
}

/*
 * Return the normalised form of code point c: full-width ASCII as ASCII,
 * the ideographic space as a space, ASCII letters in lower case.
 */
static uint32_t
similar_fold(uint32_t c)
{
	if (c >= 0xff01 && c <= 0xff5e)
		c -= 0xfee0;
	else if (c == 0x3000)
		c = ' ';
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	return c;
}

/*
 * Return 1 if the (folded) code point c is punctuation, a symbol, white
 * space, a control or a formatting character, which similarity ignores.
 */
static int
similar_ignored(uint32_t c)
{
	if (c < 0x80)
		return !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
	return (c <= 0xbf) ||                     /* C1, Latin-1 signs */
	    c == 0xd7 || c == 0xf7 ||             /* × ÷ */
	    c == 0x1680 ||                        /* Ogham space */
	    (c >= 0x2000 && c <= 0x206f) ||       /* general punctuation */
	    (c >= 0x20a0 && c <= 0x20cf) ||       /* currency */
	    (c >= 0x2190 && c <= 0x2bff) ||       /* arrows ... shapes */
	    (c >= 0x2e00 && c <= 0x2e7f) ||       /* supplemental punct. */
	    (c >= 0x3000 && c <= 0x303f) ||       /* CJK punctuation */
	    (c >= 0xfe00 && c <= 0xfe6f) ||       /* variation, vertical */
	    c == 0xfeff ||                        /* BOM */
	    (c >= 0xff00 && c <= 0xff65) ||       /* full-width punctuation */
	    (c >= 0xffe0 && c <= 0xffff) ||       /* full-width signs */
	    (c >= 0x1f000 && c <= 0x1faff);       /* emoji */
}

/* qsort comparison of two uint32_t. */
static int
similar_compare_gram(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/*
 * Cut utf8 into the grams of its normalised text, sorted and unique, into
 * out (see the top of the file). out->v is NULL when out->n is 0; the
 * caller frees out->v. NULL text has no grams.
 */
void
similar_grams(const char *utf8, struct similar_grams *out)
{
	const unsigned char *p, *end;
	uint32_t *token, c, digits = 0;
	size_t ntokens = 0, len, i, n;
	int in_digits = 0;

	out->v = NULL;
	out->n = 0;
	if (utf8 == NULL || *utf8 == '\0')
		return;
	len = strlen(utf8);
	token = xreallocarray(NULL, len + 1, sizeof *token);
	p = (const unsigned char *)utf8;
	end = p + len;
	while (p < end) {
		(void)utf8_next(&p, end, &c);	/* U+FFFD when malformed */
		c = similar_fold(c);
		if (c >= '0' && c <= '9') {
			if (!in_digits)
				digits = SIMILAR_FNV_OFFSET;
			digits = similar_fnv_word(digits, c);
			in_digits = 1;
			continue;
		}
		if (in_digits) {
			token[ntokens++] = SIMILAR_DIGITS | digits;
			in_digits = 0;
		}
		if (!similar_ignored(c))
			token[ntokens++] = c;
	}
	if (in_digits)
		token[ntokens++] = SIMILAR_DIGITS | digits;

	if (ntokens == 0) {
		free(token);
		return;
	}
	if (ntokens == 1) {
		token[0] = similar_fnv_word(similar_fnv_word(
		    SIMILAR_FNV_OFFSET, token[0]), SIMILAR_NONE);
		n = 1;
	} else {
		/* In place: gram i only needs tokens i and i + 1. */
		for (i = 0; i + 1 < ntokens; i++)
			token[i] = similar_fnv_word(similar_fnv_word(
			    SIMILAR_FNV_OFFSET, token[i]), token[i + 1]);
		n = ntokens - 1;
		qsort(token, n, sizeof *token, similar_compare_gram);
		for (i = 1, ntokens = 1; i < n; i++) {
			if (token[i] != token[ntokens - 1])
				token[ntokens++] = token[i];
		}
		n = ntokens;
	}
	out->v = xreallocarray(token, n, sizeof *token);
	out->n = n;
}

/*
 * Return the number of values two sorted, unique arrays have in common.
 * Without branches on the values: which side moves is as good as random,
 * and a mispredicted branch a step cost more than the step.
 */
static size_t
similar_common(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t i = 0, j = 0, n = 0;
	uint32_t x, y;

	while (i < na && j < nb) {
		x = a[i];
		y = b[j];
		n += x == y;
		i += x <= y;
		j += y <= x;
	}
	return n;
}

/* Return the Dice coefficient of two sorted, unique arrays; 0 if empty. */
static double
similar_dice(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	if (na + nb == 0)
		return 0.0;
	return 2.0 * similar_common(a, na, b, nb) / (double)(na + nb);
}

/*
 * Return the similarity of two gram sets, from 0.0 (nothing shared, or
 * either is empty) to 1.0 (the same set).
 */
double
similar_score(const struct similar_grams *a,
    const struct similar_grams *b)
{
	if (a->n == 0 || b->n == 0)
		return 0.0;
	return similar_dice(a->v, a->n, b->v, b->n);
}

/* Return the FNV-1a hash of a string (the window's index of issue ids). */
uint32_t
similar_hash_string(const char *s)
{
	uint32_t h = SIMILAR_FNV_OFFSET;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= SIMILAR_FNV_PRIME;
	}
	return h;
}
