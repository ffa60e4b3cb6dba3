//! Credentials as a type that cannot be printed by accident.

use std::fmt;

/// A credential read from the environment. `Debug` and `Display` print `****`; the value is
/// only reachable through [`Secret::expose`], called where a request header is built.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value that must never reach output or logs.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The raw value, for building one request header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads a required secret from the environment, naming the variable when it is missing.
    pub fn from_env(var: &str) -> Result<Self, MissingSecret> {
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Secret(v)),
            _ => Err(MissingSecret(var.to_string())),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// A credential environment variable that is unset or empty.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {0} is not set; credentials come only from the environment")]
pub struct MissingSecret(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "**** ****");
        assert_eq!(s.expose(), "hunter2");
    }
}
