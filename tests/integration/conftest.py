"""pytest harness for the liaisond integration tests.

Fixtures:
  stack        the session's private redis-server + liaisond (shared by most tests);
               after each test liaisond must still be running with a clean stderr
  fresh_stack  factory: stack(rate=…, max_body=…, start=…) for tests that kill,
               stop or reload things; torn down (and checked) at the end of the test
  officers     hands out officers no other test has used (fresh report state)
  admin_token, tokens(role, id)
Teardown fails the test when liaisond does not exit 0 on SIGTERM or printed a
sanitizer report.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import lib  # noqa: E402

# O001 is kept for requests that must fail: it never gets a stored report.
FAIL_OFFICER = "O001"


def _require_binaries():
    missing = [p for p in (lib.LIAISOND, lib.LIAISONCTL) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail("not built: %s (set LIAISOND / LIAISONCTL or build the repo first)" % ", ".join(missing),
                    pytrace=False)


@pytest.fixture(scope="session")
def _session_stack(tmp_path_factory):
    _require_binaries()
    st = lib.Stack(str(tmp_path_factory.mktemp("stack")))
    yield st
    problem = st.close()
    if problem:
        raise problem


@pytest.fixture
def stack(_session_stack):
    st = _session_stack
    assert st.d.alive(), "the shared liaisond is not running:\n" + st.d.stderr()[-3000:]
    yield st
    assert st.d.alive(), "liaisond exited during the test (status %s):\n%s" % (
        st.d.proc.returncode, st.d.stderr()[-3000:])
    lib.check_sanitizer_text(st.d.stderr(), "liaisond")


@pytest.fixture
def fresh_stack(tmp_path):
    _require_binaries()
    made = []

    def make(**kw):
        st = lib.Stack(str(tmp_path / ("s%d" % len(made))), **kw)
        made.append(st)
        return st

    yield make
    problems = [p for p in (st.close() for st in made) if p]
    if problems:
        raise problems[0]


@pytest.fixture(scope="session")
def _officer_pool():
    roster = lib.load_roster()
    return [o["id"] for o in roster["officers"] if o["id"] != FAIL_OFFICER]


@pytest.fixture
def officers(_officer_pool):
    """officers() -> an officer id never used by another test in this session."""

    def take():
        if not _officer_pool:
            pytest.fail("officer pool exhausted: too many tests need a fresh officer")
        return _officer_pool.pop(0)

    return take


@pytest.fixture
def admin_token(stack):
    return stack.token("admin", "ops")


@pytest.fixture
def tokens(stack):
    return stack.token
