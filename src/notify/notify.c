/*
 * Message delivery (DEV-6, AUTH-7): outbox, webhook and SMTP backends.
 *
 * The outbox is written synchronously under a mutex. Webhook and SMTP
 * messages are copied into a bounded ring served by one delivery thread,
 * which retries with exponential back-off and wipes each copy after
 * delivery. Texts carry login and reset codes: they never reach a log.
 */
#include "notify/notify.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"

#define SECRET_FILE_MAX 4096
#define BACKOFF_BASE_MS 1000u
#define BACKOFF_MAX_MS 60000u
#define TRANSFER_TIMEOUT_MS 10000L
#define DRAIN_NS (5ull * 1000000000ull)

/* A queued copy of one message; every string is wiped before free. */
struct qmsg {
    char id[SV_UUID_LEN + 1];
    char channel[8];
    int64_t time_ms;
    char *body; /* the JSON document (webhook) */
    size_t body_len;
    char *to; /* smtp only */
    char *subject;
    char *text;
};

struct sv_notify {
    int backend;
    /* outbox */
    int outbox_fd;
    pthread_mutex_t outbox_mu;
    /* webhook / smtp */
    char url[SV_PATH_MAX];
    char smtp_from[256];
    char smtp_user[256];
    char *secret; /* sodium_malloc: webhook secret or SMTP password */
    size_t secret_len;
    unsigned attempts;
    unsigned backoff_base_ms, backoff_max_ms;
    bool smtp_allow_plain;
    /* queue */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct qmsg *ring[SV_NOTIFY_QUEUE_MAX];
    unsigned head, len;
    bool have_thread;
    pthread_t thread;
    /* Read without the lock by the transfer progress callback. */
    atomic_bool stopping;
    _Atomic uint64_t deadline_ns; /* sv_mono_ns() when draining ends */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void
curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- small helpers ------------------------------------------------------ */

static void
wipe_free(char *s)
{
    if (s == NULL)
        return;
    sodium_memzero(s, strlen(s));
    free(s);
}

static void
qmsg_free(struct qmsg *q)
{
    if (q == NULL)
        return;
    if (q->body != NULL) {
        sodium_memzero(q->body, q->body_len);
        free(q->body);
    }
    wipe_free(q->to);
    wipe_free(q->subject);
    wipe_free(q->text);
    sodium_memzero(q, sizeof *q);
    free(q);
}

/** Log without the text: id and channel only (AUTH-7: texts carry codes). */
static void
log_msg(enum sv_log_level l, const char *what, const struct qmsg *q,
        unsigned attempt, const char *detail)
{
    json_t *f = json_pack("{s:s,s:s}", "id", q->id, "channel", q->channel);
    if (f != NULL && attempt > 0)
        json_object_set_new(f, "attempt", json_integer(attempt));
    if (f != NULL && detail != NULL)
        json_object_set_new(f, "detail", json_string(detail));
    sv_log_json(l, what, f);
}

/**
 * Read a secret from @p path into sodium_malloc memory. Refuses files that
 * are not regular, are open to group or others, are empty or too large.
 * A trailing line break is not part of the secret.
 */
static enum sv_err
read_secret_file(const char *path, const char *what, char **out,
                 size_t *out_len, char *err, size_t err_len)
{
    enum sv_err rc = SV_E_INTERNAL;
    struct stat st;
    char *buf = NULL;
    size_t len = 0;
    int fd;

    *out = NULL;
    *out_len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, err_len, "%s %s: %s", what, path, strerror(errno));
        return SV_E_INTERNAL;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(err, err_len, "%s %s: %s", what, path, strerror(errno));
        goto cleanup;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, err_len, "%s %s: not a regular file", what, path);
        goto cleanup;
    }
    if ((st.st_mode & 077) != 0) {
        snprintf(err, err_len,
                 "%s %s: open to group or others (mode %03o); "
                 "chmod 600 it",
                 what, path, (unsigned)(st.st_mode & 0777));
        goto cleanup;
    }
    buf = sodium_malloc(SECRET_FILE_MAX + 1);
    if (buf == NULL) {
        snprintf(err, err_len, "%s %s: out of memory", what, path);
        goto cleanup;
    }
    for (;;) {
        ssize_t r = read(fd, buf + len, SECRET_FILE_MAX + 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, err_len, "%s %s: %s", what, path, strerror(errno));
            goto cleanup;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > SECRET_FILE_MAX) {
            snprintf(err, err_len, "%s %s: larger than %d bytes", what, path,
                     SECRET_FILE_MAX);
            goto cleanup;
        }
    }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    if (len == 0) {
        snprintf(err, err_len, "%s %s: is empty", what, path);
        goto cleanup;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    buf = NULL;
    rc = SV_OK;
cleanup:
    if (buf != NULL) {
        sodium_memzero(buf, SECRET_FILE_MAX + 1);
        sodium_free(buf);
    }
    close(fd);
    return rc;
}

