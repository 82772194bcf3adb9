"""An officer's running totals (fw:o:O:YYYYMM by day, fw:o:O:YYYY by month; fw_officer_add in
prelude.lua): the performance row, the /officers page and the workbook's
指导员表现 read them instead of the officer's visit and outcome records, so
a row's cost does not grow with the records (docs/BENCHMARKS.md). The
totals equal a recount from the records whichever way the records came in
(the API, a resolve, `liaisonctl visits import`, `liaisonctl seed`), and
records stored before the totals were kept are counted once, the first
time the officer's performance is read."""

import flow
import lib
from lib import PREFIX


def text(v):
    """Redis's bytes as str (a hash's fields and values too)."""
    if isinstance(v, dict):
        return {text(k): text(x) for k, x in v.items()}
    return v.decode() if isinstance(v, bytes) else v


def recount(st, oid):
    """The totals fw_officer_add would hold for oid, counted here from its
    visit and outcome records: {YYYYMM or YYYY: {field: value}}."""
    months = {}
    for rtype in ("visit", "outcome"):
        for rid in st.r.zrange(PREFIX + "%ss:officer:%s" % (rtype, oid), 0, -1):
            h = text(st.r.hgetall(PREFIX + "%s:%s" % (rtype, text(rid))))
            date = h["date"]
            # by day of the month, and by month of the year
            for name, at in ((date[:4] + date[5:7], date[8:10]), (date[:4], date[5:7])):
                m = months.setdefault(name, {})
                if rtype == "visit":
                    m[at + ":v"] = m.get(at + ":v", 0) + 1
                    m[at + ":s"] = m.get(at + ":s", 0) + int(h["suggestions"])
                    e = "e:" + h["enterprise"]
                    m[e] = m.get(e, 0) | 1 << (int(at) - 1)
                else:
                    f = "%s:o:%s" % (at, h["kind"])
                    m[f] = m.get(f, 0) + int(h["amount"])
    return months


def stored(st, oid):
    """The totals Redis holds for oid: {YYYYMM or YYYY: {field: value}}."""
    out = {}
    for k in st.r.scan_iter(match=PREFIX + "fw:o:%s:*" % oid):
        out[text(k).rsplit(":", 1)[1]] = {f: int(v) for f, v in text(st.r.hgetall(k)).items()}
    return out


def assert_totals_are_a_recount(st, oids):
    for oid in oids:
        want = recount(st, oid)
        assert stored(st, oid) == want, (oid, stored(st, oid), want)
        if want:
            assert st.r.sismember(PREFIX + "fw:o:built", oid), oid


def row(st, oid, query=""):
    return st.d.get("/api/v1/officers/%s/performance%s" % (oid, query), token=flow.admin(st)).json()


def test_totals_are_a_recount_after_the_apis_records(fresh_stack):
    st = fresh_stack()
    oid = next(o["id"] for o in st.roster["officers"] if o["id"] != lib.FAIL_OFFICER)
    ents = st.officer(oid)["enterprises"]
    tok = st.token("officer", oid)
    flow.visit(st, oid, ents[0], suggestions=3)
    flow.visit(st, oid, ents[0], suggestions=1, date=flow.day_shift(-1))
    flow.visit(st, oid, ents[-1], mode="forum")
    assert flow.fieldwork_post(st, "events", {"kind": "theory", "date": flow.today(), "title": "宣讲",
                                              "audience": 40}, token=tok).status == 201
    assert flow.fieldwork_post(st, "outcomes", {"enterprise": ents[0], "kind": "tax_relief",
                                                "date": flow.today(), "amount": 1234.5}, token=tok).status == 201
    # an admin's outcome for an issue counts for the issue's officer
    issue = flow.new_issue(st, oid)
    assert flow.fieldwork_post(st, "outcomes", {"kind": "hires", "date": flow.today(), "amount": 7,
                                                "issue": issue["id"]}, token=flow.admin(st)).status == 201
    # a department's outcome recorded as it resolves (workflow.lua)
    tid = flow.task_of(issue, "hr")
    flow.drive(st, tid, "responded")
    resp = flow.act(st, tid, "resolve", {"resolution": "已办结", "outcomes": [
        {"kind": "party_org", "date": flow.today(), "amount": 1}]})
    assert resp.status == 200, resp
    assert_totals_are_a_recount(st, [oid])
    r = row(st, oid, "?from=%s&to=%s" % (flow.day_shift(-40), flow.today()))
    assert r["visits"] == 3 and r["suggestions"] == 4, r
    assert r["enterprises"]["visited"] == len({ents[0], ents[-1]}), r
    assert r["outcomes"]["tax_relief"] == 1234.5 and r["outcomes"]["hires"] == 7, r
    assert r["outcomes"]["party_org"] == 1 and r["events"] == 1, r
    # today alone: yesterday's visit and its suggestion are out of range
    r = row(st, oid, "?from=%s&to=%s" % (flow.today(), flow.today()))
    assert r["visits"] == 2 and r["suggestions"] == 3, r


