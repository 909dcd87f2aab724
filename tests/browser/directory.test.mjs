// The console's Departments screen (issue 11, DIR-2) in a real browser
// against a real server, driven as a tenant administrator would: a small
// tree built in the screen (two roots, a child, a grandchild), moving about
// by the breadcrumb and by deep links (a reload keeps the place), rename
// (a sibling's name refused, the field marked), move (under another
// department, to the top level; into its own subtree refused), delete
// (refused while it has children, then allowed), search over the whole tree.
// After every change the tree the API answers is compared with what was
// done. A member reads the tree but is offered no change, and the API
// refuses every change of theirs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PASSWORDS, closeDown, startServer } from '../api/lib/server.mjs';
import { activate, auth } from './lib/accounts.mjs';
import { axeViolations } from './lib/axe.mjs';
import { checkClean, expectScreen, launch, openPage, signIn } from './lib/browser.mjs';
import { shot } from './lib/shots.mjs';

const SLOW = { timeout: 60000 };
const HOOK = { timeout: 120000 };
const BASE = '/directory/departments';
const UNKNOWN = '01900000-0000-7000-8000-000000000000';

let browser;

before(async () => { browser = await launch(); }, HOOK);
after(async () => { await browser?.close(); }, HOOK);

/** The screen as it is: no serious axe finding, nothing unclean. */
async function checkScreen(p) {
    assert.deepEqual(await axeViolations(p.page), [], 'axe: serious or critical violations');
    await checkClean(p);
}

/** The breadcrumb reads @p crumbs (the last one the current place) and the heading says where. */
async function expectPlace(page, crumbs) {
    const want = JSON.stringify(crumbs);
    try {
        await page.waitForFunction((w) => {
            const n = document.querySelector('[data-testid="dept-crumbs"]');
            return !!n && JSON.stringify([...n.querySelectorAll('li')].map((li) => li.textContent.trim())) === w;
        }, want, { timeout: 10000 });
    } catch {
        const got = await page.locator('[data-testid="dept-crumbs"] li').allTextContents();
        throw new Error(`breadcrumb ${JSON.stringify(got)}, expected ${want}`);
    }
    const title = crumbs.length === 1 ? 'Departments' : crumbs[crumbs.length - 1];
    assert.equal((await page.locator('#page-title').textContent()).trim(), title);
}

/** The list of the place's children, loaded, is @p names. */
async function expectChildren(page, names) {
    const want = JSON.stringify(names);
    try {
        await page.waitForFunction((w) => {
            const p = document.querySelector('[data-testid="dept-children"]');
            if (!p || p.querySelector('[aria-busy]')) return false;
            const got = [...p.querySelectorAll('[data-testid="dept-child"]')].map((e) => e.dataset.name);
            if (got.length === 0) {
                const e = p.querySelector('[data-testid="empty"]');
                return w === '[]' && !!e && !/Loading/.test(e.textContent);
            }
            return JSON.stringify(got) === w;
        }, want, { timeout: 10000 });
    } catch {
        const got = await page.locator('[data-testid="dept-child"]').evaluateAll((els) => els.map((e) => e.dataset.name));
        throw new Error(`children ${JSON.stringify(got)}, expected ${want}`);
    }
}

/** The confirmation line says @p text. */
async function expectNotice(page, text) {
    const n = page.locator('[data-testid="dept-notice"]:not([hidden])');
    await n.waitFor();
    assert.equal((await n.textContent()).trim(), text);
}

/** Add a department at the place shown, through the form (submitted with Enter). */
async function addDept(page, name) {
    await page.getByTestId('dept-new-name').fill(name);
    await page.getByTestId('dept-new-name').press('Enter');
    await page.locator(`[data-testid="dept-child"][data-name="${name}"]`).waitFor();
    await expectNotice(page, `Added “${name}”.`);
}

/** Open a place by its deep link. */
async function openDept(page, id) {
    await page.goto(id ? `/#/directory?dept=${id}` : '/#/directory');
    await page.getByTestId('page-directory').waitFor();
}

