// The DLTensor overload of batch_dot::compute (batch_dot_dlpack), against
// naive loops in int64 and double. Built by CMakeLists.txt beside it when
// <dlpack/dlpack.h> and batch_dot_dlpack.h are found. This file includes
// <dlpack/dlpack.h> before batch_dot.hpp; dlpack_macro.cpp instead defines
// BATCH_DOT_WITH_DLPACK and includes batch_dot.hpp alone.
#include <dlpack/dlpack.h>

#include "batch_dot.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

static_assert(BATCH_DOT_HPP_DLPACK == 1, "batch_dot.hpp sees <dlpack/dlpack.h>");

// dlpack_macro.cpp: the same overload, reached through BATCH_DOT_WITH_DLPACK.
int dlpack_macro_check();

namespace {

int failures = 0;
int checks = 0;

#define EXPECT(cond)                                                                       \
    do {                                                                                   \
        ++checks;                                                                          \
        if (!(cond)) {                                                                     \
            ++failures;                                                                    \
            std::fprintf(stderr, "%s:%d: EXPECT(%s) failed\n", __FILE__, __LINE__, #cond); \
        }                                                                                  \
    } while (0)

using i64 = std::int64_t;

DLTensor tensor(void *data, DLDataType dtype, std::vector<i64> &shape, std::vector<i64> *strides,
                std::uint64_t byte_offset = 0) {
    DLTensor t{};
    t.data = data;
    t.device = DLDevice{kDLCPU, 0};
    t.ndim = static_cast<int>(shape.size());
    t.dtype = dtype;
    t.shape = shape.data();
    t.strides = strides ? strides->data() : nullptr;
    t.byte_offset = byte_offset;
    return t;
}

// x: (B, M, K) stored transposed as (B, K, M) (strides {K*M, 1, M}); y:
// (B, K, N) compact (strides NULL); out: (B, M, N) compact after a byte
// offset of one element. Returns out[b, m, n] of the reference `ref`.
template <class X, class Y, class O, class Ref>
bool run_case(DLDataType dx, DLDataType dy, DLDataType dout, const std::vector<X> &x,
              const std::vector<Y> &y, Ref ref, std::uint32_t threads) {
    const i64 B = 2, M = 5, K = 37, N = 3;
    std::vector<i64> xs = {B, M, K}, xst = {K * M, 1, M}, ys = {B, K, N}, os = {B, M, N};
    std::vector<O> out(static_cast<std::size_t>(1 + B * M * N), O{});
    const O sentinel = out[0];
    DLTensor tx = tensor(const_cast<X *>(x.data()), dx, xs, &xst);
    DLTensor ty = tensor(const_cast<Y *>(y.data()), dy, ys, nullptr);
    DLTensor to = tensor(out.data(), dout, os, nullptr, sizeof(O));
    batch_dot::compute(tx, ty, {2, 1}, to, batch_dot::options().num_threads(threads));
    bool ok = std::memcmp(&out[0], &sentinel, sizeof(O)) == 0;
    for (i64 b = 0; b < B; b++)
        for (i64 m = 0; m < M; m++)
            for (i64 n = 0; n < N; n++) {
                const auto want = ref([&](i64 k) { return x[b * K * M + k * M + m]; },
                                      [&](i64 k) { return y[b * K * N + k * N + n]; }, K);
                ok = ok && out[static_cast<std::size_t>(1 + (b * M + m) * N + n)] == want;
            }
    return ok;
}

}  // namespace

int main() {
    std::mt19937 rng(12);
    const std::size_t nx = 2 * 5 * 37, ny = 2 * 37 * 3;
    const DLDataType f32{kDLFloat, 32, 1}, f64{kDLFloat, 64, 1}, bf16{kDLBfloat, 16, 1},
        f16{kDLFloat, 16, 1}, s8{kDLInt, 8, 1}, u8{kDLUInt, 8, 1}, s32{kDLInt, 32, 1};

    // Small integers: every float sum is exact, so the results are equal.
    std::uniform_int_distribution<int> small(-4, 4);
    std::vector<float> xf(nx), yf(ny);
    std::vector<double> xd(nx), yd(ny);
    std::vector<batch_dot::bf16> xb(nx), yb(ny);
    std::vector<batch_dot::f16> xh(nx), yh(ny);
    for (std::size_t i = 0; i < nx; i++) {
        const int v = small(rng);
        xf[i] = float(v), xd[i] = v, xb[i] = batch_dot::bf16(float(v)), xh[i] = batch_dot::f16(float(v));
    }
    for (std::size_t i = 0; i < ny; i++) {
        const int v = small(rng);
        yf[i] = float(v), yd[i] = v, yb[i] = batch_dot::bf16(float(v)), yh[i] = batch_dot::f16(float(v));
    }
    const auto exact = [](auto gx, auto gy, i64 K) {
        double s = 0;
        for (i64 k = 0; k < K; k++) s += double(gx(k)) * double(gy(k));
        return s;
    };
    const auto as_float = [&](auto gx, auto gy, i64 K) { return float(exact(gx, gy, K)); };
    for (std::uint32_t nt : {1u, 2u}) {
        EXPECT((run_case<float, float, float>(f32, f32, f32, xf, yf, as_float, nt)));
        EXPECT((run_case<double, double, double>(f64, f64, f64, xd, yd, exact, nt)));
        EXPECT((run_case<batch_dot::bf16, batch_dot::bf16, float>(bf16, bf16, f32, xb, yb, as_float,
                                                                 nt)));
        EXPECT((run_case<batch_dot::f16, batch_dot::f16, float>(f16, f16, f32, xh, yh, as_float,
                                                               nt)));
    }
    // A 16-bit out: |sums| <= 37*16 fit bf16's and f16's integers only
    // partly, so compare with the exact sum's float, rounded by the
    // wrapper's conversion (itself checked in test_batch_dot.cpp).
    const auto as_bf16 = [&](auto gx, auto gy, i64 K) {
        return batch_dot::bf16(float(exact(gx, gy, K))).bits;
    };
    {
        const i64 B = 2, M = 5, K = 37, N = 3;
        std::vector<i64> xs = {B, M, K}, xst = {K * M, 1, M}, ys = {B, K, N}, os = {B, M, N};
        std::vector<batch_dot::bf16> out(static_cast<std::size_t>(B * M * N));
        DLTensor tx = tensor(xb.data(), bf16, xs, &xst), ty = tensor(yb.data(), bf16, ys, nullptr);
        DLTensor to = tensor(out.data(), bf16, os, nullptr);
        batch_dot::compute(tx, ty, {2, 1}, to);
        bool ok = true;
        for (i64 b = 0; b < B; b++)
            for (i64 m = 0; m < M; m++)
                for (i64 n = 0; n < N; n++)
                    ok = ok && out[static_cast<std::size_t>((b * M + m) * N + n)].bits ==
                                   as_bf16([&](i64 k) { return float(xb[b * K * M + k * M + m]); },
                                           [&](i64 k) { return float(yb[b * K * N + k * N + n]); },
                                           K);
        EXPECT(ok);
    }

    // int8 and uint8 x, int8 y, int32 out, against int64 sums.
    std::vector<std::int8_t> x8(nx), y8(ny);
    std::vector<std::uint8_t> xu(nx);
    for (std::size_t i = 0; i < nx; i++)
        x8[i] = std::int8_t(int(rng() % 256) - 128), xu[i] = std::uint8_t(rng() % 256);
    for (std::size_t i = 0; i < ny; i++) y8[i] = std::int8_t(int(rng() % 256) - 128);
    const auto exact_i = [](auto gx, auto gy, i64 K) {
        i64 s = 0;
        for (i64 k = 0; k < K; k++) s += i64(gx(k)) * i64(gy(k));
        return std::int32_t(s);  // |s| < 2^31 here
    };
    for (std::uint32_t nt : {1u, 2u}) {
        EXPECT((run_case<std::int8_t, std::int8_t, std::int32_t>(s8, s8, s32, x8, y8, exact_i, nt)));
        EXPECT((run_case<std::uint8_t, std::int8_t, std::int32_t>(u8, s8, s32, xu, y8, exact_i, nt)));
    }

    // Errors are batch_dot::error with the library's status.
    std::vector<i64> s22 = {2, 2}, s21 = {2, 1};
    std::vector<float> a = {1, 2, 3, 4}, o = {-1, -1};
    DLTensor ta = tensor(a.data(), f32, s22, nullptr), tout = tensor(o.data(), f32, s21, nullptr);
    batch_dot::compute(ta, ta, 1, tout);
    EXPECT(o[0] == 5 && o[1] == 25);
    const auto status_of = [&](DLTensor x, DLTensor y, DLTensor out) -> std::int32_t {
        try {
            batch_dot::compute(x, y, 1, out);
        } catch (const batch_dot::error &e) {
            return e.status();
        }
        return BATCH_DOT_STATUS_OK;
    };
    DLTensor dev = ta;
    dev.device = DLDevice{kDLCUDA, 0};
    EXPECT(status_of(dev, ta, tout) == BATCH_DOT_STATUS_INVALID_ARGUMENT);
    DLTensor lanes = ta;
    lanes.dtype.lanes = 2;
    EXPECT(status_of(ta, lanes, tout) == BATCH_DOT_STATUS_UNSUPPORTED_DTYPE);
    DLTensor mixed = tout;
    mixed.dtype = f64;
    EXPECT(status_of(ta, ta, mixed) == BATCH_DOT_STATUS_UNSUPPORTED_DTYPE);
    EXPECT(status_of(ta, ta, ta) == BATCH_DOT_STATUS_OUTPUT_SHAPE);
    EXPECT(o[0] == 5 && o[1] == 25);

    EXPECT(dlpack_macro_check() == 0);

#ifdef DLPACK_MAJOR_VERSION
    std::printf("%d checks, %d failures (DLTensor overload, DLPack %d.%d)\n", checks, failures,
                DLPACK_MAJOR_VERSION, DLPACK_MINOR_VERSION);
#else
    std::printf("%d checks, %d failures (DLTensor overload, DLPACK_VERSION %d)\n", checks,
                failures, DLPACK_VERSION);
#endif
    return failures == 0 ? 0 : 1;
}
