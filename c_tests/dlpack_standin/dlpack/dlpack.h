/*
 * A stand-in for DLPack's <dlpack/dlpack.h> (https://github.com/dmlc/dlpack),
 * for machines without libdlpack-dev: only the fields and values libbatch_dot
 * reads, with DLPack's names and ABI (DLPack 0.6 to 1.x share this DLTensor).
 * The C test harness (c_tests/build.rs, scripts/suites/10- and 20-c-harness-*)
 * and tests/header.rs put this directory on the include path only after the
 * system's, so an installed <dlpack/dlpack.h> always wins.
 */
#ifndef DLPACK_STAND_IN_H
#define DLPACK_STAND_IN_H
#include <stdint.h>
typedef enum { kDLCPU = 1, kDLCUDA = 2, kDLCUDAHost = 3 } DLDeviceType;
typedef struct { DLDeviceType device_type; int32_t device_id; } DLDevice;
typedef enum { kDLInt = 0U, kDLUInt = 1U, kDLFloat = 2U, kDLBfloat = 4U } DLDataTypeCode;
typedef struct { uint8_t code; uint8_t bits; uint16_t lanes; } DLDataType;
typedef struct {
    void *data;
    DLDevice device;
    int32_t ndim;
    DLDataType dtype;
    int64_t *shape;
    int64_t *strides;
    uint64_t byte_offset;
} DLTensor;
#endif
