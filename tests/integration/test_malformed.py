"""Malformed and forbidden requests: each gets the exact status, a JSON error
and changes nothing in Redis (SPEC §5, §10)."""

import json

import pytest

import lib
from lib import FAIL_OFFICER


@pytest.fixture(scope="module")
def ctx(_session_stack):
    st = _session_stack
    revoked = st.d.token("officer", FAIL_OFFICER)
    st.d.ctl("token", "revoke", revoked)
    mine = st.officer(FAIL_OFFICER)["enterprises"]
    foreign = st.officer("O002")["enterprises"][0]
    cur = lib.current_period()
    unknown = lib.uscc_unknown(st.roster)
    return {"st": st, "tok": st.token("officer", FAIL_OFFICER), "revoked": revoked, "mine": mine,
            "foreign": foreign, "unknown": unknown, "cur": cur}


def good_item(c, **over):
    it = {"enterprise": c["mine"][0], "topic": "hiring", "title": "缺少技术工人", "detail": "需要协助"}
    it.update(over)
    return it


def body(obj):
    return json.dumps(obj, ensure_ascii=False).encode()


def raw_item_body(c, title_bytes=b'"ok"', detail_bytes=b'"ok"'):
    return (b'{"items":[{"enterprise":"' + c["mine"][0].encode() + b'","topic":"hiring","title":' + title_bytes
            + b',"detail":' + detail_bytes + b'}]}')


