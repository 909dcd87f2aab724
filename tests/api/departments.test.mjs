// Departments as a tree (issue 11, part 1; DIR-2, DIR-1): create under a
// parent or as a root, get with the path of ancestors, children and roots
// in name order with cursor paging, search, rename, move (cycles refused),
// delete (refused with children); every bad input names its field; members
// get 403, no session 401; tenant B gets 404 for every id of tenant A and
// never sees A's departments.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, UUID_RE, expectError, expectKeys, expectStatus, expectTime, listAll, startServer,
} from './lib/server.mjs';

const BASE = '/directory/departments';
const DEPT_KEYS = ['id', 'name', 'parent_id', 'created_at', 'updated_at', 'path'];
const ITEM_KEYS = ['id', 'name', 'parent_id', 'created_at', 'updated_at'];
const UNKNOWN = '01900000-0000-7000-8000-000000000000';

describe('directory: departments as a tree', () => {
    let srv;
    const tok = {};
    const d = {}; // name → id, tenant A

    before(async () => {
        srv = await startServer({
            name: 'departments',
            tenants: [
                { slug: 'acme', name: 'Acme Corp', admin: 'boss', users: [{ username: 'alice' }] },
                { slug: 'beta', name: 'Beta Ltd', admin: 'olga' },
            ],
        });
        const acme = srv.tenants.acme;
        tok.boss = (await srv.activate('acme', 'boss', acme.admin.temporary_password, PASSWORDS.admin)).token;
        tok.alice = (await srv.activate('acme', 'alice', acme.users.alice.temporary_password, PASSWORDS.p1)).token;
        tok.olga = (await srv.activate('beta', 'olga', srv.tenants.beta.admin.temporary_password,
            PASSWORDS.admin2)).token;
    });
    after(async () => {
        await srv?.cleanup();
    });

    const create = async (name, parent, token = tok.boss) => {
        const body = parent === undefined ? { name } : { name, parent_id: parent };
        return srv.api('POST', BASE, { token, body });
    };
    const get = async (id, token = tok.boss) => srv.api('GET', `${BASE}/${id}`, { token });
    const patch = async (id, body, token = tok.boss) => srv.api('PATCH', `${BASE}/${id}`, { token, body });
    const names = (items) => items.map((x) => x.name);
    const auditOf = async (action) => {
        const r = await srv.api('GET', `/audit/events?action=${action}&limit=200`, { token: tok.boss });
        expectStatus(r, 200, `audit ${action}`);
        return r.json.items;
    };

    // ---- 1. happy paths ----

    test('1. POST: roots and children, 201 with the path of ancestors', async () => {
        let r = await create('Head office');
        expectStatus(r, 201);
        expectKeys(r.json, DEPT_KEYS, 'department');
        assert.match(r.json.id, UUID_RE);
        assert.equal(r.json.parent_id, null);
        assert.deepEqual(r.json.path, []);
        expectTime(r.json.created_at, 'created_at');
        expectTime(r.json.updated_at, 'updated_at');
        d.head = r.json.id;
        // parent_id null is a root too
        r = await create('Plant', null);
        expectStatus(r, 201);
        d.plant = r.json.id;
        for (const [key, name, parent] of [['sales', 'Sales', 'head'], ['finance', 'finance', 'head'],
            ['north', 'North', 'sales'], ['south', 'South', 'sales'], ['line1', 'Line 1', 'plant'],
            ['east', '华东区', 'sales']]) {
            r = await create(name, d[parent]);
            expectStatus(r, 201, name);
            assert.equal(r.json.parent_id, d[parent]);
            d[key] = r.json.id;
        }
        r = await create('Team A', d.north);
        expectStatus(r, 201);
        d.teamA = r.json.id;
        assert.deepEqual(r.json.path, [{ id: d.head, name: 'Head office' }, { id: d.sales, name: 'Sales' },
            { id: d.north, name: 'North' }]);
        const ev = await auditOf('department.create');
        assert.equal(ev.length, 9);
        assert.equal(ev[0].target_id, d.teamA);
        assert.deepEqual(ev[0].details, { name: 'Team A', parent_id: d.north });
    });

    test('2. GET /{id}: the department and its ancestors, root first', async () => {
        const r = await get(d.south);
        expectStatus(r, 200);
        expectKeys(r.json, DEPT_KEYS, 'department');
        assert.equal(r.json.name, 'South');
        assert.deepEqual(r.json.path, [{ id: d.head, name: 'Head office' }, { id: d.sales, name: 'Sales' }]);
    });

    test('3. GET: the roots, a parent\'s children in name order (ASCII case folded), cursor paging', async () => {
        let r = await srv.api('GET', BASE, { token: tok.boss });
        expectStatus(r, 200);
        expectKeys(r.json, ['items', 'next_cursor'], 'page');
        assert.deepEqual(names(r.json.items), ['Head office', 'Plant']);
        for (const it of r.json.items) expectKeys(it, ITEM_KEYS, 'item');
        assert.equal(r.json.next_cursor, null);
        r = await srv.api('GET', `${BASE}?parent=${d.head}`, { token: tok.boss });
        expectStatus(r, 200);
        assert.deepEqual(names(r.json.items), ['finance', 'Sales']);
        assert.equal(r.json.items[0].parent_id, d.head);
        // 12 children, pages of 5
        const made = [];
        for (let i = 0; i < 12; i++) {
            const name = `${i % 2 ? 'team' : 'Team'} ${String(i).padStart(2, '0')}`;
            const c = await create(name, d.line1);
            expectStatus(c, 201);
            made.push(name);
        }
        const all = await listAll(srv, tok.boss, BASE, { parent: d.line1, limit: 5 });
        assert.deepEqual(names(all), made); // "team 01" between "Team 00" and "Team 02"
        r = await srv.api('GET', `${BASE}?parent=${d.line1}&limit=5`, { token: tok.boss });
        assert.equal(r.json.items.length, 5);
        assert.equal(typeof r.json.next_cursor, 'string');
        // a leaf's children: none
        r = await srv.api('GET', `${BASE}?parent=${d.teamA}`, { token: tok.boss });
        expectStatus(r, 200);
        assert.deepEqual(r.json.items, []);
    });

    test('4. GET ?q=: a case-insensitive substring, in the tree or below a parent, wildcards plain', async () => {
        let all = await listAll(srv, tok.boss, BASE, { q: 'TEAM' });
        assert.equal(all.length, 13); // Team A and the twelve
        all = await listAll(srv, tok.boss, BASE, { q: 'team', parent: d.sales });
        assert.deepEqual(names(all), ['Team A']);
        all = await listAll(srv, tok.boss, BASE, { q: 'orth' });
        assert.deepEqual(names(all), ['North']);
        all = await listAll(srv, tok.boss, BASE, { q: '华东' });
        assert.deepEqual(names(all), ['华东区']);
        for (const q of ['%', '_', '\\', 'T_am']) {
            const r = await srv.api('GET', `${BASE}?q=${encodeURIComponent(q)}`, { token: tok.boss });
            expectStatus(r, 200, q);
            assert.deepEqual(r.json.items, [], `q=${q} matches nothing`);
        }
        expectStatus(await create('50% off', d.plant), 201);
        all = await listAll(srv, tok.boss, BASE, { q: '%' });
        assert.deepEqual(names(all), ['50% off']);
        all = await listAll(srv, tok.boss, BASE, { q: 'team', limit: 4 });
        assert.equal(all.length, 13);
    });

    test('5. PATCH: rename, move a subtree, move to the roots; audited with old and new', async () => {
        let r = await patch(d.finance, { name: 'Finance' }); // a change of case
        expectStatus(r, 200);
        expectKeys(r.json, DEPT_KEYS, 'department');
        assert.equal(r.json.name, 'Finance');
        let ev = await auditOf('department.rename');
        assert.deepEqual(ev[0].details, { name: 'Finance', old_name: 'finance' });
        // Sales (with North, Team A, South, 华东区) under Plant
        r = await patch(d.sales, { parent_id: d.plant });
        expectStatus(r, 200);
        assert.equal(r.json.parent_id, d.plant);
        assert.deepEqual(r.json.path, [{ id: d.plant, name: 'Plant' }]);
        r = await get(d.teamA);
        assert.deepEqual(r.json.path.map((x) => x.id), [d.plant, d.sales, d.north]);
        ev = await auditOf('department.move');
        assert.deepEqual(ev[0].details, { name: 'Sales', parent_id: d.plant, old_parent_id: d.head });
        // both at once, in one transaction
        r = await patch(d.north, { name: 'North region', parent_id: null });
        expectStatus(r, 200);
        assert.equal(r.json.parent_id, null);
        assert.deepEqual(r.json.path, []);
        r = await get(d.teamA);
        assert.deepEqual(r.json.path, [{ id: d.north, name: 'North region' }]);
        // nothing changes: 200, no event
        const before = (await auditOf('department.move')).length;
        r = await patch(d.north, { parent_id: null });
        expectStatus(r, 200);
        assert.equal((await auditOf('department.move')).length, before);
        // back under Sales
        expectStatus(await patch(d.north, { name: 'North', parent_id: d.sales }), 200);
    });

    test('6. PATCH: a move under itself or inside its subtree is 409 conflict (parent_id)', async () => {
        for (const to of ['head', 'plant', 'sales', 'north', 'teamA']) {
            const r = await patch(d.plant, { parent_id: d[to] });
            if (to === 'head') {
                // Head office is not under Plant: a legal move, undone below
                expectStatus(r, 200);
                expectStatus(await patch(d.plant, { parent_id: null }), 200);
                continue;
            }
            expectError(r, 409, 'conflict', 'parent_id', `Plant under ${to}`);
        }
        expectError(await patch(d.north, { parent_id: d.teamA }), 409, 'conflict', 'parent_id');
        // the tree is as it was
        const r = await get(d.teamA);
        assert.deepEqual(r.json.path.map((x) => x.id), [d.plant, d.sales, d.north]);
    });

    test('7. sibling names are unique (ASCII case-insensitive): create, rename, move', async () => {
        expectError(await create('SOUTH', d.sales), 409, 'conflict', 'name');
        expectError(await create('plant'), 409, 'conflict', 'name');
        expectError(await patch(d.south, { name: 'north' }), 409, 'conflict', 'name');
        let r = await create('South', d.head); // another parent: fine
        expectStatus(r, 201);
        d.south2 = r.json.id;
        expectError(await patch(d.south2, { parent_id: d.sales }), 409, 'conflict', 'name');
        // a rename and a move that together clear the clash
        r = await patch(d.south2, { name: 'South 2', parent_id: d.sales });
        expectStatus(r, 200);
    });

    test('8. DELETE: refused with children (409), a leaf goes (204, audited)', async () => {
        expectError(await srv.api('DELETE', `${BASE}/${d.sales}`, { token: tok.boss }), 409, 'conflict');
        let r = await srv.api('DELETE', `${BASE}/${d.south2}`, { token: tok.boss });
        expectStatus(r, 204);
        expectError(await get(d.south2), 404, 'not_found');
        expectError(await srv.api('DELETE', `${BASE}/${d.south2}`, { token: tok.boss }), 404, 'not_found');
        const ev = await auditOf('department.delete');
        assert.deepEqual(ev[0].details, { name: 'South 2', parent_id: d.sales });
        r = await srv.api('GET', `${BASE}?parent=${d.sales}`, { token: tok.boss });
        assert.deepEqual(names(r.json.items), ['North', 'South', '华东区']);
    });

    test('9. every bad input names its field', async () => {
        const bad = [
            ['POST', BASE, {}, 400, 'field_missing', 'name'],
            ['POST', BASE, { name: '' }, 400, 'field_invalid', 'name'],
            ['POST', BASE, { name: 'x'.repeat(129) }, 400, 'field_invalid', 'name'],
            ['POST', BASE, { name: 'a\tb' }, 400, 'field_invalid', 'name'],
            ['POST', BASE, { name: 'a\u0085b' }, 400, 'field_invalid', 'name'],
            ['POST', BASE, { name: 7 }, 400, 'field_invalid', 'name'],
            ['POST', BASE, { name: 'A', parent_id: 'nope' }, 400, 'field_invalid', 'parent_id'],
            ['POST', BASE, { name: 'A', parent_id: 5 }, 400, 'field_invalid', 'parent_id'],
            ['POST', BASE, { name: 'A', parent_id: UNKNOWN }, 404, 'not_found', 'parent_id'],
            ['POST', BASE, { name: 'A', color: 'red' }, 400, 'field_unknown', 'color'],
            ['PATCH', `${BASE}/${'D'}`, {}, 400, 'field_missing', 'name'],
            ['PATCH', `${BASE}/${'D'}`, { name: null }, 400, 'field_invalid', 'name'],
            ['PATCH', `${BASE}/${'D'}`, { name: '' }, 400, 'field_invalid', 'name'],
            ['PATCH', `${BASE}/${'D'}`, { name: 'y'.repeat(129) }, 400, 'field_invalid', 'name'],
            ['PATCH', `${BASE}/${'D'}`, { parent_id: 'x' }, 400, 'field_invalid', 'parent_id'],
            ['PATCH', `${BASE}/${'D'}`, { parent_id: UNKNOWN }, 404, 'not_found', 'parent_id'],
            ['PATCH', `${BASE}/${'D'}`, { id: UNKNOWN }, 400, 'field_unknown', 'id'],
        ];
        for (const [method, p, body, status, code, field] of bad) {
            const r = await srv.api(method, p.replace('/D', `/${d.south}`), { token: tok.boss, body });
            expectError(r, status, code, field, `${method} ${JSON.stringify(body)}`);
        }
        // 128 characters (of three bytes each) is fine
        expectStatus(await create('部'.repeat(128), d.plant), 201);
        const q = [
            ['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=x', 'limit'],
            ['parent=nope', 'parent'], [`q=${'q'.repeat(65)}`, 'q'], ['q=', 'q'],
            ['cursor=bm9wZQ', 'cursor'], ['cursor=%25%25', 'cursor'],
        ];
        for (const [qs, field] of q) {
            expectError(await srv.api('GET', `${BASE}?${qs}`, { token: tok.boss }), 400, 'field_invalid', field, qs);
        }
        expectError(await srv.api('GET', `${BASE}?parent=${UNKNOWN}`, { token: tok.boss }), 404, 'not_found', 'parent');
        expectError(await srv.api('GET', `${BASE}?sort=name`, { token: tok.boss }), 400, 'field_unknown', 'sort');
        for (const m of ['GET', 'PATCH', 'DELETE']) {
            const body = m === 'PATCH' ? { name: 'X' } : undefined;
            expectError(await srv.api(m, `${BASE}/${UNKNOWN}`, { token: tok.boss, body }), 404, 'not_found', null, m);
            expectError(await srv.api(m, `${BASE}/not-a-uuid`, { token: tok.boss, body }), 404, 'not_found', null, m);
        }
    });

    test('10. members read the tree but get 403 on every change; no session 401 on every route', async () => {
        const routes = [['GET', BASE], ['POST', BASE, { name: 'X' }], ['GET', `${BASE}/${d.head}`],
            ['PATCH', `${BASE}/${d.head}`, { name: 'X' }], ['DELETE', `${BASE}/${d.teamA}`]];
        for (const [m, p, body] of routes) {
            if (m === 'GET') expectStatus(await srv.api(m, p, { token: tok.alice }), 200, `${m} ${p}`);
            else expectError(await srv.api(m, p, { token: tok.alice, body }), 403, 'forbidden', null, `${m} ${p}`);
            expectError(await srv.api(m, p, { body }), 401, 'unauthenticated', null, `${m} ${p}`);
        }
        expectStatus(await get(d.teamA), 200); // still there
    });

    test('11. tenant B: 404 for every A id on every route, A never in its lists or searches', async () => {
        const aIds = Object.values(d).filter((id) => id !== d.south2);
        for (const id of aIds) {
            expectError(await get(id, tok.olga), 404, 'not_found', null, 'get');
            expectError(await patch(id, { name: 'Mine' }, tok.olga), 404, 'not_found', null, 'rename');
            expectError(await patch(id, { parent_id: null }, tok.olga), 404, 'not_found', null, 'move');
            expectError(await srv.api('DELETE', `${BASE}/${id}`, { token: tok.olga }), 404, 'not_found', null,
                'delete');
            expectError(await create('Mine', id, tok.olga), 404, 'not_found', 'parent_id', 'create under');
            expectError(await srv.api('GET', `${BASE}?parent=${id}`, { token: tok.olga }), 404, 'not_found',
                'parent', 'list');
            expectError(await srv.api('GET', `${BASE}?parent=${id}&q=a`, { token: tok.olga }), 404, 'not_found',
                'parent', 'search');
        }
        // B's own department cannot be moved under A's, nor A's under B's
        let r = await create('Beta HQ', undefined, tok.olga);
        expectStatus(r, 201);
        const bHq = r.json.id;
        expectError(await patch(bHq, { parent_id: d.head }, tok.olga), 404, 'not_found', 'parent_id');
        expectError(await patch(d.head, { parent_id: bHq }), 404, 'not_found', 'parent_id');
        // B's lists and searches: its own only
        r = await srv.api('GET', BASE, { token: tok.olga });
        assert.deepEqual(names(r.json.items), ['Beta HQ']);
        for (const q of ['a', 'Team', 'South', '华', 'e']) {
            const all = await listAll(srv, tok.olga, BASE, { q });
            assert.ok(all.every((x) => x.id === bHq), `q=${q}: ${names(all)}`);
        }
        // and A's are all still there, unchanged
        r = await get(d.head);
        assert.equal(r.json.name, 'Head office');
        r = await srv.api('GET', BASE, { token: tok.boss });
        assert.deepEqual(names(r.json.items), ['Head office', 'Plant']);
    });
});
