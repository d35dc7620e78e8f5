"""Comments on a figure (interpretations): a short text tied to the exact view — the page, the
figure and the page's URL state — with replies, resolution and, optionally, a place in the
meeting pack as a slide note.

Scoped like the data: a comment is about the communes of its view (the chosen communes, within
the author's scope; None = the whole data). A principal sees a comment only when every commune
it is about is in the principal's scope, so a commune-scoped user never sees another
commune's comment, nor one about the whole data unless it sees every commune. Comment text is user text: stored and
returned as given; pages show it as plain text, never as markdown or HTML.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from dashboard import config
from dashboard.access import audit
from dashboard.access.principal import LOCAL, Principal
from dashboard.i18n import fmt
from dashboard.reporting.scope import NONE, codes, scope_communes, sees

# slides of the meeting pack a comment can be attached to (output/slides.py keys)
SLIDES = {"title": "Trang đầu", "kpis": "Số liệu chính", "coverage": "Độ phủ hộ gia đình",
          "gaps": "Khoảng trống", "phases": "Thí điểm và nhân rộng",
          "evaluation": "Đánh giá thí điểm", "models": 'Mô hình "Dân vận khéo"'}

COLUMNS = ["comment_id", "parent_id", "page", "figure_key", "figure_title", "view_query",
           "communes", "author", "author_role", "created_at", "body", "resolved_by",
           "resolved_at", "in_pack", "slide_key"]


class CommentError(Exception):
    """A comment that cannot be saved or changed (Vietnamese message)."""


def slide_for(figure_key: str, page: str = "") -> str:
    """The pack slide a figure's comment goes to by default."""
    k = f"{page} {figure_key}".lower()
    for word, slide in (("model", "models"), ("mo_", "models"), ("ev_", "evaluation"),
                        ("pilot", "phases"), ("phase", "phases"), ("gap", "gaps"),
                        ("cov", "coverage"), ("map", "coverage"), ("kpi", "kpis")):
        if word in k:
            return slide
    return "kpis"


def _about(db, principal: Principal, communes: list[str] | None) -> list[str] | None:
    """The communes a new comment is about: the view's communes within the author's scope."""
    allowed = scope_communes(db, principal)
    chosen = [c for c in (communes or []) if c != NONE]
    if allowed is None:
        return sorted(set(chosen)) or None
    inside = sorted(set(chosen) & set(allowed)) if chosen else list(allowed)
    if not inside:
        raise CommentError("Bạn không có phạm vi dữ liệu nào để bình luận.")
    return inside


