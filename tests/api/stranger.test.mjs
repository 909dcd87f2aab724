// Findings of an independent review of the login failure counters
// (docs/auth-flow.md sections 1-4; AUTH-3 reset, AUTH-4 CAPTCHA and lock,
// AUTH-5 blacklist, AUTH-7 audit). One describe per finding, each with a
// server of its own (every request comes from 127.0.0.1, whose failures
// count): the counters of one finding never leak into another's.
//
//   S1 a lock without a CAPTCHA: wrong CAPTCHA answers and wrong reset codes
//      locked the owner out; now only wrong passwords sent behind a SOLVED
//      CAPTCHA earn a lock;
//   S2 CAPTCHA images for free: a bogus challenge id drew an image before it
//      was looked up; a challenge draws at most 5;
//   S3 rows without limit: reset requests and reset confirms from one source
//      wrote audit events and counter rows for ever;
//   S4 one tenant's user starves the others: parallel wrong `current`
//      passwords on POST /me/password filled the hashing pool;
//   S5 guessing with a stolen session: /me/password had no limit at all;
//   S6 the platform blacklist: failures against tenants that do not exist
//      blacklisted the source everywhere; tenant admins did not see
//      platform entries;
//   S7 a password typed into the username field was kept in the audit log
//      and the challenges table.
//
// Solving a CAPTCHA needs a build with -Dtest_hooks=true: it sends the
// answer in the X-SV-Test-Captcha-Answer header of the image.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
    ENGINE, PASSWORDS, PG_PORT, UUID_RE, expectError, expectKeys, expectStatus, listAll, readIni,
    closeDown, startServer,
} from './lib/server.mjs';
import { captchaImage, solveCaptcha, step } from './lib/device.mjs';

// failure_decay_s: a failure decays continuously (one per period), so with
// 900 s a name at exactly captcha_after falls below it within a second; a
// day keeps the thresholds still while a test runs.
const GUARD = {
    captcha_after: 3, lock_after: 6, lock_base_s: 1, lock_max_s: 60, failure_decay_s: 86400,
    stuffing_accounts: 5, stuffing_window_s: 600, blacklist_s: 3600,
};
// Where a lock must be seen, it must outlast the requests that look at it.
const GUARD_LONG_LOCK = { ...GUARD, lock_base_s: 30 };
const FAST = { opslimit: 1, memlimit_kib: 8192 };
const WRONG = 'Nope-9-wrong!';
const NEW_PASSWORD = 'Kv5#nRt8@wZm';
const SESSION_KEYS = ['token', 'expires_at', 'must_change_password', 'device_id', 'mfa_pending'];

/** A server of its own: tenant acme (admin + users, all activated). */
async function fresh(name, { auth = GUARD, server = {}, users = [], tenants = [] } = {}) {
    const srv = await startServer({
        name,
        conf: { auth, password: FAST, ...(Object.keys(server).length ? { server } : {}) },
        tenants: [
            { slug: 'acme', name: 'Acme Corp', admin: 'root.admin', users: users.map((username) => ({ username })) },
            ...tenants,
        ],
    });
    const tok = {};
    const pw = {};
    const passwords = [PASSWORDS.p1, PASSWORDS.p2, PASSWORDS.p3, PASSWORDS.p4];
    tok['root.admin'] = (await srv.activate('acme', 'root.admin', srv.tenants.acme.admin.temporary_password, PASSWORDS.admin)).token;
    pw['root.admin'] = PASSWORDS.admin;
    users.forEach((u, i) => { pw[u] = passwords[i % passwords.length]; });
    for (const u of users) {
        tok[u] = (await srv.activate('acme', u, srv.tenants.acme.users[u].temporary_password, pw[u])).token;
    }
    return { srv, tok, pw };
}



/** The JSON error code of a raw (non-srv.api) answer, or null. */
function rawCode(r) {
    try { return JSON.parse(r.buf.toString('utf8')).error?.code ?? null; } catch { return null; }
}

/** The answer is a CAPTCHA challenge. */
function expectCaptcha(r, label) {
    expectStatus(r, 200, `${label}: expected 200 with a CAPTCHA challenge`);
    expectKeys(r.json, ['challenge'], `${label}: answer`);
    assert.deepEqual(r.json.challenge.next, ['captcha'], `${label}: next`);
    return r.json.challenge;
}

