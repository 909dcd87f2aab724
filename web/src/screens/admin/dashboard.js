// The tenant's security at a glance (admins): failed sign-ins, locks and
// blacklist entries over the last 24 hours and 30 days (GET
// /admin/security/summary), one small bar chart per series with its numbers
// in a table for screen readers, each count linked to the audit log
// filtered on its action.
import { get } from '../../api.js';
import { fmtDay, fmtNumber, t } from '../../i18n.js';
import { href } from '../../router.js';
import { html, Empty, ErrorBox, Page, useLoad } from '../../ui.js';

/** The series: summary key, the audit filter that lists its events. */
export const SERIES = [
    // Every sign-in (the count is those whose result is not success: failure
    // and denied; the log filters on one result at a time).
    { key: 'failed_logins', filter: { action: 'auth.login' } },
    { key: 'locks', filter: { action: 'security.lock' } },
    { key: 'blacklisted', filter: { action: 'security.blacklist' } },
];

const HOUR = 3600 * 1000;
/** An RFC 3339 UTC time without milliseconds (the API's form). */
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const count = (v) => (Number.isFinite(v) ? v : 0);

function StatCard({ s, period, value, since }) {
    const link = href('/admin/audit', { ...s.filter, since });
    const name = t(`dashboard.series_${s.key}`);
    return html`<div class="stat" data-testid=${`stat-${period}-${s.key}`}>
        <h3>${name}</h3>
        <p class="num" data-testid=${`stat-${period}-${s.key}-num`} data-value=${count(value)}>${fmtNumber(count(value))}</p>
        <p><a href=${link} data-testid=${`stat-${period}-${s.key}-link`}>${t('dashboard.see_events', { name })}</a></p>
    </div>`;
}

const W = 300; // the chart's viewBox width; the CSS stretches it
const H = 90;

/** 30 bars, oldest first; the numbers also as a visually hidden table. */
function Chart({ s, days }) {
    const name = t(`dashboard.series_${s.key}`);
    const values = days.map((d) => count(d[s.key]));
    const max = Math.max(0, ...values);
    const total = values.reduce((a, b) => a + b, 0);
    let peak = -1;
    values.forEach((v, i) => { if (v > 0 && (peak < 0 || v > values[peak])) peak = i; });
    const label = days.length === 0 ? t('dashboard.chart_empty', { name })
        : t('dashboard.chart_label', {
            name, days: fmtNumber(days.length), total: fmtNumber(total),
            max: fmtNumber(max), day: peak >= 0 ? fmtDay(`${days[peak].day}T12:00:00Z`) : t('common.none'),
        });
    const step = days.length ? W / days.length : W;
    const bar = Math.max(1, step - 2);
    return html`<figure class="panel" data-testid=${`chart-${s.key}`}>
        <figcaption><h3>${t('dashboard.chart_title', { name })}</h3></figcaption>
        <svg class="chart" viewBox=${`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label=${label}
            data-testid=${`chart-${s.key}-svg`}>
            ${values.map((v, i) => {
                const h = max > 0 && v > 0 ? Math.max(2, (v / max) * (H - 2)) : 2;
                return html`<rect class=${v > 0 ? undefined : 'zero'} x=${(i * step + 1).toFixed(2)}
                    y=${(H - h).toFixed(2)} width=${bar.toFixed(2)} height=${h.toFixed(2)} data-value=${v}></rect>`;
            })}
        </svg>
        <table class="sr-only" data-testid=${`chart-${s.key}-table`}>
            <caption>${t('dashboard.table_caption', { name })}</caption>
            <thead><tr><th scope="col">${t('dashboard.day')}</th><th scope="col">${t('dashboard.count')}</th></tr></thead>
            <tbody>${days.map((d, i) => html`<tr><th scope="row">${fmtDay(`${d.day}T12:00:00Z`)}</th>
                <td>${fmtNumber(values[i])}</td></tr>`)}</tbody>
        </table>
    </figure>`;
}

export function Dashboard() {
    const sum = useLoad(() => get('/admin/security/summary'), []);
    const now = Date.now();
    const since24 = iso(now - 24 * HOUR);
    const since30 = iso(now - 30 * 24 * HOUR);
    const d = sum.data || {};
    const days = Array.isArray(d.days) ? d.days : [];
    return html`<${Page} title=${t('nav.dashboard')} testid="page-dashboard">
        <${ErrorBox} error=${sum.error} />
        ${!sum.data && !sum.error && html`<${Empty} loading=${true} />`}
        ${sum.data && html`
            <section aria-labelledby="dash-24h" data-testid="dashboard-24h">
                <h2 id="dash-24h">${t('dashboard.last_24h')}</h2>
                <div class="cards">${SERIES.map((s) => html`<${StatCard} s=${s} period="24h"
                    value=${(d.last_24h || {})[s.key]} since=${since24} />`)}</div>
            </section>
            <section aria-labelledby="dash-30d" data-testid="dashboard-30d">
                <h2 id="dash-30d">${t('dashboard.last_30d')}</h2>
                <div class="cards">${SERIES.map((s) => html`<${StatCard} s=${s} period="30d"
                    value=${(d.last_30d || {})[s.key]} since=${since30} />`)}</div>
            </section>
            <section aria-labelledby="dash-days">
                <h2 id="dash-days">${t('dashboard.per_day')}</h2>
                ${SERIES.map((s) => html`<${Chart} s=${s} days=${days} />`)}
            </section>`}
    <//>`;
}
