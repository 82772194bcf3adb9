"""SIGHUP reload of the roster, `liaisond -t`, SIGTERM."""

import copy
import http.client
import json
import os
import signal
import subprocess
import threading

import pytest

import lib
from lib import PREFIX


def new_officer(roster, oid, ent_id):
    roster = copy.deepcopy(roster)
    roster["enterprises"].append({"id": ent_id, "name": "测试新增企业有限公司", "kind": "enterprise", "area": "测试社区"})
    roster["officers"].append({"id": oid, "name": "测试员", "level": "zone", "unit": "测试单位", "phone": "13800000000",
                               "email": "t@example.gov.cn", "enterprises": [ent_id]})
    return roster


def wait_stderr_grows(d, size, timeout=5):
    """Give the daemon a chance to log the reload outcome (no fixed sleep)."""
    try:
        lib.wait_for(lambda: len(d.stderr()) > size, timeout, what="a log line after SIGHUP")
    except AssertionError:
        pass  # nothing logged: the checks below still decide


def test_sighup_roster_reload(fresh_stack):
    st = fresh_stack()
    d = st.d
    base = st.roster
    ent = lib.uscc_unknown(base)

    # O999 is not in the roster yet: liaisonctl refuses to issue a token
    p = d.ctl("token", "issue", "officer", "O999", check=False)
    assert p.returncode == 1 and p.stdout == "", (p.returncode, p.stdout, p.stderr)

    good = new_officer(base, "O999", ent)
    lib.write_roster(d.roster_path, good)
    tok = d.token("officer", "O999")
    r0 = d.get("/api/v1/me", token=tok)
    assert r0.status in (401, 403), "an officer unknown to the running roster was served: %r" % r0

    d.signal(signal.SIGHUP)
    me = lib.wait_for(lambda: (lambda r: r if r.status == 200 else None)(d.get("/api/v1/me", token=tok)), 10,
                      what="the new officer after SIGHUP").json()
    assert me["id"] == "O999" and [e["id"] for e in me["enterprises"]] == [ent], me
    resp = d.post("/api/v1/reports", {"items": [lib.item(ent, topic="tax")]}, token=tok)
    assert resp.status == 201, resp

    # broken files are refused; the running roster keeps serving
    broken_bad_code = copy.deepcopy(base)           # also drops O999: applying it would show
    broken_bad_code["enterprises"][5]["id"] = lib.uscc_corrupt(broken_bad_code["enterprises"][5]["id"])
    for label, content in (("truncated JSON", json.dumps(good, ensure_ascii=False)[:5000]),
                           ("bad check character", json.dumps(broken_bad_code, ensure_ascii=False)),
                           ("missing file", None)):
        if content is None:
            os.unlink(d.roster_path)
        else:
            with open(d.roster_path, "w", encoding="utf-8") as f:
                f.write(content)
        size = len(d.stderr())
        d.signal(signal.SIGHUP)
        wait_stderr_grows(d, size)
        assert d.alive(), "liaisond exited on SIGHUP with a %s:\n%s" % (label, d.stderr()[-3000:])
        r = d.get("/api/v1/me", token=tok)
        assert r.status == 200 and r.json()["id"] == "O999", "%s applied: %r" % (label, r)
        resp = d.post("/api/v1/reports", {"items": [lib.item(ent, topic="tax")]}, token=tok)
        assert resp.status == 201, "%s: %r" % (label, resp)
        assert d.get("/healthz").status == 200

    # a good file after the broken ones is taken again (O999 removed)
    lib.write_roster(d.roster_path, base)
    d.signal(signal.SIGHUP)
    lib.wait_for(lambda: d.get("/api/v1/me", token=tok).status in (401, 403), 10,
                 what="O999 gone after reloading the original roster")
    other = st.token("officer", "O030")
    assert d.get("/api/v1/me", token=other).status == 200


