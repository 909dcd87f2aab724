// Brute-force and credential-stuffing defences of POST /auth/login
// (docs/auth-flow.md section 1-2; AUTH-4 CAPTCHA, lock with growing back-off,
// one answer for known and unknown names; AUTH-5 blacklist; AUTH-6 weak
// passwords must be changed). Devices and approvals: devices.test.mjs.
//
// Every request comes from 127.0.0.1, and the IP counts failures like the
// account name does: each scenario that needs clean counters has its own
// server.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, UUID_RE, expectError, expectKeys, expectStatus, expectTime, makeDataDir, serve, sleep,
    startServer,
} from './lib/server.mjs';
import { CAPTCHA_HOOK, PNG_SIGNATURE, captchaImage, solveCaptcha, step } from './lib/device.mjs';

const GUARD = {
    captcha_after: 3, lock_after: 6, lock_base_s: 1, lock_max_s: 60, failure_decay_s: 900,
    stuffing_accounts: 50, stuffing_window_s: 600, blacklist_s: 3600,
};
const WRONG = 'Nope-9-wrong!';
const SESSION_KEYS = ['token', 'expires_at', 'must_change_password', 'device_id', 'mfa_pending'];

async function auditOf(srv, token, action) {
    const r = await srv.api('GET', `/audit/events?action=${action}&limit=200`, { token });
    expectStatus(r, 200, `audit ${action}`);
    return r.json.items;
}

const details = (e) => (typeof e.details === 'string' ? JSON.parse(e.details) : e.details);


