//! Commands that bring fields from outside the event: `lookup` (resolved against the corpus'
//! lookup tables, see [`super::lookup`]) and `join` (inner joins filter; outer/left joins
//! only enrich until a later filter reads what they may have brought).

use detcat_model::{Expr, Opaque};

use super::Lowerer;
use super::lookup::LookupUse;
use crate::spl::{Command, LookupField, Query};

impl Lowerer<'_> {
    /// `join`: an inner join filters like its subsearch; an outer/left join only enriches, so
    /// its opaque node is placed only when a later filter reads a field it may have brought.
    pub(crate) fn join(
        &mut self,
        cmd: &Command,
        join_type: &str,
        keys: &[String],
        sub: Option<&Query>,
    ) {
        self.seen.extend(keys.iter().cloned());
        let Some(sub) = sub else { return };
        if join_type == "inner" {
            // An inner join keeps only events the subsearch also finds: its filter is the
            // rule's filter too.
            let e = self.subquery(sub);
            if e.has_opaque() {
                self.unknown_origin = Some(None);
            }
            self.filter(e);
            return;
        }
        let fields = self.subsearch_fields(sub);
        let idx = self.external(cmd, format!("SPL {join_type} join"), fields);
        self.unknown_origin = Some(Some(idx));
    }

    /// Records the opaque node of an external command (placed once a filter needs it).
    fn external(&mut self, cmd: &Command, reason: String, fields: Vec<String>) -> usize {
        self.externals.push(Some(Expr::Opaque(Opaque {
            text: self.slice(cmd.span).to_owned(),
            reason,
            fields,
            span: Some(cmd.span),
        })));
        self.externals.len() - 1
    }

    /// The enriching join a field computed from `inputs` depends on: an input never named
    /// before the join (its origin is unknown), or an input computed from one. (An `eval` over
    /// a lookup's output stays a computed condition, as before: its fields are known.)
    pub(crate) fn external_of(&self, inputs: &[String]) -> Option<usize> {
        let join = self.unknown_origin.flatten()?;
        inputs
            .iter()
            .any(|i| match self.derived.get(i) {
                Some(d) => d.external == Some(join),
                None => !self.seen.contains(i),
            })
            .then_some(join)
    }

    /// `lookup`: its outputs are derived fields; a later filter on one resolves against the
    /// table (or places the opaque node, see [`Lowerer::filter`]).
    pub(crate) fn lookup(
        &mut self,
        cmd: &Command,
        table: &str,
        inputs: &[LookupField],
        outputs: &[LookupField],
    ) {
        let lookups = self.lookups;
        let outputs: Vec<LookupField> = if outputs.is_empty() {
            // No OUTPUT clause: every other column of the table comes back under its name.
            lookups
                .get(table)
                .map(|t| {
                    t.columns
                        .iter()
                        .filter(|c| !inputs.iter().any(|i| &i.column == *c))
                        .map(|c| LookupField {
                            column: c.clone(),
                            field: c.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default()
        } else {
            outputs.to_vec()
        };
        let mut fields: Vec<String> = inputs.iter().map(|i| i.field.clone()).collect();
        fields.extend(outputs.iter().map(|o| o.field.clone()));
        let idx = self.external(cmd, format!("SPL lookup `{table}`"), fields);
        let input_fields: Vec<String> = inputs.iter().map(|i| i.field.clone()).collect();
        for out in &outputs {
            self.derive(&out.field, "lookup", input_fields.clone(), Some(idx));
            if let Some(d) = self.derived.get_mut(&out.field) {
                d.lookup = Some(LookupUse {
                    table: table.to_owned(),
                    inputs: inputs.to_vec(),
                    column: out.column.clone(),
                    null_as: None,
                    span: cmd.span,
                });
            }
        }
    }

    /// `fillnull [value=v] [fields]`: a lookup output it fills is `v` when the lookup found
    /// nothing.
    pub(crate) fn fillnull(&mut self, cmd: &Command, words: &[String]) {
        let value = self
            .slice(cmd.span)
            .split_whitespace()
            .find_map(|w| w.strip_prefix("value="))
            .map(|v| v.trim_matches('"').to_owned())
            .unwrap_or_else(|| "0".to_owned());
        for (name, d) in &mut self.derived {
            if let Some(u) = &mut d.lookup
                && (words.is_empty() || words.contains(name))
            {
                u.null_as = Some(value.clone());
            }
        }
    }
}
