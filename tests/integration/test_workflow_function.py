"""workflow.lua as a Redis Function (Redis 7): store.c loads the library
src/lua/library.sh makes (FUNCTION LOAD) and calls it with FCALL, so that
the script's top level runs once per load, not once a call. A Function's
upvalues outlive its call: each call must start from what Redis holds, not
from what the last call left. The plain script (EVAL) is test_rules.py's.
"""

import json
import subprocess
import time

import pytest

import lib

LUA = lib.REPO + "/src/lua/"


def library(*flags):
    return subprocess.run(["sh", LUA + "library.sh"] + list(flags) +
                          [LUA + "prelude.lua", LUA + "workflow.lua"],
                          check=True, capture_output=True, text=True).stdout


def report(officer, title):
    now = int(time.time() * 1000)
    due = str(now + 3600 * 1000)
    return {"now": str(now), "actor": "officer:" + officer, "officer": officer,
            "period": lib.current_period(), "late": False,
            "due": {"claim": due, "respond": due, "resolve": due},
            "items": [{"enterprise": "E1", "topic": "hiring", "title": title, "detail": "",
                       "difficult": False, "category": "individual",
                       "reason": "one enterprise's own problem", "departments": ["hr"],
                       "route_reason": "by topic hiring"}]}


@pytest.fixture
def fn(tmp_path):
    server = lib.RedisServer(str(tmp_path)).start()
    try:
        r = server.client()
        name = r.execute_command("FUNCTION", "LOAD", library()).decode()
        assert name == library("-n").strip()
        yield r, name
    finally:
        server.stop()


def submit(r, name, officer, title):
    out = r.execute_command("FCALL", name, 1, lib.PREFIX, lib.PREFIX, "submit_batch", "{}",
                            json.dumps(report(officer, title)), "h-" + title, "", "60")
    assert out[0][0] == b"created", out
    return json.loads(out[0][1])


def store_call(st, oid):
    """A report of officer oid stored (201) under MONITOR: the daemon's
    submit_batch call as MONITOR shows it."""
    tok = st.token("officer", oid)
    ent = st.officer(oid)["enterprises"][0]
    seen = []
    deadline = time.monotonic() + 30
    with st.r.monitor() as m:
        resp = st.d.post("/api/v1/reports", {"items": [lib.item(ent)]}, token=tok)
        while not any(" submit_batch " in c for c in seen):
            assert time.monotonic() < deadline, seen
            seen.append(m.next_command()["command"])
    assert resp.status == 201, resp
    return [c for c in seen if " submit_batch " in c][0]


def test_a_call_numbers_from_redis_not_from_the_last_call(fn):
    r, name = fn
    first = submit(r, name, "O1", "one")
    assert first["report"] == "R1" and first["issues"][0]["id"] == "I1"
    # another writer (a daemon of another version, liaisonctl) numbers meanwhile
    r.hincrby(lib.PREFIX + "seq", "report", 5)
    r.hincrby(lib.PREFIX + "seq", "task", 2)
    second = submit(r, name, "O1", "two")
    assert second["report"] == "R7", second
    assert second["issues"][0]["tasks"][0]["id"] == "T4", second
    # nothing of the first call's held history or ledger notes comes again
    history = r.lrange(lib.PREFIX + "issue:I2:history", 0, -1)
    assert [json.loads(e)["event"] for e in history] == \
        ["created", "routed", "classified", "queued"], history
    assert len(r.lrange(lib.PREFIX + "issue:I1:history", 0, -1)) == 4
    changed = r.zrange(lib.PREFIX + "ledger:changed:" + lib.current_period(), 0, -1,
                       withscores=True)
    assert changed == [(b"I1", 1.0), (b"I2", 2.0)], changed


def test_the_daemon_calls_workflow_as_its_function(stack, officers):
    name = library("-n").strip()
    libs = [dict(zip(x[::2], x[1::2]))[b"library_name"].decode()
            for x in stack.r.execute_command("FUNCTION", "LIST")]
    assert name in libs, libs
    call = store_call(stack, officers())
    assert call.startswith("FCALL %s 1 " % name), call


def test_a_flushed_function_is_loaded_again(stack, officers):
    oid = officers()
    tok = stack.token("officer", oid)
    ent = stack.officer(oid)["enterprises"][0]
    stack.r.execute_command("FUNCTION", "FLUSH")
    # the first report may meet "Function not found" (then the daemon
    # loads its scripts again); a later one is stored
    deadline = time.monotonic() + 30
    while True:
        resp = stack.d.post("/api/v1/reports", {"items": [lib.item(ent)]}, token=tok)
        if resp.status == 201:
            break
        assert resp.status in (500, 503), resp
        assert time.monotonic() < deadline, resp
        time.sleep(0.2)
    libs = stack.r.execute_command("FUNCTION", "LIST")
    assert len(libs) == 1, libs


def test_without_functions_the_script_is_called(fresh_stack):
    # a Redis user not allowed FUNCTION LOAD (a Redis before 7.0 has none):
    # the daemon runs the same script with EVALSHA
    st = fresh_stack(start=False)
    st.r.execute_command("ACL", "SETUSER", "default", "-function|load")
    st.start()
    assert st.r.execute_command("FUNCTION", "LIST") == []
    call = store_call(st, st.roster["officers"][0]["id"])
    assert call.startswith("EVALSHA "), call
