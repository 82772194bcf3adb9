/*
 * html.c -- the one rule for escaping text into HTML, used by the web pages
 * (web.c, into an evbuffer) and the digest mails (digest_doc.c, into a
 * growing string) alike.
 *
 * Five bytes are replaced by their entity: & < > " and ' (as &#39;, which
 * every HTML version and mail reader knows), so that the result is safe as
 * element text and inside an attribute value quoted with either quote.
 * Every other byte, UTF-8 sequences included, is copied as it is.
 *
 * The escaper hands out pieces rather than writing, so that each caller
 * appends them to its own kind of buffer with no callback and no copy.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "liaison.h"

/* Return the entity that stands for byte c, or NULL if c stands for itself. */
const char *
html_entity(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	}
	return NULL;
}

/*
 * Return the next piece of the escaped form of the string at *s and set
 * *len to its length, moving *s past what it stands for: a run of bytes
 * copied as they are, or the entity of one special byte. Return NULL at
 * the end of the string. A caller appends the pieces in turn:
 *
 *	while ((piece = html_escape_next(&s, &len)) != NULL)
 *		append(buffer, piece, len);
 */
const char *
html_escape_next(const char **s, size_t *len)
{
	const char *piece = *s, *entity;
	size_t run = 0;

	if (*piece == '\0')
		return NULL;
	if ((entity = html_entity((unsigned char)*piece)) != NULL) {
		*len = strlen(entity);
		(*s)++;
		return entity;
	}
	while (piece[run] != '\0' &&
	    html_entity((unsigned char)piece[run]) == NULL)
		run++;
	*len = run;
	*s += run;
	return piece;
}
