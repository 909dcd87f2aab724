// Changing one's own password: the current one, the new one twice, and the
// tenant's policy shown as one types (AUTH-1): each rule ticked or not and
// zxcvbn's verdict, both from the server (POST /me/password/check, after a
// pause in typing), so the page never holds a second copy of the rules.
import { useEffect, useRef, useState } from 'preact/hooks';

import { ApiError, post } from './api.js';
import { t } from './i18n.js';
import { html, describe } from './ui.js';

const SCORE_WORDS = ['password.score_0', 'password.score_1', 'password.score_2', 'password.score_3', 'password.score_4'];

/** The live verdict on @p pw: null while empty or waiting. */
function useVerdict(pw) {
    const [v, setV] = useState(null);
    const seq = useRef(0);
    useEffect(() => {
        const n = ++seq.current;
        if (!pw) { setV(null); return undefined; }
        const id = setTimeout(async () => {
            try {
                const ans = await post('/me/password/check', { password: pw });
                if (n === seq.current) setV(ans);
            } catch (e) {
                if (n === seq.current) setV({ error: e });
            }
        }, 250);
        return () => clearTimeout(id);
    }, [pw]);
    return v;
}

function ruleText(r) {
    const key = `password.rule_${r.rule}`;
    return t(key, r);
}

/** The policy's rules and the strength, as a list a screen reader reads. */
export function Verdict({ v }) {
    if (!v) return html`<div class="verdict" data-testid="pw-verdict" data-state="empty"></div>`;
    if (v.error) {
        return html`<div class="verdict" data-testid="pw-verdict" data-state="error">
            <p class="hint">${describe(v.error)}</p></div>`;
    }
    const rules = Array.isArray(v.rules) ? v.rules : [];
    return html`<div class="verdict" data-testid="pw-verdict" data-state=${v.ok ? 'ok' : 'refused'} aria-live="polite">
        <ul class="rules">
            ${rules.map((r) => html`<li class=${r.ok ? 'ok' : 'no'} data-rule=${r.rule} data-ok=${r.ok ? 'true' : 'false'}>
                <span aria-hidden="true">${r.ok ? '✓' : '✗'}</span>
                <span class="sr-only">${r.ok ? t('password.met') : t('password.not_met')}</span> ${ruleText(r)}</li>`)}
        </ul>
        <p class="strength" data-testid="pw-strength" data-score=${v.score}>
            ${t('password.strength', { word: t(SCORE_WORDS[Math.max(0, Math.min(4, v.score | 0))]), min: t(SCORE_WORDS[Math.max(0, Math.min(4, v.min_score | 0))]) })}
            <meter min="0" max="4" low="2" high="3" optimum="4" value=${v.score} aria-label=${t('password.strength_label')}></meter>
        </p>
    </div>`;
}

/**
 * The three fields and the submit button. onDone() after the change (the
 * server keeps this session and revokes the others).
 */
export function PasswordFields({ username, onDone, autofocus, msgTestid = 'pw-error' }) {
    const [cur, setCur] = useState('');
    const [pw, setPw] = useState('');
    const [rep, setRep] = useState('');
    const [errs, setErrs] = useState({});
    const [error, setError] = useState(null);
    const [busy, setBusy] = useState(false);
    const verdict = useVerdict(pw);
    const first = useRef(null);
    useEffect(() => { if (autofocus && first.current) first.current.focus(); }, []);

    const labels = { current: t('password.current'), new: t('password.new') };

    async function submit(e) {
        e.preventDefault();
        if (busy) return;
        const missing = [['pw-current', cur, t('password.current')], ['pw-new', pw, t('password.new')],
            ['pw-repeat', rep, t('password.repeat')]].filter(([, v]) => v === '');
        if (missing.length) {
            const m = {};
            for (const [id, , label] of missing) m[id] = t('errors.field_missing', { field: label });
            setErrs(m);
            setError(new ApiError(0, 'field_missing', '', null));
            document.getElementById(missing[0][0]).focus();
            return;
        }
        if (pw !== rep) {
            setErrs({ 'pw-repeat': t('password.mismatch') });
            setError(t('password.mismatch_long'));
            document.getElementById('pw-repeat').focus();
            return;
        }
        setBusy(true);
        setErrs({});
        setError(null);
        try {
            await post('/me/password', { current: cur, new: pw });
            setCur(''); setPw(''); setRep('');
            onDone();
        } catch (err) {
            setError(err instanceof ApiError ? err : new ApiError(0, 'bad_response', ''));
            if (err.code === 'current_password_invalid' || err.field === 'current') {
                setErrs({ 'pw-current': describe(err, labels) });
                document.getElementById('pw-current').focus();
            } else if (/^password_/.test(err.code) || err.field === 'new') {
                setErrs({ 'pw-new': describe(err, labels) });
                document.getElementById('pw-new').focus();
            }
        } finally {
            setBusy(false);
        }
    }

    const input = (id, label, value, set, ac, ref) => html`<div class="field">
        <label for=${id}>${label}</label>
        <input id=${id} data-testid=${id} type="password" autocomplete=${ac} required maxlength="1024" ref=${ref}
            value=${value} onInput=${(e) => set(e.currentTarget.value)}
            aria-invalid=${errs[id] ? 'true' : undefined} aria-describedby=${`${id}-error`} />
        <p id=${`${id}-error`} class="field-error" data-testid=${`${id}-error`} hidden=${!errs[id]}>${errs[id] || ''}</p>
    </div>`;

    return html`<form id="password-form" data-testid="password-form" novalidate onSubmit=${submit}
        aria-busy=${busy ? 'true' : undefined}>
        ${error && html`<div class="msg msg-error" role="alert" data-testid=${msgTestid} data-kind="error"
            data-code=${error instanceof ApiError ? error.code : 'password_mismatch'}>${describe(error, labels)}</div>`}
        <input class="for-password-managers" type="text" autocomplete="username" tabIndex="-1" aria-hidden="true"
            readonly hidden value=${username || ''} />
        ${input('pw-current', t('password.current'), cur, setCur, 'current-password', first)}
        ${input('pw-new', t('password.new'), pw, setPw, 'new-password')}
        <${Verdict} v=${verdict} />
        ${input('pw-repeat', t('password.repeat'), rep, setRep, 'new-password')}
        <button id="pw-submit" data-testid="pw-submit" type="submit" class="primary" disabled=${busy}>
            ${t('password.submit')}</button>
    </form>`;
}
