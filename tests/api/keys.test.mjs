// DATA-2, the key centre: tenant key rotation (issue 13, part 2). Two
// `salesvault serve` nodes on one database (PostgreSQL in the PostgreSQL
// run, the same SQLite file otherwise), small re-sealing batches with a
// pause so a job is seen in the middle:
//   - `keys rotate` makes version 2; both nodes seal their next writes
//     with it at once (read from the store, not from a node's cache);
//   - under a write load on both nodes the background job re-seals every
//     older value, exact-match search on a sealed e-mail finds the same
//     record throughout, and nothing is lost;
//   - version 1 is retired (its wrapped key destroyed) only at the end;
//   - `kill -9` of the node holding the job in the middle of it: the job
//     resumes where its last batch committed;
//   - every step is audited, the chains verify, another tenant is untouched.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
    ENGINE, PASSWORDS, expectError, expectStatus, makeDataDir, runCli, runCliJson, serve, sleep, storeSql,
} from './lib/server.mjs';

const SEED = 120; // customers before the rotation

/* The store as an operator sees it: the key version of each sealed value
 * (bytes 2..5 of the ciphertext), counted, and each key version's wrapped
 * key length. */
const sql = storeSql;
const versionOf = (col) => (ENGINE === 'sqlite'
    ? `hex(substr(${col}, 2, 4))`
    : `upper(encode(substring(${col} from 2 for 4), 'hex'))`);
/** {version hex: count} of the customers' sealed values of one tenant. */
function sealedVersions(dir, tenantId) {
    const rows = sql(dir, `SELECT ${versionOf('sealed')}, count(*) FROM records WHERE tenant_id = '${tenantId}' `
        + `AND sealed IS NOT NULL GROUP BY 1 ORDER BY 1`);
    return Object.fromEntries(rows.map((l) => { const [v, n] = l.split('|'); return [v, Number(n)]; }));
}
function keyRows(dir, tenantId) {
    const len = ENGINE === 'sqlite' ? 'length(wrapped)' : 'octet_length(wrapped)';
    return sql(dir, `SELECT version, ${len}, retired_at IS NOT NULL FROM tenant_keys `
        + `WHERE tenant_id = '${tenantId}' ORDER BY version`).map((l) => {
        const [version, bytes, retired] = l.split('|');
        return { version: Number(version), bytes: Number(bytes), retired: retired === '1' || retired === 't' };
    });
}

