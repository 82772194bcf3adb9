/*
 * fuzz_words.c -- the short words the API takes from anyone: periods,
 * credit codes, dates, digest weeks, task states, and the Sentinel
 * addresses of the configuration and of +switch-master messages.
 */
#include "config.h"

#include <stdlib.h>

#include "liaison.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sentinel_addr a, *list = NULL;
	struct period p;
	struct digest_week w;
	char *s = fuzz_string(data, size), expected[2];
	int64_t day;
	size_t n = 0;

	(void)period_parse(s, &p);
	(void)uscc_valid(s, expected);
	(void)fieldwork_date_parse(s, &day);
	(void)digest_week_parse(s, &w);
	(void)task_state_parse(s);
	(void)sentinel_addr_parse((const char *)data, size, &a);
	(void)sentinel_addr_from_switch((const char *)data, size, "liaison",
	    &a);
	(void)sentinel_addr_list(s, &list, &n);
	free(list);
	free(s);
	return 0;
}
