#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Names and messages as custody prints them. A terminal acts on control
 * characters (ESC starts a command, CR rewrites the line) and bidi
 * controls reorder what it shows, so none of them is ever printed raw.
 */

/* The code point at s (its length in *n), or -1 with *n = 1 for a byte
 * that does not start a well-formed UTF-8 sequence. */
static long utf8_next(const unsigned char *s, size_t *n)
{
	long cp;
	size_t len, i;

	if (s[0] < 0x80) {
		*n = 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		*n = 1;
		return -1;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*n = 1;
			return -1;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
		*n = 1;
		return -1;
	}
	*n = len;
	return cp;
}

/* Code points a terminal acts on or reorders text by (as custody_quote
 * takes them), for json_string. */
static int unprintable(long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
		cp == 0x200e || cp == 0x200f || (cp >= 0x202a &&
		cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
		cp == 0x2028 || cp == 0x2029;
}

/* The last few results, so that one printf can show several names. */
static char *shown[8];
static unsigned int shown_next;

/* s through custody_quote (the library's rule, the one rule). */
static const char *show(const char *s, int quote)
{
	size_t len;
	char *escaped;

	if (s == NULL)
		return NULL;
	len = custody_quote(NULL, 0, s, quote);
	/* an escape is always longer than what it stands for */
	if (len == strlen(s))
		return s;
	if ((escaped = malloc(len + 1)) == NULL)
		return "(not shown: out of memory)";
	custody_quote(escaped, len + 1, s, quote);
	free(shown[shown_next]);
	shown[shown_next] = escaped;
	shown_next = (shown_next + 1) % 8;
	return escaped;
}

const char *cli_name(const char *name)
{
	return show(name, 1);
}

const char *cli_text(const char *text)
{
	return show(text, 0);
}

void cli_oom(void)
{
	cli_error("out of memory");
}

/*
 * --json runs (docs/json.md): what the command printed is held in a
 * temporary file until it ends, so that a failure half-way through an
 * object never reaches a script. A command that ends with a whole
 * object (json_begin ... json_end) has it printed, whatever its exit
 * status; one that fails before, or half-way, has custody-error/v1
 * printed instead, with the errors it said on stderr.
 */
#define JSON_MESSAGES_MAX 16

static struct {
	int wanted;          /* --json among the arguments */
	int real_stdout;     /* while stdout is held; else -1 */
	FILE *held;
	int begun, ended;    /* json_begin, json_end called */
	const char *command;
	char *messages[JSON_MESSAGES_MAX];
	size_t nmessages;
} json_run = { 0, -1, NULL, 0, 0, NULL, { NULL }, 0 };

/* An error said on stderr, kept for custody-error/v1 (the last ones
 * when there are many). */
static void json_keep_message(const char *message)
{
	char *copy;

	if (!json_run.wanted || (copy = strdup(message)) == NULL)
		return;
	if (json_run.nmessages == JSON_MESSAGES_MAX) {
		free(json_run.messages[0]);
		memmove(json_run.messages, json_run.messages + 1,
			(JSON_MESSAGES_MAX - 1) * sizeof(char *));
		json_run.nmessages--;
	}
	json_run.messages[json_run.nmessages++] = copy;
}

static void json_keep_messagev(const char *fmt, va_list ap)
{
	char *message = NULL;

	if (!json_run.wanted)
		return;
	if (vasprintf(&message, fmt, ap) < 0)
		return;
	json_keep_message(message);
	free(message);
}

void cli_error_said(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	json_keep_messagev(fmt, ap);
	va_end(ap);
}

static void say(int keep, const char *fmt, va_list ap)
{
	char *message = NULL;
	int n;

	cli_progress_end();
	fputs("custody: ", stderr);
	n = vasprintf(&message, fmt, ap);
	if (n < 0) {
		fputs("out of memory", stderr);
	} else {
		fputs(cli_text(message), stderr);
		if (keep)
			json_keep_message(message);
	}
	free(message);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(1, fmt, ap);
	va_end(ap);
}

void cli_json_start(int argc, char **argv)
{
	int fd;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			json_run.wanted = 1;
	if (!json_run.wanted)
		return;
	fflush(stdout);
	/* without a temporary file, the output goes out as it comes */
	if ((json_run.held = tmpfile()) == NULL)
		return;
	if ((fd = dup(STDOUT_FILENO)) < 0 ||
	    dup2(fileno(json_run.held), STDOUT_FILENO) < 0) {
		if (fd >= 0)
			close(fd);
		fclose(json_run.held);
		json_run.held = NULL;
		return;
	}
	json_run.real_stdout = fd;
}

void cli_json_command(const char *command)
{
	json_run.command = command;
}

static void json_error_object(int status)
{
	size_t n = json_run.nmessages;

	json_begin("error");
	fputs(",\"command\":", stdout);
	json_string(stdout, json_run.command);
	fputs(",\"error\":{\"message\":", stdout);
	json_string(stdout, n ? json_run.messages[n - 1] : "failed; see "
		"standard error");
	fprintf(stdout, ",\"exit\":%d,\"messages\":[", status);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? "," : "", stdout);
		json_string(stdout, json_run.messages[i]);
	}
	fputs("]}", stdout);
	json_end();
}

