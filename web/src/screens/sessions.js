// My sessions: every live session of my account (newest first, tokens never
// shown), the one in use marked; sign out one, or every other one at once.
import { useState } from 'preact/hooks';

import { del, get, post, seg } from '../api.js';
import { t } from '../i18n.js';
import {
    html, ConfirmButton, Empty, ErrorBox, Notice, Page, Time, useAction, useLoad,
} from '../ui.js';

export function MySessions() {
    const list = useLoad(() => get('/me/sessions'), []);
    const [run, busy, error] = useAction();
    const [notice, setNotice] = useState('');
    const items = (list.data && Array.isArray(list.data.items)) ? list.data.items : [];
    const others = items.filter((s) => !s.current).length;

    const revoke = (s) => run(async () => {
        setNotice('');
        await del(`/me/sessions/${seg(s.id)}`);
        setNotice(t('sessions.revoked'));
        list.reload();
    });
    const revokeOthers = () => run(async () => {
        setNotice('');
        const ans = await post('/me/sessions/revoke-others', {});
        const n = ans && Number.isInteger(ans.revoked) ? ans.revoked : 0;
        setNotice(t('sessions.revoked_others', { n }));
        list.reload();
    });

    const actions = html`<${ConfirmButton} testid="sessions-revoke-others" busy=${busy || others === 0}
        label=${t('sessions.revoke_others')} question=${t('sessions.revoke_others_question')}
        onConfirm=${revokeOthers} />`;

    return html`<${Page} title=${t('nav.sessions')} testid="page-sessions" actions=${actions}>
        <p class="hint">${t('sessions.intro')}</p>
        <${Notice} text=${notice} testid="sessions-notice" />
        <${ErrorBox} error=${error || list.error} testid="sessions-error" />
        ${!items.length ? html`<${Empty} loading=${list.loading} text=${t('sessions.empty')} />` : html`
        <div class="table-wrap">
            <table class="list" data-testid="sessions-table" aria-busy=${busy || list.loading ? 'true' : undefined}>
                <caption class="sr-only">${t('nav.sessions')}</caption>
                <thead><tr>
                    <th scope="col">${t('sessions.browser')}</th>
                    <th scope="col">${t('sessions.ip')}</th>
                    <th scope="col">${t('sessions.created')}</th>
                    <th scope="col">${t('sessions.last_seen')}</th>
                    <th scope="col">${t('sessions.expires')}</th>
                    <th scope="col"><span class="sr-only">${t('sessions.actions')}</span></th>
                </tr></thead>
                <tbody>
                ${items.map((s) => html`<tr key=${s.id} data-testid="session-row" data-id=${s.id}
                    data-current=${s.current ? 'true' : 'false'} data-device=${s.device_id || ''}>
                    <th scope="row">
                        ${s.user_agent ? html`<span>${s.user_agent}</span>`
                            : html`<span class="muted">${t('sessions.unknown')}</span>`}
                        ${s.current && html` <span class="tag good" data-testid="session-current">${t('sessions.this_one')}</span>`}
                    </th>
                    <td>${s.ip || html`<span class="muted">${t('sessions.unknown')}</span>`}</td>
                    <td><${Time} value=${s.created_at} /></td>
                    <td><${Time} value=${s.last_seen_at} /></td>
                    <td><${Time} value=${s.expires_at} /></td>
                    <td>${!s.current && html`<${ConfirmButton} testid="session-revoke" busy=${busy}
                        label=${t('sessions.revoke')} name=${`${s.ip || ''} ${s.user_agent || ''}`.trim() || s.id} question=${t('sessions.revoke_question')}
                        onConfirm=${() => revoke(s)} />`}</td>
                </tr>`)}
                </tbody>
            </table>
        </div>`}
    <//>`;
}
