//! Every tuning constant of the kernels, each with a one-line reason; the
//! measurements behind them are in docs/PERFORMANCE.md. Changing one changes
//! speed only, except `KC`, which shapes the sums (last bits of results).

/// x86 cache line: the step of line-by-line prefetches.
pub(crate) const LINE_BYTES: usize = 64;

// Selection (select.rs).

/// B rows this close (one AVX-512 panel) are read in place: packing them bought nothing.
pub(crate) const IN_PLACE_ROW_BYTES: usize = 256;
/// Up to this many rows, B's contiguous rows are read in place: too little reuse to pay a copy.
pub(crate) const IN_PLACE_MAX_ROWS: usize = 8;
/// Up to this many rows (one panel wide, k <= KC), blocks run as a loop of small products.
pub(crate) const SMALL_MAX_ROWS: usize = 8;

// Thread rule (select.rs).

/// Compute rate (FLOP/ns) of the time estimate that decides threads: 100 GFLOP/s, one core.
pub(crate) const EST_FLOPS_PER_NS: f64 = 100.0;
/// Memory rate (bytes/ns) of the same estimate: 20 GB/s.
pub(crate) const EST_BYTES_PER_NS: f64 = 20.0;
/// Estimated work (ns) needed per extra thread: below it a worker costs more than it saves.
pub(crate) const MIN_NS_PER_THREAD: f64 = 40_000.0;
/// Fewer blocks than this per thread: blocks are split into row parts so every thread has work.
pub(crate) const ITEMS_PER_THREAD: usize = 4;
/// Blocks with fewer rows are never split into row parts: too little work per part.
pub(crate) const SPLIT_MIN_ROWS: usize = 16;
/// Row parts are a multiple of this many rows: part boundaries fall on whole small tiles.
pub(crate) const PART_ROWS_MULTIPLE: usize = 8;
/// Chunks per thread, claimed dynamically: a thread slowed by other work takes fewer.
pub(crate) const CHUNKS_PER_THREAD: usize = 4;

// Register tiles (dispatch.rs): MR rows × NV vectors of accumulators.

/// AVX-512 rows: 6×4 accumulators + 4 B vectors + 1 broadcast fit 32 zmm registers.
pub(crate) const AVX512_MR: usize = 6;
/// AVX-512 tile width in vectors: 64 f32 or 32 f64 columns (other shapes were slower).
pub(crate) const AVX512_NV: usize = 4;
/// AVX2 rows: 6×2 accumulators + 2 B vectors + 1 broadcast fit 16 ymm registers.
pub(crate) const AVX2_MR: usize = 6;
/// AVX2 tile width in vectors: 16 f32 or 8 f64 columns.
pub(crate) const AVX2_NV: usize = 2;
/// Portable rows: a tile small enough for the compiler to keep in SSE registers.
pub(crate) const SCALAR_MR: usize = 4;
/// Portable tile width in 4-element "vectors".
pub(crate) const SCALAR_NV: usize = 2;

// Blocked GEMM (gemm.rs).

/// Contraction steps per block: A tile and B panel stay in L1; fixed, as it shapes the sums.
pub(crate) const KC: usize = 128;
/// B columns packed at a time: KC×NC (256 KiB f32, 512 KiB f64) stays in L2; 256 was slower.
pub(crate) const NC: usize = 512;
/// A rows read in place this long (bytes per K block) are prefetched a tile ahead: too slow for HW.
pub(crate) const PF_ROW_BYTES: usize = 512;
/// Rows down to this span are prefetched too when their memory has gaps (first line only).
pub(crate) const PF_GAPPED_ROW_BYTES: usize = 256;
/// Vectors this wide prefetch the next A rows' first line into L2, not every line into L1.
pub(crate) const PF_FIRST_LINE_VECTOR_BYTES: usize = 64;

// Fixed-size kernels (tiny.rs).

/// How far ahead (bytes of blocks) the fixed-size kernels prefetch x and y: 1-2 KiB was best.
pub(crate) const TINY_AHEAD_BYTES: usize = 1024;

// Streaming kernels (stream.rs).

/// How far ahead (bytes of rows) row dots and mat-vec prefetch, into L2.
pub(crate) const STREAM_PF_BYTES: usize = 16384;
/// The least distance (bytes of rows) between two of those prefetches: one
/// line every 256 bytes or more (a prefetch per line was slower).
pub(crate) const STREAM_PF_EVERY_BYTES: usize = 256;

// 16-bit inputs (`wide.rs`): the f32 scratch tiles they are converted into.
/// Elements of a chunk of small products, A, B and C together (32 KB).
pub(crate) const WIDE_SMALL_ELEMS: usize = 8192;
/// Rows of A converted at a time (a multiple of 6, 4, 2: whole tiles).
pub(crate) const WIDE_RA: usize = 96;
/// Rows of A converted, multiplied and stored at a time when K is one block (12-96 ran alike).
pub(crate) const WIDE_RA1: usize = 24;
/// Rows of f32 sums kept across the blocks of K (with NC columns, 512 KB).
pub(crate) const WIDE_RO: usize = 256;
