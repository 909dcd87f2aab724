import { t } from '../../i18n.js';
import { html, Page } from '../../ui.js';

export function Users() {
    return html`<${Page} title=${t('nav.users')} testid="page-users"><p>…</p><//>`;
}

export function UserDetail({ params }) {
    return html`<${Page} title=${params.id} testid="page-user"><p>…</p><//>`;
}
