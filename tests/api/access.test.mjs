// One permission model (issue 11, part 3; DIR-2, AUD-2): the catalogue and
// the roles; custom roles; a department admin acting inside and outside
// their subtree (refused and audited); an auditor trying to write; grants
// and revocations audited and in force at once; the last tenant admin kept;
// every bad input naming its field; refusals of one account capped in the
// log; tenant B's ids never reach A's roles or assignments.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, UUID_RE, expectError, expectKeys, expectStatus, startServer,
} from './lib/server.mjs';

// What every account holds over the tenant (the member role): the directory
// and the CRM records it owns.
const MEMBER_HOLDS = ['directory.read', 'records.customer.own', 'records.contact.own',
    'records.opportunity.own', 'records.activity.own'];
const UNKNOWN = '01900000-0000-7000-8000-000000000000';
const ASSIGNMENT_KEYS = ['id', 'role', 'role_name', 'account_id', 'username', 'group_id', 'group_name', 'scope',
    'department_id', 'scope_group_id', 'scope_group_name',
    'department_name', 'created_at'];

describe('access: roles, assignments, scoped admins, denials', () => {
    let srv;
    const tok = {};
    const id = {};
    const d = {};

    before(async () => {
        srv = await startServer({
            name: 'access',
            tenants: [
                {
                    slug: 'acme', name: 'Acme Corp', admin: 'boss',
                    users: [{ username: 'alice' }, { username: 'carl' }, { username: 'dave' }],
                },
                { slug: 'beta', name: 'Beta Ltd', admin: 'olga', users: [{ username: 'bob' }] },
            ],
        });
        const acme = srv.tenants.acme;
        const beta = srv.tenants.beta;
        tok.boss = (await srv.activate('acme', 'boss', acme.admin.temporary_password, PASSWORDS.admin)).token;
        tok.alice = (await srv.activate('acme', 'alice', acme.users.alice.temporary_password, PASSWORDS.p1)).token;
        tok.carl = (await srv.activate('acme', 'carl', acme.users.carl.temporary_password, PASSWORDS.p2)).token;
        tok.dave = (await srv.activate('acme', 'dave', acme.users.dave.temporary_password, PASSWORDS.p3)).token;
        tok.olga = (await srv.activate('beta', 'olga', beta.admin.temporary_password, PASSWORDS.admin2)).token;
        id.boss = acme.admin.id;
        id.alice = acme.users.alice.id;
        id.carl = acme.users.carl.id;
        id.dave = acme.users.dave.id;
        id.olga = beta.admin.id;
        id.bob = beta.users.bob.id;
        // Company > Sales > East; Company > Finance
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
    });
    after(async () => { await srv?.cleanup(); });

    const grant = (body, token = tok.boss) => srv.api('POST', '/access/assignments', { token, body });
    const events = async (action, token = tok.boss) => {
        const r = await srv.api('GET', `/audit/events?action=${action}&limit=200`, { token });
        expectStatus(r, 200, `audit ${action}`);
        return r.json.items;
    };

    test('1. the catalogue and the built-in roles', async () => {
        const p = await srv.api('GET', '/access/permissions', { token: tok.boss });
        expectStatus(p, 200);
        const byName = Object.fromEntries(p.json.items.map((x) => [x.name, x]));
        assert.equal(byName['directory.manage'].object, 'department');
        assert.equal(byName['audit.read'].object, 'tenant');
        for (const x of p.json.items) assert.ok(x.roles.includes('tenant_admin'), `${x.name}: tenant admins hold all`);
        assert.deepEqual(byName['directory.read'].roles.sort(),
            ['auditor', 'department_admin', 'member', 'tenant_admin']);
        const r = await srv.api('GET', '/access/roles', { token: tok.boss });
        expectStatus(r, 200);
        assert.deepEqual(r.json.items.slice(0, 4).map((x) => [x.id, x.builtin]),
            [['tenant_admin', true], ['department_admin', true], ['auditor', true], ['member', true]]);
        // A member sees none of it.
        expectError(await srv.api('GET', '/access/roles', { token: tok.dave }), 403, 'forbidden');
        expectError(await srv.api('GET', '/access/permissions', { token: tok.dave }), 403, 'forbidden');
    });

    test('2. a department admin changes their subtree and nothing else; each refusal audited', async () => {
        const r = await grant({ role: 'department_admin', account_id: id.alice, scope: 'department', department_id: d.sales });
        expectStatus(r, 201);
        expectKeys(r.json, ASSIGNMENT_KEYS, 'assignment');
        assert.match(r.json.id, UUID_RE);
        assert.deepEqual([r.json.role_name, r.json.username, r.json.department_name],
            ['department_admin', 'alice', 'Sales']);
        id.aliceSales = r.json.id;
        expectError(await srv.api('GET', '/me/access'), 401, 'unauthenticated');
        const me = await srv.api('GET', '/me/access', { token: tok.alice });
        expectStatus(me, 200);
        // Over the tenant what every account holds (the directory; its own
        // CRM records); over Sales the department admin's set.
        assert.deepEqual(me.json.permissions, MEMBER_HOLDS);
        assert.deepEqual(me.json.department_permissions, [{
            department_id: d.sales,
            permissions: ['directory.manage', 'directory.view_phone',
                'records.customer.read', 'records.customer.write', 'records.customer.unmask', 'records.contact.read', 'records.contact.write', 'records.contact.unmask',
                'records.opportunity.read', 'records.opportunity.write', 'records.opportunity.unmask', 'records.activity.read', 'records.activity.write', 'records.activity.unmask'],
        }]);
        assert.equal(me.json.assignments[0].department_name, 'Sales');

        // Inside: create under Sales and under East, rename East, move West under East, delete it.
        let x = await srv.api('POST', '/directory/departments', { token: tok.alice, body: { name: 'West', parent_id: d.sales } });
        expectStatus(x, 201);
        const west = x.json.id;
        expectStatus(await srv.api('PATCH', `/directory/departments/${d.east}`, { token: tok.alice, body: { name: 'East Coast' } }), 200);
        expectStatus(await srv.api('PATCH', `/directory/departments/${west}`, { token: tok.alice, body: { parent_id: d.east } }), 200);
        expectStatus(await srv.api('DELETE', `/directory/departments/${west}`, { token: tok.alice }), 204);

        const before = (await events('access.denied')).length;
        // Outside: under Finance, a root, East moved to Finance, Finance renamed or deleted.
        const refused = [
            ['POST', '/directory/departments', { name: 'Audit', parent_id: d.finance }, d.finance],
            ['POST', '/directory/departments', { name: 'Rogue' }, null],
            ['PATCH', `/directory/departments/${d.east}`, { parent_id: d.finance }, d.finance],
            ['PATCH', `/directory/departments/${d.east}`, { parent_id: null }, null],
            ['PATCH', `/directory/departments/${d.finance}`, { name: 'Mine' }, d.finance],
            ['DELETE', `/directory/departments/${d.finance}`, undefined, d.finance],
            ['PATCH', `/directory/departments/${d.company}`, { name: 'Alice Inc' }, d.company],
        ];
        for (const [m, p, body] of refused) {
            expectError(await srv.api(m, p, { token: tok.alice, body }), 403, 'forbidden', null, `${m} ${p}`);
        }
        // Nothing changed out there.
        const fin = await srv.api('GET', `/directory/departments/${d.finance}`, { token: tok.alice });
        expectStatus(fin, 200);
        assert.equal(fin.json.name, 'Finance');
        const east = await srv.api('GET', `/directory/departments/${d.east}`, { token: tok.alice });
        assert.equal(east.json.parent_id, d.sales);
        // Every refusal is an access.denied event by alice naming the permission and the object.
        const denied = (await events('access.denied')).slice(0, (await events('access.denied')).length - before);
        assert.equal(denied.length, refused.length, JSON.stringify(denied));
        for (const [i, e] of denied.reverse().entries()) {
            assert.equal(e.actor, 'alice');
            assert.equal(e.result, 'denied');
            assert.equal(e.details.permission, 'directory.manage');
            const object = refused[i][3];
            assert.equal(e.target_type, object ? 'department' : 'tenant', JSON.stringify(e));
            assert.equal(e.target_id ?? null, object, JSON.stringify(e));
        }
        // And the tenant-wide routes stay closed to her, audited with the route.
        expectError(await srv.api('GET', '/users', { token: tok.alice }), 403, 'forbidden');
        const last = (await events('access.denied'))[0];
        assert.equal(last.details.route, 'GET /api/v1/users');
        assert.equal(last.details.permission, 'users.read');
    });

    test('3. an auditor reads audit and security data and changes nothing', async () => {
        expectStatus(await grant({ role: 'auditor', account_id: id.carl, scope: 'tenant' }), 201);
        for (const p of ['/audit/events', '/users', '/admin/settings', '/admin/blacklist', '/admin/security/summary',
            '/access/roles', '/access/assignments', '/directory/departments']) {
            expectStatus(await srv.api('GET', p, { token: tok.carl }), 200, `auditor GET ${p}`);
        }
        const writes = [
            ['PATCH', '/admin/settings', { require_mfa: true }],
            ['POST', '/users', { username: 'sneaky' }],
            ['POST', `/users/${id.dave}/reset-password`, {}],
            ['POST', '/access/assignments', { role: 'tenant_admin', account_id: id.carl, scope: 'tenant' }],
            ['POST', '/access/roles', { name: 'Mine', permissions: ['audit.read'] }],
            ['POST', '/directory/departments', { name: 'Auditors' }],
            ['DELETE', `/access/assignments/${id.aliceSales}`],
        ];
        for (const [m, p, body] of writes) {
            expectError(await srv.api(m, p, { token: tok.carl, body }), 403, 'forbidden', null, `${m} ${p}`);
        }
        const denied = (await events('access.denied')).filter((e) => e.actor === 'carl');
        assert.equal(denied.length, writes.length);
        // The users list shows the summary role.
        const u = await srv.api('GET', `/users/${id.carl}`, { token: tok.boss });
        assert.equal(u.json.role, 'auditor');
        const settings = await srv.api('GET', '/admin/settings', { token: tok.boss });
        assert.equal(settings.json.require_mfa, false);
    });

    test('4. grants and revocations are audited and in force at once; the last tenant admin stays', async () => {
        const g = (await events('access.grant')).find((e) => e.target_id === id.aliceSales);
        assert.ok(g, 'the grant of test 2 is in the log');
        assert.equal(g.actor, 'boss');
        assert.deepEqual([g.details.role, g.details.scope, g.details.department_id, g.details.username],
            ['department_admin', 'department', d.sales, 'alice']);
        assert.ok(g.details.permissions.includes('directory.manage'));

        expectStatus(await srv.api('DELETE', `/access/assignments/${id.aliceSales}`, { token: tok.boss }), 204);
        const rv = (await events('access.revoke'))[0];
        assert.equal(rv.target_id, id.aliceSales);
        assert.equal(rv.details.account_id, id.alice);
        // Her very next change is refused.
        expectError(await srv.api('POST', '/directory/departments', { token: tok.alice, body: { name: 'Late', parent_id: d.sales } }),
            403, 'forbidden');
        expectError(await srv.api('DELETE', `/access/assignments/${id.aliceSales}`, { token: tok.boss }), 404, 'not_found');

        // The only tenant admin cannot be removed; with a second one, it can.
        const list = await srv.api('GET', `/access/assignments?account=${id.boss}`, { token: tok.boss });
        expectStatus(list, 200);
        const bossAdmin = list.json.items.find((a) => a.role === 'tenant_admin');
        assert.equal(bossAdmin.scope, 'tenant');
        expectError(await srv.api('DELETE', `/access/assignments/${bossAdmin.id}`, { token: tok.boss }), 409, 'conflict');
        const second = await grant({ role: 'tenant_admin', account_id: id.dave, scope: 'tenant' });
        expectStatus(second, 201);
        const daveUsers = await srv.api('GET', '/users', { token: tok.dave });
        expectStatus(daveUsers, 200); // at once, no new sign-in
        expectStatus(await srv.api('DELETE', `/access/assignments/${second.json.id}`, { token: tok.boss }), 204);
        expectError(await srv.api('GET', '/users', { token: tok.dave }), 403, 'forbidden');

        // A department with a role over it cannot be deleted.
        const hold = await grant({ role: 'department_admin', account_id: id.alice, scope: 'department', department_id: d.finance });
        expectStatus(hold, 201);
        expectError(await srv.api('DELETE', `/directory/departments/${d.finance}`, { token: tok.boss }), 409, 'conflict');
        expectStatus(await srv.api('DELETE', `/access/assignments/${hold.json.id}`, { token: tok.boss }), 204);
    });

    test('5. custom roles: made, given, changed (its holders change with it), deleted only when unassigned', async () => {
        let r = await srv.api('POST', '/access/roles', {
            token: tok.boss, body: { name: 'Log readers', description: 'reads the audit log', permissions: ['audit.read'] },
        });
        expectStatus(r, 201);
        expectKeys(r.json, ['id', 'name', 'description', 'builtin', 'permissions', 'created_at', 'updated_at'], 'role');
        const role = r.json.id;
        assert.equal(r.json.builtin, false);
        expectStatus(await grant({ role, account_id: id.dave, scope: 'tenant' }), 201);
        expectStatus(await srv.api('GET', '/audit/events', { token: tok.dave }), 200);
        expectError(await srv.api('GET', '/users', { token: tok.dave }), 403, 'forbidden');
        r = await srv.api('PATCH', `/access/roles/${role}`, { token: tok.boss, body: { permissions: ['audit.read', 'users.read'] } });
        expectStatus(r, 200);
        assert.deepEqual(r.json.permissions, ['users.read', 'audit.read']); // catalogue order
        expectStatus(await srv.api('GET', '/users', { token: tok.dave }), 200);
        // A role given over a department must keep a permission that applies there.
        r = await srv.api('POST', '/access/roles', { token: tok.boss, body: { name: 'Tree keepers', permissions: ['directory.manage'] } });
        expectStatus(r, 201);
        const keepers = r.json.id;
        expectStatus(await grant({ role: keepers, account_id: id.dave, scope: 'department', department_id: d.east }), 201);
        expectError(await srv.api('PATCH', `/access/roles/${keepers}`, { token: tok.boss, body: { permissions: ['audit.read'] } }),
            409, 'conflict', 'permissions');
        // Assigned: no delete.
        expectError(await srv.api('DELETE', `/access/roles/${role}`, { token: tok.boss }), 409, 'conflict');
        const mine = await srv.api('GET', `/access/assignments?account=${id.dave}`, { token: tok.boss });
        for (const a of mine.json.items) {
            expectStatus(await srv.api('DELETE', `/access/assignments/${a.id}`, { token: tok.boss }), 204);
        }
        expectStatus(await srv.api('DELETE', `/access/roles/${role}`, { token: tok.boss }), 204);
        expectError(await srv.api('DELETE', `/access/roles/${role}`, { token: tok.boss }), 404, 'not_found');
        const kinds = ['access.role.create', 'access.role.update', 'access.role.delete'];
        for (const k of kinds) assert.ok((await events(k)).length >= 1, k);
        // Built-in roles do not change.
        expectError(await srv.api('PATCH', '/access/roles/tenant_admin', { token: tok.boss, body: { name: 'x' } }),
            404, 'not_found');
    });

    test('6. every bad input names its field', async () => {
        const roles = (body) => srv.api('POST', '/access/roles', { token: tok.boss, body });
        expectError(await roles({ permissions: ['audit.read'] }), 400, 'field_missing', 'name');
        expectError(await roles({ name: 'X' }), 400, 'field_missing', 'permissions');
        expectError(await roles({ name: 'X', permissions: [] }), 400, 'field_invalid', 'permissions');
        expectError(await roles({ name: 'X', permissions: ['root.everything'] }), 400, 'field_invalid', 'permissions');
        expectError(await roles({ name: 'X', permissions: 'audit.read' }), 400, 'field_invalid', 'permissions');
        expectError(await roles({ name: 'X', permissions: [1] }), 400, 'field_invalid', 'permissions');
        expectError(await roles({ name: 'Tenant_Admin', permissions: ['audit.read'] }), 400, 'field_invalid', 'name');
        expectError(await roles({ name: 'a\u0001b', permissions: ['audit.read'] }), 400, 'field_invalid', 'name');
        expectError(await roles({ name: 'x'.repeat(65), permissions: ['audit.read'] }), 400, 'field_invalid', 'name');
        expectError(await roles({ name: 'X', permissions: ['audit.read'], extra: 1 }), 400, 'field_unknown', 'extra');
        expectStatus(await roles({ name: 'Once', permissions: ['audit.read'] }), 201);
        expectError(await roles({ name: 'ONCE', permissions: ['audit.read'] }), 409, 'conflict', 'name');

        expectError(await grant({ account_id: id.dave, scope: 'tenant' }), 400, 'field_missing', 'role');
        expectError(await grant({ role: 'root', account_id: id.dave, scope: 'tenant' }), 400, 'field_invalid', 'role');
        expectError(await grant({ role: 'member', account_id: id.dave, scope: 'tenant' }), 400, 'field_invalid', 'role');
        expectError(await grant({ role: UNKNOWN, account_id: id.dave, scope: 'tenant' }), 404, 'not_found', 'role');
        expectError(await grant({ role: 'auditor', account_id: UNKNOWN, scope: 'tenant' }), 404, 'not_found', 'account_id');
        expectError(await grant({ role: 'auditor', account_id: id.dave, scope: 'world' }), 400, 'field_invalid', 'scope');
        expectError(await grant({ role: 'department_admin', account_id: id.dave, scope: 'department' }),
            400, 'field_missing', 'department_id');
        expectError(await grant({ role: 'auditor', account_id: id.dave, scope: 'tenant', department_id: d.sales }),
            400, 'field_invalid', 'department_id');
        expectError(await grant({ role: 'auditor', account_id: id.dave, scope: 'department', department_id: d.sales }),
            400, 'field_invalid', 'scope');
        expectError(await grant({ role: 'department_admin', account_id: id.dave, scope: 'department', department_id: UNKNOWN }),
            404, 'not_found', 'department_id');
        const ok = await grant({ role: 'auditor', account_id: id.dave, scope: 'tenant' });
        expectStatus(ok, 201);
        expectError(await grant({ role: 'auditor', account_id: id.dave, scope: 'tenant' }), 409, 'conflict');
        expectStatus(await srv.api('DELETE', `/access/assignments/${ok.json.id}`, { token: tok.boss }), 204);
        expectError(await srv.api('GET', '/access/assignments?account=nope', { token: tok.boss }), 400, 'field_invalid', 'account');
        expectError(await srv.api('GET', '/access/assignments?cursor=nope', { token: tok.boss }), 400, 'field_invalid', 'cursor');
    });

    test('7. tenant B: none of A\'s roles, assignments, accounts or departments', async () => {
        const aRoles = (await srv.api('GET', '/access/roles', { token: tok.boss })).json.items.filter((r) => !r.builtin);
        const aAsg = (await srv.api('GET', '/access/assignments?limit=200', { token: tok.boss })).json.items;
        assert.ok(aRoles.length >= 1 && aAsg.length >= 1);
        const bRoles = await srv.api('GET', '/access/roles', { token: tok.olga });
        assert.deepEqual(bRoles.json.items.filter((r) => !r.builtin), []);
        const bAsg = await srv.api('GET', '/access/assignments?limit=200', { token: tok.olga });
        assert.deepEqual(bAsg.json.items.map((a) => a.account_id), [id.olga]);
        for (const r of aRoles) {
            expectError(await srv.api('PATCH', `/access/roles/${r.id}`, { token: tok.olga, body: { name: 'Mine' } }), 404, 'not_found');
            expectError(await srv.api('DELETE', `/access/roles/${r.id}`, { token: tok.olga }), 404, 'not_found');
            expectError(await grant({ role: r.id, account_id: id.bob, scope: 'tenant' }, tok.olga), 404, 'not_found', 'role');
        }
        for (const a of aAsg) {
            expectError(await srv.api('DELETE', `/access/assignments/${a.id}`, { token: tok.olga }), 404, 'not_found');
        }
        expectError(await grant({ role: 'auditor', account_id: id.dave, scope: 'tenant' }, tok.olga), 404, 'not_found', 'account_id');
        expectError(await grant({ role: 'department_admin', account_id: id.bob, scope: 'department', department_id: d.sales }, tok.olga),
            404, 'not_found', 'department_id');
        const bAsg2 = await srv.api('GET', `/access/assignments?account=${id.boss}`, { token: tok.olga });
        assert.deepEqual(bAsg2.json.items, []);
    });

    test('8. one account\'s refusals: every one answered 403, at most 10 a minute in the log', async () => {
        const before = (await events('access.denied')).filter((e) => e.actor === 'dave').length;
        for (let i = 0; i < 30; i++) {
            expectError(await srv.api('GET', '/audit/events', { token: tok.dave }), 403, 'forbidden');
        }
        const after = (await events('access.denied')).filter((e) => e.actor === 'dave').length;
        assert.ok(after - before <= 10, `${after - before} recorded`);
        assert.ok(after - before >= 1, 'some recorded');
    });

    test('9. POST /users with role auditor: the account holds the auditor role', async () => {
        const r = await srv.api('POST', '/users', { token: tok.boss, body: { username: 'ida', role: 'auditor' } });
        expectStatus(r, 201);
        assert.equal(r.json.role, 'auditor');
        const list = await srv.api('GET', `/access/assignments?account=${r.json.id}`, { token: tok.boss });
        assert.deepEqual(list.json.items.map((a) => [a.role, a.scope]), [['auditor', 'tenant']]);
    });
});
