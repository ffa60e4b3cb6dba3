//! autotask (not built yet)
