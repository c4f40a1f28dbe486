/*
 * RFC 3161 timestamps (tsa.c) against a loopback TSA,
 * tests/interop/tsa-server.py, which answers with `openssl ts -reply`,
 * under a throw-away PKI that tests/data/tsa/make-pki.sh makes (see the
 * README there). Run from tests/, as meson does. With no argument the
 * PKI is made in a new temporary folder; argv[1] may name a folder the
 * script already filled. Exits 77 (skipped) without openssl or python3.
 */
#include "tsa.h"
#include "fsutil.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <openssl/ts.h>

#define SKIP 77
#define SERVER "interop/tsa-server.py"
#define MAKE_PKI "data/tsa/make-pki.sh"

static char pki[512];

struct server {
	pid_t pid;
	int stdin_fd; /* closing it stops the server */
	int port;
	char url[64];
};

static struct server main_tsa;

/* Start the test TSA signing with PKI certificate `name`, plus up to two
 * extra options (NULL for none). Returns 0 or -1. */
static int server_start(struct server *s, const char *name,
	const char *opt1, const char *opt2)
{
	char key[600], cert[600], config[600], line[32] = "";
	const char *argv[12];
	int to_child[2], from_child[2];
	int n = 0;
	FILE *out;

	snprintf(key, sizeof(key), "%s/%s.key", pki, name);
	snprintf(cert, sizeof(cert), "%s/%s.pem", pki, name);
	snprintf(config, sizeof(config), "%s/tsa.cnf", pki);
	argv[n++] = "python3";
	argv[n++] = SERVER;
	argv[n++] = "--key";
	argv[n++] = key;
	argv[n++] = "--cert";
	argv[n++] = cert;
	argv[n++] = "--config";
	argv[n++] = config;
	if (opt1 != NULL)
		argv[n++] = opt1;
	if (opt2 != NULL)
		argv[n++] = opt2;
	argv[n] = NULL;
	if (pipe(to_child) != 0)
		return -1;
	if (pipe(from_child) != 0) {
		close(to_child[0]);
		close(to_child[1]);
		return -1;
	}
	fflush(NULL);
	s->pid = fork();
	if (s->pid == 0) {
		dup2(to_child[0], 0);
		dup2(from_child[1], 1);
		close(to_child[0]);
		close(to_child[1]);
		close(from_child[0]);
		close(from_child[1]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	s->stdin_fd = to_child[1];
	out = fdopen(from_child[0], "r");
	if (s->pid < 0 || out == NULL || fgets(line, sizeof(line), out) ==
	    NULL)
		line[0] = '\0';
	if (out != NULL)
		fclose(out);
	else
		close(from_child[0]);
	s->port = atoi(line);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d/tsa", s->port);
	if (s->pid > 0 && s->port > 0)
		return 0;
	fprintf(stderr, "cannot start %s\n", SERVER);
	return -1;
}

static void server_stop(struct server *s)
{
	if (s->pid <= 0)
		return;
	close(s->stdin_fd);
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
}

static void sha256_of(const char *text, unsigned char out[32])
{
	SHA256((const unsigned char *)text, strlen(text), out);
}

static void hex_of(const unsigned char digest[32], char out[65])
{
	custody_hex(out, digest, 32);
}

static int write_file(const char *path, const void *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f != NULL && fwrite(bytes, 1, len, f) == len;

	if (f != NULL && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static int read_file(const char *path, custody_buf *out)
{
	custody_error *err = NULL;
	int rc = custody_fs__read_file(out, path, 1 << 20, &err);

	if (rc != 0)
		fprintf(stderr, "%s\n", custody_error_message(err));
	custody_error_free(err);
	return rc;
}

static int run(const char *command)
{
	int status = system(command);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A fresh request for `digest`, POSTed to `s`: the TimeStampResp. */
static int stamp(const struct server *s, const unsigned char digest[32],
	custody_buf *response, uint64_t *nonce, custody_error **err)
{
	custody_buf query = CUSTODY_BUF_INIT;
	int rc = custody_tsa__request(digest, &query, nonce, err);

	if (rc == 0)
		rc = custody_tsa__post(s->url, query.ptr, query.size, response,
			err);
	custody_buf_dispose(&query);
	return rc;
}

/* A token from the main TSA for `digest`. */
static int good_token(const unsigned char digest[32], custody_buf *token)
{
	custody_buf response = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	uint64_t nonce = 0;
	int rc = stamp(&main_tsa, digest, &response, &nonce, &err);

	if (rc == 0)
		rc = custody_tsa__token_from_response(response.ptr,
			response.size, nonce, token, &err);
	if (rc != 0)
		fprintf(stderr, "good_token: %s\n",
			custody_error_message(err));
	custody_error_free(err);
	custody_buf_dispose(&response);
	return rc;
}

/* A hand-made token (make-pki.sh --token) signed by PKI certificate
 * `name`, stamping `digest` at `gen_time` (YYYYMMDDHHMMSSZ). */
static int crafted_token(const char *name, const unsigned char digest[32],
	const char *gen_time, custody_buf *token)
{
	char command[2048], path[600], hex[65];

	hex_of(digest, hex);
	snprintf(path, sizeof(path), "%s/crafted-%s-%s.tst", pki, name,
		gen_time);
	snprintf(command, sizeof(command), "sh %s --token '%s' %s %s %s '%s'",
		MAKE_PKI, pki, name, hex, gen_time, path);
	if (run(command) != 0)
		return -1;
	return read_file(path, token);
}

static void ca_path(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s.pem", pki, name);
}

/* verify and return the code; *message gets the error text (or ""). */
static int verify(const custody_buf *token, const unsigned char digest[32],
	const char *trusted_name, struct custody_tsa_info *info,
	int *untrusted, char *message, size_t size)
{
	char trusted[600];
	custody_error *err = NULL;
	int rc;

	if (trusted_name != NULL)
		ca_path(trusted, sizeof(trusted), trusted_name);
	rc = custody_tsa__verify(token->ptr, token->size, digest,
		trusted_name ? trusted : NULL, info, untrusted, &err);
	snprintf(message, size, "%s", custody_error_message(err));
	custody_error_free(err);
	return rc;
}

static void test_tsa__request_carries_digest_nonce_and_cert_req(void)
{
	unsigned char digest[32];
	custody_buf a = CUSTODY_BUF_INIT, b = CUSTODY_BUF_INIT;
	uint64_t nonce_a = 0, nonce_b = 0, found = 0;
	const unsigned char *p;
	TS_REQ *req = NULL;
	TS_MSG_IMPRINT *imprint;
	const ASN1_OBJECT *algorithm;

	sha256_of("request", digest);
	CHECK_INT(custody_tsa__request(digest, &a, &nonce_a, NULL), 0);
	CHECK_INT(custody_tsa__request(digest, &b, &nonce_b, NULL), 0);
	CHECK(nonce_a != 0);
	CHECK(nonce_a != nonce_b);
	p = (const unsigned char *)a.ptr;
	req = d2i_TS_REQ(NULL, &p, (long)a.size);
	CHECK(req != NULL);
	if (req != NULL) {
		CHECK(p == (const unsigned char *)a.ptr + a.size);
		CHECK_INT(TS_REQ_get_version(req), 1);
		CHECK_INT(TS_REQ_get_cert_req(req), 1);
		CHECK(TS_REQ_get_policy_id(req) == NULL);
		imprint = TS_REQ_get_msg_imprint(req);
		X509_ALGOR_get0(&algorithm, NULL, NULL,
			TS_MSG_IMPRINT_get_algo(imprint));
		CHECK_INT(OBJ_obj2nid(algorithm), NID_sha256);
		CHECK_INT(ASN1_STRING_length(TS_MSG_IMPRINT_get_msg(imprint)),
			32);
		CHECK(memcmp(ASN1_STRING_get0_data(
			TS_MSG_IMPRINT_get_msg(imprint)), digest, 32) == 0);
		CHECK_INT(ASN1_INTEGER_get_uint64(&found,
			TS_REQ_get_nonce(req)), 1);
		CHECK(found == nonce_a);
	}
	TS_REQ_free(req);
	custody_buf_dispose(&a);
	custody_buf_dispose(&b);
}

static void test_tsa__loopback_token_verifies_against_ca(void)
{
	unsigned char digest[32];
	char hex[65], path[600], command[2048], message[1024];
	custody_buf response = CUSTODY_BUF_INIT, token = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	struct custody_tsa_info info;
	uint64_t nonce = 0;
	int untrusted = -1;
	time_t when;
	struct tm tm;
	char expected_time[32];

	sha256_of("the document", digest);
	hex_of(digest, hex);
	CHECK_INT(stamp(&main_tsa, digest, &response, &nonce, &err), 0);
	CHECK_STR(custody_error_message(err), "");
	CHECK_INT(custody_tsa__token_from_response(response.ptr,
		response.size, nonce, &token, &err), 0);
	CHECK_STR(custody_error_message(err), "");
	memset(&info, 0, sizeof(info));
	CHECK_INT(verify(&token, digest, "ca", &info, &untrusted, message,
		sizeof(message)), 0);
	CHECK_STR(message, "");
	CHECK_INT(untrusted, 0);
	CHECK_STR(info.digest_alg, "sha256");
	CHECK_STR(info.policy, "1.2.3.4.1");
	CHECK_STR(info.tsa_name, "O = custody tests, CN = custody test TSA");
	CHECK(strlen(info.serial) > 0 && strspn(info.serial,
		"0123456789abcdef") == strlen(info.serial));
	/* gen_time and gen_time_unix name the same second */
	when = (time_t)info.gen_time_unix;
	gmtime_r(&when, &tm);
	strftime(expected_time, sizeof(expected_time), "%Y-%m-%dT%H:%M:%SZ",
		&tm);
	CHECK_STR(info.gen_time, expected_time);
	/* stamped now, so after this test was written */
	CHECK(info.gen_time_unix > 1700000000);

	/* OpenSSL's own verifier agrees, and refuses another digest. */
	snprintf(path, sizeof(path), "%s/r.tsr", pki);
	CHECK_INT(write_file(path, response.ptr, response.size), 0);
	snprintf(command, sizeof(command), "openssl ts -verify -digest %s "
		"-in '%s' -CAfile '%s/ca.pem' > /dev/null 2>&1", hex, path,
		pki);
	CHECK_INT(run(command), 0);
	snprintf(command, sizeof(command), "openssl ts -verify -digest %064d "
		"-in '%s' -CAfile '%s/ca.pem' > /dev/null 2>&1", 0, path, pki);
	CHECK(run(command) != 0);

	custody_error_free(err);
	custody_buf_dispose(&response);
	custody_buf_dispose(&token);
}

static void test_tsa__whole_response_verifies_too(void)
{
	unsigned char digest[32];
	char message[1024];
	custody_buf response = CUSTODY_BUF_INIT;
	struct custody_tsa_info info;
	uint64_t nonce;

	sha256_of("a response", digest);
	CHECK_INT(stamp(&main_tsa, digest, &response, &nonce, NULL), 0);
	CHECK_INT(verify(&response, digest, "ca", &info, NULL, message,
		sizeof(message)), 0);
	CHECK_STR(message, "");
	CHECK_STR(info.digest_alg, "sha256");
	custody_buf_dispose(&response);
}

static void test_tsa__without_trust_file_checks_signature_only(void)
{
	unsigned char digest[32];
	char message[1024];
	custody_buf token = CUSTODY_BUF_INIT;
	struct custody_tsa_info info;
	int untrusted = 0;

	sha256_of("untrusted", digest);
	CHECK_INT(good_token(digest, &token), 0);
	CHECK_INT(verify(&token, digest, NULL, &info, &untrusted, message,
		sizeof(message)), 0);
	CHECK_STR(message, "");
	CHECK_INT(untrusted, 1);
	CHECK_STR(info.tsa_name, "O = custody tests, CN = custody test TSA");
	custody_buf_dispose(&token);
}

static void test_tsa__token_for_other_data_is_refused(void)
{
	unsigned char digest[32], other[32];
	char message[1024];
	custody_buf token = CUSTODY_BUF_INIT;
	int untrusted = -1;

	sha256_of("stamped", digest);
	sha256_of("something else", other);
	CHECK_INT(good_token(digest, &token), 0);
	CHECK_INT(verify(&token, other, "ca", NULL, &untrusted, message,
		sizeof(message)), CUSTODY_EVERIFY);
	CHECK_CONTAINS(message, "the token is for other data");
	CHECK_INT(untrusted, 0);
	CHECK_INT(verify(&token, other, NULL, NULL, &untrusted, message,
		sizeof(message)), CUSTODY_EVERIFY);
	CHECK_CONTAINS(message, "the token is for other data");
	CHECK_INT(untrusted, 0);
	custody_buf_dispose(&token);
}

static void test_tsa__broken_signature_is_refused(void)
{
	unsigned char digest[32];
	char message[1024];
	custody_buf token = CUSTODY_BUF_INIT;

	sha256_of("tampered", digest);
	CHECK_INT(good_token(digest, &token), 0);
	/* The DER ends with the ECDSA signature's s: change its last byte. */
	if (token.size > 0)
		token.ptr[token.size - 1] ^= 0x01;
	CHECK_INT(verify(&token, digest, "ca", NULL, NULL, message,
		sizeof(message)), CUSTODY_EVERIFY);
	CHECK_CONTAINS(message, "signature is not valid");
	CHECK_INT(verify(&token, digest, NULL, NULL, NULL, message,
		sizeof(message)), CUSTODY_EVERIFY);
	CHECK_CONTAINS(message, "signature is not valid");
	custody_buf_dispose(&token);
}

static void test_tsa__hand_made_token_by_good_tsa_verifies(void)
{
	unsigned char digest[32];
	char message[1024], hex[65], command[2048];
	custody_buf token = CUSTODY_BUF_INIT;
	struct custody_tsa_info info;

	/* The control for the hand-made tokens below: made the same way by
	 * a proper TSA certificate, it passes. */
	sha256_of("hand made", digest);
	hex_of(digest, hex);
	CHECK_INT(crafted_token("tsa", digest, "20240229123456Z", &token), 0);
	CHECK_INT(verify(&token, digest, "ca", &info, NULL, message,
		sizeof(message)), 0);
	CHECK_STR(message, "");
	CHECK_STR(info.gen_time, "2024-02-29T12:34:56Z");
	CHECK_INT(info.gen_time_unix, 1709210096);
	CHECK_STR(info.serial, "2a");
	/* and so does OpenSSL's verifier */
	snprintf(command, sizeof(command), "openssl ts -verify -digest %s "
		"-token_in -in '%s/crafted-tsa-20240229123456Z.tst' "
		"-CAfile '%s/ca.pem' > /dev/null 2>&1", hex, pki, pki);
	CHECK_INT(run(command), 0);
	custody_buf_dispose(&token);
}

static void test_tsa__signer_without_timestamping_usage_is_refused(void)
{
	unsigned char digest[32];
	char message[1024];
	custody_buf response = CUSTODY_BUF_INIT, token = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	struct server noeku = { 0 };
	uint64_t nonce;

	sha256_of("no usage", digest);
	/* `openssl ts -reply` itself refuses such a signer (the server then
	 * answers 500), so the token is made by hand with openssl cms. */
	CHECK_INT(server_start(&noeku, "noeku", NULL, NULL), 0);
	CHECK(stamp(&noeku, digest, &response, &nonce, &err) != 0);
	CHECK_CONTAINS(custody_error_message(err), "HTTP 500");
	server_stop(&noeku);

	CHECK_INT(crafted_token("noeku", digest, "20240229123456Z", &token),
		0);
	CHECK_INT(verify(&token, digest, "ca", NULL, NULL, message,
		sizeof(message)), CUSTODY_EVERIFY);
	CHECK_STR(message, "the TSA certificate lacks the timeStamping "
		"extended key usage");
	CHECK_INT(verify(&token, digest, NULL, NULL, NULL, message,
		sizeof(message)), CUSTODY_EVERIFY);
	CHECK_STR(message, "the TSA certificate lacks the timeStamping "
		"extended key usage");
	custody_error_free(err);
	custody_buf_dispose(&response);
	custody_buf_dispose(&token);
}

static void test_tsa__timestamping_usage_must_be_critical_and_alone(void)
{
	unsigned char digest[32];
	char message[1024];
	custody_buf token = CUSTODY_BUF_INIT;

	sha256_of("usage", digest);
	CHECK_INT(crafted_token("noncritical", digest, "20240229123456Z",
		&token), 0);
	CHECK_INT(verify(&token, digest, "ca", NULL, NULL, message,
		sizeof(message)), CUSTODY_EVERIFY);
	CHECK_STR(message, "the TSA certificate's timeStamping extended key "
		"usage is not marked critical");
	custody_buf_dispose(&token);

	CHECK_INT(crafted_token("multi", digest, "20240229123456Z", &token),
		0);
	CHECK_INT(verify(&token, digest, "ca", NULL, NULL, message,
		sizeof(message)), CUSTODY_EVERIFY);
	CHECK_STR(message, "the TSA certificate allows other extended key "
		"usages besides timeStamping");
	custody_buf_dispose(&token);
}

static void test_tsa__time_outside_certificate_validity_is_refused(void)
{
	unsigned char digest[32];
	char message[1024];
	custody_buf response = CUSTODY_BUF_INIT, token = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	struct server expired = { 0 };
	uint64_t nonce = 0;

	sha256_of("late", digest);
	/* A real reply, stamped now by a certificate that ended in 2021. */
	CHECK_INT(server_start(&expired, "expired", NULL, NULL), 0);
	CHECK_INT(stamp(&expired, digest, &response, &nonce, &err), 0);
	CHECK_INT(custody_tsa__token_from_response(response.ptr,
		response.size, nonce, &token, &err), 0);
	CHECK_STR(custody_error_message(err), "");
	server_stop(&expired);
	CHECK_INT(verify(&token, digest, "ca", NULL, NULL, message,
		sizeof(message)), CUSTODY_EVERIFY);
	CHECK_CONTAINS(message, "is outside the TSA certificate's validity "
		"(2019-01-01T00:00:00Z to 2021-01-01T00:00:00Z)");
	CHECK_CONTAINS(message, "the token's time ");
	custody_buf_dispose(&token);

	/* Before the good TSA certificate's notBefore (2010). */
	CHECK_INT(crafted_token("tsa", digest, "20050101000000Z", &token), 0);
	CHECK_INT(verify(&token, digest, "ca", NULL, NULL, message,
		sizeof(message)), CUSTODY_EVERIFY);
	CHECK_STR(message, "the token's time 2005-01-01T00:00:00Z is outside "
		"the TSA certificate's validity (2010-01-01T00:00:00Z to "
		"2090-01-01T00:00:00Z)");
	CHECK_INT(verify(&token, digest, NULL, NULL, NULL, message,
		sizeof(message)), CUSTODY_EVERIFY);
	CHECK_CONTAINS(message, "outside the TSA certificate's validity");
	custody_error_free(err);
	custody_buf_dispose(&response);
	custody_buf_dispose(&token);
}

static void test_tsa__chain_is_checked_as_of_gen_time(void)
{
	unsigned char digest[32];
	char message[1024];
	custody_buf token = CUSTODY_BUF_INIT;
	struct custody_tsa_info info;

	/* Stamped in 2020 by a certificate valid in 2019-2020: still good
	 * now that the certificate has expired. */
	sha256_of("archived", digest);
	CHECK_INT(crafted_token("expired", digest, "20200601000000Z",
		&token), 0);
	CHECK_INT(verify(&token, digest, "ca", &info, NULL, message,
		sizeof(message)), 0);
	CHECK_STR(message, "");
	CHECK_STR(info.gen_time, "2020-06-01T00:00:00Z");
	CHECK_STR(info.tsa_name, "O = custody tests, CN = expired test TSA");
	custody_buf_dispose(&token);
}

static void test_tsa__tsa_under_another_ca_is_not_trusted(void)
{
	unsigned char digest[32];
	char message[1024];
	custody_buf token = CUSTODY_BUF_INIT;
	int untrusted = -1;

	sha256_of("whose TSA", digest);
	CHECK_INT(good_token(digest, &token), 0);
	CHECK_INT(verify(&token, digest, "other-ca", NULL, &untrusted,
		message, sizeof(message)), CUSTODY_EVERIFY);
	CHECK_STR(message, "the TSA is not trusted: unable to get local "
		"issuer certificate");
	CHECK_INT(untrusted, 0);
	custody_buf_dispose(&token);
}

static void test_tsa__trusting_the_tsa_certificate_itself_is_enough(void)
{
	unsigned char digest[32];
	char message[1024];
	custody_buf token = CUSTODY_BUF_INIT;
	int untrusted = -1;

	sha256_of("pinned", digest);
	CHECK_INT(good_token(digest, &token), 0);
	CHECK_INT(verify(&token, digest, "tsa", NULL, &untrusted, message,
		sizeof(message)), 0);
	CHECK_STR(message, "");
	CHECK_INT(untrusted, 0);
	/* but not another TSA's certificate */
	CHECK_INT(verify(&token, digest, "expired", NULL, NULL, message,
		sizeof(message)), CUSTODY_EVERIFY);
	CHECK_CONTAINS(message, "the TSA is not trusted: ");
	custody_buf_dispose(&token);
}

static void test_tsa__missing_or_empty_trust_file_is_an_error(void)
{
	unsigned char digest[32];
	char path[600], message[1024];
	custody_buf token = CUSTODY_BUF_INIT;

	sha256_of("trust file", digest);
	CHECK_INT(good_token(digest, &token), 0);
	CHECK_INT(verify(&token, digest, "no-such-file", NULL, NULL, message,
		sizeof(message)), CUSTODY_ENOTFOUND);
	CHECK_CONTAINS(message, "no-such-file.pem");
	snprintf(path, sizeof(path), "%s/empty.pem", pki);
	CHECK_INT(write_file(path, "not a certificate\n", 18), 0);
	CHECK_INT(verify(&token, digest, "empty", NULL, NULL, message,
		sizeof(message)), CUSTODY_EINVALID);
	CHECK_CONTAINS(message, "empty.pem: holds no PEM certificate");
	custody_buf_dispose(&token);
}

static void test_tsa__nonce_mismatch_is_refused(void)
{
	unsigned char digest[32];
	custody_buf response = CUSTODY_BUF_INIT, token = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	uint64_t nonce = 0;

	sha256_of("nonce", digest);
	CHECK_INT(stamp(&main_tsa, digest, &response, &nonce, NULL), 0);
	CHECK_INT(custody_tsa__token_from_response(response.ptr,
		response.size, nonce + 1, &token, &err), CUSTODY_EVERIFY);
	CHECK_CONTAINS(custody_error_message(err), "nonce differs");
	CHECK(token.ptr == NULL && token.size == 0);
	/* nonce 0: not checked */
	CHECK_INT(custody_tsa__token_from_response(response.ptr,
		response.size, 0, &token, NULL), 0);
	CHECK(token.size > 0);
	custody_error_free(err);
	custody_buf_dispose(&response);
	custody_buf_dispose(&token);
}

static void test_tsa__rejection_status_is_refused(void)
{
	unsigned char digest[32];
	char message[1024];
	custody_buf response = CUSTODY_BUF_INIT, token = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	struct server refusing = { 0 };
	uint64_t nonce = 0;

	sha256_of("refused", digest);
	CHECK_INT(server_start(&refusing, "tsa", "--status-fail", NULL), 0);
	CHECK_INT(stamp(&refusing, digest, &response, &nonce, &err), 0);
	server_stop(&refusing);
	CHECK_INT(custody_tsa__token_from_response(response.ptr,
		response.size, nonce, &token, &err), CUSTODY_ERROR);
	CHECK_STR(custody_error_message(err), "the TSA refused the request: "
		"status rejection (2), failure badRequest, \"request refused "
		"by the test TSA\"");
	CHECK(token.ptr == NULL);
	CHECK_INT(verify(&response, digest, "ca", NULL, NULL, message,
		sizeof(message)), CUSTODY_EVERIFY);
	CHECK_CONTAINS(message, "status rejection");
	custody_error_free(err);
	custody_buf_dispose(&response);
}

static void test_tsa__garbage_der_is_refused(void)
{
	unsigned char digest[32];
	char message[1024];
	custody_buf token = CUSTODY_BUF_INIT, bad = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	sha256_of("garbage", digest);
	CHECK_INT(custody_tsa__token_from_response("garbage", 7, 0, &token,
		&err), CUSTODY_EINVALID);
	CHECK_CONTAINS(custody_error_message(err), "not a DER TimeStampResp");
	custody_error_free(err);
	err = NULL;
	CHECK_INT(custody_tsa__token_from_response("", 0, 0, &token, NULL),
		CUSTODY_EINVALID);

	custody_buf__append(&bad, "\x30\x03\x02\x01\x01", 5);
	CHECK_INT(verify(&bad, digest, "ca", NULL, NULL, message,
		sizeof(message)), CUSTODY_EINVALID);
	CHECK_CONTAINS(message, "neither a DER ContentInfo nor");
	custody_buf_dispose(&bad);

	CHECK_INT(good_token(digest, &token), 0);
	/* truncated */
	custody_buf__append(&bad, token.ptr, token.size / 2);
	CHECK_INT(verify(&bad, digest, "ca", NULL, NULL, message,
		sizeof(message)), CUSTODY_EINVALID);
	custody_buf_dispose(&bad);
	/* with a byte after its end */
	custody_buf__append(&bad, token.ptr, token.size);
	custody_buf__append(&bad, "", 1);
	CHECK_INT(verify(&bad, digest, "ca", NULL, NULL, message,
		sizeof(message)), CUSTODY_EINVALID);
	CHECK_CONTAINS(message, "1 bytes after its end");
	custody_buf_dispose(&bad);
	custody_buf_dispose(&token);
}

static void test_tsa__post_to_closed_port_names_the_url(void)
{
	struct sockaddr_in addr;
	socklen_t addr_len = sizeof(addr);
	custody_buf out = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	char url[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* A port that was free a moment ago, and is closed now. */
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(fd >= 0);
	CHECK_INT(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	CHECK_INT(getsockname(fd, (struct sockaddr *)&addr, &addr_len), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/tsa",
		ntohs(addr.sin_port));
	CHECK_INT(custody_tsa__post(url, "q", 1, &out, &err), CUSTODY_EIO);
	CHECK_CONTAINS(custody_error_message(err), url);
	CHECK(out.ptr == NULL);
	custody_error_free(err);
}

static void test_tsa__only_http_urls_are_used(void)
{
	custody_buf out = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	CHECK_INT(custody_tsa__post("file:///etc/passwd", "q", 1, &out, &err),
		CUSTODY_EINVALID);
	CHECK_STR(custody_error_message(err), "file:///etc/passwd: a TSA URL "
		"must start with http:// or https://");
	CHECK(out.ptr == NULL);
	custody_error_free(err);
}

/* POST a real query to a test TSA started with `opt1 opt2`; the error. */
static void post_expecting_error(const char *opt1, const char *opt2,
	const char *expected)
{
	unsigned char digest[32];
	custody_buf response = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	struct server s = { 0 };
	uint64_t nonce;

	sha256_of("http", digest);
	CHECK_INT(server_start(&s, "tsa", opt1, opt2), 0);
	CHECK_INT(stamp(&s, digest, &response, &nonce, &err), CUSTODY_ERROR);
	server_stop(&s);
	CHECK_CONTAINS(custody_error_message(err), s.url);
	CHECK_CONTAINS(custody_error_message(err), expected);
	CHECK(response.ptr == NULL);
	custody_error_free(err);
}

static void test_tsa__wrong_content_type_is_refused(void)
{
	post_expecting_error("--content-type", "text/html; charset=utf-8",
		"the response is of type \"text/html; charset=utf-8\", not "
		"application/timestamp-reply");
}

static void test_tsa__content_type_parameters_are_accepted(void)
{
	unsigned char digest[32];
	custody_buf response = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	struct server s = { 0 };
	uint64_t nonce;

	sha256_of("parameters", digest);
	CHECK_INT(server_start(&s, "tsa", "--content-type",
		"Application/Timestamp-Reply; x=1"), 0);
	CHECK_INT(stamp(&s, digest, &response, &nonce, &err), 0);
	CHECK_STR(custody_error_message(err), "");
	server_stop(&s);
	custody_error_free(err);
	custody_buf_dispose(&response);
}

static void test_tsa__redirect_is_not_followed(void)
{
	post_expecting_error("--http-status", "302",
		"the TSA redirects (HTTP 302) to http://127.0.0.1:");
}

static void test_tsa__http_error_status_is_refused(void)
{
	post_expecting_error("--http-status", "503",
		"the TSA answered HTTP 503, not 200");
}

static void test_tsa__response_over_1_mib_is_refused(void)
{
	post_expecting_error("--oversize", NULL,
		"the response is larger than 1048576 bytes");
}

static const struct test tests[] = {
	TEST(test_tsa__request_carries_digest_nonce_and_cert_req),
	TEST(test_tsa__loopback_token_verifies_against_ca),
	TEST(test_tsa__whole_response_verifies_too),
	TEST(test_tsa__without_trust_file_checks_signature_only),
	TEST(test_tsa__token_for_other_data_is_refused),
	TEST(test_tsa__broken_signature_is_refused),
	TEST(test_tsa__hand_made_token_by_good_tsa_verifies),
	TEST(test_tsa__signer_without_timestamping_usage_is_refused),
	TEST(test_tsa__timestamping_usage_must_be_critical_and_alone),
	TEST(test_tsa__time_outside_certificate_validity_is_refused),
	TEST(test_tsa__chain_is_checked_as_of_gen_time),
	TEST(test_tsa__tsa_under_another_ca_is_not_trusted),
	TEST(test_tsa__trusting_the_tsa_certificate_itself_is_enough),
	TEST(test_tsa__missing_or_empty_trust_file_is_an_error),
	TEST(test_tsa__nonce_mismatch_is_refused),
	TEST(test_tsa__rejection_status_is_refused),
	TEST(test_tsa__garbage_der_is_refused),
	TEST(test_tsa__post_to_closed_port_names_the_url),
	TEST(test_tsa__only_http_urls_are_used),
	TEST(test_tsa__wrong_content_type_is_refused),
	TEST(test_tsa__content_type_parameters_are_accepted),
	TEST(test_tsa__redirect_is_not_followed),
	TEST(test_tsa__http_error_status_is_refused),
	TEST(test_tsa__response_over_1_mib_is_refused),
	{ 0 }
};

int main(int argc, char **argv)
{
	char command[1024];
	int made = 0, rc = 1;

	if (run("command -v openssl > /dev/null 2>&1") != 0 ||
	    run("command -v python3 > /dev/null 2>&1") != 0) {
		printf("skipped: openssl or python3 is missing\n");
		return SKIP;
	}
	/* The loopback TSA must be reached directly, not through a proxy
	 * the environment may name. */
	setenv("no_proxy", "127.0.0.1", 1);
	setenv("NO_PROXY", "127.0.0.1", 1);
	/* A dead server must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1) {
		snprintf(pki, sizeof(pki), "%s", argv[1]);
	} else {
		const char *tmp = getenv("TMPDIR");

		snprintf(pki, sizeof(pki), "%s/custody-tsa.XXXXXX",
			tmp && *tmp && !strchr(tmp, '\'') ? tmp : "/tmp");
		if (mkdtemp(pki) == NULL) {
			perror("mkdtemp");
			return 1;
		}
		made = 1;
		snprintf(command, sizeof(command), "sh %s '%s'", MAKE_PKI,
			pki);
		if (run(command) != 0) {
			fprintf(stderr, "%s failed (run from tests/)\n",
				MAKE_PKI);
			goto cleanup;
		}
	}
	if (server_start(&main_tsa, "tsa", NULL, NULL) != 0)
		goto cleanup;
	rc = test_run(tests);
	server_stop(&main_tsa);
cleanup:
	if (made) {
		snprintf(command, sizeof(command), "rm -rf '%s'", pki);
		run(command);
	}
	return rc;
}