def _clean(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise CommentError("Hãy viết nội dung bình luận.")
    limit = config.get("comment_max_chars")
    if len(text) > limit:
        raise CommentError(f"Bình luận dài {fmt.number(len(text))} ký tự; tối đa "
                           f"{fmt.number(limit)} ký tự.")
    return text


def add(db, principal: Principal, page: str, figure_key: str, body: str,
        view_query: str = "", communes: list[str] | None = None, figure_title: str = "",
        parent_id: int | None = None, in_pack: bool = False, slide_key: str | None = None,
        address: str | None = None) -> int:
    """Save a comment (or, with parent_id, a reply); returns its id."""
    if not principal.can("comment"):
        raise CommentError("Bạn không có quyền bình luận.")
    text = _clean(body)
    if parent_id is not None:
        parent = get(db, principal, parent_id)
        if parent is None:
            raise CommentError(f"Không có bình luận số {parent_id}.")
        page, figure_key = parent["page"], parent["figure_key"]
        view_query, figure_title = parent["view_query"], parent["figure_title"]
        about = parent["communes"]
        in_pack, slide_key = False, None
    else:
        about = _about(db, principal, communes)
        if slide_key is not None and slide_key not in SLIDES:
            raise CommentError(f"Không có trang chiếu «{slide_key}».")
        if in_pack and slide_key is None:
            slide_key = slide_for(figure_key, page)
    with db.transaction() as cur:
        cid = int(cur.execute("SELECT nextval('comment_seq')").fetchone()[0])
        cur.execute(f"INSERT INTO comments ({', '.join(COLUMNS)}) VALUES "
                    f"({', '.join('?' * len(COLUMNS))})",
                    [cid, parent_id, page, figure_key, figure_title or None, view_query or None,
                     about, principal.username, principal.role, dt.datetime.now(), text, None,
                     None, bool(in_pack), slide_key])
        audit.record(db, principal, "comment",
                     f"{'Trả lời bình luận ' + str(parent_id) if parent_id else 'Bình luận'} "
                     f"số {cid} trên {page}/{figure_key}", address, cur=cur)
    return cid


def _visible(db, principal: Principal, df: pd.DataFrame) -> pd.DataFrame:
    allowed = scope_communes(db, principal)
    if allowed is None or df.empty:
        return df.reset_index(drop=True)
    everything = set(db.df("SELECT unit_code FROM units WHERE level = 'commune'")["unit_code"])
    whole = everything <= set(allowed)      # a scope that happens to hold every commune
    ok = [whole if codes(c) is None else sees(allowed, codes(c)) for c in df["communes"]]
    return df[ok].reset_index(drop=True)


def _frame(db, where: str = "TRUE", params: list | None = None) -> pd.DataFrame:
    return db.df(f"SELECT {', '.join(COLUMNS)} FROM comments WHERE {where} "
                 "ORDER BY created_at, comment_id", params or [])


def get(db, principal: Principal, comment_id: int) -> dict | None:
    df = _visible(db, principal, _frame(db, "comment_id = ?", [int(comment_id)]))
    if df.empty:
        return None
    row = df.iloc[0].to_dict()
    row["communes"] = codes(row["communes"])
    return row


def for_figure(db, principal: Principal, page: str, figure_key: str) -> pd.DataFrame:
    """The comments (and replies) on one figure the principal may see, oldest first."""
    return _visible(db, principal, _frame(db, "page = ? AND figure_key = ?", [page, figure_key]))


def for_page(db, principal: Principal, page: str) -> pd.DataFrame:
    """The comments (and replies) on every figure of a page the principal may see, oldest
    first (a page asks once and shows each figure its own: for_figure, filtered)."""
    return _visible(db, principal, _frame(db, "page = ?", [page]))


def feed(db, principal: Principal, include_resolved: bool = True,
         limit: int | None = None) -> pd.DataFrame:
    """Every comment the principal may see, newest thread first (replies after their
    comment)."""
    df = _visible(db, principal, _frame(db))
    if not include_resolved and len(df):
        open_ids = set(df.loc[df.parent_id.isna() & df.resolved_at.isna(), "comment_id"])
        df = df[df.comment_id.isin(open_ids) | df.parent_id.isin(open_ids)]
    if df.empty:
        return df
    df = df.assign(thread=df.parent_id.fillna(df.comment_id).astype(int))
    last = df.groupby("thread").created_at.max().rename("thread_last")
    df = df.join(last, on="thread").sort_values(
        ["thread_last", "thread", "parent_id", "created_at"],
        ascending=[False, False, True, True], na_position="first")
    if limit:
        keep = list(dict.fromkeys(df.thread))[:limit]
        df = df[df.thread.isin(keep)]
    return df.drop(columns=["thread_last"]).reset_index(drop=True)


def resolve(db, principal: Principal, comment_id: int, resolved: bool = True,
            address: str | None = None) -> None:
    """Mark a comment resolved (or open again): its author, or an editor and above."""
    c = get(db, principal, comment_id)
    if c is None:
        raise CommentError(f"Không có bình luận số {comment_id}.")
    if c["author"] != principal.username and not principal.can("approve"):
        raise CommentError("Chỉ người viết hoặc người có quyền duyệt được đóng bình luận này.")
    with db.transaction() as cur:
        cur.execute("UPDATE comments SET resolved_by = ?, resolved_at = ? WHERE comment_id = ?",
                    [principal.username if resolved else None,
                     dt.datetime.now() if resolved else None, int(comment_id)])
        audit.record(db, principal, "comment",
                     f"{'Đã xử lý' if resolved else 'Mở lại'} bình luận số {comment_id}",
                     address, cur=cur)


def set_in_pack(db, principal: Principal, comment_id: int, in_pack: bool,
                slide_key: str | None = None, address: str | None = None) -> None:
    """Put a comment into the meeting pack as a note of a slide (presenters and above)."""
    c = get(db, principal, comment_id)
    if c is None:
        raise CommentError(f"Không có bình luận số {comment_id}.")
    if not principal.can("pack") and c["author"] != principal.username:
        raise CommentError("Bạn không có quyền sửa bộ tài liệu họp.")
    slide_key = slide_key or c["slide_key"] or slide_for(c["figure_key"], c["page"])
    if slide_key not in SLIDES:
        raise CommentError(f"Không có trang chiếu «{slide_key}».")
    with db.transaction() as cur:
        cur.execute("UPDATE comments SET in_pack = ?, slide_key = ? WHERE comment_id = ?",
                    [bool(in_pack), slide_key, int(comment_id)])
        audit.record(db, principal, "comment",
                     f"Bình luận số {comment_id} {'đưa vào' if in_pack else 'bỏ khỏi'} bộ tài "
                     f"liệu họp (trang {SLIDES[slide_key]})", address, cur=cur)


def pack_notes(db, principal: Principal = LOCAL,
               communes: list[str] | None = None) -> dict[str, list[str]]:
    """slide key -> note lines of the comments put into the pack that the principal may see
    and that are about the deck's communes (None = the whole data: every visible comment)."""
    df = _visible(db, principal, _frame(db, "in_pack AND parent_id IS NULL"))
    out: dict[str, list[str]] = {}
    for r in df.itertuples(index=False):
        about = codes(r.communes)
        if communes is not None and (about is None or not set(about) <= set(communes)):
            continue
        when = fmt.date(pd.Timestamp(r.created_at).date())
        state = " (đã xử lý)" if pd.notna(r.resolved_at) else ""
        out.setdefault(r.slide_key or "kpis", []).append(
            f"• {r.author}, {when}{state}: {r.body}")
    return out


def place_pack_notes(notes: dict[str, list[str]], keys: list[str]) -> dict[str, list[str]]:
    """slide key -> note lines, for a deck with these slide keys in order: a comment for a
    slide the deck lacks goes on the first slide."""
    if not notes or not keys:
        return {}
    placed: dict[str, list[str]] = {}
    for key, lines in notes.items():
        placed.setdefault(key if key in keys else keys[0], []).extend(lines)
    return placed


def with_notes(s, lines: list[str] | None):
    """A copy of slide `s` with these comment lines added to its speaker notes."""
    if not lines:
        return s
    return dataclasses.replace(s, notes=(s.notes + "\n\n" if s.notes else "")
                               + "Bình luận:\n" + "\n".join(lines))


def with_pack_notes(db, deck: list, principal: Principal = LOCAL,
                    communes: list[str] | None = None, notes: dict | None = None) -> list:
    """Copies of the slides with the pack comments added to their speaker notes (the deck
    itself, possibly cached, is left unchanged). A comment for a slide the deck lacks goes
    on the first slide. `notes`: pack_notes() already read for this principal and scope."""
    notes = pack_notes(db, principal, communes) if notes is None else notes
    if not notes or not deck:
        return deck
    placed = place_pack_notes(notes, [s.key for s in deck])
    return [with_notes(s, placed.get(s.key)) for s in deck]
