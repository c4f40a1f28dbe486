/*
 * The witness (custody/witness.h): its state folder, the logs it trusts,
 * and the add-checkpoint verdict of c2sp.org/tlog-witness.
 *
 * Every request re-reads `logs` and the origin's state file: they are
 * small, the kernel caches them, and a `custody witness trust` or an
 * offline cosign takes effect for a running server at once.
 */
#include "custody/witness.h"
#include "witness.h"
#include "base64.h"
#include "checkpoint.h"
#include "common.h"
#include "cosignature.h"
#include "ed25519.h"
#include "fsutil.h"
#include "key.h"
#include "merkle.h"
#include "note.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define CONFIG_MAX 4096
#define LOGS_MAX (1024 * 1024)
#define STATE_MAX (256 * 1024)
#define PROOF_LINES_MAX 63

/* ---- small helpers ---- */

/* Read a whole file of at most `max` bytes: 0, CUSTODY_ENOTFOUND (it
 * does not exist), or an error. */
static int read_small(custody_buf *out, const char *path, size_t max,
	custody_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	int rc = 0;

	out->size = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return CUSTODY_ENOTFOUND;
		return custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot open", path);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = custody__error(err, CUSTODY_EIO, "%s: not a regular file",
			path);
		goto done;
	}
	if ((uint64_t)st.st_size > max) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: too large "
			"(%lld bytes, limit %zu)", path,
			(long long)st.st_size, max);
		goto done;
	}
	if (custody_buf__append(out, "", 0) != 0) {
		rc = custody__oom(err);
		goto done;
	}
	for (;;) {
		char chunk[8192];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = custody__error_sys(err, CUSTODY_EIO, errno,
				"%s: cannot read", path);
			break;
		}
		if (n == 0)
			break;
		if (out->size + (size_t)n > max) {
			rc = custody__error(err, CUSTODY_EINVALID,
				"%s: too large (limit %zu)", path, max);
			break;
		}
		if (custody_buf__append(out, chunk, (size_t)n) != 0) {
			rc = custody__oom(err);
			break;
		}
	}
done:
	close(fd);
	return rc;
}

void custody_witness__origin_hash(const char *origin, size_t len,
	char out[65])
{
	unsigned char digest[32];
	unsigned int n = 32;

	if (EVP_Digest(origin, len, digest, &n, EVP_sha256(), NULL) != 1)
		memset(digest, 0, sizeof(digest));
	custody_hex(out, digest, 32);
}

/* 1 when origin[0 .. len) may be a checkpoint origin. */
static const char *origin_problem(const char *origin, size_t len)
{
	custody_error *e = NULL;
	int bad;

	if (len == 0)
		return "is empty";
	if (len > CUSTODY_NOTE_NAME_MAX)
		return "is longer than 255 bytes";
	if (memchr(origin, '\n', len) != NULL)
		return "holds a newline";
	bad = custody_note__check_text(origin, len, "origin", 1, &e) != 0;
	custody_error_free(e);
	return bad ? "is not UTF-8 without control characters" : NULL;
}

/* Parse a decimal without leading zeros (but "0") below 2^63. */
static int parse_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT64_C(0x7fffffffffffffff))
		return -1;
	*out = v;
	return 0;
}

/* ---- the folder ---- */

int custody_witness_dir(custody_buf *out, custody_error **err)
{
	const char *dir = getenv("CUSTODY_WITNESS_DIR");
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int rc;

	if (dir != NULL && dir[0] != '\0')
		rc = custody_buf__printf(out, "%s", dir);
	else if (xdg != NULL && xdg[0] == '/')
		rc = custody_buf__printf(out, "%s/custody/witness", xdg);
	else if (home != NULL && home[0] == '/')
		rc = custody_buf__printf(out, "%s/.local/state/custody/witness",
			home);
	else
		return custody__error(err, CUSTODY_ENOTFOUND, "no witness "
			"folder: set CUSTODY_WITNESS_DIR, XDG_STATE_HOME or "
			"HOME");
	return rc == 0 ? 0 : custody__oom(err);
}

static int dir_or_default(custody_buf *out, const char *dir,
	custody_error **err)
{
	if (dir != NULL)
		return custody_buf__printf(out, "%s", dir) == 0 ? 0 :
			custody__oom(err);
	return custody_witness_dir(out, err);
}

/* mkdir -p with mode 0700 for what is made. */
static int make_folders(char *path, custody_error **err)
{
	size_t len = strlen(path);

	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			int e = errno;

			path[i] = i < len ? '/' : '\0';
			return custody__error_sys(err, CUSTODY_EIO, e,
				"%s: cannot create folder", path);
		}
		if (i < len)
			path[i] = '/';
	}
	return 0;
}

