/*
 * custody/keystore.h - the key folder, where a person's private keys live.
 *
 * The key folder is $CUSTODY_KEY_DIR, else $XDG_CONFIG_HOME/custody/keys,
 * else ~/.config/custody/keys. Each key is NAME.key (PKCS#8 PEM, encrypted
 * with a passphrase through scrypt, mode 0600) beside NAME.pub (its
 * OpenSSH public line, "ssh-ed25519 AAAA... NAME"). The folder is made
 * with mode 0700 and is never inside a custody collection, where `custody
 * add` could register a private key. A key file is never overwritten.
 *
 * Every function that takes `dir` uses the default folder for NULL.
 * Messages name the files and folders, never a command-line option:
 * where the caller has a way for the user to choose (an option, a
 * variable), the error code says so and the caller adds the hint.
 *
 * Thread safety: the functions keep no global state, but the folder is
 * shared: two saves of the same name at once leave one key, and the
 * other gets CUSTODY_EEXISTS.
 */
#ifndef CUSTODY_KEYSTORE_H
#define CUSTODY_KEYSTORE_H

#include <stddef.h>
#include "custody/common.h"
#include "custody/key.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The key folder's path (see the top of this header) into out. Not
 * created. CUSTODY_ENOTFOUND when none of the variables is set.
 *
 * Outlet keys (the log keys that sign checkpoints) live in the folder's
 * log/ subfolder, custody_keystore_log_dir, as NAME.key and NAME.pub
 * like member keys: a kind of their own, so a member key is still the
 * only key of the folder itself when a journalist has one, and outlet
 * keys are found by the archive's outlet key, never chosen by name.
 * Every function below takes either folder as `dir`.
 */
CUSTODY_EXTERN(int) custody_keystore_log_dir(custody_buf *out,
	custody_error **err);

CUSTODY_EXTERN(int) custody_keystore_dir(custody_buf *out,
	custody_error **err);

/*
 * 0 if `name` is acceptable for a key and a member: 1 to 64 characters
 * from A-Z a-z 0-9 . _ @ + -, not starting with "." or "-" (it becomes
 * an allowed_signers principal and a file name). Else CUSTODY_EINVALID.
 */
CUSTODY_EXTERN(int) custody_key_name_check(const char *name,
	custody_error **err);

/* Called for each key in the folder, sorted by name; `key` is NULL when
 * the key's NAME.pub is missing or damaged. */
typedef int (*custody_keystore_cb)(const char *name,
	const custody_pubkey *key, void *payload);

/* List the keys in folder `dir`. A folder that does not exist holds no
 * keys. A callback's non-zero return stops the listing and is returned. */
CUSTODY_EXTERN(int) custody_keystore_list(const char *dir,
	custody_keystore_cb cb, void *payload, custody_error **err);

/*
 * Find the key to use: `name`, or when NULL the only key in the folder.
 * Fills name_out (may be NULL), the private key file's path (may be
 * NULL) and the public key (may be NULL; the caller frees it). Errors:
 * CUSTODY_ENOTFOUND (no such key, or no key at all: the message says to
 * run `custody key new`), CUSTODY_EAMBIGUOUS (several keys and no name:
 * the message lists them; the caller says how to choose one),
 * CUSTODY_EINVALID (a bad name, a damaged NAME.pub).
 */
CUSTODY_EXTERN(int) custody_keystore_find(const char *dir,
	const char *name, custody_buf *name_out, custody_buf *path_out,
	custody_pubkey **public_out, custody_error **err);

/*
 * Make the folder `dir` ready to receive a key named `name`, without
 * writing a key: check the name (as custody_key_name_check), refuse a
 * folder inside a custody collection (one with a .custody folder in it
 * or above it; judged before anything is made), create the folder and
 * those missing above it (mode 0700), and refuse a name that is taken
 * (its NAME.key or NAME.pub exists). Call it before asking for a
 * passphrase, so that nobody types one in vain; custody_keystore_save
 * checks all of this again. Errors: CUSTODY_EINVALID (a bad name, a
 * folder inside a collection, a path too long), CUSTODY_EEXISTS (the
 * name is taken), CUSTODY_EIO (the folder cannot be made or examined),
 * CUSTODY_ENOTFOUND (no key folder, see custody_keystore_dir).
 */
CUSTODY_EXTERN(int) custody_keystore_prepare(const char *dir,
	const char *name, custody_error **err);

/*
 * Save `key` in the folder `dir` as NAME.key, encrypted with the
 * passphrase (custody_key_save: created with O_EXCL, mode 0600), and
 * NAME.pub, its public line with NAME as comment; then sync the folder.
 * The checks of custody_keystore_prepare come first. When the .pub
 * cannot be written, neither file is left behind. `key_path_out` (may
 * be NULL) receives the private key file's path. Errors: those of
 * custody_keystore_prepare and custody_key_save (CUSTODY_EINVALID for
 * an empty passphrase), CUSTODY_EIO.
 */
CUSTODY_EXTERN(int) custody_keystore_save(const char *dir,
	const char *name, const custody_key *key, const char *passphrase,
	size_t passphrase_len, custody_buf *key_path_out,
	custody_error **err);

#ifdef __cplusplus
}
#endif

#endif
