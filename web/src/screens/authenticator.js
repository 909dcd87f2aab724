// The authenticator app (TOTP, AUTH-8): enrol (POST /me/totp → the QR code
// and the secret → the first code, POST /me/totp/confirm → ten recovery codes
// shown once), or remove it (DELETE /me/totp with a current code or a
// recovery code). enrolOnly: the session may only enrol (the tenant requires
// MFA): then nothing but POST /me/totp and /me/totp/confirm is called.
import { useEffect, useRef, useState } from 'preact/hooks';

import { ApiError, del, get, post } from '../api.js';
import { t } from '../i18n.js';
import { useMe } from '../session.js';
import {
    html, ConfirmButton, ErrorBox, Field, Form, Notice, Page, ShownOnce, fieldError, useAction, useLoad,
} from '../ui.js';
import { YesNo } from './account.js';

const RECOVERY_FILE = 'salesvault-recovery-codes.txt';

/** "JBSW Y3DP EHPK 3PXP": easier to type from the screen; apps ignore spaces. */
const grouped = (secret) => String(secret || '').replace(/(.{4})(?=.)/g, '$1 ');

/** A code as typed: spaces and dashes inside six digits dropped; a recovery code kept as is. */
function cleanCode(v) {
    const s = String(v || '').trim();
    const digits = s.replace(/[\s-]/g, '');
    return /^\d{6}$/.test(digits) ? digits : s.toLowerCase();
}

/** The steps of an enrolment: the QR code and secret, the first code, then the recovery codes. */
function Enrolment({ enrolment, onConfirmed, onDone, onCancel, focus }) {
    const [code, setCode] = useState('');
    const [codes, setCodes] = useState(null);
    const [run, busy, error, setError] = useAction();
    const labels = { code: t('totp.step_code') };
    const startRef = useRef(null);
    const doneRef = useRef(null);

    // The button that opened this is gone: the focus goes to the first step.
    useEffect(() => { if (focus && startRef.current) startRef.current.focus(); }, []);
    useEffect(() => { if (codes && doneRef.current) doneRef.current.focus(); }, [codes]);

    const confirm = () => run(async () => {
        const c = cleanCode(code);
        if (!c) {
            setError(new ApiError(0, 'field_missing', '', 'code'));
            document.getElementById('totp-code').focus();
            return;
        }
        const ans = await post('/me/totp/confirm', { code: c });
        setCode('');
        setCodes(Array.isArray(ans && ans.recovery_codes) ? ans.recovery_codes : []);
        onConfirmed();
    });

    if (codes) {
        return html`<div data-testid="totp-recovery" data-count=${codes.length}>
            <p class="msg msg-info" role="status" data-testid="totp-enrolled">${t('totp.enrolled')}</p>
            <p>${t('totp.recovery_text')}</p>
            <${ShownOnce} title=${t('totp.recovery_title')} text=${codes.join('\n')}
                filename=${RECOVERY_FILE} testid="recovery" />
            <button type="button" class="primary" ref=${doneRef} data-testid="totp-done"
                onClick=${() => onDone()}>${t('totp.saved_continue')}</button>
        </div>`;
    }

    return html`<div data-testid="totp-enrolment">
        <ol class="steps">
            <li>
                <p tabIndex="-1" ref=${startRef} data-testid="totp-step-scan">${t('totp.step_scan')}</p>
                <figure class="qr-box">
                    <img class="qr-image" data-testid="totp-qr" src=${enrolment.qr_png} alt=${t('totp.qr_alt')}
                        width="220" height="220" />
                    <figcaption>
                        <p class="hint" id="totp-secret-label">${t('totp.step_type')}</p>
                        <pre class="secret" data-testid="totp-secret" aria-describedby="totp-secret-label">${grouped(enrolment.secret)}</pre>
                        <p class="hint">${t('totp.secret_hint')}</p>
                    </figcaption>
                </figure>
            </li>
            <li>
                <${Form} onSubmit=${confirm} busy=${busy} testid="totp-confirm-form" label=${t('totp.confirm_title')}>
                    <${ErrorBox} error=${error} labels=${labels} testid="totp-error" />
                    <${Field} id="totp-code" label=${t('totp.step_code')} value=${code} onInput=${setCode}
                        error=${fieldError(error, 'code', labels)} hint=${t('totp.code_hint')}
                        inputmode="numeric" autocomplete="one-time-code" maxlength="32" spellcheck="false" />
                    <p class="row">
                        <button type="submit" class="primary" data-testid="totp-confirm">${t('totp.confirm')}</button>
                    </p>
                </${Form}>
            </li>
        </ol>
        ${onCancel && html`<p><button type="button" class="link" data-testid="totp-cancel"
            onClick=${onCancel}>${t('common.cancel')}</button></p>`}
    </div>`;
}

