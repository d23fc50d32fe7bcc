//! The names the model's enums have in the catalog, the JSON views and on pages — the same
//! strings serde writes — so front ends print an enum, never a copy of its string.

use std::fmt;

use crate::{Lifecycle, ParseStatus, Role, Severity, Vendor};

impl Lifecycle {
    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Active => "active",
            Lifecycle::Deprecated => "deprecated",
            Lifecycle::Unsupported => "unsupported",
        }
    }
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A vendor is its name wherever a name is taken (links, labels).
impl AsRef<str> for Vendor {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

display_as_str!(Lifecycle, ParseStatus, Role, Severity);

#[cfg(test)]
mod tests {
    use super::*;

    /// The names are serde's: what the catalog stores and the JSON views print.
    #[test]
    fn names_are_the_serialized_strings() {
        let check = |name: &str, json: String| assert_eq!(json, format!("\"{name}\""));
        for l in [
            Lifecycle::Active,
            Lifecycle::Deprecated,
            Lifecycle::Unsupported,
        ] {
            check(l.as_str(), serde_json::to_string(&l).unwrap_or_default());
        }
        for s in [
            ParseStatus::Normalized,
            ParseStatus::Partial,
            ParseStatus::Failed,
        ] {
            check(
                &s.to_string(),
                serde_json::to_string(&s).unwrap_or_default(),
            );
        }
        for s in [Severity::Error, Severity::Warning, Severity::Info] {
            check(s.as_str(), serde_json::to_string(&s).unwrap_or_default());
        }
        for r in [
            Role::Selector,
            Role::Indicator,
            Role::Exclusion,
            Role::Other,
        ] {
            check(
                &r.to_string(),
                serde_json::to_string(&r).unwrap_or_default(),
            );
        }
    }
}
