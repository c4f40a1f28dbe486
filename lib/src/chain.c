/*
 * The chain of custody: events about documents, derivatives linked to
 * their originals by entry index and leaf hash (never by digest), the
 * timeline that reads them back in log order, and the disclosure of a
 * derivative's original.
 */
#include "archive.h"
#include "archive_add.h"
#include "base64.h"
#include "change.h"
#include "check.h"
#include "digest.h"
#include "common.h"
#include "fsutil.h"
#include "lock.h"
#include "map.h"
#include "merkle.h"
#include "proof.h"
#include "custody/chain.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int custody_archive_event(custody_archive *a, const char *path,
	const custody_event_options *opts, uint64_t *index_out,
	char commit_out[41], custody_error **err)
{
	struct custody_entry e, *doc = NULL;
	custody_lock *lock = NULL;
	char *rel = NULL, now[32], message[200];
	const char *actor;
	git_oid commit;
	int rc;

	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_EVENT_OPTIONS_VERSION, "custody_event_options")) != 0)
		return rc;
	if (opts == NULL || opts->action == NULL)
		return custody__error(err, CUSTODY_EINVALID, "an event needs "
			"an action");
	if ((rc = custody_change__begin(a, opts->lock_wait_ms, &lock,
	    &actor, err)) != 0)
		return rc;
	if ((rc = custody_archive__find_version(a, path, 0, &rel, &doc, err))
	    != 0)
		goto done;
	custody_change__now(a, now, NULL);
	/* times in this form compare as strings */
	if (opts->at != NULL && strlen(opts->at) == 20 &&
	    strcmp(opts->at, doc->time) < 0 && opts->backdate_reason == NULL) {
		rc = custody__error_hint(err, CUSTODY_EINVALID,
			CUSTODY_HINT_BACKDATE, "%s: the event's time %s is "
			"before the document was registered (%s, entry %"
			PRIu64 ")", rel, opts->at, doc->time, doc->index);
		goto done;
	}
	if (opts->at != NULL && strlen(opts->at) == 20 &&
	    strcmp(opts->at, now) > 0) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: the event's "
			"time %s is in the future (now %s)", rel, opts->at, now);
		goto done;
	}
	memset(&e, 0, sizeof(e));
	e.type = CUSTODY_ENTRY_EVENT;
	e.document = doc->index;
	e.sha256 = doc->sha256;
	e.event_action = (char *)opts->action;
	e.from = (char *)opts->from;
	e.to = (char *)opts->to;
	e.at = (char *)opts->at;
	e.backdate_reason = (char *)opts->backdate_reason;
	e.note = (char *)opts->note;
	snprintf(message, sizeof(message), "custody event: %.32s %.120s\n",
		opts->action, rel);
	if ((rc = custody_change__append(a, &e, 1, NULL, 0, message, &commit,
	    err)) != 0)
		goto done;
	if (index_out != NULL)
		*index_out = e.index;
	if (commit_out != NULL)
		git_oid_tostr(commit_out, 41, &commit);
done:
	custody_entry__free(doc);
	free(rel);
	custody_lock__release(lock);
	return rc;
}

/* A derivative identical to its original would put the original's digest
 * in every proof of the derivative: refused. */
static int same_digest(custody_archive *a, const char *new_path,
	const char *new_rel, const struct custody_entry *orig,
	custody_error **err)
{
	struct custody_digest file;
	custody_error *why = NULL;
	int rc;

	rc = custody_digest__collection_file(&file, a->root_fd, new_rel,
		new_path, &why);
	if (rc == CUSTODY_ENOMEM)
		custody__error(err, rc, "%s", custody_error_message(why));
	/* a file that cannot be read is left for the add to name */
	else if (rc != 0)
		rc = 0;
	else if (custody_digest__matches(&file, orig->sha256, orig->size))
		rc = custody__error(err, CUSTODY_EINVALID, "%s is identical "
			"to %s; a derivative that changes nothing would reveal "
			"the original's digest", new_path, orig->path);
	custody_error_free(why);
	return rc;
}

