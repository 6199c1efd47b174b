/* engine.c -- worker threads and an ordered writer.  See engine.h. */
#include "engine.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "alloc.h"
#include "signals.h"

void synth_engine_options_init(synth_engine_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->threads = 1;
    opt->chunk_rows = 16384;
    opt->gzip_level = -1;
    opt->header = 1;
    opt->delimiter = ',';
}

int synth_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

enum { SLOT_FREE = 0, SLOT_BUSY, SLOT_READY };

typedef struct slot {
    int state;
    uint64_t chunk;          /* index of the chunk it holds when READY */
    uint64_t expect;         /* the only chunk index allowed to take this slot next */
    char *text;              /* formatted CSV */
    size_t text_len, text_cap;
    char *gz;                /* gzip member when compressing */
    size_t gz_len, gz_cap;
    size_t rows;
} slot;

typedef struct engine {
    const synth_generator *gen;
    const synth_model *model;
    const synth_engine_options *opt;
    synth_formatter *fmt;
    size_t ncols;
    uint64_t nchunks;
    uint64_t next_chunk;     /* next chunk index to claim (under lock) */
    size_t nslots;
    slot *slots;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int stop;                /* an error or interrupt: workers quit */
    int failed_code;
    synth_err failed;
} engine;

static void engine_fail(engine *e, const synth_err *err)
{
    pthread_mutex_lock(&e->lock);
    if (!e->failed_code) {
        e->failed = *err;
        e->failed_code = err->code ? err->code : SYNTH_INTERNAL;
    }
    e->stop = 1;
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->lock);
}

static void *worker_main(void *arg)
{
    engine *e = arg;
    const synth_engine_options *opt = e->opt;
    synth_err err;
    synth_err_clear(&err);
    synth_chunk *ch = synth_chunk_new(e->ncols, opt->chunk_rows);
    if (ch == NULL) {
        synth_err_set(&err, SYNTH_NOMEM, "out of memory allocating a chunk");
        engine_fail(e, &err);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&e->lock);
        if (e->stop || e->next_chunk >= e->nchunks) {
            pthread_mutex_unlock(&e->lock);
            break;
        }
        uint64_t idx = e->next_chunk++;
        slot *s = &e->slots[idx % e->nslots];
        /* Chunk idx may use its slot only after chunk idx - nslots was written: otherwise two
         * waiters on one slot could take it out of order and stall the ordered writer. */
        while (!e->stop && !(s->state == SLOT_FREE && s->expect == idx))
            pthread_cond_wait(&e->changed, &e->lock);
        if (e->stop) {
            pthread_mutex_unlock(&e->lock);
            break;
        }
        s->state = SLOT_BUSY;
        pthread_mutex_unlock(&e->lock);

        uint64_t first = opt->first_row + idx * opt->chunk_rows;
        uint64_t left = opt->end_row - first;
        ch->first_row = first;
        ch->nrows = left < opt->chunk_rows ? (size_t)left : opt->chunk_rows;
        s->text_len = 0;
        s->rows = ch->nrows;
        int rc = e->gen->sample(e->model, opt->seed, ch, &err);
        if (rc == 0)
            rc = synth_formatter_rows(e->fmt, ch, &s->text, &s->text_len, &s->text_cap, &err);
        if (rc == 0 && opt->gzip_level >= 0)
            rc = synth_gzip_member(s->text, s->text_len, opt->gzip_level, &s->gz, &s->gz_cap, &s->gz_len, &err);
        if (rc) {
            engine_fail(e, &err);
            break;
        }
        pthread_mutex_lock(&e->lock);
        s->chunk = idx;
        s->state = SLOT_READY;
        pthread_cond_broadcast(&e->changed);
        pthread_mutex_unlock(&e->lock);
    }
    synth_chunk_free(ch);
    return NULL;
}

static int write_header(engine *e, synth_output *out, synth_engine_stats *stats, synth_err *err)
{
    char *hdr = NULL, *gz = NULL;
    size_t len = 0, gz_len = 0, gz_cap = 0;
    int rc = synth_formatter_header(e->fmt, &hdr, &len, err);
    if (rc)
        return rc;
    if (e->opt->gzip_level >= 0) {
        rc = synth_gzip_member(hdr, len, e->opt->gzip_level, &gz, &gz_cap, &gz_len, err);
        if (rc == 0 && (rc = synth_output_write(out, gz, gz_len, err)) == 0)
            stats->bytes += gz_len;
    } else if ((rc = synth_output_write(out, hdr, len, err)) == 0) {
        stats->bytes += len;
    }
    synth_free(hdr);
    synth_free(gz);
    return rc;
}

