// DR-4 (storage half): no node-local state. Two `salesvault serve` processes
// on one database (PostgreSQL in the PostgreSQL run, the same SQLite file
// otherwise): a session made on one works on the other, and a logout on the
// second is refused at once on the first.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, expectError, expectStatus, makeDataDir, runCli, serve,
} from './lib/server.mjs';

describe('nodes: two servers, one database', () => {
    let data;
    let a;
    let b;

    before(async () => {
        data = await makeDataDir({ name: 'nodes', tenants: [{ slug: 'duo', name: 'Duo', admin: 'admin' }] });
        a = await serve(data.dir, { name: 'nodes-a' });
        b = await serve(data.dir, { name: 'nodes-b' });
    });
    after(async () => {
        await a?.stop();
        await b?.stop();
        if (!process.env.SV_TEST_KEEP) rmSync(data.dir, { recursive: true, force: true });
    });

    test('1. the two are separate processes on separate ports', () => {
        assert.notEqual(a.pid, b.pid);
        assert.notEqual(a.port, b.port);
    });

    test('2. forced change on A, then the new password logs in on B', async () => {
        await a.activate('duo', 'admin', data.tenants.duo.admin.temporary_password, PASSWORDS.admin);
        expectStatus(await b.login('duo', 'admin', PASSWORDS.admin), 200);
    });

    test('3. a token from A works on B; logout on B; A refuses it at once', async () => {
        const l = await a.login('duo', 'admin', PASSWORDS.admin);
        expectStatus(l, 200);
        const token = l.json.token;
        expectStatus(await a.api('GET', '/me', { token }), 200, 'A');
        expectStatus(await b.api('GET', '/me', { token }), 200, 'B');
        expectStatus(await b.api('POST', '/auth/logout', { token }), 204, 'logout on B');
        expectError(await a.api('GET', '/me', { token }), 401, 'unauthenticated', null, 'A after logout on B');
        expectError(await b.api('GET', '/me', { token }), 401, 'unauthenticated', null, 'B after logout on B');
    });

    test('4. an account made on B is listed and reset on A; audit verify passes', async () => {
        const tb = (await b.login('duo', 'admin', PASSWORDS.admin)).json.token;
        const made = await b.api('POST', '/users', { token: tb, body: { username: 'zed' } });
        expectStatus(made, 201);
        const ta = (await a.login('duo', 'admin', PASSWORDS.admin)).json.token;
        const list = await a.api('GET', '/users', { token: ta });
        assert.ok(list.json.items.some((u) => u.id === made.json.id), 'A lists the account made on B');
        expectStatus(await a.api('POST', `/users/${made.json.id}/reset-password`, { token: ta }), 200);
    });

    test('5. both stop cleanly; the audit chains written by both verify', async () => {
        assert.deepEqual(await a.stop(), { code: 0, signal: null });
        assert.deepEqual(await b.stop(), { code: 0, signal: null });
        const r = await runCli(['audit', 'verify', '--data', data.dir]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
    });
});
