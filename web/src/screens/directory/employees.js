// Employees (issue 11, part 9; DIR-2, DIR-4, DIR-5): the list (a name
// search, a department, an exact phone or ID number, cursor pages; all in
// the URL), one employee's profile (its departments and manager; the phone
// masked, revealed on request when the API says the viewer may, with the
// reveals left), hiring (a new account, whose temporary password is shown
// once, or an existing account linked) and changing a profile. What a viewer
// may change is the API's answer (may_manage, may_reveal_phone); the screens
// only offer it. Every refusal is shown next to the field the API names.
import { useEffect, useState } from 'preact/hooks';

import { ApiError, get, patch, post, seg } from '../../api.js';
import { fmtNumber, t } from '../../i18n.js';
import { SearchPick, deptChoice, findAccounts, findDepartments, findEmployees } from '../../pick.js';
import { href, navigate } from '../../router.js';
import { may } from '../../routes.js';
import { useMe } from '../../session.js';
import { Employment } from './offboarding.js';
import {
    html, Empty, ErrorBox, Field, Form, Notice, Page, Pager, Select, ShownOnce, Time, fieldError, useAction, useLoad,
    usePages,
} from '../../ui.js';

const BASE = '/directory/employees';
const SCREEN = '/directory/employees';
const PAGE = 50;
const FILTERS = ['q', 'department', 'phone', 'id_number'];

/** The filters of the URL, only those the API knows. */
function filtersOf(query) {
    const f = {};
    for (const k of FILTERS) if ((query[k] || '').trim()) f[k] = query[k].trim();
    return f;
}

const profileHref = (id) => href(`${SCREEN}/${seg(id)}`);
const deptHref = (id) => href('/directory', { dept: id });

/**
 * The API answers three refusals of an employee with one code, 409
 * "conflict"; its field says which rule. The console gives each its own
 * sentence (errors.employee_no_taken, …), still next to that field.
 */
function refine(e) {
    if (!(e instanceof ApiError) || e.status !== 409 || e.code !== 'conflict') return e;
    const code = { employee_no: 'employee_no_taken', account_id: 'already_employee', manager_id: 'manager_cycle' }[e.field];
    return code ? new ApiError(e.status, code, e.message, e.field, e.retryAt) : e;
}

const refined = (fn) => async () => {
    try {
        return await fn();
    } catch (e) {
        throw refine(e);
    }
};

/** The labels of the fields the API may name. */
function labelsOf() {
    return {
        username: t('employees.username'), email: t('employees.email'), account_id: t('employees.account'),
        display_name: t('employees.display_name'), title: t('employees.title'), employee_no: t('employees.employee_no'),
        department_id: t('employees.department'), departments: t('employees.departments'),
        manager_id: t('employees.manager'), phone: t('employees.phone'), id_number: t('employees.id_number'),
        q: t('employees.q'), department: t('employees.department'),
    };
}

/** The state as a badge: active, disabled (for a while), offboarded (DIR-6). */
function StateTag({ state }) {
    const cls = state === 'active' ? 'tag good' : state === 'disabled' ? 'tag bad' : 'tag gone';
    return html`<span class=${cls} data-testid="emp-state" data-state=${state}>${t(`employees.state_${state}`)}</span>`;
}

const None = () => html`<span class="muted">${t('common.none')}</span>`;

/** A phone as the list shows it: masked or clear, as the API answered. */
function PhoneText({ phone, masked }) {
    if (!phone) return html`<${None} />`;
    return html`<span data-testid="emp-phone" data-masked=${masked ? 'true' : 'false'}
        aria-label=${masked ? t('employees.phone_masked_named', { phone }) : undefined}>${phone}</span>`;
}

/* ---- the list ---- */

