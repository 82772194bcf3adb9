/*
 * qr.c -- QR codes of sign-in links, drawn by libqrencode: as an inline
 * SVG (a page or a printed card) and as text for a terminal. Error
 * correction level M: a card that is a little worn still scans.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "liaison.h"

#define QR_QUIET 4                  /* modules of white around the code */

/* The code of text, or NULL (with a cause in the log) if it cannot be. */
static QRcode *
qr_encode(const char *text)
{
	QRcode *code = QRcode_encodeString(text, 0, QR_ECLEVEL_M,
	    QR_MODE_8, 1);

	if (code == NULL)
		log_warn("qr: cannot encode %zu bytes", strlen(text));
	return code;
}

/* Whether module (x, y) of code is dark; outside it (the quiet zone) not. */
static int
qr_dark(const QRcode *code, int x, int y)
{
	if (x < 0 || y < 0 || x >= code->width || y >= code->width)
		return 0;
	return code->data[y * code->width + x] & 1;
}

/*
 * text as an SVG element of size CSS pixels square: one path of unit
 * squares on a white square, quiet zone included, drawn with attributes
 * only (no style, so a page's CSP needs nothing more). label names it
 * for screen readers (escaped here). NULL if text cannot be encoded; the
 * caller frees the result.
 */
char *
qr_svg(const char *text, int size, const char *label)
{
	struct digest_doc_buf b = { NULL, 0, 0 };
	QRcode *code;
	const char *piece;
	size_t len;
	int n, x, y;

	if ((code = qr_encode(text)) == NULL)
		return NULL;
	if (label == NULL)
		label = "";
	n = code->width + 2 * QR_QUIET;
	digest_doc_buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "class=\"qr\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"", size,
	    size, n, n);
	while ((piece = html_escape_next(&label, &len)) != NULL)
		digest_doc_buf_printf(&b, "%.*s", (int)len, piece);
	digest_doc_buf_printf(&b, "\"><rect width=\"%d\" height=\"%d\" "
	    "fill=\"#fff\"/><path fill=\"#000\" d=\"", n, n);
	for (y = 0; y < code->width; y++)
		for (x = 0; x < code->width; x++)
			if (qr_dark(code, x, y))
				digest_doc_buf_printf(&b, "M%d %dh1v1h-1z",
				    x + QR_QUIET, y + QR_QUIET);
	digest_doc_buf_printf(&b, "\"/></svg>");
	QRcode_free(code);
	return b.s;
}

/*
 * text as lines for a terminal: two rows of modules per line in Unicode
 * half blocks, the light modules and the quiet zone drawn as blocks, the
 * dark ones as blanks, so that it scans on a dark terminal (the usual
 * one). NULL if text cannot be encoded; the caller frees the result.
 */
char *
qr_text(const char *text)
{
	static const char *const cells[4] = {
		"\xe2\x96\x88",      /* both light: full block */
		"\xe2\x96\x84",      /* top dark: lower half block */
		"\xe2\x96\x80",      /* bottom dark: upper half block */
		" ",                 /* both dark */
	};
	struct digest_doc_buf b = { NULL, 0, 0 };
	QRcode *code;
	int x, y, top, bottom;

	if ((code = qr_encode(text)) == NULL)
		return NULL;
	for (y = -QR_QUIET; y < code->width + QR_QUIET; y += 2) {
		for (x = -QR_QUIET; x < code->width + QR_QUIET; x++) {
			top = qr_dark(code, x, y);
			bottom = qr_dark(code, x, y + 1);
			digest_doc_buf_printf(&b, "%s", cells[top | bottom << 1]);
		}
		digest_doc_buf_printf(&b, "\n");
	}
	QRcode_free(code);
	return b.s;
}