/** The answer opened a session. */
function expectSession(r, label) {
    expectStatus(r, 200, `${label}: expected 200 with a session`);
    expectKeys(r.json, SESSION_KEYS, `${label}: expected a session, got ${r.text}`);
    return r.json.token;
}

/**
 * The right password: a session, or a CAPTCHA which, solved, gives one.
 * Never 429 login_locked or 403 blacklisted.
 */
async function signIn(srv, tenant, username, password, label) {
    const r = await srv.login(tenant, username, password);
    assert.ok(!(r.status === 429 && r.json?.error?.code === 'login_locked'),
        `${label}: the owner's right password got 429 login_locked (Retry-After ${r.headers.get('retry-after')}): ${r.text}`);
    assert.notEqual(r.status, 403, `${label}: the owner's right password got 403: ${r.text}`);
    if (r.status === 200 && r.json?.challenge) {
        const ch = expectCaptcha(r, label);
        const answer = await solveCaptcha(srv, ch, `${label} (CAPTCHA)`);
        return expectSession(await step(srv, ch, 'captcha', { body: { answer, password } }), `${label}, CAPTCHA solved`);
    }
    return expectSession(r, label);
}

/** CPU time (utime + stime, clock ticks) of a process, all its threads. */
function cpuTicks(pid) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
}

/** Run SQL on the data dir's database (SQLite file, or PostgreSQL as its superuser). */
function sql(srv, script) {
    let r;
    if (ENGINE === 'sqlite') {
        r = spawnSync('sqlite3', ['-batch', '-bail', '-separator', '|', path.join(srv.dir, 'salesvault.db')],
            { input: `.timeout 10000\n${script}`, encoding: 'utf8' });
    } else {
        const db = readIni(readFileSync(path.join(srv.dir, 'salesvault.conf'), 'utf8'), 'database', 'url').split('/').pop();
        r = spawnSync('psql', ['-X', '-q', '-At', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1',
            '-p', PG_PORT, '-U', 'postgres', '-d', db], { input: script, encoding: 'utf8' });
    }
    assert.equal(r.status, 0, `${ENGINE} SQL failed: ${r.stderr}`);
    return r.stdout;
}

/** Rows of every table of the database: {table: count}. */
function tableRows(srv) {
    const list = ENGINE === 'sqlite'
        ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name;"
        : "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1;";
    const tables = sql(srv, list).split('\n').filter(Boolean);
    assert.ok(tables.length > 0, 'the database has tables');
    const q = tables.map((t) => `SELECT '${t}', count(*) FROM ${t}`).join(' UNION ALL ') + ';';
    const out = {};
    for (const line of sql(srv, q).split('\n').filter(Boolean)) {
        const [t, n] = line.split('|');
        out[t.replace(/^public\./, '')] = Number(n);
    }
    return out;
}

/** The tables whose row count grew between two tableRows(). */
function grown(before, after) {
    return Object.fromEntries(Object.entries(after).filter(([t, n]) => n > (before[t] ?? 0))
        .map(([t, n]) => [t, `${before[t] ?? 0} -> ${n}`]));
}

/** Every audit event of the tenant (as its admin). */
const auditEvents = (srv, token) => listAll(srv, token, '/audit/events', { limit: 200 });

// ---------------------------------------------------------------------------

