/*
 * digest_doc.c -- a document written twice at once: as plain text and as
 * HTML with inline styles only (mail readers drop <style> and external
 * CSS). Headings, paragraphs and tables; every piece of text is escaped in
 * the HTML. digest.c writes the weekly digests with it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liaison.h"

#define DOC_TABLE "border-collapse:collapse;margin:8px 0 16px;" \
	"font-size:14px;"
#define DOC_CELL "border:1px solid #d0d7de;padding:4px 8px;text-align:left;" \
	"vertical-align:top;"
#define DOC_HEAD DOC_CELL "background:#f3f4f6;font-weight:600;"
#define DOC_NUM "border:1px solid #d0d7de;padding:4px 8px;" \
	"text-align:right;white-space:nowrap;"

static void
doc_grow(struct digest_buf *b, size_t more)
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

static void
doc_add(struct digest_buf *b, const char *s, size_t len)
{
	doc_grow(b, len);
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void
digest_buf_puts(struct digest_buf *b, const char *s)
{
	doc_add(b, s, strlen(s));
}

void
digest_buf_printf(struct digest_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatalx("out of memory");
	va_end(ap);
	digest_buf_puts(b, s);
	free(s);
}

/* Append s with &, <, >, " and ' escaped. */
void
digest_buf_html(struct digest_buf *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *esc = NULL;

		switch (*s) {
		case '&': esc = "&amp;"; break;
		case '<': esc = "&lt;"; break;
		case '>': esc = "&gt;"; break;
		case '"': esc = "&quot;"; break;
		case '\'': esc = "&#39;"; break;
		}
		if (esc == NULL)
			continue;
		doc_add(b, run, (size_t)(s - run));
		digest_buf_puts(b, esc);
		run = s + 1;
	}
	doc_add(b, run, (size_t)(s - run));
}

/* Start a document with its title (the HTML page's heading too). */
void
digest_doc_begin(struct digest_doc *d, const char *title)
{
	memset(d, 0, sizeof *d);
	digest_buf_printf(&d->text, "%s\n", title);
	digest_buf_puts(&d->html, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head>"
	    "<meta charset=\"utf-8\"><title>");
	digest_buf_html(&d->html, title);
	digest_buf_puts(&d->html, "</title></head>\n<body style=\"margin:0;"
	    "padding:16px;background:#ffffff;color:#1f2328;font-family:"
	    "-apple-system,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',"
	    "sans-serif;line-height:1.5;\">\n<div style=\"max-width:860px;\">\n"
	    "<h1 style=\"font-size:20px;margin:0 0 12px;border-bottom:3px solid "
	    "#c8102e;padding-bottom:6px;\">");
	digest_buf_html(&d->html, title);
	digest_buf_puts(&d->html, "</h1>\n");
}

void
digest_doc_heading(struct digest_doc *d, const char *text)
{
	digest_buf_printf(&d->text, "\n== %s ==\n", text);
	digest_buf_puts(&d->html, "<h2 style=\"font-size:16px;margin:20px 0 6px;"
	    "color:#c8102e;\">");
	digest_buf_html(&d->html, text);
	digest_buf_puts(&d->html, "</h2>\n");
}

void
digest_doc_para(struct digest_doc *d, const char *text)
{
	digest_buf_printf(&d->text, "%s\n", text);
	digest_buf_puts(&d->html, "<p style=\"margin:4px 0;font-size:14px;\">");
	digest_buf_html(&d->html, text);
	digest_buf_puts(&d->html, "</p>\n");
}

/* A table with n columns; numeric[i] right-aligns column i. */
void
digest_doc_table(struct digest_doc *d, const char *const *head, size_t n,
    const int *numeric)
{
	size_t i;

	d->columns = n;
	d->numeric = numeric;
	digest_buf_printf(&d->html, "<table style=\"%s\">\n<tr>", DOC_TABLE);
	for (i = 0; i < n; i++) {
		digest_buf_printf(&d->text, "%s%s", i ? " | " : "", head[i]);
		digest_buf_printf(&d->html, "<th style=\"%s\">", DOC_HEAD);
		digest_buf_html(&d->html, head[i]);
		digest_buf_puts(&d->html, "</th>");
	}
	digest_buf_puts(&d->text, "\n");
	digest_buf_puts(&d->html, "</tr>\n");
}

void
digest_doc_row(struct digest_doc *d, const char *const *cells)
{
	size_t i;

	digest_buf_puts(&d->html, "<tr>");
	for (i = 0; i < d->columns; i++) {
		digest_buf_printf(&d->text, "%s%s", i ? " | " : "", cells[i]);
		digest_buf_printf(&d->html, "<td style=\"%s\">",
		    d->numeric != NULL && d->numeric[i] ? DOC_NUM : DOC_CELL);
		digest_buf_html(&d->html, cells[i]);
		digest_buf_puts(&d->html, "</td>");
	}
	digest_buf_puts(&d->text, "\n");
	digest_buf_puts(&d->html, "</tr>\n");
}

void
digest_doc_table_end(struct digest_doc *d)
{
	digest_buf_puts(&d->html, "</table>\n");
	d->columns = 0;
	d->numeric = NULL;
}

/* Finish: the caller owns *text and *html. */
void
digest_doc_end(struct digest_doc *d, const char *footer, char **text,
    char **html)
{
	digest_buf_printf(&d->text, "\n-- \n%s\n", footer);
	digest_buf_puts(&d->html, "<p style=\"margin:24px 0 0;font-size:12px;"
	    "color:#656d76;border-top:1px solid #d0d7de;padding-top:8px;\">");
	digest_buf_html(&d->html, footer);
	digest_buf_puts(&d->html, "</p>\n</div></body></html>\n");
	*text = d->text.s;
	*html = d->html.s;
	memset(d, 0, sizeof *d);
}
