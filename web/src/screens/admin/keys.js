// Encryption keys (DATA-2; settings.read: tenant admins and auditors): the
// tenant's key-encryption key versions and its newest re-sealing job
// (GET /admin/keys). An operator rotates with `salesvault keys rotate`; the
// servers then re-seal the older values in the background and retire the
// older versions. This screen follows it: every 2 s while a job runs (its
// progress bar), every 10 s otherwise (so a rotation made meanwhile shows
// up without a reload). Never any key material: the server sends none.
import { useEffect, useState } from 'preact/hooks';

import { ApiError, get } from '../../api.js';
import { fmtNumber, t } from '../../i18n.js';
import { html, Empty, ErrorBox, Page, Time } from '../../ui.js';

const RUNNING_MS = 2000;
const IDLE_MS = 10000;

const running = (s) => Boolean(s && s.job && s.job.state === 'running');

/** GET /admin/keys now and again: [status, error]. */
function useKeyStatus() {
    const [st, setSt] = useState(null);
    const [error, setError] = useState(null);
    useEffect(() => {
        let alive = true;
        let timer = null;
        let last = null;
        const ctl = new AbortController();
        const poll = async () => {
            timer = null;
            // A hidden tab asks nothing; it asks again when shown.
            if (document.hidden && last) {
                timer = setTimeout(poll, running(last) ? RUNNING_MS : IDLE_MS);
                return;
            }
            try {
                const s = await get('/admin/keys', { signal: ctl.signal });
                if (!alive) return;
                last = s;
                setSt(s);
                setError(null);
            } catch (e) {
                if (!alive || (e && e.name === 'AbortError')) return;
                setError(e instanceof ApiError ? e : new ApiError(0, 'bad_response', ''));
                // The session ended or the permission went: asking again will not help.
                if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return;
            }
            if (alive) timer = setTimeout(poll, running(last) ? RUNNING_MS : IDLE_MS);
        };
        const onShow = () => {
            if (!document.hidden && timer) {
                clearTimeout(timer);
                poll();
            }
        };
        document.addEventListener('visibilitychange', onShow);
        poll();
        return () => {
            alive = false;
            ctl.abort();
            if (timer) clearTimeout(timer);
            document.removeEventListener('visibilitychange', onShow);
        };
    }, []);
    return [st, error];
}

const stateTag = { current: 'good', live: '', retired: 'gone' };

/** The versions, oldest first: state, made, retired. */
function Versions({ st }) {
    return html`<section class="panel" aria-labelledby="keys-versions-title">
        <h2 id="keys-versions-title">${t('keys.versions_title')}</h2>
        <p data-testid="keys-current" data-version=${st.current_version}>
            ${t('keys.current_is', { version: st.current_version })}</p>
        <div class="table-wrap"><table class="list" data-testid="keys-versions">
            <caption class="sr-only">${t('keys.versions_title')}</caption>
            <thead><tr>
                <th scope="col">${t('keys.version')}</th><th scope="col">${t('keys.state')}</th>
                <th scope="col">${t('keys.created')}</th><th scope="col">${t('keys.retired')}</th>
            </tr></thead>
            <tbody>${st.versions.map((v) => html`<tr data-testid="key-version" data-version=${v.version}
                data-state=${v.state}>
                <th scope="row">${t('keys.version_n', { version: v.version })}</th>
                <td><span class=${`tag ${stateTag[v.state] ?? ''}`}>${t(`keys.state_${v.state}`)}</span></td>
                <td><${Time} value=${v.created_at} /></td>
                <td>${v.retired_at ? html`<${Time} value=${v.retired_at} />` : html`<span class="muted">${t('keys.not_retired')}</span>`}</td>
            </tr>`)}</tbody>
        </table></div>
        <p class="hint">${t('keys.states_hint')}</p>
    </section>`;
}

/** A running job's bar: the values its pass has looked at, of about the total. */
function Progress({ job }) {
    const pct = job.total > 0 ? Math.min(100, Math.floor((job.looked_at * 100) / job.total)) : 0;
    return html`<div class="import-progress" data-testid="keys-progress">
        <p id="keys-progress-label">${t(job.phase === 'verifying' ? 'keys.phase_verifying' : 'keys.phase_resealing', {
            version: job.version, pass: job.pass,
        })}</p>
        <progress max="100" value=${pct} aria-labelledby="keys-progress-label"
            aria-valuetext=${t('keys.percent', { n: pct })} data-testid="keys-bar"></progress>
        <p class="hint" data-testid="keys-progress-text">${t('keys.looked_at', {
            n: fmtNumber(job.looked_at), total: fmtNumber(job.total), resealed: fmtNumber(job.resealed),
        })}</p>
    </div>`;
}

/** What a finished job says. */
function Outcome({ job }) {
    if (job.state === 'done') {
        return html`<p class="msg msg-info" data-testid="keys-outcome">${t('keys.done', {
            resealed: fmtNumber(job.resealed), passes: fmtNumber(job.pass), version: job.version,
        })}</p>`;
    }
    if (job.state === 'blocked') {
        return html`<p class="msg msg-error" data-testid="keys-outcome">${t('keys.blocked', {
            n: fmtNumber(job.not_opening),
        })}</p>`;
    }
    return html`<p class="msg msg-info" data-testid="keys-outcome">${t('keys.superseded')}</p>`;
}

/** The newest re-sealing job, or why there is none. */
function Job({ job }) {
    return html`<section class="panel" aria-labelledby="keys-job-title">
        <h2 id="keys-job-title">${t('keys.job_title')}</h2>
        ${!job ? html`<p class="muted" data-testid="keys-no-job">${t('keys.no_job')}</p>`
        : html`<div data-testid="keys-job" data-id=${job.id} data-state=${job.state} data-phase=${job.phase}
            data-version=${job.version} data-pass=${job.pass} data-looked-at=${job.looked_at} data-total=${job.total}>
            <dl class="props">
                <dt>${t('keys.job_to')}</dt><dd>${t('keys.version_n', { version: job.version })}</dd>
                <dt>${t('keys.job_started')}</dt><dd><${Time} value=${job.created_at} /></dd>
                ${job.finished_at && html`<dt>${t('keys.job_finished')}</dt><dd><${Time} value=${job.finished_at} /></dd>`}
            </dl>
            ${job.state === 'running' ? html`<${Progress} job=${job} />` : html`<${Outcome} job=${job} />`}
        </div>`}
        <p class="hint">${t('keys.rotate_hint')}</p>
    </section>`;
}

export function EncryptionKeys() {
    const [st, error] = useKeyStatus();
    return html`<${Page} title=${t('nav.keys')} testid="page-keys">
        <p class="hint">${t('keys.intro')}</p>
        <${ErrorBox} error=${error} />
        ${!st && !error && html`<${Empty} loading=${true} />`}
        ${st && html`<${Versions} st=${st} /><${Job} job=${st.job} />`}
    <//>`;
}
