"""The category rules are data: workflow.lua applies the rules its payload
carries (req.rules, written by src/rules.c) and states none itself.

These tests drive the workflow script the daemon runs (src/lua/prelude.lua
in front of src/lua/workflow.lua, as src/lua/embed.sh builds it) directly on
a private redis-server, with payloads whose thresholds, stages, category
order and reasons differ from rules.c's, and see the script follow the
payload each time. The first test checks, on the shared stack, that the
script under test is the one the daemon loaded.
"""

import hashlib
import json
import os
import time

import pytest

import lib

PRELUDE = os.path.join(lib.REPO, "src", "lua", "prelude.lua")
WORKFLOW = os.path.join(lib.REPO, "src", "lua", "workflow.lua")
STAGES = {"claim": "queued", "respond": "claimed", "resolve": "responded"}
HOUR_MS = 3600 * 1000


def script_text():
    with open(PRELUDE, encoding="utf-8") as p, open(WORKFLOW, encoding="utf-8") as w:
        return p.read() + w.read()


def rules(routed=2, reopened=2, common=3, stages=("claim", "respond", "resolve"),
          categories=("individual", "common", "difficult"), routed_reason="routed to %d departments",
          joinable=("queued", "claimed", "responded", "returned")):
    """A req.rules object of the shape rules_json writes, with our values."""
    return {
        "categories": list(categories),
        "individual": {"category": "individual", "at_least": 0, "reason": "one enterprise's own problem"},
        "flagged": {"category": "difficult", "at_least": 0, "reason": "flagged difficult by the officer"},
        "routed": {"category": "difficult", "at_least": routed, "reason": routed_reason},
        "reopened": {"category": "difficult", "at_least": reopened, "reason": "reopened %d times"},
        "overdue": {"category": "difficult", "at_least": 0, "stages": list(stages),
                    "reason": "%s deadline passed"},
        "common": {"category": "common", "at_least": common,
                   "reason": "the same problem raised for %d enterprises (group %s)",
                   "joinable": list(joinable)},
    }


class Workflow:
    """workflow.lua on a private redis-server, called as the daemon calls it."""

    def __init__(self, r):
        self.r = r
        self.sha = r.script_load(script_text())
        self.seq = 0

    def payload(self, rule_set, due_in_ms=HOUR_MS, **fields):
        now = int(time.time() * 1000)
        due = str(now + due_in_ms)
        p = {"now": str(now), "actor": "admin:ops", "stages": STAGES,
             "due": {"claim": due, "respond": due, "resolve": due}, "rules": rule_set}
        p.update(fields)
        return p

    def call(self, action, payload, *extra):
        out = self.r.evalsha(self.sha, 0, lib.PREFIX, action, json.dumps(payload), *extra)
        return [x.decode() if isinstance(x, bytes) else x for x in out]

    def submit(self, rule_set, departments=("hr",), enterprise="E1", flagged=False, common=None,
               due_in_ms=HOUR_MS):
        """One report of one item; returns the issue id."""
        self.seq += 1
        category, reason = ("difficult", "flagged difficult by the officer") if flagged else \
            ("individual", "one enterprise's own problem")
        it = {"enterprise": enterprise, "topic": "hiring", "title": "t%d" % self.seq, "detail": "d",
              "difficult": flagged, "category": category, "reason": reason,
              "departments": list(departments), "route_reason": "by topic hiring"}
        if common is not None:
            it["common"] = common
        p = self.payload(rule_set, due_in_ms=due_in_ms, officer="O9", period=lib.current_period(),
                         late=False, items=[it])
        out = self.call("submit", p, "hash%d" % self.seq, "", "60")
        assert out[0] == "created", out
        return json.loads(out[1])["issues"][0]["id"]

    def issue(self, iid):
        return {k.decode(): v.decode() for k, v in self.r.hgetall(lib.PREFIX + "issue:" + iid).items()}

    def category(self, iid):
        return self.issue(iid)["category"]

    def classified(self, iid):
        """The reasons of the issue's 'classified' history entries."""
        entries = [json.loads(e) for e in self.r.lrange(lib.PREFIX + "issue:%s:history" % iid, 0, -1)]
        return [e["reason"] for e in entries if e["event"] == "classified"]

    def history(self, iid, event):
        entries = [json.loads(e) for e in self.r.lrange(lib.PREFIX + "issue:%s:history" % iid, 0, -1)]
        return [e for e in entries if e["event"] == event]

    def route(self, rule_set, iid, departments):
        out = self.call("route", self.payload(rule_set, issue=iid, departments=list(departments),
                                              reason="re-routed"))
        assert out[0] == "ok", out

    def reopen(self, rule_set, iid):
        self.r.hset(lib.PREFIX + "issue:" + iid, "state", "resolved")
        out = self.call("reopen", self.payload(rule_set, issue=iid, reason="again"))
        assert out[0] == "ok", out

    def escalate(self, rule_set):
        p = {"now": str(int(time.time() * 1000)), "limit": 100, "stages": STAGES, "rules": rule_set}
        out = self.call("escalate", p)
        assert out[0] == "ok", out
        return int(out[1])


