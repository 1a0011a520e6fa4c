/*
 * dlpack_consumer.c: a C program that hands DLPack tensors (Debian's
 * libdlpack-dev <dlpack/dlpack.h>) to batch_dot_dlpack, as an engine would.
 * Built and run under AddressSanitizer and UndefinedBehaviorSanitizer by
 * scripts/suites/12-dlpack.sh.
 *
 * Every dtype row of docs/API.md's table on (2, 3, 4)·(2, 4, 5) with small
 * integer values (every sum exact in every dtype), against an int64 loop;
 * tensors with NULL strides, explicit (transposed) strides, a byte_offset,
 * negative strides, kDLCUDAHost; and the rejections: a device, lanes = 2,
 * unsupported bits, ndim 17, a misaligned byte_offset, out aliasing an
 * input, NULL tensors and shapes. Prints one line per failure and
 * "dlpack_consumer: N checks, N failed"; exits 1 on any failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_dot_dlpack.h"

_Static_assert(sizeof(void *) != 8 || sizeof(DLTensor) == 48, "DLTensor is the ABI's");

static int checks, failures;

static void check(int ok, const char *what)
{
    checks++;
    if (!ok) {
        failures++;
        printf("FAILED: %s\n", what);
    }
}

static const char *message(void)
{
    static char buf[1024];
    batch_dot_last_error_message(buf, sizeof buf);
    return buf;
}

static void expect(int32_t got, int32_t want, const char *what, const char *fragment)
{
    char line[1400];
    snprintf(line, sizeof line, "%s: status %d (%s), expected %d; message: %s", what, (int)got,
             batch_dot_status_string(got), (int)want, message());
    check(got == want, line);
    if (fragment != NULL && got == want) {
        snprintf(line, sizeof line, "%s: message \"%s\" lacks \"%s\"", what, message(), fragment);
        check(strstr(message(), fragment) != NULL, line);
    }
}

/* Element types by DLPack dtype. */
typedef struct {
    DLDataType dt;
    size_t size;
    const char *name;
} dtype;

static const dtype F32 = {{kDLFloat, 32, 1}, 4, "float32"};
static const dtype F64 = {{kDLFloat, 64, 1}, 8, "float64"};
static const dtype F16 = {{kDLFloat, 16, 1}, 2, "float16"};
static const dtype BF16 = {{kDLBfloat, 16, 1}, 2, "bfloat16"};
static const dtype S8 = {{kDLInt, 8, 1}, 1, "int8"};
static const dtype U8 = {{kDLUInt, 8, 1}, 1, "uint8"};
static const dtype S32 = {{kDLInt, 32, 1}, 4, "int32"};

/* Small integers (|v| <= 2048) in each dtype, and back. */
static uint16_t f16_of(int v)
{
    uint16_t s = v < 0 ? 0x8000 : 0;
    unsigned a = (unsigned)(v < 0 ? -v : v), e = 0;
    if (a == 0) return s;
    while ((a >> e) > 1) e++;
    return (uint16_t)(s | ((e + 15) << 10) | (((a << 10) >> e) & 0x3ff));
}

static double f16_value(uint16_t h)
{
    int e = (h >> 10) & 0x1f;
    double m = (h & 0x3ff) / 1024.0;
    double v = e == 0 ? m * (1.0 / 16384) : (1.0 + m) * (double)(1u << e) / 32768.0;
    return h & 0x8000 ? -v : v;
}

static void put(const dtype *t, void *base, int64_t i, int v)
{
    char *p = (char *)base + i * (int64_t)t->size;
    if (t == &F32) { float f = (float)v; memcpy(p, &f, 4); }
    else if (t == &F64) { double d = v; memcpy(p, &d, 8); }
    else if (t == &F16) { uint16_t h = f16_of(v); memcpy(p, &h, 2); }
    else if (t == &BF16) { float f = (float)v; uint32_t b; memcpy(&b, &f, 4); uint16_t h = (uint16_t)(b >> 16); memcpy(p, &h, 2); }
    else if (t == &S8) { int8_t c = (int8_t)v; memcpy(p, &c, 1); }
    else if (t == &U8) { uint8_t c = (uint8_t)v; memcpy(p, &c, 1); }
    else { int32_t c = v; memcpy(p, &c, 4); }
}

static double get(const dtype *t, const void *base, int64_t i)
{
    const char *p = (const char *)base + i * (int64_t)t->size;
    if (t == &F32) { float f; memcpy(&f, p, 4); return f; }
    if (t == &F64) { double d; memcpy(&d, p, 8); return d; }
    if (t == &F16) { uint16_t h; memcpy(&h, p, 2); return f16_value(h); }
    if (t == &BF16) { uint16_t h; memcpy(&h, p, 2); uint32_t b = (uint32_t)h << 16; float f; memcpy(&f, &b, 4); return f; }
    if (t == &S8) { int8_t c; memcpy(&c, p, 1); return c; }
    if (t == &U8) { uint8_t c; memcpy(&c, p, 1); return c; }
    { int32_t c; memcpy(&c, p, 4); return c; }
}

