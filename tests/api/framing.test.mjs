// How a request is framed (NET-3, issue 14's request-parsing findings):
// what a proxy in front might read differently from us is refused at once
// (request smuggling), and so is a framing we would otherwise wait on until
// the connection times out.
//
//   1. two Content-Length headers with different values -> 400
//      field_invalid (field Content-Length); the same value twice is fine;
//   2. Transfer-Encoding other than plain "chunked" (e.g. "gzip, chunked")
//      -> 400 field_invalid (field Transfer-Encoding), answered at once;
//   3. an encoded NUL in the path (%00) -> 400 field_invalid (field path).
//
// The requests are written byte for byte over TLS: fetch would not send them.
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { PASSWORDS, closeDown, parseRawAnswer, startServer } from './lib/server.mjs';

/**
 * Send @p head (request line and headers, CRLF-separated, without the blank
 * line) and @p body on a fresh TLS connection; resolve the parsed answer, or
 * an Error when none comes within @p timeoutMs (the server's idle timeout is
 * far longer, so a hang shows here).
 */
function raw(port, head, body = '', timeoutMs = 10000) {
    return new Promise((resolve) => {
        const sock = tls.connect({ host: '127.0.0.1', port });
        let data = '';
        const timer = setTimeout(() => { sock.destroy(); resolve(new Error(`no answer in ${timeoutMs} ms`)); }, timeoutMs);
        sock.setEncoding('utf8');
        sock.on('data', (d) => { data += d; });
        sock.on('error', () => {});
        sock.on('close', () => {
            clearTimeout(timer);
            resolve(parseRawAnswer(data) ?? new Error(`no answer (${JSON.stringify(data.slice(0, 80))})`));
        });
        sock.once('secureConnect', () => {
            sock.write(`${head}\r\nHost: 127.0.0.1\r\nUser-Agent: salesvault-api-tests/1\r\nConnection: close\r\n\r\n${body}`);
        });
    });
}

function expectFieldInvalid(r, field, label) {
    assert.ok(!(r instanceof Error), `${label}: ${r.message}`);
    assert.equal(r.status, 400, `${label}: ${r.status} ${r.text}`);
    assert.deepEqual([r.json?.error?.code, r.json?.error?.field], ['field_invalid', field], `${label}: ${r.text}`);
    assert.ok(r.headers['x-request-id'], `${label}: X-Request-Id`);
}

describe('framing: requests a proxy could read otherwise are refused at once', () => {
    let srv;
    const login = JSON.stringify({ tenant: 'acme', username: 'root.admin', password: 'Wrong-Pass-42!' });

    before(async () => {
        srv = await startServer({
            name: 'framing',
            tenants: [{ slug: 'acme', name: 'Acme Corp', admin: 'root.admin' }],
        });
        await srv.activate('acme', 'root.admin', srv.tenants.acme.admin.temporary_password, PASSWORDS.admin);
    });
    after(async () => { await closeDown(srv); });

    test('1. two different Content-Length headers -> 400 field_invalid (Content-Length); the same value twice is served', async () => {
        const n = Buffer.byteLength(login);
        expectFieldInvalid(await raw(srv.port, `POST /api/v1/auth/login HTTP/1.1\r\nContent-Type: application/json\r\n`
            + `Content-Length: ${n}\r\nContent-Length: ${n + 5}`, login), 'Content-Length', 'two lengths');
        expectFieldInvalid(await raw(srv.port, `POST /api/v1/auth/login HTTP/1.1\r\nContent-Type: application/json\r\n`
            + `Content-Length: ${n + 5}\r\nContent-Length: ${n}`, login), 'Content-Length', 'two lengths, the other order');
        const same = await raw(srv.port, `POST /api/v1/auth/login HTTP/1.1\r\nContent-Type: application/json\r\n`
            + `Content-Length: ${n}\r\nContent-Length: ${n}`, login);
        assert.ok(!(same instanceof Error), same.message);
        assert.equal(same.status, 401, `the same length twice is one length: ${same.text}`);
        assert.equal(same.json?.error?.code, 'invalid_credentials');
    });

    test('2. Transfer-Encoding other than "chunked" -> 400 field_invalid (Transfer-Encoding), at once; chunked alone is served', async () => {
        const chunked = `${Buffer.byteLength(login).toString(16)}\r\n${login}\r\n0\r\n\r\n`;
        for (const te of ['gzip, chunked', 'chunked, gzip', 'gzip', 'identity', 'chunked;q=1']) {
            expectFieldInvalid(await raw(srv.port, `POST /api/v1/auth/login HTTP/1.1\r\nContent-Type: application/json\r\n`
                + `Transfer-Encoding: ${te}`, chunked), 'Transfer-Encoding', te);
        }
        const ok = await raw(srv.port, 'POST /api/v1/auth/login HTTP/1.1\r\nContent-Type: application/json\r\n'
            + 'Transfer-Encoding: chunked', chunked);
        assert.ok(!(ok instanceof Error), ok.message);
        assert.equal(ok.status, 401, `plain chunked is read: ${ok.text}`);
    });

    test('3. an encoded NUL in the path -> 400 field_invalid (path), whatever the route', async () => {
        for (const p of ['/api/v1/health%00', '/api/v1/me%00/x', '/api/v1/users/%00', '/api/v1/auth/login%00']) {
            expectFieldInvalid(await raw(srv.port, `GET ${p} HTTP/1.1`), 'path', p);
        }
        const health = await raw(srv.port, 'GET /api/v1/health HTTP/1.1');
        assert.equal(health.status, 200, 'an ordinary request on the same server');
    });
});
