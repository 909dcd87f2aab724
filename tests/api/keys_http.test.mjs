// DATA-2 in the console's API (issue 13): GET /admin/keys, the caller's
// tenant's key versions and its newest re-sealing job, the same shape as
// `salesvault keys status --json` with RFC 3339 times:
//   - a tenant admin sees version 1 current and no job; an auditor may read
//     it (settings.read); a member is refused 403, no session 401;
//   - after `salesvault keys rotate` it shows version 2 current and the
//     running job; after the server's background job ends, version 1
//     retired and the job done;
//   - never a wrapped key's bytes; another tenant sees only its own keys.
// Small re-sealing batches with a pause: the job is seen running.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
    ENGINE, PASSWORDS, UUID_RE, closeDown, expectError, expectKeys, expectStatus, expectTime, sleep, startServer,
    storeSql,
} from './lib/server.mjs';

const SEED = 12; // customers (a sealed e-mail each) before the rotation
const STATUS_KEYS = ['current_version', 'versions', 'job'];
const VERSION_KEYS = ['version', 'state', 'created_at', 'retired_at'];
const JOB_KEYS = ['id', 'state', 'phase', 'version', 'pass', 'looked_at', 'older_found', 'not_opening', 'resealed',
    'total', 'created_at', 'finished_at'];

const sql = storeSql;

/** The answer has the documented shape, each time RFC 3339. */
function checkShape(s, label) {
    expectKeys(s, STATUS_KEYS, label);
    assert.ok(Number.isInteger(s.current_version), `${label}: current_version`);
    for (const v of s.versions) {
        expectKeys(v, VERSION_KEYS, `${label}: version ${v.version}`);
        expectTime(v.created_at, `${label}: version ${v.version} created_at`);
        if (v.retired_at !== null) expectTime(v.retired_at, `${label}: version ${v.version} retired_at`);
        assert.equal(v.state === 'retired', v.retired_at !== null, `${label}: retired_at iff retired`);
    }
    if (s.job !== null) {
        expectKeys(s.job, JOB_KEYS, `${label}: job`);
        assert.match(s.job.id, UUID_RE);
        expectTime(s.job.created_at, `${label}: job created_at`);
        if (s.job.finished_at !== null) expectTime(s.job.finished_at, `${label}: job finished_at`);
        for (const k of ['version', 'pass', 'looked_at', 'older_found', 'not_opening', 'resealed', 'total']) {
            assert.ok(Number.isInteger(s.job[k]) && s.job[k] >= 0, `${label}: job ${k} ${s.job[k]}`);
        }
    }
}

