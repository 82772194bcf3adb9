/*
 * fuzz_csv.c -- a roster sheet from Excel (csv_read.c: encodings,
 * delimiters, quoting; roster_csv_import.c: headers, cells, links). The
 * first byte picks the sheet; the sample sheets (etc/examples) stand for
 * the others.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "liaison.h"
#include "fuzz.h"

static const char *const fuzz_csv_files[ROSTER_CSV_NSHEETS] = {
	ETC_DIR "/examples/officers.csv",
	ETC_DIR "/examples/enterprises.csv",
	ETC_DIR "/examples/departments.csv",
	ETC_DIR "/examples/topics.csv",
	ETC_DIR "/examples/leaders.csv",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct csv_sheet *samples[ROSTER_CSV_NSHEETS];
	struct roster_csv_input in = { { NULL }, NULL, NULL, NULL };
	struct csv_sheet *sheet;
	char *cause = NULL, *json;
	int i, which;

	for (i = 0; i < ROSTER_CSV_NSHEETS; i++)
		if (samples[i] == NULL && (samples[i] =
		    csv_read_file(fuzz_csv_files[i], &cause)) == NULL) {
			fprintf(stderr, "fuzz: %s\n", cause);
			abort();
		}
	if (size < 1)
		return 0;
	which = data[0] % ROSTER_CSV_NSHEETS;
	sheet = csv_read_buffer("fuzz.csv", (const char *)data + 1, size - 1,
	    &cause);
	if (sheet == NULL) {
		if (cause == NULL)
			abort();
		free(cause);
		return 0;
	}
	for (i = 0; i < ROSTER_CSV_NSHEETS; i++)
		in.sheets[i] = i == which ? sheet : samples[i];
	json = roster_csv_import(&in, NULL, &cause);
	if (json == NULL && cause == NULL)
		abort();
	free(json);
	free(cause);
	csv_read_free(sheet);
	return 0;
}
