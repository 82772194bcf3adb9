/*
 * fuzz_fieldwork.c -- the bodies of POST /api/v1/visits, /events and
 * /outcomes as O001 sends them (fieldwork.c); the first byte picks one.
 */
#include "config.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "liaison.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roster *roster = fuzz_roster();
	const struct officer *o = roster_officer(roster, "O001");
	struct api_error e;
	cJSON *rec = NULL;

	if (size < 1)
		return 0;
	memset(&e, 0, sizeof e);
	switch (data[0] % 3) {
	case 0:
		rec = fieldwork_visit_parse((const char *)data + 1, size - 1,
		    roster, o, 1795752000, &e);
		break;
	case 1:
		rec = fieldwork_event_parse((const char *)data + 1, size - 1,
		    roster, o, 1795752000, &e);
		break;
	default:
		rec = fieldwork_outcome_parse((const char *)data + 1, size - 1,
		    roster, o, 1795752000, &e);
		break;
	}
	cJSON_Delete(rec);
	return 0;
}