# Each case: name -> (function ctx -> request kwargs, status, code[, field]).
# request kwargs: method, path, body, token ('officer' default | None | literal),
# auth (raw Authorization), ctype, headers.
CASES = {
    # --- not JSON / wrong JSON shape: 400
    "broken-json": (lambda c: {"body": b'{"items": ['}, 400, "bad_request"),
    "trailing-garbage": (lambda c: {"body": b'{"items": []} x'}, 400, "bad_request"),
    "two-documents": (lambda c: {"body": b'{"items": []}{"items": []}'}, 400, "bad_request"),
    "body-array": (lambda c: {"body": b'[]'}, 400, "bad_request"),
    "body-string": (lambda c: {"body": b'"items"'}, 400, "bad_request"),
    "body-number": (lambda c: {"body": b'42'}, 400, "bad_request"),
    "body-null": (lambda c: {"body": b'null'}, 400, "bad_request"),
    "empty-body": (lambda c: {"body": b''}, 400, "bad_request"),
    "deep-nesting": (lambda c: {"body": b'{"items":' + b'[' * 2000 + b']' * 2000 + b'}'}, 400, "bad_request"),
    # --- wrong types: 400
    "items-object": (lambda c: {"body": body({"items": {}})}, 400, "bad_request"),
    "items-string": (lambda c: {"body": body({"items": "x"})}, 400, "bad_request"),
    "items-null": (lambda c: {"body": body({"items": None})}, 400, "bad_request"),
    "item-number": (lambda c: {"body": body({"items": [1]})}, 400, "bad_request"),
    "item-array": (lambda c: {"body": body({"items": [[good_item(c)]]})}, 400, "bad_request"),
    "enterprise-number": (lambda c: {"body": body({"items": [good_item(c, enterprise=913408001)]})}, 400,
                          "bad_request"),
    "topic-number": (lambda c: {"body": body({"items": [good_item(c, topic=7)]})}, 400, "bad_request"),
    "title-null": (lambda c: {"body": body({"items": [good_item(c, title=None)]})}, 400, "bad_request"),
    "title-number": (lambda c: {"body": body({"items": [good_item(c, title=12)]})}, 400, "bad_request"),
    "detail-array": (lambda c: {"body": body({"items": [good_item(c, detail=["a"])]})}, 400, "bad_request"),
    "difficult-string": (lambda c: {"body": body({"items": [good_item(c, difficult="yes")]})}, 400,
                         "bad_request"),
    "difficult-number": (lambda c: {"body": body({"items": [good_item(c, difficult=1)]})}, 400, "bad_request"),
    "period-number": (lambda c: {"body": body({"period": 2026, "items": []})}, 400, "bad_request"),
    "unknown-top-field": (lambda c: {"body": body({"items": [], "officer": "O002"})}, 400, "bad_request"),
    "unknown-item-field": (lambda c: {"body": body({"items": [good_item(c, state="closed")]})}, 400,
                           "bad_request"),
    # --- bad text: 400
    "invalid-utf8": (lambda c: {"body": raw_item_body(c, title_bytes=b'"ab\xff\xfecd"')}, 400, "bad_request"),
    "overlong-utf8": (lambda c: {"body": raw_item_body(c, title_bytes=b'"a\xc0\xafb"')}, 400, "bad_request"),
    "utf8-surrogate": (lambda c: {"body": raw_item_body(c, detail_bytes=b'"a\xed\xa0\x80b"')}, 400,
                       "bad_request"),
    "truncated-utf8": (lambda c: {"body": raw_item_body(c, title_bytes=b'"\xe4\xb8"')}, 400, "bad_request"),
    "escaped-lone-surrogate": (lambda c: {"body": raw_item_body(c, title_bytes=b'"a\\udc00b"')}, 400,
                               "bad_request"),
    "nul-in-detail": (lambda c: {"body": raw_item_body(c, detail_bytes=b'"before\\u0000after"')}, 400,
                      "bad_request"),
    "nul-in-title": (lambda c: {"body": raw_item_body(c, title_bytes=b'"\\u0000"')}, 400, "bad_request"),
    # --- well-formed but invalid: 422
    "title-empty": (lambda c: {"body": body({"items": [good_item(c, title="")]})}, 422, "invalid"),
    "title-101-chars": (lambda c: {"body": body({"items": [good_item(c, title="题" * 101)]})}, 422, "invalid"),
    "detail-2001-chars": (lambda c: {"body": body({"items": [good_item(c, detail="详" * 2001)]})}, 422,
                          "invalid"),
    "items-51": (lambda c: {"body": body({"items": [good_item(c, title="问题%d" % i) for i in range(51)]})},
                 422, "invalid"),
    "enterprise-bad-check-char": (lambda c: {"body": body({"items": [good_item(
        c, enterprise=lib.uscc_corrupt(c["mine"][0]))]})}, 422, "invalid"),
    "enterprise-too-short": (lambda c: {"body": body({"items": [good_item(c, enterprise="91340800")]})}, 422,
                             "invalid"),
    "unknown-topic": (lambda c: {"body": body({"items": [good_item(c, topic="weather")]})}, 422, "invalid"),
    "period-month-13": (lambda c: {"body": body({"period": "2026-13-1", "items": []})}, 422, "invalid",
                        "period"),
    "period-half-3": (lambda c: {"body": body({"period": "2026-11-3", "items": []})}, 422, "invalid", "period"),
    "period-garbage": (lambda c: {"body": body({"period": "last week", "items": []})}, 422, "invalid", "period"),
    "period-far-past": (lambda c: {"body": body({"period": "2001-01-1", "items": []})}, 422, "invalid", "period"),
    "period-two-back": (lambda c: {"body": body({"period": lib.period_shift(c["cur"], -2), "items": []})}, 422,
                        "invalid", "period"),
    "period-next": (lambda c: {"body": body({"period": lib.period_shift(c["cur"], 1), "items": []})}, 422,
                    "invalid", "period"),
    # --- size: 413
    "body-too-large": (lambda c: {"body": body({"items": [good_item(c, detail="x" * 70000)]})}, 413,
                       "too_large"),
    # --- media type: 415
    "ctype-text-plain": (lambda c: {"body": body({"items": []}), "ctype": "text/plain"}, 415,
                         "unsupported_media_type"),
    "ctype-missing": (lambda c: {"body": body({"items": []}), "ctype": None}, 415, "unsupported_media_type"),
    "ctype-charset-gbk": (lambda c: {"body": body({"items": []}), "ctype": "application/json; charset=gbk"},
                          415, "unsupported_media_type"),
    "ctype-form": (lambda c: {"body": b"items=", "ctype": "application/x-www-form-urlencoded"}, 415,
                   "unsupported_media_type"),
    # --- auth: 401 / 403
    "no-authorization": (lambda c: {"body": body({"items": []}), "token": None}, 401, "unauthorized"),
    "bearer-unknown": (lambda c: {"body": body({"items": []}), "token": "lt_" + "A" * 32}, 401, "unauthorized"),
    "bearer-empty": (lambda c: {"body": body({"items": []}), "token": None, "auth": "Bearer "}, 401,
                     "unauthorized"),
    "basic-auth": (lambda c: {"body": body({"items": []}), "token": None, "auth": "Basic eHh4Onl5eQ=="}, 401,
                   "unauthorized"),
    "revoked-token": (lambda c: {"body": body({"items": []}), "token": c["revoked"]}, 401, "unauthorized"),
    "department-posts": (lambda c: {"body": body({"items": []}), "token": c["st"].token("department", "hr")}, 403,
                         "forbidden"),
    "admin-posts": (lambda c: {"body": body({"items": []}), "token": c["st"].token("admin", "ops")}, 403,
                    "forbidden"),
    "foreign-enterprise": (lambda c: {"body": body({"items": [good_item(c), good_item(c, enterprise=c["foreign"]),
                                                              good_item(c, enterprise=c["mine"][1])]})}, 403,
                           "forbidden"),
    "enterprise-not-in-roster": (lambda c: {"body": body({"items": [good_item(c, enterprise=c["unknown"])]})}, 403,
                                 "forbidden"),
    # --- headers: 400
    "idem-key-too-long": (lambda c: {"body": body({"items": []}), "headers": {"Idempotency-Key": "k" * 129}}, 400,
                          "bad_request"),
    "idem-key-non-ascii": (lambda c: {"body": body({"items": []}),
                                      "headers": {"Idempotency-Key": "clé-é".encode("utf-8").decode("latin-1")}},
                           400, "bad_request"),
    "idem-key-control-char": (lambda c: {"body": body({"items": []}), "headers": {"Idempotency-Key": "a\x01b"}},
                              400, "bad_request"),
    # --- routing: 404 / 405
    "unknown-path": (lambda c: {"method": "GET", "path": "/api/v1/nope", "body": None}, 404, "not_found"),
    "unknown-path-post": (lambda c: {"path": "/api/v1/report", "body": body({"items": []})}, 404, "not_found"),
    "unknown-root-path": (lambda c: {"method": "GET", "path": "/nope", "body": None, "token": None}, 404,
                          "not_found"),
}


