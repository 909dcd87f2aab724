// A type's records (issue 12, part 6; DATA-1, DATA-6): the list (a name
// search, a sort, a customer's records, and the page's cursor: all in the
// URL, so a page can be reloaded and shared), its export, a new record's
// form (its fields from the schema, a department chosen by name) and the
// caller's recycle bin (restore, purge for good). Columns are the schema's
// fields a list shows (never a secret one; a confidential one masked as
// the API answers it).
import { useEffect, useState } from 'preact/hooks';

import { call, get, post, seg } from '../../api.js';
import { t } from '../../i18n.js';
import { SearchPick, findDepartments } from '../../pick.js';
import { href, navigate } from '../../router.js';
import {
    html, ConfirmButton, Empty, ErrorBox, Field, Form, Notice, Page, Select, Time, fieldError, useAction, useLoad,
} from '../../ui.js';
import {
    FieldInput, Value, api, formFields, labelsOf, listHref, pathOf, recode, recordHref, titleField, titleOf,
    useSchema, valuesOf, wire,
} from './common.js';
import { ExportButton } from './export.js';

const PAGE = 50;
const FILTERS = ['q', 'sort', 'parent_id'];

/** The list's filters of the URL (those the API knows). */
function filtersOf(query) {
    const f = {};
    for (const k of FILTERS) if ((query[k] || '').trim()) f[k] = query[k].trim();
    return f;
}

// The cursor before each cursor seen (the "Previous" of a page whose cursor
// is in the URL; after a reload it leads back to the first page).
const before = new Map();

/**
 * Cursor pages whose cursor is the URL's (`cursor`): {page, error, loading,
 * next, prev, hasPrev, hasNext, index, reload}, as ui.js's usePages.
 */
function useUrlPages(path, params, load) {
    const cursor = params.cursor || null;
    const key = JSON.stringify(params);
    const res = useLoad(() => load(cursor), [key]);
    const page = res.data;
    const go = (c) => navigate(path, { ...params, cursor: c || '' });
    let index = 0;
    for (let c = cursor; c && index < 1000; c = before.get(c)) index++;
    return {
        ...res,
        page,
        index,
        hasPrev: !!cursor,
        hasNext: !!(page && page.next_cursor),
        next: () => {
            if (!page || !page.next_cursor) return;
            before.set(page.next_cursor, cursor);
            go(page.next_cursor);
        },
        prev: () => go(before.get(cursor) || null),
    };
}

/** The columns of a list: the title first, then every field a list shows. */
const columnsOf = (schema) => {
    const title = titleField(schema.type);
    const fields = (schema.fields || []).filter((f) => f.level !== 'secret' && f.type !== 'long_text');
    return [...fields.filter((f) => f.name === title), ...fields.filter((f) => f.name !== title)];
};

/** The table of a page of records (a list's or the bin's); @p actions: a cell per record. */
function RecordTable({ schema, items, loading, caption, testid, actions }) {
    const cols = columnsOf(schema);
    return html`<div class="table-wrap"><table class="list" data-testid=${testid} aria-busy=${loading ? 'true' : undefined}>
        <caption class="sr-only">${caption}</caption>
        <thead><tr>
            ${cols.map((f) => html`<th scope="col">${f.built_in ? t(`records.field.${f.name}`) : (f.label || f.name)}</th>`)}
            <th scope="col">${actions ? t('records.deleted') : t('records.updated')}</th>
            ${actions && html`<th scope="col">${t('records.actions')}</th>`}
        </tr></thead>
        <tbody>${items.map((r) => html`<tr data-testid="rec-row" data-id=${r.id} data-name=${titleOf(r)}>
            ${cols.map((f, i) => (i === 0
                ? html`<th scope="row">${actions ? titleOf(r)
                    : html`<a href=${recordHref(schema.type, r.id)} data-testid="rec-link">${titleOf(r)}</a>`}</th>`
                : html`<td data-field=${f.name}><${Value} f=${f} rec=${r} /></td>`))}
            <td><${Time} value=${actions ? r.deleted_at : r.updated_at} /></td>
            ${actions && html`<td>${actions(r)}</td>`}
        </tr>`)}</tbody>
    </table></div>`;
}

/** The pager of a list whose cursor is in the URL. */
function UrlPager({ p, testid = 'rec-pager' }) {
    return html`<nav class="pager" aria-label=${t('common.pages')} data-testid=${testid}>
        <button type="button" class="secondary" data-testid=${`${testid}-prev`} disabled=${!p.hasPrev || p.loading}
            onClick=${p.prev}>${t('common.prev')}</button>
        <span class="muted" data-testid=${`${testid}-n`}>${t('common.page_n', { n: p.index + 1 })}</span>
        <button type="button" class="secondary" data-testid=${`${testid}-next`} disabled=${!p.hasNext || p.loading}
            onClick=${p.next}>${t('common.next')}</button>
    </nav>`;
}

