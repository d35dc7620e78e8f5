"""Precomputed analytics tables (as DHIS2's analytics tables): coverage as change intervals.

A cell changes the figures of its unit on two days only: the day it is established (+1 cell,
+members, +households_covered) and the day it ends (the reverse). So per unit the figures are
constant between change days, and one row per interval [valid_from, valid_to) answers every
date exactly — not only month ends:

  an_unit_state     per village (or commune, for cells attached to it) and interval: active
                    cells, members, households_covered (uncapped)
  an_commune_state  per commune and interval: the sums over its villages and direct cells,
                    Σ village covered households (each capped at its village's households),
                    villages with active cells
  an_communes       per commune: villages, Σ village households, first cell, first pilot cell
                    (the commune phase at any date follows from these two dates)
  an_phase_events   per (commune, cell phase, day): change of active cells and members, for
                    the series over time
  an_commune_months per commune and calendar month m (year·12 + month): its figures at the
                    month's last day, for every month from the first interval's month to the
                    month the last (open) interval starts; later months hold the last row's
                    figures (the evaluation page's coverage history, eval_coverage_history)

Figures at a date are a filter scan (valid_from <= d < valid_to) joined to the units: the
table macros of sql/_analytics.sql return exactly the rows of the reference macros of
sql/_macros.sql (tests/test_analytics.py compares them on random dates and filters).

The tables are rebuilt inside the write transaction (a before_commit hook) whenever the
fingerprint of the rows they derive from (cells; units' codes, levels, parents, households)
differs from the one stored in app_meta — so every import, boundary import and undo leaves
them exact, and a write that touches neither (models, indicators, boundaries) costs one
fingerprint scan. A query that reads them first checks the fingerprint (`ready`); when they
are stale and the database is read-only it runs the reference SQL instead.
"""
from __future__ import annotations

import threading
from pathlib import Path

from dashboard.store.database import before_commit

SQL_FILE = Path(__file__).resolve().parent / "sql" / "_analytics.sql"
META_KEY = "analytics_fingerprint"
FAR = "DATE '9999-12-31'"

DDL = [
    """CREATE TABLE IF NOT EXISTS an_unit_state (
  unit_code VARCHAR, unit_level VARCHAR, commune_code VARCHAR,
  valid_from DATE, valid_to DATE, cells BIGINT, members BIGINT, hh_raw BIGINT)""",
    """CREATE TABLE IF NOT EXISTS an_commune_state (
  commune_code VARCHAR, valid_from DATE, valid_to DATE, cells BIGINT, members BIGINT,
  hh_raw BIGINT, village_covered BIGINT, direct_raw BIGINT, villages_with_cells BIGINT)""",
    """CREATE TABLE IF NOT EXISTS an_communes (
  commune_code VARCHAR PRIMARY KEY, villages BIGINT, village_households BIGINT,
  first_cell_on DATE, first_pilot_on DATE)""",
    """CREATE TABLE IF NOT EXISTS an_phase_events (
  commune_code VARCHAR, phase VARCHAR, day DATE, d_cells BIGINT, d_members BIGINT)""",
    """CREATE TABLE IF NOT EXISTS an_commune_months (
  commune_code VARCHAR, m BIGINT, cells BIGINT, members BIGINT, hh_raw BIGINT,
  covered BIGINT)""",
]
TABLES = ("an_unit_state", "an_commune_state", "an_communes", "an_phase_events",
          "an_commune_months")

# What the tables derive from: any change here changes the fingerprint.
FINGERPRINT_SQL = """
SELECT (SELECT count(*) || ':' || coalesce(bit_xor(hash(cell_id, unit_code, phase,
               established_on, ended_on, members, households_covered)), 0) FROM cells)
    || '|' ||
       (SELECT count(*) || ':' || coalesce(bit_xor(hash(unit_code, level, parent_code,
               households)), 0) FROM units)"""

# A cell that ends on or before the day it is established is never active: no events.
_EVENTS = """
  SELECT c.unit_code, c.phase, c.established_on AS day, 1 AS dc, c.members AS dm,
         c.households_covered AS dh
  FROM cells c
  WHERE c.established_on IS NOT NULL
    AND (c.ended_on IS NULL OR c.ended_on > c.established_on)
  UNION ALL
  SELECT c.unit_code, c.phase, c.ended_on, -1, -c.members, -c.households_covered
  FROM cells c
  WHERE c.established_on IS NOT NULL AND c.ended_on > c.established_on"""

