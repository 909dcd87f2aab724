// The console's offboarding screens (issue 11, part 9; DIR-6) in a real
// browser against a real server: a tenant administrator offboards an
// employee from their profile (what happens explained, the successor chosen
// among the other active employees only, a missing successor and a wrong
// username refused on their fields, then the report, each count equal to the
// employee.offboard event's); the employee's own browser, signed in before,
// lands on the sign-in page at its next action, and its password then gets
// exactly the answer and the words of a wrong password; the tenant's last
// tenant administrator refused (offboarding and disabling) in words, in
// English and Chinese; a department admin refused for an employee partly
// outside their subtree, and offered nothing for one wholly outside; a
// temporary disable and enabling again (the badge on the profile and in the
// list, the session ended, the same password working again); a rehire whose
// temporary password is shown once with a copy button and signs in to the
// forced change of password.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PASSWORDS, closeDown, startServer } from '../api/lib/server.mjs';
import { activate, apiSignIn, auth } from './lib/accounts.mjs';
import { axeViolations } from './lib/axe.mjs';
import { checkClean, expectScreen, launch, message, openPage, signIn, waitMessageCode } from './lib/browser.mjs';
import { apiAll, expectRows, hireApi, mkDept, pick } from './lib/people.mjs';
import { shot } from './lib/shots.mjs';

const SLOW = { timeout: 90000 };
const HOOK = { timeout: 180000 };
const BASE = '/directory/employees';

let browser;

before(async () => { browser = await launch(); }, HOOK);
after(async () => { await browser?.close(); }, HOOK);

async function checkScreen(p) {
    assert.deepEqual(await axeViolations(p.page), [], 'axe: serious or critical violations');
    await checkClean(p);
}

