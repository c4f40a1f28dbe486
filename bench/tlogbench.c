/*
 * tlogbench: the transparency log at scale (issue 4's speed targets).
 *
 *   tlogbench [ENTRIES] [DIR]
 *
 * Builds, in DIR (default /var/tmp), an archive of ENTRIES (default
 * 1,000,000) register entries through the library's own append path,
 * in commits of 20,000 (hashes only: the documents are imaginary, the
 * entries, salts, tiles, checkpoints and signatures are real). Then it
 * measures, on that archive: appending one entry (a signed commit with a
 * new checkpoint), the size of a proof, and prints the paths so that the
 * driver scripts (bench/transparency, bench/sync) can time `custody check` and the
 * command line. Prints markdown. Not a test: it asserts nothing.
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
#include "key.h"
#include "custody.h"

#define BATCH 20000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, custody_error *err)
{
	fprintf(stderr, "tlogbench: %s: %s\n", what, err ?
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

int main(int argc, char **argv)
{
	uint64_t entries = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	const char *base = argc > 2 ? argv[2] : "/var/tmp";
	custody_init_options init = CUSTODY_INIT_OPTIONS_INIT;
	custody_archive *a = NULL;
	custody_key *key = NULL;
	custody_error *err = NULL;
	custody_buf proof = CUSTODY_BUF_INIT, vkey = CUSTODY_BUF_INIT;
	char dir[4096], path[4200];
	double build, one[5], best, add_first, add_again;
	FILE *f;

	if (entries < 10) {
		fprintf(stderr, "usage: tlogbench [ENTRIES >= 10] [DIR]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/tlogbench.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", NULL);
	if (custody_key_generate(&key, &err) != 0)
		die("key", err);
	init.collection = dir;
	init.origin = "bench.example/transparency";
	init.no_store = 1;
	init.key = key;
	init.log_key = key;
	init.member = "bench";
	if (custody_archive_init(&a, &init, &err) != 0)
		die("init", err);
	build = now();
	for (uint64_t done = 1; done < entries;) {
		size_t n = entries - done < BATCH ? (size_t)(entries - done) :
			BATCH;

		/* one real document in the middle, for the proof */
		if (done == entries / 2) {
			append(a, done, 1, dir);
			done++;
			continue;
		}
		if (done < entries / 2 && done + n > entries / 2)
			n = (size_t)(entries / 2 - done);
		append(a, done, n, NULL);
		done += n;
		fprintf(stderr, "\rtlogbench: %" PRIu64 " entries", done);
	}
	build = now() - build;
	fprintf(stderr, "\n");
	/* the public add, once: it builds and saves the local index */
	{
		custody_add_options ao = CUSTODY_ADD_OPTIONS_INIT;
		custody_add_summary sum;
		const char *paths[1];
		char file[4200];
		FILE *g;

		snprintf(file, sizeof(file), "%s/added.txt", dir);
		if ((g = fopen(file, "w")) == NULL || fputs("added\n", g) < 0 ||
		    fclose(g) != 0)
			die("added.txt", NULL);
		paths[0] = file;
		ao.store = 0;
		add_first = now();
		if (custody_archive_add(a, paths, 1, &ao, NULL, NULL, &sum,
		    &err) != 0)
			die("add", err);
		add_first = now() - add_first;
		snprintf(file, sizeof(file), "%s/added2.txt", dir);
		if ((g = fopen(file, "w")) == NULL || fputs("added 2\n", g) < 0 ||
		    fclose(g) != 0)
			die("added2.txt", NULL);
		paths[0] = file;
		add_again = now();
		if (custody_archive_add(a, paths, 1, &ao, NULL, NULL, &sum,
		    &err) != 0)
			die("add", err);
		add_again = now() - add_again;
	}
	/* one entry at a time, five times; the best counts */
	best = 1e9;
	for (int i = 0; i < 5; i++) {
		one[i] = append(a, entries + (uint64_t)i, 1, dir);
		if (one[i] < best)
			best = one[i];
	}
	printf("| what | figure | target |\n|---|---|---|\n");
	printf("| build a log of %" PRIu64 " entries (commits of %d) | "
		"%.1f s | |\n", entries, BATCH, build);
	printf("| append one entry to it (signed commit, new checkpoint), "
		"best of 5 | %.1f ms | < 50 ms |\n", best * 1e3);
	printf("| `custody_archive_add` of one file, first time (builds "
		"the local index from the %" PRIu64 " entries) | %.0f ms | |\n",
		entries, add_first * 1e3);
	printf("| `custody_archive_add` of one more file (index loaded) | "
		"%.0f ms | |\n", add_again * 1e3);
	printf("| the document to prove | doc-%" PRIu64 ".txt | |\n",
		entries / 2);
	custody_archive_free(a);
	a = NULL;
	{
		custody_open_options o = CUSTODY_OPEN_OPTIONS_INIT;

		snprintf(path, sizeof(path), "%s/.custody", dir);
		o.archive_path = path;
		if (custody_archive_open(&a, &o, &err) != 0)
			die("open", err);
	}
	if (custody_pubkey_vkey(custody_key_public(key),
	    "bench.example/transparency", &vkey, &err) != 0)
		die("vkey", err);
	snprintf(path, sizeof(path), "%s/vkey", dir);
	if ((f = fopen(path, "w")) == NULL)
		die("vkey file", NULL);
	fprintf(f, "%s\n", vkey.ptr);
	fclose(f);
	/* the member's key, for a driver that changes the archive
	 * (bench/sync): passphrase "bench" */
	snprintf(path, sizeof(path), "%s/bench", dir);
	if (custody_key_save(key, path, "bench", 5, &err) != 0)
		die("key file", err);
	/* the archive for the driver, to time the command line */
	printf("<!-- archive: %s -->\n", dir);
	custody_archive_free(a);
	custody_key_free(key);
	custody_buf_dispose(&proof);
	custody_buf_dispose(&vkey);
	return 0;
}
