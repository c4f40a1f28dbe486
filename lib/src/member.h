/*
 * The archive's members (custody/member.h): who may sign its commits, as
 * its head says, and the member entries that change it. Built on the
 * replay of members.h, which reads no archive.
 */
#ifndef CUSTODY_SRC_MEMBER_H
#define CUSTODY_SRC_MEMBER_H

#include "custody/member.h"
#include "members.h"

#endif