describe('console: offboarding, disabling and rehiring (DIR-6)', () => {
    let srv;
    let A; // root: acme's only tenant admin
    let admin; // root's browser page
    const d = {};
    const e = {}; // username → employee id
    const pw = {};
    const S = {}; // username → API session

    before(async () => {
        srv = await startServer({
            name: 'browser-offboarding',
            // Many failed sign-ins on purpose: no CAPTCHA, no lock.
            conf: { auth: { captcha_after: 1000, lock_after: 1000 } },
            tenants: [{ slug: 'acme', name: 'Acme Leavers', admin: 'root', users: [{ username: 'dana' }] }],
        });
        for (const p of Object.values(PASSWORDS)) srv.secrets.add(p);
        const acme = srv.tenants.acme;
        A = await activate(srv, 'acme', 'root', acme.admin.temporary_password, PASSWORDS.admin);
        S.dana = await activate(srv, 'acme', 'dana', acme.users.dana.temporary_password, PASSWORDS.p1);
        pw.dana = PASSWORDS.p1;
        e.root = acme.admin.id;
        d.Company = await mkDept(srv, A, 'Company');
        d.Sales = await mkDept(srv, A, 'Sales', d.Company);
        d.East = await mkDept(srv, A, 'East', d.Sales);
        d.Finance = await mkDept(srv, A, 'Finance', d.Company);
        // root is an employee too; dana is the department admin of Sales.
        let r = await srv.api('POST', BASE, { ...auth(A), body: { account_id: e.root, display_name: 'Root Admin', department_id: d.Company } });
        assert.equal(r.status, 201, r.text);
        r = await srv.api('POST', '/access/assignments', {
            ...auth(A), body: { role: 'department_admin', account_id: acme.users.dana.id, scope: 'department', department_id: d.Sales },
        });
        assert.equal(r.status, 201, r.text);
        const people = [
            ['wei', 'Wei Wang', { department_id: d.Sales }, PASSWORDS.p2],
            ['sam', 'Sam Song', { department_id: d.Sales }, PASSWORDS.p3],
            ['lee', 'Lee Li', { department_id: d.East }, PASSWORDS.p4],
            ['vic', 'Vic Vu', { department_id: d.Sales, departments: [d.Finance] }, PASSWORDS.p1],
            ['fay', 'Fay Fu', { department_id: d.Finance }, PASSWORDS.p2],
            ['zed', 'Zed Zhu', { department_id: d.Sales }, PASSWORDS.p3],
            ['wen', 'Wen Wu', { department_id: d.East }, PASSWORDS.p4],
        ];
        for (const [username, name, where, password] of people) {
            const h = await hireApi(srv, A, { username, display_name: name, ...where });
            e[username] = h.id;
            pw[username] = password;
            S[username] = await activate(srv, 'acme', username, h.temporary_password, password);
        }
        // wei: an auditor of the tenant, a member of one group and the owner of another.
        r = await srv.api('POST', '/access/assignments', { ...auth(A), body: { role: 'auditor', account_id: e.wei, scope: 'tenant' } });
        assert.equal(r.status, 201, r.text);
        r = await srv.api('POST', '/directory/groups', { ...auth(A), body: { name: 'Key accounts' } });
        assert.equal(r.status, 201, r.text);
        const keys = r.json.id;
        r = await srv.api('POST', `/directory/groups/${keys}/members`, { ...auth(A), body: { kind: 'employee', id: e.wei } });
        assert.equal(r.status, 201, r.text);
        r = await srv.api('POST', '/directory/groups', { ...auth(A), body: { name: 'Wei team', owner_id: e.wei } });
        assert.equal(r.status, 201, r.text);
        // zed: disabled for a while (never a successor).
        r = await srv.api('PATCH', `${BASE}/${e.zed}`, { ...auth(A), body: { state: 'disabled' } });
        assert.equal(r.status, 200, r.text);
        admin = await openPage(browser, srv.base);
        await admin.context.grantPermissions(['clipboard-read', 'clipboard-write']);
        await admin.page.goto('/');
        await signIn(admin.page, 'acme', 'root', PASSWORDS.admin);
        await expectScreen(admin.page, 'signedin');
    }, HOOK);

    after(async () => {
        await admin?.close();
        await closeDown(srv);
    }, HOOK);

    const api = (method, path, s = A, opts = {}) => srv.api(method, path, { ...auth(s), ...opts });
    const open = async (page, hash, testid) => {
        await page.goto(`/#${hash}`);
        await page.getByTestId(testid).waitFor();
    };
    const profile = async (page, who) => {
        await open(page, `${BASE}/${e[who]}`, 'page-employee');
        await page.getByTestId('emp-props').waitFor();
    };
    const badge = (page, state) => page.locator(`[data-testid="emp-props"] [data-testid="emp-state"][data-state="${state}"]`).waitFor();
    const text = async (loc) => ((await loc.textContent()) || '').trim();
    /** The sign-in answer the page got for a click, and the message it then shows. */
    async function signInAnswer(page, username, password) {
        const [res] = await Promise.all([
            page.waitForResponse((x) => new URL(x.url()).pathname === '/api/v1/auth/login' && x.request().method() === 'POST'),
            signIn(page, 'acme', username, password),
        ]);
        await waitMessageCode(page, 'invalid_credentials');
        return { status: res.status(), body: await res.json(), message: await message(page) };
    }

    test('1. offboarding: what happens, the successor (active others only), the confirmation, then the report', SLOW, async () => {
        // wei is signed in, in a browser of their own.
        const w = await openPage(browser, srv.base);
        try {
            await w.page.goto('/');
            await signIn(w.page, 'acme', 'wei', pw.wei);
            await expectScreen(w.page, 'signedin');

            const { page } = admin;
            await profile(page, 'wei');
            await badge(page, 'active');
            const panel = page.getByTestId('emp-employment');
            assert.equal(await panel.getAttribute('data-state'), 'active');
            await page.getByTestId('emp-offboard').click();
            await page.getByTestId('off-panel').waitFor();
            await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'off-title');
            const explain = await text(page.getByTestId('off-explain'));
            for (const words of [/disabled/, /session/, /trusted device/, /role/, /group/, /successor/]) assert.match(explain, words);
            await checkScreen(admin);

            // Nothing chosen, nothing typed: the successor's field says so.
            await page.getByTestId('off-submit').click();
            await page.locator('[data-testid="off-error"][data-code="field_missing"]').waitFor();
            assert.equal(await text(page.getByTestId('off-successor-error')), 'Fill in “Successor”.');
            assert.equal(await page.getByTestId('off-successor-q').getAttribute('aria-invalid'), 'true');
            // The employee itself and a disabled employee are not offered.
            for (const q of ['wei', 'zed']) {
                await page.getByTestId('off-successor-q').fill(q);
                await page.getByTestId('off-successor-q').press('Enter');
                await page.getByTestId('off-successor-empty').waitFor();
            }
            // Wen (active) is offered among the "W"s, Wei is not.
            await page.getByTestId('off-successor-q').fill('w');
            await page.getByTestId('off-successor-q').press('Enter');
            await page.getByTestId('off-successor-options').waitFor();
            assert.deepEqual(await page.getByTestId('off-successor-option').evaluateAll((xs) => xs.map((x) => x.dataset.name)), ['Wen Wu']);
            await pick(page, 'off-successor', 'sam', 'Sam Song');
            // A wrong username: refused on its field, nothing sent.
            let posted = 0;
            const count = (rq) => { if (rq.method() === 'POST' && rq.url().endsWith('/offboard')) posted++; };
            page.on('request', count);
            await page.getByTestId('off-confirm').fill('Wei');
            await page.getByTestId('off-submit').click();
            await page.locator('[data-testid="off-error"][data-code="confirm_mismatch"]').waitFor();
            assert.equal(await text(page.getByTestId('off-confirm-error')), 'Type the employee\'s username exactly as shown, to confirm.');
            assert.equal(await page.getByTestId('off-confirm').getAttribute('aria-invalid'), 'true');
            assert.equal(posted, 0, 'nothing sent before the confirmation');
            page.off('request', count);
            await checkScreen(admin);
            await page.getByTestId('off-confirm').fill('wei');
            await page.getByTestId('off-panel').evaluate((x) => x.scrollIntoView());
            await shot(page, 'employee-offboard');
            const [res] = await Promise.all([
                page.waitForResponse((x) => x.request().method() === 'POST' && new URL(x.url()).pathname === `/api/v1${BASE}/${e.wei}/offboard`),
                page.getByTestId('off-submit').click(),
            ]);
            assert.equal(res.status(), 200);
            assert.deepEqual(res.request().postDataJSON(), { successor_id: e.sam });

            // The report: each count as the API and the audit event have it.
            const report = page.getByTestId('off-report');
            await report.waitFor();
            await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'off-report-title');
            assert.equal(await report.getAttribute('data-successor'), e.sam);
            assert.match(await text(report), /Sam Song/);
            const ev = (await api('GET', '/audit/events?action=employee.offboard&limit=5')).json.items;
            assert.equal(ev.length, 1);
            const want = ev[0].details;
            assert.deepEqual(want, (await res.json()).offboarding);
            assert.equal(want.roles, 1);
            assert.equal(want.sessions >= 1, true);
            assert.deepEqual(want.hooks, { groups: { left: 1, passed_on: 1 }, api_tokens: { revoked: 0 }, records: { handed_over: 0 } });
            const steps = await page.getByTestId('off-report-step').evaluateAll((xs) => xs.map((x) => [x.dataset.step, Number(x.dataset.n)]));
            assert.deepEqual(steps, [['sessions', want.sessions], ['devices', want.devices], ['roles', want.roles]]);
            const hooks = await page.getByTestId('off-report-hook').evaluateAll((xs) => xs.map((x) => [x.dataset.hook, x.dataset.step, Number(x.dataset.n)]));
            assert.deepEqual(hooks, [['groups', 'left', 1], ['groups', 'passed_on', 1], ['api_tokens', 'revoked', 0], ['records', 'handed_over', 0]]);
            assert.match(await text(report), /API tokens revoked\s*0/);
            assert.match(await text(report), /Groups passed on to the successor\s*1/);
            await badge(page, 'offboarded');
            assert.equal(await page.getByTestId('emp-offboard').count(), 0, 'offboarded once only');
            assert.equal(await page.getByTestId('emp-enable').count(), 0, 'offboarded is left only through a rehire');
            await page.getByTestId('emp-rehire').waitFor();
            await checkScreen(admin);
            await shot(page, 'employee-offboarded');
            // The list shows it too.
            await open(page, `${BASE}?q=wei`, 'page-employees');
            await expectRows(page, 'emp-table', 'emp-row', ['Wei Wang']);
            assert.equal(await page.locator('[data-testid="emp-row"] [data-testid="emp-state"]').getAttribute('data-state'), 'offboarded');
            assert.equal(await text(page.locator('[data-testid="emp-row"] [data-testid="emp-state"]')), 'offboarded');

            // wei's browser: its next action lands on the sign-in page.
            await w.page.getByTestId('nav-account-sessions').click();
            await expectScreen(w.page, 'signin');
            await waitMessageCode(w.page, 'unauthenticated');
            // Its password now answers exactly as a wrong password does, in the same words.
            const right = await signInAnswer(w.page, 'wei', pw.wei);
            const wrong = await signInAnswer(w.page, 'wei', 'Not-the-password-9');
            const other = await signInAnswer(w.page, 'sam', 'Not-the-password-8');
            for (const [label, x] of [['wrong', wrong], ['another account\'s wrong password', other]]) {
                assert.equal(right.status, x.status, `${label}: status`);
                assert.deepEqual(right.body, x.body, `${label}: body`);
                assert.deepEqual(right.message, x.message, `${label}: the message shown`);
            }
            assert.equal(right.status, 401);
            assert.equal(right.message.text, 'The organisation, username or password is wrong. Check them and try again.');
            await checkClean(w);
        } finally {
            await w.close();
        }
    });

    test('2. the last tenant admin: offboarding and disabling refused in words (English and Chinese)', SLOW, async () => {
        const { page } = admin;
        await profile(page, 'root');
        await page.getByTestId('emp-offboard').click();
        await pick(page, 'off-successor', 'sam', 'Sam Song');
        await page.getByTestId('off-confirm').fill('root');
        const [res] = await Promise.all([
            page.waitForResponse((x) => x.request().method() === 'POST' && x.url().endsWith('/offboard')),
            page.getByTestId('off-submit').click(),
        ]);
        assert.equal(res.status(), 409);
        assert.equal((await res.json()).error.field ?? null, null, 'no field: the employee itself');
        const err = page.locator('[data-testid="off-error"][data-code="last_admin_offboard"]');
        await err.waitFor();
        assert.equal(await text(err), 'This employee is your organisation\'s last tenant administrator and cannot be offboarded. '
            + 'Make someone else a tenant administrator first.');
        await badge(page, 'active');
        await checkScreen(admin);
        await page.getByTestId('off-cancel').click();
        await page.getByTestId('off-panel').waitFor({ state: 'detached' });

        // Disabling: the same rule, its own sentence.
        await page.getByTestId('emp-disable').click();
        await page.waitForFunction(() => document.activeElement && document.activeElement.dataset.testid === 'emp-disable-no');
        await page.getByTestId('emp-disable-yes').click();
        const dis = page.locator('[data-testid="emp-state-error"][data-code="last_admin_disable"]');
        await dis.waitFor();
        assert.match(await text(dis), /last tenant administrator and cannot be disabled/);
        await badge(page, 'active');
        assert.equal((await api('GET', `${BASE}/${e.root}`)).json.state, 'active');
        assert.equal((await api('GET', '/me')).status, 200, 'the admin\'s session still works');

        try {
            await page.getByTestId('lang-select').selectOption({ label: '简体中文' });
            await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
            await page.getByTestId('emp-offboard').click();
            await pick(page, 'off-successor', 'sam', 'Sam Song');
            await page.getByTestId('off-confirm').fill('root');
            await page.getByTestId('off-submit').click();
            await page.locator('[data-testid="off-error"][data-code="last_admin_offboard"]').waitFor();
            assert.equal(await text(page.getByTestId('off-error')),
                '此员工是您组织最后一位租户管理员，不能办理离职。请先让其他人成为租户管理员。');
            assert.equal(await text(page.getByTestId('emp-offboard')), '办理离职…');
            assert.doesNotMatch(await text(page.getByTestId('off-explain')), /[A-Za-z]{4}/, 'in Chinese');
            await checkScreen(admin);
            await page.getByTestId('off-cancel').click();
        } finally {
            await page.getByTestId('lang-select').selectOption({ label: 'English' });
            await page.waitForFunction(() => document.documentElement.lang === 'en');
        }
    });

    test('3. a department admin: refused for an employee partly outside their subtree; nothing offered wholly outside', SLOW, async () => {
        const m = await openPage(browser, srv.base);
        try {
            const { page } = m;
            await page.goto('/');
            await signIn(page, 'acme', 'dana', pw.dana);
            await expectScreen(page, 'signedin');
            // Fay is in Finance only: no employment actions at all.
            await profile(page, 'fay');
            assert.equal(await page.getByTestId('emp-props').getAttribute('data-may-manage'), 'false');
            assert.equal(await page.getByTestId('emp-employment').count(), 0);
            // Vic is in Sales, and in Finance too: offered (Sales is dana's), refused by the API.
            await profile(page, 'vic');
            await page.getByTestId('emp-offboard').click();
            await pick(page, 'off-successor', 'sam', 'Sam Song');
            await page.getByTestId('off-confirm').fill('vic');
            const before = (await apiAll(srv, A, '/audit/events', { action: 'access.denied' })).length;
            const [res] = await Promise.all([
                page.waitForResponse((x) => x.request().method() === 'POST' && x.url().endsWith('/offboard')),
                page.getByTestId('off-submit').click(),
            ]);
            assert.equal(res.status(), 403);
            const err = page.locator('[data-testid="off-error"][data-code="offboard_forbidden"]');
            await err.waitFor();
            assert.match(await text(err), /^You may not do this offboarding: you must manage every department of the employee and of the successor/);
            assert.equal((await api('GET', `${BASE}/${e.vic}`)).json.state, 'active', 'nothing changed');
            assert.equal((await apiAll(srv, A, '/audit/events', { action: 'access.denied' })).length, before + 1, 'the refusal audited');
            await checkScreen(m);
            await page.getByTestId('off-cancel').click();
            // Disabling vic: refused the same way.
            await page.getByTestId('emp-disable').click();
            await page.getByTestId('emp-disable-yes').click();
            await page.locator('[data-testid="emp-state-error"][data-code="state_forbidden"]').waitFor();
            await badge(page, 'active');
            // A successor outside the subtree: Wen (East, dana's) to Fay (Finance) refused too.
            await profile(page, 'wen');
            await page.getByTestId('emp-offboard').click();
            await pick(page, 'off-successor', 'fay', 'Fay Fu');
            await page.getByTestId('off-confirm').fill('wen');
            await page.getByTestId('off-submit').click();
            await page.locator('[data-testid="off-error"][data-code="offboard_forbidden"]').waitFor();
            assert.equal((await api('GET', `${BASE}/${e.wen}`)).json.state, 'active');
            await checkClean(m);
        } finally {
            await m.close();
        }
    });

    test('4. disable for a while, then enable: the badge, the session ended, the same password again', SLOW, async () => {
        const { page } = admin;
        await profile(page, 'lee');
        await page.getByTestId('emp-disable').click();
        const [res] = await Promise.all([
            page.waitForResponse((x) => x.request().method() === 'PATCH' && new URL(x.url()).pathname === `/api/v1${BASE}/${e.lee}`),
            page.getByTestId('emp-disable-yes').click(),
        ]);
        assert.equal(res.status(), 200);
        assert.deepEqual(res.request().postDataJSON(), { state: 'disabled' });
        await badge(page, 'disabled');
        await page.locator('[data-testid="emp-state-notice"]:not([hidden])').waitFor();
        assert.equal(await text(page.getByTestId('emp-state-notice')),
            'Lee Li is disabled: they cannot sign in until enabled again. Their roles are kept.');
        assert.equal(await page.getByTestId('emp-employment').getAttribute('data-state'), 'disabled');
        assert.equal((await api('GET', '/me', S.lee)).status, 401, 'the session ended');
        const lg = await srv.login('acme', 'lee', pw.lee);
        assert.equal(lg.status, 401);
        assert.equal(lg.json.error.code, 'invalid_credentials');
        await checkScreen(admin);
        // The list shows it.
        await open(page, `${BASE}?q=lee`, 'page-employees');
        await expectRows(page, 'emp-table', 'emp-row', ['Lee Li']);
        assert.equal(await page.locator('[data-testid="emp-row"] [data-testid="emp-state"]').getAttribute('data-state'), 'disabled');
        // Enabled again: active, and the same password signs in.
        await profile(page, 'lee');
        await page.getByTestId('emp-enable').click();
        await badge(page, 'active');
        await page.locator('[data-testid="emp-state-notice"]:not([hidden])').waitFor();
        assert.match(await text(page.getByTestId('emp-state-notice')), /Lee Li is active again/);
        assert.equal((await api('GET', `${BASE}/${e.lee}`)).json.state, 'active');
        S.lee = await apiSignIn(srv, 'acme', 'lee', pw.lee);
        assert.equal((await api('GET', '/me', S.lee)).status, 200);
        const dis = (await api('GET', '/audit/events?action=employee.disable&limit=5')).json.items;
        assert.ok(dis.some((x) => x.target_id === e.lee));
        assert.equal((await api('GET', '/audit/events?action=employee.enable&limit=1')).json.items[0].target_id, e.lee);
        await checkScreen(admin);
    });

    test('5. rehire: a temporary password shown once, copied, that signs in and must be changed', SLOW, async () => {
        const { page } = admin;
        await profile(page, 'wei');
        await badge(page, 'offboarded');
        await page.getByTestId('emp-rehire').click();
        await page.getByTestId('rehire-panel').waitFor();
        assert.match(await text(page.getByTestId('rehire-panel')), /Roles and trusted devices are not given back/);
        const [res] = await Promise.all([
            page.waitForResponse((x) => x.request().method() === 'POST' && x.url().endsWith('/rehire')),
            page.getByTestId('rehire-submit').click(),
        ]);
        assert.equal(res.status(), 200);
        const shown = page.getByTestId('rehired');
        await shown.waitFor();
        const temp = await text(page.getByTestId('rehire-temp-text'));
        srv.secrets.add(temp);
        assert.equal(temp, (await res.json()).temporary_password);
        assert.match(await text(shown), /shown only once/);
        assert.match(await text(page.getByTestId('rehire-warning')), /shown only now/);
        await badge(page, 'active');
        await page.getByTestId('rehire-temp-copy').click();
        await page.locator('[data-testid="rehire-temp"] [role="status"]', { hasText: /Copied|Ctrl\+C/ }).waitFor();
        const copied = await page.evaluate(() => navigator.clipboard.readText().catch(() => null));
        if (copied !== null) assert.equal(copied, temp);
        await checkScreen(admin);
        // Shown once: hidden for good, and not there after a reload.
        await page.getByTestId('rehired-done').click();
        await page.getByTestId('rehired').waitFor({ state: 'detached' });
        await page.reload();
        await expectScreen(page, 'signedin');
        await page.getByTestId('emp-props').waitFor();
        assert.equal(await page.getByTestId('rehire-temp').count(), 0);
        assert.doesNotMatch(await page.content(), new RegExp(temp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

        // wei signs in with it, and must change it first.
        const w = await openPage(browser, srv.base);
        try {
            await w.page.goto('/');
            await signIn(w.page, 'acme', 'wei', temp);
            await expectScreen(w.page, 'password');
            await checkClean(w);
        } finally {
            await w.close();
        }
        const ev = (await api('GET', '/audit/events?action=employee.rehire&limit=5')).json.items;
        assert.deepEqual(ev.map((x) => [x.target_id, x.details.from]), [[e.wei, 'offboarded']]);
        await checkClean(admin);
    });
});
