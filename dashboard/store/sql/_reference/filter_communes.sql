-- name: filter_communes
-- title: Danh sách xã cho bộ lọc
-- description: Every commune with its phase at as_of (commune_phase macro) and its province (through its district in pre-2025 data), for the shared filters.
-- params: as_of (date, default today)
-- columns: unit_code, unit_name, phase, province_name, province_code
SELECT c.unit_code, c.unit_name, p.phase, prov.unit_name AS province_name,
       prov.unit_code AS province_code
FROM units c
JOIN commune_phase($as_of) p ON p.commune_code = c.unit_code
LEFT JOIN units par ON par.unit_code = c.parent_code
LEFT JOIN units prov ON prov.level = 'province'
 AND prov.unit_code = CASE WHEN par.level = 'province' THEN par.unit_code ELSE par.parent_code END
WHERE c.level = 'commune'
ORDER BY c.unit_name;
