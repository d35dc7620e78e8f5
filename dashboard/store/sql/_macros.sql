-- Table macros shared by the named queries: the metric definitions (docs/data-contract.md, mục «Cách tính chỉ số»),
-- written once. Created in every database (store.ensure_schema), so analysts can call them
-- in the SQL explorer too, e.g. SELECT * FROM commune_coverage(DATE '2025-06-30').

-- coverage_pct = 100 × covered households / households, 0 when households is 0 (section 4).
CREATE OR REPLACE MACRO coverage_pct(covered, households) AS
  CASE WHEN households = 0 THEN 0 ELSE round(100.0 * covered / households, 2) END;

-- Cells active at d: established_on <= d and (ended_on empty or ended_on > d).
CREATE OR REPLACE MACRO active_cells(d) AS TABLE
  SELECT * FROM cells
  WHERE established_on <= d AND (ended_on IS NULL OR ended_on > d);

-- Each cell with the commune it belongs to (its village's commune, or its own commune).
CREATE OR REPLACE MACRO cells_with_commune() AS TABLE
  SELECT c.*, u.level AS unit_level,
         CASE WHEN u.level = 'village' THEN u.parent_code ELSE u.unit_code END AS commune_code
  FROM cells c JOIN units u USING (unit_code);

-- Per village at d: households, active cells and members, raw and capped covered households.
CREATE OR REPLACE MACRO village_coverage(d) AS TABLE
  SELECT v.unit_code, v.unit_name, v.parent_code,
         coalesce(v.households, 0) AS households,
         count(a.cell_id) AS cells,
         coalesce(sum(a.members), 0)::BIGINT AS members,
         coalesce(sum(a.households_covered), 0)::BIGINT AS households_covered_raw,
         least(coalesce(sum(a.households_covered), 0)::BIGINT, coalesce(v.households, 0))
           AS households_covered
  FROM units v LEFT JOIN active_cells(d) a ON a.unit_code = v.unit_code
  WHERE v.level = 'village'
  GROUP BY v.unit_code, v.unit_name, v.parent_code, v.households;

-- Per commune at d. Households: sum of its villages when it has villages, else its own.
-- Covered: min(sum of village covered + cells attached directly to the commune, households).
-- cells, members and households_covered_raw count all active cells of the commune (uncapped).
CREATE OR REPLACE MACRO commune_coverage(d) AS TABLE
  WITH v AS (
    SELECT parent_code AS commune_code, count(*) AS villages,
           sum(households)::BIGINT AS households, sum(cells)::BIGINT AS cells, sum(members)::BIGINT AS members,
           sum(households_covered_raw)::BIGINT AS raw, sum(households_covered)::BIGINT AS covered,
           count(*) FILTER (cells > 0) AS villages_with_cells
    FROM village_coverage(d) GROUP BY ALL),
  direct AS (
    SELECT unit_code AS commune_code, count(*) AS cells, sum(members)::BIGINT AS members,
           sum(households_covered)::BIGINT AS raw
    FROM active_cells(d) a JOIN units u USING (unit_code)
    WHERE u.level = 'commune' GROUP BY ALL)
  SELECT c.unit_code, c.unit_name, c.parent_code,
         coalesce(v.villages, 0) AS villages,
         coalesce(v.villages_with_cells, 0) AS villages_with_cells,
         CASE WHEN coalesce(v.villages, 0) > 0 THEN v.households
              ELSE coalesce(c.households, 0) END AS households,
         coalesce(v.cells, 0) + coalesce(direct.cells, 0) AS cells,
         coalesce(v.members, 0) + coalesce(direct.members, 0) AS members,
         coalesce(v.raw, 0) + coalesce(direct.raw, 0) AS households_covered_raw,
         least(coalesce(v.covered, 0) + coalesce(direct.raw, 0),
               CASE WHEN coalesce(v.villages, 0) > 0 THEN v.households
                    ELSE coalesce(c.households, 0) END) AS households_covered
  FROM units c
  LEFT JOIN v ON v.commune_code = c.unit_code
  LEFT JOIN direct ON direct.commune_code = c.unit_code
  WHERE c.level = 'commune';

-- Commune phase at d, from cells established by d (ended ones included): pilot if any was
-- a pilot cell, else rollout if it has any cell, else none; start = earliest established_on.
CREATE OR REPLACE MACRO commune_phase(d) AS TABLE
  WITH s AS (
    SELECT commune_code, bool_or(phase = 'pilot') AS any_pilot,
           min(established_on) AS started_on
    FROM cells_with_commune() WHERE established_on <= d GROUP BY ALL)
  SELECT c.unit_code AS commune_code,
         CASE WHEN s.any_pilot THEN 'pilot' WHEN s.commune_code IS NOT NULL THEN 'rollout'
              ELSE 'none' END AS phase,
         s.started_on
  FROM units c LEFT JOIN s ON s.commune_code = c.unit_code
  WHERE c.level = 'commune';
