// AUD-2: the five reports, read through GET /audit/events?report= and the
// export: each gets an entry from what produces it, and nothing else (a
// successful sign-in is no failed one, a refused new password at a reset
// is no guessed credential, a department made is no privilege change).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PASSWORDS, expectError, expectStatus, listAll, startServer } from './lib/server.mjs';

describe('audit: the AUD-2 reports', () => {
    let srv;
    const tok = {};
    let mia;

    before(async () => {
        srv = await startServer({
            name: 'reports',
            tenants: [{ slug: 'acme', name: 'Acme Corp', admin: 'boss', users: [{ username: 'mia' }] }],
        });
        const acme = srv.tenants.acme;
        tok.boss = (await srv.activate('acme', 'boss', acme.admin.temporary_password, PASSWORDS.admin)).token;
        tok.mia = (await srv.activate('acme', 'mia', acme.users.mia.temporary_password, PASSWORDS.p1)).token;
        mia = acme.users.mia.id;
    });
    after(async () => { await srv?.cleanup(); });

    const report = async (name, query = {}) => (await listAll(srv, tok.boss, '/audit/events', { report: name, limit: 200, ...query }))
        .map((e) => ({ action: e.action, result: e.result, reason: e.reason }));
    const actions = async (name) => new Set((await report(name)).map((e) => e.action));

    test('1. failed sign-ins: a wrong password and a wrong current password; not a good sign-in', async () => {
        expectStatus(await srv.login('acme', 'mia', 'Wrong-password-1!'), 401);
        expectStatus(await srv.login('acme', 'mia', PASSWORDS.p1), 200);
        expectError(await srv.api('POST', '/me/password', { token: tok.mia, body: { current: 'Not-it-at-all-9', new: PASSWORDS.p4 } }),
            403, 'current_password_invalid', 'current');
        const r = await report('login_failure');
        assert.ok(r.some((e) => e.action === 'auth.login' && e.result !== 'success'), 'the wrong password');
        assert.ok(!r.some((e) => e.action === 'auth.login' && e.result === 'success'), 'no good sign-in');
        assert.ok(r.some((e) => e.action === 'account.password_change_failed' && e.reason === 'current_password_invalid'));
        // Every event of the report is one of its actions.
        for (const e of r) {
            assert.ok(['auth.login', 'account.password_change_failed', 'security.lock', 'security.blacklist', 'auth.challenge',
                'auth.approval', 'auth.reset'].includes(e.action), e.action);
        }
    });

    test('2. privilege changes: a grant; configuration changes: a department; denied access: a member at an admin route', async () => {
        const dept = await srv.api('POST', '/directory/departments', { token: tok.boss, body: { name: 'Sales' } });
        expectStatus(dept, 201);
        expectStatus(await srv.api('POST', '/access/assignments', {
            token: tok.boss, body: { role: 'department_admin', account_id: mia, scope: 'department', department_id: dept.json.id },
        }), 201);
        expectError(await srv.api('GET', '/admin/settings', { token: tok.mia }), 403, 'forbidden');
        const priv = await actions('privilege_change');
        assert.ok(priv.has('access.grant'));
        assert.ok(!priv.has('department.create'));
        const conf = await actions('config_change');
        assert.ok(conf.has('department.create'));
        assert.ok(!conf.has('access.grant'));
        const denied = await actions('denied_access');
        assert.deepEqual([...denied], ['access.denied']);
    });

    test('3. sensitive access: an export of the log; the report filter combines with the others', async () => {
        const ex = await srv.api('GET', '/audit/export?report=privilege_change', { token: tok.boss });
        expectStatus(ex, 200);
        const lines = ex.text.trim().split('\n');
        assert.ok(lines.length >= 2, 'a header and the grant');
        assert.ok(lines.slice(1).every((l) => /access\.grant|account\.created|access\.role|user\.update|account\.password_reset/.test(l)),
            'only privilege changes exported');
        const sens = await report('sensitive_access');
        assert.ok(sens.some((e) => e.action === 'audit.export'));
        // report with result: none of the failed sign-ins is a success.
        assert.deepEqual(await report('login_failure', { result: 'success' }), []);
        expectError(await srv.api('GET', '/audit/events?report=activity', { token: tok.boss }), 400, 'field_invalid', 'report');
        expectError(await srv.api('GET', '/audit/events?report=nope', { token: tok.boss }), 400, 'field_invalid', 'report');
    });
});
