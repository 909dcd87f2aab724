// Second factors, phone, inbox and self-service reset (docs/auth-flow.md
// section 4; AUTH-3 reset, AUTH-7/DEV-6 inbox, AUTH-8 TOTP, DIR-1 no
// existence leak across tenants). Codes sent by SMS or e-mail are read from
// DATA/outbox.jsonl (the default notify backend).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, UUID_RE, expectError, expectKeys, expectStatus, expectTime, listAll, sleep,
    startServer,
} from './lib/server.mjs';

// ---- RFC 6238 (HMAC-SHA1, 30 s, 6 digits), written here from the RFC ----

function base32Decode(s) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = 0;
    let acc = 0;
    const out = [];
    for (const ch of s.replace(/=+$/, '')) {
        const v = alphabet.indexOf(ch);
        assert.ok(v >= 0, `base32 character ${ch}`);
        acc = (acc << 5) | v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.push((acc >>> bits) & 0xff);
        }
    }
    return Buffer.from(out);
}

function totp(secretB32, timeMs = Date.now()) {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(Math.floor(timeMs / 1000 / 30)));
    const mac = createHmac('sha1', base32Decode(secretB32)).update(counter).digest();
    const off = mac[mac.length - 1] & 0x0f;
    const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
    return String(bin % 1000000).padStart(6, '0');
}

test('RFC 6238 appendix B vector (SHA1, T = 59 s) -> 287082', () => {
    // The RFC's 20-byte key "12345678901234567890", base32.
    assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59 * 1000), '287082');
});

