/*
 * Key records from DNS, asked by custody itself (res_nquery on a
 * resolver state of the call's own) rather than by libopendkim, so that
 * the exact RDATA the server answered, the server asked, the time and
 * the AD bit can be kept as evidence.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "dkim.h"

/* The answer buffer: a TXT record of 64 KiB comes whole over TCP. */
#define ANSWER_MAX 65536

void custody_dkim__key_clear(struct custody_dkim_key *k)
{
	if (k == NULL)
		return;
	free(k->text);
	free(k->rdata);
	k->text = NULL;
	k->rdata = NULL;
	k->text_len = k->rdata_len = 0;
}

/* Parse "ADDR", "ADDR:PORT" or "[ADDR6]:PORT" into sa; 0 when it is one. */
static int parse_resolver(const char *resolver, struct sockaddr_in6 *sa6,
	struct sockaddr_in *sa4, int *is6)
{
	char host[64];
	const char *port = NULL, *colon;
	size_t hostlen;
	unsigned long p = 53;

	if (resolver[0] == '[') {
		const char *close = strchr(resolver, ']');
		if (close == NULL)
			return -1;
		hostlen = (size_t)(close - resolver - 1);
		if (hostlen >= sizeof(host))
			return -1;
		memcpy(host, resolver + 1, hostlen);
		host[hostlen] = '\0';
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return -1;
	} else {
		colon = strchr(resolver, ':');
		hostlen = colon ? (size_t)(colon - resolver) : strlen(resolver);
		if (colon && strchr(colon + 1, ':'))
			return -1;      /* an IPv6 address needs brackets */
		if (hostlen >= sizeof(host))
			return -1;
		memcpy(host, resolver, hostlen);
		host[hostlen] = '\0';
		if (colon)
			port = colon + 1;
	}
	if (port != NULL) {
		char *end;
		if (*port < '0' || *port > '9')
			return -1;
		p = strtoul(port, &end, 10);
		if (*end != '\0' || p == 0 || p > 65535)
			return -1;
	}
	memset(sa6, 0, sizeof(*sa6));
	memset(sa4, 0, sizeof(*sa4));
	if (inet_pton(AF_INET, host, &sa4->sin_addr) == 1) {
		sa4->sin_family = AF_INET;
		sa4->sin_port = htons((uint16_t)p);
		*is6 = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sa6->sin6_addr) == 1) {
		sa6->sin6_family = AF_INET6;
		sa6->sin6_port = htons((uint16_t)p);
		*is6 = 1;
		return 0;
	}
	return -1;
}

const char *custody_dkim__resolver_problem(const char *resolver)
{
	struct sockaddr_in6 sa6;
	struct sockaddr_in sa4;
	int is6;

	if (parse_resolver(resolver, &sa6, &sa4, &is6) != 0)
		return "is not ADDR or ADDR:PORT (an IPv4 address, or an IPv6 "
			"one in brackets: [::1]:53)";
	return NULL;
}

static void set_status(struct custody_dkim_key *k, const char *status,
	const char *reason)
{
	snprintf(k->status, sizeof(k->status), "%s", status);
	snprintf(k->reason, sizeof(k->reason), "%s", reason);
}

/* The TXT RR's character-strings joined into k->text. */
static int join_strings(struct custody_dkim_key *k, custody_error **err)
{
	size_t i = 0, n = 0;

	k->text = malloc(k->rdata_len + 1);
	if (k->text == NULL)
		return custody__oom(err);
	while (i < k->rdata_len) {
		size_t len = k->rdata[i++];
		if (len > k->rdata_len - i) {
			set_status(k, "permerror", "a TXT string runs past its "
				"record");
			break;
		}
		memcpy(k->text + n, k->rdata + i, len);
		n += len;
		i += len;
	}
	k->text[n] = '\0';
	k->text_len = n;
	if (memchr(k->text, '\0', n) != NULL)
		set_status(k, "permerror", "a NUL byte in the key record");
	return 0;
}

