// The console's "Encryption keys" page (issue 13, DATA-2) in a real browser
// against a real server: the tenant admin opens it from the navigation and
// sees version 1 current and no rotation; an operator rotates with the CLI
// while the page stays open; without a reload the page shows the new
// current version, the job's progress bar moving, and at the end version 1
// retired and the job done, as GET /admin/keys answers. An auditor reads
// it too (in Chinese here); a member is neither offered it nor shown it.
// Re-sealing is slowed (batches of one value, a pause) so the job lasts
// long enough to be watched.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PASSWORDS, closeDown, sleep, startServer } from '../api/lib/server.mjs';
import { activate, auth } from './lib/accounts.mjs';
import { axeViolations } from './lib/axe.mjs';
import { checkClean, expectScreen, launch, openPage, signIn } from './lib/browser.mjs';
import { shot } from './lib/shots.mjs';

const SLOW = { timeout: 150000 };
const HOOK = { timeout: 180000 };
const SEED = 24; // customers, a sealed e-mail each

let browser;

before(async () => { browser = await launch(); }, HOOK);
after(async () => { await browser?.close(); }, HOOK);

async function checkScreen(p) {
    assert.deepEqual(await axeViolations(p.page), [], 'axe: serious or critical violations');
    await checkClean(p);
}

/** The versions the page shows: [[version, state], …]. */
const shownVersions = (page) => page.getByTestId('key-version').evaluateAll((rows) => rows.map((r) => [
    Number(r.dataset.version), r.dataset.state]));

