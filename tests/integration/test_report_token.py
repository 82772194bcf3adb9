"""A report's token (issue 13): the daemon remembers whom a token named
and stores a report without reading the token first (one Redis round trip
instead of two); the script that stores the report checks the token again.
Whatever the token became meanwhile (revoked, another person's), every
answer is the one a request that read the token first gets: compared here
with a token the daemon never saw."""

import json

import pytest

import lib
from lib import PREFIX

ROUTE = "/api/v1/reports"


@pytest.fixture(scope="module")
def st(tmp_path_factory):
    with lib.Stack(str(tmp_path_factory.mktemp("rtok"))) as s:
        yield s


def trips(st):
    return lib.metric(st.d.metrics(), "liaisond_http_redis_round_trips_total", route=ROUTE)


def post(st, tok, items, key=None):
    return st.d.post(ROUTE, {"items": items}, token=tok, headers={"Idempotency-Key": key or lib.new_key()})


def reports(st, oid):
    return len(st.r.zrange(PREFIX + "officer:%s:reports" % oid, 0, -1))


def answer(resp):
    """What a client sees of an answer: status, body, Retry-After."""
    return resp.status, resp.json(), resp.header("retry-after")


def test_a_report_on_a_known_token_waits_for_redis_once(st):
    tok = st.token("officer", "O001")
    ent = st.officer("O001")["enterprises"][0]
    n = trips(st)
    assert post(st, tok, [lib.item(ent)]).status == 201
    assert trips(st) - n == 2, "the first report: read the token, then store"
    for _ in range(3):
        n = trips(st)
        r = post(st, tok, [lib.item(ent)])
        assert r.status == 201, r
        assert trips(st) - n == 1, "a known token's report waited for Redis %d times" % (trips(st) - n)


def test_a_token_revoked_after_a_report_is_answered_as_if_read_first(st):
    """Each try on a token of its own, remembered by a report and then
    revoked: the daemon's checks refuse some bodies before any script
    runs, and those answers too wait for the token to be read."""
    oid = "O002"
    ent = st.officer(oid)["enterprises"][0]
    other = st.officer("O004")["enterprises"][0]
    fresh = st.d.token("officer", "O003")
    st.d.ctl("token", "revoke", fresh)        # revoked before the daemon ever saw it
    tries = {
        "a replay of the stored report": None,
        "a new report": [lib.item(ent)],
        "a body the checks refuse": [{"enterprise": ent, "topic": "nonesuch"}],
        "another officer's enterprise": [lib.item(other)],
        "a zero report": [],
    }
    for what, items in tries.items():
        tok = st.d.token("officer", oid)
        first, key = [lib.item(ent)], lib.new_key()
        assert post(st, tok, first, key).status == 201
        stored = reports(st, oid)
        st.d.ctl("token", "revoke", tok)
        k = key if items is None else None
        items = first if items is None else items
        got = answer(post(st, tok, items, k))
        want = answer(post(st, fresh, items, k))
        assert got == want, (what, got, want)
        assert got[0] == 401 and got[1]["error"]["message"] == "unknown or revoked token", (what, got)
        assert reports(st, oid) == stored, "a revoked token stored a report (%s)" % what


def test_a_token_over_its_rate_then_revoked_is_answered_401(fresh_stack):
    s = fresh_stack(rate=2)
    tok = s.token("officer", "O001")
    ent = s.officer("O001")["enterprises"][0]
    assert [post(s, tok, [lib.item(ent)]).status for _ in range(2)] == [201, 201]
    r = post(s, tok, [lib.item(ent)])
    assert r.status == 429 and r.header("retry-after"), r
    s.d.ctl("token", "revoke", tok)
    r = post(s, tok, [lib.item(ent)])
    assert r.status == 401 and r.header("retry-after") is None, (r, r.header("retry-after"))
    assert r.json()["error"]["message"] == "unknown or revoked token", r
    assert reports(s, "O001") == 2


def test_a_token_record_that_names_another_officer_is_followed_at_once(st):
    """A token's record rewritten in Redis (here by hand) to name O006:
    the next report is O006's, as if the record had been read first, and a
    body that O006 may not send is refused as it would be for O006."""
    tok = st.token("officer", "O005")
    mine = st.officer("O005")["enterprises"][0]
    theirs = st.officer("O006")["enterprises"][0]
    assert post(st, tok, [lib.item(mine)]).status == 201
    st.r.hset(PREFIX + "token:" + lib.token_sha(tok), "id", "O006")
    r = post(st, tok, [lib.item(mine)])
    assert r.status == 403, r
    assert answer(r) == answer(post(st, st.token("officer", "O006"), [lib.item(mine)])), r
    r = post(st, tok, [lib.item(theirs)])
    assert r.status == 201, r
    rid = r.json()["report"]
    assert st.r.hget(PREFIX + "report:" + rid, "officer") == b"O006"
    assert reports(st, "O005") == 1


def test_a_department_token_is_refused_the_same_each_time(st):
    tok = st.token("department", "hr")
    ent = st.officer("O001")["enterprises"][0]
    got = [answer(post(st, tok, [lib.item(ent)])) for _ in range(3)]
    assert got[0][0] == 403 and got.count(got[0]) == 3, got
    assert json.dumps(got[0][1]).find("only officers submit reports") > 0, got[0]
