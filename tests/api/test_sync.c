/*
 * Partner sync (custody/sync.h), as an outside program uses it: remote
 * names judged before an archive is opened, and the remotes kept in the
 * archive's git config. Clones, fetches and pushes over real servers
 * are tests/cli/t-sync.sh's.
 */
#include "api.h"

struct remotes_seen {
	int n;
	char *names[4], *urls[4];
};

static int on_remote(const char *name, const char *url, void *payload)
{
	struct remotes_seen *s = payload;

	if (s->n < 4) {
		s->names[s->n] = api_printf("%s", name);
		s->urls[s->n] = api_printf("%s", url);
	}
	s->n++;
	return 0;
}

static void test_sync__remote_names_follow_gits_rule(void)
{
	EXPECT(custody_remote_name_check("origin") == NULL);
	EXPECT(custody_remote_name_check("partner-1.example_x") == NULL);
	EXPECT_STR(custody_remote_name_check("bad name"),
		"is not a name for a remote (letters, digits, '-', '_', '.')");
	EXPECT(custody_remote_name_check("a/b") != NULL);
	EXPECT(custody_remote_name_check("") != NULL);
	EXPECT(custody_remote_name_check("..") != NULL);
}

static void test_sync__remotes_are_added_listed_and_removed(void)
{
	custody_error *err = NULL;
	custody_key *key = api_key();
	custody_archive *archive = api_archive(key, "a.txt", "a\n", NULL);
	struct remotes_seen s;

	REQUIRE_OK(custody_archive_remote_add(archive, "partner",
		"git://127.0.0.1:9/coll/.custody", &err));
	EXPECT_ERROR(custody_archive_remote_add(archive, "partner",
		"git://127.0.0.1:9/other", &err), CUSTODY_EEXISTS,
		"already a remote named 'partner'");
	EXPECT_ERROR(custody_archive_remote_add(archive, "bad name",
		"git://127.0.0.1:9/x", &err), CUSTODY_EINVALID,
		"'bad name' is not a name for a remote");
	memset(&s, 0, sizeof(s));
	REQUIRE_OK(custody_archive_remotes(archive, on_remote, &s, &err));
	REQUIRE(s.n == 1);
	EXPECT_STR(s.names[0], "partner");
	EXPECT_STR(s.urls[0], "git://127.0.0.1:9/coll/.custody");
	REQUIRE_OK(custody_archive_remote_remove(archive, "partner", &err));
	EXPECT_ERROR(custody_archive_remote_remove(archive, "partner", &err),
		CUSTODY_ENOTFOUND, "partner");
	memset(&s, 0, sizeof(s));
	REQUIRE_OK(custody_archive_remotes(archive, on_remote, &s, &err));
	EXPECT_INT(s.n, 0);
	custody_archive_free(archive);
	custody_key_free(key);
}

int main(void)
{
	static const struct api_test tests[] = {
		API_TEST(test_sync__remote_names_follow_gits_rule),
		API_TEST(test_sync__remotes_are_added_listed_and_removed),
		{ NULL, NULL }
	};
	return api_main("sync", tests);
}
