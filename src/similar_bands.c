/*
 * similar_bands.c -- MinHash band signatures of similar.c's gram sets and
 * an index of them: the candidate step similar_window.c uses where walking
 * posting lists would cost too much (a topic of SIMILAR_WINDOW_BANDS_FROM
 * and more open issues).
 *
 * Band i of a gram set is the pair of its grams with the two smallest
 * values under the i-th hash function, keyed with i. Two sets of I shared
 * and U distinct grams in all share band i with probability
 * I(I-1) / (U(U-1)), about J^2 for their Jaccard similarity
 * J = D / (2 - D) at Dice D; they are candidates when they share any of
 * the SIMILAR_BANDS bands. For two texts of 31 grams (the dense bench) the
 * chance of finding a pair is 1 - (1 - p)^SIMILAR_BANDS: with 48 bands
 * 0.50 at Dice 0.22, 0.88 at 0.35, 0.997 at 0.5, 0.99999 at 0.6. Unrelated
 * texts share about 0.04 of 31 grams, so a band's bucket holds ~10^-6 of
 * the topic: the step's cost does not grow with the window until 10^6.
 *
 * The index is one open-addressing table of (key, slot) pairs, 8 bytes
 * each, 40 to 80 % full (a key's place is its value scaled to the table,
 * so the size need not be a power of 2): most buckets hold one entry, so
 * a table of arrays would cost several times that.
 */
#include "config.h"

#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "liaison.h"

#define SIMILAR_BANDS_EMPTY UINT64_MAX

#define SIMILAR_BANDS_INDEX_MIN 64
#define SIMILAR_BANDS_HUGE (2u << 20)   /* a huge page */

struct similar_bands_index {
	uint64_t *pairs;         /* key << 32 | slot, or SIMILAR_BANDS_EMPTY */
	uint32_t size;           /* places in pairs */
	uint32_t n;              /* pairs held */
};

/* murmur3's 32-bit finaliser: every input bit moves every output bit. */
static uint32_t
similar_bands_mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

/*
 * Write the SIMILAR_BANDS band keys of g (which has at least one gram)
 * into keys. Band i's hash of a gram is a multiply-shift of the gram's
 * mixed value by the i-th odd multiplier (from a fixed generator, so every
 * daemon and run agrees); its key mixes i with its two smallest grams (one
 * gram twice when the set has one).
 */
void
similar_bands(const struct similar_grams *g, uint32_t *keys)
{
	uint64_t mult[SIMILAR_BANDS], state = 0x9e3779b97f4a7c15ull, m;
	uint32_t lo[SIMILAR_BANDS], lo2[SIMILAR_BANDS];
	uint32_t arg[SIMILAR_BANDS], arg2[SIMILAR_BANDS], x, h;
	size_t i, j;

	for (i = 0; i < SIMILAR_BANDS; i++) {
		/* splitmix64: fixed, well-spread multipliers. */
		state += 0x9e3779b97f4a7c15ull;
		m = state;
		m = (m ^ (m >> 30)) * 0xbf58476d1ce4e5b9ull;
		m = (m ^ (m >> 27)) * 0x94d049bb133111ebull;
		mult[i] = (m ^ (m >> 31)) | 1;
		lo[i] = lo2[i] = UINT32_MAX;
		arg[i] = arg2[i] = g->v[0];
	}
	for (j = 0; j < g->n; j++) {
		x = similar_bands_mix(g->v[j]);
		for (i = 0; i < SIMILAR_BANDS; i++) {
			h = (uint32_t)((mult[i] * x) >> 32);
			if (h < lo[i]) {
				lo2[i] = lo[i];
				arg2[i] = arg[i];
				lo[i] = h;
				arg[i] = g->v[j];
			} else if (h < lo2[i]) {
				lo2[i] = h;
				arg2[i] = g->v[j];
			}
		}
	}
	for (i = 0; i < SIMILAR_BANDS; i++)
		keys[i] = similar_bands_mix(similar_bands_mix(arg[i] ^
		    similar_bands_mix((uint32_t)i + 1)) + arg2[i]);
}

/* The place a key's run starts in a table of size places. */
static uint32_t
similar_bands_index_home(uint32_t key, uint32_t size)
{
	return (uint32_t)(((uint64_t)key * size) >> 32);
}

/* The place after pos. */
static uint32_t
similar_bands_index_next(const struct similar_bands_index *x, uint32_t pos)
{
	return pos + 1 == x->size ? 0 : pos + 1;
}

/*
 * Return size empty places. A large table is asked for in huge pages:
 * every lookup is a random place in it, and with 4 kB pages each is a TLB
 * miss too (a page walk, twice over in a virtual machine).
 */
static uint64_t *
similar_bands_index_places(uint32_t size)
{
	size_t bytes = (size_t)size * sizeof(uint64_t);
	void *p;

	if (bytes >= SIMILAR_BANDS_HUGE &&
	    posix_memalign(&p, SIMILAR_BANDS_HUGE, bytes) == 0)
		(void)madvise(p, bytes, MADV_HUGEPAGE);	/* a hint only */
	else
		p = xreallocarray(NULL, size, sizeof(uint64_t));
	memset(p, 0xff, bytes);
	return p;
}

/*
 * Return a new, empty index with room for expect pairs at half full (an
 * index built at once then never grows on the way).
 */
struct similar_bands_index *
similar_bands_index_new(size_t expect)
{
	struct similar_bands_index *x;

	x = xcalloc(1, sizeof *x);
	x->size = SIMILAR_BANDS_INDEX_MIN;
	if (expect > SIMILAR_BANDS_INDEX_MIN / 2 && expect < UINT32_MAX / 2)
		x->size = (uint32_t)expect * 2;
	x->pairs = similar_bands_index_places(x->size);
	return x;
}

