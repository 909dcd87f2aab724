// Choosing a thing of the tenant by part of its name, inside a form: a
// department (GET /directory/departments?q=), an employee (GET
// /directory/employees?q=), a group (GET /directory/groups?q=) or an
// account (GET /users?q=). The search box is
// the field's labelled input; Enter or "Find" asks the API (never submits the
// form around it); each result is a button; the choice is announced and can
// be cleared. The API decides what may be chosen: a choice it refuses comes
// back as the error of the field it names, shown here.
import { useRef, useState } from 'preact/hooks';

import { ApiError, get, seg } from './api.js';
import { t } from './i18n.js';
import { html, ErrorBox } from './ui.js';

const SHOWN = 10; // results listed at most

/**
 * One search-and-choose field. chosen: [{id, name, hint}] (the one choice,
 * or the several of a list); search(q) → [{id, name, hint}]; onChoose(item);
 * onRemove(item) (a list, or an optional single choice); error: the API's
 * error for this field (a string, shown under it); exclude: ids not offered.
 */
export function SearchPick({
    id, label, hint, error, chosen = [], search, onChoose, onRemove, exclude = [], testid, multiple = false,
}) {
    const [typed, setTyped] = useState('');
    const [found, setFound] = useState(null); // {q, items} of the last search
    const [busy, setBusy] = useState(false);
    const [searchError, setSearchError] = useState(null);
    const gen = useRef(0);
    const find = async () => {
        const q = typed.trim();
        if (!q) {
            setFound(null);
            return;
        }
        const g = ++gen.current;
        setBusy(true);
        setSearchError(null);
        try {
            const items = await search(q);
            if (g === gen.current) setFound({ q, items });
        } catch (e) {
            if (g === gen.current) setSearchError(e instanceof ApiError ? e : new ApiError(0, 'bad_response', ''));
        } finally {
            if (g === gen.current) setBusy(false);
        }
    };
    const choose = (item) => {
        onChoose(item);
        setTyped('');
        setFound(null);
        const input = document.getElementById(id);
        if (input) input.focus();
    };
    const skip = new Set([...exclude, ...chosen.map((c) => c.id)]);
    const offered = found ? found.items.filter((i) => !skip.has(i.id)).slice(0, SHOWN) : [];
    const described = [chosen.length ? `${id}-chosen` : null, hint ? `${id}-hint` : null,
        error ? `${id}-error` : null].filter(Boolean).join(' ');
    return html`<div class="field pick" data-testid=${testid} data-chosen=${chosen.map((c) => c.id).join(' ')}>
        <label for=${id}>${label}</label>
        <div id=${`${id}-chosen`} role="status" class="picked">
            ${chosen.length === 0 ? (multiple ? '' : html`<span class="muted" data-testid=${`${testid}-none`}>
                ${t('pick.none_chosen')}</span>`)
            : html`<ul class="chips">${chosen.map((c) => html`<li data-testid=${`${testid}-chosen`} data-id=${c.id}>
                <strong>${c.name}</strong>${c.hint && html` <span class="hint">${c.hint}</span>`}
                ${onRemove && html` <button type="button" class="link" data-testid=${`${testid}-remove`} data-id=${c.id}
                    aria-label=${t('pick.remove_named', { name: c.name })}
                    onClick=${() => { onRemove(c); const i = document.getElementById(id); if (i) i.focus(); }}>
                    ${t('pick.remove')}</button>`}
            </li>`)}</ul>`}
        </div>
        <div class="pick-search">
            <input id=${id} type="search" data-testid=${`${testid}-q`} value=${typed} autocomplete="off" spellcheck="false"
                aria-invalid=${error ? 'true' : undefined} aria-describedby=${described || undefined}
                onInput=${(e) => setTyped(e.currentTarget.value)}
                onKeyDown=${(e) => { if (e.key === 'Enter') { e.preventDefault(); find(); } }} />
            <button type="button" class="secondary" data-testid=${`${testid}-find`} disabled=${busy}
                aria-label=${t('pick.find_named', { label })} onClick=${find}>${t('pick.find')}</button>
        </div>
        ${hint && html`<p id=${`${id}-hint`} class="hint">${hint}</p>`}
        ${error && html`<p id=${`${id}-error`} class="field-error" data-testid=${`${testid}-error`}>${error}</p>`}
        <${ErrorBox} error=${searchError} testid=${`${testid}-search-error`} />
        ${found && (offered.length === 0
        ? html`<p class="muted" data-testid=${`${testid}-empty`}>${t('pick.none_found', { q: found.q })}</p>`
        : html`<ul class="pick-list" data-testid=${`${testid}-options`} aria-label=${t('pick.results', { label, q: found.q })}>
            ${offered.map((i) => html`<li><button type="button" class="secondary" data-testid=${`${testid}-option`}
                data-id=${i.id} data-name=${i.name} onClick=${() => choose(i)}>
                ${t('pick.choose', { name: i.name })}${i.hint && html` <span class="hint">${i.hint}</span>`}</button></li>`)}
        </ul>`)}
    </div>`;
}

/** "Head office / Sales" for a department's path of {name}. */
const pathText = (path) => (path || []).map((p) => p.name).join(t('directory.sep'));

/** Where a department is, in words ("in Head office", "at the top level"). */
export const deptWhere = (path) => (path && path.length
    ? t('directory.in', { where: pathText(path) }) : t('directory.at_top'));

/** A department as a choice: {id, name, hint: where it is}, its path asked for. */
export async function deptChoice(d) {
    try {
        const full = d.path ? d : await get(`/directory/departments/${seg(d.id)}`);
        return { id: d.id, name: d.name, hint: deptWhere(full.path) };
    } catch (e) {
        if (e && e.name === 'AbortError') throw e;
        return { id: d.id, name: d.name, hint: '' };
    }
}

/** Departments whose name contains @p q. */
export async function findDepartments(q) {
    const page = await get('/directory/departments', { query: { q, limit: SHOWN + 4 } });
    return Promise.all((page.items || []).slice(0, SHOWN + 4).map(deptChoice));
}

/** Employees whose display name starts with @p q. */
export async function findEmployees(q) {
    const page = await get('/directory/employees', { query: { q, limit: SHOWN + 2 } });
    return (page.items || []).map((e) => ({
        id: e.id, name: e.display_name, hint: `${e.username} · ${e.department ? e.department.name : ''}`,
    }));
}

/** Accounts whose username starts with @p q (or whose e-mail is it). */
export async function findAccounts(q) {
    const page = await get('/users', { query: { q, limit: SHOWN + 2 } });
    return (page.items || []).map((u) => ({ id: u.id, name: u.username, hint: u.email || '' }));
}

/** Groups whose name starts with @p q. */
export async function findGroups(q) {
    const page = await get('/directory/groups', { query: { q, limit: SHOWN + 2 } });
    return (page.items || []).map((g) => ({ id: g.id, name: g.name, hint: g.description || '' }));
}
