/*
 * Unit tests of the pack writer: packs it writes must read back through
 * libgit2 and pass stock git's verify-pack and fsck.
 */
#include "test.h"
#include "pack.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#define MIB (1024 * 1024)

struct fixture {
	char root[64];            /* temporary folder */
	char repo[96];            /* bare repository */
	char pack_dir[128];
};

static int fixture_init(struct fixture *f)
{
	git_repository *repo = NULL;

	snprintf(f->root, sizeof(f->root), "/tmp/custody_test_pack_XXXXXX");
	if (mkdtemp(f->root) == NULL)
		return -1;
	snprintf(f->repo, sizeof(f->repo), "%s/repo.git", f->root);
	snprintf(f->pack_dir, sizeof(f->pack_dir), "%s/objects/pack",
		f->repo);
	if (git_repository_init(&repo, f->repo, 1) != 0)
		return -1;
	git_repository_free(repo);
	return 0;
}

static void fixture_cleanup(struct fixture *f)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->root);
}

/* Number of entries in a folder other than . and ..; -1 if unreadable. */
static int count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* run("...%s...%s...", a, b): a shell command built with snprintf */
#define run(fmt, a, b) run_command(fmt, sizeof(fmt), a, b)

static int run_command(const char *fmt, size_t unused, const char *a,
	const char *b)
{
	char cmd[512];

	(void)unused;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(cmd, sizeof(cmd), fmt, a, b);
#pragma GCC diagnostic pop
	return system(cmd);
}

static void fill_random(unsigned char *p, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 24);
	}
}

static void fill_text(unsigned char *p, size_t len)
{
	static const char *words[] = { "custody ", "archive ", "document ",
		"signed ", "ledger ", "evidence\n", "chain ", "of " };
	size_t i = 0, w = 0;

	while (i < len) {
		const char *s = words[(w * 7 + w / 3) % 8];

		for (; *s && i < len; s++)
			p[i++] = (unsigned char)*s;
		w++;
	}
}

static int stream_typed(custody_pack *pack, int type,
	const unsigned char *data, size_t len, size_t chunk,
	unsigned char id[20], custody_error **err)
{
	int rc = custody_pack__begin(pack, type, len, err);

	for (size_t off = 0; rc == 0 && off < len; off += chunk)
		rc = custody_pack__write(pack, data + off,
			len - off < chunk ? len - off : chunk, err);
	if (rc == 0)
		rc = custody_pack__end(pack, id, err);
	else
		custody_pack__cancel(pack);
	return rc;
}

static int stream(custody_pack *pack, const unsigned char *data,
	size_t len, size_t chunk, unsigned char id[20], custody_error **err)
{
	return stream_typed(pack, CUSTODY_OBJ_BLOB, data, len, chunk, id,
		err);
}

struct known {
	unsigned char id[20];
	int calls;
};

static int exists_cb(const unsigned char id[20], void *payload)
{
	struct known *k = payload;

	k->calls++;
	return memcmp(id, k->id, 20) == 0;
}

struct expected {
	git_object_t type;
	const unsigned char *data;
	size_t len;
	unsigned char id[20];
};

static void check_id(const struct expected *e)
{
	git_oid oid;

	CHECK(git_odb_hash(&oid, e->data, e->len, e->type) == 0);
	CHECK(memcmp(oid.id, e->id, 20) == 0);
}

static void check_read_back(git_odb *odb, const struct expected *e)
{
	git_odb_object *obj = NULL;
	git_oid oid;

	memcpy(oid.id, e->id, 20);
	CHECK(git_odb_read(&obj, odb, &oid) == 0);
	if (obj == NULL)
		return;
	CHECK_INT(git_odb_object_type(obj), e->type);
	CHECK_INT(git_odb_object_size(obj), e->len);
	CHECK(git_odb_object_size(obj) == e->len &&
		memcmp(git_odb_object_data(obj), e->data, e->len) == 0);
	git_odb_object_free(obj);
}

