// Scenario 8 of bench/run.sh: N browsers waiting on QR challenges at once.
//
// usage: node qrwait.mjs BASE_URL TENANT USERNAME PASSWORD DATA_DIR SERVER_PID WAITERS [APPROVE_CONC]
//
// The account must sign in with the password alone when it starts (no phone,
// no trusted device, no TOTP: run.sh prepares it so). Steps:
//   1. log in (API client), GET /me, PATCH /users/{id} {"phone"} (admin);
//   2. enrol a trusted CLI device: a node:crypto Ed25519 key, a signed login
//      with device {kind:"cli", id, public_key} -> challenge with sms_code;
//      sms/send; the code from DATA_DIR/outbox.jsonl; sms/verify -> token;
//   3. WAITERS web logins (device {"kind":"web"}) -> each a challenge with
//      next ["qr_approval"]; POST .../qr for each (number + qr text);
//   4. VmRSS of SERVER_PID at rest ("idle"); then WAITERS concurrent
//      POST .../wait long polls, each on its own TLS connection; once every
//      socket is connected and its request sent, +2 s, VmRSS again;
//   5. as the device, scan + approve each (signed, APPROVE_CONC at a time),
//      recording when each approve answer arrives and when the matching wait
//      answers (one monotonic clock); a wait that answers {"status":"pending"}
//      (the 25 s park ran out) is sent again and counted;
//   6. meanwhile GET /api/v1/health every 20 ms on a connection of its own:
//      the reference round trip.
// Trusts the server certificate through NODE_EXTRA_CA_CERTS (set by run.sh).
// Prints progress lines ("  ...") and one result line starting with QRWAIT.
import https from 'node:https';
import crypto from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';

const [base, tenant, username, password, dataDir, pidArg, nArg, concArg] = process.argv.slice(2);
const N = Number(nArg);
const APPROVE_CONC = Number(concArg || 4);
const serverPid = Number(pidArg);
const url = new URL(base);
const HOST = url.hostname;
const PORT = Number(url.port);
const PHONE = '+8613800138000';

const now = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC, ms
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (s) => console.log(`  ${s}`);
function fail(msg) {
    console.log(`QRWAIT error=${JSON.stringify(msg)}`);
    process.exit(1);
}

