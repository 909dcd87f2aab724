// Departments (DIR-2): the tree one level at a time, for every account. The
// place is the URL (#/directory?dept=<id>, the roots without it; ?q= a search
// over the whole tree), so every department can be bookmarked and reloaded.
// At a department: its path as a breadcrumb, its children (paged), and for
// those who may change it (directory.manage over it: a tenant admin, or a
// department admin inside their subtree) a form to add a child, rename, move
// (the new parent found by name), delete, and hide it from all but the
// groups and roles named (DIR-3: for everyone else the department, its
// subtree and its people do not exist).
import { useEffect, useState } from 'preact/hooks';

import { ApiError, del, get, patch, post, put, seg } from '../../api.js';
import { has, t } from '../../i18n.js';
import { SearchPick, findGroups } from '../../pick.js';
import { href, navigate } from '../../router.js';
import { may, mayIn } from '../../routes.js';
import { useMe } from '../../session.js';
import {
    html, ConfirmButton, Empty, ErrorBox, Field, Form, Notice, Page, Pager, fieldError, useAction, useLoad, usePages,
} from '../../ui.js';

const BASE = '/directory/departments';
const SCREEN = '/directory';
const MANAGE = 'directory.manage';

/** The ids the permission model asks about for @p dept: itself and its ancestors. */
const placeOf = (dept) => (dept ? [dept.id, ...(dept.path || []).map((p) => p.id)] : []);
const PAGE = 50; // children per page
const FOUND = 20; // search results per page (each one's path is asked for)
const PICK = 10; // move targets shown

/** The link to a department (the roots for none), with an optional search kept. */
const deptHref = (id, q) => href(SCREEN, { dept: id || '', q: q || '' });

/**
 * The API answers every refusal of the tree with one code, 409 "conflict";
 * its field says which rule: "name" (a sibling has the name), "parent_id"
 * (into its own subtree, or deeper than 32 levels) and none (a delete of a
 * department with children). The console gives each its own sentence.
 */
function refine(e) {
    if (!(e instanceof ApiError) || e.status !== 409 || e.code !== 'conflict') return e;
    const code = e.field === 'name' ? 'department_name_taken'
        : e.field === 'parent_id' ? 'department_misplaced' : 'department_has_children';
    return new ApiError(e.status, code, e.message, e.field, e.retryAt);
}

/** Run @p fn, rethrowing a tree refusal with its own code (see refine). */
const refined = (fn) => async () => {
    try {
        return await fn();
    } catch (e) {
        throw refine(e);
    }
};

/** "Head office / Sales" for a path of {id, name} (the top level for none). */
function pathText(path) {
    if (!path || path.length === 0) return t('directory.top');
    return path.map((p) => p.name).join(t('directory.sep'));
}

/** Where a department with ancestors @p path is: "in Head office / Sales", "at the top level". */
function whereText(path) {
    return path && path.length ? t('directory.in', { where: pathText(path) }) : t('directory.at_top');
}

/**
 * One page of departments with the path of each (list items carry only
 * parent_id, and two departments may share a name under different parents).
 */
async function withPaths(page) {
    if (!page || !Array.isArray(page.items)) return page;
    const items = await Promise.all(page.items.map(async (d) => {
        try {
            const full = await get(`${BASE}/${seg(d.id)}`);
            return { ...d, path: full.path };
        } catch (e) {
            if (e && e.name === 'AbortError') throw e;
            return { ...d, path: null }; // gone meanwhile: its name alone
        }
    }));
    return { ...page, items };
}

function Crumbs({ dept }) {
    return html`<nav class="crumbs" aria-label=${t('directory.breadcrumb')} data-testid="dept-crumbs">
        <ol>
            ${dept ? html`<li><a href=${deptHref()} data-testid="dept-crumb" data-id="">${t('directory.top')}</a></li>`
            : html`<li><span aria-current="page" data-testid="dept-crumb-current">${t('directory.top')}</span></li>`}
            ${dept && (dept.path || []).map((p) => html`<li><a href=${deptHref(p.id)} data-testid="dept-crumb"
                data-id=${p.id}>${p.name}</a></li>`)}
            ${dept && html`<li><span aria-current="page" data-testid="dept-crumb-current" data-id=${dept.id}>${dept.name}</span></li>`}
        </ol>
    </nav>`;
}

