/*
 * digest_format.c -- how the weekly digests write what their tables hold:
 * a time in the zone's offset, an age, the length of a list before its
 * table, and the line after a table cut at DIGEST_ROWS_MAX rows. digest.c
 * and digest_ledger.c both write with these; rates are ledger.c's
 * ledger_rate_text, the same on every page, sheet and mail.
 */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "liaison.h"

/*
 * After a table cut at DIGEST_ROWS_MAX rows: say how many rows were left
 * out and where the whole list is (a mail of thousands of rows helps no
 * one).
 */
void
digest_format_omitted(const struct digest_input *in, struct digest_doc *d,
    size_t total)
{
	char line[256];

	if (total <= DIGEST_ROWS_MAX)
		return;
	snprintf(line, sizeof line, "另有 %zu 项未列出，完整清单见 %s/ledger",
	    total - DIGEST_ROWS_MAX, in->public_url ? in->public_url : "");
	digest_doc_para(d, line);
}

/*
 * Say how long a list is, before its table: "无。" when it is empty, else
 * "共 N what：" (what: 人, 项 ...). Return n: 0 means no table follows.
 */
size_t
digest_format_count(struct digest_doc *d, size_t n, const char *what)
{
	char line[256];

	if (n == 0) {
		digest_doc_para(d, "无。");
		return 0;
	}
	snprintf(line, sizeof line, "共 %zu %s：", n, what);
	digest_doc_para(d, line);
	return n;
}

/* "11-28 17:00" in the digest's zone; "—" for no time. */
void
digest_format_time(const struct digest_input *in, int64_t ms, char *buf, size_t len)
{
	time_t t;
	struct tm tm;

	if (ms <= 0) {
		snprintf(buf, len, "—");
		return;
	}
	t = (time_t)(ms / 1000) + in->offset_s;
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%02d-%02d %02d:%02d", tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min);
}

/* An age such as "3天" or "5小时" (at least "1小时"). */
void
digest_format_age(int64_t from_ms, int64_t now_ms, char *buf, size_t len)
{
	int64_t h = (now_ms - from_ms) / 3600000;

	if (h >= 48)
		snprintf(buf, len, "%lld天", (long long)(h / 24));
	else
		snprintf(buf, len, "%lld小时", (long long)(h < 1 ? 1 : h));
}
