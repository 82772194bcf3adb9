/*
 * ledger.c -- the ledger (问题清单台账): a set of issues with their tasks, as
 * ledger.lua reads them, and each department's scorecard over them. The
 * public ledger, the digests and the spreadsheets all take their figures
 * from here, so that they never disagree.
 *
 * The definitions, over the tasks of the ledger's issues (a task shared by
 * a common group counts once):
 *   received           tasks routed to the department
 *   claimed on time    claimed by the claim deadline
 *   响应率 response     responded (or resolved) by the respond deadline,
 *                      over "response due": tasks responded (or resolved),
 *                      or still unanswered past the respond deadline. A
 *                      task received an hour ago is not counted against
 *                      it, nor a 退单 (not its work)
 *   办结率 resolution   resolved, over "due": resolved, or still open past
 *                      the resolve deadline (work not yet due is not counted
 *                      against it)
 *   满意率 satisfaction ratings 满意 or 基本满意, over the ratings: a rating
 *                      belongs to the departments whose resolution the
 *                      officer rated (the issue's ratings), the latest one
 *                      per issue and department; a department an issue is
 *                      re-routed to later starts clean
 * A task returned (退单) and then re-routed elsewhere stays in the issue's
 * record as its department's: counted in its received and returned.
 * A rate with nothing in its denominator is undefined (negative here, null
 * in JSON).
 *
 * The department score (SPEC §12), out of 100, and its rank:
 *   score = w1·响应率 + w2·办结率 + w3·满意率, weights [ledger] weights
 *   (adding up to 100). A rate a department has nothing to measure for
 *   counts as the zone's rate (the total's), so that a department with no
 *   ratings is neither helped nor harmed by it. A rate the zone has
 *   nothing to measure for either is left out, the other weights scaled
 *   up to 100; with no rate at all there is no score (null) and no rank.
 *   Rank 1 is the highest score; equal scores (to 0.1, as printed) share
 *   a rank and the next rank skips (1, 2, 2, 4).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "liaison.h"

/*
 * The definitions above as people read them: the one sentence the ledger
 * page and the leaders' digest print under the scorecards.
 */
const char ledger_rates_explained[] = "响应率 = 按期回应 ÷ 应回应（已回应，"
    "或已过回应期限；不含退单和尚未到期的）；办结率 = 已办结 ÷ 应办结（已办结，"
    "或已过办结期限）；满意率 =（满意 + 基本满意）÷ 已评价（评价归于被评价"
    "办结的部门）。";

/* The issue states the API takes and gives (the categories are rules.c's). */
const char *const issue_states[] = { "queued", "claimed", "responded",
    "resolved", "returned", "closed", NULL };

static const struct {
	const char *state;
	const char *zh;
} ledger_states[] = {
	{ "queued", "待认领" },
	{ "claimed", "已认领" },
	{ "responded", "已回应" },
	{ "resolved", "已办结" },
	{ "returned", "已退单" },
	{ "closed", "已销号" },
	{ NULL, NULL }
};

static const struct {
	const char *name;
	const char *zh;
} ledger_satisfactions[] = {
	{ "satisfied", "满意" },
	{ "basic", "基本满意" },
	{ "unsatisfied", "不满意" },
	{ NULL, NULL }
};

/*
 * Does a confirmation count as satisfied (满意率's numerator): 满意 or
 * 基本满意. The ledger's rates and the officers' performance ask here.
 */
int
ledger_satisfied(const char *satisfaction)
{
	return satisfaction != NULL && (strcmp(satisfaction, "satisfied") == 0 ||
	    strcmp(satisfaction, "basic") == 0);
}

/* The Chinese name of an issue or task state; the name itself if unknown. */
const char *
ledger_state_zh(const char *state)
{
	int i;

	for (i = 0; ledger_states[i].state != NULL; i++)
		if (strcmp(state, ledger_states[i].state) == 0)
			return ledger_states[i].zh;
	return state;
}

/* The Chinese word for a satisfaction; the name itself if unknown. */
const char *
ledger_satisfaction_zh(const char *name)
{
	size_t i;

	for (i = 0; ledger_satisfactions[i].name != NULL; i++) {
		if (strcmp(name, ledger_satisfactions[i].name) == 0)
			return ledger_satisfactions[i].zh;
	}
	return name;
}

/* --- reading ledger.lua's rows ------------------------------------------- */

/* A copy of field name of a flat hash; "" when absent. */
static char *
ledger_str(const redisReply *flat, const char *name)
{
	const char *v = util_reply_field(flat, name);

	return xstrdup(v != NULL ? v : "");
}

/* A time field in ms; 0 when absent or empty. */
static int64_t
ledger_ms(const redisReply *flat, const char *name)
{
	const char *v = util_reply_field(flat, name);

	return v != NULL && *v != '\0' ? strtoll(v, NULL, 10) : 0;
}

