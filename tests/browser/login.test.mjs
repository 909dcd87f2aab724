// The web sign-in page (web/*) in a real browser, against a real server
// (docs/auth-flow.md): strict CSP, the password-only bootstrap sign-in with
// the cookie session, QR approval with number matching driven by the
// `salesvault device` CLI as the user's phone, a denial, and the CAPTCHA.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { PASSWORDS, startServer } from '../api/lib/server.mjs';
import { totp } from '../api/lib/device.mjs';
import {
    activate, auth, deviceScan, enrolDevice, outbox, setPhone, waitSmsCode,
} from './lib/accounts.mjs';
import {
    checkClean, expectScreen, launch, message, openPage, signIn, waitMessageCode, waitScreen,
} from './lib/browser.mjs';

const SLOW = { timeout: 90000 };
// Hooks start servers and chromium: bounded too (run.sh's --test-timeout needs Node 20.11+).
const HOOK = { timeout: 300000 };
const PHONE = '+8613800000000';

let browser;
const keys = mkdtempSync(path.join(tmpdir(), 'sv-browser-keys-'));

before(async () => {
    browser = await launch();
}, HOOK);

after(async () => {
    await browser?.close();
    rmSync(keys, { recursive: true, force: true });
}, HOOK);

/** One directive of a CSP header as a list of sources (null when absent). */
function directive(csp, name) {
    for (const part of csp.split(';')) {
        const words = part.trim().split(/\s+/);
        if (words[0] === name) return words.slice(1);
    }
    return null;
}

