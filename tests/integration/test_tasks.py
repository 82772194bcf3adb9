"""Task transitions (issue 3): claim, respond, resolve, return (退单), the
refused ones, body validation, access, GET /api/v1/tasks/{id}, the history
they leave and the issue state derived from the tasks.

Runs on the shared stack: every test makes its own issues (officers of the
`who` fixture) and touches only their tasks by id (never "claim the oldest"),
so other tests' tasks are safe. The helpers are flow.py's.
"""

import pytest

import lib
from flow import (TEXT_FIELD, act, act_ok, admin, dept_token, drive, get_issue, get_task, new_history, new_issue,
                  queue_ids, rejected, submit, task_of, text_for, ts)

MAX_LEN = {"claim": 64, "respond": 2000, "resolve": 2000, "return": 500}
# the stages each action is allowed from
ALLOWED_FROM = {"claim": {"queued"}, "respond": {"claimed"}, "resolve": {"responded"},
                "return": {"queued", "claimed"}}
STAGES = ["queued", "claimed", "responded", "resolved", "returned"]
# a stage each action is allowed from (for tests where only something else is wrong)
READY_FOR = {"claim": "queued", "respond": "claimed", "resolve": "responded", "return": "claimed"}
DETAIL_FIELDS = {"id", "enterprise", "topic", "title", "detail", "officer", "category", "state", "period"}


def ready_task(stack, oid, action):
    """A fresh hr task of officer oid, in a stage the action is allowed from."""
    tid = task_of(new_issue(stack, oid), "hr")
    drive(stack, tid, READY_FOR[action])
    return tid


# ---------------------------------------------------------------------------
# allowed transitions


def test_claim_respond_resolve(stack, who):
    iss = new_issue(stack, who["a"])
    iid, tid = iss["id"], task_of(iss, "hr")
    i0 = get_issue(stack, iid)
    assert i0["state"] == "queued"

    t = act_ok(stack, tid, "claim", text="李四")
    assert t["claimant"] == "李四" and t["issues"] == [iid] and t["department"] == "hr", t
    assert t["response"] is None and t["resolution"] is None, t
    i1 = get_issue(stack, iid)
    assert i1["state"] == "claimed"
    added = new_history(i0, i1)
    assert [h["actor"] for h in added] == ["department:hr"], added
    assert added[0]["event"].startswith("claim"), added

    response = "已联系企业，" + lib.safe_text(30)
    t = act_ok(stack, tid, "respond", text=response)
    assert t["response"] == response and t["claimant"] == "李四", t
    i2 = get_issue(stack, iid)
    assert i2["state"] == "responded"
    added = new_history(i1, i2)
    assert [h["actor"] for h in added] == ["department:hr"], added
    assert added[0]["event"].startswith("respond") and response in added[0]["reason"], added

    resolution = "已解决，" + lib.safe_text(30)
    t = act_ok(stack, tid, "resolve", text=resolution)
    assert t["resolution"] == resolution and t["response"] == response, t
    i3 = get_issue(stack, iid)
    assert i3["state"] == "resolved"
    added = new_history(i2, i3)
    assert [h["actor"] for h in added] == ["department:hr"], added
    assert added[0]["event"].startswith("resolv") and resolution in added[0]["reason"], added
    # the issue's own view of the task agrees
    (it,) = i3["tasks"]
    assert it["id"] == tid and it["state"] == "resolved" and it["resolution"] == resolution, it


@pytest.mark.parametrize("stage", ["queued", "claimed"])
def test_return_from(stack, who, stage):
    iss = new_issue(stack, who["a"])
    iid, tid = iss["id"], task_of(iss, "hr")
    drive(stack, tid, stage)
    i0 = get_issue(stack, iid)
    reason = "不属于本部门职责，" + lib.safe_text(10)
    t = act_ok(stack, tid, "return", text=reason)
    assert t["state"] == "returned"
    i1 = get_issue(stack, iid)
    assert i1["state"] == "returned", i1
    added = new_history(i0, i1)
    assert any(h["actor"] == "department:hr" and h["event"].startswith("return") and reason in h["reason"]
               for h in added), added
    assert tid not in queue_ids(stack, "hr")
    triage = stack.d.get("/api/v1/issues?state=returned", token=admin(stack))
    assert triage.status == 200, triage
    assert iid in [x["id"] for x in triage.json()["issues"]]
    assert all(x["state"] == "returned" for x in triage.json()["issues"])


def test_claimed_task_leaves_the_queue(stack, who):
    iss = new_issue(stack, who["a"])
    tid = task_of(iss, "hr")
    assert tid in queue_ids(stack, "hr")
    act_ok(stack, tid, "claim")
    assert tid not in queue_ids(stack, "hr")


# ---------------------------------------------------------------------------
# refused transitions: every (stage, action) pair not allowed is 409


