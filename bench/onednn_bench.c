/* oneDNN's matmul as a column of bench/bench_batch_dot.py (--dtype int8).
 *
 * bench_batch_dot.py builds this file at run time with `cc -O2 -shared
 * -fPIC` and loads it with ctypes after it has loaded libdnnl.so.3 with
 * RTLD_GLOBAL, which resolves the dnnl_* symbols below. The PyPI wheels of
 * oneDNN (`pip install onednn-cpu-gomp`) ship the library without its
 * headers, so the few types and functions used here are declared by hand,
 * as oneDNN 3.x's include/oneapi/dnnl/dnnl.h and dnnl_types.h (or
 * dnnl_common_types.h) declare them; the ABI of these has not changed
 * across 3.x.
 *
 * One primitive per case and data type: created once (outside the timing)
 * with the case's sizes and strides, then bench_onednn_exec runs it once
 * (execute + stream wait) on the buffers given at creation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- from oneDNN 3.x's public C API (dnnl_types.h, dnnl.h) --- */
typedef int64_t dnnl_dim_t;
#define DNNL_MAX_NDIMS 12
typedef dnnl_dim_t dnnl_dims_t[DNNL_MAX_NDIMS];

typedef enum {
    dnnl_success = 0,
    dnnl_out_of_memory = 1,
    dnnl_invalid_arguments = 2,
    dnnl_unimplemented = 3,
    dnnl_last_impl_reached = 4,
    dnnl_runtime_error = 5,
    dnnl_not_required = 6,
} dnnl_status_t;

typedef enum {
    dnnl_data_type_undef = 0,
    dnnl_f16 = 1,
    dnnl_bf16 = 2,
    dnnl_f32 = 3,
    dnnl_s32 = 4,
    dnnl_s8 = 5,
    dnnl_u8 = 6,
} dnnl_data_type_t;

typedef enum { dnnl_any_engine = 0, dnnl_cpu = 1, dnnl_gpu = 2 } dnnl_engine_kind_t;
typedef enum { dnnl_stream_in_order = 0x1U, dnnl_stream_default_flags = 0x1U } dnnl_stream_flags_t;
/* dnnl_query_t: undef 0, engine, primitive_kind, num_of_inputs_s32,
 * num_of_outputs_s32, time_estimate_f64, memory_consumption_s64,
 * scratchpad_engine, impl_info_str (8). */
typedef enum { dnnl_query_impl_info_str = 8 } dnnl_query_t;

#define DNNL_ARG_SRC 1
#define DNNL_ARG_DST 17
#define DNNL_ARG_WEIGHTS 33

typedef struct dnnl_engine *dnnl_engine_t;
typedef struct dnnl_stream *dnnl_stream_t;
typedef struct dnnl_memory_desc *dnnl_memory_desc_t;
typedef const struct dnnl_memory_desc *const_dnnl_memory_desc_t;
typedef struct dnnl_memory *dnnl_memory_t;
typedef struct dnnl_primitive_desc *dnnl_primitive_desc_t;
typedef const struct dnnl_primitive_desc *const_dnnl_primitive_desc_t;
typedef struct dnnl_primitive *dnnl_primitive_t;
typedef const struct dnnl_primitive *const_dnnl_primitive_t;
typedef const struct dnnl_primitive_attr *const_dnnl_primitive_attr_t;

typedef struct {
    int arg;
    dnnl_memory_t memory;
} dnnl_exec_arg_t;

typedef struct {
    int major;
    int minor;
    int patch;
    const char *hash;
    unsigned cpu_runtime;
    unsigned gpu_runtime;
} dnnl_version_t;

dnnl_status_t dnnl_engine_create(dnnl_engine_t *engine, dnnl_engine_kind_t kind, size_t index);
dnnl_status_t dnnl_engine_destroy(dnnl_engine_t engine);
dnnl_status_t dnnl_stream_create(dnnl_stream_t *stream, dnnl_engine_t engine, unsigned flags);
dnnl_status_t dnnl_stream_wait(dnnl_stream_t stream);
dnnl_status_t dnnl_stream_destroy(dnnl_stream_t stream);
dnnl_status_t dnnl_memory_desc_create_with_strides(dnnl_memory_desc_t *memory_desc, int ndims,
                                                   const dnnl_dims_t dims, dnnl_data_type_t data_type,
                                                   const dnnl_dims_t strides);
