// My devices (DEV-5): every browser, phone and CLI that signed in to my
// account, with its state; revoking one ends its sessions at once and it
// cannot sign in again. Revoking the browser in use signs this console out
// (the next call answers 401 and the API client brings the sign-in).
import { useState } from 'preact/hooks';

import { del, get, seg } from '../api.js';
import { has, t } from '../i18n.js';
import { useMe } from '../session.js';
import {
    html, ConfirmButton, Empty, ErrorBox, Notice, Page, Time, useAction, useLoad,
} from '../ui.js';

const kindName = (k) => (has(`devices.kind_${k}`) ? t(`devices.kind_${k}`) : String(k || ''));

function State({ state }) {
    const cls = state === 'trusted' ? 'tag good' : state === 'revoked' ? 'tag bad' : 'tag';
    const text = has(`devices.state_${state}`) ? t(`devices.state_${state}`) : String(state || '');
    return html`<span class=${cls} data-testid="device-state">${text}</span>`;
}

export function MyDevices() {
    const { me } = useMe();
    const list = useLoad(() => get('/me/devices'), []);
    const [run, busy, error] = useAction();
    const [notice, setNotice] = useState('');
    const currentId = me && me.device ? me.device.id : null;
    const items = (list.data && Array.isArray(list.data.items)) ? list.data.items : [];

    const revoke = (d, current) => run(async () => {
        setNotice('');
        await del(`/me/devices/${seg(d.id)}`);
        if (current) {
            // This browser's sessions have ended: the next call answers 401
            // and the console returns to the sign-in.
            await get('/me/devices');
            return;
        }
        setNotice(t('devices.revoked', { name: d.name || kindName(d.kind) }));
        list.reload();
    });

    return html`<${Page} title=${t('nav.devices')} testid="page-devices">
        <p class="hint">${t('devices.intro')}</p>
        <${Notice} text=${notice} testid="devices-notice" />
        <${ErrorBox} error=${error || list.error} testid="devices-error" />
        ${!items.length ? html`<${Empty} loading=${list.loading} text=${t('devices.empty')} />` : html`
        <div class="table-wrap">
            <table class="list" data-testid="devices-table" aria-busy=${busy || list.loading ? 'true' : undefined}>
                <caption class="sr-only">${t('nav.devices')}</caption>
                <thead><tr>
                    <th scope="col">${t('devices.name')}</th>
                    <th scope="col">${t('devices.kind')}</th>
                    <th scope="col">${t('devices.platform')}</th>
                    <th scope="col">${t('devices.first_seen')}</th>
                    <th scope="col">${t('devices.last_seen')}</th>
                    <th scope="col">${t('devices.last_ip')}</th>
                    <th scope="col">${t('devices.state')}</th>
                    <th scope="col"><span class="sr-only">${t('devices.actions')}</span></th>
                </tr></thead>
                <tbody>
                ${items.map((d) => {
                    const current = d.current === true || (currentId !== null && d.id === currentId);
                    const name = d.name || d.model;
                    return html`<tr key=${d.id} data-testid="device-row" data-id=${d.id} data-kind=${d.kind}
                        data-state=${d.state} data-current=${current ? 'true' : 'false'}>
                        <th scope="row">
                            ${name ? html`<span>${name}</span>` : html`<span class="muted">${t('devices.unnamed')}</span>`}
                            ${d.name && d.model && html`<br /><span class="hint">${d.model}</span>`}
                            ${current && html` <span class="tag good" data-testid="device-current">${t('devices.this_one')}</span>`}
                        </th>
                        <td>${kindName(d.kind)}</td>
                        <td>${d.platform || html`<span class="muted">${t('devices.unknown')}</span>`}</td>
                        <td><${Time} value=${d.first_seen_at} /></td>
                        <td><${Time} value=${d.last_seen_at} /></td>
                        <td>${d.last_ip || html`<span class="muted">${t('devices.unknown')}</span>`}</td>
                        <td><${State} state=${d.state} /></td>
                        <td>${d.state !== 'revoked' && html`<${ConfirmButton} testid="device-revoke" busy=${busy}
                            label=${t('devices.revoke')} name=${name || kindName(d.kind)}
                            question=${current ? t('devices.revoke_current_question') : t('devices.revoke_question', { name: name || kindName(d.kind) })}
                            onConfirm=${() => revoke(d, current)} />`}</td>
                    </tr>`;
                })}
                </tbody>
            </table>
        </div>`}
    <//>`;
}