describe('keys: rotation with resumable re-sealing on two nodes (DATA-2)', () => {
    let data;
    let a;
    let b;
    let tok;
    let dept;
    const emails = new Map(); // record id -> e-mail written

    const status = async (slug) => (await runCliJson(['keys', 'status', '--data', data.dir, '--tenant', slug]))
        .tenants[0];
    async function waitJob(slug, pred, label, ms = 90000) {
        const until = Date.now() + ms;
        let s;
        while (Date.now() < until) {
            s = await status(slug);
            if (pred(s)) return s;
            await sleep(250);
        }
        assert.fail(`${label}: not reached in ${ms} ms; last status ${JSON.stringify(s)}`);
    }
    async function customer(srv, i, tag) {
        const email = `c${i}.${tag}@rot.example`;
        const r = await srv.api('POST', '/records/customer', {
            token: tok, body: { fields: { name: `Customer ${tag} ${i}`, email, phone: `1380013${String(i).padStart(4, '0')}` } },
        });
        expectStatus(r, 201, `create customer ${tag} ${i}`);
        emails.set(r.json.id, email);
        return r.json.id;
    }
    async function findByEmail(srv, email) {
        const r = await srv.api('GET', `/records/customer?where=${encodeURIComponent(`email:${email}`)}`, { token: tok });
        expectStatus(r, 200, `where email:${email}`);
        return r.json.items.map((x) => x.id);
    }
    /** Every record written reads back with its e-mail, unmasked, on @p srv. */
    async function allReadBack(srv, label) {
        for (const [id, email] of emails) {
            const r = await srv.api('GET', `/records/customer/${id}?unmask=email`, { token: tok });
            expectStatus(r, 200, `${label}: read ${id}`);
            assert.equal(r.json.fields.email, email, `${label}: ${id}'s e-mail`);
        }
    }

    before(async () => {
        data = await makeDataDir({
            name: 'keys',
            // Small batches and a pause: a job lasts long enough to be seen
            // (and killed) in the middle.
            conf: { keys: { reseal_batch: 8, reseal_pause_ms: 150 } },
            tenants: [{ slug: 'rot', name: 'Rot', admin: 'boss' }, { slug: 'calm', name: 'Calm', admin: 'cleo' }],
        });
        a = await serve(data.dir, { name: 'keys-a' });
        b = await serve(data.dir, { name: 'keys-b' });
        tok = (await a.activate('rot', 'boss', data.tenants.rot.admin.temporary_password, PASSWORDS.admin)).token;
        const d = await a.api('POST', '/directory/departments', { token: tok, body: { name: 'Company' } });
        expectStatus(d, 201);
        dept = d.json.id;
        expectStatus(await a.api('POST', '/directory/employees', {
            token: tok, body: { account_id: data.tenants.rot.admin.id, display_name: 'Boss', department_id: dept },
        }), 201);
        // The suite reads every value back several times, unmasked.
        expectStatus(await a.api('PUT', '/records/quotas', {
            token: tok,
            body: { reads_per_minute: 100000, reads_per_day: 1000000, unmasks_per_day: 1000000, export_rows_per_day: 0 },
        }), 200);
        for (let i = 0; i < SEED; i++) await customer(i % 2 ? a : b, i, 'seed');
    });
    after(async () => {
        await a?.stop();
        await b?.stop();
        if (!process.env.SV_TEST_KEEP && data) rmSync(data.dir, { recursive: true, force: true });
    });

    test('1. before: one version, every value under it; status says so', async () => {
        const s = await status('rot');
        assert.equal(s.current_version, 1);
        assert.deepEqual(s.versions.map((v) => [v.version, v.state]), [[1, 'current']]);
        assert.equal(s.job, null);
        assert.deepEqual(sealedVersions(data.dir, data.tenants.rot.tenant.id), { '00000001': SEED });
        // A rotation of no tenant: refused by name, nothing made.
        const r = await runCli(['keys', 'rotate', '--data', data.dir, '--tenant', 'nosuch']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /no such tenant/);
        const u = await runCli(['keys', 'rotate', '--data', data.dir]);
        assert.equal(u.code, 2);
        assert.match(u.stderr, /--tenant is required/);
    });

    test('2. rotate under a write load on both nodes: new writes sealed with version 2 at once, search right throughout, '
        + 'then version 1 retired', async () => {
        const probe = [...emails.entries()][7];
        const rot = await runCliJson(['keys', 'rotate', '--data', data.dir, '--tenant', 'rot']);
        assert.equal(rot.version, 2);
        assert.ok(rot.values >= SEED, `values to re-seal ${rot.values}`);
        // The very next write on either node is under version 2 (each node
        // had version 1 cached).
        const fresh = [await customer(a, 1000, 'after'), await customer(b, 1001, 'after')];
        const v = sql(data.dir, `SELECT ${versionOf('sealed')} FROM records WHERE id IN ('${fresh.join("','")}')`);
        assert.deepEqual(v, ['00000002', '00000002'], 'new writes sealed with version 2 on both nodes');
        // A load while the job runs: writes on both nodes, and the exact
        // match of a sealed e-mail checked after each round.
        let rounds = 0;
        let sawMiddle = false;
        for (let i = 0; i < 40; i++) {
            await Promise.all([customer(a, 2000 + i, 'load'), customer(b, 3000 + i, 'load')]);
            assert.deepEqual(await findByEmail(i % 2 ? a : b, probe[1]), [probe[0]], `round ${i}: exact match`);
            const s = await status('rot');
            if (s.job.state === 'running' && s.job.looked_at > 0) sawMiddle = true;
            rounds++;
        }
        assert.ok(sawMiddle, 'the job was seen in the middle (batches of 8)');
        const done = await waitJob('rot', (s) => s.job?.state === 'done', 'the job ends');
        assert.equal(done.current_version, 2);
        assert.deepEqual(done.versions.map((x) => [x.version, x.state]), [[1, 'retired'], [2, 'current']]);
        assert.ok(done.job.resealed >= SEED, `re-sealed ${done.job.resealed}`);
        assert.ok(rounds === 40);
        // In the store: every value under version 2; version 1's key gone.
        assert.deepEqual(sealedVersions(data.dir, data.tenants.rot.tenant.id), { '00000002': emails.size });
        const keys = keyRows(data.dir, data.tenants.rot.tenant.id);
        assert.deepEqual(keys.map((k) => [k.version, k.retired]), [[1, true], [2, false]]);
        assert.equal(keys[0].bytes, 0, 'the retired wrapped key is destroyed');
        assert.ok(keys[1].bytes > 32);
        // Nothing lost: every record opens on both nodes, search finds each.
        await allReadBack(a, 'A');
        await allReadBack(b, 'B');
        for (const [id, email] of [...emails.entries()].filter((_, i) => i % 10 === 0)) {
            assert.deepEqual(await findByEmail(b, email), [id], `exact match ${email}`);
        }
    });

    test('3. kill -9 of the nodes in the middle of a job: it resumes from its last batch and ends', async () => {
        const rot = await runCliJson(['keys', 'rotate', '--data', data.dir, '--tenant', 'rot']);
        assert.equal(rot.version, 3);
        const mid = await waitJob('rot', (s) => s.job?.id === rot.job && s.job.looked_at >= 24, 'some batches done');
        process.kill(a.pid, 'SIGKILL');
        process.kill(b.pid, 'SIGKILL');
        await sleep(300);
        const frozen = await status('rot');
        assert.equal(frozen.job.state, 'running');
        assert.ok(frozen.job.looked_at >= mid.job.looked_at, 'progress kept');
        assert.ok(frozen.job.looked_at < frozen.job.total, 'killed in the middle');
        const keysMid = keyRows(data.dir, data.tenants.rot.tenant.id);
        assert.deepEqual(keysMid.map((k) => [k.version, k.retired]), [[1, true], [2, false], [3, false]],
            'nothing retired before the job ends');
        // Both values present in the store, mid-way.
        const mixed = sealedVersions(data.dir, data.tenants.rot.tenant.id);
        assert.ok(mixed['00000002'] > 0 && mixed['00000003'] > 0, `mixed versions ${JSON.stringify(mixed)}`);
        a = await serve(data.dir, { name: 'keys-a2' });
        // Reads work at once with both versions in use.
        await allReadBack(a, 'A after the restart, mid-job');
        // The dead process's lease runs out (15 s), then the job resumes:
        // its first pass continues from the cursor, not from the start.
        const done = await waitJob('rot', (s) => s.job?.state === 'done', 'the resumed job ends', 120000);
        assert.deepEqual(done.versions.map((x) => [x.version, x.state]), [[1, 'retired'], [2, 'retired'], [3, 'current']]);
        assert.equal(done.job.resealed, emails.size, 'each value re-sealed once: resumed, not restarted');
        assert.deepEqual(sealedVersions(data.dir, data.tenants.rot.tenant.id), { '00000003': emails.size });
        await allReadBack(a, 'A after the job');
        b = await serve(data.dir, { name: 'keys-b2' });
        await allReadBack(b, 'B after the job');
    });

    test('4. audited on both streams; the chains verify; the other tenant is untouched', async () => {
        const of = async (action) => {
            const r = await a.api('GET', `/audit/events?action=${action}&limit=50`, { token: tok });
            expectStatus(r, 200, action);
            return r.json.items;
        };
        assert.deepEqual((await of('key.rotate')).map((x) => x.details.version).sort(), [2, 3]);
        const sealed = await of('key.reseal.done');
        assert.deepEqual(sealed.map((x) => x.details.version).sort(), [2, 3]);
        assert.ok(sealed.every((x) => x.details.resealed >= SEED), 'the values re-sealed are told');
        assert.deepEqual((await of('key.retire')).map((x) => x.details.version).sort(), [1, 2]);
        const v = await runCliJson(['audit', 'verify', '--data', data.dir]);
        assert.equal(v.ok, true);
        const calm = await status('calm');
        assert.deepEqual(calm.versions.map((x) => [x.version, x.state]), [[1, 'current']]);
        assert.equal(calm.job, null);
        // The other tenant's admin signs in and works as before.
        const t = (await a.activate('calm', 'cleo', data.tenants.calm.admin.temporary_password, PASSWORDS.admin2)).token;
        expectStatus(await a.api('GET', '/me', { token: t }), 200);
        expectError(await a.api('GET', '/records/customer/01900000-0000-7000-8000-000000000000', { token: tok }),
            404, 'not_found');
    });
});
