// Dates and times as people in Vietnam read them: Asia/Ho_Chi_Minh, Vietnamese or English conventions.
import { lang, t } from './i18n.js';

export const TIME_ZONE = 'Asia/Ho_Chi_Minh';
const formats = new Map();

function formatter(kind) {
  const key = `${lang()}:${kind}`;
  if (!formats.has(key)) {
    const locale = lang() === 'en' ? 'en-GB' : 'vi-VN';
    const options = { timeZone: TIME_ZONE };
    if (kind !== 'time') Object.assign(options, { day: '2-digit', month: '2-digit', year: 'numeric' });
    if (kind !== 'date') Object.assign(options, { hour: '2-digit', minute: '2-digit', hour12: false });
    formats.set(key, new Intl.DateTimeFormat(locale, options));
  }
  return formats.get(key);
}

/** "14:05 16/03/2026" (time first, as Vietnamese notices write it) or "16/03/2026, 14:05" in English. */
export function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (lang() === 'en') return formatter('datetime').format(d);
  return `${formatter('time').format(d)} ${formatter('date').format(d)}`;
}

export function date(iso) {
  return iso ? formatter('date').format(new Date(iso)) : '';
}

/** Time left until a deadline: {text, overdue, soon} ("còn 2 ngày 3 giờ" / "quá hạn 5 giờ"). */
export function countdown(iso, now = Date.now()) {
  if (!iso) return null;
  const ms = new Date(iso).getTime() - now;
  const overdue = ms < 0;
  const minutes = Math.floor(Math.abs(ms) / 60000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  let span;
  if (days > 0) span = t('time.days_hours', { d: days, h: hours });
  else if (hours > 0) span = t('time.hours_minutes', { h: hours, m: minutes % 60 });
  else span = t('time.minutes', { m: Math.max(1, minutes) });
  return { text: t(overdue ? 'time.overdue' : 'time.left', { span }), overdue, soon: !overdue && ms < 86400000 };
}

/** Today in Vietnam as YYYY-MM-DD (for date inputs and statistics periods). */
export function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE }).format(new Date());
}

/** 'yyyy-mm-dd' → 'dd/mm/yyyy' (empty stays empty). */
export function toDmy(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
}

/** 'd/m/yyyy' (also with '-' or '.') → 'yyyy-mm-dd'; '' for empty, null when it is not a real date. */
export function fromDmy(text) {
  const value = (text || '').trim();
  if (!value) return '';
  const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(value);
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) return null;
  return `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}
