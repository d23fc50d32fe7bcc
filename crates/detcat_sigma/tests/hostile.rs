//! Hostile input: every case yields one failed rule with a diagnostic, quickly, never a
//! crash or a hang.

use std::time::{Duration, Instant};

use detcat_model::{ParseStatus, SourceFile};

fn failed_code(text: String) -> String {
    let started = Instant::now();
    let out = detcat_sigma::parse_files(&[SourceFile::new("sigma/rules/x/hostile.yml", text)]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "too slow (a hang?)"
    );
    let rules = &out[0].rules;
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].status(), ParseStatus::Failed);
    rules[0]
        .diagnostics
        .first()
        .map(|d| d.code.clone())
        .unwrap_or_default()
}

#[test]
fn yaml_alias_bomb() {
    let mut text = String::from("title: bomb\na: &a [x,x,x,x,x,x,x,x,x]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"];
    for w in names.windows(2) {
        text.push_str(&format!(
            "{}: &{} [{}]\n",
            w[1],
            w[1],
            vec![format!("*{}", w[0]); 9].join(",")
        ));
    }
    assert_eq!(failed_code(text), "sigma::yaml-error");
}

#[test]
fn fifty_megabyte_file() {
    let text = format!(
        "title: big\ndescription: '{}'\n",
        "A".repeat(50 * 1024 * 1024)
    );
    assert_eq!(failed_code(text), "sigma::file-too-large");
}

#[test]
fn deeply_nested_maps() {
    let text: String = (0..1500)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    let deep_flow = format!("detection: {}", "{a: ".repeat(100_000));
    assert_eq!(failed_code(text), "sigma::yaml-error");
    assert_eq!(failed_code(deep_flow), "sigma::yaml-error");
}

#[test]
fn deep_but_legal_detection_nesting() {
    let list = format!("{}x{}", "[".repeat(60), "]".repeat(60));
    let text = format!("title: t\ndetection:\n  sel: {list}\n  condition: sel\n");
    let out = detcat_sigma::parse_files(&[SourceFile::new("sigma/rules/x/deep.yml", text)]);
    assert!(
        out[0].rules[0]
            .diagnostics
            .iter()
            .any(|d| d.code == "sigma::nesting-too-deep")
    );
}

#[test]
fn binary_garbage() {
    let bytes: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert_eq!(failed_code(text), "sigma::yaml-error");
}

#[test]
fn not_a_mapping_and_missing_parts() {
    assert_eq!(failed_code("- a\n- b\n".into()), "sigma::not-a-mapping");
    assert_eq!(failed_code("title: x\n".into()), "sigma::missing-detection");
    assert_eq!(
        failed_code("title: x\ndetection:\n  sel: {a: 1}\n".into()),
        "sigma::missing-condition"
    );
    assert_eq!(
        failed_code("title: x\ndetection:\n  sel: {a: 1}\n  condition: sel and (\n".into()),
        "sigma::condition-syntax"
    );
}

#[test]
fn condition_error_span_points_into_the_file() {
    let text = "title: x\ndetection:\n  sel: {a: 1}\n  condition: sel oops\n".to_owned();
    let out = detcat_sigma::parse_files(&[SourceFile::new("sigma/rules/x/c.yml", text.clone())]);
    let span = out[0].rules[0]
        .diagnostics
        .first()
        .and_then(|d| d.span)
        .unwrap_or_default();
    assert_eq!(&text[span.start as usize..span.end as usize], "oops");
}
