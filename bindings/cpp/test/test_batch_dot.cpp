// Tests of bindings/cpp/batch_dot.hpp against a naive loop, linked once to the
// shared and once to the static library (see CMakeLists.txt beside it).
#include "batch_dot.hpp"

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
}

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
    std::printf("%d checks, %d failures (libbatch_dot %s)\n", checks, failures,
                batch_dot::version().c_str());
    return failures == 0 ? 0 : 1;
}
