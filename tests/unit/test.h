/*
 * A minimal unit-test harness: each test is a function registered in a
 * table; CHECK* macros record failures with file:line and go on.
 *
 *   static void test_entry__parse_rejects_alias(void) { CHECK(...); }
 *   static const struct test tests[] = { TEST(test_entry__...), {0} };
 *   int main(void) { return test_run(tests); }
 */
#ifndef CUSTODY_TEST_H
#define CUSTODY_TEST_H

#include <stdio.h>
#include <string.h>
#include <inttypes.h>

struct test {
	const char *name;
	void (*fn)(void);
};

#define TEST(fn) { #fn, fn }

static int test_failures_;

#define CHECK(cond) do { if (!(cond)) { test_failures_++; \
	fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, \
		#cond); } } while (0)

#define CHECK_INT(a, b) do { long long a_ = (long long)(a), \
	b_ = (long long)(b); if (a_ != b_) { test_failures_++; \
	fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
		__FILE__, __LINE__, #a, a_, #b, b_); } } while (0)

#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) { \
	test_failures_++; fprintf(stderr, \
		"%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
		#a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } } while (0)

/* the message contains the substring */
#define CHECK_CONTAINS(hay, needle) do { const char *h_ = (hay), \
	*n_ = (needle); if (h_ == NULL || strstr(h_, n_) == NULL) { \
	test_failures_++; fprintf(stderr, \
		"%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, \
		h_ ? h_ : "(null)", n_); } } while (0)

static inline int test_run(const struct test *tests)
{
	int passed = 0, failed = 0;

	for (const struct test *t = tests; t->name != NULL; t++) {
		int before = test_failures_;

		t->fn();
		if (test_failures_ == before) {
			passed++;
			printf("ok   %s\n", t->name);
		} else {
			failed++;
			printf("FAIL %s\n", t->name);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#endif
