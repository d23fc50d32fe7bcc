//! The Sigma condition language: lexer, recursive-descent parser, and resolution of the
//! syntax tree against a rule's search identifiers.

mod ast;
mod lexer;
mod parser;
mod resolve;

pub use ast::{ConditionAst, ConditionError, PipeAggregation, Target};
pub use parser::parse_condition;
pub(crate) use resolve::{Resolver, resolve};