describe('S1 a lock without a CAPTCHA: only wrong passwords behind a solved CAPTCHA lock a name', () => {
    const servers = [];
    after(async () => { for (const s of servers) await closeDown(s); });

    test('S1a. 11 wrong passwords and one wrong CAPTCHA answer do not lock: the owner gets a CAPTCHA, then a session', async () => {
        const { srv, pw } = await fresh('stranger-s1a', { auth: GUARD_LONG_LOCK, users: ['alice'] });
        servers.push(srv);
        let last = null;
        const seen = [];
        for (let i = 1; i <= 11; i++) {
            const r = await srv.login('acme', 'alice', WRONG);
            seen.push(r.status === 200 ? 'captcha' : `${r.status} ${r.json?.error?.code}`);
            assert.ok(r.status === 401 || r.status === 200,
                `wrong password ${i}: expected 401 invalid_credentials or a CAPTCHA challenge, got ${r.status} ${r.text}`);
            if (r.status === 200) last = expectCaptcha(r, `wrong password ${i}`);
        }
        assert.ok(last, `after 11 wrong passwords some login answered with a CAPTCHA: ${seen.join(', ')}`);
        expectError(await step(srv, last, 'captcha', { body: { answer: 'zzzzzz', password: WRONG } }), 401,
            'captcha_invalid', 'answer', 'the wrong CAPTCHA answer');

        const r = await srv.login('acme', 'alice', pw.alice);
        assert.notEqual(r.status, 429,
            `expected a CAPTCHA challenge for the owner's right password (no password was ever checked behind a solved CAPTCHA), got ${r.status} ${r.text} (Retry-After ${r.headers.get('retry-after')})`);
        const ch = expectCaptcha(r, 'the owner\'s right password (the name is over captcha_after)');
        const answer = await solveCaptcha(srv, ch, 'the owner\'s CAPTCHA');
        expectSession(await step(srv, ch, 'captcha', { body: { answer, password: pw.alice } }), 'the owner, CAPTCHA solved');
    });

    test('S1b. after captcha_after (3) wrong passwords, lock_after - captcha_after (3) wrong passwords behind solved CAPTCHAs lock the name: 429 login_locked with Retry-After', async () => {
        const { srv, pw } = await fresh('stranger-s1b', { auth: GUARD_LONG_LOCK, users: ['bob'] });
        servers.push(srv);
        for (let i = 1; i <= GUARD.captcha_after; i++) {
            expectError(await srv.login('acme', 'bob', WRONG), 401, 'invalid_credentials', null, `wrong password ${i}`);
        }
        const behind = GUARD.lock_after - GUARD.captcha_after;
        for (let k = 1; k <= behind; k++) {
            const l = await srv.login('acme', 'bob', WRONG);
            const ch = expectCaptcha(l, `login ${k} behind a CAPTCHA (${k - 1} of ${behind} solved-CAPTCHA failures so far: not locked yet)`);
            const answer = await solveCaptcha(srv, ch, `CAPTCHA ${k}`);
            const a = await step(srv, ch, 'captcha', { body: { answer, password: WRONG } });
            if (k === behind && a.status === 429) {
                expectError(a, 429, 'login_locked', null, `wrong password ${k} behind a solved CAPTCHA`);
            } else {
                expectError(a, 401, 'invalid_credentials', null,
                    `wrong password ${k} behind a solved CAPTCHA: the password is checked`);
            }
        }
        const r = await srv.login('acme', 'bob', pw.bob);
        expectError(r, 429, 'login_locked', null,
            `after ${GUARD.captcha_after} wrong passwords and ${behind} more behind solved CAPTCHAs (lock_after ${GUARD.lock_after}) the name is locked, even for the right password`);
        const ra = Number(r.headers.get('retry-after'));
        assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= GUARD_LONG_LOCK.lock_base_s,
            `Retry-After 1..${GUARD_LONG_LOCK.lock_base_s}, got ${r.headers.get('retry-after')}`);
    });

    test('S1c. 11 wrong reset codes do not lock the account: its right password then gets a session (at worst after a CAPTCHA)', async () => {
        const { srv, pw } = await fresh('stranger-s1c', { auth: GUARD_LONG_LOCK, users: ['carol'] });
        servers.push(srv);
        srv.secrets.add(NEW_PASSWORD);
        const tally = {};
        for (let i = 1; i <= 11; i++) {
            const r = await srv.api('POST', '/auth/reset/confirm',
                { body: { tenant: 'acme', username: 'carol', code: '000000', new_password: NEW_PASSWORD } });
            const kind = `${r.status} ${r.json?.error?.code}`;
            tally[kind] = (tally[kind] || 0) + 1;
            assert.ok(['400 reset_code_invalid', '429 rate_limited'].includes(kind),
                `wrong reset code ${i}: expected 400 reset_code_invalid or 429 rate_limited, got ${r.status} ${r.text}`);
        }
        await signIn(srv, 'acme', 'carol', pw.carol,
            `carol's right password after wrong reset codes ${JSON.stringify(tally)}`);
    });
});

