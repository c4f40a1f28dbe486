/*
 * RFC 3161 timestamps through OpenSSL's TS and CMS code; tsa_post.c
 * sends requests over HTTP with libcurl.
 *
 * OpenSSL's own verification (TS_RESP_verify_token) answers "failed"
 * with error-queue codes a reader cannot act on, so the checks a user
 * can understand (which data, which certificate usage, which time) run
 * here first with plain messages; OpenSSL then checks the signature,
 * the ESS signing-certificate attribute and the chain.
 */
#include "tsa.h"
#include "common.h"
#include "fsutil.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* How much of a TSA's status text a message quotes. */
#define STATUS_TEXT_MAX 200

static int take_der(custody_buf *out, unsigned char *der, int len,
	const char *what, custody_error **err)
{
	custody_buf result = CUSTODY_BUF_INIT;
	int rc;

	if (len <= 0)
		return custody__error_ssl(err, CUSTODY_ERROR,
			"cannot encode %s", what);
	rc = custody_buf__append(&result, der, (size_t)len);
	OPENSSL_free(der);
	if (rc != 0)
		return custody__oom(err);
	*out = result;
	return 0;
}

int custody_tsa__request(const unsigned char digest[32],
	custody_buf *der_out, uint64_t *nonce_out, custody_error **err)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *imprint = TS_MSG_IMPRINT_new();
	X509_ALGOR *algorithm = X509_ALGOR_new();
	ASN1_INTEGER *nonce = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	uint64_t value = 0;
	int len, rc = 0;

	if (req == NULL || imprint == NULL || algorithm == NULL ||
	    nonce == NULL) {
		rc = custody__oom(err);
		goto cleanup;
	}
	/* 0 means "no nonce" to custody_tsa__token_from_response. */
	do {
		if (RAND_bytes((unsigned char *)&value, sizeof(value)) != 1) {
			rc = custody__error_ssl(err, CUSTODY_ERROR,
				"cannot draw a random nonce");
			goto cleanup;
		}
	} while (value == 0);
	if (X509_ALGOR_set0(algorithm, OBJ_nid2obj(NID_sha256), V_ASN1_NULL,
		NULL) != 1 ||
	    TS_MSG_IMPRINT_set_algo(imprint, algorithm) != 1 ||
	    TS_MSG_IMPRINT_set_msg(imprint, (unsigned char *)digest,
		32) != 1 ||
	    TS_REQ_set_version(req, 1) != 1 ||
	    TS_REQ_set_msg_imprint(req, imprint) != 1 ||
	    ASN1_INTEGER_set_uint64(nonce, value) != 1 ||
	    TS_REQ_set_nonce(req, nonce) != 1 ||
	    TS_REQ_set_cert_req(req, 1) != 1) {
		rc = custody__error_ssl(err, CUSTODY_ERROR,
			"cannot build a timestamp request");
		goto cleanup;
	}
	len = i2d_TS_REQ(req, &der);
	rc = take_der(der_out, der, len, "a timestamp request", err);
	if (rc == 0)
		*nonce_out = value;
cleanup:
	ASN1_INTEGER_free(nonce);
	X509_ALGOR_free(algorithm);
	TS_MSG_IMPRINT_free(imprint);
	TS_REQ_free(req);
	return rc;
}

/* --- responses ---------------------------------------------------- */

static const char *const status_names[] = {
	"granted", "grantedWithMods", "rejection", "waiting",
	"revocationWarning", "revocationNotification"
};

static const struct {
	int bit;
	const char *name;
} failure_names[] = {
	{ TS_INFO_BAD_ALG, "badAlg" },
	{ TS_INFO_BAD_REQUEST, "badRequest" },
	{ TS_INFO_BAD_DATA_FORMAT, "badDataFormat" },
	{ TS_INFO_TIME_NOT_AVAILABLE, "timeNotAvailable" },
	{ TS_INFO_UNACCEPTED_POLICY, "unacceptedPolicy" },
	{ TS_INFO_UNACCEPTED_EXTENSION, "unacceptedExtension" },
	{ TS_INFO_ADD_INFO_NOT_AVAILABLE, "addInfoNotAvailable" },
	{ TS_INFO_SYSTEM_FAILURE, "systemFailure" },
};

