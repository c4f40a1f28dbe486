/*
 * Entry checks, shared by the reader and the emitter (entry_yaml.c):
 * the rules of schemas/entry.schema.yaml, and some stricter ones (see
 * entry.h). Every error is CUSTODY_EINVALID (or CUSTODY_ENOMEM), its
 * message prefixed with the entry's name and, where the entry was read,
 * the line and column of the value at fault.
 *
 * Thread safety: no shared state.
 */
#ifndef CUSTODY_SRC_ENTRY_CHECK_H
#define CUSTODY_SRC_ENTRY_CHECK_H

#include "entry.h"
#include "yaml.h"

/* What 'type' must be, worded to follow the quoted key. */
#define CUSTODY_ENTRY_TYPE_NAMES "must be \"genesis\", \"register\", " \
	"\"member\", \"publish\", \"event\", \"derive\", \"log-key\", " \
	"\"policy\", \"skip\" or \"dkim\""

/*
 * The entry's fields: each value acceptable, each field allowed in the
 * entry's type, the required ones present. `root` is the document the
 * entry was read from, for positions, or NULL (emitting); `name`
 * prefixes every message ("log/000/000/000000012.yaml", "entry 12").
 */
/* The fields of the private part are checked when entry->opening is set
 * (the private part is loaded), else only the public ones. */
int custody_entry__check(const struct custody_entry *entry,
	const struct custody_yaml_node *root, const char *name,
	custody_error **err);

/*
 * The keys of a document read as an entry of `type` (its public part, or
 * with private_part set its private part): all known, each allowed in
 * that type and part, the required ones there.
 */
int custody_entry__check_keys(const struct custody_yaml_node *root,
	custody_entry_type type, int private_part, const char *name,
	custody_error **err);

/*
 * Value checks also made outside the entry checks. Each returns NULL
 * when the value is acceptable, else the reason, worded to follow the
 * quoted key: "'origin' must be ...".
 */
/* The log's origin name: 1-255 printable ASCII, no spaces. */
const char *custody_entry__check_origin(const char *origin);
/* An event's action and a derivation: one of their few words. */
const char *custody_entry__check_event_action(const char *action);
const char *custody_entry__check_derivation(const char *derivation);

#endif
