// The console's employee screens (issue 11, part 9; DIR-2, DIR-4, DIR-5) in
// a real browser against a real server, driven as a tenant administrator
// would: the list (51 employees over two cursor pages, a name search, a
// department chosen by name, an exact phone and ID number look-up, a bad
// number refused on its field), hiring (a new account whose temporary
// password is shown once and signs in; an existing account linked; a taken
// username refused on its field), changing a profile (a malformed and a
// taken employee number refused next to the field, then a real change), the
// phone revealed by an admin (the number, the reveals left, the event in the
// audit screen, the quota's refusal in words), and a member who sees the
// masked number with no Reveal, no change and no hiring. Every answer shown
// is compared with the API's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PASSWORDS, closeDown, startServer } from '../api/lib/server.mjs';
import { activate, apiSignIn, auth } from './lib/accounts.mjs';
import { axeViolations } from './lib/axe.mjs';
import { checkClean, expectScreen, launch, openPage, signIn } from './lib/browser.mjs';
import { apiAll, expectRows, hireApi, mkDept, pick } from './lib/people.mjs';
import { shot } from './lib/shots.mjs';

const SLOW = { timeout: 90000 };
const HOOK = { timeout: 180000 };
const BASE = '/directory/employees';
// A valid mainland resident ID number (check character X).
const RID = '11010519491231002X';

let browser;

before(async () => { browser = await launch(); }, HOOK);
after(async () => { await browser?.close(); }, HOOK);

/** The screen as it is: no serious axe finding, nothing unclean. */
async function checkScreen(p) {
    assert.deepEqual(await axeViolations(p.page), [], 'axe: serious or critical violations');
    await checkClean(p);
}

