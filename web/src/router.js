// Deep links: the console's place is the URL fragment, "#/admin/users?q=ann",
// so every screen (and its filters) can be bookmarked, reloaded and shared
// without the server knowing the console's paths. navigate() changes it;
// useRoute() re-renders on every change.
import { useEffect, useState } from 'preact/hooks';

/** {path, params} of the current fragment: "#/a/b?x=1" → {"/a/b", {x: "1"}}. */
export function current() {
    const raw = (location.hash || '').replace(/^#/, '') || '/';
    const i = raw.indexOf('?');
    const path = (i < 0 ? raw : raw.slice(0, i)) || '/';
    const params = Object.fromEntries(new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)));
    return { path: path.startsWith('/') ? path : `/${path}`, params };
}

/** The fragment for @p path and @p params (empty values left out). */
export function href(path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
        if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    return `#${path}${s ? `?${s}` : ''}`;
}

/** Go to @p path; replace: true keeps the history entry (filters typed in). */
export function navigate(path, params, { replace = false } = {}) {
    const h = href(path, params);
    if (h === (location.hash || '#/')) return;
    if (replace) {
        history.replaceState(null, '', h);
        dispatchEvent(new HashChangeEvent('hashchange'));
    } else {
        location.hash = h;
    }
}

export function useRoute() {
    const [route, setRoute] = useState(current);
    useEffect(() => {
        const on = () => setRoute(current());
        addEventListener('hashchange', on);
        return () => removeEventListener('hashchange', on);
    }, []);
    return route;
}

/**
 * Match @p path against a pattern with ":name" segments; the params object
 * or null.
 */
export function match(pattern, path) {
    const a = pattern.split('/');
    const b = path.split('/');
    if (a.length !== b.length) return null;
    const out = {};
    for (let i = 0; i < a.length; i++) {
        if (a[i].startsWith(':')) {
            if (!b[i]) return null;
            try { out[a[i].slice(1)] = decodeURIComponent(b[i]); } catch { return null; }
        } else if (a[i] !== b[i]) {
            return null;
        }
    }
    return out;
}
