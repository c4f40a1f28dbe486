/*
 * The outlet's witnesses: the archive's C2SP tlog-policy (at
 * CUSTODY_POLICY_PATH in the tree), changed only by a policy entry that
 * carries the whole new file, in the commit that writes it.
 *
 * custody writes one shape of policy, which `witness add`, `remove` and
 * `quorum` edit:
 *
 *   log <the outlet key's vkey>
 *   witness <name> <vkey> <url>          one a line, in the order added
 *   group witnesses <k|any|all> <every witness, in order>
 *   quorum witnesses                     ("quorum none" with no witness)
 *
 * A policy of another shape (more groups, witnesses outside the group)
 * comes in whole with `witness policy FILE`, and is then changed the same
 * way again. The quorum a change does not name stays as it was: "any"
 * and "all" stay, a count stays (at most the number of witnesses), and
 * the default, a majority, follows the number of witnesses.
 */
#include "archive.h"
#include "change.h"
#include "common.h"
#include "config.h"
#include "entry.h"
#include "fsutil.h"
#include "lock.h"
#include "policy.h"
#include "custody/witness.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROUP "witnesses"

/* The policy at head (NULL when the archive has none), its text in
 * *text when text is not NULL. */
int custody_archive__policy(custody_archive *a, struct custody_policy **out,
	custody_buf *text, custody_error **err)
{
	git_blob *blob = NULL;
	custody_error *why = NULL;
	int rc;

	*out = NULL;
	rc = custody_archive__head_blob(a, CUSTODY_POLICY_PATH, &blob, &why);
	if (rc == CUSTODY_ENOTFOUND) {
		custody_error_free(why);
		return 0;
	}
	if (rc != 0) {
		if (err != NULL)
			*err = why;
		else
			custody_error_free(why);
		return rc;
	}
	if ((size_t)git_blob_rawsize(blob) > CUSTODY_POLICY_MAX_SIZE)
		rc = custody__error(err, CUSTODY_EINVALID, "%s: %s is larger "
			"than %d bytes", a->gitdir, CUSTODY_POLICY_PATH,
			CUSTODY_POLICY_MAX_SIZE);
	else
		rc = custody_policy__parse(out, git_blob_rawcontent(blob),
			(size_t)git_blob_rawsize(blob), CUSTODY_POLICY_PATH,
			err);
	if (rc == 0 && text != NULL && custody_buf__append(text,
	    git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) != 0) {
		free(*out);
		*out = NULL;
		rc = custody__oom(err);
	}
	git_blob_free(blob);
	return rc;
}

/* Is p of the shape custody writes (see above)? */
static int custody_shaped(const struct custody_policy *p)
{
	const struct custody_policy_group *g = &p->groups[0];

	if (p->nwitnesses == 0)
		return p->ngroups == 0 && p->quorum == CUSTODY_POLICY_NONE;
	if (p->ngroups != 1 || strcmp(g->name, GROUP) != 0 ||
	    p->quorum != CUSTODY_POLICY_GROUP_BASE ||
	    g->nmembers != p->nwitnesses)
		return 0;
	for (size_t i = 0; i < g->nmembers; i++)
		if (g->members[i] != (int)i)
			return 0;
	return 1;
}

/* The quorum asked for: "any", "all", "majority" or a count from 1. */
struct quorum {
	enum { Q_KEEP, Q_ANY, Q_ALL, Q_MAJORITY, Q_COUNT } kind;
	size_t k;
};

static int parse_quorum(const char *s, struct quorum *q,
	custody_error **err)
{
	char *end;
	unsigned long k;

	q->kind = Q_KEEP;
	q->k = 0;
	if (s == NULL)
		return 0;
	if (strcmp(s, "any") == 0)
		q->kind = Q_ANY;
	else if (strcmp(s, "all") == 0)
		q->kind = Q_ALL;
	else if (strcmp(s, "majority") == 0)
		q->kind = Q_MAJORITY;
	else if (s[0] >= '1' && s[0] <= '9' && (k = strtoul(s, &end, 10),
	    *end == '\0') && k <= CUSTODY_POLICY_MAX_WITNESSES) {
		q->kind = Q_COUNT;
		q->k = k;
	} else {
		return custody__error(err, CUSTODY_EINVALID, "quorum '%.40s': "
			"say any, all, majority or a number of witnesses (1 "
			"to %d)", s, CUSTODY_POLICY_MAX_WITNESSES);
	}
	return 0;
}

