/*
 * custody_bag_validate: any bag, against RFC 8493, every problem
 * reported. The order: bagit.txt, the manifests, bag-info.txt,
 * fetch.txt, what is on disk against what is listed, then the digests
 * (hashed on every core), then Payload-Oxum and the custody tag files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "bag.h"
#include "common.h"
#include "fsutil.h"
#include "hash.h"

#define TAG_FILE_MAX (512u * 1024 * 1024)
#define MANIFESTS_MAX 32
#define READ_CHUNK (1u << 20)

struct problem {
	custody_bag_severity severity;
	char *file;
	size_t line;
	char *path;
	const char *section;
	char *message;
};

struct listed {
	char *path;                   /* decoded */
	char digest[129];             /* lowercase hex */
	size_t line;
};

struct manifest {
	char name[64];
	int tag;                      /* tagmanifest-*.txt */
	const struct custody_bag_algorithm *alg;
	const EVP_MD *md;
	struct listed *entries;       /* sorted by path after reading */
	size_t n, alloc;
};

struct on_disk {
	char *path;
	uint64_t size;
};

struct fetch_item {
	char *path;
	size_t line;
	int has_length;
	uint64_t length;
};

struct job {
	const char *path;
	uint32_t mask;                /* the manifests that list it */
	int rc;                       /* 0, or an errno */
	int kind;                     /* 0 ok, 1 not a regular file */
	uint64_t size;
	uint64_t expected;            /* its size in the walk */
	char digest[MANIFESTS_MAX][129];
};

struct bag_check {
	int fd;
	const custody_bag_validate_options *opts;
	custody_bag_summary *sum;
	int oom;
	struct problem *problems;
	size_t nproblems, alloc_problems;
	char encoding[32];
	int version_major, version_minor;
	struct manifest manifests[MANIFESTS_MAX];
	size_t nmanifests;
	struct on_disk *payload, *tags;
	size_t npayload, alloc_payload, ntags, alloc_tags;
	struct fetch_item *fetch;
	size_t nfetch, alloc_fetch;
	int has_oxum;
	size_t oxum_line;
	uint64_t oxum_octets, oxum_streams;
	/* the hashing pool */
	struct job *jobs;
	size_t njobs;
	size_t next_job;
	pthread_mutex_t lock;
	/* the progress line, drawn by the calling thread while the pool
	 * hashes */
	_Atomic size_t jobs_done;
	_Atomic uint64_t bytes_done;
	uint64_t bytes_total;
};

static int grow(void **items, size_t *alloc, size_t n, size_t size)
{
	size_t want;
	void *bigger;

	if (n < *alloc)
		return 0;
	want = *alloc ? *alloc * 2 : 16;
	if ((bigger = realloc(*items, want * size)) == NULL)
		return -1;
	*items = bigger;
	*alloc = want;
	return 0;
}

static void report(struct bag_check *b, custody_bag_severity severity,
	const char *file, size_t line, const char *path, const char *section,
	const char *fmt, ...) CUSTODY_PRINTF(7, 8);

static void report(struct bag_check *b, custody_bag_severity severity,
	const char *file, size_t line, const char *path, const char *section,
	const char *fmt, ...)
{
	struct problem *p;
	va_list ap;
	char message[1024], shown[4 * sizeof(message) + 3];

	if (grow((void **)&b->problems, &b->alloc_problems, b->nproblems,
	    sizeof(*b->problems)) != 0) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	/* the names a message quotes (a manifest's, a tag file's, a line's
	 * words) are the bag's and may hold any byte: the message is one
	 * line of printable text all the same */
	custody_quote(shown, sizeof(shown), message, 0);
	p = &b->problems[b->nproblems];
	p->severity = severity;
	p->file = strdup(file);
	p->line = line;
	p->path = path ? strdup(path) : NULL;
	p->section = section;
	p->message = strdup(shown);
	if (p->file == NULL || p->message == NULL || (path && !p->path)) {
		free(p->file);
		free(p->path);
		free(p->message);
		b->oom = 1;
		return;
	}
	b->nproblems++;
	if (severity == CUSTODY_BAG_ERROR)
		b->sum->errors++;
	else
		b->sum->warnings++;
}

#define ERROR(b, file, line, path, section, ...) \
	report((b), CUSTODY_BAG_ERROR, (file), (line), (path), (section), \
		__VA_ARGS__)
#define WARN(b, file, line, path, section, ...) \
	report((b), CUSTODY_BAG_WARNING, (file), (line), (path), (section), \
		__VA_ARGS__)

/* Read a file of the bag's top level or below, not through a link. */
static int read_bag_file(struct bag_check *b, const char *name,
	custody_buf *out, int *errno_out)
{
	struct stat st;
	int fd = custody_fs__open_beneath(b->fd, name, O_RDONLY, 0);
	size_t done = 0;

	*errno_out = 0;
	if (fd < 0) {
		*errno_out = errno;
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > TAG_FILE_MAX) {
		*errno_out = S_ISREG(st.st_mode) ? EFBIG : EISDIR;
		close(fd);
		return -1;
	}
	if ((out->ptr = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		b->oom = 1;
		*errno_out = ENOMEM;
		return -1;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, out->ptr + done, (size_t)st.st_size -
			done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*errno_out = n < 0 ? errno : EIO;
			close(fd);
			custody_buf_dispose(out);
			return -1;
		}
		done += (size_t)n;
	}
	close(fd);
	out->ptr[done] = '\0';
	out->size = done;
	return 0;
}

/*
 * A tag file other than bagit.txt, as UTF-8: decoded from the bag's
 * Tag-File-Character-Encoding when that is not UTF-8. -1 when it cannot
 * be read or decoded (reported), 1 when it is absent.
 */
