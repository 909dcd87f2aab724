import { t } from '../../i18n.js';
import { html, Page } from '../../ui.js';

export function Dashboard() {
    return html`<${Page} title=${t('nav.dashboard')} testid="page-dashboard"><p>…</p><//>`;
}