describe('protect: scripted guessing -> CAPTCHA, lock with growing back-off, admin unlock', () => {
    let srv;
    let acme;
    const tok = {};
    let ch; // the CAPTCHA challenge of step 2
    const retry = []; // Retry-After of each lock

    before(async () => {
        srv = await startServer({
            name: 'protect-guess',
            conf: { auth: GUARD },
            tenants: [
                { slug: 'acme', name: 'Acme Corp', admin: 'root.admin', users: [{ username: 'alice' }, { username: 'bob' }] },
                { slug: 'beta', name: 'Beta Ltd', admin: 'beta.admin' },
            ],
        });
        acme = srv.tenants.acme;
        tok.admin = (await srv.activate('acme', 'root.admin', acme.admin.temporary_password, PASSWORDS.admin)).token;
        tok.bob = (await srv.activate('acme', 'bob', acme.users.bob.temporary_password, PASSWORDS.p2)).token;
        await srv.activate('acme', 'alice', acme.users.alice.temporary_password, PASSWORDS.p1);
    });
    after(async () => { await srv?.cleanup(); });

    test('1. wrong passwords -> 401 invalid_credentials, captcha_after (3) times', async () => {
        for (let i = 1; i <= GUARD.captcha_after; i++) {
            expectError(await srv.login('acme', 'alice', WRONG), 401, 'invalid_credentials', null, `try ${i}`);
        }
    });

    test('2. then the login (even with the right password) -> 200 challenge next ["captcha"]; the password is not checked', async () => {
        const r = await srv.login('acme', 'alice', PASSWORDS.p1);
        expectStatus(r, 200);
        expectKeys(r.json, ['challenge'], 'login answer');
        ch = r.json.challenge;
        expectKeys(ch, ['id', 'token', 'expires_at', 'next'], 'challenge');
        assert.match(ch.id, UUID_RE);
        expectTime(ch.expires_at, 'expires_at');
        assert.deepEqual(ch.next, ['captcha']);
    });

    test('3. GET /auth/challenges/{id}/captcha with the token -> image/png; without or with a wrong token -> 404 challenge_not_found', async () => {
        const img = await captchaImage(srv, ch);
        assert.equal(img.status, 200);
        assert.equal(img.headers.get('content-type'), 'image/png');
        assert.deepEqual(img.buf.subarray(0, 8), PNG_SIGNATURE, 'PNG signature');
        assert.ok(img.buf.length > 200, 'a real image');
        assert.ok(img.headers.get('x-request-id'));
        const again = await captchaImage(srv, ch);
        assert.ok(!again.buf.equals(img.buf), 'each GET draws a new CAPTCHA');
        expectError(await srv.api('GET', `/auth/challenges/${ch.id}/captcha`), 404, 'challenge_not_found', null, 'no token');
        expectError(await srv.api('GET', `/auth/challenges/${ch.id}/captcha`, {
            headers: { 'x-challenge-token': 'svs_' + 'A'.repeat(43) },
        }), 404, 'challenge_not_found', null, 'wrong token');
        expectError(await srv.api('GET', '/auth/challenges/01234567-89ab-7cde-8f01-23456789abcd/captcha', {
            headers: { 'x-challenge-token': ch.token },
        }), 404, 'challenge_not_found', null, 'another id');
        expectError(await step(srv, ch, 'captcha', { token: null, body: { answer: 'abcde', password: PASSWORDS.p1 } }),
            404, 'challenge_not_found', null, 'answer without token');
    });

    test('4. a wrong CAPTCHA answer -> 401 captcha_invalid (field answer); bad bodies -> 400; wrong answers never lock', async () => {
        expectError(await step(srv, ch, 'captcha', { body: { answer: 'abcde' } }), 400, 'field_missing', 'password');
        expectError(await step(srv, ch, 'captcha', { body: { password: PASSWORDS.p1 } }), 400, 'field_missing', 'answer');
        expectError(await step(srv, ch, 'captcha', { body: { answer: 'abcde', password: PASSWORDS.p1, x: 1 } }), 400,
            'field_unknown', 'x');
        // A wrong CAPTCHA counts towards the CAPTCHA, never the lock: a
        // stranger who cannot solve one cannot lock the owner out.
        for (let i = 1; i <= 3; i++) expect401Captcha(await captchaAndWrong(ch), `wrong answer ${i}`);
        const c2 = (await srv.login('acme', 'alice', WRONG)).json.challenge;
        for (let i = 1; i <= 4; i++) expect401Captcha(await captchaAndWrong(c2), `wrong answer ${i}, second challenge`);
        const r = await srv.login('acme', 'alice', PASSWORDS.p1);
        expectStatus(r, 200, 'still a CAPTCHA, not a lock');
        assert.deepEqual(r.json.challenge?.next, ['captcha']);
    });

    test('5. wrong passwords behind solved CAPTCHAs up to lock_after (6) -> the login answers 429 login_locked with Retry-After', async () => {
        for (let i = GUARD.captcha_after + 1; i <= GUARD.lock_after; i++) {
            expectError(await solvedWrong(), 401, 'invalid_credentials', null, `checked failure ${i}`);
        }
        const r = await srv.login('acme', 'alice', PASSWORDS.p1);
        expectError(r, 429, 'login_locked', null, 'locked, right password');
        const ra = Number(r.headers.get('retry-after'));
        assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= GUARD.lock_base_s, `Retry-After ${r.headers.get('retry-after')}`);
        retry.push(ra);
        expectError(await srv.login('acme', 'alice', WRONG), 429, 'login_locked', null, 'locked, wrong password');
        // Another account of the name's tenant is not locked (the IP asks for a CAPTCHA).
        const other = await srv.login('acme', 'bob', PASSWORDS.p2);
        expectStatus(other, 200);
        assert.deepEqual(other.json.challenge?.next, ['captcha'], 'bob: the IP is over captcha_after');
    });

    test('6. after the lock, the next failure locks again for longer (growing back-off)', async () => {
        await sleep(retry[0] * 1000 + 150);
        expectError(await solvedWrong(), 401, 'invalid_credentials', null, 'the lock has passed: checked failure 7');
        const l = await srv.login('acme', 'alice', PASSWORDS.p1);
        expectError(l, 429, 'login_locked');
        const ra = Number(l.headers.get('retry-after'));
        retry.push(ra);
        assert.ok(ra > retry[0], `second Retry-After ${ra} > first ${retry[0]}`);
        assert.equal(ra, GUARD.lock_base_s * 2, 'lock_base_s x 2^1');
    });

    test('7. each lock is an audit event security.lock in the tenant\'s log, naming its length', async () => {
        const locks = (await auditOf(srv, tok.admin, 'security.lock')).filter((e) => e.actor === 'alice');
        assert.equal(locks.length, 2, 'two locks of alice');
        assert.deepEqual(locks.map((e) => details(e).locked_for_s).sort(), [1, 2]);
        for (const e of locks) assert.equal(e.reason, 'too_many_failures');
    });

    test('8. POST /users/{id}/unlock: a member -> 403; unknown or other tenant\'s id -> 404; the admin -> 204, audited security.unlock', async () => {
        const alice = acme.users.alice.id;
        expectError(await srv.api('POST', `/users/${alice}/unlock`, { token: tok.bob }), 403, 'forbidden');
        expectError(await srv.api('POST', `/users/${alice}/unlock`), 401, 'unauthenticated');
        expectError(await srv.api('POST', '/users/01234567-89ab-7cde-8f01-23456789abcd/unlock', { token: tok.admin }), 404,
            'not_found');
        expectError(await srv.api('POST', `/users/${srv.tenants.beta.admin.id}/unlock`, { token: tok.admin }), 404,
            'not_found', null, 'beta\'s admin');
        expectError(await srv.api('POST', `/users/${alice}/unlock`, { token: tok.admin, body: { x: 1 } }), 400,
            'field_unknown', 'x');
        expectError(await srv.login('acme', 'alice', PASSWORDS.p1), 429, 'login_locked', null, 'still locked');
        const r = await srv.api('POST', `/users/${alice}/unlock`, { token: tok.admin });
        expectStatus(r, 204);
        assert.equal(r.text, '');
        // No longer locked (the IP still asks for a CAPTCHA).
        const l = await srv.login('acme', 'alice', PASSWORDS.p1);
        expectStatus(l, 200, 'unlocked');
        assert.deepEqual(l.json.challenge?.next, ['captcha']);
        const ev = (await auditOf(srv, tok.admin, 'security.unlock')).find((e) => e.target_id === alice);
        assert.ok(ev, 'security.unlock audited');
        assert.equal(ev.actor, 'root.admin');
        assert.equal(ev.result, 'success');
    });

    test('9. a challenge that fails five times is closed -> 410 challenge_expired', async () => {
        // A fresh count, so the lock (lock_after 6) does not come first.
        expectStatus(await srv.api('POST', `/users/${acme.users.alice.id}/unlock`, { token: tok.admin }), 204);
        const l = await srv.login('acme', 'alice', PASSWORDS.p1);
        const c = l.json.challenge;
        for (let i = 1; i <= 5; i++) {
            expect401Captcha(await step(srv, c, 'captcha', { body: { answer: 'zzzzz', password: PASSWORDS.p1 } }), `wrong ${i}`);
        }
        expectError(await step(srv, c, 'captcha', { body: { answer: 'zzzzz', password: PASSWORDS.p1 } }), 410,
            'challenge_expired');
        const img = await captchaImage(srv, c);
        assert.equal(img.status, 410, 'no new image for a closed challenge');
    });

    test('10. every response met the generic rules; no secret reached the log', () => {
        srv.checkResponses();
        srv.checkLogsClean();
    });

    /** A login whose CAPTCHA is solved (test builds say the answer), with a wrong password. */
    async function solvedWrong() {
        const l = await srv.login('acme', 'alice', WRONG);
        expectStatus(l, 200, 'a CAPTCHA challenge');
        const c = l.json.challenge;
        assert.deepEqual(c?.next, ['captcha']);
        return step(srv, c, 'captcha', { body: { answer: await solveCaptcha(srv, c), password: WRONG } });
    }
    /** Draw a CAPTCHA, then answer it wrongly. */
    async function captchaAndWrong(c) {
        const img = await captchaImage(srv, c);
        assert.equal(img.status, 200);
        return step(srv, c, 'captcha', { body: { answer: 'zzzzz', password: PASSWORDS.p1 } });
    }
    function expect401Captcha(r, label) {
        expectError(r, 401, 'captcha_invalid', 'answer', label);
    }
});

