/* custody verify: the archive's history, entries, objects, documents. */
#include "archive.h"
#include "blob.h"
#include "checkpoint.h"
#include "error.h"
#include "fsutil.h"
#include "hash.h"
#include "map.h"
#include "member.h"
#include "merkle.h"
#include "note.h"
#include "tiles.h"
#include "tlog.h"
#include "tsa.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* What the history walk learns about each commit, for the membership
 * replay that runs along the entries. */
struct commit_info {
	char hex[41];
	uint64_t first, count;     /* the entries it adds */
	int signature;             /* 1 good, 0 missing or bad (reported) */
	unsigned char signer[32];
	int has_members;
	git_oid members;           /* its members/allowed_signers blob */
	int has_checkpoint;
	git_oid checkpoint;        /* its checkpoint blob */
};

struct ctx {
	custody_archive *a;
	custody_problem_cb cb;
	void *payload;
	custody_verify_summary sum;
	int stopped;
	struct commit_info *commits;
	size_t ncommits;
};

/*
 * At most this many problems are passed on; a damaged or crafted archive
 * may have millions, and the first ones say what happened.
 */
#define PROBLEM_LINES 100

static void problem(struct ctx *c, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct ctx *c, const char *where, const char *fmt, ...)
{
	char msg[1024];
	custody_problem p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->sum.problems++;
	if (c->sum.problems > PROBLEM_LINES)
		return;  /* counted; the last line says how many */
	p.where = where;
	p.message = msg;
	if (c->cb && !c->stopped && c->cb(&p, c->payload) != 0)
		c->stopped = 1;
}

/* After PROBLEM_LINES problems, one line counts the ones not shown. */
static void problems_not_shown(struct ctx *c)
{
	char msg[128];
	custody_problem p;
	uint64_t rest;

	if (c->sum.problems <= PROBLEM_LINES)
		return;
	rest = c->sum.problems - PROBLEM_LINES;
	snprintf(msg, sizeof(msg), "%" PRIu64 " more problem%s not shown",
		rest, rest == 1 ? " is" : "s are");
	p.where = "verify";
	p.message = msg;
	if (c->cb && !c->stopped && c->cb(&p, c->payload) != 0)
		c->stopped = 1;
}