/* The one pack-*.idx in dir, into out; 0 if found. */
static int find_idx(const char *dir, char *out, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = -1;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (strncmp(de->d_name, "pack-", 5) == 0 && n == 49 &&
		    strcmp(de->d_name + 45, ".idx") == 0) {
			snprintf(out, size, "%s/%s", dir, de->d_name);
			found = 0;
		}
	}
	closedir(d);
	return found;
}

/* size-in-pack of `hex` as `git verify-pack -v` reports it; -1 if absent */
static long long packed_size(const char *repo, const char *idx,
	const char *hex)
{
	char cmd[512], line[512], id[64], type[16];
	long long size, in_pack = -1, found = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "git --git-dir='%s' verify-pack -v '%s'",
		repo, idx);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	while (fgets(line, sizeof(line), p) != NULL)
		if (sscanf(line, "%63s %15s %lld %lld", id, type, &size,
		    &in_pack) == 4 && strcmp(id, hex) == 0)
			found = in_pack;
	pclose(p);
	return found;
}

static void to_hex(char out[41], const unsigned char id[20])
{
	for (int i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static void test_pack__objects_read_back_and_pass_git_fsck(void)
{
	struct fixture f;
	custody_pack *pack = NULL;
	custody_error *err = NULL;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	struct known known = { { 0 }, 0 };
	struct expected e[12];
	unsigned char *text = malloc(3 * MIB + 123);
	unsigned char *noise = malloc(3 * MIB + 7);
	unsigned char small_noise[1000], edge[64 * 1024];
	unsigned char tree[64], commit[256], id[20];
	char idx[256], hex[41], tree_hex[41];
	const char *known_data = "already in the repository\n";
	size_t n = 0, tree_len, commit_len;
	struct stat st;
	git_oid oid;

	CHECK(fixture_init(&f) == 0);
	CHECK(text != NULL && noise != NULL);
	if (text == NULL || noise == NULL)
		goto cleanup;
	fill_text(text, 3 * MIB + 123);
	fill_random(noise, 3 * MIB + 7, 1);
	fill_random(small_noise, sizeof(small_noise), 2);
	fill_random(edge, sizeof(edge), 3);
	CHECK(git_odb_hash(&oid, known_data, strlen(known_data),
		GIT_OBJECT_BLOB) == 0);
	memcpy(known.id, oid.id, 20);

	CHECK_INT(custody_pack__open(&pack, f.pack_dir, exists_cb, &known,
		&err), 0);
	if (pack == NULL)
		goto cleanup;
	CHECK_INT(count_files(f.pack_dir, "tmp_custody_pack_"), 1);

	e[n] = (struct expected){ GIT_OBJECT_BLOB,
		(const unsigned char *)"hello\n", 6, { 0 } };
	CHECK_INT(custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB, e[n].data,
		e[n].len, e[n].id, &err), 0);
	n++;
	e[n] = (struct expected){ GIT_OBJECT_BLOB,
		(const unsigned char *)"", 0, { 0 } };
	CHECK_INT(custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB, e[n].data,
		0, e[n].id, &err), 0);
	n++;
	e[n] = (struct expected){ GIT_OBJECT_BLOB, text, 3 * MIB + 123,
		{ 0 } };
	CHECK_INT(stream(pack, text, e[n].len, 100000, e[n].id, &err), 0);
	n++;
	e[n] = (struct expected){ GIT_OBJECT_BLOB, noise, 3 * MIB + 7,
		{ 0 } };
	CHECK_INT(stream(pack, noise, e[n].len, 1 * MIB, e[n].id, &err), 0);
	n++;
	e[n] = (struct expected){ GIT_OBJECT_BLOB, small_noise,
		sizeof(small_noise), { 0 } };
	CHECK_INT(stream(pack, small_noise, e[n].len, 333, e[n].id, &err),
		0);
	n++;
	e[n] = (struct expected){ GIT_OBJECT_BLOB, edge, sizeof(edge),
		{ 0 } };
	CHECK_INT(stream(pack, edge, e[n].len, sizeof(edge), e[n].id, &err),
		0);
	n++;
	/* Larger than the probe, in one piece: buffered and streamed. */
	e[n] = (struct expected){ GIT_OBJECT_BLOB, text + 1, 300 * 1024,
		{ 0 } };
	CHECK_INT(custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB, e[n].data,
		e[n].len, e[n].id, &err), 0);
	n++;
	e[n] = (struct expected){ GIT_OBJECT_BLOB, noise + 1, 300 * 1024,
		{ 0 } };
	CHECK_INT(custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB, e[n].data,
		e[n].len, e[n].id, &err), 0);
	n++;
	e[n] = (struct expected){ GIT_OBJECT_BLOB, text + 2, 64 * 1024 + 1,
		{ 0 } };
	CHECK_INT(stream(pack, e[n].data, e[n].len, e[n].len, e[n].id, &err),
		0);
	n++;
	CHECK_INT(custody_pack__count(pack), 9);

	/* Duplicates within the pack are dropped, buffered or streamed. */
	CHECK_INT(custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB, "hello\n",
		6, id, &err), 0);
	CHECK(memcmp(id, e[0].id, 20) == 0);
	CHECK_INT(stream(pack, text, 3 * MIB + 123, 65536, id, &err), 0);
	CHECK(memcmp(id, e[2].id, 20) == 0);
	CHECK_INT(custody_pack__count(pack), 9);

	/* What the repository already has is dropped. */
	known.calls = 0;
	CHECK_INT(stream(pack, (const unsigned char *)known_data,
		strlen(known_data), 5, id, &err), 0);
	CHECK(memcmp(id, known.id, 20) == 0);
	CHECK(known.calls > 0);
	CHECK_INT(custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB,
		known_data, strlen(known_data), id, &err), 0);
	CHECK_INT(custody_pack__count(pack), 9);

	/* Fewer bytes than announced: the object is dropped. */
	CHECK_INT(custody_pack__begin(pack, CUSTODY_OBJ_BLOB, 2 * MIB, &err),
		0);
	CHECK_INT(custody_pack__write(pack, noise, 1 * MIB + 5, &err), 0);
	CHECK_INT(custody_pack__end(pack, id, &err), CUSTODY_ECHANGED);
	CHECK_INT(custody_error_code(err), CUSTODY_ECHANGED);
	CHECK_CONTAINS(custody_error_message(err),
		"size changed while reading");
	custody_error_free(err);
	err = NULL;

	/* More bytes than announced. */
	CHECK_INT(custody_pack__begin(pack, CUSTODY_OBJ_BLOB, 10, &err), 0);
	CHECK_INT(custody_pack__write(pack, text, 20, &err),
		CUSTODY_ECHANGED);
	CHECK_CONTAINS(custody_error_message(err),
		"size changed while reading");
	custody_error_free(err);
	err = NULL;
	custody_pack__cancel(pack);

	/* Cancelled half way, after the first megabytes hit the file. */
	CHECK_INT(custody_pack__begin(pack, CUSTODY_OBJ_BLOB, 3 * MIB, &err),
		0);
	CHECK_INT(custody_pack__write(pack, noise + 1, 2 * MIB, &err), 0);
	custody_pack__cancel(pack);
	CHECK_INT(custody_pack__count(pack), 9);

	/* A tree and a commit after the dropped objects, so fsck sees a
	 * connected history and the truncations are exercised. */
	memcpy(tree, "100644 hello.txt", 17);
	memcpy(tree + 17, e[0].id, 20);
	tree_len = 37;
	e[n] = (struct expected){ GIT_OBJECT_TREE, tree, tree_len, { 0 } };
	CHECK_INT(custody_pack__add_buffer(pack, CUSTODY_OBJ_TREE, tree,
		tree_len, e[n].id, &err), 0);
	to_hex(tree_hex, e[n].id);
	n++;
	commit_len = (size_t)snprintf((char *)commit, sizeof(commit),
		"tree %s\nauthor A <a@example.org> 0 +0000\n"
		"committer A <a@example.org> 0 +0000\n\nfirst\n", tree_hex);
	e[n] = (struct expected){ GIT_OBJECT_COMMIT, commit, commit_len,
		{ 0 } };
	CHECK_INT(stream_typed(pack, CUSTODY_OBJ_COMMIT, commit, commit_len,
		7, e[n].id, &err), 0);
	n++;
	CHECK_INT(custody_pack__count(pack), 11);
	if (err != NULL)
		fprintf(stderr, "error: %s\n", custody_error_message(err));

	CHECK_INT(custody_pack__commit(pack, &err), 0);
	if (err != NULL)
		fprintf(stderr, "error: %s\n", custody_error_message(err));
	CHECK_INT(count_files(f.pack_dir, "tmp_"), 0);
	CHECK_INT(count_files(f.pack_dir, "pack-"), 2);
	CHECK(find_idx(f.pack_dir, idx, sizeof(idx)) == 0);
	CHECK(stat(idx, &st) == 0 && (st.st_mode & 0777) == 0444);

	for (size_t i = 0; i < n; i++)
		check_id(&e[i]);
	CHECK(git_repository_open(&repo, f.repo) == 0);
	CHECK(repo != NULL && git_repository_odb(&odb, repo) == 0);
	if (odb != NULL) {
		for (size_t i = 0; i < n; i++)
			check_read_back(odb, &e[i]);
		CHECK(!git_odb_exists(odb, &oid));
	}

	/* Both compression paths ran: text deflated, noise stored. */
	to_hex(hex, e[2].id);
	CHECK(packed_size(f.repo, idx, hex) > 0);
	CHECK(packed_size(f.repo, idx, hex) < (long long)e[2].len / 4);
	to_hex(hex, e[3].id);
	CHECK(packed_size(f.repo, idx, hex) >= (long long)e[3].len);
	/* level 0 writes 64 KiB stored blocks of 5 bytes' overhead each;
	 * level 1 would have cut random data into ~16 KiB ones */
	CHECK(packed_size(f.repo, idx, hex) < (long long)(e[3].len +
		e[3].len / 65535 * 5 + 64));

	CHECK_INT(run("git --git-dir='%s' verify-pack -v '%s' >/dev/null",
		f.repo, idx), 0);
	CHECK_INT(run("git --git-dir='%s' fsck --full --strict %s",
		f.repo, "--no-dangling"), 0);
	CHECK_INT(run("git --git-dir='%s' cat-file -e %s", f.repo,
		tree_hex), 0);