/* Wait until slot for chunk idx is READY, an error stops the run, or a signal arrives. */
static int wait_ready(engine *e, slot *s, uint64_t idx, synth_err *err)
{
    pthread_mutex_lock(&e->lock);
    while (!(s->state == SLOT_READY && s->chunk == idx) && !e->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&e->changed, &e->lock, &ts);
        if (synth_signals_interrupted()) {
            e->stop = 1;
            pthread_cond_broadcast(&e->changed);
            pthread_mutex_unlock(&e->lock);
            return synth_err_set(err, SYNTH_INTERRUPTED, "interrupted");
        }
    }
    int ok = s->state == SLOT_READY && s->chunk == idx;
    pthread_mutex_unlock(&e->lock);
    if (!ok) {
        *err = e->failed;
        return e->failed_code ? e->failed_code : SYNTH_INTERNAL;
    }
    return 0;
}

int synth_engine_run(const synth_generator *gen, const synth_model *model, const synth_schema *schema,
                     const synth_engine_options *opt, synth_output *out, synth_engine_stats *stats,
                     synth_err *err)
{
    synth_engine_stats local = {0};
    if (stats == NULL)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    engine e = {.gen = gen, .model = model, .opt = opt, .ncols = schema->ncols};
    /* The engine parallelizes over chunks; BLAS calls inside a chunk stay on their worker. */
    openblas_set_num_threads(1);
    synth_err_clear(&e.failed);
    if (opt->chunk_rows == 0 || opt->threads < 1 || opt->end_row < opt->first_row)
        return synth_err_set(err, SYNTH_USAGE, "engine: bad options");
    uint64_t rows = opt->end_row - opt->first_row;
    e.nchunks = rows / opt->chunk_rows + (rows % opt->chunk_rows != 0);
    int threads = opt->threads;
    if ((uint64_t)threads > e.nchunks)
        threads = e.nchunks > 0 ? (int)e.nchunks : 1;
    e.nslots = 2 * (size_t)threads;
    int rc = synth_formatter_new(&e.fmt, schema, opt->delimiter, opt->seed, err);
    if (rc)
        return rc;
    e.slots = synth_calloc(e.nslots, sizeof *e.slots);
    pthread_t *tids = synth_calloc((size_t)threads, sizeof *tids);
    if (e.slots == NULL || tids == NULL) {
        synth_free(e.slots);
        synth_free(tids);
        synth_formatter_free(e.fmt);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < e.nslots; i++)
        e.slots[i].expect = i;
    pthread_mutex_init(&e.lock, NULL);
    pthread_cond_init(&e.changed, NULL);
    if (opt->header)
        rc = write_header(&e, out, stats, err);
    int started = 0;
    for (int t = 0; rc == 0 && t < threads && e.nchunks > 0; t++) {
        if (pthread_create(&tids[t], NULL, worker_main, &e) != 0) {
            rc = synth_err_set(err, SYNTH_INTERNAL, "cannot start a worker thread: %s", strerror(errno));
            pthread_mutex_lock(&e.lock);
            e.stop = 1;
            pthread_cond_broadcast(&e.changed);
            pthread_mutex_unlock(&e.lock);
            break;
        }
        started++;
    }
    for (uint64_t idx = 0; rc == 0 && idx < e.nchunks; idx++) {
        slot *s = &e.slots[idx % e.nslots];
        rc = wait_ready(&e, s, idx, err);
        if (rc)
            break;
        const char *bytes = opt->gzip_level >= 0 ? s->gz : s->text;
        size_t nbytes = opt->gzip_level >= 0 ? s->gz_len : s->text_len;
        rc = synth_output_write(out, bytes, nbytes, err);
        if (rc == 0) {   /* stats count what was written */
            stats->bytes += nbytes;
            stats->rows += s->rows;
        }
        pthread_mutex_lock(&e.lock);
        s->state = SLOT_FREE;
        s->expect = idx + e.nslots;
        if (rc)
            e.stop = 1;
        pthread_cond_broadcast(&e.changed);
        pthread_mutex_unlock(&e.lock);
        if (opt->progress != NULL)
            synth_progress_update(opt->progress, stats->rows);
        if (rc == 0 && synth_signals_interrupted())
            rc = synth_err_set(err, SYNTH_INTERRUPTED, "interrupted");
    }
    if (rc) {
        pthread_mutex_lock(&e.lock);
        e.stop = 1;
        pthread_cond_broadcast(&e.changed);
        pthread_mutex_unlock(&e.lock);
    }
    for (int t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    for (size_t i = 0; i < e.nslots; i++) {
        synth_free(e.slots[i].text);
        synth_free(e.slots[i].gz);
    }
    synth_free(e.slots);
    synth_free(tids);
    synth_formatter_free(e.fmt);
    pthread_mutex_destroy(&e.lock);
    pthread_cond_destroy(&e.changed);
    return rc;
}
