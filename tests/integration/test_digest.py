"""The weekly digest (issue 5): real mail through a real SMTP server on
loopback (aiosmtpd in this process, lib.SmtpSink), parsed with the email
package.

  content      a known scenario, moved back one week in Redis, sent on an
               admin's request: the department and leaders' messages carry
               both parts, UTF-8, the RFC 2047 subject and the figures
  once only    the schedule sends a week once across two daemons sharing a
               Redis and across a restart; an admin (API or liaisonctl) sends
               it again
  refused      a 550 for one recipient: the others still get theirs, the
               refused one is not tried again
  SMTP down    mails wait in Redis and arrive once the server is up, each
               once
"""

import datetime
import json
import os
import re
import time

import pytest

import lib
from flow import (act_ok, admin, digest_metrics, digest_stack, digest_units, second_daemon, submit,
                  week_state)
from lib import last_week, this_week

WEEK_MS = 7 * 86400 * 1000
# What happened moves back; deadlines stay where they are (counted in working
# days, they would shift with the weekday the test runs on).
TIME_FIELDS = ("created", "claimed_at", "responded_at", "resolved_at", "returned_at")


def shift_back(st, issue_ids, ms=WEEK_MS):
    """Move issues, their tasks and the webhook deliveries back in time, as
    if reported last week."""
    r, P = st.r, lib.PREFIX
    for d, score in r.zrange(P + "deliveries", 0, -1, withscores=True):
        r.zadd(P + "deliveries", {d: score - ms})
        r.hset(P + "delivery:" + d.decode(), "created", int(r.hget(P + "delivery:" + d.decode(), "created")) - ms)
    tasks = set()
    for iid in issue_ids:
        for f in TIME_FIELDS:
            v = r.hget(P + "issue:" + iid, f)
            if v and v.isdigit():
                r.hset(P + "issue:" + iid, f, int(v) - ms)
        score = r.zscore(P + "issues", iid)
        r.zadd(P + "issues", {iid: score - ms})
        score = r.zscore(P + "issues:resolved", iid)
        if score is not None:
            r.zadd(P + "issues:resolved", {iid: score - ms})
        for t in json.loads(r.hget(P + "issue:" + iid, "tasks")):
            tasks.add(t)
    for tid in tasks:
        for f in TIME_FIELDS:
            v = r.hget(P + "task:" + tid, f)
            if v and v.isdigit():
                r.hset(P + "task:" + tid, f, int(v) - ms)


def parts(m):
    """The message is multipart/alternative itself, not wrapped in a
    multipart/mixed: its parts."""
    msg = m["msg"]
    assert msg.get_content_type() == "multipart/alternative", msg
    assert msg.get_param("boundary"), msg
    assert [p.get_content_type() for p in msg.walk()].count("multipart/alternative") == 1
    return list(msg.iter_parts())


# -- content ----------------------------------------------------------------

def save_examples(mails):
    """With DIGEST_EXAMPLE_DIR set (scripts/digest-example), keep the HTML of
    hr's and the leaders' messages there, for docs/digest."""
    out = os.environ.get("DIGEST_EXAMPLE_DIR")
    if not out:
        return
    os.makedirs(out, exist_ok=True)
    for m in mails:
        name = {"hr@jkq.example.gov.cn": "department", "leader@jkq.example.gov.cn": "zone"}.get(m["to"][0])
        if name:
            with open(os.path.join(out, name + ".html"), "w", encoding="utf-8") as f:
                f.write(m["msg"].get_body(("html",)).get_content())

