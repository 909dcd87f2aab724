// Import (issue 11, part 7; docs/import.md): a CSV file of departments and
// employees, checked (a dry run) or imported. The file goes to the server as
// it is (POST /directory/imports, text/csv); the import runs there as a job,
// and this screen follows it (GET /directory/imports/{id}) with a progress
// bar, then shows what it made or every error by line and column. The job is
// in the URL (#/directory/import?job=<id>): a reload follows it again. For
// those who hold directory.manage anywhere: the server asks it over every
// department the file touches.
import { useEffect, useRef, useState } from 'preact/hooks';

import { ApiError, call, get, seg } from '../../api.js';
import { fmtNumber, has, t } from '../../i18n.js';
import { navigate } from '../../router.js';
import { html, ErrorBox, Form, Page, useAction } from '../../ui.js';

const BASE = '/directory/imports';
const SCREEN = '/directory/import';
const MAX_BYTES = 32 * 1024 * 1024; // the server's limit too
const POLL_MS = 400;
const HEADER = 'username,display_name,email,phone,id_number,title,employee_no,department,departments,manager';
const EXAMPLE = `${HEADER}\nwei.zhang,Wei Zhang,wei@example.com,138 0013 8000,,Sales lead,E-20,Sales/East/Shanghai,,\n`
    + 'li.na,Li Na,li.na@example.com,,,,E-21,Sales/East/Shanghai,Board,wei.zhang\n,,,,,,,Sales/West,,\n';

const finished = (job) => job && !['queued', 'running'].includes(job.state);

/** Follow job @p id until it is finished: [job, error]. */
function useJob(id) {
    const [job, setJob] = useState(null);
    const [error, setError] = useState(null);
    useEffect(() => {
        if (!id) {
            setJob(null);
            setError(null);
            return undefined;
        }
        let alive = true;
        let timer = null;
        const ctl = new AbortController();
        const poll = async () => {
            try {
                const j = await get(`${BASE}/${seg(id)}`, { signal: ctl.signal });
                if (!alive) return;
                setJob(j);
                setError(null);
                if (!finished(j)) timer = setTimeout(poll, POLL_MS);
            } catch (e) {
                if (!alive || (e && e.name === 'AbortError')) return;
                setError(e instanceof ApiError ? e : new ApiError(0, 'bad_response', ''));
            }
        };
        poll();
        return () => {
            alive = false;
            ctl.abort();
            if (timer) clearTimeout(timer);
        };
    }, [id]);
    return [job, error];
}

/** The bar of a job that runs: its phase, done of total, a percentage. */
function Progress({ job }) {
    const pct = job.total > 0 ? Math.min(100, Math.floor((job.done * 100) / job.total)) : 0;
    const label = t(`import.phase.${job.phase}`);
    return html`<div class="import-progress" data-testid="import-progress" data-phase=${job.phase}>
        <p id="import-progress-label">${label}</p>
        <progress max="100" value=${pct} aria-labelledby="import-progress-label"
            aria-valuetext=${t('import.percent', { n: pct })} data-testid="import-bar"></progress>
        <span class="hint" data-testid="import-percent">${t('import.percent', { n: pct })}</span>
    </div>`;
}

/** An error's sentence in the reader's language (the server's English otherwise). */
function ruleText(e) {
    const key = `import.rule.${e.rule}`;
    return has(key) ? t(key, { arg: e.arg ?? '' }) : e.message;
}

/** What a finished job says: made, would make, refused, or failed. */
function Outcome({ job }) {
    const n = { employees: fmtNumber(job.employees), departments: fmtNumber(job.departments), lines: fmtNumber(job.lines) };
    let text;
    let kind = 'info';
    if (job.state === 'done') text = t(job.dry_run ? 'import.valid' : 'import.imported', n);
    else if (job.state === 'invalid') {
        text = t('import.invalid', { errors: fmtNumber(job.error_count), lines: n.lines });
        kind = 'error';
    } else {
        text = t(job.reason === 'interrupted' ? 'import.interrupted' : 'import.failed');
        kind = 'error';
    }
    return html`<div class=${`msg msg-${kind}`} role=${kind === 'error' ? 'alert' : 'status'}
        data-testid="import-outcome" data-state=${job.state}>${text}
        ${job.state === 'done' && !job.dry_run && html`<p class="hint">${t('import.passwords')}</p>`}
    </div>`;
}

