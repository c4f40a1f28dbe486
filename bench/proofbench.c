/*
 * proofbench: proof sizes at scale (issue 13, item 10).
 *
 *   proofbench [ENTRIES]
 *
 * Builds in /var/tmp an archive of ENTRIES (default 1,000,000) register
 * entries through the library's append path, as tlogbench does, with one
 * document in the middle published in the next entry (a short URL, no
 * title), one at five eighths published in the next entry with a news
 * site's URL and headline (98 and 79 characters), one at a quarter
 * published at three quarters, and the last one never published; prints
 * the size of proofs (one never published also with path and actor
 * disclosed) as markdown, and
 * the archive's path (the proofs and the outlet's vkey are in it, for
 * `custody check`). Not a test: it asserts nothing. Remove the archive
 * after.
 */
#include <git2.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "archive.h"
#include "change.h"
#include "entry.h"
#include "key.h"
#include "proof.h"
#include "custody.h"

#define BATCH 20000
/* a news site's article URL and headline, of typical lengths */
#define LONG_URL "https://www.example-newsroom.org/investigations/" \
	"2026/12/01/customs-officials-budget-leak-documents"
#define LONG_TITLE "Leaked budget shows customs officials diverted " \
	"funds meant for port inspections"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, custody_error *err)
{
	fprintf(stderr, "proofbench: %s: %s\n", what, err ?
		custody_error_message(err) : "failed");
	exit(1);
}

/* Append `n` register entries named doc-<k>.txt; with `dir`, the one
 * document is real: written there, its true digest registered. */
static double append(custody_archive *a, uint64_t first, size_t n,
	const char *dir)
{
	struct custody_entry *e = calloc(n, sizeof(*e));
	char (*paths)[32] = calloc(n, sizeof(*paths));
	char (*shas)[65] = calloc(n, sizeof(*shas));
	custody_error *err = NULL;
	double t0;

	if (e == NULL || paths == NULL || shas == NULL)
		die("memory", NULL);
	for (size_t i = 0; i < n; i++) {
		snprintf(paths[i], sizeof(paths[i]), "doc-%" PRIu64 ".txt",
			first + i);
		snprintf(shas[i], sizeof(shas[i]), "%064" PRIx64, first + i);
		e[i].type = CUSTODY_ENTRY_REGISTER;
		e[i].path = paths[i];
		e[i].size = 1000;
		e[i].sha256 = shas[i];
		e[i].media_type = "text/plain";
		e[i].version = 1;
	}
	if (dir != NULL && n == 1) {
		char file[4200], text[64];
		unsigned char digest[32];
		FILE *f;
		int len = snprintf(text, sizeof(text), "document %" PRIu64
			"\n", first);

		snprintf(file, sizeof(file), "%s/%s", dir, paths[0]);
		if ((f = fopen(file, "w")) == NULL ||
		    fwrite(text, 1, (size_t)len, f) != (size_t)len ||
		    fclose(f) != 0)
			die("document", NULL);
		EVP_Digest(text, (size_t)len, digest, NULL, EVP_sha256(),
			NULL);
		for (int k = 0; k < 32; k++)
			snprintf(shas[0] + 2 * k, 3, "%02x", digest[k]);
		e[0].size = (uint64_t)len;
	}
	t0 = now();
	if (custody_change__append(a, e, n, NULL, 0, "bench: register\n",
	    NULL, &err) != 0)
		die("append", err);
	t0 = now() - t0;
	free(e);
	free(paths);
	free(shas);
	return t0;
}

static void publish(custody_archive *a, uint64_t doc, const char *url,
	const char *title)
{
	struct custody_entry p, *d = NULL;
	struct custody_published one;
	custody_error *err = NULL;
	git_tree *tree = NULL;

	if (custody_archive__refresh(a, &err) != 0 ||
	    custody_archive__head_tree(a, &tree, &err) != 0 ||
	    custody_archive__read_entry(a, tree, doc, &d, NULL, &err) != 0)
		die("read", err);
	memset(&p, 0, sizeof(p));
	one.index = doc;
	one.sha256 = d->sha256;
	p.type = CUSTODY_ENTRY_PUBLISH;
	p.url = (char *)url;
	p.title = (char *)title;
	p.published = "2026-12-01T10:00:00Z";
	p.documents = &one;
	p.ndocuments = 1;
	if (custody_change__append(a, &p, 1, NULL, 0, "bench: publish\n",
	    NULL, &err) != 0)
		die("publish", err);
	custody_entry__free(d);
	git_tree_free(tree);
}

