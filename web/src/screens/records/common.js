// What the records screens share (issue 12, part 6; DATA-1, DATA-3, DATA-6):
// the four types and their paths, a type's schema (GET
// /records/{type}/schema: its fields, levels and the caller's access), the
// labels of fields, a value shown as the API answered it (a confidential one
// masked, a secret one absent), and the inputs of a record's form, one per
// field type. The server decides every request; these only show and offer.
import { ApiError, get, seg } from '../../api.js';
import { fmtNumber, t } from '../../i18n.js';
import { SearchPick } from '../../pick.js';
import { href } from '../../router.js';
import { html, Field, Select, fieldError, useLoad } from '../../ui.js';

/** The types, in the navigation's order: API name → console path. */
export const TYPES = [
    { type: 'customer', path: 'customers' },
    { type: 'contact', path: 'contacts' },
    { type: 'opportunity', path: 'opportunities' },
    { type: 'activity', path: 'activities' },
];

export const SCREEN = '/records';
export const api = (type) => `/records/${seg(type)}`;
export const pathOf = (type) => `${SCREEN}/${(TYPES.find((x) => x.type === type) || TYPES[0]).path}`;
export const listHref = (type, params) => href(pathOf(type), params);
export const recordHref = (type, id) => href(`${pathOf(type)}/${seg(id)}`);

/** The field that names a record (an activity has a subject). */
export const titleField = (type) => (type === 'activity' ? 'subject' : 'name');

/** A record's name as a link text. */
export const titleOf = (rec) => (rec && rec.fields && (rec.fields[titleField(rec.type)] || rec.id)) || '';

/** The schema of @p type: useLoad's {data, error, loading, reload}. */
export const useSchema = (type) => useLoad(() => get(`${api(type)}/schema`), [type]);

/** A field's label: a built-in one's in the reader's language, a custom one's as its creator named it. */
export const fieldLabel = (f) => (f.built_in ? t(`records.field.${f.name}`) : (f.label || f.name));

/** The labels of what the API may name in a record's errors (fields.<name>, …). */
export function labelsOf(schema) {
    const out = {
        q: t('records.q'), sort: t('records.sort'), department_id: t('records.department'),
        owner_id: t('records.owner'), version: t('records.version'), where: t('records.where'),
        parent_id: t('records.parent'), unmask: t('records.reveal'),
    };
    for (const f of (schema && schema.fields) || []) out[`fields.${f.name}`] = fieldLabel(f);
    return out;
}

/** "12,500.00" for the minor units "1250000" (whole digits), else the value as it is. */
export function fmtMoney(v) {
    if (typeof v !== 'string' || !/^\d+$/.test(v)) return v;
    const n = v.padStart(3, '0');
    const major = n.slice(0, -2).replace(/^0+(?=\d)/, '');
    return `${fmtNumber(Number(major))}.${n.slice(-2)}`;
}

/** Minor units from what a person types ("12,500.00" → "1250000"); otherwise as typed (the API refuses it on the field). */
export function toMinor(s) {
    const x = s.replace(/[\s,，_]/g, '');
    const m = /^(\d+)(?:\.(\d{0,2}))?$/.exec(x);
    if (!m) return s.trim();
    return `${m[1]}${(m[2] || '').padEnd(2, '0')}`.replace(/^0+(?=\d)/, '');
}

/** The form's text for a stored money value. */
export const fromMinor = (v) => (typeof v === 'string' && /^\d+$/.test(v)
    ? `${v.padStart(3, '0').slice(0, -2).replace(/^0+(?=\d)/, '')}.${v.padStart(3, '0').slice(-2)}` : (v || ''));

export const None = () => html`<span class="muted">${t('common.none')}</span>`;

/** The text of a choice's key: an activity's kind in words, a stage by its label. */
export function choiceText(f, key) {
    if (f.name === 'kind') return t(`records.kind_${key}`);
    const c = (f.choices || []).find((x) => x.key === key);
    return c ? c.label : key;
}

/**
 * One value as the API answered it: absent → "none"; named in `masked` →
 * the mask, marked so; a money amount in digits; a choice in words; a
 * customer reference as a link.
 */
export function Value({ f, rec }) {
    const v = rec.fields ? rec.fields[f.name] : undefined;
    if (v === undefined || v === null || v === '') return html`<${None} />`;
    if ((rec.masked || []).includes(f.name)) {
        return html`<span class="masked" data-testid=${`rec-value-${f.name}`} data-masked="true"
            aria-label=${t('records.masked_named', { value: v })}>${v}</span>`;
    }
    let text = v;
    if (f.type === 'money') text = fmtMoney(v);
    else if (f.type === 'choice') text = choiceText(f, v);
    if (f.name === 'customer_id') {
        return html`<a href=${recordHref('customer', v)} data-testid=${`rec-value-${f.name}`} data-masked="false"
            data-id=${v}>${t('records.open_customer')}</a>`;
    }
    return html`<span data-testid=${`rec-value-${f.name}`} data-masked="false">${text}</span>`;
}

