"""The web pages over plain HTTP (the browser tests drive them in Chromium):
sign-in and the session cookie, the same-origin and CSRF checks, form bodies
turned into the API's requests (one report per form key, the API's rules),
revocation, security and cache headers, HEAD, and the ledger's refusals.
"""

import re
import urllib.parse

import pytest

import lib

FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    with lib.Stack(str(tmp_path_factory.mktemp("web"))) as st:
        yield st


def login(st, token):
    r = lib.request(st.d.port, "POST", "/login", body="token=" + urllib.parse.quote(token), ctype=FORM)
    assert r.status == 303, r
    return r.header("set-cookie").split(";")[0]


def page(st, path, cookie=None, **kw):
    headers = kw.pop("headers", {})
    if cookie:
        headers["Cookie"] = cookie
    return lib.request(st.d.port, kw.pop("method", "GET"), path, headers=headers, **kw)


def post(st, path, fields, cookie, headers=None):
    h = {"Cookie": cookie}
    h.update(headers or {})
    return lib.request(st.d.port, "POST", path, body=urllib.parse.urlencode(fields), ctype=FORM, headers=h)


def hidden(body, name):
    return re.search(r'name="%s" value="([^"]*)"' % name, body.decode()).group(1)


def test_the_sign_in_page_is_html_for_a_phone_with_the_security_headers(web):
    r = page(web, "/form")
    assert r.status == 200
    assert r.header("content-type") == "text/html; charset=utf-8"
    body = r.body.decode()
    assert '<html lang="zh-CN">' in body
    assert 'name="viewport" content="width=device-width' in body
    assert '<label for="token">' in body and 'name="token"' in body
    csp = r.header("content-security-policy")
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert r.header("x-frame-options") == "DENY"
    assert r.header("x-content-type-options") == "nosniff"
    assert r.header("referrer-policy") == "same-origin"
    assert r.header("cache-control") == "no-store"


def test_sign_in_sets_a_strict_httponly_session_cookie_held_in_redis(web):
    tok = web.token("officer", "O010")
    r = lib.request(web.d.port, "POST", "/login", body="token=" + tok, ctype=FORM)
    assert r.status == 303 and r.header("location") == "/form"
    cookie = r.header("set-cookie")
    assert re.match(r"^liaison_session=[0-9a-f]{32}; Path=/; Max-Age=2592000; HttpOnly; SameSite=Strict$",
                    cookie), cookie
    sid = cookie.split(";")[0].split("=")[1]
    key = lib.PREFIX + "session:" + sid
    assert 0 < web.r.ttl(key) <= 30 * 86400     # [web] session_days
    stored = web.r.hgetall(key)
    assert stored[b"token"].decode() == lib.token_sha(tok)
    assert tok.encode() not in b"".join(stored.values())
    r = page(web, "/form", "liaison_session=" + sid)
    assert r.status == 200 and tok not in r.body.decode()
    assert "指导员问题报送" in r.body.decode()


@pytest.mark.parametrize("token,status", [("lt_" + "A" * 32, 401), ("bad token!", 422), ("", 422)])
def test_a_wrong_token_signs_nobody_in(web, token, status):
    before = len(web.r.keys(lib.PREFIX + "session:*"))
    r = lib.request(web.d.port, "POST", "/login", body="token=" + urllib.parse.quote(token), ctype=FORM)
    assert r.status == status
    assert r.header("set-cookie") is None
    assert 'class="error"' in r.body.decode()
    assert len(web.r.keys(lib.PREFIX + "session:*")) == before


def test_an_admin_signs_in_to_the_admin_page_and_not_to_the_others(web):
    """Since issue 17 admins have a page of their own (/admin); /form and
    /dept stay closed to them."""
    r = lib.request(web.d.port, "POST", "/login", body="token=" + web.token("admin", "ops"), ctype=FORM)
    assert r.status == 303 and r.header("location") == "/admin"
    cookie = r.header("set-cookie").split(";")[0]
    for path in ("/form", "/dept"):
        r = page(web, path, cookie)
        assert r.status == 403 and "管理员请打开" in r.body.decode()


