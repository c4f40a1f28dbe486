/*
 * The strict YAML reader (yaml.c) on its own: its limits at their exact
 * boundaries, scalar styles, the UTF-8 check; the emitter's bytes, which
 * are libyaml's whether a document is written directly or handed to it.
 */
#include "yaml.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static int yaml_parse(const char *text, size_t len, size_t max,
	custody_error **err)
{
	struct custody_yaml_node *root = NULL;
	int rc = custody_yaml__parse(&root, text, len, max, "t.yaml", err);

	custody_yaml__free(root);
	return rc;
}

static void test_yaml__depth_limit_is_exact(void)
{
	char text[64];
	custody_error *err = NULL;
	int depth = CUSTODY_YAML_MAX_DEPTH;

	memset(text, 0, sizeof(text));
	memset(text, '[', (size_t)depth);
	memset(text + depth, ']', (size_t)depth);
	CHECK_INT(yaml_parse(text, strlen(text), 1024, &err), 0);
	CHECK(err == NULL);
	memset(text, 0, sizeof(text));
	memset(text, '[', (size_t)depth + 1);
	memset(text + depth + 1, ']', (size_t)depth + 1);
	CHECK_INT(yaml_parse(text, strlen(text), 1024, &err),
		CUSTODY_EINVALID);
	CHECK_STR(custody_error_message(err),
		"t.yaml:1:17: nested deeper than 16 levels");
	custody_error_free(err);
}

static void test_yaml__size_limit_is_exact(void)
{
	static const char text[] = "a: 1\n";
	custody_error *err = NULL;

	CHECK_INT(yaml_parse(text, 5, 5, &err), 0);
	CHECK_INT(yaml_parse(text, 5, 4, &err), CUSTODY_EINVALID);
	CHECK_STR(custody_error_message(err),
		"t.yaml: 5 bytes, more than the 4 allowed");
	custody_error_free(err);
}

static void test_yaml__node_limit(void)
{
	size_t n = CUSTODY_YAML_MAX_NODES + 1, len = 0;
	char *text = malloc(n * 3 + 3);
	custody_error *err = NULL;

	CHECK(text != NULL);
	if (text == NULL)
		return;
	text[len++] = '[';
	for (size_t i = 0; i < n; i++) {
		text[len++] = '1';
		text[len++] = ',';
	}
	text[len - 1] = ']';
	/* the sequence and its items: one node too many */
	CHECK_INT(yaml_parse(text, len, 1 << 20, &err), CUSTODY_EINVALID);
	CHECK_CONTAINS(custody_error_message(err), "more than 4096 nodes");
	custody_error_free(err);
	free(text);
}

static void test_yaml__scalar_styles_are_kept(void)
{
	static const char text[] = "a: 12\nb: \"12\"\nc: '12'\nd: |\n  12\n";
	struct custody_yaml_node *root = NULL;
	custody_error *err = NULL;
	uint64_t v;
	const char *s;

	CHECK_INT(custody_yaml__parse(&root, text, sizeof(text) - 1, 1024,
		"t", &err), 0);
	if (root == NULL)
		return;
	CHECK_INT(custody_yaml__uint(custody_yaml__get(root, "a"), 100, &v,
		"t", "a", &err), 0);
	CHECK_INT(v, 12);
	CHECK_INT(custody_yaml__uint(custody_yaml__get(root, "a"), 11, &v,
		"t", "a", &err), CUSTODY_EINVALID);
	CHECK_STR(custody_error_message(err),
		"t:1:4: 'a' is 12, more than 11");
	custody_error_free(err);
	err = NULL;
	CHECK_INT(custody_yaml__string(custody_yaml__get(root, "b"), &s, "t",
		"b", &err), 0);
	CHECK_STR(s, "12");
	CHECK_INT(custody_yaml__string(custody_yaml__get(root, "c"), &s, "t",
		"c", &err), 0);
	CHECK_INT(custody_yaml__string(custody_yaml__get(root, "d"), &s, "t",
		"d", &err), 0);
	CHECK_STR(s, "12\n");
	CHECK_INT(custody_yaml__string(custody_yaml__get(root, "a"), &s, "t",
		"a", &err), CUSTODY_EINVALID);
	CHECK_CONTAINS(custody_error_message(err),
		"t:1:4: 'a' must be a quoted string");
	custody_error_free(err);
	err = NULL;
	CHECK_INT(custody_yaml__uint(custody_yaml__get(root, "b"), 100, &v,
		"t", "b", &err), CUSTODY_EINVALID);
	CHECK_CONTAINS(custody_error_message(err),
		"t:2:4: 'b' must be an unquoted integer");
	CHECK(custody_yaml__get(root, "e") == NULL);
	custody_error_free(err);
	custody_yaml__free(root);
}

