/*
 * digest_ledger.c -- the digests' tables drawn from the ledger (ledger.c):
 * TEMPORARY placeholder until the ledger lands on main.
 */
#include "config.h"

#include "liaisond.h"

int
digest_department_has_work(const struct digest_input *in,
    const struct department *dept)
{
	(void)in;
	(void)dept;
	return 1;
}

void
digest_department_ledger(const struct digest_input *in,
    const struct department *dept, struct digest_doc *d)
{
	(void)in;
	(void)dept;
	digest_doc_heading(d, "待办");
}

void
digest_zone_ledger(const struct digest_input *in, struct digest_doc *d)
{
	(void)in;
	digest_doc_heading(d, "各部门情况");
}
