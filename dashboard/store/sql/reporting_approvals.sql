-- name: reporting_approvals
-- title: Các lần duyệt và mở khóa số liệu tháng
-- description: Every approval, newest first: the month, the commune or province it covers,
--   who approved it and when, and — once unlocked — who unlocked it, when and why. active =
--   still locked. A scoped list shows approvals of its communes and of whole provinces.
-- params: communes (list, default all)
-- columns: approval_id, period, unit_code, unit_name, level, approved_by, approved_at, note, active, unlocked_by, unlocked_at, unlock_reason
SELECT a.approval_id, a.period, a.unit_code, u.unit_name, a.level, a.approved_by,
       a.approved_at, a.note, a.unlocked_at IS NULL AS active, a.unlocked_by, a.unlocked_at,
       a.unlock_reason
FROM approvals a
LEFT JOIN units u ON u.unit_code = a.unit_code
WHERE $communes IS NULL OR a.level = 'province' OR list_contains($communes, a.unit_code)
ORDER BY a.approved_at DESC, a.approval_id DESC;
