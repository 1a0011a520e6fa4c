// batch_dot.hpp: header-only C++17 wrapper of libbatch_dot's C API.
//
//   #include <batch_dot.hpp>
//
//   std::vector<float> x = {1, 2, 3, 4}, y = {5, 6, 7, 8};
//   auto xl = batch_dot::layout::contiguous({2, 2});
//   auto r = batch_dot::batch_dot(x.data(), xl, y.data(), xl, 1);  // axes=1
//   // r.shape == {2, 1}, r.data == {17, 53}
//
// Every failed call throws batch_dot::error, whose status() is the library's
// BATCH_DOT_STATUS_* value and whose what() is the library's message. The
// wrapper adds no checks of its own beyond what it needs to fill the C
// structs (a layout of more than BATCH_DOT_MAX_NDIM dimensions, shape and
// strides of different lengths); everything else is the library's.
//
// Link with the C library as usual: batch_dot::batch_dot (shared) or
// batch_dot::batch_dot_static in CMake, `pkg-config --libs batch_dot`
// otherwise. Needs C++17 and nothing else.
#ifndef BATCH_DOT_HPP
#define BATCH_DOT_HPP

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "batch_dot.h"

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

inline std::int32_t call(const batch_dot_layout *x, const float *xd, const batch_dot_layout *y,
                         const float *yd, std::int64_t ax, std::int64_t ay,
                         const batch_dot_layout *o, float *od, const batch_dot_options *opt) {
    return batch_dot_f32(x, xd, y, yd, ax, ay, o, od, opt);
}

inline std::int32_t call(const batch_dot_layout *x, const double *xd, const batch_dot_layout *y,
                         const double *yd, std::int64_t ax, std::int64_t ay,
                         const batch_dot_layout *o, double *od, const batch_dot_options *opt) {
    return batch_dot_f64(x, xd, y, yd, ax, ay, o, od, opt);
}

template <class T>
inline constexpr bool is_element = std::is_same_v<T, float> || std::is_same_v<T, double>;

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
inline void compute(const float *x, const layout &x_layout, const float *y,
                    const layout &y_layout, axes ax, float *out, const layout &out_layout,
                    const options &opts = options()) {
    detail::check(detail::call(&x_layout.raw(), x, &y_layout.raw(), y, ax.x, ax.y,
                               &out_layout.raw(), out, &opts.raw()));
}

/// As the float overload, in double precision.
inline void compute(const double *x, const layout &x_layout, const double *y,
                    const layout &y_layout, axes ax, double *out, const layout &out_layout,
                    const options &opts = options()) {
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
/// (zero-filled first, so an `opts.scale(alpha, beta)` adds beta*0).
template <class T>
tensor<T> batch_dot(const T *x, const layout &x_layout, const T *y, const layout &y_layout,
                    axes ax = axes(), const options &opts = options()) {
    static_assert(detail::is_element<T>, "batch_dot works on float and double");
    tensor<T> r;
    r.shape = infer_shape(x_layout.shape(), y_layout.shape(), ax);
    const layout out_layout = layout::contiguous(r.shape);
    r.data.assign(static_cast<std::size_t>(out_layout.len()), T(0));
    compute(x, x_layout, y, y_layout, ax, r.data.data(), out_layout, opts);
    return r;
}

/// Convenience for contiguous std::vector inputs of the given shapes.
template <class T>
tensor<T> batch_dot(const std::vector<T> &x, const std::vector<std::int64_t> &x_shape,
                    const std::vector<T> &y, const std::vector<std::int64_t> &y_shape,
                    axes ax = axes(), const options &opts = options()) {
    static_assert(detail::is_element<T>, "batch_dot works on float and double");
    layout xl = layout::contiguous(x_shape);
    layout yl = layout::contiguous(y_shape);
    // The vectors' real sizes bound what the library may read.
    xl.raw().len = static_cast<std::int64_t>(x.size());
    yl.raw().len = static_cast<std::int64_t>(y.size());
    return batch_dot(x.data(), xl, y.data(), yl, ax, opts);
}

/// Version of the loaded library, "MAJOR.MINOR.PATCH".
inline std::string version() { return batch_dot_version_string(); }

/// ABI version of the loaded library (BATCH_DOT_ABI_VERSION of a compatible header).
inline std::uint32_t abi_version() noexcept { return batch_dot_abi_version(); }

}  // namespace batch_dot

#endif  // BATCH_DOT_HPP
