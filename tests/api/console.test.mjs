// The web console's server pieces (issue 10): inbox read state (AUTH-7),
// tenant security settings (AUTH-1, AUTH-8), the password check as you type
// (AUTH-1), the admin's users list (search, lock, factors) and the security
// dashboard (AUD-3, AUTH-4, AUTH-5).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, UUID_RE, expectError, expectKeys, expectStatus, expectTime, listAll, startServer,
} from './lib/server.mjs';
import { solveCaptcha, step, totp } from './lib/device.mjs';

const COMMON = 'Summer-2024-Fun';
const USER_KEYS = ['id', 'username', 'role', 'email', 'must_change_password', 'created_at',
    'locked', 'locked_until', 'totp', 'phone'];
const DEFAULT_RULES = [
    { rule: 'length', min: 6, max: 20 }, { rule: 'classes', min: 2 }, { rule: 'no_context' },
    { rule: 'not_common' }, { rule: 'score', min: 2 },
];

describe('console: inbox read state, settings, password check, users list', () => {
    let srv;
    let acme;
    let listDir;
    const tok = {};

    before(async () => {
        listDir = mkdtempSync(path.join(tmpdir(), 'sv-api-console-'));
        const list = path.join(listDir, 'blocklist.txt');
        writeFileSync(list, `# test list\n${COMMON.toLowerCase()}\n`);
        srv = await startServer({
            name: 'console',
            conf: { password: { blocklist: list } },
            tenants: [
                {
                    slug: 'acme', name: 'Acme Corp', admin: 'boss',
                    users: [{ username: 'alice', email: 'alice@example.com' },
                        { username: 'bob', email: 'Robert77@Example.com' }, { username: 'carol' }],
                },
                { slug: 'beta', name: 'Beta Ltd', admin: 'olga', users: [{ username: 'alina' }] },
            ],
        });
        acme = srv.tenants.acme;
        tok.boss = (await srv.activate('acme', 'boss', acme.admin.temporary_password, PASSWORDS.admin)).token;
        tok.alice = (await srv.activate('acme', 'alice', acme.users.alice.temporary_password, PASSWORDS.p1)).token;
        tok.bob = (await srv.activate('acme', 'bob', acme.users.bob.temporary_password, PASSWORDS.p2)).token;
        tok.olga = (await srv.activate('beta', 'olga', srv.tenants.beta.admin.temporary_password,
            PASSWORDS.admin2)).token;
    });
    after(async () => {
        await srv?.cleanup();
        if (listDir) rmSync(listDir, { recursive: true, force: true });
    });

    const inbox = async (token) => {
        const r = await srv.api('GET', '/me/inbox?limit=200', { token });
        expectStatus(r, 200);
        return r.json;
    };
    const unread = async (token) => {
        const r = await srv.api('GET', '/me/inbox/unread', { token });
        expectStatus(r, 200);
        expectKeys(r.json, ['unread'], 'unread');
        return r.json.unread;
    };

    // ---- 1. inbox read state (AUTH-7 "notices seen") ----

    test('1. GET /me/inbox: every item has read (false at first), the answer the account\'s unread count', async () => {
        for (let i = 0; i < 3; i++) expectStatus(await srv.login('acme', 'alice', PASSWORDS.p1), 200); // a notice each
        const r = await inbox(tok.alice);
        expectKeys(r, ['items', 'next_cursor', 'unread'], 'inbox');
        assert.ok(r.items.length >= 4, `${r.items.length} notices`);
        for (const m of r.items) {
            expectKeys(m, ['id', 'kind', 'title', 'body', 'created_at', 'read'], 'item');
            assert.equal(m.read, false);
        }
        assert.equal(r.unread, r.items.length);
        assert.equal(await unread(tok.alice), r.items.length);
        // A page of one still counts them all.
        const one = await srv.api('GET', '/me/inbox?limit=1', { token: tok.alice });
        assert.equal(one.json.items.length, 1);
        assert.equal(one.json.unread, r.items.length);
    });

    test('2. POST /me/inbox/read {up_to}: that item and every older one read; {all: true}: the rest', async () => {
        const before = (await inbox(tok.alice)).items; // newest first
        const r = await srv.api('POST', '/me/inbox/read', { token: tok.alice, body: { up_to: before[1].id } });
        expectStatus(r, 200);
        assert.deepEqual(r.json, { unread: 1 });
        const now = await inbox(tok.alice);
        assert.deepEqual(now.items.map((m) => m.read), before.map((_, i) => i >= 1));
        assert.equal(now.unread, 1);
        assert.equal(await unread(tok.alice), 1);
        // Again: nothing more to mark.
        assert.deepEqual((await srv.api('POST', '/me/inbox/read', { token: tok.alice, body: { up_to: before[1].id } })).json,
            { unread: 1 });
        const all = await srv.api('POST', '/me/inbox/read', { token: tok.alice, body: { all: true } });
        expectStatus(all, 200);
        assert.deepEqual(all.json, { unread: 0 });
        assert.ok((await inbox(tok.alice)).items.every((m) => m.read));
        // A new notice is unread.
        expectStatus(await srv.login('acme', 'alice', PASSWORDS.p1), 200);
        assert.equal(await unread(tok.alice), 1);
    });

    test('3. POST /me/inbox/read: bad bodies -> 400 naming the field; an unknown id or anyone else\'s -> 404', async () => {
        const post = (body) => srv.api('POST', '/me/inbox/read', { token: tok.alice, body });
        expectError(await post({}), 400, 'field_missing', 'up_to');
        expectError(await post({ up_to: 'not-an-id' }), 400, 'field_invalid', 'up_to');
        expectError(await post({ up_to: 7 }), 400, 'field_invalid', 'up_to');
        expectError(await post({ all: false }), 400, 'field_invalid', 'all');
        expectError(await post({ all: 'yes' }), 400, 'field_invalid', 'all');
        expectError(await post({ all: true, up_to: randomUUID() }), 400, 'field_invalid', 'all');
        expectError(await post({ up_to: randomUUID(), extra: 1 }), 400, 'field_unknown', 'extra');
        expectError(await post({ up_to: randomUUID() }), 404, 'not_found', null, 'unknown id');
        // Bob's and another tenant's notices: never the caller's to mark.
        const bobs = await inbox(tok.bob);
        const olgas = await inbox(tok.olga);
        assert.ok(bobs.items.length > 0 && olgas.items.length > 0);
        expectError(await post({ up_to: bobs.items[0].id }), 404, 'not_found', null, 'bob\'s item');
        expectError(await post({ up_to: olgas.items[0].id }), 404, 'not_found', null, 'beta\'s item');
        expectError(await srv.api('POST', '/me/inbox/read', { token: tok.olga, body: { up_to: bobs.items[0].id } }),
            404, 'not_found', null, 'tenant B marking tenant A\'s item');
        // {all} marks only the caller's.
        expectStatus(await post({ all: true }), 200);
        assert.equal(await unread(tok.bob), bobs.unread);
        assert.equal(await unread(tok.olga), olgas.unread);
        assert.ok(bobs.unread > 0);
    });

    test('4. inbox routes without a session -> 401', async () => {
        expectError(await srv.api('GET', '/me/inbox/unread'), 401, 'unauthenticated');
        expectError(await srv.api('POST', '/me/inbox/read', { body: { all: true } }), 401, 'unauthenticated');
    });

    // ---- 4. the password check as you type (AUTH-1) ----

    const check = (token, password) => {
        if (typeof password === 'string' && password.length > 3) srv.secrets.add(password);
        return srv.api('POST', '/me/password/check', { token, body: { password } });
    };

    test('5. POST /me/password/check: a good password -> ok, code null, its score, every rule ok', async () => {
        const r = await check(tok.alice, PASSWORDS.p3);
        expectStatus(r, 200);
        expectKeys(r.json, ['ok', 'code', 'score', 'min_score', 'rules'], 'check');
        assert.equal(r.json.ok, true);
        assert.equal(r.json.code, null);
        assert.ok(Number.isInteger(r.json.score) && r.json.score >= 2 && r.json.score <= 4, `score ${r.json.score}`);
        assert.equal(r.json.min_score, 2);
        assert.deepEqual(r.json.rules, DEFAULT_RULES.map((x) => ({ rule: x.rule, ok: true })));
    });

    test('6. each refusal names the code POST /me/password would answer, and the rules that fail', async () => {
        const cases = [
            ['Ab1!', 'password_too_short', ['length']],
            ['Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!', 'password_too_long', ['length']],
            ['abcdefghijkl', 'password_too_simple', ['classes']],
            ['Xalice-9-Qz', 'password_contains_personal', ['no_context']],
            ['Acme-9-Qzvt', 'password_contains_personal', ['no_context']], // the tenant slug
            ['zq-acme corp-7', 'password_contains_personal', ['no_context']], // the tenant name
            [COMMON, 'password_common', ['not_common']],
            ['abc123', 'password_too_weak', ['score']],
        ];
        for (const [pw, code, failing] of cases) {
            const r = await check(tok.alice, pw);
            expectStatus(r, 200, pw);
            assert.equal(r.json.ok, false, pw);
            assert.equal(r.json.code, code, pw);
            for (const x of r.json.rules) {
                if (failing.includes(x.rule)) assert.equal(x.ok, false, `${pw}: ${x.rule}`);
            }
            if (code === 'password_too_weak') assert.ok(r.json.score < r.json.min_score);
        }
        // The e-mail's local part is a context word too (bob's, as stored).
        const e = await check(tok.bob, 'x-robert77-Q');
        assert.equal(e.json.code, 'password_contains_personal');
        // The same verdict as the real change, on the same account.
        for (const [pw, code] of [['abcdefghijkl', 'password_too_simple'], [COMMON, 'password_common'],
            ['Xalice-9-Qz', 'password_contains_personal']]) {
            expectError(await srv.api('POST', '/me/password', { token: tok.alice, body: { current: PASSWORDS.p1, new: pw } }),
                400, code, 'new', `change to ${pw}`);
        }
    });

    test('7. the forced-change session may check (its screen uses it); the cap: 1024 bytes scored, 1025 refused', async () => {
        const l = await srv.login('acme', 'carol', acme.users.carol.temporary_password);
        expectStatus(l, 200);
        assert.equal(l.json.must_change_password, true);
        expectError(await srv.api('GET', '/me/inbox', { token: l.json.token }), 403, 'password_change_required');
        const r = await check(l.json.token, 'Abcarol-77-x');
        expectStatus(r, 200);
        assert.equal(r.json.code, 'password_contains_personal');
        const ok = await check(l.json.token, PASSWORDS.p4);
        assert.equal(ok.json.ok, true);
        const long = await check(tok.alice, 'aZ3$'.repeat(256)); // 1024 bytes
        expectStatus(long, 200);
        assert.equal(long.json.code, 'password_too_long');
        assert.equal(long.json.rules.find((x) => x.rule === 'length').ok, false);
        const multi = await check(tok.alice, 'é'.repeat(512)); // 1024 bytes, 512 characters
        expectStatus(multi, 200);
        assert.equal(multi.json.code, 'password_too_long');
        expectError(await check(tok.alice, 'a'.repeat(1025)), 400, 'field_invalid', 'password');
        expectError(await check(tok.alice, 'é'.repeat(513)), 400, 'field_invalid', 'password');
    });

    test('8. POST /me/password/check: bad bodies -> 400 naming the field; no session -> 401', async () => {
        expectError(await srv.api('POST', '/me/password/check', { token: tok.alice, body: {} }), 400, 'field_missing', 'password');
        expectError(await check(tok.alice, ''), 400, 'field_invalid', 'password');
        expectError(await check(tok.alice, 12345678), 400, 'field_invalid', 'password');
        expectError(await srv.api('POST', '/me/password/check', { token: tok.alice, body: { password: 'x', new: 'y' } }),
            400, 'field_unknown', 'new');
        expectError(await srv.api('POST', '/me/password/check', { body: { password: PASSWORDS.p3 } }), 401, 'unauthenticated');
        // Not audited: it changes nothing.
        const ev = await srv.api('GET', '/audit/events?limit=200', { token: tok.boss });
        assert.ok(!ev.json.items.some((e) => /check/.test(e.action)));
    });

    // ---- 3. tenant security settings ----

    test('9. GET /admin/settings: the tenant\'s policy and its rules; members 403; no session 401', async () => {
        const r = await srv.api('GET', '/admin/settings', { token: tok.boss });
        expectStatus(r, 200);
        assert.deepEqual(r.json, {
            require_mfa: false, password_policy: 'default', password_min_score: 2, rules: DEFAULT_RULES,
            phone_region: 'CN', mask_phones: true, phone_reveals_per_day: 20,
        });
        expectError(await srv.api('GET', '/admin/settings', { token: tok.alice }), 403, 'forbidden');
        expectError(await srv.api('GET', '/admin/settings'), 401, 'unauthenticated');
        expectError(await srv.api('PATCH', '/admin/settings', { token: tok.alice, body: { password_min_score: 0 } }),
            403, 'forbidden');
        expectError(await srv.api('PATCH', '/admin/settings', { body: { password_min_score: 0 } }), 401, 'unauthenticated');
    });

    test('10. PATCH /admin/settings: bad values -> 400 naming the field, nothing changed', async () => {
        const patch = (body) => srv.api('PATCH', '/admin/settings', { token: tok.boss, body });
        expectError(await patch({}), 400, 'field_missing', 'require_mfa');
        expectError(await patch({ password_policy: 'strict' }), 400, 'field_invalid', 'password_policy');
        expectError(await patch({ password_policy: 3 }), 400, 'field_invalid', 'password_policy');
        expectError(await patch({ password_min_score: 5 }), 400, 'field_invalid', 'password_min_score');
        expectError(await patch({ password_min_score: -1 }), 400, 'field_invalid', 'password_min_score');
        expectError(await patch({ password_min_score: '3' }), 400, 'field_invalid', 'password_min_score');
        expectError(await patch({ password_min_score: 2.5 }), 400, 'field_invalid', 'password_min_score');
        expectError(await patch({ require_mfa: 'on' }), 400, 'field_invalid', 'require_mfa');
        expectError(await patch({ password_min_score: 3, colour: 'red' }), 400, 'field_unknown', 'colour');
        const r = await srv.api('GET', '/admin/settings', { token: tok.boss });
        assert.equal(r.json.password_policy, 'default');
        assert.equal(r.json.password_min_score, 2);
    });

    test('11. PATCH /admin/settings: the new settings, audited tenant.policy; the check follows; tenant B untouched', async () => {
        const r = await srv.api('PATCH', '/admin/settings', {
            token: tok.boss, body: { password_policy: 'nist', password_min_score: 3 },
        });
        expectStatus(r, 200);
        assert.deepEqual(r.json, {
            require_mfa: false, password_policy: 'nist', password_min_score: 3,
            rules: [{ rule: 'length', min: 8, max: 64 }, { rule: 'no_context' }, { rule: 'not_common' },
                { rule: 'score', min: 3 }],
            phone_region: 'CN', mask_phones: true, phone_reveals_per_day: 20,
        });
        // The check (and so the change) follows the new policy at once.
        const c = await check(tok.alice, 'abcdefghijklmnopqrstuvwxyz-long-but-simple');
        assert.equal(c.json.min_score, 3);
        assert.deepEqual(c.json.rules.map((x) => x.rule), ['length', 'no_context', 'not_common', 'score']);
        assert.equal((await check(tok.alice, 'Ab1!xyz')).json.code, 'password_too_short');
        // require_mfa on and off again (on would send the suite's logins to enrolment).
        const on = await srv.api('PATCH', '/admin/settings', { token: tok.boss, body: { require_mfa: true } });
        expectStatus(on, 200);
        assert.equal(on.json.require_mfa, true);
        assert.equal(on.json.password_policy, 'nist', 'untouched fields stay');
        const off = await srv.api('PATCH', '/admin/settings', {
            token: tok.boss, body: { require_mfa: false, password_policy: 'default', password_min_score: 2 },
        });
        expectStatus(off, 200);
        assert.deepEqual(off.json.rules, DEFAULT_RULES);
        // Tenant B's settings never moved, and B's admin sees only B's.
        const b = await srv.api('GET', '/admin/settings', { token: tok.olga });
        assert.deepEqual(b.json, {
            require_mfa: false, password_policy: 'default', password_min_score: 2, rules: DEFAULT_RULES, phone_region: 'CN', mask_phones: true, phone_reveals_per_day: 20,
        });
        // Three tenant.policy events by boss, each naming what changed and what it was.
        const ev = await listAll(srv, tok.boss, '/audit/events', { action: 'tenant.policy' });
        assert.equal(ev.length, 3);
        for (const e of ev) {
            assert.equal(e.actor_id, acme.admin.id);
            assert.equal(e.result, 'success');
            assert.equal(e.target_id, acme.tenant.id);
        }
        const oldest = ev.at(-1).details;
        assert.deepEqual(oldest, { password_policy: 'nist', password_min_score: 3,
            was: { password_policy: 'default', password_min_score: 2 } });
        assert.deepEqual(ev[1].details, { require_mfa: true, was: { require_mfa: false } });
        // Not in tenant B's log.
        assert.deepEqual(await listAll(srv, tok.olga, '/audit/events', { action: 'tenant.policy' }), []);
    });

    // ---- 5. the admin's users list ----

    const users = async (query = '', token = tok.boss) => {
        const r = await srv.api('GET', `/users${query}`, { token });
        expectStatus(r, 200, query);
        return r.json;
    };

    test('12. GET /users: each account with locked, locked_until, totp and a masked phone', async () => {
        const r = await users();
        assert.deepEqual(r.items.map((u) => u.username).sort(), ['alice', 'bob', 'boss', 'carol']);
        for (const u of r.items) {
            expectKeys(u, USER_KEYS, u.username);
            assert.equal(u.locked, false);
            assert.equal(u.locked_until, null);
            assert.equal(u.totp, false);
            assert.equal(u.phone, null);
        }
        // A phone bound (PATCH /users/{id}), an authenticator enrolled.
        expectStatus(await srv.api('PATCH', `/users/${acme.users.alice.id}`, {
            token: tok.boss, body: { phone: '+8613812345678' },
        }), 204);
        const start = await srv.api('POST', '/me/totp', { token: tok.bob });
        expectStatus(start, 200);
        srv.secrets.add(start.json.secret);
        expectStatus(await srv.api('POST', '/me/totp/confirm', {
            token: tok.bob, body: { code: totp(start.json.secret) },
        }), 200);
        const now = await users();
        const by = Object.fromEntries(now.items.map((u) => [u.username, u]));
        assert.equal(by.alice.phone, '+86*******5678');
        assert.equal(by.alice.totp, false);
        assert.equal(by.bob.totp, true);
        assert.equal(by.bob.phone, null);
        const raw = await srv.api('GET', '/users', { token: tok.boss });
        assert.ok(!raw.text.includes('13812345678'), 'the number never leaves unmasked');
    });

    test('13. GET /users?q=: a username prefix, case-insensitive, wildcards literal; a whole e-mail; paged', async () => {
        const names = async (q) => (await users(`?q=${encodeURIComponent(q)}`)).items.map((u) => u.username).sort();
        assert.deepEqual(await names('al'), ['alice']);
        assert.deepEqual(await names('AL'), ['alice']);
        assert.deepEqual(await names('b'), ['bob', 'boss']);
        assert.deepEqual(await names('bo'), ['bob', 'boss']);
        assert.deepEqual(await names('b_'), [], '_ is not a wildcard');
        assert.deepEqual(await names('%'), [], '% is not a wildcard');
        assert.deepEqual(await names('\\'), []);
        assert.deepEqual(await names('lice'), [], 'a prefix, not a substring');
        assert.deepEqual(await names('robert77@example.com'), ['bob']);
        assert.deepEqual(await names('ROBERT77@EXAMPLE.COM'), ['bob']);
        assert.deepEqual(await names('alice@example.com'), ['alice']);
        const p1 = await users('?q=b&limit=1');
        assert.equal(p1.items.length, 1);
        assert.ok(p1.next_cursor);
        const p2 = await users(`?q=b&limit=1&cursor=${encodeURIComponent(p1.next_cursor)}`);
        assert.equal(p2.items.length, 1);
        assert.equal(p2.next_cursor, null);
        assert.deepEqual([p1.items[0].username, p2.items[0].username].sort(), ['bob', 'boss']);
    });

    test('14. GET /users?q= out of bounds -> 400 q; members 403; no session 401; tenant B sees none of A', async () => {
        expectError(await srv.api('GET', '/users?q=', { token: tok.boss }), 400, 'field_invalid', 'q');
        expectError(await srv.api('GET', `/users?q=${'a'.repeat(65)}`, { token: tok.boss }), 400, 'field_invalid', 'q');
        assert.deepEqual((await users(`?q=${'a'.repeat(64)}`)).items, []);
        expectError(await srv.api('GET', '/users?q=al', { token: tok.alice }), 403, 'forbidden');
        expectError(await srv.api('GET', '/users?q=al'), 401, 'unauthenticated');
        const b = await users('?q=al', tok.olga);
        assert.deepEqual(b.items.map((u) => u.username), ['alina']);
        assert.deepEqual((await users('?q=robert77@example.com', tok.olga)).items, []);
        const all = await users('', tok.olga);
        assert.deepEqual(all.items.map((u) => u.username).sort(), ['alina', 'olga']);
    });

    test('14b. GET /users/{id}: one account as the list shows it; another tenant\'s id 404; members 403', async () => {
        const list = Object.fromEntries((await users()).items.map((u) => [u.username, u]));
        for (const name of ['alice', 'bob']) {
            const r = await srv.api('GET', `/users/${list[name].id}`, { token: tok.boss });
            expectStatus(r, 200);
            expectKeys(r.json, USER_KEYS, name);
            assert.deepEqual(r.json, list[name], `${name} as listed`);
        }
        assert.equal(list.alice.phone, '+86*******5678');
        expectError(await srv.api('GET', `/users/${list.alice.id}`, { token: tok.olga }), 404, 'not_found');
        expectError(await srv.api('GET', `/users/${randomUUID()}`, { token: tok.boss }), 404, 'not_found');
        expectError(await srv.api('GET', '/users/not-a-uuid', { token: tok.boss }), 404, 'not_found');
        expectError(await srv.api('GET', `/users/${list.bob.id}`, { token: tok.alice }), 403, 'forbidden');
        expectError(await srv.api('GET', `/users/${list.bob.id}`), 401, 'unauthenticated');
    });

    test('14c. GET /me/factors: the caller\'s authenticator and masked phone, nobody else\'s', async () => {
        const mine = async (token) => {
            const r = await srv.api('GET', '/me/factors', { token });
            expectStatus(r, 200);
            expectKeys(r.json, ['totp', 'phone'], 'factors');
            return r.json;
        };
        assert.deepEqual(await mine(tok.alice), { totp: false, phone: '+86*******5678' });
        assert.deepEqual(await mine(tok.bob), { totp: true, phone: null });
        assert.deepEqual(await mine(tok.olga), { totp: false, phone: null });
        const raw = await srv.api('GET', '/me/factors', { token: tok.alice });
        assert.ok(!raw.text.includes('13812345678'), 'the number never leaves unmasked');
        expectError(await srv.api('GET', '/me/factors'), 401, 'unauthenticated');
    });

    test('15. no password the suite checked is in the server\'s log', () => {
        srv.checkLogsClean();
        srv.checkResponses();
    });
});

