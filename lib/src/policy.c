/*
 * C2SP tlog-policy files: parse, check, write, and judge a quorum.
 */
#include "policy.h"
#include "common.h"
#include "fsutil.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS (3 + CUSTODY_POLICY_MAX_WITNESSES + CUSTODY_POLICY_MAX_GROUPS)

struct item {
	const char *p;
	size_t n;
};

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int item_is(const struct item *it, const char *word)
{
	return it->n == strlen(word) && memcmp(it->p, word, it->n) == 0;
}

const char *custody_policy__ref_name(const struct custody_policy *p,
	int ref)
{
	if (ref == CUSTODY_POLICY_NONE)
		return "none";
	if (ref >= CUSTODY_POLICY_GROUP_BASE)
		return p->groups[ref - CUSTODY_POLICY_GROUP_BASE].name;
	return p->witnesses[ref].name;
}

int custody_policy__find(const struct custody_policy *p, const char *name)
{
	for (size_t i = 0; i < p->nwitnesses; i++)
		if (strcmp(p->witnesses[i].name, name) == 0)
			return (int)i;
	for (size_t j = 0; j < p->ngroups; j++)
		if (strcmp(p->groups[j].name, name) == 0)
			return CUSTODY_POLICY_GROUP_BASE + (int)j;
	return -2;
}

size_t custody_policy__threshold(const struct custody_policy_group *g)
{
	switch (g->rule) {
	case CUSTODY_POLICY_ANY:
		return 1;
	case CUSTODY_POLICY_ALL:
		return g->nmembers;
	default:
		return g->k;
	}
}

/* A name to define: not "none", not defined before, at most 255 bytes. */
static int new_name(const struct custody_policy *p, const struct item *it,
	char out[CUSTODY_POLICY_NAME_MAX + 1], const char *what, size_t line,
	custody_error **err)
{
	if (it->n > CUSTODY_POLICY_NAME_MAX)
		return custody__error(err, CUSTODY_EINVALID, "%s line %zu: the "
			"name is longer than %d bytes", what, line,
			CUSTODY_POLICY_NAME_MAX);
	memcpy(out, it->p, it->n);
	out[it->n] = '\0';
	if (strcmp(out, "none") == 0)
		return custody__error(err, CUSTODY_EINVALID, "%s line %zu: "
			"\"none\" is predefined and cannot be defined again",
			what, line);
	if (custody_policy__find(p, out) != -2)
		return custody__error(err, CUSTODY_EINVALID, "%s line %zu: "
			"\"%s\" is already defined", what, line, out);
	return 0;
}

static int copy_text(char *out, size_t max, const struct item *it,
	const char *kind, const char *what, size_t line, custody_error **err)
{
	if (it->n > max)
		return custody__error(err, CUSTODY_EINVALID, "%s line %zu: the "
			"%s is longer than %zu bytes", what, line, kind, max);
	memcpy(out, it->p, it->n);
	out[it->n] = '\0';
	return 0;
}

static int log_line(struct custody_policy *p, const struct item *items,
	size_t n, const char *what, size_t line, custody_error **err)
{
	struct custody_policy_log *l;
	custody_error *why = NULL;
	int rc;

	if (n < 2 || n > 3)
		return custody__error(err, CUSTODY_EINVALID, "%s line %zu: a "
			"log line is \"log <vkey> [<url>]\"", what, line);
	if (p->nlogs == CUSTODY_POLICY_MAX_LOGS)
		return custody__error(err, CUSTODY_EINVALID, "%s line %zu: more "
			"than %d logs", what, line, CUSTODY_POLICY_MAX_LOGS);
	l = &p->logs[p->nlogs];
	memset(l, 0, sizeof(*l));
	if ((rc = copy_text(l->vkey, CUSTODY_POLICY_VKEY_MAX, &items[1],
	    "key", what, line, err)) != 0 || (n == 3 && (rc = copy_text(l->url,
	    CUSTODY_POLICY_URL_MAX, &items[2], "URL", what, line, err)) != 0))
		return rc;
	if (custody_note__verifier_from_vkey(&l->v, items[1].p, items[1].n,
	    &why) != 0) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s line %zu: the "
			"log key: %s", what, line, custody_error_message(why));
		custody_error_free(why);
		return rc;
	}
	p->nlogs++;
	return 0;
}

