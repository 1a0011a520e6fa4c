// Tests of bindings/cpp/batch_dot.hpp against a naive loop, linked once to the
// shared and once to the static library (see CMakeLists.txt beside it).
#include "batch_dot.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace {

int failures = 0;
int checks = 0;

#define EXPECT(cond)                                                                   \
    do {                                                                               \
        ++checks;                                                                      \
        if (!(cond)) {                                                                 \
            ++failures;                                                                \
            std::fprintf(stderr, "%s:%d: %s: EXPECT(%s) failed\n", __FILE__, __LINE__, \
                         current_test, #cond);                                         \
        }                                                                              \
    } while (0)

const char *current_test = "";

using i64 = std::int64_t;
using shape_t = std::vector<i64>;

// Calls `f`, expects a batch_dot::error with `status`; returns its message.
std::string expect_error(const std::function<void()> &f, std::int32_t status, int line) {
    ++checks;
    try {
        f();
    } catch (const batch_dot::error &e) {
        if (e.status() != status) {
            ++failures;
            std::fprintf(stderr, "line %d: %s: status %s (%d), expected %s\n", line, current_test,
                         e.status_name(), e.status(), batch_dot_status_string(status));
        }
        return e.what();
    } catch (const std::exception &e) {
        ++failures;
        std::fprintf(stderr, "line %d: %s: unexpected exception: %s\n", line, current_test,
                     e.what());
        return "";
    }
    ++failures;
    std::fprintf(stderr, "line %d: %s: no exception, expected %s\n", line, current_test,
                 batch_dot_status_string(status));
    return "";
}

// Address (in elements) of a multi-index through a layout.
i64 at(const batch_dot::layout &l, const std::vector<i64> &idx) {
    i64 pos = l.offset();
    const auto st = l.strides();
    for (std::size_t d = 0; d < idx.size(); d++) pos += idx[d] * st[d];
    return pos;
}

// Advances a multi-index over `shape` (row-major); false once it wraps.
bool next(std::vector<i64> &idx, const shape_t &shape) {
    for (std::size_t d = idx.size(); d-- > 0;) {
        if (++idx[d] < shape[d]) return true;
        idx[d] = 0;
    }
    return false;
}

i64 count(const shape_t &s) {
    i64 n = 1;
    for (i64 e : s) n *= e;
    return n;
}

// The definition (docs/SEMANTICS.md section 1) as a naive loop, for normalised axes
// 1 <= ax < x.ndim, 1 <= ay < y.ndim: a contiguous result of the formula's shape.
template <class T>
std::vector<T> naive(const T *x, const batch_dot::layout &xl, const T *y,
                     const batch_dot::layout &yl, int ax, int ay, shape_t &out_shape) {
    const shape_t xs = xl.shape(), ys = yl.shape();
    const i64 B = xs[0], K = xs[ax];
    shape_t xfree, yfree;
    std::vector<int> xdims, ydims;
    for (int d = 1; d < (int)xs.size(); d++)
        if (d != ax) xfree.push_back(xs[d]), xdims.push_back(d);
    for (int d = 1; d < (int)ys.size(); d++)
        if (d != ay) yfree.push_back(ys[d]), ydims.push_back(d);
    out_shape = {B};
    out_shape.insert(out_shape.end(), xfree.begin(), xfree.end());
    out_shape.insert(out_shape.end(), yfree.begin(), yfree.end());
    if (out_shape.size() == 1) out_shape.push_back(1);

    std::vector<T> out;
    out.reserve((std::size_t)count(out_shape));
    if (count(out_shape) == 0) return out;
    std::vector<i64> xi(xs.size()), yi(ys.size());
    for (i64 b = 0; b < B; b++) {
        std::vector<i64> i(xfree.size(), 0);
        do {
            std::vector<i64> j(yfree.size(), 0);
            do {
                T sum = T(0);
                for (i64 t = 0; t < K; t++) {
                    xi[0] = b;
                    xi[ax] = t;
                    for (std::size_t k = 0; k < xdims.size(); k++) xi[xdims[k]] = i[k];
                    yi[0] = b;
                    yi[ay] = t;
                    for (std::size_t k = 0; k < ydims.size(); k++) yi[ydims[k]] = j[k];
                    sum += x[at(xl, xi)] * y[at(yl, yi)];
                }
                out.push_back(sum);
            } while (next(j, yfree));
        } while (next(i, xfree));
    }
    return out;
}

// Small integers: every sum is exact, whatever the summation order.
template <class T>
std::vector<T> ints(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> d(-4, 4);
    std::vector<T> v(n);
    for (auto &e : v) e = T(d(rng));
    return v;
}

void test_seed_example() {
    current_test = "seed example";
    // batch_dot([[1,2],[3,4]], [[5,6],[7,8]], axes=1) = [[17],[53]]
    const std::vector<float> xf = {1, 2, 3, 4}, yf = {5, 6, 7, 8};
    const auto l = batch_dot::layout::contiguous({2, 2});
    const auto rf = batch_dot::batch_dot(xf.data(), l, yf.data(), l, 1);
    EXPECT((rf.shape == shape_t{2, 1}));
    EXPECT((rf.data == std::vector<float>{17, 53}));

    const std::vector<double> xd = {1, 2, 3, 4}, yd = {5, 6, 7, 8};
    const auto rd = batch_dot::batch_dot(xd, {2, 2}, yd, {2, 2}, 1);
    EXPECT((rd.shape == shape_t{2, 1}));
    EXPECT((rd.data == std::vector<double>{17, 53}));

    // axes=None on rank 2 . rank 2 is (1, 1); so are -1 and (1, 1) and (-1, -1).
    for (batch_dot::axes a : {batch_dot::axes(), batch_dot::axes(-1), batch_dot::axes(1, 1),
                              batch_dot::axes(-1, -1)}) {
        EXPECT((batch_dot::batch_dot(xf, {2, 2}, yf, {2, 2}, a).data ==
                std::vector<float>{17, 53}));
    }

    // compute() into a caller's buffer, with explicit layouts.
    float out[2] = {-1, -1};
    batch_dot::compute(xf.data(), l, yf.data(), l, {1, 1}, out,
                       batch_dot::layout::contiguous({2, 1}));
    EXPECT(out[0] == 17 && out[1] == 53);
}

void test_seed_shapes() {
    current_test = "seed shapes";
    EXPECT((batch_dot::infer_shape({100, 20}, {100, 30, 20}, {1, 2}) == shape_t{100, 30}));
    EXPECT((batch_dot::infer_shape({32, 20, 1}, {32, 30, 20}, {1, 2}) == shape_t{32, 1, 30}));
    EXPECT((batch_dot::infer_shape({8, 7, 4, 2}, {8, 7, 2, 5}) == shape_t{8, 7, 4, 7, 5}));
    EXPECT((batch_dot::infer_shape({3, 4, 5}, {3, 5}) == shape_t{3, 4}));
    EXPECT((batch_dot::infer_shape({batch_dot::dim_unknown, 4}, {3, 4}, 1) == shape_t{3, 1}));

    // The documentation's (32, 20, 1) . (32, 30, 20) on ones: every element is 20.
    const std::vector<float> x(32 * 20 * 1, 1.0f), y(32 * 30 * 20, 1.0f);
    const auto r = batch_dot::batch_dot(x, {32, 20, 1}, y, {32, 30, 20}, {1, 2});
    EXPECT((r.shape == shape_t{32, 1, 30}));
    EXPECT(r.data.size() == 32 * 30);
    bool all20 = true;
    for (float v : r.data) all20 = all20 && v == 20.0f;
    EXPECT(all20);
}

// Compares the library with the naive loop on the given layouts, in T.
template <class T>
void compare(const batch_dot::layout &xl, const batch_dot::layout &yl, int ax, int ay,
             unsigned seed, const batch_dot::options &opts = batch_dot::options()) {
    const auto x = ints<T>((std::size_t)xl.len(), seed);
    const auto y = ints<T>((std::size_t)yl.len(), seed + 1);
    shape_t want_shape;
    const auto want = naive(x.data(), xl, y.data(), yl, ax, ay, want_shape);
    const auto got = batch_dot::batch_dot(x.data(), xl, y.data(), yl, {ax, ay}, opts);
    EXPECT(got.shape == want_shape);
    EXPECT(got.data == want);
}

void test_strided_inputs() {
    current_test = "strided inputs";
    // x: logical (2, 3, 4), stored transposed as a contiguous (2, 4, 3) buffer.
    const batch_dot::layout xt({2, 3, 4}, {12, 1, 3}, 24);
    const auto yc = batch_dot::layout::contiguous({2, 4, 5});
    compare<float>(xt, yc, 2, 1, 1);
    compare<double>(xt, yc, 2, 1, 2);

    // The transposed view gives the same result as a contiguous copy.
    const auto xbuf = ints<float>(24, 7);
    std::vector<float> xcopy(24);
    {
        std::vector<i64> idx(3, 0);
        const shape_t s = {2, 3, 4};
        std::size_t k = 0;
        do xcopy[k++] = xbuf[(std::size_t)at(xt, idx)];
        while (next(idx, s));
    }
    const auto y = ints<float>(40, 8);
    const auto a = batch_dot::batch_dot(xbuf.data(), xt, y.data(), yc, {2, 1});
    const auto b = batch_dot::batch_dot(xcopy, {2, 3, 4}, y, {2, 4, 5}, {2, 1});
    EXPECT(a.shape == b.shape);
    EXPECT(a.data == b.data);

    // Negative strides (x reversed along axis 1, offset at its last row), a
    // broadcast (stride 0) y, and a sliced y with an offset.
    const batch_dot::layout xneg({3, 4, 5}, {20, -5, 1}, 60, 15);
    const batch_dot::layout ybcast({3, 5, 6}, {0, 6, 1}, 30);
    compare<float>(xneg, ybcast, 2, 1, 3);
    compare<double>(xneg, ybcast, 2, 1, 4);
    const batch_dot::layout yslice({3, 5, 2}, {40, 8, 3}, 120, 1);
    compare<double>(xneg, yslice, 2, 1, 5);

    // Higher rank, axes in the middle; the SPEC's (2,3,4,5) . (2,5,6,7), axes (3,1).
    compare<float>(batch_dot::layout::contiguous({2, 3, 4, 5}),
                   batch_dot::layout::contiguous({2, 5, 6, 7}), 3, 1, 6);
    compare<double>(batch_dot::layout::contiguous({2, 3, 4, 5, 6}),
                    batch_dot::layout::contiguous({2, 2, 3, 4, 5}), 2, 3, 7);
    // Empty dimensions: K = 0 gives zeros, B = 0 gives an empty result.
    compare<float>(batch_dot::layout::contiguous({3, 4, 0}),
                   batch_dot::layout::contiguous({3, 0, 5}), 2, 1, 8);
    compare<float>(batch_dot::layout::contiguous({0, 4}), batch_dot::layout::contiguous({0, 4}),
                   1, 1, 9);
}

void test_strided_output() {
    current_test = "strided output";
    // Out (2, 3) written into every other element of a 12-element buffer;
    // the padding must be left as it was.
    const auto x = ints<double>(2 * 3 * 4, 11), y = ints<double>(2 * 4 * 1, 12);
    const auto xl = batch_dot::layout::contiguous({2, 3, 4});
    const auto yl = batch_dot::layout::contiguous({2, 4, 1});
    EXPECT((batch_dot::infer_shape(xl.shape(), yl.shape(), {2, 1}) == shape_t{2, 3, 1}));
    std::vector<double> out(12, -99.0);
    const batch_dot::layout ol({2, 3, 1}, {6, 2, 1}, 12);
    batch_dot::compute(x.data(), xl, y.data(), yl, {2, 1}, out.data(), ol);
    shape_t s;
    const auto want = naive(x.data(), xl, y.data(), yl, 2, 1, s);
    for (std::size_t k = 0; k < 6; k++) {
        EXPECT(out[2 * k] == want[k]);
        EXPECT(out[2 * k + 1] == -99.0);
    }
}

void test_threads() {
    current_test = "threads";
    // Results are bitwise identical whatever num_threads is (random floats).
    std::mt19937 rng(42);
    std::normal_distribution<float> d;
    std::vector<float> x(16 * 33 * 17), y(16 * 17 * 29);
    for (auto &e : x) e = d(rng);
    for (auto &e : y) e = d(rng);
    const auto r1 = batch_dot::batch_dot(x, {16, 33, 17}, y, {16, 17, 29}, {2, 1},
                                         batch_dot::options().num_threads(1));
    const auto r4 = batch_dot::batch_dot(x, {16, 33, 17}, y, {16, 17, 29}, {2, 1},
                                         batch_dot::options().num_threads(4));
    EXPECT(r1.shape == r4.shape);
    EXPECT(r1.data.size() == r4.data.size() &&
           std::memcmp(r1.data.data(), r4.data.data(), r1.data.size() * sizeof(float)) == 0);
    EXPECT(batch_dot::options().num_threads() == 0);
    EXPECT(batch_dot::options().num_threads(3).num_threads() == 3);
}

// out = alpha*(x.y) + beta*out through options().scale() into a strided out
// (every other element of a buffer whose gaps hold NaN), against alpha*naive
// + beta*out0 computed here. Small integers and dyadic alpha/beta keep every
// value exact, so the comparison is exact.
template <class T>
void scale_case(double alpha, double beta, std::uint32_t threads, unsigned seed) {
    const auto x = ints<T>(3 * 5 * 7, seed), y = ints<T>(3 * 7 * 4, seed + 1);
    const auto xl = batch_dot::layout::contiguous({3, 5, 7});
    const auto yl = batch_dot::layout::contiguous({3, 7, 4});
    shape_t s;
    const auto want = naive(x.data(), xl, y.data(), yl, 2, 1, s);
    const std::size_t n = want.size();
    const auto out0 = ints<T>(n, seed + 2);
    std::vector<T> buf(2 * n, T(NAN));
    if (beta != 0)
        for (std::size_t k = 0; k < n; k++) buf[2 * k] = out0[k];
    const auto ol = batch_dot::layout::strided(s, {2 * s[1] * s[2], 2 * s[2], 2}, (i64)buf.size());
    batch_dot::compute(x.data(), xl, y.data(), yl, {2, 1}, buf.data(), ol,
                       batch_dot::options().num_threads(threads).scale(alpha, beta));
    bool ok = true, gaps = true;
    for (std::size_t k = 0; k < n; k++) {
        T w = T(alpha) * want[k];
        if (beta != 0) w += T(beta) * out0[k];
        ok = ok && buf[2 * k] == w;
        gaps = gaps && std::isnan(buf[2 * k + 1]);
    }
    if (!ok || !gaps)
        std::fprintf(stderr, "scale_case alpha %g beta %g threads %u (%s)\n", alpha, beta, threads,
                     sizeof(T) == 4 ? "float" : "double");
    EXPECT(ok);
    EXPECT(gaps);
}

void test_scale() {
    current_test = "scale";
    unsigned seed = 100;
    for (double alpha : {1.0, 0.0, -1.0, 0.5, -2.25, 3.0})
        for (double beta : {0.0, 1.0, -1.0, 0.5, -3.0})
            for (std::uint32_t nt : {1u, 2u}) {
                scale_case<float>(alpha, beta, nt, seed++);
                scale_case<double>(alpha, beta, nt, seed++);
            }

    // The builder: defaults, chaining, and the C struct it fills.
    const batch_dot::options d;
    EXPECT(!d.scaled() && d.alpha() == 1.0 && d.beta() == 0.0);
    EXPECT(d.raw().struct_size == 32 && d.raw().flags == 0);
    const auto o = batch_dot::options().num_threads(2).scale(0.125, -1);
    EXPECT(o.scaled() && o.alpha() == 0.125 && o.beta() == -1.0 && o.num_threads() == 2);
    EXPECT(o.raw().flags == BATCH_DOT_OPT_SCALE);

    // Attention scores q.k^T / sqrt(d) in one call = the plain call, scaled.
    std::mt19937 rng(3);
    std::normal_distribution<double> nd;
    std::vector<double> q(2 * 5 * 16), k(2 * 5 * 16);
    for (auto &e : q) e = nd(rng);
    for (auto &e : k) e = nd(rng);
    const double a = 1 / std::sqrt(16.0);
    const auto plain = batch_dot::batch_dot(q, {2, 5, 16}, k, {2, 5, 16}, {2, 2});
    const auto sc = batch_dot::batch_dot(q, {2, 5, 16}, k, {2, 5, 16}, {2, 2},
                                         batch_dot::options().scale(a));
    EXPECT((sc.shape == shape_t{2, 5, 5}));
    bool close = sc.data.size() == plain.data.size();
    for (std::size_t i = 0; close && i < sc.data.size(); i++)
        close = std::fabs(sc.data[i] - a * plain.data[i]) <= 1e-12 * (1 + std::fabs(plain.data[i]));
    EXPECT(close);

    // layout::strided: the library's checks, at construction.
    const auto l = batch_dot::layout::strided({2, 3}, {1, 2}, 7, 1);
    EXPECT((l.shape() == shape_t{2, 3} && l.strides() == shape_t{1, 2}));
    EXPECT(l.offset() == 1 && l.len() == 7);
    expect_error([] { batch_dot::layout::strided({2, -1}, {1, 1}, 4); },
                 BATCH_DOT_STATUS_INVALID_SHAPE, __LINE__);
    expect_error([] { batch_dot::layout::strided({2, 2}, {2, 1}, -1); },
                 BATCH_DOT_STATUS_INVALID_ARGUMENT, __LINE__);
    expect_error([] { batch_dot::layout::strided(shape_t(17, 1), shape_t(17, 1), 1); },
                 BATCH_DOT_STATUS_INVALID_RANK, __LINE__);
    expect_error([] { batch_dot::layout::strided({2, 2}, {2}, 4); },
                 BATCH_DOT_STATUS_INVALID_ARGUMENT, __LINE__);
}

// The message the C API gives for the same failing call.
std::string c_message() {
    char buf[1024];
    batch_dot_last_error_message(buf, sizeof buf);
    return buf;
}

void test_errors() {
    current_test = "errors";
    std::string m;

    m = expect_error([] { batch_dot::infer_shape({3, 4}, {5, 4}, 1); },
                     BATCH_DOT_STATUS_BATCH_MISMATCH, __LINE__);
    EXPECT(m == "Cannot do batch_dot on inputs with different batch sizes. Received inputs with "
                "shapes (3, 4) and (5, 4).");

    m = expect_error([] { batch_dot::infer_shape({2, 3}, {2, 4}, 1); },
                     BATCH_DOT_STATUS_CONTRACTION_MISMATCH, __LINE__);
    EXPECT(m == "Cannot do batch_dot on inputs with shapes (2, 3) and (2, 4) with axes=[1, 1]. "
                "x.shape[1] != y.shape[1] (3 != 4).");
    // The same message as the C API's for the same call.
    {
        const i64 xs[2] = {2, 3}, ys[2] = {2, 4};
        std::int32_t nd;
        i64 os[BATCH_DOT_MAX_NDIM];
        EXPECT(batch_dot_infer_shape(2, xs, 2, ys, 1, 1, &nd, os) ==
               BATCH_DOT_STATUS_CONTRACTION_MISMATCH);
        EXPECT(c_message() == m);
    }

    m = expect_error([] { batch_dot::infer_shape({3}, {3, 4}, 1); }, BATCH_DOT_STATUS_INVALID_RANK,
                     __LINE__);
    EXPECT(m.find("rank < 2") != std::string::npos);
    expect_error([] { batch_dot::infer_shape({3, 4}, {3, 4}, 0); }, BATCH_DOT_STATUS_BATCH_AXIS,
                 __LINE__);
    expect_error([] { batch_dot::infer_shape({3, 4}, {3, 4}, {1, 2}); },
                 BATCH_DOT_STATUS_INVALID_AXES, __LINE__);
    expect_error([] { batch_dot::infer_shape({3, 4}, {3, 4}, {batch_dot::axis_default, 1}); },
                 BATCH_DOT_STATUS_INVALID_AXES, __LINE__);
    expect_error([] { batch_dot::layout::contiguous({2, -3}); }, BATCH_DOT_STATUS_INVALID_SHAPE,
                 __LINE__);
    expect_error([] { batch_dot::layout::contiguous(shape_t(17, 1)); },
                 BATCH_DOT_STATUS_INVALID_RANK, __LINE__);
    expect_error([] { batch_dot::layout(shape_t(17, 1), shape_t(17, 1), 1); },
                 BATCH_DOT_STATUS_INVALID_RANK, __LINE__);
    expect_error([] { batch_dot::layout({2, 2}, {2}, 4); }, BATCH_DOT_STATUS_INVALID_ARGUMENT,
                 __LINE__);

    // Compute errors leave the output untouched.
    const std::vector<float> x = {1, 2, 3, 4}, y = {5, 6, 7, 8};
    const auto l22 = batch_dot::layout::contiguous({2, 2});
    std::vector<float> out = {-1, -1, -1, -1};
    // The out layout must have the inferred shape (2, 1).
    expect_error(
        [&] {
            batch_dot::compute(x.data(), l22, y.data(), l22, 1, out.data(),
                               batch_dot::layout::contiguous({2}));
        },
        BATCH_DOT_STATUS_OUTPUT_SHAPE, __LINE__);
    // x's layout claims more elements than the 4 it owns.
    m = expect_error(
        [&] {
            batch_dot::compute(x.data(), batch_dot::layout({2, 2}, {4, 1}, 4), y.data(), l22, 1,
                               out.data(), batch_dot::layout::contiguous({2, 1}));
        },
        BATCH_DOT_STATUS_OUT_OF_BOUNDS, __LINE__);
    EXPECT(!m.empty());
    // The vector convenience bounds the input by the vector's real size.
    expect_error([&] { batch_dot::batch_dot(x, {2, 3}, y, {2, 3}, 1); },
                 BATCH_DOT_STATUS_OUT_OF_BOUNDS, __LINE__);
    // Out overlapping an input.
    std::vector<float> xy = {1, 2, 3, 4, 0, 0};
    expect_error(
        [&] {
            batch_dot::compute(xy.data(), batch_dot::layout({2, 2}, {2, 1}, 6), xy.data(),
                               batch_dot::layout({2, 2}, {2, 1}, 6), 1, xy.data() + 3,
                               batch_dot::layout({2, 1}, {1, 1}, 3));
        },
        BATCH_DOT_STATUS_ALIASING, __LINE__);
    EXPECT((xy == std::vector<float>{1, 2, 3, 4, 0, 0}));
    // A NULL data pointer of a tensor with elements.
    expect_error(
        [&] {
            batch_dot::compute(static_cast<const float *>(nullptr), l22, y.data(), l22, 1,
                               out.data(), batch_dot::layout::contiguous({2, 1}));
        },
        BATCH_DOT_STATUS_NULL_POINTER, __LINE__);
    EXPECT((out == std::vector<float>{-1, -1, -1, -1}));

    // An unknown flag bit (1 is BATCH_DOT_OPT_SCALE), and the scale flag in
    // a 0.1-sized (16-byte) struct that has no alpha and beta.
    batch_dot::options bad;
    bad.raw().flags = 2;
    expect_error([&] { batch_dot::batch_dot(x, {2, 2}, y, {2, 2}, 1, bad); },
                 BATCH_DOT_STATUS_INVALID_ARGUMENT, __LINE__);
    batch_dot::options short_struct = batch_dot::options().scale(2.0);
    short_struct.raw().struct_size = 16;
    expect_error([&] { batch_dot::batch_dot(x, {2, 2}, y, {2, 2}, 1, short_struct); },
                 BATCH_DOT_STATUS_INVALID_ARGUMENT, __LINE__);

    // batch_dot::error is a std::runtime_error.
    try {
        batch_dot::infer_shape({3, 4}, {5, 4}, 1);
        EXPECT(false);
    } catch (const std::runtime_error &e) {
        EXPECT(std::string(e.what()).find("different batch sizes") != std::string::npos);
    }
    // A successful call after a failed one works and clears the message.
    EXPECT((batch_dot::infer_shape({3, 4}, {3, 4}, 1) == shape_t{3, 1}));
    EXPECT(c_message().empty());
}

void test_version() {
    current_test = "version";
    EXPECT(batch_dot::abi_version() == BATCH_DOT_ABI_VERSION);
    const std::string want = std::to_string(BATCH_DOT_VERSION_MAJOR) + "." +
                             std::to_string(BATCH_DOT_VERSION_MINOR) + "." +
                             std::to_string(BATCH_DOT_VERSION_PATCH);
    EXPECT(batch_dot::version() == want);
    static_assert(std::is_base_of_v<std::runtime_error, batch_dot::error>);
    static_assert(sizeof(batch_dot_layout) == 280);
    static_assert(sizeof(batch_dot_options) == 32);
    // Without <dlpack/dlpack.h> or BATCH_DOT_WITH_DLPACK the header needs no
    // DLPack (test_dlpack.cpp covers the other two ways).
    static_assert(BATCH_DOT_HPP_DLPACK == 0);
}

// ---------------------------------------------------------------------------
// 16-bit and 8-bit element types (docs/API.md, "Element types (version 0.2)")
// ---------------------------------------------------------------------------

// A 16-bit float format described by its value table, independently of the
// wrapper's bit manipulations: pos[i] is the value of bits i for every
// non-negative finite pattern (0 .. max finite), computed with ldexp.
struct format16 {
    const char *name;
    std::vector<double> pos;  // pos[i] = value of bits i
    double inf_at;            // where the next pattern (Inf) would sit: max + ulp
    std::uint16_t inf_bits;
    int mant_bits;            // stored mantissa bits (7 for bf16, 10 for f16)
    int exp_bits;

    // Value of any 16-bit pattern: sign, exponent, mantissa by the IEEE rules.
    double decode(std::uint16_t b) const {
        const int m = b & ((1 << mant_bits) - 1);
        const int e = (b >> mant_bits) & ((1 << exp_bits) - 1);
        const int bias = (1 << (exp_bits - 1)) - 1;
        double v;
        if (e == (1 << exp_bits) - 1)
            v = m == 0 ? HUGE_VAL : NAN;
        else if (e == 0)
            v = std::ldexp((double)m, 1 - bias - mant_bits);
        else
            v = std::ldexp((double)((1 << mant_bits) + m), e - bias - mant_bits);
        return (b & 0x8000) ? -v : v;
    }

    // Round-to-nearest-even by search in the value table; overflow to Inf is
    // the tie rule too (Inf's pattern is even, max's odd).
    std::uint16_t round(double v) const {
        const std::uint16_t sign = std::signbit(v) ? 0x8000 : 0;
        const double a = std::fabs(v);
        if (a >= inf_at) return sign | inf_bits;
        const std::size_t i =
            (std::size_t)(std::upper_bound(pos.begin(), pos.end(), a) - pos.begin()) - 1;
        if (pos[i] == a) return (std::uint16_t)(sign | i);
        const double hi = i + 1 < pos.size() ? pos[i + 1] : inf_at;
        const double dlo = a - pos[i], dhi = hi - a;
        std::size_t r = dlo < dhi ? i : dhi < dlo ? i + 1 : (i % 2 == 0 ? i : i + 1);
        return (std::uint16_t)(sign | r);
    }

    static format16 make(const char *name, int mant_bits, int exp_bits) {
        format16 f{name, {}, 0, 0, mant_bits, exp_bits};
        f.inf_bits = (std::uint16_t)(((1 << exp_bits) - 1) << mant_bits);
        for (std::uint32_t b = 0; b < f.inf_bits; b++) f.pos.push_back(f.decode((std::uint16_t)b));
        const double ulp = f.pos.back() - f.pos[f.pos.size() - 2];
        f.inf_at = f.pos.back() + ulp;
        return f;
    }
};

const format16 &bf16_format() {
    static const format16 f = format16::make("bf16", 7, 8);
    return f;
}
const format16 &f16_format() {
    static const format16 f = format16::make("f16", 10, 5);
    return f;
}

float float_of_bits(std::uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// T(float) and float(T) for batch_dot::bf16 or batch_dot::f16, against the
// format's table: every pattern decoded, every value, every midpoint between
// neighbours and the floats beside it, random floats, NaNs.
template <class T>
void check_conversions(const format16 &fmt) {
    int bad = 0;
    // Widening: every pattern.
    for (std::uint32_t b = 0; b <= 0xffff; b++) {
        const float f = T::from_bits((std::uint16_t)b);
        const double want = fmt.decode((std::uint16_t)b);
        if (std::isnan(want)) {
            if (!std::isnan(f) || std::signbit(f) != ((b & 0x8000) != 0)) bad++;
        } else if ((double)f != want || std::signbit(f) != std::signbit(want)) {
            bad++;
        }
    }
    // Narrowing.
    std::vector<float> in;
    for (std::size_t i = 0; i < fmt.pos.size(); i++) {
        const double lo = fmt.pos[i], hi = i + 1 < fmt.pos.size() ? fmt.pos[i + 1] : fmt.inf_at;
        const float mid = (float)((lo + hi) / 2);
        if ((double)mid != (lo + hi) / 2) bad++;  // every midpoint is a float
        for (float v : {(float)lo, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, HUGE_VALF)}) {
            in.push_back(v);
            in.push_back(-v);
        }
    }
    for (float v : {HUGE_VALF, -HUGE_VALF, FLT_MAX, -FLT_MAX, FLT_MIN, FLT_TRUE_MIN, -0.0f,
                    65504.0f, 65519.99f, 65520.0f, 1e-8f, 2.9802322e-08f /* 2^-25 */})
        in.push_back(v);
    std::mt19937 rng(20261206);
    for (int i = 0; i < 200000; i++) {
        const float v = float_of_bits((std::uint32_t)rng());
        if (!std::isnan(v)) in.push_back(v);
    }
    for (float v : in) {
        const std::uint16_t got = T(v).bits, want = fmt.round((double)v);
        if (got != want) {
            if (bad++ < 5)
                std::fprintf(stderr, "%s(%a) = 0x%04x, expected 0x%04x\n", fmt.name, (double)v,
                             got, want);
        }
    }
    // NaN: stays NaN, sign kept, quiet bit set, top payload bits kept.
    const int shift = 23 - fmt.mant_bits;
    const std::uint32_t quiet = 1u << (fmt.mant_bits - 1);
    for (std::uint32_t u : {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff800001u, 0x7fbfffffu,
                            0x7fe00000u, 0x7fd55555u, 0xffaaaaaau}) {
        const std::uint16_t h = T(float_of_bits(u)).bits;
        const std::uint32_t payload = (u & 0x007fffffu) >> shift;
        EXPECT(std::isnan(fmt.decode(h)));
        EXPECT(((h & 0x8000) != 0) == ((u >> 31) != 0));
        EXPECT((h & quiet) != 0);
        EXPECT((h & (quiet - 1)) == (payload & (quiet - 1)));
    }
    EXPECT(bad == 0);
}

void test_16bit_conversions() {
    current_test = "bf16/f16 conversions";
    check_conversions<batch_dot::bf16>(bf16_format());
    check_conversions<batch_dot::f16>(f16_format());
    // A few by hand: 1, -2, 1 + 2^-8 (a tie: to even, 1), 1 + 3*2^-8 (up).
    EXPECT(batch_dot::bf16(1.0f).bits == 0x3f80 && batch_dot::bf16(-2.0f).bits == 0xc000);
    EXPECT(batch_dot::bf16(1.00390625f).bits == 0x3f80);
    EXPECT(batch_dot::bf16(1.01171875f).bits == 0x3f82);
    EXPECT(batch_dot::f16(1.0f).bits == 0x3c00 && batch_dot::f16(65504.0f).bits == 0x7bff);
    EXPECT(batch_dot::f16(65520.0f).bits == 0x7c00 && batch_dot::f16(5.9604645e-08f).bits == 1);
    EXPECT(float(batch_dot::f16::from_bits(0x0001)) == 0x1p-24f);
    EXPECT(batch_dot::bf16().bits == 0 && batch_dot::f16{}.bits == 0);
    static_assert(sizeof(batch_dot::bf16[3]) == 6 && alignof(batch_dot::f16) == 2);
}

i64 wrap32(i64 s) {  // s modulo 2^32, as a two's-complement int32
    i64 r = s % (i64(1) << 32);
    if (r < 0) r += i64(1) << 32;
    return r >= (i64(1) << 31) ? r - (i64(1) << 32) : r;
}

// The definition as a naive loop in A (double or int64), converting each
// element with cx and cy; abs holds Σ|x·y| for error bounds.
template <class A, class X, class Y, class CX, class CY>
std::vector<A> reference(const X *x, const batch_dot::layout &xl, const Y *y,
                         const batch_dot::layout &yl, int ax, int ay, shape_t &out_shape,
                         CX cx, CY cy, std::vector<double> *abs = nullptr) {
    const shape_t xs = xl.shape(), ys = yl.shape();
    const i64 B = xs[0], K = xs[ax];
    shape_t xfree, yfree;
    std::vector<int> xdims, ydims;
    for (int d = 1; d < (int)xs.size(); d++)
        if (d != ax) xfree.push_back(xs[d]), xdims.push_back(d);
    for (int d = 1; d < (int)ys.size(); d++)
        if (d != ay) yfree.push_back(ys[d]), ydims.push_back(d);
    out_shape = {B};
    out_shape.insert(out_shape.end(), xfree.begin(), xfree.end());
    out_shape.insert(out_shape.end(), yfree.begin(), yfree.end());
    if (out_shape.size() == 1) out_shape.push_back(1);
    std::vector<A> out;
    if (abs) abs->clear();
    if (count(out_shape) == 0) return out;
    std::vector<i64> xi(xs.size()), yi(ys.size());
    for (i64 b = 0; b < B; b++) {
        std::vector<i64> i(xfree.size(), 0);
        do {
            std::vector<i64> j(yfree.size(), 0);
            do {
                A sum = A(0);
                double asum = 0;
                for (i64 t = 0; t < K; t++) {
                    xi[0] = b;
                    xi[ax] = t;
                    for (std::size_t k = 0; k < xdims.size(); k++) xi[xdims[k]] = i[k];
                    yi[0] = b;
                    yi[ay] = t;
                    for (std::size_t k = 0; k < ydims.size(); k++) yi[ydims[k]] = j[k];
                    const A p = cx(x[at(xl, xi)]) * cy(y[at(yl, yi)]);
                    sum += p;
                    asum += std::fabs((double)p);
                }
                out.push_back(sum);
                if (abs) abs->push_back(asum);
            } while (next(j, yfree));
        } while (next(i, xfree));
    }
    return out;
}

// Small integers in a 16-bit type: every sum here is exact in f32.
template <class T>
std::vector<T> small16(std::size_t n, unsigned seed) {
    std::vector<T> v(n);
    const auto iv = ints<float>(n, seed);
    for (std::size_t k = 0; k < n; k++) v[k] = T(iv[k]);
    return v;
}

// T (bf16 or f16) on the layouts: the T result is the exact sum rounded
// once (the table's rounding), the float result the exact sum.
template <class T>
void lowp_case(const format16 &fmt, const batch_dot::layout &xl, const batch_dot::layout &yl,
               int ax, int ay, unsigned seed) {
    const auto x = small16<T>((std::size_t)xl.len(), seed);
    const auto y = small16<T>((std::size_t)yl.len(), seed + 1);
    const auto dec = [&](T v) { return fmt.decode(v.bits); };
    shape_t s;
    const auto want = reference<double>(x.data(), xl, y.data(), yl, ax, ay, s, dec, dec);
    const auto got = batch_dot::batch_dot(x.data(), xl, y.data(), yl, {ax, ay});
    static_assert(std::is_same_v<decltype(got), const batch_dot::tensor<T>>);
    const auto got32 = batch_dot::batch_dot<float>(x.data(), xl, y.data(), yl, {ax, ay});
    EXPECT(got.shape == s && got32.shape == s);
    bool ok = got.data.size() == want.size() && got32.data.size() == want.size();
    for (std::size_t k = 0; ok && k < want.size(); k++)
        ok = got.data[k].bits == fmt.round(want[k]) && (double)got32.data[k] == want[k] &&
             !std::signbit(got32.data[k]) == !std::signbit(want[k]);
    if (!ok) std::fprintf(stderr, "%s case, seed %u\n", fmt.name, seed);
    EXPECT(ok);
}

template <class T>
void lowp_layouts(const format16 &fmt, unsigned seed) {
    const batch_dot::layout xt({2, 3, 4}, {12, 1, 3}, 24);
    const auto yc = batch_dot::layout::contiguous({2, 4, 5});
    lowp_case<T>(fmt, xt, yc, 2, 1, seed++);
    const batch_dot::layout xneg({3, 4, 5}, {20, -5, 1}, 60, 15);
    const batch_dot::layout ybcast({3, 5, 6}, {0, 6, 1}, 30);
    lowp_case<T>(fmt, xneg, ybcast, 2, 1, seed++);
    lowp_case<T>(fmt, batch_dot::layout::contiguous({2, 3, 4, 5}),
                 batch_dot::layout::contiguous({2, 5, 6, 7}), 3, 1, seed++);
    // Long enough for the blocked paths (K > 128), still exact.
    lowp_case<T>(fmt, batch_dot::layout::contiguous({2, 33, 200}),
                 batch_dot::layout::contiguous({2, 200, 17}), 2, 1, seed++);
    lowp_case<T>(fmt, batch_dot::layout::contiguous({3, 4, 0}),
                 batch_dot::layout::contiguous({3, 0, 5}), 2, 1, seed++);
}

// Random (non-integer) 16-bit inputs: the float result is within docs/API.md's
// bound 2(K+2)·2^-24·Σ|x·y| of the exact sum, and the 16-bit result lies
// between the roundings of the bound's two ends.
template <class T>
void lowp_random(const format16 &fmt, unsigned seed, std::uint32_t threads) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd;
    const i64 B = 3, M = 7, K = 300, N = 5;
    std::vector<T> x((std::size_t)(B * M * K)), y((std::size_t)(B * K * N));
    for (auto &e : x) e = T(nd(rng));
    for (auto &e : y) e = T(nd(rng));
    const auto dec = [&](T v) { return fmt.decode(v.bits); };
    const auto xl = batch_dot::layout::contiguous({B, M, K});
    const auto yl = batch_dot::layout::contiguous({B, K, N});
    shape_t s;
    std::vector<double> abs;
    const auto want = reference<double>(x.data(), xl, y.data(), yl, 2, 1, s, dec, dec, &abs);
    const auto opts = batch_dot::options().num_threads(threads);
    const auto got = batch_dot::batch_dot(x.data(), xl, y.data(), yl, {2, 1}, opts);
    const auto got32 = batch_dot::batch_dot<float>(x.data(), xl, y.data(), yl, {2, 1}, opts);
    bool ok = got.data.size() == want.size() && got32.data.size() == want.size();
    for (std::size_t k = 0; ok && k < want.size(); k++) {
        const double bound = 2.0 * (K + 2) * 0x1p-24 * abs[k];
        ok = std::fabs((double)got32.data[k] - want[k]) <= bound;
        const double lo = fmt.decode(fmt.round(want[k] - bound));
        const double hi = fmt.decode(fmt.round(want[k] + bound));
        const double g = fmt.decode(got.data[k].bits);
        ok = ok && lo <= g && g <= hi;
    }
    if (!ok) std::fprintf(stderr, "%s random, seed %u\n", fmt.name, seed);
    EXPECT(ok);
}

