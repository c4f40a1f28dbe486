/* Membership replayed from the log; see members.h. */
#include "members.h"
#include "sshwire.h"
#include "base64.h"
#include "common.h"
#include "fsutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

void custody_members__clear(struct custody_members *m)
{
	for (size_t i = 0; i < m->count; i++)
		free(m->items[i].name);
	free(m->items);
	memset(m, 0, sizeof(*m));
}

const struct custody_member *custody_members__by_key(
	const struct custody_members *m, const unsigned char key[32])
{
	for (size_t i = 0; i < m->count; i++)
		if (CRYPTO_memcmp(m->items[i].key, key, 32) == 0)
			return &m->items[i];
	return NULL;
}

const struct custody_member *custody_members__active(
	const struct custody_members *m, const char *name)
{
	for (size_t i = 0; i < m->count; i++)
		if (!m->items[i].revoked && strcmp(m->items[i].name, name) == 0)
			return &m->items[i];
	return NULL;
}

size_t custody_members__active_count(const struct custody_members *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->count; i++)
		n += !m->items[i].revoked;
	return n;
}

static int push(struct custody_members *m, const char *name,
	const unsigned char key[32], custody_error **err)
{
	struct custody_member *item;

	if (m->count == m->capacity) {
		size_t capacity = m->capacity ? m->capacity * 2 : 8;
		struct custody_member *grown = realloc(m->items,
			capacity * sizeof(*grown));

		if (grown == NULL)
			return custody__oom(err);
		m->items = grown;
		m->capacity = capacity;
	}
	item = &m->items[m->count];
	memset(item, 0, sizeof(*item));
	if ((item->name = strdup(name)) == NULL)
		return custody__oom(err);
	memcpy(item->key, key, 32);
	m->count++;
	return 0;
}

int custody_members__apply(struct custody_members *m,
	const struct custody_entry *e, custody_error **err)
{
	const struct custody_member *same_key, *active;
	struct custody_member *item;
	unsigned char key[32];
	char fp[64];
	int rc;

	if (e->type != CUSTODY_ENTRY_GENESIS && e->type != CUSTODY_ENTRY_MEMBER)
		return 0;
	if (custody_sshwire__key_line_raw(e->key, key) != 0)
		return custody__error(err, CUSTODY_EINVALID, "entry %" PRIu64
			": 'key' is not an Ed25519 public key", e->index);
	custody_sshwire__fingerprint(fp, key);
	if (e->type == CUSTODY_ENTRY_GENESIS) {
		if (m->count != 0)
			return custody__error(err, CUSTODY_EVERIFY, "entry %"
				PRIu64 ": a second genesis entry", e->index);
		if ((rc = push(m, e->member, key, err)) != 0)
			return rc;
		item = &m->items[m->count - 1];
		item->founding = 1;
		snprintf(item->added_time, sizeof(item->added_time), "%s",
			e->time);
		return 0;
	}
	same_key = custody_members__by_key(m, key);
	active = custody_members__active(m, e->member);
	if (e->action == CUSTODY_MEMBER_ADD) {
		if (same_key != NULL)
			return custody__error(err, CUSTODY_EVERIFY, "entry %"
				PRIu64 ": key %s already %s member '%s' "
				"(entry %" PRIu64 "); a key is added once",
				e->index, fp, same_key->revoked ?
				"belonged to revoked" : "belongs to",
				same_key->name, same_key->added);
		if (active != NULL)
			return custody__error(err, CUSTODY_EVERIFY, "entry %"
				PRIu64 ": '%s' is already a member (entry %"
				PRIu64 ")", e->index, e->member,
				active->added);
		if ((rc = push(m, e->member, key, err)) != 0)
			return rc;
		item = &m->items[m->count - 1];
		item->added = e->index;
		snprintf(item->added_time, sizeof(item->added_time), "%s",
			e->time);
		return 0;
	}
	if (active == NULL)
		return custody__error(err, CUSTODY_EVERIFY, "entry %" PRIu64
			": revokes '%s', who is not a member", e->index,
			e->member);
	if (CRYPTO_memcmp(active->key, key, 32) != 0)
		return custody__error(err, CUSTODY_EVERIFY, "entry %" PRIu64
			": revokes key %s, but member '%s' holds another key",
			e->index, fp, e->member);
	if (custody_members__active_count(m) == 1)
		return custody__error(err, CUSTODY_EVERIFY, "entry %" PRIu64
			": revokes '%s', the last member; an archive always "
			"has one", e->index, e->member);
	item = &m->items[active - m->items];
	item->revoked = 1;
	item->revoked_at = e->index;
	snprintf(item->revoked_time, sizeof(item->revoked_time), "%s",
		e->time);
	return 0;
}

/* "2026-11-23T01:54:26Z" -> "20261123015426Z", ssh-keygen's form. */
static void ssh_time(char out[16], const char *t)
{
	snprintf(out, 16, "%.4s%.2s%.2s%.2s%.2s%.2sZ", t, t + 5, t + 8,
		t + 11, t + 14, t + 17);
}