/** The links between a type's list, its bin and a new record. */
function Tabs({ type, current, access }) {
    const tab = (key, to, text) => html`<a class="tab" href=${to} data-testid=${`rec-tab-${key}`}
        aria-current=${current === key ? 'page' : undefined}>${text}</a>`;
    return html`<nav class="row" aria-label=${t(`records.type_${type}_many`)} data-testid="rec-tabs">
        ${tab('list', listHref(type), t('records.tab_list'))}
        ${access && access.write !== 'none' && tab('new', href(`${pathOf(type)}/new`), t('records.new'))}
        ${access && access.write !== 'none' && tab('bin', href(`${pathOf(type)}/bin`), t('records.bin'))}
    </nav>`;
}

export function RecordList({ type, query = {} }) {
    const schema = useSchema(type);
    const f = filtersOf(query);
    const params = { ...f, cursor: query.cursor || '' };
    const [typed, setTyped] = useState(f.q || '');
    useEffect(() => setTyped(f.q || ''), [f.q]);
    const p = useUrlPages(pathOf(type), params, (cursor) => get(api(type), { query: { ...f, cursor, limit: PAGE } }));
    const items = (p.page && Array.isArray(p.page.items)) ? p.page.items : [];
    const s = schema.data;
    const labels = labelsOf(s);
    const filtered = Boolean(f.q || f.parent_id);
    const exportFilters = {};
    for (const k of ['q', 'parent_id']) if (f[k]) exportFilters[k] = f[k];
    const search = () => navigate(pathOf(type), { ...f, q: typed.trim(), cursor: '' }, { replace: true });
    return html`<${Page} title=${t(`records.type_${type}_many`)} testid="page-records"
        actions=${s && html`<${Tabs} type=${type} current="list" access=${s.access} />`}>
        <${ErrorBox} error=${schema.error} testid="rec-schema-error" />
        <section class="panel" aria-labelledby="rec-filters-title" data-testid="rec-filters">
            <h2 id="rec-filters-title">${t('records.filters')}</h2>
            <${Form} onSubmit=${search} testid="rec-search" label=${t('records.search')}>
                <div class="filters">
                    <${Field} id="rec-q" type="search" label=${labels.q} value=${typed} onInput=${setTyped}
                        autocomplete="off" spellcheck="false" error=${fieldError(p.error, 'q', labels)} />
                    <button type="submit" class="secondary" data-testid="rec-q-submit">${t('common.search')}</button>
                    <${Select} id="rec-sort" label=${labels.sort} value=${f.sort || 'name'}
                        onChange=${(v) => navigate(pathOf(type), { ...f, sort: v === 'name' ? '' : v, cursor: '' }, { replace: true })}
                        options=${[['name', t('records.sort_name')], ['-updated_at', t('records.sort_updated')]]} />
                </div>
            <//>
            ${f.parent_id && html`<p data-testid="rec-parent-filter">${t('records.of_parent')}${' '}
                ${type === 'activity' ? html`<code>${f.parent_id}</code>`
                : html`<a href=${recordHref('customer', f.parent_id)}>${t('records.open_customer')}</a>`}</p>`}
            ${filtered && html`<p><a href=${listHref(type)} data-testid="rec-clear">${t('records.clear')}</a></p>`}
        </section>
        ${s && html`<section class="panel" aria-labelledby="rec-export-title">
            <h2 id="rec-export-title">${t('records.export_title')}</h2>
            <${ExportButton} key=${JSON.stringify(exportFilters)} type=${type} filters=${exportFilters} />
        </section>`}
        <${ErrorBox} error=${p.error} labels=${labels} testid="rec-list-error" />
        ${!s || items.length === 0
        ? html`<${Empty} loading=${p.loading || schema.loading} text=${filtered ? t('records.none_found') : t('records.none')} />`
        : html`<${RecordTable} schema=${s} items=${items} loading=${p.loading} testid="rec-table"
            caption=${filtered ? t('records.caption_filtered') : t(`records.type_${type}_many`)} />`}
        <${UrlPager} p=${p} />
    <//>`;
}

/* ---- a new record ---- */

