"""/dept for the department clerk (issue 19): the 已办结 list with each
officer's rating, found by the same search and filter as the open work; a
task that came back says why (the officer's reason for 退回重办, the other
department's 退单 reason and the admin's reason for the re-route) and keeps
its earlier handling in the history.
"""

import re
import urllib.parse

import pytest

import lib
from flow import act_ok, issue_act, new_issue, report, submit, task_of, web_get, web_hidden, web_login, web_post


@pytest.fixture(scope="module")
def st(tmp_path_factory):
    with lib.Stack(str(tmp_path_factory.mktemp("deptpages"))) as s:
        yield s


def task_item(body, tid):
    """The task's <li>, up to the next task or the end of its list."""
    start = body.find('<li id="task-%s">' % tid)
    if start < 0:
        return None
    rest = body[start + 1:]
    ends = [i for i in (rest.find('<li id="task-'), rest.find("</ul></section>")) if i >= 0]
    return body[start:start + 1 + min(ends)] if ends else body[start:]


def section(body, list_id):
    return body.split('id="%s"' % list_id)[1].split("</ul></section>")[0]


def resolved_task(st, oid, title):
    iss = new_issue(st, oid, title=title, detail=lib.safe_text(30))
    tid = task_of(iss, "hr")
    act_ok(st, tid, "claim", text="周九")
    act_ok(st, tid, "respond", text="已电话联系企业")
    act_ok(st, tid, "resolve", text="已协调招聘专场，企业满意")
    return iss["id"], tid


def test_finished_tasks_are_listed_with_the_officers_rating(st):
    iid, tid = resolved_task(st, "O040", "已办结列表评价")
    iid2, tid2 = resolved_task(st, "O041", "已办结待评价")
    r = issue_act(st, iid, "confirm", {"satisfaction": "basic", "comment": ""}, st.token("officer", "O040"))
    assert r.status == 200, r
    cookie = web_login(st, st.token("department", "hr"))
    body = web_get(st, "/dept", cookie).body.decode()
    done = section(body, "done")
    item = task_item(done, tid)
    assert item is not None and "已办结列表评价" in item
    assert "指导员评价：基本满意" in item and "办结说明：已协调招聘专场，企业满意" in item
    assert re.search(r"办结 \d{4}-\d\d-\d\d \d\d:\d\d", item)
    assert 'action="/dept/' not in item, "a finished task has no step forms"
    assert "指导员评价：待评价" in task_item(done, tid2)
    assert done.index('id="task-%s"' % tid2) < done.index('id="task-%s"' % tid), "the latest resolved first"
    assert task_item(section(body, "work"), tid) is None


def test_search_and_the_resolved_filter_reach_the_finished_tasks(st):
    _, tid = resolved_task(st, "O042", "独有标题甲乙丙")
    _, other = resolved_task(st, "O043", "别的已办结问题")
    cookie = web_login(st, st.token("department", "hr"))
    body = web_get(st, "/dept?q=" + urllib.parse.quote("独有标题甲乙丙"), cookie).body.decode()
    assert task_item(section(body, "done"), tid) is not None
    assert task_item(section(body, "done"), other) is None
    open_one = new_issue(st, "O044", detail=lib.safe_text(30))
    body = web_get(st, "/dept?state=resolved", cookie).body.decode()
    assert task_item(section(body, "done"), tid) is not None
    assert 'id="task-%s"' % task_of(open_one, "hr") not in body
    assert '<option value="resolved" selected>' in body


def test_a_reopened_task_says_why_and_keeps_its_earlier_handling(st):
    iid, tid = resolved_task(st, "O045", "退回重办的原因")
    r = issue_act(st, iid, "confirm", {"satisfaction": "unsatisfied", "comment": "招聘会企业未收到通知"},
                  st.token("officer", "O045"))
    assert r.status == 200, r
    cookie = web_login(st, st.token("department", "hr"))
    item = task_item(section(web_get(st, "/dept", cookie).body.decode(), "queue"), tid)
    assert item is not None
    why = re.search(r'<div class="why">.*?</div>', item, re.S).group(0)
    assert "指导员退回重办" in why and "招聘会企业未收到通知" in why
    history = re.search(r'<details class="history" open>.*?</details>', item, re.S).group(0)
    assert "已电话联系企业" in history and "已协调招聘专场，企业满意" in history