/* ---- input validation --------------------------------------------------- */

static bool
check_text(const char *s, size_t min_len, size_t max_len, bool allow_ctl)
{
    size_t len;

    if (s == NULL)
        return false;
    len = strnlen(s, max_len + 1);
    if (len < min_len || len > max_len || !sv_utf8_valid(s, len))
        return false;
    if (!allow_ctl) {
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x20 || c == 0x7f)
                return false; /* CR/LF would inject headers */
        }
    }
    return true;
}

/** Text may hold line breaks and tabs, no other control characters. */
static bool
check_body(const char *s)
{
    if (!check_text(s, 0, SV_NOTIFY_TEXT_MAX, true))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

/** A bare address usable as an SMTP envelope recipient and To header. */
static bool
check_email(const char *s)
{
    const char *at = strchr(s, '@');

    if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
        return false;
    for (const char *p = s; *p; p++)
        if (strchr(" \t<>,;:\"()[]\\", *p) != NULL)
            return false;
    return true;
}

/* ---- outbox -------------------------------------------------------------- */

static enum sv_err
outbox_append(struct sv_notify *n, const char *line, size_t len)
{
    enum sv_err rc = SV_OK;
    size_t off = 0;

    pthread_mutex_lock(&n->outbox_mu);
    while (off < len) {
        ssize_t w = write(n->outbox_fd, line + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            sv_log(SV_LOG_ERROR, "notify: outbox write failed", "%s",
                   strerror(errno));
            rc = SV_E_INTERNAL;
            break;
        }
        off += (size_t)w;
    }
    if (rc == SV_OK && fsync(n->outbox_fd) != 0) {
        sv_log(SV_LOG_ERROR, "notify: outbox fsync failed", "%s",
               strerror(errno));
        rc = SV_E_INTERNAL;
    }
    pthread_mutex_unlock(&n->outbox_mu);
    return rc;
}

/* ---- delivery thread: shared pieces -------------------------------------- */

static bool
past_deadline(struct sv_notify *n)
{
    return atomic_load(&n->stopping) &&
           sv_mono_ns() >= atomic_load(&n->deadline_ns);
}

/* Transfers in flight are cut off when draining runs out of time. */
static int
xferinfo_cb(void *cls, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
            curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return past_deadline(cls) ? 1 : 0;
}

static size_t
discard_cb(char *ptr, size_t size, size_t nmemb, void *cls)
{
    (void)ptr, (void)cls;
    return size * nmemb;
}

static long
transfer_timeout_ms(struct sv_notify *n)
{
    long t = TRANSFER_TIMEOUT_MS;

    if (atomic_load(&n->stopping)) {
        uint64_t now = sv_mono_ns(), end = atomic_load(&n->deadline_ns);
        long left = now >= end ? 1 : (long)((end - now) / 1000000u) + 1;
        if (left < t)
            t = left;
    }
    return t;
}

/** Common options: no signals, TLS verified, bounded, no output. */
static void
curl_common(struct sv_notify *n, CURL *c, const char *protocols)
{
    curl_easy_setopt(c, CURLOPT_URL, n->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, transfer_timeout_ms(n));
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, n);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
}

/* ---- webhook ------------------------------------------------------------- */

