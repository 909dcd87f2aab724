// The tenant's security settings (admins): whether every account needs an
// authenticator app, the password policy and its minimum zxcvbn score
// (GET/PATCH /admin/settings), and the password rules those settings put in
// force, as the server states them.
import { useEffect, useState } from 'preact/hooks';

import { get, patch } from '../../api.js';
import { has, t } from '../../i18n.js';
import {
    html, Empty, ErrorBox, Form, Notice, Page, Select, fieldError, useAction, useLoad,
} from '../../ui.js';

const SCORES = [0, 1, 2, 3, 4];

/** One rule in words: settings.rule_<name> with its numbers, else its name and values. */
function ruleText(r, s) {
    const key = `settings.rule_${r.rule}`;
    const min = r.min ?? r.min_score ?? (r.rule === 'score' ? s.password_min_score : undefined);
    if (has(key)) return t(key, { ...r, min });
    const extra = Object.entries(r).filter(([k]) => k !== 'rule').map(([k, v]) => `${k} ${v}`).join(', ');
    return extra ? `${r.rule} (${extra})` : String(r.rule);
}

export function Settings() {
    const st = useLoad(() => get('/admin/settings'), []);
    const [mfa, setMfa] = useState(false);
    const [policy, setPolicy] = useState('default');
    const [score, setScore] = useState('0');
    const [run, busy, error] = useAction();
    const [note, setNote] = useState('');
    const s = st.data;
    useEffect(() => {
        if (!s) return;
        setMfa(!!s.require_mfa);
        setPolicy(s.password_policy || 'default');
        setScore(String(s.password_min_score ?? 0));
    }, [s]);
    const labels = {
        require_mfa: t('settings.require_mfa'), password_policy: t('settings.policy'),
        password_min_score: t('settings.min_score'),
    };
    const save = () => run(async () => {
        setNote('');
        const body = {};
        if (mfa !== !!s.require_mfa) body.require_mfa = mfa;
        if (policy !== s.password_policy) body.password_policy = policy;
        if (Number(score) !== s.password_min_score) body.password_min_score = Number(score);
        if (Object.keys(body).length === 0) {
            setNote(t('settings.unchanged'));
            return;
        }
        await patch('/admin/settings', body);
        await st.reload();
        setNote(t('common.saved'));
    });
    const rules = s && Array.isArray(s.rules) ? s.rules : [];
    const scoreErr = fieldError(error, 'password_min_score', labels);
    return html`<${Page} title=${t('nav.settings')} testid="page-settings">
        <${ErrorBox} error=${st.error} />
        ${!s && !st.error && html`<${Empty} loading=${true} />`}
        ${s && html`
            <section class="panel" aria-labelledby="settings-form-title">
                <h2 id="settings-form-title">${t('settings.form_title')}</h2>
                <${Notice} text=${note} testid="settings-notice" />
                <${ErrorBox} error=${error} labels=${labels} testid="settings-error" />
                <${Form} onSubmit=${save} busy=${busy} testid="settings-form" label=${t('settings.form_title')}>
                    <div class="field check">
                        <input type="checkbox" id="set-mfa" data-testid="set-mfa" checked=${mfa}
                            aria-describedby="set-mfa-hint" onChange=${(e) => setMfa(e.currentTarget.checked)} />
                        <label for="set-mfa">${labels.require_mfa}</label>
                        <p id="set-mfa-hint" class="hint">${t('settings.require_mfa_hint')}</p>
                        ${fieldError(error, 'require_mfa', labels) && html`<p class="field-error">
                            ${fieldError(error, 'require_mfa', labels)}</p>`}
                    </div>
                    <${Select} id="set-policy" label=${labels.password_policy} value=${policy} onChange=${setPolicy}
                        options=${[['default', t('settings.policy_default')], ['nist', t('settings.policy_nist')]]} />
                    <${Select} id="set-score" label=${labels.password_min_score} value=${score} onChange=${setScore}
                        options=${SCORES.map((n) => [String(n), t('settings.score_n', { n, word: t(`password.score_${n}`) })])} />
                    ${scoreErr && html`<p class="field-error">${scoreErr}</p>`}
                    <button type="submit" class="primary" data-testid="settings-save">${t('common.save')}</button>
                <//>
            </section>
            <section class="panel" aria-labelledby="rules-title" data-testid="settings-rules">
                <h2 id="rules-title">${t('settings.rules_title')}</h2>
                <p class="hint">${t('settings.rules_intro', {
                    policy: s.password_policy === 'nist' ? t('settings.policy_name_nist') : t('settings.policy_name_default'),
                })}</p>
                ${rules.length === 0 ? html`<p class="muted">${t('common.none')}</p>`
                : html`<ul data-testid="rules-list">${rules.map((r) => html`<li data-testid="rule" data-rule=${r.rule}
                    data-min=${r.min} data-max=${r.max}>${ruleText(r, s)}</li>`)}</ul>`}
                <p data-testid="settings-state" data-mfa=${s.require_mfa ? 'true' : 'false'}
                    data-policy=${s.password_policy} data-score=${s.password_min_score}>
                    ${s.require_mfa ? t('settings.mfa_required') : t('settings.mfa_optional')}</p>
            </section>`}
    <//>`;
}
