// The console's own-account screens (issue 10) in a real browser against a
// real server, driven as a person would: the profile and the change of
// password with the policy shown as one types, the authenticator app
// (enrol from the QR screen's key, recovery codes shown once and
// downloaded, sign in with it, remove it), devices and sessions revoked
// from another browser, the inbox and its unread count, the Chinese
// console, and a tenant that requires MFA. Every screen passes axe with the
// real CSP on and leaves no console error or CSP report.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { PASSWORDS, startServer } from '../api/lib/server.mjs';
import { totp } from '../api/lib/device.mjs';
import { activate, auth } from './lib/accounts.mjs';
import { axeViolations } from './lib/axe.mjs';
import {
    expectScreen, launch, openPage, signIn, waitMessageCode,
} from './lib/browser.mjs';
import { shot } from './lib/shots.mjs';

const SLOW = { timeout: 90000 };
const HOOK = { timeout: 300000 };
const USERS = ['ann', 'ben', 'cat', 'dan', 'eve'];
const NEW_PASSWORD = 'Fv6^tMy3!qKd';

let browser;
let srv;
const sessions = {}; // API sessions, by username
const pending = {}; // server calls not there yet (404): name → true

before(async () => {
    browser = await launch();
    srv = await startServer({
        name: 'browser-account',
        tenants: [
            { slug: 'acme', name: 'Acme Account', admin: 'root', users: USERS.map((username) => ({ username })) },
            { slug: 'strict', name: 'Strict MFA', admin: 'sroot', users: [{ username: 'gil' }] },
        ],
    });
    for (const p of [...Object.values(PASSWORDS), NEW_PASSWORD]) srv.secrets.add(p);
    const acme = srv.tenants.acme;
    for (const u of USERS) {
        sessions[u] = await activate(srv, 'acme', u, acme.users[u].temporary_password, PASSWORDS.p1);
    }
    await activate(srv, 'strict', 'gil', srv.tenants.strict.users.gil.temporary_password, PASSWORDS.p1);
    const on = await srv.cli(['tenant', 'policy', 'strict', '--require-mfa', 'on']);
    assert.equal(on.code, 0, on.stderr);

    // Calls another engineer is adding: the tests that need them say so.
    const a = auth(sessions.eve);
    pending.check = (await srv.api('POST', '/me/password/check', { ...a, body: { password: 'x' } })).status === 404;
    pending.unread = (await srv.api('GET', '/me/inbox/unread', a)).status === 404;
    pending.read = (await srv.api('POST', '/me/inbox/read', { ...a, body: { all: false } })).status === 404;
    const me = (await srv.api('GET', '/me', a)).json || {};
    pending.me_totp = typeof me.totp !== 'boolean';
    pending.me_phone = !('phone' in me);
}, HOOK);

after(async () => {
    await browser?.close();
    if (!srv) return;
    try {
        srv.checkLogsClean();
    } finally {
        await srv.cleanup();
    }
}, HOOK);

/** Every page of a test ends without console errors, page errors or CSP violations. */
async function checkClean(p) {
    assert.deepEqual(p.problems, [], 'console errors, page errors or CSP reports');
    assert.deepEqual(await p.cspViolations(), [], 'securitypolicyviolation events');
}

async function checkAxe(page, what) {
    assert.deepEqual(await axeViolations(page), [], `axe on ${what}`);
}

/** A fresh browser signed in as acme/@p user. */
async function signedIn(user, password = PASSWORDS.p1) {
    const p = await openPage(browser, srv.base);
    await p.page.goto('/');
    await signIn(p.page, 'acme', user, password);
    await expectScreen(p.page, 'signedin');
    await p.page.getByTestId('page-account').waitFor();
    return p;
}

/** Open a screen through the navigation, as a person would. */
async function open(page, path, testid) {
    await page.getByTestId(`nav-${path.slice(1).replace(/\//g, '-')}`).click();
    await page.getByTestId(testid).waitFor();
}

const noPending = (t, names) => {
    const missing = names.filter((n) => pending[n]);
    if (missing.length) t.diagnostic(`pending on the server, not tested: ${missing.join(', ')}`);
    return missing.length === 0;
};

/** The authenticator screen says one is enrolled (from GET /me, else from POST /me/totp's 409). */
async function expectEnrolled(t, page) {
    if (!noPending(t, ['me_totp'])) {
        await page.getByTestId('totp-start').click();
    }
    await page.waitForSelector('[data-testid="totp-status"][data-enrolled="true"]');
    await page.getByTestId('totp-remove').waitFor();
    assert.equal(await page.getByTestId('totp-error').count(), 0, 'the 409 is not shown as an error');
}

/** The id of the device a signed-in page's session is on. */
const deviceOf = (page) => page.evaluate(async () => {
    const r = await fetch('/api/v1/me', { headers: { Accept: 'application/json' } });
    return (await r.json()).device.id;
});

