/*
 * sigbench: what signatures cost (issue 3's speed targets).
 *
 *   sigbench [COMMITS] [DIR]
 *
 * Makes a bare repository under DIR (default /var/tmp) with COMMITS
 * (default 10,000) chained commits, each signed as custody signs its
 * commits (SSHSIG, namespace git, in gpgsig), then checks every signature
 * the way `custody verify` does (libgit2 extracts it, custody's SSHSIG
 * code checks it). Prints markdown: the time to sign one commit, to
 * check all of them, and to unlock a key file (scrypt, paid once per
 * command). Not a test: it asserts nothing about time.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "key.h"
#include "custody/key.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, custody_error *err)
{
	const git_error *g = git_error_last();

	fprintf(stderr, "sigbench: %s: %s\n", what, err ?
		custody_error_message(err) : g ? g->message : "failed");
	exit(1);
}

int main(int argc, char **argv)
{
	long commits = argc > 1 ? atol(argv[1]) : 10000;
	const char *base = argc > 2 ? argv[2] : "/var/tmp";
	char dir[4096], message[64], keyfile[4200];
	custody_key *key = NULL, *loaded = NULL;
	custody_error *err = NULL;
	git_repository *repo;
	git_treebuilder *tb;
	git_signature *who;
	git_oid tree, parent, id, blob;
	git_revwalk *walk;
	double t0, sign_time = 0, total, verify_time, unlock;
	long checked = 0;

	if (commits <= 0) {
		fprintf(stderr, "usage: sigbench [COMMITS] [DIR]\n");
		return 2;
	}
	git_libgit2_init();
	snprintf(dir, sizeof(dir), "%s/sigbench.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", NULL);
	if (custody_key_generate(&key, &err) != 0)
		die("key", err);
	if (git_repository_init(&repo, dir, 1) != 0 ||
	    git_blob_create_from_buffer(&blob, repo, "x\n", 2) != 0 ||
	    git_treebuilder_new(&tb, repo, NULL) != 0 ||
	    git_treebuilder_insert(NULL, tb, "f", &blob, GIT_FILEMODE_BLOB)
	    != 0 || git_treebuilder_write(&tree, tb) != 0)
		die("repository", NULL);
	git_treebuilder_free(tb);

	total = now();
	for (long i = 0; i < commits; i++) {
		git_buf body = GIT_BUF_INIT;
		custody_buf armour = CUSTODY_BUF_INIT;
		git_tree *t;
		git_commit *p = NULL;

		if (git_signature_new(&who, "bench", "custody.invalid",
		    1700000000 + i, 0) != 0 ||
		    git_tree_lookup(&t, repo, &tree) != 0 ||
		    (i > 0 && git_commit_lookup(&p, repo, &parent) != 0))
			die("commit", NULL);
		snprintf(message, sizeof(message), "custody add: %ld\n", i);
		if (git_commit_create_buffer(&body, repo, who, who, NULL,
		    message, t, i > 0 ? 1 : 0,
		    (const git_commit **)(i > 0 ? &p : NULL)) != 0)
			die("commit buffer", NULL);
		t0 = now();
		if (custody_sshsig_sign(key, "git", body.ptr, body.size,
		    &armour, &err) != 0)
			die("sign", err);
		sign_time += now() - t0;
		while (armour.size > 0 && armour.ptr[armour.size - 1] == '\n')
			armour.ptr[--armour.size] = '\0';
		if (git_commit_create_with_signature(&id, repo, body.ptr,
		    armour.ptr, "gpgsig") != 0)
			die("signed commit", NULL);
		parent = id;
		custody_buf_dispose(&armour);
		git_buf_dispose(&body);
		git_commit_free(p);
		git_tree_free(t);
		git_signature_free(who);
	}
	total = now() - total;
	if (git_reference_create(NULL, repo, "refs/heads/main", &parent, 1,
	    NULL) != 0)
		die("ref", NULL);
	git_repository_free(repo);

	/* check them all, from a fresh open, as verify does */
	t0 = now();
	if (git_repository_open_bare(&repo, dir) != 0 ||
	    git_revwalk_new(&walk, repo) != 0 ||
	    git_revwalk_push_ref(walk, "refs/heads/main") != 0)
		die("open", NULL);
	while (git_revwalk_next(&id, walk) == 0) {
		git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
		custody_pubkey *signer = NULL;

		if (git_commit_extract_signature(&sig, &data, repo, &id,
		    "gpgsig") != 0)
			die("extract", NULL);
		if (custody_sshsig_verify(sig.ptr, sig.size, "git", data.ptr,
		    data.size, &signer, &err) != 0)
			die("verify", err);
		if (!custody_pubkey_equal(signer, custody_key_public(key)))
			die("signer", NULL);
		checked++;
		custody_pubkey_free(signer);
		git_buf_dispose(&sig);
		git_buf_dispose(&data);
	}
	verify_time = now() - t0;
	git_revwalk_free(walk);
	git_repository_free(repo);
	if (checked != commits) {
		fprintf(stderr, "sigbench: checked %ld of %ld\n", checked,
			commits);
		return 1;
	}

	/* unlocking a key file: scrypt, once per command */
	snprintf(keyfile, sizeof(keyfile), "%s/bench.key", dir);
	if (custody_key_save(key, keyfile, "passphrase", 10, &err) != 0)
		die("save", err);
	t0 = now();
	if (custody_key_load(&loaded, keyfile, "passphrase", 10, &err) != 0)
		die("load", err);
	unlock = now() - t0;

	printf("| what | figure | target |\n|---|---|---|\n");
	printf("| sign one commit (SSHSIG over the commit, SHA-512 + "
		"Ed25519) | %.3f ms | < 5 ms |\n", sign_time / commits * 1e3);
	printf("| make %ld signed commits with libgit2, in all | %.2f s | |\n",
		commits, total);
	printf("| check the signatures of %ld commits (open, walk, extract, "
		"verify) | %.2f s | < 2 s for 10,000 |\n", commits,
		verify_time);
	printf("| unlock a key file (scrypt N=2^14, r=8, p=1), once per "
		"command | %.0f ms | |\n", unlock * 1e3);
	custody_key_free(key);
	custody_key_free(loaded);
	unlink(keyfile);
	{
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "sigbench: could not remove %s\n", dir);
	}
	git_libgit2_shutdown();
	return 0;
}
