// CSV import (issue 11, part 7; docs/import.md): POST /directory/imports
// queues a job (text/csv body, ?dry_run=), GET /directory/imports/{id}
// shows its state, progress and every error by line and column. A dry run
// writes nothing; a real run writes nothing unless every line is valid,
// then everything at once with its events. A member is refused by the
// router; a department admin imports into their subtree only. Imported
// accounts have no password: the reset over the imported e-mail gives one.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, RFC3339_RE, UUID_RE, closeDown, expectError, expectKeys, expectStatus, listAll,
    parseRawAnswer, sleep, startServer,
} from './lib/server.mjs';

const JOB_KEYS = ['id', 'state', 'phase', 'dry_run', 'done', 'total', 'lines', 'employees', 'departments',
    'error_count', 'errors', 'errors_truncated', 'reason', 'created_at', 'finished_at'];
const HEADER = 'username,display_name,email,phone,id_number,title,employee_no,department,departments,manager';
// A valid mainland resident ID number (check character X).
const RID = '11010519491231002X';

/** A CSV file: the header and these lines, CRLF as spreadsheets write it. */
const csv = (...lines) => [HEADER, ...lines].join('\r\n') + '\r\n';

/** A request head with this Content-Length and no body, on a raw socket. */
function rawHead(port, head, timeoutMs = 10000) {
    return new Promise((resolve) => {
        const sock = tls.connect({ host: '127.0.0.1', port });
        let data = '';
        const timer = setTimeout(() => { sock.destroy(); resolve(new Error(`no answer in ${timeoutMs} ms`)); }, timeoutMs);
        sock.setEncoding('utf8');
        sock.on('data', (d) => { data += d; });
        sock.on('error', () => {});
        sock.on('close', () => {
            clearTimeout(timer);
            resolve(parseRawAnswer(data) ?? new Error(`no answer (${JSON.stringify(data.slice(0, 80))})`));
        });
        sock.once('secureConnect', () => {
            sock.write(`${head}\r\nHost: 127.0.0.1\r\nUser-Agent: salesvault-api-tests/1\r\nConnection: close\r\n\r\n`);
        });
    });
}

