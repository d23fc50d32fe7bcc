//! Splunk security_content detections (YAML, macros, SPL) into the detcat model.
