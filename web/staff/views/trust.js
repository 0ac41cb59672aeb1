// The operations centre's trust work on a case, over endpoints that had no screen: verifying a citizen's urgent
// report (public from then on) or downgrading it, the public wording of the text and address (the citizen's
// original stays for the IOC), and hiding a photo or video from everyone but the IOC. Each is audited by intake.
import { h } from '../../shared/dom.js';
import { t } from '../../shared/i18n.js';
import { call } from '../session.js';
import { button, done, field, form, input, select, textarea } from '../ui.js';

const LOWER = ['BINH_THUONG', 'PHUC_TAP'];

/** An urgent case routed unverified: the banner at the top of the case, with "verify" and "downgrade". */
export function verifyPanel(kase, onDone) {
  if (kase.verified_at || !kase.allowed_actions.includes('verify')) return null;
  const path = `/v1/operator/reports/${kase.id}/verify`;
  const verify = form([
    field(t('act.note'), textarea('note', { maxlength: 4000, rows: 2 })),
    h('button', { type: 'submit', class: 'button' }, t('verify.confirm')),
  ], async (v) => {
    const next = await call(path, { method: 'POST', body: { note: v.note || '' } });
    done(t('act.done', { verb: t('verify.confirm') }));
    await onDone(next);
  }, { label: t('verify.confirm') });
  const downgrade = form([
    field(t('verify.new_priority'), select('priority', LOWER.map((p) => [p, t(`priority.${p}`)]))),
    field(t('act.note'), textarea('note', { maxlength: 4000, rows: 2 }), { hint: t('verify.downgrade_hint') }),
    h('button', { type: 'submit', class: 'button button--quiet' }, t('verify.downgrade')),
  ], async (v) => {
    const next = await call(path, { method: 'POST', body: { priority: v.priority, note: v.note || '' } });
    done(t('act.done', { verb: t('verify.downgrade') }));
    await onDone(next);
  }, { label: t('verify.downgrade') });
  const urgent = kase.priority === 'KHAN';
  return h('section', { class: `panel ${urgent ? 'urgent-banner' : 'unverified'}`, 'aria-labelledby': 'verify-title' },
    h('h2', { id: 'verify-title' }, urgent ? t('verify.title_urgent') : t('verify.title')),
    h('p', { class: 'small' }, t('verify.help')),
    h('div', { class: 'verify-forms' }, verify, urgent ? downgrade : null));
}

/** What the public and the agencies read: the operators' wording, or the citizen's text masked. */
export function publicTextPanel(kase, onDone) {
  const f = form([
    field(t('public_text.description'), textarea('description', { maxlength: 4000, rows: 4, value: kase.public_description || '' }),
      { hint: t('public_text.empty_hint') }),
    field(t('public_text.address'), input('address', { maxlength: 500, value: kase.public_address || '' })),
    field(t('public_text.why'), input('note', { maxlength: 4000 })),
    h('button', { type: 'submit', class: 'button' }, t('public_text.save')),
  ], async (v, el) => {
    // an emptied field goes back to the citizen's (masked) text: send '' rather than leaving it out
    const body = { description: el.elements.description.value.trim(), address: el.elements.address.value.trim(),
      note: v.note || '' };
    const next = await call(`/v1/operator/reports/${kase.id}/public-text`, { method: 'POST', body });
    done(t('public_text.saved'));
    await onDone(next);
  }, { label: t('public_text.title') });
  const edited = kase.public_description || kase.public_address;
  return h('details', { class: 'action public-text' },
    h('summary', {}, t('public_text.title'), edited ? h('span', { class: 'badge badge--note' }, t('public_text.edited')) : null),
    h('p', { class: 'small muted form-intro' }, t('public_text.help')), f);
}

/** Hide a file from everyone but the IOC (or show it again). */
export function hideButton(kase, media, onDone) {
  const label = media.hidden ? t('hide.show') : t('hide.hide');
  return button(label, { class: `button button--small ${media.hidden ? '' : 'button--quiet'}`,
    'aria-label': `${label} ${media.id.slice(0, 8)}`,
    onclick: async (e) => {
      e.target.disabled = true;
      try {
        const next = await call(`/v1/operator/reports/${kase.id}/hide-media`,
          { method: 'POST', body: { media_id: media.id, hidden: !media.hidden } });
        done(media.hidden ? t('hide.shown') : t('hide.hidden'));
        await onDone(next);
      } catch (err) {
        e.target.disabled = false;
        done(err?.title || t('error.load'));
      }
    } });
}