/* Fill t from a task's flat hash. */
static void
ledger_task_parse(struct ledger_task *t, const redisReply *flat)
{
	t->id = ledger_str(flat, "id");
	t->department = ledger_str(flat, "department");
	t->state = ledger_str(flat, "state");
	t->claimant = ledger_str(flat, "claimant");
	t->response = ledger_str(flat, "response");
	t->resolution = ledger_str(flat, "resolution");
	t->overdue = ledger_str(flat, "overdue");
	t->created = ledger_ms(flat, "created");
	t->deadline = ledger_ms(flat, "deadline");
	t->due_claim = ledger_ms(flat, "due_claim");
	t->due_respond = ledger_ms(flat, "due_respond");
	t->due_resolve = ledger_ms(flat, "due_resolve");
	t->claimed_at = ledger_ms(flat, "claimed_at");
	t->responded_at = ledger_ms(flat, "responded_at");
	t->resolved_at = ledger_ms(flat, "resolved_at");
	t->returned_at = ledger_ms(flat, "returned_at");
	t->extended = (int)ledger_ms(flat, "extended");
	t->past = util_reply_field(flat, "past") != NULL;
}

/* Fill is from an issue's flat hash and the array of its tasks' hashes. */
static void
ledger_issue_parse(struct ledger_issue *is, const redisReply *flat,
    const redisReply *tasks)
{
	const char *v = util_reply_field(flat, "difficult");
	size_t i;

	is->id = ledger_str(flat, "id");
	is->report = ledger_str(flat, "report");
	is->officer = ledger_str(flat, "officer");
	is->enterprise = ledger_str(flat, "enterprise");
	is->topic = ledger_str(flat, "topic");
	is->title = ledger_str(flat, "title");
	is->detail = ledger_str(flat, "detail");
	is->period = ledger_str(flat, "period");
	is->category = ledger_str(flat, "category");
	is->state = ledger_str(flat, "state");
	is->group = ledger_str(flat, "group");
	is->satisfaction = ledger_str(flat, "satisfaction");
	is->outcomes = ledger_str(flat, "outcomes");  /* fieldwork.lua's */
	is->ratings = ledger_str(flat, "ratings");
	is->difficult = v != NULL && strcmp(v, "1") == 0;
	is->created = ledger_ms(flat, "created");
	is->recurrence_of = ledger_str(flat, "recurrence_of");
	is->tasks = xcalloc(tasks->elements + 1, sizeof *is->tasks);
	for (i = 0; i < tasks->elements; i++) {
		if (tasks->element[i]->type != REDIS_REPLY_ARRAY)
			continue;
		ledger_task_parse(&is->tasks[is->ntasks++], tasks->element[i]);
	}
}

/* Ids are a letter and a number: the number. */
static long long
ledger_id_number(const char *id)
{
	return strtoll(id + (*id != '\0'), NULL, 10);
}

/* Compare two ids by their numbers. */
static int
ledger_id_cmp(const char *a, const char *b)
{
	long long x = ledger_id_number(a), y = ledger_id_number(b);

	return x < y ? -1 : x > y;
}

/* qsort: oldest issue first, then by id. */
int
ledger_issue_cmp(const void *a, const void *b)
{
	const struct ledger_issue *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return ledger_id_cmp(x->id, y->id);
}

/*
 * The LEDGER_PAST periods before period, oldest first, space-separated into
 * buf ("" when period is not one): the earlier points of /ledger's line.
 */
void
ledger_past_periods(const char *period, char *buf, size_t len)
{
	struct period p[LEDGER_PAST + 1];
	char name[PERIOD_LEN + 1];
	size_t i, off = 0;

	buf[0] = '\0';
	if (period_parse(period, &p[0]) == -1)
		return;
	for (i = 1; i <= LEDGER_PAST; i++)
		period_previous(&p[i - 1], &p[i]);
	for (i = LEDGER_PAST; i >= 1 && off < len; i--) {
		period_format(&p[i], name);
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    off > 0 ? " " : "", name);
	}
}

/* 'P:JSON' (JSON empty when P is not frozen) into l->past. */
static void
ledger_past_parse(struct ledger *l, const char *text)
{
	const char *colon = strchr(text, ':');
	struct ledger_past *p;

	if (colon == NULL || l->npast == LEDGER_PAST ||
	    (size_t)(colon - text) > PERIOD_LEN)
		return;
	p = &l->past[l->npast++];
	memcpy(p->period, text, (size_t)(colon - text));
	p->period[colon - text] = '\0';
	p->total = colon[1] != '\0' ? cJSON_Parse(colon + 1) : NULL;
}

/*
 * Keep of a frozen ledger's JSON (snapshot.c's) what the live ledger shows
 * of it: "snapshot": {"at", "departments", "total"} (SPEC §12).
 */
static void
ledger_snapshot_parse(struct ledger *l, const char *text)
{
	cJSON *frozen, *snap;

	if ((frozen = cJSON_Parse(text)) == NULL)
		return;
	snap = cJSON_CreateObject();
	cJSON_AddItemToObject(snap, "at", cJSON_DetachItemFromObject(frozen,
	    "frozen_at"));
	cJSON_AddItemToObject(snap, "departments",
	    cJSON_DetachItemFromObject(frozen, "departments"));
	cJSON_AddItemToObject(snap, "total", cJSON_DetachItemFromObject(frozen,
	    "total"));
	cJSON_Delete(frozen);
	cJSON_Delete(l->snapshot);
	l->snapshot = snap;
}

