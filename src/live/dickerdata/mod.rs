//! dickerdata (not built yet)
