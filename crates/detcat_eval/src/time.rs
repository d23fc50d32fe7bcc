//! Event time and durations, as seconds: ISO-8601 timestamps (EVTX `SystemTime`, ECS
//! `@timestamp`, Sysmon `UtcTime`) and spans (`5m`, `1h`, `30s`, `2d`).

/// Seconds since 1970 of `YYYY-MM-DD[T ]HH:MM:SS[.frac][Z]`; `None` when unreadable.
pub fn parse(text: &str) -> Option<f64> {
    let t = text.trim();
    let num = |s: Option<&str>| s.and_then(|s| s.parse::<i64>().ok());
    let (date, rest) = t.split_at_checked(10)?;
    let mut d = date.split('-');
    let (y, m, day) = (num(d.next())?, num(d.next())?, num(d.next())?);
    let rest = rest.trim_start_matches(['T', ' ']).trim_end_matches('Z');
    let (clock, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let mut c = clock.split(':');
    let (h, mi, s) = (num(c.next())?, num(c.next())?, num(c.next())?);
    let frac: f64 = if frac.is_empty() {
        0.0
    } else {
        format!(
            "0.{}",
            frac.trim_end_matches(|ch: char| !ch.is_ascii_digit())
        )
        .parse()
        .unwrap_or(0.0)
    };
    let days = days_from_civil(y, m, day);
    Some((days * 86_400 + h * 3600 + mi * 60 + s) as f64 + frac)
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds of a span (`30s`, `5m`, `1h`, `2d`, `500ms`); a bare number is seconds.
pub fn span(text: &str) -> Option<f64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: f64 = n.parse().ok()?;
    let mult = match unit.trim() {
        "" | "s" | "sec" => 1.0,
        "ms" => 0.001,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => return None,
    };
    Some(n * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse("1970-01-01T00:00:01Z"), Some(1.0));
        assert_eq!(parse("2000-03-01 00:00:00"), Some(951_868_800.0));
        let t = parse("2025-11-27T07:40:10.165324Z").unwrap_or_default();
        assert!((t - 1_764_229_210.165_324).abs() < 1e-3, "{t}");
        assert_eq!(parse("garbage"), None);
        assert_eq!(parse("2025-1"), None);
    }

    #[test]
    fn spans() {
        assert_eq!(span("5m"), Some(300.0));
        assert_eq!(span("1h"), Some(3600.0));
        assert_eq!(span("30"), Some(30.0));
        assert_eq!(span("2x"), None);
    }
}