int custody_witness_init(const char *dir, const char *name,
	const custody_pubkey *key, const char *key_name, custody_error **err)
{
	custody_buf path = CUSTODY_BUF_INIT, config = CUSTODY_BUF_INIT;
	struct custody_cosig_verifier v;
	char *file = NULL, *sub = NULL;
	char hex[9], b64[CUSTODY_BASE64_LEN(33) + 1];
	unsigned char body[33];
	DIR *d = NULL;
	int rc;

	if ((rc = custody_cosig__verifier_from_key(&v, name,
	    custody_pubkey_raw(key), err)) != 0)
		return rc;
	if ((rc = dir_or_default(&path, dir, err)) != 0)
		return rc;
	if ((rc = make_folders(path.ptr, err)) != 0)
		goto done;
	if ((d = opendir(path.ptr)) == NULL) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot open folder", path.ptr);
		goto done;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		rc = custody__error(err, CUSTODY_EEXISTS, "%s: %s", path.ptr,
			strcmp(e->d_name, "config") == 0 ?
			"holds a witness already" : "is not empty");
		goto done;
	}
	body[0] = CUSTODY_NOTE_KEY_COSIGNATURE;
	memcpy(body + 1, v.pub, 32);
	custody_hex(hex, v.key_id, 4);
	custody_base64_encode(b64, body, sizeof(body));
	if (custody_buf__printf(&config, "name %s\nvkey %s+%s+%s\nkey %s\n",
	    name, name, hex, b64, key_name) != 0) {
		rc = custody__oom(err);
		goto done;
	}
	if ((sub = custody_fs__join(path.ptr, "state")) == NULL ||
	    (file = custody_fs__join(path.ptr, "config")) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if ((rc = custody_fs__mkdir(sub, 0700, err)) != 0)
		goto done;
	free(sub);
	if ((sub = custody_fs__join(path.ptr, "evidence")) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if ((rc = custody_fs__mkdir(sub, 0700, err)) != 0)
		goto done;
	/* config last: a folder without it is not a witness yet */
	rc = custody_fs__write_new(file, config.ptr, config.size, 0600, err);
done:
	if (d != NULL)
		closedir(d);
	free(file);
	free(sub);
	custody_buf_dispose(&path);
	custody_buf_dispose(&config);
	return rc;
}

/* The value of "<field> value" in config, NUL-terminated in place. */
static char *config_field(char *text, const char *field)
{
	size_t n = strlen(field);

	for (char *line = text; line != NULL && *line != '\0';) {
		char *eol = strchr(line, '\n');

		if (eol != NULL)
			*eol = '\0';
		if (strncmp(line, field, n) == 0 && line[n] == ' ')
			return line + n + 1;
		if (eol != NULL)
			*eol = '\n';
		line = eol != NULL ? eol + 1 : NULL;
	}
	return NULL;
}

int custody_witness_open(custody_witness **out, const char *dir,
	custody_error **err)
{
	custody_buf path = CUSTODY_BUF_INIT, config = CUSTODY_BUF_INIT;
	custody_witness *w = NULL;
	char *file = NULL, *name, *vkey, *key_name;
	int rc;

	*out = NULL;
	if ((rc = dir_or_default(&path, dir, err)) != 0)
		return rc;
	if ((file = custody_fs__join(path.ptr, "config")) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	rc = read_small(&config, file, CONFIG_MAX, err);
	if (rc == CUSTODY_ENOTFOUND) {
		rc = custody__error(err, CUSTODY_ENOTFOUND, "%s: no witness "
			"here (no config)", path.ptr);
		goto done;
	}
	if (rc != 0)
		goto done;
	/* each lookup cuts its line; look the fields up in order */
	name = config_field(config.ptr, "name");
	vkey = name ? config_field(name + strlen(name) + 1, "vkey") : NULL;
	key_name = vkey ? config_field(vkey + strlen(vkey) + 1, "key") : NULL;
	if (key_name == NULL || strlen(name) > CUSTODY_NOTE_NAME_MAX) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: damaged: want "
			"name, vkey and key lines", file);
		goto done;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if ((rc = custody_cosig__verifier_from_vkey(&w->self, vkey,
	    strlen(vkey), err)) != 0)
		goto done;
	if (strcmp(w->self.name, name) != 0) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: the vkey is "
			"not named %s", file, name);
		goto done;
	}
	memcpy(w->name, name, strlen(name) + 1);
	w->vkey = strdup(vkey);
	w->key_name = strdup(key_name);
	w->path = path.ptr;
	path.ptr = NULL;
	if (w->vkey == NULL || w->key_name == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	*out = w;
	w = NULL;
done:
	custody_witness_free(w);
	free(file);
	custody_buf_dispose(&path);
	custody_buf_dispose(&config);
	return rc;
}

