// The accessibility check of a console screen: axe-core (pinned in
// package-lock.json) run inside the page with the page's real CSP on. The
// script is fetched from the page's own origin (a path the test answers
// itself through page.route, so script-src 'self' admits it); inline
// injection would be refused by the CSP, which is the point of keeping it on.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_PATH = '/static/__test-axe.min.js';

/** Answer AXE_PATH with axe-core on this page (once per page). */
async function install(page) {
    if (page.__svAxe) return;
    page.__svAxe = true;
    await page.route(`**${AXE_PATH}`, (route) => route.fulfill({
        status: 200, contentType: 'text/javascript; charset=utf-8', body: AXE_SOURCE,
    }));
}

/**
 * Run axe on the page as it is now; resolve the violations of impact
 * "serious" or "critical" as short strings (empty when clean).
 */
export async function axeViolations(page, { include = null } = {}) {
    await install(page);
    const loaded = await page.evaluate(() => typeof window.axe === 'object');
    if (!loaded) await page.addScriptTag({ url: AXE_PATH });
    const result = await page.evaluate(async (sel) => {
        const ctx = sel ? { include: [sel] } : document;
        const r = await window.axe.run(ctx, {
            runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
            resultTypes: ['violations'],
        });
        return r.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
        }));
    }, include);
    return result.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.join(', ')}`);
}