int cli_json_finish(int status)
{
	int whole = json_run.begun && json_run.ended;
	char buf[65536];
	size_t n;

	if (!json_run.wanted)
		return status;
	fflush(stdout);
	if (json_run.held != NULL) {
		dup2(json_run.real_stdout, STDOUT_FILENO);
		close(json_run.real_stdout);
		if (status == EXIT_OK || whole) {
			rewind(json_run.held);
			while ((n = fread(buf, 1, sizeof(buf),
			    json_run.held)) > 0)
				fwrite(buf, 1, n, stdout);
		}
		fclose(json_run.held);
		json_run.held = NULL;
	}
	if (status != EXIT_OK && !whole)
		json_error_object(status);
	if (fflush(stdout) != 0 && status == EXIT_OK)
		status = EXIT_FAILED;
	for (size_t i = 0; i < json_run.nmessages; i++)
		free(json_run.messages[i]);
	json_run.nmessages = 0;
	return status;
}

void json_begin(const char *name)
{
	json_run.begun = 1;
	json_run.ended = 0;
	fprintf(stdout, "{\"format\":\"custody-%s/v1\"", name);
}

void json_end(void)
{
	fputs("}\n", stdout);
	json_run.ended = 1;
}

/* The command's words for what the library can only hint at. */
static const char *hint_text(custody_hint hint)
{
	switch (hint) {
	case CUSTODY_HINT_NO_ARCHIVE:
		return " (run `custody init`, or name one with --archive or "
			"CUSTODY_ARCHIVE)";
	case CUSTODY_HINT_NOT_STORED:
		return " (--no-store); only its hashes are kept";
	case CUSTODY_HINT_FORCE:
		return "; use --force to replace it";
	case CUSTODY_HINT_BACKDATE:
		return "; if it truly happened then, say why with "
			"--backdate-reason (it is recorded)";
	case CUSTODY_HINT_NOT_MEMBER:
		return "; a member must add it with `custody member add`";
	case CUSTODY_HINT_MAKE_CONSISTENCY:
		return " (`custody consistency` in the archive makes one)";
	case CUSTODY_HINT_NO_KEY:
		return ": make one with `custody key new NAME`, or bring yours "
			"with `custody key import`";
	case CUSTODY_HINT_LIST_KEYS:
		return " (`custody key list` shows the keys there)";
	case CUSTODY_HINT_REGISTER:
		return "; register it with `custody add` before publishing it";
	case CUSTODY_HINT_NEW_REQUEST:
		return "; run `custody timestamp request` again";
	case CUSTODY_HINT_VERIFY:
		return " (run `custody verify`)";
	case CUSTODY_HINT_SIGN_CHECKPOINT:
		return "; whoever holds the outlet key signs one with `custody "
			"checkpoint sign`";
	case CUSTODY_HINT_NAME_KEY:
		return "; name it with --key NAME or CUSTODY_KEY";
	case CUSTODY_HINT_NONE:
		break;
	}
	return "";
}

const char *cli_error_text(const custody_error *err)
{
	static char text[1400];

	snprintf(text, sizeof(text), "%s%s", err ? custody_error_message(err) :
		"unknown error", hint_text(custody_error_hint(err)));
	return text;
}

int cli_fail(custody_error *err)
{
	cli_error("%s", cli_error_text(err));
	custody_error_free(err);
	return EXIT_FAILED;
}

int cli_usage_top(const char *fmt, ...)
{
	va_list ap;

	fputs("custody: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	json_keep_messagev(fmt, ap);
	va_end(ap);
	fputs("\nTry 'custody --help'.\n", stderr);
	return EXIT_USAGE;
}

/* Levenshtein distance of a and b, b at most 63 bytes (else 64). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], prev, tmp;

	if (la > 63 || lb > 63)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *cli_nearest(const char *word, const char *const *names,
	size_t n)
{
	const char *best = NULL;
	size_t best_d = 64, len = strlen(word);

	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, names[i]);

		/* a prefix of one name only is as good as a typo */
		if (len >= 3 && strncmp(names[i], word, len) == 0)
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = names[i];
		} else if (d == best_d) {
			best = NULL;   /* two as near: no guess */
		}
	}
	/* near: at most a third of the word wrong, and at most 2 edits */
	if (best == NULL || best_d > 2 || best_d * 3 > len + 1)
		return NULL;
	return best;
}

int cli_usage(const char *command, const char *fmt, ...)
{
	va_list ap;

	fputs("custody: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	json_keep_messagev(fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'custody %s --help'.\n", command);
	return EXIT_USAGE;
}

