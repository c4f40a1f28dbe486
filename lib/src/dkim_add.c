/*
 * Registering e-mail with its DKIM verdict: custody add --dkim (a dkim
 * entry per new .eml registration, in the add's own commit, through the
 * add's hook for extra entries) and custody add --mbox (a mailbox split
 * into one document per message first).
 */
#include "archive.h"
#include "archive_add.h"
#include "common.h"
#include "dkim.h"
#include "entry.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* What the hook keeps for after the commit. */
struct dkim_add {
	custody_archive *a;
	const custody_dkim_record_options *opts;
	custody_dkim_report **reports;
	char **paths;
	uint64_t *entries;
	char (*observed)[32];
	size_t n;
};

static void dkim_add_free(struct dkim_add *d)
{
	for (size_t i = 0; i < d->n; i++) {
		custody_dkim_report_free(d->reports[i]);
		free(d->paths[i]);
	}
	free(d->reports);
	free(d->paths);
	free(d->entries);
	free(d->observed);
}

static int is_eml(const char *path)
{
	size_t n = strlen(path);

	return n > 4 && strcasecmp(path + n - 4, ".eml") == 0;
}

static void utc(int64_t seconds, char out[32])
{
	time_t t = (time_t)seconds;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The file the add just hashed, read again: it must still be what the
 * entry records. */
static int read_registered(custody_archive *a, const struct custody_entry *e,
	custody_buf *out, custody_error **err)
{
	char *path = custody_fs__join(a->collection, e->path), hex[65];
	int rc;

	if (path == NULL)
		return custody__oom(err);
	rc = custody_fs__read_file(out, path, CUSTODY_DKIM_MAX_MESSAGE, err);
	free(path);
	if (rc != 0)
		return rc;
	if ((rc = custody_sha256_hex(out->ptr ? out->ptr : "", out->size, hex,
	    err)) != 0)
		return rc;
	if (CRYPTO_memcmp(hex, e->sha256, 64) != 0)
		return custody__error(err, CUSTODY_EVERIFY, "%s changed while "
			"it was being registered", e->path);
	return 0;
}

/* The add's hook: verify each new .eml registration and make its dkim
 * entry, which names the registration by its index to come. */
/* What make_dkim_entries's loads and results need. */
struct making {
	struct dkim_add *d;
	const struct custody_entry *registered;
	struct custody_entry *entries;
	uint64_t first_index;
	size_t n;                       /* files registered */
};

static int message_load(void *payload, size_t i, custody_buf *bytes,
	int *skip, custody_error **err)
{
	struct making *m = payload;
	const struct custody_entry *e = &m->registered[i];

	if (!is_eml(e->path)) {
		*skip = 1;
		return 0;
	}
	return read_registered(m->d->a, e, bytes, err);
}

/* The dkim entries are made in the order of the messages, k = d->n. */
static int message_done(void *payload, size_t i, custody_dkim_report *report,
	const custody_error *why, custody_error **err)
{
	struct making *m = payload;
	struct dkim_add *d = m->d;
	const struct custody_entry *e = &m->registered[i];
	struct custody_entry *out = &m->entries[d->n];
	size_t k = d->n;
	const char *evidence;

	if (report == NULL)
		return custody__error(err, custody_error_code(why), "%s: %s",
			e->path, custody_error_message(why));
	d->reports[k] = report;
	d->n = k + 1;
	if ((d->paths[k] = strdup(e->path)) == NULL)
		return custody__oom(err);
	evidence = custody_dkim_report_evidence(report);
	if (strlen(evidence) > CUSTODY_ENTRY_DKIM_MAX_EVIDENCE)
		return custody__error(err, CUSTODY_EINVALID, "%s: the DKIM "
			"evidence is %zu bytes, more than a dkim entry holds "
			"(%d); its key records are too large to keep", e->path,
			strlen(evidence), CUSTODY_ENTRY_DKIM_MAX_EVIDENCE);
	utc(custody_dkim_report_time(report), d->observed[k]);
	out->type = CUSTODY_ENTRY_DKIM;
	out->message = m->first_index + i;
	out->message_leaf = NULL;       /* the add's commit fills it */
	out->verdict = (char *)custody_dkim_report_verdict(report);
	out->observed = d->observed[k];
	out->dkim_evidence = (char *)evidence;
	out->note = (char *)d->opts->note;
	if (d->opts->progress != NULL)
		d->opts->progress("dkim", i + 1, m->n, 0, 0,
			d->opts->payload);
	return 0;
}

static int make_dkim_entries(void *payload,
	const struct custody_entry *registered, size_t n,
	uint64_t first_index, struct custody_entry **out, size_t *n_out,
	custody_error **err)
{
	struct dkim_add *d = payload;
	struct custody_entry *entries = NULL;
	struct making m;
	size_t k = 0;
	int rc = 0;

	*out = NULL;
	*n_out = 0;
	if ((entries = calloc(n + 1, sizeof(*entries))) == NULL ||
	    (d->reports = calloc(n + 1, sizeof(*d->reports))) == NULL ||
	    (d->paths = calloc(n + 1, sizeof(*d->paths))) == NULL ||
	    (d->entries = calloc(n + 1, sizeof(*d->entries))) == NULL ||
	    (d->observed = calloc(n + 1, sizeof(*d->observed))) == NULL) {
		free(entries);
		return custody__oom(err);
	}
	m.d = d;
	m.registered = registered;
	m.entries = entries;
	m.first_index = first_index;
	m.n = n;
	rc = custody_dkim__verify_each(n, &d->opts->dkim, message_load,
		message_done, &m, err);
	k = d->n;
	if (rc != 0) {
		free(entries);
		return rc;
	}
	*out = entries;
	*n_out = k;
	return 0;
}

int custody_archive_add_dkim(custody_archive *a, const char *const *paths,
	size_t n, const custody_add_options *add,
	const custody_dkim_record_options *dkim, custody_entry_cb entry_cb,
	custody_dkim_check_cb cb, void *payload, custody_add_summary *summary,
	custody_error **err)
{
	custody_add_options defaults = CUSTODY_ADD_OPTIONS_INIT;
	struct custody_add_events events;
	struct dkim_add d;
	custody_add_summary sum;
	int rc;

	if ((rc = CUSTODY_CHECK_OPTIONS(err, dkim,
	    CUSTODY_DKIM_RECORD_OPTIONS_VERSION,
	    "custody_dkim_record_options")) != 0)
		return rc;
	if (dkim == NULL)
		return custody__error(err, CUSTODY_EINVALID, "DKIM options "
			"are needed");
	memset(&d, 0, sizeof(d));
	d.a = a;
	d.opts = dkim;
	memset(&events, 0, sizeof(events));
	events.extra = make_dkim_entries;
	events.payload = &d;
	memset(&sum, 0, sizeof(sum));
	rc = custody_archive__add_events(a, paths, n, add ? add : &defaults,
		&events, entry_cb, payload, &sum, err);
	if (summary != NULL)
		*summary = sum;
	if (rc == 0 && sum.commit[0] != '\0') {
		/* the dkim entries are the commit's last ones */
		uint64_t first = a->size - d.n;

		for (size_t i = 0; cb != NULL && i < d.n && rc == 0; i++)
			rc = cb(d.paths[i], first + i,
				custody_dkim_report_verdict(d.reports[i]),
				d.reports[i], NULL, payload);
	}
	dkim_add_free(&d);
	return rc;
}

/* ---- mbox ---- */

struct mbox_message {
	size_t start, len;     /* in the unescaped text */
	size_t line;           /* of its "From " line, from 1 */
};

struct mbox {
	char *text;            /* the messages, unescaped, one after another */
	size_t len;
	struct mbox_message *messages;
	size_t n;
};

static void mbox_free(struct mbox *m)
{
	free(m->text);
	free(m->messages);
	memset(m, 0, sizeof(*m));
}

static int is_from_line(const char *p, size_t len)
{
	return len >= 5 && memcmp(p, "From ", 5) == 0;
}

/* Split the mbox `data` (its name `name`, for messages). */
static int mbox_split(struct mbox *m, const char *data, size_t size,
	const char *name, custody_error **err)
{
	size_t pos = 0, line = 0, cap = 0;
	int previous_empty = 1;
	const char *nul;

	memset(m, 0, sizeof(*m));
	if ((nul = memchr(data, '\0', size)) != NULL) {
		size_t at = (size_t)(nul - data), ln = 1;

		for (size_t i = 0; i < at; i++)
			ln += data[i] == '\n';
		return custody__error(err, CUSTODY_EINVALID, "%s: line %zu, "
			"byte %zu: a NUL byte, which no mbox or message "
			"holds", name, ln, at);
	}
	if (size == 0 || !is_from_line(data, size))
		return custody__error(err, CUSTODY_EINVALID, "%s: line 1: not "
			"an mbox (it does not begin with a \"From \" line)",
			name);
	if ((m->text = malloc(size + 1)) == NULL)
		return custody__oom(err);
	while (pos < size) {
		const char *p = data + pos;
		const char *eol = memchr(p, '\n', size - pos);
		size_t len = eol ? (size_t)(eol - p) + 1 : size - pos;
		size_t content = len - (eol ? 1 : 0);

		line++;
		if (content > 0 && p[content - 1] == '\r')
			content--;
		if (previous_empty && is_from_line(p, len)) {
			if (m->n == CUSTODY_MBOX_MAX_MESSAGES) {
				mbox_free(m);
				return custody__error(err, CUSTODY_EINVALID,
					"%s: line %zu: more than %d messages; "
					"split the mailbox first", name, line,
					CUSTODY_MBOX_MAX_MESSAGES);
			}
			if (m->n == cap) {
				size_t want = cap ? 2 * cap : 64;
				struct mbox_message *grown = realloc(
					m->messages, want * sizeof(*grown));

				if (grown == NULL) {
					mbox_free(m);
					return custody__oom(err);
				}
				m->messages = grown;
				cap = want;
			}
			/* the separating empty line is the mbox's */
			if (m->n > 0) {
				struct mbox_message *last =
					&m->messages[m->n - 1];
				size_t drop = m->len > 0 &&
					m->text[m->len - 1] == '\n' ? 1 : 0;

				if (drop && m->len >= 2 &&
				    m->text[m->len - 2] == '\r')
					drop = 2;
				if (last->len >= drop) {
					last->len -= drop;
					m->len -= drop;
				}
			}
			m->messages[m->n].start = m->len;
			m->messages[m->n].len = 0;
			m->messages[m->n].line = line;
			m->n++;
		} else {
			/* mboxrd: ">From ", ">>From ", ... lose one '>' */
			size_t skip = 0, q = 0;

			while (q < len && p[q] == '>')
				q++;
			if (q > 0 && is_from_line(p + q, len - q))
				skip = 1;
			memcpy(m->text + m->len, p + skip, len - skip);
			m->len += len - skip;
			m->messages[m->n - 1].len += len - skip;
		}
		previous_empty = content == 0;
		pos += len;
	}
	for (size_t i = 0; i < m->n; i++) {
		struct custody_dkim_message split;
		custody_error *why = NULL;
		int rc;

		if (m->messages[i].len == 0) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s: "
				"message %zu (line %zu): an empty message",
				name, i + 1, m->messages[i].line);
			mbox_free(m);
			return rc;
		}
		rc = custody_dkim__split(&split, (const unsigned char *)
			m->text + m->messages[i].start, m->messages[i].len,
			&why);
		custody_dkim__message_free(&split);
		if (rc != 0) {
			custody__error(err, rc, "%s: message %zu (line %zu): "
				"%s", name, i + 1, m->messages[i].line,
				custody_error_message(why));
			custody_error_free(why);
			mbox_free(m);
			return rc;
		}
	}
	return 0;
}

