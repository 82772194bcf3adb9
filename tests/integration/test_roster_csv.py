"""liaisonctl roster import / export: the roster as spreadsheets (CSV).

No daemon needed: these run liaisonctl on files in a temporary directory.
"""

import csv
import io
import json
import os

import pytest

import lib

SHEETS = ("officers", "enterprises", "departments", "topics", "leaders")
EXAMPLES = os.path.join(lib.REPO, "etc", "examples")


def export(tmp_path, roster=lib.ROSTER_FILE):
    paths = {s: str(tmp_path / (s + ".csv")) for s in SHEETS}
    args = ["roster", "export", "-i", roster]
    for s in SHEETS:
        args += ["--" + s, paths[s]]
    lib.liaisonctl(*args)
    return paths


def import_(paths, out, *extra, check=True):
    args = ["roster", "import", "-o", out]
    for s, p in paths.items():
        args += ["--" + s, p]
    return lib.liaisonctl(*args, *extra, check=check)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write(path, text, encoding="utf-8"):
    with open(path, "wb") as f:
        f.write(text.encode(encoding))


def test_export_writes_utf8_with_bom_and_rfc4180(tmp_path):
    paths = export(tmp_path)
    raw = open(paths["enterprises"], "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf\"\xe7\xbb\x9f"), raw[:20]  # BOM, "统
    assert b"\r\n" in raw and raw.endswith(b"\r\n")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["统一社会信用代码", "名称", "类型", "区域", "指导员"]
    roster = lib.load_roster()
    assert len(rows) == 1 + len(roster["enterprises"])
    e = roster["enterprises"][0]
    assert rows[1][:2] == [e["id"], e["name"]]


def test_export_then_import_is_the_identity(tmp_path):
    paths = export(tmp_path)
    out = str(tmp_path / "roster.json")
    p = import_(paths, out, "--zone", "安庆经开区", "--timezone", "Asia/Shanghai")
    assert "55 officers, 227 enterprises" in p.stdout
    assert read_json(out) == lib.load_roster()


def test_the_shipped_examples_give_the_sample_roster(tmp_path):
    # etc/examples/officers.csv is GBK (as Chinese Excel saves "CSV"), the
    # others UTF-8 with a BOM; enterprises-tab.txt is the tab-separated kind.
    raw = open(os.path.join(EXAMPLES, "officers.csv"), "rb").read()
    assert not raw.startswith(b"\xef\xbb\xbf")
    raw.decode("gbk")
    paths = {s: os.path.join(EXAMPLES, s + ".csv") for s in SHEETS}
    out = str(tmp_path / "roster.json")
    import_(paths, out, "--zone", "安庆经开区")
    assert read_json(out) == lib.load_roster()
    paths["enterprises"] = os.path.join(EXAMPLES, "enterprises-tab.txt")
    import_(paths, out, "--zone", "安庆经开区")
    assert read_json(out) == lib.load_roster()


@pytest.mark.parametrize("variant", ["bom", "utf8", "gbk", "gb18030", "tab", "english"])
def test_encodings_separators_and_header_languages(tmp_path, variant):
    paths = export(tmp_path)
    for s in ("officers", "enterprises"):
        text = open(paths[s], encoding="utf-8-sig").read()
        rows = list(csv.reader(io.StringIO(text)))
        if variant == "english":
            rows[0] = {"officers": ["ID", "name", "level", "unit", "phone", "email"],
                       "enterprises": ["id", "Name", "kind", "area", "officers"]}[s]
            rows = [rows[0]] + [[{"区级": "zone", "市级": "municipal", "省级": "provincial",
                                  "企业": "enterprise", "社会组织": "social_org"}.get(c, c)
                                 for c in r] for r in rows[1:]]
        buf = io.StringIO()
        csv.writer(buf, delimiter="\t" if variant == "tab" else ",",
                   lineterminator="\n" if variant == "tab" else "\r\n").writerows(rows)
        text = buf.getvalue()
        enc = {"bom": "utf-8-sig", "gbk": "gbk", "gb18030": "gb18030"}.get(variant, "utf-8")
        write(paths[s], text, enc)
    out = str(tmp_path / "roster.json")
    import_(paths, out, "--base", lib.ROSTER_FILE)
    assert read_json(out) == lib.load_roster()


