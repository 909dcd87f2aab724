/*
 * The HTTPS server (NET-1): libmicrohttpd with GnuTLS, TLS 1.2/1.3 and
 * AEAD suites only, a thread pool sized to the cores, per-IP connection
 * caps, bodies read up to the route's limit, one JSON log line a request,
 * and a graceful stop on SIGTERM/SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "app.h"
#include "core/log.h"
#include "core/util.h"
#include "http/request.h"
#include "http/workpool.h"

/*
 * TLS 1.3 and 1.2 only; AEAD ciphers only (AES-GCM, ChaCha20-Poly1305);
 * forward-secret ECDHE key exchange only; the server's order wins.
 */
static const char tls_priorities[] =
    "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
    "-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:"
    "-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"
    "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:"
    "%SERVER_PRECEDENCE";

/* Bytes of an oversized chunked body we drain before dropping the link. */
enum { DISCARD_MAX = 1024 * 1024 };

static atomic_int in_flight;
/*
 * Set on SIGTERM: the listener is closed, and every answer from now on
 * closes its connection (Connection: close), so a keep-alive client gets at
 * most one more answer per connection and cannot keep the drain going. A
 * request that reaches us meanwhile came on a connection accepted before
 * the signal (often one whose TLS handshake was still waiting for a busy
 * CPU): it is served, not refused.
 */
static atomic_bool stopping;
/*
 * The hashing pool, as offloading sees it: NULL once the drain is over and
 * the pool is being freed (a request offloaded then gets 503 unavailable,
 * with Retry-After). The lock orders a submit before the pool's release.
 */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

bool
sv_http_stopping(void)
{
    return atomic_load(&stopping);
}

/*
 * libmicrohttpd calls this first, with the request target exactly as sent
 * (signed device requests cover it); what it returns becomes *con_cls.
 */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct sv_request *rq = sv_xcalloc(1, sizeof *rq);
    (void)cls;
    (void)conn;
    atomic_fetch_add(&in_flight, 1);
    rq->arena = sv_arena_new();
    rq->start_ns = sv_mono_ns();
    rq->raw_uri = sv_arena_strdup(rq->arena, uri != NULL ? uri : "");
    return rq;
}

static struct sv_request *
request_start(struct sv_request *rq, struct sv_app *app,
              struct MHD_Connection *conn, const char *url, const char *method)
{
    const union MHD_ConnectionInfo *ci;

    rq->app = app;
    rq->conn = conn;
    rq->url = url;
    rq->status = 0;
    rq->started = true;
    sv_uuid7(rq->id);
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci != NULL && ci->client_addr != NULL) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
                      rq->ip, sizeof rq->ip);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                      rq->ip, sizeof rq->ip);
    }
    /* Untrusted header and token: stored in audit events and logs. */
    const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_USER_AGENT);
    rq->user_agent = ua ? sv_sanitize_text(rq->arena, ua, 256) : NULL;
    rq->method = sv_sanitize_text(rq->arena, method, 16);
    return rq;
}

static void park_remove(struct sv_request *rq);

static void
request_free(struct sv_request *rq)
{
    if (rq->parked)
        park_remove(rq);
    for (unsigned i = rq->n_cleanups; i > 0; i--)
        rq->cleanups[i - 1].fn(rq->cleanups[i - 1].arg);
    json_decref(rq->json); /* wiping allocator: see core/json.c */
    if (rq->body != NULL) {
        sodium_memzero(rq->body, rq->body_cap);
        free(rq->body);
    }
    sv_arena_free(rq->arena);
    free(rq);
    atomic_fetch_sub(&in_flight, 1);
}

