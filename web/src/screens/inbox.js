// The inbox: security notices and other messages for my account, newest
// first, a page at a time. Seeing a page marks what it shows as read
// (POST /me/inbox/read {up_to: the newest id shown}); the header's unread
// count is then asked again (inboxChanged).
import { useEffect, useRef, useState } from 'preact/hooks';

import { get, post } from '../api.js';
import { fmtNumber, has, t } from '../i18n.js';
import { inboxChanged } from '../session.js';
import {
    html, Empty, ErrorBox, Notice, Page, Pager, Time, useAction, usePages,
} from '../ui.js';

const PAGE = 20;

const kindName = (k) => (has(`inbox.kind_${k}`) ? t(`inbox.kind_${k}`) : String(k || ''));

export function Inbox() {
    const p = usePages((cursor) => get('/me/inbox', { query: { cursor, limit: PAGE } }), []);
    const [run, busy, error] = useAction();
    const [notice, setNotice] = useState('');
    const [unread, setUnread] = useState(null);
    const marked = useRef(new Set()); // newest ids already sent, once per page
    const items = (p.page && Array.isArray(p.page.items)) ? p.page.items : [];

    // The answer's unread count (the account's, not this page's).
    useEffect(() => {
        if (p.page && Number.isInteger(p.page.unread)) setUnread(p.page.unread);
    }, [p.page]);

    // Seeing a page marks its items read (the rows keep their "unread" mark
    // for this visit, so the reader can tell what is new).
    useEffect(() => {
        const newest = items[0];
        if (!newest || !items.some((m) => m.read === false) || marked.current.has(newest.id)) return;
        marked.current.add(newest.id);
        run(async () => {
            const ans = await post('/me/inbox/read', { up_to: newest.id });
            if (ans && Number.isInteger(ans.unread)) setUnread(ans.unread);
            inboxChanged();
        });
    }, [p.page]);

    const markAll = () => run(async () => {
        setNotice('');
        const ans = await post('/me/inbox/read', { all: true });
        setUnread(ans && Number.isInteger(ans.unread) ? ans.unread : 0);
        setNotice(t('inbox.all_read'));
        inboxChanged();
        p.reload();
    });

    const actions = Number.isInteger(unread) && unread > 0 && html`<button type="button" class="secondary"
        data-testid="inbox-read-all" disabled=${busy} onClick=${markAll}>${t('inbox.mark_all')}</button>`;

    return html`<${Page} title=${t('nav.inbox')} testid="page-inbox" actions=${actions || null}>
        ${Number.isInteger(unread) && html`<p class="hint" data-testid="inbox-unread" data-count=${unread}>
            ${t('inbox.unread_count', { n: fmtNumber(unread) })}</p>`}
        <${Notice} text=${notice} testid="inbox-notice" />
        <${ErrorBox} error=${error || p.error} testid="inbox-error" />
        ${!items.length ? html`<${Empty} loading=${p.loading} text=${t('inbox.empty')} />` : html`
        <div class="table-wrap">
            <table class="list" data-testid="inbox-table" aria-busy=${p.loading ? 'true' : undefined}>
                <caption class="sr-only">${t('nav.inbox')}</caption>
                <thead><tr>
                    <th scope="col">${t('inbox.when')}</th>
                    <th scope="col">${t('inbox.kind')}</th>
                    <th scope="col">${t('inbox.message')}</th>
                </tr></thead>
                <tbody>
                ${items.map((m) => html`<tr key=${m.id} data-testid="inbox-row" data-id=${m.id} data-kind=${m.kind}
                    data-read=${m.read === false ? 'false' : m.read === true ? 'true' : ''}
                    class=${m.read === false ? 'unread' : undefined}>
                    <td><${Time} value=${m.created_at} /></td>
                    <td>${kindName(m.kind)}</td>
                    <td>
                        ${m.read === false && html`<span class="sr-only">${t('inbox.unread')} </span>`}
                        <strong data-testid="inbox-title">${m.title}</strong>
                        <p data-testid="inbox-body">${m.body}</p>
                    </td>
                </tr>`)}
                </tbody>
            </table>
        </div>
        ${(p.hasPrev || p.hasNext) && html`<${Pager} p=${p} testid="inbox-pager" />`}`}
    <//>`;
}
