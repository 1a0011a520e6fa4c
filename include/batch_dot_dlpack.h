/*
 * batch_dot_dlpack.h: libbatch_dot's compute call on DLPack tensors.
 *
 * Written by hand (batch_dot.h is generated and names no DLPack type); a
 * test compiles it against <dlpack/dlpack.h> and checks the prototype.
 * Include it after, or instead of, batch_dot.h. <dlpack/dlpack.h> is the
 * caller's: libbatch_dot is built without it and needs none at run time.
 * DLPack 0.6 to 1.x share the DLTensor layout this library reads (48 bytes
 * on 64-bit targets: data, device {device_type, device_id}, ndim,
 * dtype {code, bits, lanes}, shape, strides, byte_offset).
 *
 * The full contract is docs/API.md, section "DLPack".
 */
#ifndef BATCH_DOT_DLPACK_H
#define BATCH_DOT_DLPACK_H

#include <stdint.h>

#include <dlpack/dlpack.h>

#include "batch_dot.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * `out = batch_dot(x, y, axes)` on DLPack tensors: each DLTensor is mapped
 * onto a dtype code and a layout, and the call is then exactly
 * batch_dot_compute's (same statuses, messages and check order, same
 * results bit for bit). `options` may be NULL.
 *
 * What is DLPack's own, in docs/API.md's check order:
 * - step 1 (NULL_POINTER): x, y or out NULL ("x is NULL: a DLTensor is
 *   required."); then a NULL `shape` with ndim > 0.
 * - step 1b (UNSUPPORTED_DTYPE): a dtype other than {kDLFloat, 16|32|64, 1},
 *   {kDLBfloat, 16, 1}, {kDLInt, 8|32, 1}, {kDLUInt, 8, 1} (lanes must be
 *   1); then a combination batch_dot_compute does not run: (f32, f32, f32),
 *   (f64, f64, f64), (bf16, bf16, bf16|f32), (f16, f16, f16|f32),
 *   (int8, int8, int32), (uint8, int8, int32), as its table says for this
 *   build.
 * - step 2 (INVALID_ARGUMENT), tensor by tensor, before the options:
 *   `device.device_type` other than kDLCPU (1) or kDLCUDAHost (3);
 *   `byte_offset` above INT64_MAX or `data + byte_offset` above
 *   UINTPTR_MAX; a tensor with elements reaching a byte below address 0 or
 *   above UINTPTR_MAX.
 * - ndim outside 0..16 is INVALID_RANK (step 3); `strides == NULL` means
 *   compact row-major; `byte_offset` is honoured and must keep the first
 *   element aligned to its size (INVALID_ARGUMENT at step 9, as a
 *   misaligned data pointer: the address named is that of the lowest
 *   element the tensor reaches).
 *
 * What the library cannot check: a DLTensor says nothing about the size of
 * the buffer behind it. So here, and only here, the library takes the
 * tensor's own reach as what the caller owns: exactly the elements the
 * tensor's shape and strides reach from `data + byte_offset` (negative
 * strides included). It still proves that no offset, in elements or bytes,
 * overflows int64 (OVERFLOW), that out reaches no element twice and shares
 * no byte with x or y (ALIASING), and that every data pointer is non-NULL
 * and aligned; but a tensor that describes memory its owner does not have
 * is read (or, for out, written) all the same, as it would be by any
 * DLPack consumer.
 *
 * The data are read in place: on the host (kDLCPU), or in pinned host
 * memory (kDLCUDAHost) that the caller has synchronised with the device.
 * Nothing is written on error; only the elements out reaches are written.
 */
int32_t batch_dot_dlpack(const DLTensor *x, const DLTensor *y,
                         int64_t axis_x, int64_t axis_y,
                         const DLTensor *out, const batch_dot_options *options);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* BATCH_DOT_DLPACK_H */
