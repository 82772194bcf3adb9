/*
 * digest_doc.c -- a document written twice at once: as plain text and as
 * HTML with inline styles only (mail readers drop <style> and external
 * CSS). Headings, paragraphs and tables; every piece of text is escaped in
 * the HTML by html.c's rule, the one the web pages use. digest.c and
 * digest_ledger.c write the weekly digests with it, notify.c the officers'
 * mail.
 *
 * Everything fits a phone 360 px wide (no media queries: mail readers drop
 * them too): a table of up to DIGEST_DOC_NARROW columns is a table as wide
 * as the screen whose text wraps anywhere; a wider one is drawn as stacked
 * rows, one small block per row, its first cell as the block's title and
 * every other cell as "column：value". tests/browser/digest.test.mjs
 * renders each mail at 360 px and finds nothing wider than the screen.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison.h"

#define DIGEST_DOC_NARROW 3          /* columns a phone shows as a table */
#define DIGEST_DOC_TABLE "border-collapse:collapse;margin:8px 0 16px;" \
	"font-size:14px;width:100%;"
#define DIGEST_DOC_CELL "border:1px solid #d0d7de;padding:4px 8px;" \
	"text-align:left;vertical-align:top;overflow-wrap:anywhere;" \
	"word-break:break-word;"
#define DIGEST_DOC_BLOCK "border:1px solid #d0d7de;padding:6px 8px;" \
	"margin:0 0 6px;font-size:14px;overflow-wrap:anywhere;" \
	"word-break:break-word;"
#define DIGEST_DOC_PAIR "display:inline-block;margin:0 12px 0 0;"
#define DIGEST_DOC_LABEL "color:#656d76;"
#define DIGEST_DOC_HEAD DIGEST_DOC_CELL "background:#f3f4f6;font-weight:600;"
#define DIGEST_DOC_NUM "border:1px solid #d0d7de;padding:4px 8px;" \
	"text-align:right;white-space:nowrap;"

/* Make room in b for more bytes and the NUL after them. */
static void
digest_doc_buf_grow(struct digest_doc_buf *b, size_t more)
{
	size_t need = b->len + more + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 1024;
	while (b->cap < need)
		b->cap *= 2;
	b->s = xreallocarray(b->s, b->cap, 1);
}