/** The department filter: chosen by name, shown by name (from its id in the URL). */
function DeptFilter({ f, error }) {
    const cur = useLoad(() => (f.department ? get(`/directory/departments/${seg(f.department)}`).then(deptChoice)
        : Promise.resolve(null)), [f.department]);
    const chosen = cur.data ? [cur.data] : f.department && cur.error ? [{ id: f.department, name: f.department, hint: '' }] : [];
    return html`<${SearchPick} id="emp-dept" testid="emp-dept" label=${t('employees.filter_department')}
        hint=${t('employees.filter_department_hint')} chosen=${chosen} search=${findDepartments}
        error=${error} onChoose=${(d) => navigate(SCREEN, { ...f, department: d.id }, { replace: true })}
        onRemove=${() => navigate(SCREEN, { ...f, department: '' }, { replace: true })} />`;
}

export function Employees({ query = {} }) {
    const { me } = useMe();
    const f = filtersOf(query);
    const key = JSON.stringify(f);
    const [typed, setTyped] = useState(f.q || '');
    const [kind, setKind] = useState(f.id_number ? 'id_number' : 'phone');
    const [exact, setExact] = useState(f.phone || f.id_number || '');
    useEffect(() => {
        setTyped(f.q || '');
        setKind(f.id_number ? 'id_number' : 'phone');
        setExact(f.phone || f.id_number || '');
    }, [key]);
    const p = usePages((cursor) => get(BASE, { query: { ...f, cursor, limit: PAGE } }), [key]);
    const items = (p.page && Array.isArray(p.page.items)) ? p.page.items : [];
    const labels = { ...labelsOf(), phone: t('employees.exact_phone'), id_number: t('employees.exact_id_number') };
    const exactError = fieldError(p.error, 'phone', labels) || fieldError(p.error, 'id_number', labels);
    const filtered = Object.keys(f).length > 0;
    const canHire = may(me, 'directory.manage');
    const hireHref = href(`${SCREEN}/new`, { department: f.department });
    return html`<${Page} title=${t('nav.employees')} testid="page-employees"
        actions=${canHire && html`<a href=${hireHref} data-testid="emp-hire-link">${t('employees.hire')}</a>`}>
        <section class="panel" aria-labelledby="emp-filters-title" data-testid="emp-filters">
            <h2 id="emp-filters-title">${t('employees.filters')}</h2>
            <div class="filter-grid">
                <${Form} onSubmit=${() => navigate(SCREEN, { ...f, q: typed.trim() }, { replace: true })}
                    testid="emp-search" label=${t('employees.search')}>
                    <div class="filters">
                        <${Field} id="emp-q" type="search" label=${labels.q} value=${typed} onInput=${setTyped}
                            autocomplete="off" spellcheck="false" error=${fieldError(p.error, 'q', labels)} />
                        <button type="submit" class="secondary" data-testid="emp-q-submit">${t('common.search')}</button>
                    </div>
                <//>
                <${DeptFilter} f=${f} error=${fieldError(p.error, 'department', labels)} />
                <${Form} onSubmit=${() => navigate(SCREEN, {
                    ...f, phone: kind === 'phone' ? exact.trim() : '', id_number: kind === 'id_number' ? exact.trim() : '',
                }, { replace: true })} testid="emp-exact" label=${t('employees.exact')}>
                    <${Select} id="emp-exact-kind" label=${t('employees.exact_kind')} value=${kind} onChange=${setKind}
                        options=${[['phone', t('employees.exact_phone')], ['id_number', t('employees.exact_id_number')]]} />
                    <div class="filters">
                        <${Field} id="emp-exact-value" label=${kind === 'phone' ? labels.phone : labels.id_number}
                            value=${exact} onInput=${setExact} autocomplete="off" spellcheck="false"
                            aria-describedby=${exactError ? 'emp-exact-hint emp-exact-value-error' : 'emp-exact-hint'}
                            error=${exactError} />
                        <button type="submit" class="secondary" data-testid="emp-exact-submit">${t('employees.find')}</button>
                    </div>
                    <p id="emp-exact-hint" class="hint">${t('employees.exact_hint')}</p>
                <//>
            </div>
            ${filtered && html`<p><a href=${href(SCREEN)} data-testid="emp-clear">${t('employees.clear')}</a></p>`}
        </section>
        <${ErrorBox} error=${p.error} labels=${labels} testid="emp-list-error" />
        ${items.length === 0 ? html`<${Empty} loading=${p.loading} text=${filtered ? t('employees.none_found') : t('employees.none')} />`
        : html`<div class="table-wrap"><table class="list" data-testid="emp-table" aria-busy=${p.loading ? 'true' : undefined}>
            <caption class="sr-only">${filtered ? t('employees.caption_filtered') : t('employees.caption')}</caption>
            <thead><tr>
                <th scope="col">${t('employees.display_name')}</th><th scope="col">${t('employees.username')}</th>
                <th scope="col">${t('employees.title')}</th><th scope="col">${t('employees.employee_no')}</th>
                <th scope="col">${t('employees.department')}</th><th scope="col">${t('employees.phone')}</th>
                <th scope="col">${t('employees.state')}</th>
            </tr></thead>
            <tbody>${items.map((e) => html`<tr data-testid="emp-row" data-id=${e.id} data-name=${e.display_name}>
                <th scope="row"><a href=${profileHref(e.id)} data-testid="emp-link">${e.display_name}</a></th>
                <td>${e.username}</td>
                <td>${e.title || html`<${None} />`}</td>
                <td>${e.employee_no || html`<${None} />`}</td>
                <td><a href=${deptHref(e.department.id)}>${e.department.name}</a></td>
                <td><${PhoneText} phone=${e.phone} masked=${e.phone_masked} /></td>
                <td><${StateTag} state=${e.state} /></td>
            </tr>`)}</tbody>
        </table></div>`}
        <${Pager} p=${p} testid="emp-pager" />
    <//>`;
}