def send(c, kw):
    st = c["st"]
    tok = kw.get("token", "officer")
    if tok == "officer":
        tok = c["tok"]
    return st.d.req(kw.get("method", "POST"), kw.get("path", "/api/v1/reports"), body=kw.get("body"), token=tok,
                    auth=kw.get("auth"), ctype=kw.get("ctype", "application/json"), headers=kw.get("headers"))


@pytest.mark.parametrize("name", list(CASES))
def test_rejected_and_nothing_changed(stack, ctx, name):
    case = CASES[name]
    make, status, code = case[:3]
    field = case[3] if len(case) > 3 else None
    kw = make(ctx)
    before = lib.stable_snapshot(stack.r)
    resp = send(ctx, kw)
    lib.assert_error(resp, status, code, field)
    after = lib.redis_snapshot(stack.r)
    lib.assert_unchanged(before, after)
    # the daemon still serves after it
    assert stack.d.get("/healthz").status == 200


@pytest.mark.parametrize("method,path,allowed", [
    ("DELETE", "/api/v1/reports", {"GET", "POST"}),
    ("PUT", "/api/v1/reports", {"GET", "POST"}),
    ("POST", "/api/v1/me", {"GET"}),
    ("DELETE", "/healthz", {"GET"}),
])
def test_wrong_method_405(stack, ctx, method, path, allowed):
    before = lib.stable_snapshot(stack.r)
    resp = stack.d.req(method, path, body=b"{}" if method in ("PUT", "POST") else None, token=ctx["tok"])
    lib.assert_error(resp, 405, "method_not_allowed")
    allow = {m.strip().upper() for m in (resp.header("allow") or "").split(",") if m.strip()}
    assert allowed <= allow, "Allow: %r" % resp.header("allow")
    lib.assert_unchanged(before, lib.redis_snapshot(stack.r))


