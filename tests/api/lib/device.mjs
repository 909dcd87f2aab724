// A tiny stand-in for the `salesvault device` client in the API suites
// (docs/auth-flow.md section 5, DEV-1): an Ed25519 key pair, a client-chosen
// device id, and signed requests sent through the harness's srv.api (so the
// responses are checked and recorded like every other one).
//
// Signed bytes:
//   "sv-device-sig-v1\n" METHOD "\n" PATH_AND_QUERY "\n" TS "\n" NONCE "\n" hex(sha256(body))
import {
    createHash, createHmac, generateKeyPairSync, randomBytes, randomUUID, sign,
} from 'node:crypto';

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const sha256hex = (data) => createHash('sha256').update(data).digest('hex');

/** A fresh nonce: 24 random bytes as base64url (32 characters). */
export const newNonce = () => b64url(randomBytes(24));

/** Prefix a path under /api/v1 unless it already is a full target. */
export const target = (p) => (p.startsWith('/api') ? p : `/api/v1${p}`);

export class Device {
    /**
     * @param kind 'cli' or 'mobile'
     * @param info optional name, model, platform (sent at login)
     */
    constructor(kind = 'cli', info = {}) {
        this.kind = kind;
        this.id = randomUUID();
        const { publicKey, privateKey } = generateKeyPairSync('ed25519');
        this.privateKey = privateKey;
        // JWK "x" is the raw 32-byte key, base64url without padding.
        this.publicKey = publicKey.export({ format: 'jwk' }).x;
        this.info = info;
        this.token = null; // the session this device holds, once signed in
    }

    /** The `device` object of POST /auth/login. */
    descriptor() {
        return { kind: this.kind, id: this.id, public_key: this.publicKey, ...this.info };
    }

    /** The signature over one request (base64url, no padding). */
    signature(method, pathAndQuery, ts, nonce, body = '', key = this.privateKey) {
        const msg = `sv-device-sig-v1\n${method}\n${pathAndQuery}\n${ts}\n${nonce}\n${sha256hex(body)}`;
        return b64url(sign(null, Buffer.from(msg), key));
    }

    /**
     * The four X-SV-* headers for one request. Overrides: ts, nonce, key
     * (sign with another key), deviceId (claim another id).
     */
    headers(method, pathAndQuery, body = '', { ts = Date.now(), nonce = newNonce(), key, deviceId } = {}) {
        return {
            'x-sv-device': deviceId ?? this.id,
            'x-sv-timestamp': String(ts),
            'x-sv-nonce': nonce,
            'x-sv-signature': this.signature(method, pathAndQuery, ts, nonce, body, key),
        };
    }

    /**
     * A signed request through srv.api. opts: token (default: this device's
     * session), body (sent as the exact JSON bytes that were signed),
     * headers (extra, or overriding the X-SV-* ones), sign (false: unsigned),
     * and the overrides of headers().
     * Resolves srv.api's {status, headers, text, json}, plus `sent` (the
     * headers sent) and `raw` (the body sent), to replay them.
     */
    async request(srv, method, p, opts = {}) {
        const { body, headers = {}, sign: doSign = true, ...over } = opts;
        const token = 'token' in opts ? opts.token : this.token;
        const t = target(p);
        const raw = body === undefined ? undefined : JSON.stringify(body);
        const h = {};
        if (raw !== undefined) h['content-type'] = 'application/json';
        if (doSign) Object.assign(h, this.headers(method, t, raw ?? '', over));
        Object.assign(h, headers);
        const r = await srv.api(method, t, { token: token ?? undefined, raw, headers: h });
        r.sent = h;
        r.raw = raw;
        return r;
    }

    /** POST /auth/login as this device (signed). */
    login(srv, tenant, username, password, opts = {}) {
        srv.secrets.add(password);
        return this.request(srv, 'POST', '/auth/login', {
            token: null,
            body: { tenant, username, password, device: this.descriptor() },
            ...opts,
        });
    }
}

/**
 * A request whose answer is not JSON (the CAPTCHA PNG): plain fetch, the
 * body as bytes. srv.api would (rightly) flag a non-JSON body, so binary
 * answers come through here; the server still logs the request (coverage).
 * Resolves {status, headers, buf}.
 */
export async function rawRequest(srv, method, p, headers = {}) {
    const res = await fetch(srv.base + target(p), {
        method, headers: { 'user-agent': 'salesvault-api-tests/1', ...headers }, redirect: 'manual',
    });
    return { status: res.status, headers: res.headers, buf: Buffer.from(await res.arrayBuffer()) };
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** GET the challenge's CAPTCHA image (a PNG: not through srv.api); token null sends none. */
export const captchaImage = (srv, ch, token = ch.token) => rawRequest(srv, 'GET', `/auth/challenges/${ch.id}/captcha`,
    token === null ? {} : { 'x-challenge-token': token });

/** The header in which test builds (-Dtest_hooks=true) say a CAPTCHA's answer. */
export const CAPTCHA_HOOK = 'x-sv-test-captcha-answer';

/** Draw a CAPTCHA and read its answer from the test hook header. */
export async function solveCaptcha(srv, ch, label = 'CAPTCHA') {
    const img = await captchaImage(srv, ch);
    if (img.status !== 200) {
        throw new Error(`${label}: GET captcha -> ${img.status} ${img.buf.toString('utf8').slice(0, 200)}`);
    }
    const answer = img.headers.get(CAPTCHA_HOOK);
    if (!answer) {
        throw new Error(`${label}: the CAPTCHA image has no ${CAPTCHA_HOOK} header: the server must be built with -Dtest_hooks=true`);
    }
    return answer;
}

/** POST/GET one challenge step with its X-Challenge-Token. */
export function step(srv, ch, name, { method = 'POST', body = method === 'POST' ? {} : undefined, token = ch.token, headers = {} } = {}) {
    const h = { ...headers };
    if (token !== null) h['x-challenge-token'] = token;
    return srv.api(method, `/auth/challenges/${ch.id}/${name}`, { body, headers: h });
}

function base32Decode(s) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = 0;
    let acc = 0;
    const out = [];
    for (const ch of s.replace(/=+$/, '')) {
        acc = (acc << 5) | alphabet.indexOf(ch);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.push((acc >>> bits) & 0xff);
        }
    }
    return Buffer.from(out);
}

/** RFC 6238 TOTP (SHA-1, 30 s, 6 digits) of a base32 secret. */
export function totp(secretB32, timeMs = Date.now()) {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(Math.floor(timeMs / 1000 / 30)));
    const mac = createHmac('sha1', base32Decode(secretB32)).update(counter).digest();
    const off = mac[mac.length - 1] & 0x0f;
    const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
    return String(bin % 1000000).padStart(6, '0');
}
