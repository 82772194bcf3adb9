"""The ledger tells the truth after redos, returns and re-routes (issue 19):
a rating and a 退单 stay with the department that earned them, the returned
task stays in the issue's record and its history shows the whole chain; 响应率
counts only the tasks whose response was due. Each test on a stack of its
own, so that the scorecards hold only its own issues.
"""

import lib
from flow import act_ok, admin, drive, get_issue, issue_act, new_issue, second_daemon, task_of
from test_ledger_catch_up import assert_same_answers, every_answer


def ledger(st, query=""):
    resp = st.d.get("/api/v1/ledger" + query)
    assert resp.status == 200, resp
    return resp.json()


def score(doc, dept):
    return next(x for x in doc["departments"] if x["id"] == dept)


def test_ratings_and_returns_stay_with_the_department_that_earned_them(fresh_stack):
    """hr resolves, the officer answers 不满意, hr returns it (退单), an admin
    re-routes it to social: hr keeps received 1, returned 1 and its rating;
    social starts clean; the returned task stays in the issue and the
    ledger's rows; the history shows the chain."""
    st = fresh_stack()
    oid = st.roster["officers"][0]["id"]
    iss = new_issue(st, oid, topic="hiring")
    iid, hr_task = iss["id"], task_of(iss, "hr")
    drive(st, hr_task, "resolved", dept="hr")
    resp = issue_act(st, iid, "confirm", {"satisfaction": "unsatisfied", "comment": "没有解决用工问题"},
                     st.token("officer", oid))
    assert resp.status == 200, resp
    act_ok(st, hr_task, "return", dept="hr", text="属于人才服务，请转社会事务局")
    resp = issue_act(st, iid, "route", {"departments": ["social"], "reason": "改派社会事务局"}, admin(st))
    assert resp.status == 200, resp

    doc = ledger(st)
    hr, social = score(doc, "hr"), score(doc, "social")
    assert (hr["received"], hr["returned"], hr["rated"], hr["satisfied"]) == (1, 1, 1, 0), hr
    assert hr["satisfaction_rate"] == 0.0, hr
    assert (social["received"], social["returned"], social["rated"], social["satisfied"]) == (1, 0, 0, 0), social
    assert social["satisfaction_rate"] is None, social
    row = next(r for r in doc["issues"] if r["id"] == iid)
    assert row["departments"] == ["social"], row
    assert row["ratings"] == {"hr": "unsatisfied"}, row
    by_id = {t["id"]: t for t in row["tasks"]}
    assert by_id[hr_task]["state"] == "returned" and by_id[hr_task]["past"] is True, row
    assert by_id[hr_task]["returned_at"] is not None, row
    assert {r["id"] for r in ledger(st, "?department=hr")["issues"]} == {iid}
    assert {r["id"] for r in ledger(st, "?state=returned")["issues"]} == set()

    cur = get_issue(st, iid)
    assert cur["departments"] == ["social"] and cur["state"] == "queued", cur
    assert cur["ratings"] == {"hr": "unsatisfied"}, cur
    kept = [t for t in cur["tasks"] if t["id"] == hr_task]
    assert kept and kept[0]["state"] == "returned", cur
    assert kept[0]["return_reason"] == "属于人才服务，请转社会事务局", cur
    social_task = task_of({"tasks": [t for t in cur["tasks"] if t["state"] != "returned"]}, "social")
    assert social_task != hr_task
    events = [h["event"] for h in cur["history"]]
    chain = ["created", "claimed", "responded", "resolved", "confirmed", "reopened", "returned", "routed"]
    it = iter(events)
    assert all(e in it for e in chain), events
    routed = [h for h in cur["history"] if h["event"] == "routed"][-1]
    assert hr_task in routed["reason"] and "改派社会事务局" in routed["reason"], routed

    # social does the work and is rated on its own; hr's rating stays
    drive(st, social_task, "resolved", dept="social")
    resp = issue_act(st, iid, "confirm", {"satisfaction": "satisfied"}, st.token("officer", oid))
    assert resp.status == 200, resp
    doc = ledger(st)
    hr, social = score(doc, "hr"), score(doc, "social")
    assert (hr["received"], hr["returned"], hr["rated"], hr["satisfied"]) == (1, 1, 1, 0), hr
    assert (social["received"], social["rated"], social["satisfied"]) == (1, 1, 1), social
    assert doc["total"]["rated"] == 2 and doc["total"]["satisfied"] == 1, doc["total"]