describe('console: employees', () => {
    let srv;
    let A; // root's API session (acme admin)
    let M; // mallory's (a member)
    let admin; // root's browser page
    const d = {}; // department name → id
    const e = {}; // employee key → id
    const pw = {};

    before(async () => {
        srv = await startServer({
            name: 'browser-employees',
            tenants: [{
                slug: 'acme', name: 'Acme People', admin: 'root',
                users: [{ username: 'mallory' }, { username: 'carol', email: 'carol@acme.test' }],
            }],
        });
        for (const p of Object.values(PASSWORDS)) srv.secrets.add(p);
        const acme = srv.tenants.acme;
        A = await activate(srv, 'acme', 'root', acme.admin.temporary_password, PASSWORDS.admin);
        M = await activate(srv, 'acme', 'mallory', acme.users.mallory.temporary_password, PASSWORDS.p1);
        pw.mallory = PASSWORDS.p1;
        e.carol = acme.users.carol.id;
        d.Company = await mkDept(srv, A, 'Company');
        d.Sales = await mkDept(srv, A, 'Sales', d.Company);
        d.Finance = await mkDept(srv, A, 'Finance', d.Company);
        // Two people with phones and numbers, then 49 more: 51, two pages of 50.
        e.ann = (await hireApi(srv, A, {
            username: 'ann', display_name: 'Ann Archer', title: 'Account manager', employee_no: 'E-0001',
            department_id: d.Sales, phone: '138 0013 8000', id_number: RID,
        })).id;
        e.bob = (await hireApi(srv, A, {
            username: 'bob', display_name: 'Bob Brown', employee_no: 'E-0002', department_id: d.Finance,
            departments: [d.Sales], phone: '+1 (202) 555-0143',
        })).id;
        for (let i = 1; i <= 49; i++) {
            const n = String(i).padStart(2, '0');
            await hireApi(srv, A, { username: `p${n}`, display_name: `Person ${n}`, department_id: d.Company });
        }
        // The clear numbers must never reach the server's log.
        for (const s of ['+8613800138000', '13800138000', '+12025550143']) srv.secrets.add(s);
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
    const names = async (query = {}) => (await apiAll(srv, A, BASE, query)).map((x) => x.display_name);
    const open = async (page, hash, testid) => {
        await page.goto(`/#${hash}`);
        await page.getByTestId(testid).waitFor();
    };
    /** The names of the list shown, once loaded. */
    const shown = (page, want) => expectRows(page, 'emp-table', 'emp-row', want);

    test('1. the list: two cursor pages equal to the API\'s, masked phones, the navigation', SLOW, async () => {
        const { page } = admin;
        await page.getByTestId('nav-directory-employees').click();
        await page.getByTestId('page-employees').waitFor();
        assert.equal(await page.getByTestId('nav-directory-employees').getAttribute('aria-current'), 'page');
        assert.equal(await page.getByTestId('nav-directory').getAttribute('aria-current'), null,
            'Departments is not the current screen on the employees\' pages');
        const all = await names();
        assert.equal(all.length, 51);
        await shown(page, all.slice(0, 50));
        const ann = page.locator(`[data-testid="emp-row"][data-id="${e.ann}"]`);
        assert.equal((await ann.getByTestId('emp-phone').textContent()).trim(), '138****8000');
        assert.equal(await ann.getByTestId('emp-phone').getAttribute('data-masked'), 'true');
        assert.equal(await page.getByTestId('emp-pager-prev').isDisabled(), true);
        await page.getByTestId('emp-pager-next').click();
        await shown(page, all.slice(50));
        assert.equal(await page.getByTestId('emp-pager-next').isDisabled(), true);
        await page.getByTestId('emp-pager-prev').click();
        await shown(page, all.slice(0, 50));
        await checkScreen(admin);
        await page.evaluate(() => window.scrollTo(0, 0));
        await shot(page, 'employees');
    });

    test('2. search by name, a department chosen by name, exact phone and ID number; a bad number on its field', SLOW, async () => {
        const { page } = admin;
        await open(page, BASE, 'page-employees');
        await page.getByTestId('emp-q').fill('person 4');
        await page.getByTestId('emp-q').press('Enter');
        await shown(page, await names({ q: 'person 4' }));
        assert.equal((await names({ q: 'person 4' })).length, 10);
        assert.equal(new URL(page.url()).hash, `#${BASE}?q=person+4`);
        await page.reload();
        await expectScreen(page, 'signedin');
        await shown(page, await names({ q: 'person 4' }));
        assert.equal(await page.getByTestId('emp-q').inputValue(), 'person 4');

        // A department by part of its name (the search keeps the name filter: AND).
        await page.getByTestId('emp-clear').click();
        await shown(page, (await names()).slice(0, 50));
        await pick(page, 'emp-dept', 'sal', 'Sales');
        const sales = await names({ department: d.Sales });
        assert.deepEqual(sales, ['Ann Archer', 'Bob Brown'], 'primary or further department');
        await shown(page, sales);
        assert.equal(new URL(page.url()).hash, `#${BASE}?department=${d.Sales}`);
        await checkScreen(admin);
        await page.getByTestId('emp-dept-remove').click();
        await shown(page, (await names()).slice(0, 50));

        // Exact phone (typed as a national number) and ID number (lower case).
        await page.getByTestId('emp-exact-kind').selectOption('phone');
        await page.getByTestId('emp-exact-value').fill('138-0013-8000');
        await page.getByTestId('emp-exact-submit').click();
        await shown(page, ['Ann Archer']);
        assert.deepEqual(await names({ phone: '138-0013-8000' }), ['Ann Archer']);
        await page.getByTestId('emp-exact-kind').selectOption('id_number');
        await page.getByTestId('emp-exact-value').fill(RID.toLowerCase());
        await page.getByTestId('emp-exact-submit').click();
        await shown(page, ['Ann Archer']);
        assert.match(new URL(page.url()).hash, /id_number=11010519491231002x$/);

        // Not a phone number: refused, the field marked, the message in words.
        await page.getByTestId('emp-exact-kind').selectOption('phone');
        await page.getByTestId('emp-exact-value').fill('12');
        await page.getByTestId('emp-exact-submit').click();
        await page.locator('[data-testid="emp-list-error"][data-code="field_invalid"]').waitFor();
        assert.equal(await page.getByTestId('emp-exact-value').getAttribute('aria-invalid'), 'true');
        assert.equal((await page.getByTestId('emp-exact-value-error').textContent()).trim(),
            '“Phone number” is not valid (wrong format or too long). Check it and try again.');
        await checkScreen(admin);
    });

    test('3. hire: a new account (its temporary password once, and it signs in); an existing account linked; a taken username', SLOW, async () => {
        const { page } = admin;
        await open(page, BASE, 'page-employees');
        await page.getByTestId('emp-hire-link').click();
        await page.getByTestId('page-employee-hire').waitFor();
        await page.getByTestId('emp-username').fill('wei.zhang');
        await page.getByTestId('emp-email').fill('Wei@Acme.test');
        await page.getByTestId('emp-display_name').fill('张伟');
        await page.getByTestId('emp-title').fill('Engineer');
        await page.getByTestId('emp-employee_no').fill('E-0100');
        await pick(page, 'emp-department', 'sal', 'Sales');
        await pick(page, 'emp-departments', 'fin', 'Finance');
        await pick(page, 'emp-manager', 'ann', 'Ann Archer');
        await page.getByTestId('emp-phone').fill('139 0013 9000');
        srv.secrets.add('+8613900139000');
        await checkScreen(admin);
        await page.evaluate(() => window.scrollTo(0, 0));
        await shot(page, 'employee-hire');
        await page.getByTestId('emp-hire-submit').click();
        const hired = page.getByTestId('emp-hired');
        await hired.waitFor();
        const temp = (await page.getByTestId('emp-temp-text').textContent()).trim();
        srv.secrets.add(temp);
        assert.ok(temp.length >= 12, 'a temporary password is shown');
        const id = await hired.getAttribute('data-id');
        e.wei = id;
        const r = await api('GET', `${BASE}/${id}`);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.username, 'wei.zhang');
        assert.equal(r.json.email, 'wei@acme.test');
        assert.equal(r.json.display_name, '张伟');
        assert.equal(r.json.title, 'Engineer');
        assert.equal(r.json.employee_no, 'E-0100');
        assert.deepEqual(r.json.department, { id: d.Sales, name: 'Sales' });
        assert.deepEqual(r.json.departments, [{ id: d.Finance, name: 'Finance' }]);
        assert.deepEqual(r.json.manager, { id: e.ann, display_name: 'Ann Archer' });
        assert.equal(r.json.phone, '139****9000');
        const s = await apiSignIn(srv, 'acme', 'wei.zhang', temp);
        assert.equal(s.must_change_password, true, 'the temporary password signs in and must be changed');
        await checkScreen(admin);

        // The form is empty again; the same username is refused on its field.
        await page.getByTestId('emp-hired-done').click();
        await page.getByTestId('emp-hired').waitFor({ state: 'detached' });
        await page.getByTestId('emp-username').fill('wei.zhang');
        await page.getByTestId('emp-display_name').fill('Wei Again');
        await pick(page, 'emp-department', 'fin', 'Finance');
        await page.getByTestId('emp-hire-submit').click();
        await page.locator('[data-testid="emp-hire-error"][data-code="username_taken"]').waitFor();
        assert.equal(await page.getByTestId('emp-username').getAttribute('aria-invalid'), 'true');
        assert.match(await page.getByTestId('emp-username-error').textContent(), /already taken/);
        // No department: the API names the field, shown at the picker.
        await page.reload();
        await expectScreen(page, 'signedin');
        await page.getByTestId('page-employee-hire').waitFor();
        await page.getByTestId('emp-username').fill('nodept');
        await page.getByTestId('emp-display_name').fill('No Dept');
        await page.getByTestId('emp-hire-submit').click();
        await page.locator('[data-testid="emp-hire-error"][data-code="field_missing"]').waitFor();
        assert.equal((await page.getByTestId('emp-department-error').textContent()).trim(), 'Fill in “Primary department”.');
        assert.equal(await page.getByTestId('emp-department-q').getAttribute('aria-invalid'), 'true');
        await checkScreen(admin);

        // An existing account, linked: no new password.
        await page.getByTestId('emp-mode-link').check();
        await pick(page, 'emp-account', 'car', 'carol');
        await page.getByTestId('emp-display_name').fill('Carol Chen');
        await pick(page, 'emp-department', 'fin', 'Finance');
        await page.getByTestId('emp-hire-submit').click();
        await page.getByTestId('emp-linked').waitFor();
        assert.equal(await page.getByTestId('emp-temp').count(), 0, 'no temporary password for a linked account');
        assert.equal(await page.getByTestId('emp-hired').getAttribute('data-id'), e.carol, 'one identity: the account');
        const c = await api('GET', `${BASE}/${e.carol}`);
        assert.equal(c.json.username, 'carol');
        assert.equal(c.json.display_name, 'Carol Chen');
        await page.getByTestId('emp-hired-open').click();
        await page.getByTestId('page-employee').waitFor();
        assert.equal((await page.getByTestId('emp-prop-display_name').textContent()).trim(), 'Carol Chen');
        const ev = await api('GET', '/audit/events?action=employee.create&limit=2');
        assert.deepEqual(ev.json.items.map((x) => x.details.linked), [true, false]);
    });

    test('4. change a profile: a malformed and a taken employee number on the field, then a real change', SLOW, async () => {
        const { page } = admin;
        await open(page, `${BASE}/${e.wei}`, 'page-employee');
        await page.getByTestId('emp-edit-link').click();
        await page.getByTestId('page-employee-edit').waitFor();
        assert.equal(await page.getByTestId('emp-employee_no').inputValue(), 'E-0100');
        await page.getByTestId('emp-employee_no').fill('bad no!');
        await page.getByTestId('emp-edit-submit').click();
        await page.locator('[data-testid="emp-edit-error"][data-code="field_invalid"]').waitFor();
        assert.equal(await page.getByTestId('emp-employee_no').getAttribute('aria-invalid'), 'true');
        assert.equal((await page.getByTestId('emp-employee_no-error').textContent()).trim(),
            '“Employee number” is not valid (wrong format or too long). Check it and try again.');
        await checkScreen(admin);
        await page.getByTestId('emp-employee_no').fill('E-0002'); // Bob's
        const [res] = await Promise.all([
            page.waitForResponse((x) => x.request().method() === 'PATCH' && new URL(x.url()).pathname === `/api/v1${BASE}/${e.wei}`),
            page.getByTestId('emp-edit-submit').click(),
        ]);
        assert.equal(res.status(), 409);
        assert.deepEqual((await res.json()).error.field, 'employee_no');
        await page.locator('[data-testid="emp-edit-error"][data-code="employee_no_taken"]').waitFor();
        assert.equal((await page.getByTestId('emp-employee_no-error').textContent()).trim(),
            'Another employee already has this employee number.');
        assert.equal((await api('GET', `${BASE}/${e.wei}`)).json.employee_no, 'E-0100', 'nothing changed');

        // A real change: title, number cleared, primary department, further departments emptied, no manager.
        await page.getByTestId('emp-employee_no').fill('');
        await page.getByTestId('emp-title').fill('Head of engineering');
        await pick(page, 'emp-department', 'fin', 'Finance');
        await page.locator(`[data-testid="emp-departments-remove"][data-id="${d.Finance}"]`).click();
        await page.getByTestId('emp-manager-remove').click();
        await page.getByTestId('emp-phone-remove').check();
        const [ok] = await Promise.all([
            page.waitForResponse((x) => x.request().method() === 'PATCH' && new URL(x.url()).pathname === `/api/v1${BASE}/${e.wei}`),
            page.getByTestId('emp-edit-submit').click(),
        ]);
        assert.equal(ok.status(), 200);
        assert.deepEqual(Object.keys(ok.request().postDataJSON()).sort(),
            ['department_id', 'departments', 'employee_no', 'manager_id', 'phone', 'title']);
        await page.locator('[data-testid="emp-saved"]:not([hidden])').waitFor();
        assert.equal((await page.getByTestId('emp-saved').textContent()).trim(), 'Saved the changes to 张伟.');
        const r = (await api('GET', `${BASE}/${e.wei}`)).json;
        assert.equal(r.title, 'Head of engineering');
        assert.equal(r.employee_no, null);
        assert.deepEqual(r.department, { id: d.Finance, name: 'Finance' });
        assert.deepEqual(r.departments, []);
        assert.equal(r.manager, null);
        assert.equal(r.phone, null);
        const ev = await api('GET', '/audit/events?action=employee.update&limit=1');
        assert.deepEqual(ev.json.items[0].details.fields.sort(),
            ['department_id', 'departments', 'employee_no', 'manager_id', 'phone', 'title']);
        // Saving again with nothing changed sends nothing.
        await page.getByTestId('emp-edit-submit').click();
        await page.locator('[data-testid="emp-edit-notice"]:not([hidden])').waitFor();
        assert.equal((await page.getByTestId('emp-edit-notice').textContent()).trim(), 'Nothing was changed.');
        await checkScreen(admin);
        await page.getByTestId('emp-edit-back').click();
        await page.getByTestId('page-employee').waitFor();
        assert.equal((await page.getByTestId('emp-prop-title').textContent()).trim(), 'Head of engineering');
    });

    test('5. an admin reveals a phone: the number, the reveals left, the event in the audit screen; the quota in words', SLOW, async () => {
        const { page } = admin;
        await open(page, `${BASE}/${e.ann}`, 'page-employee');
        const phone = page.getByTestId('emp-prop-phone');
        await phone.getByTestId('emp-phone').waitFor();
        assert.equal((await phone.getByTestId('emp-phone').textContent()).trim(), '138****8000');
        assert.equal((await page.getByTestId('emp-prop-id_number').textContent()).trim(), RID, 'clear to a manager');
        const settings = (await api('GET', '/admin/settings')).json;
        assert.equal(settings.mask_phones, true);
        const before = (await apiAll(srv, A, '/audit/events', { action: 'employee.phone_reveal' })).length;
        await page.getByTestId('emp-reveal').click();
        await page.getByTestId('emp-phone-clear').waitFor();
        assert.equal((await page.getByTestId('emp-phone-clear').textContent()).trim(), '+8613800138000');
        const left = page.getByTestId('emp-reveals-left');
        assert.equal(await left.getAttribute('data-left'), String(settings.phone_reveals_per_day - before - 1));
        assert.equal((await left.textContent()).trim(),
            `Numbers you may still reveal in the next 24 hours: ${settings.phone_reveals_per_day - before - 1}`);
        await checkScreen(admin);
        await shot(page, 'employee');

        // The audit screen shows the event (and never the number).
        const events = await apiAll(srv, A, '/audit/events', { action: 'employee.phone_reveal' });
        assert.equal(events.length, before + 1);
        await open(page, '/admin/audit?action=employee.phone_reveal', 'page-audit');
        await expectRows(page, 'audit-table', 'audit-row', events.map((x) => x.id), 'id');
        assert.equal(await page.getByTestId('audit-action').inputValue(), 'employee.phone_reveal');
        const row = page.locator(`[data-testid="audit-row"][data-id="${events[0].id}"]`);
        assert.match(await row.textContent(), new RegExp(e.ann));
        await row.getByTestId('audit-open').click();
        await page.getByTestId('event-details').waitFor();
        assert.doesNotMatch(await page.getByTestId('event-details').textContent(), /8613800138000|0138000/);
        await checkScreen(admin);

        // The quota used up: the reveal is refused in the reader's words.
        const q = await api('PATCH', '/admin/settings', A, { body: { phone_reveals_per_day: before + 1 } });
        assert.equal(q.status, 200, q.text);
        try {
            await open(page, `${BASE}/${e.bob}`, 'page-employee');
            await page.getByTestId('emp-reveal').click();
            const err = page.locator('[data-testid="emp-reveal-error"][data-code="quota_exceeded"]');
            await err.waitFor();
            assert.equal((await err.textContent()).trim(), 'You have used up your daily allowance for this. Try again later.');
            assert.equal(await page.getByTestId('emp-phone-clear').count(), 0);
            await checkScreen(admin);
            await page.getByTestId('lang-select').selectOption({ label: '简体中文' });
            await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
            await page.getByTestId('emp-reveal').click();
            await page.locator('[data-testid="emp-reveal-error"][data-code="quota_exceeded"]').waitFor();
            assert.doesNotMatch(await page.getByTestId('emp-reveal-error').textContent(), /[A-Za-z]{4}/, 'in Chinese');
            assert.equal((await page.getByTestId('emp-reveal').textContent()).trim(), '显示完整号码');
            await checkScreen(admin);
        } finally {
            await page.getByTestId('lang-select').selectOption({ label: 'English' });
            await page.waitForFunction(() => document.documentElement.lang === 'en');
            assert.equal((await api('PATCH', '/admin/settings', A, { body: { phone_reveals_per_day: 20 } })).status, 200);
        }
    });

    test('6. a member sees the masked number, no Reveal, no change and no hiring; the API refuses them', SLOW, async () => {
        const m = await openPage(browser, srv.base);
        try {
            await m.page.goto('/');
            await signIn(m.page, 'acme', 'mallory', pw.mallory);
            await expectScreen(m.page, 'signedin');
            await m.page.getByTestId('nav-directory-employees').click();
            await m.page.getByTestId('page-employees').waitFor();
            await shown(m.page, (await names()).slice(0, 50));
            assert.equal(await m.page.getByTestId('emp-hire-link').count(), 0, 'no hiring');
            await m.page.locator(`[data-testid="emp-row"][data-id="${e.ann}"]`).getByTestId('emp-link').click();
            await m.page.getByTestId('page-employee').waitFor();
            const props = m.page.getByTestId('emp-props');
            assert.equal(await props.getAttribute('data-may-reveal'), 'false');
            assert.equal((await m.page.getByTestId('emp-prop-phone').textContent()).trim(), '138****8000');
            assert.equal(await m.page.getByTestId('emp-reveal').count(), 0, 'no Reveal');
            assert.equal(await m.page.getByTestId('emp-edit-link').count(), 0, 'no change');
            assert.equal((await m.page.getByTestId('emp-prop-id_number').textContent()).trim(), '**************002X');
            assert.doesNotMatch(await m.page.content(), /8613800138000/);
            await checkScreen(m);
            for (const h of [`${BASE}/new`, `${BASE}/${e.ann}/edit`]) {
                await m.page.goto(`/#${h}`);
                await m.page.getByTestId('page-forbidden').waitFor();
            }
            await checkScreen(m);
        } finally {
            await m.close();
        }
        for (const [method, path, body] of [['POST', `${BASE}/${e.ann}/phone/reveal`, {}],
            ['PATCH', `${BASE}/${e.ann}`, { title: 'X' }],
            ['POST', BASE, { username: 'x.y', display_name: 'X', department_id: d.Sales }]]) {
            const r = await api(method, path, M, { body });
            assert.equal(r.status, 403, `${method} ${path} as a member: ${r.text}`);
        }
        await checkClean(admin);
    });
});
