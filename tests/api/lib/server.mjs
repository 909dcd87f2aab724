// Test harness for the Salesvault black-box API suites.
//
// One call to startServer() gives a suite its own data directory, tenants and
// a running `salesvault serve` on 127.0.0.1 with a kernel-chosen port. The
// certificate is the one tests/api/run.sh made once (SV_TEST_CERT_DIR), placed
// in DIR/tls before `init` so that NODE_EXTRA_CA_CERTS trusts every server.
//
// Besides the plumbing, the harness records what every suite should hold true
// without repeating it in each step (STYLE 4, 8; contract "HTTP API"):
//   - every response carries X-Request-Id and Strict-Transport-Security, and
//     every response body is JSON (srv.checkResponses());
//   - no password, temporary password or token the suite sent or received
//     ever appears in the server's log (srv.checkLogsClean()).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
    appendFileSync, chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync,
    readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = process.env.SALESVAULT_BIN || path.join(REPO, 'build/salesvault');
export const USER_AGENT = 'salesvault-api-tests/1';

/** Fast Argon2id for tests (contract "Config": tests may lower the cost). */
// Legacy suites predate the brute-force defences (AUTH-4/5): they fail
// logins on purpose, from one IP. Suites that test the defences set
// their own [auth] values.
const FAST_HASHING = {
    password: { opslimit: '1', memlimit_kib: '8192' },
    auth: { captcha_after: '1000', lock_after: '1000', stuffing_accounts: '10000' },
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Every Set-Cookie line of a fetch() response's headers, as an array.
 * Headers.getSetCookie() needs undici 5.19+; Debian 12's Node 18 fetches
 * with Debian's undici 5.15, which only joins the lines into one
 * `set-cookie` value with ", ". Splitting that is safe at a comma followed
 * by `name=`: the comma of an Expires date is followed by the day and a
 * space, and cookie values (RFC 6265 cookie-octets) have no commas.
 */
export function setCookies(headers) {
    if (typeof headers.getSetCookie === 'function') return headers.getSetCookie();
    const joined = headers.get('set-cookie');
    if (joined === null) return [];
    return joined.split(/,(?=\s*[^\s=;,]+=)/).map((c) => c.trim()).filter(Boolean);
}

/**
 * Run the CLI. Resolves {code, signal, stdout, stderr}; never rejects on a
 * non-zero exit (tests assert on the code).
 */
export function runCli(args, { timeoutMs = 30000 } = {}) {
    return new Promise((resolve, reject) => {
        const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
        child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('error', (e) => { clearTimeout(timer); reject(e); });
        child.on('close', (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal, stdout, stderr });
        });
    });
}