/* ---- one employee ---- */

/** The phone: masked as the API shows it, and the reveal when the API allows it (DIR-5). */
function Phone({ e }) {
    const [shown, setShown] = useState(null); // {phone, left}
    const [run, busy, error] = useAction();
    const reveal = () => run(async () => {
        const ans = await post(`${BASE}/${seg(e.id)}/phone/reveal`, {});
        setShown({ phone: ans.phone, left: ans.reveals_left });
    });
    if (!e.phone) return html`<${None} />`;
    if (shown) {
        return html`<span data-testid="emp-phone-clear">${shown.phone || t('common.none')}</span>
            <p class="hint" role="status" data-testid="emp-reveals-left" data-left=${shown.left}>
                ${t('employees.reveals_left', { n: fmtNumber(shown.left) })}</p>`;
    }
    return html`<${PhoneText} phone=${e.phone} masked=${e.phone_masked} />
        ${e.phone_masked && e.may_reveal_phone && html` <button type="button" class="secondary" data-testid="emp-reveal"
            disabled=${busy} aria-describedby="emp-reveal-hint" onClick=${reveal}>${t('employees.reveal')}</button>
            <p id="emp-reveal-hint" class="hint">${t('employees.reveal_hint')}</p>`}
        <${ErrorBox} error=${error} testid="emp-reveal-error" />`;
}