/* The TSA's free text, printable ASCII only (it ends up on terminals). */
static void quote_status_text(char *out, size_t size,
	const STACK_OF(ASN1_UTF8STRING) *text)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < sk_ASN1_UTF8STRING_num(text); i++) {
		const ASN1_UTF8STRING *s = sk_ASN1_UTF8STRING_value(text, i);
		const unsigned char *bytes = ASN1_STRING_get0_data(s);
		int n = ASN1_STRING_length(s);

		if (i > 0 && used + 2 < size) {
			out[used++] = ';';
			out[used++] = ' ';
		}
		for (int j = 0; j < n && used + 1 < size; j++)
			out[used++] = bytes[j] >= 0x20 && bytes[j] < 0x7f ?
				(char)bytes[j] : '?';
	}
	out[used] = '\0';
}

/* 0 if the response carries a token, else an error saying why not. */
static int check_status(TS_RESP *response, int code, custody_error **err)
{
	TS_STATUS_INFO *info = TS_RESP_get_status_info(response);
	const ASN1_BIT_STRING *failure =
		TS_STATUS_INFO_get0_failure_info(info);
	char failures[256] = "";
	char text[STATUS_TEXT_MAX + 1];
	int64_t status = -1;
	const char *name = "unknown";

	if (ASN1_INTEGER_get_int64(&status,
		TS_STATUS_INFO_get0_status(info)) != 1)
		status = -1;
	if (status == 0 || status == 1) {
		if (TS_RESP_get_token(response) == NULL ||
		    TS_RESP_get_tst_info(response) == NULL)
			return custody__error(err, CUSTODY_EINVALID,
				"the timestamp response is granted but "
				"holds no token");
		return 0;
	}
	if (status >= 0 && status < (int64_t)(sizeof(status_names) /
		sizeof(status_names[0])))
		name = status_names[status];
	for (size_t i = 0; failure != NULL &&
	    i < sizeof(failure_names) / sizeof(failure_names[0]); i++)
		if (ASN1_BIT_STRING_get_bit(failure, failure_names[i].bit)) {
			size_t used = strlen(failures);

			snprintf(failures + used, sizeof(failures) - used,
				"%s%s", used ? "," : "",
				failure_names[i].name);
		}
	quote_status_text(text, sizeof(text),
		TS_STATUS_INFO_get0_text(info));
	return custody__error(err, code,
		"the TSA refused the request: status %s (%lld), "
		"failure %s%s%s%s", name, (long long)status,
		failures[0] ? failures : "unspecified",
		text[0] ? ", \"" : "", text, text[0] ? "\"" : "");
}

/* d2i_TS_RESP over exactly `len` bytes, or NULL. */
static TS_RESP *parse_response(const void *bytes, size_t len)
{
	const unsigned char *p = bytes;
	TS_RESP *response;

	if (len == 0 || len > LONG_MAX)
		return NULL;
	response = d2i_TS_RESP(NULL, &p, (long)len);
	if (response != NULL && p != (const unsigned char *)bytes + len) {
		TS_RESP_free(response);
		response = NULL;
	}
	return response;
}

int custody_tsa__token_from_response(const void *resp, size_t len,
	uint64_t nonce, custody_buf *token_out, custody_error **err)
{
	TS_RESP *response = parse_response(resp, len);
	const ASN1_INTEGER *found;
	unsigned char *der = NULL;
	uint64_t value = 0;
	int rc, der_len;

	if (response == NULL)
		return custody__error_ssl(err, CUSTODY_EINVALID,
			"the TSA's answer is not a DER TimeStampResp");
	rc = check_status(response, CUSTODY_ERROR, err);
	if (rc != 0)
		goto cleanup;
	if (nonce != 0) {
		found = TS_TST_INFO_get_nonce(
			TS_RESP_get_tst_info(response));
		if (found == NULL) {
			rc = custody__error(err, CUSTODY_EVERIFY,
				"the timestamp response has no nonce "
				"(the request had one)");
			goto cleanup;
		}
		if (ASN1_INTEGER_get_uint64(&value, found) != 1 ||
		    value != nonce) {
			rc = custody__error(err, CUSTODY_EVERIFY,
				"the timestamp response's nonce differs from "
				"the request's: it answers another request");
			goto cleanup;
		}
	}
	/* Two statements: as arguments of one call, whether `der` is read
	 * before or after i2d_PKCS7 sets it is unspecified (clang reads it
	 * first and passed NULL; found by tests/fuzz/fuzz_tsa.c). */
	der_len = i2d_PKCS7(TS_RESP_get_token(response), &der);
	rc = take_der(token_out, der, der_len, "a timestamp token", err);
cleanup:
	ERR_clear_error();
	TS_RESP_free(response);
	return rc;
}

