// Login-flow hardening (docs/auth-flow.md sections 1-4; AUTH-4 lock and
// CAPTCHA, AUTH-3 reset, AUTH-8 require_mfa, DEV-4 approvals). Each test
// proves one fix of the security review:
//   1. the account lock covers the second-factor steps, not only the password;
//   2. parallel guesses cannot slip past captcha_after / lock_after;
//   3. enrolling TOTP unrestricts only the enrolling session;
//   4. a password change closes the logins still in progress;
//   5. push approvals are bounded per login, and a denial counts as a failure;
//   6. reset codes are refused while the account is locked;
//   7. /me/password is allowed while MFA enrolment is pending.
//
// Every request comes from 127.0.0.1, whose failures count like the account
// name's, and [auth] captcha_after may not exceed lock_after: so each
// scenario that counts failures on purpose (the lock, the reset, the
// parallel guesses) has a server of its own, with fresh counters.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, expectError, expectKeys, expectStatus, sleep, startServer,
} from './lib/server.mjs';
import { Device, step, totp } from './lib/device.mjs';

const WRONG = 'Nope-9-wrong!';
const SESSION_KEYS = ['token', 'expires_at', 'must_change_password', 'device_id', 'mfa_pending'];

/** A 6-digit code that is none of the codes the server's ±1 step window accepts. */
function wrongCode(secret, now = Date.now()) {
    const near = new Set([-60e3, -30e3, 0, 30e3, 60e3].map((d) => totp(secret, now + d)));
    for (let n = 123456; ; n = (n + 111111) % 1000000) {
        const c = String(n).padStart(6, '0');
        if (!near.has(c)) return c;
    }
}

/** A code of the next 30 s step: inside the window, and never the one spent at confirm. */
const nextCode = (secret) => totp(secret, Date.now() + 30e3);

function outboxOf(srv) {
    const f = path.join(srv.dir, 'outbox.jsonl');
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
}

/** The newest SMS to @p to after the outbox had @p seen lines. */
async function smsAfter(srv, seen, to) {
    for (let i = 0; i < 100; i++) {
        const m = outboxOf(srv).slice(seen).filter((x) => x.channel === 'sms' && x.to === to);
        if (m.length) return m[m.length - 1];
        await sleep(50);
    }
    return assert.fail(`no SMS to ${to} in the outbox`);
}

const codeOf = (msg) => {
    const m = /\b(\d{6})\b/.exec(msg.text);
    assert.ok(m, `a 6-digit code in "${msg.text}"`);
    return m[1];
};

/**
 * A server of its own for one scenario (the 127.0.0.1 counters start at
 * zero): tenants 'acme' (and 'strict' when asked), the admin and the users
 * activated, unless listed in `keepTemporary`. Returns {srv, tok, pw,
 * enrolTotp, auditOf, bindPhone}.
 */