def run_t(d):
    p = subprocess.run([lib.LIAISOND, "-t", "-c", d.conf], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    lib.check_sanitizer_text(p.stderr, "liaisond -t")
    return p.returncode, p.stdout + p.stderr


@pytest.fixture
def conf_only(tmp_path):
    """A config and roster in a tmp dir; no process (liaisond -t needs no Redis)."""
    if not os.access(lib.LIAISOND, os.X_OK):
        pytest.fail("not built: " + lib.LIAISOND, pytrace=False)
    return lib.Daemon(str(tmp_path), redis_port=lib.free_port())


def test_check_config_good(conf_only):
    rc, out = run_t(conf_only)
    assert rc == 0, out
    assert "configuration ok" in out and "roster ok" in out, out
    assert "55 officers, 227 enterprises, 13 departments, 17 topics" in out, out
    assert conf_only.conf in out or os.path.basename(conf_only.conf) in out, out


def _bad_check_char(r):
    e = r["enterprises"][7]
    old = e["id"]
    e["id"] = lib.uscc_corrupt(old)
    for o in r["officers"]:
        o["enterprises"] = [e["id"] if x == old else x for x in o["enterprises"]]
    return [e["id"]], "enterprises"


def _dangling(r):
    ghost = lib.uscc_unknown(r)
    r["officers"][3]["enterprises"].append(ghost)
    return [r["officers"][3]["id"], ghost], "officers"


def _duplicate_officer(r):
    dup = copy.deepcopy(r["officers"][0])
    dup["enterprises"] = []
    r["officers"].append(dup)
    return [dup["id"]], "officers"


def _unknown_topic_department(r):
    r["topics"][2]["departments"].append("nodept")
    return [r["topics"][2]["id"], "nodept"], "topics"


BROKEN = {"bad-check-char": _bad_check_char, "dangling-enterprise": _dangling,
          "duplicate-officer": _duplicate_officer, "unknown-topic-department": _unknown_topic_department}


@pytest.mark.parametrize("name", list(BROKEN))
def test_check_config_broken_roster_names_entry(conf_only, name):
    r = lib.load_roster(conf_only.roster_path)
    names, section = BROKEN[name](r)
    lib.write_roster(conf_only.roster_path, r)
    rc, out = run_t(conf_only)
    assert rc != 0, out
    assert "roster.json" in out, "the message does not name the file: %r" % out
    assert any(n in out for n in names) or (section + "[") in out, \
        "the message does not name the entry (%s): %r" % (names, out)
    # liaisonctl roster check agrees
    p = subprocess.run([lib.LIAISONCTL, "roster", "check", conf_only.roster_path], capture_output=True, text=True,
                       timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)


def test_check_config_bad_json_and_missing(conf_only):
    with open(conf_only.roster_path, "w") as f:
        f.write('{"zone": {"name": "x"')
    rc, out = run_t(conf_only)
    assert rc != 0 and "roster.json" in out, out
    os.unlink(conf_only.roster_path)
    rc, out = run_t(conf_only)
    assert rc != 0 and "roster.json" in out, out


@pytest.mark.parametrize("line", ["listen = not-an-address", "listen = 127.0.0.1:99999", "max_items = many",
                                  "rate_per_minute = -3"])
def test_check_config_bad_value(conf_only, line):
    key = line.split(" = ")[0]
    with open(conf_only.conf) as f:
        text = f.read()
    lines = [line if ln.split(" = ")[0] == key else ln for ln in text.splitlines()]
    with open(conf_only.conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    rc, out = run_t(conf_only)
    assert rc != 0, out
    assert "liaisond.conf" in out and key in out, "the message does not name file and key: %r" % out


def test_sigterm_drains_and_exits_zero(fresh_stack):
    st = fresh_stack()
    tok = st.token("officer", "O040")
    ent = st.officer("O040")["enterprises"][0]
    results = []
    started = threading.Event()

    def loop():
        for _ in range(400):
            try:
                resp = lib.request(st.d.port, "POST", "/api/v1/reports", body={"items": [lib.item(ent)]}, token=tok,
                                   timeout=10)
            except (OSError, http.client.HTTPException):
                return  # the listener is gone
            results.append(resp)
            started.set()

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    assert started.wait(15), "no answer before SIGTERM"
    st.d.stop_and_check()  # SIGTERM, exit 0, no sanitizer report
    t.join(30)
    assert all(r.status in (201, 503) for r in results), [r for r in results if r.status not in (201, 503)][:3]
    stored = {m.decode() for m in st.r.zrange(PREFIX + "officer:O040:reports", 0, -1)}
    acked = {r.json()["report"] for r in results if r.status == 201}
    assert acked <= stored