@pytest.fixture
def wf(tmp_path):
    server = lib.RedisServer(str(tmp_path)).start()
    try:
        yield Workflow(server.client())
    finally:
        server.stop()


def test_the_script_under_test_is_the_one_the_daemon_runs(stack):
    sha = hashlib.sha1(script_text().encode()).hexdigest()
    assert stack.r.script_exists(sha) == [True], "the daemon did not load prelude.lua + workflow.lua"


def test_route_threshold_comes_from_the_payload(wf):
    iid = wf.submit(rules())
    assert wf.category(iid) == "individual"
    wf.route(rules(routed=3), iid, ["hr", "tax"])
    assert wf.category(iid) == "individual"
    wf.route(rules(routed=3), iid, ["hr", "tax", "police"])
    assert wf.category(iid) == "difficult"
    assert wf.classified(iid)[-1] == "difficult: routed to 3 departments"

    one = wf.submit(rules())
    wf.route(rules(routed=1, routed_reason="跨部门：%d 个"), one, ["tax"])
    assert wf.category(one) == "difficult"
    assert wf.classified(one)[-1] == "difficult: 跨部门：1 个"


def test_reopen_threshold_comes_from_the_payload(wf):
    iid = wf.submit(rules())
    for _ in range(2):
        wf.reopen(rules(reopened=3), iid)
        assert wf.category(iid) == "individual"
    wf.reopen(rules(reopened=3), iid)
    assert wf.category(iid) == "difficult"
    assert wf.classified(iid)[-1] == "difficult: reopened 3 times"

    once = wf.submit(rules())
    wf.reopen(rules(reopened=1), once)
    assert wf.category(once) == "difficult"
    assert wf.classified(once)[-1] == "difficult: reopened 1 times"


def test_overdue_stages_come_from_the_payload(wf):
    late = wf.submit(rules(), due_in_ms=-1000)
    assert wf.escalate(rules(stages=("respond", "resolve"))) == 1
    assert wf.history(late, "escalated"), "the claim deadline passed: escalated all the same"
    assert wf.category(late) == "individual"

    later = wf.submit(rules(), due_in_ms=-1000)
    assert wf.escalate(rules(stages=("claim",))) == 1
    assert wf.category(later) == "difficult"
    assert wf.classified(later)[-1] == "difficult: claim deadline passed"


def test_common_minimum_comes_from_the_payload(wf):
    first = wf.submit(rules(), enterprise="E1")
    alone = wf.submit(rules(common=3), enterprise="E2", common={"members": [first]})
    assert wf.issue(alone)["group"] == ""
    assert wf.category(first) == "individual"
    assert wf.category(alone) == "individual"

    grouped = wf.submit(rules(common=2), enterprise="E3", common={"members": [first]})
    group = wf.issue(grouped)["group"]
    assert group != ""
    assert wf.issue(first)["group"] == group
    assert wf.category(first) == "common"
    assert wf.category(grouped) == "common"
    assert wf.classified(grouped)[-1] == \
        "common: the same problem raised for 2 enterprises (group %s)" % group


def test_joinable_task_states_come_from_the_payload(wf):
    """A group takes a new member only while its tasks are in the payload's
    joinable states (rules.c: a finished task takes none)."""
    first = wf.submit(rules(), enterprise="E1")
    second = wf.submit(rules(common=2), enterprise="E2", common={"members": [first]})
    group = wf.issue(second)["group"]
    assert group != ""
    (task,) = json.loads(wf.issue(first)["tasks"])
    wf.r.hset(lib.PREFIX + "task:" + task, "state", "claimed")
    # claimed is joinable by default: the third joins
    third = wf.submit(rules(common=2), enterprise="E3", common={"group": group})
    assert wf.issue(third)["group"] == group
    # a payload without claimed: the fourth starts afresh, with a task of its own
    fourth = wf.submit(rules(common=2, joinable=("queued",)), enterprise="E4", common={"group": group})
    assert wf.issue(fourth)["group"] == ""
    assert json.loads(wf.issue(fourth)["tasks"]) != [task]


def test_category_order_comes_from_the_payload(wf):
    # rules.c's order keeps a flagged issue difficult when it joins a group
    flagged = wf.submit(rules(), enterprise="E1", flagged=True)
    wf.submit(rules(common=2), enterprise="E2", common={"members": [flagged]})
    assert wf.category(flagged) == "difficult"

    # with common above difficult, the same step makes it common
    other = wf.submit(rules(), enterprise="E3", flagged=True)
    wf.submit(rules(common=2, categories=("individual", "difficult", "common")), enterprise="E4",
              common={"members": [other]})
    assert wf.category(other) == "common"