/* Set the group over all of p's witnesses to the quorum asked for, or,
 * asked for none, to what it was (`old`, with `old_n` witnesses). */
static int set_group(struct custody_policy *p, const struct quorum *q,
	const struct custody_policy_group *old, size_t old_n,
	custody_error **err)
{
	struct custody_policy_group *g = &p->groups[0];
	size_t n = p->nwitnesses;
	struct quorum want = *q;

	if (n == 0) {
		if (q->kind != Q_KEEP && q->kind != Q_MAJORITY)
			return custody__error(err, CUSTODY_EINVALID, "there is "
				"no witness yet to make a quorum of; add one "
				"with `custody witness add`");
		p->ngroups = 0;
		p->quorum = CUSTODY_POLICY_NONE;
		return 0;
	}
	if (want.kind == Q_KEEP) {
		want.kind = Q_MAJORITY;
		if (old != NULL && old->rule == CUSTODY_POLICY_ANY)
			want.kind = Q_ANY;
		else if (old != NULL && old->rule == CUSTODY_POLICY_ALL)
			want.kind = Q_ALL;
		else if (old != NULL && old->k != old_n / 2 + 1) {
			want.kind = Q_COUNT;
			want.k = old->k < n ? old->k : n;
		}
	}
	if (want.kind == Q_COUNT && want.k > n)
		return custody__error(err, CUSTODY_EINVALID, "a quorum of %zu "
			"witnesses, but the policy has %zu", want.k, n);
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", GROUP);
	g->rule = want.kind == Q_ANY ? CUSTODY_POLICY_ANY : want.kind ==
		Q_ALL ? CUSTODY_POLICY_ALL : CUSTODY_POLICY_K;
	g->k = want.kind == Q_COUNT ? want.k : n / 2 + 1;
	g->nmembers = n;
	for (size_t i = 0; i < n; i++)
		g->members[i] = (int)i;
	p->ngroups = 1;
	p->quorum = CUSTODY_POLICY_GROUP_BASE;
	return 0;
}

/* Make p's one log line the outlet key in force. */
static int set_log(custody_archive *a, struct custody_policy *p,
	custody_error **err)
{
	const char *vkey = custody_archive_log_key(a);
	struct custody_policy_log *l = &p->logs[0];

	if (vkey == NULL || strlen(vkey) > CUSTODY_POLICY_VKEY_MAX)
		return custody__error(err, CUSTODY_EINVALID, "%s: the archive "
			"names no outlet key for its policy", a->gitdir);
	if (p->nlogs == 1 && custody_entry__same_log_key(l->vkey, vkey))
		return 0;
	memset(l, 0, sizeof(*l));
	snprintf(l->vkey, sizeof(l->vkey), "%s", vkey);
	if (custody_note__verifier_from_vkey(&l->v, vkey, strlen(vkey), err)
	    != 0)
		return CUSTODY_EINVALID;
	p->nlogs = 1;
	return 0;
}

/* Format p, read it back as any reader would (so custody never records
 * a policy it would refuse), and record it as a policy entry. */
static int record(custody_archive *a, const struct custody_policy *p,
	const char *message, uint64_t *index_out, custody_error **err)
{
	struct custody_tree_file file;
	struct custody_entry e;
	struct custody_policy *back = NULL;
	custody_buf text = CUSTODY_BUF_INIT;
	git_oid commit;
	int rc;

	if ((rc = custody_policy__format(p, &text, err)) != 0)
		return rc;
	if ((rc = custody_policy__parse(&back, text.ptr, text.size,
	    "the new policy", err)) != 0)
		goto done;
	memset(&e, 0, sizeof(e));
	e.type = CUSTODY_ENTRY_POLICY;
	e.policy = text.ptr;
	file.path = CUSTODY_POLICY_PATH;
	file.data = text.ptr;
	file.len = text.size;
	if ((rc = custody_change__append(a, &e, 1, &file, 1, message, &commit,
	    err)) == 0 && index_out != NULL)
		*index_out = e.index;
done:
	free(back);
	custody_buf_dispose(&text);
	return rc;
}

