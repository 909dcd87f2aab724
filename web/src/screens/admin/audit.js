// The tenant's audit log (admins): filters (action, actor, result, time
// range) kept in the URL fragment so a filtered view is a link, cursor
// paging (GET /audit/events), one event opened with every field, and the
// CSV export of the same filters (GET /audit/export: a plain download with
// the session cookie; the server streams it and audits the export).
import { useEffect, useState } from 'preact/hooks';

import { get, url } from '../../api.js';
import { t } from '../../i18n.js';
import { navigate } from '../../router.js';
import {
    html, Empty, ErrorBox, Field, Form, Page, Pager, Select, Time, usePages,
} from '../../ui.js';

/** The wire names of src/audit/actions.def, in its order. */
export const ACTIONS = [
    'auth.login', 'auth.logout', 'auth.password_change_required', 'account.created',
    'account.password_changed', 'account.password_reset', 'tenant.created',
    'account.password_change_failed', 'auth.session_closed', 'security.lock', 'security.blacklist',
    'security.blacklist.lift', 'security.blacklist.add', 'security.unlock', 'auth.challenge', 'auth.risk',
    'auth.sms_code', 'auth.approval.request', 'auth.approval', 'device.trust', 'device.revoke',
    'mfa.totp.enrol_start', 'mfa.totp.enrol', 'mfa.totp.remove', 'mfa.recovery_code.used', 'user.update',
    'auth.reset_request', 'auth.reset', 'tenant.policy', 'audit.export', 'session.revoke',
    'session.revoke_others', 'department.create', 'department.rename', 'department.move', 'department.delete',
    'access.denied', 'access.grant', 'access.revoke', 'access.role.create', 'access.role.update', 'access.role.delete',
    'employee.create', 'employee.update', 'employee.phone_reveal', 'group.create', 'group.update', 'group.delete',
    'group.member.add', 'group.member.remove', 'department.visibility', 'employee.offboard', 'employee.rehire',
    'employee.disable', 'employee.enable', 'api_token.create', 'api_token.revoke',
];
/** The AUD-2 reports (GET /audit/events?report=). */
export const REPORTS = ['login_failure', 'privilege_change', 'config_change', 'denied_access', 'sensitive_access'];
const RESULTS = ['success', 'failure', 'denied'];
const FILTERS = ['report', 'action', 'actor', 'result', 'since', 'until'];
const PAGE = 50;