def test_base_supplies_zone_leaders_departments_and_topics(tmp_path):
    paths = export(tmp_path)
    out = str(tmp_path / "roster.json")
    import_({s: paths[s] for s in ("officers", "enterprises")}, out,
            "--base", lib.ROSTER_FILE)
    assert read_json(out) == lib.load_roster()


def test_base_keeps_the_leaders_webhook(tmp_path):
    """zone.leaders_webhook (trend alerts, SPEC §12) has no sheet: an
    import on a base keeps the base's."""
    base = lib.load_roster()
    base["zone"]["leaders_webhook"] = {"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=lead",
                                       "format": "wecom"}
    base_path = str(tmp_path / "base.json")
    lib.write_roster(base_path, base)
    paths = export(tmp_path)
    out = str(tmp_path / "roster.json")
    import_({s: paths[s] for s in ("officers", "enterprises")}, out, "--base", base_path)
    assert read_json(out) == base


def test_without_zone_or_topics_nothing_is_written(tmp_path):
    paths = export(tmp_path)
    out = str(tmp_path / "roster.json")
    p = import_(paths, out, check=False)
    assert p.returncode == 1 and p.stderr == "no zone name: give --zone NAME or --base ROSTER\n"
    p = import_({s: paths[s] for s in ("officers", "enterprises", "departments")}, out,
                "--zone", "z", check=False)
    assert p.returncode == 1 and p.stderr == "no topics: give --topics FILE or --base ROSTER\n"
    assert not os.path.exists(out)


# Malformed sheets: (sheet, edit, the exact message). An edit is a function of
# the exported sheet's text (UTF-8, BOM stripped); the message names the file
# (NAME stands for its path), the line and the column.
def _replace(old, new, count=1):
    def edit(text):
        assert old in text, old
        return text.replace(old, new, count)
    return edit


def _append(line):
    return lambda text: text + line + "\r\n"


ROSTER = lib.load_roster()
E0 = ROSTER["enterprises"][0]["id"]           # 91340800PN4Y1KAC63, line 2
E1 = ROSTER["enterprises"][1]["id"]           # line 3
BAD_CHECK = E0[:17] + ("0" if E0[17] != "0" else "1")