/* --- verification ------------------------------------------------- */

struct token {
	TS_RESP *response; /* when the input was a whole response */
	PKCS7 *content;    /* the ContentInfo, owned when response is NULL */
	TS_TST_INFO *tst;
};

static void token_free(struct token *t)
{
	if (t->response == NULL)
		PKCS7_free(t->content);
	TS_RESP_free(t->response);
	TS_TST_INFO_free(t->tst);
}

static int token_parse(struct token *t, const void *bytes, size_t len,
	custody_error **err)
{
	const unsigned char *p = bytes;
	int rc;

	t->response = parse_response(bytes, len);
	if (t->response != NULL) {
		rc = check_status(t->response, CUSTODY_EVERIFY, err);
		if (rc != 0)
			return rc;
		t->content = TS_RESP_get_token(t->response);
	} else {
		ERR_clear_error();
		if (len == 0 || len > LONG_MAX)
			return custody__error(err, CUSTODY_EINVALID,
				"the timestamp token is empty or too large");
		t->content = d2i_PKCS7(NULL, &p, (long)len);
		if (t->content == NULL)
			return custody__error_ssl(err, CUSTODY_EINVALID,
				"the timestamp token is neither a DER "
				"ContentInfo nor a TimeStampResp");
		if (p != (const unsigned char *)bytes + len)
			return custody__error(err, CUSTODY_EINVALID,
				"the timestamp token has %zu bytes after its "
				"end", len - (size_t)(p -
				(const unsigned char *)bytes));
	}
	t->tst = PKCS7_to_TS_TST_INFO(t->content);
	if (t->tst == NULL)
		return custody__error_ssl(err, CUSTODY_EINVALID,
			"the timestamp token holds no signed TSTInfo");
	return 0;
}

static int check_imprint(const TS_TST_INFO *tst,
	const unsigned char digest[32], custody_error **err)
{
	TS_MSG_IMPRINT *imprint = TS_TST_INFO_get_msg_imprint(
		(TS_TST_INFO *)tst);
	const ASN1_OBJECT *algorithm;
	const ASN1_OCTET_STRING *hash = TS_MSG_IMPRINT_get_msg(imprint);
	const void *value;
	char name[80];
	char have[65], want[65];
	int type;

	X509_ALGOR_get0(&algorithm, &type, &value,
		TS_MSG_IMPRINT_get_algo(imprint));
	if (OBJ_obj2nid(algorithm) != NID_sha256 ||
	    (type != V_ASN1_UNDEF && type != V_ASN1_NULL)) {
		OBJ_obj2txt(name, sizeof(name), algorithm, 0);
		return custody__error(err, CUSTODY_EVERIFY,
			"the token stamps a %s digest, not a SHA-256 one",
			name);
	}
	custody_hex(want, digest, 32);
	if (ASN1_STRING_length(hash) != 32)
		return custody__error(err, CUSTODY_EVERIFY,
			"the token is for other data (its digest has %d "
			"bytes, expected SHA-256 %s)",
			ASN1_STRING_length(hash), want);
	if (CRYPTO_memcmp(ASN1_STRING_get0_data(hash), digest, 32) != 0) {
		custody_hex(have, ASN1_STRING_get0_data(hash), 32);
		return custody__error(err, CUSTODY_EVERIFY,
			"the token is for other data (SHA-256 %s, "
			"expected %s)",
			have, want);
	}
	return 0;
}

