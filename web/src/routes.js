// Every screen of the console: its path (":name" segments), the module's
// component, its navigation label and the permission it needs (the names of
// src/access/permissions.def, as GET /me/access lists them). The navigation
// and the router both read this one table, so a screen the account may not use
// is neither linked nor rendered (and its API answers 403 anyway: the server
// decides).
import { Profile } from './screens/account.js';
import { Authenticator } from './screens/authenticator.js';
import { MyDevices } from './screens/devices.js';
import { MySessions } from './screens/sessions.js';
import { Inbox } from './screens/inbox.js';
import { Dashboard } from './screens/admin/dashboard.js';
import { Users, UserDetail } from './screens/admin/users.js';
import { Blacklist } from './screens/admin/blacklist.js';
import { Settings } from './screens/admin/settings.js';
import { EncryptionKeys } from './screens/admin/keys.js';
import { AuditLog } from './screens/admin/audit.js';
import { Departments } from './screens/directory/departments.js';
import { GroupDetail, Groups } from './screens/directory/groups.js';
import { EditEmployee, EmployeeProfile, Employees, HireEmployee } from './screens/directory/employees.js';
import { Assignments, RoleDetail, Roles } from './screens/admin/access.js';
import { DirectoryImport } from './screens/directory/import.js';
import { h } from 'preact';
import { TYPES } from './screens/records/common.js';
import { NewRecord, RecordBin, RecordList } from './screens/records/list.js';
import { RecordPage } from './screens/records/record.js';
import { Pipeline } from './screens/records/pipeline.js';
import { CustomFields } from './screens/records/fields.js';
import { Quotas } from './screens/records/quotas.js';

/** A screen every signed-in account may use. */
export const ANY = null;

/**
 * CRM records (issue 12, part 6): every account reaches records within its
 * scopes (a member its own), so each type's screens are for anyone; the API
 * answers each request within the caller's reach.
 */
const forType = (C, type) => {
    const S = (props) => h(C, { ...props, type });
    S.displayName = `${C.name}_${type}`;
    return S;
};
const RECORDS = [
    ...TYPES.flatMap(({ type, path }) => [
        { path: `/records/${path}`, component: forType(RecordList, type), nav: `nav.records_${path}`, group: 'records', perm: ANY },
        // Before "/records/<type>/:id": the first pattern that matches wins.
        { path: `/records/${path}/new`, component: forType(NewRecord, type), group: 'records', perm: ANY },
        { path: `/records/${path}/bin`, component: forType(RecordBin, type), group: 'records', perm: ANY },
        { path: `/records/${path}/:id`, component: forType(RecordPage, type), group: 'records', perm: ANY },
    ]),
    { path: '/records/pipeline', component: Pipeline, nav: 'nav.records_pipeline', group: 'records', perm: ANY },
    { path: '/records/fields', component: CustomFields, nav: 'nav.records_fields', group: 'records', perm: ANY },
    { path: '/records/quotas', component: Quotas, nav: 'nav.records_quotas', group: 'records', perm: ANY },
];

export const ROUTES = [
    { path: '/account', component: Profile, nav: 'nav.account', group: 'me', perm: ANY },
    { path: '/account/authenticator', component: Authenticator, nav: 'nav.authenticator', group: 'me', perm: ANY },
    { path: '/account/devices', component: MyDevices, nav: 'nav.devices', group: 'me', perm: ANY },
    { path: '/account/sessions', component: MySessions, nav: 'nav.sessions', group: 'me', perm: ANY },
    { path: '/inbox', component: Inbox, nav: 'nav.inbox', group: 'me', perm: ANY },
    { path: '/admin', component: Dashboard, nav: 'nav.dashboard', group: 'admin', perm: 'security.read' },
    { path: '/admin/users', component: Users, nav: 'nav.users', group: 'admin', perm: 'users.read' },
    { path: '/admin/users/:id', component: UserDetail, group: 'admin', perm: 'users.read' },
    { path: '/admin/blacklist', component: Blacklist, nav: 'nav.blacklist', group: 'admin', perm: 'security.read' },
    { path: '/admin/settings', component: Settings, nav: 'nav.settings', group: 'admin', perm: 'settings.read' },
    { path: '/admin/keys', component: EncryptionKeys, nav: 'nav.keys', group: 'admin', perm: 'settings.read' },
    { path: '/admin/audit', component: AuditLog, nav: 'nav.audit', group: 'admin', perm: 'audit.read' },
    { path: '/admin/roles', component: Roles, nav: 'nav.roles', group: 'admin', perm: 'access.read' },
    { path: '/admin/roles/:id', component: RoleDetail, group: 'admin', perm: 'access.read' },
    { path: '/admin/assignments', component: Assignments, nav: 'nav.assignments', group: 'admin', perm: 'access.read' },
    { path: '/directory', component: Departments, nav: 'nav.directory', group: 'directory', perm: 'directory.read' },
    { path: '/directory/employees', component: Employees, nav: 'nav.employees', group: 'directory', perm: 'directory.read' },
    // Before "/directory/employees/:id": the first pattern that matches wins.
    { path: '/directory/employees/new', component: HireEmployee, group: 'directory', perm: 'directory.manage' },
    { path: '/directory/employees/:id', component: EmployeeProfile, group: 'directory', perm: 'directory.read' },
    { path: '/directory/employees/:id/edit', component: EditEmployee, group: 'directory', perm: 'directory.manage' },
    { path: '/directory/groups', component: Groups, nav: 'nav.groups', group: 'directory', perm: 'directory.read' },
    { path: '/directory/groups/:id', component: GroupDetail, group: 'directory', perm: 'directory.read' },
    { path: '/directory/import', component: DirectoryImport, nav: 'nav.import', group: 'directory', perm: 'directory.manage' },
    ...RECORDS,
];

/**
 * Whether account @p me holds permission @p perm anywhere: over the tenant,
 * over a department (a department admin's screens; the screen then asks about
 * each department with mayIn()) or over a group (its employees and the group;
 * the API's may_manage answers say which).
 */
export const may = (me, perm) => perm === ANY || Boolean(me && me.access && (
    me.access.permissions.includes(perm)
    || me.access.department_permissions.some((d) => d.permissions.includes(perm))
    || (me.access.group_permissions || []).some((g) => g.permissions.includes(perm))));

/**
 * Whether @p me holds @p perm over the department whose ids, itself and its
 * ancestors, are @p ids (none: the tenant as a whole), as the server decides.
 */
export const mayIn = (me, perm, ids) => Boolean(me && me.access && (
    me.access.permissions.includes(perm)
    || me.access.department_permissions.some((d) => d.permissions.includes(perm) && ids.includes(d.department_id))));

/** The screen a path opens first. */
export const HOME = '/account';