void cli_init(struct cli *cli)
{
	const char *env = getenv("CUSTODY_ARCHIVE");

	memset(cli, 0, sizeof(*cli));
	cli->archive = env && *env ? env : NULL;
	cli->progress = isatty(STDERR_FILENO);
}

/* The common options' values, above those of every command's own. */
enum {
	OPT_WAIT = 256,
	OPT_KEY,
	OPT_PASSPHRASE_FILE,
	OPT_ARCHIVE,
	OPT_JSON
};

/* The options several commands take, in the order getopt_long sees them
 * after a command's own; --help comes last. */
static const struct {
	unsigned int flag;
	struct option option;
} common_options[] = {
	{ CLI_WAIT, { "wait", required_argument, NULL, OPT_WAIT } },
	{ CLI_KEY, { "key", required_argument, NULL, OPT_KEY } },
	{ CLI_PASSPHRASE_FILE, { "passphrase-file", required_argument, NULL,
		OPT_PASSPHRASE_FILE } },
	{ CLI_ARCHIVE, { "archive", required_argument, NULL, OPT_ARCHIVE } },
	{ CLI_JSON, { "json", no_argument, NULL, OPT_JSON } },
};

static void add_option(struct cli *cli, size_t *n, const struct option *o)
{
	/* room for this one and the end of the table */
	if (*n + 2 > CLI_OPTIONS_MAX) {
		cli_error("internal error: too many options");
		abort();
	}
	cli->options[(*n)++] = *o;
}

static void build_options(struct cli *cli, const struct cli_options *o)
{
	static const struct option help = { "help", no_argument, NULL, 'h' };
	size_t n = 0;

	for (const struct option *own = o->own; own && own->name; own++)
		add_option(cli, &n, own);
	for (size_t i = 0; i < sizeof(common_options) /
	    sizeof(common_options[0]); i++)
		if (o->common & common_options[i].flag)
			add_option(cli, &n, &common_options[i].option);
	add_option(cli, &n, &help);
	memset(&cli->options[n], 0, sizeof(cli->options[n]));
	if ((size_t)snprintf(cli->short_options, sizeof(cli->short_options),
	    "h%s", o->short_options ? o->short_options : "") >=
	    sizeof(cli->short_options)) {
		cli_error("internal error: too many short options");
		abort();
	}
}

/* The options a help lists: "--name" and "-x" tokens. */
struct listed {
	const char *token[64];
	size_t len[64];
	size_t count;
};

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static int is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

static void list_tokens(struct listed *l, const char *from, const char *to)
{
	for (const char *p = from; p < to && l->count < 64; p++) {
		size_t n = 0;

		/* an option starts a word: not "SHA-256", not "---" */
		if (*p != '-' || (p > from && (is_letter(p[-1]) ||
		    p[-1] == '-')))
			continue;
		if (p + 1 < to && p[1] == '-') {
			while (p + 2 + n < to && is_name_char(p[2 + n]))
				n++;
			if (n == 0)
				continue;
			n += 2;
		} else if (p + 1 < to && is_letter(p[1]) && (p + 2 == to ||
		    !(is_letter(p[2]) || p[2] == '-'))) {
			n = 2;
		} else {
			continue;
		}
		l->token[l->count] = p;
		l->len[l->count++] = n;
		p += n - 1;
	}
}

/*
 * The usage lines (up to the first empty line), and of each option line
 * ("  --name ARG  what it does") what comes before the description.
 */
static void list_options(struct listed *l, const char *help)
{
	int usage = 1;

	l->count = 0;
	for (const char *line = help; *line; ) {
		const char *end = strchr(line, '\n'), *gap;

		if (end == NULL)
			end = line + strlen(line);
		if (end == line) {
			usage = 0;
		} else if (usage) {
			list_tokens(l, line, end);
		} else if (end - line > 2 && strncmp(line, "  -", 3) == 0) {
			gap = strstr(line + 2, "  ");
			list_tokens(l, line + 2, gap && gap < end ? gap : end);
		}
		line = *end ? end + 1 : end;
	}
}

static int help_lists(const struct listed *l, const char *token)
{
	for (size_t i = 0; i < l->count; i++)
		if (l->len[i] == strlen(token) &&
		    strncmp(l->token[i], token, l->len[i]) == 0)
			return 1;
	return 0;
}

static int takes(const struct cli *cli, const char *token, size_t len)
{
	if (len == 2)
		return token[1] != ':' &&
			strchr(cli->short_options, token[1]) != NULL;
	for (const struct option *o = cli->options; o->name; o++)
		if (strlen(o->name) == len - 2 &&
		    strncmp(o->name, token + 2, len - 2) == 0)
			return 1;
	return 0;
}

