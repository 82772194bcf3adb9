/*
 * ledger_files_bench.c -- time the ledger's spreadsheets (ledger_xlsx.c,
 * ledger_csv.c) for a ledger of N rows (default 10^4) over the sample
 * roster, in one process, no Redis: what GET /api/v1/ledger.xlsx spends on
 * the daemon's loop once the rows are read. See docs/BENCHMARKS.md.
 *
 *   ledger_files_bench ROSTER [rows [runs]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "liaison.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const char *const states[] = { "queued", "claimed", "responded",
    "resolved", "resolved" };
static const char *const categories[] = { "individual", "common",
    "difficult" };

/* A ledger of n issues, one task each, spread over the roster. */
static struct ledger *
make_ledger(const struct roster *r, size_t n, int64_t now)
{
	struct ledger *l = xcalloc(1, sizeof *l);
	struct ledger_issue *is;
	struct ledger_task *t;
	const struct officer *o;
	size_t i;

	l->issues = xcalloc(n, sizeof *l->issues);
	l->nissues = n;
	for (i = 0; i < n; i++) {
		is = &l->issues[i];
		o = &r->officers[i % r->nofficers];
		xasprintf(&is->id, "I%zu", i + 1);
		xasprintf(&is->report, "R%zu", i / 3 + 1);
		is->officer = xstrdup(o->id);
		is->enterprise = xstrdup(o->nenterprises ?
		    o->enterprises[i % o->nenterprises]->id : "");
		is->topic = xstrdup(r->topics[i % r->ntopics].id);
		xasprintf(&is->title, "普工缺口约%zu人，希望对接劳务资源", i % 90);
		xasprintf(&is->detail, "今年订单增加，东华园区%zu号厂区普工缺口较大，"
		    "影响正常生产，希望协调人社部门组织专场招聘会并对接劳务派遣资源。",
		    i % 40);
		is->period = xstrdup("2026-11-2");
		is->category = xstrdup(categories[i % 3]);
		is->state = xstrdup(states[i % 5]);
		is->group = xstrdup(i % 3 == 1 ? "G1" : "");
		is->satisfaction = xstrdup(i % 5 == 4 ? "satisfied" : "");
		is->created = now - (int64_t)(n - i) * 60000;
		is->tasks = xcalloc(1, sizeof *is->tasks);
		is->ntasks = 1;
		t = &is->tasks[0];
		xasprintf(&t->id, "T%zu", i + 1);
		t->department = xstrdup(r->topics[i % r->ntopics].departments[0]->id);
		t->state = xstrdup(states[i % 5]);
		t->claimant = xstrdup(i % 5 ? "王科长" : "");
		t->response = xstrdup(i % 5 >= 2 ? "已联系企业，正在协调" : "");
		t->resolution = xstrdup(i % 5 >= 3 ? "已组织专场招聘会，招到普工26人" : "");
		t->overdue = xstrdup("");
		t->created = is->created;
		t->due_claim = t->created + 86400000;
		t->due_respond = t->created + 5 * 86400000LL;
		t->due_resolve = t->created + 15 * 86400000LL;
		t->deadline = t->due_resolve;
		t->claimed_at = i % 5 ? t->created + 3600000 : 0;
		t->responded_at = i % 5 >= 2 ? t->created + 7200000 : 0;
		t->resolved_at = i % 5 >= 3 ? t->created + 86400000 : 0;
	}
	return l;
}

/* The default [ledger] weights. */
static const int weights[] = { 30, 35, 35 };

int
main(int argc, char **argv)
{
	size_t rows = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	int runs = argc > 3 ? atoi(argv[3]) : 5, i;
	double xt[64], ct[64], t0;
	struct roster *r;
	struct ledger *l;
	char *cause = NULL, *out;
	size_t xlen = 0, clen = 0;
	int64_t now;

	if (argc < 2 || runs < 1 || runs > 64) {
		fprintf(stderr, "usage: ledger_files_bench ROSTER [rows [runs]]\n");
		return 2;
	}
	xmalloc_init_cjson();
	if ((r = roster_load(argv[1], &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	setenv("TZ", r->timezone, 1);
	tzset();
	now = util_now_ms();
	l = make_ledger(r, rows, now);
	t0 = now_s();
	ledger_score(l, r, weights, now);
	printf("rows %zu, ledger_score %.1f ms\n", rows, (now_s() - t0) * 1e3);
	for (i = 0; i < runs; i++) {
		t0 = now_s();
		if (ledger_xlsx(l, r, NULL, "2026-11-2", NULL, &out, &xlen,
		    &cause) != 0) {
			fprintf(stderr, "%s\n", cause);
			return 1;
		}
		xt[i] = now_s() - t0;
		free(out);
		t0 = now_s();
		if (ledger_csv(l, r, NULL, &out, &clen) != 0)
			return 1;
		ct[i] = now_s() - t0;
		free(out);
	}
	qsort(xt, runs, sizeof xt[0], cmp_double);
	qsort(ct, runs, sizeof ct[0], cmp_double);
	printf("xlsx: median %.1f ms, min %.1f, max %.1f over %d runs; %zu bytes\n",
	    xt[runs / 2] * 1e3, xt[0] * 1e3, xt[runs - 1] * 1e3, runs, xlen);
	printf("csv:  median %.1f ms, min %.1f, max %.1f over %d runs; %zu bytes\n",
	    ct[runs / 2] * 1e3, ct[0] * 1e3, ct[runs - 1] * 1e3, runs, clen);
	ledger_free(l);
	roster_free(r);
	return 0;
}
