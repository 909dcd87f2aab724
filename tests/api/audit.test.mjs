// Audit chain verification (AUD-4: "tamper with one byte in storage -> verify
// reports it"; contract `salesvault audit verify`). The server writes the
// events through the API; the test then edits the SQLite file behind its back
// with the sqlite3 CLI, each case on its own copy of the stopped data dir.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
    ENGINE, PASSWORDS, PG_PORT, editIni, expectError, expectStatus, readIni, runCli, startServer,
} from './lib/server.mjs';

/*
 * The attacker's view of storage: the SQLite file, or (PostgreSQL run) the
 * suite's database through the superuser, which row-level security and the
 * server role's missing UPDATE/DELETE rights do not stop.
 */
const confOf = (dir) => path.join(dir, 'salesvault.conf');

/** The data dir's database: a SQLite path, or a PostgreSQL database name. */
function dbOf(dir) {
    if (ENGINE === 'sqlite') return path.join(dir, 'salesvault.db');
    return readIni(readFileSync(confOf(dir), 'utf8'), 'database', 'url').split('/').pop();
}

/** Run SQL on a database; returns stdout rows split on '|'. */
function sql(db, script) {
    const r = ENGINE === 'sqlite'
        ? spawnSync('sqlite3', ['-batch', '-bail', '-separator', '|', db], { input: script, encoding: 'utf8' })
        : spawnSync('psql', ['-X', '-q', '-At', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1',
            '-p', PG_PORT, '-U', 'postgres', '-d', db], { input: script, encoding: 'utf8' });
    assert.equal(r.status, 0, `${ENGINE} SQL failed: ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean).map((l) => l.split('|'));
}

/** A zeroed 32-byte hash, in the engine's SQL. */
const ZERO_HASH = ENGINE === 'sqlite' ? 'zeroblob(length(hash))' : "decode(repeat('00', 32), 'hex')";

/**
 * Remove triggers that guard audit_events: they stop honest mistakes, not an
 * attacker who holds the storage, which is what AUD-4's verification is for.
 */
function dropGuards(db) {
    if (ENGINE !== 'sqlite') {
        sql(db, 'ALTER TABLE audit_events DISABLE TRIGGER USER;');
        return;
    }
    const names = sql(db, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events';");
    if (names.length) sql(db, names.map(([n]) => `DROP TRIGGER "${n.replaceAll('"', '""')}";`).join('\n'));
}

describe('audit: verify passes on an honest log and names the first bad event', () => {
    let srv;
    let ledger; // CLI tenant output
    let other;
    const copies = [];
    let chain; // [{id, seq}] of the ledger stream, by seq

    before(async () => {
        srv = await startServer({
            name: 'audit',
            tenants: [
                { slug: 'ledger', name: 'Ledger', admin: 'admin' },
                { slug: 'other', name: 'Other', admin: 'admin' },
            ],
        });
        ledger = srv.tenants.ledger;
        other = srv.tenants.other;
    });
    after(async () => {
        await srv?.cleanup();
        for (const c of copies) rmSync(c, { recursive: true, force: true });
    });

    /** A copy of the stopped data dir with `tamper(db)` applied. */
    function tamperedCopy(label, tamper) {
        const dir = `${srv.dir}-${label}`;
        execFileSync('cp', ['-a', srv.dir, dir]);
        copies.push(dir);
        if (ENGINE !== 'sqlite') {
            // A copy of the (stopped) server's database, and the copied data
            // dir pointed at it.
            const orig = dbOf(srv.dir);
            const copy = `${orig}_${label}`;
            sql('postgres', `CREATE DATABASE ${copy} TEMPLATE ${orig} OWNER sv_owner;`);
            const conf = readFileSync(confOf(dir), 'utf8');
            const swap = (k) => readIni(conf, 'database', k).replace(/\/[^/]+$/, `/${copy}`);
            writeFileSync(confOf(dir), editIni(conf, { database: { url: swap('url'), migrate_url: swap('migrate_url') } }));
        }
        const db = dbOf(dir);
        dropGuards(db);
        tamper(db);
        return dir;
    }

    async function verify(dir, extra = []) {
        const text = await runCli(['audit', 'verify', '--data', dir, ...extra]);
        const json = await runCli(['audit', 'verify', '--data', dir, '--json', ...extra]);
        let report;
        try { report = JSON.parse(json.stdout); } catch { report = undefined; }
        return { text, json, report, output: text.stdout + text.stderr };
    }

    const stream = (report, name) => report.streams.find((s) => s.stream === name);

    test('1. activity in both tenants: logins (one failed), users created and reset, logout', async () => {
        const a = await srv.activate('ledger', 'admin', ledger.admin.temporary_password, PASSWORDS.admin);
        const o = await srv.activate('other', 'admin', other.admin.temporary_password, PASSWORDS.admin2);
        expectError(await srv.login('ledger', 'admin', 'Wrong-Pass-42'), 401, 'invalid_credentials');
        for (const username of ['u.one', 'u.two', 'u.three']) {
            expectStatus(await srv.api('POST', '/users', { token: a.token, body: { username } }), 201, username);
        }
        const list = await srv.api('GET', '/users?limit=200', { token: a.token });
        const one = list.json.items.find((u) => u.username === 'u.one');
        expectStatus(await srv.api('POST', `/users/${one.id}/reset-password`, { token: a.token }), 200);
        expectStatus(await srv.api('POST', '/users', { token: o.token, body: { username: 'o.one' } }), 201);
        const extra = await srv.login('ledger', 'admin', PASSWORDS.admin);
        expectStatus(await srv.api('POST', '/auth/logout', { token: extra.json.token }), 204);
    });

    test('2. the API shows the events the chain will hold (AUD-1: actor, action, target, result, ip)', async () => {
        const a = await srv.login('ledger', 'admin', PASSWORDS.admin);
        const r = await srv.api('GET', '/audit/events?limit=200', { token: a.json.token });
        expectStatus(r, 200);
        const actions = new Set(r.json.items.map((e) => e.action));
        for (const want of ['tenant.created', 'auth.login', 'account.password_changed', 'account.created',
            'account.password_reset', 'auth.logout']) {
            assert.ok(actions.has(want), `an ${want} event`);
        }
        for (const e of r.json.items) {
            assert.ok(['success', 'failure', 'denied'].includes(e.result), `result of ${e.action}: ${e.result}`);
        }
        const failed = r.json.items.find((e) => e.action === 'auth.login' && e.result === 'failure');
        assert.equal(typeof failed.reason, 'string', 'a failed login has a reason');
        assert.equal(failed.ip, '127.0.0.1');
    });

    test('3. the server stops on SIGTERM with exit 0', async () => {
        assert.deepEqual(await srv.stop(), { code: 0, signal: null });
    });

    test('4. audit verify on the honest data -> exit 0; --json ok for ledger, other and platform', async () => {
        const v = await verify(srv.dir);
        assert.equal(v.text.code, 0, v.output);
        assert.equal(v.json.code, 0, v.json.stderr);
        assert.ok(v.report, `--json printed JSON: ${v.json.stdout}`);
        assert.equal(v.report.ok, true);
        const db = dbOf(srv.dir);
        for (const [name, id] of [['ledger', ledger.tenant.id], ['other', other.tenant.id], ['platform', 'platform']]) {
            const s = stream(v.report, name);
            assert.ok(s, `stream ${name} in the report`);
            assert.equal(s.ok, true, name);
            const [[count]] = sql(db, `SELECT count(*) FROM audit_events WHERE stream = '${id}';`);
            assert.equal(s.events, Number(count), `${name}: events counted = rows`);
            assert.ok(s.events > 0);
        }
        chain = sql(db, `SELECT id, seq FROM audit_events WHERE stream = '${ledger.tenant.id}' ORDER BY seq;`)
            .map(([id, seq]) => ({ id, seq: Number(seq) }));
        assert.ok(chain.length >= 8, `ledger stream has ${chain.length} events`);
        for (let i = 1; i < chain.length; i++) assert.equal(chain[i].seq, chain[i - 1].seq + 1, 'seq has no gaps');
    });

    test('5. one changed column (ip) in a middle event -> exit 1 naming it: changed', async () => {
        const victim = chain[Math.floor(chain.length / 2)];
        const dir = tamperedCopy('changed', (db) => {
            sql(db, `UPDATE audit_events SET ip = '203.0.113.66' WHERE id = '${victim.id}';`);
        });
        const v = await verify(dir);
        assert.equal(v.text.code, 1, v.output);
        assert.ok(v.output.includes(victim.id), `text names ${victim.id}: ${v.output}`);
        assert.match(v.output, /changed/);
        assert.match(v.output, /ledger/);
        assert.equal(v.json.code, 1);
        assert.equal(v.report.ok, false);
        const s = stream(v.report, 'ledger');
        assert.equal(s.ok, false);
        assert.deepEqual(s.first_bad, { id: victim.id, seq: victim.seq, problem: 'changed' });
        assert.equal(stream(v.report, 'other').ok, true, 'other tenant unaffected');
        assert.equal(stream(v.report, 'platform').ok, true, 'platform unaffected');
    });

    test('6. --tenant limits the check: other -> exit 0, ledger -> exit 1 (step 5 copy)', async () => {
        const dir = `${srv.dir}-changed`;
        const o = await verify(dir, ['--tenant', 'other']);
        assert.equal(o.text.code, 0, o.output);
        assert.equal(o.report.ok, true);
        assert.ok(!o.report.streams.some((s) => s.stream === 'ledger'), 'ledger not checked');
        const l = await verify(dir, ['--tenant', 'ledger']);
        assert.equal(l.text.code, 1, l.output);
        assert.equal(l.report.ok, false);
    });

    test('7. one changed character in the last event\'s action -> exit 1 naming the last event: changed', async () => {
        const last = chain[chain.length - 1];
        const dir = tamperedCopy('last', (db) => {
            sql(db, `UPDATE audit_events SET action = action || 'x' WHERE id = '${last.id}';`);
        });
        const v = await verify(dir);
        assert.equal(v.text.code, 1, v.output);
        assert.ok(v.output.includes(last.id), v.output);
        assert.deepEqual(stream(v.report, 'ledger').first_bad, { id: last.id, seq: last.seq, problem: 'changed' });
    });

    test('8. a stored hash replaced -> exit 1: changed', async () => {
        const victim = chain[2];
        const dir = tamperedCopy('hash', (db) => {
            sql(db, `UPDATE audit_events SET hash = ${ZERO_HASH} WHERE id = '${victim.id}';`);
        });
        const v = await verify(dir);
        assert.equal(v.text.code, 1, v.output);
        const bad = stream(v.report, 'ledger').first_bad;
        assert.equal(bad.problem, 'changed');
        assert.equal(bad.id, victim.id);
    });

    test('9. a middle event deleted -> exit 1: deleted, at the gap', async () => {
        const i = Math.floor(chain.length / 2);
        const victim = chain[i];
        const next = chain[i + 1];
        const dir = tamperedCopy('deleted', (db) => {
            sql(db, `DELETE FROM audit_events WHERE id = '${victim.id}';`);
        });
        const v = await verify(dir);
        assert.equal(v.text.code, 1, v.output);
        assert.match(v.output, /deleted/);
        const bad = stream(v.report, 'ledger').first_bad;
        assert.equal(bad.problem, 'deleted');
        // The verifier may name the missing event or the first one after the gap.
        assert.ok([victim.id, next.id].includes(bad.id), `first_bad.id ${bad.id}`);
        assert.ok([victim.seq, next.seq].includes(bad.seq), `first_bad.seq ${bad.seq}`);
    });

    test('10. two adjacent events\' seq swapped -> exit 1: reordered', async () => {
        const i = Math.floor(chain.length / 2);
        const [x, y] = [chain[i], chain[i + 1]];
        const dir = tamperedCopy('reordered', (db) => {
            sql(db, `BEGIN;
UPDATE audit_events SET seq = -1 WHERE id = '${x.id}';
UPDATE audit_events SET seq = ${x.seq} WHERE id = '${y.id}';
UPDATE audit_events SET seq = ${y.seq} WHERE id = '${x.id}';
COMMIT;`);
        });
        const v = await verify(dir);
        assert.equal(v.text.code, 1, v.output);
        assert.match(v.output, /reordered/);
        const bad = stream(v.report, 'ledger').first_bad;
        assert.equal(bad.problem, 'reordered');
        assert.ok([x.id, y.id].includes(bad.id), `first_bad.id ${bad.id}`);
        assert.ok([x.seq, y.seq].includes(bad.seq), `first_bad.seq ${bad.seq}`);
    });

    test('11. the platform stream changed -> exit 1 naming stream platform', async () => {
        const dir = tamperedCopy('platform', (db) => {
            sql(db, "UPDATE audit_events SET details = coalesce(details, '') || ' ' WHERE stream = 'platform' AND seq = (SELECT min(seq) FROM audit_events WHERE stream = 'platform');");
        });
        const v = await verify(dir);
        assert.equal(v.text.code, 1, v.output);
        assert.match(v.output, /platform/);
        const p = stream(v.report, 'platform');
        assert.equal(p.ok, false);
        assert.equal(p.first_bad.problem, 'changed');
        assert.equal(stream(v.report, 'ledger').ok, true);
    });

    test('12. the untouched original still verifies (the copies were independent)', async () => {
        const v = await verify(srv.dir);
        assert.equal(v.text.code, 0, v.output);
    });
});
