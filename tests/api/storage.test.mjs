// What lands on disk (AUTH-2: "DB dump contains no password; parameter change
// triggers rehash"; DATA-2 / DIR-4: account e-mail, an employee's phone and ID
// number sealed at rest, and none of them in the server's log; sessions
// stored only as SHA-256 of the token).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
    ENGINE, PASSWORDS, PG_PORT, editIni, expectStatus, makeDataDir, readIni, serve,
} from './lib/server.mjs';
import { rmSync } from 'node:fs';

/*
 * The database as someone who copies it sees it: the SQLite file (and its
 * WAL), or on PostgreSQL the superuser's view (pg_dump, psql), which row-
 * level security does not filter.
 */
const pgDb = (dir) => readIni(readFileSync(path.join(dir, 'salesvault.conf'), 'utf8'), 'database', 'url')
    .split('/').pop();

function run(cmd, args, input) {
    const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, `${cmd} failed: ${r.stderr}`);
    return r.stdout;
}

/** One value (or rows) from a query; hex() is spelled per engine. */
function query(dir, sql) {
    if (ENGINE === 'sqlite') return run('sqlite3', ['-batch', '-bail', path.join(dir, 'salesvault.db')], sql);
    const pgSql = sql.replace(/hex\((\w+)\)/g, "upper(encode($1, 'hex'))");
    return run('psql', ['-X', '-q', '-At', '-h', '127.0.0.1', '-p', PG_PORT, '-U', 'postgres', '-d', pgDb(dir)], pgSql);
}

/** A logical dump of the whole database. */
function dumpOf(dir) {
    if (ENGINE === 'sqlite') return run('sqlite3', ['-batch', '-bail', path.join(dir, 'salesvault.db')], '.dump');
    return run('pg_dump', ['-h', '127.0.0.1', '-p', PG_PORT, '-U', 'postgres', pgDb(dir)]);
}

/** Every byte of the data directory's SQLite files ('' on PostgreSQL: the dump covers it). */
function rawStore(dir) {
    if (ENGINE !== 'sqlite') return '';
    return readdirSync(dir)
        .filter((f) => f.startsWith('salesvault.db'))
        .map((f) => readFileSync(path.join(dir, f)).toString('latin1'))
        .join('\n');
}

