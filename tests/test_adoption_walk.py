"""A province adopts the product in a day, in a real browser: from an EMPTY database, the
officer picks Cao Bằng (04) from the official list, uploads villages and cells as a commune
officer's Excel saves them (title rows, typed headers, codes that lost their leading zero,
dd/mm/yyyy text and Excel serial dates, a few typos the check catches), re-uploads the fixed
files, then sees Tổng quan with Cao Bằng's figures only and downloads the meeting pack.
Screenshots at 1366×768 go to /tmp/adoption_*.png."""
import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
from conftest import CHROMIUM, page_errors, start_app, wait_for_app

from dashboard import store
from dashboard.store import queries, reference

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp")


def _communes():
    c = reference.communes_of("04")
    return list(c.itertuples())[:6]


def units_workbook(path: Path, typos: bool) -> dict:
    """Villages of six Cao Bằng communes as a commune officer types them: two title rows, the
    app's own header words ('Mã ĐV', 'Mã cấp trên', 'Số khẩu'), parent codes typed as numbers
    (Excel drops the leading zero), one commune row with a misspelt name."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Thôn"
    ws.append(["DANH SÁCH THÔN, TỔ DÂN PHỐ NĂM 2026"])
    ws.append(["(Kèm theo báo cáo của Ban Dân vận)"])
    ws.append(["Mã ĐV", "Tên ĐV", "Cấp", "Mã cấp trên", "Số hộ", "Số khẩu"])
    households = 0
    lyb = next(c for c in _communes() if c.commune_code == "01294")
    ws.append([lyb.commune_code, "Xã Lý Bônh", "Xã", "04", None, None])   # typo in the name
    for i, c in enumerate(_communes()):
        for j in range(1, 4):
            hh = 60 + 10 * i + 5 * j
            households += hh
            value = "8O" if (typos and i == 1 and j == 2) else hh          # letter O for zero
            parent = int(c.commune_code)                                   # 1294, not 01294
            if typos and i == 2 and j == 3:
                parent = int(c.commune_code) + 1                           # a code that is no commune
            ws.append([f"{c.commune_code}-{j:02d}", f"Thôn {j} {c.commune_name[3:]}", "Thôn",
                       parent, value, hh * 4])
    wb.save(path)
    return {"households": households}


def cells_workbook(path: Path, typos: bool) -> dict:
    """Cells of the first four communes: dates typed as dd/mm/yyyy text, as real Excel dates
    and as bare serial numbers; one impossible date and one unknown village in the typo run."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tổ"
    ws.append(["Mã tổ", "Tên tổ", "Mã thôn", "Giai đoạn", "Ngày TL", "Số TV", "Số hộ phụ trách"])
    n = 0
    for i, c in enumerate(_communes()[:4]):
        for j in range(1, 4):
            n += 1
            phase = "Thí điểm" if i == 0 else "Nhân rộng"
            if n % 3 == 0:
                when = "15/03/2024"                                         # text
            elif n % 3 == 1:
                when = dt.datetime(2024, 5, 2)                              # an Excel date
            else:
                when = (dt.date(2024, 6, 1) - dt.date(1899, 12, 30)).days   # bare serial
            if typos and n == 5:
                when = "31/02/2024"
            village = f"{c.commune_code}-{j:02d}"
            if typos and n == 7:
                village = f"{c.commune_code}-0{j}x"
            ws.append([f"CB{n:03d}", f"Tổ dân vận số {n}", village, phase, when, 6, 40])
    wb.save(path)
    return {"cells": n}


@pytest.fixture
def page1366(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN",
                                  accept_downloads=True)
    external: list[str] = []

    def guard(route):
        u = route.request.url
        if u.startswith(("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "data:",
                         "blob:", "about:")):
            route.continue_()
        else:
            external.append(u)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.external_requests = external
    yield page
    context.close()


def _select(page, label: str, option: str, typed: str | None = None) -> None:
    box = page.get_by_role("combobox", name=label)
    box.click()
    if typed:
        box.fill(typed)
    page.get_by_role("option", name=option).first.click()
    wait_for_app(page)


def _upload(page, path: Path) -> None:
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    page.get_by_text(f"Kết quả kiểm tra: {path.name}").wait_for(timeout=60_000)
    wait_for_app(page)


def _metric(page, label: str) -> str:
    m = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return m.locator("[data-testid='stMetricValue']").inner_text()


def _annotated(page, tmp_path: Path):
    """The user's own file back, with the problem cells marked and explained."""
    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile("đánh dấu ô lỗi")).click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return openpyxl.load_workbook(target).active


