// Groups (issue 11, part 9; DIR-2, DIR-3): named sets of employees,
// departments (alone or with their subtree) and other groups. The list
// (a name search and cursor pages, in the URL), a group's page (its owner,
// its direct members with their kinds, and "everyone in it": every employee
// however deeply, paged), a group made, changed and deleted, and members
// added (chosen by name) and removed. Who may change a group is the API's
// answer (may_manage: its owner, or directory.manage over it); the API also
// refuses a privileged group's membership (it, or a group it is in, holds a
// role or may see a hidden department) to anyone without access.manage, and
// a group with a role given to or over it cannot be deleted. The refusals
// that share the code "conflict" get their own sentence here, each shown on
// the field the API names.
import { useEffect, useState } from 'preact/hooks';

import { ApiError, del, get, patch, post, seg } from '../../api.js';
import { fmtNumber, t } from '../../i18n.js';
import { SearchPick, findDepartments, findEmployees, findGroups } from '../../pick.js';
import { href, navigate } from '../../router.js';
import { may } from '../../routes.js';
import { useMe } from '../../session.js';
import {
    html, ConfirmButton, Empty, ErrorBox, Field, Form, Notice, Page, Pager, Select, Time, fieldError, useAction,
    useLoad, usePages,
} from '../../ui.js';

const BASE = '/directory/groups';
const SCREEN = '/directory/groups';
const PAGE = 50;
const ALL = 200; // a page when every member is asked for
const NESTING = 8; // SV_GROUP_NESTING_MAX

export const groupHref = (id) => href(`${SCREEN}/${seg(id)}`);
const empHref = (id) => href(`/directory/employees/${seg(id)}`);
const deptHref = (id) => href('/directory', { dept: id });

/** The labels of the fields the API may name. */
function labelsOf() {
    return {
        name: t('groups.name'), description: t('groups.description'), owner_id: t('groups.owner'),
        q: t('groups.q'), id: t('groups.member'), kind: t('groups.member_kind'), subtree: t('groups.subtree'),
    };
}

/** @p e with the code @p code (so its own sentence), the rest kept. */
const recode = (e, code) => new ApiError(e.status, code, e.message, e.field, e.retryAt);

/**
 * A refused create or change: 409 "conflict" on the name is a name taken
 * (capitals folded); without a field, the tenant's groups are at their cap.
 */
function refineChange(e) {
    if (!(e instanceof ApiError) || e.status !== 409 || e.code !== 'conflict') return e;
    return recode(e, e.field === 'name' ? 'group_name_taken' : 'group_limit');
}

/** Every direct member of group @p id. */
async function allMembers(id) {
    const out = [];
    let cursor = null;
    for (let i = 0; i < 60; i++) {
        const page = await get(`${BASE}/${seg(id)}/members`, { query: { cursor, limit: ALL } });
        out.push(...(page.items || []));
        cursor = page.next_cursor;
        if (!cursor) break;
    }
    return out;
}

/** Whether group @p outer holds group @p inner, however deeply. */
async function holds(outer, inner) {
    const seen = new Set([outer]);
    let level = [outer];
    for (let depth = 0; depth <= NESTING && level.length; depth++) {
        const next = [];
        for (const g of level) {
            for (const m of await allMembers(g)) {
                if (m.kind !== 'group') continue;
                if (m.id === inner) return true;
                if (!seen.has(m.id)) {
                    seen.add(m.id);
                    next.push(m.id);
                }
            }
        }
        level = next;
    }
    return false;
}

/**
 * A refused membership change, in words. 403 from someone the API lets
 * manage the group: the group is privileged. 409 "conflict" on "id" is one
 * of four rules the API does not tell apart (a cycle, a member already,
 * nesting deeper than 8 levels, 10,000 members): the console asks which.
 */