def test_totals_are_a_recount_after_an_import_and_count_only_the_ranges_days(stack, officers, tmp_path):
    oid = officers()
    ents = stack.officer(oid)["enterprises"]
    sheet = ("officer,enterprise,date,mode,suggestions\n"
             "%s,%s,2025-03-05,visit,2\n"
             "%s,%s,2025-03-20,visit,5\n"
             "%s,%s,2025-04-02,visit,1\n"
             "%s,%s,2025-04-30,forum,0\n") % (oid, ents[0], oid, ents[1], oid, ents[0], oid, ents[0])
    path = tmp_path / "visits.csv"
    path.write_text(sheet)
    assert "imported 4 visits" in stack.d.ctl("visits", "import", str(path)).stdout
    assert_totals_are_a_recount(stack, [oid])
    # the edges of a range cut months by day, visits and enterprises alike
    r = row(stack, oid, "?from=2025-03-10&to=2025-03-31")
    assert (r["visits"], r["suggestions"], r["enterprises"]["visited"]) == (1, 5, 1), r
    r = row(stack, oid, "?from=2025-03-06&to=2025-04-29")
    assert (r["visits"], r["suggestions"], r["enterprises"]["visited"]) == (2, 6, 2), r
    r = row(stack, oid, "?from=2025-03-01&to=2025-04-30")
    assert (r["visits"], r["suggestions"], r["enterprises"]["visited"]) == (4, 8, 2), r
    r = row(stack, oid, "?from=2025-04-03&to=2025-04-29")
    assert (r["visits"], r["enterprises"]["visited"]) == (0, 0), r


def test_totals_are_a_recount_after_a_seed(fresh_stack):
    st = fresh_stack()
    st.d.ctl("seed", "fieldwork", "--months", "6", "--seed", "3")
    oids = [o["id"] for o in st.roster["officers"]]
    assert_totals_are_a_recount(st, oids)
    # every seeded officer's totals were kept from its first record: none
    # is counted again when read
    assert {text(o) for o in st.r.smembers(PREFIX + "fw:o:built")} == {o for o in oids if recount(st, o)}


def test_the_row_reads_the_totals_not_the_records(fresh_stack):
    """With an officer's visit and outcome records and their indexes taken
    away behind the daemon's back, its row is the same; the next visit
    moves it by exactly its own amounts."""
    st = fresh_stack()
    oid = next(o["id"] for o in st.roster["officers"] if o["id"] != lib.FAIL_OFFICER)
    ents = st.officer(oid)["enterprises"]
    tok = st.token("officer", oid)
    flow.visit(st, oid, ents[0], suggestions=3)
    flow.visit(st, oid, ents[-1], date=flow.day_shift(-2))
    assert flow.fieldwork_post(st, "outcomes", {"enterprise": ents[0], "kind": "hires", "date": flow.today(),
                                                "amount": 12}, token=tok).status == 201
    before = row(st, oid)
    assert before["visits"] == 2 and before["outcomes"]["hires"] == 12, before
    gone = [k for pattern in ("visit*", "outcome*") for k in st.r.scan_iter(match=PREFIX + pattern)]
    assert len(gone) >= 6, gone
    st.r.delete(*gone)
    assert row(st, oid) == before
    flow.visit(st, oid, ents[0], suggestions=2)
    after = row(st, oid)
    assert after["visits"] == 3 and after["suggestions"] == before["suggestions"] + 2, after
    assert {k: v for k, v in after.items() if k not in ("visits", "suggestions")} == \
        {k: v for k, v in before.items() if k not in ("visits", "suggestions")}


def test_records_stored_before_the_totals_are_counted_once(fresh_stack):
    """A zone whose records an older liaisond stored has no totals: the
    first read of an officer's performance counts them from its records,
    once, and a record stored in between is not counted twice."""
    st = fresh_stack()
    oid = next(o["id"] for o in st.roster["officers"] if o["id"] != lib.FAIL_OFFICER)
    ents = st.officer(oid)["enterprises"]
    tok = st.token("officer", oid)
    flow.visit(st, oid, ents[0], suggestions=3)
    flow.visit(st, oid, ents[-1], date=flow.day_shift(-3), suggestions=1)
    assert flow.fieldwork_post(st, "outcomes", {"enterprise": ents[0], "kind": "funding", "date": flow.today(),
                                                "amount": 99.99}, token=tok).status == 201
    want = row(st, oid)
    # what an older liaisond left: the records, no totals
    st.r.delete(*st.r.keys(PREFIX + "fw:o:*"))
    # a record stored by this liaisond before the first read
    flow.visit(st, oid, ents[0], suggestions=2)
    assert not st.r.sismember(PREFIX + "fw:o:built", oid)
    got = row(st, oid)
    assert got["visits"] == want["visits"] + 1 and got["suggestions"] == want["suggestions"] + 2, (got, want)
    assert got["outcomes"] == want["outcomes"] and got["enterprises"] == want["enterprises"], (got, want)
    assert_totals_are_a_recount(st, [oid])
    # counted once: the next read, the table and the page agree
    assert row(st, oid) == got
    rows = st.d.get("/api/v1/officers?limit=100", token=flow.admin(st)).json()["officers"]
    assert [r for r in rows if r["officer"] == oid] == [got]
