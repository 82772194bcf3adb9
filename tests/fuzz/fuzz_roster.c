/*
 * fuzz_roster.c -- the roster file (roster.json): roster_json.c's checks
 * and roster.c's indexes.
 */
#include "config.h"

#include <stdlib.h>

#include "liaison.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roster *r;
	char *cause = NULL;

	r = roster_load_text((const char *)data, size, "fuzz.json", &cause);
	if (r == NULL && cause == NULL)
		abort();             /* refused without saying why */
	roster_free(r);
	free(cause);
	return 0;
}
