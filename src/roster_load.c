/*
 * roster_load.c -- the ways a roster comes in: a file (roster_load) or text
 * already in memory (roster_load_text). Both feed roster_stream.c, which
 * hands the JSON an entry at a time to roster_json.c, which checks every
 * field and builds the struct roster of roster.c. A file is read a piece at
 * a time: a province's roster is 150 MB of JSON, and it is never held
 * whole.
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
/* The piece of the file read and parsed at a time. */
#define ROSTER_LOAD_CHUNK (256 * 1024)

/*
 * Parse and validate len bytes of roster JSON at text; name is the file
 * name used in messages. Return a new roster (free with roster_free), or
 * NULL with *cause set to "NAME: entry: what is wrong" (caller frees).
 */
struct roster *
roster_load_text(const char *text, size_t len, const char *name, char **cause)
{
	struct roster_stream *rs = roster_stream_new(name);

	(void)roster_stream_feed(rs, text, len);
	return roster_stream_end(rs, NULL, cause);
}

/*
 * Feed the open file fd (path) to rs a piece at a time. Return 0, or -1
 * with *cause set when the file cannot be read (a bad text is the
 * stream's to tell).
 */
static int
roster_load_fd(int fd, const char *path, struct roster_stream *rs,
    char **cause)
{
	char *buf = xmalloc(ROSTER_LOAD_CHUNK);
	ssize_t n;

	for (;;) {
		n = read(fd, buf, ROSTER_LOAD_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			free(buf);
			return -1;
		}
		if (n == 0 || roster_stream_feed(rs, buf, (size_t)n) != 0)
			break;
	}
	free(buf);
	return 0;
}

/*
 * Read and validate the roster file at path. Return a new roster (free with
 * roster_free), or NULL with *cause set (caller frees). With rest, the
 * document less the enterprises' and officers' entries is handed over too
 * (roster_stream_end), and those entries are only read as JSON, not
 * checked (roster_stream_pass_over): the roster returned has none.
 */
struct roster *
roster_load_rest(const char *path, struct cJSON **rest, char **cause)
{
	struct roster_stream *rs;
	struct stat sb;
	char *why = NULL;
	int fd;

	*cause = NULL;
	if (rest != NULL)
		*rest = NULL;
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
	rs = roster_stream_new(path);
	if (rest != NULL)
		roster_stream_pass_over(rs);
	if (roster_load_fd(fd, path, rs, &why) != 0) {
		close(fd);
		roster_free(roster_stream_end(rs, NULL, cause));
		free(*cause);
		*cause = why;
		return NULL;
	}
	close(fd);
	return roster_stream_end(rs, rest, cause);
}

/* Read and validate the roster file at path (roster_load_rest). */
struct roster *
roster_load(const char *path, char **cause)
{
	return roster_load_rest(path, NULL, cause);
}
