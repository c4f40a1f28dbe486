/*
 * What a remote may send (sync.h): libgit2's own smart transport, over
 * its own git://, ssh:// and http(s):// subtransports, with every
 * stream they open wrapped so that each byte read is counted.
 *
 * libgit2 bounds the pack only through the indexer's progress, and the
 * list of refs a server advertises not at all: it keeps that list in
 * memory whole, so a server that never ends it would take all memory.
 * Here a read past the transfer's limits fails with a libgit2 error,
 * which ends the fetch or push at once; the flag it leaves in the
 * transfer tells the caller which limit it was.
 */
#include "common.h"
#include "sync.h"

#include <git2/sys/transport.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void custody_sync__transfer_init(struct custody_sync_transfer *t,
	const custody_sync_options *opts)
{
	memset(t, 0, sizeof(*t));
	t->opts = opts;
	t->max_bytes = opts != NULL && opts->max_bytes != 0 ?
		opts->max_bytes : CUSTODY_FETCH_MAX_BYTES_DEFAULT;
	t->refs_max = t->max_bytes < CUSTODY_FETCH_MAX_REFS_BYTES ?
		t->max_bytes : CUSTODY_FETCH_MAX_REFS_BYTES;
}

int custody_sync__too_big(const struct custody_sync_transfer *t,
	const char *url, custody_error **err)
{
	if (t->too_big == CUSTODY_SYNC__PAST_REFS_MAX)
		return custody__error(err, CUSTODY_EINVALID, "%s: the remote's "
			"list of refs ran past %" PRIu64 " bytes, the most "
			"custody reads before the pack (a custody archive has "
			"one branch, main); nothing was changed", url,
			t->refs_max);
	return custody__error(err, CUSTODY_EINVALID, "%s: the remote sent "
		"more than %" PRIu64 " bytes (limit --max-bytes %" PRIu64 "); "
		"nothing was changed", url, t->max_bytes, t->max_bytes);
}

/* ---- a counted stream ---- */

struct counted_sub;

struct counted_stream {
	git_smart_subtransport_stream parent;
	git_smart_subtransport_stream *inner;
	struct counted_sub *sub;
};

struct counted_sub {
	git_smart_subtransport parent;
	git_smart_subtransport *inner;
	struct custody_sync_transfer *t;
	/* a stateful subtransport (git://, ssh://) answers each action
	 * of one connection with the same stream, and the smart transport
	 * checks that it does: so must this one */
	struct counted_stream *current;
};

static int counted_read(git_smart_subtransport_stream *stream,
	char *buffer, size_t size, size_t *bytes_read)
{
	struct counted_stream *s = (struct counted_stream *)stream;
	struct custody_sync_transfer *t = s->sub->t;
	int rc;

	if ((rc = s->inner->read(s->inner, buffer, size, bytes_read)) < 0)
		return rc;
	t->received += *bytes_read;
	if (!t->past_refs)
		t->refs_received += *bytes_read;
	if (t->received > t->max_bytes)
		t->too_big = CUSTODY_SYNC__PAST_MAX_BYTES;
	else if (!t->past_refs && t->refs_received > t->refs_max)
		t->too_big = t->refs_max < CUSTODY_FETCH_MAX_REFS_BYTES ?
			CUSTODY_SYNC__PAST_MAX_BYTES :
			CUSTODY_SYNC__PAST_REFS_MAX;
	else
		return 0;
	/* the caller's message says which limit; this one is libgit2's */
	git_error_set_str(GIT_ERROR_NET, "the remote sent more than custody "
		"reads");
	return GIT_EUSER;
}

static int counted_write(git_smart_subtransport_stream *stream,
	const char *buffer, size_t len)
{
	struct counted_stream *s = (struct counted_stream *)stream;

	return s->inner->write(s->inner, buffer, len);
}