/* The call: x (B, M, K), y (B, K, N), out (B, M, N). */
enum { B = 2, M = 3, K = 4, N = 5 };

typedef struct {
    const dtype *t;
    void *buf;          /* malloc'd, what the tensor reaches (and slack) */
    int64_t shape[3];
    int64_t strides[3];
    DLTensor dl;
} tensor;

/* A tensor of extents (a, b, c) with logical element [i][j][l] at
 * buf + byte_offset + (i*s0 + j*s1 + l*s2)*size; strides NULL when
 * `null_strides`. `order` picks the storage: 0 row-major, 1 the last two
 * dimensions swapped, 2 every dimension reversed (negative strides, the
 * byte_offset at the last element). */
static void make(tensor *t, const dtype *ty, int64_t a, int64_t b, int64_t c, int order,
                 int null_strides, int64_t extra_offset_elems)
{
    int64_t n = a * b * c;
    memset(t, 0, sizeof *t);
    t->t = ty;
    t->shape[0] = a; t->shape[1] = b; t->shape[2] = c;
    if (order == 0) { t->strides[0] = b * c; t->strides[1] = c; t->strides[2] = 1; }
    else if (order == 1) { t->strides[0] = b * c; t->strides[1] = 1; t->strides[2] = b; }
    else { t->strides[0] = -b * c; t->strides[1] = -c; t->strides[2] = -1; }
    t->buf = calloc((size_t)(n + extra_offset_elems), ty->size);
    if (t->buf == NULL) { perror("calloc"); exit(2); }
    t->dl.data = t->buf;
    t->dl.device.device_type = kDLCPU;
    t->dl.device.device_id = 0;
    t->dl.ndim = 3;
    t->dl.dtype = ty->dt;
    t->dl.shape = t->shape;
    t->dl.strides = null_strides ? NULL : t->strides;
    t->dl.byte_offset = (uint64_t)((extra_offset_elems + (order == 2 ? n - 1 : 0)) * (int64_t)ty->size);
}

static int64_t at(const tensor *t, int64_t i, int64_t j, int64_t l)
{
    return (int64_t)(t->dl.byte_offset / t->t->size) + i * t->strides[0] + j * t->strides[1] +
           l * t->strides[2];
}

static int value(int64_t i, int64_t j, int64_t l, int which, int unsigned_x)
{
    int v = (int)((i * 7 + j * 5 + l * 3 + which * 11) % 9) - 4; /* -4..4 */
    return unsigned_x ? v + 4 : v;                                    /* 0..8 */
}

static void release(tensor *t) { free(t->buf); t->buf = NULL; }

/* One row of the table, with x and y stored as `ox`/`oy`, out row-major. */
static void row(const dtype *tx, const dtype *ty, const dtype *to, int ox, int oy, int null_x,
                int64_t off_x, int device)
{
    tensor x, y, o;
    char what[256];
    int unsigned_x = tx == &U8;
    make(&x, tx, B, M, K, ox, null_x && ox == 0, off_x);
    make(&y, ty, B, K, N, oy, 0, 0);
    make(&o, to, B, M, N, 0, 1, 0);
    x.dl.device.device_type = device;
    for (int64_t i = 0; i < B; i++)
        for (int64_t j = 0; j < M; j++)
            for (int64_t l = 0; l < K; l++) put(tx, x.buf, at(&x, i, j, l), value(i, j, l, 0, unsigned_x));
    for (int64_t i = 0; i < B; i++)
        for (int64_t j = 0; j < K; j++)
            for (int64_t l = 0; l < N; l++) put(ty, y.buf, at(&y, i, j, l), value(i, j, l, 1, 0));
    snprintf(what, sizeof what, "(%s, %s, %s) x order %d%s offset %lld device %d, y order %d",
             tx->name, ty->name, to->name, ox, null_x ? " NULL strides" : "", (long long)off_x,
             device, oy);
    int32_t s = batch_dot_dlpack(&x.dl, &y.dl, BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_AXIS_DEFAULT, &o.dl, NULL);
    expect(s, BATCH_DOT_STATUS_OK, what, NULL);
    if (s == BATCH_DOT_STATUS_OK) {
        int bad = 0;
        for (int64_t i = 0; i < B; i++)
            for (int64_t j = 0; j < M; j++)
                for (int64_t l = 0; l < N; l++) {
                    int64_t want = 0;
                    for (int64_t k = 0; k < K; k++)
                        want += (int64_t)value(i, j, k, 0, unsigned_x) * value(i, k, l, 1, 0);
                    bad += get(to, o.buf, at(&o, i, j, l)) != (double)want;
                }
        char line[320];
        snprintf(line, sizeof line, "%s: %d wrong elements", what, bad);
        check(bad == 0, line);
    }
    release(&x); release(&y); release(&o);
}