async function scenario({ name, auth, acmeUsers = [], strictUsers = null, keepTemporary = [] }) {
    const tenants = [{
        slug: 'acme', name: 'Acme Corp', admin: 'root.admin', users: acmeUsers.map((username) => ({ username })),
    }];
    if (strictUsers) {
        tenants.push({
            slug: 'strict', name: 'Strict Ltd', admin: 'strict.admin',
            users: strictUsers.map((username) => ({ username })),
        });
    }
    const srv = await startServer({ name, conf: { auth: { failure_decay_s: 86400, ...auth } }, tenants });
    const tok = {};
    const pw = {};
    const passwords = [PASSWORDS.p1, PASSWORDS.p2, PASSWORDS.p3, PASSWORDS.p4];
    let n = 0;
    const activate = async (slug, username, temp, password) => {
        tok[username] = (await srv.activate(slug, username, temp, password)).token;
        pw[username] = password;
    };
    await activate('acme', 'root.admin', srv.tenants.acme.admin.temporary_password, PASSWORDS.admin);
    for (const [slug, users] of [['acme', acmeUsers], ['strict', strictUsers || []]]) {
        for (const u of users) {
            if (keepTemporary.includes(u)) continue;
            await activate(slug, u, srv.tenants[slug].users[u].temporary_password, passwords[n++ % passwords.length]);
        }
    }

    /** Enrol and confirm TOTP with @p token; returns the secret. */
    const enrolTotp = async (token, label) => {
        const e = await srv.api('POST', '/me/totp', { token });
        expectStatus(e, 200, `${label}: POST /me/totp`);
        srv.secrets.add(e.json.secret);
        const c = await srv.api('POST', '/me/totp/confirm', { token, body: { code: totp(e.json.secret) } });
        expectStatus(c, 200, `${label}: POST /me/totp/confirm`);
        for (const x of c.json.recovery_codes) srv.secrets.add(x);
        return e.json.secret;
    };
    const auditOf = async (action) => {
        const r = await srv.api('GET', `/audit/events?action=${action}&limit=200`, { token: tok['root.admin'] });
        expectStatus(r, 200, `audit ${action}`);
        return r.json.items;
    };
    const bindPhone = async (username, phone) => {
        const r = await srv.api('PATCH', `/users/${srv.tenants.acme.users[username].id}`,
            { token: tok['root.admin'], body: { phone } });
        expectStatus(r, 204, `bind ${username}'s phone`);
    };
    return { srv, tok, pw, enrolTotp, auditOf, bindPhone };
}

const closeDown = async (srv) => {
    if (!srv) return;
    srv.checkResponses();
    srv.checkLogsClean();
    await srv.cleanup();
};

describe('hardening: the account lock covers the second-factor steps', () => {
    let s;
    let secret;
    before(async () => {
        // captcha_after may not exceed lock_after: both 6, so the CAPTCHA
        // (which the IP's failures would bring) never comes before the lock.
        s = await scenario({ name: 'hardening-lock', auth: { captcha_after: 6, lock_after: 6, lock_base_s: 30 }, acmeUsers: ['otto'] });
        secret = await s.enrolTotp(s.tok.otto, 'otto');
    });
    after(async () => { await closeDown(s?.srv); });

    test('1. wrong TOTP codes on several challenges lock the name; then the RIGHT code on another open challenge -> 429 login_locked', async () => {
        const { srv, pw, tok } = s;
        const newLogin = (label) => new Device('cli', { name: label }).login(srv, 'acme', 'otto', pw.otto);
        // A challenge kept open for the right code at the end.
        const first = await newLogin('spare');
        expectStatus(first, 200, 'first device login');
        expectKeys(first.json, ['challenge'], 'login answer');
        assert.deepEqual(first.json.challenge.next, ['totp'], 'a new cli device of an account with TOTP only');
        const spare = first.json.challenge;

        // More challenges (a right password counts nothing), one wrong code
        // on each (a checked failure: it counts towards the lock), until a
        // fresh login is locked out.
        let locked = null;
        let wrongs = 0;
        for (let i = 0; i < 10; i++) {
            const l = await newLogin(`guess ${i}`);
            if (l.status === 429) { locked = l; break; }
            expectStatus(l, 200, `login ${i}`);
            assert.deepEqual(l.json.challenge?.next, ['totp'], `login ${i}`);
            expectError(await step(srv, l.json.challenge, 'totp', { body: { code: wrongCode(secret) } }),
                401, 'code_invalid', 'code', `wrong code ${i}`);
            wrongs++;
        }
        assert.ok(locked, 'a fresh login is locked out once lock_after (6) wrong codes counted');
        expectError(locked, 429, 'login_locked');
        assert.ok(Number(locked.headers.get('retry-after')) >= 1, 'Retry-After on the locked login');
        assert.equal(wrongs, 6, `locked by the lock_after-th (6th) wrong code, not after ${wrongs}`);

        // The right code on the challenge still open: the lock holds.
        const right = await step(srv, spare, 'totp', { body: { code: nextCode(secret) } });
        assert.equal(right.json?.token, undefined, 'BUG: a locked account got a session through the TOTP step');
        expectError(right, 429, 'login_locked', null, 'the right TOTP code while the name is locked');
        const ra = Number(right.headers.get('retry-after'));
        assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= 30, `a step's lock says when it ends: Retry-After ${ra}`);

        // After the admin's unlock the same code completes that challenge: it was right.
        expectStatus(await srv.api('POST', `/users/${srv.tenants.acme.users.otto.id}/unlock`, { token: tok['root.admin'] }), 204);
        const ok = await step(srv, spare, 'totp', { body: { code: nextCode(secret) } });
        expectStatus(ok, 200, 'the same code after the unlock');
        expectKeys(ok.json, SESSION_KEYS, 'session');
    });
});

