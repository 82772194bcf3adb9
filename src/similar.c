/*
 * similar.c -- the text similarity behind common issues (共性问题), and the
 * window of open issues a new one is compared with.
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
 * The window holds the grams (not the texts) of open issues, with an
 * inverted index per topic: gram -> posting list of the entries that have
 * it. A match counts, for every entry, the query's grams it shares, which
 * touches only entries that share any, but skips posting lists longer than
 * a fifth of the topic ("希望", "企业", "对接" are everywhere), as many as
 * can be skipped without losing an entry that might still reach the
 * threshold (prefix filtering): an entry never counted shares at most the
 * skipped grams, too few to score the threshold. Every entry counted is
 * then scored exactly (its count, plus a binary search of its grams for
 * each skipped one). Entries live in an array addressed by a uint32 slot, so
 * postings are arrays of slots; each period keeps its entries in insertion
 * order, which makes eviction (oldest period first) and expiry cheap.
 *
 * Nothing here is thread-safe: one window belongs to one event loop.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "liaison.h"

#define SIMILAR_NONE UINT32_MAX       /* no slot */
#define SIMILAR_DIGITS 0x80000000u    /* marks a digit-run token */
#define SIMILAR_FNV_OFFSET 2166136261u
#define SIMILAR_FNV_PRIME 16777619u

/* One open issue in the window. */
struct similar_entry {
	char *issue;             /* NULL: the slot is free */
	char *enterprise;
	char *group;             /* NULL when in no group */
	uint32_t *grams;         /* sorted, unique */
	uint32_t ngrams;
	uint32_t topic;          /* index into window->topics */
	int period_key;
	uint32_t prev, next;     /* in its period's list; next: free list */
};

/* The entries sharing one gram, in a topic's open-addressing table. */
struct similar_posting {
	uint32_t gram;
	uint32_t n;
	uint32_t alloc;          /* 0: the table slot is empty */
	uint32_t *slots;
};

struct similar_topic {
	char *name;
	struct similar_posting *table;
	uint32_t mask;           /* table size - 1; the size is a power of 2 */
	uint32_t used;           /* table slots holding a posting */
	uint32_t empty;          /* of those, postings with no entry left */
	uint32_t nentries;
};

/* The entries of one period, oldest first. */
struct similar_period {
	int key;
	uint32_t head, tail;
	uint32_t n;
};

struct similar_window {
	size_t max_entries;

	struct similar_entry *entries;
	uint32_t nalloc;         /* slots in entries */
	uint32_t nentries;       /* slots in use */
	uint32_t free_slot;      /* head of the free list, or SIMILAR_NONE */

	uint32_t *index;         /* issue id -> slot, open addressing */
	uint32_t index_mask;

	struct similar_topic *topics;
	size_t ntopics;

	struct similar_period *periods;  /* sorted by key */
	size_t nperiods;
	size_t periods_alloc;

	/* Scratch for similar_window_match, nalloc long. */
	uint32_t *count;
	uint32_t *touched;
	struct similar_match *found;
	size_t found_alloc;
};

/* ---- the text: tokens, grams and their score ---- */

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
 * Decode the UTF-8 sequence at *p (before end) into a code point and move
 * *p past it. A malformed byte decodes as U+FFFD and is skipped alone.
 */
