//! `detcat similar` and the rule page's "Same idea in other vendors" (issue 13).

use std::sync::Arc;

use super::Catalog;
use crate::error::CatalogError;
use crate::similar::{ClusterPage, SimilarPage, SimilarRule, SimilarityIndex};

/// How many rules the rule page lists under "Same idea in other vendors".
pub const SAME_IDEA_LIMIT: usize = 5;

impl Catalog {
    /// The similarity index of this catalog, built from its triples at first use.
    pub fn similarity(&self) -> Result<Arc<SimilarityIndex>, CatalogError> {
        if let Some(index) = self.similarity.get() {
            return Ok(Arc::clone(index));
        }
        let index = Arc::new(SimilarityIndex::load(&self.conn)?);
        Ok(Arc::clone(self.similarity.get_or_init(|| index)))
    }

    /// Makes this catalog use (and fill) the similarity index of `other`: the catalogs of a
    /// web pool read one file, so one index serves them all.
    pub fn share_similarity(&mut self, other: &Catalog) {
        self.similarity = Arc::clone(&other.similarity);
    }

    /// `detcat similar KEY`: the rules of every vendor most similar to the rule `KEY` (an id
    /// or `vendor/id`), best first.
    pub fn similar(&self, key: &str, limit: usize) -> Result<Option<SimilarPage>, CatalogError> {
        Ok(self.similarity()?.page(key, limit))
    }

    /// `detcat similar --technique T`: the technique's active rules grouped into clusters of
    /// near-duplicates (score ≥ `threshold`); `None` when the catalog has no such technique
    /// and no rule tagged with it.
    pub fn clusters(
        &self,
        technique: &str,
        threshold: f64,
    ) -> Result<Option<ClusterPage>, CatalogError> {
        let id = technique.trim().to_ascii_uppercase();
        let page = self.similarity()?.clusters(&id, threshold);
        if page.rules == 0 && !self.technique_ids()?.contains(&id) {
            return Ok(None);
        }
        Ok(Some(page))
    }

    /// The rule page's "Same idea in other vendors".
    pub(crate) fn same_idea(
        &self,
        vendor: &str,
        id: &str,
    ) -> Result<Vec<SimilarRule>, CatalogError> {
        Ok(self
            .similarity()?
            .other_vendors(vendor, id, SAME_IDEA_LIMIT))
    }
}