static int witness_line(struct custody_policy *p, const struct item *items,
	size_t n, const char *what, size_t line, custody_error **err)
{
	struct custody_policy_witness *w;
	custody_error *why = NULL;
	int rc;

	if (n < 3 || n > 4)
		return custody__error(err, CUSTODY_EINVALID, "%s line %zu: a "
			"witness line is \"witness <name> <vkey> [<url>]\"",
			what, line);
	if (p->nwitnesses == CUSTODY_POLICY_MAX_WITNESSES)
		return custody__error(err, CUSTODY_EINVALID, "%s line %zu: more "
			"than %d witnesses", what, line,
			CUSTODY_POLICY_MAX_WITNESSES);
	w = &p->witnesses[p->nwitnesses];
	memset(w, 0, sizeof(*w));
	if ((rc = new_name(p, &items[1], w->name, what, line, err)) != 0 ||
	    (rc = copy_text(w->vkey, CUSTODY_POLICY_VKEY_MAX, &items[2],
	    "key", what, line, err)) != 0 || (n == 4 && (rc = copy_text(w->url,
	    CUSTODY_POLICY_URL_MAX, &items[3], "URL", what, line, err)) != 0))
		return rc;
	if (custody_cosig__verifier_from_vkey(&w->v, items[2].p, items[2].n,
	    &why) != 0) {
		rc = custody__error(err, CUSTODY_EINVALID, "%s line %zu: "
			"witness %s: %s", what, line, w->name,
			custody_error_message(why));
		custody_error_free(why);
		return rc;
	}
	p->nwitnesses++;
	return 0;
}

/* A decimal k without leading zeros, 1 or more. */
static int parse_k(const struct item *it, size_t *out)
{
	size_t k = 0;

	if (it->n == 0 || it->n > 4 || it->p[0] == '0')
		return -1;
	for (size_t i = 0; i < it->n; i++) {
		if (it->p[i] < '0' || it->p[i] > '9')
			return -1;
		k = k * 10 + (size_t)(it->p[i] - '0');
	}
	*out = k;
	return 0;
}

/* A name defined earlier, as a reference; -2 (reported) if none. */
static int earlier(const struct custody_policy *p, const struct item *it,
	const char *what, size_t line, custody_error **err)
{
	char name[CUSTODY_POLICY_NAME_MAX + 1];
	int ref;

	if (it->n > CUSTODY_POLICY_NAME_MAX) {
		custody__error(err, CUSTODY_EINVALID, "%s line %zu: a name "
			"longer than %d bytes", what, line,
			CUSTODY_POLICY_NAME_MAX);
		return -2;
	}
	memcpy(name, it->p, it->n);
	name[it->n] = '\0';
	if ((ref = custody_policy__find(p, name)) == -2)
		custody__error(err, CUSTODY_EINVALID, "%s line %zu: \"%s\" is "
			"not defined on an earlier line", what, line, name);
	return ref;
}

static int group_line(struct custody_policy *p, const struct item *items,
	size_t n, unsigned char *used, const char *what, size_t line,
	custody_error **err)
{
	struct custody_policy_group *g;
	int rc;

	if (n < 4)
		return custody__error(err, CUSTODY_EINVALID, "%s line %zu: a "
			"group line is \"group <name> <k|any|all> <name>...\" "
			"with at least one member", what, line);
	if (p->ngroups == CUSTODY_POLICY_MAX_GROUPS)
		return custody__error(err, CUSTODY_EINVALID, "%s line %zu: more "
			"than %d groups", what, line, CUSTODY_POLICY_MAX_GROUPS);
	g = &p->groups[p->ngroups];
	memset(g, 0, sizeof(*g));
	if ((rc = new_name(p, &items[1], g->name, what, line, err)) != 0)
		return rc;
	if (item_is(&items[2], "any"))
		g->rule = CUSTODY_POLICY_ANY;
	else if (item_is(&items[2], "all"))
		g->rule = CUSTODY_POLICY_ALL;
	else if (parse_k(&items[2], &g->k) == 0)
		g->rule = CUSTODY_POLICY_K;
	else
		return custody__error(err, CUSTODY_EINVALID, "%s line %zu: the "
			"threshold \"%.*s\" is not \"any\", \"all\" or a "
			"decimal number from 1", what, line, (int)items[2].n,
			items[2].p);
	for (size_t i = 3; i < n; i++) {
		int ref;

		if (item_is(&items[i], "none"))
			return custody__error(err, CUSTODY_EINVALID, "%s line "
				"%zu: \"none\" cannot be a group member", what,
				line);
		if ((ref = earlier(p, &items[i], what, line, err)) == -2)
			return CUSTODY_EINVALID;
		if (used[ref])
			return custody__error(err, CUSTODY_EINVALID, "%s line "
				"%zu: \"%s\" is already a member of a group; a "
				"name may be listed as a member only once", what,
				line, custody_policy__ref_name(p, ref));
		used[ref] = 1;
		g->members[g->nmembers++] = ref;
	}
	if (g->rule == CUSTODY_POLICY_K && g->k > g->nmembers)
		return custody__error(err, CUSTODY_EINVALID, "%s line %zu: "
			"group %s needs %zu of its %zu members", what, line,
			g->name, g->k, g->nmembers);
	p->ngroups++;
	return 0;
}

