// An employee's employment on their profile (issue 11, part 9; DIR-6): a
// temporary disable and enabling again (PATCH …/{id} {state}), offboarding
// with a successor (POST …/offboard: what happens explained first, the
// successor chosen among the other active employees, the username typed to
// confirm, then what was done, step by step and hook by hook) and rehiring
// (POST …/rehire: a new temporary password, shown once). The profile shows
// this panel only when the API says the viewer may manage the employee
// (may_manage); the API decides the rest (both departments, roles), and each
// refusal is put in words of its own, next to the field it names.
import { useEffect, useRef, useState } from 'preact/hooks';

import { ApiError, get, patch, post, seg } from '../../api.js';
import { fmtNumber, has, t } from '../../i18n.js';
import { SearchPick } from '../../pick.js';
import {
    html, ConfirmButton, ErrorBox, Field, Form, Notice, ShownOnce, fieldError, useAction,
} from '../../ui.js';

const BASE = '/directory/employees';
const SHOWN = 10;

/** Active employees whose display name starts with @p q: the successors one may choose. */
async function findSuccessors(q) {
    const page = await get(BASE, { query: { q, limit: SHOWN + 10 } });
    return (page.items || []).filter((x) => x.state === 'active').slice(0, SHOWN + 2).map((x) => ({
        id: x.id, name: x.display_name, hint: `${x.username} · ${x.department ? x.department.name : ''}`,
    }));
}

const renamed = (e, code) => new ApiError(e.status, code, e.message, e.field, e.retryAt);

/** The employee as the API has it now (after a refusal that depends on its state). */
async function fresh(id) {
    try {
        return await get(`${BASE}/${seg(id)}`);
    } catch {
        return null;
    }
}

/**
 * The API's refusals of an offboarding, each in its own words: the
 * successor's (on its field), the last tenant admin, one already offboarded,
 * and a 403 (the departments of both, or roles). @p now: the employee as
 * the API has it after the refusal (or null).
 */
function offboardError(e, now) {
    if (!(e instanceof ApiError)) return e;
    if (e.field === 'successor_id') {
        if (e.code === 'field_invalid') return renamed(e, 'successor_invalid');
        if (e.code === 'not_found') return renamed(e, 'successor_not_found');
        if (e.code === 'conflict') return renamed(e, 'successor_not_active');
        return e;
    }
    if (e.code === 'conflict' && !e.field) {
        return renamed(e, now && now.state === 'offboarded' ? 'already_offboarded' : 'last_admin_offboard');
    }
    if (e.code === 'forbidden') return renamed(e, 'offboard_forbidden');
    return e;
}

/** The refusals of a disable, an enable or a rehire, in words. */
function stateError(e, now, what) {
    if (!(e instanceof ApiError)) return e;
    if (e.code === 'conflict') {
        if (what === 'rehire') return renamed(e, 'rehire_active');
        if (now && now.state === 'offboarded') return renamed(e, 'offboarded_rehire_only');
        return renamed(e, 'last_admin_disable');
    }
    if (e.code === 'forbidden') return renamed(e, 'state_forbidden');
    return e;
}

/** One count of the report, in words ("Sessions ended: 2"). */
const Count = ({ label, n, testid, hook, step }) => html`<dt>${label}</dt>
    <dd data-testid=${testid} data-hook=${hook} data-step=${step} data-n=${n}>${fmtNumber(n)}</dd>`;

/** What an offboarding did: the steps, then each hook's counts (known ones named, others as the API names them). */
function Report({ name, successor, report }) {
    const hooks = report.hooks && typeof report.hooks === 'object' ? report.hooks : {};
    const label = (hook, key) => (has(`offboard.hook_${hook}_${key}`) ? t(`offboard.hook_${hook}_${key}`)
        : t('offboard.hook_other', { hook: has(`offboard.hook_${hook}`) ? t(`offboard.hook_${hook}`) : hook, what: key }));
    return html`<section class="panel" aria-labelledby="off-report-title" data-testid="off-report"
        data-successor=${report.successor_id}>
        <h2 id="off-report-title" tabIndex="-1">${t('offboard.done', { name })}</h2>
        <p>${t('offboard.done_text', { successor: successor ? successor.name : report.successor_id })}</p>
        <dl class="props">
            ${['sessions', 'devices', 'roles'].map((k) => html`<${Count} label=${t(`offboard.step_${k}`)}
                n=${report[k]} testid="off-report-step" step=${k} />`)}
            ${Object.entries(hooks).map(([hook, counts]) => Object.entries(counts || {}).map(([k, n]) => html`<${Count}
                label=${label(hook, k)} n=${n} testid="off-report-hook" hook=${hook} step=${k} />`))}
        </dl>
        <p class="hint below">${t('offboard.done_audit')}</p>
    </section>`;
}

