-- name: registry_last_update
-- title: Ngày cập nhật gần nhất của sổ đăng ký theo xã
-- description: Per commune in scope: its cells and models now registered (the commune's own
--   and its villages') and when each registry and its indicators were last changed by a
--   committed import batch (the batch time of the latest change to one of its rows).
-- params: communes (list, default all)
-- columns: commune_code, commune_name, cells, cells_updated_at, models, models_updated_at, indicators_updated_at
WITH home AS (      -- each unit's commune
    SELECT unit_code, unit_code AS commune_code FROM units WHERE level = 'commune'
    UNION ALL
    SELECT unit_code, parent_code FROM units WHERE level = 'village'
), changes AS (
    SELECT bc.dataset, json_extract_string(bc.row_key, '$[0]') AS k0, b.created_at
    FROM batch_changes bc
    JOIN batches b ON b.batch_id = bc.batch_id AND b.status = 'committed'
    WHERE bc.dataset IN ('cells', 'models', 'indicators')
), cells_c AS (
    SELECT h.commune_code, count(DISTINCT c.cell_id) AS cells, max(ch.created_at) AS updated_at
    FROM cells c JOIN home h USING (unit_code)
    LEFT JOIN changes ch ON ch.dataset = 'cells' AND ch.k0 = c.cell_id
    GROUP BY ALL
), models_c AS (
    SELECT h.commune_code, count(DISTINCT m.model_id) AS models, max(ch.created_at) AS updated_at
    FROM models m JOIN home h USING (unit_code)
    LEFT JOIN changes ch ON ch.dataset = 'models' AND ch.k0 = m.model_id
    GROUP BY ALL
), ind_c AS (
    SELECT h.commune_code, max(ch.created_at) AS updated_at
    FROM changes ch JOIN home h ON h.unit_code = ch.k0
    WHERE ch.dataset = 'indicators'
    GROUP BY ALL
)
SELECT u.unit_code AS commune_code, u.unit_name AS commune_name,
       coalesce(c.cells, 0) AS cells, c.updated_at AS cells_updated_at,
       coalesce(m.models, 0) AS models, m.updated_at AS models_updated_at,
       i.updated_at AS indicators_updated_at
FROM units u
LEFT JOIN cells_c c ON c.commune_code = u.unit_code
LEFT JOIN models_c m ON m.commune_code = u.unit_code
LEFT JOIN ind_c i ON i.commune_code = u.unit_code
WHERE u.level = 'commune' AND ($communes IS NULL OR list_contains($communes, u.unit_code))
ORDER BY least(coalesce(c.updated_at, TIMESTAMP '1900-01-01'),
               coalesce(m.updated_at, TIMESTAMP '1900-01-01')), u.unit_name;
