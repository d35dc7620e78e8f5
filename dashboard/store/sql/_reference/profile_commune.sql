-- name: profile_commune
-- title: Hồ sơ xã — thông tin chung
-- description: One row about one commune at as_of: official reference data, villages, households, coverage, cells, phase and start date, models and indicator periods.
-- params: commune (commune code, required); as_of (date, default today)
-- columns: commune_code, commune_name, parent_code, parent_name, commune_type, area_km2, latitude, longitude, population, villages, villages_with_cells, households, cells, members, households_covered, coverage_pct, uncovered_households, households_per_cell, households_per_member, phase, started_on, pilot_cells, rollout_cells, cells_ever, cells_ended, models, active_models, indicators, first_period, last_period, models_started
-- Coverage figures: commune_coverage macro (docs/data-contract.md, mục «Cách tính chỉ số»). phase/started_on: commune_phase.
-- pilot_cells / rollout_cells / cells_ever / cells_ended: cells established by as_of
-- (ended_on <= as_of counts as ended). models: of the commune and its villages; active_models
-- started by as_of and not ended. Indicators: reported for the commune or its villages, up to
-- the month of as_of.
WITH cc AS (SELECT * FROM commune_coverage($as_of) WHERE unit_code = $commune),
vu AS (SELECT unit_code FROM units WHERE level = 'village' AND parent_code = $commune),
cl AS (SELECT * FROM cells_with_commune()
       WHERE commune_code = $commune AND established_on <= $as_of),
m AS (SELECT * FROM models
      WHERE unit_code = $commune OR unit_code IN (SELECT unit_code FROM vu)),
ind AS (SELECT * FROM indicators
        WHERE (unit_code = $commune OR unit_code IN (SELECT unit_code FROM vu))
          AND period <= strftime($as_of::DATE, '%Y-%m'))
SELECT u.unit_code AS commune_code,
       u.unit_name AS commune_name,
       u.parent_code,
       pu.unit_name AS parent_name,
       r.commune_type,
       r.area_km2,
       r.latitude,
       r.longitude,
       CASE WHEN (SELECT count(*) FROM vu) > 0
            THEN (SELECT sum(population)::BIGINT FROM units WHERE level = 'village'
                  AND parent_code = $commune)
            ELSE u.population END AS population,
       cc.villages,
       cc.villages_with_cells,
       cc.households,
       cc.cells,
       cc.members,
       cc.households_covered,
       coverage_pct(cc.households_covered, cc.households) AS coverage_pct,
       cc.households - cc.households_covered AS uncovered_households,
       CASE WHEN cc.cells = 0 THEN NULL
            ELSE round(cc.households_covered_raw / cc.cells, 2) END AS households_per_cell,
       CASE WHEN cc.members = 0 THEN NULL
            ELSE round(cc.households_covered_raw / cc.members, 2) END AS households_per_member,
       p.phase,
       p.started_on,
       (SELECT count(*) FROM cl WHERE phase = 'pilot') AS pilot_cells,
       (SELECT count(*) FROM cl WHERE phase = 'rollout') AS rollout_cells,
       (SELECT count(*) FROM cl) AS cells_ever,
       (SELECT count(*) FROM cl WHERE ended_on IS NOT NULL AND ended_on <= $as_of) AS cells_ended,
       (SELECT count(*) FROM m) AS models,
       (SELECT count(*) FROM m WHERE started_on <= $as_of
               AND (ended_on IS NULL OR ended_on > $as_of)) AS active_models,
       (SELECT count(DISTINCT indicator) FROM ind) AS indicators,
       (SELECT min(period) FROM ind) AS first_period,
       (SELECT max(period) FROM ind) AS last_period,
       (SELECT count(*) FROM m WHERE started_on <= $as_of) AS models_started
FROM units u
JOIN cc ON cc.unit_code = u.unit_code
JOIN commune_phase($as_of) p ON p.commune_code = u.unit_code
LEFT JOIN units pu ON pu.unit_code = u.parent_code
LEFT JOIN ref_communes r ON r.commune_code = u.unit_code
WHERE u.unit_code = $commune AND u.level = 'commune';