// ---------------------------------------------------------------------------

describe('S2 CAPTCHA images for free: a bogus challenge costs no drawing; a challenge draws at most 5', () => {
    let srv;
    const DRAWS = 5;
    const CHALLENGES = 8;
    const BOGUS = 200;

    before(async () => {
        ({ srv } = await fresh('stranger-s2', { users: ['dan'] }));
    });
    after(async () => { await closeDown(srv); });

    /** A new CAPTCHA challenge for dan (the name is over captcha_after). */
    async function newChallenge(label) {
        return expectCaptcha(await srv.login('acme', 'dan', WRONG), label);
    }

    test('S2a. GET /auth/challenges/<random id>/captcha -> 404 challenge_not_found, and costs < 25 % of the CPU of a real draw', async (t) => {
        for (let i = 1; i <= GUARD.captcha_after; i++) {
            expectError(await srv.login('acme', 'dan', WRONG), 401, 'invalid_credentials', null, `wrong password ${i}`);
        }
        const live = [];
        for (let i = 0; i < CHALLENGES; i++) live.push(await newChallenge(`challenge ${i}`));
        // Warm up the connection and both paths (not measured).
        const warm = await captchaImage(srv, { id: randomUUID(), token: 'svs_' + randomBytes(32).toString('base64url') });
        assert.equal(warm.status, 404, 'warm-up bogus request');
        const bogus = () => captchaImage(srv, { id: randomUUID(), token: 'svs_' + randomBytes(32).toString('base64url') });

        const c0 = cpuTicks(srv.pid);
        const answers = [];
        for (let i = 0; i < BOGUS; i++) answers.push(await bogus());
        const c1 = cpuTicks(srv.pid);
        let draws = 0;
        for (const [n, ch] of live.entries()) {
            for (let d = 1; d <= DRAWS; d++) {
                const img = await captchaImage(srv, ch);
                assert.equal(img.status, 200, `challenge ${n}, draw ${d}: ${img.buf.toString('utf8').slice(0, 200)}`);
                assert.equal(img.headers.get('content-type'), 'image/png');
                draws++;
            }
        }
        const c2 = cpuTicks(srv.pid);

        const statuses = {};
        for (const a of answers) {
            const k = `${a.status} ${rawCode(a)}`;
            statuses[k] = (statuses[k] || 0) + 1;
        }
        assert.deepEqual(statuses, { '404 challenge_not_found': BOGUS }, 'every bogus request -> 404 challenge_not_found');
        const perBogus = (c1 - c0) / BOGUS;
        const perDraw = (c2 - c1) / draws;
        t.diagnostic(`CPU ticks: ${BOGUS} bogus ${c1 - c0} (${perBogus.toFixed(3)} each), ${draws} draws ${c2 - c1} (${perDraw.toFixed(3)} each)`);
        assert.ok(perDraw > 0, `the ${draws} real draws took measurable CPU (${c2 - c1} ticks)`);
        assert.ok(perBogus < 0.25 * perDraw,
            `a bogus challenge id must not draw a CAPTCHA: expected < 25 % of a real draw's CPU per request, got ${(100 * perBogus / perDraw).toFixed(0)} % (${perBogus.toFixed(3)} vs ${perDraw.toFixed(3)} ticks)`);
    });

    test('S2b. a challenge draws at most 5 CAPTCHAs: the 6th GET -> 429 rate_limited', async () => {
        const ch = await newChallenge('the challenge to draw from');
        for (let d = 1; d <= DRAWS; d++) {
            const img = await captchaImage(srv, ch);
            assert.equal(img.status, 200, `draw ${d} of ${DRAWS}: ${img.buf.toString('utf8').slice(0, 200)}`);
        }
        const sixth = await captchaImage(srv, ch);
        assert.deepEqual([sixth.status, rawCode(sixth)], [429, 'rate_limited'],
            `draw ${DRAWS + 1} on one challenge: expected 429 rate_limited, got ${sixth.status} ${sixth.headers.get('content-type')}`);
    });
});

// ---------------------------------------------------------------------------