/** Every error the job kept: line, column, what is wrong. */
function Errors({ job }) {
    if (!job.errors || job.errors.length === 0) return null;
    return html`<section class="panel" aria-labelledby="import-errors-title" data-testid="import-errors">
        <h2 id="import-errors-title">${t('import.errors_title')}</h2>
        ${job.errors_truncated && html`<p class="hint" data-testid="import-errors-truncated">
            ${t('import.errors_truncated', { shown: fmtNumber(job.errors.length), all: fmtNumber(job.error_count) })}</p>`}
        <div class="table-wrap"><table class="list" data-testid="import-error-table">
            <caption class="sr-only">${t('import.errors_title')}</caption>
            <thead><tr>
                <th scope="col">${t('import.line')}</th>
                <th scope="col">${t('import.column')}</th>
                <th scope="col">${t('import.problem')}</th>
            </tr></thead>
            <tbody>${job.errors.map((e) => html`<tr data-testid="import-error" data-line=${e.line}
                data-column=${e.column || ''} data-rule=${e.rule}>
                <td>${e.line}</td>
                <td>${e.column ? html`<code>${e.column}</code>` : html`<span class="muted">${t('import.whole_line')}</span>`}</td>
                <td title=${e.message}>${ruleText(e)}</td>
            </tr>`)}</tbody>
        </table></div>
    </section>`;
}

/** The file and the two ways to send it. */
function Upload({ busyJob }) {
    const [file, setFile] = useState(null);
    const [tooBig, setTooBig] = useState(false);
    const [run, busy, error] = useAction();
    const input = useRef(null);
    const send = (dryRun) => run(async () => {
        if (!file || tooBig) return;
        const job = await call('POST', BASE, {
            query: { dry_run: dryRun ? 'true' : 'false' },
            raw: { body: file, type: 'text/csv' },
        });
        navigate(SCREEN, { job: job.id }, { replace: false });
    });
    const pick = (e) => {
        const f = e.currentTarget.files && e.currentTarget.files[0];
        setFile(f || null);
        setTooBig(!!f && f.size > MAX_BYTES);
    };
    const disabled = busy || busyJob || !file || tooBig;
    return html`<section class="panel" aria-labelledby="import-file-title" data-testid="import-upload">
        <h2 id="import-file-title">${t('import.file_title')}</h2>
        <p>${t('import.intro')}</p>
        <pre class="example" data-testid="import-example" tabIndex="0" aria-label=${t('import.example')}>${EXAMPLE}</pre>
        <ul class="hint">
            <li>${t('import.hint_paths')}</li>
            <li>${t('import.hint_manager')}</li>
            <li>${t('import.hint_all_or_nothing')}</li>
            <li>${t('import.hint_passwords')}</li>
        </ul>
        <${ErrorBox} error=${error} testid="import-error-box" />
        <${Form} onSubmit=${() => send(true)} busy=${busy} testid="import-form" label=${t('import.file_title')}>
            <div class="field">
                <label for="import-file">${t('import.file')}</label>
                <input id="import-file" type="file" accept=".csv,text/csv" ref=${input} data-testid="import-file"
                    aria-describedby="import-file-hint" aria-invalid=${tooBig ? 'true' : undefined} onChange=${pick} />
                <p id="import-file-hint" class=${tooBig ? 'field-error' : 'hint'} data-testid="import-file-hint">
                    ${tooBig ? t('import.too_big') : t('import.file_hint')}</p>
            </div>
            <p class="row">
                <button type="submit" class="secondary" data-testid="import-check" disabled=${disabled}>
                    ${t('import.check')}</button>
                <button type="button" class="primary" data-testid="import-run" disabled=${disabled}
                    onClick=${() => send(false)}>${t('import.run')}</button>
            </p>
        <//>
    </section>`;
}

export function DirectoryImport({ query = {} }) {
    const id = (query.job || '').trim();
    const [job, error] = useJob(id);
    const running = !!job && !finished(job);
    return html`<${Page} title=${t('import.title')} testid="page-import">
        <${Upload} busyJob=${running} />
        ${id && html`<section class="panel" aria-labelledby="import-job-title" data-testid="import-job"
            data-id=${id} aria-busy=${running || (!job && !error) ? 'true' : undefined}>
            <h2 id="import-job-title">${job && job.dry_run ? t('import.job_check') : t('import.job_run')}</h2>
            <${ErrorBox} error=${error} testid="import-job-error" />
            ${job && !finished(job) && html`<${Progress} job=${job} />`}
            ${job && finished(job) && html`<${Outcome} job=${job} />`}
        </section>`}
        ${job && finished(job) && html`<${Errors} job=${job} />`}
    <//>`;
}
