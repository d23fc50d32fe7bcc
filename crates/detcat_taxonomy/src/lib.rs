//! The cross-vendor taxonomy: canonical fields, canonical values and telemetry events.
