// Devices, signed requests, approvals and QR web login (docs/auth-flow.md
// sections 1-7; DEV-1 signed device requests, DEV-2 trust by SMS, DEV-3 QR
// web login, DEV-4 approvals with number matching, DEV-5 revocation, AUTH-7
// a notice per sign-in). The brute-force defences are in protect.test.mjs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, RFC3339_RE, USER_AGENT, UUID_RE, expectError, expectKeys, expectStatus, expectTime,
    setCookies, sleep, startServer,
} from './lib/server.mjs';
import { Device, PNG_SIGNATURE, step, totp } from './lib/device.mjs';

const SESSION_KEYS = ['token', 'expires_at', 'must_change_password', 'device_id', 'mfa_pending'];
const WEB_SESSION_KEYS = ['csrf', 'expires_at', 'must_change_password', 'device_id', 'mfa_pending'];
const APPROVAL_KEYS = ['id', 'kind', 'browser', 'ip', 'created_at', 'expires_at', 'choices'];
const DEVICE_KEYS = ['id', 'kind', 'name', 'model', 'platform', 'state', 'first_seen_at', 'last_seen_at',
    'last_ip', 'current'];
const QR_TTL_S = 10;
const ALICE_PHONE = '+8613800000000';
const BOB_PHONE = '+8613900001111';

