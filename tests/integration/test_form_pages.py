"""/form for the officer (issues 17 and 19): what the departments did since
the officer's last visit is marked (the last visit is kept in Redis, per
officer, so a restart or a second daemon keeps it); each issue has its own
page with its tasks, the departments' answers and the whole history in
each person's words; another officer's issue is nobody's business.
"""

import re
import time

import pytest

import lib
import flow
from flow import act_ok, issue_act, new_issue, task_of, web_get, web_hidden, web_login, web_post


@pytest.fixture(scope="module")
def st(tmp_path_factory):
    with lib.Stack(str(tmp_path_factory.mktemp("formpages"))) as s:
        yield s


def item_of(body, iid):
    text = body.decode() if isinstance(body, bytes) else body
    return text.split('id="issue-%s"' % iid)[1].split("</li>")[0]


def test_what_a_department_did_since_the_last_visit_is_marked_once(st):
    iss = new_issue(st, "O040", detail=lib.safe_text(30))
    tid = task_of(iss, "hr")
    cookie = web_login(st, st.token("officer", "O040"))
    first = web_get(st, "/form", cookie).body.decode()
    assert 'class="badge new"' not in first and 'id="news"' not in first
    time.sleep(0.01)                        # the steps come after the visit (ms clock)
    act_ok(st, tid, "claim", text="李四")
    act_ok(st, tid, "respond")
    second = web_get(st, "/form", cookie).body.decode()
    item = item_of(second, iss["id"])
    assert "新认领" in item and "新回应" in item and "新办结" not in item, item
    assert re.search(r'id="news">自您上次查看（\d{4}-\d\d-\d\d \d\d:\d\d）以来，部门有 2 项新进展', second)
    third = web_get(st, "/form", cookie).body.decode()
    assert 'class="badge new"' not in item_of(third, iss["id"]) and 'id="news"' not in third


def test_a_deadline_passed_since_the_last_visit_is_marked(tmp_path):
    """The escalation timer's work is news too: the officer was mailed about
    it (notify.lua), and /form marks it once, like a department's step."""
    with lib.Stack(str(tmp_path / "escalated"), conf=flow.second_deadlines()) as s:
        iss = new_issue(s, "O049", detail=lib.safe_text(30))
        tk = lib.PREFIX + "task:" + task_of(iss, "hr")
        cookie = web_login(s, s.token("officer", "O049"))
        first = web_get(s, "/form", cookie).body.decode()
        assert "新超期" not in first
        lib.wait_for(lambda: s.r.hget(tk, "overdue") == b"claim", flow.CLAIM_S + 15,
                     what="the claim deadline escalated")
        assert int(s.r.hget(tk, "escalated_at")) > int(s.r.get(lib.PREFIX + "form:seen:O049"))
        item = item_of(web_get(s, "/form", cookie).body, iss["id"])
        assert "新超期" in item, item
        assert "新超期" not in item_of(web_get(s, "/form", cookie).body, iss["id"])


def test_the_last_visit_is_kept_in_redis_per_officer_across_a_restart(st):
    iss = new_issue(st, "O041", detail=lib.safe_text(30))
    cookie = web_login(st, st.token("officer", "O041"))
    other = web_login(st, st.token("officer", "O042"))
    web_get(st, "/form", cookie)
    seen = st.r.get(lib.PREFIX + "form:seen:O041")
    assert seen is not None and 0 < st.r.ttl(lib.PREFIX + "form:seen:O041") <= 400 * 86400
    assert st.r.get(lib.PREFIX + "form:seen:O042") is None
    time.sleep(0.01)
    act_ok(st, task_of(iss, "hr"), "claim", text="王五")
    rc, _ = st.d.terminate()
    assert rc == 0
    st.d.start()
    cookie = web_login(st, st.token("officer", "O041"))   # a new session: the mark is the officer's
    assert "新认领" in item_of(web_get(st, "/form", cookie).body, iss["id"])
    assert 'class="badge new"' not in web_get(st, "/form", other).body.decode()