describe('GET /admin/keys: key versions and re-sealing progress (DATA-2)', () => {
    let srv;
    const tok = {}; // username -> bearer token
    let rotation; // `keys rotate --json` of step 4

    const keys = (token) => srv.api('GET', '/admin/keys', { token });
    async function status(token, label) {
        const r = await keys(token);
        expectStatus(r, 200, label);
        checkShape(r.json, label);
        return r;
    }

    before(async () => {
        srv = await startServer({
            name: 'keys-http',
            // Small batches with a pause: the job lasts long enough to be seen.
            conf: { keys: { reseal_batch: 2, reseal_pause_ms: 200 } },
            tenants: [
                { slug: 'kvault', name: 'Key Vault', admin: 'kim', users: [{ username: 'aud' }, { username: 'mia' }] },
                { slug: 'kother', name: 'Key Other', admin: 'olga' },
            ],
        });
        const t = srv.tenants.kvault;
        tok.kim = (await srv.activate('kvault', 'kim', t.admin.temporary_password, PASSWORDS.admin)).token;
        tok.aud = (await srv.activate('kvault', 'aud', t.users.aud.temporary_password, PASSWORDS.p1)).token;
        tok.mia = (await srv.activate('kvault', 'mia', t.users.mia.temporary_password, PASSWORDS.p2)).token;
        tok.olga = (await srv.activate('kother', 'olga', srv.tenants.kother.admin.temporary_password,
            PASSWORDS.admin2)).token;
        expectStatus(await srv.api('POST', '/access/assignments', {
            token: tok.kim, body: { role: 'auditor', account_id: t.users.aud.id, scope: 'tenant' },
        }), 201, 'aud made auditor');
        // Sealed values for the job to re-seal: customers with an e-mail.
        const d = await srv.api('POST', '/directory/departments', { token: tok.kim, body: { name: 'Company' } });
        expectStatus(d, 201);
        expectStatus(await srv.api('POST', '/directory/employees', {
            token: tok.kim, body: { account_id: t.admin.id, display_name: 'Kim', department_id: d.json.id },
        }), 201);
        for (let i = 0; i < SEED; i++) {
            expectStatus(await srv.api('POST', '/records/customer', {
                token: tok.kim, body: { fields: { name: `Customer ${i}`, email: `c${i}@keys.example` } },
            }), 201, `customer ${i}`);
        }
    });
    after(async () => { await closeDown(srv); });

    test('1. a tenant admin: version 1 current, no job', async () => {
        const r = await status(tok.kim, 'admin');
        assert.equal(r.json.current_version, 1);
        assert.deepEqual(r.json.versions.map((v) => [v.version, v.state]), [[1, 'current']]);
        assert.equal(r.json.versions[0].retired_at, null);
        assert.equal(r.json.job, null);
    });

    test('2. an auditor may read it (settings.read) and sees the same', async () => {
        const a = await status(tok.aud, 'auditor');
        const k = await status(tok.kim, 'admin');
        assert.deepEqual(a.json, k.json);
    });

    test('3. a member -> 403 forbidden; no session -> 401 unauthenticated', async () => {
        expectError(await keys(tok.mia), 403, 'forbidden', null, 'member');
        expectError(await keys(undefined), 401, 'unauthenticated', null, 'no token');
        expectError(await keys('svs_not-a-session-token'), 401, 'unauthenticated', null, 'bad token');
    });

    test('4. `keys rotate`: version 2 current at once, version 1 live, the job running', async () => {
        const r = await srv.cli(['keys', 'rotate', '--tenant', 'kvault', '--json']);
        assert.equal(r.code, 0, r.stderr);
        rotation = JSON.parse(r.stdout);
        assert.equal(rotation.version, 2);
        assert.ok(rotation.values >= SEED, `values to re-seal ${rotation.values}`);
        const s = (await status(tok.kim, 'after rotate')).json;
        assert.equal(s.current_version, 2);
        assert.deepEqual(s.versions.map((v) => [v.version, v.state]), [[1, 'live'], [2, 'current']]);
        assert.equal(s.job.id, rotation.job);
        assert.equal(s.job.version, 2);
        assert.equal(s.job.state, 'running');
        assert.ok(['re-sealing', 'verifying'].includes(s.job.phase), s.job.phase);
        assert.equal(s.job.total, rotation.values);
        assert.equal(s.job.finished_at, null);
        // The auditor sees the same progress page.
        assert.equal((await status(tok.aud, 'auditor after rotate')).json.job.id, rotation.job);
    });

    test('5. the background job moves on and ends: version 1 retired, the job done', async () => {
        const until = Date.now() + 90000;
        let s;
        let sawProgress = false;
        for (;;) {
            s = (await status(tok.kim, 'polling')).json;
            if (s.job.state === 'running' && s.job.looked_at > 0) {
                sawProgress = true;
                assert.ok(s.job.looked_at <= s.job.total + SEED, `looked_at ${s.job.looked_at} of ${s.job.total}`);
            }
            if (s.job.state !== 'running') break;
            assert.ok(Date.now() < until, `the job did not end in 90 s: ${JSON.stringify(s)}`);
            await sleep(150);
        }
        assert.ok(sawProgress, 'progress was seen while the job ran (batches of 2)');
        assert.equal(s.job.id, rotation.job);
        assert.equal(s.job.state, 'done');
        assert.equal(s.job.phase, 'done');
        expectTime(s.job.finished_at, 'finished_at');
        assert.ok(s.job.resealed >= SEED, `re-sealed ${s.job.resealed}`);
        assert.ok(s.job.pass >= 2, 'a verifying pass ended it');
        assert.equal(s.current_version, 2);
        assert.deepEqual(s.versions.map((v) => [v.version, v.state]), [[1, 'retired'], [2, 'current']]);
        expectTime(s.versions[0].retired_at, 'version 1 retired_at');
    });

    test('6. the same as `salesvault keys status --json`, times in RFC 3339', async () => {
        const api = (await status(tok.kim, 'admin')).json;
        const r = await srv.cli(['keys', 'status', '--tenant', 'kvault', '--json']);
        assert.equal(r.code, 0, r.stderr);
        const cli = JSON.parse(r.stdout).tenants[0];
        assert.equal(cli.tenant, 'kvault');
        const ms = (v) => (v === null ? null : Date.parse(v));
        assert.equal(api.current_version, cli.current_version);
        assert.deepEqual(api.versions.map((v) => ({ ...v, created_at: ms(v.created_at), retired_at: ms(v.retired_at) })),
            cli.versions);
        // The CLI adds the cursor's column for operators; the rest is one shape.
        const { column, ...cliJob } = cli.job;
        assert.equal(typeof column, 'string');
        assert.deepEqual({ ...api.job, created_at: ms(api.job.created_at), finished_at: ms(api.job.finished_at) },
            cliJob);
    });

    test('7. no key material in the answer; another tenant sees its own keys only', async () => {
        const r = await status(tok.kim, 'admin');
        const wrapped = sql(srv.dir, ENGINE === 'sqlite'
            ? `SELECT hex(wrapped) FROM tenant_keys WHERE length(wrapped) > 0`
            : `SELECT upper(encode(wrapped, 'hex')) FROM tenant_keys WHERE octet_length(wrapped) > 0`);
        assert.ok(wrapped.length >= 2, 'wrapped keys to look for');
        for (const hex of wrapped) {
            const bytes = Buffer.from(hex, 'hex');
            for (const form of [hex, hex.toLowerCase(), bytes.toString('base64'), bytes.toString('base64url')]) {
                assert.ok(!r.text.includes(form.slice(0, 24)), 'a wrapped key in the answer');
            }
        }
        assert.ok(!/wrapped|kek|secret/i.test(r.text), r.text);
        const o = (await status(tok.olga, 'other tenant')).json;
        assert.equal(o.current_version, 1);
        assert.deepEqual(o.versions.map((v) => [v.version, v.state]), [[1, 'current']]);
        assert.equal(o.job, null);
    });
});
