//! ndjson