describe('console: departments', () => {
    let srv;
    let A; // root's API session (acme admin)
    let M; // mallory's API session (acme member)
    let admin; // root's browser page
    const id = {}; // name → id
    const pw = {};

    before(async () => {
        srv = await startServer({
            name: 'browser-directory',
            tenants: [{ slug: 'acme', name: 'Acme Directory', admin: 'root', users: [{ username: 'mallory' }] }],
        });
        for (const p of Object.values(PASSWORDS)) srv.secrets.add(p);
        const acme = srv.tenants.acme;
        A = await activate(srv, 'acme', 'root', acme.admin.temporary_password, PASSWORDS.admin);
        M = await activate(srv, 'acme', 'mallory', acme.users.mallory.temporary_password, PASSWORDS.p1);
        pw.mallory = PASSWORDS.p1;
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

    /** The whole tree as the API answers it: {name: {child: {…}}}, every page followed. */
    async function apiTree(parent = null) {
        const out = {};
        let cursor = null;
        for (let i = 0; i < 20; i++) {
            const qs = new URLSearchParams({ limit: '200', ...(parent ? { parent } : {}), ...(cursor ? { cursor } : {}) });
            const r = await api('GET', `${BASE}?${qs}`);
            assert.equal(r.status, 200, `GET ${BASE}?${qs}: ${r.text}`);
            for (const d of r.json.items) {
                assert.equal(d.parent_id, parent);
                out[d.name] = await apiTree(d.id);
            }
            cursor = r.json.next_cursor;
            if (!cursor) return out;
        }
        throw new Error('too many pages');
    }

    /** The names of the ancestors of @p dept (root first), from GET /{id}. */
    async function apiPath(dept) {
        const r = await api('GET', `${BASE}/${dept}`);
        assert.equal(r.status, 200, r.text);
        return r.json.path.map((p) => p.name);
    }

    /** The id of the child named @p name in the list shown. */
    const childId = (page, name) => page.locator(`[data-testid="dept-child"][data-name="${name}"]`).getAttribute('data-id');
    const focused = (page) => page.evaluate(() => document.activeElement && (document.activeElement.id
        || document.activeElement.dataset.testid));

    test('1. build a tree in the screen: two roots, a child, a grandchild; by keyboard too', SLOW, async () => {
        const { page } = admin;
        await page.getByTestId('nav-directory').click();
        await page.getByTestId('page-directory').waitFor();
        await expectPlace(page, ['Top level']);
        await expectChildren(page, []);
        assert.equal(await focused(page), 'page-title', 'the heading has the focus');
        assert.equal(await page.getByTestId('nav-directory').getAttribute('aria-current'), 'page');
        await checkScreen(admin);

        await addDept(page, 'Sales');
        await addDept(page, 'Plant');
        await expectChildren(page, ['Plant', 'Sales']);
        assert.deepEqual(await apiTree(), { Sales: {}, Plant: {} });
        id.Sales = await childId(page, 'Sales');
        id.Plant = await childId(page, 'Plant');

        // Into Sales with the keyboard: the link, Enter; the focus goes to the new place's heading.
        await page.locator('[data-testid="dept-child"][data-name="Sales"] a').focus();
        await page.keyboard.press('Enter');
        await expectPlace(page, ['Top level', 'Sales']);
        assert.equal(new URL(page.url()).hash, `#/directory?dept=${id.Sales}`);
        assert.equal(await focused(page), 'page-title');
        await expectChildren(page, []);
        assert.equal((await page.locator('#dept-add-title').textContent()).trim(), 'Add a department under Sales');
        await addDept(page, 'North');
        assert.deepEqual(await apiTree(), { Sales: { North: {} }, Plant: {} });
        id.North = await childId(page, 'North');

        await page.locator('[data-testid="dept-child"][data-name="North"] a').click();
        await expectPlace(page, ['Top level', 'Sales', 'North']);
        await addDept(page, 'Team A');
        id['Team A'] = await childId(page, 'Team A');
        assert.deepEqual(await apiTree(), { Sales: { North: { 'Team A': {} } }, Plant: {} });
        assert.deepEqual(await apiPath(id['Team A']), ['Sales', 'North']);
        await checkScreen(admin);
        await page.evaluate(() => window.scrollTo(0, 0));
        await shot(page, 'directory');
    });

    test('2. the breadcrumb and deep links; a reload keeps the place; an unknown department', SLOW, async () => {
        const { page } = admin;
        // The crumbs link to the ancestors the API names.
        const crumbIds = await page.getByTestId('dept-crumb').evaluateAll((a) => a.map((x) => x.dataset.id));
        assert.deepEqual(crumbIds, ['', id.Sales]);
        await page.locator(`[data-testid="dept-crumb"][data-id="${id.Sales}"]`).click();
        await expectPlace(page, ['Top level', 'Sales']);
        await expectChildren(page, ['North']);
        await page.reload();
        await expectScreen(page, 'signedin');
        await expectPlace(page, ['Top level', 'Sales']);
        await expectChildren(page, ['North']);

        await openDept(page, id['Team A']);
        await expectPlace(page, ['Top level', 'Sales', 'North', 'Team A']);
        await expectChildren(page, []);
        assert.deepEqual(await page.getByTestId('dept-crumb').evaluateAll((a) => a.map((x) => x.dataset.id)),
            ['', id.Sales, id.North]);
        await page.reload();
        await expectScreen(page, 'signedin');
        await expectPlace(page, ['Top level', 'Sales', 'North', 'Team A']);
        assert.equal((await page.getByTestId('dept-move-now').textContent()).trim(), 'It is now in Sales / North.');
        await checkScreen(admin);

        await page.locator('[data-testid="dept-crumb"][data-id=""]').click();
        await expectPlace(page, ['Top level']);
        await expectChildren(page, ['Plant', 'Sales']);

        await openDept(page, UNKNOWN);
        await page.locator('[data-testid="dept-error"][data-code="not_found"]').waitFor();
        assert.equal(await page.getByTestId('dept-children').count(), 0);
        await checkScreen(admin);
        await page.getByTestId('dept-back-top').click();
        await expectPlace(page, ['Top level']);
    });

    test('3. rename; a sibling\'s name is refused with the field marked', SLOW, async () => {
        const { page } = admin;
        await openDept(page, id.North);
        await expectPlace(page, ['Top level', 'Sales', 'North']);
        assert.equal(await page.getByTestId('dept-name').inputValue(), 'North');
        await page.getByTestId('dept-name').fill('North region');
        await page.getByTestId('dept-rename-submit').click();
        await expectNotice(page, 'Renamed to “North region”.');
        await expectPlace(page, ['Top level', 'Sales', 'North region']);
        assert.deepEqual(await apiTree(), { Sales: { 'North region': { 'Team A': {} } }, Plant: {} });

        // Plant may not take the name of its sibling Sales (capitals do not count).
        await openDept(page, id.Plant);
        await expectPlace(page, ['Top level', 'Plant']);
        await page.getByTestId('dept-name').fill('SALES');
        await page.getByTestId('dept-rename-submit').click();
        const err = page.locator('[data-testid="dept-rename-error"][data-code="department_name_taken"]');
        await err.waitFor();
        assert.match(await err.textContent(), /already has this name/);
        assert.equal(await page.getByTestId('dept-name').getAttribute('aria-invalid'), 'true');
        assert.match(await page.getByTestId('dept-name-error').textContent(), /already has this name/);
        await expectPlace(page, ['Top level', 'Plant']);
        await checkScreen(admin);
        // The same when adding: "plant" beside Plant.
        await openDept(page, '');
        await expectChildren(page, ['Plant', 'Sales']);
        await page.getByTestId('dept-new-name').fill('plant');
        await page.getByTestId('dept-new-submit').click();
        await page.locator('[data-testid="dept-create-error"][data-code="department_name_taken"]').waitFor();
        assert.equal(await page.getByTestId('dept-new-name').getAttribute('aria-invalid'), 'true');
        await checkScreen(admin);
        assert.deepEqual(await apiTree(), { Sales: { 'North region': { 'Team A': {} } }, Plant: {} });
    });

    test('4. move under another department, into its own subtree (refused), to the top level', SLOW, async () => {
        const { page } = admin;
        await openDept(page, id.North);
        await expectPlace(page, ['Top level', 'Sales', 'North region']);
        await page.getByTestId('dept-move-q').fill('pla');
        await page.getByTestId('dept-move-q').press('Enter');
        const to = page.locator(`[data-testid="dept-move-to"][data-id="${id.Plant}"]`);
        await to.waitFor();
        assert.equal((await to.textContent()).trim(), 'Move under Plant');
        await to.click();
        await expectNotice(page, 'Moved under “Plant”.');
        await expectPlace(page, ['Top level', 'Plant', 'North region']);
        assert.deepEqual(await apiTree(), { Sales: {}, Plant: { 'North region': { 'Team A': {} } } });
        assert.deepEqual(await apiPath(id['Team A']), ['Plant', 'North region']);

        // Plant under Team A, which is under Plant: refused, the message shown, the field marked.
        await openDept(page, id.Plant);
        await expectPlace(page, ['Top level', 'Plant']);
        await page.getByTestId('dept-move-q').fill('team');
        await page.getByTestId('dept-move-find').click();
        const team = page.locator(`[data-testid="dept-move-to"][data-id="${id['Team A']}"]`);
        await team.waitFor();
        assert.equal((await team.textContent()).trim(), 'Move under Plant / North region / Team A');
        const [res] = await Promise.all([
            page.waitForResponse((r) => r.request().method() === 'PATCH'
                && new URL(r.url()).pathname === `/api/v1${BASE}/${id.Plant}`),
            team.click(),
        ]);
        assert.equal(res.status(), 409);
        assert.equal((await res.json()).error.field, 'parent_id');
        const err = page.locator('[data-testid="dept-move-error"][data-code="department_misplaced"]');
        await err.waitFor();
        assert.match(await err.textContent(), /cannot move inside itself or a department under it/);
        assert.equal(await page.getByTestId('dept-move-q').getAttribute('aria-invalid'), 'true');
        await expectPlace(page, ['Top level', 'Plant']);
        await checkScreen(admin);
        assert.deepEqual(await apiTree(), { Sales: {}, Plant: { 'North region': { 'Team A': {} } } });

        // Team A to the top level.
        await openDept(page, id['Team A']);
        await expectPlace(page, ['Top level', 'Plant', 'North region', 'Team A']);
        await page.getByTestId('dept-move-root').click();
        await expectNotice(page, 'Moved to the top level.');
        await expectPlace(page, ['Top level', 'Team A']);
        assert.equal(await page.getByTestId('dept-move-root').count(), 0, 'a root cannot move to the top level');
        assert.deepEqual(await apiTree(), { Sales: {}, Plant: { 'North region': {} }, 'Team A': {} });
        assert.deepEqual(await apiPath(id['Team A']), []);
    });

    test('5. delete: refused while it has departments under it, then allowed', SLOW, async () => {
        const { page } = admin;
        await openDept(page, id.Plant);
        await expectPlace(page, ['Top level', 'Plant']);
        await expectChildren(page, ['North region']);
        await page.getByTestId('dept-delete').click();
        // The confirmation offers the safe choice first.
        await page.waitForFunction(() => document.activeElement?.dataset.testid === 'dept-delete-no');
        const [res] = await Promise.all([
            page.waitForResponse((r) => r.request().method() === 'DELETE'
                && new URL(r.url()).pathname === `/api/v1${BASE}/${id.Plant}`),
            page.getByTestId('dept-delete-yes').click(),
        ]);
        assert.equal(res.status(), 409);
        assert.equal((await res.json()).error.code, 'conflict');
        const err = page.locator('[data-testid="dept-delete-error"][data-code="department_has_children"]');
        await err.waitFor();
        assert.equal((await err.textContent()).trim(),
            'This department still has departments under it. Move or delete them first.');
        await checkScreen(admin);
        assert.deepEqual(await apiTree(), { Sales: {}, Plant: { 'North region': {} }, 'Team A': {} });

        // Its child first: the screen goes to the parent and says so.
        await page.locator('[data-testid="dept-child"][data-name="North region"] a').click();
        await expectPlace(page, ['Top level', 'Plant', 'North region']);
        await page.getByTestId('dept-delete').click();
        await page.getByTestId('dept-delete-yes').click();
        await expectPlace(page, ['Top level', 'Plant']);
        await expectNotice(page, 'Deleted “North region”.');
        await expectChildren(page, []);
        assert.deepEqual(await apiTree(), { Sales: {}, Plant: {}, 'Team A': {} });
        assert.equal((await api('GET', `${BASE}/${id.North}`)).status, 404);

        await page.getByTestId('dept-delete').click();
        await page.getByTestId('dept-delete-yes').click();
        await expectPlace(page, ['Top level']);
        await expectNotice(page, 'Deleted “Plant”.');
        await expectChildren(page, ['Sales', 'Team A']);
        assert.deepEqual(await apiTree(), { Sales: {}, 'Team A': {} });
        await checkScreen(admin);
    });

    test('6. search the whole tree by part of a name; the results link to each place', SLOW, async () => {
        const { page } = admin;
        await openDept(page, id.Sales);
        await addDept(page, 'Team B');
        id['Team B'] = await childId(page, 'Team B');
        assert.deepEqual(await apiTree(), { Sales: { 'Team B': {} }, 'Team A': {} });

        await page.getByTestId('dept-q').fill('EAM');
        await page.getByTestId('dept-q').press('Enter');
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="dept-result"]').length === 2
            && !document.querySelector('[data-testid="dept-results"][aria-busy]'));
        const shown = await page.getByTestId('dept-result').evaluateAll((r) => r.map((x) => [x.dataset.id,
            x.querySelector('[data-testid="dept-result-where"]').textContent.trim()]));
        const found = (await api('GET', `${BASE}?q=EAM`)).json.items.map((d) => d.id);
        assert.deepEqual(shown.map((s) => s[0]), found);
        assert.deepEqual(shown, [[id['Team A'], 'at the top level'], [id['Team B'], 'in Sales']]);
        await checkScreen(admin);

        await page.locator(`[data-testid="dept-result"][data-id="${id['Team B']}"] a`).click();
        await expectPlace(page, ['Top level', 'Sales', 'Team B']);
        assert.equal(new URL(page.url()).hash, `#/directory?dept=${id['Team B']}&q=EAM`);
        await page.reload();
        await expectScreen(page, 'signedin');
        await expectPlace(page, ['Top level', 'Sales', 'Team B']);
        await page.getByTestId('dept-result').nth(1).waitFor();
        assert.equal(await page.getByTestId('dept-q').inputValue(), 'EAM');

        await page.getByTestId('dept-q').fill('nothing-like-it');
        await page.getByTestId('dept-q-submit').click();
        await page.locator('[data-testid="dept-search"] [data-testid="empty"]',
            { hasText: 'No department\'s name contains “nothing-like-it”.' }).waitFor();
        await page.getByTestId('dept-q-clear').click();
        await page.getByTestId('dept-q-clear').waitFor({ state: 'detached' });
        assert.equal(new URL(page.url()).hash, `#/directory?dept=${id['Team B']}`);
        await checkScreen(admin);
    });

    test('7. in Chinese: the same screen, every word from the catalogue', SLOW, async () => {
        const { page } = admin;
        await openDept(page, id.Sales);
        await expectPlace(page, ['Top level', 'Sales']);
        await page.getByTestId('lang-select').selectOption({ label: '简体中文' });
        await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
        await page.waitForFunction(() => document.querySelector('#dept-children-title')?.textContent.trim() === 'Sales的下级部门');
        assert.equal((await page.getByTestId('dept-crumb').first().textContent()).trim(), '顶层');
        assert.equal((await page.getByTestId('nav-directory').textContent()).trim(), '部门');
        assert.equal((await page.getByTestId('dept-delete').textContent()).trim(), '删除此部门');
        await checkScreen(admin);
        await page.getByTestId('lang-select').selectOption({ label: 'English' });
        await page.waitForFunction(() => document.documentElement.lang === 'en');
    });

    test('8. a member reads the tree (no admin links, no way to change it); the API refuses every change', SLOW, async () => {
        const m = await openPage(browser, srv.base);
        try {
            await m.page.goto('/');
            await signIn(m.page, 'acme', 'mallory', pw.mallory);
            await expectScreen(m.page, 'signedin');
            const links = await m.page.getByTestId('nav').locator('a').evaluateAll((a) => a.map((x) => x.getAttribute('href')));
            assert.ok(links.length > 0);
            assert.equal(links.filter((h) => h.startsWith('#/admin')).length, 0, 'no admin links');
            await m.page.getByTestId('nav-directory').click();
            await m.page.getByTestId('page-directory').waitFor();
            await m.page.getByTestId('dept-child').first().waitFor();
            assert.equal(await m.page.getByTestId('dept-create-form').count(), 0, 'no add form at the top');
            await m.page.goto(`/#/directory?dept=${id.Sales}`);
            await m.page.getByTestId('dept-crumb-current').filter({ hasText: 'Sales' }).waitFor();
            await m.page.getByTestId('dept-child').first().waitFor();
            assert.equal(await m.page.getByTestId('dept-this').count(), 0, 'no rename, move or delete');
            assert.equal(await m.page.getByTestId('dept-create-form').count(), 0, 'no add form');
            await checkScreen(m);
        } finally {
            await m.close();
        }
        for (const [method, path] of [['GET', BASE], ['GET', `${BASE}/${id.Sales}`]]) {
            const r = await api(method, path, M);
            assert.equal(r.status, 200, `${method} ${path} as a member: ${r.text}`);
        }
        for (const [method, path, body] of [['POST', BASE, { name: 'X' }],
            ['PATCH', `${BASE}/${id.Sales}`, { name: 'X' }], ['DELETE', `${BASE}/${id['Team B']}`]]) {
            const r = await api(method, path, M, body ? { body } : {});
            assert.equal(r.status, 403, `${method} ${path} as a member: ${r.text}`);
        }
        assert.deepEqual(await apiTree(), { Sales: { 'Team B': {} }, 'Team A': {} }, 'the member changed nothing');
        await checkClean(admin);
    });

    test('9. a department admin of Sales is offered changes under Sales only, and makes one', SLOW, async () => {
        const me = await api('GET', '/me', M);
        const g = await api('POST', '/access/assignments', A, {
            body: { role: 'department_admin', account_id: me.json.id, scope: 'department', department_id: id.Sales },
        });
        assert.equal(g.status, 201, g.text);
        const m = await openPage(browser, srv.base);
        try {
            await m.page.goto('/');
            await signIn(m.page, 'acme', 'mallory', pw.mallory);
            await expectScreen(m.page, 'signedin');
            // The top level and another root: read only.
            await m.page.goto('/#/directory');
            await m.page.getByTestId('dept-child').first().waitFor();
            assert.equal(await m.page.getByTestId('dept-create-form').count(), 0, 'no new root');
            await m.page.goto(`/#/directory?dept=${id['Team A']}`);
            await m.page.getByTestId('dept-crumb-current').filter({ hasText: 'Team A' }).waitFor();
            assert.equal(await m.page.getByTestId('dept-this').count(), 0, 'Team A is not theirs');
            assert.equal(await m.page.getByTestId('dept-create-form').count(), 0);
            // Sales: add a child, no "to the top" move (that needs the tenant).
            await m.page.goto(`/#/directory?dept=${id.Sales}`);
            await m.page.getByTestId('dept-this').waitFor();
            assert.equal(await m.page.getByTestId('dept-move-root').count(), 0, 'no move to the top');
            await addDept(m.page, 'Team C');
            await checkScreen(m);
        } finally {
            await m.close();
        }
        assert.deepEqual(await apiTree(), { Sales: { 'Team B': {}, 'Team C': {} }, 'Team A': {} });
        assert.equal((await api('DELETE', `/access/assignments/${g.json.id}`)).status, 204);
        await checkClean(admin);
    });
});
