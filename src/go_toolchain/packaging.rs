//! Packaging scripts, read as far as the spec sync needs: the `go build` / `go install`
//! targets of a `packages/<p>/packaging` script and the directory each runs in. The script is
//! cut into simple commands by a small bash lexer ([`shell_commands`]); `cd`, `pushd` and `popd`
//! are followed when their destination is known (`${BOSH_COMPILE_TARGET}` is the release's
//! `src/`). Good enough for packaging scripts; not a shell.

use std::path::{Component, Path, PathBuf};

/// One `go build` / `go install` argument of a packaging script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildTarget {
    /// `build` or `install`.
    pub verb: String,
    /// The argument as written (quotes removed).
    pub arg: String,
    /// 1-based line of the command.
    pub line: usize,
    /// The directory the command runs in, relative to `src/` (the compile target), when the
    /// script's `cd`/`pushd` commands make it known.
    pub cwd: Option<PathBuf>,
}

/// `go build`/`go install` flags that take a separate value.
const VALUE_FLAGS: &[&str] = &[
    "-C",
    "-o",
    "-p",
    "-asmflags",
    "-buildmode",
    "-compiler",
    "-gccgoflags",
    "-gcflags",
    "-installsuffix",
    "-ldflags",
    "-mod",
    "-modfile",
    "-overlay",
    "-pgo",
    "-pkgdir",
    "-tags",
    "-toolexec",
    "-covermode",
    "-coverpkg",
    "-exec",
];

/// The `go build` / `go install` targets of a packaging script (bash), with the directory each
/// runs in as far as `cd`, `pushd` and `popd` tell. A command with no package argument builds
/// `.`.
pub fn build_targets(script: &str) -> Vec<BuildTarget> {
    let mut targets = Vec::new();
    let mut cwd: Option<PathBuf> = Some(PathBuf::new());
    let mut stack: Vec<Option<PathBuf>> = Vec::new();
    for (line_no, words_list) in shell_commands(script) {
        for words in words_list {
            let Some((cmd, args)) = command(&words) else { continue };
            match cmd {
                "cd" | "pushd" => {
                    let dest = args.iter().find(|a| !a.starts_with('-'));
                    let next = match dest {
                        Some(d) => change_dir(cwd.as_deref(), d),
                        None => None,
                    };
                    if cmd == "pushd" {
                        stack.push(cwd.clone());
                    }
                    cwd = next;
                }
                "popd" => cwd = stack.pop().unwrap_or(None),
                _ if Path::new(cmd).file_name().is_some_and(|n| n == "go") => {
                    targets.extend(go_build_targets(args, cwd.as_deref(), line_no));
                }
                _ => {}
            }
        }
    }
    targets
}

