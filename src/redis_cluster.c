/*
 * redis_cluster.c -- the rules for a zone on a Redis Cluster (SPEC 13),
 * shared by the daemon (store_cluster.c), liaisonctl and the digest thread
 * (redis_sync.c): what a redirect says, when a prefix keeps a zone in one
 * slot, and the head of every script call.
 *
 * Every script is called with the prefix as its one key (KEYS[1]) as well
 * as its first argument (ARGV[1], which the scripts build every key from).
 * The key is what a cluster node routes by: the prefix's hash tag is the
 * zone's slot, so a node that does not serve it answers MOVED, and one that
 * is handing it over answers ASK (that key never exists) before running
 * anything.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "liaison.h"

/*
 * 1 when prefix has a hash tag: a '{' and, after at least one character,
 * a '}' (Redis hashes only the text between them, so every key starting
 * with the prefix lands in one slot).
 */
int
redis_cluster_tagged(const char *prefix)
{
	const char *open, *close;

	if ((open = strchr(prefix, '{')) == NULL)
		return 0;
	close = strchr(open + 1, '}');
	return close != NULL && close > open + 1;
}

/*
 * What an error reply redirects to: REDIS_CLUSTER_MOVED or _ASK with the
 * node in a, REDIS_CLUSTER_TRYAGAIN (keys in the middle of a move), or
 * REDIS_CLUSTER_NONE for any other reply.
 */
enum redis_cluster_redirect
redis_cluster_redirect(const struct redisReply *r, struct sentinel_addr *a)
{
	enum redis_cluster_redirect kind;
	const char *p, *colon;
	char text[128];

	if (r == NULL || r->type != REDIS_REPLY_ERROR || r->str == NULL)
		return REDIS_CLUSTER_NONE;
	if (strncmp(r->str, "TRYAGAIN", 8) == 0)
		return REDIS_CLUSTER_TRYAGAIN;
	if (strncmp(r->str, "MOVED ", 6) == 0)
		kind = REDIS_CLUSTER_MOVED;
	else if (strncmp(r->str, "ASK ", 4) == 0)
		kind = REDIS_CLUSTER_ASK;
	else
		return REDIS_CLUSTER_NONE;
	/*
	 * "MOVED 3999 127.0.0.1:6381": the slot, then the node; an IPv6
	 * node comes without brackets, so the port is after the last ':'.
	 */
	p = strchr(r->str, ' ');
	if ((p = strchr(p + 1, ' ')) == NULL)
		return REDIS_CLUSTER_NONE;
	p++;
	if ((colon = strrchr(p, ':')) == NULL || colon == p ||
	    (size_t)(colon - p) >= sizeof a->host)
		return REDIS_CLUSTER_NONE;
	snprintf(text, sizeof text, strchr(p, ':') != colon ? "[%.*s]:%s" :
	    "%.*s:%s", (int)(colon - p), p, colon + 1);
	if (sentinel_addr_parse(text, strlen(text), a) != NULL)
		return REDIS_CLUSTER_NONE;
	return kind;
}

/*
 * Fill the first REDIS_CLUSTER_HEAD arguments of a script call: verb
 * (EVAL or EVALSHA) and script, one key, the prefix, and the prefix again
 * as ARGV[1]. lens may be NULL.
 */
void
redis_cluster_script_head(const char **argv, size_t *lens, const char *verb,
    const char *script, size_t scriptlen, const char *prefix)
{
	argv[0] = verb;
	argv[1] = script;
	argv[2] = "1";
	argv[3] = prefix;
	argv[4] = prefix;
	if (lens == NULL)
		return;
	lens[0] = strlen(verb);
	lens[1] = scriptlen;
	lens[2] = 1;
	lens[3] = strlen(prefix);
	lens[4] = lens[3];
}
