// Groups and hidden departments (issue 11, parts 1, 3 and 4; DIR-2, DIR-3,
// AUD-2): groups of employees, departments (alone or with their subtree)
// and other groups, without cycles; their expansion; a group as the
// subject of a role (its members hold it, at once, and lose it when they
// leave) and as its scope (a role over a group covers its members); a
// privileged group's membership changed only with access.manage, audited
// as a grant; hidden departments absent for those they do not name, in
// listings, searches, lookups by id (404, not 403) and group expansions;
// tenant B reaches none of A's groups.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, UUID_RE, expectError, expectKeys, expectStatus, listAll, startServer,
} from './lib/server.mjs';

const UNKNOWN = '01900000-0000-7000-8000-000000000000';
const GROUP_KEYS = ['id', 'name', 'description', 'owner_id', 'owner_name', 'members', 'may_manage', 'created_at',
    'updated_at'];

describe('directory: groups and hidden departments', () => {
    let srv;
    const tok = {};
    const d = {};
    const e = {};
    const g = {};

    before(async () => {
        srv = await startServer({
            name: 'groups',
            tenants: [
                { slug: 'acme', name: 'Acme Corp', admin: 'boss' },
                { slug: 'beta', name: 'Beta Ltd', admin: 'olga' },
            ],
        });
        tok.boss = (await srv.activate('acme', 'boss', srv.tenants.acme.admin.temporary_password, PASSWORDS.admin)).token;
        tok.olga = (await srv.activate('beta', 'olga', srv.tenants.beta.admin.temporary_password, PASSWORDS.admin2)).token;
        const mk = async (name, parent) => {
            const r = await srv.api('POST', '/directory/departments', {
                token: tok.boss, body: parent ? { name, parent_id: parent } : { name },
            });
            expectStatus(r, 201, name);
            return r.json.id;
        };
        d.company = await mk('Company');
        d.sales = await mk('Sales', d.company);
        d.east = await mk('East', d.sales);
        d.finance = await mk('Finance', d.company);
        d.board = await mk('Board', d.company);
        d.audit = await mk('Audit committee', d.board);
        // Employees, each signed in: ann (Sales), ben (East), cat (Finance),
        // dan (Finance), eve (Board, also in Sales), fay (Audit committee).
        const pw = [PASSWORDS.p1, PASSWORDS.p2, PASSWORDS.p3, PASSWORDS.p1, PASSWORDS.p2, PASSWORDS.p3];
        const people = [['ann', d.sales], ['ben', d.east], ['cat', d.finance], ['dan', d.finance], ['eve', d.board],
            ['fay', d.audit]];
        for (const [i, [name, dept]] of people.entries()) {
            const body = { username: name, display_name: name.toUpperCase(), department_id: dept, phone: `138001380${i}0` };
            if (name === 'eve') body.departments = [d.sales];
            const r = await srv.api('POST', '/directory/employees', { token: tok.boss, body });
            expectStatus(r, 201, name);
            e[name] = r.json.id;
            tok[name] = (await srv.activate('acme', name, r.json.temporary_password, pw[i])).token;
        }
    });
    after(async () => { await srv?.cleanup(); });

    const api = (method, path, token, body) => srv.api(method, path, { token, body });
    const events = async (action) => {
        const r = await api('GET', `/audit/events?action=${action}&limit=200`, tok.boss);
        expectStatus(r, 200, `audit ${action}`);
        return r.json.items;
    };
    const expand = async (group, token) => {
        const items = await listAll(srv, token, `/directory/groups/${group}/members`, { expand: 'true', limit: '2' });
        return items.map((x) => x.display_name);
    };

    test('1. create, read, list, change; every bad input names its field', async () => {
        let r = await api('POST', '/directory/groups', tok.boss, { name: 'Key accounts', description: 'Top 50' });
        expectStatus(r, 201);
        expectKeys(r.json, GROUP_KEYS, 'group');
        assert.match(r.json.id, UUID_RE);
        assert.equal(r.json.owner_id, null, 'boss is no employee: no owner');
        assert.equal(r.json.may_manage, true);
        g.keys = r.json.id;
        r = await api('POST', '/directory/groups', tok.boss, { name: 'Project X', owner_id: e.ann });
        expectStatus(r, 201);
        assert.equal(r.json.owner_id, e.ann);
        assert.equal(r.json.owner_name, 'ANN');
        g.x = r.json.id;
        expectError(await api('POST', '/directory/groups', tok.boss, { name: 'key ACCOUNTS' }), 409, 'conflict', 'name');
        expectError(await api('POST', '/directory/groups', tok.boss, { name: '' }), 400, 'field_invalid', 'name');
        expectError(await api('POST', '/directory/groups', tok.boss, { name: 'a\u0001b' }), 400, 'field_invalid', 'name');
        expectError(await api('POST', '/directory/groups', tok.boss, {}), 400, 'field_missing', 'name');
        expectError(await api('POST', '/directory/groups', tok.boss, { name: 'Z', owner_id: UNKNOWN }), 404, 'not_found',
            'owner_id');
        expectError(await api('POST', '/directory/groups', tok.boss, { name: 'Z', extra: 1 }), 400, 'field_unknown', 'extra');
        // A member may not create one (no directory.manage anywhere).
        expectError(await api('POST', '/directory/groups', tok.cat, { name: 'Cats' }), 403, 'forbidden');
        // Everyone reads; the list pages in name order and searches by prefix.
        const all = await listAll(srv, tok.cat, '/directory/groups', { limit: '1' });
        assert.deepEqual(all.map((x) => x.name), ['Key accounts', 'Project X']);
        r = await api('GET', '/directory/groups?q=proj', tok.cat);
        assert.deepEqual(r.json.items.map((x) => x.id), [g.x]);
        r = await api('GET', `/directory/groups/${g.x}`, tok.cat);
        expectStatus(r, 200);
        assert.equal(r.json.may_manage, false);
        // The owner changes it; someone else may not (audited).
        r = await api('PATCH', `/directory/groups/${g.x}`, tok.ann, { description: 'Launch team' });
        expectStatus(r, 200);
        assert.equal(r.json.description, 'Launch team');
        expectError(await api('PATCH', `/directory/groups/${g.x}`, tok.cat, { name: 'Mine' }), 403, 'forbidden');
        const denied = await events('access.denied');
        assert.ok(denied.some((x) => x.target_type === 'group' && x.target_id === g.x), 'refusal audited');
        const upd = await events('group.update');
        assert.deepEqual(upd[0].details.fields, ['description']);
        expectError(await api('GET', `/directory/groups/${UNKNOWN}`, tok.boss), 404, 'not_found');
        expectError(await api('GET', '/directory/groups/nope', tok.boss), 404, 'not_found');
    });

    test('2. members: employees, departments with or without subtree, groups; expansion; no cycles', async () => {
        let r = await api('POST', `/directory/groups/${g.keys}/members`, tok.boss, { kind: 'employee', id: e.cat });
        expectStatus(r, 201);
        r = await api('POST', `/directory/groups/${g.keys}/members`, tok.boss, { kind: 'department', id: d.sales });
        expectStatus(r, 201);
        // Sales alone: ann and eve (Sales is eve's further department), not ben (East).
        assert.deepEqual(await expand(g.keys, tok.boss), ['ANN', 'CAT', 'EVE']);
        expectStatus(await api('DELETE', `/directory/groups/${g.keys}/members/${d.sales}`, tok.boss), 204);
        r = await api('POST', `/directory/groups/${g.keys}/members`, tok.boss, { kind: 'department', id: d.sales, subtree: true });
        expectStatus(r, 201);
        assert.deepEqual(await expand(g.keys, tok.boss), ['ANN', 'BEN', 'CAT', 'EVE']);
        // Project X inside Key accounts: its members count too.
        expectStatus(await api('POST', `/directory/groups/${g.x}/members`, tok.ann, { kind: 'employee', id: e.dan }), 201);
        expectStatus(await api('POST', `/directory/groups/${g.keys}/members`, tok.boss, { kind: 'group', id: g.x }), 201);
        assert.deepEqual(await expand(g.keys, tok.boss), ['ANN', 'BEN', 'CAT', 'DAN', 'EVE']);
        // Direct members, by kind and name.
        r = await api('GET', `/directory/groups/${g.keys}/members`, tok.cat);
        expectStatus(r, 200);
        assert.deepEqual(r.json.items.map((x) => [x.kind, x.name, x.subtree]).sort(),
            [['department', 'Sales', true], ['employee', 'CAT', false], ['group', 'Project X', false]]);
        // No cycle: Key accounts into Project X, or a group into itself.
        expectError(await api('POST', `/directory/groups/${g.x}/members`, tok.boss, { kind: 'group', id: g.keys }), 409,
            'conflict', 'id');
        expectError(await api('POST', `/directory/groups/${g.x}/members`, tok.boss, { kind: 'group', id: g.x }), 409,
            'conflict', 'id');
        // Bad input.
        expectError(await api('POST', `/directory/groups/${g.x}/members`, tok.boss, { kind: 'employee', id: e.dan }), 409,
            'conflict', 'id');
        expectError(await api('POST', `/directory/groups/${g.x}/members`, tok.boss, { kind: 'employee', id: UNKNOWN }), 404,
            'not_found', 'id');
        expectError(await api('POST', `/directory/groups/${g.x}/members`, tok.boss, { kind: 'robot', id: e.dan }), 400,
            'field_invalid', 'kind');
        expectError(await api('POST', `/directory/groups/${g.x}/members`, tok.boss,
            { kind: 'employee', id: e.ben, subtree: true }), 400, 'field_invalid', 'subtree');
        expectError(await api('DELETE', `/directory/groups/${g.x}/members/${UNKNOWN}`, tok.boss), 404, 'not_found');
        const added = await events('group.member.add');
        assert.equal(added.length, 5);
        assert.deepEqual(added[0].details, { kind: 'group', member_id: g.x });
    });

    test('3. a group holds a role: its members hold it at once, and lose it when they leave', async () => {
        // A group of department admins of Sales: cat is in Key accounts.
        const grant = await api('POST', '/access/assignments', tok.boss,
            { role: 'department_admin', group_id: g.keys, scope: 'department', department_id: d.sales });
        expectStatus(grant, 201);
        assert.equal(grant.json.group_id, g.keys);
        assert.equal(grant.json.group_name, 'Key accounts');
        assert.equal(grant.json.account_id, null);
        let r = await api('POST', '/directory/departments', tok.cat, { name: 'West', parent_id: d.sales });
        expectStatus(r, 201, 'cat manages Sales through the group');
        expectStatus(await api('DELETE', `/directory/departments/${r.json.id}`, tok.cat), 204);
        expectError(await api('POST', '/directory/departments', tok.cat, { name: 'Tax', parent_id: d.finance }), 403,
            'forbidden');
        const me = await api('GET', '/me/access', tok.cat);
        assert.ok(me.json.department_permissions.some((x) => x.department_id === d.sales));
        // Now a privileged group: its owner alone may not change its members.
        expectError(await api('POST', `/directory/groups/${g.x}/members`, tok.ann, { kind: 'employee', id: e.ben }), 403,
            'forbidden', null, 'Project X sits inside a group holding a role');
        expectError(await api('DELETE', `/directory/groups/${g.keys}/members/${e.cat}`, tok.ann), 403, 'forbidden');
        // The tenant admin removes cat: cat loses the role at once; a grant event.
        expectStatus(await api('DELETE', `/directory/groups/${g.keys}/members/${e.cat}`, tok.boss), 204);
        expectError(await api('POST', '/directory/departments', tok.cat, { name: 'West', parent_id: d.sales }), 403,
            'forbidden');
        const revokes = await events('access.revoke');
        assert.ok(revokes.some((x) => x.target_id === g.keys && x.details.via === 'group_membership'
            && x.details.member_id === e.cat));
        // A group with a role assigned cannot be deleted.
        expectError(await api('DELETE', `/directory/groups/${g.keys}`, tok.boss), 409, 'conflict');
        expectStatus(await api('DELETE', `/access/assignments/${grant.json.id}`, tok.boss), 204);
        // Grants to a group name it; bad subjects are refused by field.
        expectError(await api('POST', '/access/assignments', tok.boss,
            { role: 'auditor', group_id: UNKNOWN, scope: 'tenant' }), 404, 'not_found', 'group_id');
        expectError(await api('POST', '/access/assignments', tok.boss,
            { role: 'auditor', group_id: g.x, account_id: e.ann, scope: 'tenant' }), 400, 'field_invalid', 'account_id');
        expectError(await api('POST', '/access/assignments', tok.boss, { role: 'auditor', scope: 'tenant' }), 400,
            'field_missing', 'account_id');
    });

    test('4. a role over a group covers its members and the group, nothing else', async () => {
        const role = await api('POST', '/access/roles', tok.boss,
            { name: 'Team lead', permissions: ['directory.view_phone', 'directory.manage'] });
        expectStatus(role, 201);
        const a = await api('POST', '/access/assignments', tok.boss,
            { role: role.json.id, account_id: e.ben, scope: 'group', scope_group_id: g.x });
        expectStatus(a, 201);
        assert.equal(a.json.scope, 'group');
        assert.equal(a.json.scope_group_id, g.x);
        assert.equal(a.json.scope_group_name, 'Project X');
        // dan is in Project X: ben may reveal dan's phone and edit dan; not cat's.
        let r = await api('POST', `/directory/employees/${e.dan}/phone/reveal`, tok.ben);
        expectStatus(r, 200);
        assert.match(r.json.phone, /^\+86138001380/);
        expectError(await api('POST', `/directory/employees/${e.cat}/phone/reveal`, tok.ben), 403, 'forbidden');
        expectStatus(await api('PATCH', `/directory/employees/${e.dan}`, tok.ben, { title: 'Lead' }), 200);
        expectError(await api('PATCH', `/directory/employees/${e.cat}`, tok.ben, { title: 'Lead' }), 403, 'forbidden');
        // The group itself: ben manages Project X (not Key accounts, which contains it).
        expectStatus(await api('PATCH', `/directory/groups/${g.x}`, tok.ben, { description: 'Ben runs it' }), 200);
        expectError(await api('PATCH', `/directory/groups/${g.keys}`, tok.ben, { description: 'no' }), 403, 'forbidden');
        const me = await api('GET', '/me/access', tok.ben);
        assert.deepEqual(me.json.group_permissions.map((x) => x.group_id), [g.x]);
        expectError(await api('POST', '/access/assignments', tok.boss,
            { role: 'auditor', account_id: e.ben, scope: 'group', scope_group_id: g.x }), 400, 'field_invalid', 'scope');
        expectError(await api('POST', '/access/assignments', tok.boss,
            { role: role.json.id, account_id: e.ben, scope: 'group' }), 400, 'field_missing', 'scope_group_id');
        expectStatus(await api('DELETE', `/access/assignments/${a.json.id}`, tok.boss), 204);
        expectError(await api('POST', `/directory/employees/${e.dan}/phone/reveal`, tok.ben), 403, 'forbidden');
    });

    test('5. DIR-3: a hidden department and its people are absent for those it does not name', async () => {
        // The board, hidden; only Key accounts (cat was removed; ann, ben, eve
        // remain through Sales, and dan through Project X) may see it.
        let r = await api('PUT', `/directory/departments/${d.board}/visibility`, tok.boss,
            { hidden: true, viewers: [`group:${g.x}`, 'role:auditor'] });
        expectStatus(r, 200);
        assert.equal(r.json.hidden, true);
        assert.deepEqual(r.json.viewers.map((x) => [x.kind, x.name]).sort(), [['group', 'Project X'], ['role', 'auditor']]);
        const vis = await events('department.visibility');
        assert.equal(vis[0].details.hidden, true);
        // cat (in no named group) does not see the board, its subtree or its people.
        const depts = await listAll(srv, tok.cat, `/directory/departments`, { parent: d.company, limit: '50' });
        assert.deepEqual(depts.map((x) => x.name).sort(), ['Finance', 'Sales']);
        r = await api('GET', `/directory/departments?q=committee`, tok.cat);
        assert.deepEqual(r.json.items, []);
        r = await api('GET', `/directory/departments?q=committee`, tok.dan);
        assert.deepEqual(r.json.items.map((x) => x.name), ['Audit committee'], 'dan is in Project X');
        expectError(await api('GET', `/directory/departments/${d.board}`, tok.cat), 404, 'not_found');
        expectError(await api('GET', `/directory/departments/${d.audit}`, tok.cat), 404, 'not_found');
        expectError(await api('GET', `/directory/employees?department=${d.board}`, tok.cat), 404, 'not_found',
            'department');
        let people = await listAll(srv, tok.cat, '/directory/employees', { limit: '50' });
        assert.deepEqual(people.map((x) => x.display_name).sort(), ['ANN', 'BEN', 'CAT', 'DAN'],
            'eve (board, also in Sales) and fay are hidden');
        people = await listAll(srv, tok.cat, `/directory/employees`, { department: d.sales, limit: '50' });
        assert.deepEqual(people.map((x) => x.display_name), ['ANN'], 'eve left out of Sales too');
        expectError(await api('GET', `/directory/employees/${e.eve}`, tok.cat), 404, 'not_found');
        expectError(await api('GET', `/directory/employees/${e.fay}`, tok.cat), 404, 'not_found');
        r = await api('GET', `/directory/employees?phone=13800138040`, tok.cat);
        assert.deepEqual(r.json.items, [], 'not found by phone either');
        // Group expansion leaves them out too; Key accounts holds eve through Sales.
        assert.deepEqual(await expand(g.keys, tok.cat), ['ANN', 'BEN', 'DAN']);
        assert.deepEqual(await expand(g.keys, tok.dan), ['ANN', 'BEN', 'DAN', 'EVE']);
        // A named group's member and the role's holders see it; so do those who manage it.
        expectStatus(await api('GET', `/directory/employees/${e.fay}`, tok.dan), 200);
        expectStatus(await api('GET', `/directory/departments/${d.audit}`, tok.boss), 200);
        expectStatus(await api('GET', `/directory/employees/${e.eve}`, tok.eve), 200, 'eve sees herself');
        await api('POST', '/access/assignments', tok.boss, { role: 'auditor', account_id: e.cat, scope: 'tenant' });
        expectStatus(await api('GET', `/directory/employees/${e.eve}`, tok.cat), 200, 'cat now holds auditor');
        // Visibility: read and set only with directory.manage over it.
        expectError(await api('GET', `/directory/departments/${d.board}/visibility`, tok.ben), 403, 'forbidden');
        r = await api('GET', `/directory/departments/${d.board}/visibility`, tok.boss);
        expectStatus(r, 200);
        expectError(await api('PUT', `/directory/departments/${d.board}/visibility`, tok.boss,
            { hidden: true, viewers: ['role:member'] }), 400, 'field_invalid', 'viewers');
        expectError(await api('PUT', `/directory/departments/${d.board}/visibility`, tok.boss,
            { hidden: true, viewers: [`group:${UNKNOWN}`] }), 404, 'not_found', 'viewers');
        expectError(await api('PUT', `/directory/departments/${d.board}/visibility`, tok.boss,
            { hidden: true, viewers: ['team:x'] }), 400, 'field_invalid', 'viewers');
        // Shown again: everyone sees it.
        expectStatus(await api('PUT', `/directory/departments/${d.board}/visibility`, tok.boss, { hidden: false }), 200);
        expectStatus(await api('GET', `/directory/employees/${e.fay}`, tok.ben), 200);
    });

    test('6. offboarding: the employee leaves every group; its groups pass to the successor', async () => {
        // ann owns Project X and is in Key accounts through Sales; dan is a
        // direct member of Project X. dan leaves, ann's groups go to ben.
        let r = await api('POST', `/directory/employees/${e.dan}/offboard`, tok.boss, { successor_id: e.ben });
        expectStatus(r, 200);
        assert.deepEqual(r.json.offboarding.hooks.groups, { left: 1, passed_on: 0 });
        r = await api('GET', `/directory/groups/${g.x}/members`, tok.boss);
        assert.ok(!r.json.items.some((x) => x.id === e.dan), 'dan left Project X');
        r = await api('POST', `/directory/employees/${e.ann}/offboard`, tok.boss, { successor_id: e.ben });
        expectStatus(r, 200);
        assert.deepEqual(r.json.offboarding.hooks.groups, { left: 0, passed_on: 1 });
        r = await api('GET', `/directory/groups/${g.x}`, tok.boss);
        assert.equal(r.json.owner_id, e.ben);
        const upd = (await events('group.update')).filter((x) => x.target_id === g.x && x.details.via === 'offboarding');
        assert.equal(upd.length, 1);
        assert.equal(upd[0].details.owner_id, e.ben);
        const left = (await events('group.member.remove')).filter((x) => x.details.member_id === e.dan);
        assert.equal(left.length, 1);
    });

    test('7. the holes a review found, closed', async () => {
        // A department with viewers, inside a group: deleting it empties
        // both (no 500), audited as the group losing a member.
        const mk = async (name, parent) => {
            const r = await api('POST', '/directory/departments', tok.boss, parent ? { name, parent_id: parent } : { name });
            expectStatus(r, 201, name);
            return r.json.id;
        };
        const lab = await mk('Lab', d.company);
        const g2 = (await api('POST', '/directory/groups', tok.boss, { name: 'Lab watchers' })).json.id;
        expectStatus(await api('POST', `/directory/groups/${g2}/members`, tok.boss, { kind: 'department', id: lab }), 201);
        expectStatus(await api('PUT', `/directory/departments/${lab}/visibility`, tok.boss,
            { hidden: true, viewers: [`group:${g2}`] }), 200);
        expectStatus(await api('DELETE', `/directory/departments/${lab}`, tok.boss), 204);
        let r = await api('GET', `/directory/groups/${g2}/members`, tok.boss);
        assert.deepEqual(r.json.items, [], 'the deleted department left the group');
        const rm = (await events('group.member.remove')).filter((x) => x.target_id === g2);
        assert.deepEqual(rm.map((x) => x.details), [{ kind: 'department', member_id: lab }]);
        // A group that is only the scope of a role is privileged too: its
        // owner cannot widen the grant by adding members.
        const teamRole = await api('POST', '/access/roles', tok.boss, { name: 'Phone reader', permissions: ['directory.view_phone'] });
        expectStatus(teamRole, 201);
        const own = (await api('POST', '/directory/groups', tok.boss, { name: 'Ben team', owner_id: e.ben })).json.id;
        const a = await api('POST', '/access/assignments', tok.boss,
            { role: teamRole.json.id, account_id: e.cat, scope: 'group', scope_group_id: own });
        expectStatus(a, 201);
        expectError(await api('POST', `/directory/groups/${own}/members`, tok.ben, { kind: 'employee', id: e.eve }), 403,
            'forbidden', null, 'the scope of a role');
        expectStatus(await api('DELETE', `/access/assignments/${a.json.id}`, tok.boss), 204);
        expectStatus(await api('POST', `/directory/groups/${own}/members`, tok.ben, { kind: 'employee', id: e.eve }), 201,
            'no longer a scope: the owner changes it');
        // A department admin elsewhere gets 404 for a hidden department's
        // changes, not 403.
        expectStatus(await api('PUT', `/directory/departments/${d.board}/visibility`, tok.boss, { hidden: true }), 200);
        const da = await api('POST', '/access/assignments', tok.boss,
            { role: 'department_admin', account_id: e.ben, scope: 'department', department_id: d.finance });
        expectStatus(da, 201);
        expectError(await api('PATCH', `/directory/departments/${d.board}`, tok.ben, { name: 'Boardroom' }), 404, 'not_found');
        expectError(await api('DELETE', `/directory/departments/${d.audit}`, tok.ben), 404, 'not_found');
        expectError(await api('GET', `/directory/departments/${d.board}/visibility`, tok.ben), 404, 'not_found');
        expectError(await api('PATCH', `/directory/departments/${d.sales}`, tok.ben, { name: 'Sales 2' }), 403, 'forbidden',
            null, 'a visible department outside the subtree: 403');
        // A manager hidden from the viewer is no manager to it; a group's
        // hidden owner is not named.
        expectStatus(await api('PATCH', `/directory/employees/${e.ben}`, tok.boss, { manager_id: e.fay }), 200);
        r = await api('GET', `/directory/employees/${e.ben}`, tok.cat);
        expectStatus(r, 200);
        assert.equal(r.json.manager, null, 'fay sits on the hidden board');
        r = await api('GET', `/directory/employees/${e.ben}`, tok.boss);
        assert.equal(r.json.manager.id, e.fay);
        expectStatus(await api('PATCH', `/directory/groups/${own}`, tok.boss, { owner_id: e.fay }), 200);
        r = await api('GET', `/directory/groups/${own}`, tok.cat);
        assert.equal(r.json.owner_id, null);
        assert.equal(r.json.owner_name, null);
        r = await api('GET', '/directory/groups?q=ben', tok.cat);
        assert.deepEqual(r.json.items.map((x) => [x.name, x.owner_id]), [['Ben team', null]], 'not in the list either');
        // An assignment over a hidden department is absent from the list an
        // auditor (access.read) reads, when the department does not name it.
        const overBoard = await api('POST', '/access/assignments', tok.boss,
            { role: 'department_admin', account_id: e.fay, scope: 'department', department_id: d.board });
        expectStatus(overBoard, 201);
        r = await api('GET', '/access/assignments?limit=200', tok.cat); // an auditor since test 5
        expectStatus(r, 200);
        assert.ok(!r.json.items.some((x) => x.id === overBoard.json.id), 'hidden from the auditor');
        assert.ok(!r.text.includes(d.board), 'not even the department id');
        r = await api('GET', '/access/assignments?limit=200', tok.boss);
        assert.ok(r.json.items.some((x) => x.id === overBoard.json.id), 'the tenant admin sees it');
        expectStatus(await api('PUT', `/directory/departments/${d.board}/visibility`, tok.boss, { hidden: false }), 200);
        // may_manage says what a change allows: a grant over a group.
        const lead = await api('POST', '/access/roles', tok.boss, { name: 'Group editor', permissions: ['directory.manage'] });
        const ga = await api('POST', '/access/assignments', tok.boss,
            { role: lead.json.id, account_id: e.eve, scope: 'group', scope_group_id: own });
        expectStatus(ga, 201);
        r = await api('GET', `/directory/employees/${e.eve}`, tok.eve);
        assert.equal(r.json.may_manage, true, 'eve is in Ben team, over which she holds directory.manage');
        expectStatus(await api('PATCH', `/directory/employees/${e.eve}`, tok.eve, { title: 'Self-made' }), 200);
    });

    test('8. tenant B reaches none of A\'s groups', async () => {
        for (const [m, p, body] of [
            ['GET', `/directory/groups/${g.x}`],
            ['PATCH', `/directory/groups/${g.x}`, { name: 'Mine' }],
            ['DELETE', `/directory/groups/${g.x}`],
            ['GET', `/directory/groups/${g.x}/members`],
            ['POST', `/directory/groups/${g.x}/members`, { kind: 'employee', id: e.ann }],
            ['DELETE', `/directory/groups/${g.x}/members/${e.dan}`],
        ]) expectError(await api(m, p, tok.olga, body), 404, 'not_found', null, `${m} ${p}`);
        const mine = await api('POST', '/directory/groups', tok.olga, { name: 'Beta team' });
        expectStatus(mine, 201);
        expectError(await api('POST', `/directory/groups/${mine.json.id}/members`, tok.olga, { kind: 'group', id: g.x }), 404,
            'not_found', 'id');
        expectError(await api('POST', '/access/assignments', tok.olga,
            { role: 'auditor', group_id: g.x, scope: 'tenant' }), 404, 'not_found', 'group_id');
        const r = await api('GET', '/directory/groups', tok.olga);
        assert.deepEqual(r.json.items.map((x) => x.name), ['Beta team']);
        // Deleting a group drops its memberships; its owner's too.
        expectStatus(await api('DELETE', `/directory/groups/${mine.json.id}`, tok.olga), 204);
        expectError(await api('GET', `/directory/groups/${mine.json.id}`, tok.olga), 404, 'not_found');
    });
});
