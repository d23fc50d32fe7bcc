//! Rule counts for ATT&CK Navigator layers: one aggregate over the catalog, cheaper than a
//! technique page per technique.

use detcat_model::Vendor;

use super::{Catalog, vendor_col};
use crate::error::CatalogError;

/// Active rules of one vendor that name one enterprise technique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechniqueVendorCount {
    pub technique_id: String,
    pub vendor: Vendor,
    pub rules: u64,
}

impl Catalog {
    /// Active rules per enterprise-attack technique (not revoked) and vendor — of `vendor`
    /// only when given — by technique id, then vendor.
    pub fn enterprise_rule_counts(
        &self,
        vendor: Option<Vendor>,
    ) -> Result<Vec<TechniqueVendorCount>, CatalogError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT rt.technique_id, r.vendor, COUNT(DISTINCT r.rid) AS rules
             FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid
             JOIN techniques t ON t.id = rt.technique_id
             WHERE r.lifecycle = 'active' AND t.domain = 'enterprise-attack' AND NOT t.revoked
               AND (?1 IS NULL OR r.vendor = ?1)
             GROUP BY rt.technique_id, r.vendor ORDER BY rt.technique_id, r.vendor",
        )?;
        let rows = stmt
            .query_map([vendor.map(Vendor::as_str)], |r| {
                Ok(TechniqueVendorCount {
                    technique_id: r.get("technique_id")?,
                    vendor: vendor_col(r, 1)?,
                    rules: r.get("rules")?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