/* Say where the help and the options differ; 1 if they do. */
static int help_drifted(const struct cli *cli, const struct cli_options *o)
{
	struct listed l;
	char token[64];
	int drifted = 0;

	list_options(&l, o->help);
	for (const struct option *opt = cli->options; opt->name; opt++) {
		snprintf(token, sizeof(token), "--%s", opt->name);
		if (strcmp(opt->name, "help") != 0 && !help_lists(&l, token)) {
			cli_error("internal error: custody %s --help does not "
				"list %s, an option it takes", o->command,
				token);
			drifted = 1;
		}
	}
	for (const char *c = cli->short_options; *c; c++) {
		snprintf(token, sizeof(token), "-%c", *c);
		if (*c != 'h' && *c != ':' && !help_lists(&l, token)) {
			cli_error("internal error: custody %s --help does not "
				"list %s, an option it takes", o->command,
				token);
			drifted = 1;
		}
	}
	for (size_t i = 0; i < l.count; i++) {
		if (!takes(cli, l.token[i], l.len[i])) {
			cli_error("internal error: custody %s --help lists "
				"%.*s, an option it does not take", o->command,
				(int)l.len[i], l.token[i]);
			drifted = 1;
		}
	}
	return drifted;
}

/* An option getopt did not take: the nearest one it would, if near. */
static int unknown_option(const struct cli *cli, const struct cli_options *o,
	const char *token)
{
	const char *names[CLI_OPTIONS_MAX];
	char word[64];
	const char *near = NULL;
	size_t n = 0, len;

	if (strncmp(token, "--", 2) == 0 && token[2] != '\0') {
		len = strcspn(token + 2, "=");
		if (len < sizeof(word)) {
			memcpy(word, token + 2, len);
			word[len] = '\0';
			for (const struct option *opt = cli->options;
			    opt->name && n < CLI_OPTIONS_MAX; opt++)
				names[n++] = opt->name;
			/* an option that is there but wants its value */
			for (size_t i = 0; i < n; i++)
				if (strcmp(names[i], word) == 0)
					return cli_usage(o->command, "option "
						"'--%s' wants a value", word);
			near = cli_nearest(word, names, n);
		}
	}
	if (near != NULL)
		return cli_usage(o->command, "unknown option '%s'; did you "
			"mean '--%s'?", token, near);
	return cli_usage(o->command, "unknown or incomplete option '%s'",
		token);
}

int cli_getopt(struct cli *cli, int argc, char **argv,
	const struct cli_options *o)
{
	int c;

	if (cli->options[0].name == NULL) {
		build_options(cli, o);
		opterr = o->getopt_messages;
	}
	while ((c = getopt_long(argc, argv, cli->short_options, cli->options,
	    NULL)) != -1) {
		switch (c) {
		case OPT_WAIT:
			if (cli_parse_wait(o->command, optarg,
			    &cli->wait_ms) != EXIT_OK) {
				cli->status = EXIT_USAGE;
				return -1;
			}
			break;
		case OPT_KEY: cli->key_name = optarg; break;
		case OPT_PASSPHRASE_FILE: cli->passphrase_file = optarg; break;
		case OPT_ARCHIVE: cli->archive = optarg; break;
		case OPT_JSON: cli->json = 1; break;
		case 'h':
			fputs(o->help, stdout);
			cli->status = help_drifted(cli, o) ? EXIT_FAILED :
				EXIT_OK;
			return -1;
		case '?':
			cli->status = unknown_option(cli, o, argv[optind - 1]);
			return -1;
		default:
			return c;
		}
	}
	return 0;
}

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(0, fmt, ap);
	va_end(ap);
}

void cli_notice(const char *message, void *payload)
{
	(void)payload;
	note("note: %s", message);
}

void cli_dkim_signatures(FILE *out, const char *evidence, const char *indent)
{
	char domain[256] = "", selector[128] = "", algorithm[32] = "";
	char arc[16] = "";
	const char *line = evidence;

	while (line != NULL && *line != '\0') {
		const char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);

		/* the evidence's lines are printable ASCII (the entry's
		 * check): they print as they are */
		if (len > 7 && strncmp(line, "domain ", 7) == 0)
			snprintf(domain, sizeof(domain), "%.*s", len - 7,
				line + 7);
		else if (len > 9 && strncmp(line, "selector ", 9) == 0)
			snprintf(selector, sizeof(selector), "%.*s", len - 9,
				line + 9);
		else if (len > 10 && strncmp(line, "algorithm ", 10) == 0)
			snprintf(algorithm, sizeof(algorithm), "%.*s",
				len - 10, line + 10);
		else if (len > 7 && strncmp(line, "result ", 7) == 0)
			fprintf(out, "%sd=%s s=%s a=%s: %.*s\n", indent,
				domain, selector, algorithm, len - 7, line + 7);
		else if (len > 10 && strncmp(line, "arc-chain ", 10) == 0)
			snprintf(arc, sizeof(arc), "%.*s", len - 10, line + 10);
		else if (len == 12 && strncmp(line, "arc-reason -", 12) == 0)
			fprintf(out, "%sARC: %s\n", indent, arc);
		else if (len > 11 && strncmp(line, "arc-reason ", 11) == 0)
			fprintf(out, "%sARC: %s (%.*s)\n", indent, arc,
				len - 11, line + 11);
		else if (len > 8 && strncmp(line, "arc-set ", 8) == 0)
			fprintf(out, "%sARC %.*s\n", indent, len - 8, line + 8);
		line = nl ? nl + 1 : NULL;
	}
}