cleanup:
	custody_error_free(err);
	custody_pack__free(pack);
	git_odb_free(odb);
	git_repository_free(repo);
	fixture_cleanup(&f);
	free(text);
	free(noise);
}

static void test_pack__empty_pack_commits_to_nothing(void)
{
	struct fixture f;
	custody_pack *pack = NULL;
	custody_error *err = NULL;
	struct known known = { { 0 }, 0 };
	git_oid oid;
	unsigned char id[20];

	CHECK(fixture_init(&f) == 0);
	CHECK_INT(custody_pack__open(&pack, f.pack_dir, NULL, NULL, &err), 0);
	CHECK_INT(custody_pack__commit(pack, &err), 0);
	custody_pack__free(pack);
	pack = NULL;
	CHECK_INT(count_files(f.pack_dir, ""), 0);

	/* Every object dropped as known: nothing either. */
	CHECK(git_odb_hash(&oid, "x", 1, GIT_OBJECT_BLOB) == 0);
	memcpy(known.id, oid.id, 20);
	CHECK_INT(custody_pack__open(&pack, f.pack_dir, exists_cb, &known,
		&err), 0);
	CHECK_INT(custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB, "x", 1, id,
		&err), 0);
	CHECK_INT(custody_pack__count(pack), 0);
	CHECK_INT(custody_pack__commit(pack, &err), 0);
	CHECK_INT(count_files(f.pack_dir, ""), 0);
	CHECK(err == NULL);
	custody_error_free(err);
	custody_pack__free(pack);
	fixture_cleanup(&f);
}

