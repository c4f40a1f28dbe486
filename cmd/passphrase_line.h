/*
 * The first line of a passphrase file, as --passphrase-file reads it
 * (keys.c). On its own, without the command's I/O, so that the fuzz
 * target tests/fuzz/fuzz_passphrase.c reads files exactly as custody
 * does.
 */
#ifndef CUSTODY_CMD_PASSPHRASE_LINE_H
#define CUSTODY_CMD_PASSPHRASE_LINE_H

#include <stddef.h>
#include <string.h>

/* Longest passphrase accepted, in bytes. */
#define CLI_PASSPHRASE_MAX 1024

enum cli_passphrase_problem {
	CLI_PASSPHRASE_OK = 0,
	CLI_PASSPHRASE_EMPTY,       /* no byte at all */
	CLI_PASSPHRASE_LONG,        /* more than CLI_PASSPHRASE_MAX bytes */
	CLI_PASSPHRASE_NUL          /* a NUL byte in the line */
};

/*
 * text[0 .. len): a file's first bytes, through its first "\n" or at
 * most CLI_PASSPHRASE_MAX + 2 of them. The passphrase is text[0 ..
 * *len_out): the line without its "\n" or "\r\n" (a "\r" at the end of
 * the file goes too).
 */
static inline enum cli_passphrase_problem cli_passphrase_line(
	const char *text, size_t len, size_t *len_out)
{
	const char *nl;

	*len_out = 0;
	if (len == 0)
		return CLI_PASSPHRASE_EMPTY;
	nl = memchr(text, '\n', len);
	if (nl != NULL)
		len = (size_t)(nl - text);
	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (len > CLI_PASSPHRASE_MAX)
		return CLI_PASSPHRASE_LONG;
	if (memchr(text, '\0', len) != NULL)
		return CLI_PASSPHRASE_NUL;
	*len_out = len;
	return CLI_PASSPHRASE_OK;
}

#endif