/** The search over the whole tree; the text is in the URL (?q=). */
function Search({ dept, q }) {
    const [typed, setTyped] = useState(q);
    useEffect(() => setTyped(q), [q]);
    const p = usePages((cursor) => (q ? get(BASE, { query: { q, cursor, limit: FOUND } }).then(withPaths)
        : Promise.resolve(null)), [q]);
    const items = (p.page && Array.isArray(p.page.items)) ? p.page.items : [];
    const labels = { q: t('directory.search_label') };
    return html`<section class="panel" aria-labelledby="dept-search-title" data-testid="dept-search">
        <h2 id="dept-search-title">${t('directory.search')}</h2>
        <${Form} onSubmit=${() => navigate(SCREEN, { dept, q: typed.trim() }, { replace: true })}
            testid="dept-search-form" label=${t('directory.search')}>
            <div class="filters">
                <${Field} id="dept-q" type="search" label=${labels.q} value=${typed} onInput=${setTyped}
                    autocomplete="off" spellcheck="false" error=${fieldError(p.error, 'q', labels)} />
                <button type="submit" class="secondary" data-testid="dept-q-submit">${t('common.search')}</button>
                ${q && html`<a href=${deptHref(dept)} data-testid="dept-q-clear">${t('directory.clear')}</a>`}
            </div>
        <//>
        ${q && html`
            <${ErrorBox} error=${p.error} labels=${labels} testid="dept-search-error" />
            ${items.length === 0 ? html`<${Empty} loading=${p.loading} text=${t('directory.none_found', { q })} />`
            : html`<ul class="dept-list" data-testid="dept-results" aria-label=${t('directory.results', { q })}
                aria-busy=${p.loading ? 'true' : undefined}>
                ${items.map((d) => html`<li data-testid="dept-result" data-id=${d.id} data-name=${d.name}>
                    <a href=${deptHref(d.id, q)} data-testid="dept-result-link">${d.name}</a>
                    ${d.path && html` <span class="hint" data-testid="dept-result-where">${whereText(d.path)}</span>`}
                </li>`)}
            </ul>`}
            ${(p.hasPrev || p.hasNext) && html`<${Pager} p=${p} testid="dept-results-pager" />`}`}
    </section>`;
}

