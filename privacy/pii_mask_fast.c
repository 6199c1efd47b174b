/* pii_mask_fast.c -- the fast path of synth_mask_csv: see pii_mask_fast.h.
 *
 * Why: the libcsv reader hands over every byte through a callback and copies every field into a
 * chunk, and one thread then masks and formats; on a big file that runs at about 65 MB/s.  Here
 * the caller's thread reads the file in blocks of about 1 MiB, each cut after the last line feed
 * that lies outside quotes (quote parity, found with memchr), and hands them to worker threads
 * through a ring of slots.  A worker parses its block into field references, takes its first row
 * index from the block before it (a short ordered hand-off, so row-dependent operators see the
 * same index as the reader path), masks and formats the block into the slot's output buffer, and
 * the caller's thread writes the slots in order.
 *
 * The subset: LF line ends; quoted fields that close before a delimiter, LF or the end; strict
 * UTF-8; no NUL, no CR; no quote inside an unquoted field; no empty line before the header; every
 * record with the header's number of fields; no field over max_field_bytes.  Within it the
 * scanner of src/csv_fast.h (shared with the privacy check in check.c) reads the same rows and
 * fields as synth_csv_reader, and the output is formatted exactly as the reader path formats it.
 * On anything else -- or on a cell the masker refuses, so that the reader path reports it with its
 * line -- the blocks before the offending one are written and the caller resumes with the reader
 * after those rows (tests/fuzz/fuzz_pii_mask.c checks that both paths agree byte for byte).
 * Memory: (workers + 2) slots of about two blocks each plus a field-reference array per worker;
 * a single record longer than a block grows its block (up to 1 GiB, else fallback).
 * Thread-safety: each call has its own threads and state; maskers are used by one worker each. */
#include "pii_mask_fast.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "alloc.h"
#include "csv_fast.h"
#include "csv_reader.h"
#include "ff1.h"
#include "signals.h"

#define FAST_ABORTED 3
#define BLOCK_DEFAULT ((size_t)1 << 20)
#define BLOCK_LIMIT SYNTH_CSV_FAST_MAX_BUF /* keeps every offset and length below 2^30 */

static _Atomic int force_reader;
static _Atomic size_t block_size_override;
static _Atomic uint64_t last_fast_rows;

uint64_t synth__mask_last_fast_rows(void)
{
    return last_fast_rows;
}

void synth__mask_force_reader(int on)
{
    force_reader = on;
}

void synth__mask_block_size(size_t bytes)
{
    block_size_override = bytes;
}

int synth__mask_forced_reader(void)
{
    return force_reader;
}

/* One field of a parsed block: offset in the block, length and flags (SYNTH_CSV_FAST_*). */
typedef synth_csv_fast_cell fref;

enum { SLOT_FREE = 0, SLOT_READY, SLOT_DONE };

typedef struct mslot {
    int state;
    int result;                /* 0, SYNTH__MASK_FALLBACK, FAST_ABORTED or a negative code */
    synth_err err;
    unsigned char *in;
    size_t in_len, in_cap;
    char *out;
    size_t out_len, out_cap;
    uint64_t nrows, cells;
} mslot;

typedef struct pipeline pipeline;

typedef struct worker {
    pipeline *p;
    synth_masker *m;
    fref *refs;
    size_t refs_cap;
    char *scratch;             /* a field unescaped and NUL-terminated */
    size_t scratch_cap;
    char *cell;                /* masker output */
    size_t cell_cap;
    uint16_t *dig;             /* fpe: the digits of every cell of the block, column by column */
    size_t dig_cap;
    uint32_t *dpos;            /* fpe: [j * nrows + r]: offset in dig of fpe column j's cell in row r */
    uint16_t *dn;              /* fpe: its number of digits (0: empty cell) */
    size_t dpos_cap;
    pthread_t th;
    int started;
} worker;

