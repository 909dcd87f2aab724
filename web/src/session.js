// What every screen may ask about the signed-in account: useMe() gives the
// answer of GET /me ({id, username, role, email, tenant {id, slug, name},
// device, …}); reloadMe() asks again (after a change to the profile). The
// header's unread count listens to inboxChanged().
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export const MeContext = createContext({ me: null, reloadMe: () => {}, signOut: () => {} });

export const useMe = () => useContext(MeContext);

const inbox = new Set();
/** Tell the header that the inbox changed (items read). */
export const inboxChanged = () => { for (const fn of inbox) fn(); };
export const onInboxChanged = (fn) => { inbox.add(fn); return () => inbox.delete(fn); };
