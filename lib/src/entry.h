/*
 * Log entries: the structure and its helpers (entry.c), the checks of
 * every field (entry_check.c), the reader and the emitter (entry_yaml.c,
 * on the strict reader and the emitter of yaml.c).
 *
 * An entry is written once by custody and never rewritten. It has two
 * parts. The public part (log/NNN/NNN/NNNNNNNNN.yaml) is what the Merkle
 * leaf hashes, byte for byte, and what a proof shows: the fields a
 * reader of a published document needs, and `private`, a salted
 * commitment to all the others. The private part
 * (private/NNN/NNN/NNNNNNNNN.yaml) holds those other fields and the
 * secret `opening` the commitment is made with; it stays in the archive,
 * which partners replicate. See entry_private.c for the commitment. The reader accepts exactly what
 * schemas/entry.schema.yaml accepts, and may be stricter (it refuses plain
 * scalars other than decimal integers and true/false). Paths are kept
 * as they were on disk, NFD too.
 */
#ifndef CUSTODY_SRC_ENTRY_H
#define CUSTODY_SRC_ENTRY_H

#include <stdint.h>
#include "custody/common.h"

#define CUSTODY_ENTRY_FORMAT 2
#define CUSTODY_PRIVATE_FORMAT 2
/* Most private fields one entry holds (the register type's seven and
 * room to spare). */
#define CUSTODY_ENTRY_MAX_PRIVATE 16
#define CUSTODY_ENTRY_MAX_BYTES (64 * 1024)
/* Longest DKIM evidence a dkim entry holds, so the entry, escaped, fits
 * CUSTODY_ENTRY_MAX_BYTES. */
#define CUSTODY_ENTRY_DKIM_MAX_EVIDENCE (56 * 1024)

typedef enum {
	CUSTODY_ENTRY_GENESIS = 1, /* first entry: names the archive */
	CUSTODY_ENTRY_REGISTER = 2, /* a document (version) registered */
	CUSTODY_ENTRY_MEMBER = 3,   /* a member's key added or revoked */
	CUSTODY_ENTRY_PUBLISH = 4,  /* documents published: where and when */
	CUSTODY_ENTRY_EVENT = 5,    /* something happened to a document */
	CUSTODY_ENTRY_DERIVE = 6,   /* a derivative of a document registered */
	CUSTODY_ENTRY_LOG_KEY = 7,  /* the outlet (log) key rotated */
	CUSTODY_ENTRY_POLICY = 8,   /* the witnesses and quorum changed */
	CUSTODY_ENTRY_SKIP = 9,     /* paths an add left out, and why */
	CUSTODY_ENTRY_DKIM = 10     /* a message's DKIM verdict and evidence */
} custody_entry_type;

/* Most documents one publish entry names. */
#define CUSTODY_PUBLISH_MAX_DOCUMENTS 1000

/* A published document: the entry that registered it and its digest. */
struct custody_published {
	uint64_t index;
	char *sha256;      /* 64 hex, the registered digest */
};

typedef enum {
	CUSTODY_MEMBER_ADD = 1,
	CUSTODY_MEMBER_REVOKE = 2
} custody_member_action;

/* All strings are NUL-terminated UTF-8 owned by the entry; NULL = absent. */
struct custody_entry {
	uint64_t index;
	custody_entry_type type;
	char *time;        /* "YYYY-MM-DDTHH:MM:SSZ", UTC */
	char *actor;
	char *salt;        /* 64 lowercase hex digits (32 random bytes) */
	/*
	 * The private part's secret: 64 hex digits (32 random bytes) from
	 * which each private field's nonce is derived. NULL when only the
	 * public part is known (a proof's entry); then every private field
	 * below reads as absent.
	 */
	char *opening;
	/* From the public part: 64 hex, the commitment to the private
	 * fields (NULL in an entry being written, until it is emitted). */
	char *private_commitment;
	char *private_leaf;  /* only while a private part is read */
	char *note;        /* optional */

	/*
	 * skip: what an add (--skip-refused) left out, one line per path,
	 * "<path>\t<reason>\n", the path as custody_path__quote writes it
	 * (so no control character, tab or newline), the reason the same
	 * way; private, as paths are.
	 */
	char *skipped;

	/* genesis */
	char *origin;

	/*
	 * genesis: the outlet key (log key) that signs checkpoints, as a C2SP
	 * vkey "origin+keyid+base64(0x01 || key)". log-key: the new key, the
	 * one it replaces, and Ed25519 signatures (base64) by each over
	 * custody_entry__rotation_message(). Checkpoints of a size up to this
	 * entry's index are signed by the previous key, later ones by the new.
	 */
	char *log_key;
	char *previous_log_key;  /* log-key only */
	char *old_signature;     /* log-key only */
	char *new_signature;     /* log-key only */

