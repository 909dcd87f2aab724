// The tenant's accounts (admins): search and page through them, create one
// (its temporary password shown once), and one account's page: reset its
// password, unlock it, bind its phone, see and revoke its devices.
import { useEffect, useState } from 'preact/hooks';

import { del, get, patch, post, seg } from '../../api.js';
import { t } from '../../i18n.js';
import { href, navigate } from '../../router.js';
import { may } from '../../routes.js';
import { useMe } from '../../session.js';
import {
    html, ConfirmButton, Empty, ErrorBox, Field, Form, Notice, Page, Pager, Select, ShownOnce, Time,
    fieldError, useAction, useLoad, usePages,
} from '../../ui.js';

const PAGE = 50;

function RoleTag({ role }) {
    const name = role === 'admin' ? t('users.role_admin') : role === 'auditor' ? t('users.role_auditor') : t('users.role_member');
    return html`<span class="tag" data-role=${role}>${name}</span>`;
}

/** The account's state: locked, must change its password, or fine. */
function StateTags({ u }) {
    const locked = u.locked === true || (u.locked_until && Date.parse(u.locked_until) > Date.now());
    return html`<span class="row" data-testid="user-state" data-locked=${locked ? 'true' : 'false'}>
        ${locked && html`<span class="tag bad" data-testid="user-locked">${u.locked_until
            ? html`${t('users.locked_until')} <${Time} value=${u.locked_until} />` : t('users.locked')}</span>`}
        ${u.must_change_password && html`<span class="tag" data-testid="user-must-change">${t('users.must_change')}</span>`}
        ${!locked && !u.must_change_password && html`<span class="tag good">${t('users.active')}</span>`}
    </span>`;
}

function Totp({ u }) {
    return u.totp ? html`<span class="tag good" data-testid="user-totp" data-on="true">${t('users.totp_on')}</span>`
        : html`<span class="muted" data-testid="user-totp" data-on="false">${t('users.totp_off')}</span>`;
}

function Phone({ u }) {
    if (u.phone === null || u.phone === '') return html`<span class="muted">${t('common.none')}</span>`;
    return html`<span data-testid="user-phone-masked">${u.phone}</span>`;
}

function CreateUser({ onCreated }) {
    const [username, setUsername] = useState('');
    const [role, setRole] = useState('member');
    const [email, setEmail] = useState('');
    const [phone, setPhone] = useState('');
    const [created, setCreated] = useState(null);
    const [run, busy, error] = useAction();
    const labels = {
        username: t('users.username'), role: t('users.role'), email: t('users.email'), phone: t('users.phone'),
    };
    const submit = () => run(async () => {
        const body = { username: username.trim(), role };
        if (email.trim()) body.email = email.trim();
        if (phone.trim()) body.phone = phone.trim(); // bound in the same transaction
        const u = await post('/users', body);
        setCreated(u);
        setUsername('');
        setEmail('');
        setPhone('');
        onCreated();
    });
    return html`<section class="panel" aria-labelledby="create-title" data-testid="user-create">
        <h2 id="create-title">${t('users.create_title')}</h2>
        ${created && html`<div data-testid="user-created" data-id=${created.id} data-username=${created.username}>
            <${ShownOnce} title=${t('users.temporary_for', { user: created.username })} text=${created.temporary_password}
                testid="user-temp" />
            <p class="row"><a href=${href(`/admin/users/${seg(created.id)}`)} data-testid="user-created-open">
                ${t('users.open', { user: created.username })}</a>
                <button type="button" class="secondary" data-testid="user-created-done"
                    onClick=${() => setCreated(null)}>${t('users.done')}</button></p>
        </div>`}
        <${ErrorBox} error=${error} labels=${labels} testid="user-create-error" />
        <${Form} onSubmit=${submit} busy=${busy} testid="user-create-form" label=${t('users.create_title')}>
            <${Field} id="new-username" label=${labels.username} value=${username} onInput=${setUsername}
                autocomplete="off" spellcheck="false" hint=${t('users.username_hint')} required
                error=${fieldError(error, 'username', labels)} />
            <${Select} id="new-role" label=${labels.role} value=${role} onChange=${setRole}
                options=${[['member', t('users.role_member')], ['auditor', t('users.role_auditor')],
                    ['admin', t('users.role_admin')]]} />
            <${Field} id="new-email" type="email" label=${labels.email} value=${email} onInput=${setEmail}
                autocomplete="off" hint=${t('users.optional')} error=${fieldError(error, 'email', labels)} />
            <${Field} id="new-phone" type="tel" label=${labels.phone} value=${phone} onInput=${setPhone}
                autocomplete="off" hint=${t('users.phone_hint')} error=${fieldError(error, 'phone', labels)} />
            <button type="submit" class="primary" data-testid="new-submit">${t('users.create')}</button>
        <//>
    </section>`;
}

