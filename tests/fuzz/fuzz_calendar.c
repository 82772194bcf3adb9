/*
 * fuzz_calendar.c -- the holiday calendar (etc/holidays-cn.txt, workdays.c),
 * then a due date counted through it.
 */
#include "config.h"

#include <stdlib.h>

#include "liaison.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct workdays *w;
	char *cause = NULL;

	w = workdays_load(fuzz_file(data, size), &cause);
	if (w == NULL && cause == NULL)
		abort();
	if (w != NULL)
		(void)workdays_due(w, 1795752000, 15);
	workdays_free(w);
	free(cause);
	return 0;
}
