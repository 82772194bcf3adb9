"""Deadlines and escalation (issue 3) with second-scale deadlines:
[deadlines] claim_seconds = 2, respond_seconds = 4, resolve_seconds = 6
(all counted from the task's creation).

One stack and one scenario for the module, set up at once (five hiring
items → five hr tasks):
  A  never claimed                          → claim overdue at +2 s: task.reminder
  B  claimed at once                        → respond overdue at +4 s: task.escalated
  C  claimed, responded, resolved at once   → never escalated
  D  claimed and responded at once          → resolve overdue at +6 s: task.escalated
  E  never claimed, admin classified it     → escalated, category kept
  F  claimed only after its claim reminder  → then respond overdue at +4 s too
The tests poll (with deadlines) for what each task must show; the one that
checks "only once" waits until every deadline plus two timer ticks passed.
"""

import datetime
import time

import pytest

import lib
from flow import (CLAIM_S, RESOLVE_S, RESPOND_S, act_ok, admin, drive, get_issue, get_task, issue_act, outbox,
                  report, second_deadlines, ts)

TICK = 1.0          # the daemon's timer period
SLACK = 2.5         # how late an escalation may be seen (timer tick + load)


@pytest.fixture(scope="module")
def esc(tmp_path_factory):
    with lib.Stack(str(tmp_path_factory.mktemp("escalation")), conf=second_deadlines()) as st:
        oid = "O002"
        # tokens first: liaisonctl takes time, the clock starts at the report
        st.token("officer", oid), st.token("department", "hr"), admin(st)
        t0 = time.monotonic()
        names = "ABCDEF"
        doc = report(st, oid, len(names))
        issues = {n: doc["issues"][i]["id"] for i, n in enumerate(names)}
        tasks = {n: doc["issues"][i]["tasks"][0]["id"] for i, n in enumerate(names)}
        drive(st, tasks["B"], "claimed")
        drive(st, tasks["C"], "resolved")
        drive(st, tasks["D"], "responded")
        resp = issue_act(st, issues["E"], "classify",
                         {"category": "individual", "reason": "管理员认定为个性问题"}, admin(st))
        setup_s = time.monotonic() - t0
        ctx = {"st": st, "t0": t0, "issues": issues, "tasks": tasks, "classify": resp, "setup_s": setup_s}
        yield ctx


@pytest.fixture
def ctx(esc):
    with esc["st"].guard():
        # the scenario relies on B, C, D being handled before the claim deadline
        assert esc["setup_s"] < CLAIM_S - 0.5, "setup took %.1f s" % esc["setup_s"]
        yield esc


def wait_overdue(c, name, stage, due_s, since=None):
    """Poll GET /tasks/{id} until it shows overdue == stage; fail when that
    has not happened SLACK seconds after the deadline (or after since, the
    monotonic time the task entered the stage, if that is later)."""
    st, tid = c["st"], c["tasks"][name]
    due = max(c["t0"] + due_s, since or 0)
    left = max(0.5, due + SLACK - time.monotonic())
    return lib.wait_for(lambda: (lambda t: t if t.get("overdue") == stage else None)(get_task(st, tid)),
                        left, interval=0.1, what="task %s (%s) overdue=%s" % (tid, name, stage))


def wait_until(c, seconds_after_t0):
    """Let time pass until t0 + seconds (what the deadlines need, no more)."""
    rest = c["t0"] + seconds_after_t0 - time.monotonic()
    if rest > 0:
        time.sleep(rest)


def escalations(issue):
    return [h for h in issue["history"] if h["event"] == "escalated"]


def check_outbox_entry(e, c, name):
    assert e["task"] == c["tasks"][name] and e["department"] == "hr", e
    assert e["issue"] == c["issues"][name], e
    assert e.get("at"), e


def test_claim_deadline_follows_creation(ctx):
    c = ctx
    t = get_task(c["st"], c["tasks"]["A"])
    gap = (ts(t["deadline"]) - ts(t["created"])).total_seconds()
    assert abs(gap - CLAIM_S) < 0.002, t


def test_unclaimed_task_gets_a_claim_reminder(ctx):
    c = ctx
    st = c["st"]
    t = wait_overdue(c, "A", "claim", CLAIM_S)
    assert t["state"] == "queued", t
    iss = get_issue(st, c["issues"]["A"])
    assert iss["category"] == "difficult", iss
    esc = escalations(iss)
    assert len(esc) == 1, iss["history"]
    assert esc[0]["actor"] == "system" and esc[0]["reason"], esc
    assert ts(esc[0]["at"]) >= ts(t["created"]) + datetime.timedelta(seconds=CLAIM_S), \
        "escalated before its deadline: %r" % esc
    rem = outbox(st, "task.reminder", c["tasks"]["A"])
    assert len(rem) == 1, rem
    check_outbox_entry(rem[0], c, "A")
    assert outbox(st, "task.escalated", c["tasks"]["A"]) == []
    assert c["issues"]["A"] in [r["id"] for r in st.d.get("/api/v1/issues?category=difficult",
                                                            token=admin(st)).json()["issues"]]