export function EmployeeProfile({ params }) {
    const { me } = useMe();
    const id = params.id;
    const emp = useLoad(() => get(`${BASE}/${seg(id)}`), [id]);
    // DIR-6: the employee as a disable, an offboarding or a rehire answered.
    const [changed, setChanged] = useState(null);
    const e = changed && changed.id === id && emp.data ? changed : emp.data;
    const title = e ? e.display_name : emp.error ? t('employees.title_one') : t('employees.loading');
    return html`<${Page} title=${title} testid="page-employee"
        actions=${html`<span class="row">${e && e.may_manage && html`<a href=${href(`${SCREEN}/${seg(e.id)}/edit`)}
            data-testid="emp-edit-link">${t('employees.edit')}</a>`}
            <a href=${href(SCREEN)} data-testid="emp-back">${t('employees.back')}</a></span>`}>
        <${ErrorBox} error=${emp.error} testid="emp-error" />
        ${!e && !emp.error && html`<${Empty} loading=${true} />`}
        ${e && html`<section class="panel" aria-labelledby="emp-props-title" data-testid="emp-props" data-id=${e.id}
            data-may-manage=${e.may_manage ? 'true' : 'false'} data-may-reveal=${e.may_reveal_phone ? 'true' : 'false'}>
            <h2 id="emp-props-title">${t('employees.profile')}</h2>
            <dl class="props">
                <dt>${t('employees.display_name')}</dt><dd data-testid="emp-prop-display_name">${e.display_name}</dd>
                <dt>${t('employees.username')}</dt><dd data-testid="emp-prop-username">${e.username}</dd>
                <dt>${t('employees.email')}</dt><dd>${e.email || html`<${None} />`}</dd>
                <dt>${t('employees.title')}</dt><dd data-testid="emp-prop-title">${e.title || html`<${None} />`}</dd>
                <dt>${t('employees.employee_no')}</dt><dd data-testid="emp-prop-employee_no">${e.employee_no || html`<${None} />`}</dd>
                <dt>${t('employees.state')}</dt><dd><${StateTag} state=${e.state} /></dd>
                <dt>${t('employees.department')}</dt><dd data-testid="emp-prop-department" data-id=${e.department.id}>
                    <a href=${deptHref(e.department.id)}>${e.department.name}</a></dd>
                <dt>${t('employees.departments')}</dt><dd data-testid="emp-prop-departments">
                    ${e.departments.length === 0 ? html`<${None} />` : html`<ul class="inline">${e.departments.map((d) => html`<li
                        data-id=${d.id}><a href=${deptHref(d.id)}>${d.name}</a></li>`)}</ul>`}</dd>
                <dt>${t('employees.manager')}</dt><dd data-testid="emp-prop-manager">
                    ${e.manager ? html`<a href=${profileHref(e.manager.id)} data-id=${e.manager.id}>${e.manager.display_name}</a>`
                    : html`<${None} />`}</dd>
                <dt>${t('employees.phone')}</dt><dd data-testid="emp-prop-phone"><${Phone} e=${e} /></dd>
                <dt>${t('employees.id_number')}</dt><dd data-testid="emp-prop-id_number">${e.id_number || html`<${None} />`}</dd>
                <dt>${t('employees.created')}</dt><dd><${Time} value=${e.created_at} /></dd>
                <dt>${t('employees.updated')}</dt><dd><${Time} value=${e.updated_at} /></dd>
            </dl>
            ${may(me, 'access.read') && html`<p class="below"><a href=${href('/admin/assignments', { account: e.id })}
                data-testid="emp-roles-link">${t('employees.roles_link')}</a></p>`}
        </section>`}
        ${e && e.may_manage && html`<${Employment} key=${e.id} e=${e} onChanged=${setChanged} />`}
    <//>`;
}

/* ---- the profile's fields, for hiring and changing ---- */

/**
 * The profile fields both forms share. v: {display_name, title, employee_no,
 * department, departments, manager, phone, id_number}; set(k)(value).
 */