def test_a_report_form_is_one_report_however_often_it_is_sent(web):
    cookie = login(web, web.token("officer", "O011"))
    body = page(web, "/form", cookie).body
    ent = web.officer("O011")["enterprises"][0]
    fields = {"csrf": hidden(body, "csrf"), "idem": hidden(body, "idem"), "enterprise": ent,
              "topic": "hiring", "title": lib.safe_text(8), "detail": lib.safe_text(20)}
    first = post(web, "/form/report", fields, cookie)
    again = post(web, "/form/report", fields, cookie)
    assert first.status == 303 and again.status == 303
    assert re.match(r"^/form\?done=R\d+#done$", first.header("location"))
    assert again.header("location") == first.header("location")
    reports = web.r.zrange(lib.PREFIX + "officer:O011:reports", 0, -1)
    assert len(reports) == 1
    done = page(web, first.header("location").split("#")[0], cookie).body.decode()
    assert 'id="done"' in done and "人力资源和社会保障局" in done


def test_a_refused_form_keeps_the_apis_rules_and_changes_nothing(web):
    cookie = login(web, web.token("officer", "O012"))
    body = page(web, "/form", cookie).body
    other = next(e["id"] for e in web.roster["enterprises"]
                 if e["id"] not in web.officer("O012")["enterprises"])
    before = lib.stable_snapshot(web.r)
    r = post(web, "/form/report", {"csrf": hidden(body, "csrf"), "idem": hidden(body, "idem"),
                                   "enterprise": other, "topic": "hiring", "title": "不是我的企业",
                                   "detail": "<b>保留</b>"}, cookie)
    assert r.status == 403
    text = r.body.decode()
    assert 'id="enterprise-error"' in text and "不在您的联系名单中" in text
    assert "&lt;b&gt;保留&lt;/b&gt;" in text and "<b>保留</b>" not in text
    assert 'value="不是我的企业"' in text
    lib.assert_unchanged(before, lib.stable_snapshot(web.r))


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site"}, {"Origin": "null"}])
def test_a_post_from_another_site_is_refused(web, headers):
    cookie = login(web, web.token("officer", "O013"))
    body = page(web, "/form", cookie).body
    r = post(web, "/form/zero", {"csrf": hidden(body, "csrf"), "idem": hidden(body, "idem")}, cookie, headers)
    assert r.status == 403
    assert "拒绝来自其他网站的提交" in r.body.decode()
    assert web.r.zcard(lib.PREFIX + "officer:O013:reports") == 0


@pytest.mark.parametrize("csrf", [None, "", "0" * 32, "x"])
def test_a_post_without_the_sessions_csrf_field_is_refused(web, csrf):
    cookie = login(web, web.token("officer", "O014"))
    fields = {"idem": "k1"}
    if csrf is not None:
        fields["csrf"] = csrf
    r = post(web, "/form/zero", fields, cookie)
    assert r.status == 403 and r.header("content-type").startswith("text/html")
    assert web.r.zcard(lib.PREFIX + "officer:O014:reports") == 0


def test_a_page_post_must_be_a_form(web):
    cookie = login(web, web.token("officer", "O015"))
    r = lib.request(web.d.port, "POST", "/form/zero", body={"items": []}, headers={"Cookie": cookie})
    assert r.status == 415 and r.header("content-type").startswith("text/html")


def test_without_a_session_a_post_is_refused_and_a_get_asks_to_sign_in(web):
    r = post(web, "/form/zero", {"csrf": "0" * 32}, "liaison_session=" + "0" * 32)
    assert r.status == 403
    r = page(web, "/dept", "liaison_session=" + "0" * 32)
    assert r.status == 200 and 'name="token"' in r.body.decode()
    assert "Max-Age=0" in r.header("set-cookie")


def test_revoking_the_token_ends_its_sessions(web):
    tok = web.token("officer", "O016")
    cookie = login(web, tok)
    assert "指导员问题报送" in page(web, "/form", cookie).body.decode()
    web.d.ctl("token", "revoke", tok)
    r = page(web, "/form", cookie)
    assert 'name="token"' in r.body.decode()


def test_signing_out_deletes_the_session(web):
    cookie = login(web, web.token("department", "tax"))
    body = page(web, "/dept", cookie).body
    sid = cookie.split("=")[1]
    assert web.r.exists(lib.PREFIX + "session:" + sid)
    r = post(web, "/logout", {"csrf": hidden(body, "csrf")}, cookie)
    assert r.status == 303 and r.header("location") == "/dept"
    assert not web.r.exists(lib.PREFIX + "session:" + sid)


def test_each_role_sees_only_its_own_page(web):
    dept = login(web, web.token("department", "hr"))
    officer = login(web, web.token("officer", "O017"))
    assert page(web, "/form", dept).status == 403
    assert page(web, "/dept", officer).status == 403
    body = page(web, "/dept", dept).body
    r = post(web, "/form/zero", {"csrf": hidden(body, "csrf"), "idem": "k"}, dept)
    assert r.status == 403


