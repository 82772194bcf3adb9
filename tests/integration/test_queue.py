"""The department claim queue (issue 3): GET /api/v1/departments/{dept}/queue
and POST /api/v1/departments/{dept}/claim.

"Claim the oldest" and "204 when none" depend on everything in a queue, so
this module runs on a stack of its own, and each test uses a department no
other test here puts tasks in (the dict DEPT below).
"""

import datetime

import pytest

import lib
from flow import (act, act_ok, admin, check_task, claim_next, dept_token, get_issue, get_task, new_history,
                  queue_ids, rejected, report, submit, task_of)

# one department per test, with a topic routed only to it
DEPT = {
    "oldest": ("tax", "tax"),
    "isolation": ("social", "talent"),
    "leaves": ("env", "environment"),
    "claim_next": ("finance", "financing"),
    "skip": ("market", "market"),
    "refused": ("safety", "safety"),
    "history": ("approval", "licensing"),
    "empty": ("invest", None),          # nothing is ever filed for invest here
    "planning": ("land", "planning"),   # and build
    "long": ("econ", "subsidy"),
}


@pytest.fixture(scope="module")
def qs(tmp_path_factory):
    with lib.Stack(str(tmp_path_factory.mktemp("queue"))) as st:
        yield st


@pytest.fixture
def st(qs):
    with qs.guard():
        yield qs


def file_items(st, oid, topic, n):
    """A report of n items of topic by officer oid; returns the issues (in order)."""
    return report(st, oid, n, topic=topic)["issues"]


def test_queue_lists_queued_tasks_oldest_first(st):
    dept, topic = DEPT["oldest"]
    issues = file_items(st, "O002", topic, 2) + file_items(st, "O003", topic, 1) + file_items(st, "O002", topic, 2)
    tids = [task_of(i, dept) for i in issues]
    resp = st.d.get("/api/v1/departments/%s/queue" % dept, token=dept_token(st, dept))
    assert resp.status == 200, resp
    assert (resp.header("content-type") or "").startswith("application/json"), resp
    tasks = resp.json()["tasks"]
    assert [t["id"] for t in tasks] == tids, tasks
    for t, iss in zip(tasks, issues):
        check_task(t)
        assert t["state"] == "queued" and t["department"] == dept and t["claimant"] is None, t
        assert t["issues"] == [iss["id"]], t
    created = [datetime.datetime.fromisoformat(t["created"]) for t in tasks]
    assert created == sorted(created)
    # the admin sees the same list
    assert queue_ids(st, dept, token=admin(st)) == tids


def test_queue_department_isolation(st):
    dept, topic = DEPT["isolation"]
    tids = [task_of(i, dept) for i in file_items(st, "O004", topic, 2)]
    assert queue_ids(st, dept, token=dept_token(st, dept)) == tids
    assert queue_ids(st, dept, token=admin(st)) == tids
    path = "/api/v1/departments/%s/queue" % dept
    lib.assert_error(st.d.get(path, token=dept_token(st, "hr")), 403, "forbidden")
    lib.assert_error(st.d.get("/api/v1/departments/land/queue", token=dept_token(st, "hr")), 403, "forbidden")
    lib.assert_error(st.d.get(path, token=st.token("officer", "O004")), 403, "forbidden")
    lib.assert_error(st.d.get(path), 401, "unauthorized")
    lib.assert_error(st.d.get("/api/v1/departments/nosuch/queue", token=admin(st)), 404, "not_found")
    # another department's own queue holds none of them
    assert set(queue_ids(st, "hr", token=dept_token(st, "hr"))).isdisjoint(tids)


def test_queue_leaves_out_claimed_and_returned_tasks(st):
    dept, topic = DEPT["leaves"]
    a, b, c = (task_of(i, dept) for i in file_items(st, "O005", topic, 3))
    assert queue_ids(st, dept) == [a, b, c]
    act_ok(st, a, "claim", dept=dept)
    assert queue_ids(st, dept) == [b, c]
    act_ok(st, c, "return", dept=dept)
    assert queue_ids(st, dept) == [b]


def test_claim_next_hands_out_the_oldest_then_204(st):
    dept, topic = DEPT["claim_next"]
    issues = file_items(st, "O006", topic, 2) + file_items(st, "O007", topic, 1)
    tids = [task_of(i, dept) for i in issues]
    got = []
    for n, tid in enumerate(tids):
        resp = claim_next(st, dept, claimant="认领人%d" % n)
        assert resp.status == 200, resp
        t = resp.json()
        check_task(t)
        assert t["id"] == tid, "expected the oldest %s, got %r" % (tid, t)
        assert t["state"] == "claimed" and t["claimant"] == "认领人%d" % n and t["department"] == dept, t
        got.append(t["id"])
        assert queue_ids(st, dept) == tids[n + 1:]
    resp = claim_next(st, dept)
    assert resp.status == 204, resp
    assert resp.body == b"", resp
    assert queue_ids(st, dept) == []
    for n, (tid, iss) in enumerate(zip(tids, issues)):
        t = get_task(st, tid)
        assert t["state"] == "claimed" and t["claimant"] == "认领人%d" % n, t
        assert get_issue(st, iss["id"])["state"] == "claimed"


def test_claim_next_on_a_queue_never_used_is_204(st):
    dept, _ = DEPT["empty"]
    resp = claim_next(st, dept)
    assert resp.status == 204, resp
    assert resp.body == b"", resp
    assert queue_ids(st, dept) == []


def test_claim_next_skips_tasks_claimed_by_id(st):
    dept, topic = DEPT["skip"]
    a, b = (task_of(i, dept) for i in file_items(st, "O008", topic, 2))
    act_ok(st, a, "claim", dept=dept)
    resp = claim_next(st, dept)
    assert resp.status == 200 and resp.json()["id"] == b, resp
    # and a task claimed by claim-next cannot be claimed by id
    lib.assert_error(act(st, b, "claim", dept=dept), 409, "conflict")
    assert claim_next(st, dept).status == 204