describe('protect: unknown and known names get identical answers, CAPTCHA and lock', () => {
    const servers = [];
    const transcripts = {};

    /** The same script of failures against one name on a fresh server. */
    async function script(srv, tenant, username) {
        const seen = [];
        const note = (r) => {
            const c = r.json?.challenge;
            seen.push({
                status: r.status,
                retryAfter: r.headers.get('retry-after'),
                contentType: r.headers.get('content-type'),
                body: c ? { challenge: { keys: Object.keys(c).sort(), next: c.next } } : r.json,
            });
            return r;
        };
        for (let i = 0; i < GUARD.captcha_after; i++) note(await srv.login(tenant, username, WRONG));
        // Then each login needs a CAPTCHA; solved, the password is checked
        // (a dummy hash for unknown names) and counts towards the lock.
        for (let i = GUARD.captcha_after + 1; i <= GUARD.lock_after; i++) {
            const c = note(await srv.login(tenant, username, WRONG)).json?.challenge;
            assert.ok(c, `${tenant}/${username}: a CAPTCHA challenge after ${GUARD.captcha_after} failures`);
            const img = await captchaImage(srv, c);
            seen.push({ status: img.status, contentType: img.headers.get('content-type') });
            const answer = img.headers.get(CAPTCHA_HOOK);
            assert.ok(answer, 'a test build says the CAPTCHA answer');
            note(await step(srv, c, 'captcha', { body: { answer, password: WRONG } }));
        }
        note(await srv.login(tenant, username, WRONG));
        return seen;
    }

    before(async () => {
        const cases = {
            wrongPassword: ['acme', 'alice'],
            unknownUser: ['acme', 'nobody.here'],
            unknownTenant: ['no-such-tenant', 'alice'],
        };
        await Promise.all(Object.entries(cases).map(async ([label, [tenant, username]]) => {
            const srv = await startServer({
                name: `protect-same-${label}`,
                conf: { auth: GUARD },
                tenants: [{ slug: 'acme', name: 'Acme Corp', admin: 'root.admin', users: [{ username: 'alice' }] }],
            });
            servers.push(srv);
            transcripts[label] = await script(srv, tenant, username);
        }));
    });
    after(async () => { await Promise.all(servers.map((s) => s.cleanup())); });

    test('1. the first answers: identical 401 invalid_credentials for wrong password, unknown user, unknown tenant', () => {
        for (const [label, t] of Object.entries(transcripts)) {
            assert.deepEqual(t[0], {
                status: 401, retryAfter: null, contentType: 'application/json; charset=utf-8',
                body: { error: { code: 'invalid_credentials', message: 'Tenant, username or password is wrong', field: null } },
            }, label);
        }
    });

    test('2. the whole script: the same CAPTCHA after captcha_after tries and the same lock after lock_after', () => {
        const known = transcripts.wrongPassword;
        assert.deepEqual(known.map((s) => s.status), [401, 401, 401, 200, 200, 401, 200, 200, 401, 200, 200, 401, 429]);
        assert.deepEqual(known[3].body, { challenge: { keys: ['expires_at', 'id', 'next', 'token'], next: ['captcha'] } });
        assert.equal(known.at(-1).body.error.code, 'login_locked');
        assert.equal(known.at(-1).retryAfter, '1');
        assert.deepEqual(transcripts.unknownUser, known, 'unknown user');
        assert.deepEqual(transcripts.unknownTenant, known, 'unknown tenant');
    });

    test('3. every response met the generic rules', () => {
        for (const s of servers) s.checkResponses();
    });
});

