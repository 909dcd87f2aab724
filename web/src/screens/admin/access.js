// Roles and assignments (issue 11, parts 3 and 9; docs/permissions.md): the
// built-in and custom roles with their permissions (access.read), a custom
// role made, changed or deleted with the catalogue's permissions as
// checkboxes (access.manage); who holds which role over what, filtered by
// account, a role given to an account or a group (every employee in it
// holds it) over the tenant, a department or a group (each chosen by name),
// and taken away. The API's refusals that share the code "conflict" each get
// their own sentence (the last tenant admin, a role still given, a name
// taken, …), shown where they happened.
import { useEffect, useState } from 'preact/hooks';

import { ApiError, del, get, patch, post, seg } from '../../api.js';
import { has, t } from '../../i18n.js';
import { SearchPick, findAccounts, findDepartments, findGroups } from '../../pick.js';
import { href, navigate } from '../../router.js';
import { may } from '../../routes.js';
import { useMe } from '../../session.js';
import {
    html, ConfirmButton, Empty, ErrorBox, Field, Form, Notice, Page, Pager, Select, Time, fieldError, useAction,
    useLoad, usePages,
} from '../../ui.js';

const ROLES = '/admin/roles';
const ASSIGNMENTS = '/admin/assignments';
const PAGE = 50;

/** A permission in words (its wire name too, for those who know it). */
export const permText = (name) => (has(`perm.${name}`) ? t(`perm.${name}`) : name);

/** A role's name: a built-in one's in the reader's language, a custom one's as named. */
export const roleText = (r) => (r.builtin && has(`role.${r.id}`) ? t(`role.${r.id}`) : r.name);

/** A role ({role, role_name} of an assignment) by its key or id. */
const assignedRoleText = (a) => (has(`role.${a.role}`) ? t(`role.${a.role}`) : a.role_name);

/**
 * Give the refusals that share "conflict" their own code (and so their own
 * sentence): @p where is the request that was refused.
 */
function refine(e, where) {
    if (!(e instanceof ApiError) || e.status !== 409 || e.code !== 'conflict') return e;
    let code = null;
    if (where === 'role') code = e.field === 'permissions' ? 'role_scope_conflict' : e.field === 'name' ? 'role_name_taken' : null;
    else if (where === 'role_delete') code = 'role_in_use';
    else if (where === 'grant') code = e.field === 'account_id' ? 'too_many_assignments' : 'assignment_exists';
    else if (where === 'grant_group') code = e.field === 'group_id' ? 'group_too_many_assignments' : 'group_assignment_exists';
    else if (where === 'revoke') code = 'last_tenant_admin';
    return code ? new ApiError(e.status, code, e.message, e.field, e.retryAt) : e;
}

const refined = (where, fn) => async () => {
    try {
        return await fn();
    } catch (e) {
        throw refine(e, where);
    }
};

/** The catalogue and the roles, both screens' starting point. */
function useModel() {
    return useLoad(async () => {
        const [perms, roles] = await Promise.all([get('/access/permissions'), get('/access/roles')]);
        return { perms: perms.items || [], roles: roles.items || [] };
    }, []);
}

/** Whether a role holds a permission of department object (so may be given over a department or a group). */
const departmental = (role, perms) => role.permissions.some((p) => perms.some((c) => c.name === p && c.object === 'department'));

function PermList({ names }) {
    return html`<ul class="inline" data-testid="role-perms">${names.map((n) => html`<li class="tag" data-perm=${n}>${permText(n)}</li>`)}</ul>`;
}