static int read_tag_file(struct bag_check *b, const char *name,
	custody_buf *out)
{
	custody_buf raw = CUSTODY_BUF_INIT;
	size_t bad;
	int e;

	if (read_bag_file(b, name, &raw, &e) != 0) {
		if (e == ENOENT)
			return 1;
		ERROR(b, name, 0, NULL, "2", "cannot read: %s", e == EISDIR ?
			"not a regular file" : strerror(e));
		return -1;
	}
	if (strcasecmp(b->encoding, "UTF-8") == 0) {
		if (raw.size >= 3 && memcmp(raw.ptr, "\xef\xbb\xbf", 3) == 0) {
			WARN(b, name, 1, NULL, "2.1.1", "starts with a "
				"byte-order mark (skipped)");
			memmove(raw.ptr, raw.ptr + 3, raw.size - 2);
			raw.size -= 3;
		}
		if (!custody_bag__is_utf8(raw.ptr, raw.size, &bad)) {
			size_t line = 1;

			for (size_t i = 0; i < bad; i++)
				line += raw.ptr[i] == '\n' || (raw.ptr[i] ==
					'\r' && raw.ptr[i + 1] != '\n');
			ERROR(b, name, line, NULL, "2.1.1", "byte %zu is not "
				"UTF-8, the bag's Tag-File-Character-Encoding",
				bad + 1);
			custody_buf_dispose(&raw);
			return -1;
		}
		*out = raw;
		return 0;
	} else {
		iconv_t cd = iconv_open("UTF-8", b->encoding);
		custody_buf utf8 = CUSTODY_BUF_INIT;
		char *in = raw.ptr, *to;
		size_t inleft = raw.size, outleft;

		if (cd == (iconv_t)-1) {
			ERROR(b, name, 0, NULL, "2.1.1", "cannot decode: "
				"unknown Tag-File-Character-Encoding '%s'",
				b->encoding);
			custody_buf_dispose(&raw);
			return -1;
		}
		outleft = raw.size * 4 + 4;
		if ((utf8.ptr = malloc(outleft + 1)) == NULL) {
			b->oom = 1;
			iconv_close(cd);
			custody_buf_dispose(&raw);
			return -1;
		}
		to = utf8.ptr;
		if (iconv(cd, &in, &inleft, &to, &outleft) == (size_t)-1) {
			ERROR(b, name, 0, NULL, "2.1.1", "byte %zu is not "
				"%s, the bag's Tag-File-Character-Encoding",
				(size_t)(in - raw.ptr) + 1, b->encoding);
			iconv_close(cd);
			custody_buf_dispose(&raw);
			custody_buf_dispose(&utf8);
			return -1;
		}
		iconv_close(cd);
		utf8.size = (size_t)(to - utf8.ptr);
		utf8.ptr[utf8.size] = '\0';
		/* a BOM decoded by an encoding that keeps it (UTF-16LE) */
		if (utf8.size >= 3 && memcmp(utf8.ptr, "\xef\xbb\xbf", 3) ==
		    0) {
			memmove(utf8.ptr, utf8.ptr + 3, utf8.size - 2);
			utf8.size -= 3;
		}
		custody_buf_dispose(&raw);
		*out = utf8;
		return 0;
	}
}

/* ---- bagit.txt (2.1.1) ---- */

/* `text` into out, cut short to fit */
static void copy_text(char *out, size_t size, const char *text)
{
	size_t n = strlen(text);

	if (n >= size)
		n = size - 1;
	memcpy(out, text, n);
	out[n] = '\0';
}