const char *custody_witness_name(const custody_witness *w)
{
	return w->name;
}

const char *custody_witness_vkey(const custody_witness *w)
{
	return w->vkey;
}

const char *custody_witness_key_name(const custody_witness *w)
{
	return w->key_name;
}

const char *custody_witness_path(const custody_witness *w)
{
	return w->path;
}

int custody_witness_set_key(custody_witness *w, const custody_key *key,
	custody_error **err)
{
	if (CRYPTO_memcmp(custody_pubkey_raw(custody_key_public(key)),
	    w->self.pub, 32) != 0)
		return custody__error(err, CUSTODY_EINVALID, "this key is not "
			"the key of witness %s (%s)", w->name, w->vkey);
	w->key = key;
	return 0;
}

void custody_witness_free(custody_witness *w)
{
	if (w == NULL)
		return;
	free(w->path);
	free(w->vkey);
	free(w->key_name);
	free(w);
}

/* ---- trusted logs ---- */

struct trusted {
	char *vkey;   /* into the logs text */
	char *origin;
};

/* Read `logs` into text (owned by the caller) and a list of pointers
 * into it (malloc'd, *n of them). */
static int read_logs(const custody_witness *w, custody_buf *text,
	struct trusted **list, size_t *n, custody_error **err)
{
	char *file = custody_fs__join(w->path, "logs");
	size_t count = 0, room = 0;
	int rc;

	*list = NULL;
	*n = 0;
	if (file == NULL)
		return custody__oom(err);
	rc = read_small(text, file, LOGS_MAX, err);
	if (rc == CUSTODY_ENOTFOUND)
		rc = custody_buf__append(text, "", 0) == 0 ? 0 :
			custody__oom(err);
	for (char *line = text->ptr; rc == 0 && line != NULL && *line;) {
		char *eol = strchr(line, '\n'), *space;

		if (eol != NULL)
			*eol = '\0';
		space = strchr(line, ' ');
		if (space == NULL) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s: damaged "
				"line: want \"<vkey> <origin>\"", file);
			break;
		}
		*space = '\0';
		if (count == room) {
			struct trusted *more;

			room = room ? room * 2 : 8;
			more = realloc(*list, room * sizeof(**list));
			if (more == NULL) {
				rc = custody__oom(err);
				break;
			}
			*list = more;
		}
		(*list)[count].vkey = line;
		(*list)[count].origin = space + 1;
		count++;
		line = eol != NULL ? eol + 1 : NULL;
	}
	free(file);
	if (rc != 0) {
		free(*list);
		*list = NULL;
		return rc;
	}
	*n = count;
	return 0;
}

int custody_witness_trust(custody_witness *w, const char *origin,
	const char *vkey, int *added_out, custody_error **err)
{
	struct custody_note_verifier v;
	custody_buf text = CUSTODY_BUF_INIT, line = CUSTODY_BUF_INIT;
	struct trusted *list = NULL;
	const char *problem;
	char *file = NULL, *lock = NULL;
	size_t n = 0;
	int rc, fd = -1;

	if (added_out != NULL)
		*added_out = 0;
	if ((problem = origin_problem(origin, strlen(origin))) != NULL)
		return custody__error(err, CUSTODY_EINVALID, "origin '%s' %s",
			origin, problem);
	if ((rc = custody_note__verifier_from_vkey(&v, vkey, strlen(vkey),
	    err)) != 0)
		return rc;
	if (strchr(vkey, '\n') != NULL)
		return custody__error(err, CUSTODY_EINVALID, "verifier key: "
			"holds a newline");
	if ((file = custody_fs__join(w->path, "logs")) == NULL ||
	    (lock = custody_fs__join(w->path, "logs.lock")) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	/* two trusts at once must not both append */
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot lock", lock);
		goto done;
	}
	if ((rc = read_logs(w, &text, &list, &n, err)) != 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].origin, origin) == 0 &&
		    strlen(list[i].vkey) == strlen(vkey) &&
		    CRYPTO_memcmp(list[i].vkey, vkey, strlen(vkey)) == 0)
			goto done; /* trusted already */
	if (custody_buf__printf(&line, "%s %s\n", vkey, origin) != 0) {
		rc = custody__oom(err);
		goto done;
	}
	if ((rc = custody_fs__append(file, line.ptr, err)) != 0)
		goto done;
	if (added_out != NULL)
		*added_out = 1;
