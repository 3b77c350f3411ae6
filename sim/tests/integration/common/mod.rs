//! Scaffolding shared by the integration tests of this directory that include it.

pub mod testgen;
