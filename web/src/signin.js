// Sign-in (docs/auth-flow.md): password → (CAPTCHA | TOTP | SMS code | QR
// or push approval with number matching) → the HttpOnly __Host-sv_session cookie.
// The password lives only in its input. One message line (role=alert, its
// error code in data-code) and one status line (role=status) for the whole
// card; the screen shown is #app[data-screen] for the tests and styles.
import { useEffect, useRef, useState } from 'preact/hooks';

import { ApiError, call, setCsrf } from './api.js';
import { t } from './i18n.js';
import { html, describe, LangSwitch } from './ui.js';
import { PasswordFields } from './password.js';

// The step shown first when the server offers several.
const PREFERENCE = ['qr_approval', 'device_approval', 'totp', 'sms_code', 'captcha'];
const STEP_SCREENS = new Set(['captcha', 'code', 'approval']);

// Errors after which this sign-in attempt cannot go on.
const RESTART = new Set([
    'invalid_credentials', 'login_locked', 'blacklisted', 'approval_denied',
    'approval_number_mismatch', 'challenge_expired', 'challenge_not_found', 'step_not_allowed',
    'no_second_factor', 'unauthenticated', 'device_revoked',
]);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function browserName() {
    const data = navigator.userAgentData;
    if (data && Array.isArray(data.brands) && data.brands.length) {
        const real = data.brands.filter((b) => !/not.?a.?brand/i.test(b.brand));
        const best = real.find((b) => !/^Chromium$/i.test(b.brand)) || real[0];
        if (best) return `${best.brand} ${best.version}`;
    }
    const ua = navigator.userAgent || '';
    const known = [
        [/Edg\/(\d+)/, 'Edge'], [/OPR\/(\d+)/, 'Opera'], [/Firefox\/(\d+)/, 'Firefox'],
        [/HeadlessChrome\/(\d+)/, 'HeadlessChrome'], [/Chrome\/(\d+)/, 'Chrome'],
        [/Version\/(\d+)[^ ]* .*Safari\//, 'Safari'],
    ];
    for (const [re, name] of known) {
        const m = re.exec(ua);
        if (m) return `${name} ${m[1]}`;
    }
    return 'Web browser';
}

const deviceInfo = () => ({
    kind: 'web',
    name: browserName().slice(0, 64),
    platform: (navigator.platform || 'unknown').slice(0, 64),
});

/** The labels of the inputs a server field name can refer to. */
function labels(screen) {
    return {
        tenant: t('signin.tenant'), username: t('signin.username'),
        password: t('signin.password'), answer: t('signin.captcha_answer'),
        code: t('signin.code'),
        current: t('password.current'), new: t('password.new'),
    };
}

/** A labelled input of the sign-in card, its error below it. */
function Input({ id, label, value, set, err, ...rest }) {
    return html`<div class="field">
        <label for=${id}>${label}</label>
        <input id=${id} name=${id} data-testid=${id} value=${value}
            onInput=${(e) => set(e.currentTarget.value)}
            aria-invalid=${err ? 'true' : undefined} aria-describedby=${`${id}-error`} ...${rest} />
        <p id=${`${id}-error`} class="field-error" hidden=${!err}>${err || ''}</p>
    </div>`;
}

/**
 * The sign-in card. onSignedIn(answer) gets the final login answer (with
 * csrf); initial: {screen, message} to show first (after a sign-out).
 */
export function SignIn({ onSignedIn, notice }) {
    const [screen, setScreen] = useState('signin');
    const [msg, setMsg] = useState(notice || null); // {text, kind, code}
    const [status, setStatus] = useState('');
    const [errs, setErrs] = useState({}); // input id → text
    const [busy, setBusy] = useState(false);
    const [f, setF] = useState(() => {
        let tenant = '';
        try { tenant = localStorage.getItem('sv.tenant') || ''; } catch { /* storage blocked */ }
        return { tenant, username: '', password: '', answer: '', cpassword: '', code: '' };
    });
    const set = (k) => (v) => setF((o) => ({ ...o, [k]: v }));
    const [challenge, setChallenge] = useState(null);
    const [method, setMethod] = useState(null);
    const [captchaUrl, setCaptchaUrl] = useState(null);
    const [captchaLoaded, setCaptchaLoaded] = useState(false);
    const [sms, setSms] = useState({ sent: 0, to: '' });
    const [appr, setAppr] = useState({ qr: null, png: null, number: null, expires: 0, left: null, hint: '' });
    const gen = useRef(0);
    const waitCtl = useRef(null);
    const root = useRef(null);
    const ch = useRef(null); // the challenge, for async work
    ch.current = challenge;

    const say = (text, kind = 'error', code = '') => setMsg(text ? { text, kind, code } : null);

    // data-screen on #app and the focus on each step change.
    useEffect(() => {
        const app = document.getElementById('app');
        if (app) app.dataset.screen = screen;
        const sec = root.current && root.current.querySelector(`#screen-${screen}`);
        if (!sec) return;
        const input = [...sec.querySelectorAll('input')].find((i) => !i.disabled && !i.readOnly && !i.value && !i.hidden);
        const target = screen === 'code' && method === 'sms_code' ? sec.querySelector('[data-testid="sms-send"]') : null;
        (target || input || sec.querySelector('h2')).focus();
    }, [screen, method]);

    // The countdown of a QR code or push request.
    useEffect(() => {
        if (!appr.expires) return undefined;
        const tick = () => setAppr((a) => ({ ...a, left: Math.round((a.expires - Date.now()) / 1000) }));
        tick();
        const id = setInterval(tick, 1000);
        return () => clearInterval(id);
    }, [appr.expires]);

    useEffect(() => () => stopStep(), []);
    useEffect(() => {
        const onHide = () => { if (waitCtl.current) waitCtl.current.abort(); };
        addEventListener('pagehide', onHide);
        return () => removeEventListener('pagehide', onHide);
    }, []);

    function stopStep() {
        gen.current++;
        if (waitCtl.current) waitCtl.current.abort();
        waitCtl.current = null;
        setCaptchaUrl((u) => { if (u) URL.revokeObjectURL(u); return null; });
        setCaptchaLoaded(false);
        setAppr({ qr: null, png: null, number: null, expires: 0, left: null, hint: '' });
    }

    function startOver(keep) {
        stopStep();
        setChallenge(null);
        setMethod(null);
        setF((o) => ({ ...o, password: keep ? o.password : '', cpassword: '', answer: '', code: '' }));
        setErrs({});
        setStatus('');
        setScreen('signin');
    }

    const path = (c, suffix) => `/auth/challenges/${encodeURIComponent(c.id)}/${suffix}`;

    function handleError(e, where) {
        if (e && e.name === 'AbortError') return;
        if (!(e instanceof ApiError)) {
            console.warn('salesvault: unexpected failure', e);
            e = new ApiError(0, 'bad_response', '');
        }
        const text = describe(e, labels(where));
        setStatus('');
        if (RESTART.has(e.code)) {
            startOver(false);
            say(text, 'error', e.code);
            return;
        }
        say(text, 'error', e.code);
        const input = inputFor(e.field, where);
        if (input) setErrs({ [input]: text });
        if (e.code === 'captcha_invalid') {
            setErrs({ 'captcha-answer': t('signin.captcha_wrong') });
            setF((o) => ({ ...o, answer: '' }));
            loadCaptcha(ch.current);
        } else if (e.code === 'code_invalid') {
            setErrs({ code: t('signin.code_wrong') });
        }
    }

    function inputFor(field, where) {
        if (!field) return null;
        if (field === 'password') return where === 'captcha' ? 'captcha-password' : 'password';
        return { tenant: 'tenant', username: 'username', answer: 'captcha-answer', code: 'code' }[field] || null;
    }

    /** Client check of required inputs: true when all are filled. */
    function filled(list) {
        const missing = list.filter(([, v]) => v.trim() === '');
        if (!missing.length) { setErrs({}); return true; }
        const e = {};
        for (const [id, , label] of missing) e[id] = t('errors.field_missing', { field: label });
        setErrs(e);
        say(t('errors.field_missing', { field: missing[0][2] }), 'error', 'field_missing');
        const el = document.getElementById(missing[0][0]);
        if (el) el.focus();
        return false;
    }

    async function guard(fn, where) {
        if (busy) return;
        setBusy(true);
        try {
            await fn();
        } catch (e) {
            handleError(e, where);
        } finally {
            setBusy(false);
        }
    }

    async function onAnswer(ans) {
        setStatus('');
        if (ans && ans.challenge && typeof ans.challenge === 'object') {
            stopStep();
            setChallenge(ans.challenge);
            ch.current = ans.challenge;
            const next = Array.isArray(ans.challenge.next) ? ans.challenge.next : [];
            const m = PREFERENCE.find((x) => next.includes(x));
            if (!m) {
                startOver(false);
                say(t('signin.unsupported_step', { steps: next.join(', ') || '-' }), 'error', 'unsupported_step');
                return;
            }
            say('');
            await enterStep(m, ans.challenge);
            return;
        }
        if (ans && typeof ans.csrf === 'string') {
            stopStep();
            setCsrf(ans.csrf);
            say('');
            onSignedIn(ans);
            return;
        }
        startOver(false);
        if (ans && ans.token) say(t('signin.no_cookie_session'), 'error', 'no_cookie_session');
        else say(t('errors.bad_response'), 'error', 'bad_response');
    }

    async function enterStep(m, c) {
        setMethod(m);
        setErrs({});
        switch (m) {
        case 'captcha':
            setScreen('captcha');
            await loadCaptcha(c);
            return;
        case 'totp':
        case 'sms_code':
            setF((o) => ({ ...o, code: '' }));
            setSms({ sent: 0, to: '' });
            setScreen('code');
            return;
        case 'qr_approval':
        case 'device_approval':
            await startApproval(m, c);
            return;
        default:
            throw new ApiError(0, 'step_not_allowed');
        }
    }

    async function submitSignin() {
        if (!filled([['tenant', f.tenant, t('signin.tenant')], ['username', f.username, t('signin.username')],
            ['password', f.password, t('signin.password')]])) return;
        say('');
        setStatus(t('signin.signing_in'));
        const tenant = f.tenant.trim();
        const ans = await call('POST', '/auth/login', {
            body: { tenant, username: f.username.trim(), password: f.password, device: deviceInfo() },
            quiet401: true,
        });
        setF((o) => ({ ...o, password: '' }));
        try { localStorage.setItem('sv.tenant', tenant); } catch { /* private mode */ }
        await onAnswer(ans);
    }

    // --- CAPTCHA ---

    async function loadCaptcha(c) {
        const g = gen.current;
        setCaptchaLoaded(false);
        setStatus(t('signin.loading_picture'));
        try {
            const blob = await call('GET', path(c, 'captcha'), { challenge: c, blob: true, quiet401: true });
            if (g !== gen.current) return;
            const url = URL.createObjectURL(blob);
            setCaptchaUrl((old) => { if (old) URL.revokeObjectURL(old); return url; });
            setStatus('');
        } catch (e) {
            if (g === gen.current) handleError(e, 'captcha');
        }
    }

    async function submitCaptcha() {
        if (!filled([['captcha-answer', f.answer, t('signin.captcha_answer')],
            ['captcha-password', f.cpassword, t('signin.password')]])) return;
        say('');
        setStatus(t('signin.checking'));
        const ans = await call('POST', path(challenge, 'captcha'), {
            challenge, body: { answer: f.answer.trim(), password: f.cpassword }, quiet401: true,
        });
        setF((o) => ({ ...o, cpassword: '' }));
        await onAnswer(ans);
    }

    // --- TOTP / SMS ---

    async function sendSms() {
        setStatus(t('signin.sms_sending'));
        try {
            const ans = await call('POST', path(challenge, 'sms/send'), { challenge, body: {}, quiet401: true });
            const to = ans && typeof ans.sent_to === 'string' ? ans.sent_to : t('signin.your_phone');
            setSms((s) => ({ sent: s.sent + 1, to }));
            setStatus(t('signin.sms_sent_status', { to }));
            say('');
            const el = document.getElementById('code');
            if (el) el.focus();
        } catch (e) {
            handleError(e, 'code');
        }
    }

    async function submitCode() {
        if (!filled([['code', f.code, t('signin.code')]])) return;
        say('');
        setStatus(t('signin.checking_code'));
        const ans = await call('POST', path(challenge, method === 'sms_code' ? 'sms/verify' : 'totp'), {
            challenge, body: { code: f.code.replace(/\s+/g, '') }, quiet401: true,
        });
        setF((o) => ({ ...o, code: '' }));
        await onAnswer(ans);
    }

    // --- QR code or push approval, number matching, long poll ---

    async function startApproval(m, c) {
        const g = gen.current;
        setAppr({ qr: null, png: null, number: null, expires: 0, left: null,
            hint: m === 'qr_approval' ? t('signin.qr_preparing') : t('signin.push_sending') });
        setScreen('approval');
        if (m === 'qr_approval') await requestQr(g, c);
        else await requestPush(g, c);
        if (g === gen.current) waitLoop(g, c);
    }

    async function requestQr(g, c) {
        setStatus('');
        const ans = await call('POST', path(c, 'qr'), { challenge: c, body: {}, quiet401: true });
        if (g !== gen.current) return;
        if (!ans || typeof ans.qr !== 'string' || typeof ans.png !== 'string'
            || !/^data:image\/png;base64,/.test(ans.png)) throw new ApiError(0, 'bad_response');
        const exp = Date.parse(ans.expires_at);
        setAppr({ qr: ans.qr, png: ans.png, number: ans.number, expires: Number.isNaN(exp) ? 0 : exp,
            left: null, hint: t('signin.qr_hint', { number: ans.number }) });
    }

    async function requestPush(g, c) {
        const ans = await call('POST', path(c, 'approval'), { challenge: c, body: {}, quiet401: true });
        if (g !== gen.current) return;
        if (!ans || ans.number === undefined) throw new ApiError(0, 'bad_response');
        const exp = Date.parse(ans.expires_at);
        setAppr({ qr: null, png: null, number: ans.number, expires: Number.isNaN(exp) ? 0 : exp,
            left: null, hint: t('signin.push_hint', { number: ans.number }) });
    }

    async function waitLoop(g, c) {
        const ctl = new AbortController();
        if (waitCtl.current) waitCtl.current.abort();
        waitCtl.current = ctl;
        let trouble = 0;
        setStatus(t('signin.waiting'));
        while (g === gen.current && !ctl.signal.aborted) {
            let ans;
            try {
                ans = await call('POST', path(c, 'wait'), { challenge: c, body: {}, signal: ctl.signal, quiet401: true });
            } catch (e) {
                if (g !== gen.current || ctl.signal.aborted || (e && e.name === 'AbortError')) return;
                const transient = e instanceof ApiError && (e.code === 'network' || e.code === 'overloaded'
                    || e.code === 'unavailable' || e.code === 'rate_limited' || e.status >= 500);
                if (transient && trouble < 6) {
                    trouble++;
                    setStatus(t('signin.waiting_trouble'));
                    const retry = e.retryAt ? e.retryAt.getTime() - Date.now() : 0;
                    await sleep(Math.min(Math.max(retry, 500 * 2 ** trouble), 15000));
                    if (g === gen.current) setStatus(t('signin.waiting'));
                    continue;
                }
                if (waitCtl.current === ctl) waitCtl.current = null;
                handleError(e, 'approval');
                return;
            }
            trouble = 0;
            if (ans && ans.status === 'pending') continue;
            if (waitCtl.current === ctl) waitCtl.current = null;
            if (g !== gen.current) return;
            setStatus(t('signin.approved'));
            await onAnswer(ans);
            return;
        }
    }

    async function renewQr() {
        try {
            await requestQr(gen.current, challenge);
        } catch (e) {
            handleError(e, 'approval');
        }
    }

    async function copyPayload() {
        const input = document.getElementById('qr-payload');
        if (input) input.select();
        try {
            await navigator.clipboard.writeText(appr.qr || '');
            setStatus(t('common.copied'));
        } catch {
            setStatus(t('common.copy_manually'));
        }
    }

    const isQr = method === 'qr_approval';
    const what = isQr ? t('signin.the_qr') : t('signin.the_request');
    const expired = appr.expires && appr.left !== null && appr.left <= 0;
    const expiry = !appr.expires || appr.left === null ? ''
        : expired ? t('signin.expired', { what })
            : t('signin.valid_for', { what, time: `${Math.floor(appr.left / 60)}:${String(appr.left % 60).padStart(2, '0')}` });
    const next = challenge && Array.isArray(challenge.next) ? challenge.next : [];
    const others = STEP_SCREENS.has(screen) ? next.filter((m) => m !== method && PREFERENCE.includes(m)) : [];
    const submit = (fn, where) => (e) => { e.preventDefault(); guard(fn, where); };

    return html`<div class="card signin" ref=${root}>
        <h1 id="app-title" class="brand">Salesvault</h1>
        <div id="message" data-testid="message" class=${`msg msg-${msg ? msg.kind : 'error'}`} role="alert"
            aria-live="assertive" hidden=${!msg} data-kind=${msg ? msg.kind : ''} data-code=${msg ? msg.code : ''}
        >${msg ? msg.text : ''}</div>
        <p id="status" data-testid="status" class="status" role="status" aria-live="polite">${status}</p>

        <section id="screen-signin" data-testid="screen-signin" class="screen" aria-labelledby="signin-title"
            hidden=${screen !== 'signin'}>
            <h2 id="signin-title" tabIndex="-1">${t('signin.title')}</h2>
            <form id="signin-form" data-testid="signin-form" novalidate aria-busy=${busy ? 'true' : undefined}
                onSubmit=${submit(submitSignin, 'signin')}>
                <${Input} id="tenant" label=${t('signin.tenant')} value=${f.tenant} set=${set('tenant')} err=${errs.tenant}
                    type="text" autocomplete="organization" autocapitalize="none" spellcheck="false" required maxlength="64" />
                <${Input} id="username" label=${t('signin.username')} value=${f.username} set=${set('username')} err=${errs.username}
                    type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="128" />
                <${Input} id="password" label=${t('signin.password')} value=${f.password} set=${set('password')} err=${errs.password}
                    type="password" autocomplete="current-password" required maxlength="1024" />
                <button id="signin-submit" data-testid="signin-submit" type="submit" class="primary" disabled=${busy}>
                    ${t('signin.submit')}</button>
            </form>
        </section>

        <section id="screen-captcha" data-testid="screen-captcha" class="screen" aria-labelledby="captcha-title"
            hidden=${screen !== 'captcha'}>
            <h2 id="captcha-title" tabIndex="-1">${t('signin.captcha_title')}</h2>
            <p>${t('signin.captcha_text')}</p>
            <div class="captcha-box">
                <img id="captcha-image" data-testid="captcha-image" class="captcha-image" alt=${t('signin.captcha_alt')}
                    src=${captchaUrl || undefined} data-loaded=${captchaLoaded ? 'true' : 'false'}
                    onLoad=${() => setCaptchaLoaded(true)} />
                <button id="captcha-refresh" data-testid="captcha-refresh" type="button" class="link"
                    onClick=${() => { say(''); loadCaptcha(challenge); }}>${t('signin.captcha_new')}</button>
            </div>
            <form id="captcha-form" data-testid="captcha-form" novalidate onSubmit=${submit(submitCaptcha, 'captcha')}>
                <input id="captcha-username" class="for-password-managers" type="text" autocomplete="username"
                    tabIndex="-1" aria-hidden="true" readonly hidden value=${f.username} />
                <${Input} id="captcha-answer" label=${t('signin.captcha_answer')} value=${f.answer} set=${set('answer')}
                    err=${errs['captcha-answer']} type="text" autocomplete="off" autocapitalize="none" spellcheck="false"
                    required maxlength="32" />
                <${Input} id="captcha-password" label=${t('signin.password')} value=${f.cpassword} set=${set('cpassword')}
                    err=${errs['captcha-password']} type="password" autocomplete="current-password" required maxlength="1024" />
                <button id="captcha-submit" data-testid="captcha-submit" type="submit" class="primary" disabled=${busy}>
                    ${t('common.continue')}</button>
            </form>
        </section>

        <section id="screen-code" data-testid="screen-code" class="screen" aria-labelledby="code-title"
            data-method=${method === 'sms_code' ? 'sms' : method === 'totp' ? 'totp' : ''} hidden=${screen !== 'code'}>
            <h2 id="code-title" tabIndex="-1">${method === 'sms_code' ? t('signin.sms_title') : t('signin.totp_title')}</h2>
            <p id="code-hint" data-testid="code-hint">${method === 'sms_code' ? t('signin.sms_hint') : t('signin.totp_hint')}</p>
            ${method === 'sms_code' && html`<div id="sms-send-box" class="sms-send">
                <button id="sms-send" data-testid="sms-send" type="button" class="secondary" disabled=${sms.sent >= 3}
                    onClick=${sendSms}>${sms.sent ? t('signin.sms_again') : t('signin.sms_send')}</button>
                <p id="sms-sent" data-testid="sms-sent" class="hint" hidden=${!sms.sent}>
                    ${sms.sent ? t('signin.sms_sent', { to: sms.to }) : ''}${sms.sent >= 3 ? ` ${t('signin.sms_last')}` : ''}</p>
            </div>`}
            <form id="code-form" data-testid="code-form" novalidate onSubmit=${submit(submitCode, 'code')}>
                <${Input} id="code" label=${method === 'sms_code' ? t('signin.sms_label') : t('signin.totp_label')}
                    value=${f.code} set=${set('code')} err=${errs.code} type="text"
                    inputmode=${method === 'sms_code' ? 'numeric' : 'text'} autocomplete="one-time-code"
                    autocapitalize="none" spellcheck="false" required maxlength="16" />
                <button id="code-submit" data-testid="code-submit" type="submit" class="primary" disabled=${busy}>
                    ${t('signin.verify')}</button>
            </form>
        </section>

        <section id="screen-approval" data-testid="screen-approval" class="screen" aria-labelledby="approval-title"
            data-method=${isQr ? 'qr' : method === 'device_approval' ? 'push' : ''} hidden=${screen !== 'approval'}>
            <h2 id="approval-title" tabIndex="-1">${isQr ? t('signin.qr_title') : t('signin.push_title')}</h2>
            <p id="approval-hint" data-testid="approval-hint">${expired && isQr ? t('signin.qr_expired_hint') : appr.hint}</p>
            ${isQr && html`<figure id="qr-box" class="qr-box">
                <img id="qr-image" data-testid="qr-image" class="qr-image" alt=${t('signin.qr_alt')}
                    src=${appr.png || undefined} data-qr-payload=${appr.qr || undefined} />
                <figcaption>
                    <label for="qr-payload" class="small">${t('signin.qr_copy_label')}</label>
                    <span class="copy-row">
                        <input id="qr-payload" data-testid="qr-payload" class="qr-payload" type="text" readonly
                            spellcheck="false" value=${appr.qr || ''} />
                        <button id="qr-copy" data-testid="qr-copy" type="button" class="link" onClick=${copyPayload}>
                            ${t('common.copy')}</button>
                    </span>
                </figcaption>
            </figure>`}
            ${appr.number !== null && html`<div class="number-box">
                <p class="number-label" id="number-label">${t('signin.number_label')}</p>
                <p id="approval-number" data-testid="approval-number" class="number" aria-describedby="number-label"
                    aria-label=${t('signin.number_aria', { number: appr.number })}>${String(appr.number)}</p>
            </div>`}
            <p id="approval-expiry" data-testid="approval-expiry" class="hint">${expiry}</p>
            ${isQr && expired && html`<button id="qr-renew" data-testid="qr-renew" type="button" class="secondary"
                onClick=${renewQr}>${t('signin.qr_renew')}</button>`}
        </section>

        ${others.length > 0 && html`<nav id="alternatives" data-testid="alternatives" class="alternatives"
            aria-label=${t('signin.other_ways')}>
            <p class="small">${t('signin.or_use')}</p>
            <ul>${others.map((m) => html`<li><button type="button" class="link" data-method=${m} data-testid=${`alt-${m}`}
                onClick=${() => { stopStep(); say(''); enterStep(m, challenge).catch((e) => handleError(e, m)); }}>
                ${t(`signin.method_${m}`)}</button></li>`)}</ul>
        </nav>`}
        ${STEP_SCREENS.has(screen) && html`<p id="restart-box" class="restart">
            <button id="restart" data-testid="restart" type="button" class="link" onClick=${() => { say(''); startOver(false); }}>
                ${t('signin.restart')}</button></p>`}
        <${LangSwitch} />
    </div>`;
}

/** The forced password change (a temporary or reset password). */
export function MustChange({ username, onDone, onSignOut }) {
    useEffect(() => {
        const app = document.getElementById('app');
        if (app) app.dataset.screen = 'password';
    }, []);
    return html`<div class="card signin">
        <h1 class="brand">Salesvault</h1>
        <section id="screen-password" data-testid="screen-password" class="screen" aria-labelledby="password-title">
            <h2 id="password-title" tabIndex="-1">${t('password.forced_title')}</h2>
            <p>${t('password.forced_text')}</p>
            <${PasswordFields} username=${username} onDone=${onDone} autofocus=${true} msgTestid="message" />
            <p class="restart"><button id="pw-signout" data-testid="pw-signout" type="button" class="link"
                onClick=${onSignOut}>${t('common.sign_out')}</button></p>
        </section>
        <${LangSwitch} />
    </div>`;
}
