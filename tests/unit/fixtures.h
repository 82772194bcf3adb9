/*
 * fixtures.h -- the worlds several unit test programs build, written once:
 * the zone's time zone and its local times, the sample roster, a whole
 * file read into memory, a private temporary directory with one file in
 * it, and the check that a text was refused with an exact message. Redis
 * replies built by hand are replies.h's.
 */
#ifndef LIAISON_TEST_FIXTURES_H
#define LIAISON_TEST_FIXTURES_H

#include <stddef.h>
#include <time.h>

struct roster;

/* The score's weights as the default [ledger] weights (30,35,35). */
extern const int fixture_weights[];

/* fixture_dir_make's directory and the path of its one file. */
extern char fixture_dir[];
extern char fixture_file[];

void fixture_zone(void);
time_t fixture_local_time(int year, int month, int day, int hour, int minute);
struct roster *fixture_roster(void);
char *fixture_ledger_text(struct ledger *, const struct roster *, int64_t now);
char *fixture_read(const char *path, size_t *len);
int fixture_dir_make(const char *name, const char *file);
void fixture_dir_remove(void);
void fixture_write(const char *path, const void *data, size_t len);
void fixture_write_text(const char *path, const char *text);
void fixture_refused(const void *got, char *cause, const char *text,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
