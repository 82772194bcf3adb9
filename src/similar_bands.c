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
 * Texts that all share one title share most bands: a bucket keeps at most
 * SIMILAR_BANDS_KEY_MAX entries, so that neither an add nor a match walks
 * the whole topic (a window of 10^5 such texts took over ten minutes to
 * load); an entry past it is found through its other bands.
 *
 * The index is an open-addressing table of (key, slot) pairs, 8 bytes
 * each, 40 to 80 % full (a key's place is its value scaled to the table,
 * so the size need not be a power of 2): most buckets hold one entry, so
 * a table of arrays would cost several times that. It is cut into 1,024
 * parts by the key's top bits, each growing on its own: one table of
 * 10^6 entries' pairs took 4.5 s to grow, in the event loop.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "liaison.h"

#define SIMILAR_BANDS_EMPTY UINT64_MAX

#define SIMILAR_BANDS_PART_MIN 16
#define SIMILAR_BANDS_PART_BITS 10      /* the index is 1,024 parts */
#define SIMILAR_BANDS_PARTS (1u << SIMILAR_BANDS_PART_BITS)

/* One part of the index: the keys whose top bits are its number. */
struct similar_bands_part {
	uint64_t *pairs;         /* key << 32 | slot, or SIMILAR_BANDS_EMPTY */
	uint32_t size;           /* places in pairs */
	uint32_t n;              /* pairs held */
};

