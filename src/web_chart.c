/*
 * web_chart.c -- the ledger's charts (SPEC §12) as inline SVG written by the
 * daemon: no JavaScript, no images to fetch, and nothing the page's CSP
 * (style-src 'self') refuses, since only SVG's own attributes are used.
 * The bars are horizontal, one group per department, so that they read on
 * a 360 px phone; every chart carries a <title> and an aria-label, and
 * each bar its figure as text beside it.
 *
 * The line is the zone's 办结率 over its last six periods: the earlier ones
 * as frozen (ledger.lua reads their totals with the ledger, so the page
 * costs no extra read), the last one live. 办结率 (resolved / due) is the
 * figure the zone answers for in 接诉即办, is measured the same way in every
 * period whatever its size, and is in every frozen total; a period not
 * frozen, or with nothing due, is a gap with "—".
 *
 * The figures are ledger.c's (the rates and the score); this file only
 * draws them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>

#include "liaison.h"
#include "daemon.h"

#define WEB_CHART_WIDTH 360         /* the viewBox: the page scales it */
#define WEB_CHART_LABEL 64          /* the bar's name, left of it */
#define WEB_CHART_BAR_MAX 230       /* a bar at 100 % */
#define WEB_CHART_BAR 12            /* a bar's height */
#define WEB_CHART_STEP 15           /* from one bar to the next */
#define WEB_CHART_NAME 20           /* the department's name above its bars */
#define WEB_CHART_GAP 8             /* between two departments */
#define WEB_CHART_LINE_HEIGHT 170   /* the line's viewBox */
#define WEB_CHART_LINE_LEFT 40      /* the plot: room for 100% on its left */
#define WEB_CHART_LINE_RIGHT 325   /* room for "100.0%" centred on the last */
#define WEB_CHART_LINE_TOP 20
#define WEB_CHART_LINE_BOTTOM 130

/* The bars of a department (ledger_score_bars): the three rates, the score. */
static const struct {
	const char *name;
	const char *fill;
} web_chart_bars[LEDGER_BARS] = {
	{ "响应率", "#2563eb" },
	{ "办结率", "#059669" },
	{ "满意率", "#d97706" },
	{ "得分", "#c8102e" },
};

/* One bar at y: its name, the bar (value 0 to 1; < 0: none) and text. */
static void
web_chart_bar(struct evbuffer *buf, int y, size_t which, double value,
    const char *text)
{
	int width = value < 0 ? 0 : (int)(value * WEB_CHART_BAR_MAX + 0.5);

	if (width > WEB_CHART_BAR_MAX)
		width = WEB_CHART_BAR_MAX;
	evbuffer_add_printf(buf, "<text x=\"0\" y=\"%d\" font-size=\"11\" "
	    "fill=\"#57606a\">%s</text>", y + WEB_CHART_BAR - 2,
	    web_chart_bars[which].name);
	evbuffer_add_printf(buf, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
	    "height=\"%d\" fill=\"#eef1f4\"/>", WEB_CHART_LABEL, y,
	    WEB_CHART_BAR_MAX, WEB_CHART_BAR);
	if (width > 0)
		evbuffer_add_printf(buf, "<rect class=\"bar\" x=\"%d\" y=\"%d\" "
		    "width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s %s"
		    "</title></rect>", WEB_CHART_LABEL, y, width, WEB_CHART_BAR,
		    web_chart_bars[which].fill, web_chart_bars[which].name,
		    text);
	evbuffer_add_printf(buf, "<text x=\"%d\" y=\"%d\" font-size=\"11\" "
	    "fill=\"#1f2328\">%s</text>", WEB_CHART_LABEL +
	    WEB_CHART_BAR_MAX + 4, y + WEB_CHART_BAR - 2, text);
}

/*
 * Each department's 响应率, 办结率, 满意率 and score (out of 100) as bars,
 * in the roster's order, as one <svg> with id "chart-scores".
 */
void
web_chart_scores(struct evbuffer *buf, const struct ledger *l)
{
	const struct ledger_score *s;
	double values[LEDGER_BARS];
	char texts[LEDGER_BARS][32];
	int y = 0, height;
	size_t i, j;

	height = (int)l->nscores * (WEB_CHART_NAME + LEDGER_BARS *
	    WEB_CHART_STEP + WEB_CHART_GAP);
	evbuffer_add_printf(buf, "<figure class=\"chart\"><svg id=\"chart-scores\" "
	    "class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
	    "aria-label=\"各部门响应率、办结率、满意率和得分\">"
	    "<title>各部门响应率、办结率、满意率和得分</title>",
	    WEB_CHART_WIDTH, height, WEB_CHART_WIDTH, height);
	for (i = 0; i < l->nscores; i++) {
		s = &l->scores[i];
		ledger_score_bars(s, values, texts);
		evbuffer_add_printf(buf, "<g data-department=\"");
		web_escape(buf, s->department);
		evbuffer_add_printf(buf, "\"><text x=\"0\" y=\"%d\" "
		    "font-size=\"13\" font-weight=\"600\" fill=\"#1f2328\">",
		    y + WEB_CHART_NAME - 6);
		web_escape(buf, s->name);
		if (s->rank != 0)
			evbuffer_add_printf(buf, "（第 %u 名）", s->rank);
		evbuffer_add_printf(buf, "</text>");
		y += WEB_CHART_NAME;
		for (j = 0; j < LEDGER_BARS; j++) {
			web_chart_bar(buf, y, j, values[j], texts[j]);
			y += WEB_CHART_STEP;
		}
		y += WEB_CHART_GAP;
		evbuffer_add_printf(buf, "</g>");
	}
	evbuffer_add_printf(buf, "</svg><figcaption class=\"muted\">条形长度为"
	    "百分比；得分满分 100。</figcaption></figure>\n");
}