def test_a_department_returns_a_task_that_is_not_its_own(web):
    """退单 on /dept: a reason is required (refused in Chinese, nothing
    changed); with one the task is returned and the issue waits in the
    admins' triage list."""
    oid = "O021"
    resp = web.d.post("/api/v1/reports", {"items": [lib.item(web.officer(oid)["enterprises"][0])]},
                      token=web.token("officer", oid))
    assert resp.status == 201, resp
    issue = resp.json()["issues"][0]
    tid = issue["tasks"][0]["id"]
    cookie = login(web, web.token("department", "hr"))
    body = page(web, "/dept", cookie).body.decode()
    item = body[body.index('id="task-%s"' % tid):]
    item = item[:item.index("</li>")]
    assert 'action="/dept/return"' in item and "不属于本部门？退单" in item
    assert '<label for="reason-%s">' % tid in item
    csrf = hidden(body.encode(), "csrf")
    before = lib.stable_snapshot(web.r)
    r = post(web, "/dept/return", {"csrf": csrf, "task": tid, "reason": ""}, cookie)
    assert r.status == 422, r
    text = r.body.decode()
    mine = text[text.index('id="task-%s"' % tid):]
    mine = mine[:mine.index("</li>")]
    assert '<details class="return" open>' in mine and "请填写原因。" in mine
    assert mine.count('class="error"') == 1          # under the return form only
    lib.assert_unchanged(before, lib.stable_snapshot(web.r))
    r = post(web, "/dept/return", {"csrf": csrf, "task": tid, "reason": "这是税务问题，应由税务分局办理"}, cookie)
    assert r.status == 303 and r.header("location") == "/dept?ok=return&task=%s#task-%s" % (tid, tid), r
    done = page(web, "/dept?ok=return&task=" + tid, cookie).body.decode()
    assert "任务 %s 已退单，等待管理员重新分派。" % tid in done
    assert 'id="task-%s"' % tid not in done
    t = web.d.get("/api/v1/tasks/" + tid, token=web.token("admin", "ops")).json()
    assert t["state"] == "returned"
    assert web.r.zscore(lib.PREFIX + "triage", issue["id"]) is not None


def test_assets_are_compiled_in_and_cached_by_their_hash(web):
    body = page(web, "/ledger").body.decode()
    css = re.search(r'href="(/static/style-[0-9a-f]{16}\.css)"', body).group(1)
    r = page(web, css)
    assert r.status == 200 and r.header("content-type") == "text/css; charset=utf-8"
    assert r.header("cache-control") == "public, max-age=31536000, immutable"
    assert b"touch targets" in r.body
    r2 = page(web, css, headers={"If-None-Match": r.header("etag")})
    assert r2.status == 304 and r2.body == b""
    assert page(web, "/static/style-0000000000000000.css").status == 404


def test_head_answers_a_page_without_its_body(web):
    r = page(web, "/ledger", method="HEAD")
    assert r.status == 200 and r.body == b""


def test_the_ledger_page_refuses_bad_filters_in_chinese(web):
    r = page(web, "/ledger?period=2026-13-9")
    assert r.status == 422 and "期次的格式" in r.body.decode()
    assert page(web, "/ledger?state=lost").status == 422
    assert page(web, "/ledger?department=nope").status == 422
    assert page(web, "/ledger?colour=red").status == 400
    assert page(web, "/ledger?state=&category=&department=").status == 200


def test_the_ledger_page_escapes_titles_and_names_no_enterprise(web):
    oid = "O018"
    ent = web.officer(oid)["enterprises"][0]
    resp = web.d.post("/api/v1/reports", {"items": [lib.item(ent, title="<script>alert(1)</script>")]},
                      token=web.token("officer", oid))
    assert resp.status == 201, resp
    body = page(web, "/ledger").body.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert" not in body
    names = [e["name"] for e in web.roster["enterprises"]]
    assert not any(n in body for n in names)


def test_the_api_still_answers_json(web):
    r = web.d.get("/api/v1/nope")
    assert r.status == 404 and r.header("content-type").startswith("application/json")
    r = web.d.post("/api/v1/reports", {"items": []})
    assert r.status == 401 and r.json()["error"]["code"] == "unauthorized"