void test_16bit_compute() {
    current_test = "bf16/f16 compute";
    lowp_layouts<batch_dot::bf16>(bf16_format(), 300);
    lowp_layouts<batch_dot::f16>(f16_format(), 400);
    for (std::uint32_t nt : {1u, 3u}) {
        lowp_random<batch_dot::bf16>(bf16_format(), 500 + nt, nt);
        lowp_random<batch_dot::f16>(f16_format(), 600 + nt, nt);
    }

    // scale(0.5, 1) on a bf16 out: 0.5*s + out0, rounded once (exact here).
    const auto x = small16<batch_dot::bf16>(2 * 3 * 4, 31), y = small16<batch_dot::bf16>(2 * 4, 32);
    const auto out0 = small16<batch_dot::bf16>(6, 33);
    std::vector<batch_dot::bf16> out = out0;
    batch_dot::compute(x.data(), batch_dot::layout::contiguous({2, 3, 4}), y.data(),
                       batch_dot::layout::contiguous({2, 4}), {2, 1}, out.data(),
                       batch_dot::layout::contiguous({2, 3}), batch_dot::options().scale(0.5, 1));
    const auto dec = [](batch_dot::bf16 v) { return bf16_format().decode(v.bits); };
    shape_t s;
    const auto w = reference<double>(x.data(), batch_dot::layout::contiguous({2, 3, 4}), y.data(),
                                     batch_dot::layout::contiguous({2, 4}), 2, 1, s, dec, dec);
    bool ok = w.size() == 6;
    for (std::size_t k = 0; ok && k < 6; k++)
        ok = out[k].bits == bf16_format().round(0.5 * w[k] + dec(out0[k]));
    EXPECT(ok);

    // Mixed 16-bit inputs are not a row of the table: a compile-time error.
    static_assert(!batch_dot::detail::is_combination<batch_dot::bf16, batch_dot::f16, float>);
    static_assert(!batch_dot::detail::is_combination<batch_dot::f16, batch_dot::f16, double>);
    static_assert(batch_dot::detail::is_combination<batch_dot::f16, batch_dot::f16, float>);
}