int custody_archive_derive(custody_archive *a, const char *original,
	const char *new_path, const custody_derive_options *opts,
	uint64_t *index_out, char commit_out[41], custody_error **err)
{
	custody_add_options add = CUSTODY_ADD_OPTIONS_INIT;
	custody_add_summary sum;
	struct custody_derive_spec spec;
	struct custody_entry *orig = NULL, *up = NULL;
	custody_buf bytes = CUSTODY_BUF_INIT;
	git_tree *tree = NULL;
	char *orig_rel = NULL, *new_rel = NULL, leaf_hex[65];
	unsigned char leaf[32];
	const char *paths[1];
	int rc;

	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_DERIVE_OPTIONS_VERSION, "custody_derive_options")) != 0)
		return rc;
	if (opts == NULL || opts->derivation == NULL)
		return custody__error(err, CUSTODY_EINVALID, "a derivative "
			"needs its derivation (redact, translate, ...)");
	if ((rc = custody_archive__refresh(a, err)) != 0 ||
	    (rc = custody_archive__find_version(a, original, 0, &orig_rel,
	    &orig, err)) != 0 ||
	    (rc = custody_archive__relpath(a, new_path, &new_rel, err)) != 0 ||
	    (rc = custody_archive__head_tree(a, &tree, err)) != 0)
		goto done;
	/* no cycle: NEW may not be the original or one of its ancestors */
	for (up = orig; ; ) {
		struct custody_entry *next = NULL;

		if (strcmp(up->path, new_rel) == 0) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s cannot "
				"be derived from %s: %s", new_rel, orig_rel,
				up == orig ? "it is the same document" :
				"it is one of its originals (a cycle)");
			break;
		}
		if (up->type != CUSTODY_ENTRY_DERIVE)
			break;
		rc = custody_archive__read_entry(a, tree, up->derived_from,
			&next, NULL, err);
		if (up != orig)
			custody_entry__free(up);
		up = next;
		if (rc != 0)
			break;
	}
	if (up != orig)
		custody_entry__free(up);
	if (rc != 0)
		goto done;
	if ((rc = same_digest(a, new_path, new_rel, orig, err)) != 0 ||
	    (rc = custody_archive__read_entry(a, tree, orig->index, &up,
	    &bytes, err)) != 0)
		goto done;
	custody_entry__free(up);
	custody_merkle__leaf_hash(bytes.ptr, bytes.size, leaf);
	custody_hex(leaf_hex, leaf, 32);
	spec.derived_from = orig->index;
	spec.original_leaf = leaf_hex;
	spec.derivation = opts->derivation;
	add.store = opts->store;
	add.note = opts->note;
	add.lock_wait_ms = opts->lock_wait_ms;
	paths[0] = new_path;
	memset(&sum, 0, sizeof(sum));
	if ((rc = custody_archive__add(a, paths, 1, &add, &spec, NULL, NULL,
	    &sum, err)) != 0)
		goto done;
	if (index_out != NULL)
		*index_out = a->size - 1;
	if (commit_out != NULL)
		snprintf(commit_out, 41, "%s", sum.commit);
done:
	custody_buf_dispose(&bytes);
	custody_entry__free(orig);
	git_tree_free(tree);
	free(orig_rel);
	free(new_rel);
	return rc;
}

/* ---- the timeline ---- */

struct tracked {
	char **path_of;        /* entry index -> path, for tracked entries */
	int *depth_of;         /* entry index -> depth (-1 untracked) */
	struct custody_map depth_by_path;
	char **paths;          /* owned path strings */
	size_t npaths;
};

/* A transfer not yet followed by anything from its recipient. */
struct open_transfer {
	char *to, *when;
	const char *path;       /* borrowed from the tracked paths */
	uint64_t entry;
	int depth;
};

static int track_path(struct tracked *t, const char *path, int depth)
{
	char **grown = realloc(t->paths, (t->npaths + 1) * sizeof(*grown));
	char *copy = strdup(path);

	if (grown == NULL || copy == NULL) {
		free(copy);
		if (grown)
			t->paths = grown;
		return -1;
	}
	t->paths = grown;
	t->paths[t->npaths] = copy;
	if (custody_map__put(&t->depth_by_path, copy, (size_t)depth) != 0)
		return -1;
	t->npaths++;
	return 0;
}