static void test_pack__free_without_commit_leaves_no_files(void)
{
	struct fixture f;
	custody_pack *pack = NULL;
	custody_error *err = NULL;
	unsigned char *noise = malloc(3 * MIB);
	unsigned char id[20];

	CHECK(fixture_init(&f) == 0);
	CHECK(noise != NULL);
	if (noise == NULL)
		goto cleanup;
	fill_random(noise, 3 * MIB, 4);
	CHECK_INT(custody_pack__open(&pack, f.pack_dir, NULL, NULL, &err), 0);
	CHECK_INT(stream(pack, noise, 3 * MIB, MIB, id, &err), 0);
	CHECK_INT(custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB, "y", 1, id,
		&err), 0);
	CHECK_INT(custody_pack__count(pack), 2);
	CHECK_INT(count_files(f.pack_dir, "tmp_custody_pack_"), 1);
	custody_pack__free(pack);
	pack = NULL;
	CHECK_INT(count_files(f.pack_dir, ""), 0);
cleanup:
	custody_error_free(err);
	free(noise);
	fixture_cleanup(&f);
}

static void test_pack__open_in_missing_folder_names_it(void)
{
	custody_pack *pack = NULL;
	custody_error *err = NULL;
	const char *dir = "/tmp/custody_no_such_dir_4a1f/objects/pack";

	CHECK_INT(custody_pack__open(&pack, dir, NULL, NULL, &err),
		CUSTODY_EIO);
	CHECK(pack == NULL);
	CHECK_INT(custody_error_code(err), CUSTODY_EIO);
	CHECK_CONTAINS(custody_error_message(err), dir);
	CHECK_CONTAINS(custody_error_message(err), "No such file");
	custody_error_free(err);
}

