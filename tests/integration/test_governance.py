"""Governance over time (issue 16, SPEC §12): 延期 extensions (request,
decision, every refusal, the moved deadline the escalation timer honours,
history, webhooks, the ledger's count, the admin's list) and the 退单 window.

The shared stack has the default deadlines (claim within 1 working day);
the scenarios that need a deadline or a window to pass within seconds run
on stacks of their own ([deadlines] claim_seconds, [governance]
return_seconds).
"""

import datetime
import re
import time
import urllib.parse

import pytest

import lib
from flow import (act, act_ok, admin, dept_token, drive, get_issue, get_task, new_history, new_issue, outbox,
                  rejected, second_daemon, second_deadlines, submit, task_of, ts)


# ---------------------------------------------------------------------------
# the working-day calendar, read here as the daemon reads etc/holidays-cn.txt


def _calendar():
    listed = {}
    with open(lib.CALENDAR_FILE, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            listed[datetime.date.fromisoformat(parts[0])] = parts[1] == "work"
    return listed


CALENDAR = _calendar()


def workday(d):
    return CALENDAR.get(d, d.weekday() < 5)


def extended_due(deadline, days):
    """The end (23:59:59.999, zone time) of the days-th working day after
    the date of deadline (an ISO time): where an approved extension moves it."""
    d = ts(deadline).astimezone(lib.TZ).date()
    n = 0
    while n < days:
        d += datetime.timedelta(days=1)
        if workday(d):
            n += 1
    return datetime.datetime(d.year, d.month, d.day, 23, 59, 59, 999000, tzinfo=lib.TZ)


def test_extended_due_counts_holidays_and_make_up_days():
    # 2026-09-30 (Wed) + 1 working day: 10-01..10-07 are off (国庆), 10-08 works.
    assert extended_due("2026-09-30T23:59:59.999+08:00", 1).date() == datetime.date(2026, 10, 8)
    # 2026-02-13 (Fri) + 1: Saturday 02-14 is a make-up working day (调休).
    assert extended_due("2026-02-13T23:59:59.999+08:00", 1).date() == datetime.date(2026, 2, 14)


# ---------------------------------------------------------------------------
# helpers


def extend(st, tid, days=2, reason="需要协调多个科室", dept="hr", token=None):
    body = {"days": days, "reason": reason}
    return st.d.post("/api/v1/tasks/%s/extend" % tid, body, token=token or dept_token(st, dept))


def decide(st, tid, decision, reason="同意", token=None):
    body = {"decision": decision}
    if reason is not None:
        body["reason"] = reason
    return st.d.post("/api/v1/tasks/%s/extension" % tid, body, token=token or admin(st))


def ok(resp, status=200):
    assert resp.status == status, resp
    return resp.json()


def listed(st, state="pending"):
    doc = ok(st.d.get("/api/v1/extensions?state=" + state, token=admin(st)))
    return doc["extensions"]


def fresh_task(st, oid, dept="hr"):
    iss = new_issue(st, oid)
    return iss["id"], task_of(iss, dept)


def ledger_extended(st, period, dept="hr"):
    doc = ok(st.d.get("/api/v1/ledger?period=" + period))
    return [d for d in doc["departments"] if d["id"] == dept][0]["extended"]


# ---------------------------------------------------------------------------
# the request and the decision


def test_extension_request_then_approval_moves_the_deadline(stack, who):
    iid, tid = fresh_task(stack, who["a"])
    period = get_issue(stack, iid)["period"]
    extended_before = ledger_extended(stack, period)
    t0 = get_task(stack, tid)
    i0 = get_issue(stack, iid)
    updated0 = len(outbox(stack, "task.updated", tid))

    t = ok(extend(stack, tid, days=3, reason="涉及跨部门协调"))
    assert t["deadline"] == t0["deadline"], t
    assert len(t["extensions"]) == 1, t
    x = t["extensions"][0]
    assert x["days"] == 3 and x["reason"] == "涉及跨部门协调" and x["state"] == "pending", x
    assert x["stage"] == "claim" and lib.ISO_RE.match(x["at"]) and x["decided_at"] is None, x
    assert len(outbox(stack, "task.updated", tid)) == updated0 + 1
    i1 = get_issue(stack, iid)
    added = new_history(i0, i1)
    assert [h["event"] for h in added] == ["extension_requested"], added
    assert added[0]["actor"] == "department:hr" and "涉及跨部门协调" in added[0]["reason"], added
    rows = [e for e in listed(stack) if e["task"] == tid]
    assert len(rows) == 1 and rows[0]["department"] == "hr" and rows[0]["request"]["state"] == "pending", rows
    assert rows[0]["issues"] == [iid], rows

    t = ok(decide(stack, tid, "approve", "同意延期"))
    assert ts(t["deadline"]) == extended_due(t0["deadline"], 3), (t0["deadline"], t["deadline"])
    x = t["extensions"][0]
    assert x["state"] == "approved" and lib.ISO_RE.match(x["decided_at"]) and x["decision"] == "同意延期", x
    assert get_task(stack, tid)["deadline"] == t["deadline"]
    assert len(outbox(stack, "task.updated", tid)) == updated0 + 2
    added = new_history(i1, get_issue(stack, iid))
    assert [h["event"] for h in added] == ["extension_approved"], added
    assert added[0]["actor"] == "admin:ops", added
    assert tid not in [e["task"] for e in listed(stack)]
    assert tid in [e["task"] for e in listed(stack, "approved")]
    assert ledger_extended(stack, period) == extended_before + 1
    # The approved step is the claim: claiming on the moved day is on time.
    act_ok(stack, tid, "claim")


def test_extension_denied_keeps_the_deadline(stack, who):
    iid, tid = fresh_task(stack, who["a"])
    drive(stack, tid, "claimed")
    t0 = get_task(stack, tid)
    t = ok(extend(stack, tid, days=1))
    assert t["extensions"][0]["stage"] == "respond", t
    t = ok(decide(stack, tid, "deny", "理由不充分"))
    assert t["deadline"] == t0["deadline"], t
    x = t["extensions"][0]
    assert x["state"] == "denied" and x["decision"] == "理由不充分", x
    events = [h["event"] for h in get_issue(stack, iid)["history"]]
    assert events[-2:] == ["extension_requested", "extension_denied"], events
    assert tid in [e["task"] for e in listed(stack, "denied")]
    # a denial frees the task for another request
    ok(extend(stack, tid, days=1))


def test_extensions_max_approved_per_task(stack, who):
    _, tid = fresh_task(stack, who["b"])
    for _ in range(2):                     # [governance] extensions_max = 2
        ok(extend(stack, tid, days=1))
        ok(decide(stack, tid, "approve"))
    err = rejected(stack, lambda: extend(stack, tid, days=1), 422, "invalid")
    assert "2" in err["message"], err


# ---------------------------------------------------------------------------
# refusals: each changes nothing


@pytest.mark.parametrize("days, status", [(0, 422), (31, 422), (-1, 422), (1.5, 422), ("2", 400), (True, 400),
                                          (None, 422)])
def test_extension_days_refused(stack, who, days, status):
    _, tid = fresh_task(stack, who["a"])
    body = {"reason": "原因"}
    if days is not None:
        body["days"] = days
    send = lambda: stack.d.post("/api/v1/tasks/%s/extend" % tid, body, token=dept_token(stack, "hr"))
    rejected(stack, send, status, "invalid" if status == 422 else "bad_request", "days")


@pytest.mark.parametrize("body, status, code, field", [
    ({"days": 2}, 422, "invalid", "reason"),
    ({"days": 2, "reason": ""}, 422, "invalid", "reason"),
    ({"days": 2, "reason": "x" * 501}, 422, "invalid", "reason"),
    ({"days": 2, "reason": 5}, 400, "bad_request", "reason"),
    ({"days": 2, "reason": "r", "extra": 1}, 400, "bad_request", "extra"),
])
def test_extension_body_refused(stack, who, body, status, code, field):
    _, tid = fresh_task(stack, who["a"])
    send = lambda: stack.d.post("/api/v1/tasks/%s/extend" % tid, body, token=dept_token(stack, "hr"))
    rejected(stack, send, status, code, field)


def test_extension_refused_for_others_and_unknown(stack, who):
    _, tid = fresh_task(stack, who["a"])
    rejected(stack, lambda: extend(stack, tid, dept="tax"), 403, "forbidden")
    rejected(stack, lambda: extend(stack, "T999999999"), 404, "not_found")
    rejected(stack, lambda: extend(stack, "X1"), 404, "not_found")
    rejected(stack, lambda: extend(stack, tid, token=stack.token("officer", who["a"])), 403, "forbidden")
    rejected(stack, lambda: extend(stack, tid, token=admin(stack)), 403, "forbidden")
    rejected(stack, lambda: decide(stack, tid, "approve", token=dept_token(stack, "hr")), 403, "forbidden")


def test_second_request_while_one_waits_is_a_conflict(stack, who):
    _, tid = fresh_task(stack, who["a"])
    ok(extend(stack, tid))
    rejected(stack, lambda: extend(stack, tid), 409, "conflict")


def test_extension_of_a_finished_task_is_a_conflict(stack, who):
    _, tid = fresh_task(stack, who["b"])
    drive(stack, tid, "resolved")
    rejected(stack, lambda: extend(stack, tid), 409, "conflict")


def test_decision_refusals(stack, who):
    _, tid = fresh_task(stack, who["b"])
    rejected(stack, lambda: decide(stack, tid, "approve"), 409, "conflict")      # nothing waiting
    ok(extend(stack, tid))
    rejected(stack, lambda: decide(stack, tid, "maybe"), 422, "invalid", "decision")
    rejected(stack, lambda: decide(stack, tid, "deny", reason=None), 422, "invalid", "reason")
    rejected(stack, lambda: decide(stack, "T999999999", "approve"), 404, "not_found")
    rejected(stack, lambda: stack.d.post("/api/v1/tasks/%s/extension" % tid, {"decision": "approve", "x": 1},
                                         token=admin(stack)), 400, "bad_request")
    # the task finished while the request waited: approving it makes no sense
    drive_from = get_task(stack, tid)["state"]
    assert drive_from == "queued"
    drive(stack, tid, "resolved")
    rejected(stack, lambda: decide(stack, tid, "approve"), 409, "conflict")
    ok(decide(stack, tid, "deny", "已办结"))


def test_extensions_list_query_refused(stack):
    tok = admin(stack)
    lib.assert_error(stack.d.get("/api/v1/extensions?state=lost", token=tok), 422, "invalid", "state")
    lib.assert_error(stack.d.get("/api/v1/extensions?x=1", token=tok), 400, "bad_request")
    lib.assert_error(stack.d.get("/api/v1/extensions", token=dept_token(stack, "hr")), 403, "forbidden")


# ---------------------------------------------------------------------------
# second-scale deadlines and windows: stacks of their own


def test_extension_after_the_due_time_is_refused_and_approval_stops_escalation(fresh_stack):
    st = fresh_stack(conf=second_deadlines())
    oid = "O002"
    st.token("officer", oid), dept_token(st, "hr"), admin(st)
    late_iid, late = fresh_task(st, oid)
    _, kept = fresh_task(st, oid)
    ok(extend(st, kept, days=1))
    t = ok(decide(st, kept, "approve"))
    assert ts(t["deadline"]) > datetime.datetime.now(lib.TZ) + datetime.timedelta(hours=1), t
    # past the claim deadline (2 s) and two timer ticks
    time.sleep(4.5)
    err = rejected(st, lambda: extend(st, late, days=1), 422, "invalid")
    assert "before" in err["message"], err
    assert get_task(st, late).get("overdue") == "claim"
    assert get_task(st, kept).get("overdue") is None
    assert outbox(st, "task.reminder", kept) == [] and outbox(st, "task.reminder", late)
    period = get_issue(st, late_iid)["period"]
    hr = [d for d in ok(st.d.get("/api/v1/ledger?period=" + period))["departments"] if d["id"] == "hr"][0]
    assert hr["overdue"] == 1 and hr["extended"] == 1, hr


def test_return_only_within_the_window(fresh_stack):
    st = fresh_stack(conf={"governance": {"return_seconds": 2}})
    oid = "O003"
    st.token("officer", oid), dept_token(st, "hr")
    _, early = fresh_task(st, oid)
    _, late = fresh_task(st, oid)
    act_ok(st, early, "return")
    time.sleep(2.5)
    err = rejected(st, lambda: act(st, late, "return"), 422, "invalid")
    assert "admin" in err["message"], err
    # the other steps are not bound by it
    act_ok(st, late, "claim")


# ---------------------------------------------------------------------------
# recurrence (复发)


def one(st, oid, ent, title, detail, topic="hiring"):
    doc = submit(st, oid, [lib.item(ent, topic=topic, title=title, detail=detail)])
    return doc["issues"][0]


def finish(st, issue, oid, close=True):
    for t in issue["tasks"]:
        drive(st, t["id"], "resolved", dept=t["department"])
    if close:
        resp = st.d.post("/api/v1/issues/%s/confirm" % issue["id"], {"satisfaction": "satisfied", "comment": "好"},
                         token=st.token("officer", oid))
        assert resp.status == 200, resp


def test_recurrence_links_and_second_recurrence_is_difficult(stack, officers):
    oid = officers()
    ent = stack.officer(oid)["enterprises"][0]
    title, detail = lib.safe_text(10), lib.safe_text(40)
    first = one(stack, oid, ent, title, detail)
    finish(stack, first, oid, close=False)          # resolved counts
    second = one(stack, oid, ent, title, detail)
    s = get_issue(stack, second["id"])
    assert s["recurrence_of"] == first["id"], s
    assert s["category"] == "individual", s
    assert "recurrence" in [h["event"] for h in s["history"]], s["history"]
    assert "recurred" in [h["event"] for h in get_issue(stack, first["id"])["history"]]
    # never folded into the finished issue's task
    assert task_of(second) != task_of(first)
    assert get_task(stack, task_of(second))["state"] == "queued"

    finish(stack, second, oid)                      # closed counts too
    third = one(stack, oid, ent, title + "。", detail)
    t = get_issue(stack, third["id"])
    assert t["recurrence_of"] == second["id"], t
    assert t["category"] == "difficult", t
    assert any(h["event"] == "classified" and "recurred 2" in h["reason"] for h in t["history"]), t["history"]
    led = stack.d.get("/api/v1/ledger?period=" + t["period"]).json()
    row = [i for i in led["issues"] if i["id"] == third["id"]][0]
    assert row["recurrence_of"] == second["id"], row
    page = stack.d.get("/ledger?period=" + t["period"])
    assert page.status == 200, page
    assert ("复发（%s）" % second["id"]) in page.body.decode(), "no 复发 mark on /ledger"


def test_no_recurrence_for_open_other_topic_other_text_or_other_enterprise(stack, officers):
    oid = officers()
    ents = stack.officer(oid)["enterprises"]
    title, detail = lib.safe_text(10), lib.safe_text(40)
    open_one = one(stack, oid, ents[0], title, detail)
    again = one(stack, oid, ents[0], title, detail)
    assert get_issue(stack, again["id"])["recurrence_of"] is None     # the first is not finished
    finish(stack, open_one, oid)
    finish(stack, again, oid)
    assert get_issue(stack, one(stack, oid, ents[0], lib.safe_text(10), lib.safe_text(40))["id"])[
        "recurrence_of"] is None                                        # another text
    assert get_issue(stack, one(stack, oid, ents[0], title, detail, topic="tax")["id"])[
        "recurrence_of"] is None                                        # another topic
    if len(ents) > 1:
        assert get_issue(stack, one(stack, oid, ents[1], title, detail)["id"])["recurrence_of"] is None


def test_recurrence_never_joins_the_finished_common_group(stack, officers):
    """Three enterprises raise one problem (a common group with one task);
    the task is resolved; one of them raises it again: a recurrence with a
    task of its own, not a member of the finished group."""
    ents = []
    while len(ents) < 3:
        oid = officers()
        ents += [(oid, e) for e in stack.officer(oid)["enterprises"]]
    title, detail = lib.safe_text(10), lib.safe_text(40)
    issues = [one(stack, o, e, title, detail) for o, e in ents[:3]]
    g = get_issue(stack, issues[2]["id"])
    assert g["group"] is not None and g["category"] == "common", g
    shared = task_of(g)
    drive(stack, shared, "resolved")
    oid, ent = ents[0]
    again = get_issue(stack, one(stack, oid, ent, title, detail)["id"])
    assert again["recurrence_of"] in [i["id"] for i in issues], again
    assert again["group"] != g["group"], again
    assert task_of(again) != shared
    assert get_task(stack, shared)["state"] == "resolved"


# ---------------------------------------------------------------------------
# frozen ledgers and carry-over


def test_snapshot_frozen_once_served_and_shown_with_the_live_ledger(tmp_path):
    """snapshot_days = 0 (frozen when it ends): the previous period is due at
    the first look, snapshot_check_seconds after each daemon starts; two
    daemons race for it and it is written once. (The working-day count is
    governance.c's unit test.)"""
    conf = {"governance": {"snapshot_days": 0, "snapshot_check_seconds": 4},
            "ledger": {"cache_ms": 60000}}
    with lib.Stack(str(tmp_path / "one"), conf=conf, start=False) as st:
        oid = "O004"
        prev = lib.period_shift(lib.current_period(), -1)
        other = second_daemon(st, str(tmp_path / "two"))
        st.d.start()
        other.start()
        try:
            ents = st.officer(oid)["enterprises"]
            doc = submit(st, oid, [lib.item(ents[0]), lib.item(ents[0])], period=prev)
            iids = [i["id"] for i in doc["issues"]]
            lib.wait_for(lambda: prev in [s["period"] for s in st.d.get("/api/v1/ledger/snapshots").json()[
                "snapshots"]], 15, what="the previous period frozen")
            listing = st.d.get("/api/v1/ledger/snapshots").json()["snapshots"]
            assert all(lib.ISO_RE.match(s["at"]) for s in listing), listing
            assert len({s["period"] for s in listing}) == len(listing), listing
            frozen = st.d.get("/api/v1/ledger/snapshots/" + prev)
            assert frozen.status == 200, frozen
            f = frozen.json()
            assert f["period"] == prev and sorted(i["id"] for i in f["issues"]) == sorted(iids), f
            hr = [d for d in f["departments"] if d["id"] == "hr"][0]
            assert hr["received"] == 2 and hr["claimed"] == 0, hr

            tid = doc["issues"][0]["tasks"][0]["id"]
            act_ok(st, tid, "claim")
            time.sleep(4.5)          # both daemons look again
            again = st.d.get("/api/v1/ledger/snapshots/" + prev)
            assert again.body == frozen.body
            assert other.get("/api/v1/ledger/snapshots/" + prev).body == frozen.body
            live = st.d.get("/api/v1/ledger?period=" + prev).json()
            assert [d for d in live["departments"] if d["id"] == "hr"][0]["claimed"] == 1, live
            snap = live["snapshot"]
            assert snap["at"] == f["frozen_at"], snap
            assert [d for d in snap["departments"] if d["id"] == "hr"][0]["claimed"] == 0, snap
            # the frozen figures come with the cached ledger: answering the
            # public ledger again reads no snapshot (once it read one per answer)
            gets = st.r.info("commandstats").get("cmdstat_get", {}).get("calls", 0)
            for _ in range(10):
                assert st.d.get("/api/v1/ledger?period=" + prev).json()["snapshot"] == snap
            assert st.r.info("commandstats").get("cmdstat_get", {}).get("calls", 0) - gets < 10
            # frozen once between the two daemons
            logs = st.d.stderr() + other.stderr()
            assert logs.count("froze the ledger of period %s" % prev) == 1, logs[-3000:]
            # the current period is not frozen
            cur = st.d.get("/api/v1/ledger?period=" + lib.current_period()).json()
            assert "snapshot" not in cur, cur
            # carry-over: the previous period's open issues, on the current ledger
            carried = {i["id"]: i for i in cur["carried_over"]}
            assert set(iids) <= set(carried), cur["carried_over"]
            assert all(carried[i]["periods_open"] == 2 for i in iids), carried
            assert all(i["period"] < lib.current_period() for i in cur["carried_over"])
            assert not [i for i in live["carried_over"] if i["id"] in iids]
            page = st.d.get("/ledger?period=" + lib.current_period()).body.decode()
            carried_html = page[page.index('id="carried"'):]
            for i in iids:
                assert 'id="issue-%s"' % i in carried_html, "carried issue not on /ledger"
            assert "已跨 2 个半月未销号" in carried_html
            # the frozen ledger holds what was carried over into it, too
            assert "carried_over" in f, f
            # and the workbook, in a sheet of its own with the half-months
            import io
            import openpyxl
            wb = openpyxl.load_workbook(io.BytesIO(st.d.get("/api/v1/ledger.xlsx", token=admin(st)).body))
            rows = [list(r) for r in wb["往期未销号"].iter_rows(values_only=True)]
            # the title block (zone and sheet, then period and time) is above the headers
            assert rows[0][0] == "安庆经开区问题清单台账（往期未销号）", rows[0]
            assert rows[2][-1] == "跨半月数", rows[2]
            got = {r[1]: r[-1] for r in rows[3:]}
            assert all(got.get(i) == 2 for i in iids), got
        finally:
            other.stop_and_check()


def test_snapshot_refusals(stack):
    lib.assert_error(stack.d.get("/api/v1/ledger/snapshots/2026-13-1"), 404, "not_found")
    lib.assert_error(stack.d.get("/api/v1/ledger/snapshots/2026-1-1"), 404, "not_found")
    lib.assert_error(stack.d.get("/api/v1/ledger/snapshots/" + lib.current_period()), 404, "not_found")
    lib.assert_error(stack.d.get("/api/v1/ledger/snapshots?x=1"), 400, "bad_request")
    resp = stack.d.get("/api/v1/ledger/snapshots")
    assert resp.status == 200 and isinstance(resp.json()["snapshots"], list), resp


# ---------------------------------------------------------------------------
# the department page's 申请延期 control


def _login(st, token):
    import urllib.parse
    r = lib.request(st.d.port, "POST", "/login", body="token=" + urllib.parse.quote(token),
                    ctype="application/x-www-form-urlencoded")
    assert r.status == 303, r
    return r.header("set-cookie").split(";")[0]


def _post_form(st, path, fields, cookie):
    import urllib.parse
    return lib.request(st.d.port, "POST", path, body=urllib.parse.urlencode(fields),
                       ctype="application/x-www-form-urlencoded", headers={"Cookie": cookie})


def test_dept_page_asks_for_an_extension(stack, officers):
    import re
    oid = officers()
    _, tid = fresh_task(stack, oid)
    cookie = _login(stack, dept_token(stack, "hr"))
    body = lib.request(stack.d.port, "GET", "/dept", headers={"Cookie": cookie}).body.decode()
    item = body[body.index('id="task-%s"' % tid):]
    item = item[:item.index("</li>")]
    assert 'action="/dept/extend"' in item and "申请延期" in item, item
    assert '<label for="days-%s">' % tid in item and '<label for="extend-reason-%s">' % tid in item
    csrf = re.search(r'name="csrf" value="([^"]*)"', body).group(1)
    warm = lib.stable_snapshot(stack.r)
    r = _post_form(stack, "/dept/extend", {"csrf": csrf, "task": tid, "days": "", "reason": "协调中"}, cookie)
    assert r.status == 400 or r.status == 422, r
    text = r.body.decode()
    mine = text[text.index('id="task-%s"' % tid):]
    mine = mine[:mine.index("</li>")]
    assert '<details class="extend" open>' in mine and "请填写 1 到 30 之间的工作日天数。" in mine, mine
    lib.assert_unchanged(warm, lib.stable_snapshot(stack.r))
    r = _post_form(stack, "/dept/extend", {"csrf": csrf, "task": tid, "days": "2", "reason": "协调中"}, cookie)
    assert r.status == 303 and r.header("location") == "/dept?ok=extend&task=%s#task-%s" % (tid, tid), r
    done = lib.request(stack.d.port, "GET", "/dept?ok=extend&task=" + tid, headers={"Cookie": cookie}).body.decode()
    assert "任务 %s 已申请延期，等待管理员审批。" % tid in done
    x = get_task(stack, tid)["extensions"]
    assert len(x) == 1 and x[0]["days"] == 2 and x[0]["state"] == "pending", x
    r = _post_form(stack, "/dept/extend", {"csrf": csrf, "task": tid, "days": "1", "reason": "再次"}, cookie)
    assert r.status == 409 and "已有延期申请在等待审批" in r.body.decode(), r


# ---------------------------------------------------------------------------
# the working meeting's agenda


def test_agenda_lists_what_the_meeting_must_decide_oldest_first(fresh_stack):
    st = fresh_stack(conf=second_deadlines())
    oid = "O005"
    ents = st.officer(oid)["enterprises"]
    st.token("officer", oid), dept_token(st, "hr"), admin(st)
    hard = submit(st, oid, [lib.item(ents[0], difficult=True)])["issues"][0]
    late_iid, late = fresh_task(st, oid)
    ext_iid, ext = fresh_task(st, oid)
    ok(extend(st, ext, days=2, reason="需协调"))
    ret_iid, ret = fresh_task(st, oid)
    act_ok(st, ret, "return")
    title, detail = lib.safe_text(10), lib.safe_text(40)
    old = one(st, oid, ents[1 % len(ents)], title, detail)
    finish(st, old, oid)
    rec = one(st, oid, ents[1 % len(ents)], title, detail)
    for t in (ext, task_of(rec), task_of(hard)):
        act_ok(st, t, "claim")
    time.sleep(4.5)      # the late task's claim deadline (2 s) passed; claimed ones respond by 4 s
    # The escalation (a timer, every second) has handled each stage due by
    # now, so that the API, the page and the workbook below read one state
    # (a respond deadline escalated between two reads made them differ).
    lib.wait_for(lambda: not st.r.zrangebyscore(lib.PREFIX + "deadlines", "-inf", int(time.time() * 1000)),
                 5, what="the due stages escalated")
    lib.assert_error(st.d.get("/api/v1/agenda", token=dept_token(st, "hr")), 403, "forbidden")
    lib.assert_error(st.d.get("/api/v1/agenda?x=1", token=admin(st)), 400, "bad_request")
    doc = ok(st.d.get("/api/v1/agenda", token=admin(st)))
    assert doc["periods"] == [lib.period_shift(lib.current_period(), -1), lib.current_period()], doc
    items = doc["agenda"]
    kinds = {(i["kind"], i["issue"]) for i in items}
    assert ("difficult", hard["id"]) in kinds, items
    assert ("overdue", late_iid) in kinds, items
    assert ("extension", ext_iid) in kinds, items
    assert ("returned", ret_iid) in kinds, items
    assert ("recurrence", rec["id"]) in kinds, items
    assert not [i for i in items if i["issue"] == old["id"]], "a closed issue is not on the agenda"
    e = [i for i in items if i["kind"] == "extension"][0]
    assert e["task"] == ext and e["departments"] == ["hr"] and e["days"] == 2 and e["reason"] == "需协调", e
    r = [i for i in items if i["kind"] == "recurrence"][0]
    assert r["recurrence_of"] == old["id"], r
    assert all(lib.ISO_RE.match(i["since"]) and i["age_days"] == 0 for i in items), items
    since = [ts(i["since"]) for i in items]
    assert since == sorted(since), "not oldest first"
    # the page /agenda: the same items in the same order, for an admin
    # session only, printable (the ledger's print stylesheet: a title line)
    page_of = agenda_page(st, st.token("admin", "ops"))
    assert page_of.status == 200, page_of
    page = page_of.body.decode()
    rows = re.findall(r'<tr data-kind="([a-z]+)"><td>[^<]*</td><td>(I[0-9]+)</td>', page)
    assert rows == [(i["kind"], i["issue"]) for i in items], (rows, items)
    assert "延期申请待审批（2 个工作日）" in page and "理由：需协调" in page
    assert "（复发自 %s）" % old["id"] in page
    assert 'id="print-title"' in page and re.search(r'<link rel="stylesheet" href="/static/style-[^"]*\.css"', page)
    for role, ident in (("officer", oid), ("department", "hr")):
        assert agenda_page(st, st.token(role, ident)).status == 403, role
    assert agenda_page(st, st.token("admin", "ops"), "?x=1").status == 400
    # the admin's workbook has it as a sheet, 例会议题, in the same order; a
    # department's workbook does not
    import io
    import openpyxl
    wb = openpyxl.load_workbook(io.BytesIO(st.d.get("/api/v1/ledger.xlsx", token=admin(st)).body))
    rows = [list(r) for r in wb["例会议题"].iter_rows(values_only=True)]
    assert rows[2] == ["事项", "问题编号", "标题", "部门", "期次", "开始时间", "已过天数"], rows[2]
    assert [(r[0], r[1]) for r in rows[3:]] == [
        ({"difficult": "疑难问题", "overdue": "超期未办", "extension": "延期申请待审批",
          "returned": "退单待重新交办", "recurrence": "复发"}[i["kind"]], i["issue"]) for i in items], rows
    assert all(r[3] == "人力资源和社会保障局" for r in rows[3:] if r[0] != "疑难问题"), rows
    hr_wb = openpyxl.load_workbook(io.BytesIO(st.d.get("/api/v1/ledger.xlsx", token=dept_token(st, "hr")).body))
    assert "例会议题" not in hr_wb.sheetnames


def agenda_page(st, token, query=""):
    """GET /agenda with a session signed in with token."""
    r = lib.request(st.d.port, "POST", "/login", body="token=" + urllib.parse.quote(token),
                    ctype="application/x-www-form-urlencoded")
    assert r.status == 303, r
    return lib.request(st.d.port, "GET", "/agenda" + query,
                       headers={"Cookie": r.header("set-cookie").split(";")[0]})
