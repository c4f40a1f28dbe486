/*
 * custody verify: the history. The first-parent line of commits, each
 * signed and only appending entries; the members at each commit, which
 * judge its signer; custody-seen, which shows a history moved back or
 * rewritten; and custody_archive__check_history, the same checks before
 * a change is built on the head.
 */
#include "archive_verify.h"
#include "sshwire.h"
#include "change.h"
#include "fsutil.h"
#include "policy.h"
#include "tlog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* What one commit changes, from its diff with its parent. */
struct diff_state {
	struct custody_verify_run *v;
	const char *commit;
	int root;
	uint64_t *added;
	size_t nadded, alloc;
	int oom;
	int checkpoint_changed;
	int config_changed;
	int64_t private_min;       /* the lowest private part added; -1 */
	size_t timestamps;         /* timestamps/ files added */
	size_t others;             /* other paths changed */
};

/* "timestamps/<size>.tsr" or ".checkpoint", and
 * "witnesses/<size>.checkpoint": custody's names there. */
static int attachment_name(const char *path)
{
	int witnesses = strncmp(path, "witnesses/", 10) == 0;
	const char *p = path + (witnesses ? 10 : 11), *q = p;

	if (!witnesses && strncmp(path, "timestamps/", 11) != 0)
		return 0;
	while (*q >= '0' && *q <= '9')
		q++;
	return q != p && (*p != '0' || q == p + 1) &&
		((!witnesses && strcmp(q, ".tsr") == 0) ||
		strcmp(q, ".checkpoint") == 0);
}

/* An entry the commit adds: only ever added, where custody puts it. */
static int on_log_delta(const git_diff_delta *d, const char *path,
	struct diff_state *s, const char *where)
{
	int64_t n = custody_archive_verify__entry_index(path);

	if (d->status != GIT_DELTA_ADDED) {
		custody_archive_verify__problem(s->v, where, "%s entry %s: "
			"the log is append-only; history was rewritten",
			d->status == GIT_DELTA_DELETED ? "removes" : "changes",
			path);
		return 0;
	}
	if (n < 0) {
		custody_archive_verify__problem(s->v, where, "adds %s, which "
			"is not where custody puts entries", path);
		return 0;
	}
	if (s->nadded == s->alloc) {
		size_t alloc = s->alloc ? s->alloc * 2 : 64;
		uint64_t *grown = realloc(s->added, alloc * sizeof(*grown));

		if (grown == NULL) {
			s->oom = 1;
			return -1;
		}
		s->added = grown;
		s->alloc = alloc;
	}
	s->added[s->nadded++] = (uint64_t)n;
	return 0;
}

/* A name no custody tree holds: an empty, "." or ".." part, or ".git"
 * in any case (what a checkout or git itself would act on). */
static int hostile_name(const char *path)
{
	const char *p = path;

	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 &&
		    p[0] == '.' && p[1] == '.') || (n == 4 &&
		    strncasecmp(p, ".git", 4) == 0))
			return 1;
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

/* What a tree entry of this mode is, when not a plain file. */
static const char *odd_mode(uint16_t mode)
{
	switch (mode) {
	case GIT_FILEMODE_BLOB:
		return NULL;
	case GIT_FILEMODE_LINK:
		return "a symlink";
	case GIT_FILEMODE_COMMIT:
		return "a gitlink";
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		return "an executable file";
	default:
		return "an entry of an unknown kind";
	}
}

/* The name and kind of what a commit adds or changes: only plain
 * files, under names custody writes, all there; 1 if it is not even
 * one of custody's files. */
static int odd_delta(const git_diff_delta *d, const char *path,
	struct diff_state *s, const char *where)
{
	const char *kind;