/* "log/000/001/000001234.yaml" -> 1234, or -1 if not custody's layout */
static int64_t entry_index_of(const char *path)
{
	char expect[64], *end;
	uint64_t n;

	if (strncmp(path, "log/", 4) != 0 || strlen(path) != 26)
		return -1;
	errno = 0;
	n = strtoull(path + 12, &end, 10);
	if (errno || end != path + 21)
		return -1;
	custody_archive__entry_path(expect, n);
	return strcmp(expect, path) == 0 ? (int64_t)n : -1;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

struct diff_state {
	struct ctx *c;
	const char *commit;
	int root;
	uint64_t *added;
	size_t nadded, alloc;
	int oom;
	int checkpoint_changed;
	size_t timestamps;         /* timestamps/ files added */
	size_t others;             /* other paths changed */
};

/* "timestamps/<size>.tsr" or ".checkpoint", custody's names there. */
static int timestamp_name(const char *path)
{
	const char *p = path + 11, *q = p;

	if (strncmp(path, "timestamps/", 11) != 0)
		return 0;
	while (*q >= '0' && *q <= '9')
		q++;
	return q != p && (*p != '0' || q == p + 1) &&
		(strcmp(q, ".tsr") == 0 || strcmp(q, ".checkpoint") == 0);
}

static int on_delta(const git_diff_delta *d, struct diff_state *s)
{
	const char *path = d->status == GIT_DELTA_DELETED ?
		d->old_file.path : d->new_file.path;
	char where[128];

	snprintf(where, sizeof(where), "commit %.12s", s->commit);
	if (strncmp(path, "log/", 4) == 0) {
		int64_t n = entry_index_of(path);

		if (d->status != GIT_DELTA_ADDED) {
			problem(s->c, where, "%s entry %s: the log is append-"
				"only; history was rewritten", d->status ==
				GIT_DELTA_DELETED ? "removes" : "changes",
				path);
			return 0;
		}
		if (n < 0) {
			problem(s->c, where, "adds %s, which is not where "
				"custody puts entries", path);
			return 0;
		}
		if (s->nadded == s->alloc) {
			size_t alloc = s->alloc ? s->alloc * 2 : 64;
			uint64_t *grown = realloc(s->added,
				alloc * sizeof(*grown));

			if (grown == NULL) {
				s->oom = 1;
				return -1;
			}
			s->added = grown;
			s->alloc = alloc;
		}
		s->added[s->nadded++] = (uint64_t)n;
	} else if (strcmp(path, CUSTODY_CHECKPOINT_PATH) == 0) {
		if (d->status == GIT_DELTA_DELETED)
			problem(s->c, where, "removes the checkpoint");
		s->checkpoint_changed = 1;
	} else if (strncmp(path, "timestamps/", 11) == 0) {
		if (!timestamp_name(path))
			problem(s->c, where, "adds %s, which is not where "
				"custody puts timestamps", path);
		else if (d->status != GIT_DELTA_ADDED)
			problem(s->c, where, "%s %s: timestamps are only ever "
				"added", d->status == GIT_DELTA_DELETED ?
				"removes" : "changes", path);
		s->timestamps++;
	} else if (strcmp(path, "custody.yaml") == 0) {
		s->others++;
		if (!s->root)
			problem(s->c, where, "changes custody.yaml, the "
				"archive's policy, which no custody command "
				"does");
	} else if (strncmp(path, "documents/", 10) != 0 &&
	    strcmp(path, CUSTODY_MEMBERS_PATH) != 0) {
		s->others++;
		problem(s->c, where, "adds or changes %s, which custody "
			"never writes", path);
	} else {
		s->others++;
	}
	return 0;
}

/*
 * The commit's SSHSIG in its gpgsig header, over the commit without that
 * header, namespace "git": what `git verify-commit` checks with an
 * allowed_signers file. Who signed is judged later, against the members
 * at that point of the log.
 */
static void check_signature(struct ctx *c, const git_oid *id,
	const char *where, struct commit_info *info)
{
	git_buf signature = { NULL, 0, 0 }, signed_data = { NULL, 0, 0 };
	custody_pubkey *signer = NULL;
	custody_error *serr = NULL;
	int rc;

	rc = git_commit_extract_signature(&signature, &signed_data,
		c->a->repo, (git_oid *)id, "gpgsig");
	if (rc == GIT_ENOTFOUND) {
		problem(c, where, "is not signed: every custody commit "
			"carries the SSH signature of the member who made it");
		goto done;
	}
	if (rc != 0) {
		problem(c, where, "its signature cannot be read: %s",
			git_error_last() ? git_error_last()->message :
			"unknown error");
		goto done;
	}
	if (custody_sshsig_verify(signature.ptr, signature.size, "git",
	    signed_data.ptr, signed_data.size, &signer, &serr) != 0) {
		problem(c, where, "bad signature: %s",
			custody_error_message(serr));
		goto done;
	}
	info->signature = 1;
	memcpy(info->signer, custody_pubkey_raw(signer), 32);
	c->sum.signatures++;
done:
	custody_pubkey_free(signer);
	custody_error_free(serr);
	git_buf_dispose(&signature);
	git_buf_dispose(&signed_data);
}

enum seen_state { SEEN_NONE, SEEN_OK, SEEN_DAMAGED, SEEN_UNREADABLE };

/* The commit in custody-seen (the newest this machine made or verified),
 * read one way for verify and for the writers' check. */
static enum seen_state read_seen(custody_archive *a, git_oid *out)
{
	custody_buf text = CUSTODY_BUF_INIT;
	custody_error *rerr = NULL;
	char *path = custody_fs__join(a->gitdir, CUSTODY_SEEN_FILE);
	enum seen_state state = SEEN_UNREADABLE;

	if (path == NULL)
		goto done;
	if (custody_fs__read_file(&text, path, 128, &rerr) != 0)
		state = custody_error_code(rerr) == CUSTODY_ENOTFOUND ?
			SEEN_NONE : SEEN_UNREADABLE;
	else if (text.size != 41 || text.ptr[40] != '\n' ||
	    git_oid_fromstrn(out, text.ptr, 40) != 0)
		state = SEEN_DAMAGED;
	else
		state = SEEN_OK;
done:
	custody_error_free(rerr);
	custody_buf_dispose(&text);
	free(path);
	return state;
}

/*
 * Has the history lost the commit this machine last made or verified?
 * Then main was moved back, or rewritten from that point.
 */
static void check_seen(struct ctx *c, git_oid *seen_out, int *has_seen)
{
	custody_archive *a = c->a;
	enum seen_state state = read_seen(a, seen_out);
	const git_oid *seen = seen_out;

	*has_seen = 0;
	if (state == SEEN_DAMAGED)
		problem(c, CUSTODY_SEEN_FILE, "is damaged; it should hold the "
			"newest commit this machine saw");
	if (state != SEEN_OK)
		return;
	*has_seen = 1;
	if (git_oid_equal(seen, &a->head) ||
	    git_graph_descendant_of(a->repo, &a->head, seen) == 1)
		return;
	{
		char hex[41];

		git_oid_tostr(hex, sizeof(hex), seen);
		problem(c, "history", "main (now %.12s) no longer holds commit "
			"%.12s, which this machine recorded earlier: the "
			"history was moved back or rewritten", a->head_hex,
			hex);
	}
}

/*
 * Membership replay along the entries: the state before a commit's
 * entries judges its signer (the genesis commit is judged after its
 * genesis entry, which names the founder); the state after them is
 * what its members/allowed_signers must say.
 */
struct replay {
	struct custody_members members;
	size_t commit;              /* the commit whose entries come next */
	const char *signer_name;    /* NULL if unknown or not a member */
	uint64_t generation;        /* bumped by each membership change */
	uint64_t hashed_generation;
	git_oid expected;           /* allowed_signers blob for generation */
	int has_expected;
	int oom;
};

static void judge_signer(struct ctx *c, struct replay *r,
	const struct commit_info *info)
{
	const struct custody_member *m;
	char where[64], fp[64];

	r->signer_name = NULL;
	if (!info->signature)
		return;
	snprintf(where, sizeof(where), "commit %.12s", info->hex);
	m = custody_members__by_key(&r->members, info->signer);
	custody_members__fingerprint(fp, info->signer);
	if (m == NULL)
		problem(c, where, "signed by key %s, which is not a member's "
			"key", fp);
	else if (m->revoked)
		problem(c, where, "signed by %s (%s), whose key was revoked by "
			"entry %" PRIu64, m->name, fp, m->revoked_at);
	else
		r->signer_name = m->name;
}

static void check_members_file(struct ctx *c, struct replay *r,
	const struct commit_info *info)
{
	char where[64];

	snprintf(where, sizeof(where), "commit %.12s", info->hex);
	if (!info->has_members) {
		problem(c, where, "has no %s", CUSTODY_MEMBERS_PATH);
		return;
	}
	if (!r->has_expected || r->hashed_generation != r->generation) {
		custody_buf text = CUSTODY_BUF_INIT;

		if (custody_members__allowed_signers(&r->members,
		    c->a->config ? c->a->config->origin : "?", &text, NULL)
		    != 0 || git_odb_hash(&r->expected, text.ptr, text.size,
		    GIT_OBJECT_BLOB) != 0) {
			custody_buf_dispose(&text);
			r->oom = 1;
			return;
		}
		custody_buf_dispose(&text);
		r->has_expected = 1;
		r->hashed_generation = r->generation;
	}
	if (!git_oid_equal(&r->expected, &info->members))
		problem(c, where, "%s does not list the members that the log's "
			"genesis and member entries name", CUSTODY_MEMBERS_PATH);
}

/* Before entry `index` is read: close commits that ended, open the one
 * that starts here. */
static void replay_before(struct ctx *c, struct replay *r, uint64_t index)
{
	while (r->commit < c->ncommits) {
		const struct commit_info *info = &c->commits[r->commit];

		if (index < info->first + info->count)
			break;
		check_members_file(c, r, info);
		r->commit++;
		if (r->commit < c->ncommits && r->commit > 0 &&
		    index == c->commits[r->commit].first)
			judge_signer(c, r, &c->commits[r->commit]);
	}
}

static void replay_entry(struct ctx *c, struct replay *r,
	const struct custody_entry *e, const char *where)
{
	custody_error *rerr = NULL;

	if (e->type == CUSTODY_ENTRY_GENESIS || e->type ==
	    CUSTODY_ENTRY_MEMBER) {
		if (custody_members__apply(&r->members, e, &rerr) != 0)
			problem(c, where, "%s", custody_error_message(rerr));
		else
			r->generation++;
		custody_error_free(rerr);
	}
	if (e->type == CUSTODY_ENTRY_GENESIS && r->commit == 0 &&
	    c->ncommits > 0)
		judge_signer(c, r, &c->commits[0]);
	if (e->type == CUSTODY_ENTRY_GENESIS && e->member &&
	    strcmp(e->actor, e->member) != 0)
		problem(c, where, "the genesis entry's actor '%s' is not its "
			"founding member '%s'", e->actor, e->member);
	else if (r->signer_name != NULL && strcmp(e->actor, r->signer_name)
	    != 0)
		problem(c, where, "names '%s' as its actor, but member '%s' "
			"signed its commit", e->actor, r->signer_name);
}

static void replay_end(struct ctx *c, struct replay *r)
{
	while (r->commit < c->ncommits) {
		check_members_file(c, r, &c->commits[r->commit]);
		r->commit++;
		/* commits after the last entry add none: judge them too */
		if (r->commit < c->ncommits)
			judge_signer(c, r, &c->commits[r->commit]);
	}
	custody_members__clear(&r->members);
}

static int check_history(struct ctx *c, custody_error **err)
{
	custody_archive *a = c->a;
	git_revwalk *walk = NULL;
	git_oid *ids = NULL, id;
	size_t n = 0, alloc = 0;
	uint64_t size = 0;
	int rc = 0;

	if (git_revwalk_new(&walk, a->repo) != 0 ||
	    git_revwalk_push(walk, &a->head) != 0 ||
	    git_revwalk_simplify_first_parent(walk) != 0) {
		rc = custody__error_git(err, CUSTODY_EVERIFY,
			"%s: cannot walk the history", a->gitdir);
		goto done;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	while ((rc = git_revwalk_next(&id, walk)) == 0) {
		if (n == alloc) {
			git_oid *grown;

			alloc = alloc ? alloc * 2 : 256;
			grown = realloc(ids, alloc * sizeof(*grown));
			if (grown == NULL) {
				rc = custody__error(err, CUSTODY_ENOMEM,
					"out of memory");
				goto done;
			}
			ids = grown;
		}
		git_oid_cpy(&ids[n++], &id);
	}
	if (rc != GIT_ITEROVER) {
		rc = custody__error_git(err, CUSTODY_EVERIFY,
			"%s: the history cannot be read", a->gitdir);
		goto done;
	}
	rc = 0;
	c->commits = calloc(n ? n : 1, sizeof(*c->commits));
	if (c->commits == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	c->ncommits = n;
	for (size_t i = 0; i < n && !c->stopped; i++) {
		struct commit_info *info = &c->commits[i];
		git_commit *commit = NULL, *parent = NULL;
		git_tree *tree = NULL, *ptree = NULL;
		git_diff *diff = NULL;
		git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
		struct diff_state s;
		char hex[41], where[64];

		git_oid_tostr(hex, sizeof(hex), &ids[i]);
		snprintf(where, sizeof(where), "commit %.12s", hex);
		memset(&s, 0, sizeof(s));
		s.c = c;
		s.commit = hex;
		s.root = i == 0;
		c->sum.commits++;
		memcpy(info->hex, hex, sizeof(info->hex));
		info->first = size;
		check_signature(c, &ids[i], where, info);
		if (git_commit_lookup(&commit, a->repo, &ids[i]) != 0 ||
		    git_commit_tree(&tree, commit) != 0) {
			problem(c, where, "cannot be read: %s",
				git_error_last() ? git_error_last()->message :
				"unknown error");
			goto next;
		}
		{
			git_tree_entry *te = NULL;

			if (git_tree_entry_bypath(&te, tree,
			    CUSTODY_MEMBERS_PATH) == 0) {
				info->has_members = 1;
				git_oid_cpy(&info->members,
					git_tree_entry_id(te));
			}
			git_tree_entry_free(te);
			te = NULL;
			if (git_tree_entry_bypath(&te, tree,
			    CUSTODY_CHECKPOINT_PATH) == 0) {
				info->has_checkpoint = 1;
				git_oid_cpy(&info->checkpoint,
					git_tree_entry_id(te));
			}
			git_tree_entry_free(te);
		}
		if (git_commit_parentcount(commit) > 1)
			problem(c, where, "is a merge; a custody history is a "
				"single line of commits");
		if (i == 0 && git_commit_parentcount(commit) != 0)
			problem(c, where, "has a parent that cannot be "
				"reached");
		if (i > 0 && (git_commit_parent(&parent, commit, 0) != 0 ||
		    git_commit_tree(&ptree, parent) != 0)) {
			problem(c, where, "its parent cannot be read");
			goto next;
		}
		dopts.flags = GIT_DIFF_SKIP_BINARY_CHECK;
		/* Deltas only: the trees say what changed; no content is
		 * read here. */
		if (git_diff_tree_to_tree(&diff, a->repo, ptree, tree, &dopts)
		    != 0) {
			problem(c, where, "cannot be compared with its parent: "
				"%s", git_error_last() ?
				git_error_last()->message : "error");
		} else {
			size_t nd = git_diff_num_deltas(diff);

			for (size_t k = 0; k < nd && !s.oom; k++)
				on_delta(git_diff_get_delta(diff, k), &s);
			if (s.oom)
				rc = custody__error(err, CUSTODY_ENOMEM,
					"out of memory");
		}
		if (rc == 0) {
			if (s.nadded > 1)
				qsort(s.added, s.nadded, sizeof(*s.added),
					cmp_u64);
			if (s.nadded == 0 && s.checkpoint_changed)
				problem(c, where, "changes the checkpoint "
					"without adding entries: a new "
					"checkpoint only ever follows new "
					"entries");
			else if (s.nadded == 0 && (s.timestamps == 0 ||
			    s.others != 0))
				problem(c, where, "adds no entry; every custody "
					"commit adds at least one, but for one "
					"that only adds a timestamp");
			if (s.nadded > 0 && !s.checkpoint_changed)
				problem(c, where, "adds entries but no new "
					"checkpoint");
			for (size_t k = 0; k < s.nadded; k++) {
				if (s.added[k] != size + k) {
					problem(c, where, "adds entry %" PRIu64
						" where entry %" PRIu64 " was "
						"due: the log has a gap or a "
						"repeat", s.added[k], size + k);
					break;
				}
			}
			size += s.nadded;
			info->count = s.nadded;
		}
next:
		free(s.added);
		git_diff_free(diff);
		git_tree_free(tree);
		git_tree_free(ptree);
		git_commit_free(commit);
		git_commit_free(parent);
		if (rc != 0)
			break;
	}
	if (rc == 0 && size != a->size)
		problem(c, "history", "the commits add %" PRIu64 " entries, "
			"but the log at head has %" PRIu64, size, a->size);
done:
	free(ids);
	git_revwalk_free(walk);
	return rc;
}

struct latest {
	char *path;
	uint64_t index, version, size;
	char sha256[65];
	char blob[41];
	int doc_seen;
};

struct blob_check {
	uint64_t index;
	char blob[41];
	char sha256[65];
	uint64_t size;
	char *path;
	int bad;            /* 1 unreadable, 2 digest, 3 size */
};

struct blob_pool {
	struct blob_check *checks;
	size_t n;
	atomic_size_t next, done;
	const char *gitdir;
};

static int hash_chunk(const unsigned char *data, size_t len, void *payload)
{
	return EVP_DigestUpdate(payload, data, len) == 1 ? 0 : -1;
}

/* Each stored blob streams through SHA-256 in bounded chunks. */
static void *blob_worker(void *arg)
{
	struct blob_pool *p = arg;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (git_repository_open_bare(&repo, p->gitdir) != 0 ||
	    git_repository_odb(&odb, repo) != 0 || md == NULL) {
		/* every remaining check fails as unreadable */
		size_t i;

		while ((i = atomic_fetch_add(&p->next, 1)) < p->n) {
			p->checks[i].bad = 1;
			atomic_fetch_add(&p->done, 1);
		}
		goto done;
	}
	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);
		struct blob_check *bc;
		custody_error *why = NULL;
		git_oid id;
		uint64_t size;
		unsigned char want[32], got[32];

		if (i >= p->n)
			break;
		bc = &p->checks[i];
		if (git_oid_fromstr(&id, bc->blob) != 0 ||
		    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
		    custody_blob__stream(p->gitdir, odb, &id, &size,
		    hash_chunk, md, &why) != 0) {
			bc->bad = 1;
		} else if (size != bc->size) {
			bc->bad = 3;
		} else if (custody_unhex(want, bc->sha256, 32) != 0 ||
		    EVP_DigestFinal_ex(md, got, NULL) != 1 ||
		    CRYPTO_memcmp(want, got, 32) != 0) {
			bc->bad = 2;
		}
		custody_error_free(why);
		atomic_fetch_add(&p->done, 1);
	}
done:
	EVP_MD_CTX_free(md);
	git_odb_free(odb);
	git_repository_free(repo);
	return NULL;
}

static int check_blobs(struct ctx *c, struct blob_check *checks, size_t n,
	const custody_verify_options *opts)
{
	struct blob_pool pool;
	unsigned int nthreads = opts->threads ? opts->threads :
		custody_hash__default_threads();
	pthread_t threads[64];
	unsigned int started = 0;

	memset(&pool, 0, sizeof(pool));
	pool.checks = checks;
	pool.n = n;
	pool.gitdir = c->a->gitdir;
	if (nthreads > 64)
		nthreads = 64;
	for (unsigned int i = 0; i < nthreads; i++)
		if (pthread_create(&threads[started], NULL, blob_worker,
		    &pool) == 0)
			started++;
	if (started == 0)
		blob_worker(&pool);
	while (opts->progress && atomic_load(&pool.done) < n) {
		struct timespec pause = { 0, 100 * 1000 * 1000 };

		opts->progress("checking stored content",
			atomic_load(&pool.done), n, 0, 0, opts->payload);
		nanosleep(&pause, NULL);
	}
	for (unsigned int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (size_t i = 0; i < n; i++) {
		char where[64];

		snprintf(where, sizeof(where), "entry %" PRIu64,
			checks[i].index);
		c->sum.blobs_checked++;
		if (checks[i].bad == 1)
			problem(c, where, "stored content %s of %s cannot be "
				"read from the archive", checks[i].blob,
				checks[i].path);
		else if (checks[i].bad == 2)
			problem(c, where, "stored content %s of %s does not "
				"match the entry's SHA-256", checks[i].blob,
				checks[i].path);
		else if (checks[i].bad == 3)
			problem(c, where, "stored content %s of %s does not "
				"have the entry's size", checks[i].blob,
				checks[i].path);
	}
	return 0;
}

/*
 * Reading the entries: the ids are looked up in the tree in log order (the
 * archive's tree cache is not for threads), then each batch of entries is
 * read from the object database and parsed on every core, each thread
 * with a repository of its own, while the caller checks the previous
 * batch in order. A batch is complete before it is handed over, so the
 * checks see every entry exactly as a serial read would.
 */
#define ENTRY_BATCH 2048

struct parsed_entry {
	struct custody_entry *e;
	unsigned char leaf[32];
	custody_error *err;        /* why it could not be read */
	int have_id;
	git_oid id;
};

struct entry_batch {
	struct parsed_entry slot[ENTRY_BATCH];
	uint64_t first;
	size_t n;
	atomic_size_t next, done;
	unsigned int active;       /* threads working on it (under lock) */
};

struct entry_reader {
	const char *gitdir;
	git_odb *odb;              /* the caller's, for its own share */
	struct entry_batch batch[2];
	struct entry_batch *posted;
	pthread_mutex_t lock;
	pthread_cond_t posted_cond, done_cond;
	unsigned long generation;
	int quit;
	pthread_t threads[63];
	unsigned int started;
};

static void parse_one(git_odb *odb, struct entry_batch *b, size_t k)
{
	struct parsed_entry *p = &b->slot[k];
	uint64_t index = b->first + k;
	git_odb_object *obj = NULL;
	char path[64];

	if (!p->have_id)
		return;  /* the lookup said why */
	/* an oversized entry is refused from its header, unread */
	custody_archive__entry_path(path, index);
	if (odb != NULL && custody_archive__blob_fits(odb, &p->id,
	    CUSTODY_ENTRY_MAX_BYTES, path, &p->err) != 0)
		return;
	if (odb == NULL || git_odb_read(&obj, odb, &p->id) != 0 ||
	    git_odb_object_type(obj) != GIT_OBJECT_BLOB) {
		custody_archive__entry_path(path, index);
		if (obj == NULL)
			custody__error_git(&p->err, CUSTODY_EVERIFY, "%s: "
				"cannot read object", path);
		else
			custody__error(&p->err, CUSTODY_EVERIFY, "%s: cannot "
				"read object: not a blob", path);
	} else if (custody_archive__parse_entry(git_odb_object_data(obj),
	    git_odb_object_size(obj), index, &p->e, &p->err) == 0) {
		custody_merkle__leaf_hash(git_odb_object_data(obj),
			git_odb_object_size(obj), p->leaf);
	}
	git_odb_object_free(obj);
}

/* Parse what is left of batch b; returns when none is left to take. */
static void parse_share(git_odb *odb, struct entry_batch *b,
	struct entry_reader *r)
{
	size_t k;

	while ((k = atomic_fetch_add(&b->next, 1)) < b->n) {
		parse_one(odb, b, k);
		if (atomic_fetch_add(&b->done, 1) + 1 == b->n) {
			pthread_mutex_lock(&r->lock);
			pthread_cond_broadcast(&r->done_cond);
			pthread_mutex_unlock(&r->lock);
		}
	}
}

static void *entry_worker(void *arg)
{
	struct entry_reader *r = arg;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	unsigned long seen = 0;

	/* without a repository of its own every read fails, and says so */
	if (git_repository_open_bare(&repo, r->gitdir) != 0 ||
	    git_repository_odb(&odb, repo) != 0)
		odb = NULL;
	for (;;) {
		struct entry_batch *b;

		pthread_mutex_lock(&r->lock);
		while (!r->quit && r->generation == seen)
			pthread_cond_wait(&r->posted_cond, &r->lock);
		if (r->quit) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		seen = r->generation;
		b = r->posted;
		b->active++;
		pthread_mutex_unlock(&r->lock);
		parse_share(odb, b, r);
		pthread_mutex_lock(&r->lock);
		/* the batch may be reused once no thread holds it */
		if (--b->active == 0)
			pthread_cond_broadcast(&r->done_cond);
		pthread_mutex_unlock(&r->lock);
	}
	git_odb_free(odb);
	git_repository_free(repo);
	return NULL;
}

static void reader_start(struct entry_reader *r, custody_archive *a,
	git_odb *odb, unsigned int threads)
{
	memset(r, 0, sizeof(*r));
	r->gitdir = a->gitdir;
	r->odb = odb;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->posted_cond, NULL);
	pthread_cond_init(&r->done_cond, NULL);
	if (threads > 64)
		threads = 64;
	for (unsigned int i = 1; i < threads; i++)
		if (pthread_create(&r->threads[r->started], NULL, entry_worker,
		    r) == 0)
			r->started++;
}

static void batch_clear(struct entry_batch *b)
{
	for (size_t k = 0; k < b->n; k++) {
		custody_entry__free(b->slot[k].e);
		custody_error_free(b->slot[k].err);
	}
	b->n = 0;
}

static void reader_stop(struct entry_reader *r)
{
	pthread_mutex_lock(&r->lock);
	r->quit = 1;
	pthread_cond_broadcast(&r->posted_cond);
	pthread_mutex_unlock(&r->lock);
	for (unsigned int i = 0; i < r->started; i++)
		pthread_join(r->threads[i], NULL);
	batch_clear(&r->batch[0]);
	batch_clear(&r->batch[1]);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->posted_cond);
	pthread_cond_destroy(&r->done_cond);
}

