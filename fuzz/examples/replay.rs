//! Replays inputs through the fuzz targets' decoders and checks, without
//! libFuzzer: `replay <target> [FILE|DIR]...` runs the given inputs, or with
//! no paths 20000 pseudo-random ones, and prints how many calls got each
//! status (to see how far the decoders get past validation). With
//! REPLAY_SHOW=<status value>, prints the messages of the first calls that
//! got that status.

use std::collections::BTreeMap;
use std::path::Path;

use batch_dot_fuzz::{int8, lowp, run};

fn inputs(paths: &[String]) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for p in paths {
        let p = Path::new(p);
        if p.is_dir() {
            let mut names: Vec<_> = std::fs::read_dir(p)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            names.sort();
            for n in names.into_iter().filter(|n| n.is_file()) {
                v.push(std::fs::read(n).unwrap());
            }
        } else {
            v.push(std::fs::read(p).unwrap());
        }
    }
    if paths.is_empty() {
        let mut s: u64 = 0x1234_5678;
        for _ in 0..20000 {
            let n = 8 + (s % 120) as usize;
            let mut b = Vec::with_capacity(n);
            for _ in 0..n {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                b.push((s >> 24) as u8);
            }
            v.push(b);
        }
    }
    v
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let target = args.first().map(String::as_str).unwrap_or("compute_f32");
    let mut hist: BTreeMap<String, usize> = BTreeMap::new();
    let all = inputs(&args[1.min(args.len())..]);
    for data in &all {
        let s = match target {
            "infer_shape" => Some(run::run_infer(&run::decode_infer(data))),
            "compute_f32" => run::run_compute::<f32>(&run::decode_compute(data)),
            "compute_f64" => run::run_compute::<f64>(&run::decode_compute(data)),
            "compute_bf16" => lowp::run_lowp(lowp::Half::Bf16, &run::decode_compute(data)),
            "compute_f16" => lowp::run_lowp(lowp::Half::F16, &run::decode_compute(data)),
            "compute_int8" => int8::run_int8(&run::decode_compute(data)),
            "dlpack" => batch_dot_fuzz::dlpack::run_dlpack(data),
            t => panic!("unknown target {t}"),
        };
        let name = s.map_or("skipped".to_string(), testkit::calls::status_string);
        if let (Some(s), Ok(show)) = (s, std::env::var("REPLAY_SHOW")) {
            if show.parse::<i32>() == Ok(s) && hist.get(&name).copied().unwrap_or(0) < 12 {
                println!("  {}", run::last_error());
            }
        }
        *hist.entry(name).or_default() += 1;
    }
    println!("{target}: {} inputs", all.len());
    for (k, v) in hist {
        println!("  {v:7}  {k}");
    }
}