static void
log_request(struct sv_request *rq, enum MHD_RequestTerminationCode toe)
{
    double ms = (double)(sv_mono_ns() - rq->start_ns) / 1e6;
    json_t *f =
        json_pack("{s:s, s:s, s:s, s:i, s:f}", "request_id", rq->id, "method",
                  rq->method ? rq->method : "", "route",
                  rq->route ? rq->route->path : "(none)", "status",
                  (int)rq->status, "ms", (double)((int64_t)(ms * 100)) / 100);

    if (f == NULL) {
        SV_BREAK("request log line did not pack");
        return;
    }
    json_object_set_new(f, "tenant",
                        rq->log_tenant[0] ? json_string(rq->log_tenant)
                                          : json_null());
    json_object_set_new(f, "account",
                        rq->log_account[0] ? json_string(rq->log_account)
                                           : json_null());
    if (rq->err != SV_OK)
        json_object_set_new(f, "error", json_string(sv_err_code(rq->err)));
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        json_object_set_new(f, "terminated", json_integer(toe));
    sv_log_json(SV_LOG_INFO, "request", f);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct sv_request *rq = *con_cls;
    (void)cls;
    (void)conn;
    if (rq == NULL)
        return;
    if (!rq->started) { /* the connection died before the request began */
        request_free(rq);
        *con_cls = NULL;
        return;
    }
    log_request(rq, toe);
    request_free(rq);
    *con_cls = NULL;
}

static bool
append_body(struct sv_request *rq, const char *data, size_t n)
{
    if (rq->body_overflow || rq->body_len + n > rq->max_body) {
        if (!rq->body_overflow && rq->body != NULL)
            sodium_memzero(rq->body, rq->body_cap);
        rq->body_overflow = true;
        rq->body_len += n; /* now counts what was drained */
        return rq->body_len <= rq->max_body + DISCARD_MAX;
    }
    if (!sv_wipe_grow(&rq->body, &rq->body_cap, rq->body_len, rq->body_len + n,
                      1024, rq->max_body))
        sv_abort_at(__FILE__, __LINE__, "out of memory");
    memcpy(rq->body + rq->body_len, data, n);
    rq->body_len += n;
    return true;
}

static void
ensure_replied(struct sv_request *rq)
{
    if (!rq->replied && !rq->suspended) {
        SV_BREAK("handler neither replied nor suspended");
        sv_reply_error(rq, SV_E_INTERNAL, NULL);
    }
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *conn, const char *url,
          const char *method, const char *version, const char *upload_data,
          size_t *upload_data_size, void **con_cls)
{
    struct sv_request *rq = *con_cls;
    (void)version;

    if (rq == NULL) /* no URI callback ran: cannot happen, but be safe */
        *con_cls = rq = on_uri(NULL, url, conn);
    if (!rq->started) {
        request_start(rq, cls, conn, url, method);
        sv_router_match_or_reply(rq);
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (rq->replied)
            return MHD_YES;
        return append_body(rq, upload_data, n) ? MHD_YES : MHD_NO;
    }
    if (rq->replied)
        return MHD_YES;
    if (rq->cont != NULL) { /* resumed after offloaded work or a park */
        sv_cont_fn cont = rq->cont;
        rq->cont = NULL;
        rq->suspended = false;
        cont(rq, rq->work_arg);
        ensure_replied(rq);
        return MHD_YES;
    }
    if (rq->suspended)
        return MHD_YES;
    sv_router_dispatch(rq);
    ensure_replied(rq);
    return MHD_YES;
}

/* ---- offloading ---- */

static void
run_job(void *arg)
{
    struct sv_request *rq = arg;
    rq->work(rq->work_arg);
    MHD_resume_connection(rq->conn);
}

static void
reply_overloaded(struct sv_request *rq, void *arg)
{
    (void)arg;
    sv_reply_error(rq, SV_E_OVERLOADED, NULL);
}

static void
reply_unavailable(struct sv_request *rq, void *arg)
{
    (void)arg;
    sv_reply_error(rq, SV_E_UNAVAILABLE, NULL);
}

void
sv_offload_or_reply(struct sv_request *rq, sv_work_fn work, sv_cont_fn cont,
                    void *arg)
{
    struct sv_workpool *pool;
    bool queued = false;

    rq->work = work;
    rq->cont = cont;
    rq->work_arg = arg;
    rq->suspended = true;
    /* Suspend first: the job may finish and resume before we return. */
    MHD_suspend_connection(rq->conn);
    pthread_mutex_lock(&pool_lock);
    pool = rq->app->hashpool;
    if (pool != NULL)
        queued = sv_workpool_submit(pool, run_job, rq);
    pthread_mutex_unlock(&pool_lock);
    if (!queued) {
        /* Queue full: overloaded. No pool: the server is shutting down. */
        rq->cont = pool != NULL ? reply_overloaded : reply_unavailable;
        MHD_resume_connection(rq->conn);
    }
}