/** The offboarding form: what happens, the successor, the username to confirm. */
function OffboardForm({ e, onDone, onCancel, onFresh }) {
    const [successor, setSuccessor] = useState(null);
    const [typed, setTyped] = useState('');
    const [run, busy, error] = useAction();
    const head = useRef(null);
    useEffect(() => { if (head.current) head.current.focus(); }, []);
    const labels = { successor_id: t('offboard.successor'), confirm: t('offboard.confirm') };
    const submit = () => run(async () => {
        if (!successor) throw new ApiError(0, 'field_missing', '', 'successor_id');
        if (typed.trim() !== e.username) throw new ApiError(0, 'confirm_mismatch', '', 'confirm');
        let ans;
        try {
            ans = await post(`${BASE}/${seg(e.id)}/offboard`, { successor_id: successor.id });
        } catch (err) {
            const now = err instanceof ApiError && err.code === 'conflict' && !err.field ? await fresh(e.id) : null;
            if (now) onFresh(now);
            throw offboardError(err, now);
        }
        const { offboarding, ...now } = ans;
        onDone(now, offboarding, successor);
    });
    const fe = (name) => fieldError(error, name, labels);
    return html`<section class="panel" aria-labelledby="off-title" data-testid="off-panel">
        <h2 id="off-title" tabIndex="-1" ref=${head}>${t('offboard.title', { name: e.display_name })}</h2>
        <p>${t('offboard.intro', { name: e.display_name })}</p>
        <ul data-testid="off-explain">
            <li>${t('offboard.explain_account')}</li>
            <li>${t('offboard.explain_sessions')}</li>
            <li>${t('offboard.explain_roles')}</li>
            <li>${t('offboard.explain_groups')}</li>
            <li>${t('offboard.explain_tokens')}</li>
            <li>${t('offboard.explain_once')}</li>
        </ul>
        <${ErrorBox} error=${error} labels=${labels} testid="off-error" />
        <${Form} onSubmit=${submit} busy=${busy} testid="off-form" label=${t('offboard.title', { name: e.display_name })}>
            <${SearchPick} id="off-successor" testid="off-successor" label=${labels.successor_id}
                hint=${t('offboard.successor_hint')} error=${fe('successor_id')}
                chosen=${successor ? [successor] : []} search=${findSuccessors} exclude=${[e.id]}
                onChoose=${setSuccessor} onRemove=${() => setSuccessor(null)} />
            <${Field} id="off-confirm" label=${labels.confirm} value=${typed} onInput=${setTyped}
                autocomplete="off" spellcheck="false" autocapitalize="none"
                hint=${t('offboard.confirm_hint', { user: e.username })} error=${fe('confirm')} />
            <p class="row">
                <button type="submit" class="danger" data-testid="off-submit">${t('offboard.submit')}</button>
                <button type="button" class="secondary" data-testid="off-cancel" onClick=${onCancel}>${t('common.cancel')}</button>
            </p>
        <//>
    </section>`;
}

/** The rehire step: what it does, then the new temporary password once. */
function RehireForm({ e, onDone, onCancel, onFresh }) {
    const [run, busy, error] = useAction();
    const head = useRef(null);
    useEffect(() => { if (head.current) head.current.focus(); }, []);
    const submit = () => run(async () => {
        let ans;
        try {
            ans = await post(`${BASE}/${seg(e.id)}/rehire`, {});
        } catch (err) {
            const now = err instanceof ApiError && err.code === 'conflict' ? await fresh(e.id) : null;
            if (now) onFresh(now);
            throw stateError(err, now, 'rehire');
        }
        const { temporary_password: temp, ...now } = ans;
        onDone(now, temp);
    });
    return html`<section class="panel" aria-labelledby="rehire-title" data-testid="rehire-panel">
        <h2 id="rehire-title" tabIndex="-1" ref=${head}>${t('offboard.rehire_title', { name: e.display_name })}</h2>
        <p>${t('offboard.rehire_text')}</p>
        <${ErrorBox} error=${error} testid="rehire-error" />
        <${Form} onSubmit=${submit} busy=${busy} testid="rehire-form" label=${t('offboard.rehire_title', { name: e.display_name })}>
            <p class="row">
                <button type="submit" class="primary" data-testid="rehire-submit">${t('offboard.rehire_submit')}</button>
                <button type="button" class="secondary" data-testid="rehire-cancel" onClick=${onCancel}>${t('common.cancel')}</button>
            </p>
        <//>
    </section>`;
}

/**
 * The employment panel of employee @p e (shown when e.may_manage): its
 * actions by state, and what the last one did. onChanged(employee): the
 * employee as the API answered.
 */
