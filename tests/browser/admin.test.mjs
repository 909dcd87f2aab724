// The console's admin screens (issue 10) in a real browser against a real
// server, driven as an administrator would: users (create with the
// temporary password shown once, search, lock and unlock, reset, phone,
// devices), the blacklist, the security settings, the audit log (filters,
// one event, the CSV export) and the dashboard; a member sees none of it,
// and another tenant's admin sees nothing of this tenant.
//
// Locks and blacklist entries are produced the way the API suites do (wrong
// passwords), but from other loopback addresses (127.0.0.2, .3, .4) so the
// browser's own address (127.0.0.1) is never counted, captcha'd or barred.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';

import { PASSWORDS, closeDown, startServer } from '../api/lib/server.mjs';
import { parseCsv } from '../api/lib/csv.mjs';
import { totp } from '../api/lib/device.mjs';
import { activate, auth } from './lib/accounts.mjs';
import { axeViolations } from './lib/axe.mjs';
import { checkClean, expectScreen, launch, openPage, signIn } from './lib/browser.mjs';
import { shot } from './lib/shots.mjs';

const SLOW = { timeout: 90000 };
const HOOK = { timeout: 300000 };
const WRONG = 'Nope-9-wrong!';
const PHONE = '+8613800000123';
const PHONE2 = '+8613900004321';
/** The server's mask of a bound phone: country code and the last four digits ("+86*******0123"). */
const mask = (p) => p.slice(0, 3) + '*'.repeat(p.length - 7) + p.slice(-4);

let browser;

before(async () => { browser = await launch(); }, HOOK);
after(async () => { await browser?.close(); }, HOOK);

/** The screen as it is: no serious axe finding, nothing unclean. */
async function checkScreen(p) {
    assert.deepEqual(await axeViolations(p.page), [], 'axe: serious or critical violations');
    await checkClean(p);
}

/** POST /auth/login from a chosen loopback address (not the browser's). */
function loginFrom(srv, ip, tenant, username, password) {
    srv.secrets.add(password);
    const body = JSON.stringify({ tenant, username, password });
    return new Promise((resolve, reject) => {
        const req = https.request(`${srv.base}/api/v1/auth/login`, {
            method: 'POST',
            localAddress: ip,
            headers: {
                'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
                'user-agent': 'salesvault-admin-browser-tests/1',
            },
        }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => { text += d; });
            res.on('end', () => {
                let json = null;
                try { json = JSON.parse(text); } catch { /* not JSON */ }
                if (json && typeof json.token === 'string') srv.secrets.add(json.token);
                resolve({ status: res.statusCode, json, text });
            });
        });
        req.on('error', reject);
        req.end(body);
    });
}


/** Open a screen by its fragment and wait for its testid. */
async function open(page, hash, testid) {
    await page.goto(`/#${hash}`);
    await page.getByTestId(testid).waitFor();
}

/** The dashboard shows @p sum: the cards' numbers, the bars, the table for screen readers. */
async function checkDashboard(page, sum) {
    for (const [period, key] of [['24h', 'last_24h'], ['30d', 'last_30d']]) {
        for (const s of ['failed_logins', 'locks', 'blacklisted']) {
            const v = await page.getByTestId(`stat-${period}-${s}-num`).getAttribute('data-value');
            assert.equal(Number(v), sum[key][s], `${period} ${s}`);
        }
    }
    for (const s of ['failed_logins', 'locks', 'blacklisted']) {
        const svg = page.getByTestId(`chart-${s}-svg`);
        const bars = await svg.locator('rect').evaluateAll((r) => r.map((x) => Number(x.dataset.value)));
        assert.deepEqual(bars, sum.days.map((d) => d[s]), `chart ${s}`);
        assert.equal(await svg.getAttribute('role'), 'img');
        assert.match(await svg.getAttribute('aria-label'), /30/);
        const cells = await page.getByTestId(`chart-${s}-table`).locator('tbody td').allTextContents();
        assert.deepEqual(cells.map((c) => Number(c.replace(/\D/g, ''))), sum.days.map((d) => d[s]), `table ${s}`);
    }
}

/** The JSON answer of the page's next GET of @p path (with @p q in its query), while @p act runs. */
async function answerOf(page, path, act, q = null) {
    const [res] = await Promise.all([
        page.waitForResponse((r) => {
            const u = new URL(r.url());
            if (u.pathname !== `/api/v1${path}` || r.request().method() !== 'GET') return false;
            return !q || Object.entries(q).every(([k, v]) => u.searchParams.get(k) === v);
        }),
        act(),
    ]);
    assert.equal(res.status(), 200, `GET ${path}`);
    return res.json();
}