async function refineMember(e, group, kind, memberId) {
    if (!(e instanceof ApiError)) return e;
    if (e.status === 403 && e.code === 'forbidden') return recode(e, 'group_privileged');
    if (e.status !== 409 || e.code !== 'conflict') return e;
    try {
        if (kind === 'group' && (memberId === group || await holds(memberId, group))) return recode(e, 'group_cycle');
        if ((await allMembers(group)).some((m) => m.id === memberId)) return recode(e, 'group_member_exists');
    } catch (x) {
        if (x && x.name === 'AbortError') throw x;
        /* the diagnosis is a courtesy: the general sentence below */
    }
    return recode(e, kind === 'group' ? 'group_too_deep' : 'group_full');
}

const None = () => html`<span class="muted">${t('common.none')}</span>`;

/* ---- the list ---- */

/** A new group: name, description and (optionally) its owner, an employee. */
function CreateGroup() {
    const [name, setName] = useState('');
    const [description, setDescription] = useState('');
    const [owner, setOwner] = useState(null);
    const [run, busy, error] = useAction();
    const labels = labelsOf();
    const submit = () => run(async () => {
        const body = { name: name.trim() };
        if (description.trim()) body.description = description.trim();
        if (owner) body.owner_id = owner.id;
        let g;
        try {
            g = await post(BASE, body);
        } catch (e) {
            throw refineChange(e);
        }
        navigate(`${SCREEN}/${g.id}`);
    });
    const fe = (n) => fieldError(error, n, labels);
    return html`<section class="panel" aria-labelledby="group-create-title" data-testid="group-create">
        <h2 id="group-create-title">${t('groups.create_title')}</h2>
        <${ErrorBox} error=${error} labels=${labels} testid="group-create-error" />
        <${Form} onSubmit=${submit} busy=${busy} testid="group-create-form" label=${t('groups.create_title')}>
            <${Field} id="group-new-name" label=${labels.name} value=${name} onInput=${setName} autocomplete="off"
                required hint=${t('groups.name_hint')} error=${fe('name')} />
            <${Field} id="group-new-description" label=${labels.description} value=${description}
                onInput=${setDescription} autocomplete="off" hint=${t('groups.description_hint')} error=${fe('description')} />
            <${SearchPick} id="group-new-owner" testid="group-new-owner" label=${labels.owner_id}
                hint=${t('groups.owner_new_hint')} error=${fe('owner_id')} chosen=${owner ? [owner] : []}
                search=${findEmployees} onChoose=${setOwner} onRemove=${() => setOwner(null)} />
            <button type="submit" class="primary" data-testid="group-new-submit">${t('groups.create')}</button>
        <//>
    </section>`;
}

export function Groups({ query = {} }) {
    const { me } = useMe();
    const q = (query.q || '').trim();
    const [typed, setTyped] = useState(q);
    useEffect(() => setTyped(q), [q]);
    const p = usePages((cursor) => get(BASE, { query: { q, cursor, limit: PAGE } }), [q]);
    const items = (p.page && Array.isArray(p.page.items)) ? p.page.items : [];
    const labels = labelsOf();
    return html`<${Page} title=${t('nav.groups')} testid="page-groups">
        <p class="hint">${t('groups.intro')}</p>
        <section class="panel" aria-labelledby="group-search-title" data-testid="group-search">
            <h2 id="group-search-title">${t('groups.search')}</h2>
            <${Form} onSubmit=${() => navigate(SCREEN, { q: typed.trim() }, { replace: true })}
                testid="group-search-form" label=${t('groups.search')}>
                <div class="filters">
                    <${Field} id="group-q" type="search" label=${labels.q} value=${typed} onInput=${setTyped}
                        autocomplete="off" spellcheck="false" error=${fieldError(p.error, 'q', labels)} />
                    <button type="submit" class="secondary" data-testid="group-q-submit">${t('common.search')}</button>
                    ${q && html`<a href=${href(SCREEN)} data-testid="group-q-clear">${t('groups.clear')}</a>`}
                </div>
            <//>
        </section>
        <${ErrorBox} error=${p.error} labels=${labels} testid="group-list-error" />
        ${items.length === 0 ? html`<${Empty} loading=${p.loading} text=${q ? t('groups.none_found', { q }) : t('groups.none')} />`
        : html`<div class="table-wrap"><table class="list" data-testid="group-table" aria-busy=${p.loading ? 'true' : undefined}>
            <caption class="sr-only">${q ? t('groups.caption_found', { q }) : t('groups.caption')}</caption>
            <thead><tr>
                <th scope="col">${labels.name}</th><th scope="col">${labels.description}</th>
                <th scope="col">${t('groups.updated')}</th>
            </tr></thead>
            <tbody>${items.map((g) => html`<tr data-testid="group-row" data-id=${g.id} data-name=${g.name}>
                <th scope="row"><a href=${groupHref(g.id)} data-testid="group-link">${g.name}</a></th>
                <td>${g.description || html`<${None} />`}</td>
                <td><${Time} value=${g.updated_at} /></td>
            </tr>`)}</tbody>
        </table></div>`}
        <${Pager} p=${p} testid="group-pager" />
        ${may(me, 'directory.manage') && html`<${CreateGroup} />`}
    <//>`;
}

