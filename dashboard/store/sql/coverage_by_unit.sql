-- name: coverage_by_unit
-- title: Độ phủ hộ gia đình theo đơn vị
-- description: Coverage of households by active cells, one row per commune or per village.
-- params: level (commune|village, default commune); as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: unit_code, unit_name, parent_code, households, cells, members, households_covered, coverage_pct, uncovered_households, households_per_cell, households_per_member, parent_name
-- parent_name (added): the name of the parent unit (a village's commune), so tables show names.
-- households_covered is capped at the unit's households; households_per_cell and
-- households_per_member use the uncapped sum of households_covered of active cells.
WITH base AS (
  SELECT unit_code, unit_name, parent_code, households, cells, members,
         households_covered_raw, households_covered, unit_code AS commune_code
  FROM an_commune_coverage($as_of) WHERE $level = 'commune'
  UNION ALL
  SELECT unit_code, unit_name, parent_code, households, cells, members,
         households_covered_raw, households_covered, parent_code AS commune_code
  FROM an_village_coverage($as_of) WHERE $level = 'village')
SELECT base.unit_code, base.unit_name, base.parent_code, base.households, cells, members,
       households_covered,
       coverage_pct(households_covered, base.households) AS coverage_pct,
       base.households - households_covered AS uncovered_households,
       CASE WHEN cells = 0 THEN NULL
            ELSE round(households_covered_raw / cells, 2) END AS households_per_cell,
       CASE WHEN members = 0 THEN NULL
            ELSE round(households_covered_raw / members, 2) END AS households_per_member,
       parent.unit_name AS parent_name
FROM base
LEFT JOIN units parent ON parent.unit_code = base.parent_code
WHERE $communes IS NULL OR list_contains($communes, commune_code)
ORDER BY base.unit_code;
