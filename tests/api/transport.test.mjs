// Transport (NET-1: HTTPS only, TLS 1.2+ with 1.3 preferred, no weak
// ciphers, HSTS). Raw TLS handshakes from node against a real server.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { expectStatus, startServer } from './lib/server.mjs';

/** Handshake with these options: resolves {ok, protocol, cipher} or {ok: false, code}. */
function handshake(port, opts) {
    return new Promise((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts }, () => {
            const r = { ok: true, protocol: s.getProtocol(), cipher: s.getCipher().name, authorized: s.authorized };
            s.end();
            resolve(r);
        });
        s.setTimeout(5000, () => { s.destroy(); resolve({ ok: false, code: 'timeout' }); });
        s.on('error', (e) => resolve({ ok: false, code: e.code || e.message }));
    });
}

describe('transport: TLS and HSTS', () => {
    let srv;

    before(async () => {
        srv = await startServer({ name: 'transport' });
    });
    after(async () => { await srv?.cleanup(); });

    test('1. a default client negotiates TLS 1.3 and trusts the run\'s certificate', async () => {
        const r = await handshake(srv.port, {});
        assert.equal(r.ok, true, `handshake: ${r.code}`);
        assert.equal(r.protocol, 'TLSv1.3');
        assert.equal(r.authorized, true, 'certificate valid for localhost');
    });

    test('2. a TLS 1.2-only client is served with a forward-secret AEAD cipher', async () => {
        const r = await handshake(srv.port, { maxVersion: 'TLSv1.2' });
        assert.equal(r.ok, true, `handshake: ${r.code}`);
        assert.equal(r.protocol, 'TLSv1.2');
        assert.match(r.cipher, /^ECDHE-.*(GCM|CHACHA20)/, r.cipher);
    });

    test('3. TLS 1.0 and 1.1 are refused', async () => {
        for (const v of ['TLSv1', 'TLSv1.1']) {
            const r = await handshake(srv.port, {
                minVersion: v, maxVersion: v, ciphers: 'DEFAULT@SECLEVEL=0', rejectUnauthorized: false,
            });
            assert.equal(r.ok, false, `${v} handshake succeeded (${r.protocol})`);
        }
    });

    test('4. a client offering only a NULL (unencrypted) cipher is refused', async () => {
        const r = await handshake(srv.port, {
            maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0', rejectUnauthorized: false,
        });
        assert.equal(r.ok, false, `NULL cipher accepted: ${r.cipher}`);
    });

    test('5. plain HTTP on the port gets no HTTP answer', async () => {
        const answer = await new Promise((resolve) => {
            let got = '';
            const s = net.connect(srv.port, '127.0.0.1', () => s.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n'));
            s.setEncoding('latin1');
            s.on('data', (d) => { got += d; });
            s.setTimeout(3000, () => s.destroy());
            s.on('close', () => resolve(got));
            s.on('error', () => {});
        });
        assert.ok(!/^HTTP\/1\.[01] 2\d\d/.test(answer), `plain HTTP was served: ${answer.slice(0, 40)}`);
    });

    test('6. HSTS on success and on error responses', async () => {
        for (const [method, p, status] of [['GET', '/health', 200], ['GET', '/me', 401], ['GET', '/nope', 404]]) {
            const r = await srv.api(method, p);
            expectStatus(r, status, p);
            const hsts = r.headers.get('strict-transport-security') || '';
            const m = /max-age=(\d+)/.exec(hsts);
            assert.ok(m && Number(m[1]) >= 15552000, `${p}: Strict-Transport-Security "${hsts}" (at least 180 days)`);
        }
    });

    test('7. the server is still serving after the refused handshakes', async () => {
        expectStatus(await srv.api('GET', '/health'), 200);
    });
});