/** Records of @p types whose name starts with @p q, as choices. */
export async function findRecords(types, q) {
    const pages = await Promise.all(types.map((type) => get(api(type), { query: { q, limit: 10, sort: 'name' } })
        .then((p) => (p.items || []).map((r) => ({
            id: r.id, name: titleOf(r), hint: types.length > 1 ? t(`records.type_${type}`) : '',
        })))));
    return pages.flat();
}

/** The fields a form offers: not a secret one the caller may not see. */
export const formFields = (schema) => (schema.fields || []).filter((f) => f.level !== 'secret' || schema.access.read_secret);

/** Whether @p f's value is hidden from this caller on record @p rec (masked, or secret and not shown). */
export const hiddenIn = (schema, f, rec) => Boolean(rec && ((rec.masked || []).includes(f.name)
    || (f.level === 'secret' && !schema.access.read_secret)));

/**
 * The input of one field. v: the form's value (a string, or {id, name} for
 * a reference); set(value). hidden: the current value is masked (typing
 * replaces it, nothing keeps it).
 */
export function FieldInput({ f, v, set, error, labels, hidden }) {
    const id = `rec-f-${f.name}`;
    const label = fieldLabel(f);
    const fe = fieldError(error, `fields.${f.name}`, labels);
    const parts = [];
    if (!f.required) parts.push(t('records.optional'));
    if (f.level === 'confidential') parts.push(t('records.level_hint_confidential'));
    if (f.level === 'secret') parts.push(t('records.level_hint_secret'));
    if (hidden) parts.push(t('records.hidden_keep'));
    if (f.type === 'money') parts.push(t('records.money_hint'));
    if (f.type === 'phone') parts.push(t('records.phone_hint'));
    if (f.type === 'currency') parts.push(t('records.currency_hint'));
    const hint = parts.join(' ');
    if (f.type === 'ref') {
        const types = f.name === 'customer_id' ? ['customer'] : ['customer', 'contact', 'opportunity'];
        return html`<${SearchPick} id=${id} testid=${id} label=${label} hint=${hint || undefined} error=${fe}
            chosen=${v ? [v] : []} search=${(q) => findRecords(types, q)} onChoose=${set} />`;
    }
    if (f.type === 'choice') {
        const opts = (f.choices || []).map((c) => [c.key, choiceText(f, c.key)]);
        return html`<div class="field">
            <${Select} id=${id} label=${label} value=${v} onChange=${set}
                options=${[['', t('records.choose')], ...opts]} />
            ${fe && html`<p id=${`${id}-error`} class="field-error" data-testid=${`${id}-error`}>${fe}</p>`}
        </div>`;
    }
    if (f.type === 'long_text') {
        const described = [hint ? `${id}-hint` : null, fe ? `${id}-error` : null].filter(Boolean).join(' ');
        return html`<${Field} id=${id} label=${label} error=${fe} hint=${hint || undefined}>
            <textarea id=${id} data-testid=${id} rows="4" value=${v} onInput=${(e) => set(e.currentTarget.value)}
                aria-invalid=${fe ? 'true' : undefined} aria-describedby=${described || undefined}></textarea>
        <//>`;
    }
    const type = { email: 'email', phone: 'tel', date: 'date', integer: 'text' }[f.type] || 'text';
    return html`<${Field} id=${id} type=${type} label=${label} value=${v} onInput=${set} error=${fe}
        hint=${hint || undefined} autocomplete="off" spellcheck="false"
        inputmode=${f.type === 'money' ? 'decimal' : f.type === 'integer' ? 'numeric' : undefined} />`;
}

/** The form's starting values for @p rec (empty for a new record); masked and secret hidden ones empty. */
export function valuesOf(schema, rec) {
    const out = {};
    for (const f of formFields(schema)) {
        const v = rec && rec.fields ? rec.fields[f.name] : undefined;
        if (v === undefined || hiddenIn(schema, f, rec)) out[f.name] = f.type === 'ref' ? null : '';
        else if (f.type === 'ref') out[f.name] = { id: v, name: v, hint: '' };
        else if (f.type === 'money') out[f.name] = fromMinor(v);
        else out[f.name] = v;
    }
    return out;
}

/** A value of the form as the API takes it. */
export function wire(f, v) {
    if (f.type === 'ref') return v ? v.id : '';
    if (f.type === 'money') return v.trim() === '' ? '' : toMinor(v);
    return f.type === 'long_text' ? v : v.trim();
}

/**
 * A refusal in its own words where one code stands for several rules: 409
 * "conflict" on a delete (records under it), a restore (its customer in
 * the bin) or a purge (records under it).
 */
export function recode(e, code) {
    return e instanceof ApiError ? Object.assign(new ApiError(e.status, code, e.message, e.field, e.retryAt),
        { details: e.details }) : e;
}
