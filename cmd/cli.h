/* What every custody subcommand shares: options, errors, output. */
#ifndef CUSTODY_CMD_CLI_H
#define CUSTODY_CMD_CLI_H

#include <stdio.h>
#include <custody.h>

/* Exit codes, documented in the README and custody(1). */
#define EXIT_OK 0
#define EXIT_FAILED 1   /* a check failed, or an error */
#define EXIT_USAGE 2

struct cli {
	const char *archive;   /* --archive, or $CUSTODY_ARCHIVE */
	int json;
	int progress;          /* stderr is a terminal */
};

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/*
 * A name (a path, a file) as custody prints it: as it is, or, when it
 * holds a control character, a bidi control, a line separator, a byte
 * that is not UTF-8, '"' or '\\', in double quotes with C-style escapes
 * (\033 \r \n \t \" \\), as git's core.quotePath does. The result
 * lives until eight more calls of cli_name or cli_text.
 */
const char *cli_name(const char *name);
/* Free text (a reason, a note) the same way, without the quotes. */
const char *cli_text(const char *text);

/* "custody: <message>" on stderr; unprintable characters escaped. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print a library error, free it, and return EXIT_FAILED. */
int cli_fail(custody_error *err);

/* Print a usage error and a hint, return EXIT_USAGE. */
int cli_usage(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Fill in defaults from the environment. */
void cli_init(struct cli *cli);

/* Open the archive named by --archive/$CUSTODY_ARCHIVE, or found from
 * the current folder upwards. Returns EXIT_OK or EXIT_FAILED. */
int cli_open(const struct cli *cli, custody_archive **out);

/* Progress callback for the library (prints only on a terminal). */
void cli_progress(const char *phase, uint64_t done, uint64_t total,
	uint64_t bytes, uint64_t bytes_total, void *payload);
/* Erase the progress line, if one was drawn. */
void cli_progress_end(void);

/* Notices from the library: "custody: note: ..." on stderr. */
void cli_notice(const char *message, void *payload);

/* JSON: a string with escapes, or null for NULL. */
void json_string(FILE *out, const char *s);
/* Print an entry as a JSON object. */
void json_entry(FILE *out, const custody_entry *entry);

/* Read a whole file (or "-" for stdin) of at most `max` bytes into a
 * malloc'd, NUL-terminated buffer. EXIT_OK or EXIT_FAILED (printed). */
int cli_read_file(const char *path, size_t max, char **out, size_t *len_out);

/*
 * Open a file the user named, for reading. A FIFO cannot hang the open
 * (O_NONBLOCK), and anything but a regular file is refused: "PATH: is a
 * folder, not a file", "PATH: is not a regular file (a FIFO)". A file
 * that cannot be opened: "PATH: cannot read WHAT: reason". `what` NULL:
 * say nothing. Returns a blocking descriptor, or -1.
 */
int cli_open_input(const char *path, const char *what);
FILE *cli_fopen_input(const char *path, const char *what);

/*
 * Write a file crash-safely: a temporary file beside it, fsynced, renamed
 * over `path`, and the folder fsynced. "-" or NULL is standard output.
 * EXIT_OK or EXIT_FAILED (printed: "PATH: cannot write: reason").
 */
int cli_write_file(const char *path, const void *data, size_t len);

/* As cli_write_file, but never over an existing file (the temporary file
 * is linked, not renamed: "PATH: cannot write: File exists"), and never
 * to standard output. */
int cli_write_new_file(const char *path, const void *data, size_t len);

/* --wait SECONDS (0 to 86400) as milliseconds; EXIT_OK, or the usage
 * error printed and EXIT_USAGE. */
int cli_parse_wait(const char *command, const char *text,
	unsigned int *ms_out);

/* Parse a non-negative decimal; 0 on success, -1 if not one. */
int cli_parse_u64(const char *text, uint64_t *out);

#endif