static bool
webhook_attempt(struct sv_notify *n, const struct qmsg *q, char *why,
                size_t why_len)
{
    crypto_auth_hmacsha256_state st;
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    char hex[2 * sizeof mac + 1];
    char ts[24], h_ts[64], h_sig[96];
    struct curl_slist *hdrs = NULL, *tmp;
    CURL *c = NULL;
    CURLcode cc;
    long status = 0;
    bool ok = false;

    /* Signed per attempt: receivers may reject stale timestamps. */
    snprintf(ts, sizeof ts, "%lld", (long long)(sv_now_ms() / 1000));
    crypto_auth_hmacsha256_init(&st, (const uint8_t *)n->secret, n->secret_len);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)q->body, q->body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    sv_hex(mac, sizeof mac, hex);
    snprintf(h_ts, sizeof h_ts, "X-SV-Timestamp: %s", ts);
    snprintf(h_sig, sizeof h_sig, "X-SV-Signature: %s", hex);

    const char *lines[] = {"Content-Type: application/json", h_ts, h_sig,
                           "Expect:"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        tmp = curl_slist_append(hdrs, lines[i]);
        if (tmp == NULL) {
            snprintf(why, why_len, "out of memory");
            goto cleanup;
        }
        hdrs = tmp;
    }
    c = curl_easy_init();
    if (c == NULL) {
        snprintf(why, why_len, "curl_easy_init failed");
        goto cleanup;
    }
    curl_common(n, c, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "salesvault/" SV_VERSION);
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        snprintf(why, why_len, "%s", curl_easy_strerror(cc));
        goto cleanup;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        snprintf(why, why_len, "HTTP status %ld", status);
        goto cleanup;
    }
    ok = true;
cleanup:
    sodium_memzero(&st, sizeof st);
    sodium_memzero(mac, sizeof mac);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    return ok;
}

/* ---- SMTP ---------------------------------------------------------------- */

/* A fixed-capacity text builder; overflow is a sizing bug. */
struct sbuf {
    char *p;
    size_t len, cap;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
    sv_assert(b->len + n < b->cap);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void
sb_b64(struct sbuf *b, const void *in, size_t n)
{
    size_t need = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    sv_assert(b->len + need <= b->cap);
    sodium_bin2base64(b->p + b->len, need, in, n,
                      sodium_base64_VARIANT_ORIGINAL);
    b->len += need - 1;
}

/* RFC 5322 date, C-locale names regardless of the process locale. */
static void
format_date(int64_t ms, char out[40])
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                       "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
             tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
}

/* RFC 2047: ASCII subjects as they are, others as B encoded words of at
 * most 75 characters, split on character boundaries, folded. */
static void
add_subject(struct sbuf *b, const char *s)
{
    size_t len = strlen(s), off = 0;
    bool ascii = true;

    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            ascii = false;
    if (ascii) {
        sb_str(b, s);
        return;
    }
    while (off < len) {
        size_t n = len - off > 45 ? 45 : len - off; /* 60 base64 chars */
        while (off + n < len && ((unsigned char)s[off + n] & 0xc0) == 0x80)
            n--;
        if (off > 0)
            sb_str(b, "\r\n ");
        sb_str(b, "=?UTF-8?B?");
        sb_b64(b, s + off, n);
        sb_str(b, "?=");
        off += n;
    }
}

/** The envelope sender: the address inside <…>, or the whole value. */
static void
envelope_from(const char *from, char *out, size_t out_len)
{
    const char *lt = strchr(from, '<');
    if (lt != NULL)
        snprintf(out, out_len, "%.*s", (int)strcspn(lt, ">") + 1, lt);
    else
        snprintf(out, out_len, "<%s>", from);
}

static void
message_id_domain(const char *from, char *out, size_t out_len)
{
    const char *at = strrchr(from, '@');
    if (at == NULL || at[1] == '\0' || at[1] == '>')
        snprintf(out, out_len, "salesvault.invalid");
    else
        snprintf(out, out_len, "%.*s", (int)strcspn(at + 1, "> \t"), at + 1);
}

/**
 * Build the RFC 5322 message. The body is base64 (text/plain, UTF-8,
 * canonical CRLF line breaks), so long lines and leading dots need no care.
 * Caller wipes and frees the result.
 */