// int8 (or uint8) x times int8 y into int32 on the layouts, against an exact
// int64 sum reduced modulo 2^32.
template <class X>
void int8_case(const batch_dot::layout &xl, const batch_dot::layout &yl, int ax, int ay,
               unsigned seed, std::uint32_t threads = 1) {
    std::mt19937 rng(seed);
    std::vector<X> x((std::size_t)xl.len());
    std::vector<std::int8_t> y((std::size_t)yl.len());
    for (auto &e : x) e = (X)(std::is_signed_v<X> ? (int)(rng() % 256) - 128 : (int)(rng() % 256));
    for (auto &e : y) e = (std::int8_t)((int)(rng() % 256) - 128);
    const auto to64 = [](auto v) { return (i64)v; };
    shape_t s;
    const auto want = reference<i64>(x.data(), xl, y.data(), yl, ax, ay, s, to64, to64);
    const auto got = batch_dot::batch_dot(x.data(), xl, y.data(), yl, {ax, ay},
                                          batch_dot::options().num_threads(threads));
    static_assert(std::is_same_v<decltype(got), const batch_dot::tensor<std::int32_t>>);
    EXPECT(got.shape == s);
    bool ok = got.data.size() == want.size();
    for (std::size_t k = 0; ok && k < want.size(); k++) ok = got.data[k] == wrap32(want[k]);
    if (!ok) std::fprintf(stderr, "int8 case (%s x), seed %u\n",
                          std::is_signed_v<X> ? "int8" : "uint8", seed);
    EXPECT(ok);
}