/* A period "2026-11-2" as the line's label: "11月下" (its year in the title). */
static void
web_chart_period_label(const char *period, char *buf, size_t len)
{
	struct period p;

	if (period_parse(period, &p) == -1)
		snprintf(buf, len, "%s", period);
	else
		snprintf(buf, len, "%d月%s", p.month, p.half == 1 ? "上" : "下");
}

/*
 * The zone's 办结率 over the ledger's period and the LEDGER_PAST before it
 * (the page's third chart), as one <svg> with id "chart-periods": a point
 * and its figure per period, joined where both are known.
 */
void
web_chart_line(struct evbuffer *buf, const struct ledger *l)
{
	const int width = WEB_CHART_LINE_RIGHT - WEB_CHART_LINE_LEFT;
	const int height = WEB_CHART_LINE_BOTTOM - WEB_CHART_LINE_TOP;
	const char *period[LEDGER_PAST + 1];
	double rate[LEDGER_PAST + 1];
	char label[32], text[32];
	const cJSON *v;
	size_t i, n = 0;
	int x, y, pen = 0, grid;

	for (i = 0; i < l->npast; i++) {
		period[n] = l->past[i].period;
		v = cJSON_GetObjectItem(l->past[i].total, "resolution_rate");
		rate[n++] = cJSON_IsNumber(v) ? v->valuedouble : -1;
	}
	period[n] = l->carried_period != NULL ? l->carried_period : "";
	rate[n++] = l->total.resolution_rate;
	evbuffer_add_printf(buf, "<figure class=\"chart\"><svg id=\"chart-periods\" "
	    "class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
	    "aria-label=\"全区近 %zu 期办结率\"><title>全区近 %zu 期办结率"
	    "（%s 至 %s）</title>", WEB_CHART_WIDTH, WEB_CHART_LINE_HEIGHT,
	    WEB_CHART_WIDTH, WEB_CHART_LINE_HEIGHT, n, n, period[0],
	    period[n - 1]);
	/* the scale: 0, 50 and 100 % */
	for (grid = 0; grid <= 100; grid += 50) {
		y = WEB_CHART_LINE_BOTTOM - grid * height / 100;
		evbuffer_add_printf(buf, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		    "y2=\"%d\" stroke=\"#d0d7de\" stroke-width=\"1\"/>"
		    "<text x=\"%d\" y=\"%d\" font-size=\"11\" "
		    "text-anchor=\"end\" fill=\"#57606a\">%d%%</text>",
		    WEB_CHART_LINE_LEFT, y, WEB_CHART_LINE_RIGHT, y,
		    WEB_CHART_LINE_LEFT - 6, y + 4, grid);
	}
	/* the line, broken where a period has no figure */
	evbuffer_add_printf(buf, "<path class=\"line\" fill=\"none\" "
	    "stroke=\"#059669\" stroke-width=\"2\" d=\"");
	for (i = 0; i < n; i++) {
		if (rate[i] < 0) {
			pen = 0;
			continue;
		}
		x = WEB_CHART_LINE_LEFT + (int)(i * width / (n > 1 ? n - 1 : 1));
		y = WEB_CHART_LINE_BOTTOM - (int)(rate[i] * height + 0.5);
		evbuffer_add_printf(buf, "%s%d %d", pen ? " L" : (i > 0 ?
		    " M" : "M"), x, y);
		pen = 1;
	}
	evbuffer_add_printf(buf, "\"/>");
	/* each period: its point and figure, and its name below */
	for (i = 0; i < n; i++) {
		x = WEB_CHART_LINE_LEFT + (int)(i * width / (n > 1 ? n - 1 : 1));
		ledger_rate_text(rate[i], text, sizeof text);
		web_chart_period_label(period[i], label, sizeof label);
		evbuffer_add_printf(buf, "<g class=\"point\" data-period=\"");
		web_escape(buf, period[i]);
		evbuffer_add_printf(buf, "\">");
		if (rate[i] >= 0) {
			y = WEB_CHART_LINE_BOTTOM - (int)(rate[i] * height +
			    0.5);
			evbuffer_add_printf(buf, "<circle cx=\"%d\" cy=\"%d\" "
			    "r=\"4\" fill=\"#059669\"><title>", x, y);
			web_escape(buf, period[i]);
			evbuffer_add_printf(buf, " 办结率 %s</title></circle>",
			    text);
		} else
			y = WEB_CHART_LINE_BOTTOM;
		evbuffer_add_printf(buf, "<text x=\"%d\" y=\"%d\" "
		    "font-size=\"11\" text-anchor=\"middle\" "
		    "fill=\"#1f2328\">%s</text>", x, y - 8, text);
		evbuffer_add_printf(buf, "<text x=\"%d\" y=\"%d\" "
		    "font-size=\"11\" text-anchor=\"middle\" "
		    "fill=\"#57606a\">%s</text></g>", x,
		    WEB_CHART_LINE_BOTTOM + 18, label);
	}
	evbuffer_add_printf(buf, "</svg><figcaption class=\"muted\">全区办结率"
	    "（已办结 ÷ 已到办结期限）：往期按封存台账，本期为实时；"
	    "未封存或无到期任务的期次记为“—”。</figcaption></figure>\n");
}
