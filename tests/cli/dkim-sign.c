/*
 * dkim-sign KEY SELECTOR DOMAIN HDRCANON/BODYCANON ALG [TTL] < MSG > SIGNED:
 * sign a message with libopendkim's own signer (not custody's code), so
 * that t-dkim.sh checks custody against signatures a real DKIM signer
 * made. ALG: rsa-sha256 or ed25519-sha256; KEY a PEM private key. The
 * TTL, seconds, gives the signature an x= that far after its t=. The
 * message must have CRLF line ends; the output is the DKIM-Signature
 * header on top of the message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>

static unsigned char *slurp(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0, got;
	unsigned char *buf = malloc(cap + 1);

	while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			unsigned char *more = realloc(buf, cap * 2 + 1);
			if (more == NULL) {
				free(buf);
				return NULL;
			}
			buf = more;
			cap *= 2;
		}
	}
	if (buf != NULL)
		buf[n] = '\0';
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	DKIM_LIB *lib;
	DKIM *dkim;
	DKIM_STAT st;
	unsigned char *key, *msg, *p, *end, *body;
	unsigned char sig[8192];
	size_t klen, mlen;
	FILE *kf;
	dkim_canon_t hc, bc;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: dkim-sign KEY SELECTOR DOMAIN "
			"HDR/BODY ALG < MSG\n");
		return 2;
	}
	hc = strncmp(argv[4], "relaxed", 7) == 0 ? DKIM_CANON_RELAXED :
		DKIM_CANON_SIMPLE;
	bc = strstr(argv[4], "/relaxed") ? DKIM_CANON_RELAXED :
		DKIM_CANON_SIMPLE;
	if ((kf = fopen(argv[1], "rb")) == NULL ||
	    (key = slurp(kf, &klen)) == NULL || (msg = slurp(stdin, &mlen)) ==
	    NULL)
		return 1;
	fclose(kf);
	lib = dkim_init(NULL, NULL);
	{
		/* t-dkim.sh signs with a 768-bit key too, to see it flagged */
		unsigned int bits = 512;
		dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &bits,
			sizeof(bits));
	}
	if (argc == 7) {
		uint64_t ttl = strtoull(argv[6], NULL, 10);
		dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL, &ttl,
			sizeof(ttl));
	}
	dkim = dkim_sign(lib, (unsigned char *)"t", NULL, key,
		(unsigned char *)argv[2], (unsigned char *)argv[3], hc, bc,
		strcmp(argv[5], "ed25519-sha256") == 0 ?
		DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256, -1, &st);
	if (dkim == NULL) {
		fprintf(stderr, "dkim_sign: %s\n", dkim_getresultstr(st));
		return 1;
	}
	/* one unfolded line: with simple header canonicalisation the folding
	 * libopendkim prints must be the one it signed */
	dkim_set_margin(dkim, 0);
	body = (unsigned char *)strstr((char *)msg, "\r\n\r\n");
	if (body == NULL)
		return 1;
	for (p = msg; p < body + 2; p = end + 2) {
		end = (unsigned char *)strstr((char *)p, "\r\n");
		while (end[2] == ' ' || end[2] == '\t')
			end = (unsigned char *)strstr((char *)end + 2, "\r\n");
		if (dkim_header(dkim, p, (size_t)(end - p)) != DKIM_STAT_OK)
			return 1;
	}
	if (dkim_eoh(dkim) != DKIM_STAT_OK ||
	    dkim_body(dkim, body + 4, mlen - (size_t)(body + 4 - msg)) !=
	    DKIM_STAT_OK || (st = dkim_eom(dkim, NULL)) != DKIM_STAT_OK) {
		fprintf(stderr, "signing failed: %s\n", dkim_geterror(dkim));
		return 1;
	}
	if (dkim_getsighdr(dkim, sig, sizeof(sig), strlen(DKIM_SIGNHEADER) +
	    2) != DKIM_STAT_OK)
		return 1;
	printf("%s: ", DKIM_SIGNHEADER);
	for (p = sig; *p; p++) {
		if (*p == '\n' && (p == sig || p[-1] != '\r'))
			putchar('\r');
		putchar(*p);
	}
	fputs("\r\n", stdout);
	fwrite(msg, 1, mlen, stdout);
	dkim_free(dkim);
	dkim_close(lib);
	free(key);
	free(msg);
	return 0;
}
