/*
 * A bag's custody tag files, checked by the same code as a
 * fact-checker's `custody check` (check.c): nothing of the proof logic
 * is repeated here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bag.h"
#include "common.h"
#include "custody/check.h"
#include "fsutil.h"

#define PROOF_MAX (4 * 1024 * 1024)

int custody_bag__check_custody(struct custody_bag__custody_check *c,
	custody_error **err)
{
	custody_check_options opts = CUSTODY_CHECK_OPTIONS_INIT;
	int rc = 0;

	if (c->key == NULL && c->policy == NULL) {
		c->problem(c->payload, 0, "custody", NULL, "custody proofs "
			"present but not checked: no outlet key or policy "
			"was given");
		return 0;
	}
	opts.key = c->key;
	opts.policy = c->policy;
	opts.policy_len = c->policy_len;
	for (size_t i = 0; i < c->npayload && rc == 0; i++) {
		const char *path = c->payload_paths[i];
		custody_buf proof = CUSTODY_BUF_INIT, name = CUSTODY_BUF_INIT;
		custody_buf file = CUSTODY_BUF_INIT;
		custody_check_result result;
		custody_error *why = NULL;
		char message[1200];

		struct stat st;

		if (custody_buf__printf(&name, "custody/proofs/%s.proof",
		    path + 5) != 0 || custody_buf__printf(&file, "%s/%s",
		    c->bag, name.ptr) != 0) {
			rc = custody__oom(err);
			goto next;
		}
		if (lstat(file.ptr, &st) != 0 && errno == ENOENT) {
			c->problem(c->payload, 1, name.ptr, path, "no custody "
				"proof for this payload file");
			goto next;
		}
		if (custody_fs__read_file(&proof, file.ptr, PROOF_MAX, &why) !=
		    0) {
			c->problem(c->payload, 1, name.ptr, path,
				custody_error_message(why));
			goto next;
		}
		custody_buf_dispose(&file);
		if (custody_buf__printf(&file, "%s/%s", c->bag, path) != 0) {
			rc = custody__oom(err);
			goto next;
		}
		if (custody_check(file.ptr, proof.ptr, proof.size, &opts,
		    &result, &why) != 0) {
			snprintf(message, sizeof(message), "the proof fails at "
				"step '%s': %s", result.failed_step,
				custody_error_message(why));
			c->problem(c->payload, 1, name.ptr, path, message);
		} else {
			c->proofs_checked++;
		}
next:
		custody_error_free(why);
		custody_buf_dispose(&proof);
		custody_buf_dispose(&name);
		custody_buf_dispose(&file);
	}
	return rc;
}
