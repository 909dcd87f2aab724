import { t } from '../i18n.js';
import { html, Page } from '../ui.js';

export function MySessions() {
    return html`<${Page} title=${t('nav.sessions')} testid="page-sessions"><p>…</p><//>`;
}
