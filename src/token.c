/*
 * token.c -- access tokens: a new one for liaisonctl to print, and the
 * SHA-256 of one, which is all Redis ever stores (token:HASH). A token is
 * "lt_" and the url-safe base64 of 24 random bytes (OpenSSL's RAND_bytes),
 * TOKEN_LEN characters in all.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "liaison.h"

/* Random bytes in a token; 24 bytes are 32 base64 characters, no padding. */
#define TOKEN_RANDOM_BYTES 24

/*
 * Write a new access token into out: "lt_" and the url-safe base64 (no
 * padding) of 24 random bytes, TOKEN_LEN characters and a NUL. Return 0, or
 * -1 when out is too small or the random generator fails.
 */
int
token_generate(char *out, size_t outlen)
{
	unsigned char raw[TOKEN_RANDOM_BYTES];
	unsigned char b64[4 * ((TOKEN_RANDOM_BYTES + 2) / 3) + 1];
	size_t i;
	int n;

	if (outlen < TOKEN_LEN + 1)
		return -1;
	if (RAND_bytes(raw, sizeof raw) != 1)
		return -1;
	n = EVP_EncodeBlock(b64, raw, sizeof raw);
	OPENSSL_cleanse(raw, sizeof raw);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	for (i = 0; i < (size_t)n; i++) {
		if (b64[i] == '+')
			b64[i] = '-';
		else if (b64[i] == '/')
			b64[i] = '_';
	}
	snprintf(out, outlen, "lt_%.*s", n, (char *)b64);
	OPENSSL_cleanse(b64, sizeof b64);
	return 0;
}

/* Write SHA-256 of a token, in lower-case hex, to out: what Redis stores. */
void
token_hash(const char *token, char out[TOKEN_HASH_LEN + 1])
{
	util_sha256_hex(token, strlen(token), out);
}