/** The permissions as checkboxes, in catalogue order. */
function PermChecks({ perms, value, onChange, error, disabled, idp }) {
    const toggle = (name, on) => onChange(on ? [...value, name] : value.filter((x) => x !== name));
    return html`<fieldset class="choice" data-testid=${`${idp}-perms`} aria-describedby=${error ? `${idp}-perms-error` : `${idp}-perms-hint`}
        aria-invalid=${error ? 'true' : undefined}>
        <legend>${t('roles.permissions')}</legend>
        <p id=${`${idp}-perms-hint`} class="hint">${t('roles.permissions_hint')}</p>
        ${perms.map((p) => {
            const id = `${idp}-perm-${p.name.replace(/\./g, '-')}`;
            return html`<div class="field check option">
                <input type="checkbox" id=${id} data-testid="perm-check" data-perm=${p.name} disabled=${disabled}
                    checked=${value.includes(p.name)} aria-describedby=${`${id}-kind`}
                    onChange=${(e) => toggle(p.name, e.currentTarget.checked)} />
                <label for=${id}>${permText(p.name)} <code>${p.name}</code></label>
                <span id=${`${id}-kind`} class="hint">${t(`roles.object_${p.object}`)}</span>
            </div>`;
        })}
        ${error && html`<p id=${`${idp}-perms-error`} class="field-error" data-testid=${`${idp}-perms-error`}>${error}</p>`}
    </fieldset>`;
}

/** Name, description and permissions of a custom role: the create and change forms. */
function RoleForm({ perms, start, submitLabel, onSubmit, testid, idp }) {
    const [name, setName] = useState(start ? start.name : '');
    const [description, setDescription] = useState(start ? start.description : '');
    const [chosen, setChosen] = useState(start ? start.permissions : []);
    const [run, busy, error] = useAction();
    const labels = { name: t('roles.name'), description: t('roles.description'), permissions: t('roles.permissions') };
    const submit = () => run(refined('role', async () => {
        // Catalogue order, as the API answers it.
        const ordered = perms.map((p) => p.name).filter((n) => chosen.includes(n));
        const done = await onSubmit({ name: name.trim(), description: description.trim(), permissions: ordered });
        if (done && !start) {
            setName('');
            setDescription('');
            setChosen([]);
        }
    }));
    return html`<div>
        <${ErrorBox} error=${error} labels=${labels} testid=${`${testid}-error`} />
        <${Form} onSubmit=${submit} busy=${busy} testid=${testid} label=${submitLabel}>
            <${Field} id=${`${idp}-name`} label=${labels.name} value=${name} onInput=${setName} autocomplete="off" required
                hint=${t('roles.name_hint')} error=${fieldError(error, 'name', labels)} />
            <${Field} id=${`${idp}-description`} label=${labels.description} value=${description} onInput=${setDescription}
                autocomplete="off" hint=${t('roles.description_hint')} error=${fieldError(error, 'description', labels)} />
            <${PermChecks} perms=${perms} value=${chosen} onChange=${setChosen} idp=${idp}
                error=${fieldError(error, 'permissions', labels)} />
            <button type="submit" class="primary" data-testid=${`${testid}-submit`}>${submitLabel}</button>
        <//>
    </div>`;
}

/* ---- the roles ---- */

export function Roles() {
    const { me } = useMe();
    const m = useModel();
    const [note, setNote] = useState('');
    const canManage = may(me, 'access.manage');
    const roles = m.data ? m.data.roles : [];
    const create = async (body) => {
        setNote('');
        const r = await post('/access/roles', body);
        setNote(t('roles.created', { name: r.name }));
        await m.reload();
        return true;
    };
    return html`<${Page} title=${t('nav.roles')} testid="page-roles"
        actions=${may(me, 'access.read') && html`<a href=${href(ASSIGNMENTS)} data-testid="roles-assignments-link">
            ${t('nav.assignments')}</a>`}>
        <p class="hint">${t('roles.intro')}</p>
        <${Notice} text=${note} testid="roles-notice" />
        <${ErrorBox} error=${m.error} testid="roles-error" />
        ${roles.length === 0 ? html`<${Empty} loading=${m.loading} text=${t('roles.none')} />`
        : html`<div class="table-wrap"><table class="list" data-testid="roles-table">
            <caption class="sr-only">${t('roles.caption')}</caption>
            <thead><tr>
                <th scope="col">${t('roles.name')}</th><th scope="col">${t('roles.kind')}</th>
                <th scope="col">${t('roles.permissions')}</th><th scope="col">${t('roles.description')}</th>
            </tr></thead>
            <tbody>${roles.map((r) => html`<tr data-testid="role-row" data-id=${r.id} data-name=${r.name}
                data-builtin=${r.builtin ? 'true' : 'false'}>
                <th scope="row"><a href=${href(`${ROLES}/${seg(r.id)}`)} data-testid="role-link">${roleText(r)}</a></th>
                <td><span class=${r.builtin ? 'tag' : 'tag good'}>${r.builtin ? t('roles.builtin') : t('roles.custom')}</span></td>
                <td><${PermList} names=${r.permissions} /></td>
                <td>${r.builtin ? t(`role.${r.id}_about`) : r.description || html`<span class="muted">${t('common.none')}</span>`}</td>
            </tr>`)}</tbody>
        </table></div>`}
        ${canManage && m.data && html`<section class="panel" aria-labelledby="role-create-title" data-testid="role-create">
            <h2 id="role-create-title">${t('roles.create_title')}</h2>
            <${RoleForm} perms=${m.data.perms} submitLabel=${t('roles.create')} onSubmit=${create}
                testid="role-create-form" idp="role-new" />
        </section>`}
    <//>`;
}

