"""Field work (SPEC §11): visits, talks and outcomes are stored with their
history and indexes, listed, idempotent like reports; every bad input is a
4xx that changes nothing in Redis; an outcome can name its issue (and a
department can record outcomes as it resolves); the figures and the
officers' performance are read back from what was stored."""

import flow
import lib
from lib import PREFIX


def test_visit_is_stored_with_history_and_listed(stack, officers):
    oid = officers()
    ents = stack.officer(oid)["enterprises"]
    v = flow.visit(stack, oid, ents[0], suggestions=3, mode="forum")
    assert v["id"].startswith("V") and v["officer"] == oid, v
    assert v["enterprise"] == ents[0] and v["mode"] == "forum" and v["suggestions"] == 3, v
    assert v["date"] == flow.today() and lib.ISO_RE.match(v["created"]), v
    assert stack.r.llen(PREFIX + "visit:%s:history" % v["id"]) == 1
    older = flow.visit(stack, oid, ents[1], date=flow.day_shift(-1))
    rows = stack.d.get("/api/v1/visits", token=stack.token("officer", oid)).json()["visits"]
    assert [r["id"] for r in rows] == [v["id"], older["id"]], rows
    adm = flow.admin(stack)
    rows = stack.d.get("/api/v1/visits?officer=%s&enterprise=%s" % (oid, ents[1]), token=adm).json()["visits"]
    assert [r["id"] for r in rows] == [older["id"]], rows
    rows = stack.d.get("/api/v1/visits?officer=%s&from=%s" % (oid, flow.today()), token=adm).json()["visits"]
    assert [r["id"] for r in rows] == [v["id"]], rows


def test_officer_reads_only_own_records(stack, who):
    a, b = who["a"], who["b"]
    lib.assert_error(stack.d.get("/api/v1/visits?officer=" + b, token=stack.token("officer", a)),
                     403, "forbidden", "officer")
    lib.assert_error(stack.d.get("/api/v1/visits", token=flow.dept_token(stack, "hr")), 403, "forbidden")
    lib.assert_error(stack.d.get("/api/v1/officers/%s/performance" % b, token=stack.token("officer", a)),
                     403, "forbidden")


def test_bad_visits_change_nothing(stack, who):
    oid, other = who["a"], who["b"]
    ents = stack.officer(oid)["enterprises"]
    foreign = [e for e in stack.officer(other)["enterprises"] if e not in ents][0]
    tok = stack.token("officer", oid)
    good = {"enterprise": ents[0], "date": flow.today(), "mode": "visit", "note": "", "suggestions": 1}
    cases = [
        ({"date": flow.day_shift(1)}, 422, "invalid", "date"),
        ({"date": flow.day_shift(-60)}, 422, "invalid", "date"),
        ({"date": "2026-02-30"}, 422, "invalid", "date"),
        ({"date": "yesterday"}, 422, "invalid", "date"),
        ({"enterprise": foreign}, 403, "forbidden", "enterprise"),
        ({"enterprise": lib.uscc_unknown(stack.roster)}, 422, "invalid", "enterprise"),
        ({"mode": "phone"}, 422, "invalid", "mode"),
        ({"suggestions": -1}, 422, "invalid", "suggestions"),
        ({"suggestions": 2.5}, 422, "invalid", "suggestions"),
        ({"suggestions": 10 ** 7}, 422, "invalid", "suggestions"),
        ({"suggestions": "3"}, 400, "bad_request", "suggestions"),
        ({"note": "字" * 501}, 422, "invalid", "note"),
        ({"extra": 1}, 400, "bad_request", "extra"),
    ]
    for change, status, code, field in cases:
        body = dict(good, **change)
        flow.rejected(stack, lambda: flow.fieldwork_post(stack, "visits", body, token=tok), status, code, field)
    flow.rejected(stack, lambda: flow.fieldwork_post(stack, "visits", good, token=flow.admin(stack)),
                  403, "forbidden")
    flow.rejected(stack, lambda: stack.d.post("/api/v1/visits", b"[1]", token=tok), 400, "bad_request")


