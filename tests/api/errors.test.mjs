// Generic errors (contract "Generic errors"; STYLE 4 one error body, STYLE 6
// limits before parsing, strict JSON with the first bad field named).
// A table: each row is one request and the exact status, code and field.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { PASSWORDS, expectError, expectStatus, startServer } from './lib/server.mjs';

const JSON_CT = { 'content-type': 'application/json' };

describe('errors: bad input gets exact status, code and field', () => {
    let srv;
    let admin; // token
    let userId; // an existing account (the admin)

    before(async () => {
        srv = await startServer({ name: 'errors', tenants: [{ slug: 'errco', name: 'Err Co', admin: 'admin' }] });
        const t = srv.tenants.errco;
        admin = (await srv.activate('errco', 'admin', t.admin.temporary_password, PASSWORDS.admin)).token;
        userId = t.admin.id;
    });
    after(async () => { await srv?.cleanup(); });

    const login = (o) => ({ method: 'POST', path: '/auth/login', ...o });
    const users = (o) => ({ method: 'POST', path: '/users', auth: true, ...o });
    const pw = (o) => ({ method: 'POST', path: '/me/password', auth: true, ...o });
    const big = 'x'.repeat(70 * 1024);

    // [label, request, [status, code, field]]
    const rows = [
        // --- JSON syntax
        ['malformed JSON', login({ raw: '{"tenant":"errco",', headers: JSON_CT }), [400, 'json_malformed', null]],
        ['trailing garbage after JSON', login({ raw: '{"tenant":"errco","username":"a","password":"b"} x', headers: JSON_CT }), [400, 'json_malformed', null]],
        ['empty body on a body route', login({ raw: Buffer.alloc(0), headers: JSON_CT }), [400, 'json_malformed', null]],
        ['duplicate key', login({ raw: '{"tenant":"errco","tenant":"x","username":"a","password":"b"}', headers: JSON_CT }), [400, 'json_malformed', null]],
        ['invalid UTF-8', login({ raw: Buffer.from([0x7b, 0x22, 0x74, 0xff, 0x22, 0x3a, 0x31, 0x7d]), headers: JSON_CT }), [400, 'json_malformed', null]],
        // --- types, missing, unknown fields
        ['login: username a number', login({ body: { tenant: 'errco', username: 5, password: 'x' } }), [400, 'field_invalid', 'username']],
        ['login: tenant a boolean', login({ body: { tenant: true, username: 'admin', password: 'x' } }), [400, 'field_invalid', 'tenant']],
        ['login: password an object', login({ body: { tenant: 'errco', username: 'admin', password: {} } }), [400, 'field_invalid', 'password']],
        ['login: password missing', login({ body: { tenant: 'errco', username: 'admin' } }), [400, 'field_missing', 'password']],
        ['login: tenant missing', login({ body: { username: 'admin', password: 'x' } }), [400, 'field_missing', 'tenant']],
        ['login: unknown field', login({ body: { tenant: 'errco', username: 'admin', password: 'x', remember: true } }), [400, 'field_unknown', 'remember']],
        ['users: username missing', users({ body: { role: 'member' } }), [400, 'field_missing', 'username']],
        ['users: username with a space', users({ body: { username: 'bad name' } }), [400, 'field_invalid', 'username']],
        ['users: username upper case', users({ body: { username: 'Alice' } }), [400, 'field_invalid', 'username']],
        ['users: username 2 chars', users({ body: { username: 'ab' } }), [400, 'field_invalid', 'username']],
        ['users: username 65 chars', users({ body: { username: 'a'.repeat(65) } }), [400, 'field_invalid', 'username']],
        ['users: username starts with "-"', users({ body: { username: '-abc' } }), [400, 'field_invalid', 'username']],
        ['users: username starts with "."', users({ body: { username: '.abc' } }), [400, 'field_invalid', 'username']],
        ['users: username a number', users({ body: { username: 12345 } }), [400, 'field_invalid', 'username']],
        ['users: role not admin|member', users({ body: { username: 'okname', role: 'root' } }), [400, 'field_invalid', 'role']],
        ['users: role a number', users({ body: { username: 'okname', role: 1 } }), [400, 'field_invalid', 'role']],
        ['users: email a number', users({ body: { username: 'okname', email: 5 } }), [400, 'field_invalid', 'email']],
        ['users: unknown field', users({ body: { username: 'okname', is_admin: true } }), [400, 'field_unknown', 'is_admin']],
        ['me/password: new missing', pw({ body: { current: PASSWORDS.admin } }), [400, 'field_missing', 'new']],
        ['me/password: current a number', pw({ body: { current: 1, new: PASSWORDS.p1 } }), [400, 'field_invalid', 'current']],
        ['me/password: unknown field', pw({ body: { current: PASSWORDS.admin, new: PASSWORDS.p1, confirm: PASSWORDS.p1 } }), [400, 'field_unknown', 'confirm']],
        ['reset-password: unknown field', { method: 'POST', path: () => `/users/${userId}/reset-password`, auth: true, body: { notify: true } }, [400, 'field_unknown', 'notify']],
        // --- query parameters
        ['GET /health?verbose=1', { method: 'GET', path: '/health?verbose=1' }, [400, 'field_unknown', 'verbose']],
        ['GET /users?bogus=1', { method: 'GET', path: '/users?bogus=1', auth: true }, [400, 'field_unknown', 'bogus']],
        ['GET /users?limit=0', { method: 'GET', path: '/users?limit=0', auth: true }, [400, 'field_invalid', 'limit']],
        ['GET /users?limit=201', { method: 'GET', path: '/users?limit=201', auth: true }, [400, 'field_invalid', 'limit']],
        ['GET /users?limit=abc', { method: 'GET', path: '/users?limit=abc', auth: true }, [400, 'field_invalid', 'limit']],
        ['GET /users?limit=-1', { method: 'GET', path: '/users?limit=-1', auth: true }, [400, 'field_invalid', 'limit']],
        ['GET /users?limit=10x', { method: 'GET', path: '/users?limit=10x', auth: true }, [400, 'field_invalid', 'limit']],
        ['GET /users?limit=99999999999999999999', { method: 'GET', path: '/users?limit=99999999999999999999', auth: true }, [400, 'field_invalid', 'limit']],
        ['GET /users?cursor=garbage', { method: 'GET', path: '/users?cursor=not-a-cursor', auth: true }, [400, 'field_invalid', 'cursor']],
        ['GET /audit/events?foo=1', { method: 'GET', path: '/audit/events?foo=1', auth: true }, [400, 'field_unknown', 'foo']],
        ['GET /audit/events?since=yesterday', { method: 'GET', path: '/audit/events?since=yesterday', auth: true }, [400, 'field_invalid', 'since']],
        ['GET /audit/events?until=2024-13-45T00:00:00Z', { method: 'GET', path: '/audit/events?until=2024-13-45T00:00:00Z', auth: true }, [400, 'field_invalid', 'until']],
        ['GET /audit/events?actor=not-a-uuid', { method: 'GET', path: '/audit/events?actor=not-a-uuid', auth: true }, [400, 'field_invalid', 'actor']],
        ['GET /audit/events?limit=0', { method: 'GET', path: '/audit/events?limit=0', auth: true }, [400, 'field_invalid', 'limit']],
        ['GET /audit/events?cursor=garbage', { method: 'GET', path: '/audit/events?cursor=zzz', auth: true }, [400, 'field_invalid', 'cursor']],
        // --- size limits
        ['login: body > 64 KiB', login({ raw: JSON.stringify({ tenant: 'errco', username: 'admin', password: big }), headers: JSON_CT }), [413, 'body_too_large', null]],
        ['users: body > 64 KiB', users({ raw: JSON.stringify({ username: 'okname', email: big }), headers: JSON_CT }), [413, 'body_too_large', null]],
        ['users: body > 64 KiB, chunked (no Content-Length)', users({ stream: JSON.stringify({ username: 'okname', email: big }), headers: JSON_CT }), [413, 'body_too_large', null]],
        ['URL > 1 KiB (query)', { method: 'GET', path: `/health?pad=${'a'.repeat(1100)}` }, [414, 'uri_too_long', null]],
        ['URL > 1 KiB (path)', { method: 'GET', path: `/${'a'.repeat(1100)}` }, [414, 'uri_too_long', null]],
        // --- content type
        ['login: Content-Type text/plain', login({ raw: '{"tenant":"errco","username":"admin","password":"x"}', headers: { 'content-type': 'text/plain' } }), [415, 'unsupported_media_type', null]],
        ['login: no Content-Type', login({ raw: Buffer.from('{"tenant":"errco","username":"admin","password":"x"}') }), [415, 'unsupported_media_type', null]],
        ['users: form encoded', users({ raw: 'username=okname', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), [415, 'unsupported_media_type', null]],
        ['me/password: Content-Type application/jsonx', pw({ raw: '{}', headers: { 'content-type': 'application/jsonx' } }), [415, 'unsupported_media_type', null]],
        // --- routing
        ['unknown route', { method: 'GET', path: '/nope', auth: true }, [404, 'not_found', null]],
        ['unknown API version', { method: 'GET', path: '/api/v2/health' }, [404, 'not_found', null]],
        ['route with a trailing segment', { method: 'GET', path: '/me/extra', auth: true }, [404, 'not_found', null]],
        ['reset-password: id not a UUID', { method: 'POST', path: '/users/not-a-uuid/reset-password', auth: true }, [404, 'not_found', null]],
        ['reset-password: id a UUID of nobody', { method: 'POST', path: () => `/users/${randomUUID()}/reset-password`, auth: true }, [404, 'not_found', null]],
        ['reset-password: id with a SQL quote', { method: 'POST', path: `/users/${encodeURIComponent("' OR '1'='1")}/reset-password`, auth: true }, [404, 'not_found', null]],
        ['reset-password: id with encoded slashes', { method: 'POST', path: '/users/..%2F..%2Fhealth/reset-password', auth: true }, [404, 'not_found', null]],
        ['reset-password: id with a trailing char', { method: 'POST', path: () => `/users/${userId}x/reset-password`, auth: true }, [404, 'not_found', null]],
        // --- methods
        ['DELETE /health', { method: 'DELETE', path: '/health' }, [405, 'method_not_allowed', null], ['GET']],
        ['GET /auth/login', { method: 'GET', path: '/auth/login' }, [405, 'method_not_allowed', null], ['POST']],
        ['GET /auth/logout', { method: 'GET', path: '/auth/logout', auth: true }, [405, 'method_not_allowed', null], ['POST']],
        ['DELETE /me', { method: 'DELETE', path: '/me', auth: true }, [405, 'method_not_allowed', null], ['GET']],
        ['GET /me/password', { method: 'GET', path: '/me/password', auth: true }, [405, 'method_not_allowed', null], ['POST']],
        ['PUT /users', { method: 'PUT', path: '/users', auth: true, body: { username: 'okname' } }, [405, 'method_not_allowed', null], ['GET', 'POST']],
        ['GET /users/{id}/reset-password', { method: 'GET', path: () => `/users/${userId}/reset-password`, auth: true }, [405, 'method_not_allowed', null], ['POST']],
        ['POST /audit/events', { method: 'POST', path: '/audit/events', auth: true, body: {} }, [405, 'method_not_allowed', null], ['GET']],
        // --- authentication
        ['GET /me without Authorization', { method: 'GET', path: '/me' }, [401, 'unauthenticated', null]],
        ['GET /me with a made-up svs_ token', { method: 'GET', path: '/me', headers: { authorization: 'Bearer svs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } }, [401, 'unauthenticated', null]],
        ['GET /me with a non-svs token', { method: 'GET', path: '/me', headers: { authorization: 'Bearer garbage' } }, [401, 'unauthenticated', null]],
        ['GET /me with an empty Bearer', { method: 'GET', path: '/me', headers: { authorization: 'Bearer ' } }, [401, 'unauthenticated', null]],
        ['GET /me with Basic auth', { method: 'GET', path: '/me', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }, [401, 'unauthenticated', null]],
        ['GET /me with the token plus one char', { method: 'GET', path: '/me', tokenSuffix: 'A' }, [401, 'unauthenticated', null]],
        ['GET /me with the token minus its last char', { method: 'GET', path: '/me', tokenCut: 1 }, [401, 'unauthenticated', null]],
        ['GET /users without a token', { method: 'GET', path: '/users' }, [401, 'unauthenticated', null]],
        ['POST /users without a token', { method: 'POST', path: '/users', body: { username: 'okname' } }, [401, 'unauthenticated', null]],
        ['GET /audit/events without a token', { method: 'GET', path: '/audit/events' }, [401, 'unauthenticated', null]],
        ['POST /me/password without a token', { method: 'POST', path: '/me/password', body: { current: 'a', new: 'b' } }, [401, 'unauthenticated', null]],
        ['reset-password without a token', { method: 'POST', path: () => `/users/${userId}/reset-password` }, [401, 'unauthenticated', null]],
    ];

    async function send(req) {
        const p = typeof req.path === 'function' ? req.path() : req.path;
        const headers = { ...(req.headers || {}) };
        let token;
        if (req.auth) token = admin;
        if (req.tokenSuffix) headers.authorization = `Bearer ${admin}${req.tokenSuffix}`;
        if (req.tokenCut) headers.authorization = `Bearer ${admin.slice(0, -req.tokenCut)}`;
        if (req.stream !== undefined) {
            const bytes = Buffer.from(req.stream);
            const stream = new ReadableStream({
                start(c) {
                    for (let i = 0; i < bytes.length; i += 8192) c.enqueue(bytes.subarray(i, i + 8192));
                    c.close();
                },
            });
            return srv.api(req.method, p, { token, raw: stream, headers, duplex: 'half' });
        }
        return srv.api(req.method, p, { token, body: req.body, raw: req.raw, headers });
    }

    for (const [i, [label, req, [status, code, field], allow]] of rows.entries()) {
        test(`${String(i + 1).padStart(2, '0')}. ${label} -> ${status} ${code}${field ? ` field ${field}` : ''}`, async () => {
            const r = await send(req);
            expectError(r, status, code, field);
            if (allow) {
                const got = (r.headers.get('allow') || '').split(',').map((m) => m.trim()).filter(Boolean).sort();
                for (const m of allow) assert.ok(got.includes(m), `Allow lists ${m}: "${r.headers.get('allow')}"`);
                for (const m of got) assert.ok([...allow, 'HEAD', 'OPTIONS'].includes(m), `Allow lists only allowed methods: ${m}`);
            }
        });
    }

    test('the refused requests changed nothing: no "okname" user, the admin still logs in', async () => {
        const r = await srv.api('GET', '/users?limit=200', { token: admin });
        expectStatus(r, 200);
        assert.deepEqual(r.json.items.map((u) => u.username), ['admin']);
        expectStatus(await srv.login('errco', 'admin', PASSWORDS.admin), 200);
        expectStatus(await srv.api('GET', '/me', { token: admin }), 200, 'the admin session survived');
    });

    test('a query parameter name that is not UTF-8 -> 400 field_unknown (not 500), field printable', async () => {
        const r = await srv.api('GET', '/api/v1/health?%ff%fe=1');
        assert.equal(r.status, 400);
        assert.equal(r.json.error.code, 'field_unknown');
        assert.equal(r.json.error.field, '??');
    });

    test('the server is still healthy after the bad input', async () => {
        const r = await srv.api('GET', '/health');
        expectStatus(r, 200);
        assert.equal(srv.exited, null, 'serve is still running');
    });

    test('every response carried X-Request-Id, HSTS and a JSON body', () => {
        srv.checkResponses();
    });
});
