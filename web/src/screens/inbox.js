import { t } from '../i18n.js';
import { html, Page } from '../ui.js';

export function Inbox() {
    return html`<${Page} title=${t('nav.inbox')} testid="page-inbox"><p>…</p><//>`;
}