REFUSED = [(s, a) for s in STAGES for a in TEXT_FIELD if s not in ALLOWED_FROM[a]]


@pytest.mark.parametrize("stage,action", REFUSED, ids=["%s-%s" % p for p in REFUSED])
def test_refused_transition_409(stack, who, stage, action):
    iss = new_issue(stack, who["a"])
    tid = task_of(iss, "hr")
    drive(stack, tid, stage)
    rejected(stack, lambda: act(stack, tid, action), 409, "conflict")
    assert get_task(stack, tid)["state"] == stage


def test_refused_list_is_complete():
    """The names of the brief: respond before claim, resolve before respond,
    claim twice, return after respond, any action on a resolved task."""
    for pair in [("queued", "respond"), ("claimed", "resolve"), ("claimed", "claim"), ("responded", "return"),
                 ("resolved", "claim"), ("resolved", "respond"), ("resolved", "resolve"), ("resolved", "return")]:
        assert pair in REFUSED


# ---------------------------------------------------------------------------
# body validation


def _bodies(action):
    f = TEXT_FIELD[action]
    ok = text_for(action)
    return {
        "missing": ({}, 422, "invalid", f),
        "empty": ({f: ""}, 422, "invalid", f),
        "too-long": ({f: "字" * (MAX_LEN[action] + 1)}, 422, "invalid", f),
        "number": ({f: 5}, 400, "bad_request", f),
        "null": ({f: None}, 400, "bad_request", f),
        "array": ({f: [ok]}, 400, "bad_request", f),
        "unknown-field": ({f: ok, "extra": 1}, 400, "bad_request", "extra"),
        "not-json": (b'{"' + f.encode() + b'": ', 400, "bad_request", None),
        "not-object": (b'["x"]', 400, "bad_request", None),
    }


VALIDATION = [(a, k) for a in TEXT_FIELD for k in _bodies(a)]


@pytest.mark.parametrize("action,case", VALIDATION, ids=["%s-%s" % p for p in VALIDATION])
def test_task_body_validation(stack, who, action, case):
    tid = ready_task(stack, who["a"], action)
    # the task is in a stage the action is allowed from: only the body is wrong
    body, status, code, field = _bodies(action)[case]
    state = get_task(stack, tid)["state"]
    rejected(stack, lambda: act(stack, tid, action, body), status, code, field)
    assert get_task(stack, tid)["state"] == state


@pytest.mark.parametrize("action", list(TEXT_FIELD))
def test_task_body_without_json_content_type_415(stack, who, action):
    tid = ready_task(stack, who["a"], action)
    rejected(stack, lambda: stack.d.post("/api/v1/tasks/%s/%s" % (tid, action),
                                         {TEXT_FIELD[action]: "x"}, token=dept_token(stack, "hr"),
                                         ctype="text/plain"),
             415, "unsupported_media_type")


@pytest.mark.parametrize("action", list(TEXT_FIELD))
def test_task_text_at_the_limit_accepted(stack, who, action):
    """Limits count characters, not bytes (CJK is 3 bytes in UTF-8)."""
    tid = ready_task(stack, who["a"], action)
    text = "字" * MAX_LEN[action]
    t = act_ok(stack, tid, action, text=text)
    if action == "claim":
        assert t["claimant"] == text
    elif action in ("respond", "resolve"):
        assert t[{"respond": "response", "resolve": "resolution"}[action]] == text


# ---------------------------------------------------------------------------
# access


@pytest.mark.parametrize("action", list(TEXT_FIELD))
def test_task_action_by_another_department_403(stack, who, action):
    tid = ready_task(stack, who["a"], action)
    rejected(stack, lambda: act(stack, tid, action, dept="land"), 403, "forbidden")


@pytest.mark.parametrize("action", list(TEXT_FIELD))
def test_task_action_by_officer_403(stack, who, action):
    tid = ready_task(stack, who["a"], action)
    # even the issue's own officer
    rejected(stack, lambda: act(stack, tid, action, token=stack.token("officer", who["a"])), 403, "forbidden")


@pytest.mark.parametrize("action", list(TEXT_FIELD))
def test_task_action_without_token_401(stack, who, action):
    iss = new_issue(stack, who["a"])
    tid = task_of(iss, "hr")
    rejected(stack, lambda: stack.d.post("/api/v1/tasks/%s/%s" % (tid, action),
                                         {TEXT_FIELD[action]: "x"}), 401, "unauthorized")


@pytest.mark.parametrize("action", list(TEXT_FIELD))
@pytest.mark.parametrize("tid", ["T999999999", "T0", "I1", "X"])
def test_task_action_unknown_task_404(stack, action, tid):
    rejected(stack, lambda: act(stack, tid, action), 404, "not_found")


# ---------------------------------------------------------------------------
# GET /api/v1/tasks/{id}


