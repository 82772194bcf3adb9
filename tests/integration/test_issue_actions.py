"""Issue actions (issue 3): confirm with satisfaction (回访), reopen, the admin's
classify override and route (after a 退单), on the shared stack.

Each test makes its own issues (officers of the `who` fixture, this module's
only) and drives their tasks by id. The helpers are flow.py's.
"""

import pytest

import lib
from flow import (act_ok, admin, dept_token, drive, get_issue, get_task, issue_act, list_issues, new_history,
                  new_issue, queue_ids, rejected, task_of)


def resolved_issue(st, oid, topic="hiring"):
    """A fresh issue whose tasks are all resolved; returns (issue id, {dept: task id})."""
    iss = new_issue(st, oid, topic=topic)
    tasks = {t["department"]: t["id"] for t in iss["tasks"]}
    for dept, tid in tasks.items():
        drive(st, tid, "resolved", dept=dept)
    assert get_issue(st, iss["id"])["state"] == "resolved"
    return iss["id"], tasks


def officer_post(st, oid, iid, action, body):
    return issue_act(st, iid, action, body, st.token("officer", oid))


def ok(resp):
    assert resp.status == 200, resp
    assert (resp.header("content-type") or "").startswith("application/json"), resp
    return resp.json()


def check_requeued(st, iid, tasks):
    """Every task of the issue is queued again, unclaimed and in its department's queue."""
    cur = get_issue(st, iid)
    assert cur["state"] == "queued", cur
    for dept, tid in tasks.items():
        t = get_task(st, tid)
        assert t["state"] == "queued" and t["claimant"] is None, t
        assert tid in queue_ids(st, dept, token=dept_token(st, dept)), (dept, tid)
    return cur


def in_list(st, query, iid):
    return iid in [r["id"] for r in list_issues(st, admin(st), query)]


# ---------------------------------------------------------------------------
# confirm


@pytest.mark.parametrize("satisfaction", ["satisfied", "basic"])
def test_confirm_closes(stack, who, satisfaction):
    oid = who["a"]
    iid, tasks = resolved_issue(stack, oid)
    before = get_issue(stack, iid)
    ok(officer_post(stack, oid, iid, "confirm", {"satisfaction": satisfaction, "comment": "感谢及时处理"}))
    after = get_issue(stack, iid)
    assert after["state"] == "closed", after
    added = new_history(before, after)
    assert any(h["actor"] == "officer:" + oid for h in added), added
    assert in_list(stack, "?state=closed", iid) and not in_list(stack, "?state=resolved", iid)
    # the task stays resolved; a closed issue is neither confirmed nor reopened again
    assert get_task(stack, tasks["hr"])["state"] == "resolved"
    tok = stack.token("officer", oid)
    rejected(stack, lambda: issue_act(stack, iid, "confirm", {"satisfaction": "satisfied"}, tok), 409, "conflict")
    rejected(stack, lambda: issue_act(stack, iid, "reopen", {"reason": "再看看"}, tok), 409, "conflict")


def test_confirm_without_comment(stack, who):
    oid = who["a"]
    iid, _ = resolved_issue(stack, oid)
    ok(officer_post(stack, oid, iid, "confirm", {"satisfaction": "satisfied"}))
    assert get_issue(stack, iid)["state"] == "closed"


def test_confirm_unsatisfied_reopens(stack, who):
    oid = who["a"]
    iid, tasks = resolved_issue(stack, oid)
    before = get_issue(stack, iid)
    ok(officer_post(stack, oid, iid, "confirm", {"satisfaction": "unsatisfied", "comment": "问题依旧"}))
    after = check_requeued(stack, iid, tasks)
    assert after["category"] == "individual", "one reopen is not difficult yet: %r" % after
    added = new_history(before, after)
    assert any(h["actor"] == "officer:" + oid for h in added), added
    # and the department can take it again
    act_ok(stack, tasks["hr"], "claim")
    assert get_issue(stack, iid)["state"] == "claimed"


@pytest.mark.parametrize("stage", ["queued", "claimed", "responded", "returned"])
def test_confirm_before_resolved_409(stack, who, stage):
    oid = who["a"]
    iss = new_issue(stack, oid)
    tid = task_of(iss, "hr")
    drive(stack, tid, stage)
    rejected(stack, lambda: officer_post(stack, oid, iss["id"], "confirm", {"satisfaction": "satisfied"}),
             409, "conflict")
    rejected(stack, lambda: officer_post(stack, oid, iss["id"], "reopen", {"reason": "没解决"}), 409, "conflict")


