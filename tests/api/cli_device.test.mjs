// The `salesvault device` CLI (the user's "phone", docs/auth-flow.md sections
// 3-5, DEV-1…5) against a real server: enrol by SMS (password and code on
// stdin), the key file's mode and contents, devices, push approvals with
// number matching (approve, deny, wrong number), QR web logins from the text
// and from the PNG (libzbar), revocation, the key file permission check and
// usage errors. The other side of each flow (the new device, the browser) is
// driven over the API.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
    chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import {
    BIN, PASSWORDS, UUID_RE, expectError, expectKeys, expectStatus, runCli, setCookies, sleep,
    startServer,
} from './lib/server.mjs';
import { Device, PNG_SIGNATURE, step } from './lib/device.mjs';

const PHONE = '+8613800000000';
const SESSION_KEYS = ['token', 'expires_at', 'must_change_password', 'device_id', 'mfa_pending'];
const WEB_SESSION_KEYS = ['csrf', 'expires_at', 'must_change_password', 'device_id', 'mfa_pending'];
const OTHER_ID = '01234567-89ab-7cde-8f01-23456789abcd';

/**
 * Run the CLI with `lines` fed to stdin one by one: each entry is a string,
 * or an async function resolving the line (called once the earlier lines are
 * written). Resolves {code, signal, stdout, stderr}.
 */
function runCliStdin(args, lines, { timeoutMs = 30000 } = {}) {
    return new Promise((resolve, reject) => {
        const child = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        let closed = false;
        child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
        child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
        child.stdin.on('error', () => { /* it may exit before reading */ });
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('error', (e) => { clearTimeout(timer); reject(e); });
        child.on('close', (code, signal) => {
            closed = true;
            clearTimeout(timer);
            resolve({ code, signal, stdout, stderr });
        });
        (async () => {
            for (const l of lines) {
                const line = typeof l === 'function' ? await l(() => closed) : l;
                if (closed || line === null) break;
                child.stdin.write(`${line}\n`);
            }
            if (!closed) child.stdin.end();
        })().catch((e) => { child.kill('SIGKILL'); reject(e); });
    });
}

/** A valid all-white 8-bit greyscale PNG of w × h. */
function whitePng(w, h) {
    const crcTable = Array.from({ length: 256 }, (_, n) => {
        let c = n;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        return c >>> 0;
    });
    const crc32 = (buf) => {
        let c = 0xffffffff;
        for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
        return (c ^ 0xffffffff) >>> 0;
    };
    const chunk = (type, data) => {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(data.length);
        const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(crc32(td));
        return Buffer.concat([len, td, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(h, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 0; // greyscale
    const raw = Buffer.alloc((w + 1) * h, 0xff);
    for (let y = 0; y < h; y++) raw[y * (w + 1)] = 0; // filter: none
    return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)),
        chunk('IEND', Buffer.alloc(0))]);
}

