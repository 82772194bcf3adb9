/*
 * ledger_memo.c -- answers already rendered from a scored ledger. The
 * public ledger (GET /api/v1/ledger) needs no token, so a flood of readers
 * would otherwise walk every issue of the period (filter, count, JSON) once
 * per request on the event loop, and the claims would wait behind them.
 * With the memo, a cached ledger costs one rendering per distinct query
 * until it is scored again (at most once a second) or replaced.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"

/* Distinct queries kept per ledger; beyond that the memo starts again. */
#define LEDGER_MEMO_MAX 16

struct ledger_memo {
	char *key;
	char *body;
	char *total;
	struct ledger_memo *next;
};

/* Forget every answer (l was scored again, or is freed). */
void
ledger_memo_drop(struct ledger *l)
{
	struct ledger_memo *m, *next;
	size_t i;

	for (m = l->memo; m != NULL; m = next) {
		next = m->next;
		free(m->key);
		free(m->body);
		free(m->total);
		free(m);
	}
	l->memo = NULL;
	l->nmemo = 0;
	for (i = 0; i < sizeof l->scores_text / sizeof *l->scores_text; i++) {
		cJSON_free(l->scores_text[i]);
		l->scores_text[i] = NULL;
	}
}

/* The answer rendered for key and its total, or NULL. */
const char *
ledger_memo_get(const struct ledger *l, const char *key, const char **total)
{
	const struct ledger_memo *m;

	for (m = l->memo; m != NULL; m = m->next)
		if (strcmp(m->key, key) == 0) {
			*total = m->total;
			return m->body;
		}
	return NULL;
}

/* Keep the answer body (and its total) rendered for key. */
void
ledger_memo_put(struct ledger *l, const char *key, const char *body,
    const char *total)
{
	struct ledger_memo *m;

	if (l->nmemo >= LEDGER_MEMO_MAX)
		ledger_memo_drop(l);
	m = xcalloc(1, sizeof *m);
	m->key = xstrdup(key);
	m->body = xstrdup(body);
	m->total = xstrdup(total);
	m->next = l->memo;
	l->memo = m;
	l->nmemo++;
}