/* ---- one group ---- */

/** A member's kind in words ("department and everything under it"). */
function kindText(m) {
    if (m.kind === 'department') return m.subtree ? t('groups.kind_subtree') : t('groups.kind_department');
    return t(`groups.kind_${m.kind}`);
}

function memberHref(m) {
    if (m.kind === 'employee') return empHref(m.id);
    if (m.kind === 'department') return deptHref(m.id);
    return groupHref(m.id);
}

/** The form that adds a member: its kind, then the employee, department or group found by name. */
function AddMember({ g, onStart, onAdded }) {
    const [kind, setKind] = useState('employee');
    const [chosen, setChosen] = useState(null);
    const [subtree, setSubtree] = useState(false);
    const [run, busy, error, setError] = useAction();
    useEffect(() => { setChosen(null); setError(null); }, [kind]);
    const labels = { ...labelsOf(), id: t(`groups.pick_${kind}`) };
    const search = kind === 'employee' ? findEmployees : kind === 'department' ? findDepartments : findGroups;
    const submit = () => run(async () => {
        onStart();
        if (!chosen) throw new ApiError(0, 'field_missing', '', 'id');
        const body = { kind, id: chosen.id };
        if (kind === 'department') body.subtree = subtree;
        try {
            await post(`${BASE}/${seg(g.id)}/members`, body);
        } catch (e) {
            throw await refineMember(e, g.id, kind, chosen.id);
        }
        const text = kind === 'department' && subtree ? t('groups.added_subtree', { name: chosen.name })
            : t('groups.added', { name: chosen.name });
        setChosen(null);
        await onAdded(text);
    });
    const fe = (n) => fieldError(error, n, labels);
    return html`<div data-testid="member-add">
        <h3 id="member-add-title">${t('groups.add_title')}</h3>
        <${ErrorBox} error=${error} labels=${labels} testid="member-add-error" />
        <${Form} onSubmit=${submit} busy=${busy} testid="member-add-form" label=${t('groups.add_title')}>
            <${Select} id="member-kind" label=${labels.kind} value=${kind} onChange=${setKind}
                options=${[['employee', t('groups.kind_employee')], ['department', t('groups.kind_department')],
                    ['group', t('groups.kind_group')]]} />
            ${fe('kind') && html`<p class="field-error" data-testid="member-kind-error">${fe('kind')}</p>`}
            <${SearchPick} key=${kind} id="member-pick" testid="member-pick" label=${labels.id}
                hint=${t(`groups.pick_${kind}_hint`)} error=${fe('id')} chosen=${chosen ? [chosen] : []}
                exclude=${kind === 'group' ? [g.id] : []} search=${search}
                onChoose=${setChosen} onRemove=${() => setChosen(null)} />
            ${kind === 'department' && html`<div class="field check">
                <input type="checkbox" id="member-subtree" data-testid="member-subtree" checked=${subtree}
                    aria-describedby="member-subtree-hint" onChange=${(e) => setSubtree(e.currentTarget.checked)} />
                <label for="member-subtree">${labels.subtree}</label>
                <p id="member-subtree-hint" class="hint">${t('groups.subtree_hint')}</p>
                ${fe('subtree') && html`<p class="field-error" data-testid="member-subtree-error">${fe('subtree')}</p>`}
            </div>`}
            <button type="submit" class="primary" data-testid="member-add-submit">${t('groups.add')}</button>
        <//>
    </div>`;
}

