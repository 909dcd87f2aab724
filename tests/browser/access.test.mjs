// The console's roles and assignments (issue 11, parts 3 and 9; DIR-2,
// AUD-2) in a real browser against a real server: the built-in and custom
// roles as the API lists them; a custom role made with the catalogue's
// checkboxes (a built-in's name and an empty set refused on their fields),
// changed, and deleted only once no one holds it; a role given to an account
// over a department chosen by name (the same one twice refused); that
// department admin, in their own browser, offered changes and reveals only
// under that department (and refused by the API elsewhere); the role taken
// away again; the last tenant admin's revocation refused in words. Every
// screen is checked with axe and compared with the API's answers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PASSWORDS, closeDown, startServer } from '../api/lib/server.mjs';
import { activate, auth } from './lib/accounts.mjs';
import { axeViolations } from './lib/axe.mjs';
import { checkClean, expectScreen, launch, openPage, signIn } from './lib/browser.mjs';
import { apiAll, expectRows, hireApi, mkDept, pick } from './lib/people.mjs';
import { shot } from './lib/shots.mjs';

const SLOW = { timeout: 90000 };
const HOOK = { timeout: 180000 };
const ROLE = 'Sales managers';

let browser;

before(async () => { browser = await launch(); }, HOOK);
after(async () => { await browser?.close(); }, HOOK);

async function checkScreen(p) {
    assert.deepEqual(await axeViolations(p.page), [], 'axe: serious or critical violations');
    await checkClean(p);
}

