-- Table macros over the precomputed analytics tables (dashboard/store/analytics.py): the
-- same rows and columns as the reference macros of _macros.sql (the metric definitions in _macros.sql) on
-- every date, read from change intervals instead of recomputed from every cell.
-- an_unit_state / an_commune_state hold, per unit, one row per interval [valid_from,
-- valid_to) in which its active cells did not change; a date d picks the one interval with
-- valid_from <= d < valid_to (valid_to = 9999-12-31 while still open).

CREATE OR REPLACE MACRO an_village_coverage(d) AS TABLE
  SELECT v.unit_code, v.unit_name, v.parent_code,
         coalesce(v.households, 0) AS households,
         coalesce(s.cells, 0)::BIGINT AS cells,
         coalesce(s.members, 0)::BIGINT AS members,
         coalesce(s.hh_raw, 0)::BIGINT AS households_covered_raw,
         least(coalesce(s.hh_raw, 0)::BIGINT, coalesce(v.households, 0)) AS households_covered
  FROM units v
  LEFT JOIN (SELECT unit_code, cells, members, hh_raw FROM an_unit_state
             WHERE unit_level = 'village' AND valid_from <= d AND valid_to > d) s
    ON s.unit_code = v.unit_code
  WHERE v.level = 'village';

CREATE OR REPLACE MACRO an_commune_coverage(d) AS TABLE
  SELECT c.unit_code, c.unit_name, c.parent_code,
         coalesce(a.villages, 0)::BIGINT AS villages,
         coalesce(s.villages_with_cells, 0)::BIGINT AS villages_with_cells,
         CASE WHEN coalesce(a.villages, 0) > 0 THEN a.village_households
              ELSE coalesce(c.households, 0) END::BIGINT AS households,
         coalesce(s.cells, 0)::BIGINT AS cells,
         coalesce(s.members, 0)::BIGINT AS members,
         coalesce(s.hh_raw, 0)::BIGINT AS households_covered_raw,
         least(coalesce(s.village_covered, 0) + coalesce(s.direct_raw, 0),
               CASE WHEN coalesce(a.villages, 0) > 0 THEN a.village_households
                    ELSE coalesce(c.households, 0) END)::BIGINT AS households_covered
  FROM units c
  LEFT JOIN an_communes a ON a.commune_code = c.unit_code
  LEFT JOIN (SELECT * FROM an_commune_state WHERE valid_from <= d AND valid_to > d) s
    ON s.commune_code = c.unit_code
  WHERE c.level = 'commune';

CREATE OR REPLACE MACRO an_commune_phase(d) AS TABLE
  SELECT c.unit_code AS commune_code,
         CASE WHEN a.first_pilot_on <= d THEN 'pilot'
              WHEN a.first_cell_on <= d THEN 'rollout' ELSE 'none' END AS phase,
         CASE WHEN a.first_cell_on <= d THEN a.first_cell_on END AS started_on
  FROM units c LEFT JOIN an_communes a ON a.commune_code = c.unit_code
  WHERE c.level = 'commune';
