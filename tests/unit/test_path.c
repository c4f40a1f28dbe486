/*
 * Path rules (custody_path__check), NFC detection, the collision key
 * (custody_path__fold) and how paths are quoted in messages.
 */
#include "fsutil.h"
#include "path.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_path__accepts_ordinary_names(void)
{
	static const char *const good[] = {
		"a",
		"folder/file name \xc3\xbc.pdf",
		"\xe6\x8a\xa5\xe5\x91\x8a/2026/r\xc3\xa9sum\xc3\xa9.docx",
		"emoji \xf0\x9f\x98\x80.txt",
		".gitignore",
		".gitmodules/x",
		".git-foo",
		"a.git",
		"git~2",
		"gitx~1",
		".custody.bak",
		"custody",
		"...",
		"..a",
		"a/.b/c",
		"x:y",
		" leading and trailing space ",
		"tab\there", "line\nfeed", "carriage\rreturn", "Icon\r",
		"a\n\r\t/\nb\n",
		NULL
	};
	for (size_t i = 0; good[i] != NULL; i++) {
		custody_error *err = NULL;

		CHECK_INT(custody_path__check(good[i], &err), 0);
		if (err != NULL)
			fprintf(stderr, "  %s\n", custody_error_message(err));
		custody_error_free(err);
	}
}

static void test_path__accepts_4096_bytes_not_4097(void)
{
	char path[4098];
	custody_error *err = NULL;

	memset(path, 'a', 4096);
	path[4096] = '\0';
	CHECK_INT(custody_path__check(path, &err), 0);
	path[4096] = 'a';
	path[4097] = '\0';
	CHECK_INT(custody_path__check(path, &err), CUSTODY_EINVALID);
	CHECK_CONTAINS(custody_error_message(err),
		"is 4097 bytes long, more than 4096");
	custody_error_free(err);
}

