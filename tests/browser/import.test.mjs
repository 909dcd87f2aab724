// The console's import screen (issue 11, part 7; docs/import.md) in a real
// browser against a real server, as a tenant administrator uses it: a file
// with errors checked (every error in the table by line and column, in
// English and in Chinese; nothing written), a valid file imported (the
// progress bar while the job runs, then what it made, as the API answers
// it), the job kept in the URL across a reload. A member is offered no
// import and the screen is refused to them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PASSWORDS, closeDown, startServer } from '../api/lib/server.mjs';
import { activate, auth } from './lib/accounts.mjs';
import { axeViolations } from './lib/axe.mjs';
import { checkClean, expectScreen, launch, openPage, signIn } from './lib/browser.mjs';
import { shot } from './lib/shots.mjs';

const SLOW = { timeout: 60000 };
const HOOK = { timeout: 120000 };
const HEADER = 'username,display_name,email,phone,id_number,title,employee_no,department,departments,manager';
const BAD = [
    HEADER,
    'wei,Wei Zhang,wei@acme.test,138 0013 8000,,Lead,E-1,Sales/East,,',
    'Bad Name,,,12345,,,,Sales//East,,nobody',
    'wei,Again,,,,,,Sales,,',
].join('\r\n');
const GOOD = [
    HEADER,
    'wei,Wei Zhang,wei@acme.test,138 0013 8000,,Lead,E-1,Sales/East,,',
    'lin,"Lin, Na",,,,,E-2,Sales/East,,wei',
    ',,,,,,,Sales/West,,',
].join('\r\n');

let browser;

before(async () => { browser = await launch(); }, HOOK);
after(async () => { await browser?.close(); }, HOOK);

async function checkScreen(p) {
    assert.deepEqual(await axeViolations(p.page), [], 'axe: serious or critical violations');
    await checkClean(p);
}

/** Choose @p text as the file to import. */
const choose = (page, text, name = 'people.csv') => page.getByTestId('import-file')
    .setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });

/** The outcome of the job shown, once finished: its data-state. */
async function outcome(page) {
    const o = page.getByTestId('import-outcome');
    await o.waitFor({ timeout: 30000 });
    return o.getAttribute('data-state');
}

/** The rows of the error table: [line, column, rule, text]. */
const errorRows = (page) => page.getByTestId('import-error').evaluateAll((rows) => rows.map((r) => [
    Number(r.dataset.line), r.dataset.column, r.dataset.rule, r.children[2].textContent.trim()]));

