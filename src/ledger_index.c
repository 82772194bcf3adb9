/*
 * ledger_index.c -- a page of a held ledger's issues (GET /api/v1/ledger,
 * /ledger) in O(limit · log n), whatever its offset and filter. The public
 * ledger needs no token: walking the period's 10^5 issues to find the
 * ones that pass a filter, or to skip to an offset, cost the event loop
 * (and the claims waiting on it) a millisecond or more per request, and
 * the memo (ledger_memo.c) keeps only a few queries, so an outsider who
 * varied the offset or the filter by one each request made every request
 * a walk of the period.
 *
 * Unfiltered, a page is a slice of the issues (they are kept in the
 * answer's order). For each filter (category, department, state, or a
 * combination) actually asked, a bit per issue says whether it passes
 * (ledger_issue_matches, the one rule), with the count of set bits per
 * 64-issue word in a Fenwick tree: the k-th passing issue is found in
 * O(log n), the count is kept. An index is built once, by a walk of the
 * period, when its filter is first asked of a held copy, and kept up to
 * date by ledger_patch.c (an issue changed flips its bits in the indexes
 * of the filters it passes before or after: a few, not all), so a
 * catch-up costs the changed issues here too. When the issues move
 * (an issue gone, or a new one put before the newest: one changed again
 * after it was filed comes later in the change index) the bits move with
 * them (ledger_index_move).
 *
 * Why not a cap on the offset: a reader must reach every row, and a
 * filter still walked the period. Why bits and not lists of positions: a
 * claim moves an issue between two state filters, in the middle; a bit
 * flips in O(log n) where a sorted list moves half its length. Memory:
 * n/8 + n/16 bytes an index (19 KB at 10^5 issues), at most one per
 * combination of the filter's values that anyone asked.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison.h"

/* The filter's values in a key: category, department, state ("" any). */
#define LEDGER_INDEX_KEY 256

/* One filter's issues: a bit per position in l->issues. */
struct ledger_index_one {
	char *key;
	uint64_t *words;
	uint32_t *tree;          /* Fenwick over the words' counts, 1-based */
	size_t count;            /* issues that pass */
};

struct ledger_index {
	struct ledger_index_one **table;     /* by key hash; NULL: empty */
	size_t cap, n;                       /* cap: a power of two */
	size_t nwords;                       /* every index's: a power of two */
};

/* Issues examined by the pages and their indexes (/metrics, tests). */
static size_t ledger_index_examined;

size_t
ledger_rows_examined(void)
{
	return ledger_index_examined;
}

/* Count n issues examined (ledger.c's walks). */
void
ledger_rows_examine(size_t n)
{
	ledger_index_examined += n;
}

/* Does f restrict anything (else a page is a slice)? */
static int
ledger_index_filters(const struct ledger_filter *f)
{
	return f != NULL && (f->category != NULL || f->department != NULL ||
	    f->state != NULL);
}

static void
ledger_index_key(char buf[LEDGER_INDEX_KEY], const char *category,
    const char *department, const char *state)
{
	snprintf(buf, LEDGER_INDEX_KEY, "%s\x1f%s\x1f%s",
	    category != NULL ? category : "",
	    department != NULL ? department : "", state != NULL ? state : "");
}

/* The index of key, or NULL; *slot: where it is or would go. */
static struct ledger_index_one *
ledger_index_find(const struct ledger_index *s, const char *key, size_t *slot)
{
	size_t i = util_hash(key) & (s->cap - 1);

	while (s->table[i] != NULL && strcmp(s->table[i]->key, key) != 0)
		i = (i + 1) & (s->cap - 1);
	*slot = i;
	return s->table[i];
}

/* Build x's tree from its words, in O(words). */
static void
ledger_index_tree(struct ledger_index_one *x, size_t nwords)
{
	size_t i, j;

	for (i = 1; i <= nwords; i++)
		x->tree[i] = (uint32_t)__builtin_popcountll(x->words[i - 1]);
	for (i = 1; i <= nwords; i++)
		if ((j = i + (i & -i)) <= nwords)
			x->tree[j] += x->tree[i];
}

