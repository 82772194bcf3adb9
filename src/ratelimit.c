/*
 * ratelimit.c -- requests per token (or per address: "unknown:ADDR",
 * "open:ADDR") and minute, counted in the daemon's memory. A fixed one-minute window: the table is emptied when the minute
 * changes, so it never holds more than one minute's tokens. Losing the counts
 * on restart is harmless, and keeping them out of Redis means a refused
 * request writes nothing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "liaison.h"
#include "daemon.h"

struct ratelimit_slot {
	char key[TOKEN_HASH_LEN + 1];   /* "" when free */
	int count;
};

struct ratelimit {
	time_t minute;
	struct ratelimit_slot *slots;
	size_t size;                    /* a power of two */
	size_t used;
};

struct ratelimit *
ratelimit_new(void)
{
	struct ratelimit *rl = xcalloc(1, sizeof *rl);

	rl->size = 256;
	rl->slots = xcalloc(rl->size, sizeof *rl->slots);
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->slots);
	free(rl);
}

static struct ratelimit_slot *
ratelimit_find(struct ratelimit_slot *slots, size_t size, const char *key)
{
	size_t i = util_hash(key) & (size - 1);

	while (slots[i].key[0] != '\0' && strcmp(slots[i].key, key) != 0)
		i = (i + 1) & (size - 1);
	return &slots[i];
}

static void
ratelimit_grow(struct ratelimit *rl)
{
	struct ratelimit_slot *old = rl->slots, *slot;
	size_t i, oldsize = rl->size;

	rl->size *= 2;
	rl->slots = xcalloc(rl->size, sizeof *rl->slots);
	for (i = 0; i < oldsize; i++) {
		if (old[i].key[0] == '\0')
			continue;
		slot = ratelimit_find(rl->slots, rl->size, old[i].key);
		*slot = old[i];
	}
	free(old);
}

/* Start a new table when the minute has changed. */
static void
ratelimit_tick(struct ratelimit *rl, time_t now)
{
	time_t minute = now / 60;

	if (minute != rl->minute) {
		memset(rl->slots, 0, rl->size * sizeof *rl->slots);
		rl->used = 0;
		rl->minute = minute;
	}
}

/*
 * Has key used up limit this minute? Returns 0 if not, else the seconds
 * until the next minute starts. Counts nothing (ratelimit_hit counts).
 */
int
ratelimit_over(struct ratelimit *rl, const char *key, int limit, time_t now)
{
	ratelimit_tick(rl, now);
	if (ratelimit_find(rl->slots, rl->size, key)->count < limit)
		return 0;
	return (int)(60 - now % 60);
}

/*
 * Count one request for key (a token hash). Returns 0 when it is within
 * limit per minute, else the seconds until the next minute starts.
 */
int
ratelimit_hit(struct ratelimit *rl, const char *key, int limit, time_t now)
{
	struct ratelimit_slot *slot;

	ratelimit_tick(rl, now);
	if ((rl->used + 1) * 2 > rl->size)
		ratelimit_grow(rl);
	slot = ratelimit_find(rl->slots, rl->size, key);
	if (slot->key[0] == '\0') {
		strncpy(slot->key, key, TOKEN_HASH_LEN);
		slot->key[TOKEN_HASH_LEN] = '\0';
		rl->used++;
	}
	if (slot->count >= limit)
		return (int)(60 - now % 60);
	slot->count++;
	return 0;
}