describe('console: import', () => {
    let srv;
    let A; // root's API session
    let admin; // root's browser page

    before(async () => {
        srv = await startServer({
            name: 'browser-import',
            tenants: [{ slug: 'acme', name: 'Acme Import', admin: 'root', users: [{ username: 'mallory' }] }],
        });
        for (const p of Object.values(PASSWORDS)) srv.secrets.add(p);
        const acme = srv.tenants.acme;
        A = await activate(srv, 'acme', 'root', acme.admin.temporary_password, PASSWORDS.admin);
        await activate(srv, 'acme', 'mallory', acme.users.mallory.temporary_password, PASSWORDS.p1);
        admin = await openPage(browser, srv.base);
        await admin.page.goto('/');
        await signIn(admin.page, 'acme', 'root', PASSWORDS.admin);
        await expectScreen(admin.page, 'signedin');
    }, HOOK);

    after(async () => {
        await admin?.close();
        await closeDown(srv);
    }, HOOK);

    const employees = async () => {
        const r = await srv.api('GET', '/directory/employees?limit=200', auth(A));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.next_cursor, null);
        return r.json.items.length;
    };

    test('1. the screen: the file picker, an example, both buttons off until a file is chosen', SLOW, async () => {
        const { page } = admin;
        await page.getByTestId('nav-directory-import').click();
        await page.getByTestId('page-import').waitFor();
        assert.equal((await page.locator('#page-title').textContent()).trim(), 'Import departments and employees');
        assert.equal(await page.getByTestId('nav-directory-import').getAttribute('aria-current'), 'page');
        assert.equal(await page.getByTestId('nav-directory').getAttribute('aria-current'), null, 'one current entry');
        assert.ok((await page.getByTestId('import-example').textContent()).startsWith(HEADER));
        assert.equal(await page.getByTestId('import-check').isDisabled(), true);
        assert.equal(await page.getByTestId('import-run').isDisabled(), true);
        await checkScreen(admin);
    });

    test('2. a file with errors, checked: every error by line and column, nothing written; in Chinese too', SLOW, async () => {
        const { page } = admin;
        const before = await employees();
        await choose(page, BAD);
        await page.getByTestId('import-check').click();
        assert.equal(await outcome(page), 'invalid');
        assert.match(new URL(page.url()).hash, /^#\/directory\/import\?job=[0-9a-f-]{36}$/);
        const rows = await errorRows(page);
        assert.deepEqual(rows.map((r) => r.slice(0, 3)), [
            [3, 'username', 'username_invalid'],
            [3, 'display_name', 'required'],
            [3, 'phone', 'phone_invalid'],
            [3, 'department', 'department_invalid'],
            [3, 'manager', 'manager_unknown'],
            [4, 'username', 'username_duplicate'],
        ]);
        assert.equal(rows[2][3], 'Not a valid phone number for region CN.');
        assert.equal(rows[5][3], 'The same username as line 2.');
        assert.match(await page.getByTestId('import-outcome').textContent(), /6 errors in 3 lines: nothing was written/);
        assert.equal(await employees(), before);
        await checkScreen(admin);
        await shot(page, 'import');

        // The same report in Chinese.
        await page.getByTestId('lang-select').selectOption({ label: '简体中文' });
        await page.waitForFunction(() => document.documentElement.lang === 'zh-CN'
            && document.querySelectorAll('[data-testid="import-error"]').length === 6);
        const zh = await errorRows(page);
        assert.equal(zh[2][3], '不是 CN 地区的有效电话号码。');
        assert.equal(zh[5][3], '与第 2 行的用户名相同。');
        assert.equal((await page.locator('#page-title').textContent()).trim(), '导入部门和员工');
        await page.getByTestId('lang-select').selectOption({ label: 'English' });
        await page.waitForFunction(() => document.documentElement.lang === 'en');
    });

    test('3. a valid file imported: the progress bar while it runs, then what it made', SLOW, async () => {
        const { page } = admin;
        const before = await employees();
        // The first look at the job answers "running, half way" (a file this
        // small is done before the screen asks): the bar must show it.
        let faked = false;
        await page.route('**/api/v1/directory/imports/*', async (route) => {
            if (faked || route.request().method() !== 'GET') return route.continue();
            faked = true;
            const real = await route.fetch();
            const job = await real.json();
            return route.fulfill({
                response: real,
                json: { ...job, state: 'running', phase: 'checking', done: 2, total: 4, finished_at: null },
            });
        });
        await choose(page, GOOD);
        await page.getByTestId('import-run').click();
        const bar = page.getByTestId('import-bar');
        await bar.waitFor();
        assert.equal(await bar.getAttribute('value'), '50');
        assert.equal(await page.getByTestId('import-progress').getAttribute('data-phase'), 'checking');
        assert.equal((await page.getByTestId('import-percent').textContent()).trim(), '50 %');
        assert.equal(await page.getByTestId('import-run').isDisabled(), true, 'no second import while one runs');
        assert.equal(await outcome(page), 'done');
        await page.unroute('**/api/v1/directory/imports/*');
        assert.match(await page.getByTestId('import-outcome').textContent(),
            /Imported: 2 employees and 3 departments from 3 lines/);
        assert.equal(await page.getByTestId('import-errors').count(), 0);
        assert.equal(await employees(), before + 2);
        const lin = await srv.api('GET', '/directory/employees?q=lin', auth(A));
        assert.deepEqual(lin.json.items.map((e) => e.username), ['lin']);
        await checkScreen(admin);

        // The job is in the URL: a reload shows it again.
        await page.reload();
        await page.getByTestId('page-import').waitFor();
        assert.equal(await outcome(page), 'done');
    });

    test('4. a member is offered no import, and the screen is refused to them', SLOW, async () => {
        const p = await openPage(browser, srv.base);
        try {
            await p.page.goto('/');
            await signIn(p.page, 'acme', 'mallory', PASSWORDS.p1);
            await expectScreen(p.page, 'signedin');
            assert.equal(await p.page.getByTestId('nav-directory-import').count(), 0);
            await p.page.goto('/#/directory/import');
            await p.page.getByTestId('page-forbidden').waitFor();
            await checkClean(p);
        } finally {
            await p.close();
        }
    });
});
