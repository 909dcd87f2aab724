// Shared pieces of every screen: templates (htm over Preact: text from the
// API is always a text node, never HTML), the one error display, fields with
// labels and their errors, forms that disable themselves while they run,
// cursor paging, and confirmations.
import { h } from 'preact';
import { useEffect, useRef, useState, useCallback } from 'preact/hooks';
import htm from 'htm';

import { ApiError } from './api.js';
import { LANGUAGES, fmtTime, fmtWait, has, language, setLanguage, t } from './i18n.js';

export const html = htm.bind(h);

/**
 * The sentence for an error: the catalogue's "errors.<code>" (with {field},
 * the label of the field the server named, and {wait}, when to try again),
 * else the server's own message, else a generic one with the code.
 */
export function describe(e, labels = {}) {
    if (!e) return '';
    if (typeof e === 'string') return e;
    if (!(e instanceof ApiError)) return t('errors.bad_response');
    const field = e.field ? (labels[e.field] || e.field) : t('errors.a_field');
    const key = `errors.${e.code}`;
    if (has(key)) return t(key, { field, wait: fmtWait(e.retryAt) });
    if (e.message && e.message !== e.code) return e.message;
    return t('errors.unknown', { code: e.code });
}

/** The error shown next to field @p name, when @p err names it. */
export const fieldError = (err, name, labels) =>
    (err instanceof ApiError && err.field === name ? describe(err, labels) : null);

/** The one error display: role=alert, the code for tests and styles. */
export function ErrorBox({ error, labels, testid = 'error' }) {
    if (!error) return null;
    const code = error instanceof ApiError ? error.code : 'client';
    return html`<div class="msg msg-error" role="alert" data-testid=${testid} data-code=${code}>${describe(error, labels)}</div>`;
}

/** A polite status line (saved, copied, …). */
export function Notice({ text, testid = 'notice' }) {
    return html`<p class="msg msg-info" role="status" data-testid=${testid} hidden=${!text}>${text || ''}</p>`;
}

/**
 * Run async actions one at a time: [run, busy, error, setError]. run(fn)
 * clears the error, awaits fn, keeps an ApiError it throws (and rethrows
 * anything else after showing a generic error).
 */
export function useAction() {
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState(null);
    const alive = useRef(true);
    useEffect(() => () => { alive.current = false; }, []);
    const run = useCallback(async (fn) => {
        setBusy(true);
        setError(null);
        try {
            return await fn();
        } catch (e) {
            if (e && e.name === 'AbortError') return undefined;
            if (alive.current) setError(e instanceof ApiError ? e : new ApiError(0, 'bad_response', ''));
            if (!(e instanceof ApiError)) console.warn('salesvault:', e);
            return undefined;
        } finally {
            if (alive.current) setBusy(false);
        }
    }, []);
    return [run, busy, error, setError];
}

/** Load data on mount and whenever @p deps change: {data, error, loading, reload}. */
export function useLoad(fn, deps) {
    const [st, setSt] = useState({ data: null, error: null, loading: true });
    const gen = useRef(0);
    const load = useCallback(async () => {
        const g = ++gen.current;
        setSt((s) => ({ ...s, loading: true, error: null }));
        try {
            const data = await fn();
            if (g === gen.current) setSt({ data, error: null, loading: false });
        } catch (e) {
            if (e && e.name === 'AbortError') return;
            if (g === gen.current) {
                setSt({ data: null, error: e instanceof ApiError ? e : new ApiError(0, 'bad_response', ''), loading: false });
            }
        }
    // eslint-disable-next-line react-hooks/exhaustive-deps
    }, deps);
    useEffect(() => { load(); return () => { gen.current++; }; }, [load]);
    return { ...st, reload: load };
}

/** A labelled input with its hint and error, wired for screen readers. */
export function Field({ id, label, error, hint, type = 'text', value, onInput, children, testid, name, ...rest }) {
    const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');
    const input = children || html`<input id=${id} name=${name || id} data-testid=${testid || id}
        type=${type} value=${value ?? ''} onInput=${(e) => onInput && onInput(e.currentTarget.value)}
        aria-invalid=${error ? 'true' : undefined} aria-describedby=${described || undefined}
        ...${rest} />`;
    return html`<div class="field">
        <label for=${id}>${label}</label>
        ${input}
        ${hint && html`<p id=${`${id}-hint`} class="hint">${hint}</p>`}
        ${error && html`<p id=${`${id}-error`} class="field-error" data-testid=${`${id}-error`}>${error}</p>`}
    </div>`;
}

/** A select with a label. options: [[value, text], …]. */
export function Select({ id, label, value, onChange, options, testid }) {
    return html`<div class="field">
        <label for=${id}>${label}</label>
        <select id=${id} data-testid=${testid || id} value=${value}
            onChange=${(e) => onChange(e.currentTarget.value)}>
            ${options.map(([v, text]) => html`<option value=${v} selected=${v === value}>${text}</option>`)}
        </select>
    </div>`;
}

/** A form that never reloads the page and is aria-busy while @p busy. */
export function Form({ onSubmit, busy, children, testid, label, class: cls }) {
    return html`<form novalidate class=${cls} data-testid=${testid} aria-label=${label}
        aria-busy=${busy ? 'true' : undefined}
        onSubmit=${(e) => { e.preventDefault(); if (!busy) onSubmit(e); }}>
        <fieldset disabled=${busy} class="plain">${children}</fieldset>
    </form>`;
}

/**
 * A screen: its heading takes the focus when the screen opens, so a
 * keyboard or screen-reader user hears where they are.
 */
