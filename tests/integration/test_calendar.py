"""The working-day calendar runs out each year (issue 19): /metrics shows the
last date it covers, and the leaders' digest warns when it lacks this year
or the next, so that someone adds the State Council's new notice in time.
Each test on a calendar file of its own, relative to today's year.
"""

import datetime

import lib
from flow import admin


def use_calendar(st, path, years):
    """Point st's (not yet started) daemon at a calendar listing a holiday
    in each of years."""
    with open(path, "w", encoding="utf-8") as f:
        for y in years:
            f.write("%d-10-01 off 国庆节\n" % y)
    text = open(st.d.conf, encoding="utf-8").read()
    text = text.replace("calendar = " + lib.CALENDAR_FILE, "calendar = " + str(path))
    with open(st.d.conf, "w", encoding="utf-8") as f:
        f.write(text)


def test_metrics_gauge_names_the_last_covered_date(tmp_path):
    year = datetime.date.today().year
    with lib.Stack(str(tmp_path / "s"), start=False) as st:
        use_calendar(st, tmp_path / "holidays.txt", [year, year + 1])
        st.start()
        samples = st.d.metrics()
        v = lib.metric(samples, "liaisond_calendar_covered_until_seconds", last="%d-12-31" % (year + 1))
        # the zone's midnight (the roster's timezone) of the day after
        want = datetime.datetime(year + 2, 1, 1, tzinfo=lib.TZ).timestamp()
        assert int(v) == int(want), v


def zone_text(sink, st):
    week = lib.last_week()
    resp = st.d.post("/api/v1/digests", {"week": week}, token=admin(st))
    assert resp.status == 202, resp
    mails = sink.wait(1)
    m = next(m for m in mails if "leader" in " ".join(m["to"]))
    return m["msg"].get_body(("plain",)).get_content()


def test_leaders_digest_warns_when_the_calendar_runs_out(tmp_path):
    year = datetime.date.today().year
    with lib.SmtpSink() as sink:
        st = lib.Stack(str(tmp_path / "a"), start=False,
                       conf={"digest": {"enabled": "no", "check_seconds": 1, "retry_seconds": 1}},
                       smtp_port=sink.port)
        with st:
            use_calendar(st, tmp_path / "short.txt", [year])
            st.start()
            text = zone_text(sink, st)
            assert "请更新节假日日历" in text, text
            assert "只到 %d 年 12 月 31 日" % year in text and "缺少 %d 年" % (year + 1) in text, text


def test_leaders_digest_is_quiet_while_the_calendar_covers_next_year(tmp_path):
    year = datetime.date.today().year
    with lib.SmtpSink() as sink:
        st = lib.Stack(str(tmp_path / "b"), start=False,
                       conf={"digest": {"enabled": "no", "check_seconds": 1, "retry_seconds": 1}},
                       smtp_port=sink.port)
        with st:
            use_calendar(st, tmp_path / "long.txt", [year, year + 1])
            st.start()
            text = zone_text(sink, st)
            assert "节假日日历" not in text, text


def admin_page(st):
    from flow import web_get, web_login
    return web_get(st, "/admin", web_login(st, st.token("admin", "ops"))).body.decode()


def test_the_admin_page_warns_when_the_calendar_runs_out(tmp_path):
    year = datetime.date.today().year
    with lib.Stack(str(tmp_path / "s"), start=False) as st:
        use_calendar(st, tmp_path / "short.txt", [year])
        st.start()
        page = admin_page(st)
        assert 'id="calendar"' in page and "请更新节假日日历" in page, page
        assert "工作日日历只到 %d 年 12 月 31 日，缺少 %d 年" % (year, year + 1) in page


def test_the_admin_page_is_quiet_while_the_calendar_covers_next_year(tmp_path):
    year = datetime.date.today().year
    with lib.Stack(str(tmp_path / "s"), start=False) as st:
        use_calendar(st, tmp_path / "long.txt", [year, year + 1])
        st.start()
        page = admin_page(st)
        assert 'id="calendar"' not in page and "节假日日历" not in page
