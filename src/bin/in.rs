//! `/opt/resource/in`: the Concourse in step.
fn main() -> std::process::ExitCode {
    currency::concourse::in_main()
}