struct pipeline {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    mslot *slots;
    size_t nslots;
    uint64_t submitted;        /* blocks handed out (their slots are READY or later) */
    uint64_t next_take;        /* next block a worker takes */
    uint64_t chain_seq;        /* blocks whose row counts are known */
    uint64_t chain_rows;       /* rows in blocks [0, chain_seq) */
    int stop;                  /* a failure or the end: workers quit */
    int closing;               /* no more blocks will be submitted */
    size_t ncols;
    char delim;
    synth_csv_fast scan;       /* the record scanner (every field, in order) */
    unsigned char *masked;     /* [ncols]: 1 when the column is masked */
    int *fpe;                  /* [ncols]: index among the fpe columns, or -1 */
    size_t nfpe;
};

/* ---- scanning ----------------------------------------------------------------------------------- */

/* Offset just past the first (first = 1) or last LF in buf[0..len) outside quotes, counting quote
 * parity from buf[0] (which starts a record); 0 when there is none.  Inside the subset every quote
 * belongs to a quoted field, so even parity means "between fields"; outside it the worker that
 * parses the block falls back, so a wrong cut is never written. */
static size_t boundary(const unsigned char *buf, size_t len, int first)
{
    size_t best = 0, pos = 0;
    int inq = 0;
    for (;;) {
        const unsigned char *q = memchr(buf + pos, '"', len - pos);
        size_t stop = q != NULL ? (size_t)(q - buf) : len;
        if (!inq && stop > pos) {
            const unsigned char *nl = first ? memchr(buf + pos, '\n', stop - pos) : memrchr(buf + pos, '\n', stop - pos);
            if (nl != NULL) {
                best = (size_t)(nl - buf) + 1;
                if (first)
                    return best;
            }
        }
        if (q == NULL)
            return best;
        inq = !inq;
        pos = stop + 1;
    }
}

/* ---- masking a block ---------------------------------------------------------------------------- */

static int grow(char **buf, size_t *cap, size_t need)
{
    if (*cap >= need)
        return 0;
    size_t n = *cap ? *cap : 4096;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return SYNTH_NOMEM;
        n *= 2;
    }
    char *nb = synth_realloc(*buf, n);
    if (nb == NULL)
        return SYNTH_NOMEM;
    *buf = nb;
    *cap = n;
    return 0;
}

/* Field text (unescaped when it had doubled quotes) NUL-terminated in w->scratch. */
static const char *field_text(worker *w, const unsigned char *base, fref r, size_t *len)
{
    const unsigned char *s = base + r.off;
    size_t n = r.len & SYNTH_CSV_FAST_LEN, k = 0;
    if (!(r.len & SYNTH_CSV_FAST_ESC)) {
        memcpy(w->scratch, s, n);
        k = n;
    } else {
        for (size_t j = 0; j < n; j++) {
            w->scratch[k++] = (char)s[j];
            if (s[j] == '"')
                j++; /* the doubled quote */
        }
    }
    w->scratch[k] = '\0';
    *len = k;
    return w->scratch;
}

/* Encrypt the digits of every fpe cell of the block at once (runs of equal digit counts go
 * through synth_ff1_encrypt_many, which interleaves several messages in AES).  A cell with
 * fewer than 6 or more than SYNTH_FF1_MAX_LEN digits gives FALLBACK, so that the reader path
 * reports it with its line. */
