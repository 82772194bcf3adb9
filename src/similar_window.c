/*
 * similar_window.c -- the window of open issues a new report is compared
 * with, by similar.c's grams and score.
 *
 * The window holds the grams (not the texts) of open issues, with an
 * inverted index per topic: gram -> posting list of the entries that have
 * it. A match counts, for every entry, the query's grams it shares, which
 * touches only entries that share any, but skips the query's longest
 * posting lists, as many as can be skipped without losing an entry that
 * might still reach the threshold (prefix filtering, the query's grams
 * ordered rarest first): an entry never counted shares at most the skipped
 * grams, too few to score the threshold. Every entry counted is
 * then scored exactly (its count, plus a binary search of its grams for
 * each skipped one). A topic of SIMILAR_WINDOW_BANDS_FROM open issues or
 * more also keeps a MinHash band index (similar_bands.c): a match there
 * whose postings would cost more than the walk budget takes its
 * candidates from the bands instead, which finds near duplicates but may
 * miss low scores (docs/BENCHMARKS.md). Entries live in an array addressed
 * by a uint32 slot, so postings are arrays of slots; each period keeps its
 * entries in insertion order, which makes eviction (oldest period first)
 * and expiry cheap.
 *
 * Nothing here is thread-safe: one window belongs to one event loop.
 *
 * One file of ~1,400 lines on purpose: the issue index, the postings, the
 * periods and the entries are one structure whose invariants every
 * function here keeps together (a slot is in its period's list, in one
 * posting per gram and, below its topic's band cursor, in the band index,
 * or free); apart, each part would reach into the others.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "liaison.h"

#define SIMILAR_WINDOW_NONE UINT32_MAX       /* no slot */
#define SIMILAR_WINDOW_SELECT_MAX 8          /* skips chosen without a sort */
#define SIMILAR_WINDOW_BANDS_STEP 4          /* slots indexed an add */

/* One open issue in the window. */
struct similar_window_entry {
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
struct similar_window_posting {
	uint32_t gram;
	uint32_t n;
	uint32_t alloc;          /* 0: the table slot is empty */
	uint32_t filtered;       /* the eviction that last filtered it */
	uint32_t *slots;
};

/* A topic's postings by gram, open addressing. */
struct similar_window_table {
	struct similar_window_posting *table;
	uint32_t mask;           /* table size - 1; the size is a power of 2 */
	uint32_t used;           /* table slots holding a posting */
	uint32_t empty;          /* of those, postings with no entry left */
};

struct similar_window_topic {
	char *name;
	struct similar_window_table grams;
	/* Band key -> entries (similar_bands.c); NULL: a small topic. */
	struct similar_bands_index *bands;
	uint32_t bands_cursor;   /* its entries in slots below are indexed */
	uint32_t nentries;
};

/* The entries of one period, oldest first. */
struct similar_window_period {
	int key;
	uint32_t head, tail;
	uint32_t n;
};

/*
 * A slot's count during a match, beside its entry's length and period:
 * the checks of the count and the period read this one cache line, not
 * the entry, for every slot the walk touched (the entries' cache misses
 * were half of a match; in the band step, half the candidates are of an
 * older period than asked for).
 */
struct similar_window_tally {
	uint32_t count;
	uint32_t ngrams;
	int period_key;
};

struct similar_window {
	size_t max_entries;

	struct similar_window_entry *entries;
	uint32_t nalloc;         /* slots in entries */
	uint32_t nentries;       /* slots in use */
	uint32_t free_slot;      /* head of the free list, or SIMILAR_WINDOW_NONE */

	uint32_t *index;         /* issue id -> slot, open addressing */
	uint32_t index_mask;

	size_t walk_max;         /* see SIMILAR_WINDOW_WALK_MAX */
	size_t steps;            /* posting slots written or read, not by matches */
	int bands_held;          /* no band index until released (a bulk load) */
	uint32_t evictions;      /* batches evicted (postings' filtered) */

	struct similar_window_topic *topics;
	size_t ntopics;

	struct similar_window_period *periods;  /* sorted by key */
	size_t nperiods;
	size_t periods_alloc;

