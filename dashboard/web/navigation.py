"""The app's pages: file in pages/, title, icon and URL path. A page is listed only when its
script exists, so navigation never shows a placeholder. No Streamlit here (tests and
benchmarks read it too)."""
from __future__ import annotations

from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

# (file, title, icon, url path); the first page is the home page
PAGES = [
    ("overview.py", "Tổng quan", ":material/dashboard:", "tong-quan"),
    ("map.py", "Bản đồ", ":material/map:", "ban-do"),
    ("coverage.py", "Độ phủ hộ gia đình", ":material/holiday_village:", "do-phu"),
    ("evaluation.py", "Thí điểm và nhân rộng", ":material/trending_up:", "thi-diem"),
    ("models.py", 'Mô hình "Dân vận khéo"', ":material/workspace_premium:", "mo-hinh"),
    ("commune.py", "Hồ sơ xã", ":material/folder_open:", "ho-so-xa"),
    ("sql.py", "Phân tích SQL", ":material/search:", "sql"),
    ("present.py", "Trình chiếu", ":material/slideshow:", "trinh-chieu"),
    ("reporting.py", "Tình hình báo cáo", ":material/fact_check:", "bao-cao"),
    ("data.py", "Dữ liệu", ":material/upload_file:", "du-lieu"),
    ("guide.py", "Hướng dẫn", ":material/help:", "huong-dan"),
    ("admin.py", "Quản trị", ":material/admin_panel_settings:", "quan-tri"),
]

# page file -> the action (access.principal.ACTIONS) a role needs to see the page at all
REQUIRES = {"sql.py": "sql", "admin.py": "users"}


def allowed(file: str, principal) -> bool:
    need = REQUIRES.get(file)
    return need is None or principal.can(need)


def built() -> list[tuple[str, str, str]]:
    """(file, title, url path) of the pages whose script exists."""
    return [(f, t, u) for f, t, _, u in PAGES if (PAGES_DIR / f).exists()]