describe('devices: trust by SMS, signed requests, approvals, QR web login, revocation', () => {
    let srv;
    let acme;
    const tok = {}; // API sessions from activation (no device)
    const pw = { alice: PASSWORDS.p1, bob: PASSWORDS.p2, carol: PASSWORDS.p3 };
    // Alice's devices: A (trusted by SMS), B (trusted by A's approval),
    // C (denied), D (number mismatch). Bob's E (trusted by SMS).
    const A = new Device('cli', { name: 'Alice laptop', model: 'ThinkPad X1', platform: 'linux' });
    const B = new Device('cli', { name: 'Alice desktop' });
    const C = new Device('cli', { name: 'Alice tablet' });
    const D = new Device('mobile', { name: 'Alice phone', model: 'Pixel 8', platform: 'android' });
    const E = new Device('cli', { name: 'Bob laptop' });
    let expiring = null; // {qr, createdAt}: a QR left to expire (step 14)

    const outbox = () => {
        let text = '';
        try { text = readFileSync(path.join(srv.dir, 'outbox.jsonl'), 'utf8'); } catch { /* none yet */ }
        return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    };

    /** The SMS sent to @p to after the outbox had @p seen lines. */
    async function smsAfter(seen, to) {
        for (let i = 0; i < 60; i++) {
            const m = outbox().slice(seen).filter((x) => x.channel === 'sms' && x.to === to);
            if (m.length) return m[m.length - 1];
            await sleep(50);
        }
        assert.fail(`no SMS to ${to} in the outbox`);
    }

    const codeOf = (msg) => {
        const m = /\b(\d{6})\b/.exec(msg.text);
        assert.ok(m, `a 6-digit code in "${msg.text}"`);
        return m[1];
    };

    /** A new device's login completed through the SMS step. */
    async function trustBySms(dev, username, phone) {
        const l = await dev.login(srv, 'acme', username, pw[username]);
        expectStatus(l, 200, `${username} device login`);
        const ch = l.json.challenge;
        assert.ok(ch.next.includes('sms_code'), `next ${ch.next}`);
        const seen = outbox().length;
        expectStatus(await step(srv, ch, 'sms/send'), 202);
        const v = await step(srv, ch, 'sms/verify', { body: { code: codeOf(await smsAfter(seen, phone)) } });
        expectStatus(v, 200, 'sms/verify');
        dev.token = v.json.token;
        return v.json;
    }

    async function auditOf(action) {
        const r = await srv.api('GET', `/audit/events?action=${action}&limit=200`, { token: tok['root.admin'] });
        expectStatus(r, 200, `audit ${action}`);
        return r.json.items;
    }

    /** A device row of alice's, found by name through the admin's list. */
    async function deviceRow(userId, name) {
        const r = await srv.api('GET', `/users/${userId}/devices`, { token: tok['root.admin'] });
        expectStatus(r, 200);
        const d = r.json.items.find((x) => x.name === name);
        assert.ok(d, `device ${name} listed`);
        return d;
    }

    /** A device's login that stops at a device_approval challenge; returns it. */
    async function approvalChallenge(dev) {
        const l = await dev.login(srv, 'acme', 'alice', pw.alice);
        expectStatus(l, 200);
        assert.deepEqual(l.json.challenge.next, ['sms_code', 'device_approval']);
        return l.json.challenge;
    }

    before(async () => {
        srv = await startServer({
            name: 'devices',
            conf: {
                auth: {
                    // Wrong codes count against 127.0.0.1 too: keep the CAPTCHA away.
                    captcha_after: 20, lock_after: 50, lock_base_s: 1, failure_decay_s: 900,
                    stuffing_accounts: 50, stuffing_window_s: 600, blacklist_s: 3600, qr_ttl_s: QR_TTL_S,
                },
            },
            tenants: [
                {
                    slug: 'acme', name: 'Acme Corp', admin: 'root.admin',
                    users: [{ username: 'alice' }, { username: 'bob' }, { username: 'carol' }],
                },
                { slug: 'beta', name: 'Beta Ltd', admin: 'beta.admin' },
            ],
        });
        acme = srv.tenants.acme;
        tok['root.admin'] = (await srv.activate('acme', 'root.admin', acme.admin.temporary_password, PASSWORDS.admin)).token;
        for (const u of ['alice', 'bob', 'carol']) {
            tok[u] = (await srv.activate('acme', u, acme.users[u].temporary_password, pw[u])).token;
        }
        tok['beta.admin'] = (await srv.activate('beta', 'beta.admin', srv.tenants.beta.admin.temporary_password,
            PASSWORDS.admin2)).token;
        for (const [u, phone] of [['alice', ALICE_PHONE], ['bob', BOB_PHONE]]) {
            const r = await srv.api('PATCH', `/users/${acme.users[u].id}`, { token: tok['root.admin'], body: { phone } });
            expectStatus(r, 204, `bind ${u}'s phone (PATCH /users/{id})`);
        }
    });
    after(async () => { await srv?.cleanup(); });

    // ---- DEV-2: a new device is trusted through an SMS code ----

    let smsCh; // step 1's challenge
    test('1. a new cli device logs in -> 200 challenge {id, token, expires_at, next: ["sms_code"]}', async () => {
        const r = await A.login(srv, 'acme', 'alice', pw.alice);
        expectStatus(r, 200);
        expectKeys(r.json, ['challenge'], 'login answer');
        smsCh = r.json.challenge;
        expectKeys(smsCh, ['id', 'token', 'expires_at', 'next'], 'challenge');
        assert.match(smsCh.id, UUID_RE);
        assert.equal(typeof smsCh.token, 'string');
        assert.ok(smsCh.token.length >= 32, 'an unguessable challenge token');
        expectTime(smsCh.expires_at, 'expires_at');
        const ttl = Date.parse(smsCh.expires_at) - Date.now();
        assert.ok(ttl > 280e3 && ttl <= 300e3, `challenge_ttl_s 300 (got ${ttl} ms)`);
        assert.deepEqual(smsCh.next, ['sms_code'], 'a phone, no trusted device, no TOTP: the SMS step only');
    });

    test('2. challenge steps without the right X-Challenge-Token -> 404 challenge_not_found; steps it does not ask for -> 409', async () => {
        expectError(await step(srv, smsCh, 'sms/send', { token: null }), 404, 'challenge_not_found', null, 'no token');
        expectError(await step(srv, smsCh, 'sms/send', { token: 'svs_' + 'x'.repeat(43) }), 404, 'challenge_not_found',
            null, 'wrong token');
        expectError(await step(srv, { id: '01234567-89ab-7cde-8f01-23456789abcd', token: smsCh.token }, 'sms/send'),
            404, 'challenge_not_found', null, 'unknown id');
        expectError(await step(srv, smsCh, 'sms/verify', { token: null, body: { code: '123456' } }), 404,
            'challenge_not_found');
        expectError(await step(srv, smsCh, 'wait', { token: 'nope' }), 404, 'challenge_not_found');
        expectError(await step(srv, smsCh, 'approval', { token: null }), 404, 'challenge_not_found');
        expectError(await step(srv, smsCh, 'qr', { token: null }), 404, 'challenge_not_found');
        // A step the challenge does not offer.
        expectError(await step(srv, smsCh, 'approval'), 409, 'step_not_allowed', null, 'approval');
        expectError(await step(srv, smsCh, 'qr'), 409, 'step_not_allowed', null, 'qr');
        expectError(await step(srv, smsCh, 'wait'), 409, 'step_not_allowed', null, 'wait with no approval');
        expectError(await step(srv, smsCh, 'totp', { body: { code: '123456' } }), 409, 'step_not_allowed', null, 'totp');
        expectError(await step(srv, smsCh, 'captcha', { method: 'GET' }), 409, 'step_not_allowed', null, 'captcha');
        expectError(await step(srv, smsCh, 'captcha', { body: { answer: 'abcde', password: pw.alice } }), 409,
            'step_not_allowed', null, 'captcha answer');
        // Body rules.
        expectError(await step(srv, smsCh, 'sms/send', { body: { to: '+10000000000' } }), 400, 'field_unknown', 'to');
        expectError(await step(srv, smsCh, 'sms/verify', { body: {} }), 400, 'field_missing', 'code');
        expectError(await step(srv, smsCh, 'approval', { body: { x: 1 } }), 400, 'field_unknown', 'x');
        expectError(await step(srv, smsCh, 'qr', { body: { x: 1 } }), 400, 'field_unknown', 'x');
        expectError(await step(srv, smsCh, 'wait', { body: { x: 1 } }), 400, 'field_unknown', 'x');
    });

    let smsCode;
    test('3. sms/send -> 202 {sent_to} masked; the outbox has the code for the bound phone', async () => {
        const seen = outbox().length;
        const r = await step(srv, smsCh, 'sms/send');
        expectStatus(r, 202);
        assert.deepEqual(r.json, { sent_to: '•••••0000' }, 'only the last 4 digits');
        const msg = await smsAfter(seen, ALICE_PHONE);
        assert.equal(msg.channel, 'sms');
        assert.equal(typeof msg.subject, 'string');
        smsCode = codeOf(msg);
        assert.match(smsCode, /^\d{6}$/);
        assert.ok(!srv.rawLines.join('\n').includes(`code is ${smsCode}`), 'the code is not in the server log');
    });

    test('4. sms/verify with a wrong code -> 401 code_invalid (field code); the right one -> 200 session; the challenge is then used', async () => {
        const wrong = smsCode === '000000' ? '111111' : '000000';
        expectError(await step(srv, smsCh, 'sms/verify', { body: { code: wrong } }), 401, 'code_invalid', 'code');
        const r = await step(srv, smsCh, 'sms/verify', { body: { code: smsCode } });
        expectStatus(r, 200);
        expectKeys(r.json, SESSION_KEYS, 'session');
        assert.match(r.json.token, /^svs_/);
        assert.match(r.json.device_id, UUID_RE);
        assert.equal(r.json.must_change_password, false);
        assert.equal(r.json.mfa_pending, false);
        expectTime(r.json.expires_at, 'expires_at');
        A.token = r.json.token;
        A.deviceId = r.json.device_id;
        // Single use: the same code (or any step) on a finished challenge.
        expectError(await step(srv, smsCh, 'sms/verify', { body: { code: smsCode } }), 410, 'challenge_expired');
        expectError(await step(srv, smsCh, 'sms/send'), 410, 'challenge_expired');
        const trust = (await auditOf('device.trust')).find((e) => e.target_id === A.deviceId);
        assert.ok(trust, 'device.trust audited');
        assert.equal(trust.reason, 'sms_code');
    });

    test('5. GET /me/devices (signed) -> the device is trusted and current, with what it said of itself', async () => {
        expectError(await srv.api('GET', '/me/devices'), 401, 'unauthenticated', null, 'no session');
        const r = await A.request(srv, 'GET', '/me/devices');
        expectStatus(r, 200);
        expectKeys(r.json, ['items'], 'devices');
        for (const d of r.json.items) {
            expectKeys(d, DEVICE_KEYS, 'device');
            expectTime(d.first_seen_at, 'first_seen_at');
            expectTime(d.last_seen_at, 'last_seen_at');
        }
        const mine = r.json.items.find((d) => d.id === A.deviceId);
        assert.ok(mine, 'the new device is listed');
        assert.deepEqual(
            { kind: mine.kind, name: mine.name, model: mine.model, platform: mine.platform, state: mine.state, current: mine.current, last_ip: mine.last_ip },
            { kind: 'cli', name: 'Alice laptop', model: 'ThinkPad X1', platform: 'linux', state: 'trusted', current: true, last_ip: '127.0.0.1' });
        assert.deepEqual(r.json.items.filter((d) => d.current).map((d) => d.id), [A.deviceId], 'one current device');
        // /me names the session's device.
        const me = await A.request(srv, 'GET', '/me');
        expectStatus(me, 200);
        assert.deepEqual(me.json.device, { id: A.deviceId, kind: 'cli' });
    });

    test('6. the next login from the trusted device needs no challenge -> 200 session at once', async () => {
        const r = await A.login(srv, 'acme', 'alice', pw.alice);
        expectStatus(r, 200);
        expectKeys(r.json, SESSION_KEYS, 'session');
        assert.equal(r.json.device_id, A.deviceId, 'the same device row');
        A.token = r.json.token;
        const login = (await auditOf('auth.login')).find((e) => e.result === 'success' && e.details?.device === A.deviceId
            && e.details?.via === 'trusted_device');
        assert.ok(login, 'audited as a trusted-device login');
    });

    test('7. a mobile/cli login without a valid signature -> 401 signature_invalid naming the header', async () => {
        const body = { tenant: 'acme', username: 'alice', password: pw.alice, device: D.descriptor() };
        expectError(await srv.api('POST', '/auth/login', { body }), 401, 'signature_invalid', 'X-SV-Device', 'unsigned');
        const h = D.headers('POST', '/api/v1/auth/login', JSON.stringify(body));
        const only = (keys) => Object.fromEntries(Object.entries(h).filter(([k]) => keys.includes(k)));
        expectError(await srv.api('POST', '/auth/login', { body, headers: only(['x-sv-device']) }), 401,
            'signature_invalid', 'X-SV-Timestamp', 'no timestamp');
        expectError(await srv.api('POST', '/auth/login', { body, headers: only(['x-sv-device', 'x-sv-timestamp']) }),
            401, 'signature_invalid', 'X-SV-Nonce', 'no nonce');
        expectError(await srv.api('POST', '/auth/login', {
            body, headers: only(['x-sv-device', 'x-sv-timestamp', 'x-sv-nonce']),
        }), 401, 'signature_invalid', 'X-SV-Signature', 'no signature');
        // Signed by another key than the one it registers: no proof of the key.
        expectError(await D.login(srv, 'acme', 'alice', pw.alice, { key: E.privateKey }), 401, 'signature_invalid',
            'X-SV-Signature', 'wrong key');
        // The id in the header must be the one registered.
        expectError(await D.login(srv, 'acme', 'alice', pw.alice, { deviceId: E.id }), 401, 'signature_invalid',
            'X-SV-Device', 'other id');
        // An existing device id with a new key is refused (after the password).
        const thief = new Device('cli');
        thief.id = A.id;
        expectError(await thief.login(srv, 'acme', 'alice', pw.alice), 401, 'signature_invalid', 'X-SV-Signature', 'id of A, other key');
        // Device fields.
        const noKey = { ...body, device: { kind: 'cli', id: D.id } };
        expectError(await srv.api('POST', '/auth/login', { body: noKey }), 400, 'field_missing', 'device.public_key');
        expectError(await srv.api('POST', '/auth/login', { body: { ...body, device: { kind: 'cli' } } }), 400,
            'field_missing', 'device.id');
        expectError(await srv.api('POST', '/auth/login', { body: { ...body, device: { kind: 'tv' } } }), 400,
            'field_invalid', 'device.kind');
        expectError(await srv.api('POST', '/auth/login', { body: { ...body, device: 'web' } }), 400,
            'field_invalid', 'device');
    });

    test('8. a device login for an account with no phone, no trusted device, no TOTP -> 409 no_second_factor; the web bootstrap still signs in', async () => {
        const dev = new Device('cli', { name: 'Carol laptop' });
        expectError(await dev.login(srv, 'acme', 'carol', pw.carol), 409, 'no_second_factor');
        const web = await srv.login('acme', 'carol', pw.carol);
        expectStatus(web, 200);
        expectKeys(web.json, SESSION_KEYS, 'bootstrap (password only)');
        const events = (await auditOf('auth.login')).filter((e) => e.actor === 'carol');
        assert.ok(events.some((e) => e.details?.via === 'password_only' && e.result === 'success'),
            'the bootstrap login is audited (via password_only)');
        // AUTH-7: every attempt is logged, refused ones too (the refusal is
        // committed with its event, then answered).
        const ev = events.find((e) => e.reason === 'no_second_factor');
        assert.ok(ev, 'the refused device login (409 no_second_factor) is in the audit log');
        assert.equal(ev.result, 'failure');
    });

    test('8a. an account with an authenticator: a new device -> next ["totp"]; a wrong code -> 401; a recovery code -> 200 and the device is trusted', async () => {
        const start = await srv.api('POST', '/me/totp', { token: tok.carol });
        expectStatus(start, 200, 'enrol');
        const conf = await srv.api('POST', '/me/totp/confirm', { token: tok.carol, body: { code: totp(start.json.secret) } });
        expectStatus(conf, 200, 'confirm');
        const recovery = conf.json.recovery_codes;
        const G = new Device('cli', { name: 'Carol laptop' });
        const l = await G.login(srv, 'acme', 'carol', pw.carol);
        expectStatus(l, 200);
        const ch = l.json.challenge;
        assert.deepEqual(ch.next, ['totp']);
        expectError(await step(srv, ch, 'totp', { body: {} }), 400, 'field_missing', 'code');
        const now = totp(start.json.secret);
        const wrong = now === '000000' ? '111111' : '000000';
        expectError(await step(srv, ch, 'totp', { body: { code: wrong } }), 401, 'code_invalid', 'code');
        const r = await step(srv, ch, 'totp', { body: { code: recovery[0] } });
        expectStatus(r, 200, 'recovery code');
        expectKeys(r.json, SESSION_KEYS, 'session');
        G.token = r.json.token;
        const trust = (await auditOf('device.trust')).find((e) => e.target_id === r.json.device_id);
        assert.equal(trust?.reason, 'totp');
        // Another new device: the trusted one may approve it, or the app.
        const H = new Device('cli', { name: 'Carol spare' });
        const l2 = await H.login(srv, 'acme', 'carol', pw.carol);
        assert.deepEqual(l2.json.challenge?.next, ['device_approval', 'totp']);
        expectError(await step(srv, l2.json.challenge, 'totp', { body: { code: recovery[0] } }), 401, 'code_invalid',
            'code', 'a used recovery code');
        expectStatus(await G.request(srv, 'GET', '/me'), 200, 'the TOTP-trusted device signs its requests');
    });

    test('8b. SMS limits: at most 3 sends per challenge (429 rate_limited); five wrong codes close it (410)', async () => {
        const F = new Device('cli', { name: 'Alice spare' });
        const l = await F.login(srv, 'acme', 'alice', pw.alice);
        const ch = l.json.challenge;
        for (let i = 1; i <= 3; i++) expectStatus(await step(srv, ch, 'sms/send'), 202, `send ${i}`);
        expectError(await step(srv, ch, 'sms/send'), 429, 'rate_limited', null, 'send 4');
        for (let i = 1; i <= 5; i++) {
            expectError(await step(srv, ch, 'sms/verify', { body: { code: '99999' + (i % 10) } }), 401, 'code_invalid',
                'code', `wrong ${i}`);
        }
        const seen = outbox().filter((m) => m.to === ALICE_PHONE);
        const last = codeOf(seen[seen.length - 1]);
        expectError(await step(srv, ch, 'sms/verify', { body: { code: last } }), 410, 'challenge_expired', null,
            'even the right code after five wrong ones');
    });

    test('8c. a signed login replayed as is (same nonce) -> 401 signature_invalid', async () => {
        const r = await A.login(srv, 'acme', 'alice', pw.alice);
        expectStatus(r, 200, 'the original');
        const replay = await srv.api('POST', '/api/v1/auth/login', { raw: r.raw, headers: r.sent });
        // Contract section 5: a nonce the server has seen for this device is
        // refused, the login's too.
        assert.equal(replay.status, 401,
            `a replayed signed login (same X-SV-Nonce) was answered ${replay.status}, not 401 signature_invalid`);
        expectError(replay, 401, 'signature_invalid', 'X-SV-Signature');
    });

    // ---- DEV-1: every request of a device session is signed ----

    test('9. device session: unsigned -> 401 (X-SV-Device); bad signature, replayed nonce -> 401 (X-SV-Signature); stale timestamp -> 401 (X-SV-Timestamp); good -> 200', async () => {
        expectError(await A.request(srv, 'GET', '/me', { sign: false }), 401, 'signature_invalid', 'X-SV-Device', 'unsigned');
        expectError(await A.request(srv, 'GET', '/me', { key: E.privateKey }), 401, 'signature_invalid', 'X-SV-Signature',
            'signed by another key');
        expectError(await A.request(srv, 'GET', '/me', { deviceId: B.id }), 401, 'signature_invalid', 'X-SV-Device',
            'another device id');
        // The signature covers the path: one made for another path fails.
        const forOther = A.headers('GET', '/api/v1/me/devices');
        expectError(await srv.api('GET', '/api/v1/me', { token: A.token, headers: forOther }), 401, 'signature_invalid',
            'X-SV-Signature', 'signed for another path');
        // ... and the body.
        const h = A.headers('POST', '/api/v1/devices/self/approvals/scan', JSON.stringify({ qr: 'svqr1.a' }));
        expectError(await srv.api('POST', '/api/v1/devices/self/approvals/scan', {
            token: A.token, raw: JSON.stringify({ qr: 'svqr1.b' }), headers: { ...h, 'content-type': 'application/json' },
        }), 401, 'signature_invalid', 'X-SV-Signature', 'signed another body');
        expectError(await A.request(srv, 'GET', '/me', { ts: Date.now() - 301e3 }), 401, 'signature_invalid',
            'X-SV-Timestamp', 'stale');
        expectError(await A.request(srv, 'GET', '/me', { ts: Date.now() + 301e3 }), 401, 'signature_invalid',
            'X-SV-Timestamp', 'from the future');
        expectError(await A.request(srv, 'GET', '/me', { nonce: 'short' }), 401, 'signature_invalid', 'X-SV-Nonce',
            'nonce too short');
        const good = await A.request(srv, 'GET', '/me');
        expectStatus(good, 200, 'good signature');
        assert.equal(good.json.username, 'alice');
        // The very same request again: the nonce was seen.
        const replay = await srv.api('GET', '/api/v1/me', { token: A.token, headers: good.sent });
        expectError(replay, 401, 'signature_invalid', 'X-SV-Signature', 'replayed nonce');
        // Within the window, a timestamp slightly old is fine.
        expectStatus(await A.request(srv, 'GET', '/me', { ts: Date.now() - 250e3 }), 200, '250 s old');
        // Another session's token does not need a signature.
        expectStatus(await srv.api('GET', '/me', { token: tok.bob }), 200);
    });

    // ---- DEV-4: approvals from a trusted device, with number matching ----

    let pushCh;
    let push;
    test('10. a second cli device -> next ["sms_code","device_approval"]; POST approval -> {number, expires_at}', async () => {
        pushCh = await approvalChallenge(B);
        expectError(await step(srv, pushCh, 'wait'), 409, 'step_not_allowed', null, 'wait before an approval exists');
        const r = await step(srv, pushCh, 'approval');
        expectStatus(r, 200);
        expectKeys(r.json, ['number', 'expires_at'], 'approval');
        assert.ok(Number.isInteger(r.json.number) && r.json.number >= 10 && r.json.number <= 99, `number ${r.json.number}`);
        expectTime(r.json.expires_at, 'expires_at');
        push = r.json;
    });

    let pending;
    test('11. the trusted device: GET /devices/self/approvals lists it, with 3 choices, one the number', async () => {
        const r = await A.request(srv, 'GET', '/devices/self/approvals');
        expectStatus(r, 200);
        expectKeys(r.json, ['items'], 'approvals');
        assert.equal(r.json.items.length, 1);
        pending = r.json.items[0];
        expectKeys(pending, APPROVAL_KEYS, 'approval item');
        assert.match(pending.id, UUID_RE);
        assert.equal(pending.kind, 'push');
        assert.equal(pending.browser, USER_AGENT);
        assert.equal(pending.ip, '127.0.0.1');
        expectTime(pending.created_at, 'created_at');
        assert.equal(pending.expires_at, push.expires_at);
        assert.equal(pending.choices.length, 3);
        assert.equal(new Set(pending.choices).size, 3, 'three different numbers');
        assert.ok(pending.choices.includes(push.number), `choices ${pending.choices} hold ${push.number}`);
        for (const c of pending.choices) assert.ok(c >= 10 && c <= 99);
        // Only device sessions decide: an API session is refused.
        expectError(await srv.api('GET', '/devices/self/approvals', { token: tok.alice }), 403, 'forbidden');
        expectError(await srv.api('GET', '/devices/self/approvals'), 401, 'unauthenticated');
        // Another account's trusted device sees none of alice's approvals.
        await trustBySms(E, 'bob', BOB_PHONE);
        const bobs = await E.request(srv, 'GET', '/devices/self/approvals');
        expectStatus(bobs, 200);
        assert.deepEqual(bobs.json.items, []);
        expectError(await E.request(srv, 'POST', `/devices/self/approvals/${pending.id}`, {
            body: { decision: 'approve', number: push.number },
        }), 404, 'not_found', null, 'bob deciding alice\'s approval');
    });

    test('12. POST /wait is a long poll: the approval wakes it (it answers with the session, long before its 25 s time-out), without polling', async () => {
        // Bad decision bodies first.
        const decide = (body, dev = A) => dev.request(srv, 'POST', `/devices/self/approvals/${pending.id}`, { body });
        expectError(await decide({ decision: 'approve' }), 400, 'field_missing', 'number');
        expectError(await decide({ decision: 'maybe', number: 10 }), 400, 'field_invalid', 'decision');
        expectError(await decide({ decision: 'approve', number: 100 }), 400, 'field_invalid', 'number');
        expectError(await decide({}), 400, 'field_missing', 'decision');

        const t0 = Date.now();
        let answeredAt = 0;
        const waiting = step(srv, pushCh, 'wait').then((r) => { answeredAt = Date.now(); return r; });
        await sleep(700);
        assert.equal(answeredAt, 0, 'the wait is still open before the decision');
        const approvedAt = Date.now();
        expectStatus(await decide({ decision: 'approve', number: push.number }), 204, 'approve');
        const w = await waiting;
        expectStatus(w, 200, 'wait');
        expectKeys(w.json, SESSION_KEYS, 'session from the wait');
        // Behaviour, not speed: woken by the approval, not by the time-out
        // (the latency itself is bench scenario 8).
        assert.ok(answeredAt - approvedAt < 20000, `answered ${answeredAt - approvedAt} ms after the approval`);
        assert.ok(answeredAt - t0 >= 650, 'the wait was parked until the decision');
        B.token = w.json.token;
        B.deviceId = w.json.device_id;
        // B is trusted now, and its session is a device session.
        const devs = await B.request(srv, 'GET', '/me/devices');
        expectStatus(devs, 200);
        const b = devs.json.items.find((d) => d.id === B.deviceId);
        assert.equal(b.state, 'trusted');
        assert.equal(b.current, true);
        const trust = (await auditOf('device.trust')).find((e) => e.target_id === B.deviceId);
        assert.equal(trust?.reason, 'device_approval');
        // Decided once: a second decision, and the list no longer has it.
        expectError(await decide({ decision: 'approve', number: push.number }), 410, 'challenge_expired', null, 'twice');
        const list = await A.request(srv, 'GET', '/devices/self/approvals');
        assert.deepEqual(list.json.items, []);
        expectError(await step(srv, pushCh, 'wait'), 410, 'challenge_expired', null, 'wait after the session');
        expectError(await A.request(srv, 'POST', '/devices/self/approvals/01234567-89ab-7cde-8f01-23456789abcd', {
            body: { decision: 'deny' },
        }), 404, 'not_found', null, 'unknown approval');
    });

    test('13. a denied approval -> 204 on the device; the wait -> 403 approval_denied', async () => {
        const ch = await approvalChallenge(C);
        expectStatus(await step(srv, ch, 'approval'), 200);
        const list = await A.request(srv, 'GET', '/devices/self/approvals');
        assert.equal(list.json.items.length, 1);
        const waiting = step(srv, ch, 'wait');
        await sleep(200);
        expectStatus(await A.request(srv, 'POST', `/devices/self/approvals/${list.json.items[0].id}`, {
            body: { decision: 'deny' },
        }), 204);
        expectError(await waiting, 403, 'approval_denied');
        expectError(await step(srv, ch, 'wait'), 403, 'approval_denied', null, 'again');
        expectError(await step(srv, ch, 'sms/send'), 403, 'approval_denied', null, 'no other step after a denial');
        const ev = (await auditOf('auth.approval')).find((e) => e.target_id === list.json.items[0].id);
        assert.equal(ev?.result, 'denied');
        assert.equal(ev?.reason, 'denied_by_user');
    });

    test('14. a wrong number -> 403 approval_number_mismatch (field number) on the device; the wait -> approval_denied; audited', async () => {
        const ch = await approvalChallenge(D);
        const ap = await step(srv, ch, 'approval');
        expectStatus(ap, 200);
        const item = (await A.request(srv, 'GET', '/devices/self/approvals')).json.items[0];
        const wrong = item.choices.find((c) => c !== ap.json.number);
        const waiting = step(srv, ch, 'wait');
        await sleep(200);
        expectError(await A.request(srv, 'POST', `/devices/self/approvals/${item.id}`, {
            body: { decision: 'approve', number: wrong },
        }), 403, 'approval_number_mismatch', 'number');
        expectError(await waiting, 403, 'approval_denied');
        const ev = (await auditOf('auth.approval')).find((e) => e.target_id === item.id);
        assert.ok(ev, 'auth.approval audited');
        assert.equal(ev.result, 'denied');
        assert.equal(ev.reason, 'number_mismatch');
        // The request is closed: even the right number now is too late.
        expectError(await A.request(srv, 'POST', `/devices/self/approvals/${item.id}`, {
            body: { decision: 'approve', number: ap.json.number },
        }), 410, 'challenge_expired');
    });

    // ---- DEV-3: QR web login ----

    let webCh;
    let qr;
    test('15. a web login for an account with a trusted device -> next ["qr_approval"] and the __Host-sv_device cookie', async () => {
        const r = await srv.api('POST', '/auth/login', {
            body: { tenant: 'acme', username: 'alice', password: pw.alice, device: { kind: 'web' } },
        });
        expectStatus(r, 200);
        webCh = r.json.challenge;
        assert.deepEqual(webCh.next, ['qr_approval']);
        const cookie = setCookies(r.headers).find((c) => c.startsWith('__Host-sv_device='));
        assert.match(cookie ?? '', /^__Host-sv_device=[0-9a-f-]{36}; Max-Age=31536000; Path=\/; Secure; HttpOnly; SameSite=Strict$/);
        // Script clients (no device object) are web-like: QR too.
        const api = await srv.login('acme', 'alice', pw.alice);
        assert.deepEqual(api.json.challenge?.next, ['qr_approval'], 'no-device login');
        // The device_approval step is not offered to a browser.
        expectError(await step(srv, webCh, 'approval'), 409, 'step_not_allowed');
        expectError(await step(srv, webCh, 'sms/send'), 409, 'step_not_allowed');
        // The cookie is __Host- prefixed (no sibling subdomain can set it).
        // A browser from before the prefix keeps its device id: the old
        // sv_device is moved to the new name and cleared; a browser that
        // has the new one is sent no cookie.
        const id = cookie.split(';')[0].slice('__Host-sv_device='.length);
        const web = { tenant: 'acme', username: 'alice', password: pw.alice, device: { kind: 'web' } };
        const old = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
        let m = await srv.api('POST', '/auth/login', { body: web, headers: { cookie: `sv_device=${old}` } });
        expectStatus(m, 200);
        assert.deepEqual(setCookies(m.headers).map((c) => c.split(';').slice(0, 2).join(';')).sort(),
            [`__Host-sv_device=${old}; Max-Age=31536000`, 'sv_device=; Max-Age=0'], 'moved to the prefixed name');
        m = await srv.api('POST', '/auth/login', { body: web, headers: { cookie: `__Host-sv_device=${id}; sv_device=${old}` } });
        expectStatus(m, 200);
        assert.deepEqual(setCookies(m.headers), [], 'the prefixed cookie wins; nothing set');
    });

    test('16. POST qr -> {qr: "svqr1.…", number, expires_at, png (data URI of a PNG), svg}', async () => {
        const r = await step(srv, webCh, 'qr');
        expectStatus(r, 200);
        expectKeys(r.json, ['qr', 'number', 'expires_at', 'png', 'svg'], 'qr');
        assert.match(r.json.qr, /^svqr1\.[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
        assert.ok(r.json.number >= 10 && r.json.number <= 99);
        const ttl = Date.parse(r.json.expires_at) - Date.now();
        assert.ok(ttl > (QR_TTL_S - 3) * 1000 && ttl <= QR_TTL_S * 1000, `qr_ttl_s ${QR_TTL_S} (got ${ttl} ms)`);
        assert.match(r.json.png, /^data:image\/png;base64,/);
        const png = Buffer.from(r.json.png.slice('data:image/png;base64,'.length), 'base64');
        assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
        assert.match(r.json.svg, /<svg[\s>]/);
        qr = r.json;
        // A QR left unused, for the expiry check at the end.
        const l2 = await srv.api('POST', '/auth/login', {
            body: { tenant: 'acme', username: 'alice', password: pw.alice, device: { kind: 'web' } },
        });
        const q2 = await step(srv, l2.json.challenge, 'qr');
        expectStatus(q2, 200);
        expiring = { qr: q2.json.qr, at: Date.now(), ch: l2.json.challenge };
    });

    let scanned;
    test('17. POST /devices/self/approvals/scan: another account\'s device -> 404; a forged or malformed QR -> 404/400; the trusted device -> kind qr', async () => {
        expectError(await E.request(srv, 'POST', '/devices/self/approvals/scan', { body: { qr: qr.qr } }), 404,
            'not_found', null, 'bob\'s device');
        const forged = qr.qr.replace(/\.[A-Za-z0-9_-]{43}$/, '.' + 'A'.repeat(43));
        expectError(await A.request(srv, 'POST', '/devices/self/approvals/scan', { body: { qr: forged } }), 404,
            'not_found', null, 'forged secret');
        expectError(await A.request(srv, 'POST', '/devices/self/approvals/scan', { body: { qr: 'hello' } }), 400,
            'field_invalid', 'qr');
        expectError(await A.request(srv, 'POST', '/devices/self/approvals/scan', { body: {} }), 400, 'field_missing', 'qr');
        expectError(await srv.api('POST', '/devices/self/approvals/scan', { token: tok.alice, body: { qr: qr.qr } }), 403,
            'forbidden', null, 'not a device session');
        const r = await A.request(srv, 'POST', '/devices/self/approvals/scan', { body: { qr: qr.qr } });
        expectStatus(r, 200);
        expectKeys(r.json, APPROVAL_KEYS, 'scanned approval');
        assert.equal(r.json.kind, 'qr');
        assert.equal(r.json.browser, USER_AGENT);
        assert.equal(r.json.ip, '127.0.0.1');
        assert.equal(r.json.id, qr.qr.split('.')[1]);
        assert.ok(r.json.choices.includes(qr.number));
        assert.equal(new Set(r.json.choices).size, 3);
        scanned = r.json;
        // Scanned by A: another of alice's devices may not take it over.
        expectError(await B.request(srv, 'POST', `/devices/self/approvals/${scanned.id}`, {
            body: { decision: 'approve', number: qr.number },
        }), 404, 'not_found', null, 'decided by a device that did not scan it');
        // QR approvals are not in the push list.
        assert.deepEqual((await A.request(srv, 'GET', '/devices/self/approvals')).json.items, []);
    });

    let web; // {cookie, csrf}
    test('18. approving with the number: the wait answers {csrf, …} with Set-Cookie __Host-sv_session (HttpOnly; Secure; SameSite=Strict)', async () => {
        const waiting = step(srv, webCh, 'wait');
        await sleep(200);
        const approvedAt = Date.now();
        expectStatus(await A.request(srv, 'POST', `/devices/self/approvals/${scanned.id}`, {
            body: { decision: 'approve', number: qr.number },
        }), 204);
        const w = await waiting;
        expectStatus(w, 200);
        assert.ok(Date.now() - approvedAt < 1000, 'the wait answered at once');
        expectKeys(w.json, WEB_SESSION_KEYS, 'web session');
        assert.equal(typeof w.json.csrf, 'string');
        assert.ok(w.json.csrf.length >= 32);
        assert.ok(!('token' in w.json), 'no token in the body of a browser login');
        const set = setCookies(w.headers).find((c) => c.startsWith('__Host-sv_session='));
        assert.ok(set, 'Set-Cookie __Host-sv_session');
        const attrs = set.split(';').map((s) => s.trim());
        assert.match(attrs[0], /^__Host-sv_session=svs_[A-Za-z0-9_-]{20,}$/);
        for (const a of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']) assert.ok(attrs.includes(a), `${a} in ${set}`);
        web = { cookie: attrs[0], csrf: w.json.csrf };
        srv.secrets.add(attrs[0].slice('__Host-sv_session='.length));
        // Used: a second approval or scan of the same QR is refused.
        expectError(await A.request(srv, 'POST', `/devices/self/approvals/${scanned.id}`, {
            body: { decision: 'approve', number: qr.number },
        }), 410, 'challenge_expired', null, 'approve twice');
        expectError(await A.request(srv, 'POST', '/devices/self/approvals/scan', { body: { qr: qr.qr } }), 410,
            'challenge_expired', null, 'scan a used QR');
        expectError(await step(srv, webCh, 'wait'), 410, 'challenge_expired', null, 'wait again');
        const trust = (await auditOf('auth.login')).find((e) => e.result === 'success' && e.details?.via === 'qr_approval');
        assert.ok(trust, 'auth.login via qr_approval audited');
    });

    test('19. the cookie session: GET /me works and returns csrf; POST /auth/logout without X-CSRF-Token -> 403 csrf_invalid; with it -> 204', async () => {
        const me = await srv.api('GET', '/me', { headers: { cookie: web.cookie } });
        expectStatus(me, 200);
        assert.equal(me.json.username, 'alice');
        assert.equal(me.json.csrf, web.csrf);
        assert.equal(me.json.device?.kind, 'web');
        expectError(await srv.api('POST', '/auth/logout', { headers: { cookie: web.cookie } }), 403, 'csrf_invalid',
            'X-CSRF-Token', 'no header');
        expectError(await srv.api('POST', '/auth/logout', {
            headers: { cookie: web.cookie, 'x-csrf-token': web.csrf.slice(0, -2) + 'AA' },
        }), 403, 'csrf_invalid', 'X-CSRF-Token', 'wrong header');
        expectStatus(await srv.api('GET', '/me', { headers: { cookie: web.cookie } }), 200, 'still signed in');
        const out = await srv.api('POST', '/auth/logout', { headers: { cookie: web.cookie, 'x-csrf-token': web.csrf } });
        expectStatus(out, 204);
        const cleared = setCookies(out.headers).find((c) => c.startsWith('__Host-sv_session='));
        assert.match(cleared ?? '', /^__Host-sv_session=; Max-Age=0/, 'the cookie is cleared');
        expectError(await srv.api('GET', '/me', { headers: { cookie: web.cookie } }), 401, 'unauthenticated');
    });

    // ---- DEV-5: revocation ----

    test('20. DELETE /me/devices/{id} of a trusted device -> 204; its session gets 401 at once; it cannot sign in again', async () => {
        expectStatus(await B.request(srv, 'GET', '/me'), 200, 'B works before');
        expectError(await A.request(srv, 'DELETE', '/me/devices/01234567-89ab-7cde-8f01-23456789abcd'), 404, 'not_found');
        expectError(await E.request(srv, 'DELETE', `/me/devices/${B.deviceId}`), 404, 'not_found', null,
            'bob revoking alice\'s device');
        expectStatus(await A.request(srv, 'DELETE', `/me/devices/${B.deviceId}`), 204);
        expectError(await B.request(srv, 'GET', '/me'), 401, 'unauthenticated', null, 'the revoked device\'s session');
        expectError(await A.request(srv, 'DELETE', `/me/devices/${B.deviceId}`), 404, 'not_found', null, 'twice');
        expectError(await B.login(srv, 'acme', 'alice', pw.alice), 403, 'device_revoked', null, 'login again');
        const devs = await A.request(srv, 'GET', '/me/devices');
        assert.equal(devs.json.items.find((d) => d.id === B.deviceId)?.state, 'revoked');
        const ev = (await auditOf('device.revoke')).find((e) => e.target_id === B.deviceId);
        assert.ok(ev, 'device.revoke audited');
        expectStatus(await A.request(srv, 'GET', '/me'), 200, 'A is untouched');
    });

    test('21. admin GET/DELETE /users/{id}/devices: works in the tenant; another tenant\'s user -> 404; a member -> 403', async () => {
        const aliceId = acme.users.alice.id;
        const r = await srv.api('GET', `/users/${aliceId}/devices`, { token: tok['root.admin'] });
        expectStatus(r, 200);
        for (const d of r.json.items) expectKeys(d, DEVICE_KEYS, 'device');
        assert.ok(r.json.items.every((d) => d.current === false), 'none is the admin\'s own session device');
        const byId = Object.fromEntries(r.json.items.map((d) => [d.id, d.state]));
        assert.equal(byId[A.deviceId], 'trusted');
        assert.equal(byId[B.deviceId], 'revoked');
        const c = await deviceRow(aliceId, 'Alice tablet');
        assert.equal(c.state, 'unknown', 'a denied device stays untrusted');
        expectStatus(await srv.api('DELETE', `/users/${aliceId}/devices/${c.id}`, { token: tok['root.admin'] }), 204);
        assert.equal((await deviceRow(aliceId, 'Alice tablet')).state, 'revoked');
        expectError(await srv.api('DELETE', `/users/${aliceId}/devices/${c.id}`, { token: tok['root.admin'] }), 404,
            'not_found', null, 'twice');
        const betaAdmin = srv.tenants.beta.admin.id;
        expectError(await srv.api('GET', `/users/${betaAdmin}/devices`, { token: tok['root.admin'] }), 404, 'not_found');
        expectError(await srv.api('GET', `/users/not-a-uuid/devices`, { token: tok['root.admin'] }), 404, 'not_found');
        expectError(await srv.api('GET', `/users/${aliceId}/devices`, { token: tok['beta.admin'] }), 404, 'not_found',
            null, 'beta admin on acme user');
        expectError(await srv.api('DELETE', `/users/${aliceId}/devices/${A.deviceId}`, { token: tok['beta.admin'] }), 404,
            'not_found', null, 'beta admin revoking an acme device');
        expectError(await srv.api('GET', `/users/${aliceId}/devices`, { token: tok.bob }), 403, 'forbidden');
        expectError(await srv.api('DELETE', `/users/${aliceId}/devices/${A.deviceId}`, { token: tok.bob }), 403, 'forbidden');
        expectStatus(await A.request(srv, 'GET', '/me'), 200, 'A is still trusted');
    });

    // ---- AUTH-7: a notice per sign-in ----

    test('22. every successful login posted an inbox notice (kind login) naming the device, IP and time', async () => {
        const r = await srv.api('GET', '/me/inbox?limit=200', { token: tok.alice });
        expectStatus(r, 200);
        const notices = r.json.items.filter((m) => m.kind === 'login');
        const logins = (await auditOf('auth.login')).filter((e) => e.actor_id === acme.users.alice.id
            && e.result === 'success');
        assert.equal(notices.length, logins.length, 'one notice per successful login');
        assert.ok(notices.length >= 5, `${notices.length} notices`);
        for (const n of notices) {
            assert.equal(n.title, 'New sign-in');
            assert.match(n.body, /127\.0\.0\.1/, 'the IP');
            const when = RFC3339_RE.source.replace(/^\^|\$$/g, '');
            assert.match(n.body, new RegExp(when), 'the time');
        }
        const laptop = notices.filter((n) => n.body.includes('Alice laptop'));
        const ofA = logins.filter((e) => e.details?.device === A.deviceId);
        assert.ok(ofA.length >= 2, 'A signed in by SMS, then as a trusted device');
        assert.equal(laptop.length, ofA.length, 'one notice per login of A, naming it');
        for (const n of laptop) {
            for (const s of ['ThinkPad X1', 'cli', 'linux']) assert.ok(n.body.includes(s), `${s} in "${n.body}"`);
        }
        assert.ok(notices.some((n) => n.body.includes('(web')), 'the QR web login');
    });

    // ---- QR expiry (qr_ttl_s) ----

    test('23. a QR past qr_ttl_s -> scan 410 challenge_expired', async () => {
        const left = expiring.at + QR_TTL_S * 1000 + 300 - Date.now();
        if (left > 0) await sleep(left);
        expectError(await A.request(srv, 'POST', '/devices/self/approvals/scan', { body: { qr: expiring.qr } }), 410,
            'challenge_expired');
        // The browser asks for a new QR on the same challenge.
        const again = await step(srv, expiring.ch, 'qr');
        expectStatus(again, 200, 'a new QR');
        assert.notEqual(again.json.qr, expiring.qr);
    });

    test('24. every response met the generic rules; no secret reached the log', () => {
        srv.checkResponses();
        srv.checkLogsClean();
    });
});
