//! Sigma rules (YAML detections, conditions, modifiers, correlations, filters) into the detcat model.
