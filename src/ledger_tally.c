/*
 * ledger_tally.c -- a ledger's scorecards kept up to date as its rows
 * change, so that bringing a held ledger of a large period up to date
 * (ledger_patch.c) costs the daemon the issues changed, not the period's
 * 10^5. The counts are ledger.c's (ledger_count_task, one rule in one
 * place): a changed issue's tasks and ratings are taken away as they were
 * counted and added as they are now. A task shared by a common group
 * counts once however many issues carry it: the tally holds each task
 * once, by id, with the number of issues carrying it. Time moves the
 * counts too (a task falls due, or overdue): each task's moments
 * (ledger_task_moments) wait in a heap, and moving the tally's time counts
 * again only the tasks whose moment came. test_ledger_tally holds it to a
 * scoring from scratch over random changes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "liaison.h"

/* One task as counted: its own copy of the fields the counts read. */
struct ledger_tally_task {
	struct ledger_task t;    /* id and state copied, the department its
	                          * scorecard's (NULL: none); no texts */
	size_t score;            /* its scorecard in l->scores; SIZE_MAX: none */
	int64_t at;              /* the time it was counted at */
	size_t refs;             /* issues carrying it; 0: not counted */
	unsigned version;        /* moves on when counted again */
};

/* A moment a task is to be counted again at (stale once it is). */
struct ledger_tally_moment {
	int64_t when;
	size_t task;
	unsigned version;
};

struct ledger_tally {
	const struct roster *roster;    /* the scorecards' */
	int64_t now;                    /* the time the counts are at */
	struct ledger_tally_task *tasks;
	size_t ntasks, cap;
	size_t *table;                  /* task index + 1 by id; 0: empty */
	size_t tablecap;                /* a power of two */
	struct ledger_tally_moment *heap;   /* soonest first */
	size_t nheap, heapcap;
	size_t last;                    /* the last task's scorecard */
};

struct ledger_tally *
ledger_tally_new(const struct roster *roster, int64_t now)
{
	struct ledger_tally *y = xcalloc(1, sizeof *y);

	y->roster = roster;
	y->now = now;
	y->tablecap = 64;
	y->table = xcalloc(y->tablecap, sizeof *y->table);
	y->last = SIZE_MAX;
	return y;
}

void
ledger_tally_free(struct ledger_tally *y)
{
	size_t i;

	if (y == NULL)
		return;
	for (i = 0; i < y->ntasks; i++) {
		free(y->tasks[i].t.id);
		free(y->tasks[i].t.state);
	}
	free(y->tasks);
	free(y->table);
	free(y->heap);
	free(y);
}

/* Are y's counts those of roster's scorecards, and now not before them? */
int
ledger_tally_fits(const struct ledger_tally *y, const struct roster *roster,
    int64_t now)
{
	return y->roster == roster && now >= y->now;
}

/* The table's slot of id: its task, or the empty slot it would take. */
static size_t *
ledger_tally_slot(struct ledger_tally *y, const char *id)
{
	size_t i = util_hash(id) & (y->tablecap - 1);

	while (y->table[i] != 0 &&
	    strcmp(y->tasks[y->table[i] - 1].t.id, id) != 0)
		i = (i + 1) & (y->tablecap - 1);
	return &y->table[i];
}

/* The task id, added (not counted) if new. */
static struct ledger_tally_task *
ledger_tally_find(struct ledger_tally *y, const char *id)
{
	size_t *slot, i, old = y->tablecap, *table = y->table;

	if (*(slot = ledger_tally_slot(y, id)) != 0)
		return &y->tasks[*slot - 1];
	if (2 * (y->ntasks + 1) > y->tablecap) {     /* at most half full */
		y->tablecap *= 2;
		y->table = xcalloc(y->tablecap, sizeof *y->table);
		for (i = 0; i < old; i++)
			if (table[i] != 0)
				*ledger_tally_slot(y,
				    y->tasks[table[i] - 1].t.id) = table[i];
		free(table);
		slot = ledger_tally_slot(y, id);
	}
	if (y->ntasks == y->cap) {
		y->cap = y->cap ? y->cap * 2 : 64;
		y->tasks = xreallocarray(y->tasks, y->cap, sizeof *y->tasks);
	}
	memset(&y->tasks[y->ntasks], 0, sizeof *y->tasks);
	y->tasks[y->ntasks].t.id = xstrdup(id);
	y->tasks[y->ntasks].score = SIZE_MAX;
	*slot = ++y->ntasks;
	return &y->tasks[y->ntasks - 1];
}

/* Add or take away (sign) the counts of task k as of its time. */
static void
ledger_tally_count(struct ledger *l, const struct ledger_tally_task *k,
    int sign)
{
	struct ledger_score d;

	if (k->score == SIZE_MAX)
		return;
	memset(&d, 0, sizeof d);
	ledger_count_task(&d, &k->t, k->at);
	ledger_add(&l->scores[k->score], &d, sign);
}

/* Is the heap's entry a sooner than b? */
static int
ledger_tally_sooner(const struct ledger_tally_moment *a,
    const struct ledger_tally_moment *b)
{
	return a->when < b->when;
}

/* Put the heap's entry i where it belongs, down from i. */
static void
ledger_tally_sift(struct ledger_tally *y, size_t i)
{
	struct ledger_tally_moment m;
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= y->nheap)
			return;
		if (c + 1 < y->nheap &&
		    ledger_tally_sooner(&y->heap[c + 1], &y->heap[c]))
			c++;
		if (!ledger_tally_sooner(&y->heap[c], &y->heap[i]))
			return;
		m = y->heap[i];
		y->heap[i] = y->heap[c];
		y->heap[c] = m;
		i = c;
	}
}

