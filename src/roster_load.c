/*
 * roster_load.c -- the ways a roster comes in: a file (roster_load) or text
 * already in memory (roster_load_text). Both hand the JSON to roster_json.c,
 * which checks every field and builds the struct roster of roster.c; the
 * file's text is freed before the roster is built, because a province's
 * roster is 150 MB of JSON and its tree several times that.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison.h"

/* A roster file larger than this is refused before it is read. */
#define ROSTER_LOAD_MAX_FILE (1024L * 1024 * 1024)

/*
 * Parse and validate len bytes of roster JSON at text; name is the file
 * name used in messages. Return a new roster (free with roster_free), or
 * NULL with *cause set to "NAME: entry: what is wrong" (caller frees).
 */
struct roster *
roster_load_text(const char *text, size_t len, const char *name, char **cause)
{
	struct cJSON *root;

	*cause = NULL;
	if ((root = roster_json_tree(text, len, name, cause)) == NULL)
		return NULL;
	return roster_json_build(root, name, cause);
}

/* Read the whole file at path into a new NUL-terminated buffer. */
static char *
roster_load_file(const char *path, size_t *len, char **cause)
{
	struct stat sb;
	char *text;
	size_t done = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (sb.st_size > ROSTER_LOAD_MAX_FILE) {
		xasprintf(cause, "%s: larger than %ld bytes", path,
		    ROSTER_LOAD_MAX_FILE);
		close(fd);
		return NULL;
	}
	text = xmalloc((size_t)sb.st_size + 1);
	while (done < (size_t)sb.st_size) {
		n = read(fd, text + done, (size_t)sb.st_size - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			xasprintf(cause, "%s: %s", path,
			    n == 0 ? "file shrank while read" :
			    strerror(errno));
			free(text);
			close(fd);
			return NULL;
		}
		done += (size_t)n;
	}
	close(fd);
	text[done] = '\0';
	*len = done;
	return text;
}

/*
 * Read and validate the roster file at path. Return a new roster (free with
 * roster_free), or NULL with *cause set (caller frees).
 */
struct roster *
roster_load(const char *path, char **cause)
{
	struct cJSON *root;
	char *text;
	size_t len;

	*cause = NULL;
	if ((text = roster_load_file(path, &len, cause)) == NULL)
		return NULL;
	root = roster_json_tree(text, len, path, cause);
	free(text);	/* the tree holds copies: no need to keep both */
	if (root == NULL)
		return NULL;
	return roster_json_build(root, path, cause);
}