int custody_archive_timeline(custody_archive *a, const char *path,
	custody_step_cb cb, void *payload, custody_error **err)
{
	struct tracked t;
	struct open_transfer *open = NULL;
	size_t nopen = 0;
	struct custody_entry *root = NULL;
	git_tree *tree = NULL;
	char *rel = NULL;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = custody_archive__refresh(a, err)) != 0 ||
	    (rc = custody_archive__find_version(a, path, 0, &rel, &root,
	    err)) != 0 ||
	    (rc = custody_archive__head_tree(a, &tree, err)) != 0)
		goto done;
	t.path_of = calloc(a->size + 1, sizeof(*t.path_of));
	t.depth_of = malloc((a->size + 1) * sizeof(*t.depth_of));
	if (t.path_of == NULL || t.depth_of == NULL ||
	    track_path(&t, rel, 0) != 0) {
		rc = custody__oom(err);
		goto done;
	}
	for (uint64_t i = 0; i <= a->size; i++)
		t.depth_of[i] = -1;
	for (uint64_t i = 1; i < a->size && rc == 0; i++) {
		struct custody_entry *e = NULL;
		custody_step s;
		size_t *d;
		const char *arc;
		char what[40];

		if ((rc = custody_archive__read_entry(a, tree, i, &e, NULL,
		    err)) != 0)
			break;
		memset(&s, 0, sizeof(s));
		s.entry = i;
		s.recorded = s.when = e->time;
		s.actor = e->actor;
		s.note = e->note;
		if (custody_entry__registers(e)) {
			d = custody_map__get(&t.depth_by_path, e->path);
			if (d == NULL && e->type == CUSTODY_ENTRY_DERIVE &&
			    e->derived_from < a->size &&
			    t.depth_of[e->derived_from] >= 0) {
				/* a new document made from a tracked one */
				int depth = t.depth_of[e->derived_from] + 1;

				s.kind = CUSTODY_STEP_DERIVATIVE;
				s.note = NULL; /* the registration below has it */
				s.path = t.path_of[e->derived_from];
				s.depth = depth - 1;
				s.what = e->derivation;
				s.related = i;
				s.related_path = e->path;
				if (track_path(&t, e->path, depth) != 0) {
					rc = custody__oom(err);
					custody_entry__free(e);
					break;
				}
				rc = cb(&s, payload);
				d = custody_map__get(&t.depth_by_path, e->path);
				memset(&s, 0, sizeof(s));
				s.entry = i;
				s.recorded = s.when = e->time;
				s.actor = e->actor;
				s.note = e->note;
			}
			if (d != NULL && rc == 0) {
				t.depth_of[i] = (int)*d;
				t.path_of[i] = t.paths[0];
				for (size_t k = 0; k < t.npaths; k++)
					if (strcmp(t.paths[k], e->path) == 0)
						t.path_of[i] = t.paths[k];
				s.kind = CUSTODY_STEP_REGISTERED;
				s.path = t.path_of[i];
				s.version = e->version;
				s.depth = (int)*d;
				if (e->type == CUSTODY_ENTRY_DERIVE) {
					s.what = e->derivation;
					s.related = e->derived_from;
				}
				rc = cb(&s, payload);
			}
		} else if (e->type == CUSTODY_ENTRY_EVENT &&
		    e->document < a->size && t.depth_of[e->document] >= 0) {
			s.kind = CUSTODY_STEP_EVENT;
			s.path = t.path_of[e->document];
			s.depth = t.depth_of[e->document];
			s.what = e->event_action;
			s.from = e->from;
			s.to = e->to;
			s.backdate_reason = e->backdate_reason;
			if (e->at)
				s.when = e->at;
			/* what was open for this sender is now accounted for */
			for (size_t k = 0; e->from && k < nopen; k++)
				if (open[k].to && strcmp(open[k].to, e->from)
				    == 0) {
					free(open[k].to);
					open[k].to = NULL;
				}
			if (strcmp(e->event_action, "transferred") == 0 &&
			    e->to != NULL) {
				struct open_transfer *grown = realloc(open,
					(nopen + 1) * sizeof(*grown));

				if (grown == NULL) {
					rc = custody__oom(err);
				} else {
					open = grown;
					open[nopen].to = strdup(e->to);
					open[nopen].path = s.path;
					open[nopen].when = strdup(s.when);
					open[nopen].entry = i;
					open[nopen].depth = s.depth;
					/* counted even when a copy failed, so
					 * the cleanup frees the other one */
					if (open[nopen++].to == NULL ||
					    open[nopen - 1].when == NULL)
						rc = custody__oom(err);
				}
			}
			if (rc == 0)
				rc = cb(&s, payload);
		} else if (e->type == CUSTODY_ENTRY_DKIM &&
		    e->message < a->size && t.depth_of[e->message] >= 0) {
			s.kind = CUSTODY_STEP_DKIM;
			s.path = t.path_of[e->message];
			s.depth = t.depth_of[e->message];
			s.version = 0;
			s.related = e->message;
			s.what = e->verdict;
			s.when = e->observed;
			/* a message's ARC chain goes beside its verdict */
			arc = e->dkim_evidence ? strstr(e->dkim_evidence,
				"\narc-chain ") : NULL;
			if (arc != NULL) {
				snprintf(what, sizeof(what), "%s, ARC %.4s",
					e->verdict, arc + 11);
				s.what = what;
			}
			rc = cb(&s, payload);
		} else if (e->type == CUSTODY_ENTRY_PUBLISH) {
			for (size_t k = 0; k < e->ndocuments && rc == 0; k++) {
				uint64_t doc = e->documents[k].index;

				if (doc >= a->size || t.depth_of[doc] < 0)
					continue;
				s.kind = CUSTODY_STEP_PUBLISHED;
				s.path = t.path_of[doc];
				s.depth = t.depth_of[doc];
				s.related = doc;
				s.url = e->url;
				s.when = e->published;
				rc = cb(&s, payload);
			}
		}
		custody_entry__free(e);
	}
	for (size_t k = 0; k < nopen && rc == 0; k++) {
		custody_step s;
		char message[600];

		if (open[k].to == NULL)
			continue;
		memset(&s, 0, sizeof(s));
		s.kind = CUSTODY_STEP_GAP;
		s.entry = open[k].entry;
		s.when = s.recorded = open[k].when;
		s.path = open[k].path;
		s.depth = open[k].depth;
		s.to = open[k].to;
		snprintf(message, sizeof(message), "transferred to %s at %s "
			"(entry %" PRIu64 "); nothing recorded from %s since",
			open[k].to, open[k].when, open[k].entry, open[k].to);
		s.message = message;
		rc = cb(&s, payload);
	}