MALFORMED = [
    ("enterprises", _replace('"%s"' % E0, '"%s"' % BAD_CHECK),
     'NAME:2:1: credit code "%s": bad check character \'%s\', expected \'%s\''
     % (BAD_CHECK, BAD_CHECK[17], E0[17])),
    ("enterprises", _replace('"%s"' % E1, '"%s"' % E1[:17]),
     'NAME:3:1: credit code "%s": has 17 characters, not 18' % E1[:17]),
    ("enterprises", _replace('"%s"' % E1, '"%s"' % E1.lower()),
     'NAME:3:1: credit code "%s": uses only 0-9 and A-Y without I, O, S, V, Z (upper case)'
     % E1.lower()),
    ("enterprises", _replace('"%s"' % E1, '"%s"' % E0),
     'NAME:3:1: duplicate id "%s" (also on line 2)' % E0),
    ("enterprises", _replace(',"O002"\r\n', ',"O999"\r\n'),
     'NAME:3:5: 指导员 (officers): no officer "O999" in OFFICERS'),
    ("enterprises", _replace(',"O002"\r\n', ',"O002;O002"\r\n'),
     'NAME:3:5: 指导员 (officers): "O002" named twice'),
    ("enterprises", _replace('"安庆锦华食品有限公司"', '""'),
     "NAME:2:2: 名称 (name): must not be empty"),
    ("enterprises", _replace('"企业"', '"个体户"'),
     'NAME:2:3: kind "个体户": must be one of 企业 (enterprise), 社会组织 (social_org)'),
    ("enterprises", _replace('"区域",', '"地区",'),
     'NAME:1:4: unknown column "地区" (the columns are 统一社会信用代码/id, 名称/name, '
     '类型/kind, 区域/area, 指导员/officers)'),
    ("enterprises", _replace('"统一社会信用代码",', '"代码",'),
     'NAME:1: missing column 统一社会信用代码/id\nNAME:1:1: unknown column "代码" (the '
     'columns are 统一社会信用代码/id, 名称/name, 类型/kind, 区域/area, 指导员/officers)'),
    ("enterprises", _replace('"刘纪社区","O001"', '"刘纪社区","O001","多余"'),
     "NAME:2:6: a cell right of the last column (5 columns in the header)"),
    ("enterprises", _replace('"安庆锦华食品有限公司"', '"安庆"锦华"'),
     "NAME:2:2: text after the closing quote of a cell (double the quotes inside "
     "a quoted cell)"),
    ("enterprises", _replace('"安庆锦华食品有限公司"', '安庆"锦华"'),
     "NAME:2:2: a quote inside a cell that does not start with one (quote the "
     "whole cell and double the quotes in it)"),
    ("officers", _append('"O001","重名","区级","","",""'),
     'NAME:57:1: duplicate id "O001" (also on line 2)'),
    ("officers", _replace('"区级"', '"县级"'),
     'NAME:2:3: level "县级": must be one of 区级 (zone), 市级 (municipal), 省级 (provincial)'),
    ("officers", _replace('"o001@jkq.example.gov.cn"', '"o001 at jkq"'),
     'NAME:2:6: email "o001 at jkq": not a mail address'),
    ("officers", _replace('"熊玉"', '"熊\n玉"'),
     "NAME:2:2: name: contains a control character"),
    ("officers", _append('"O 56","新人","区级","","",""'),
     "NAME:57:1: id: use 1 to 64 letters, digits, '_', '-' or '.'"),
    ("officers", lambda t: t + '"O056","新人","区级","","","","x"\r\n"O057","',
     "NAME:58:2: a quoted cell is never closed"),
    ("departments", _replace('"standard"', '"slack"'),
     'NAME:2:5: webhook: format "slack": must be standard, wecom, dingtalk or feishu'),
    ("departments", _replace('"http://127.0.0.1:9099/hooks/econ"', '"ftp://x"'),
     'NAME:3:4: webhook: url "ftp://x": must start with http:// or https://'),
    ("topics", _replace(',"hr",', ',"hr;nosuch",'),
     'NAME:3:3: departments[1] "nosuch": no such department'),
    ("topics", _replace(',"hr",', ',"",'),
     "NAME:3:3: 责任部门 (departments): must not be empty"),
    ("leaders", _replace('"leader@jkq.example.gov.cn"', '"leader"'),
     'NAME:2:2: email "leader": not a mail address'),
    ("officers", lambda t: "",
     "NAME: empty: expected a header row"),
]


@pytest.mark.parametrize("sheet,edit,message", MALFORMED,
                         ids=["%s-%d" % (m[0], i) for i, m in enumerate(MALFORMED)])
def test_malformed_sheet_names_file_line_and_column(tmp_path, sheet, edit, message):
    paths = export(tmp_path)
    text = open(paths[sheet], encoding="utf-8-sig", newline="").read()
    write(paths[sheet], "\ufeff" + edit(text) if edit(text) else "")
    out = str(tmp_path / "roster.json")
    write(out, "keep me")
    p = import_(paths, out, "--zone", "安庆经开区", check=False)
    want = message.replace("NAME", paths[sheet]).replace("OFFICERS", paths["officers"])
    assert p.returncode == 1, p.stdout
    assert p.stderr == want + "\n"
    assert p.stdout == ""
    assert open(out).read() == "keep me"
    assert sorted(os.listdir(tmp_path)) == sorted([s + ".csv" for s in SHEETS] + ["roster.json"])


def test_problems_come_in_sheet_and_line_order(tmp_path):
    paths = export(tmp_path)
    text = open(paths["officers"], encoding="utf-8-sig", newline="").read()
    write(paths["officers"], text + '"O002","重名","区级","","",""\r\n')
    text = open(paths["enterprises"], encoding="utf-8-sig", newline="").read()
    write(paths["enterprises"], text.replace('"企业"', '"公司"', 2).replace(',"O003"\r\n', ',""\r\n'))
    p = import_(paths, str(tmp_path / "r.json"), "--zone", "z", check=False)
    got = [line.split(": ")[0].replace(str(tmp_path) + "/", "") for line in p.stderr.splitlines()]
    assert got == ["officers.csv:57:1", "enterprises.csv:2:3", "enterprises.csv:3:3"], p.stderr