/** The direct members, removable by those who may change the group. */
function DirectMembers({ g, onChanged }) {
    const p = usePages((cursor) => get(`${BASE}/${seg(g.id)}/members`, { query: { cursor, limit: PAGE } }), [g.id]);
    const items = (p.page && Array.isArray(p.page.items)) ? p.page.items : [];
    const [run, busy, error] = useAction();
    const [note, setNote] = useState('');
    const remove = (m) => run(async () => {
        setNote('');
        try {
            await del(`${BASE}/${seg(g.id)}/members/${seg(m.id)}`);
        } catch (e) {
            throw await refineMember(e, g.id, m.kind, m.id);
        }
        await p.reload();
        await onChanged();
        setNote(t('groups.removed', { name: m.name }));
    });
    const added = async (text) => {
        await p.reload();
        await onChanged();
        setNote(text);
    };
    return html`<div data-testid="members-direct">
        <${Notice} text=${note} testid="member-notice" />
        <${ErrorBox} error=${p.error} testid="members-error" />
        <${ErrorBox} error=${error} testid="member-remove-error" />
        ${items.length === 0 ? html`<${Empty} loading=${p.loading} text=${t('groups.no_members')} />`
        : html`<div class="table-wrap"><table class="list" data-testid="member-table" aria-busy=${p.loading ? 'true' : undefined}>
            <caption class="sr-only">${t('groups.members_caption', { name: g.name })}</caption>
            <thead><tr>
                <th scope="col">${t('groups.member_name')}</th><th scope="col">${t('groups.member_kind')}</th>
                <th scope="col">${t('groups.member_since')}</th>
                ${g.may_manage && html`<th scope="col"><span class="sr-only">${t('groups.actions')}</span></th>`}
            </tr></thead>
            <tbody>${items.map((m) => html`<tr data-testid="member-row" data-id=${m.id} data-kind=${m.kind}
                data-name=${m.name} data-subtree=${m.subtree ? 'true' : 'false'}>
                <th scope="row"><a href=${memberHref(m)} data-testid="member-link">${m.name}</a></th>
                <td><span class="tag" data-testid="member-kind-text">${kindText(m)}</span></td>
                <td><${Time} value=${m.added_at} /></td>
                ${g.may_manage && html`<td><${ConfirmButton} label=${t('groups.remove')} name=${m.name} busy=${busy}
                    question=${t('groups.remove_q', { name: m.name, group: g.name })} testid="member-remove"
                    onConfirm=${() => remove(m)} /></td>`}
            </tr>`)}</tbody>
        </table></div>`}
        <${Pager} p=${p} testid="member-pager" />
        ${g.may_manage && html`<${AddMember} g=${g} onStart=${() => setNote('')} onAdded=${added} />`}
    </div>`;
}

/** A page of the expansion with each employee's department's name. */
async function withDepartments(page) {
    if (!page || !Array.isArray(page.items)) return page;
    const ids = [...new Set(page.items.map((e) => e.department_id).filter(Boolean))];
    const names = new Map(await Promise.all(ids.map(async (id) => {
        try {
            return [id, (await get(`/directory/departments/${seg(id)}`)).name];
        } catch (e) {
            if (e && e.name === 'AbortError') throw e;
            return [id, null];
        }
    })));
    return { ...page, items: page.items.map((e) => ({ ...e, department_name: names.get(e.department_id) || null })) };
}