/** Run the CLI and parse its --json stdout; throws with the output on failure. */
export async function runCliJson(args) {
    const r = await runCli([...args, '--json']);
    if (r.code !== 0) {
        throw new Error(`salesvault ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    }
    try {
        return JSON.parse(r.stdout);
    } catch (e) {
        throw new Error(`salesvault ${args.join(' ')} --json printed no JSON: ${r.stdout}`);
    }
}

/**
 * Set `key = value` lines of an INI file, each inside its [section]. A key the
 * section lacks is added at the section's end; a missing section is appended.
 * Comments and every other line are kept as they are.
 *
 * @param text INI text
 * @param overrides {section: {key: value}}
 */
export function editIni(text, overrides) {
    const lines = text.split('\n');
    const pending = {};
    for (const [sec, kv] of Object.entries(overrides)) {
        pending[sec] = new Map(Object.entries(kv).map(([k, v]) => [k, String(v)]));
    }
    const out = [];
    let section = null;
    const flush = () => {
        // Add the keys this section still lacks, before its trailing blank lines.
        const left = section && pending[section];
        if (!left || left.size === 0) return;
        let at = out.length;
        while (at > 0 && out[at - 1].trim() === '') at--;
        const add = [...left].map(([k, v]) => `${k} = ${v}`);
        out.splice(at, 0, ...add);
        left.clear();
    };
    for (const line of lines) {
        const head = /^\s*\[([^\]]+)\]\s*$/.exec(line);
        if (head) {
            flush();
            section = head[1].trim();
            out.push(line);
            continue;
        }
        const kv = /^\s*([A-Za-z0-9_.-]+)\s*=/.exec(line);
        const want = section && pending[section];
        if (kv && want && want.has(kv[1])) {
            out.push(`${kv[1]} = ${want.get(kv[1])}`);
            want.delete(kv[1]);
            continue;
        }
        out.push(line);
    }
    flush();
    for (const [sec, left] of Object.entries(pending)) {
        if (left.size === 0) continue;
        if (out.length && out[out.length - 1] !== '') out.push('');
        out.push(`[${sec}]`, ...[...left].map(([k, v]) => `${k} = ${v}`), '');
        left.clear();
    }
    return out.join('\n');
}

/** Read back one `key` of `[section]` (for the harness's own check). */
export function readIni(text, section, key) {
    let cur = null;
    for (const line of text.split('\n')) {
        const head = /^\s*\[([^\]]+)\]\s*$/.exec(line);
        if (head) { cur = head[1].trim(); continue; }
        const kv = /^\s*([A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*$/.exec(line);
        if (cur === section && kv && kv[1] === key) return kv[2].replace(/\s*;.*$/, '');
    }
    return undefined;
}

function mergeConf(...parts) {
    const out = {};
    for (const p of parts) {
        for (const [sec, kv] of Object.entries(p || {})) out[sec] = { ...(out[sec] || {}), ...kv };
    }
    return out;
}

/**
 * Make a data directory (init + config + tenants) without starting a server.
 *
 * @param opts.name      label used for the temp dir and the log file
 * @param opts.conf      {section: {key: value}} on top of fast hashing
 * @param opts.tenants   [{slug, name, admin, email?, policy?, minScore?,
 *                        users?: [{username, role?, email?}]}]
 * @returns {dir, tenants: {slug: {tenant, admin, users: {username: user}}}}
 */
/**
 * The database engine of this run: SQLite (default) or, with SV_TEST_PG_PORT
 * (a cluster from scripts/pg-cluster.sh), PostgreSQL with a fresh database
 * per data directory, migrated by sv_owner and served as sv_app.
 */
export const PG_PORT = process.env.SV_TEST_PG_PORT || null;
export const ENGINE = PG_PORT ? 'postgres' : 'sqlite';

let pgSeq = 0;
function pgDatabaseFor(name) {
    const db = `sv_${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}_${++pgSeq}`;
    const r = spawnSync('psql', ['-X', '-q', '-h', '127.0.0.1', '-p', PG_PORT, '-U', 'postgres',
        '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE ${db} OWNER sv_owner`],
    { encoding: 'utf8' });
    assert.equal(r.status, 0, `CREATE DATABASE ${db}: ${r.stderr}`);
    return {
        url: `postgres://sv_app@127.0.0.1:${PG_PORT}/${db}`,
        migrate_url: `postgres://sv_owner@127.0.0.1:${PG_PORT}/${db}`,
    };
}

/**
 * Rows of @p query on a data directory's store, as an operator reads them
 * (sqlite3 on the file; psql as the superuser, which row-level security
 * does not filter): each row's columns joined by '|'.
 */
export function storeSql(dir, query) {
    let r;
    if (ENGINE === 'sqlite') {
        r = spawnSync('sqlite3', ['-batch', '-bail', '-separator', '|', path.join(dir, 'salesvault.db'), query],
            { encoding: 'utf8' });
    } else {
        const db = readIni(readFileSync(path.join(dir, 'salesvault.conf'), 'utf8'), 'database', 'url').split('/').pop();
        r = spawnSync('psql', ['-h', '127.0.0.1', '-p', PG_PORT, '-U', 'postgres', '-d', db, '-At', '-F', '|', '-c', query],
            { encoding: 'utf8' });
    }
    assert.equal(r.status, 0, `${query}: ${r.stderr}`);
    return r.stdout.trim().split('\n').filter((l) => l !== '');
}