int custody_members__allowed_signers(const struct custody_members *m,
	const char *origin, custody_buf *out, custody_error **err)
{
	int rc;

	out->ptr = NULL;
	out->size = 0;
	rc = custody_buf__printf(out, "# Members of the custody archive %s, "
		"for git verify-commit and\n# ssh-keygen -Y verify. custody "
		"writes this file from the log's genesis\n# and member "
		"entries; editing it changes nothing custody trusts.\n",
		origin);
	for (size_t i = 0; rc == 0 && i < m->count; i++) {
		const struct custody_member *item = &m->items[i];
		char line[81], after[16], before[16];

		custody_sshwire__key_line(line, item->key);
		ssh_time(after, item->added_time);
		ssh_time(before, item->revoked_time);
		if (item->founding)
			rc = custody_buf__printf(out, "# %s: founding member "
				"(entry %" PRIu64 ")\n", item->name, item->added);
		else if (item->revoked)
			rc = custody_buf__printf(out, "# %s: added by entry %"
				PRIu64 ", revoked by entry %" PRIu64 "\n",
				item->name, item->added, item->revoked_at);
		else
			rc = custody_buf__printf(out, "# %s: added by entry %"
				PRIu64 "\n", item->name, item->added);
		if (rc == 0)
			rc = custody_buf__printf(out, "%s namespaces=\"git,custody\""
			"%s%s%s%s%s%s %s\n", item->name,
			item->founding ? "" : ",valid-after=\"",
			item->founding ? "" : after,
			item->founding ? "" : "\"",
			item->revoked ? ",valid-before=\"" : "",
			item->revoked ? before : "",
			item->revoked ? "\"" : "", line);
	}
	if (rc != 0) {
		custody_buf_dispose(out);
		return custody__oom(err);
	}
	return 0;
}

/* "20261123015426Z" after `option` in `options` -> "2026-11-23T01:54:26Z";
 * 0, 1 if the option is absent, -1 if malformed. */
static int option_time(const char *options, const char *option, char out[32])
{
	const char *at = strstr(options, option), *t;

	out[0] = '\0';
	if (at == NULL)
		return 1;
	t = at + strlen(option);
	for (int i = 0; i < 14; i++)
		if (t[i] < '0' || t[i] > '9')
			return -1;
	if (t[14] != 'Z' || t[15] != '"')
		return -1;
	snprintf(out, 32, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", t, t + 4, t + 6,
		t + 8, t + 10, t + 12);
	return 0;
}

/* "# NAME: founding member (entry N)", "# NAME: added by entry N" and
 * ", revoked by entry R": the entries behind a member line. */
static int parse_note(struct custody_member *item, const char *note)
{
	size_t n = strlen(item->name);
	int used = 0;

	if (note == NULL || strncmp(note, "# ", 2) != 0 ||
	    strncmp(note + 2, item->name, n) != 0 || note[2 + n] != ':')
		return -1;
	note += 3 + n;
	if (item->founding)
		return sscanf(note, " founding member (entry %" SCNu64 ")%n",
			&item->added, &used) == 1 && note[used] == '\0' ? 0 : -1;
	if (sscanf(note, " added by entry %" SCNu64 "%n", &item->added,
	    &used) != 1)
		return -1;
	note += used;
	if (*note == '\0')
		return 0;
	return sscanf(note, ", revoked by entry %" SCNu64 "%n",
		&item->revoked_at, &used) == 1 && note[used] == '\0' ? 0 : -1;
}

/* One line written by custody_members__allowed_signers, after its
 * comment line `note`; 0 or -1. */
static int parse_line(struct custody_members *m, char *line,
	const char *note, custody_error **err)
{
	static const char ns[] = " namespaces=\"git,custody\"";
	char *space = strchr(line, ' '), *key;
	unsigned char raw[32];
	struct custody_member *item;

	if (space == NULL || strncmp(space, ns, sizeof(ns) - 1) != 0)
		return -1;
	*space = '\0';
	key = strstr(space + 1, " ssh-ed25519 ");
	if (key == NULL || custody_sshwire__key_line_raw(key + 1, raw) != 0)
		return -1;
	if (push(m, line, raw, err) != 0)
		return -2;
	item = &m->items[m->count - 1];
	item->founding = m->count == 1;
	*key = '\0';
	if (parse_note(item, note) != 0)
		return -1;
	if (option_time(space + 1, ",valid-after=\"", item->added_time) !=
	    (item->founding ? 1 : 0))
		return -1;
	switch (option_time(space + 1, ",valid-before=\"",
	    item->revoked_time)) {
	case 0:
		item->revoked = 1;
		break;
	case 1:
		break;
	default:
		return -1;
	}
	return 0;
}

int custody_members__parse(struct custody_members *m, const char *text,
	size_t len, const char *name, custody_error **err)
{
	char *copy = malloc(len + 1), *line, *next;
	const char *note = NULL;
	unsigned lineno = 0;
	int rc = 0;

	if (copy == NULL)
		return custody__oom(err);
	/* the lines are C strings below: a NUL would end the file early,
	 * and whatever followed it would go unread */
	if (memchr(text, '\0', len) != NULL) {
		free(copy);
		return custody__error(err, CUSTODY_EINVALID, "%s: holds a NUL "
			"byte", name);
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (line = copy; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		if (line[0] == '#') {
			note = line;
			continue;
		}
		rc = parse_line(m, line, note, err);
		note = NULL;
		if (rc != 0) {
			rc = rc == -2 ? CUSTODY_ENOMEM : custody__error(err,
				CUSTODY_EINVALID, "%s:%u: not a member line "
				"custody writes", name, lineno);
			break;
		}
	}
	if (rc == 0 && custody_members__active_count(m) == 0)
		rc = custody__error(err, CUSTODY_EINVALID, "%s: names no "
			"active member", name);
	free(copy);
	return rc;
}
