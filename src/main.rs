fn main() -> std::process::ExitCode {
    cspctl::cli::main()
}