/* Is the moment still the task's (not counted again since, still carried)? */
static int
ledger_tally_live(const struct ledger_tally *y,
    const struct ledger_tally_moment *m)
{
	const struct ledger_tally_task *k = &y->tasks[m->task];

	return k->version == m->version && k->refs > 0;
}

/*
 * Drop the stale moments once they are most of the heap: a task changed
 * often leaves one set each time, and deadlines can be days away.
 */
static void
ledger_tally_compact(struct ledger_tally *y)
{
	size_t i, n = 0;

	for (i = 0; i < y->nheap; i++)
		if (ledger_tally_live(y, &y->heap[i]))
			y->heap[n++] = y->heap[i];
	y->nheap = n;
	for (i = n / 2; i-- > 0;)
		ledger_tally_sift(y, i);
}

/* Wait for the moment when to count task i again. */
static void
ledger_tally_push(struct ledger_tally *y, int64_t when, size_t i)
{
	struct ledger_tally_moment m;
	size_t at, up;

	if (y->nheap == y->heapcap && y->nheap > 4 * LEDGER_MOMENTS *
	    y->ntasks)
		ledger_tally_compact(y);
	if (y->nheap == y->heapcap) {
		y->heapcap = y->heapcap ? y->heapcap * 2 : 64;
		y->heap = xreallocarray(y->heap, y->heapcap, sizeof *y->heap);
	}
	m.when = when;
	m.task = i;
	m.version = y->tasks[i].version;
	at = y->nheap++;
	while (at > 0 && ledger_tally_sooner(&m, &y->heap[up = (at - 1) / 2])) {
		y->heap[at] = y->heap[up];
		at = up;
	}
	y->heap[at] = m;
}

/* Count task k as of the tally's time, and wait for its next moments. */
static void
ledger_tally_recount(struct ledger *l, struct ledger_tally_task *k)
{
	struct ledger_tally *y = l->tally;
	int64_t when[LEDGER_MOMENTS];
	int i;

	k->version++;
	k->at = y->now;
	ledger_tally_count(l, k, 1);
	l->counted++;
	if (k->score == SIZE_MAX)
		return;         /* not counted: no moment changes anything */
	ledger_task_moments(&k->t, when);
	for (i = 0; i < LEDGER_MOMENTS; i++)
		if (when[i] > y->now)
			ledger_tally_push(y, when[i], (size_t)(k - y->tasks));
}

/* The scorecard of department (the last one found is often it again). */
static size_t
ledger_tally_score(struct ledger *l, const char *department)
{
	struct ledger_tally *y = l->tally;
	const struct ledger_score *s;

	if (y->last != SIZE_MAX &&
	    strcmp(l->scores[y->last].department, department) == 0)
		return y->last;
	if ((s = ledger_score_find(l, department)) == NULL)
		return SIZE_MAX;
	return y->last = (size_t)(s - l->scores);
}

/* A copy of task t (the fields counted) into k. */
static void
ledger_tally_take(struct ledger *l, struct ledger_tally_task *k,
    const struct ledger_task *t)
{
	char *id = k->t.id;

	free(k->t.state);
	k->t = *t;
	k->t.id = id;
	k->t.state = xstrdup(t->state);
	k->t.claimant = k->t.response = k->t.resolution = k->t.overdue = NULL;
	/* the scorecard's own name: it lives as long as the tally */
	k->score = ledger_tally_score(l, t->department);
	k->t.department = k->score != SIZE_MAX ?
	    l->scores[k->score].department : NULL;
}

/*
 * Count the issue's category, ratings and tasks (sign 1), or take them
 * away as they were counted (-1, before the issue is replaced or goes).
 * A task carried by other issues too stays counted, as the copy read last.
 */
void
ledger_tally_issue(struct ledger *l, const struct ledger_issue *is, int sign)
{
	struct ledger_tally *y = l->tally;
	struct ledger_tally_task *k;
	size_t j;
	int c;

	if ((c = rules_category(is->category)) != -1)
		l->by_category[c] += sign > 0 ? 1u : -1u;
	ledger_count_ratings(l, is, sign);
	for (j = 0; j < is->ntasks; j++) {
		k = ledger_tally_find(y, is->tasks[j].id);
		if (k->refs > 0)
			ledger_tally_count(l, k, -1);
		if (sign > 0) {
			k->refs++;
			ledger_tally_take(l, k, &is->tasks[j]);
		} else if (k->refs > 0)
			k->refs--;
		if (k->refs > 0)
			ledger_tally_recount(l, k);
		else
			k->version++;   /* its moments are stale */
	}
}

/* Move the counts on to now (not before the tally's time). */
void
ledger_tally_advance(struct ledger *l, int64_t now)
{
	struct ledger_tally *y = l->tally;
	struct ledger_tally_moment m;
	struct ledger_tally_task *k;

	y->now = now;
	while (y->nheap > 0 && y->heap[0].when <= now) {
		m = y->heap[0];
		y->heap[0] = y->heap[--y->nheap];
		ledger_tally_sift(y, 0);
		if (!ledger_tally_live(y, &m))
			continue;
		k = &y->tasks[m.task];
		ledger_tally_count(l, k, -1);
		ledger_tally_recount(l, k);
	}
}