done:
	if (fd >= 0)
		close(fd);
	free(list);
	free(file);
	free(lock);
	custody_buf_dispose(&text);
	custody_buf_dispose(&line);
	return rc;
}

/* ---- the state of one origin ---- */

struct state {
	int exists;
	struct custody_checkpoint checkpoint;
	custody_buf note;   /* the stored note, verbatim */
	size_t text_len;
};

static char *state_path(const custody_witness *w, const char *hash,
	const char *suffix)
{
	custody_buf p = CUSTODY_BUF_INIT;

	if (custody_buf__printf(&p, "%s/state/%s%s", w->path, hash,
	    suffix) != 0) {
		custody_buf_dispose(&p);
		return NULL;
	}
	return p.ptr;
}

static int read_state(const custody_witness *w, const char *hash,
	struct state *s, custody_error **err)
{
	char *file = state_path(w, hash, "");
	int rc;

	memset(s, 0, sizeof(*s));
	if (file == NULL)
		return custody__oom(err);
	rc = read_small(&s->note, file, STATE_MAX, err);
	if (rc == CUSTODY_ENOTFOUND) {
		free(file);
		return 0;
	}
	if (rc == 0 && (custody_note__split(s->note.ptr, s->note.size,
	    &s->text_len, err) != 0 || custody_checkpoint__parse(
	    &s->checkpoint, s->note.ptr, s->text_len, err) != 0))
		rc = custody__error(err, CUSTODY_EINVALID, "%s: damaged "
			"state", file);
	if (rc == 0)
		s->exists = 1;
	free(file);
	return rc;
}

int custody_witness_logs(custody_witness *w, custody_witness_log_cb cb,
	void *payload, custody_error **err)
{
	custody_buf text = CUSTODY_BUF_INIT;
	struct trusted *list = NULL;
	size_t n = 0;
	int rc = read_logs(w, &text, &list, &n, err);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		custody_witness_log log;
		struct state s;
		char hash[65];

		memset(&log, 0, sizeof(log));
		log.origin = list[i].origin;
		log.vkey = list[i].vkey;
		custody_witness__origin_hash(log.origin, strlen(log.origin),
			hash);
		if ((rc = read_state(w, hash, &s, err)) != 0)
			break;
		if (s.exists) {
			log.cosigned = 1;
			log.size = s.checkpoint.size;
			custody_base64_encode(log.root, s.checkpoint.root, 32);
		}
		custody_buf_dispose(&s.note);
		rc = cb(&log, payload);
	}
	free(list);
	custody_buf_dispose(&text);
	return rc;
}

int custody_witness_latest(custody_witness *w, const char *origin_hash,
	custody_buf *out, custody_error **err)
{
	unsigned char raw[32];
	struct state s;
	int rc;

	if (strlen(origin_hash) != 64 || custody_unhex(raw, origin_hash, 32))
		return custody__error(err, CUSTODY_EINVALID, "'%s' is not a "
			"SHA-256 in lowercase hex", origin_hash);
	if ((rc = read_state(w, origin_hash, &s, err)) != 0)
		return rc;
	if (!s.exists)
		rc = custody__error(err, CUSTODY_ENOTFOUND, "nothing cosigned "
			"for the origin with hash %s", origin_hash);
	else if (custody_buf__append(out, s.note.ptr, s.note.size) != 0)
		rc = custody__oom(err);
	custody_buf_dispose(&s.note);
	return rc;
}

/* ---- the request ---- */

struct request {
	uint64_t old;
	unsigned char proof[PROOF_LINES_MAX][32];
	size_t nproof;
	const char *note;
	size_t note_len;
	size_t text_len;
	struct custody_checkpoint checkpoint;
};

void custody_witness_answer_dispose(custody_witness_answer *a)
{
	if (a == NULL)
		return;
	custody_buf_dispose(&a->body);
}

static int answer(custody_witness_answer *a, int status, custody_error **err,
	const char *fmt, ...) CUSTODY_PRINTF(4, 5);

/* Set the status and a one-line reason (or, for 409, the size). */
static int answer(custody_witness_answer *a, int status, custody_error **err,
	const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	a->status = status;
	a->content_type = status == 409 ? "text/x.tlog.size" :
		"text/plain; charset=utf-8";
	a->body.size = 0;
	if (custody_buf__printf(&a->body, "%s\n", line) != 0)
		return custody__oom(err);
	return 0;
}

static int count_signature(const struct custody_note_signature *sig,
	void *payload)
{
	(void)sig;
	(*(size_t *)payload)++;
	return 0;
}

/*
 * Parse the body; 0, or a reason in why (the 400 answer). The checkpoint
 * may carry at most CUSTODY_NOTE_MAX_SIGNATURES - 1 signatures, so that
 * it still parses with this witness's own added.
 */
