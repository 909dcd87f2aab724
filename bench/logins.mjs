// Log in COUNT times with a fixed concurrency (live sessions, and login throughput).
// usage: node logins.mjs BASE_URL BODIES_FILE COUNT CONCURRENCY DEADLINE_S
// BODIES_FILE holds one login request body per line ({"tenant","username","password"}):
// one line logs one account in again and again, many lines an office of
// accounts signing in from the same address (each request takes the next line).
// The server certificate is trusted through NODE_EXTRA_CA_CERTS (set by run.sh).
// Every request is one answer: nothing is retried, so the counts are what the
// server answered. A success ("session") is a 200 whose body carries a session
// (a top-level "token" or "csrf") and no "challenge" object: a 200 with a
// challenge is a CAPTCHA or another step, not a sign-in.
// Prints one line:
//   LOGINS answers=N session=N challenge=N codes=200:N,429:N,... errors=N seconds=S rate=R
// (rate: sessions per second over the whole run; errors: requests with no
// answer at all, e.g. a refused connection or a timeout)
import { readFileSync } from 'node:fs';

const [base, bodiesFile, countArg, concArg, deadlineArg] = process.argv.slice(2);
const count = Number(countArg);
const conc = Number(concArg);
const deadline = Date.now() + Number(deadlineArg) * 1000;
const bodies = readFileSync(bodiesFile, 'utf8').split('\n').filter((l) => l.trim() !== '');
if (bodies.length === 0 || !(count > 0) || !(conc > 0)) {
    console.error('usage: node logins.mjs BASE_URL BODIES_FILE COUNT CONCURRENCY DEADLINE_S (BODIES_FILE: one login body per line)');
    process.exit(2);
}
const st = { answers: 0, session: 0, challenge: 0, errors: 0 };
const codes = new Map();
let issued = 0;
const t0 = Date.now();

async function worker() {
    while (issued < count && Date.now() < deadline) {
        const body = bodies[issued % bodies.length];
        issued++;
        try {
            const r = await fetch(`${base}/api/v1/auth/login`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body,
                signal: AbortSignal.timeout(Math.max(1000, deadline - Date.now())),
            });
            const j = await r.json().catch(() => null);
            st.answers++;
            codes.set(r.status, (codes.get(r.status) || 0) + 1);
            if (r.status === 200 && j && typeof j === 'object' && j.challenge !== undefined) st.challenge++;
            else if (r.status === 200 && j && (typeof j.token === 'string' || typeof j.csrf === 'string')) st.session++;
            // Refused (rate-limited, overloaded): back off a little, but the answer counts.
            else if (r.status === 503 || r.status === 429) await new Promise((res) => setTimeout(res, 20));
        } catch (e) {
            st.errors++;
            if (st.errors > 1000) break;
            await new Promise((res) => setTimeout(res, 50));
        }
    }
}

await Promise.all(Array.from({ length: conc }, worker));
const secs = (Date.now() - t0) / 1000;
const codeList = [...codes.entries()].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}:${n}`).join(',') || '-';
console.log(`LOGINS answers=${st.answers} session=${st.session} challenge=${st.challenge} codes=${codeList} errors=${st.errors} seconds=${secs.toFixed(2)} rate=${(st.session / secs).toFixed(1)}`);
