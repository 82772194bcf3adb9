/*
 * test_atomic_write.c -- unit tests for atomic_write.c: a file written a
 * piece at a time (atomic_file_*) replaces its target only when
 * committed, and leaves nothing behind when given up; a set of files
 * (atomic_write_files) all or none.
 */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "liaison.h"
#include "fixtures.h"

static int
setup(void **state)
{
	(void)state;
	return fixture_dir_make("test_atomic_write", "roster.json");
}

static int
teardown(void **state)
{
	(void)state;
	fixture_dir_remove();
	return 0;
}

/* Return the number of entries in fixture_dir besides . and .. */
static int
entries(void)
{
	struct dirent *de;
	DIR *d = opendir(fixture_dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

/* The file holds text, and the directory n entries. */
static void
assert_file(const char *want, int n)
{
	char *text;
	size_t len;

	text = fixture_read(fixture_file, &len);
	assert_string_equal(text, want);
	free(text);
	assert_int_equal(entries(), n);
}

/* A file holding "old\n" being written anew. */
static struct atomic_file *
reopen(void)
{
	struct atomic_file *af;
	char *cause = NULL;

	fixture_write_text(fixture_file, "old\n");
	af = atomic_file_open(fixture_file, &cause);
	assert_non_null(af);
	return af;
}

static void
test_atomic_file_replaces_the_file_only_when_committed(void **state)
{
	struct atomic_file *af = reopen();
	char *cause = NULL;

	(void)state;
	assert_int_equal(atomic_file_write(af, "{\"a\":", 5), 0);
	assert_int_equal(atomic_file_write(af, " 1}\n", 4), 0);
	/* Until the commit the old text stands, beside the temporary. */
	assert_file("old\n", 2);
	assert_int_equal(atomic_file_commit(af, &cause), 0);
	assert_file("{\"a\": 1}\n", 1);
}

static void
test_atomic_file_given_up_leaves_the_file_and_nothing_else(void **state)
{
	struct atomic_file *af = reopen();

	(void)state;
	assert_int_equal(atomic_file_write(af, "half", 4), 0);
	atomic_file_abort(af);
	atomic_file_abort(NULL);
	assert_file("old\n", 1);
}

static void
test_atomic_file_refuses_what_is_not_a_regular_file(void **state)
{
	char *cause = NULL, *want;

	(void)state;
	assert_null(atomic_file_open(fixture_dir, &cause));
	xasprintf(&want, "%s: not a regular file", fixture_dir);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	cause = NULL;
	/* A directory that does not exist: no temporary can be made. */
	assert_null(atomic_file_open("/nonexistent-liaisond/roster.json",
	    &cause));
	assert_string_equal(cause, "/nonexistent-liaisond/roster.json: No "
	    "such file or directory");
	free(cause);
}

static void
test_atomic_write_files_writes_all_or_refuses_a_repeat(void **state)
{
	const char *paths[2];
	char *data[2] = { "one\n", "two\n" }, *cause = NULL, *want;
	size_t lens[2] = { 4, 4 };

	(void)state;
	paths[0] = fixture_file;
	paths[1] = fixture_file;
	assert_int_equal(atomic_write_files(paths, data, lens, 2, &cause), -1);
	xasprintf(&want, "%s: named twice", fixture_file);
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	assert_int_equal(entries(), 0);
	assert_int_equal(atomic_write_files(paths, data, lens, 1, &cause), 0);
	assert_file("one\n", 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_atomic_file_replaces_the_file_only_when_committed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_atomic_file_given_up_leaves_the_file_and_nothing_else,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_atomic_file_refuses_what_is_not_a_regular_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_atomic_write_files_writes_all_or_refuses_a_repeat,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