static int parse_version(const char *v, int *major, int *minor)
{
	char *end;
	long a, c;

	if (*v < '0' || *v > '9')
		return -1;
	a = strtol(v, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -1;
	c = strtol(end + 1, &end, 10);
	if (*end != '\0' || a > 1000 || c > 1000)
		return -1;
	*major = (int)a;
	*minor = (int)c;
	return 0;
}

static void check_declaration(struct bag_check *b)
{
	static const char *const labels[] = { "BagIt-Version",
		"Tag-File-Character-Encoding" };
	custody_buf text = CUSTODY_BUF_INIT;
	const char *line;
	size_t pos = 0, len, n = 0, bad;
	int e;

	snprintf(b->encoding, sizeof(b->encoding), "UTF-8");
	if (read_bag_file(b, "bagit.txt", &text, &e) != 0) {
		ERROR(b, "bagit.txt", 0, NULL, "2.1.1", e == ENOENT ?
			"missing: every bag has its declaration" :
			"cannot read: %s", strerror(e));
		return;
	}
	if (text.size >= 3 && memcmp(text.ptr, "\xef\xbb\xbf", 3) == 0) {
		ERROR(b, "bagit.txt", 1, NULL, "2.1.1", "starts with a "
			"byte-order mark, which the declaration must not "
			"have");
		pos = 3;
	}
	if (!custody_bag__is_utf8(text.ptr, text.size, &bad)) {
		ERROR(b, "bagit.txt", 0, NULL, "2.1.1", "byte %zu is not "
			"UTF-8; the declaration is always UTF-8", bad + 1);
		goto done;
	}
	while (custody_bag__next_line(text.ptr, text.size, &pos, &line,
	    &len)) {
		char value[64];
		size_t label_len;

		if (++n > 2) {
			ERROR(b, "bagit.txt", n, NULL, "2.1.1", "more than "
				"two lines: the declaration has exactly two");
			break;
		}
		label_len = strlen(labels[n - 1]);
		if (len < label_len + 2 || memcmp(line, labels[n - 1],
		    label_len) != 0 || line[label_len] != ':' ||
		    line[label_len + 1] != ' ') {
			ERROR(b, "bagit.txt", n, NULL, "2.1.1", "line %zu "
				"must be '%s: ...'", n, labels[n - 1]);
			continue;
		}
		snprintf(value, sizeof(value), "%.*s", (int)(len - label_len -
			2), line + label_len + 2);
		if (n == 1) {
			copy_text(b->sum->bagit_version,
				sizeof(b->sum->bagit_version), value);
			if (parse_version(value, &b->version_major,
			    &b->version_minor) != 0)
				ERROR(b, "bagit.txt", 1, NULL, "2.1.1",
					"BagIt-Version '%s' is not M.N", value);
			else if (b->version_major != 1 ||
			    b->version_minor != 0)
				WARN(b, "bagit.txt", 1, NULL, "2.1.1",
					"BagIt-Version %s: checked by the "
					"rules of 1.0", value);
		} else {
			copy_text(b->encoding, sizeof(b->encoding), value);
			if (strcasecmp(value, "UTF-8") != 0)
				WARN(b, "bagit.txt", 2, NULL, "2.1.1",
					"Tag-File-Character-Encoding %s: "
					"UTF-8 is what version 1.0 bags "
					"should use", value);
		}
	}
	if (n < 2)
		ERROR(b, "bagit.txt", n, NULL, "2.1.1", "%s line missing: "
			"the declaration has exactly two lines", n == 0 ?
			"BagIt-Version" : "Tag-File-Character-Encoding");
done:
	snprintf(b->sum->encoding, sizeof(b->sum->encoding), "%s",
		b->encoding);
	custody_buf_dispose(&text);
}

/* ---- paths ---- */

/* The decoded path of a manifest or fetch.txt line, or NULL (reported
 * when it is out of memory). */
static char *line_path(struct bag_check *b, const char *file, size_t line,
	const char *text, size_t len)
{
	size_t literal = 0;
	char *path;

	if (b->opts->legacy_encoding) {
		path = strndup(text, len);
	} else {
		path = custody_bag__decode_path(text, len, &literal);
		if (path != NULL && literal > 0)
			WARN(b, file, line, path, "2.1.3", "'%%' not "
				"percent-encoded as %%25 (taken as written)");
	}
	if (path == NULL)
		b->oom = 1;
	return path;
}

/* ---- manifests (2.1.3, 2.2.1) ---- */

static int by_path(const void *a, const void *c)
{
	const struct listed *x = a, *y = c;
	int d = strcmp(x->path, y->path);

	/* the same path twice stays in the order of its lines */
	if (d == 0 && x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return d;
}

static int by_path_only(const void *a, const void *c)
{
	return strcmp(((const struct listed *)a)->path,
		((const struct listed *)c)->path);
}

static void read_manifest(struct bag_check *b, struct manifest *m)
{
	custody_buf text = CUSTODY_BUF_INIT;
	const char *line;
	size_t pos = 0, len, n = 0;
	const char *section = m->tag ? "2.2.1" : "2.1.3";

	if (read_tag_file(b, m->name, &text) != 0)
		return;
	while (custody_bag__next_line(text.ptr, text.size, &pos, &line,
	    &len)) {
		size_t hex = 0, gap;
		struct listed *e;
		const char *why;
		char *path;

		n++;
		if (len == 0) {
			WARN(b, m->name, n, NULL, section, "an empty line");
			continue;
		}
		while (hex < len && line[hex] != ' ' && line[hex] != '\t')
			hex++;
		gap = hex;
		while (gap < len && (line[gap] == ' ' || line[gap] == '\t'))
			gap++;
		if (hex == len || gap == len) {
			ERROR(b, m->name, n, NULL, section, "no file path "
				"after the checksum");
			continue;
		}
		if ((path = line_path(b, m->name, n, line + gap, len - gap)) ==
		    NULL)
			break;
		if (m->alg != NULL && (hex != m->alg->size * 2 ||
		    strspn(line, "0123456789abcdefABCDEF") < hex)) {
			ERROR(b, m->name, n, path, section, "'%.*s' is not "
				"a %s checksum (%zu hex digits)", (int)(hex >
				140 ? 140 : hex), line, m->alg->name,
				m->alg->size * 2);
			free(path);
			continue;
		}
		if ((why = custody_bag__unsafe_path(path)) != NULL) {
			ERROR(b, m->name, n, path, "4.1", "path %s", why);
			free(path);
			continue;
		}
		if (!m->tag && strncmp(path, "data/", 5) != 0) {
			ERROR(b, m->name, n, path, section, "a payload "
				"manifest lists only files under data/");
			free(path);
			continue;
		}
		if (m->tag && strncmp(path, "data/", 5) == 0) {
			ERROR(b, m->name, n, path, section, "a tag manifest "
				"must not list payload files");
			free(path);
			continue;
		}
		if (strchr(path, '\\') != NULL)
			WARN(b, m->name, n, path, "2.1.3", "has a '\\': "
				"manifests separate folders with '/' only");
		if (grow((void **)&m->entries, &m->alloc, m->n,
		    sizeof(*m->entries)) != 0) {
			free(path);
			b->oom = 1;
			break;
		}
		e = &m->entries[m->n++];
		e->path = path;
		e->line = n;
		for (size_t i = 0; m->alg != NULL && i < hex; i++)
			e->digest[i] = (char)(line[i] >= 'A' && line[i] <= 'F' ?
				line[i] - 'A' + 'a' : line[i]);
		e->digest[m->alg != NULL ? hex : 0] = '\0';
	}
	custody_buf_dispose(&text);
	/* an empty manifest leaves entries NULL, which qsort must not get */
	if (m->n > 1)
		qsort(m->entries, m->n, sizeof(*m->entries), by_path);
	/* one path twice: the same checksum is harmless, two are not */
	for (size_t i = 1; i < m->n; i++) {
		struct listed *a = &m->entries[i - 1], *c = &m->entries[i];

		if (strcmp(a->path, c->path) != 0)
			continue;
		if (strlen(a->digest) == strlen(c->digest) &&
		    CRYPTO_memcmp(a->digest, c->digest,
		    strlen(a->digest)) == 0)
			WARN(b, m->name, c->line, c->path, "2.1.3", "listed "
				"twice (also line %zu), with the same checksum",
				a->line);
		else
			ERROR(b, m->name, c->line, c->path, "2.1.3", "listed "
				"twice with different checksums (line %zu "
				"has another)", a->line);
	}
}

static int by_manifest(const void *a, const void *c)
{
	const struct manifest *x = a, *y = c;

	if (x->tag != y->tag)
		return x->tag - y->tag;
	return strcmp(x->name, y->name);
}

static void find_manifests(struct bag_check *b)
{
	int fd = dup(b->fd);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *d;
	size_t payload = 0;

	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		ERROR(b, ".", 0, NULL, "2", "cannot list the bag: %s",
			strerror(errno));
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		const char *name = d->d_name, *alg;
		size_t len = strlen(name);
		int tag;
		struct manifest *m;

		if (strncmp(name, "manifest-", 9) == 0)
			tag = 0;
		else if (strncmp(name, "tagmanifest-", 12) == 0)
			tag = 1;
		else
			continue;
		if (len < 4 || strcmp(name + len - 4, ".txt") != 0)
			continue;
		alg = name + (tag ? 12 : 9);
		if (b->nmanifests == MANIFESTS_MAX || len >= sizeof(m->name)) {
			ERROR(b, name, 0, NULL, "2.4", "too many manifests "
				"(custody checks up to %d)", MANIFESTS_MAX);
			continue;
		}
		m = &b->manifests[b->nmanifests++];
		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", name);
		m->tag = tag;
		m->alg = custody_bag__algorithm(alg, (size_t)(name + len - 4 -
			alg));
		payload += !tag;
	}
	closedir(dir);
	if (b->nmanifests > 1)
		qsort(b->manifests, b->nmanifests, sizeof(*b->manifests),
			by_manifest);
	if (payload == 0)
		ERROR(b, "manifest-*.txt", 0, NULL, "2.1.3", "missing: "
			"a bag has at least one payload manifest "
			"(manifest-<algorithm>.txt)");
	for (size_t i = 0; i < b->nmanifests; i++) {
		struct manifest *m = &b->manifests[i];
		char *list = m->tag ? b->sum->tag_algorithms :
			b->sum->algorithms;
		size_t used = strlen(list);
		const char *alg = m->name + (m->tag ? 12 : 9);

		snprintf(list + used, sizeof(b->sum->algorithms) - used,
			"%s%.*s", used ? "," : "", (int)(strlen(alg) - 4), alg);
		if (m->alg == NULL) {
			ERROR(b, m->name, 0, NULL, "2.4", "unknown algorithm: "
				"its checksums cannot be checked");
		} else if ((m->md = EVP_get_digestbyname(m->alg->evp_name)) ==
		    NULL) {
			ERROR(b, m->name, 0, NULL, "2.4", "OpenSSL here has "
				"no %s: its checksums cannot be checked",
				m->alg->name);
		} else if (strcmp(m->alg->name, "md5") == 0 ||
		    strcmp(m->alg->name, "sha1") == 0) {
			WARN(b, m->name, 0, NULL, "2.4", "%s is weak; "
				"bags should carry sha512 (or sha256)",
				m->alg->name);
		}
		read_manifest(b, m);
	}
}

/* ---- bag-info.txt (2.2.2) ---- */

static void check_oxum(struct bag_check *b, size_t line, const char *value)
{
	const char *dot = strchr(value, '.');
	char octets[32];

	if (b->has_oxum) {
		WARN(b, "bag-info.txt", line, NULL, "2.2.2", "Payload-Oxum "
			"repeated (line %zu has it); the first is checked",
			b->oxum_line);
		return;
	}
	if (dot == NULL || dot == value || (size_t)(dot - value) >=
	    sizeof(octets) || dot[1] == '\0' || strspn(value,
	    "0123456789") != (size_t)(dot - value) || strspn(dot + 1,
	    "0123456789") != strlen(dot + 1)) {
		ERROR(b, "bag-info.txt", line, NULL, "2.2.2", "Payload-Oxum "
			"'%s' is not OctetCount.StreamCount", value);
		return;
	}
	snprintf(octets, sizeof(octets), "%.*s", (int)(dot - value), value);
	b->oxum_octets = strtoull(octets, NULL, 10);
	b->oxum_streams = strtoull(dot + 1, NULL, 10);
	b->has_oxum = 1;
	b->oxum_line = line;
}

static void check_bag_info(struct bag_check *b)
{
	custody_buf text = CUSTODY_BUF_INIT;
	const char *line;
	size_t pos = 0, len, n = 0, element = 0;
	char label[256], *value = NULL;
	size_t value_len = 0;

	if (read_tag_file(b, "bag-info.txt", &text) != 0)
		return;
	/* a continuation line (leading whitespace) joins the element
	 * before; an element is checked when the next one starts */
	for (;;) {
		int more = custody_bag__next_line(text.ptr, text.size, &pos,
			&line, &len);
		size_t colon;

		n += more;
		if (more && len > 0 && (line[0] == ' ' || line[0] == '\t')) {
			char *longer;

			if (value == NULL) {
				ERROR(b, "bag-info.txt", n, NULL, "2.2.2",
					"a continuation line with no "
					"element before it");
				continue;
			}
			if ((longer = realloc(value, value_len + len + 1)) ==
			    NULL) {
				b->oom = 1;
				break;
			}
			value = longer;
			memcpy(value + value_len, line, len);
			value_len += len;
			value[value_len] = '\0';
			continue;
		}
		if (value != NULL && strcmp(label, "Payload-Oxum") == 0)
			check_oxum(b, element, value);
		free(value);
		value = NULL;
		if (!more)
			break;
		if (len == 0) {
			WARN(b, "bag-info.txt", n, NULL, "2.2.2", "an empty "
				"line");
			continue;
		}
		colon = 0;
		while (colon < len && line[colon] != ':')
			colon++;
		if (colon == len) {
			ERROR(b, "bag-info.txt", n, NULL, "2.2.2", "not "
				"'Label: value' (no colon)");
			continue;
		}
		if (colon == 0 || line[0] == ' ' || line[0] == '\t' ||
		    line[colon - 1] == ' ' || line[colon - 1] == '\t') {
			ERROR(b, "bag-info.txt", n, NULL, "2.2.2", "a label "
				"is not empty and neither starts nor ends with "
				"whitespace");
			continue;
		}
		if (colon + 1 < len && line[colon + 1] != ' ' &&
		    line[colon + 1] != '\t')
			ERROR(b, "bag-info.txt", n, NULL, "2.2.2", "the "
				"colon after '%.*s' must be followed by one "
				"space or tab", (int)(colon > 200 ? 200 :
				colon), line);
		snprintf(label, sizeof(label), "%.*s", (int)colon, line);
		element = n;
		value_len = colon + 2 <= len ? len - colon - 2 : 0;
		if ((value = strndup(line + len - value_len, value_len)) ==
		    NULL) {
			b->oom = 1;
			break;
		}
	}
	free(value);
	custody_buf_dispose(&text);
}

/* ---- fetch.txt (2.2.3) ---- */

static int fetch_by_path(const void *a, const void *c)
{
	return strcmp(((const struct fetch_item *)a)->path,
		((const struct fetch_item *)c)->path);
}

static void check_fetch(struct bag_check *b)
{
	custody_buf text = CUSTODY_BUF_INIT;
	const char *line;
	size_t pos = 0, len, n = 0;

	if (read_tag_file(b, "fetch.txt", &text) != 0)
		return;
	while (custody_bag__next_line(text.ptr, text.size, &pos, &line,
	    &len)) {
		struct custody_bag_fetch_line fl;
		struct fetch_item *f;
		const char *why;
		char *path;
		size_t url_end, len_start, len_end, path_start;

		n++;
		if (len == 0) {
			WARN(b, "fetch.txt", n, NULL, "2.2.3", "an empty line");
			continue;
		}
		if (custody_bag__fetch_fields(line, len, &fl) != 0) {
			ERROR(b, "fetch.txt", n, NULL, "2.2.3", "not 'url "
				"length filepath'");
			continue;
		}
		url_end = fl.url_end;
		len_start = fl.length_start;
		len_end = fl.length_end;
		path_start = fl.path_start;
		if ((path = line_path(b, "fetch.txt", n, line + path_start,
		    len - path_start)) == NULL)
			break;
		if ((why = custody_bag__unsafe_path(path)) != NULL ||
		    strncmp(path, "data/", 5) != 0) {
			ERROR(b, "fetch.txt", n, path, why ? "4.1" : "2.2.3",
				"path %s", why ? why : "is not under data/: "
				"fetch.txt lists payload files only");
			free(path);
			continue;
		}
		{
			size_t scheme = strspn(line,
				"abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");

			if (scheme == 0 || scheme >= url_end ||
			    line[scheme] != ':' || !((line[0] >= 'a' &&
			    line[0] <= 'z') || (line[0] >= 'A' &&
			    line[0] <= 'Z')))
				ERROR(b, "fetch.txt", n, path, "2.2.3",
					"'%.*s' is not an absolute URL",
					(int)(url_end > 200 ? 200 : url_end),
					line);
		}
		if (grow((void **)&b->fetch, &b->alloc_fetch, b->nfetch,
		    sizeof(*b->fetch)) != 0) {
			free(path);
			b->oom = 1;
			break;
		}
		f = &b->fetch[b->nfetch++];
		f->path = path;
		f->line = n;
		f->has_length = !(len_end - len_start == 1 &&
			line[len_start] == '-');
		f->length = 0;
		if (f->has_length) {
			char digits[24];

			if (len_end - len_start >= sizeof(digits) ||
			    strspn(line + len_start, "0123456789") <
			    len_end - len_start) {
				ERROR(b, "fetch.txt", n, path, "2.2.3",
					"length '%.*s' is neither a number "
					"nor '-'",
					(int)(len_end - len_start > 40 ? 40 :
					len_end - len_start), line + len_start);
				f->has_length = 0;
			} else {
				snprintf(digits, sizeof(digits), "%.*s",
					(int)(len_end - len_start),
					line + len_start);
				f->length = strtoull(digits, NULL, 10);
			}
		}
	}
	custody_buf_dispose(&text);
	if (b->nfetch > 1)
		qsort(b->fetch, b->nfetch, sizeof(*b->fetch), fetch_by_path);
	for (size_t i = 1; i < b->nfetch; i++)
		if (strcmp(b->fetch[i - 1].path, b->fetch[i].path) == 0)
			ERROR(b, "fetch.txt", b->fetch[i].line,
				b->fetch[i].path, "2.2.3", "listed twice (also "
				"line %zu)", b->fetch[i - 1].line);
}

/* ---- what is on disk ---- */

static int disk_by_path(const void *a, const void *c)
{
	return strcmp(((const struct on_disk *)a)->path,
		((const struct on_disk *)c)->path);
}

/* The files under `rel` (a folder of the bag), depth first; tag files
 * when `tags` (the top level's manifests of tags left out). */
static void walk(struct bag_check *b, const char *rel, int tags, int depth)
{
	int fd = custody_fs__open_beneath(b->fd, rel, O_RDONLY | O_DIRECTORY,
		0);
	DIR *dir;
	struct dirent *d;

	if (fd < 0) {
		if (errno != ENOENT || depth > 0)
			ERROR(b, rel[0] ? rel : ".", 0, NULL, "2", "cannot "
				"list: %s", strerror(errno));
		return;
	}
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		b->oom = 1;
		return;
	}
	if (depth > 64) {
		ERROR(b, rel, 0, NULL, "2", "folders nested too deep");
		closedir(dir);
		return;
	}
	while ((d = readdir(dir)) != NULL && !b->oom) {
		struct stat st;
		char *path;

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") ==
		    0)
			continue;
		if (depth == 0 && tags && (strcmp(d->d_name, "data") == 0 ||
		    strncmp(d->d_name, "tagmanifest-", 12) == 0))
			continue;
		path = rel[0] ? custody_fs__join(rel, d->d_name) :
			strdup(d->d_name);
		if (path == NULL) {
			b->oom = 1;
			break;
		}
		if (fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW)
		    != 0) {
			ERROR(b, path, 0, path, "2", "cannot stat: %s",
				strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			walk(b, path, tags, depth + 1);
		} else if (!S_ISREG(st.st_mode)) {
			ERROR(b, path, 0, path, "4.1", "is %s, not a file: a "
				"bag holds files only", S_ISLNK(st.st_mode) ?
				"a symbolic link" :
				custody_fs__kind(st.st_mode));
		} else {
			struct on_disk **list = tags ? &b->tags : &b->payload;
			size_t *n = tags ? &b->ntags : &b->npayload;
			size_t *alloc = tags ? &b->alloc_tags :
				&b->alloc_payload;

			if (grow((void **)list, alloc, *n, sizeof(**list)) !=
			    0) {
				b->oom = 1;
				free(path);
				break;
			}
			(*list)[*n].path = path;
			(*list)[*n].size = (uint64_t)st.st_size;
			(*n)++;
			continue;
		}
		free(path);
	}
	closedir(dir);
}

