import { t } from '../../i18n.js';
import { html, Page } from '../../ui.js';

export function Blacklist() {
    return html`<${Page} title=${t('nav.blacklist')} testid="page-blacklist"><p>…</p><//>`;
}