/* Split a line into items; -1 when there are too many. */
static int split(const char *line, size_t len, struct item *items,
	size_t *n_out)
{
	size_t n = 0, i = 0;

	while (i < len) {
		size_t start;

		while (i < len && is_space(line[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_space(line[i]))
			i++;
		if (n == MAX_ITEMS)
			return -1;
		items[n].p = line + start;
		items[n].n = i - start;
		n++;
	}
	*n_out = n;
	return 0;
}

int custody_policy__parse(struct custody_policy **out, const char *text,
	size_t len, const char *what, custody_error **err)
{
	unsigned char used[CUSTODY_POLICY_MAX_WITNESSES +
		CUSTODY_POLICY_MAX_GROUPS];
	struct item items[MAX_ITEMS];
	struct custody_policy *p;
	size_t pos = 0, line = 0;
	int rc = 0, quorums = 0;

	*out = NULL;
	if (len > CUSTODY_POLICY_MAX_SIZE)
		return custody__error(err, CUSTODY_EINVALID, "%s: larger than "
			"%d bytes", what, CUSTODY_POLICY_MAX_SIZE);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return custody__oom(err);
	memset(used, 0, sizeof(used));
	p->quorum = CUSTODY_POLICY_NONE;
	while (pos < len && rc == 0) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n, ll;

		line++;
		if (nl == NULL) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s line %zu: "
				"does not end in a newline", what, line);
			break;
		}
		ll = (size_t)(nl - start);
		pos += ll + 1;
		for (size_t i = 0; i < ll; i++) {
			unsigned char c = (unsigned char)start[i];

			if (c != '\t' && (c < 0x20 || c == 0x7f)) {
				rc = custody__error(err, CUSTODY_EINVALID,
					"%s line %zu: control character 0x%02x "
					"(only tab and newline are allowed)",
					what, line, c);
				break;
			}
		}
		if (rc != 0)
			break;
		if (split(start, ll, items, &n) != 0) {
			rc = custody__error(err, CUSTODY_EINVALID, "%s line %zu: "
				"too many items", what, line);
			break;
		}
		if (n == 0 || items[0].p[0] == '#')
			continue;
		if (item_is(&items[0], "log")) {
			rc = log_line(p, items, n, what, line, err);
		} else if (item_is(&items[0], "witness")) {
			rc = witness_line(p, items, n, what, line, err);
		} else if (item_is(&items[0], "group")) {
			rc = group_line(p, items, n, used, what, line, err);
		} else if (item_is(&items[0], "quorum")) {
			if (n != 2)
				rc = custody__error(err, CUSTODY_EINVALID, "%s "
					"line %zu: a quorum line is \"quorum "
					"<name>\"", what, line);
			else if (++quorums > 1)
				rc = custody__error(err, CUSTODY_EINVALID, "%s "
					"line %zu: a second quorum line", what,
					line);
			else if (item_is(&items[1], "none"))
				p->quorum = CUSTODY_POLICY_NONE;
			else if ((p->quorum = earlier(p, &items[1], what, line,
			    err)) == -2)
				rc = CUSTODY_EINVALID;
		} else {
			rc = custody__error(err, CUSTODY_EINVALID, "%s line %zu: "
				"unknown keyword \"%.*s\" (log, witness, group "
				"or quorum)", what, line, (int)items[0].n,
				items[0].p);
		}
	}
	if (rc == 0 && quorums == 0)
		rc = custody__error(err, CUSTODY_EINVALID, "%s: no quorum line "
			"(a policy has exactly one; \"quorum none\" asks for no "
			"cosignature)", what);
	if (rc == 0)
		rc = custody_policy__validate(p, what, err);
	if (rc != 0) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int custody_policy__validate(const struct custody_policy *p,
	const char *what, custody_error **err)
{
	for (size_t i = 0; i < p->nlogs; i++)
		for (size_t j = 0; j < i; j++)
			if (memcmp(p->logs[i].v.pub, p->logs[j].v.pub, 32) == 0)
				return custody__error(err, CUSTODY_EINVALID,
					"%s: two log lines with the same public "
					"key (%s and %s)", what,
					p->logs[j].v.name, p->logs[i].v.name);
	for (size_t i = 0; i < p->nwitnesses; i++)
		for (size_t j = 0; j < i; j++)
			if (memcmp(p->witnesses[i].v.pub,
			    p->witnesses[j].v.pub, 32) == 0)
				return custody__error(err, CUSTODY_EINVALID,
					"%s: witnesses %s and %s have the same "
					"public key", what, p->witnesses[j].name,
					p->witnesses[i].name);
	for (size_t j = 0; j < p->ngroups; j++) {
		const struct custody_policy_group *g = &p->groups[j];

		if (g->nmembers == 0 || (g->rule == CUSTODY_POLICY_K &&
		    (g->k == 0 || g->k > g->nmembers)))
			return custody__error(err, CUSTODY_EINVALID, "%s: group "
				"%s needs %zu of %zu members", what, g->name,
				custody_policy__threshold(g), g->nmembers);
	}
	return 0;
}