int custody_dkim__read_answer(struct custody_dkim_key *k,
	const unsigned char *answer, size_t len, custody_error **err)
{
	ns_msg msg;
	ns_rr rr;
	int i, count, ntxt = 0, rc;

	if (len > ANSWER_MAX)
		len = ANSWER_MAX;
	if (ns_initparse(answer, (int)len, &msg) != 0) {
		set_status(k, "temperror", "the DNS answer is malformed");
		return 0;
	}
	if (ns_msg_getflag(msg, ns_f_ad))
		snprintf(k->dnssec, sizeof(k->dnssec), "ad");
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0) {
			/* nothing from a reply that does not parse, not
			 * even a TXT record read before the fault */
			custody_dkim__key_clear(k);
			set_status(k, "temperror", "the DNS answer is "
				"malformed");
			return 0;
		}
		if (ns_rr_type(rr) != ns_t_txt)
			continue;       /* a CNAME on the way */
		if (ntxt++ > 0)
			continue;
		k->rdata_len = ns_rr_rdlen(rr);
		k->rdata = malloc(k->rdata_len ? k->rdata_len : 1);
		if (k->rdata == NULL)
			return custody__oom(err);
		memcpy(k->rdata, ns_rr_rdata(rr), k->rdata_len);
	}
	if (ntxt == 0) {
		set_status(k, "nokey", "no TXT record at that name");
		return 0;
	}
	set_status(k, "ok", "");
	if ((rc = join_strings(k, err)) != 0)
		return rc;
	if (ntxt > 1)
		set_status(k, "permerror", "DNS answered with more than one "
			"TXT record");
	return 0;
}

int custody_dkim__lookup(struct custody_dkim_key *k, const char *resolver,
	unsigned int timeout, custody_error **err)
{
	struct __res_state state;
	unsigned char *answer = NULL;
	int len, rc = 0;

	memset(&state, 0, sizeof(state));
	snprintf(k->source, sizeof(k->source), "dns");
	snprintf(k->dnssec, sizeof(k->dnssec), "no");
	k->time = (int64_t)time(NULL);
	if (res_ninit(&state) != 0) {
		set_status(k, "temperror", "the resolver could not be set up "
			"(/etc/resolv.conf)");
		return 0;
	}
	if (resolver != NULL) {
		struct sockaddr_in6 sa6;
		struct sockaddr_in sa4;
		int is6;

		if (parse_resolver(resolver, &sa6, &sa4, &is6) != 0) {
			rc = custody__error(err, CUSTODY_EINVALID,
				"resolver \"%s\" %s", resolver,
				custody_dkim__resolver_problem(resolver));
			goto done;
		}
		if (is6) {
			/* glibc keeps IPv6 servers in private extension
			 * fields: ask through a local forwarder instead */
			rc = custody__error(err, CUSTODY_EINVALID,
				"resolver \"%s\": an IPv6 server cannot be "
				"named yet; name an IPv4 one", resolver);
			goto done;
		} else {
			state.nsaddr_list[0] = sa4;
			state.nscount = 1;
		}
	}
	state.retrans = (int)(timeout ? timeout : 5);
	state.retry = 1;
	state.options |= RES_USE_EDNS0 | RES_USE_DNSSEC;
#ifdef RES_TRUSTAD
	state.options |= RES_TRUSTAD;
#endif
	answer = malloc(ANSWER_MAX);
	if (answer == NULL) {
		rc = custody__oom(err);
		goto done;
	}
	len = res_nquery(&state, k->query, ns_c_in, ns_t_txt, answer,
		ANSWER_MAX);
	k->time = (int64_t)time(NULL);
	if (len < 0) {
		switch (state.res_h_errno) {
		case HOST_NOT_FOUND:
			set_status(k, "nokey", "no such name in DNS (NXDOMAIN)");
			break;
		case NO_DATA:
			set_status(k, "nokey", "no TXT record at that name");
			break;
		default:
			set_status(k, "temperror", "the DNS server did not "
				"answer, or answered with an error");
			break;
		}
		goto done;
	}
	if (len > ANSWER_MAX)
		len = ANSWER_MAX;
	rc = custody_dkim__read_answer(k, answer, (size_t)len, err);
done:
	free(answer);
	res_nclose(&state);
	return rc;
}
