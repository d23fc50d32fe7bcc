//! What compressing one page costs, per brotli quality and for gzip -1 and -6: the numbers
//! behind `compress`'s qualities (a large page's first answer quick, the cached coding full).
//!
//! ```sh
//! curl -s http://127.0.0.1:8080/technique/T1059.001 > page.html
//! cargo run --release -p detcat_web --example compress_bench -- page.html
//! ```

use std::io::Write;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: compress_bench FILE")?;
    let body = std::fs::read(&path)?;
    println!("{path}: {} bytes", body.len());
    let runs = 5;
    let time = |f: &dyn Fn() -> usize| {
        let mut best = f64::MAX;
        let mut size = 0;
        for _ in 0..runs {
            let t = Instant::now();
            size = f();
            best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        }
        (size, best)
    };
    for level in [1, 6] {
        let (size, ms) = time(&|| {
            let mut enc =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
            enc.write_all(&body).ok();
            enc.finish().map(|v| v.len()).unwrap_or(0)
        });
        println!("gzip -{level:<5} {size:>8} bytes  {ms:>8.1} ms (best of {runs})");
    }
    // The window the server uses (fits the body) beside the 4 MiB one it used before.
    let fitted = detcat_web::compress::brotli_window(body.len());
    for quality in [0, 1, 2, 3, 4, 5, 6, 7, 9, 11] {
        for window in [fitted, 22] {
            let (size, ms) = time(&|| {
                let mut out = Vec::new();
                {
                    let mut enc =
                        brotli::CompressorWriter::new(&mut out, 64 * 1024, quality, window);
                    enc.write_all(&body).ok();
                    enc.flush().ok();
                }
                out.len()
            });
            println!(
                "brotli q{quality:<2} w{window} {size:>8} bytes  {ms:>8.1} ms (best of {runs})"
            );
        }
    }
    Ok(())
}