static char *
smtp_message(struct sv_notify *n, const struct qmsg *q, size_t *out_len)
{
    size_t tlen = strlen(q->text), clen = 0, b64len;
    char *canon = sv_xmalloc(2 * tlen + 1);
    char date[40], dom[256], line[512];
    struct sbuf b;

    /* LF or CRLF or lone CR → CRLF (RFC 2045 canonical text). */
    for (size_t i = 0; i < tlen; i++) {
        if (q->text[i] == '\r' && i + 1 < tlen && q->text[i + 1] == '\n')
            continue;
        if (q->text[i] == '\n' || q->text[i] == '\r') {
            canon[clen++] = '\r';
            canon[clen++] = '\n';
        } else {
            canon[clen++] = q->text[i];
        }
    }
    b64len = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_ORIGINAL);
    b.cap = 4096 + 2 * b64len + 16;
    b.p = sv_xmalloc(b.cap);
    b.len = 0;
    b.p[0] = '\0';

    format_date(q->time_ms, date);
    message_id_domain(n->smtp_from, dom, sizeof dom);
    snprintf(line, sizeof line, "Date: %s\r\n", date);
    sb_str(&b, line);
    sb_str(&b, "From: ");
    sb_str(&b, n->smtp_from);
    sb_str(&b, "\r\nTo: ");
    sb_str(&b, q->to);
    sb_str(&b, "\r\nSubject: ");
    add_subject(&b, q->subject);
    snprintf(line, sizeof line, "\r\nMessage-ID: <%s@%s>\r\n", q->id, dom);
    sb_str(&b, line);
    sb_str(&b, "MIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: base64\r\n"
               "\r\n");
    {
        char *enc = sv_xmalloc(b64len);
        size_t elen;
        sodium_bin2base64(enc, b64len, (const uint8_t *)canon, clen,
                          sodium_base64_VARIANT_ORIGINAL);
        elen = strlen(enc);
        for (size_t off = 0; off < elen; off += 76) {
            sb_add(&b, enc + off, elen - off > 76 ? 76 : elen - off);
            sb_str(&b, "\r\n");
        }
        sodium_memzero(enc, b64len);
        free(enc);
    }
    sodium_memzero(canon, 2 * tlen + 1);
    free(canon);
    *out_len = b.len;
    return b.p;
}

struct upload {
    const char *p;
    size_t left;
};

static size_t
upload_cb(char *buf, size_t size, size_t nitems, void *cls)
{
    struct upload *u = cls;
    size_t n = size * nitems;

    if (n > u->left)
        n = u->left;
    memcpy(buf, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

static bool
smtp_attempt(struct sv_notify *n, const struct qmsg *q, char *why,
             size_t why_len)
{
    struct curl_slist *rcpt = NULL;
    char from[300], to[SV_NOTIFY_TO_MAX + 3];
    size_t msg_len = 0;
    char *msg = smtp_message(n, q, &msg_len);
    struct upload up = {msg, msg_len};
    CURL *c = NULL;
    CURLcode cc;
    bool ok = false;

    envelope_from(n->smtp_from, from, sizeof from);
    snprintf(to, sizeof to, "<%s>", q->to);
    rcpt = curl_slist_append(NULL, to);
    c = curl_easy_init();
    if (rcpt == NULL || c == NULL) {
        snprintf(why, why_len, "out of memory");
        goto cleanup;
    }
    curl_common(n, c, "smtp,smtps");
    /* smtp:// must upgrade with STARTTLS; smtps:// is TLS from the start. */
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     n->smtp_allow_plain ? (long)CURLUSESSL_TRY
                                         : (long)CURLUSESSL_ALL);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg_len);
    if (n->smtp_user[0] != '\0') {
        curl_easy_setopt(c, CURLOPT_USERNAME, n->smtp_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, n->secret);
    }
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        snprintf(why, why_len, "%s", curl_easy_strerror(cc));
        goto cleanup;
    }
    ok = true;
cleanup:
    curl_easy_cleanup(c);
    curl_slist_free_all(rcpt);
    sodium_memzero(msg, msg_len);
    free(msg);
    return ok;
}

/* ---- delivery thread ------------------------------------------------------
 */

