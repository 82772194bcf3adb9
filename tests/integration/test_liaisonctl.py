"""liaisonctl: tokens (issue, hash-only storage, revoke) and roster check."""

import base64
import copy
import os
import re
import subprocess

import pytest

import lib
from lib import PREFIX, TOKEN_RE


def test_token_issue_prints_one_token_stored_as_hash(stack):
    p = stack.d.ctl("token", "issue", "officer", "O005")
    assert p.stdout.endswith("\n") and p.stdout.count("\n") == 1, repr(p.stdout)
    tok = p.stdout.strip()
    assert TOKEN_RE.match(tok), tok
    raw = base64.urlsafe_b64decode(tok[3:] + "=" * (-len(tok[3:]) % 4))
    assert len(raw) >= 16, "token carries %d bits" % (8 * len(raw))
    assert len(raw) == 24, "brief: 24 random bytes (got %d)" % len(raw)

    h = stack.r.hgetall(PREFIX + "token:" + lib.token_sha(tok))
    assert h.get(b"role") == b"officer" and h.get(b"id") == b"O005" and b"created" in h, h

    # nowhere in Redis is the token itself
    snap = lib.redis_snapshot(stack.r, ignore=None)
    needle = tok.encode()
    for key, val in snap.items():
        assert tok not in key and tok[3:] not in key, key
        assert needle not in repr(val).encode() and tok[3:].encode() not in repr(val).encode(), key

    resp = stack.d.get("/api/v1/me", token=tok)
    assert resp.status == 200 and resp.json()["id"] == "O005", resp

    # every issue is a new token
    tok2 = stack.d.token("officer", "O005")
    assert tok2 != tok


def test_token_issue_department_and_admin(stack):
    t = stack.d.token("department", "env")
    h = stack.r.hgetall(PREFIX + "token:" + lib.token_sha(t))
    assert h.get(b"role") == b"department" and h.get(b"id") == b"env", h
    t = stack.d.token("admin", "auditor")
    assert stack.d.get("/api/v1/me", token=t).json()["role"] == "admin"


def test_token_issue_unknown_ids_fail(stack):
    before = lib.stable_snapshot(stack.r)
    for args in (("officer", "O999"), ("department", "nodept"), ("officer", "hr")):
        p = stack.d.ctl("token", "issue", *args, check=False)
        assert p.returncode == 1, (args, p.returncode, p.stdout, p.stderr)
        assert p.stdout == "", "printed something on failure: %r" % p.stdout
        assert p.stderr.strip(), "no message on failure"
    p = stack.d.ctl("token", "issue", "root", "x", check=False)
    assert p.returncode != 0 and p.stdout == ""
    lib.assert_unchanged(before, lib.redis_snapshot(stack.r))


def test_token_revoke(stack):
    tok = stack.d.token("officer", "O006")
    assert stack.d.get("/api/v1/me", token=tok).status == 200
    p = stack.d.ctl("token", "revoke", tok)
    assert p.returncode == 0
    assert not stack.r.exists(PREFIX + "token:" + lib.token_sha(tok))
    lib.assert_error(stack.d.get("/api/v1/me", token=tok), 401, "unauthorized")
    p = stack.d.ctl("token", "revoke", tok, check=False)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    p = stack.d.ctl("token", "revoke", "lt_notatoken", check=False)
    assert p.returncode == 1


def roster_check(path):
    return lib.liaisonctl("roster", "check", path, check=False)


def test_roster_check_good(stack):
    p = roster_check(lib.ROSTER_FILE)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert len(p.stdout.strip().splitlines()) == 1, p.stdout
    assert "55" in p.stdout and "227" in p.stdout, p.stdout


def test_roster_check_bad(stack, tmp_path):
    r = copy.deepcopy(lib.load_roster())
    bad = lib.uscc_corrupt(r["enterprises"][0]["id"])
    old = r["enterprises"][0]["id"]
    r["enterprises"][0]["id"] = bad
    for o in r["officers"]:
        o["enterprises"] = [bad if x == old else x for x in o["enterprises"]]
    path = os.path.join(str(tmp_path), "bad-roster.json")
    lib.write_roster(path, r)
    p = roster_check(path)
    assert p.returncode == 1, (p.stdout, p.stderr)
    out = p.stdout + p.stderr
    assert bad in out or "enterprises[0]" in out, out
    p = roster_check(os.path.join(str(tmp_path), "absent.json"))
    assert p.returncode == 1


def test_liaisonctl_reads_the_default_config_path_its_man_page_names():
    """Without -c, liaisonctl (and liaisond) read the file the FILES section
    of liaisonctl(1) names: the error for a missing file says which."""
    man = open(os.path.join(os.path.dirname(__file__), "..", "..", "man", "liaisonctl.1"), encoding="utf-8").read()
    files = man[man.index(".Sh FILES"):]
    named = re.search(r"^\.It Pa (\S+liaisond\.conf)$", files, re.M).group(1)
    if os.path.exists(named):
        pytest.skip("%s exists on this machine" % named)
    p = lib.liaisonctl("token", "issue", "admin", "ops", check=False)
    assert p.returncode == 1 and p.stderr.startswith("liaisonctl: %s: " % named), p.stderr
    d = subprocess.run([lib.LIAISOND, "-t"], capture_output=True, text=True, timeout=30)
    assert d.returncode != 0 and ("%s: " % named) in d.stderr, d.stderr
