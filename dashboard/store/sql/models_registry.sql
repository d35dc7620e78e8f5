-- name: models_registry
-- title: Danh mục mô hình (không theo ngày)
-- description: Every model with its unit and commune as in models_list, without the date: the models page reads it once per data version and works out each model's status at the chosen date itself.
-- params: communes (list of commune codes, default NULL = all)
-- columns: model_id, model_name, field, level, unit_code, unit_name, unit_level, commune_code, commune_name, district_code, province_code, owner, started_on, ended_on, start_year, recognized_level, households_reached, latitude, longitude, description, scope_code
-- The rows and columns of models_list except status (the only column that depends on as_of;
-- the page applies the same rule: active when started_on <= as_of and ended_on empty or after
-- as_of, ended when ended_on <= as_of, not_started when started_on > as_of). scope_code: the
-- code models_list's commune filter compares (the village's commune, else the unit itself),
-- so the page filters communes without another query.
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
  LEFT JOIN units p3 ON p3.unit_code = p2.parent_code),
r AS (
  SELECT m.model_id, m.model_name, m.field, m.level, m.unit_code, m.unit_name, m.unit_level,
         m.commune_code, c.unit_name AS commune_name, m.district_code, m.province_code,
         m.owner, m.started_on, m.ended_on, year(m.started_on) AS start_year,
         m.recognized_level, m.households_reached, m.latitude, m.longitude, m.description,
         CASE WHEN m.unit_level = 'village' THEN c.unit_code ELSE m.unit_code END AS scope_code
  FROM m LEFT JOIN units c ON c.unit_code = m.commune_code)
SELECT * FROM r
WHERE $communes IS NULL OR list_contains($communes, scope_code)
ORDER BY model_id;