function NewForm({ schema, query }) {
    const fields = formFields(schema);
    const [v, setV] = useState(() => valuesOf(schema, null));
    const [dept, setDept] = useState(null);
    const [run, busy, error] = useAction();
    const labels = labelsOf(schema);
    // A contact or an opportunity made from its customer's page starts with it.
    useEffect(() => {
        const parent = (query.parent_id || '').trim();
        if (!parent || !fields.some((f) => f.name === 'customer_id')) return;
        get(`${api('customer')}/${seg(parent)}`)
            .then((c) => setV((o) => (o.customer_id ? o : { ...o, customer_id: { id: c.id, name: titleOf(c), hint: '' } })))
            .catch(() => {});
    }, []);
    const submit = () => run(async () => {
        const body = { fields: {} };
        for (const f of fields) {
            const x = wire(f, v[f.name]);
            if (x !== '') body.fields[f.name] = x;
        }
        if (dept) body.department_id = dept.id;
        const rec = await post(api(schema.type), body);
        navigate(`${pathOf(schema.type)}/${rec.id}`);
    });
    return html`<section class="panel" aria-labelledby="rec-new-title">
        <h2 id="rec-new-title">${t(`records.new_${schema.type}`)}</h2>
        <${ErrorBox} error=${error} labels=${labels} testid="rec-new-error" />
        <${Form} onSubmit=${submit} busy=${busy} testid="rec-new-form" label=${t(`records.new_${schema.type}`)}>
            ${fields.map((f) => html`<${FieldInput} key=${f.name} f=${f} v=${v[f.name]} labels=${labels} error=${error}
                set=${(x) => setV((o) => ({ ...o, [f.name]: x }))} />`)}
            <${SearchPick} id="rec-department" testid="rec-department" label=${labels.department_id}
                hint=${t('records.department_hint')} error=${fieldError(error, 'department_id', labels)}
                chosen=${dept ? [dept] : []} search=${findDepartments} onChoose=${setDept} onRemove=${() => setDept(null)} />
            <button type="submit" class="primary" data-testid="rec-new-submit">${t('records.create')}</button>
        <//>
    </section>`;
}

export function NewRecord({ type, query = {} }) {
    const schema = useSchema(type);
    const s = schema.data;
    return html`<${Page} title=${t(`records.new_${type}`)} testid="page-record-new"
        actions=${s && html`<${Tabs} type=${type} current="new" access=${s.access} />`}>
        <${ErrorBox} error=${schema.error} testid="rec-schema-error" />
        ${!s && !schema.error && html`<${Empty} loading=${true} />`}
        ${s && (s.access.write === 'none'
        ? html`<p class="msg msg-error" role="alert" data-testid="rec-no-write">${t('records.no_write')}</p>`
        : html`<${NewForm} schema=${s} query=${query} />`)}
    <//>`;
}

/* ---- the recycle bin ---- */

function BinActions({ type, r, onDone }) {
    const [run, busy, error] = useAction();
    const name = titleOf(r);
    const restore = () => run(async () => {
        try {
            await call('POST', `${api(type)}/${seg(r.id)}/restore`);
        } catch (e) {
            throw e.code === 'conflict' ? recode(e, 'records_restore_conflict') : e;
        }
        onDone(t('records.restored', { name }));
    });
    const purge = () => run(async () => {
        try {
            await call('POST', `${api(type)}/${seg(r.id)}/purge`);
        } catch (e) {
            throw e.code === 'conflict' ? recode(e, 'records_purge_conflict') : e;
        }
        onDone(t('records.purged', { name }));
    });
    return html`<span class="row">
        <button type="button" class="secondary" data-testid="rec-restore" disabled=${busy}
            aria-label=${t('records.restore_named', { name })} onClick=${restore}>${t('records.restore')}</button>
        <${ConfirmButton} label=${t('records.purge')} question=${t('records.purge_q', { name })} name=${name}
            testid="rec-purge" busy=${busy} onConfirm=${purge} />
        <${ErrorBox} error=${error} testid="rec-bin-error" />
    </span>`;
}

export function RecordBin({ type, query = {} }) {
    const schema = useSchema(type);
    const params = { cursor: query.cursor || '' };
    const p = useUrlPages(`${pathOf(type)}/bin`, params, (cursor) => get(`${api(type)}/bin`, { query: { cursor, limit: PAGE } }));
    const [note, setNote] = useState('');
    const items = (p.page && Array.isArray(p.page.items)) ? p.page.items : [];
    const s = schema.data;
    const done = (text) => { setNote(text); p.reload(); };
    return html`<${Page} title=${t('records.bin_title', { what: t(`records.type_${type}_many`) })} testid="page-records-bin"
        actions=${s && html`<${Tabs} type=${type} current="bin" access=${s.access} />`}>
        <p class="hint">${t('records.bin_intro')}</p>
        <${Notice} text=${note} testid="rec-bin-notice" />
        <${ErrorBox} error=${schema.error || p.error} testid="rec-list-error" />
        ${!s || items.length === 0 ? html`<${Empty} loading=${p.loading || schema.loading} text=${t('records.bin_empty')} />`
        : html`<${RecordTable} schema=${s} items=${items} loading=${p.loading} testid="rec-bin-table"
            caption=${t('records.bin')} actions=${(r) => html`<${BinActions} key=${r.id} type=${type} r=${r} onDone=${done} />`} />`}
        <${UrlPager} p=${p} testid="rec-bin-pager" />
    <//>`;
}