def test_the_cookie_is_secure_when_public_url_is_https(fresh_stack):
    st = fresh_stack(start=False)
    with open(st.d.conf) as f:
        text = f.read()
    with open(st.d.conf, "w") as f:
        f.write(text.replace("public_url = http://", "public_url = https://"))
    st.d.start()
    r = lib.request(st.d.port, "POST", "/login", body="token=" + st.token("officer", "O019"), ctype=FORM)
    assert r.status == 303
    assert r.header("set-cookie").endswith("; HttpOnly; SameSite=Strict; Secure")


def test_the_ledger_page_names_enterprises_only_when_configured(fresh_stack):
    st = fresh_stack(conf={"ledger": {"show_enterprises": "yes"}})
    ent = st.officer("O020")["enterprises"][0]
    resp = st.d.post("/api/v1/reports", {"items": [lib.item(ent)]}, token=st.token("officer", "O020"))
    assert resp.status == 201, resp
    body = page(st, "/ledger").body.decode()
    name = next(e["name"] for e in st.roster["enterprises"] if e["id"] == ent)
    assert '<span class="enterprise">' in body and name in body


def test_one_word_for_the_officer_everywhere(stack):
    """指导员, as the roster sheets and the digest say: never 联络员 on a page."""
    for path in ("/form", "/dept", "/ledger", "/"):
        r = stack.d.get(path)
        assert "联络员" not in r.body.decode("utf-8", "replace"), path


# ---------------------------------------------------------------------------
# the officer's page (issue 19): the zero report, 不满意, anchors


def form_fields(body):
    return {"csrf": hidden(body, "csrf"), "idem": hidden(body, "idem")}


def test_zero_report_asks_for_confirmation(web):
    cookie = login(web, web.token("officer", "O030"))
    body = page(web, "/form", cookie).body
    assert 'action="/form/zero#zero"' in body.decode()
    before = lib.stable_snapshot(web.r)
    r = post(web, "/form/zero", form_fields(body), cookie)
    assert r.status == 422, r
    text = r.body.decode()
    assert 'id="confirm-error"' in text and "请先勾选确认" in text
    assert re.search(r'id="zero-confirm"[^>]*aria-invalid="true"', text), text
    lib.assert_unchanged(before, lib.stable_snapshot(web.r))
    fields = dict(form_fields(body), confirm="1")
    r = post(web, "/form/zero", fields, cookie)
    assert r.status == 303, r
    assert web.r.zcard(lib.PREFIX + "officer:O030:reports") == 1


def test_zero_report_refused_on_the_page_after_issues(web):
    from flow import new_issue
    new_issue(web, "O031")
    cookie = login(web, web.token("officer", "O031"))
    body = page(web, "/form", cookie).body
    before = lib.stable_snapshot(web.r)
    r = post(web, "/form/zero", dict(form_fields(body), confirm="1"), cookie)
    assert r.status == 409, r
    text = r.body.decode()
    assert 'id="confirm-error"' in text and "本期您已报送过问题，不能再提交零报告" in text, text
    lib.assert_unchanged(before, lib.stable_snapshot(web.r))


def test_unsatisfied_needs_a_reason_and_is_the_one_way_back(web):
    from flow import drive, get_issue, new_issue, task_of
    iss = new_issue(web, "O032")
    drive(web, task_of(iss, "hr"), "resolved", dept="hr")
    cookie = login(web, web.token("officer", "O032"))
    body = page(web, "/form", cookie).body
    text = body.decode()
    assert "/form/reopen" not in text, "one way to send an issue back"
    assert 'action="/form/confirm#issue-%s"' % iss["id"] in text
    fields = {"csrf": hidden(body, "csrf"), "issue": iss["id"], "satisfaction": "unsatisfied", "comment": ""}
    before = lib.stable_snapshot(web.r)
    r = post(web, "/form/confirm", fields, cookie)
    assert r.status == 422, r
    text = r.body.decode()
    assert 'id="comment-error"' in text and "请写明原因" in text, text
    assert re.search(r'id="comment-%s"[^>]*aria-invalid="true"' % iss["id"], text), text
    lib.assert_unchanged(before, lib.stable_snapshot(web.r))
    fields["comment"] = "只解决了一半"
    r = post(web, "/form/confirm", fields, cookie)
    assert r.status == 303 and "ok=reopen" in r.header("location"), r
    assert get_issue(web, iss["id"])["state"] == "queued"
    follow = page(web, r.header("location").split("#")[0], cookie).body.decode()
    assert "已连同您的意见退回部门" in follow