/* The certificates of a PEM file, each to be trusted as an anchor. */
static int load_anchors(STACK_OF(X509) **out, const char *path,
	custody_error **err)
{
	STACK_OF(X509) *anchors = sk_X509_new_null();
	BIO *file;
	X509 *cert;
	unsigned long e;
	int rc = 0;

	if (anchors == NULL)
		return custody__oom(err);
	errno = 0;
	file = BIO_new_file(path, "r");
	if (file == NULL) {
		int errnum = errno ? errno : EIO;

		ERR_clear_error();
		sk_X509_free(anchors);
		return custody__error_sys(err, errnum == ENOENT ?
			CUSTODY_ENOTFOUND : CUSTODY_EIO, errnum,
			"%s: cannot open the trusted certificates", path);
	}
	while ((cert = PEM_read_bio_X509(file, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(anchors, cert)) {
			X509_free(cert);
			rc = custody__oom(err);
			goto cleanup;
		}
	/* The loop ends at the end of the file, or at a broken block. */
	e = ERR_peek_last_error();
	if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
		rc = custody__error_ssl(err, CUSTODY_EINVALID,
			"%s: a trusted certificate is malformed", path);
		goto cleanup;
	}
	ERR_clear_error();
	if (sk_X509_num(anchors) == 0)
		rc = custody__error(err, CUSTODY_EINVALID,
			"%s: holds no PEM certificate to trust", path);
cleanup:
	BIO_free(file);
	if (rc != 0)
		sk_X509_pop_free(anchors, X509_free);
	else
		*out = anchors;
	return rc;
}

/* The one signer's certificate, from `extra` or the token. */
static int find_signer(X509 **out, PKCS7 *content, STACK_OF(X509) *extra,
	custody_error **err)
{
	STACK_OF(PKCS7_SIGNER_INFO) *infos = PKCS7_get_signer_info(content);
	STACK_OF(X509) *signers;
	int count = infos ? sk_PKCS7_SIGNER_INFO_num(infos) : 0;

	if (count != 1)
		return custody__error(err, CUSTODY_EVERIFY,
			"the token has %d signers; a timestamp has exactly "
			"one",
			count);
	signers = PKCS7_get0_signers(content, extra, 0);
	if (signers == NULL || sk_X509_num(signers) != 1) {
		sk_X509_free(signers);
		ERR_clear_error();
		return custody__error(err, CUSTODY_EVERIFY,
			"the token does not carry its TSA's certificate%s",
			extra ? ", nor do the trusted certificates" : "");
	}
	*out = sk_X509_value(signers, 0);
	X509_up_ref(*out);
	sk_X509_free(signers);
	return 0;
}

/* RFC 3161 2.3: the certificate is for timestamping, and only that. */
static int check_usage(X509 *signer, custody_error **err)
{
	EXTENDED_KEY_USAGE *usage;
	uint32_t flags = X509_get_extension_flags(signer);
	int critical = -1, stamping = 0, count;

	if (flags & EXFLAG_INVALID)
		return custody__error(err, CUSTODY_EVERIFY,
			"the TSA certificate has malformed extensions");
	usage = X509_get_ext_d2i(signer, NID_ext_key_usage, &critical, NULL);
	if (usage == NULL && critical == -2)
		return custody__error(err, CUSTODY_EVERIFY,
			"the TSA certificate has more than one extended key "
			"usage extension");
	if (usage == NULL)
		return custody__error(err, CUSTODY_EVERIFY,
			"the TSA certificate lacks the timeStamping extended "
			"key usage");
	count = sk_ASN1_OBJECT_num(usage);
	for (int i = 0; i < count; i++)
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(usage, i)) ==
		    NID_time_stamp)
			stamping = 1;
	EXTENDED_KEY_USAGE_free(usage);
	if (!stamping)
		return custody__error(err, CUSTODY_EVERIFY,
			"the TSA certificate lacks the timeStamping extended "
			"key usage");
	if (count != 1)
		return custody__error(err, CUSTODY_EVERIFY,
			"the TSA certificate allows other extended key usages "
			"besides timeStamping");
	if (critical != 1)
		return custody__error(err, CUSTODY_EVERIFY,
			"the TSA certificate's timeStamping extended key "
			"usage is not marked critical");
	if (flags & EXFLAG_KUSAGE) {
		uint32_t ku = X509_get_key_usage(signer);
		uint32_t signing = KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION;

		if ((ku & ~signing) != 0 || (ku & signing) == 0)
			return custody__error(err, CUSTODY_EVERIFY,
				"the TSA certificate's key usage is not for "
				"signatures only");
	}
	return 0;
}