/** Remove the enrolled authenticator: a current code or a recovery code, then confirm. */
function Remove({ onRemoved }) {
    const [code, setCode] = useState('');
    const [run, busy, error, setError] = useAction();
    const labels = { code: t('totp.remove_code') };

    const remove = () => run(async () => {
        const c = cleanCode(code);
        if (!c) {
            setError(new ApiError(0, 'field_missing', '', 'code'));
            document.getElementById('totp-remove-code').focus();
            return;
        }
        await del('/me/totp', { body: { code: c } });
        setCode('');
        onRemoved();
    });

    return html`<div data-testid="totp-remove" aria-busy=${busy ? 'true' : undefined}>
        <h2 id="totp-remove-title">${t('totp.remove_title')}</h2>
        <p>${t('totp.remove_text')}</p>
        <${ErrorBox} error=${error} labels=${labels} testid="totp-remove-error" />
        <${Field} id="totp-remove-code" label=${t('totp.remove_code')} value=${code} onInput=${setCode}
            error=${fieldError(error, 'code', labels)} hint=${t('totp.remove_hint')}
            autocomplete="one-time-code" maxlength="32" spellcheck="false" disabled=${busy} />
        <${ConfirmButton} label=${t('totp.remove')} question=${t('totp.remove_question')}
            testid="totp-remove-button" busy=${busy} onConfirm=${remove} />
    </div>`;
}

export function Authenticator({ enrolOnly = false, onEnrolled }) {
    const { reloadMe } = useMe();
    // Whether an authenticator is enrolled (GET /me/factors; a 409
    // totp_already_enrolled also tells). A session restricted to enrolment
    // has none, by definition.
    const me = useLoad(() => (enrolOnly ? Promise.resolve(null) : get('/me/factors')), [enrolOnly]);
    const [known, setKnown] = useState(null);
    const enrolled = enrolOnly ? false
        : known !== null ? known
            : me.data && typeof me.data.totp === 'boolean' ? me.data.totp : null;
    const [enrolment, setEnrolment] = useState(null);
    const [notice, setNotice] = useState('');
    const [run, busy, error] = useAction();
    const titleRef = useRef(null);

    const start = () => run(async () => {
        setNotice('');
        try {
            const ans = await post('/me/totp', {});
            setEnrolment(ans);
        } catch (e) {
            if (e instanceof ApiError && e.code === 'totp_already_enrolled') {
                setKnown(true);
                return;
            }
            throw e;
        }
    });

    // A session that may only enrol starts at once; nothing else to do there.
    useEffect(() => { if (enrolOnly) start(); }, [enrolOnly]);
    useEffect(() => { if (enrolOnly && titleRef.current) titleRef.current.focus(); }, [enrolOnly]);

    // Confirmed: enrolled from now on; the recovery codes stay on screen
    // until the reader says they are saved (then the console goes on).
    const confirmed = () => setKnown(true);
    const done = () => {
        setEnrolment(null);
        setNotice(t('totp.enrolled'));
        if (onEnrolled) onEnrolled();
    };
    const removed = () => {
        setKnown(false);
        setNotice(t('totp.removed'));
        // On a tenant that requires MFA the session is now restricted again.
        if (reloadMe) reloadMe();
    };

    let body;
    if (enrolment) {
        body = html`<${Enrolment} enrolment=${enrolment} onConfirmed=${confirmed} onDone=${done} focus=${!enrolOnly}
            onCancel=${enrolOnly ? null : () => setEnrolment(null)} />`;
    } else if (enrolOnly) {
        body = html`<${ErrorBox} error=${error} testid="totp-error" />
            ${error ? html`<p><button type="button" class="secondary" data-testid="totp-start"
                onClick=${start} disabled=${busy}>${t('totp.retry')}</button></p>`
                : html`<p class="muted" role="status">${t('common.loading')}</p>`}`;
    } else if (enrolled === true) {
        body = html`<${Remove} onRemoved=${removed} />`;
    } else if (enrolled === false || !me.loading) {
        body = html`<${ErrorBox} error=${error} testid="totp-error" />
            <p>${t('totp.intro')}</p>
            <p><button type="button" class="primary" data-testid="totp-start" onClick=${start}
                disabled=${busy}>${t('totp.start')}</button></p>`;
    } else {
        body = html`<p class="muted" role="status">${t('common.loading')}</p>`;
    }

    const status = enrolled !== null && html`<p class="row" data-testid="totp-status" data-enrolled=${String(enrolled)}>
        <span>${t('account.authenticator')}:</span>
        <${YesNo} value=${enrolled} yes=${t('account.totp_on')} no=${t('account.totp_off')} />
    </p>`;

    if (enrolOnly) {
        return html`<section data-testid="page-authenticator" data-mode="enrol" aria-labelledby="totp-title">
            <h2 id="totp-title" tabIndex="-1" ref=${titleRef}>${t('totp.enrol_title')}</h2>
            <p>${t('totp.enrol_text')}</p>
            ${body}
        </section>`;
    }
    return html`<${Page} title=${t('nav.authenticator')} testid="page-authenticator">
        <${Notice} text=${notice} testid="totp-notice" />
        <${ErrorBox} error=${me.error} testid="totp-load-error" />
        <section class="panel" data-testid="totp-panel">
            ${status}
            ${body}
        </section>
    <//>`;
}
