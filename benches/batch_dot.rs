//! Native benchmark of the C ABI on the suite of docs/PERFORMANCE.md, without
//! Python in the loop: per-call overhead (case `o`) and the time of every
//! case, at the thread counts asked for. NumPy comparisons and result checks
//! are in bench/bench_batch_dot.py; this one only times (and checks one
//! element per case as a sanity test).
//!
//!     cargo bench --bench batch_dot                 # all cases, 1 and 2 threads
//!     cargo bench --bench batch_dot -- o d1 --threads 1 --samples 21
//!
//! Options: case ids to run (default all), `--threads 1,2`, `--samples N`
//! (default 11), `--min-ms T` per sample (default 20), `--f64` (also time
//! f64 for every case). `BATCH_DOT_FORCE_ISA` selects a kernel level.
//! Pin it yourself (`taskset -c 0` for one thread).

use std::time::Instant;

use testkit::calls::{infer_shape, with_threads};
use testkit::layouts::lay;
use testkit::reference;
use testkit::TestElem;

struct Case {
    id: &'static str,
    /// x: (shape, strides) of the view, and the length of its base buffer.
    x: (Vec<i64>, Vec<i64>, usize),
    y: (Vec<i64>, Vec<i64>, usize),
    ax: (i64, i64),
    unit: &'static str,
}

fn contiguous(shape: &[i64]) -> (Vec<i64>, Vec<i64>, usize) {
    let mut st = vec![0; shape.len()];
    let mut s = 1;
    for d in (0..shape.len()).rev() {
        st[d] = s;
        s *= shape[d];
    }
    (shape.to_vec(), st, s as usize)
}

fn suite() -> Vec<Case> {
    // A case on views: (shape, strides, base buffer length) for x and y.
    let v = |id, x, y, ax, unit| Case { id, x, y, ax, unit };
    // A case on contiguous x and y.
    let c = |id, x: &[i64], y: &[i64], ax, unit| v(id, contiguous(x), contiguous(y), ax, unit);
    // A GF/s case on x a strided view, batch outermost, of a base buffer of
    // x[0] × strides[0] elements; y contiguous of x's shape.
    let g = |id, x: &[i64], strides: &[i64], ax| {
        let view = (x.to_vec(), strides.to_vec(), (x[0] * strides[0]) as usize);
        v(id, view, contiguous(x), ax, "GF/s")
    };
    // The microkernel diagnostics: x (2000, 8, 256) with batch stride 0 and
    // `strides`, times y (2000, 256, 32) with batch stride 0.
    let ukr = |id, strides: &[i64]| {
        let x = (vec![2000, 8, 256], strides.to_vec(), 8 * 256);
        let y = (vec![2000, 256, 32], vec![0, 32, 1], 256 * 32);
        v(id, x, y, (2, 1), "GF/s")
    };
    vec![
        c("a", &[96, 64, 64], &[96, 64, 64], (2, 2), "GF/s"),
        c("a2", &[96, 128, 64], &[96, 128, 64], (2, 2), "GF/s"),
        c("b", &[96, 128, 128], &[96, 128, 64], (2, 1), "GF/s"),
        c("c", &[8, 512, 512], &[8, 512, 512], (2, 1), "GF/s"),
        c("d1", &[4096, 4, 4], &[4096, 4, 4], (2, 1), "GB/s"),
        c("d2", &[10000, 8, 8], &[10000, 8, 8], (2, 1), "GB/s"),
        c("e", &[1000000, 16], &[1000000, 16], (1, 1), "GB/s"),
        c("f", &[1024, 256, 256], &[1024, 256], (2, 1), "GB/s"),
        // g1: base (96,128,64)[:, ::2, :]
        g("g1", &[96, 64, 64], &[128 * 64, 128, 1], (2, 2)),
        // g2: base (8,512,512).transpose(0,2,1)
        g("g2", &[8, 512, 512], &[512 * 512, 1, 512], (2, 1)),
        // g3: base (96,64,128)[:, :, ::2]
        g("g3", &[96, 64, 64], &[64 * 128, 128, 2], (2, 2)),
        c("o", &[1, 4], &[1, 4], (1, 1), "ns/call"),
        // Diagnostic (not in the suite): the microkernel alone on L1-resident
        // operands (batch stride 0): 8×256 · 256×32 per block.
        ukr("_ukr", &[0, 256, 1]),
        // The same with A stored as a packed panel (a_rs = 1, a_cs = 8).
        ukr("_ukrp", &[0, 1, 8]),
        // Diagnostic (not in the suite): c with x's rows padded to 528.
        g("_cpad", &[8, 512, 512], &[512 * 528, 528, 1], (2, 1)),
    ]
}