describe('protect: credential stuffing -> the IP is blacklisted (AUTH-5)', () => {
    let srv;
    let acme;
    const tok = {};
    let entry;

    before(async () => {
        srv = await startServer({
            name: 'protect-stuffing',
            // CAPTCHA and lock out of the way: only the stuffing rule acts.
            conf: { auth: { ...GUARD, captcha_after: 20, lock_after: 50, stuffing_accounts: 4 } },
            tenants: [
                { slug: 'acme', name: 'Acme Corp', admin: 'root.admin', users: [{ username: 'alice' }] },
                { slug: 'beta', name: 'Beta Ltd', admin: 'beta.admin' },
            ],
        });
        acme = srv.tenants.acme;
        tok.admin = (await srv.activate('acme', 'root.admin', acme.admin.temporary_password, PASSWORDS.admin)).token;
        tok.alice = (await srv.activate('acme', 'alice', acme.users.alice.temporary_password, PASSWORDS.p1)).token;
        tok.beta = (await srv.activate('beta', 'beta.admin', srv.tenants.beta.admin.temporary_password, PASSWORDS.admin2)).token;
    });
    after(async () => { await srv?.cleanup(); });

    test('1. one client failing on stuffing_accounts (4) distinct names -> 401 each, then even a right password -> 403 blacklisted', async () => {
        expectStatus(await srv.api('GET', '/admin/blacklist', { token: tok.admin }), 200);
        for (const name of ['alice', 'ghost1', 'ghost2', 'ghost3']) {
            expectError(await srv.login('acme', name, WRONG), 401, 'invalid_credentials', null, name);
        }
        expectError(await srv.login('acme', 'root.admin', PASSWORDS.admin), 403, 'blacklisted', null, 'right password');
        expectError(await srv.login('acme', 'alice', WRONG), 403, 'blacklisted', null, 'wrong password');
        // Sessions opened before stay usable: the blacklist guards sign-in.
        expectStatus(await srv.api('GET', '/me', { token: tok.alice }), 200);
    });

    test('2. GET /admin/blacklist lists the entry {kind ip, value 127.0.0.1, reason credential_stuffing}; members -> 403', async () => {
        const r = await srv.api('GET', '/admin/blacklist', { token: tok.admin });
        expectStatus(r, 200);
        expectKeys(r.json, ['items'], 'blacklist');
        assert.equal(r.json.items.length, 1, JSON.stringify(r.json.items));
        entry = r.json.items[0];
        expectKeys(entry, ['id', 'kind', 'value', 'reason', 'created_at', 'expires_at', 'scope'], 'entry');
        assert.equal(entry.scope, 'tenant');
        assert.match(entry.id, UUID_RE);
        assert.deepEqual([entry.kind, entry.value, entry.reason], ['ip', '127.0.0.1', 'credential_stuffing']);
        expectTime(entry.created_at, 'created_at');
        expectTime(entry.expires_at, 'expires_at');
        assert.equal(Date.parse(entry.expires_at) - Date.parse(entry.created_at), GUARD.blacklist_s * 1000);
        expectError(await srv.api('GET', '/admin/blacklist', { token: tok.alice }), 403, 'forbidden');
        expectError(await srv.api('GET', '/admin/blacklist'), 401, 'unauthenticated');
        // Another tenant's admin sees none of it.
        const beta = await srv.api('GET', '/admin/blacklist', { token: tok.beta });
        expectStatus(beta, 200);
        assert.deepEqual(beta.json.items, []);
    });

    test('3. the audit log has security.blacklist naming the entry', async () => {
        const ev = (await auditOf(srv, tok.admin, 'security.blacklist')).filter((e) => e.reason === 'credential_stuffing');
        assert.equal(ev.length, 1);
        const d = details(ev[0]);
        assert.equal(d.entry, entry.id);
        assert.equal(d.kind, 'ip');
        assert.equal(d.value, '127.0.0.1');
        assert.equal(d.distinct_accounts, 4);
        assert.equal(ev[0].ip, '127.0.0.1');
    });

    test('4. DELETE /admin/blacklist/{id}: unknown or other tenant -> 404; member -> 403; admin -> 204 and logins work again', async () => {
        expectError(await srv.api('DELETE', '/admin/blacklist/01234567-89ab-7cde-8f01-23456789abcd', { token: tok.admin }),
            404, 'not_found');
        expectError(await srv.api('DELETE', `/admin/blacklist/${entry.id}`, { token: tok.beta }), 404, 'not_found',
            null, 'beta\'s admin');
        expectError(await srv.api('DELETE', `/admin/blacklist/${entry.id}`, { token: tok.alice }), 403, 'forbidden');
        const r = await srv.api('DELETE', `/admin/blacklist/${entry.id}`, { token: tok.admin });
        expectStatus(r, 204);
        assert.equal(r.text, '');
        expectError(await srv.api('DELETE', `/admin/blacklist/${entry.id}`, { token: tok.admin }), 404, 'not_found',
            null, 'lifted twice');
        assert.deepEqual((await srv.api('GET', '/admin/blacklist', { token: tok.admin })).json.items, []);
        const l = await srv.login('acme', 'root.admin', PASSWORDS.admin);
        expectStatus(l, 200, 'login after the lift');
        expectKeys(l.json, SESSION_KEYS, 'session');
        const ev = (await auditOf(srv, tok.admin, 'security.blacklist.lift')).find((e) => e.target_id === entry.id);
        assert.ok(ev, 'security.blacklist.lift audited');
        assert.equal(ev.actor, 'root.admin');
    });

    test('4b. salesvault blacklist (platform-wide): add blocks every tenant at once, list shows it, remove lifts it; bad input exits 2', async () => {
        const add = await srv.cli(['blacklist', 'add', '--ip', '127.0.0.1', '--hours', '1',
            '--reason', 'test']);
        assert.equal(add.code, 0, add.stderr);
        const id = add.stdout.trim();
        assert.match(id, UUID_RE);
        expectError(await srv.login('acme', 'root.admin', PASSWORDS.admin), 403, 'blacklisted', null, 'acme');
        expectError(await srv.login('beta', 'beta.admin', PASSWORDS.admin2), 403, 'blacklisted', null, 'beta too');
        const list = await srv.cli(['blacklist', 'list', '--json']);
        assert.equal(list.code, 0, list.stderr);
        const e = JSON.parse(list.stdout).items.find((x) => x.id === id);
        assert.deepEqual({ kind: e.kind, value: e.value, reason: e.reason, tenant_id: e.tenant_id ?? null },
            { kind: 'ip', value: '127.0.0.1', reason: 'test', tenant_id: null });
        // Tenant admins see platform entries (why a source is refused), marked
        // scope "platform", and cannot lift them.
        const seen = (await srv.api('GET', '/admin/blacklist', { token: tok.admin })).json.items.find((x) => x.id === id);
        assert.deepEqual([seen?.scope, seen?.reason], ['platform', 'test'], JSON.stringify(seen));
        expectError(await srv.api('DELETE', `/admin/blacklist/${id}`, { token: tok.admin }), 404, 'not_found',
            null, 'a platform entry is not the tenant\'s to lift');
        const rm = await srv.cli(['blacklist', 'remove', id]);
        assert.equal(rm.code, 0, rm.stderr);
        expectStatus(await srv.login('acme', 'root.admin', PASSWORDS.admin), 200, 'lifted');
        assert.notEqual((await srv.cli(['blacklist', 'remove', id])).code, 0, 'removed twice');
        for (const bad of [['add'], ['add', '--ip', '300.1.1.1'], ['add', '--ip', '10.0.0.0/8'],
            ['add', '--device', 'nope'], ['frobnicate'], ['remove', 'x']]) {
            assert.equal((await srv.cli(['blacklist', ...bad])).code, 2, bad.join(' '));
        }
    });

    test('5. every response met the generic rules; no secret reached the log', () => {
        srv.checkResponses();
        srv.checkLogsClean();
    });
});

