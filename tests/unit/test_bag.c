/*
 * bag.c: the path encoding of RFC 8493 2.1.3 (CR, LF and '%' as %0D, %0A
 * and %25, nothing else decoded), tag-file lines ending in LF, CR LF or
 * CR (2.3), and the paths that may not name a file of a bag (4.1).
 */
#include "bag.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static void test_bag__encoding_touches_cr_lf_and_percent_only(void)
{
	custody_buf out = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	CHECK_INT(custody_bag_encode_path(&out, "data/a\rb\nc%d e+f~",
		&err), 0);
	CHECK_STR(out.ptr, "data/a%0Db%0Ac%25d e+f~");
	CHECK_INT(out.size, strlen("data/a%0Db%0Ac%25d e+f~"));
	custody_buf_dispose(&out);
}

static void test_bag__decoding_is_exact(void)
{
	size_t literal = 99;
	char *p;

	p = custody_bag__decode_path("data/a%0Db%0ac%25d", 18, &literal);
	CHECK_STR(p, "data/a\rb\nc%d");
	CHECK_INT(literal, 0);
	free(p);
	/* another %XX is part of the name, and counted as a raw '%' */
	p = custody_bag__decode_path("data/a%20b%2", 12, &literal);
	CHECK_STR(p, "data/a%20b%2");
	CHECK_INT(literal, 2);
	free(p);
	/* %2525 is "%25", not "%" */
	p = custody_bag__decode_path("%2525", 5, &literal);
	CHECK_STR(p, "%25");
	CHECK_INT(literal, 0);
	free(p);
}

static void test_bag__lines_end_in_lf_crlf_or_cr(void)
{
	static const char text[] = "one\ntwo\r\nthree\rfour";
	const char *expect[] = { "one", "two", "three", "four" };
	const char *line;
	size_t pos = 0, len, n = 0;

	while (custody_bag__next_line(text, sizeof(text) - 1, &pos, &line,
	    &len)) {
		CHECK(n < 4);
		if (n < 4)
			CHECK(len == strlen(expect[n]) &&
				memcmp(line, expect[n], len) == 0);
		n++;
	}
	CHECK_INT(n, 4);
	/* an empty line between two ends is a line */
	pos = 0;
	n = 0;
	while (custody_bag__next_line("a\n\nb\n", 5, &pos, &line, &len))
		n++;
	CHECK_INT(n, 3);
}

static void test_bag__unsafe_paths(void)
{
	CHECK(custody_bag__unsafe_path("data/a/b.txt") == NULL);
	CHECK(custody_bag__unsafe_path("data/..a") == NULL);
	CHECK(custody_bag__unsafe_path("data/~a") == NULL);
	CHECK_STR(custody_bag__unsafe_path("/etc/x"), "is absolute");
	CHECK_STR(custody_bag__unsafe_path("~/x"),
		"starts with '~' (a home folder)");
	CHECK_STR(custody_bag__unsafe_path("data/../x"),
		"has a '..' component (outside its folder)");
	CHECK_STR(custody_bag__unsafe_path("data/x/.."),
		"has a '..' component (outside its folder)");
	CHECK_STR(custody_bag__unsafe_path("data/./x"),
		"has a '.' component");
	CHECK_STR(custody_bag__unsafe_path("data//x"),
		"has an empty component ('//')");
	CHECK_STR(custody_bag__unsafe_path("data/x/"),
		"ends in '/' (a folder, not a file)");
	CHECK_STR(custody_bag__unsafe_path(""), "is empty");
}

static void test_bag__algorithms_by_manifest_name(void)
{
	CHECK_INT(custody_bag__algorithm("sha512", 6)->size, 64);
	CHECK_INT(custody_bag__algorithm("md5", 3)->size, 16);
	CHECK(custody_bag__algorithm("sha3", 4) == NULL);
	CHECK(custody_bag__algorithm("SHA256", 6) == NULL);
}

static const struct test tests[] = {
	TEST(test_bag__encoding_touches_cr_lf_and_percent_only),
	TEST(test_bag__decoding_is_exact),
	TEST(test_bag__lines_end_in_lf_crlf_or_cr),
	TEST(test_bag__unsafe_paths),
	TEST(test_bag__algorithms_by_manifest_name),
	{ NULL, NULL }
};

int main(void)
{
	return test_run(tests);
}