#ifndef CUSTODY_CHECK_ONLY /* the check-only build opens no archive */
int cli_open(const struct cli *cli, custody_archive **out)
{
	custody_open_options opts = CUSTODY_OPEN_OPTIONS_INIT;
	custody_error *err = NULL;

	opts.archive_path = cli->archive;
	opts.notice = cli_notice;
	if (custody_archive_open(out, &opts, &err) != 0)
		return cli_fail(err);
	return EXIT_OK;
}
#endif

static int progress_drawn;
static struct timespec progress_last;

static void human_bytes(char *out, size_t len, uint64_t n)
{
	const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

void cli_progress(const char *phase, uint64_t done, uint64_t total,
	uint64_t bytes, uint64_t bytes_total, void *payload)
{
	struct timespec now;
	char b1[32], b2[32];

	(void)payload;
	if (!isatty(STDERR_FILENO))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (progress_drawn && now.tv_sec == progress_last.tv_sec &&
	    now.tv_nsec - progress_last.tv_nsec < 100000000L &&
	    done != total)
		return;
	progress_last = now;
	if (total == 0) {
		fprintf(stderr, "\r\033[K%s: %" PRIu64 " files", phase, done);
	} else if (bytes_total > 0) {
		human_bytes(b1, sizeof(b1), bytes);
		human_bytes(b2, sizeof(b2), bytes_total);
		fprintf(stderr, "\r\033[K%s: %" PRIu64 "/%" PRIu64 " files, "
			"%s/%s", phase, done, total, b1, b2);
	} else {
		fprintf(stderr, "\r\033[K%s: %" PRIu64 "/%" PRIu64, phase,
			done, total);
	}
	progress_drawn = 1;
}

void cli_progress_end(void)
{
	if (progress_drawn) {
		fputs("\r\033[K", stderr);
		progress_drawn = 0;
	}
}

void json_string(FILE *out, const char *s)
{
	if (s == NULL) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		long cp;
		size_t n;

		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(out, "\\u%04x", *p);
				break;
			}
			if (*p < 0x80) {
				fputc(*p, out);
				break;
			}
			/* C1 and bidi controls, separators escaped; a byte
			 * that is not UTF-8 as U+FFFD (JSON is UTF-8) */
			cp = utf8_next(p, &n);
			if (cp < 0)
				fputs("\\ufffd", out);
			else if (unprintable(cp))
				fprintf(out, "\\u%04lx", cp);
			else
				fwrite(p, 1, n, out);
			p += n - 1;
		}
	}
	fputc('"', out);
}

#ifndef CUSTODY_CHECK_ONLY /* nor reads its entries */
/* A skip entry's list, as "skipped":[{"path":...,"reason":...}]. */
static void json_skipped(FILE *out, const char *list)
{
	const char *line = list;

	fputs(",\"skipped\":[", out);
	while (*line != '\0') {
		const char *tab = strchr(line, '\t');
		const char *nl = tab ? strchr(tab, '\n') : NULL;
		char *path, *reason;

		if (nl == NULL)
			break;   /* the reader checked the lines */
		path = strndup(line, (size_t)(tab - line));
		reason = strndup(tab + 1, (size_t)(nl - tab - 1));
		fprintf(out, "%s{\"path\":", line == list ? "" : ",");
		json_string(out, path);
		fputs(",\"reason\":", out);
		json_string(out, reason);
		fputc('}', out);
		free(path);
		free(reason);
		line = nl + 1;
	}
	fputc(']', out);
}