def test_confirm_with_one_task_still_open_409(stack, who):
    """planning → land + build: resolved by land only, the issue is not resolved."""
    oid = who["a"]
    iss = new_issue(stack, oid, topic="planning")
    drive(stack, task_of(iss, "land"), "resolved", dept="land")
    assert get_issue(stack, iss["id"])["state"] == "queued"
    rejected(stack, lambda: officer_post(stack, oid, iss["id"], "confirm", {"satisfaction": "basic"}),
             409, "conflict")


CONFIRM_BAD = {
    "unknown-satisfaction": ({"satisfaction": "great"}, 422, "invalid", "satisfaction"),
    "chinese-satisfaction": ({"satisfaction": "满意"}, 422, "invalid", "satisfaction"),
    "missing-satisfaction": ({"comment": "x"}, 422, "invalid", "satisfaction"),
    "empty-satisfaction": ({"satisfaction": ""}, 422, "invalid", "satisfaction"),
    "number-satisfaction": ({"satisfaction": 1}, 400, "bad_request", "satisfaction"),
    "number-comment": ({"satisfaction": "satisfied", "comment": 5}, 400, "bad_request", "comment"),
    "unknown-field": ({"satisfaction": "satisfied", "score": 5}, 400, "bad_request", "score"),
    "not-json": (b'{"satisfaction":', 400, "bad_request", None),
}


@pytest.mark.parametrize("name", list(CONFIRM_BAD))
def test_confirm_bad_body(stack, who, name):
    oid = who["a"]
    iid, _ = resolved_issue(stack, oid)
    body, status, code, field = CONFIRM_BAD[name]
    rejected(stack, lambda: officer_post(stack, oid, iid, "confirm", body), status, code, field)
    assert get_issue(stack, iid)["state"] == "resolved"


@pytest.mark.parametrize("action,body", [("confirm", {"satisfaction": "satisfied"}), ("reopen", {"reason": "没解决"})])
def test_confirm_and_reopen_only_by_its_officer(stack, who, action, body):
    iid, _ = resolved_issue(stack, who["a"])
    for tok in (stack.token("officer", who["b"]), dept_token(stack, "hr"), admin(stack)):
        rejected(stack, lambda: issue_act(stack, iid, action, body, tok), 403, "forbidden")
    rejected(stack, lambda: stack.d.post("/api/v1/issues/%s/%s" % (iid, action), body), 401, "unauthorized")
    rejected(stack, lambda: officer_post(stack, who["a"], "I999999999", action, body), 404, "not_found")
    assert get_issue(stack, iid)["state"] == "resolved"


# ---------------------------------------------------------------------------
# reopen


def test_reopen_puts_tasks_back_in_the_queue(stack, who):
    oid = who["a"]
    iid, tasks = resolved_issue(stack, oid, topic="planning")
    assert set(tasks) == {"land", "build"}
    before = get_issue(stack, iid)
    reason = "企业反映问题未解决，" + lib.safe_text(8)
    ok(officer_post(stack, oid, iid, "reopen", {"reason": reason}))
    after = check_requeued(stack, iid, tasks)
    added = new_history(before, after)
    assert any(h["actor"] == "officer:" + oid and reason in h["reason"] for h in added), added
    assert in_list(stack, "?state=queued", iid) and not in_list(stack, "?state=resolved", iid)


@pytest.mark.parametrize("body,status,code,field", [
    ({}, 422, "invalid", "reason"),
    ({"reason": ""}, 422, "invalid", "reason"),
    ({"reason": "因" * 501}, 422, "invalid", "reason"),
    ({"reason": 3}, 400, "bad_request", "reason"),
    ({"reason": "x", "state": "queued"}, 400, "bad_request", "state"),
], ids=["missing", "empty", "too-long", "number", "unknown-field"])
def test_reopen_bad_body(stack, who, body, status, code, field):
    oid = who["a"]
    iid, _ = resolved_issue(stack, oid)
    rejected(stack, lambda: officer_post(stack, oid, iid, "reopen", body), status, code, field)
    assert get_issue(stack, iid)["state"] == "resolved"


