-- name: kpi_overview
-- title: Chỉ số tổng quan
-- description: One row of headline figures at a date, over the selected communes.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: communes, communes_with_cells, villages, villages_with_cells, cells, members, households, households_covered, coverage_pct, models, active_models, models_started
-- Definitions (docs/data-contract.md, mục «Cách tính chỉ số»): cells/members count cells active at as_of; households and
-- covered households are sums over communes (covered capped per village and per commune);
-- models counts all models of the selected communes (and of higher units when no commune is
-- selected), active_models those started by as_of and not ended; models_started (added) those
-- started by as_of, ended or not (what existed then: 'models as of a date').
WITH cc AS (
  SELECT * FROM an_commune_coverage($as_of)
  WHERE $communes IS NULL OR list_contains($communes, unit_code)),
m AS (
  SELECT m.* FROM models m LEFT JOIN units u USING (unit_code)
  WHERE $communes IS NULL
     OR list_contains($communes, CASE WHEN u.level = 'village' THEN u.parent_code
                                      ELSE m.unit_code END))
SELECT
  (SELECT count(*) FROM cc) AS communes,
  (SELECT count(*) FROM cc WHERE cells > 0) AS communes_with_cells,
  (SELECT coalesce(sum(villages), 0)::BIGINT FROM cc) AS villages,
  (SELECT coalesce(sum(villages_with_cells), 0)::BIGINT FROM cc) AS villages_with_cells,
  (SELECT coalesce(sum(cells), 0)::BIGINT FROM cc) AS cells,
  (SELECT coalesce(sum(members), 0)::BIGINT FROM cc) AS members,
  (SELECT coalesce(sum(households), 0)::BIGINT FROM cc) AS households,
  (SELECT coalesce(sum(households_covered), 0)::BIGINT FROM cc) AS households_covered,
  (SELECT coverage_pct(coalesce(sum(households_covered), 0), coalesce(sum(households), 0))
   FROM cc) AS coverage_pct,
  (SELECT count(*) FROM m) AS models,
  (SELECT count(*) FROM m WHERE started_on <= $as_of
          AND (ended_on IS NULL OR ended_on > $as_of)) AS active_models,
  (SELECT count(*) FROM m WHERE started_on <= $as_of) AS models_started;
