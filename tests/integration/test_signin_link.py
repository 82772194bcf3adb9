"""Sign-in by a one-time link or its QR code (issue 17).

`liaisonctl token issue ROLE ID --link` prints one URL; the link is stored
only hashed and expires after [server] link_hours. Opening it shows one
button (a preview spends nothing); pressing it signs the person in and
spends the link, so a second use, an expired or a made-up link gets a clear
410 page and signs nobody in. --qr and --svg draw the same URL as a QR code
(libqrencode), which is decoded here with zbar (python3-pyzbar) to prove it
scans.
"""

import re
import threading
import time

import pytest

import lib

FORM = "application/x-www-form-urlencoded"
LINK_HOURS = 5


@pytest.fixture(scope="module")
def st(tmp_path_factory):
    with lib.Stack(str(tmp_path_factory.mktemp("link")), conf={"server": {"link_hours": LINK_HOURS}}) as s:
        yield s


def issue(st, role, ident, form="--link"):
    return st.d.ctl("token", "issue", role, ident, form).stdout


def link_of(st, role="officer", ident="O001"):
    out = issue(st, role, ident)
    lines = out.splitlines()
    assert len(lines) == 1 and out.endswith("\n"), out
    m = re.fullmatch(r"http://127\.0\.0\.1:%d/signin/(lt_[A-Za-z0-9_-]{32})" % st.d.port, lines[0])
    assert m, lines[0]
    return "/signin/" + m.group(1), m.group(1)


def use(st, path, headers=None):
    return lib.request(st.d.port, "POST", path, body="", ctype=FORM, headers=headers or {})


def test_a_link_is_stored_hashed_and_expires_after_link_hours(st):
    path, secret = link_of(st)
    key = lib.PREFIX + "link:" + lib.token_sha(secret)
    stored = {k.decode(): v.decode() for k, v in st.r.hgetall(key).items()}
    assert stored["role"] == "officer" and stored["id"] == "O001"
    assert st.r.exists(lib.PREFIX + "token:" + stored["token"])
    assert LINK_HOURS * 3600 - 60 < st.r.ttl(key) <= LINK_HOURS * 3600
    for k in st.r.scan_iter():
        if st.r.type(k) == b"hash":
            assert secret.encode() not in b"".join(st.r.hgetall(k).values())


def test_opening_shows_a_button_and_spends_nothing_then_it_signs_in_once(st):
    path, _ = link_of(st, "officer", "O002")
    for _ in range(2):                                 # a mail app's preview, then the person
        r = lib.request(st.d.port, "GET", path)
        assert r.status == 200 and r.header("set-cookie") is None
        body = r.body.decode()
        assert st.officer("O002")["name"] in body and 'action="%s"' % path in body
    r = use(st, path)
    assert r.status == 303 and r.header("location") == "/form", r
    cookie = r.header("set-cookie").split(";")[0]
    assert re.match(r"^liaison_session=[0-9a-f]{32}$", cookie)
    page = lib.request(st.d.port, "GET", "/form", headers={"Cookie": cookie}).body.decode()
    assert "联络员问题报送" in page and st.officer("O002")["name"] in page
    again = use(st, path)
    assert again.status == 410 and again.header("set-cookie") is None
    assert "这个登录链接已失效" in again.body.decode()
    assert lib.request(st.d.port, "GET", path).status == 410


@pytest.mark.parametrize("role,ident,page", [("department", "hr", "/dept"), ("admin", "ops", "/admin")])
def test_a_department_or_admin_link_opens_its_page(st, role, ident, page):
    path, _ = link_of(st, role, ident)
    r = use(st, path)
    assert r.status == 303 and r.header("location") == page


def test_an_expired_link_signs_nobody_in(st):
    path, secret = link_of(st, "officer", "O003")
    st.r.pexpire(lib.PREFIX + "link:" + lib.token_sha(secret), 1)   # as if link_hours had passed
    time.sleep(0.05)
    r = use(st, path)
    assert r.status == 410 and r.header("set-cookie") is None
    assert "过期" in r.body.decode()


def test_two_presses_at_once_sign_in_once(st):
    path, _ = link_of(st, "officer", "O004")
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(use(st, path).status)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [303] + [410] * 7


@pytest.mark.parametrize("secret", ["lt_" + "A" * 32, "nonsense", "lt_" + "A" * 31 + "!"])
def test_a_made_up_link_changes_nothing(st, secret):
    before = lib.stable_snapshot(st.r)
    r = use(st, "/signin/" + secret)
    assert r.status == 410 and r.header("set-cookie") is None
    lib.assert_unchanged(before, lib.stable_snapshot(st.r))


def test_a_press_from_another_site_does_not_spend_the_link(st):
    path, secret = link_of(st, "officer", "O005")
    r = use(st, path, {"Origin": "http://evil.example"})
    assert r.status == 403
    assert st.r.exists(lib.PREFIX + "link:" + lib.token_sha(secret))
    assert use(st, path).status == 303


def test_no_link_for_someone_not_in_the_roster(st):
    before = lib.stable_snapshot(st.r)
    p = st.d.ctl("token", "issue", "officer", "O999", "--link", check=False)
    assert p.returncode == 1 and p.stdout == ""
    lib.assert_unchanged(before, lib.stable_snapshot(st.r))


def decode(rows):
    """The text of a QR code given as rows of booleans (True: dark)."""
    from pyzbar import pyzbar    # Debian's python3-pyzbar (zbar)
    scale = 4
    h, w = len(rows), len(rows[0])
    pixels = bytearray()
    for row in rows:
        line = bytearray()
        for dark in row:
            line += (b"\x00" if dark else b"\xff") * scale
        pixels += bytes(line) * scale
    found = pyzbar.decode((bytes(pixels), w * scale, h * scale))
    assert len(found) == 1, found
    return found[0].data.decode()


def test_the_svg_qr_code_scans_as_the_link(st):
    svg = issue(st, "officer", "O006", "--svg")
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')
    n = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    rows = [[False] * n for _ in range(n)]
    for x, y in re.findall(r"M(\d+) (\d+)h1v1h-1z", svg):
        rows[int(y)][int(x)] = True
    url = decode(rows)
    assert re.fullmatch(r"http://127\.0\.0\.1:%d/signin/lt_[A-Za-z0-9_-]{32}" % st.d.port, url)
    assert use(st, url.split(str(st.d.port), 1)[1]).status == 303


def test_the_terminal_qr_code_scans_as_the_link_printed_above_it(st):
    out = issue(st, "officer", "O007", "--qr").splitlines()
    url, art = out[0], out[1:]
    rows = []
    for line in art:                                 # light modules are blocks, dark ones blanks
        rows.append([c in " \u2584" for c in line])
        rows.append([c in " \u2580" for c in line])
    assert decode(rows) == url
