/*
 * The witness over HTTP/1.1 (c2sp.org/tlog-witness): a small server on
 * plain sockets, one thread per connection and one request per
 * connection. Everything a client sends is bounded (8 KiB of head, 128
 * KiB of body, timeout_ms for the whole request), every length is
 * checked before it is used, and a client that misbehaves only ever
 * loses its own connection.
 */
#include "custody/witness.h"
#include "witness.h"
#include "common.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define HEAD_MAX 8192
#define BODY_MAX (128 * 1024)

struct server {
	custody_witness *w;
	const custody_witness_serve_options *opts;
	pthread_mutex_t mutex;
	pthread_cond_t idle;
	unsigned int active;
};

struct connection {
	struct server *server;
	int fd;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 422: return "Unprocessable Content";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static void respond(int fd, int status, const char *type, const char *body,
	size_t len, const char *extra)
{
	char head[512];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
		"Content-Type: %s\r\nContent-Length: %zu\r\n%s"
		"Connection: close\r\n\r\n", status, reason_phrase(status),
		type, len, extra ? extra : "");

	if (n > 0 && (size_t)n < sizeof(head) &&
	    send_all(fd, head, (size_t)n) == 0)
		send_all(fd, body, len);
}

static void respond_text(int fd, int status, const char *text)
{
	respond(fd, status, "text/plain; charset=utf-8", text, strlen(text),
		NULL);
}

/*
 * Receive into buf (room bytes) until at least `want` bytes are there
 * or, with want 0, until the head's end; before the deadline. Returns
 * bytes held, or -1 (closed, error), -2 (timeout).
 */
