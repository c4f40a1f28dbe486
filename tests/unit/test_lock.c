/*
 * The archive lock: two handles exclude each other, a lock file left by
 * a dead holder is reported as stale, and the holder's line is read into
 * the caller's buffer without running past its end.
 */
#include "lock.h"
#include "test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int lock_file(char *dir, size_t dirlen, const char *text)
{
	char path[4200];
	int fd;

	snprintf(dir, dirlen, "/tmp/custody-test-lock-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/custody.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0 && write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void remove_dir(const char *dir)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/custody.lock", dir);
	unlink(path);
	rmdir(dir);
}

static void test_lock__holder_fits_the_buffer(void)
{
	char dir[64], line[400];
	struct { char host[8]; char after[32]; } buf;
	long pid = -1;
	int fd;

	snprintf(line, sizeof(line), "pid 4242 host %0300d\n", 7);
	fd = lock_file(dir, sizeof(dir), line);
	CHECK(fd >= 0);
	memset(&buf, 'Z', sizeof(buf));
	custody_lock__read_holder(fd, &pid, buf.host, sizeof(buf.host));
	CHECK_INT(pid, 4242);
	CHECK_STR(buf.host, "0000000");
	for (size_t i = 0; i < sizeof(buf.after); i++)
		CHECK(buf.after[i] == 'Z');
	close(fd);
	remove_dir(dir);
}

static void test_lock__reads_pid_and_host(void)
{
	char dir[64], host[256];
	long pid = -1;
	int fd = lock_file(dir, sizeof(dir), "pid 17 host newsroom-3\n");

	CHECK(fd >= 0);
	custody_lock__read_holder(fd, &pid, host, sizeof(host));
	CHECK_INT(pid, 17);
	CHECK_STR(host, "newsroom-3");
	close(fd);
	remove_dir(dir);

	/* released cleanly (empty) and not custody's: no holder */
	fd = lock_file(dir, sizeof(dir), "");
	custody_lock__read_holder(fd, &pid, host, sizeof(host));
	CHECK_INT(pid, 0);
	CHECK_STR(host, "");
	close(fd);
	remove_dir(dir);
	fd = lock_file(dir, sizeof(dir), "hello host x\n");
	custody_lock__read_holder(fd, &pid, host, sizeof(host));
	CHECK_INT(pid, 0);
	CHECK_STR(host, "");
	close(fd);
	remove_dir(dir);
}

static void test_lock__excludes_and_reports_stale(void)
{
	char dir[64];
	custody_lock *first = NULL, *second = NULL;
	custody_error *err = NULL;
	char *stale = NULL;
	int fd = lock_file(dir, sizeof(dir), "pid 999999 host elsewhere\n");

	CHECK(fd >= 0);
	close(fd);
	CHECK_INT(custody_lock__acquire(&first, dir, 0, &stale, &err), 0);
	CHECK(stale != NULL);
	CHECK_CONTAINS(stale, "left by process 999999 on elsewhere");
	CHECK_CONTAINS(stale, "taken over");
	free(stale);
	stale = NULL;
	CHECK_INT(custody_lock__acquire(&second, dir, 0, &stale, &err),
		CUSTODY_ELOCKED);
	CHECK(second == NULL);
	CHECK(err != NULL);
	CHECK_CONTAINS(custody_error_message(err), "archive is locked by "
		"process ");
	custody_error_free(err);
	err = NULL;
	custody_lock__release(first);
	CHECK_INT(custody_lock__acquire(&second, dir, 0, &stale, &err), 0);
	CHECK(stale == NULL);   /* released cleanly: nothing stale */
	custody_lock__release(second);
	remove_dir(dir);
}

static const struct test tests[] = {
	TEST(test_lock__holder_fits_the_buffer),
	TEST(test_lock__reads_pid_and_host),
	TEST(test_lock__excludes_and_reports_stale),
	{ NULL, NULL }
};

int main(void)
{
	return test_run(tests);
}