void json_entry(FILE *out, const custody_entry *e)
{
	uint64_t previous;

	fprintf(out, "{\"index\":%" PRIu64 ",\"type\":",
		custody_entry_index(e));
	json_string(out, custody_entry_type_name(e));
	fputs(",\"time\":", out);
	json_string(out, custody_entry_time(e));
	fputs(",\"actor\":", out);
	json_string(out, custody_entry_actor(e));
	if (custody_entry_origin(e)) {
		fputs(",\"origin\":", out);
		json_string(out, custody_entry_origin(e));
	}
	if (custody_entry_log_key(e)) {
		fputs(",\"log_key\":", out);
		json_string(out, custody_entry_log_key(e));
	}
	if (custody_entry_policy(e)) {
		fputs(",\"policy\":", out);
		json_string(out, custody_entry_policy(e));
	}
	if (custody_entry_previous_log_key(e)) {
		fputs(",\"previous_log_key\":", out);
		json_string(out, custody_entry_previous_log_key(e));
	}
	if (custody_entry_path(e)) {
		fputs(",\"path\":", out);
		json_string(out, custody_entry_path(e));
		fprintf(out, ",\"version\":%" PRIu64 ",\"size\":%" PRIu64
			",\"sha256\":", custody_entry_version(e),
			custody_entry_size(e));
		json_string(out, custody_entry_sha256(e));
		if (custody_entry_sha512(e)) {
			fputs(",\"sha512\":", out);
			json_string(out, custody_entry_sha512(e));
		}
		if (custody_entry_media_type(e)) {
			fputs(",\"media_type\":", out);
			json_string(out, custody_entry_media_type(e));
		}
		fputs(",\"blob\":", out);
		json_string(out, custody_entry_blob(e));
		if (custody_entry_previous(e, &previous))
			fprintf(out, ",\"previous\":%" PRIu64, previous);
		fputs(",\"source\":", out);
		json_string(out, custody_entry_source(e));
	}
	if (custody_entry_derived_from(e)) {
		fprintf(out, ",\"derived_from\":%" PRIu64 ",\"original_leaf\":",
			custody_entry_derived_from(e));
		json_string(out, custody_entry_original_leaf(e));
		fputs(",\"derivation\":", out);
		json_string(out, custody_entry_derivation(e));
	}
	if (custody_entry_dkim_message(e)) {
		fprintf(out, ",\"message\":%" PRIu64 ",\"message_leaf\":",
			custody_entry_dkim_message(e));
		json_string(out, custody_entry_dkim_message_leaf(e));
		fputs(",\"verdict\":", out);
		json_string(out, custody_entry_dkim_verdict(e));
		fputs(",\"observed\":", out);
		json_string(out, custody_entry_dkim_observed(e));
		fputs(",\"evidence\":", out);
		json_string(out, custody_entry_dkim_evidence(e));
	}
	if (custody_entry_event_document(e)) {
		fputs(",\"action\":", out);
		json_string(out, custody_entry_action(e));
		fprintf(out, ",\"document\":%" PRIu64 ",\"sha256\":",
			custody_entry_event_document(e));
		json_string(out, custody_entry_sha256(e));
		fputs(",\"from\":", out);
		json_string(out, custody_entry_from(e));
		fputs(",\"to\":", out);
		json_string(out, custody_entry_to(e));
		fputs(",\"at\":", out);
		json_string(out, custody_entry_at(e));
		fputs(",\"backdate_reason\":", out);
		json_string(out, custody_entry_backdate_reason(e));
	}
	if (custody_entry_member(e)) {
		if (custody_entry_action(e)) {
			fputs(",\"action\":", out);
			json_string(out, custody_entry_action(e));
		}
		fputs(",\"member\":", out);
		json_string(out, custody_entry_member(e));
		fputs(",\"key\":", out);
		json_string(out, custody_entry_key(e));
	}
	if (custody_entry_url(e)) {
		fputs(",\"url\":", out);
		json_string(out, custody_entry_url(e));
		fputs(",\"title\":", out);
		json_string(out, custody_entry_title(e));
		fputs(",\"published\":", out);
		json_string(out, custody_entry_published(e));
		fputs(",\"documents\":[", out);
		for (size_t i = 0; i < custody_entry_document_count(e); i++) {
			uint64_t index;
			const char *sha = custody_entry_document(e, i, &index);

			fprintf(out, "%s{\"index\":%" PRIu64 ",\"sha256\":",
				i ? "," : "", index);
			json_string(out, sha);
			fputc('}', out);
		}
		fputc(']', out);
	}
	if (custody_entry_skipped(e))
		json_skipped(out, custody_entry_skipped(e));
	fputs(",\"note\":", out);
	json_string(out, custody_entry_note(e));
	fputc('}', out);
}
#endif

int cli_parse_u64(const char *text, uint64_t *out)
{
	char *end;

	if (text == NULL || *text < '0' || *text > '9')
		return -1;
	errno = 0;
	*out = strtoull(text, &end, 10);
	return errno || *end ? -1 : 0;
}