@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """hr: A queued (claim overdue → difficult), B claimed, C resolved and
    confirmed satisfied; tax: D flagged difficult, claimed. All moved back
    into last week. hr's E was received the week before, resolved last week
    and confirmed (closed): it counts in neither week's intake nor the open
    items, but among last week's resolved ones. Then an admin asks for last
    week's digest."""
    # tax's endpoint is down and gets one attempt: its delivery is dead
    with lib.SmtpSink() as sink, \
            digest_stack(tmp_path_factory.mktemp("digest"), sink, digest={"enabled": "no"},
                         conf={"deadlines": {"claim_seconds": 2}, "webhooks": {"schedule": "0"}},
                         webhooks={"tax": "http://127.0.0.1:%d/hooks/tax" % lib.free_port()}) as st:
        oid = "O002"
        ents = st.officer(oid)["enterprises"]
        st.token("department", "hr"), st.token("department", "tax"), admin(st)
        items = [lib.item(ents[0], topic="hiring", title="普工缺口较大"),
                 lib.item(ents[1], topic="hiring", title="技术工人招聘难"),
                 lib.item(ents[2], topic="labor", title="社保缴费基数<咨询>"),
                 lib.item(ents[3], topic="tax", title="研发费用加计扣除", difficult=True),
                 lib.item(ents[0], topic="labor", title="老员工返岗合同续签")]
        doc = submit(st, oid, items)
        ids = [i["id"] for i in doc["issues"]]
        tasks = [i["tasks"][0]["id"] for i in doc["issues"]]
        act_ok(st, tasks[1], "claim", text="李四")
        act_ok(st, tasks[2], "claim", text="王五")
        act_ok(st, tasks[2], "respond", text="已电话联系企业，核实缴费基数情况")
        act_ok(st, tasks[2], "resolve", text="已按政策调整缴费基数，企业确认")
        act_ok(st, tasks[3], "claim", dept="tax", text="赵六")
        for a in ("claim", "respond", "resolve"):
            act_ok(st, tasks[4], a)
        for i in (2, 4):
            resp = st.d.post("/api/v1/issues/%s/confirm" % ids[i], {"satisfaction": "satisfied"},
                             token=st.token("officer", oid))
            assert resp.status == 200, resp
        # A's claim deadline passes and it is escalated (difficult)
        lib.wait_for(lambda: st.r.hget(lib.PREFIX + "issue:" + ids[0], "category") == b"difficult", 15,
                     what="A escalated")
        lib.wait_for(lambda: st.r.zcard(lib.PREFIX + "deliveries") >= 4, 10, what="deliveries")
        lib.wait_for(lambda: any(st.r.hget(lib.PREFIX + "delivery:" + d.decode(), "status") == b"dead"
                                 for d in st.r.zrange(lib.PREFIX + "deliveries", 0, -1)), 15,
                     what="tax's delivery dead")
        shift_back(st, ids)
        # E was received a week earlier still: everything but its resolution
        r, P = st.r, lib.PREFIX
        r.zadd(P + "issues", {ids[4]: r.zscore(P + "issues", ids[4]) - WEEK_MS})
        r.hset(P + "issue:" + ids[4], "created", int(r.hget(P + "issue:" + ids[4], "created")) - WEEK_MS)
        for f in ("created", "claimed_at", "responded_at"):
            v = int(r.hget(P + "task:" + tasks[4], f))
            r.hset(P + "task:" + tasks[4], f, v - WEEK_MS)
        week = last_week()
        resp = st.d.post("/api/v1/digests", {"week": week}, token=admin(st))
        assert resp.status == 202, resp
        sink.wait(3)
        time.sleep(1.5)
        save_examples(sink.snapshot())
        yield {"st": st, "sink": sink, "week": week, "ids": ids, "tasks": tasks, "resp": resp,
               "mails": sink.snapshot()}


def by_rcpt(scene, addr):
    got = [m for m in scene["mails"] if addr in m["to"]]
    assert len(got) == 1, [m["to"] for m in scene["mails"]]
    return got[0]


def test_post_digests_answers_202_with_the_run(scene):
    doc = scene["resp"].json()
    assert doc["week"] == scene["week"] and doc["run"] == 1 and doc["state"] == "requested"


def test_only_departments_with_work_and_the_leaders_get_mail(scene):
    rcpts = sorted(a for m in scene["mails"] for a in m["to"])
    assert rcpts == ["hr@jkq.example.gov.cn", "leader@jkq.example.gov.cn", "tax@jkq.example.gov.cn"]
    st = week_state(scene["st"], scene["week"])
    assert st["state"] == "done" and st["units"] == "3" and st["sent"] == "3", st