/* ---- long poll ---- */

/*
 * Parked requests in one list under one lock: a wake or the ticker walks
 * it. Thousands of waiters cost a few microseconds per walk; a hash table
 * would only pay off far beyond what one node holds.
 */
static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sv_request *parked;
static unsigned n_parked;
static void (*ticker_fn)(struct sv_app *);

static void
park_remove(struct sv_request *rq)
{
    pthread_mutex_lock(&park_lock);
    for (struct sv_request **p = &parked; *p != NULL; p = &(*p)->park_next)
        if (*p == rq) {
            *p = rq->park_next;
            n_parked--;
            break;
        }
    rq->parked = false;
    pthread_mutex_unlock(&park_lock);
}

void
sv_park(struct sv_request *rq, const char *key, int64_t timeout_ms,
        sv_cont_fn cont, void *arg)
{
    if (atomic_load(&stopping)) {
        /* Nothing would resume it: answer now, as if timed out. */
        cont(rq, arg);
        return;
    }
    rq->cont = cont;
    rq->work_arg = arg;
    rq->suspended = true;
    snprintf(rq->park_key, sizeof rq->park_key, "%s", key);
    rq->park_deadline_ms = sv_now_ms() + timeout_ms;
    MHD_suspend_connection(rq->conn);
    pthread_mutex_lock(&park_lock);
    rq->parked = true;
    rq->park_next = parked;
    parked = rq;
    n_parked++;
    pthread_mutex_unlock(&park_lock);
}

unsigned
sv_parked_count(void)
{
    pthread_mutex_lock(&park_lock);
    unsigned n = n_parked;
    pthread_mutex_unlock(&park_lock);
    return n;
}

/* Resume those for which @p pick says so (all when key is NULL). */
static void
resume_where(const char *key, int64_t now_ms)
{
    pthread_mutex_lock(&park_lock);
    for (struct sv_request **p = &parked; *p != NULL;) {
        struct sv_request *rq = *p;
        bool match = key != NULL
                         ? strcmp(rq->park_key, key) == 0
                         : now_ms == 0 || rq->park_deadline_ms <= now_ms;
        if (!match) {
            p = &rq->park_next;
            continue;
        }
        *p = rq->park_next;
        n_parked--;
        rq->parked = false;
        MHD_resume_connection(rq->conn);
    }
    pthread_mutex_unlock(&park_lock);
}

void
sv_wake(const char *key)
{
    resume_where(key, 0);
}

void
sv_http_set_ticker(void (*fn)(struct sv_app *app))
{
    ticker_fn = fn;
}

struct ticker {
    struct sv_app *app;
    pthread_t thread;
    atomic_bool stop;
};

/* Time-outs every 100 ms; the ticker hook about once a second. */
static void *
ticker_main(void *arg)
{
    struct ticker *t = arg;
    unsigned n = 0;
    while (!atomic_load(&t->stop)) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        resume_where(NULL, sv_now_ms());
        if (++n % 10 == 0 && ticker_fn != NULL)
            ticker_fn(t->app);
    }
    return NULL;
}