describe('S3 rows without limit: a source over its reset limits writes nothing', () => {
    const servers = [];
    after(async () => { for (const s of servers) await closeDown(s); });

    test('S3a. POST /auth/reset from one address: 429 rate_limited with Retry-After past the per-source limit; 50 more add no audit event, no row', async (t) => {
        const { srv, tok } = await fresh('stranger-s3a', { users: ['alice'] });
        servers.push(srv);
        const reset = () => srv.api('POST', '/auth/reset', { body: { tenant: 'acme', username: 'alice', channel: 'email' } });
        let refused = null;
        let accepted = 0;
        for (let i = 1; i <= 60 && !refused; i++) {
            const r = await reset();
            if (r.status === 429) refused = r;
            else { expectStatus(r, 202, `reset request ${i}`); accepted++; }
        }
        assert.ok(refused, `expected 429 rate_limited within 60 reset requests from one address, got 202 for all ${accepted}`);
        t.diagnostic(`${accepted} requests accepted before the first 429`);
        expectError(refused, 429, 'rate_limited', null, `reset request ${accepted + 1}`);
        const ra = Number(refused.headers.get('retry-after'));
        assert.ok(Number.isInteger(ra) && ra >= 1, `Retry-After on the refused reset request, got ${refused.headers.get('retry-after')}`);

        const events = (await auditEvents(srv, tok['root.admin'])).length;
        const rows = tableRows(srv);
        for (let i = 1; i <= 50; i++) {
            expectError(await reset(), 429, 'rate_limited', null, `refused reset request +${i}`);
        }
        const eventsAfter = (await auditEvents(srv, tok['root.admin'])).length;
        assert.equal(eventsAfter, events, `50 refused reset requests added ${eventsAfter - events} audit events (expected none)`);
        assert.deepEqual(grown(rows, tableRows(srv)), {}, '50 refused reset requests added rows (expected none)');
    });

    test('S3b. POST /auth/reset/confirm with wrong codes from one address: 429 rate_limited after at most ~10; then 50 more add no audit event, no row', async (t) => {
        const { srv, tok } = await fresh('stranger-s3b', { users: ['alice'] });
        servers.push(srv);
        srv.secrets.add(NEW_PASSWORD);
        const confirm = () => srv.api('POST', '/auth/reset/confirm',
            { body: { tenant: 'acme', username: 'alice', code: '000000', new_password: NEW_PASSWORD } });
        const MAX_WRONG = 12; // "at most ~10"
        let refused = null;
        let wrong = 0;
        for (let i = 1; i <= 30 && !refused; i++) {
            const r = await confirm();
            if (r.status === 429) refused = r;
            else { expectError(r, 400, 'reset_code_invalid', null, `wrong code ${i}`); wrong++; }
        }
        assert.ok(refused, `expected 429 rate_limited after at most ~10 wrong reset codes from one address, got 400 for all ${wrong} of 30`);
        t.diagnostic(`${wrong} wrong codes answered 400 before the first 429`);
        expectError(refused, 429, 'rate_limited', null, `reset confirm ${wrong + 1}`);
        assert.ok(wrong <= MAX_WRONG, `expected the per-source limit after at most ~10 wrong codes, got ${wrong}`);

        const events = (await auditEvents(srv, tok['root.admin'])).length;
        const rows = tableRows(srv);
        for (let i = 1; i <= 50; i++) {
            expectError(await confirm(), 429, 'rate_limited', null, `refused reset confirm +${i}`);
        }
        const eventsAfter = (await auditEvents(srv, tok['root.admin'])).length;
        assert.equal(eventsAfter, events, `50 refused reset confirms added ${eventsAfter - events} audit events (expected none)`);
        assert.deepEqual(grown(rows, tableRows(srv)), {}, '50 refused reset confirms added rows (expected none)');
    });
});

// ---------------------------------------------------------------------------

