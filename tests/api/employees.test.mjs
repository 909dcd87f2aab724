// Employees (issue 11, parts 1, 2 and 5; DIR-2, DIR-4, DIR-5): hire (a new
// account with its profile, or an existing account linked), read, change,
// list a department's people in name order with cursor pages, search by
// name, find by phone and ID number through their blind indexes; phones
// kept as E.164 and masked for viewers without directory.view_phone; ID
// numbers checked and masked for those who may not manage the employee; a
// department admin hires and changes only inside their subtree; every bad
// input names its field; tenant B reaches none of A's employees.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, UUID_RE, expectError, expectKeys, expectStatus, listAll, startServer,
} from './lib/server.mjs';

const BASE = '/directory/employees';
const UNKNOWN = '01900000-0000-7000-8000-000000000000';
const PERSON_KEYS = ['id', 'username', 'display_name', 'title', 'employee_no', 'state', 'email', 'phone',
    'phone_masked', 'id_number', 'department', 'departments', 'manager', 'may_manage', 'may_reveal_phone', 'created_at',
    'updated_at'];
// A valid mainland resident ID (check character X) and a valid one ending in a digit.
const RID = '11010519491231002X';
const RID2 = '110105194912310029'.slice(0, 17);

describe('directory: employees', () => {
    let srv;
    const tok = {};
    const id = {};
    const d = {};
    const e = {};

    before(async () => {
        srv = await startServer({
            name: 'employees',
            tenants: [
                { slug: 'acme', name: 'Acme Corp', admin: 'boss', users: [{ username: 'dana' }, { username: 'moe' }] },
                { slug: 'beta', name: 'Beta Ltd', admin: 'olga' },
            ],
        });
        const acme = srv.tenants.acme;
        tok.boss = (await srv.activate('acme', 'boss', acme.admin.temporary_password, PASSWORDS.admin)).token;
        tok.dana = (await srv.activate('acme', 'dana', acme.users.dana.temporary_password, PASSWORDS.p1)).token;
        tok.mo = (await srv.activate('acme', 'moe', acme.users.moe.temporary_password, PASSWORDS.p2)).token;
        tok.olga = (await srv.activate('beta', 'olga', srv.tenants.beta.admin.temporary_password, PASSWORDS.admin2)).token;
        id.dana = acme.users.dana.id;
        id.mo = acme.users.moe.id;
        const mk = async (name, parent) => {
            const r = await srv.api('POST', '/directory/departments', {
                token: tok.boss, body: parent ? { name, parent_id: parent } : { name },
            });
            expectStatus(r, 201, name);
            return r.json.id;
        };
        d.company = await mk('Company');
        d.sales = await mk('Sales', d.company);
        d.east = await mk('East', d.sales);
        d.finance = await mk('Finance', d.company);
        // dana: department admin of Sales
        expectStatus(await srv.api('POST', '/access/assignments', {
            token: tok.boss, body: { role: 'department_admin', account_id: id.dana, scope: 'department', department_id: d.sales },
        }), 201);
    });
    after(async () => { await srv?.cleanup(); });

    const hire = (body, token = tok.boss) => srv.api('POST', BASE, { token, body });
    const reveal = (who, token = tok.boss) => srv.api('POST', `${BASE}/${who}/phone/reveal`, { token });

    test('1. hire: the account and its profile in one call; the phone as E.164; the ID number checked', async () => {
        const r = await hire({
            username: 'wei.zhang', email: 'Wei@Acme.test', display_name: '张伟', title: 'Account manager',
            employee_no: 'E-0001', department_id: d.sales, departments: [d.finance],
            phone: '138 0013 8000', id_number: RID.toLowerCase(),
        });
        expectStatus(r, 201);
        expectKeys(r.json, [...PERSON_KEYS, 'temporary_password'], 'hired');
        assert.match(r.json.id, UUID_RE);
        assert.equal(r.json.username, 'wei.zhang');
        // Phones are masked in every view (the tenant masks them by default).
        assert.equal(r.json.phone, '138****8000');
        assert.equal(r.json.phone_masked, true);
        assert.equal(r.json.may_reveal_phone, true);
        assert.equal(r.json.id_number, RID);
        assert.equal(r.json.email, 'wei@acme.test');
        assert.deepEqual(r.json.department, { id: d.sales, name: 'Sales' });
        assert.deepEqual(r.json.departments, [{ id: d.finance, name: 'Finance' }]);
        assert.equal(r.json.state, 'active');
        assert.equal(r.json.may_manage, true);
        e.wei = r.json.id;
        const rv = await reveal(e.wei);
        expectStatus(rv, 200);
        assert.equal(rv.json.phone, '+8613800138000', 'kept as E.164');
        // The account signs in with the temporary password and must change it.
        const login = await srv.login('acme', 'wei.zhang', r.json.temporary_password);
        assert.equal(login.status, 200, login.text);
        assert.equal(login.json.must_change_password, true);
        // A manager, an international number, no ID number.
        const r2 = await hire({
            username: 'li.na', display_name: 'Li Na', department_id: d.east, manager_id: e.wei, phone: '+1 (202) 555-0143',
        });
        expectStatus(r2, 201);
        assert.equal((await reveal(r2.json.id)).json.phone, '+12025550143');
        assert.deepEqual(r2.json.manager, { id: e.wei, display_name: '张伟' });
        e.li = r2.json.id;
        // Link an existing account (mo) without a new password.
        const r3 = await hire({ account_id: id.mo, display_name: 'Mo Salah', department_id: d.finance });
        expectStatus(r3, 201);
        assert.equal(r3.json.temporary_password, undefined);
        assert.equal(r3.json.username, 'moe');
        e.mo = r3.json.id;
        assert.equal(e.mo, id.mo, 'one identity: the employee is the account');
        const ev = await srv.api('GET', '/audit/events?action=employee.create', { token: tok.boss });
        assert.equal(ev.json.items.length, 3);
        assert.equal(ev.json.items[2].details.linked, false);
        assert.equal(ev.json.items[0].details.linked, true);
        assert.ok(!JSON.stringify(ev.json.items).includes('8613800138000'), 'no phone in the log');
    });

    test('2. read, change, list and search; exact match by phone and ID number', async () => {
        let r = await srv.api('GET', `${BASE}/${e.wei}`, { token: tok.boss });
        expectStatus(r, 200);
        expectKeys(r.json, PERSON_KEYS, 'person');
        r = await srv.api('PATCH', `${BASE}/${e.wei}`, {
            token: tok.boss, body: { title: 'Head of sales', employee_no: null, departments: [] },
        });
        expectStatus(r, 200);
        assert.equal(r.json.title, 'Head of sales');
        assert.equal(r.json.employee_no, null);
        assert.deepEqual(r.json.departments, []);
        const ev = await srv.api('GET', '/audit/events?action=employee.update', { token: tok.boss });
        assert.deepEqual(ev.json.items[0].details.fields.sort(), ['departments', 'employee_no', 'title']);
        // Sales lists wei (primary); East lists li; the company lists nobody (no one is in it).
        const names = async (q) => (await listAll(srv, tok.boss, BASE, q)).map((x) => x.display_name);
        assert.deepEqual(await names({ department: d.sales }), ['张伟']);
        assert.deepEqual(await names({ department: d.east }), ['Li Na']);
        assert.deepEqual(await names({ department: d.company }), []);
        assert.deepEqual(await names({ q: 'li' }), ['Li Na']);
        assert.deepEqual(await names({ q: 'LI' }), ['Li Na']);
        assert.deepEqual(await names({ q: '%' }), []);
        // Pages of one in name order: every employee once.
        const all = await listAll(srv, tok.boss, BASE, { limit: 1 });
        assert.deepEqual(all.map((x) => x.display_name), ['Li Na', 'Mo Salah', '张伟']);
        // Exact match through the blind indexes, as typed.
        assert.deepEqual(await names({ phone: '+86 138-0013-8000' }), ['张伟']);
        assert.deepEqual(await names({ phone: '13800138000' }), ['张伟']);
        assert.deepEqual(await names({ phone: '13800138001' }), []);
        assert.deepEqual(await names({ id_number: RID.toLowerCase() }), ['张伟']);
        // A department with people cannot be deleted.
        expectError(await srv.api('DELETE', `/directory/departments/${d.east}`, { token: tok.boss }), 409, 'conflict');
    });

    test('3. DIR-5: phones masked in every view; one revealed in clear with directory.view_phone, audited, within a daily quota', async () => {
        // A member: masked on the page and in a listing; the ID number too; no reveal.
        let r = await srv.api('GET', `${BASE}/${e.wei}`, { token: tok.mo });
        expectStatus(r, 200);
        assert.equal(r.json.phone, '138****8000');
        assert.equal(r.json.phone_masked, true);
        assert.equal(r.json.id_number, '**************002X');
        assert.deepEqual([r.json.may_manage, r.json.may_reveal_phone], [false, false]);
        const list = await srv.api('GET', `${BASE}?department=${d.sales}`, { token: tok.mo });
        assert.equal(list.json.items[0].phone, '138****8000');
        assert.ok(!list.text.includes('13800138000'));
        expectError(await reveal(e.wei, tok.mo), 403, 'forbidden');
        // dana (department admin of Sales) sees Sales masked too, reveals one of Sales, not of Finance.
        r = await srv.api('GET', `${BASE}/${e.wei}`, { token: tok.dana });
        assert.deepEqual([r.json.phone, r.json.may_reveal_phone], ['138****8000', true]);
        const before = (await srv.api('GET', '/audit/events?action=employee.phone_reveal&limit=200', { token: tok.boss })).json.items;
        r = await reveal(e.wei, tok.dana);
        expectStatus(r, 200);
        assert.equal(r.json.phone, '+8613800138000');
        assert.equal(r.json.reveals_left, 19);
        const ev = (await srv.api('GET', '/audit/events?action=employee.phone_reveal&limit=200', { token: tok.boss })).json.items;
        assert.equal(ev.length, before.length + 1);
        assert.deepEqual([ev[0].actor, ev[0].target_id, ev[0].details.count], ['dana', e.wei, 1]);
        assert.ok(!JSON.stringify(ev).includes('8613800138000'), 'the number is not in the log');
        expectError(await reveal(e.mo, tok.dana), 403, 'forbidden');
        // The quota: 2 a day; dana has used 1.
        expectStatus(await srv.api('PATCH', '/admin/settings', { token: tok.boss, body: { phone_reveals_per_day: 2 } }), 200);
        r = await reveal(e.li, tok.dana);
        expectStatus(r, 200);
        assert.equal(r.json.reveals_left, 0);
        expectError(await reveal(e.wei, tok.dana), 429, 'quota_exceeded');
        // A tenant that does not mask shows phones in clear to every reader.
        expectStatus(await srv.api('PATCH', '/admin/settings', { token: tok.boss, body: { mask_phones: false } }), 200);
        r = await srv.api('GET', `${BASE}/${e.wei}`, { token: tok.mo });
        assert.deepEqual([r.json.phone, r.json.phone_masked], ['+8613800138000', false]);
        const l2 = await srv.api('GET', `${BASE}?department=${d.sales}`, { token: tok.mo });
        assert.equal(l2.json.items[0].phone, '+8613800138000');
        expectStatus(await srv.api('PATCH', '/admin/settings', {
            token: tok.boss, body: { mask_phones: true, phone_reveals_per_day: 20 },
        }), 200);
        r = await reveal(e.wei, tok.dana); // the raised quota at once
        expectStatus(r, 200);
        assert.equal(r.json.reveals_left, 17);
        expectError(await reveal(UNKNOWN), 404, 'not_found');
        expectError(await srv.api('POST', `${BASE}/${e.wei}/phone/reveal`, { token: tok.boss, body: { x: 1 } }),
            400, 'field_unknown', 'x');
    });

    test('4. a department admin hires and changes inside their subtree only; refusals audited', async () => {
        const r = await hire({ username: 'sam', display_name: 'Sam', department_id: d.east }, tok.dana);
        expectStatus(r, 201);
        e.sam = r.json.id;
        expectStatus(await srv.api('PATCH', `${BASE}/${e.sam}`, { token: tok.dana, body: { department_id: d.sales } }), 200);
        const refused = [
            ['POST', BASE, { username: 'fin', display_name: 'Fin', department_id: d.finance }],
            ['POST', BASE, { username: 'two', display_name: 'Two', department_id: d.east, departments: [d.finance] }],
            ['POST', BASE, { account_id: id.dana, display_name: 'Dana', department_id: d.east }], // linking: users.manage
            ['PATCH', `${BASE}/${e.sam}`, { department_id: d.finance }],
            ['PATCH', `${BASE}/${e.sam}`, { departments: [d.company] }],
            ['PATCH', `${BASE}/${e.mo}`, { title: 'Boss' }],
        ];
        const before = (await srv.api('GET', '/audit/events?action=access.denied&limit=200', { token: tok.boss })).json.items.length;
        for (const [m, p, body] of refused) {
            expectError(await srv.api(m, p, { token: tok.dana, body }), 403, 'forbidden', null, `${m} ${p} ${JSON.stringify(body)}`);
        }
        const now = (await srv.api('GET', '/audit/events?action=access.denied&limit=200', { token: tok.boss })).json.items.length;
        assert.equal(now - before, refused.length);
        // Nothing was made: no "fin" account; sam still in Sales; mo unchanged.
        const users = await srv.api('GET', '/users?q=fin', { token: tok.boss });
        assert.deepEqual(users.json.items, []);
        const sam = await srv.api('GET', `${BASE}/${e.sam}`, { token: tok.boss });
        assert.equal(sam.json.department.id, d.sales);
        // Members change nothing.
        expectError(await srv.api('PATCH', `${BASE}/${e.wei}`, { token: tok.mo, body: { title: 'x' } }), 403, 'forbidden');
        expectError(await hire({ username: 'x1', display_name: 'X', department_id: d.sales }, tok.mo), 403, 'forbidden');
    });

    test('5. every bad input names its field', async () => {
        const base = { username: 'new.one', display_name: 'New', department_id: d.sales };
        const cases = [
            [{ display_name: 'N', department_id: d.sales }, 400, 'field_missing', 'username'],
            [{ ...base, account_id: id.mo }, 400, 'field_invalid', 'account_id'],
            [{ ...base, display_name: '' }, 400, 'field_invalid', 'display_name'],
            [{ ...base, display_name: 'a\u0007' }, 400, 'field_invalid', 'display_name'],
            [{ username: 'nnn', display_name: 'N' }, 400, 'field_missing', 'department_id'],
            [{ ...base, department_id: 'sales' }, 400, 'field_invalid', 'department_id'],
            [{ ...base, department_id: UNKNOWN }, 404, 'not_found', 'department_id'],
            [{ ...base, departments: [UNKNOWN] }, 404, 'not_found', 'departments'],
            [{ ...base, departments: [d.sales] }, 400, 'field_invalid', 'departments'],
            [{ ...base, departments: 'x' }, 400, 'field_invalid', 'departments'],
            [{ ...base, manager_id: UNKNOWN }, 404, 'not_found', 'manager_id'],
            [{ ...base, phone: '12345' }, 400, 'field_invalid', 'phone'],
            [{ ...base, phone: 'call me' }, 400, 'field_invalid', 'phone'],
            [{ ...base, id_number: `${RID2}1` }, 400, 'field_invalid', 'id_number'],
            [{ ...base, id_number: 'a b' }, 400, 'field_invalid', 'id_number'],
            [{ ...base, employee_no: 'no spaces' }, 400, 'field_invalid', 'employee_no'],
            [{ ...base, username: 'wei.zhang' }, 409, 'username_taken', 'username'],
            [{ account_id: id.mo, display_name: 'Again', department_id: d.sales }, 409, 'conflict', 'account_id'],
            [{ account_id: UNKNOWN, display_name: 'Ghost', department_id: d.sales }, 404, 'not_found', 'account_id'],
            [{ ...base, extra: 1 }, 400, 'field_unknown', 'extra'],
        ];
        for (const [body, status, code, field] of cases) {
            expectError(await hire(body), status, code, field, JSON.stringify(body));
        }
        expectStatus(await hire({ ...base, username: 'numbered', employee_no: 'E-9' }), 201);
        expectError(await hire({ ...base, username: 'numbered2', employee_no: 'E-9' }), 409, 'conflict', 'employee_no');
        // Changes.
        const patch = (body) => srv.api('PATCH', `${BASE}/${e.wei}`, { token: tok.boss, body });
        expectError(await patch({}), 400, 'field_missing', 'display_name');
        expectError(await patch({ display_name: null }), 400, 'field_invalid', 'display_name');
        expectError(await patch({ department_id: null }), 400, 'field_invalid', 'department_id');
        expectError(await patch({ manager_id: e.wei }), 409, 'conflict', 'manager_id');
        expectError(await patch({ manager_id: e.li }), 409, 'conflict', 'manager_id'); // li's manager is wei: a cycle
        expectError(await patch({ username: 'x' }), 400, 'field_unknown', 'username');
        expectError(await srv.api('PATCH', `${BASE}/${UNKNOWN}`, { token: tok.boss, body: { title: 'x' } }), 404, 'not_found');
        expectError(await srv.api('GET', `${BASE}/${UNKNOWN}`, { token: tok.boss }), 404, 'not_found');
        expectError(await srv.api('GET', `${BASE}?department=x`, { token: tok.boss }), 400, 'field_invalid', 'department');
        expectError(await srv.api('GET', `${BASE}?department=${UNKNOWN}`, { token: tok.boss }), 404, 'not_found', 'department');
        expectError(await srv.api('GET', `${BASE}?phone=abc`, { token: tok.boss }), 400, 'field_invalid', 'phone');
        expectError(await srv.api('GET', `${BASE}?cursor=abc`, { token: tok.boss }), 400, 'field_invalid', 'cursor');
        expectError(await srv.api('GET', BASE), 401, 'unauthenticated');
    });

    test('6. tenant B reaches none of A\'s employees', async () => {
        for (const x of Object.values(e)) {
            expectError(await srv.api('GET', `${BASE}/${x}`, { token: tok.olga }), 404, 'not_found');
            expectError(await srv.api('PATCH', `${BASE}/${x}`, { token: tok.olga, body: { title: 'Mine' } }), 404, 'not_found');
        }
        const b = await srv.api('GET', `${BASE}?phone=13800138000`, { token: tok.olga });
        expectStatus(b, 200);
        assert.deepEqual(b.json.items, []);
        expectError(await srv.api('GET', `${BASE}?department=${d.sales}`, { token: tok.olga }), 404, 'not_found', 'department');
        expectError(await srv.api('POST', BASE, { token: tok.olga, body: { account_id: id.mo, display_name: 'Mo', department_id: d.sales } }),
            404, 'not_found', 'department_id');
    });

    test('7. the phone region is a tenant setting', async () => {
        expectError(await srv.api('PATCH', '/admin/settings', { token: tok.boss, body: { phone_region: 'XX' } }),
            400, 'field_invalid', 'phone_region');
        let r = await srv.api('PATCH', '/admin/settings', { token: tok.boss, body: { phone_region: 'US' } });
        expectStatus(r, 200);
        assert.equal(r.json.phone_region, 'US');
        r = await hire({ username: 'us.one', display_name: 'US One', department_id: d.sales, phone: '(202) 555-0147' });
        expectStatus(r, 201);
        assert.equal((await reveal(r.json.id)).json.phone, '+12025550147');
        expectStatus(await srv.api('PATCH', '/admin/settings', { token: tok.boss, body: { phone_region: 'CN' } }), 200);
    });
});
