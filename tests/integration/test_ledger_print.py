"""The ledger on paper (issue 18): a period's workbook printed by a real
spreadsheet application no one here wrote. LibreOffice Calc
(`soffice --headless --convert-to pdf`, Debian's libreoffice-calc-nogui)
prints the workbook of the 27 sample items (flow.ledger_sample: every third
task resolved, every third responded to, with texts that wrap) to PDF, and
poppler's pdfinfo and pdftotext read it back: at most 6 pages, in order
(汇总, 个性问题, 共性问题, 疑难问题), each sheet's first page with its title
block, every later page with the header row again, every page headed with
the zone and numbered with the generation time in its footer, and every row
of the ledger printed.

The zone office's workbook has more than the ledger: 往期未销号 and 例会议题
(issue 16) and four field-work sheets (issue 15). The 6-page bound holds
for the ledger's six sheets together (summary, three categories, carry-over,
agenda: stricter than the issue's four); the field-work sheets, told apart
by their footers, have their own bound. How long LibreOffice takes is
printed, not asserted (no timing assertions: a loaded machine is slower).

A machine without soffice or poppler fails here, saying which package to
install (scripts/check installs them): a missing tool never passes.
SCREENSHOTS=docs/screenshots renders the printed workbook's first page there
(ledger-workbook-print.png).
"""

import os
import re
import shutil
import subprocess
import time

import pytest

import flow
import lib

# the last two: issue 16's carry-over and the working meeting's agenda
LEDGER_SHEETS = ["汇总", "个性问题", "共性问题", "疑难问题", "往期未销号", "例会议题"]
# issue 15's field work, after the ledger's sheets in the zone office's workbook
FIELDWORK_SHEETS = ["走访记录", "宣讲活动", "工作成效", "指导员表现"]
SHEETS = LEDGER_SHEETS + FIELDWORK_SHEETS
MAX_PAGES = 6            # the ledger's sheets
MAX_FIELDWORK_PAGES = 5  # the sample has no field work: three empty sheets and every officer's row
HEADERS = {"汇总": ("部门", "响应率", "得分"), "例会议题": ("事项", "问题编号", "已过天数"),
           "走访记录": ("编号", "走访方式", "走访情况"), "宣讲活动": ("编号", "宣讲主题", "受众"),
           "工作成效": ("编号", "成效类别", "关联问题"), "指导员表现": ("指导员编号", "走访次数", "超期未走访")}
TOOLS = {"soffice": "libreoffice-calc-nogui", "pdfinfo": "poppler-utils", "pdftotext": "poppler-utils"}


def tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail("%s is missing: install Debian's %s (scripts/check does)" % (name, TOOLS[name]),
                    pytrace=False)
    return path


def to_pdf(xlsx, workdir):
    """Print xlsx to PDF with LibreOffice in a profile of its own (another
    soffice running on the machine cannot get in the way); returns the
    PDF's path and the seconds it took."""
    soffice = tool("soffice")
    profile = os.path.join(workdir, "lo-profile")
    t0 = time.monotonic()
    p = subprocess.run([soffice, "-env:UserInstallation=file://" + profile, "--headless",
                        "--convert-to", "pdf", "--outdir", workdir, xlsx],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    took = time.monotonic() - t0
    pdf = os.path.splitext(xlsx)[0] + ".pdf"
    assert p.returncode == 0 and os.path.exists(pdf), "soffice: %s %s" % (p.stdout, p.stderr)
    return pdf, took


def pdf_pages(pdf):
    """The PDF's page count (pdfinfo) and each page's text (pdftotext)."""
    info = subprocess.run([tool("pdfinfo"), pdf], capture_output=True, text=True, check=True).stdout
    n = int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))
    text = subprocess.run([tool("pdftotext"), "-layout", pdf, "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    assert len(pages) == n, (len(pages), n)
    return pages


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """The sample period's workbook printed by LibreOffice: {"pages", "doc",
    "seconds", "st"}."""
    for name in TOOLS:
        tool(name)
    work = tmp_path_factory.mktemp("print")
    with lib.Stack(str(work / "stack")) as st:
        flow.ledger_sample(st)
        doc = st.d.get("/api/v1/ledger").json()
        resp = st.d.get("/api/v1/ledger.xlsx", token=st.token("admin", "clerk"))
        assert resp.status == 200, resp
        xlsx = str(work / "ledger.xlsx")
        with open(xlsx, "wb") as f:
            f.write(resp.body)
        pdf, took = to_pdf(xlsx, str(work))
        pages = pdf_pages(pdf)
        if os.environ.get("SCREENSHOTS"):   # the README's picture of the printed workbook
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf,
                            os.path.join(os.environ["SCREENSHOTS"], "ledger-workbook-print")], check=True)
        per = {s: sum(sheet_of(p) == s for p in pages) for s in SHEETS}
        print("\nLibreOffice printed the ledger of %d issues in %.1f s: %d pages %s"
              % (len(doc["issues"]), took, len(pages), per))
        yield {"pages": pages, "doc": doc, "st": st}


