// My sessions (issue 10: "my active sessions with sign-out of the others"):
// GET /me/sessions, DELETE /me/sessions/{id}, POST /me/sessions/revoke-others.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, UUID_RE, USER_AGENT, expectError, expectKeys, expectStatus, expectTime, listAll, startServer,
} from './lib/server.mjs';

const KEYS = ['id', 'created_at', 'last_seen_at', 'expires_at', 'ip', 'user_agent', 'device_id', 'current'];

describe('my sessions: list, sign out one, sign out the others', () => {
    let srv;
    let t;
    let main; // {token}
    const extra = []; // tokens of further sessions of the same account
    let stranger; // {token} of another tenant's admin

    const login = async () => {
        const r = await srv.login('sesco', 'boss', PASSWORDS.admin);
        expectStatus(r, 200);
        return r.json.token;
    };
    const mine = async (token) => {
        const r = await srv.api('GET', '/me/sessions', { token });
        expectStatus(r, 200);
        return r.json.items;
    };

    before(async () => {
        srv = await startServer({
            name: 'mysessions',
            tenants: [{ slug: 'sesco', name: 'Ses Co', admin: 'boss' }, { slug: 'othco', name: 'Oth Co', admin: 'olga' }],
        });
        t = srv.tenants.sesco;
        main = await srv.activate('sesco', 'boss', t.admin.temporary_password, PASSWORDS.admin);
        extra.push(await login(), await login());
        stranger = await srv.activate('othco', 'olga', srv.tenants.othco.admin.temporary_password, PASSWORDS.admin);
    });
    after(async () => { await srv?.cleanup(); });

    test('1. GET /me/sessions: every live session of the account, newest first, the caller\'s marked current', async () => {
        const items = await mine(main.token);
        assert.equal(items.length, 3);
        for (const s of items) {
            expectKeys(s, KEYS, 'session');
            assert.match(s.id, UUID_RE);
            expectTime(s.created_at, 'created_at');
            expectTime(s.last_seen_at, 'last_seen_at');
            expectTime(s.expires_at, 'expires_at');
            assert.equal(s.ip, '127.0.0.1');
            assert.equal(s.user_agent, USER_AGENT);
        }
        assert.equal(items.filter((s) => s.current).length, 1);
        for (let i = 1; i < items.length; i++) {
            assert.ok(Date.parse(items[i - 1].created_at) >= Date.parse(items[i].created_at), 'newest first');
        }
        // Another session sees the same list with its own mark.
        const seen = await mine(extra[0]);
        assert.deepEqual(seen.map((s) => s.id).sort(), items.map((s) => s.id).sort());
        assert.notEqual(seen.find((s) => s.current).id, items.find((s) => s.current).id);
        // No token of any session in the answer.
        const r = await srv.api('GET', '/me/sessions', { token: main.token });
        for (const tok of [main.token, ...extra]) assert.ok(!r.text.includes(tok));
    });

    test('2. DELETE /me/sessions/{id} signs that session out (401 at once), audited session.revoke', async () => {
        const victim = (await mine(extra[0])).find((s) => s.current).id;
        expectStatus(await srv.api('DELETE', `/me/sessions/${victim}`, { token: main.token }), 204);
        expectError(await srv.api('GET', '/me', { token: extra[0] }), 401, 'unauthenticated');
        assert.ok(!(await mine(main.token)).some((s) => s.id === victim));
        expectError(await srv.api('DELETE', `/me/sessions/${victim}`, { token: main.token }), 404, 'not_found', null, 'twice');
        const ev = await listAll(srv, main.token, '/audit/events', { action: 'session.revoke' });
        assert.ok(ev.some((e) => e.target_id === victim && e.actor_id === t.admin.id && e.result === 'success'));
    });

    test('3. an unknown id, a malformed one and another tenant\'s session are all 404', async () => {
        expectError(await srv.api('DELETE', `/me/sessions/${randomUUID()}`, { token: main.token }), 404, 'not_found');
        expectError(await srv.api('DELETE', '/me/sessions/not-a-uuid', { token: main.token }), 404, 'not_found');
        const theirs = (await mine(stranger.token)).find((s) => s.current).id;
        expectError(await srv.api('DELETE', `/me/sessions/${theirs}`, { token: main.token }), 404, 'not_found');
        expectStatus(await srv.api('GET', '/me', { token: stranger.token }), 200, 'their session lives');
        assert.ok(!(await mine(main.token)).some((s) => s.id === theirs), 'DIR-1: never listed');
    });

    test('4. POST /me/sessions/revoke-others: every other session dies, the caller\'s lives, audited with the count', async () => {
        extra.push(await login());
        const before = await mine(main.token);
        assert.equal(before.length, 3);
        const r = await srv.api('POST', '/me/sessions/revoke-others', { token: main.token });
        expectStatus(r, 200);
        assert.deepEqual(r.json, { revoked: 2 });
        for (const tok of extra.slice(1)) expectError(await srv.api('GET', '/me', { token: tok }), 401, 'unauthenticated');
        expectStatus(await srv.api('GET', '/me', { token: main.token }), 200);
        const after = await mine(main.token);
        assert.equal(after.length, 1);
        assert.equal(after[0].current, true);
        const again = await srv.api('POST', '/me/sessions/revoke-others', { token: main.token, body: {} });
        assert.deepEqual(again.json, { revoked: 0 });
        const ev = await listAll(srv, main.token, '/audit/events', { action: 'session.revoke_others' });
        assert.deepEqual(ev.map((e) => e.details), [{ count: 0 }, { count: 2 }]);
        expectError(await srv.api('POST', '/me/sessions/revoke-others', { token: main.token, body: { all: true } }),
            400, 'field_unknown', 'all');
    });

    test('5. without a session: 401', async () => {
        expectError(await srv.api('GET', '/me/sessions'), 401, 'unauthenticated');
        expectError(await srv.api('POST', '/me/sessions/revoke-others'), 401, 'unauthenticated');
        expectError(await srv.api('DELETE', `/me/sessions/${randomUUID()}`), 401, 'unauthenticated');
    });

    test('6. signing out the session in use is a logout', async () => {
        const tok = await login();
        const id = (await mine(tok)).find((s) => s.current).id;
        expectStatus(await srv.api('DELETE', `/me/sessions/${id}`, { token: tok }), 204);
        expectError(await srv.api('GET', '/me', { token: tok }), 401, 'unauthenticated');
    });
});