def test_claimed_task_escalates_at_the_respond_deadline(ctx):
    c = ctx
    st = c["st"]
    t = wait_overdue(c, "B", "respond", RESPOND_S)
    assert t["state"] == "claimed", t
    gap = (ts(t["deadline"]) - ts(t["created"])).total_seconds()
    assert abs(gap - RESPOND_S) < 0.002, "a claimed task's deadline is its respond deadline: %r" % t
    iss = get_issue(st, c["issues"]["B"])
    assert iss["category"] == "difficult", iss
    esc = escalations(iss)
    assert len(esc) == 1 and esc[0]["actor"] == "system", iss["history"]
    escd = outbox(st, "task.escalated", c["tasks"]["B"])
    assert len(escd) == 1, escd
    check_outbox_entry(escd[0], c, "B")
    # claimed in time: no claim reminder
    assert outbox(st, "task.reminder", c["tasks"]["B"]) == []


def test_responded_task_escalates_at_the_resolve_deadline(ctx):
    c = ctx
    st = c["st"]
    t = wait_overdue(c, "D", "resolve", RESOLVE_S)
    assert t["state"] == "responded", t
    gap = (ts(t["deadline"]) - ts(t["created"])).total_seconds()
    assert abs(gap - RESOLVE_S) < 0.002, "a responded task's deadline is its resolve deadline: %r" % t
    iss = get_issue(st, c["issues"]["D"])
    assert iss["category"] == "difficult" and len(escalations(iss)) == 1, iss
    escd = outbox(st, "task.escalated", c["tasks"]["D"])
    assert len(escd) == 1, escd
    check_outbox_entry(escd[0], c, "D")
    assert outbox(st, "task.reminder", c["tasks"]["D"]) == []


def test_escalation_keeps_the_admin_classification(ctx):
    c = ctx
    st = c["st"]
    assert c["classify"].status == 200, c["classify"]
    wait_overdue(c, "E", "claim", CLAIM_S)
    iss = get_issue(st, c["issues"]["E"])
    assert len(escalations(iss)) == 1, iss["history"]
    assert iss["category"] == "individual", iss
    assert len(outbox(st, "task.reminder", c["tasks"]["E"])) == 1


def test_late_claim_then_respond_stage_escalates_too(ctx):
    c = ctx
    st = c["st"]
    wait_overdue(c, "F", "claim", CLAIM_S)
    act_ok(st, c["tasks"]["F"], "claim")
    t = wait_overdue(c, "F", "respond", RESPOND_S, since=time.monotonic())
    assert t["state"] == "claimed", t
    got = [e["event"] for e in outbox(st, task=c["tasks"]["F"]) if e["event"] in ("task.reminder", "task.escalated")]
    assert got == ["task.reminder", "task.escalated"], got
    esc = escalations(get_issue(st, c["issues"]["F"]))
    assert len(esc) == 2 and "claim" in esc[0]["reason"] and "respond" in esc[1]["reason"], esc


def test_each_stage_escalates_once(ctx):
    c = ctx
    st = c["st"]
    # every deadline has passed, plus two more timer ticks
    wait_until(c, RESOLVE_S + SLACK + 2 * TICK)
    expect = {"A": ("task.reminder", "claim"), "B": ("task.escalated", "respond"),
              "D": ("task.escalated", "resolve"), "E": ("task.reminder", "claim"),
              "F": (None, None)}
    for name, (event, stage) in expect.items():
        tid = c["tasks"][name]
        got = [e["event"] for e in outbox(st, task=c["tasks"][name])
               if e["event"] in ("task.reminder", "task.escalated")]
        if name == "F":     # claim once; respond at most once (if the test above claimed it)
            assert got in (["task.reminder"], ["task.reminder", "task.escalated"]), got
            assert len(escalations(get_issue(st, c["issues"][name]))) == len(got), name
            continue
        assert got == [event], "%s (%s): %r" % (tid, name, got)
        assert get_task(st, tid).get("overdue") == stage
        assert len(escalations(get_issue(st, c["issues"][name]))) == 1, name


def test_task_resolved_in_time_is_never_escalated(ctx):
    c = ctx
    st = c["st"]
    wait_until(c, RESOLVE_S + SLACK + 2 * TICK)
    tid = c["tasks"]["C"]
    assert [e for e in outbox(st, task=tid) if e["event"] in ("task.reminder", "task.escalated")] == []
    t = get_task(st, tid)
    assert t["state"] == "resolved" and t.get("overdue") is None, t
    iss = get_issue(st, c["issues"]["C"])
    assert escalations(iss) == [] and iss["category"] == "individual" and iss["state"] == "resolved", iss
