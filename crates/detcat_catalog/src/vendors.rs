//! The parser half of the vendor registry: each vendor's [`VendorParser`].
//!
//! Everything else about a vendor is data in `detcat_model` ([`Vendor::info`]); this is the
//! one place of the catalog that names the vendor crates.

use detcat_model::{Vendor, VendorParser};

/// The parser of `vendor`.
pub fn parser(vendor: Vendor) -> &'static dyn VendorParser {
    match vendor {
        Vendor::Sigma => &detcat_sigma::Parser,
        Vendor::Elastic => &detcat_elastic::Parser,
        Vendor::Splunk => &detcat_splunk::Parser,
    }
}

/// The corpus folders of every vendor, as `a/, b/, …` for messages.
pub fn folder_list() -> String {
    Vendor::ALL
        .map(|v| format!("{}/", v.info().discovery.folder))
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_parser_answers_for_its_own_vendor() {
        for vendor in Vendor::ALL {
            assert_eq!(parser(vendor).vendor(), vendor);
        }
    }
}
