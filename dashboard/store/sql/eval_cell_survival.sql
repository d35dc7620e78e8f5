-- name: eval_cell_survival
-- title: Tổ thành lập và giải thể
-- description: Every cell founded by as_of with its commune; ended_on is shown only when the cell had ended by as_of (later end dates are not yet known at as_of).
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: cell_id, commune_code, phase, established_on, ended_on
SELECT cell_id,
       commune_code,
       phase,
       established_on,
       CASE WHEN ended_on <= $as_of THEN ended_on END AS ended_on
FROM cells_with_commune()
WHERE established_on <= $as_of
  AND ($communes IS NULL OR list_contains($communes, commune_code))
ORDER BY commune_code, established_on, cell_id;
