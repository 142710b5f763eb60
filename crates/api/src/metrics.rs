//! Prometheus metrics in the text exposition format (version 0.0.4).
//!
//! Request counts and latencies, and policy denials, are counted in one
//! process-wide registry (as Prometheus client libraries do); pool usage
//! and the audit writer's counters are read from the store when scraped.
//! Labels are route patterns (`/v1/records/{id}`), methods, status codes
//! and denial reason codes: never ids or personal data.

use ingang_app::{App, BATCH_BUCKETS};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Upper bounds (seconds) of the request latency buckets.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One route pattern and method: answers by status and their latency.
#[derive(Default)]
struct Series {
    by_status: BTreeMap<u16, u64>,
    /// Latency per bucket, not cumulative; the last slot is "above every bound".
    buckets: [u64; LATENCY_BUCKETS.len() + 1],
    sum_seconds: f64,
}

impl Series {
    /// Requests seen: the histogram's count.
    fn count(&self) -> u64 {
        self.by_status.values().sum()
    }
}

#[derive(Default)]
struct Registry {
    /// route pattern → method → series
    series: BTreeMap<String, BTreeMap<String, Series>>,
    /// denial reason code → audited denials
    denials: BTreeMap<String, u64>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    series: BTreeMap::new(),
    denials: BTreeMap::new(),
});

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    // Counters stay usable even if a panic interrupted an update.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Applies `update` to the value at `key`, creating it on first sight: the
/// key is copied only then, not on every request.
fn with_entry<V: Default>(map: &mut BTreeMap<String, V>, key: &str, update: impl FnOnce(&mut V)) {
    match map.get_mut(key) {
        Some(value) => update(value),
        None => update(map.entry(key.to_owned()).or_default()),
    }
}

/// Counts one answered request.
pub fn observe_request(route: &str, method: &str, status: u16, elapsed: Duration) {
    let seconds = elapsed.as_secs_f64();
    let slot = LATENCY_BUCKETS
        .iter()
        .position(|&upper| seconds <= upper)
        .unwrap_or(LATENCY_BUCKETS.len());
    with_entry(&mut registry().series, route, |methods| {
        with_entry(methods, method, |series| {
            *series.by_status.entry(status).or_default() += 1;
            series.buckets[slot] += 1;
            series.sum_seconds += seconds;
        })
    });
}

/// Counts one audited policy denial.
pub fn observe_denial(reason: &str) {
    with_entry(&mut registry().denials, reason, |count| *count += 1);
}

/// Escapes a label value (backslash, quote, newline).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A metric of one series without labels: its header and its value.
fn single(out: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    header(out, name, kind, help);
    let _ = writeln!(out, "{name} {value}");
}