def test_message_is_multipart_alternative_text_first_utf8(scene):
    for m in scene["mails"]:
        msg = m["msg"]
        sub = parts(m)
        assert [p.get_content_type() for p in sub] == ["text/plain", "text/html"]
        assert all(p.get_content_charset() == "utf-8" for p in sub)
        assert msg["Date"] and msg["Message-ID"] and msg["From"] and msg["To"]
        assert msg["Message-ID"].startswith("<digest.") and msg["Message-ID"].endswith("@example.gov.cn>")
        assert msg["From"].addresses[0].addr_spec == "liaisond@example.gov.cn"
        assert msg["From"].addresses[0].display_name == "安庆经开区 问题清单"
        raw = m["raw"].decode("ascii")
        head = raw.split("\r\n\r\n", 1)[0]
        assert len(re.findall(r"(?mi)^Content-Type:", head)) == 1, head
        assert re.search(r"(?mi)^Mime-Version: 1.0", head), head
        subject_lines = re.search(r"(?ms)^Subject: (.*?)\r?\n(?=\S)", raw).group(1)
        words = re.findall(r"=\?UTF-8\?B\?[A-Za-z0-9+/=]*\?=", subject_lines)
        assert words and all(len(w) <= 75 for w in words), subject_lines
        assert m["from"] == "liaisond@example.gov.cn"


def test_subjects_decode_to_the_week_and_the_recipient(scene):
    y, w = scene["week"].split("-W")
    hr = by_rcpt(scene, "hr@jkq.example.gov.cn")["msg"]
    assert hr["Subject"] == "【问题清单周报】人力资源和社会保障局 %d年第%d周" % (int(y), int(w))
    zone = by_rcpt(scene, "leader@jkq.example.gov.cn")["msg"]
    assert zone["Subject"] == "【问题清单周报】安庆经开区 %d年第%d周" % (int(y), int(w))
    assert zone["To"].addresses[0].display_name == "郑英子"


def text_of(m):
    return m["msg"].get_body(("plain",)).get_content()


def html_of(m):
    return m["msg"].get_body(("html",)).get_content()


def table_rows(text):
    """The lines of the text tables ("a | b | c"), by their first cell."""
    return {line.split(" | ")[0]: line.split(" | ") for line in text.splitlines() if " | " in line}


def test_department_mail_lists_its_open_items_ages_and_overdue(scene):
    m = by_rcpt(scene, "hr@jkq.example.gov.cn")
    text = text_of(m)
    t = scene["tasks"]
    assert "本周收到 3 项；目前待认领 1 项、已认领 1 项、已回应 0 项，其中超期 1 项；本周办结 2 项。" in text, text
    rows = table_rows(text)
    a, b = rows[t[0]], rows[t[1]]
    assert a[1] == "普工缺口较大" and a[2] == "待认领" and a[3] == "7天" and a[5] == "超期", a
    assert b[1] == "技术工人招聘难" and b[2] == "已认领" and b[5] == "—", b
    assert rows[t[2]][1] == "社保缴费基数<咨询>"        # resolved this week
    assert rows[t[4]][1] == "老员工返岗合同续签"        # received earlier, resolved and closed this week
    assert t[3] not in rows                              # tax's task is not hr's business
    html = html_of(m)
    assert "社保缴费基数&lt;咨询&gt;" in html and "<咨询>" not in html
    assert "<style" not in html and "<script" not in html


def test_department_mail_links_to_its_page_and_each_task(scene):
    m = by_rcpt(scene, "hr@jkq.example.gov.cn")
    text, html = text_of(m), html_of(m)
    t = scene["tasks"]
    base = re.search(r"打开部门办理页面：(\S+)/dept\n", text).group(1)
    assert base.startswith("http"), text
    for tid in (t[0], t[1], t[2]):
        link = "%s/dept#task-%s" % (base, tid)
        assert "%s：%s" % (tid, link) in text, text
        assert '<a href="%s">%s</a>' % (link, tid) in html, html
    # the page link is digest_doc_link's (mail.c's colour for links)
    assert re.search(r'<a [^>]*href="%s/dept">打开部门办理页面</a>' % re.escape(base), html), html