/** The children of @p dept (the roots for null), and the form to add one. */
function Children({ dept, onNote }) {
    const { me } = useMe();
    const id = dept ? dept.id : '';
    const canAdd = mayIn(me, MANAGE, placeOf(dept));
    const p = usePages((cursor) => get(BASE, { query: { parent: id, cursor, limit: PAGE } }), [id]);
    const items = (p.page && Array.isArray(p.page.items)) ? p.page.items : [];
    const [name, setName] = useState('');
    const [run, busy, error] = useAction();
    const labels = { name: t('directory.name'), parent_id: t('directory.parent') };
    const add = () => run(refined(async () => {
        onNote('');
        const body = { name: name.trim() };
        if (id) body.parent_id = id;
        const d = await post(BASE, body);
        setName('');
        onNote(t('directory.added', { name: d.name }));
        await p.reload();
    }));
    const title = dept ? t('directory.children_of', { name: dept.name }) : t('directory.children_top');
    const addTitle = dept ? t('directory.add_under', { name: dept.name }) : t('directory.add_top');
    return html`<section class="panel" aria-labelledby="dept-children-title" data-testid="dept-children">
        <h2 id="dept-children-title">${title}</h2>
        <${ErrorBox} error=${p.error} testid="dept-children-error" />
        ${items.length === 0 ? html`<${Empty} loading=${p.loading}
            text=${dept ? t('directory.no_children', { name: dept.name }) : t('directory.no_children_top')} />`
        : html`<ul class="dept-list" data-testid="dept-child-list" aria-label=${title}
            aria-busy=${p.loading ? 'true' : undefined}>
            ${items.map((d) => html`<li data-testid="dept-child" data-id=${d.id} data-name=${d.name}>
                <a href=${deptHref(d.id)} data-testid="dept-child-link">${d.name}</a>
            </li>`)}
        </ul>`}
        ${(p.hasPrev || p.hasNext) && html`<${Pager} p=${p} testid="dept-children-pager" />`}
        ${canAdd && html`<h3 id="dept-add-title">${addTitle}</h3>
        <${ErrorBox} error=${error} labels=${labels} testid="dept-create-error" />
        <${Form} onSubmit=${add} busy=${busy} testid="dept-create-form" label=${addTitle}>
            <${Field} id="dept-new-name" label=${labels.name} value=${name} onInput=${setName}
                autocomplete="off" hint=${t('directory.name_hint')} required
                error=${fieldError(error, 'name', labels)} />
            <button type="submit" class="primary" data-testid="dept-new-submit">${t('directory.add')}</button>
        <//>`}
    </section>`;
}

function Rename({ dept, onDone }) {
    const [name, setName] = useState(dept.name);
    const [run, busy, error] = useAction();
    const labels = { name: t('directory.name') };
    const save = () => run(refined(async () => {
        const d = await patch(`${BASE}/${seg(dept.id)}`, { name: name.trim() });
        onDone(t('directory.renamed', { name: d.name }));
    }));
    return html`<div data-testid="dept-rename">
        <h3 id="dept-rename-title">${t('directory.rename_title')}</h3>
        <${ErrorBox} error=${error} labels=${labels} testid="dept-rename-error" />
        <${Form} onSubmit=${save} busy=${busy} testid="dept-rename-form" label=${t('directory.rename_title')}>
            <${Field} id="dept-name" label=${labels.name} value=${name} onInput=${setName}
                autocomplete="off" hint=${t('directory.name_hint')} required
                error=${fieldError(error, 'name', labels)} />
            <button type="submit" class="primary" data-testid="dept-rename-submit">${t('directory.rename')}</button>
        <//>
    </div>`;
}

/** Move: the new parent found by part of its name, or the top level. */
function Move({ dept, onDone }) {
    const { me } = useMe();
    const [typed, setTyped] = useState('');
    const [q, setQ] = useState('');
    const found = useLoad(() => (q ? get(BASE, { query: { q, limit: PICK + 2 } }).then(withPaths)
        : Promise.resolve(null)), [q]);
    const [run, busy, error] = useAction();
    const labels = { parent_id: t('directory.parent'), q: t('directory.move_find'), name: t('directory.name') };
    // Itself and its parent now are no choice (the server refuses the rest).
    const items = ((found.data && found.data.items) || [])
        .filter((d) => d.id !== dept.id && d.id !== dept.parent_id).slice(0, PICK);
    const parentNow = dept.path && dept.path.length ? dept.path[dept.path.length - 1] : null;
    const move = (to) => run(refined(async () => {
        await patch(`${BASE}/${seg(dept.id)}`, { parent_id: to ? to.id : null });
        setTyped('');
        setQ('');
        onDone(to ? t('directory.moved_under', { name: to.name }) : t('directory.moved_top'));
    }));
    // The same text again asks again (the tree may have changed meanwhile).
    const find = () => (typed.trim() === q ? found.reload() : setQ(typed.trim()));
    const fieldErr = fieldError(error, 'parent_id', labels) || fieldError(found.error, 'q', labels);
    return html`<div data-testid="dept-move">
        <h3 id="dept-move-title">${t('directory.move_title')}</h3>
        <p data-testid="dept-move-now">${t('directory.move_now', { where: whereText(dept.path) })}</p>
        <p class="hint">${t('directory.move_hint')}</p>
        <${ErrorBox} error=${error} labels=${labels} testid="dept-move-error" />
        <${ErrorBox} error=${found.error} labels=${labels} testid="dept-move-search-error" />
        <${Form} onSubmit=${find} testid="dept-move-form" label=${t('directory.move_title')}>
            <div class="filters">
                <${Field} id="dept-move-q" type="search" label=${labels.q} value=${typed} onInput=${setTyped}
                    autocomplete="off" spellcheck="false" error=${fieldErr} />
                <button type="submit" class="secondary" data-testid="dept-move-find">${t('directory.find')}</button>
            </div>
        <//>
        ${q && (items.length === 0 ? html`<${Empty} loading=${found.loading} text=${t('directory.move_none', { q })} />`
        : html`<ul class="dept-list" data-testid="dept-move-list" aria-label=${t('directory.move_choices', { q })}>
            ${items.map((d) => {
                const where = d.path ? [...d.path, { id: d.id, name: d.name }] : [{ id: d.id, name: d.name }];
                return html`<li><button type="button" class="secondary" data-testid="dept-move-to" data-id=${d.id}
                    data-name=${d.name} disabled=${busy} onClick=${() => move(d)}>
                    ${t('directory.move_under', { path: pathText(where) })}</button></li>`;
            })}
        </ul>`)}
        ${parentNow && mayIn(me, MANAGE, []) && html`<p><button type="button" class="secondary" data-testid="dept-move-root" disabled=${busy}
            onClick=${() => move(null)}>${t('directory.move_top')}</button></p>`}
    </div>`;
}

function Remove({ dept, onDeleted }) {
    const [run, busy, error] = useAction();
    const remove = () => run(refined(async () => {
        await del(`${BASE}/${seg(dept.id)}`);
        onDeleted();
    }));
    return html`<div data-testid="dept-delete-panel">
        <h3 id="dept-delete-title">${t('directory.delete_title')}</h3>
        <p class="hint">${t('directory.delete_hint')}</p>
        <${ErrorBox} error=${error} testid="dept-delete-error" />
        <p class="row"><${ConfirmButton} label=${t('directory.delete')} name=${dept.name}
            question=${t('directory.delete_q', { name: dept.name })} testid="dept-delete" busy=${busy}
            onConfirm=${remove} /></p>
    </div>`;
}

/** The built-in roles a hidden department may name (member: everyone holds it). */
const VIEWER_ROLES = ['tenant_admin', 'department_admin', 'auditor'];

/** A role viewer's name: a built-in one's in the reader's language, a custom one's as named. */
const roleName = (id, name) => (has(`role.${id}`) ? t(`role.${id}`) : name || id);

/**
 * Hidden or not, and who may see it while hidden: groups found by name, and
 * roles (the built-in ones, and the custom ones when the viewer may read
 * them). The whole of it is saved at once (PUT), as the API takes it.
 */
function VisibilityForm({ dept, start, customRoles, onSaved }) {
    const [hidden, setHidden] = useState(start.hidden);
    const [groups, setGroups] = useState(start.viewers.filter((v) => v.kind === 'group')
        .map((v) => ({ id: v.id, name: v.name, hint: '' })));
    const [roles, setRoles] = useState(start.viewers.filter((v) => v.kind === 'role').map((v) => v.id));
    const [run, busy, error] = useAction();
    const labels = { viewers: t('vis.viewers'), hidden: t('vis.hidden') };
    // Every role offered: the built-in ones, the custom ones readable, and any named already.
    const offered = [...VIEWER_ROLES.map((id) => ({ id, name: roleName(id) })),
        ...(customRoles || []).map((r) => ({ id: r.id, name: r.name }))];
    for (const v of start.viewers) {
        if (v.kind === 'role' && !offered.some((o) => o.id === v.id)) offered.push({ id: v.id, name: roleName(v.id, v.name) });
    }
    const save = () => run(async () => {
        const viewers = [...groups.map((g) => `group:${g.id}`), ...roles.map((r) => `role:${r}`)];
        let ans;
        try {
            ans = await put(`${BASE}/${seg(dept.id)}/visibility`, { hidden, viewers });
        } catch (e) {
            if (e instanceof ApiError && e.status === 409 && e.code === 'conflict') {
                throw new ApiError(e.status, 'too_many_hidden', e.message, e.field, e.retryAt);
            }
            throw e;
        }
        onSaved(ans);
    });
    const toggle = (id, on) => setRoles((rs) => (on ? [...rs, id] : rs.filter((x) => x !== id)));
    const viewersError = fieldError(error, 'viewers', labels);
    return html`<div>
        <${ErrorBox} error=${error} labels=${labels} testid="dept-vis-error" />
        <${Form} onSubmit=${save} busy=${busy} testid="dept-vis-form" label=${t('vis.title')}>
            <div class="field check">
                <input type="checkbox" id="dept-vis-hidden" data-testid="dept-vis-hidden" checked=${hidden}
                    aria-describedby="dept-vis-hidden-hint" onChange=${(e) => setHidden(e.currentTarget.checked)} />
                <label for="dept-vis-hidden">${t('vis.hide', { name: dept.name })}</label>
                <p id="dept-vis-hidden-hint" class="hint">${t('vis.hide_hint')}</p>
                ${fieldError(error, 'hidden', labels) && html`<p class="field-error" data-testid="dept-vis-hidden-error">
                    ${fieldError(error, 'hidden', labels)}</p>`}
            </div>
            <${SearchPick} id="dept-vis-group" testid="dept-vis-group" label=${t('vis.groups')} multiple=${true}
                hint=${t('vis.groups_hint')} error=${viewersError} chosen=${groups} search=${findGroups}
                onChoose=${(g) => setGroups((gs) => [...gs, g])}
                onRemove=${(g) => setGroups((gs) => gs.filter((x) => x.id !== g.id))} />
            <fieldset class="choice" data-testid="dept-vis-roles">
                <legend>${t('vis.roles')}</legend>
                <p class="hint">${t('vis.roles_hint')}</p>
                ${offered.map((r) => html`<div class="field check option">
                    <input type="checkbox" id=${`dept-vis-role-${r.id}`} data-testid="dept-vis-role" data-role=${r.id}
                        checked=${roles.includes(r.id)} onChange=${(e) => toggle(r.id, e.currentTarget.checked)} />
                    <label for=${`dept-vis-role-${r.id}`}>${r.name}</label>
                </div>`)}
            </fieldset>
            <button type="submit" class="primary" data-testid="dept-vis-submit">${t('common.save')}</button>
        <//>
    </div>`;
}

function Visibility({ dept }) {
    const { me } = useMe();
    const cur = useLoad(() => get(`${BASE}/${seg(dept.id)}/visibility`), [dept.id]);
    const custom = useLoad(() => (may(me, 'access.read')
        ? get('/access/roles').then((r) => (r.items || []).filter((x) => !x.builtin)).catch(() => [])
        : Promise.resolve([])), []);
    const [note, setNote] = useState('');
    const [saved, setSaved] = useState(null);
    const v = saved || cur.data;
    const onSaved = (ans) => {
        setSaved(ans);
        setNote(ans.hidden ? t('vis.saved_hidden', { name: dept.name }) : t('vis.saved_shown', { name: dept.name }));
    };
    return html`<div data-testid="dept-vis" data-hidden=${v ? (v.hidden ? 'true' : 'false') : ''}>
        <h3 id="dept-vis-title">${t('vis.title')}</h3>
        <${Notice} text=${note} testid="dept-vis-notice" />
        <${ErrorBox} error=${cur.error} testid="dept-vis-load-error" />
        ${!v && !cur.error && html`<${Empty} loading=${true} />`}
        ${v && html`<p data-testid="dept-vis-state">${v.hidden
            ? (v.viewers.length ? t('vis.now_hidden_named', {
                who: v.viewers.map((x) => (x.kind === 'role' ? roleName(x.id, x.name) : x.name)).join(t('vis.list_sep')),
            }) : t('vis.now_hidden'))
            : t('vis.now_shown')}</p>`}
        ${v && !custom.loading && html`<${VisibilityForm} key=${JSON.stringify(v)} dept=${dept} start=${v}
            customRoles=${custom.data} onSaved=${onSaved} />`}
    </div>`;
}

/** One place in the tree: keyed by the department, so its forms start afresh there. */
function Place({ id, q, note, setNote }) {
    const { me } = useMe();
    const cur = useLoad(() => (id ? get(`${BASE}/${seg(id)}`) : Promise.resolve(null)), [id]);
    const dept = cur.data;
    const canChange = mayIn(me, MANAGE, placeOf(dept));
    const ready = !id || !!dept;
    // After a rename or a move the form that was used is drawn afresh: the
    // focus goes to the heading (the new name; the notice is announced).
    const changed = async (text) => {
        setNote(id, text);
        await cur.reload();
        const h = document.getElementById('page-title');
        if (h) h.focus();
    };
    const deleted = () => {
        const parent = dept.parent_id || '';
        setNote(parent, t('directory.deleted', { name: dept.name }));
        // The deleted department's place leaves the history: Back must not lead to a 404.
        navigate(SCREEN, { dept: parent, q }, { replace: true });
    };
    const title = dept ? dept.name : (!id || cur.error) ? t('nav.directory') : t('directory.loading');
    return html`<${Page} title=${title} testid="page-directory">
        ${ready && html`<${Crumbs} dept=${dept} />`}
        <${Notice} text=${note} testid="dept-notice" />
        ${cur.error && html`<${ErrorBox} error=${cur.error} testid="dept-error" />
            <p><a href=${deptHref()} data-testid="dept-back-top">${t('directory.back_top')}</a></p>`}
        ${id && !dept && !cur.error && html`<${Empty} loading=${true} />`}
        ${ready && html`
            <${Children} key=${dept ? `${dept.id}` : '-'} dept=${dept} onNote=${(text) => setNote(id, text)} />
            ${dept && canChange && html`<section class="panel" aria-labelledby="dept-this-title" data-testid="dept-this"
                data-id=${dept.id} data-parent=${dept.parent_id || ''}>
                <h2 id="dept-this-title">${t('directory.this', { name: dept.name })}</h2>
                <${Rename} key=${`r-${dept.name}`} dept=${dept} onDone=${changed} />
                <${Move} key=${`m-${dept.parent_id || ''}`} dept=${dept} onDone=${changed} />
                <${Remove} dept=${dept} onDeleted=${deleted} />
                <${Visibility} dept=${dept} />
            </section>`}
            <${Search} dept=${id} q=${q} />`}
    <//>`;
}

export function Departments({ query = {} }) {
    const id = (query.dept || '').trim();
    const q = (query.q || '').trim();
    // The last confirmation, and the place it belongs to (a delete's lands at the parent).
    const [note, setNoteState] = useState({ at: id, text: '' });
    const setNote = (at, text) => setNoteState({ at, text });
    useEffect(() => setNoteState((n) => (n.at === id ? n : { at: id, text: '' })), [id]);
    return html`<${Place} key=${id || '-'} id=${id} q=${q} note=${note.at === id ? note.text : ''}
        setNote=${setNote} />`;
}