describe('console: my account', () => {
    test('1) profile shows the account; the password policy as one types; change it and sign in with it', SLOW, async (t) => {
        const p = await signedIn('ann');
        try {
            const { page } = p;
            assert.equal(await page.evaluate(() => location.hash), '#/account');
            assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'page-title',
                'the heading has the focus');
            assert.equal((await page.getByTestId('account-username').textContent()).trim(), 'ann');
            assert.equal((await page.getByTestId('account-tenant').textContent()).trim(), 'Acme Account (acme)');
            assert.equal(await page.getByTestId('account-role').getAttribute('data-role'), 'member');
            assert.match(await page.getByTestId('account-created').locator('time').getAttribute('datetime'), /^\d{4}-/);
            if (noPending(t, ['me_totp'])) {
                assert.equal(await page.getByTestId('account-totp').getAttribute('data-value'), 'false');
            }
            if (noPending(t, ['me_phone'])) assert.ok(await page.getByTestId('account-phone').isVisible());
            await checkAxe(page, 'account');
            await shot(page, 'account');

            // The policy as one types: the server's verdict on each rule and the strength.
            await page.getByTestId('pw-current').fill(PASSWORDS.p1);
            if (noPending(t, ['check'])) {
                await page.getByTestId('pw-new').fill('abc');
                await page.waitForSelector('[data-testid="pw-verdict"][data-state="refused"]');
                assert.ok(await page.locator('[data-testid="pw-verdict"] li[data-ok="false"]').count() > 0,
                    'a failing rule is shown');
                assert.ok(Number(await page.getByTestId('pw-strength').getAttribute('data-score')) <= 1, 'a low strength');
                await page.getByTestId('pw-new').fill(NEW_PASSWORD);
                await page.waitForSelector('[data-testid="pw-verdict"][data-state="ok"]');
                assert.equal(await page.locator('[data-testid="pw-verdict"] li[data-ok="false"]').count(), 0);
                await checkAxe(page, 'account with the password verdict');
            } else {
                await page.getByTestId('pw-new').fill(NEW_PASSWORD);
            }
            await page.getByTestId('pw-repeat').fill(NEW_PASSWORD);
            await page.getByTestId('pw-repeat').press('Enter'); // the keyboard submits
            await waitMessageCode(page, 'password_changed');
            assert.equal(await page.getByTestId('pw-current').inputValue(), '', 'the fields are emptied');

            await page.getByTestId('signout').click();
            await expectScreen(page, 'signin');
            await signIn(page, 'acme', 'ann', PASSWORDS.p1);
            await waitMessageCode(page, 'invalid_credentials');
            await signIn(page, 'acme', 'ann', NEW_PASSWORD);
            await expectScreen(page, 'signedin');
            await checkClean(p);
        } finally {
            await p.close();
        }
    });

    test('2) enrol an authenticator from the key on the screen, recovery codes once, sign in with it, remove it', SLOW, async (t) => {
        const p = await signedIn('ben');
        try {
            const { page } = p;
            await open(page, '/account/authenticator', 'page-authenticator');
            await page.getByTestId('totp-start').click();
            await page.getByTestId('totp-qr').waitFor();
            assert.match(await page.getByTestId('totp-qr').getAttribute('src'), /^data:image\/png;base64,/);
            assert.ok(await page.evaluate(() => {
                const img = document.querySelector('[data-testid="totp-qr"]');
                return img.complete && img.naturalWidth > 0;
            }), 'the QR image is shown');
            const secret = (await page.getByTestId('totp-secret').textContent()).replace(/\s+/g, '');
            assert.match(secret, /^[A-Z2-7]{16,}$/);
            srv.secrets.add(secret);
            await checkAxe(page, 'authenticator (QR)');
            await shot(page, 'authenticator');

            // A wrong code is refused and names the field.
            const now = totp(secret);
            await page.getByTestId('totp-code').fill(now === '000000' ? '111111' : '000000');
            await page.getByTestId('totp-code').press('Enter');
            await page.waitForSelector('[data-testid="totp-error"][data-code="code_invalid"]');
            await page.getByTestId('totp-code').fill(now);
            await page.getByTestId('totp-confirm').click();

            // The recovery codes, once, and as a download of the same text.
            await page.getByTestId('totp-recovery').waitFor();
            const text = (await page.getByTestId('recovery-text').textContent()).trim();
            const codes = text.split('\n');
            assert.equal(codes.length, 10, text);
            for (const c of codes) {
                assert.match(c, /^[a-z0-9]{4}-[a-z0-9]{4}$/);
                srv.secrets.add(c);
            }
            const [download] = await Promise.all([
                page.waitForEvent('download'),
                page.getByTestId('recovery-download').click(),
            ]);
            assert.equal(download.suggestedFilename(), 'salesvault-recovery-codes.txt');
            assert.equal(readFileSync(await download.path(), 'utf8'), `${codes.join('\n')}\n`);
            await checkAxe(page, 'authenticator (recovery codes)');
            await page.getByTestId('totp-done').click();
            await page.waitForSelector('[data-testid="totp-status"][data-enrolled="true"]');
            assert.equal(await page.getByTestId('recovery').count(), 0, 'the codes are gone');

            // Shown once: a reload shows the state, not the codes.
            await page.reload();
            await page.getByTestId('page-authenticator').waitFor();
            await expectEnrolled(t, page);
            assert.equal(await page.getByTestId('recovery').count(), 0);

            // The next sign-in asks for the app's code.
            await page.getByTestId('signout').click();
            await expectScreen(page, 'signin');
            await signIn(page, 'acme', 'ben', PASSWORDS.p1);
            await expectScreen(page, 'code');
            assert.equal(await page.locator('#screen-code').getAttribute('data-method'), 'totp');
            // The confirming code's step is spent: the next step's code (±1 window).
            await page.getByTestId('code').fill(totp(secret, Date.now() + 30000));
            await page.getByTestId('code-submit').click();
            await expectScreen(page, 'signedin', 30000);

            // Remove it: a wrong code is refused, a recovery code works.
            await open(page, '/account/authenticator', 'page-authenticator');
            await expectEnrolled(t, page);
            await page.getByTestId('totp-remove-button').click();
            // The safe answer takes the focus.
            await page.waitForFunction(() => document.activeElement?.dataset.testid === 'totp-remove-button-no');
            await page.getByTestId('totp-remove-button-yes').click();
            await page.waitForSelector('[data-testid="totp-remove-error"][data-code="field_missing"]');
            await page.getByTestId('totp-remove-code').fill('zzzz-zzzz');
            await page.getByTestId('totp-remove-button').click();
            await page.getByTestId('totp-remove-button-yes').click();
            await page.waitForSelector('[data-testid="totp-remove-error"][data-code="code_invalid"]');
            await page.getByTestId('totp-remove-code').fill(codes[1]);
            await page.getByTestId('totp-remove-button').click();
            await page.getByTestId('totp-remove-button-yes').click();
            await page.waitForSelector('[data-testid="totp-status"][data-enrolled="false"]');
            assert.match(await page.getByTestId('totp-notice').textContent(), /removed/);
            await page.getByTestId('totp-start').waitFor();
            await checkAxe(page, 'authenticator (removed)');
            await checkClean(p);
        } finally {
            await p.close();
        }
    });

    test('3) devices: revoke another browser (its next action lands on the sign-in), then this one', SLOW, async () => {
        const a = await signedIn('cat');
        const b = await signedIn('cat');
        try {
            const { page } = a;
            await open(page, '/account/devices', 'page-devices');
            await page.waitForSelector('[data-testid="device-row"][data-current="false"][data-state="unknown"], '
                + '[data-testid="device-row"][data-current="false"][data-state="trusted"]');
            const current = page.locator('[data-testid="device-row"][data-current="true"]');
            assert.equal(await current.count(), 1, 'this browser is marked');
            assert.equal(await current.getAttribute('data-kind'), 'web');
            assert.ok(await current.getByTestId('device-current').isVisible());
            await checkAxe(page, 'devices');
            await shot(page, 'devices');

            // b's browser (the API sign-ins of the set-up are devices too).
            const id = await deviceOf(b.page);
            assert.notEqual(id, await current.getAttribute('data-id'));
            const other = page.locator(`[data-testid="device-row"][data-id="${id}"]`);
            assert.equal(await other.getAttribute('data-state'), 'unknown');
            await other.getByTestId('device-revoke').click();
            await other.getByTestId('device-revoke-yes').click();
            await page.waitForSelector(`[data-testid="device-row"][data-id="${id}"][data-state="revoked"]`);
            await page.getByTestId('devices-notice').waitFor({ state: 'visible' });

            // The other browser's next action meets the end of its session.
            await b.page.getByTestId('nav-account-sessions').click();
            await expectScreen(b.page, 'signin');
            await waitMessageCode(b.page, 'unauthenticated');
            await checkAxe(page, 'devices after a revoke');

            // Revoking this browser signs this console out.
            await current.getByTestId('device-revoke').click();
            await current.getByTestId('device-revoke-yes').click();
            await expectScreen(page, 'signin');
            await waitMessageCode(page, 'unauthenticated');
            await checkClean(a);
            await checkClean(b);
        } finally {
            await a.close();
            await b.close();
        }
    });

    test('4) sessions: sign out the others; the other browser is signed out', SLOW, async () => {
        const a = await signedIn('dan');
        const b = await signedIn('dan');
        try {
            const { page } = a;
            await open(page, '/account/sessions', 'page-sessions');
            await page.getByTestId('sessions-table').waitFor();
            assert.ok(await page.getByTestId('session-row').count() >= 2);
            assert.equal(await page.locator('[data-testid="session-row"][data-current="true"]').count(), 1);
            await checkAxe(page, 'sessions');
            await shot(page, 'sessions');

            await page.getByTestId('sessions-revoke-others').click();
            await page.getByTestId('sessions-revoke-others-yes').click();
            await page.getByTestId('sessions-notice').waitFor({ state: 'visible' });
            assert.match(await page.getByTestId('sessions-notice').textContent(), /signed out: [1-9]/);
            await page.waitForFunction(() => document.querySelectorAll('[data-testid="session-row"]').length === 1);
            assert.equal(await page.locator('[data-testid="session-row"][data-current="true"]').count(), 1);

            await b.page.getByTestId('nav-inbox').click();
            await expectScreen(b.page, 'signin');
            await waitMessageCode(b.page, 'unauthenticated');
            await checkAxe(page, 'sessions after signing out the others');
            await checkClean(a);
            await checkClean(b);
        } finally {
            await a.close();
            await b.close();
        }
    });

    test('5) inbox: a sign-in notice, the unread count, read once seen; the console in Chinese after a reload', SLOW, async (t) => {
        const p = await signedIn('eve');
        try {
            const { page } = p;
            const counted = noPending(t, ['unread', 'read']);
            if (counted) await page.waitForSelector('[data-testid="unread"]:not([data-count="0"])');
            const before = Number(await page.getByTestId('unread').getAttribute('data-count'));

            await page.getByTestId('unread').click();
            await page.getByTestId('inbox-table').waitFor();
            const rows = page.getByTestId('inbox-row');
            assert.ok(await rows.count() >= 1);
            assert.equal((await rows.first().getByTestId('inbox-title').textContent()).trim(), 'New sign-in');
            assert.equal(await rows.first().getAttribute('data-kind'), 'login');
            if (counted) {
                assert.ok(before >= 1, `unread ${before}`);
                assert.match(await rows.first().getAttribute('class'), /\bunread\b/);
                assert.match(await rows.first().textContent(), /Unread/);
                // Seen: marked read, and the header's count drops.
                await page.waitForSelector('[data-testid="unread"][data-count="0"]');
            }
            await checkAxe(page, 'inbox');
            await shot(page, 'inbox');
            if (counted) {
                await page.reload();
                await page.getByTestId('inbox-table').waitFor();
                assert.equal(await page.locator('[data-testid="inbox-row"].unread').count(), 0, 'read after a reload');
            }

            // 简体中文, remembered across a reload.
            await page.getByTestId('lang-select').selectOption({ label: '简体中文' });
            await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
            assert.equal((await page.locator('#page-title').textContent()).trim(), '收件箱');
            await page.getByTestId('nav-account').click();
            await page.getByTestId('page-account').waitFor();
            await page.reload();
            await expectScreen(page, 'signedin');
            await page.getByTestId('page-account').waitFor();
            assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
            assert.equal((await page.locator('#page-title').textContent()).trim(), '我的账号');
            assert.equal((await page.getByTestId('pw-submit').textContent()).trim(), '修改密码');
            assert.match(await page.getByTestId('account-profile').textContent(), /用户名/);
            await checkAxe(page, 'account in Chinese');
            await shot(page, 'account-zh');
            await checkClean(p);
        } finally {
            await p.close();
        }
    });

    test('6) a tenant that requires MFA: a new sign-in may only enrol an authenticator, then goes on', SLOW, async () => {
        const p = await openPage(browser, srv.base);
        try {
            const { page } = p;
            await page.goto('/');
            await signIn(page, 'strict', 'gil', PASSWORDS.p1);
            await expectScreen(page, 'enrol');
            await waitMessageCode(page, 'mfa_enrolment_required');
            const screen = page.locator('[data-testid="page-authenticator"][data-mode="enrol"]');
            await screen.waitFor();
            await page.getByTestId('totp-qr').waitFor();
            const secret = (await page.getByTestId('totp-secret').textContent()).replace(/\s+/g, '');
            srv.secrets.add(secret);
            await checkAxe(page, 'enrol-only authenticator');
            await page.getByTestId('totp-code').fill(totp(secret));
            await page.getByTestId('totp-confirm').click();
            await page.getByTestId('totp-recovery').waitFor();
            for (const c of (await page.getByTestId('recovery-text').textContent()).trim().split('\n')) srv.secrets.add(c);
            await page.getByTestId('totp-done').click();
            await expectScreen(page, 'signedin');
            await page.getByTestId('page-account').waitFor();
            await checkClean(p);
        } finally {
            await p.close();
        }
    });
});
