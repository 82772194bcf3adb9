/*
 * token_cache.c -- who a token named when it was last looked up: its
 * SHA-256 (hex) to a role and an id, in a table of a fixed number of
 * slots that never grows (a token takes the slot its hash picks and
 * pushes out the one that was there), so a flood of tokens costs the
 * daemon no memory beyond the table.
 *
 * Nothing here is trusted on its own: a route that takes a remembered
 * identity has the store check the token again in the same script call
 * that writes (auth.c, workflow.lua submit), and every other answer waits
 * for a fresh lookup. Only hashes of tokens that named someone go in.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "liaison.h"

struct token_cache_slot {
	char hash[TOKEN_HASH_LEN + 1];  /* "" when free */
	int role;
	char id[TOKEN_CACHE_ID_MAX];
};

struct token_cache {
	struct token_cache_slot *slots;
	size_t size;
};

/* A table of size slots (at least one), empty. */
struct token_cache *
token_cache_new(size_t size)
{
	struct token_cache *tc = xcalloc(1, sizeof *tc);

	tc->size = size > 0 ? size : 1;
	tc->slots = xcalloc(tc->size, sizeof *tc->slots);
	return tc;
}

void
token_cache_free(struct token_cache *tc)
{
	if (tc == NULL)
		return;
	free(tc->slots);
	free(tc);
}

/* The slot hash belongs in: its first 8 hex digits pick it (SHA-256 is
 * uniform); a hash that is not hex lands in slot 0 and changes nothing. */
static struct token_cache_slot *
token_cache_slot(const struct token_cache *tc, const char *hash)
{
	char head[9];

	memcpy(head, hash, 8);
	head[8] = '\0';
	return &tc->slots[strtoul(head, NULL, 16) % tc->size];
}

/*
 * Copy the role and id remembered for hash into *role and id (idlen
 * bytes). Returns 0, or -1 when hash is not remembered (or the id does
 * not fit), leaving them untouched.
 */
int
token_cache_get(const struct token_cache *tc, const char *hash, int *role,
    char *id, size_t idlen)
{
	const struct token_cache_slot *s;

	if (strlen(hash) != TOKEN_HASH_LEN)
		return -1;
	s = token_cache_slot(tc, hash);
	if (strcmp(s->hash, hash) != 0 || strlen(s->id) >= idlen)
		return -1;
	*role = s->role;
	strcpy(id, s->id);
	return 0;
}

/* Remember that hash names role and id; an id too long is not kept. */
void
token_cache_put(struct token_cache *tc, const char *hash, int role,
    const char *id)
{
	struct token_cache_slot *s;

	if (strlen(hash) != TOKEN_HASH_LEN)
		return;
	s = token_cache_slot(tc, hash);
	if (strlen(id) >= sizeof s->id) {
		s->hash[0] = '\0';
		return;
	}
	strcpy(s->hash, hash);
	s->role = role;
	strcpy(s->id, id);
}

/* Forget hash, if it is remembered. */
void
token_cache_forget(struct token_cache *tc, const char *hash)
{
	struct token_cache_slot *s;

	if (strlen(hash) != TOKEN_HASH_LEN)
		return;
	s = token_cache_slot(tc, hash);
	if (strcmp(s->hash, hash) == 0)
		s->hash[0] = '\0';
}
