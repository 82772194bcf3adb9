/*
 * standalone.c -- a main for the fuzz targets when the compiler has no
 * libFuzzer (gcc): each file named, or each file in each directory named,
 * is given to LLVMFuzzerTestOneInput once. make check runs the seed corpora
 * this way, so the targets build and pass their seeds with any compiler.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "liaison.h"
#include "fuzz.h"

static int
standalone_one(const char *path)
{
	FILE *f;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = xreallocarray(buf, cap, 1);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	struct dirent *de;
	struct stat st;
	char path[4096];
	DIR *d;
	int i, runs = 0, bad = 0;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;        /* libFuzzer's flags */
		if (stat(argv[i], &st) == -1 || !S_ISDIR(st.st_mode)) {
			bad |= standalone_one(argv[i]);
			runs++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			perror(argv[i]);
			return 1;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", argv[i],
			    de->d_name);
			bad |= standalone_one(path);
			runs++;
		}
		closedir(d);
	}
	printf("%s: %d inputs run\n", argv[0], runs);
	return bad ? 1 : 0;
}
