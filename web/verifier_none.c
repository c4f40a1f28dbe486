/* A custody built without the verifier page (no node, or no
 * web/node_modules: `./dev.sh build` installs both). */
#include "verifier_page.h"

const unsigned char custody_verifier_page[] = { 0 };
const size_t custody_verifier_page_size = 0;
const char custody_verifier_page_sha256[] = "";