def test_zone_mail_has_each_departments_figures_and_rates(scene):
    text = text_of(by_rcpt(scene, "leader@jkq.example.gov.cn"))
    rows = table_rows(text)
    # 部门 | 收到 | 按时认领 | 已回应 | 已办结 | 超期未办 | 响应率 | 办结率 | 满意率 | 得分 | 排名
    # 响应率 counts only what was due: A and B are not past their respond
    # deadline (working days away), so hr's is C's 1 of 1 and tax's undefined.
    # A rate with nothing to measure counts as the zone's (issue 16's score):
    # tax and party score the zone's 100.0 and share rank 1 with hr.
    assert rows["人力资源和社会保障局"][1:] == ["3", "2", "1", "1", "1", "100.0%", "100.0%", "100.0%",
                                         "100.0", "1"], rows
    names = {d["id"]: d["name"] for d in scene["st"].roster["departments"]}
    assert rows[names["tax"]][1:] == ["1", "1", "0", "0", "0", "—", "—", "—", "100.0", "1"], rows[names["tax"]]
    assert rows[names["party"]][1:] == ["0", "0", "0", "0", "0", "—", "—", "—", "100.0", "1"]
    assert rows["合计"][1:6] == ["4", "3", "1", "1", "1"], rows["合计"]
    assert rows["合计"][-1] == "—"


def test_zone_mail_counts_by_category_and_lists_difficult_issues(scene):
    text = text_of(by_rcpt(scene, "leader@jkq.example.gov.cn"))
    rows = table_rows(text)
    assert rows["个性"][1] == "2" and rows["共性"][1] == "0" and rows["疑难"][1] == "2", text
    ids = scene["ids"]
    assert ids[0] in rows and ids[3] in rows          # escalated, and flagged
    assert ids[1] not in rows and ids[2] not in rows


def period_end(p):
    """The first moment after half-month p (YYYY-MM-H), in the zone."""
    y, m, h = (int(x) for x in p.split("-"))
    if h == 1:
        return datetime.datetime(y, m, 16, tzinfo=lib.TZ)
    return datetime.datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=lib.TZ)


def test_zone_mail_names_officers_who_have_not_reported(scene):
    """The previous period's misses always; the current period's officers
    not reported yet only in its last three days."""
    st = scene["st"]
    text = text_of(by_rcpt(scene, "leader@jkq.example.gov.cn"))
    prev = text.split("上期")[1]
    assert "共 %d 人" % len(st.roster["officers"]) in prev
    assert st.officer("O002")["name"] in prev
    left = period_end(lib.current_period()) - datetime.datetime.now(lib.TZ)
    if left > datetime.timedelta(days=3, minutes=1):
        assert "本期（" not in text, text
    elif left < datetime.timedelta(days=3, minutes=-1):
        cur = text.split("本期（")[1]
        assert "即将截止" in cur and "共 %d 人" % (len(st.roster["officers"]) - 1) in cur
        assert st.officer("O002")["name"] not in cur
        assert st.officer("O003")["name"] in cur


def test_zone_mail_lists_dead_webhook_deliveries(scene):
    text = text_of(by_rcpt(scene, "leader@jkq.example.gov.cn"))
    dead = text.split("推送失败")[1]
    assert "共 1 条" in dead, dead
    row = [line.split(" | ") for line in dead.splitlines() if "税务分局" in line]
    assert len(row) == 1 and row[0][2] == "task.queued" and row[0][3] == scene["tasks"][3], dead


# -- once only, and again on request ------------------------------------------

LEADERS = [{"name": "领导甲", "email": "a@jkq.example.gov.cn"},
           {"name": "领导乙", "email": "b@jkq.example.gov.cn"},
           {"name": "领导丙", "email": "c@jkq.example.gov.cn"}]


def rcpt_counts(sink):
    counts = {}
    for m in sink.snapshot():
        for a in m["to"]:
            counts[a] = counts.get(a, 0) + 1
    return counts


