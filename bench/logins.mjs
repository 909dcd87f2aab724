// Create many live sessions by logging in N times with a fixed concurrency.
// usage: node logins.mjs BASE_URL TENANT USERNAME PASSWORD COUNT CONCURRENCY DEADLINE_S
// The server certificate is trusted through NODE_EXTRA_CA_CERTS (set by run.sh).
// Prints one line: LOGINS ok=N fail=N s401=N s429=N s503=N errors=N seconds=S
const [base, tenant, username, password, countArg, concArg, deadlineArg] = process.argv.slice(2);
const count = Number(countArg);
const conc = Number(concArg);
const deadline = Date.now() + Number(deadlineArg) * 1000;
const body = JSON.stringify({ tenant, username, password });
const st = { ok: 0, fail: 0, s401: 0, s429: 0, s503: 0, errors: 0 };
let issued = 0;
const t0 = Date.now();

async function worker() {
    while (issued < count && Date.now() < deadline) {
        issued++;
        try {
            const r = await fetch(`${base}/api/v1/auth/login`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body,
                signal: AbortSignal.timeout(Math.max(1000, deadline - Date.now())),
            });
            const j = await r.json().catch(() => null);
            if (r.status === 200 && j && typeof j.token === 'string') st.ok++;
            else {
                st.fail++;
                if (r.status === 401) st.s401++;
                if (r.status === 429) st.s429++;
                if (r.status === 503) st.s503++;
                // Overloaded or rate-limited: do not count it as issued, back off a little.
                if (r.status === 503 || r.status === 429) {
                    issued--;
                    await new Promise((res) => setTimeout(res, 20));
                }
            }
        } catch (e) {
            st.errors++;
            issued--;
            if (st.errors > 1000) break;
            await new Promise((res) => setTimeout(res, 50));
        }
    }
}

await Promise.all(Array.from({ length: conc }, worker));
const secs = ((Date.now() - t0) / 1000).toFixed(1);
console.log(`LOGINS ok=${st.ok} fail=${st.fail} s401=${st.s401} s429=${st.s429} s503=${st.s503} errors=${st.errors} seconds=${secs}`);
