// Entry point: the language, then the console into <main id="app">.
import { render } from 'preact';

import { initLanguage } from './i18n.js';
import { App } from './app.js';
import { html } from './ui.js';

function boot() {
    initLanguage();
    const root = document.getElementById('app');
    root.replaceChildren();
    render(html`<${App} />`, root);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
