// The console: sign-in until there is a session, then the layout (header,
// navigation for what the account may do, the screen of the URL fragment).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

import { ApiError, get, onSignedOut, post, setCsrf } from './api.js';
import { onLanguage, t } from './i18n.js';
import { current, match, navigate, useRoute } from './router.js';
import { HOME, ROUTES, may } from './routes.js';
import { MeContext, onInboxChanged } from './session.js';
import { MustChange, SignIn } from './signin.js';
import { Authenticator } from './screens/authenticator.js';
import { html, describe, LangSwitch } from './ui.js';

/** The account's built-in role over the tenant, as the account page shows it. */
function roleOf(access) {
    const over = (r) => access.assignments.some((a) => a.role === r && a.scope === 'tenant');
    return over('tenant_admin') ? 'admin' : over('auditor') ? 'auditor' : 'member';
}

/** The state of the session: who is signed in, or why nobody is. */
async function whoAmI() {
    try {
        const me = await get('/me', { quiet401: true });
        if (me && typeof me.csrf === 'string') setCsrf(me.csrf);
        if (me && me.must_change_password) return { kind: 'mustchange', me };
        // The tenant requires an authenticator and this account has none:
        // the session may only enrol one (AUTH-8).
        if (me && me.mfa_pending) return { kind: 'enrol', me };
        // What the account may do: the screens and controls it is shown.
        me.access = await get('/me/access', { quiet401: true });
        me.role = roleOf(me.access);
        return { kind: 'in', me };
    } catch (e) {
        if (e instanceof ApiError) {
            if (e.code === 'password_change_required') return { kind: 'mustchange', me: null };
            if (e.code === 'mfa_enrolment_required') return { kind: 'enrol', me: null };
            if (e.code === 'unauthenticated') return { kind: 'out' };
        }
        return { kind: 'out', error: e };
    }
}

export function App() {
    const [lang, setLang] = useState(0);
    const [st, setSt] = useState({ kind: 'loading' });
    const [notice, setNotice] = useState(null); // for the sign-in card
    const [flash, setFlash] = useState(null); // for the console: {text, kind, code}

    useEffect(() => onLanguage(() => setLang((n) => n + 1)), []);

    const refresh = useCallback(async () => {
        const s = await whoAmI();
        if (s.kind === 'out' && s.error) {
            setNotice({ text: describe(s.error), kind: 'error', code: s.error.code || 'bad_response' });
        }
        setSt(s);
        return s;
    }, []);

    useEffect(() => {
        refresh();
        onSignedOut(() => {
            setNotice({ text: t('errors.unauthenticated'), kind: 'error', code: 'unauthenticated' });
            setSt({ kind: 'out' });
        });
    }, []);

    const signOut = useCallback(async () => {
        try {
            await post('/auth/logout', {}, { quiet401: true });
        } catch (e) {
            if (!(e instanceof ApiError) || e.code !== 'unauthenticated') {
                setNotice({ text: t('common.signout_failed', { why: describe(e) }), kind: 'error', code: e.code });
            }
        }
        setCsrf(null);
        setNotice({ text: t('common.signed_out'), kind: 'info', code: 'signed_out' });
        setSt({ kind: 'out' });
    }, []);

    const signedIn = async (ans) => {
        setNotice(null);
        if (ans && ans.must_change_password) {
            setSt({ kind: 'mustchange', me: null });
            return;
        }
        const s = await refresh();
        if (s.kind === 'out' && !s.error) {
            setNotice({ text: t('signin.cookie_missing'), kind: 'error', code: 'cookie_missing' });
        }
    };

    useEffect(() => {
        const app = document.getElementById('app');
        if (app && (st.kind === 'loading' || st.kind === 'in' || st.kind === 'enrol')) {
            app.dataset.screen = st.kind === 'loading' ? 'loading' : st.kind === 'in' ? 'signedin' : 'enrol';
        }
    }, [st.kind]);

    switch (st.kind) {
    case 'loading':
        return html`<div class="card signin"><p role="status">${t('common.loading')}</p></div>`;
    case 'out':
        return html`<${SignIn} key=${`in-${lang}-${notice ? notice.code : ''}`} onSignedIn=${signedIn} notice=${notice} />`;
    case 'mustchange':
        return html`<${MustChange} key=${lang} username=${st.me ? st.me.username : ''}
            onDone=${async () => {
                setNotice(null);
                setFlash({ text: t('password.changed'), kind: 'info', code: 'password_changed' });
                await refresh();
            }} onSignOut=${signOut} />`;
    case 'enrol':
        return html`<${Enrol} key=${lang} onDone=${refresh} signOut=${signOut} />`;
    default:
        return html`<${MeContext.Provider} value=${{ me: st.me, reloadMe: refresh, signOut, setFlash }}>
            <${Layout} key=${lang} me=${st.me} signOut=${signOut} flash=${flash} setFlash=${setFlash} />
        <//>`;
    }
}

