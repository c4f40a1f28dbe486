/*
 * custody/common.h - error reporting and library-wide definitions.
 *
 * Thread safety: a custody_error belongs to the caller that received it;
 * the functions here may be called from any thread.
 */
#ifndef CUSTODY_COMMON_H
#define CUSTODY_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
# define CUSTODY_EXTERN(type) __attribute__((visibility("default"))) type
# define CUSTODY_WARN_UNUSED __attribute__((warn_unused_result))
#else
# define CUSTODY_EXTERN(type) type
# define CUSTODY_WARN_UNUSED
#endif

/*
 * Return codes. Every fallible function returns 0 on success or one of
 * these negative codes; the detail is in the custody_error it fills.
 */
enum {
	CUSTODY_OK = 0,
	CUSTODY_ERROR = -1,     /* generic failure */
	CUSTODY_ENOMEM = -2,    /* out of memory */
	CUSTODY_ENOTFOUND = -3, /* no such archive, document, version */
	CUSTODY_EEXISTS = -4,   /* already exists */
	CUSTODY_EINVALID = -5,  /* bad input: file, path, option, YAML */
	CUSTODY_EVERIFY = -6,   /* a check failed: digest, history, object */
	CUSTODY_ELOCKED = -7,   /* another process holds the archive lock */
	CUSTODY_EIO = -8,       /* reading or writing failed */
	CUSTODY_ECHANGED = -9,  /* a file changed while it was read */
	CUSTODY_EPASSPHRASE = -10, /* the passphrase does not open the key */
	CUSTODY_EAMBIGUOUS = -11 /* several would do and none was named */
};

/*
 * An error: a code and one line of detail naming the file, the place and
 * the reason. Functions take `custody_error **err`; on failure, when err
 * is not NULL and *err is NULL, *err receives a new error the caller frees
 * with custody_error_free(). An error already set is never overwritten, so
 * the first, most precise message wins.
 *
 * Reusing an error variable: after a failed call, free the error and set
 * the variable back to NULL before the next call. A call handed a pointer
 * to an error that is already set keeps that error and adds none of its
 * own, so its failure would be reported with the older message.
 */
typedef struct custody_error custody_error;

/* The error's code (one of the CUSTODY_E* values). */
CUSTODY_EXTERN(int) custody_error_code(const custody_error *err);

/* The error's message, borrowed; lives as long as err. */
CUSTODY_EXTERN(const char *) custody_error_message(const custody_error *err);

/*
 * What a program could tell its user to do about an error, where the
 * remedy is one of its own controls (an option, a command): the library
 * names no command-line option, so a command-line tool adds its own
 * words for these. CUSTODY_HINT_NONE for most errors.
 */
typedef enum {
	CUSTODY_HINT_NONE = 0,
	CUSTODY_HINT_NO_ARCHIVE,    /* none found: create one or name one */
	CUSTODY_HINT_NOT_STORED,    /* the version was registered as hashes */
	CUSTODY_HINT_FORCE,         /* a destination would be replaced */
	CUSTODY_HINT_BACKDATE,      /* an earlier time needs a reason */
	CUSTODY_HINT_NOT_MEMBER,    /* a member must add this key */
	CUSTODY_HINT_MAKE_CONSISTENCY, /* the archive can make the proof */
	CUSTODY_HINT_NO_KEY,        /* make a key, or import one */
	CUSTODY_HINT_LIST_KEYS,     /* the keys there can be listed */
	CUSTODY_HINT_REGISTER,      /* register this version first */
	CUSTODY_HINT_NEW_REQUEST,   /* ask for a new timestamp request */
	CUSTODY_HINT_VERIFY,        /* a full verify says more */
	CUSTODY_HINT_SIGN_CHECKPOINT, /* the outlet key's holder must sign a
				       * checkpoint first */
	CUSTODY_HINT_NAME_KEY        /* the signing key must be named */
} custody_hint;

/* The error's hint (CUSTODY_HINT_NONE for NULL). */
CUSTODY_EXTERN(custody_hint) custody_error_hint(const custody_error *err);

/* Free an error. NULL is a no-op. */
CUSTODY_EXTERN(void) custody_error_free(custody_error *err);