describe('hardening: MFA enrolment, password change, approvals', () => {
    let s;
    const PAT_PHONE = '+8613800000001';
    before(async () => {
        s = await scenario({
            name: 'hardening-flow',
            auth: { captcha_after: 20, lock_after: 20, lock_base_s: 30 },
            acmeUsers: ['quin', 'pat'],
            strictUsers: ['mia', 'tom'],
            keepTemporary: ['tom'],
        });
        // mia was activated before the tenant requires MFA; tom keeps his
        // temporary password (test 7).
        const on = await s.srv.cli(['tenant', 'policy', 'strict', '--require-mfa', 'on']);
        assert.equal(on.code, 0, `tenant policy --require-mfa on: ${on.stderr}`);
        await s.bindPhone('pat', PAT_PHONE);
    });
    after(async () => { await closeDown(s?.srv); });

    test('3. enrolling TOTP unrestricts only the enrolling session: A -> /me/inbox 200, B (same account) still 403 mfa_enrolment_required', async () => {
        const { srv, pw } = s;
        const sessions = [];
        for (const label of ['A', 'B']) {
            const l = await srv.login('strict', 'mia', pw.mia);
            expectStatus(l, 200, `login ${label}`);
            expectKeys(l.json, SESSION_KEYS, `session ${label}`);
            assert.equal(l.json.mfa_pending, true, `session ${label} is restricted to enrolment`);
            expectError(await srv.api('GET', '/me/inbox', { token: l.json.token }), 403, 'mfa_enrolment_required',
                null, `session ${label} before enrolment`);
            sessions.push(l.json.token);
        }
        const [a, b] = sessions;
        await s.enrolTotp(a, 'session A');
        expectStatus(await srv.api('GET', '/me/inbox', { token: a }), 200, 'session A after enrolling');
        assert.equal((await srv.api('GET', '/me', { token: a })).json.mfa_pending, false, 'session A is whole');
        expectError(await srv.api('GET', '/me/inbox', { token: b }), 403, 'mfa_enrolment_required', null,
            'BUG: session B never passed a TOTP step, it must stay restricted');
        assert.equal((await srv.api('GET', '/me', { token: b })).json.mfa_pending, true, 'session B still pending');
    });

    test('4. a password change closes the logins in progress: the right TOTP code on the old challenge -> 410 challenge_expired', async () => {
        const { srv, pw, tok } = s;
        const secret = await s.enrolTotp(tok.quin, 'quin');
        const dev = new Device('cli', { name: 'quin laptop' });
        const l = await dev.login(srv, 'acme', 'quin', pw.quin);
        expectStatus(l, 200, 'device login');
        const ch = l.json.challenge;
        assert.ok(ch && ch.next.includes('totp'), `a challenge offering totp: ${l.text}`);

        const change = await srv.api('POST', '/me/password', {
            token: tok.quin, body: { current: pw.quin, new: PASSWORDS.admin2 },
        });
        expectStatus(change, 204, 'the owner changes the password');
        pw.quin = PASSWORDS.admin2;

        const r = await step(srv, ch, 'totp', { body: { code: nextCode(secret) } });
        assert.equal(r.json?.token, undefined, 'BUG: a login that passed the old password finished after the change');
        expectError(r, 410, 'challenge_expired', null, 'the challenge opened with the old password');
    });

    test('5. push approvals: 3 per login, the 4th -> 429 rate_limited; a denial is a failure audited with reason "denied"', async () => {
        const { srv, pw } = s;
        // A trusted cli device, through the SMS step.
        const T = new Device('cli', { name: 'pat laptop' });
        const l = await T.login(srv, 'acme', 'pat', pw.pat);
        expectStatus(l, 200, 'first device login');
        assert.deepEqual(l.json.challenge.next, ['sms_code']);
        const seen = outboxOf(srv).length;
        expectStatus(await step(srv, l.json.challenge, 'sms/send'), 202);
        const v = await step(srv, l.json.challenge, 'sms/verify',
            { body: { code: codeOf(await smsAfter(srv, seen, PAT_PHONE)) } });
        expectStatus(v, 200, 'sms/verify');
        T.token = v.json.token;

        // A second, untrusted device: device_approval is offered.
        const U = new Device('cli', { name: 'pat desktop' });
        const lu = await U.login(srv, 'acme', 'pat', pw.pat);
        expectStatus(lu, 200);
        const ch = lu.json.challenge;
        assert.ok(ch.next.includes('device_approval'), `next ${ch.next}`);
        for (let i = 1; i <= 3; i++) {
            const a = await step(srv, ch, 'approval');
            expectStatus(a, 200, `approval ${i}`);
            assert.ok(Number.isInteger(a.json.number), 'a number to match');
        }
        expectError(await step(srv, ch, 'approval'), 429, 'rate_limited', null, 'the 4th push for one login');

        // A third device's login, one push, denied on the trusted device.
        const listed = await T.request(srv, 'GET', '/devices/self/approvals');
        expectStatus(listed, 200);
        const known = new Set(listed.json.items.map((x) => x.id));
        const W = new Device('cli', { name: 'pat tablet' });
        const lw = await W.login(srv, 'acme', 'pat', pw.pat);
        expectStatus(lw, 200);
        const chW = lw.json.challenge;
        expectStatus(await step(srv, chW, 'approval'), 200, 'approval for the third device');
        const list = await T.request(srv, 'GET', '/devices/self/approvals');
        expectStatus(list, 200);
        const fresh = list.json.items.filter((x) => !known.has(x.id));
        assert.equal(fresh.length, 1, 'one new pending approval');
        const d = await T.request(srv, 'POST', `/devices/self/approvals/${fresh[0].id}`, { body: { decision: 'deny' } });
        expectStatus(d, 204, 'deny');
        const ev = (await s.auditOf('auth.challenge')).find((e) => e.target_id === chW.id && e.result === 'failure');
        assert.ok(ev, `BUG: no auth.challenge failure event for the denied challenge ${chW.id}`);
        assert.equal(ev.reason, 'denied');
    });

    test('7. /me/password is allowed while MFA enrolment is pending: temporary password on a require_mfa tenant -> 204', async () => {
        const { srv } = s;
        const temp = srv.tenants.strict.users.tom.temporary_password;
        const l = await srv.login('strict', 'tom', temp);
        expectStatus(l, 200, 'login with the temporary password');
        expectKeys(l.json, SESSION_KEYS, 'session');
        assert.equal(l.json.must_change_password, true);
        assert.equal(l.json.mfa_pending, true);
        const r = await srv.api('POST', '/me/password', { token: l.json.token, body: { current: temp, new: PASSWORDS.p3 } });
        expectStatus(r, 204, 'BUG: a forced change must be possible before the MFA enrolment');
        // Still restricted to enrolment: the change did not skip the MFA.
        expectError(await srv.api('GET', '/me/inbox', { token: l.json.token }), 403, 'mfa_enrolment_required');
    });
});