def test_a_refused_report_opens_at_the_field(web):
    cookie = login(web, web.token("officer", "O033"))
    body = page(web, "/form", cookie).body
    assert 'action="/form/report#report"' in body.decode()
    ent = web.officer("O033")["enterprises"][0]
    fields = dict(form_fields(body), enterprise=ent, topic="hiring", title="", detail="描述")
    r = post(web, "/form/report", fields, cookie)
    assert r.status == 422, r
    assert re.search(r'id="title"[^>]*aria-invalid="true"', r.body.decode())


def test_a_session_lasts_30_days_by_default_and_revocation_still_ends_it(web):
    tok = web.token("officer", "O034")
    r = lib.request(web.d.port, "POST", "/login", body="token=" + urllib.parse.quote(tok), ctype=FORM)
    assert r.status == 303, r
    cookie = r.header("set-cookie")
    assert "Max-Age=2592000" in cookie and "HttpOnly" in cookie, cookie
    sid = cookie.split(";")[0].split("=")[1]
    ttl = web.r.ttl(lib.PREFIX + "session:" + sid)
    assert 2592000 - 60 < ttl <= 2592000, ttl
    assert "记住您 30 天" in page(web, "/form").body.decode()
    web.d.ctl("token", "revoke", tok)
    assert 'name="token"' in page(web, "/form", cookie.split(";")[0]).body.decode()


def test_session_days_is_configurable(fresh_stack):
    st = fresh_stack(conf={"web": {"session_days": 2}})
    r = lib.request(st.d.port, "POST", "/login", body="token=" + urllib.parse.quote(st.token("department", "hr")),
                    ctype=FORM)
    assert r.status == 303 and "Max-Age=172800" in r.header("set-cookie"), r
    sid = r.header("set-cookie").split(";")[0].split("=")[1]
    assert 172800 - 60 < st.r.ttl(lib.PREFIX + "session:" + sid) <= 172800


def test_the_token_can_be_shown_while_typing(web):
    body = page(web, "/dept").body.decode()
    assert 'id="show-token"' in body and 'type="password" id="token"' in body
    assert re.search(r'<script src="/static/form-[^"]+\.js" defer>', body), "form.js does the showing"


def test_each_issue_shows_its_departments_claimant_deadline_and_dates(web):
    from flow import act_ok, new_issue, task_of
    iss = new_issue(web, "O035")
    tid = task_of(iss, "hr")
    act_ok(web, tid, "claim", dept="hr", text="王小明")
    cookie = login(web, web.token("officer", "O035"))
    text = page(web, "/form", cookie).body.decode()
    item = text.split('id="issue-%s"' % iss["id"])[1].split("</li>")[0]
    assert "人力资源和社会保障局" in item and "已认领" in item, item
    assert "认领人 王小明" in item, item
    assert re.search(r"报送 \d{4}-\d\d-\d\d \d\d:\d\d", item), item
    assert re.search(r"收到 \d{4}-\d\d-\d\d \d\d:\d\d", item) and re.search(r"认领 \d{4}-\d\d-\d\d", item), item
    assert re.search(r"回应期限 \d{4}-\d\d-\d\d \d\d:\d\d", item), item


def test_a_refused_report_shows_every_field_at_fault_at_once(web):
    cookie = login(web, web.token("officer", "O036"))
    body = page(web, "/form", cookie).body
    before = lib.stable_snapshot(web.r)
    fields = dict(form_fields(body), enterprise="", topic="", title="", detail="长" * 2001)
    r = post(web, "/form/report", fields, cookie)
    assert r.status == 422, r
    text = r.body.decode()
    for field, words in (("enterprise", "请选择您联系的企业"), ("topic", "请选择问题领域"),
                         ("title", "请填写问题标题"), ("detail", "问题描述不能超过 2000 个字")):
        assert 'id="%s-error"' % field in text and words in text, field
        assert re.search(r'id="%s"[^>]*aria-invalid="true"' % field, text), field
        assert '<a href="#%s">' % field in text, field
    assert "有 4 处需要修改" in text
    lib.assert_unchanged(before, lib.stable_snapshot(web.r))


def test_a_report_with_a_foreign_enterprise_and_no_title_says_both(web):
    cookie = login(web, web.token("officer", "O037"))
    body = page(web, "/form", cookie).body
    other = next(e["id"] for e in web.roster["enterprises"]
                 if e["id"] not in web.officer("O037")["enterprises"])
    r = post(web, "/form/report", dict(form_fields(body), enterprise=other, topic="hiring", title="",
                                       detail="x"), cookie)
    assert r.status == 422, r
    text = r.body.decode()
    assert 'id="title-error"' in text and "不在您的联系名单中" in text and "有 2 处需要修改" in text
