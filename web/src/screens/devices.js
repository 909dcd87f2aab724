import { t } from '../i18n.js';
import { html, Page } from '../ui.js';

export function MyDevices() {
    return html`<${Page} title=${t('nav.devices')} testid="page-devices"><p>…</p><//>`;
}
