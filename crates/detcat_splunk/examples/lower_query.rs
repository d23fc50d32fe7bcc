//! Prints the normalized expression (JSON) and diagnostics of one SPL query, macros expanded
//! from a corpus `splunk/` folder: the quickest way to see what the parser makes of a query.
//!
//! `cargo run -p detcat_splunk --example lower_query -- /work/shared/corpus/splunk 'index=x a=1'`

use detcat_model::SourceFile;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(query)) = (args.next(), args.next()) else {
        eprintln!("usage: lower_query <corpus splunk/ folder> <query>");
        std::process::exit(2);
    };
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(&dir).into_iter().flatten() {
        let rel = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
        let rel = format!("splunk/{}", rel.to_string_lossy().replace('\\', "/"));
        if entry.file_type().is_file() && !rel.starts_with("splunk/detections/") {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            files.push(SourceFile::new(rel, text));
        }
    }
    let context = detcat_splunk::load_context(&files);
    let outcome = detcat_splunk::parse_query(&query, &context);
    println!("expanded: {}", outcome.expanded);
    match serde_json::to_string_pretty(&outcome.expr) {
        Ok(json) => println!("{json}"),
        Err(e) => eprintln!("cannot print the expression: {e}"),
    }
    for d in &outcome.diagnostics {
        println!("{} {} {:?}", d.code, d.message, d.span);
    }
}