export async function makeDataDir({
    name = 'suite', conf = {}, tenants = [], engine = ENGINE, rootKeyFrom = null, keysFrom = null, initArgs = [],
} = {}) {
    const certDir = process.env.SV_TEST_CERT_DIR;
    assert.ok(certDir, 'SV_TEST_CERT_DIR is not set: run the suites through tests/api/run.sh');
    const dir = mkdtempSync(path.join(tmpdir(), `sv-api-${name}-`));
    mkdirSync(path.join(dir, 'tls'), { recursive: true });
    // Placed before init: init never overwrites them, so every server in the
    // run presents the one certificate NODE_EXTRA_CA_CERTS trusts.
    copyFileSync(path.join(certDir, 'cert.pem'), path.join(dir, 'tls/cert.pem'));
    copyFileSync(path.join(certDir, 'key.pem'), path.join(dir, 'tls/key.pem'));
    chmodSync(path.join(dir, 'tls/key.pem'), 0o600);
    if (rootKeyFrom) {
        // Another data dir's root key (a restore target): init keeps it.
        copyFileSync(rootKeyFrom, path.join(dir, 'root.key'));
        chmodSync(path.join(dir, 'root.key'), 0o600);
        // And its key store, the tenants' master keys (DATA-7): a restore
        // brings back only the tenants whose master key is there.
        const keys = path.join(path.dirname(rootKeyFrom), 'keys');
        if (existsSync(keys)) cpSync(keys, path.join(dir, 'keys'), { recursive: true });
    }

    if (keysFrom) {
        // Another data dir's keys (a restore target with a PKCS#11 root):
        // platform.key (wrapped by the token) and the key store.
        for (const f of ['root.key', 'platform.key']) {
            if (existsSync(path.join(keysFrom, f))) copyFileSync(path.join(keysFrom, f), path.join(dir, f));
        }
        const keys = path.join(keysFrom, 'keys');
        if (existsSync(keys)) cpSync(keys, path.join(dir, 'keys'), { recursive: true });
    }

    const init = await runCli(['init', '--data', dir, ...initArgs]);
    assert.equal(init.code, 0, `init failed: ${init.stderr}`);

    const confPath = path.join(dir, 'salesvault.conf');
    assert.ok(engine === 'sqlite' || PG_PORT, `engine ${engine} needs SV_TEST_PG_PORT`);
    const overrides = mergeConf(FAST_HASHING, engine === 'postgres' ? { database: pgDatabaseFor(name) } : {}, conf);
    const edited = editIni(readFileSync(confPath, 'utf8'), overrides);
    writeFileSync(confPath, edited);
    for (const [sec, kv] of Object.entries(overrides)) {
        for (const [k, v] of Object.entries(kv)) {
            assert.equal(readIni(edited, sec, k), String(v), `config [${sec}] ${k} not set`);
        }
    }

    const made = {};
    for (const t of tenants) {
        const args = ['tenant', 'create', '--data', dir, '--name', t.name, '--slug', t.slug,
            '--admin', t.admin];
        if (t.email) args.push('--email', t.email);
        if (t.policy) args.push('--policy', t.policy);
        if (t.minScore !== undefined) args.push('--min-score', String(t.minScore));
        const out = await runCliJson(args);
        made[t.slug] = { tenant: out.tenant, admin: out.admin, users: {} };
        for (const u of t.users || []) {
            const uargs = ['user', 'add', '--data', dir, '--tenant', t.slug, '--username', u.username];
            if (u.role) uargs.push('--role', u.role);
            if (u.email) uargs.push('--email', u.email);
            made[t.slug].users[u.username] = await runCliJson(uargs);
        }
    }
    return { dir, tenants: made };
}

/**
 * Start `salesvault serve` on an existing data directory.
 * Resolves a server handle; see the fields below.
 */
