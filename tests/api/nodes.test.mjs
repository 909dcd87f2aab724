// DR-4 (storage half): no node-local state. Two `salesvault serve` processes
// on one database (PostgreSQL in the PostgreSQL run, the same SQLite file
// otherwise): a session made on one works on the other, and a logout on the
// second is refused at once on the first.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, expectError, expectStatus, makeDataDir, runCli, serve,
} from './lib/server.mjs';
import { Device, step } from './lib/device.mjs';

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

    test('4b. DEV-4 across nodes: a login waits on B, its device approves on A; B answers with the session', async () => {
        const ta = (await a.login('duo', 'admin', PASSWORDS.admin)).json.token;
        const me = (await a.api('GET', '/me', { token: ta })).json;
        expectStatus(await a.api('PATCH', `/users/${me.id}`, { token: ta, body: { phone: '+8613800000001' } }), 204);
        // Trust a CLI device on A through an SMS code.
        const phone = new Device('cli', { name: 'phone' });
        let r = await phone.login(a, 'duo', 'admin', PASSWORDS.admin);
        expectStatus(r, 200);
        let ch = r.json.challenge;
        assert.ok(ch.next.includes('sms_code'), `next ${ch.next}`);
        expectStatus(await step(a, ch, 'sms/send'), 202);
        const lines = readFileSync(path.join(data.dir, 'outbox.jsonl'), 'utf8').trim().split('\n');
        const code = /\b(\d{6})\b/.exec(JSON.parse(lines[lines.length - 1]).text)[1];
        r = await step(a, ch, 'sms/verify', { body: { code } });
        expectStatus(r, 200);
        phone.token = r.json.token;
        // A second CLI device logs in on B and asks for an approval.
        const laptop = new Device('cli', { name: 'laptop' });
        r = await laptop.login(b, 'duo', 'admin', PASSWORDS.admin);
        ch = r.json.challenge;
        assert.ok(ch.next.includes('device_approval'), `next ${ch.next}`);
        const ap = await step(b, ch, 'approval');
        expectStatus(ap, 200);
        const waiting = step(b, ch, 'wait');
        await new Promise((res) => setTimeout(res, 300)); // B has parked it
        const list = await phone.request(a, 'GET', '/devices/self/approvals');
        expectStatus(list, 200);
        assert.equal(list.json.items.length, 1);
        const t0 = Date.now();
        expectStatus(await phone.request(a, 'POST', `/devices/self/approvals/${list.json.items[0].id}`,
            { body: { decision: 'approve', number: ap.json.number } }), 204);
        const done = await waiting;
        const ms = Date.now() - t0;
        expectStatus(done, 200, 'the wait on B');
        assert.ok(done.json.token, 'B answered with the session');
        // Woken by B's ticker (decisions of the last seconds), not by the
        // 25 s time-out, which would have answered {"status":"pending"}.
        assert.ok(ms < 20000, `B answered ${ms} ms after the approval on A`);
    });

    test('5. both stop cleanly; the audit chains written by both verify', async () => {
        assert.deepEqual(await a.stop(), { code: 0, signal: null });
        assert.deepEqual(await b.stop(), { code: 0, signal: null });
        const r = await runCli(['audit', 'verify', '--data', data.dir]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
    });
});