fn fill<T: TestElem>(n: usize, seed: u64) -> Vec<T> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            T::from_f64(((s >> 40) as f64 / (1u64 << 24) as f64) - 0.5)
        })
        .collect()
}

fn run_case<T: TestElem>(c: &Case, threads: u32, samples: usize, min_ms: f64) {
    let xv: Vec<T> = fill(c.x.2, 1);
    let yv: Vec<T> = fill(c.y.2, 2);
    let xl = lay(&c.x.0, &c.x.1, 0, c.x.2 as i64);
    let yl = lay(&c.y.0, &c.y.1, 0, c.y.2 as i64);
    let mut ond = 0i32;
    let mut osh = [0i64; 16];
    let st = infer_shape(&c.x.0, &c.y.0, c.ax, &mut ond, &mut osh);
    assert_eq!(st, 0);
    let (os, ost, olen) = contiguous(&osh[..ond as usize]);
    let ol = lay(&os, &ost, 0, olen as i64);
    let mut out: Vec<T> = vec![T::ZERO; olen];
    let opts = with_threads(threads);
    let mut call = || {
        let st = unsafe {
            T::call(
                &xl,
                xv.as_ptr(),
                &yl,
                yv.as_ptr(),
                c.ax.0,
                c.ax.1,
                &ol,
                out.as_mut_ptr(),
                &opts,
            )
        };
        assert_eq!(st, 0);
    };
    // Warm-up >= 0.2 s, then calibrate the calls per sample.
    let t0 = Instant::now();
    let mut n = 0u64;
    while t0.elapsed().as_secs_f64() < 0.2 {
        call();
        n += 1;
    }
    let per = t0.elapsed().as_secs_f64() / n as f64;
    let reps = ((min_ms * 1e-3 / per).ceil() as u64).max(1);
    let mut cpu: Vec<f64> = Vec::new();
    let mut peaks: Vec<f64> = Vec::new();
    let mut ts: Vec<f64> = (0..samples)
        .map(|_| {
            peaks.push(peak_gflops());
            let c0 = cpu_time();
            let t = Instant::now();
            for _ in 0..reps {
                call();
            }
            let w = t.elapsed().as_secs_f64() / reps as f64;
            cpu.push((cpu_time() - c0) / reps as f64);
            w
        })
        .collect();
    ts.sort_by(|a, b| a.partial_cmp(b).unwrap());
    cpu.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let (med, best) = (ts[ts.len() / 2], ts[0]);
    let cpu_med = cpu[cpu.len() / 2];
    peaks.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let peak = peaks[peaks.len() / 2];
    // Sanity: out[0], the element [0, ..., 0], against the test kit's
    // reference on the slices of x and y that make it (every extent 1 but
    // the contraction's).
    let (a0, a1) = (c.ax.0 as usize, c.ax.1 as usize);
    let k = c.x.0[a0] as usize;
    let slice = |s: &[i64], a: usize| -> Vec<i64> {
        (0..s.len())
            .map(|d| if d == a { s[d] } else { 1 })
            .collect()
    };
    let (xk, yk) = (c.x.1[a0], c.y.1[a1]);
    let want = reference::batch_dot_by(
        &slice(&c.x.0, a0),
        |i| xv[(i[a0] as i64 * xk) as usize].to_f64(),
        &slice(&c.y.0, a1),
        |i| yv[(i[a1] as i64 * yk) as usize].to_f64(),
        c.ax.0,
        c.ax.1,
    )
    .expect("a valid case");
    let ok = want.accepts(0, out[0]);
    let flops = 2.0 * olen as f64 * k as f64;
    let elems =
        (c.x.0.iter().product::<i64>() + c.y.0.iter().product::<i64>()) as f64 + olen as f64;
    let bytes = elems * std::mem::size_of::<T>() as f64;
    let rate = match c.unit {
        "GF/s" => format!("{:8.1} GF/s", flops / med / 1e9),
        "GB/s" => format!("{:8.1} GB/s", bytes / med / 1e9),
        _ => format!("{:8.1} ns/call", med * 1e9),
    };
    println!(
        "{:3} {} T={} median {:>10} best {:>10} {}  (cpu/call {:>10}; 1-core FMA peak now {:.0} GF/s{}){}",
        c.id,
        T::NAME,
        threads,
        fmt(med),
        fmt(best),
        rate,
        fmt(cpu_med),
        peak,
        if c.unit == "GF/s" {
            format!(" -> cpu-time rate {:.0}%", 100.0 * flops / cpu_med / 1e9 / peak)
        } else {
            String::new()
        },
        if ok { "" } else { "  CHECK FAILED" }
    );
}

