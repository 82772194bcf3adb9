"""/form/fieldwork: an officer records a visit and an outcome from the phone
(no JavaScript), a double tap is one record, a refused form says why next to
the field and changes nothing."""

import re

import flow
import lib
from lib import PREFIX


def test_form_links_to_the_fieldwork_page(stack, who):
    oid = who["a"]
    cookie = flow.web_login(stack, stack.token("officer", oid))
    body = flow.web_get(stack, "/form", cookie).body.decode()
    assert 'href="/form/fieldwork"' in body
    page = flow.web_get(stack, "/form/fieldwork", cookie)
    assert page.status == 200, page
    text = page.body.decode()
    for name in ("enterprise", "date", "mode", "note", "suggestions", "kind", "amount"):
        assert 'name="%s"' % name in text, name
    assert "<script" not in text
    for m in re.finditer(r'<(?:input|select|textarea) [^>]*id="([^"]+)"', text):
        assert '<label for="%s">' % m.group(1) in text, m.group(1)


def test_a_visit_form_is_one_visit_however_often_it_is_sent(stack, who):
    oid = who["a"]
    ent = stack.officer(oid)["enterprises"][0]
    cookie = flow.web_login(stack, stack.token("officer", oid))
    body = flow.web_get(stack, "/form/fieldwork", cookie).body
    fields = {"csrf": flow.web_hidden(body, "csrf", "visit"), "idem": flow.web_hidden(body, "idem", "visit"),
              "enterprise": ent, "date": flow.today(), "mode": "forum", "suggestions": "4", "note": "<i>座谈</i>"}
    before = stack.r.zcard(PREFIX + "visits:officer:" + oid)
    first = flow.web_post(stack, "/form/visit", fields, cookie)
    again = flow.web_post(stack, "/form/visit", fields, cookie)
    assert first.status == 303 and again.status == 303, (first, again)
    assert re.match(r"^/form/fieldwork\?done=V\d+#done$", first.header("location"))
    assert again.header("location") == first.header("location")
    assert stack.r.zcard(PREFIX + "visits:officer:" + oid) == before + 1
    done = flow.web_get(stack, first.header("location").split("#")[0], cookie).body.decode()
    assert 'id="done"' in done and "集中座谈" in done and "意见建议 4 条" in done


def test_refused_forms_say_why_at_the_field_and_change_nothing(stack, who):
    oid = who["b"]
    ent = stack.officer(oid)["enterprises"][0]
    cookie = flow.web_login(stack, stack.token("officer", oid))
    body = flow.web_get(stack, "/form/fieldwork", cookie).body
    csrf = flow.web_hidden(body, "csrf")
    cases = [
        ("/form/visit", {"enterprise": ent, "date": flow.day_shift(1), "mode": "visit", "suggestions": "0"},
         "visit-date-error", "不能晚于今天"),
        ("/form/visit", {"enterprise": ent, "date": flow.today(), "mode": "visit", "suggestions": "-2"},
         "visit-suggestions-error", "整数"),
        ("/form/visit", {"enterprise": ent, "date": flow.today(), "mode": "visit", "suggestions": "许多"},
         "visit-suggestions-error", "整数"),
        ("/form/outcome", {"enterprise": ent, "date": flow.today(), "kind": "tax_relief", "amount": "1.005"},
         "outcome-amount-error", "两位小数"),
        ("/form/outcome", {"enterprise": ent, "date": flow.today(), "kind": "tax_relief", "amount": ""},
         "outcome-amount-error", "两位小数"),
    ]
    for path, fields, error_id, words in cases:
        fields = dict(fields, csrf=csrf, idem=lib.new_key(), note="<b>留着</b>")
        before = lib.stable_snapshot(stack.r)
        r = flow.web_post(stack, path, fields, cookie)
        assert 400 <= r.status < 500, r
        text = r.body.decode()
        assert 'id="%s"' % error_id in text and words in text, (error_id, text[:2000])
        assert "&lt;b&gt;留着&lt;/b&gt;" in text and "<b>留着</b>" not in text
        lib.assert_unchanged(before, lib.stable_snapshot(stack.r))


def test_an_outcome_form_stores_the_amount_in_its_unit(stack, who):
    oid = who["b"]
    ent = stack.officer(oid)["enterprises"][0]
    cookie = flow.web_login(stack, stack.token("officer", oid))
    body = flow.web_get(stack, "/form/fieldwork", cookie).body
    r = flow.web_post(stack, "/form/outcome", {
        "csrf": flow.web_hidden(body, "csrf"), "idem": flow.web_hidden(body, "idem", "outcome"),
        "enterprise": ent, "date": flow.today(), "kind": "funding", "amount": "1250000.5", "note": ""}, cookie)
    assert r.status == 303 and "done=C" in r.header("location"), r
    cid = re.search(r"done=(C\d+)", r.header("location")).group(1)
    assert stack.r.hget(PREFIX + "outcome:" + cid, "amount") == b"125000050"


def test_the_department_page_shows_an_issues_outcomes(fresh_stack):
    st = fresh_stack()
    oid = "O005"
    issue = flow.new_issue(st, oid)
    resp = flow.fieldwork_post(st, "outcomes", {"kind": "tax_relief", "date": flow.today(), "amount": 1234.5,
                                                "issue": issue["id"]}, oid=oid)
    assert resp.status == 201, resp
    dept = issue["tasks"][0]["department"]
    cookie = flow.web_login(st, flow.dept_token(st, dept))
    text = flow.web_get(st, "/dept", cookie).body.decode()
    assert issue["id"] in text, text[:1000]
    assert '<p class="outcomes">工作成效：税收优惠（元） 1234.50</p>' in text, text[:3000]
