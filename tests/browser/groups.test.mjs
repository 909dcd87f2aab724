// The console's groups and hidden departments (issue 11, part 9; DIR-2,
// DIR-3) in a real browser against a real server: a group made (a taken
// name refused on its field), an employee, a department alone and then with
// its subtree, and a nested group added, the direct members and "everyone in
// it" (over two pages) equal to the API's; a cycle and a member twice refused
// in their own words; an owner who is no administrator changing their own
// group but offered nothing on another; a role given to a group in the
// roles screen (a member of it gains the controls at once, and the owner of
// a group inside it is refused its membership in words) and a role given
// over a group; a group holding a role not deleted; a department hidden
// from all but a group: absent from the Departments and Employees screens of
// a member outside the group and present for a member inside it. Every
// screen is checked with axe.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PASSWORDS, closeDown, startServer } from '../api/lib/server.mjs';
import { activate, auth } from './lib/accounts.mjs';
import { axeViolations } from './lib/axe.mjs';
import { checkClean, expectScreen, launch, openPage, signIn } from './lib/browser.mjs';
import { apiAll, expectRows, hireApi, mkDept, pick } from './lib/people.mjs';

const SLOW = { timeout: 120000 };
const HOOK = { timeout: 240000 };
const GROUPS = '/directory/groups';
const REPS = 47; // with Ann, Ben, Cat and Dan: 51 in Key accounts, two pages of 50

let browser;

before(async () => { browser = await launch(); }, HOOK);
after(async () => { await browser?.close(); }, HOOK);

async function checkScreen(p) {
    assert.deepEqual(await axeViolations(p.page), [], 'axe: serious or critical violations');
    await checkClean(p);
}

async function open(page, hash, testid) {
    await page.goto(`/#${hash}`);
    await page.getByTestId(testid).waitFor();
}

/** Wait until the department list of the open place shows @p want (names, in order). */
async function expectChildren(page, want) {
    const w = JSON.stringify(want);
    try {
        await page.waitForFunction((x) => {
            const list = document.querySelector('[data-testid="dept-child-list"]');
            if (!list || list.getAttribute('aria-busy') === 'true') return false;
            return JSON.stringify([...list.querySelectorAll('[data-testid="dept-child"]')].map((c) => c.dataset.name)) === x;
        }, w, { timeout: 10000 });
    } catch {
        const got = await page.locator('[data-testid="dept-child"]').evaluateAll((l) => l.map((c) => c.dataset.name));
        throw new Error(`departments ${JSON.stringify(got)}, expected ${w}`);
    }
}

/** A notice's text once shown. */
async function noticeText(page, testid) {
    const n = page.locator(`[data-testid="${testid}"]:not([hidden])`);
    await n.waitFor();
    return (await n.textContent()).trim();
}