static void counted_stream_free(git_smart_subtransport_stream *stream)
{
	struct counted_stream *s = (struct counted_stream *)stream;

	if (s->sub->current == s)
		s->sub->current = NULL;
	s->inner->free(s->inner);
	free(s);
}

/* ---- the subtransport around libgit2's ---- */

static int counted_action(git_smart_subtransport_stream **out,
	git_smart_subtransport *subtransport, const char *url,
	git_smart_service_t action)
{
	struct counted_sub *sub = (struct counted_sub *)subtransport;
	git_smart_subtransport_stream *inner = NULL;
	struct counted_stream *s;
	int rc;

	/* a list of refs begins a connection; after it, the pack or the
	 * push's answer */
	sub->t->past_refs = action == GIT_SERVICE_UPLOADPACK ||
		action == GIT_SERVICE_RECEIVEPACK;
	if (!sub->t->past_refs)
		sub->t->refs_received = 0;
	if ((rc = sub->inner->action(&inner, sub->inner, url, action)) < 0)
		return rc;
	if (sub->current != NULL && sub->current->inner == inner) {
		*out = &sub->current->parent;
		return 0;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		inner->free(inner);
		git_error_set_oom();
		return -1;
	}
	s->parent.subtransport = subtransport;
	s->parent.read = counted_read;
	s->parent.write = counted_write;
	s->parent.free = counted_stream_free;
	s->inner = inner;
	s->sub = sub;
	sub->current = s;
	*out = &s->parent;
	return 0;
}

static int counted_close(git_smart_subtransport *subtransport)
{
	struct counted_sub *sub = (struct counted_sub *)subtransport;

	return sub->inner->close(sub->inner);
}

static void counted_sub_free(git_smart_subtransport *subtransport)
{
	struct counted_sub *sub = (struct counted_sub *)subtransport;

	sub->inner->free(sub->inner);
	free(sub);
}

static int counted_sub_new(git_smart_subtransport **out,
	git_transport *owner, void *param)
{
	struct custody_sync_transfer *t = param;
	struct counted_sub *sub = calloc(1, sizeof(*sub));
	int rc;

	if (sub == NULL) {
		git_error_set_oom();
		return -1;
	}
	if ((rc = t->inner_sub(&sub->inner, owner, NULL)) < 0) {
		free(sub);
		return rc;
	}
	sub->parent.action = counted_action;
	sub->parent.close = counted_close;
	sub->parent.free = counted_sub_free;
	sub->t = t;
	*out = &sub->parent;
	return 0;
}

/* ---- the transport ---- */

static int has_prefix(const char *url, const char *prefix)
{
	return strncmp(url, prefix, strlen(prefix)) == 0;
}

int custody_sync__transport(git_transport **out, git_remote *owner,
	void *payload)
{
	struct custody_sync_transfer *t = payload;
	/* custody's remotes have no separate push URL */
	const char *url = git_remote_url(owner);

	if (url == NULL)
		url = "";
	/* the choice libgit2 makes (transport.c): a scheme it knows, then
	 * host:path for ssh, then a folder on this machine */
	if (has_prefix(url, "http://") || has_prefix(url, "https://")) {
		t->inner_sub = git_smart_subtransport_http;
		t->definition.rpc = 1;
	} else if (has_prefix(url, "git://")) {
		t->inner_sub = git_smart_subtransport_git;
		t->definition.rpc = 0;
	} else if (has_prefix(url, "ssh://") || has_prefix(url, "ssh+git://") ||
	    has_prefix(url, "git+ssh://") ||
	    (!has_prefix(url, "file://") && strchr(url, ':') != NULL)) {
		t->inner_sub = git_smart_subtransport_ssh;
		t->definition.rpc = 0;
	} else {
		/* a repository on this machine: read in place, nothing to
		 * count (a first clone counts it in sync_local.c) */
		return git_transport_local(out, owner, NULL);
	}
	t->definition.callback = counted_sub_new;
	t->definition.param = t;
	return git_transport_smart(out, owner, &t->definition);
}
