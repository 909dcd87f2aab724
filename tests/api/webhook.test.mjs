// DEV-6 end to end: `[notify] backend = webhook`. A local HTTP receiver
// plays the SMS gateway: it checks the HMAC-SHA256 signature
// (X-SV-Signature = hex(HMAC(secret, X-SV-Timestamp "." body))) of each POST,
// fails the first delivery (500) and accepts the retry; the code it received
// completes the login. Nothing goes to DATA/outbox.jsonl. A secret file open
// to group or others keeps `salesvault serve` from starting.
import assert from 'node:assert/strict';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
    chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, RFC3339_RE, UUID_RE, editIni, expectKeys, expectStatus, makeDataDir, runCli, serve, sleep,
} from './lib/server.mjs';
import { Device, step } from './lib/device.mjs';

const PHONE = '+8613800000000';
const SESSION_KEYS = ['token', 'expires_at', 'must_change_password', 'device_id', 'mfa_pending'];
const MESSAGE_KEYS = ['id', 'time', 'channel', 'to', 'subject', 'text'];

/**
 * A receiver on 127.0.0.1 (ephemeral port). `answers` is the list of status
 * codes for the deliveries in order (then 200). Resolves {url, port,
 * deliveries: [{at, method, url, headers, raw, status}], close()}.
 */
function startReceiver(answers) {
    const deliveries = [];
    const server = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            const status = typeof answers === 'function' ? answers(deliveries.length)
                : (answers[deliveries.length] ?? 200);
            deliveries.push({
                at: Date.now(), method: req.method, url: req.url, headers: req.headers,
                raw: Buffer.concat(chunks), status,
            });
            res.writeHead(status, { 'content-type': 'application/json' });
            res.end(status === 200 ? '{"ok":true}' : '{"error":"try again"}');
        });
    });
    return new Promise((resolve, reject) => {
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            resolve({
                port, url: `http://127.0.0.1:${port}/hook`, deliveries,
                close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
            });
        });
    });
}

/** Switch a data dir to the webhook backend and write its secret with `mode`. */
function useWebhook(dir, url, secret, mode) {
    const conf = path.join(dir, 'salesvault.conf');
    writeFileSync(conf, editIni(readFileSync(conf, 'utf8'), {
        notify: { backend: 'webhook', webhook_url: url, webhook_secret_file: 'webhook.secret', retries: '3' },
    }));
    const file = path.join(dir, 'webhook.secret');
    writeFileSync(file, `${secret}\n`, { mode });
    chmodSync(file, mode); // whatever the umask did
    return file;
}

const hmacHex = (secret, ts, raw) => createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from(`${ts}.`), raw])).digest('hex');

