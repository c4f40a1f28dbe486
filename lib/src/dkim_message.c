/*
 * Splitting a message into headers and body, within bounds: a hostile
 * message (NUL bytes, a header block of megabytes, one header continued
 * forever) is refused here, before libopendkim sees it.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dkim.h"

void custody_dkim__message_free(struct custody_dkim_message *m)
{
	if (m == NULL)
		return;
	free(m->text);
	free(m->headers);
	memset(m, 0, sizeof(*m));
}

/* A copy with every bare LF made CRLF, as mail is on the wire. Lines
 * are found with memchr and copied whole: the body is most of the
 * message, and this runs on each one. */
static int normalise(struct custody_dkim_message *m,
	const unsigned char *message, size_t size, custody_error **err)
{
	const unsigned char *nul = memchr(message, '\0', size), *lf;
	size_t i, n = 0, extra = 0;

	if (nul != NULL)
		return custody__error(err, CUSTODY_EINVALID,
			"byte %zu: a NUL byte, which no RFC 5322 "
			"message holds", (size_t)(nul - message));
	for (i = 0; i < size &&
	    (lf = memchr(message + i, '\n', size - i)) != NULL;
	    i = (size_t)(lf - message) + 1)
		if (lf == message || lf[-1] != '\r')
			extra++;
	m->text = malloc(size + extra + 1);
	if (m->text == NULL)
		return custody__oom(err);
	if (extra == 0) {       /* CRLF throughout: the bytes as they are */
		memcpy(m->text, message, size);
		n = size;
	}
	for (i = extra == 0 ? size : 0; i < size;) {
		size_t end;

		lf = memchr(message + i, '\n', size - i);
		end = lf != NULL ? (size_t)(lf - message) : size;
		memcpy(m->text + n, message + i, end - i);
		n += end - i;
		if (lf == NULL)
			break;
		if (lf == message || lf[-1] != '\r')
			m->text[n++] = '\r';
		m->text[n++] = '\n';
		i = end + 1;
	}
	m->text[n] = '\0';
	m->len = n;
	return 0;
}

static int add_header(struct custody_dkim_message *m, size_t *cap,
	size_t start, size_t end, size_t colon, custody_error **err)
{
	struct custody_dkim_header *h;
	size_t namelen = colon - start, i;

	while (namelen > 0 && (m->text[start + namelen - 1] == ' ' ||
	    m->text[start + namelen - 1] == '\t'))
		namelen--;
	if (namelen == 0 || namelen >= sizeof(h->name))
		return custody__error(err, CUSTODY_EINVALID,
			"byte %zu: a header whose name is empty or longer "
			"than %zu bytes", start, sizeof(h->name) - 1);
	if (end - start > CUSTODY_DKIM_MAX_HEADER)
		return custody__error(err, CUSTODY_EINVALID,
			"byte %zu: one header of %zu bytes with its "
			"continuation lines, more than %d", start, end - start,
			CUSTODY_DKIM_MAX_HEADER);
	if (m->nheaders == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		h = realloc(m->headers, ncap * sizeof(*h));
		if (h == NULL)
			return custody__oom(err);
		m->headers = h;
		*cap = ncap;
	}
	h = &m->headers[m->nheaders++];
	h->offset = start;
	h->len = end - start;
	for (i = 0; i < namelen; i++) {
		unsigned char c = m->text[start + i];
		if (c <= ' ' || c > '~')
			return custody__error(err, CUSTODY_EINVALID,
				"byte %zu: a header name with a byte that is "
				"not printable ASCII", start + i);
		h->name[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	h->name[namelen] = '\0';
	if (strcmp(h->name, "dkim-signature") == 0)
		m->nsignatures++;
	return 0;
}

int custody_dkim__split(struct custody_dkim_message *m,
	const unsigned char *message, size_t size, custody_error **err)
{
	size_t pos = 0, cap = 0, start = 0, colon = 0;
	int have = 0, rc;

	memset(m, 0, sizeof(*m));
	if (size > CUSTODY_DKIM_MAX_MESSAGE) {
		rc = custody__error(err, CUSTODY_EINVALID,
			"a message of %zu bytes, more than %d", size,
			CUSTODY_DKIM_MAX_MESSAGE);
		goto done;
	}
	if ((rc = normalise(m, message, size, err)) != 0)
		goto done;
	for (;;) {
		const unsigned char *eol = NULL;
		size_t end;

		if (pos < m->len)
			eol = memchr(m->text + pos, '\n', m->len - pos);
		if (eol == NULL) {
			rc = custody__error(err, CUSTODY_EINVALID,
				"no empty line ends the header block (not "
				"an RFC 5322 message)");
			goto done;
		}
		end = (size_t)(eol - m->text) + 1;
		if (end > CUSTODY_DKIM_MAX_HEADER_BLOCK) {
			rc = custody__error(err, CUSTODY_EINVALID,
				"a header block of more than %d bytes",
				CUSTODY_DKIM_MAX_HEADER_BLOCK);
			goto done;
		}
		if (end - pos == 2) {   /* the empty line */
			if (have && (rc = add_header(m, &cap, start, pos - 2,
			    colon, err)) != 0)
				goto done;
			m->body = end;
			break;
		}
		if (m->text[pos] == ' ' || m->text[pos] == '\t') {
			if (!have) {
				rc = custody__error(err, CUSTODY_EINVALID,
					"byte %zu: a continuation line before "
					"any header", pos);
				goto done;
			}
		} else {
			const unsigned char *c = memchr(m->text + pos, ':',
				end - pos);
			if (pos == 0 && end >= 5 &&
			    memcmp(m->text, "From ", 5) == 0)
				c = NULL;       /* an mbox separator */
			if (have && (rc = add_header(m, &cap, start, pos - 2,
			    colon, err)) != 0)
				goto done;
			if (c == NULL) {
				rc = custody__error(err, CUSTODY_EINVALID,
					"byte %zu: a line that is neither a "
					"header nor a continuation line%s", pos,
					pos == 0 && end >= 5 &&
					memcmp(m->text, "From ", 5) == 0 ?
					" (an mbox \"From \" line: a mailbox, "
					"not one message)" : "");
				goto done;
			}
			start = pos;
			colon = (size_t)(c - m->text);
			have = 1;
		}
		pos = end;
	}
	if (m->nheaders == 0) {
		rc = custody__error(err, CUSTODY_EINVALID,
			"no header before the empty line");
		goto done;
	}
	if (m->nsignatures > CUSTODY_DKIM_MAX_SIGNATURES)
		rc = custody__error(err, CUSTODY_EINVALID,
			"%zu DKIM-Signature headers, more than the %d "
			"custody checks", m->nsignatures,
			CUSTODY_DKIM_MAX_SIGNATURES);
done:
	if (rc != 0)
		custody_dkim__message_free(m);
	return rc;
}
