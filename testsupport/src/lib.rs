//! Support for Kiln's tests and benchmarks, shared between crates: running
//! the reference tools Kiln is measured against. Only tests and benchmarks
//! depend on it; Kiln itself never runs recipe code on the host.

pub mod makepkg;
