//! Clocks: what the scan's per-file times say about zones (hints for files whose zone
//! looks wrong).

pub mod hints;