export function RoleDetail({ params }) {
    const { me } = useMe();
    const m = useModel();
    const [note, setNote] = useState('');
    const [run, busy, error] = useAction();
    const role = m.data ? m.data.roles.find((r) => r.id === params.id) : null;
    const canManage = may(me, 'access.manage');
    const save = async (body) => {
        setNote('');
        const change = {};
        if (body.name !== role.name) change.name = body.name;
        if (body.description !== role.description) change.description = body.description;
        if (JSON.stringify(body.permissions) !== JSON.stringify(role.permissions)) change.permissions = body.permissions;
        if (Object.keys(change).length === 0) {
            setNote(t('roles.unchanged'));
            return false;
        }
        const r = await patch(`/access/roles/${seg(role.id)}`, change);
        await m.reload();
        setNote(t('roles.saved', { name: r.name }));
        return true;
    };
    const remove = () => run(refined('role_delete', async () => {
        await del(`/access/roles/${seg(role.id)}`);
        navigate(ROLES, null, { replace: true });
    }));
    const missing = m.data && !role;
    const title = role ? roleText(role) : missing ? t('roles.title_one') : t('common.loading');
    return html`<${Page} title=${title} testid="page-role"
        actions=${html`<a href=${href(ROLES)} data-testid="role-back">${t('roles.back')}</a>`}>
        <${ErrorBox} error=${m.error} testid="role-error" />
        ${!m.data && !m.error && html`<${Empty} loading=${true} />`}
        ${missing && html`<${ErrorBox} error=${new ApiError(404, 'not_found', '')} testid="role-error" />`}
        ${role && html`<section class="panel" aria-labelledby="role-props-title" data-testid="role-props" data-id=${role.id}>
            <h2 id="role-props-title">${t('roles.about')}</h2>
            <dl class="props">
                <dt>${t('roles.kind')}</dt><dd>${role.builtin ? t('roles.builtin') : t('roles.custom')}</dd>
                <dt>${t('roles.permissions')}</dt><dd><${PermList} names=${role.permissions} /></dd>
                ${!role.builtin && html`<dt>${t('roles.created_at')}</dt><dd><${Time} value=${role.created_at} /></dd>
                    <dt>${t('roles.updated_at')}</dt><dd><${Time} value=${role.updated_at} /></dd>`}
            </dl>
            ${role.builtin && html`<p class="hint" data-testid="role-builtin-note">${t(`role.${role.id}_about`)}
                ${' '}${t('roles.builtin_fixed')}</p>`}
        </section>
        ${!role.builtin && canManage && html`<section class="panel" aria-labelledby="role-edit-title" data-testid="role-edit">
            <h2 id="role-edit-title">${t('roles.edit_title')}</h2>
            <${Notice} text=${note} testid="role-notice" />
            <${RoleForm} key=${role.updated_at} perms=${m.data.perms} start=${role} submitLabel=${t('common.save')}
                onSubmit=${save} testid="role-edit-form" idp="role-edit" />
            <h3>${t('roles.delete_title')}</h3>
            <p class="hint">${t('roles.delete_hint')}</p>
            <${ErrorBox} error=${error} testid="role-delete-error" />
            <p class="row"><${ConfirmButton} label=${t('roles.delete')} name=${role.name} busy=${busy}
                question=${t('roles.delete_q', { name: role.name })} testid="role-delete" onConfirm=${remove} /></p>
        </section>`}`}
    <//>`;
}