dnnl_status_t dnnl_memory_desc_destroy(dnnl_memory_desc_t memory_desc);
dnnl_status_t dnnl_memory_create(dnnl_memory_t *memory, const_dnnl_memory_desc_t memory_desc, dnnl_engine_t engine,
                                 void *handle);
dnnl_status_t dnnl_memory_destroy(dnnl_memory_t memory);
dnnl_status_t dnnl_matmul_primitive_desc_create(dnnl_primitive_desc_t *primitive_desc, dnnl_engine_t engine,
                                                const_dnnl_memory_desc_t src_desc,
                                                const_dnnl_memory_desc_t weights_desc,
                                                const_dnnl_memory_desc_t bias_desc,
                                                const_dnnl_memory_desc_t dst_desc,
                                                const_dnnl_primitive_attr_t attr);
dnnl_status_t dnnl_primitive_desc_query(const_dnnl_primitive_desc_t primitive_desc, dnnl_query_t what, int index,
                                        void *result);
dnnl_status_t dnnl_primitive_desc_destroy(dnnl_primitive_desc_t primitive_desc);
dnnl_status_t dnnl_primitive_create(dnnl_primitive_t *primitive, const_dnnl_primitive_desc_t primitive_desc);
dnnl_status_t dnnl_primitive_execute(const_dnnl_primitive_t primitive, dnnl_stream_t stream, int nargs,
                                     const dnnl_exec_arg_t *args);
dnnl_status_t dnnl_primitive_destroy(dnnl_primitive_t primitive);
const dnnl_version_t *dnnl_version(void);
/* --- end of the declarations from oneDNN --- */

static dnnl_engine_t engine;
static dnnl_stream_t stream;

static const char *status_name(dnnl_status_t s) {
    switch (s) {
    case dnnl_success: return "success";
    case dnnl_out_of_memory: return "out_of_memory";
    case dnnl_invalid_arguments: return "invalid_arguments";
    case dnnl_unimplemented: return "unimplemented";
    case dnnl_last_impl_reached: return "last_impl_reached";
    case dnnl_runtime_error: return "runtime_error";
    case dnnl_not_required: return "not_required";
    }
    return "unknown status";
}

/* The CPU engine and a stream, once; writes oneDNN's version to `info`.
 * Returns 0, or the failing dnnl_status_t (and a message in `info`). */
int bench_onednn_init(char *info, size_t len) {
    dnnl_status_t s;
    if (engine == NULL) {
        if ((s = dnnl_engine_create(&engine, dnnl_cpu, 0)) != dnnl_success) {
            snprintf(info, len, "dnnl_engine_create: %s", status_name(s));
            return (int)s;
        }
        if ((s = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags)) != dnnl_success) {
            snprintf(info, len, "dnnl_stream_create: %s", status_name(s));
            return (int)s;
        }
    }
    const dnnl_version_t *v = dnnl_version();
    snprintf(info, len, "oneDNN %d.%d.%d (%s), cpu runtime %#x", v->major, v->minor, v->patch,
             v->hash ? v->hash : "?", v->cpu_runtime);
    return 0;
}

typedef struct {
    dnnl_primitive_t prim;
    dnnl_memory_t mem[3];
    dnnl_exec_arg_t args[3];
} bench_onednn_mm;

/* A matmul dst[b] = src[b] · weights[b] over b < dims[0] (dims = batch, M,
 * N, K; strides in elements, per dimension of the 3-d tensors src (batch,
 * M, K), weights (batch, K, N) and dst (batch, M, N)), with data types
 * (src, weights, dst) = (u8, s8, s32) when `kind` is 0, f32 when it is 1,
 * on the buffers given. Returns the primitive, or NULL with the reason in
 * `info`; on success `info` holds the implementation oneDNN chose. */