function ProfileFields({ v, set, error, labels, current }) {
    const fe = (name) => fieldError(error, name, labels);
    return html`
        <${Field} id="emp-display_name" label=${labels.display_name} value=${v.display_name} onInput=${set('display_name')}
            autocomplete="off" required hint=${t('employees.display_name_hint')} error=${fe('display_name')} />
        <${Field} id="emp-title" label=${labels.title} value=${v.title} onInput=${set('title')}
            autocomplete="off" hint=${t('employees.optional')} error=${fe('title')} />
        <${Field} id="emp-employee_no" label=${labels.employee_no} value=${v.employee_no} onInput=${set('employee_no')}
            autocomplete="off" spellcheck="false" hint=${t('employees.employee_no_hint')} error=${fe('employee_no')} />
        <${SearchPick} id="emp-department" testid="emp-department" label=${labels.department_id}
            hint=${t('employees.department_hint')} error=${fe('department_id')}
            chosen=${v.department ? [v.department] : []} search=${findDepartments}
            onChoose=${set('department')} />
        <${SearchPick} id="emp-departments" testid="emp-departments" label=${labels.departments} multiple=${true}
            hint=${t('employees.departments_hint')} error=${fe('departments')} chosen=${v.departments}
            exclude=${v.department ? [v.department.id] : []} search=${findDepartments}
            onChoose=${(d) => set('departments')([...v.departments, d])}
            onRemove=${(d) => set('departments')(v.departments.filter((x) => x.id !== d.id))} />
        <${SearchPick} id="emp-manager" testid="emp-manager" label=${labels.manager_id}
            hint=${t('employees.manager_hint')} error=${fe('manager_id')}
            chosen=${v.manager ? [v.manager] : []} search=${findEmployees}
            exclude=${current ? [current.id] : []}
            onChoose=${set('manager')} onRemove=${() => set('manager')(null)} />
        <${Field} id="emp-phone" type="tel" label=${labels.phone} value=${v.phone} onInput=${set('phone')}
            autocomplete="off" error=${fe('phone')}
            hint=${current && current.phone ? t('employees.phone_keep_hint', { phone: current.phone }) : t('employees.phone_hint')} />
        ${current && current.phone && html`<div class="field check">
            <input type="checkbox" id="emp-phone-remove" data-testid="emp-phone-remove" checked=${v.phone_remove}
                onChange=${(e) => set('phone_remove')(e.currentTarget.checked)} />
            <label for="emp-phone-remove">${t('employees.phone_remove')}</label>
        </div>`}
        <${Field} id="emp-id_number" label=${labels.id_number} value=${v.id_number} onInput=${set('id_number')}
            autocomplete="off" spellcheck="false" hint=${t('employees.id_number_hint')} error=${fe('id_number')} />`;
}

/** The form's values for employee @p e (empty for a hire). */
function valuesOf(e, dept) {
    return {
        display_name: e ? e.display_name : '',
        title: e ? e.title || '' : '',
        employee_no: e ? e.employee_no || '' : '',
        department: e ? { id: e.department.id, name: e.department.name, hint: '' } : dept || null,
        departments: e ? e.departments.map((d) => ({ id: d.id, name: d.name, hint: '' })) : [],
        manager: e && e.manager ? { id: e.manager.id, name: e.manager.display_name, hint: '' } : null,
        phone: '',
        phone_remove: false,
        id_number: e ? e.id_number || '' : '',
    };
}

/* ---- hiring ---- */

