use super::Finding;

/// Warnings and errors collected while planning.
#[derive(Debug, Default)]
pub(super) struct Findings {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

impl Findings {
    pub fn error(&mut self, code: &str, client: Option<&str>, message: String) {
        self.errors.push(finding(code, client, message));
    }

    pub fn warn(&mut self, code: &str, client: Option<&str>, message: String) {
        self.warnings.push(finding(code, client, message));
    }
}

fn finding(code: &str, client: Option<&str>, message: String) -> Finding {
    Finding { code: code.to_string(), client: client.map(str::to_string), message }
}
