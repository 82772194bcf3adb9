"""Common issues (共性问题, issue 3).

The sample: all 27 items of tests/data/reports.json, each submitted as its own
report by the item's officer (roster officers linked to those enterprises),
in file order, in the current period, on a stack of their own; then every
`expect` is checked (category, departments, and one group / one task per
department for each `cluster`).

Then two small cases on fresh stacks: two enterprises are not common, and a
repeated enterprise does not count as a new one.
"""

from collections import defaultdict

import pytest

import flow
import lib
from flow import admin, get_issue, get_task, one_item, outbox, queue_ids, sample_items, submit


def task_map(issue):
    """{department: task id} of an issue object."""
    m = defaultdict(list)
    for t in issue["tasks"]:
        m[t["department"]].append(t["id"])
    assert all(len(v) == 1 for v in m.values()), "more than one task per department: %r" % issue
    return {d: v[0] for d, v in m.items()}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    with lib.Stack(str(tmp_path_factory.mktemp("common"))) as st:
        items = sample_items()
        assert len(items) == 27
        for it in items:
            assert it["enterprise"] in st.officer(it["officer"])["enterprises"], it
        answers = []
        for it in items:
            doc = submit(st, it["officer"], [one_item(it)])
            answers.append(doc["issues"][0])
        issues = [get_issue(st, a["id"]) for a in answers]
        yield {"st": st, "items": items, "answers": answers, "issues": issues}


@pytest.fixture
def s(sample):
    with sample["st"].guard():
        yield sample


def clusters(s):
    """{cluster letter: [indexes]} in submission order."""
    out = defaultdict(list)
    for i, it in enumerate(s["items"]):
        if it["expect"].get("cluster"):
            out[it["expect"]["cluster"]].append(i)
    return dict(out)


def test_sample_categories_and_departments(s):
    bad = []
    for i, (it, iss) in enumerate(zip(s["items"], s["issues"])):
        exp = it["expect"]
        if iss["category"] != exp["category"] or sorted(iss["departments"]) != sorted(exp["departments"]):
            bad.append("#%d %s %s: got %s %s, expected %s %s" % (
                i, iss["id"], it["title"], iss["category"], iss["departments"], exp["category"],
                exp["departments"]))
        if sorted(task_map(iss)) != sorted(exp["departments"]):
            bad.append("#%d %s: tasks %r" % (i, iss["id"], iss["tasks"]))
    assert not bad, "\n".join(bad)


def test_sample_cluster_members_share_one_group(s):
    cl = clusters(s)
    assert sorted(cl) == ["A", "B", "C"]
    groups = {}
    for letter, idx in cl.items():
        gs = {s["issues"][i]["group"] for i in idx}
        assert len(gs) == 1, "cluster %s has groups %r" % (letter, gs)
        g = gs.pop()
        assert isinstance(g, str) and g.startswith("G"), (letter, g)
        groups[letter] = g
    assert len(set(groups.values())) == len(groups), "clusters share a group: %r" % groups
    for i, it in enumerate(s["items"]):
        if not it["expect"].get("cluster"):
            assert s["issues"][i]["group"] is None, s["issues"][i]


def test_sample_cluster_members_share_one_task_per_department(s):
    cl = clusters(s)
    owner = {}          # task id -> cluster letter or issue id
    for letter, idx in cl.items():
        maps = [task_map(s["issues"][i]) for i in idx]
        assert all(m == maps[0] for m in maps), "cluster %s: %r" % (letter, maps)
        for tid in maps[0].values():
            assert owner.setdefault(tid, letter) == letter, "task %s shared by clusters" % tid
    for i, it in enumerate(s["items"]):
        if not it["expect"].get("cluster"):
            for tid in task_map(s["issues"][i]).values():
                assert tid not in owner, "task %s of %s is shared" % (tid, s["issues"][i]["id"])
                owner[tid] = s["issues"][i]["id"]


def test_sample_group_task_lists_every_member(s):
    st = s["st"]
    for letter, idx in clusters(s).items():
        members = {s["issues"][i]["id"] for i in idx}
        ents = {s["items"][i]["enterprise"] for i in idx}
        for dept, tid in task_map(s["issues"][idx[0]]).items():
            t = get_task(st, tid)
            assert set(t["issues"]) == members and len(t["issues"]) == len(members), (letter, t)
            assert {d["id"] for d in t["details"]} == members, (letter, t)
            assert {d["enterprise"] for d in t["details"]} == ents, (letter, t)
            assert all(d["category"] == "common" for d in t["details"]), (letter, t)
            # the department's queue holds the shared task once, none of the members' old tasks
            q = queue_ids(st, dept)
            assert q.count(tid) == 1, (letter, tid, q)
            old = {x["id"] for i in idx for x in s["answers"][i]["tasks"]} - {tid}
            assert not old & set(q), "superseded tasks still queued: %r" % (old & set(q))


def test_sample_earlier_members_became_common(s):
    """The first two members were individual when filed; they became common
    later, and their history says so."""
    for letter, idx in clusters(s).items():
        for i in idx[:2]:
            assert s["answers"][i]["category"] == "individual", (letter, s["answers"][i])
            iss = s["issues"][i]
            assert iss["category"] == "common"
            cls = [h for h in iss["history"] if h["event"] == "classified"]
            assert len(cls) >= 2 and "common" in cls[-1]["reason"], iss["history"]


def test_sample_group_growth_sends_task_updated(s):
    """Cluster A gets a 4th member after the group formed: its task grows."""
    st = s["st"]
    idx = clusters(s)["A"]
    assert len(idx) >= 4
    tid = task_map(s["issues"][idx[0]])["hr"]
    ups = outbox(st, "task.updated", tid)
    assert ups, "no task.updated for %s in the outbox" % tid
    for e in ups:
        assert e["department"] == "hr" and e.get("at"), e


