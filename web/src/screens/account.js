// My account: who I am (GET /me), my second factors (GET /me/factors: the
// authenticator and the masked bound phone) and the change of my own
// password, with the tenant's policy shown as one types (password.js).
import { get } from '../api.js';
import { has, t } from '../i18n.js';
import { PasswordFields } from '../password.js';
import { useMe } from '../session.js';
import { html, ErrorBox, Page, Time, useLoad } from '../ui.js';

/** A role's name in the reader's language (the code itself if unknown). */
export const roleName = (role) => (has(`account.role_${role}`) ? t(`account.role_${role}`) : String(role || ''));

/** A yes/no tag. */
export const YesNo = ({ value, yes, no, testid }) => html`<span class=${`tag ${value ? 'good' : 'bad'}`}
    data-testid=${testid} data-value=${value ? 'true' : 'false'}>${value ? yes : no}</span>`;

export function Profile() {
    const ctx = useMe();
    const load = useLoad(() => get('/me'), []);
    const factors = useLoad(() => get('/me/factors'), []);
    const me = load.data || ctx.me;
    const f = factors.data;

    const changed = () => {
        if (ctx.setFlash) ctx.setFlash({ text: t('password.changed'), kind: 'info', code: 'password_changed' });
        // Every other session of the account has just ended; this one stays.
        load.reload();
    };

    return html`<${Page} title=${t('nav.account')} testid="page-account">
        <${ErrorBox} error=${load.error || factors.error} testid="account-error" />
        ${me && html`<section class="panel" aria-labelledby="account-who" data-testid="account-profile">
            <h2 id="account-who">${t('account.profile')}</h2>
            <dl class="props">
                <dt>${t('account.username')}</dt>
                <dd data-testid="account-username">${me.username}</dd>
                <dt>${t('account.organisation')}</dt>
                <dd data-testid="account-tenant">${me.tenant ? `${me.tenant.name} (${me.tenant.slug})` : ''}</dd>
                <dt>${t('account.role')}</dt>
                <dd data-testid="account-role" data-role=${ctx.me.role}>${roleName(ctx.me.role)}</dd>
                <dt>${t('account.email')}</dt>
                <dd data-testid="account-email">${me.email || html`<span class="muted">${t('common.none')}</span>`}</dd>
                ${f && html`
                    <dt>${t('account.phone')}</dt>
                    <dd data-testid="account-phone">${f.phone
                        ? html`<span>${f.phone}</span>`
                        : html`<span class="muted">${t('account.no_phone')}</span>`}</dd>
                    <dt>${t('account.authenticator')}</dt>
                    <dd class="row">
                        <${YesNo} value=${f.totp} yes=${t('account.totp_on')} no=${t('account.totp_off')} testid="account-totp" />
                        <a href="#/account/authenticator" data-testid="account-totp-link">
                            ${f.totp ? t('account.totp_manage') : t('account.totp_setup')}</a>
                    </dd>`}
                <dt>${t('account.created')}</dt>
                <dd data-testid="account-created"><${Time} value=${me.created_at} /></dd>
            </dl>
        </section>`}
        <section class="panel" aria-labelledby="account-password" data-testid="account-password">
            <h2 id="account-password">${t('password.submit')}</h2>
            <p class="hint">${t('account.password_hint')}</p>
            <${PasswordFields} username=${me ? me.username : ''} onDone=${changed} />
        </section>
    <//>`;
}