static int parse_request(struct request *r, const char *body, size_t len,
	char *why, size_t why_len)
{
	custody_error *e = NULL;
	const char *line;
	size_t pos = 0, line_len, nsig = 0;
	int more;

	memset(r, 0, sizeof(*r));
	if (custody_note__take_line(body, len, &pos, &line, &line_len) != 1 ||
	    line_len < 4 || memcmp(line, "old ", 4) != 0 ||
	    parse_size(line + 4, line_len - 4, &r->old) != 0) {
		snprintf(why, why_len, "line 1: want \"old <size>\" (decimal, "
			"no leading zeros)");
		return -1;
	}
	for (;;) {
		size_t got;
		unsigned char hash[33];

		more = custody_note__take_line(body, len, &pos, &line,
			&line_len);
		if (more != 1) {
			snprintf(why, why_len, "no empty line before the "
				"checkpoint");
			return -1;
		}
		if (line_len == 0)
			break;
		if (r->nproof == PROOF_LINES_MAX) {
			snprintf(why, why_len, "more than %d consistency proof "
				"lines", PROOF_LINES_MAX);
			return -1;
		}
		if (line_len != 44 || custody_base64_decode(hash, &got, line,
		    line_len) != 0 || got != 32) {
			snprintf(why, why_len, "line %zu: not a hash (canonical "
				"base64 of 32 bytes)", r->nproof + 2);
			return -1;
		}
		memcpy(r->proof[r->nproof++], hash, 32);
	}
	r->note = body + pos;
	r->note_len = len - pos;
	if (custody_note__signatures(r->note, r->note_len, count_signature,
	    &nsig, &e) != 0 ||
	    custody_note__split(r->note, r->note_len, &r->text_len, &e) != 0 ||
	    custody_checkpoint__parse(&r->checkpoint, r->note, r->text_len,
	    &e) != 0) {
		snprintf(why, why_len, "the checkpoint (from line %zu): %s",
			r->nproof + 3, custody_error_message(e));
		custody_error_free(e);
		return -1;
	}
	if (nsig >= CUSTODY_NOTE_MAX_SIGNATURES) {
		snprintf(why, why_len, "the checkpoint carries %zu signature "
			"lines, at most %d are taken", nsig,
			CUSTODY_NOTE_MAX_SIGNATURES - 1);
		return -1;
	}
	return 0;
}

/* The log's signature: 0, or 1 with the reason (403). */
static int check_log_signature(const struct request *r,
	const struct trusted *list, size_t n, char *why, size_t why_len)
{
	struct custody_note_verifier *v = calloc(n ? n : 1, sizeof(*v));
	custody_error *e = NULL;
	size_t count = 0;
	int rc;

	if (v == NULL) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].origin, r->checkpoint.origin) != 0)
			continue;
		if (custody_note__verifier_from_vkey(&v[count],
		    list[i].vkey, strlen(list[i].vkey), &e) == 0)
			count++;
		custody_error_free(e);
		e = NULL;
	}
	rc = custody_note__verify(r->note, r->note_len, v, count, NULL, &e);
	if (rc != 0)
		snprintf(why, why_len, "%s", custody_error_message(e));
	custody_error_free(e);
	free(v);
	return rc != 0 ? 1 : 0;
}

/* ---- evidence ---- */

static int write_in(const char *dir, const char *name, const void *data,
	size_t len, custody_error **err)
{
	char *file = custody_fs__join(dir, name);
	int rc;

	if (file == NULL)
		return custody__oom(err);
	rc = custody_fs__write_new(file, data, len, 0600, err);
	free(file);
	return rc;
}

/*
 * Keep the stored checkpoint and the one presented, with the whole
 * request: made in a temporary folder, then renamed into place, so a
 * record is whole or absent. The record's name comes from both notes,
 * so showing the same pair again keeps one record.
 */