/// The single-core f32 FMA rate per CPU-second the machine gives right now (12 independent
/// zmm FMA chains, ~2 ms), to judge a sample taken on a busy machine.
fn peak_gflops() -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            let t = cpu_time();
            let iters = 100_000;
            let s = unsafe { fma_chains(iters) };
            std::hint::black_box(s);
            return 12.0 * 16.0 * 2.0 * iters as f64 / (cpu_time() - t) / 1e9;
        }
    }
    f64::NAN
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn fma_chains(iters: usize) -> f32 {
    use std::arch::x86_64::*;
    let m = _mm512_set1_ps(0.999_999);
    let a = _mm512_set1_ps(1e-7);
    let mut c = [_mm512_set1_ps(1.0); 12];
    for _ in 0..iters {
        for v in c.iter_mut() {
            *v = _mm512_fmadd_ps(*v, m, a);
        }
    }
    let mut s = _mm512_setzero_ps();
    for v in c {
        s = _mm512_add_ps(s, v);
    }
    _mm512_reduce_add_ps(s)
}

/// CPU time of the whole process (all threads), in seconds: under
/// contention from other processes this is what the calls really used.
fn cpu_time() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn fmt(s: f64) -> String {
    if s < 1e-6 {
        format!("{:.1} ns", s * 1e9)
    } else if s < 1e-3 {
        format!("{:.2} us", s * 1e6)
    } else {
        format!("{:.3} ms", s * 1e3)
    }
}

/// An option's value, parsed; panics with `usage` when missing or not one.
fn arg<T: std::str::FromStr>(v: Option<String>, usage: &str) -> T {
    v.and_then(|v| v.parse().ok()).expect(usage)
}

fn main() {
    let mut ids: Vec<String> = Vec::new();
    let mut threads = vec![1u32, 2];
    let mut samples = 11;
    let mut min_ms = 20.0;
    let mut f64_too = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => {
                threads = args
                    .next()
                    .expect("--threads N,M")
                    .split(',')
                    .map(|t| t.parse().expect("thread count"))
                    .collect()
            }
            "--samples" => samples = arg(args.next(), "--samples N"),
            "--min-ms" => min_ms = arg(args.next(), "--min-ms T"),
            "--f64" => f64_too = true,
            s if s.starts_with('-') => {} // cargo's --bench and friends
            s => ids.push(s.to_string()),
        }
    }
    for c in suite() {
        let selected = ids.iter().any(|i| i == c.id);
        if (!ids.is_empty() && !selected) || (ids.is_empty() && c.id.starts_with('_')) {
            continue;
        }
        for &t in &threads {
            run_case::<f32>(&c, t, samples, min_ms);
            if f64_too || matches!(c.id, "a" | "b" | "c") {
                run_case::<f64>(&c, t, samples, min_ms);
            }
        }
    }
}
