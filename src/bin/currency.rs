//! `/usr/local/bin/currency`: the CLI (`report`, `bump`, and the three steps by name).
fn main() -> std::process::ExitCode {
    currency::cli::main()
}