int custody_policy__format(const struct custody_policy *p,
	custody_buf *out, custody_error **err)
{
	int bad = 0;

	for (size_t i = 0; i < p->nlogs && !bad; i++)
		bad = custody_buf__printf(out, "log %s%s%s\n", p->logs[i].vkey,
			p->logs[i].url[0] ? " " : "", p->logs[i].url);
	for (size_t i = 0; i < p->nwitnesses && !bad; i++) {
		const struct custody_policy_witness *w = &p->witnesses[i];

		bad = custody_buf__printf(out, "witness %s %s%s%s\n", w->name,
			w->vkey, w->url[0] ? " " : "", w->url);
	}
	for (size_t j = 0; j < p->ngroups && !bad; j++) {
		const struct custody_policy_group *g = &p->groups[j];

		if (g->rule == CUSTODY_POLICY_K)
			bad = custody_buf__printf(out, "group %s %zu", g->name,
				g->k);
		else
			bad = custody_buf__printf(out, "group %s %s", g->name,
				g->rule == CUSTODY_POLICY_ANY ? "any" : "all");
		for (size_t m = 0; m < g->nmembers && !bad; m++)
			bad = custody_buf__printf(out, " %s",
				custody_policy__ref_name(p, g->members[m]));
		if (!bad)
			bad = custody_buf__append(out, "\n", 1);
	}
	if (!bad)
		bad = custody_buf__printf(out, "quorum %s\n",
			custody_policy__ref_name(p, p->quorum));
	return bad ? custody__oom(err) : 0;
}

int custody_policy__quorum_met(const struct custody_policy *p,
	const unsigned char cosigned[CUSTODY_POLICY_MAX_WITNESSES])
{
	unsigned char group_met[CUSTODY_POLICY_MAX_GROUPS];

	if (p->quorum == CUSTODY_POLICY_NONE)
		return 1;
	/* groups name only earlier groups: one pass in order */
	for (size_t j = 0; j < p->ngroups; j++) {
		const struct custody_policy_group *g = &p->groups[j];
		size_t got = 0;

		for (size_t m = 0; m < g->nmembers; m++) {
			int ref = g->members[m];

			if (ref >= CUSTODY_POLICY_GROUP_BASE)
				got += group_met[ref - CUSTODY_POLICY_GROUP_BASE];
			else
				got += cosigned[ref] != 0;
		}
		group_met[j] = got >= custody_policy__threshold(g);
	}
	if (p->quorum >= CUSTODY_POLICY_GROUP_BASE)
		return group_met[p->quorum - CUSTODY_POLICY_GROUP_BASE];
	return cosigned[p->quorum] != 0;
}