void test_int8() {
    current_test = "int8";
    unsigned seed = 700;
    const batch_dot::layout xt({2, 3, 4}, {12, 1, 3}, 24);
    const auto yc = batch_dot::layout::contiguous({2, 4, 5});
    const batch_dot::layout xneg({3, 4, 5}, {20, -5, 1}, 60, 15);
    const batch_dot::layout ybcast({3, 5, 6}, {0, 6, 1}, 30);
    const batch_dot::layout yslice({3, 5, 2}, {40, 8, 3}, 120, 1);
    for (std::uint32_t nt : {1u, 2u}) {
        int8_case<std::int8_t>(xt, yc, 2, 1, seed++, nt);
        int8_case<std::uint8_t>(xt, yc, 2, 1, seed++, nt);
        int8_case<std::int8_t>(xneg, ybcast, 2, 1, seed++, nt);
        int8_case<std::uint8_t>(xneg, yslice, 2, 1, seed++, nt);
        int8_case<std::int8_t>(batch_dot::layout::contiguous({2, 19, 300}),
                               batch_dot::layout::contiguous({2, 300, 37}), 2, 1, seed++, nt);
        int8_case<std::uint8_t>(batch_dot::layout::contiguous({2, 19, 300}),
                                batch_dot::layout({2, 37, 300}, {11100, 1, 37}, 22200), 2, 2,
                                seed++, nt);
    }
    int8_case<std::int8_t>(batch_dot::layout::contiguous({3, 4, 0}),
                           batch_dot::layout::contiguous({3, 0, 5}), 2, 1, seed++);

    // Sums beyond int32 wrap modulo 2^32: (-128)·(-128)·131072 = 2^31, and
    // 255·(-128)·65794 = -2147516160.
    {
        const std::vector<std::int8_t> a(131072, -128);
        const auto r = batch_dot::batch_dot(a, {1, 131072}, a, {1, 131072}, 1);
        EXPECT(r.data.size() == 1 && r.data[0] == wrap32(i64(1) << 31));
        EXPECT(r.data[0] == INT32_MIN);
        const std::vector<std::uint8_t> u(65794, 255);
        const std::vector<std::int8_t> v(65794, -128);
        const auto q = batch_dot::batch_dot(u, {1, 65794}, v, {1, 65794}, 1);
        EXPECT(q.data.size() == 1 && q.data[0] == wrap32(-2147516160LL));
        EXPECT(q.data[0] == 2147451136);
    }

    // beta = 1 adds to out modulo 2^32; beta = 0 does not read out.
    const std::vector<std::int8_t> x = {1, -2, 3, 4}, y = {5, 6, -7, 8};
    const auto l = batch_dot::layout::contiguous({2, 2});
    const auto ol = batch_dot::layout::contiguous({2, 1});
    std::vector<std::int32_t> out = {INT32_MAX, -5};
    batch_dot::compute(x.data(), l, y.data(), l, 1, out.data(), ol,
                       batch_dot::options().scale(1, 1));
    EXPECT(out[0] == wrap32(i64(INT32_MAX) - 7) && out[1] == 6);
    out = {123, 456};
    batch_dot::compute(x.data(), l, y.data(), l, 1, out.data(), ol, batch_dot::options().scale(1, 0));
    EXPECT((out == std::vector<std::int32_t>{-7, 11}));

    // alpha must be 1, beta 0 or 1 (the library's check and message).
    std::string m = expect_error(
        [&] {
            batch_dot::compute(x.data(), l, y.data(), l, 1, out.data(), ol,
                               batch_dot::options().scale(2, 0));
        },
        BATCH_DOT_STATUS_INVALID_ARGUMENT, __LINE__);
    EXPECT(m == "options->alpha = 2: an int32 output takes alpha = 1 only.");
    m = expect_error(
        [&] {
            batch_dot::compute(x.data(), l, y.data(), l, 1, out.data(), ol,
                               batch_dot::options().scale(1, 0.5));
        },
        BATCH_DOT_STATUS_INVALID_ARGUMENT, __LINE__);
    EXPECT(m == "options->beta = 0.5: an int32 output takes beta = 0 or 1 only.");
    EXPECT((out == std::vector<std::int32_t>{-7, 11}));

    static_assert(!batch_dot::detail::is_combination<std::int8_t, std::uint8_t, std::int32_t>);
    static_assert(!batch_dot::detail::is_combination<std::int8_t, std::int8_t, float>);
    static_assert(!batch_dot::detail::is_combination<std::uint8_t, std::uint8_t, std::int32_t>);
}