def test_bad_events_change_nothing(stack, who):
    oid, other = who["a"], who["b"]
    ents = stack.officer(oid)["enterprises"]
    foreign = [e for e in stack.officer(other)["enterprises"] if e not in ents][0]
    tok = stack.token("officer", oid)
    good = {"kind": "theory", "date": flow.today(), "title": "学习宣传党的二十届四中全会精神",
            "audience": 120, "enterprises": ents[:2]}
    cases = [
        ({"kind": "concert"}, 422, "invalid", "kind"),
        ({"audience": -5}, 422, "invalid", "audience"),
        ({"audience": 10 ** 6}, 422, "invalid", "audience"),
        ({"date": flow.day_shift(2)}, 422, "invalid", "date"),
        ({"enterprises": [foreign]}, 403, "forbidden", "enterprises[0]"),
        ({"enterprises": "all"}, 400, "bad_request", "enterprises"),
        ({"enterprises": ents[:1] * 51}, 422, "invalid", "enterprises"),
        ({"title": "题" * 101}, 422, "invalid", "title"),
        ({"title": ""}, 422, "invalid", "title"),
    ]
    for change, status, code, field in cases:
        body = dict(good, **change)
        flow.rejected(stack, lambda: flow.fieldwork_post(stack, "events", body, token=tok), status, code, field)
    resp = flow.fieldwork_post(stack, "events", good, token=tok)
    assert resp.status == 201, resp
    ev = resp.json()
    assert ev["id"].startswith("E") and ev["audience"] == 120 and ev["enterprises"] == ents[:2], ev
    rows = stack.d.get("/api/v1/events", token=tok).json()["events"]
    assert rows[0]["id"] == ev["id"], rows


def test_outcome_amounts(stack, who):
    oid = who["a"]
    ent = stack.officer(oid)["enterprises"][0]
    tok = stack.token("officer", oid)
    good = {"enterprise": ent, "kind": "tax_relief", "date": flow.today(), "amount": 61780000.50}
    cases = [
        ({"amount": -1}, 422, "invalid", "amount"),
        ({"amount": 1.005}, 422, "invalid", "amount"),
        ({"amount": 12.345}, 422, "invalid", "amount"),
        ({"amount": 1e13}, 422, "invalid", "amount"),
        ({"amount": "100"}, 400, "bad_request", "amount"),
        ({"kind": "party_org", "amount": 1.5}, 422, "invalid", "amount"),
        ({"kind": "party_org", "amount": 5000}, 422, "invalid", "amount"),
        ({"kind": "bribe"}, 422, "invalid", "kind"),
        ({"issue": "X1"}, 422, "invalid", "issue"),
        ({"issue": "I999999999"}, 422, "invalid", "issue"),
    ]
    for change, status, code, field in cases:
        body = dict(good, **change)
        flow.rejected(stack, lambda: flow.fieldwork_post(stack, "outcomes", body, token=tok), status, code, field)
    resp = flow.fieldwork_post(stack, "outcomes", good, token=tok)
    assert resp.status == 201, resp
    c = resp.json()
    assert c["id"].startswith("C") and c["amount"] == 61780000.5 and c["issue"] is None, c
    assert stack.r.hget(PREFIX + "outcome:" + c["id"], "amount") == b"6178000050"
    rows = stack.d.get("/api/v1/outcomes?kind=tax_relief", token=tok).json()["outcomes"]
    assert rows[0]["id"] == c["id"] and all(r["kind"] == "tax_relief" for r in rows), rows


def test_idempotency_key(stack, who):
    oid = who["b"]
    ent = stack.officer(oid)["enterprises"][0]
    tok = stack.token("officer", oid)
    key = lib.new_key()
    body = {"enterprise": ent, "date": flow.today(), "mode": "interview", "suggestions": 2}
    first = flow.fieldwork_post(stack, "visits", body, token=tok, key=key)
    assert first.status == 201, first
    before = lib.stable_snapshot(stack.r)
    again = flow.fieldwork_post(stack, "visits", body, token=tok, key=key)
    assert again.status == 201 and again.body == first.body, again
    assert (again.header("idempotent-replayed") or "").lower() == "true"
    lib.assert_unchanged(before, lib.redis_snapshot(stack.r))
    flow.rejected(stack, lambda: flow.fieldwork_post(stack, "visits", dict(body, suggestions=3), token=tok,
                                                     key=key), 409, "conflict")
    # the same key rule as reports (api.c): too long, or a control character
    for bad in ("k" * 129, "a\x01b"):
        flow.rejected(stack, lambda: flow.fieldwork_post(stack, "visits", body, token=tok, key=bad),
                      400, "bad_request", "Idempotency-Key")


def test_outcome_names_its_issue(stack, who):
    oid, other = who["a"], who["b"]
    issue = flow.new_issue(stack, oid)
    doc = flow.get_issue(stack, issue["id"])
    assert doc["outcomes"] == [], doc
    tok = stack.token("officer", oid)
    body = {"kind": "hires", "date": flow.today(), "amount": 35, "issue": issue["id"], "note": "招聘会"}
    otok = stack.token("officer", other)
    flow.rejected(stack, lambda: flow.fieldwork_post(stack, "outcomes", body, token=otok), 403, "forbidden")
    resp = flow.fieldwork_post(stack, "outcomes", body, token=tok)
    assert resp.status == 201, resp
    c = resp.json()
    assert c["enterprise"] == doc["enterprise"] and c["issue"] == issue["id"], c
    doc = flow.get_issue(stack, issue["id"])
    assert [(o["id"], o["kind"], o["amount"]) for o in doc["outcomes"]] == [(c["id"], "hires", 35)], doc
    assert doc["history"][-1]["event"] == "outcome", doc["history"]