static int to_unix(const ASN1_TIME *t, int64_t *out, char text[32])
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = (int64_t)timegm(&tm);
	if (text != NULL &&
	    strftime(text, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

static int check_validity(X509 *signer, int64_t when, const char *when_text,
	custody_error **err)
{
	char from_text[32], until_text[32];
	int64_t from, until;

	if (to_unix(X509_get0_notBefore(signer), &from, from_text) != 0 ||
	    to_unix(X509_get0_notAfter(signer), &until, until_text) != 0)
		return custody__error(err, CUSTODY_EINVALID,
			"the TSA certificate's validity dates are malformed");
	if (when < from || when > until)
		return custody__error(err, CUSTODY_EVERIFY,
			"the token's time %s is outside the TSA certificate's "
			"validity (%s to %s)", when_text, from_text,
			until_text);
	return 0;
}

/* The first TS or ESS error OpenSSL queued, as a sentence. */
static int signature_error(int untrusted, custody_error **err)
{
	const char *data = NULL;
	unsigned long e;
	int flags = 0;

	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0)
		if (ERR_GET_LIB(e) == ERR_LIB_TS ||
		    ERR_GET_LIB(e) == ERR_LIB_ESS)
			break;
	if (e == 0) {
		ERR_clear_error();
		return custody__error(err, CUSTODY_EVERIFY,
			"the token does not verify");
	}
	if (!(flags & ERR_TXT_STRING) || data == NULL)
		data = "";
	else if (strncmp(data, "Verify error:", 13) == 0)
		data += 13;
	if (ERR_GET_LIB(e) == ERR_LIB_ESS) {
		custody__error(err, CUSTODY_EVERIFY,
			"the token's signing-certificate attribute does not "
			"name its signer's certificate (%s)",
			ERR_reason_error_string(e));
	} else if (ERR_GET_REASON(e) == TS_R_CERTIFICATE_VERIFY_ERROR) {
		custody__error(err, CUSTODY_EVERIFY, untrusted ?
			"the TSA certificate is not acceptable: %s" :
			"the TSA is not trusted: %s", data);
	} else if (ERR_GET_REASON(e) == TS_R_SIGNATURE_FAILURE) {
		custody__error(err, CUSTODY_EVERIFY,
			"the token's signature is not valid");
	} else if (ERR_GET_REASON(e) == TS_R_UNSUPPORTED_VERSION) {
		custody__error(err, CUSTODY_EVERIFY,
			"the token's TSTInfo version is not 1");
	} else if (ERR_GET_REASON(e) == TS_R_TSA_NAME_MISMATCH) {
		custody__error(err, CUSTODY_EVERIFY,
			"the token's TSA name is not its signer's");
	} else {
		custody__error(err, CUSTODY_EVERIFY,
			"the token does not verify: %s%s%s",
			ERR_reason_error_string(e), data[0] ? ": " : "",
			data);
	}
	ERR_clear_error();
	return CUSTODY_EVERIFY;
}

/* OpenSSL's checks: signature, ESS attribute, TSA name, version, chain
 * (as of genTime) to `anchors`, or to the signer itself if NULL. */
static int check_signature(struct token *t, X509 *signer,
	STACK_OF(X509) *anchors, int64_t when,
	const unsigned char digest[32], custody_error **err)
{
	TS_VERIFY_CTX *ctx = TS_VERIFY_CTX_new();
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *extra = NULL;
	unsigned char *imprint = OPENSSL_memdup(digest, 32);
	int rc = 0, ok = 1;

	if (ctx == NULL || store == NULL || imprint == NULL) {
		rc = custody__oom(err);
		goto cleanup;
	}
	if (anchors != NULL) {
		for (int i = 0; ok && i < sk_X509_num(anchors); i++)
			ok = X509_STORE_add_cert(store,
				sk_X509_value(anchors, i));
		ok = ok && (extra = X509_chain_up_ref(anchors)) != NULL;
	} else {
		ok = X509_STORE_add_cert(store, signer);
	}
	/* Anchors need not be self-signed: a user may trust the TSA's own
	 * certificate, or an intermediate CA, rather than a root. */
	ok = ok && X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	if (!ok) {
		rc = custody__error_ssl(err, CUSTODY_ERROR,
			"cannot set up certificate verification");
		goto cleanup;
	}
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store),
		(time_t)when);
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE |
		TS_VFY_IMPRINT | TS_VFY_SIGNER);
	TS_VERIFY_CTX_set_imprint(ctx, imprint, 32);
	TS_VERIFY_CTX_set_store(ctx, store);
	TS_VERIFY_CTX_set_certs(ctx, extra);
	/* the context owns them now */
	imprint = NULL;
	store = NULL;
	extra = NULL;
	if (TS_RESP_verify_token(ctx, t->content) != 1)
		rc = signature_error(anchors == NULL, err);