static ssize_t receive(int fd, char *buf, size_t have, size_t room,
	size_t want, long long deadline)
{
	while (want == 0 ? !(have >= 4 && memmem(buf, have, "\r\n\r\n", 4))
	    : have < want) {
		struct pollfd p = { fd, POLLIN, 0 };
		long long left = deadline - now_ms();
		ssize_t n;

		if (have == room)
			break;
		if (left <= 0)
			return -2;
		if (poll(&p, 1, (int)(left > 60000 ? 60000 : left)) <= 0)
			continue; /* timed out or EINTR: the loop checks */
		n = recv(fd, buf + have, room - have, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	return (ssize_t)have;
}

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

static void log_line(const struct server *s, const char *method,
	const char *target, int status, const char *detail)
{
	char line[600];

	if (s->opts->logged == NULL)
		return;
	snprintf(line, sizeof(line), "%.16s %.200s %d%s%.300s", method, target,
		status, detail && *detail ? " " : "", detail ? detail : "");
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	s->opts->logged(line, s->opts->payload);
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

static void handle(struct server *s, int fd)
{
	char *buf = malloc(HEAD_MAX + BODY_MAX);
	long long deadline = now_ms() + s->opts->timeout_ms;
	char method[17] = "-", target[257] = "-";
	const char *eol, *p, *head_end;
	size_t head_len, body_len = 0, have;
	int chunked = 0, expect = 0, lengths = 0;
	ssize_t got;

	if (buf == NULL) {
		respond_text(fd, 503, "out of memory\n");
		return;
	}
	got = receive(fd, buf, 0, HEAD_MAX, 0, deadline);
	if (got < 0) {
		if (got == -2)
			respond_text(fd, 408, "request took too long\n");
		log_line(s, method, target, got == -2 ? 408 : 0,
			"connection closed before a request");
		goto done;
	}
	have = (size_t)got;
	head_end = memmem(buf, have, "\r\n\r\n", 4);
	if (head_end == NULL) {
		respond_text(fd, 431, "request head over 8 KiB\n");
		log_line(s, method, target, 431, NULL);
		goto done;
	}
	head_len = (size_t)(head_end - buf) + 4;
	/* request line: METHOD SP TARGET SP HTTP/1.x */
	eol = memmem(buf, head_len, "\r\n", 2);
	{
		const char *sp1 = memchr(buf, ' ', (size_t)(eol - buf));
		const char *sp2 = sp1 ? memchr(sp1 + 1, ' ',
			(size_t)(eol - sp1 - 1)) : NULL;

		if (sp1 == NULL || sp2 == NULL || sp1 - buf > 16 ||
		    sp2 - sp1 - 1 > 256 || sp2 - sp1 - 1 == 0 ||
		    eol - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
		    (sp2[8] != '0' && sp2[8] != '1')) {
			respond_text(fd, 400, "not an HTTP/1.x request line\n");
			log_line(s, method, target, 400, "bad request line");
			goto done;
		}
		memcpy(method, buf, (size_t)(sp1 - buf));
		method[sp1 - buf] = '\0';
		memcpy(target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
		target[sp2 - sp1 - 1] = '\0';
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
				if (n <= BODY_MAX)
					n = n * 10 + (uint64_t)(*q - '0');
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			if (q == v || q != eol || lengths++ > 0) {
				respond_text(fd, 400, "bad Content-Length\n");
				log_line(s, method, target, 400,
					"bad Content-Length");
				goto done;
			}
			if (n > BODY_MAX) {
				respond_text(fd, 413, "request body over 128 "
					"KiB\n");
				log_line(s, method, target, 413, NULL);
				goto done;
			}
			body_len = (size_t)n;
		} else if (header_value(p, len, "transfer-encoding") != NULL) {
			chunked = 1;
		} else if ((v = header_value(p, len, "expect")) != NULL) {
			expect = strncasecmp(v, "100-continue", 12) == 0;
		}
	}
	if (chunked) {
		respond_text(fd, 501, "Transfer-Encoding is not supported: "
			"send Content-Length\n");
		log_line(s, method, target, 501, NULL);
		goto done;
	}
	if (strcmp(target, "/add-checkpoint") == 0) {
		custody_witness_answer a = CUSTODY_WITNESS_ANSWER_INIT;
		custody_error *err = NULL;
		char detail[400];

		if (strcmp(method, "POST") != 0) {
			respond(fd, 405, "text/plain; charset=utf-8",
				"use POST\n", 9, "Allow: POST\r\n");
			log_line(s, method, target, 405, NULL);
			goto done;
		}
		if (lengths == 0) {
			respond_text(fd, 411, "Content-Length required\n");
			log_line(s, method, target, 411, NULL);
			goto done;
		}
		if (expect && have == head_len &&
		    send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0)
			goto done;
		got = receive(fd, buf, have, head_len + body_len,
			head_len + body_len, deadline);
		if (got < 0 || (size_t)got < head_len + body_len) {
			if (got == -2)
				respond_text(fd, 408, "request took too "
					"long\n");
			log_line(s, method, target, got == -2 ? 408 : 0,
				"incomplete body");
			goto done;
		}
		if ((size_t)got > head_len + body_len) {
			respond_text(fd, 400, "more bytes than Content-Length "
				"(one request per connection)\n");
			log_line(s, method, target, 400, "extra bytes");
			goto done;
		}
		if (custody_witness_add_checkpoint(s->w, buf + head_len,
		    body_len, &a, &err) != 0) {
			respond_text(fd, 500, "the witness cannot answer now\n");
			log_line(s, method, target, 500,
				custody_error_message(err));
			custody_error_free(err);
			goto done;
		}
		respond(fd, a.status, a.content_type, a.body.ptr, a.body.size,
			NULL);
		/* the reason without its "\n"; a cosignature is not logged */
		snprintf(detail, sizeof(detail), "size %llu%s%s%.*s",
			(unsigned long long)a.size, a.evidence ?
			" (evidence kept)" : "", a.status == 200 ? "" : ": ",
			a.status == 200 || a.body.size == 0 ? 0 :
			(int)(a.body.size - 1), a.body.ptr ? a.body.ptr : "");
		log_line(s, method, target, a.status, detail);
		custody_witness_answer_dispose(&a);
		goto done;
	}
	if (target[0] == '/' && strlen(target) == 1 + 64 + 11 &&
	    is_hex64(target + 1, 64) && strcmp(target + 65, "/checkpoint") == 0) {
		custody_buf note = CUSTODY_BUF_INIT;
		custody_error *err = NULL;
		char hash[65];
		int rc;

		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
			respond(fd, 405, "text/plain; charset=utf-8",
				"use GET\n", 8, "Allow: GET\r\n");
			log_line(s, method, target, 405, NULL);
			goto done;
		}
		memcpy(hash, target + 1, 64);
		hash[64] = '\0';
		rc = custody_witness_latest(s->w, hash, &note, &err);
		if (rc == 0)
			respond(fd, 200, "text/plain; charset=utf-8", note.ptr,
				strcmp(method, "HEAD") == 0 ? 0 : note.size,
				NULL);
		else if (rc == CUSTODY_ENOTFOUND)
			respond_text(fd, 404, "nothing cosigned for this "
				"origin\n");
		else
			respond_text(fd, 500, "the witness cannot answer "
				"now\n");
		log_line(s, method, target, rc == 0 ? 200 :
			rc == CUSTODY_ENOTFOUND ? 404 : 500,
			rc != 0 && rc != CUSTODY_ENOTFOUND ?
			custody_error_message(err) : NULL);
		custody_error_free(err);
		custody_buf_dispose(&note);
		goto done;
	}
	respond_text(fd, 404, "not found: this is a witness "
		"(POST /add-checkpoint)\n");
	log_line(s, method, target, 404, NULL);
done:
	free(buf);
}

/*
 * Close after the answer has gone: closing with unread request bytes
 * (a body the witness refused before reading it) makes the kernel send a
 * reset, which can destroy the answer before the client reads it. So:
 * no more writing, then read what the client still sends, briefly and
 * boundedly, until it closes too.
 */
static void linger_close(int fd)
{
	struct timeval tv = { 0, 200 * 1000 };
	char sink[4096];
	size_t total = 0;
	ssize_t n;

	shutdown(fd, SHUT_WR);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (total < 256 * 1024 && (n = read(fd, sink, sizeof(sink))) > 0)
		total += (size_t)n;
	close(fd);
}

static void *connection_main(void *arg)
{
	struct connection *c = arg;
	struct server *s = c->server;

	handle(s, c->fd);
	linger_close(c->fd);
	free(c);
	pthread_mutex_lock(&s->mutex);
	if (--s->active == 0)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->mutex);
	return NULL;
}

/* "host:port" or "[v6]:port" into a listening socket. */
static int listen_on(const char *address, int *fd_out, char *shown,
	size_t shown_len, custody_error **err)
{
	struct addrinfo hints, *res = NULL;
	char host[256], port[8];
	const char *colon = strrchr(address, ':');
	size_t host_len;
	int fd = -1, one = 1, rc;

	*fd_out = -1;
	if (colon == NULL || colon[1] == '\0' || strlen(colon + 1) > 5 ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return custody__error(err, CUSTODY_EINVALID, "'%s': want "
			"ADDR:PORT", address);
	host_len = (size_t)(colon - address);
	if (host_len >= 2 && address[0] == '[' && colon[-1] == ']') {
		address++;
		host_len -= 2;
	}
	if (host_len == 0 || host_len >= sizeof(host))
		return custody__error(err, CUSTODY_EINVALID, "'%s': want "
			"ADDR:PORT", address);
	memcpy(host, address, host_len);
	host[host_len] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	/* at most five digits, checked above */
	if (strtoul(port, NULL, 10) > 65535)
		return custody__error(err, CUSTODY_EINVALID, "port %s is above "
			"65535", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		return custody__error(err, CUSTODY_EINVALID, "'%s': %s", host,
			gai_strerror(rc));
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
		res->ai_protocol);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, 128) != 0) {
		rc = custody__error_sys(err, CUSTODY_EIO, errno, "cannot "
			"listen on %s:%s", host, port);
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return rc;
	}
	freeaddrinfo(res);
	{
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char ip[INET6_ADDRSTRLEN] = "?";
		int bound = 0;

		if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
			if (ss.ss_family == AF_INET) {
				struct sockaddr_in *a = (void *)&ss;
				inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
				bound = ntohs(a->sin_port);
				snprintf(shown, shown_len, "%s:%d", ip, bound);
			} else {
				struct sockaddr_in6 *a = (void *)&ss;
				inet_ntop(AF_INET6, &a->sin6_addr, ip,
					sizeof(ip));
				bound = ntohs(a->sin6_port);
				snprintf(shown, shown_len, "[%s]:%d", ip, bound);
			}
		}
	}
	*fd_out = fd;
	return 0;
}