def _commit(page) -> int:
    page.get_by_role("button", name="Ghi vào cơ sở dữ liệu").click()
    flash = page.get_by_text(re.compile(r"Đã ghi lô số \d+"))
    flash.wait_for(timeout=60_000)
    wait_for_app(page)
    assert flash.count() == 1, page_errors(page)
    return int(re.search(r"lô số (\d+)", flash.inner_text()).group(1))


def test_cao_bang_from_an_empty_database_to_the_meeting_pack(page1366, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium")
    path = tmp_path / "moi.duckdb"
    store.Database(path).close()                     # a new, empty database
    proc, url = start_app(path)
    page = page1366
    try:
        # 1. the Data page of an empty database offers to start with a province
        page.goto(url + "/du-lieu")
        wait_for_app(page)
        body = page.inner_text("body")
        assert "chưa có tỉnh nào" in body and "Bắc Ninh" not in body
        _select(page, "Tỉnh, thành phố (danh mục chính thức 2025)",
                "Tỉnh Cao Bằng (04) — 56 xã, phường", typed="Cao")
        page.get_by_role("button", name="Tạo tỉnh và các xã, phường chính thức").click()
        page.get_by_text("Tạo Tỉnh Cao Bằng và 56 xã, phường chính thức").wait_for(
            timeout=60_000)
        wait_for_app(page)
        page.screenshot(path=str(SHOTS / "adoption_data_province.png"))

        # 2. villages, with typos: the check catches them and writes nothing
        bad_units, good_units = tmp_path / "thon_co_loi.xlsx", tmp_path / "thon.xlsx"
        units_workbook(bad_units, typos=True)
        facts = units_workbook(good_units, typos=False)
        _upload(page, bad_units)
        assert page.get_by_text("Tệp có lỗi nên").count() == 1
        assert page.get_by_text("Vấn đề trong tệp: 2 lỗi, 1 cảnh báo").count() == 1
        marked = _annotated(page, tmp_path)
        assert "không phải số nguyên" in marked["E9"].comment.text          # "8O"
        assert "Xã Lý Bôn" in marked["B4"].comment.text                    # the typo, named
        page.screenshot(path=str(SHOTS / "adoption_units_errors.png"), full_page=True)
        _upload(page, good_units)                       # the fixed file replaces it
        assert _metric(page, "Dòng mới") == "18" and _metric(page, "Bị từ chối") == "0"
        assert page.get_by_text("Vấn đề trong tệp: 0 lỗi, 1 cảnh báo").count() == 1
        _commit(page)

        # 3. cells: mixed date styles, one impossible date, one unknown village, then fixed
        _select(page, "Bộ dữ liệu", "Tổ dân vận — Tổ dân vận cộng đồng / tổ tự quản")
        bad_cells, good_cells = tmp_path / "to_co_loi.xlsx", tmp_path / "to.xlsx"
        cells_workbook(bad_cells, typos=True)
        cfacts = cells_workbook(good_cells, typos=False)
        _upload(page, bad_cells)
        assert _metric(page, "Bị từ chối") == "2"
        marked = _annotated(page, tmp_path)
        assert "31/02/2024" in marked["E6"].value and marked["E6"].comment is not None
        assert marked["C8"].comment is not None                           # unknown village
        _upload(page, good_cells)
        assert _metric(page, "Dòng mới") == str(cfacts["cells"])
        _commit(page)
        page.screenshot(path=str(SHOTS / "adoption_data_committed.png"))

        # 4. Tổng quan: Cao Bằng's figures only, no demo anywhere
        page.goto(url + "/")                           # the home page: Tổng quan
        wait_for_app(page)
        body = page.inner_text("body")
        assert "Tổng quan" in body and "Tỉnh Cao Bằng" in body
        assert "Bắc Ninh" not in body and "Dữ liệu mẫu" not in body
        assert _metric(page, "Xã có tổ") == "4 / 56"
        assert _metric(page, "Tổng số hộ") == f"{facts['households']:,}".replace(",", ".")
        assert _metric(page, "Tổ đang hoạt động") == str(cfacts["cells"])
        page.screenshot(path=str(SHOTS / "adoption_overview.png"))
        # downloads a clerk can open: dated names, the sheet says what it holds
        today = dt.date.today().isoformat()
        with page.expect_download() as info:
            page.locator(".st-key-cov_table_xlsx button").click()
        assert info.value.suggested_filename == f"do-phu-theo-xa_{today}.xlsx"
        sheet = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
        top = [sheet.cell(r, 1).value for r in range(1, 5)]
        assert top[0] == "Độ phủ theo xã" and top[1].startswith("Số liệu tính đến: ")
        assert top[3].startswith("Nguồn: Bảng điều khiển Dân vận · Tỉnh Cao Bằng")
        with page.expect_download() as info:
            page.locator(".st-key-cov_table_csv").get_by_role("button", name="⬇ CSV",
                                                              exact=True).click()
        csv_text = Path(info.value.path()).read_bytes().decode("utf-8-sig")
        assert csv_text.splitlines()[0].count(";") >= 5
        with page.expect_download(timeout=120_000) as info:
            page.locator(".st-key-growth_png button").click()
        assert info.value.suggested_filename == \
            f"to-va-thanh-vien-theo-thang-thi-diem-va-nhan-rong_{today}.png"
        # the KPI '?' leads to the guide
        page.goto(url + "/huong-dan?muc=coverage_pct")
        wait_for_app(page)
        assert "100 × 120 / 150" in page.inner_text("body")
        page.screenshot(path=str(SHOTS / "adoption_guide.png"))

        # 5. Trình chiếu: the meeting pack, named by its date, about Cao Bằng only
        page.goto(url + "/trinh-chieu")
        wait_for_app(page)
        assert "Bắc Ninh" not in page.inner_text("body")
        page.screenshot(path=str(SHOTS / "adoption_present.png"))
        with page.expect_download(timeout=180_000) as info:
            page.locator(".st-key-present_pptx button:visible").click()
        download = info.value
        assert download.suggested_filename == f"hoi-nghi-danh-gia_{dt.date.today()}.pptx"
        from pptx import Presentation

        prs = Presentation(io.BytesIO(Path(download.path()).read_bytes()))
        text = " ".join(sh.text_frame.text for s in prs.slides for sh in s.shapes
                        if sh.has_text_frame)
        assert "Cao Bằng" in text and "Bắc Ninh" not in text
        assert page_errors(page) == []
        assert page.external_requests == []
    finally:
        proc.terminate()
        proc.wait(20)
    db = store.Database(path, read_only=True)
    kpi = queries.run(db, "kpi_overview", {}).iloc[0]
    assert db.scalar("SELECT unit_name FROM units WHERE unit_code = '01294'") == "Xã Lý Bôn"
    dates = db.df("SELECT established_on, count(*) AS n FROM cells GROUP BY 1 ORDER BY 1")
    assert [d.date() for d in dates.established_on] == [dt.date(2024, 3, 15), dt.date(2024, 5, 2),
                                                        dt.date(2024, 6, 1)]
    assert kpi.communes == 56 and kpi.cells == cfacts["cells"]
    assert kpi.households == facts["households"]
    db.close()


def test_demo_database_asks_before_mixing_provinces(demo_copy, page1366, tmp_path):
    """On the demo, a Cao Bằng units file is not written until the user confirms; once two
    provinces are held, the shared filters offer the province choice (kept in the URL) and
    the KPI '?' leads to the guide."""
    proc, url = start_app(demo_copy)
    page = page1366
    try:
        page.goto(url + "/du-lieu")
        wait_for_app(page)
        assert page.get_by_text("Cơ sở dữ liệu đang chứa dữ liệu mẫu").count() == 1
        page.screenshot(path=str(SHOTS / "adoption_data_demo.png"))
        units = tmp_path / "cao_bang.csv"
        reference.units_frame("04").to_csv(units, index=False)
        _upload(page, units)
        assert page.get_by_text("Tệp này thuộc Tỉnh Cao Bằng").count() == 1
        button = page.get_by_role("button", name="Ghi vào cơ sở dữ liệu")
        assert button.is_disabled()
        page.screenshot(path=str(SHOTS / "adoption_other_province.png"), full_page=True)
        page.get_by_text("Tôi xác nhận ghi dữ liệu của Tỉnh Cao Bằng").click()
        wait_for_app(page)
        _commit(page)

        page.goto(url + "/?province=04")
        wait_for_app(page)
        assert page.get_by_role("combobox", name="Tỉnh, thành phố").count() == 1
        assert _metric(page, "Xã có tổ") == "0 / 56"
        assert "Ban Dân vận · Tỉnh Cao Bằng" in page.inner_text("body")
        page.locator("[data-testid='stMetric']").filter(has_text="Độ phủ hộ gia đình").first \
            .locator("[data-testid='stTooltipIcon']").hover()
        link = page.get_by_role("link", name="Cách tính và ví dụ trong Hướng dẫn")
        link.wait_for(timeout=10_000)
        assert link.get_attribute("href").endswith("huong-dan?muc=coverage_pct")
        page.screenshot(path=str(SHOTS / "adoption_national_filter.png"))
        assert page.external_requests == []
    finally:
        proc.terminate()
        proc.wait(20)