void *bench_onednn_create(int kind, const int64_t *dims, const int64_t *src_st, const int64_t *wei_st,
                          const int64_t *dst_st, void *src, void *wei, void *dst, char *info, size_t len) {
    dnnl_dims_t sd = {dims[0], dims[1], dims[3]}, wd = {dims[0], dims[3], dims[2]}, dd = {dims[0], dims[1], dims[2]};
    dnnl_dims_t ss = {src_st[0], src_st[1], src_st[2]}, ws = {wei_st[0], wei_st[1], wei_st[2]},
                ds = {dst_st[0], dst_st[1], dst_st[2]};
    dnnl_data_type_t ts = kind == 0 ? dnnl_u8 : dnnl_f32, tw = kind == 0 ? dnnl_s8 : dnnl_f32,
                     td = kind == 0 ? dnnl_s32 : dnnl_f32;
    dnnl_memory_desc_t md[3] = {NULL, NULL, NULL};
    dnnl_primitive_desc_t pd = NULL;
    bench_onednn_mm *h = NULL;
    dnnl_status_t s;
    const char *what = "";
    if (engine == NULL) {
        snprintf(info, len, "bench_onednn_init was not called");
        return NULL;
    }
    if ((s = dnnl_memory_desc_create_with_strides(&md[0], 3, sd, ts, ss)) != dnnl_success ||
        (s = dnnl_memory_desc_create_with_strides(&md[1], 3, wd, tw, ws)) != dnnl_success ||
        (s = dnnl_memory_desc_create_with_strides(&md[2], 3, dd, td, ds)) != dnnl_success) {
        what = "dnnl_memory_desc_create_with_strides";
        goto fail;
    }
    if ((s = dnnl_matmul_primitive_desc_create(&pd, engine, md[0], md[1], NULL, md[2], NULL)) != dnnl_success) {
        what = "dnnl_matmul_primitive_desc_create";
        goto fail;
    }
    h = calloc(1, sizeof *h);
    if (h == NULL) {
        s = dnnl_out_of_memory;
        what = "calloc";
        goto fail;
    }
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success || impl == NULL)
        impl = "?";
    snprintf(info, len, "%s", impl);
    if ((s = dnnl_primitive_create(&h->prim, pd)) != dnnl_success) {
        what = "dnnl_primitive_create";
        goto fail;
    }
    void *bufs[3] = {src, wei, dst};
    const int ids[3] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
    for (int i = 0; i < 3; i++) {
        if ((s = dnnl_memory_create(&h->mem[i], md[i], engine, bufs[i])) != dnnl_success) {
            what = "dnnl_memory_create";
            goto fail;
        }
        h->args[i].arg = ids[i];
        h->args[i].memory = h->mem[i];
    }
    dnnl_primitive_desc_destroy(pd);
    for (int i = 0; i < 3; i++)
        dnnl_memory_desc_destroy(md[i]);
    return h;
fail:
    snprintf(info, len, "%s: %s", what, status_name(s));
    if (h != NULL) {
        for (int i = 0; i < 3; i++)
            if (h->mem[i] != NULL)
                dnnl_memory_destroy(h->mem[i]);
        if (h->prim != NULL)
            dnnl_primitive_destroy(h->prim);
        free(h);
    }
    if (pd != NULL)
        dnnl_primitive_desc_destroy(pd);
    for (int i = 0; i < 3; i++)
        if (md[i] != NULL)
            dnnl_memory_desc_destroy(md[i]);
    return NULL;
}

/* One run: execute, then wait for the stream. Returns the dnnl_status_t. */
int bench_onednn_exec(void *p) {
    bench_onednn_mm *h = p;
    dnnl_status_t s = dnnl_primitive_execute(h->prim, stream, 3, h->args);
    if (s != dnnl_success)
        return (int)s;
    return (int)dnnl_stream_wait(stream);
}

void bench_onednn_destroy(void *p) {
    bench_onednn_mm *h = p;
    if (h == NULL)
        return;
    for (int i = 0; i < 3; i++)
        dnnl_memory_destroy(h->mem[i]);
    dnnl_primitive_destroy(h->prim);
    free(h);
}