describe('hardening: reset codes are under the lock', () => {
    let s;
    const REX_PHONE = '+8613800000002';
    before(async () => {
        s = await scenario({ name: 'hardening-reset', auth: { captcha_after: 6, lock_after: 6, lock_base_s: 30 }, acmeUsers: ['rex'] });
        await s.bindPhone('rex', REX_PHONE);
    });
    after(async () => { await closeDown(s?.srv); });

    test('6. while locked the right reset code -> 400 reset_code_invalid; after the admin unlock a new code -> 204', async () => {
        const { srv, pw, tok } = s;
        for (let i = 1; i <= 6; i++) {
            expectError(await srv.login('acme', 'rex', WRONG), 401, 'invalid_credentials', null, `wrong password ${i}`);
        }
        expectError(await srv.login('acme', 'rex', pw.rex), 429, 'login_locked', null, 'locked after lock_after (6)');

        const newPw = 'Kv5#nRt8@wZm';
        srv.secrets.add(newPw);
        const reset = () => srv.api('POST', '/auth/reset', { body: { tenant: 'acme', username: 'rex', channel: 'sms' } });
        const confirm = (code) => srv.api('POST', '/auth/reset/confirm',
            { body: { tenant: 'acme', username: 'rex', code, new_password: newPw } });
        let seen = outboxOf(srv).length;
        expectStatus(await reset(), 202);
        const code1 = codeOf(await smsAfter(srv, seen, REX_PHONE));
        expectError(await confirm(code1), 400, 'reset_code_invalid', null,
            'BUG: the right reset code worked while the name was locked');

        expectStatus(await srv.api('POST', `/users/${srv.tenants.acme.users.rex.id}/unlock`, { token: tok['root.admin'] }), 204, 'unlock');
        seen = outboxOf(srv).length;
        expectStatus(await reset(), 202);
        const code2 = codeOf(await smsAfter(srv, seen, REX_PHONE));
        expectStatus(await confirm(code2), 204, 'a new code after the unlock');
    });
});

