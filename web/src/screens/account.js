import { t } from '../i18n.js';
import { html, Page } from '../ui.js';

export function Profile() {
    return html`<${Page} title=${t('nav.account')} testid="page-account"><p>…</p><//>`;
}
