//! `detcat serve` without the CLI: the load test and local checks run this, so they do not
//! depend on the other crates of the binary.
//!
//! ```sh
//! cargo run --release -p detcat_web --example serve -- [CATALOG.db] [127.0.0.1:8080]
//! ```

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let catalog = args
        .next()
        .filter(|a| !a.is_empty())
        .map(std::path::PathBuf::from);
    let addr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned())
        .parse()?;
    detcat_web::serve_blocking(catalog, addr)?;
    Ok(())
}