/* Room for positions below npos in every index (doubling the words). */
static void
ledger_index_grow(struct ledger_index *s, size_t npos)
{
	struct ledger_index_one *x;
	size_t old = s->nwords, i;

	if (npos <= s->nwords * 64)
		return;
	while (s->nwords * 64 < npos)
		s->nwords *= 2;
	for (i = 0; i < s->cap; i++) {
		if ((x = s->table[i]) == NULL)
			continue;
		x->words = xreallocarray(x->words, s->nwords, sizeof *x->words);
		memset(&x->words[old], 0, (s->nwords - old) * sizeof *x->words);
		free(x->tree);
		x->tree = xcalloc(s->nwords + 1, sizeof *x->tree);
		ledger_index_tree(x, s->nwords);
	}
}

/* Set (on) or clear the bit of pos in x, its count and tree with it. */
static void
ledger_index_flip(const struct ledger_index *s, struct ledger_index_one *x,
    size_t pos, int on)
{
	uint64_t bit = (uint64_t)1 << (pos % 64);
	uint32_t delta = on ? 1 : UINT32_MAX;   /* +1 or -1, modulo 2^32 */
	size_t w = pos / 64, i;

	if (((x->words[w] & bit) != 0) == on)
		return;
	x->words[w] ^= bit;
	x->count += on ? 1 : (size_t)-1;
	for (i = w + 1; i <= s->nwords; i += i & -i)
		x->tree[i] += delta;
}

/* The position of x's k-th issue (from 0; k < x->count), in O(log n). */
static size_t
ledger_index_select(const struct ledger_index *s,
    const struct ledger_index_one *x, size_t k)
{
	size_t pos = 0, step;
	uint64_t w;

	for (step = s->nwords; step > 0; step /= 2)
		if (pos + step <= s->nwords && x->tree[pos + step] <= k) {
			pos += step;
			k -= x->tree[pos];
		}
	for (w = x->words[pos]; k > 0; k--)
		w &= w - 1;
	return pos * 64 + (size_t)__builtin_ctzll(w);
}

/* The index of f's filter on l, built (a walk of l) when first asked. */
static struct ledger_index_one *
ledger_index_get(struct ledger *l, const struct ledger_filter *f)
{
	struct ledger_index *s = l->index;
	struct ledger_index_one *x, **old;
	char key[LEDGER_INDEX_KEY];
	size_t slot, i, oldcap;

	if (s == NULL) {
		s = l->index = xcalloc(1, sizeof *s);
		s->cap = 16;
		s->table = xcalloc(s->cap, sizeof *s->table);
		s->nwords = 1;
	}
	ledger_index_grow(s, l->nissues);
	ledger_index_key(key, f->category, f->department, f->state);
	if ((x = ledger_index_find(s, key, &slot)) != NULL)
		return x;
	x = xcalloc(1, sizeof *x);
	x->key = xstrdup(key);
	x->words = xcalloc(s->nwords, sizeof *x->words);
	x->tree = xcalloc(s->nwords + 1, sizeof *x->tree);
	for (i = 0; i < l->nissues; i++)
		if (ledger_issue_matches(&l->issues[i], f)) {
			x->words[i / 64] |= (uint64_t)1 << (i % 64);
			x->count++;
		}
	ledger_index_tree(x, s->nwords);
	s->table[slot] = x;
	if (++s->n * 2 <= s->cap)
		return x;
	old = s->table;                 /* half full: twice the room */
	oldcap = s->cap;
	s->cap *= 2;
	s->table = xcalloc(s->cap, sizeof *s->table);
	for (i = 0; i < oldcap; i++)
		if (old[i] != NULL) {
			ledger_index_find(s, old[i]->key, &slot);
			s->table[slot] = old[i];
		}
	free(old);
	return x;
}

/* How many issues of l pass the filter (its paging aside). */
size_t
ledger_count_matching(struct ledger *l, const struct ledger_filter *f)
{
	if (!ledger_index_filters(f))
		return l->nissues;
	return ledger_index_get(l, f)->count;
}

/*
 * The position in l->issues of the k-th issue (from 0) that passes f, or
 * SIZE_MAX when fewer pass.
 */
size_t
ledger_index_nth(struct ledger *l, const struct ledger_filter *f, size_t k)
{
	struct ledger_index_one *x;

	ledger_index_examined++;
	if (!ledger_index_filters(f))
		return k < l->nissues ? k : SIZE_MAX;
	x = ledger_index_get(l, f);
	return k < x->count ? ledger_index_select(l->index, x, k) : SIZE_MAX;
}

