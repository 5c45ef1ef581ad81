//! Progress of long transfers on stderr, for Concourse build logs: whole lines (no carriage
//! returns), at most one every [`INTERVAL`] or per quarter of a known size, and a closing line
//! with the throughput. Small transfers (under [`QUIET_BELOW`]) only get the closing line.

use std::time::{Duration, Instant};

pub const INTERVAL: Duration = Duration::from_secs(10);
pub const QUIET_BELOW: u64 = 8 * 1024 * 1024;

pub struct Progress {
    label: String,
    total: Option<u64>,
    done: u64,
    started: Instant,
    last: Instant,
    quarter: u64,
}

fn mib(n: u64) -> f64 {
    n as f64 / (1024.0 * 1024.0)
}

impl Progress {
    /// `label`: what moves (`etcd: downloading etcd-v3.5.17-linux-amd64.tar.gz`).
    pub fn new(label: impl Into<String>, total: Option<u64>) -> Progress {
        let now = Instant::now();
        Progress { label: label.into(), total: total.filter(|t| *t > 0), done: 0, started: now, last: now, quarter: 0 }
    }

    pub fn advance(&mut self, n: u64) {
        self.done += n;
        if self.total.unwrap_or(self.done) < QUIET_BELOW {
            return;
        }
        let now = Instant::now();
        let quarter = self.total.map(|t| (self.done * 4 / t).min(4)).unwrap_or(0);
        if quarter > self.quarter && quarter < 4 || now.duration_since(self.last) >= INTERVAL {
            self.quarter = self.quarter.max(quarter);
            self.last = now;
            crate::log!("{}", self.line(now));
        }
    }

    fn line(&self, now: Instant) -> String {
        let rate = mib(self.done) / now.duration_since(self.started).as_secs_f64().max(0.001);
        match self.total {
            Some(t) => format!(
                "{}: {:.1} of {:.1} MiB ({}%) at {:.1} MiB/s",
                self.label,
                mib(self.done),
                mib(t),
                self.done * 100 / t,
                rate
            ),
            None => format!("{}: {:.1} MiB at {:.1} MiB/s", self.label, mib(self.done), rate),
        }
    }

    /// The closing line: total and throughput.
    pub fn finish(&self) {
        let secs = self.started.elapsed().as_secs_f64();
        crate::log!(
            "{}: {:.1} MiB in {:.1}s ({:.1} MiB/s)",
            self.label,
            mib(self.done),
            secs,
            mib(self.done) / secs.max(0.001)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_whole_and_name_the_share_done() {
        let mut p = Progress::new("etcd: downloading x.tar.gz", Some(64 * 1024 * 1024));
        p.advance(16 * 1024 * 1024);
        let line = p.line(Instant::now());
        assert!(line.starts_with("etcd: downloading x.tar.gz: 16.0 of 64.0 MiB (25%) at "), "{line}");
        assert!(!line.contains('\r'));
    }
}