@pytest.mark.parametrize("name", ["missing-items", "missing-title", "missing-enterprise", "missing-topic"])
def test_missing_required_field(stack, ctx, name):
    """A missing required field: the contract does not say 400 or 422 (wrong
    type vs. invalid); either is accepted, with nothing stored."""
    it = good_item(ctx)
    obj = {"items": [it]}
    if name == "missing-items":
        obj = {"period": ctx["cur"]}
    else:
        del it[name.split("-", 1)[1]]
    before = lib.stable_snapshot(stack.r)
    resp = send(ctx, {"body": body(obj)})
    assert resp.status in (400, 422), resp
    lib.assert_error(resp, resp.status, "bad_request" if resp.status == 400 else "invalid")
    lib.assert_unchanged(before, lib.redis_snapshot(stack.r))


# ---------------------------------------------------------------------------
# limits are in characters, not bytes: the boundary values are accepted


def test_boundaries_accepted(stack, officers):
    oid = officers()
    ents = stack.officer(oid)["enterprises"]
    items = [
        {"enterprise": ents[0], "topic": "hiring", "title": "题" * 100, "detail": "详" * 2000},
        {"enterprise": ents[1], "topic": "tax", "title": "a", "detail": ""},
        {"enterprise": ents[2], "topic": "tax", "title": lib.safe_text(10) + "😀", "detail": lib.safe_text(10)},
    ]
    resp = stack.d.post("/api/v1/reports", {"items": items}, token=stack.token("officer", oid))
    assert resp.status == 201, resp
    iid = resp.json()["issues"][0]["id"]
    iss = stack.d.get("/api/v1/issues/" + iid, token=stack.token("officer", oid)).json()
    assert iss["title"] == "题" * 100 and iss["detail"] == "详" * 2000
    iss = stack.d.get("/api/v1/issues/" + resp.json()["issues"][2]["id"], token=stack.token("officer", oid)).json()
    assert iss["title"] == items[2]["title"], "non-BMP text altered"


def test_fifty_items_accepted(stack, officers):
    oid = officers()
    ents = stack.officer(oid)["enterprises"]
    items = [lib.item(ents[i % len(ents)], topic="tax") for i in range(50)]
    resp = stack.d.post("/api/v1/reports", {"items": items}, token=stack.token("officer", oid))
    assert resp.status == 201, resp
    assert len(resp.json()["issues"]) == 50


def test_an_item_with_several_bad_fields_lists_every_one(stack, ctx):
    """The first field at fault decides the status and "field", as always;
    "errors" lists every one of them, so a form can show them all at once."""
    it = good_item(ctx, enterprise=ctx["foreign"], topic="nowhere", title="", detail="长" * 2001)
    before = lib.stable_snapshot(stack.r)
    resp = send(ctx, {"body": body({"items": [it]})})
    lib.assert_error(resp, 422, "invalid", "items[0].title")
    errors = resp.json()["error"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("items[0].title", "invalid"), ("items[0].detail", "invalid"),
        ("items[0].enterprise", "forbidden"), ("items[0].topic", "invalid")], errors
    assert all(e["message"] for e in errors)
    lib.assert_unchanged(before, lib.redis_snapshot(stack.r))


def test_one_bad_field_has_no_errors_list(stack, ctx):
    resp = send(ctx, {"body": body({"items": [good_item(ctx, title="")]})})
    lib.assert_error(resp, 422, "invalid", "items[0].title")
    assert "errors" not in resp.json()["error"]