static int fpe_block(worker *w, mslot *s, uint64_t nrows)
{
    pipeline *p = w->p;
    if (p->nfpe * nrows > w->dpos_cap) {
        size_t cap = p->nfpe * nrows;
        uint32_t *np = synth_realloc(w->dpos, cap * sizeof *np);
        if (np == NULL)
            return synth_err_set(&s->err, SYNTH_NOMEM, "out of memory");
        w->dpos = np;
        uint16_t *nn = synth_realloc(w->dn, cap * sizeof *nn);
        if (nn == NULL)
            return synth_err_set(&s->err, SYNTH_NOMEM, "out of memory");
        w->dn = nn;
        w->dpos_cap = cap;
    }
    size_t used = 0;
    for (size_t c = 0; c < p->ncols; c++) {
        if (p->fpe[c] < 0)
            continue;
        size_t j = (size_t)p->fpe[c];
        uint32_t *dpos = w->dpos + j * nrows;
        uint16_t *dn = w->dn + j * nrows;
        for (uint64_t r = 0; r < nrows; r++) {
            size_t len;
            const char *t = field_text(w, s->in, w->refs[r * p->ncols + c], &len);
            if (used + len > w->dig_cap) {
                size_t cap = w->dig_cap ? w->dig_cap : 4096;
                while (cap < used + len)
                    cap *= 2;
                uint16_t *nd = synth_realloc(w->dig, cap * sizeof *nd);
                if (nd == NULL)
                    return synth_err_set(&s->err, SYNTH_NOMEM, "out of memory");
                w->dig = nd;
                w->dig_cap = cap;
            }
            size_t k = 0;
            for (size_t i = 0; i < len; i++) {
                if (t[i] >= '0' && t[i] <= '9')
                    w->dig[used + k++] = (uint16_t)(t[i] - '0');
            }
            if (len > 0 && (k < 6 || k > SYNTH_FF1_MAX_LEN))
                return SYNTH__MASK_FALLBACK;
            dpos[r] = (uint32_t)used;
            dn[r] = (uint16_t)k;
            used += k;
        }
        for (uint64_t r0 = 0; r0 < nrows;) {
            uint64_t r1 = r0 + 1;
            while (r1 < nrows && dn[r1] == dn[r0])
                r1++;
            synth_err ferr;
            if (dn[r0] > 0 &&
                synth__masker_fpe_many(w->m, c, w->dig + dpos[r0], dn[r0], (size_t)(r1 - r0), &ferr) != 0)
                return SYNTH__MASK_FALLBACK;
            r0 = r1;
        }
    }
    return 0;
}

