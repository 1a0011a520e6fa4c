/* Attention scores in int8 (the README quotes it): q (1,2,4) and k (1,3,4),
   scores = q·kᵀ with axes (2, 2), exact in int32 on every CPU. The first
   score, 127·127 + 127·127 = 32258, is one a 16-bit saturating kernel
   (vpmaddubsw) would get wrong. */
#include <stdio.h>

#include <batch_dot.h>

int main(void) {
    const int64_t qs[3] = {1, 2, 4}, ks[3] = {1, 3, 4}, ss[3] = {1, 2, 3};
    const int8_t q[8] = {127, 127, -128, 5, -1, 2, -3, 4};
    const int8_t k[12] = {127, 127, 0, 0, -128, -128, -128, -128, 1, 2, 3, 4};
    int32_t scores[6];
    batch_dot_layout ql, kl, sl;
    int32_t st = batch_dot_layout_init_contiguous(&ql, 3, qs);
    if (st == BATCH_DOT_STATUS_OK) st = batch_dot_layout_init_contiguous(&kl, 3, ks);
    if (st == BATCH_DOT_STATUS_OK) st = batch_dot_layout_init_contiguous(&sl, 3, ss);
    /* uint8 q (a quantized engine's activations) would go through
       batch_dot_compute(BATCH_DOT_DTYPE_U8, ..., BATCH_DOT_DTYPE_S8, ...,
       BATCH_DOT_DTYPE_S32, ...). */
    if (st == BATCH_DOT_STATUS_OK) st = batch_dot_s8(&ql, q, &kl, k, 2, 2, &sl, scores, NULL);
    if (st != BATCH_DOT_STATUS_OK) {
        char msg[256];
        batch_dot_last_error_message(msg, sizeof msg);
        fprintf(stderr, "%s: %s\n", batch_dot_status_string(st), msg);
        return 1;
    }
    for (int i = 0; i < 6; i++) printf("%d%s", (int)scores[i], i == 5 ? "\n" : " ");
    /* 32258 -16768 17 127 -256 10 */
    return 0;
}