/*
 * A name (a registered path, a file) as custody shows it to people, the
 * one quoting rule of the library and the command: as it is, or, when it
 * holds a control character (tab, line feed and carriage return are
 * allowed in names), a bidi control, a line separator, a byte that is
 * not UTF-8, '"' or '\\', in double quotes with C escapes (\t \n \r
 * \" \\, other bytes as \ooo), as git's core.quotePath does: so that
 * "a\nverified: ok" never shows as two lines. With `as_name` 0 the
 * quotes and the escaping of '"' and '\\' are left out (free text: a
 * reason, a message). Writes at most `size` bytes into out, always
 * NUL-terminated when size > 0 (cut short when too small); returns the
 * length the whole result needs, without the NUL, as snprintf does
 * (at most 4 * strlen(name) + 2).
 */
CUSTODY_EXTERN(size_t) custody_quote(char *out, size_t size,
	const char *name, int as_name);

/* The library's version, "MAJOR.MINOR.PATCH". */
CUSTODY_EXTERN(const char *) custody_version(void);

/*
 * Callbacks. Every callback the library calls (entries, status items,
 * problems, members, steps of a timeline, keys, publications) returns 0
 * to go on. A non-zero return asks the library to stop calling it:
 * a function that walks records (custody_archive_log, _status, _members,
 * _timeline, _published, custody_keystore_list) stops the walk and
 * returns that value; a function that reports on work it has already
 * done or decided (custody_archive_add's entry callback, after the
 * commit; custody_archive_verify's problem callback) stops reporting and
 * returns what the work itself returned. Progress, notice and refused
 * callbacks return nothing. Callbacks run on the calling thread and must
 * not call back into the same archive handle.
 */

/*
 * Sizes of the fixed text fields in the public structs, each counting
 * the terminating NUL.
 */
#define CUSTODY_COMMIT_ID_SIZE 41    /* a git commit id, 40 hex digits */
#define CUSTODY_SHA256_HEX_SIZE 65   /* a SHA-256 digest, 64 hex digits */
#define CUSTODY_ROOT_B64_SIZE 45     /* a Merkle root, 44 base64 chars */
#define CUSTODY_FINGERPRINT_SIZE 64  /* "SHA256:" and 43 base64 chars */
#define CUSTODY_KEY_RAW_SIZE 32      /* an Ed25519 public key, bytes */
#define CUSTODY_PATH_SIZE 4097       /* a path in the collection */
#define CUSTODY_ORIGIN_SIZE 256      /* a log origin or a TSA's name */
#define CUSTODY_ACTOR_SIZE 257       /* a member name */
#define CUSTODY_TIME_SIZE 32         /* an RFC 3339 time */
#define CUSTODY_STEP_SIZE 16         /* the name of a failed check step */
#define CUSTODY_DERIVATION_SIZE 32   /* "redaction", "translation", ... */
#define CUSTODY_NOTE_SIZE 4097       /* a note, up to 4096 bytes */
#define CUSTODY_LABEL_SIZE 257       /* a label: source, title, ... */
#define CUSTODY_URL_SIZE 2049        /* a publication's URL */
#define CUSTODY_FIELDS_SIZE 256      /* "path,actor,...": field names */

/*
 * A byte buffer handed out by the library. Free it with
 * custody_buf_dispose(); never with free().
 */
typedef struct custody_buf {
	char *ptr;
	size_t size;
} custody_buf;

#define CUSTODY_BUF_INIT { NULL, 0 }

/* Release a buffer's memory and reset it to empty. NULL is a no-op. */
CUSTODY_EXTERN(void) custody_buf_dispose(custody_buf *buf);

/*
 * The SHA-256 of `len` bytes at `data`, as 64 lowercase hex digits and a
 * NUL, into `out`: what `sha256sum` prints for a file of those bytes.
 * 0, or CUSTODY_ERROR with OpenSSL's reason when it cannot compute one
 * (then `out` holds "").
 */
CUSTODY_EXTERN(int) custody_sha256_hex(const void *data, size_t len,
	char out[CUSTODY_SHA256_HEX_SIZE], custody_error **err);

#ifdef __cplusplus
}
#endif

#endif
