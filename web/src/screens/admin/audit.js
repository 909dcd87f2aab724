import { t } from '../../i18n.js';
import { html, Page } from '../../ui.js';

export function AuditLog() {
    return html`<${Page} title=${t('nav.audit')} testid="page-audit"><p>…</p><//>`;
}