static int keep_evidence(const custody_witness *w, const char *hash,
	const struct state *s, const struct request *r, const char *kind,
	const char *request, size_t request_len, custody_error **err)
{
	custody_buf dir = CUSTODY_BUF_INIT, tmp = CUSTODY_BUF_INIT,
		info = CUSTODY_BUF_INIT;
	unsigned char digest[32];
	char id[17], now[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct timespec ts;
	struct stat st;
	int rc = 0;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, s->note.ptr, s->note.size) != 1 ||
	    EVP_DigestUpdate(md, "\0", 1) != 1 ||
	    EVP_DigestUpdate(md, r->note, r->note_len) != 1 ||
	    EVP_DigestFinal_ex(md, digest, NULL) != 1) {
		EVP_MD_CTX_free(md);
		return custody__error_ssl(err, CUSTODY_ERROR, "SHA-256");
	}
	EVP_MD_CTX_free(md);
	custody_hex(id, digest, 8);
	custody_fs__now_rfc3339(now);
	/* a folder left by a crash keeps its name: never reuse one */
	clock_gettime(CLOCK_REALTIME, &ts);
	if (custody_buf__printf(&dir, "%s/evidence/%s-%s", w->path, hash,
	    id) != 0 || custody_buf__printf(&tmp, "%s/evidence/.new-%s-%s-%ld"
	    "-%ld.%09ld", w->path, hash, id, (long)getpid(), (long)ts.tv_sec,
	    ts.tv_nsec) != 0 ||
	    custody_buf__printf(&info, "origin %s\nkind %s\ntime %s\n",
	    r->checkpoint.origin, kind, now) != 0) {
		rc = custody__oom(err);
		goto done;
	}
	if (stat(dir.ptr, &st) == 0)
		goto done; /* kept already */
	if (mkdir(tmp.ptr, 0700) != 0) {
		/* named as the folder it becomes, not the temporary one */
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot create folder", dir.ptr);
		goto done;
	}
	if ((rc = write_in(tmp.ptr, "info", info.ptr, info.size, err)) != 0 ||
	    (rc = write_in(tmp.ptr, "cosigned", s->note.ptr, s->note.size,
	    err)) != 0 ||
	    (rc = write_in(tmp.ptr, "presented", r->note, r->note_len,
	    err)) != 0 ||
	    (rc = write_in(tmp.ptr, "request", request, request_len,
	    err)) != 0)
		goto done;
	if (rename(tmp.ptr, dir.ptr) != 0) {
		if (errno == EEXIST || errno == ENOTEMPTY)
			goto done; /* kept meanwhile, by another process */
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot rename into place", dir.ptr);
		goto done;
	}
	{
		char *parent = custody_fs__join(w->path, "evidence");

		if (parent == NULL)
			rc = custody__oom(err);
		else
			rc = custody_fs__fsync_dir(parent, err);
		free(parent);
	}
done:
	if (rc != 0 && tmp.ptr != NULL) {
		/* leave no half record behind */
		static const char *const names[] = { "info", "cosigned",
			"presented", "request" };
		for (size_t i = 0; i < 4; i++) {
			char *f = custody_fs__join(tmp.ptr, names[i]);
			if (f != NULL)
				unlink(f);
			free(f);
		}
		rmdir(tmp.ptr);
	}
	custody_buf_dispose(&dir);
	custody_buf_dispose(&tmp);
	custody_buf_dispose(&info);
	return rc;
}

struct evidence_item {
	char *name;
	char time[CUSTODY_TIME_SIZE];
};

static int by_time(const void *a, const void *b)
{
	const struct evidence_item *x = a, *y = b;
	int c = strcmp(x->time, y->time);

	return c != 0 ? c : strcmp(x->name, y->name);
}

/* Size and root of a stored note. */
static int note_checkpoint(const char *dir, const char *name,
	struct custody_checkpoint *c, custody_error **err)
{
	custody_buf note = CUSTODY_BUF_INIT;
	char *file = custody_fs__join(dir, name);
	size_t text_len;
	int rc;

	if (file == NULL)
		return custody__oom(err);
	rc = read_small(&note, file, STATE_MAX, err);
	if (rc == CUSTODY_ENOTFOUND)
		rc = custody__error(err, CUSTODY_EINVALID, "%s: missing",
			file);
	if (rc == 0 && (custody_note__split(note.ptr, note.size, &text_len,
	    err) != 0 || custody_checkpoint__parse(c, note.ptr, text_len,
	    err) != 0))
		rc = CUSTODY_EINVALID;
	free(file);
	custody_buf_dispose(&note);
	return rc;
}