/* ---- the assignments ---- */

/** Who an account of the URL is: its username (from GET /users/{id}, when the viewer may read accounts). */
function useAccount(id) {
    const { me } = useMe();
    return useLoad(async () => {
        if (!id) return null;
        if (!may(me, 'users.read')) return { id, name: id, hint: '' };
        try {
            const u = await get(`/users/${seg(id)}`);
            return { id, name: u.username, hint: u.email || '' };
        } catch (e) {
            if (e instanceof ApiError && e.code === 'not_found') return { id, name: id, hint: t('assign.unknown_account') };
            throw e;
        }
    }, [id]);
}

/** The form that gives a role: to an account or a group, over the tenant, a department or a group. */
function Grant({ model, account: start, onGranted }) {
    const [subject, setSubject] = useState('account');
    const [account, setAccount] = useState(start);
    const [group, setGroup] = useState(null);
    useEffect(() => {
        setAccount(start);
        if (start) setSubject('account');
    }, [start && start.id]);
    const roles = model.roles.filter((r) => r.id !== 'member');
    const [role, setRole] = useState(roles.length ? roles[0].id : '');
    const [scope, setScope] = useState('tenant');
    const [dept, setDept] = useState(null);
    const [scopeGroup, setScopeGroup] = useState(null);
    const [run, busy, error] = useAction();
    const picked = roles.find((r) => r.id === role);
    const canDept = picked ? departmental(picked, model.perms) : false;
    useEffect(() => { if (!canDept) setScope('tenant'); }, [canDept]);
    const labels = {
        account_id: t('assign.account'), group_id: t('assign.group'), role: t('assign.role'), scope: t('assign.scope'),
        department_id: t('assign.department'), scope_group_id: t('assign.scope_group'),
    };
    const toGroup = subject === 'group';
    const submit = () => run(refined(toGroup ? 'grant_group' : 'grant', async () => {
        const body = { role, scope };
        if (toGroup) {
            if (!group) throw new ApiError(0, 'field_missing', '', 'group_id');
            body.group_id = group.id;
        } else {
            if (!account) throw new ApiError(0, 'field_missing', '', 'account_id');
            body.account_id = account.id;
        }
        if (scope === 'department') {
            if (!dept) throw new ApiError(0, 'field_missing', '', 'department_id');
            body.department_id = dept.id;
        } else if (scope === 'group') {
            if (!scopeGroup) throw new ApiError(0, 'field_missing', '', 'scope_group_id');
            body.scope_group_id = scopeGroup.id;
        }
        const a = await post('/access/assignments', body);
        setDept(null);
        setScopeGroup(null);
        onGranted(a);
    }));
    const fe = (n) => fieldError(error, n, labels);
    return html`<section class="panel" aria-labelledby="grant-title" data-testid="grant">
        <h2 id="grant-title">${t('assign.grant_title')}</h2>
        <${ErrorBox} error=${error} labels=${labels} testid="grant-error" />
        <${Form} onSubmit=${submit} busy=${busy} testid="grant-form" label=${t('assign.grant_title')}>
            <fieldset class="choice" data-testid="grant-subject">
                <legend>${t('assign.subject')}</legend>
                <div class="field check option"><input type="radio" id="grant-subject-account" name="grant-subject"
                    value="account" data-testid="grant-subject-account" checked=${!toGroup}
                    onChange=${() => setSubject('account')} />
                    <label for="grant-subject-account">${t('assign.subject_account')}</label></div>
                <div class="field check option"><input type="radio" id="grant-subject-group" name="grant-subject"
                    value="group" data-testid="grant-subject-group" checked=${toGroup}
                    onChange=${() => setSubject('group')} />
                    <label for="grant-subject-group">${t('assign.subject_group')}</label></div>
            </fieldset>
            ${toGroup ? html`<${SearchPick} id="grant-group" testid="grant-group" label=${labels.group_id}
                hint=${t('assign.group_hint')} error=${fe('group_id')} chosen=${group ? [group] : []}
                search=${findGroups} onChoose=${setGroup} onRemove=${() => setGroup(null)} />`
            : html`<${SearchPick} id="grant-account" testid="grant-account" label=${labels.account_id}
                hint=${t('assign.account_hint')} error=${fe('account_id')} chosen=${account ? [account] : []}
                search=${findAccounts} onChoose=${setAccount} onRemove=${() => setAccount(null)} />`}
            <${Select} id="grant-role" label=${labels.role} value=${role} onChange=${setRole}
                options=${roles.map((r) => [r.id, roleText(r)])} />
            ${fe('role') && html`<p class="field-error" data-testid="grant-role-error">${fe('role')}</p>`}
            <${Select} id="grant-scope" label=${labels.scope} value=${scope} onChange=${setScope}
                options=${canDept ? [['tenant', t('assign.scope_tenant')], ['department', t('assign.scope_department')],
                    ['group', t('assign.scope_group_option')]] : [['tenant', t('assign.scope_tenant')]]} />
            <p class="hint" data-testid="grant-scope-hint">${canDept ? t('assign.scope_hint') : t('assign.scope_tenant_only')}</p>
            ${fe('scope') && html`<p class="field-error" data-testid="grant-scope-error">${fe('scope')}</p>`}
            ${scope === 'department' && html`<${SearchPick} id="grant-dept" testid="grant-dept" label=${labels.department_id}
                hint=${t('assign.department_hint')} error=${fe('department_id')} chosen=${dept ? [dept] : []}
                search=${findDepartments} onChoose=${setDept} onRemove=${() => setDept(null)} />`}
            ${scope === 'group' && html`<${SearchPick} id="grant-scope-group" testid="grant-scope-group"
                label=${labels.scope_group_id} hint=${t('assign.scope_group_hint')} error=${fe('scope_group_id')}
                chosen=${scopeGroup ? [scopeGroup] : []} search=${findGroups} onChoose=${setScopeGroup}
                onRemove=${() => setScopeGroup(null)} />`}
            <button type="submit" class="primary" data-testid="grant-submit">${t('assign.grant')}</button>
        <//>
    </section>`;
}

