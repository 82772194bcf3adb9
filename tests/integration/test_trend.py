"""Trend alerts (未诉先办, issue 16, SPEC §12): per topic, the distinct
enterprises raising it in a period against the mean of the previous
trend_periods periods; at least trend_min and trend_factor times the mean
alerts, once per topic and period, on every report that counts a new
enterprise for its topic and in the daily pass,
whichever of two daemons sees it: one row in /api/v1/alerts, one item on
the agenda, one mail to the leaders.

The earlier periods' counts cannot be reported any more (a report is for
the current or the previous period), so the test writes them where
workflow.lua keeps them: the hash P trend:PERIOD, topic -> enterprises.
The rule's edges (the mean 0, exactly at the factor, a short history) are
tests/unit/test_trend.c's.
"""

import json

import pytest

import lib
from flow import admin, distinct_enterprises, second_daemon, submit

LEADER = "leader@jkq.example.gov.cn"


@pytest.fixture(scope="module")
def zone(tmp_path_factory):
    """Two daemons on one Redis, mail to an SMTP sink, and six earlier
    periods of counts: hiring raised by 1 enterprise a period, labor by 5,
    tax by none (the zone counted other topics then)."""
    work = tmp_path_factory.mktemp("trend")
    with lib.SmtpSink() as sink:
        st = lib.Stack(str(work / "one"), start=False, smtp_port=sink.port)
        try:
            st.roster["leaders"] = [{"name": "郑英子", "email": LEADER}]
            st.roster["zone"]["leaders_webhook"] = {
                "url": "http://127.0.0.1:%d/leaders" % st.sink.port, "format": "standard",
                "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
            lib.write_roster(st.d.roster_path, st.roster)
            cur = lib.current_period()
            for n in range(1, 7):
                st.r.hset(lib.PREFIX + "trend:" + lib.period_shift(cur, -n),
                          mapping={"hiring": 1, "labor": 5, "party": 2})
            other = second_daemon(st, str(work / "two"))
            st.start()
            other.start()
            try:
                yield st, other, sink
            finally:
                other.stop_and_check()
                other.kill()
        finally:
            problem = st.close()
        if problem:
            raise problem


def alerts(st, query=""):
    resp = st.d.get("/api/v1/alerts" + query, token=admin(st))
    assert resp.status == 200, resp
    return resp.json()["alerts"]


def trend_items(st):
    resp = st.d.get("/api/v1/agenda", token=admin(st))
    assert resp.status == 200, resp
    return [i for i in resp.json()["agenda"] if i["kind"] == "trend"]


def leader_mails(sink):
    return [m for m in sink.snapshot() if LEADER in m["to"] and "趋势预警" in str(m["msg"]["subject"])]


def leader_pushes(st):
    return [json.loads(body) for path, body in list(st.sink.received) if path == "/leaders"]


def test_a_spike_across_enterprises_alerts_once_with_two_daemons(zone):
    st, other, sink = zone
    pairs = distinct_enterprises(st, 7)
    for i, (oid, ent) in enumerate(pairs[:4]):
        submit(st, oid, [lib.item(ent, topic="hiring")], via=other if i % 2 else None)
    # four enterprises: below trend_min (5), though four times the mean
    assert alerts(st) == []
    # the set of enterprises is kept for a while, the count for good
    ttl = st.r.ttl(lib.PREFIX + "trend:%s:hiring" % lib.current_period())
    assert 60 * 86400 < ttl <= 62 * 86400, ttl
    assert st.r.ttl(lib.PREFIX + "trend:" + lib.current_period()) == -1
    # the same enterprise again counts once
    submit(st, pairs[0][0], [lib.item(pairs[0][1], topic="hiring")], via=other)
    assert alerts(st) == []
    for i, (oid, ent) in enumerate(pairs[4:]):
        submit(st, oid, [lib.item(ent, topic="hiring")], via=other if i % 2 else None)
    got = alerts(st)
    assert len(got) == 1, got
    a = got[0]
    assert a["topic"] == "hiring" and a["period"] == lib.current_period(), a
    assert a["enterprises"] == 5 and a["mean"] == 1 and a["history_periods"] == 6, a
    assert a["topic_name"] == "用工招聘", a
    assert a["departments"], a
    assert lib.ISO_RE.match(a["at"]), a
    # on the agenda, once
    items = trend_items(st)
    assert len(items) == 1 and items[0]["period"] == a["period"], items
    assert "5 家企业" in items[0]["title"], items
    # one mail to the leaders, at once
    lib.wait_for(lambda: len(leader_mails(sink)) >= 1, 15, what="the leaders' mail")
    mail = leader_mails(sink)[0]
    body = mail["msg"].get_body(("plain",)).get_content()
    assert a["topic_name"] in str(mail["msg"]["subject"]) and a["topic_name"] in body, body
    # one push to the leaders' webhook (zone.leaders_webhook), the
    # standard format: the alert and the agenda's link
    lib.wait_for(lambda: len(leader_pushes(st)) >= 1, 15, what="the leaders' webhook")
    push = leader_pushes(st)[0]
    assert push["type"] == "alert.trend", push
    assert push["data"]["alert"]["id"] == a["id"] and push["data"]["alert"]["enterprises"] == 5, push
    assert push["data"]["links"]["agenda"].endswith("/agenda"), push
    # both daemons logged what they recorded: once in all
    logs = st.d.stderr() + other.stderr()
    assert logs.count("trend alert %s:hiring" % a["period"]) == 1, logs[-3000:]


def test_a_flat_history_sees_none(zone):
    st, other, sink = zone
    # labor: 5 enterprises a period before; 6 now is not twice that
    for oid, ent in distinct_enterprises(st, 6):
        submit(st, oid, [lib.item(ent, topic="labor")])
    assert [a for a in alerts(st) if a["topic"] == "labor"] == []


def test_below_trend_min_sees_none(zone):
    st, other, sink = zone
    # tax: none before (the mean 0), 4 now: still below trend_min
    for oid, ent in distinct_enterprises(st, 4):
        submit(st, oid, [lib.item(ent, topic="tax")], via=other)
    assert [a for a in alerts(st) if a["topic"] == "tax"] == []


def test_the_daily_pass_alerts_what_reports_did_not_and_never_again(zone):
    st, other, sink = zone
    cur = lib.current_period()
    # counts no report brought past the rule here (as after a change of
    # trend_min): the daily pass finds them
    st.r.hset(lib.PREFIX + "trend:" + cur, "party", 9)
    # one daemon at a time, so that the pass is the one started's: the
    # first daemon to ask on a day runs it, whichever it is
    for d in (other, st.d):
        status, _ = d.terminate()
        assert status == 0
    for d in (st.d, other):
        st.r.delete(*st.r.keys(lib.PREFIX + "trend:day:*") or [lib.PREFIX + "none"])
        d.start()
        lib.wait_for(lambda: "trend: the daily pass" in d.stderr(), 15, what="the daily pass")
        lib.wait_for(lambda: "party" in [a["topic"] for a in alerts(st)], 15, what="the party alert")
    got = alerts(st)
    assert sorted(a["topic"] for a in got) == ["hiring", "party"], got
    party = [a for a in got if a["topic"] == "party"][0]
    assert party["enterprises"] == 9 and party["mean"] == 2, party
    lib.wait_for(lambda: len(leader_mails(sink)) >= 2, 15, what="the party alert's mail")
    # the second pass (the other daemon) recorded nothing again
    assert len(trend_items(st)) == 2
    assert (st.d.stderr() + other.stderr()).count("trend alert %s:party" % cur) == 1
    assert len(leader_mails(sink)) == 2
    lib.wait_for(lambda: len(leader_pushes(st)) >= 2, 15, what="the party alert's push")
    assert sorted(p["data"]["alert"]["topic"] for p in leader_pushes(st)) == ["hiring", "party"]


def test_alerts_by_period_and_refusals(zone):
    st, other, sink = zone
    cur = lib.current_period()
    prev = lib.period_shift(cur, -1)
    assert len(alerts(st, "?from=%s&to=%s" % (cur, cur))) == 2
    assert alerts(st, "?to=" + prev) == []
    assert len(alerts(st, "?from=" + prev)) == 2
    tok = admin(st)
    lib.assert_error(st.d.get("/api/v1/alerts?from=2026-13-1", token=tok), 422, "invalid", "from")
    lib.assert_error(st.d.get("/api/v1/alerts?from=%s&to=%s" % (cur, prev), token=tok), 422, "invalid",
                     "from")
    lib.assert_error(st.d.get("/api/v1/alerts?since=1", token=tok), 400, "bad_request")
    officer = st.token("officer", st.roster["officers"][0]["id"])
    assert st.d.get("/api/v1/alerts", token=officer).status == 403


def test_the_leaders_digest_lists_the_weeks_alerts(zone):
    st, other, sink = zone
    cur = lib.current_period()
    # hiring's alert moved back into last week; party's stays in this one
    k = lib.PREFIX + "alert:%s:hiring" % cur
    st.r.hset(k, "at", int(st.r.hget(k, "at")) - 7 * 86400 * 1000)
    week = lib.last_week()
    resp = st.d.post("/api/v1/digests", {"week": week}, token=admin(st))
    assert resp.status == 202, resp

    def digest():
        return [m for m in sink.snapshot() if LEADER in m["to"] and "周报" in str(m["msg"]["subject"])]
    lib.wait_for(lambda: digest(), 30, what="the leaders' digest")
    text = digest()[0]["msg"].get_body(("plain",)).get_content()
    assert "趋势预警（未诉先办）" in text, text
    section = text.split("趋势预警（未诉先办）", 1)[1].split("\n== ", 1)[0]
    assert "用工招聘 | %s | 5 | 1.0" % cur in section, section
    assert "党建工作" not in section, section
    html = digest()[0]["msg"].get_body(("html",)).get_content()
    assert "趋势预警（未诉先办）" in html and "用工招聘" in html


def test_a_report_judges_its_topic_only_when_it_counts_a_new_enterprise(zone):
    st, other, sink = zone
    cur = lib.current_period()
    (o1, e1), (o2, e2) = distinct_enterprises(st, 2)
    # safety: nine enterprises counted (as a reload's lower trend_min would
    # leave them), e1 among them; none before (the mean 0)
    st.r.hset(lib.PREFIX + "trend:" + cur, "safety", 9)
    st.r.sadd(lib.PREFIX + "trend:%s:safety" % cur, e1)
    # e1 again: the count stays 9, the report judges nothing (the daily
    # pass is the one to see a count no report changed)
    submit(st, o1, [lib.item(e1, topic="safety")])
    assert st.r.hget(lib.PREFIX + "trend:" + cur, "safety") == b"9"
    assert [a for a in alerts(st) if a["topic"] == "safety"] == []
    # a new enterprise changes the count: judged, alerted
    submit(st, o2, [lib.item(e2, topic="safety")], via=other)
    got = [a for a in alerts(st) if a["topic"] == "safety"]
    assert len(got) == 1 and got[0]["enterprises"] == 10, got
