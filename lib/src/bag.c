/*
 * BagIt (RFC 8493): the path encoding, tag-file lines and algorithms
 * that validating and exporting share.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "bag.h"
#include "common.h"
#include "fsutil.h"
#include "path.h"

static const struct custody_bag_algorithm algorithms[] = {
	{ "md5", "MD5", 16 },
	{ "sha1", "SHA1", 20 },
	{ "sha224", "SHA224", 28 },
	{ "sha256", "SHA256", 32 },
	{ "sha384", "SHA384", 48 },
	{ "sha512", "SHA512", 64 },
};

const struct custody_bag_algorithm *custody_bag__algorithm(
	const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]);
	    i++)
		if (strlen(algorithms[i].name) == len &&
		    memcmp(algorithms[i].name, name, len) == 0)
			return &algorithms[i];
	return NULL;
}

int custody_bag_encode_path(custody_buf *out, const char *path,
	custody_error **err)
{
	custody_buf encoded = CUSTODY_BUF_INIT;
	int rc = 0;

	for (const char *p = path; *p != '\0' && rc == 0; p++) {
		if (*p == '\r')
			rc = custody_buf__append(&encoded, "%0D", 3);
		else if (*p == '\n')
			rc = custody_buf__append(&encoded, "%0A", 3);
		else if (*p == '%')
			rc = custody_buf__append(&encoded, "%25", 3);
		else
			rc = custody_buf__append(&encoded, p, 1);
	}
	if (rc == 0)
		rc = custody_buf__append(&encoded, "", 1);
	if (rc != 0) {
		custody_buf_dispose(&encoded);
		return custody__oom(err);
	}
	encoded.size--;
	custody_buf_dispose(out);
	*out = encoded;
	return 0;
}

char *custody_bag__decode_path(const char *text, size_t len,
	size_t *literal_out)
{
	char *out = malloc(len + 1);
	size_t n = 0, literal = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '%' && len - i >= 3) {
			if (text[i + 1] == '2' && text[i + 2] == '5') {
				out[n++] = '%';
				i += 2;
				continue;
			}
			if (text[i + 1] == '0' && (text[i + 2] == 'D' ||
			    text[i + 2] == 'd')) {
				out[n++] = '\r';
				i += 2;
				continue;
			}
			if (text[i + 1] == '0' && (text[i + 2] == 'A' ||
			    text[i + 2] == 'a')) {
				out[n++] = '\n';
				i += 2;
				continue;
			}
		}
		if (text[i] == '%')
			literal++;
		out[n++] = text[i];
	}
	out[n] = '\0';
	if (literal_out != NULL)
		*literal_out = literal;
	return out;
}

int custody_bag__next_line(const char *text, size_t len, size_t *pos,
	const char **line_out, size_t *line_len_out)
{
	size_t start = *pos, end = start;

	if (start >= len)
		return 0;
	while (end < len && text[end] != '\n' && text[end] != '\r')
		end++;
	*line_out = text + start;
	*line_len_out = end - start;
	if (end < len && text[end] == '\r' && end + 1 < len &&
	    text[end + 1] == '\n')
		end += 2;
	else if (end < len)
		end++;
	*pos = end;
	return 1;
}

int custody_bag__is_utf8(const char *s, size_t len, size_t *bad_out)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = custody_path__utf8_next(s + i, len - i, &cp);

		if (n == 0) {
			*bad_out = i;
			return 0;
		}
		i += n;
	}
	return 1;
}

char *custody_bag__nfc(const char *path)
{
	size_t bad;

	if (!custody_bag__is_utf8(path, strlen(path), &bad))
		return NULL;
	return (char *)utf8proc_NFC((const utf8proc_uint8_t *)path);
}

/*
 * Why a decoded path may not name a file in the bag, or NULL: RFC 8493's
 * security considerations (special directory characters) and the rule
 * that a manifest names files relative to the bag.
 */
const char *custody_bag__unsafe_path(const char *path)
{
	const char *p = path;

	if (*path == '\0')
		return "is empty";
	if (*path == '/')
		return "is absolute";
	if (*path == '~')
		return "starts with '~' (a home folder)";
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "has a '..' component (outside its folder)";
		if (n == 1 && p[0] == '.')
			return "has a '.' component";
		if (n == 0)
			return p[0] == '\0' ? "ends in '/' (a folder, not a "
				"file)" : "has an empty component ('//')";
		p += n;
		if (*p == '/') {
			p++;
			if (*p == '\0')
				return "ends in '/' (a folder, not a file)";
		}
	}
	return NULL;
}

static size_t skip_field(const char *line, size_t len, size_t i, int blank)
{
	while (i < len && (line[i] == ' ' || line[i] == '\t') == blank)
		i++;
	return i;
}

int custody_bag__fetch_fields(const char *line, size_t len,
	struct custody_bag_fetch_line *out)
{
	out->url_end = skip_field(line, len, 0, 0);
	out->length_start = skip_field(line, len, out->url_end, 1);
	out->length_end = skip_field(line, len, out->length_start, 0);
	out->path_start = skip_field(line, len, out->length_end, 1);
	return out->path_start == len ||
		out->length_start == out->length_end ? -1 : 0;
}
