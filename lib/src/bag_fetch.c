/*
 * custody_bag_fetch: complete a holey bag. Each file fetch.txt lists and
 * the bag lacks is downloaded (libcurl) to a temporary file in the bag,
 * checked against its length, every payload manifest and, with a key,
 * its custody proof, and only then moved into data/.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "bag.h"
#include "common.h"
#include "custody/check.h"
#include "fsutil.h"
#include "libcurl.h"

#define ALGS 6

struct wanted {
	char *url;
	char *path;
	size_t line;
	int has_length;
	uint64_t length;
	/* the digest each manifest lists, "" when it lists none */
	char digest[ALGS][129];
};

struct fetch_run {
	const char *bag;
	int bag_fd;
	const custody_bag_fetch_options *opts;
	struct wanted *items;
	size_t n, alloc;
	const struct custody_bag_algorithm *algs[ALGS];
	int have_alg[ALGS];
	custody_bag_fetch_summary *sum;
	uint64_t max_bytes;
	/* for the progress line */
	size_t missing, done;
	uint64_t bytes_total;
};

static const char *const alg_names[ALGS] = { "md5", "sha1", "sha224",
	"sha256", "sha384", "sha512" };

static void problem(struct fetch_run *run, const char *file, size_t line,
	const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void problem(struct fetch_run *run, const char *file, size_t line,
	const char *path, const char *fmt, ...)
{
	char message[1024];
	custody_bag_problem p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	run->sum->failed++;
	if (run->opts->problem == NULL)
		return;
	p.severity = CUSTODY_BAG_ERROR;
	p.file = file;
	p.line = line;
	p.path = path;
	p.section = "2.2.3";
	p.message = message;
	(void)run->opts->problem(&p, run->opts->payload);
}

static int read_text(struct fetch_run *run, const char *name,
	custody_buf *out, custody_error **err)
{
	char *path = custody_fs__join(run->bag, name);
	int rc;

	if (path == NULL)
		return custody__oom(err);
	rc = custody_fs__read_file(out, path, 512u * 1024 * 1024, err);
	free(path);
	return rc;
}

static char *decode(struct fetch_run *run, const char *text, size_t len)
{
	return run->opts->legacy_encoding ? strndup(text, len) :
		custody_bag__decode_path(text, len, NULL);
}

static int read_fetch(struct fetch_run *run, custody_error **err)
{
	custody_buf text = CUSTODY_BUF_INIT;
	const char *line;
	size_t pos = 0, len, n = 0;
	int rc;

	if ((rc = read_text(run, "fetch.txt", &text, err)) != 0)
		return rc;
	while (custody_bag__next_line(text.ptr, text.size, &pos, &line,
	    &len)) {
		struct custody_bag_fetch_line fl;
		struct wanted *w;
		const char *why;
		char *path;

		n++;
		if (len == 0)
			continue;
		if (custody_bag__fetch_fields(line, len, &fl) != 0) {
			problem(run, "fetch.txt", n, NULL, "not 'url length "
				"filepath'");
			continue;
		}
		if ((path = decode(run, line + fl.path_start,
		    len - fl.path_start)) == NULL) {
			rc = custody__oom(err);
			break;
		}
		if ((why = custody_bag__unsafe_path(path)) != NULL ||
		    strncmp(path, "data/", 5) != 0) {
			problem(run, "fetch.txt", n, path, "path %s, not "
				"fetched", why ? why : "is not under data/");
			free(path);
			continue;
		}
		if (run->n == run->alloc) {
			size_t want = run->alloc ? run->alloc * 2 : 16;
			struct wanted *bigger = realloc(run->items, want *
				sizeof(*bigger));

			if (bigger == NULL) {
				free(path);
				rc = custody__oom(err);
				break;
			}
			run->items = bigger;
			run->alloc = want;
		}
		w = &run->items[run->n++];
		memset(w, 0, sizeof(*w));
		w->path = path;
		w->line = n;
		w->url = strndup(line, fl.url_end);
		w->has_length = !(fl.length_end - fl.length_start == 1 &&
			line[fl.length_start] == '-');
		if (w->has_length) {
			size_t digits_len = fl.length_end - fl.length_start;
			char digits[24];

			snprintf(digits, sizeof(digits), "%.*s",
				(int)(digits_len > 23 ? 23 : digits_len),
				line + fl.length_start);
			w->length = strtoull(digits, NULL, 10);
		}
		if (w->url == NULL) {
			rc = custody__oom(err);
			break;
		}
	}
	custody_buf_dispose(&text);
	return rc;
}

/* hex[0 .. n) in lowercase into out */
static void lower_hex(char *out, const char *hex, size_t n)
{
	for (size_t j = 0; j < n; j++)
		out[j] = (char)(hex[j] >= 'A' && hex[j] <= 'F' ?
			hex[j] - 'A' + 'a' : hex[j]);
	out[n] = '\0';
}

/* The digests each payload manifest lists for the wanted files. */
static int read_manifests(struct fetch_run *run, custody_error **err)
{
	for (size_t k = 0; k < ALGS; k++) {
		custody_buf text = CUSTODY_BUF_INIT;
		custody_error *why = NULL;
		const char *line;
		size_t pos = 0, len;
		char name[64];

		snprintf(name, sizeof(name), "manifest-%s.txt", alg_names[k]);
		if (read_text(run, name, &text, &why) != 0) {
			custody_error_free(why);
			continue;
		}
		run->algs[k] = custody_bag__algorithm(alg_names[k],
			strlen(alg_names[k]));
		run->have_alg[k] = 1;
		while (custody_bag__next_line(text.ptr, text.size, &pos, &line,
		    &len)) {
			size_t hex = 0, gap;
			char *path;

			while (hex < len && line[hex] != ' ' &&
			    line[hex] != '\t')
				hex++;
			for (gap = hex; gap < len && (line[gap] == ' ' ||
			    line[gap] == '\t'); gap++)
				;
			if (gap == len || hex != run->algs[k]->size * 2)
				continue;
			path = decode(run, line + gap, len - gap);
			if (path == NULL) {
				custody_buf_dispose(&text);
				return custody__oom(err);
			}
			for (size_t i = 0; i < run->n; i++)
				if (strcmp(run->items[i].path, path) == 0)
					lower_hex(run->items[i].digest[k], line,
						hex);
			free(path);
		}
		custody_buf_dispose(&text);
	}
	return 0;
}

struct download {
	int fd;
	EVP_MD_CTX *ctx[ALGS];
	uint64_t size, limit;
	int has_limit, too_long, write_errno;
	struct fetch_run *run;    /* for the progress line */
};

static size_t on_data(char *data, size_t size, size_t n, void *payload)
{
	struct download *d = payload;
	size_t len = size * n;

	if (d->has_limit && d->size + len > d->limit) {
		d->too_long = 1;
		return 0;
	}
	for (size_t k = 0; k < ALGS; k++)
		if (d->ctx[k] != NULL)
			EVP_DigestUpdate(d->ctx[k], data, len);
	if (custody_fs__pwrite_all(d->fd, data, len, (off_t)d->size) != 0) {
		d->write_errno = errno;
		return 0;
	}
	d->size += len;
	/* one file may be most of the work: its bytes move the line too */
	if (d->run->opts->progress != NULL)
		d->run->opts->progress("fetching", d->run->done,
			d->run->missing, d->run->sum->bytes + d->size,
			d->run->bytes_total, d->run->opts->payload);
	return len;
}

static int allowed_scheme(const char *url, int allow_file)
{
	return strncasecmp(url, "http://", 7) == 0 ||
		strncasecmp(url, "https://", 8) == 0 ||
		(allow_file && strncasecmp(url, "file://", 7) == 0);
}

/* One file: downloaded, checked, moved into data/. 0, or 1 when it
 * failed (reported), or an error code. */
static int fetch_one(struct fetch_run *run, struct wanted *w, size_t seq,
	custody_error **err)
{
	struct download d;
	char tmp[64], message[CURL_ERROR_SIZE] = "";
	const struct custody_libcurl *c = NULL;
	CURL *curl = NULL;
	CURLcode code;
	long status = 0;
	int failed = 1;

	memset(&d, 0, sizeof(d));
	d.fd = -1;
	d.run = run;
	snprintf(tmp, sizeof(tmp), ".custody-fetch-%ld-%zu", (long)getpid(),
		seq);
	if (!allowed_scheme(w->url, run->opts->allow_file)) {
		problem(run, "fetch.txt", w->line, w->path, "'%.200s': only "
			"http and https URLs are fetched%s", w->url,
			strncasecmp(w->url, "file:", 5) == 0 ? " (file: with "
			"allow_file)" : "");
		return 1;
	}
	for (size_t k = 0; k < ALGS; k++)
		if (w->digest[k][0] != '\0' && ((d.ctx[k] = EVP_MD_CTX_new()) ==
		    NULL || EVP_DigestInit_ex(d.ctx[k], EVP_get_digestbyname(
		    run->algs[k]->evp_name), NULL) != 1)) {
			failed = custody__error_ssl(err, CUSTODY_ERROR, "%s",
				run->algs[k]->name);
			goto done;
		}
	/* fetch.txt's length when it gives one, else the cap: a server
	 * must not fill the disk because a bag says "-" */
	if (w->has_length && w->length > run->max_bytes) {
		problem(run, "fetch.txt", w->line, w->path, "%s: fetch.txt "
			"gives %" PRIu64 " bytes, more than the %" PRIu64 " a "
			"file may bring (max_bytes); not fetched", w->url,
			w->length, run->max_bytes);
		goto done;
	}
	d.has_limit = 1;
	d.limit = w->has_length ? w->length : run->max_bytes;
	if ((d.fd = openat(run->bag_fd, tmp, O_RDWR | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0644)) < 0) {
		failed = custody__error_sys(err, CUSTODY_EIO, errno, "%s/%s: "
			"cannot create", run->bag, tmp);
		goto done;
	}
	if ((c = custody_libcurl__get(err)) == NULL) {
		failed = CUSTODY_ERROR;
		goto done;
	}
	if ((curl = c->easy_init()) == NULL) {
		failed = custody__oom(err);
		goto done;
	}
	c->easy_setopt(curl, CURLOPT_URL, w->url);
	c->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, run->opts->allow_file ?
		"http,https,file" : "http,https");
	c->easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	c->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	c->easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
	c->easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
	c->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	c->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
	c->easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	c->easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
	c->easy_setopt(curl, CURLOPT_USERAGENT, "custody");
	c->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	c->easy_setopt(curl, CURLOPT_WRITEDATA, &d);
	c->easy_setopt(curl, CURLOPT_ERRORBUFFER, message);
	code = c->easy_perform(curl);
	c->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (d.write_errno != 0) {
		failed = custody__error_sys(err, CUSTODY_EIO, d.write_errno,
			"%s/%s: cannot write", run->bag, tmp);
		goto done;
	}
	if (d.too_long && !w->has_length) {
		problem(run, "fetch.txt", w->line, w->path, "%s: sent more "
			"than %" PRIu64 " bytes, the most a file may bring "
			"(max_bytes); not fetched", w->url, run->max_bytes);
		goto done;
	}
	if (d.too_long || (code == CURLE_OK && w->has_length &&
	    d.size != w->length)) {
		problem(run, "fetch.txt", w->line, w->path, "%s: %s than the "
			"%" PRIu64 " bytes fetch.txt gives", w->url,
			d.too_long ? "longer" : "shorter", w->length);
		goto done;
	}
	if (code != CURLE_OK) {
		problem(run, "fetch.txt", w->line, w->path, "%s: %s", w->url,
			message[0] ? message : c->easy_strerror(code));
		goto done;
	}
	for (size_t k = 0; k < ALGS; k++) {
		unsigned char md[64];
		unsigned int len = 0;
		char hex[129];

		if (d.ctx[k] == NULL)
			continue;
		EVP_DigestFinal_ex(d.ctx[k], md, &len);
		custody_hex(hex, md, len);
		if (CRYPTO_memcmp(hex, w->digest[k], 2 * len) != 0) {
			problem(run, "fetch.txt", w->line, w->path, "%s: its "
				"%s is %s, not the one manifest-%s.txt lists",
				w->url, run->algs[k]->name, hex,
				run->algs[k]->name);
			goto done;
		}
	}
	if (fsync(d.fd) != 0) {
		failed = custody__error_sys(err, CUSTODY_EIO, errno, "%s/%s: "
			"cannot sync", run->bag, tmp);
		goto done;
	}
	if (run->opts->key != NULL || run->opts->policy != NULL) {
		custody_check_options copts = CUSTODY_CHECK_OPTIONS_INIT;
		custody_check_result result;
		custody_buf proof = CUSTODY_BUF_INIT, name = CUSTODY_BUF_INIT;
		custody_error *why = NULL;
		char *file = custody_fs__join(run->bag, tmp);
		int bad;

		copts.key = run->opts->key;
		copts.policy = run->opts->policy;
		copts.policy_len = run->opts->policy_len;
		if (file == NULL || custody_buf__printf(&name,
		    "custody/proofs/%s.proof", w->path + 5) != 0) {
			free(file);
			failed = custody__oom(err);
			goto done;
		}
		bad = read_text(run, name.ptr, &proof, &why) != 0 ||
			custody_check(file, proof.ptr, proof.size, &copts,
			&result, &why) != 0;
		if (bad)
			problem(run, name.ptr, 0, w->path, "the fetched file "
				"fails its custody proof: %s",
				custody_error_message(why));
		custody_error_free(why);
		custody_buf_dispose(&proof);
		custody_buf_dispose(&name);
		free(file);
		if (bad)
			goto done;
	}
	{
		const char *last;
		int dir = custody_fs__open_parent(run->bag_fd, w->path, 1,
			&last);

		if (dir < 0) {
			failed = custody__error_sys(err, CUSTODY_EIO, errno,
				"%s: cannot make its folder", w->path);
			goto done;
		}
		/* link, not rename: never over a file that appeared */
		if (linkat(run->bag_fd, tmp, dir, last, 0) != 0) {
			int e = errno;

			close(dir);
			if (e == EEXIST) {
				problem(run, "fetch.txt", w->line, w->path,
					"appeared while it was fetched; left "
					"as it is");
				goto done;
			}
			failed = custody__error_sys(err, CUSTODY_EIO, e, "%s: "
				"cannot put it in the bag", w->path);
			goto done;
		}
		(void)fsync(dir);
		close(dir);
	}
	run->sum->fetched++;
	run->sum->bytes += d.size;
	failed = 0;
done:
	if (d.fd >= 0) {
		close(d.fd);
		(void)unlinkat(run->bag_fd, tmp, 0);
	}
	for (size_t k = 0; k < ALGS; k++)
		EVP_MD_CTX_free(d.ctx[k]);
	if (curl != NULL && c != NULL)
		c->easy_cleanup(curl);
	return failed;
}