def test_claim_next_history(st):
    dept, topic = DEPT["history"]
    (iss,) = file_items(st, "O009", topic, 1)
    before = get_issue(st, iss["id"])
    resp = claim_next(st, dept, claimant="钱七")
    assert resp.status == 200, resp
    after = get_issue(st, iss["id"])
    added = new_history(before, after)
    assert [h["actor"] for h in added] == ["department:" + dept], added
    assert after["state"] == "claimed" and after["tasks"][0]["claimant"] == "钱七", after


REFUSED_CLAIMS = {
    # name: (token maker, body, status, code, field)
    "officer": (lambda st, d: st.token("officer", "O010"), {"claimant": "x"}, 403, "forbidden", None),
    "admin": (lambda st, d: admin(st), {"claimant": "x"}, 403, "forbidden", None),
    "other-department": (lambda st, d: dept_token(st, "hr"), {"claimant": "x"}, 403, "forbidden", None),
    "no-token": (lambda st, d: "", {"claimant": "x"}, 401, "unauthorized", None),
    "missing-claimant": (lambda st, d: dept_token(st, d), {}, 422, "invalid", "claimant"),
    "empty-claimant": (lambda st, d: dept_token(st, d), {"claimant": ""}, 422, "invalid", "claimant"),
    "long-claimant": (lambda st, d: dept_token(st, d), {"claimant": "张" * 65}, 422, "invalid", "claimant"),
    "number-claimant": (lambda st, d: dept_token(st, d), {"claimant": 7}, 400, "bad_request", "claimant"),
    "unknown-field": (lambda st, d: dept_token(st, d), {"claimant": "x", "task": "T1"}, 400, "bad_request",
                      "task"),
    "not-json": (lambda st, d: dept_token(st, d), b'{"claimant":', 400, "bad_request", None),
}


@pytest.mark.parametrize("name", list(REFUSED_CLAIMS))
def test_claim_next_refused(st, name):
    dept, topic = DEPT["refused"]
    if not queue_ids(st, dept):
        file_items(st, "O010", topic, 2)
    queued = queue_ids(st, dept)
    mk, body, status, code, field = REFUSED_CLAIMS[name]
    tok = mk(st, dept)

    def send():
        if tok == "":
            return st.d.post("/api/v1/departments/%s/claim" % dept, body)
        return st.d.post("/api/v1/departments/%s/claim" % dept, body, token=tok)

    rejected(st, send, status, code, field)
    assert queue_ids(st, dept) == queued


def test_planning_task_waits_in_both_queues(st):
    iss = submit(st, "O011", [lib.item(st.officer("O011")["enterprises"][0], topic="planning")])["issues"][0]
    land, build = task_of(iss, "land"), task_of(iss, "build")
    assert land in queue_ids(st, "land") and build in queue_ids(st, "build")
    assert land not in queue_ids(st, "build") and build not in queue_ids(st, "land")
    # the land department claims its part; build's stays queued
    act_ok(st, land, "claim", dept="land")
    assert land not in queue_ids(st, "land") and build in queue_ids(st, "build")


@pytest.mark.parametrize("method,path,allowed", [
    ("POST", "/api/v1/departments/hr/queue", {"GET"}),
    ("DELETE", "/api/v1/departments/hr/queue", {"GET"}),
    ("GET", "/api/v1/departments/hr/claim", {"POST"}),
    ("PUT", "/api/v1/departments/hr/claim", {"POST"}),
    ("GET", "/api/v1/tasks/T1/claim", {"POST"}),
    ("GET", "/api/v1/tasks/T1/respond", {"POST"}),
    ("GET", "/api/v1/tasks/T1/resolve", {"POST"}),
    ("GET", "/api/v1/tasks/T1/return", {"POST"}),
    ("POST", "/api/v1/tasks/T1", {"GET"}),
    ("GET", "/api/v1/issues/I1/confirm", {"POST"}),
    ("GET", "/api/v1/issues/I1/reopen", {"POST"}),
    ("GET", "/api/v1/issues/I1/classify", {"POST"}),
    ("GET", "/api/v1/issues/I1/route", {"POST"}),
])
def test_wrong_method_405(st, method, path, allowed):
    tok = admin(st)
    dept_token(st, "hr")
    body = b"{}" if method in ("POST", "PUT") else None
    rejected(st, lambda: st.d.req(method, path, body=body, token=tok), 405, "method_not_allowed")
    resp = st.d.req(method, path, body=body, token=tok)
    allow = {m.strip().upper() for m in (resp.header("allow") or "").split(",") if m.strip()}
    assert allowed <= allow, "Allow: %r" % resp.header("allow")


def test_queue_shows_more_than_a_page_and_counts_all(st):
    """Without ?limit the whole queue up to list_limit is listed; X-Total-Count
    counts every queued task, and ?limit= cuts the list, never the count."""
    dept, topic = DEPT["long"]
    issues = []
    for oid in ("O010", "O011", "O012"):
        issues += file_items(st, oid, topic, 40)
    tids = [task_of(i, dept) for i in issues]
    resp = st.d.get("/api/v1/departments/%s/queue" % dept, token=dept_token(st, dept))
    assert resp.status == 200, resp
    assert [t["id"] for t in resp.json()["tasks"]] == tids
    assert resp.header("x-total-count") == "120", resp
    resp = st.d.get("/api/v1/departments/%s/queue?limit=7" % dept, token=dept_token(st, dept))
    assert [t["id"] for t in resp.json()["tasks"]] == tids[:7]
    assert resp.header("x-total-count") == "120", resp
