/* Keys and passphrases for the subcommands that sign. */
#ifndef CUSTODY_CMD_KEYS_H
#define CUSTODY_CMD_KEYS_H

#include <stddef.h>
#include <custody.h>
#include "passphrase_line.h"

/*
 * The passphrase, from --passphrase-file FILE (its first line), else
 * $CUSTODY_PASSPHRASE, else asked on the terminal without echo (twice
 * when `confirm`, for a new key). `out` has CLI_PASSPHRASE_MAX + 2
 * bytes; wipe it with explicit_bzero after use. EXIT_OK or EXIT_FAILED
 * (with the message printed).
 */
int cli_passphrase(const char *passphrase_file, const char *prompt,
	int confirm, char *out, size_t *len_out);

/*
 * The signing key: --key NAME (or a path to a .key file), else
 * $CUSTODY_KEY, else the only key in the key folder; opened with the
 * passphrase (see cli_passphrase). *member_out receives the key's name
 * (malloc'd). EXIT_OK or EXIT_FAILED (message printed).
 */
int cli_signing_key(const char *key_name, const char *passphrase_file,
	custody_key **key_out, char **member_out);

/*
 * Open the archive (as cli_open) and the signing key (as
 * cli_signing_key), and make the key the archive's signer. The key is
 * unlocked on a thread of its own while the command starts its work; a
 * wrong passphrase is reported when the library waits for it, before
 * anything is written. EXIT_OK, or
 * EXIT_FAILED with the message printed and nothing left open. Free both
 * (archive first) when done.
 */
struct cli;
int cli_open_signed(const struct cli *cli, const char *key_name,
	const char *passphrase_file, custody_archive **archive_out,
	custody_key **key_out);

/*
 * The archive's outlet key from the key folder's log/ subfolder, found
 * by the archive's outlet vkey and unlocked in the background; *out
 * NULL when this key folder does not hold it (a member without it still
 * makes changes, with no new checkpoint). EXIT_OK or EXIT_FAILED
 * (printed). cli_open_signed calls it.
 */
int cli_load_outlet_key(custody_archive *archive,
	const char *passphrase_file, const custody_key **out);

/*
 * An outlet key by name in the key folder's log/: `given`, else the name
 * made from `origin` (example.org/leaks -> example.org-leaks), else
 * local/<this folder>'s; opened if it is there, else made and saved
 * there (asking for a new passphrase). Its name goes to name[size].
 * EXIT_OK or EXIT_FAILED (printed).
 */
int cli_outlet_key_named(const char *given, const char *origin,
	const char *passphrase_file, custody_key **out, char *name,
	size_t size);

/*
 * As cli_fail, for an error from custody_keystore_find: when there are
 * several keys and none was named, it adds how to choose one.
 */
int cli_key_fail(custody_error *err);

/*
 * The outlet's key as text, for the offline checks: KEY itself when it is
 * an `ssh-ed25519 ...` line or a C2SP verifier key that names no file,
 * else the first line of the file KEY. *out is malloc'd. EXIT_OK or
 * EXIT_FAILED (printed).
 */
int cli_key_text(const char *given, char **out);

/*
 * A public key given on the command line: an `ssh-ed25519 AAAA...` line,
 * a C2SP verifier key, a file holding one of those (a .pub file), or the
 * name of a key in the key folder. EXIT_OK or EXIT_FAILED.
 */
int cli_public_key(const char *given, custody_pubkey **out);

#endif