static uint32_t
similar_utf8_next(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *s = *p;
	uint32_t c;
	size_t len, i;

	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		*p = s + 1;
		return 0xfffd;
	}
	if ((size_t)(end - s) < len) {
		*p = s + 1;
		return 0xfffd;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*p = s + 1;
			return 0xfffd;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*p = s + len;
	return c;
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
		c = similar_fold(similar_utf8_next(&p, end));
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

/* Return the number of values two sorted, unique arrays have in common. */
static size_t
similar_common(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t i = 0, j = 0, n = 0;

	while (i < na && j < nb) {
		if (a[i] < b[j])
			i++;
		else if (a[i] > b[j])
			j++;
		else {
			n++;
			i++;
			j++;
		}
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

/* ---- the window: issue index ---- */

/* Return the FNV-1a hash of a string. */
static uint32_t
similar_hash_string(const char *s)
{
	uint32_t h = SIMILAR_FNV_OFFSET;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= SIMILAR_FNV_PRIME;
	}
	return h;
}

/* Return the index position holding issue, or of the empty place for it. */
static uint32_t
similar_index_position(const struct similar_window *w, const char *issue)
{
	uint32_t pos, slot;

	pos = similar_hash_string(issue) & w->index_mask;
	while ((slot = w->index[pos]) != SIMILAR_NONE) {
		if (strcmp(w->entries[slot].issue, issue) == 0)
			break;
		pos = (pos + 1) & w->index_mask;
	}
	return pos;
}

/* Return the slot of issue, or SIMILAR_NONE. */
static uint32_t
similar_index_find(const struct similar_window *w, const char *issue)
{
	return w->index[similar_index_position(w, issue)];
}

/* Remove the index position pos, moving later members of its run back. */
static void
similar_index_delete(struct similar_window *w, uint32_t pos)
{
	uint32_t next, home, slot;

	w->index[pos] = SIMILAR_NONE;
	next = (pos + 1) & w->index_mask;
	while ((slot = w->index[next]) != SIMILAR_NONE) {
		home = similar_hash_string(w->entries[slot].issue) &
		    w->index_mask;
		/* Move it back if pos lies between its home and next. */
		if (((next - home) & w->index_mask) >=
		    ((next - pos) & w->index_mask)) {
			w->index[pos] = slot;
			w->index[next] = SIMILAR_NONE;
			pos = next;
		}
		next = (next + 1) & w->index_mask;
	}
}

/* ---- the window: topics and posting lists ---- */

/* Return the index of topic, adding it when add is set; -1 if unknown. */
static long
similar_topic_find(struct similar_window *w, const char *topic, int add)
{
	struct similar_topic *t;
	size_t i;

	for (i = 0; i < w->ntopics; i++) {
		if (strcmp(w->topics[i].name, topic) == 0)
			return (long)i;
	}
	if (!add)
		return -1;
	w->topics = xreallocarray(w->topics, w->ntopics + 1, sizeof *t);
	t = &w->topics[w->ntopics];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(topic);
	t->mask = 15;
	t->table = xcalloc(t->mask + 1, sizeof *t->table);
	return (long)w->ntopics++;
}

/* Return the posting of gram in t, or NULL. */
static struct similar_posting *
similar_posting_find(const struct similar_topic *t, uint32_t gram)
{
	struct similar_posting *p;
	uint32_t pos;

	pos = (gram * 2654435761u) & t->mask;
	for (;;) {
		p = &t->table[pos];
		if (p->alloc == 0)
			return NULL;
		if (p->gram == gram)
			return p;
		pos = (pos + 1) & t->mask;
	}
}

/*
 * Rebuild t's table with room for size postings (a power of 2), leaving
 * out the postings that no entry has any more.
 */
static void
similar_topic_rehash(struct similar_topic *t, uint32_t size)
{
	struct similar_posting *old = t->table, *p;
	uint32_t oldsize = t->mask + 1, i, pos;

	t->table = xcalloc(size, sizeof *t->table);
	t->mask = size - 1;
	t->used = 0;
	t->empty = 0;
	for (i = 0; i < oldsize; i++) {
		if (old[i].alloc == 0)
			continue;
		if (old[i].n == 0) {
			free(old[i].slots);
			continue;
		}
		pos = (old[i].gram * 2654435761u) & t->mask;
		while (t->table[pos].alloc != 0)
			pos = (pos + 1) & t->mask;
		p = &t->table[pos];
		*p = old[i];
		t->used++;
	}
	free(old);
}

/* Shrink t's table when most of its postings are empty. */
static void
similar_topic_tidy(struct similar_topic *t)
{
	uint32_t live, size;

	if (t->empty < 64 || t->empty < t->used / 2)
		return;
	live = t->used - t->empty;
	for (size = 16; size < live * 2; size *= 2)
		;
	similar_topic_rehash(t, size);
}

/* Return the posting of gram in t, adding an empty one if there is none. */
static struct similar_posting *
similar_posting_get(struct similar_topic *t, uint32_t gram)
{
	struct similar_posting *p;
	uint32_t pos, size;

	if ((p = similar_posting_find(t, gram)) != NULL)
		return p;
	if ((t->used + 1) * 10 > (t->mask + 1) * 7) {
		size = t->mask + 1;
		if (t->empty < t->used / 4)
			size *= 2;
		similar_topic_rehash(t, size);
	}
	pos = (gram * 2654435761u) & t->mask;
	while (t->table[pos].alloc != 0)
		pos = (pos + 1) & t->mask;
	p = &t->table[pos];
	p->gram = gram;
	p->n = 0;
	p->alloc = 2;
	p->slots = xreallocarray(NULL, p->alloc, sizeof *p->slots);
	t->used++;
	t->empty++;
	return p;
}

/* Add slot to the postings of each of its entry's grams. */
static void
similar_postings_add(struct similar_window *w, uint32_t slot)
{
	struct similar_entry *e = &w->entries[slot];
	struct similar_topic *t = &w->topics[e->topic];
	struct similar_posting *p;
	uint32_t i;

	for (i = 0; i < e->ngrams; i++) {
		p = similar_posting_get(t, e->grams[i]);
		if (p->n == p->alloc) {
			p->alloc *= 2;
			p->slots = xreallocarray(p->slots, p->alloc,
			    sizeof *p->slots);
		}
		if (p->n++ == 0)
			t->empty--;
		p->slots[p->n - 1] = slot;
	}
	t->nentries++;
}

/* Take slot out of the postings of each of its entry's grams. */
static void
similar_postings_remove(struct similar_window *w, uint32_t slot)
{
	struct similar_entry *e = &w->entries[slot];
	struct similar_topic *t = &w->topics[e->topic];
	struct similar_posting *p;
	uint32_t i, j;

	for (i = 0; i < e->ngrams; i++) {
		if ((p = similar_posting_find(t, e->grams[i])) == NULL)
			continue;
		for (j = 0; j < p->n; j++) {
			if (p->slots[j] == slot) {
				p->slots[j] = p->slots[--p->n];
				break;
			}
		}
		if (p->n == 0)
			t->empty++;
	}
	t->nentries--;
	similar_topic_tidy(t);
}

/* ---- the window: periods ---- */

/* Return the position of key in w->periods, adding it if add is set. */
static long
similar_period_find(struct similar_window *w, int key, int add)
{
	struct similar_period *pd;
	size_t i;

	for (i = 0; i < w->nperiods && w->periods[i].key < key; i++)
		;
	if (i < w->nperiods && w->periods[i].key == key)
		return (long)i;
	if (!add)
		return -1;
	if (w->nperiods == w->periods_alloc) {
		w->periods_alloc = w->periods_alloc == 0 ? 8 :
		    w->periods_alloc * 2;
		w->periods = xreallocarray(w->periods, w->periods_alloc,
		    sizeof *w->periods);
	}
	memmove(&w->periods[i + 1], &w->periods[i],
	    (w->nperiods - i) * sizeof *w->periods);
	pd = &w->periods[i];
	pd->key = key;
	pd->head = pd->tail = SIMILAR_NONE;
	pd->n = 0;
	w->nperiods++;
	return (long)i;
}

/* Append slot to the list of its period. */
static void
similar_period_link(struct similar_window *w, uint32_t slot)
{
	struct similar_entry *e = &w->entries[slot];
	struct similar_period *pd;
	long i;

	i = similar_period_find(w, e->period_key, 1);
	pd = &w->periods[i];
	e->prev = pd->tail;
	e->next = SIMILAR_NONE;
	if (pd->tail == SIMILAR_NONE)
		pd->head = slot;
	else
		w->entries[pd->tail].next = slot;
	pd->tail = slot;
	pd->n++;
}

/* Take slot out of the list of its period, dropping the period if empty. */
static void
similar_period_unlink(struct similar_window *w, uint32_t slot)
{
	struct similar_entry *e = &w->entries[slot];
	struct similar_period *pd;
	long i;

	if ((i = similar_period_find(w, e->period_key, 0)) == -1)
		return;
	pd = &w->periods[i];
	if (e->prev == SIMILAR_NONE)
		pd->head = e->next;
	else
		w->entries[e->prev].next = e->next;
	if (e->next == SIMILAR_NONE)
		pd->tail = e->prev;
	else
		w->entries[e->next].prev = e->prev;
	if (--pd->n == 0) {
		memmove(pd, pd + 1,
		    (w->nperiods - i - 1) * sizeof *w->periods);
		w->nperiods--;
	}
}

/* ---- the window: entries ---- */

/* Free what the entry in slot holds and put the slot on the free list. */
static void
similar_entry_release(struct similar_window *w, uint32_t slot)
{
	struct similar_entry *e = &w->entries[slot];

	free(e->issue);
	free(e->enterprise);
	free(e->group);
	free(e->grams);
	memset(e, 0, sizeof *e);
	e->next = w->free_slot;
	w->free_slot = slot;
	w->nentries--;
}

/* Remove the entry in slot, found at index position pos. */
static void
similar_entry_remove(struct similar_window *w, uint32_t slot, uint32_t pos)
{
	similar_postings_remove(w, slot);
	similar_period_unlink(w, slot);
	similar_index_delete(w, pos);
	similar_entry_release(w, slot);
}

/* Return a free slot, growing the entry array and the index if needed. */
static uint32_t
similar_entry_slot(struct similar_window *w)
{
	uint32_t slot, i, n, size, old_mask;
	uint32_t *old;
	size_t want;

	if (w->free_slot != SIMILAR_NONE) {
		slot = w->free_slot;
		w->free_slot = w->entries[slot].next;
		return slot;
	}
	want = w->nalloc == 0 ? 64 : (size_t)w->nalloc * 2;
	if (want > w->max_entries)
		want = w->max_entries;
	n = (uint32_t)want;
	w->entries = xreallocarray(w->entries, n, sizeof *w->entries);
	memset(&w->entries[w->nalloc], 0,
	    (n - w->nalloc) * sizeof *w->entries);
	w->count = xreallocarray(w->count, n, sizeof *w->count);
	memset(&w->count[w->nalloc], 0, (n - w->nalloc) * sizeof *w->count);
	w->touched = xreallocarray(w->touched, n, sizeof *w->touched);
	for (i = n; i-- > w->nalloc + 1;) {
		w->entries[i].next = w->free_slot;
		w->free_slot = i;
	}
	slot = w->nalloc;
	w->nalloc = n;

	/* Keep the index at most half full. */
	for (size = 16; size < n * 2; size *= 2)
		;
	if (size > w->index_mask + 1) {
		old = w->index;
		old_mask = w->index_mask;
		w->index = xreallocarray(NULL, size, sizeof *w->index);
		memset(w->index, 0xff, size * sizeof *w->index);
		w->index_mask = size - 1;
		for (i = 0; old != NULL && i <= old_mask; i++) {
			if (old[i] != SIMILAR_NONE)
				w->index[similar_index_position(w,
				    w->entries[old[i]].issue)] = old[i];
		}
		free(old);
	}
	return slot;
}

/* ---- the window: adding, updating and expiring issues ---- */

/*
 * Return a new, empty window that holds at most max_entries open issues
 * (at least 1). Free it with similar_window_free.
 */
struct similar_window *
similar_window_new(size_t max_entries)
{
	struct similar_window *w;

	w = xcalloc(1, sizeof *w);
	if (max_entries < 1)
		max_entries = 1;
	if (max_entries > UINT32_MAX - 1)
		max_entries = UINT32_MAX - 1;
	w->max_entries = max_entries;
	w->free_slot = SIMILAR_NONE;
	w->index_mask = 15;
	w->index = xreallocarray(NULL, w->index_mask + 1, sizeof *w->index);
	memset(w->index, 0xff, (w->index_mask + 1) * sizeof *w->index);
	return w;
}

/* Free a window and everything it holds; NULL is fine. */
void
similar_window_free(struct similar_window *w)
{
	struct similar_topic *t;
	size_t i;
	uint32_t j;

	if (w == NULL)
		return;
	for (j = 0; j < w->nalloc; j++) {
		if (w->entries[j].issue != NULL) {
			free(w->entries[j].issue);
			free(w->entries[j].enterprise);
			free(w->entries[j].group);
			free(w->entries[j].grams);
		}
	}
	for (i = 0; i < w->ntopics; i++) {
		t = &w->topics[i];
		for (j = 0; j <= t->mask; j++)
			free(t->table[j].slots);
		free(t->table);
		free(t->name);
	}
	free(w->topics);
	free(w->entries);
	free(w->index);
	free(w->periods);
	free(w->count);
	free(w->touched);
	free(w->found);
	free(w);
}

/*
 * Add the open issue to the window, or update it if the window has it
 * (its topic, enterprise, period, group and text are all replaced). group
 * may be NULL; text is the issue's title + "\n" + detail. The window keeps
 * copies of the strings and the grams of the text, not the text.
 *
 * When the window is full the entry added first to its oldest period is
 * evicted; an issue older than every entry of a full window is not added.
 * Return 0 when the issue is in the window, -1 when it was not added.
 */
int
similar_window_add(struct similar_window *w, const char *issue,
    const char *topic, const char *enterprise, int period_key,
    const char *group, const char *text)
{
	struct similar_entry *e;
	struct similar_grams g;
	struct similar_period *oldest;
	uint32_t slot;

	similar_window_remove(w, issue);
	if (w->nentries >= w->max_entries) {
		oldest = &w->periods[0];
		if (period_key < oldest->key)
			return -1;
		slot = oldest->head;
		similar_entry_remove(w, slot,
		    similar_index_position(w, w->entries[slot].issue));
	}

	similar_grams(text, &g);
	slot = similar_entry_slot(w);
	e = &w->entries[slot];
	e->issue = xstrdup(issue);
	e->enterprise = xstrdup(enterprise);
	e->group = group != NULL ? xstrdup(group) : NULL;
	e->grams = g.v;
	e->ngrams = (uint32_t)g.n;
	e->topic = (uint32_t)similar_topic_find(w, topic, 1);
	e->period_key = period_key;
	w->nentries++;

	w->index[similar_index_position(w, issue)] = slot;
	similar_period_link(w, slot);
	similar_postings_add(w, slot);
	return 0;
}

/* Is issue in the window? */
int
similar_window_has(const struct similar_window *w, const char *issue)
{
	return similar_index_find(w, issue) != SIMILAR_NONE;
}

/* Set the group of issue (NULL: none); an unknown issue is ignored. */
void
similar_window_set_group(struct similar_window *w, const char *issue,
    const char *group)
{
	struct similar_entry *e;
	uint32_t slot;

	if ((slot = similar_index_find(w, issue)) == SIMILAR_NONE)
		return;
	e = &w->entries[slot];
	free(e->group);
	e->group = group != NULL ? xstrdup(group) : NULL;
}

/* Take issue out of the window (it was closed); unknown issues are ignored. */
void
similar_window_remove(struct similar_window *w, const char *issue)
{
	uint32_t pos, slot;

	pos = similar_index_position(w, issue);
	if ((slot = w->index[pos]) == SIMILAR_NONE)
		return;
	similar_entry_remove(w, slot, pos);
}

/*
 * Take every entry of a period before oldest_period_key out of the window.
 * The posting lists of the topics touched are filtered once, not per
 * entry, so that expiring half the window costs one pass over it.
 */
void
similar_window_expire(struct similar_window *w, int oldest_period_key)
{
	struct similar_topic *t;
	struct similar_posting *p;
	struct similar_entry *e;
	uint32_t slot, next, i, j, k;
	size_t nold, n, ti;
	char *dirty;

	for (nold = 0; nold < w->nperiods &&
	    w->periods[nold].key < oldest_period_key; nold++)
		;
	if (nold == 0)
		return;

	/* Mark the expired entries: no issue id, still in their slot. */
	dirty = xcalloc(w->ntopics, 1);
	for (n = 0; n < nold; n++) {
		for (slot = w->periods[n].head; slot != SIMILAR_NONE;
		    slot = w->entries[slot].next) {
			e = &w->entries[slot];
			similar_index_delete(w,
			    similar_index_position(w, e->issue));
			free(e->issue);
			e->issue = NULL;
			dirty[e->topic] = 1;
			w->topics[e->topic].nentries--;
		}
	}
	for (ti = 0; ti < w->ntopics; ti++) {
		if (!dirty[ti])
			continue;
		t = &w->topics[ti];
		for (i = 0; i <= t->mask; i++) {
			p = &t->table[i];
			if (p->alloc == 0 || p->n == 0)
				continue;
			for (j = k = 0; j < p->n; j++) {
				if (w->entries[p->slots[j]].issue != NULL)
					p->slots[k++] = p->slots[j];
			}
			p->n = k;
			if (k == 0)
				t->empty++;
		}
		similar_topic_tidy(t);
	}
	free(dirty);

	for (n = 0; n < nold; n++) {
		for (slot = w->periods[n].head; slot != SIMILAR_NONE;
		    slot = next) {
			next = w->entries[slot].next;
			similar_entry_release(w, slot);
		}
	}
	memmove(w->periods, w->periods + nold,
	    (w->nperiods - nold) * sizeof *w->periods);
	w->nperiods -= nold;
}

/* ---- the window: matching a new item ---- */

/* qsort comparison of matches: best score first, then newer, then by id. */
static int
similar_compare_match(const void *a, const void *b)
{
	const struct similar_match *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	if (x->period_key != y->period_key)
		return x->period_key < y->period_key ? 1 : -1;
	return strcmp(x->issue, y->issue);
}

/* qsort comparison of postings by length, longest first. */
static int
similar_compare_posting(const void *a, const void *b)
{
	const struct similar_posting *x = *(struct similar_posting *const *)a;
	const struct similar_posting *y = *(struct similar_posting *const *)b;

	return (x->n < y->n) - (x->n > y->n);
}

/* Return 1 if the entry has gram, 0 if not. */
static int
similar_has_gram(const struct similar_entry *e, uint32_t gram)
{
	size_t lo = 0, hi = e->ngrams, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (e->grams[mid] < gram)
			lo = mid + 1;
		else if (e->grams[mid] > gram)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

/*
 * Choose the postings a match does not count, for a query of nq grams
 * whose npost postings in topic t are post: move them to the front of post
 * and return how many. Counting every posting gives each entry's exact
 * share, so only huge postings (over a fifth of the topic: "希望", "企业")
 * are worth skipping, and only so many that an entry sharing nothing but
 * them, at most skip grams, still stays below the threshold: skip <
 * threshold * (nq + 1) / 2. An entry not counted then cannot match.
 */
static size_t
similar_match_skip(const struct similar_topic *t,
    struct similar_posting **post, size_t npost, size_t nq,
    double threshold)
{
	size_t skip, huge = 0, i;
	double budget;

	for (i = 0; i < npost; i++) {
		if (post[i]->n > t->nentries / 5)
			huge++;
	}
	budget = threshold * (double)(nq + 1) / 2.0 - 1e-9;
	skip = budget > 1.0 ? (size_t)budget : 0;
	if (skip > 0 && (double)skip >= budget)
		skip--;
	if (skip > huge)
		skip = huge;
	if (skip > 0)
		qsort(post, npost, sizeof *post, similar_compare_posting);
	return skip;
}

/* Remember a match in w->found, growing it as needed. */
static void
similar_found_add(struct similar_window *w, size_t n,
    const struct similar_entry *e, double score)
{
	struct similar_match *m;

	if (n == w->found_alloc) {
		w->found_alloc = w->found_alloc == 0 ? 64 : w->found_alloc * 2;
		w->found = xreallocarray(w->found, w->found_alloc,
		    sizeof *w->found);
	}
	m = &w->found[n];
	m->issue = e->issue;
	m->enterprise = e->enterprise;
	m->group = e->group;
	m->score = score;
	m->period_key = e->period_key;
}

/*
 * Find the entries of topic, of period_key min_period_key or later, whose
 * similarity to text is at least threshold (> 0). Fill out with at most max
 * of them, best first (ties: newer period first, then by issue id), and
 * return how many were filled; when that is max there may be more. The
 * strings in out belong to the window and stay valid until it next changes.
 * An issue already in the window matches its own text with 1.0.
 */
size_t
similar_window_match(struct similar_window *w, const char *topic,
    const char *text, int min_period_key, double threshold,
    struct similar_match *out, size_t max)
{
	struct similar_posting **post;
	struct similar_topic *t;
	struct similar_entry *e;
	struct similar_grams q;
	size_t npost = 0, skip, ntouched = 0, nfound = 0, i, j;
	double score;
	uint32_t slot, common;
	long ti;

	if ((ti = similar_topic_find(w, topic, 0)) == -1 ||
	    w->topics[ti].nentries == 0 || max == 0)
		return 0;
	t = &w->topics[ti];
	similar_grams(text, &q);
	if (q.n == 0)
		return 0;
	if (threshold < 1e-6)
		threshold = 1e-6;

	post = xreallocarray(NULL, q.n, sizeof *post);
	for (i = 0; i < q.n; i++) {
		if ((post[npost] = similar_posting_find(t, q.v[i])) != NULL &&
		    post[npost]->n > 0)
			npost++;
	}
	skip = similar_match_skip(t, post, npost, q.n, threshold);
	for (i = skip; i < npost; i++) {
		for (j = 0; j < post[i]->n; j++) {
			slot = post[i]->slots[j];
			if (w->count[slot]++ == 0)
				w->touched[ntouched++] = slot;
		}
	}
	for (i = 0; i < ntouched; i++) {
		slot = w->touched[i];
		common = w->count[slot];
		w->count[slot] = 0;
		e = &w->entries[slot];
		if (e->period_key < min_period_key)
			continue;
		if (2.0 * (double)(common + skip) + 1e-9 <
		    threshold * (double)(q.n + e->ngrams))
			continue;
		for (j = 0; j < skip; j++)
			common += similar_has_gram(e, post[j]->gram);
		score = 2.0 * (double)common / (double)(q.n + e->ngrams);
		if (score >= threshold)
			similar_found_add(w, nfound++, e, score);
	}
	free(post);
	free(q.v);

	if (nfound > 1)
		qsort(w->found, nfound, sizeof *w->found,
		    similar_compare_match);
	if (nfound > max)
		nfound = max;
	if (nfound > 0)
		memcpy(out, w->found, nfound * sizeof *out);
	return nfound;
}

/*
 * Return the bytes the window has allocated (without malloc's own
 * overhead): entries, strings, grams, posting lists, index and scratch.
 */
size_t
similar_window_bytes(const struct similar_window *w)
{
	const struct similar_entry *e;
	const struct similar_topic *t;
	size_t bytes, i;
	uint32_t j;

	bytes = sizeof *w;
	bytes += (size_t)w->nalloc * (sizeof *w->entries + sizeof *w->count +
	    sizeof *w->touched);
	bytes += (size_t)(w->index_mask + 1) * sizeof *w->index;
	bytes += w->periods_alloc * sizeof *w->periods;
	bytes += w->found_alloc * sizeof *w->found;
	bytes += w->ntopics * sizeof *w->topics;
	for (j = 0; j < w->nalloc; j++) {
		e = &w->entries[j];
		if (e->issue == NULL)
			continue;
		bytes += strlen(e->issue) + 1 + strlen(e->enterprise) + 1;
		if (e->group != NULL)
			bytes += strlen(e->group) + 1;
		bytes += (size_t)e->ngrams * sizeof *e->grams;
	}
	for (i = 0; i < w->ntopics; i++) {
		t = &w->topics[i];
		bytes += strlen(t->name) + 1;
		bytes += (size_t)(t->mask + 1) * sizeof *t->table;
		for (j = 0; j <= t->mask; j++)
			bytes += (size_t)t->table[j].alloc * sizeof(uint32_t);
	}
	return bytes;
}
