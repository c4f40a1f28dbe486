/*
 * Saved seeds say what they are: when replay.c feeds a file whose name
 * starts with "valid-", the target must accept it, "refused-" it must
 * refuse it (any other name: no expectation, as for the inputs libFuzzer
 * finds). replay.c sets custody_fuzz_input_name before each input; under
 * libFuzzer nothing defines it and no expectation is checked.
 */
#ifndef CUSTODY_FUZZ_EXPECT_H
#define CUSTODY_FUZZ_EXPECT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char *custody_fuzz_input_name __attribute__((weak));

static void fuzz_expect(const char *target, int accepted)
{
	const char *name, *slash;

	if (&custody_fuzz_input_name == NULL ||
	    custody_fuzz_input_name == NULL)
		return;
	name = custody_fuzz_input_name;
	if ((slash = strrchr(name, '/')) != NULL)
		name = slash + 1;
	if ((strncmp(name, "valid-", 6) == 0 && !accepted) ||
	    (strncmp(name, "refused-", 8) == 0 && accepted)) {
		fprintf(stderr, "fuzz_%s: %s was %s\n", target, name,
			accepted ? "accepted" : "refused");
		abort();
	}
}

#endif