/* Writes beyond `limit` bytes per file fail with EFBIG, even as root. */
static void limit_file_size(rlim_t limit, struct rlimit *old)
{
	struct rlimit rl;

	getrlimit(RLIMIT_FSIZE, old);
	rl = *old;
	rl.rlim_cur = limit;
	signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
}

static void test_pack__write_failure_names_file_and_leaves_nothing(void)
{
	struct fixture f;
	custody_pack *pack = NULL;
	custody_error *err = NULL;
	unsigned char *noise = malloc(3 * MIB);
	unsigned char id[20];
	struct rlimit old;

	CHECK(fixture_init(&f) == 0);
	CHECK(noise != NULL);
	if (noise == NULL)
		goto cleanup;
	fill_random(noise, 3 * MIB, 5);

	/* Failing while an object streams: the pack refuses to commit. */
	CHECK_INT(custody_pack__open(&pack, f.pack_dir, NULL, NULL, &err), 0);
	limit_file_size(512 * 1024, &old);
	CHECK_INT(stream(pack, noise, 3 * MIB, MIB, id, &err), CUSTODY_EIO);
	CHECK_CONTAINS(custody_error_message(err), f.pack_dir);
	CHECK_CONTAINS(custody_error_message(err), "tmp_custody_pack_");
	CHECK_CONTAINS(custody_error_message(err), "File too large");
	custody_error_free(err);
	err = NULL;
	CHECK_INT(custody_pack__commit(pack, &err), CUSTODY_EIO);
	CHECK_CONTAINS(custody_error_message(err), "tmp_custody_pack_");
	custody_error_free(err);
	err = NULL;
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	custody_pack__free(pack);
	pack = NULL;
	CHECK_INT(count_files(f.pack_dir, ""), 0);

	/* Failing in commit itself (everything was still buffered). */
	CHECK_INT(custody_pack__open(&pack, f.pack_dir, NULL, NULL, &err), 0);
	CHECK_INT(custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB, noise,
		200 * 1024, id, &err), 0);
	limit_file_size(64 * 1024, &old);
	CHECK_INT(custody_pack__commit(pack, &err), CUSTODY_EIO);
	CHECK_CONTAINS(custody_error_message(err), f.pack_dir);
	CHECK_CONTAINS(custody_error_message(err), "File too large");
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	CHECK_INT(count_files(f.pack_dir, ""), 0);
	custody_pack__free(pack);
	pack = NULL;
	CHECK_INT(count_files(f.pack_dir, ""), 0);
