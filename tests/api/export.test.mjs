// GET /audit/export (AUD-3): the tenant's audit events as CSV, streamed, with
// the list's filters, audited as an export; admins only, one tenant only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseCsv } from './lib/csv.mjs';
import {
    PASSWORDS, USER_AGENT, expectError, expectStatus, listAll, startServer,
} from './lib/server.mjs';

const COLUMNS = ['id', 'seq', 'time', 'action', 'result', 'reason', 'actor_id', 'actor', 'target_type',
    'target_id', 'ip', 'user_agent', 'details'];


/** The CSV cell the server writes for an API value (null: empty). */
function cell(v) {
    if (v === null || v === undefined) return '';
    const s = typeof v === 'object' ? null : String(v);
    if (s === null) return undefined; // details: compared as JSON below
    return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

describe('audit export: CSV of the filtered events (AUD-3)', () => {
    let srv;
    let admin;
    let member;
    let other;

    before(async () => {
        srv = await startServer({
            name: 'export',
            tenants: [
                { slug: 'expco', name: 'Export Co', admin: 'boss', users: [{ username: 'mia', role: 'member' }] },
                { slug: 'otherco', name: 'Other Co', admin: 'olga' },
            ],
        });
        const t = srv.tenants.expco;
        admin = await srv.activate('expco', 'boss', t.admin.temporary_password, PASSWORDS.admin);
        member = await srv.activate('expco', 'mia', t.users.mia.temporary_password, PASSWORDS.p1);
        other = await srv.activate('otherco', 'olga', srv.tenants.otherco.admin.temporary_password, PASSWORDS.admin);
        // A failed sign-in whose user agent a spreadsheet would run as a formula.
        const bad = await srv.login('expco', 'boss', 'Not-The-Password-1', { headers: { 'user-agent': '=HYPERLINK("x")' } });
        assert.equal(bad.status, 401);
    });
    after(async () => { await srv?.cleanup(); });

    test('1. the whole log: the same events as GET /audit/events, newest first, in CSV', async () => {
        const listed = await listAll(srv, admin.token, '/audit/events', { limit: '200' });
        const r = await srv.api('GET', '/audit/export', { token: admin.token });
        expectStatus(r, 200);
        assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
        assert.match(r.headers.get('content-disposition'), /^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"$/);
        assert.equal(r.headers.get('cache-control'), 'no-store');
        const rows = parseCsv(r.text);
        assert.deepEqual(rows[0], COLUMNS);
        // The export itself is the newest event: it was written before the rows.
        const data = rows.slice(1);
        assert.equal(data[0][3], 'audit.export');
        const rest = data.slice(1);
        assert.equal(rest.length, listed.length, 'one row per event listed');
        rest.forEach((row, k) => {
            const e = listed[k];
            COLUMNS.forEach((c, j) => {
                if (c === 'details') {
                    assert.deepEqual(row[j] === '' ? null : JSON.parse(row[j]), e.details, `${e.id} details`);
                } else {
                    assert.equal(row[j], cell(e[c]), `${e.id} ${c}`);
                }
            });
        });
    });

    test('2. a value that starts like a formula is written with a leading apostrophe', async () => {
        const r = await srv.api('GET', '/audit/export?result=failure', { token: admin.token });
        expectStatus(r, 200);
        const rows = parseCsv(r.text).slice(1);
        const ua = rows.map((row) => row[COLUMNS.indexOf('user_agent')]);
        assert.ok(ua.includes('\'=HYPERLINK("x")'), `user agents: ${ua.join(' | ')}`);
        assert.ok(!ua.includes('=HYPERLINK("x")'));
    });

    test('3. filters: result, action, actor and time range give what the list gives', async () => {
        const cases = [
            { result: 'failure' },
            { action: 'auth.login' },
            { action: 'auth.login', result: 'success' },
            { actor: srv.tenants.expco.users.mia.id },
            { since: new Date(Date.now() - 3600e3).toISOString(), until: new Date(Date.now() + 3600e3).toISOString() },
        ];
        for (const f of cases) {
            const listed = await listAll(srv, admin.token, '/audit/events', f);
            const r = await srv.api('GET', `/audit/export?${new URLSearchParams(f)}`, { token: admin.token });
            expectStatus(r, 200, JSON.stringify(f));
            const ids = parseCsv(r.text).slice(1).map((row) => row[0]);
            const want = listed.map((e) => e.id);
            // The export's own event matches only filters it falls under.
            const exp = ids.filter((id) => !want.includes(id));
            assert.ok(exp.length <= 1, `${JSON.stringify(f)}: at most the export event is extra`);
            assert.deepEqual(ids.filter((id) => want.includes(id)), want, JSON.stringify(f));
        }
        const none = await srv.api('GET', '/audit/export?action=no.such.action', { token: admin.token });
        expectStatus(none, 200);
        assert.deepEqual(parseCsv(none.text), [COLUMNS]);
    });

    test('4. every export is audited: audit.export by the admin, with its filters', async () => {
        await srv.api('GET', '/audit/export?result=denied&action=auth.login', { token: admin.token });
        const got = await listAll(srv, admin.token, '/audit/events', { action: 'audit.export' });
        assert.ok(got.length >= 1);
        const e = got[0];
        assert.equal(e.actor_id, srv.tenants.expco.admin.id);
        assert.equal(e.result, 'success');
        assert.equal(e.user_agent, USER_AGENT);
        assert.deepEqual(e.details, { action: 'auth.login', result: 'denied' });
    });

    test('5. bad filters are refused naming the field; members get 403', async () => {
        expectError(await srv.api('GET', '/audit/export?result=maybe', { token: admin.token }), 400, 'field_invalid', 'result');
        expectError(await srv.api('GET', '/audit/export?actor=nobody', { token: admin.token }), 400, 'field_invalid', 'actor');
        expectError(await srv.api('GET', '/audit/export?since=yesterday', { token: admin.token }), 400, 'field_invalid', 'since');
        expectError(await srv.api('GET', '/audit/export?limit=5', { token: admin.token }), 400, 'field_unknown', 'limit');
        expectError(await srv.api('GET', '/audit/export', { token: member.token }), 403, 'forbidden');
        expectError(await srv.api('GET', '/audit/export'), 401, 'unauthenticated');
    });

    test('6. one tenant only: the other tenant\'s export has none of these events (DIR-1)', async () => {
        const mine = new Set(parseCsv((await srv.api('GET', '/audit/export', { token: admin.token })).text)
            .slice(1).map((row) => row[0]));
        const theirs = parseCsv((await srv.api('GET', '/audit/export', { token: other.token })).text).slice(1);
        assert.ok(theirs.length > 0);
        for (const row of theirs) assert.ok(!mine.has(row[0]), `event ${row[0]} in both tenants' exports`);
    });

    test('7. a log longer than one read (100 events): every event once, in order', async () => {
        const names = Array.from({ length: 110 }, (_, k) => `bulk.${k}`);
        for (let k = 0; k < names.length; k += 10) {
            const rs = await Promise.all(names.slice(k, k + 10).map((username) =>
                srv.api('POST', '/users', { token: admin.token, body: { username } })));
            for (const r of rs) expectStatus(r, 201);
        }
        const listed = await listAll(srv, admin.token, '/audit/events', { limit: '200' });
        assert.ok(listed.length > 100, `events: ${listed.length}`);
        const r = await srv.api('GET', '/audit/export', { token: admin.token });
        expectStatus(r, 200);
        const ids = parseCsv(r.text).slice(1).map((row) => row[0]);
        assert.deepEqual(ids.slice(1), listed.map((e) => e.id));
        assert.equal(new Set(ids).size, ids.length, 'no event twice');
    });

    test('8. the list takes ?result= too', async () => {
        const got = await listAll(srv, admin.token, '/audit/events', { result: 'failure' });
        assert.ok(got.length >= 1);
        for (const e of got) assert.equal(e.result, 'failure');
        expectError(await srv.api('GET', '/audit/events?result=x', { token: admin.token }), 400, 'field_invalid', 'result');
    });
});