@pytest.fixture
def pr(printed):
    with printed["st"].guard():
        yield printed


def sheet_of(page):
    """The sheet a printed page belongs to, by its footer."""
    found = [s for s in SHEETS if re.search(r"%s \d{4}-\d\d-[12]\s*$" % s, page.rstrip())]
    assert len(found) == 1, page[-300:]
    return found[0]


def test_the_sample_period_prints_in_at_most_six_pages(pr):
    assert len(pr["doc"]["issues"]) == 27
    ledger = [p for p in pr["pages"] if sheet_of(p) in LEDGER_SHEETS]
    assert 1 <= len(ledger) <= MAX_PAGES, len(ledger)
    assert len(pr["pages"]) - len(ledger) <= MAX_FIELDWORK_PAGES, len(pr["pages"]) - len(ledger)


def test_pages_read_in_order_with_title_block_headers_and_footer(pr):
    st, pages = pr["st"], pr["pages"]
    n = len(pages)
    zone = st.roster["zone"]["name"]
    period = lib.current_period()
    order = [sheet_of(p) for p in pages]
    assert order == sorted(order, key=SHEETS.index), order
    assert set(order) == set(SHEETS), "every sheet is printed"
    made = None
    for i, (page, sheet) in enumerate(zip(pages, order), 1):
        assert re.search(r"第\s*%d\s*页\s*共\s*%d\s*页" % (i, n), page), "page %d: %s" % (i, page[-300:])
        when = re.search(r"生成时间\s+(\d{4}-\d\d-\d\d \d\d:\d\d)", page)
        assert when, page[-300:]
        assert made in (None, when.group(1)), "one generation time on every page"
        made = when.group(1)
        first = order.index(sheet) == i - 1
        fieldwork = sheet in FIELDWORK_SHEETS
        doc = "联系服务台账" if fieldwork else "问题清单台账"
        head = page.strip().splitlines()[0].strip()
        assert head == zone + doc, "page %d is headed with its zone: %s" % (i, head)
        title = "%s%s（%s）" % (zone, doc, sheet)
        assert (title in page) == first, (i, sheet)
        if first and fieldwork:
            assert re.search(r"期次：%s\s+日期：" % period, page)
        elif first:
            category = sheet if sheet in SHEETS[1:4] else "全部"
            assert re.search(r"期次：%s\s+类别：%s" % (period, category), page)
        headers = HEADERS.get(sheet, ("问题编号", "办结时限", "回应内容"))
        assert all(h in page for h in headers), "page %d repeats the header row" % i


def test_every_row_of_the_ledger_is_printed(pr):
    pages, doc = pr["pages"], pr["doc"]
    by_sheet = {s: "".join(p for p in pages if sheet_of(p) == s) for s in SHEETS}
    titles = dict(zip(("individual", "common", "difficult"), SHEETS[1:]))
    for issue in doc["issues"]:
        text = by_sheet[titles[issue["category"]]]
        assert re.search(r"\b%s\b" % issue["id"], text), issue["id"]
        for t in issue["tasks"]:
            assert re.search(r"\b%s\b" % t["id"], text), t["id"]
    for d in doc["departments"]:
        assert d["name"] in by_sheet["汇总"], d["name"]


def test_a_sheet_of_many_pages_repeats_its_header_row_and_zone(tmp_path):
    """The sample's sheets fit on a page each, so a period whose details are
    long (rows at Excel's tallest) shows what the later pages of a sheet
    carry: the zone atop, the header row again, the footer, no title block."""
    for name in TOOLS:
        tool(name)
    with lib.Stack(str(tmp_path / "stack")) as st:
        for it in flow.sample_items()[:12]:
            item = dict(flow.one_item(it), detail=("%s，" % it["title"]) * 30)
            flow.submit(st, it["officer"], [item])
        resp = st.d.get("/api/v1/ledger.xlsx", token=st.token("admin", "clerk"))
        assert resp.status == 200, resp
        xlsx = str(tmp_path / "long.xlsx")
        with open(xlsx, "wb") as f:
            f.write(resp.body)
        zone = st.roster["zone"]["name"]
    pages = pdf_pages(to_pdf(xlsx, str(tmp_path))[0])
    order = [sheet_of(p) for p in pages]
    later = [(p, s) for i, (p, s) in enumerate(zip(pages, order)) if s in order[:i]]
    assert later, "some sheet runs over a page: %s" % order
    for page, sheet in later:
        assert page.strip().splitlines()[0].strip() == zone + "问题清单台账", page[:200]
        assert "%s问题清单台账（%s）" % (zone, sheet) not in page, "the title block is printed once"
        assert all(h in page for h in HEADERS.get(sheet, ("问题编号", "办结时限", "回应内容"))), sheet
        assert re.search(r"第\s*\d+\s*页\s*共\s*%d\s*页" % len(pages), page)