describe('mfa: TOTP, phone, inbox, password reset', () => {
    let srv;
    let acme;
    let beta;
    const tok = {}; // username -> session token
    const pw = {}; // username -> current password

    const outboxFile = () => path.join(srv.dir, 'outbox.jsonl');
    const outbox = () => (existsSync(outboxFile())
        ? readFileSync(outboxFile(), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
        : []);
    const codeOf = (msg) => {
        const m = /\b(\d{6})\b/.exec(msg.text);
        assert.ok(m, `a 6-digit code in ${msg.text}`);
        return m[1];
    };
    const reset = (body) => srv.api('POST', '/auth/reset', { body });
    const confirm = (body) => srv.api('POST', '/auth/reset/confirm', { body });

    before(async () => {
        srv = await startServer({
            name: 'mfa',
            tenants: [
                {
                    slug: 'acme', name: 'Acme Corp', admin: 'root.admin', email: 'ops@acme.test',
                    users: [
                        { username: 'alice', email: 'alice@acme.test' },
                        { username: 'bob' },
                        { username: 'carol' },
                        { username: 'dave', email: 'dave@acme.test' },
                        { username: 'erin' },
                    ],
                },
                { slug: 'beta', name: 'Beta Ltd', admin: 'beta.admin' },
            ],
        });
        acme = srv.tenants.acme;
        beta = srv.tenants.beta;
        const activate = async (tenant, name, temp, password) => {
            const a = await srv.activate(tenant, name, temp, password);
            tok[name] = a.token;
            pw[name] = password;
        };
        await activate('acme', 'root.admin', acme.admin.temporary_password, PASSWORDS.admin);
        await activate('beta', 'beta.admin', beta.admin.temporary_password, PASSWORDS.admin2);
        await activate('acme', 'alice', acme.users.alice.temporary_password, PASSWORDS.p1);
        await activate('acme', 'bob', acme.users.bob.temporary_password, PASSWORDS.p2);
        await activate('acme', 'carol', acme.users.carol.temporary_password, PASSWORDS.p3);
        await activate('acme', 'dave', acme.users.dave.temporary_password, PASSWORDS.p4);
    });
    after(async () => {
        srv?.checkResponses();
        srv?.checkLogsClean();
        await srv?.cleanup();
    });

    // ---- TOTP ----

    let secret; // step 3
    let recovery; // step 5
    let usedCode; // step 5

    test('1. POST /me/totp/confirm with nothing pending -> 409 totp_not_enrolled', async () => {
        const r = await srv.api('POST', '/me/totp/confirm', { token: tok.bob, body: { code: '123456' } });
        expectError(r, 409, 'totp_not_enrolled');
    });

    test('2. POST /me/totp by an account that must change its password -> 403 password_change_required', async () => {
        const l = await srv.login('acme', 'erin', acme.users.erin.temporary_password);
        expectStatus(l, 200);
        const r = await srv.api('POST', '/me/totp', { token: l.json.token });
        expectError(r, 403, 'password_change_required');
        const b = await srv.api('POST', '/me/totp', { token: tok.bob, body: { extra: 1 } });
        expectError(b, 400, 'field_unknown', 'extra');
    });

    test('3. POST /me/totp (no body) -> 200 secret, otpauth URI for bob@acme, QR as SVG and PNG', async () => {
        const first = await srv.api('POST', '/me/totp', { token: tok.bob });
        expectStatus(first, 200);
        // A second start replaces the pending secret: the first one's codes fail.
        const r = await srv.api('POST', '/me/totp', { token: tok.bob, body: {} });
        expectStatus(r, 200);
        expectKeys(r.json, ['secret', 'otpauth_uri', 'qr_svg', 'qr_png'], 'enrolment');
        assert.match(r.json.secret, /^[A-Z2-7]{32}$/);
        assert.notEqual(r.json.secret, first.json.secret);
        const uri = new URL(r.json.otpauth_uri);
        assert.equal(uri.protocol, 'otpauth:');
        assert.equal(decodeURIComponent(r.json.otpauth_uri.split('?')[0]),
            'otpauth://totp/Salesvault:bob@acme');
        assert.equal(uri.searchParams.get('secret'), r.json.secret);
        assert.equal(uri.searchParams.get('issuer'), 'Salesvault');
        assert.match(r.json.qr_svg, /<svg[\s\S]*<\/svg>\s*$/);
        assert.match(r.json.qr_png, /^data:image\/png;base64,/);
        const png = Buffer.from(r.json.qr_png.slice('data:image/png;base64,'.length), 'base64');
        assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
        secret = r.json.secret;
        srv.secrets.add(secret);
        srv.secrets.add(first.json.secret);

        const stale = await srv.api('POST', '/me/totp/confirm', {
            token: tok.bob, body: { code: totp(first.json.secret) },
        });
        expectError(stale, 401, 'code_invalid', null, 'the replaced secret');
    });

    test('4. confirm with a wrong code -> 401 code_invalid; no code -> 400 field_missing', async () => {
        const good = totp(secret);
        const wrong = String((Number(good) + 500000) % 1000000).padStart(6, '0');
        const r = await srv.api('POST', '/me/totp/confirm', { token: tok.bob, body: { code: wrong } });
        expectError(r, 401, 'code_invalid');
        const m = await srv.api('POST', '/me/totp/confirm', { token: tok.bob, body: {} });
        expectError(m, 400, 'field_missing', 'code');
    });

    test('5. confirm with the current code -> 200 with 10 distinct recovery codes', async () => {
        usedCode = totp(secret);
        const r = await srv.api('POST', '/me/totp/confirm', { token: tok.bob, body: { code: usedCode } });
        expectStatus(r, 200);
        expectKeys(r.json, ['recovery_codes'], 'confirm');
        assert.equal(r.json.recovery_codes.length, 10);
        for (const c of r.json.recovery_codes) assert.match(c, /^[a-z0-9]{4}-[a-z0-9]{4}$/);
        assert.equal(new Set(r.json.recovery_codes).size, 10);
        recovery = r.json.recovery_codes;
        for (const c of recovery) srv.secrets.add(c);
        // Nothing pending any more.
        const again = await srv.api('POST', '/me/totp/confirm', { token: tok.bob, body: { code: totp(secret) } });
        expectError(again, 409, 'totp_not_enrolled');
    });

    test('6. POST /me/totp while one is confirmed -> 409 totp_already_enrolled', async () => {
        const r = await srv.api('POST', '/me/totp', { token: tok.bob });
        expectError(r, 409, 'totp_already_enrolled');
    });

    test('7. DELETE /me/totp needs a code: no body -> 400; replayed code -> 401; wrong code -> 401', async () => {
        const none = await srv.api('DELETE', '/me/totp', { token: tok.bob });
        expectError(none, 400, 'json_malformed');
        const empty = await srv.api('DELETE', '/me/totp', { token: tok.bob, body: {} });
        expectError(empty, 400, 'field_missing', 'code');
        // The step of step 5 is spent: the same code never passes twice.
        const replay = await srv.api('DELETE', '/me/totp', { token: tok.bob, body: { code: usedCode } });
        expectError(replay, 401, 'code_invalid', null, 'replayed code');
        const wrong = await srv.api('DELETE', '/me/totp', { token: tok.bob, body: { code: 'zzzz-zzzz' } });
        expectError(wrong, 401, 'code_invalid', null, 'unknown recovery code');
    });

    test('8. DELETE /me/totp with a recovery code (typed in upper case, no dash) -> 204; then nothing to remove -> 409', async () => {
        const typed = recovery[3].replace('-', '').toUpperCase();
        const r = await srv.api('DELETE', '/me/totp', { token: tok.bob, body: { code: typed } });
        expectStatus(r, 204);
        const again = await srv.api('DELETE', '/me/totp', { token: tok.bob, body: { code: recovery[4] } });
        expectError(again, 409, 'totp_not_enrolled');
    });

    test('9. enrol again, confirm, remove with the next step\'s code -> 204', async () => {
        const s = await srv.api('POST', '/me/totp', { token: tok.bob });
        expectStatus(s, 200);
        srv.secrets.add(s.json.secret);
        const c = await srv.api('POST', '/me/totp/confirm', { token: tok.bob, body: { code: totp(s.json.secret) } });
        expectStatus(c, 200);
        for (const x of c.json.recovery_codes) srv.secrets.add(x);
        // The old recovery codes died with the old authenticator.
        const old = await srv.api('DELETE', '/me/totp', { token: tok.bob, body: { code: recovery[5] } });
        expectError(old, 401, 'code_invalid');
        const next = totp(s.json.secret, Date.now() + 30000); // within the ±1 step window
        const d = await srv.api('DELETE', '/me/totp', { token: tok.bob, body: { code: next } });
        expectStatus(d, 204);
    });

    // ---- inbox ----

    test('10. GET /me/inbox: newest first, paged with next_cursor, the security notices of steps 5-9', async () => {
        const r = await srv.api('GET', '/me/inbox?limit=2', { token: tok.bob });
        expectStatus(r, 200);
        expectKeys(r.json, ['items', 'next_cursor', 'unread'], 'inbox page');
        assert.equal(r.json.items.length, 2);
        assert.equal(typeof r.json.next_cursor, 'string');
        for (const m of r.json.items) {
            expectKeys(m, ['id', 'kind', 'title', 'body', 'created_at', 'read'], 'inbox item');
            assert.match(m.id, UUID_RE);
            expectTime(m.created_at, 'created_at');
        }
        const all = await listAll(srv, tok.bob, '/me/inbox', { limit: 2 });
        // Other notices (e.g. of sign-ins) may sit between ours.
        const mine = new Set(['Authenticator app added', 'Authenticator app removed', 'A recovery code was used']);
        assert.deepEqual(all.map((m) => m.title).filter((t) => mine.has(t)), [
            'Authenticator app removed', // step 9
            'Authenticator app added', // step 9
            'Authenticator app removed', // step 8
            'A recovery code was used', // step 8
            'Authenticator app added', // step 5
        ]);
        const ids = all.map((m) => m.id);
        assert.deepEqual(ids, [...ids].sort().reverse(), 'ids descend (newest first)');
        assert.deepEqual(all.slice(0, 2), r.json.items);
        // Another account's inbox is its own.
        const a = await srv.api('GET', '/me/inbox', { token: tok.alice });
        expectStatus(a, 200);
        assert.ok(a.json.items.every((m) => !mine.has(m.title)), "alice does not see bob's notices");
    });

    test('11. GET /me/inbox with a bad limit, cursor or parameter -> 400 naming it', async () => {
        expectError(await srv.api('GET', '/me/inbox?limit=0', { token: tok.bob }), 400, 'field_invalid', 'limit');
        expectError(await srv.api('GET', '/me/inbox?cursor=nonsense', { token: tok.bob }), 400, 'field_invalid', 'cursor');
        expectError(await srv.api('GET', '/me/inbox?page=2', { token: tok.bob }), 400, 'field_unknown', 'page');
        expectError(await srv.api('GET', '/me/inbox'), 401, 'unauthenticated');
    });

    // ---- phone ----

    test('12. PATCH /users/{id} phone: bad numbers -> 400 naming phone; {} -> field_missing', async () => {
        const p = `/users/${acme.users.carol.id}`;
        for (const phone of ['12345678', '+0123456789', '+86 13800000000', '+123456', '+1234567890123456', 5]) {
            const r = await srv.api('PATCH', p, { token: tok['root.admin'], body: { phone } });
            expectError(r, 400, 'field_invalid', 'phone', `phone ${phone}`);
        }
        expectError(await srv.api('PATCH', p, { token: tok['root.admin'], body: {} }), 400, 'field_missing', 'phone');
        expectError(await srv.api('PATCH', p, { token: tok['root.admin'], body: { email: 'x@y.z' } }),
            400, 'field_unknown', 'email');
    });

    test('13. PATCH /users/{id}: a member -> 403; another tenant\'s account or an unknown id -> 404', async () => {
        const body = { phone: '+8613800000000' };
        expectError(await srv.api('PATCH', `/users/${acme.users.carol.id}`, { token: tok.alice, body }), 403, 'forbidden');
        expectError(await srv.api('PATCH', `/users/${beta.admin.id}`, { token: tok['root.admin'], body }), 404, 'not_found');
        expectError(await srv.api('PATCH', `/users/${acme.users.carol.id}`, { token: tok['beta.admin'], body }),
            404, 'not_found');
        expectError(await srv.api('PATCH', '/users/not-a-uuid', { token: tok['root.admin'], body }), 404, 'not_found');
    });

    test('14. PATCH /users/{id} binds a phone -> 204; audited as user.update without the number', async () => {
        const r = await srv.api('PATCH', `/users/${acme.users.carol.id}`, {
            token: tok['root.admin'], body: { phone: '+8613800000000' },
        });
        expectStatus(r, 204);
        const ev = await srv.api('GET', '/audit/events?action=user.update&limit=5', { token: tok['root.admin'] });
        expectStatus(ev, 200);
        const e = ev.json.items.find((x) => x.target_id === acme.users.carol.id);
        assert.ok(e, 'a user.update event for carol');
        assert.equal(e.result, 'success');
        assert.ok(!JSON.stringify(e).includes('13800000000'), 'the number is not in the audit log');
        assert.ok(JSON.stringify(e.details).includes('phone'), 'the field is named');
        const inbox = await srv.api('GET', '/me/inbox', { token: tok.carol });
        assert.equal(inbox.json.items.filter((m) => m.title === 'Phone number changed').length, 1);
    });

    test('15. POST /users with a phone -> 201; a bad phone -> 400 naming phone', async () => {
        const bad = await srv.api('POST', '/users', { token: tok['root.admin'], body: { username: 'frank', phone: '555' } });
        expectError(bad, 400, 'field_invalid', 'phone');
        const r = await srv.api('POST', '/users', {
            token: tok['root.admin'], body: { username: 'frank', phone: '+4915112345678' },
        });
        expectStatus(r, 201);
        const before = outbox().length;
        expectStatus(await reset({ tenant: 'acme', username: 'frank', channel: 'sms' }), 202);
        const sent = outbox().slice(before);
        assert.equal(sent.length, 1, 'one SMS for frank');
        assert.equal(sent[0].channel, 'sms');
        assert.equal(sent[0].to, '+4915112345678');
    });

    // ---- reset ----

    test('16. POST /auth/reset: unknown tenant, unknown user, no e-mail -> 202 {} and nothing sent, not faster', async () => {
        const before = outbox().length;
        for (const body of [
            { tenant: 'nope', username: 'alice', channel: 'email' },
            { tenant: 'acme', username: 'nobody', channel: 'email' },
            { tenant: 'acme', username: 'bob', channel: 'email' }, // no e-mail
            { tenant: 'acme', username: 'bob', channel: 'sms' }, // no phone
        ]) {
            const t0 = Date.now();
            const r = await reset(body);
            expectStatus(r, 202, JSON.stringify(body));
            assert.deepEqual(r.json, {});
            assert.ok(Date.now() - t0 >= 280, 'the answer waits for the floor');
        }
        assert.equal(outbox().length, before, 'nothing was sent');
        expectError(await reset({ tenant: 'acme', username: 'alice', channel: 'fax' }), 400, 'field_invalid', 'channel');
        expectError(await reset({ tenant: 'acme', username: 'alice' }), 400, 'field_missing', 'channel');
    });

    test('17. reset by e-mail: the code arrives; wrong code and a weak password refused; the right one -> 204 once', async () => {
        const before = outbox().length;
        const t0 = Date.now();
        expectStatus(await reset({ tenant: 'acme', username: 'alice', channel: 'email' }), 202);
        assert.ok(Date.now() - t0 >= 280);
        const sent = outbox().slice(before);
        assert.equal(sent.length, 1);
        expectKeys(sent[0], ['id', 'time', 'channel', 'to', 'subject', 'text'], 'outbox line');
        assert.equal(sent[0].channel, 'email');
        assert.equal(sent[0].to, 'alice@acme.test');
        assert.match(sent[0].text, /expires in 10 minutes/);
        const code = codeOf(sent[0]);
        const wrong = String((Number(code) + 1) % 1000000).padStart(6, '0');

        expectError(await confirm({ tenant: 'acme', username: 'alice', code: wrong, new_password: 'Zr5!pLm8#wQa' }),
            400, 'reset_code_invalid');
        expectError(await confirm({ tenant: 'acme', username: 'alice', code, new_password: 'ab' }),
            400, 'password_too_short', 'new_password');
        expectError(await confirm({ tenant: 'acme', username: 'alice', code }), 400, 'field_missing', 'new_password');

        const newPw = 'Zr5!pLm8#wQa';
        srv.secrets.add(newPw);
        expectStatus(await confirm({ tenant: 'acme', username: 'alice', code, new_password: newPw }), 204);
        // Single use.
        expectError(await confirm({ tenant: 'acme', username: 'alice', code, new_password: 'Kx7$fRt2@yUe' }),
            400, 'reset_code_invalid', null, 'second use');

        // The old session died; the new password works, the old one does not.
        expectError(await srv.api('GET', '/me', { token: tok.alice }), 401, 'unauthenticated');
        expectError(await srv.login('acme', 'alice', pw.alice), 401, 'invalid_credentials');
        const l = await srv.login('acme', 'alice', newPw);
        expectStatus(l, 200);
        assert.equal(l.json.must_change_password, false);
        tok.alice = l.json.token;
        pw.alice = newPw;
        const inbox = await srv.api('GET', '/me/inbox', { token: tok.alice });
        assert.ok(inbox.json.items.some((m) => m.title === 'Password reset' && m.kind === 'security'));
    });

    test('18. unknown user or tenant at confirm -> 400 reset_code_invalid, like a wrong code', async () => {
        expectError(await confirm({ tenant: 'acme', username: 'nobody', code: '123456', new_password: 'Zr5!pLm8#wQa' }),
            400, 'reset_code_invalid');
        expectError(await confirm({ tenant: 'nope', username: 'alice', code: '123456', new_password: 'Zr5!pLm8#wQa' }),
            400, 'reset_code_invalid');
    });

    test('19. five wrong codes burn the code: the right one is refused after', async () => {
        const before = outbox().length;
        expectStatus(await reset({ tenant: 'acme', username: 'dave', channel: 'email' }), 202);
        const code = codeOf(outbox().slice(before)[0]);
        const wrong = String((Number(code) + 7) % 1000000).padStart(6, '0');
        for (let i = 0; i < 5; i++) {
            expectError(await confirm({ tenant: 'acme', username: 'dave', code: wrong, new_password: 'Zr5!pLm8#wQa' }),
                400, 'reset_code_invalid', null, `wrong try ${i + 1}`);
        }
        expectError(await confirm({ tenant: 'acme', username: 'dave', code, new_password: 'Zr5!pLm8#wQa' }),
            400, 'reset_code_invalid', null, 'the burnt code');
        // dave's session is untouched.
        expectStatus(await srv.api('GET', '/me', { token: tok.dave }), 200);
    });

    test('20. a new code voids the older one; over 3 codes an hour nothing is sent (still 202)', async () => {
        let n = outbox().length;
        expectStatus(await reset({ tenant: 'acme', username: 'dave', channel: 'email' }), 202); // 2nd this hour
        const older = codeOf(outbox()[n]);
        n = outbox().length;
        expectStatus(await reset({ tenant: 'acme', username: 'dave', channel: 'email' }), 202); // 3rd
        const newest = codeOf(outbox()[n]);
        n = outbox().length;
        const r = await reset({ tenant: 'acme', username: 'dave', channel: 'email' }); // 4th: over the limit
        expectStatus(r, 202);
        assert.deepEqual(r.json, {});
        assert.equal(outbox().length, n, 'nothing sent over the limit');
        if (older !== newest) {
            expectError(await confirm({ tenant: 'acme', username: 'dave', code: older, new_password: 'Zr5!pLm8#wQa' }),
                400, 'reset_code_invalid', null, 'the voided code');
        }
        const newPw = 'Vb3#nQz6!kTw';
        srv.secrets.add(newPw);
        expectStatus(await confirm({ tenant: 'acme', username: 'dave', code: newest, new_password: newPw }), 204);
        expectError(await srv.api('GET', '/me', { token: tok.dave }), 401, 'unauthenticated');
        const ev = await srv.api('GET', '/audit/events?action=auth.reset_request&limit=50', { token: tok['root.admin'] });
        expectStatus(ev, 200);
        assert.ok(ev.json.items.some((e) => e.reason === 'rate_limited' && e.result === 'denied'),
            'the over-limit request is audited');
        assert.ok(ev.json.items.some((e) => e.reason === 'unknown_account'), 'the unknown user is audited');
    });

    test('21. reset by SMS goes to the bound phone; a cleared phone gets nothing', async () => {
        let n = outbox().length;
        expectStatus(await reset({ tenant: 'acme', username: 'carol', channel: 'sms' }), 202);
        const sent = outbox().slice(n);
        assert.equal(sent.length, 1);
        assert.equal(sent[0].channel, 'sms');
        assert.equal(sent[0].to, '+8613800000000');
        assert.match(sent[0].text, /^Your Salesvault password reset code is \d{6}\./);

        const c = await srv.api('PATCH', `/users/${acme.users.carol.id}`, { token: tok['root.admin'], body: { phone: null } });
        expectStatus(c, 204);
        n = outbox().length;
        expectStatus(await reset({ tenant: 'acme', username: 'carol', channel: 'sms' }), 202);
        assert.equal(outbox().length, n, 'no phone, no SMS');
    });

    test('22. tenant policy --require-mfa on: a session restricted to enrolment becomes whole at confirm, restricted again when the authenticator goes; removal cannot be guessed', async () => {
        const cli = await srv.cli(['tenant', 'policy', 'beta', '--require-mfa', 'on', '--json']);
        assert.equal(cli.code, 0, cli.stderr);
        assert.deepEqual(JSON.parse(cli.stdout).tenant,
            { id: beta.tenant.id, slug: 'beta', require_mfa: true });
        const l = await srv.login('beta', 'beta.admin', pw['beta.admin']);
        expectStatus(l, 200);
        assert.equal(l.json.mfa_pending, true, 'login on a require_mfa tenant without TOTP');
        const t = l.json.token;
        expectError(await srv.api('GET', '/me/inbox', { token: t }), 403, 'mfa_enrolment_required', null,
            'a restricted session may only enrol');
        const e = await srv.api('POST', '/me/totp', { token: t });
        expectStatus(e, 200);
        srv.secrets.add(e.json.secret);
        const c = await srv.api('POST', '/me/totp/confirm', { token: t, body: { code: totp(e.json.secret) } });
        expectStatus(c, 200);
        for (const x of c.json.recovery_codes) srv.secrets.add(x);
        const me = await srv.api('GET', '/me', { token: t });
        expectStatus(me, 200);
        assert.equal(me.json.mfa_pending, false, 'the enrolling session is whole now');
        expectStatus(await srv.api('GET', '/me/inbox', { token: t }), 200);
        // Removing the authenticator restricts the tenant's sessions again.
        const rm = await srv.api('DELETE', '/me/totp', { token: t, body: { code: c.json.recovery_codes[0] } });
        expectStatus(rm, 204);
        assert.equal((await srv.api('GET', '/me', { token: t })).json.mfa_pending, true, 'restricted again');
        expectError(await srv.api('GET', '/me/inbox', { token: t }), 403, 'mfa_enrolment_required');
        // Enrol again; a stolen session cannot guess its way to removing it.
        const e2 = await srv.api('POST', '/me/totp', { token: t });
        srv.secrets.add(e2.json.secret);
        const c2 = await srv.api('POST', '/me/totp/confirm', { token: t, body: { code: totp(e2.json.secret) } });
        expectStatus(c2, 200);
        for (const x of c2.json.recovery_codes) srv.secrets.add(x);
        let wrong = 0;
        for (; wrong < 6; wrong++) {
            const g = await srv.api('DELETE', '/me/totp', { token: t, body: { code: '000000' } });
            if (g.status === 429) break;
            expectError(g, 401, 'code_invalid');
        }
        assert.equal(wrong, 5, 'five wrong codes, then the account waits');
        expectError(await srv.api('DELETE', '/me/totp', { token: t, body: { code: c2.json.recovery_codes[0] } }),
            429, 'rate_limited', null, 'even a right code, while it waits');
        const off = await srv.cli(['tenant', 'policy', 'beta', '--require-mfa', 'off']);
        assert.equal(off.code, 0, off.stderr);
        assert.match(off.stdout, /require_mfa off/);
    });

    test('23. methods: GET /me/totp, PUT /users/{id}, GET /auth/reset -> 405', async () => {
        expectError(await srv.api('GET', '/me/totp', { token: tok.bob }), 405, 'method_not_allowed');
        expectError(await srv.api('PUT', `/users/${acme.users.bob.id}`, { token: tok['root.admin'], body: {} }), 405, 'method_not_allowed');
        expectError(await srv.api('GET', '/auth/reset'), 405, 'method_not_allowed');
        await sleep(0);
    });
});
