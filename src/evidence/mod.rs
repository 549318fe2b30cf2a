//! Evidence: side inputs read beside the logs.
//!
//! Takes bytes of files the scan found (or the user named with `--sockets`) and gives
//! typed evidence: [`sockets`] reads saved `netstat`/`ss`/`tasklist`/`ps` dumps into
//! socket-state tables and names the process that holds the ports; [`access`] reads
//! access logs as fields (layouts as data) into per-minute traffic.
//!
//! Imports only stages below it: `time`, `input`, `catalog`, `error`.

pub mod access;
pub mod sockets;
