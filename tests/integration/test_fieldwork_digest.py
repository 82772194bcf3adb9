"""The leaders' weekly digest carries the field work (SPEC §11): the week's
visits, the officers with no visit in visit_days, the enterprises not
visited this quarter, and the year's figures with summary_zh."""

import datetime
import time

import flow
import lib


def test_zone_digest_has_the_field_work(tmp_path):
    leaders = [{"name": "领导甲", "email": "a@jkq.example.gov.cn"}]
    with lib.SmtpSink() as sink, \
            flow.digest_stack(tmp_path, sink, digest={"enabled": "no"}, leaders=leaders,
                              conf={"fieldwork": {"visit_days": 10}}) as st:
        a, b = "O003", "O004"
        ents = st.officer(a)["enterprises"]
        today = datetime.datetime.now(lib.TZ).date()
        last_monday = today - datetime.timedelta(days=today.weekday() + 7)
        flow.visit(st, a, ents[0], date=(last_monday + datetime.timedelta(days=2)).isoformat(), suggestions=3)
        flow.visit(st, a, ents[1], date=today.isoformat())
        resp = st.d.post("/api/v1/digests", {"week": lib.last_week()}, token=flow.admin(st))
        assert resp.status == 202, resp
        sink.wait(1)
        time.sleep(0.5)
        mails = [m for m in sink.snapshot() if "a@jkq.example.gov.cn" in m["to"]]
        assert len(mails) == 1, sink.snapshot()
        text = mails[0]["msg"].get_body(("plain",)).get_content()
        html = mails[0]["msg"].get_body(("html",)).get_content()
        assert "走访与工作成效" in text and "走访与工作成效" in html
        assert "本周走访企业 1 次，收集意见建议 3 条" in text, text
        assert "%d年以来，党建指导员共走访企业2次" % today.year in text, text
        idle = text[text.index("10 天内未走访任何联系企业的指导员"):text.index("本季度尚未走访的企业")]
        names = {o["id"]: o["name"] for o in st.roster["officers"]}
        assert names[b] in idle and names[a] not in idle, idle
        assert "共 %d 人" % (len(st.roster["officers"]) - 1) in idle, idle
        unvisited = text[text.index("本季度尚未走访的企业"):]
        ent_names = {e["id"]: e["name"] for e in st.roster["enterprises"]}
        assert ent_names[ents[1]] not in unvisited, unvisited[:500]
