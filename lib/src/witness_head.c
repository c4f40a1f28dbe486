/*
 * The head of a request to witness serve (witness_http.c), read from
 * the bytes received: the request line, the headers the witness acts
 * on, and where the request goes. Kept apart from the sockets so that
 * what a client sends can be tested and fuzzed from a buffer
 * (tests/fuzz/fuzz_witness_http.c).
 */
#include "witness.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* Case-insensitive match of a header line's name. */
static const char *header_value(const char *line, size_t len,
	const char *name)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	line += n + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

static int is_hex64(const char *s, size_t len)
{
	if (len != 64)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Visible US-ASCII only, as a method and a request-target are. */
static int is_visible(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static void refuse(struct custody_witness__request *req, int status,
	const char *text, const char *detail)
{
	req->status = status;
	req->text = text;
	req->detail = detail;
}

void custody_witness__read_head(struct custody_witness__request *req,
	const char *buf, size_t have)
{
	const char *eol, *p, *head_end;
	int chunked = 0, lengths = 0;

	memset(req, 0, sizeof(*req));
	memcpy(req->method, "-", 2);
	memcpy(req->target, "-", 2);
	head_end = memmem(buf, have, "\r\n\r\n", 4);
	if (head_end == NULL) {
		refuse(req, 431, "request head over 8 KiB\n", NULL);
		return;
	}
	req->head_len = (size_t)(head_end - buf) + 4;
	/* request line: METHOD SP TARGET SP HTTP/1.x, the words visible
	 * ASCII (a NUL would cut them short in a C string) */
	eol = memmem(buf, req->head_len, "\r\n", 2);
	{
		const char *sp1 = memchr(buf, ' ', (size_t)(eol - buf));
		const char *sp2 = sp1 ? memchr(sp1 + 1, ' ',
			(size_t)(eol - sp1 - 1)) : NULL;

		if (sp1 == NULL || sp2 == NULL || sp1 - buf > 16 ||
		    sp2 - sp1 - 1 > 256 || sp2 - sp1 - 1 == 0 ||
		    eol - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
		    (sp2[8] != '0' && sp2[8] != '1') ||
		    !is_visible(buf, (size_t)(sp1 - buf)) ||
		    !is_visible(sp1 + 1, (size_t)(sp2 - sp1 - 1))) {
			refuse(req, 400, "not an HTTP/1.x request line\n",
				"bad request line");
			return;
		}
		memcpy(req->method, buf, (size_t)(sp1 - buf));
		req->method[sp1 - buf] = '\0';
		memcpy(req->target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
		req->target[sp2 - sp1 - 1] = '\0';
	}
	for (p = eol + 2; p < head_end; p = eol + 2) {
		const char *v;
		size_t len;

		eol = memmem(p, (size_t)(head_end + 2 - p), "\r\n", 2);
		len = (size_t)(eol - p);
		if ((v = header_value(p, len, "content-length")) != NULL) {
			uint64_t n = 0;
			const char *q = v;

			/* every digit is read; the value stops growing
			 * past the limit, so it cannot overflow */
			for (; q < eol && *q >= '0' && *q <= '9'; q++)
				if (n <= CUSTODY_WITNESS__BODY_MAX)
					n = n * 10 + (uint64_t)(*q - '0');
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			if (q == v || q != eol || lengths++ > 0) {
				refuse(req, 400, "bad Content-Length\n",
					"bad Content-Length");
				return;
			}
			if (n > CUSTODY_WITNESS__BODY_MAX) {
				refuse(req, 413, "request body over 128 KiB\n",
					NULL);
				return;
			}
			req->body_len = (size_t)n;
		} else if (header_value(p, len, "transfer-encoding") != NULL) {
			chunked = 1;
		} else if ((v = header_value(p, len, "expect")) != NULL) {
			req->expect_continue =
				strncasecmp(v, "100-continue", 12) == 0;
		}
	}
	if (chunked) {
		refuse(req, 501, "Transfer-Encoding is not supported: send "
			"Content-Length\n", NULL);
		return;
	}
	if (strcmp(req->target, "/add-checkpoint") == 0) {
		if (strcmp(req->method, "POST") != 0) {
			refuse(req, 405, "use POST\n", NULL);
			req->allow = "Allow: POST\r\n";
		} else if (lengths == 0) {
			refuse(req, 411, "Content-Length required\n", NULL);
		} else if (have > req->head_len + req->body_len) {
			refuse(req, 400, "more bytes than Content-Length (one "
				"request per connection)\n", "extra bytes");
		} else {
			req->route = CUSTODY_WITNESS__ADD_CHECKPOINT;
		}
		return;
	}
	if (req->target[0] == '/' && strlen(req->target) == 1 + 64 + 11 &&
	    is_hex64(req->target + 1, 64) &&
	    strcmp(req->target + 65, "/checkpoint") == 0) {
		if (strcmp(req->method, "GET") != 0 &&
		    strcmp(req->method, "HEAD") != 0) {
			refuse(req, 405, "use GET\n", NULL);
			req->allow = "Allow: GET\r\n";
		} else {
			req->route = CUSTODY_WITNESS__LATEST;
		}
		return;
	}
	refuse(req, 404, "not found: this is a witness (POST "
		"/add-checkpoint)\n", NULL);
}