export function Page({ title, testid, children, actions }) {
    const ref = useRef(null);
    // The focus moves once, when the screen opens (not when its title
    // changes after its data arrives: that would pull the focus from
    // someone already working on it).
    useEffect(() => {
        if (ref.current) ref.current.focus({ preventScroll: false });
        // The first screen drawn: bench/console.mjs reads this mark.
        if (performance.getEntriesByName('sv:console-ready').length === 0) performance.mark('sv:console-ready');
    }, []);
    useEffect(() => { document.title = `${title} · Salesvault`; }, [title]);
    return html`<section class="page" data-testid=${testid} aria-labelledby="page-title">
        <div class="page-head">
            <h1 id="page-title" tabIndex="-1" ref=${ref}>${title}</h1>
            ${actions && html`<div class="page-actions">${actions}</div>`}
        </div>
        ${children}
    </section>`;
}

/** A date and time in the viewer's locale, machine-readable too. */
export function Time({ value }) {
    if (!value) return html`<span class="muted">${t('common.never')}</span>`;
    return html`<time datetime=${value}>${fmtTime(value)}</time>`;
}

/**
 * Cursor paging over an API list that answers {items, next_cursor}.
 * load(cursor) → the answer. Returns {page, error, loading, next, prev,
 * reload, hasPrev, hasNext, index}.
 */
export function usePages(load, deps) {
    const [stack, setStack] = useState([null]); // cursors of the pages seen
    const idx = stack.length - 1;
    const res = useLoad(() => load(stack[idx]), [...deps, stack]);
    // New filters: back to page 1 (not on the first render: the page is
    // loading already, and a new stack would load it twice).
    const mounted = useRef(false);
    useEffect(() => {
        if (mounted.current) setStack([null]);
        mounted.current = true;
    }, deps);
    const page = res.data;
    return {
        ...res,
        page,
        index: idx,
        hasPrev: idx > 0,
        hasNext: !!(page && page.next_cursor),
        next: () => page && page.next_cursor && setStack((s) => [...s, page.next_cursor]),
        prev: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    };
}

export function Pager({ p, testid = 'pager' }) {
    return html`<nav class="pager" aria-label=${t('common.pages')} data-testid=${testid}>
        <button type="button" class="secondary" data-testid=${`${testid}-prev`} disabled=${!p.hasPrev || p.loading}
            onClick=${p.prev}>${t('common.prev')}</button>
        <span class="muted">${t('common.page_n', { n: p.index + 1 })}</span>
        <button type="button" class="secondary" data-testid=${`${testid}-next`} disabled=${!p.hasNext || p.loading}
            onClick=${p.next}>${t('common.next')}</button>
    </nav>`;
}

/**
 * A destructive button that asks once more in place: "Revoke" → "Revoke
 * this device?" [Yes] [No]. The focus moves to [No] (the safe choice).
 */
export function ConfirmButton({ label, question, onConfirm, testid, busy, name }) {
    const [asking, setAsking] = useState(false);
    const noRef = useRef(null);
    useEffect(() => { if (asking && noRef.current) noRef.current.focus(); }, [asking]);
    if (!asking) {
        // name: what the button acts on, for screen readers ("Revoke Chromium 130").
        return html`<button type="button" class="danger" data-testid=${testid} disabled=${busy}
            aria-label=${name ? `${label}: ${name}` : undefined} onClick=${() => setAsking(true)}>${label}</button>`;
    }
    return html`<span class="confirm" role="group" aria-label=${question}>
        <span>${question}</span>
        <button type="button" class="danger" data-testid=${`${testid}-yes`}
            onClick=${() => { setAsking(false); onConfirm(); }}>${t('common.yes')}</button>
        <button type="button" class="secondary" ref=${noRef} data-testid=${`${testid}-no`}
            onClick=${() => setAsking(false)}>${t('common.no')}</button>
    </span>`;
}

/**
 * A secret shown once (a temporary password, recovery codes): selectable
 * text, a copy button and, with a filename, a download as a text file. Give
 * a filename only for what the person must keep (recovery codes), never for
 * a password to pass on: a file in Downloads outlives its use.
 */
export function ShownOnce({ title, text, filename, testid = 'secret' }) {
    const [copied, setCopied] = useState('');
    const copy = async () => {
        try {
            await navigator.clipboard.writeText(text);
            setCopied(t('common.copied'));
        } catch {
            setCopied(t('common.copy_manually'));
        }
    };
    const download = () => {
        const url = URL.createObjectURL(new Blob([`${text}\n`], { type: 'text/plain' }));
        const a = document.createElement('a');
        a.href = url;
        a.download = filename;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
    };
    return html`<div class="shown-once" data-testid=${testid}>
        <p><strong>${title}</strong></p>
        <p class="hint">${t('common.shown_once')}</p>
        <pre class="secret" data-testid=${`${testid}-text`} tabIndex="0">${text}</pre>
        <p class="row">
            <button type="button" class="secondary" data-testid=${`${testid}-copy`} onClick=${copy}>${t('common.copy')}</button>
            ${filename && html`<button type="button" class="secondary" data-testid=${`${testid}-download`}
                onClick=${download}>${t('common.download')}</button>`}
            <span role="status" class="hint">${copied}</span>
        </p>
    </div>`;
}

/** An empty list's line, or a loading line. */
export function Empty({ loading, text }) {
    return html`<p class="muted" data-testid="empty">${loading ? t('common.loading') : text}</p>`;
}

/** The language switch (remembered in this browser). */
export function LangSwitch() {
    return html`<div class="lang">
        <label for="lang-select" class="sr-only">${t('common.language')}</label>
        <select id="lang-select" data-testid="lang-select" value=${language()}
            onChange=${(e) => setLanguage(e.currentTarget.value)}>
            ${LANGUAGES.map((l) => html`<option value=${l.code} lang=${l.code} selected=${l.code === language()}>${l.name}</option>`)}
        </select>
    </div>`;
}