/**
 * Sleep @p ms unless draining runs out first; false when it did (the
 * message is then given up).
 */
static bool
backoff_wait(struct sv_notify *n, uint64_t ms)
{
    uint64_t until = sv_mono_ns() + ms * 1000000u;
    bool ok;

    pthread_mutex_lock(&n->mu);
    for (;;) {
        uint64_t limit = until, now = sv_mono_ns();
        struct timespec ts;

        if (atomic_load(&n->stopping) && atomic_load(&n->deadline_ns) < limit)
            limit = atomic_load(&n->deadline_ns);
        if (now >= limit)
            break;
        ts.tv_sec = (time_t)(limit / 1000000000u);
        ts.tv_nsec = (long)(limit % 1000000000u);
        pthread_cond_timedwait(&n->cv, &n->mu, &ts);
    }
    ok = !past_deadline(n);
    pthread_mutex_unlock(&n->mu);
    return ok;
}

static void
deliver(struct sv_notify *n, const struct qmsg *q)
{
    uint64_t delay_ms = n->backoff_base_ms;
    char why[160];
    unsigned k;

    for (k = 1;; k++) {
        bool ok;

        if (past_deadline(n)) {
            log_msg(SV_LOG_WARN, "notify: message dropped at shutdown", q,
                    k - 1, NULL);
            return;
        }
        why[0] = '\0';
        ok = n->backend == SV_NOTIFY_WEBHOOK
                 ? webhook_attempt(n, q, why, sizeof why)
                 : smtp_attempt(n, q, why, sizeof why);
        if (ok) {
            log_msg(SV_LOG_DEBUG, "notify: delivered", q, k, NULL);
            return;
        }
        if (k >= n->attempts)
            break;
        log_msg(SV_LOG_INFO, "notify: delivery failed, will retry", q, k, why);
        if (!backoff_wait(n, delay_ms))
            break;
        delay_ms *= 2;
        if (delay_ms > n->backoff_max_ms)
            delay_ms = n->backoff_max_ms;
    }
    log_msg(SV_LOG_WARN, "notify: message dropped", q, k, why);
}

static void *
delivery_main(void *cls)
{
    struct sv_notify *n = cls;

    for (;;) {
        struct qmsg *q;

        pthread_mutex_lock(&n->mu);
        while (n->len == 0 && !atomic_load(&n->stopping))
            pthread_cond_wait(&n->cv, &n->mu);
        if (n->len == 0) { /* stopping and drained */
            pthread_mutex_unlock(&n->mu);
            return NULL;
        }
        q = n->ring[n->head];
        n->ring[n->head] = NULL;
        n->head = (n->head + 1) % SV_NOTIFY_QUEUE_MAX;
        n->len--;
        pthread_mutex_unlock(&n->mu);
        deliver(n, q);
        qmsg_free(q);
    }
}

/* ---- public API ------------------------------------------------------------
 */

static void
notify_free(struct sv_notify *n)
{
    if (n->outbox_fd >= 0)
        close(n->outbox_fd);
    if (n->secret != NULL) {
        sodium_memzero(n->secret, n->secret_len);
        sodium_free(n->secret);
    }
    pthread_mutex_destroy(&n->outbox_mu);
    pthread_mutex_destroy(&n->mu);
    pthread_cond_destroy(&n->cv);
    free(n);
}