/*
 * The issue at pos of l comes in (sign 1) or goes (-1): the indexes of
 * the filters it passes follow. Those are the combinations of its
 * category, its state and its tasks' departments, each or any.
 */
void
ledger_index_issue(struct ledger *l, size_t pos, const struct ledger_issue *is,
    int sign)
{
	struct ledger_index *s = l->index;
	struct ledger_index_one *x;
	const char *cat, *state, *dept;
	char key[LEDGER_INDEX_KEY];
	size_t slot, c, t, d;

	if (s == NULL || s->n == 0)
		return;
	ledger_index_grow(s, pos + 1);
	for (c = 0; c < 2; c++)
		for (t = 0; t < 2; t++)
			for (d = 0; d <= is->ntasks; d++) {
				cat = c ? is->category : NULL;
				state = t ? is->state : NULL;
				dept = d > 0 ? is->tasks[d - 1].department :
				    NULL;
				if (cat == NULL && state == NULL &&
				    dept == NULL)
					continue;
				ledger_index_key(key, cat, dept, state);
				if ((x = ledger_index_find(s, key, &slot)) !=
				    NULL)
					ledger_index_flip(s, x, pos, sign > 0);
			}
}

/* Build x's tree again from word w (0-based) on: O(words after w + log). */
static void
ledger_index_retree(const struct ledger_index *s, struct ledger_index_one *x,
    size_t w)
{
	size_t i, j, from = w + 1;      /* the tree is 1-based */

	for (i = from; i <= s->nwords; i++)
		x->tree[i] = (uint32_t)__builtin_popcountll(x->words[i - 1]);
	/* the entries before from that their parents after it sum */
	for (i = from - 1; i > 0; i -= i & -i)
		if ((j = i + (i & -i)) <= s->nwords)
			x->tree[j] += x->tree[i];
	for (i = from; i <= s->nwords; i++)
		if ((j = i + (i & -i)) <= s->nwords)
			x->tree[j] += x->tree[i];
}

/* Move x's bits from pos on one up (a clear bit at pos) or one down. */
static void
ledger_index_slide(const struct ledger_index *s, struct ledger_index_one *x,
    size_t pos, int up)
{
	size_t w = pos / 64, k, last = s->nwords - 1;
	uint64_t low = ((uint64_t)1 << (pos % 64)) - 1, *v = x->words;

	if (up) {
		for (k = last; k > w; k--)
			v[k] = v[k] << 1 | v[k - 1] >> 63;
		v[w] = (v[w] & low) | (v[w] & ~low) << 1;
	} else {
		v[w] = (v[w] & low) | (v[w] >> 1 & ~low) |
		    (w < last ? (v[w + 1] & 1) << 63 : 0);
		for (k = w + 1; k <= last; k++)
			v[k] = v[k] >> 1 | (k < last ? (v[k + 1] & 1) << 63 : 0);
	}
	ledger_index_retree(s, x, w);
}

/*
 * An issue is put in at pos (up: the issues from pos on moved one up) or
 * was taken out from pos (its bits cleared first, ledger_index_issue): the
 * indexes' bits move with the issues, so that they are kept, not built
 * again. A new issue is rarely far from the end (it is recent), so this
 * costs the words after pos and a log, per index.
 */
void
ledger_index_move(struct ledger *l, size_t pos, int up)
{
	struct ledger_index *s = l->index;
	size_t i;

	if (s == NULL || s->n == 0)
		return;
	ledger_index_grow(s, l->nissues + 1);
	for (i = 0; i < s->cap; i++)
		if (s->table[i] != NULL)
			ledger_index_slide(s, s->table[i], pos, up);
}

/* Forget every index (l's issues moved, or l is freed). */
void
ledger_index_drop(struct ledger *l)
{
	struct ledger_index *s = l->index;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->cap; i++)
		if (s->table[i] != NULL) {
			free(s->table[i]->key);
			free(s->table[i]->words);
			free(s->table[i]->tree);
			free(s->table[i]);
		}
	free(s->table);
	free(s);
	l->index = NULL;
}
