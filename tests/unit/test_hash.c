/*
 * Unit tests for lib/src/hash.c: the digests of a hashing run against
 * known answers, failures per file, and how libmagic's media types are
 * recorded.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "fsutil.h"
#include "test.h"

static void test_hash__media_type_is_lowercased_and_stripped(void)
{
	char out[128];

	custody_hash__media_type(out, sizeof(out), "text/x-Algol68");
	CHECK_STR(out, "text/x-algol68");
	custody_hash__media_type(out, sizeof(out), "text/plain; charset=us-ascii");
	CHECK_STR(out, "text/plain");
	custody_hash__media_type(out, sizeof(out),
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
	CHECK_STR(out,
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
}

static void test_hash__malformed_media_type_becomes_octet_stream(void)
{
	static const char *const bad[] = { "", "text", "/plain", "text/",
		"te xt/plain", "text/pl/ain", "-text/plain", "text/-plain",
		"cannot open `x' (No such file)", NULL };
	char out[128];

	for (int i = 0; bad[i]; i++) {
		custody_hash__media_type(out, sizeof(out), bad[i]);
		CHECK_STR(out, "application/octet-stream");
	}
	custody_hash__media_type(out, sizeof(out), NULL);
	CHECK_STR(out, "application/octet-stream");
}

static char dir[] = "/tmp/custody-test-hash.XXXXXX";

static char *write_file(const char *name, const char *content, size_t len)
{
	char *path = custody_fs__join(dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	CHECK(write(fd, content, len) == (ssize_t)len);
	close(fd);
	return path;
}

static void test_hash__digests_match_known_answers(void)
{
	struct custody_hash_job jobs[3];
	struct custody_hash_options opts;
	char hex[129];
	char *big = malloc(3 << 20);
	char *paths[3];

	memset(jobs, 0, sizeof(jobs));
	memset(&opts, 0, sizeof(opts));
	opts.sha512 = 1;
	opts.media_type = 1;
	/* FIPS 180-2 examples: "abc" and the empty message */
	paths[0] = write_file("abc.txt", "abc", 3);
	paths[1] = write_file("empty", "", 0);
	/* 3 MiB of 'a' exercises the chunked reads */
	memset(big, 'a', 3 << 20);
	paths[2] = write_file("big", big, 3 << 20);
	for (int i = 0; i < 3; i++) {
		jobs[i].path = paths[i];
		jobs[i].name = paths[i];
	}
	CHECK_INT(custody_hash__run(jobs, 3, &opts, NULL, NULL, NULL), 0);
	CHECK_INT(jobs[0].rc, 0);
	custody_hex(hex, jobs[0].sha256, 32);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223"
		"b00361a396177a9cb410ff61f20015ad");
	custody_hex(hex, jobs[0].sha512, 64);
	CHECK_STR(hex, "ddaf35a193617abacc417349ae204131"
		"12e6fa4e89a97ea20a9eeee64b55d39a"
		"2192992a274fc1a836ba3c23a3feebbd"
		"454d4423643ce80e2a9ac94fa54ca49f");
	CHECK_STR(jobs[0].media_type, "text/plain");
	CHECK_INT(jobs[0].size, 3);
	custody_hex(hex, jobs[1].sha256, 32);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb924"
		"27ae41e4649b934ca495991b7852b855");
	CHECK_INT(jobs[2].size, 3 << 20);
	custody_hex(hex, jobs[2].sha256, 32);
	/* head -c 3145728 /dev/zero | tr '\0' a | sha256sum */
	CHECK_STR(hex, "6f850bc94ae6f7de14297c01616c36d7"
		"12d22864497b28a63b81d776b035e656");
	custody_hash__jobs_clear(jobs, 3);
	for (int i = 0; i < 3; i++)
		free(paths[i]);
	free(big);
}

static void test_hash__missing_file_fails_alone(void)
{
	struct custody_hash_job jobs[2];
	struct custody_hash_options opts;
	char *present = write_file("present", "x", 1);
	char *missing = custody_fs__join(dir, "missing");

	memset(jobs, 0, sizeof(jobs));
	memset(&opts, 0, sizeof(opts));
	jobs[0].path = jobs[0].name = missing;
	jobs[1].path = jobs[1].name = present;
	CHECK_INT(custody_hash__run(jobs, 2, &opts, NULL, NULL, NULL), 0);
	CHECK_INT(jobs[0].rc, CUSTODY_ENOTFOUND);
	CHECK_CONTAINS(jobs[0].error, "missing: cannot open: No such file");
	CHECK_INT(jobs[1].rc, 0);
	custody_hash__jobs_clear(jobs, 2);
	free(present);
	free(missing);
}

static const struct test tests[] = {
	TEST(test_hash__media_type_is_lowercased_and_stripped),
	TEST(test_hash__malformed_media_type_becomes_octet_stream),
	TEST(test_hash__digests_match_known_answers),
	TEST(test_hash__missing_file_fails_alone),
	{ NULL, NULL }
};

int main(void)
{
	char cmd[128];
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	rc = test_run(tests);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
