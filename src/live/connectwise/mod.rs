//! connectwise (not built yet)