	if (hostile_name(path)) {
		custody_archive_verify__problem(s->v, where, "adds %s, a name "
			"no custody tree holds", path);
		return 1;
	}
	if (d->status == GIT_DELTA_DELETED)
		return 0;
	if ((kind = odd_mode(d->new_file.mode)) != NULL) {
		custody_archive_verify__problem(s->v, where, "adds %s as %s "
			"(mode %06o): a custody tree holds only plain files",
			path, kind, (unsigned int)d->new_file.mode);
		return 1;
	}
	/* what a later commit removes is never read again: check it is
	 * there at all (a partner's history must be complete) */
	if (!git_odb_exists(s->v->odb, &d->new_file.id)) {
		char id[41];

		git_oid_tostr(id, sizeof(id), &d->new_file.id);
		custody_archive_verify__problem(s->v, where, "adds %s, whose "
			"object %s is missing from the archive", path, id);
	}
	return 0;
}

static int on_delta(const git_diff_delta *d, struct diff_state *s)
{
	const char *path = d->status == GIT_DELTA_DELETED ?
		d->old_file.path : d->new_file.path;
	char where[128];

	snprintf(where, sizeof(where), "commit %.12s", s->commit);
	if (odd_delta(d, path, s, where)) {
		s->others++;
		return 0;
	}
	if (strncmp(path, "log/", 4) == 0) {
		return on_log_delta(d, path, s, where);
	} else if (strncmp(path, "private/", 8) == 0) {
		int64_t n = custody_archive_verify__private_index(path);

		if (n >= 0 && d->status == GIT_DELTA_ADDED &&
		    (s->private_min < 0 || n < s->private_min))
			s->private_min = n;
		if (n < 0)
			custody_archive_verify__problem(s->v, where, "adds %s, "
				"which is not where custody puts private parts",
				path);
		else if (d->status != GIT_DELTA_ADDED)
			custody_archive_verify__problem(s->v, where, "%s %s: "
				"private parts are written once, with their "
				"entries", d->status == GIT_DELTA_DELETED ?
				"removes" : "changes", path);
	} else if (strcmp(path, CUSTODY_CHECKPOINT_PATH) == 0) {
		if (d->status == GIT_DELTA_DELETED)
			custody_archive_verify__problem(s->v, where, "removes "
				"the checkpoint");
		s->checkpoint_changed = 1;
	} else if (strncmp(path, "timestamps/", 11) == 0) {
		if (!attachment_name(path))
			custody_archive_verify__problem(s->v, where, "adds "
				"%s, which is not where custody puts "
				"timestamps", path);
		else if (d->status != GIT_DELTA_ADDED)
			custody_archive_verify__problem(s->v, where, "%s %s: "
				"timestamps are only ever added", d->status ==
				GIT_DELTA_DELETED ? "removes" : "changes",
				path);
		s->timestamps++;
	} else if (strncmp(path, "witnesses/", 10) == 0) {
		/* cosignatures of one checkpoint grow as witnesses answer;
		 * what they are is judged at head (archive_verify_tlog.c) */
		if (!attachment_name(path))
			custody_archive_verify__problem(s->v, where, "adds "
				"%s, which is not where custody puts "
				"cosignatures", path);
		else if (d->status == GIT_DELTA_DELETED)
			custody_archive_verify__problem(s->v, where, "removes "
				"%s: cosignatures are only ever added", path);
		s->timestamps++;
	} else if (strcmp(path, CUSTODY_POLICY_PATH) == 0) {
		/* judged with the entries: only a policy entry changes it */
		s->others++;
	} else if (strcmp(path, "custody.yaml") == 0) {
		/* judged with the entries: only a rotation of the outlet key
		 * changes it (archive_verify_tlog.c) */
		s->others++;
		s->config_changed = !s->root;
	} else if (strncmp(path, "documents/", 10) != 0 &&
	    strcmp(path, CUSTODY_MEMBERS_PATH) != 0) {
		s->others++;
		custody_archive_verify__problem(s->v, where, "adds or changes "
			"%s, which custody never writes", path);
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
static void check_signature(struct custody_verify_run *v, const git_oid *id,
	const char *where, struct custody_verify_commit *info)
{
	git_buf signature = { NULL, 0, 0 }, signed_data = { NULL, 0, 0 };
	custody_pubkey *signer = NULL;
	custody_error *serr = NULL;
	int rc;

	rc = git_commit_extract_signature(&signature, &signed_data,
		v->a->repo, (git_oid *)id, "gpgsig");
	if (rc == GIT_ENOTFOUND) {
		custody_archive_verify__problem(v, where, "is not signed: "
			"every custody commit carries the SSH signature of "
			"the member who made it");
		goto done;
	}
	if (rc != 0) {
		custody_archive_verify__problem(v, where, "its signature "
			"cannot be read: %s", git_error_last() ?
			git_error_last()->message : "unknown error");
		goto done;
	}
	if (custody_sshsig_verify(signature.ptr, signature.size, "git",
	    signed_data.ptr, signed_data.size, &signer, &serr) != 0) {
		custody_archive_verify__problem(v, where, "bad signature: %s",
			custody_error_message(serr));
		goto done;
	}
	info->signature = 1;
	memcpy(info->signer, custody_pubkey_raw(signer), 32);
	v->sum.signatures++;
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

int custody_archive_verify__read_seen(custody_archive *a, git_oid *out)
{
	return read_seen(a, out) == SEEN_OK;
}

/*
 * Has the history lost the commit this machine last made or verified?
 * Then main was moved back, or rewritten from that point.
 */
void custody_archive_verify__seen(struct custody_verify_run *v)
{
	custody_archive *a = v->a;
	enum seen_state state = read_seen(a, &v->seen);
	const git_oid *seen = &v->seen;
	char hex[41];

	v->has_seen = 0;
	if (state == SEEN_DAMAGED)
		custody_archive_verify__problem(v, CUSTODY_SEEN_FILE, "is "
			"damaged; it should hold the newest commit this "
			"machine saw");
	if (state != SEEN_OK)
		return;
	v->has_seen = 1;
	if (git_oid_equal(seen, &a->head) ||
	    git_graph_descendant_of(a->repo, &a->head, seen) == 1)
		return;
	git_oid_tostr(hex, sizeof(hex), seen);
	custody_archive_verify__problem(v, "history", "main (now %.12s) no "
		"longer holds commit %.12s, which this machine recorded "
		"earlier: the history was moved back or rewritten",
		a->head_hex, hex);
}

static void judge_signer(struct custody_verify_run *v,
	const struct custody_verify_commit *info)
{
	struct custody_verify_replay *r = &v->replay;
	const struct custody_member *m;
	char where[64], fp[64];

	r->signer_name = NULL;
	if (!info->signature)
		return;
	snprintf(where, sizeof(where), "commit %.12s", info->hex);
	m = custody_members__by_key(&r->members, info->signer);
	custody_sshwire__fingerprint(fp, info->signer);
	if (m == NULL)
		custody_archive_verify__problem(v, where, "signed by key %s, "
			"which is not a member's key", fp);
	else if (m->revoked)
		custody_archive_verify__problem(v, where, "signed by %s (%s), "
			"whose key was revoked by entry %" PRIu64, m->name, fp,
			m->revoked_at);
	else
		r->signer_name = m->name;
}

static void check_members_file(struct custody_verify_run *v,
	const struct custody_verify_commit *info)
{
	struct custody_verify_replay *r = &v->replay;
	char where[64];

	snprintf(where, sizeof(where), "commit %.12s", info->hex);
	if (info->has_policy != r->has_policy || (r->has_policy &&
	    !git_oid_equal(&info->policy, &r->policy)))
		custody_archive_verify__problem(v, where, "%s %s", r->has_policy ?
			(info->has_policy ? CUSTODY_POLICY_PATH " is not the "
			"policy that the log's last policy entry records" :
			"removes " CUSTODY_POLICY_PATH ", which the log's last "
			"policy entry records") : "adds " CUSTODY_POLICY_PATH
			", but no policy entry of the log records it", "");
	if (!info->has_members) {
		custody_archive_verify__problem(v, where, "has no %s",
			CUSTODY_MEMBERS_PATH);
		return;
	}
	if (!r->has_expected || r->hashed_generation != r->generation) {
		custody_buf text = CUSTODY_BUF_INIT;

		if (custody_members__allowed_signers(&r->members,
		    v->a->config ? v->a->config->origin : "?", &text, NULL)
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
		custody_archive_verify__problem(v, where, "%s does not list "
			"the members that the log's genesis and member "
			"entries name", CUSTODY_MEMBERS_PATH);
}

/* Before entry `index` is read: close commits that ended, open the one
 * that starts here. */
void custody_archive_verify__members_before(struct custody_verify_run *v,
	uint64_t index)
{
	struct custody_verify_replay *r = &v->replay;

	while (r->commit < v->ncommits) {
		const struct custody_verify_commit *info =
			&v->commits[r->commit];

		if (index < info->first + info->count)
			break;
		check_members_file(v, info);
		r->commit++;
		if (r->commit < v->ncommits && r->commit > 0 &&
		    index == v->commits[r->commit].first)
			judge_signer(v, &v->commits[r->commit]);
	}
}

void custody_archive_verify__members_entry(struct custody_verify_run *v,
	const struct custody_entry *e, const char *where)
{
	struct custody_verify_replay *r = &v->replay;
	custody_error *rerr = NULL;

	if (e->type == CUSTODY_ENTRY_GENESIS || e->type ==
	    CUSTODY_ENTRY_MEMBER) {
		if (custody_members__apply(&r->members, e, &rerr) != 0)
			custody_archive_verify__problem(v, where, "%s",
				custody_error_message(rerr));
		else
			r->generation++;
		custody_error_free(rerr);
	}
	if (e->type == CUSTODY_ENTRY_POLICY && e->policy != NULL) {
		if (git_odb_hash(&r->policy, e->policy, strlen(e->policy),
		    GIT_OBJECT_BLOB) != 0)
			r->oom = 1;
		r->has_policy = 1;
	}
	if (e->type == CUSTODY_ENTRY_GENESIS && r->commit == 0 &&
	    v->ncommits > 0)
		judge_signer(v, &v->commits[0]);
	if (e->type == CUSTODY_ENTRY_GENESIS && e->member &&
	    strcmp(e->actor, e->member) != 0)
		custody_archive_verify__problem(v, where, "the genesis "
			"entry's actor '%s' is not its founding member '%s'",
			e->actor, e->member);
	else if (r->signer_name != NULL && strcmp(e->actor, r->signer_name)
	    != 0)
		custody_archive_verify__problem(v, where, "names '%s' as its "
			"actor, but member '%s' signed its commit", e->actor,
			r->signer_name);
}

int custody_archive_verify__members_start(struct custody_verify_run *v,
	custody_error **err)
{
	struct custody_verify_replay *r = &v->replay;
	const struct custody_verify_base *b = v->base;
	int rc;

	if (b == NULL)
		return 0;
	if ((rc = custody_members__parse(&r->members, b->members.ptr,
	    b->members.size, CUSTODY_MEMBERS_PATH, err)) != 0)
		return rc;
	r->has_policy = b->has_policy;
	git_oid_cpy(&r->policy, &b->policy);
	if (v->ncommits > 0)
		judge_signer(v, &v->commits[0]);
	return 0;
}

int custody_archive_verify__members_end(struct custody_verify_run *v,
	custody_error **err)
{
	struct custody_verify_replay *r = &v->replay;

	while (r->commit < v->ncommits) {
		check_members_file(v, &v->commits[r->commit]);
		r->commit++;
		/* commits after the last entry add none: judge them too */
		if (r->commit < v->ncommits)
			judge_signer(v, &v->commits[r->commit]);
	}
	custody_members__clear(&r->members);
	if (r->oom)
		return custody__oom(err);
	return 0;
}

/* The commits from the root (or after `base`) to head, first parents
 * only. */
static int first_parent_line(custody_archive *a, const git_oid *base,
	git_oid **out, size_t *n_out, custody_error **err)
{
	git_revwalk *walk = NULL;
	git_oid *ids = NULL, id;
	size_t n = 0, alloc = 0;
	int rc = 0;

	if (git_revwalk_new(&walk, a->repo) != 0 ||
	    git_revwalk_push(walk, &a->head) != 0 ||
	    (base != NULL && git_revwalk_hide(walk, base) != 0) ||
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
				rc = custody__oom(err);
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
done:
	git_revwalk_free(walk);
	if (rc != 0) {
		free(ids);
		ids = NULL;
		n = 0;
	}
	*out = ids;
	*n_out = n;
	return rc;
}

/* The members and checkpoint files the commit's tree holds. */
static void note_commit_files(git_tree *tree,
	struct custody_verify_commit *info)
{
	git_tree_entry *te = NULL;

	if (git_tree_entry_bypath(&te, tree, CUSTODY_MEMBERS_PATH) == 0) {
		info->has_members = 1;
		git_oid_cpy(&info->members, git_tree_entry_id(te));
	}
	git_tree_entry_free(te);
	te = NULL;
	if (git_tree_entry_bypath(&te, tree, CUSTODY_CHECKPOINT_PATH) == 0) {
		info->has_checkpoint = 1;
		git_oid_cpy(&info->checkpoint, git_tree_entry_id(te));
	}
	git_tree_entry_free(te);
	te = NULL;
	if (git_tree_entry_bypath(&te, tree, "custody.yaml") == 0) {
		info->has_config = 1;
		git_oid_cpy(&info->config, git_tree_entry_id(te));
	}
	git_tree_entry_free(te);
	te = NULL;
	if (git_tree_entry_bypath(&te, tree, CUSTODY_POLICY_PATH) == 0) {
		info->has_policy = 1;
		git_oid_cpy(&info->policy, git_tree_entry_id(te));
	}
	git_tree_entry_free(te);
}

/* Sort the commit's changes into s; an error only for out of memory. */
static int diff_commit(struct custody_verify_run *v, git_tree *ptree,
	git_tree *tree, struct diff_state *s, const char *where,
	custody_error **err)
{
	git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
	git_diff *diff = NULL;
	int rc = 0;

	dopts.flags = GIT_DIFF_SKIP_BINARY_CHECK;
	/* Deltas only: the trees say what changed; no content is read
	 * here. */
	if (git_diff_tree_to_tree(&diff, v->a->repo, ptree, tree, &dopts)
	    != 0) {
		custody_archive_verify__problem(v, where, "cannot be compared "
			"with its parent: %s", git_error_last() ?
			git_error_last()->message : "error");
	} else {
		size_t nd = git_diff_num_deltas(diff);

		for (size_t k = 0; k < nd && !s->oom; k++)
			on_delta(git_diff_get_delta(diff, k), s);
		if (s->oom)
			rc = custody__oom(err);
	}
	git_diff_free(diff);
	return rc;
}

/* A commit adds the next entries, in order, with a new checkpoint when
 * its maker holds the outlet key; or only a checkpoint (signed by a
 * holder, covering entries others added); or only a timestamp. `size`
 * is the log's size before it. */
static void judge_changes(struct custody_verify_run *v,
	struct diff_state *s, const char *where, uint64_t size)
{
	if (s->nadded > 1)
		qsort(s->added, s->nadded, sizeof(*s->added), cmp_u64);
	if (s->nadded == 0 && s->checkpoint_changed &&
	    (s->timestamps != 0 || s->others != 0))
		custody_archive_verify__problem(v, where, "changes the "
			"checkpoint and other files without adding entries: a "
			"new checkpoint comes with new entries or alone");
	else if (s->nadded == 0 && !s->checkpoint_changed &&
	    (s->timestamps == 0 || s->others != 0))
		custody_archive_verify__problem(v, where, "adds no entry; "
			"every custody commit adds at least one, but for one "
			"that only signs a checkpoint or adds a timestamp");
	/* a private part comes with its entry, never later */
	if (s->private_min >= 0 && (uint64_t)s->private_min < size)
		custody_archive_verify__problem(v, where, "adds the private "
			"part of entry %" PRId64 ", which an earlier commit "
			"added: private parts are written once, with their "
			"entries", s->private_min);
	for (size_t k = 0; k < s->nadded; k++) {
		if (s->added[k] != size + k) {
			custody_archive_verify__problem(v, where, "adds "
				"entry %" PRIu64 " where entry %" PRIu64
				" was due: the log has a gap or a repeat",
				s->added[k], size + k);
			break;
		}
	}
}

/* Commit i of the line, id `id`; *size is the log's size before it, and
 * after it on return. An error only for out of memory. */
static int check_commit(struct custody_verify_run *v, const git_oid *id,
	size_t i, uint64_t *size, custody_error **err)
{
	struct custody_verify_commit *info = &v->commits[i];
	git_commit *commit = NULL, *parent = NULL;
	git_tree *tree = NULL, *ptree = NULL;
	struct diff_state s;
	char hex[41], where[64];
	int rc = 0;

	git_oid_tostr(hex, sizeof(hex), id);
	snprintf(where, sizeof(where), "commit %.12s", hex);
	memset(&s, 0, sizeof(s));
	s.v = v;
	s.commit = hex;
	s.root = i == 0 && v->base == NULL;
	s.private_min = -1;
	v->sum.commits++;
	memcpy(info->hex, hex, sizeof(info->hex));
	info->first = *size;
	check_signature(v, id, where, info);
	if (git_commit_lookup(&commit, v->a->repo, id) != 0 ||
	    git_commit_tree(&tree, commit) != 0) {
		custody_archive_verify__problem(v, where, "cannot be read: %s",
			git_error_last() ? git_error_last()->message :
			"unknown error");
		goto done;
	}
	note_commit_files(tree, info);
	if (git_commit_parentcount(commit) > 1)
		custody_archive_verify__problem(v, where, "is a merge; a "
			"custody history is a single line of commits");
	if (s.root && git_commit_parentcount(commit) != 0)
		custody_archive_verify__problem(v, where, "has a parent that "
			"cannot be reached");
	if (!s.root && (git_commit_parent(&parent, commit, 0) != 0 ||
	    git_commit_tree(&ptree, parent) != 0)) {
		custody_archive_verify__problem(v, where, "its parent cannot "
			"be read");
		goto done;
	}
	if (i == 0 && v->base != NULL &&
	    !git_oid_equal(git_commit_id(parent), &v->base->commit)) {
		char base_hex[41];

		git_oid_tostr(base_hex, sizeof(base_hex), &v->base->commit);
		custody_archive_verify__problem(v, where, "does not follow "
			"commit %.12s, the main this archive verified: its "
			"first parent is another", base_hex);
		goto done;
	}
	if ((rc = diff_commit(v, ptree, tree, &s, where, err)) == 0) {
		judge_changes(v, &s, where, *size);
		*size += s.nadded;
		info->count = s.nadded;
		info->config_changed = s.config_changed;
	}
done:
	free(s.added);
	git_tree_free(tree);
	git_tree_free(ptree);
	git_commit_free(commit);
	git_commit_free(parent);
	return rc;
}

int custody_archive_verify__history(struct custody_verify_run *v,
	custody_error **err)
{
	custody_archive *a = v->a;
	git_oid *ids = NULL;
	size_t n = 0;
	uint64_t size = v->base ? v->base->size : 0;
	int rc;

	if ((rc = first_parent_line(a, v->base ? &v->base->commit : NULL,
	    &ids, &n, err)) != 0)
		return rc;
	v->commits = calloc(n ? n : 1, sizeof(*v->commits));
	if (v->commits == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	v->ncommits = n;
	for (size_t i = 0; i < n && !v->stopped && rc == 0; i++)
		rc = check_commit(v, &ids[i], i, &size, err);
	if (rc == 0 && size != a->size)
		custody_archive_verify__problem(v, "history", "the commits "
			"add %" PRIu64 " entries, but the log at head has %"
			PRIu64, size, a->size);
done:
	free(ids);
	return rc;
}

void custody_archive_verify__remember(struct custody_verify_run *v)
{
	/* a history that verified is the one later runs compare with */
	if (!v->has_seen || !git_oid_equal(&v->seen, &v->a->head))
		custody_change__remember_head(v->a, &v->a->head);
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

/* custody-seen is damaged: refuse, and keep the refusal as evidence. */
static int refuse_damaged_seen(custody_archive *a, const char *path,
	custody_error **err)
{
	char evidence[256];
	int rc;

	/* verify keeps reporting it too, so it never "passes" */
	rc = custody__error(err, CUSTODY_EVERIFY, "%s is damaged, so this "
		"machine can no longer tell whether main was moved back or "
		"rewritten; nothing was changed. Check the history with "
		"`custody verify`, then move the damaged file aside (it is "
		"the evidence) and try again: the next change verifies the "
		"whole history first", path);
	snprintf(evidence, sizeof(evidence), "refused a change: %s is "
		"damaged; main is %s", CUSTODY_SEEN_FILE, a->head_hex);
	record_evidence(a, evidence);
	return rc;
}

/* Main no longer holds the commit seen here: refuse, with the way
 * back, and keep the refusal as evidence. */
static int refuse_lost_seen(custody_archive *a, const git_oid *seen,
	custody_error **err)
{
	char seen_hex[41], evidence[256];
	int rc;

	git_oid_tostr(seen_hex, sizeof(seen_hex), seen);
	rc = custody__error(err, CUSTODY_EVERIFY, "main (now %.12s) no "
		"longer holds commit %.12s, which this machine made or "
		"verified: the history was moved back or rewritten, and a "
		"change built on it would hide that; nothing was changed. If "
		"commit %.12s still exists, put it back with `git "
		"--git-dir=%s update-ref refs/heads/main %s`; `custody "
		"verify` says more", a->head_hex, seen_hex, seen_hex,
		a->gitdir, seen_hex);
	snprintf(evidence, sizeof(evidence), "refused a change: main is %s, "
		"which does not extend %s, seen here before", a->head_hex,
		seen_hex);
	record_evidence(a, evidence);
	return rc;
}

/* Commits this machine has not checked (from a partner, or made with
 * stock git): every check verify makes, before building on them. A
 * verify that passes makes the head the seen one. */
static int verify_new_commits(custody_archive *a, custody_error **err)
{
	struct first_problems fp;
	custody_verify_summary sum;
	custody_error *verr = NULL;
	char evidence[256];
	int rc = 0;

	memset(&fp, 0, sizeof(fp));
	if (custody_archive_verify(a, NULL, collect_problem, &fp, &sum,
	    &verr) != 0) {
		if (fp.count == 0) {
			rc = custody_error_code(verr);
			if (err != NULL) {
				*err = verr;
				verr = NULL;
			}
		} else {
			rc = custody__error(err, CUSTODY_EVERIFY, "main (now "
				"%.12s) has commits that this machine has not "
				"verified, and they fail its checks; nothing "
				"was changed. Run `custody verify` for the %"
				PRIu64 " problem%s:%s", a->head_hex, fp.count,
				fp.count == 1 ? "" : "s", fp.text.ptr ?
				fp.text.ptr : "");
			snprintf(evidence, sizeof(evidence), "refused a "
				"change: main %s fails verify (%" PRIu64
				" problems)", a->head_hex, fp.count);
			record_evidence(a, evidence);
		}
	}
	custody_error_free(verr);
	custody_buf_dispose(&fp.text);
	return rc;
}

int custody_archive__check_history(custody_archive *a, custody_error **err)
{
	char *path = custody_fs__join(a->gitdir, CUSTODY_SEEN_FILE);
	git_oid seen;
	enum seen_state state;
	int rc = 0, has_seen;

	if (path == NULL)
		return custody__oom(err);
	if (!a->has_head)
		goto done;
	state = read_seen(a, &seen);
	has_seen = state == SEEN_OK;
	if (state == SEEN_DAMAGED) {
		rc = refuse_damaged_seen(a, path, err);
		goto done;
	} else if (state == SEEN_UNREADABLE) {
		rc = custody__error(err, CUSTODY_EIO, "%s: cannot be read",
			path);
		goto done;
	}
	if (has_seen && git_oid_equal(&seen, &a->head))
		goto done; /* the common case: nothing new since */
	if (has_seen && git_graph_descendant_of(a->repo, &a->head, &seen)
	    != 1) {
		rc = refuse_lost_seen(a, &seen, err);
		goto done;
	}
	rc = verify_new_commits(a, err);
done:
	free(path);
	return rc;
}
