//! Shared pieces of the `cargo bench` targets: the hardware floor every other figure is divided
//! by, and the way histograms are printed.
//!
//! The floor is measured in the same run as the figure it divides, because this machine is shared
//! and noisy: a ratio against a baseline taken minutes earlier would measure the neighbours.

pub mod floor;
pub mod plot;
pub mod print;
pub mod process;
pub mod summary;
