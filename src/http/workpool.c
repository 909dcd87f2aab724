#include "http/workpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/util.h"

struct job {
    sv_job_fn fn;
    void *arg;
};

struct sv_workpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *ring;
    unsigned cap, head, len;
    bool stopping;
    int nice_inc;
    pthread_t *threads;
    unsigned n_threads;
};

static void *
worker(void *cls)
{
    struct sv_workpool *p = cls;

    /* Linux: nice is per thread; raising it needs no privilege. */
    if (p->nice_inc > 0)
        (void)setpriority(PRIO_PROCESS, (id_t)gettid(), p->nice_inc);

    for (;;) {
        struct job j;
        pthread_mutex_lock(&p->mu);
        while (p->len == 0 && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->len == 0) { /* stopping and drained */
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        j = p->ring[p->head];
        p->head = (p->head + 1) % p->cap;
        p->len--;
        pthread_mutex_unlock(&p->mu);
        j.fn(j.arg);
    }
}

struct sv_workpool *
sv_workpool_new(unsigned threads, unsigned queue_max, int nice_inc)
{
    struct sv_workpool *p = sv_xcalloc(1, sizeof *p);

    p->nice_inc = nice_inc;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->cap = queue_max ? queue_max : 1;
    p->ring = sv_xcalloc(p->cap, sizeof *p->ring);
    p->threads = sv_xcalloc(threads ? threads : 1, sizeof *p->threads);
    for (unsigned i = 0; i < (threads ? threads : 1); i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
            sv_abort_at(__FILE__, __LINE__, "pthread_create");
        p->n_threads++;
    }
    return p;
}

bool
sv_workpool_submit(struct sv_workpool *p, sv_job_fn fn, void *arg)
{
    bool ok = false;

    pthread_mutex_lock(&p->mu);
    if (p->len < p->cap && !p->stopping) {
        p->ring[(p->head + p->len) % p->cap] = (struct job){fn, arg};
        p->len++;
        ok = true;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return ok;
}

void
sv_workpool_free(struct sv_workpool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->ring);
    free(p->threads);
    free(p);
}