int cli_open_input(const char *path, const char *what)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		if (what != NULL)
			cli_error("%s: cannot read%s%s: %s", path,
				*what ? " " : "", what, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (what != NULL && S_ISDIR(st.st_mode))
			cli_error("%s: is a folder, not a file", path);
		else if (what != NULL)
			cli_error("%s: is not a regular file (%s)", path,
				S_ISFIFO(st.st_mode) ? "a FIFO" :
				S_ISCHR(st.st_mode) ? "a character device" :
				S_ISBLK(st.st_mode) ? "a block device" :
				S_ISSOCK(st.st_mode) ? "a socket" :
				"of another kind");
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

FILE *cli_fopen_input(const char *path, const char *what)
{
	int fd = cli_open_input(path, what);
	FILE *f;

	if (fd < 0)
		return NULL;
	if ((f = fdopen(fd, "rb")) == NULL) {
		if (what != NULL)
			cli_error("%s: cannot read: %s", path,
				strerror(errno));
		close(fd);
	}
	return f;
}

int cli_read_file(const char *path, size_t max, char **out, size_t *len_out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : cli_fopen_input(path, "");
	char *data = NULL;
	size_t len = 0, cap = 64 * 1024, room = 0;

	*out = NULL;
	*len_out = 0;
	if (f == NULL)
		return EXIT_FAILED;
	if (f != stdin) {
		struct stat st;

		if (fstat(fileno(f), &st) == 0 && (uint64_t)st.st_size > max) {
			cli_error("%s: too big (%lld bytes, at most %zu)",
				path, (long long)st.st_size, max);
			fclose(f);
			return EXIT_FAILED;
		}
		/* room for the file as it is now, and one byte to see that
		 * it did not grow: a buffer of `max` for every file would
		 * be mapped and unmapped for each one */
		if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
			cap = (size_t)st.st_size + 1;
	}
	for (;;) {
		size_t got;

		if (cap > max + 1)
			cap = max + 1;
		if (room < cap + 1) {
			char *more = realloc(data, cap + 1);

			if (more == NULL) {
				if (f != stdin)
					fclose(f);
				free(data);
				cli_oom();
				return EXIT_FAILED;
			}
			data = more;
			room = cap + 1;
		}
		got = fread(data + len, 1, cap - len, f);
		len += got;
		if (len < cap || len > max)
			break;
		cap = cap > max / 2 ? max + 1 : cap * 2;
	}
	if (ferror(f) || len > max) {
		cli_error("%s: %s", path, len > max ? "too big" :
			"cannot read");
		if (f != stdin)
			fclose(f);
		free(data);
		return EXIT_FAILED;
	}
	if (f != stdin)
		fclose(f);
	data[len] = '\0';
	*out = data;
	*len_out = len;
	return EXIT_OK;
}

int cli_read_text_file(const char *path, size_t max, char **out,
	size_t *len_out)
{
	const char *crlf;
	size_t line = 1;

	if (cli_read_file(path, max, out, len_out) != EXIT_OK)
		return EXIT_FAILED;
	/* no custody text file holds a CR: these endings came from a
	 * Windows editor or transfer, and taking them off here would
	 * change signed bytes behind the reader's back */
	if ((crlf = memmem(*out, *len_out, "\r\n", 2)) == NULL)
		return EXIT_OK;
	for (const char *p = *out; p < crlf; p++)
		line += *p == '\n';
	if (strcmp(path, "-") == 0)
		cli_error("standard input line %zu: CRLF (Windows) line "
			"endings; custody writes LF only, and signatures cover "
			"those exact bytes: convert it with dos2unix first",
			line);
	else
		cli_error("%s line %zu: the file has CRLF (Windows) line "
			"endings; custody writes LF only, and signatures cover "
			"those exact bytes: convert it back with `dos2unix %s` "
			"(or `sed -i 's/\\r$//' %s`) and try again", path, line,
			path, path);
	free(*out);
	*out = NULL;
	*len_out = 0;
	return EXIT_FAILED;
}

/* fsync the folder holding path, so that a rename or link in it
 * survives a crash; 0, or -1 with errno set. */
static int sync_folder(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = -1, e;

	if (copy == NULL)
		return -1;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0) {
		/* some file systems cannot sync a folder, and say EINVAL */
		rc = fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
		e = errno;
		close(fd);
		errno = e;
	}
	e = errno;
	free(copy);
	errno = e;
	return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * An output that is not a file on disk (a terminal, a pipe, /dev/null):
 * written into, never replaced. Renaming a file over /dev/null would
 * put a regular file in its place for every program on the machine.
 */
static int write_device(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC), e = 0;

	if (fd < 0 || write_all(fd, data, len) != 0)
		e = errno;
	if (fd >= 0 && close(fd) != 0 && e == 0)
		e = errno;
	if (e != 0)
		cli_error("%s: cannot write: %s", path, strerror(e));
	return e != 0 ? EXIT_FAILED : EXIT_OK;
}

/* Why path could not be written, naming path and never the temporary
 * file beside it. */
static void write_failed(const char *path, int e)
{
	char *copy;

	if (e == EEXIST) {
		cli_error("%s: exists; use --force to replace it", path);
	} else if (e == ENOENT && (copy = strdup(path)) != NULL) {
		cli_error("%s: cannot write: folder %s does not exist", path,
			dirname(copy));
		free(copy);
	} else {
		cli_error("%s: cannot write: %s", path, strerror(e));
	}
}

