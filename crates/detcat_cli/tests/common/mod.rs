//! Running the `detcat` binary from tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

pub fn detcat(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_detcat"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}
