// Custom fields (issue 12, part 6; DATA-1): a type's fields as its schema
// lists them (built-in and custom, each with its type and level: what the
// level means for who sees the value), and for a holder of
// records.configure a new field (POST /records/{type}/fields: name, label,
// type, level, required, indexed, max), each refusal shown on the field the
// API names. New fields appear at once in the type's forms and lists.
import { useState } from 'preact/hooks';

import { post } from '../../api.js';
import { fmtNumber, t } from '../../i18n.js';
import { href, navigate } from '../../router.js';
import { may } from '../../routes.js';
import { useMe } from '../../session.js';
import { html, Empty, ErrorBox, Field, Form, Notice, Page, Select, fieldError, useAction } from '../../ui.js';
import { TYPES, fieldLabel, listHref, recode, useSchema } from './common.js';

const SCREEN = '/records/fields';
const FIELD_TYPES = ['text', 'long_text', 'email', 'phone', 'date', 'money', 'integer', 'currency'];
const LEVELS = ['public', 'internal', 'confidential', 'secret'];

function labelsOf() {
    return {
        name: t('records.cf_name'), label: t('records.cf_label'), type: t('records.cf_type'),
        level: t('records.cf_level'), required: t('records.cf_required'), indexed: t('records.cf_indexed'),
        max: t('records.cf_max'),
    };
}

function Check({ id, label, checked, onChange, hint, error }) {
    return html`<div class="field check">
        <input type="checkbox" id=${id} data-testid=${id} checked=${checked}
            aria-describedby=${[hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined}
            onChange=${(e) => onChange(e.currentTarget.checked)} />
        <label for=${id}>${label}</label>
        ${hint && html`<p id=${`${id}-hint`} class="hint">${hint}</p>`}
        ${error && html`<p id=${`${id}-error`} class="field-error" data-testid=${`${id}-error`}>${error}</p>`}
    </div>`;
}

function NewField({ type, onAdded }) {
    const empty = { name: '', label: '', type: 'text', level: 'internal', required: false, indexed: false, max: '' };
    const [v, setV] = useState(empty);
    const [run, busy, error] = useAction();
    const [note, setNote] = useState('');
    const set = (k) => (x) => setV((o) => ({ ...o, [k]: x }));
    const labels = labelsOf();
    const submit = () => run(async () => {
        setNote('');
        const body = { name: v.name.trim(), type: v.type, level: v.level, required: v.required, indexed: v.indexed };
        if (v.label.trim()) body.label = v.label.trim();
        if (v.max.trim()) body.max = /^\d+$/.test(v.max.trim()) ? Number(v.max.trim()) : v.max.trim();
        let f;
        try {
            f = await post(`/records/${type}/fields`, body);
        } catch (e) {
            throw e.code === 'conflict' ? recode(e, e.field === 'name' ? 'records_field_taken' : 'records_field_limit') : e;
        }
        setV(empty);
        setNote(t('records.cf_added', { name: fieldLabel(f) }));
        onAdded();
    });
    const fe = (n) => fieldError(error, n, labels);
    return html`<section class="panel" aria-labelledby="cf-new-title" data-testid="cf-new">
        <h2 id="cf-new-title">${t('records.cf_new')}</h2>
        <${Notice} text=${note} testid="cf-added" />
        <${ErrorBox} error=${error} labels=${labels} testid="cf-error" />
        <${Form} onSubmit=${submit} busy=${busy} testid="cf-form" label=${t('records.cf_new')}>
            <${Field} id="cf-name" label=${labels.name} value=${v.name} onInput=${set('name')} autocomplete="off"
                spellcheck="false" required hint=${t('records.cf_name_hint')} error=${fe('name')} />
            <${Field} id="cf-label" label=${labels.label} value=${v.label} onInput=${set('label')} autocomplete="off"
                hint=${t('records.optional')} error=${fe('label')} />
            <${Select} id="cf-type" label=${labels.type} value=${v.type} onChange=${set('type')}
                options=${FIELD_TYPES.map((x) => [x, t(`records.ftype_${x}`)])} />
            ${fe('type') && html`<p class="field-error" data-testid="cf-type-error">${fe('type')}</p>`}
            <${Select} id="cf-level" label=${labels.level} value=${v.level} onChange=${set('level')}
                options=${LEVELS.map((x) => [x, t(`records.level_${x}`)])} />
            <p class="hint" id="cf-level-hint">${t(`records.level_about_${v.level}`)}</p>
            ${fe('level') && html`<p class="field-error" data-testid="cf-level-error">${fe('level')}</p>`}
            <${Check} id="cf-required" label=${labels.required} checked=${v.required} onChange=${set('required')}
                error=${fe('required')} />
            <${Check} id="cf-indexed" label=${labels.indexed} checked=${v.indexed} onChange=${set('indexed')}
                hint=${t('records.cf_indexed_hint')} error=${fe('indexed')} />
            <${Field} id="cf-max" label=${labels.max} value=${v.max} onInput=${set('max')} autocomplete="off"
                inputmode="numeric" hint=${t('records.cf_max_hint')} error=${fe('max')} />
            <button type="submit" class="primary" data-testid="cf-submit">${t('records.cf_add')}</button>
        <//>
    </section>`;
}