const pad = (n) => String(n).padStart(2, '0');
/** RFC 3339 UTC → the local "YYYY-MM-DDTHH:MM" of a datetime-local input. */
function toLocal(v) {
    const d = new Date(v || '');
    if (!v || Number.isNaN(d.getTime())) return '';
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
/** A datetime-local value (the viewer's time) → RFC 3339 UTC, seconds precision. */
function fromLocal(v) {
    const d = new Date(v || '');
    if (!v || Number.isNaN(d.getTime())) return '';
    return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The filters of the URL, only those the API knows. */
function filtersOf(query) {
    const f = {};
    for (const k of FILTERS) if (query[k]) f[k] = query[k];
    return f;
}

const resultClass = (r) => (r === 'success' ? 'tag good' : 'tag bad');

/** details as indented JSON text (an object, or a string holding JSON). */
function detailsText(d) {
    if (d === null || d === undefined) return null;
    if (typeof d === 'string') {
        try { return JSON.stringify(JSON.parse(d), null, 2); } catch { return d; }
    }
    return JSON.stringify(d, null, 2);
}

function Orn({ v }) {
    return v === null || v === undefined || v === '' ? html`<span class="muted">${t('common.none')}</span>` : v;
}

/** Every field of one event. */
function EventDetails({ e, onActor }) {
    const det = detailsText(e.details);
    return html`<div class="panel" data-testid="event-details" data-id=${e.id}>
        <dl class="props">
            <dt>${t('audit.f_id')}</dt><dd data-field="id"><code>${e.id}</code></dd>
            <dt>${t('audit.f_seq')}</dt><dd data-field="seq">${e.seq}</dd>
            <dt>${t('audit.f_time')}</dt><dd data-field="time"><${Time} value=${e.time} /> <span class="hint">${e.time}</span></dd>
            <dt>${t('audit.f_action')}</dt><dd data-field="action"><code>${e.action}</code></dd>
            <dt>${t('audit.f_result')}</dt><dd data-field="result">${t(`audit.result_${e.result}`)}</dd>
            <dt>${t('audit.f_reason')}</dt><dd data-field="reason"><${Orn} v=${e.reason} /></dd>
            <dt>${t('audit.f_actor')}</dt><dd data-field="actor"><${Orn} v=${e.actor} /></dd>
            <dt>${t('audit.f_actor_id')}</dt><dd data-field="actor_id">
                ${e.actor_id ? html`<code>${e.actor_id}</code>${' '}
                    <button type="button" class="link" data-testid="event-actor-filter"
                        onClick=${() => onActor(e.actor_id)}>${t('audit.only_actor')}</button>` : html`<${Orn} v=${null} />`}</dd>
            <dt>${t('audit.f_target_type')}</dt><dd data-field="target_type"><${Orn} v=${e.target_type} /></dd>
            <dt>${t('audit.f_target_id')}</dt><dd data-field="target_id"><${Orn} v=${e.target_id} /></dd>
            <dt>${t('audit.f_ip')}</dt><dd data-field="ip"><${Orn} v=${e.ip} /></dd>
            <dt>${t('audit.f_user_agent')}</dt><dd data-field="user_agent"><${Orn} v=${e.user_agent} /></dd>
            <dt>${t('audit.f_details')}</dt><dd data-field="details">${det === null ? html`<${Orn} v=${null} />`
                : html`<pre class="secret" data-testid="event-details-json" tabIndex="0"
                    aria-label=${t('audit.f_details')}>${det}</pre>`}</dd>
        </dl>
    </div>`;
}

export function AuditLog({ query = {} }) {
    const filters = filtersOf(query);
    const key = JSON.stringify(filters);
    const [form, setForm] = useState({});
    const reset = () => setForm({
        report: filters.report || '',
        action: filters.action || '', actor: filters.actor || '', result: filters.result || '',
        since: toLocal(filters.since), until: toLocal(filters.until),
    });
    useEffect(reset, [key]);
    const [open, setOpen] = useState(null);
    useEffect(() => setOpen(null), [key]);
    const p = usePages((cursor) => get('/audit/events', { query: { ...filters, cursor, limit: PAGE } }), [key]);
    const items = (p.page && Array.isArray(p.page.items)) ? p.page.items : [];
    const set = (k) => (v) => setForm((f) => ({ ...f, [k]: v }));
    const apply = () => navigate('/admin/audit', {
        report: form.report, action: form.action, actor: form.actor.trim(), result: form.result,
        since: fromLocal(form.since), until: fromLocal(form.until),
    }, { replace: true });
    const labels = {
        report: t('audit.f_report'),
        action: t('audit.f_action'), actor: t('audit.actor_filter'), result: t('audit.f_result'),
        since: t('audit.since'), until: t('audit.until'),
    };
    const actions = ACTIONS.includes(filters.action) || !filters.action ? ACTIONS : [filters.action, ...ACTIONS];
    const exportHref = url('/audit/export', filters);
    return html`<${Page} title=${t('nav.audit')} testid="page-audit"
        actions=${html`<a href=${exportHref} download="" data-testid="audit-export">${t('audit.export')}</a>`}>
        <${Form} onSubmit=${apply} testid="audit-filters" label=${t('audit.filters')}>
            <div class="filters">
                <${Select} id="audit-report" label=${labels.report} value=${form.report || ''} onChange=${set('report')}
                    options=${[['', t('audit.any_report')], ...REPORTS.map((r) => [r, t(`audit.report_${r}`)])]} />
                <${Select} id="audit-action" label=${labels.action} value=${form.action || ''} onChange=${set('action')}
                    options=${[['', t('audit.any_action')], ...actions.map((a) => [a, a])]} />
                <${Field} id="audit-actor" label=${labels.actor} value=${form.actor || ''} onInput=${set('actor')}
                    autocomplete="off" spellcheck="false" />
                <${Select} id="audit-result" label=${labels.result} value=${form.result || ''} onChange=${set('result')}
                    options=${[['', t('audit.any_result')], ...RESULTS.map((r) => [r, t(`audit.result_${r}`)])]} />
                <${Field} id="audit-since" type="datetime-local" label=${labels.since} value=${form.since || ''}
                    onInput=${set('since')} />
                <${Field} id="audit-until" type="datetime-local" label=${labels.until} value=${form.until || ''}
                    onInput=${set('until')} />
                <button type="submit" class="secondary" data-testid="audit-apply">${t('audit.apply')}</button>
                ${Object.keys(filters).length > 0 && html`<button type="button" class="link" data-testid="audit-clear"
                    onClick=${() => navigate('/admin/audit', {}, { replace: true })}>${t('audit.clear')}</button>`}
            </div>
        <//>
        <p class="hint">${t('audit.actor_hint')} ${t('audit.export_hint')}</p>
        <${ErrorBox} error=${p.error} labels=${labels} />
        ${items.length === 0 ? html`<${Empty} loading=${p.loading} text=${t('audit.none')} />`
        : html`<div class="table-wrap"><table class="list" data-testid="audit-table" aria-busy=${p.loading ? 'true' : undefined}>
            <caption class="sr-only">${t('audit.caption')}</caption>
            <thead><tr>
                <th scope="col">${t('audit.f_time')}</th><th scope="col">${t('audit.f_action')}</th>
                <th scope="col">${t('audit.f_result')}</th><th scope="col">${t('audit.f_actor')}</th>
                <th scope="col">${t('audit.f_target')}</th><th scope="col">${t('audit.f_ip')}</th>
                <th scope="col"><span class="sr-only">${t('audit.f_details')}</span></th>
            </tr></thead>
            <tbody>${items.map((e) => {
                const shown = open === e.id;
                return html`<tr data-testid="audit-row" data-id=${e.id} data-action=${e.action} data-result=${e.result}>
                    <td><${Time} value=${e.time} /></td>
                    <td><code>${e.action}</code></td>
                    <td><span class=${resultClass(e.result)}>${t(`audit.result_${e.result}`)}</span>
                        ${e.reason && html` <span class="hint">${e.reason}</span>`}</td>
                    <td><${Orn} v=${e.actor} /></td>
                    <td>${e.target_type ? `${e.target_type} ${e.target_id || ''}` : html`<${Orn} v=${null} />`}</td>
                    <td><${Orn} v=${e.ip} /></td>
                    <td><button type="button" class="secondary" data-testid="audit-open" aria-expanded=${shown ? 'true' : 'false'}
                        aria-controls=${shown ? `ev-${e.id}` : undefined}
                        onClick=${() => setOpen(shown ? null : e.id)}>${shown ? t('audit.close') : t('audit.open')}
                        <span class="sr-only"> ${e.action} <${Time} value=${e.time} /></span></button></td>
                </tr>
                ${shown && html`<tr id=${`ev-${e.id}`}><td colspan="7">
                    <${EventDetails} e=${e} onActor=${(a) => navigate('/admin/audit', { ...filters, actor: a }, { replace: true })} />
                </td></tr>`}`;
            })}</tbody>
        </table></div>`}
        <${Pager} p=${p} testid="audit-pager" />
    <//>`;
}
