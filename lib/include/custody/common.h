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
 */
typedef struct custody_error custody_error;

/* The error's code (one of the CUSTODY_E* values). */
CUSTODY_EXTERN(int) custody_error_code(const custody_error *err);

/* The error's message, borrowed; lives as long as err. */
CUSTODY_EXTERN(const char *) custody_error_message(const custody_error *err);

/* Free an error. NULL is a no-op. */
CUSTODY_EXTERN(void) custody_error_free(custody_error *err);

/* The library's version, "MAJOR.MINOR.PATCH". */
CUSTODY_EXTERN(const char *) custody_version(void);

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

#ifdef __cplusplus
}
#endif

#endif