def test_get_task_with_details(stack, who):
    oid = who["a"]
    ents = stack.officer(oid)["enterprises"]
    title, detail = lib.safe_text(12), lib.safe_text(40)
    doc = submit(stack, oid, [lib.item(ents[0], title=title, detail=detail)])
    iss = doc["issues"][0]
    iid, tid = iss["id"], task_of(iss, "hr")
    for tok in (dept_token(stack, "hr"), admin(stack)):
        t = get_task(stack, tid, token=tok)
        assert t["id"] == tid and t["department"] == "hr" and t["state"] == "queued", t
        assert t["claimant"] is None and t["response"] is None and t["resolution"] is None, t
        assert t["issues"] == [iid], t
        assert isinstance(t.get("details"), list) and len(t["details"]) == 1, t
        d = t["details"][0]
        assert DETAIL_FIELDS <= set(d), d
        assert d == {**d, "id": iid, "enterprise": ents[0], "topic": "hiring", "title": title,
                     "detail": detail, "officer": oid, "category": "individual", "state": "queued",
                     "period": doc["period"]}, d
        assert ts(t["deadline"]) > ts(t["created"]), t
    act_ok(stack, tid, "claim", text="王五")
    t = get_task(stack, tid, token=dept_token(stack, "hr"))
    assert t["state"] == "claimed" and t["claimant"] == "王五" and t["details"][0]["state"] == "claimed", t


def test_get_task_access(stack, who):
    iss = new_issue(stack, who["a"], topic="planning")
    land, build = task_of(iss, "land"), task_of(iss, "build")
    assert get_task(stack, land, token=dept_token(stack, "land"))["department"] == "land"
    assert get_task(stack, build, token=dept_token(stack, "build"))["department"] == "build"
    for tid, other in ((land, "build"), (build, "land"), (land, "hr")):
        lib.assert_error(stack.d.get("/api/v1/tasks/" + tid, token=dept_token(stack, other)), 403, "forbidden")
    # officers never see tasks, not even their own issue's
    lib.assert_error(stack.d.get("/api/v1/tasks/" + land, token=stack.token("officer", who["a"])), 403,
                     "forbidden")
    lib.assert_error(stack.d.get("/api/v1/tasks/" + land), 401, "unauthorized")
    for bad in ("T999999999", "T0", "I1"):
        lib.assert_error(stack.d.get("/api/v1/tasks/" + bad, token=admin(stack)), 404, "not_found")


# ---------------------------------------------------------------------------
# the issue's state is the least advanced of its tasks


def test_issue_state_is_the_least_advanced_task(stack, who):
    iss = new_issue(stack, who["a"], topic="planning")
    iid = iss["id"]
    assert sorted(iss["departments"]) == ["build", "land"] and iss["category"] == "difficult", iss
    land, build = task_of(iss, "land"), task_of(iss, "build")

    def state():
        return get_issue(stack, iid)["state"]

    steps = [
        (land, "claim", "land", "queued"),
        (build, "claim", "build", "claimed"),
        (land, "respond", "land", "claimed"),
        (land, "resolve", "land", "claimed"),
        (build, "respond", "build", "responded"),
        (build, "resolve", "build", "resolved"),
    ]
    prev = get_issue(stack, iid)
    for tid, action, dept, expect in steps:
        act_ok(stack, tid, action, dept=dept)
        cur = get_issue(stack, iid)
        assert cur["state"] == expect, "after %s %s by %s: %r" % (action, tid, dept, cur)
        # the state filter of GET /issues agrees
        for s in ("queued", "claimed", "responded", "resolved"):
            rows = stack.d.get("/api/v1/issues?state=" + s, token=admin(stack)).json()["issues"]
            assert (iid in [r["id"] for r in rows]) == (s == expect), "?state=%s after %s %s" % (s, action, tid)
        added = new_history(prev, cur)
        assert any(h["actor"] == "department:" + dept for h in added), added
        assert all(h["actor"] in ("department:" + dept, "system") for h in added), added
        prev = cur
    assert state() == "resolved"
    by = {t["id"]: t for t in prev["tasks"]}
    assert by[land]["state"] == "resolved" and by[build]["state"] == "resolved"


def test_issue_returned_while_any_task_is_returned(stack, who):
    iss = new_issue(stack, who["a"], topic="planning")
    iid = iss["id"]
    land, build = task_of(iss, "land"), task_of(iss, "build")
    act_ok(stack, build, "claim", dept="build")
    act_ok(stack, land, "return", dept="land")
    cur = get_issue(stack, iid)
    assert cur["state"] == "returned", cur
    # the other department carries on; the issue still waits for triage
    act_ok(stack, build, "respond", dept="build")
    act_ok(stack, build, "resolve", dept="build")
    assert get_issue(stack, iid)["state"] == "returned"
    rows = stack.d.get("/api/v1/issues?state=returned", token=admin(stack)).json()["issues"]
    assert iid in [r["id"] for r in rows]
