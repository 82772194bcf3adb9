/*
 * replies.h -- Redis replies built by hand, shaped like the Lua scripts'
 * (flat hashes, arrays of rows), for the unit tests of what parses them.
 */
#ifndef LIAISON_TEST_REPLIES_H
#define LIAISON_TEST_REPLIES_H

#include <hiredis/hiredis.h>

redisReply *reply_array(size_t);
redisReply *reply_string(const char *);
void reply_push(redisReply *, redisReply *);
redisReply *reply_hash(const char *, ...);
void reply_free(redisReply *);

#endif