def test_resolve_records_outcomes_in_the_same_step(stack, who):
    oid = who["b"]
    issue = flow.new_issue(stack, oid)
    tid = flow.task_of(issue, "hr")
    flow.drive(stack, tid, "responded")
    tok = flow.dept_token(stack, "hr")
    bad = {"resolution": "已办结", "outcomes": [{"kind": "hires", "date": flow.today(), "amount": -3}]}
    flow.rejected(stack, lambda: flow.act(stack, tid, "resolve", bad, token=tok), 422, "invalid", "amount")
    bad = {"resolution": "已办结", "outcomes": [{"kind": "hires", "date": flow.today(), "amount": 3,
                                               "issue": "I999999999"}]}
    flow.rejected(stack, lambda: flow.act(stack, tid, "resolve", bad, token=tok), 422, "invalid")
    many = {"resolution": "已办结", "outcomes": [{"kind": "hires", "date": flow.today(), "amount": 1}] * 21}
    flow.rejected(stack, lambda: flow.act(stack, tid, "resolve", many, token=tok), 422, "invalid", "outcomes")
    flow.rejected(stack, lambda: flow.act(stack, tid, "respond", {"response": "x", "outcomes": []}, token=tok),
                  400, "bad_request", "outcomes")
    good = {"resolution": "已办结", "outcomes": [{"kind": "hires", "date": flow.today(), "amount": 12}]}
    resp = flow.act(stack, tid, "resolve", good, token=tok)
    assert resp.status == 200 and resp.json()["state"] == "resolved", resp
    doc = flow.get_issue(stack, issue["id"])
    assert [(o["kind"], o["amount"]) for o in doc["outcomes"]] == [("hires", 12)], doc
    rows = stack.d.get("/api/v1/outcomes", token=stack.token("officer", oid)).json()["outcomes"]
    assert rows and rows[0]["issue"] == issue["id"] and rows[0]["by"] == "department:hr", rows


def test_figures_add_up_what_was_stored(stack, who):
    oid = who["a"]
    ents = stack.officer(oid)["enterprises"]
    before = flow.figures(stack)
    flow.visit(stack, oid, ents[0], suggestions=4)
    flow.visit(stack, oid, ents[0], suggestions=1)
    tok = stack.token("officer", oid)
    assert flow.fieldwork_post(stack, "events", {"kind": "policy", "date": flow.today(), "title": "稳岗政策",
                                                 "audience": 80}, token=tok).status == 201
    assert flow.fieldwork_post(stack, "outcomes", {"enterprise": ents[0], "kind": "party_org",
                                                   "date": flow.today(), "amount": 1}, token=tok).status == 201
    after = flow.figures(stack)
    assert after["visits"] - before["visits"] == 2
    assert after["suggestions"] - before["suggestions"] == 5
    assert after["events"]["policy"]["count"] - before["events"]["policy"]["count"] == 1
    assert after["events"]["policy"]["audience"] - before["events"]["policy"]["audience"] == 80
    assert after["outcomes"]["party_org"] - before["outcomes"]["party_org"] == 1
    assert after["enterprises_visited"] >= 1
    assert after["officers"] == len(stack.roster["officers"])
    assert after["summary_zh"].startswith(flow.today()[:4] + "年以来，党建指导员共走访企业"), after
    assert "成立党组织" in after["summary_zh"], after
    # a range with nothing in it
    empty = flow.figures(stack, "?from=2001-01-01&to=2001-12-31")
    assert empty["visits"] == 0 and empty["summary_zh"] == "2001年以来，暂无走访、宣讲和工作成效记录。", empty
    for q, field in (("?from=2026-13-01", "from"), ("?to=x", "to"), ("?from=2026-02-01&to=2026-01-01", "from"),
                     ("?from=2001-01-01&to=2026-01-01", "from"), ("?when=1", None)):
        lib.assert_error(stack.d.get("/api/v1/figures" + q), 422 if field else 400,
                         "invalid" if field else "bad_request", field)


