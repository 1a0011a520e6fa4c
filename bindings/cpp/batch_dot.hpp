// batch_dot.hpp: header-only C++17 wrapper of libbatch_dot's C API.
//
//   #include <batch_dot.hpp>
//
//   std::vector<float> x = {1, 2, 3, 4}, y = {5, 6, 7, 8};
//   auto xl = batch_dot::layout::contiguous({2, 2});
//   auto r = batch_dot::batch_dot(x.data(), xl, y.data(), xl, 1);  // axes=1
//   // r.shape == {2, 1}, r.data == {17, 53}
//
// Element types: float, double, batch_dot::bf16 and batch_dot::f16 (16-bit
// values with float conversions; std::bfloat16_t and std::float16_t as well
// where the compiler's <stdfloat> has them, C++23), and int8_t or uint8_t
// times int8_t into int32_t; 16-bit inputs may also give float sums
// (batch_dot::batch_dot<float>). With <dlpack/dlpack.h> included first (or
// BATCH_DOT_WITH_DLPACK defined), compute() also takes DLTensors.
//
// Every failed call throws batch_dot::error, whose status() is the library's
// BATCH_DOT_STATUS_* value and whose what() is the library's message. The
// wrapper adds no checks of its own beyond what it needs to fill the C
// structs (a layout of more than BATCH_DOT_MAX_NDIM dimensions, shape and
// strides of different lengths) and the element types' combination (a
// compile-time error); everything else is the library's.
//
// Link with the C library as usual: batch_dot::batch_dot (shared) or
// batch_dot::batch_dot_static in CMake, `pkg-config --libs batch_dot`
// otherwise. Needs C++17 and nothing else.
#ifndef BATCH_DOT_HPP
#define BATCH_DOT_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "batch_dot.h"

#if defined(__cplusplus) && __cplusplus > 202002L && defined(__has_include)
#if __has_include(<stdfloat>)
#include <stdfloat>
#define BATCH_DOT_HPP_STDFLOAT 1
#endif
#endif
#ifndef BATCH_DOT_HPP_STDFLOAT
#define BATCH_DOT_HPP_STDFLOAT 0
#endif

// The DLTensor overload of compute(): with BATCH_DOT_WITH_DLPACK, or when
// <dlpack/dlpack.h> came first and include/batch_dot_dlpack.h is installed.
#if defined(BATCH_DOT_WITH_DLPACK)
#include "batch_dot_dlpack.h"
#define BATCH_DOT_HPP_DLPACK 1
#elif (defined(DLPACK_VERSION) || defined(DLPACK_MAJOR_VERSION)) && defined(__has_include)
#if __has_include("batch_dot_dlpack.h")
#include "batch_dot_dlpack.h"
#define BATCH_DOT_HPP_DLPACK 1
#endif
#endif
#ifndef BATCH_DOT_HPP_DLPACK
#define BATCH_DOT_HPP_DLPACK 0
#endif

namespace batch_dot {

/// Keras's `axes=None`, as the value of both axes.
inline constexpr std::int64_t axis_default = BATCH_DOT_AXIS_DEFAULT;
/// Largest number of dimensions of a layout.
inline constexpr int max_ndim = BATCH_DOT_MAX_NDIM;
/// An extent that is not known yet; only infer_shape accepts it.
inline constexpr std::int64_t dim_unknown = BATCH_DOT_DIM_UNKNOWN;

/// A failed call: status() is the BATCH_DOT_STATUS_* value, what() the
/// library's message (e.g. "Cannot do batch_dot on inputs with shapes ...").
class error : public std::runtime_error {
public:
    error(std::int32_t status, const std::string &message)
        : std::runtime_error(message), status_(status) {}

    /// The BATCH_DOT_STATUS_* value.
    std::int32_t status() const noexcept { return status_; }

