/* What every custody subcommand shares: options, errors, output. */
#ifndef CUSTODY_CMD_CLI_H
#define CUSTODY_CMD_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <custody.h>

/* Exit codes, documented in the README and custody(1). */
#define EXIT_OK 0
#define EXIT_FAILED 1   /* a check failed, or an error */
#define EXIT_USAGE 2

/*
 * The options several commands take, defined once (cli.c) and stored in
 * struct cli. A command names those it takes in its cli_options. Every
 * command takes --help (and -h).
 */
#define CLI_ARCHIVE          (1u << 0) /* --archive DIR */
#define CLI_KEY              (1u << 1) /* --key NAME, the key to sign with */
#define CLI_PASSPHRASE_FILE  (1u << 2) /* --passphrase-file FILE */
#define CLI_JSON             (1u << 3) /* --json */
#define CLI_WAIT             (1u << 4) /* --wait SECONDS */

/* A command's options: the common ones it takes, and its own. */
struct cli_options {
	const char *command;        /* its name, for usage errors */
	const char *help;           /* what --help prints */
	unsigned int common;        /* CLI_ARCHIVE | CLI_JSON | ... */
	/* its own, for getopt_long, ending with a NULL name; may be NULL.
	 * Their values are below 256 (the common ones' are above). */
	const struct option *own;
	const char *short_options;  /* for getopt, beside "h"; may be NULL */
	/* let getopt print its own complaint before custody's usage error:
	 * key, sign and verify-signature always have */
	int getopt_messages;
};

#define CLI_OPTIONS_MAX 24