describe('web sign-in: page, password, QR approval', () => {
    let srv;
    let admin; // admin session (API)
    let fay; // fay's session (API), to enrol an authenticator
    const users = ['bob', 'carol', 'erin', 'dave', 'fay'];

    before(async () => {
        srv = await startServer({
            name: 'browser-login',
            tenants: [{
                slug: 'acme', name: 'Acme Browser', admin: 'root',
                users: users.map((username) => ({ username })),
            }],
        });
        for (const p of Object.values(PASSWORDS)) srv.secrets.add(p);
        const t = srv.tenants.acme;
        admin = await activate(srv, 'acme', 'root', t.admin.temporary_password, PASSWORDS.admin);
        await activate(srv, 'acme', 'bob', t.users.bob.temporary_password, PASSWORDS.p1);
        await activate(srv, 'acme', 'carol', t.users.carol.temporary_password, PASSWORDS.p2);
        await activate(srv, 'acme', 'dave', t.users.dave.temporary_password, PASSWORDS.p4);
        fay = await activate(srv, 'acme', 'fay', t.users.fay.temporary_password, PASSWORDS.p3);
    }, HOOK);

    after(async () => {
        if (!srv) return;
        try {
            srv.checkLogsClean();
        } finally {
            await srv.cleanup();
        }
    }, HOOK);

    test('a) the page loads under a strict CSP with no console errors or CSP violations', SLOW, async () => {
        const p = await openPage(browser, srv.base);
        try {
            const assets = [];
            p.page.on('response', (r) => assets.push({ url: new URL(r.url()).pathname, status: r.status() }));
            const res = await p.page.goto('/');
            assert.equal(res.status(), 200);
            assert.match(res.headers()['content-type'], /^text\/html/);
            const csp = res.headers()['content-security-policy'] || '';
            assert.deepEqual(directive(csp, 'default-src'), ["'none'"], `CSP: ${csp}`);
            assert.deepEqual(directive(csp, 'script-src'), ["'self'"], `CSP: ${csp}`);
            assert.deepEqual(directive(csp, 'style-src'), ["'self'"], `CSP: ${csp}`);
            assert.deepEqual(directive(csp, 'connect-src'), ["'self'"], `CSP: ${csp}`);
            assert.deepEqual([...directive(csp, 'img-src')].sort(), ["'self'", 'blob:', 'data:'].sort(), `CSP: ${csp}`);
            assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, `CSP: ${csp}`);

            await expectScreen(p.page, 'signin');
            for (const asset of ['/static/app.js', '/static/app.css']) {
                const a = assets.find((x) => x.url === asset);
                assert.ok(a, `${asset} was loaded`);
                assert.equal(a.status, 200, `${asset} status`);
            }
            // Only the three embedded files (plus API calls) were requested.
            const others = assets.filter((a) => !['/', '/static/app.js', '/static/app.css'].includes(a.url)
                && !a.url.startsWith('/api/v1/'));
            assert.deepEqual(others, [], 'no other resources');

            // No inline code or styles; every input has a label; live regions.
            const audit = await p.page.evaluate(() => ({
                inlineScripts: document.querySelectorAll('script:not([src])').length,
                styleAttrs: document.querySelectorAll('[style]').length,
                styleTags: document.querySelectorAll('style').length,
                unlabelled: [...document.querySelectorAll('input:not([hidden])')]
                    .filter((i) => !i.labels || i.labels.length === 0).map((i) => i.id),
                statusLive: document.getElementById('status').getAttribute('aria-live'),
                messageLive: document.getElementById('message').getAttribute('aria-live'),
            }));
            assert.deepEqual(audit, {
                inlineScripts: 0, styleAttrs: 0, styleTags: 0, unlabelled: [],
                statusLive: 'polite', messageLive: 'assertive',
            });
            const form = p.page.getByTestId('signin-form');
            for (const [label, id] of [['Organisation (tenant)', 'tenant'], ['Username', 'username'], ['Password', 'password']]) {
                const input = form.getByLabel(label, { exact: true });
                assert.ok(await input.isVisible(), `"${label}" is visible`);
                assert.equal(await input.getAttribute('id'), id, `"${label}" labels #${id}`);
            }

            // Submitting an empty form names the first missing field, without a request.
            await p.page.getByTestId('signin-submit').click();
            await waitMessageCode(p.page, 'field_missing');
            assert.match((await message(p.page)).text, /Organisation \(tenant\)/);
            assert.equal(await p.page.getByTestId('tenant').getAttribute('aria-invalid'), 'true');

            await checkClean(p);
        } finally {
            await p.close();
        }
    });

    test('a2) the language comes from Accept-Language: zh-CN gets Chinese, zh-TW and en-GB English; an error in Chinese', SLOW, async () => {
        for (const [locale, lang, title] of [['zh-CN', 'zh-CN', '登录'], ['zh-TW', 'en', 'Sign in'], ['en-GB', 'en', 'Sign in']]) {
            const context = await browser.newContext({ baseURL: srv.base, locale });
            try {
                const page = await context.newPage();
                let sent = null;
                page.on('request', (r) => { if (new URL(r.url()).pathname === '/') sent = r.headers()['accept-language']; });
                await page.goto('/');
                await waitScreen(page, 'signin');
                assert.match(sent || '', new RegExp(`^${locale}`), `${locale}: the browser's Accept-Language`);
                assert.equal(await page.evaluate(() => document.documentElement.lang), lang, locale);
                assert.equal((await page.locator('#signin-title').textContent()).trim(), title, locale);
                if (lang === 'zh-CN') {
                    await page.getByTestId('tenant').fill('acme');
                    await page.getByTestId('username').fill('nobody');
                    await page.getByTestId('password').fill('Wrong-Password-1');
                    await page.getByTestId('signin-submit').click();
                    await waitMessageCode(page, 'invalid_credentials');
                    assert.equal((await message(page)).text, '组织、用户名或密码错误，请检查后重试。');
                }
            } finally {
                await context.close();
            }
        }
    });

    test('b) password-only sign-in (no second factor), cookie session, sign-out', SLOW, async () => {
        const p = await openPage(browser, srv.base);
        try {
            const { page, context } = p;
            let loginBody = null;
            page.on('request', (r) => {
                if (r.method() === 'POST' && r.url().endsWith('/api/v1/auth/login')) loginBody = r.postDataJSON();
            });
            await page.goto('/');
            await signIn(page, 'acme', 'bob', PASSWORDS.p1);
            await expectScreen(page, 'signedin');
            assert.equal((await page.getByTestId('signed-in-as').textContent()).trim(), 'Signed in as bob (acme)');

            // The login body names the browser as a web device.
            assert.equal(loginBody.device.kind, 'web');
            assert.equal(typeof loginBody.device.name, 'string');
            assert.ok(loginBody.device.name.length > 0, 'device.name');
            assert.equal(typeof loginBody.device.platform, 'string');
            assert.deepEqual(Object.keys(loginBody).sort(), ['device', 'password', 'tenant', 'username']);

            // The session lives only in an HttpOnly, Secure, SameSite=Strict cookie.
            const cookies = await context.cookies(srv.base);
            const session = cookies.find((c) => c.name === '__Host-sv_session');
            assert.ok(session, `__Host-sv_session cookie set: ${cookies.map((c) => c.name)}`);
            assert.equal(session.httpOnly, true, '__Host-sv_session HttpOnly');
            assert.equal(session.secure, true, '__Host-sv_session Secure');
            assert.equal(session.sameSite, 'Strict', '__Host-sv_session SameSite');
            assert.equal(session.path, '/', '__Host-sv_session Path');
            const device = cookies.find((c) => c.name === '__Host-sv_device');
            assert.ok(device, '__Host-sv_device cookie set');
            assert.equal(device.httpOnly, true, '__Host-sv_device HttpOnly');
            assert.equal(device.secure, true, '__Host-sv_device Secure');
            assert.equal(device.sameSite, 'Strict', '__Host-sv_device SameSite');
            srv.secrets.add(session.value);
            const storage = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
            assert.ok(!storage.includes(session.value), 'the session token is not in web storage');
            assert.ok(!storage.includes(PASSWORDS.p1), 'the password is not in web storage');

            // A reload stays signed in (GET /me with the cookie).
            await page.reload();
            await expectScreen(page, 'signedin');
            assert.match(await page.getByTestId('signed-in-as').textContent(), /Signed in as bob \(acme\)/);

            // Sign out: POST /auth/logout with X-CSRF-Token.
            let logoutHeaders = null;
            page.on('request', (r) => {
                if (r.url().endsWith('/api/v1/auth/logout')) logoutHeaders = r.headers();
            });
            const [logout] = await Promise.all([
                page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/logout')),
                page.getByTestId('signout').click(),
            ]);
            assert.equal(logout.status(), 204, 'logout answers 204');
            assert.ok(logoutHeaders['x-csrf-token'], 'logout carries X-CSRF-Token');
            await expectScreen(page, 'signin');
            await waitMessageCode(page, 'signed_out');

            // The old session is dead: the page and the API both say so.
            const me = await srv.api('GET', '/me', { headers: { cookie: `__Host-sv_session=${session.value}` } });
            assert.equal(me.status, 401, `GET /me with the revoked cookie: ${me.text}`);
            await page.reload();
            await expectScreen(page, 'signin');
            await checkClean(p);
        } finally {
            await p.close();
        }
    });

    test('b2) a temporary password leads to the change-password screen, then in', SLOW, async () => {
        const p = await openPage(browser, srv.base);
        try {
            const { page } = p;
            await page.goto('/');
            await signIn(page, 'acme', 'erin', srv.tenants.acme.users.erin.temporary_password);
            await expectScreen(page, 'password');
            await page.getByTestId('pw-current').fill(srv.tenants.acme.users.erin.temporary_password);
            await page.getByTestId('pw-new').fill(PASSWORDS.p3);
            await page.getByTestId('pw-repeat').fill(PASSWORDS.p4);
            await page.getByTestId('pw-submit').click();
            await waitMessageCode(page, 'password_mismatch');
            await page.getByTestId('pw-repeat').fill(PASSWORDS.p3);
            await page.getByTestId('pw-submit').click();
            await expectScreen(page, 'signedin');
            await waitMessageCode(page, 'password_changed');
            assert.match(await page.getByTestId('signed-in-as').textContent(), /Signed in as erin \(acme\)/);
            await checkClean(p);
        } finally {
            await p.close();
        }
    });

    test('b3) an account with a phone and no trusted device: a texted code signs the browser in (a wrong one is refused)', SLOW, async () => {
        const phone = '+8613800000077';
        await setPhone(srv, admin, srv.tenants.acme.users.dave.id, phone);
        const p = await openPage(browser, srv.base);
        try {
            const { page, context } = p;
            await page.goto('/');
            await signIn(page, 'acme', 'dave', PASSWORDS.p4);
            await expectScreen(page, 'code');
            assert.equal(await page.locator('#screen-code').getAttribute('data-method'), 'sms');
            const seen = outbox(srv.dir).length;
            await page.getByTestId('sms-send').click();
            await page.waitForSelector('[data-testid="sms-sent"]:not([hidden])');
            assert.match(await page.getByTestId('sms-sent').textContent(), /0077/, 'masked number shown');
            const code = await waitSmsCode(srv.dir, phone, seen);
            const wrong = code === '000000' ? '111111' : '000000';
            await page.getByTestId('code').fill(wrong);
            await page.getByTestId('code-submit').click();
            await waitMessageCode(page, 'code_invalid');
            await page.getByTestId('code').fill(code);
            await page.getByTestId('code-submit').click();
            await expectScreen(page, 'signedin', 30000);
            assert.equal((await page.getByTestId('signed-in-as').textContent()).trim(), 'Signed in as dave (acme)');
            const session = (await context.cookies(srv.base)).find((c) => c.name === '__Host-sv_session');
            assert.ok(session && session.httpOnly && session.secure && session.sameSite === 'Strict');
            await checkClean(p);
        } finally {
            await p.close();
        }
    });

    test('b4) an account with an authenticator app and no trusted device: its code signs the browser in (a wrong one is refused)', SLOW, async () => {
        const start = await srv.api('POST', '/me/totp', { ...auth(fay), body: {} });
        assert.equal(start.status, 200, start.text);
        const secret = start.json.secret;
        srv.secrets.add(secret);
        const confirm = await srv.api('POST', '/me/totp/confirm', { ...auth(fay), body: { code: totp(secret) } });
        assert.equal(confirm.status, 200, confirm.text);
        for (const c of confirm.json.recovery_codes) srv.secrets.add(c);
        const p = await openPage(browser, srv.base);
        try {
            const { page } = p;
            await page.goto('/');
            await signIn(page, 'acme', 'fay', PASSWORDS.p3);
            await expectScreen(page, 'code');
            assert.equal(await page.locator('#screen-code').getAttribute('data-method'), 'totp');
            await page.getByTestId('code').fill('000000' === totp(secret) ? '111111' : '000000');
            await page.getByTestId('code-submit').click();
            await waitMessageCode(page, 'code_invalid');
            // The confirming code's step is spent: the next step's code (±1 window).
            await page.getByTestId('code').fill(totp(secret, Date.now() + 30000));
            await page.getByTestId('code-submit').click();
            await expectScreen(page, 'signedin', 30000);
            assert.equal((await page.getByTestId('signed-in-as').textContent()).trim(), 'Signed in as fay (acme)');
            await checkClean(p);
        } finally {
            await p.close();
        }
    });

    describe('QR approval with a CLI device as the phone', () => {
        const keyFile = path.join(keys, 'carol-device.json');
        let cacert;

        before(async () => {
            cacert = path.join(srv.dir, 'tls', 'cert.pem');
            await setPhone(srv, admin, srv.tenants.acme.users.carol.id, PHONE);
            await enrolDevice(srv, {
                tenant: 'acme', username: 'carol', password: PASSWORDS.p2, phone: PHONE, keyFile, cacert,
            });
        }, HOOK);

        /** Sign carol in on a fresh page up to the QR screen; resolves {payload, number}. */
        async function toQr(page) {
            await page.goto('/');
            await signIn(page, 'acme', 'carol', PASSWORDS.p2);
            await expectScreen(page, 'approval');
            const qr = page.getByTestId('qr-image');
            await page.waitForSelector('[data-testid="qr-image"][data-qr-payload^="svqr1."]');
            const payload = await qr.getAttribute('data-qr-payload');
            assert.match(payload, /^svqr1\.[^.]+\.[A-Za-z0-9_-]{43}=?$/, 'QR payload text');
            assert.match(await qr.getAttribute('src'), /^data:image\/png;base64,/);
            assert.ok(await page.evaluate(() => {
                const img = document.getElementById('qr-image');
                return img.complete && img.naturalWidth > 0;
            }), 'the QR image is shown');
            assert.equal(await page.getByTestId('qr-payload').inputValue(), payload, 'copyable payload text');
            const number = Number((await page.getByTestId('approval-number').textContent()).trim());
            assert.ok(Number.isInteger(number) && number >= 10 && number <= 99, `number ${number}`);
            assert.match(await page.getByTestId('approval-hint').textContent(), new RegExp(`pick ${number} on your phone`));
            await page.waitForSelector('[data-testid="status"]:has-text("Waiting for approval")');
            return { payload, number };
        }

        test('c) sign in by scanning the QR code and picking the number on the phone', SLOW, async () => {
            const p = await openPage(browser, srv.base);
            try {
                const { page, context } = p;
                const { payload, number } = await toQr(page);
                await page.evaluate(() => { window.__svNoReload = true; });
                await deviceScan(payload, { number, keyFile, cacert });
                await expectScreen(page, 'signedin', 30000);
                assert.equal(await page.evaluate(() => window.__svNoReload), true, 'signed in without a reload');
                assert.equal((await page.getByTestId('signed-in-as').textContent()).trim(), 'Signed in as carol (acme)');
                const session = (await context.cookies(srv.base)).find((c) => c.name === '__Host-sv_session');
                assert.ok(session && session.httpOnly && session.secure && session.sameSite === 'Strict',
                    'cookie session after approval');
                await checkClean(p);
            } finally {
                await p.close();
            }
        });

        test('c2) the phone reads the QR image itself (salesvault device scan --png, libzbar)', SLOW, async () => {
            const p = await openPage(browser, srv.base);
            try {
                const { page } = p;
                const { number } = await toQr(page);
                const src = await page.getByTestId('qr-image').getAttribute('src');
                const png = path.join(keys, 'qr.png');
                writeFileSync(png, Buffer.from(src.replace(/^data:image\/png;base64,/, ''), 'base64'));
                await deviceScan(null, { number, keyFile, cacert, png });
                await expectScreen(page, 'signedin', 30000);
                await checkClean(p);
            } finally {
                await p.close();
            }
        });

        test('d) a sign-in denied on the phone shows the denial and starts again', SLOW, async () => {
            const p = await openPage(browser, srv.base);
            try {
                const { page, context } = p;
                const { payload } = await toQr(page);
                await deviceScan(payload, { deny: true, keyFile, cacert });
                await waitMessageCode(page, 'approval_denied', 30000);
                const m = await message(page);
                assert.match(m.text, /denied/i);
                assert.equal(m.kind, 'error');
                await waitScreen(page, 'signin');
                assert.ok(!(await context.cookies(srv.base)).some((c) => c.name === '__Host-sv_session'), 'no session cookie');
                await checkClean(p);
            } finally {
                await p.close();
            }
        });
    });
});

