/* A small worker pool with a bounded queue, for Argon2id off the I/O threads.
 */
#ifndef SV_HTTP_WORKPOOL_H
#define SV_HTTP_WORKPOOL_H

#include <stdbool.h>

struct sv_workpool;

typedef void (*sv_job_fn)(void *arg);

/**
 * @p threads workers, at most @p queue_max jobs waiting. Workers run at
 * nice level @p nice_inc above the process (0: same), so CPU-bound jobs
 * yield to the I/O threads when cores are scarce.
 */
struct sv_workpool *sv_workpool_new(unsigned threads, unsigned queue_max,
                                    int nice_inc);
/** Queue a job; false when the queue is full (nothing was queued). */
bool sv_workpool_submit(struct sv_workpool *p, sv_job_fn fn, void *arg);
/** Finish queued jobs, stop the workers, free. NULL is a no-op. */
void sv_workpool_free(struct sv_workpool *p);

#endif
