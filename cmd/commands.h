/* The subcommands, one file each. */
#ifndef CUSTODY_CMD_COMMANDS_H
#define CUSTODY_CMD_COMMANDS_H

#include <custody.h>

int cmd_init(int argc, char **argv);
int cmd_add(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_member(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify_signature(int argc, char **argv);
int cmd_dkim(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_proof(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_log_key(int argc, char **argv);
int cmd_clone(int argc, char **argv);
int cmd_remote(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_evidence(int argc, char **argv);
int cmd_consistency(int argc, char **argv);
int cmd_timestamp(int argc, char **argv);
int cmd_event(int argc, char **argv);
int cmd_derive(int argc, char **argv);
int cmd_reveal(int argc, char **argv);
int cmd_check_reveal(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_witness(int argc, char **argv);
int cmd_cosign(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_verifier(int argc, char **argv);
int cmd_site(int argc, char **argv);
int cmd_bag(int argc, char **argv);

/* The chain of custody of `path`, printed (text or JSON); cmd_report.c */
struct cli;
int cli_timeline(struct cli *cli, custody_archive *archive, const char *path);

#endif