export async function serve(dir, { name = 'suite' } = {}) {
    const child = spawn(BIN, ['serve', '--data', dir, '--listen', '127.0.0.1:0'], {
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs = []; // parsed JSON lines (stderr)
    const rawLines = []; // every line, stdout and stderr
    const logDir = process.env.SV_TEST_LOG_DIR;
    const logFile = logDir ? path.join(logDir, `${name}-${child.pid}.log`) : null;
    // Every response, for the OpenAPI conformance check (coverage/routes.check.mjs).
    const responseFile = logDir ? path.join(logDir, `${name}-${child.pid}.responses.jsonl`) : null;
    let exited = null;
    const exitPromise = new Promise((resolve) => {
        child.on('exit', (code, signal) => { exited = { code, signal }; resolve(exited); });
    });

    const port = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            reject(new Error(`serve did not print "listening" within 15 s:\n${rawLines.join('\n')}`));
        }, 15000);
        const onLine = (line) => {
            rawLines.push(line);
            if (logFile) appendFileSync(logFile, line + '\n');
            let obj;
            try { obj = JSON.parse(line); } catch { return; }
            logs.push(obj);
            if (obj.msg === 'listening' && Number.isInteger(obj.port) && obj.port > 0) {
                clearTimeout(timer);
                resolve(obj.port);
            }
        };
        readline.createInterface({ input: child.stderr }).on('line', onLine);
        readline.createInterface({ input: child.stdout }).on('line', (l) => {
            rawLines.push(l);
            if (logFile) appendFileSync(logFile, l + '\n');
        });
        child.on('error', (e) => { clearTimeout(timer); reject(e); });
        exitPromise.then((e) => {
            clearTimeout(timer);
            reject(new Error(`serve exited (${e.code ?? e.signal}) before listening:\n${rawLines.join('\n')}`));
        });
    });

    const base = `https://127.0.0.1:${port}`;
    const secrets = new Set();
    const problems = [];

    const remember = (v) => { if (typeof v === 'string' && v.length >= 8) secrets.add(v); };

    /**
     * One HTTPS request. path: "/me" (under /api/v1) or "/api/..." as is.
     * opts.body: a value sent as JSON with Content-Type application/json;
     * opts.raw: bytes/string sent as they are (set content-type yourself);
     * opts.token: Bearer token; opts.headers: extra headers.
     * Resolves {status, headers, text, json}.
     */
    async function api(method, p, { token, body, raw, headers = {}, duplex } = {}) {
        const h = { 'user-agent': USER_AGENT, ...headers };
        if (token) h.authorization = `Bearer ${token}`;
        let payload;
        if (raw !== undefined) {
            payload = raw;
        } else if (body !== undefined) {
            payload = JSON.stringify(body);
            if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
                h['content-type'] = 'application/json';
            }
            for (const k of ['password', 'current', 'new']) remember(body?.[k]);
        }
        const url = p.startsWith('/api') || p.startsWith('/scim/') ? base + p : `${base}/api/v1${p}`;
        const init = { method, headers: h, body: payload, redirect: 'manual' };
        if (duplex) init.duplex = duplex;
        const res = await fetch(url, init);
        const text = await res.text();
        let json = null;
        if (text.length > 0) {
            try { json = JSON.parse(text); } catch { json = undefined; }
        }
        remember(json?.token);
        remember(json?.temporary_password);
        if (responseFile) {
            const urlPath = new URL(url).pathname.replace(/^\/api\/v1(?=\/)/, '');
            appendFileSync(responseFile, JSON.stringify({
                method, path: urlPath, status: res.status, json: json === undefined ? null : json,
            }) + '\n');
        }
        const where = `${method} ${p} -> ${res.status}`;
        if (!res.headers.get('x-request-id')) problems.push(`${where}: no X-Request-Id`);
        if (!/max-age=\d+/.test(res.headers.get('strict-transport-security') || '')) {
            problems.push(`${where}: no Strict-Transport-Security with max-age`);
        }
        // The one answer that is not JSON: the audit export (text/csv).
        const csv = res.status === 200 && /^text\/csv; charset=utf-8$/.test(res.headers.get('content-type') || '');
        if (text.length > 0 && json === undefined && !csv) problems.push(`${where}: body is not JSON`);
        // SCIM (RFC 7644) answers in its own media type and error shape.
        const scim = p.startsWith('/scim/');
        const type = scim ? /^application\/scim\+json/ : /^application\/json/;
        if (text.length > 0 && !csv && !type.test(res.headers.get('content-type') || '')) {
            problems.push(`${where}: Content-Type ${res.headers.get('content-type')}`);
        }
        const errorBody = scim
            ? json?.schemas?.[0] === 'urn:ietf:params:scim:api:messages:2.0:Error' : json && json.error;
        if (res.status >= 400 && !errorBody) problems.push(`${where}: error without error body`);
        return { status: res.status, headers: res.headers, text, json };
    }

    /** POST /auth/login; resolves the raw response. */
    function login(tenant, username, password, extra = {}) {
        return api('POST', '/auth/login', { body: { tenant, username, password }, ...extra });
    }

    /**
     * Log in with a temporary password and change it: resolves
     * {token, password} of a session with must_change_password false.
     */
    async function activate(tenant, username, temporary, password) {
        const a = await login(tenant, username, temporary);
        assert.equal(a.status, 200, `activate ${tenant}/${username}: login ${a.text}`);
        assert.equal(a.json.must_change_password, true);
        const c = await api('POST', '/me/password', {
            token: a.json.token, body: { current: temporary, new: password },
        });
        assert.equal(c.status, 204, `activate ${tenant}/${username}: change ${c.text}`);
        return { token: a.json.token, password };
    }

    /** Every response of this server met the contract's generic rules. */
    function checkResponses() {
        assert.deepEqual(problems, [], 'responses that broke the generic rules');
    }

    /** No secret the suite used appears in the server's output. */
    function checkLogsClean() {
        const all = rawLines.join('\n');
        const leaked = [...secrets].filter((s) => all.includes(s));
        assert.deepEqual(leaked, [], 'secrets found in the server log');
        assert.ok(secrets.size > 0, 'the suite recorded no secrets: the check would prove nothing');
    }

    /**
     * SIGTERM the server (by its pid) and wait for it. Resolves {code, signal}.
     * A server that does not stop in 10 s is killed and the call throws.
     */
    async function stop() {
        if (exited) return exited;
        child.kill('SIGTERM');
        let timer;
        const r = await Promise.race([
            exitPromise,
            new Promise((resolve) => { timer = setTimeout(() => resolve(null), 10000); }),
        ]);
        clearTimeout(timer);
        if (r) return r;
        child.kill('SIGKILL');
        await exitPromise;
        throw new Error('serve did not stop within 10 s of SIGTERM');
    }

    return {
        dir, port, base, pid: child.pid, logs, rawLines, secrets,
        api, login, activate, checkResponses, checkLogsClean, stop,
        get exited() { return exited; },
    };
}

