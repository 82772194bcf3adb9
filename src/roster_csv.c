/*
 * roster_csv.c -- the roster as spreadsheets: officers, enterprises,
 * departments, topics and leaders, one CSV sheet each, with headers in
 * Chinese or English. This file defines the sheets, once, for both ways:
 * roster_csv_import.c reads sheets into roster JSON, roster_csv_export.c
 * writes them from it.
 *
 * A sheet is its columns; each column names the roster field it holds
 * (also its English header), its Chinese header, whether a cell may be
 * empty, and how the cell maps to the field (enum roster_csv_kind): text,
 * a list, one of a few words (级别 区级/市级/省级 for zone/municipal/
 * provincial), a credit code, a field of the department's webhook, or the
 * officers of an enterprise.
 *
 * The link between officers and enterprises lives in the enterprise sheet
 * (column 指导员 / officers: one or more officer ids): an officer's
 * enterprises are the rows that name them, in sheet order.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "liaison.h"

/* Words of the level and kind cells: the roster's, then the sheet's. */
static const char *const roster_csv_levels[][2] = {
	{ "zone", "区级" }, { "municipal", "市级" }, { "provincial", "省级" },
	{ NULL, NULL }
};
static const char *const roster_csv_kinds[][2] = {
	{ "enterprise", "企业" }, { "social_org", "社会组织" }, { NULL, NULL }
};

/* The sheets and their columns, in the order export writes them. */
static const struct roster_csv_layout roster_csv_layouts[] = {
	[ROSTER_CSV_OFFICERS] = { "officers", {
		{ "id", "编号", 1, ROSTER_CSV_TEXT, NULL },
		{ "name", "姓名", 1, ROSTER_CSV_TEXT, NULL },
		{ "level", "级别", 1, ROSTER_CSV_WORD, roster_csv_levels },
		{ "unit", "单位", 0, ROSTER_CSV_TEXT, NULL },
		{ "phone", "电话", 0, ROSTER_CSV_TEXT, NULL },
		{ "email", "邮箱", 0, ROSTER_CSV_TEXT, NULL } } },
	[ROSTER_CSV_ENTERPRISES] = { "enterprises", {
		{ "id", "统一社会信用代码", 1, ROSTER_CSV_CODE, NULL },
		{ "name", "名称", 1, ROSTER_CSV_TEXT, NULL },
		{ "kind", "类型", 1, ROSTER_CSV_WORD, roster_csv_kinds },
		{ "area", "区域", 0, ROSTER_CSV_TEXT, NULL },
		{ "officers", "指导员", 0, ROSTER_CSV_LINK, NULL } } },
	[ROSTER_CSV_DEPARTMENTS] = { "departments", {
		{ "id", "编号", 1, ROSTER_CSV_TEXT, NULL },
		{ "name", "名称", 1, ROSTER_CSV_TEXT, NULL },
		{ "emails", "邮箱", 0, ROSTER_CSV_LIST, NULL },
		{ "webhook_url", "推送地址", 0, ROSTER_CSV_WEBHOOK, NULL },
		{ "webhook_format", "推送格式", 0, ROSTER_CSV_WEBHOOK, NULL },
		{ "webhook_secret", "推送密钥", 0, ROSTER_CSV_WEBHOOK, NULL } } },
	[ROSTER_CSV_TOPICS] = { "topics", {
		{ "id", "编号", 1, ROSTER_CSV_TEXT, NULL },
		{ "name", "名称", 1, ROSTER_CSV_TEXT, NULL },
		{ "departments", "责任部门", 1, ROSTER_CSV_LIST, NULL },
		{ "keywords", "关键词", 0, ROSTER_CSV_LIST, NULL } } },
	[ROSTER_CSV_LEADERS] = { "leaders", {
		{ "name", "姓名", 1, ROSTER_CSV_TEXT, NULL },
		{ "email", "邮箱", 1, ROSTER_CSV_TEXT, NULL } } },
};

/* Return the layout of sheet id: its name and columns. */
const struct roster_csv_layout *
roster_csv_layout(enum roster_csv_sheet_id id)
{
	return &roster_csv_layouts[id];
}

/* Return the sheet name of id, for messages and option names. */
const char *
roster_csv_sheet_name(enum roster_csv_sheet_id id)
{
	return roster_csv_layouts[id].name;
}

/* Order keys by id, then by row. */
int
roster_csv_key_cmp(const void *a, const void *b)
{
	const struct roster_csv_key *ka = a, *kb = b;
	int c = strcmp(ka->id, kb->id);

	if (c != 0)
		return c;
	return ka->row < kb->row ? -1 : ka->row > kb->row;
}

static int
roster_csv_key_find(const void *id, const void *k)
{
	return strcmp(id, ((const struct roster_csv_key *)k)->id);
}

/*
 * Return the first of the n keys (sorted with roster_csv_key_cmp) with
 * id, the one of the lowest row, or NULL.
 */
struct roster_csv_key *
roster_csv_key_first(struct roster_csv_key *keys, size_t n, const char *id)
{
	struct roster_csv_key *k;

	if (n == 0)
		return NULL;
	k = bsearch(id, keys, n, sizeof *keys, roster_csv_key_find);
	while (k != NULL && k > keys && strcmp(k[-1].id, id) == 0)
		k--;
	return k;
}

/* Free n keys and their ids. */
void
roster_csv_keys_free(struct roster_csv_key *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(keys[i].id);
	free(keys);
}