/* Look up the ids of entries first.. (up to ENTRY_BATCH of them, before
 * `end`) and hand the batch to the threads. */
static void reader_post(struct entry_reader *r, struct entry_batch *b,
	custody_archive *a, git_tree *tree, uint64_t first, uint64_t end)
{
	batch_clear(b);
	b->first = first;
	b->n = end - first < ENTRY_BATCH ? (size_t)(end - first) :
		ENTRY_BATCH;
	for (size_t k = 0; k < b->n; k++) {
		struct parsed_entry *p = &b->slot[k];

		p->e = NULL;
		p->err = NULL;
		p->have_id = custody_archive__entry_id(a, tree, first + k,
			&p->id, &p->err) == 0;
	}
	atomic_store(&b->next, 0);
	atomic_store(&b->done, 0);
	pthread_mutex_lock(&r->lock);
	r->posted = b;
	r->generation++;
	pthread_cond_broadcast(&r->posted_cond);
	pthread_mutex_unlock(&r->lock);
}

/* Help with batch b, then wait until every entry of it is parsed and no
 * other thread holds it. */
static void reader_finish(struct entry_reader *r, struct entry_batch *b)
{
	parse_share(r->odb, b, r);
	pthread_mutex_lock(&r->lock);
	while (atomic_load(&b->done) < b->n || b->active > 0)
		pthread_cond_wait(&r->done_cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

struct doc_walk {
	struct ctx *c;
	struct custody_map *by_path;
	struct latest *latest;
	int oom;
};

static int on_document(const char *root, const git_tree_entry *te,
	void *payload)
{
	struct doc_walk *w = payload;
	char path[4096];
	size_t *slot;
	struct latest *l;
	char id[41];

	if (git_tree_entry_type(te) == GIT_OBJECT_TREE)
		return 0;
	snprintf(path, sizeof(path), "%s%s", root, git_tree_entry_name(te));
	slot = custody_map__get(w->by_path, path);
	if (slot == NULL) {
		problem(w->c, "documents/", "holds %s, which is not a "
			"registered document", path);
		return 0;
	}
	l = &w->latest[*slot];
	l->doc_seen = 1;
	git_oid_tostr(id, sizeof(id), git_tree_entry_id(te));
	if (l->blob[0] == '\0')
		problem(w->c, "documents/", "holds %s, whose latest version "
			"was registered without content", path);
	else if (strcmp(id, l->blob) != 0)
		problem(w->c, "documents/", "holds %s as %s, but its entry %"
			PRIu64 " names %s", path, id, l->index, l->blob);
	return 0;
}

/* A publish entry names register entries, with their digests. */
static void check_publication(struct ctx *c, const struct custody_entry *e,
	unsigned char (*digests)[32], const char *where)
{
	static const unsigned char zero[32];
	unsigned char want[32];

	for (size_t k = 0; k < e->ndocuments; k++) {
		const struct custody_published *d = &e->documents[k];

		if (memcmp(digests[d->index], zero, 32) == 0)
			problem(c, where, "publishes entry %" PRIu64 ", which "
				"is not a registration", d->index);
		else if (custody_unhex(want, d->sha256, 32) != 0 ||
		    memcmp(want, digests[d->index], 32) != 0)
			problem(c, where, "publishes entry %" PRIu64 " with "
				"SHA-256 %.16s..., but that entry registered "
				"another digest", d->index, d->sha256);
	}
}

/* An event names a registration by index and digest; a derivative names
 * its original by index and leaf hash. */
static void check_link(struct ctx *c, const struct custody_entry *e,
	unsigned char (*leaves)[32], unsigned char (*digests)[32],
	const char *where)
{
	static const unsigned char zero[32];
	uint64_t target = e->type == CUSTODY_ENTRY_EVENT ? e->document :
		e->derived_from;
	unsigned char want[32];

	if (target >= e->index || memcmp(digests[target], zero, 32) == 0) {
		problem(c, where, "names entry %" PRIu64 ", which is not a "
			"registration", target);
		return;
	}
	if (e->type == CUSTODY_ENTRY_EVENT &&
	    (custody_unhex(want, e->sha256, 32) != 0 ||
	    memcmp(want, digests[target], 32) != 0))
		problem(c, where, "names entry %" PRIu64 " with another "
			"digest than that entry registered", target);
	if (e->type == CUSTODY_ENTRY_DERIVE &&
	    (custody_unhex(want, e->original_leaf, 32) != 0 ||
	    memcmp(want, leaves[target], 32) != 0))
		problem(c, where, "'original_leaf' is not the leaf hash of "
			"entry %" PRIu64 ", the original it names", target);
}

/* Read a blob into a buffer; 0 or -1. */
static int read_blob(custody_archive *a, const git_oid *id,
	custody_buf *out)
{
	git_blob *blob;
	int rc;

	out->ptr = NULL;
	out->size = 0;
	if (git_blob_lookup(&blob, a->repo, id) != 0)
		return -1;
	rc = custody_buf__append(out, git_blob_rawcontent(blob),
		(size_t)git_blob_rawsize(blob)) ? -1 : 0;
	git_blob_free(blob);
	return rc;
}

/* The tile cache against the entries: what differs is rebuilt. */
static int sync_tiles(struct ctx *c, unsigned char (*leaves)[32],
	struct custody_tiles **out, custody_error **err)
{
	custody_archive *a = c->a;
	struct custody_tiles *t = NULL;
	uint64_t have, same = 0;
	int rc;

	if ((rc = custody_tlog__open_tiles(a, &t, &have, err)) != 0)
		return rc;
	for (; same < have && same < a->size; same++) {
		unsigned char h[32];

		if (custody_tiles__node(t, 0, same, h, NULL) != 0 ||
		    memcmp(h, leaves[same], 32) != 0)
			break;
	}
	if (same < have) {
		if (same < a->size)
			custody_archive__notice(a, "the tile cache differed "
				"from the log from leaf %" PRIu64 "; rebuilt "
				"from the entries", same);
		if ((rc = custody_tiles__truncate(t, same, err)) != 0)
			goto fail;
	}
	if (same < a->size && (rc = custody_tiles__append(t,
	    (const unsigned char (*)[32])leaves + same,
	    (size_t)(a->size - same), err)) != 0)
		goto fail;
	*out = t;
	return 0;
fail:
	custody_tiles__free(t);
	return rc;
}

/* Every commit's checkpoint: this log's, of the right size and root,
 * signed by the member who signed the commit. */
static void check_checkpoints(struct ctx *c, struct custody_tiles *t)
{
	custody_archive *a = c->a;
	uint64_t size = 0;

	for (size_t k = 0; k < c->ncommits && !c->stopped; k++) {
		const struct commit_info *info = &c->commits[k];
		struct custody_checkpoint cp;
		struct custody_note_verifier v;
		custody_buf note = CUSTODY_BUF_INIT;
		custody_error *why = NULL;
		unsigned char root[32];
		char where[64];
		size_t text_len;

		size += info->count;
		if (info->count == 0)
			continue;
		snprintf(where, sizeof(where), "commit %.12s", info->hex);
		if (!info->has_checkpoint) {
			problem(c, where, "has no checkpoint");
			continue;
		}
		if (read_blob(a, &info->checkpoint, &note) != 0) {
			problem(c, where, "its checkpoint cannot be read");
			continue;
		}
		if (custody_note__split(note.ptr, note.size, &text_len, &why)
		    != 0 || custody_checkpoint__parse(&cp, note.ptr, text_len,
		    &why) != 0) {
			problem(c, where, "its checkpoint is malformed: %s",
				custody_error_message(why));
		} else if (a->config && strcmp(cp.origin, a->config->origin)
		    != 0) {
			problem(c, where, "its checkpoint names the log '%s', "
				"not '%s'", cp.origin, a->config->origin);
		} else if (cp.size != size) {
			problem(c, where, "its checkpoint has size %" PRIu64
				", but the log has %" PRIu64 " entries there",
				cp.size, size);
		} else if (size > custody_tiles__size(t) ||
		    custody_tiles__root(t, size, root, NULL) != 0 ||
		    CRYPTO_memcmp(root, cp.root, 32) != 0) {
			problem(c, where, "its checkpoint's root is not the "
				"Merkle root of the log's first %" PRIu64
				" entries", size);
		} else if (info->signature) {
			custody_note__verifier_from_key(&v, cp.origin,
				info->signer);
			if (custody_note__verify(note.ptr, note.size, &v, 1,
			    NULL, &why) != 0)
				problem(c, where, "its checkpoint is not signed "
					"by the commit's signer: %s",
					custody_error_message(why));
		}
		custody_error_free(why);
		custody_buf_dispose(&note);
	}
}

/* timestamps/: each token covers its checkpoint, which is this log's. */
static void check_timestamps(struct ctx *c, struct custody_tiles *t,
	git_tree *tree, const struct custody_members *members)
{
	custody_archive *a = c->a;
	git_tree_entry *te = NULL;
	git_tree *dir = NULL;

	if (git_tree_entry_bypath(&te, tree, "timestamps") != 0)
		return;
	if (git_tree_lookup(&dir, a->repo, git_tree_entry_id(te)) != 0) {
		problem(c, "timestamps/", "cannot be read");
		git_tree_entry_free(te);
		return;
	}
	for (size_t i = 0; i < git_tree_entrycount(dir) && !c->stopped; i++) {
		const git_tree_entry *tsr = git_tree_entry_byindex(dir, i);
		const char *name = git_tree_entry_name(tsr);
		const git_tree_entry *cpe;
		size_t len = strlen(name), text_len;
		struct custody_checkpoint cp;
		struct custody_note_verifier *v;
		struct custody_tsa_info info;
		custody_buf token = CUSTODY_BUF_INIT, note = CUSTODY_BUF_INIT;
		custody_error *why = NULL;
		unsigned char digest[32], root[32];
		char where[96], cpname[64];
		int untrusted;

		if (len < 5 || strcmp(name + len - 4, ".tsr") != 0)
			continue;
		snprintf(where, sizeof(where), "timestamps/%s", name);
		snprintf(cpname, sizeof(cpname), "%.*s.checkpoint",
			(int)(len - 4), name);
		if ((cpe = git_tree_entry_byname(dir, cpname)) == NULL ||
		    read_blob(a, git_tree_entry_id(cpe), &note) != 0 ||
		    read_blob(a, git_tree_entry_id(tsr), &token) != 0) {
			problem(c, where, "has no readable %s beside it", cpname);
			goto next;
		}
		if (custody_note__split(note.ptr, note.size, &text_len, &why)
		    != 0 || custody_checkpoint__parse(&cp, note.ptr, text_len,
		    &why) != 0) {
			problem(c, where, "its checkpoint is malformed: %s",
				custody_error_message(why));
			goto next;
		}
		if ((uint64_t)strtoull(name, NULL, 10) != cp.size ||
		    cp.size > custody_tiles__size(t) ||
		    custody_tiles__root(t, cp.size, root, NULL) != 0 ||
		    CRYPTO_memcmp(root, cp.root, 32) != 0) {
			problem(c, where, "its checkpoint is not this log's "
				"tree of size %" PRIu64, cp.size);
			goto next;
		}
		v = calloc(members->count + 1, sizeof(*v));
		for (size_t k = 0; v && k < members->count; k++)
			custody_note__verifier_from_key(&v[k], cp.origin,
				members->items[k].key);
		if (v == NULL || custody_note__verify(note.ptr, note.size, v,
		    members->count, NULL, &why) != 0)
			problem(c, where, "its checkpoint is not signed by a "
				"member: %s", why ? custody_error_message(why) :
				"out of memory");
		free(v);
		custody_error_free(why);
		why = NULL;
		EVP_Digest(note.ptr, note.size, digest, NULL, EVP_sha256(),
			NULL);
		if (custody_tsa__verify(token.ptr, token.size, digest, NULL,
		    &info, &untrusted, &why) != 0)
			problem(c, where, "%s", custody_error_message(why));
next:
		custody_error_free(why);
		custody_buf_dispose(&note);
		custody_buf_dispose(&token);
	}
	git_tree_free(dir);
	git_tree_entry_free(te);
}

static int check_tree(struct ctx *c, unsigned char (*leaves)[32],
	git_tree *tree, const struct custody_members *members,
	custody_error **err)
{
	struct custody_tiles *t = NULL;
	int rc;

	if ((rc = sync_tiles(c, leaves, &t, err)) != 0)
		return rc;
	check_checkpoints(c, t);
	check_timestamps(c, t, tree, members);
	custody_tiles__free(t);
	return 0;
}

/* A history that verified becomes the one later runs compare with. */
static void remember_verified(custody_archive *a)
{
	char *path = custody_fs__join(a->gitdir, CUSTODY_SEEN_FILE);
	char line[42];
	custody_error *err = NULL;

	memcpy(line, a->head_hex, 40);
	line[40] = '\n';
	if (path == NULL || custody_fs__write_atomic(path, line, 41, 0644,
	    &err) != 0)
		custody_archive__notice(a, "%s", err ?
			custody_error_message(err) : "out of memory");
	custody_error_free(err);
	free(path);
}

/* Append one line to custody-evidence, fsynced; best effort. */
static void record_evidence(custody_archive *a, const char *what)
{
	char *path = custody_fs__join(a->gitdir, CUSTODY_EVIDENCE_FILE);
	char when[32];
	custody_buf line = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	custody_fs__now_rfc3339(when);
	if (path != NULL && custody_buf__printf(&line, "%s %s\n", when,
	    what) == 0 && custody_fs__append(path, line.ptr, &err) != 0)
		custody_archive__notice(a, "%s", custody_error_message(err));
	custody_error_free(err);
	custody_buf_dispose(&line);
	free(path);
}

struct first_problems {
	custody_buf text;
	uint64_t count;
};

static int collect_problem(const custody_problem *p, void *payload)
{
	struct first_problems *fp = payload;

	if (fp->count++ < 3)
		custody_buf__printf(&fp->text, "\n  %s: %s", p->where,
			p->message);
	return 0;
}

int custody_archive__check_history(custody_archive *a, custody_error **err)
{
	char *path = custody_fs__join(a->gitdir, CUSTODY_SEEN_FILE);
	char seen_hex[41], evidence[256];
	git_oid seen;
	enum seen_state state;
	int rc = 0, has_seen;

	if (path == NULL)
		return custody__error(err, CUSTODY_ENOMEM, "out of memory");
	if (!a->has_head)
		goto done;
	state = read_seen(a, &seen);
	has_seen = state == SEEN_OK;
	if (state == SEEN_DAMAGED) {
		/* verify keeps reporting it too, so it never "passes" */
		rc = custody__error(err, CUSTODY_EVERIFY, "%s is damaged, so "
			"this machine can no longer tell whether main was "
			"moved back or rewritten; nothing was changed. Check "
			"the history with `custody verify`, then move the "
			"damaged file aside (it is the evidence) and try "
			"again: the next change verifies the whole history "
			"first", path);
		snprintf(evidence, sizeof(evidence), "refused a change: %s is "
			"damaged; main is %s", CUSTODY_SEEN_FILE, a->head_hex);
		record_evidence(a, evidence);
		goto done;
	} else if (state == SEEN_UNREADABLE) {
		rc = custody__error(err, CUSTODY_EIO, "%s: cannot be read",
			path);
		goto done;
	}
	if (has_seen && git_oid_equal(&seen, &a->head))
		goto done; /* the common case: nothing new since */
	if (has_seen) {
		git_oid_tostr(seen_hex, sizeof(seen_hex), &seen);
		if (git_graph_descendant_of(a->repo, &a->head, &seen) != 1) {
			rc = custody__error(err, CUSTODY_EVERIFY, "main (now "
				"%.12s) no longer holds commit %.12s, which "
				"this machine made or verified: the history "
				"was moved back or rewritten, and a change "
				"built on it would hide that; nothing was "
				"changed. If commit %.12s still exists, put it "
				"back with `git --git-dir=%s update-ref "
				"refs/heads/main %s`; `custody verify` says "
				"more", a->head_hex, seen_hex, seen_hex,
				a->gitdir, seen_hex);
			snprintf(evidence, sizeof(evidence), "refused a "
				"change: main is %s, which does not extend "
				"%s, seen here before", a->head_hex, seen_hex);
			record_evidence(a, evidence);
			goto done;
		}
	}
	/* Commits this machine has not checked (from a partner, or made
	 * with stock git): every check verify makes, before building on
	 * them. A verify that passes makes the head the seen one. */
	{
		struct first_problems fp;
		custody_verify_summary sum;
		custody_error *verr = NULL;

		memset(&fp, 0, sizeof(fp));
		if (custody_archive_verify(a, NULL, collect_problem, &fp,
		    &sum, &verr) != 0) {
			if (fp.count == 0) {
				rc = custody_error_code(verr);
				if (err != NULL) {
					*err = verr;
					verr = NULL;
				}
			} else {
				rc = custody__error(err, CUSTODY_EVERIFY,
					"main (now %.12s) has commits that "
					"this machine has not verified, and "
					"they fail its checks; nothing was "
					"changed. Run `custody verify` for "
					"the %" PRIu64 " problem%s:%s",
					a->head_hex, fp.count, fp.count == 1 ?
					"" : "s", fp.text.ptr ? fp.text.ptr :
					"");
				snprintf(evidence, sizeof(evidence), "refused "
					"a change: main %s fails verify (%"
					PRIu64 " problems)", a->head_hex,
					fp.count);
				record_evidence(a, evidence);
			}
		}
		custody_error_free(verr);
		custody_buf_dispose(&fp.text);
	}
done:
	free(path);
	return rc;
}

/* A gap in the log, said once for the whole range. */
static void log_gap(struct ctx *c, uint64_t from, uint64_t to)
{
	if (from == to)
		problem(c, "log/", "entry %" PRIu64 " is missing", from);
	else
		problem(c, "log/", "entries %" PRIu64 " to %" PRIu64 " are "
			"missing", from, to);
}

/*
 * The log's shape, read before its size is trusted: the size comes from
 * the name of the last file, so one crafted file at a huge index would
 * otherwise size every table. Every file must sit where custody puts its
 * index (folders named after the index they hold); gaps are reported as
 * ranges. *prefix is the number of consecutive entries from 0, the ones
 * that are checked one by one; the work is bounded by what exists. When
 * it is not the size the last file's name gives, the log's Merkle tree
 * is not compared with the checkpoints (the log is already reported).
 */
static void read_log_shape(struct ctx *c, git_tree *root, uint64_t *prefix)
{
	custody_archive *a = c->a;
	const git_tree_entry *te = git_tree_entry_byname(root, "log");
	git_tree *top = NULL;
	uint64_t next = 0;
	int gap = 0;

	*prefix = a->size;
	if (te == NULL || git_tree_lookup(&top, a->repo,
	    git_tree_entry_id(te)) != 0)
		return;  /* opening the archive said so */
	for (size_t i = 0; i < git_tree_entrycount(top); i++) {
		const git_tree_entry *d1 = git_tree_entry_byindex(top, i);
		git_tree *mid = NULL;

		if (git_tree_entry_type(d1) != GIT_OBJECT_TREE ||
		    git_tree_lookup(&mid, a->repo, git_tree_entry_id(d1))
		    != 0) {
			problem(c, "log/", "holds %s, which is not a folder "
				"custody writes", git_tree_entry_name(d1));
			continue;
		}
		for (size_t j = 0; j < git_tree_entrycount(mid); j++) {
			const git_tree_entry *d2 = git_tree_entry_byindex(mid,
				j);
			git_tree *leaf = NULL;

			if (git_tree_entry_type(d2) != GIT_OBJECT_TREE ||
			    git_tree_lookup(&leaf, a->repo,
			    git_tree_entry_id(d2)) != 0) {
				problem(c, "log/", "holds %s/%s, which is not "
					"a folder custody writes",
					git_tree_entry_name(d1),
					git_tree_entry_name(d2));
				continue;
			}
			for (size_t k = 0; k < git_tree_entrycount(leaf);
			    k++) {
				const git_tree_entry *f =
					git_tree_entry_byindex(leaf, k);
				char path[256];
				int64_t n;

				snprintf(path, sizeof(path), "log/%s/%s/%s",
					git_tree_entry_name(d1),
					git_tree_entry_name(d2),
					git_tree_entry_name(f));
				n = entry_index_of(path);
				if (n < 0 || (uint64_t)n < next) {
					problem(c, "log/", "holds %s, which is "
						"not where custody puts an "
						"entry", path + 4);
					continue;
				}
				if ((uint64_t)n > next) {
					log_gap(c, next, (uint64_t)n - 1);
					if (!gap)
						*prefix = next;
					gap = 1;
				}
				next = (uint64_t)n + 1;
			}
			git_tree_free(leaf);
		}
		git_tree_free(mid);
	}
	git_tree_free(top);
	if (!gap)
		*prefix = next;
	if (next < a->size)
		/* the last file was not where it claimed to be */
		log_gap(c, next, a->size - 1);
}

int custody_archive_verify(custody_archive *a,
	const custody_verify_options *opts, custody_problem_cb cb,
	void *payload, custody_verify_summary *summary, custody_error **err)
{
	custody_verify_options defaults = CUSTODY_VERIFY_OPTIONS_INIT;
	struct ctx c;
	git_tree *tree = NULL, *docs = NULL;
	git_odb *odb = NULL;
	struct latest *latest = NULL;
	struct custody_map by_path = { 0 };
	struct blob_check *checks = NULL;
	size_t nlatest = 0, nchecks = 0;
	struct custody_hash_job *jobs = NULL;
	struct replay replay;
	struct entry_reader *reader = NULL; /* ~330 KiB: not on the stack */
	struct entry_batch *cur, *nxt;
	unsigned char (*leaves)[32] = NULL, (*digests)[32] = NULL;
	git_oid seen;
	uint64_t nlog = 0;         /* the consecutive entries, from 0 */
	int rc = 0, has_seen = 0, reading = 0;

	if (opts == NULL)
		opts = &defaults;
	memset(&c, 0, sizeof(c));
	memset(&replay, 0, sizeof(replay));
	c.a = a;
	c.cb = cb;
	c.payload = payload;
	check_seen(&c, &seen, &has_seen);
	if ((rc = check_history(&c, err)) != 0)
		goto done;
	if ((rc = custody_archive__head_tree(a, &tree, err)) != 0 ||
	    git_repository_odb(&odb, a->repo) != 0)
		goto done;
	read_log_shape(&c, tree, &nlog);
	latest = calloc(nlog + 1, sizeof(*latest));
	checks = calloc(nlog + 1, sizeof(*checks));
	leaves = calloc(nlog + 1, sizeof(*leaves));
	digests = calloc(nlog + 1, sizeof(*digests));
	if (latest == NULL || checks == NULL || leaves == NULL ||
	    digests == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	if ((reader = malloc(sizeof(*reader))) == NULL) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}
	reader_start(reader, a, odb, opts->threads ? opts->threads :
		custody_hash__default_threads());
	reading = 1;
	cur = &reader->batch[0];
	nxt = &reader->batch[1];
	if (nlog > 0) {
		reader_post(reader, cur, a, tree, 0, nlog);
		reader_finish(reader, cur);
	}
	for (uint64_t i = 0; i < nlog && !c.stopped; i++) {
		struct custody_entry *e = NULL;
		struct parsed_entry *pe;
		char where[64];
		size_t *slot;

		if (i == cur->first + cur->n) {
			/* the next batch, parsed while this one was checked */
			reader_finish(reader, nxt);
			cur = nxt;
			nxt = cur == &reader->batch[0] ? &reader->batch[1] :
				&reader->batch[0];
		}
		if (i == cur->first && cur->first + cur->n < nlog)
			reader_post(reader, nxt, a, tree,
				cur->first + cur->n, nlog);
		pe = &cur->slot[i - cur->first];
		custody_archive__entry_path(where, i);
		if (opts->progress && i % 1024 == 0)
			opts->progress("checking entries", i, nlog, 0, 0,
				opts->payload);
		c.sum.entries++;
		replay_before(&c, &replay, i);
		if (pe->e == NULL) {
			problem(&c, where, "%s", pe->err ?
				custody_error_message(pe->err) :
				"cannot be read");
			continue;
		}
		e = pe->e;
		pe->e = NULL;
		memcpy(leaves[i], pe->leaf, 32);
		if (custody_entry__registers(e))
			custody_unhex(digests[i], e->sha256, 32);
		if (e->type == CUSTODY_ENTRY_PUBLISH)
			check_publication(&c, e, digests, where);
		if (e->type == CUSTODY_ENTRY_EVENT ||
		    e->type == CUSTODY_ENTRY_DERIVE)
			check_link(&c, e, leaves, digests, where);
		replay_entry(&c, &replay, e, where);
		if ((i == 0) != (e->type == CUSTODY_ENTRY_GENESIS)) {
			problem(&c, where, i == 0 ? "the first entry is not "
				"the genesis entry" : "a second genesis entry");
		} else if (i == 0 && a->config &&
		    strcmp(e->origin, a->config->origin) != 0) {
			problem(&c, where, "names origin '%s' but custody.yaml "
				"says '%s'", e->origin, a->config->origin);
		}
		if (!custody_entry__registers(e)) {
			custody_entry__free(e);
			continue;
		}
		slot = custody_map__get(&by_path, e->path);
		if (slot == NULL) {
			if (e->version != 1 || e->has_previous)
				problem(&c, where, "%s: version %" PRIu64 " "
					"without an earlier version", e->path,
					e->version);
			latest[nlatest].path = strdup(e->path);
			if (latest[nlatest].path == NULL ||
			    custody_map__put(&by_path, latest[nlatest].path,
			    nlatest) != 0) {
				custody_entry__free(e);
				rc = custody__error(err, CUSTODY_ENOMEM,
					"out of memory");
				goto done;
			}
			slot = custody_map__get(&by_path, e->path);
			nlatest++;
		} else {
			struct latest *l = &latest[*slot];

			if (e->version != l->version + 1 || !e->has_previous ||
			    e->previous != l->index)
				problem(&c, where, "%s: version %" PRIu64 " "
					"does not follow version %" PRIu64
					" at entry %" PRIu64, e->path,
					e->version, l->version, l->index);
		}
		{
			struct latest *l = &latest[*slot];

			l->index = i;
			l->version = e->version;
			l->size = e->size;
			snprintf(l->sha256, sizeof(l->sha256), "%s",
				e->sha256);
			snprintf(l->blob, sizeof(l->blob), "%s",
				e->blob ? e->blob : "");
		}
		if (e->blob != NULL) {
			git_oid id;

			if (git_oid_fromstr(&id, e->blob) != 0 ||
			    !git_odb_exists(odb, &id))
				problem(&c, where, "%s: stored content %s is "
					"missing from the archive", e->path,
					e->blob);
			else if (opts->full) {
				struct blob_check *bc = &checks[nchecks++];

				bc->index = i;
				memcpy(bc->blob, e->blob, 41);
				memcpy(bc->sha256, e->sha256, 65);
				bc->size = e->size;
				bc->path = latest[*slot].path;
			}
		}
		custody_entry__free(e);
	}
	reader_stop(reader);
	reading = 0;
	c.sum.documents = nlatest;
	/*
	 * before replay_end, which lets go of the members; a log with a gap
	 * has no tree to compare checkpoints with (the gap is reported)
	 */
	if (!c.stopped && nlog == a->size && (rc = check_tree(&c, leaves,
	    tree, &replay.members, err)) != 0)
		goto done;
	replay_end(&c, &replay);
	if (replay.oom) {
		rc = custody__error(err, CUSTODY_ENOMEM, "out of memory");
		goto done;
	}

	/* documents/ mirrors the latest stored version of every path */
	{
		const git_tree_entry *te = git_tree_entry_byname(tree,
			"documents");
		struct doc_walk w = { &c, &by_path, latest, 0 };

		if (te != NULL && (git_tree_entry_type(te) != GIT_OBJECT_TREE ||
		    git_tree_lookup(&docs, a->repo, git_tree_entry_id(te)) !=
		    0))
			problem(&c, "documents/", "cannot be read");
		else if (te != NULL)
			git_tree_walk(docs, GIT_TREEWALK_PRE, on_document, &w);
		for (size_t i = 0; i < nlatest; i++)
			if (latest[i].blob[0] && !latest[i].doc_seen)
				problem(&c, "documents/", "lacks %s, stored "
					"by entry %" PRIu64, latest[i].path,
					latest[i].index);
	}

	if (opts->full && !c.stopped) {
		struct custody_hash_options hopts;
		size_t njobs = 0;

		jobs = calloc(nlatest + 1, sizeof(*jobs));
		if (jobs == NULL) {
			rc = custody__error(err, CUSTODY_ENOMEM,
				"out of memory");
			goto done;
		}
		for (size_t i = 0; i < nlatest; i++) {
			jobs[njobs].path = latest[i].path;
			jobs[njobs].name = latest[i].path;
			jobs[njobs].size = latest[i].size;
			njobs++;
		}
		memset(&hopts, 0, sizeof(hopts));
		hopts.threads = opts->threads;
		hopts.beneath = 1;
		hopts.root_fd = a->root_fd;
		hopts.progress = opts->progress;
		hopts.payload = opts->payload;
		hopts.phase = "rehashing documents";
		rc = custody_hash__run(jobs, njobs, &hopts, NULL, NULL, err);
		for (size_t i = 0; rc == 0 && i < njobs; i++) {
			char sha[65];

			c.sum.files_checked++;
			if (jobs[i].rc == CUSTODY_ENOTFOUND) {
				problem(&c, latest[i].path, "missing from the "
					"collection (registered at entry %"
					PRIu64 ")", latest[i].index);
				continue;
			}
			if (jobs[i].rc != 0) {
				problem(&c, latest[i].path, "%s",
					jobs[i].error ? jobs[i].error :
					"cannot be read");
				continue;
			}
			custody_hex(sha, jobs[i].sha256, 32);
			if (jobs[i].size != latest[i].size ||
			    CRYPTO_memcmp(sha, latest[i].sha256, 64) != 0)
				problem(&c, latest[i].path, "modified: its "
					"SHA-256 is %s, the record (entry %"
					PRIu64 ") says %s", sha,
					latest[i].index, latest[i].sha256);
		}
		custody_hash__jobs_clear(jobs, njobs);
		if (rc != 0)
			goto done;
		check_blobs(&c, checks, nchecks, opts);
	}
	problems_not_shown(&c);
	if (c.sum.problems > 0)
		rc = custody__error(err, CUSTODY_EVERIFY, "%" PRIu64
			" problem%s found", c.sum.problems,
			c.sum.problems == 1 ? "" : "s");
	else if (!has_seen || !git_oid_equal(&seen, &a->head))
		remember_verified(a);
done:
	if (reading)
		reader_stop(reader);
	free(reader);
	custody_members__clear(&replay.members);
	free(c.commits);
	if (summary)
		*summary = c.sum;
	for (size_t i = 0; latest && i < nlatest; i++)
		free(latest[i].path);
	free(latest);
	free(leaves);
	free(digests);
	free(checks);
	free(jobs);
	custody_map__free(&by_path);
	git_tree_free(docs);
	git_tree_free(tree);
	git_odb_free(odb);
	return rc;
}
