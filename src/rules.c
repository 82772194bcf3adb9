/*
 * rules.c -- the business rules of liaisond in one place: the categories
 * of an issue (个性 individual, 共性 common, 疑难 difficult) and what each
 * is called.
 */
#include "config.h"

#include <string.h>

#include "liaison.h"

/*
 * The categories as the API, Redis and the script name them, weakest
 * first: the order in which a rule raises an issue.
 */
const char *const issue_categories[] = { "individual", "common",
    "difficult", NULL };

/* What each category is called, in issue_categories' order. */
static const struct {
	const char *label;       /* 个性: a table cell, a chat message */
	const char *title;       /* 个性问题: a heading, a sheet, a page */
} rules_labels[CATEGORY_COUNT] = {
	{ "个性", "个性问题" },
	{ "共性", "共性问题" },
	{ "疑难", "疑难问题" },
};

/* The category's number, or -1 for a name that is no category. */
int
rules_category(const char *name)
{
	int i;

	for (i = 0; name != NULL && issue_categories[i] != NULL; i++)
		if (strcmp(name, issue_categories[i]) == 0)
			return i;
	return -1;
}

/* 个性, 共性 or 疑难 for a category name; the name itself if unknown. */
const char *
rules_category_label(const char *name)
{
	int c = rules_category(name);

	return c == -1 ? name : rules_labels[c].label;
}

/* 个性问题, 共性问题 or 疑难问题 for a category name; NULL if unknown. */
const char *
rules_category_title(const char *name)
{
	int c = rules_category(name);

	return c == -1 ? NULL : rules_labels[c].title;
}