describe('directory: CSV import', () => {
    let srv;
    const tok = {};
    const id = {};
    const d = {};

    const submit = (text, { token = tok.boss, dryRun, type = 'text/csv' } = {}) => {
        const q = dryRun === undefined ? '' : `?dry_run=${dryRun}`;
        return srv.api('POST', `/directory/imports${q}`, {
            token, raw: text, headers: type ? { 'content-type': type } : {},
        });
    };
    /** Poll the job until it is finished; its last state. */
    const finished = async (jobId, token = tok.boss) => {
        for (let i = 0; i < 600; i++) {
            const r = await srv.api('GET', `/directory/imports/${jobId}`, { token });
            expectStatus(r, 200, `GET job ${jobId}`);
            expectKeys(r.json, JOB_KEYS, 'job');
            if (!['queued', 'running'].includes(r.json.state)) return r.json;
            await sleep(50);
        }
        throw new Error(`job ${jobId} did not finish`);
    };
    const run = async (text, opts = {}) => {
        const r = await submit(text, opts);
        expectStatus(r, 202, 'POST /directory/imports');
        expectKeys(r.json, JOB_KEYS, 'queued job');
        assert.match(r.json.id, UUID_RE);
        assert.equal(r.headers.get('location'), `/api/v1/directory/imports/${r.json.id}`);
        return finished(r.json.id, opts.token);
    };
    const employees = async () => (await listAll(srv, tok.boss, '/directory/employees', { limit: 200 })).length;
    const departments = async () => (await listAll(srv, tok.boss, '/directory/departments', { q: 'a', limit: 200 })).length
        + (await listAll(srv, tok.boss, '/directory/departments', { limit: 200 })).length;
    const events = async (action) => {
        const r = await srv.api('GET', `/audit/events?action=${action}&limit=200`, { token: tok.boss });
        expectStatus(r, 200);
        return r.json.items;
    };
    /** [line, column, rule] of each error, in the order reported. */
    const where = (job) => job.errors.map((e) => [e.line, e.column, e.rule]);

    before(async () => {
        srv = await startServer({
            name: 'import',
            tenants: [
                { slug: 'acme', name: 'Acme Corp', admin: 'boss', users: [{ username: 'dana' }, { username: 'moe' }] },
                { slug: 'beta', name: 'Beta Ltd', admin: 'olga' },
            ],
        });
        const acme = srv.tenants.acme;
        tok.boss = (await srv.activate('acme', 'boss', acme.admin.temporary_password, PASSWORDS.admin)).token;
        tok.dana = (await srv.activate('acme', 'dana', acme.users.dana.temporary_password, PASSWORDS.p1)).token;
        tok.moe = (await srv.activate('acme', 'moe', acme.users.moe.temporary_password, PASSWORDS.p2)).token;
        tok.olga = (await srv.activate('beta', 'olga', srv.tenants.beta.admin.temporary_password, PASSWORDS.admin2)).token;
        id.dana = acme.users.dana.id;
        const mk = async (name, parent) => {
            const r = await srv.api('POST', '/directory/departments', {
                token: tok.boss, body: parent ? { name, parent_id: parent } : { name },
            });
            expectStatus(r, 201, name);
            return r.json.id;
        };
        d.company = await mk('Company');
        d.sales = await mk('Sales', d.company);
        d.finance = await mk('Finance', d.company);
        // An employee already there: a manager for the file, a taken number.
        const h = await srv.api('POST', '/directory/employees', {
            token: tok.boss,
            body: { username: 'chief', display_name: 'The Chief', department_id: d.company, employee_no: 'E-1' },
        });
        expectStatus(h, 201);
        id.chief = h.json.id;
        // dana: department admin of Company/Sales.
        expectStatus(await srv.api('POST', '/access/assignments', {
            token: tok.boss,
            body: { role: 'department_admin', account_id: id.dana, scope: 'department', department_id: d.sales },
        }), 201);
    });
    after(async () => { await closeDown(srv); });

    test('1. a dry run reports every error by line and column, and writes nothing', async () => {
        const before = { employees: await employees(), departments: await departments() };
        const job = await run(csv(
            'wei,Wei Zhang,wei@acme.test,138 0013 8000,,Rep,E-10,Company/Sales/East,,chief',
            'Bad Name,,not-mail,12345,110105194912310021,,E-10,Company//East,,nobody',
            'moe,Moe,,,,,E-1,Company/Sales,,',
            'wei,Twice,,,,,,Company,,',
            'short,line',
            'lin,"Lin ""Li"" Na",,,,,,Company/Sales;Finance,,',
            'zed,Zed,,,,,,Company,"Company",zed',
        ), { dryRun: true });
        assert.equal(job.state, 'invalid');
        assert.equal(job.dry_run, true);
        assert.equal(job.phase, 'finished');
        assert.equal(job.lines, 7);
        assert.deepEqual(where(job), [
            [3, 'username', 'username_invalid'],
            [3, 'display_name', 'required'],
            [3, 'email', 'email_invalid'],
            [3, 'phone', 'phone_invalid'],
            [3, 'id_number', 'id_number_invalid'],
            [3, 'employee_no', 'employee_no_duplicate'],
            [3, 'department', 'department_invalid'],
            [3, 'manager', 'manager_unknown'],
            [4, 'username', 'username_taken'],
            [4, 'employee_no', 'employee_no_taken'],
            [5, 'username', 'username_duplicate'],
            [6, null, 'field_count'],
            [7, 'department', 'department_invalid'],
            [8, 'departments', 'departments_duplicate'],
            [8, 'manager', 'manager_self'],
        ]);
        assert.equal(job.error_count, 15);
        assert.equal(job.errors_truncated, false);
        const phone = job.errors.find((e) => e.rule === 'phone_invalid');
        assert.equal(phone.message, 'not a valid phone number for region CN');
        assert.equal(phone.arg, 'CN');
        assert.equal(job.errors.find((e) => e.rule === 'employee_no_duplicate').arg, '2');
        for (const e of job.errors) {
            expectKeys(e, ['line', 'column', 'rule', 'arg', 'message'], 'error');
            // DIR-4: never a value of the file's personal data.
            for (const v of ['not-mail', '12345', '110105194912310021']) assert.ok(!e.message.includes(v), e.message);
        }
        assert.match(job.created_at, RFC3339_RE);
        assert.match(job.finished_at, RFC3339_RE);
        assert.deepEqual({ employees: await employees(), departments: await departments() }, before);
        assert.deepEqual(await events('directory.import'), [], 'a dry run writes no event either');
    });

    test('2. a valid dry run says what it would create, and writes nothing', async () => {
        const before = await employees();
        const job = await run(csv('wei,Wei Zhang,,,,,,Company/Sales/East,,chief', ',,,,,,,Company/Legal,,'), { dryRun: 'true' });
        assert.equal(job.state, 'done');
        assert.deepEqual([job.lines, job.employees, job.departments, job.error_count], [2, 1, 2, 0]);
        assert.deepEqual(job.errors, []);
        assert.equal(await employees(), before);
    });

    test('3. a file with one bad line imports nothing, and its refusal is on record', async () => {
        const before = { employees: await employees(), departments: await departments() };
        const job = await run(csv(
            'a.one,A One,,,,,,Company/Ops,,',
            'a.two,A Two,,,,,,Company/Ops,,a.one',
            'a.three,A Three,,139 0000 00,,,,Company/Ops,,',
        ));
        assert.equal(job.state, 'invalid');
        assert.equal(job.dry_run, false);
        assert.deepEqual(where(job), [[4, 'phone', 'phone_invalid']]);
        assert.deepEqual({ employees: await employees(), departments: await departments() }, before);
        const ev = await events('directory.import');
        assert.equal(ev.length, 1);
        assert.equal(ev[0].result, 'failure');
        assert.equal(ev[0].reason, 'invalid');
        assert.deepEqual(ev[0].details, { lines: 3, errors: 1, job: job.id });
    });

    test('4. a valid file imports: departments made, employees with managers, every object audited', async () => {
        const before = await employees();
        const job = await run(csv(
            `wei,Wei Zhang,Wei@Acme.test,138 0013 8000,${RID.toLowerCase()},Sales lead,E-20,Company/Sales/East,Company/Finance,chief`,
            'li.na,"Lin, Na",li.na@acme.test,,,Rep,E-21,Company/Sales/East,,wei',
            'quote,"He said ""hi""",,,,,,"Company/R\\/D",,',
            ',,,,,,,Company/Sales/West,,',
        ));
        assert.equal(job.state, 'done', JSON.stringify(job.errors));
        assert.deepEqual([job.lines, job.employees, job.departments, job.error_count], [4, 3, 3, 0]);
        assert.equal(job.done, job.total);
        assert.equal(await employees(), before + 3);

        const found = await srv.api('GET', '/directory/employees?q=wei', { token: tok.boss });
        expectStatus(found, 200);
        const wei = found.json.items.find((e) => e.username === 'wei');
        const full = await srv.api('GET', `/directory/employees/${wei.id}`, { token: tok.boss });
        expectStatus(full, 200);
        assert.equal(full.json.email, 'wei@acme.test');
        assert.equal(full.json.phone, '138****8000'); // masked (DIR-5), stored as E.164
        assert.equal(full.json.id_number, RID);
        assert.equal(full.json.employee_no, 'E-20');
        assert.equal(full.json.department.name, 'East');
        assert.deepEqual(full.json.departments.map((x) => x.name), ['Finance']);
        assert.equal(full.json.manager.id, id.chief);
        const li = (await srv.api('GET', '/directory/employees?q=lin', { token: tok.boss })).json.items[0];
        assert.equal((await srv.api('GET', `/directory/employees/${li.id}`, { token: tok.boss })).json.manager.id, wei.id);
        const rd = await srv.api('GET', `/directory/departments?parent=${d.company}`, { token: tok.boss });
        assert.ok(rd.json.items.some((x) => x.name === 'R/D'), 'a backslash escapes a slash');

        const imp = (await events('directory.import')).filter((e) => e.result === 'success');
        assert.equal(imp.length, 1);
        assert.deepEqual(imp[0].details, { lines: 4, employees: 3, departments: 3, job: job.id });
        const created = (await events('account.created')).filter((e) => e.details.import === job.id);
        assert.deepEqual(created.map((e) => e.details.username).sort(), ['li.na', 'quote', 'wei']);
        const hired = (await events('employee.create')).filter((e) => e.details.import === job.id);
        assert.equal(hired.length, 3);
        const made = (await events('department.create')).filter((e) => e.details.import === job.id);
        assert.deepEqual(made.map((e) => e.details.name).sort(), ['East', 'R/D', 'West']);
        const chain = await srv.cli(['audit', 'verify']);
        assert.equal(chain.code, 0, chain.stdout + chain.stderr);
    });

    test('5. an imported account has no password; the reset over its e-mail gives one', async () => {
        expectError(await srv.login('acme', 'wei', 'anything at all 1!'), 401, 'invalid_credentials');
        const outbox = () => {
            const f = path.join(srv.dir, 'outbox.jsonl');
            return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
        };
        const n = outbox().length;
        expectStatus(await srv.api('POST', '/auth/reset', { body: { tenant: 'acme', username: 'wei', channel: 'email' } }), 202);
        const sent = outbox().slice(n);
        assert.equal(sent.length, 1);
        assert.equal(sent[0].to, 'wei@acme.test');
        const code = /\b(\d{6})\b/.exec(sent[0].text)[1];
        const pw = 'Rk8#vTq2!mWz';
        srv.secrets.add(pw);
        expectStatus(await srv.api('POST', '/auth/reset/confirm', {
            body: { tenant: 'acme', username: 'wei', code, new_password: pw },
        }), 204);
        expectStatus(await srv.login('acme', 'wei', pw), 200);
    });

    test('6. who may import: a member is refused; a department admin only inside their subtree', async () => {
        expectError(await submit(csv('emm1,M One,,,,,,Company/Sales,,'), { token: tok.moe }), 403, 'forbidden');
        const before = await employees();
        const out = await run(csv(
            'dee1,D One,,,,,,Company/Sales/North,,',
            'dee2,D Two,,,,,,Company/Finance,,',
            'dee3,D Three,,,,,,Elsewhere,,',
        ), { token: tok.dana });
        assert.equal(out.state, 'invalid');
        assert.deepEqual(where(out), [[3, 'department', 'forbidden'], [4, 'department', 'forbidden']]);
        assert.equal(out.errors[0].arg, 'Company/Finance');
        assert.equal(await employees(), before);
        const denied = await events('access.denied');
        assert.ok(denied.some((e) => e.actor_id === id.dana && e.details.route === 'directory import'),
            'the refusal is an access.denied event');
        const ok = await run(csv('dee1,D One,,,,,,Company/Sales/North,,'), { token: tok.dana });
        assert.equal(ok.state, 'done', JSON.stringify(ok.errors));
        assert.equal(await employees(), before + 1);
        // A job is its owner's: another admin of the tenant, and another tenant, get 404.
        expectError(await srv.api('GET', `/directory/imports/${ok.id}`, { token: tok.boss }), 404, 'not_found');
        expectError(await srv.api('GET', `/directory/imports/${ok.id}`, { token: tok.olga }), 404, 'not_found');
    });

    test('7. the body: text/csv only, not empty, at most 32 MiB; dry_run true or false', async () => {
        expectError(await submit(csv('xx1,X,,,,,,Company,,'), { type: 'application/json' }), 415, 'unsupported_media_type');
        expectError(await submit('', {}), 400, 'field_missing', 'body');
        expectError(await submit(csv('xx1,X,,,,,,Company,,'), { dryRun: 'maybe' }), 400, 'field_invalid', 'dry_run');
        const big = await rawHead(srv.port, [
            'POST /api/v1/directory/imports HTTP/1.1', `Authorization: Bearer ${tok.boss}`,
            'Content-Type: text/csv', `Content-Length: ${32 * 1024 * 1024 + 1}`,
        ].join('\r\n'));
        assert.ok(!(big instanceof Error), String(big));
        assert.equal(big.status, 413, big.text);
        assert.equal(big.json.error.code, 'body_too_large');
        // Broken CSV: a stray quote stops the reading at its line.
        const job = await run(`${HEADER}\r\nq1,Q "one",,,,,,Company,,\r\nq2,Q2,,,,,,Company,,\r\n`, { dryRun: true });
        assert.equal(job.state, 'invalid');
        assert.deepEqual(where(job), [[2, 'display_name', 'csv_syntax']]);
        // The header: unknown and missing columns.
        const head = await run('username,nick,display_name\r\nh1,H,H One\r\n', { dryRun: true });
        assert.deepEqual(where(head), [[1, 'nick', 'column_unknown'], [1, 'department', 'column_missing']]);
    });

    test('8. unknown and malformed job ids: 404', async () => {
        expectError(await srv.api('GET', '/directory/imports/01900000-0000-7000-8000-000000000000', { token: tok.boss }),
            404, 'not_found');
        expectError(await srv.api('GET', '/directory/imports/nope', { token: tok.boss }), 404, 'not_found');
    });
});