int custody_bag_fetch(const char *bag, const custody_bag_fetch_options *opts,
	custody_bag_fetch_summary *summary, custody_error **err)
{
	static const custody_bag_fetch_options defaults =
		CUSTODY_BAG_FETCH_OPTIONS_INIT;
	struct fetch_run run;
	custody_bag_fetch_summary sum;
	int rc, known = 1;

	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_BAG_FETCH_OPTIONS_VERSION,
	    "custody_bag_fetch_options")) != 0)
		return rc;
	memset(&run, 0, sizeof(run));
	memset(&sum, 0, sizeof(sum));
	sum.struct_version = CUSTODY_BAG_FETCH_SUMMARY_VERSION;
	run.bag = bag;
	run.opts = opts ? opts : &defaults;
	run.sum = &sum;
	run.max_bytes = run.opts->max_bytes ? run.opts->max_bytes :
		CUSTODY_BAG_FETCH_MAX_BYTES_DEFAULT;
	if ((run.bag_fd = open(bag, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return custody__error_sys(err, errno == ENOENT ?
			CUSTODY_ENOTFOUND : CUSTODY_EIO, errno, "%s: cannot "
			"open the bag", bag);
	if ((rc = read_fetch(&run, err)) != 0 ||
	    (rc = read_manifests(&run, err)) != 0)
		goto done;
	for (size_t i = 0; i < run.n && run.opts->progress != NULL; i++) {
		struct stat st;

		if (fstatat(run.bag_fd, run.items[i].path, &st,
		    AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		run.missing++;
		run.bytes_total += run.items[i].length;
		known &= run.items[i].has_length;
	}
	if (!known)
		run.bytes_total = 0;
	if (run.opts->progress != NULL && run.missing > 0)
		run.opts->progress("fetching", 0, run.missing, 0,
			run.bytes_total, run.opts->payload);
	for (size_t i = 0; i < run.n; i++) {
		struct wanted *w = &run.items[i];
		struct stat st;
		int listed = 0;

		if (fstatat(run.bag_fd, w->path, &st, AT_SYMLINK_NOFOLLOW) ==
		    0) {
			sum.present++;
			continue;
		}
		for (size_t k = 0; k < ALGS; k++)
			listed |= w->digest[k][0] != '\0';
		if (!listed) {
			problem(&run, "fetch.txt", w->line, w->path, "no "
				"payload manifest lists it: it cannot be "
				"checked, so it is not fetched");
		} else if ((rc = fetch_one(&run, w, i, err)) < 0) {
			goto done;
		}
		if (run.opts->progress != NULL)
			run.opts->progress("fetching", ++run.done, run.missing,
				sum.bytes, run.bytes_total, run.opts->payload);
	}
	rc = sum.failed == 0 ? 0 : custody__error(err, CUSTODY_EVERIFY,
		"%s: %zu file%s not fetched", bag, sum.failed,
		sum.failed == 1 ? "" : "s");
done:
	for (size_t i = 0; i < run.n; i++) {
		free(run.items[i].url);
		free(run.items[i].path);
	}
	free(run.items);
	close(run.bag_fd);
	if (summary != NULL)
		*summary = sum;
	return rc;
}
