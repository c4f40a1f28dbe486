/* The public header compiles alone, as C99, pedantic, warnings as
 * errors (built with those flags by tests/meson.build). */
#include <custody.h>

int main(void)
{
	custody_init_options init = CUSTODY_INIT_OPTIONS_INIT;
	custody_add_options add = CUSTODY_ADD_OPTIONS_INIT;
	custody_open_options open = CUSTODY_OPEN_OPTIONS_INIT;
	custody_status_options status = CUSTODY_STATUS_OPTIONS_INIT;
	custody_verify_options verify = CUSTODY_VERIFY_OPTIONS_INIT;
	custody_buf buf = CUSTODY_BUF_INIT;

	(void)init; (void)add; (void)open; (void)status; (void)verify;
	custody_buf_dispose(&buf);
	return custody_version()[0] == '\0';
}
