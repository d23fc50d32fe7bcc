//! `/technique/{id}/clusters`: the technique's rules grouped into clusters of near-duplicates
//! (issue 13), from the pool's shared similarity index.

use askama::Template;
use detcat_catalog::Catalog;
use detcat_catalog::similar::{CLUSTER_THRESHOLD, ClusterPage};

use crate::error::WebError;
use crate::links::Links;

#[derive(Template)]
#[template(path = "clusters.html")]
pub struct ClustersPageView<'a> {
    pub l: &'a Links,
    pub origin: &'a str,
    pub p: &'a ClusterPage,
}

/// The clusters of `id` (`None`: no such technique).
pub fn clusters(c: &Catalog, id: &str) -> Result<Option<ClusterPage>, WebError> {
    Ok(c.clusters(id, CLUSTER_THRESHOLD)?)
}

/// The page; `None` when the catalog has no such technique.
pub fn clusters_html(c: &Catalog, l: &Links, id: &str) -> Result<Option<String>, WebError> {
    let Some(p) = clusters(c, id)? else {
        return Ok(None);
    };
    Ok(Some(
        ClustersPageView {
            l,
            origin: c.origin(),
            p: &p,
        }
        .render()?,
    ))
}