describe('console: groups and hidden departments', () => {
    let srv;
    let A; // root's API session (acme's tenant admin, no employee)
    const s = {}; // employees' API sessions
    const d = {};
    const e = {};
    const g = {};
    let admin;

    before(async () => {
        srv = await startServer({
            name: 'browser-groups',
            tenants: [{ slug: 'acme', name: 'Acme Groups', admin: 'root' }],
        });
        for (const p of Object.values(PASSWORDS)) srv.secrets.add(p);
        A = await activate(srv, 'acme', 'root', srv.tenants.acme.admin.temporary_password, PASSWORDS.admin);
        d.Company = await mkDept(srv, A, 'Company');
        d.Sales = await mkDept(srv, A, 'Sales', d.Company);
        d.East = await mkDept(srv, A, 'East', d.Sales);
        d.Finance = await mkDept(srv, A, 'Finance', d.Company);
        d.Board = await mkDept(srv, A, 'Board', d.Company);
        const people = [['ann', 'Ann Archer', d.Sales, PASSWORDS.p1], ['ben', 'Ben Baker', d.East, PASSWORDS.p2],
            ['cat', 'Cat Cole', d.Finance, PASSWORDS.p3], ['dan', 'Dan Dunn', d.Finance, PASSWORDS.p4],
            ['eve', 'Eve Eng', d.Board, PASSWORDS.p1], ['owen', 'Owen Ode', d.Finance, PASSWORDS.p2]];
        for (const [u, name, dept, pw] of people) {
            const h = await hireApi(srv, A, { username: u, display_name: name, department_id: dept });
            e[u] = h.id;
            if (['ben', 'cat', 'dan', 'owen'].includes(u)) {
                s[u] = await activate(srv, 'acme', u, h.temporary_password, pw);
                s[u].password = pw;
            }
        }
        for (let i = 1; i <= REPS; i++) {
            const n = String(i).padStart(2, '0');
            await hireApi(srv, A, { username: `rep${n}`, display_name: `Rep ${n}`, department_id: d.East });
        }
        // Project X: owned by Owen (a member, no administrator), Dan in it.
        const x = await srv.api('POST', GROUPS, { ...auth(A), body: { name: 'Project X', owner_id: e.owen } });
        assert.equal(x.status, 201, x.text);
        g.x = x.json.id;
        const m = await srv.api('POST', `${GROUPS}/${g.x}/members`, { ...auth(s.owen), body: { kind: 'employee', id: e.dan } });
        assert.equal(m.status, 201, m.text);
        admin = await openPage(browser, srv.base);
        await admin.page.goto('/');
        await signIn(admin.page, 'acme', 'root', PASSWORDS.admin);
        await expectScreen(admin.page, 'signedin');
    }, HOOK);

    after(async () => {
        await admin?.close();
        await closeDown(srv);
    }, HOOK);

    const api = (method, path, who = A, opts = {}) => srv.api(method, path, { ...auth(who), ...opts });
    const everyone = async (id, who = A) => (await apiAll(srv, who, `${GROUPS}/${id}/members`, { expand: 'true' }))
        .map((x) => x.display_name);
    const direct = async (id) => apiAll(srv, A, `${GROUPS}/${id}/members`);

    /** Sign an employee in, in a browser of their own. */
    async function as(user) {
        const b = await openPage(browser, srv.base);
        await b.page.goto('/');
        await signIn(b.page, 'acme', user, s[user].password);
        await expectScreen(b.page, 'signedin');
        return b;
    }

    /** Add a member on the open group page; resolves the POST's response. */
    async function addMember(page, kind, typed, name, subtree = false) {
        await page.getByTestId('member-kind').selectOption(kind);
        await pick(page, 'member-pick', typed, name);
        if (kind === 'department') {
            if (subtree) await page.getByTestId('member-subtree').check();
            else await page.getByTestId('member-subtree').uncheck();
        }
        const [res] = await Promise.all([
            page.waitForResponse((r) => r.request().method() === 'POST' && /\/members$/.test(new URL(r.url()).pathname)),
            page.getByTestId('member-add-submit').click(),
        ]);
        return res;
    }

    /** The direct members shown equal the API's (ids, in its order). */
    async function expectDirect(page, id) {
        await expectRows(page, 'member-table', 'member-row', (await direct(id)).map((m) => m.id), 'id');
    }

    test('1. a group made in the list; an employee, a department alone then with its subtree, a group; everyone in it', SLOW, async () => {
        const { page } = admin;
        await page.getByTestId('nav-directory-groups').click();
        await page.getByTestId('page-groups').waitFor();
        await expectRows(page, 'group-table', 'group-row', ['Project X']);
        await checkScreen(admin);

        // A taken name (capitals do not count): refused on the name.
        await page.getByTestId('group-new-name').fill('PROJECT x');
        await page.getByTestId('group-new-submit').click();
        await page.locator('[data-testid="group-create-error"][data-code="group_name_taken"]').waitFor();
        assert.equal(await page.getByTestId('group-new-name').getAttribute('aria-invalid'), 'true');
        assert.match(await page.getByTestId('group-new-name-error').textContent(), /Another group already has this name/);
        await checkScreen(admin);

        await page.getByTestId('group-new-name').fill('Key accounts');
        await page.getByTestId('group-new-description').fill('Our biggest customers');
        const [made] = await Promise.all([
            page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/v1${GROUPS}`),
            page.getByTestId('group-new-submit').click(),
        ]);
        assert.equal(made.status(), 201);
        assert.deepEqual(made.request().postDataJSON(), { name: 'Key accounts', description: 'Our biggest customers' });
        g.keys = (await made.json()).id;
        await page.getByTestId('group-props').waitFor();
        assert.equal(new URL(page.url()).hash, `#${GROUPS}/${g.keys}`);
        assert.equal((await page.locator('#page-title').textContent()).trim(), 'Key accounts');
        assert.equal(await page.getByTestId('group-props').getAttribute('data-may-manage'), 'true');
        assert.equal((await page.getByTestId('group-prop-owner').textContent()).trim(), 'none', 'root is no employee');
        await page.getByTestId('empty').waitFor();

        // An employee, then Sales alone: Ann is in it, Ben (East) is not.
        let res = await addMember(page, 'employee', 'Cat', 'Cat Cole');
        assert.equal(res.status(), 201);
        assert.deepEqual(res.request().postDataJSON(), { kind: 'employee', id: e.cat });
        assert.equal(await noticeText(page, 'member-notice'), 'Added “Cat Cole”.');
        res = await addMember(page, 'department', 'Sal', 'Sales', false);
        assert.deepEqual(res.request().postDataJSON(), { kind: 'department', id: d.Sales, subtree: false });
        await expectDirect(page, g.keys);
        await page.waitForFunction(() => document.querySelector('[data-testid="group-prop-members"]')?.dataset.count === '2');
        const sales = page.locator(`[data-testid="member-row"][data-id="${d.Sales}"]`);
        assert.equal((await sales.getByTestId('member-kind-text').textContent()).trim(), 'department');
        await page.getByTestId('group-view-all').click();
        await page.getByTestId('members-all').waitFor();
        assert.deepEqual(await everyone(g.keys), ['Ann Archer', 'Cat Cole']);
        await expectRows(page, 'everyone-table', 'everyone-row', ['Ann Archer', 'Cat Cole']);
        assert.match(new URL(page.url()).hash, /\?view=all$/);
        await checkScreen(admin);

        // Sales again, with its subtree; and Project X inside.
        await page.getByTestId('group-view-direct').click();
        await page.getByTestId('members-direct').waitFor();
        await sales.getByTestId('member-remove').click();
        await sales.getByTestId('member-remove-yes').click();
        assert.equal(await noticeText(page, 'member-notice'), 'Removed “Sales”.');
        await expectDirect(page, g.keys);
        res = await addMember(page, 'department', 'Sal', 'Sales', true);
        assert.deepEqual(res.request().postDataJSON(), { kind: 'department', id: d.Sales, subtree: true });
        assert.equal(await noticeText(page, 'member-notice'), 'Added “Sales” and every department under it.');
        res = await addMember(page, 'group', 'Proj', 'Project X');
        assert.deepEqual(res.request().postDataJSON(), { kind: 'group', id: g.x });
        await expectDirect(page, g.keys);
        const kinds = await page.locator('[data-testid="member-row"]').evaluateAll((rs) => rs.map((r) => [r.dataset.kind,
            r.dataset.name, r.dataset.subtree, r.querySelector('[data-testid="member-kind-text"]').textContent.trim()]));
        assert.deepEqual(kinds.sort(), [['department', 'Sales', 'true', 'department and every department under it'],
            ['employee', 'Cat Cole', 'false', 'employee'], ['group', 'Project X', 'false', 'group']]);
        await checkScreen(admin);

        // Everyone in it: 51 people over two pages, as the API lists them.
        const all = await everyone(g.keys);
        assert.equal(all.length, 4 + REPS);
        assert.deepEqual(all.slice(0, 5), ['Ann Archer', 'Ben Baker', 'Cat Cole', 'Dan Dunn', 'Rep 01']);
        await page.getByTestId('group-view-all').click();
        await expectRows(page, 'everyone-table', 'everyone-row', all.slice(0, 50));
        const ben = page.locator(`[data-testid="everyone-row"][data-id="${e.ben}"]`);
        await ben.locator('a', { hasText: 'East' }).waitFor();
        await page.getByTestId('everyone-pager-next').click();
        await expectRows(page, 'everyone-table', 'everyone-row', all.slice(50));
        assert.equal(await page.getByTestId('everyone-pager-next').isDisabled(), true);
        await page.getByTestId('everyone-pager-prev').click();
        await expectRows(page, 'everyone-table', 'everyone-row', all.slice(0, 50));
        await checkScreen(admin);

        // The list: a search by the start of a name, kept in the URL.
        await open(page, GROUPS, 'page-groups');
        await expectRows(page, 'group-table', 'group-row', ['Key accounts', 'Project X']);
        await page.getByTestId('group-q').fill('key');
        await page.getByTestId('group-q').press('Enter');
        await expectRows(page, 'group-table', 'group-row', ['Key accounts']);
        assert.equal(new URL(page.url()).hash, `#${GROUPS}?q=key`);
        await page.getByTestId('group-q').fill('nothing');
        await page.getByTestId('group-q').press('Enter');
        await page.locator('[data-testid="empty"]', { hasText: 'No group\'s name starts with “nothing”.' }).waitFor();
    });

    test('2. a cycle and a member twice are refused in their own words, on the member field', SLOW, async () => {
        const { page } = admin;
        await open(page, `${GROUPS}/${g.x}`, 'group-props');
        await page.getByTestId('members-direct').waitFor();
        const res = await addMember(page, 'group', 'Key', 'Key accounts');
        assert.equal(res.status(), 409);
        await page.locator('[data-testid="member-add-error"][data-code="group_cycle"]').waitFor();
        assert.equal((await page.getByTestId('member-pick-error').textContent()).trim(),
            'This group is inside the group you chose (or is that group), so adding it would make a circle. Choose another group.');
        assert.equal(await page.getByTestId('member-pick-q').getAttribute('aria-invalid'), 'true');
        // Itself is not offered.
        await page.getByTestId('member-pick-remove').click();
        await page.getByTestId('member-pick-q').fill('Proj');
        await page.getByTestId('member-pick-q').press('Enter');
        await page.getByTestId('member-pick-empty').waitFor();
        await checkScreen(admin);
        assert.deepEqual((await direct(g.x)).map((m) => m.id), [e.dan], 'nothing added');

        await open(page, `${GROUPS}/${g.keys}`, 'group-props');
        await page.getByTestId('members-direct').waitFor();
        await addMember(page, 'employee', 'Cat', 'Cat Cole');
        await page.locator('[data-testid="member-add-error"][data-code="group_member_exists"]').waitFor();
        assert.equal((await page.getByTestId('member-pick-error').textContent()).trim(), 'It is a member of this group already.');
        await checkScreen(admin);
    });

    test('3. an owner who is no administrator changes their own group, and is offered nothing on another', SLOW, async () => {
        const b = await as('owen');
        try {
            const { page } = b;
            const links = await page.getByTestId('nav').locator('a').evaluateAll((a) => a.map((x) => x.getAttribute('href')));
            assert.ok(links.includes(`#${GROUPS}`), 'Groups in the navigation');
            assert.deepEqual(links.filter((h) => h.startsWith('#/admin')), [], 'no administration');
            await page.getByTestId('nav-directory-groups').click();
            await expectRows(page, 'group-table', 'group-row', ['Key accounts', 'Project X']);
            assert.equal(await page.getByTestId('group-create').count(), 0, 'no directory.manage: no group made');
            await page.locator(`[data-testid="group-row"][data-id="${g.x}"] [data-testid="group-link"]`).click();
            await page.getByTestId('group-props').waitFor();
            assert.equal(await page.getByTestId('group-props').getAttribute('data-may-manage'), 'true');
            assert.equal((await page.getByTestId('group-prop-owner').textContent()).trim(), 'Owen Ode');
            await page.getByTestId('members-direct').waitFor();
            const res = await addMember(page, 'employee', 'Ann', 'Ann Archer');
            assert.equal(res.status(), 201);
            await expectDirect(page, g.x);
            await page.getByTestId('group-description').fill('Launch team');
            await page.getByTestId('group-edit-submit').click();
            assert.equal(await noticeText(page, 'group-notice'), 'Saved “Project X”.');
            assert.equal((await page.getByTestId('group-prop-description').textContent()).trim(), 'Launch team');
            await checkScreen(b);

            await open(page, `${GROUPS}/${g.keys}`, 'group-props');
            assert.equal(await page.getByTestId('group-props').getAttribute('data-may-manage'), 'false');
            await page.getByTestId('member-table').waitFor();
            assert.equal(await page.getByTestId('member-add').count(), 0);
            assert.equal(await page.getByTestId('member-remove').count(), 0);
            assert.equal(await page.getByTestId('group-change').count(), 0);
            assert.match(await page.getByTestId('group-who-changes').textContent(), /Only its owner/);
            await checkScreen(b);
        } finally {
            await b.close();
        }
        assert.equal((await api('PATCH', `${GROUPS}/${g.keys}`, s.owen, { body: { description: 'mine' } })).status, 403);
        assert.equal((await api('GET', `${GROUPS}/${g.x}`)).json.description, 'Launch team');
    });

    test('4. a role given to a group: its member gains the controls; the owner inside is refused in words', SLOW, async () => {
        const ben = await as('ben');
        try {
            await open(ben.page, `/directory?dept=${d.Finance}`, 'dept-children');
            await ben.page.locator(`[data-testid="dept-crumb-current"][data-id="${d.Finance}"]`).waitFor();
            assert.equal(await ben.page.getByTestId('dept-this').count(), 0, 'Finance is not Ben\'s yet');
            assert.equal(await ben.page.getByTestId('dept-create-form').count(), 0);

            const { page } = admin;
            await open(page, '/admin/assignments', 'page-assignments');
            await page.getByTestId('grant-subject-group').check();
            await pick(page, 'grant-group', 'Key', 'Key accounts');
            await page.getByTestId('grant-role').selectOption('department_admin');
            await page.getByTestId('grant-scope').selectOption('department');
            await pick(page, 'grant-dept', 'Fin', 'Finance');
            const [res] = await Promise.all([
                page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/access/assignments')),
                page.getByTestId('grant-submit').click(),
            ]);
            assert.equal(res.status(), 201);
            assert.deepEqual(res.request().postDataJSON(),
                { role: 'department_admin', scope: 'department', group_id: g.keys, department_id: d.Finance });
            g.grant = (await res.json()).id;
            assert.equal(await noticeText(page, 'assign-notice'),
                'Gave Department administrator to the group “Key accounts” over Finance. It applies from their next request.');
            const list = await apiAll(srv, A, '/access/assignments');
            await expectRows(page, 'assign-table', 'assign-row', list.map((a) => a.id), 'id');
            const row = page.locator(`[data-testid="assign-row"][data-id="${g.grant}"]`);
            assert.equal(await row.getAttribute('data-group'), g.keys);
            assert.equal((await row.getByTestId('assign-group').textContent()).trim(), 'the group “Key accounts”');
            // The same again: refused in the group's words.
            await page.getByTestId('grant-scope').selectOption('department');
            await pick(page, 'grant-dept', 'Fin', 'Finance');
            await page.getByTestId('grant-submit').click();
            await page.locator('[data-testid="grant-error"][data-code="group_assignment_exists"]').waitFor();
            await checkScreen(admin);

            // Ben (in Key accounts through Sales and East) manages Finance now.
            await ben.page.reload();
            await expectScreen(ben.page, 'signedin');
            await ben.page.getByTestId('dept-this').waitFor();
            await ben.page.getByTestId('dept-create-form').waitFor();
            await ben.page.getByTestId('dept-vis').waitFor();
            await checkScreen(ben);
        } finally {
            await ben.close();
        }

        // Project X sits inside a group holding a role: its owner may no longer change who is in it.
        const o = await as('owen');
        try {
            const { page } = o;
            await open(page, `${GROUPS}/${g.x}`, 'group-props');
            await page.getByTestId('member-table').waitFor();
            const res = await addMember(page, 'employee', 'Eve', 'Eve Eng');
            assert.equal(res.status(), 403);
            await page.locator('[data-testid="member-add-error"][data-code="group_privileged"]').waitFor();
            assert.match(await page.getByTestId('member-add-error').textContent(),
                /only someone who may manage roles and assignments may do it/);
            const ann = page.locator(`[data-testid="member-row"][data-id="${e.ann}"]`);
            await ann.getByTestId('member-remove').click();
            await ann.getByTestId('member-remove-yes').click();
            await page.locator('[data-testid="member-remove-error"][data-code="group_privileged"]').waitFor();
            await checkScreen(o);
        } finally {
            await o.close();
        }
        assert.deepEqual((await direct(g.x)).map((m) => m.id).sort(), [e.ann, e.dan].sort(), 'unchanged');

        const { page } = admin;
        // A role over a group, to an account.
        await open(page, '/admin/assignments', 'page-assignments');
        await page.getByTestId('grant-subject-account').check();
        await pick(page, 'grant-account', 'ca', 'cat');
        await page.getByTestId('grant-role').selectOption('department_admin');
        await page.getByTestId('grant-scope').selectOption('group');
        await pick(page, 'grant-scope-group', 'Proj', 'Project X');
        const [over] = await Promise.all([
            page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/access/assignments')),
            page.getByTestId('grant-submit').click(),
        ]);
        assert.equal(over.status(), 201);
        assert.deepEqual(over.request().postDataJSON(),
            { role: 'department_admin', scope: 'group', account_id: e.cat, scope_group_id: g.x });
        const overId = (await over.json()).id;
        assert.equal(await noticeText(page, 'assign-notice'),
            'Gave Department administrator to cat over the group “Project X”. It applies from their next request.');
        const overRow = page.locator(`[data-testid="assign-row"][data-id="${overId}"]`);
        await overRow.waitFor();
        assert.equal(await overRow.getAttribute('data-scope-group'), g.x);
        assert.equal((await overRow.getByTestId('assign-scope').textContent()).replace(/\s+/g, ' ').trim(), 'group Project X');
        assert.equal((await api('GET', `${GROUPS}/${g.x}`, s.cat)).json.may_manage, true, 'cat manages Project X');
        await checkScreen(admin);
        await overRow.getByTestId('assign-revoke').click();
        await overRow.getByTestId('assign-revoke-yes').click();
        assert.equal(await noticeText(page, 'assign-notice'), 'Took Department administrator over the group “Project X” away from cat.');

        // A group holding a role is not deleted.
        await open(page, `${GROUPS}/${g.keys}`, 'group-change');
        await page.getByTestId('group-delete').click();
        await page.getByTestId('group-delete-yes').click();
        await page.locator('[data-testid="group-delete-error"][data-code="group_in_use"]').waitFor();
        assert.equal((await api('GET', `${GROUPS}/${g.keys}`)).status, 200);
        await checkScreen(admin);

        // The role taken away again: Ben loses the controls.
        await open(page, '/admin/assignments', 'page-assignments');
        const row = page.locator(`[data-testid="assign-row"][data-id="${g.grant}"]`);
        await row.getByTestId('assign-revoke').click();
        await row.getByTestId('assign-revoke-yes').click();
        assert.equal(await noticeText(page, 'assign-notice'),
            'Took Department administrator over Finance away from the group “Key accounts”.');
        const me = (await api('GET', '/me/access', s.ben)).json;
        assert.deepEqual(me.department_permissions, [], 'Ben holds nothing over a department now');
    });

    test('5. a department hidden from all but a group: absent outside it, present inside it', SLOW, async () => {
        const { page } = admin;
        await open(page, `/directory?dept=${d.Board}`, 'dept-vis');
        await page.getByTestId('dept-vis-form').waitFor();
        assert.equal((await page.getByTestId('dept-vis-state').textContent()).trim(), 'Everyone may see this department.');
        await page.getByTestId('dept-vis-hidden').check();
        await pick(page, 'dept-vis-group', 'Proj', 'Project X');
        await page.locator('[data-testid="dept-vis-role"][data-role="auditor"]').check();
        await checkScreen(admin);
        const [res] = await Promise.all([
            page.waitForResponse((r) => r.request().method() === 'PUT'),
            page.getByTestId('dept-vis-submit').click(),
        ]);
        assert.equal(res.status(), 200);
        assert.deepEqual(res.request().postDataJSON(), { hidden: true, viewers: [`group:${g.x}`, 'role:auditor'] });
        assert.equal(await noticeText(page, 'dept-vis-notice'), '“Board” is now hidden.');
        await page.locator('[data-testid="dept-vis"][data-hidden="true"]').waitFor();
        const named = (await res.json()).viewers.map((v) => (v.kind === 'role' ? 'Auditor' : v.name));
        assert.deepEqual([...named].sort(), ['Auditor', 'Project X']);
        assert.equal((await page.getByTestId('dept-vis-state').textContent()).trim(),
            `Hidden: only ${named.join(', ')} and those who manage it may see it.`);
        const vis = (await api('GET', `/directory/departments/${d.Board}/visibility`)).json;
        assert.equal(vis.hidden, true);
        assert.deepEqual(vis.viewers.map((v) => [v.kind, v.id]).sort(), [['group', g.x], ['role', 'auditor']]);
        // Reloaded, the form shows what is saved.
        await page.reload();
        await expectScreen(page, 'signedin');
        await page.getByTestId('dept-vis-form').waitFor();
        assert.equal(await page.getByTestId('dept-vis-hidden').isChecked(), true);
        assert.equal(await page.locator('[data-testid="dept-vis-group-chosen"]').getAttribute('data-id'), g.x);
        assert.equal(await page.locator('[data-testid="dept-vis-role"][data-role="auditor"]').isChecked(), true);
        await checkScreen(admin);

        // Cat is in no group it names: Board, its people and its page are not there.
        const cat = await as('cat');
        try {
            const p = cat.page;
            await open(p, `/directory?dept=${d.Company}`, 'dept-children');
            await expectChildren(p, ['Finance', 'Sales']);
            await open(p, `/directory?dept=${d.Board}`, 'page-directory');
            await p.locator('[data-testid="dept-error"][data-code="not_found"]').waitFor();
            await open(p, '/directory?q=Boa', 'dept-search');
            await p.locator('[data-testid="empty"]', { hasText: 'No department\'s name contains “Boa”.' }).waitFor();
            const seen = await apiAll(srv, s.cat, '/directory/employees');
            assert.ok(!seen.some((x) => x.id === e.eve), 'the API hides Eve from Cat');
            await open(p, '/directory/employees', 'page-employees');
            await expectRows(p, 'emp-table', 'emp-row', seen.slice(0, 50).map((x) => x.id), 'id');
            assert.equal(await p.locator(`[data-testid="emp-row"][data-id="${e.eve}"]`).count(), 0);
            await open(p, `/directory/employees/${e.eve}`, 'page-employee');
            await p.locator('[data-testid="emp-error"][data-code="not_found"]').waitFor();
            await checkScreen(cat);
        } finally {
            await cat.close();
        }

        // Dan is in Project X: he sees Board and Eve.
        const dan = await as('dan');
        try {
            const p = dan.page;
            await open(p, `/directory?dept=${d.Company}`, 'dept-children');
            await expectChildren(p, ['Board', 'Finance', 'Sales']);
            const seen = await apiAll(srv, s.dan, '/directory/employees');
            assert.ok(seen.slice(0, 50).some((x) => x.id === e.eve), 'the API shows Eve to Dan');
            await open(p, '/directory/employees', 'page-employees');
            await expectRows(p, 'emp-table', 'emp-row', seen.slice(0, 50).map((x) => x.id), 'id');
            await open(p, `/directory/employees/${e.eve}`, 'emp-props');
            await open(p, `/directory?dept=${d.Board}`, 'dept-children');
            assert.equal(await p.getByTestId('dept-vis').count(), 0, 'seeing it is not managing it');
            await checkScreen(dan);
        } finally {
            await dan.close();
        }

        // Shown again: everyone sees it.
        await open(page, `/directory?dept=${d.Board}`, 'dept-vis-form');
        await page.getByTestId('dept-vis-hidden').uncheck();
        await page.getByTestId('dept-vis-submit').click();
        assert.equal(await noticeText(page, 'dept-vis-notice'), 'Everyone may see “Board” again.');
        assert.equal((await api('GET', `/directory/employees/${e.eve}`, s.cat)).status, 200);
    });

    test('6. the list over two pages; a group deleted; in Chinese', SLOW, async () => {
        for (let i = 1; i <= 50; i++) {
            const r = await api('POST', GROUPS, A, { body: { name: `Team ${String(i).padStart(2, '0')}` } });
            assert.equal(r.status, 201, r.text);
        }
        const all = (await apiAll(srv, A, GROUPS)).map((x) => x.name);
        assert.equal(all.length, 52);
        const { page } = admin;
        await open(page, GROUPS, 'page-groups');
        await expectRows(page, 'group-table', 'group-row', all.slice(0, 50));
        await page.getByTestId('group-pager-next').click();
        await expectRows(page, 'group-table', 'group-row', all.slice(50));
        const last = all[all.length - 1];
        await page.locator(`[data-testid="group-row"][data-name="${last}"] [data-testid="group-link"]`).click();
        await page.getByTestId('group-change').waitFor();
        await page.getByTestId('group-delete').click();
        await page.getByTestId('group-delete-yes').click();
        await page.getByTestId('page-groups').waitFor();
        assert.equal(new URL(page.url()).hash, `#${GROUPS}`);
        assert.ok(!(await apiAll(srv, A, GROUPS)).some((x) => x.name === last), 'deleted');

        await open(page, `${GROUPS}/${g.keys}`, 'group-props');
        await page.getByTestId('lang-select').selectOption({ label: '简体中文' });
        try {
            await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
            await page.waitForFunction(() => document.querySelector('[data-testid="nav-directory-groups"]')?.textContent.trim() === '群组');
            assert.equal((await page.getByTestId('group-view-all').textContent()).trim(), '群组中的所有人');
            assert.equal((await page.getByTestId('member-add-submit').textContent()).trim(), '添加');
            await checkScreen(admin);
            await open(page, `/directory?dept=${d.Board}`, 'dept-vis-form');
            assert.equal((await page.getByTestId('dept-vis-state').textContent()).trim(), '所有人都可以查看此部门。');
            await checkScreen(admin);
        } finally {
            await page.getByTestId('lang-select').selectOption({ label: 'English' });
            await page.waitForFunction(() => document.documentElement.lang === 'en');
        }
        await checkClean(admin);
    });
});