cleanup:
	sk_X509_pop_free(extra, X509_free);
	X509_STORE_free(store);
	OPENSSL_free(imprint);
	TS_VERIFY_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

static int describe(struct custody_tsa_info *info, const TS_TST_INFO *tst,
	X509 *signer, custody_error **err)
{
	const ASN1_INTEGER *serial = TS_TST_INFO_get_serial(tst);
	const unsigned char *bytes = ASN1_STRING_get0_data(serial);
	int n = ASN1_STRING_length(serial);
	int negative = ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER;
	BIO *mem;
	char *name;
	long name_len;

	if (n > (int)(sizeof(info->serial) - 2) / 2)
		return custody__error(err, CUSTODY_EINVALID,
			"the token's serial number is %d bytes long; at most "
			"%d are supported", n,
			(int)(sizeof(info->serial) - 2) / 2);
	if (n == 0) {
		snprintf(info->serial, sizeof(info->serial), "0");
	} else {
		info->serial[0] = '-';
		custody_hex(info->serial + negative, bytes, (size_t)n);
	}
	OBJ_obj2txt(info->policy, sizeof(info->policy),
		TS_TST_INFO_get_policy_id((TS_TST_INFO *)tst), 1);
	info->has_nonce = TS_TST_INFO_get_nonce(tst) != NULL &&
		ASN1_INTEGER_get_uint64(&info->nonce,
		TS_TST_INFO_get_nonce(tst)) == 1;
	ERR_clear_error();
	snprintf(info->digest_alg, sizeof(info->digest_alg), "sha256");

	mem = BIO_new(BIO_s_mem());
	if (mem == NULL || X509_NAME_print_ex(mem,
		X509_get_subject_name(signer), 0,
		(XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) |
		ASN1_STRFLGS_UTF8_CONVERT) < 0) {
		BIO_free(mem);
		return custody__error_ssl(err, CUSTODY_ERROR,
			"cannot print the TSA certificate's subject");
	}
	name_len = BIO_get_mem_data(mem, &name);
	if (name_len >= (long)sizeof(info->tsa_name)) {
		/* cut on a UTF-8 character boundary */
		name_len = (long)sizeof(info->tsa_name) - 1;
		while (name_len > 0 && (name[name_len] & 0xc0) == 0x80)
			name_len--;
	}
	memcpy(info->tsa_name, name, (size_t)(name_len > 0 ? name_len : 0));
	info->tsa_name[name_len > 0 ? name_len : 0] = '\0';
	BIO_free(mem);
	return 0;
}

int custody_tsa__verify(const void *token, size_t len,
	const unsigned char digest[32], const char *trusted,
	struct custody_tsa_info *info, int *untrusted_out,
	custody_error **err)
{
	struct token t = { NULL, NULL, NULL };
	struct custody_tsa_info found;
	STACK_OF(X509) *anchors = NULL;
	X509 *signer = NULL;
	int rc;

	memset(&found, 0, sizeof(found));
	if (untrusted_out != NULL)
		*untrusted_out = 0;
	rc = token_parse(&t, token, len, err);
	if (rc == 0)
		rc = check_imprint(t.tst, digest, err);
	if (rc == 0 && trusted != NULL)
		rc = load_anchors(&anchors, trusted, err);
	if (rc == 0)
		rc = find_signer(&signer, t.content, anchors, err);
	if (rc == 0)
		rc = check_usage(signer, err);
	if (rc == 0 && to_unix(TS_TST_INFO_get_time(t.tst),
		&found.gen_time_unix, found.gen_time) != 0)
		rc = custody__error(err, CUSTODY_EINVALID,
			"the token's genTime is malformed");
	if (rc == 0)
		rc = check_validity(signer, found.gen_time_unix,
			found.gen_time, err);
	if (rc == 0)
		rc = check_signature(&t, signer, anchors,
			found.gen_time_unix, digest, err);
	if (rc == 0)
		rc = describe(&found, t.tst, signer, err);
	if (rc == 0 && info != NULL)
		*info = found;
	if (rc == 0 && untrusted_out != NULL)
		*untrusted_out = trusted == NULL;
	X509_free(signer);
	sk_X509_pop_free(anchors, X509_free);
	token_free(&t);
	ERR_clear_error();
	return rc;
}