export function Users({ query = {} }) {
    const q = (query.q || '').trim();
    const [typed, setTyped] = useState(q);
    useEffect(() => setTyped(q), [q]);
    const p = usePages((cursor) => get('/users', { query: { q, cursor, limit: PAGE } }), [q]);
    const items = (p.page && Array.isArray(p.page.items)) ? p.page.items : [];
    return html`<${Page} title=${t('nav.users')} testid="page-users">
        <${Form} onSubmit=${() => navigate('/admin/users', { q: typed.trim() }, { replace: true })}
            testid="users-search" label=${t('users.search')}>
            <div class="filters">
                <${Field} id="users-q" type="search" label=${t('users.search_label')} value=${typed} onInput=${setTyped}
                    autocomplete="off" spellcheck="false" />
                <button type="submit" class="secondary" data-testid="users-q-submit">${t('common.search')}</button>
                ${q && html`<a href=${href('/admin/users')} data-testid="users-q-clear">${t('users.clear')}</a>`}
            </div>
        <//>
        <${ErrorBox} error=${p.error} />
        ${items.length === 0 ? html`<${Empty} loading=${p.loading} text=${q ? t('users.none_found') : t('users.none')} />`
        : html`<div class="table-wrap"><table class="list" data-testid="users-table" aria-busy=${p.loading ? 'true' : undefined}>
            <caption class="sr-only">${q ? t('users.caption_q', { q }) : t('users.caption')}</caption>
            <thead><tr>
                <th scope="col">${t('users.username')}</th><th scope="col">${t('users.email')}</th>
                <th scope="col">${t('users.role')}</th><th scope="col">${t('users.totp')}</th>
                <th scope="col">${t('users.state')}</th><th scope="col">${t('users.phone')}</th>
                <th scope="col">${t('users.created')}</th>
            </tr></thead>
            <tbody>${items.map((u) => html`<tr data-testid="user-row" data-id=${u.id} data-username=${u.username}>
                <th scope="row"><a href=${href(`/admin/users/${seg(u.id)}`)} data-testid="user-link">${u.username}</a></th>
                <td>${u.email || html`<span class="muted">${t('common.none')}</span>`}</td>
                <td><${RoleTag} role=${u.role} /></td>
                <td><${Totp} u=${u} /></td>
                <td><${StateTags} u=${u} /></td>
                <td><${Phone} u=${u} /></td>
                <td><${Time} value=${u.created_at} /></td>
            </tr>`)}</tbody>
        </table></div>`}
        <${Pager} p=${p} testid="users-pager" />
        <${CreateUser} onCreated=${p.reload} />
    <//>`;
}

function Devices({ id }) {
    const list = useLoad(() => get(`/users/${seg(id)}/devices`), [id]);
    const [run, busy, error] = useAction();
    const [note, setNote] = useState('');
    const items = (list.data && Array.isArray(list.data.items)) ? list.data.items : [];
    const revoke = (d) => run(async () => {
        await del(`/users/${seg(id)}/devices/${seg(d.id)}`);
        setNote(t('users.device_revoked', { name: d.name || d.id }));
        await list.reload();
    });
    return html`<section class="panel" aria-labelledby="devices-title" data-testid="user-devices">
        <h2 id="devices-title">${t('users.devices')}</h2>
        <${Notice} text=${note} testid="devices-notice" />
        <${ErrorBox} error=${list.error || error} testid="devices-error" />
        ${items.length === 0 ? html`<${Empty} loading=${list.loading} text=${t('users.no_devices')} />`
        : html`<div class="table-wrap"><table class="list" data-testid="devices-table">
            <caption class="sr-only">${t('users.devices')}</caption>
            <thead><tr>
                <th scope="col">${t('users.device_name')}</th><th scope="col">${t('users.device_kind')}</th>
                <th scope="col">${t('users.device_state')}</th><th scope="col">${t('users.device_last_seen')}</th>
                <th scope="col">${t('users.device_ip')}</th><th scope="col"><span class="sr-only">${t('users.actions')}</span></th>
            </tr></thead>
            <tbody>${items.map((d) => html`<tr data-testid="device-row" data-id=${d.id} data-state=${d.state}>
                <th scope="row">${d.name || html`<span class="muted">${t('users.device_unnamed')}</span>`}
                    ${d.platform && html`<br /><span class="hint">${d.platform}${d.model ? ` · ${d.model}` : ''}</span>`}</th>
                <td>${t(`users.kind_${d.kind}`)}</td>
                <td><span class=${`tag ${d.state === 'revoked' ? 'bad' : d.state === 'trusted' ? 'good' : ''}`}>
                    ${t(`users.state_${d.state}`)}</span></td>
                <td><${Time} value=${d.last_seen_at} /></td>
                <td>${d.last_ip || html`<span class="muted">${t('common.none')}</span>`}</td>
                <td>${d.state !== 'revoked' && html`<${ConfirmButton} label=${t('users.revoke')} busy=${busy}
                    question=${t('users.revoke_q', { name: d.name || t('users.device_unnamed') })}
                    testid="device-revoke" onConfirm=${() => revoke(d)} />`}</td>
            </tr>`)}</tbody>
        </table></div>`}
    </section>`;
}

