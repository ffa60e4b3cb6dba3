use std::io::IsTerminal;

use super::CliError;

/// `--color`: whether to style output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal (or with `CLICOLOR_FORCE`), unless `NO_COLOR` is set.
    Auto,
    /// Always colour (still off with `NO_COLOR`).
    Always,
    /// Never colour.
    Never,
}

/// `--format`: who reads the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// For people at a terminal.
    #[default]
    Text,
    /// For scripts; versioned (see README).
    Json,
    /// For a pull-request comment.
    Markdown,
}

/// The one colour rule for every stream (stdout, and logs on stderr): `NO_COLOR` turns colour
/// off, then `CLICOLOR_FORCE` turns it on, then `--color`, where `auto` means "the stream is a
/// terminal".
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    if set("NO_COLOR") {
        return false;
    }
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => set("CLICOLOR_FORCE") || is_terminal,
    }
}

/// Output policy decided once, from flags, `NO_COLOR` and whether stdout/stderr are terminals.
#[derive(Debug, Clone)]
pub struct Printer {
    /// Style stdout with ANSI colours.
    pub color: bool,
    /// Show unmanaged additions and more detail.
    pub verbose: bool,
    /// Only errors and the plan (`-q`).
    pub quiet: bool,
    /// Show progress (stderr is a terminal).
    pub progress: bool,
    /// Ask questions (stdin is a terminal).
    pub interactive: bool,
}

impl Printer {
    /// Decides the policy for this process.
    pub fn new(choice: ColorChoice, verbose: bool, quiet: bool) -> Self {
        Printer {
            color: use_color(choice, std::io::stdout().is_terminal()),
            verbose,
            quiet,
            progress: !quiet && std::io::stderr().is_terminal(),
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        }
    }

    /// Writes to stdout; a closed pipe (`cspctl plan | head`) is not an error.
    pub fn out(&self, text: &str) {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush())
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            std::process::exit(0);
        }
    }

    /// A status line on stderr (not with `-q`).
    pub fn status(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// An error with its hints, on stderr.
    pub fn error(&self, e: &CliError) {
        if let Some(details) = &e.details {
            eprintln!("{details}\n");
        }
        // Messages quote vendor answers, names and paths: each line has its control
        // characters made visible, and the message keeps its own line breaks.
        let mut text = format!("error: {}", terminal_lines(&e.message));
        for hint in &e.hints {
            text.push_str(&format!("\nHint: {}", terminal_lines(hint)));
        }
        eprintln!("{text}");
    }
}

/// [`terminal`](crate::render::escape::terminal) for each line of a multi-line text, so its
/// line breaks stay and nothing else can move the cursor.
pub fn terminal_lines(text: &str) -> String {
    text.split('\n').map(crate::render::escape::terminal).collect::<Vec<_>>().join("\n")
}
