/*
 * fuzz.c -- helpers the fuzz targets share (fuzz.h).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison.h"
#include "fuzz.h"

char *
fuzz_string(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * One file per process, rewritten for each input: the parsers under test
 * read paths, and a file of their own keeps parallel runs apart.
 */
const char *
fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	FILE *f;

	if (*path == '\0')
		snprintf(path, sizeof path, "/tmp/liaison-fuzz.%ld",
		    (long)getpid());
	if ((f = fopen(path, "wb")) == NULL ||
	    (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror(path);
		abort();
	}
	return path;
}

struct roster *
fuzz_roster(void)
{
	static struct roster *roster;
	char *cause = NULL;

	if (roster == NULL &&
	    (roster = roster_load(ETC_DIR "/roster.json", &cause)) == NULL) {
		fprintf(stderr, "fuzz: %s\n", cause);
		abort();
	}
	return roster;
}
