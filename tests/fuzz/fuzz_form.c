/*
 * fuzz_form.c -- what a browser sends the pages (form.c): the input is
 * both an urlencoded form body (/form, /dept, /admin, /login) and a Cookie
 * header holding the session cookie.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "liaison.h"
#include "fuzz.h"

#define FUZZ_SID_LEN 32

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evkeyvalq form;
	struct evkeyval *kv;
	char *s = fuzz_string(data, size), name[64], sid[FUZZ_SID_LEN + 1];
	enum form_result result;

	TAILQ_INIT(&form);
	result = form_parse(s, size, &form, name, sizeof name);
	/* a refusal for a NUL only when there is one, raw or as %00 */
	if (result == FORM_NUL && memchr(s, '\0', size) == NULL &&
	    strcasestr(s, "%00") == NULL)
		abort();
	if (result == FORM_OK) {
		if (memchr(s, '\0', size) != NULL)
			abort();
		TAILQ_FOREACH(kv, &form, next) {
			if (!utf8_valid(kv->value, strlen(kv->value)))
				abort();
		}
	}
	evhttp_clear_headers(&form);

	/* a session id found is 32 hex digits that follow the cookie's name */
	if (form_cookie(s, "liaison_session", sid, FUZZ_SID_LEN)) {
		if (strlen(sid) != FUZZ_SID_LEN || strspn(sid,
		    "0123456789abcdef") != FUZZ_SID_LEN)
			abort();
		if (strstr(s, "liaison_session=") == NULL)
			abort();
	}
	free(s);
	return 0;
}
