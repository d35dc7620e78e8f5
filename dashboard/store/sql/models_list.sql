-- name: models_list
-- title: Danh sách mô hình Dân vận khéo
-- description: Every model with its unit and commune, its status at as_of and its start year.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: model_id, model_name, field, level, unit_code, unit_name, unit_level, commune_code, commune_name, district_code, province_code, owner, started_on, ended_on, status, start_year, recognized_level, households_reached, latitude, longitude, description
-- status: active when started_on <= as_of and (ended_on empty or after as_of), ended when
-- ended_on <= as_of, not_started when started_on > as_of (same rule as models_by_field).
-- commune_code: the model's own commune, or its village's commune; empty for models of a
-- district or the province. district_code / province_code: the unit's district (pre-2025
-- data only) and province, found up its parents. With a commune filter, only models of those
-- communes are listed.
WITH m AS (
  SELECT m.*, u.unit_name, u.level AS unit_level,
         CASE WHEN u.level = 'village' THEN u.parent_code
              WHEN u.level = 'commune' THEN u.unit_code END AS commune_code,
         CASE WHEN u.level = 'district' THEN u.unit_code WHEN p1.level = 'district'
              THEN p1.unit_code WHEN p2.level = 'district' THEN p2.unit_code END
           AS district_code,
         CASE WHEN u.level = 'province' THEN u.unit_code WHEN p1.level = 'province'
              THEN p1.unit_code WHEN p2.level = 'province' THEN p2.unit_code
              WHEN p3.level = 'province' THEN p3.unit_code END AS province_code
  FROM models m LEFT JOIN units u USING (unit_code)
  LEFT JOIN units p1 ON p1.unit_code = u.parent_code
  LEFT JOIN units p2 ON p2.unit_code = p1.parent_code
  LEFT JOIN units p3 ON p3.unit_code = p2.parent_code)
SELECT m.model_id, m.model_name, m.field, m.level, m.unit_code, m.unit_name, m.unit_level,
       m.commune_code, c.unit_name AS commune_name, m.district_code, m.province_code, m.owner,
       m.started_on, m.ended_on,
       CASE WHEN m.started_on > $as_of THEN 'not_started'
            WHEN m.ended_on IS NOT NULL AND m.ended_on <= $as_of THEN 'ended'
            ELSE 'active' END AS status,
       year(m.started_on) AS start_year,
       m.recognized_level, m.households_reached, m.latitude, m.longitude, m.description
FROM m LEFT JOIN units c ON c.unit_code = m.commune_code
WHERE $communes IS NULL
   OR list_contains($communes, CASE WHEN m.unit_level = 'village' THEN c.unit_code
                                    ELSE m.unit_code END)
ORDER BY m.model_id;
