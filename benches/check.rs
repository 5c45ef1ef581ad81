//! `cargo bench --bench check` (or `./bench`): the cost of `check` as Concourse runs it every
//! minute. Starts the local stand-ins (GitHub releases with 300 releases over three pages, the Go
//! downloads index, the module proxy, smart-HTTP git with basic auth), then times cold checks
//! (empty cache: a fresh TMPDIR) and warm checks (the cache of the previous run), and counts the
//! HTTP requests each kind of check sends and how many were answered 304.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::{GitServer, Release, Tmp, Upstream, fixtures};

const TOKEN: &str = "bench-token-0123456789";

fn main() {
    // `cargo bench` passes --bench; under `cargo test --all-targets` one run checks the bench still works.
    let runs = if std::env::args().any(|a| a == "--bench") { 10 } else { 1 };
    let up = Upstream::start();
    for i in 0..300 {
        let tag = format!("v3.{}.{}", 3 + i / 100, i % 100);
        up.add_release(
            "etcd-io/etcd",
            Release::new(&tag).asset(&format!("etcd-{tag}-linux-amd64.tar.gz"), vec![0u8; 16]).with_sha256sums(),
        );
    }
    for v in ["1.22.4", "1.22.5", "1.23.1", "1.23.3", "1.24.0"] {
        up.add_go_release(v, true);
    }
    for v in ["v2.10.22", "v2.10.23"] {
        up.add_module(
            "github.com/nats-io/nats-server/v2",
            v,
            "module github.com/nats-io/nats-server/v2\n",
            "2024-10-01T00:00:00Z",
            &[],
        );
    }
    for v in ["v1.37.0", "v1.38.0"] {
        up.add_module(
            "github.com/nats-io/nats.go",
            v,
            "module github.com/nats-io/nats.go\n",
            "2024-10-01T00:00:00Z",
            &[],
        );
    }
    let repos = tempfile::tempdir().unwrap();
    let git = GitServer::start_token(repos.path(), TOKEN);
    fixtures::release_repo("etcd-release", repos.path());
    fixtures::release_repo("nats-release", repos.path());
    println!("check cost: {runs} runs each, smart-HTTP git with basic auth on 127.0.0.1");
    for fixture in ["etcd-release", "nats-release"] {
        let source = json!({
            "repository": format!("cloudfoundry/{fixture}"),
            "git_url": git.url_for(fixture),
            "access_token": TOKEN,
            "github_api_url": up.url(),
            "upstream_api_url": up.url(),
            "go_proxy": up.goproxy_url(),
            "go_downloads_url": up.go_downloads_url(),
        });
        let req = json!({"source": source}).to_string();
        let (mut cold, mut warm) = (Vec::new(), Vec::new());
        let (mut cold_reqs, mut warm_reqs, mut warm_304, mut cold_git, mut warm_git) = (0, 0, 0, 0, 0);
        let shared = Tmp::new();
        for i in 0..runs {
            // Cold: a container that never ran a check.
            let fresh = Tmp::new();
            up.clear_requests();
            git.clear_requests();
            let t = Instant::now();
            fresh.run(support::bin("check"), &[], &req, &[]).assert_success();
            cold.push(t.elapsed());
            cold_reqs += up.requests().len();
            cold_git += git.requests().len();
            // Warm: the reused check container (first run primes it).
            if i == 0 {
                shared.run(support::bin("check"), &[], &req, &[]).assert_success();
            }
            up.clear_requests();
            git.clear_requests();
            let t = Instant::now();
            shared.run(support::bin("check"), &[], &req, &[]).assert_success();
            warm.push(t.elapsed());
            let reqs = up.requests();
            warm_reqs += reqs.len();
            warm_304 += reqs.iter().filter(|r| r.status == 304).count();
            warm_git += git.requests().len();
        }
        println!(
            "{fixture:>14}: cold {} ms median ({:.1} HTTP requests, {:.1} git requests per check); \
             warm {} ms median ({:.1} HTTP requests, {:.1} of them 304; {:.1} git requests)",
            median(&mut cold).as_millis(),
            cold_reqs as f64 / runs as f64,
            cold_git as f64 / runs as f64,
            median(&mut warm).as_millis(),
            warm_reqs as f64 / runs as f64,
            warm_304 as f64 / runs as f64,
            warm_git as f64 / runs as f64,
        );
    }
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}