describe('console: roles and assignments', () => {
    let srv;
    let A; // root (acme's tenant admin)
    let D; // dora (a member, then a department admin of Sales through a custom role)
    let admin;
    const d = {};
    const e = {};
    const id = {};

    before(async () => {
        srv = await startServer({
            name: 'browser-access',
            tenants: [{ slug: 'acme', name: 'Acme Access', admin: 'root', users: [{ username: 'dora' }, { username: 'mallory' }] }],
        });
        for (const p of Object.values(PASSWORDS)) srv.secrets.add(p);
        const acme = srv.tenants.acme;
        A = await activate(srv, 'acme', 'root', acme.admin.temporary_password, PASSWORDS.admin);
        D = await activate(srv, 'acme', 'dora', acme.users.dora.temporary_password, PASSWORDS.p1);
        await activate(srv, 'acme', 'mallory', acme.users.mallory.temporary_password, PASSWORDS.p2);
        id.root = acme.admin.id;
        id.dora = acme.users.dora.id;
        d.Company = await mkDept(srv, A, 'Company');
        d.Sales = await mkDept(srv, A, 'Sales', d.Company);
        d.East = await mkDept(srv, A, 'East', d.Sales);
        d.Finance = await mkDept(srv, A, 'Finance', d.Company);
        e.ann = (await hireApi(srv, A, { username: 'ann', display_name: 'Ann Archer', department_id: d.East, phone: '138 0013 8000' })).id;
        e.bob = (await hireApi(srv, A, { username: 'bob', display_name: 'Bob Brown', department_id: d.Finance, phone: '139 0013 9000' })).id;
        for (const s of ['+8613800138000', '+8613900139000']) srv.secrets.add(s);
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
    const roles = async () => (await api('GET', '/access/roles')).json.items;
    const assignments = (query = {}) => apiAll(srv, A, '/access/assignments', query);
    const open = async (page, hash, testid) => {
        await page.goto(`/#${hash}`);
        await page.getByTestId(testid).waitFor();
    };

    test('1. the roles as the API lists them; a custom role made with checkboxes; bad ones refused on their fields', SLOW, async () => {
        const { page } = admin;
        await page.getByTestId('nav-admin-roles').click();
        await page.getByTestId('page-roles').waitFor();
        const listed = await roles();
        await expectRows(page, 'roles-table', 'role-row', listed.map((r) => r.id), 'id');
        assert.deepEqual(listed.map((r) => r.id), ['tenant_admin', 'department_admin', 'auditor', 'member']);
        for (const r of listed) {
            const perms = await page.locator(`[data-testid="role-row"][data-id="${r.id}"] [data-perm]`)
                .evaluateAll((l) => l.map((x) => x.dataset.perm));
            assert.deepEqual(perms, r.permissions, `${r.id}'s permissions`);
        }
        assert.equal((await page.locator('[data-testid="role-row"][data-id="department_admin"] [data-testid="role-link"]')
            .textContent()).trim(), 'Department administrator');
        const catalogue = (await api('GET', '/access/permissions')).json.items.map((p) => p.name);
        assert.deepEqual(await page.getByTestId('role-create-form').locator('[data-testid="perm-check"]')
            .evaluateAll((l) => l.map((x) => x.dataset.perm)), catalogue, 'a checkbox per permission, in catalogue order');
        await checkScreen(admin);

        // A built-in role's key as the name: refused on the name.
        const form = page.getByTestId('role-create-form');
        await page.getByTestId('role-new-name').fill('tenant_admin');
        await form.locator('[data-perm="audit.read"]').check();
        await page.getByTestId('role-create-form-submit').click();
        await page.locator('[data-testid="role-create-form-error"][data-code="field_invalid"]').waitFor();
        assert.equal(await page.getByTestId('role-new-name').getAttribute('aria-invalid'), 'true');
        assert.match(await page.getByTestId('role-new-name-error').textContent(), /“Name” is not valid/);
        // No permission: refused on the checkboxes.
        await page.getByTestId('role-new-name').fill(ROLE);
        await form.locator('[data-perm="audit.read"]').uncheck();
        await page.getByTestId('role-create-form-submit').click();
        await page.locator('[data-testid="role-new-perms-error"]').waitFor();
        assert.match(await page.getByTestId('role-new-perms-error').textContent(), /“Permissions” is not valid/);
        assert.equal(await page.getByTestId('role-new-perms').getAttribute('aria-invalid'), 'true');
        await checkScreen(admin);
        assert.equal((await roles()).length, 4, 'nothing made');

        // The real one, with the keyboard: Space on the checkboxes, Enter in the name.
        await page.getByTestId('role-new-description').fill('Run the sales departments');
        for (const p of ['directory.manage', 'directory.view_phone']) {
            await form.locator(`[data-perm="${p}"]`).focus();
            await page.keyboard.press('Space');
        }
        await page.getByTestId('role-new-name').press('Enter');
        await page.locator('[data-testid="roles-notice"]:not([hidden])').waitFor();
        assert.equal((await page.getByTestId('roles-notice').textContent()).trim(), `Made the role “${ROLE}”.`);
        const made = (await roles()).find((r) => r.name === ROLE);
        assert.ok(made, 'the API has the role');
        assert.equal(made.builtin, false);
        assert.equal(made.description, 'Run the sales departments');
        assert.deepEqual(made.permissions, ['directory.manage', 'directory.view_phone']);
        id.role = made.id;
        await expectRows(page, 'roles-table', 'role-row', (await roles()).map((r) => r.id), 'id');
        assert.equal(await page.getByTestId('role-new-name').inputValue(), '', 'the form is empty again');
        assert.equal(await form.locator('[data-testid="perm-check"]:checked').count(), 0);
        await checkScreen(admin);
        await page.evaluate(() => window.scrollTo(0, 0));
        await shot(page, 'roles');
    });

    test('2. a custom role changed on its page; a built-in one cannot be', SLOW, async () => {
        const { page } = admin;
        await page.locator(`[data-testid="role-row"][data-id="${id.role}"] [data-testid="role-link"]`).click();
        await page.getByTestId('role-edit').waitFor();
        assert.equal((await page.locator('#page-title').textContent()).trim(), ROLE);
        assert.equal(await page.getByTestId('role-edit-name').inputValue(), ROLE);
        const checked = await page.locator('[data-testid="role-edit-form"] [data-testid="perm-check"]:checked')
            .evaluateAll((l) => l.map((x) => x.dataset.perm));
        assert.deepEqual(checked, ['directory.manage', 'directory.view_phone']);
        await page.getByTestId('role-edit-description').fill('Runs Sales and everything under it');
        await page.locator('[data-testid="role-edit-form"] [data-perm="directory.read"]').check();
        const [res] = await Promise.all([
            page.waitForResponse((x) => x.request().method() === 'PATCH'),
            page.getByTestId('role-edit-form-submit').click(),
        ]);
        assert.equal(res.status(), 200);
        assert.deepEqual(res.request().postDataJSON(), {
            description: 'Runs Sales and everything under it',
            permissions: ['directory.read', 'directory.manage', 'directory.view_phone'],
        });
        await page.locator('[data-testid="role-notice"]:not([hidden])').waitFor();
        const r = (await roles()).find((x) => x.id === id.role);
        assert.equal(r.description, 'Runs Sales and everything under it');
        assert.deepEqual(r.permissions, ['directory.read', 'directory.manage', 'directory.view_phone']);
        await checkScreen(admin);

        await open(page, '/admin/roles/tenant_admin', 'page-role');
        await page.getByTestId('role-builtin-note').waitFor();
        assert.equal(await page.getByTestId('role-edit').count(), 0, 'no form for a built-in role');
        await checkScreen(admin);
    });

    test('3. give the role over a department chosen by name; the same again is refused; the filter by account', SLOW, async () => {
        const { page } = admin;
        await page.getByTestId('nav-admin-assignments').click();
        await page.getByTestId('page-assignments').waitFor();
        const before = await assignments();
        assert.deepEqual(before.map((a) => [a.role, a.scope, a.account_id]), [['tenant_admin', 'tenant', id.root]]);
        await expectRows(page, 'assign-table', 'assign-row', before.map((a) => a.id), 'id');
        await checkScreen(admin);

        const grant = async () => {
            if (await page.getByTestId('grant-account-chosen').count() === 0) await pick(page, 'grant-account', 'do', 'dora');
            await page.getByTestId('grant-role').selectOption({ label: ROLE });
            await page.getByTestId('grant-scope').selectOption('department');
            await pick(page, 'grant-dept', 'sal', 'Sales');
            return Promise.all([
                page.waitForResponse((x) => x.request().method() === 'POST' && x.url().endsWith('/api/v1/access/assignments')),
                page.getByTestId('grant-submit').click(),
            ]);
        };
        // A role with no department permission is offered over the tenant only.
        await page.getByTestId('grant-role').selectOption('auditor');
        assert.deepEqual(await page.getByTestId('grant-scope').locator('option').evaluateAll((o) => o.map((x) => x.value)), ['tenant']);
        const [res] = await grant();
        assert.equal(res.status(), 201);
        assert.deepEqual(res.request().postDataJSON(),
            { role: id.role, account_id: id.dora, scope: 'department', department_id: d.Sales });
        await page.locator('[data-testid="assign-notice"]:not([hidden])').waitFor();
        assert.equal((await page.getByTestId('assign-notice').textContent()).trim(),
            `Gave ${ROLE} to dora over Sales. It applies from their next request.`);
        const now = await assignments();
        assert.equal(now.length, 2);
        const g = now.find((a) => a.account_id === id.dora);
        assert.deepEqual([g.role, g.role_name, g.scope, g.department_id, g.department_name], [id.role, ROLE, 'department', d.Sales, 'Sales']);
        id.grant = g.id;
        await expectRows(page, 'assign-table', 'assign-row', now.map((a) => a.id), 'id');
        const row = page.locator(`[data-testid="assign-row"][data-id="${g.id}"]`);
        assert.equal((await row.getByTestId('assign-scope').textContent()).replace(/\s+/g, ' ').trim(), 'department Sales');

        // The same assignment again: refused, in words.
        const [again] = await grant();
        assert.equal(again.status(), 409);
        await page.locator('[data-testid="grant-error"][data-code="assignment_exists"]').waitFor();
        assert.equal((await page.getByTestId('grant-error').textContent()).trim(),
            'This account holds this role over this scope already.');
        assert.equal((await assignments()).length, 2);
        await checkScreen(admin);

        // Only dora's: the URL keeps the account; the grant form starts with it.
        await pick(page, 'assign-account', 'dor', 'dora');
        assert.equal(new URL(page.url()).hash, `#/admin/assignments?account=${id.dora}`);
        await expectRows(page, 'assign-table', 'assign-row', [id.grant], 'id');
        assert.equal(await page.locator('[data-testid="grant-account-chosen"]').getAttribute('data-id'), id.dora);
        await page.reload();
        await expectScreen(page, 'signedin');
        await expectRows(page, 'assign-table', 'assign-row', [id.grant], 'id');
        await page.locator('[data-testid="assign-account-chosen"]', { hasText: 'dora' }).waitFor();
        await checkScreen(admin);
        await shot(page, 'assignments');
        // From the account's page, the same filtered list.
        await open(page, '/admin/assignments', 'page-assignments');
        await expectRows(page, 'assign-table', 'assign-row', now.map((a) => a.id), 'id');
        await open(page, `/admin/users/${id.dora}`, 'page-user');
        await page.getByTestId('user-roles-link').click();
        await page.getByTestId('page-assignments').waitFor();
        await expectRows(page, 'assign-table', 'assign-row', [id.grant], 'id');
    });

    test('4. the department admin is offered changes and reveals only under Sales; the API agrees', SLOW, async () => {
        const b = await openPage(browser, srv.base);
        try {
            const { page } = b;
            await page.goto('/');
            await signIn(page, 'acme', 'dora', PASSWORDS.p1);
            await expectScreen(page, 'signedin');
            const links = await page.getByTestId('nav').locator('a').evaluateAll((a) => a.map((x) => x.getAttribute('href')));
            assert.deepEqual(links.filter((h) => h.startsWith('#/admin')), [], 'no administration');
            await open(page, '/admin/roles', 'page-forbidden');

            // Departments: Sales and East are hers to change, Finance and the top level are not.
            for (const [dept, hers] of [[d.Sales, true], [d.East, true], [d.Finance, false], [d.Company, false]]) {
                await open(page, `/directory?dept=${dept}`, 'page-directory');
                await page.getByTestId('dept-children').waitFor();
                await page.locator(`[data-testid="dept-crumb-current"][data-id="${dept}"]`).waitFor();
                assert.equal(await page.getByTestId('dept-this').count(), hers ? 1 : 0, `change ${dept}`);
                assert.equal(await page.getByTestId('dept-create-form').count(), hers ? 1 : 0, `add under ${dept}`);
            }
            // Employees: Ann (East, under Sales) is hers, Bob (Finance) is not.
            await open(page, '/directory/employees', 'page-employees');
            await page.getByTestId('emp-hire-link').waitFor();
            await open(page, `/directory/employees/${e.ann}`, 'page-employee');
            await page.getByTestId('emp-edit-link').waitFor();
            await page.getByTestId('emp-reveal').click();
            assert.equal((await page.getByTestId('emp-phone-clear').textContent()).trim(), '+8613800138000');
            await checkScreen(b);
            await open(page, `/directory/employees/${e.bob}`, 'page-employee');
            await page.getByTestId('emp-props').waitFor();
            assert.equal(await page.getByTestId('emp-edit-link').count(), 0, 'Bob is not hers to change');
            assert.equal(await page.getByTestId('emp-reveal').count(), 0, 'nor to reveal');
            assert.equal((await page.getByTestId('emp-prop-phone').textContent()).trim(), '139****9000');
            await open(page, `/directory/employees/${e.bob}/edit`, 'page-employee-edit');
            await page.getByTestId('emp-not-yours').waitFor();
            assert.equal(await page.getByTestId('emp-edit-form').count(), 0);
            // She changes Ann in the console.
            await open(page, `/directory/employees/${e.ann}/edit`, 'page-employee-edit');
            await page.getByTestId('emp-title').fill('East lead');
            await page.getByTestId('emp-edit-submit').click();
            await page.locator('[data-testid="emp-saved"]:not([hidden])').waitFor();
            // Hiring into Finance: the API refuses, the form says so.
            await open(page, '/directory/employees/new', 'page-employee-hire');
            assert.equal(await page.getByTestId('emp-mode').count(), 0, 'no linking without users.manage');
            await page.getByTestId('emp-username').fill('fin.hire');
            await page.getByTestId('emp-display_name').fill('Fin Hire');
            await pick(page, 'emp-department', 'fin', 'Finance');
            await page.getByTestId('emp-hire-submit').click();
            await page.locator('[data-testid="emp-hire-error"][data-code="forbidden"]').waitFor();
            await checkScreen(b);
        } finally {
            await b.close();
        }
        assert.equal((await api('GET', `/directory/employees/${e.ann}`)).json.title, 'East lead');
        const ann = (await api('GET', `/directory/employees/${e.ann}`, D)).json;
        const bob = (await api('GET', `/directory/employees/${e.bob}`, D)).json;
        assert.deepEqual([ann.may_manage, ann.may_reveal_phone, bob.may_manage, bob.may_reveal_phone], [true, true, false, false]);
        assert.equal((await api('PATCH', `/directory/employees/${e.bob}`, D, { body: { title: 'X' } })).status, 403);
        assert.equal((await api('POST', `/directory/employees/${e.bob}/phone/reveal`, D, { body: {} })).status, 403);
        assert.equal((await apiAll(srv, A, '/directory/employees', { q: 'Fin' })).length, 0, 'no one hired into Finance');
    });

    test('5. a role still held is not deleted; the role taken away; the last tenant admin refused in words', SLOW, async () => {
        const { page } = admin;
        await open(page, `/admin/roles/${id.role}`, 'page-role');
        await page.getByTestId('role-delete').click();
        await page.getByTestId('role-delete-yes').click();
        await page.locator('[data-testid="role-delete-error"][data-code="role_in_use"]').waitFor();
        assert.equal((await page.getByTestId('role-delete-error').textContent()).trim(),
            'This role is still given to someone. Revoke those assignments first.');
        assert.ok((await roles()).some((r) => r.id === id.role));

        await open(page, '/admin/assignments', 'page-assignments');
        const row = page.locator(`[data-testid="assign-row"][data-id="${id.grant}"]`);
        await row.getByTestId('assign-revoke').click();
        await page.waitForFunction(() => document.activeElement?.dataset.testid === 'assign-revoke-no');
        await row.getByTestId('assign-revoke-yes').click();
        await page.locator('[data-testid="assign-notice"]:not([hidden])').waitFor();
        assert.equal((await page.getByTestId('assign-notice').textContent()).trim(), `Took ${ROLE} over Sales away from dora.`);
        const left = await assignments();
        assert.deepEqual(left.map((a) => a.account_id), [id.root]);
        await expectRows(page, 'assign-table', 'assign-row', left.map((a) => a.id), 'id');
        const ann = (await api('GET', `/directory/employees/${e.ann}`, D)).json;
        assert.deepEqual([ann.may_manage, ann.may_reveal_phone], [false, false], 'in force at her next request');

        // root's own tenant-wide admin role: the last one.
        const last = page.locator(`[data-testid="assign-row"][data-id="${left[0].id}"]`);
        await last.getByTestId('assign-revoke').click();
        const [res] = await Promise.all([
            page.waitForResponse((x) => x.request().method() === 'DELETE'),
            last.getByTestId('assign-revoke-yes').click(),
        ]);
        assert.equal(res.status(), 409);
        const err = page.locator('[data-testid="assign-revoke-error"][data-code="last_tenant_admin"]');
        await err.waitFor();
        assert.match(await err.textContent(), /last tenant administrator/);
        assert.deepEqual((await assignments()).map((a) => a.id), [left[0].id], 'still there');
        await checkScreen(admin);

        // No one holds the custom role now: it goes.
        await open(page, `/admin/roles/${id.role}`, 'page-role');
        await page.getByTestId('role-delete').click();
        await page.getByTestId('role-delete-yes').click();
        await page.getByTestId('page-roles').waitFor();
        await expectRows(page, 'roles-table', 'role-row', ['tenant_admin', 'department_admin', 'auditor', 'member'], 'id');
        assert.ok(!(await roles()).some((r) => r.id === id.role));
        const ev = await api('GET', '/audit/events?action=access.role.delete');
        assert.equal(ev.json.items.length, 1);
    });

    test('6. in Chinese: the roles and assignments, every word from the catalogue; a member gets neither', SLOW, async () => {
        const { page } = admin;
        await open(page, '/admin/assignments', 'page-assignments');
        await page.getByTestId('lang-select').selectOption({ label: '简体中文' });
        try {
            await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
            await page.waitForFunction(() => document.querySelector('#page-title')?.textContent.trim() === '角色分配');
            assert.equal((await page.getByTestId('grant-submit').textContent()).trim(), '分配角色');
            await checkScreen(admin);
            await page.getByTestId('assign-roles-link').click();
            await page.getByTestId('page-roles').waitFor();
            assert.equal((await page.locator('[data-testid="role-row"][data-id="tenant_admin"] [data-testid="role-link"]')
                .textContent()).trim(), '租户管理员');
            assert.equal((await page.locator('[data-testid="role-row"][data-id="auditor"] [data-perm="audit.read"]')
                .textContent()).trim(), '查看审计日志');
            await checkScreen(admin);
        } finally {
            await page.getByTestId('lang-select').selectOption({ label: 'English' });
            await page.waitForFunction(() => document.documentElement.lang === 'en');
        }
        const m = await openPage(browser, srv.base);
        try {
            await m.page.goto('/');
            await signIn(m.page, 'acme', 'mallory', PASSWORDS.p2);
            await expectScreen(m.page, 'signedin');
            for (const h of ['/admin/roles', '/admin/assignments', `/admin/roles/${'tenant_admin'}`]) {
                await open(m.page, h, 'page-forbidden');
            }
            await checkScreen(m);
        } finally {
            await m.close();
        }
        await checkClean(admin);
    });
});