static void test_yaml__utf8_checker(void)
{
	CHECK_INT(custody_yaml__bad_utf8("abc", 3), 0);
	CHECK_INT(custody_yaml__bad_utf8("\xc3\xbc\xf0\x9f\x98\x80", 6), 0);
	CHECK_INT(custody_yaml__bad_utf8("ab\xc3", 3), 3);
	CHECK_INT(custody_yaml__bad_utf8("a\xc0\xaf", 3), 2);
	CHECK_INT(custody_yaml__bad_utf8("\xed\xa0\x80", 3), 1);
	CHECK_INT(custody_yaml__bad_utf8("\xf4\x90\x80\x80", 4), 1);
	CHECK_INT(custody_yaml__bad_utf8("\xe0\x9f\xbf", 3), 1);
	CHECK_INT(custody_yaml__bad_utf8("ab\0", 3), 3);
	CHECK_INT(custody_yaml__bad_utf8("\x80", 1), 1);
}

/* The expected texts are what libyaml 0.2.5 writes for the same events
 * with custody's settings. */
static void test_yaml__emitter_bytes_are_libyamls(void)
{
	struct custody_yaml_emitter *em = NULL;
	custody_error *err = NULL;
	custody_buf out;

	/* a flat mapping of identifiers, numbers and plain ASCII: direct */
	CHECK_INT(custody_yaml__emit_begin(&em, &out, &err), 0);
	CHECK_INT(custody_yaml__emit_uint(em, "custody-entry", 2), 0);
	CHECK_INT(custody_yaml__emit_string(em, "type", "register"), 0);
	CHECK_INT(custody_yaml__emit_string(em, "note", "a b"), 0);
	CHECK_INT(custody_yaml__emit_string(em, "absent", NULL), 0);
	CHECK_INT(custody_yaml__emit_end(em), 0);
	CHECK_STR(out.ptr, "custody-entry: 2\ntype: \"register\"\n"
		"note: \"a b\"\n");
	custody_yaml__emitter_free(em);
	custody_buf_dispose(&out);

	/* a tab to escape half way: what was written is replayed */
	CHECK_INT(custody_yaml__emit_begin(&em, &out, &err), 0);
	CHECK_INT(custody_yaml__emit_uint(em, "a", 1), 0);
	CHECK_INT(custody_yaml__emit_string(em, "b", "x\ty"), 0);
	CHECK_INT(custody_yaml__emit_string(em, "c", "z"), 0);
	CHECK_INT(custody_yaml__emit_end(em), 0);
	CHECK_STR(out.ptr, "a: 1\nb: \"x\\ty\"\nc: \"z\"\n");
	custody_yaml__emitter_free(em);
	custody_buf_dispose(&out);

	/* UTF-8 and a key that is not a lowercase identifier */
	CHECK_INT(custody_yaml__emit_begin(&em, &out, &err), 0);
	CHECK_INT(custody_yaml__emit_string(em, "path", "caf\xc3\xa9"), 0);
	CHECK_INT(custody_yaml__emit_uint(em, "Caps", 7), 0);
	CHECK_INT(custody_yaml__emit_end(em), 0);
	CHECK_STR(out.ptr, "path: \"caf\xc3\xa9\"\nCaps: 7\n");
	custody_yaml__emitter_free(em);
	custody_buf_dispose(&out);

	/* a nested sequence after direct lines */
	CHECK_INT(custody_yaml__emit_begin(&em, &out, &err), 0);
	CHECK_INT(custody_yaml__emit_uint(em, "index", 3), 0);
	CHECK_INT(custody_yaml__emit_plain(em, "documents"), 0);
	CHECK_INT(custody_yaml__emit_sequence_start(em), 0);
	CHECK_INT(custody_yaml__emit_mapping_start(em), 0);
	CHECK_INT(custody_yaml__emit_uint(em, "index", 0), 0);
	CHECK_INT(custody_yaml__emit_string(em, "sha256", "ab"), 0);
	CHECK_INT(custody_yaml__emit_mapping_end(em), 0);
	CHECK_INT(custody_yaml__emit_sequence_end(em), 0);
	CHECK_INT(custody_yaml__emit_end(em), 0);
	CHECK_STR(out.ptr, "index: 3\ndocuments:\n- index: 0\n"
		"  sha256: \"ab\"\n");
	custody_yaml__emitter_free(em);
	custody_buf_dispose(&out);

	/* nothing at all */
	CHECK_INT(custody_yaml__emit_begin(&em, &out, &err), 0);
	CHECK_INT(custody_yaml__emit_end(em), 0);
	CHECK_STR(out.ptr, "{}\n");
	custody_yaml__emitter_free(em);
	custody_buf_dispose(&out);
	CHECK(err == NULL);
}

static const struct test tests[] = {
	TEST(test_yaml__depth_limit_is_exact),
	TEST(test_yaml__size_limit_is_exact),
	TEST(test_yaml__node_limit),
	TEST(test_yaml__scalar_styles_are_kept),
	TEST(test_yaml__utf8_checker),
	TEST(test_yaml__emitter_bytes_are_libyamls),
	{ NULL, NULL }
};

int main(void)
{
	return test_run(tests);
}