static const struct {
	const char *path;
	const char *message;
} refused[] = {
	{ "", "path is empty" },
	{ "/etc/passwd", "path '/etc/passwd' is absolute" },
	{ "a//b", "path 'a//b' has an empty component" },
	{ "a/", "path 'a/' has an empty component" },
	{ ".", "path '.' has a '.' component" },
	{ "a/./b", "path 'a/./b' has a '.' component" },
	{ "..", "path '..' has a '..' component" },
	{ "a/../b", "path 'a/../b' has a '..' component" },
	{ "a\\b", "path 'a\\x5cb' contains a backslash" },
	{ "a\x01" "b", "path 'a\\u{0001}b' contains a control character" },
	{ "a\x1b" "b", "path 'a\\u{001b}b' contains a control character (at "
		"byte 2); of those, only tab, line feed and carriage return "
		"may be in a name" },
	{ "a\x7f" "b", "path 'a\\u{007f}b' contains a control character" },
	{ "a\xff" "b", "path 'a\\xffb' is not valid UTF-8 (at byte 2)" },
	/* code points a terminal acts on, or that reorder the text */
	{ "a\xc2\x85" "b", "path 'a\\u{0085}b' contains U+0085 (a C1 control "
	  "character) at byte 2; names that terminals act on or that "
	  "reorder text are never registered" },
	{ "a\xc2\x9b" "b", "path 'a\\u{009b}b' contains U+009B (a C1 control "
	  "character) at byte 2" },
	{ "x/a\xc2\x80", "contains U+0080 (a C1 control character) at byte 4" },
	{ "a\xc2\x9f", "contains U+009F (a C1 control character) at byte 2" },
	{ "invoice\xe2\x80\xae" "fdp.exe", "path 'invoice\\u{202e}fdp.exe' "
	  "contains U+202E (RIGHT-TO-LEFT OVERRIDE) at byte 8" },
	{ "a\xe2\x80\xaa", "contains U+202A (LEFT-TO-RIGHT EMBEDDING)" },
	{ "a\xe2\x80\xab", "contains U+202B (RIGHT-TO-LEFT EMBEDDING)" },
	{ "a\xe2\x80\xac", "contains U+202C (POP DIRECTIONAL FORMATTING)" },
	{ "a\xe2\x80\xad", "contains U+202D (LEFT-TO-RIGHT OVERRIDE)" },
	{ "a\xe2\x80\x8e", "contains U+200E (LEFT-TO-RIGHT MARK)" },
	{ "a\xe2\x80\x8f", "contains U+200F (RIGHT-TO-LEFT MARK)" },
	{ "a\xd8\x9c", "contains U+061C (ARABIC LETTER MARK)" },
	{ "a\xe2\x81\xa6", "contains U+2066 (LEFT-TO-RIGHT ISOLATE)" },
	{ "a\xe2\x81\xa7", "contains U+2067 (RIGHT-TO-LEFT ISOLATE)" },
	{ "a\xe2\x81\xa8", "contains U+2068 (FIRST STRONG ISOLATE)" },
	{ "a\xe2\x81\xa9", "contains U+2069 (POP DIRECTIONAL ISOLATE)" },
	{ "a\xe2\x80\xa8" "b", "path 'a\\u{2028}b' contains U+2028 (LINE "
	  "SEPARATOR) at byte 2" },
	{ "a\xe2\x80\xa9" "b", "contains U+2029 (PARAGRAPH SEPARATOR) at "
	  "byte 2" },
	{ "a\xc0\xaf", "is not valid UTF-8" },
	{ "\xed\xa0\x80", "is not valid UTF-8" },
	{ ".git", "component '.git' is reserved" },
	{ "a/.git/config", "component '.git' is reserved" },
	{ ".GIT", "component '.GIT' is reserved" },
	{ ".Git/x", "component '.Git' is reserved" },
	{ ".git.", "component '.git.' is reserved" },
	{ ".git ", "component '.git ' is reserved" },
	{ ".git. . ", "component '.git. . ' is reserved" },
	{ ".git::$INDEX_ALLOCATION", "is reserved" },
	{ "git~1", "component 'git~1' is reserved" },
	{ "GIT~1/x", "component 'GIT~1' is reserved" },
	{ ".custody", "component '.custody' is reserved" },
	{ "x/.CUSTODY/y", "component '.CUSTODY' is reserved" },
	{ "CUSTOD~1", "component 'CUSTOD~1' is reserved" },
	/* HFS+ ignores these code points: .g<ZWNJ>it is .git there */
	{ ".g\xe2\x80\x8cit", "component '.g\\u{200c}it' is reserved" },
	{ ".git\xe2\x80\x8e", "component '.git\\u{200e}' is reserved" },
	{ ".git\xef\xbb\xbf", "component '.git\\u{feff}' is reserved" },
	{ ".git\xc2\xad", "component '.git\\u{00ad}' is reserved" },
	/* case folding maps the long s to s */
	{ ".cu\xc5\xbftody", "is reserved" },
	{ "\xc4\xb0.git", NULL },
	{ NULL, NULL }
};

static void test_path__refuses_with_a_precise_message(void)
{
	for (size_t i = 0; refused[i].path != NULL; i++) {
		custody_error *err = NULL;
		int rc = custody_path__check(refused[i].path, &err);

		if (refused[i].message == NULL) {
			/* listed to show it is not a reserved name */
			CHECK_INT(rc, 0);
		} else {
			CHECK_INT(rc, CUSTODY_EINVALID);
			CHECK_INT(custody_error_code(err), CUSTODY_EINVALID);
			CHECK_CONTAINS(custody_error_message(err),
				refused[i].message);
		}
		custody_error_free(err);
	}
}

/* Hashes only, a .git folder's names pass (in any spelling); .custody
 * never does. */
static void test_path__hashes_only_accepts_git_folders_not_custody(void)
{
	static const char *const git[] = { ".git", "leak/.git/config",
		"leak/.GIT/HEAD", "a/.git./x", "GIT~1/x", "a/.g\xe2\x80\x8cit/x",
		NULL };
	static const char *const custody[] = { ".custody", "a/.CUSTODY/x",
		"custod~1", NULL };
	custody_error *err = NULL;

	for (size_t i = 0; git[i] != NULL; i++) {
		CHECK_INT(custody_path__check_hashes_only(git[i], 0, &err), 0);
		CHECK_INT(custody_path__check(git[i], NULL), CUSTODY_EINVALID);
		CHECK(custody_path__git_prefix(git[i]) > 0);
	}
	CHECK_INT(custody_path__git_prefix("leak/.git/config"), 9);
	CHECK_INT(custody_path__git_prefix("leak/.GIT"), 9);
	CHECK_INT(custody_path__git_prefix("leak/.gitignore"), 0);
	CHECK_INT(custody_path__git_prefix("a.git/b"), 0);
	for (size_t i = 0; custody[i] != NULL; i++) {
		CHECK_INT(custody_path__check_hashes_only(custody[i], 0, &err),
			CUSTODY_EINVALID);
		CHECK_CONTAINS(custody_error_message(err), "is reserved "
			"(.custody, in any spelling, is never registered)");
		custody_error_free(err);
		err = NULL;
		CHECK_INT(custody_path__git_prefix(custody[i]), 0);
	}
	/* the other rules still hold */
	CHECK_INT(custody_path__check_hashes_only("leak/.git/../x", 0, &err),
		CUSTODY_EINVALID);
	custody_error_free(err);
}