static void prove(custody_archive *a, uint64_t doc, const char *name,
	const char *dir, const char *const *fields, size_t n)
{
	custody_buf out = CUSTODY_BUF_INIT;
	custody_error *err = NULL;
	char path[4300];
	FILE *f;
	size_t pub = 0;

	if (custody_archive__refresh(a, &err) != 0 ||
	    custody_archive__proof_of(a, doc, 0, CUSTODY_DISCLOSE_LISTED,
	    fields, n, &out, &err) != 0)
		die("proof", err);
	{
		const char *p = strstr(out.ptr, "\npublication-path ");

		/* base64 of 32 bytes a hash */
		if (p != NULL)
			pub = strcspn(p + 18, "\n") / 4 * 3 / 32;
	}
	snprintf(path, sizeof(path), "%s/%s.proof", dir, name);
	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(out.ptr, 1, out.size, f) != out.size || fclose(f) != 0)
		die(path, NULL);
	printf("| %s (entry %" PRIu64 ") | %zu bytes | %zu pair hashes |\n",
		name, doc, out.size, pub);
	custody_buf_dispose(&out);
}

int main(int argc, char **argv)
{
	uint64_t entries = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	custody_init_options init = CUSTODY_INIT_OPTIONS_INIT;
	custody_archive *a = NULL;
	custody_key *key = NULL, *log_key = NULL;
	custody_error *err = NULL;
	custody_buf vkey = CUSTODY_BUF_INIT;
	const char *fields[] = { "path", "actor" };
	char dir[4096], path[4200];
	FILE *f;

	if (entries < 10) {
		fprintf(stderr, "usage: proofbench [ENTRIES >= 10]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "/var/tmp/proofbench.XXXXXX");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", NULL);
	if (custody_key_generate(&key, &err) != 0 ||
	    custody_key_generate(&log_key, &err) != 0)
		die("key", err);
	init.collection = dir;
	init.origin = "bench.example/transparency";
	init.no_store = 1;
	init.key = key;
	init.member = "bench";
	init.log_key = log_key;
	if (custody_archive_init(&a, &init, &err) != 0)
		die("init", err);
	for (uint64_t done = 1; done < entries;) {
		size_t n = entries - done < BATCH ? (size_t)(entries - done) :
			BATCH;
		uint64_t stop = done < entries / 2 ? entries / 2 :
			done < entries / 8 * 5 ? entries / 8 * 5 :
			done < entries / 4 * 3 ? entries / 4 * 3 : entries;

		if (done == entries / 2) {
			append(a, done, 1, dir);
			/* published right after */
			publish(a, done, "https://bench.example/story", NULL);
			done += 2;
			continue;
		}
		if (done == entries / 8 * 5) {
			append(a, done, 1, dir);
			publish(a, done, LONG_URL, LONG_TITLE);
			done += 2;
			continue;
		}
		if (done == entries / 4 * 3) {
			/* an old one, much later */
			publish(a, entries / 4, "https://bench.example/story",
				NULL);
			done += 1;
			continue;
		}
		if (done + n > stop)
			n = (size_t)(stop - done);
		append(a, done, n, NULL);
		done += n;
	}
	append(a, entries, 1, dir);         /* registered, never published */
	prove(a, entries / 8 * 3, "registered-never-published", dir, NULL, 0);
	prove(a, entries / 8 * 3, "registered-never-published-disclosed", dir,
		fields, 2);
	prove(a, entries / 2, "published-in-the-next-entry", dir, NULL, 0);
	prove(a, entries / 8 * 5, "published-in-the-next-entry-with-a-news-"
		"site-url-and-headline", dir, NULL, 0);
	prove(a, entries / 4, "published-half-a-log-later", dir, NULL, 0);
	prove(a, entries, "the-last-entry-never-published", dir, NULL, 0);
	if (custody_pubkey_vkey(custody_key_public(log_key),
	    "bench.example/transparency", &vkey, &err) != 0)
		die("vkey", err);
	snprintf(path, sizeof(path), "%s/vkey", dir);
	if ((f = fopen(path, "w")) == NULL ||
	    fprintf(f, "%s\n", vkey.ptr) < 0 || fclose(f) != 0)
		die(path, NULL);
	printf("<!-- archive: %s -->\n", dir);
	custody_archive_free(a);
	custody_key_free(key);
	custody_key_free(log_key);
	custody_buf_dispose(&vkey);
	return 0;
}