def test_every_problem_is_reported_at_once(tmp_path):
    paths = export(tmp_path)
    text = open(paths["officers"], encoding="utf-8-sig", newline="").read()
    text = text.replace('"熊玉"', '""').replace('"市级"', '"镇级"', 1)
    write(paths["officers"], text)
    p = import_(paths, str(tmp_path / "r.json"), "--zone", "z", check=False)
    lines = p.stderr.splitlines()
    assert lines[0] == paths["officers"] + ":2:2: 姓名 (name): must not be empty"
    assert len(lines) == 2 and ':3: level "镇级"' in lines[1], lines


def test_export_refuses_a_bad_roster_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"zone": {}}')
    p = lib.liaisonctl("roster", "export", "-i", str(bad), "--officers", str(tmp_path / "o.csv"),
            check=False)
    assert p.returncode == 1 and p.stderr.startswith("liaisonctl: " + str(bad) + ": ")
    assert sorted(os.listdir(tmp_path)) == ["bad.json"]


@pytest.mark.parametrize("clash", ["a directory", "the same file twice"])
def test_export_checks_every_target_before_writing_any(tmp_path, clash):
    (tmp_path / "dir").mkdir()
    second = str(tmp_path / "dir") if clash == "a directory" else str(tmp_path / "o.csv")
    p = lib.liaisonctl("roster", "export", "-i", lib.ROSTER_FILE, "--officers", str(tmp_path / "o.csv"),
            "--enterprises", second, check=False)
    why = "not a regular file" if clash == "a directory" else "named twice"
    assert p.returncode == 1 and p.stderr.strip() == "liaisonctl: %s: %s" % (second, why), p.stderr
    assert sorted(os.listdir(tmp_path)) == ["dir"] and os.listdir(tmp_path / "dir") == []


def test_round_trip_of_optional_fields_and_shared_enterprises(tmp_path):
    # No webhook, no area, no unit/phone/email, an officer without enterprises,
    # an enterprise two officers look after, text with commas, quotes and a
    # line break; emails and keywords as empty lists (how import gives them).
    e1, e2 = ROSTER["enterprises"][0]["id"], ROSTER["enterprises"][1]["id"]
    roster = {
        "zone": {"name": "测试区", "timezone": "Asia/Shanghai"},
        "leaders": [],
        "departments": [{"id": "hr", "name": "人社局, \"就业\"科", "emails": []},
                        {"id": "econ", "name": "经发局", "emails": ["a@x.cn", "b@x.cn"],
                         "webhook": {"url": "https://x.cn/h", "format": "wecom"}}],
        "topics": [{"id": "hiring", "name": "用工", "departments": ["hr", "econ"], "keywords": []}],
        "officers": [{"id": "O1", "name": "甲", "level": "provincial", "enterprises": [e1, e2]},
                     {"id": "O2", "name": "乙", "level": "municipal", "unit": "单位",
                      "enterprises": [e2]},
                     {"id": "O3", "name": "丙", "level": "zone", "enterprises": []}],
        "enterprises": [{"id": e1, "name": "甲公司", "kind": "social_org"},
                        {"id": e2, "name": "乙公司", "kind": "enterprise", "area": "东区"}],
    }
    src = tmp_path / "in.json"
    src.write_text(json.dumps(roster, ensure_ascii=False), encoding="utf-8")
    paths = export(tmp_path, str(src))
    assert '"O1;O2"' in open(paths["enterprises"], encoding="utf-8-sig").read()
    out = str(tmp_path / "out.json")
    import_(paths, out, "--zone", "测试区")
    assert read_json(out) == roster


def test_export_notes_an_order_the_sheets_cannot_keep(tmp_path):
    roster = lib.load_roster()
    roster["officers"][0]["enterprises"].reverse()
    src = tmp_path / "in.json"
    src.write_text(json.dumps(roster, ensure_ascii=False), encoding="utf-8")
    p = lib.liaisonctl("roster", "export", "-i", str(src), "--officers", str(tmp_path / "o.csv"))
    assert p.stderr == ("liaisonctl: note: 1 officers list their enterprises in another order "
                        "than the enterprise sheet; an import lists them in sheet order\n")
