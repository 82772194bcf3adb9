/*
 * roster_items.c -- cJSON items made in a pool and given back all at once:
 * a roster entry (an enterprise, an officer) is a handful of items made,
 * read and dropped a million times over, in roster_stream.c (the daemon's
 * load) and roster_csv_import.c (liaisonctl's import). No malloc and no
 * free an item; cJSON_Delete never sees them. Items are linked with
 * cJSON's own calls (cJSON_AddItemToArray, cJSON_AddItemToObjectCS),
 * which allocate nothing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"

#define ROSTER_ITEMS_BLOCK 256   /* items a block */

/* Return a new item of the pool, zeroed, of type type (cJSON_String ...). */
cJSON *
roster_items_new(struct roster_items *pool, int type)
{
	size_t block = pool->n / ROSTER_ITEMS_BLOCK;
	cJSON *item;

	if (block == pool->nblocks) {
		pool->blocks = xreallocarray(pool->blocks, block + 1,
		    sizeof *pool->blocks);
		pool->blocks[block] = xcalloc(ROSTER_ITEMS_BLOCK,
		    sizeof **pool->blocks);
		pool->nblocks++;
	}
	item = &pool->blocks[block][pool->n++ % ROSTER_ITEMS_BLOCK];
	memset(item, 0, sizeof *item);
	item->type = type;
	return item;
}

/* Return a new string item of the pool referring to s (not copied). */
cJSON *
roster_items_string(struct roster_items *pool, const char *s)
{
	cJSON *item = roster_items_new(pool, cJSON_String | cJSON_IsReference);

	item->valuestring = (char *)s;
	return item;
}

/* Give every item of the pool back (its blocks are kept for the next). */
void
roster_items_reset(struct roster_items *pool)
{
	pool->n = 0;
}

/* Free the pool's blocks; the pool is then empty, to be used again. */
void
roster_items_free(struct roster_items *pool)
{
	size_t i;

	for (i = 0; i < pool->nblocks; i++)
		free(pool->blocks[i]);
	free(pool->blocks);
	memset(pool, 0, sizeof *pool);
}
