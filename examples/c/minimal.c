/* The smallest complete use of libbatch_dot from C (the README quotes it):
   Keras's documented example, batch_dot(x, y, axes=1) = [[17],[53]]. */
#include <stdio.h>

#include <batch_dot.h>

int main(void) {
    const int64_t shape[2] = {2, 2};
    const float x[4] = {1, 2, 3, 4}, y[4] = {5, 6, 7, 8};
    float out[2];
    batch_dot_layout xy_layout, out_layout;
    int32_t out_ndim;
    int64_t out_shape[BATCH_DOT_MAX_NDIM];

    /* axes=1 is (1, 1); the result's shape is (2, 1). */
    int32_t st = batch_dot_infer_shape(2, shape, 2, shape, 1, 1, &out_ndim, out_shape);
    if (st == BATCH_DOT_STATUS_OK) st = batch_dot_layout_init_contiguous(&xy_layout, 2, shape);
    if (st == BATCH_DOT_STATUS_OK)
        st = batch_dot_layout_init_contiguous(&out_layout, out_ndim, out_shape);
    if (st == BATCH_DOT_STATUS_OK)
        st = batch_dot_f32(&xy_layout, x, &xy_layout, y, 1, 1, &out_layout, out, NULL);
    if (st != BATCH_DOT_STATUS_OK) {
        char msg[256];
        batch_dot_last_error_message(msg, sizeof msg);
        fprintf(stderr, "%s: %s\n", batch_dot_status_string(st), msg);
        return 1;
    }
    printf("[[%g],[%g]]\n", out[0], out[1]); /* [[17],[53]] */
    return 0;
}
