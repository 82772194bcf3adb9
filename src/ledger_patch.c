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

/* Take out the issue id (a "gone" one), if l holds it: 1 if it did. */
static int
ledger_patch_remove(struct ledger *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->nissues; i++)
		if (strcmp(l->issues[i].id, id) == 0) {
			if (l->tally != NULL)
				ledger_tally_issue(l, &l->issues[i], -1);
			ledger_issue_free(&l->issues[i]);
			memmove(&l->issues[i], &l->issues[i + 1],
			    (l->nissues - i - 1) * sizeof *l->issues);
			l->nissues--;
			return 1;
		}
	return 0;
}

/* Move the new issue is into d (a part's deferred rows). */
static void
ledger_patch_defer(struct ledger *d, struct ledger_issue *is)
{
	if (d->nissues + 2 > d->room) {
		d->room = 2 * d->room > d->nissues + 2 ? 2 * d->room :
		    d->nissues + 2;
		d->issues = xreallocarray(d->issues, d->room,
		    sizeof *d->issues);
	}
	d->issues[d->nissues++] = *is;
	memset(&d->issues[d->nissues], 0, sizeof *d->issues);
	memset(is, 0, sizeof *is);
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
	ledger_patch_part(l, ch, gone, ngone, NULL);
}

/*
 * The same for one part of a catch-up read in several (ledger_cache.c),
 * defer not NULL: a new issue older than l's newest (one changed again
 * after it was filed comes later in the change index) is moved to defer,
 * not added, so that l is sorted once, by the last part (ledger_patch,
 * with defer's issues among its rows), not once a part: each sort of 10^5
 * rows, and the pages' indexes built again after it, cost the loop 100 ms.
 */
void
ledger_patch_part(struct ledger *l, struct ledger *ch, char *const *gone,
    size_t ngone, struct ledger *defer)
{
	struct ledger_issue *at;
	size_t i, n = l->nissues;
	int sorted = 1, moved = 0;

	/* New issues come in ch's order: sorted, they go at the end in
	 * order, and l keeps its order (and its pages' indexes). */
	ledger_sort(ch);
	/* Room doubled, not grown by each part: a catch-up is patched a
	 * reply at a time, and copying 10^5 rows for each cost 100 ms. */
	if (l->nissues + ch->nissues + 1 > l->room) {
		l->room = l->room * 2 > l->nissues + ch->nissues + 1 ?
		    l->room * 2 : l->nissues + ch->nissues + 1;
		l->issues = xreallocarray(l->issues, l->room,
		    sizeof *l->issues);
	}
	for (i = 0; i < ch->nissues; i++) {
		at = bsearch(&ch->issues[i], l->issues, n, sizeof *l->issues,
		    ledger_issue_cmp);
		if (at != NULL) {
			if (l->tally != NULL)
				ledger_tally_issue(l, at, -1);
			ledger_index_issue(l, (size_t)(at - l->issues), at, -1);
			ledger_issue_free(at);
			*at = ch->issues[i];
			if (l->tally != NULL)
				ledger_tally_issue(l, at, 1);
			ledger_index_issue(l, (size_t)(at - l->issues), at, 1);
			continue;
		}
		/* New issues are the newest: they go at the end. */
		if (l->nissues > 0 && ledger_issue_cmp(&l->issues[l->nissues -
		    1], &ch->issues[i]) > 0) {
			if (defer != NULL) {
				ledger_patch_defer(defer, &ch->issues[i]);
				continue;
			}
			sorted = 0;
		}
		l->issues[l->nissues] = ch->issues[i];
		if (l->tally != NULL)
			ledger_tally_issue(l, &l->issues[l->nissues], 1);
		ledger_index_issue(l, l->nissues, &l->issues[l->nissues], 1);
		l->nissues++;
	}
	memset(&l->issues[l->nissues], 0, sizeof *l->issues);
	ch->nissues = 0;
	for (i = 0; i < ngone; i++)
		if (ledger_patch_remove(l, gone[i]))
			moved = 1;
	if (!sorted) {
		ledger_sort(l);
		moved = 1;
	}
	/* The pages' indexes hold positions: built again as they are asked. */
	if (moved) {
		log_debug("ledger: the pages' indexes dropped (%s)", sorted ?
		    "an issue gone" : "an issue added in the middle");
		ledger_index_drop(l);
	}
	if (ch->carried_period != NULL)
		ledger_patch_tail(l, ch);
	ledger_memo_drop(l);
	l->now = 0;             /* to be scored again */
}
