// Session lifetime and revocation (contract [session] config, POST
// /users/{id}/reset-password "revokes all sessions of that account";
// AUTH-3 admin-assigned temporary password).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PASSWORDS, expectError, expectStatus, sleep, startServer } from './lib/server.mjs';

describe('sessions: idle timeout and absolute lifetime (idle_timeout_s = 2, absolute_lifetime_s = 5)', () => {
    let srv;
    let t;

    before(async () => {
        srv = await startServer({
            name: 'sessions-timeouts',
            conf: { session: { idle_timeout_s: 2, absolute_lifetime_s: 5 } },
            tenants: [{ slug: 'tempo', name: 'Tempo', admin: 'admin' }],
        });
        t = srv.tenants.tempo;
        await srv.activate('tempo', 'admin', t.admin.temporary_password, PASSWORDS.admin);
    });
    after(async () => { await srv?.cleanup(); });

    test('1. an idle session expires: /me 200 at once, then 401 unauthenticated after 3.5 s without requests', async () => {
        const l = await srv.login('tempo', 'admin', PASSWORDS.admin);
        expectStatus(l, 200);
        expectStatus(await srv.api('GET', '/me', { token: l.json.token }), 200, 'at once');
        await sleep(3500);
        expectError(await srv.api('GET', '/me', { token: l.json.token }), 401, 'unauthenticated', null, 'after 3.5 s idle');
    });

    test('2. use keeps a session alive past the idle timeout: 5 requests 0.8 s apart (4 s in all) -> 200 each', async () => {
        const l = await srv.login('tempo', 'admin', PASSWORDS.admin);
        expectStatus(l, 200);
        const started = Date.now();
        for (let i = 1; i <= 5; i++) {
            await sleep(800);
            expectStatus(await srv.api('GET', '/me', { token: l.json.token }), 200,
                `request ${i} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
        }
    });

    test('3. no session outlives the absolute lifetime: expires_at <= login + 5 s; used every 0.8 s, refused after 5 s', async () => {
        const before = Date.now();
        const l = await srv.login('tempo', 'admin', PASSWORDS.admin);
        expectStatus(l, 200);
        assert.ok(Date.parse(l.json.expires_at) <= Date.now() + 5000 + 1000,
            `expires_at ${l.json.expires_at} is within the 5 s lifetime`);
        while (Date.now() - before < 5600) {
            await sleep(800);
            await srv.api('GET', '/me', { token: l.json.token });
        }
        expectError(await srv.api('GET', '/me', { token: l.json.token }), 401, 'unauthenticated', null,
            `at ${((Date.now() - before) / 1000).toFixed(1)} s`);
    });

    test('4. an expired token is refused on every authenticated route, logout included', async () => {
        const l = await srv.login('tempo', 'admin', PASSWORDS.admin);
        await sleep(3000);
        expectError(await srv.api('GET', '/users', { token: l.json.token }), 401, 'unauthenticated', null, 'GET /users');
        expectError(await srv.api('POST', '/auth/logout', { token: l.json.token }), 401, 'unauthenticated', null, 'logout');
    });

    test('5. every response carried X-Request-Id, HSTS and a JSON body', () => {
        srv.checkResponses();
    });
});

describe('sessions: logout and admin reset revoke sessions', () => {
    let srv;
    let admin;
    let member; // POST /users answer
    let memberPassword;
    let s1;
    let s2;

    before(async () => {
        srv = await startServer({
            name: 'sessions-revoke',
            tenants: [{ slug: 'revo', name: 'Revo', admin: 'admin' }],
        });
        admin = await srv.activate('revo', 'admin', srv.tenants.revo.admin.temporary_password, PASSWORDS.admin);
    });
    after(async () => { await srv?.cleanup(); });

    test('1. admin creates member "sam"; sam sets a password and opens two more sessions', async () => {
        const r = await srv.api('POST', '/users', { token: admin.token, body: { username: 'sam' } });
        expectStatus(r, 201);
        member = r.json;
        const a = await srv.activate('revo', 'sam', member.temporary_password, PASSWORDS.p1);
        memberPassword = PASSWORDS.p1;
        const b = await srv.login('revo', 'sam', memberPassword);
        expectStatus(b, 200);
        s1 = a.token;
        s2 = b.json.token;
        expectStatus(await srv.api('GET', '/me', { token: s1 }), 200);
        expectStatus(await srv.api('GET', '/me', { token: s2 }), 200);
    });

    test('2. logout of one session leaves the other', async () => {
        const l = await srv.login('revo', 'sam', memberPassword);
        expectStatus(await srv.api('POST', '/auth/logout', { token: l.json.token }), 204);
        expectError(await srv.api('GET', '/me', { token: l.json.token }), 401, 'unauthenticated');
        expectStatus(await srv.api('GET', '/me', { token: s1 }), 200);
        expectStatus(await srv.api('GET', '/me', { token: s2 }), 200);
    });

    test('3. admin POST /users/{sam}/reset-password -> 200; both of sam\'s sessions -> 401 unauthenticated', async () => {
        const r = await srv.api('POST', `/users/${member.id}/reset-password`, { token: admin.token });
        expectStatus(r, 200);
        assert.equal(r.json.id, member.id);
        assert.equal(r.json.must_change_password, true);
        expectError(await srv.api('GET', '/me', { token: s1 }), 401, 'unauthenticated', null, 'session 1');
        expectError(await srv.api('GET', '/me', { token: s2 }), 401, 'unauthenticated', null, 'session 2');
        expectStatus(await srv.api('GET', '/me', { token: admin.token }), 200, 'the admin\'s own session');
        member.temporary_password = r.json.temporary_password;
    });

    test('4. after the reset: old password 401 invalid_credentials; the new temporary one logs in with must_change_password', async () => {
        expectError(await srv.login('revo', 'sam', memberPassword), 401, 'invalid_credentials');
        const l = await srv.login('revo', 'sam', member.temporary_password);
        expectStatus(l, 200);
        assert.equal(l.json.must_change_password, true);
        expectError(await srv.api('GET', '/me', { token: l.json.token }), 403, 'password_change_required');
    });

    test('5. an admin resetting their own password revokes their own sessions too', async () => {
        const me = await srv.api('GET', '/me', { token: admin.token });
        expectStatus(me, 200);
        const r = await srv.api('POST', `/users/${me.json.id}/reset-password`, { token: admin.token, body: {} });
        expectStatus(r, 200);
        expectError(await srv.api('GET', '/me', { token: admin.token }), 401, 'unauthenticated');
    });

    test('6. every response carried X-Request-Id, HSTS and a JSON body', () => {
        srv.checkResponses();
    });

    test('7. no password, temporary password or token appears in the server log', () => {
        srv.checkLogsClean();
    });
});