export function HireEmployee({ query = {} }) {
    const { me } = useMe();
    const mayLink = may(me, 'users.manage') && may(me, 'users.read');
    const [mode, setMode] = useState('new');
    const [username, setUsername] = useState('');
    const [email, setEmail] = useState('');
    const [account, setAccount] = useState(null);
    const [v, setV] = useState(() => valuesOf(null, null));
    const [hired, setHired] = useState(null);
    const [run, busy, error, setError] = useAction();
    const set = (k) => (x) => setV((o) => ({ ...o, [k]: x }));
    // A hire from a department's list starts in that department.
    const pre = (query.department || '').trim();
    useEffect(() => {
        if (!pre) return;
        get(`/directory/departments/${seg(pre)}`).then(deptChoice)
            .then((d) => setV((o) => (o.department ? o : { ...o, department: d }))).catch(() => {});
    }, [pre]);
    const labels = labelsOf();
    const submit = () => run(refined(async () => {
        const body = { display_name: v.display_name.trim() };
        if (mode === 'new') {
            body.username = username.trim();
            if (email.trim()) body.email = email.trim();
        } else if (account) {
            body.account_id = account.id;
        } else {
            throw new ApiError(0, 'field_missing', '', 'account_id');
        }
        if (v.title.trim()) body.title = v.title.trim();
        if (v.employee_no.trim()) body.employee_no = v.employee_no.trim();
        if (v.department) body.department_id = v.department.id;
        if (v.departments.length) body.departments = v.departments.map((d) => d.id);
        if (v.manager) body.manager_id = v.manager.id;
        if (v.phone.trim()) body.phone = v.phone.trim();
        if (v.id_number.trim()) body.id_number = v.id_number.trim();
        const e = await post(BASE, body);
        setHired(e);
        setUsername('');
        setEmail('');
        setAccount(null);
        setV(valuesOf(null, null));
        const h = document.getElementById('emp-hired-title');
        if (h) h.focus();
    }));
    const fe = (name) => fieldError(error, name, labels);
    return html`<${Page} title=${t('employees.hire_title')} testid="page-employee-hire"
        actions=${html`<a href=${href(SCREEN)} data-testid="emp-back">${t('employees.back')}</a>`}>
        ${hired && html`<section class="panel" aria-labelledby="emp-hired-title" data-testid="emp-hired"
            data-id=${hired.id} data-username=${hired.username}>
            <h2 id="emp-hired-title" tabIndex="-1">${t('employees.hired', { name: hired.display_name })}</h2>
            ${hired.temporary_password ? html`<${ShownOnce} title=${t('employees.temporary_for', { user: hired.username })}
                text=${hired.temporary_password} testid="emp-temp" />`
            : html`<p data-testid="emp-linked">${t('employees.linked', { user: hired.username })}</p>`}
            <p class="row"><a href=${profileHref(hired.id)} data-testid="emp-hired-open">
                ${t('employees.open', { name: hired.display_name })}</a>
                <button type="button" class="secondary" data-testid="emp-hired-done"
                    onClick=${() => { setHired(null); setError(null); }}>${t('employees.hire_another')}</button></p>
        </section>`}
        <section class="panel" aria-labelledby="emp-hire-form-title">
            <h2 id="emp-hire-form-title">${t('employees.hire_form')}</h2>
            <${ErrorBox} error=${error} labels=${labels} testid="emp-hire-error" />
            <${Form} onSubmit=${submit} busy=${busy} testid="emp-hire-form" label=${t('employees.hire_form')}>
                ${mayLink ? html`<fieldset class="choice" data-testid="emp-mode">
                    <legend>${t('employees.account')}</legend>
                    <div class="field check option"><input type="radio" id="emp-mode-new" name="emp-mode" value="new"
                        data-testid="emp-mode-new" checked=${mode === 'new'} onChange=${() => setMode('new')} />
                        <label for="emp-mode-new">${t('employees.mode_new')}</label></div>
                    <div class="field check option"><input type="radio" id="emp-mode-link" name="emp-mode" value="link"
                        data-testid="emp-mode-link" checked=${mode === 'link'} onChange=${() => setMode('link')} />
                        <label for="emp-mode-link">${t('employees.mode_link')}</label></div>
                </fieldset>` : html`<p class="hint">${t('employees.mode_new_only')}</p>`}
                ${mode === 'new' ? html`
                    <${Field} id="emp-username" label=${labels.username} value=${username} onInput=${setUsername}
                        autocomplete="off" spellcheck="false" required hint=${t('employees.username_hint')}
                        error=${fe('username')} />
                    <${Field} id="emp-email" type="email" label=${labels.email} value=${email} onInput=${setEmail}
                        autocomplete="off" hint=${t('employees.optional')} error=${fe('email')} />`
                : html`<${SearchPick} id="emp-account" testid="emp-account" label=${labels.account_id}
                    hint=${t('employees.account_hint')} error=${fe('account_id')} chosen=${account ? [account] : []}
                    search=${findAccounts} onChoose=${setAccount} onRemove=${() => setAccount(null)} />`}
                <${ProfileFields} v=${v} set=${set} error=${error} labels=${labels} current=${null} />
                <button type="submit" class="primary" data-testid="emp-hire-submit">${t('employees.hire_submit')}</button>
            <//>
        </section>
    <//>`;
}

