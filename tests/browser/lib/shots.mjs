// Screenshots of the console's main screens for docs/console.md. Taken by
// the tests as they drive each screen; written to docs/console/NAME.png only
// when SV_SCREENSHOTS=1 (then committed when they change), else into the
// run's log directory, so an ordinary `make test` leaves the tree clean.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Save a screenshot of @p page as NAME.png (1280x800, the viewport only). */
export async function shot(page, name) {
    const dir = process.env.SV_SCREENSHOTS === '1'
        ? path.join(REPO, 'docs/console')
        : path.join(process.env.SV_TEST_LOG_DIR || '/tmp', 'screenshots');
    mkdirSync(dir, { recursive: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    // Dates and counters change between runs; the layout and the words are what matter.
    await page.screenshot({ path: path.join(dir, `${name}.png`), animations: 'disabled', caret: 'hide' });
}
