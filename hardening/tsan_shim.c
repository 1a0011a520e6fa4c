/*
 * ThreadSanitizer glue for a Rust library built with -Zsanitizer=thread and
 * a C program built by GCC: rustc's LLVM instruments memcpy/memmove/memset
 * as calls to __tsan_memcpy/__tsan_memmove/__tsan_memset, which GCC's older
 * libtsan does not define. These forward to the C functions, which libtsan
 * intercepts, so the accesses are still checked. Linked into the test
 * program with -rdynamic so the library resolves them.
 */
#include <string.h>

void *__tsan_memcpy(void *d, const void *s, size_t n);
void *__tsan_memmove(void *d, const void *s, size_t n);
void *__tsan_memset(void *d, int c, size_t n);

void *__tsan_memcpy(void *d, const void *s, size_t n) { return memcpy(d, s, n); }
void *__tsan_memmove(void *d, const void *s, size_t n) { return memmove(d, s, n); }
void *__tsan_memset(void *d, int c, size_t n) { return memset(d, c, n); }
