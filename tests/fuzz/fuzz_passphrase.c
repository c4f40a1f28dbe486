/*
 * Fuzz target for passphrase files (libFuzzer style): --passphrase-file
 * of every command that signs or makes a key reads the file's first
 * line, through its first "\n" or at most CLI_PASSPHRASE_MAX + 2 bytes
 * (cmd/keys.c), with cli_passphrase_line (cmd/passphrase_line.h). The
 * input is the file; the target cuts it as keys.c does. Besides "never
 * crash", it checks:
 *   - an empty file alone is "empty";
 *   - a passphrase taken is the file's first bytes, at most
 *     CLI_PASSPHRASE_MAX of them, with no NUL or LF, followed by the
 *     end of the file, LF, CR LF or a CR ending the file: no byte of the
 *     line is dropped or cut off;
 *   - "too long" only for a line longer than CLI_PASSPHRASE_MAX;
 *   - what follows the first line changes nothing;
 *   - a passphrase taken, not ending in CR, written back with a LF is
 *     read back the same.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh passphrase SECONDS    (libFuzzer, docs/fuzzing.md)
 *   replay.c + fuzz_passphrase.c            (without: the corpus)
 *
 * Seeds named valid-* must be taken, refused-* refused.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/passphrase_line.h"

#define FUZZ_TARGET "passphrase"
#include "fuzz.h"
#include "expect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What keys.c reads of a file: through its first LF, at most
 * CLI_PASSPHRASE_MAX + 2 bytes. */
static size_t first_line(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) + 1 : size;

	return n < CLI_PASSPHRASE_MAX + 2 ? n : CLI_PASSPHRASE_MAX + 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = first_line(data, size), len = 99, again_len, rest;
	char *text = fuzz_copy(data, n), *back;
	enum cli_passphrase_problem p, again;

	if (text == NULL)
		return 0;
	p = cli_passphrase_line(text, n, &len);
	if ((p == CLI_PASSPHRASE_EMPTY) != (size == 0))
		broken("\"empty\" is not exactly an empty file", NULL);
	if (p != CLI_PASSPHRASE_OK && len != 0)
		broken("a length for a refused passphrase", NULL);
	if (p == CLI_PASSPHRASE_OK) {
		if (len > CLI_PASSPHRASE_MAX || len > n ||
		    memchr(text, '\0', len) != NULL ||
		    memchr(text, '\n', len) != NULL)
			broken("a passphrase that is not the file's first line",
				NULL);
		rest = n - len;
		if (!(rest == 0 || (rest == 1 && text[len] == '\n') ||
		    (rest == 2 && text[len] == '\r' &&
		    text[len + 1] == '\n') ||
		    (rest == 1 && text[len] == '\r' && n == size)))
			broken("bytes of the line dropped from the passphrase",
				NULL);
		if (len > 0 && text[len - 1] != '\r') {
			if ((back = malloc(len + 1)) == NULL)
				broken("out of memory", NULL);
			memcpy(back, text, len);
			back[len] = '\n';
			again = cli_passphrase_line(back, len + 1, &again_len);
			if (again != CLI_PASSPHRASE_OK || again_len != len)
				broken("written back, not read back the same",
					NULL);
			free(back);
		}
	} else if (p == CLI_PASSPHRASE_LONG) {
		size_t line = memchr(text, '\n', n) ? n - 1 : n;

		if (line > 0 && text[line - 1] == '\r')
			line--;
		if (line <= CLI_PASSPHRASE_MAX)
			broken("\"too long\" for a line that is not", NULL);
	}
	fuzz_expect(FUZZ_TARGET, p == CLI_PASSPHRASE_OK);
	free(text);
	return 0;
}
