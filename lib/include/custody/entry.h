/*
 * custody/entry.h - read access to log entries.
 *
 * An entry is one immutable YAML file of the archive's log (see
 * schemas/entry.schema.yaml). The library hands out entries to callbacks
 * (borrowed: valid during the call) or through custody_archive_entry()
 * (owned: free with custody_entry_free). Strings are UTF-8; an absent
 * optional field reads as NULL.
 *
 * Thread safety: an entry may be read from several threads at once.
 */
#ifndef CUSTODY_ENTRY_H
#define CUSTODY_ENTRY_H

#include <stdint.h>
#include "custody/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct custody_entry custody_entry;

/* Position in the log, from 0 (the genesis entry). */
CUSTODY_EXTERN(uint64_t) custody_entry_index(const custody_entry *entry);
/* "genesis", "register", "member", "publish", "event", "derive",
 * "log-key", "policy", "skip" or "dkim". */
CUSTODY_EXTERN(const char *) custody_entry_type_name(
	const custody_entry *entry);
/* UTC time "YYYY-MM-DDTHH:MM:SSZ" and the member who made the entry. */
CUSTODY_EXTERN(const char *) custody_entry_time(const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_actor(const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_note(const custody_entry *entry);
/* genesis: the log's origin name */
CUSTODY_EXTERN(const char *) custody_entry_origin(const custody_entry *entry);
/* genesis: the outlet key (log key) as a C2SP vkey; log-key: the new
 * outlet key and the one it replaces; NULL otherwise */
CUSTODY_EXTERN(const char *) custody_entry_log_key(const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_previous_log_key(
	const custody_entry *entry);
/* policy: the archive's whole C2SP tlog-policy after the change (its
 * witnesses and quorum); NULL for other types */
CUSTODY_EXTERN(const char *) custody_entry_policy(const custody_entry *entry);
/* register and derive: the document as registered; event: sha256 is the
 * digest of the document the event is about */
CUSTODY_EXTERN(const char *) custody_entry_path(const custody_entry *entry);
CUSTODY_EXTERN(uint64_t) custody_entry_size(const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_sha256(const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_sha512(const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_media_type(
	const custody_entry *entry);
/* git blob id of the stored content, NULL when only hashes were kept */
CUSTODY_EXTERN(const char *) custody_entry_blob(const custody_entry *entry);
CUSTODY_EXTERN(uint64_t) custody_entry_version(const custody_entry *entry);
/* index of the previous version's entry; 0 and returns 0 if none */
CUSTODY_EXTERN(int) custody_entry_previous(const custody_entry *entry,
	uint64_t *out);
CUSTODY_EXTERN(const char *) custody_entry_source(const custody_entry *entry);

/* genesis and member: the member's name and "ssh-ed25519 ..." key */
CUSTODY_EXTERN(const char *) custody_entry_member(const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_key(const custody_entry *entry);
/* member: "add" or "revoke"; event: what happened to the document
 * ("received", "transferred", "copied", "accessed", "verified", "sealed",
 * "returned", "destroyed" or "note"); NULL otherwise */
CUSTODY_EXTERN(const char *) custody_entry_action(const custody_entry *entry);

/* event: the index of the entry that registered the document (0 for other
 * types); who or where it came from and went to, when it happened if not
 * at the entry's time ("YYYY-MM-DDTHH:MM:SSZ"), and why that is before
 * the document's registration: each NULL when not recorded */
CUSTODY_EXTERN(uint64_t) custody_entry_event_document(
	const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_from(const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_to(const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_at(const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_backdate_reason(
	const custody_entry *entry);

/* skip: the paths an add left out (add --skip-refused), one line each,
 * "<path>\t<reason>\n", both quoted as messages quote them (no control
 * characters); NULL for other types or when the private part is not
 * loaded */
CUSTODY_EXTERN(const char *) custody_entry_skipped(const custody_entry *entry);

/* derive: the original's entry index (0 for other types), the RFC 6962
 * leaf hash of that entry (64 hex; never the original's digest) and how
 * the derivative was made ("redact", "translate", "ocr", "excerpt",
 * "convert" or "watermark-removal"); NULL for other types */
CUSTODY_EXTERN(uint64_t) custody_entry_derived_from(
	const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_original_leaf(
	const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_derivation(
	const custody_entry *entry);

/* dkim: the message's register entry index (0 for other types) and the
 * RFC 6962 leaf hash of that entry (64 hex); the verdict ("pass", "weak",
 * "fail", "temperror" or "none"); when the key records were observed
 * ("YYYY-MM-DDTHH:MM:SSZ"); the evidence (custody-dkim/v1 text, see
 * custody/dkim.h and docs/dkim.md). Strings NULL for other types. */
CUSTODY_EXTERN(uint64_t) custody_entry_dkim_message(
	const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_dkim_message_leaf(
	const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_dkim_verdict(
	const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_dkim_observed(
	const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_dkim_evidence(
	const custody_entry *entry);

/* publish: where, the title (or NULL), when, and the documents (by the
 * index of the entry that registered each, and its SHA-256) */
CUSTODY_EXTERN(const char *) custody_entry_url(const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_title(const custody_entry *entry);
CUSTODY_EXTERN(const char *) custody_entry_published(
	const custody_entry *entry);
CUSTODY_EXTERN(size_t) custody_entry_document_count(
	const custody_entry *entry);
/* The i-th document's SHA-256 (borrowed), its entry index in *index. */
CUSTODY_EXTERN(const char *) custody_entry_document(
	const custody_entry *entry, size_t i, uint64_t *index);

/* Free an entry obtained from custody_archive_entry. NULL is a no-op. */
CUSTODY_EXTERN(void) custody_entry_free(custody_entry *entry);

/* The kinds of value a caller gives for an entry's fields. */
typedef enum custody_field {
	/* a UTC time "YYYY-MM-DDTHH:MM:SSZ" that exists (an event's at, a
	 * publication's time) */
	CUSTODY_FIELD_TIME,
	/* a label (an event's from and to, a source, a title, a reason
	 * for a backdated event): 1 to 256 bytes of UTF-8, no control */
	CUSTODY_FIELD_LABEL,
	/* a note: at most 4096 bytes of UTF-8; newline and tab the only
	 * controls */
	CUSTODY_FIELD_NOTE,
	/* a publication's address: http:// or https://, a host, printable
	 * ASCII without spaces, at most 2048 bytes */
	CUSTODY_FIELD_URL,
	/* a log's origin name: 1 to 255 printable ASCII, no spaces */
	CUSTODY_FIELD_ORIGIN,
	/* an event's action: received, transferred, copied, accessed,
	 * verified, sealed, returned, destroyed or note */
	CUSTODY_FIELD_EVENT_ACTION,
	/* a derivation: redact, translate, ocr, excerpt, convert or
	 * watermark-removal */
	CUSTODY_FIELD_DERIVATION,
	/* a member's name: 1 to 64 of A-Z a-z 0-9 . _ @ + -, not starting
	 * with "." or "-" */
	CUSTODY_FIELD_MEMBER
} custody_field;

/*
 * Whether an entry would accept `value` for a field of this kind, by the
 * same rules the entry's own checks apply, so that a program can refuse
 * a bad value (a command-line option, say) before it opens an archive.
 * Returns NULL when it would, else the reason, worded to follow the
 * value ("must be a UTC time \"YYYY-MM-DDTHH:MM:SSZ\"", "is longer than
 * 256 bytes"): a static string. Rules that depend on an archive (an
 * event's time after the document's registration, and not in the
 * future) are not checked here. `value` must not be NULL.
 */
CUSTODY_EXTERN(const char *) custody_entry_check_value(custody_field field,
	const char *value);

#ifdef __cplusplus
}
#endif

#endif
