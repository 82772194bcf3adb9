/*
 * fuzz.h -- what the libFuzzer targets (tests/fuzz/fuzz_*.c) share. Each
 * target defines LLVMFuzzerTestOneInput and links libliaison.a; with a
 * compiler that has no libFuzzer, standalone.c gives it a main that runs
 * the inputs named on the command line once each.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* data as a NUL-terminated string (the caller frees it). */
char *fuzz_string(const uint8_t *data, size_t size);
/* data written to a private temporary file; its path (static). */
const char *fuzz_file(const uint8_t *data, size_t size);
/* The sample roster (etc/roster.json), loaded once. */
struct roster *fuzz_roster(void);

#endif
