//! The "Threat-mapped scoring" section of the technique page and the matrix colours by threat
//! or gap: number formatting, actor links, and the colour classes (the CSP forbids `style`
//! attributes, so colours are classes of the stylesheet).

use std::collections::HashMap;

use detcat_catalog::views::{ActorRef, MatrixCell, PriorityView, RankBy};
use detcat_catalog::{Catalog, QueryOptions, TopFilter};

use crate::error::WebError;
use crate::links::external_url;
use crate::pages::HomeView;

/// `0.948`; `not scored` for a missing CTID part (never shown as 0).
pub fn score(v: &Option<f64>) -> String {
    v.map_or_else(|| "not scored".to_owned(), |v| format!("{v:.3}"))
}

/// `0.948`.
pub fn f3(v: impl std::borrow::Borrow<f64>) -> String {
    let v = v.borrow();
    format!("{v:.3}")
}

/// The actor's page on attack.mitre.org: the URL ATT&CK gives, else one built from its id.
pub fn actor_href(a: &ActorRef) -> String {
    if let Some(u) = a.url.as_deref().and_then(external_url) {
        return u.to_owned();
    }
    let kind = match a.id.chars().next() {
        Some('G') => "groups",
        Some('C') => "campaigns",
        _ => "software",
    };
    format!("https://attack.mitre.org/{kind}/{}", a.id)
}

/// How a matrix cell is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatrixColor {
    /// Rule count (the default).
    Rules,
    /// Threat (CTID + ATT&CK usage), 0–1.
    Threat,
    /// Priority gap: threat left uncovered by rules, 0–1.
    Gap,
}

impl MatrixColor {
    /// `?color=threat|gap|rules`; anything else is the default.
    pub fn parse(s: Option<&str>) -> MatrixColor {
        match s {
            Some("threat") => MatrixColor::Threat,
            Some("gap") => MatrixColor::Gap,
            _ => MatrixColor::Rules,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MatrixColor::Rules => "rules",
            MatrixColor::Threat => "threat",
            MatrixColor::Gap => "gap",
        }
    }
}

/// The heat class (`heat-0` … `heat-4`) of a 0–1 score: 0, then steps of 0.2 up to 0.6+.
pub fn heat(v: impl std::borrow::Borrow<f64>) -> &'static str {
    match *v.borrow() {
        v if v >= 0.6 => "heat-4",
        v if v >= 0.4 => "heat-3",
        v if v >= 0.2 => "heat-2",
        v if v > 0.0 => "heat-1",
        _ => "heat-0",
    }
}

/// The value a cell is coloured by, for its tooltip: `gap 0.412 · threat 0.800`.
pub fn cell_note(p: &PriorityView) -> String {
    format!(
        "gap {:.3} · threat {:.3} · coverage {:.3}",
        p.score, p.threat, p.coverage
    )
}

/// Priority of every active technique, for colouring the matrix by threat or gap.
pub fn matrix_scores(c: &Catalog) -> Result<HashMap<String, PriorityView>, WebError> {
    let list = c.top(RankBy::Gap, &TopFilter::default(), QueryOptions::default())?;
    Ok(list.rows.into_iter().map(|r| (r.id, r.priority)).collect())
}

impl HomeView<'_> {
    /// The colour class of a cell: rule-count shade, or the heat of its threat or gap.
    pub fn cell_class(&self, t: &MatrixCell) -> &'static str {
        let score = |f: fn(&PriorityView) -> f64| self.scores.get(&t.id).map_or(0.0, f);
        match self.color {
            MatrixColor::Rules => super::shade(t.rules + t.subtechnique_rules),
            MatrixColor::Threat => heat(score(|p| p.threat)),
            MatrixColor::Gap => heat(score(|p| p.score)),
        }
    }

    /// The cell's scores for its tooltip (empty when coloured by rules).
    pub fn cell_note(&self, t: &MatrixCell) -> String {
        match (self.color, self.scores.get(&t.id)) {
            (MatrixColor::Rules, _) | (_, None) => String::new(),
            (_, Some(p)) => format!(" · {}", cell_note(p)),
        }
    }

    /// The matrix with the same filters, coloured by `color`.
    pub fn color_href(&self, color: &str) -> String {
        let base = self
            .l
            .matrix(self.m.vendor.as_deref(), self.m.platform.as_deref());
        if color == "rules" {
            return base;
        }
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}color={color}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unscored_parts_say_so() {
        assert_eq!(score(&None), "not scored");
        assert_eq!(score(&Some(0.0)), "0.000");
    }

    #[test]
    fn heat_classes_step_by_a_fifth() {
        assert_eq!(heat(0.0), "heat-0");
        assert_eq!(heat(0.05), "heat-1");
        assert_eq!(heat(0.39), "heat-2");
        assert_eq!(heat(0.5), "heat-3");
        assert_eq!(heat(1.0), "heat-4");
    }

    #[test]
    fn actor_links_fall_back_to_the_attack_site() {
        let a = ActorRef {
            id: "G0016".into(),
            name: "APT29".into(),
            url: Some("javascript:alert(1)".into()),
        };
        assert_eq!(actor_href(&a), "https://attack.mitre.org/groups/G0016");
    }
}
