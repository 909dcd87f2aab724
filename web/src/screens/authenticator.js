import { t } from '../i18n.js';
import { html, Page } from '../ui.js';

export function Authenticator() {
    return html`<${Page} title=${t('nav.authenticator')} testid="page-authenticator"><p>…</p><//>`;
}