enum sv_err
sv_notify_open(const struct sv_config *cfg, struct sv_notify **out, char *err,
               size_t err_len)
{
    struct sv_notify *n;
    pthread_condattr_t ca;
    enum sv_err rc = SV_E_INTERNAL;

    sv_assert(cfg != NULL && out != NULL);
    *out = NULL;
    if (err_len > 0)
        err[0] = '\0';
    if (sodium_init() < 0) {
        snprintf(err, err_len, "notify: libsodium failed to start");
        return SV_E_INTERNAL;
    }
    n = sv_xcalloc(1, sizeof *n);
    n->backend = cfg->notify_backend;
    n->outbox_fd = -1;
    n->attempts = cfg->notify_retries > 0 ? cfg->notify_retries : 1;
    n->backoff_base_ms = BACKOFF_BASE_MS;
    n->backoff_max_ms = BACKOFF_MAX_MS;
    atomic_init(&n->stopping, false);
    atomic_init(&n->deadline_ns, 0);
    pthread_mutex_init(&n->outbox_mu, NULL);
    pthread_mutex_init(&n->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* sv_mono_ns() */
    pthread_cond_init(&n->cv, &ca);
    pthread_condattr_destroy(&ca);

    switch (cfg->notify_backend) {
    case SV_NOTIFY_OUTBOX:
        n->outbox_fd =
            open(cfg->outbox,
                 O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (n->outbox_fd < 0) {
            snprintf(err, err_len, "[notify] outbox_file %s: %s", cfg->outbox,
                     strerror(errno));
            goto cleanup;
        }
        {
            /* The outbox holds codes: keep an older, wider file private. */
            struct stat st;
            if (fstat(n->outbox_fd, &st) == 0 && (st.st_mode & 077) != 0 &&
                fchmod(n->outbox_fd, st.st_mode & 0700) != 0) {
                snprintf(err, err_len, "[notify] outbox_file %s: chmod: %s",
                         cfg->outbox, strerror(errno));
                goto cleanup;
            }
        }
        *out = n;
        return SV_OK;
    case SV_NOTIFY_WEBHOOK:
        if (cfg->webhook_url[0] == '\0' ||
            cfg->webhook_secret_file[0] == '\0') {
            snprintf(err, err_len,
                     "[notify] backend webhook needs "
                     "webhook_url and webhook_secret_file");
            goto cleanup;
        }
        snprintf(n->url, sizeof n->url, "%s", cfg->webhook_url);
        rc = read_secret_file(cfg->webhook_secret_file,
                              "[notify] webhook_secret_file", &n->secret,
                              &n->secret_len, err, err_len);
        if (rc != SV_OK)
            goto cleanup;
        rc = SV_E_INTERNAL;
        break;
    case SV_NOTIFY_SMTP:
        if (cfg->smtp_url[0] == '\0' || cfg->smtp_from[0] == '\0') {
            snprintf(err, err_len,
                     "[notify] backend smtp needs smtp_url and smtp_from");
            goto cleanup;
        }
        if ((cfg->smtp_user[0] != '\0') !=
            (cfg->smtp_password_file[0] != '\0')) {
            snprintf(err, err_len,
                     "[notify] smtp_user and "
                     "smtp_password_file go together");
            goto cleanup;
        }
        snprintf(n->url, sizeof n->url, "%s", cfg->smtp_url);
        snprintf(n->smtp_from, sizeof n->smtp_from, "%s", cfg->smtp_from);
        snprintf(n->smtp_user, sizeof n->smtp_user, "%s", cfg->smtp_user);
        if (cfg->smtp_password_file[0] != '\0') {
            rc = read_secret_file(cfg->smtp_password_file,
                                  "[notify] smtp_password_file", &n->secret,
                                  &n->secret_len, err, err_len);
            if (rc != SV_OK)
                goto cleanup;
            rc = SV_E_INTERNAL;
        }
        break;
    default:
        snprintf(err, err_len, "[notify] unknown backend");
        goto cleanup;
    }

    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK) {
        snprintf(err, err_len, "notify: curl_global_init: %s",
                 curl_easy_strerror(curl_init_rc));
        goto cleanup;
    }
    /*
     * The thread takes no signals: SIGTERM/SIGINT belong to the server's
     * sigwait() (a thread that left them unblocked would let the default
     * action kill the process instead of a clean drain).
     */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int started = pthread_create(&n->thread, NULL, delivery_main, n);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started != 0) {
        snprintf(err, err_len, "notify: cannot start the delivery thread");
        goto cleanup;
    }
    n->have_thread = true;
    *out = n;
    return SV_OK;
cleanup:
    notify_free(n);
    return rc;
}