cleanup:
	custody_error_free(err);
	free(noise);
	fixture_cleanup(&f);
}

static void test_pack__same_pack_twice_keeps_one_copy(void)
{
	struct fixture f;
	custody_pack *pack = NULL;
	custody_error *err = NULL;
	unsigned char id[20];

	CHECK(fixture_init(&f) == 0);
	for (int round = 0; round < 2; round++) {
		CHECK_INT(custody_pack__open(&pack, f.pack_dir, NULL, NULL,
			&err), 0);
		CHECK_INT(custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB,
			"same\n", 5, id, &err), 0);
		CHECK_INT(custody_pack__commit(pack, &err), 0);
		custody_pack__free(pack);
		pack = NULL;
		CHECK_INT(count_files(f.pack_dir, ""), 2);
	}
	CHECK(err == NULL);
	custody_error_free(err);
	CHECK_INT(run("git --git-dir='%s' fsck --full %s", f.repo,
		"--no-dangling"), 0);
	fixture_cleanup(&f);
}

static void test_pack__hundred_thousand_objects(void)
{
	struct fixture f;
	custody_pack *pack = NULL;
	custody_error *err = NULL;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	unsigned char id[20], first[20], last[20];
	char body[64], idx[256];
	git_odb_object *obj = NULL;
	git_oid oid;
	int len = 0;

	CHECK(fixture_init(&f) == 0);
	CHECK_INT(custody_pack__open(&pack, f.pack_dir, NULL, NULL, &err), 0);
	for (int i = 0; i < 100000 && pack != NULL; i++) {
		len = snprintf(body, sizeof(body), "object %d\n", i);
		if (custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB, body,
		    (size_t)len, id, &err) != 0)
			break;
		if (i == 0)
			memcpy(first, id, 20);
		memcpy(last, id, 20);
	}
	/* and each once more: all duplicates */
	for (int i = 0; i < 100000 && pack != NULL; i += 1000) {
		len = snprintf(body, sizeof(body), "object %d\n", i);
		CHECK_INT(custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB,
			body, (size_t)len, id, &err), 0);
	}
	CHECK_INT(custody_pack__count(pack), 100000);
	CHECK_INT(custody_pack__commit(pack, &err), 0);
	CHECK(err == NULL);
	CHECK(git_repository_open(&repo, f.repo) == 0);
	CHECK(repo != NULL && git_repository_odb(&odb, repo) == 0);
	memcpy(oid.id, first, 20);
	CHECK(odb != NULL && git_odb_read(&obj, odb, &oid) == 0);
	CHECK(obj != NULL && git_odb_object_size(obj) == 9 &&
		memcmp(git_odb_object_data(obj), "object 0\n", 9) == 0);
	git_odb_object_free(obj);
	obj = NULL;
	memcpy(oid.id, last, 20);
	CHECK(odb != NULL && git_odb_read(&obj, odb, &oid) == 0);
	CHECK(obj != NULL && git_odb_object_size(obj) == 13 &&
		memcmp(git_odb_object_data(obj), "object 99999\n", 13) == 0);
	git_odb_object_free(obj);
	CHECK(find_idx(f.pack_dir, idx, sizeof(idx)) == 0);
	CHECK_INT(run("git --git-dir='%s' verify-pack '%s'", f.repo, idx), 0);
	custody_error_free(err);
	custody_pack__free(pack);
	git_odb_free(odb);
	git_repository_free(repo);
	fixture_cleanup(&f);
}