REBUILD = [
    "DELETE FROM an_unit_state",
    f"""INSERT INTO an_unit_state
WITH u AS (
  SELECT unit_code, level,
         CASE WHEN level = 'village' THEN parent_code ELSE unit_code END AS commune_code
  FROM units WHERE level IN ('village', 'commune')),
g AS (
  SELECT unit_code, day, sum(dc) AS dc, sum(dm) AS dm, sum(dh) AS dh
  FROM ({_EVENTS}) e GROUP BY unit_code, day)
SELECT g.unit_code, u.level, u.commune_code, g.day,
       coalesce(lead(g.day) OVER w, {FAR}),
       sum(g.dc) OVER w, sum(g.dm) OVER w, sum(g.dh) OVER w
FROM g JOIN u USING (unit_code)
WINDOW w AS (PARTITION BY g.unit_code ORDER BY g.day ROWS UNBOUNDED PRECEDING)""",
    "DELETE FROM an_commune_state",
    f"""INSERT INTO an_commune_state
WITH vs AS (
  SELECT s.unit_code, s.commune_code, s.valid_from, s.cells, s.members, s.hh_raw,
         CASE WHEN s.unit_level = 'village'
              THEN least(s.hh_raw, coalesce(v.households, 0)) ELSE 0 END AS cov,
         CASE WHEN s.unit_level = 'commune' THEN s.hh_raw ELSE 0 END AS direct,
         CASE WHEN s.unit_level = 'village' AND s.cells > 0 THEN 1 ELSE 0 END AS has
  FROM an_unit_state s JOIN units v ON v.unit_code = s.unit_code),
d AS (
  SELECT commune_code, valid_from AS day,
         cells - coalesce(lag(cells) OVER w, 0) AS dc,
         members - coalesce(lag(members) OVER w, 0) AS dm,
         hh_raw - coalesce(lag(hh_raw) OVER w, 0) AS dh,
         cov - coalesce(lag(cov) OVER w, 0) AS dcov,
         direct - coalesce(lag(direct) OVER w, 0) AS ddirect,
         has - coalesce(lag(has) OVER w, 0) AS dhas
  FROM vs WINDOW w AS (PARTITION BY unit_code ORDER BY valid_from)),
g AS (
  SELECT commune_code, day, sum(dc) AS dc, sum(dm) AS dm, sum(dh) AS dh, sum(dcov) AS dcov,
         sum(ddirect) AS ddirect, sum(dhas) AS dhas
  FROM d GROUP BY commune_code, day)
SELECT commune_code, day, coalesce(lead(day) OVER w, {FAR}),
       sum(dc) OVER w, sum(dm) OVER w, sum(dh) OVER w, sum(dcov) OVER w,
       sum(ddirect) OVER w, sum(dhas) OVER w
FROM g
WINDOW w AS (PARTITION BY commune_code ORDER BY day ROWS UNBOUNDED PRECEDING)""",
    "DELETE FROM an_communes",
    """INSERT INTO an_communes
WITH v AS (
  SELECT parent_code AS commune_code, count(*) AS villages,
         sum(coalesce(households, 0)) AS households
  FROM units WHERE level = 'village' GROUP BY parent_code),
f AS (
  SELECT CASE WHEN u.level = 'village' THEN u.parent_code ELSE u.unit_code END AS commune_code,
         min(c.established_on) AS first_cell_on,
         min(c.established_on) FILTER (c.phase = 'pilot') AS first_pilot_on
  FROM cells c JOIN units u USING (unit_code) GROUP BY ALL)
SELECT c.unit_code, v.villages, v.households, f.first_cell_on, f.first_pilot_on
FROM units c
LEFT JOIN v ON v.commune_code = c.unit_code
LEFT JOIN f ON f.commune_code = c.unit_code
WHERE c.level = 'commune'""",
    "DELETE FROM an_phase_events",
    f"""INSERT INTO an_phase_events
SELECT CASE WHEN u.level = 'village' THEN u.parent_code ELSE u.unit_code END, e.phase, e.day,
       sum(e.dc), sum(e.dm)
FROM ({_EVENTS}) e JOIN units u USING (unit_code)
GROUP BY ALL""",
    # The month ends an interval [valid_from, valid_to) holds are those of the months
    # month(valid_from) … month(valid_to) − 1 (a month's last day is never before a day of
    # that month, and valid_to is never after its own month's last day); the open interval
    # gives its first month only. covered: Σ capped village coverage + direct cells' raw
    # households (an_commune_coverage caps it at the commune's households).
    "DELETE FROM an_commune_months",
    f"""INSERT INTO an_commune_months
SELECT commune_code,
       unnest(range(year(valid_from) * 12 + month(valid_from),
                    CASE WHEN valid_to = {FAR} THEN year(valid_from) * 12 + month(valid_from) + 1
                         ELSE year(valid_to) * 12 + month(valid_to) END)) AS m,
       cells, members, hh_raw, village_covered + direct_raw
FROM an_commune_state""",
]