	/* Scratch for similar_window_match, nalloc long. */
	struct similar_window_tally *tally;
	uint32_t *touched;
	struct similar_match *found;
	size_t found_alloc;
};

/* ---- the window: issue index ---- */

/* Return the index position holding issue, or of the empty place for it. */
static uint32_t
similar_window_index_position(const struct similar_window *w, const char *issue)
{
	uint32_t pos, slot;

	pos = similar_hash_string(issue) & w->index_mask;
	while ((slot = w->index[pos]) != SIMILAR_WINDOW_NONE) {
		if (strcmp(w->entries[slot].issue, issue) == 0)
			break;
		pos = (pos + 1) & w->index_mask;
	}
	return pos;
}

/* Return the slot of issue, or SIMILAR_WINDOW_NONE. */
static uint32_t
similar_window_index_find(const struct similar_window *w, const char *issue)
{
	return w->index[similar_window_index_position(w, issue)];
}

/* Remove the index position pos, moving later members of its run back. */
static void
similar_window_index_delete(struct similar_window *w, uint32_t pos)
{
	uint32_t next, home, slot;

	w->index[pos] = SIMILAR_WINDOW_NONE;
	next = (pos + 1) & w->index_mask;
	while ((slot = w->index[next]) != SIMILAR_WINDOW_NONE) {
		home = similar_hash_string(w->entries[slot].issue) &
		    w->index_mask;
		/* Move it back if pos lies between its home and next. */
		if (((next - home) & w->index_mask) >=
		    ((next - pos) & w->index_mask)) {
			w->index[pos] = slot;
			w->index[next] = SIMILAR_WINDOW_NONE;
			pos = next;
		}
		next = (next + 1) & w->index_mask;
	}
}

/* ---- the window: posting tables ---- */

/* Make t an empty table of 16 places. */
static void
similar_window_table_init(struct similar_window_table *t)
{
	memset(t, 0, sizeof *t);
	t->mask = 15;
	t->table = xcalloc(t->mask + 1, sizeof *t->table);
}

/* Free what t holds (it may never have been made: table NULL). */
static void
similar_window_table_free(struct similar_window_table *t)
{
	uint32_t j;

	if (t->table == NULL)
		return;
	for (j = 0; j <= t->mask; j++)
		free(t->table[j].slots);
	free(t->table);
	memset(t, 0, sizeof *t);
}

/* Return the posting of key in t, or NULL. */
static struct similar_window_posting *
similar_window_posting_find(const struct similar_window_table *t, uint32_t key)
{
	struct similar_window_posting *p;
	uint32_t pos;

	pos = (key * 2654435761u) & t->mask;
	for (;;) {
		p = &t->table[pos];
		if (p->alloc == 0)
			return NULL;
		if (p->gram == key)
			return p;
		pos = (pos + 1) & t->mask;
	}
}

/*
 * Rebuild t with room for size postings (a power of 2), leaving out the
 * postings that no entry has any more.
 */
static void
similar_window_table_rehash(struct similar_window_table *t, uint32_t size)
{
	struct similar_window_posting *old = t->table, *p;
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

/* Shrink t when most of its postings are empty. */
static void
similar_window_table_tidy(struct similar_window_table *t)
{
	uint32_t live, size;

	if (t->empty < 64 || t->empty < t->used / 2)
		return;
	live = t->used - t->empty;
	for (size = 16; size < live * 2; size *= 2)
		;
	similar_window_table_rehash(t, size);
}

/* Return the posting of key in t, adding an empty one if there is none. */
static struct similar_window_posting *
similar_window_posting_get(struct similar_window_table *t, uint32_t key)
{
	struct similar_window_posting *p;
	uint32_t pos, size;

	if ((p = similar_window_posting_find(t, key)) != NULL)
		return p;
	if ((t->used + 1) * 10 > (t->mask + 1) * 7) {
		size = t->mask + 1;
		if (t->empty < t->used / 4)
			size *= 2;
		similar_window_table_rehash(t, size);
	}
	pos = (key * 2654435761u) & t->mask;
	while (t->table[pos].alloc != 0)
		pos = (pos + 1) & t->mask;
	p = &t->table[pos];
	p->gram = key;
	p->n = 0;
	p->alloc = 2;
	p->filtered = 0;
	p->slots = xreallocarray(NULL, p->alloc, sizeof *p->slots);
	t->used++;
	t->empty++;
	return p;
}

/* Add slot to the posting of key in t. */
static void
similar_window_table_add(struct similar_window_table *t, uint32_t key,
    uint32_t slot)
{
	struct similar_window_posting *p;

	p = similar_window_posting_get(t, key);
	if (p->n == p->alloc) {
		p->alloc *= 2;
		p->slots = xreallocarray(p->slots, p->alloc, sizeof *p->slots);
	}
	if (p->n++ == 0)
		t->empty--;
	p->slots[p->n - 1] = slot;
}

/* Take slot out of the posting of key in t (once). */
static void
similar_window_table_remove(struct similar_window *w,
    struct similar_window_table *t, uint32_t key, uint32_t slot)
{
	struct similar_window_posting *p;
	uint32_t j;

	if ((p = similar_window_posting_find(t, key)) == NULL)
		return;
	for (j = 0; j < p->n; j++) {
		w->steps++;
		if (p->slots[j] == slot) {
			p->slots[j] = p->slots[--p->n];
			break;
		}
	}
	if (p->n == 0)
		t->empty++;
}

/*
 * Keep in p (of t) only the slots whose entries still have an issue: the
 * one pass that takes many marked entries out of a posting at once.
 */
static void
similar_window_posting_filter(struct similar_window *w,
    struct similar_window_table *t, struct similar_window_posting *p)
{
	uint32_t j, k;

	if (p->n == 0)
		return;
	w->steps += p->n;
	for (j = k = 0; j < p->n; j++) {
		if (w->entries[p->slots[j]].issue != NULL)
			p->slots[k++] = p->slots[j];
	}
	p->n = k;
	if (k == 0)
		t->empty++;
}

/* Keep in t's postings only the slots whose entries still have an issue. */
static void
similar_window_table_filter(struct similar_window *w,
    struct similar_window_table *t)
{
	uint32_t i;

	for (i = 0; i <= t->mask; i++) {
		if (t->table[i].alloc != 0)
			similar_window_posting_filter(w, t, &t->table[i]);
	}
	similar_window_table_tidy(t);
}

/* ---- the window: topics, their postings and band indexes ---- */

/* Return the index of topic, adding it when add is set; -1 if unknown. */
static long
similar_window_topic_find(struct similar_window *w, const char *topic, int add)
{
	struct similar_window_topic *t;
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
	similar_window_table_init(&t->grams);
	return (long)w->ntopics++;
}

/*
 * Add slot to (add set) or take it out of its topic's band index. An
 * entry without grams has no bands: it matches nothing anyway.
 */
static void
similar_window_bands_update(struct similar_window *w, uint32_t slot, int add)
{
	struct similar_window_entry *e = &w->entries[slot];
	struct similar_window_topic *t = &w->topics[e->topic];
	struct similar_grams g;
	uint32_t keys[SIMILAR_BANDS];

	if (e->ngrams == 0)
		return;
	g.v = e->grams;
	g.n = e->ngrams;
	similar_bands(&g, keys);
	if (add)
		similar_bands_index_add(t->bands, keys, SIMILAR_BANDS, slot);
	else
		similar_bands_index_remove(t->bands, keys, SIMILAR_BANDS,
		    slot);
}

/*
 * Start topic ti's band index at half the size it is used from, and drop
 * it when the topic has shrunk to a quarter, so that a topic near the
 * size does not flap. The index is filled a few slots an add
 * (similar_window_bands_advance), not at once: one pass over 10^5 entries
 * would hold the event loop for over a second.
 */
static void
similar_window_bands_resize(struct similar_window *w, uint32_t ti)
{
	struct similar_window_topic *t = &w->topics[ti];

	if (w->bands_held)
		return;
	if (t->bands == NULL &&
	    t->nentries >= SIMILAR_WINDOW_BANDS_FROM / 2) {
		t->bands = similar_bands_index_new();
		t->bands_cursor = 0;
	} else if (t->bands != NULL &&
	    t->nentries < SIMILAR_WINDOW_BANDS_FROM / 4) {
		similar_bands_index_free(t->bands);
		t->bands = NULL;
		t->bands_cursor = 0;
	}
}

/*
 * Index topic ti's entries in the next few slots (of every topic's):
 * enough that the cursor passes every slot of the window before the topic
 * has doubled from where its index started.
 */
static void
similar_window_bands_advance(struct similar_window *w, uint32_t ti)
{
	struct similar_window_topic *t = &w->topics[ti];
	uint32_t slot, n, step;

	if (t->bands == NULL)
		return;
	step = SIMILAR_WINDOW_BANDS_STEP +
	    w->nalloc / (SIMILAR_WINDOW_BANDS_FROM / 2);
	for (n = 0; n < step && t->bands_cursor < w->nalloc; n++) {
		slot = t->bands_cursor++;
		if (w->entries[slot].issue != NULL &&
		    w->entries[slot].topic == ti)
			similar_window_bands_update(w, slot, 1);
	}
}

/* Is (or is to be) the entry in slot of t in t's band index? */
static int
similar_window_bands_has(const struct similar_window_topic *t, uint32_t slot)
{
	return t->bands != NULL && slot < t->bands_cursor;
}

/* Can a match in t use its band index: large, and every slot indexed? */
static int
similar_window_bands_ready(const struct similar_window *w,
    const struct similar_window_topic *t)
{
	return t->bands != NULL && t->bands_cursor >= w->nalloc &&
	    t->nentries >= SIMILAR_WINDOW_BANDS_FROM;
}

/* similar_bands_index_filter's question: is slot's entry still open? */
static int
similar_window_bands_keep(uint32_t slot, void *arg)
{
	const struct similar_window *w = arg;

	return w->entries[slot].issue != NULL;
}

/*
 * After an expiry marked entries (issue NULL, still in their slots): take
 * topic ti's out of its band index in one pass, or drop the index if ti is
 * now small.
 */
static void
similar_window_bands_expire(struct similar_window *w, uint32_t ti)
{
	struct similar_window_topic *t = &w->topics[ti];

	similar_window_bands_resize(w, ti);
	if (t->bands != NULL)
		similar_bands_index_filter(t->bands, similar_window_bands_keep,
		    w);
}

/* Add slot to the postings of each of its entry's grams, and its bands. */
static void
similar_window_postings_add(struct similar_window *w, uint32_t slot)
{
	struct similar_window_entry *e = &w->entries[slot];
	struct similar_window_topic *t = &w->topics[e->topic];
	uint32_t i;

	for (i = 0; i < e->ngrams; i++)
		similar_window_table_add(&t->grams, e->grams[i], slot);
	w->steps += e->ngrams;
	t->nentries++;
	similar_window_bands_resize(w, e->topic);
	if (similar_window_bands_has(t, slot))
		similar_window_bands_update(w, slot, 1);
	similar_window_bands_advance(w, e->topic);
}

/* Take slot out of the postings of each of its entry's grams and bands. */
static void
similar_window_postings_remove(struct similar_window *w, uint32_t slot)
{
	struct similar_window_entry *e = &w->entries[slot];
	struct similar_window_topic *t = &w->topics[e->topic];
	uint32_t i;

	for (i = 0; i < e->ngrams; i++)
		similar_window_table_remove(w, &t->grams, e->grams[i], slot);
	if (similar_window_bands_has(t, slot))
		similar_window_bands_update(w, slot, 0);
	t->nentries--;
	similar_window_table_tidy(&t->grams);
	similar_window_bands_resize(w, e->topic);
}
/* ---- the window: periods ---- */

/* Return the position of key in w->periods, adding it if add is set. */
static long
similar_window_period_find(struct similar_window *w, int key, int add)
{
	struct similar_window_period *pd;
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
	pd->head = pd->tail = SIMILAR_WINDOW_NONE;
	pd->n = 0;
	w->nperiods++;
	return (long)i;
}

/* Append slot to the list of its period. */
static void
similar_window_period_link(struct similar_window *w, uint32_t slot)
{
	struct similar_window_entry *e = &w->entries[slot];
	struct similar_window_period *pd;
	long i;

	i = similar_window_period_find(w, e->period_key, 1);
	pd = &w->periods[i];
	e->prev = pd->tail;
	e->next = SIMILAR_WINDOW_NONE;
	if (pd->tail == SIMILAR_WINDOW_NONE)
		pd->head = slot;
	else
		w->entries[pd->tail].next = slot;
	pd->tail = slot;
	pd->n++;
}

/* Take slot out of the list of its period, dropping the period if empty. */
static void
similar_window_period_unlink(struct similar_window *w, uint32_t slot)
{
	struct similar_window_entry *e = &w->entries[slot];
	struct similar_window_period *pd;
	long i;

	if ((i = similar_window_period_find(w, e->period_key, 0)) == -1)
		return;
	pd = &w->periods[i];
	if (e->prev == SIMILAR_WINDOW_NONE)
		pd->head = e->next;
	else
		w->entries[e->prev].next = e->next;
	if (e->next == SIMILAR_WINDOW_NONE)
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
similar_window_entry_release(struct similar_window *w, uint32_t slot)
{
	struct similar_window_entry *e = &w->entries[slot];

	free(e->issue);
	free(e->enterprise);
	free(e->group);
	free(e->grams);
	memset(e, 0, sizeof *e);
	e->next = w->free_slot;
	w->free_slot = slot;
	w->nentries--;
}

/*
 * Mark the entry in slot as going: out of the issue index, no issue id,
 * but still in its slot, period and postings, which a filter then passes
 * over once for many such entries (posting_filter, bands_expire).
 */
static void
similar_window_entry_mark(struct similar_window *w, uint32_t slot,
    char *dirty)
{
	struct similar_window_entry *e = &w->entries[slot];

	similar_window_index_delete(w,
	    similar_window_index_position(w, e->issue));
	free(e->issue);
	e->issue = NULL;
	dirty[e->topic] = 1;
	w->topics[e->topic].nentries--;
}

/*
 * Make room in a full window: take its SIMILAR_WINDOW_EVICT_SHARE-th
 * oldest entries out at once (oldest period first, in each the first added
 * first). One at a time, each would walk its grams' postings to find
 * itself, with near-identical titles the whole window each time; at once,
 * each posting the batch's grams name is filtered once, so that an add
 * costs a bounded number of posting steps whatever the window's size.
 */
static void
similar_window_evict(struct similar_window *w)
{
	struct similar_window_entry *e;
	struct similar_window_posting *p;
	struct similar_window_table *t;
	uint32_t *slots, slot;
	size_t want, n = 0, i, j;
	char *dirty;

	want = w->max_entries / SIMILAR_WINDOW_EVICT_SHARE;
	if (want < 1)
		want = 1;
	if (want > w->nentries)
		want = w->nentries;
	slots = xreallocarray(NULL, want, sizeof *slots);
	dirty = xcalloc(w->ntopics, 1);
	for (i = 0; i < w->nperiods && n < want; i++) {
		for (slot = w->periods[i].head; slot != SIMILAR_WINDOW_NONE &&
		    n < want; slot = w->entries[slot].next) {
			similar_window_entry_mark(w, slot, dirty);
			slots[n++] = slot;
		}
	}
	w->evictions++;
	for (i = 0; i < n; i++) {
		e = &w->entries[slots[i]];
		t = &w->topics[e->topic].grams;
		for (j = 0; j < e->ngrams; j++) {
			p = similar_window_posting_find(t, e->grams[j]);
			if (p == NULL || p->filtered == w->evictions)
				continue;
			p->filtered = w->evictions;
			similar_window_posting_filter(w, t, p);
		}
	}
	/*
	 * Out of the band indexes one by one (a key's run is at most
	 * SIMILAR_BANDS_KEY_MAX long): a pass over a whole index, as an
	 * expiry makes, would cost each add a share of it.
	 */
	for (i = 0; i < n; i++) {
		if (similar_window_bands_has(
		    &w->topics[w->entries[slots[i]].topic], slots[i]))
			similar_window_bands_update(w, slots[i], 0);
		similar_window_period_unlink(w, slots[i]);
		similar_window_entry_release(w, slots[i]);
	}
	for (i = 0; i < w->ntopics; i++) {
		if (!dirty[i])
			continue;
		similar_window_table_tidy(&w->topics[i].grams);
		similar_window_bands_resize(w, (uint32_t)i);
	}
	free(dirty);
	free(slots);
}

/* Remove the entry in slot, found at index position pos. */
static void
similar_window_entry_remove(struct similar_window *w, uint32_t slot, uint32_t pos)
{
	similar_window_postings_remove(w, slot);
	similar_window_period_unlink(w, slot);
	similar_window_index_delete(w, pos);
	similar_window_entry_release(w, slot);
}

/* Return a free slot, growing the entry array and the index if needed. */
static uint32_t
similar_window_entry_slot(struct similar_window *w)
{
	uint32_t slot, i, n, size, old_mask;
	uint32_t *old;
	size_t want;

	if (w->free_slot != SIMILAR_WINDOW_NONE) {
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
	w->tally = xreallocarray(w->tally, n, sizeof *w->tally);
	memset(&w->tally[w->nalloc], 0, (n - w->nalloc) * sizeof *w->tally);
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
			if (old[i] != SIMILAR_WINDOW_NONE)
				w->index[similar_window_index_position(w,
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
	w->walk_max = SIMILAR_WINDOW_WALK_MAX;
	w->free_slot = SIMILAR_WINDOW_NONE;
	w->index_mask = 15;
	w->index = xreallocarray(NULL, w->index_mask + 1, sizeof *w->index);
	memset(w->index, 0xff, (w->index_mask + 1) * sizeof *w->index);
	return w;
}

/* Free a window and everything it holds; NULL is fine. */
void
similar_window_free(struct similar_window *w)
{
	struct similar_window_topic *t;
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
		similar_window_table_free(&t->grams);
		similar_bands_index_free(t->bands);
		free(t->name);
	}
	free(w->topics);
	free(w->entries);
	free(w->index);
	free(w->periods);
	free(w->tally);
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
 * When the window is full, its SIMILAR_WINDOW_EVICT_SHARE-th oldest
 * entries are evicted at once (similar_window_evict); an issue older than
 * every entry of a full window is not added.
 * Return 0 when the issue is in the window, -1 when it was not added.
 */
int
similar_window_add(struct similar_window *w, const char *issue,
    const char *topic, const char *enterprise, int period_key,
    const char *group, const char *text)
{
	struct similar_window_entry *e;
	struct similar_grams g;
	uint32_t slot;

	similar_window_remove(w, issue);
	if (w->nentries >= w->max_entries) {
		if (period_key < w->periods[0].key)
			return -1;
		similar_window_evict(w);
	}

	similar_grams(text, &g);
	slot = similar_window_entry_slot(w);
	e = &w->entries[slot];
	e->issue = xstrdup(issue);
	e->enterprise = xstrdup(enterprise);
	e->group = group != NULL ? xstrdup(group) : NULL;
	e->grams = g.v;
	e->ngrams = (uint32_t)g.n;
	w->tally[slot].ngrams = e->ngrams;
	w->tally[slot].period_key = period_key;
	e->topic = (uint32_t)similar_window_topic_find(w, topic, 1);
	e->period_key = period_key;
	w->nentries++;

	w->index[similar_window_index_position(w, issue)] = slot;
	similar_window_period_link(w, slot);
	similar_window_postings_add(w, slot);
	return 0;
}

/* The number of issues in the window. */
size_t
similar_window_count(const struct similar_window *w)
{
	return w->nentries;
}

/* Is issue in the window? */
int
similar_window_has(const struct similar_window *w, const char *issue)
{
	return similar_window_index_find(w, issue) != SIMILAR_WINDOW_NONE;
}

/* The group of issue, or NULL (none, or an unknown issue). */
const char *
similar_window_group(const struct similar_window *w, const char *issue)
{
	uint32_t slot;

	if ((slot = similar_window_index_find(w, issue)) == SIMILAR_WINDOW_NONE)
		return NULL;
	return w->entries[slot].group;
}

/* Set the group of issue (NULL: none); an unknown issue is ignored. */
void
similar_window_set_group(struct similar_window *w, const char *issue,
    const char *group)
{
	struct similar_window_entry *e;
	uint32_t slot;

	if ((slot = similar_window_index_find(w, issue)) == SIMILAR_WINDOW_NONE)
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

	pos = similar_window_index_position(w, issue);
	if ((slot = w->index[pos]) == SIMILAR_WINDOW_NONE)
		return;
	similar_window_entry_remove(w, slot, pos);
}

/*
 * Take every entry of a period before oldest_period_key out of the window.
 * The posting lists of the topics touched are filtered once, not per
 * entry, so that expiring half the window costs one pass over it.
 */
void
similar_window_expire(struct similar_window *w, int oldest_period_key)
{
	struct similar_window_topic *t;
	uint32_t slot, next;
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
		for (slot = w->periods[n].head; slot != SIMILAR_WINDOW_NONE;
		    slot = w->entries[slot].next)
			similar_window_entry_mark(w, slot, dirty);
	}
	for (ti = 0; ti < w->ntopics; ti++) {
		if (!dirty[ti])
			continue;
		t = &w->topics[ti];
		similar_window_table_filter(w, &t->grams);
		similar_window_bands_expire(w, (uint32_t)ti);
	}
	free(dirty);

	for (n = 0; n < nold; n++) {
		for (slot = w->periods[n].head; slot != SIMILAR_WINDOW_NONE;
		    slot = next) {
			next = w->entries[slot].next;
			similar_window_entry_release(w, slot);
		}
	}
	memmove(w->periods, w->periods + nold,
	    (w->nperiods - nold) * sizeof *w->periods);
	w->nperiods -= nold;
}

/* ---- the window: matching a new item ---- */

/* qsort comparison of matches: best score first, then newer, then by id. */
static int
similar_window_compare_match(const void *a, const void *b)
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
similar_window_compare_posting(const void *a, const void *b)
{
	const struct similar_window_posting *x = *(struct similar_window_posting *const *)a;
	const struct similar_window_posting *y = *(struct similar_window_posting *const *)b;

	return (x->n < y->n) - (x->n > y->n);
}

/* Return 1 if the entry has gram, 0 if not. */
static int
similar_window_has_gram(const struct similar_window_entry *e, uint32_t gram)
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
 * Move the k longest of the n postings to the front of post, longest
 * first: for the few a short text skips, k passes cost less than sorting
 * (glibc's qsort was a tenth of a match in a banded topic).
 */
static void
similar_window_select_longest(struct similar_window_posting **post, size_t n,
    size_t k)
{
	struct similar_window_posting *p;
	size_t i, j, best;

	for (i = 0; i < k; i++) {
		best = i;
		for (j = i + 1; j < n; j++) {
			if (post[j]->n > post[best]->n)
				best = j;
		}
		p = post[i];
		post[i] = post[best];
		post[best] = p;
	}
}

/*
 * Choose the postings a match does not count, for a query of nq grams
 * whose npost postings in topic t are post: move them to the front of post
 * and return how many. The longest postings are skipped (prefix filtering
 * with the query's grams ordered rarest first), as many as can be without
 * losing an entry: one sharing only skipped grams shares c <= skip of them
 * and has at least c grams, so it scores at most 2c / (nq + c), below the
 * threshold while c < threshold * nq / (2 - threshold). So an entry not
 * counted cannot match, and the walk never touches the query's most common
 * grams ("希望", "企业", "工"), whatever the topic's size.
 */
static size_t
similar_window_match_skip(struct similar_window_posting **post, size_t npost,
    size_t nq, double threshold)
{
	size_t skip;
	double budget;

	budget = threshold * (double)nq / (2.0 - threshold) - 1e-9;
	skip = budget > 1.0 ? (size_t)budget : 0;
	if (skip > 0 && (double)skip >= budget)
		skip--;
	if (skip > npost)
		skip = npost;
	if (skip > SIMILAR_WINDOW_SELECT_MAX)
		qsort(post, npost, sizeof *post, similar_window_compare_posting);
	else
		similar_window_select_longest(post, npost, skip);
	return skip;
}

/* Remember a match in w->found, growing it as needed. */
static void
similar_window_found_add(struct similar_window *w, size_t n,
    const struct similar_window_entry *e, double score)
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
 * The exact walk: count, for every entry, the query q's grams it shares
 * among the postings post[skip..npost) (the first skip were chosen by
 * similar_window_match_skip), then score the entries that may reach
 * threshold, adding those that do to w->found. Return how many.
 */
static size_t
similar_window_match_walk(struct similar_window *w,
    struct similar_window_posting **post, size_t npost, size_t skip,
    const struct similar_grams *q, int min_period_key, double threshold)
{
	struct similar_window_entry *e;
	size_t ntouched = 0, nfound = 0, i, j;
	double score;
	uint32_t slot, common;

	for (i = skip; i < npost; i++) {
		for (j = 0; j < post[i]->n; j++) {
			/* The tally is random access: ask for it early. */
			if (j + 16 < post[i]->n)
				__builtin_prefetch(
				    &w->tally[post[i]->slots[j + 16]]);
			slot = post[i]->slots[j];
			if (w->tally[slot].count++ == 0)
				w->touched[ntouched++] = slot;
		}
	}
	for (i = 0; i < ntouched; i++) {
		slot = w->touched[i];
		common = w->tally[slot].count;
		w->tally[slot].count = 0;
		if (2.0 * (double)(common + skip) + 1e-9 <
		    threshold * (double)(q->n + w->tally[slot].ngrams) ||
		    w->tally[slot].period_key < min_period_key)
			continue;
		e = &w->entries[slot];
		for (j = 0; j < skip; j++)
			common += similar_window_has_gram(e, post[j]->gram);
		score = 2.0 * (double)common / (double)(q->n + e->ngrams);
		if (score >= threshold)
			similar_window_found_add(w, nfound++, e, score);
	}
	return nfound;
}

/* A match's count of the bands an entry shares, as it walks them. */
struct similar_window_counting {
	struct similar_window *w;
	size_t ntouched;
};

/* similar_bands_index_each's call: count one shared band of slot. */
static void
similar_window_count_band(uint32_t slot, void *arg)
{
	struct similar_window_counting *c = arg;

	if (c->w->tally[slot].count++ == 0)
		c->w->touched[c->ntouched++] = slot;
}

/*
 * The band step, for a topic too large to walk: the entries sharing a band
 * with q (similar_bands.c) are scored exactly, those reaching threshold
 * added to w->found. A bucket holds ~10^-6 of the topic, so the step's
 * cost does not grow with it, but it finds most, not all, matches (see
 * similar_bands.c for how many at each score). Return how many it added.
 */
static size_t
similar_window_match_bands(struct similar_window *w,
    const struct similar_window_topic *t, const struct similar_grams *q,
    int min_period_key, double threshold)
{
	struct similar_window_counting c;
	struct similar_window_entry *e;
	struct similar_grams g;
	uint32_t keys[SIMILAR_BANDS], slot;
	size_t nfound = 0, i, n;
	double score;

	similar_bands(q, keys);
	c.w = w;
	c.ntouched = 0;
	similar_bands_index_each(t->bands, keys, SIMILAR_BANDS,
	    similar_window_count_band, &c);
	/*
	 * Each candidate is two cache misses (its entry, then its grams):
	 * ask for all of them before scoring any, not one after the other.
	 */
	for (i = n = 0; i < c.ntouched; i++) {
		slot = w->touched[i];
		w->tally[slot].count = 0;
		if (w->tally[slot].period_key < min_period_key)
			continue;
		w->touched[n++] = slot;
		__builtin_prefetch(&w->entries[slot]);
	}
	for (i = 0; i < n; i++) {
		e = &w->entries[w->touched[i]];
		__builtin_prefetch(e->grams);
		__builtin_prefetch(e->grams + 16);
	}
	for (i = 0; i < n; i++) {
		e = &w->entries[w->touched[i]];
		g.v = e->grams;
		g.n = e->ngrams;
		score = similar_score(q, &g);
		if (score >= threshold)
			similar_window_found_add(w, nfound++, e, score);
	}
	return nfound;
}

/*
 * Find the entries of topic, of period_key min_period_key or later, whose
 * similarity to text is at least threshold (> 0). Fill out with at most max
 * of them, best first (ties: newer period first, then by issue id), and
 * return how many were filled; when that is max there may be more. The
 * strings in out belong to the window and stay valid until it next changes.
 * An issue already in the window matches its own text with 1.0.
 *
 * Every answer's score is exact. The answers are all there are, except in
 * a topic of SIMILAR_WINDOW_BANDS_FROM open issues or more when the
 * query's postings hold more than the walk budget: then the band step
 * chooses the candidates, and may miss an entry (the lower its score, the
 * likelier).
 */
size_t
similar_window_match(struct similar_window *w, const char *topic,
    const char *text, int min_period_key, double threshold,
    struct similar_match *out, size_t max)
{
	struct similar_window_posting **post;
	struct similar_window_topic *t;
	struct similar_grams q;
	size_t npost = 0, skip, walk = 0, nfound, i;
	long ti;

	if ((ti = similar_window_topic_find(w, topic, 0)) == -1 ||
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
		if ((post[npost] = similar_window_posting_find(&t->grams,
		    q.v[i])) != NULL && post[npost]->n > 0)
			npost++;
	}
	skip = similar_window_match_skip(post, npost, q.n, threshold);
	for (i = skip; i < npost; i++)
		walk += post[i]->n;
	if (similar_window_bands_ready(w, t) && walk > w->walk_max)
		nfound = similar_window_match_bands(w, t, &q, min_period_key,
		    threshold);
	else
		nfound = similar_window_match_walk(w, post, npost, skip, &q,
		    min_period_key, threshold);
	free(post);
	free(q.v);

	if (nfound > 1)
		qsort(w->found, nfound, sizeof *w->found,
		    similar_window_compare_match);
	if (nfound > max)
		nfound = max;
	if (nfound > 0)
		memcpy(out, w->found, nfound * sizeof *out);
	return nfound;
}

/*
 * Set the walk budget (slots of postings) above which a match in a banded
 * topic uses the band step; SIZE_MAX makes every match exact (the benches
 * and tests measure the band step's recall against it).
 */
void
similar_window_set_walk_max(struct similar_window *w, size_t walk_max)
{
	w->walk_max = walk_max;
}

/*
 * The posting slots adds and removals have written or read so far (not
 * matches'): what keeping the window costs, counted the same on any
 * machine (the unit tests and the bench read it).
 */
size_t
similar_window_steps(const struct similar_window *w)
{
	return w->steps;
}

/*
 * Hold (held set) the band indexes off while a window is loaded in bulk,
 * or release them: each topic of SIMILAR_WINDOW_BANDS_FROM / 2 open
 * issues or more then gets its index in one pass. A daemon's start-up
 * adds every open issue of two half-months, and a full window evicts most
 * of them again: held, only those left are indexed, once. Until released,
 * every match is the exact walk.
 */
void
similar_window_hold_bands(struct similar_window *w, int held)
{
	struct similar_window_topic *t;
	uint32_t ti, slot;

	w->bands_held = held;
	if (held)
		return;
	for (ti = 0; ti < w->ntopics; ti++) {
		t = &w->topics[ti];
		similar_window_bands_resize(w, ti);
		if (t->bands == NULL || t->bands_cursor >= w->nalloc)
			continue;
		for (slot = t->bands_cursor; slot < w->nalloc; slot++) {
			if (w->entries[slot].issue != NULL &&
			    w->entries[slot].topic == ti)
				similar_window_bands_update(w, slot, 1);
		}
		t->bands_cursor = w->nalloc;
	}
}

/* Return the bytes t has allocated: its places and their slot arrays. */
static size_t
similar_window_table_bytes(const struct similar_window_table *t)
{
	size_t bytes;
	uint32_t j;

	if (t->table == NULL)
		return 0;
	bytes = (size_t)(t->mask + 1) * sizeof *t->table;
	for (j = 0; j <= t->mask; j++)
		bytes += (size_t)t->table[j].alloc * sizeof(uint32_t);
	return bytes;
}

/*
 * Return the bytes the window has allocated (without malloc's own
 * overhead): entries, strings, grams, posting lists, index and scratch.
 */
size_t
similar_window_bytes(const struct similar_window *w)
{
	const struct similar_window_entry *e;
	const struct similar_window_topic *t;
	size_t bytes, i;
	uint32_t j;

	bytes = sizeof *w;
	bytes += (size_t)w->nalloc * (sizeof *w->entries + sizeof *w->tally +
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
		bytes += similar_window_table_bytes(&t->grams);
		bytes += similar_bands_index_bytes(t->bands);
	}
	return bytes;
}