def test_sample_list_by_category(s):
    st = s["st"]
    resp = st.d.get("/api/v1/issues?category=common", token=admin(st))
    assert resp.status == 200, resp
    got = {r["id"] for r in resp.json()["issues"]}
    want = {iss["id"] for it, iss in zip(s["items"], s["issues"]) if it["expect"]["category"] == "common"}
    assert got == want


# ---------------------------------------------------------------------------
# small cases, each on a fresh stack

# four paraphrases of one problem (cluster A of the sample)
SAME = [(it["title"], it["detail"]) for it in sample_items(cluster="A")]


def file(st, oid, ent, k):
    title, detail = SAME[k % len(SAME)]
    return submit(st, oid, [{"enterprise": ent, "topic": "hiring", "title": title, "detail": detail}])["issues"][0]


def test_two_enterprises_are_not_common(fresh_stack):
    st = fresh_stack()
    (o1, e1), (o2, e2) = flow.distinct_enterprises(st, 2)
    a = file(st, o1, e1, 0)
    b = file(st, o2, e2, 1)
    ia, ib = get_issue(st, a["id"]), get_issue(st, b["id"])
    for iss in (ia, ib):
        assert iss["category"] == "individual" and iss["group"] is None, iss
    assert task_map(ia)["hr"] != task_map(ib)["hr"]


def test_repeated_enterprise_does_not_count_as_new(fresh_stack):
    st = fresh_stack()
    (o1, e1), (o2, e2), (o3, e3), (o4, e4) = flow.distinct_enterprises(st, 4)
    # e1 twice: two distinct enterprises, three issues
    first = [file(st, o1, e1, 0), file(st, o2, e2, 1), file(st, o1, e1, 2)]
    for a in first:
        iss = get_issue(st, a["id"])
        assert iss["category"] == "individual" and iss["group"] is None, \
            "2 distinct enterprises (one twice) made it common: %r" % iss
    # a third distinct enterprise: all four are one group with one task
    fourth = file(st, o3, e3, 3)
    members = [a["id"] for a in first] + [fourth["id"]]
    issues = [get_issue(st, i) for i in members]
    assert all(i["category"] == "common" for i in issues), [(i["id"], i["category"]) for i in issues]
    groups = {i["group"] for i in issues}
    assert len(groups) == 1 and None not in groups, groups
    tids = {task_map(i)["hr"] for i in issues}
    assert len(tids) == 1, tids
    tid = tids.pop()
    assert sorted(get_task(st, tid)["issues"]) == sorted(members)
    # a later similar issue joins: the task grows and the department is told
    n_updates = len(outbox(st, "task.updated", tid))
    fifth = file(st, o4, e4, 0)
    iss5 = get_issue(st, fifth["id"])
    assert iss5["category"] == "common" and iss5["group"] in groups and task_map(iss5)["hr"] == tid, iss5
    t = get_task(st, tid)
    assert sorted(t["issues"]) == sorted(members + [fifth["id"]]), t
    assert len(outbox(st, "task.updated", tid)) == n_updates + 1
    assert queue_ids(st, "hr") == [tid], "only the group's task waits in hr's queue"


def test_group_task_moves_every_member(fresh_stack):
    """The department works the group's one task: every member's state follows
    it (an issue's state is the least advanced of its tasks); one member's
    officer closes theirs; another's reopen re-queues the shared task, and the
    members still open follow it back to queued."""
    st = fresh_stack()
    pairs = flow.distinct_enterprises(st, 3)
    members = [file(st, o, e, k)["id"] for k, (o, e) in enumerate(pairs)]
    issues = [get_issue(st, i) for i in members]
    assert all(i["category"] == "common" for i in issues), [(i["id"], i["category"]) for i in issues]
    (tid,) = {task_map(i)["hr"] for i in issues}
    hr = st.token("department", "hr")
    resp = st.d.post("/api/v1/departments/hr/claim", {"claimant": "周九"}, token=hr)
    assert resp.status == 200 and resp.json()["id"] == tid, resp
    assert resp.json()["issues"] == members or sorted(resp.json()["issues"]) == sorted(members), resp
    for step, state, text in (("respond", "responded", "已对接劳务输出地"), ("resolve", "resolved", "已组织专场招聘会")):
        key = {"respond": "response", "resolve": "resolution"}[step]
        r = st.d.post("/api/v1/tasks/%s/%s" % (tid, step), {key: text}, token=hr)
        assert r.status == 200 and r.json()["state"] == state, r
        for m in members:
            iss = get_issue(st, m)
            assert iss["state"] == state, iss
            assert any(h["actor"] == "department:hr" and text in h["reason"] for h in iss["history"]), iss["history"]
    # the first member's officer is satisfied; the second's is not
    r = st.d.post("/api/v1/issues/%s/confirm" % members[0], {"satisfaction": "satisfied"},
                  token=st.token("officer", pairs[0][0]))
    assert r.status == 200, r
    r = st.d.post("/api/v1/issues/%s/reopen" % members[1], {"reason": "企业仍缺工"},
                  token=st.token("officer", pairs[1][0]))
    assert r.status == 200, r
    t = get_task(st, tid)
    assert t["state"] == "queued" and t["claimant"] is None, t
    assert tid in queue_ids(st, "hr")
    got = {m: get_issue(st, m)["state"] for m in members}
    assert got == {members[0]: "closed", members[1]: "queued", members[2]: "queued"}, got
