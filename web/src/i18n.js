// Languages: one message catalogue per language (locales/<lang>/*.json, split
// by screen area only to keep review small; merged here). The language is the
// one remembered in localStorage, else the first of the browser's languages
// (what it sends as Accept-Language) that we have, else English.
import enCommon from './locales/en/common.json';
import enSignin from './locales/en/signin.json';
import enAccount from './locales/en/account.json';
import enAdmin from './locales/en/admin.json';
import enDirectory from './locales/en/directory.json';
import enEmployees from './locales/en/employees.json';
import enAccess from './locales/en/access.json';
import enGroups from './locales/en/groups.json';
import enRecords from './locales/en/records.json';
import enKeys from './locales/en/keys.json';
import zhCommon from './locales/zh-CN/common.json';
import zhSignin from './locales/zh-CN/signin.json';
import zhAccount from './locales/zh-CN/account.json';
import zhAdmin from './locales/zh-CN/admin.json';
import zhDirectory from './locales/zh-CN/directory.json';
import zhEmployees from './locales/zh-CN/employees.json';
import zhAccess from './locales/zh-CN/access.json';
import zhGroups from './locales/zh-CN/groups.json';
import zhRecords from './locales/zh-CN/records.json';
import zhKeys from './locales/zh-CN/keys.json';

export const LANGUAGES = [
    { code: 'en', name: 'English' },
    { code: 'zh-CN', name: '简体中文' },
];

const CATALOGUES = {
    en: { ...enCommon, ...enSignin, ...enAccount, ...enAdmin, ...enDirectory, ...enEmployees, ...enAccess,
        ...enGroups, ...enRecords, ...enKeys },
    'zh-CN': { ...zhCommon, ...zhSignin, ...zhAccount, ...zhAdmin, ...zhDirectory, ...zhEmployees, ...zhAccess,
        ...zhGroups, ...zhRecords, ...zhKeys },
};

const STORE = 'sv.lang';
let lang = 'en';

/** The language for a list of language tags (navigator.languages). */
export function pick(tags) {
    for (const tag of tags || []) {
        const t = String(tag).toLowerCase();
        if (t === 'zh' || t.startsWith('zh-')) {
            // Traditional Chinese readers get English rather than the wrong script.
            if (/^zh-(tw|hk|mo|hant)/.test(t)) continue;
            return 'zh-CN';
        }
        if (t === 'en' || t.startsWith('en-')) return 'en';
    }
    return 'en';
}

export function initLanguage() {
    let stored = null;
    try { stored = localStorage.getItem(STORE); } catch { /* storage blocked */ }
    lang = CATALOGUES[stored] ? stored : pick(navigator.languages || [navigator.language]);
    document.documentElement.lang = lang;
    return lang;
}

export const language = () => lang;

const listeners = new Set();

/** Switch to @p code, remember it, and tell every listener (the console re-renders). */
export function setLanguage(code) {
    if (!CATALOGUES[code] || code === lang) return;
    lang = code;
    document.documentElement.lang = code;
    try { localStorage.setItem(STORE, code); } catch { /* storage blocked */ }
    for (const fn of listeners) fn(code);
}

export function onLanguage(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
}

/** The message @p key with {name} placeholders filled from @p vars. */
export function t(key, vars) {
    let s = CATALOGUES[lang][key];
    if (s === undefined) s = CATALOGUES.en[key];
    if (s === undefined) return key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k])));
    return s;
}

/** Whether the catalogue has @p key (errors fall back to the server's message). */
export const has = (key) => CATALOGUES.en[key] !== undefined;

/**
 * The locale for dates and numbers: the browser's own when it is a variant
 * of the language shown (en-GB dates for a British reader of the English
 * console), else the language shown.
 */
function locale() {
    const own = navigator.language || '';
    return own.toLowerCase().startsWith(`${lang.slice(0, 2).toLowerCase()}-`) ? own : lang;
}

/** A date and time in the viewer's locale and time zone ('' for none). */
export function fmtTime(v, opts = { dateStyle: 'medium', timeStyle: 'short' }) {
    if (v === null || v === undefined || v === '') return '';
    const d = v instanceof Date ? v : new Date(v);
    if (Number.isNaN(d.getTime())) return String(v);
    return new Intl.DateTimeFormat(locale(), opts).format(d);
}

export const fmtDay = (v) => fmtTime(v, { dateStyle: 'medium' });
export const fmtNumber = (n) => new Intl.NumberFormat(locale()).format(n);

/** "in 5 minutes (at 14:05)" for a Retry-After date. */
export function fmtWait(date) {
    if (!date) return t('time.later');
    const s = Math.max(1, Math.round((date.getTime() - Date.now()) / 1000));
    const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'always' });
    const span = s < 60 ? rtf.format(s, 'second')
        : s < 5400 ? rtf.format(Math.ceil(s / 60), 'minute') : rtf.format(Math.round(s / 3600), 'hour');
    return t('time.retry_at', { span, at: fmtTime(date, { timeStyle: 'short' }) });
}