static void test_path__is_nfc(void)
{
	CHECK_INT(custody_path__is_nfc("plain ascii"), 1);
	CHECK_INT(custody_path__is_nfc("r\xc3\xa9sum\xc3\xa9"), 1);
	CHECK_INT(custody_path__is_nfc("re\xcc\x81sume\xcc\x81"), 0);
	/* U+212B ANGSTROM SIGN is NFC-normalised to U+00C5 */
	CHECK_INT(custody_path__is_nfc("\xe2\x84\xab"), 0);
	CHECK_INT(custody_path__is_nfc("\xff"), 0);
	CHECK_INT(custody_path__is_nfc(""), 1);
}

static void check_same_key(const char *a, const char *b, int same)
{
	char *ka = NULL, *kb = NULL;
	custody_error *err = NULL;

	CHECK_INT(custody_path__fold(a, &ka, &err), 0);
	CHECK_INT(custody_path__fold(b, &kb, &err), 0);
	CHECK(ka != NULL && kb != NULL);
	if (ka != NULL && kb != NULL && (strcmp(ka, kb) == 0) != same)
		CHECK(!"fold keys differ from what was expected");
	free(ka);
	free(kb);
	custody_error_free(err);
}

static void test_path__fold_finds_case_and_normalisation_collisions(void)
{
	char *key = NULL;
	custody_error *err = NULL;

	check_same_key("Folder/File.PDF", "folder/file.pdf", 1);
	check_same_key("r\xc3\xa9sum\xc3\xa9", "re\xcc\x81sume\xcc\x81", 1);
	check_same_key("R\xc3\x89SUM\xc3\x89", "r\xc3\xa9sum\xc3\xa9", 1);
	check_same_key("Stra\xc3\x9f" "e", "STRASSE", 1);
	check_same_key("a/b", "a/c", 0);
	check_same_key("a/b", "a b", 0);
	CHECK_INT(custody_path__fold("ABC/\xc3\x9c", &key, &err), 0);
	CHECK_STR(key, "abc/\xc3\xbc");
	free(key);
	CHECK_INT(custody_path__fold("a\xff", &key, &err), CUSTODY_EINVALID);
	CHECK(key == NULL);
	CHECK_CONTAINS(custody_error_message(err), "path 'a\\xff'");
	custody_error_free(err);
}

static void test_path__quote_escapes_and_truncates(void)
{
	char out[16];
	char big[64];

	custody_path__quote(big, sizeof(big),
		"a\tb\\c\xff\xe2\x80\x8c\xc3\xbc");
	CHECK_STR(big, "a\\u{0009}b\\x5cc\\xff\\u{200c}\xc3\xbc");
	custody_path__quote(out, sizeof(out), "0123456789abcdefghij");
	CHECK_STR(out, "0123456789ab...");
	custody_path__quote(out, sizeof(out), "short");
	CHECK_STR(out, "short");
	/* a multi-byte character is never cut in half */
	custody_path__quote(out, sizeof(out), "0123456789a\xc3\xbc\xc3\xbc");
	CHECK_STR(out, "0123456789a...");
}

