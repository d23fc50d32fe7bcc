//! Linking rules to ATT&CK: technique ids checked (unknown, deprecated, revoked → redirected)
//! and tactics taken from ATT&CK's technique data.

use detcat_attack::{KnowledgeBase, TacticResolution, TechniqueCheck};
use detcat_model::{Diagnostic, Rule};

use super::BuildOptions;
use crate::corpus::{AttackFile, Corpus};
use crate::error::CatalogError;

/// The loaded ATT&CK knowledge base (empty when the corpus has no `attack/`).
pub struct Attack {
    pub kb: Option<KnowledgeBase>,
    pub bundles: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// Corpus bundles chosen first but passed over because they hold no technique
    /// (`path: why`): a garbage `enterprise-attack-99.0.json` must not win silently.
    pub rejected: Vec<String>,
}

impl Attack {
    /// No ATT&CK data: techniques are taken as tagged.
    pub fn none() -> Attack {
        Attack {
            kb: None,
            bundles: Vec::new(),
            diagnostics: Vec::new(),
            rejected: Vec::new(),
        }
    }

    pub fn load(corpus: &Corpus, options: &BuildOptions) -> Result<Attack, CatalogError> {
        // `--attack` files are all loaded as given: the user chose them.
        if !options.attack_files.is_empty() {
            let mut owned: Vec<(String, Vec<u8>)> = Vec::new();
            for path in &options.attack_files {
                let bytes = std::fs::read(path).map_err(|source| CatalogError::Write {
                    path: path.clone(),
                    source,
                })?;
                owned.push((path.display().to_string(), bytes));
            }
            let candidates: Vec<(&str, &[u8])> = owned
                .iter()
                .map(|(p, b)| (p.as_str(), b.as_slice()))
                .collect();
            let bundles = owned.iter().map(|(p, _)| p.clone()).collect();
            let (kb, diagnostics) = KnowledgeBase::load(&candidates);
            return Ok(Attack {
                kb: Some(kb),
                bundles,
                diagnostics,
                rejected: Vec::new(),
            });
        }
        if corpus.attack.is_empty() {
            return Ok(Attack::none());
        }
        Ok(Self::load_newest_valid(corpus.attack.iter().collect()))
    }