export function CustomFields({ query = {} }) {
    const { me } = useMe();
    const type = TYPES.some((x) => x.type === query.type) ? query.type : 'customer';
    const schema = useSchema(type);
    const s = schema.data;
    const yes = t('common.yes');
    return html`<${Page} title=${t('nav.records_fields')} testid="page-record-fields">
        <p class="hint">${t('records.cf_intro')}</p>
        <nav class="row" aria-label=${t('records.cf_types')} data-testid="cf-types">
            ${TYPES.map((x) => html`<a class="tab" href=${href(SCREEN, { type: x.type })} data-testid=${`cf-type-${x.type}`}
                aria-current=${x.type === type ? 'page' : undefined}
                onClick=${(e) => { e.preventDefault(); navigate(SCREEN, { type: x.type }, { replace: true }); }}>
                ${t(`records.type_${x.type}_many`)}</a>`)}
        </nav>
        <${ErrorBox} error=${schema.error} testid="cf-load-error" />
        ${!s ? html`<${Empty} loading=${schema.loading} text="" />`
        : html`<section class="panel" aria-labelledby="cf-list-title">
            <h2 id="cf-list-title">${t('records.cf_list', { what: t(`records.type_${type}_many`) })}</h2>
            <div class="table-wrap"><table class="list" data-testid="cf-table" aria-busy=${schema.loading ? 'true' : undefined}>
                <thead><tr>
                    <th scope="col">${t('records.cf_label')}</th><th scope="col">${t('records.cf_name')}</th>
                    <th scope="col">${t('records.cf_type')}</th><th scope="col">${t('records.cf_level')}</th>
                    <th scope="col">${t('records.cf_required')}</th><th scope="col">${t('records.cf_indexed')}</th>
                    <th scope="col">${t('records.cf_max')}</th><th scope="col">${t('records.cf_origin')}</th>
                </tr></thead>
                <tbody>${s.fields.map((f) => html`<tr data-testid="cf-row" data-name=${f.name} data-level=${f.level}
                    data-type=${f.type} data-built-in=${f.built_in ? 'true' : 'false'}>
                    <th scope="row">${fieldLabel(f)}</th>
                    <td><code>${f.name}</code></td>
                    <td>${t(`records.ftype_${f.type}`)}</td>
                    <td><span class="tag" data-testid="cf-row-level">${t(`records.level_${f.level}`)}</span></td>
                    <td>${f.required ? yes : ''}</td>
                    <td>${f.indexed ? yes : ''}</td>
                    <td>${f.max ? fmtNumber(f.max) : ''}</td>
                    <td>${f.built_in ? t('records.cf_built_in') : t('records.cf_custom')}</td>
                </tr>`)}</tbody>
            </table></div>
            <p class="below"><a href=${listHref(type)}>${t('records.cf_open_list', { what: t(`records.type_${type}_many`) })}</a></p>
        </section>`}
        ${may(me, 'records.configure') && html`<${NewField} key=${type} type=${type} onAdded=${schema.reload} />`}
    <//>`;
}
