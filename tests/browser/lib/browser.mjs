// Browser plumbing for the web sign-in tests: Debian's chromium driven by
// playwright-core, trusting the run's test certificate (and only it) by its
// public key pin, plus a page that records console errors, page errors and
// Content-Security-Policy violations.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.SV_CHROMIUM || '/usr/bin/chromium';

/** base64(SHA-256(SubjectPublicKeyInfo)) of a PEM certificate (RFC 7469). */
export function spkiPin(certPem) {
    const cert = new X509Certificate(certPem);
    const der = cert.publicKey.export({ type: 'spki', format: 'der' });
    return createHash('sha256').update(der).digest('base64');
}

/** The certificate every test server uses (tests/browser/run.sh made it). */
export function testCertPath() {
    const dir = process.env.SV_TEST_CERT_DIR;
    if (!dir) throw new Error('SV_TEST_CERT_DIR is not set: run the tests through tests/browser/run.sh');
    return path.join(dir, 'cert.pem');
}

/**
 * Launch chromium. It trusts the test certificate through
 * --ignore-certificate-errors-spki-list (effective because playwright passes
 * its own --user-data-dir), so no ignoreHTTPSErrors is needed: a server with
 * any other certificate still fails. --no-sandbox: the tests may run as root.
 */
export async function launch() {
    const pin = spkiPin(readFileSync(testCertPath()));
    return chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', `--ignore-certificate-errors-spki-list=${pin}`,
            '--disable-features=Translate,MediaRouter', '--no-first-run'],
    });
}

/**
 * A fresh context and page. `problems` collects what must never happen:
 * page errors, CSP violations and console errors, except Chrome's "Failed to
 * load resource" lines for /api/ calls (the page asks GET /me to learn whether
 * it is signed in and shows API errors itself: an answer of 401 is expected).
 */
export async function openPage(browser, base) {
    const context = await browser.newContext({ baseURL: base, locale: 'en-GB' });
    const page = await context.newPage();
    const problems = [];
    const apiErrors = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() !== 'error' && m.type() !== 'warning') return;
        const text = m.text();
        const url = m.location()?.url || '';
        if (m.type() === 'error' && /^Failed to load resource: the server responded with a status of \d+/.test(text)
            && new URL(url, base).pathname.startsWith('/api/')) {
            apiErrors.push(`${text} ${url}`);
            return;
        }
        if (/Content.Security.Policy|Refused to/i.test(text) || m.type() === 'error') {
            problems.push(`console ${m.type()}: ${text} (${url})`);
        }
    });
    // CSP violations also fire an event in the page; record them too.
    await context.addInitScript(() => {
        window.__svCsp = [];
        document.addEventListener('securitypolicyviolation', (e) => {
            window.__svCsp.push(`${e.violatedDirective} ${e.blockedURI}`);
        });
    });
    page.setDefaultTimeout(15000);
    return {
        context, page, problems, apiErrors,
        async cspViolations() {
            return page.evaluate(() => window.__svCsp || []);
        },
        async close() {
            await context.close();
        },
    };
}

/** No console errors, page errors or CSP violations on the page so far. */
export async function checkClean(p) {
    assert.deepEqual(p.problems, [], 'console errors, page errors or CSP reports');
    assert.deepEqual(await p.cspViolations(), [], 'securitypolicyviolation events');
}

/** The page's message line: {text, code, kind}. */
export async function message(page) {
    const m = page.getByTestId('message');
    return {
        text: ((await m.textContent()) || '').trim(),
        code: (await m.getAttribute('data-code')) || '',
        kind: (await m.getAttribute('data-kind')) || '',
        hidden: await m.isHidden(),
    };
}

/** Wait until #app shows this screen (data-screen). */
export async function waitScreen(page, name, timeout = 15000) {
    await page.waitForSelector(`#app[data-screen="${name}"]`, { timeout });
}

/** Fill and submit the sign-in form. */
export async function signIn(page, tenant, username, password) {
    await waitScreen(page, 'signin');
    await page.getByTestId('tenant').fill(tenant);
    await page.getByTestId('username').fill(username);
    await page.getByTestId('password').fill(password);
    await page.getByTestId('signin-submit').click();
}

/** Wait for the message line to carry this error code (data-code). */
export async function waitMessageCode(page, code, timeout = 15000) {
    try {
        await page.waitForSelector(`[data-testid="message"][data-code="${code}"]`, { timeout });
    } catch (e) {
        const m = await message(page);
        const screen = await page.getAttribute('#app', 'data-screen');
        throw new Error(`no message with code ${code} within ${timeout} ms; screen ${screen}, message ${JSON.stringify(m)}`);
    }
}

/** Wait for a screen; on timeout say what the page shows instead. */
export async function expectScreen(page, name, timeout = 15000) {
    try {
        await waitScreen(page, name, timeout);
    } catch (e) {
        const m = await message(page);
        const screen = await page.getAttribute('#app', 'data-screen');
        throw new Error(`screen "${name}" did not appear within ${timeout} ms; the page shows "${screen}" with message ${JSON.stringify(m)}`);
    }
}
