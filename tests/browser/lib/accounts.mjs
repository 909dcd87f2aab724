// Account set-up for the browser tests, over the API and the CLI: sessions
// that work whichever way the server answers a client without a device
// (a bearer token, or the web answer of docs/auth-flow.md: the __Host-sv_session
// cookie plus a CSRF token), SMS codes from DATA/outbox.jsonl, and the
// `salesvault device` CLI acting as the user's trusted phone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { BIN, runCli, setCookies, sleep } from '../../api/lib/server.mjs';

/** A session's credentials as extra options for srv.api(). */
export function auth(session) {
    if (session.token) return { token: session.token };
    return { headers: { cookie: session.cookie, 'x-csrf-token': session.csrf } };
}

/**
 * POST /auth/login without a device (a web client) and return a session:
 * {token} or {cookie, csrf}, plus must_change_password. Throws when the
 * server asks for another step: these accounts have no second factor.
 */
export async function apiSignIn(srv, tenant, username, password) {
    const r = await srv.login(tenant, username, password);
    assert.equal(r.status, 200, `sign-in ${tenant}/${username}: ${r.text}`);
    assert.ok(!r.json.challenge, `sign-in ${tenant}/${username} asked for another step: ${r.text}`);
    if (typeof r.json.token === 'string') {
        return { token: r.json.token, must_change_password: r.json.must_change_password };
    }
    assert.equal(typeof r.json.csrf, 'string', `sign-in answer has neither token nor csrf: ${r.text}`);
    const cookies = setCookies(r.headers)
        .map((c) => c.split(';')[0].trim())
        .filter((c) => /^sv_(session|device)=/.test(c));
    assert.ok(cookies.some((c) => c.startsWith('__Host-sv_session=')), 'web sign-in sets __Host-sv_session');
    for (const c of cookies) srv.secrets.add(c.slice(c.indexOf('=') + 1));
    return { cookie: cookies.join('; '), csrf: r.json.csrf, must_change_password: r.json.must_change_password };
}

/** Sign in with the temporary password and set `password`; resolves the session. */
export async function activate(srv, tenant, username, temporary, password) {
    const s = await apiSignIn(srv, tenant, username, temporary);
    assert.equal(s.must_change_password, true, `${tenant}/${username} starts with a temporary password`);
    const c = await srv.api('POST', '/me/password', { ...auth(s), body: { current: temporary, new: password } });
    assert.equal(c.status, 204, `change password of ${tenant}/${username}: ${c.text}`);
    return s;
}

/** Admin: bind a phone number to an account (PATCH /users/{id}). */
export async function setPhone(srv, adminSession, userId, phone) {
    const r = await srv.api('PATCH', `/users/${userId}`, { ...auth(adminSession), body: { phone } });
    assert.ok(r.status === 200 || r.status === 204, `PATCH /users/${userId} phone: ${r.status} ${r.text}`);
}

/** Every message of DATA/outbox.jsonl. */
export function outbox(dir) {
    const file = path.join(dir, 'outbox.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/**
 * Wait for an SMS to `to` beyond the first `seen` messages of the outbox;
 * resolves its one-time code (the 6-digit number in its text).
 */
export async function waitSmsCode(dir, to, seen, timeoutMs = 20000) {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
        const msgs = outbox(dir).slice(seen).filter((m) => m.channel === 'sms' && m.to === to);
        if (msgs.length) {
            const m = /\b(\d{6})\b/.exec(msgs[msgs.length - 1].text || '');
            assert.ok(m, `no 6-digit code in the SMS: ${JSON.stringify(msgs[msgs.length - 1])}`);
            return m[1];
        }
        await sleep(100);
    }
    throw new Error(`no SMS to ${to} in ${path.join(dir, 'outbox.jsonl')} within ${timeoutMs} ms`);
}

/**
 * `salesvault device enrol`, driven like a person would: the password on
 * stdin line 1, then the SMS code (read from the outbox) on line 2.
 * Resolves {code, stdout, stderr}; throws with the output when it fails.
 */
export async function enrolDevice(srv, { tenant, username, password, phone, keyFile, cacert, name = 'Test phone' }) {
    const seen = outbox(srv.dir).length;
    const args = ['device', 'enrol', '--server', srv.base, '--tenant', tenant, '--username', username,
        '--name', name, '--key', keyFile, '--cacert', cacert];
    const child = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.stdin.on('error', () => { /* it may exit before reading */ });
    const exit = new Promise((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal }));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 45000);
    try {
        child.stdin.write(`${password}\n`);
        const code = await Promise.race([
            waitSmsCode(srv.dir, phone, seen),
            exit.then((e) => { throw new Error(`device enrol exited (${e.code ?? e.signal}) before an SMS was sent`); }),
        ]);
        child.stdin.end(`${code}\n`);
        const e = await exit;
        if (e.code !== 0) throw new Error(`device enrol exited ${e.code ?? e.signal}`);
        return { code: 0, stdout, stderr };
    } catch (err) {
        child.kill('SIGKILL');
        err.message += `\n$ salesvault ${args.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`;
        throw err;
    } finally {
        clearTimeout(timer);
    }
}

/**
 * `salesvault device scan PAYLOAD --number N` (or --deny; or `--png FILE`
 * instead of the text when `png` is given); throws on failure.
 */
export async function deviceScan(payload, { number, deny = false, keyFile, cacert, png }) {
    const args = png ? ['device', 'scan', '--png', png] : ['device', 'scan', payload];
    if (number !== undefined) args.push('--number', String(number));
    if (deny) args.push('--deny');
    args.push('--key', keyFile, '--cacert', cacert);
    const r = await runCli(args, { timeoutMs: 30000 });
    if (r.code !== 0) {
        throw new Error(`salesvault ${args.join(' ')} exited ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
    return r;
}
