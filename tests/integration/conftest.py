"""pytest harness for the liaisond integration tests.

Fixtures:
  stack        the session's private redis-server + liaisond (shared by most tests);
               after each test liaisond must still be running with a clean stderr
  fresh_stack  factory: stack(rate=…, max_body=…, start=…, kind=lib.Stack) for
               tests that kill, stop or reload things; torn down (and checked)
               at the end of the test
  officers     hands out officers no other test has used (fresh report state)
  who          module scope: two such officers, {"a": id, "b": id}, for the
               module's own issues
  led          module scope: the ledger scenario of test_ledger.py on a stack
               of its own (test_ledger.py and test_ledger_files.py)
  admin_token, tokens(role, id)
Teardown fails the test when liaisond does not exit 0 on SIGTERM or printed a
sanitizer report. Helpers are in lib.py and flow.py, never in test files.
"""

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import flow  # noqa: E402
import lib  # noqa: E402


def _require_binaries():
    missing = [p for p in (lib.LIAISOND, lib.LIAISONCTL) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail("not built: %s (set LIAISOND / LIAISONCTL or build the repo first)" % ", ".join(missing),
                    pytrace=False)


@pytest.fixture(scope="session")
def _session_stack(tmp_path_factory):
    _require_binaries()
    with lib.Stack(str(tmp_path_factory.mktemp("stack"))) as st:
        yield st


@pytest.fixture
def stack(_session_stack):
    with _session_stack.guard() as st:
        yield st


@pytest.fixture
def fresh_stack(tmp_path):
    _require_binaries()
    made = []

    def make(kind=lib.Stack, **kw):
        """kind: lib.Stack or a subclass taking the workdir first."""
        st = kind(str(tmp_path / ("s%d" % len(made))), **kw)
        made.append(st)
        return st

    yield make
    problems = [p for p in (st.close() for st in made) if p]
    if problems:
        raise problems[0]


@pytest.fixture(scope="session")
def _officer_pool():
    roster = lib.load_roster()
    return [o["id"] for o in roster["officers"] if o["id"] != lib.FAIL_OFFICER]


@pytest.fixture
def officers(_officer_pool):
    """officers() -> an officer id never used by another test in this session."""

    def take():
        if not _officer_pool:
            pytest.fail("officer pool exhausted: too many tests need a fresh officer")
        return _officer_pool.pop(0)

    return take


@pytest.fixture(scope="module")
def who(_session_stack, _officer_pool):
    """Two officers of the module's own (issues are made per test)."""
    return {"a": _officer_pool.pop(0), "b": _officer_pool.pop(0)}


@pytest.fixture(scope="module")
def led(tmp_path_factory):
    """The ledger scenario described at the top of test_ledger.py: seven issues
    of officer O002 on a stack of its own with second-scale deadlines, read
    once every deadline of A-F has passed. {"st", "issues", "tasks", "g"}."""
    with lib.Stack(str(tmp_path_factory.mktemp("ledger")), conf=flow.second_deadlines()) as st:
        oid = "O002"
        ents = st.officer(oid)["enterprises"]
        officer = st.token("officer", oid)
        st.token("department", "hr")
        t0 = time.monotonic()
        names = "ABCDEF"
        doc = flow.report(st, oid, len(names))
        issues = {n: doc["issues"][i]["id"] for i, n in enumerate(names)}
        tasks = {n: doc["issues"][i]["tasks"][0]["id"] for i, n in enumerate(names)}
        for n in "AB":
            flow.drive(st, tasks[n], "resolved")
        flow.act_ok(st, tasks["C"], "claim")
        flow.act_ok(st, tasks["E"], "return")
        for n, how in (("A", "satisfied"), ("B", "basic")):
            resp = flow.issue_act(st, issues[n], "confirm", {"satisfaction": how, "comment": "好"}, officer)
            assert resp.status == 200, resp
        time.sleep(max(0.0, t0 + 4.5 - time.monotonic()))
        flow.act_ok(st, tasks["F"], "claim")
        flow.act_ok(st, tasks["F"], "respond")
        time.sleep(max(0.0, t0 + flow.RESOLVE_S + 1.0 - time.monotonic()))
        g = flow.submit(st, oid, [lib.item(ents[0], topic="planning")])["issues"][0]
        issues["G"] = g["id"]
        yield {"st": st, "issues": issues, "tasks": tasks, "g": g}


@pytest.fixture
def admin_token(stack):
    return stack.token("admin", "ops")


@pytest.fixture
def tokens(stack):
    return stack.token
