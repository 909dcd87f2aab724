// The embedded console files (GET / and /static/*): the strict CSP, a
// revalidated cache (ETag, 304), and the gzip variant only for clients that
// accept it, with its own ETag and Vary: Accept-Encoding.
import assert from 'node:assert/strict';
import https from 'node:https';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';

import { startServer } from './lib/server.mjs';

/** One raw GET (no automatic decompression): {status, headers, body}. */
function rawGet(base, path, headers = {}) {
    return new Promise((resolve, reject) => {
        const req = https.get(new URL(path, base), { headers: { 'user-agent': 'salesvault-api-tests/1', ...headers } }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
    });
}

describe('static: the console files', () => {
    let srv;
    before(async () => {
        srv = await startServer({ name: 'static', tenants: [{ slug: 'acme', name: 'Acme', admin: 'root' }] });
    }, { timeout: 120000 });
    after(async () => { await srv?.cleanup(); }, { timeout: 60000 });

    test('the script: plain without gzip, compressed with it, the same bytes, revalidated with 304', async () => {
        const plain = await rawGet(srv.base, '/static/app.js', { 'accept-encoding': 'identity' });
        assert.equal(plain.status, 200);
        assert.equal(plain.headers['content-encoding'], undefined);
        assert.match(plain.headers['content-type'], /^text\/javascript/);
        assert.equal(plain.headers['cache-control'], 'no-cache');
        assert.equal(plain.headers.vary, 'Accept-Encoding');
        assert.match(plain.headers['content-security-policy'], /script-src 'self'/);

        const gz = await rawGet(srv.base, '/static/app.js', { 'accept-encoding': 'gzip, deflate, br' });
        assert.equal(gz.status, 200);
        assert.equal(gz.headers['content-encoding'], 'gzip');
        assert.equal(gz.headers.vary, 'Accept-Encoding');
        assert.ok(gz.body.length < plain.body.length / 2, `${gz.body.length} < ${plain.body.length}/2`);
        assert.deepEqual(gunzipSync(gz.body), plain.body);
        assert.notEqual(gz.headers.etag, plain.headers.etag, 'each variant has its own ETag');

        const refused = await rawGet(srv.base, '/static/app.js', { 'accept-encoding': 'gzip;q=0, br' });
        assert.equal(refused.headers['content-encoding'], undefined, 'q=0 refuses gzip');

        const again = await rawGet(srv.base, '/static/app.js', { 'accept-encoding': 'gzip', 'if-none-match': gz.headers.etag });
        assert.equal(again.status, 304);
        assert.equal(again.body.length, 0);
        const other = await rawGet(srv.base, '/static/app.js', { 'if-none-match': gz.headers.etag });
        assert.equal(other.status, 200, 'the gzip ETag does not validate the plain variant');
    });

    test('the page: HTML under the strict CSP; an unknown static name is 404', async () => {
        const page = await rawGet(srv.base, '/', { 'accept-encoding': 'gzip' });
        assert.equal(page.status, 200);
        assert.match(page.headers['content-type'], /^text\/html/);
        assert.match(page.headers['content-security-policy'], /default-src 'none'/);
        const missing = await rawGet(srv.base, '/static/nope.js');
        assert.equal(missing.status, 404);
    });
});