function procStatus(key) {
    try {
        const m = readFileSync(`/proc/${serverPid}/status`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+)`, 'm'));
        return m ? Number(m[1]) : null;
    } catch { return null; }
}
function fdCount() {
    try { return readdirSync(`/proc/${serverPid}/fd`).length; } catch { return null; }
}

const setupAgent = new https.Agent({ keepAlive: true, maxSockets: 16 });
const deviceAgent = new https.Agent({ keepAlive: true, maxSockets: Math.max(1, APPROVE_CONC * 2) });
const healthAgent = new https.Agent({ keepAlive: true, maxSockets: 1 });
// One socket per wait: no cap, and every socket kept for a re-issued wait.
// No TLS session cache: each waiter is a browser of its own, with a full
// handshake (resumed sessions cost the server less memory: not what N
// distinct browsers do).
const waitAgent = new https.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: N + 16, maxCachedSessions: 0 });

/** One request; resolves {status, headers, text, json, t (ms, when the answer ended)}. */
function request(agent, method, path, { body, headers = {}, onSent } = {}) {
    return new Promise((resolve, reject) => {
        const data = body === undefined ? null : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
        const h = { ...headers };
        if (data) {
            h['content-type'] = 'application/json';
            h['content-length'] = data.length;
        } else if (method !== 'GET') {
            h['content-length'] = 0;
        }
        const r = https.request({ host: HOST, port: PORT, method, path, agent, headers: h, timeout: 60000 }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                const t = now();
                const text = Buffer.concat(chunks).toString('utf8');
                let json = null;
                try { json = JSON.parse(text); } catch { /* not JSON */ }
                resolve({ status: res.statusCode, headers: res.headers, text, json, t });
            });
            res.on('error', reject);
        });
        r.on('error', reject);
        r.on('timeout', () => r.destroy(new Error(`timeout ${method} ${path}`)));
        // onSent: once the TLS handshake is done and the request written.
        if (onSent) {
            let fin = false, tls = false;
            const check = () => { if (fin && tls) { fin = false; onSent(); } };
            r.on('finish', () => { fin = true; check(); });
            r.on('socket', (sock) => {
                if (!sock.connecting && sock.encrypted && sock._secureEstablished !== false) { tls = true; check(); } else sock.once('secureConnect', () => { tls = true; check(); });
            });
        }
        r.end(data || undefined);
    });
}

// ---- device signatures (docs/auth-flow.md section 5) ----
const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
const pkB64 = publicKey.export({ format: 'jwk' }).x; // base64url, 43 characters
const deviceId = crypto.randomUUID();

function signed(method, path, body, token) {
    const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
    const ts = String(Date.now());
    const nonce = crypto.randomBytes(18).toString('base64url');
    const msg = `sv-device-sig-v1\n${method}\n${path}\n${ts}\n${nonce}\n${crypto.createHash('sha256').update(bytes).digest('hex')}`;
    const h = {
        'x-sv-device': deviceId,
        'x-sv-timestamp': ts,
        'x-sv-nonce': nonce,
        'x-sv-signature': crypto.sign(null, Buffer.from(msg), privateKey).toString('base64url'),
    };
    if (token) h.authorization = `Bearer ${token}`;
    return h;
}

function pct(sorted, p) {
    if (!sorted.length) return NaN;
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

// Run fn(i) for i in [0, n) with at most conc in flight.
async function pool(n, conc, fn) {
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(conc, n) }, async () => {
        while (next < n) {
            const i = next++;
            await fn(i);
        }
    }));
}

const T0 = now();

// ---- 1. admin session, bind a phone ----
let r = await request(setupAgent, 'POST', '/api/v1/auth/login', { body: { tenant, username, password } });
if (r.status !== 200 || !r.json?.token) fail(`admin login ${r.status} ${r.text}`);
const adminToken = r.json.token;
r = await request(setupAgent, 'GET', '/api/v1/me', { headers: { authorization: `Bearer ${adminToken}` } });
if (r.status !== 200 || !r.json?.id) fail(`GET /me ${r.status} ${r.text}`);
const accountId = r.json.id;
r = await request(setupAgent, 'PATCH', `/api/v1/users/${accountId}`, {
    body: { phone: PHONE }, headers: { authorization: `Bearer ${adminToken}` },
});
if (r.status !== 204) fail(`PATCH /users/{id} {phone} answered ${r.status} ${r.text} (is it implemented?)`);

// ---- 2. enrol the trusted CLI device ----
const cliLogin = { tenant, username, password, device: { kind: 'cli', id: deviceId, public_key: pkB64, name: 'bench phone', platform: 'linux' } };
r = await request(setupAgent, 'POST', '/api/v1/auth/login', { body: cliLogin, headers: signed('POST', '/api/v1/auth/login', cliLogin) });
if (r.status !== 200 || !r.json?.challenge) fail(`CLI device login ${r.status} ${r.text}`);
let ch = r.json.challenge;
if (!ch.next.includes('sms_code')) fail(`CLI device login: next ${JSON.stringify(ch.next)} has no sms_code`);
const chH = (c) => ({ 'x-challenge-token': c.token });
r = await request(setupAgent, 'POST', `/api/v1/auth/challenges/${ch.id}/sms/send`, { body: {}, headers: chH(ch) });
if (r.status !== 202) fail(`sms/send ${r.status} ${r.text}`);
let code = null;
for (let k = 0; k < 50 && !code; k++) {
    try {
        const lines = readFileSync(`${dataDir}/outbox.jsonl`, 'utf8').trim().split('\n').reverse();
        for (const l of lines) {
            const m = JSON.parse(l);
            if (m.channel === 'sms' && m.to === PHONE) {
                code = (m.text.match(/\b(\d{6})\b/) || [])[1] || null;
                break;
            }
        }
    } catch { /* not written yet */ }
    if (!code) await sleep(100);
}
if (!code) fail('no SMS code in outbox.jsonl');
r = await request(setupAgent, 'POST', `/api/v1/auth/challenges/${ch.id}/sms/verify`, { body: { code }, headers: chH(ch) });
if (r.status !== 200 || !r.json?.token) fail(`sms/verify ${r.status} ${r.text}`);
const deviceToken = r.json.token;
r = await request(deviceAgent, 'GET', '/api/v1/devices/self/approvals', { headers: signed('GET', '/api/v1/devices/self/approvals', undefined, deviceToken) });
if (r.status !== 200) fail(`signed GET /devices/self/approvals ${r.status} ${r.text}`);
say(`setup: phone bound, CLI device ${deviceId} trusted (${(now() - T0).toFixed(0)} ms)`);

// ---- 3. N web logins, a QR for each ----
const chals = new Array(N);
let t1 = now();
const webBody = { tenant, username, password, device: { kind: 'web' } };
let loginErr = 0;
await pool(N, 16, async (i) => {
    for (let tries = 0; tries < 5; tries++) {
        const a = await request(setupAgent, 'POST', '/api/v1/auth/login', { body: webBody, headers: { 'user-agent': `bench-browser-${i}` } });
        if (a.status === 200 && a.json?.challenge) {
            chals[i] = a.json.challenge;
            return;
        }
        loginErr++;
        if (a.status !== 503 && a.status !== 429) fail(`web login ${i}: ${a.status} ${a.text}`);
        await sleep(50);
    }
    fail(`web login ${i}: still refused after 5 tries`);
});
const nexts = new Set(chals.map((c) => c.next.join(',')));
if (nexts.size !== 1 || !nexts.has('qr_approval')) fail(`web challenges: next ${[...nexts].join(' | ')} (expected qr_approval)`);
const loginsS = (now() - t1) / 1000;
t1 = now();
await pool(N, 16, async (i) => {
    const q = await request(setupAgent, 'POST', `/api/v1/auth/challenges/${chals[i].id}/qr`, { body: {}, headers: chH(chals[i]) });
    if (q.status !== 200 || !q.json?.qr) fail(`qr ${i}: ${q.status} ${q.text}`);
    chals[i].qr = q.json.qr;
    chals[i].number = q.json.number;
});
const qrS = (now() - t1) / 1000;
say(`${N} web logins -> challenges next [qr_approval] in ${loginsS.toFixed(1)} s (${loginErr} retried 503/429); ${N} QR codes in ${qrS.toFixed(1)} s`);
// The setup connections go: the idle figure is the server at rest.
setupAgent.destroy();
await sleep(2000);
const rssIdle = procStatus('VmRSS');
const fdIdle = fdCount();
say(`server idle: VmRSS ${(rssIdle / 1024).toFixed(2)} MiB, ${fdIdle} fds`);

// ---- 4. N concurrent long polls ----
let connected = 0, sent = 0, early = 0, reissued = 0, waitErr = 0;
const waitAt = new Array(N).fill(null);
const waitStatus = new Array(N).fill(null);
const waitDone = new Array(N);
const approvedAt = new Array(N).fill(null);
t1 = now();
function waitOnce(i, first) {
    const c = chals[i];
    return request(waitAgent, 'POST', `/api/v1/auth/challenges/${c.id}/wait`, {
        body: {}, headers: chH(c),
        onSent: () => { if (first) sent++; },
    });
}
for (let i = 0; i < N; i++) {
    waitDone[i] = (async () => {
        let first = true;
        for (;;) {
            let a;
            try {
                a = await waitOnce(i, first);
            } catch (e) {
                waitErr++;
                if (waitErr > 50) fail(`waits failing: ${e.message}`);
                await sleep(100);
                continue;
            }
            first = false;
            if (a.status === 200 && a.json?.status === 'pending') {
                reissued++;
                continue;
            }
            if (approvedAt[i] === null) early++;
            waitAt[i] = a.t;
            waitStatus[i] = a.status;
            return;
        }
    })();
}
// Every request handed to its own socket; count the sockets too.
const deadline = now() + 60000;
while (now() < deadline) {
    let n = 0;
    for (const list of Object.values(waitAgent.sockets)) n += list.length;
    connected = n;
    if (sent >= N) break; // every handshake done, every request written
    await sleep(100);
}
const openS = (now() - t1) / 1000;
if (sent < N) fail(`only ${sent} of ${N} waits sent within 60 s`);
await sleep(2000);
const rssWait = procStatus('VmRSS');
const hwmWait = procStatus('VmHWM');
const fdWait = fdCount();
say(`${N} waits sent on ${connected} TLS connections in ${openS.toFixed(1)} s; +2 s: ${early} answered already; server VmRSS ${(rssWait / 1024).toFixed(2)} MiB (+${((rssWait - rssIdle) / 1024).toFixed(2)} MiB), VmHWM ${(hwmWait / 1024).toFixed(2)} MiB, ${fdWait} fds`);

// ---- 5. approvals, 6. the health reference ----
const healthRtt = [];
let healthOn = true;
const healthLoop = (async () => {
    while (healthOn) {
        const s = now();
        try {
            const h = await request(healthAgent, 'GET', '/api/v1/health');
            if (h.status === 200) healthRtt.push(h.t - s);
        } catch { /* counted as missing */ }
        await sleep(20);
    }
})();
t1 = now();
let approveErr = 0;
const scanMs = [], approveMs = [];
await pool(N, APPROVE_CONC, async (i) => {
    const c = chals[i];
    const sb = { qr: c.qr };
    let s = now();
    const sc = await request(deviceAgent, 'POST', '/api/v1/devices/self/approvals/scan', { body: sb, headers: signed('POST', '/api/v1/devices/self/approvals/scan', sb, deviceToken) });
    if (sc.status !== 200 || !sc.json?.id) { approveErr++; if (approveErr > 20) fail(`scan ${i}: ${sc.status} ${sc.text}`); return; }
    scanMs.push(sc.t - s);
    const path = `/api/v1/devices/self/approvals/${sc.json.id}`;
    const db = { decision: 'approve', number: c.number };
    s = now();
    const ap = await request(deviceAgent, 'POST', path, { body: db, headers: signed('POST', path, db, deviceToken) });
    if (ap.status !== 204) { approveErr++; if (approveErr > 20) fail(`approve ${i}: ${ap.status} ${ap.text}`); return; }
    approveMs.push(ap.t - s);
    approvedAt[i] = ap.t;
});
const approveS = (now() - t1) / 1000;
const allDone = Promise.all(waitDone);
const timeout = sleep(30000).then(() => 'timeout');
const finished = await Promise.race([allDone.then(() => 'ok'), timeout]);
healthOn = false;
await healthLoop;
const rssAfter = procStatus('VmRSS');

const lat = [];
let ok200 = 0;
for (let i = 0; i < N; i++) {
    if (waitStatus[i] === 200) ok200++;
    if (approvedAt[i] !== null && waitAt[i] !== null) lat.push(waitAt[i] - approvedAt[i]);
}
lat.sort((a, b) => a - b);
healthRtt.sort((a, b) => a - b);
scanMs.sort((a, b) => a - b);
approveMs.sort((a, b) => a - b);
say(`${N - approveErr} approvals (scan + approve, concurrency ${APPROVE_CONC}) in ${approveS.toFixed(1)} s; scan p50 ${f2(pct(scanMs, 50))} ms, approve p50 ${f2(pct(approveMs, 50))} ms p99 ${f2(pct(approveMs, 99))} ms; waits ${finished}: ${ok200} answered 200, ${reissued} re-issued after {"status":"pending"}, ${waitErr} socket errors`);
say(`approve answered -> wait answered: p50 ${f2(pct(lat, 50))} ms, p99 ${f2(pct(lat, 99))} ms, max ${f2(lat[lat.length - 1])} ms, min ${f2(lat[0])} ms (${lat.length} pairs)`);
// The answered waits' connections are still open (keep-alive, idle): close them.
waitAgent.destroy();
await sleep(2000);
const rssClosed = procStatus('VmRSS');
say(`server VmRSS after the waits answered, their ${N} connections still open (idle keep-alive): ${(rssAfter / 1024).toFixed(2)} MiB; 2 s after the client closed them: ${(rssClosed / 1024).toFixed(2)} MiB, ${fdCount()} fds`);
say(`GET /health round trip meanwhile: p50 ${f2(pct(healthRtt, 50))} ms, p99 ${f2(pct(healthRtt, 99))} ms, max ${f2(healthRtt[healthRtt.length - 1])} ms (${healthRtt.length} requests)`);
console.log(`QRWAIT waiters=${N} rss_idle_kib=${rssIdle} rss_wait_kib=${rssWait} hwm_wait_kib=${hwmWait} rss_after_kib=${rssAfter} rss_closed_kib=${rssClosed} ` +
    `fd_idle=${fdIdle} fd_wait=${fdWait} connected=${connected} early=${early} reissued=${reissued} wait_errors=${waitErr} ` +
    `approvals=${N - approveErr} approve_s=${approveS.toFixed(2)} answered=${ok200} lat_p50_ms=${f2(pct(lat, 50))} ` +
    `lat_p99_ms=${f2(pct(lat, 99))} lat_max_ms=${f2(lat[lat.length - 1])} lat_n=${lat.length} ` +
    `health_p50_ms=${f2(pct(healthRtt, 50))} health_p99_ms=${f2(pct(healthRtt, 99))} health_n=${healthRtt.length} ` +
    `logins_s=${loginsS.toFixed(1)} qr_s=${qrS.toFixed(1)} open_s=${openS.toFixed(1)} total_s=${((now() - T0) / 1000).toFixed(1)}`);
deviceAgent.destroy();
healthAgent.destroy();
process.exit(0);