def test_performance_row(stack, officers):
    oid = officers()
    ents = stack.officer(oid)["enterprises"]
    flow.visit(stack, oid, ents[0], suggestions=2)
    row = stack.d.get("/api/v1/officers/%s/performance" % oid, token=stack.token("officer", oid)).json()
    assert row["officer"] == oid and row["visits"] == 1 and row["suggestions"] == 2, row
    assert row["enterprises"]["linked"] == len(ents) and row["enterprises"]["visited"] == 1, row
    assert row["enterprises"]["not_visited_days"][ents[0]] == 0, row
    assert all(row["enterprises"]["not_visited_days"][e] is None for e in ents[1:]), row
    assert row["idle"] is False, row
    assert set(row["periods"]) == {"due", "on_time", "late", "missed"}, row
    p = row["periods"]
    assert p["due"] == p["on_time"] + p["late"] + p["missed"], row
    assert set(row["outcomes"]) == {"party_org", "mass_org", "hires", "tax_relief", "funding", "other"}
    rows = stack.d.get("/api/v1/officers?limit=100", token=flow.admin(stack)).json()["officers"]
    assert len(rows) == min(100, len(stack.roster["officers"])), len(rows)
    mine = [r for r in rows if r["officer"] == oid]
    assert mine == [row], (mine, row)
    lib.assert_error(stack.d.get("/api/v1/officers/O999/performance", token=flow.admin(stack)), 404, "not_found")


def test_the_ledger_row_shows_the_issues_outcomes(stack, who):
    oid = who["a"]
    issue = flow.new_issue(stack, oid)
    tok = stack.token("officer", oid)
    resp = flow.fieldwork_post(stack, "outcomes", {"kind": "other", "date": flow.today(), "amount": 1,
                                                   "issue": issue["id"]}, token=tok)
    assert resp.status == 201, resp
    ledger = stack.d.get("/api/v1/ledger?period=" + lib.current_period()).json()
    rows = [r for r in ledger["issues"] if r["id"] == issue["id"]]
    assert rows and [o["id"] for o in rows[0]["outcomes"]] == [resp.json()["id"]], rows


def test_an_admins_outcome_counts_for_the_issues_officer(stack, who):
    oid = who["b"]
    issue = flow.new_issue(stack, oid)
    resp = flow.fieldwork_post(stack, "outcomes", {"kind": "mass_org", "date": flow.today(), "amount": 1,
                                                   "issue": issue["id"]}, token=flow.admin(stack))
    assert resp.status == 201, resp
    c = resp.json()
    assert c["officer"] == oid and c["by"] == "admin:ops", c
    ent = stack.officer(oid)["enterprises"][0]
    resp = flow.fieldwork_post(stack, "outcomes", {"kind": "mass_org", "date": flow.today(), "amount": 1,
                                                   "enterprise": ent}, token=flow.admin(stack))
    assert resp.status == 201 and resp.json()["officer"] != "", resp
    # departments record outcomes only through a resolve
    tok = flow.dept_token(stack, "hr")
    flow.rejected(stack, lambda: flow.fieldwork_post(stack, "outcomes", {"kind": "other", "date": flow.today(),
                                                                        "amount": 1, "enterprise": ent},
                                                     token=tok), 403, "forbidden")


def test_figures_come_from_running_totals_not_the_records(fresh_stack):
    """The figures read the running totals each stored record adds to (the
    day's and the month's hash and HyperLogLog, fw_store in prelude.lua),
    never the records themselves, so their cost does not grow with a
    province's millions of records (docs/BENCHMARKS.md): with every record,
    its history and its indexes taken away behind the daemon's back, the
    figures are the same; and there is no cache to go stale: the next
    record moves them by exactly its own amounts."""
    st = fresh_stack()
    oid = next(o["id"] for o in st.roster["officers"] if o["id"] != lib.FAIL_OFFICER)
    ents = st.officer(oid)["enterprises"]
    tok = st.token("officer", oid)
    flow.visit(st, oid, ents[0], suggestions=3)
    flow.visit(st, oid, ents[-1], mode="forum")
    assert flow.fieldwork_post(st, "events", {"kind": "theory", "date": flow.today(), "title": "学习二十大精神",
                                              "audience": 120}, token=tok).status == 201
    assert flow.fieldwork_post(st, "outcomes", {"enterprise": ents[0], "kind": "hires", "date": flow.today(),
                                                "amount": 12}, token=tok).status == 201
    year = "?from=%s-01-01&to=%s" % (flow.today()[:4], flow.today())
    before, before_year = flow.figures(st), flow.figures(st, year)
    assert before["visits"] == 2 and before["outcomes"]["hires"] == 12, before
    gone = [k for pattern in ("visit*", "event*", "outcome*") for k in st.r.scan_iter(match=PREFIX + pattern)]
    assert len(gone) >= 8, gone
    st.r.delete(*gone)
    assert flow.figures(st) == before
    assert flow.figures(st, year) == before_year
    flow.visit(st, oid, ents[0], suggestions=2)
    after = flow.figures(st)
    assert after["visits"] == 3 and after["suggestions"] == 5, after
    assert {k: v for k, v in after.items() if k not in ("visits", "suggestions", "summary_zh")} == \
        {k: v for k, v in before.items() if k not in ("visits", "suggestions", "summary_zh")}