	/*
	 * policy: the archive's whole C2SP tlog-policy after the change (the
	 * witnesses, groups and quorum that cosign its checkpoints), kept
	 * byte for byte in the tree at CUSTODY_POLICY_PATH too.
	 */
	char *policy;

	/* genesis (the founding member) and member */
	char *member;      /* the member's name (an allowed_signers principal) */
	char *key;         /* "ssh-ed25519 <base64>" */
	custody_member_action action;   /* member only */

	/*
	 * event: what happened to one registered document, kept apart from
	 * the document's own record. `sha256` (below) holds that document's
	 * digest; the YAML key of event_action is "action", as in member
	 * entries, with the event's own values.
	 */
	uint64_t document; /* the index of the entry that registered it */
	char *event_action; /* "received", "transferred", "copied",
			     * "accessed", "verified", "sealed", "returned",
			     * "destroyed" or "note" */
	char *from;        /* optional label: who or where it came from */
	char *to;          /* optional label: who or where it went */
	char *at;          /* optional: when it happened (UTC, as `time`);
			    * absent, it happened at `time` */
	char *backdate_reason; /* optional label: why `at` is that early */

	/* register and derive (which registers a document too) */
	char *path;        /* relative, '/'-separated, as on disk */
	uint64_t size;
	char *sha256;      /* 64 hex; in an event, the document's */
	char *sha512;      /* 128 hex, optional (policy) */
	char *media_type;
	char *blob;        /* 40 hex git blob id when content is stored */
	uint64_t version;  /* 1, 2, ... per path */
	int has_previous;  /* set when version > 1 */
	uint64_t previous; /* index of the previous version's entry */
	char *source;      /* optional opaque label */

	/*
	 * derive: the original by its entry's index and that entry's RFC 6962
	 * leaf hash, never by its digest, so a derivative's proof does not
	 * reveal which copy of the original the newsroom holds.
	 */
	uint64_t derived_from; /* the index of the original's entry */
	char *original_leaf; /* 64 hex: SHA-256(0x00 || original entry) */
	char *derivation;  /* "redact", "translate", "ocr", "excerpt",
			    * "convert" or "watermark-removal" */

	/*
	 * dkim: the verdict on a registered e-mail message's DKIM
	 * signatures, all public: the message by its registering entry's
	 * index and leaf hash (as a derivative names its original), the
	 * verdict, when the keys were observed, and the whole evidence text
	 * (custody-dkim/v1, docs/dkim.md: every signature's tags and
	 * results, each key record as DNS served it, the resolver, the
	 * DNSSEC status) that lets anyone check the verdict again.
	 */
	uint64_t message;   /* the index of the message's register entry */
	char *message_leaf; /* 64 hex: SHA-256(0x00 || that entry) */
	char *verdict;      /* "pass", "weak", "fail", "temperror", "none" */
	char *observed;     /* "YYYY-MM-DDTHH:MM:SSZ", the key observation */
	char *dkim_evidence; /* the custody-dkim/v1 text */

	/* publish */
	char *url;         /* where: http(s) URL, printable ASCII */
	char *title;       /* optional */
	char *published;   /* when, "YYYY-MM-DDTHH:MM:SSZ" */
	struct custody_published *documents;
	size_t ndocuments; /* 1..CUSTODY_PUBLISH_MAX_DOCUMENTS */
};

/*
 * Parse and validate an entry's public part. `name` (a path for messages, such as
 * "log/000/000/000000012.yaml") prefixes every error message, with
 * line:column where libyaml gives one. On success *out is a new entry
 * the caller frees with custody_entry__free().
 * Errors: CUSTODY_EINVALID (with the reason), CUSTODY_ENOMEM.
 */
int custody_entry__parse(struct custody_entry **out, const char *bytes,
	size_t len, const char *name, custody_error **err);

/*
 * Read the entry's private part into `entry` (parsed from its public
 * part): the fields it holds must be exactly the private fields of the
 * entry's type, `index` the entry's, `leaf` the public part's leaf hash,
 * and the commitment computed from them the public part's `private`.
 * Then the whole entry is checked. Errors: CUSTODY_EINVALID (naming
 * `name`), CUSTODY_ENOMEM.
 */
int custody_entry__open(struct custody_entry *entry, const char *bytes,
	size_t len, const char *name, const unsigned char leaf[32],
	custody_error **err);

