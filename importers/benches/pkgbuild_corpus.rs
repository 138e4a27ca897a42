//! Placeholder until the corpus benchmark lands.

fn main() {}
