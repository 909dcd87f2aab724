// Every screen of the console: its path (":name" segments), the module's
// component, its navigation label and who may see it. The navigation and the
// router both read this one table, so a screen a role may not use is neither
// linked nor rendered (and its API answers 403 anyway: the server decides).
import { Profile } from './screens/account.js';
import { Authenticator } from './screens/authenticator.js';
import { MyDevices } from './screens/devices.js';
import { MySessions } from './screens/sessions.js';
import { Inbox } from './screens/inbox.js';
import { Dashboard } from './screens/admin/dashboard.js';
import { Users, UserDetail } from './screens/admin/users.js';
import { Blacklist } from './screens/admin/blacklist.js';
import { Settings } from './screens/admin/settings.js';
import { AuditLog } from './screens/admin/audit.js';
import { Departments } from './screens/directory/departments.js';

/** Roles that may use a screen; "any" for every signed-in account. */
export const ANY = 'any';
export const ADMIN = 'admin';

export const ROUTES = [
    { path: '/account', component: Profile, nav: 'nav.account', group: 'me', role: ANY },
    { path: '/account/authenticator', component: Authenticator, nav: 'nav.authenticator', group: 'me', role: ANY },
    { path: '/account/devices', component: MyDevices, nav: 'nav.devices', group: 'me', role: ANY },
    { path: '/account/sessions', component: MySessions, nav: 'nav.sessions', group: 'me', role: ANY },
    { path: '/inbox', component: Inbox, nav: 'nav.inbox', group: 'me', role: ANY },
    { path: '/admin', component: Dashboard, nav: 'nav.dashboard', group: 'admin', role: ADMIN },
    { path: '/admin/users', component: Users, nav: 'nav.users', group: 'admin', role: ADMIN },
    { path: '/admin/users/:id', component: UserDetail, group: 'admin', role: ADMIN },
    { path: '/admin/blacklist', component: Blacklist, nav: 'nav.blacklist', group: 'admin', role: ADMIN },
    { path: '/admin/settings', component: Settings, nav: 'nav.settings', group: 'admin', role: ADMIN },
    { path: '/admin/audit', component: AuditLog, nav: 'nav.audit', group: 'admin', role: ADMIN },
    { path: '/admin/directory', component: Departments, nav: 'nav.directory', group: 'admin', role: ADMIN },
];

/** Whether account @p me may use a screen of role @p role. */
export const may = (me, role) => role === ANY || (me && me.role === role);

/** The screen a path opens first. */
export const HOME = '/account';