function PhoneForm({ u, onSaved }) {
    const [phone, setPhone] = useState('');
    const [run, busy, error] = useAction();
    const [note, setNote] = useState('');
    const labels = { phone: t('users.phone') };
    const save = (value) => run(async () => {
        setNote('');
        await patch(`/users/${seg(u.id)}`, { phone: value });
        setPhone('');
        setNote(value === null ? t('users.phone_cleared') : t('users.phone_saved'));
        onSaved();
    });
    return html`<section class="panel" aria-labelledby="phone-title" data-testid="user-phone-panel">
        <h2 id="phone-title">${t('users.phone_title')}</h2>
        <p>${t('users.phone_now')} <${Phone} u=${u} /></p>
        <${Notice} text=${note} testid="phone-notice" />
        <${ErrorBox} error=${error} labels=${labels} testid="phone-error" />
        <${Form} onSubmit=${() => save(phone.trim())} busy=${busy} testid="phone-form" label=${t('users.phone_title')}>
            <${Field} id="user-phone" type="tel" label=${t('users.phone_new')} value=${phone} onInput=${setPhone}
                autocomplete="off" hint=${t('users.phone_hint')} error=${fieldError(error, 'phone', labels)} />
            <p class="row">
                <button type="submit" class="secondary" data-testid="phone-save">${t('users.phone_save')}</button>
                <${ConfirmButton} label=${t('users.phone_clear')} question=${t('users.phone_clear_q')}
                    testid="phone-clear" busy=${busy} onConfirm=${() => save(null)} />
            </p>
        <//>
    </section>`;
}

export function UserDetail({ params }) {
    const { me } = useMe();
    const id = params.id;
    const user = useLoad(() => get(`/users/${seg(id)}`), [id]);
    const [run, busy, error] = useAction();
    const [temp, setTemp] = useState(null);
    const [note, setNote] = useState('');
    const u = user.data;
    const reset = () => run(async () => {
        setNote('');
        const ans = await post(`/users/${seg(id)}/reset-password`, {});
        setTemp(ans.temporary_password);
        await user.reload();
    });
    const unlock = () => run(async () => {
        setNote('');
        await post(`/users/${seg(id)}/unlock`, {});
        setNote(t('users.unlocked', { user: u ? u.username : '' }));
        await user.reload();
    });
    return html`<${Page} title=${u ? t('users.title_one', { user: u.username }) : t('users.title_loading')} testid="page-user"
        actions=${html`<a href=${href('/admin/users')} data-testid="user-back">${t('users.back')}</a>`}>
        <${ErrorBox} error=${user.error} testid="user-error" />
        ${!u && !user.error && html`<${Empty} loading=${true} />`}
        ${u && html`
            <section class="panel" aria-labelledby="props-title" data-testid="user-props" data-id=${u.id}>
                <h2 id="props-title">${t('users.account')}</h2>
                <dl class="props">
                    <dt>${t('users.username')}</dt><dd data-testid="prop-username">${u.username}</dd>
                    <dt>${t('users.email')}</dt><dd>${u.email || html`<span class="muted">${t('common.none')}</span>`}</dd>
                    <dt>${t('users.role')}</dt><dd><${RoleTag} role=${u.role} /></dd>
                    <dt>${t('users.totp')}</dt><dd><${Totp} u=${u} /></dd>
                    <dt>${t('users.phone')}</dt><dd><${Phone} u=${u} /></dd>
                    <dt>${t('users.state')}</dt><dd><${StateTags} u=${u} /></dd>
                    <dt>${t('users.created')}</dt><dd><${Time} value=${u.created_at} /></dd>
                    <dt>${t('users.id')}</dt><dd><code>${u.id}</code></dd>
                </dl>
                ${may(me, 'access.read') && html`<p><a href=${href('/admin/assignments', { account: u.id })}
                    data-testid="user-roles-link">${t('users.roles_link')}</a></p>`}
            </section>
            <section class="panel" aria-labelledby="access-title" data-testid="user-access">
                <h2 id="access-title">${t('users.access')}</h2>
                <${Notice} text=${note} testid="user-notice" />
                <${ErrorBox} error=${error} testid="user-action-error" />
                ${temp && html`<${ShownOnce} title=${t('users.temporary_for', { user: u.username })} text=${temp}
                    testid="reset-temp" />`}
                <p class="hint">${t('users.reset_hint')}</p>
                <p class="row">
                    <${ConfirmButton} label=${t('users.reset')} question=${t('users.reset_q', { user: u.username })}
                        testid="user-reset" busy=${busy} onConfirm=${reset} />
                    <button type="button" class="secondary" data-testid="user-unlock" disabled=${busy}
                        onClick=${unlock}>${t('users.unlock')}</button>
                </p>
                <p class="hint">${t('users.unlock_hint')}</p>
            </section>
            <${PhoneForm} u=${u} onSaved=${user.reload} />
            <${Devices} id=${u.id} />`}
    <//>`;
}