/* ---- daemon ---- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    size_t n;
    (void)cls;
    vsnprintf(buf, sizeof buf, fmt, ap);
    n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    sv_log(SV_LOG_INFO, "http", "%s", buf);
}

static char *
read_file(const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf;

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || st.st_size <= 0 || (size_t)st.st_size > max) {
        close(fd);
        return NULL;
    }
    buf = sodium_malloc((size_t)st.st_size + 1);
    if (buf == NULL ||
        read(fd, buf, (size_t)st.st_size) != (ssize_t)st.st_size) {
        close(fd);
        sodium_free(buf);
        return NULL;
    }
    close(fd);
    buf[st.st_size] = '\0';
    return buf;
}

static unsigned
cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* Wait up to @p ms for in-flight requests to finish. */
static void
drain(int ms)
{
    for (int i = 0; i < ms / 10 && atomic_load(&in_flight) > 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

enum sv_err
sv_http_serve(struct sv_app *app)
{
    const struct sv_config *cfg = &app->cfg;
    struct sockaddr_storage ss;
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_USE_TLS | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    unsigned threads = cfg->threads ? cfg->threads : cores();
    unsigned hashers = cfg->hash_workers ? cfg->hash_workers : cores();
    char *cert, *key;
    sigset_t sigs;
    int sig = 0;

    memset(&ss, 0, sizeof ss);
    if (strchr(cfg->listen_addr, ':') != NULL) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)cfg->listen_port);
        inet_pton(AF_INET6, cfg->listen_addr, &s6->sin6_addr);
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)cfg->listen_port);
        inet_pton(AF_INET, cfg->listen_addr, &s4->sin_addr);
    }
    cert = read_file(cfg->tls_cert, 64 * 1024);
    key = read_file(cfg->tls_key, 64 * 1024);
    if (cert == NULL || key == NULL) {
        sv_log(SV_LOG_ERROR, "cannot read TLS certificate or key", "%s, %s",
               cfg->tls_cert, cfg->tls_key);
        sodium_free(cert);
        sodium_free(key);
        return SV_E_NOT_FOUND;
    }

    /* Signals are taken by sigwait() below, never by the worker threads. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    /*
     * Hashing runs at normal priority on purpose. libsodium maps and unmaps
     * Argon2id's memory (64 MiB by default) for every hash; a deprioritised
     * (nice 10/19, SCHED_IDLE) hashing thread preempted while holding the
     * process's mmap lock stalls the I/O threads' page faults behind it: we
     * measured GET /me p99 under a login burst get worse (30-150 ms), not
     * better. See docs/benchmarks.md.
     */
    app->hashpool = sv_workpool_new(hashers, cfg->hash_queue, 0);
    d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, app, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, NULL, MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_CERT,
        cert, MHD_OPTION_HTTPS_PRIORITIES, tls_priorities,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, cfg->conn_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->conn_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, app,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_END);
    sodium_free(key); /* GnuTLS holds its own copy now; ours is wiped */
    sodium_free(cert);
    if (d == NULL) {
        sv_log(SV_LOG_ERROR, "cannot start HTTPS server", "%s:%u",
               cfg->listen_addr, cfg->listen_port);
        sv_workpool_free(app->hashpool);
        app->hashpool = NULL;
        return SV_E_UNAVAILABLE;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    sv_log_json(SV_LOG_INFO, "listening",
                json_pack("{s:s, s:i, s:i, s:i, s:s}", "addr", cfg->listen_addr,
                          "port",
                          info ? (int)info->port : (int)cfg->listen_port,
                          "threads", (int)threads, "hash_workers", (int)hashers,
                          "version", SV_VERSION));

    struct ticker tk = {.app = app};
    atomic_init(&tk.stop, false);
    if (pthread_create(&tk.thread, NULL, ticker_main, &tk) != 0)
        abort();

    while (sigwait(&sigs, &sig) != 0)
        ;
    sv_log(SV_LOG_INFO, "stopping", "signal %d: draining in-flight requests",
           sig);
    atomic_store(&stopping, true);
    MHD_socket listener = MHD_quiesce_daemon(d); /* no new connections */
    atomic_store(&tk.stop, true);
    pthread_join(tk.thread, NULL);
    resume_where(NULL, 0); /* every long poll answers now */
    drain(30000);
    resume_where(NULL, 0); /* one that parked while we drained */
    drain(1000);
    /*
     * Run every queued job, so no connection stays suspended (stopping the
     * daemon with one would abort), then let their replies go out. Nothing
     * is queued once the pool is unpublished.
     */
    pthread_mutex_lock(&pool_lock);
    struct sv_workpool *pool = app->hashpool;
    app->hashpool = NULL;
    pthread_mutex_unlock(&pool_lock);
    sv_workpool_free(pool);
    drain(5000);
    MHD_stop_daemon(d);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    sv_log(SV_LOG_INFO, "stopped", "%s", "clean shutdown");
    return SV_OK;
}
