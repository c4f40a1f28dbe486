/* The verifier page built from web/verifier/ (web/meson.build): its
 * bytes, their number (0 when this custody was built without node and
 * web/node_modules), and their SHA-256 in hex. */
#ifndef CUSTODY_WEB_VERIFIER_PAGE_H
#define CUSTODY_WEB_VERIFIER_PAGE_H

#include <stddef.h>

extern const unsigned char custody_verifier_page[];
extern const size_t custody_verifier_page_size;
extern const char custody_verifier_page_sha256[];

#endif