static struct on_disk *find_disk(struct on_disk *list, size_t n,
	const char *path)
{
	struct on_disk key = { (char *)path, 0 };

	if (n == 0)
		return NULL; /* list NULL: not for bsearch */
	return bsearch(&key, list, n, sizeof(*list), disk_by_path);
}

static struct listed *find_listed(struct manifest *m, const char *path)
{
	struct listed key;

	key.path = (char *)path;
	if (m->n == 0)
		return NULL; /* entries NULL: not for bsearch */
	return bsearch(&key, m->entries, m->n, sizeof(*m->entries),
		by_path_only);
}

static struct fetch_item *find_fetch(struct bag_check *b, const char *path)
{
	struct fetch_item key = { (char *)path, 0, 0, 0 };

	if (b->nfetch == 0)
		return NULL; /* fetch NULL: not for bsearch */
	return bsearch(&key, b->fetch, b->nfetch, sizeof(*b->fetch),
		fetch_by_path);
}

/* ---- complete (3) ---- */

struct nfc_name {
	char *key;
	const char *path;
};

static int by_key(const void *a, const void *c)
{
	const struct nfc_name *x = a, *y = c;
	int d = strcmp(x->key, y->key);

	return d ? d : strcmp(x->path, y->path);
}

/* Names that differ only in their Unicode normalisation: one file to
 * macOS and to some archives' stores, two to Linux. */
