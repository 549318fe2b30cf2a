//! faultscope library.
pub mod sockets;
