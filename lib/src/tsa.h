/*
 * RFC 3161 trusted timestamps: make a request, send it to a timestamp
 * authority (TSA) over HTTP (tsa_post.c, with libcurl), take the token
 * out of its response, and verify a token against the data it stamps.
 *
 * Every digest here is SHA-256. Buffers handed out (custody_buf) must be
 * empty when passed in; on success they hold new memory the caller
 * releases with custody_buf_dispose(), on failure they stay empty.
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef CUSTODY_SRC_TSA_H
#define CUSTODY_SRC_TSA_H

#include <stddef.h>
#include <stdint.h>
#include "custody/common.h"

/* The largest TSA response custody_tsa__post accepts. */
#define CUSTODY_TSA_RESPONSE_MAX ((size_t)1 << 20)

/*
 * A TimeStampReq (DER) for the SHA-256 `digest`: version 1, certReq
 * true (so the token carries the TSA's certificate), no policy, and a
 * fresh random nonce, never 0, returned in *nonce_out.
 */
int custody_tsa__request(const unsigned char digest[32],
	custody_buf *der_out, uint64_t *nonce_out, custody_error **err);

/*
 * POST `len` bytes of `query` to `url` (http:// or https:// only) as
 * application/timestamp-query and put the response body in *out.
 * Refused, with a message naming the URL: another scheme
 * (CUSTODY_EINVALID); a connection that fails or takes over 10 s to
 * open, or a transfer over 30 s (CUSTODY_EIO); an HTTP status other
 * than 200, redirects included, which are never followed; a
 * Content-Type other than application/timestamp-reply; a body over
 * CUSTODY_TSA_RESPONSE_MAX (CUSTODY_ERROR).
 */
int custody_tsa__post(const char *url, const void *query, size_t len,
	custody_buf *out, custody_error **err);

/*
 * The token (a CMS ContentInfo, DER) of a TimeStampResp into *token_out.
 * The status must be granted or grantedWithMods; otherwise
 * CUSTODY_ERROR with the status, the failure info and the TSA's text.
 * When `nonce` is not 0 the token's nonce must equal it
 * (CUSTODY_EVERIFY). Malformed DER: CUSTODY_EINVALID. The token itself
 * is not verified here: see custody_tsa__verify.
 */
int custody_tsa__token_from_response(const void *resp, size_t len,
	uint64_t nonce, custody_buf *token_out, custody_error **err);

struct custody_tsa_info {
	char gen_time[32];      /* "YYYY-MM-DDTHH:MM:SSZ" (fraction dropped) */
	int64_t gen_time_unix;
	char serial[80];        /* hex, lowercase */
	char tsa_name[256];     /* signer certificate subject, one line */
	char policy[80];        /* OID, dotted */
	char digest_alg[32];    /* "sha256" */
	int has_nonce;          /* the token carries a nonce that fits */
	uint64_t nonce;
};

/*
 * Verify a timestamp token (a DER ContentInfo, or a whole TimeStampResp
 * whose status is granted) over the SHA-256 `digest`:
 *  - the message imprint is SHA-256 and equals digest;
 *  - the token has one signer, whose certificate has a single, critical
 *    extendedKeyUsage extension naming only timeStamping (RFC 3161
 *    2.3), and a key usage, if any, of digitalSignature and/or
 *    nonRepudiation only;
 *  - genTime lies within that certificate's validity;
 *  - the CMS signature is valid, its ESS signing-certificate attribute
 *    names the signer, and a TSA name in the token, if any, is the
 *    signer's;
 *  - the signer's certificate chains to a certificate of `trusted` (a
 *    PEM file of one or more certificates, each accepted as an anchor,
 *    CA or not). The chain is checked as of genTime, not as of now, so
 *    a token stays verifiable after its TSA certificate expires. With
 *    `trusted` NULL no chain is checked: the signature is verified with
 *    the certificate the token carries, and *untrusted_out is set to 1
 *    (else 0; untrusted_out may be NULL).
 * A failed check: CUSTODY_EVERIFY, the message saying which one ("the
 * token is for other data ...", "the TSA certificate lacks the
 * timeStamping extended key usage", "the token's time ... is outside
 * the TSA certificate's validity ...", "the TSA is not trusted: ...").
 * Malformed DER: CUSTODY_EINVALID. An unreadable `trusted` file:
 * CUSTODY_ENOTFOUND, CUSTODY_EIO or CUSTODY_EINVALID. On success fills
 * *info (if not NULL).
 */
int custody_tsa__verify(const void *token, size_t len,
	const unsigned char digest[32], const char *trusted,
	struct custody_tsa_info *info, int *untrusted_out,
	custody_error **err) __attribute__((warn_unused_result));

#endif
