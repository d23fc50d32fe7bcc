//! Splunk security_content detections (YAML, macros, SPL) into the detcat model.
pub mod diagnostics;
pub mod macros;
pub mod spl;