// ---- 2. the security dashboard ----

const GUARD = {
    captcha_after: 3, lock_after: 3, lock_base_s: 300, lock_max_s: 600, failure_decay_s: 900,
    stuffing_accounts: 4, stuffing_window_s: 600, blacklist_s: 3600,
};
const WRONG = 'Nope-9-wrong!';
const COUNT_KEYS = ['failed_logins', 'locks', 'blacklisted'];
const ZERO = { failed_logins: 0, locks: 0, blacklisted: 0 };

describe('console: GET /admin/security/summary counts real failures, locks and blacklistings', () => {
    let srv;
    let acme;
    const tok = {};

    before(async () => {
        srv = await startServer({
            name: 'console-summary',
            conf: { auth: GUARD },
            tenants: [
                { slug: 'acme', name: 'Acme Corp', admin: 'boss', users: [{ username: 'alice' }] },
                { slug: 'beta', name: 'Beta Ltd', admin: 'olga' },
            ],
        });
        acme = srv.tenants.acme;
        tok.boss = (await srv.activate('acme', 'boss', acme.admin.temporary_password, PASSWORDS.admin)).token;
        tok.alice = (await srv.activate('acme', 'alice', acme.users.alice.temporary_password, PASSWORDS.p1)).token;
        tok.olga = (await srv.activate('beta', 'olga', srv.tenants.beta.admin.temporary_password,
            PASSWORDS.admin2)).token;
    });
    after(async () => { await srv?.cleanup(); });

    const summary = async (token = tok.boss) => {
        const r = await srv.api('GET', '/admin/security/summary', { token });
        expectStatus(r, 200);
        expectKeys(r.json, ['last_24h', 'last_30d', 'days'], 'summary');
        expectKeys(r.json.last_24h, COUNT_KEYS, 'last_24h');
        expectKeys(r.json.last_30d, COUNT_KEYS, 'last_30d');
        assert.equal(r.json.days.length, 30);
        const today = new Date().toISOString().slice(0, 10);
        assert.equal(r.json.days.at(-1).day, today);
        for (let i = 0; i < 30; i++) {
            const d = r.json.days[i];
            expectKeys(d, ['day', ...COUNT_KEYS], 'day');
            assert.match(d.day, /^\d{4}-\d{2}-\d{2}$/);
            if (i > 0) assert.equal(Date.parse(d.day) - Date.parse(r.json.days[i - 1].day), 86400000, 'consecutive');
        }
        // last_30d is the sum of the days.
        for (const k of COUNT_KEYS) assert.equal(r.json.last_30d[k], r.json.days.reduce((n, d) => n + d[k], 0), k);
        return r.json;
    };
    /** A wrong password for @p name, through a CAPTCHA when one is due. */
    const fail = async (name) => {
        const l = await srv.login('acme', name, WRONG);
        if (l.status !== 200) return l;
        const c = l.json.challenge;
        assert.deepEqual(c?.next, ['captcha'], name);
        return step(srv, c, 'captcha', { body: { answer: await solveCaptcha(srv, c), password: WRONG } });
    };
    const failedInLog = async (token) => (await listAll(srv, token, '/audit/events', { action: 'auth.login' }))
        .filter((e) => e.result !== 'success').length;

    test('1. a quiet tenant: zeros, 30 days ending today (UTC), oldest first', async () => {
        const s = await summary();
        assert.deepEqual(s.last_24h, ZERO);
        assert.deepEqual(s.last_30d, ZERO);
        for (const d of s.days) assert.deepEqual({ ...d, day: undefined }, { ...ZERO, day: undefined });
    });

    test('2. lock_after (3) wrong passwords: 3 failed sign-ins and a lock; GET /users shows alice locked until then', async () => {
        for (let i = 1; i <= GUARD.lock_after; i++) {
            expectError(await fail('alice'), 401, 'invalid_credentials', null, `try ${i}`);
        }
        expectError(await srv.login('acme', 'alice', PASSWORDS.p1), 429, 'login_locked', null, 'locked');
        const s = await summary();
        const failed = await failedInLog(tok.boss);
        assert.ok(failed >= GUARD.lock_after, `${failed} failures in the log`);
        assert.deepEqual(s.last_24h, { failed_logins: failed, locks: 1, blacklisted: 0 });
        assert.deepEqual(s.last_30d, s.last_24h);
        assert.deepEqual({ ...s.days.at(-1), day: undefined }, { ...s.last_24h, day: undefined });
        // The users list shows the name lock.
        const u = await srv.api('GET', '/users', { token: tok.boss });
        const alice = u.json.items.find((x) => x.username === 'alice');
        assert.equal(alice.locked, true);
        expectTime(alice.locked_until, 'locked_until');
        const left = Date.parse(alice.locked_until) - Date.now();
        assert.ok(left > 0 && left <= GUARD.lock_base_s * 1000 + 5000, `${left} ms left`);
        assert.equal(u.json.items.find((x) => x.username === 'boss').locked, false);
        // Unlocked by the admin: the list follows.
        expectStatus(await srv.api('POST', `/users/${acme.users.alice.id}/unlock`, { token: tok.boss }), 204);
        const v = await srv.api('GET', '/users?q=alice', { token: tok.boss });
        assert.deepEqual([v.json.items[0].locked, v.json.items[0].locked_until], [false, null]);
    });

    test('3. failing on stuffing_accounts (4) names from one address blacklists it: counted once', async () => {
        // alice counted as one name already, unless the unlock forgot it.
        for (const name of ['ghost1', 'ghost2', 'ghost3', 'ghost4']) {
            const r = await fail(name);
            if (r.status === 403) break;
            expectError(r, 401, 'invalid_credentials', null, name);
        }
        expectError(await srv.login('acme', 'boss', PASSWORDS.admin), 403, 'blacklisted');
        const s = await summary();
        const failed = await failedInLog(tok.boss);
        assert.deepEqual(s.last_24h, { failed_logins: failed, locks: 1, blacklisted: 1 });
        assert.deepEqual(s.last_30d, s.last_24h);
        assert.ok(failed >= GUARD.lock_after + 3);
        for (const d of s.days.slice(0, -1)) assert.deepEqual({ ...d, day: undefined }, { ...ZERO, day: undefined });
    });

    test('4. tenant B\'s admin sees only B: zeros; members 403; no session 401', async () => {
        const b = await summary(tok.olga);
        assert.deepEqual(b.last_24h, ZERO);
        assert.deepEqual(b.last_30d, ZERO);
        expectError(await srv.api('GET', '/admin/security/summary', { token: tok.alice }), 403, 'forbidden');
        expectError(await srv.api('GET', '/admin/security/summary'), 401, 'unauthenticated');
        assert.match(acme.tenant.id, UUID_RE);
    });
});