/* A fresh policy for this archive: its log, no witness. */
static struct custody_policy *empty_policy(void)
{
	struct custody_policy *p = calloc(1, sizeof(*p));

	if (p != NULL)
		p->quorum = CUSTODY_POLICY_NONE;
	return p;
}

enum edit { ADD, REMOVE, QUORUM };

static int edit_policy(custody_archive *a, enum edit what, const char *name,
	const char *vkey, const char *url, const char *quorum,
	uint64_t *index_out, custody_error **err)
{
	struct custody_policy *p = NULL;
	struct custody_policy_group old;
	struct quorum q;
	custody_lock *lock = NULL;
	const char *actor;
	char message[400];
	size_t old_n;
	int rc, at = -2, had_group;

	if ((rc = parse_quorum(quorum, &q, err)) != 0)
		return rc;
	if ((rc = custody_change__begin(a, 0, &lock, &actor, err)) != 0)
		return rc;
	if ((rc = custody_archive__policy(a, &p, NULL, err)) != 0)
		goto done;
	if (p == NULL && (p = empty_policy()) == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	if (!custody_shaped(p)) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: the archive's "
			"%s was given whole (`custody witness policy`) and has "
			"groups of its own; edit that file and give it again",
			a->gitdir, CUSTODY_POLICY_PATH);
		goto done;
	}
	had_group = p->ngroups == 1;
	old = p->groups[0];
	old_n = p->nwitnesses;
	if (name != NULL)
		at = custody_policy__find(p, name);
	if (what == ADD) {
		struct custody_policy_witness *w;

		if (at != -2 || strcmp(name, "none") == 0 ||
		    strcmp(name, GROUP) == 0) {
			rc = custody__error(err, CUSTODY_EEXISTS, "the policy "
				"already has a witness or group named '%s'",
				name);
			goto done;
		}
		if (p->nwitnesses == CUSTODY_POLICY_MAX_WITNESSES) {
			rc = custody__error(err, CUSTODY_EINVALID, "the policy "
				"has %d witnesses, the most it holds",
				CUSTODY_POLICY_MAX_WITNESSES);
			goto done;
		}
		if (strlen(name) > CUSTODY_POLICY_NAME_MAX ||
		    strlen(vkey) > CUSTODY_POLICY_VKEY_MAX ||
		    strlen(url) > CUSTODY_POLICY_URL_MAX) {
			rc = custody__error(err, CUSTODY_EINVALID, "a witness "
				"name, key or URL too long for a policy");
			goto done;
		}
		w = &p->witnesses[p->nwitnesses];
		memset(w, 0, sizeof(*w));
		if ((rc = custody_cosig__verifier_from_vkey(&w->v, vkey,
		    strlen(vkey), err)) != 0)
			goto done;
		snprintf(w->name, sizeof(w->name), "%s", name);
		snprintf(w->vkey, sizeof(w->vkey), "%s", vkey);
		snprintf(w->url, sizeof(w->url), "%s", url);
		p->nwitnesses++;
		snprintf(message, sizeof(message), "custody witness add %.255s"
			"\n", name);
	} else if (what == REMOVE) {
		if (at < 0 || at >= CUSTODY_POLICY_GROUP_BASE) {
			rc = custody__error(err, CUSTODY_ENOTFOUND, "the policy "
				"has no witness named '%s' (`custody witness "
				"list` shows them)", name);
			goto done;
		}
		memmove(&p->witnesses[at], &p->witnesses[at + 1],
			(p->nwitnesses - (size_t)at - 1) *
			sizeof(p->witnesses[0]));
		p->nwitnesses--;
		snprintf(message, sizeof(message), "custody witness remove "
			"%.255s\n", name);
	} else {
		snprintf(message, sizeof(message), "custody witness quorum "
			"%.40s\n", quorum);
	}
	if ((rc = set_group(p, &q, had_group ? &old : NULL, old_n, err)) != 0 ||
	    (rc = set_log(a, p, err)) != 0)
		goto done;
	rc = record(a, p, message, index_out, err);
