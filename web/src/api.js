// The one API client of the console: every call under /api/v1 goes through
// call(). The session is the HttpOnly __Host-sv_session cookie (never visible
// here); every change (POST, PUT, PATCH, DELETE) carries X-CSRF-Token, learnt
// from the login answer or GET /me. Errors become ApiError with the server's
// code, message and field, which ui.js shows in one way everywhere.

const API = '/api/v1';

export class ApiError extends Error {
    constructor(status, code, message, field, retryAt) {
        super(message || code);
        this.name = 'ApiError';
        this.status = status;
        this.code = code;
        this.field = field || null;
        this.retryAt = retryAt || null; // a Date from Retry-After
    }
}

const state = { csrf: null, onSignedOut: null };

export const setCsrf = (token) => { state.csrf = typeof token === 'string' ? token : null; };
export const hasCsrf = () => state.csrf !== null;

/** Called once when any call answers 401 "unauthenticated" (the session ended). */
export const onSignedOut = (fn) => { state.onSignedOut = fn; };

/** Retry-After (seconds or an HTTP date) as a Date, or null. */
export function parseRetryAfter(v) {
    if (!v) return null;
    if (/^\s*\d+\s*$/.test(v)) return new Date(Date.now() + Number(v) * 1000);
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : new Date(t);
}

/** A query string from an object; empty and null values are left out. */
export function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
        if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    return s ? `?${s}` : '';
}

/**
 * One call. opts: body (JSON), raw ({body, type}: a body sent as it is, e.g. a
 * CSV file: a Blob or a string, with its Content-Type), query (object),
 * signal, blob (resolve a Blob),
 * text (resolve the body as text), challenge ({token}: X-Challenge-Token),
 * quiet401 (do not report a 401 as a signed-out session: sign-in probes).
 * Resolves the JSON body (null for 204); rejects with ApiError (code
 * "network" when the server cannot be reached) or an AbortError.
 */
export async function call(method, path, opts = {}) {
    const headers = { Accept: opts.blob ? 'image/png' : opts.text ? 'text/csv' : 'application/json' };
    let body;
    if (opts.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(opts.body);
    } else if (opts.raw !== undefined) {
        headers['Content-Type'] = opts.raw.type;
        body = opts.raw.body;
    }
    if (opts.challenge) headers['X-Challenge-Token'] = opts.challenge.token;
    if (method !== 'GET' && method !== 'HEAD' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
    let res;
    try {
        res = await fetch(API + path + query(opts.query), {
            method, headers, body, credentials: 'same-origin', cache: 'no-store',
            redirect: 'error', referrerPolicy: 'no-referrer', signal: opts.signal,
        });
    } catch (e) {
        if (e && e.name === 'AbortError') throw e;
        throw new ApiError(0, 'network', '');
    }
    if (res.ok) {
        if (opts.blob) return res.blob();
        const text = await res.text();
        if (opts.text) return text;
        if (!text) return null;
        try {
            return JSON.parse(text);
        } catch {
            throw new ApiError(res.status, 'bad_response', '');
        }
    }
    throw await failure(res, opts);
}

/** The ApiError of a refused answer @p res (a 401 ends the session, as call() says). */
async function failure(res, opts) {
    let err = {};
    try {
        const j = await res.json();
        if (j && j.error && typeof j.error === 'object') err = j.error;
    } catch { /* an error without a JSON body */ }
    const e = new ApiError(res.status, err.code || `http_${res.status}`, err.message, err.field,
        parseRetryAfter(res.headers.get('Retry-After')));
    // What else the error object says (current_version of a version_conflict, …).
    e.details = err;
    if (res.status === 401 && e.code === 'unauthenticated' && !opts.quiet401 && state.onSignedOut) {
        state.csrf = null;
        state.onSignedOut(e);
    }
    return e;
}

/**
 * A POST whose answer is read as it arrives (an export): resolves the
 * Response once its status is a success, for the caller to read
 * res.body.getReader(); rejects as call() does. opts: signal, accept.
 */
export async function stream(path, body, opts = {}) {
    const headers = { Accept: opts.accept || 'text/csv', 'Content-Type': 'application/json' };
    if (state.csrf) headers['X-CSRF-Token'] = state.csrf;
    let res;
    try {
        res = await fetch(API + path, {
            method: 'POST', headers, body: JSON.stringify(body ?? {}), credentials: 'same-origin', cache: 'no-store',
            redirect: 'error', referrerPolicy: 'no-referrer', signal: opts.signal,
        });
    } catch (e) {
        if (e && e.name === 'AbortError') throw e;
        throw new ApiError(0, 'network', '');
    }
    if (res.ok) return res;
    throw await failure(res, opts);
}

/** The URL of an API GET for a plain link (a download the browser streams). */
export const url = (path, params) => API + path + query(params);

export const get = (path, opts) => call('GET', path, opts);
export const post = (path, body, opts) => call('POST', path, { ...opts, body: body ?? {} });
export const patch = (path, body, opts) => call('PATCH', path, { ...opts, body });
export const put = (path, body, opts) => call('PUT', path, { ...opts, body });
export const del = (path, opts) => call('DELETE', path, opts);

/** A path segment, encoded. */
export const seg = (s) => encodeURIComponent(String(s));
