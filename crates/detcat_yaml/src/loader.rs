//! Builds [`Node`] trees from saphyr events with an explicit stack (no recursion), enforcing
//! [`Limits`] as it goes so hostile input stops early.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as SaphyrSpan};

use detcat_model::Span;

use crate::offsets::CharToByte;
use crate::resolve::resolve_plain;
use crate::{Limits, Node, NodeValue, YamlError};

/// A collection being filled.
struct Frame {
    is_map: bool,
    start: usize,
    anchor: usize,
    items: Vec<Node>,
    /// Nodes inside this collection, itself included (alias expansions counted in full).
    count: usize,
}

struct Loader<'a> {
    text: &'a str,
    offsets: CharToByte<'a>,
    limits: &'a Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    total: usize,
    docs: Vec<Node>,
}

pub(crate) fn load(text: &str, limits: &Limits) -> Result<Vec<Node>, YamlError> {
    if text.len() > limits.max_bytes {
        return Err(YamlError::new(
            format!(
                "input is {} bytes, more than the limit of {} bytes",
                text.len(),
                limits.max_bytes
            ),
            Span::new(0, 0),
        ));
    }
    let mut loader = Loader {
        text,
        offsets: CharToByte::new(text),
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        total: 0,
        docs: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        match next {
            Ok((event, span)) => loader.on_event(event, span)?,
            Err(e) => {
                let at = loader.offsets.byte(e.marker().index());
                return Err(YamlError::new(e.info().to_owned(), Span::new(at, at)));
            }
        }
    }
    Ok(loader.docs)
}

impl Loader<'_> {
    fn span(&self, span: SaphyrSpan) -> (usize, usize) {
        (
            self.offsets.byte(span.start.index()),
            self.offsets.byte(span.end.index()),
        )
    }

    fn on_event(&mut self, event: Event<'_>, span: SaphyrSpan) -> Result<(), YamlError> {
        let (start, end) = self.span(span);
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let forced_str = tag
                    .as_ref()
                    .is_some_and(|t| t.handle == "tag:yaml.org,2002:" && t.suffix == "str")
                    || tag
                        .as_ref()
                        .is_some_and(|t| t.suffix == "str" && t.handle.starts_with('!'));
                let node = if style == ScalarStyle::Plain && !forced_str {
                    let resolved = resolve_plain(&value);
                    let raw = (!matches!(resolved, NodeValue::Str(_))).then(|| value.into_owned());
                    Node {
                        value: resolved,
                        span: Span::new(start, end),
                        quoted: false,
                        raw,
                    }
                } else {
                    Node {
                        value: NodeValue::Str(value.into_owned()),
                        span: Span::new(start, end),
                        quoted: true,
                        raw: None,
                    }
                };
                self.total = self.total.saturating_add(1);
                self.finish(node, 1, anchor)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= self.limits.max_depth {
                    return Err(YamlError::new(
                        format!("nesting deeper than {} levels", self.limits.max_depth),
                        Span::new(start, end),
                    ));
                }
                let is_map = matches!(event, Event::MappingStart(..));
                self.stack.push(Frame {
                    is_map,
                    start,
                    anchor,
                    items: Vec::new(),
                    count: 1,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(YamlError::new(
                        "unbalanced collection end",
                        Span::new(start, end),
                    ));
                };
                let end = self.trim_end(frame.start, end);
                let value = if frame.is_map {
                    let mut entries = Vec::with_capacity(frame.items.len() / 2);
                    let mut items = frame.items.into_iter();
                    while let (Some(k), Some(v)) = (items.next(), items.next()) {
                        entries.push((k, v));
                    }
                    NodeValue::Map(entries)
                } else {
                    NodeValue::Seq(frame.items)
                };
                let node = Node {
                    value,
                    span: Span::new(frame.start, end),
                    quoted: false,
                    raw: None,
                };
                self.total = self.total.saturating_add(1);
                self.finish(node, frame.count, frame.anchor)
            }
            Event::Alias(id) => {
                let Some((node, count)) = self.anchors.get(&id) else {
                    return Err(YamlError::new(
                        "alias to an unknown anchor",
                        Span::new(start, end),
                    ));
                };
                let count = *count;
                // Check before cloning: an alias bomb must stop before it allocates.
                if self.total.saturating_add(count) > self.limits.max_nodes {
                    return Err(self.too_many(start, end));
                }
                let mut node = node.clone();
                node.span = Span::new(start, end);
                self.total = self.total.saturating_add(count);
                self.finish(node, count, 0)
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => Ok(()),
        }
    }

    /// Block collections end where the next token starts; pull the end back over whitespace.
    fn trim_end(&self, start: usize, end: usize) -> usize {
        let slice = self.text.get(start..end).unwrap_or_default();
        start + slice.trim_end().len()
    }

    fn too_many(&self, start: usize, end: usize) -> YamlError {
        YamlError::new(
            format!(
                "more than {} nodes (alias expansion counted in full)",
                self.limits.max_nodes
            ),
            Span::new(start, end),
        )
    }

    /// Attaches a completed node (`count` nodes in all) to its parent or the document list.
    fn finish(&mut self, node: Node, count: usize, anchor: usize) -> Result<(), YamlError> {
        if self.total > self.limits.max_nodes {
            return Err(self.too_many(node.span.start as usize, node.span.end as usize));
        }
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), count));
        }
        match self.stack.last_mut() {
            Some(parent) => {
                parent.count = parent.count.saturating_add(count);
                parent.items.push(node);
            }
            None => self.docs.push(node),
        }
        Ok(())
    }
}