/* Free an index; NULL is fine. */
void
similar_bands_index_free(struct similar_bands_index *x)
{
	if (x == NULL)
		return;
	free(x->pairs);
	free(x);
}

/* Put pair in its place (the table has room). */
static void
similar_bands_index_put(struct similar_bands_index *x, uint64_t pair)
{
	uint32_t pos = similar_bands_index_home((uint32_t)(pair >> 32), x->size);

	while (x->pairs[pos] != SIMILAR_BANDS_EMPTY)
		pos = similar_bands_index_next(x, pos);
	x->pairs[pos] = pair;
}

/*
 * Rebuild the table with room for its pairs at half full (at least
 * SIMILAR_BANDS_INDEX_MIN places), keeping only the pairs whose slot keep
 * says yes to (keep NULL: all).
 */
static void
similar_bands_index_rebuild(struct similar_bands_index *x,
    int (*keep)(uint32_t, void *), void *arg)
{
	uint64_t *old = x->pairs;
	uint32_t oldsize = x->size, i, n = 0;

	for (i = 0; i < oldsize; i++) {
		if (old[i] != SIMILAR_BANDS_EMPTY &&
		    (keep == NULL || keep((uint32_t)old[i], arg)))
			old[n++] = old[i];
	}
	x->n = n;
	x->size = n * 2 > SIMILAR_BANDS_INDEX_MIN ? n * 2 :
	    SIMILAR_BANDS_INDEX_MIN;
	x->pairs = similar_bands_index_places(x->size);
	for (i = 0; i < n; i++)
		similar_bands_index_put(x, old[i]);
	free(old);
}

/* Add the n keys of slot; the table grows by half at 80 % full. */
void
similar_bands_index_add(struct similar_bands_index *x, const uint32_t *keys,
    size_t n, uint32_t slot)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((uint64_t)(x->n + 1) * 5 > (uint64_t)x->size * 4)
			similar_bands_index_rebuild(x, NULL, NULL);
		similar_bands_index_put(x, (uint64_t)keys[i] << 32 | slot);
		x->n++;
	}
}

/* Take the place pos out, moving later members of its run back. */
static void
similar_bands_index_delete(struct similar_bands_index *x, uint32_t pos)
{
	uint32_t next, home, size = x->size;

	x->pairs[pos] = SIMILAR_BANDS_EMPTY;
	next = similar_bands_index_next(x, pos);
	while (x->pairs[next] != SIMILAR_BANDS_EMPTY) {
		home = similar_bands_index_home(
		    (uint32_t)(x->pairs[next] >> 32), size);
		/* Move it back if pos lies between its home and next. */
		if ((next + size - home) % size >= (next + size - pos) % size) {
			x->pairs[pos] = x->pairs[next];
			x->pairs[next] = SIMILAR_BANDS_EMPTY;
			pos = next;
		}
		next = similar_bands_index_next(x, next);
	}
	x->n--;
}

/* Take the n keys of slot out (each once); shrink when mostly empty. */
void
similar_bands_index_remove(struct similar_bands_index *x,
    const uint32_t *keys, size_t n, uint32_t slot)
{
	uint64_t pair;
	uint32_t pos;
	size_t i;

	for (i = 0; i < n; i++) {
		pair = (uint64_t)keys[i] << 32 | slot;
		pos = similar_bands_index_home(keys[i], x->size);
		while (x->pairs[pos] != SIMILAR_BANDS_EMPTY &&
		    x->pairs[pos] != pair)
			pos = similar_bands_index_next(x, pos);
		if (x->pairs[pos] == pair)
			similar_bands_index_delete(x, pos);
	}
	if (x->size > SIMILAR_BANDS_INDEX_MIN && x->n < x->size / 5)
		similar_bands_index_rebuild(x, NULL, NULL);
}

/*
 * Keep only the pairs whose slot keep(slot, arg) says yes to: one pass,
 * for taking many slots out at once (an expiry).
 */
void
similar_bands_index_filter(struct similar_bands_index *x,
    int (*keep)(uint32_t, void *), void *arg)
{
	similar_bands_index_rebuild(x, keep, arg);
}

/*
 * Call fn(slot, arg) for every slot that has one of the n keys (a slot
 * once for each key it shares). The runs are asked for from memory all
 * at once: each is a cache miss in a table of up to a gigabyte.
 */
void
similar_bands_index_each(const struct similar_bands_index *x,
    const uint32_t *keys, size_t n, void (*fn)(uint32_t, void *), void *arg)
{
	uint32_t pos[SIMILAR_BANDS];
	size_t i;

	if (n > SIMILAR_BANDS)
		n = SIMILAR_BANDS;
	for (i = 0; i < n; i++) {
		pos[i] = similar_bands_index_home(keys[i], x->size);
		__builtin_prefetch(&x->pairs[pos[i]]);
	}
	for (i = 0; i < n; i++) {
		while (x->pairs[pos[i]] != SIMILAR_BANDS_EMPTY) {
			if ((uint32_t)(x->pairs[pos[i]] >> 32) == keys[i])
				fn((uint32_t)x->pairs[pos[i]], arg);
			pos[i] = similar_bands_index_next(x, pos[i]);
		}
	}
}

/* Return the bytes the index has allocated. */
size_t
similar_bands_index_bytes(const struct similar_bands_index *x)
{
	if (x == NULL)
		return 0;
	return sizeof *x + (size_t)x->size * sizeof *x->pairs;
}