def test_a_week_is_sent_once_by_two_daemons_and_across_a_restart(tmp_path):
    with lib.SmtpSink() as sink, digest_stack(tmp_path, sink, leaders=LEADERS) as st:
        other = second_daemon(st, str(tmp_path / "second")).start()
        try:
            sink.wait(3)
            time.sleep(3)                              # three more ticks of each daemon
            assert rcpt_counts(sink) == {"a@jkq.example.gov.cn": 1, "b@jkq.example.gov.cn": 1,
                                         "c@jkq.example.gov.cn": 1}
            week = last_week()
            assert week_state(st, week)["state"] == "done"
            assert week_state(st, week)["requested_by"] == "schedule"
            # a restart of both finds the week done
            st.d.stop_and_check()
            st.d.checked = False
            st.d.start()
            time.sleep(3)
            assert len(sink.snapshot()) == 3

            # an admin asks again: with liaisonctl, then over the API
            p = st.d.ctl("digest", "--week", week)
            assert "run 2" in p.stdout
            lib.wait_for(lambda: len(sink.snapshot()) == 6, 15, what="run 2")
            resp = st.d.post("/api/v1/digests", {"week": week}, token=admin(st))
            assert resp.status == 202 and resp.json()["run"] == 3, resp
            lib.wait_for(lambda: len(sink.snapshot()) == 9, 15, what="run 3")
            time.sleep(2)
            assert set(rcpt_counts(sink).values()) == {3}
            state = week_state(st, week)
            assert state["run"] == "3" and state["requested_by"] == "ops" and state["state"] == "done"
            p = st.d.ctl("digest", "status", "--week", week)
            assert "state=done" in p.stdout and "sent=3" in p.stdout
        finally:
            other.stop_and_check()
            other.kill()


def test_first_start_does_not_mail_last_weeks_empty_digest(tmp_path):
    """A fresh Redis: the schedule's moment for last week has passed, but
    the week ended before liaisond ran, so nothing is mailed by itself; an
    admin can still ask for it."""
    with lib.SmtpSink() as sink, digest_stack(tmp_path, sink, leaders=LEADERS, since=None) as st:
        time.sleep(3)                                  # three ticks
        assert sink.snapshot() == []
        week = last_week()
        assert week_state(st, week) == {}
        assert int(st.r.get(lib.PREFIX + "digest:since")) > 0
        resp = st.d.post("/api/v1/digests", {"week": week}, token=admin(st))
        assert resp.status == 202, resp
        sink.wait(3)


def test_post_digests_refuses_bad_weeks_and_non_admins(tmp_path):
    with lib.SmtpSink() as sink, digest_stack(tmp_path, sink, digest={"enabled": "no"}) as st:
        tok = admin(st)
        for week, status in (("2026-48", 422), ("2026-W54", 422), ("2025-W53", 422), (this_week(), 422),
                             ("2999-W01", 422)):
            resp = st.d.post("/api/v1/digests", {"week": week}, token=tok)
            lib.assert_error(resp, status, "invalid", "week")
        lib.assert_error(st.d.post("/api/v1/digests", {"week": 48}, token=tok), 400, "bad_request", "week")
        lib.assert_error(st.d.post("/api/v1/digests", {"week": last_week(), "x": 1}, token=tok), 400,
                         "bad_request")
        resp = st.d.post("/api/v1/digests", {"week": last_week()}, token=st.token("department", "hr"))
        assert resp.status == 403, resp
        p = st.d.ctl("digest", "--week", this_week(), check=False)
        assert p.returncode == 1 and "not ended" in p.stderr
        p = st.d.ctl("digest", "--week", "2026-W60", check=False)
        assert p.returncode == 1
        time.sleep(2)
        assert sink.snapshot() == []                    # disabled: nothing by the schedule


# -- refused recipient, server down --------------------------------------------

def test_a_refused_recipient_does_not_stop_the_others(tmp_path):
    with lib.SmtpSink(refuse={"b@jkq.example.gov.cn"}) as sink, \
            digest_stack(tmp_path, sink, leaders=LEADERS) as st:
        sink.wait(2)
        week = last_week()
        lib.wait_for(lambda: week_state(st, week).get("state") == "done", 10, what="week done")
        time.sleep(3)
        assert rcpt_counts(sink) == {"a@jkq.example.gov.cn": 1, "c@jkq.example.gov.cn": 1}
        assert sink.refused == ["b@jkq.example.gov.cn"]          # tried once, not again
        state = week_state(st, week)
        assert state["sent"] == "2" and state["refused"] == "1", state
        units = digest_units(st, week)
        assert units["zone|2"]["state"] == "refused" and "550" in units["zone|2"]["error"], units
        m = digest_metrics(st)
        assert m == {"sent": 2, "refused": 1, "retried": 0, "pending": 0}, m


