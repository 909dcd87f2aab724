// Login, logout, /me and /health (contract "HTTP API"; AUTH-4 no existence
// leak, AUTH-7 every attempt logged, NET-1 HSTS; STYLE 8 log hygiene).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, UUID_RE, expectError, expectKeys, expectStatus, expectTime, sleep, startServer,
} from './lib/server.mjs';

describe('auth: login, logout, /me, /health', () => {
    /** The request log line of response @p id (lines arrive asynchronously). */
    async function logLine(id) {
        for (let i = 0; i < 40; i++) {
            const line = srv.logs.find((l) => l.msg === 'request' && l.request_id === id);
            if (line) return line;
            await sleep(50);
        }
        return undefined;
    }

    let srv;
    let acme; // CLI output for tenant acme
    let session1; // step 2
    let session2; // step 3

    before(async () => {
        srv = await startServer({
            name: 'auth',
            tenants: [{ slug: 'acme', name: 'Acme Corp', admin: 'root.admin', email: 'ops@acme.test' }],
        });
        acme = srv.tenants.acme;
    });
    after(async () => { await srv?.cleanup(); });

    test('1. GET /health without a token -> 200 with exactly the status (no version for strangers)', async () => {
        const r = await srv.api('GET', '/health');
        expectStatus(r, 200);
        assert.deepEqual(r.json, { status: 'ok' });
        assert.ok(!/0\.1\.0|salesvault/i.test(JSON.stringify([...r.headers])), 'no version in a header either');
    });

    test('1b. HEAD /health -> 200 with the headers and no body', async () => {
        const r = await srv.api('HEAD', '/health');
        assert.equal(r.status, 200);
        assert.equal(r.text, '');
        assert.ok(r.headers.get('strict-transport-security'));
    });

    test('2. POST /auth/login with the CLI temporary password -> 200, token svs_, must_change_password true', async () => {
        assert.match(acme.admin.id, UUID_RE);
        assert.equal(acme.admin.role, 'admin');
        const r = await srv.login('acme', 'root.admin', acme.admin.temporary_password);
        expectStatus(r, 200);
        expectKeys(r.json, ['token', 'expires_at', 'must_change_password', 'device_id', 'mfa_pending'], 'login');
        assert.match(r.json.token, /^svs_[A-Za-z0-9_-]{20,}$/);
        expectTime(r.json.expires_at, 'expires_at');
        assert.ok(Date.parse(r.json.expires_at) > Date.now(), 'expires_at is in the future');
        assert.equal(r.json.must_change_password, true);
        session1 = r.json.token;
    });

    test('3. step 2 session changes the password -> 204; login with the new password -> must_change_password false', async () => {
        const c = await srv.api('POST', '/me/password', {
            token: session1, body: { current: acme.admin.temporary_password, new: PASSWORDS.admin },
        });
        expectStatus(c, 204);
        assert.equal(c.text, '', '204 has no body');
        const r = await srv.login('acme', 'root.admin', PASSWORDS.admin);
        expectStatus(r, 200);
        assert.equal(r.json.must_change_password, false);
        assert.notEqual(r.json.token, session1, 'each login gets its own token');
        session2 = r.json.token;
    });

    test('4. GET /me (step 3 session) -> 200 with the account and its tenant', async () => {
        const r = await srv.api('GET', '/me', { token: session2 });
        expectStatus(r, 200);
        expectKeys(r.json, ['id', 'username', 'email', 'must_change_password', 'created_at', 'tenant', 'device', 'mfa_pending'], '/me');
        assert.equal(r.json.id, acme.admin.id);
        assert.equal(r.json.username, 'root.admin');
        // The role is the permission model's: /me/access (issue 11).
        const acc = await srv.api('GET', '/me/access', { token: session2 });
        expectStatus(acc, 200);
        assert.ok(acc.json.permissions.includes('access.manage'), acc.text);
        assert.deepEqual(acc.json.assignments.map((a) => [a.role, a.scope]), [['tenant_admin', 'tenant']]);
        assert.equal(r.json.email, 'ops@acme.test');
        assert.equal(r.json.must_change_password, false);
        expectTime(r.json.created_at, 'created_at');
        assert.deepEqual(r.json.tenant, { id: acme.tenant.id, slug: 'acme', name: 'Acme Corp' });
    });

    test('5. wrong password, unknown user, unknown tenant -> identical 401 invalid_credentials', async () => {
        const wrongPassword = await srv.login('acme', 'root.admin', 'Nope-9-wrong!');
        const unknownUser = await srv.login('acme', 'nobody.here', 'Nope-9-wrong!');
        const unknownTenant = await srv.login('no-such-tenant', 'root.admin', 'Nope-9-wrong!');
        for (const [label, r] of Object.entries({ wrongPassword, unknownUser, unknownTenant })) {
            expectError(r, 401, 'invalid_credentials', null, label);
        }
        // AUTH-4: nothing in the answer tells the three apart.
        assert.deepEqual(unknownUser.json, wrongPassword.json);
        assert.deepEqual(unknownTenant.json, wrongPassword.json);
        for (const h of ['content-type', 'content-length', 'www-authenticate']) {
            assert.equal(unknownUser.headers.get(h), wrongPassword.headers.get(h), `header ${h}`);
            assert.equal(unknownTenant.headers.get(h), wrongPassword.headers.get(h), `header ${h}`);
        }
    });

    test('6. passwords are case-sensitive: the password in lower case -> 401 invalid_credentials', async () => {
        expectError(await srv.login('acme', 'root.admin', PASSWORDS.admin.toLowerCase()), 401, 'invalid_credentials');
    });

    test('7. a session from before a failed login still works (failures do not revoke)', async () => {
        expectStatus(await srv.api('GET', '/me', { token: session2 }), 200);
    });

    test('8. POST /auth/logout (step 3 session) -> 204; the token is then refused: 401 unauthenticated', async () => {
        const r = await srv.api('POST', '/auth/logout', { token: session2 });
        expectStatus(r, 204);
        assert.equal(r.text, '');
        expectError(await srv.api('GET', '/me', { token: session2 }), 401, 'unauthenticated');
        expectError(await srv.api('POST', '/auth/logout', { token: session2 }), 401, 'unauthenticated', null,
            'second logout');
    });

    test('9. logout ends only that session: step 2 session still answers /me', async () => {
        const r = await srv.api('GET', '/me', { token: session1 });
        expectStatus(r, 200);
        assert.equal(r.json.id, acme.admin.id);
    });

    test('10. POST /auth/logout without a token -> 401 unauthenticated', async () => {
        expectError(await srv.api('POST', '/auth/logout'), 401, 'unauthenticated');
    });

    test('11. X-Request-Id differs per response and matches the request log line', async () => {
        const a = await srv.api('GET', '/me', { token: session1 });
        const b = await srv.api('GET', '/health');
        const idA = a.headers.get('x-request-id');
        const idB = b.headers.get('x-request-id');
        assert.ok(idA && idB && idA !== idB, 'two distinct request ids');
        const line = await logLine(idA);
        assert.ok(line, 'a request log line with the X-Request-Id');
        assert.equal(line.method, 'GET');
        assert.equal(line.route, '/api/v1/me');
        assert.equal(line.status, 200);
        assert.equal(line.tenant, acme.tenant.id);
        assert.equal(line.account, acme.admin.id);
        assert.equal(typeof line.ms, 'number');
        assert.equal(line.error, undefined, 'no error field on a success');
    });

    test('12. a refused request logs its error code', async () => {
        const r = await srv.login('acme', 'root.admin', 'Nope-9-wrong!');
        const id = r.headers.get('x-request-id');
        const line = await logLine(id);
        assert.ok(line, 'a request log line');
        assert.equal(line.status, 401);
        assert.equal(line.error, 'invalid_credentials');
        assert.equal(line.account, null, 'no account on a failed login');
    });

    test('12a. 401 names the scheme (WWW-Authenticate: Bearer); an unauthenticated body is refused before it is read', async () => {
        const r = await srv.api('GET', '/me');
        expectError(r, 401, 'unauthenticated');
        assert.match(r.headers.get('www-authenticate') || '', /^Bearer\b/);
        // 100 KiB to an admin route without a token: 401, not 413.
        const big = await srv.api('POST', '/users', { body: { username: 'x'.repeat(100 * 1024) } });
        expectError(big, 401, 'unauthenticated');
    });

    test('12c. a hostile User-Agent is stored sanitised (valid UTF-8, no control characters)', async () => {
        const ua = 'bad\u00ff\u00fe-agent'; // latin1 bytes on the wire: not UTF-8
        const r = await srv.login('acme', 'root.admin', 'Nope-9-wrong!', { headers: { 'user-agent': ua } });
        expectStatus(r, 401);
        const l = await srv.login('acme', 'root.admin', PASSWORDS.admin);
        const ev = await srv.api('GET', '/audit/events?action=auth.login&limit=5', { token: l.json.token });
        expectStatus(ev, 200);
        const mine = ev.json.items.find((e) => e.user_agent && e.user_agent.startsWith('bad'));
        assert.ok(mine, 'the event keeps its user_agent field');
        assert.equal(mine.user_agent, 'bad??-agent');
    });

    test('12b. a successful login logs who signed in (tenant and account ids)', async () => {
        const r = await srv.login('acme', 'root.admin', PASSWORDS.admin);
        expectStatus(r, 200);
        const id = r.headers.get('x-request-id');
        const line = await logLine(id);
        assert.ok(line, 'a request log line');
        assert.equal(line.route, '/api/v1/auth/login');
        assert.equal(line.status, 200);
        assert.equal(line.tenant, acme.tenant.id);
        assert.equal(line.account, acme.admin.id);
    });

    test('13. every response carried X-Request-Id, HSTS and a JSON body', () => {
        srv.checkResponses();
    });

    test('14. no password, temporary password or token appears in the server log', () => {
        srv.checkLogsClean();
    });

    test('15. SIGTERM -> graceful stop, exit 0', async () => {
        const r = await srv.stop();
        assert.deepEqual(r, { code: 0, signal: null });
    });
});