int custody_witness_serve(custody_witness *w, const char *listen_address,
	const custody_witness_serve_options *opts, custody_error **err)
{
	static const custody_witness_serve_options defaults =
		CUSTODY_WITNESS_SERVE_OPTIONS_INIT;
	struct server s;
	char shown[128] = "";
	int fd, rc;

	if ((rc = CUSTODY_CHECK_OPTIONS(err, opts,
	    CUSTODY_WITNESS_SERVE_OPTIONS_VERSION,
	    "custody_witness_serve_options")) != 0)
		return rc;
	if (opts == NULL)
		opts = &defaults;
	if (w->key == NULL)
		return custody__error(err, CUSTODY_EINVALID, "witness %s: no "
			"key to cosign with", w->name);
	if ((rc = listen_on(listen_address, &fd, shown, sizeof(shown),
	    err)) != 0)
		return rc;
	memset(&s, 0, sizeof(s));
	s.w = w;
	s.opts = opts;
	pthread_mutex_init(&s.mutex, NULL);
	pthread_cond_init(&s.idle, NULL);
	if (opts->ready != NULL)
		opts->ready(shown, opts->payload);
	while (opts->stop == NULL || !*opts->stop) {
		struct pollfd p = { fd, POLLIN, 0 };
		struct connection *c;
		pthread_attr_t attr;
		pthread_t thread;
		int client, busy;

		if (poll(&p, 1, 200) <= 0)
			continue;
		client = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (client < 0)
			continue; /* EINTR, a client gone, out of fds: go on */
		pthread_mutex_lock(&s.mutex);
		busy = s.active >= opts->max_connections;
		if (!busy)
			s.active++;
		pthread_mutex_unlock(&s.mutex);
		if (busy) {
			respond_text(client, 503, "busy: try again\n");
			close(client);
			continue;
		}
		c = malloc(sizeof(*c));
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 512 * 1024);
		if (c == NULL || (c->server = &s, c->fd = client,
		    pthread_create(&thread, &attr, connection_main, c) != 0)) {
			respond_text(client, 503, "busy: try again\n");
			close(client);
			free(c);
			pthread_mutex_lock(&s.mutex);
			s.active--;
			pthread_mutex_unlock(&s.mutex);
		}
		pthread_attr_destroy(&attr);
	}
	close(fd);
	pthread_mutex_lock(&s.mutex);
	while (s.active > 0)
		pthread_cond_wait(&s.idle, &s.mutex);
	pthread_mutex_unlock(&s.mutex);
	pthread_cond_destroy(&s.idle);
	pthread_mutex_destroy(&s.mutex);
	return 0;
}