describe('storage: no password, token or e-mail in clear; hashes upgraded', () => {
    let data;
    let srv;
    const email = 'carol.secret@storage.example';
    const userEmail = 'dave.hidden@storage.example';
    // An employee's personal data, as typed and as stored (E.164, upper case).
    const phoneTyped = '139 0013 9000';
    const phone = '+8613900139000';
    const idNumber = '11010519491231002X';
    let token;
    let memberTemp;

    before(async () => {
        data = await makeDataDir({
            name: 'storage',
            tenants: [{ slug: 'vault', name: 'Vault', admin: 'carol', email }],
        });
        srv = await serve(data.dir, { name: 'storage' });
    });
    after(async () => {
        await srv?.stop();
        if (!process.env.SV_TEST_KEEP) rmSync(data.dir, { recursive: true, force: true });
    });

    test('1. activity: activate the admin, create a member with an e-mail, log in again', async () => {
        const a = await srv.activate('vault', 'carol', data.tenants.vault.admin.temporary_password, PASSWORDS.admin);
        const u = await srv.api('POST', '/users', { token: a.token, body: { username: 'dave', email: userEmail } });
        expectStatus(u, 201);
        assert.equal(u.json.email, userEmail, 'the API returns the e-mail decrypted');
        memberTemp = u.json.temporary_password;
        const l = await srv.login('vault', 'carol', PASSWORDS.admin);
        expectStatus(l, 200);
        token = l.json.token;
        const me = await srv.api('GET', '/me', { token });
        expectStatus(me, 200);
        assert.equal(me.json.email, email);
        // DIR-4: an employee with a phone and an ID number, found by both.
        const dept = await srv.api('POST', '/directory/departments', { token, body: { name: 'Vault team' } });
        expectStatus(dept, 201);
        const e = await srv.api('POST', '/directory/employees', {
            token,
            body: { username: 'erin', display_name: 'Erin', department_id: dept.json.id, phone: phoneTyped, id_number: idNumber.toLowerCase() },
        });
        expectStatus(e, 201);
        assert.equal(e.json.id_number, idNumber, 'the API returns it opened');
        const rv = await srv.api('POST', `/directory/employees/${e.json.id}/phone/reveal`, { token });
        assert.equal(rv.json.phone, phone, 'the reveal returns it opened');
        for (const [k, v] of [['phone', phoneTyped], ['id_number', idNumber]]) {
            const f = await srv.api('GET', `/directory/employees?${k}=${encodeURIComponent(v)}`, { token });
            expectStatus(f, 200);
            assert.deepEqual(f.json.items.map((x) => x.id), [e.json.id], `found by ${k}`);
        }
        for (const s of [phone, phone.slice(1), '13900139000', idNumber, email, userEmail]) srv.secrets.add(s);
        srv.checkLogsClean();
    });

    test('2. stopped server: neither the SQL dump nor the raw files hold a password, token or e-mail', async () => {
        const r = await srv.stop();
        assert.deepEqual(r, { code: 0, signal: null });
        const dump = dumpOf(data.dir);
        const raw = rawStore(data.dir);
        assert.match(dump, /CREATE TABLE (public\.)?accounts/, 'the dump is real');
        const secrets = {
            'admin temporary password': data.tenants.vault.admin.temporary_password,
            'admin password': PASSWORDS.admin,
            'member temporary password': memberTemp,
            'session token': token,
            'admin e-mail': email,
            'member e-mail': userEmail,
            'e-mail local part': 'carol.secret',
            'employee phone (E.164)': phone.slice(1),
            'employee phone (national)': '13900139000',
            'employee ID number': idNumber,
            'employee ID number (lower case)': idNumber.toLowerCase(),
        };
        for (const [what, s] of Object.entries(secrets)) {
            assert.ok(!dump.includes(s), `${what} found in the SQL dump`);
            assert.ok(!raw.includes(s), `${what} found in the database files`);
        }
        // What is stored for a session is SHA-256 of the token.
        const want = createHash('sha256').update(token).digest('hex').toUpperCase();
        const hashes = query(data.dir, 'SELECT hex(token_hash) FROM sessions;').split('\n');
        assert.ok(hashes.includes(want), 'the session row holds SHA-256(token)');
        // Passwords are Argon2id strings.
        const pw = query(data.dir, "SELECT password_hash FROM accounts WHERE username = 'carol';").trim();
        assert.match(pw, /^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
    });

    test('3. a costlier Argon2id setting upgrades the stored hash at the next successful login only', async () => {
        const conf = path.join(data.dir, 'salesvault.conf');
        writeFileSync(conf, editIni(readFileSync(conf, 'utf8'), { password: { opslimit: 2, memlimit_kib: 9216 } }));
        srv = await serve(data.dir, { name: 'storage-rehash' });
        const before = query(data.dir, "SELECT password_hash FROM accounts WHERE username = 'carol';").trim();
        // A failed login changes nothing.
        assert.equal((await srv.login('vault', 'carol', 'Not-The-Password-1')).status, 401);
        assert.equal(query(data.dir, "SELECT password_hash FROM accounts WHERE username = 'carol';").trim(), before);
        const l = await srv.login('vault', 'carol', PASSWORDS.admin);
        expectStatus(l, 200);
        const after = query(data.dir, "SELECT password_hash FROM accounts WHERE username = 'carol';").trim();
        assert.match(after, /^\$argon2id\$v=19\$m=9216,t=2,p=1\$/, 'rehashed with the new parameters');
        // The same password still works, and the upgrade is audited.
        expectStatus(await srv.login('vault', 'carol', PASSWORDS.admin), 200);
        const ev = await srv.api('GET', '/audit/events', { token: l.json.token });
        expectStatus(ev, 200);
        assert.ok(ev.json.items.some((e) => e.action === 'auth.login' && e.details && e.details.rehashed === true),
            'an auth.login event records the rehash');
    });
});