describe('console admin screens', () => {
    let srv;
    let A; // root's API session (acme admin)
    let B; // bert's API session (beta admin)
    let M; // mallory's API session (acme member)
    let admin; // root's browser page
    const pw = {};
    let ritaTemp = null; // rita's temporary password (test 3): never on another account's page

    before(async () => {
        srv = await startServer({
            name: 'browser-admin',
            conf: {
                auth: {
                    captcha_after: 5, lock_after: 5, lock_base_s: 900, lock_max_s: 3600,
                    stuffing_accounts: 3, stuffing_window_s: 600, blacklist_s: 3600,
                },
            },
            tenants: [
                {
                    slug: 'acme', name: 'Acme Admin', admin: 'root',
                    users: ['mallory', 'lucy', 'rita', 'phil', 'dana', 'tara'].map((username) => ({ username })),
                },
                { slug: 'beta', name: 'Beta Admin', admin: 'bert' },
            ],
        });
        for (const p of Object.values(PASSWORDS)) srv.secrets.add(p);
        const acme = srv.tenants.acme;
        A = await activate(srv, 'acme', 'root', acme.admin.temporary_password, PASSWORDS.admin);
        B = await activate(srv, 'beta', 'bert', srv.tenants.beta.admin.temporary_password, PASSWORDS.admin2);
        const mine = {
            mallory: PASSWORDS.p1, lucy: PASSWORDS.p2, rita: PASSWORDS.p3, phil: PASSWORDS.p4, dana: PASSWORDS.p1, tara: PASSWORDS.p2,
        };
        for (const [u, p] of Object.entries(mine)) {
            const s = await activate(srv, 'acme', u, acme.users[u].temporary_password, p);
            if (u === 'mallory') M = s;
            if (u === 'tara') {
                // tara has an authenticator app (the list's and the account page's "authenticator" column).
                const start = await srv.api('POST', '/me/totp', auth(s));
                assert.equal(start.status, 200, start.text);
                srv.secrets.add(start.json.secret);
                const conf = await srv.api('POST', '/me/totp/confirm', { ...auth(s), body: { code: totp(start.json.secret) } });
                assert.equal(conf.status, 200, conf.text);
                for (const c of conf.json.recovery_codes) srv.secrets.add(c);
            }
            pw[u] = p;
        }
        admin = await openPage(browser, srv.base);
        await admin.page.goto('/');
        await signIn(admin.page, 'acme', 'root', PASSWORDS.admin);
        await expectScreen(admin.page, 'signedin');
    }, HOOK);

    after(async () => {
        await admin?.close();
        await closeDown(srv);
    }, HOOK);

    const api = (method, path, s = A, opts = {}) => srv.api(method, path, { ...auth(s), ...opts });
    /** Every item of a cursor-paged list, as session @p s. */
    const listAllAs = async (s, path, q = {}) => {
        const items = [];
        let cursor = null;
        for (let i = 0; i < 50; i++) {
            const qs = new URLSearchParams({ ...q, limit: '200', ...(cursor ? { cursor } : {}) });
            const r = await api('GET', `${path}?${qs}`, s);
            assert.equal(r.status, 200, `GET ${path}: ${r.text}`);
            items.push(...r.json.items);
            cursor = r.json.next_cursor;
            if (!cursor) return items;
        }
        throw new Error(`GET ${path}: too many pages`);
    };

    test('1. users: create an account, its temporary password shown once; it signs in and must change it; one with a phone; search on the server', SLOW, async () => {
        const { page } = admin;
        await open(page, '/admin/users', 'users-table');
        const form = page.getByTestId('user-create-form');
        assert.equal(await form.getByLabel('Username', { exact: true }).getAttribute('id'), 'new-username');
        // A taken username: the error names the field.
        await page.getByTestId('new-username').fill('lucy');
        await page.getByTestId('new-submit').click();
        await page.locator('[data-testid="user-create-error"][data-code="username_taken"]').waitFor();
        assert.equal(await page.getByTestId('new-username').getAttribute('aria-invalid'), 'true');

        await page.getByTestId('new-username').fill('nina');
        await page.getByTestId('new-role').selectOption('member');
        await page.getByTestId('new-email').fill('nina@example.com');
        await page.getByTestId('new-submit').click();
        const temp = ((await page.getByTestId('user-temp-text').textContent()) || '').trim();
        srv.secrets.add(temp);
        assert.ok(temp.length >= 8, 'a temporary password is shown');
        assert.equal(await page.getByTestId('user-create-error').count(), 0);
        await page.locator('[data-testid="user-row"][data-username="nina"]').waitFor();
        await checkScreen(admin);
        await page.evaluate(() => window.scrollTo(0, 0));
        await shot(page, 'users');
        // Dismissed, it is gone for good.
        await page.getByTestId('user-created-done').click();
        assert.equal(await page.getByTestId('user-temp').count(), 0);
        assert.ok(!(await page.content()).includes(temp), 'the temporary password is no longer in the page');

        // nina signs in in another browser with it and must choose a new one.
        const n = await openPage(browser, srv.base);
        try {
            await n.page.goto('/');
            await signIn(n.page, 'acme', 'nina', temp);
            await expectScreen(n.page, 'password');
            await n.page.getByTestId('pw-current').fill(temp);
            await n.page.getByTestId('pw-new').fill(PASSWORDS.p3);
            await n.page.getByTestId('pw-repeat').fill(PASSWORDS.p3);
            await n.page.getByTestId('pw-submit').click();
            await expectScreen(n.page, 'signedin');
            assert.match(await n.page.getByTestId('signed-in-as').textContent(), /nina \(acme\)/);
            await checkClean(n);
        } finally {
            await n.close();
        }

        // Created with a phone: bound in the same request, listed masked, never in clear.
        await page.getByTestId('new-username').fill('olga');
        await page.getByTestId('new-phone').fill(PHONE2);
        await page.getByTestId('new-submit').click();
        await page.locator('[data-testid="user-created"][data-username="olga"]').waitFor();
        srv.secrets.add(((await page.getByTestId('user-temp-text').textContent()) || '').trim());
        const olgaRow = page.locator('[data-testid="user-row"][data-username="olga"]');
        await olgaRow.waitFor();
        assert.equal((await olgaRow.getByTestId('user-phone-masked').textContent()).trim(), mask(PHONE2));
        assert.equal(await olgaRow.getByTestId('user-totp').getAttribute('data-on'), 'false');
        const olga = (await api('GET', '/users?q=olga')).json.items;
        assert.equal(olga.length, 1);
        assert.equal(olga[0].phone, mask(PHONE2), 'the server bound the phone given on the create form');
        assert.ok(!(await page.content()).includes(PHONE2.slice(3)), 'the number is not in the page in clear');
        await page.getByTestId('user-created-done').click();

        // tara's authenticator is in the list.
        const tara = page.locator('[data-testid="user-row"][data-username="tara"]');
        assert.equal(await tara.getByTestId('user-totp').getAttribute('data-on'), 'true');
        assert.equal(await page.locator('[data-testid="user-row"][data-username="lucy"]')
            .getByTestId('user-totp').getAttribute('data-on'), 'false');

        // Search: the filter is in the URL and goes to the server (GET /users?q=); only its answer is listed.
        const rowNames = () => page.getByTestId('user-row').evaluateAll((rows) => rows.map((r) => r.dataset.username));
        await page.getByTestId('users-q').fill('NIN');
        const found = await answerOf(page, '/users', () => page.getByTestId('users-q-submit').click(), { q: 'NIN' });
        await page.waitForURL(/#\/admin\/users\?q=NIN$/);
        await page.locator('[data-testid="user-row"][data-username="lucy"]').waitFor({ state: 'detached' });
        await page.locator('[data-testid="user-row"][data-username="nina"]').waitFor();
        assert.deepEqual(found.items.map((u) => u.username), ['nina'], 'a case-insensitive username prefix');
        assert.deepEqual(await rowNames(), ['nina']);
        const q = await api('GET', '/users?q=nin');
        assert.equal(q.status, 200, q.text);
        assert.deepEqual(q.json.items.map((u) => u.username), ['nina']);
        // A whole e-mail address finds its account; a part of one finds none.
        await page.getByTestId('users-q').fill('Nina@Example.com');
        const byMail = await answerOf(page, '/users', () => page.getByTestId('users-q-submit').click(), { q: 'Nina@Example.com' });
        assert.deepEqual(byMail.items.map((u) => u.username), ['nina']);
        await page.waitForURL(/#\/admin\/users\?q=Nina%40Example\.com$/);
        await page.locator('[data-testid="user-row"][data-username="nina"]').waitFor();
        assert.deepEqual(await rowNames(), ['nina']);
        await page.getByTestId('users-q').fill('nina@exa');
        const part = await answerOf(page, '/users', () => page.getByTestId('users-q-submit').click(), { q: 'nina@exa' });
        assert.deepEqual(part.items, []);
        await page.getByTestId('empty').waitFor();
        assert.equal(await page.getByTestId('user-row').count(), 0);
        // A deep link opens the same filtered view, asking the server again (a fresh load, not a hash change).
        await page.goto('about:blank');
        const again = await answerOf(page, '/users', () => page.goto('/#/admin/users?q=nin'), { q: 'nin' });
        assert.deepEqual(again.items.map((u) => u.username), ['nina']);
        await page.locator('[data-testid="user-row"][data-username="nina"]').waitFor();
        assert.deepEqual(await rowNames(), ['nina']);
        assert.equal(await page.getByTestId('users-q').inputValue(), 'nin');
        await checkScreen(admin);
    });

    test('2. lock and unlock: wrong passwords lock lucy; the list says so; unlock in the console; lucy signs in', SLOW, async () => {
        const { page } = admin;
        let locked = null;
        for (let i = 0; i < 8 && !locked; i++) {
            const r = await loginFrom(srv, '127.0.0.2', 'acme', 'lucy', WRONG);
            if (r.status === 429) locked = r;
            else assert.equal(r.status, 401, `wrong password ${i}: ${r.text}`);
        }
        assert.ok(locked, 'lucy is locked');
        assert.equal(locked.json.error.code, 'login_locked');
        assert.equal((await loginFrom(srv, '127.0.0.2', 'acme', 'lucy', pw.lucy)).status, 429, 'locked: right password refused');

        const lucyId = srv.tenants.acme.users.lucy.id;
        const listed = await answerOf(page, '/users', () => open(page, '/admin/users?q=lucy', 'users-table'), { q: 'lucy' });
        const row = page.locator('[data-testid="user-row"][data-username="lucy"]');
        await row.waitFor();
        assert.equal(listed.items.length, 1);
        assert.equal(listed.items[0].locked, true, 'the server lists lucy locked');
        assert.ok(Date.parse(listed.items[0].locked_until) > Date.now(), `locked_until ${listed.items[0].locked_until}`);
        assert.equal(listed.items[0].totp, false);
        assert.equal(listed.items[0].phone, null);
        assert.equal(await row.getByTestId('user-state').getAttribute('data-locked'), 'true');
        assert.equal(await row.getByTestId('user-locked').count(), 1, 'the list shows "locked"');
        assert.equal(await row.getByTestId('user-locked').locator('time').getAttribute('datetime'), listed.items[0].locked_until);
        assert.equal(await row.getByTestId('user-totp').getAttribute('data-on'), 'false');
        // The account's page is GET /users/{id}'s answer: the list's item.
        const one = await answerOf(page, `/users/${lucyId}`, () => row.getByTestId('user-link').click());
        assert.deepEqual(one, listed.items[0]);
        await page.getByTestId('user-props').waitFor();
        const props = page.getByTestId('user-props');
        assert.equal(await props.getAttribute('data-id'), lucyId);
        assert.equal((await page.getByTestId('prop-username').textContent()).trim(), 'lucy');
        assert.equal(await props.getByTestId('user-state').getAttribute('data-locked'), 'true');
        assert.equal(await props.getByTestId('user-totp').getAttribute('data-on'), 'false');
        await checkScreen(admin);
        await shot(page, 'user');
        // Keyboard only: focus the button and press Enter; the page asks GET /users/{id} again.
        await page.getByTestId('user-unlock').focus();
        const after = await answerOf(page, `/users/${lucyId}`, () => page.keyboard.press('Enter'));
        assert.equal(after.locked, false);
        assert.equal(after.locked_until, null);
        await page.locator('[data-testid="user-notice"]:not([hidden])').waitFor();
        await page.locator('[data-testid="user-props"] [data-testid="user-state"][data-locked="false"]').waitFor();
        assert.equal(await props.getByTestId('user-locked').count(), 0);
        const now = await api('GET', `/users/${lucyId}`);
        assert.equal(now.status, 200, now.text);
        assert.equal(now.json.locked, false);

        const l = await openPage(browser, srv.base);
        try {
            await l.page.goto('/');
            await signIn(l.page, 'acme', 'lucy', pw.lucy);
            await expectScreen(l.page, 'signedin');
            await checkClean(l);
        } finally {
            await l.close();
        }
        const ev = (await api('GET', '/audit/events?action=security.unlock')).json.items;
        assert.ok(ev.some((e) => e.actor === 'root' && e.target_id === srv.tenants.acme.users.lucy.id), 'unlock audited');
        await checkClean(admin);
    });

    test('3. reset a password: confirmed once more, the new temporary password shown once and it works', SLOW, async () => {
        const { page } = admin;
        const id = srv.tenants.acme.users.rita.id;
        await open(page, `/admin/users/${id}`, 'user-props');
        // The screen's heading takes the focus once the account is shown.
        await page.waitForFunction(() => document.activeElement?.id === 'page-title'
            && document.activeElement.textContent.includes('rita'));
        await page.getByTestId('user-reset').click();
        // The question takes the focus to "No" (the safe choice): No cancels.
        await page.waitForFunction(() => document.activeElement?.dataset.testid === 'user-reset-no');
        await page.keyboard.press('Enter');
        await page.getByTestId('user-reset').waitFor();
        await page.getByTestId('user-reset').click();
        await page.getByTestId('user-reset-yes').click();
        const temp = ((await page.getByTestId('reset-temp-text').textContent()) || '').trim();
        srv.secrets.add(temp);
        assert.ok(temp.length >= 8);
        ritaTemp = temp;
        // The account's page, asked again, says the password must be changed.
        await page.locator('[data-testid="user-props"] [data-testid="user-must-change"]').waitFor();
        assert.equal((await api('GET', `/users/${id}`)).json.must_change_password, true);
        const r = await loginFrom(srv, '127.0.0.4', 'acme', 'rita', temp);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.must_change_password, true);
        await checkScreen(admin);
    });

    test('4. bind a phone: a bad number is refused on its field, a good one saved (audited without the number)', SLOW, async () => {
        const { page } = admin;
        const id = srv.tenants.acme.users.phil.id;
        await open(page, `/admin/users/${id}`, 'user-phone-panel');
        // Another account's page: nothing of rita's (test 3) is left on it, and its heading has the focus.
        await page.waitForFunction(() => document.activeElement?.id === 'page-title'
            && document.activeElement.textContent.includes('phil'));
        assert.equal(await page.getByTestId('reset-temp').count(), 0, 'no temporary password on phil\'s page');
        assert.ok(ritaTemp && !(await page.content()).includes(ritaTemp), 'rita\'s temporary password is not on phil\'s page');
        await page.getByTestId('user-phone').fill('12345');
        await page.getByTestId('phone-save').click();
        await page.getByTestId('phone-error').waitFor();
        assert.equal(await page.getByTestId('phone-error').getAttribute('data-code'), 'field_invalid');
        assert.equal(await page.getByTestId('user-phone').getAttribute('aria-invalid'), 'true');
        await page.getByTestId('user-phone').fill(PHONE);
        await page.getByTestId('phone-save').click();
        await page.locator('[data-testid="phone-notice"]:not([hidden])').waitFor();
        assert.equal(await page.getByTestId('phone-error').count(), 0);
        const ev = (await api('GET', '/audit/events?action=user.update')).json.items.find((e) => e.target_id === id);
        assert.ok(ev, 'user.update audited');
        assert.ok(!JSON.stringify(ev).includes(PHONE.slice(3)), 'the audit event does not hold the number');
        const one = await api('GET', `/users/${id}`);
        assert.equal(one.status, 200, one.text);
        assert.equal(one.json.phone, mask(PHONE));
        // The page asked GET /users/{id} again: the masked number, never the number.
        const shown = page.getByTestId('user-props').getByTestId('user-phone-masked');
        await shown.waitFor();
        assert.equal((await shown.textContent()).trim(), mask(PHONE));
        assert.ok(!(await page.content()).includes(PHONE.slice(3)), 'the number is not in the page in clear');
        // And the list says the same.
        await open(page, '/admin/users?q=phil', 'users-table');
        const row = page.locator('[data-testid="user-row"][data-username="phil"]');
        assert.equal((await row.getByTestId('user-phone-masked').textContent()).trim(), mask(PHONE));
        // tara's page: her authenticator, from GET /users/{id}.
        const taraId = srv.tenants.acme.users.tara.id;
        const tara = await answerOf(page, `/users/${taraId}`, () => open(page, `/admin/users/${taraId}`, 'user-props'));
        assert.equal(tara.totp, true);
        assert.equal(await page.getByTestId('user-props').getByTestId('user-totp').getAttribute('data-on'), 'true');
        await checkScreen(admin);
    });

    test('5. devices: dana signs in from a browser; the admin revokes that device; its session dies', SLOW, async () => {
        const { page } = admin;
        const id = srv.tenants.acme.users.dana.id;
        const d = await openPage(browser, srv.base);
        try {
            await d.page.goto('/');
            await signIn(d.page, 'acme', 'dana', pw.dana);
            await expectScreen(d.page, 'signedin');
            const me = await d.page.evaluate(async () => (await fetch('/api/v1/me')).json());
            assert.ok(me.device && me.device.id, 'the browser is a device');

            await open(page, `/admin/users/${id}`, 'devices-table');
            const row = page.locator(`[data-testid="device-row"][data-id="${me.device.id}"]`);
            await row.waitFor();
            await checkScreen(admin);
            await row.getByTestId('device-revoke').click();
            await row.getByTestId('device-revoke-yes').click();
            await page.locator('[data-testid="devices-notice"]:not([hidden])').waitFor();
            await page.locator(`[data-testid="device-row"][data-id="${me.device.id}"][data-state="revoked"]`).waitFor();

            // dana's browser: its session is gone.
            await d.page.reload();
            await expectScreen(d.page, 'signin');
            const r = await d.page.evaluate(async () => (await fetch('/api/v1/me')).status);
            assert.equal(r, 401);
        } finally {
            await d.close();
        }
        await checkClean(admin);
    });

    test('6. blacklist: a source stuffing names is listed; lifting it lets it sign in again', SLOW, async () => {
        const { page } = admin;
        for (const name of ['ghost1', 'ghost2', 'ghost3']) {
            assert.equal((await loginFrom(srv, '127.0.0.3', 'acme', name, WRONG)).status, 401, name);
        }
        const barred = await loginFrom(srv, '127.0.0.3', 'acme', 'mallory', pw.mallory);
        assert.equal(barred.status, 403, barred.text);
        assert.equal(barred.json.error.code, 'blacklisted');

        await open(page, '/admin/blacklist', 'blacklist-table');
        const row = page.locator('[data-testid="blacklist-row"][data-value="127.0.0.3"]');
        await row.waitFor();
        await checkScreen(admin);
        await shot(page, 'blacklist');
        await row.getByTestId('blacklist-lift').click();
        await row.getByTestId('blacklist-lift-yes').click();
        await page.locator('[data-testid="blacklist-notice"]:not([hidden])').waitFor();
        await row.waitFor({ state: 'detached' });
        const list = await api('GET', '/admin/blacklist');
        assert.deepEqual(list.json.items.filter((e) => e.value === '127.0.0.3'), []);
        assert.equal((await loginFrom(srv, '127.0.0.3', 'acme', 'mallory', pw.mallory)).status, 200, 'lifted');
        await checkScreen(admin);
    });

    test('7. settings: require MFA on and off, the minimum score, the policy; the rules shown follow; each change audited', SLOW, async () => {
        const { page } = admin;
        const first = await api('GET', '/admin/settings');
        assert.equal(first.status, 200, first.text);
        assert.deepEqual(Object.keys(first.json).sort(), ['mask_phones', 'password_min_score', 'password_policy', 'phone_region', 'phone_reveals_per_day',
            'require_mfa', 'rules']);
        const settingsNow = async () => {
            const r = await api('GET', '/admin/settings');
            assert.equal(r.status, 200, r.text);
            return r.json;
        };
        const policyEvents = async () => listAllAs(A, '/audit/events', { action: 'tenant.policy' });
        const eventsBefore = (await policyEvents()).length;
        // What the screen sends, as sent (observed, not answered by the test).
        const patches = [];
        const onRequest = (req) => {
            if (req.method() === 'PATCH' && new URL(req.url()).pathname === '/api/v1/admin/settings') {
                patches.push({ body: req.postDataJSON(), csrf: req.headers()['x-csrf-token'] || null });
            }
        };
        const score = first.json.password_min_score === 3 ? '2' : '3';
        const other = first.json.password_policy === 'nist' ? 'default' : 'nist';
        page.on('request', onRequest);
        try {
            const shown = await answerOf(page, '/admin/settings', () => open(page, '/admin/settings', 'settings-form'));
            assert.deepEqual(shown, first.json);
            const rulesShown = () => page.getByTestId('rule').evaluateAll((li) => li.map((x) => x.dataset.rule));
            const save = async (what) => {
                const [res] = await Promise.all([
                    page.waitForResponse((r) => r.request().method() === 'PATCH'
                        && new URL(r.url()).pathname === '/api/v1/admin/settings'),
                    page.getByTestId('settings-save').click(),
                ]);
                assert.equal(res.status(), 200, `PATCH /admin/settings (${what})`);
                await page.locator('[data-testid="settings-notice"]:not([hidden])').waitFor();
                return res.json();
            };
            assert.deepEqual(await rulesShown(), first.json.rules.map((r) => r.rule));
            assert.equal(await page.getByTestId('settings-state').getAttribute('data-mfa'), String(first.json.require_mfa));
            assert.equal(await page.getByTestId('set-mfa').isChecked(), first.json.require_mfa);

            await page.getByTestId('set-mfa').check();
            assert.equal((await save('mfa on')).require_mfa, true);
            await page.locator('[data-testid="settings-state"][data-mfa="true"]').waitFor();
            assert.equal((await settingsNow()).require_mfa, true);
            await page.getByTestId('set-mfa').uncheck();
            assert.equal((await save('mfa off')).require_mfa, false);
            await page.locator('[data-testid="settings-state"][data-mfa="false"]').waitFor();
            assert.equal((await settingsNow()).require_mfa, false);

            await page.getByTestId('set-score').selectOption(score);
            await save('score');
            await page.locator(`[data-testid="settings-state"][data-score="${score}"]`).waitFor();
            const scored = await settingsNow();
            assert.equal(scored.password_min_score, Number(score));
            assert.equal(scored.rules.find((r) => r.rule === 'score').min, Number(score), 'the score rule follows');
            await page.locator(`[data-testid="rule"][data-rule="score"][data-min="${score}"]`).waitFor();

            await page.getByTestId('set-policy').selectOption(other);
            await save('policy');
            await page.locator(`[data-testid="settings-state"][data-policy="${other}"]`).waitFor();
            const now = await settingsNow();
            assert.equal(now.password_policy, other);
            assert.deepEqual(await rulesShown(), now.rules.map((r) => r.rule));
            assert.notDeepEqual(now.rules.map((r) => r.rule), first.json.rules.map((r) => r.rule),
                'the rules in force changed with the policy');
            const len = now.rules.find((r) => r.rule === 'length');
            assert.ok(len, 'a length rule');
            const li = page.locator('[data-testid="rule"][data-rule="length"]');
            assert.equal(await li.getAttribute('data-min'), String(len.min));
            assert.equal(await li.getAttribute('data-max'), String(len.max));
            assert.match(await li.textContent(), new RegExp(`${len.min}.*${len.max}`));
            await checkScreen(admin);
            await shot(page, 'settings');

            // Back as it was.
            await page.getByTestId('set-policy').selectOption(first.json.password_policy);
            await page.getByTestId('set-score').selectOption(String(first.json.password_min_score));
            await save('back');
            await page.locator(`[data-testid="settings-state"][data-policy="${first.json.password_policy}"]`).waitFor();
            assert.deepEqual(await rulesShown(), first.json.rules.map((r) => r.rule));
            assert.deepEqual(await settingsNow(), first.json);
        } finally {
            page.off('request', onRequest);
        }
        // Only what changed is sent, always with the CSRF token (a cookie session).
        assert.deepEqual(patches.map((x) => x.body), [{ require_mfa: true }, { require_mfa: false },
            { password_min_score: Number(score) }, { password_policy: other },
            { password_policy: first.json.password_policy, password_min_score: first.json.password_min_score }]);
        assert.ok(patches.every((x) => x.csrf), 'X-CSRF-Token on every PATCH');
        // One tenant.policy event per change, by root, with what was given and what it was.
        const events = await policyEvents();
        assert.equal(events.length, eventsBefore + 5, 'tenant.policy audited once per PATCH');
        const mine = events.slice(0, 5); // newest first
        for (const e of mine) {
            assert.equal(e.actor, 'root');
            assert.equal(e.result, 'success');
        }
        const details = (e) => (typeof e.details === 'string' ? JSON.parse(e.details) : e.details);
        assert.deepEqual(details(mine[4]), { require_mfa: true, was: { require_mfa: false } });
        assert.deepEqual(details(mine[3]), { require_mfa: false, was: { require_mfa: true } });
        await checkClean(admin);
    });

    test('8. audit log: filter by action (in the URL), open an event, export the filtered CSV = the list', SLOW, async () => {
        const { page } = admin;
        await open(page, '/admin/audit', 'audit-table');
        await page.getByTestId('audit-action').selectOption('account.created');
        await page.getByTestId('audit-result').selectOption('success');
        await page.getByTestId('audit-apply').click();
        await page.waitForURL(/#\/admin\/audit\?action=account\.created&result=success$/);
        const listed = await listAllAs(A, '/audit/events', { action: 'account.created', result: 'success' });
        assert.ok(listed.length >= 7, `account.created events: ${listed.length}`);
        // The filtered answer, not the unfiltered list the screen showed before it (no fixed wait).
        const want = listed.slice(0, 50).map((e) => e.id);
        await page.waitForFunction((ids) => !document.querySelector('[data-testid="audit-table"][aria-busy]')
            && [...document.querySelectorAll('[data-testid="audit-row"]')].map((x) => x.dataset.id).join() === ids.join(), want);
        const rows = await page.getByTestId('audit-row').evaluateAll((r) => r.map((x) => [x.dataset.id, x.dataset.action]));
        assert.deepEqual(rows.map((r) => r[0]), listed.slice(0, 50).map((e) => e.id));
        assert.ok(rows.every((r) => r[1] === 'account.created'));

        // One event: every field, the details as JSON text.
        const e = listed.find((x) => x.details) || listed[0];
        const row = page.locator(`[data-testid="audit-row"][data-id="${e.id}"]`);
        await row.getByTestId('audit-open').click();
        assert.equal(await row.getByTestId('audit-open').getAttribute('aria-expanded'), 'true');
        const det = page.getByTestId('event-details');
        await det.waitFor();
        for (const f of ['id', 'seq', 'time', 'action', 'result', 'reason', 'actor', 'actor_id', 'target_type',
            'target_id', 'ip', 'user_agent', 'details']) {
            assert.equal(await det.locator(`dd[data-field="${f}"]`).count(), 1, `field ${f}`);
        }
        assert.equal((await det.locator('dd[data-field="id"]').textContent()).trim(), e.id);
        assert.equal((await det.locator('dd[data-field="seq"]').textContent()).trim(), String(e.seq));
        if (e.details) {
            const text = await det.getByTestId('event-details-json').textContent();
            const want = typeof e.details === 'string' ? JSON.parse(e.details) : e.details;
            assert.deepEqual(JSON.parse(text), want);
        }
        await checkScreen(admin);
        await shot(page, 'audit');

        // Export: a download of the same filters; its rows are the list's events.
        const href = await page.getByTestId('audit-export').getAttribute('href');
        assert.equal(href, '/api/v1/audit/export?action=account.created&result=success');
        const before = (await api('GET', '/audit/events?action=audit.export')).json.items.length;
        const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export').click()]);
        assert.match(dl.suggestedFilename(), /^audit-\d{4}-\d{2}-\d{2}\.csv$/);
        const csv = parseCsv(readFileSync(await dl.path(), 'utf8'));
        assert.equal(csv[0][0], 'id');
        const after = await listAllAs(A, '/audit/events', { action: 'account.created', result: 'success' });
        assert.deepEqual(csv.slice(1).map((r) => r[0]), after.map((x) => x.id));
        assert.deepEqual(csv.slice(1).map((r) => r[3]), after.map((x) => x.action));
        const exports = (await api('GET', '/audit/events?action=audit.export')).json.items;
        assert.equal(exports.length, before + 1, 'the export was audited');

        // Deep link with an actor filter from the event: the URL carries it.
        await page.goto(`/#/admin/audit?actor=${srv.tenants.acme.admin.id}&action=account.created`);
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-row"]').length > 0);
        const byRoot = (await api('GET', `/audit/events?action=account.created&actor=${srv.tenants.acme.admin.id}`)).json.items;
        await page.locator(`[data-testid="audit-row"][data-id="${byRoot[0].id}"]`).waitFor();
        await page.waitForFunction((n) => document.querySelectorAll('[data-testid="audit-row"]').length === n
            && !document.querySelector('[data-testid="audit-table"][aria-busy]'), byRoot.length);
        assert.equal(await page.getByTestId('audit-actor').inputValue(), srv.tenants.acme.admin.id);
        await checkClean(admin);
    });

    test('9. dashboard: the numbers are the summary API\'s and the audit log\'s; each card opens the filtered audit log', SLOW, async () => {
        const { page } = admin;
        const sum = await api('GET', '/admin/security/summary');
        assert.equal(sum.status, 200, sum.text);
        assert.equal(sum.json.days.length, 30);
        // The summary is the tenant's audit log, counted: failed sign-ins, locks, blacklistings of the last 24 h.
        const since = new Date(Date.now() - 23 * 3600e3).toISOString().replace(/\.\d{3}Z$/, 'Z');
        const failed = (await listAllAs(A, '/audit/events', { action: 'auth.login', since }))
            .filter((e) => e.result !== 'success').length;
        const locks = (await listAllAs(A, '/audit/events', { action: 'security.lock', since })).length;
        const black = (await listAllAs(A, '/audit/events', { action: 'security.blacklist', since })).length;
        assert.deepEqual(sum.json.last_24h, { failed_logins: failed, locks, blacklisted: black });
        // This suite's own: lucy's wrong passwords (test 2), the three unknown names (test 6).
        assert.ok(failed >= 8, `failed sign-ins ${failed}`);
        assert.ok(locks >= 1 && black >= 1, `locks ${locks}, blacklisted ${black}`);
        for (const k of ['failed_logins', 'locks', 'blacklisted']) {
            assert.equal(sum.json.last_30d[k], sum.json.days.reduce((n, d) => n + d[k], 0), `30 days of ${k}`);
            assert.ok(sum.json.last_30d[k] >= sum.json.last_24h[k], `30 days hold the last 24 h of ${k}`);
        }
        const shown = await answerOf(page, '/admin/security/summary', () => open(page, '/admin', 'dashboard-24h'));
        assert.deepEqual(shown, sum.json, 'the page shows the same summary');
        await checkDashboard(page, sum.json);
        await checkScreen(admin);
        await shot(page, 'dashboard');
        await page.getByTestId('stat-24h-locks-link').click();
        await page.waitForURL(/#\/admin\/audit\?action=security\.lock&since=/);
        await page.locator('[data-testid="audit-row"][data-action="security.lock"]').first().waitFor();
        await page.waitForFunction((n) => document.querySelectorAll('[data-testid="audit-row"]').length === n
            && !document.querySelector('[data-testid="audit-table"][aria-busy]'), locks);
        await checkClean(admin);
    });

    test('10. a member sees no admin navigation, gets the forbidden page, and the admin APIs answer 403', SLOW, async () => {
        const m = await openPage(browser, srv.base);
        try {
            await m.page.goto('/');
            await signIn(m.page, 'acme', 'mallory', pw.mallory);
            await expectScreen(m.page, 'signedin');
            const links = await m.page.getByTestId('nav').locator('a').evaluateAll((a) => a.map((x) => x.getAttribute('href')));
            assert.ok(links.length > 0);
            assert.deepEqual(links.filter((h) => h.startsWith('#/admin')), [], 'no admin links');
            for (const h of ['/admin/users', '/admin', '/admin/audit', `/admin/users/${srv.tenants.acme.users.lucy.id}`]) {
                await m.page.goto(`/#${h}`);
                await m.page.getByTestId('page-forbidden').waitFor();
            }
            await checkScreen(m);
        } finally {
            await m.close();
        }
        const lucy = srv.tenants.acme.users.lucy.id;
        for (const [method, path] of [['GET', '/users'], ['GET', '/users?q=lucy'], ['POST', '/users'], ['GET', '/admin/blacklist'],
            ['GET', '/audit/events'], ['GET', '/audit/export'], [`POST`, `/users/${lucy}/unlock`],
            ['POST', `/users/${lucy}/reset-password`], ['GET', `/users/${lucy}/devices`],
            ['GET', '/admin/settings'], ['PATCH', '/admin/settings'], ['GET', '/admin/security/summary'],
            ['GET', `/users/${lucy}`], ['PATCH', `/users/${lucy}`]]) {
            const body = method === 'GET' ? undefined : method === 'PATCH' && path.startsWith('/users/') ? { phone: null }
                : path === '/admin/settings' ? { require_mfa: true } : {};
            const r = await api(method, path, M, body === undefined ? {} : { body });
            assert.equal(r.status, 403, `${method} ${path} as a member: ${r.text}`);
            assert.equal(r.json.error.code, 'forbidden');
        }
        assert.equal((await api('GET', '/admin/settings')).json.require_mfa, false, 'the member changed nothing');
    });

    test('11. another tenant\'s admin sees none of this tenant\'s users, events or counts', SLOW, async () => {
        const b = await openPage(browser, srv.base);
        try {
            const { page } = b;
            await page.goto('/');
            await signIn(page, 'beta', 'bert', PASSWORDS.admin2);
            await expectScreen(page, 'signedin');
            const acmeNames = ['mallory', 'lucy', 'rita', 'phil', 'dana', 'tara', 'nina', 'olga'];
            await open(page, '/admin/users', 'users-table');
            const names = await page.getByTestId('user-row').evaluateAll((r) => r.map((x) => x.dataset.username));
            assert.deepEqual(names, ['bert']);
            await open(page, '/admin/users?q=lucy', 'empty');
            await open(page, `/admin/users/${srv.tenants.acme.users.lucy.id}`, 'user-error');
            assert.equal(await page.getByTestId('user-error').getAttribute('data-code'), 'not_found');
            await open(page, '/admin/audit', 'audit-table');
            const texts = await page.getByTestId('audit-row').evaluateAll((r) => r.map((x) => x.textContent));
            assert.ok(texts.length > 0);
            for (const n of acmeNames) assert.ok(!texts.some((x) => x.includes(n)), `beta's log shows ${n}: ${texts.find((x) => x.includes(n))}`);
            const ids = await page.getByTestId('audit-row').evaluateAll((r) => r.map((x) => x.dataset.id));
            const acmeIds = new Set((await listAllAs(A, '/audit/events')).map((e) => e.id));
            assert.deepEqual(ids.filter((id) => acmeIds.has(id)), []);
            await open(page, '/admin/blacklist', 'page-blacklist');
            assert.equal(await page.locator('[data-testid="blacklist-row"][data-scope="tenant"]').count(), 0);
            // beta's dashboard: beta's zeros (acme's failures, lock and blacklisting are acme's).
            const sum = await api('GET', '/admin/security/summary', B);
            assert.equal(sum.status, 200, sum.text);
            const zero = { failed_logins: 0, locks: 0, blacklisted: 0 };
            assert.deepEqual(sum.json.last_24h, zero);
            assert.deepEqual(sum.json.last_30d, zero);
            assert.equal(sum.json.days.length, 30);
            assert.deepEqual(sum.json.days.map(({ day, ...k }) => k), Array(30).fill(zero));
            const shown = await answerOf(page, '/admin/security/summary', () => open(page, '/admin', 'dashboard-24h'));
            assert.deepEqual(shown, sum.json);
            await checkDashboard(page, sum.json);
            // beta's users search and settings are beta's too.
            const q = await api('GET', '/users?q=lucy', B);
            assert.equal(q.status, 200, q.text);
            assert.deepEqual(q.json.items, []);
            const bs = await api('GET', '/admin/settings', B);
            assert.equal(bs.status, 200, bs.text);
            await open(page, '/admin/settings', 'settings-form');
            assert.equal(await page.getByTestId('settings-state').getAttribute('data-mfa'), String(bs.json.require_mfa));
            await checkScreen(b);
        } finally {
            await b.close();
        }
    });
});
