//! The `--vendor` argument: its possible values come from the vendor registry.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use detcat_model::Vendor;

/// A vendor name, checked against the registry (help lists the possible values).
pub fn name() -> PossibleValuesParser {
    PossibleValuesParser::new(Vendor::ALL.map(|v| PossibleValue::new(v.as_str())))
}

/// A vendor, parsed through the registry.
pub fn vendor() -> impl TypedValueParser<Value = Vendor> {
    name().try_map(|s| Vendor::parse(&s).ok_or_else(|| format!("unknown vendor `{s}`")))
}