static void check_normalisation(struct bag_check *b)
{
	struct nfc_name *names;
	size_t n = 0, max = b->npayload + b->ntags;

	for (size_t i = 0; i < b->nmanifests; i++)
		max += b->manifests[i].n;
	if ((names = calloc(max + 1, sizeof(*names))) == NULL) {
		b->oom = 1;
		return;
	}
	for (size_t i = 0; i < b->npayload + b->ntags; i++) {
		const char *p = i < b->npayload ? b->payload[i].path :
			b->tags[i - b->npayload].path;

		if ((names[n].key = custody_bag__nfc(p)) != NULL)
			names[n++].path = p;
	}
	for (size_t i = 0; i < b->nmanifests; i++)
		for (size_t j = 0; j < b->manifests[i].n; j++) {
			const char *p = b->manifests[i].entries[j].path;

			if ((names[n].key = custody_bag__nfc(p)) != NULL)
				names[n++].path = p;
		}
	if (n > 1)
		qsort(names, n, sizeof(*names), by_key);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(names[i].key, names[i - 1].key) != 0 ||
		    strcmp(names[i].path, names[i - 1].path) == 0)
			continue;
		/* one warning per pair of names */
		if (i >= 2 && strcmp(names[i - 2].key, names[i].key) == 0 &&
		    strcmp(names[i - 2].path, names[i].path) == 0)
			continue;
		WARN(b, names[i].path, 0, names[i].path, "A.1", "the same "
			"name as '%s' after Unicode normalisation (NFC): "
			"one file on file systems that normalise",
			names[i - 1].path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i].key);
	free(names);
}