// The README's C++ examples of the new element types, as written there.
void test_readme_dtypes() {
    current_test = "README dtypes";
    std::vector<batch_dot::bf16> x16, y16;
    for (float v : {1.f, 2.f, 3.f, 4.f}) x16.push_back(batch_dot::bf16(v));
    for (float v : {5.f, 6.f, 7.f, 8.f}) y16.push_back(batch_dot::bf16(v));
    auto s = batch_dot::batch_dot<float>(x16, {2, 2}, y16, {2, 2}, 1);  // float sums: {17, 53}
    auto h = batch_dot::batch_dot(x16, {2, 2}, y16, {2, 2}, 1);  // bf16: float(h.data[1]) == 53
    EXPECT((s.data == std::vector<float>{17, 53}));
    EXPECT(float(h.data[0]) == 17 && float(h.data[1]) == 53);

    std::vector<std::int8_t> a = {1, -2, 3, 4}, b = {5, 6, -7, 8};
    auto r = batch_dot::batch_dot(a, {2, 2}, b, {2, 2}, 1);  // tensor<int32_t>: {-7, 11}
    EXPECT((r.data == std::vector<std::int32_t>{-7, 11}));
}

#if BATCH_DOT_HPP_STDFLOAT && defined(__STDCPP_BFLOAT16_T__) && defined(__STDCPP_FLOAT16_T__)
#define BATCH_DOT_TEST_STDFLOAT 1
// std::bfloat16_t and std::float16_t: the same bits as batch_dot::bf16/f16.
void test_stdfloat() {
    current_test = "std::bfloat16_t, std::float16_t";
    std::mt19937 rng(9);
    std::normal_distribution<float> nd;
    std::vector<std::bfloat16_t> xb(2 * 5 * 40), yb(2 * 40 * 3);
    std::vector<std::float16_t> xh(xb.size()), yh(yb.size());
    std::vector<batch_dot::bf16> xb2(xb.size()), yb2(yb.size());
    std::vector<batch_dot::f16> xh2(xb.size()), yh2(yb.size());
    bool same = true;
    for (std::size_t i = 0; i < xb.size(); i++) {
        const float v = nd(rng);
        xb[i] = static_cast<std::bfloat16_t>(v), xb2[i] = batch_dot::bf16(v);
        xh[i] = static_cast<std::float16_t>(v), xh2[i] = batch_dot::f16(v);
        same = same && std::memcmp(&xb[i], &xb2[i], 2) == 0 && std::memcmp(&xh[i], &xh2[i], 2) == 0;
    }
    for (std::size_t i = 0; i < yb.size(); i++) {
        const float v = nd(rng);
        yb[i] = static_cast<std::bfloat16_t>(v), yb2[i] = batch_dot::bf16(v);
        yh[i] = static_cast<std::float16_t>(v), yh2[i] = batch_dot::f16(v);
    }
    EXPECT(same);
    const auto rb = batch_dot::batch_dot(xb, {2, 5, 40}, yb, {2, 40, 3}, {2, 1});
    const auto rb2 = batch_dot::batch_dot(xb2, {2, 5, 40}, yb2, {2, 40, 3}, {2, 1});
    const auto rh = batch_dot::batch_dot<float>(xh, {2, 5, 40}, yh, {2, 40, 3}, {2, 1});
    const auto rh2 = batch_dot::batch_dot<float>(xh2, {2, 5, 40}, yh2, {2, 40, 3}, {2, 1});
    static_assert(std::is_same_v<decltype(rb), const batch_dot::tensor<std::bfloat16_t>>);
    EXPECT(rb.data.size() == 30 && std::memcmp(rb.data.data(), rb2.data.data(), 60) == 0);
    EXPECT(rh.data == rh2.data);
}
#endif

}  // namespace

int main() {
    test_seed_example();
    test_seed_shapes();
    test_strided_inputs();
    test_strided_output();
    test_threads();
    test_scale();
    test_errors();
    test_version();
    test_16bit_conversions();
    test_16bit_compute();
    test_int8();
    test_readme_dtypes();
#ifdef BATCH_DOT_TEST_STDFLOAT
    test_stdfloat();
    std::printf("std::bfloat16_t and std::float16_t: tested (C++ %ld)\n", (long)__cplusplus);
#else
    std::printf("std::bfloat16_t and std::float16_t: not in this compiler's <stdfloat> (C++ %ld)\n",
                (long)__cplusplus);
#endif
    std::printf("%d checks, %d failures (libbatch_dot %s)\n", checks, failures,
                batch_dot::version().c_str());
    return failures == 0 ? 0 : 1;
}
