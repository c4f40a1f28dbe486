#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

/* Code points a terminal acts on or reorders text by. */
static int unprintable(long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
		cp == 0x200e || cp == 0x200f || (cp >= 0x202a &&
		cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
		cp == 0x2028 || cp == 0x2029;
}

/* s with what may not be printed escaped, C style as git's
 * core.quotePath does (\t \n \r \033 ...); with `quote`, '"' and '\\'
 * too, inside double quotes. *escaped is NULL when s needs nothing; -1
 * on out of memory. */
static int escape(const char *s, int quote, char **escaped)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), at = 0, n, j = 0;
	int needed = 0;
	char *out;

	*escaped = NULL;
	for (at = 0; at < len; at += n) {
		long cp = utf8_next(p + at, &n);

		if (cp < 0 || unprintable(cp) ||
		    (quote && (cp == '"' || cp == '\\')))
			needed = 1;
	}
	if (!needed)
		return 0;
	/* at most 4 bytes out for each in, the quotes and a NUL */
	if ((out = malloc(len * 4 + 3)) == NULL)
		return -1;
	if (quote)
		out[j++] = '"';
	for (at = 0; at < len; at += n) {
		long cp = utf8_next(p + at, &n);
		const char *esc = NULL;

		switch (cp) {
		case '\a': esc = "\\a"; break;
		case '\b': esc = "\\b"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\v': esc = "\\v"; break;
		case '\f': esc = "\\f"; break;
		case '\r': esc = "\\r"; break;
		case '"': esc = quote ? "\\\"" : NULL; break;
		case '\\': esc = quote ? "\\\\" : NULL; break;
		default: break;
		}
		if (esc != NULL) {
			memcpy(out + j, esc, 2);
			j += 2;
		} else if (cp < 0 || unprintable(cp)) {
			/* each byte in octal, as git does */
			for (size_t k = 0; k < n; k++) {
				snprintf(out + j, 5, "\\%03o", p[at + k]);
				j += 4;
			}
		} else {
			memcpy(out + j, p + at, n);
			j += n;
		}
	}
	if (quote)
		out[j++] = '"';
	out[j] = '\0';
	*escaped = out;
	return 0;
}

/* The last few results, so that one printf can show several names. */
static char *shown[8];
static unsigned int shown_next;

static const char *show(const char *s, int quote)
{
	char *escaped;

	if (s == NULL)
		return NULL;
	if (escape(s, quote, &escaped) != 0)
		return "(not shown: out of memory)";
	if (escaped == NULL)
		return s;
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

void cli_error(const char *fmt, ...)
{
	va_list ap;
	char *message = NULL;
	int n;

	cli_progress_end();
	fputs("custody: ", stderr);
	va_start(ap, fmt);
	n = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (n < 0)
		fputs("out of memory", stderr);
	else
		fputs(cli_text(message), stderr);
	free(message);
	fputc('\n', stderr);
}

int cli_fail(custody_error *err)
{
	cli_error("%s", err ? custody_error_message(err) : "unknown error");
	custody_error_free(err);
	return EXIT_FAILED;
}

int cli_usage(const char *command, const char *fmt, ...)
{
	va_list ap;

	fputs("custody: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
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

void cli_notice(const char *message, void *payload)
{
	(void)payload;
	cli_error("note: %s", message);
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
		fputs(",\"media_type\":", out);
		json_string(out, custody_entry_media_type(e));
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
	char *data;
	size_t len;

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
	}
	if ((data = malloc(max + 1)) == NULL) {
		if (f != stdin)
			fclose(f);
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	len = fread(data, 1, max + 1, f);
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

int cli_write_file(const char *path, const void *data, size_t len)
{
	char *tmp = NULL;
	int fd = -1;

	if (path == NULL || strcmp(path, "-") == 0) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout)) {
			cli_error("cannot write to standard output");
			return EXIT_FAILED;
		}
		return EXIT_OK;
	}
	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	if ((fd = mkstemp(tmp)) < 0 || fchmod(fd, 0644) != 0 ||
	    write(fd, data, len) != (ssize_t)len || fsync(fd) != 0 ||
	    close(fd) != 0 || rename(tmp, path) != 0) {
		cli_error("%s: cannot write: %s", path, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		free(tmp);
		return EXIT_FAILED;
	}
	free(tmp);
	return EXIT_OK;
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