/* A valid f32 call to break one field of at a time. */
typedef struct { tensor x, y, o; } call3;

static void setup(call3 *c)
{
    make(&c->x, &F32, B, M, K, 0, 0, 0);
    make(&c->y, &F32, B, K, N, 0, 1, 0);
    make(&c->o, &F32, B, M, N, 0, 1, 0);
}

static int32_t run(call3 *c)
{
    return batch_dot_dlpack(&c->x.dl, &c->y.dl, BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_AXIS_DEFAULT,
                            &c->o.dl, NULL);
}

static void teardown(call3 *c) { release(&c->x); release(&c->y); release(&c->o); }

int main(void)
{
    const dtype *rows[][3] = {{&F32, &F32, &F32}, {&F64, &F64, &F64}, {&BF16, &BF16, &BF16},
                              {&BF16, &BF16, &F32}, {&F16, &F16, &F16}, {&F16, &F16, &F32},
                              {&S8, &S8, &S32}, {&U8, &S8, &S32}};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        row(rows[r][0], rows[r][1], rows[r][2], 0, 0, 1, 0, kDLCPU);  /* NULL strides */
        row(rows[r][0], rows[r][1], rows[r][2], 1, 1, 0, 0, kDLCPU);  /* transposed storage */
        row(rows[r][0], rows[r][1], rows[r][2], 0, 2, 1, 3, kDLCPU);  /* byte_offset; y reversed */
        row(rows[r][0], rows[r][1], rows[r][2], 2, 0, 0, 0, kDLCUDAHost); /* negative strides */
    }

    call3 c;
    setup(&c); expect(run(&c), BATCH_DOT_STATUS_OK, "valid f32 call", NULL); teardown(&c);

    setup(&c); c.y.dl.device.device_type = kDLCUDA;
    expect(run(&c), BATCH_DOT_STATUS_INVALID_ARGUMENT, "kDLCUDA", "y.device.device_type = 2");
    teardown(&c);

    setup(&c); c.x.dl.dtype.lanes = 2;
    expect(run(&c), BATCH_DOT_STATUS_UNSUPPORTED_DTYPE, "lanes = 2",
           "x.dtype = {code=2, bits=32, lanes=2}");
    teardown(&c);

    setup(&c); c.o.dl.dtype.bits = 8;
    expect(run(&c), BATCH_DOT_STATUS_UNSUPPORTED_DTYPE, "float8", "out.dtype = {code=2, bits=8, lanes=1}");
    teardown(&c);

    setup(&c); c.o.dl.dtype = F64.dt;
    expect(run(&c), BATCH_DOT_STATUS_UNSUPPORTED_DTYPE, "(f32, f32, f64)",
           "the combination (x float32, y float32, out float64) is not supported");
    teardown(&c);

    {
        int64_t shape17[17];
        for (int i = 0; i < 17; i++) shape17[i] = 1;
        setup(&c); c.x.dl.ndim = 17; c.x.dl.shape = shape17; c.x.dl.strides = NULL;
        expect(run(&c), BATCH_DOT_STATUS_INVALID_RANK, "ndim 17", "x.ndim = 17 is outside 0..16");
        teardown(&c);
    }

    setup(&c); c.y.dl.byte_offset = 2;
    expect(run(&c), BATCH_DOT_STATUS_INVALID_ARGUMENT, "misaligned byte_offset", "is not aligned to 4 bytes");
    teardown(&c);

    setup(&c); c.y.dl.byte_offset = (uint64_t)1 << 63;
    expect(run(&c), BATCH_DOT_STATUS_INVALID_ARGUMENT, "byte_offset 2^63", "y.byte_offset = 9223372036854775808");
    teardown(&c);

    setup(&c); c.o.dl.data = c.x.dl.data;
    expect(run(&c), BATCH_DOT_STATUS_ALIASING, "out aliasing x", NULL);
    teardown(&c);

    setup(&c); c.x.dl.shape = NULL;
    expect(run(&c), BATCH_DOT_STATUS_NULL_POINTER, "NULL shape", "x.shape is NULL, but ndim = 3.");
    teardown(&c);

    setup(&c); c.y.dl.data = NULL;
    expect(run(&c), BATCH_DOT_STATUS_NULL_POINTER, "NULL data", "y_data is NULL");
    teardown(&c);

    setup(&c);
    expect(batch_dot_dlpack(&c.x.dl, NULL, 1, 1, &c.o.dl, NULL), BATCH_DOT_STATUS_NULL_POINTER,
           "NULL y", "y is NULL: a DLTensor is required.");
    teardown(&c);

    setup(&c); c.o.shape[2] = 6;
    expect(run(&c), BATCH_DOT_STATUS_OUTPUT_SHAPE, "out shape", NULL);
    teardown(&c);

    printf("dlpack_consumer: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
