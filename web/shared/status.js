// Case states as people see them: a colour group each (map markers, badges) and whether the case is still open.
export const GROUPS = {
  CHO_TIEP_NHAN: 'new', CHO_BO_SUNG: 'new',
  DA_TIEP_NHAN: 'accepted', DA_CHUYEN_XU_LY: 'accepted', TRA_LAI: 'accepted',
  DANG_XU_LY: 'progress', DA_XU_LY: 'progress',
  DA_CONG_KHAI: 'done', DA_DANH_GIA: 'done', DONG: 'done',
  TU_CHOI: 'rejected',
};
export const STATUSES = Object.keys(GROUPS);
export const LEGEND = ['new', 'accepted', 'progress', 'done', 'overdue'];
const CLOSED = new Set(['DA_CONG_KHAI', 'DA_DANH_GIA', 'DONG', 'TU_CHOI']);

export function isOpen(status) {
  return !CLOSED.has(status);
}

/** The colour group of a case: 'overdue' when its deadline has passed while open. */
export function group(status, dueAt, now = Date.now()) {
  if (dueAt && isOpen(status) && new Date(dueAt).getTime() < now && GROUPS[status] !== 'new') return 'overdue';
  return GROUPS[status] || 'new';
}
