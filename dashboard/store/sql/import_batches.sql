-- name: import_batches
-- title: Lịch sử nhập dữ liệu
-- description: Every import batch, newest first: when, which dataset and file, the file's
--   sha256, row counts, who, status (committed | rolled_back) and the archived file's path.
-- params: (none)
-- columns: batch_id, created_at, dataset, file_name, sha256, rows_new, rows_updated, rows_unchanged, rows_rejected, status, mode, created_by, note, archive_path
SELECT batch_id, created_at, dataset, file_name, sha256, rows_new, rows_updated,
       rows_unchanged, rows_rejected, status, mode, created_by, note, archive_path
FROM batches
ORDER BY batch_id DESC;
