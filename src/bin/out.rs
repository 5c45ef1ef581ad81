//! `/opt/resource/out`: the Concourse out step.
fn main() -> std::process::ExitCode {
    currency::concourse::out_main()
}
