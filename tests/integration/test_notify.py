"""Officers are told (issue 17): when their issue is claimed late, responded
to, resolved, returned or escalated, the officer gets one mail, merged with
the events of the same batch ([notify] batch_seconds here, batch_minutes in
production), multipart like the digest, with a link that opens the issue on
/form; sent once across a restart; an officer without email is skipped and
counted; a down SMTP server means a later try, not a lost mail. A real SMTP
server (lib.SmtpSink) receives them.
"""

import os
import time

import pytest

import lib
from flow import act_ok, admin, get_issue, second_daemon, submit

BATCH = 3


def stack(workdir, sink, notify=None, deadlines=None, roster=None):
    conf = {"notify": dict({"batch_seconds": BATCH, "check_seconds": 1}, **(notify or {})),
            "digest": {"enabled": "no", "retry_seconds": 1}}
    if deadlines:
        conf["deadlines"] = deadlines
    st = lib.Stack(str(workdir), start=False, conf=conf, smtp_port=sink.port)
    if roster:
        roster(st.roster)
        lib.write_roster(st.d.roster_path, st.roster)
    return st.start()


def report(st, oid, title):
    ent = st.officer(oid)["enterprises"][0]
    doc = submit(st, oid, [lib.item(ent, topic="hiring", title=title, detail=title + "，请协调")])
    issue = doc["issues"][0]
    return issue["id"], issue["tasks"][0]["id"]


def outcomes(st):
    samples = st.d.metrics()
    out = {o: int(lib.metric(samples, "liaisond_notify_mails_total", outcome=o))
           for o in ("sent", "refused", "retried", "skipped")}
    out["pending"] = int(lib.metric(samples, "liaisond_notify_pending"))
    return out


def parts(msg):
    """{content type: text} of a multipart message's leaves, in order."""
    return [(p.get_content_type(), p.get_content()) for p in msg.walk() if not p.is_multipart()]


def save_example(html):
    """With DIGEST_EXAMPLE_DIR set (tests/browser/run), keep the officer's
    mail there as officer.html, for the 360 px test of every mail."""
    out = os.environ.get("DIGEST_EXAMPLE_DIR")
    if out:
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "officer.html"), "w", encoding="utf-8") as f:
            f.write(html)


def no_notify_keys(st):
    return [k for k in st.r.scan_iter(lib.PREFIX + "notify:*") if not k.endswith(b":stats")]


def test_a_response_and_a_resolution_in_one_batch_make_one_mail(tmp_path):
    with lib.SmtpSink() as sink, stack(tmp_path, sink) as st:
        o = st.officer("O001")
        issue, task = report(st, "O001", "园区道路积水影响通行")
        act_ok(st, task, "claim", text="王五")        # in time: no mail
        act_ok(st, task, "respond", text="已联系市政部门排水")
        act_ok(st, task, "resolve", text="积水已排除，加装排水管")
        sink.wait(1, timeout=BATCH + 15)
        time.sleep(BATCH + 2)
        mails = sink.to(o["email"])
        assert len(mails) == 1, [m["msg"]["subject"] for m in sink.snapshot()]
        msg = mails[0]["msg"]
        assert msg["subject"] == "问题 %s 有 2 条新进展" % issue
        assert msg["to"].addresses[0].display_name == o["name"]
        assert msg.get_content_type() == "multipart/alternative"
        (t1, text), (t2, html) = parts(msg)
        assert (t1, t2) == ("text/plain", "text/html")
        assert "部门已回应" in text and "已联系市政部门排水" in text
        assert "部门已办结，请确认" in text and "积水已排除，加装排水管" in text
        assert "认领（" not in text                    # the in-time claim is not told
        link = "%s/form/issues/%s" % ("http://127.0.0.1:%d" % st.d.port, issue)
        assert link in text and 'href="%s"' % link in html
        assert "人力资源和社会保障局" in html
        save_example(html)
        assert no_notify_keys(st) == []
        assert outcomes(st) == {"sent": 1, "refused": 0, "retried": 0, "skipped": 0, "pending": 0}


def test_a_late_claim_and_the_escalation_before_it_are_told(tmp_path):
    with lib.SmtpSink() as sink, stack(tmp_path, sink, deadlines={"claim_seconds": 1}) as st:
        o = st.officer("O003")
        issue, task = report(st, "O003", "企业用电增容审批慢")
        lib.wait_for(lambda: any(h["event"] == "escalated" for h in get_issue(st, issue)["history"]),
                     10, what="the claim deadline to pass")
        act_ok(st, task, "claim", text="李四")
        sink.wait(1, timeout=BATCH + 15)
        time.sleep(1)
        text = "".join(t for m in sink.to(o["email"]) for _, t in parts(m["msg"]) if _ == "text/plain")
        assert "办理超期，已督办" in text and "部门已认领（超过认领期限）" in text
        assert all(issue in m["msg"]["subject"] for m in sink.to(o["email"]))


def test_a_returned_task_is_told_with_the_reason(tmp_path):
    with lib.SmtpSink() as sink, stack(tmp_path, sink) as st:
        o = st.officer("O004")
        issue, task = report(st, "O004", "出口退税进度查询")
        act_ok(st, task, "return", text="出口退税属税务分局职责")
        msg = sink.wait(1, timeout=BATCH + 15)[0]["msg"]
        assert msg["subject"] == "问题 %s：部门退单，等待管理员重新分派" % issue
        assert sink.to(o["email"]) and "出口退税属税务分局职责" in msg.get_body(("plain",)).get_content()