/** "the whole organisation", "Sales" or a group for an assignment's scope. */
function ScopeText({ a }) {
    if (a.scope === 'tenant') return html`<span data-testid="assign-scope" data-scope="tenant">${t('assign.scope_tenant')}</span>`;
    if (a.scope === 'group') {
        return html`<span data-testid="assign-scope" data-scope="group" data-id=${a.scope_group_id}>
            ${t('assign.scope_group_prefix')} <a href=${href(`/directory/groups/${seg(a.scope_group_id)}`)}>${a.scope_group_name || a.scope_group_id}</a></span>`;
    }
    return html`<span data-testid="assign-scope" data-scope="department" data-id=${a.department_id}>
        ${t('assign.scope_dept_prefix')} <a href=${href('/directory', { dept: a.department_id })}>${a.department_name || a.department_id}</a></span>`;
}

export function Assignments({ query = {} }) {
    const { me } = useMe();
    const accountId = (query.account || '').trim();
    const acct = useAccount(accountId);
    const m = useModel();
    const p = usePages((cursor) => get('/access/assignments', { query: { account: accountId, cursor, limit: PAGE } }), [accountId]);
    const items = (p.page && Array.isArray(p.page.items)) ? p.page.items : [];
    const [run, busy, error] = useAction();
    const [note, setNote] = useState('');
    const canManage = may(me, 'access.manage');
    const canUsers = may(me, 'users.read');
    const who = (a) => (a.group_id ? t('assign.group_named', { name: a.group_name || a.group_id }) : a.username || a.account_id);
    const where = (a) => (a.scope === 'tenant' ? t('assign.scope_tenant')
        : a.scope === 'group' ? t('assign.group_named', { name: a.scope_group_name || a.scope_group_id })
            : (a.department_name || a.department_id));
    const revoke = (a) => run(refined('revoke', async () => {
        setNote('');
        await del(`/access/assignments/${seg(a.id)}`);
        setNote(t('assign.revoked', { role: assignedRoleText(a), user: who(a), where: where(a) }));
        await p.reload();
    }));
    const granted = async (a) => {
        setNote(t('assign.granted', { role: assignedRoleText(a), user: who(a), where: where(a) }));
        await p.reload();
    };
    const chosen = acct.data ? [acct.data] : accountId ? [{ id: accountId, name: accountId, hint: '' }] : [];
    const labels = { account: t('assign.filter_account') };
    return html`<${Page} title=${t('nav.assignments')} testid="page-assignments"
        actions=${html`<a href=${href(ROLES)} data-testid="assign-roles-link">${t('nav.roles')}</a>`}>
        <p class="hint">${t('assign.intro')}</p>
        <section class="panel" aria-labelledby="assign-filter-title" data-testid="assign-filter">
            <h2 id="assign-filter-title">${t('assign.filter_title')}</h2>
            ${canUsers ? html`<${SearchPick} id="assign-account" testid="assign-account" label=${labels.account}
                hint=${t('assign.filter_hint')} chosen=${chosen} search=${findAccounts}
                error=${fieldError(p.error, 'account', labels)}
                onChoose=${(u) => navigate(ASSIGNMENTS, { account: u.id }, { replace: true })}
                onRemove=${() => navigate(ASSIGNMENTS, {}, { replace: true })} />`
            : accountId && html`<p>${t('assign.only_account', { user: accountId })}
                <a href=${href(ASSIGNMENTS)} data-testid="assign-clear">${t('assign.clear')}</a></p>`}
        </section>
        <${Notice} text=${note} testid="assign-notice" />
        <${ErrorBox} error=${p.error} labels=${labels} testid="assign-list-error" />
        <${ErrorBox} error=${error} testid="assign-revoke-error" />
        ${items.length === 0 ? html`<${Empty} loading=${p.loading}
            text=${accountId ? t('assign.none_account') : t('assign.none')} />`
        : html`<div class="table-wrap"><table class="list" data-testid="assign-table" aria-busy=${p.loading ? 'true' : undefined}>
            <caption class="sr-only">${t('assign.caption')}</caption>
            <thead><tr>
                <th scope="col">${t('assign.holder')}</th><th scope="col">${t('assign.role')}</th>
                <th scope="col">${t('assign.scope')}</th><th scope="col">${t('assign.since')}</th>
                ${canManage && html`<th scope="col"><span class="sr-only">${t('assign.actions')}</span></th>`}
            </tr></thead>
            <tbody>${items.map((a) => html`<tr data-testid="assign-row" data-id=${a.id} data-account=${a.account_id || ''}
                data-group=${a.group_id || ''} data-role=${a.role} data-scope=${a.scope} data-department=${a.department_id || ''}
                data-scope-group=${a.scope_group_id || ''}>
                <th scope="row">${a.group_id ? html`<a href=${href(`/directory/groups/${seg(a.group_id)}`)}
                    data-testid="assign-group">${who(a)}</a>`
                : canUsers ? html`<a href=${href(`/admin/users/${seg(a.account_id)}`)}>${who(a)}</a>` : who(a)}</th>
                <td>${assignedRoleText(a)}</td>
                <td><${ScopeText} a=${a} /></td>
                <td><${Time} value=${a.created_at} /></td>
                ${canManage && html`<td><${ConfirmButton} label=${t('assign.revoke')} busy=${busy}
                    name=${`${assignedRoleText(a)}, ${who(a)}, ${where(a)}`}
                    question=${t('assign.revoke_q', { role: assignedRoleText(a), user: who(a), where: where(a) })}
                    testid="assign-revoke" onConfirm=${() => revoke(a)} /></td>`}
            </tr>`)}</tbody>
        </table></div>`}
        <${Pager} p=${p} testid="assign-pager" />
        <${ErrorBox} error=${m.error} testid="assign-model-error" />
        ${canManage && m.data && html`<${Grant} model=${m.data} account=${acct.data} onGranted=${granted} />`}
    <//>`;
}