done:
	for (size_t k = 0; k < nopen; k++) {
		free(open[k].to);
		free(open[k].when);
	}
	free(open);
	for (size_t k = 0; k < t.npaths; k++)
		free(t.paths[k]);
	free(t.paths);
	custody_map__free(&t.depth_by_path);
	free(t.path_of);
	free(t.depth_of);
	custody_entry__free(root);
	git_tree_free(tree);
	free(rel);
	return rc;
}

/* ---- disclosure of a derivative's original ---- */

int custody_archive_reveal(custody_archive *a, const char *derivative,
	custody_buf *out, custody_error **err)
{
	struct custody_prover *prover = NULL;
	struct custody_entry *e = NULL;
	custody_buf d = CUSTODY_BUF_INIT, o = CUSTODY_BUF_INIT;
	char *rel = NULL;
	int rc;

	out->ptr = NULL;
	out->size = 0;
	if ((rc = custody_archive__refresh(a, err)) != 0 ||
	    (rc = custody_archive__find_version(a, derivative, 0, &rel, &e,
	    err)) != 0)
		return rc;
	if (e->type != CUSTODY_ENTRY_DERIVE) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s: its latest "
			"version was not derived from another document; "
			"nothing to reveal", rel);
		goto done;
	}
	/* both at the checkpoint at head, from one prover so they share
	 * one tree; for whom the outlet shows them to (a court): all the
	 * fields of both entries but where git keeps their content */
	if ((rc = custody_prover__open(a, &prover, err)) != 0 ||
	    (rc = custody_prover__proof(prover, e->index, 0,
	    CUSTODY_DISCLOSE_ALL_BUT_BLOB, NULL, 0, &d, err)) != 0 ||
	    (rc = custody_prover__proof(prover, e->derived_from, 0,
	    CUSTODY_DISCLOSE_ALL_BUT_BLOB, NULL, 0, &o, err)) != 0)
		goto done;
	if (custody_buf__append(out, CUSTODY_REVEAL_V2,
	    sizeof(CUSTODY_REVEAL_V2) - 1) != 0 ||
	    custody_buf__append(out, "derivative ", 11) != 0 ||
	    custody_base64__append(out, d.ptr, d.size) != 0 ||
	    custody_buf__append(out, "\noriginal ", 10) != 0 ||
	    custody_base64__append(out, o.ptr, o.size) != 0 ||
	    custody_buf__append(out, "\n", 1) != 0) {
		custody_buf_dispose(out);
		rc = custody__oom(err);
	}
done:
	custody_prover__free(prover);
	custody_buf_dispose(&d);
	custody_buf_dispose(&o);
	custody_entry__free(e);
	free(rel);
	return rc;
}

int custody_event_options_init(custody_event_options *opts, unsigned int version)
{
	static const custody_event_options fresh = CUSTODY_EVENT_OPTIONS_INIT;

	if (opts == NULL || version != CUSTODY_EVENT_OPTIONS_VERSION)
		return CUSTODY_EINVALID;
	memcpy(opts, &fresh, sizeof(*opts));
	return 0;
}

int custody_derive_options_init(custody_derive_options *opts, unsigned int version)
{
	static const custody_derive_options fresh = CUSTODY_DERIVE_OPTIONS_INIT;

	if (opts == NULL || version != CUSTODY_DERIVE_OPTIONS_VERSION)
		return CUSTODY_EINVALID;
	memcpy(opts, &fresh, sizeof(*opts));
	return 0;
}