static void check_complete(struct bag_check *b)
{
	int v1 = b->version_major >= 1;

	for (size_t i = 0; i < b->nmanifests; i++) {
		struct manifest *m = &b->manifests[i];

		for (size_t j = 0; j < m->n; j++) {
			struct listed *e = &m->entries[j];

			if (find_disk(m->tag ? b->tags : b->payload, m->tag ?
			    b->ntags : b->npayload, e->path) != NULL)
				continue;
			if (m->tag && strncmp(e->path, "tagmanifest-", 12) ==
			    0 && strchr(e->path, '/') == NULL) {
				int found = 0;

				for (size_t k = 0; k < b->nmanifests; k++)
					found |= strcmp(b->manifests[k].name,
						e->path) == 0;
				if (found) {
					WARN(b, m->name, e->line, e->path,
						"2.2.1", "lists another tag "
						"manifest, which it should "
						"not");
					continue;
				}
			}
			if (!m->tag && find_fetch(b, e->path) != NULL)
				continue;   /* reported once, below */
			ERROR(b, m->name, e->line, e->path, "3", "listed, but "
				"not in the bag");
		}
	}
	for (size_t i = 0; i < b->nfetch; i++) {
		struct fetch_item *f = &b->fetch[i];
		struct on_disk *d = find_disk(b->payload, b->npayload,
			f->path);

		for (size_t k = 0; k < b->nmanifests; k++)
			if (!b->manifests[k].tag && find_listed(
			    &b->manifests[k], f->path) == NULL)
				ERROR(b, "fetch.txt", f->line, f->path, "2.2.3",
					"not listed in %s: every file to fetch "
					"is in every payload manifest",
					b->manifests[k].name);
		if (d == NULL) {
			b->sum->fetch_missing++;
			ERROR(b, "fetch.txt", f->line, f->path, "3", "not "
				"fetched yet: the bag is not complete (custody "
				"bag fetch completes it)");
		} else if (f->has_length && d->size != f->length) {
			ERROR(b, "fetch.txt", f->line, f->path, "2.2.3", "is "
				"%" PRIu64 " bytes; fetch.txt says %" PRIu64,
				d->size, f->length);
		}
	}
	for (size_t i = 0; i < b->npayload; i++) {
		size_t listed = 0, payload_manifests = 0;

		for (size_t k = 0; k < b->nmanifests; k++) {
			if (b->manifests[k].tag || b->manifests[k].alg == NULL)
				continue;
			payload_manifests++;
			if (find_listed(&b->manifests[k], b->payload[i].path))
				listed++;
			else if (v1)
				ERROR(b, b->payload[i].path, 0,
					b->payload[i].path, "3", "not listed "
					"in %s: every payload file is in every "
					"payload manifest",
					b->manifests[k].name);
		}
		if (!v1 && payload_manifests > 0 && listed == 0)
			ERROR(b, b->payload[i].path, 0, b->payload[i].path,
				"3", "not listed in any payload manifest");
	}
	for (size_t i = 0; i < b->ntags; i++) {
		const char *p = b->tags[i].path;

		if (strchr(p, '/') == NULL && strncmp(p, "manifest-", 9) ==
		    0)
			continue;
		for (size_t k = 0; k < b->nmanifests; k++)
			if (b->manifests[k].tag && find_listed(
			    &b->manifests[k], p) == NULL)
				WARN(b, p, 0, p, "2.2.1", "a tag file not "
					"listed in %s", b->manifests[k].name);
	}
}

/* ---- valid (3): the digests ---- */