/** Everyone in the group however deeply, as the viewer may see them (DIR-3). */
function Everyone({ g }) {
    const p = usePages((cursor) => get(`${BASE}/${seg(g.id)}/members`, {
        query: { expand: 'true', cursor, limit: PAGE },
    }).then(withDepartments), [g.id, g.updated_at, g.members]);
    const items = (p.page && Array.isArray(p.page.items)) ? p.page.items : [];
    return html`<div data-testid="members-all">
        <p class="hint">${t('groups.everyone_hint')}</p>
        <${ErrorBox} error=${p.error} testid="everyone-error" />
        ${items.length === 0 ? html`<${Empty} loading=${p.loading} text=${t('groups.no_one')} />`
        : html`<div class="table-wrap"><table class="list" data-testid="everyone-table" aria-busy=${p.loading ? 'true' : undefined}>
            <caption class="sr-only">${t('groups.everyone_caption', { name: g.name })}</caption>
            <thead><tr>
                <th scope="col">${t('employees.display_name')}</th><th scope="col">${t('employees.title')}</th>
                <th scope="col">${t('employees.department')}</th><th scope="col">${t('employees.state')}</th>
            </tr></thead>
            <tbody>${items.map((e) => html`<tr data-testid="everyone-row" data-id=${e.id} data-name=${e.display_name}>
                <th scope="row"><a href=${empHref(e.id)} data-testid="everyone-link">${e.display_name}</a></th>
                <td>${e.title || html`<${None} />`}</td>
                <td>${e.department_id ? html`<a href=${deptHref(e.department_id)}>${e.department_name || t('groups.a_department')}</a>`
                    : html`<${None} />`}</td>
                <td><span class=${e.state === 'active' ? 'tag good' : 'tag bad'} data-state=${e.state}>
                    ${t(`employees.state_${e.state}`)}</span></td>
            </tr>`)}</tbody>
        </table></div>`}
        <${Pager} p=${p} testid="everyone-pager" />
    </div>`;
}

/** Name, description and owner: only what differs is sent. */
function EditGroup({ g, onSaved }) {
    const [name, setName] = useState(g.name);
    const [description, setDescription] = useState(g.description || '');
    const [owner, setOwner] = useState(g.owner_id ? { id: g.owner_id, name: g.owner_name || g.owner_id, hint: '' } : null);
    const [run, busy, error] = useAction();
    const [note, setNote] = useState('');
    const labels = labelsOf();
    const save = () => run(async () => {
        setNote('');
        const body = {};
        if (name.trim() !== g.name) body.name = name.trim();
        if (description.trim() !== (g.description || '')) body.description = description.trim();
        const to = owner ? owner.id : null;
        if (to !== (g.owner_id || null)) body.owner_id = to;
        if (Object.keys(body).length === 0) {
            setNote(t('groups.unchanged'));
            return;
        }
        let now;
        try {
            now = await patch(`${BASE}/${seg(g.id)}`, body);
        } catch (e) {
            throw refineChange(e);
        }
        await onSaved(t('groups.saved', { name: now.name }));
    });
    const fe = (n) => fieldError(error, n, labels);
    return html`<div data-testid="group-edit">
        <h3 id="group-edit-title">${t('groups.edit_title')}</h3>
        <${Notice} text=${note} testid="group-edit-notice" />
        <${ErrorBox} error=${error} labels=${labels} testid="group-edit-error" />
        <${Form} onSubmit=${save} busy=${busy} testid="group-edit-form" label=${t('groups.edit_title')}>
            <${Field} id="group-name" label=${labels.name} value=${name} onInput=${setName} autocomplete="off" required
                hint=${t('groups.name_hint')} error=${fe('name')} />
            <${Field} id="group-description" label=${labels.description} value=${description} onInput=${setDescription}
                autocomplete="off" hint=${t('groups.description_hint')} error=${fe('description')} />
            <${SearchPick} id="group-owner" testid="group-owner" label=${labels.owner_id} hint=${t('groups.owner_hint')}
                error=${fe('owner_id')} chosen=${owner ? [owner] : []} search=${findEmployees}
                onChoose=${setOwner} onRemove=${() => setOwner(null)} />
            <button type="submit" class="primary" data-testid="group-edit-submit">${t('common.save')}</button>
        <//>
    </div>`;
}