/* Parse, number and mask the block in slot s (block number seq). */
static int mask_block(worker *w, mslot *s, uint64_t seq)
{
    pipeline *p = w->p;
    const size_t ncols = p->ncols;
    const unsigned char *base = s->in, *q = s->in, *end = s->in + s->in_len;
    uint64_t nrows = 0;
    while (q < end) {
        if ((nrows + 1) * ncols > w->refs_cap) {
            size_t ncap = w->refs_cap ? w->refs_cap * 2 : ncols * 4096;
            while (ncap < (nrows + 1) * ncols)
                ncap *= 2;
            fref *nr = synth_realloc(w->refs, ncap * sizeof *nr);
            if (nr == NULL)
                return synth_err_set(&s->err, SYNTH_NOMEM, "out of memory");
            w->refs = nr;
            w->refs_cap = ncap;
        }
        const unsigned char *next = NULL;
        int r = synth_csv_fast_record(&p->scan, base, q, end, 1, &next, w->refs + nrows * ncols);
        if (r != SYNTH_CSV_FAST_OK && r != SYNTH_CSV_FAST_EMPTY)
            return SYNTH__MASK_FALLBACK;
        q = next;
        if (r == 0)
            nrows++;
    }
    /* the rows of the blocks before this one give its first row index */
    pthread_mutex_lock(&p->mu);
    while (!p->stop && p->chain_seq != seq)
        pthread_cond_wait(&p->cv, &p->mu);
    if (p->stop) {
        pthread_mutex_unlock(&p->mu);
        return FAST_ABORTED;
    }
    uint64_t first_row = p->chain_rows;
    p->chain_rows += nrows;
    p->chain_seq++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);

    if (p->nfpe > 0 && nrows > 0) {
        int rc = fpe_block(w, s, nrows);
        if (rc)
            return rc;
    }
    const char delim = p->delim;
    const int lone = ncols == 1;
    uint64_t cells = 0;
    s->out_len = 0;
    for (uint64_t r = 0; r < nrows; r++) {
        const fref *row = w->refs + r * ncols;
        for (size_t c = 0; c < ncols; c++) {
            fref f = row[c];
            size_t len = f.len & SYNTH_CSV_FAST_LEN;
            const char *text = NULL;
            if (p->fpe[c] >= 0) {
                /* as synth_masker_cell: the encrypted digits in place, every other byte kept */
                text = field_text(w, base, f, &len);
                if (grow(&w->cell, &w->cell_cap, len + 1))
                    return synth_err_set(&s->err, SYNTH_NOMEM, "out of memory");
                size_t j = (size_t)p->fpe[c];
                const uint16_t *d = len > 0 ? w->dig + w->dpos[j * nrows + r] : NULL;
                for (size_t i = 0; i < len; i++)
                    w->cell[i] = (text[i] >= '0' && text[i] <= '9') ? (char)('0' + *d++) : text[i];
                text = w->cell;
                cells++;
            } else if (p->masked[c]) {
                text = field_text(w, base, f, &len);
                size_t need = synth_masker_bound(w->m, c, len);
                if (grow(&w->cell, &w->cell_cap, need))
                    return synth_err_set(&s->err, SYNTH_NOMEM, "out of memory");
                size_t olen;
                synth_err merr;
                if (synth_masker_cell(w->m, c, text, len, first_row + r, w->cell, &olen, &merr) != 0)
                    return SYNTH__MASK_FALLBACK; /* the reader path reports it with its line */
                text = w->cell;
                len = olen;
                cells++;
            } else if (f.len & SYNTH_CSV_FAST_QUOTED) {
                text = field_text(w, base, f, &len);
            }
            if (grow(&s->out, &s->out_cap, s->out_len + 2 * len + 4))
                return synth_err_set(&s->err, SYNTH_NOMEM, "out of memory");
            char *o = s->out + s->out_len;
            if (c > 0)
                *o++ = delim;
            if (text == NULL) {
                /* an unquoted field in the subset holds no delimiter, quote, CR or LF: as is */
                memcpy(o, base + f.off, len);
                o += len;
            } else if (len == 0 && lone) {
                *o++ = '"';
                *o++ = '"';
            } else {
                o += synth_csv_quote(o, text, len, delim);
            }
            s->out_len = (size_t)(o - s->out);
        }
        if (grow(&s->out, &s->out_cap, s->out_len + 1))
            return synth_err_set(&s->err, SYNTH_NOMEM, "out of memory");
        s->out[s->out_len++] = '\n';
    }
    s->nrows = nrows;
    s->cells = cells;
    return 0;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pipeline *p = w->p;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->next_take == p->submitted && !p->closing)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop || p->next_take == p->submitted)
            break;
        uint64_t seq = p->next_take++;
        mslot *s = &p->slots[seq % p->nslots];
        pthread_mutex_unlock(&p->mu);
        synth_err_clear(&s->err);
        int r = mask_block(w, s, seq);
        pthread_mutex_lock(&p->mu);
        s->result = r;
        s->state = SLOT_DONE;
        if (r != 0)
            p->stop = 1;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- the caller's thread: read, cut, hand out, write in order ------------------------------------ */