    /// Its stable name, e.g. "BATCH_DOT_STATUS_BATCH_MISMATCH".
    const char *status_name() const noexcept { return batch_dot_status_string(status_); }

private:
    std::int32_t status_;
};

namespace detail {

/// The message of the last failed call on this thread.
inline std::string last_error_message() {
    const std::size_t n = batch_dot_last_error_message(nullptr, 0);
    std::vector<char> buf(n + 1, '\0');
    batch_dot_last_error_message(buf.data(), buf.size());
    return std::string(buf.data(), n);
}

/// Throws batch_dot::error when `status` is not BATCH_DOT_STATUS_OK. Call it
/// right after the failing C call, on the same thread.
inline void check(std::int32_t status) {
    if (status != BATCH_DOT_STATUS_OK) {
        throw error(status, last_error_message());
    }
}

inline std::int32_t rank_of(std::size_t n) {
    // Anything above max_ndim is rejected by the library as INVALID_RANK.
    return n > static_cast<std::size_t>(max_ndim) ? max_ndim + 1 : static_cast<std::int32_t>(n);
}

inline std::uint32_t float_bits(float f) noexcept {
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

inline float bits_float(std::uint32_t u) noexcept {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

}  // namespace detail

/// A bfloat16 value: the top 16 bits of a binary32, held as `bits` (the
/// library's BATCH_DOT_DTYPE_BF16 element; arrays of it are arrays of
/// uint16_t). Widening to float is exact and implicit; narrowing from float
/// is explicit and rounds to nearest, ties to even (never truncates):
/// magnitudes from 0x1.ffp127 up become ±Inf, subnormals are kept, and a
/// NaN stays a NaN with its sign and top payload bits (quiet bit set).
struct bf16 {
    std::uint16_t bits = 0;

    constexpr bf16() noexcept = default;
    explicit bf16(float v) noexcept {
        const std::uint32_t u = detail::float_bits(v);
        if ((u & 0x7fffffffu) > 0x7f800000u) {
            bits = static_cast<std::uint16_t>((u >> 16) | 0x0040u);
        } else {
            bits = static_cast<std::uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
        }
    }
    /// The value whose bits are `b`.
    static constexpr bf16 from_bits(std::uint16_t b) noexcept {
        bf16 r;
        r.bits = b;
        return r;
    }
    operator float() const noexcept {  // NOLINT: exact, implicit by design
        return detail::bits_float(static_cast<std::uint32_t>(bits) << 16);
    }
};

/// An IEEE binary16 value, held as `bits` (BATCH_DOT_DTYPE_F16; arrays of it
/// are arrays of uint16_t). Widening to float is exact and implicit;
/// narrowing from float is explicit and rounds to nearest, ties to even:
/// magnitudes from 65520 up become ±Inf, results below 2^-14 are subnormal
/// (not flushed), and a NaN stays a NaN with its sign and top payload bits
/// (quiet bit set).
struct f16 {
    std::uint16_t bits = 0;

    constexpr f16() noexcept = default;
    explicit f16(float v) noexcept {
        const std::uint32_t u = detail::float_bits(v);
        const auto sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
        const std::uint32_t a = u & 0x7fffffffu;
        std::uint32_t h;
        if (a > 0x7f800000u) {
            h = 0x7e00u | ((a >> 13) & 0x03ffu);  // NaN, quiet
        } else if (a >= 0x477ff000u) {
            h = 0x7c00u;  // 65520 and up (and Inf): Inf
        } else if (a >= 0x38800000u) {
            // Normal: rebias the exponent (127 -> 15), round the 13 dropped
            // bits; a carry moves into the exponent, as it should.
            const std::uint32_t r = a - 0x38000000u;
            h = (r + 0x0fffu + ((r >> 13) & 1u)) >> 13;
        } else if (a <= 0x33000000u) {
            h = 0;  // at most 2^-25, half the smallest subnormal: ties to 0
        } else {
            // Subnormal: (implicit 1 | mantissa) * 2^(e - 150) in units of 2^-24.
            const std::uint32_t m = (a & 0x007fffffu) | 0x00800000u;
            const std::uint32_t shift = 126u - (a >> 23);  // 14..24
            const std::uint32_t q = m >> shift, rem = m & ((1u << shift) - 1u);
            const std::uint32_t half = 1u << (shift - 1u);
            h = q + ((rem > half || (rem == half && (q & 1u))) ? 1u : 0u);
        }
        bits = static_cast<std::uint16_t>(sign | h);
    }
    /// The value whose bits are `b`.
    static constexpr f16 from_bits(std::uint16_t b) noexcept {
        f16 r;
        r.bits = b;
        return r;
    }
    operator float() const noexcept {  // NOLINT: exact, implicit by design
        const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
        const std::uint32_t e = (bits >> 10) & 0x1fu, m = bits & 0x03ffu;
        if (e == 0) {
            const float v = static_cast<float>(m) * 0x1p-24f;  // exact
            return sign ? -v : v;
        }
        if (e == 0x1f) return detail::bits_float(sign | 0x7f800000u | (m << 13));
        return detail::bits_float(sign | ((e + 112u) << 23) | (m << 13));
    }
};

static_assert(sizeof(bf16) == 2 && sizeof(f16) == 2, "bf16 and f16 are 2 bytes");
static_assert(std::is_trivially_copyable_v<bf16> && std::is_standard_layout_v<bf16>);
static_assert(std::is_trivially_copyable_v<f16> && std::is_standard_layout_v<f16>);

namespace detail {

/// The BATCH_DOT_DTYPE_* code of an element type, 0 for none.
template <class T>
inline constexpr std::int32_t dtype_of = 0;
template <>
inline constexpr std::int32_t dtype_of<float> = BATCH_DOT_DTYPE_F32;
template <>
inline constexpr std::int32_t dtype_of<double> = BATCH_DOT_DTYPE_F64;
template <>
inline constexpr std::int32_t dtype_of<bf16> = BATCH_DOT_DTYPE_BF16;
template <>
inline constexpr std::int32_t dtype_of<f16> = BATCH_DOT_DTYPE_F16;
template <>
inline constexpr std::int32_t dtype_of<std::int8_t> = BATCH_DOT_DTYPE_S8;
template <>
inline constexpr std::int32_t dtype_of<std::uint8_t> = BATCH_DOT_DTYPE_U8;
template <>
inline constexpr std::int32_t dtype_of<std::int32_t> = BATCH_DOT_DTYPE_S32;
#if BATCH_DOT_HPP_STDFLOAT && defined(__STDCPP_BFLOAT16_T__)
template <>
inline constexpr std::int32_t dtype_of<std::bfloat16_t> = BATCH_DOT_DTYPE_BF16;
#endif
#if BATCH_DOT_HPP_STDFLOAT && defined(__STDCPP_FLOAT16_T__)
template <>
inline constexpr std::int32_t dtype_of<std::float16_t> = BATCH_DOT_DTYPE_F16;
#endif

/// Whether (x, y, out) is a row of docs/API.md's table of combinations.
constexpr bool supported(std::int32_t x, std::int32_t y, std::int32_t o) {
    if (x == 0 || y == 0 || o == 0) return false;
    const bool lowp = x == BATCH_DOT_DTYPE_BF16 || x == BATCH_DOT_DTYPE_F16;
    return (x == y && o == x && (lowp || x == BATCH_DOT_DTYPE_F32 || x == BATCH_DOT_DTYPE_F64)) ||
           (x == y && lowp && o == BATCH_DOT_DTYPE_F32) ||
           ((x == BATCH_DOT_DTYPE_S8 || x == BATCH_DOT_DTYPE_U8) && y == BATCH_DOT_DTYPE_S8 &&
            o == BATCH_DOT_DTYPE_S32);
}

/// Whether T is an element type at all (the inputs' and outputs' together).
template <class T>
inline constexpr bool is_element = dtype_of<T> != 0;

/// The result's element type when the caller does not name one: the
/// inputs' (Keras), int32 for 8-bit integers.
template <class X, class Y>
struct default_out {
    using type = X;
};
template <>
struct default_out<std::int8_t, std::int8_t> {
    using type = std::int32_t;
};
template <>
struct default_out<std::uint8_t, std::int8_t> {
    using type = std::int32_t;
};

template <class O, class X, class Y>
using out_t = std::conditional_t<std::is_void_v<O>, typename default_out<X, Y>::type, O>;

template <class X, class Y, class O>
inline constexpr bool is_combination = supported(dtype_of<X>, dtype_of<Y>, dtype_of<O>);

/// The C call for (X, Y, O): the typed function where there is one, else
/// batch_dot_compute (the same call, bit for bit, docs/API.md).
template <class X, class Y, class O>
std::int32_t call(const batch_dot_layout *xl, const X *x, const batch_dot_layout *yl, const Y *y,
                  std::int64_t ax, std::int64_t ay, const batch_dot_layout *ol, O *o,
                  const batch_dot_options *opt) {
    constexpr std::int32_t cx = dtype_of<X>, cy = dtype_of<Y>, co = dtype_of<O>;
    static_assert(supported(cx, cy, co),
                  "batch_dot: (x, y, out) element types must be a row of docs/API.md's table: "
                  "(T, T, T) for float, double, bf16 or f16; (bf16 or f16, same, float); "
                  "(int8_t or uint8_t, int8_t, int32_t)");
    if constexpr (std::is_same_v<X, float> && std::is_same_v<Y, float> &&
                  std::is_same_v<O, float>) {
        return batch_dot_f32(xl, x, yl, y, ax, ay, ol, o, opt);
    } else if constexpr (std::is_same_v<X, double> && std::is_same_v<Y, double> &&
                         std::is_same_v<O, double>) {
        return batch_dot_f64(xl, x, yl, y, ax, ay, ol, o, opt);
    } else if constexpr (std::is_same_v<X, std::int8_t> && std::is_same_v<Y, std::int8_t> &&
                         std::is_same_v<O, std::int32_t>) {
        return batch_dot_s8(xl, x, yl, y, ax, ay, ol, o, opt);
    } else if constexpr (cx == cy && cx == co && cx == BATCH_DOT_DTYPE_BF16) {
        // bf16 and std::bfloat16_t are uint16_t bits to the library.
        return batch_dot_bf16(xl, reinterpret_cast<const std::uint16_t *>(x), yl,
                              reinterpret_cast<const std::uint16_t *>(y), ax, ay, ol,
                              reinterpret_cast<std::uint16_t *>(o), opt);
    } else if constexpr (cx == cy && cx == co && cx == BATCH_DOT_DTYPE_F16) {
        return batch_dot_f16(xl, reinterpret_cast<const std::uint16_t *>(x), yl,
                             reinterpret_cast<const std::uint16_t *>(y), ax, ay, ol,
                             reinterpret_cast<std::uint16_t *>(o), opt);
    } else {
        return batch_dot_compute(cx, xl, x, cy, yl, y, ax, ay, co, ol, o, opt);
    }
}

}  // namespace detail

/// Keras's `axes` argument: `axes()` is `axes=None`, `axes(a)` is `axes=a`
/// (so a plain integer converts), `axes(a0, a1)` or `{a0, a1}` is a pair.
/// Negative axes count from the end of each operand separately.
struct axes {
    std::int64_t x = axis_default;
    std::int64_t y = axis_default;

    constexpr axes() noexcept = default;
    constexpr axes(std::int64_t both) noexcept : x(both), y(both) {}  // NOLINT: implicit by design
    constexpr axes(std::int64_t axis_x, std::int64_t axis_y) noexcept : x(axis_x), y(axis_y) {}
};

/// Where a tensor's elements are: shape, strides in elements, the offset of
/// element [0, ..., 0] and the number of elements the caller owns from the
/// data pointer on (`len`). The library proves every access stays inside
/// [0, len) before it touches memory.
class layout {
public:
    /// A rank-0 layout (no elements reached beyond element 0, len 0).
    layout() noexcept : raw_{} {}

    /// A layout of any strides (0 and negative ones allowed on inputs).
    /// `len` is how many elements the data pointer really holds: the library
    /// checks the layout against it (BATCH_DOT_STATUS_OUT_OF_BOUNDS).
    layout(const std::vector<std::int64_t> &shape, const std::vector<std::int64_t> &strides,
           std::int64_t len, std::int64_t offset = 0)
        : raw_{} {
        if (shape.size() != strides.size()) {
            throw error(BATCH_DOT_STATUS_INVALID_ARGUMENT,
                        "batch_dot::layout: shape has " + std::to_string(shape.size()) +
                            " entries but strides has " + std::to_string(strides.size()));
        }
        if (shape.size() > static_cast<std::size_t>(max_ndim)) {
            throw error(BATCH_DOT_STATUS_INVALID_RANK,
                        "batch_dot::layout: ndim " + std::to_string(shape.size()) +
                            " is outside 0.." + std::to_string(max_ndim));
        }
        raw_.ndim = static_cast<std::int32_t>(shape.size());
        raw_.flags = 0;
        raw_.offset = offset;
        raw_.len = len;
        for (std::size_t i = 0; i < shape.size(); i++) {
            raw_.shape[i] = shape[i];
            raw_.strides[i] = strides[i];
        }
    }

    /// The constructor's layout, checked by the library's
    /// batch_dot_layout_init_strided (same argument order as the constructor,
    /// not the C function's): throws INVALID_RANK, INVALID_SHAPE (a negative
    /// extent) or INVALID_ARGUMENT (a negative len) at once instead of at the
    /// compute call. Bounds, overflow and aliasing remain the compute call's.
    static layout strided(const std::vector<std::int64_t> &shape,
                          const std::vector<std::int64_t> &strides, std::int64_t len,
                          std::int64_t offset = 0) {
        if (shape.size() != strides.size()) {
            throw error(BATCH_DOT_STATUS_INVALID_ARGUMENT,
                        "batch_dot::layout::strided: shape has " + std::to_string(shape.size()) +
                            " entries but strides has " + std::to_string(strides.size()));
        }
        layout l;
        detail::check(batch_dot_layout_init_strided(&l.raw_, detail::rank_of(shape.size()),
                                                    shape.data(), strides.data(), offset, len));
        return l;
    }

    /// Wraps a C layout as it is.
    explicit layout(const batch_dot_layout &raw) noexcept : raw_(raw) {}

    /// The row-major packed layout of `shape` (offset 0, len = element count).
    static layout contiguous(const std::vector<std::int64_t> &shape) {
        layout l;
        detail::check(batch_dot_layout_init_contiguous(&l.raw_, detail::rank_of(shape.size()),
                                                       shape.data()));
        return l;
    }

    std::int32_t ndim() const noexcept { return raw_.ndim; }
    std::int64_t offset() const noexcept { return raw_.offset; }
    std::int64_t len() const noexcept { return raw_.len; }
    std::vector<std::int64_t> shape() const {
        return std::vector<std::int64_t>(raw_.shape, raw_.shape + clamped_ndim());
    }
    std::vector<std::int64_t> strides() const {
        return std::vector<std::int64_t>(raw_.strides, raw_.strides + clamped_ndim());
    }
    /// Product of the extents (no overflow check: use it on layouts the
    /// library accepted, or built by contiguous()).
    std::int64_t size() const noexcept {
        std::int64_t n = 1;
        for (std::int32_t i = 0; i < clamped_ndim(); i++) n *= raw_.shape[i];
        return n;
    }

    /// The C struct, for calling the C API directly.
    const batch_dot_layout &raw() const noexcept { return raw_; }
    batch_dot_layout &raw() noexcept { return raw_; }

private:
    std::int32_t clamped_ndim() const noexcept {
        return raw_.ndim < 0 ? 0 : (raw_.ndim > max_ndim ? max_ndim : raw_.ndim);
    }
    batch_dot_layout raw_;
};

/// Options of a compute call, built in a chain:
/// `batch_dot::options().num_threads(2).scale(1 / std::sqrt(d))`.
/// Defaults: one thread, the caller's, unless BATCH_DOT_NUM_THREADS says
/// otherwise; no scaling.
class options {
public:
    options() noexcept { batch_dot_options_init(&raw_); }

    /// At most `n` threads, the caller's included; 0 = the default.
    options &num_threads(std::uint32_t n) noexcept {
        raw_.num_threads = n;
        return *this;
    }
    std::uint32_t num_threads() const noexcept { return raw_.num_threads; }

    /// out = alpha*(x.y) + beta*out, fused into the call
    /// (BATCH_DOT_OPT_SCALE). `beta == 0` never reads out (NaN there is
    /// overwritten); `beta != 0` accumulates into what out holds, so use it
    /// with compute(). `scale(1, 0)` sets the flag and gives the plain result.
    options &scale(double alpha, double beta = 0.0) noexcept {
        raw_.flags |= BATCH_DOT_OPT_SCALE;
        raw_.alpha = alpha;
        raw_.beta = beta;
        return *this;
    }
    /// Whether scale() was called.
    bool scaled() const noexcept { return (raw_.flags & BATCH_DOT_OPT_SCALE) != 0; }
    double alpha() const noexcept { return raw_.alpha; }
    double beta() const noexcept { return raw_.beta; }

    const batch_dot_options &raw() const noexcept { return raw_; }
    batch_dot_options &raw() noexcept { return raw_; }

private:
    batch_dot_options raw_;
};

/// The output shape of batch_dot(x, y, axes) without touching data. Extents
/// may be dim_unknown (-1): they propagate, as in Keras's static inference.
inline std::vector<std::int64_t> infer_shape(const std::vector<std::int64_t> &x_shape,
                                             const std::vector<std::int64_t> &y_shape,
                                             axes ax = axes()) {
    std::int32_t ndim = 0;
    std::int64_t shape[BATCH_DOT_MAX_NDIM] = {};
    detail::check(batch_dot_infer_shape(detail::rank_of(x_shape.size()), x_shape.data(),
                                        detail::rank_of(y_shape.size()), y_shape.data(), ax.x,
                                        ax.y, &ndim, shape));
    return std::vector<std::int64_t>(shape, shape + ndim);
}

/// out = batch_dot(x, y, axes), written through `out_layout` (any
/// non-overlapping strides; its shape must be infer_shape's); with
/// `opts.scale(alpha, beta)`, out = alpha*batch_dot(x, y, axes) + beta*out.
/// Throws batch_dot::error on failure, in which case nothing was written.
///
/// The element types (X, Y, O) are a row of docs/API.md's table, checked at
/// compile time: (T, T, T) for float, double, bf16 and f16 (std::bfloat16_t
/// and std::float16_t too, where <stdfloat> has them), the float32 sums of
/// 16-bit inputs unrounded (bf16 or f16 inputs, a float out), and the exact
/// int8 products (int8_t or uint8_t x, int8_t y, int32_t out; with
/// scale(), alpha must be 1 and beta 0 or 1).
template <class X, class Y, class O>
void compute(const X *x, const layout &x_layout, const Y *y, const layout &y_layout, axes ax,
             O *out, const layout &out_layout, const options &opts = options()) {
    detail::check(detail::call(&x_layout.raw(), x, &y_layout.raw(), y, ax.x, ax.y,
                               &out_layout.raw(), out, &opts.raw()));
}

/// A freshly allocated, C-contiguous result.
template <class T>
struct tensor {
    std::vector<std::int64_t> shape;
    std::vector<T> data;
};

/// batch_dot(x, y, axes) into a new contiguous tensor of the inferred shape
/// (zero-filled first, so an `opts.scale(alpha, beta)` adds beta*0). The
/// result has the inputs' element type (int32_t for 8-bit integers) unless
/// O names another: `batch_dot<float>(bf16 inputs...)` keeps the float32
/// sums.
template <class O = void, class X, class Y>
tensor<detail::out_t<O, X, Y>> batch_dot(const X *x, const layout &x_layout, const Y *y,
                                         const layout &y_layout, axes ax = axes(),
                                         const options &opts = options()) {
    using R = detail::out_t<O, X, Y>;
    static_assert(detail::is_combination<X, Y, R>,
                  "batch_dot: no such combination of element types (see compute())");
    tensor<R> r;
    r.shape = infer_shape(x_layout.shape(), y_layout.shape(), ax);
    const layout out_layout = layout::contiguous(r.shape);
    r.data.assign(static_cast<std::size_t>(out_layout.len()), R{});
    compute(x, x_layout, y, y_layout, ax, r.data.data(), out_layout, opts);
    return r;
}

/// Convenience for contiguous std::vector inputs of the given shapes.
template <class O = void, class X, class Y>
tensor<detail::out_t<O, X, Y>> batch_dot(const std::vector<X> &x,
                                         const std::vector<std::int64_t> &x_shape,
                                         const std::vector<Y> &y,
                                         const std::vector<std::int64_t> &y_shape,
                                         axes ax = axes(), const options &opts = options()) {
    layout xl = layout::contiguous(x_shape);
    layout yl = layout::contiguous(y_shape);
    // The vectors' real sizes bound what the library may read.
    xl.raw().len = static_cast<std::int64_t>(x.size());
    yl.raw().len = static_cast<std::int64_t>(y.size());
    return batch_dot<O>(x.data(), xl, y.data(), yl, ax, opts);
}

#if BATCH_DOT_HPP_DLPACK
/// out = batch_dot(x, y, axes) on DLPack tensors (batch_dot_dlpack): each
/// DLTensor's dtype picks the row of the table, its shape, strides and
/// byte_offset the layout; host memory only. A DLTensor does not say how
/// much memory is behind it, so the library takes each tensor's own reach
/// as what the caller owns (include/batch_dot_dlpack.h). Available when
/// <dlpack/dlpack.h> was included first, or with BATCH_DOT_WITH_DLPACK.
inline void compute(const DLTensor &x, const DLTensor &y, axes ax, const DLTensor &out,
                    const options &opts = options()) {
    detail::check(batch_dot_dlpack(&x, &y, ax.x, ax.y, &out, &opts.raw()));
}
#endif

/// Version of the loaded library, "MAJOR.MINOR.PATCH".
inline std::string version() { return batch_dot_version_string(); }

/// ABI version of the loaded library (BATCH_DOT_ABI_VERSION of a compatible header).
inline std::uint32_t abi_version() noexcept { return batch_dot_abi_version(); }

}  // namespace batch_dot

#endif  // BATCH_DOT_HPP
