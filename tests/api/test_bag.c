/*
 * custody/bag.h: a bag validated through the public API as an outside
 * program would, every problem handed to the callback with its file,
 * line and section; the path encoding.
 */
#include "api.h"

struct seen {
	int n;
	char lines[8][512];
};

static int collect(const custody_bag_problem *p, void *payload)
{
	struct seen *s = payload;

	if (s->n < 8)
		snprintf(s->lines[s->n], sizeof(s->lines[0]),
			"%s %s:%zu %s %s: %s",
			p->severity == CUSTODY_BAG_ERROR ? "error" : "warning",
			p->file, p->line, p->path ? p->path : "-", p->section,
			p->message);
	s->n++;
	return 0;
}

static void make_bag(const char *manifest)
{
	api_mkdir("bag");
	api_mkdir("bag/data");
	api_write("bag/bagit.txt", "BagIt-Version: 1.0\n"
		"Tag-File-Character-Encoding: UTF-8\n");
	api_write("bag/data/a.txt", "hello\n");
	api_write("bag/manifest-sha256.txt", manifest);
}

static void test_bag__a_valid_bag_validates_with_its_summary(void)
{
	custody_bag_validate_options opts = CUSTODY_BAG_VALIDATE_OPTIONS_INIT;
	custody_bag_summary sum;
	custody_error *err = NULL;
	struct seen seen = { 0, { "" } };

	make_bag("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6"
		"be03  data/a.txt\n");
	opts.problem = collect;
	opts.payload = &seen;
	EXPECT_OK(custody_bag_validate("bag", &opts, &sum, &err));
	EXPECT_INT(seen.n, 0);
	EXPECT_INT(sum.struct_version, CUSTODY_BAG_SUMMARY_VERSION);
	EXPECT_INT(sum.valid, 1);
	EXPECT_INT(sum.complete, 1);
	EXPECT_INT(sum.payload_files, 1);
	EXPECT_INT(sum.payload_bytes, 6);
	EXPECT_STR(sum.bagit_version, "1.0");
	EXPECT_STR(sum.algorithms, "sha256");
}

static void test_bag__every_problem_reaches_the_callback(void)
{
	custody_bag_validate_options opts = CUSTODY_BAG_VALIDATE_OPTIONS_INIT;
	custody_bag_summary sum;
	custody_error *err = NULL;
	struct seen seen = { 0, { "" } };

	make_bag("0000000000000000000000000000000000000000000000000000000000000"
		"000  data/a.txt\n"
		"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6"
		"be03  data/../x\n");
	opts.problem = collect;
	opts.payload = &seen;
	EXPECT_ERROR(custody_bag_validate("bag", &opts, &sum, &err),
		CUSTODY_EVERIFY, "bag: not a valid bag: 2 errors");
	EXPECT_INT(seen.n, 2);
	EXPECT_STR(seen.lines[0], "error manifest-sha256.txt:2 data/../x 4.1: "
		"path has a '..' component (outside its folder)");
	EXPECT_STR(seen.lines[1], "error manifest-sha256.txt:1 data/a.txt 3: "
		"the file's sha256 is 5891b5b522d5df086d0ff0b110fbd9d21bb4fc71"
		"63af34d08286a2e846f6be03, not the one listed");
	EXPECT_INT(sum.valid, 0);
	EXPECT_INT(sum.errors, 2);
}

static void test_bag__no_such_folder_and_bad_options(void)
{
	custody_bag_validate_options opts = CUSTODY_BAG_VALIDATE_OPTIONS_INIT;
	custody_error *err = NULL;

	EXPECT_ERROR(custody_bag_validate("nowhere", NULL, NULL, &err),
		CUSTODY_ENOTFOUND, "nowhere: cannot open the bag");
	opts.version = CUSTODY_BAG_VALIDATE_OPTIONS_VERSION + 1;
	EXPECT_ERROR(custody_bag_validate("nowhere", &opts, NULL, &err),
		CUSTODY_EINVALID, "custody_bag_validate_options has version");
}

static void test_bag__paths_encode_cr_lf_and_percent(void)
{
	custody_buf out = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	EXPECT_OK(custody_bag_encode_path(&out, "data/50% off\r\n.txt", &err));
	EXPECT_STR(out.ptr, "data/50%25 off%0D%0A.txt");
	custody_buf_dispose(&out);
}

int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(test_bag__a_valid_bag_validates_with_its_summary),
		API_TEST(test_bag__every_problem_reaches_the_callback),
		API_TEST(test_bag__no_such_folder_and_bad_options),
		API_TEST(test_bag__paths_encode_cr_lf_and_percent),
		{ NULL, NULL }
	};
	return api_main("bag", tests);
}