describe('console: encryption keys', () => {
    let srv;
    let A; // kim's API session (tenant admin)
    let admin; // kim's browser page

    before(async () => {
        srv = await startServer({
            name: 'browser-keys',
            conf: { keys: { reseal_batch: 1, reseal_pause_ms: 400 } },
            tenants: [{ slug: 'kvault', name: 'Key Vault', admin: 'kim', users: [{ username: 'aud' }, { username: 'mia' }] }],
        });
        for (const p of Object.values(PASSWORDS)) srv.secrets.add(p);
        const t = srv.tenants.kvault;
        A = await activate(srv, 'kvault', 'kim', t.admin.temporary_password, PASSWORDS.admin);
        await activate(srv, 'kvault', 'aud', t.users.aud.temporary_password, PASSWORDS.p1);
        await activate(srv, 'kvault', 'mia', t.users.mia.temporary_password, PASSWORDS.p2);
        const api = async (method, path, body, want) => {
            const r = await srv.api(method, path, { ...auth(A), body });
            assert.equal(r.status, want, `${method} ${path}: ${r.text}`);
            return r.json;
        };
        await api('POST', '/access/assignments', { role: 'auditor', account_id: t.users.aud.id, scope: 'tenant' }, 201);
        const d = await api('POST', '/directory/departments', { name: 'Company' }, 201);
        await api('POST', '/directory/employees', { account_id: t.admin.id, display_name: 'Kim', department_id: d.id }, 201);
        for (let i = 0; i < SEED; i++) {
            await api('POST', '/records/customer', { fields: { name: `Customer ${i}`, email: `c${i}@keys.example` } }, 201);
        }
        admin = await openPage(browser, srv.base);
        await admin.page.goto('/');
        await signIn(admin.page, 'kvault', 'kim', PASSWORDS.admin);
        await expectScreen(admin.page, 'signedin');
    }, HOOK);

    after(async () => {
        await admin?.close();
        await closeDown(srv);
    }, HOOK);

    test('1. the admin opens "Encryption keys" from the navigation: version 1 current, no rotation yet', SLOW, async () => {
        const { page } = admin;
        const link = page.getByTestId('nav-admin-keys');
        assert.equal((await link.textContent()).trim(), 'Encryption keys');
        await link.click();
        await page.getByTestId('page-keys').waitFor();
        await page.getByTestId('keys-versions').waitFor();
        assert.equal(await page.locator('#page-title').textContent(), 'Encryption keys');
        assert.deepEqual(await shownVersions(page), [[1, 'current']]);
        assert.equal(await page.getByTestId('keys-current').getAttribute('data-version'), '1');
        await page.getByTestId('keys-no-job').waitFor();
        assert.equal(await page.getByTestId('keys-job').count(), 0);
        await checkScreen(admin);
    });

    test('2. the CLI rotates: without a reload the page shows version 2 current, the progress moving, then version 1 retired', SLOW, async () => {
        const { page } = admin;
        // A mark in the page's own memory: a reload would lose it.
        await page.evaluate(() => { window.__svKeysMark = 'still here'; });
        const r = await srv.cli(['keys', 'rotate', '--tenant', 'kvault', '--json']);
        assert.equal(r.code, 0, r.stderr);
        const rot = JSON.parse(r.stdout);
        assert.equal(rot.version, 2);

        // The page notices the rotation by itself (it asks every 10 s when idle).
        const job = page.locator(`[data-testid="keys-job"][data-id="${rot.job}"]`);
        await job.waitFor({ timeout: 20000 });
        await page.locator('[data-testid="keys-current"][data-version="2"]').waitFor();
        assert.deepEqual((await shownVersions(page)).slice(0, 2), [[1, 'live'], [2, 'current']]);
        assert.equal(await job.getAttribute('data-state'), 'running');
        assert.equal(await job.getAttribute('data-version'), '2');
        assert.equal(Number(await job.getAttribute('data-total')), rot.values);

        // The bar while it runs: the values looked at, of the total; it moves
        // (the page asks every 2 s while a job runs).
        const bar = page.getByTestId('keys-bar');
        await bar.waitFor();
        assert.match(await page.getByTestId('keys-progress').textContent(), /Re-sealing|Checking/);
        assert.match(await page.getByTestId('keys-progress-text').textContent(), new RegExp(`of about ${rot.values} values`));
        const progress = async () => [Number(await job.getAttribute('data-pass')), Number(await job.getAttribute('data-looked-at'))];
        const first = await progress();
        let moved = false;
        for (let i = 0; i < 40 && !moved; i++) {
            await sleep(500);
            if (await job.getAttribute('data-state') !== 'running') break;
            const now = await progress();
            moved = now[0] > first[0] || now[1] > first[1];
        }
        assert.ok(moved, `the progress moved on the page from ${JSON.stringify(first)}`);
        assert.equal(await bar.getAttribute('max'), '100');
        const pct = Number(await bar.getAttribute('value'));
        assert.ok(pct >= 0 && pct <= 100, `bar at ${pct}`);
        await checkScreen(admin);
        await shot(page, 'keys');

        // The end: the job done, version 1 retired, as the API says.
        await page.locator(`[data-testid="keys-job"][data-id="${rot.job}"][data-state="done"]`).waitFor({ timeout: 90000 });
        await page.locator('[data-testid="key-version"][data-version="1"][data-state="retired"]').waitFor();
        assert.deepEqual(await shownVersions(page), [[1, 'retired'], [2, 'current']]);
        assert.equal(await page.getByTestId('keys-bar').count(), 0, 'no bar once the job is done');
        assert.match(await page.getByTestId('keys-outcome').textContent(), /Done: \d+ values re-sealed to version 2/);
        const api = await srv.api('GET', '/admin/keys', auth(A));
        assert.equal(api.status, 200);
        assert.deepEqual(api.json.versions.map((v) => [v.version, v.state]), await shownVersions(page));
        assert.equal(api.json.job.id, rot.job);
        assert.equal(api.json.job.state, 'done');
        assert.equal(await page.evaluate(() => window.__svKeysMark), 'still here', 'the page was never reloaded');
        await checkScreen(admin);
    });

    test('3. an auditor reads the page (in Chinese); a member is neither offered nor shown it', SLOW, async () => {
        const a = await openPage(browser, srv.base);
        try {
            const { page } = a;
            await page.goto('/');
            await signIn(page, 'kvault', 'aud', PASSWORDS.p1);
            await expectScreen(page, 'signedin');
            await page.getByTestId('lang-select').selectOption('zh-CN');
            await page.getByTestId('nav-admin-keys').click();
            await page.getByTestId('keys-versions').waitFor();
            assert.equal(await page.locator('#page-title').textContent(), '加密密钥');
            assert.deepEqual(await shownVersions(page), [[1, 'retired'], [2, 'current']]);
            await page.locator('[data-testid="keys-job"][data-state="done"]').waitFor();
            assert.match(await page.getByTestId('keys-outcome').textContent(), /已完成/);
            await checkScreen(a);
        } finally {
            await a.close();
        }
        const m = await openPage(browser, srv.base);
        try {
            const { page } = m;
            await page.goto('/');
            await signIn(page, 'kvault', 'mia', PASSWORDS.p2);
            await expectScreen(page, 'signedin');
            const links = await page.getByTestId('nav').locator('a').evaluateAll((x) => x.map((l) => l.getAttribute('href')));
            assert.ok(links.length > 0);
            assert.ok(!links.includes('#/admin/keys'), 'no keys link for a member');
            await page.goto('/#/admin/keys');
            await page.getByTestId('page-forbidden').waitFor();
            await checkClean(m);
        } finally {
            await m.close();
        }
    });
});
