/*
 * atomic_write.c -- write a set of files all or nothing: each goes to a
 * private temporary file next to its target, and only when every one is
 * written and flushed are they renamed into place. A failure leaves no
 * file changed and no temporary file behind.
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

/*
 * Write data[i] (lens[i] bytes) to paths[i] for i < n, with the mode a new
 * file gets under the umask. Return 0, or -1 with *cause set (naming the
 * file) and nothing changed.
 */
int
atomic_write_files(const char *const *paths, char *const *data,
    const size_t *lens, size_t n, char **cause)
{
	struct stat sb;
	char **temps;
	mode_t mask;
	size_t i, j, done;
	int fd;

	/*
	 * Refuse what a rename would: checked before anything is written, so
	 * that a failure leaves every file as it was.
	 */
	for (i = 0; i < n; i++) {
		if (lstat(paths[i], &sb) == 0 && !S_ISREG(sb.st_mode)) {
			xasprintf(cause, "%s: not a regular file", paths[i]);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(paths[i], paths[j]) == 0) {
				xasprintf(cause, "%s: named twice", paths[i]);
				return -1;
			}
	}
	/* Reading the umask sets it for a moment: liaisonctl is one thread. */
	mask = umask(0);
	umask(mask);
	temps = xcalloc(n + 1, sizeof *temps);
	for (done = 0; done < n; done++) {
		xasprintf(&temps[done], "%s.XXXXXX", paths[done]);
		if ((fd = mkstemp(temps[done])) == -1) {
			xasprintf(cause, "%s: %s", paths[done], strerror(errno));
			free(temps[done]);
			temps[done] = NULL;
			goto fail;
		}
		if (fchmod(fd, 0666 & ~mask) == -1 ||
		    atomic_write_all(fd, data[done], lens[done]) == -1 ||
		    fsync(fd) == -1) {
			xasprintf(cause, "%s: %s", paths[done], strerror(errno));
			close(fd);
			done++;
			goto fail;
		}
		if (close(fd) == -1) {
			xasprintf(cause, "%s: %s", paths[done], strerror(errno));
			done++;
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		if (rename(temps[i], paths[i]) == -1) {
			/* Same directory, just created: should not happen. */
			xasprintf(cause, "%s: %s", paths[i], strerror(errno));
			goto fail;
		}
		free(temps[i]);
		temps[i] = NULL;
	}
	free(temps);
	return 0;

fail:
	for (i = 0; i < done; i++) {
		if (temps[i] != NULL)
			unlink(temps[i]);
		free(temps[i]);
	}
	free(temps);
	return -1;
}