def test_mail_waits_while_smtp_is_down_and_arrives_once_after_a_crash(tmp_path):
    with lib.SmtpSink(start=False) as sink, \
            digest_stack(tmp_path, sink, leaders=LEADERS, digest={"smtp_timeout_ms": 1000}) as st:
        week = last_week()

        def attempted():
            units = list(digest_units(st, week).values())
            return len(units) == 3 and all(u["attempts"] >= 1 and u["state"] == "pending" for u in units)
        lib.wait_for(attempted, 15, what="failed attempts")
        assert "Couldn't connect" in st.d.stderr() or "connect" in st.d.stderr()
        # the daemon dies; the built messages and their state are in Redis
        st.d.kill()
        sink.start()
        st.d.start()
        sink.wait(3, timeout=30)
        lib.wait_for(lambda: week_state(st, week).get("state") == "done", 10, what="week done")
        time.sleep(3)
        assert rcpt_counts(sink) == {a["email"]: 1 for a in LEADERS}


# -- more issues than one read ----------------------------------------------

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "digest_seed.lua")


def test_a_digest_of_more_issues_than_one_read_counts_each_once(tmp_path):
    """1,234 issues (tests/bench/digest_seed.lua: every tenth difficult, a
    common pair in twenty sharing one task) received last week: the digest
    reads them 500 at a time (ledger.lua's START COUNT, 'next:'; the week's
    from a score on, not an offset), and the mails count each task received,
    each open one and each difficult issue once."""
    n = 1234
    with lib.SmtpSink() as sink, digest_stack(tmp_path, sink, digest={"enabled": "no"}) as st:
        depts = [d["id"] for d in st.roster["departments"]]
        monday = datetime.datetime.strptime(last_week() + "-1", "%G-W%V-%u").replace(tzinfo=lib.TZ)
        end = int((monday + datetime.timedelta(days=6)).timestamp() * 1000)
        st.r.eval(open(SEED).read(), 0, lib.PREFIX, 1, n, n, end, 5 * 86400 * 1000, 10,
                  " ".join(depts), "%s:0" % lib.current_period())
        # the script read in slices: each answer names the next start
        sliced = st.r.eval(open(os.path.join(os.path.dirname(SEED), "..", "..", "src", "lua",
                                             "prelude.lua")).read() +
                           open(os.path.join(os.path.dirname(SEED), "..", "..", "src", "lua",
                                             "ledger.lua")).read(), 0, lib.PREFIX, "active", 0, 500)
        assert sliced[0] == b"next:500" and len(sliced) == 501, sliced[:1]
        # a week read from a score on: 1,200 issues created within 10 ms
        # (120 a millisecond), the slices end in the middle of a millisecond
        script = open(os.path.join(os.path.dirname(SEED), "..", "..", "src", "lua",
                                   "prelude.lua")).read() + \
            open(os.path.join(os.path.dirname(SEED), "..", "..", "src", "lua", "ledger.lua")).read()
        st.r.eval(open(SEED).read(), 0, "ties:", 1, 1200, 1200, end, 10, 10, " ".join(depts),
                  "%s:0" % lib.current_period())
        seen, start = [], "0"
        while start:
            got = st.r.eval(script, 0, "ties:", "range", end - 20, end + 1, start, 500)
            seen += [row[0][row[0].index(b"id") + 1].decode() for row in got[1:]]
            start = got[0].decode()[len("next:"):]
        assert len(seen) == len(set(seen)) == 1200, (len(seen), len(set(seen)))
        resp = st.d.post("/api/v1/digests", {"week": last_week()}, token=admin(st))
        assert resp.status == 202, resp
        lib.wait_for(lambda: week_state(st, last_week()).get("state") == "done", 30, what="week done")
        mails = sink.snapshot()
    states = ("queued", "queued", "queued", "claimed", "claimed", "responded")
    want = {s: 0 for s in states}
    received = 0
    for i in range(1, n + 1):
        if i % 20 != 11 and depts[i % len(depts)] == "hr":
            received += 1                   # hr's tasks, each once
            if i % 10 < 6:
                want[states[i % 10]] += 1
    hr = text_of(next(m for m in mails if "hr@jkq.example.gov.cn" in m["to"]))
    assert "本周收到 %d 项；目前待认领 %d 项、已认领 %d 项、已回应 %d 项" % (
        received, want["queued"], want["claimed"], want["responded"]) in hr, hr[:600]
    zone = text_of(next(m for m in mails if "leader@jkq.example.gov.cn" in m["to"]))
    assert "== 疑难问题 ==\n共 %d 项：" % (n // 10 + (n % 10 >= 4)) in zone, zone
