"""The window of recent issues behind common-issue detection lives in the
daemon's memory, but Redis holds the truth: a restarted daemon, and a second
daemon sharing the Redis, see the issues stored before or elsewhere.

Cluster B of tests/data/reports.json (用电增容, three enterprises) is the
problem used: two of its items are filed, then the third must make all
three one common group.
"""

import os
import time

import lib
from flow import drive, issue_act, one_item, sample_items, submit

WINDOW_SYNC_S = 1.0     # window.c reads new issue ids every second


def file(daemon, st, it):
    """Sample item it, reported by its officer through daemon; its issue."""
    return submit(st, it["officer"], [one_item(it)], via=daemon)["issues"][0]


def assert_one_group(st, ids):
    admin = st.token("admin", "ops")
    issues = [st.d.get("/api/v1/issues/%s" % i, token=admin).json() for i in ids]
    groups = {iss["group"] for iss in issues}
    assert len(groups) == 1 and None not in groups, issues
    assert all(iss["category"] == "common" for iss in issues), issues
    tasks = {tuple(t["id"] for t in iss["tasks"]) for iss in issues}
    assert len(tasks) == 1, "members do not share one task: %r" % tasks


def test_restarted_daemon_rebuilds_the_window_from_redis(fresh_stack):
    st = fresh_stack()
    b = sample_items(cluster="B")
    assert len(b) == 3
    first = [file(st.d, st, it) for it in b[:2]]
    assert all(i["category"] == "individual" for i in first), first
    rc, err = st.d.terminate()
    assert rc == 0, err[-2000:]
    st.d.checked = False
    st.d.start()
    third = file(st.d, st, b[2])
    assert third["category"] == "common", third
    assert_one_group(st, [i["id"] for i in first] + [third["id"]])


def test_second_daemon_sees_issues_stored_by_the_first(fresh_stack):
    st = fresh_stack()
    other = lib.Daemon(os.path.join(st.workdir, "second"), st.redis.port, sink_port=st.sink.port)
    other.start()
    try:
        b = sample_items(cluster="B")
        ids = [file(st.d, st, b[0])["id"], file(other, st, b[1])["id"]]
        # each daemon learns of the other's issue at its next window read
        time.sleep(2.5 * WINDOW_SYNC_S)
        third = file(st.d, st, b[2])
        assert third["category"] == "common", third
        assert_one_group(st, ids + [third["id"]])
    finally:
        other.stop_and_check()


def window_issues(daemon):
    return lib.metric(daemon.metrics(), "liaisond_window_issues")


def resolved(st, it):
    """Sample item it filed and every task of its issue resolved; the issue."""
    iss = file(st.d, st, it)
    for t in iss["tasks"]:
        drive(st, t["id"], "resolved", dept=t["department"])
    return iss


def test_a_closed_issue_leaves_the_window(fresh_stack):
    """SPEC §14: a confirmed (closed) issue leaves the window at once; one
    sent back as 不满意 stays; a restarted daemon does not load closed ones."""
    st = fresh_stack()
    b = sample_items(cluster="B")
    assert window_issues(st.d) == 0
    closing, kept = resolved(st, b[0]), resolved(st, b[1])
    assert window_issues(st.d) == 2
    rc = issue_act(st, closing["id"], "confirm", {"satisfaction": "satisfied"},
                   st.token("officer", b[0]["officer"]))
    assert rc.status == 200, rc
    assert window_issues(st.d) == 1
    rc = issue_act(st, kept["id"], "confirm", {"satisfaction": "unsatisfied", "comment": "仍未增容"},
                   st.token("officer", b[1]["officer"]))
    assert rc.status == 200, rc
    assert window_issues(st.d) == 1
    rc, err = st.d.terminate()
    assert rc == 0, err[-2000:]
    st.d.checked = False
    st.d.start()
    assert window_issues(st.d) == 1
    # the open one is still found: with the third, B is two enterprises
    # (the closed one no longer counts), below the common rule's three
    third = file(st.d, st, b[2])
    assert third["category"] == "individual", third


# Open issues written straight into Redis (the fields the window reads),
# one text for all, from ARGV[2] on, ARGV[3] of them a call, each created
# a millisecond after the one before (ARGV[4] + i; with ARGV[6] = 0, all
# in the millisecond ARGV[4], as a group commit stores them): the load of
# SEEDED takes the daemon seconds.
SEED_LUA = """
local P, first, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now, period = tonumber(ARGV[4]), ARGV[5]
local step = tonumber(ARGV[6] or 1)
for i = first, first + n - 1 do
  local id = 'S' .. i
  redis.call('HSET', P .. 'issue:' .. id, 'id', id, 'topic', 'utilities',
    'enterprise', 'E' .. i, 'period', period, 'group', '', 'state', 'queued',
    'title', '园区道路路灯损坏', 'detail', '夜间通行困难，希望尽快维修',
    'created', now + i * step)
  redis.call('ZADD', P .. 'issues', now + i * step, id)
end
return n
"""
SEEDED = 100000


def test_a_report_waits_for_the_window_load(fresh_stack):
    """A daemon starting on a Redis with many open issues answers /healthz
    503 "starting" and a report 503 with Retry-After: 1, storing nothing,
    until its window has read them all; then 200 and 201 (docs/API.md)."""
    st = fresh_stack()
    rc, err = st.d.terminate()
    assert rc == 0, err[-2000:]
    st.d.checked = False
    start = int(time.time() * 1000) - SEEDED - 60000
    for first in range(1, SEEDED, 10000):
        st.r.eval(SEED_LUA, 0, lib.PREFIX, first, 10000, start, lib.current_period())
    it = sample_items(cluster="B")[0]
    token = st.token("officer", it["officer"])
    st.d.start(wait=False)

    def connected():
        """/healthz once the daemon listens and has reached Redis."""
        try:
            r = lib.request(st.d.port, "GET", "/healthz", timeout=2)
        except OSError:
            return None
        return None if b"unreachable" in r.body else r
    health = lib.wait_for(connected, 15, interval=0.01, what="liaisond on Redis")
    assert "starting" in lib.assert_error(health, 503, "unavailable")["message"]
    resp = st.d.post("/api/v1/reports", {"items": [one_item(it)]}, token=token)
    assert "starting" in lib.assert_error(resp, 503, "unavailable")["message"]
    assert resp.header("Retry-After") == "1", resp
    assert not lib.report_keys(st.r), "a report was stored while loading"
    st.d.wait_healthy(timeout=300)
    assert window_issues(st.d) == SEEDED
    submit(st, it["officer"], [one_item(it)])


def test_issues_of_one_millisecond_are_all_read_into_the_window(fresh_stack):
    """A group commit stores many issues with one creation time. The window
    reads 500 at a time by time: past a whole batch of one millisecond it
    goes on within that millisecond, at start and in its sync with another
    daemon's issues (it used to step past the millisecond, and the rest of
    its issues were never in the window)."""
    st = fresh_stack()
    rc, err = st.d.terminate()
    assert rc == 0, err[-2000:]
    st.d.checked = False
    at = int(time.time() * 1000) - 60000
    st.r.eval(SEED_LUA, 0, lib.PREFIX, 1, 1234, at, lib.current_period(), 0)
    st.d.start()
    assert window_issues(st.d) == 1234
    # another daemon's burst, read by the sync while this one runs
    st.r.eval(SEED_LUA, 0, lib.PREFIX, 5001, 1234, at + 1000, lib.current_period(), 0)
    lib.wait_for(lambda: window_issues(st.d) == 2468, 10, what="the second burst in the window")
