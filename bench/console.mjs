// Scenario 9 of bench/run.sh: the web console's first paint on loopback.
//
//   node bench/console.mjs BASE TENANT USERNAME PASSWORD CERT_PEM RUNS
//
// Signs in once through the page (a real password sign-in, production
// hashing), keeps the session cookie, then RUNS times opens the console in a
// fresh browser context (an empty HTTP cache: cold) and times, from the
// navigation's start: the first contentful paint, and "ready" (the layout
// with its navigation and the first screen's heading rendered: the console's
// own performance mark "sv:console-ready", set when its first screen mounts). The
// reference, in the same browser and run: a cold load of /static/app.css as
// a document (one TLS connection, one request, no script): what any page on
// this server costs at least. Also the bytes the console's script and style
// sheet took on the wire (gzip) and uncompressed. Prints one line:
//   CONSOLE runs=N fcp_p50=… fcp_p90=… ready_p50=… ready_p90=… ready_max=…
//           ref_p50=… signin_ms=… js_wire=… js_raw=… css_wire=… error=…
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../tests/browser/package.json'));
const { chromium } = require('playwright-core');

const [base, tenant, username, password, certPath, runsArg] = process.argv.slice(2);
const RUNS = Number(runsArg || 10);

function pin(pem) {
    const der = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
    return createHash('sha256').update(der).digest('base64');
}

const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const r1 = (x) => Math.round(x * 10) / 10;

async function main() {
    const browser = await chromium.launch({
        executablePath: process.env.SV_CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', `--ignore-certificate-errors-spki-list=${pin(readFileSync(certPath))}`,
            '--disable-features=Translate,MediaRouter', '--no-first-run'],
    });
    try {
        // Sign in through the page once; keep the cookie.
        const first = await browser.newContext({ baseURL: base, locale: 'en-GB' });
        const page = await first.newPage();
        await page.goto('/');
        await page.waitForSelector('#app[data-screen="signin"]');
        await page.fill('#tenant', tenant);
        await page.fill('#username', username);
        await page.fill('#password', password);
        const t0 = Date.now();
        await page.click('#signin-submit');
        await page.waitForSelector('#app[data-screen="signedin"] [data-testid="nav"]', { timeout: 30000 });
        await page.waitForSelector('#page-title');
        const signinMs = Date.now() - t0;
        const state = await first.storageState();
        await first.close();

        const fcp = [];
        const ready = [];
        const ref = [];
        let bytes = null;
        for (let i = 0; i < RUNS; i++) {
            // Reference: the smallest document this server sends, cold.
            const rc = await browser.newContext({ baseURL: base });
            const rp = await rc.newPage();
            await rp.goto('/static/app.css');
            ref.push(await rp.evaluate(() => performance.getEntriesByType('navigation')[0].responseEnd));
            await rc.close();

            const ctx = await browser.newContext({ baseURL: base, locale: 'en-GB', storageState: state });
            const p = await ctx.newPage();
            await p.goto('/');
            await p.waitForSelector('#app[data-screen="signedin"] [data-testid="nav"]');
            await p.waitForSelector('#page-title');
            const m = await p.evaluate(() => {
                const paint = performance.getEntriesByName('first-contentful-paint')[0];
                const res = performance.getEntriesByType('resource');
                const js = res.find((r) => r.name.endsWith('/static/app.js'));
                const css = res.find((r) => r.name.endsWith('/static/app.css'));
                const mark = performance.getEntriesByName('sv:console-ready')[0];
                return {
                    fcp: paint ? paint.startTime : null,
                    now: mark ? mark.startTime : performance.now(),
                    js: js ? [js.encodedBodySize, js.decodedBodySize] : null,
                    css: css ? [css.encodedBodySize, css.decodedBodySize] : null,
                };
            });
            if (m.fcp !== null) fcp.push(m.fcp);
            ready.push(m.now);
            bytes = bytes || m;
            await ctx.close();
        }
        const out = {
            runs: RUNS,
            fcp_p50: r1(pct(fcp, 50)), fcp_p90: r1(pct(fcp, 90)),
            ready_p50: r1(pct(ready, 50)), ready_p90: r1(pct(ready, 90)), ready_max: r1(Math.max(...ready)),
            ref_p50: r1(pct(ref, 50)), signin_ms: signinMs,
            js_wire: bytes.js ? bytes.js[0] : 'na', js_raw: bytes.js ? bytes.js[1] : 'na',
            css_wire: bytes.css ? bytes.css[0] : 'na', css_raw: bytes.css ? bytes.css[1] : 'na',
        };
        console.log(`CONSOLE ${Object.entries(out).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    } finally {
        await browser.close();
    }
}

main().catch((e) => {
    console.log(`CONSOLE error=${String(e && e.message || e).replace(/\s+/g, '_').slice(0, 200)}`);
    process.exitCode = 1;
});
