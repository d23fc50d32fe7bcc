//! The MITRE ATT&CK knowledge base loaded from STIX 2.0/2.1 bundles.
