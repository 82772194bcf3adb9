/*
 * fuzz_config.c -- the configuration file (inih's reader, config.c's keys
 * and values).
 */
#include "config.h"

#include <stdlib.h>

#include "liaison.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c;
	char *cause = NULL;

	c = config_load(fuzz_file(data, size), &cause);
	if (c == NULL && cause == NULL)
		abort();
	config_free(c);
	free(cause);
	return 0;
}