/** A session restricted to authenticator enrolment (the tenant requires MFA, AUTH-8). */
function Enrol({ onDone, signOut }) {
    return html`<${MeContext.Provider} value=${{ me: null, reloadMe: onDone, signOut }}>
        <div class="card wide">
            <h1 class="brand">Salesvault</h1>
            <div class="msg msg-error" role="alert" data-testid="message" data-code="mfa_enrolment_required"
                data-kind="error">${t('errors.mfa_enrolment_required')}</div>
            <${Authenticator} enrolOnly=${true} onEnrolled=${onDone} />
            <p class="restart"><button type="button" class="link" data-testid="signout" onClick=${signOut}>
                ${t('common.sign_out')}</button></p>
            <${LangSwitch} />
        </div>
    <//>`;
}

function UnreadBadge() {
    const [n, setN] = useState(0);
    useEffect(() => {
        let alive = true;
        const load = async () => {
            try {
                const ans = await get('/me/inbox/unread');
                if (alive && ans && Number.isInteger(ans.unread)) setN(ans.unread);
            } catch { /* the badge is a hint; the inbox shows errors */ }
        };
        load();
        const id = setInterval(load, 60000);
        const off = onInboxChanged(load);
        return () => { alive = false; clearInterval(id); off(); };
    }, []);
    return html`<a href="#/inbox" class="badge-link" data-testid="unread" data-count=${n}
        aria-label=${t('header.unread', { n })}>
        <span aria-hidden="true">${t('nav.inbox')}</span>${' '}
        ${n > 0 && html`<span class="badge" aria-hidden="true">${n}</span>`}
    </a>`;
}

function Layout({ me, signOut, flash, setFlash }) {
    const route = useRoute();
    const prev = useRef(null);
    useEffect(() => {
        // A message belongs to the screen it was said on (the redirect from
        // "/" to the home screen is the same screen).
        if (prev.current !== null && prev.current !== '/') setFlash(null);
        prev.current = route.path;
    }, [route.path]);
    let found = null;
    for (const r of ROUTES) {
        const params = match(r.path, route.path);
        if (params) { found = { r, params }; break; }
    }
    useEffect(() => {
        if (route.path === '/' || route.path === '') navigate(HOME, null, { replace: true });
    }, [route.path]);

    const groups = [
        ['me', t('nav.group_me')],
        ['records', t('nav.group_records')],
        ['directory', t('nav.group_directory')],
        ['admin', t('nav.group_admin')],
    ];
    const tenant = (me && me.tenant) || {};
    // A screen's link is current on its own pages too ("/admin/users/…"),
    // unless a longer link of the navigation is theirs ("/directory/employees").
    const navPaths = ROUTES.filter((r) => r.nav).map((r) => r.path);
    const owns = (p) => route.path === p || route.path.startsWith(`${p}/`);
    const isActive = (p) => route.path === p || (p !== '/admin' && p !== '/account' && owns(p)
        && !navPaths.some((q) => q.length > p.length && owns(q)));

    let body;
    if (!found) {
        body = html`<section class="page" data-testid="page-notfound"><h1 tabIndex="-1">${t('common.not_found')}</h1>
            <p><a href=${`#${HOME}`}>${t('common.go_home')}</a></p></section>`;
    } else if (!may(me, found.r.perm)) {
        body = html`<section class="page" data-testid="page-forbidden"><h1 tabIndex="-1">${t('common.forbidden')}</h1>
            <p>${t('common.forbidden_text')}</p></section>`;
    } else {
        const C = found.r.component;
        // Keyed by the path itself: another user's page is a new screen
        // (its state, a secret shown once, must not carry over).
        body = html`<${C} key=${route.path} params=${found.params} query=${route.params} />`;
    }

    return html`<div class="console">
        <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>
            ${t('common.skip')}</a>
        <header class="top">
            <span class="brand">Salesvault</span>
            <span class="tenant" data-testid="tenant-name" title=${tenant.slug || ''}>${tenant.name || tenant.slug}</span>
            <span class="grow"></span>
            <${UnreadBadge} />
            <span id="signed-in-as" data-testid="signed-in-as" data-username=${me.username} data-tenant=${tenant.slug}
                title=${tenant.name || ''}>${t('header.signed_in_as', { user: me.username, tenant: tenant.slug || tenant.name || '?' })}</span>
            <${LangSwitch} />
            <button type="button" class="secondary" data-testid="signout" onClick=${signOut}>${t('common.sign_out')}</button>
        </header>
        <div class="frame">
            <nav class="side" aria-label=${t('nav.label')} data-testid="nav">
                ${groups.map(([g, label]) => {
                    const items = ROUTES.filter((r) => r.nav && r.group === g && may(me, r.perm));
                    if (!items.length) return null;
                    return html`<div class="nav-group">
                        <h2 class="nav-title">${label}</h2>
                        <ul>${items.map((r) => html`<li><a href=${`#${r.path}`} data-testid=${`nav-${r.path.replace(/\//g, '-').slice(1)}`}
                            aria-current=${isActive(r.path) ? 'page' : undefined}>${t(r.nav)}</a></li>`)}</ul>
                    </div>`;
                })}
            </nav>
            <main id="main" tabIndex="-1" data-testid="main">
                <div id="message" data-testid="message" class=${`msg msg-${flash ? flash.kind : 'info'}`}
                    role=${flash && flash.kind === 'error' ? 'alert' : 'status'} hidden=${!flash}
                    data-kind=${flash ? flash.kind : ''} data-code=${flash ? flash.code : ''}>${flash ? flash.text : ''}</div>
                ${body}
            </main>
        </div>
    </div>`;
}