def test_an_officer_without_email_is_skipped_and_counted(tmp_path):
    def no_email(roster):
        next(x for x in roster["officers"] if x["id"] == "O005").pop("email", None)

    with lib.SmtpSink() as sink, stack(tmp_path, sink, roster=no_email) as st:
        _, task = report(st, "O005", "厂区周边治安问题")
        act_ok(st, task, "claim")
        act_ok(st, task, "respond")
        lib.wait_for(lambda: outcomes(st)["skipped"] == 1, BATCH + 15, what="the skip")
        assert sink.snapshot() == []
        assert no_notify_keys(st) == []
        assert outcomes(st)["sent"] == 0


def test_a_batch_is_sent_once_across_a_killed_daemon(tmp_path):
    with lib.SmtpSink() as sink, stack(tmp_path, sink) as st:
        o = st.officer("O006")
        issue, task = report(st, "O006", "企业招工难")
        act_ok(st, task, "claim")
        act_ok(st, task, "respond")
        st.d.kill()
        assert st.r.llen(lib.PREFIX + "notify:pending:O006") == 1
        st.d.start()
        sink.wait(1, timeout=BATCH + 15)
        time.sleep(BATCH + 2)
        assert len(sink.to(o["email"])) == 1
        assert no_notify_keys(st) == []


def test_smtp_down_is_tried_again_and_the_mail_arrives_once(tmp_path):
    with lib.SmtpSink() as sink, stack(tmp_path, sink) as st:
        sink.stop()
        o = st.officer("O007")
        _, task = report(st, "O007", "员工子女入学咨询")
        act_ok(st, task, "claim")
        act_ok(st, task, "respond")
        lib.wait_for(lambda: outcomes(st)["retried"] >= 1, BATCH + 15, what="a failed try")
        assert st.r.exists(lib.PREFIX + "notify:sending:O007")
        sink.start()
        sink.wait(1, timeout=20)
        time.sleep(2)
        assert len(sink.to(o["email"])) == 1
        assert outcomes(st)["sent"] == 1


def test_with_notify_disabled_nothing_is_queued(tmp_path):
    with lib.SmtpSink() as sink, stack(tmp_path, sink, notify={"enabled": "no"}) as st:
        _, task = report(st, "O008", "企业融资难")
        act_ok(st, task, "claim")
        act_ok(st, task, "respond")
        time.sleep(BATCH + 1)
        assert sink.snapshot() == [] and list(st.r.scan_iter(lib.PREFIX + "notify:*")) == []


def remind(st, period, kind, officers):
    """notify.lua's remind action, as the daemon runs it on a reminder day
    (which days those are is notify_reminder's, tested in test_notify.c)."""
    src = "".join(open(lib.os.path.join(lib.REPO, "src", "lua", f), encoding="utf-8").read()
                  for f in ("prelude.lua", "notify.lua"))
    payload = lib.json.dumps({"period": period, "kind": kind, "now": int(time.time() * 1000),
                              "officers": officers})
    return st.r.eval(src, 0, lib.PREFIX, "remind", payload)


def test_a_reminder_goes_once_to_each_officer_who_has_not_reported(tmp_path):
    with lib.SmtpSink() as sink, stack(tmp_path, sink) as st:
        period = lib.current_period()
        report(st, "O009", "已报送的指导员")                  # O009 has reported
        assert remind(st, period, "remind_early", ["O009", "O010", "O011"]) == 2
        assert remind(st, period, "remind_early", ["O009", "O010", "O011"]) == 0   # once
        mails = sink.wait(2, timeout=15)
        time.sleep(2)
        assert len(sink.snapshot()) == 2
        to = sorted(a for m in mails for a in m["to"])
        assert to == sorted(st.officer(o)["email"] for o in ("O010", "O011"))
        msg = mails[0]["msg"]
        assert msg["subject"] == "本期报送即将截止（%s）：您尚未报送" % period
        assert "http://127.0.0.1:%d/form" % st.d.port in msg.get_body(("plain",)).get_content()
        assert remind(st, period, "remind_last", ["O010"]) == 1                   # the last day's is another
        assert st.r.ttl(lib.PREFIX + "notify:reminded:%s:remind_early" % period) > 0


def test_three_daemons_on_one_redis_send_each_mail_once(tmp_path):
    with lib.SmtpSink() as sink, stack(tmp_path, sink) as st:
        others = []
        for n in ("second", "third"):
            others.append(second_daemon(st, str(tmp_path / n)).start())
        try:
            told = {"O012": "厂区门前道路破损", "O013": "员工食堂卫生许可", "O014": "出口报关手续",
                    "O015": "高新企业认定材料"}
            for oid, title in told.items():
                _, task = report(st, oid, title)
                act_ok(st, task, "claim")
                act_ok(st, task, "respond")
            sink.wait(len(told), timeout=BATCH + 20)
            time.sleep(BATCH + 2)
            for oid in told:
                assert len(sink.to(st.officer(oid)["email"])) == 1, oid
            assert len(sink.snapshot()) == len(told)
        finally:
            for d in others:
                d.terminate()
