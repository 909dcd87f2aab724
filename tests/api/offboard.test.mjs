// Offboarding (issue 11, part 6; DIR-6): POST /directory/employees/{id}/offboard
// with a successor disables the account, revokes every session and trusted
// device, removes every role and runs the offboarding hooks, in one
// transaction with its audit events; the account then signs in exactly as a
// wrong password does (the login, a device's login, the reset); the
// successor is checked (field named); the tenant's last tenant admin is
// refused with nothing changed; a department admin works inside their
// subtree only (refusals audited); rehiring gives a working temporary
// password; PATCH state disables for a while and enables again.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Device, step } from './lib/device.mjs';
import {
    PASSWORDS, closeDown, expectError, expectKeys, expectStatus, sleep, startServer,
} from './lib/server.mjs';

const BASE = '/directory/employees';
const UNKNOWN = '01900000-0000-7000-8000-000000000000';
const PERSON_KEYS = ['id', 'username', 'display_name', 'title', 'employee_no', 'state', 'email', 'phone',
    'phone_masked', 'id_number', 'department', 'departments', 'manager', 'may_manage', 'may_reveal_phone', 'created_at',
    'updated_at'];
const WEI_PHONE = '+8613800000042';

describe('directory: offboarding, disabling and rehiring (DIR-6)', () => {
    let srv;
    const tok = {};
    const id = {};
    const d = {};
    const pw = {};
    const dev = new Device('cli', { name: 'Wei laptop' });

    const outbox = () => {
        let text = '';
        try { text = readFileSync(path.join(srv.dir, 'outbox.jsonl'), 'utf8'); } catch { /* none yet */ }
        return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    };
    async function smsAfter(seen, to) {
        for (let i = 0; i < 100; i++) {
            const m = outbox().slice(seen).filter((x) => x.channel === 'sms' && x.to === to);
            if (m.length) return /\b(\d{6})\b/.exec(m[m.length - 1].text)[1];
            await sleep(50);
        }
        return assert.fail(`no SMS to ${to} in the outbox`);
    }
    const audit = async (action) => {
        const r = await srv.api('GET', `/audit/events?action=${action}&limit=200`, { token: tok.boss });
        expectStatus(r, 200, `audit ${action}`);
        return r.json.items;
    };
    const offboard = (who, body, token = tok.boss) => srv.api('POST', `${BASE}/${who}/offboard`, { token, body });
    const rehire = (who, token = tok.boss) => srv.api('POST', `${BASE}/${who}/rehire`, { token });
    const assignments = async (who) => (await srv.api('GET', `/access/assignments?account=${who}`, { token: tok.boss })).json.items;

    /** Hire @p username into @p dept and sign it in (its own password). */
    async function hireActive(username, dept, password) {
        const r = await srv.api('POST', BASE, { token: tok.boss, body: { username, display_name: username.toUpperCase(), department_id: dept } });
        expectStatus(r, 201, `hire ${username}`);
        id[username] = r.json.id;
        pw[username] = password;
        tok[username] = (await srv.activate('acme', username, r.json.temporary_password, password)).token;
    }

    before(async () => {
        srv = await startServer({
            name: 'offboard',
            conf: { auth: { captcha_after: 1000, lock_after: 1000 } },
            tenants: [
                { slug: 'acme', name: 'Acme Corp', admin: 'boss', users: [{ username: 'dana' }] },
                { slug: 'beta', name: 'Beta Ltd', admin: 'olga' },
            ],
        });
        const acme = srv.tenants.acme;
        tok.boss = (await srv.activate('acme', 'boss', acme.admin.temporary_password, PASSWORDS.admin)).token;
        tok.dana = (await srv.activate('acme', 'dana', acme.users.dana.temporary_password, PASSWORDS.p1)).token;
        tok.olga = (await srv.activate('beta', 'olga', srv.tenants.beta.admin.temporary_password, PASSWORDS.admin2)).token;
        id.boss = acme.admin.id;
        id.dana = acme.users.dana.id;
        const mk = async (name, parent) => {
            const r = await srv.api('POST', '/directory/departments', { token: tok.boss, body: parent ? { name, parent_id: parent } : { name } });
            expectStatus(r, 201, name);
            return r.json.id;
        };
        d.company = await mk('Company');
        d.sales = await mk('Sales', d.company);
        d.east = await mk('East', d.sales);
        d.finance = await mk('Finance', d.company);
        // dana: department admin of Sales; boss: an employee of the company too.
        expectStatus(await srv.api('POST', '/access/assignments', {
            token: tok.boss, body: { role: 'department_admin', account_id: id.dana, scope: 'department', department_id: d.sales },
        }), 201);
        expectStatus(await srv.api('POST', BASE, { token: tok.boss, body: { account_id: id.boss, display_name: 'Boss', department_id: d.company } }), 201);
        await hireActive('wei', d.sales, PASSWORDS.p2);
        await hireActive('sam', d.sales, PASSWORDS.p3);
        await hireActive('lee', d.east, PASSWORDS.p4);
        await hireActive('fay', d.finance, PASSWORDS.p1);
        // wei: an auditor of the tenant, a department admin of East, a trusted device (SMS), two sessions.
        for (const body of [
            { role: 'auditor', account_id: id.wei, scope: 'tenant' },
            { role: 'department_admin', account_id: id.wei, scope: 'department', department_id: d.east },
        ]) expectStatus(await srv.api('POST', '/access/assignments', { token: tok.boss, body }), 201);
        expectStatus(await srv.api('PATCH', `/users/${id.wei}`, { token: tok.boss, body: { phone: WEI_PHONE } }), 204);
        const l = await dev.login(srv, 'acme', 'wei', pw.wei);
        expectStatus(l, 200, 'device login');
        const ch = l.json.challenge;
        const seen = outbox().length;
        expectStatus(await step(srv, ch, 'sms/send'), 202);
        const v = await step(srv, ch, 'sms/verify', { body: { code: await smsAfter(seen, WEI_PHONE) } });
        expectStatus(v, 200, 'sms/verify');
        dev.token = v.json.token;
        expectStatus(await dev.request(srv, 'GET', '/me'), 200, 'the trusted device signs its requests');
    });
    after(async () => { await closeDown(srv); });

    test('1. the successor is checked, each refusal naming its field', async () => {
        const cases = [
            [id.wei, {}, 400, 'field_missing', 'successor_id'],
            [id.wei, { successor_id: 'sam' }, 400, 'field_invalid', 'successor_id'],
            [id.wei, { successor_id: null }, 400, 'field_missing', 'successor_id'],
            [id.wei, { successor_id: id.sam, extra: 1 }, 400, 'field_unknown', 'extra'],
            [id.wei, { successor_id: id.wei }, 400, 'field_invalid', 'successor_id'],
            [id.wei, { successor_id: UNKNOWN }, 404, 'not_found', 'successor_id'],
            [id.wei, { successor_id: id.dana }, 404, 'not_found', 'successor_id'], // an account, no employee
            [UNKNOWN, { successor_id: id.sam }, 404, 'not_found', null],
        ];
        for (const [who, body, status, code, field] of cases) {
            expectError(await offboard(who, body), status, code, field, JSON.stringify(body));
        }
        expectError(await srv.api('POST', `${BASE}/${id.wei}/offboard`, { token: tok.boss }), 400, 'json_malformed');
        // A successor who is not active: fay disabled for a while.
        expectStatus(await srv.api('PATCH', `${BASE}/${id.fay}`, { token: tok.boss, body: { state: 'disabled' } }), 200);
        expectError(await offboard(id.wei, { successor_id: id.fay }), 409, 'conflict', 'successor_id');
        expectStatus(await srv.api('PATCH', `${BASE}/${id.fay}`, { token: tok.boss, body: { state: 'active' } }), 200);
        expectError(await srv.api('GET', '/me', { token: tok.fay }), 401, 'unauthenticated', null, 'the disable ended her session');
        const fay = await srv.login('acme', 'fay', pw.fay);
        expectStatus(fay, 200, 'enabled again: her password works');
        tok.fay = fay.json.token;
        // Nothing happened to wei.
        expectStatus(await srv.api('GET', '/me', { token: tok.wei }), 200);
        assert.equal((await audit('employee.offboard')).length, 0);
    });

    test('2. a department admin offboards inside their subtree only; refusals audited', async () => {
        const before = (await audit('access.denied')).length;
        const refused = [
            [id.fay, { successor_id: id.sam }], // fay is in Finance
            [id.lee, { successor_id: id.fay }], // the successor is in Finance
            [id.wei, { successor_id: id.sam }], // wei holds roles: access.manage
        ];
        for (const [who, body] of refused) {
            expectError(await offboard(who, body, tok.dana), 403, 'forbidden', null, `${who} ${JSON.stringify(body)}`);
        }
        expectError(await srv.api('PATCH', `${BASE}/${id.fay}`, { token: tok.dana, body: { state: 'disabled' } }), 403, 'forbidden');
        const denied = await audit('access.denied');
        assert.equal(denied.length - before, refused.length + 1);
        assert.deepEqual([denied[0].actor, denied[0].result], ['dana', 'denied']);
        // Members offboard nobody.
        expectError(await offboard(id.lee, { successor_id: id.sam }, tok.sam), 403, 'forbidden');
        // Nothing changed: fay, lee and wei still work.
        for (const u of ['fay', 'lee', 'wei']) expectStatus(await srv.api('GET', '/me', { token: tok[u] }), 200, u);
        assert.equal((await audit('employee.offboard')).length, 0);
    });

    test('3. the tenant\'s last tenant admin is refused (409), with nothing changed', async () => {
        const events = (await srv.api('GET', '/audit/events?limit=200', { token: tok.boss })).json.items.length;
        expectError(await offboard(id.boss, { successor_id: id.sam }), 409, 'conflict');
        expectError(await srv.api('PATCH', `${BASE}/${id.boss}`, { token: tok.boss, body: { state: 'disabled' } }), 409, 'conflict', 'state');
        expectStatus(await srv.api('GET', '/me', { token: tok.boss }), 200, 'the admin\'s session still works');
        const me = await srv.api('GET', `${BASE}/${id.boss}`, { token: tok.boss });
        assert.equal(me.json.state, 'active');
        assert.deepEqual((await assignments(id.boss)).map((a) => a.role), ['tenant_admin']);
        const now = (await srv.api('GET', '/audit/events?limit=200', { token: tok.boss })).json.items.length;
        assert.equal(now, events, 'no event: the refused transactions rolled back whole');
        expectStatus(await srv.login('acme', 'boss', PASSWORDS.admin), 200, 'the admin still signs in');
    });

    let answers; // step 4: what wei's sign-ins got after offboarding
    let oldCode; // a reset code wei asked for before being offboarded
    test('4. offboarding: no session, no trusted device, no role; every step audited in one event', async () => {
        const seen0 = outbox().length;
        expectStatus(await srv.api('POST', '/auth/reset', { body: { tenant: 'acme', username: 'wei', channel: 'sms' } }), 202);
        oldCode = await smsAfter(seen0, WEI_PHONE);
        const wrong = await srv.login('acme', 'wei', 'Not-the-password-1');
        const r = await offboard(id.wei, { successor_id: id.sam });
        expectStatus(r, 200);
        expectKeys(r.json, [...PERSON_KEYS, 'offboarding'], 'answer');
        assert.equal(r.json.id, id.wei);
        assert.equal(r.json.state, 'offboarded');
        // Two sessions (the one that changed the password, the device's), one trusted device, two roles.
        assert.deepEqual(r.json.offboarding, { successor_id: id.sam, sessions: 2, devices: 1, roles: 2, hooks: { groups: { left: 0, passed_on: 0 }, api_tokens: { revoked: 0 }, records: { handed_over: 0 } } });
        // No working session: the old token and the device's signed requests get 401.
        expectError(await srv.api('GET', '/me', { token: tok.wei }), 401, 'unauthenticated');
        expectError(await dev.request(srv, 'GET', '/me'), 401, 'unauthenticated');
        // No trusted device, no role.
        const devices = (await srv.api('GET', `/users/${id.wei}/devices`, { token: tok.boss })).json.items;
        assert.deepEqual(devices.filter((x) => x.state !== 'unknown').map((x) => [x.name, x.state]), [['Wei laptop', 'revoked']]);
        assert.deepEqual(await assignments(id.wei), []);
        // The profile says so.
        const g = await srv.api('GET', `${BASE}/${id.wei}`, { token: tok.boss });
        assert.equal(g.json.state, 'offboarded');
        // Audited: one event listing the steps, and each role and device on its own.
        const ev = await audit('employee.offboard');
        assert.equal(ev.length, 1);
        assert.deepEqual([ev[0].actor, ev[0].target_id, ev[0].result], ['boss', id.wei, 'success']);
        assert.deepEqual(ev[0].details, r.json.offboarding);
        const revokes = (await audit('access.revoke')).filter((x) => x.reason === 'offboarding');
        assert.deepEqual(revokes.map((x) => x.details.role).sort(), ['auditor', 'department_admin']);
        const dr = (await audit('device.revoke')).filter((x) => x.reason === 'offboarding');
        assert.equal(dr.length, 1);
        answers = { wrong };
    });

    test('5. signing in afterwards answers exactly as a wrong password', async () => {
        const right = await srv.login('acme', 'wei', pw.wei);
        const wrong = await srv.login('acme', 'wei', 'Not-the-password-2');
        const other = await srv.login('acme', 'sam', 'Not-the-password-3'); // an enabled account, wrong password
        const nobody = await srv.login('acme', 'nobody.here', pw.wei);
        for (const [label, x] of [['right password', right], ['wrong password', wrong], ['before', answers.wrong], ['nobody', nobody]]) {
            assert.equal(x.status, other.status, `${label}: status`);
            assert.deepEqual(x.json, other.json, `${label}: body`);
        }
        expectError(right, 401, 'invalid_credentials');
        // The device's own login too (signed, its key, the right password).
        const dl = await dev.login(srv, 'acme', 'wei', pw.wei);
        assert.equal(dl.status, other.status);
        assert.deepEqual(dl.json, other.json);
        // The log says why; the answer does not.
        const fails = (await audit('auth.login')).filter((x) => x.result === 'failure' && x.actor === 'wei');
        assert.ok(fails.some((x) => x.reason === 'account_disabled'), 'reason account_disabled recorded');
        // A reset asked for: the same 202, and no code is sent.
        const seen = outbox().length;
        const reset = await srv.api('POST', '/auth/reset', { body: { tenant: 'acme', username: 'wei', channel: 'sms' } });
        const resetOther = await srv.api('POST', '/auth/reset', { body: { tenant: 'acme', username: 'nobody.here', channel: 'sms' } });
        expectStatus(reset, 202);
        assert.deepEqual([reset.status, reset.json], [resetOther.status, resetOther.json]);
        await sleep(300);
        assert.deepEqual(outbox().slice(seen).filter((m) => m.to === WEI_PHONE), [], 'no code sent');
        const rr = (await audit('auth.reset_request')).filter((x) => x.actor === 'wei');
        assert.equal(rr[0].reason, 'account_disabled');
    });

    test('6. offboarded is left only through a rehire', async () => {
        expectError(await offboard(id.wei, { successor_id: id.sam }), 409, 'conflict');
        expectError(await srv.api('PATCH', `${BASE}/${id.wei}`, { token: tok.boss, body: { state: 'active' } }), 409, 'conflict', 'state');
        expectError(await srv.api('PATCH', `${BASE}/${id.sam}`, { token: tok.boss, body: { state: 'offboarded' } }), 400, 'field_invalid', 'state');
        expectError(await srv.api('PATCH', `${BASE}/${id.sam}`, { token: tok.boss, body: { state: 'gone' } }), 400, 'field_invalid', 'state');
        expectError(await srv.api('PATCH', `${BASE}/${id.sam}`, { token: tok.boss, body: { state: null } }), 400, 'field_invalid', 'state');
        expectError(await rehire(id.sam), 409, 'conflict');
        expectError(await rehire(UNKNOWN), 404, 'not_found');
        expectError(await srv.api('POST', `${BASE}/${id.wei}/rehire`, { token: tok.boss, body: { password: 'x' } }), 400, 'field_unknown', 'password');
    });

    test('7. a rehire gives a working temporary password, to be changed; roles are not given back', async () => {
        const r = await rehire(id.wei);
        expectStatus(r, 200);
        expectKeys(r.json, [...PERSON_KEYS, 'temporary_password'], 'answer');
        assert.equal(r.json.state, 'active');
        expectError(await srv.login('acme', 'wei', pw.wei), 401, 'invalid_credentials', null, 'the old password is gone');
        // wei's phone is still bound: the sign-in asks for its SMS code.
        const l = await srv.login('acme', 'wei', r.json.temporary_password);
        expectStatus(l, 200);
        assert.deepEqual(l.json.challenge.next, ['sms_code']);
        const seen = outbox().length;
        expectStatus(await step(srv, l.json.challenge, 'sms/send'), 202);
        const v = await step(srv, l.json.challenge, 'sms/verify', { body: { code: await smsAfter(seen, WEI_PHONE) } });
        expectStatus(v, 200);
        assert.equal(v.json.must_change_password, true);
        expectError(await srv.api('GET', `${BASE}/${id.sam}`, { token: v.json.token }), 403, 'password_change_required');
        expectStatus(await srv.api('POST', '/me/password', {
            token: v.json.token, body: { current: r.json.temporary_password, new: PASSWORDS.p4 },
        }), 204);
        tok.wei = v.json.token;
        expectStatus(await srv.api('GET', '/me', { token: tok.wei }), 200);
        assert.deepEqual(await assignments(id.wei), []);
        // A reset code asked for before the offboarding is void for good.
        expectError(await srv.api('POST', '/auth/reset/confirm', {
            body: { tenant: 'acme', username: 'wei', code: oldCode, new_password: PASSWORDS.p4 },
        }), 400, 'reset_code_invalid');
        const ev = await audit('employee.rehire');
        assert.equal(ev.length, 1);
        assert.deepEqual([ev[0].actor, ev[0].target_id, ev[0].details.from], ['boss', id.wei, 'offboarded']);
        assert.ok(!JSON.stringify(ev).includes(r.json.temporary_password), 'no password in the log');
    });

    test('8. a temporary disable: sessions stop at once, roles stay; enabled again with the same password', async () => {
        expectStatus(await srv.api('POST', '/access/assignments', {
            token: tok.boss, body: { role: 'auditor', account_id: id.sam, scope: 'tenant' },
        }), 201);
        let r = await srv.api('PATCH', `${BASE}/${id.sam}`, { token: tok.boss, body: { state: 'disabled', title: 'On leave' } });
        expectStatus(r, 200);
        assert.deepEqual([r.json.state, r.json.title], ['disabled', 'On leave']);
        expectError(await srv.api('GET', '/me', { token: tok.sam }), 401, 'unauthenticated');
        const right = await srv.login('acme', 'sam', pw.sam);
        const wrong = await srv.login('acme', 'lee', 'Not-the-password-4');
        assert.deepEqual([right.status, right.json], [wrong.status, wrong.json]);
        assert.deepEqual((await assignments(id.sam)).map((a) => a.role), ['auditor'], 'roles kept');
        // A department admin may not disable or enable someone holding a role.
        expectError(await srv.api('PATCH', `${BASE}/${id.sam}`, { token: tok.dana, body: { state: 'active' } }), 403, 'forbidden');
        r = await srv.api('PATCH', `${BASE}/${id.sam}`, { token: tok.boss, body: { state: 'active' } });
        expectStatus(r, 200);
        assert.equal(r.json.state, 'active');
        expectStatus(await srv.login('acme', 'sam', pw.sam), 200, 'the same password again');
        const dis = await audit('employee.disable');
        assert.deepEqual([dis[0].target_id, dis[0].details.sessions >= 1], [id.sam, true]);
        assert.equal((await audit('employee.enable'))[0].target_id, id.sam);
        // A department admin offboards a plain member of their subtree.
        const lee = await offboard(id.lee, { successor_id: id.sam }, tok.dana);
        expectStatus(lee, 200);
        assert.deepEqual(lee.json.offboarding, { successor_id: id.sam, sessions: 1, devices: 0, roles: 0, hooks: { groups: { left: 0, passed_on: 0 }, api_tokens: { revoked: 0 }, records: { handed_over: 0 } } });
        expectError(await srv.api('GET', '/me', { token: tok.lee }), 401, 'unauthenticated');
    });

    test('9. tenant B reaches none of it', async () => {
        expectError(await offboard(id.wei, { successor_id: id.sam }, tok.olga), 404, 'not_found');
        expectError(await rehire(id.lee, tok.olga), 404, 'not_found');
        expectError(await srv.api('PATCH', `${BASE}/${id.sam}`, { token: tok.olga, body: { state: 'disabled' } }), 404, 'not_found');
        expectStatus(await srv.api('GET', '/me', { token: tok.wei }), 200);
    });
});
