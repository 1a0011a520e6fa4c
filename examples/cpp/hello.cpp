// The C++ wrapper in a few lines: Keras's documented example, a strided
// (transposed) input, and an error. Build: see examples/cmake/CMakeLists.txt,
// or  c++ -std=c++17 hello.cpp $(pkg-config --cflags --libs batch_dot)
#include <batch_dot.hpp>

#include <cstdio>
#include <vector>

int main() {
    // batch_dot([[1, 2], [3, 4]], [[5, 6], [7, 8]], axes=1) = [[17], [53]]
    std::vector<float> x = {1, 2, 3, 4}, y = {5, 6, 7, 8};
    batch_dot::tensor<float> r = batch_dot::batch_dot(x, {2, 2}, y, {2, 2}, 1);
    std::printf("shape (%lld, %lld): [[%g],[%g]]\n", (long long)r.shape[0],
                (long long)r.shape[1], r.data[0], r.data[1]);

    // Any strides: y read through strides (1, 2) is its transpose
    // [[5, 7], [6, 8]], without a copy; the result is [[19],[50]].
    batch_dot::layout xl = batch_dot::layout::contiguous({2, 2});
    batch_dot::layout yt({2, 2}, {1, 2}, 4);  // shape, strides, elements owned
    std::vector<double> xd = {1, 2, 3, 4}, yd = {5, 6, 7, 8}, out(2);
    batch_dot::compute(xd.data(), xl, yd.data(), yt, 1, out.data(),
                       batch_dot::layout::contiguous({2, 1}), batch_dot::options().num_threads(2));
    std::printf("with y transposed: [[%g],[%g]]\n", out[0], out[1]);

    try {
        batch_dot::infer_shape({3, 4}, {5, 4}, 1);
    } catch (const batch_dot::error &e) {
        std::printf("%s: %s\n", e.status_name(), e.what());
    }
    return 0;
}
