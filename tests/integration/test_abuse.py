"""The attacks liaisond holds (issue 12, SPEC §10): each test is named after
what a hostile user or a bad day tries, and shows it fail. Read the names as
the list. Attacks held by tests elsewhere are listed in HELD_ELSEWHERE at the
end, so this file stays the one index.

Each test builds its own stack when it changes config or roster; the module's
shared stack serves the rest.
"""

import json
import os
import signal
import socket
import threading
import time

import pytest

import lib
from flow import (act_ok, admin, dept_token, get_issue, get_task, queue_ids, rejected, sample_items,
                  submit, warm_tokens)

# four paraphrases of one hiring problem (the sample's cluster A)
SAME = [(it["title"], it["detail"]) for it in sample_items(cluster="A")]


def distinct_enterprises(st, n):
    """n (officer, enterprise) pairs with distinct enterprises and officers."""
    out, seen = [], set()
    for o in st.roster["officers"]:
        if o["enterprises"][0] not in seen:
            seen.add(o["enterprises"][0])
            out.append((o["id"], o["enterprises"][0]))
        if len(out) == n:
            return out
    raise AssertionError("roster too small")


def file_same(st, oid, ent, k):
    title, detail = SAME[k % len(SAME)]
    return submit(st, oid, [{"enterprise": ent, "topic": "hiring", "title": title,
                             "detail": detail}])["issues"][0]


# ---------------------------------------------------------------------------
# integrity: 件件有落实


def test_a_recurring_problem_is_never_folded_into_a_resolved_task(fresh_stack):
    """Three enterprises report the same hiring problem; hr claims, responds
    and resolves the group's one task; a fourth enterprise reports it again.
    Its issue must get a task of its own in hr's queue, not be born resolved
    with the old resolution."""
    st = fresh_stack()
    pairs = distinct_enterprises(st, 5)
    first = [file_same(st, o, e, k)["id"] for k, (o, e) in enumerate(pairs[:3])]
    issues = [get_issue(st, i) for i in first]
    assert all(i["category"] == "common" for i in issues), issues
    (old_group,) = {i["group"] for i in issues}
    (tid,) = {t["id"] for i in issues for t in i["tasks"]}
    for step in ("claim", "respond", "resolve"):
        act_ok(st, tid, step, text="已组织专场招聘会" if step == "resolve" else None)
    assert queue_ids(st, "hr") == []

    o4, e4 = pairs[3]
    fourth = file_same(st, o4, e4, 3)
    iss = get_issue(st, fourth["id"])
    assert iss["state"] == "queued", "born %s: %r" % (iss["state"], iss)
    assert iss["group"] != old_group, iss
    (new_tid,) = [t["id"] for t in iss["tasks"]]
    assert new_tid != tid, iss
    t = get_task(st, new_tid)
    assert t["state"] == "queued" and t["resolution"] is None and t["issues"] == [fourth["id"]], t
    assert queue_ids(st, "hr") == [new_tid], "the recurrence must wait in hr's queue"
    # the resolved task and its members are untouched
    old = get_task(st, tid)
    assert old["state"] == "resolved" and sorted(old["issues"]) == sorted(first), old
    # a fifth report of it joins neither the finished group nor is lost: it
    # shares the fourth's fresh task once enough enterprises raise it again
    o5, e5 = pairs[4]
    fifth = get_issue(st, file_same(st, o5, e5, 0)["id"])
    assert fifth["state"] == "queued" and tid not in [x["id"] for x in fifth["tasks"]], fifth