describe('protect: a password that fails today\'s rules must be changed (AUTH-6)', () => {
    // The weak list is a file of the data dir: the account's password is
    // added to it between two runs of the server ("today's rules").
    let data;
    let srv;
    const first = [];
    let adminToken;
    const listDir = mkdtempSync(path.join(tmpdir(), 'sv-api-weak-'));
    const list = path.join(listDir, 'weak.lst');

    before(async () => {
        writeFileSync(list, 'password\nQz8#mPv4@Lr7\n');
        data = await makeDataDir({
            name: 'protect-weak',
            conf: { auth: GUARD, password: { blocklist: list } },
            tenants: [{ slug: 'acme', name: 'Acme Corp', admin: 'root.admin', users: [{ username: 'alice' }] }],
        });
        srv = await serve(data.dir, { name: 'protect-weak' });
        first.push(srv);
        const acme = data.tenants.acme;
        adminToken = (await srv.activate('acme', 'root.admin', acme.admin.temporary_password, PASSWORDS.admin)).token;
        await srv.activate('acme', 'alice', acme.users.alice.temporary_password, PASSWORDS.p2);
        srv.checkResponses();
        assert.deepEqual(await srv.stop(), { code: 0, signal: null });
        appendFileSync(list, `${PASSWORDS.p2}\n`);
        srv = await serve(data.dir, { name: 'protect-weak-2' });
    });
    after(async () => {
        try {
            if (srv) assert.deepEqual(await srv.stop(), { code: 0, signal: null });
        } finally {
            if (data && !process.env.SV_TEST_KEEP) rmSync(data.dir, { recursive: true, force: true });
            rmSync(listDir, { recursive: true, force: true });
        }
    });

    let token;
    test('1. the login succeeds but flags must_change_password; the session may only change the password', async () => {
        const r = await srv.login('acme', 'alice', PASSWORDS.p2);
        expectStatus(r, 200);
        expectKeys(r.json, SESSION_KEYS, 'session');
        assert.equal(r.json.must_change_password, true);
        token = r.json.token;
        expectError(await srv.api('GET', '/me/inbox', { token }), 403, 'password_change_required');
        expectError(await srv.api('POST', '/me/password', { token, body: { current: PASSWORDS.p2, new: 'Qz8#mPv4@Lr7' } }), 400,
            'password_common', 'new');
    });

    test('2. an auth.risk audit event (weak_password) and, after the change, an inbox item of kind risk', async () => {
        const ev = (await auditOf(srv, adminToken, 'auth.risk')).filter((e) => e.actor === 'alice');
        assert.equal(ev.length, 1);
        assert.equal(ev[0].reason, 'weak_password');
        expectStatus(await srv.api('POST', '/me/password', { token, body: { current: PASSWORDS.p2, new: PASSWORDS.p3 } }), 204);
        const inbox = await srv.api('GET', '/me/inbox', { token });
        expectStatus(inbox, 200);
        const risk = inbox.json.items.filter((m) => m.kind === 'risk');
        assert.equal(risk.length, 1);
        assert.equal(risk[0].title, 'Your password must be changed');
        // The new password is fine: no flag at the next login.
        const l = await srv.login('acme', 'alice', PASSWORDS.p3);
        expectStatus(l, 200);
        assert.equal(l.json.must_change_password, false);
    });

    test('3. every response met the generic rules; no secret reached the log', () => {
        srv.checkResponses();
        srv.checkLogsClean();
        for (const s of first) s.checkLogsClean();
    });
});
