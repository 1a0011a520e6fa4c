/* batch_dot on DLPack tensors (the README quotes it): x (1,2,3) and y (1,3,2),
   y stored transposed (strides (6, 1, 3)), out = x·y of shape (1,2,2). */
#include <stdio.h>

#include <batch_dot_dlpack.h> /* batch_dot.h and the caller's <dlpack/dlpack.h> */

int main(void) {
    float xd[6] = {1, 2, 3, 4, 5, 6}, yd[6] = {1, 0, 1, 0, 1, 1}, od[4];
    int64_t xs[3] = {1, 2, 3}, ys[3] = {1, 3, 2}, ystr[3] = {6, 1, 3}, os[3] = {1, 2, 2};
    DLTensor x = {xd, {kDLCPU, 0}, 3, {kDLFloat, 32, 1}, xs, NULL, 0}; /* NULL: row-major */
    DLTensor y = {yd, {kDLCPU, 0}, 3, {kDLFloat, 32, 1}, ys, ystr, 0};
    DLTensor out = {od, {kDLCPU, 0}, 3, {kDLFloat, 32, 1}, os, NULL, 0};
    int32_t st = batch_dot_dlpack(&x, &y, BATCH_DOT_AXIS_DEFAULT, BATCH_DOT_AXIS_DEFAULT, &out, NULL);
    if (st != BATCH_DOT_STATUS_OK) {
        char msg[256];
        batch_dot_last_error_message(msg, sizeof msg);
        fprintf(stderr, "%s: %s\n", batch_dot_status_string(st), msg);
        return 1;
    }
    printf("%g %g %g %g\n", od[0], od[1], od[2], od[3]); /* 4 5 10 11 */
    return 0;
}