/* root/a/b/f, root/lnk -> a, root/a/flink -> b/f, outside/f */
static int make_beneath_tree(char *root, size_t len)
{
	char path[512];
	int fd;

	snprintf(root, len, "/tmp/custody-beneath.XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/a", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/a/b", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/a/b/f", root);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/lnk", root);
	if (symlink("a", path) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/a/flink", root);
	return symlink("b/f", path);
}

static void check_beneath(int root_fd)
{
	const char *name;
	int fd;

	fd = custody_fs__open_beneath(root_fd, "a/b/f", O_RDONLY, 0);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	fd = custody_fs__open_beneath(root_fd, "", O_RDONLY | O_DIRECTORY, 0);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	/* a link on the way, a link at the end, a way out */
	errno = 0;
	CHECK_INT(custody_fs__open_beneath(root_fd, "lnk/b/f", O_RDONLY, 0),
		-1);
	CHECK_INT(errno, ELOOP);
	errno = 0;
	CHECK_INT(custody_fs__open_beneath(root_fd, "a/flink", O_RDONLY, 0),
		-1);
	CHECK_INT(errno, ELOOP);
	errno = 0;
	CHECK_INT(custody_fs__open_beneath(root_fd, "a/../../x", O_RDONLY, 0),
		-1);
	CHECK_INT(errno, EXDEV);
	/* the parent, made where missing, never through a link */
	fd = custody_fs__open_parent(root_fd, "a/new/deeper/f", 1, &name);
	CHECK(fd >= 0);
	CHECK_STR(name, "f");
	if (fd >= 0)
		close(fd);
	CHECK_INT(custody_fs__open_parent(root_fd, "lnk/new2/f", 1, &name),
		-1);
	CHECK_INT(faccessat(root_fd, "a/new2", F_OK, 0), -1);
}

static void test_path__open_beneath_refuses_links_and_ways_out(void)
{
	char root[64], cmd[128];
	int root_fd;

	CHECK_INT(make_beneath_tree(root, sizeof(root)), 0);
	root_fd = open(root, O_PATH | O_DIRECTORY);
	CHECK(root_fd >= 0);
	check_beneath(root_fd);
	/* the same without openat2, as on an older kernel */
	custody_fs__use_openat2(0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s/a/new", root);
	CHECK_INT(system(cmd), 0);
	check_beneath(root_fd);
	custody_fs__use_openat2(1);
	close(root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK_INT(system(cmd), 0);
}

/* custody_quote: the one rule names are shown by (git's quotePath). */
static void test_quote__escapes_controls_quotes_and_bad_bytes(void)
{
	static const struct {
		const char *name, *as_name, *as_text;
	} cases[] = {
		{ "plain \xc3\xbc.txt", "plain \xc3\xbc.txt",
			"plain \xc3\xbc.txt" },
		{ "a\nverified: ok", "\"a\\nverified: ok\"",
			"a\\nverified: ok" },
		{ "x\r\ty", "\"x\\r\\ty\"", "x\\r\\ty" },
		{ "q\"b\\s", "\"q\\\"b\\\\s\"", "q\"b\\s" },
		{ "e\033[0m", "\"e\\033[0m\"", "e\\033[0m" },
		{ "inv\xe2\x80\xae" "fdp", "\"inv\\342\\200\\256fdp\"",
			"inv\\342\\200\\256fdp" },
		{ "bad\xff", "\"bad\\377\"", "bad\\377" },
	};
	char out[64], small[6];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(custody_quote(out, sizeof(out), cases[i].name, 1),
			strlen(cases[i].as_name));
		CHECK_STR(out, cases[i].as_name);
		CHECK_INT(custody_quote(out, sizeof(out), cases[i].name, 0),
			strlen(cases[i].as_text));
		CHECK_STR(out, cases[i].as_text);
	}
	/* cut short, NUL-terminated, the whole length still returned */
	CHECK_INT(custody_quote(small, sizeof(small), "a\nverified", 1), 13);
	CHECK_STR(small, "\"a\\nv");
	CHECK_INT(custody_quote(NULL, 0, "a\nb", 1), 6);
}

static const struct test tests[] = {
	TEST(test_quote__escapes_controls_quotes_and_bad_bytes),
	TEST(test_path__open_beneath_refuses_links_and_ways_out),
	TEST(test_path__accepts_ordinary_names),
	TEST(test_path__accepts_4096_bytes_not_4097),
	TEST(test_path__refuses_with_a_precise_message),
	TEST(test_path__hashes_only_accepts_git_folders_not_custody),
	TEST(test_path__is_nfc),
	TEST(test_path__fold_finds_case_and_normalisation_collisions),
	TEST(test_path__quote_escapes_and_truncates),
	{ NULL, NULL }
};

int main(void)
{
	return test_run(tests);
}