/* Read into buf[*len..cap) until it is full or the file ends (*eof = 1).  -1 on a read error. */
static int fill(int fd, unsigned char *buf, size_t *len, size_t cap, int *eof)
{
    while (*len < cap && !*eof) {
        ssize_t n = read(fd, buf + *len, cap - *len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            *eof = 1;
        *len += (size_t)n;
    }
    return 0;
}

static int grow_in(mslot *s, size_t need)
{
    if (s->in_cap >= need)
        return 0;
    size_t n = s->in_cap ? s->in_cap : 4096;
    while (n < need)
        n *= 2;
    unsigned char *nb = synth_realloc(s->in, n);
    if (nb == NULL)
        return SYNTH_NOMEM;
    s->in = nb;
    s->in_cap = n;
    return 0;
}

typedef struct reader_state {
    int fd;
    int eof;
    unsigned char *carry;      /* bytes read past the last cut (a record's start) */
    size_t limit;              /* a block never grows past this (a longer record cannot be valid) */
    size_t carry_len, carry_cap;
    uint64_t bytes;
} reader_state;

/* Fill slot s with the carry plus fresh bytes and cut it after its last whole record.  Returns 0
 * (s->in_len may be 0 at the end), SYNTH__MASK_FALLBACK or SYNTH_NOMEM. */
static int next_block(reader_state *rs, mslot *s, size_t block)
{
    size_t want = block > rs->carry_len ? block : rs->carry_len + 1;
    if (grow_in(s, want))
        return SYNTH_NOMEM;
    memcpy(s->in, rs->carry, rs->carry_len);
    s->in_len = rs->carry_len;
    rs->carry_len = 0;
    size_t cut;
    for (;;) {
        size_t before = s->in_len;
        if (fill(rs->fd, s->in, &s->in_len, want, &rs->eof) < 0)
            return SYNTH__MASK_FALLBACK; /* the reader reports the I/O error */
        rs->bytes += s->in_len - before;
        if (rs->eof) {
            cut = s->in_len;
            break;
        }
        cut = boundary(s->in, s->in_len, 0);
        if (cut > 0)
            break;
        /* one record longer than the block: grow it */
        if (want >= rs->limit)
            return SYNTH__MASK_FALLBACK; /* no valid record is that long: let the reader say why */
        want *= 2;
        if (grow_in(s, want))
            return SYNTH_NOMEM;
    }
    size_t tail = s->in_len - cut;
    if (tail > rs->carry_cap) {
        unsigned char *nc = synth_realloc(rs->carry, tail);
        if (nc == NULL)
            return SYNTH_NOMEM;
        rs->carry = nc;
        rs->carry_cap = tail;
    }
    memcpy(rs->carry, s->in + cut, tail);
    rs->carry_len = tail;
    s->in_len = cut;
    return 0;
}

/* Read past the BOM and the header record into rs->carry's remainder.  0, FALLBACK or NOMEM. */
static int skip_header(reader_state *rs, pipeline *p, mslot *s, size_t block)
{
    size_t want = block;
    if (grow_in(s, want))
        return SYNTH_NOMEM;
    s->in_len = 0;
    size_t cut;
    for (;;) {
        size_t before = s->in_len;
        if (fill(rs->fd, s->in, &s->in_len, want, &rs->eof) < 0)
            return SYNTH__MASK_FALLBACK;
        rs->bytes += s->in_len - before;
        size_t start = s->in_len >= 3 && memcmp(s->in, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        cut = boundary(s->in + start, s->in_len - start, 1);
        if (cut > 0 || rs->eof) {
            cut = cut > 0 ? start + cut : s->in_len;
            if (cut == start || s->in[start] == '\n')
                return SYNTH__MASK_FALLBACK; /* empty line before the header: leave it to the reader */
            fref *refs = synth_calloc(p->ncols, sizeof *refs);
            if (refs == NULL)
                return SYNTH_NOMEM;
            const unsigned char *next = NULL;
            int r = synth_csv_fast_record(&p->scan, s->in, s->in + start, s->in + cut, 1, &next, refs);
            synth_free(refs);
            if (r != 0)
                return SYNTH__MASK_FALLBACK;
            break;
        }
        if (want >= rs->limit)
            return SYNTH__MASK_FALLBACK; /* no valid record is that long: let the reader say why */
        want *= 2;
        if (grow_in(s, want))
            return SYNTH_NOMEM;
    }
    size_t tail = s->in_len - cut;
    rs->carry = synth_malloc(tail > 0 ? tail : 1);
    if (rs->carry == NULL)
        return SYNTH_NOMEM;
    memcpy(rs->carry, s->in + cut, tail);
    rs->carry_len = rs->carry_cap = tail;
    return 0;
}

static void stop_workers(pipeline *p, worker *w, size_t nw)
{
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < nw; i++) {
        if (w[i].started)
            pthread_join(w[i].th, NULL);
        w[i].started = 0;
    }
}

/* Write slot s (done, result 0) and count it. */
static int write_slot(mslot *s, synth_output *out, synth_mask_stats *st, synth_err *err)
{
    int rc = synth_output_write(out, s->out, s->out_len, err);
    if (rc)
        return rc;
    st->rows += s->nrows;
    st->cells_masked += s->cells;
    st->bytes_out += s->out_len;
    s->state = SLOT_FREE;
    return 0;
}

int synth__mask_csv_fast(const char *path, size_t ncols, synth_masker *const *maskers, size_t nworkers,
                         char delimiter, size_t max_field_bytes, synth_output *out, synth_mask_stats *stats,
                         synth_err *err)
{
    stats->rows = stats->cells_masked = stats->bytes_in = stats->bytes_out = 0;
    if (ncols == 0 || nworkers == 0 || max_field_bytes >= BLOCK_LIMIT)
        return SYNTH__MASK_FALLBACK;
    reader_state rs = {.fd = open(path, O_RDONLY | O_CLOEXEC)};
    if (rs.fd < 0)
        return SYNTH__MASK_FALLBACK;
    struct stat sb;
    if (fstat(rs.fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(rs.fd);
        return SYNTH__MASK_FALLBACK;
    }
    size_t block = block_size_override ? block_size_override : BLOCK_DEFAULT;
    /* the longest valid record: every field quoted with every byte a doubled quote */
    rs.limit = BLOCK_LIMIT;
    if (ncols < BLOCK_LIMIT / (2 * max_field_bytes + 3))
        rs.limit = ncols * (2 * max_field_bytes + 3) + block;
    if (rs.limit > BLOCK_LIMIT)
        rs.limit = BLOCK_LIMIT;
    pipeline p;
    memset(&p, 0, sizeof p);
    p.ncols = ncols;
    p.delim = delimiter;
    synth_csv_fast_init(&p.scan, delimiter, ncols, max_field_bytes, NULL);
    p.nslots = nworkers + 2;
    worker *w = synth_calloc(nworkers, sizeof *w);
    p.slots = synth_calloc(p.nslots, sizeof *p.slots);
    p.masked = synth_calloc(ncols, 1);
    p.fpe = synth_calloc(ncols, sizeof *p.fpe);
    int rc = SYNTH_NOMEM, sync = 0;
    uint64_t written = 0;
    if (w == NULL || p.slots == NULL || p.masked == NULL || p.fpe == NULL)
        goto out;
    for (size_t c = 0; c < ncols; c++) {
        p.masked[c] = (unsigned char)synth_masker_masks(maskers[0], c);
        p.fpe[c] = synth__masker_is_fpe(maskers[0], c) ? (int)p.nfpe++ : -1;
    }
    for (size_t i = 0; i < nworkers; i++) {
        w[i].p = &p;
        w[i].m = maskers[i];
        w[i].scratch_cap = max_field_bytes + 1;
        if ((w[i].scratch = synth_malloc(w[i].scratch_cap)) == NULL)
            goto out;
    }
    rc = skip_header(&rs, &p, &p.slots[0], block);
    if (rc)
        goto out;
    if (pthread_mutex_init(&p.mu, NULL) != 0)
        goto out;
    if (pthread_cond_init(&p.cv, NULL) != 0) {
        pthread_mutex_destroy(&p.mu);
        goto out;
    }
    sync = 1;
    for (size_t i = 0; i < nworkers; i++) {
        if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0) {
            rc = SYNTH__MASK_FALLBACK;
            goto out;
        }
        w[i].started = 1;
    }
    uint64_t seq = 0;
    rc = 0;
    for (;;) {
        mslot *s = &p.slots[seq % p.nslots];
        pthread_mutex_lock(&p.mu);
        /* the slot for block seq is free once block seq - nslots is written; write the oldest
         * done blocks meanwhile */
        while (!p.stop && s->state != SLOT_FREE) {
            mslot *o = &p.slots[written % p.nslots];
            if (o->state != SLOT_DONE) {
                pthread_cond_wait(&p.cv, &p.mu);
                continue;
            }
            pthread_mutex_unlock(&p.mu);
            rc = write_slot(o, out, stats, err);
            pthread_mutex_lock(&p.mu);
            if (rc) {
                p.stop = 1;
                break;
            }
            written++;
        }
        int stopped = p.stop;
        pthread_mutex_unlock(&p.mu);
        if (stopped)
            break;
        if (synth_signals_interrupted()) {
            rc = synth_err_set(err, SYNTH_INTERRUPTED, "%s: interrupted", path);
            break;
        }
        rc = next_block(&rs, s, block);
        if (rc)
            break;
        if (s->in_len == 0)
            break; /* the end */
        pthread_mutex_lock(&p.mu);
        s->state = SLOT_READY;
        p.submitted = ++seq;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
    }
    if (rc == 0) {
        /* let the workers finish what they have, then stop them */
        pthread_mutex_lock(&p.mu);
        p.closing = 1;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
        for (size_t i = 0; i < nworkers; i++) {
            pthread_join(w[i].th, NULL);
            w[i].started = 0;
        }
    } else {
        stop_workers(&p, w, nworkers);
    }
    /* no thread runs now: write the done blocks in order up to the first that failed or is
     * missing; a fallback there leaves the rest to the reader */
    while (rc == 0 && written < seq) {
        mslot *o = &p.slots[written % p.nslots];
        if (o->state != SLOT_DONE || o->result == FAST_ABORTED || o->result == SYNTH__MASK_FALLBACK) {
            rc = SYNTH__MASK_FALLBACK;
            break;
        }
        if (o->result < 0) {
            *err = o->err;
            rc = o->result;
            break;
        }
        rc = write_slot(o, out, stats, err);
        written++;
    }
    if (rc == 0)
        stats->bytes_in = rs.bytes;
out:
    last_fast_rows = stats->rows;
    if (rc == SYNTH_NOMEM && err->code != SYNTH_NOMEM)
        synth_err_set(err, SYNTH_NOMEM, "%s: out of memory while masking", path);
    if (sync) {
        stop_workers(&p, w, nworkers);
        pthread_cond_destroy(&p.cv);
        pthread_mutex_destroy(&p.mu);
    }
    close(rs.fd);
    if (rs.carry != NULL)
        OPENSSL_cleanse(rs.carry, rs.carry_cap);
    synth_free(rs.carry);
    for (size_t i = 0; p.slots != NULL && i < p.nslots; i++) {
        mslot *s = &p.slots[i];
        if (s->in != NULL)
            OPENSSL_cleanse(s->in, s->in_cap);
        if (s->out != NULL)
            OPENSSL_cleanse(s->out, s->out_cap);
        synth_free(s->in);
        synth_free(s->out);
    }
    for (size_t i = 0; w != NULL && i < nworkers; i++) {
        if (w[i].scratch != NULL)
            OPENSSL_cleanse(w[i].scratch, w[i].scratch_cap);
        if (w[i].cell != NULL)
            OPENSSL_cleanse(w[i].cell, w[i].cell_cap);
        synth_free(w[i].scratch);
        synth_free(w[i].cell);
        synth_free(w[i].refs);
        if (w[i].dig != NULL)
            OPENSSL_cleanse(w[i].dig, w[i].dig_cap * sizeof *w[i].dig);
        synth_free(w[i].dig);
        synth_free(w[i].dpos);
        synth_free(w[i].dn);
    }
    synth_free(w);
    synth_free(p.slots);
    synth_free(p.masked);
    synth_free(p.fpe);
    return rc;
}
