/*
 * The SSH host's key, checked against known_hosts before anything is
 * sent or received (libgit2 with libssh2 accepts any host key unless it
 * is told otherwise). The file is CUSTODY_SSH_KNOWN_HOSTS, else
 * ~/.ssh/known_hosts, in OpenSSH's format: plain host names or hashed
 * ones (|1|salt|HMAC-SHA1), "[host]:port" entries, @revoked lines.
 * libgit2 does not pass the port to the check, so an entry for the host
 * on any port counts. Wildcards and @cert-authority are not supported:
 * such lines never match.
 */
#include "base64.h"
#include "common.h"
#include "fsutil.h"
#include "sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#define KEY_MAX 16384

/* Does the hashed pattern |1|salt|hash name `host`? */
static int hashed_match(const char *pattern, const char *host)
{
	char salt64[64], hash64[64];
	unsigned char salt[48], hash[48], mac[EVP_MAX_MD_SIZE];
	size_t sn = 0, hn = 0;
	unsigned int mn = 0;

	if (sscanf(pattern, "|1|%63[^|]|%63s", salt64, hash64) != 2 ||
	    custody_base64_decode(salt, &sn, salt64, strlen(salt64)) != 0 ||
	    custody_base64_decode(hash, &hn, hash64, strlen(hash64)) != 0 ||
	    hn != 20)
		return 0;
	if (HMAC(EVP_sha1(), salt, (int)sn, (const unsigned char *)host,
	    strlen(host), mac, &mn) == NULL || mn != 20)
		return 0;
	return CRYPTO_memcmp(mac, hash, 20) == 0;
}

/* Does the comma-separated list of host patterns name `host`? */
static int hosts_match(char *patterns, const char *host)
{
	size_t hl = strlen(host);

	for (char *save = NULL, *p = strtok_r(patterns, ",", &save);
	    p != NULL; p = strtok_r(NULL, ",", &save)) {
		if (p[0] == '|' && hashed_match(p, host))
			return 1;
		if (strcmp(p, host) == 0)
			return 1;
		/* [host]:port, any port (libgit2 does not say which) */
		if (p[0] == '[' && strncmp(p + 1, host, hl) == 0 &&
		    strncmp(p + 1 + hl, "]:", 2) == 0)
			return 1;
	}
	return 0;
}

/* The key blob of one known_hosts line, if it names `host`: 1 (match),
 * -1 (a @revoked match), 0 (not this host). */
static int line_key(char *line, const char *host, unsigned char *key,
	size_t *len)
{
	char *save = NULL, *hosts, *type, *b64;
	int revoked = 0;

	line[strcspn(line, "\r\n")] = '\0';
	hosts = strtok_r(line, " \t", &save);
	if (hosts == NULL || hosts[0] == '#')
		return 0;
	if (hosts[0] == '@') {
		if (strcmp(hosts, "@revoked") != 0)
			return 0;
		revoked = 1;
		hosts = strtok_r(NULL, " \t", &save);
	}
	type = strtok_r(NULL, " \t", &save);
	b64 = strtok_r(NULL, " \t", &save);
	if (hosts == NULL || type == NULL || b64 == NULL ||
	    strlen(b64) > KEY_MAX / 4 * 3 ||
	    custody_base64_decode(key, len, b64, strlen(b64)) != 0 ||
	    !hosts_match(hosts, host))
		return 0;
	return revoked ? -1 : 1;
}

static int same_key(const git_cert_hostkey *hk, const unsigned char *key,
	size_t len)
{
	unsigned char digest[32];

	if ((hk->type & GIT_CERT_SSH_RAW) && hk->hostkey != NULL)
		return hk->hostkey_len == len &&
			CRYPTO_memcmp(hk->hostkey, key, len) == 0;
	if (hk->type & GIT_CERT_SSH_SHA256) {
		SHA256(key, len, digest);
		return CRYPTO_memcmp(digest, hk->hash_sha256, 32) == 0;
	}
	return 0;
}

/* The refusal, naming the host, the key's fingerprint as ssh-keygen -l
 * prints it (to compare with what the partner says out of band) and
 * the file read. */
static void refuse(const git_cert_hostkey *hk, const char *host,
	const char *file, int revoked)
{
	unsigned char digest[32];
	char b64[48], msg[4096 + 512];
	size_t n;

	if ((hk->type & GIT_CERT_SSH_RAW) && hk->hostkey != NULL)
		SHA256((const unsigned char *)hk->hostkey, hk->hostkey_len,
			digest);
	else if (hk->type & GIT_CERT_SSH_SHA256)
		memcpy(digest, hk->hash_sha256, 32);
	else
		memset(digest, 0, sizeof(digest));
	n = custody_base64_encode(b64, digest, 32);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	b64[n] = '\0';
	snprintf(msg, sizeof(msg), "the SSH host %s's key (SHA256:%s) is %s "
		"%s; nothing was sent (add the host's key, checked with its "
		"owner, to CUSTODY_SSH_KNOWN_HOSTS or ~/.ssh/known_hosts)",
		host, b64, revoked ? "revoked in" : "not in", file);
	git_error_set_str(GIT_ERROR_SSH, msg);
}

int custody_sync__check_host(git_cert *cert, int valid, const char *host,
	void *payload)
{
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
	const char *file = getenv("CUSTODY_SSH_KNOWN_HOSTS");
	char path[4096], *line = NULL;
	unsigned char *key = NULL;
	size_t room = 0;
	int known = 0, revoked = 0;
	FILE *f;

	(void)valid;
	(void)payload;
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return GIT_PASSTHROUGH;    /* TLS: libgit2's own check */
	if (file == NULL) {
		const char *home = getenv("HOME");

		snprintf(path, sizeof(path), "%s/.ssh/known_hosts",
			home ? home : "");
		file = path;
	}
	if ((f = fopen(file, "r")) == NULL ||
	    (key = malloc(KEY_MAX)) == NULL) {
		if (f != NULL)
			fclose(f);
		refuse(hk, host, file, 0);   /* no file: no key is known */
		return -1;
	}
	/* whole lines, however long: a line cut at a buffer's end would
	 * have its rest read as a line of its own (a comment's tail as an
	 * entry) */
	while (!revoked && getline(&line, &room, f) >= 0) {
		size_t len = 0;
		int m = line_key(line, host, key, &len);

		if (m != 0 && same_key(hk, key, len)) {
			if (m < 0)
				revoked = 1;
			else
				known = 1;
		}
	}
	fclose(f);
	free(line);
	free(key);
	if (revoked || !known) {
		refuse(hk, host, file, revoked);
		return -1;
	}
	return 0;
}

int custody_sync__tls_setup(custody_error **err)
{
	const char *file = getenv("CUSTODY_TLS_CA_FILE");

	if (file == NULL || file[0] == '\0')
		return 0;
	if (access(file, R_OK) != 0)
		return custody__error_sys(err, CUSTODY_EINVALID, errno,
			"%s (CUSTODY_TLS_CA_FILE): cannot be read", file);
	if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, NULL) != 0)
		return custody__error_git(err, CUSTODY_EINVALID, "%s "
			"(CUSTODY_TLS_CA_FILE): not a file of certificates",
			file);
	return 0;
}