static void hash_one(struct bag_check *b, struct job *job,
	unsigned char *buffer)
{
	EVP_MD_CTX *ctx[MANIFESTS_MAX] = { NULL };
	struct stat st;
	int fd = custody_fs__open_beneath(b->fd, job->path, O_RDONLY, 0);

	if (fd < 0) {
		job->rc = errno;
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		job->kind = 1;
		close(fd);
		return;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (size_t k = 0; k < b->nmanifests; k++) {
		if (!(job->mask & (1u << k)))
			continue;
		if ((ctx[k] = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(ctx[k], b->manifests[k].md, NULL) != 1) {
			job->rc = ENOMEM;
			goto done;
		}
	}
	for (;;) {
		ssize_t n = read(fd, buffer, READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			job->rc = errno;
			goto done;
		}
		if (n == 0)
			break;
		job->size += (uint64_t)n;
		if (b->opts->progress != NULL)
			atomic_fetch_add(&b->bytes_done, (uint64_t)n);
		for (size_t k = 0; k < b->nmanifests; k++)
			if (ctx[k] != NULL && EVP_DigestUpdate(ctx[k], buffer,
			    (size_t)n) != 1) {
				job->rc = EIO;
				goto done;
			}
	}
	for (size_t k = 0; k < b->nmanifests; k++) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int len = 0;

		if (ctx[k] == NULL)
			continue;
		if (EVP_DigestFinal_ex(ctx[k], md, &len) != 1) {
			job->rc = EIO;
			goto done;
		}
		custody_hex(job->digest[k], md, len);
	}
done:
	for (size_t k = 0; k < b->nmanifests; k++)
		EVP_MD_CTX_free(ctx[k]);
	close(fd);
}

static void *hash_worker(void *arg)
{
	struct bag_check *b = arg;
	unsigned char *buffer = malloc(READ_CHUNK);

	for (;;) {
		size_t i;

		pthread_mutex_lock(&b->lock);
		i = b->next_job++;
		pthread_mutex_unlock(&b->lock);
		if (i >= b->njobs)
			break;
		if (buffer == NULL)
			b->jobs[i].rc = ENOMEM;
		else
			hash_one(b, &b->jobs[i], buffer);
		atomic_fetch_add(&b->jobs_done, 1);
	}
	free(buffer);
	return NULL;
}

static int by_job(const void *a, const void *c)
{
	return strcmp(((const struct job *)a)->path,
		((const struct job *)c)->path);
}

static struct job *find_job(struct bag_check *b, const char *path)
{
	struct job key;

	key.path = path;
	if (b->njobs == 0)
		return NULL; /* jobs NULL: not for bsearch */
	return bsearch(&key, b->jobs, b->njobs, sizeof(*b->jobs), by_job);
}

static void check_digests(struct bag_check *b)
{
	size_t max = 0, n = 0;
	unsigned int threads = b->opts->threads ? b->opts->threads :
		custody_hash__default_threads();
	pthread_t *pool;
	size_t started = 0;

	for (size_t k = 0; k < b->nmanifests; k++)
		max += b->manifests[k].n;
	if ((b->jobs = calloc(max + 1, sizeof(*b->jobs))) == NULL) {
		b->oom = 1;
		return;
	}
	/* one job per file present, with every manifest that lists it */
	for (size_t k = 0; k < b->nmanifests; k++) {
		struct manifest *m = &b->manifests[k];

		if (m->md == NULL)
			continue;
		for (size_t j = 0; j < m->n; j++) {
			struct on_disk *d = find_disk(m->tag ? b->tags :
				b->payload, m->tag ? b->ntags : b->npayload,
				m->entries[j].path);

			if (d == NULL)
				continue;
			b->jobs[n].path = m->entries[j].path;
			b->jobs[n].expected = d->size;
			b->jobs[n++].mask = 1u << k;
		}
	}
	if (n > 1)
		qsort(b->jobs, n, sizeof(*b->jobs), by_job);
	b->njobs = 0;
	for (size_t i = 0; i < n; i++) {
		if (b->njobs > 0 && strcmp(b->jobs[b->njobs - 1].path,
		    b->jobs[i].path) == 0) {
			b->jobs[b->njobs - 1].mask |= b->jobs[i].mask;
			continue;
		}
		b->jobs[b->njobs++] = b->jobs[i];
		b->bytes_total += b->jobs[i].expected;
	}
	if (threads > b->njobs)
		threads = (unsigned int)b->njobs;
	if (threads == 0)
		threads = 1;
	if ((pool = calloc(threads, sizeof(*pool))) == NULL) {
		b->oom = 1;
		return;
	}
	pthread_mutex_init(&b->lock, NULL);
	b->next_job = 0;
	/* with a progress line the calling thread draws it and the pool
	 * is one thread larger; without, it hashes too */
	for (unsigned int t = b->opts->progress != NULL ? 0 : 1; t < threads;
	    t++)
		if (pthread_create(&pool[started], NULL, hash_worker, b) == 0)
			started++;
	if (b->opts->progress == NULL || started == 0)
		hash_worker(b);
	while (b->opts->progress != NULL && atomic_load(&b->jobs_done) <
	    b->njobs) {
		struct timespec pause = { 0, 100 * 1000 * 1000 };

		b->opts->progress("hashing", atomic_load(&b->jobs_done),
			b->njobs, atomic_load(&b->bytes_done), b->bytes_total,
			b->opts->payload);
		nanosleep(&pause, NULL);
	}
	for (size_t t = 0; t < started; t++)
		pthread_join(pool[t], NULL);
	pthread_mutex_destroy(&b->lock);
	free(pool);
	if (b->opts->progress != NULL && b->njobs > 0)
		b->opts->progress("hashing", b->njobs, b->njobs,
			atomic_load(&b->bytes_done), b->bytes_total,
			b->opts->payload);
	for (size_t k = 0; k < b->nmanifests; k++) {
		struct manifest *m = &b->manifests[k];

		if (m->md == NULL)
			continue;
		for (size_t j = 0; j < m->n; j++) {
			struct listed *e = &m->entries[j];
			struct job *job = find_job(b, e->path);

			if (job == NULL || e->digest[0] == '\0')
				continue;
			if (job->kind)
				continue;   /* reported by the walk */
			if (job->rc != 0)
				ERROR(b, m->name, e->line, e->path, "3",
					"cannot read: %s", strerror(job->rc));
			else if (strlen(job->digest[k]) != strlen(e->digest) ||
			    CRYPTO_memcmp(job->digest[k], e->digest,
			    strlen(e->digest)) != 0)
				ERROR(b, m->name, e->line, e->path, "3", "the "
					"file's %s is %s, not the one listed",
					m->alg->name, job->digest[k]);
		}
	}
}

static void check_oxum_totals(struct bag_check *b)
{
	if (!b->has_oxum || b->sum->fetch_missing > 0)
		return;
	if (b->oxum_octets != b->sum->payload_bytes ||
	    b->oxum_streams != b->sum->payload_files)
		ERROR(b, "bag-info.txt", b->oxum_line, NULL, "2.2.2",
			"Payload-Oxum %" PRIu64 ".%" PRIu64 ", but the "
			"payload is %" PRIu64 " bytes in %" PRIu64 " files",
			b->oxum_octets, b->oxum_streams,
			b->sum->payload_bytes, b->sum->payload_files);
}

/* The custody tag files' problems, from bag_custody.c's checks. */
static void custody_tag_problem(void *payload, int error, const char *file,
	const char *path, const char *message)
{
	struct bag_check *b = payload;

	report(b, error ? CUSTODY_BAG_ERROR : CUSTODY_BAG_WARNING, file, 0,
		path, "2.2.4", "%s", message);
}

/* Proofs of the payload, when the bag has custody/ (a bag custody made) */
static int check_custody(struct bag_check *b, const char *bag,
	custody_error **err)
{
	struct custody_bag__custody_check cc;
	const char **paths;
	struct stat st;
	int rc;

	if (fstatat(b->fd, "custody", &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	if ((paths = calloc(b->npayload + 1, sizeof(*paths))) == NULL)
		return custody__oom(err);
	for (size_t i = 0; i < b->npayload; i++)
		paths[i] = b->payload[i].path;
	memset(&cc, 0, sizeof(cc));
	cc.bag = bag;
	cc.key = b->opts->key;
	cc.policy = b->opts->policy;
	cc.policy_len = b->opts->policy_len;
	cc.payload_paths = paths;
	cc.npayload = b->npayload;
	cc.problem = custody_tag_problem;
	cc.payload = b;
	rc = custody_bag__check_custody(&cc, err);
	b->sum->custody_files = 1;
	b->sum->proofs_checked = cc.proofs_checked;
	free(paths);
	return rc;
}

static void free_check(struct bag_check *b)
{
	for (size_t i = 0; i < b->nproblems; i++) {
		free(b->problems[i].file);
		free(b->problems[i].path);
		free(b->problems[i].message);
	}
	free(b->problems);
	for (size_t k = 0; k < b->nmanifests; k++) {
		for (size_t j = 0; j < b->manifests[k].n; j++)
			free(b->manifests[k].entries[j].path);
		free(b->manifests[k].entries);
	}
	for (size_t i = 0; i < b->npayload; i++)
		free(b->payload[i].path);
	free(b->payload);
	for (size_t i = 0; i < b->ntags; i++)
		free(b->tags[i].path);
	free(b->tags);
	for (size_t i = 0; i < b->nfetch; i++)
		free(b->fetch[i].path);
	free(b->fetch);
	free(b->jobs);
	if (b->fd >= 0)
		close(b->fd);
}

int custody_bag_validate(const char *bag,
	const custody_bag_validate_options *opts, custody_bag_summary *out,
	custody_error **err)
{
	static const custody_bag_validate_options defaults =
		CUSTODY_BAG_VALIDATE_OPTIONS_INIT;
	struct bag_check b;
	custody_bag_summary sum;
	struct stat st;
	int rc = 0;

	if (bag == NULL)
		return custody__error(err, CUSTODY_EINVALID, "no bag named");
	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_BAG_VALIDATE_OPTIONS_VERSION,
	    "custody_bag_validate_options")) != 0)
		return rc;
	memset(&b, 0, sizeof(b));
	memset(&sum, 0, sizeof(sum));
	sum.struct_version = CUSTODY_BAG_SUMMARY_VERSION;
	b.opts = opts ? opts : &defaults;
	b.sum = &sum;
	b.version_major = 1;
	if ((b.fd = open(bag, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return custody__error_sys(err, errno == ENOENT ?
			CUSTODY_ENOTFOUND : errno == ENOTDIR ?
			CUSTODY_EINVALID : CUSTODY_EIO, errno,
			"%s: cannot open the bag", bag);
	check_declaration(&b);
	if (fstatat(b.fd, "data", &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISDIR(st.st_mode))
		ERROR(&b, "data", 0, NULL, "2.1.2", "%s: every bag has its "
			"payload folder, data/", fstatat(b.fd, "data", &st,
			AT_SYMLINK_NOFOLLOW) != 0 ? "missing" :
			S_ISLNK(st.st_mode) ? "a symbolic link" :
			"not a folder");
	find_manifests(&b);
	check_bag_info(&b);
	check_fetch(&b);
	walk(&b, "data", 0, 0);
	walk(&b, "", 1, 0);
	/* none of either leaves its array NULL, which qsort must not get */
	if (b.npayload > 1)
		qsort(b.payload, b.npayload, sizeof(*b.payload), disk_by_path);
	if (b.ntags > 1)
		qsort(b.tags, b.ntags, sizeof(*b.tags), disk_by_path);
	for (size_t i = 0; i < b.npayload; i++) {
		sum.payload_files++;
		sum.payload_bytes += b.payload[i].size;
	}
	check_normalisation(&b);
	check_complete(&b);
	sum.complete = sum.errors == 0;
	if (!b.oom)
		check_digests(&b);
	check_oxum_totals(&b);
	if (!b.oom && (rc = check_custody(&b, bag, err)) != 0)
		goto done;
	if (b.oom) {
		rc = custody__oom(err);
		goto done;
	}
	sum.valid = sum.errors == 0;
	for (size_t i = 0; i < b.nproblems && b.opts->problem != NULL; i++) {
		custody_bag_problem p = {
			b.problems[i].severity, b.problems[i].file,
			b.problems[i].line, b.problems[i].path,
			b.problems[i].section, b.problems[i].message
		};

		if (b.opts->problem(&p, b.opts->payload) != 0)
			break;
	}
	rc = sum.valid ? 0 : custody__error(err, CUSTODY_EVERIFY, "%s: not "
		"a valid bag: %zu error%s", bag, sum.errors, sum.errors == 1 ?
		"" : "s");
done:
	if (out != NULL)
		*out = sum;
	free_check(&b);
	return rc;
}
