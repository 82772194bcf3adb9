/*
 * mail.c -- one email message: RFC 2047 headers, the RFC 5322 date, and the
 * blocking send over SMTP with libcurl's easy interface and MIME API.
 *
 * mail_send blocks until the server has answered the end of the message
 * (curl cannot do that step without blocking, even in its multi interface),
 * so the daemon calls it from its mail thread (mailer.c), never from the
 * event loop. Nothing here reads the environment or the local time zone:
 * the caller passes the zone's offset, so a thread can use it safely.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "liaison.h"

/*
 * An encoded-word is at most 75 characters: "=?UTF-8?B?" + base64 + "?="
 * leaves 63 for base64, so 60 (a multiple of 4), which is 45 bytes of text.
 */
#define MAIL_WORD_BYTES 45

/* Return 1 if s can go in a header as it is: printable ASCII, no = or ?. */
static int
mail_is_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80 || *s == '=' || *s == '?' ||
		    (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/*
 * Encode a UTF-8 header value as RFC 2047 encoded-words ("=?UTF-8?B?...?="),
 * each at most 75 characters and each holding whole characters, joined by
 * CRLF and a space (folding). Plain ASCII is returned as it is. The caller
 * frees the result.
 */
char *
mail_encode_header(const char *utf8)
{
	size_t len = strlen(utf8), off = 0, n, words, cap;
	unsigned char b64[64];
	char *out, *p;

	if (mail_is_plain(utf8))
		return xstrdup(utf8);
	words = len / 8 + 2;     /* a word holds at least 42 bytes; be generous */
	cap = words * (75 + 3) + 1;
	out = p = xmalloc(cap);
	while (off < len) {
		n = utf8_prefix(utf8 + off, len - off, MAIL_WORD_BYTES);
		if (n == 0)      /* not UTF-8: cut anywhere rather than loop */
			n = len - off < MAIL_WORD_BYTES ? len - off :
			    MAIL_WORD_BYTES;
		EVP_EncodeBlock(b64, (const unsigned char *)utf8 + off, (int)n);
		p += snprintf(p, cap - (size_t)(p - out), "%s=?UTF-8?B?%s?=",
		    off > 0 ? "\r\n " : "", b64);
		off += n;
	}
	return out;
}

/*
 * Write the RFC 5322 date of t in a zone offset_s seconds east of UTC, such
 * as "Mon, 30 Nov 2026 08:30:00 +0800", into buf.
 */
void
mail_date(time_t t, int offset_s, char buf[MAIL_DATE_SIZE])
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t local = t + offset_s;
	int off = offset_s < 0 ? -offset_s : offset_s;
	struct tm tm;

	gmtime_r(&local, &tm);
	snprintf(buf, MAIL_DATE_SIZE, "%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, offset_s < 0 ? '-' : '+',
	    off / 3600, off % 3600 / 60);
}

/* Add a part of type with body to mime; return 0, or -1 with err filled. */
static int
mail_add_text(curl_mime *mime, const char *type, const char *body,
    char *err, size_t errlen)
{
	curl_mimepart *part = curl_mime_addpart(mime);

	if (part == NULL || curl_mime_data(part, body, CURL_ZERO_TERMINATED) !=
	    CURLE_OK || curl_mime_type(part, type) != CURLE_OK ||
	    curl_mime_encoder(part, "base64") != CURLE_OK) {
		snprintf(err, errlen, "cannot build the %s part", type);
		return -1;
	}
	return 0;
}

/*
 * Build the message body on curl: text/plain first and text/html last (a
 * reader shows the last one it understands), both UTF-8 in base64. The
 * message itself is the multipart/alternative: curl makes its top level
 * multipart/mixed unless the headers say otherwise (mail_headers does).
 */
