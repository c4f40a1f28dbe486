/*
 * tlog-policy (policy.c): parse, quorum with groups, format round trip,
 * and refusals naming the line. The keys are vectors of the suite: the
 * log key PeterNeumann from the C2SP signed-note text, the witness keys
 * from data/cosignature/generated.txt (computed independently).
 */
#include "policy.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

#define LOG_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define W1_VKEY "witness.example/w1+eb762cc2+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
#define W2_VKEY "oid/1.3.6.1.4.1.99999.1+534be2af+BD1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM"

static const char good[] =
	"# w1 alone, or w2: a group of a group and a witness\n"
	"log " LOG_VKEY " https://log.example/\n"
	"\n"
	"witness w1 " W1_VKEY " https://w1.example/\n"
	"witness w2 " W2_VKEY "\n"
	"group inner all w1\n"
	"group either any inner w2\n"
	"quorum either\n";

static const char both[] =
	"log " LOG_VKEY "\n"
	"witness w1 " W1_VKEY "\n"
	"witness w2 " W2_VKEY "\n"
	"group two 2 w1 w2\n"
	"quorum two\n";

static struct custody_policy *parse_ok(const char *text)
{
	struct custody_policy *p = NULL;
	custody_error *err = NULL;
	int rc = custody_policy__parse(&p, text, strlen(text), "tlog-policy",
		&err);

	CHECK_INT(rc, 0);
	if (err != NULL)
		fprintf(stderr, "  error: %s\n", custody_error_message(err));
	custody_error_free(err);
	return rc == 0 ? p : NULL;
}

static void refused(const char *text, const char *needle)
{
	struct custody_policy *p = NULL;
	custody_error *err = NULL;

	CHECK_INT(custody_policy__parse(&p, text, strlen(text), "tlog-policy",
		&err), CUSTODY_EINVALID);
	CHECK(p == NULL);
	CHECK(err != NULL);
	if (err != NULL)
		CHECK_CONTAINS(custody_error_message(err), needle);
	custody_error_free(err);
	free(p);
}

static void test_policy__parses_logs_witnesses_groups_quorum(void)
{
	struct custody_policy *p = parse_ok(good);

	if (p == NULL)
		return;
	CHECK_INT(p->nlogs, 1);
	CHECK_STR(p->logs[0].vkey, LOG_VKEY);
	CHECK_STR(p->logs[0].url, "https://log.example/");
	CHECK_INT(p->nwitnesses, 2);
	CHECK_STR(p->witnesses[0].name, "w1");
	CHECK_STR(p->witnesses[1].url, "");
	CHECK_INT(p->ngroups, 2);
	CHECK_INT(custody_policy__threshold(&p->groups[0]), 1);
	CHECK_INT(custody_policy__threshold(&p->groups[1]), 1);
	CHECK_STR(custody_policy__ref_name(p, p->quorum), "either");
	CHECK_INT(custody_policy__find(p, "w2"), 1);
	CHECK_INT(custody_policy__find(p, "nobody"), -2);
	free(p);
}

static void test_policy__quorum_with_groups(void)
{
	struct custody_policy *p = parse_ok(good), *q = parse_ok(both);
	unsigned char cosigned[CUSTODY_POLICY_MAX_WITNESSES] = { 0 };

	if (p == NULL || q == NULL)
		goto done;
	CHECK_INT(custody_policy__quorum_met(p, cosigned), 0);
	CHECK_INT(custody_policy__quorum_met(q, cosigned), 0);
	cosigned[1] = 1;            /* w2 */
	CHECK_INT(custody_policy__quorum_met(p, cosigned), 1);
	CHECK_INT(custody_policy__quorum_met(q, cosigned), 0);
	cosigned[1] = 0;
	cosigned[0] = 1;            /* w1, through the inner group */
	CHECK_INT(custody_policy__quorum_met(p, cosigned), 1);
	CHECK_INT(custody_policy__quorum_met(q, cosigned), 0);
	cosigned[1] = 1;            /* both */
	CHECK_INT(custody_policy__threshold(&q->groups[0]), 2);
	CHECK_INT(custody_policy__quorum_met(q, cosigned), 1);
	/* quorum none: the log's signature alone */
	q->quorum = CUSTODY_POLICY_NONE;
	memset(cosigned, 0, sizeof(cosigned));
	CHECK_INT(custody_policy__quorum_met(q, cosigned), 1);
done:
	free(p);
	free(q);
}

static void test_policy__format_round_trips(void)
{
	struct custody_policy *p = parse_ok(good), *q = NULL;
	custody_buf out = CUSTODY_BUF_INIT, again = CUSTODY_BUF_INIT;
	custody_error *err = NULL;

	if (p == NULL)
		return;
	CHECK_INT(custody_policy__format(p, &out, &err), 0);
	CHECK_INT(custody_policy__parse(&q, out.ptr, out.size, "formatted",
		&err), 0);
	if (q != NULL) {
		CHECK_INT(custody_policy__format(q, &again, &err), 0);
		CHECK_INT(again.size, out.size);
		CHECK(again.size == out.size &&
			memcmp(again.ptr, out.ptr, out.size) == 0);
		CHECK_CONTAINS(out.ptr, "quorum either\n");
		CHECK_CONTAINS(out.ptr, "witness w1 " W1_VKEY
			" https://w1.example/\n");
		CHECK_CONTAINS(out.ptr, "group either any inner w2\n");
	}
	custody_error_free(err);
	custody_buf_dispose(&out);
	custody_buf_dispose(&again);
	free(p);
	free(q);
}

static void test_policy__refusals_name_the_line(void)
{
	refused("log " LOG_VKEY "\nquorum none", "line 2");
	refused("log " LOG_VKEY "\nquorum w1\n", "line 2");
	refused("log " LOG_VKEY "\nwitness w1 " LOG_VKEY "\nquorum none\n",
		"line 2");
	refused("log " LOG_VKEY "\nwitness w1 " W1_VKEY "\nwitness w2 "
		W1_VKEY "\nquorum none\n", "the same public key");
	refused("log " LOG_VKEY "\nwitness w1 " W1_VKEY "\ngroup g 2 w1\n"
		"quorum g\n", "line 3");
	refused("log " LOG_VKEY "\nwitness w1 " W1_VKEY "\ngroup g any w1 w1\n"
		"quorum g\n", "line 3");
	refused("log " LOG_VKEY "\nwitness none " W1_VKEY "\nquorum none\n",
		"line 2");
	refused("log " LOG_VKEY "\nfrobnicate x\nquorum none\n", "line 2");
	refused("log " LOG_VKEY "\n", "no quorum line");
	refused("log " LOG_VKEY "\nquorum none\nquorum none\n", "line 3");
	refused("log " LOG_VKEY "\x01\nquorum none\n", "line 1");
}

static const struct test tests[] = {
	TEST(test_policy__parses_logs_witnesses_groups_quorum),
	TEST(test_policy__quorum_with_groups),
	TEST(test_policy__format_round_trips),
	TEST(test_policy__refusals_name_the_line),
	{ NULL, NULL }
};

int main(void)
{
	return test_run(tests);
}
