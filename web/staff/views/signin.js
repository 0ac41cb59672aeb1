// Signing in: username and password, then whatever the accounts service asks next (a new password in place of a
// one-time one, enrolling an authenticator app from a QR code, a 6-digit code), then the role's home screen.
// Also the signed-in person's own page (change password).
import { api, ApiProblem } from '../../shared/api.js';
import { clear, h } from '../../shared/dom.js';
import { t } from '../../shared/i18n.js';
import * as session from '../session.js';
import { done, field, form, input, page } from '../ui.js';

let ended = false; // the session ended under the person (signed out elsewhere, disabled, reset)
let wasIn = false;
session.onChange((who) => {
  if (who) ended = false;
  else if (wasIn) ended = true; // stays true until the next sign-in (several refused calls may report it)
  wasIn = Boolean(who);
});

function waitThenEnable(formEl, seconds) {
  const submit = formEl.querySelector('[type="submit"]');
  const label = submit.textContent;
  let left = seconds;
  const tick = () => {
    if (left <= 0) {
      delete submit.dataset.waiting;
      submit.disabled = false;
      submit.textContent = label;
      return;
    }
    submit.dataset.waiting = '1'; // the form leaves the button disabled until the wait is over
    submit.disabled = true;
    submit.textContent = t('signin.wait', { s: left });
    left -= 1;
    setTimeout(tick, 1000);
  };
  tick();
}

async function send(path, body, formEl) {
  try {
    return await api(path, { method: 'POST', body: { ...body, mode: 'cookie' } });
  } catch (err) {
    if (err instanceof ApiProblem && err.retryAfter && err.code !== 'ACCOUNT_LOCKED') waitThenEnable(formEl, err.retryAfter);
    throw err;
  }
}

function next(main, answer) {
  if (answer.status === 'signed_in') {
    ended = false;
    session.signedIn(answer);
    return;
  }
  const steps = { change_password: newPassword, enrol_totp: enrol, totp: code };
  steps[answer.step](main, answer);
}

function shell(main, title, ...children) {
  clear(main).append(h('section', { class: 'signin panel' }, h('h1', {}, title), ...children));
  document.title = `${title} — ${t('app.title')}`;
  main.querySelector('input')?.focus();
}

function newPassword(main, answer) {
  const f = form([
    field(t('signin.new_password'), input('new_password', { type: 'password', autocomplete: 'new-password' }),
      { hint: t('signin.password_rules'), required: true }),
    field(t('signin.repeat_password'), input('repeat', { type: 'password', autocomplete: 'new-password' }), { required: true }),
    h('button', { type: 'submit', class: 'button' }, t('signin.continue')),
  ], async (v, el) => {
    if (v.new_password !== v.repeat) {
      throw new ApiProblem(422, { title: t('signin.mismatch'), errors: [{ field: 'repeat', message: t('signin.mismatch') }] });
    }
    next(main, await send('/v1/auth/sign-in/continue', { challenge: answer.challenge, new_password: v.new_password }, el));
  }, { label: t('signin.change_title') });
  shell(main, t('signin.change_title'), h('p', {}, t('signin.change_text')), f);
}

function codeForm(main, answer, label) {
  return form([
    field(t('signin.code'), input('code', { inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}',
      maxlength: 6 }), { hint: t('signin.code_hint'), required: true }),
    h('button', { type: 'submit', class: 'button' }, label),
  ], async (v, el) => next(main, await send('/v1/auth/sign-in/continue', { challenge: answer.challenge, code: (v.code || '').trim() }, el)),
  { label });
}

function enrol(main, answer) {
  const { secret, qr_svg: svg } = answer.enrolment;
  const qr = h('img', { class: 'qr', width: 220, height: 220, alt: t('signin.qr_alt'),
    src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}` });
  shell(main, t('signin.enrol_title'), h('p', {}, t('signin.enrol_text')),
    h('ol', { class: 'steps' }, h('li', {}, t('signin.enrol_step1')), h('li', {}, t('signin.enrol_step2'), qr,
      h('p', { class: 'small' }, t('signin.enrol_manual'), ' ', h('code', { class: 'secret' }, secret.replace(/(.{4})/g, '$1 ').trim()))),
    h('li', {}, t('signin.enrol_step3'))),
    codeForm(main, answer, t('signin.enrol_confirm')));
}

function code(main, answer) {
  shell(main, t('signin.totp_title'), h('p', {}, t('signin.totp_text')), codeForm(main, answer, t('signin.sign_in')));
}

export function render(main) {
  const params = new URLSearchParams(location.search);
  const notices = [];
  if (ended) notices.push(h('p', { class: 'notice', role: 'status' }, t('signin.ended')));
  if (params.get('sso_error')) notices.push(h('p', { class: 'notice', role: 'alert' }, t('signin.sso_failed', { reason: params.get('sso_error') })));
  const sso = h('div', { class: 'sso' });
  const f = form([
    field(t('signin.username'), input('username', { autocomplete: 'username', autocapitalize: 'none', spellcheck: false }), { required: true }),
    field(t('signin.password'), input('password', { type: 'password', autocomplete: 'current-password' }), { required: true }),
    h('button', { type: 'submit', class: 'button' }, t('signin.sign_in')),
  ], async (v, el) => {
    if (!v.username || !v.password) {
      throw new ApiProblem(422, { title: t('signin.missing'), errors: [
        ...(!v.username ? [{ field: 'username', message: t('signin.missing_username') }] : []),
        ...(!v.password ? [{ field: 'password', message: t('signin.missing_password') }] : [])] });
    }
    next(main, await send('/v1/auth/sign-in', { username: v.username, password: v.password }, el));
  }, { label: t('signin.title') });
  shell(main, t('signin.title'), ...notices, h('p', { class: 'muted' }, t('signin.intro')), f, sso);
  api('/v1/auth/methods').then((m) => {
    if (m.oidc) sso.append(h('p', { class: 'or' }, t('signin.or')), h('a', { class: 'button button--quiet', href: '/v1/auth/oidc/start' }, m.oidc_label));
  }).catch(() => {});
  return null;
}

/** The signed-in person's page: who they are, and changing their password. */
export function renderAccount(main) {
  const who = session.account();
  const f = form([
    field(t('account.current'), input('current_password', { type: 'password', autocomplete: 'current-password' }), { required: true }),
    field(t('signin.new_password'), input('new_password', { type: 'password', autocomplete: 'new-password' }),
      { hint: t('signin.password_rules'), required: true }),
    h('button', { type: 'submit', class: 'button' }, t('account.change')),
  ], async (v, el) => {
    await session.call('/v1/auth/password', { method: 'POST', body: v });
    el.reset();
    done(t('account.changed'));
  }, { label: t('account.change') });
  page(main, t('account.title'),
    h('dl', { class: 'facts' }, h('dt', {}, t('account.username')), h('dd', {}, who.username),
      h('dt', {}, t('account.role')), h('dd', {}, t(`role.${who.role}`)),
      who.agency ? [h('dt', {}, t('account.agency')), h('dd', {}, who.agency)] : null,
      h('dt', {}, t('account.factor')), h('dd', {}, who.totp_enabled ? t('account.factor_on') : t('account.factor_off'))),
    who.external ? h('p', {}, t('account.external')) : h('section', { class: 'panel' }, h('h2', {}, t('account.change')), f));
}