/*
 * The one writer of cmd/: a temporary file beside path, fsynced, then
 * renamed over path or, with `keep`, linked to it (link(2), unlike
 * rename(2), never replaces a file), and the folder fsynced. A path
 * that names a device or a pipe is written into instead; a symbolic
 * link to a file has that file replaced, not the link.
 */
static int write_file(const char *path, const void *data, size_t len,
	int keep)
{
	char *tmp = NULL, *real = NULL;
	int fd, e = 0, renamed = 0, rc;
	struct stat st;

	if (stat(path, &st) == 0) {
		/* written into, not replaced: nothing is lost to keep */
		if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) ||
		    S_ISSOCK(st.st_mode))
			return write_device(path, data, len);
		if (!S_ISREG(st.st_mode)) {
			cli_error("%s: exists and is not a regular file (%s)",
				path, S_ISDIR(st.st_mode) ? "a folder" :
				"a device");
			return EXIT_FAILED;
		}
		if (!keep && lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
		    (real = realpath(path, NULL)) != NULL) {
			rc = write_file(real, data, len, 0);
			free(real);
			return rc;
		}
		free(real);
	}
	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0) {
		cli_oom();
		return EXIT_FAILED;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		e = errno;
		goto done;
	}
	if (fchmod(fd, 0644) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		e = errno;
		close(fd);
	} else if (close(fd) != 0 ||
	    (keep ? link(tmp, path) : rename(tmp, path)) != 0) {
		e = errno;
	} else {
		renamed = !keep;
		/* in place; a failure here means perhaps not on disk yet */
		if (sync_folder(path) != 0)
			e = errno;
	}
	if (!renamed)
		unlink(tmp);
done:
	if (e != 0)
		write_failed(path, e);
	free(tmp);
	return e != 0 ? EXIT_FAILED : EXIT_OK;
}

int cli_write_file(const char *path, const void *data, size_t len)
{
	if (path == NULL || strcmp(path, "-") == 0) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout)) {
			cli_error("cannot write to standard output");
			return EXIT_FAILED;
		}
		return EXIT_OK;
	}
	return write_file(path, data, len, 0);
}

int cli_write_new_file(const char *path, const void *data, size_t len)
{
	return write_file(path, data, len, 1);
}

static int is_stdout(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0;
}

/* /dev/stdout, /dev/fd/3, /dev/null: what the shell opened for us, or a
 * device, to write into; never a file the user keeps. */
static int is_dev(const char *path)
{
	return strncmp(path, "/dev/", 5) == 0;
}

int cli_check_output(const char *path, int force)
{
	struct stat st;
	char *copy;
	int rc = EXIT_OK;

	if (is_stdout(path) || is_dev(path))
		return EXIT_OK;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			cli_error("%s: exists and is not a regular file (a "
				"folder)", path);
			return EXIT_FAILED;
		}
		if (!force && S_ISREG(st.st_mode)) {
			write_failed(path, EEXIST);
			return EXIT_FAILED;
		}
		return EXIT_OK;
	}
	if ((copy = strdup(path)) == NULL) {
		cli_oom();
		return EXIT_FAILED;
	}
	if (stat(dirname(copy), &st) != 0) {
		write_failed(path, errno);
		rc = EXIT_FAILED;
	} else if (!S_ISDIR(st.st_mode)) {
		cli_error("%s: cannot write: %s is not a folder", path, copy);
		rc = EXIT_FAILED;
	}
	free(copy);
	return rc;
}

int cli_write_output(const char *path, const void *data, size_t len,
	int force)
{
	if (is_stdout(path) || force)
		return cli_write_file(path, data, len);
	if (is_dev(path))
		return write_device(path, data, len);
	return cli_write_new_file(path, data, len);
}

int cli_check_value(const char *command, const char *option,
	custody_field field, const char *value)
{
	const char *why;
	char start[48];
	size_t cut;

	if (value == NULL || (why = custody_entry_check_value(field,
	    value)) == NULL)
		return EXIT_OK;
	/* a value too long for one line: its start, cut at a character */
	cut = strlen(value);
	if (cut > 40) {
		cut = 40;
		while (cut > 0 && ((unsigned char)value[cut] & 0xc0) ==
		    0x80)
			cut--;
	}
	snprintf(start, sizeof(start), "%.*s", (int)cut, value);
	return cli_usage(command, "%s '%s%s' %s", option, cli_text(start),
		cut < strlen(value) ? "..." : "", why);
}

int cli_parse_wait(const char *command, const char *text,
	unsigned int *ms_out)
{
	uint64_t n;

	if (cli_parse_u64(text, &n) != 0 || n > 86400)
		return cli_usage(command, "--wait wants seconds (0 to 86400), "
			"not '%s'", text);
	*ms_out = (unsigned int)n * 1000;
	return EXIT_OK;
}

void cli_utc(uint64_t seconds, char out[32])
{
	time_t t = (time_t)seconds;
	struct tm tm;

	if (seconds > (uint64_t)INT64_MAX / 2 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "%" PRIu64, seconds);
}
