// Anti-scraping limits (issue 12; DATA-4): the tenant's four records
// quotas, each per account (GET /records/quotas: the limits, the caller's
// own use today, the seconds until the UTC day ends), shown to every
// account with its use as a bar, and for a holder of records.configure
// their form (PUT /records/quotas: only the limits changed are sent; a
// value out of its bounds is 400 naming the field, shown there).
import { useState } from 'preact/hooks';

import { ApiError, get, put } from '../../api.js';
import { fmtNumber, fmtWait, t } from '../../i18n.js';
import { may } from '../../routes.js';
import { useMe } from '../../session.js';
import { html, Empty, ErrorBox, Field, Form, Notice, Page, fieldError, useAction, useLoad } from '../../ui.js';

/** The limits, in the API's order: the use today that each one counts, and its bounds (docs/openapi.yaml). */
export const LIMITS = [
    { key: 'reads_per_minute', used: null, min: 1, max: 100000000 },
    { key: 'reads_per_day', used: 'reads_today', min: 1, max: 100000000 },
    { key: 'unmasks_per_day', used: 'unmasks_today', min: 0, max: 1000000 },
    { key: 'export_rows_per_day', used: 'export_rows_today', min: 0, max: 100000000 },
];

const labelsOf = () => Object.fromEntries(LIMITS.map((l) => [l.key, t(`records.quota_${l.key}`)]));

/** The limits and the caller's use: a row per limit, with a bar of what is used of it today. */
function Usage({ q }) {
    return html`<div class="table-wrap"><table class="list" data-testid="quota-table">
        <caption class="sr-only">${t('records.quotas_caption')}</caption>
        <thead><tr>
            <th scope="col">${t('records.quota_limit')}</th>
            <th scope="col">${t('records.quota_allowed')}</th>
            <th scope="col">${t('records.quota_used')}</th>
            <th scope="col">${t('records.quota_share')}</th>
        </tr></thead>
        <tbody>${LIMITS.map((l) => {
            const limit = q.limits[l.key];
            const used = l.used ? q.used[l.used] : null;
            const label = t(`records.quota_${l.key}`);
            const share = used !== null && limit > 0 ? Math.min(100, Math.round((used * 100) / limit)) : null;
            return html`<tr data-testid="quota-row" data-key=${l.key} data-limit=${limit} data-used=${used ?? ''}>
                <th scope="row">${label}<p class="hint">${t(`records.quota_${l.key}_about`)}</p></th>
                <td data-testid=${`quota-limit-${l.key}`}>${limit === 0 ? t('records.quota_none_allowed') : fmtNumber(limit)}</td>
                <td data-testid=${`quota-used-${l.key}`}>${used === null
                    ? html`<span class="muted">${t('records.quota_not_shown')}</span>` : fmtNumber(used)}</td>
                <td>${share === null ? '' : html`<progress data-testid=${`quota-bar-${l.key}`} value=${Math.min(used, limit)}
                    max=${limit} aria-label=${t('records.quota_bar', { what: label })}></progress>
                    <span class="hint"> ${t('records.percent', { n: fmtNumber(share) })}</span>`}</td>
            </tr>`;
        })}</tbody>
    </table></div>`;
}

/** A limit as typed: digits (separators allowed) → a number; anything else as typed (the API refuses it on its field). */
function parse(s) {
    const x = s.replace(/[\s,，_]/g, '');
    return /^\d+$/.test(x) ? Number(x) : s.trim();
}

/** The limits' form (records.configure): only what changed is sent. */
function LimitsForm({ limits, onSaved }) {
    const [v, setV] = useState(() => Object.fromEntries(LIMITS.map((l) => [l.key, String(limits[l.key])])));
    const [run, busy, error] = useAction();
    const [note, setNote] = useState('');
    const labels = labelsOf();
    const save = () => run(async () => {
        setNote('');
        const body = {};
        for (const l of LIMITS) {
            if (v[l.key].trim() === '') throw new ApiError(0, 'field_missing', '', l.key);
            const x = parse(v[l.key]);
            if (x !== limits[l.key]) body[l.key] = x;
        }
        if (Object.keys(body).length === 0) {
            setNote(t('records.unchanged'));
            return;
        }
        onSaved(await put('/records/quotas', body));
    });
    return html`<section class="panel" aria-labelledby="quota-edit-title" data-testid="quota-editor">
        <h2 id="quota-edit-title">${t('records.quotas_edit')}</h2>
        <p class="hint">${t('records.quotas_edit_hint')}</p>
        <${Notice} text=${note} testid="quota-edit-notice" />
        <${ErrorBox} error=${error} labels=${labels} testid="quota-edit-error" />
        <${Form} onSubmit=${save} busy=${busy} testid="quota-form" label=${t('records.quotas_edit')}>
            ${LIMITS.map((l) => html`<${Field} key=${l.key} id=${`quota-f-${l.key}`} label=${labels[l.key]} value=${v[l.key]}
                onInput=${(x) => setV((o) => ({ ...o, [l.key]: x }))} inputmode="numeric" autocomplete="off" spellcheck="false"
                hint=${t(l.min === 0 ? 'records.quota_bounds_zero' : 'records.quota_bounds',
                    { min: fmtNumber(l.min), max: fmtNumber(l.max) })}
                error=${fieldError(error, l.key, labels)} />`)}
            <button type="submit" class="primary" data-testid="quota-save">${t('records.quotas_save')}</button>
        <//>
    </section>`;
}

export function Quotas() {
    const { me } = useMe();
    const q = useLoad(() => get('/records/quotas'), []);
    const [saved, setSaved] = useState(null); // the answer of a change
    const [note, setNote] = useState('');
    const now = saved || q.data;
    const refresh = async () => {
        setNote('');
        setSaved(null);
        await q.reload();
    };
    const ends = now ? new Date(Date.now() + now.day_ends_in * 1000) : null;
    return html`<${Page} title=${t('nav.records_quotas')} testid="page-record-quotas"
        actions=${html`<button type="button" class="secondary" data-testid="quota-refresh" disabled=${q.loading}
            onClick=${refresh}>${t('records.quotas_refresh')}</button>`}>
        <p class="hint">${t('records.quotas_intro')}</p>
        <${Notice} text=${note} testid="quota-saved" />
        <${ErrorBox} error=${q.error} testid="quota-error" />
        ${!now && !q.error && html`<${Empty} loading=${true} />`}
        ${now && html`<section class="panel" aria-labelledby="quota-use-title" data-testid="quota-use">
            <h2 id="quota-use-title">${t('records.quotas_use')}</h2>
            <${Usage} q=${now} />
            <p class="below" data-testid="quota-day-ends" data-seconds=${now.day_ends_in}>
                ${t('records.quotas_day_ends', { wait: fmtWait(ends) })}</p>
        </section>`}
        ${now && may(me, 'records.configure') && html`<${LimitsForm} key=${JSON.stringify(now.limits)} limits=${now.limits}
            onSaved=${(ans) => { setSaved(ans); setNote(t('records.quotas_saved')); }} />`}
    <//>`;
}
