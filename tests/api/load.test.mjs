// Sign-ins on a saturated machine (issue 5, "No 503 for a sign-in that only
// had to wait"). With both cores spinning in busy loops, many concurrent
// logins (right and wrong passwords) while the CLI adds accounts to the same
// database, and then a SIGTERM while logins are still arriving: every answer
// must be one docs/openapi.yaml declares for the route, and none may be a
// 503 (a login that was only slow to arrive or to get the database is
// served, not refused). A 503 remains for a full hashing queue, with
// Retry-After. The login counters keep the harness's high thresholds
// (FAST_HASHING in lib/server.mjs): this suite is about load, not CAPTCHAs.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { checkResponse, operations } from './lib/schema.mjs';
import { REPO, parseRawAnswer, sleep, startServer } from './lib/server.mjs';

const WRONG = 'Wrong-Pass-42!';

/** docs/openapi.yaml as an object (as coverage/routes.check.mjs reads it). */
function loadOpenapi() {
    const out = execFileSync('python3', ['-c',
        'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)',
        path.join(REPO, 'docs/openapi.yaml')], { encoding: 'utf8', maxBuffer: 16 << 20 });
    return JSON.parse(out);
}

/**
 * One busy loop per core, each bounded by `timeout` (so none outlives a
 * crashed run by more than boundS) and stopped by its pid: SIGTERM to
 * timeout(1) is passed on to its shell.
 */
async function withBusyCores(fn, { cores = 2, boundS = 30 } = {}) {
    const hogs = [];
    for (let i = 0; i < cores; i++) {
        const h = spawn('timeout', ['-s', 'KILL', String(boundS), 'sh', '-c', 'while :; do :; done'],
            { stdio: 'ignore' });
        h.done = new Promise((resolve) => h.on('exit', resolve));
        hogs.push(h);
    }
    try {
        await sleep(200); // let the scheduler see them
        return await fn();
    } finally {
        for (const h of hogs) {
            if (h.exitCode === null && h.signalCode === null) process.kill(h.pid, 'SIGTERM');
        }
        await Promise.all(hogs.map((h) => h.done));
    }
}

/**
 * An HTTPS request in two parts over its own TLS connection: the request
 * line at once, the headers and body when finish() is called. Resolves
 * {finish}; finish() resolves {status, headers, text, json} or the Error.
 */
function rawRequest(port, method, p, body) {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
        const sock = tls.connect({ host: '127.0.0.1', port });
        let data = '';
        const closed = new Promise((done) => {
            sock.setEncoding('utf8');
            sock.on('data', (d) => { data += d; });
            sock.on('error', (e) => done(e));
            sock.on('close', () => done(null));
        });
        sock.once('error', reject);
        sock.once('secureConnect', () => {
            sock.write(`${method} ${p} HTTP/1.1\r\n`, () => resolve({
                async finish() {
                    sock.write('Host: 127.0.0.1\r\nUser-Agent: salesvault-api-tests/1\r\n'
                        + 'Content-Type: application/json\r\nConnection: close\r\n'
                        + `Content-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`);
                    const err = await closed;
                    return parseRawAnswer(data) ?? (err || new Error(`no answer (${JSON.stringify(data.slice(0, 80))})`));
                },
            }));
        });
    });
}