def test_second_reopen_makes_the_issue_difficult(stack, who):
    oid = who["a"]
    iid, tasks = resolved_issue(stack, oid)
    ok(officer_post(stack, oid, iid, "reopen", {"reason": "第一次重办"}))
    assert get_issue(stack, iid)["category"] == "individual"
    drive(stack, tasks["hr"], "resolved", dept="hr")
    before = get_issue(stack, iid)
    ok(officer_post(stack, oid, iid, "reopen", {"reason": "第二次重办"}))
    after = check_requeued(stack, iid, tasks)
    assert after["category"] == "difficult", after
    added = new_history(before, after)
    cls = [h for h in added if h["event"] == "classified"]
    assert cls and cls[-1]["reason"] and "difficult" in cls[-1]["reason"], added
    assert in_list(stack, "?category=difficult", iid) and not in_list(stack, "?category=individual", iid)


def test_unsatisfied_counts_as_a_reopen(stack, who):
    oid = who["a"]
    iid, tasks = resolved_issue(stack, oid)
    ok(officer_post(stack, oid, iid, "confirm", {"satisfaction": "unsatisfied", "comment": "招聘仍未落实"}))
    drive(stack, tasks["hr"], "resolved", dept="hr")
    ok(officer_post(stack, oid, iid, "reopen", {"reason": "还是不行"}))
    assert get_issue(stack, iid)["category"] == "difficult"


# ---------------------------------------------------------------------------
# classify (admin override)


def test_admin_classify_override_is_never_undone(stack, who):
    oid = who["a"]
    iid, tasks = resolved_issue(stack, oid)
    before = get_issue(stack, iid)
    reason = "经研判属共性问题，" + lib.safe_text(6)
    ok(issue_act(stack, iid, "classify", {"category": "common", "reason": reason}, admin(stack)))
    after = get_issue(stack, iid)
    assert after["category"] == "common", after
    added = new_history(before, after)
    assert any(h["event"] == "classified" and h["actor"] == "admin:ops" and reason in h["reason"]
               for h in added), added
    assert in_list(stack, "?category=common", iid) and not in_list(stack, "?category=individual", iid)
    # two reopens would make it difficult by rule; the override wins
    ok(officer_post(stack, oid, iid, "reopen", {"reason": "一"}))
    drive(stack, tasks["hr"], "resolved", dept="hr")
    ok(officer_post(stack, oid, iid, "reopen", {"reason": "二"}))
    final = get_issue(stack, iid)
    assert final["category"] == "common", final
    assert final["state"] == "queued"


def test_admin_classify_back_to_individual_sticks(stack, who):
    """A planning issue is difficult by rule (2 departments); the admin makes it
    individual, and a later route to 2+ departments does not change that."""
    iss = new_issue(stack, who["a"], topic="planning")
    iid = iss["id"]
    assert iss["category"] == "difficult"
    ok(issue_act(stack, iid, "classify", {"category": "individual", "reason": "单一企业问题"}, admin(stack)))
    assert get_issue(stack, iid)["category"] == "individual"
    ok(issue_act(stack, iid, "route", {"departments": ["land", "build", "env"], "reason": "需环保参与"},
                  admin(stack)))
    cur = get_issue(stack, iid)
    assert sorted(cur["departments"]) == ["build", "env", "land"], cur
    assert cur["category"] == "individual", cur


CLASSIFY_BAD = {
    "unknown-category": ({"category": "urgent", "reason": "x"}, 422, "invalid", "category"),
    "missing-category": ({"reason": "x"}, 422, "invalid", "category"),
    "number-category": ({"category": 2, "reason": "x"}, 400, "bad_request", "category"),
    "unknown-field": ({"category": "common", "reason": "x", "group": "G1"}, 400, "bad_request", "group"),
    "not-json": (b'{"category"', 400, "bad_request", None),
}


@pytest.mark.parametrize("name", list(CLASSIFY_BAD))
def test_classify_bad_body(stack, who, name):
    iss = new_issue(stack, who["a"])
    body, status, code, field = CLASSIFY_BAD[name]
    rejected(stack, lambda: issue_act(stack, iss["id"], "classify", body, admin(stack)), status, code, field)