describe('S4 one tenant\'s user does not starve the others: wrong `current` passwords are bounded', () => {
    let srv;
    const tok = {};
    const pw = { amy: PASSWORDS.p1, ben: PASSWORDS.p2 };

    before(async () => {
        srv = await startServer({
            name: 'stranger-s4',
            // 100 requests at once, one connection each.
            conf: { auth: GUARD, password: FAST, server: { per_ip_connection_limit: 512 } },
            tenants: [
                { slug: 'alpha', name: 'Alpha', admin: 'alpha.admin', users: [{ username: 'amy' }] },
                { slug: 'bravo', name: 'Bravo', admin: 'bravo.admin', users: [{ username: 'ben' }] },
            ],
        });
        tok.amy = (await srv.activate('alpha', 'amy', srv.tenants.alpha.users.amy.temporary_password, pw.amy)).token;
        await srv.activate('bravo', 'ben', srv.tenants.bravo.users.ben.temporary_password, pw.ben);
    });
    after(async () => { await closeDown(srv); });

    test('S4. 100 parallel wrong `current` from tenant A while B signs in 10 times: every B login gets a session; A gets current_password_invalid at most a few times, then 429; A\'s session is closed', async (t) => {
        const guesses = Promise.all(Array.from({ length: 100 }, (_, i) => srv.api('POST', '/me/password', {
            token: tok.amy, body: { current: `${WRONG}${i}`, new: NEW_PASSWORD },
        })));
        const logins = (async () => {
            const out = [];
            for (let i = 0; i < 10; i++) out.push(await srv.login('bravo', 'ben', pw.ben));
            return out;
        })();
        const [a, b] = await Promise.all([guesses, logins]);

        const tallyA = {};
        for (const r of a) {
            const k = `${r.status} ${r.json?.error?.code}`;
            tallyA[k] = (tallyA[k] || 0) + 1;
        }
        const tallyB = b.map((r) => (r.json?.token ? 'session' : `${r.status} ${r.json?.error?.code ?? JSON.stringify(r.json)}`));
        t.diagnostic(`A: ${JSON.stringify(tallyA)}; B: ${JSON.stringify(tallyB)}`);

        b.forEach((r, i) => expectSession(r, `tenant B login ${i + 1} during A's guessing`));
        const allowed = ['403 current_password_invalid', '429 rate_limited', '401 unauthenticated'];
        const other = Object.keys(tallyA).filter((k) => !allowed.includes(k));
        assert.deepEqual(other, [], `A's answers other than ${allowed.join(', ')}: ${JSON.stringify(tallyA)}`);
        const checked = tallyA['403 current_password_invalid'] || 0;
        assert.ok(checked <= 5,
            `expected at most a few (<= 5) of 100 parallel wrong \`current\` to be checked (403 current_password_invalid), got ${checked}: ${JSON.stringify(tallyA)}`);
        assert.ok((tallyA['429 rate_limited'] || 0) >= 1, `expected 429 rate_limited past the limit: ${JSON.stringify(tallyA)}`);
        // The session closes at its 3rd checked wrong `current`. In a burst
        // most guesses are refused before any check (429: a change in
        // flight), so as few as 2 may have been checked: guess on, one at
        // a time, until it closes (at most 3 more; every one counted).
        for (let i = checked; i < 3; i++) {
            const r = await srv.api('POST', '/me/password', { token: tok.amy, body: { current: `${WRONG}s${i}`, new: NEW_PASSWORD } });
            if (r.status === 401) break;
            assert.ok([403, 429].includes(r.status), `a sequential wrong \`current\`: ${r.status} ${r.text}`);
        }
        expectError(await srv.api('GET', '/me', { token: tok.amy }), 401, 'unauthenticated', null,
            'A\'s session after repeated wrong `current` (expected revoked)');
    });
});

// ---------------------------------------------------------------------------