export function Employment({ e, onChanged }) {
    const [open, setOpen] = useState(null); // null | 'offboard' | 'rehire'
    const [result, setResult] = useState(null); // {kind: 'offboarded'|'rehired', …}
    const [note, setNote] = useState('');
    const [run, busy, error] = useAction();
    const resultHead = useRef(false);
    useEffect(() => {
        if (!resultHead.current) return;
        resultHead.current = false;
        const h = document.getElementById(result && result.kind === 'rehired' ? 'rehired-title' : 'off-report-title');
        if (h) h.focus();
    }, [result]);
    const close = () => {
        setOpen(null);
        setTimeout(() => { const b = document.querySelector('[data-testid="emp-actions"] button'); if (b) b.focus(); }, 0);
    };
    const start = (what) => {
        setResult(null);
        setNote('');
        setOpen(what);
    };
    const setState = (state) => run(async () => {
        setResult(null);
        setNote('');
        let now;
        try {
            now = await patch(`${BASE}/${seg(e.id)}`, { state });
        } catch (err) {
            const cur = err instanceof ApiError && err.code === 'conflict' ? await fresh(e.id) : null;
            if (cur) onChanged(cur);
            throw stateError(err, cur, state);
        }
        onChanged(now);
        setNote(t(state === 'disabled' ? 'offboard.disabled_note' : 'offboard.enabled_note', { name: now.display_name }));
    });
    const name = e.display_name;
    return html`<section class="panel" aria-labelledby="emp-employment-title" data-testid="emp-employment"
            data-state=${e.state}>
            <h2 id="emp-employment-title">${t('offboard.employment')}</h2>
            <p class="hint" data-testid="emp-state-text">${t(`offboard.state_text_${e.state}`)}</p>
            <${Notice} text=${note} testid="emp-state-notice" />
            <${ErrorBox} error=${error} testid="emp-state-error" />
            <div class="row" data-testid="emp-actions">
                ${e.state === 'active' && html`<${ConfirmButton} label=${t('offboard.disable')} testid="emp-disable"
                    name=${name} busy=${busy || open !== null} question=${t('offboard.disable_q', { name })}
                    onConfirm=${() => setState('disabled')} />`}
                ${e.state === 'disabled' && html`<button type="button" class="secondary" data-testid="emp-enable"
                    disabled=${busy || open !== null} onClick=${() => setState('active')}>${t('offboard.enable')}</button>`}
                ${e.state !== 'active' && html`<button type="button" class="secondary" data-testid="emp-rehire"
                    disabled=${busy || open !== null} aria-expanded=${open === 'rehire' ? 'true' : 'false'}
                    onClick=${() => start('rehire')}>${t('offboard.rehire')}</button>`}
                ${e.state !== 'offboarded' && html`<button type="button" class="danger" data-testid="emp-offboard"
                    disabled=${busy || open !== null} aria-expanded=${open === 'offboard' ? 'true' : 'false'}
                    onClick=${() => start('offboard')}>${t('offboard.open')}</button>`}
            </div>
            ${e.state === 'active' && html`<p class="hint below">${t('offboard.disable_hint')}</p>`}
        </section>
        ${open === 'offboard' && html`<${OffboardForm} e=${e} onCancel=${close} onFresh=${onChanged}
            onDone=${(now, report, successor) => {
                onChanged(now);
                setOpen(null);
                resultHead.current = true;
                setResult({ kind: 'offboarded', name: now.display_name, report, successor });
            }} />`}
        ${open === 'rehire' && html`<${RehireForm} e=${e} onCancel=${close} onFresh=${onChanged}
            onDone=${(now, temp) => {
                onChanged(now);
                setOpen(null);
                resultHead.current = true;
                setResult({ kind: 'rehired', name: now.display_name, username: now.username, temp });
            }} />`}
        ${result && result.kind === 'offboarded' && html`<${Report} name=${result.name} successor=${result.successor}
            report=${result.report} />`}
        ${result && result.kind === 'rehired' && html`<section class="panel" aria-labelledby="rehired-title"
            data-testid="rehired">
            <h2 id="rehired-title" tabIndex="-1">${t('offboard.rehired', { name: result.name })}</h2>
            <${ShownOnce} title=${t('employees.temporary_for', { user: result.username })} text=${result.temp}
                testid="rehire-temp" />
            <p class="msg msg-info" data-testid="rehire-warning">${t('offboard.rehired_warning')}</p>
            <p><button type="button" class="secondary" data-testid="rehired-done"
                onClick=${() => setResult(null)}>${t('offboard.rehired_done')}</button></p>
        </section>`}`;
}
