/* Attention scores in bfloat16 (the README quotes it): q (1,2,4) and k (1,3,4),
   scores = q·kᵀ / √4 with axes (2, 2), kept in float32 for a softmax. */
#include <stdio.h>
#include <string.h>

#include <batch_dot.h>

static uint16_t bf16(float f) { /* float -> bfloat16 bits, nearest even */
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

int main(void) {
    const int64_t qs[3] = {1, 2, 4}, ks[3] = {1, 3, 4}, ss[3] = {1, 2, 3};
    const float qf[8] = {1, 0, 1, 0, 0, 2, 0, 2}, kf[12] = {1, 1, 1, 1, 2, 0, 2, 0, 0, 3, 0, 3};
    uint16_t q[8], k[12];
    for (int i = 0; i < 8; i++) q[i] = bf16(qf[i]);
    for (int i = 0; i < 12; i++) k[i] = bf16(kf[i]);
    float scores[6];
    batch_dot_layout ql, kl, sl;
    batch_dot_options opt;
    batch_dot_options_init(&opt);
    opt.flags = BATCH_DOT_OPT_SCALE; /* out = alpha·(q·kᵀ) + beta·out */
    opt.alpha = 0.5;                 /* 1/√d, d = 4 */
    int32_t st = batch_dot_layout_init_contiguous(&ql, 3, qs);
    if (st == BATCH_DOT_STATUS_OK) st = batch_dot_layout_init_contiguous(&kl, 3, ks);
    if (st == BATCH_DOT_STATUS_OK) st = batch_dot_layout_init_contiguous(&sl, 3, ss);
    if (st == BATCH_DOT_STATUS_OK)
        st = batch_dot_compute(BATCH_DOT_DTYPE_BF16, &ql, q, BATCH_DOT_DTYPE_BF16, &kl, k, 2, 2,
                               BATCH_DOT_DTYPE_F32, &sl, scores, &opt);
    if (st != BATCH_DOT_STATUS_OK) {
        char msg[256];
        batch_dot_last_error_message(msg, sizeof msg);
        fprintf(stderr, "%s: %s\n", batch_dot_status_string(st), msg);
        return 1;
    }
    for (int i = 0; i < 6; i++) printf("%g%s", scores[i], i == 5 ? "\n" : " "); /* 1 2 0 2 0 6 */
    return 0;
}
