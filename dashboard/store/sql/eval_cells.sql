-- name: eval_cells
-- title: Tổ thành lập và giải thể (không theo ngày)
-- description: Every cell's commune, founding and end dates (the columns of eval_cell_survival the evaluation computes with), without the date: the evaluation page reads it once per data version and takes the cells of a date from it (evaluation.cells_at: the rows founded by as_of, ended_on kept only when on or before as_of, which are those of eval_cell_survival), so changing the date reads no table.
-- params: communes (list of commune codes, default NULL = all)
-- columns: commune_code, established_on, ended_on
SELECT commune_code,
       established_on,
       ended_on
FROM cells_with_commune()
WHERE established_on IS NOT NULL
  AND ($communes IS NULL OR list_contains($communes, commune_code))
ORDER BY commune_code, established_on, cell_id;
