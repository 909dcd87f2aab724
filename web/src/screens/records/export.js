// A list's export (DATA-4): POST /records/{type}/export with the list's
// filters; the CSV is read as it streams in, its records counted (a small
// RFC 4180 state machine: a line break inside a quoted value is not the end
// of a record) against Salesvault-Export-Rows for the progress bar, then
// offered as a file (a Blob behind an object URL, named as
// Content-Disposition says). The server decides what the file holds: secret
// fields are never there, confidential ones masked. A quota refusal (429)
// says when to try again.
import { useEffect, useRef, useState } from 'preact/hooks';

import { ApiError, stream } from '../../api.js';
import { fmtNumber, fmtWait, t } from '../../i18n.js';
import { html, ErrorBox } from '../../ui.js';
import { api } from './common.js';

const QUOTE = 0x22;
const LF = 0x0a;

/**
 * Counts the records of a CSV fed in chunks of bytes (UTF-8 never has a
 * quote or a line feed inside another character). A record ends at a line
 * feed outside quotes; a doubled quote inside a quoted value toggles twice.
 */
export function csvCounter() {
    let quoted = false;
    let ends = 0;
    let open = false; // bytes since the last record's end
    return {
        feed(bytes) {
            for (let i = 0; i < bytes.length; i++) {
                const b = bytes[i];
                if (b === QUOTE) quoted = !quoted;
                else if (b === LF && !quoted) { ends++; open = false; continue; }
                open = true;
            }
        },
        /** Records complete so far, a last one without its line break included when @p last. */
        records(last = false) { return ends + (last && open ? 1 : 0); },
    };
}

/** The filename of a Content-Disposition header, else @p fallback. */
function filenameOf(disp, fallback) {
    const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disp || '');
    if (star) {
        try { return decodeURIComponent(star[1]); } catch { /* the plain one below */ }
    }
    const m = /filename\s*=\s*"([^"]*)"/i.exec(disp || '') || /filename\s*=\s*([^;\s]+)/i.exec(disp || '');
    const name = m ? m[1].replace(/[/\\]/g, '_') : '';
    return name || fallback;
}

/** The quota's refusal with the time to try again. */
function QuotaError({ error }) {
    return html`<div class="msg msg-error" role="alert" data-testid="rec-export-error" data-code=${error.code}
        data-field=${error.field || ''}>${t('records.export_quota', {
            quota: t(`records.quota_${error.field === 'export_rows_per_day' ? 'export' : 'reads'}`),
            wait: fmtWait(error.retryAt),
        })}</div>`;
}

/** The export button and what it shows: the progress bar, then the file. */
export function ExportButton({ type, filters }) {
    const [st, setSt] = useState(null); // {phase: 'running'|'done', rows, max, url, name}
    const [error, setError] = useState(null);
    const abort = useRef(null);
    const urlRef = useRef(null);
    useEffect(() => () => {
        if (abort.current) abort.current.abort();
        if (urlRef.current) URL.revokeObjectURL(urlRef.current);
    }, []);
    const run = async () => {
        if (urlRef.current) URL.revokeObjectURL(urlRef.current);
        urlRef.current = null;
        setError(null);
        const ctl = new AbortController();
        abort.current = ctl;
        try {
            const res = await stream(`${api(type)}/export`, filters, { signal: ctl.signal });
            const max = Math.max(0, Number(res.headers.get('Salesvault-Export-Rows')) || 0);
            const name = filenameOf(res.headers.get('Content-Disposition'), `${type}.csv`);
            setSt({ phase: 'running', rows: 0, max, url: null, name });
            const reader = res.body.getReader();
            const counter = csvCounter();
            const chunks = [];
            for (;;) {
                const { done, value } = await reader.read();
                if (done) break;
                chunks.push(value);
                counter.feed(value);
                // The header row is not a record of the list.
                const rows = Math.max(0, counter.records() - 1);
                setSt((s) => ({ ...s, rows: Math.min(rows, max) }));
            }
            const rows = Math.max(0, counter.records(true) - 1);
            const url = URL.createObjectURL(new Blob(chunks, { type: 'text/csv;charset=utf-8' }));
            urlRef.current = url;
            setSt({ phase: 'done', rows, max, url, name });
            const link = document.getElementById('rec-export-file');
            if (link) link.focus();
        } catch (e) {
            if (e && e.name === 'AbortError') return;
            setSt(null);
            setError(e instanceof ApiError ? e : new ApiError(0, 'bad_response', ''));
        } finally {
            if (abort.current === ctl) abort.current = null;
        }
    };
    const running = st && st.phase === 'running';
    const pct = st && st.max > 0 ? Math.round((100 * st.rows) / st.max) : st && st.phase === 'done' ? 100 : 0;
    return html`<div class="rec-export" data-testid="rec-export">
        <button type="button" class="secondary" data-testid="rec-export-start" disabled=${running}
            aria-describedby="rec-export-hint" onClick=${run}>${t('records.export')}</button>
        <p id="rec-export-hint" class="hint">${t('records.export_hint')}</p>
        ${st && html`<div class="import-progress" data-testid="rec-export-progress" data-phase=${st.phase}
            data-rows=${st.rows} data-max=${st.max}>
            <p id="rec-export-label">${st.phase === 'running'
                ? t('records.export_running', { n: fmtNumber(st.rows), max: fmtNumber(st.max) })
                : t('records.export_done', { n: fmtNumber(st.rows) })}</p>
            <progress max=${Math.max(st.max, 1)} value=${st.max > 0 ? st.rows : (st.phase === 'done' ? 1 : 0)}
                aria-labelledby="rec-export-label" aria-valuetext=${t('records.percent', { n: pct })}
                data-testid="rec-export-bar"></progress>
        </div>`}
        ${st && st.phase === 'done' && html`<p><a id="rec-export-file" href=${st.url} download=${st.name}
            data-testid="rec-export-file">${t('records.export_save', { name: st.name })}</a></p>`}
        ${error && error.code === 'records_quota_exceeded' ? html`<${QuotaError} error=${error} />`
        : html`<${ErrorBox} error=${error} testid="rec-export-error" />`}
    </div>`;
}