static curl_mime *
mail_build_mime(CURL *curl, const struct mail *m, char *err, size_t errlen)
{
	curl_mime *top;

	if ((top = curl_mime_init(curl)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (mail_add_text(top, "text/plain; charset=utf-8", m->text, err,
	    errlen) == -1 || mail_add_text(top, "text/html; charset=utf-8",
	    m->html, err, errlen) == -1) {
		curl_mime_free(top);
		return NULL;
	}
	return top;
}

/*
 * Append a header made by printf to list. Out of memory, the list is left
 * as it was: the mail thread does not exit the daemon for one header.
 */
static struct curl_slist *
mail_append(struct curl_slist *list, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static struct curl_slist *
mail_append(struct curl_slist *list, const char *fmt, ...)
{
	struct curl_slist *l;
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		return list;
	l = curl_slist_append(list, s);
	free(s);
	return l != NULL ? l : list;
}

/* The message's headers for libcurl (From, To, Subject ...), or NULL. */
static struct curl_slist *
mail_headers(const struct mail *m)
{
	struct curl_slist *h = NULL;
	char *subject, *name, *to;

	subject = mail_encode_header(m->subject);
	name = mail_encode_header(m->from_name ? m->from_name : "");
	to = mail_encode_header(m->to_name ? m->to_name : "");
	h = mail_append(h, "Date: %s", m->date);
	if (m->from_name != NULL)
		h = mail_append(h, "From: %s <%s>", name, m->from);
	else
		h = mail_append(h, "From: <%s>", m->from);
	if (m->to_name != NULL)
		h = mail_append(h, "To: %s <%s>", to, m->to);
	else
		h = mail_append(h, "To: <%s>", m->to);
	h = mail_append(h, "Subject: %s", subject);
	h = mail_append(h, "Message-ID: <%s>", m->message_id);
	/* curl adds the boundary and leaves this line out of the headers. */
	h = mail_append(h, "Content-Type: multipart/alternative");
	free(subject);
	free(name);
	free(to);
	return h;
}

/* curl's progress callback: a non-zero return aborts the transfer. */
static int
mail_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	const struct mail_server *s = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return s->cancel != NULL && s->cancel(s->cancel_arg) != 0;
}

/*
 * Send m to its one recipient through the server s; block until the server
 * has accepted or refused it. Returns 0 when accepted. On failure returns -1
 * and fills res: the last SMTP reply code (0 when there was none, e.g. the
 * server is down), whether the server or our setup is at fault (down, login
 * or TLS refused: no other message would fare better), whether the failure
 * is permanent (a 5xx reply: sending again will not help), and curl's
 * message.
 */
int
mail_send(const struct mail_server *s, const struct mail *m,
    struct mail_result *res)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *rcpt = NULL, *headers = NULL;
	curl_mime *mime = NULL;
	CURL *curl;
	CURLcode rc;
	long code = 0;

	memset(res, 0, sizeof *res);
	if ((curl = curl_easy_init()) == NULL) {
		snprintf(res->error, sizeof res->error, "curl_easy_init failed");
		return -1;
	}
	if ((mime = mail_build_mime(curl, m, res->error,
	    sizeof res->error)) == NULL) {
		curl_easy_cleanup(curl);
		return -1;
	}
	rcpt = mail_append(NULL, "<%s>", m->to);
	headers = mail_headers(m);
	curl_easy_setopt(curl, CURLOPT_URL, s->url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)s->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms * 3);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, s->from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	/*
	 * One recipient per transaction, so a refused one never stops
	 * another's mail (no need for CURLOPT_MAIL_RCPT_ALLOWFAILS).
	 */
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
	/* Let a stopping daemon give up a send stuck on a silent server. */
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, mail_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, (void *)s);
	if (s->starttls)
		curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (s->ca_file != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, s->ca_file);
	if (s->username != NULL)
		curl_easy_setopt(curl, CURLOPT_USERNAME, s->username);
	if (s->password != NULL)
		curl_easy_setopt(curl, CURLOPT_PASSWORD, s->password);

	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	res->code = code;
	if (rc != CURLE_OK) {
		snprintf(res->error, sizeof res->error, "%s",
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		/*
		 * A 5xx refuses this message for good, except a refused
		 * login (535): that is the server's or our configuration,
		 * and the mail goes once it is put right.
		 */
		res->server = code == 0 || rc == CURLE_LOGIN_DENIED ||
		    rc == CURLE_USE_SSL_FAILED || rc == CURLE_SSL_CONNECT_ERROR ||
		    rc == CURLE_PEER_FAILED_VERIFICATION;
		res->permanent = code >= 500 && code < 600 && !res->server;
	}
	curl_slist_free_all(rcpt);
	curl_slist_free_all(headers);
	curl_mime_free(mime);
	curl_easy_cleanup(curl);
	return rc == CURLE_OK ? 0 : -1;
}