int custody_witness_evidence_list(custody_witness *w,
	custody_witness_evidence_cb cb, void *payload, custody_error **err)
{
	char *root = custody_fs__join(w->path, "evidence");
	struct evidence_item *items = NULL;
	size_t n = 0, room = 0;
	DIR *d;
	int rc = 0;

	if (root == NULL)
		return custody__oom(err);
	if ((d = opendir(root)) == NULL) {
		rc = errno == ENOENT ? 0 : custody__error_sys(err, CUSTODY_EIO,
			errno, "%s: cannot open folder", root);
		free(root);
		return rc;
	}
	for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
		custody_buf info = CUSTODY_BUF_INIT;
		char *dir, *file, *t;

		if (e->d_name[0] == '.')
			continue; /* ., .., and records being made */
		if (n == room) {
			struct evidence_item *more;

			room = room ? room * 2 : 16;
			if ((more = realloc(items, room * sizeof(*items))) ==
			    NULL) {
				rc = custody__oom(err);
				break;
			}
			items = more;
		}
		dir = custody_fs__join(root, e->d_name);
		file = dir ? custody_fs__join(dir, "info") : NULL;
		items[n].name = strdup(e->d_name);
		if (file == NULL || items[n].name == NULL) {
			free(items[n].name);
			free(dir);
			free(file);
			rc = custody__oom(err);
			break;
		}
		items[n].time[0] = '\0';
		if (read_small(&info, file, CONFIG_MAX, NULL) == 0 &&
		    (t = config_field(info.ptr, "time")) != NULL)
			snprintf(items[n].time, sizeof(items[n].time), "%s", t);
		custody_buf_dispose(&info);
		free(dir);
		free(file);
		n++;
	}
	closedir(d);
	/* no evidence leaves items NULL, which qsort must not be given */
	if (rc == 0 && n > 1)
		qsort(items, n, sizeof(*items), by_time);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		custody_witness_evidence ev;
		struct custody_checkpoint a, b;
		custody_buf info = CUSTODY_BUF_INIT;
		char *dir = custody_fs__join(root, items[i].name), *file;
		char *origin = NULL, *kind = NULL;

		file = dir ? custody_fs__join(dir, "info") : NULL;
		if (file == NULL) {
			free(dir);
			rc = custody__oom(err);
			break;
		}
		rc = read_small(&info, file, CONFIG_MAX, err);
		if (rc == 0) {
			char *copy = strdup(info.ptr);

			origin = config_field(info.ptr, "origin");
			kind = copy ? config_field(copy, "kind") : NULL;
			if (origin == NULL || kind == NULL)
				rc = custody__error(err, CUSTODY_EINVALID,
					"%s: damaged", file);
			if (rc == 0)
				rc = note_checkpoint(dir, "cosigned", &a, err);
			if (rc == 0)
				rc = note_checkpoint(dir, "presented", &b,
					err);
			if (rc == 0) {
				memset(&ev, 0, sizeof(ev));
				ev.origin = origin;
				ev.kind = kind;
				snprintf(ev.time, sizeof(ev.time), "%s",
					items[i].time);
				ev.cosigned_size = a.size;
				custody_base64_encode(ev.cosigned_root, a.root,
					32);
				ev.presented_size = b.size;
				custody_base64_encode(ev.presented_root,
					b.root, 32);
				ev.path = dir;
				rc = cb(&ev, payload);
			}
			free(copy);
		}
		custody_buf_dispose(&info);
		free(dir);
		free(file);
	}
	for (size_t i = 0; i < n; i++)
		free(items[i].name);
	free(items);
	free(root);
	return rc;
}

/* ---- add-checkpoint ---- */

/*
 * The checks that need the stored state, under the origin's lock:
 * 409, 422 (with evidence), or 0 to cosign.
 */
static int judge(custody_witness *w, const char *hash, const struct state *s,
	const struct request *r, const char *request, size_t request_len,
	custody_witness_answer *out, int *cosign, custody_error **err)
{
	static const char *const evidence_note = " (both signed checkpoints "
		"are kept as evidence)";
	uint64_t stored = s->exists ? s->checkpoint.size : 0;
	unsigned char empty[32];
	custody_error *e = NULL;
	int rc;

	*cosign = 0;
	if (r->old != stored)
		return answer(out, 409, err, "%" PRIu64, stored);
	custody_merkle__empty_root(empty);
	if (r->checkpoint.size == 0 &&
	    CRYPTO_memcmp(r->checkpoint.root, empty, 32) != 0)
		return answer(out, 422, err, "a checkpoint of size 0 must have "
			"the empty tree's root (SHA-256 of nothing)");
	if (r->old == 0) {
		if (r->nproof != 0)
			return answer(out, 422, err, "a consistency proof from "
				"size 0 must be empty (it has %zu hashes)",
				r->nproof);
		*cosign = 1;
		return 0;
	}
	/* old == stored > 0: the stored root is the old root */
	if (r->checkpoint.size == stored &&
	    CRYPTO_memcmp(r->checkpoint.root, s->checkpoint.root, 32) != 0) {
		if ((rc = keep_evidence(w, hash, s, r, "same-size", request,
		    request_len, err)) != 0)
			return rc;
		out->evidence = 1;
		return answer(out, 422, err, "the checkpoint of size %" PRIu64
			" has another root than the one cosigned at that "
			"size%s", stored, evidence_note);
	}
	rc = custody_merkle__verify_consistency(stored, r->checkpoint.size,
		s->checkpoint.root, r->checkpoint.root, r->proof, r->nproof,
		&e);
	if (rc != 0) {
		char why[512];
		int bigger = r->checkpoint.size > stored;

		snprintf(why, sizeof(why), "%s", custody_error_message(e));
		custody_error_free(e);
		if (bigger && (rc = keep_evidence(w, hash, s, r, "bad-proof",
		    request, request_len, err)) != 0)
			return rc;
		out->evidence = bigger;
		return answer(out, 422, err, "the consistency proof from size "
			"%" PRIu64 " to %" PRIu64 " does not hold: %s%s",
			stored, r->checkpoint.size, why,
			bigger ? evidence_note : "");
	}
	*cosign = 1;
	return 0;
}