/// The command of a simple command and its arguments, past `VAR=value` prefixes and wrappers
/// (`exec`, `time`, `env`, `command`, `sudo`).
fn command(words: &[String]) -> Option<(&str, &[String])> {
    let i = words.iter().position(|w| {
        let is_assign = w
            .split_once('=')
            .is_some_and(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        !(is_assign || matches!(w.as_str(), "exec" | "time" | "env" | "command" | "sudo"))
    })?;
    Some((words[i].as_str(), &words[i + 1..]))
}

/// The targets of one `go` command (`args` after `go`), run in `cwd`: none unless it is `build`
/// or `install`. Flags are skipped (with their values), `-C dir` moves the directory.
fn go_build_targets(args: &[String], cwd: Option<&Path>, line: usize) -> Vec<BuildTarget> {
    let Some(verb) = args.first().filter(|v| *v == "build" || *v == "install") else {
        return Vec::new();
    };
    let mut here = cwd.map(Path::to_path_buf);
    let mut pkgs = Vec::new();
    let mut j = 1;
    while j < args.len() {
        let a = &args[j];
        if a == "--" {
            pkgs.extend(args[j + 1..].iter().cloned());
            break;
        }
        if a.starts_with('-') {
            let name = a.split('=').next().unwrap_or(a);
            let name = name.strip_prefix("--").map(|n| format!("-{n}")).unwrap_or(name.to_owned());
            if VALUE_FLAGS.contains(&name.as_str()) && !a.contains('=') {
                if name == "-C" {
                    here = args.get(j + 1).and_then(|d| change_dir(here.as_deref(), d));
                }
                j += 2;
                continue;
            }
            if name == "-C" {
                let d = a.split_once('=').map_or("", |(_, d)| d);
                here = change_dir(here.as_deref(), d);
            }
            j += 1;
            continue;
        }
        pkgs.push(a.clone());
        j += 1;
    }
    if pkgs.is_empty() {
        pkgs.push(".".to_owned());
    }
    pkgs.into_iter().map(|arg| BuildTarget { verb: verb.clone(), arg, line, cwd: here.clone() }).collect()
}

/// The directory after `cd dest` from `cwd` (relative to `src/`); `None` when unknown.
fn change_dir(cwd: Option<&Path>, dest: &str) -> Option<PathBuf> {
    let rest = ["${BOSH_COMPILE_TARGET}", "$BOSH_COMPILE_TARGET"].iter().find_map(|v| dest.strip_prefix(v));
    let (base, rel): (PathBuf, &str) = match rest {
        Some(r) if r.is_empty() || r.starts_with('/') => (PathBuf::new(), r.trim_start_matches('/')),
        Some(_) => return None,
        None if dest.contains('$') || dest.contains('`') || dest.starts_with('/') || dest.starts_with('~') => {
            return None;
        }
        None if dest == "-" => return None,
        None => (cwd?.to_path_buf(), dest),
    };
    normalize(&base.join(rel))
}

/// Resolves `.`/`..` without touching the disk; `None` when it climbs out of `src/`.
pub(super) fn normalize(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(s) => out.push(s),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// A bash script cut into simple commands: `(line of the command, [words…])` per physical
/// command line, split on `;`, `&&`, `||`, `|`, `&`, parentheses and braces. Quotes are removed
/// (their contents kept), comments dropped, `\`-newline joins lines.
fn shell_commands(script: &str) -> Vec<(usize, Vec<Vec<String>>)> {
    let mut lx = Lexer::new(script);
    while lx.i < lx.chars.len() {
        let c = lx.chars[lx.i];
        let next = lx.chars.get(lx.i + 1).copied();
        match c {
            '\\' if next == Some('\n') => {
                lx.i += 2;
                lx.line += 1;
                continue;
            }
            '\\' => {
                if let Some(n) = next {
                    lx.word.push(n);
                    lx.in_word = true;
                }
                lx.i += 2;
                continue;
            }
            '\'' => lx.single_quoted(),
            '"' => lx.double_quoted(),
            '#' if !lx.in_word => {
                lx.skip_comment();
                continue;
            }
            '\n' | ';' | '&' | '|' | '(' | ')' => {
                lx.end_command();
                if c == '\n' {
                    lx.end_line();
                }
            }
            ' ' | '\t' | '\r' => lx.end_word(),
            '{' | '}' if !lx.in_word && next.is_none_or(|n| n.is_whitespace() || n == ';') => lx.end_word(),
            _ => lx.push(c),
        }
        lx.i += 1;
    }
    lx.finish()
}

/// The state of [`shell_commands`]: where it is in the script, and the line, commands, words and
/// word being built.
struct Lexer {
    chars: Vec<char>,
    i: usize,
    /// The physical line at `i`.
    line: usize,
    /// The line the current command line started on.
    cmd_line: usize,
    out: Vec<(usize, Vec<Vec<String>>)>,
    commands: Vec<Vec<String>>,
    words: Vec<String>,
    word: String,
    in_word: bool,
}

impl Lexer {
    fn new(script: &str) -> Lexer {
        Lexer {
            chars: script.chars().collect(),
            i: 0,
            line: 1,
            cmd_line: 1,
            out: Vec::new(),
            commands: Vec::new(),
            words: Vec::new(),
            word: String::new(),
            in_word: false,
        }
    }

    /// A plain character of a word; the first of a command line marks its line.
    fn push(&mut self, c: char) {
        if !self.in_word && self.words.is_empty() && self.commands.is_empty() {
            self.cmd_line = self.line;
        }
        self.word.push(c);
        self.in_word = true;
    }

    fn end_word(&mut self) {
        if self.in_word {
            self.words.push(std::mem::take(&mut self.word));
            self.in_word = false;
        }
    }

    fn end_command(&mut self) {
        self.end_word();
        if !self.words.is_empty() {
            self.commands.push(std::mem::take(&mut self.words));
        }
    }

    /// At a newline: the command line is complete.
    fn end_line(&mut self) {
        if !self.commands.is_empty() {
            self.out.push((self.cmd_line, std::mem::take(&mut self.commands)));
        }
        self.line += 1;
        self.cmd_line = self.line;
    }

    /// `'…'` from the opening quote at `i`, taken literally; stops on the closing quote.
    fn single_quoted(&mut self) {
        self.in_word = true;
        self.i += 1;
        while self.i < self.chars.len() && self.chars[self.i] != '\'' {
            self.take_quoted();
        }
    }

    /// `"…"` from the opening quote at `i`, with `\"`, `\\`, `\$` and `` \` `` unescaped; stops on
    /// the closing quote.
    fn double_quoted(&mut self) {
        self.in_word = true;
        self.i += 1;
        while self.i < self.chars.len() && self.chars[self.i] != '"' {
            let escaped = self.chars.get(self.i + 1).is_some_and(|n| matches!(n, '"' | '\\' | '$' | '`'));
            if self.chars[self.i] == '\\' && escaped {
                self.i += 1;
            }
            self.take_quoted();
        }
    }

    /// The character at `i` inside quotes, counting lines.
    fn take_quoted(&mut self) {
        if self.chars[self.i] == '\n' {
            self.line += 1;
        }
        self.word.push(self.chars[self.i]);
        self.i += 1;
    }

    /// From `#` to the end of the line (the newline is left for the caller).
    fn skip_comment(&mut self) {
        while self.i < self.chars.len() && self.chars[self.i] != '\n' {
            self.i += 1;
        }
    }

    fn finish(mut self) -> Vec<(usize, Vec<Vec<String>>)> {
        self.end_command();
        if !self.commands.is_empty() {
            self.out.push((self.cmd_line, self.commands));
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(script: &str) -> Vec<(String, usize, Option<String>)> {
        build_targets(script).into_iter().map(|t| (t.arg, t.line, t.cwd.map(|c| c.display().to_string()))).collect()
    }

    #[test]
    fn nats_release_style_packaging() {
        let s = "set -e -x\n\nsource /var/vcap/packages/golang-1.23-linux/bosh/compile.env\n\npushd ${BOSH_COMPILE_TARGET}/code.cloudfoundry.org\n  go build -o \"${BOSH_INSTALL_TARGET}/bin/nats-server\" \\\n    -ldflags \"-X main.v=1 -s\" github.com/nats-io/nats-server/v2\npopd\n";
        assert_eq!(
            targets(s),
            vec![("github.com/nats-io/nats-server/v2".into(), 6, Some("code.cloudfoundry.org".into()))]
        );
    }

    #[test]
    fn relative_targets_cd_and_flags() {
        let s = "#!/bin/bash\ncd code.cloudfoundry.org # the module\nGOOS=linux go install -mod=vendor -tags netgo ./cmd/a ./cmd/b/...\n(cd nats-v2-migrate && go build)\ncd $GOPATH/src\n/usr/local/go/bin/go build -C ../x -o out .\necho 'go build nope'\n";
        assert_eq!(
            targets(s),
            vec![
                ("./cmd/a".into(), 3, Some("code.cloudfoundry.org".into())),
                ("./cmd/b/...".into(), 3, Some("code.cloudfoundry.org".into())),
                (".".into(), 4, Some("code.cloudfoundry.org/nats-v2-migrate".into())),
                (".".into(), 6, None),
            ]
        );
    }
}
