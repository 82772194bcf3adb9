"""Connection-level limits (SPEC §10): keep-alive after an error, oversized
headers, idle and half-sent requests are closed, and none of it stops the
daemon serving others."""

import http.client
import json
import socket

import lib


def test_keep_alive_survives_errors(stack, officers):
    oid = officers()
    tok = stack.token("officer", oid)
    ent = stack.officer(oid)["enterprises"][0]
    conn = http.client.HTTPConnection("127.0.0.1", stack.d.port, timeout=10)
    try:
        hdr = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
        conn.request("GET", "/api/v1/me", headers=hdr)
        r = conn.getresponse()
        assert r.status == 200, r.read()
        r.read()
        conn.request("POST", "/api/v1/reports", body=b'{"items": [', headers=hdr)
        r = conn.getresponse()
        body = r.read()
        assert r.status == 400 and json.loads(body)["error"]["code"] == "bad_request", body
        conn.request("POST", "/api/v1/reports", body=json.dumps({"items": [lib.item(ent)]}).encode(), headers=hdr)
        r = conn.getresponse()
        body = r.read()
        assert r.status == 201, body
    finally:
        conn.close()


def test_oversized_headers_refused(stack):
    before = lib.stable_snapshot(stack.r)
    status = None
    try:
        resp = lib.request(stack.d.port, "GET", "/api/v1/me", headers={"X-Filler": "a" * 40000}, timeout=10)
        status = resp.status
    except (OSError, http.client.HTTPException):
        status = "closed"  # dropping the connection is an acceptable answer
    assert status == "closed" or 400 <= status < 500, status
    lib.assert_unchanged(before, lib.redis_snapshot(stack.r))
    assert stack.d.get("/healthz").status == 200


def _closed_within(sock, seconds):
    """True when the peer closes (or resets) the connection within seconds."""
    sock.settimeout(seconds)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_idle_and_half_sent_connections_closed(fresh_stack):
    st = fresh_stack(idle=2)
    idle = socket.create_connection(("127.0.0.1", st.d.port))
    half = socket.create_connection(("127.0.0.1", st.d.port))
    partial_body = socket.create_connection(("127.0.0.1", st.d.port))
    try:
        half.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
        partial_body.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 100\r\n\r\n{\"items\"")
        # others are served meanwhile
        assert st.d.get("/healthz").status == 200
        for name, s in (("idle", idle), ("half-sent headers", half), ("half-sent body", partial_body)):
            assert _closed_within(s, 2 + 8), "%s connection still open well after idle_timeout=2" % name
    finally:
        for s in (idle, half, partial_body):
            s.close()
    assert st.d.get("/healthz").status == 200