describe('S5 guessing with a stolen session: 3 wrong `current` close the session, 5 an account\'s /me/password', () => {
    let srv;
    let pw;

    before(async () => {
        ({ srv, pw } = await fresh('stranger-s5', { users: ['sam'] }));
    });
    after(async () => { await closeDown(srv); });

    const change = (token, current, next) => srv.api('POST', '/me/password', { token, body: { current, new: next } });

    test('S5. password_reused within the limits; after 3 wrong `current` the session is revoked; after 5 on the account a fresh session gets 429 rate_limited', async () => {
        const s0 = await signIn(srv, 'acme', 'sam', pw.sam, 'session 0');
        expectError(await change(s0, pw.sam, pw.sam), 400, 'password_reused', 'new', 'the right `current` within the limits');

        const s1 = await signIn(srv, 'acme', 'sam', pw.sam, 'session 1');
        for (let i = 1; i <= 3; i++) {
            expectError(await change(s1, WRONG, NEW_PASSWORD), 403, 'current_password_invalid', 'current',
                `session 1, wrong current ${i}`);
        }
        expectError(await srv.api('GET', '/me', { token: s1 }), 401, 'unauthenticated', null,
            'GET /me with the session after 3 wrong `current` (expected revoked)');
        expectError(await srv.api('GET', '/me/inbox', { token: s1 }), 401, 'unauthenticated', null,
            'GET /me/inbox with the revoked session');
        expectError(await change(s1, WRONG, NEW_PASSWORD), 401, 'unauthenticated', null,
            'POST /me/password with the revoked session');

        const s2 = await signIn(srv, 'acme', 'sam', pw.sam, 'session 2');
        for (let i = 4; i <= 5; i++) {
            expectError(await change(s2, WRONG, NEW_PASSWORD), 403, 'current_password_invalid', 'current',
                `session 2, the account's wrong current ${i}`);
        }
        const s3 = await signIn(srv, 'acme', 'sam', pw.sam, 'session 3');
        expectError(await change(s3, WRONG, NEW_PASSWORD), 429, 'rate_limited', null,
            'a fresh session after 5 wrong `current` on the account (per 15 min)');
        const reused = await change(s3, pw.sam, pw.sam);
        assert.notEqual(reused.json?.error?.code, 'password_reused',
            'over the limit, password_reused would confirm a guessed `current`');
        expectError(reused, 429, 'rate_limited', null, 'the right `current` over the account\'s limit');
    });
});

// ---------------------------------------------------------------------------

describe('S6 the platform blacklist: failures on tenants that do not exist do not lock a source out of real ones', () => {
    let srv;
    let tok;
    let pw;

    before(async () => {
        // The CAPTCHA and lock out of the way: only the stuffing rule acts.
        ({ srv, tok, pw } = await fresh('stranger-s6', {
            auth: { ...GUARD, captcha_after: 20, lock_after: 50 },
            users: ['alice'],
            tenants: [{ slug: 'beta', name: 'Beta Ltd', admin: 'beta.admin' }],
        }));
    });
    after(async () => { await closeDown(srv); });

    test('S6a. failed sign-ins with different names on a tenant that does not exist (5, then 10) -> the address still signs into a real tenant (no 403 blacklisted)', async () => {
        for (const [from, to] of [[1, GUARD.stuffing_accounts], [GUARD.stuffing_accounts + 1, 2 * GUARD.stuffing_accounts]]) {
            for (let i = from; i <= to; i++) {
                const r = await srv.login('no-such-tenant', `ghost${i}`, WRONG);
                assert.ok(r.status === 401 || (r.status === 200 && r.json?.challenge),
                    `unknown tenant, name ${i}: expected 401 invalid_credentials or a CAPTCHA challenge, got ${r.status} ${r.text}`);
            }
            const label = `alice (tenant acme) after ${to} failed names on a tenant that does not exist`;
            const r = await srv.login('acme', 'alice', pw.alice);
            assert.notEqual(r.status, 403, `${label}: expected a session (or a CAPTCHA), got ${r.status} ${r.text}`);
            await signIn(srv, 'acme', 'alice', pw.alice, label);
        }
    });

    test('S6b. GET /admin/blacklist for a tenant admin lists platform-wide entries too, each with scope "platform" and its reason', async () => {
        const add = await srv.cli(['blacklist', 'add', '--ip', '192.0.2.55', '--hours', '1', '--reason', 'platform-test']);
        assert.equal(add.code, 0, `salesvault blacklist add: ${add.stderr}`);
        const id = add.stdout.trim();
        assert.match(id, UUID_RE);
        const listed = await srv.cli(['blacklist', 'list', '--json']);
        assert.equal(listed.code, 0, listed.stderr);
        const platform = JSON.parse(listed.stdout).items.filter((x) => (x.tenant_id ?? null) === null);
        assert.ok(platform.some((x) => x.id === id), 'the CLI lists the new platform entry');

        const r = await srv.api('GET', '/admin/blacklist', { token: tok['root.admin'] });
        expectStatus(r, 200);
        const entry = r.json.items.find((x) => x.id === id);
        assert.ok(entry, `expected the platform entry ${id} in the tenant admin's GET /admin/blacklist, got ${JSON.stringify(r.json.items)}`);
        assert.equal(entry.scope, 'platform', `scope of the platform entry: ${JSON.stringify(entry)}`);
        assert.equal(entry.reason, 'platform-test', `reason of the platform entry: ${JSON.stringify(entry)}`);
        assert.deepEqual([entry.kind, entry.value], ['ip', '192.0.2.55']);
        for (const p of platform) {
            const e = r.json.items.find((x) => x.id === p.id);
            assert.ok(e, `platform entry ${p.id} (${p.reason}) missing from the tenant admin's list`);
            assert.deepEqual([e.scope, e.reason], ['platform', p.reason], `platform entry ${p.id}`);
        }
    });

    test('S6c. (control) 5 distinct failed names inside a real tenant still blacklist the source there: 403 blacklisted', async () => {
        for (let i = 1; i <= GUARD.stuffing_accounts; i++) {
            expectError(await srv.login('beta', `guess${i}`, WRONG), 401, 'invalid_credentials', null, `beta, name ${i}`);
        }
        expectError(await srv.login('beta', 'beta.admin', WRONG), 403, 'blacklisted', null,
            `beta after ${GUARD.stuffing_accounts} distinct failed names`);
    });
});

