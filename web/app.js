/*
 * Salesvault web sign-in (docs/auth-flow.md). Plain JS, no framework, no
 * build step, no inline code or styles: the page is served with
 * "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'
 * blob: data:; connect-src 'self'".
 *
 * Flow: password → (CAPTCHA | TOTP | SMS code | QR / push approval with
 * number matching) → signed in with the HttpOnly sv_session cookie; every
 * state-changing call then carries X-CSRF-Token. The session token never
 * reaches this script; the password is kept only in its input field.
 */
'use strict';

(() => {
    const API = '/api/v1';
    const $ = (id) => document.getElementById(id);

    const state = {
        challenge: null, // {id, token, expires_at, next}
        method: null, // the step shown now
        csrf: null, // from the login answer or GET /me
        gen: 0, // bumped on every change of step: stale async work checks it
        wait: null, // AbortController of the long poll
        captchaUrl: null, // blob: URL of the CAPTCHA shown
        qrExpires: 0, // ms since 1970
        ticker: null, // QR countdown interval
        smsSent: 0,
    };

    // ---------- talking to the server ----------

    class ApiError extends Error {
        constructor(status, code, message, field, retryAt) {
            super(message || code);
            this.status = status;
            this.code = code;
            this.field = field || null;
            this.retryAt = retryAt || null; // Date from Retry-After
        }
    }

    /** Retry-After (seconds or an HTTP date) as a Date, or null. */
    function parseRetryAfter(v) {
        if (!v) return null;
        if (/^\s*\d+\s*$/.test(v)) return new Date(Date.now() + Number(v) * 1000);
        const t = Date.parse(v);
        return Number.isNaN(t) ? null : new Date(t);
    }

    /**
     * One call under /api/v1. Resolves the JSON body (null for 204) or a Blob
     * (opts.blob); rejects with an ApiError (code "network" when the server
     * could not be reached) or an AbortError.
     */
    async function call(method, path, opts = {}) {
        const headers = { Accept: opts.blob ? 'image/png' : 'application/json' };
        let body;
        if (opts.body !== undefined) {
            headers['Content-Type'] = 'application/json';
            body = JSON.stringify(opts.body);
        }
        if (opts.challenge) headers['X-Challenge-Token'] = opts.challenge.token;
        if (opts.csrf) headers['X-CSRF-Token'] = opts.csrf;
        let res;
        try {
            res = await fetch(API + path, {
                method, headers, body, credentials: 'same-origin', cache: 'no-store',
                redirect: 'error', referrerPolicy: 'no-referrer', signal: opts.signal,
            });
        } catch (e) {
            if (e && e.name === 'AbortError') throw e;
            throw new ApiError(0, 'network', 'network error');
        }
        if (res.ok) {
            if (opts.blob) return res.blob();
            const text = await res.text();
            if (!text) return null;
            try {
                return JSON.parse(text);
            } catch {
                throw new ApiError(res.status, 'bad_response', 'not JSON');
            }
        }
        let err = {};
        try {
            const j = await res.json();
            if (j && j.error && typeof j.error === 'object') err = j.error;
        } catch { /* an error without a JSON body */ }
        throw new ApiError(res.status, err.code || `http_${res.status}`, err.message, err.field,
            parseRetryAfter(res.headers.get('Retry-After')));
    }

    const challengePath = (suffix) => `/auth/challenges/${encodeURIComponent(state.challenge.id)}/${suffix}`;

    function deviceInfo() {
        return {
            kind: 'web',
            name: browserName().slice(0, 64),
            platform: (navigator.platform || 'unknown').slice(0, 64),
        };
    }

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

    // ---------- what the user sees ----------

    const SCREENS = ['loading', 'signin', 'captcha', 'code', 'approval', 'password', 'signedin'];
    const STEP_SCREENS = new Set(['captcha', 'code', 'approval']);

    function show(name) {
        for (const s of SCREENS) $(`screen-${s}`).hidden = s !== name;
        $('app').dataset.screen = name;
        $('restart-box').hidden = !STEP_SCREENS.has(name);
        renderAlternatives(STEP_SCREENS.has(name));
        clearFieldErrors();
    }

    function focusIn(name) {
        const section = $(`screen-${name}`);
        const input = [...section.querySelectorAll('input')].find((i) => !i.disabled && !i.readOnly && !i.value);
        (input || section.querySelector('h2')).focus();
    }

    /** The message line: kind "error" or "info"; code for tests and styling. */
    function say(text, kind = 'error', code = '') {
        const m = $('message');
        m.textContent = text || '';
        m.hidden = !text;
        m.className = `msg msg-${kind}`;
        m.dataset.kind = text ? kind : '';
        m.dataset.code = text ? code : '';
    }

    function status(text) {
        $('status').textContent = text || '';
    }

    const FIELD_INPUTS = {
        tenant: 'tenant', username: 'username', answer: 'captcha-answer', code: 'code',
        current: 'pw-current', new: 'pw-new',
    };

    function fieldError(inputId, text) {
        const input = $(inputId);
        const p = $(`${inputId}-error`);
        if (!input || !p) return;
        input.setAttribute('aria-invalid', 'true');
        p.textContent = text;
        p.hidden = false;
    }

    function clearFieldErrors() {
        for (const p of document.querySelectorAll('.field-error')) {
            p.textContent = '';
            p.hidden = true;
        }
        for (const i of document.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
    }

    function labelOf(inputId) {
        const l = document.querySelector(`label[for="${inputId}"]`);
        return l ? l.textContent.trim() : inputId;
    }

    /** The input a server field name refers to on the screen shown now. */
    function inputFor(field) {
        if (!field) return null;
        const screen = $('app').dataset.screen;
        if (field === 'password') return screen === 'captcha' ? 'captcha-password' : 'password';
        return FIELD_INPUTS[field] || null;
    }

    function until(date) {
        if (!date) return '';
        const s = Math.max(1, Math.round((date.getTime() - Date.now()) / 1000));
        let span;
        if (s < 60) span = `${s} second${s === 1 ? '' : 's'}`;
        else if (s < 5400) span = `${Math.ceil(s / 60)} minutes`;
        else span = `${Math.round(s / 3600)} hours`;
        const at = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
        return `${span} (at ${at})`;
    }

    /** A clear, specific sentence for each error of the contract. */
    function describe(e) {
        const field = e.field ? (inputFor(e.field) ? labelOf(inputFor(e.field)) : e.field) : null;
        const wait = e.retryAt ? `Try again in ${until(e.retryAt)}.` : 'Try again later.';
        switch (e.code) {
        case 'invalid_credentials':
            return 'The organisation, username or password is wrong. Check them and try again.';
        case 'login_locked':
            return `This account is locked after too many failed sign-ins. ${wait} An administrator can unlock it sooner.`;
        case 'blacklisted':
            return 'Sign-in from this network address or this browser is blocked. Contact your administrator.';
        case 'captcha_invalid':
            return 'The characters you typed do not match the picture. Here is a new picture: try again.';
        case 'code_invalid':
            return 'That code is wrong, already used or expired. Check it and try again.';
        case 'approval_denied':
            return 'The sign-in was denied on your phone. If that was not you, tell your administrator. You can start again.';
        case 'approval_number_mismatch':
            return 'The wrong number was picked on the phone, so the sign-in was denied. Start again.';
        case 'challenge_expired':
            return 'This sign-in attempt has expired or had too many wrong answers. Please start again.';
        case 'challenge_not_found':
            return 'This sign-in attempt is no longer known to the server. Please start again.';
        case 'step_not_allowed':
            return 'That way of confirming is not available for this sign-in now. Please start again.';
        case 'no_second_factor':
            return 'Your account has no phone, trusted device or authenticator app for this step. Ask your administrator.';
        case 'rate_limited':
            return `Too many attempts of this kind. ${wait}`;
        case 'overloaded':
        case 'unavailable':
            return 'The server is busy or temporarily unavailable. Wait a few seconds and try again.';
        case 'network':
            return 'The server cannot be reached. Check your connection and try again.';
        case 'field_missing':
            return `Fill in “${field || 'a required field'}”.`;
        case 'field_invalid':
            return `“${field || 'A field'}” is not valid (wrong format or too long). Check it and try again.`;
        case 'field_unknown':
            return `The server does not accept the field “${e.field || '?'}” that this page sends. The server and this page do not match: reload the page or tell your administrator.`;
        case 'body_too_large':
            return 'What you typed is too long.';
        case 'unauthenticated':
            return 'You are not signed in, or your session has ended. Sign in again.';
        case 'csrf_invalid':
            return 'The page lost its security token for this session. Reload the page and try again.';
        case 'device_revoked':
            return 'This browser was removed from your account. Sign in again.';
        case 'password_change_required':
            return 'You must change your password before you continue.';
        case 'mfa_enrolment_required':
            return 'Your organisation requires an authenticator app. Set one up before you continue.';
        case 'current_password_invalid':
            return 'The current password is wrong.';
        case 'bad_response':
            return 'The server sent an answer this page cannot read. Try again.';
        default:
            if (e.message && e.message !== e.code) return e.message;
            return `Something went wrong (${e.code}). Try again.`;
        }
    }

    // Errors after which this sign-in attempt cannot go on.
    const RESTART = new Set([
        'invalid_credentials', 'login_locked', 'blacklisted', 'approval_denied',
        'approval_number_mismatch', 'challenge_expired', 'challenge_not_found', 'step_not_allowed',
        'no_second_factor', 'unauthenticated', 'device_revoked',
    ]);

    function handleError(e) {
        if (e && e.name === 'AbortError') return;
        if (!(e instanceof ApiError)) {
            console.warn('salesvault: unexpected failure', e);
            e = new ApiError(0, 'bad_response', '');
        }
        const text = describe(e);
        if (RESTART.has(e.code)) {
            startSignin();
            say(text, 'error', e.code);
            if (e.code === 'invalid_credentials') $('password').focus();
            return;
        }
        say(text, 'error', e.code);
        status('');
        const input = inputFor(e.field);
        if (input && $(input) && !$(input).closest('[hidden]')) {
            fieldError(input, text);
            $(input).focus();
        }
        if (e.code === 'captcha_invalid') {
            fieldError('captcha-answer', 'Wrong characters: try the new picture.');
            $('captcha-answer').value = '';
            $('captcha-answer').focus();
            loadCaptcha();
        } else if (e.code === 'code_invalid') {
            fieldError('code', 'Wrong, used or expired code.');
            $('code').select();
            $('code').focus();
        }
    }

    /** Disable a form's controls while its request runs. */
    async function busy(form, fn) {
        if (form.getAttribute('aria-busy') === 'true') return;
        form.setAttribute('aria-busy', 'true');
        const buttons = [...form.querySelectorAll('button')];
        for (const b of buttons) b.disabled = true;
        try {
            await fn();
        } catch (e) {
            handleError(e);
        } finally {
            form.removeAttribute('aria-busy');
            for (const b of buttons) b.disabled = false;
        }
    }

    /** Client-side check of required inputs; true when all are filled. */
    function requireFilled(ids) {
        clearFieldErrors();
        let first = null;
        for (const id of ids) {
            if ($(id).value.trim() === '' || ($(id).type === 'password' && $(id).value === '')) {
                fieldError(id, `Fill in “${labelOf(id)}”.`);
                first = first || id;
            }
        }
        if (first) {
            say(`Fill in “${labelOf(first)}”.`, 'error', 'field_missing');
            $(first).focus();
            return false;
        }
        return true;
    }

    // ---------- the flow ----------

    function stopStep() {
        state.gen++;
        if (state.wait) state.wait.abort();
        state.wait = null;
        if (state.ticker) clearInterval(state.ticker);
        state.ticker = null;
        if (state.captchaUrl) URL.revokeObjectURL(state.captchaUrl);
        state.captchaUrl = null;
        $('captcha-image').removeAttribute('src');
        const qr = $('qr-image');
        qr.removeAttribute('src');
        delete qr.dataset.qrPayload;
        $('qr-payload').value = '';
        $('approval-number').textContent = '';
        $('approval-expiry').textContent = '';
    }

    function startSignin({ keepPassword = false } = {}) {
        stopStep();
        state.challenge = null;
        state.method = null;
        if (!keepPassword) $('password').value = '';
        $('captcha-password').value = '';
        $('captcha-answer').value = '';
        $('code').value = '';
        say('');
        status('');
        show('signin');
        focusIn('signin');
    }

    async function submitSignin() {
        if (!requireFilled(['tenant', 'username', 'password'])) return;
        say('');
        status('Signing in…');
        const tenant = $('tenant').value.trim();
        const username = $('username').value.trim();
        const password = $('password').value;
        const ans = await call('POST', '/auth/login', {
            body: { tenant, username, password, device: deviceInfo() },
        });
        $('password').value = '';
        try { localStorage.setItem('sv.tenant', tenant); } catch { /* private mode */ }
        await onAnswer(ans);
    }

    /** Any of the login answers of the contract (section 1). */
    async function onAnswer(ans) {
        status('');
        if (ans && ans.challenge && typeof ans.challenge === 'object') {
            stopStep();
            state.challenge = ans.challenge;
            const next = Array.isArray(ans.challenge.next) ? ans.challenge.next : [];
            const method = PREFERENCE.find((m) => next.includes(m));
            if (!method) {
                startSignin();
                say(`This sign-in needs a step this page does not support (${next.join(', ') || 'none'}).`,
                    'error', 'unsupported_step');
                return;
            }
            say('');
            await enterStep(method);
            return;
        }
        if (ans && typeof ans.csrf === 'string') {
            stopStep();
            state.challenge = null;
            state.csrf = ans.csrf;
            say('');
            await enterSignedIn(ans.must_change_password === true);
            return;
        }
        startSignin();
        if (ans && ans.token) {
            say('The server answered with an app token instead of a browser session. This server does not support browser sign-in yet.',
                'error', 'no_cookie_session');
        } else {
            say('The server sent an answer this page cannot read. Try again.', 'error', 'bad_response');
        }
    }

    // The step shown first when the server offers several.
    const PREFERENCE = ['qr_approval', 'device_approval', 'totp', 'sms_code', 'captcha'];
    const METHOD_LABELS = {
        qr_approval: 'Scan a QR code with my trusted phone',
        device_approval: 'Send a request to my trusted devices',
        totp: 'Use a code from my authenticator app',
        sms_code: 'Text a code to my phone',
        captcha: 'Solve a picture puzzle',
    };

    function renderAlternatives(visible) {
        const nav = $('alternatives');
        const list = $('alternatives-list');
        list.replaceChildren();
        const next = (state.challenge && Array.isArray(state.challenge.next)) ? state.challenge.next : [];
        const others = visible ? next.filter((m) => m !== state.method && METHOD_LABELS[m]) : [];
        for (const m of others) {
            const li = document.createElement('li');
            const b = document.createElement('button');
            b.type = 'button';
            b.className = 'link';
            b.dataset.method = m;
            b.dataset.testid = `alt-${m}`;
            b.textContent = METHOD_LABELS[m];
            b.addEventListener('click', () => {
                stopStep();
                say('');
                enterStep(m).catch(handleError);
            });
            li.append(b);
            list.append(li);
        }
        nav.hidden = others.length === 0;
    }

    async function enterStep(method) {
        state.method = method;
        switch (method) {
        case 'captcha':
            $('captcha-username').value = $('username').value;
            show('captcha');
            focusIn('captcha');
            await loadCaptcha();
            return;
        case 'totp':
        case 'sms_code':
            showCode(method);
            return;
        case 'qr_approval':
        case 'device_approval':
            await startApproval(method);
            return;
        default:
            throw new ApiError(0, 'step_not_allowed');
        }
    }

    // --- CAPTCHA ---

    async function loadCaptcha() {
        const gen = state.gen;
        const img = $('captcha-image');
        img.dataset.loaded = 'false';
        status('Loading a new picture…');
        try {
            const blob = await call('GET', challengePath('captcha'), { challenge: state.challenge, blob: true });
            if (gen !== state.gen) return;
            const url = URL.createObjectURL(blob);
            if (state.captchaUrl) URL.revokeObjectURL(state.captchaUrl);
            state.captchaUrl = url;
            img.src = url;
            status('');
        } catch (e) {
            if (gen === state.gen) handleError(e);
        }
    }

    async function submitCaptcha() {
        if (!requireFilled(['captcha-answer', 'captcha-password'])) return;
        say('');
        status('Checking…');
        const ans = await call('POST', challengePath('captcha'), {
            challenge: state.challenge,
            body: { answer: $('captcha-answer').value.trim(), password: $('captcha-password').value },
        });
        $('captcha-password').value = '';
        await onAnswer(ans);
    }

    // --- TOTP / SMS ---

    function showCode(method) {
        const sms = method === 'sms_code';
        $('screen-code').dataset.method = sms ? 'sms' : 'totp';
        $('code-title').textContent = sms ? 'Enter the code we text you' : 'Enter your authenticator code';
        $('code-hint').textContent = sms
            ? 'We text a one-time code to the phone number on your account. Ask for it, then type it below.'
            : 'Open your authenticator app and type the 6-digit code it shows for Salesvault. A recovery code (xxxx-xxxx) also works.';
        $('code-label').textContent = sms ? 'Code from the text message' : 'Authenticator or recovery code';
        $('code').setAttribute('inputmode', sms ? 'numeric' : 'text');
        $('code').value = '';
        $('sms-send-box').hidden = !sms;
        $('sms-send').textContent = 'Text me a code';
        $('sms-send').disabled = false;
        $('sms-sent').hidden = true;
        state.smsSent = 0;
        show('code');
        (sms ? $('sms-send') : $('code')).focus();
    }

    async function sendSms() {
        const b = $('sms-send');
        if (b.disabled) return;
        b.disabled = true;
        status('Sending a text message…');
        try {
            const ans = await call('POST', challengePath('sms/send'), { challenge: state.challenge, body: {} });
            state.smsSent++;
            const to = ans && typeof ans.sent_to === 'string' ? ans.sent_to : 'your phone';
            $('sms-sent').textContent = `Code sent to ${to}. It can take a minute to arrive.`;
            $('sms-sent').hidden = false;
            status(`Code sent to ${to}.`);
            say('');
            b.textContent = 'Send another code';
            $('code').focus();
            if (state.smsSent >= 3) {
                $('sms-sent').textContent += ' That was the last text for this sign-in.';
                return; // stays disabled
            }
        } catch (e) {
            handleError(e);
        }
        if (state.smsSent < 3) b.disabled = false;
    }

    async function submitCode() {
        if (!requireFilled(['code'])) return;
        say('');
        status('Checking the code…');
        const sms = $('screen-code').dataset.method === 'sms';
        const code = $('code').value.replace(/\s+/g, '');
        const ans = await call('POST', challengePath(sms ? 'sms/verify' : 'totp'), {
            challenge: state.challenge, body: { code },
        });
        $('code').value = '';
        await onAnswer(ans);
    }

    // --- QR code or push approval, number matching, long poll ---

    async function startApproval(method) {
        const qr = method === 'qr_approval';
        const gen = state.gen;
        $('screen-approval').dataset.method = qr ? 'qr' : 'push';
        $('approval-title').textContent = qr ? 'Scan with your phone' : 'Approve on your phone';
        $('qr-box').hidden = !qr;
        $('qr-renew').hidden = true;
        $('approval-hint').textContent = qr ? 'Preparing a QR code…' : 'Sending a request to your trusted devices…';
        show('approval');
        $('approval-title').focus();
        if (qr) await requestQr(gen);
        else await requestPush(gen);
        if (gen === state.gen) waitLoop(gen);
    }

    function showNumber(n) {
        $('approval-number').textContent = String(n);
        $('approval-number').setAttribute('aria-label', `number ${n}`);
    }

    async function requestQr(gen) {
        status('');
        const ans = await call('POST', challengePath('qr'), { challenge: state.challenge, body: {} });
        if (gen !== state.gen) return;
        if (!ans || typeof ans.qr !== 'string' || typeof ans.png !== 'string' || !/^data:image\/png;base64,/.test(ans.png)) {
            throw new ApiError(0, 'bad_response');
        }
        const img = $('qr-image');
        img.src = ans.png;
        img.dataset.qrPayload = ans.qr;
        $('qr-payload').value = ans.qr;
        showNumber(ans.number);
        $('approval-hint').textContent =
            `Open the Salesvault app on your trusted phone and scan this code, then pick ${ans.number} on your phone.`;
        $('qr-renew').hidden = true;
        startCountdown(ans.expires_at, 'The QR code');
    }

    async function requestPush(gen) {
        const ans = await call('POST', challengePath('approval'), { challenge: state.challenge, body: {} });
        if (gen !== state.gen) return;
        if (!ans || ans.number === undefined) throw new ApiError(0, 'bad_response');
        showNumber(ans.number);
        $('approval-hint').textContent =
            `We sent a sign-in request to your trusted devices. Open the Salesvault app and pick ${ans.number} on your phone.`;
        startCountdown(ans.expires_at, 'The request');
    }

    function startCountdown(expiresAt, what) {
        if (state.ticker) clearInterval(state.ticker);
        const t = Date.parse(expiresAt);
        state.qrExpires = Number.isNaN(t) ? 0 : t;
        const tick = () => {
            if (!state.qrExpires) {
                $('approval-expiry').textContent = '';
                return;
            }
            const left = Math.round((state.qrExpires - Date.now()) / 1000);
            if (left > 0) {
                const mm = Math.floor(left / 60);
                const ss = String(left % 60).padStart(2, '0');
                $('approval-expiry').textContent = `${what} is valid for ${mm}:${ss} more.`;
                return;
            }
            clearInterval(state.ticker);
            state.ticker = null;
            $('approval-expiry').textContent = `${what} has expired.`;
            if ($('screen-approval').dataset.method === 'qr') {
                $('qr-renew').hidden = false;
                $('approval-hint').textContent = 'The QR code has expired. Show a new one to go on.';
            }
        };
        tick();
        state.ticker = setInterval(tick, 1000);
    }

    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

    /** Long poll POST …/wait until approved, denied or expired. */
    async function waitLoop(gen) {
        const ctl = new AbortController();
        if (state.wait) state.wait.abort();
        state.wait = ctl;
        const challenge = state.challenge;
        const path = challengePath('wait');
        let trouble = 0;
        status('Waiting for approval…');
        while (gen === state.gen && !ctl.signal.aborted) {
            let ans;
            try {
                ans = await call('POST', path, { challenge, body: {}, signal: ctl.signal });
            } catch (e) {
                if (gen !== state.gen || ctl.signal.aborted || (e && e.name === 'AbortError')) return;
                const transient = e instanceof ApiError &&
                    (e.code === 'network' || e.code === 'overloaded' || e.code === 'unavailable' ||
                     e.code === 'rate_limited' || e.status >= 500);
                if (transient && trouble < 6) {
                    trouble++;
                    status('Connection trouble; still waiting for approval…');
                    const retry = e.retryAt ? e.retryAt.getTime() - Date.now() : 0;
                    await sleep(Math.min(Math.max(retry, 500 * 2 ** trouble), 15000));
                    if (gen === state.gen) status('Waiting for approval…');
                    continue;
                }
                if (state.wait === ctl) state.wait = null;
                handleError(e);
                return;
            }
            trouble = 0;
            if (ans && ans.status === 'pending') continue;
            if (state.wait === ctl) state.wait = null;
            if (gen !== state.gen) return;
            status('Approved.');
            await onAnswer(ans);
            return;
        }
    }

    async function renewQr() {
        const gen = state.gen;
        $('qr-renew').hidden = true;
        try {
            await requestQr(gen);
        } catch (e) {
            handleError(e);
        }
    }

    async function copyPayload() {
        const input = $('qr-payload');
        input.select();
        try {
            await navigator.clipboard.writeText(input.value);
            status('Copied.');
        } catch {
            status('Selected: press Ctrl+C (or ⌘C) to copy.');
        }
    }

    // --- signed in ---

    async function enterSignedIn(mustChange) {
        if (mustChange) {
            showPasswordChange();
            return;
        }
        status('Loading your account…');
        let me;
        try {
            me = await call('GET', '/me');
        } catch (e) {
            status('');
            if (e.code === 'password_change_required') {
                showPasswordChange();
            } else if (e.code === 'mfa_enrolment_required') {
                showRestricted();
            } else if (e.code === 'unauthenticated') {
                startSignin();
                say('The server accepted the sign-in but this browser did not keep the session cookie. Allow cookies for this site and try again.',
                    'error', 'cookie_missing');
            } else {
                handleError(e);
            }
            return;
        }
        showMe(me);
    }

    function showMe(me) {
        if (me && typeof me.csrf === 'string') state.csrf = me.csrf;
        if (me && me.must_change_password) {
            showPasswordChange();
            return;
        }
        const tenant = (me && me.tenant) || {};
        const who = $('signed-in-as');
        who.textContent = `Signed in as ${me.username} (${tenant.slug || tenant.name || '?'})`;
        who.title = tenant.name || '';
        who.dataset.username = me.username || '';
        who.dataset.tenant = tenant.slug || '';
        const note = $('signedin-note');
        note.hidden = true;
        if (!state.csrf) {
            note.textContent = 'The server did not give this page a security token; signing out may not work. Reload the page.';
            note.hidden = false;
        }
        status('');
        show('signedin');
        $('signout').focus();
    }

    /** A session restricted to TOTP enrolment (tenant policy require_mfa). */
    function showRestricted() {
        const who = $('signed-in-as');
        who.textContent = 'Signed in, but your organisation requires an authenticator app.';
        who.dataset.username = '';
        who.dataset.tenant = '';
        const note = $('signedin-note');
        note.textContent = 'Set up an authenticator app (TOTP) for your account before you continue; ask your administrator how.';
        note.hidden = false;
        status('');
        show('signedin');
        say(describe(new ApiError(403, 'mfa_enrolment_required')), 'error', 'mfa_enrolment_required');
        $('signout').focus();
    }

    function showPasswordChange() {
        for (const id of ['pw-current', 'pw-new', 'pw-repeat']) $(id).value = '';
        $('pw-username').value = $('signed-in-as').dataset.username || $('username').value;
        status('');
        show('password');
        focusIn('password');
    }

    async function submitPassword() {
        if (!requireFilled(['pw-current', 'pw-new', 'pw-repeat'])) return;
        if ($('pw-new').value !== $('pw-repeat').value) {
            fieldError('pw-repeat', 'The two new passwords differ.');
            say('The two new passwords differ. Type the same new password twice.', 'error', 'password_mismatch');
            $('pw-repeat').focus();
            return;
        }
        say('');
        status('Changing your password…');
        try {
            await call('POST', '/me/password', {
                csrf: state.csrf, body: { current: $('pw-current').value, new: $('pw-new').value },
            });
        } catch (e) {
            status('');
            if (e.code === 'current_password_invalid') {
                fieldError('pw-current', describe(e));
                say(describe(e), 'error', e.code);
                $('pw-current').focus();
                return;
            }
            if (/^password_/.test(e.code) && e.code !== 'password_change_required') {
                const text = e.message || describe(e);
                fieldError('pw-new', text);
                say(`The new password was refused: ${text}`, 'error', e.code);
                $('pw-new').focus();
                return;
            }
            throw e;
        }
        for (const id of ['pw-current', 'pw-new', 'pw-repeat']) $(id).value = '';
        await enterSignedIn(false);
        say('Your password has been changed.', 'info', 'password_changed');
    }

    async function signOut() {
        status('Signing out…');
        try {
            await call('POST', '/auth/logout', { csrf: state.csrf });
        } catch (e) {
            if (e.code !== 'unauthenticated') {
                status('');
                say(`Sign-out failed: ${describe(e)}`, 'error', e.code);
                return;
            }
        }
        state.csrf = null;
        startSignin();
        say('You are signed out.', 'info', 'signed_out');
        status('');
    }

    // ---------- start ----------

    async function boot() {
        for (const h of document.querySelectorAll('h2')) h.tabIndex = -1;
        $('signin-form').addEventListener('submit', (ev) => {
            ev.preventDefault();
            busy($('signin-form'), submitSignin);
        });
        $('captcha-form').addEventListener('submit', (ev) => {
            ev.preventDefault();
            busy($('captcha-form'), submitCaptcha);
        });
        $('code-form').addEventListener('submit', (ev) => {
            ev.preventDefault();
            busy($('code-form'), submitCode);
        });
        $('password-form').addEventListener('submit', (ev) => {
            ev.preventDefault();
            busy($('password-form'), submitPassword);
        });
        $('captcha-refresh').addEventListener('click', () => { say(''); loadCaptcha(); });
        $('captcha-image').addEventListener('load', () => { $('captcha-image').dataset.loaded = 'true'; });
        $('sms-send').addEventListener('click', sendSms);
        $('qr-renew').addEventListener('click', renewQr);
        $('qr-copy').addEventListener('click', copyPayload);
        $('restart').addEventListener('click', () => startSignin());
        $('signout').addEventListener('click', signOut);
        $('pw-signout').addEventListener('click', signOut);
        window.addEventListener('pagehide', () => { if (state.wait) state.wait.abort(); });

        try {
            const t = localStorage.getItem('sv.tenant');
            if (t) $('tenant').value = t;
        } catch { /* storage blocked */ }

        // Already signed in (the cookie is HttpOnly: ask the server)?
        try {
            showMe(await call('GET', '/me'));
        } catch (e) {
            startSignin();
            if (e.code === 'password_change_required') showPasswordChange();
            else if (e.code === 'mfa_enrolment_required') showRestricted();
            else if (e.code !== 'unauthenticated') say(describe(e), 'error', e.code);
        }
    }

    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
    else boot();
})();