function DeleteGroup({ g }) {
    const [run, busy, error] = useAction();
    const remove = () => run(async () => {
        try {
            await del(`${BASE}/${seg(g.id)}`);
        } catch (e) {
            if (e instanceof ApiError && e.status === 409 && e.code === 'conflict') throw recode(e, 'group_in_use');
            if (e instanceof ApiError && e.status === 403 && e.code === 'forbidden') throw recode(e, 'group_privileged_delete');
            throw e;
        }
        // The deleted group's page leaves the history: Back must not lead to a 404.
        navigate(SCREEN, null, { replace: true });
    });
    return html`<div data-testid="group-delete-panel">
        <h3 id="group-delete-title">${t('groups.delete_title')}</h3>
        <p class="hint">${t('groups.delete_hint')}</p>
        <${ErrorBox} error=${error} testid="group-delete-error" />
        <p class="row"><${ConfirmButton} label=${t('groups.delete')} name=${g.name} busy=${busy}
            question=${t('groups.delete_q', { name: g.name })} testid="group-delete" onConfirm=${remove} /></p>
    </div>`;
}

export function GroupDetail({ params, query = {} }) {
    const id = params.id;
    const all = query.view === 'all';
    const grp = useLoad(() => get(`${BASE}/${seg(id)}`), [id]);
    const [note, setNote] = useState('');
    const g = grp.data;
    const saved = async (text) => {
        await grp.reload();
        setNote(text); // with the group as saved
        const h = document.getElementById('page-title');
        if (h) h.focus();
    };
    const title = g ? g.name : grp.error ? t('groups.title_one') : t('groups.loading');
    const tab = (on, to, text, testid) => html`<a href=${to} data-testid=${testid}
        aria-current=${on ? 'page' : undefined} class=${on ? 'tab current' : 'tab'}>${text}</a>`;
    return html`<${Page} title=${title} testid="page-group"
        actions=${html`<a href=${href(SCREEN)} data-testid="group-back">${t('groups.back')}</a>`}>
        <${Notice} text=${note} testid="group-notice" />
        <${ErrorBox} error=${grp.error} testid="group-error" />
        ${!g && !grp.error && html`<${Empty} loading=${true} />`}
        ${g && html`<section class="panel" aria-labelledby="group-props-title" data-testid="group-props" data-id=${g.id}
            data-may-manage=${g.may_manage ? 'true' : 'false'} data-owner=${g.owner_id || ''}>
            <h2 id="group-props-title">${t('groups.about')}</h2>
            <dl class="props">
                <dt>${t('groups.description')}</dt><dd data-testid="group-prop-description">${g.description || html`<${None} />`}</dd>
                <dt>${t('groups.owner')}</dt><dd data-testid="group-prop-owner">${g.owner_id
                    ? html`<a href=${empHref(g.owner_id)}>${g.owner_name || g.owner_id}</a>` : html`<${None} />`}</dd>
                <dt>${t('groups.direct_count')}</dt><dd data-testid="group-prop-members" data-count=${g.members}>
                    ${fmtNumber(g.members)}</dd>
                <dt>${t('groups.created')}</dt><dd><${Time} value=${g.created_at} /></dd>
                <dt>${t('groups.updated')}</dt><dd><${Time} value=${g.updated_at} /></dd>
            </dl>
            <p class="hint" data-testid="group-who-changes">${g.may_manage ? t('groups.yours') : t('groups.not_yours')}</p>
        </section>
        <section class="panel" aria-labelledby="group-members-title" data-testid="group-members"
            data-view=${all ? 'all' : 'direct'}>
            <h2 id="group-members-title">${all ? t('groups.everyone') : t('groups.direct')}</h2>
            <nav class="row" aria-label=${t('groups.views')}>
                ${tab(!all, groupHref(g.id), t('groups.direct'), 'group-view-direct')}
                ${tab(all, href(`${SCREEN}/${seg(g.id)}`, { view: 'all' }), t('groups.everyone'), 'group-view-all')}
            </nav>
            ${all ? html`<${Everyone} g=${g} />` : html`<${DirectMembers} g=${g} onChanged=${grp.reload} />`}
        </section>
        ${g.may_manage && html`<section class="panel" aria-labelledby="group-change-title" data-testid="group-change">
            <h2 id="group-change-title">${t('groups.change', { name: g.name })}</h2>
            <p class="hint">${t('groups.privileged_hint')}</p>
            <${EditGroup} key=${g.updated_at} g=${g} onSaved=${saved} />
            <${DeleteGroup} g=${g} />
        </section>`}`}
    <//>`;
}
