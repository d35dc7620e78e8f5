-- name: filter_communes
-- title: Danh sách xã cho bộ lọc
-- description: Every commune with its phase at as_of (commune_phase macro), for the shared filters.
-- params: as_of (date, default today)
-- columns: unit_code, unit_name, phase, province_name
SELECT c.unit_code, c.unit_name, p.phase, prov.unit_name AS province_name
FROM units c
JOIN an_commune_phase($as_of) p ON p.commune_code = c.unit_code
LEFT JOIN units prov ON prov.unit_code = c.parent_code AND prov.level = 'province'
WHERE c.level = 'commune'
ORDER BY c.unit_name;