def test_a_re_routed_task_shows_the_return_and_the_route_reasons(st):
    ent = st.officer("O046")["enterprises"][0]
    doc = submit(st, "O046", [lib.item(ent, topic="hiring", title="改派给经济发展局", detail=lib.safe_text(30))])
    iid = doc["issues"][0]["id"]
    act_ok(st, task_of(doc["issues"][0], "hr"), "return", text="属于企业技改，不归人社")
    r = issue_act(st, iid, "route", {"departments": ["econ"], "reason": "技改补贴由经发局办理"},
                  st.token("admin", "ops"))
    assert r.status == 200, r
    body = web_get(st, "/dept", web_login(st, st.token("department", "econ"))).body.decode()
    item = next(task_item(body, t["id"]) for t in st.d.get("/api/v1/issues/" + iid,
                token=st.token("admin", "ops")).json()["tasks"] if t["department"] == "econ")
    why = re.search(r'<div class="why">.*?</div>', item, re.S).group(0)
    assert "人力资源和社会保障局 退单" in why and "属于企业技改，不归人社" in why
    assert "管理员重新分派" in why and "技改补贴由经发局办理" in why


def test_a_task_that_never_came_back_has_no_why(st):
    iss = new_issue(st, "O047", detail=lib.safe_text(30))
    body = web_get(st, "/dept", web_login(st, st.token("department", "hr"))).body.decode()
    item = task_item(body, task_of(iss, "hr"))
    assert item is not None and 'class="why"' not in item and '<details class="history">' in item


def test_an_unknown_state_filter_is_still_refused(st):
    cookie = web_login(st, st.token("department", "hr"))
    before = lib.stable_snapshot(st.r)
    assert web_get(st, "/dept?state=closed", cookie).status == 400
    lib.assert_unchanged(before, lib.stable_snapshot(st.r))


def test_a_task_on_an_issue_older_than_the_newest_hundred_is_answered_from_dept(st):
    """/dept lists the tasks in work from the department's own index: a
    task claimed on an issue that 120 newer issues pushed out of the
    department's newest hundred is still there, and answered from the page."""
    iss = new_issue(st, "O046", title="很早以前认领的问题")
    tid = task_of(iss, "hr")
    act_ok(st, tid, "claim", text="吴十")
    for oid in ("O047", "O048", "O049"):
        report(st, oid, 40)
    newest = st.r.zrevrange(lib.PREFIX + "issues:dept:hr", 0, 99)
    assert len(newest) == 100 and iss["id"].encode() not in newest
    cookie = web_login(st, st.token("department", "hr"))
    body = web_get(st, "/dept", cookie).body.decode()
    item = task_item(section(body, "work"), tid)
    assert item is not None and "很早以前认领的问题" in item
    assert 'action="/dept/respond"' in item
    r = web_post(st, "/dept/respond", {"csrf": web_hidden(body, "csrf"), "task": tid,
                                       "response": "已与企业约定面谈"}, cookie)
    assert r.status == 303, r
    t = st.d.get("/api/v1/tasks/" + tid, token=st.token("admin", "ops")).json()
    assert t["state"] == "responded" and t["response"] == "已与企业约定面谈"
    body = web_get(st, "/dept", cookie).body.decode()
    assert "已与企业约定面谈" in task_item(section(body, "work"), tid)
    act_ok(st, tid, "resolve", text="已办结")
    body = web_get(st, "/dept", cookie).body.decode()
    assert task_item(section(body, "work"), tid) is None
    assert task_item(section(body, "done"), tid) is not None
