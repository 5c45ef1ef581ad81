//! `/opt/resource/check`: the Concourse check step.
fn main() -> std::process::ExitCode {
    currency::concourse::check_main()
}