// ---------------------------------------------------------------------------

describe('S7 a password typed into the username field is not kept', () => {
    let srv;
    let tok;
    const TYPED = 'Hunter2-Secret-Typed';
    const hex = (s) => Buffer.from(s, 'utf8').toString('hex');
    const traces = (text) => {
        const low = text.toLowerCase();
        return [TYPED.toLowerCase(), hex(TYPED), hex(TYPED.toLowerCase())].filter((x) => low.includes(x));
    };

    before(async () => {
        ({ srv, tok } = await fresh('stranger-s7'));
    });
    after(async () => { await closeDown(srv); });

    let ch;
    test('S7a. failed logins with the username "Hunter2-Secret-Typed": no audit event contains it; the actor is a fingerprint "unknown:<hex>"', async () => {
        for (let i = 1; i <= GUARD.captcha_after; i++) {
            expectError(await srv.login('acme', TYPED, WRONG), 401, 'invalid_credentials', null, `failure ${i}`);
        }
        ch = expectCaptcha(await srv.login('acme', TYPED, WRONG), 'the name over captcha_after');
        const events = await auditEvents(srv, tok['root.admin']);
        const leaking = events.filter((e) => traces(JSON.stringify(e)).length > 0)
            .map((e) => `${e.action} ${e.result} ${e.reason}: actor ${JSON.stringify(e.actor)}, details ${JSON.stringify(e.details)}`);
        assert.deepEqual(leaking, [], 'expected no audit event to contain the text typed as the username');
        const failed = events.filter((e) => e.action === 'auth.login' && e.result === 'failure' && e.actor_id === null);
        assert.ok(failed.length >= GUARD.captcha_after, `the ${GUARD.captcha_after} failed logins are audited: ${JSON.stringify(events.map((e) => e.action))}`);
        for (const e of failed) assert.match(e.actor ?? '', /^unknown:[0-9a-f]+$/, `actor of ${JSON.stringify(e)}`);
    });

    test('S7b. the challenges table (a CAPTCHA challenge exists for the name) does not contain it', () => {
        assert.ok(ch, 'S7a made a CAPTCHA challenge');
        const dump = ENGINE === 'sqlite'
            ? sql(srv, '.dump challenges\n')
            : sql(srv, 'COPY (SELECT * FROM challenges) TO STDOUT;');
        assert.ok(dump.includes(ch.id), `the dump holds the challenge ${ch.id}: ${dump.slice(0, 300)}`);
        assert.deepEqual(traces(dump), [], 'the text typed as the username (or its hex) in the challenges table');
        assert.deepEqual(traces(srv.rawLines.join('\n')), [], 'the text typed as the username in the server log');
    });
});