    /// From a corpus folder, the newest bundle per domain — passing over, loudly, any chosen
    /// bundle that yields no technique, in favour of the next one of its domain. Only the
    /// chosen bundles are read (a name like `enterprise-attack-18.1.json` decides without
    /// reading), and their bytes are dropped once loaded.
    fn load_newest_valid(mut candidates: Vec<&AttackFile>) -> Attack {
        let mut rejected = Vec::new();
        loop {
            let chosen = detcat_attack::select_bundles_by(
                &candidates,
                |f| f.path.as_str(),
                |f| f.read().ok(),
            );
            let mut unread = Vec::new();
            let read: Vec<(&str, std::borrow::Cow<'_, [u8]>)> = chosen
                .iter()
                .filter_map(|f| match f.read() {
                    Ok(bytes) => Some((f.path.as_str(), bytes)),
                    Err(e) => {
                        unread.push(detcat_attack::unreadable_bundle(&f.path, &e));
                        None
                    }
                })
                .collect();
            let bundles: Vec<(&str, &[u8])> = read.iter().map(|(p, b)| (*p, b.as_ref())).collect();
            let (kb, mut diagnostics) = KnowledgeBase::load(&bundles);
            drop(read);
            diagnostics.splice(0..0, unread);
            // A chosen bundle that cannot be read counts as empty: the next one of its
            // domain is tried.
            let empty: Vec<String> = kb
                .bundles()
                .iter()
                .filter(|b| b.objects.get("attack-pattern").copied().unwrap_or(0) == 0)
                .map(|b| b.path.clone())
                .chain(chosen.iter().map(|f| f.path.clone()).filter(|p| {
                    diagnostics
                        .iter()
                        .any(|d| d.code == "attack::unreadable-bundle" && &d.path == p)
                }))
                .collect();
            let others = candidates.len() > chosen.len();
            if empty.is_empty() || !others {
                let bundles = chosen.iter().map(|f| f.path.clone()).collect();
                return Attack {
                    kb: Some(kb),
                    bundles,
                    diagnostics,
                    rejected,
                };
            }
            for path in &empty {
                let why = diagnostics
                    .iter()
                    .find(|d| &d.path == path)
                    .map_or("it holds no technique".to_owned(), |d| d.message.clone());
                rejected.push(format!(
                    "{path}: not used ({why}); the next bundle is used instead"
                ));
            }
            candidates.retain(|f| !empty.contains(&f.path));
        }
    }

    /// The rule's techniques `(id, as tagged)`, its tactic ids, and diagnostics about both.
    pub fn link(&self, rule: &Rule) -> (Vec<(String, String)>, Vec<String>, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let mut techniques: Vec<(String, String)> = Vec::new();
        let Some(kb) = &self.kb else {
            let t = rule
                .attack
                .techniques
                .iter()
                .map(|t| (t.clone(), t.clone()))
                .collect();
            return (t, rule.attack.tactics.clone(), diagnostics);
        };
        let diag =
            |code: &str, msg: String| Diagnostic::warning(code, msg, rule.path.clone(), None);
        for tagged in &rule.attack.techniques {
            let id = resolve_technique(kb, &rule.path, tagged, &mut diagnostics);
            if !techniques.iter().any(|(t, _)| *t == id) {
                techniques.push((id, tagged.clone()));
            }
        }

        // Tactics: ATT&CK's own data for the techniques wins; tags are checked against it.
        let mut tactics: Vec<String> = Vec::new();
        for (id, _) in &techniques {
            for tactic in kb.tactics_of_technique(id) {
                if !tactics.contains(&tactic.id) {
                    tactics.push(tactic.id.clone());
                }
            }
        }
        // ATT&CK gives no tactic when every technique is unknown to the loaded release (an
        // ATT&CK v19 id under v18.1): then the rule's own tactic tags are all there is.
        let attack_gave_none = tactics.is_empty();
        for tag in &rule.attack.tactics {
            let resolved = match kb.resolve_tactic_tag(tag) {
                TacticResolution::Known { tactic } => Some(tactic.id.clone()),
                TacticResolution::Mapped { from, to, note } => {
                    diagnostics.push(Diagnostic::info(
                        "attack::tactic-mapped",
                        format!("tactic '{from}' is not in the loaded ATT&CK version; read as {} ({}): {note}", to.name, to.id),
                        rule.path.clone(),
                        None,
                    ));
                    Some(to.id.clone())
                }
                TacticResolution::Unknown => {
                    diagnostics.push(diag(
                        "attack::unknown-tactic",
                        format!("tactic tag '{tag}' is no tactic of the loaded ATT&CK data"),
                    ));
                    None
                }
            };
            if let Some(t) = resolved {
                if (techniques.is_empty() || attack_gave_none) && !tactics.contains(&t) {
                    tactics.push(t);
                } else if !tactics.contains(&t) {
                    diagnostics.push(Diagnostic::info(
                        "attack::tactic-disagrees",
                        format!(
                            "the rule names tactic {tag}, but ATT&CK puts its techniques under {}; ATT&CK's tactics are used",
                            tactics.join(", ")
                        ),
                        rule.path.clone(),
                        None,
                    ));
                }
            }
        }
        (techniques, tactics, diagnostics)
    }
}

/// The technique a tag counts under (a revoked id's replacement), with a diagnostic when the
/// tag is deprecated, revoked or unknown.
fn resolve_technique(
    kb: &KnowledgeBase,
    path: &str,
    tagged: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> String {
    let diag = |code: &str, msg: String| Diagnostic::warning(code, msg, path, None);
    match kb.check_technique(tagged) {
        TechniqueCheck::Ok => tagged.to_owned(),
        TechniqueCheck::Deprecated => {
            diagnostics.push(diag(
                "attack::deprecated-technique",
                format!("{tagged} is deprecated in ATT&CK"),
            ));
            tagged.to_owned()
        }
        TechniqueCheck::Revoked {
            replacement: Some(new),
        } => {
            diagnostics.push(Diagnostic::info(
                "attack::revoked-technique",
                format!("{tagged} was revoked by ATT&CK; counted under its replacement {new}"),
                path,
                None,
            ));
            new
        }
        TechniqueCheck::Revoked { replacement: None } => {
            diagnostics.push(diag(
                "attack::revoked-technique",
                format!("{tagged} was revoked by ATT&CK with no replacement"),
            ));
            tagged.to_owned()
        }
        TechniqueCheck::Unknown => {
            diagnostics.push(diag(
                "attack::unknown-technique",
                format!("{tagged} is not a technique of the loaded ATT&CK data"),
            ));
            tagged.to_owned()
        }
    }
}