enum sv_err
sv_notify_send(struct sv_notify *n, const struct sv_message *m)
{
    char ts[SV_RFC3339_LEN + 1];
    struct qmsg *q = NULL;
    json_t *doc = NULL;
    char *line = NULL;
    enum sv_err rc = SV_E_FIELD_INVALID;
    bool is_sms;

    sv_assert(n != NULL && m != NULL);
    if (m->channel == NULL ||
        (strcmp(m->channel, "sms") != 0 && strcmp(m->channel, "email") != 0))
        return SV_E_FIELD_INVALID;
    is_sms = m->channel[0] == 's';
    if (!check_text(m->to, 1, SV_NOTIFY_TO_MAX, false) ||
        !check_text(m->subject, 0, SV_NOTIFY_SUBJECT_MAX, false) ||
        !check_body(m->text))
        return SV_E_FIELD_INVALID;
    if (!is_sms && !check_email(m->to))
        return SV_E_FIELD_INVALID;

    q = sv_xcalloc(1, sizeof *q);
    sv_uuid7(q->id);
    snprintf(q->channel, sizeof q->channel, "%s", m->channel);
    q->time_ms = sv_now_ms();
    if (is_sms && n->backend == SV_NOTIFY_SMTP) {
        log_msg(SV_LOG_WARN,
                "notify: SMS refused, the smtp backend sends e-mail only "
                "(SMS needs the webhook backend)",
                q, 0, NULL);
        rc = SV_E_UNAVAILABLE;
        goto cleanup;
    }
    sv_rfc3339(q->time_ms, ts);
    doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", q->id, "time", ts,
                    "channel", m->channel, "to", m->to, "subject", m->subject,
                    "text", m->text);
    if (doc != NULL)
        line = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (line == NULL) {
        SV_BREAK("notify: cannot render message JSON");
        rc = SV_E_INTERNAL;
        goto cleanup;
    }
    q->body_len = strlen(line);

    if (n->backend == SV_NOTIFY_OUTBOX) {
        /* One write() of "JSON\n": O_APPEND keeps lines whole. */
        char *nl = realloc(line, q->body_len + 2);
        if (nl == NULL) {
            rc = SV_E_INTERNAL;
            goto cleanup;
        }
        line = nl;
        line[q->body_len] = '\n';
        line[q->body_len + 1] = '\0';
        rc = outbox_append(n, line, q->body_len + 1);
        goto cleanup;
    }

    q->body = line;
    line = NULL;
    if (n->backend == SV_NOTIFY_SMTP) {
        q->to = sv_xstrdup(m->to);
        q->subject = sv_xstrdup(m->subject);
        q->text = sv_xstrdup(m->text);
    }
    pthread_mutex_lock(&n->mu);
    if (atomic_load(&n->stopping)) {
        rc = SV_E_UNAVAILABLE;
    } else if (n->len >= SV_NOTIFY_QUEUE_MAX) {
        rc = SV_E_OVERLOADED;
    } else {
        n->ring[(n->head + n->len) % SV_NOTIFY_QUEUE_MAX] = q;
        n->len++;
        q = NULL;
        rc = SV_OK;
        pthread_cond_signal(&n->cv);
    }
    pthread_mutex_unlock(&n->mu);
    if (rc == SV_E_OVERLOADED)
        sv_log(SV_LOG_WARN, "notify: queue full", "channel %s", m->channel);
cleanup:
    if (line != NULL) {
        sodium_memzero(line, strlen(line));
        free(line);
    }
    json_decref(doc);
    qmsg_free(q);
    return rc;
}

void
sv_notify_close(struct sv_notify *n)
{
    if (n == NULL)
        return;
    if (n->have_thread) {
        pthread_mutex_lock(&n->mu);
        atomic_store(&n->deadline_ns, sv_mono_ns() + DRAIN_NS);
        atomic_store(&n->stopping, true);
        pthread_cond_broadcast(&n->cv);
        pthread_mutex_unlock(&n->mu);
        pthread_join(n->thread, NULL);
    }
    notify_free(n);
}

void
sv_notify_set_backoff_for_tests(struct sv_notify *n, unsigned base_ms,
                                unsigned max_ms)
{
    sv_assert(n != NULL);
    n->backoff_base_ms = base_ms;
    n->backoff_max_ms = max_ms;
}

void
sv_notify_smtp_allow_plain_for_tests(struct sv_notify *n, bool allow)
{
    sv_assert(n != NULL);
    n->smtp_allow_plain = allow;
}
