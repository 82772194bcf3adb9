/*
 * fuzz_roster.c -- the roster file (roster.json): roster_stream.c's reader
 * (yajl), roster_json.c's checks and roster.c's indexes. The text is read
 * whole, then again in pieces whose size the first byte picks: both reads
 * must give the same answer, as a file read a piece at a time must. Then
 * with the enterprises' and officers' entries passed over (an import's
 * --base): a roster good whole is good so, with none of them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "liaison.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roster_stream *rs;
	struct roster *r, *again;
	char *cause = NULL, *cause2 = NULL;
	size_t piece, at, n;

	r = roster_load_text((const char *)data, size, "fuzz.json", &cause);
	if (r == NULL && cause == NULL)
		abort();             /* refused without saying why */
	piece = size > 0 ? 1 + data[0] % 7 : 1;
	rs = roster_stream_new("fuzz.json");
	for (at = 0; at < size; at += n) {
		n = size - at < piece ? size - at : piece;
		if (roster_stream_feed(rs, (const char *)data + at, n) != 0)
			break;
	}
	again = roster_stream_end(rs, NULL, &cause2);
	if ((r == NULL) != (again == NULL) ||
	    (cause != NULL && strcmp(cause, cause2) != 0))
		abort();             /* the pieces changed the answer */
	if (r != NULL && (r->nenterprises != again->nenterprises ||
	    r->nofficers != again->nofficers))
		abort();
	roster_free(again);
	free(cause2);
	cause2 = NULL;
	rs = roster_stream_new("fuzz.json");
	roster_stream_pass_over(rs);
	(void)roster_stream_feed(rs, (const char *)data, size);
	again = roster_stream_end(rs, NULL, &cause2);
	if ((again == NULL && cause2 == NULL) || (r != NULL && again == NULL))
		abort();             /* passing over refused a good roster */
	if (again != NULL && (again->nenterprises != 0 ||
	    again->nofficers != 0))
		abort();
	roster_free(r);
	roster_free(again);
	free(cause);
	free(cause2);
	return 0;
}