def test_a_refused_form_does_not_count_as_a_visit(st):
    iss = new_issue(st, "O043", detail=lib.safe_text(30))
    cookie = web_login(st, st.token("officer", "O043"))
    body = web_get(st, "/form", cookie).body
    time.sleep(0.01)
    act_ok(st, task_of(iss, "hr"), "claim", text="赵六")
    r = web_post(st, "/form/report", {"csrf": web_hidden(body, "csrf"), "idem": web_hidden(body, "idem"),
                                      "enterprise": "", "topic": "", "title": "", "detail": ""}, cookie)
    assert r.status == 422 and "新认领" in item_of(r.body, iss["id"]), r
    assert "新认领" in item_of(web_get(st, "/form", cookie).body, iss["id"])


def test_each_issue_has_a_page_with_its_tasks_answers_and_whole_history(st):
    iss = new_issue(st, "O044", detail=lib.safe_text(30))
    tid = task_of(iss, "hr")
    act_ok(st, tid, "claim", text="钱七")
    act_ok(st, tid, "respond", text="已联系企业了解用工需求")
    act_ok(st, tid, "resolve", text="已组织专场招聘会")
    cookie = web_login(st, st.token("officer", "O044"))
    listing = web_get(st, "/form", cookie).body.decode()
    assert 'href="/form/issues/%s"' % iss["id"] in item_of(listing, iss["id"])
    r = web_get(st, "/form/issues/" + iss["id"], cookie)
    assert r.status == 200, r
    text = r.body.decode()
    assert "人力资源和社会保障局" in text and "认领人 钱七" in text
    assert "已联系企业了解用工需求" in text and "已组织专场招聘会" in text
    history = re.search(r'<details class="history" open>.*?</details>', text, re.S).group(0)
    for words in ("报送", "认领", "回应", "办结", "钱七", "已组织专场招聘会"):
        assert words in history, words
    assert 'action="/form/confirm#issue-%s"' % iss["id"] in text, "a resolved issue is rated from its page"
    assert 'href="/form#issue-%s"' % iss["id"] in text


def test_the_issue_page_shows_why_it_went_back(st):
    iss = new_issue(st, "O045", detail=lib.safe_text(30))
    tid = task_of(iss, "hr")
    for a in ("claim", "respond", "resolve"):
        act_ok(st, tid, a)
    r = issue_act(st, iss["id"], "confirm", {"satisfaction": "unsatisfied", "comment": "工资补贴仍未到账"},
                  st.token("officer", "O045"))
    assert r.status == 200, r
    cookie = web_login(st, st.token("officer", "O045"))
    text = web_get(st, "/form/issues/" + iss["id"], cookie).body.decode()
    assert "退回重办" in text and "工资补贴仍未到账" in text


@pytest.mark.parametrize("path", ["/form/issues/I999999", "/form/issues/X1", "/form/issues/I1%3Cb%3E"])
def test_no_such_issue_is_a_404_page(st, path):
    cookie = web_login(st, st.token("officer", "O046"))
    r = web_get(st, path, cookie)
    assert r.status == 404 and "没有这个问题" in r.body.decode(), r


def test_another_officers_issue_is_not_shown(st):
    iss = new_issue(st, "O047", title="只给本人看的问题", detail=lib.safe_text(30))
    for who, status in (("O048", 404), ("O047", 200)):
        r = web_get(st, "/form/issues/" + iss["id"], web_login(st, st.token("officer", who)))
        assert r.status == status, (who, r)
    r = web_get(st, "/form/issues/" + iss["id"], web_login(st, st.token("department", "hr")))
    assert r.status == 403 and "只给本人看的问题" not in r.body.decode()


def test_the_api_history_keeps_each_persons_words_as_note(st):
    iss = new_issue(st, "O049", detail=lib.safe_text(30))
    tid = task_of(iss, "hr")
    act_ok(st, tid, "claim", text="孙八")
    act_ok(st, tid, "return", text="此事不属本局")
    h = st.d.get("/api/v1/issues/" + iss["id"], token=st.token("admin", "ops")).json()["history"]
    notes = {e["event"]: e.get("note") for e in h}
    assert notes["claimed"] == "孙八" and notes["returned"] == "此事不属本局", h