/**
 * makeDataDir + serve. The handle adds `tenants` (from the CLI),
 * `cli(args)` (runs the CLI on this data dir) and cleanup() (stop, then
 * remove the data dir unless SV_TEST_KEEP is set).
 */
export async function startServer(opts = {}) {
    const data = await makeDataDir(opts);
    let srv;
    try {
        srv = await serve(data.dir, opts);
    } catch (e) {
        if (!process.env.SV_TEST_KEEP) rmSync(data.dir, { recursive: true, force: true });
        throw e;
    }
    let removed = false;
    srv.tenants = data.tenants;
    for (const t of Object.values(data.tenants)) {
        for (const a of [t.admin, ...Object.values(t.users)]) srv.secrets.add(a.temporary_password);
    }
    srv.cli = (args) => runCli([...args, '--data', data.dir]);
    /**
     * Stop (if still running) and remove the data dir: for after() hooks.
     * Throws (failing the suite) when the server did not exit 0 on SIGTERM or
     * printed a sanitizer report.
     */
    srv.cleanup = async () => {
        try {
            const r = await srv.stop();
            const reports = srv.rawLines.filter((l) => /AddressSanitizer|LeakSanitizer|runtime error:/.test(l));
            assert.deepEqual(reports, [], 'sanitizer reports in the server output');
            assert.deepEqual(r, { code: 0, signal: null }, 'serve exits 0 on SIGTERM');
        } finally {
            if (!removed && !process.env.SV_TEST_KEEP) {
                rmSync(data.dir, { recursive: true, force: true });
                removed = true;
            }
        }
    };
    return srv;
}