/* Append the len bytes at s to b. */
static void
digest_doc_buf_add(struct digest_doc_buf *b, const char *s, size_t len)
{
	digest_doc_buf_grow(b, len);
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

/* Append the string s to b. */
static void
digest_doc_buf_puts(struct digest_doc_buf *b, const char *s)
{
	digest_doc_buf_add(b, s, strlen(s));
}

/* Append printf's output to b. */
void
digest_doc_buf_printf(struct digest_doc_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	digest_doc_buf_puts(b, s);
	free(s);
}

/* Append s with HTML's special characters escaped (html.c). */
static void
digest_doc_buf_html(struct digest_doc_buf *b, const char *s)
{
	const char *piece;
	size_t len;

	while ((piece = html_escape_next(&s, &len)) != NULL)
		digest_doc_buf_add(b, piece, len);
}

/* Append one HTML element: open, text escaped, then close. */
static void
digest_doc_element(struct digest_doc_buf *html, const char *open,
    const char *text, const char *close)
{
	digest_doc_buf_puts(html, open);
	digest_doc_buf_html(html, text);
	digest_doc_buf_puts(html, close);
}

/* Start a document with its title (the HTML page's heading too). */
void
digest_doc_begin(struct digest_doc *d, const char *title)
{
	memset(d, 0, sizeof *d);
	digest_doc_buf_printf(&d->text, "%s\n", title);
	digest_doc_element(&d->html, "<!DOCTYPE html>\n<html lang=\"zh-CN\">"
	    "<head><meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\"><title>", title,
	    "</title></head>\n");
	digest_doc_element(&d->html, "<body style=\"margin:0;padding:16px;"
	    "background:#ffffff;color:#1f2328;font-family:-apple-system,"
	    "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;"
	    "line-height:1.5;\">\n<div style=\"max-width:860px;\">\n"
	    "<h1 style=\"font-size:20px;margin:0 0 12px;border-bottom:3px solid "
	    "#c8102e;padding-bottom:6px;\">", title, "</h1>\n");
}

/* A section heading. */
void
digest_doc_heading(struct digest_doc *d, const char *text)
{
	digest_doc_buf_printf(&d->text, "\n== %s ==\n", text);
	digest_doc_element(&d->html, "<h2 style=\"font-size:16px;"
	    "margin:20px 0 6px;color:#c8102e;\">", text, "</h2>\n");
}

/* A paragraph of text. */
void
digest_doc_para(struct digest_doc *d, const char *text)
{
	digest_doc_buf_printf(&d->text, "%s\n", text);
	digest_doc_element(&d->html, "<p style=\"margin:4px 0;"
	    "font-size:14px;\">", text, "</p>\n");
}

/*
 * A link: "text: url" in the text part, an anchor in the HTML (url is
 * escaped as an attribute; the caller gives an http(s) URL).
 */
void
digest_doc_link(struct digest_doc *d, const char *text, const char *url)
{
	digest_doc_buf_printf(&d->text, "%s：%s\n", text, url);
	digest_doc_buf_puts(&d->html, "<p style=\"margin:4px 0;font-size:14px;"
	    "overflow-wrap:anywhere;word-break:break-all;\"><a "
	    "style=\"color:#c8102e;\" href=\"");
	digest_doc_buf_html(&d->html, url);
	digest_doc_element(&d->html, "\">", text, "</a></p>\n");
}

/*
 * A table with n columns; numeric[i] right-aligns column i. head is kept
 * until digest_doc_table_end (stacked rows name each cell's column).
 */
void
digest_doc_table(struct digest_doc *d, const char *const *head, size_t n,
    const int *numeric)
{
	size_t i;

	d->columns = n;
	d->numeric = numeric;
	d->head = head;
	d->stacked = n > DIGEST_DOC_NARROW;
	for (i = 0; i < n; i++)
		digest_doc_buf_printf(&d->text, "%s%s", i ? " | " : "",
		    head[i]);
	digest_doc_buf_puts(&d->text, "\n");
	if (d->stacked) {
		digest_doc_buf_puts(&d->html, "<div style=\"margin:8px 0 "
		    "16px;\">\n");
		return;
	}
	digest_doc_buf_puts(&d->html, "<table style=\"" DIGEST_DOC_TABLE "\">\n"
	    "<tr>");
	for (i = 0; i < n; i++)
		digest_doc_element(&d->html, "<th style=\"" DIGEST_DOC_HEAD
		    "\">", head[i], "</th>");
	digest_doc_buf_puts(&d->html, "</tr>\n");
}

/*
 * One row of the table begun last, in both parts; the first cell links to
 * url in the HTML when url is not NULL (the text part gives the links
 * under the table: digest_doc_text_line).
 */
static void
digest_doc_cells(struct digest_doc *d, const char *const *cells,
    const char *url)
{
	size_t i;

	for (i = 0; i < d->columns; i++)
		digest_doc_buf_printf(&d->text, "%s%s", i ? " | " : "",
		    cells[i]);
	digest_doc_buf_puts(&d->text, "\n");
	digest_doc_buf_puts(&d->html, d->stacked ? "<div style=\""
	    DIGEST_DOC_BLOCK "\">" : "<tr>");
	for (i = 0; i < d->columns; i++) {
		if (d->stacked && i == 0)
			digest_doc_buf_puts(&d->html, "<div style=\""
			    "font-weight:600;\">");
		else if (d->stacked)
			digest_doc_element(&d->html, "<span style=\""
			    DIGEST_DOC_PAIR "\"><span style=\"" DIGEST_DOC_LABEL
			    "\">", d->head[i], "：</span>");
		else
			digest_doc_buf_puts(&d->html, d->numeric != NULL &&
			    d->numeric[i] ? "<td style=\"" DIGEST_DOC_NUM "\">" :
			    "<td style=\"" DIGEST_DOC_CELL "\">");
		if (i == 0 && url != NULL) {
			digest_doc_buf_puts(&d->html, "<a href=\"");
			digest_doc_buf_html(&d->html, url);
			digest_doc_buf_puts(&d->html, "\">");
		}
		digest_doc_buf_html(&d->html, cells[i]);
		if (i == 0 && url != NULL)
			digest_doc_buf_puts(&d->html, "</a>");
		digest_doc_buf_puts(&d->html, !d->stacked ? "</td>" : i == 0 ?
		    "</div>" : "</span>");
	}
	digest_doc_buf_puts(&d->html, d->stacked ? "</div>\n" : "</tr>\n");
}

/* A row of the table begun last: one cell for each of its columns. */
void
digest_doc_row(struct digest_doc *d, const char *const *cells)
{
	digest_doc_cells(d, cells, NULL);
}

/*
 * A row whose first cell links to url in the HTML part (the text part
 * gives the links under the table: digest_doc_text_line).
 */
void
digest_doc_row_link(struct digest_doc *d, const char *const *cells,
    const char *url)
{
	digest_doc_cells(d, cells, url);
}

/*
 * Bars (HTML part only): head[0] names the rows, head[1..n-1] the bars of
 * each; digest_doc_table_end closes them. Each row is a block, as a wide
 * table is (a phone is 360 px): its label, then one line per bar of a
 * two-column table, the bar's name and the bar. Mail clients render a bar
 * as a one-row table whose coloured cell has a percentage width; images
 * and CSS they drop.
 */
void
digest_doc_bars(struct digest_doc *d, const char *const *head, size_t n)
{
	d->columns = n;
	d->numeric = NULL;
	d->head = head;
	d->stacked = 1;
	digest_doc_buf_puts(&d->html, "<div style=\"margin:8px 0 16px;\">\n");
}

/*
 * One row of bars: label, then for each of the other columns a bar of
 * values[i] (0 to 1; < 0: none, an empty bar) captioned texts[i].
 */
void
digest_doc_bars_row(struct digest_doc *d, const char *label,
    const double *values, const char *const *texts)
{
	size_t i;
	int width;

	digest_doc_element(&d->html, "<div style=\"" DIGEST_DOC_BLOCK "\">"
	    "<div style=\"font-weight:600;\">", label, "</div>");
	digest_doc_buf_puts(&d->html, "<table role=\"presentation\" "
	    "width=\"100%\" style=\"border-collapse:collapse;\">");
	for (i = 0; i + 1 < d->columns; i++) {
		width = values[i] < 0 ? 0 : values[i] > 1 ? 100 :
		    (int)(values[i] * 100 + 0.5);
		digest_doc_element(&d->html, "<tr><td style=\"" DIGEST_DOC_LABEL
		    "padding:2px 8px 2px 0;white-space:nowrap;width:4em;\">",
		    d->head[i + 1], "</td>");
		digest_doc_buf_printf(&d->html, "<td style=\"padding:2px 0;\">"
		    "<table role=\"presentation\" "
		    "width=\"100%%\" cellpadding=\"0\" cellspacing=\"0\" "
		    "style=\"border-collapse:collapse;\"><tr>");
		if (width > 0)
			digest_doc_buf_printf(&d->html, "<td width=\"%d%%\" "
			    "style=\"background:#c8102e;height:10px;"
			    "font-size:1px;line-height:1px;\">&nbsp;</td>",
			    width);
		if (width < 100)
			digest_doc_buf_printf(&d->html, "<td width=\"%d%%\" "
			    "style=\"background:#f3f4f6;height:10px;"
			    "font-size:1px;line-height:1px;\">&nbsp;</td>",
			    100 - width);
		digest_doc_element(&d->html, "</tr></table><span style=\""
		    "font-size:12px;\">", texts[i], "</span></td></tr>");
	}
	digest_doc_buf_puts(&d->html, "</table></div>\n");
}

/* A line of the text part only. */
void
digest_doc_text_line(struct digest_doc *d, const char *line)
{
	digest_doc_buf_printf(&d->text, "%s\n", line);
}

/* Close the table begun last. */
void
digest_doc_table_end(struct digest_doc *d)
{
	digest_doc_buf_puts(&d->html, d->stacked ? "</div>\n" : "</table>\n");
	d->columns = 0;
	d->numeric = NULL;
	d->head = NULL;
	d->stacked = 0;
}

/*
 * Finish with footer (a signature line in the text) and hand out both
 * forms: the caller owns and frees *text and *html; d is empty again.
 */
void
digest_doc_end(struct digest_doc *d, const char *footer, char **text,
    char **html)
{
	digest_doc_buf_printf(&d->text, "\n-- \n%s\n", footer);
	digest_doc_element(&d->html, "<p style=\"margin:24px 0 0;"
	    "font-size:12px;color:#656d76;border-top:1px solid #d0d7de;"
	    "padding-top:8px;\">", footer, "</p>\n</div></body></html>\n");
	*text = d->text.s;
	*html = d->html.s;
	memset(d, 0, sizeof *d);
}