struct cli {
	const char *archive;   /* --archive, or $CUSTODY_ARCHIVE */
	int json;
	int progress;          /* stderr is a terminal */
	const char *key_name;         /* --key; NULL: see cli_signing_key */
	const char *passphrase_file;  /* --passphrase-file; NULL */
	unsigned int wait_ms;         /* --wait, in milliseconds; 0 */
	int status;            /* the exit status when cli_getopt says stop */
	/* the table getopt_long reads, made by the first cli_getopt */
	struct option options[CLI_OPTIONS_MAX];
	char short_options[16];
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

/* A library error's message with the command's words for its hint (see
 * custody_error_hint), as cli_fail prints it; lives until the next call. */
const char *cli_error_text(const custody_error *err);

/* cli_error("out of memory"), said once. */
void cli_oom(void);

/* Print a library error, free it, and return EXIT_FAILED. */
int cli_fail(custody_error *err);

/* Print a usage error and a hint, return EXIT_USAGE. */
int cli_usage(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Fill in defaults from the environment. */
void cli_init(struct cli *cli);

/*
 * getopt_long over a command's options (call cli_init first): a common
 * option is stored in cli and the next one read; --help prints the help.
 * Returns the value of one of the command's own options (optarg set),
 * 0 when the options are over (optind at the first argument), or -1
 * when the command must stop and return cli->status: after --help
 * (EXIT_OK), or a usage error, printed (EXIT_USAGE).
 *
 * --help also checks that the help cannot drift from the options: every
 * option the command takes must be listed in its usage lines or its
 * option lines (lines starting "  -"), and every option listed there
 * must be one it takes; else it says which, and cli->status is
 * EXIT_FAILED (tests/cli/t-help.sh runs every command's --help).
 */
int cli_getopt(struct cli *cli, int argc, char **argv,
	const struct cli_options *options);

/* Open the archive named by --archive/$CUSTODY_ARCHIVE, or found from
 * the current folder upwards. Returns EXIT_OK or EXIT_FAILED. */
int cli_open(const struct cli *cli, custody_archive **out);

/* The signatures of a dkim entry's evidence, one line each,
 * "INDENTd=DOMAIN s=SELECTOR a=ALG: RESULT", then its ARC chain, if
 * any: "INDENTARC: RESULT[ (REASON)]" and "INDENTARC i=N ..." a set. */
void cli_dkim_signatures(FILE *out, const char *evidence,
	const char *indent);

/* A usage error before any command: "custody: ..." and a pointer to
 * custody --help; EXIT_USAGE. */
int cli_usage_top(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* Of n names, the one word is a likely typo of (a few edits, or a
 * prefix of at least three letters); NULL when none is, or two are. */
const char *cli_nearest(const char *word, const char *const *names,
	size_t n);

/* Progress callback for the library (prints only on a terminal). */
void cli_progress(const char *phase, uint64_t done, uint64_t total,
	uint64_t bytes, uint64_t bytes_total, void *payload);
/* Erase the progress line, if one was drawn. */
void cli_progress_end(void);

/* Notices from the library: "custody: note: ..." on stderr. */
void cli_notice(const char *message, void *payload);

/* POSIX seconds as "YYYY-MM-DDTHH:MM:SSZ" (UTC), or in decimal when
 * out of range. */
void cli_utc(uint64_t seconds, char out[32]);

/*
 * --json (docs/json.md). Every --json output is one JSON object whose
 * first member is "format": "custody-NAME/v1"; schemas/json/NAME.schema.json
 * describes it. json_begin prints `{"format":"custody-NAME/v1"` (the
 * command goes on with `,"member":...`), json_end the closing brace and
 * a newline. A command prints at most one such object.
 */
void json_begin(const char *name);
void json_end(void);

/*
 * For main: with --json among the arguments, hold what is printed on
 * stdout until cli_json_finish(status), which prints it when the
 * command succeeded or printed a whole object, and else prints a
 * custody-error/v1 object naming the command (cli_json_command) and the
 * errors said on stderr. Returns the exit status (EXIT_FAILED when
 * stdout could not be written).
 */
void cli_json_start(int argc, char **argv);
void cli_json_command(const char *command);
int cli_json_finish(int status);

/* An error a command printed on stderr itself (not by cli_error), to be
 * kept for custody-error/v1. */
void cli_error_said(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* JSON: a string with escapes, or null for NULL. */
void json_string(FILE *out, const char *s);
/* Print an entry as a JSON object. */
void json_entry(FILE *out, const custody_entry *entry);

/* Read a whole file (or "-" for stdin) of at most `max` bytes into a
 * malloc'd, NUL-terminated buffer. EXIT_OK or EXIT_FAILED (printed). */
int cli_read_file(const char *path, size_t max, char **out, size_t *len_out);

/* As cli_read_file, for a text file custody wrote (a proof, a
 * checkpoint, a policy): one with CRLF line endings is refused, naming
 * its first such line and how to convert it ("PATH line N: the file has
 * CRLF (Windows) line endings; ... `dos2unix PATH` ..."), since the
 * bytes are signed as written. */
int cli_read_text_file(const char *path, size_t max, char **out,
	size_t *len_out);

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
 * is linked, not renamed: "PATH: exists; use --force to replace it"),
 * and never to standard output. A device or a FIFO is written into. */
int cli_write_new_file(const char *path, const void *data, size_t len);

/*
 * A file named by -o/--output FILE: cli_check_output, called before any
 * work, refuses a FILE that exists (unless `force`) or whose folder does
 * not ("PATH: exists; use --force to replace it", "PATH: cannot write:
 * folder DIR does not exist"); cli_write_output then writes it, with
 * cli_write_file when `force`, else cli_write_new_file. NULL or "-" is
 * standard output; a path in /dev/ (/dev/stdout, /dev/null) is written
 * into, never replaced. EXIT_OK or EXIT_FAILED (printed).
 */
int cli_check_output(const char *path, int force);
int cli_write_output(const char *path, const void *data, size_t len,
	int force);

/* --wait SECONDS (0 to 86400) as milliseconds; EXIT_OK, or the usage
 * error printed and EXIT_USAGE. */
int cli_parse_wait(const char *command, const char *text,
	unsigned int *ms_out);

/*
 * An option's value for an entry's field (see custody_entry_check_value),
 * checked before any archive is opened: EXIT_OK, or the usage error
 * printed ("--at 'yesterday' must be a UTC time ...", the value escaped
 * and cut short when long) and EXIT_USAGE. A NULL value is EXIT_OK.
 */
int cli_check_value(const char *command, const char *option,
	custody_field field, const char *value);

/* Parse a non-negative decimal; 0 on success, -1 if not one. */
int cli_parse_u64(const char *text, uint64_t *out);

#endif
