/*
 * sentinel_addr.c -- the rules for finding the Redis primary, shared by the
 * daemon's event loop (sentinel.c) and the blocking side (redis_sync.c):
 * an "address:port", the list of Sentinels in [redis] sentinels, what a
 * Sentinel answers to SENTINEL get-master-addr-by-name, the +switch-master
 * message it publishes, and whether ROLE says "master".
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "liaison.h"

/* 1 if s is a numeric IPv4 or IPv6 address, 0 otherwise. */
int
sentinel_addr_numeric(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

/* A port: decimal digits, 1 to 65535; -1 when it is not one. */
static int
sentinel_addr_port(const char *p, size_t len)
{
	int port = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		port = port * 10 + (p[i] - '0');
	}
	return port >= 1 && port <= 65535 ? port : -1;
}

/*
 * Parse the len bytes at text, "address:port" or "[v6address]:port", into
 * a. Returns NULL, or what is wrong (a sentence for the config's message).
 */
const char *
sentinel_addr_parse(const char *text, size_t len, struct sentinel_addr *a)
{
	const char *end = text + len, *host, *host_end, *colon;
	size_t hlen;

	if (len > 0 && *text == '[') {
		host = text + 1;
		host_end = memchr(host, ']', end - host);
		if (host_end == NULL)
			return "missing ']' after an IPv6 address";
		if (host_end + 1 >= end || host_end[1] != ':')
			return "expected \"[address]:port\"";
		colon = host_end + 1;
	} else {
		host = text;
		if ((colon = memchr(text, ':', len)) == NULL)
			return "expected \"address:port\"";
		if (memchr(colon + 1, ':', end - colon - 1) != NULL)
			return "an IPv6 address goes in brackets, as \"[::1]:8080\"";
		host_end = colon;
	}
	if ((a->port = sentinel_addr_port(colon + 1, end - colon - 1)) == -1)
		return "the port must be a number from 1 to 65535";
	hlen = host_end - host;
	if (hlen == 0 || hlen >= sizeof a->host)
		return "the address must be a numeric IPv4 or [IPv6] address";
	memcpy(a->host, host, hlen);
	a->host[hlen] = '\0';
	if (!sentinel_addr_numeric(a->host) ||
	    (*text == '[' && strchr(a->host, ':') == NULL))
		return "the address must be a numeric IPv4 or [IPv6] address";
	return NULL;
}

/*
 * Parse "a:p, b:p, ..." (1 to SENTINEL_ADDR_MAX addresses, spaces around
 * the commas allowed) into a new array *out of *n. Returns NULL, or what
 * is wrong; *out is then NULL.
 */
const char *
sentinel_addr_list(const char *text, struct sentinel_addr **out, size_t *n)
{
	struct sentinel_addr *list;
	const char *p = text, *why;
	size_t len, count = 0;

	list = xcalloc(SENTINEL_ADDR_MAX, sizeof *list);
	for (;;) {
		p += strspn(p, " \t");
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (count == SENTINEL_ADDR_MAX) {
			why = "at most 16 addresses";
			goto fail;
		}
		if ((why = sentinel_addr_parse(p, len, &list[count])) != NULL)
			goto fail;
		count++;
		if ((p = strchr(p, ',')) == NULL)
			break;
		p++;
	}
	*out = list;
	*n = count;
	return NULL;
fail:
	free(list);
	*out = NULL;
	*n = 0;
	return why;
}

/* Fill a from a numeric host and a port given as text; 0 or -1. */
static int
sentinel_addr_set(struct sentinel_addr *a, const char *host, size_t hlen,
    const char *port, size_t plen)
{
	if (hlen == 0 || hlen >= sizeof a->host)
		return -1;
	memcpy(a->host, host, hlen);
	a->host[hlen] = '\0';
	if (!sentinel_addr_numeric(a->host))
		return -1;
	return (a->port = sentinel_addr_port(port, plen)) == -1 ? -1 : 0;
}

/*
 * The primary from a SENTINEL get-master-addr-by-name reply: an array of
 * address and port. A nil reply means the Sentinel does not know the name.
 * Returns 0, or -1 when the reply says nothing usable.
 */
int
sentinel_addr_from_reply(const redisReply *r, struct sentinel_addr *a)
{
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING)
		return -1;
	return sentinel_addr_set(a, r->element[0]->str, r->element[0]->len,
	    r->element[1]->str, r->element[1]->len);
}

/*
 * The new primary from a +switch-master message, "NAME OLDIP OLDPORT NEWIP
 * NEWPORT", when NAME is master. Returns 0, or -1 (another name, or a
 * message that is not one).
 */
int
sentinel_addr_from_switch(const char *msg, size_t len, const char *master,
    struct sentinel_addr *a)
{
	const char *word[5], *p = msg, *end = msg + len;
	size_t wlen[5], i;

	for (i = 0; i < 5; i++) {
		word[i] = p;
		while (p < end && *p != ' ')
			p++;
		if ((wlen[i] = p - word[i]) == 0)
			return -1;
		if (i == 4)
			break;
		if (p == end)
			return -1;
		p++;
	}
	if (p != end || wlen[0] != strlen(master) ||
	    memcmp(word[0], master, wlen[0]) != 0)
		return -1;
	return sentinel_addr_set(a, word[3], wlen[3], word[4], wlen[4]);
}

/* 1 when a ROLE reply says this server is a primary ("master"). */
int
sentinel_addr_is_primary(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "master") == 0;
}