describe('load: sign-ins while the CPU is saturated', () => {
    let srv;
    let doc;
    let ops;
    // Eight accounts: a name has at most captcha_after (3) checks in flight
    // and a login that would wait for one while the server drains gets 503;
    // test 2 sends 24 logins, three per name, so none of them waits.
    const users = ['usr1', 'usr2', 'usr3', 'usr4', 'usr5', 'usr6', 'usr7', 'usr8'];

    /** Problems of one answer against the document, for POST /auth/login. */
    function undocumented(r, p = '/auth/login') {
        if (r instanceof Error) return [];
        return checkResponse(doc, ops, { method: 'POST', path: p, status: r.status, json: r.json });
    }

    /** A login, or the Error when the connection itself failed. */
    const tryLogin = (s, ...a) => s.login(...a).catch((e) => e);

    before(async () => {
        doc = loadOpenapi();
        ops = operations(doc);
        srv = await startServer({
            name: 'load',
            conf: { server: { per_ip_connection_limit: 256 } },
            tenants: [{
                slug: 'load', name: 'Load', admin: 'admin',
                users: users.map((username) => ({ username })),
            }],
        });
    });
    after(async () => { await srv?.cleanup(); });

    test('1. 240 logins, 24 at a time, right and wrong passwords, while the CLI adds accounts -> only 200 and 401, each documented', async () => {
        const t = srv.tenants.load;
        const answers = [];
        const cliRuns = [];
        await withBusyCores(async () => {
            let next = 0;
            let done = false;
            const worker = async () => {
                while (next < 240) {
                    const i = next++;
                    const u = users[i % users.length];
                    const right = i % 2 === 0;
                    const r = await tryLogin(srv, 'load', u, right ? t.users[u].temporary_password : WRONG);
                    answers.push({ i, right, r });
                }
            };
            // The rescue CLI writes the same database from another process.
            const cli = async () => {
                for (let k = 0; !done && k < 20; k++) {
                    const name = `added${k}`;
                    const r = await srv.cli(['user', 'add', '--tenant', 'load', '--username', name, '--json']);
                    cliRuns.push({ name, r });
                }
            };
            const c = cli();
            await Promise.all(Array.from({ length: 24 }, worker));
            done = true;
            await c;
        });

        assert.equal(answers.length, 240);
        const failed = answers.filter((a) => a.r instanceof Error).map((a) => `#${a.i}: ${a.r.message}`);
        assert.deepEqual(failed, [], 'logins whose connection failed');
        const problems = answers.flatMap((a) => undocumented(a.r));
        assert.deepEqual(problems.slice(0, 20), [], 'answers docs/openapi.yaml does not declare');
        const wrong = answers.filter((a) => a.r.status !== (a.right ? 200 : 401))
            .map((a) => `#${a.i} (${a.right ? 'right' : 'wrong'}): ${a.r.status} ${a.r.text}`);
        assert.deepEqual(wrong.slice(0, 20), [], 'a sign-in that only had to wait got another answer');

        assert.ok(cliRuns.length > 0, 'the CLI ran during the load');
        const cliFailed = cliRuns.filter((c) => c.r.code !== 0).map((c) => `${c.name}: ${c.r.stderr}`);
        assert.deepEqual(cliFailed, [], 'CLI runs that failed under load');
        // Its writes landed: a CLI-made account signs in.
        const last = cliRuns[cliRuns.length - 1];
        const temp = JSON.parse(last.r.stdout).temporary_password;
        srv.secrets.add(temp);
        const r = await srv.login('load', last.name, temp);
        assert.equal(r.status, 200, `login of ${last.name}: ${r.text}`);
    });

    test('2. SIGTERM while logins are still arriving on a saturated machine -> each answered login is 200 or 401, none 503; exit 0', async () => {
        const t = srv.tenants.load;
        const body = (i) => {
            const u = users[i % users.length];
            return { tenant: 'load', username: u, password: i % 2 === 0 ? t.users[u].temporary_password : WRONG };
        };
        let answers;
        let late;
        let exit;
        await withBusyCores(async () => {
            // Logins whose connection the server accepted before the
            // signal but whose request it reads after it: what a busy
            // machine does to a client still in its TLS handshake. Made
            // certain here: the request line goes now, the rest after the
            // server logged "stopping".
            const slow = await Promise.all([0, 1, 2, 3].map((i) => rawRequest(srv.port, 'POST', '/api/v1/auth/login', body(i))));
            await sleep(300);
            // And the same by chance: a burst, then the signal.
            const inflight = Array.from({ length: 24 }, (_, i) => tryLogin(srv, ...Object.values(body(i))));
            await sleep(100);
            const stopped = srv.stop();
            for (let i = 0; i < 500 && !srv.logs.some((l) => l.msg === 'stopping'); i++) await sleep(10);
            assert.ok(srv.logs.some((l) => l.msg === 'stopping'), 'the server logged "stopping"');
            late = await Promise.all(slow.map((r) => r.finish()));
            answers = await Promise.all(inflight);
            exit = await stopped;
        });
        assert.deepEqual(exit, { code: 0, signal: null }, 'clean exit on SIGTERM');
        for (const r of late) {
            assert.ok(!(r instanceof Error), `a request read after SIGTERM got no answer: ${r.message}`);
            assert.ok(r.headers['x-request-id'], 'X-Request-Id');
            assert.equal(r.headers.connection, 'close', 'the connection closes after the answer');
        }
        // A connection the server never accepted fails: no answer to check.
        const answered = [...late, ...answers.filter((r) => !(r instanceof Error))];
        const problems = answered.flatMap((r) => undocumented(r));
        assert.deepEqual(problems, [], 'answers docs/openapi.yaml does not declare');
        const refused = answered.filter((r) => ![200, 401].includes(r.status)).map((r) => `${r.status} ${r.text}`);
        assert.deepEqual(refused, [], 'logins refused while the server drained');
    });

    test('3. a full hashing queue -> 503 overloaded with Retry-After, documented; the rest 200', async () => {
        // A second server: one slow hashing worker, a queue of one.
        const busy = await startServer({
            name: 'load-queue',
            conf: {
                password: { opslimit: '3', memlimit_kib: '32768', hash_workers: '1', hash_queue: '1' },
                server: { per_ip_connection_limit: 256 },
            },
            tenants: [{ slug: 'queue', name: 'Queue', admin: 'admin' }],
        });
        try {
            const temp = busy.tenants.queue.admin.temporary_password;
            const answers = await Promise.all(Array.from({ length: 24 }, () => tryLogin(busy, 'queue', 'admin', temp)));
            const failed = answers.filter((r) => r instanceof Error).map((r) => r.message);
            assert.deepEqual(failed, [], 'logins whose connection failed');
            const problems = answers.flatMap((r) => undocumented(r));
            assert.deepEqual(problems, [], 'answers docs/openapi.yaml does not declare');
            const statuses = answers.map((r) => r.status);
            assert.ok(statuses.every((s) => s === 200 || s === 503), `statuses ${statuses}`);
            assert.ok(statuses.includes(200), 'some logins were served');
            const over = answers.filter((r) => r.status === 503);
            assert.ok(over.length > 0, 'the queue of one never overflowed (test setup)');
            for (const r of over) {
                assert.equal(r.json.error.code, 'overloaded');
                assert.equal(r.headers.get('retry-after'), '1', 'a 503 says when to retry');
            }
            busy.checkResponses();
        } finally {
            await busy.cleanup();
        }
    });

    test('4. every response carried X-Request-Id, HSTS and a JSON body; no secret in the log', () => {
        srv.checkResponses();
        srv.checkLogsClean();
    });
});
