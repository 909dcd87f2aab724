// DATA-7, tenant deletion by crypto-shredding (issue 13, part 3): a
// tenant's keys are wrapped by its master key, which lives in the key
// store (never in the database or a backup); `tenant delete` is two-step,
// destroys the master key first, then every row. A backup and (on SQLite)
// a raw copy of the database file made before the deletion then open none
// of the deleted tenant's values, while the other tenant restores and
// reads fine. Audited on the platform stream.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
    ENGINE, PASSWORDS, expectError, expectStatus, makeDataDir, runCli, runCliJson, serve,
} from './lib/server.mjs';

describe('shred: tenant deletion destroys its keys first, then its rows (DATA-7)', () => {
    let data;
    let srv;
    const tok = {};
    const rec = {}; // slug -> {id, email}
    const backupFile = () => path.join(data.dir, 'before.svbk');

    async function seed(slug, admin, password) {
        const t = data.tenants[slug];
        tok[slug] = (await srv.activate(slug, admin, t.admin.temporary_password, password)).token;
        const d = await srv.api('POST', '/directory/departments', { token: tok[slug], body: { name: 'Company' } });
        expectStatus(d, 201);
        expectStatus(await srv.api('POST', '/directory/employees', {
            token: tok[slug], body: { account_id: t.admin.id, display_name: admin, department_id: d.json.id },
        }), 201);
        const email = `${slug}.secret@shred.example`;
        const r = await srv.api('POST', '/records/customer', {
            token: tok[slug], body: { fields: { name: `${slug} customer`, email, phone: '13800138000' } },
        });
        expectStatus(r, 201);
        rec[slug] = { id: r.json.id, email };
        srv.secrets.add(email);
    }

    before(async () => {
        data = await makeDataDir({
            name: 'shred',
            tenants: [{ slug: 'gone', name: 'Gone', admin: 'gina' }, { slug: 'stay', name: 'Stay', admin: 'sam' }],
        });
        srv = await serve(data.dir, { name: 'shred' });
        await seed('gone', 'gina', PASSWORDS.admin);
        await seed('stay', 'sam', PASSWORDS.admin2);
    });
    after(async () => {
        await srv?.stop();
        if (!process.env.SV_TEST_KEEP && data) rmSync(data.dir, { recursive: true, force: true });
    });

    test('1. each tenant has a master key in the key store, none in the database or a backup', async () => {
        const keys = readdirSync(path.join(data.dir, 'keys')).sort();
        assert.deepEqual(keys, [`${data.tenants.gone.tenant.id}.tmk`, `${data.tenants.stay.tenant.id}.tmk`].sort());
        const b = await runCliJson(['backup', '--data', data.dir, '--out', backupFile()]);
        assert.ok(b.rows > 0);
        // The key store's bytes appear nowhere in the database file.
        if (ENGINE === 'sqlite') {
            spawnSync('sqlite3', [path.join(data.dir, 'salesvault.db'), 'PRAGMA wal_checkpoint(TRUNCATE)']);
            const db = readFileSync(path.join(data.dir, 'salesvault.db'));
            for (const k of keys) {
                const tmk = readFileSync(path.join(data.dir, 'keys', k));
                assert.equal(db.indexOf(tmk.subarray(5, 29)), -1, `${k} is not in the database file`);
            }
            // The raw copy an attacker (or an old snapshot) would keep.
            const r = spawnSync('sqlite3', [path.join(data.dir, 'salesvault.db'), `.backup '${path.join(data.dir, 'raw-copy.db')}'`]);
            assert.equal(r.status, 0, String(r.stderr));
        }
    });

    test('2. step one names what goes and gives a token; a wrong, foreign or forged token deletes nothing', async () => {
        const ask = await runCliJson(['tenant', 'delete', 'gone', '--data', data.dir]);
        assert.equal(ask.tenant, 'gone');
        assert.equal(ask.records, 1);
        assert.ok(ask.accounts >= 1 && ask.events > 0);
        assert.match(ask.confirm, /^\d+\.[0-9a-f]{64}$/);
        const other = await runCliJson(['tenant', 'delete', 'stay', '--data', data.dir]);
        for (const [label, token] of [
            ['another tenant\'s token', other.confirm],
            ['a forged one', `${ask.confirm.split('.')[0]}.${'0'.repeat(64)}`],
            ['a moved expiry', `${Number(ask.confirm.split('.')[0]) + 3600000}.${ask.confirm.split('.')[1]}`],
            ['garbage', 'nope'],
        ]) {
            const r = await runCli(['tenant', 'delete', 'gone', '--data', data.dir, '--confirm', token]);
            assert.equal(r.code, 1, `${label}: ${r.stdout}`);
            assert.match(r.stderr, /not a token of this tenant's deletion/, label);
        }
        assert.ok(existsSync(path.join(data.dir, 'keys', `${data.tenants.gone.tenant.id}.tmk`)), 'nothing destroyed');
        expectStatus(await srv.api('GET', '/me', { token: tok.gone }), 200, 'the tenant still works');
        const del = await runCliJson(['tenant', 'delete', 'gone', '--data', data.dir, '--confirm', ask.confirm]);
        assert.equal(del.keys_destroyed, true);
        assert.ok(del.rows > 5, `rows ${del.rows}`);
    });

    test('3. after: the key file is gone, the running server refuses the tenant, the other one works', async () => {
        assert.equal(existsSync(path.join(data.dir, 'keys', `${data.tenants.gone.tenant.id}.tmk`)), false);
        expectError(await srv.api('GET', '/me', { token: tok.gone }), 401, 'unauthenticated');
        expectStatus(await srv.login('gone', 'gina', PASSWORDS.admin), 401, 'no such tenant any more');
        const r = await srv.api('GET', `/records/customer/${rec.stay.id}?unmask=email`, { token: tok.stay });
        expectStatus(r, 200);
        assert.equal(r.json.fields.email, rec.stay.email);
        const list = await runCliJson(['tenant', 'list', '--data', data.dir]);
        assert.deepEqual(list.items.map((t) => t.slug), ['stay']);
        // Audited on the platform stream, which verifies; nothing left of
        // the tenant's own stream.
        const v = await runCliJson(['audit', 'verify', '--data', data.dir]);
        assert.equal(v.ok, true);
        assert.deepEqual(v.streams.map((s) => s.stream).sort(), ['platform', 'stay']);
        const keys = await runCliJson(['keys', 'status', '--data', data.dir]);
        assert.deepEqual(keys.tenants.map((t) => t.tenant), ['stay']);
    });

    test('4. the backup from before: the deleted tenant\'s segment opens for no one; the other restores whole', async () => {
        // Each tenant is a segment under a key from its master key: the
        // deleted one's is skipped, unread, by verify and restore.
        const v = await runCliJson(['backup', 'verify', backupFile(), '--data', data.dir]);
        assert.equal(v.tenants_skipped, 1);
        const target = await makeDataDir({ name: 'shred-restore', rootKeyFrom: path.join(data.dir, 'root.key') });
        try {
            // Refused unless told: a key store copied wrong looks the same.
            const no = await runCli(['restore', '--in', backupFile(), '--data', target.dir]);
            assert.equal(no.code, 1);
            assert.match(no.stderr, /--skip-deleted/);
            const r = await runCli(['restore', '--in', backupFile(), '--data', target.dir, '--skip-deleted', '--json']);
            assert.equal(r.code, 0, r.stderr);
            assert.equal(JSON.parse(r.stdout).tenants_skipped, 1);
            const list = await runCliJson(['tenant', 'list', '--data', target.dir]);
            assert.deepEqual(list.items.map((t) => t.slug), ['stay']);
            const copy = await serve(target.dir, { name: 'shred-copy' });
            try {
                const t = (await copy.login('stay', 'sam', PASSWORDS.admin2)).json.token;
                const g = await copy.api('GET', `/records/customer/${rec.stay.id}?unmask=email`, { token: t });
                expectStatus(g, 200);
                assert.equal(g.json.fields.email, rec.stay.email);
                expectStatus(await copy.login('gone', 'gina', PASSWORDS.admin), 401);
            } finally {
                await copy.stop();
            }
        } finally {
            if (!process.env.SV_TEST_KEEP) rmSync(target.dir, { recursive: true, force: true });
        }
    });

    test('5. a raw copy of the database file from before (SQLite): the deleted tenant\'s values open nowhere', {
        skip: ENGINE !== 'sqlite' && 'the raw file copy is the embedded engine\'s',
    }, async () => {
        // The copy, served with the same root key and today's key store.
        const target = await makeDataDir({ name: 'shred-raw', rootKeyFrom: path.join(data.dir, 'root.key') });
        try {
            for (const f of readdirSync(target.dir).filter((x) => x.startsWith('salesvault.db'))) {
                rmSync(path.join(target.dir, f));
            }
            copyFileSync(path.join(data.dir, 'raw-copy.db'), path.join(target.dir, 'salesvault.db'));
            const copy = await serve(target.dir, { name: 'shred-raw' });
            try {
                // The password hash is not sealed: the account signs in on
                // the copy, but nothing sealed opens.
                const l = await copy.login('gone', 'gina', PASSWORDS.admin);
                if (l.status === 200) {
                    const g = await copy.api('GET', `/records/customer/${rec.gone.id}?unmask=email`, { token: l.json.token });
                    assert.notEqual(g.status, 200, 'the record does not open');
                    assert.ok(!g.text.includes(rec.gone.email));
                }
                const t = (await copy.login('stay', 'sam', PASSWORDS.admin2)).json.token;
                const s = await copy.api('GET', `/records/customer/${rec.stay.id}?unmask=email`, { token: t });
                expectStatus(s, 200);
                assert.equal(s.json.fields.email, rec.stay.email);
            } finally {
                await copy.stop();
            }
            // Re-sealing the copy's deleted tenant is impossible too.
            const rot = await runCli(['keys', 'rotate', '--data', target.dir, '--tenant', 'gone']);
            assert.equal(rot.code, 1, rot.stdout);
        } finally {
            if (!process.env.SV_TEST_KEEP) rmSync(target.dir, { recursive: true, force: true });
        }
    });
});
