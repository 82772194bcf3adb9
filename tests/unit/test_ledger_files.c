/*
 * test_ledger_files.c -- unit tests for ledger_csv.c and ledger_xlsx.c:
 * the ledger's rows, its CSV, and the column widths and wrapped lines of
 * the workbook.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "liaison.h"
#include "fixtures.h"

static void
test_ledger_xlsx_width_counts_cjk_as_two(void **state)
{
	assert_true(ledger_xlsx_width("") == 0);
	assert_true(ledger_xlsx_width("hr") == 2);
	assert_true(ledger_xlsx_width("人社局") == 6);
	assert_true(ledger_xlsx_width("用工（招聘）3人") == 15);
	assert_true(ledger_xlsx_width("长的一行\nab") == 8);
	/* capitals are wider than digits: a credit code must fit its column */
	assert_true(ledger_xlsx_width("91AB") == 4.5);
}

static void
test_ledger_xlsx_lines_wraps_within_the_column(void **state)
{
	/* 8 units hold four Chinese characters or eight others a line. */
	assert_true(ledger_xlsx_lines("", 8) == 1);
	assert_true(ledger_xlsx_lines("人社局", 8) == 1);
	assert_true(ledger_xlsx_lines("人力资源", 8) == 1);
	assert_true(ledger_xlsx_lines("人力资源和社会保障局", 8) == 3);
	assert_true(ledger_xlsx_lines("abcdefgh", 8) == 1);
	assert_true(ledger_xlsx_lines("abcdefghi", 8) == 2);
	/* a wide character never splits, and never starts an empty line */
	assert_true(ledger_xlsx_lines("abcdefg人", 8) == 2);
	assert_true(ledger_xlsx_lines("人", 1) == 1);
	/* a newline is a line of its own */
	assert_true(ledger_xlsx_lines("一\n二\n三", 8) == 3);
	assert_true(ledger_xlsx_lines("一\n", 8) == 2);
	/* invalid UTF-8 counts as one narrow character a byte */
	assert_true(ledger_xlsx_lines("\xff\xfe\xfd", 2) == 2);
}

/* A ledger of two issues: one with two tasks, one with none. */
static struct ledger *
ledger_two(void)
{
	struct ledger *l = xcalloc(1, sizeof *l);
	struct ledger_issue *is;
	struct ledger_task *t;
	size_t i;

	l->issues = xcalloc(2, sizeof *l->issues);
	l->nissues = 2;
	for (i = 0; i < 2; i++) {
		is = &l->issues[i];
		xasprintf(&is->id, "I%zu", i + 1);
		is->report = xstrdup("R1");
		is->officer = xstrdup("O001");
		is->enterprise = xstrdup("91340800PN4Y1KAC63");
		is->topic = xstrdup("hiring");
		is->title = xstrdup(i ? "无任务" : "普工缺口, \"急\"");
		is->detail = xstrdup(i ? "=HYPERLINK(\"http://x\")" :
		    "第一行\n第二行");
		is->period = xstrdup("2026-11-2");
		is->category = xstrdup(i ? "difficult" : "individual");
		is->state = xstrdup("queued");
		is->group = xstrdup("");
		is->satisfaction = xstrdup(i ? "" : "basic");
		is->ratings = xstrdup("");
		is->created = 1764230400000LL;	/* 2025-11-27 16:00 +08:00 */
	}
	is = &l->issues[0];
	is->tasks = xcalloc(2, sizeof *is->tasks);
	is->ntasks = 2;
	for (i = 0; i < 2; i++) {
		t = &is->tasks[i];
		xasprintf(&t->id, "T%zu", i + 1);
		t->department = xstrdup(i ? "econ" : "hr");
		t->state = xstrdup("claimed");
		t->claimant = xstrdup("王");
		t->response = xstrdup("");
		t->resolution = xstrdup("");
		t->overdue = xstrdup("");
		t->claimed_at = is->created + 90000;
	}
	return l;
}

/*
 * The printed pages' header: the zone and the document, centred at 9 pt;
 * '&' doubled, a leading digit kept apart from the font size, and a zone
 * name too long for Excel's 255 cut between whole characters.
 */
static void
test_ledger_xlsx_header_text_is_safe_for_excel(void **state)
{
	char buf[256], zone[400];
	size_t i;

	(void)state;
	ledger_xlsx_header_text("安庆经开区", "问题清单台账", buf, sizeof buf);
	assert_string_equal(buf, "&C&9安庆经开区问题清单台账");
	ledger_xlsx_header_text("A&B园区", "联系服务台账", buf, sizeof buf);
	assert_string_equal(buf, "&C&9A&&B园区联系服务台账");
	ledger_xlsx_header_text("3号园区", "问题清单台账", buf, sizeof buf);
	assert_string_equal(buf, "&C&9 3号园区问题清单台账");
	for (i = 0; i + 3 < sizeof zone; i += 3)
		memcpy(zone + i, "区", 3);
	zone[i] = '\0';
	ledger_xlsx_header_text(zone, "问题清单台账", buf, sizeof buf);
	assert_true(strlen(buf) < sizeof buf);
	assert_true(utf8_valid(buf, strlen(buf)));
	assert_true(strlen(buf) > 240);
	assert_string_equal(buf + strlen(buf) - strlen("问题清单台账"),
	    "问题清单台账");
}

static void
test_ledger_csv_quotes_cells_and_keeps_departments_apart(void **state)
{
	struct roster *r;
	struct ledger *l;
	char *out;
	size_t len;

	r = fixture_roster();
	l = ledger_two();
	ledger_score(l, r, fixture_weights, l->issues[0].created + 1000);
	assert_int_equal(ledger_csv(l, r, NULL, &out, &len), 0);
	assert_memory_equal(out, "\xef\xbb\xbf\"类别\",\"问题编号\"", 26);
	assert_non_null(strstr(out, "\"个性\",\"I1\",\"2026-11-2\",\"2025-11-27 16:00\","
	    "\"熊玉\",\"安庆锦华食品有限公司\",\"91340800PN4Y1KAC63\",\"用工招聘\","
	    "\"普工缺口, \"\"急\"\"\",\"第一行\n第二行\""));
	assert_non_null(strstr(out, "\"经济发展局\",\"T2\",\"已认领\",\"王\","
	    "\"2025-11-27 16:01\""));
	assert_non_null(strstr(out, "\"疑难\",\"I2\""));
	/* a formula someone typed stays text */
	assert_non_null(strstr(out, ",\"'=HYPERLINK(\"\"http://x\"\")\","));
	assert_null(strstr(out, ",\"=HYPERLINK"));
	assert_non_null(strstr(out, "\"基本满意\"\r\n"));
	free(out);
	assert_int_equal(ledger_csv(l, r, "econ", &out, &len), 0);
	assert_null(strstr(out, "\"T1\""));
	assert_null(strstr(out, "\"I2\""));	/* no task: admins only */
	assert_non_null(strstr(out, "\"T2\""));
	free(out);
	ledger_free(l);
	roster_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ledger_xlsx_width_counts_cjk_as_two),
		cmocka_unit_test(test_ledger_xlsx_lines_wraps_within_the_column),
		cmocka_unit_test(test_ledger_xlsx_header_text_is_safe_for_excel),
		cmocka_unit_test(test_ledger_csv_quotes_cells_and_keeps_departments_apart),
	};

	fixture_zone();
	xmalloc_init_cjson();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