struct similar_bands_index {
	struct similar_bands_part part[SIMILAR_BANDS_PARTS];
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

/* The part of x that holds key. */
static struct similar_bands_part *
similar_bands_part_of(struct similar_bands_index *x, uint32_t key)
{
	return &x->part[key >> (32 - SIMILAR_BANDS_PART_BITS)];
}

/* The place a key's run starts in a part of size places (its low bits). */
static uint32_t
similar_bands_part_home(uint32_t key, uint32_t size)
{
	return (uint32_t)(((uint64_t)(key << SIMILAR_BANDS_PART_BITS) *
	    size) >> 32);
}

/* The place after pos. */
static uint32_t
similar_bands_part_next(const struct similar_bands_part *p, uint32_t pos)
{
	return pos + 1 == p->size ? 0 : pos + 1;
}

/* Give p size empty places. */
static void
similar_bands_part_places(struct similar_bands_part *p, uint32_t size)
{
	p->size = size;
	p->pairs = xreallocarray(NULL, size, sizeof *p->pairs);
	memset(p->pairs, 0xff, (size_t)size * sizeof *p->pairs);
}

/*
 * Put pair in its place (the part has room) and return 0, or return -1
 * when its key already has SIMILAR_BANDS_KEY_MAX pairs: a band that many
 * entries share tells a match nothing, and a key's pairs are one run of
 * the table, which every put of the key would walk (near-identical titles
 * made loading a window quadratic).
 */
static int
similar_bands_part_put(struct similar_bands_part *p, uint64_t pair)
{
	uint32_t pos = similar_bands_part_home((uint32_t)(pair >> 32), p->size);
	uint32_t same = 0;

	while (p->pairs[pos] != SIMILAR_BANDS_EMPTY) {
		if ((p->pairs[pos] >> 32) == (pair >> 32) &&
		    ++same >= SIMILAR_BANDS_KEY_MAX)
			return -1;
		pos = similar_bands_part_next(p, pos);
	}
	p->pairs[pos] = pair;
	return 0;
}

/*
 * Rebuild p with room for its pairs at half full (at least
 * SIMILAR_BANDS_PART_MIN places), keeping only the pairs whose slot keep
 * says yes to (keep NULL: all).
 */
static void
similar_bands_part_rebuild(struct similar_bands_part *p,
    int (*keep)(uint32_t, void *), void *arg)
{
	uint64_t *old = p->pairs;
	uint32_t oldsize = p->size, i, n = 0;

	for (i = 0; i < oldsize; i++) {
		if (old[i] != SIMILAR_BANDS_EMPTY &&
		    (keep == NULL || keep((uint32_t)old[i], arg)))
			old[n++] = old[i];
	}
	similar_bands_part_places(p, n * 2 > SIMILAR_BANDS_PART_MIN ? n * 2 :
	    SIMILAR_BANDS_PART_MIN);
	p->n = 0;
	for (i = 0; i < n; i++) {
		if (similar_bands_part_put(p, old[i]) == 0)
			p->n++;
	}
	free(old);
}

/* Take the place pos of p out, moving later members of its run back. */
static void
similar_bands_part_delete(struct similar_bands_part *p, uint32_t pos)
{
	uint32_t next, home, size = p->size;

	p->pairs[pos] = SIMILAR_BANDS_EMPTY;
	next = similar_bands_part_next(p, pos);
	while (p->pairs[next] != SIMILAR_BANDS_EMPTY) {
		home = similar_bands_part_home(
		    (uint32_t)(p->pairs[next] >> 32), size);
		/* Move it back if pos lies between its home and next. */
		if ((next + size - home) % size >= (next + size - pos) % size) {
			p->pairs[pos] = p->pairs[next];
			p->pairs[next] = SIMILAR_BANDS_EMPTY;
			pos = next;
		}
		next = similar_bands_part_next(p, next);
	}
	p->n--;
}

/*
 * Return a new, empty index. Its parts start small and grow with it: an
 * index sized at once for its topic took 0.18 s to clear.
 */
struct similar_bands_index *
similar_bands_index_new(void)
{
	struct similar_bands_index *x;
	uint32_t i;

	x = xcalloc(1, sizeof *x);
	for (i = 0; i < SIMILAR_BANDS_PARTS; i++)
		similar_bands_part_places(&x->part[i], SIMILAR_BANDS_PART_MIN);
	return x;
}

/* Free an index; NULL is fine. */
void
similar_bands_index_free(struct similar_bands_index *x)
{
	uint32_t i;

	if (x == NULL)
		return;
	for (i = 0; i < SIMILAR_BANDS_PARTS; i++)
		free(x->part[i].pairs);
	free(x);
}

/*
 * Add the n keys of slot, each unless SIMILAR_BANDS_KEY_MAX slots have it
 * already; a part grows by half at 80 % full.
 */
void
similar_bands_index_add(struct similar_bands_index *x, const uint32_t *keys,
    size_t n, uint32_t slot)
{
	struct similar_bands_part *p;
	size_t i;

	for (i = 0; i < n; i++) {
		p = similar_bands_part_of(x, keys[i]);
		if ((uint64_t)(p->n + 1) * 5 > (uint64_t)p->size * 4)
			similar_bands_part_rebuild(p, NULL, NULL);
		if (similar_bands_part_put(p, (uint64_t)keys[i] << 32 |
		    slot) == 0)
			p->n++;
	}
}

/* Take the n keys of slot out (each once); a part shrinks at 20 % full. */
void
similar_bands_index_remove(struct similar_bands_index *x,
    const uint32_t *keys, size_t n, uint32_t slot)
{
	struct similar_bands_part *p;
	uint64_t pair;
	uint32_t pos;
	size_t i;

	for (i = 0; i < n; i++) {
		p = similar_bands_part_of(x, keys[i]);
		pair = (uint64_t)keys[i] << 32 | slot;
		pos = similar_bands_part_home(keys[i], p->size);
		while (p->pairs[pos] != SIMILAR_BANDS_EMPTY &&
		    p->pairs[pos] != pair)
			pos = similar_bands_part_next(p, pos);
		if (p->pairs[pos] == pair)
			similar_bands_part_delete(p, pos);
		if (p->size > SIMILAR_BANDS_PART_MIN && p->n < p->size / 5)
			similar_bands_part_rebuild(p, NULL, NULL);
	}
}

/*
 * Keep only the pairs whose slot keep(slot, arg) says yes to: one pass,
 * for taking many slots out at once (an expiry).
 */
void
similar_bands_index_filter(struct similar_bands_index *x,
    int (*keep)(uint32_t, void *), void *arg)
{
	uint32_t i;

	for (i = 0; i < SIMILAR_BANDS_PARTS; i++)
		similar_bands_part_rebuild(&x->part[i], keep, arg);
}

/*
 * Call fn(slot, arg) for every slot that has one of the n keys (a slot
 * once for each key it shares). The runs are asked for from memory all
 * at once: each is a cache miss in a table of up to a gigabyte.
 */
void
similar_bands_index_each(struct similar_bands_index *x,
    const uint32_t *keys, size_t n, void (*fn)(uint32_t, void *), void *arg)
{
	struct similar_bands_part *p[SIMILAR_BANDS];
	uint32_t pos[SIMILAR_BANDS];
	size_t i;

	if (n > SIMILAR_BANDS)
		n = SIMILAR_BANDS;
	for (i = 0; i < n; i++) {
		p[i] = similar_bands_part_of(x, keys[i]);
		pos[i] = similar_bands_part_home(keys[i], p[i]->size);
		__builtin_prefetch(&p[i]->pairs[pos[i]]);
	}
	for (i = 0; i < n; i++) {
		while (p[i]->pairs[pos[i]] != SIMILAR_BANDS_EMPTY) {
			if ((uint32_t)(p[i]->pairs[pos[i]] >> 32) == keys[i])
				fn((uint32_t)p[i]->pairs[pos[i]], arg);
			pos[i] = similar_bands_part_next(p[i], pos[i]);
		}
	}
}

/* Return the bytes the index has allocated. */
size_t
similar_bands_index_bytes(const struct similar_bands_index *x)
{
	size_t bytes;
	uint32_t i;

	if (x == NULL)
		return 0;
	bytes = sizeof *x;
	for (i = 0; i < SIMILAR_BANDS_PARTS; i++)
		bytes += (size_t)x->part[i].size * sizeof(uint64_t);
	return bytes;
}