def test_classify_and_route_are_admin_only(stack, who):
    iss = new_issue(stack, who["a"])
    iid = iss["id"]
    for tok in (stack.token("officer", who["a"]), dept_token(stack, "hr")):
        rejected(stack, lambda: issue_act(stack, iid, "classify", {"category": "common", "reason": "x"}, tok),
                 403, "forbidden")
        rejected(stack, lambda: issue_act(stack, iid, "route", {"departments": ["land"], "reason": "x"}, tok),
                 403, "forbidden")
    rejected(stack, lambda: issue_act(stack, "I999999999", "classify", {"category": "common", "reason": "x"},
                                       admin(stack)), 404, "not_found")
    rejected(stack, lambda: issue_act(stack, "I999999999", "route", {"departments": ["land"], "reason": "x"},
                                       admin(stack)), 404, "not_found")


# ---------------------------------------------------------------------------
# route (triage after a return)


def test_route_after_a_return(stack, who):
    oid = who["b"]
    iss = new_issue(stack, oid)
    iid, hr_task = iss["id"], task_of(iss, "hr")
    act_ok(stack, hr_task, "return", text="属于用地问题，请转自然资源分局")
    assert get_issue(stack, iid)["state"] == "returned"
    assert in_list(stack, "?state=returned", iid)
    before = get_issue(stack, iid)
    reason = "改派自然资源和规划分局，" + lib.safe_text(5)
    ok(issue_act(stack, iid, "route", {"departments": ["land"], "reason": reason}, admin(stack)))
    after = get_issue(stack, iid)
    assert not in_list(stack, "?state=returned", iid), "still in triage after route"
    assert after["departments"] == ["land"], after
    assert after["state"] == "queued", after
    assert after["category"] == "individual", after
    land_tasks = [t for t in after["tasks"] if t["department"] == "land"]
    assert len(land_tasks) == 1 and land_tasks[0]["state"] == "queued", after
    land_task = land_tasks[0]["id"]
    assert land_task != hr_task
    assert land_task in queue_ids(stack, "land", token=dept_token(stack, "land"))
    assert hr_task not in queue_ids(stack, "hr", token=dept_token(stack, "hr"))
    assert all(t["id"] != hr_task or t["state"] != "queued" for t in after["tasks"]), after
    added = new_history(before, after)
    assert any(h["actor"] == "admin:ops" and reason in h["reason"] for h in added), added
    # the issue is land's now: in land's list and detail, out of hr's list
    land_tok = dept_token(stack, "land")
    assert stack.d.get("/api/v1/issues/" + iid, token=land_tok).status == 200
    assert iid in [r["id"] for r in stack.d.get("/api/v1/issues", token=land_tok).json()["issues"]]
    assert in_list(stack, "?department=land", iid) and not in_list(stack, "?department=hr", iid)
    # the new department works it to the end
    t = get_task(stack, land_task, token=dept_token(stack, "land"))
    assert t["issues"] == [iid], t
    drive(stack, land_task, "resolved", dept="land")
    assert get_issue(stack, iid)["state"] == "resolved"


def test_route_keeps_tasks_requeues_returned_adds_new(stack, who):
    oid = who["b"]
    iss = new_issue(stack, oid, topic="planning")
    iid = iss["id"]
    land, build = task_of(iss, "land"), task_of(iss, "build")
    act_ok(stack, build, "claim", dept="build", text="孙八")
    act_ok(stack, land, "return", dept="land")
    assert get_issue(stack, iid)["state"] == "returned"
    ok(issue_act(stack, iid, "route", {"departments": ["land", "build", "env"], "reason": "增加生态环境分局"},
                  admin(stack)))
    cur = get_issue(stack, iid)
    assert sorted(cur["departments"]) == ["build", "env", "land"], cur
    assert cur["category"] == "difficult" and cur["state"] == "queued", cur
    assert not in_list(stack, "?state=returned", iid)
    by = {}
    for t in cur["tasks"]:
        if t["department"] in ("land", "build", "env") and t["state"] != "returned":
            by.setdefault(t["department"], []).append(t)
    assert sorted(by) == ["build", "env", "land"] and all(len(v) == 1 for v in by.values()), cur
    # build's task is kept as it was
    assert by["build"][0]["id"] == build and by["build"][0]["state"] == "claimed", cur
    assert by["build"][0]["claimant"] == "孙八", cur
    # land's returned task is queued again; env has a new queued task
    assert by["land"][0]["state"] == "queued" and by["land"][0]["id"] in queue_ids(stack, "land")
    assert by["env"][0]["state"] == "queued" and by["env"][0]["id"] in queue_ids(stack, "env")
    assert build not in queue_ids(stack, "build")


