/*
 * custody.h - libcustody, chain-of-custody archives for document
 * collections. Include this header; it includes every module's header.
 */
#ifndef CUSTODY_H
#define CUSTODY_H

#include "custody/version.h"
#include "custody/common.h"
#include "custody/entry.h"
#include "custody/archive.h"
#include "custody/key.h"
#include "custody/keystore.h"
#include "custody/sshsig.h"
#include "custody/member.h"
#include "custody/proof.h"
#include "custody/check.h"
#include "custody/chain.h"
#include "custody/sync.h"
#include "custody/witness.h"
#include "custody/bag.h"
#include "custody/dkim.h"

#endif
