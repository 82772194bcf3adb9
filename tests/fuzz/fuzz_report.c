/*
 * fuzz_report.c -- the report body (POST /api/v1/reports) as O001 sends
 * it: validate.c's object and fields, report.c's items and routing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "liaison.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	struct roster *roster = fuzz_roster();
	struct report_input *in;
	struct api_error e;

	cfg.max_items = 50;
	cfg.max_title = 100;
	cfg.max_detail = 2000;
	memset(&e, 0, sizeof e);
	in = report_parse((const char *)data, size, roster,
	    roster_officer(roster, "O001"), &cfg, 1795752000, &e);
	if (in == NULL && e.status == 0)
		abort();             /* refused without saying why */
	report_input_free(in);
	return 0;
}