/** Secrets used across suites: each meets the default policy (AUTH-1). */
export const PASSWORDS = {
    p1: 'Hq3@wTz8nLc5',
    p2: 'Tg9*hBn4@Lq2',
    p3: 'Wd2&kPz7!mRv',
    p4: 'Jc8%xLq3#sNb',
    admin: 'Ys4!vKe9@pXt',
    admin2: 'Bn7#rGw2$hZq',
};

// ---------- assertions shared by the suites ----------

/** The response is the contract's error body with this status, code, field. */
export function expectError(res, status, code, field = null, label = '') {
    const ctx = `${label ? label + ': ' : ''}body ${res.text}`;
    assert.equal(res.status, status, `status; ${ctx}`);
    assert.ok(res.json && typeof res.json === 'object', `JSON body; ${ctx}`);
    assert.deepEqual(Object.keys(res.json), ['error'], `top-level keys; ${ctx}`);
    assert.deepEqual(Object.keys(res.json.error).sort(), ['code', 'field', 'message'], `error keys; ${ctx}`);
    assert.equal(res.json.error.code, code, `code; ${ctx}`);
    assert.equal(res.json.error.field, field, `field; ${ctx}`);
    assert.equal(typeof res.json.error.message, 'string', `message; ${ctx}`);
}

/** The response has this status (shows the body when it does not). */
export function expectStatus(res, status, label = '') {
    assert.equal(res.status, status, `${label ? label + ': ' : ''}status; body ${res.text}`);
}

/** obj has exactly these keys. */
export function expectKeys(obj, keys, label = '') {
    assert.ok(obj && typeof obj === 'object', `${label}: not an object`);
    assert.deepEqual(Object.keys(obj).sort(), [...keys].sort(), `${label} keys`);
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// RFC 3339 date-time (upper-case T/Z as we render them; offset or Z).
export const RFC3339_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function expectTime(v, label) {
    assert.match(v, RFC3339_RE, `${label} is RFC 3339`);
    assert.ok(!Number.isNaN(Date.parse(v)), `${label} parses`);
}

/** Follow next_cursor from `first` to the end; returns every item. */
export async function listAll(srv, token, p, query = {}, { maxPages = 100 } = {}) {
    const items = [];
    let cursor = null;
    for (let page = 0; page < maxPages; page++) {
        const q = new URLSearchParams(query);
        if (cursor) q.set('cursor', cursor);
        const qs = q.toString();
        const r = await srv.api('GET', qs ? `${p}?${qs}` : p, { token });
        expectStatus(r, 200, `GET ${p} page ${page}`);
        items.push(...r.json.items);
        cursor = r.json.next_cursor;
        if (cursor === null) return items;
        assert.equal(typeof cursor, 'string', 'next_cursor is a string or null');
    }
    throw new Error(`GET ${p}: more than ${maxPages} pages`);
}

/** After a suite: its generic response and log checks, then stop and clean up. */
export async function closeDown(srv) {
    if (!srv) return;
    try {
        srv.checkResponses();
        srv.checkLogsClean();
    } finally {
        await srv.cleanup();
    }
}

/**
 * An HTTP/1.1 answer read off a raw socket: {status, headers (lower-case
 * names), text, json (null when empty, undefined when not JSON)}, or null
 * when no complete header block arrived.
 */
export function parseRawAnswer(data) {
    const at = data.indexOf('\r\n\r\n');
    if (at < 0) return null;
    const [line, ...lines] = data.slice(0, at).split('\r\n');
    const headers = {};
    for (const l of lines) {
        const c = l.indexOf(':');
        headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
    }
    const text = data.slice(at + 4);
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = undefined; }
    return { status: Number(line.split(' ')[1]), headers, text, json };
}
