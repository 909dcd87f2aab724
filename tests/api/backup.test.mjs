// DR-3 restore drill: load data, back up while writes go on, restore
// elsewhere (into the other engine in the PostgreSQL run, so SQLite <->
// PostgreSQL is covered both ways), and compare everything the restored
// server answers with the source; the audit chains verify; a tampered or
// truncated file is refused by the CLI with a clear error and exit 1.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
    ENGINE, PASSWORDS, expectStatus, listAll, makeDataDir, runCli, serve, startServer,
} from './lib/server.mjs';

// Restores go to the other engine when there is one (the PostgreSQL run).
const OTHER = 'sqlite';

describe('backup: restore drill', () => {
    let src;
    let token;
    const dirs = [];
    const servers = [];

    before(async () => {
        src = await startServer({ name: 'bk-src', tenants: [
            { slug: 'drill', name: 'Drill Ltd', admin: 'admin', email: 'admin@drill.example' },
            { slug: 'other', name: 'Other', admin: 'root' },
        ] });
        token = (await src.activate('drill', 'admin', src.tenants.drill.admin.temporary_password, PASSWORDS.admin)).token;
    });
    after(async () => {
        for (const s of servers) await s.stop();
        await src?.cleanup();
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
        for (const f of ['during', 'after', 'back', 'tampered', 'truncated']) rmSync(file(f), { force: true });
    });

    const file = (name) => `${src.dir}-${name}.svb`;

    async function restoreInto(backupFile, engine, name) {
        const data = await makeDataDir({ name, engine, rootKeyFrom: path.join(src.dir, 'root.key') });
        dirs.push(data.dir);
        const r = await runCli(['restore', '--in', backupFile, '--data', data.dir, '--json']);
        assert.equal(r.code, 0, `restore into ${engine}: ${r.stderr}`);
        const v = await runCli(['audit', 'verify', '--data', data.dir]);
        assert.equal(v.code, 0, `audit verify after restore: ${v.stdout}${v.stderr}`);
        return data.dir;
    }

    async function snapshot(srv, tok) {
        const users = await listAll(srv, tok, '/users', { limit: 200 });
        const events = await listAll(srv, tok, '/audit/events', { limit: 200 });
        // The session's device is the login's own (each API login names a new one).
        const { device: _device, ...me } = (await srv.api('GET', '/me', { token: tok })).json;
        return { users, events, me };
    }

    test('1. a backup taken while 60 accounts are being created -> exit 0; verify passes', async () => {
        const load = (async () => {
            for (let i = 0; i < 60; i++) {
                const r = await src.api('POST', '/users', { token, body: { username: `load${i}`, email: `l${i}@drill.example` } });
                expectStatus(r, 201, `load${i}`);
            }
        })();
        await new Promise((r) => setTimeout(r, 150));
        const b = await runCli(['backup', '--out', file('during'), '--data', src.dir, '--json']);
        await load;
        assert.equal(b.code, 0, b.stderr);
        const info = JSON.parse(b.stdout);
        assert.ok(info.rows > 10, `rows ${info.rows}`);
        assert.equal(info.engine, ENGINE);
        const v = await runCli(['backup', 'verify', file('during'), '--data', src.dir]);
        assert.equal(v.code, 0, v.stderr);
        assert.match(v.stdout, /intact/);
    });

    test('2. the mid-load backup restores to one consistent moment: every account has its account.created event and back', async () => {
        const dir = await restoreInto(file('during'), OTHER, 'bk-during');
        const srv = await serve(dir, { name: 'bk-during' });
        servers.push(srv);
        // The source's session lives in the copy too (sessions are data).
        const users = await listAll(srv, token, '/users', { limit: 200 });
        const created = await listAll(srv, token, '/audit/events', { action: 'account.created' });
        const loadUsers = users.filter((u) => u.username.startsWith('load')).map((u) => u.id).sort();
        const loadEvents = created.filter((e) => e.details && String(e.details.username).startsWith('load'))
            .map((e) => e.target_id).sort();
        assert.deepEqual(loadUsers, loadEvents, 'accounts and their audit events from the same snapshot');
        assert.ok(loadUsers.length < 60 || loadUsers.length === 60, 'a prefix of the load');
        for (const u of users.filter((x) => x.username.startsWith('load'))) {
            assert.equal(u.email, `l${u.username.slice(4)}@drill.example`, 'e-mails decrypt with the restored keys');
        }
    });

    test(`3. after the load: backup, restore into ${OTHER}, every answer equals the source's`, async () => {
        const b = await runCli(['backup', '--out', file('after'), '--data', src.dir]);
        assert.equal(b.code, 0, b.stderr);
        const dir = await restoreInto(file('after'), OTHER, 'bk-after');
        const copy = await serve(dir, { name: 'bk-after' });
        servers.push(copy);
        const a = await snapshot(src, token);
        const c = await snapshot(copy, token);
        assert.equal(a.users.length, 61);
        assert.deepEqual(c.users, a.users, 'users');
        assert.deepEqual(c.events, a.events, 'audit events');
        assert.deepEqual(c.me, a.me, '/me');
        expectStatus(await copy.login('drill', 'admin', PASSWORDS.admin), 200, 'password hashes restored');
        const c2 = await snapshot(copy, token); // now with that login's event
        // And back again: the copy's backup restored into the source's engine.
        const b2 = await runCli(['backup', '--out', file('back'), '--data', dir]);
        assert.equal(b2.code, 0, b2.stderr);
        const dir2 = await restoreInto(file('back'), ENGINE, 'bk-back');
        const back = await serve(dir2, { name: 'bk-back' });
        servers.push(back);
        const d = await snapshot(back, token);
        assert.deepEqual(d.users, c2.users, 'users after the round trip');
        assert.deepEqual(d.events, c2.events, 'events after the round trip');
    });

    test('4. a tampered or truncated file: clear error, exit 1, nothing restored', async () => {
        const bytes = readFileSync(file('after'));
        const tampered = Buffer.from(bytes);
        tampered[Math.floor(bytes.length / 2)] ^= 1;
        writeFileSync(file('tampered'), tampered);
        writeFileSync(file('truncated'), bytes);
        truncateSync(file('truncated'), bytes.length - 10);
        for (const [name, want] of [['tampered', /authentication/], ['truncated', /truncated/]]) {
            const v = await runCli(['backup', 'verify', file(name), '--data', src.dir]);
            assert.equal(v.code, 1, `${name}: ${v.stdout}`);
            assert.match(v.stderr, want);
            const data = await makeDataDir({ name: `bk-${name}`, engine: OTHER, rootKeyFrom: path.join(src.dir, 'root.key') });
            dirs.push(data.dir);
            const r = await runCli(['restore', '--in', file(name), '--data', data.dir]);
            assert.equal(r.code, 1, `${name} restore: ${r.stdout}`);
            assert.match(r.stderr, want);
            const t = await runCli(['tenant', 'list', '--data', data.dir, '--json']);
            assert.deepEqual(JSON.parse(t.stdout).items, [], `${name}: nothing restored`);
        }
        // An existing file is never overwritten.
        const again = await runCli(['backup', '--out', file('after'), '--data', src.dir]);
        assert.equal(again.code, 1);
        assert.match(again.stderr, /exists/);
    });
});