/* ---- changing ---- */

/** The body of a change: only what differs from @p e ('' clears what may be cleared). */
function changes(e, v) {
    const body = {};
    const text = (k, now) => {
        const x = v[k].trim();
        if (x !== (now || '')) body[k] = x === '' && k !== 'display_name' ? null : x;
    };
    text('display_name', e.display_name);
    text('title', e.title);
    text('employee_no', e.employee_no);
    text('id_number', e.id_number);
    if (v.department && v.department.id !== e.department.id) body.department_id = v.department.id;
    const ids = v.departments.map((d) => d.id);
    if (JSON.stringify([...ids].sort()) !== JSON.stringify(e.departments.map((d) => d.id).sort())) body.departments = ids;
    const mgr = v.manager ? v.manager.id : null;
    if (mgr !== (e.manager ? e.manager.id : null)) body.manager_id = mgr;
    if (v.phone.trim()) body.phone = v.phone.trim();
    else if (v.phone_remove) body.phone = null;
    return body;
}

function EditForm({ e, onSaved }) {
    const [v, setV] = useState(() => valuesOf(e));
    const [run, busy, error] = useAction();
    const [note, setNote] = useState('');
    const set = (k) => (x) => setV((o) => ({ ...o, [k]: x }));
    const labels = labelsOf();
    const save = () => run(refined(async () => {
        setNote('');
        const body = changes(e, v);
        if (Object.keys(body).length === 0) {
            setNote(t('employees.unchanged'));
            return;
        }
        const now = await patch(`${BASE}/${seg(e.id)}`, body);
        onSaved(now, t('employees.saved', { name: now.display_name }));
    }));
    return html`<section class="panel" aria-labelledby="emp-edit-form-title">
        <h2 id="emp-edit-form-title">${t('employees.edit_form')}</h2>
        <${Notice} text=${note} testid="emp-edit-notice" />
        <${ErrorBox} error=${error} labels=${labels} testid="emp-edit-error" />
        <${Form} onSubmit=${save} busy=${busy} testid="emp-edit-form" label=${t('employees.edit_form')}>
            <p class="hint">${t('employees.account_fixed', { user: e.username })}</p>
            <${ProfileFields} v=${v} set=${set} error=${error} labels=${labels} current=${e} />
            <button type="submit" class="primary" data-testid="emp-edit-submit">${t('common.save')}</button>
        <//>
    </section>`;
}

export function EditEmployee({ params }) {
    const id = params.id;
    const emp = useLoad(() => get(`${BASE}/${seg(id)}`), [id]);
    const [saved, setSaved] = useState(null); // {e, text}: the employee as saved
    const e = saved ? saved.e : emp.data;
    const title = e ? t('employees.edit_title', { name: e.display_name }) : t('employees.loading');
    return html`<${Page} title=${title} testid="page-employee-edit"
        actions=${html`<a href=${profileHref(id)} data-testid="emp-edit-back">${t('employees.back_profile')}</a>`}>
        <${ErrorBox} error=${emp.error} testid="emp-error" />
        ${!e && !emp.error && html`<${Empty} loading=${true} />`}
        <${Notice} text=${saved ? saved.text : ''} testid="emp-saved" />
        ${e && !e.may_manage && html`<p class="msg msg-error" role="alert" data-testid="emp-not-yours">
            ${t('employees.not_yours')}</p>`}
        ${e && e.may_manage && html`<${EditForm} key=${e.updated_at} e=${e} onSaved=${(now, text) => setSaved({ e: now, text })} />`}
    <//>`;
}
