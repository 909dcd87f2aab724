import { t } from '../../i18n.js';
import { html, Page } from '../../ui.js';

export function Settings() {
    return html`<${Page} title=${t('nav.settings')} testid="page-settings"><p>…</p><//>`;
}