describe('hardening: parallel wrong passwords cannot pass captcha_after', () => {
    let srv;
    const CAPTCHA_AFTER = 3;
    const pw = PASSWORDS.p1;

    before(async () => {
        srv = await startServer({
            name: 'hardening-race',
            conf: {
                auth: {
                    captcha_after: CAPTCHA_AFTER, lock_after: 10, lock_base_s: 30, failure_decay_s: 86400,
                },
            },
            tenants: [{ slug: 'acme', name: 'Acme Corp', admin: 'root.admin', users: [{ username: 'gina' }] }],
        });
        await srv.activate('acme', 'gina', srv.tenants.acme.users.gina.temporary_password, pw);
    });
    after(async () => {
        srv?.checkResponses();
        await srv?.cleanup();
    });

    test('2. 30 wrong passwords at once: at most captcha_after (3) are checked (401); the rest -> CAPTCHA challenge or 429; then the right password gets no session', async (t) => {
        const all = await Promise.all(Array.from({ length: 30 }, () => srv.login('acme', 'gina', WRONG)));
        const tally = {};
        let checked = 0;
        for (const [i, r] of all.entries()) {
            const kind = r.status === 200 ? 'captcha' : `${r.status} ${r.json?.error?.code}`;
            tally[kind] = (tally[kind] || 0) + 1;
            if (r.status === 401) {
                expectError(r, 401, 'invalid_credentials', null, `answer ${i}`);
                checked++;
            } else if (r.status === 200) {
                expectKeys(r.json, ['challenge'], `answer ${i}`);
                assert.deepEqual(r.json.challenge.next, ['captcha'], `answer ${i}`);
            } else {
                // locked, or the source over its open CAPTCHA challenges
                assert.equal(r.status, 429, `answer ${i}`);
                assert.ok(['login_locked', 'rate_limited'].includes(r.json?.error?.code), `answer ${i}: ${r.text}`);
            }
        }
        t.diagnostic(`answers: ${JSON.stringify(tally)}`);
        assert.ok(checked >= 1, `some password was checked: ${JSON.stringify(tally)}`);
        assert.ok(checked <= CAPTCHA_AFTER,
            `BUG: ${checked} parallel guesses had their password checked (captcha_after ${CAPTCHA_AFTER}): ${JSON.stringify(tally)}`);

        const r = await srv.login('acme', 'gina', pw);
        assert.equal(r.json?.token, undefined, `BUG: the right password alone got a session: ${r.text}`);
        if (r.status === 200) {
            assert.deepEqual(r.json.challenge.next, ['captcha'], 'the right password still needs the CAPTCHA');
        } else {
            expectError(r, 429, 'login_locked');
        }
    });
});
