/*
 * digest_fieldwork.c -- the field work in the leaders' weekly digest (SPEC
 * §11): the week's visits, the officers with no visit to any of their
 * enterprises in visit_days, the enterprises not visited this quarter, and
 * the year's figures with summary_zh, as digest_fieldwork_collect.c
 * gathered them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"

void
digest_fieldwork_free(struct digest_fieldwork *fw)
{
	if (fw == NULL)
		return;
	free(fw->idle);
	free(fw->idle_days);
	free(fw->unvisited);
	free(fw);
}

/* The leaders' section: the week, the idle, the unvisited, the year. */
void
digest_fieldwork_zone(const struct digest_input *in, struct digest_doc *d)
{
	static const char *const ohead[] = { "指导员", "单位", "距上次走访" };
	static const char *const ehead[] = { "企业", "区域" };
	static const int onum[] = { 0, 0, 1 };
	const struct digest_fieldwork *fw = in->fieldwork;
	const char *cells[3];
	char line[512], days[32];
	size_t i;
	char *summary;

	if (fw == NULL)
		return;
	digest_doc_heading(d, "走访与工作成效");
	snprintf(line, sizeof line, "本周走访企业 %lld 次，收集意见建议 %lld "
	    "条，开展宣讲 %lld 场次。", (long long)fw->week.visits,
	    (long long)fw->week.suggestions, (long long)(fw->week.events[0] +
	    fw->week.events[1] + fw->week.events[2]));
	digest_doc_para(d, line);
	summary = figures_summary_zh(&fw->year);
	digest_doc_para(d, summary);
	free(summary);

	snprintf(line, sizeof line, "%d 天内未走访任何联系企业的指导员",
	    fw->visit_days);
	digest_doc_heading(d, line);
	if (digest_format_count(d, fw->nidle, "人") > 0) {
		digest_doc_table(d, ohead, 3, onum);
		for (i = 0; i < fw->nidle && i < DIGEST_ROWS_MAX; i++) {
			if (fw->idle_days[i] < 0)
				snprintf(days, sizeof days, "从未走访");
			else
				snprintf(days, sizeof days, "%lld 天",
				    (long long)fw->idle_days[i]);
			cells[0] = fw->idle[i]->name;
			cells[1] = fw->idle[i]->unit ? fw->idle[i]->unit : "";
			cells[2] = days;
			digest_doc_row(d, cells);
		}
		digest_doc_table_end(d);
		digest_format_omitted(in, d, fw->nidle);
	}

	digest_doc_heading(d, "本季度尚未走访的企业");
	if (digest_format_count(d, fw->nunvisited, "家") > 0) {
		digest_doc_table(d, ehead, 2, NULL);
		for (i = 0; i < fw->nunvisited && i < DIGEST_ROWS_MAX; i++) {
			cells[0] = fw->unvisited[i]->name;
			cells[1] = fw->unvisited[i]->area ?
			    fw->unvisited[i]->area : "";
			digest_doc_row(d, cells);
		}
		digest_doc_table_end(d);
		digest_format_omitted(in, d, fw->nunvisited);
	}
}