def test_route_drops_a_department(stack, who):
    """land + build → build only: land's queued task leaves land's queue."""
    iss = new_issue(stack, who["b"], topic="planning")
    iid = iss["id"]
    land, build = task_of(iss, "land"), task_of(iss, "build")
    assert land in queue_ids(stack, "land")
    ok(issue_act(stack, iid, "route", {"departments": ["build"], "reason": "仅涉及建设"}, admin(stack)))
    cur = get_issue(stack, iid)
    assert cur["departments"] == ["build"] and cur["state"] == "queued", cur
    assert land not in queue_ids(stack, "land")
    assert build in queue_ids(stack, "build")


ROUTE_BAD = {
    "unknown-department": ({"departments": ["nosuch"], "reason": "x"}, 422, "invalid", "departments"),
    "empty-departments": ({"departments": [], "reason": "x"}, 422, "invalid", "departments"),
    "missing-departments": ({"reason": "x"}, 422, "invalid", "departments"),
    "string-departments": ({"departments": "land", "reason": "x"}, 400, "bad_request", "departments"),
    "number-in-departments": ({"departments": [3], "reason": "x"}, 400, "bad_request", None),
    "unknown-field": ({"departments": ["land"], "reason": "x", "force": True}, 400, "bad_request", "force"),
}


@pytest.mark.parametrize("name", list(ROUTE_BAD))
def test_route_bad_body(stack, who, name):
    iss = new_issue(stack, who["b"])
    act_ok(stack, task_of(iss, "hr"), "return")
    body, status, code, field = ROUTE_BAD[name]
    rejected(stack, lambda: issue_act(stack, iss["id"], "route", body, admin(stack)), status, code, field)
    assert get_issue(stack, iss["id"])["state"] == "returned"


# ---------------------------------------------------------------------------
# 不满意 needs a reason (issue 19)


@pytest.mark.parametrize("comment", [None, ""])
def test_unsatisfied_requires_a_reason(stack, who, comment):
    oid = who["a"]
    iid, _ = resolved_issue(stack, oid)
    body = {"satisfaction": "unsatisfied"}
    if comment is not None:
        body["comment"] = comment
    rejected(stack, lambda: officer_post(stack, oid, iid, "confirm", body), 422, "invalid", "comment")
    assert get_issue(stack, iid)["state"] == "resolved"


# ---------------------------------------------------------------------------
# the triage list (issue 19): returned issues with their return reasons


def test_triage_lists_returned_issues_with_their_reasons(stack, who):
    oid = who["b"]
    iss = new_issue(stack, oid, topic="planning")
    iid, land = iss["id"], task_of(iss, "land")
    why = "不属于本局职责：" + lib.safe_text(6)
    act_ok(stack, land, "return", dept="land", text=why)
    resp = stack.d.get("/api/v1/triage?limit=500", token=admin(stack))
    assert resp.status == 200, resp
    row = next(i for i in resp.json()["issues"] if i["id"] == iid)
    assert row["state"] == "returned", row
    assert len(row["returns"]) == 1, row
    ret = row["returns"][0]
    assert (ret["task"], ret["department"], ret["reason"]) == (land, "land", why), ret
    assert ret["returned_at"], ret
    # once re-routed it leaves the list; the return stays in the issue's record
    ok(issue_act(stack, iid, "route", {"departments": ["build"], "reason": "仅涉及建设"}, admin(stack)))
    ids = [i["id"] for i in stack.d.get("/api/v1/triage?limit=500", token=admin(stack)).json()["issues"]]
    assert iid not in ids
    kept = [t for t in get_issue(stack, iid)["tasks"] if t["id"] == land]
    assert kept and kept[0]["return_reason"] == why


def test_triage_is_for_admins(stack):
    for tok in (dept_token(stack, "hr"), stack.token("officer", "O001")):
        lib.assert_error(stack.d.get("/api/v1/triage", token=tok), 403, "forbidden")
    lib.assert_error(stack.d.get("/api/v1/triage?state=x", token=admin(stack)), 400, "bad_request", "state")