describe('notify webhook backend (DEV-6): signed POSTs, retry with back-off, no outbox', () => {
    let data;
    let srv;
    let rx;
    const secret = randomBytes(32).toString('base64url');
    const dirs = [];
    let outboxBefore;

    before(async () => {
        // The first delivery fails, the retry succeeds; from the 3rd delivery
        // on (test 6) every one fails.
        rx = await startReceiver((n) => (n === 0 || n >= 2 ? 500 : 200));
        // The tenant is made with the default backend (the CLI opens the
        // notifier too); the webhook conf and its 0600 secret go in before serve.
        data = await makeDataDir({ name: 'webhook', tenants: [{ slug: 'acme', name: 'Acme Corp', admin: 'root.admin', users: [{ username: 'alice' }] }] });
        dirs.push(data.dir);
        useWebhook(data.dir, rx.url, secret, 0o600);
        const ob = path.join(data.dir, 'outbox.jsonl'); // init makes it (empty)
        outboxBefore = existsSync(ob) ? readFileSync(ob, 'utf8') : null;
        assert.ok(!outboxBefore, `the outbox is empty before serve: ${outboxBefore}`);
        srv = await serve(data.dir, { name: 'webhook' });
        srv.secrets.add(secret);
        const acme = data.tenants.acme;
        srv.secrets.add(acme.admin.temporary_password);
        srv.secrets.add(acme.users.alice.temporary_password);
        const admin = await srv.activate('acme', 'root.admin', acme.admin.temporary_password, PASSWORDS.admin);
        await srv.activate('acme', 'alice', acme.users.alice.temporary_password, PASSWORDS.p1);
        expectStatus(await srv.api('PATCH', `/users/${acme.users.alice.id}`, { token: admin.token, body: { phone: PHONE } }),
            204, 'bind alice\'s phone');
    });
    after(async () => {
        try {
            if (srv) {
                const r = await srv.stop();
                const reports = srv.rawLines.filter((l) => /AddressSanitizer|LeakSanitizer|runtime error:/.test(l));
                assert.deepEqual(reports, [], 'sanitizer reports in the server output');
                assert.deepEqual(r, { code: 0, signal: null }, 'serve exits 0 on SIGTERM');
            }
        } finally {
            await rx?.close();
            if (!process.env.SV_TEST_KEEP) for (const d of dirs) rmSync(d, { recursive: true, force: true });
        }
    });

    let ch;
    let sentAt;
    test('1. a new cli device: login -> sms_code challenge; sms/send -> 202', async () => {
        const dev = new Device('cli', { name: 'Alice laptop' });
        const l = await dev.login(srv, 'acme', 'alice', PASSWORDS.p1);
        expectStatus(l, 200);
        ch = l.json.challenge;
        assert.deepEqual(ch?.next, ['sms_code'], `login answer ${l.text}`);
        sentAt = Date.now();
        const s = await step(srv, ch, 'sms/send');
        expectStatus(s, 202, 'sms/send');
        assert.deepEqual(s.json, { sent_to: '•••••0000' });
    });

    test('2. the receiver gets a POST of {id,time,channel:"sms",to,subject,text} signed with X-SV-Timestamp / X-SV-Signature (HMAC-SHA256)', async () => {
        for (let i = 0; i < 200 && rx.deliveries.length === 0; i++) await sleep(50);
        assert.ok(rx.deliveries.length >= 1, 'the webhook was called within 5 s');
        const d = rx.deliveries[0];
        assert.equal(d.method, 'POST');
        assert.equal(d.url, '/hook');
        assert.match(d.headers['content-type'] ?? '', /^application\/json/);
        const ts = d.headers['x-sv-timestamp'];
        const sig = d.headers['x-sv-signature'];
        assert.match(ts ?? '', /^\d+$/, `X-SV-Timestamp ${ts}`);
        // Seconds or milliseconds since 1970 (the contract names no unit): near now either way.
        const tsMs = ts.length <= 11 ? Number(ts) * 1000 : Number(ts);
        assert.ok(Math.abs(tsMs - Date.now()) < 60e3, `X-SV-Timestamp ${ts} is close to now`);
        assert.match(sig ?? '', /^[0-9a-f]{64}$/, `X-SV-Signature is lowercase hex SHA-256 size: ${sig}`);
        const want = hmacHex(secret, ts, d.raw);
        assert.ok(timingSafeEqual(Buffer.from(sig), Buffer.from(want)), 'HMAC-SHA256(secret, ts "." body) matches');
        // Another secret or another body does not verify.
        assert.notEqual(hmacHex(`${secret}x`, ts, d.raw), sig);
        assert.notEqual(hmacHex(secret, String(Number(ts) + 1), d.raw), sig, 'the timestamp is signed');

        const msg = JSON.parse(d.raw.toString('utf8'));
        expectKeys(msg, MESSAGE_KEYS, 'message');
        assert.match(msg.id, UUID_RE);
        assert.match(msg.time, RFC3339_RE);
        assert.ok(Math.abs(Date.parse(msg.time) - sentAt) < 60e3, `time ${msg.time}`);
        assert.equal(msg.channel, 'sms');
        assert.equal(msg.to, PHONE);
        assert.equal(typeof msg.subject, 'string');
        assert.match(msg.text, /\b\d{6}\b/, `a code in "${msg.text}"`);
        assert.equal(d.status, 500, 'the receiver failed the first delivery');
    });

    test('3. the failed delivery is retried after the back-off (about 1 s) with the same message, signed again; then no more', async () => {
        for (let i = 0; i < 200 && rx.deliveries.length < 2; i++) await sleep(50);
        assert.equal(rx.deliveries.length, 2, 'a retry arrived within 5 s of the first delivery');
        const [first, second] = rx.deliveries;
        const gap = second.at - first.at;
        assert.ok(gap >= 800, `the retry waited for the back-off (${gap} ms)`);
        assert.equal(second.raw.toString('utf8'), first.raw.toString('utf8'), 'the same message (same id)');
        const ts = second.headers['x-sv-timestamp'];
        assert.equal(second.headers['x-sv-signature'], hmacHex(secret, ts, second.raw), 'the retry is signed too');
        assert.equal(second.status, 200);
        await sleep(2500); // the next back-off step would have come by now
        assert.equal(rx.deliveries.length, 2, 'a delivered message is not sent again');
    });

    test('4. the code from the webhook completes sms/verify -> session', async () => {
        const msg = JSON.parse(rx.deliveries[1].raw.toString('utf8'));
        const code = /\b(\d{6})\b/.exec(msg.text)[1];
        const v = await step(srv, ch, 'sms/verify', { body: { code } });
        expectStatus(v, 200, 'sms/verify');
        expectKeys(v.json, SESSION_KEYS, 'session');
        assert.match(v.json.token, /^svs_/);
    });

    test('5. nothing was written to DATA/outbox.jsonl; the secret is in no log line', () => {
        const f = path.join(srv.dir, 'outbox.jsonl');
        const size = existsSync(f) ? statSync(f).size : 0;
        assert.equal(size, 0, `outbox.jsonl: ${existsSync(f) ? readFileSync(f, 'utf8') : ''}`);
        for (const d of rx.deliveries) {
            srv.secrets.add(d.headers['x-sv-signature']);
        }
        srv.checkResponses();
        srv.checkLogsClean();
    });

    test('6. retries = 3 bounds the attempts: a receiver that always fails gets 3 signed POSTs with a growing back-off, then no more', async () => {
        const seen = rx.deliveries.length;
        const dev = new Device('cli', { name: 'Alice tablet' });
        const l = await dev.login(srv, 'acme', 'alice', PASSWORDS.p1);
        expectStatus(l, 200);
        expectStatus(await step(srv, l.json.challenge, 'sms/send'), 202, 'sms/send (202 whatever the gateway does later)');
        for (let i = 0; i < 300 && rx.deliveries.length < seen + 3; i++) await sleep(50);
        await sleep(4500); // a 4th attempt would follow the 3rd after a back-off of about 4 s
        const mine = rx.deliveries.slice(seen);
        assert.equal(mine.length, 3, `[notify] retries = 3: ${mine.length} attempts`);
        assert.ok(mine.every((d) => d.status === 500));
        const bodies = new Set(mine.map((d) => d.raw.toString('utf8')));
        assert.equal(bodies.size, 1, 'the same message each time');
        for (const d of mine) {
            assert.equal(d.headers['x-sv-signature'], hmacHex(secret, d.headers['x-sv-timestamp'], d.raw));
        }
        const gaps = [mine[1].at - mine[0].at, mine[2].at - mine[1].at];
        assert.ok(gaps[0] >= 800, `first back-off ${gaps[0]} ms`);
        assert.ok(gaps[1] >= gaps[0] + 500, `the back-off grows: ${gaps.join(', ')} ms`);
        const ob = path.join(srv.dir, 'outbox.jsonl');
        assert.equal(existsSync(ob) ? statSync(ob).size : 0, 0, 'undelivered messages do not fall back to the outbox');
    });

    test('7. a webhook secret file with mode 0644 -> serve refuses to start (non-zero exit, names the file)', async () => {
        const bad = await makeDataDir({ name: 'webhook-perm' });
        dirs.push(bad.dir);
        const file = useWebhook(bad.dir, rx.url, secret, 0o644);
        const r = await runCli(['serve', '--data', bad.dir, '--listen', '127.0.0.1:0'], { timeoutMs: 10000 });
        assert.equal(r.signal, null, `serve stopped by itself (it was killed after 10 s: it started?)\n${r.stderr}`);
        assert.notEqual(r.code, 0, `serve exit status\n${r.stderr}`);
        assert.ok(!/"msg":"listening"/.test(r.stderr), 'it never listened');
        assert.ok(r.stderr.includes(file) || r.stderr.includes('webhook.secret'), `names the file: ${r.stderr}`);
        assert.match(r.stderr, /group or others|permission|mode|0?644/i, `names the problem: ${r.stderr}`);
        assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret), 'the secret is not printed');
        // 0600 (the same file) starts.
        chmodSync(file, 0o600);
        const ok = await serve(bad.dir, { name: 'webhook-perm' });
        assert.deepEqual(await ok.stop(), { code: 0, signal: null });
    });
});
