/*
 * ledger_patch.c -- bring a period's ledger up to date with the rows of the
 * issues changed since it was read (ledger.lua's "changes"), so that a
 * change costs the daemon's copy one issue's read, not the period's.
 * ledger_cache.c keeps such copies. A scored ledger's counts follow each
 * row replaced, added or taken out (ledger_tally.c), so scoring it again
 * costs the changed issues, not the period, and gives the figures a whole
 * read gives; the indexes of its pages' filters follow too (ledger_index.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"

/* Take out the issue id (a "gone" one), if l holds it. */
static void
ledger_patch_remove(struct ledger *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->nissues; i++)
		if (strcmp(l->issues[i].id, id) == 0) {
			if (l->tally != NULL)
				ledger_tally_issue(l, &l->issues[i], -1);
			ledger_index_issue(l, i, &l->issues[i], -1);
			ledger_issue_free(&l->issues[i]);
			memmove(&l->issues[i], &l->issues[i + 1],
			    (l->nissues - i - 1) * sizeof *l->issues);
			l->nissues--;
			ledger_index_move(l, i, 0);
			return;
		}
}

/*
 * Put the new issue is in l where its order says: at the end, or (one
 * changed again after it was filed comes later in the change index)
 * before the newer ones, which move up one. Not a sort of l: that cost a
 * catch-up 100 ms at 10^5 issues, and the pages' indexes with it.
 */
static void
ledger_patch_insert(struct ledger *l, struct ledger_issue *is)
{
	size_t lo = 0, hi = l->nissues, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ledger_issue_cmp(&l->issues[mid], is) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&l->issues[lo + 1], &l->issues[lo], (l->nissues - lo) *
	    sizeof *l->issues);
	l->issues[lo] = *is;
	l->nissues++;
	if (lo + 1 < l->nissues)
		ledger_index_move(l, lo, 1);
	if (l->tally != NULL)
		ledger_tally_issue(l, &l->issues[lo], 1);
	ledger_index_issue(l, lo, &l->issues[lo], 1);
}

/* The period's tail (carry-over, snapshot, earlier totals) from ch's. */
static void
ledger_patch_tail(struct ledger *l, struct ledger *ch)
{
	size_t i;

	for (i = 0; i < l->ncarried; i++)
		ledger_issue_free(&l->carried[i]);
	free(l->carried);
	free(l->carried_period);
	l->carried = ch->carried;
	l->ncarried = ch->ncarried;
	l->carried_period = ch->carried_period;
	ch->carried = xcalloc(1, sizeof *ch->carried);
	ch->ncarried = 0;
	ch->carried_period = NULL;
	cJSON_Delete(l->snapshot);
	l->snapshot = ch->snapshot;
	ch->snapshot = NULL;
	for (i = 0; i < l->npast; i++)
		cJSON_Delete(l->past[i].total);
	memcpy(l->past, ch->past, sizeof l->past);
	l->npast = ch->npast;
	ch->npast = 0;
}

/*
 * Patch l (sorted, as ledger_sort leaves it) with ch, the rows read since
 * (each issue once), and gone, the ids of issues no longer stored: a row of
 * ch replaces the issue's row in l or is added; the tail is ch's when ch
 * has one (its read reached the end of the changes). The rows move from ch
 * to l; l must be scored again (its memo is dropped here; its counts are
 * kept up to date, and scoring moves them on to its time).
 */
void
ledger_patch(struct ledger *l, struct ledger *ch, char *const *gone,
    size_t ngone)
{
	struct ledger_issue *at;
	size_t i;

	ledger_sort(ch);        /* new issues in order: most go at the end */
	/* Room doubled, not grown by each part: a catch-up is patched a
	 * reply at a time, and copying 10^5 rows for each cost 100 ms. */
	if (l->nissues + ch->nissues + 1 > l->room) {
		l->room = l->room * 2 > l->nissues + ch->nissues + 1 ?
		    l->room * 2 : l->nissues + ch->nissues + 1;
		l->issues = xreallocarray(l->issues, l->room,
		    sizeof *l->issues);
	}
	for (i = 0; i < ch->nissues; i++) {
		at = bsearch(&ch->issues[i], l->issues, l->nissues,
		    sizeof *l->issues, ledger_issue_cmp);
		if (at == NULL) {
			ledger_patch_insert(l, &ch->issues[i]);
			continue;
		}
		if (l->tally != NULL)
			ledger_tally_issue(l, at, -1);
		ledger_index_issue(l, (size_t)(at - l->issues), at, -1);
		ledger_issue_free(at);
		*at = ch->issues[i];
		if (l->tally != NULL)
			ledger_tally_issue(l, at, 1);
		ledger_index_issue(l, (size_t)(at - l->issues), at, 1);
	}
	memset(&l->issues[l->nissues], 0, sizeof *l->issues);
	ch->nissues = 0;
	for (i = 0; i < ngone; i++)
		ledger_patch_remove(l, gone[i]);
	if (ch->carried_period != NULL)
		ledger_patch_tail(l, ch);
	ledger_memo_drop(l);
	l->now = 0;             /* to be scored again */
}