/* Write `len` bytes as a new file `path`, or accept one that holds
 * exactly them; *created says whether this made it. */
static int put_message(const char *path, const char *data, size_t len,
	int *created, custody_error **err)
{
	custody_buf have = CUSTODY_BUF_INIT;
	int rc;

	*created = 0;
	if (access(path, F_OK) == 0) {
		rc = custody_fs__read_file(&have, path, len + 1, err);
		if (rc == 0 && (have.size != len ||
		    memcmp(have.ptr, data, len) != 0))
			rc = custody__error(err, CUSTODY_EEXISTS, "%s exists "
				"and is not that message; move it away",
				path);
		custody_buf_dispose(&have);
		return rc;
	}
	if ((rc = custody_fs__write_new(path, data, len, 0644, err)) == 0)
		*created = 1;
	return rc;
}

int custody_archive_add_mbox(custody_archive *a, const char *mbox,
	const custody_add_options *add,
	const custody_dkim_record_options *dkim, custody_entry_cb entry_cb,
	custody_dkim_check_cb cb, void *payload, custody_add_summary *summary,
	custody_error **err)
{
	custody_buf data = CUSTODY_BUF_INIT;
	struct mbox m;
	char *folder = NULL, **names = NULL;
	unsigned char *created = NULL;
	int made_folder = 0, rc;
	size_t i;

	memset(&m, 0, sizeof(m));
	if ((rc = custody_fs__read_file(&data, mbox, SIZE_MAX, err)) != 0)
		return rc;
	if ((rc = mbox_split(&m, data.ptr ? data.ptr : "", data.size, mbox,
	    err)) != 0)
		goto done;
	if (asprintf(&folder, "%s.d", mbox) < 0) {
		folder = NULL;
		rc = custody__oom(err);
		goto done;
	}
	if ((names = calloc(m.n + 2, sizeof(*names))) == NULL ||
	    (created = calloc(m.n + 1, 1)) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if (mkdir(folder, 0755) == 0) {
		made_folder = 1;
	} else if (errno != EEXIST) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "%s", folder);
		goto done;
	} else {
		struct stat st;

		/* never write through a link to somewhere else */
		if (lstat(folder, &st) != 0 || !S_ISDIR(st.st_mode)) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s exists "
				"and is not a folder (a symbolic link?); the "
				"messages go in a real folder", folder);
			goto done;
		}
	}
	names[0] = (char *)mbox;
	for (i = 0; i < m.n; i++) {
		int was_made;

		if (asprintf(&names[i + 1], "%s/%04zu.eml", folder, i + 1)
		    < 0) {
			names[i + 1] = NULL;
			rc = custody__oom(err);
			goto done;
		}
		if ((rc = put_message(names[i + 1], m.text +
		    m.messages[i].start, m.messages[i].len, &was_made, err))
		    != 0)
			goto done;
		created[i] = (unsigned char)was_made;
	}
	rc = custody_archive_add_dkim(a, (const char *const *)names, m.n + 1,
		add, dkim, entry_cb, cb, payload, summary, err);
done:
	/* a refused add leaves no message file behind */
	for (i = 0; rc != 0 && names != NULL && i < m.n; i++)
		if (created != NULL && created[i] && names[i + 1] != NULL)
			(void)unlink(names[i + 1]);
	if (rc != 0 && made_folder)
		(void)rmdir(folder);
	for (i = 0; names != NULL && i < m.n; i++)
		free(names[i + 1]);
	free(names);
	free(created);
	free(folder);
	mbox_free(&m);
	custody_buf_dispose(&data);
	return rc;
}
