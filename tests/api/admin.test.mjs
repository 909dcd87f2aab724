// Admin routes: users, reset-password, audit events (contract "Admin only";
// AUD-1 what an event records, AUD-3 filtering; AUTH-3 temporary passwords).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, UUID_RE, USER_AGENT, expectError, expectKeys, expectStatus, expectTime, listAll,
    sleep, startServer,
} from './lib/server.mjs';

const USER_KEYS = ['id', 'username', 'role', 'email', 'must_change_password', 'created_at'];
const LIST_KEYS = ['locked', 'locked_until', 'totp', 'phone'];
const EVENT_KEYS = ['id', 'seq', 'time', 'action', 'actor_id', 'actor', 'target_type', 'target_id', 'ip',
    'user_agent', 'result', 'reason', 'details'];

describe('admin: users, reset-password, audit events', () => {
    let srv;
    let t; // CLI output for tenant "admco"
    let admin; // {token}
    const created = {}; // username -> POST /users answer
    let member; // {token} of "mia"
    let boundary; // RFC 3339 second between the two batches of step 12

    before(async () => {
        srv = await startServer({
            name: 'admin',
            tenants: [{ slug: 'admco', name: 'Admin Co', admin: 'boss', users: [{ username: 'cli.made', role: 'member' }] }],
        });
        t = srv.tenants.admco;
        admin = await srv.activate('admco', 'boss', t.admin.temporary_password, PASSWORDS.admin);
    });
    after(async () => { await srv?.cleanup(); });

    test('1. POST /users {username} -> 201 member, must_change_password true, temporary password', async () => {
        const r = await srv.api('POST', '/users', { token: admin.token, body: { username: 'mia' } });
        expectStatus(r, 201);
        expectKeys(r.json, [...USER_KEYS, 'temporary_password'], 'created user');
        assert.match(r.json.id, UUID_RE);
        assert.equal(r.json.username, 'mia');
        assert.equal(r.json.role, 'member');
        assert.equal(r.json.email, null);
        assert.equal(r.json.must_change_password, true);
        expectTime(r.json.created_at, 'created_at');
        assert.equal(typeof r.json.temporary_password, 'string');
        assert.ok(r.json.temporary_password.length >= 12, 'temporary password is long');
        created.mia = r.json;
    });

    test('2. POST /users {username, role admin, email} -> 201 with them', async () => {
        const r = await srv.api('POST', '/users', {
            token: admin.token, body: { username: 'ada.admin', role: 'admin', email: 'ada@admco.test' },
        });
        expectStatus(r, 201);
        assert.equal(r.json.role, 'admin');
        assert.equal(r.json.email, 'ada@admco.test');
        created['ada.admin'] = r.json;
    });

    test('3. username rule boundaries: 3 and 64 characters of [a-z0-9._-] -> 201', async () => {
        for (const username of ['a_1', `x${'y.z-_9'.repeat(9)}abcdefghi`.slice(0, 64)]) {
            const r = await srv.api('POST', '/users', { token: admin.token, body: { username } });
            expectStatus(r, 201, username);
            assert.equal(r.json.username, username);
            created[username] = r.json;
        }
    });

    test('4. duplicate username (step 1 "mia", also the CLI-made user) -> 409 username_taken, field username', async () => {
        for (const username of ['mia', 'cli.made', 'boss']) {
            const r = await srv.api('POST', '/users', { token: admin.token, body: { username } });
            expectError(r, 409, 'username_taken', 'username', username);
        }
    });

    test('5. temporary passwords are distinct and log in with must_change_password', async () => {
        const temps = new Set(Object.values(created).map((u) => u.temporary_password));
        assert.equal(temps.size, Object.keys(created).length);
        const cli = t.users['cli.made'];
        assert.equal(cli.role, 'member');
        const l = await srv.login('admco', 'cli.made', cli.temporary_password);
        expectStatus(l, 200, 'CLI-made user');
        assert.equal(l.json.must_change_password, true);
    });

    test('6. GET /users lists everyone once with the contract fields and no secret', async () => {
        const r = await srv.api('GET', '/users', { token: admin.token });
        expectStatus(r, 200);
        expectKeys(r.json, ['items', 'next_cursor'], 'page');
        assert.equal(r.json.next_cursor, null);
        // The lock and factors of each (api/console tests them).
        for (const u of r.json.items) expectKeys(u, [...USER_KEYS, ...LIST_KEYS], `user ${u.username}`);
        const names = r.json.items.map((u) => u.username).sort();
        assert.deepEqual(names, ['boss', 'cli.made', ...Object.keys(created)].sort());
        const mia = r.json.items.find((u) => u.username === 'mia');
        assert.equal(mia.id, created.mia.id);
        assert.equal(mia.must_change_password, true);
        assert.ok(!r.text.includes(created.mia.temporary_password), 'no temporary password in the list');
    });

    test('7. cursor pagination over 56 users: default page 50, limit=7 pages, no gaps or repeats', async () => {
        for (let i = 0; i < 50; i++) {
            const username = `bulk.${String(i).padStart(2, '0')}`;
            const r = await srv.api('POST', '/users', { token: admin.token, body: { username } });
            expectStatus(r, 201, username);
        }
        const all = (await srv.api('GET', '/users?limit=200', { token: admin.token })).json;
        assert.equal(all.items.length, 56);
        assert.equal(all.next_cursor, null);

        const first = await srv.api('GET', '/users', { token: admin.token });
        expectStatus(first, 200);
        assert.equal(first.json.items.length, 50, 'default limit is 50');
        assert.equal(typeof first.json.next_cursor, 'string');
        const second = await srv.api('GET', `/users?cursor=${encodeURIComponent(first.json.next_cursor)}`,
            { token: admin.token });
        expectStatus(second, 200);
        assert.equal(second.json.items.length, 6);
        assert.equal(second.json.next_cursor, null);

        const paged = await listAll(srv, admin.token, '/users', { limit: 7 });
        assert.equal(paged.length, 56);
        assert.equal(new Set(paged.map((u) => u.id)).size, 56, 'no repeats');
        assert.deepEqual(paged.map((u) => u.id), all.items.map((u) => u.id), 'pages follow the one-page order');

        const one = await srv.api('GET', '/users?limit=1', { token: admin.token });
        assert.equal(one.json.items.length, 1);
    });

    test('8. member "mia" (password changed) -> 403 forbidden on every admin route; GET /me is hers', async () => {
        member = await srv.activate('admco', 'mia', created.mia.temporary_password, PASSWORDS.p1);
        const calls = [
            ['GET', '/users', undefined],
            ['POST', '/users', { username: 'by.member' }],
            ['POST', `/users/${created['ada.admin'].id}/reset-password`, undefined],
            ['POST', `/users/${created.mia.id}/reset-password`, {}],
            ['GET', '/audit/events', undefined],
        ];
        for (const [method, p, body] of calls) {
            expectError(await srv.api(method, p, { token: member.token, body }), 403, 'forbidden', null, `${method} ${p}`);
        }
        const me = await srv.api('GET', '/me', { token: member.token });
        expectStatus(me, 200);
        assert.equal(me.json.username, 'mia');
        const acc = await srv.api('GET', '/me/access', { token: member.token });
        expectStatus(acc, 200);
        assert.deepEqual(acc.json.permissions, ['directory.read', 'records.customer.own', 'records.contact.own',
            'records.opportunity.own', 'records.activity.own']);
        assert.deepEqual(acc.json.assignments, []);
    });

    test('9. the member\'s refused POST /users created nobody', async () => {
        const all = (await srv.api('GET', '/users?limit=200', { token: admin.token })).json.items;
        assert.ok(!all.some((u) => u.username === 'by.member'));
    });

    test('10. POST /users/{mia}/reset-password (no body) -> 200 {id, temporary_password, must_change_password}', async () => {
        const r = await srv.api('POST', `/users/${created.mia.id}/reset-password`, { token: admin.token });
        expectStatus(r, 200);
        expectKeys(r.json, ['id', 'temporary_password', 'must_change_password'], 'reset');
        assert.equal(r.json.id, created.mia.id);
        assert.equal(r.json.must_change_password, true);
        assert.notEqual(r.json.temporary_password, created.mia.temporary_password);
        expectError(await srv.api('GET', '/me', { token: member.token }), 401, 'unauthenticated', null, 'her session');
        expectError(await srv.login('admco', 'mia', PASSWORDS.p1), 401, 'invalid_credentials', null, 'old password');
        const l = await srv.login('admco', 'mia', r.json.temporary_password);
        expectStatus(l, 200);
        assert.equal(l.json.must_change_password, true);
        const list = (await srv.api('GET', '/users?limit=200', { token: admin.token })).json.items;
        assert.equal(list.find((u) => u.id === created.mia.id).must_change_password, true);
        created.mia.reset = r.json;
    });

    test('11. POST /users/{ada}/reset-password with {} -> 200 as well', async () => {
        const r = await srv.api('POST', `/users/${created['ada.admin'].id}/reset-password`, {
            token: admin.token, body: {},
        });
        expectStatus(r, 200);
        assert.equal(r.json.id, created['ada.admin'].id);
    });

    test('12. audit events: newest first, the contract fields, login attempts with ip and user agent (AUTH-7)', async () => {
        const bad = await srv.login('admco', 'boss', 'Not-The-Password-1');
        expectError(bad, 401, 'invalid_credentials');
        const r = await srv.api('GET', '/audit/events?limit=200', { token: admin.token });
        expectStatus(r, 200);
        expectKeys(r.json, ['items', 'next_cursor'], 'page');
        const items = r.json.items;
        assert.ok(items.length > 0);
        for (const e of items) {
            expectKeys(e, EVENT_KEYS, `event ${e.action}`);
            assert.match(e.id, UUID_RE);
            expectTime(e.time, 'time');
            assert.ok(Number.isInteger(e.seq));
        }
        for (let i = 1; i < items.length; i++) {
            assert.ok(items[i - 1].seq > items[i].seq, 'seq decreases (newest first)');
            assert.ok(Date.parse(items[i - 1].time) >= Date.parse(items[i].time), 'time does not increase');
        }
        const failure = items.find((e) => e.action === 'auth.login' && e.result === 'failure');
        assert.ok(failure, 'a failed login event');
        // The contract's reason is an example ("e.g. invalid_credentials"): admins may
        // see why a login failed (unknown user, wrong password); clients never do.
        assert.equal(typeof failure.reason, 'string', 'a failed login has a reason');
        assert.ok(failure.reason.length > 0);
        assert.equal(failure.ip, '127.0.0.1');
        assert.equal(failure.user_agent, USER_AGENT);
        const success = items.find((e) => e.action === 'auth.login' && e.result === 'success' && e.actor_id === t.admin.id);
        assert.ok(success, 'a successful login event for the admin');
        assert.equal(success.ip, '127.0.0.1');
        assert.equal(success.user_agent, USER_AGENT);
        const createdEv = items.find((e) => e.action === 'account.created' && e.target_id === created.mia.id);
        assert.ok(createdEv, 'account.created for mia');
        assert.equal(createdEv.actor_id, t.admin.id);
        const reset = items.find((e) => e.action === 'account.password_reset' && e.target_id === created.mia.id);
        assert.ok(reset, 'account.password_reset for mia');
        assert.equal(reset.actor_id, t.admin.id);
        assert.ok(items.some((e) => e.action === 'tenant.created'), 'tenant.created in the tenant stream');
        assert.ok(!r.text.includes(created.mia.reset.temporary_password), 'no temporary password in events');
    });

    test('13. ?action= returns only that action', async () => {
        const got = await listAll(srv, admin.token, '/audit/events', { action: 'account.created' });
        // mia, ada.admin, two boundary users, 50 bulk users, plus the CLI-made ones (admin, cli.made).
        assert.ok(got.length >= 54, `account.created events: ${got.length}`);
        for (const e of got) assert.equal(e.action, 'account.created');
        assert.ok(got.some((e) => e.target_id === created['ada.admin'].id));
        const none = await srv.api('GET', '/audit/events?action=no.such.action', { token: admin.token });
        expectStatus(none, 200);
        assert.deepEqual(none.json, { items: [], next_cursor: null });
    });

    test('14. ?actor= returns only that account\'s events', async () => {
        const byMia = await listAll(srv, admin.token, '/audit/events', { actor: created.mia.id });
        assert.ok(byMia.length > 0, 'mia acted (login, password change, refused admin requests)');
        for (const e of byMia) assert.equal(e.actor_id, created.mia.id);
        const byBoss = await listAll(srv, admin.token, '/audit/events', { actor: t.admin.id });
        for (const e of byBoss) assert.equal(e.actor_id, t.admin.id);
        assert.ok(byBoss.some((e) => e.action === 'account.created'));
        const ids = new Set(byMia.map((e) => e.id));
        assert.ok(!byBoss.some((e) => ids.has(e.id)));
    });

    test('15. ?since= and ?until= split events at a second boundary', async () => {
        // Batch 1, then wait past the next whole second, then batch 2.
        await srv.api('POST', '/users', { token: admin.token, body: { username: 'before.cut' } });
        const cut = Math.floor(Date.now() / 1000) * 1000 + 1000;
        while (Date.now() < cut + 100) await sleep(25);
        boundary = new Date(cut).toISOString().replace('.000Z', 'Z');
        await srv.api('POST', '/users', { token: admin.token, body: { username: 'after.cut' } });

        const all = await listAll(srv, admin.token, '/audit/events', { limit: 200 });
        const since = await listAll(srv, admin.token, '/audit/events', { since: boundary });
        const until = await listAll(srv, admin.token, '/audit/events', { until: boundary });
        for (const e of since) assert.ok(Date.parse(e.time) >= cut, `since: ${e.time} >= ${boundary}`);
        for (const e of until) assert.ok(Date.parse(e.time) <= cut, `until: ${e.time} <= ${boundary}`);
        const ids = (list) => list.map((e) => e.id);
        assert.deepEqual(ids(until), ids(all.filter((e) => Date.parse(e.time) < cut)), 'until = every event before the cut');
        const sinceIds = new Set(ids(since));
        const missing = all.filter((e) => Date.parse(e.time) >= cut && !sinceIds.has(e.id));
        assert.deepEqual(missing, [], 'since holds every event after the cut');
        assert.ok(since.some((e) => e.action === 'account.created'), 'after.cut is after the cut');
        const both = await listAll(srv, admin.token, '/audit/events', {
            since: new Date(cut - 3600e3).toISOString().replace(/\.\d+Z$/, 'Z'), until: boundary,
        });
        assert.deepEqual(both.map((e) => e.id), until.filter((e) => Date.parse(e.time) >= cut - 3600e3).map((e) => e.id));
        const afterCut = await listAll(srv, admin.token, '/audit/events', { since: boundary, action: 'account.created' });
        assert.equal(afterCut.length, 1, 'one account.created after the cut (after.cut)');
    });

    test('16. audit pagination: limit=3 pages equal the one-page list, with and without a filter', async () => {
        const all = (await srv.api('GET', '/audit/events?limit=200', { token: admin.token })).json;
        assert.equal(all.next_cursor, null, 'fewer than 200 events so far');
        const paged = await listAll(srv, admin.token, '/audit/events', { limit: 3 });
        assert.deepEqual(paged.map((e) => e.id), all.items.map((e) => e.id));
        const filteredAll = await listAll(srv, admin.token, '/audit/events', { action: 'auth.login', limit: 200 });
        const filteredPaged = await listAll(srv, admin.token, '/audit/events', { action: 'auth.login', limit: 2 });
        assert.deepEqual(filteredPaged.map((e) => e.id), filteredAll.map((e) => e.id));
        for (const e of filteredPaged) assert.equal(e.action, 'auth.login');
        const first = await srv.api('GET', '/audit/events?limit=3', { token: admin.token });
        assert.equal(first.json.items.length, 3);
        assert.equal(typeof first.json.next_cursor, 'string');
    });

    test('17. every response carried X-Request-Id, HSTS and a JSON body', () => {
        srv.checkResponses();
    });

    test('18. no password, temporary password or token appears in the server log', () => {
        srv.checkLogsClean();
    });
});