def test_reroute_back_to_the_returning_department_keeps_its_return(fresh_stack):
    """An issue returned by hr and routed back to hr: a new task, and hr's
    return still counts (received 2, returned 1)."""
    st = fresh_stack()
    oid = st.roster["officers"][0]["id"]
    iss = new_issue(st, oid, topic="hiring")
    iid, hr_task = iss["id"], task_of(iss, "hr")
    act_ok(st, hr_task, "return", dept="hr")
    resp = issue_act(st, iid, "route", {"departments": ["hr"], "reason": "确属人社职责"}, admin(st))
    assert resp.status == 200, resp
    cur = get_issue(st, iid)
    fresh = [t for t in cur["tasks"] if t["department"] == "hr" and t["state"] == "queued"]
    assert len(fresh) == 1 and fresh[0]["id"] != hr_task, cur
    hr = score(ledger(st), "hr")
    assert (hr["received"], hr["returned"], hr["open"]) == (2, 1, 1), hr


def test_response_rate_counts_only_what_was_due(fresh_stack):
    """A task received a moment ago, not yet due, is not counted against
    the department: 响应率 is undefined (null), not 0.0 %, on the ledger,
    and the page says so."""
    st = fresh_stack()
    oid = st.roster["officers"][0]["id"]
    new_issue(st, oid, topic="hiring")
    hr = score(ledger(st), "hr")
    assert hr["received"] == 1 and hr["response_due"] == 0, hr
    assert hr["response_rate"] is None, hr
    page = st.d.get("/ledger")
    assert page.status == 200, page
    assert "响应率 = 按期回应 ÷ 应回应" in page.body.decode(), "the page explains 响应率"


def test_a_cached_ledger_tells_what_a_fresh_daemon_reads(fresh_stack, tmp_path):
    """The same chains (ratings, 退单, re-routes, redos) with two daemons
    reading their cached ledgers between every step and one of them taking
    the claims: each one's counts are kept up to date change by change
    (ledger_tally.c), and at the end every answer of both equals what a
    daemon started afresh reads whole."""
    st = fresh_stack(conf={"ledger": {"cache_ms": "200"}})
    other = second_daemon(st, str(tmp_path / "other")).start()
    fresh = None
    try:
        def read():
            for d in (st.d, other):
                resp = d.get("/api/v1/ledger?department=hr&limit=5")
                assert resp.status == 200, resp

        oid = st.roster["officers"][0]["id"]
        tok = st.token("officer", oid)
        read()
        for k in range(3):
            iss = new_issue(st, oid, topic="hiring")
            iid, hr_task = iss["id"], task_of(iss, "hr")
            read()
            if k == 1:      # returned at once, and routed back to hr
                act_ok(st, hr_task, "return", dept="hr")
                read()
                resp = issue_act(st, iid, "route", {"departments": ["hr"], "reason": "确属人社职责"}, admin(st))
                assert resp.status == 200, resp
                read()
                continue
            resp = other.post("/api/v1/tasks/%s/claim" % hr_task, {"claimant": "赵六"},
                              token=st.token("department", "hr"))
            assert resp.status == 200, resp
            read()
            for action in ("respond", "resolve"):
                act_ok(st, hr_task, action, dept="hr")
                read()
            verdict = {"satisfaction": "unsatisfied", "comment": "没有解决用工问题"} if k == 0 else \
                {"satisfaction": "satisfied"}
            resp = issue_act(st, iid, "confirm", verdict, tok)
            assert resp.status == 200, resp
            read()
            if k == 0:      # hr returns it, and it goes to social
                act_ok(st, hr_task, "return", dept="hr", text="属于人才服务，请转社会事务局")
                read()
                resp = issue_act(st, iid, "route", {"departments": ["social"], "reason": "改派"}, admin(st))
                assert resp.status == 200, resp
                read()
        for i in range(5):
            new_issue(st, oid, topic="tax")
        read()
        fresh = second_daemon(st, str(tmp_path / "fresh")).start()
        truth = every_answer(fresh)
        assert truth["whole"]["total"]["rated"] == 2, truth["whole"]["total"]
        for d in (st.d, other):
            assert_same_answers(every_answer(d), truth)
    finally:
        other.stop_and_check()
        if fresh is not None:
            fresh.stop_and_check()
