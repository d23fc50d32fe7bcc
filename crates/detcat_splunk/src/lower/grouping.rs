//! Commands that group events: `transaction` (a grouping whose `eventcount`/`duration` a later
//! filter tests, or a start/end sequence) and `rare`/`top` (aggregations of what came before).

use detcat_model::{AggKind, Aggregation, Expr, SeqKind, SeqStep, Sequence};

use super::{AggInfo, Lowerer};
use crate::diagnostics as diag;
use crate::spl::{Command, Transaction};

impl Lowerer<'_> {
    /// `transaction`: a grouping whose `eventcount` and `duration` a later filter may test;
    /// with `startswith`/`endswith` it is a sequence of a start and an end event.
    pub(crate) fn transaction(&mut self, cmd: &Command, t: &Transaction) {
        self.seen.extend(t.fields.iter().cloned());
        let text = self.slice(cmd.span).to_owned();
        for (output, kind, function) in [
            ("eventcount", AggKind::EventCount, "transaction"),
            ("duration", AggKind::Stat, "duration"),
        ] {
            self.seen.insert(output.to_owned());
            self.derived.remove(output);
            self.aggregates.insert(
                output.to_owned(),
                AggInfo {
                    kind,
                    function: function.to_owned(),
                    field: None,
                    group_by: t.fields.clone(),
                    timespan: t.maxspan.clone(),
                    text: text.clone(),
                },
            );
        }
        if t.unparsed_bounds {
            self.diags.push(diag::unsupported_command(
                cmd.span,
                "transaction startswith/endswith",
            ));
            let e = self.opaque(cmd.span, "SPL transaction bounds");
            self.conjuncts.push(e);
            return;
        }
        let steps: Vec<SeqStep> = [&t.start, &t.end]
            .into_iter()
            .flatten()
            .map(|bound| SeqStep {
                category: None,
                expr: self.search(bound),
                by: Vec::new(),
                runs: None,
                missing: false,
            })
            .collect();
        if !steps.is_empty() {
            self.conjuncts.push(Expr::Sequence(Sequence {
                kind: SeqKind::Sequence,
                by: t.fields.clone(),
                maxspan: t.maxspan.clone(),
                steps,
                until: None,
            }));
        }
    }

    /// `rare`/`top`: the least/most common value combinations, an aggregation of what came
    /// before; its `count`/`percent` outputs may be tested later.
    pub(crate) fn rare(&mut self, cmd: &Command, fields: &[String], by: &[String]) {
        let mut group_by = fields.to_vec();
        group_by.extend(by.iter().cloned());
        self.seen.extend(group_by.iter().cloned());
        let input = Expr::and(std::mem::take(&mut self.conjuncts));
        let input =
            (!matches!(&input, Expr::And { items } if items.is_empty())).then(|| Box::new(input));
        let text = self.slice(cmd.span).to_owned();
        self.conjuncts.push(Expr::Aggregation(Aggregation {
            kind: AggKind::EventCount,
            function: Some(cmd.name.clone()),
            input,
            rule_refs: Vec::new(),
            fields: fields.to_vec(),
            group_by: group_by.clone(),
            timespan: None,
            condition: None,
            text: Some(text.clone()),
        }));
        for output in ["count", "percent"] {
            self.seen.insert(output.to_owned());
            self.derived.remove(output);
            self.aggregates.insert(
                output.to_owned(),
                AggInfo {
                    kind: AggKind::EventCount,
                    function: cmd.name.clone(),
                    field: None,
                    group_by: group_by.clone(),
                    timespan: None,
                    text: text.clone(),
                },
            );
        }
    }
}
