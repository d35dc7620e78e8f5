-- name: eval_cells
-- title: Tổ thành lập và giải thể (không theo ngày)
-- description: Every cell with its commune, phase, founding and end dates, without the date: the evaluation page reads it once per data version and takes the cells of a date from it (evaluation.cells_at: the rows founded by as_of, ended_on kept only when on or before as_of, which are the rows of eval_cell_survival), so changing the date reads no table.
-- params: communes (list of commune codes, default NULL = all)
-- columns: cell_id, commune_code, phase, established_on, ended_on
SELECT cell_id,
       commune_code,
       phase,
       established_on,
       ended_on
FROM cells_with_commune()
WHERE established_on IS NOT NULL
  AND ($communes IS NULL OR list_contains($communes, commune_code))
ORDER BY commune_code, established_on, cell_id;
