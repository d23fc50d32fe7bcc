//! A YAML reader with byte spans and hard limits (aliases, depth, size) for untrusted rule files.