done:
	free(p);
	custody_lock__release(lock);
	return rc;
}

int custody_archive_witness_add(custody_archive *a, const char *name,
	const char *url, const char *vkey, const char *quorum,
	uint64_t *index_out, custody_error **err)
{
	if (name == NULL || url == NULL || vkey == NULL)
		return custody__error(err, CUSTODY_EINVALID, "a witness needs "
			"a name, a URL and a key");
	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0)
		return custody__error(err, CUSTODY_EINVALID, "witness URL "
			"'%.200s': it must start with http:// or https://",
			url);
	for (const char *c = url; *c != '\0'; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return custody__error(err, CUSTODY_EINVALID, "witness "
				"URL '%.200s': only printable ASCII, no spaces",
				url);
	return edit_policy(a, ADD, name, vkey, url, quorum, index_out, err);
}

int custody_archive_witness_remove(custody_archive *a, const char *name,
	const char *quorum, uint64_t *index_out, custody_error **err)
{
	return edit_policy(a, REMOVE, name, NULL, NULL, quorum, index_out,
		err);
}

int custody_archive_witness_quorum(custody_archive *a, const char *quorum,
	uint64_t *index_out, custody_error **err)
{
	if (quorum == NULL)
		return custody__error(err, CUSTODY_EINVALID, "no quorum given");
	return edit_policy(a, QUORUM, NULL, NULL, NULL, quorum, index_out,
		err);
}

int custody_archive_witness_policy(custody_archive *a, const char *text,
	size_t len, uint64_t *index_out, custody_error **err)
{
	struct custody_policy *p = NULL;
	custody_lock *lock = NULL;
	const char *actor, *vkey;
	int rc;

	if ((rc = custody_policy__parse(&p, text, len, "the policy given",
	    err)) != 0)
		return rc;
	if ((rc = custody_change__begin(a, 0, &lock, &actor, err)) != 0)
		goto done;
	vkey = custody_archive_log_key(a);
	if (p->nlogs != 1 || !custody_entry__same_log_key(p->logs[0].vkey,
	    vkey)) {
		rc = custody__error(err, CUSTODY_EINVALID, "the policy given "
			"must name one log, this outlet's key in force: log %s",
			vkey ? vkey : "(none)");
		goto done;
	}
	rc = record(a, p, "custody witness policy\n", index_out, err);
done:
	free(p);
	custody_lock__release(lock);
	return rc;
}

int custody_archive_policy_text(custody_archive *a, custody_buf *out,
	custody_error **err)
{
	struct custody_policy *p = NULL;
	int rc;

	out->ptr = NULL;
	out->size = 0;
	if ((rc = custody_archive__refresh(a, err)) != 0 ||
	    (rc = custody_archive__policy(a, &p, NULL, err)) != 0)
		return rc;
	if (p == NULL && (p = empty_policy()) == NULL)
		return custody__oom(err);
	/* readers need the key in force, which a rotation since the last
	 * policy entry changed */
	if ((rc = set_log(a, p, err)) == 0)
		rc = custody_policy__format(p, out, err);
	free(p);
	return rc;
}

int custody_archive_witnesses(custody_archive *a,
	custody_archive_witness_cb cb, void *payload, custody_error **err)
{
	struct custody_policy *p = NULL;
	custody_archive_witness w;
	int rc;

	if ((rc = custody_archive__refresh(a, err)) != 0 ||
	    (rc = custody_archive__policy(a, &p, NULL, err)) != 0)
		return rc;
	for (size_t i = 0; p != NULL && i < p->nwitnesses && rc == 0; i++) {
		w.name = p->witnesses[i].name;
		w.vkey = p->witnesses[i].vkey;
		w.url = p->witnesses[i].url;
		rc = cb(&w, payload);
	}
	free(p);
	return rc;
}
