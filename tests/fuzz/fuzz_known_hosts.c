/*
 * Fuzz target for the known_hosts file `sync`, `fetch` and `clone` read
 * over SSH (libFuzzer style): custody_sync__check_host (sync_host.c)
 * with a host name and the file (CUSTODY_SSH_KNOWN_HOSTS, in a temporary
 * folder removed at exit, under /dev/shm when it can be written), for
 * the SSH host key ssh-ed25519 of RFC 8032 section 7.1 TEST 1's seed,
 * given to the check raw. The input is HOST, NUL, the file (an empty
 * HOST, or one of 256 bytes or more: partner.example). Besides "never
 * crash, never leak", it checks:
 *   - the answer is 0 (known) or -1 (refused), and a refusal's message
 *     names the host, the key's SHA256 fingerprint and the file;
 *   - known only if some line of the file, read here on its own (cut at
 *     its first CR, LF or NUL, fields split at blanks), is not a comment
 *     or a marker, holds the key's base64 as its third field and names
 *     the host in its first (plainly, as "[host]:", or hashed: "|1|");
 *   - a line "@revoked HOST ssh-ed25519 KEY" always refuses.
 * A broken property aborts, which a fuzzer reports as a crash.
 *
 *   tests/fuzz/fuzz.sh known_hosts SECONDS    (libFuzzer, docs/fuzzing.md)
 *   replay.c + fuzz_known_hosts.c            (without: the corpus)
 *
 * Seeds named valid-* must be known, refused-* refused; make_corpus.py
 * writes them (known_hosts).
 */
#define _XOPEN_SOURCE 700
#include "base64.h"
#include "fsutil.h"
#include "sync.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#define FUZZ_TARGET "known_hosts"
#include "fuzz.h"
#include "files.h"
#include "expect.h"
#include "split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 8032 section 7.1 TEST 1's public key */
static const char public_hex[] =
	"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

static char folder[64];
static char *file;
static unsigned char blob[51];
static char blob64[69], fingerprint[48];

static void finish(void)
{
	fuzz_remove_tree(folder);
	free(file);
}

static void setup(void)
{
	static const unsigned char type[] = "\0\0\0\x0bssh-ed25519\0\0\0\x20";
	unsigned char digest[32];
	size_t n;

	git_libgit2_init();
	fuzz_scratch_folder(folder, sizeof(folder), "custody-fuzz-hosts");
	atexit(finish);
	file = fuzz_join(folder, "known_hosts");
	setenv("CUSTODY_SSH_KNOWN_HOSTS", file, 1);
	memcpy(blob, type, 19);
	for (int i = 0; i < 32; i++)
		sscanf(public_hex + 2 * i, "%2hhx", &blob[19 + i]);
	if (EVP_EncodeBlock((unsigned char *)blob64, blob, sizeof(blob)) != 68)
		broken("base64", NULL);
	SHA256(blob, sizeof(blob), digest);
	n = (size_t)EVP_EncodeBlock((unsigned char *)fingerprint, digest, 32);
	while (n > 0 && fingerprint[n - 1] == '=')
		n--;
	fingerprint[n] = '\0';
}

/* Fields of one line, cut at CR, LF or NUL, split at spaces and tabs. */
static int fields(const char *line, size_t len, const char **f,
	size_t *flen, int max)
{
	size_t i = 0;
	int n = 0;

	for (size_t j = 0; j < len; j++)
		if (line[j] == '\r' || line[j] == '\n' || line[j] == '\0') {
			len = j;
			break;
		}
	while (n < max) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		f[n] = line + i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		flen[n] = (size_t)(line + i - f[n]);
		n++;
	}
	return n;
}

static int names_host(const char *hosts, size_t len, const char *host)
{
	size_t hl = strlen(host);

	for (size_t i = 0; i + hl <= len; i++)
		if (memcmp(hosts + i, host, hl) == 0)
			return 1;
	return memmem(hosts, len, "|1|", 3) != NULL;
}

/* What the file says of the host and key, read here: *known if a plain
 * line may name them, *revoked if a "@revoked HOST ..." line does. */
static void read_again(const char *text, size_t len, const char *host,
	int *known, int *revoked)
{
	const char *line = text, *end = text + len;

	*known = *revoked = 0;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t ll = nl ? (size_t)(nl - line) : (size_t)(end - line);
		const char *f[4];
		size_t fl[4];
		int n = fields(line, ll, f, fl, 4);

		if (n >= 3 && f[0][0] != '#' && f[0][0] != '@' &&
		    fl[2] == 68 && memcmp(f[2], blob64, 68) == 0 &&
		    names_host(f[0], fl[0], host))
			*known = 1;
		if (n >= 4 && fl[0] == 8 && memcmp(f[0], "@revoked", 8) == 0 &&
		    fl[1] == strlen(host) && memcmp(f[1], host, fl[1]) == 0 &&
		    fl[2] == 11 && memcmp(f[2], "ssh-ed25519", 11) == 0 &&
		    fl[3] == 68 && memcmp(f[3], blob64, 68) == 0)
			*revoked = 1;
		line += ll + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	git_cert_hostkey hk;
	struct fuzz_part parts[2];
	const git_error *e;
	const char *host;
	char *copy;
	int rc, known, revoked;

	if (file == NULL)
		setup();
	if ((copy = fuzz_split(data, size, parts, 2)) == NULL)
		return 0;
	/* a host name as long as a URL's (the refusal must hold it) */
	host = parts[0].len > 0 && parts[0].len < 256 ? parts[0].text :
		"partner.example";
	fuzz_write_file(file, parts[1].text, parts[1].len);
	memset(&hk, 0, sizeof(hk));
	hk.parent.cert_type = GIT_CERT_HOSTKEY_LIBSSH2;
	hk.type = GIT_CERT_SSH_RAW | GIT_CERT_SSH_SHA256;
	hk.raw_type = GIT_CERT_SSH_RAW_TYPE_KEY_ED25519;
	hk.hostkey = (const char *)blob;
	hk.hostkey_len = sizeof(blob);
	SHA256(blob, sizeof(blob), hk.hash_sha256);
	git_error_clear();
	rc = custody_sync__check_host(&hk.parent, 0, host, NULL);
	read_again(parts[1].text, parts[1].len, host, &known, &revoked);
	if (rc != 0 && rc != -1)
		broken("an answer that is neither known nor refused", NULL);
	if (rc == -1) {
		e = git_error_last();
		if (e == NULL || e->message == NULL ||
		    strstr(e->message, host) == NULL ||
		    strstr(e->message, fingerprint) == NULL ||
		    strstr(e->message, file) == NULL)
			broken("a refusal that does not name the host, the key "
				"and the file", NULL);
	}
	if (rc == 0 && !known)
		broken("a host key known from no line naming it", NULL);
	if (rc == 0 && revoked)
		broken("a revoked host key known", NULL);
	fuzz_expect(FUZZ_TARGET, rc == 0);
	free(copy);
	return 0;
}