/*
 * A pack over 2 GiB, so the idx needs its large-offset table. Takes
 * about half a minute and 2 GiB of disk: runs only when
 * CUSTODY_SLOW_TESTS is set.
 */
static void test_pack__offsets_past_2_gib_use_large_offset_table(void)
{
	struct fixture f;
	custody_pack *pack = NULL;
	custody_error *err = NULL;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	unsigned char *block = malloc(MIB);
	unsigned char id[20], after[20];
	uint64_t big = 2200ULL * MIB;
	char idx[256];
	git_oid oid;
	int rc;

	if (getenv("CUSTODY_SLOW_TESTS") == NULL) {
		printf("skip test_pack__offsets_past_2_gib (set "
			"CUSTODY_SLOW_TESTS=1)\n");
		free(block);
		return;
	}
	CHECK(fixture_init(&f) == 0);
	CHECK(block != NULL);
	if (block == NULL)
		goto cleanup;
	fill_random(block, MIB, 6);
	CHECK_INT(custody_pack__open(&pack, f.pack_dir, NULL, NULL, &err), 0);
	rc = custody_pack__begin(pack, CUSTODY_OBJ_BLOB, big, &err);
	for (uint64_t off = 0; rc == 0 && off < big; off += MIB) {
		block[0] = (unsigned char)(off >> 20);
		block[1] = (unsigned char)(off >> 28);
		rc = custody_pack__write(pack, block, MIB, &err);
	}
	CHECK_INT(rc, 0);
	CHECK_INT(custody_pack__end(pack, id, &err), 0);
	CHECK_INT(custody_pack__add_buffer(pack, CUSTODY_OBJ_BLOB,
		"after the big one\n", 18, after, &err), 0);
	CHECK_INT(custody_pack__commit(pack, &err), 0);
	CHECK(git_repository_open(&repo, f.repo) == 0);
	CHECK(repo != NULL && git_repository_odb(&odb, repo) == 0);
	memcpy(oid.id, after, 20);
	CHECK(odb != NULL && git_odb_read(&obj, odb, &oid) == 0);
	CHECK(obj != NULL && git_odb_object_size(obj) == 18 &&
		memcmp(git_odb_object_data(obj), "after the big one\n", 18)
		== 0);
	git_odb_object_free(obj);
	CHECK(find_idx(f.pack_dir, idx, sizeof(idx)) == 0);
	CHECK_INT(run("git --git-dir='%s' verify-pack '%s'", f.repo, idx), 0);
cleanup:
	custody_error_free(err);
	custody_pack__free(pack);
	git_odb_free(odb);
	git_repository_free(repo);
	fixture_cleanup(&f);
	free(block);
}

static const struct test tests[] = {
	TEST(test_pack__objects_read_back_and_pass_git_fsck),
	TEST(test_pack__empty_pack_commits_to_nothing),
	TEST(test_pack__free_without_commit_leaves_no_files),
	TEST(test_pack__open_in_missing_folder_names_it),
	TEST(test_pack__write_failure_names_file_and_leaves_nothing),
	TEST(test_pack__same_pack_twice_keeps_one_copy),
	TEST(test_pack__hundred_thousand_objects),
	TEST(test_pack__offsets_past_2_gib_use_large_offset_table),
	{ 0 }
};

int main(void)
{
	int rc;

	git_libgit2_init();
	rc = test_run(tests);
	git_libgit2_shutdown();
	return rc;
}
