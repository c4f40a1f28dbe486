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

#define HEAD_MAX CUSTODY_WITNESS__HEAD_MAX
#define BODY_MAX CUSTODY_WITNESS__BODY_MAX

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

static void handle(struct server *s, int fd)
{
	char *buf = malloc(HEAD_MAX + BODY_MAX);
	long long deadline = now_ms() + s->opts->timeout_ms;
	struct custody_witness__request req;
	size_t have;
	ssize_t got;

	if (buf == NULL) {
		respond_text(fd, 503, "out of memory\n");
		return;
	}
	got = receive(fd, buf, 0, HEAD_MAX, 0, deadline);
	if (got < 0) {
		if (got == -2)
			respond_text(fd, 408, "request took too long\n");
		log_line(s, "-", "-", got == -2 ? 408 : 0,
			"connection closed before a request");
		goto done;
	}
	have = (size_t)got;
	custody_witness__read_head(&req, buf, have);
	if (req.status != 0) {
		respond(fd, req.status, "text/plain; charset=utf-8", req.text,
			strlen(req.text), req.allow);
		log_line(s, req.method, req.target, req.status, req.detail);
		goto done;
	}
	if (req.route == CUSTODY_WITNESS__ADD_CHECKPOINT) {
		custody_witness_answer a = CUSTODY_WITNESS_ANSWER_INIT;
		custody_error *err = NULL;
		size_t want = req.head_len + req.body_len;
		char detail[400];

		if (req.expect_continue && have == req.head_len &&
		    send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0)
			goto done;
		got = receive(fd, buf, have, want, want, deadline);
		if (got < 0 || (size_t)got < want) {
			if (got == -2)
				respond_text(fd, 408, "request took too "
					"long\n");
			log_line(s, req.method, req.target, got == -2 ? 408 : 0,
				"incomplete body");
			goto done;
		}
		if (custody_witness_add_checkpoint(s->w, buf + req.head_len,
		    req.body_len, &a, &err) != 0) {
			respond_text(fd, 500, "the witness cannot answer now\n");
			log_line(s, req.method, req.target, 500,
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
		log_line(s, req.method, req.target, a.status, detail);
		custody_witness_answer_dispose(&a);
	} else {
		custody_buf note = CUSTODY_BUF_INIT;
		custody_error *err = NULL;
		char hash[65];
		int rc;

		memcpy(hash, req.target + 1, 64);
		hash[64] = '\0';
		rc = custody_witness_latest(s->w, hash, &note, &err);
		if (rc == 0)
			respond(fd, 200, "text/plain; charset=utf-8", note.ptr,
				strcmp(req.method, "HEAD") == 0 ? 0 : note.size,
				NULL);
		else if (rc == CUSTODY_ENOTFOUND)
			respond_text(fd, 404, "nothing cosigned for this "
				"origin\n");
		else
			respond_text(fd, 500, "the witness cannot answer "
				"now\n");
		log_line(s, req.method, req.target, rc == 0 ? 200 :
			rc == CUSTODY_ENOTFOUND ? 404 : 500,
			rc != 0 && rc != CUSTODY_ENOTFOUND ?
			custody_error_message(err) : NULL);
		custody_error_free(err);
		custody_buf_dispose(&note);
	}
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