/// The whole exposition: the process registry plus this store's pool and
/// audit writer.
pub fn render(app: &App) -> String {
    let mut out = String::with_capacity(8 * 1024);
    let _ = writeln!(
        out,
        "# HELP ingang_build_info Version and database backend.\n# TYPE ingang_build_info gauge\n\
         ingang_build_info{{version=\"{}\",backend=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION"),
        app.backend()
    );
    {
        let registry = registry();
        header(
            &mut out,
            "ingang_http_requests_total",
            "counter",
            "HTTP requests answered, by route pattern, method and status.",
        );
        let all_series = || {
            registry.series.iter().flat_map(|(route, methods)| {
                methods.iter().map(move |(method, series)| {
                    let labels = format!("route=\"{}\",method=\"{}\"", label(route), label(method));
                    (labels, series)
                })
            })
        };
        for (labels, series) in all_series() {
            for (status, count) in &series.by_status {
                let _ = writeln!(
                    out,
                    "ingang_http_requests_total{{{labels},status=\"{status}\"}} {count}"
                );
            }
        }
        header(
            &mut out,
            "ingang_http_request_duration_seconds",
            "histogram",
            "Time from request to response, by route pattern and method.",
        );
        for (labels, series) in all_series() {
            let mut cumulative = 0;
            for (upper, count) in LATENCY_BUCKETS.iter().zip(series.buckets) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "ingang_http_request_duration_seconds_bucket{{{labels},le=\"{upper}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "ingang_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
                 ingang_http_request_duration_seconds_sum{{{labels}}} {}\n\
                 ingang_http_request_duration_seconds_count{{{labels}}} {}",
                series.count(),
                series.sum_seconds,
                series.count()
            );
        }
        header(
            &mut out,
            "ingang_policy_denials_total",
            "counter",
            "Audited access decisions that said no, by reason.",
        );
        for (reason, count) in &registry.denials {
            let _ = writeln!(
                out,
                "ingang_policy_denials_total{{reason=\"{}\"}} {count}",
                label(reason)
            );
        }
    }

    let stats = app.audit_stats();
    let entries = stats.entries.load(Ordering::Relaxed);
    let batches = stats.batches.load(Ordering::Relaxed);
    single(
        &mut out,
        "ingang_audit_appends_total",
        "counter",
        "Audit entries stored durably.",
        entries,
    );
    single(
        &mut out,
        "ingang_audit_append_failures_total",
        "counter",
        "Audit commits that failed (their requests failed closed).",
        stats.failures.load(Ordering::Relaxed),
    );
    single(
        &mut out,
        "ingang_audit_decided_again_total",
        "counter",
        "Reads decided on what the process kept whose epochs moved before their audit commit: nothing stored, decided again on the database.",
        stats.decided_again.load(Ordering::Relaxed),
    );
    single(
        &mut out,
        "ingang_reads_answered_kept_only_total",
        "counter",
        "Single-record reads decided, audited and answered from what the process keeps, without leaving the HTTP worker.",
        stats.answered_kept_only.load(Ordering::Relaxed),
    );
    header(
        &mut out,
        "ingang_audit_batch_size",
        "histogram",
        "Entries per audit commit (group commit).",
    );
    let mut cumulative = 0;
    for (upper, count) in BATCH_BUCKETS.iter().zip(&stats.batch_sizes) {
        cumulative += count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "ingang_audit_batch_size_bucket{{le=\"{upper}\"}} {cumulative}"
        );
    }
    let _ = writeln!(
        out,
        "ingang_audit_batch_size_bucket{{le=\"+Inf\"}} {batches}\n\
         ingang_audit_batch_size_sum {entries}\ningang_audit_batch_size_count {batches}"
    );

    if let Some(sequencer) = app.sequencer_stats() {
        use std::sync::atomic::Ordering::Relaxed;
        single(
            &mut out,
            "ingang_audit_sequencer_leader",
            "gauge",
            "1 while this process holds the sequencer's lease.",
            u8::from(sequencer.leader.load(Relaxed)),
        );
        single(
            &mut out,
            "ingang_audit_sequenced_total",
            "counter",
            "Entries this process integrated into the Merkle tree.",
            sequencer.integrated.load(Relaxed),
        );
        single(
            &mut out,
            "ingang_audit_checkpoints_total",
            "counter",
            "Checkpoints this process signed.",
            sequencer.checkpoints.load(Relaxed),
        );
        single(
            &mut out,
            "ingang_audit_sequencer_failures_total",
            "counter",
            "Sequencer steps that failed (retried at the next interval).",
            sequencer.failures.load(Relaxed),
        );
        single(
            &mut out,
            "ingang_audit_lookups_indexed",
            "gauge",
            "Leaves the auditors' lookups by client and officer cover (this process's indexer).",
            sequencer.indexed.load(Relaxed),
        );
        single(
            &mut out,
            "ingang_audit_lookup_index_failures_total",
            "counter",
            "Lookup indexing steps that failed (retried at the next interval).",
            sequencer.index_failures.load(Relaxed),
        );
    }

    let pool = app.pool_status();
    header(
        &mut out,
        "ingang_db_pool_connections",
        "gauge",
        "Database connections of this process's pool, by state.",
    );
    let _ = writeln!(
        out,
        "ingang_db_pool_connections{{state=\"in_use\"}} {}\n\
         ingang_db_pool_connections{{state=\"idle\"}} {}",
        pool.open.saturating_sub(pool.idle),
        pool.idle
    );
    header(
        &mut out,
        "ingang_db_pool_max_connections",
        "gauge",
        "Most connections the pool may open.",
    );
    let _ = writeln!(out, "ingang_db_pool_max_connections {}", pool.max);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn latency_lands_in_the_first_bucket_that_holds_it() {
        observe_request("/test/{id}", "GET", 200, Duration::from_micros(700));
        let registry = registry();
        let series = &registry.series["/test/{id}"]["GET"];
        assert_eq!(series.buckets[1], 1, "0.7 ms is in le=0.001");
        assert_eq!(series.count(), 1);
    }
}