static int lock_origin(const custody_witness *w, const char *hash,
	int *fd_out, custody_error **err)
{
	char *file = state_path(w, hash, ".lock");
	int fd, rc = 0;

	*fd_out = -1;
	if (file == NULL)
		return custody__oom(err);
	fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot open", file);
		goto done;
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		rc = custody__error_sys(err, CUSTODY_EIO, errno,
			"%s: cannot lock", file);
		close(fd);
		goto done;
	}
	*fd_out = fd;
done:
	free(file);
	return rc;
}

int custody_witness_add_checkpoint(custody_witness *w, const char *request,
	size_t len, custody_witness_answer *out, custody_error **err)
{
	custody_buf logs = CUSTODY_BUF_INIT, note = CUSTODY_BUF_INIT,
		line = CUSTODY_BUF_INIT;
	struct trusted *list = NULL;
	struct request *r = NULL;
	struct state s;
	char why[1024], hash[65], *file = NULL;
	size_t n = 0;
	int rc, cosign = 0, known = 0, fd = -1;

	memset(&s, 0, sizeof(s));
	out->status = 0;
	out->evidence = 0;
	out->size = 0;
	if (w->key == NULL)
		return custody__error(err, CUSTODY_EINVALID, "witness %s: no "
			"key to cosign with", w->name);
	if ((r = malloc(sizeof(*r))) == NULL)
		return custody__oom(err);
	if (parse_request(r, request, len, why, sizeof(why)) != 0) {
		rc = answer(out, 400, err, "%s", why);
		goto done;
	}
	out->size = r->checkpoint.size;
	if ((rc = read_logs(w, &logs, &list, &n, err)) != 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		known |= strcmp(list[i].origin, r->checkpoint.origin) == 0;
	if (!known) {
		rc = answer(out, 404, err, "unknown log: this witness does not "
			"cosign for origin '%s'", r->checkpoint.origin);
		goto done;
	}
	if ((rc = check_log_signature(r, list, n, why, sizeof(why))) != 0) {
		rc = rc < 0 ? custody__oom(err) : answer(out, 403, err, "%s",
			why);
		goto done;
	}
	if (r->old > r->checkpoint.size) {
		rc = answer(out, 400, err, "old size %" PRIu64 " is larger than "
			"the checkpoint's size %" PRIu64, r->old,
			r->checkpoint.size);
		goto done;
	}
	custody_witness__origin_hash(r->checkpoint.origin,
		strlen(r->checkpoint.origin), hash);
	if ((rc = lock_origin(w, hash, &fd, err)) != 0)
		goto done;
	if ((rc = read_state(w, hash, &s, err)) != 0)
		goto done;
	if ((rc = judge(w, hash, &s, r, request, len, out, &cosign,
	    err)) != 0 || !cosign)
		goto done;
	/* cosign, persist, and only then answer */
	if ((rc = custody_cosig__sign(&line, r->note, r->text_len, w->name,
	    w->key, (uint64_t)time(NULL), err)) != 0)
		goto done;
	if (custody_buf__append(&note, r->note, r->note_len) != 0 ||
	    custody_buf__append(&note, line.ptr, line.size) != 0) {
		rc = custody__oom(err);
		goto done;
	}
	if ((file = state_path(w, hash, "")) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if ((rc = custody_fs__write_atomic(file, note.ptr, note.size, 0600,
	    err)) != 0)
		goto done;
	out->status = 200;
	out->content_type = "text/plain; charset=utf-8";
	out->body.size = 0;
	if (custody_buf__append(&out->body, line.ptr, line.size) != 0)
		rc = custody__oom(err);
done:
	if (fd >= 0)
		close(fd); /* drops the lock */
	if (rc != 0)
		out->status = 0;
	free(r);
	free(list);
	free(file);
	custody_buf_dispose(&logs);
	custody_buf_dispose(&s.note);
	custody_buf_dispose(&note);
	custody_buf_dispose(&line);
	return rc;
}
