/*
 * web_chart.c -- the ledger's charts (SPEC §12) as inline SVG written by the
 * daemon: no JavaScript, no images to fetch, and nothing the page's CSP
 * (style-src 'self') refuses, since only SVG's own attributes are used.
 * The bars are horizontal, one group per department, so that they read on
 * a 360 px phone; every chart carries a <title> and an aria-label, and
 * each bar its figure as text beside it.
 *
 * The figures are ledger.c's (the rates and the score); this file only
 * draws them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