/*
 * Add the rows ledger.lua returns ({issue, {task, ...}} each) to l, which
 * must be sorted (ledger_sort) once the last rows are in. Returns how many
 * rows were added, or -1 when the reply is not such an array.
 */
int
ledger_add_rows(struct ledger *l, const redisReply *rows)
{
	const redisReply *row;
	size_t i;
	int n = 0;

	if (rows == NULL || rows->type != REDIS_REPLY_ARRAY)
		return -1;
	l->room = l->nissues + rows->elements + 1;
	l->issues = xreallocarray(l->issues, l->room, sizeof *l->issues);
	memset(&l->issues[l->nissues], 0, (rows->elements + 1) *
	    sizeof *l->issues);
	l->carried = xreallocarray(l->carried, l->ncarried + rows->elements + 1,
	    sizeof *l->carried);
	memset(&l->carried[l->ncarried], 0, (rows->elements + 1) *
	    sizeof *l->carried);
	for (i = 0; i < rows->elements; i++) {
		row = rows->element[i];
		/* 'snapshot:JSON': the period as frozen (issue 16). */
		if (row->type == REDIS_REPLY_STRING &&
		    strncmp(row->str, "snapshot:", 9) == 0) {
			ledger_snapshot_parse(l, row->str + 9);
			continue;
		}
		/* 'past:P:JSON': an earlier period's frozen total. */
		if (row->type == REDIS_REPLY_STRING &&
		    strncmp(row->str, "past:", 5) == 0) {
			ledger_past_parse(l, row->str + 5);
			continue;
		}
		/* 'carried:P': the rows after it are carried over (issue 16). */
		if (row->type == REDIS_REPLY_STRING &&
		    strncmp(row->str, "carried:", 8) == 0) {
			free(l->carried_period);
			l->carried_period = xstrdup(row->str + 8);
			continue;
		}
		if (row->type != REDIS_REPLY_ARRAY || row->elements != 2 ||
		    row->element[0]->type != REDIS_REPLY_ARRAY ||
		    row->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		if (l->carried_period != NULL) {
			ledger_issue_parse(&l->carried[l->ncarried++],
			    row->element[0], row->element[1]);
			continue;
		}
		ledger_issue_parse(&l->issues[l->nissues++], row->element[0],
		    row->element[1]);
		n++;
	}
	return n;
}

/* Put l's issues in their order, once all its rows are in. */
void
ledger_sort(struct ledger *l)
{
	size_t i, n = 0;

	if (l->nissues > 0)
		qsort(l->issues, l->nissues, sizeof *l->issues,
		    ledger_issue_cmp);
	/* Each issue once: a read in slices can meet an issue twice when one
	 * is stored between two slices with the same creation time. */
	for (i = 0; i < l->nissues; i++) {
		if (n > 0 && ledger_issue_cmp(&l->issues[n - 1],
		    &l->issues[i]) == 0) {
			ledger_issue_free(&l->issues[i]);
			continue;
		}
		l->issues[n++] = l->issues[i];
	}
	l->nissues = n;
	if (l->ncarried > 0)
		qsort(l->carried, l->ncarried, sizeof *l->carried,
		    ledger_issue_cmp);
}

/* An empty ledger, for ledger_add_rows. */
struct ledger *
ledger_new(void)
{
	struct ledger *l = xcalloc(1, sizeof *l);

	l->issues = xcalloc(1, sizeof *l->issues);
	l->room = 1;
	l->carried = xcalloc(1, sizeof *l->carried);
	return l;
}

/*
 * The ledger of the rows ledger.lua returns ({issue, {task, ...}} each), or
 * NULL when the reply is not such an array.
 */
struct ledger *
ledger_parse(const redisReply *rows)
{
	struct ledger *l;

	if (rows == NULL || rows->type != REDIS_REPLY_ARRAY)
		return NULL;
	l = ledger_new();
	ledger_add_rows(l, rows);
	ledger_sort(l);
	return l;
}

/* --- the scorecards ------------------------------------------------------ */

/* Return 1 if the task is queued, claimed or responded: still to do. */
int
ledger_task_open(const struct ledger_task *t)
{
	return strcmp(t->state, "queued") == 0 ||
	    strcmp(t->state, "claimed") == 0 ||
	    strcmp(t->state, "responded") == 0;
}

/* Is the task open and past the deadline of the stage it is in? */
int
ledger_task_overdue(const struct ledger_task *t, int64_t now)
{
	return ledger_task_open(t) && t->deadline != 0 && t->deadline <= now;
}

/* part over whole, or -1 (undefined) when whole is 0. */
static double
ledger_rate(unsigned part, unsigned whole)
{
	return whole == 0 ? -1.0 : (double)part / whole;
}

/*
 * A rate as people read it, on every page, sheet and mail: a percentage
 * with one decimal ("87.5%"), or "—" when it is undefined (< 0).
 */
void
ledger_rate_text(double rate, char *buf, size_t len)
{
	if (rate < 0)
		snprintf(buf, len, "—");
	else
		snprintf(buf, len, "%.1f%%", rate * 100.0);
}

/* A score (>= 0) in tenths, rounded as it is printed. */
static long
ledger_score_tenths(double score)
{
	return (long)(score * 10 + 0.5);
}

/*
 * A score as people read it: one decimal out of 100 ("87.5"), or "—" when
 * there is none (< 0).
 */
void
ledger_score_text(double score, char *buf, size_t len)
{
	long tenths = ledger_score_tenths(score);

	if (score < 0)
		snprintf(buf, len, "—");
	else
		snprintf(buf, len, "%ld.%ld", tenths / 10, tenths % 10);
}

/*
 * What the charts draw of a scorecard (/ledger's SVG, the digest's bars):
 * 响应率, 办结率, 满意率 and the score, each as a fraction of a full bar
 * (< 0: none) and as the text printed beside it.
 */
void
ledger_score_bars(const struct ledger_score *s, double values[LEDGER_BARS],
    char texts[LEDGER_BARS][32])
{
	int i;

	values[0] = s->response_rate;
	values[1] = s->resolution_rate;
	values[2] = s->satisfaction_rate;
	for (i = 0; i < 3; i++)
		ledger_rate_text(values[i], texts[i], sizeof texts[i]);
	values[3] = s->score < 0 ? -1 : s->score / 100;
	ledger_score_text(s->score, texts[3], sizeof texts[3]);
}

/* The score's rule in one sentence, with its weights (the page, the digest). */
void
ledger_score_explain(const int weights[LEDGER_WEIGHTS], char *buf,
    size_t len)
{
	snprintf(buf, len, "得分 = %d × 响应率 + %d × 办结率 + %d × 满意率"
	    "（满分 100）；某项率无可计算的，按全区该项率计；得分相同名次相同。",
	    weights[0], weights[1], weights[2]);
}

/* Compute a scorecard's three rates from its counts (see the top). */
static void
ledger_rates(struct ledger_score *s)
{
	s->response_rate = ledger_rate(s->responded_on_time, s->response_due);
	s->resolution_rate = ledger_rate(s->resolved, s->due);
	s->satisfaction_rate = ledger_rate(s->satisfied, s->rated);
}

/*
 * The moments at which a task's counts below change with time alone (an
 * open task's respond and resolve deadlines, the deadline of its stage):
 * between two of them ledger_count_task gives the same counts whatever now
 * is. 0: none. ledger_tally.c counts a task again when one of them comes.
 */
void
ledger_task_moments(const struct ledger_task *t,
    int64_t when[LEDGER_MOMENTS])
{
	int open = ledger_task_open(t);

	when[0] = open ? t->due_respond : 0;
	when[1] = open ? t->due_resolve : 0;
	when[2] = open ? t->deadline : 0;
}

/* Count one task (each task once) in its department's scorecard. */
void
ledger_count_task(struct ledger_score *s, const struct ledger_task *t,
    int64_t now)
{
	int claimed, responded, resolved;
	int64_t answered;

	resolved = strcmp(t->state, "resolved") == 0;
	responded = resolved || strcmp(t->state, "responded") == 0;
	claimed = responded || strcmp(t->state, "claimed") == 0;
	s->received++;
	if (t->extended > 0)
		s->extended++;
	if (strcmp(t->state, "returned") == 0)
		s->returned++;
	if (claimed) {
		s->claimed++;
		if (t->claimed_at != 0 && t->claimed_at <= t->due_claim)
			s->claimed_on_time++;
	}
	if (responded) {
		s->responded++;
		s->response_due++;
		answered = t->responded_at != 0 ? t->responded_at :
		    t->resolved_at;
		if (answered != 0 && answered <= t->due_respond)
			s->responded_on_time++;
	}
	if (resolved) {
		s->resolved++;
		s->due++;
		if (t->resolved_at != 0 && t->resolved_at <= t->due_resolve)
			s->resolved_on_time++;
	} else if (ledger_task_open(t)) {
		s->open++;
		if (!responded && t->due_respond != 0 && t->due_respond <= now)
			s->response_due++;
		if (t->due_resolve != 0 && t->due_resolve <= now)
			s->due++;
		if (ledger_task_overdue(t, now))
			s->overdue++;
	}
}

/* Add the counts of s to to, or take them away (sign -1). */
#define LEDGER_ADD(f) (to->f = sign > 0 ? to->f + s->f : to->f - s->f)
void
ledger_add(struct ledger_score *to, const struct ledger_score *s, int sign)
{
	LEDGER_ADD(received);
	LEDGER_ADD(returned);
	LEDGER_ADD(claimed);
	LEDGER_ADD(claimed_on_time);
	LEDGER_ADD(responded);
	LEDGER_ADD(responded_on_time);
	LEDGER_ADD(response_due);
	LEDGER_ADD(resolved);
	LEDGER_ADD(resolved_on_time);
	LEDGER_ADD(due);
	LEDGER_ADD(open);
	LEDGER_ADD(overdue);
	LEDGER_ADD(rated);
	LEDGER_ADD(satisfied);
	LEDGER_ADD(extended);
}
#undef LEDGER_ADD

/* Count one rating of department's resolution (sign -1: take it away). */
static void
ledger_count_rating(struct ledger *l, const char *department,
    const char *satisfaction, int sign)
{
	struct ledger_score *s = ledger_score_find(l, department), d;

	if (s == NULL)
		return;
	memset(&d, 0, sizeof d);
	d.rated = 1;
	d.satisfied = ledger_satisfied(satisfaction);
	ledger_add(s, &d, sign);
}

/*
 * Count the issue's ratings: its ratings map ({dept: satisfaction}, the
 * departments whose resolution was rated). Older data has only the
 * issue's satisfaction: it is counted for the departments of its current
 * tasks, as it was then. sign -1 takes them away (ledger_tally.c).
 */
void
ledger_count_ratings(struct ledger *l, const struct ledger_issue *is,
    int sign)
{
	cJSON *map, *r;
	size_t j;

	if (*is->ratings != '\0' &&
	    (map = cJSON_Parse(is->ratings)) != NULL) {
		cJSON_ArrayForEach(r, map) {
			if (cJSON_IsString(r) && r->string != NULL)
				ledger_count_rating(l, r->string,
				    r->valuestring, sign);
		}
		cJSON_Delete(map);
		return;
	}
	if (*is->satisfaction == '\0')
		return;
	for (j = 0; j < is->ntasks; j++)
		if (!is->tasks[j].past)
			ledger_count_rating(l, is->tasks[j].department,
			    is->satisfaction, sign);
}

/*
 * The score of s out of 100 against the zone's rates (see the top), or -1
 * when the zone has no rate to measure.
 */
static double
ledger_score_of(const struct ledger_score *s, const struct ledger_score *zone,
    const int weights[LEDGER_WEIGHTS])
{
	const double mine[LEDGER_WEIGHTS] = { s->response_rate,
	    s->resolution_rate, s->satisfaction_rate };
	const double zones[LEDGER_WEIGHTS] = { zone->response_rate,
	    zone->resolution_rate, zone->satisfaction_rate };
	double sum = 0;
	int i, weight = 0;

	for (i = 0; i < LEDGER_WEIGHTS; i++) {
		if (zones[i] < 0)
			continue;
		sum += weights[i] * (mine[i] >= 0 ? mine[i] : zones[i]);
		weight += weights[i];
	}
	return weight == 0 ? -1.0 : sum * 100.0 / weight;
}

/* Score every department and the zone, and rank the departments. */
static void
ledger_rank(struct ledger *l, const int weights[LEDGER_WEIGHTS])
{
	size_t i, j;
	long a, b;

	for (i = 0; i < LEDGER_WEIGHTS; i++)
		l->weights[i] = weights[i];
	for (i = 0; i < l->nscores; i++)
		l->scores[i].score = ledger_score_of(&l->scores[i], &l->total,
		    weights);
	l->total.score = ledger_score_of(&l->total, &l->total, weights);
	l->total.rank = 0;
	/* Ranks compare the scores as printed (one decimal). */
	for (i = 0; i < l->nscores; i++) {
		l->scores[i].rank = 0;
		if (l->scores[i].score < 0)
			continue;
		a = ledger_score_tenths(l->scores[i].score);
		l->scores[i].rank = 1;
		for (j = 0; j < l->nscores; j++) {
			b = ledger_score_tenths(l->scores[j].score);
			if (l->scores[j].score >= 0 && b > a)
				l->scores[i].rank++;
		}
	}
}

/*
 * Return the scorecard of department in l (as ledger_score filled it), or
 * NULL when l is NULL or has none for it.
 */
struct ledger_score *
ledger_score_find(const struct ledger *l, const char *department)
{
	size_t i;

	for (i = 0; l != NULL && i < l->nscores; i++)
		if (strcmp(l->scores[i].department, department) == 0)
			return &l->scores[i];
	return NULL;
}

/* Free the scorecards of l, leaving none. */
static void
ledger_scores_free(struct ledger *l)
{
	size_t i;

	for (i = 0; i < l->nscores; i++) {
		free(l->scores[i].department);
		free(l->scores[i].name);
	}
	free(l->scores);
	free(l->total.department);
	free(l->total.name);
	l->scores = NULL;
	l->nscores = 0;
}

/* New, empty scorecards of the roster's departments (file order). */
static void
ledger_scores_new(struct ledger *l, const struct roster *roster)
{
	struct ledger_score *s;
	size_t i;

	ledger_scores_free(l);
	memset(&l->total, 0, sizeof l->total);
	memset(l->by_category, 0, sizeof l->by_category);
	l->scores = xcalloc(roster->ndepartments + 1, sizeof *l->scores);
	for (i = 0; i < roster->ndepartments; i++) {
		s = &l->scores[roster->departments[i].order];
		s->department = xstrdup(roster->departments[i].id);
		s->name = xstrdup(roster->departments[i].name);
	}
	l->nscores = roster->ndepartments;
	l->total.department = xstrdup("");
	l->total.name = xstrdup(roster->zone_name);
}

/*
 * Fill the scorecards of the roster's departments (in the order of its
 * file, which is how the zone lists them) and the
 * counts by category, as of now (ms), and their scores and ranks with
 * the weights ([ledger] weights). Tasks of departments the roster no
 * longer has are left out. The counts are kept (ledger_tally.c): scored
 * again for the same roster, later, only what changed since is counted
 * again (ledger_patch.c's issues, the tasks whose moment came); else every
 * issue is counted afresh.
 */
void
ledger_score(struct ledger *l, const struct roster *roster,
    const int weights[LEDGER_WEIGHTS], int64_t now)
{
	struct ledger_score total;
	size_t i;

	ledger_memo_drop(l);
	if (l->tally == NULL || !ledger_tally_fits(l->tally, roster, now)) {
		ledger_scores_new(l, roster);
		ledger_tally_free(l->tally);
		l->tally = ledger_tally_new(roster, now);
		for (i = 0; i < l->nissues; i++)
			ledger_tally_issue(l, &l->issues[i], 1);
	} else
		ledger_tally_advance(l, now);
	l->now = now;
	memset(&total, 0, sizeof total);
	total.department = l->total.department;
	total.name = l->total.name;
	l->total = total;
	for (i = 0; i < l->nscores; i++) {
		ledger_rates(&l->scores[i]);
		ledger_add(&l->total, &l->scores[i], 1);
	}
	ledger_rates(&l->total);
	ledger_rank(l, weights);
}

/* --- the filter and the JSON --------------------------------------------- */

/* Does the issue pass the filter (NULL fields match anything)? */
int
ledger_issue_matches(const struct ledger_issue *is,
    const struct ledger_filter *f)
{
	size_t i;

	ledger_rows_examine(1);
	if (f == NULL)
		return 1;
	if (f->category != NULL && strcmp(is->category, f->category) != 0)
		return 0;
	if (f->state != NULL && strcmp(is->state, f->state) != 0)
		return 0;
	if (f->department == NULL)
		return 1;
	for (i = 0; i < is->ntasks; i++)
		if (strcmp(is->tasks[i].department, f->department) == 0)
			return 1;
	return 0;
}

/* Add rate to obj under name: a number, or null when undefined. */
static void
ledger_add_rate(cJSON *obj, const char *name, double rate)
{
	if (rate < 0)
		cJSON_AddNullToObject(obj, name);
	else    /* four decimals: 0.8571, not 0.8571428571428571 */
		cJSON_AddNumberToObject(obj, name,
		    (double)(long long)(rate * 10000 + 0.5) / 10000);
}

/* Add ms to obj under name as ISO 8601, or null when 0. */
static void
ledger_add_time(cJSON *obj, const char *name, int64_t ms)
{
	char when[32];

	if (ms == 0) {
		cJSON_AddNullToObject(obj, name);
		return;
	}
	util_time_iso8601(ms, when);
	cJSON_AddStringToObject(obj, name, when);
}

/* Add v to obj under name, or null when it is empty. */
static void
ledger_add_text(cJSON *obj, const char *name, const char *v)
{
	if (*v == '\0')
		cJSON_AddNullToObject(obj, name);
	else
		cJSON_AddStringToObject(obj, name, v);
}

/* Add the issue's ratings ({dept: satisfaction}) to obj, or null. */
static void
ledger_add_ratings(cJSON *obj, const struct ledger_issue *is)
{
	cJSON *map = *is->ratings != '\0' ? cJSON_Parse(is->ratings) : NULL;

	if (map == NULL || !cJSON_IsObject(map)) {
		cJSON_Delete(map);
		cJSON_AddNullToObject(obj, "ratings");
		return;
	}
	cJSON_AddItemToObject(obj, "ratings", map);
}

/* A scorecard as JSON. */
cJSON *
ledger_score_json(const struct ledger_score *s)
{
	cJSON *obj = cJSON_CreateObject();

	if (*s->department != '\0')
		cJSON_AddStringToObject(obj, "id", s->department);
	cJSON_AddStringToObject(obj, "name", s->name);
	cJSON_AddNumberToObject(obj, "received", s->received);
	cJSON_AddNumberToObject(obj, "returned", s->returned);
	cJSON_AddNumberToObject(obj, "claimed", s->claimed);
	cJSON_AddNumberToObject(obj, "claimed_on_time", s->claimed_on_time);
	cJSON_AddNumberToObject(obj, "responded", s->responded);
	cJSON_AddNumberToObject(obj, "responded_on_time",
	    s->responded_on_time);
	cJSON_AddNumberToObject(obj, "response_due", s->response_due);
	cJSON_AddNumberToObject(obj, "resolved", s->resolved);
	cJSON_AddNumberToObject(obj, "resolved_on_time", s->resolved_on_time);
	cJSON_AddNumberToObject(obj, "due", s->due);
	cJSON_AddNumberToObject(obj, "open", s->open);
	cJSON_AddNumberToObject(obj, "overdue", s->overdue);
	cJSON_AddNumberToObject(obj, "rated", s->rated);
	cJSON_AddNumberToObject(obj, "satisfied", s->satisfied);
	cJSON_AddNumberToObject(obj, "extended", s->extended);
	ledger_add_rate(obj, "response_rate", s->response_rate);
	ledger_add_rate(obj, "resolution_rate", s->resolution_rate);
	ledger_add_rate(obj, "satisfaction_rate", s->satisfaction_rate);
	/* The score out of 100 to one decimal, as printed; null: none. */
	if (s->score < 0)
		cJSON_AddNullToObject(obj, "score");
	else
		cJSON_AddNumberToObject(obj, "score",
		    ledger_score_tenths(s->score) / 10.0);
	if (*s->department != '\0') {
		if (s->rank == 0)
			cJSON_AddNullToObject(obj, "rank");
		else
			cJSON_AddNumberToObject(obj, "rank", s->rank);
	}
	return obj;
}

/* A task as the public sees it: no claimant (a person's name). */
static cJSON *
ledger_task_json(const struct ledger_task *t, int64_t now)
{
	cJSON *obj = cJSON_CreateObject();

	cJSON_AddStringToObject(obj, "id", t->id);
	cJSON_AddStringToObject(obj, "department", t->department);
	cJSON_AddStringToObject(obj, "state", t->state);
	cJSON_AddBoolToObject(obj, "overdue", ledger_task_overdue(t, now));
	cJSON_AddBoolToObject(obj, "past", t->past);
	ledger_add_time(obj, "created", t->created);
	ledger_add_time(obj, "deadline", t->deadline);
	ledger_add_time(obj, "claimed_at", t->claimed_at);
	ledger_add_time(obj, "responded_at", t->responded_at);
	ledger_add_time(obj, "resolved_at", t->resolved_at);
	ledger_add_time(obj, "returned_at", t->returned_at);
	ledger_add_text(obj, "response", t->response);
	ledger_add_text(obj, "resolution", t->resolution);
	return obj;
}

/* One issue of the public ledger as JSON. */
static cJSON *
ledger_issue_json(const struct ledger *l, const struct ledger_issue *is,
    const struct roster *roster, int show_enterprises)
{
	cJSON *obj = cJSON_CreateObject(), *tasks, *depts, *outcomes;
	const struct enterprise *e;
	const struct topic *tp;
	size_t j;

	cJSON_AddStringToObject(obj, "id", is->id);
	cJSON_AddStringToObject(obj, "period", is->period);
	cJSON_AddStringToObject(obj, "category", is->category);
	cJSON_AddStringToObject(obj, "state", is->state);
	cJSON_AddStringToObject(obj, "topic", is->topic);
	tp = roster_topic(roster, is->topic);
	cJSON_AddStringToObject(obj, "topic_name",
	    tp != NULL ? tp->name : is->topic);
	cJSON_AddStringToObject(obj, "title", is->title);
	if (show_enterprises) {
		cJSON_AddStringToObject(obj, "enterprise", is->enterprise);
		e = roster_enterprise(roster, is->enterprise);
		cJSON_AddStringToObject(obj, "enterprise_name",
		    e != NULL ? e->name : "");
	}
	ledger_add_text(obj, "group", is->group);
	ledger_add_text(obj, "satisfaction", is->satisfaction);
	ledger_add_text(obj, "recurrence_of",
	    is->recurrence_of != NULL ? is->recurrence_of : "");
	/* The outcomes recorded for it (SPEC §11), [] when none. */
	outcomes = is->outcomes != NULL && *is->outcomes != '\0' ?
	    cJSON_Parse(is->outcomes) : NULL;
	cJSON_AddItemToObject(obj, "outcomes", outcomes != NULL ?
	    outcomes : cJSON_CreateArray());
	ledger_add_time(obj, "created", is->created);
	depts = cJSON_AddArrayToObject(obj, "departments");
	tasks = cJSON_AddArrayToObject(obj, "tasks");
	ledger_add_ratings(obj, is);
	for (j = 0; j < is->ntasks; j++) {
		/* a task returned before a re-route: in the record only */
		if (!is->tasks[j].past)
			cJSON_AddItemToArray(depts, cJSON_CreateString(
			    is->tasks[j].department));
		cJSON_AddItemToArray(tasks,
		    ledger_task_json(&is->tasks[j], l->now));
	}
	return obj;
}

#define LEDGER_SCORES_PARTS 3

/* The scorecards' parts of an answer as trees: departments, total,
 * by_category. */
static void
ledger_scores_trees(const struct ledger *l, cJSON *part[LEDGER_SCORES_PARTS])
{
	size_t i;

	part[0] = cJSON_CreateArray();
	for (i = 0; i < l->nscores; i++)
		cJSON_AddItemToArray(part[0], ledger_score_json(&l->scores[i]));
	part[1] = ledger_score_json(&l->total);
	part[2] = cJSON_CreateObject();
	for (i = 0; i < CATEGORY_COUNT; i++)
		cJSON_AddNumberToObject(part[2], issue_categories[i],
		    l->by_category[i]);
}

/*
 * The scorecards into root: as trees, or (printed) as raw JSON printed
 * once per scoring and kept with the memo (dropped with it): readers who
 * vary the page or the filter get answers the memo does not hold, and each
 * one paid for every department's scorecard printed again (perf,
 * ledger_flood READER=vary: malloc and the doubles' printf and sscanf were
 * most of the loop's time), where its page is 10 rows.
 */
static void
ledger_add_scores(cJSON *root, struct ledger *l, int printed)
{
	static const char *const names[LEDGER_SCORES_PARTS] = {
	    "departments", "total", "by_category" };
	cJSON *part[LEDGER_SCORES_PARTS];
	int built = !printed || l->scores_text[0] == NULL;
	size_t i;

	if (built)
		ledger_scores_trees(l, part);
	for (i = 0; i < LEDGER_SCORES_PARTS; i++) {
		if (!printed) {
			cJSON_AddItemToObject(root, names[i], part[i]);
			continue;
		}
		if (built) {
			if ((l->scores_text[i] =
			    cJSON_PrintUnformatted(part[i])) == NULL)
				fatalx("out of memory");
			cJSON_Delete(part[i]);
		}
		if (cJSON_AddRawToObject(root, names[i], l->scores_text[i]) ==
		    NULL)
			fatalx("out of memory");
	}
}

/*
 * The public ledger: the scorecards, the counts by category and the issues
 * that pass the filter, a page of them (f->offset, f->limit: its rows
 * found by ledger_index.c, not by a walk of the period), and, for a
 * period's ledger, those of earlier periods still open ("carried_over",
 * each with "periods_open") and, when it is frozen, its "snapshot". Who reported an issue and its detail are
 * never shown; the enterprise only when show_enterprises is set.
 */
static cJSON *
ledger_json_build(struct ledger *l, const struct roster *roster,
    const struct ledger_filter *f, int show_enterprises, int printed)
{
	cJSON *root = cJSON_CreateObject(), *list, *obj;
	struct period mine, theirs;
	size_t i, pos, offset, limit;

	cJSON_AddStringToObject(root, "zone", roster->zone_name);
	ledger_add_time(root, "generated", l->now);
	ledger_add_scores(root, l, printed);

	list = cJSON_AddArrayToObject(root, "issues");
	/* No filter: every issue, unpaged. */
	offset = f != NULL ? f->offset : 0;
	limit = f != NULL ? f->limit : 0;
	for (i = 0; limit == 0 || i < limit; i++) {
		if ((pos = ledger_index_nth(l, f, offset + i)) == SIZE_MAX)
			break;
		cJSON_AddItemToArray(list, ledger_issue_json(l,
		    &l->issues[pos], roster, show_enterprises));
	}
	/* A frozen period: its figures as frozen (issue 16). */
	if (l->snapshot != NULL)
		cJSON_AddItemToObject(root, "snapshot",
		    cJSON_Duplicate(l->snapshot, 1));
	if (l->carried_period == NULL ||
	    period_parse(l->carried_period, &mine) == -1)
		return root;
	list = cJSON_AddArrayToObject(root, "carried_over");
	for (i = 0; i < l->ncarried; i++) {
		if (!ledger_issue_matches(&l->carried[i], f) ||
		    period_parse(l->carried[i].period, &theirs) == -1)
			continue;
		obj = ledger_issue_json(l, &l->carried[i], roster,
		    show_enterprises);
		cJSON_AddNumberToObject(obj, "periods_open",
		    governance_periods_open(&theirs, &mine));
		cJSON_AddItemToArray(list, obj);
	}
	return root;
}

cJSON *
ledger_json(struct ledger *l, const struct roster *roster,
    const struct ledger_filter *f, int show_enterprises)
{
	return ledger_json_build(l, roster, f, show_enterprises, 0);
}

/*
 * The same, its scorecards printed once per scoring (raw JSON: print it,
 * do not read it back): the public ledger's answers, many a second.
 */
cJSON *
ledger_json_printed(struct ledger *l, const struct roster *roster,
    const struct ledger_filter *f, int show_enterprises)
{
	return ledger_json_build(l, roster, f, show_enterprises, 1);
}

/* --- freeing ------------------------------------------------------------- */

/* Free what a task holds. */
static void
ledger_task_free(struct ledger_task *t)
{
	free(t->id);
	free(t->department);
	free(t->state);
	free(t->claimant);
	free(t->response);
	free(t->resolution);
	free(t->overdue);
}

/* Free what an issue and its tasks hold. */
void
ledger_issue_free(struct ledger_issue *is)
{
	size_t i;

	for (i = 0; i < is->ntasks; i++)
		ledger_task_free(&is->tasks[i]);
	free(is->tasks);
	free(is->id);
	free(is->report);
	free(is->officer);
	free(is->enterprise);
	free(is->topic);
	free(is->title);
	free(is->detail);
	free(is->period);
	free(is->category);
	free(is->state);
	free(is->group);
	free(is->satisfaction);
	free(is->recurrence_of);
	free(is->outcomes);
	free(is->ratings);
}

/* Free a ledger and everything it holds; NULL is fine. */
void
ledger_free(struct ledger *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nissues; i++)
		ledger_issue_free(&l->issues[i]);
	free(l->issues);
	for (i = 0; i < l->ncarried; i++)
		ledger_issue_free(&l->carried[i]);
	free(l->carried);
	free(l->carried_period);
	cJSON_Delete(l->snapshot);
	ledger_memo_drop(l);
	ledger_index_drop(l);
	for (i = 0; i < l->npast; i++)
		cJSON_Delete(l->past[i].total);
	ledger_scores_free(l);
	ledger_tally_free(l->tally);
	free(l);
}