const show = (r) => `exit ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

describe('salesvault device: the CLI as the trusted phone, against a real server', () => {
    let srv;
    let tmp;
    let keyFile;
    let cacert;
    let adminTok;
    let aliceId;
    let enrolled; // the key file's JSON after enrol
    const pw = PASSWORDS.p1;

    const outbox = () => {
        const f = path.join(srv.dir, 'outbox.jsonl');
        if (!existsSync(f)) return [];
        return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    };

    /** Resolves the 6-digit code of the first SMS to PHONE past `seen`; null if the CLI exited. */
    async function smsCode(seen, isClosed) {
        for (let i = 0; i < 200; i++) {
            if (isClosed()) return null;
            const m = outbox().slice(seen).filter((x) => x.channel === 'sms' && x.to === PHONE);
            if (m.length) {
                const code = /\b(\d{6})\b/.exec(m[m.length - 1].text)?.[1];
                assert.ok(code, `a 6-digit code in ${JSON.stringify(m[m.length - 1])}`);
                return code;
            }
            await sleep(50);
        }
        assert.fail(`no SMS to ${PHONE} in the outbox`);
    }

    /** `salesvault device SUB ...` with this suite's key file (and, unless told, --cacert). */
    const dev = (args, { key = keyFile, withCacert = true } = {}) => runCli(
        ['device', ...args, '--key', key, ...(withCacert ? ['--cacert', cacert] : [])]);

    /** A cli device's login that stops at a device_approval step; its number. */
    async function pushLogin(d) {
        const l = await d.login(srv, 'acme', 'alice', pw);
        expectStatus(l, 200, 'second device login');
        const ch = l.json.challenge;
        assert.ok(ch, `a challenge: ${l.text}`);
        assert.ok(ch.next.includes('device_approval'), `next ${ch.next}`);
        const a = await step(srv, ch, 'approval');
        expectStatus(a, 200, 'POST approval');
        return { ch, number: a.json.number };
    }

    /** The pending push approvals, through `device approvals --json`. */
    async function cliApprovals() {
        const r = await dev(['approvals', '--json']);
        assert.equal(r.code, 0, show(r));
        let j;
        assert.doesNotThrow(() => { j = JSON.parse(r.stdout); }, `--json prints JSON: ${r.stdout}`);
        return j.items;
    }

    /** A web login's QR: {ch, qr, number, png}. */
    async function webQr() {
        const l = await srv.api('POST', '/auth/login', {
            body: { tenant: 'acme', username: 'alice', password: pw, device: { kind: 'web' } },
        });
        expectStatus(l, 200, 'web login');
        const ch = l.json.challenge;
        assert.deepEqual(ch?.next, ['qr_approval'], `web login with a trusted device: ${l.text}`);
        const q = await step(srv, ch, 'qr');
        expectStatus(q, 200, 'POST qr');
        return { ch, ...q.json };
    }

    /** The web wait answered with a browser session; remembers the cookie as a secret. */
    function expectWebSession(w, label) {
        expectStatus(w, 200, label);
        expectKeys(w.json, WEB_SESSION_KEYS, `${label}: web session`);
        const set = setCookies(w.headers).find((c) => c.startsWith('__Host-sv_session='));
        assert.ok(set, `${label}: Set-Cookie __Host-sv_session`);
        srv.secrets.add(set.split(';')[0].slice('__Host-sv_session='.length));
    }

    before(async () => {
        srv = await startServer({
            name: 'cli-device',
            tenants: [{ slug: 'acme', name: 'Acme Corp', admin: 'root.admin', users: [{ username: 'alice' }] }],
        });
        const acme = srv.tenants.acme;
        adminTok = (await srv.activate('acme', 'root.admin', acme.admin.temporary_password, PASSWORDS.admin)).token;
        await srv.activate('acme', 'alice', acme.users.alice.temporary_password, pw);
        aliceId = acme.users.alice.id;
        expectStatus(await srv.api('PATCH', `/users/${aliceId}`, { token: adminTok, body: { phone: PHONE } }), 204,
            'bind alice\'s phone');
        tmp = mkdtempSync(path.join(tmpdir(), 'sv-cli-device-'));
        keyFile = path.join(tmp, 'conf', 'alice.json'); // the parent directory does not exist yet
        cacert = path.join(srv.dir, 'tls/cert.pem');
    });
    after(async () => {
        if (tmp && !process.env.SV_TEST_KEEP) rmSync(tmp, { recursive: true, force: true });
        await srv?.cleanup();
    });

    // ---- usage errors (exit 2), before any key file or network ----

    test('1. usage errors exit 2: no subcommand, an unknown one, enrol without --server, a path as an id, scan of a non-QR', async () => {
        const cases = [
            [['device'], /Usage/],
            [['device', 'frobnicate'], /unknown subcommand 'frobnicate'/],
            [['device', 'enrol', '--tenant', 'acme', '--username', 'alice', '--key', path.join(tmp, 'x.json')],
                /--server/],
            [['device', 'enrol', '--server', `http://127.0.0.1:${srv.port}`, '--tenant', 'acme', '--username', 'alice',
                '--key', path.join(tmp, 'x.json')], /--server/],
            [['device', 'approve', '../me', '--key', keyFile], /not an id/],
            [['device', 'approve', OTHER_ID, '--number', '7', '--key', keyFile], /--number/],
            [['device', 'revoke', '--key', keyFile], /ID is required/],
            [['device', 'scan', 'hello', '--key', keyFile], /not a Salesvault QR code/],
            [['device', 'devices', '--number', '12', '--key', keyFile], /does not take --number/],
        ];
        for (const [args, re] of cases) {
            const r = await runCli(args);
            assert.equal(r.code, 2, `salesvault ${args.join(' ')}: ${show(r)}`);
            assert.match(r.stderr, re, `salesvault ${args.join(' ')}: message`);
        }
        assert.ok(!existsSync(path.join(tmp, 'x.json')), 'no key file from a usage error');
        const help = await runCli(['device', '--help']);
        assert.equal(help.code, 0);
        for (const sub of ['enrol', 'approvals', 'approve', 'deny', 'scan', 'devices', 'revoke']) {
            assert.match(help.stdout, new RegExp(`device ${sub}\\b`), `--help names ${sub}`);
        }
    });

    test('2. before enrol: a command without a key file -> exit 1 naming the file and "enrol"', async () => {
        const r = await dev(['devices']);
        assert.equal(r.code, 1, show(r));
        assert.ok(r.stderr.includes(keyFile), `names the file: ${r.stderr}`);
        assert.match(r.stderr, /enrol/);
    });

    // ---- enrol by SMS ----

    test('3. device enrol (password on stdin, then the SMS code) -> exit 0; the key file is 0600 JSON without the password', async () => {
        const seen = outbox().length;
        const args = ['device', 'enrol', '--server', srv.base, '--tenant', 'acme', '--username', 'alice',
            '--name', 'Alice CLI phone', '--key', keyFile, '--cacert', cacert];
        srv.secrets.add(pw);
        const r = await runCliStdin(args, [pw, (isClosed) => smsCode(seen, isClosed)]);
        assert.equal(r.code, 0, `enrol: ${show(r)}`);
        assert.match(r.stderr, /SMS/, 'tells where the code went');
        assert.match(r.stdout, /Enrolled device [0-9a-f-]{36}/);
        assert.ok(!r.stdout.includes(pw) && !r.stderr.includes(pw), 'the password is not echoed');

        const st = statSync(keyFile);
        assert.equal(st.mode & 0o777, 0o600, `key file mode ${(st.mode & 0o777).toString(8)}`);
        assert.equal(statSync(path.dirname(keyFile)).mode & 0o077, 0, 'a directory it made is private');
        const text = readFileSync(keyFile, 'utf8');
        assert.ok(!text.includes(pw), 'the password is not in the key file');
        assert.doesNotThrow(() => { enrolled = JSON.parse(text); }, 'the key file is JSON');
        for (const k of ['server', 'tenant', 'username', 'device_id', 'public_key', 'secret_key', 'token']) {
            assert.equal(typeof enrolled[k], 'string', `key file has ${k}`);
        }
        assert.ok(!Object.keys(enrolled).some((k) => /pass/i.test(k)), `no password field: ${Object.keys(enrolled)}`);
        assert.equal(enrolled.server, srv.base);
        assert.equal(enrolled.tenant, 'acme');
        assert.equal(enrolled.username, 'alice');
        assert.match(enrolled.device_id, UUID_RE);
        assert.match(enrolled.token, /^svs_/);
        assert.ok(r.stdout.includes(enrolled.device_id), 'stdout names the device id');
        srv.secrets.add(enrolled.token);
        srv.secrets.add(enrolled.secret_key);

        // The server agrees: alice has this device, trusted by the SMS code.
        const devs = await srv.api('GET', `/users/${aliceId}/devices`, { token: adminTok });
        expectStatus(devs, 200);
        const row = devs.json.items.find((d) => d.id === enrolled.device_id);
        assert.ok(row, 'the enrolled device is listed by the admin');
        assert.deepEqual({ kind: row.kind, state: row.state, name: row.name },
            { kind: 'cli', state: 'trusted', name: 'Alice CLI phone' });
    });

    test('4. a second enrol to the same key file without --force -> refused (non-zero, names the file and --force); the file is unchanged', async () => {
        const before = readFileSync(keyFile, 'utf8');
        const seen = outbox().length;
        const args = ['device', 'enrol', '--server', srv.base, '--tenant', 'acme', '--username', 'alice',
            '--key', keyFile, '--cacert', cacert];
        const r = await runCliStdin(args, [pw, (isClosed) => smsCode(seen, isClosed)], { timeoutMs: 15000 });
        assert.notEqual(r.code, 0, show(r));
        assert.equal(r.signal, null, `it exits by itself: ${show(r)}`);
        assert.equal(r.code, 1, `server/state error status: ${show(r)}`);
        assert.ok(r.stderr.includes(keyFile), `names the file: ${r.stderr}`);
        assert.match(r.stderr, /already exists/);
        assert.match(r.stderr, /--force/);
        assert.equal(readFileSync(keyFile, 'utf8'), before, 'the key file is untouched');
        assert.equal(statSync(keyFile).mode & 0o777, 0o600);
        assert.equal(outbox().length, seen, 'nothing was sent: it stopped before signing in');
    });

    // ---- devices ----

    test('5. device devices lists the enrolled device (trusted, current); --json parses; the remembered --cacert is used', async () => {
        const r = await dev(['devices'], { withCacert: false });
        assert.equal(r.code, 0, `devices without --cacert (remembered by enrol): ${show(r)}`);
        const line = r.stdout.split('\n').find((l) => l.includes(enrolled.device_id));
        assert.ok(line, `the device is listed: ${r.stdout}`);
        assert.match(line, /^\*/, `marked current: "${line}"`);
        assert.match(line, /\btrusted\b/, `trusted: "${line}"`);
        assert.match(line, /\bcli\b/);
        assert.ok(line.includes('Alice CLI phone'), `its name: "${line}"`);

        const j = await dev(['devices', '--json']);
        assert.equal(j.code, 0, show(j));
        let parsed;
        assert.doesNotThrow(() => { parsed = JSON.parse(j.stdout); }, `--json: ${j.stdout}`);
        assert.ok(Array.isArray(parsed.items), 'items');
        const mine = parsed.items.find((d) => d.id === enrolled.device_id);
        assert.ok(mine, 'the device is in --json');
        assert.equal(mine.state, 'trusted');
        assert.equal(mine.current, true);
        assert.equal(mine.kind, 'cli');
        assert.deepEqual(parsed.items.filter((d) => d.current).map((d) => d.id), [enrolled.device_id]);
    });

    test('6. verification is never off: --cacert of another CA (the system bundle) -> exit 1, a TLS error, nothing printed', async (t) => {
        const bundle = '/etc/ssl/certs/ca-certificates.crt';
        if (!existsSync(bundle)) return t.skip(`${bundle} is missing`);
        const r = await runCli(['device', 'devices', '--key', keyFile, '--cacert', bundle]);
        assert.equal(r.code, 1, show(r));
        assert.match(r.stderr, /certificate|SSL|TLS/i, `a TLS error: ${r.stderr}`);
        assert.equal(r.stdout, '');
    });

    test('7. device approvals with nothing waiting -> exit 0, says so; --json {items: []}', async () => {
        const r = await dev(['approvals']);
        assert.equal(r.code, 0, show(r));
        assert.match(r.stdout, /No sign-in requests/);
        assert.deepEqual(await cliApprovals(), []);
    });

    // ---- push approvals (DEV-4) ----

    const B = new Device('cli', { name: 'Alice second laptop' });
    test('8. a second device asks for approval; device approvals lists it with 3 choices holding the number; approve --number -> the wait returns the session', async () => {
        const { ch, number } = await pushLogin(B);
        const r = await dev(['approvals']);
        assert.equal(r.code, 0, show(r));
        const items = await cliApprovals();
        assert.equal(items.length, 1, `one waiting: ${JSON.stringify(items)}`);
        const item = items[0];
        assert.match(item.id, UUID_RE);
        assert.equal(item.kind, 'push');
        assert.equal(item.choices.length, 3);
        assert.ok(item.choices.includes(number), `choices ${item.choices} hold ${number}`);
        const line = r.stdout.split('\n').find((l) => l.includes(item.id));
        assert.ok(line, `the text list names the id: ${r.stdout}`);
        const shown = /choices:\s*([\d ]+)/.exec(line)?.[1].trim().split(/\s+/).map(Number);
        assert.deepEqual(shown, item.choices, `the three choices in "${line}"`);
        assert.ok(shown.includes(number));

        const waiting = step(srv, ch, 'wait');
        await sleep(200);
        const a = await dev(['approve', item.id, '--number', String(number)]);
        assert.equal(a.code, 0, `approve: ${show(a)}`);
        assert.match(a.stdout, /Approved/);
        const w = await waiting;
        expectStatus(w, 200, 'wait after the approval');
        expectKeys(w.json, SESSION_KEYS, 'session');
        B.token = w.json.token;
        B.deviceId = w.json.device_id;
        expectStatus(await B.request(srv, 'GET', '/me'), 200, 'the approved device signs in');
        assert.deepEqual(await cliApprovals(), [], 'nothing waits any more');
    });

    test('9. device deny ID -> exit 0; the wait answers 403 approval_denied', async () => {
        const C = new Device('cli', { name: 'Alice tablet' });
        const { ch } = await pushLogin(C);
        const items = await cliApprovals();
        assert.equal(items.length, 1);
        const waiting = step(srv, ch, 'wait');
        await sleep(200);
        const d = await dev(['deny', items[0].id]);
        assert.equal(d.code, 0, `deny: ${show(d)}`);
        assert.match(d.stdout, /Denied/);
        expectError(await waiting, 403, 'approval_denied');
        // Decided: denying it again is refused.
        const again = await dev(['deny', items[0].id]);
        assert.equal(again.code, 1, show(again));
        assert.match(again.stderr, /challenge_expired|not_found/);
    });

    test('10. device approve with the wrong --number -> exit 1, approval_number_mismatch on stderr; the wait is denied', async () => {
        const D = new Device('mobile', { name: 'Alice phone' });
        const { ch, number } = await pushLogin(D);
        const items = await cliApprovals();
        assert.equal(items.length, 1);
        const wrong = items[0].choices.find((c) => c !== number);
        const waiting = step(srv, ch, 'wait');
        await sleep(200);
        const a = await dev(['approve', items[0].id, '--number', String(wrong)]);
        assert.equal(a.code, 1, `wrong number: ${show(a)}`);
        assert.match(a.stderr, /approval_number_mismatch/);
        expectError(await waiting, 403, 'approval_denied');
    });

    test('11. device approve without --number shows the request and reads the number from stdin -> approved', async () => {
        const F = new Device('cli', { name: 'Alice spare' });
        const { ch, number } = await pushLogin(F);
        const items = await cliApprovals();
        assert.equal(items.length, 1);
        const waiting = step(srv, ch, 'wait');
        const a = await runCliStdin(['device', 'approve', items[0].id, '--key', keyFile, '--cacert', cacert],
            [String(number)]);
        assert.equal(a.code, 0, show(a));
        assert.ok(a.stdout.includes(items[0].id), 'it shows the request');
        assert.match(a.stdout, new RegExp(`Choices: ${items[0].choices.join(' ')}`));
        expectStatus(await waiting, 200, 'wait');
    });

    // ---- QR web login (DEV-3) ----

    test('12. device scan PAYLOAD --number N approves a web QR login -> exit 0; the wait returns the browser session', async () => {
        const q = await webQr();
        assert.match(q.qr, /^svqr1\./);
        const waiting = step(srv, q.ch, 'wait');
        await sleep(200);
        const s = await dev(['scan', q.qr, '--number', String(q.number)]);
        assert.equal(s.code, 0, `scan: ${show(s)}`);
        assert.match(s.stdout, /\(qr\)/, 'shows the request as a QR one');
        assert.match(s.stdout, /Approved/);
        expectWebSession(await waiting, 'wait after scan');
        // Single use: scanning it again is refused (server error, exit 1).
        const again = await dev(['scan', q.qr, '--number', String(q.number)]);
        assert.equal(again.code, 1, show(again));
        assert.match(again.stderr, /challenge_expired/);
    });

    test('13. device scan --png FILE (the QR image from the png data URL, decoded by libzbar) -> exit 0; the wait returns the session', async () => {
        const q = await webQr();
        assert.match(q.png, /^data:image\/png;base64,/);
        const png = path.join(tmp, 'qr.png');
        writeFileSync(png, Buffer.from(q.png.slice('data:image/png;base64,'.length), 'base64'));
        const waiting = step(srv, q.ch, 'wait');
        await sleep(200);
        const s = await dev(['scan', '--png', png, '--number', String(q.number)]);
        assert.equal(s.code, 0, `scan --png: ${show(s)}`);
        assert.ok(s.stdout.includes(q.qr.split('.')[1]), 'it found the approval id in the image');
        expectWebSession(await waiting, 'wait after scan --png');
        // A PNG without a QR code: exit 1, nothing sent.
        const blank = path.join(tmp, 'blank.png');
        writeFileSync(blank, whitePng(64, 64));
        const none = await dev(['scan', '--png', blank, '--number', '12']);
        assert.equal(none.code, 1, show(none));
        assert.match(none.stderr, /no Salesvault QR code/);
    });

    test('14. device scan --deny refuses a web login -> exit 0; the wait answers 403 approval_denied', async () => {
        const q = await webQr();
        const waiting = step(srv, q.ch, 'wait');
        await sleep(200);
        const s = await dev(['scan', q.qr, '--deny']);
        assert.equal(s.code, 0, show(s));
        assert.match(s.stdout, /Denied/);
        expectError(await waiting, 403, 'approval_denied');
    });

    // ---- revocation (DEV-5) ----

    test('15. device revoke ID of another device of the account -> exit 0; that device\'s session gets 401 at once', async () => {
        expectStatus(await B.request(srv, 'GET', '/me'), 200, 'B works before');
        const r = await dev(['revoke', B.deviceId]);
        assert.equal(r.code, 0, `revoke: ${show(r)}`);
        assert.match(r.stdout, new RegExp(`Revoked device ${B.deviceId}`));
        expectError(await B.request(srv, 'GET', '/me'), 401, 'unauthenticated', null, 'the revoked device');
        const list = JSON.parse((await dev(['devices', '--json'])).stdout);
        assert.equal(list.items.find((d) => d.id === B.deviceId)?.state, 'revoked');
        assert.equal(list.items.find((d) => d.id === enrolled.device_id)?.state, 'trusted', 'this device is untouched');
        // An unknown device: the server's 404, exit 1.
        const unknown = await dev(['revoke', OTHER_ID]);
        assert.equal(unknown.code, 1, show(unknown));
        assert.match(unknown.stderr, /not_found/);
    });

    // ---- the key file's permissions ----

    test('16. a group-readable key file (0640) is refused by every subcommand that uses it (exit 1, names the mode problem); 0600 works again', async () => {
        const png = path.join(tmp, 'qr.png'); // a real QR image (test 13)
        const subs = [
            ['approvals'],
            ['approvals', '--json'],
            ['approve', OTHER_ID, '--number', '12'],
            ['approve', OTHER_ID],
            ['deny', OTHER_ID],
            ['scan', `svqr1.${OTHER_ID}.${'A'.repeat(43)}`, '--number', '12'],
            ['scan', '--png', png, '--number', '12'],
            ['devices'],
            ['devices', '--json'],
            ['revoke', OTHER_ID],
        ];
        for (const mode of [0o640, 0o604]) {
            chmodSync(keyFile, mode);
            for (const args of subs) {
                const r = await dev(args);
                const label = `chmod ${mode.toString(8)}; device ${args.join(' ')}`;
                assert.equal(r.code, 1, `${label}: ${show(r)}`);
                assert.ok(r.stderr.includes(keyFile), `${label}: names the file: ${r.stderr}`);
                assert.match(r.stderr, /group or others|permission|mode/i, `${label}: names the permission problem`);
                assert.equal(r.stdout, '', `${label}: prints nothing else`);
            }
        }
        // enrol does not read the key file: it refuses any existing one.
        const e = await runCliStdin(['device', 'enrol', '--server', srv.base, '--tenant', 'acme', '--username', 'alice',
            '--key', keyFile, '--cacert', cacert], [pw]);
        assert.equal(e.code, 1, show(e));
        assert.match(e.stderr, /already exists/);
        chmodSync(keyFile, 0o600);
        const ok = await dev(['devices']);
        assert.equal(ok.code, 0, `0600 again: ${show(ok)}`);
    });

    test('17. every response met the generic rules; no secret reached the log', () => {
        srv.checkResponses();
        srv.checkLogsClean();
    });
});
