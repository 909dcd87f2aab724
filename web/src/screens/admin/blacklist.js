// The blacklist (admins): the IPs and devices barred from signing in to the
// tenant (GET /admin/blacklist), and lifting one (DELETE). Platform-wide
// entries are shown (why a source is refused) but only the CLI lifts them.
import { useState } from 'preact/hooks';

import { del, get, seg } from '../../api.js';
import { has, t } from '../../i18n.js';
import {
    html, ConfirmButton, Empty, ErrorBox, Notice, Page, Pager, Time, useAction, usePages,
} from '../../ui.js';

const reasonText = (r) => (has(`blacklist.reason_${r}`) ? t(`blacklist.reason_${r}`) : r);

export function Blacklist() {
    // The list answers {items} today; should it page, the pager follows next_cursor.
    const p = usePages((cursor) => get('/admin/blacklist', { query: { cursor } }), []);
    const [run, busy, error] = useAction();
    const [note, setNote] = useState('');
    const items = (p.page && Array.isArray(p.page.items)) ? p.page.items : [];
    const lift = (e) => run(async () => {
        setNote('');
        await del(`/admin/blacklist/${seg(e.id)}`);
        setNote(t('blacklist.lifted', { value: e.value }));
        await p.reload();
    });
    return html`<${Page} title=${t('nav.blacklist')} testid="page-blacklist">
        <p class="hint">${t('blacklist.intro')}</p>
        <${Notice} text=${note} testid="blacklist-notice" />
        <${ErrorBox} error=${p.error || error} />
        ${items.length === 0 ? html`<${Empty} loading=${p.loading} text=${t('blacklist.none')} />`
        : html`<div class="table-wrap"><table class="list" data-testid="blacklist-table">
            <caption class="sr-only">${t('blacklist.caption')}</caption>
            <thead><tr>
                <th scope="col">${t('blacklist.value')}</th><th scope="col">${t('blacklist.kind')}</th>
                <th scope="col">${t('blacklist.reason')}</th><th scope="col">${t('blacklist.scope')}</th>
                <th scope="col">${t('blacklist.created')}</th><th scope="col">${t('blacklist.expires')}</th>
                <th scope="col"><span class="sr-only">${t('blacklist.actions')}</span></th>
            </tr></thead>
            <tbody>${items.map((e) => html`<tr data-testid="blacklist-row" data-id=${e.id} data-value=${e.value}
                data-scope=${e.scope}>
                <th scope="row"><code>${e.value}</code></th>
                <td>${e.kind === 'ip' ? t('blacklist.kind_ip') : e.kind === 'device' ? t('blacklist.kind_device') : e.kind}</td>
                <td>${reasonText(e.reason)}</td>
                <td><span class=${`tag ${e.scope === 'platform' ? 'bad' : ''}`}>
                    ${e.scope === 'platform' ? t('blacklist.scope_platform') : t('blacklist.scope_tenant')}</span></td>
                <td><${Time} value=${e.created_at} /></td>
                <td>${e.expires_at ? html`<${Time} value=${e.expires_at} />` : t('blacklist.forever')}</td>
                <td>${e.scope === 'platform' ? html`<span class="hint">${t('blacklist.platform_only')}</span>`
                    : html`<${ConfirmButton} label=${t('blacklist.lift')} busy=${busy}
                        question=${t('blacklist.lift_q', { value: e.value })} testid="blacklist-lift"
                        onConfirm=${() => lift(e)} />`}</td>
            </tr>`)}</tbody>
        </table></div>`}
        ${(p.hasPrev || p.hasNext) && html`<${Pager} p=${p} testid="blacklist-pager" />`}
    <//>`;
}
