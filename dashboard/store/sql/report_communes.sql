-- name: report_communes
-- title: Xã, phường và tỉnh của chúng (cho báo cáo và phạm vi người dùng)
-- description: Every commune with its parent, its province (through a district in pre-2025 data) and its phase at as_of: names for the written report's header and title, and the codes a user's scope is matched against.
-- params: as_of (date, default today)
-- columns: unit_code, unit_name, parent_code, province_code, province_name, phase
SELECT c.unit_code, c.unit_name, c.parent_code,
       coalesce(CASE WHEN p.level = 'province' THEN p.unit_code END, gp.unit_code)
         AS province_code,
       coalesce(CASE WHEN p.level = 'province' THEN p.unit_name END, gp.unit_name)
         AS province_name,
       ph.phase
FROM units c
LEFT JOIN units p ON p.unit_code = c.parent_code
LEFT JOIN units gp ON gp.unit_code = p.parent_code AND gp.level = 'province'
LEFT JOIN commune_phase($as_of) ph ON ph.commune_code = c.unit_code
WHERE c.level = 'commune'
ORDER BY c.unit_code;
