/*
 * atomic_write.c -- write a set of files all or nothing: each goes to a
 * private temporary file next to its target, and only when every one is
 * written and flushed are they renamed into place. A failure leaves no
 * file changed and no temporary file behind. One file may also be
 * written a piece at a time (atomic_file_open, _write, _commit or
 * _abort): a text too large to hold, such as a province's roster.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liaison.h"

/* Write len bytes of data to fd; return 0 or -1 with errno set. */
static int
atomic_write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, data, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A file being written (atomic_file_open): a temporary next to path. */
struct atomic_file {
	char *path;
	char *temp;
	int fd;
	int error;               /* errno of the first write that failed */
};

/* Refuse a path a rename would not replace; return 0 or -1 with *cause. */
static int
atomic_write_check(const char *path, char **cause)
{
	struct stat sb;

	if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		return -1;
	}
	return 0;
}

/* Make the temporary file of af; return 0 or -1 with *cause set. */
static int
atomic_file_create(struct atomic_file *af, char **cause)
{
	mode_t mask;

	/* Reading the umask sets it for a moment: liaisonctl is one thread. */
	mask = umask(0);
	umask(mask);
	xasprintf(&af->temp, "%s.XXXXXX", af->path);
	if ((af->fd = mkstemp(af->temp)) == -1) {
		xasprintf(cause, "%s: %s", af->path, strerror(errno));
		free(af->temp);
		af->temp = NULL;
		return -1;
	}
	if (fchmod(af->fd, 0666 & ~mask) == -1) {
		xasprintf(cause, "%s: %s", af->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Free af, its temporary file removed unless renamed. */
static void
atomic_file_free(struct atomic_file *af)
{
	if (af->fd != -1)
		close(af->fd);
	if (af->temp != NULL)
		unlink(af->temp);
	free(af->temp);
	free(af->path);
	free(af);
}

/*
 * Begin writing path: the text goes to a temporary file next to it, which
 * replaces it only at atomic_file_commit. Return it, or NULL with *cause
 * set (naming the file).
 */
struct atomic_file *
atomic_file_open(const char *path, char **cause)
{
	struct atomic_file *af;

	if (atomic_write_check(path, cause) != 0)
		return NULL;
	af = xcalloc(1, sizeof *af);
	af->path = xstrdup(path);
	af->fd = -1;
	if (atomic_file_create(af, cause) != 0) {
		atomic_file_free(af);
		return NULL;
	}
	return af;
}

/*
 * Append len bytes of data. Return 0, or -1 once a write has failed (the
 * commit then says why).
 */
int
atomic_file_write(struct atomic_file *af, const char *data, size_t len)
{
	if (af->error == 0 && atomic_write_all(af->fd, data, len) == -1)
		af->error = errno;
	return af->error == 0 ? 0 : -1;
}

/* Flush and close af's temporary file; return 0 or -1 with *cause set. */
static int
atomic_file_flush(struct atomic_file *af, char **cause)
{
	int fd = af->fd;

	af->fd = -1;
	if (af->error == 0 && fsync(fd) == -1)
		af->error = errno;
	if (close(fd) == -1 && af->error == 0)
		af->error = errno;
	if (af->error == 0)
		return 0;
	xasprintf(cause, "%s: %s", af->path, strerror(af->error));
	return -1;
}

/* Rename af's flushed temporary file over its path; 0 or -1 with *cause. */
static int
atomic_file_rename(struct atomic_file *af, char **cause)
{
	if (rename(af->temp, af->path) == -1) {
		/* Same directory, just created: should not happen. */
		xasprintf(cause, "%s: %s", af->path, strerror(errno));
		return -1;
	}
	free(af->temp);
	af->temp = NULL;
	return 0;
}

/*
 * Put what was written in place of the file and free af. Return 0, or -1
 * with *cause set and the file as it was.
 */
int
atomic_file_commit(struct atomic_file *af, char **cause)
{
	int status = -1;

	if (atomic_file_flush(af, cause) == 0 &&
	    atomic_file_rename(af, cause) == 0)
		status = 0;
	atomic_file_free(af);
	return status;
}

/* Give up: free af, the file as it was. NULL is fine. */
void
atomic_file_abort(struct atomic_file *af)
{
	if (af != NULL)
		atomic_file_free(af);
}

/*
 * Write data[i] (lens[i] bytes) to paths[i] for i < n, with the mode a new
 * file gets under the umask. Return 0, or -1 with *cause set (naming the
 * file) and nothing changed.
 */
int
atomic_write_files(const char *const *paths, char *const *data,
    const size_t *lens, size_t n, char **cause)
{
	struct atomic_file **files;
	size_t i, j;
	int status = -1;

	/*
	 * Refuse what a rename would: checked before anything is written, so
	 * that a failure leaves every file as it was.
	 */
	for (i = 0; i < n; i++) {
		if (atomic_write_check(paths[i], cause) != 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(paths[i], paths[j]) == 0) {
				xasprintf(cause, "%s: named twice", paths[i]);
				return -1;
			}
	}
	files = xcalloc(n + 1, sizeof *files);
	for (i = 0; i < n; i++) {
		if ((files[i] = atomic_file_open(paths[i], cause)) == NULL)
			goto out;
		(void)atomic_file_write(files[i], data[i], lens[i]);
		if (atomic_file_flush(files[i], cause) != 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		if (atomic_file_rename(files[i], cause) != 0)
			goto out;
	}
	status = 0;
out:
	/* Those renamed keep their new text; the others are removed. */
	for (i = 0; i < n; i++)
		atomic_file_abort(files[i]);
	free(files);
	return status;
}