describe('web sign-in: CAPTCHA after failures', () => {
    let srv;

    before(async () => {
        srv = await startServer({
            name: 'browser-captcha',
            // The contract's defaults (the API harness raises them for legacy suites).
            conf: { auth: { captcha_after: '3', lock_after: '10' } },
            tenants: [{ slug: 'globex', name: 'Globex', admin: 'root', users: [{ username: 'dave' }] }],
        });
        for (const p of Object.values(PASSWORDS)) srv.secrets.add(p);
        await activate(srv, 'globex', 'dave', srv.tenants.globex.users.dave.temporary_password, PASSWORDS.p1);
    }, HOOK);

    after(async () => {
        if (!srv) return;
        try {
            srv.checkLogsClean();
        } finally {
            await srv.cleanup();
        }
    }, HOOK);

    test('e) three wrong passwords bring the CAPTCHA; a wrong answer is refused', SLOW, async () => {
        const p = await openPage(browser, srv.base);
        try {
            const { page } = p;
            await page.goto('/');
            const submitLogin = async (password) => {
                await waitScreen(page, 'signin');
                await page.getByTestId('tenant').fill('globex');
                await page.getByTestId('username').fill('dave');
                await page.getByTestId('password').fill(password);
                const [r] = await Promise.all([
                    page.waitForResponse((x) => x.url().endsWith('/api/v1/auth/login')),
                    page.getByTestId('signin-submit').click(),
                ]);
                return r;
            };
            for (let i = 1; i <= 3; i++) {
                const r = await submitLogin(`Wrong-password-${i}!`);
                assert.equal(r.status(), 401, `wrong password ${i}`);
                await waitMessageCode(page, 'invalid_credentials');
                assert.match((await message(page)).text, /username or password is wrong/);
            }

            // The fourth attempt (even with the right password) needs the CAPTCHA.
            await submitLogin(PASSWORDS.p1);
            await expectScreen(page, 'captcha');
            const img = page.getByTestId('captcha-image');
            await page.waitForSelector('[data-testid="captcha-image"][data-loaded="true"][src^="blob:"]');
            const loaded = () => page.evaluate(() => {
                const i = document.getElementById('captcha-image');
                return i.complete && i.naturalWidth > 0;
            });
            assert.ok(await loaded(), 'the CAPTCHA picture is shown');
            const first = await img.getAttribute('src');

            // "New picture" draws another one.
            await page.getByTestId('captcha-refresh').click();
            await page.waitForFunction((old) => {
                const i = document.getElementById('captcha-image');
                return i.src && i.src !== old && i.dataset.loaded === 'true';
            }, first);
            const second = await img.getAttribute('src');

            // A wrong answer: a specific message, a new picture, still on the CAPTCHA.
            await page.getByTestId('captcha-answer').fill('zzzzzz');
            await page.getByTestId('captcha-password').fill(PASSWORDS.p1);
            const [r] = await Promise.all([
                page.waitForResponse((x) => /\/api\/v1\/auth\/challenges\/[^/]+\/captcha$/.test(x.url())
                    && x.request().method() === 'POST'),
                page.getByTestId('captcha-submit').click(),
            ]);
            assert.equal(r.status(), 401);
            assert.ok(r.request().headers()['x-challenge-token'], 'X-Challenge-Token sent');
            await waitMessageCode(page, 'captcha_invalid');
            assert.match((await message(page)).text, /do not match the picture/);
            await waitScreen(page, 'captcha');
            assert.equal(await page.getByTestId('captcha-answer').getAttribute('aria-invalid'), 'true');
            await page.waitForFunction((old) => {
                const i = document.getElementById('captcha-image');
                return i.src && i.src !== old && i.dataset.loaded === 'true';
            }, second);
            await checkClean(p);
        } finally {
            await p.close();
        }
    });
});