/*
 * Write the entry's public part into *out (which the caller disposes
 * with custody_buf_dispose); entry->opening must be set. Fields are
 * emitted in a fixed order; strings are double-quoted, integers plain, so
 * no YAML reader can misread a value. The result parses back with
 * custody_entry__parse to an equal entry (without its private fields).
 */
int custody_entry__emit(custody_buf *out, const struct custody_entry *entry,
	custody_error **err);

/*
 * Parse a private part on its own into a new entry *out of `entry`'s
 * type (its private fields, index, opening, and the leaf hash it names
 * in private_leaf). custody_entry__open uses it. With root_out, the
 * parsed document too (for its fields' positions; free it with
 * custody_yaml__free).
 */
struct custody_yaml_node;
int custody_entry__parse_private(struct custody_entry **out,
	struct custody_yaml_node **root_out, const struct custody_entry *entry,
	const char *bytes, size_t len, const char *name, custody_error **err);

/* The commitment of the entry's private fields as 64 hex digits.
 * Errors: CUSTODY_EINVALID (no valid opening). */
int custody_entry__private_hex(const struct custody_entry *entry,
	char out[65], custody_error **err);

/* Write the private part, for the public part whose leaf hash is `leaf`. */
int custody_entry__emit_private(custody_buf *out,
	const struct custody_entry *entry, const unsigned char leaf[32],
	custody_error **err);

/*
 * The commitment (entry_private.c):
 *   nonce_f  = HMAC-SHA256(key = opening, message = f)
 *   commit_f = SHA-256("custody-field v2\n" || f || "\n" || nonce_f ||
 *                      value)
 *   private  = SHA-256("custody-private v2\n" || for each field f the
 *                      entry holds, in the order of
 *                      custody_entry__private_fields: f " " hex(commit_f)
 *                      "\n")
 * where value is the field's UTF-8 text (integers in decimal).
 */

/* The private fields `entry` holds, in commitment order; their count. */
size_t custody_entry__private_fields(const struct custody_entry *entry,
	const char *names[CUSTODY_ENTRY_MAX_PRIVATE]);

/* 1 when `field` names a private field of some entry type. */
int custody_entry__is_private_field(const char *field);

/*
 * A field's opening: its nonce and its value as committed (malloc'd,
 * NUL-terminated, in *value). CUSTODY_ENOTFOUND when the entry does not
 * hold the field or its private part is not loaded.
 */
int custody_entry__opening(const struct custody_entry *entry,
	const char *field, unsigned char nonce[32], char **value,
	custody_error **err);

/* commit_f of one field's value and nonce. */
void custody_entry__commit_field(const char *field,
	const unsigned char nonce[32], const char *value, size_t len,
	unsigned char out[32]);

/* `private` from the fields' names and commitments, in order. */
void custody_entry__commit_private(const char *const *fields,
	const unsigned char (*commits)[32], size_t n, unsigned char out[32]);

void custody_entry__free(struct custody_entry *entry);

/* "genesis", "register", "member", "publish", "event", "derive",
 * "log-key", "policy", "skip", "dkim"; NULL if unknown. */
const char *custody_entry__type_name(custody_entry_type type);

/*
 * What both keys of a log-key entry sign: the entry's index and the two
 * vkeys, as "custody log-key rotation v1\nindex N\nfrom OLD\nto NEW\n".
 * Appends to *out. Errors: CUSTODY_ENOMEM.
 */
int custody_entry__rotation_message(custody_buf *out,
	const struct custody_entry *e, custody_error **err);

/* 1 when two C2SP vkeys are one key (same name, key id and public key,
 * compared decoded), else 0 (also for a vkey that does not parse). */
int custody_entry__same_log_key(const char *x, const char *y);

/* A log-key entry: both vkeys parse (into *from, the key replaced, and
 * *to, the new one) and both signatures over
 * custody_entry__rotation_message hold. CUSTODY_EVERIFY naming the entry
 * when a signature does not; CUSTODY_EINVALID for a bad vkey. */
struct custody_note_verifier;
int custody_entry__check_rotation(const struct custody_entry *e,
	struct custody_note_verifier *from, struct custody_note_verifier *to,
	custody_error **err);

/* 1 when the entry registers a document version at a path (a register or
 * a derive entry), else 0: the record of paths is built from these. */
static inline int custody_entry__registers(const struct custody_entry *e)
{
	return e->type == CUSTODY_ENTRY_REGISTER ||
		e->type == CUSTODY_ENTRY_DERIVE;
}

#endif
