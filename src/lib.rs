//! faultscope library.
