// batch_dot.hpp with BATCH_DOT_WITH_DLPACK and without <dlpack/dlpack.h>
// included first: the DLTensor overload is there all the same (the header
// includes batch_dot_dlpack.h, which includes <dlpack/dlpack.h>).
#define BATCH_DOT_WITH_DLPACK 1
#include "batch_dot.hpp"

#include <cstdint>
#include <vector>

static_assert(BATCH_DOT_HPP_DLPACK == 1, "BATCH_DOT_WITH_DLPACK brings the DLTensor overload");

// batch_dot([[1, 2], [3, 4]], [[5, 6], [7, 8]], axes=1) = [[17], [53]] in
// float64 through DLTensors; 0 when right.
int dlpack_macro_check() {
    std::vector<double> x = {1, 2, 3, 4}, y = {5, 6, 7, 8}, out = {0, 0};
    std::vector<std::int64_t> s22 = {2, 2}, s21 = {2, 1};
    DLTensor tx{}, ty{}, to{};
    tx.data = x.data(), ty.data = y.data(), to.data = out.data();
    for (DLTensor *t : {&tx, &ty, &to}) {
        t->device = DLDevice{kDLCPU, 0};
        t->ndim = 2;
        t->dtype = DLDataType{kDLFloat, 64, 1};
        t->shape = s22.data();
    }
    to.shape = s21.data();
    batch_dot::compute(tx, ty, 1, to);
    return out[0] == 17 && out[1] == 53 ? 0 : 1;
}
