// Tenant isolation (DIR-1; STYLE 4 "an id from another tenant is not_found").
// Two tenants with the same usernames; each admin tries every id-taking route
// with the other tenant's ids and must get exactly what an unknown id gets.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, expectError, expectStatus, listAll, startServer,
} from './lib/server.mjs';

describe('tenancy: tenant B never reaches tenant A', () => {
    let srv;
    const A = {};
    const B = {};

    before(async () => {
        srv = await startServer({
            name: 'tenancy',
            tenants: [
                { slug: 'alpha', name: 'Alpha', admin: 'admin' },
                { slug: 'bravo', name: 'Bravo', admin: 'admin' },
            ],
        });
        for (const [slug, side, pw] of [['alpha', A, PASSWORDS.admin], ['bravo', B, PASSWORDS.admin2]]) {
            const t = srv.tenants[slug];
            side.slug = slug;
            side.tenant = t.tenant;
            side.adminId = t.admin.id;
            side.token = (await srv.activate(slug, 'admin', t.admin.temporary_password, pw)).token;
        }
    });
    after(async () => { await srv?.cleanup(); });

    test('1. both tenants create "alice" (usernames are per tenant) -> 201 each, different ids', async () => {
        for (const side of [A, B]) {
            const r = await srv.api('POST', '/users', { token: side.token, body: { username: 'alice', role: 'admin' } });
            expectStatus(r, 201, side.slug);
            side.alice = r.json;
        }
        assert.notEqual(A.alice.id, B.alice.id);
        assert.notEqual(A.adminId, B.adminId);
    });

    test('2. B POST /users/{A ids}/reset-password -> 404 not_found, same as an unknown id', async () => {
        const unknown = await srv.api('POST', `/users/${randomUUID()}/reset-password`, { token: B.token });
        expectError(unknown, 404, 'not_found', null, 'unknown id');
        for (const [label, id] of [['A alice', A.alice.id], ['A admin', A.adminId]]) {
            for (const body of [undefined, {}]) {
                const r = await srv.api('POST', `/users/${id}/reset-password`, { token: B.token, body });
                expectError(r, 404, 'not_found', null, `${label}, body ${JSON.stringify(body)}`);
                assert.deepEqual(r.json, unknown.json, `${label}: the same body as an unknown id`);
            }
        }
    });

    test('3. A\'s accounts were not reset: A alice still logs in with her first temporary password, A admin\'s session lives', async () => {
        const l = await srv.login('alpha', 'alice', A.alice.temporary_password);
        expectStatus(l, 200);
        assert.equal(l.json.must_change_password, true);
        A.aliceToken = l.json.token;
        expectStatus(await srv.api('GET', '/me', { token: A.token }), 200);
    });

    test('4. and the other way round: A cannot reset B\'s accounts', async () => {
        for (const id of [B.alice.id, B.adminId]) {
            expectError(await srv.api('POST', `/users/${id}/reset-password`, { token: A.token }), 404, 'not_found');
        }
        const l = await srv.login('bravo', 'alice', B.alice.temporary_password);
        expectStatus(l, 200, 'B alice untouched');
    });

    test('5. credentials do not cross tenants: A alice\'s password at bravo -> 401 invalid_credentials', async () => {
        expectError(await srv.login('bravo', 'alice', A.alice.temporary_password), 401, 'invalid_credentials');
        expectError(await srv.login('bravo', 'admin', PASSWORDS.admin), 401, 'invalid_credentials', null,
            'A admin password on B admin');
    });

    test('6. GET /me with each token shows its own tenant', async () => {
        const a = await srv.api('GET', '/me', { token: A.token });
        const b = await srv.api('GET', '/me', { token: B.token });
        assert.equal(a.json.tenant.id, A.tenant.id);
        assert.equal(b.json.tenant.id, B.tenant.id);
        assert.equal(b.json.id, B.adminId);
    });

    test('7. B\'s user listing holds none of A\'s accounts', async () => {
        const items = await listAll(srv, B.token, '/users', { limit: 1 });
        const ids = items.map((u) => u.id).sort();
        assert.deepEqual(ids, [B.adminId, B.alice.id].sort());
        const aItems = await listAll(srv, A.token, '/users');
        assert.deepEqual(aItems.map((u) => u.id).sort(), [A.adminId, A.alice.id].sort());
    });

    test('8. B\'s audit events hold none of A\'s events, accounts or tenant', async () => {
        const aEvents = await listAll(srv, A.token, '/audit/events', { limit: 200 });
        const bEvents = await listAll(srv, B.token, '/audit/events', { limit: 200 });
        assert.ok(aEvents.length > 0 && bEvents.length > 0);
        const aIds = new Set(aEvents.map((e) => e.id));
        const aAccounts = new Set([A.adminId, A.alice.id]);
        for (const e of bEvents) {
            assert.ok(!aIds.has(e.id), `B sees A's event ${e.id}`);
            assert.ok(!aAccounts.has(e.actor_id), `B sees an event by A's account: ${e.action}`);
            assert.ok(!aAccounts.has(e.target_id) && e.target_id !== A.tenant.id, `B sees an event about A: ${e.action}`);
        }
        // A's events include the alpha-only login of step 3 and reset attempts none of.
        assert.ok(aEvents.some((e) => e.action === 'auth.login' && e.actor_id === A.alice.id));
        assert.ok(!aEvents.some((e) => e.action === 'account.password_reset'), 'B\'s attempts reset nothing in A');
    });

    test('9. B filtering the audit log by A\'s account ids gets nothing', async () => {
        for (const id of [A.adminId, A.alice.id]) {
            const r = await srv.api('GET', `/audit/events?actor=${id}`, { token: B.token });
            // Either answer leaks nothing; what must never come back is A's events.
            if (r.status === 404) {
                expectError(r, 404, 'not_found');
            } else {
                expectStatus(r, 200);
                assert.deepEqual(r.json, { items: [], next_cursor: null });
            }
        }
    });

    test('10. B\'s cursor is no key to A\'s data: A\'s cursor used by B returns only B\'s rows or is refused', async () => {
        const a = await srv.api('GET', '/users?limit=1', { token: A.token });
        expectStatus(a, 200);
        assert.equal(typeof a.json.next_cursor, 'string');
        const r = await srv.api('GET', `/users?limit=1&cursor=${encodeURIComponent(a.json.next_cursor)}`, { token: B.token });
        if (r.status === 400) {
            expectError(r, 400, 'field_invalid', 'cursor');
        } else {
            expectStatus(r, 200);
            const aIds = new Set([A.adminId, A.alice.id]);
            for (const u of r.json.items) assert.ok(!aIds.has(u.id), 'B got an A account through a cursor');
        }
    });

    test('10b. departments (DIR-2): B with A\'s department ids gets what an unknown id gets, on every route', async () => {
        const D = '/directory/departments';
        let r = await srv.api('POST', D, { token: A.token, body: { name: 'Sales' } });
        expectStatus(r, 201);
        const aRoot = r.json.id;
        r = await srv.api('POST', D, { token: A.token, body: { name: 'North', parent_id: aRoot } });
        expectStatus(r, 201);
        const aChild = r.json.id;
        expectStatus(await srv.api('POST', D, { token: A.token, body: { name: 'South', parent_id: aRoot } }), 201);
        r = await srv.api('POST', D, { token: B.token, body: { name: 'Sales' } }); // the same name: per tenant
        expectStatus(r, 201);
        const bRoot = r.json.id;
        const unknown = randomUUID();
        const tries = (id) => [
            ['GET', `${D}/${id}`], ['PATCH', `${D}/${id}`, { name: 'X' }], ['PATCH', `${D}/${id}`, { parent_id: null }],
            ['DELETE', `${D}/${id}`], ['GET', `${D}?parent=${id}`], ['GET', `${D}?parent=${id}&q=o`],
            ['POST', D, { name: 'X', parent_id: id }], ['PATCH', `${D}/${bRoot}`, { parent_id: id }],
        ];
        const want = [];
        for (const [m, p, body] of tries(unknown)) want.push((await srv.api(m, p, { token: B.token, body })).json);
        for (const id of [aRoot, aChild]) {
            const got = tries(id);
            for (let i = 0; i < got.length; i++) {
                const [m, p, body] = got[i];
                r = await srv.api(m, p, { token: B.token, body });
                assert.equal(r.status, 404, `${m} ${p}: ${r.text}`);
                assert.deepEqual(r.json, want[i], `${m} ${p}: the same answer as an unknown id`);
            }
        }
        const bAll = await listAll(srv, B.token, D, { q: 'o' });
        assert.deepEqual(bAll.map((x) => x.id), []);
        // A's cursor used by B: B's rows only, never A's
        r = await srv.api('GET', `${D}?parent=${aRoot}&limit=1`, { token: A.token });
        assert.equal(typeof r.json.next_cursor, 'string');
        r = await srv.api('GET', `${D}?limit=1&cursor=${encodeURIComponent(r.json.next_cursor)}`, { token: B.token });
        expectStatus(r, 200);
        assert.ok(r.json.items.every((x) => x.id === bRoot), 'B got an A department through a cursor');
        r = await srv.api('GET', `${D}/${aChild}`, { token: A.token });
        expectStatus(r, 200, 'A\'s department untouched');
        assert.equal(r.json.name, 'North');
        assert.equal(r.json.parent_id, aRoot);
    });

    test('11. every response carried X-Request-Id, HSTS and a JSON body', () => {
        srv.checkResponses();
    });
});
