"""The digest's mail over TLS and with AUTH (issue 5): STARTTLS on smtp://,
implicit TLS on smtps://, the login, and what happens when the server's
certificate is not trusted or the login is refused: the mail is not lost,
and goes out once the configuration is put right and reloaded (SIGHUP).

The server is aiosmtpd (lib.SmtpSink) with a certificate made here for
127.0.0.1 by openssl; liaisond trusts it through [smtp] ca_file. With no
data in the week, the only digest is the leaders' (the roster has one).
"""

import signal
import ssl
import subprocess

import pytest

from aiosmtpd.smtp import AuthResult

import lib
from flow import admin, digest_metrics, digest_stack, digest_units, week_state
from lib import last_week

USER, PASSWORD = "liaisond", "s3cret-口令"


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    key, crt = str(d / "key.pem"), str(d / "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", crt], check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(crt, key)
    return {"crt": crt, "ctx": ctx}


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    if ok:
        return AuthResult(success=True, auth_data=auth_data)
    return AuthResult(success=False, handled=False)      # aiosmtpd answers 535


def starttls_sink(cert):
    return lib.SmtpSink(tls_context=cert["ctx"], require_starttls=True, auth_required=True,
                             auth_require_tls=True, authenticator=authenticator)


def ask(st):
    week = last_week()
    resp = st.d.post("/api/v1/digests", {"week": week}, token=admin(st))
    assert resp.status == 202, resp
    return week


def units(st, week):
    """The week's recipients as digest.lua keeps them."""
    return list(digest_units(st, week).values())


def leader(st):
    return st.roster["leaders"][0]["email"]


def set_smtp(st, **keys):
    """Rewrite [smtp] keys in the daemon's config and reload it."""
    with open(st.d.conf) as f:
        lines = f.read().splitlines(True)
    out, section = [], None
    for line in lines:
        s = line.strip()
        if s.startswith("["):
            section = s
        name = s.split("=", 1)[0].strip()
        if section == "[smtp]" and name in keys:
            continue
        out.append(line)
        if s == "[smtp]":
            out.extend("%s = %s\n" % kv for kv in keys.items())
    with open(st.d.conf, "w") as f:
        f.write("".join(out))
    st.d.signal(signal.SIGHUP)


def test_starttls_and_auth(tmp_path, cert):
    with starttls_sink(cert) as sink, \
            digest_stack(tmp_path, sink, digest={"enabled": "no"},
                         conf={"smtp": {"starttls": "yes", "username": USER, "password": PASSWORD,
                                        "ca_file": cert["crt"]}}) as st:
        week = ask(st)
        [m] = sink.wait(1)
        assert m["to"] == [leader(st)]
        assert m["tls"] is True and m["login"] == USER
        assert m["msg"].get_content_type() == "multipart/alternative"
        lib.wait_for(lambda: week_state(st, week).get("state") == "done", 10, what="week done")


def test_smtps_implicit_tls(tmp_path, cert):
    with lib.SmtpSink(ssl_context=cert["ctx"]) as sink, \
            digest_stack(tmp_path, sink, digest={"enabled": "no"}, conf={"smtp": {"ca_file": cert["crt"]}}) as st:
        with open(st.d.conf) as f:
            text = f.read()
        assert "url = smtp://127.0.0.1:%d" % sink.port in text
        set_smtp(st, url="smtps://127.0.0.1:%d" % sink.port)
        st.d.wait_healthy()
        ask(st)
        [m] = sink.wait(1)
        assert m["tls"] is True and m["to"] == [leader(st)]


@pytest.mark.parametrize("fault", ["untrusted certificate", "wrong password"])
def test_mail_waits_until_the_configuration_is_right(tmp_path, cert, fault):
    smtp = {"starttls": "yes", "username": USER, "password": PASSWORD}
    if fault == "wrong password":
        smtp.update(password="wrong", ca_file=cert["crt"])
    with starttls_sink(cert) as sink, digest_stack(tmp_path, sink, digest={"enabled": "no"},
                                                   conf={"smtp": smtp}) as st:
        week = ask(st)
        # tried and failed at least twice (retry_seconds = 1), refused never
        lib.wait_for(lambda: [u["attempts"] >= 2 for u in units(st, week)] == [True], 20,
                     what="two failed attempts")
        assert sink.snapshot() == []
        [u] = units(st, week)
        assert u["state"] == "pending" and u["error"], u
        state = week_state(st, week)
        assert state["state"] != "done" and state.get("refused", "0") == "0", state
        m = digest_metrics(st)
        assert m["sent"] == 0 and m["refused"] == 0 and m["retried"] >= 2 and m["pending"] == 1, m
        set_smtp(st, ca_file=cert["crt"], password=PASSWORD)
        [m] = sink.wait(1, timeout=30)
        assert m["tls"] is True and m["login"] == USER
        lib.wait_for(lambda: week_state(st, week).get("state") == "done", 10, what="week done")
        assert len(sink.snapshot()) == 1
        m = digest_metrics(st)
        assert m["sent"] == 1 and m["refused"] == 0 and m["pending"] == 0, m