def macros_sql() -> str:
    return SQL_FILE.read_text(encoding="utf-8")


def ensure_schema(cur) -> None:
    for stmt in DDL:
        cur.execute(stmt)
    cur.execute(macros_sql())


def fingerprint(cur) -> str:
    """The rows' fingerprint and the tables' names: a database whose tables were built before
    a table was added is rebuilt (or read through the reference SQL) instead of read empty."""
    return str(cur.execute(FINGERPRINT_SQL).fetchone()[0]) + "|" + ",".join(TABLES)


def stored_fingerprint(cur) -> str | None:
    row = cur.execute("SELECT value FROM app_meta WHERE key = ?", [META_KEY]).fetchone()
    return row[0] if row else None


def rebuild(cur, fp: str | None = None) -> None:
    """Recompute every analytics table from cells and units (inside the caller's transaction)."""
    fp = fp or fingerprint(cur)
    for stmt in REBUILD:
        cur.execute(stmt)
    cur.execute("DELETE FROM app_meta WHERE key = ?", [META_KEY])
    cur.execute("INSERT INTO app_meta VALUES (?, ?)", [META_KEY, fp])


@before_commit
def refresh(cur) -> None:
    """Before every COMMIT: rebuild when what the tables derive from has changed."""
    fp = fingerprint(cur)
    if stored_fingerprint(cur) != fp:
        rebuild(cur, fp)


_LOCK = threading.Lock()


# Cheap signature of the stored data (row counts are metadata in DuckDB, the batch counter
# changes with every import and undo): the fingerprint scan runs only when it moves.
_SIGNATURE_SQL = """
SELECT (SELECT count(*) FROM cells) || '/' || (SELECT count(*) FROM units) || '/'
    || (SELECT coalesce(max(batch_id), 0) || '.' || count(*) FILTER (status = 'rolled_back')
        FROM batches) || '/' || coalesce((SELECT value FROM app_meta WHERE key = ?), '')"""


def _signature(cur) -> str:
    return str(cur.execute(_SIGNATURE_SQL, [META_KEY]).fetchone()[0])


def ready(db) -> bool:
    """Whether the analytics tables are exact for the data now stored; brings them up to date
    when they are not and the database is writable (e.g. after a write made outside
    `transaction()`). False: read-only and stale — read the reference SQL instead."""
    cur = db.cursor()
    try:
        try:
            sig = _signature(cur)
            if getattr(db, "_analytics_signature", None) == sig:
                return True
            fp = fingerprint(cur)
            if stored_fingerprint(cur) == fp:
                db._analytics_signature = sig
                return True
        except Exception:       # tables missing (a database opened read-only before upgrade)
            return False
    finally:
        cur.close()
    if db.read_only:
        return False
    with _LOCK, db.transaction():
        pass                    # the refresh hook rebuilds before COMMIT
    return True


def ensure(db) -> None:
    """Create the tables and macros and make them exact (called when a database is opened)."""
    cur = db.cursor()
    try:
        ensure_schema(cur)
    finally:
        cur.close()
    ready(db)
